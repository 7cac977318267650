#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""monitor.rom: the monitor against tests/monitor/montest.asm. Breakpoint,
step, a memory write watchpoint and a port watchpoint stop at the ROM's
known addresses, as does a physical breakpoint; x, xp, u, flight, info
idt/pic/gdt/tab, sendkey, screendump and malformed commands answer as they
should; quit ends the run with status 0. Then -monitor stdio: Ctrl-C stops
the guest rather than the run.
    montest.py KAIRO ROM WORKDIR"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monclient import (Console, Monitor, MonitorError, abort, finish,  # noqa: E402
                       fresh_workdir, start_kairo)

kairo, rom, work = sys.argv[1:4]
sock, png = fresh_workdir(work, "mon.sock", "screen.png")
proc = start_kairo([kairo, "-bios", rom, "-display", "none", "-serial", "none",
                    "-debugcon", "none", "-device", "isa-debug-exit", "-no-reboot",
                    "-monitor", "unix:" + sock, "-S", "--timeout", "60",
                    "--flight-recorder", "16"],
                   os.path.join(work, "kairo.log"))
try:
    mon = Monitor(sock)
    mon.check(mon.greeting, r"the guest is stopped")
    mon.cmd("r", r"^eip  0x0000fff0", r"^cs   0xf000 base 0xffff0000")
    mon.cmd("b 0xffff1000", r"^breakpoint 1$")
    mon.cmd("c")
    mon.stop_event(r"^breakpoint 1 hit", r"^0008:ffff1000 .*inc ecx")
    mon.cmd("s", r"^0008:ffff1001 .*mov dword ptr \[0x400000\], ecx")
    mon.cmd("watch w 0x400000 4", r"^watchpoint 2$")
    mon.cmd("delete 1")
    mon.cmd("c")
    mon.stop_event(r"^watchpoint 2 hit: write at 0x00400000", r"^0008:ffff1007 .*mov al, cl")
    mon.cmd("x /4x 0x400000", r"^0x00400000: 0x00000001 0x00000000")
    mon.cmd("xp /1x 0x200000", r"^phys 0x00200000: 0x00000001")
    mon.cmd("x /4xb 0x400000", r"^0x00400000: 0x01 0x00 0x00 0x00")
    mon.cmd("delete 2")
    mon.cmd("watch port 0x80-0x81", r"^watchpoint 3$")
    mon.cmd("info break", r"^3 +port +0x0080-0x0081 +0")
    mon.cmd("c")
    mon.stop_event(r"^watchpoint 3 hit: out port 0x0080", r"^0008:ffff100b .*cmp ecx, 0x3e8")
    mon.cmd("delete 3")
    mon.cmd("s 3", r"^0008:ffff1001 ")
    mon.cmd("pb 0xffff1009", r"^breakpoint 4$")
    mon.cmd("c")
    mon.stop_event(r"^breakpoint 4 hit", r"^0008:ffff1009 .*out 0x80, al")
    mon.cmd("delete 4")
    # Tracing switched on and off from the monitor: the OUT at the stop
    # shows as an instruction line and a port line in kairo's stderr.
    mon.cmd("trace exec,io", r"^tracing: exec io \(to stderr\)$")
    mon.cmd("s", r"^0008:ffff100b ")
    mon.cmd("trace off", r"^tracing: off ")
    mon.cmd("trace nonsense", r"^error: unknown trace item")
    with open(os.path.join(work, "kairo.log")) as log:
        text = log.read()
    for want in (r"0008:FFFF1009 +e6 80 +out 0x80, al", r"0008:FFFF1009 >> out 0x0080 b "):
        if not re.search(want, text):
            abort(proc, "trace line missing from stderr: " + want, text[-2000:])
    mon.cmd("sendkey ctrl-alt-delete", r"^$")
    mon.cmd("u 0xffff1000 3", r"^ffff1000: 41 +inc ecx",
            r"^ffff1001: 89 0d 00 00 40 00 +mov dword ptr \[0x400000\], ecx",
            r"^ffff1007: 88 c8 +mov al, cl")
    mon.cmd("x /2i 0xffff1007", r"^ffff1009: e6 80 +out 0x80, al")
    mon.cmd("flight", r"0008:FFFF1000 +41 +inc ecx", r"flight recorder: end")
    mon.cmd("info idt", r"^IDT base 0x00012000 limit 0x7ff",
            r"^0x20 .*0008:ffff1100 \(intgate32 dpl0 p\)", r"^0xff .*0008:ffff1100")
    mon.cmd("info pic", r"^master: .*imr 0xfb .*base 0x20", r"^slave : .*imr 0xff .*base 0x28")
    mon.cmd("info gdt", r"sel 0x0008 .*code32 rx dpl0 p g", r"sel 0x0010 .*data32 rw dpl0 p g")
    mon.cmd("info tab", r"^00000000-003fffff -> 00000000-003fffff 4M rw sup",
            r"^00400000-0040ffff -> 00200000-0020ffff 4K rw sup",
            r"^ffc00000-ffffffff -> ffc00000-ffffffff 4M rw sup")
    mon.cmd("screendump " + png, r"^wrote ")
    # Malformed commands: one error line each, and the monitor goes on.
    mon.cmd("frobnicate", r"^error: unknown command 'frobnicate'")
    mon.cmd("x /4q 0", r"^error: bad format")
    mon.cmd("x /4x 0x900000", r"^error: linear 0x00900000 is not mapped")
    mon.cmd("xp /4x 0xfee00000", r"^error: physical 0xfee00000 is not RAM or ROM")
    mon.cmd("b", r"^error: usage: b\|break ADDR")
    mon.cmd("watch q 0 4", r"^error: watch: kind 'q'")
    mon.cmd("delete 99", r"^error: delete: no breakpoint")
    mon.cmd("s 0", r"^error: step: bad count")
    mon.cmd("c")
    mon.cmd("c", r"^error: the guest is running already")
    mon.cmd("stop", r"^stopped", r"^0008:ffff10")
    mon.quit()
except (MonitorError, OSError) as e:
    abort(proc, e)
status = finish(proc, mon, 0)


def stdio_monitor():
    """-monitor stdio: Ctrl-C (SIGINT) stops the guest instead of ending the
    run, the monitor answers on stdout, quit gives status 0."""
    print("--- -monitor stdio")
    p = subprocess.Popen([kairo, "-bios", rom, "-display", "none", "-serial", "none",
                          "-monitor", "stdio", "--timeout", "60"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    console = Console(p.stdout)
    ok = console.wait_for(r"the guest is running\n\(kairo\) ", 20, p)
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    ok = ok and console.wait_for(r"\nstopped\n[0-9a-f]{4}:[0-9a-f]{8} ", 20, p)
    p.stdin.write(b"quit\n")
    p.stdin.flush()
    try:
        code = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        code = p.wait()
    print(console.text)
    print("stdio monitor: %s, exit status %d" % ("stopped by Ctrl-C" if ok else "FAIL", code))
    return 0 if ok and code == 0 else 1


status |= stdio_monitor()
with open(png, "rb") as f:
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        print("FAIL: the screendump is no PNG")
        status = 1
print(open(os.path.join(work, "kairo.log")).read())
sys.exit(status)
