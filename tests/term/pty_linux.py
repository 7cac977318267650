# SPDX-License-Identifier: MIT
"""The Debian guest under -nographic on a pseudo-terminal, as a person
runs it (issue 15): raw mode, no host echo of a password, Ctrl-C reaches
the guest, real-time pacing of `sleep 10` and the idle CPU use, a
write-through -serial file:, and Ctrl-A x ending kairo with status 0 and
the terminal's settings restored. Then `sleep 10` again under
-icount ...,sleep=off, which must take next to no host time.
  pty_linux.py KAIRO IMAGES WORKDIR"""
import os
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyguest import PtyKairo  # noqa: E402

kairo, images, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def boot(tag, *extra):
    com2 = os.path.join(work, tag + "-com2.txt")
    argv = [kairo, "-m", "256", "-nographic", "--timeout", "240",
            "-kernel", os.path.join(images, "vmlinuz"),
            "-initrd", os.path.join(images, "initrd.img"),
            "-append", "console=ttyS0 quiet cryptomgr.notests",
            "-serial", "mon:stdio", "-serial", "file:" + com2] + list(extra)
    print("run:", " ".join(argv), flush=True)
    k = PtyKairo(argv, os.path.join(work, tag + ".log"))
    k.expect(b"KAIRO-GUEST-READY", 200)
    k.expect(b"# ", 60)
    return k, com2


def timed_sleep(k, seconds):
    """Host seconds a guest `sleep` takes, from the command's echo to the
    marker after it."""
    k.type(b"sleep %d; echo SLEPT-$((40+2))\r" % seconds)
    t0 = k.expect(b"sleep %d; echo SLEPT" % seconds, 10)
    t1 = k.expect(b"SLEPT-42", seconds + 30)
    k.expect(b"# ", 10)
    return t1 - t0


k, com2 = boot("paced")
try:
    t = k.termios()
    check(not (t[3] & termios.ECHO) and not (t[3] & termios.ICANON),
          "-nographic puts the terminal in raw mode (no ECHO, no ICANON)")
    check(not (t[3] & termios.ISIG), "mon:stdio: no terminal signals (Ctrl-C is the guest's)")

    # A password: the guest turns its echo off; the host must not echo.
    k.type(b"stty -echo; read pw; stty echo; echo GOT-$pw-END\r")
    k.expect(b"GOT-\\$pw-END\r*\n", 10)   # the guest's echo of the command line
    time.sleep(0.5)
    k.type(b"hunter2\r")
    k.expect(b"GOT-hunter2-END", 10)
    with open(os.path.join(work, "paced.log"), "rb") as f:
        seen = f.read()
    check(seen.count(b"hunter2") == 1,
          "a typed password is not echoed: it appears once, in the guest's GOT- line")
    k.expect(b"# ", 10)

    # Ctrl-C reaches the guest and interrupts its sleep.
    k.type(b"sleep 30; echo NOT-INTERRUPTED\r")
    k.expect(b"NOT-INTERRUPTED", 10)          # the echo of the line
    time.sleep(1.0)
    t0 = time.monotonic()
    k.type(b"\x03")
    k.expect(b"# ", 10)
    check(time.monotonic() - t0 < 5 and b"NOT-INTERRUPTED" not in k.buf,
          "Ctrl-C interrupts the guest's sleep 30 (%.1f s)" % (time.monotonic() - t0))

    # -serial file: writes through: a prompt without a newline is there
    # while the guest still sleeps.
    k.type(b"printf 'login: ' > /dev/ttyS1; sleep 3\r")
    k.expect(b"sleep 3\r*\n", 10)
    time.sleep(1.0)
    with open(com2, "rb") as f:
        content = f.read()
    check(content.endswith(b"login: "), "-serial file: shows 'login: ' before any newline (%r)"
          % content[-20:])
    k.expect(b"# ", 10)

    # Ctrl-A c: the monitor on the same terminal, and back.
    k.type(b"\x01c")
    k.expect(b"\\(kairo\\) ", 10)
    k.type(b"info pic\r")
    k.expect(b"irr", 10)
    k.expect(b"\\(kairo\\) ", 10)
    k.type(b"\x01c")
    time.sleep(0.3)
    k.type(b"echo back-$((3*7))\r")
    k.expect(b"back-21", 10)
    k.expect(b"# ", 10)
    check(True, "Ctrl-A c switches to the monitor (info pic answered) and back to the guest")

    # Idle at the shell: CPU use of kairo, the lower of two 5 s windows
    # (a neighbour's burst on a shared host inflates one window's count).
    time.sleep(1.0)
    windows = []
    for _ in range(2):
        c0, w0 = k.cpu_seconds(), time.monotonic()
        time.sleep(5.0)
        windows.append(100.0 * (k.cpu_seconds() - c0) / (time.monotonic() - w0))
    idle = min(windows)
    check(idle < 5.0, "idle guest at its shell uses %.1f %% of a host core (< 5 %%)" % idle)

    d = timed_sleep(k, 10)
    check(abs(d - 10.0) <= 0.5, "sleep 10 takes %.2f host s by default (10 +- 0.5)" % d)

    # Ctrl-A x: kairo ends with 0 and the terminal is back in line mode.
    k.type(b"\x01x")
    st = k.wait(10)
    t = k.termios()
    check(st == 0, "Ctrl-A x ends kairo with status %s (0)" % st)
    check(bool(t[3] & termios.ECHO) and bool(t[3] & termios.ICANON) and bool(t[3] & termios.ISIG),
          "the terminal's settings are restored (ECHO, ICANON, ISIG)")
finally:
    k.kill()

k, _ = boot("nosleep", "-icount", "shift=auto,sleep=off")
try:
    d = timed_sleep(k, 10)
    check(d < 3.0, "sleep 10 takes %.2f host s under -icount shift=auto,sleep=off (~0)" % d)
    k.type(b"poweroff -f\r")
    st = k.wait(30)
    check(st == 0, "poweroff -f ends the run with %s (0)" % st)
finally:
    k.kill()

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
