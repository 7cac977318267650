# SPDX-License-Identifier: MIT
"""QEMU's own Python QMP client (qemu.qmp from Debian's qemu source
package, fetched by fetch_qemu_python.sh) and its qmp-shell, unchanged,
against kairo booting the harness boot sector.
  qemu_client.py KAIRO HELLO.BIN QEMU_PYTHON_DIR WORKDIR"""
import os
import subprocess
import sys
import time

kairo, hello, pydir, work = sys.argv[1:5]
sys.path.insert(0, pydir)
from qemu.qmp.legacy import QEMUMonitorProtocol  # noqa: E402

os.makedirs(work, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


img = os.path.join(work, "hello.img")
with open(hello, "rb") as f:
    boot = f.read()
with open(img, "wb") as f:
    f.write(boot.ljust(1474560, b"\0"))


def start(sock):
    if os.path.exists(sock):
        os.remove(sock)
    return subprocess.Popen([kairo, "-fda", img, "-display", "none", "-serial", "null",
                             "-icount", "sleep=off", "-qmp", "unix:%s,server,wait=off" % sock,
                             "--timeout", "60"],
                            stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# The library's synchronous client, as QEMU's iotests use it.
sock = os.path.join(work, "lib.sock")
proc = start(sock)
try:
    q = QEMUMonitorProtocol(sock)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    greeting = q.connect(negotiate=True)
    check("QMP" in greeting, "connect(negotiate=True) reads the greeting and negotiates")
    st = q.cmd("query-status")
    check(st.get("return", {}).get("running") is True, "query-status: %s" % st.get("return"))
    q.cmd("stop")
    ev = q.pull_event(wait=True)
    check(ev and ev["event"] == "STOP", "stop: the client receives STOP")
    q.cmd("cont")
    ev = q.pull_event(wait=True)
    check(ev and ev["event"] == "RESUME", "cont: the client receives RESUME")
    blk = q.cmd("query-block")
    check(blk["return"][0]["inserted"]["file"] == img, "query-block: floppy0 holds the image")
    out = q.cmd("human-monitor-command", {"command-line": "info pic"})
    check("irr" in out.get("return", ""), "human-monitor-command returns the monitor's text")
    bad = q.cmd("no-such-command")
    check(bad.get("error", {}).get("class") == "CommandNotFound", "an unknown command's error")
    q.cmd("system_reset")
    ev = q.pull_event(wait=True)
    check(ev and ev["event"] == "RESET", "system_reset: RESET")
    check(q.cmd("quit") == {"return": {}}, "quit is answered")
    try:
        q.close()
    except EOFError:
        pass   # kairo went away after quit (QEMU does the same)
    check(proc.wait(20) == 0, "kairo ended with status 0")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()

# qmp-shell, fed commands on stdin.
sock = os.path.join(work, "shell.sock")
proc = start(sock)
try:
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    env = dict(os.environ, PYTHONPATH=pydir)
    sh = subprocess.run([sys.executable, "-m", "qemu.qmp.qmp_shell", sock],
                        input="query-status\nquery-chardev\nquit\n", capture_output=True,
                        text=True, env=env, timeout=30)
    print(sh.stdout)
    check("'running': True" in sh.stdout or '"running": true' in sh.stdout,
          "qmp-shell: query-status answered")
    check(proc.wait(20) == 0, "qmp-shell's quit ends kairo with 0")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
