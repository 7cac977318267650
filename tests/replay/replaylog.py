#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Read, list and alter kairo replay logs (format: docs/REPLAY.md).

  replaylog.py list LOG                    one line per event, then counts
  replaylog.py stats LOG                   events per kind and sizes
  replaylog.py flip LOG OUT KIND N BYTE    flip bit 0 of payload byte BYTE of the Nth KIND event
  replaylog.py delete LOG OUT KIND N       drop the Nth KIND event (0-based)
  replaylog.py config LOG OUT TEXT         replace the header's machine description
  replaylog.py find-remote LOG TEXT        N of the remote event whose reply byte starts
                                           TEXT, read one byte per event
  replaylog.py checkpoint-after LOG KIND N the icount of the first checkpoint after the
                                           Nth KIND event
  replaylog.py mangle LOG OUT SEED         seeded damage behind valid framing: payload bytes
                                           flipped, kinds changed, payloads cut or grown,
                                           events deleted, random events of every kind added
  replaylog.py middle LOG KIND MINLEN      N of the middle KIND event of at least MINLEN
                                           payload bytes (net: of the frames the NIC took)
                                           among those a checkpoint follows

KIND is a name (serial, net, key, mouse, credit, rtc, checkpoint, end, remote,
host). The
altered log is re-encoded with valid framing, so only replay's checks can
catch it."""
import struct
import sys
import zlib

KINDS = {1: "serial", 2: "net", 3: "key", 4: "mouse", 5: "credit", 6: "rtc",
         7: "checkpoint", 8: "end", 9: "remote", 10: "host", 11: "hostcall"}
ASYNC = 0x80


def varint(buf, pos):
    v, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, pos


def put_varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"KAIRORPL", "not a replay log"
    version, every, clen = struct.unpack_from("<IQI", data, 8)
    config = data[24:24 + clen]
    raw = zlib.decompress(data[28 + clen:])
    events, pos, icount = [], 0, 0
    while pos < len(raw):
        kind = raw[pos]
        delta, pos = varint(raw, pos + 1)
        plen, pos = varint(raw, pos)
        icount += delta
        events.append([kind, icount, raw[pos:pos + plen]])
        pos += plen
    return version, every, config, events


def write(path, version, every, config, events):
    head = b"KAIRORPL" + struct.pack("<IQI", version, every, len(config)) + config
    head += struct.pack("<I", zlib.crc32(head))
    raw, last = bytearray(), 0
    for kind, icount, payload in events:
        raw += bytes([kind]) + put_varint(icount - last) + put_varint(len(payload)) + payload
        last = icount
    open(path, "wb").write(head + zlib.compress(bytes(raw), 6))


def nth(events, name, n):
    hits = [e for e in events if KINDS.get(e[0] & ~ASYNC) == name]
    if n >= len(hits):
        sys.exit("replaylog: the log has %d %s events" % (len(hits), name))
    return hits[n]


def remote_byte(payload):
    """The byte a one-byte remote read returned, or None (payload: slot,
    op, n, n line changes, bytes)."""
    if len(payload) < 3 or payload[1] != 1:
        return None
    data = payload[3 + 2 * payload[2]:]
    return data[0] if len(data) == 1 else None


def find_remote(events, text):
    """The first read of TEXT's bytes in order, each within a few reads of
    the one before (status-register reads come between)."""
    remote = [e for e in events if KINDS.get(e[0] & ~ASYNC) == "remote"]
    reads = [(i, remote_byte(e[2])) for i, e in enumerate(remote)]
    reads = [(i, b) for i, b in reads if b is not None]
    for k, (first, b) in enumerate(reads):
        if b != text[0]:
            continue
        pos, ok = k, True
        for want in text[1:]:
            nxt = [j for j in range(pos + 1, min(pos + 9, len(reads))) if reads[j][1] == want]
            if not nxt:
                ok = False
                break
            pos = nxt[0]
        if ok:
            print(first)
            return 0
    sys.exit("replaylog: no remote reads spell %r" % text)


def random_event(rnd, icount):
    """An event of any kind with a plausible or random payload."""
    kind = rnd.randint(1, 10)
    if kind == 3:
        payload = bytes([rnd.randrange(256), rnd.choice([0, 0xE0, rnd.randrange(256)]), rnd.randrange(3)])
    elif kind == 4:
        payload = struct.pack("<iiiB", rnd.randint(-300, 300), rnd.randint(-300, 300), rnd.randint(-3, 3), rnd.randrange(8))
    elif kind == 2:
        frame = bytes([0xFF] * 6) + bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 1600)))
        payload = bytes([rnd.choice([0, 0, 1]), rnd.randrange(2)]) + frame
    elif kind == 9:
        n = rnd.randint(0, 3)
        payload = bytes([rnd.choice([0, 0, 1]), rnd.randrange(3), n])
        payload += bytes(x for _ in range(n) for x in (rnd.randrange(2), rnd.randrange(2)))
        payload += bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 8)))
    elif kind == 10:
        cmd = rnd.randint(0, 5)
        payload = bytes([cmd, rnd.randrange(2)])
        if cmd == 4:
            payload += rnd.choice([b"floppy0", b"floppy1", b"ide1-cd0", b"nope"]) + b"\0"
            payload += rnd.choice([b"", b"/dev/null", b"/nonexistent.img"]) + b"\0"
            payload += rnd.choice([b"-", b"0:00000000", b"missing"]) + b"\0"
    elif kind == 5:
        payload = put_varint(rnd.choice([1, 1000, 10 ** 6, 10 ** 9, 2 ** 62, 2 ** 64 - 1]))
    else:
        payload = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 16)))
    return [kind | rnd.choice([0, 0x80]), icount, payload]


def mangle(events, seed):
    import random
    rnd = random.Random(seed)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.choice([0, 1, 2, 3, 4, 4, 4])
        if not events:
            break
        i = rnd.randrange(len(events))
        ev = events[i]
        if op == 0 and ev[2]:
            p = bytearray(ev[2])
            p[rnd.randrange(len(p))] ^= 1 << rnd.randrange(8)
            ev[2] = bytes(p)
        elif op == 1:
            ev[0] = rnd.randint(1, 10) | (ev[0] & ASYNC)
        elif op == 2:
            cut = rnd.randint(0, len(ev[2]))
            ev[2] = ev[2][:cut] + bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 0, 1, 7])))
        elif op == 3 and i < len(events) - 1:
            del events[i]
        else:
            lo = events[i - 1][1] if i else 0
            events.insert(i, random_event(rnd, rnd.randint(lo, ev[1])))
    return "seed %d" % seed


def main(argv):
    cmd, path = argv[1], argv[2]
    version, every, config, events = read(path)
    if cmd in ("list", "stats"):
        counts, sizes = {}, {}
        for kind, icount, payload in events:
            name = KINDS.get(kind & ~ASYNC, "?")
            counts[name] = counts.get(name, 0) + 1
            sizes[name] = sizes.get(name, 0) + len(payload)
            if cmd == "list":
                print("%14d %-10s %s %4d %s" % (icount, name, "async" if kind & ASYNC else "sync ",
                                                 len(payload), payload[:16].hex()))
        for name in sorted(counts):
            print("%-10s %6d events %8d payload bytes" % (name, counts[name], sizes[name]))
        print("last icount %d, checkpoint every %d" % (events[-1][1] if events else 0, every))
        return 0
    if cmd == "find-remote":
        return find_remote(events, argv[3].encode())
    if cmd == "middle":
        # Only events a checkpoint follows: an alteration must have one to be
        # caught at (a download can end after the last one).
        cps = [e[1] for e in events if KINDS.get(e[0] & ~ASYNC) == "checkpoint"]
        last_cp = max(cps) if cps else -1
        hits = [i for i, e in enumerate(e for e in events if KINDS.get(e[0] & ~ASYNC) == argv[3])
                if len(e[2]) >= int(argv[4]) and (argv[3] != "net" or e[2][1] == 1)
                and e[1] < last_cp]
        if not hits:
            sys.exit("replaylog: no %s event of %s bytes" % (argv[3], argv[4]))
        print(hits[len(hits) // 2])
        return 0
    if cmd == "checkpoint-after":
        ev = nth(events, argv[3], int(argv[4]))
        later = [e for e in events[events.index(ev) + 1:] if KINDS.get(e[0] & ~ASYNC) == "checkpoint"]
        if not later:
            sys.exit("replaylog: no checkpoint after that event")
        print(later[0][1])
        return 0
    out = argv[3]
    if cmd == "flip":
        ev = nth(events, argv[4], int(argv[5]))
        payload = bytearray(ev[2])
        payload[int(argv[6])] ^= 1
        ev[2] = bytes(payload)
        print("replaylog: flipped byte %s of the %s event at icount %d" % (argv[6], argv[4], ev[1]))
    elif cmd == "delete":
        ev = nth(events, argv[4], int(argv[5]))
        events.remove(ev)
        print("replaylog: deleted the %s event at icount %d" % (argv[4], ev[1]))
    elif cmd == "mangle":
        mangle(events, int(argv[4]))
    elif cmd == "config":
        config = argv[4].encode().replace(b"\\n", b"\n")
    else:
        sys.exit("replaylog: unknown command " + cmd)
    write(out, version, every, config, events)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
