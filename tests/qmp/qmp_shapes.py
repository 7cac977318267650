# SPDX-License-Identifier: MIT
"""One QMP conversation held with qemu-system-i386 and with kairo, both
booting the same boot sector (hello.asm: a line, then cli; hlt): the
greeting, replies, errors and events must agree in shape (keys and value
types). QEMU's replies may carry more members (kairo's must be among
them); everything else must match exactly.
  qmp_shapes.py KAIRO HELLO.BIN WORKDIR"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import Qmp, shape  # noqa: E402

kairo, hello, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def conversation(emu):
    """The same steps against one emulator: a list of (step, message)."""
    img = os.path.join(work, emu + ".img")
    img2 = os.path.join(work, emu + "-2.img")
    with open(hello, "rb") as f:
        boot = f.read()
    for p in (img, img2):
        with open(p, "wb") as f:
            f.write(boot.ljust(1474560, b"\0"))
    sock = os.path.join(work, emu + ".sock")
    base = [kairo, "-icount", "sleep=off"] if emu == "kairo" else \
        ["qemu-system-i386", "-M", "pc", "-accel", "tcg", "-nodefaults", "-vga", "std"]
    argv = base + ["-m", "64", "-display", "none", "-serial", "null", "-fda", img,
                   "-qmp", "unix:%s,server=on" % sock]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, emu + ".err"), "wb"))
    steps = []
    try:
        q = Qmp(sock)
        steps.append(("greeting", q.greeting))
        steps.append(("before negotiation", q.command("query-status")))
        steps.append(("qmp_capabilities", q.command("qmp_capabilities")))
        for c in ("query-status", "query-version", "query-block", "query-chardev"):
            steps.append((c, q.command(c)))
        steps.append(("stop", q.command("stop")))
        steps.append(("STOP event", q.event("STOP", 10)))
        steps.append(("query-status stopped", q.command("query-status")))
        steps.append(("cont", q.command("cont")))
        steps.append(("RESUME event", q.event("RESUME", 10)))
        steps.append(("unknown command", q.command("no-such-command")))
        steps.append(("missing argument", q.command("screendump")))
        steps.append(("screendump", q.command("screendump",
                                              filename=os.path.join(work, emu + ".ppm"))))
        steps.append(("send-key", q.command("send-key", keys=[{"type": "qcode", "data": "a"}])))
        steps.append(("input-send-event", q.command("input-send-event", events=[
            {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "b"}}},
            {"type": "key", "data": {"down": False, "key": {"type": "qcode", "data": "b"}}}])))
        steps.append(("human-monitor-command",
                      q.command("human-monitor-command", **{"command-line": "info pic"})))
        steps.append(("eject unknown", q.command("eject", device="floppy9")))
        steps.append(("blockdev-change-medium", q.command("blockdev-change-medium",
                                                          device="floppy0", filename=img2)))
        steps.append(("eject", q.command("eject", device="floppy0")))
        steps.append(("system_reset", q.command("system_reset")))
        steps.append(("RESET event", q.event("RESET", 10)))
        steps.append(("system_powerdown", q.command("system_powerdown")))
        steps.append(("POWERDOWN event", q.event("POWERDOWN", 10)))
        steps.append(("quit", q.command("quit")))
        steps.append(("SHUTDOWN event", q.event("SHUTDOWN", 10)))
        proc.wait(20)
        steps.append(("exit status", {"status": proc.returncode}))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return steps


def subset(k, q):
    """Every member of kairo's shape is in QEMU's, with the same shape."""
    if isinstance(k, dict) and isinstance(q, dict):
        return all(key in q and subset(v, q[key]) for key, v in k.items())
    if isinstance(k, list) and isinstance(q, list):
        return not k or not q or subset(k[0], q[0])
    return k == q


LOOSE = {"query-block", "query-chardev", "query-version"}   # QEMU may have more members
if shutil.which("qemu-system-i386") is None:
    check(False, "qemu-system-i386 is installed (setup.sh: qemu-system-x86)")
    sys.exit(1)
qemu, ours = conversation("qemu"), conversation("kairo")
check(len(qemu) == len(ours), "both conversations ran to the end (%d and %d steps)"
      % (len(qemu), len(ours)))
for (step, qm), (_, km) in zip(qemu, ours):
    qs, ks = shape(qm), shape(km)
    if step == "human-monitor-command":
        ok = ks == qs   # the text differs (each emulator's own monitor), the type not
    elif step in LOOSE:
        ok = subset(ks, qs)
    else:
        ok = ks == qs
    if "error" in qm or "error" in km:
        ok = ok and qm.get("error", {}).get("class") == km.get("error", {}).get("class")
    detail = "" if ok else "\n     qemu:  %s\n     kairo: %s" % (qm, km)
    check(ok, "%s: %s%s" % (step, ks if step != "greeting" else "greeting shape", detail))
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
