# SPDX-License-Identifier: MIT
"""Debian's own open-vm-tools:i386 against -device vmport (issue 19), in
the Debian guest with images/vmtools.sh's disk chrooted into:
vmware-checkvm reports a VMware machine; vmware-rpctool info-get prints the
-vmport guestinfo value and info-set reaches the host; vmtoolsd runs, and
the host sees the guest's OS and IP address through the monitor (info
guest, over QMP's human-monitor-command) and query-guest; the host's soft
power-off request (QMP guest-request poweroff: TCLO OS_Halt) makes the
guest shut down through its own shutdown command.
  vmtools_guest.py KAIRO IMAGES WORKDIR"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Checks, Guest  # noqa: E402

kairo, images, work = sys.argv[1:4]
check = Checks()


def wait_guest(q, key, pattern, timeout):
    deadline = time.monotonic() + timeout
    info = {}
    while time.monotonic() < deadline:
        info = q.cmd("query-guest")
        if re.search(pattern, info.get(key, "")):
            return info
        time.sleep(0.5)
    return info


g = Guest(kairo, images, work, ["-vmport", "guestinfo.kairo=value-from-kairo-42"])
q = g.q
run = g.run
try:
    g.boot(check)
    out, rc = run("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; hostname kairo-guest")
    out, rc = run("chroot /mnt /usr/bin/vmware-checkvm")
    check(rc == 0 and "VMware software version 6 (good)" in out,
          "vmware-checkvm: %r (rc %d)" % (out.strip()[-60:], rc))
    out, rc = run("chroot /mnt /usr/bin/vmware-rpctool 'info-get guestinfo.kairo'")
    check(rc == 0 and "value-from-kairo-42" in out,
          "vmware-rpctool info-get guestinfo.kairo: %r" % out.strip()[-60:])
    out, rc = run("chroot /mnt /usr/bin/vmware-rpctool 'info-get guestinfo.nothere'")
    check(rc != 0, "info-get of an unset variable fails (rc %d)" % rc)
    out, rc = run("chroot /mnt /usr/bin/vmware-rpctool 'info-set guestinfo.fromguest 1234'")
    check(rc == 0, "vmware-rpctool info-set (rc %d)" % rc)
    info = q.cmd("query-guest")
    check(info["guestinfo"].get("guestinfo.fromguest") == "1234",
          "query-guest shows the variable the guest set")

    # vmtoolsd in the background; it opens the TCLO channel and reports.
    out, rc = run("chroot /mnt /usr/bin/vmtoolsd -b /run/vmtoolsd.pid")
    check(rc == 0, "vmtoolsd started in the background (rc %d)" % rc)
    info = wait_guest(q, "os", "Linux|Debian", 60)
    check(info.get("tools-running") is True, "query-guest: the tools are running")
    caps = re.search(r"capabilities: (\d+)", g.hmp("info guest"))
    check(caps and int(caps.group(1)) > 0,
          "the tools registered capabilities (%s)" % (caps.group(1) if caps else "?"))
    check("Linux" in info.get("os", "") or "Debian" in info.get("os", ""),
          "the host sees the guest OS: %r" % info.get("os"))
    info = wait_guest(q, "addresses", r"10\.0\.2\.15", 30)
    check("10.0.2.15" in info.get("addresses", ""),
          "the guest's NIC report: %r %r" % (info.get("mac"), info.get("addresses")))
    g.hmp("guest ip")
    info = wait_guest(q, "ip", r"10\.0\.2\.15", 30)
    check(info.get("ip") == "10.0.2.15", "broadcastIP: the primary IP %r" % info.get("ip"))
    text = g.hmp("info guest")
    print(text, flush=True)
    check("10.0.2.15" in text and "running" in text, "info guest shows the IP and the tools")

    # Soft power-off: TCLO OS_Halt -> vmtoolsd runs the guest's shutdown.
    q.cmd("guest-request", request="poweroff")
    g.expect("KAIRO-SHUTDOWN", 90)
    check(True, "the guest ran its shutdown command on the host's request")
    rc = g.proc.wait(60)
    check(rc == 0, "kairo exited 0 after the guest powered off (%d)" % rc)
    check("tclo request \"OS_Halt\"" in g.log(), "-d hostcall logged the OS_Halt request")
except Exception as ex:  # noqa: BLE001
    check(False, "exception: %s" % ex)
finally:
    g.close()
check.exit("vmtools_guest")
