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
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qmp"))
from qmpclient import Qmp  # noqa: E402

kairo, images, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


for f in ("vmlinuz", "initrd.img", "vmtools.img"):
    if not os.path.exists(os.path.join(images, f)):
        print("vmtools_guest: %s missing (images/build.sh, images/vmtools.sh)" % f)
        sys.exit(1)
sock = os.path.join(work, "qmp.sock")
hclog = os.path.join(work, "hostcall.log")
argv = [kairo, "-m", "256", "-display", "none", "-serial", "stdio", "-icount", "sleep=off",
        "-kernel", os.path.join(images, "vmlinuz"), "-initrd", os.path.join(images, "initrd.img"),
        "-append", "console=ttyS0 quiet cryptomgr.notests",
        "-hda", os.path.join(images, "vmtools.img"), "-snapshot",
        "-device", "vmport", "-vmport", "guestinfo.kairo=value-from-kairo-42",
        "-d", "hostcall", "-D", hclog,
        "-qmp", "unix:%s,server" % sock, "--timeout", "300"]
print("run:", " ".join(argv), flush=True)
proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=open(os.path.join(work, "kairo.err"), "wb"))
serial = bytearray()
lock = threading.Lock()


def reader():
    while True:
        data = proc.stdout.read1(4096)
        if not data:
            return
        with lock:
            serial.extend(data)


threading.Thread(target=reader, daemon=True).start()
mark = 0


def expect(pattern, timeout):
    """Wait for a regex in the serial output after the last match."""
    global mark
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            m = re.search(pattern.encode(), serial[mark:])
            if m:
                mark += m.end()
                return m
        time.sleep(0.05)
    with lock:
        tail = bytes(serial[-400:])
    raise TimeoutError("'%s' not seen; tail %r" % (pattern, tail))


def run(cmd, timeout=60):
    """Type a shell line, return its output up to the end marker."""
    proc.stdin.write(("%s; echo \"END-$?-MARK\"\n" % cmd).encode())
    proc.stdin.flush()
    m = expect(r"\r?\n((?:.|\n)*?)END-(\d+)-MARK", timeout)
    return m.group(1).decode(errors="replace"), int(m.group(2))


def hmp(q, line):
    return q.cmd("human-monitor-command", **{"command-line": line})


def wait_guest(q, key, pattern, timeout):
    deadline = time.monotonic() + timeout
    info = {}
    while time.monotonic() < deadline:
        info = q.cmd("query-guest")
        if re.search(pattern, info.get(key, "")):
            return info
        time.sleep(0.5)
    return info


try:
    q = Qmp(sock)
    q.cmd("qmp_capabilities")
    expect("KAIRO-GUEST-READY", 120)
    expect("# ", 30)
    out, rc = run("modprobe ata_piix; modprobe sd_mod; modprobe ext4; modprobe ne2k-pci; sleep 1; "
                  "mount /dev/sda /mnt && mount -t proc proc /mnt/proc && "
                  "mount -t sysfs sys /mnt/sys && mount -t devtmpfs dev /mnt/dev && "
                  "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; "
                  "hostname kairo-guest")
    check(rc == 0, "the open-vm-tools disk is mounted (rc %d)" % rc)

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
    check("Linux" in info.get("os", "") or "Debian" in info.get("os", ""),
          "the host sees the guest OS: %r" % info.get("os"))
    info = wait_guest(q, "addresses", r"10\.0\.2\.15", 30)
    check("10.0.2.15" in info.get("addresses", ""),
          "the guest's NIC report: %r %r" % (info.get("mac"), info.get("addresses")))
    hmp(q, "guest ip")
    info = wait_guest(q, "ip", r"10\.0\.2\.15", 30)
    check(info.get("ip") == "10.0.2.15", "broadcastIP: the primary IP %r" % info.get("ip"))
    text = hmp(q, "info guest")
    print(text, flush=True)
    check("10.0.2.15" in text and "running" in text, "info guest shows the IP and the tools")

    # Soft power-off: TCLO OS_Halt -> vmtoolsd runs the guest's shutdown.
    q.cmd("guest-request", request="poweroff")
    expect("KAIRO-SHUTDOWN", 90)
    check(True, "the guest ran its shutdown command on the host's request")
    rc = proc.wait(60)
    check(rc == 0, "kairo exited 0 after the guest powered off (%d)" % rc)
    with open(hclog, errors="replace") as f:
        log = f.read()
    check("tclo request \"OS_Halt\"" in log, "-d hostcall logged the OS_Halt request")
except Exception as ex:  # noqa: BLE001
    check(False, "exception: %s" % ex)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
print("vmtools_guest: %d failures" % len(failures))
sys.exit(1 if failures else 0)
