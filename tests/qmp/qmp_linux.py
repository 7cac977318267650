# SPDX-License-Identifier: MIT
"""The Debian guest driven through QMP alone (issue 15): the serial
marker, stop/cont (the guest makes no progress while stopped), a
screendump, send-key typing into the guest's VT, a floppy changed and
ejected under the guest, system_reset and its RESET event, then
system_powerdown: the guest's ACPI power button handler powers it off
(POWERDOWN, SHUTDOWN), -no-shutdown keeps kairo there, and quit ends it.
  qmp_linux.py KAIRO IMAGES WORKDIR"""
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


def floppy(path, text):
    with open(path, "wb") as f:
        f.write(text.encode().ljust(1474560, b"\0"))


fda, fdb = os.path.join(work, "a.img"), os.path.join(work, "b.img")
floppy(fda, "FLOPPY-ONE")
floppy(fdb, "FLOPPY-TWO")
sock = os.path.join(work, "qmp.sock")
shot = os.path.join(work, "screen.ppm")
argv = [kairo, "-m", "256", "-display", "none", "-serial", "stdio", "-icount", "sleep=off",
        "-kernel", os.path.join(images, "vmlinuz"), "-initrd", os.path.join(images, "initrd.img"),
        "-append", "console=ttyS0 quiet cryptomgr.notests", "-fda", fda, "-no-shutdown",
        "-qmp", "unix:%s,server" % sock, "--timeout", "240"]
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
        tail = bytes(serial[-300:])
    raise TimeoutError("'%s' not seen; tail %r" % (pattern, tail))


def type_line(text):
    proc.stdin.write(text.encode() + b"\n")
    proc.stdin.flush()


try:
    q = Qmp(sock)
    check("QMP" in q.greeting and q.greeting["QMP"]["capabilities"] == ["oob"],
          "greeting with version and capabilities")
    q.cmd("qmp_capabilities")
    expect("KAIRO-GUEST-READY", 120)
    expect("# ", 30)
    check(q.cmd("query-status")["running"], "query-status: running")

    # stop / cont: nothing typed is answered while stopped.
    q.cmd("stop")
    check(q.event("STOP", 5)["event"] == "STOP" and q.cmd("query-status")["status"] == "paused",
          "stop: STOP event, status paused")
    type_line("echo TICK-$((40+2))")
    time.sleep(1.5)
    with lock:
        quiet = b"TICK-42" not in serial[mark:]
    check(quiet, "the stopped guest does not run (no answer in 1.5 s)")
    q.cmd("cont")
    q.event("RESUME", 5)
    expect("TICK-42", 20)
    check(True, "cont: RESUME event, the guest answers")
    expect("# ", 10)

    # screendump (QEMU's default format, PPM).
    q.cmd("screendump", filename=shot)
    with open(shot, "rb") as f:
        head = f.read(20)
    check(head.startswith(b"P6\n720 400\n255\n") and os.path.getsize(shot) == 15 + 720 * 400 * 3,
          "screendump: a 720x400 PPM of the text screen")

    # send-key: letters and Enter reach the guest's first VT.
    type_line("k=$(dd if=/dev/tty1 bs=1 count=6 2>/dev/null); echo KEY-$k-END")
    time.sleep(1.0)
    for key in ["k", "a", "i", "r", "o", "ret"]:
        q.cmd("send-key", keys=[{"type": "qcode", "data": key}])
        time.sleep(0.05)
    m = expect("KEY-([a-z]*)-END", 20)
    check(m.group(1) == b"kairo", "send-key: the guest read 'kairo' from its keyboard (%r)"
          % m.group(1))
    expect("# ", 10)

    # Floppy media change, seen by the guest.
    read_fd0 = "echo \"DATA<$(dd if=/dev/fd0 bs=10 count=1 2>/dev/null)>\""
    type_line("modprobe floppy; " + read_fd0)
    m = expect(r"DATA<([A-Z-]*)>", 30)
    check(m.group(1) == b"FLOPPY-ONE", "the guest reads the first floppy (%r)" % m.group(1))
    block = q.cmd("query-block")
    fd0 = [d for d in block if d["device"] == "floppy0"]
    check(fd0 and fd0[0]["inserted"]["file"] == fda, "query-block shows floppy0 with a.img")
    q.cmd("blockdev-change-medium", device="floppy0", filename=fdb)
    # Linux looks at the change line when it last did so more than its
    # check period (3 s) ago: a person takes that long to swap a disk; a
    # read that still meets the change fails once ("disk changed during
    # operation"), as on a real drive, and the next one reads the new disk.
    type_line("sleep 4; for i in 1 2 3; do d=$(dd if=/dev/fd0 bs=10 count=1 2>/dev/null) && "
              "[ -n \"$d\" ] && break; sleep 1; done; echo \"DATA<$d>\"")
    m = expect(r"DATA<([A-Z-]*)>", 30)
    check(m.group(1) == b"FLOPPY-TWO", "after blockdev-change-medium the guest reads the "
          "second floppy (%r)" % m.group(1))
    q.cmd("eject", device="floppy0")
    check("inserted" not in [d for d in q.cmd("query-block") if d["device"] == "floppy0"][0],
          "eject: floppy0 is empty in query-block")
    type_line("dd if=/dev/fd0 bs=10 count=1 >/dev/null 2>&1; echo RC-$?-END")
    m = expect(r"RC-(\d+)-END", 60)
    check(m.group(1) != b"0", "after eject the guest's read fails (dd status %s)"
          % m.group(1).decode())
    expect("# ", 10)
    err = q.command("eject", device="floppy9")
    check(err.get("error", {}).get("class") == "DeviceNotFound", "eject of an unknown drive: "
          "DeviceNotFound")

    # human-monitor-command: the text monitor's answer as a string.
    out = q.cmd("human-monitor-command", **{"command-line": "info pic"})
    check(isinstance(out, str) and "IRR" in out.upper(),
          "human-monitor-command runs the monitor (%r...)" % out[:40])

    # system_reset: the RESET event, the guest boots again.
    q.cmd("system_reset")
    ev = q.event("RESET", 10)
    check(ev.get("data") == {"guest": False, "reason": "host-qmp-system-reset"},
          "system_reset: RESET event %s" % ev.get("data"))
    expect("KAIRO-GUEST-READY", 120)
    expect("# ", 30)
    check(True, "the guest booted again after the reset")

    # system_powerdown: the power button; the guest's handler powers off.
    type_line("modprobe button; (while ! grep -q '^ *[1-9]' "
              "/sys/firmware/acpi/interrupts/ff_pwr_btn; do sleep 0.2; done; poweroff -f) &")
    expect("# ", 10)
    time.sleep(0.5)
    q.cmd("system_powerdown")
    q.event("POWERDOWN", 5)
    ev = q.event("SHUTDOWN", 60)
    check(ev.get("data") == {"guest": True, "reason": "guest-shutdown"},
          "system_powerdown: POWERDOWN, then the guest's SHUTDOWN %s" % ev.get("data"))
    check(proc.poll() is None and q.cmd("query-status")["status"] == "shutdown",
          "-no-shutdown: kairo stays, the guest shut down (status shutdown, as QEMU)")
    q.cmd("quit")
    ev = q.event("SHUTDOWN", 10)
    check(ev.get("data", {}).get("reason") == "host-qmp-quit", "quit: SHUTDOWN host-qmp-quit")
    st = proc.wait(30)
    check(st == 0, "quit: kairo exits with %d (0)" % st)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    print(open(os.path.join(work, "kairo.err")).read())

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
