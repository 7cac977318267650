# SPDX-License-Identifier: MIT
"""A small client for the Kairo monitor over a Unix socket, for the
monitor tests: send a command, read its answer up to the next prompt,
check it against regular expressions, keep a transcript."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

PROMPT = b"(kairo) "


class MonitorError(Exception):
    pass


class Monitor:
    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            # A fresh socket per attempt: a failed connect may spoil one.
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise MonitorError("cannot connect to " + path)
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.failures = 0
        self.greeting = self.answer()

    def answer(self):
        """Everything up to the next prompt (the prompt is consumed)."""
        while PROMPT not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                rest, self.buf = self.buf.decode(errors="replace"), b""
                raise MonitorError("connection closed; last output: " + rest)
            self.buf += data
        text, self.buf = self.buf.split(PROMPT, 1)
        text = text.decode(errors="replace")
        sys.stdout.write(text)
        return text

    def cmd(self, line, *expect, wait=True):
        """Send line; with wait, return its answer after checking that
        every regular expression in expect matches it."""
        sys.stdout.write("(kairo) " + line + "\n")
        self.sock.sendall(line.encode() + b"\n")
        if not wait:
            return ""
        text = self.answer()
        self.check(text, *expect)
        return text

    def check(self, text, *expect):
        for e in expect:
            if re.search(e, text, re.M):
                print("CHECK-OK  %r" % e)
            else:
                print("CHECK-FAIL %r" % e)
                self.failures += 1

    def stop_event(self, *expect):
        """The notice (and prompt) the monitor sends when the guest stops."""
        text = self.answer()
        self.check(text, *expect)
        return text

    def quit(self):
        """`quit`; the connection ends with the run."""
        sys.stdout.write("(kairo) quit\n")
        self.sock.sendall(b"quit\n")
        rest = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            rest += data
        sys.stdout.write((self.buf + rest).decode(errors="replace"))
        self.sock.close()


class Console:
    """kairo's stdout (the guest's serial console with -serial stdio),
    collected by a thread so that the pipe never fills."""

    def __init__(self, stream):
        self.text = ""
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream):
        for chunk in iter(lambda: stream.read1(4096), b""):
            with self.lock:
                self.text += chunk.decode(errors="replace")

    def wait_for(self, pattern, timeout, proc):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            with self.lock:
                if re.search(pattern, self.text, re.S):
                    return True
            time.sleep(0.1)
        return False


def fresh_workdir(work, *names):
    """WORKDIR made, and NAMES in it left over from an earlier run removed;
    their paths, in order."""
    os.makedirs(work, exist_ok=True)
    paths = [os.path.join(work, n) for n in names]
    for f in paths:
        if os.path.exists(f):
            os.unlink(f)
    return paths


def abort(proc, *lines):
    """A session that cannot go on: FAIL and LINES printed, kairo killed,
    exit status 1."""
    print("FAIL:", *lines)
    proc.kill()
    proc.wait()
    sys.exit(1)


def start_kairo(args, log_path, console=False):
    """kairo with its stderr in log_path; with console, its stdout is read
    into proc.console (a Console)."""
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if console else log, stderr=log)
    proc.console = Console(proc.stdout) if console else None
    return proc


def finish(proc, mon, expected_status, timeout=30):
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
        print("FAIL: kairo did not end after quit")
        return 1
    print("kairo exit status %d (expected %d), %d check(s) failed"
          % (status, expected_status, mon.failures))
    return 0 if status == expected_status and mon.failures == 0 else 1
