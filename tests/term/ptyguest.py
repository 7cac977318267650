# SPDX-License-Identifier: MIT
"""Kairo on a pseudo-terminal, as a person's terminal would run it: start
it as the session leader of a pty, read what it writes, type into it, and
look at the terminal's settings from the master side."""
import os
import pty
import re
import select
import termios
import time


class PtyKairo:
    def __init__(self, argv, log_path):
        self.log = open(log_path, "wb")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.buf = b""
        self.status = None

    def pump(self, timeout):
        """Read what is there within timeout seconds; False at EOF."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.log.write(data)
        self.log.flush()
        self.buf += data
        return True

    def expect(self, pattern, timeout):
        """Wait for the regular expression (bytes) in the output since the
        last match; returns the time it matched, raises on timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.2)):
                if left > 0:
                    time.sleep(0.05)
                    if rx.search(self.buf):
                        continue
                raise TimeoutError("'%s' not seen; tail: %r" % (pattern.decode(), self.buf[-300:]))

    def type(self, data):
        os.write(self.fd, data)

    def termios(self):
        return termios.tcgetattr(self.fd)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                while self.pump(0.05):
                    pass
                return self.status
            self.pump(0.1)
        raise TimeoutError("kairo did not end")

    def cpu_seconds(self):
        """user + system CPU time of kairo so far (/proc/PID/stat)."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
