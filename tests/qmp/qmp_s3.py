# SPDX-License-Identifier: MIT
"""ACPI S3 with the Debian guest (issue 15): `echo mem > /sys/power/state`
suspends it (the SUSPEND event, status "suspended"), QMP system_wakeup
resumes it (WAKEUP) and the shell carries on; then an RTC alarm
(/sys/class/rtc/rtc0/wakealarm) wakes it by itself, in host time: the
default pacing, so the 3 s alarm takes about 3 s.
  qmp_s3.py KAIRO IMAGES WORKDIR"""
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Qmp  # noqa: E402

kairo, images, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


sock = os.path.join(work, "qmp.sock")
argv = [kairo, "-m", "256", "-display", "none", "-serial", "stdio",
        "-kernel", os.path.join(images, "vmlinuz"), "-initrd", os.path.join(images, "initrd.img"),
        "-append", "console=ttyS0 quiet cryptomgr.notests", "-qmp", "unix:%s,server" % sock,
        "--timeout", "200"]
print("run:", " ".join(argv), flush=True)
proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=open(os.path.join(work, "kairo.err"), "wb"))
serial = bytearray()
lock = threading.Lock()


def reader():
    for data in iter(lambda: proc.stdout.read1(4096), b""):
        with lock:
            serial.extend(data)


threading.Thread(target=reader, daemon=True).start()
mark = 0


def expect(pattern, timeout):
    global mark
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            m = re.search(pattern.encode(), serial[mark:])
            if m:
                mark += m.end()
                return time.monotonic()
        time.sleep(0.05)
    raise TimeoutError("'%s' not seen; tail %r" % (pattern, bytes(serial[-300:])))


def type_line(text):
    proc.stdin.write(text.encode() + b"\n")
    proc.stdin.flush()


try:
    q = Qmp(sock)
    q.cmd("qmp_capabilities")
    expect("KAIRO-GUEST-READY", 150)
    expect("# ", 30)
    type_line("grep -o mem /sys/power/state; echo STATES-END")
    expect("mem\r?\n", 10)
    check(True, "the guest offers S3 (mem in /sys/power/state)")

    type_line("echo mem > /sys/power/state; echo WOKE-$((20+1))")
    q.event("SUSPEND", 30)
    check(q.cmd("query-status")["status"] == "suspended", "SUSPEND event, status suspended")
    time.sleep(1.0)
    with lock:
        asleep = b"WOKE-21" not in serial[mark:]
    check(asleep, "the suspended guest does not run")
    q.cmd("system_wakeup")
    q.event("WAKEUP", 10)
    expect("WOKE-21", 30)
    check(True, "system_wakeup: WAKEUP, the guest resumes where it slept")
    type_line("echo alive-$((6*7))")
    expect("alive-42", 20)
    check(True, "the shell keeps running after the resume")
    err = q.command("system_wakeup")
    check(err.get("error", {}).get("class") == "GenericError",
          "system_wakeup of a running guest is refused")

    # The alarm is set 3 s ahead; the guest's own suspend work happens
    # within those 3 s (paced: in host time too).
    t0 = time.monotonic()
    type_line("echo +3 > /sys/class/rtc/rtc0/wakealarm; echo mem > /sys/power/state; "
              "echo RTC-$((30+3))")
    q.event("SUSPEND", 30)
    q.event("WAKEUP", 30)
    took = time.monotonic() - t0
    expect("RTC-33", 30)
    check(2.0 < took < 6.0, "an RTC alarm 3 s ahead wakes the guest by itself, %.1f s after "
          "it was set" % took)
    type_line("echo alive-$((6*8))")
    expect("alive-48", 20)
    check(True, "the shell keeps running after the RTC wake-up")
    type_line("poweroff -f")
    check(proc.wait(30) == 0, "poweroff -f ends the run with 0")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    print(open(os.path.join(work, "kairo.err")).read())
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
