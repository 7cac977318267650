#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host commands through the replay seam (docs/REPLAY.md, "Host commands").

FreeDOS from a floppy, recorded while QMP resets the machine, ejects the
floppy, inserts another image and presses the power button. The replay
(QMP connected too, started with -S) refuses live system_reset, eject and
send-key with one error each, and gdb's memory and register writes (E22)
while its reads work; it applies the logged commands at their counts
and ends with the recording's hash. The log with the reset deleted is
caught at the first checkpoint after it; another file at the medium's path
is refused when the change comes.

  host_cmds.py KAIRO REPLAYLOG_PY FLOPPY WORKDIR"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qmp"))
from qmpclient import Qmp  # noqa: E402

kairo, replaylog, floppy, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
a, b = os.path.join(work, "a.img"), os.path.join(work, "b.img")
shutil.copy(floppy, a)
shutil.copy(floppy, b)
with open(b, "r+b") as f:       # another medium: one byte differs
    f.seek(100000)
    byte = f.read(1)
    f.seek(100000)
    f.write(bytes([byte[0] ^ 0xFF]))
log = os.path.join(work, "host.rpl")
sock = os.path.join(work, "qmp.sock")
base = [kairo, "-m", "64", "-display", "none", "-vga", "none", "-net", "none", "-fda", a,
        "--max-insns", "200000000", "-qmp", "unix:%s,server,nowait" % sock, "-S"]


def fail(msg):
    print("host_cmds: FAIL: " + msg)
    sys.exit(1)


def start(extra, err):
    if os.path.exists(sock):
        os.unlink(sock)
    return subprocess.Popen(base + extra, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(err, "w"))


def ok(q, name, **args):
    r = q.command(name, **args)
    if "error" in r:
        fail("%s: %s" % (name, r["error"]))


def run_for(q, secs):
    ok(q, "cont")
    time.sleep(secs)
    ok(q, "stop")


def state_hash(err):
    m = re.findall(r"state hash ([0-9a-f]+) icount (\d+)", open(err).read())
    return m[-1] if m else None


# --- recording: the commands at whatever counts the host's timing gives ---
rec_err = os.path.join(work, "rec.err")
T0 = time.monotonic()
p = start(["-record", log + ",checkpoint=20000000", "--state-hash"], rec_err)
q = Qmp(sock)
ok(q, "qmp_capabilities")
run_for(q, 0.4)
ok(q, "system_reset")
run_for(q, 0.4)
ok(q, "eject", device="floppy0")
run_for(q, 0.1)
ok(q, "blockdev-change-medium", device="floppy0", filename=b)
run_for(q, 0.1)
ok(q, "system_powerdown")
ok(q, "cont")
status = p.wait(timeout=120)
print("host_cmds: %.1f s" % (time.monotonic() - T0))
rec = state_hash(rec_err)
print("host_cmds: recorded: status %d, hash/icount %s" % (status, rec))
if status != 3 or not rec:
    print(open(rec_err).read())
    fail("the recording did not run to its instruction limit")
events = subprocess.run([sys.executable, replaylog, "list", log], capture_output=True, text=True,
                        check=True).stdout
hosts = [l for l in events.splitlines() if " host " in l]
print("host_cmds: %d host events in the log" % len(hosts))
if len(hosts) != 4:
    fail("want 4 host events (reset, eject, change, powerdown):\n" + "\n".join(hosts))

# --- replay: live commands refused, the log's applied ---
play_err = os.path.join(work, "play.err")
p = start(["-replay", log, "--state-hash"], play_err)
q = Qmp(sock)
ok(q, "qmp_capabilities")
for name, args in (("system_reset", {}), ("eject", {"device": "floppy0"}),
                   ("send-key", {"keys": [{"type": "qcode", "data": "a"}]})):
    r = q.command(name, **args)
    desc = r.get("error", {}).get("desc", "")
    print("host_cmds: live %s under replay: %s" % (name, desc or r))
    if "not available while replaying a log" not in desc:
        fail("live %s was not refused under replay" % name)
ok(q, "cont")
status = p.wait(timeout=120)
print("host_cmds: %.1f s" % (time.monotonic() - T0))
play = state_hash(play_err)
print("host_cmds: replayed: status %d, hash/icount %s" % (status, play))
if status != 3 or play != rec or "replay complete" not in open(play_err).read():
    print(open(play_err).read())
    fail("the replay does not end as the recording did")


# --- a debugger may look but not write while replaying ---
def rsp(sock_, body):
    """One gdb remote-protocol packet and its reply."""
    pkt = "$%s#%02x" % (body, sum(body.encode()) & 0xFF)
    sock_.sendall(pkt.encode())
    data = b""
    while not re.search(rb"\$([^#]*)#..", data):
        chunk = sock_.recv(4096)
        if not chunk:
            fail("gdb stub closed the connection")
        data += chunk
    sock_.sendall(b"+")
    return re.search(rb"\$([^#]*)#..", data).group(1).decode()


import socket  # noqa: E402
s_ = socket.socket()
s_.bind(("127.0.0.1", 0))
gdb_port = s_.getsockname()[1]
s_.close()
gdb_err = os.path.join(work, "gdb.err")
p = start(["-replay", log, "-gdb", "tcp:127.0.0.1:%d" % gdb_port], gdb_err)
for _ in range(100):
    try:
        g = socket.create_connection(("127.0.0.1", gdb_port), timeout=10)
        break
    except OSError:
        time.sleep(0.1)
else:
    fail("no gdb stub")
replies = {body: rsp(g, body) for body in ("m400,4", "M400,1:00", "P0=00000000", "X400,0:")}
print("host_cmds: gdb under replay: %s" % replies)
if not replies["m400,4"] or replies["m400,4"].startswith("E"):
    fail("memory reads refused under replay")
if any(replies[b] != "E22" for b in ("M400,1:00", "P0=00000000", "X400,0:")):
    fail("memory or register writes not refused under replay")
g.sendall(b"$c#63")
status = p.wait(timeout=120)
g.close()
if "replay complete at icount 200000000" not in open(gdb_err).read():
    fail("the replay under gdb does not complete")


# --- altered: the reset deleted; another medium ---
def refused(name, extra, pattern):
    err = os.path.join(work, name + ".err")
    p = start(extra, err)
    q = Qmp(sock)
    ok(q, "qmp_capabilities")
    ok(q, "cont")
    status = p.wait(timeout=120)
    text = "\n".join(l for l in open(err).read().strip().splitlines()
                     if not l.startswith("kairo: QMP listening"))
    print("host_cmds: %s: status %d: %s" % (name, status, text))
    if status != 1 or len(text.splitlines()) != 1 or not re.search(pattern, text):
        fail("%s: want one line matching '%s' and status 1" % (name, pattern))


subprocess.run([sys.executable, replaylog, "delete", log, log + ".del", "host", "0"], check=True)
at = subprocess.run([sys.executable, replaylog, "checkpoint-after", log, "host", "0"],
                    capture_output=True, text=True, check=True).stdout.strip()
refused("reset-deleted", ["-replay", log + ".del"],
        "replay diverged at icount %s: checkpoint hash differs" % at)
with open(b, "r+b") as f:
    f.seek(100001)
    byte = f.read(1)
    f.seek(100001)
    f.write(bytes([byte[0] ^ 0xFF]))
refused("other-medium", ["-replay", log], "b.img is not the medium inserted when recorded")
print("host_cmds: PASS")
