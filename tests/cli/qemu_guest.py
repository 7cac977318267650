#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cli.qemu_guest: QEMU's defaults and run-control options on the Debian
guest (images/build.sh). With no network option the guest has QEMU's
default card (ne2k_pci on user networking): its DHCP server hands out the
-name as host name, and libslirp's router advertisements give it an IPv6
address in fec0::/64. -rtc base=DATE sets the guest's clock; -pidfile holds
the pid and refuses a second kairo; -no-shutdown stops the guest at
`poweroff -f` (the monitor's `info status` says so, `system_reset` boots it
again); `quit` ends the run, status 0, the pid file gone.
    qemu_guest.py KAIRO IMAGES_DIR WORKDIR"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "monitor"))
from monclient import Monitor, MonitorError, abort, finish, fresh_workdir, start_kairo  # noqa: E402

kairo, images, work = sys.argv[1:4]
for f in ("vmlinuz", "initrd.img"):
    if not os.path.exists(os.path.join(images, f)):
        print("FAIL: %s/%s missing (run images/build.sh)" % (images, f))
        sys.exit(1)
sock, pidfile, script = fresh_workdir(work, "mon.sock", "kairo.pid", "guest.sh")
# What the guest runs: the card up, DHCP through a script that prints the
# host name it was given, a few seconds for IPv6 autoconfiguration.
commands = ("modprobe ne2k-pci; ip link set eth0 up; "
            "printf '#!/bin/sh\\\\necho DHCP-$1-host=$hostname\\\\n' > /s; chmod +x /s; "
            "udhcpc -i eth0 -q -n -s /s; sleep 2; ip -6 addr show dev eth0; "
            "echo YEAR-$(date +%Y)-; echo GUEST-DONE\\n")
proc = start_kairo([kairo, "-m", "256", "-display", "none", "-name", "kairotest",
                    "-kernel", os.path.join(images, "vmlinuz"),
                    "-initrd", os.path.join(images, "initrd.img"),
                    "-append", "console=ttyS0 cryptomgr.notests",
                    "-rtc", "base=2006-06-17T16:01:21", "-no-shutdown", "-pidfile", pidfile,
                    "-serial", "stdio", "-monitor", "unix:" + sock, "--timeout", "170",
                    "--expect-timeout", "120",
                    "--expect", "KAIRO-GUEST-READY", "--expect", "# ", "--send", commands,
                    "--expect", "GUEST-DONE", "--send", "poweroff -f\\n"],
                   os.path.join(work, "kairo.log"), console=True)
try:
    mon = Monitor(sock)
    with open(pidfile) as f:
        pid = int(f.read())
    mon.check("pid file %d, kairo %d" % (pid, proc.pid), r"pid file (\d+), kairo \1$")
    second = subprocess.run([kairo, "-pidfile", pidfile, "-display", "none", "-nic", "none"],
                            capture_output=True, text=True, timeout=30)
    mon.check("second kairo: status %d, %s" % (second.returncode, second.stderr),
              r"status 1, kairo: -pidfile .*: another process holds it")
    if not proc.console.wait_for(r"GUEST-DONE.*GUEST-DONE", 130, proc):
        abort(proc, "the guest's commands did not finish\n" + proc.console.text[-3000:])
    text = proc.console.text
    mon.check(text, r"DHCP-bound-host=kairotest", r"inet6 fec0::[0-9a-f:]+/64",
              r"YEAR-2006-")
    for _ in range(600):   # the power-off reaches kairo's stderr
        if "stopped (-no-shutdown)" in open(os.path.join(work, "kairo.log")).read():
            break
        time.sleep(0.1)
    mon.cmd("info status", r"^VM status: paused \(shutdown\)$")
    boots = proc.console.text.count("Linux version")
    mon.cmd("system_reset")
    # The kernel's first console line is proof enough of a second boot.
    if not proc.console.wait_for(r"Linux version(.*Linux version){%d}" % boots, 120, proc):
        abort(proc, "no second boot after system_reset\n" + proc.console.text[-2000:])
    mon.cmd("info status", r"^VM status: running$")
    mon.quit()
except (MonitorError, OSError, ValueError) as e:
    abort(proc, e)
status = finish(proc, mon, 0)
log = open(os.path.join(work, "kairo.log")).read()
print(log)
if "stopped (-no-shutdown)" not in log:
    print("FAIL: no -no-shutdown notice on stderr")
    status = 1
if os.path.exists(pidfile):
    print("FAIL: the pid file outlived kairo")
    status = 1
sys.exit(status)
