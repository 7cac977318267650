#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Read kairo snapshot files (docs/SNAPSHOTS.md) for the tests.

  snapfile.py sections FILE        list the state sections and their sizes
  snapfile.py diff FILE1 FILE2     name the sections whose contents differ
  snapfile.py patch-version FILE OUT N
                                   write FILE with format version N (and a
                                   checksum that matches again), so that only
                                   the version check can refuse it
  snapfile.py patch-component FILE OUT NAME N
                                   the same with component NAME's version N in
                                   the configuration block
  snapfile.py mangle FILE OUT SEED  flip a few bytes of the state stream outside
                                   the RAM pages (seeded), deflate it again and
                                   fix the checksum: only the components' own
                                   load checks stand between it and the machine
"""
import struct
import sys
import zlib


def frame(data):
    if data[:8] != b"KAIROSNP":
        raise SystemExit("not a kairo snapshot")
    cfg_len = struct.unpack_from("<I", data, 12)[0]
    pos = 16 + cfg_len
    raw_len, z_len = struct.unpack_from("<QQ", data, pos)
    return cfg_len, pos, raw_len, z_len


def inflate(z):
    """The chunked container of machine/snapzip.h."""
    n = struct.unpack_from("<I", z, 0)[0]
    pos, out = 4 + 8 * n, b""
    for i in range(n):
        raw_len, z_len = struct.unpack_from("<II", z, 4 + 8 * i)
        out += zlib.decompress(z[pos:pos + z_len])
        pos += z_len
    return out


def deflate(raw, chunk=4 << 20):
    parts = [zlib.compress(raw[i:i + chunk], 1) for i in range(0, len(raw), chunk)]
    head = struct.pack("<I", len(parts))
    for i, p in enumerate(parts):
        head += struct.pack("<II", min(chunk, len(raw) - i * chunk), len(p))
    return head + b"".join(parts)


def sections(data):
    _, pos, raw_len, z_len = frame(data)
    raw = inflate(data[pos + 16:pos + 16 + z_len])
    assert len(raw) == raw_len
    out, p = [], 0
    while p < len(raw):
        n = raw[p]
        name = raw[p + 1:p + 1 + n].decode()
        version, length = struct.unpack_from("<II", raw, p + 1 + n)
        start = p + 1 + n + 8
        out.append((name, version, raw[start:start + length]))
        p = start + length
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "sections":
        for name, version, body in sections(open(sys.argv[2], "rb").read()):
            print(f"{name:10} v{version} {len(body)} bytes")
    elif cmd == "diff":
        a = sections(open(sys.argv[2], "rb").read())
        b = sections(open(sys.argv[3], "rb").read())
        differ = [x[0] for x, y in zip(a, b) if x != y]
        if len(a) != len(b):
            differ.append("(section count)")
        for (name, _, x), (_, _, y) in zip(a, b):
            if x != y:
                first = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), None)
                print(f"{name}: differs (sizes {len(x)}, {len(y)}; first at byte {first})")
        sys.exit(1 if differ else 0)
    elif cmd == "patch-version":
        data = bytearray(open(sys.argv[2], "rb").read())
        struct.pack_into("<I", data, 8, int(sys.argv[4]))
        struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])))
        open(sys.argv[3], "wb").write(data)
    elif cmd == "mangle":
        import random
        data = open(sys.argv[2], "rb").read()
        _, pos, raw_len, z_len = frame(data)
        raw = bytearray(inflate(data[pos + 16:pos + 16 + z_len]))
        rng = random.Random(int(sys.argv[4]))
        # Section boundaries: skip "ram" (guest data) when choosing bytes.
        spans, p = [], 0
        while p < len(raw):
            n = raw[p]
            name = raw[p + 1:p + 1 + n].decode()
            length = struct.unpack_from("<I", raw, p + 1 + n + 4)[0]
            start = p + 1 + n + 8
            if name != "ram":
                spans.append((p, start + length))
            p = start + length
        for _ in range(rng.randint(1, 6)):
            a, b = rng.choice(spans)
            i = rng.randrange(a, b)
            raw[i] = rng.choice([0, 0xFF, raw[i] ^ (1 << rng.randrange(8)), rng.randrange(256)])
        z = deflate(bytes(raw))
        out = bytearray(data[:pos]) + struct.pack("<QQ", len(raw), len(z)) + z
        out += struct.pack("<I", zlib.crc32(bytes(out)))
        open(sys.argv[3], "wb").write(out)
    elif cmd == "patch-component":
        data = bytearray(open(sys.argv[2], "rb").read())
        p = 16 + 1 + len("config") + 8 + 4 + 8 + 1
        n = struct.unpack_from("<I", data, p)[0]
        p += 4
        for _ in range(n):
            ln = struct.unpack_from("<H", data, p)[0]
            name = data[p + 2:p + 2 + ln].decode()
            p += 2 + ln
            lk = struct.unpack_from("<H", data, p)[0]
            p += 2 + lk
            if name == sys.argv[4]:
                struct.pack_into("<I", data, p, int(sys.argv[5]))
            p += 4
        struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])))
        open(sys.argv[3], "wb").write(data)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
