# SPDX-License-Identifier: MIT
"""The Debian guest with images/vmtools.sh's disk, for the vmport tests:
boot with -device vmport and QMP, type shell lines on ttyS0 and read their
output and exit status, mount the open-vm-tools disk (chroot at /mnt)."""
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qmp"))
from qmpclient import Qmp  # noqa: E402,F401


class Checks:
    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.failures.append(what)

    def exit(self, name):
        print("%s: %d failures" % (name, len(self.failures)))
        sys.exit(1 if self.failures else 0)


class Guest:
    def __init__(self, kairo, images, work, extra, timeout=300):
        for f in ("vmlinuz", "initrd.img", "vmtools.img"):
            if not os.path.exists(os.path.join(images, f)):
                raise SystemExit("%s missing (images/build.sh, images/vmtools.sh)" % f)
        os.makedirs(work, exist_ok=True)
        self.sock = os.path.join(work, "qmp.sock")
        self.hclog = os.path.join(work, "hostcall.log")
        argv = [kairo, "-m", "256", "-display", "none", "-serial", "stdio",
                "-icount", "sleep=off", "-kernel", os.path.join(images, "vmlinuz"),
                "-initrd", os.path.join(images, "initrd.img"),
                "-append", "console=ttyS0 quiet cryptomgr.notests",
                "-hda", os.path.join(images, "vmtools.img"), "-snapshot",
                "-device", "vmport", "-d", "hostcall", "-D", self.hclog,
                "-qmp", "unix:%s,server" % self.sock, "--timeout", str(timeout)] + extra
        print("run:", " ".join(argv), flush=True)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(work, "kairo.err"), "wb"))
        self.serial = bytearray()
        self.lock = threading.Lock()
        self.mark = 0
        threading.Thread(target=self._reader, daemon=True).start()
        self.q = Qmp(self.sock)
        self.q.cmd("qmp_capabilities")

    def _reader(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                return
            with self.lock:
                self.serial.extend(data)

    def expect(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                m = re.search(pattern.encode(), self.serial[self.mark:])
                if m:
                    self.mark += m.end()
                    return m
            time.sleep(0.05)
        with self.lock:
            tail = bytes(self.serial[-400:])
        raise TimeoutError("'%s' not seen; tail %r" % (pattern, tail))

    def run(self, cmd, timeout=60):
        """A shell line; returns (output, exit status)."""
        # The markers as printed differ from the line as echoed (quotes, $?).
        self.proc.stdin.write(("echo BEGIN-\"\"MARK; %s; echo \"END-$?-MARK\"\n" % cmd).encode())
        self.proc.stdin.flush()
        m = self.expect(r"BEGIN-MARK\r?\n((?:.|\n)*?)END-(\d+)-MARK", timeout)
        return m.group(1).decode(errors="replace"), int(m.group(2))

    def boot(self, check):
        self.expect("KAIRO-GUEST-READY", 120)
        self.expect("# ", 30)
        out, rc = self.run("modprobe ata_piix; modprobe sd_mod; modprobe ext4; "
                           "modprobe ne2k-pci; sleep 1; "
                           "mount /dev/sda /mnt && mount -t proc proc /mnt/proc && "
                           "mount -t sysfs sys /mnt/sys && mount -t devtmpfs dev /mnt/dev")
        check(rc == 0, "the open-vm-tools disk is mounted (rc %d)" % rc)

    def hmp(self, line):
        return self.q.cmd("human-monitor-command", **{"command-line": line})

    def log(self):
        with open(self.hclog, errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
