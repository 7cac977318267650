#!/bin/sh
# SPDX-License-Identifier: MIT
# Snapshot costs: boot the Debian guest (images/build.sh) with -m 256 to its
# busybox shell, stop it from the monitor, then time `savevm` and `loadvm`
# (three of each, as the monitor client sees them) and print the file size.
# After the loads the guest must run on (its instruction count advances).
#   bench/snapshot.sh [KAIRO [IMAGES_DIR [WORKDIR]]]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kairo=${1:-$here/build/kairo}
images=${2:-$here/build/images}
work=${3:-$(mktemp -d)}
exec python3 - "$kairo" "$images" "$work" "$here/tests/monitor" <<'PY'
import os
import sys
import time

kairo, images, work, mondir = sys.argv[1:5]
sys.path.insert(0, mondir)
from monclient import Monitor, MonitorError, abort, finish, fresh_workdir, start_kairo  # noqa

sock, = fresh_workdir(work, "mon.sock")
snap = os.path.join(work, "debian.snap")
proc = start_kairo([kairo, "-m", "256", "-display", "none", "--deterministic",
                    "-kernel", os.path.join(images, "vmlinuz"),
                    "-initrd", os.path.join(images, "initrd.img"),
                    "-append", "console=ttyS0 cryptomgr.notests",
                    "-serial", "stdio", "-monitor", "unix:" + sock, "--timeout", "300"],
                   os.path.join(work, "kairo.log"), console=True)
try:
    mon = Monitor(sock, timeout=120)
    if not proc.console.wait_for(r"KAIRO-GUEST-READY.*# ", 240, proc):
        abort(proc, "no shell prompt on ttyS0")
    mon.cmd("stop", r"^stopped")
    saves, loads = [], []
    for _ in range(3):
        t = time.time()
        mon.cmd("savevm " + snap, r"^saved ")
        saves.append(time.time() - t)
    for _ in range(3):
        t = time.time()
        mon.cmd("loadvm " + snap, r"^loaded ")
        loads.append(time.time() - t)
    info = mon.cmd("info snapshots " + snap)
    before = mon.cmd("info cpu")
    mon.cmd("c")
    time.sleep(1)
    mon.cmd("stop", r"^stopped")
    after = mon.cmd("info cpu")
    icount = lambda text: int(text.split("icount ")[1].split()[0])
    alive = icount(after) > icount(before)
    mon.quit()
except (MonitorError, OSError) as e:
    abort(proc, e)
finish(proc, mon, 0)
size = os.path.getsize(snap)
print(info.strip())
print("savevm: %s s (best %.3f)" % (" ".join("%.3f" % s for s in saves), min(saves)))
print("loadvm: %s s (best %.3f)" % (" ".join("%.3f" % s for s in loads), min(loads)))
print("file: %d bytes (%.1f MiB) for 256 MiB of RAM" % (size, size / 2**20))
print("guest after the loads: %s" % ("runs on" if alive else "DOES NOT RUN"))
sys.exit(0 if alive else 1)
PY
