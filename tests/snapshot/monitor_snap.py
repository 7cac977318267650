#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""snapshot.monitor: savevm / loadvm / info snapshots through the monitor.
FreeDOS boots on a floppy image (-snapshot, so the guest's writes live in
the overlay that travels in the snapshot); the monitor stops it, saves,
lets it run on, loads: the registers and the text screen are back to what
they were at the save, `info snapshots` lists both, a second loadvm from
a file that does not fit is one error line and leaves the guest runnable.
    monitor_snap.py KAIRO FLOPPY WORKDIR"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "monitor"))
from monclient import Monitor, MonitorError, abort, finish, fresh_workdir, start_kairo  # noqa: E402

kairo, floppy, work = sys.argv[1:4]
sock, snap, junk = fresh_workdir(work, "mon.sock", "fd.snap", "junk.snap")
with open(junk, "wb") as f:
    f.write(b"KAIROSNP\x01" + bytes(100))
proc = start_kairo([kairo, "-display", "none", "-fda", floppy, "-snapshot", "--deterministic",
                    "-monitor", "unix:" + sock, "--timeout", "80"],
                   os.path.join(work, "kairo.log"))
try:
    mon = Monitor(sock)
    time.sleep(2)   # into the boot
    mon.cmd("stop", r"^stopped")
    mon.cmd("savevm " + snap, r"^saved .* at icount \d+")
    regs = mon.cmd("regs")
    screen = mon.cmd("info text")
    mon.cmd("info devices", r"^cpu +cpu +2", r"^ram +ram +1", r"^com1 +uart")
    mon.cmd("info cpu", r"icount \d+")
    mon.cmd("c")
    time.sleep(1)
    mon.cmd("stop", r"^stopped")
    moved = mon.cmd("regs")
    mon.check("ran on" if moved != regs else "did not run", r"ran on")
    mon.cmd("loadvm " + snap, r"^loaded .*: icount \d+ at")
    mon.check(mon.cmd("regs"), "^" + re.escape(regs) + "$")
    mon.check(mon.cmd("info text"), "^" + re.escape(screen) + "$")
    mon.cmd("info snapshots", r"^saved +\S+fd\.snap +icount \d+", r"^loaded +\S+fd\.snap +icount \d+")
    mon.cmd("info snapshots " + snap, r"icount \d+, RAM 128 MiB, -snapshot", r"^fda: ")
    mon.cmd("loadvm " + junk, r"^error: snapshot: .* is truncated or corrupt")
    mon.check(mon.cmd("regs"), "^" + re.escape(regs) + "$")
    mon.cmd("loadvm -x " + snap, r"^error: usage: loadvm \[-f\] FILE")
    mon.cmd("c")
    time.sleep(0.5)
    mon.quit()
except (MonitorError, OSError) as e:
    abort(proc, e)
sys.exit(finish(proc, mon, 0))
