#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""monitor.smp: the monitor on two CPUs (tests/asm/smp.asm built as
smp2.bin). A breakpoint in AP-only code (ap32) stops CPU 1, which becomes
the monitor's CPU (the flight recorder shows both CPUs' instructions,
tagged); `cpu N` chooses whose registers `r`, `x` and `s` show
and step; a step of CPU 1 leaves CPU 0 where it was.
    smp_monitor.py KAIRO ROM LISTING WORKDIR"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monclient import Monitor, abort, finish, fresh_workdir, start_kairo  # noqa: E402

kairo, rom, listing, work = sys.argv[1:5]
sock, = fresh_workdir(work, "mon.sock")


def label_offset(name):
    """The ROM offset of the first instruction after NAME: in the listing."""
    found = False
    for line in open(listing):
        f = line.split()
        if len(f) >= 2 and f[1] == name + ":":
            found = True
        elif found and len(f) >= 3 and re.fullmatch(r"[0-9A-F]{8}", f[1]):
            return int(f[1], 16)
    raise SystemExit("FAIL: no %s in %s" % (name, listing))


ap32 = 0xFFFF0000 + label_offset("ap32")
proc = start_kairo([kairo, "-bios", rom, "-smp", "2", "-display", "none", "-serial", "none",
                    "-debugcon", "none", "-device", "isa-debug-exit", "-no-reboot",
                    "--deterministic", "-monitor", "unix:" + sock, "-S", "--timeout", "60",
                    "--flight-recorder", "64"],
                   os.path.join(work, "kairo.log"))
try:
    mon = Monitor(sock)
    mon.cmd("info cpus", r"^\* CPU #0: pc=0xfffffff0", r"^  CPU #1: .*waiting for SIPI")
    mon.cmd("b 0x%x" % ap32, r"^breakpoint 1$")
    mon.cmd("c")
    mon.stop_event(r"^\[CPU #1\]$", r"^breakpoint 1 hit", r"^0008:%08x " % ap32)
    mon.cmd("info cpus", r"^  CPU #0: ", r"^\* CPU #1: pc=0x%08x apic_id=1" % ap32)
    mon.cmd("r", r"^eip  0x%08x" % ap32, r"^cs   0x0008 ")
    # The flight recorder holds both CPUs' last instructions, tagged; CPU 1's
    # last one is the far jump into ap32.
    mon.cmd("flight", r"^cpu0 +\d+ 0008:FFFF", r"^cpu1 +0 0800:00000000 ",
            r"^cpu1 +10 0800:\S+ +66 ea .*\n.*\nflight recorder: end")
    bsp = mon.cmd("cpu 0")
    regs0 = mon.cmd("r")
    m = re.search(r"^eip  (0x[0-9a-f]{8})", regs0, re.M)
    if not m or int(m.group(1), 16) == ap32:
        abort(proc, "cpu 0 shows CPU 0's registers", regs0)
    mon.cmd("info cpus", r"^\* CPU #0: ")
    mon.cmd("cpu 1")
    mon.cmd("s", r"^0008:%08x " % (ap32 + 4))
    mon.cmd("cpu 0")
    mon.cmd("r", r"^eip  %s" % m.group(1))   # CPU 0 did not move
    mon.cmd("cpu 2", r"^error: cpu: no CPU '2' \(0\.\.1\)")
    mon.cmd("delete 1")
    mon.quit()
    sys.exit(finish(proc, mon, 0))
except Exception as e:  # noqa: BLE001
    abort(proc, repr(e))
