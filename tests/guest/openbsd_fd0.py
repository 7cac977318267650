#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""guest.openbsd: OpenBSD's floppy installer (../shared/data/images/
openbsd.img) must find its floppy drive. Its kernel probes fd0 with a
recalibrate right after the controller's reset; that only works when the
reset's pending polling statuses end with the next command (iodev/fdc.c).
At the installer's question the shell is chosen with keys sent through the
monitor: the boot messages must show fd0 attached as a 1.44MB drive, and
the installer's tools must use it (`disklabel fd0` reads its label, `dd`
reads 180 KiB from /dev/rfd0c).
    openbsd_fd0.py KAIRO IMAGE WORKDIR"""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "monitor"))
from monclient import Monitor, MonitorError, abort, fresh_workdir, start_kairo  # noqa: E402

kairo, image, work = sys.argv[1:4]
sock, disk = fresh_workdir(work, "mon.sock", "openbsd.img")
shutil.copyfile(image, disk)
os.chmod(disk, 0o644)
proc = start_kairo([kairo, "-display", "none", "--deterministic", "-fda", disk,
                    "-monitor", "unix:" + sock, "--timeout", "400"],
                   os.path.join(work, "kairo.log"))


def screen_until(mon, pattern, timeout):
    """`info text` every half second until pattern shows; the screen."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline and proc.poll() is None:
        text = quiet_text(mon)
        if re.search(pattern, text, re.M):
            return text
        time.sleep(0.5)
    abort(proc, "no %r on the screen; it shows:\n%s" % (pattern, text))


def quiet_text(mon):
    sys.stdout, saved = open(os.devnull, "w"), sys.stdout
    try:
        return mon.cmd("info text")
    finally:
        sys.stdout.close()
        sys.stdout = saved


def type_line(mon, line):
    """Each key once the guest echoed the one before (the 8042's queue is
    short, and a loaded host may run the guest slowly)."""
    names = {" ": "spc", ".": "dot", "-": "minus", "=": "equal", "/": "slash", ";": "semicolon",
             "*": "shift-8", "|": "shift-backslash", ">": "shift-dot"}
    for i, ch in enumerate(line):
        mon.cmd("sendkey " + names.get(ch, ch))
        deadline = time.monotonic() + 20
        while not quiet_text(mon).rstrip().endswith(line[:i + 1].rstrip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                abort(proc, "the guest did not echo %r" % line[:i + 1])
            time.sleep(0.05)
    mon.cmd("sendkey ret")


try:
    mon = Monitor(sock)
    boot = screen_until(mon, r"\(I\)nstall, \(U\)pgrade or \(S\)hell\?", 360)
    print(boot)
    type_line(mon, "s")
    screen_until(mon, r"^#\s*$", 30)
    type_line(mon, "disklabel fd0")
    label = screen_until(mon, r"^(bytes/sector|disklabel:)[\s\S]*^#\s*$", 60)
    print(label)
    type_line(mon, "dd if=/dev/rfd0c of=/dev/null bs=9k count=20")
    shown = screen_until(mon, r"^(20\+0 records out|dd:)[\s\S]*^#\s*$", 60)
    print(shown)
    failures = 0
    for where, text, pattern in (
            ("the boot messages", boot, r"^fd0 at fdc0 drive 0: 1\.44MB 80 cyl, 2 head, 18 sec"),
            ("disklabel fd0", label, r"^bytes/sector: 512"),
            ("disklabel fd0", label, r"^sectors/track: 18"),
            ("dd from /dev/rfd0c", shown, r"^20\+0 records in")):
        if re.search(pattern, text, re.M):
            print("openbsd_fd0: %s: %r" % (where, pattern))
        else:
            print("FAIL: %s lacks %r" % (where, pattern))
            failures += 1
    mon.quit()
    proc.wait(timeout=30)
    sys.exit(1 if failures else 0)
except MonitorError as e:
    abort(proc, str(e))
