#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""monitor.linux_tab: boot the Debian guest (images/build.sh) to its shell
prompt, then stop it from the monitor and look at it: `info tab` must show
the kernel's direct map (linear 0xC0000000 -> physical 0, supervisor,
writable), `info gdt` the kernel's flat segments, `regs` protected mode
with paging, `x` a kernel address; `quit` ends the run with status 0.
    linux_tab.py KAIRO IMAGES_DIR WORKDIR"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monclient import Monitor, MonitorError, abort, finish, fresh_workdir, start_kairo  # noqa: E402

kairo, images, work = sys.argv[1:4]
for f in ("vmlinuz", "initrd.img"):
    if not os.path.exists(os.path.join(images, f)):
        print("FAIL: %s/%s missing (run images/build.sh)" % (images, f))
        sys.exit(1)
sock, = fresh_workdir(work, "mon.sock")
proc = start_kairo([kairo, "-m", "256", "-display", "none", "--deterministic",
                    "-kernel", os.path.join(images, "vmlinuz"),
                    "-initrd", os.path.join(images, "initrd.img"),
                    "-append", "console=ttyS0 cryptomgr.notests",
                    "-serial", "stdio", "-monitor", "unix:" + sock, "--timeout", "85"],
                   os.path.join(work, "kairo.log"), console=True)


try:
    mon = Monitor(sock)
    mon.check(mon.greeting, r"the guest is running")
    # The monitor answers while the guest boots.
    mon.cmd("info slots", r"^com1 +0x3F8-0x3FF +4")
    if not proc.console.wait_for(r"KAIRO-GUEST-READY.*# ", 75, proc):
        abort(proc, "no shell prompt on ttyS0\n" + proc.console.text[-3000:])
    mon.cmd("stop", r"^stopped")
    mon.cmd("info tab", r"^c0000000-[0-9a-f]+ -> 00000000-[0-9a-f]+ (4K|4M|2M) rw sup",
            r"^\d+ runs")
    mon.cmd("info gdt", r"sel 0x0060 .*base 0x00000000 limit 0xffffffff \(code32 rx dpl0 p g\)",
            r"sel 0x0068 .*base 0x00000000 limit 0xffffffff \(data32 rw dpl0 p g\)")
    mon.cmd("regs", r"protected mode", r"^cr0  0x8[0-9a-f]{7} \[.* PG", r"^gdtr base 0x[cdef]")
    # The direct map: linear 0xC0000000 + n is physical n. Both views of
    # the real-mode IVT's neighbourhood must agree.
    lin = mon.cmd("x /4x 0xc0000000", r"^0xc0000000: (0x[0-9a-f]{8} ?){4}$")
    phys = mon.cmd("xp /4x 0", r"^phys 0x00000000: (0x[0-9a-f]{8} ?){4}$")
    mon.check(phys.split(":", 1)[-1], re.escape(lin.split(":", 1)[-1].strip()))
    mon.cmd("info idt", r"^0x80 .*(trapgate32|intgate32) dpl3 p")
    mon.cmd("info tss", r"32-bit TSS", r"esp0 +0x[0-9a-f]{8} +ss0 +0x0068")
    mon.cmd("info pic", r"^master: .*base 0x30")
    mon.cmd("c")
    mon.cmd("info text")
    mon.quit()
except (MonitorError, OSError) as e:
    abort(proc, e)
status = finish(proc, mon, 0)
print(open(os.path.join(work, "kairo.log")).read())
sys.exit(status)
