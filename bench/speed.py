#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kairo's speed beside QEMU TCG (and Bochs), printed as one table.

  bench/speed.py [--kairo PATH] [--images DIR] [--iterations N] [--runs 3]
                 [--only PARTS] [--skip PARTS] [--no-linux] [--no-qemu] [--bochs]
                 [--no-cachegrind] [--self-test]

PARTS (comma-separated; default all): roms, linux, busybox, startup, dos,
kolibri.
  roms     the bench ROMs of bench/shapes.asm (alu, mem, call, string) and
           bench/bench.asm (mixed): guest instructions (kairo --stats,
           exact), MIPS, host instructions per guest instruction
  linux    Debian's 686 kernel with the busybox initramfs of images/build.sh
           to its shell prompt (-kernel/-initrd, cryptomgr.notests, -m 128),
           and the resident size of the 128 MiB guest at the prompt
  busybox  the same kernel running bench/workload_image.sh's script: 16 MiB
           generated in the guest, a shell loop, md5sum, sha256sum, gzip,
           and a compile-like phase (Debian's tcc compiles, links and runs a
           generated C program); each phase timed from its marker line on
           the guest's serial port
  startup  the fixed cost in the boot rows below: the emulator started on the
           FreeDOS floppy and ended at its first QMP answer
  dos      FreeDOS from its floppy to the `A:\\>` prompt on the text screen
  kolibri  KolibriOS from its floppy to its desktop (panel and icons drawn)
Every figure is the median of --runs runs. Seconds are the emulator's user
CPU time (the machine is shared: wall time, printed beside it, varies with
the load); a phase's time is the difference of the process's user time
(/proc/PID/stat) when its marker line arrived and when the one before did.
--bochs adds Bochs 2.7 to the `mixed` ROM (about 1/20 of kairo's speed).
--self-test checks the parsers and the table on canned input (no emulator).
"""
import argparse
import json
import os
import re
import resource
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHAPES = [("alu", 1), ("mem", 2), ("call", 3), ("string", 4)]
PARTS = ["roms", "linux", "busybox", "startup", "dos", "kolibri"]
LINUX_APPEND = "console=ttyS0 cryptomgr.notests panic=-1"
# Phases of bench/workload_image.sh's run.sh, in the order it prints them.
BUSYBOX_PHASES = ["gen", "loop", "md5sum", "sha256sum", "gzip", "compile"]
# What the guest must print for its 16 MiB (a 64 KiB block of `seq 1 20000`
# 256 times), so a phase that went wrong does not pass as a fast one.
BUSYBOX_EXPECT = [b"1fa038cbe54e94a7cd4dc0ae04327947  /tmp/data",
                  b"03560d91fa1b58cbf9ea80342b8707c81dcc4da0be8a447034cd6fa3accffeec  /tmp/data",
                  b"prog "]
# The goals of issue 20: a ratio to QEMU's user time, or MIPS.
GOAL_BOOT, GOAL_WORK, GOAL_MIPS = 1.2, 1.5, 1000


def die(msg):
    print(f"speed.py: {msg}", file=sys.stderr)
    sys.exit(1)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---- measuring a child process ----------------------------------------

def child_times(cmd, **kw):
    """Runs cmd; returns (user CPU seconds, wall seconds, stdout+stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, **kw)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    return after - before, wall, p.stdout.decode(errors="replace")


def parse_proc_stat(text):
    """User CPU seconds of all the process's threads from /proc/PID/stat."""
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK")


def parse_proc_status(text):
    """(VmRSS, VmHWM) in MiB from /proc/PID/status."""
    kb = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(VmRSS|VmHWM):\s+(\d+) kB",
                                                           text, re.M)}
    return kb.get("VmRSS", 0) / 1024, kb.get("VmHWM", 0) / 1024


class Sample:
    """The child's wall time, user CPU time and resident size at one moment."""

    def __init__(self, pid, t0):
        self.wall = time.monotonic() - t0
        with open(f"/proc/{pid}/stat") as f:
            self.user = parse_proc_stat(f.read())
        with open(f"/proc/{pid}/status") as f:
            self.rss, self.hwm = parse_proc_status(f.read())


def reap(p, grace):
    """Waits up to `grace` seconds for p, kills it after that."""
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


# ---- guests on a serial line ------------------------------------------

def serial_markers(cmd, markers, replies, timeout):
    """Runs cmd with the guest's serial port on a pipe and samples the child
    when each regex of `markers` matches, in order, after the previous one;
    replies[i] is typed when marker i is seen. Returns (samples, output);
    samples is shorter than markers when the guest stopped or timed out."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    seen, pos, samples = b"", 0, []
    deadline = t0 + timeout
    while len(samples) < len(markers) and time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.5)
        if not ready:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        seen += chunk
        while len(samples) < len(markers):
            m = re.compile(markers[len(samples)]).search(seen, pos)
            if not m:
                break
            samples.append(Sample(p.pid, t0))
            pos = m.end()
            reply = replies.get(len(samples) - 1)
            if reply:
                p.stdin.write(reply)
                p.stdin.flush()
    reap(p, 30 if len(samples) == len(markers) else 0)
    return samples, seen


def kairo_linux_cmd(args, initrd, append):
    return [args.kairo, "-m", "128", "-nographic", "--deterministic", "-nic", "none",
            "-kernel", os.path.join(args.images, "vmlinuz"), "-initrd", initrd,
            "-append", append]


def qemu_linux_cmd(args, initrd, append):
    return ["qemu-system-i386", "-accel", "tcg", "-m", "128", "-nographic", "-no-reboot",
            "-nic", "none", "-kernel", os.path.join(args.images, "vmlinuz"),
            "-initrd", initrd, "-append", append]


def linux_boot_once(cmd):
    """Boots to the shell prompt, samples there, powers off. Sample or None."""
    samples, _ = serial_markers(cmd, [rb"KAIRO-GUEST-READY", rb"# "],
                                {1: b"poweroff -f\n"}, 600)
    return samples[1] if len(samples) == 2 else None


def busybox_once(cmd):
    """One run of the workload: {phase: (user, wall)} plus the boot, or None."""
    marks = [rb"KAIRO-GUEST-READY", rb"KAIRO-BENCH start"] + \
        [rb"KAIRO-BENCH " + p.encode() + rb"\b" for p in BUSYBOX_PHASES]
    samples, out = serial_markers(cmd, marks, {}, 1200)
    if len(samples) < len(marks):
        print(f"speed.py: the workload stopped after {len(samples)} of {len(marks)} "
              f"markers:\n{out[-600:].decode(errors='replace')}", file=sys.stderr)
        return None
    missing = [e for e in BUSYBOX_EXPECT if e not in out]
    if missing:
        print(f"speed.py: the workload printed a wrong result (wanted {missing[0]!r})",
              file=sys.stderr)
        return None
    phases = {"busybox-boot": (samples[1].user, samples[1].wall)}
    for i, name in enumerate(BUSYBOX_PHASES):
        a, b = samples[i + 1], samples[i + 2]
        phases[name] = (b.user - a.user, b.wall - a.wall)
    first, last = samples[1], samples[-1]
    phases["busybox-all"] = (last.user - first.user, last.wall - first.wall)
    return phases


# ---- guests watched through QMP ---------------------------------------

class Qmp:
    """A minimal QMP client: connect, negotiate, one command at a time."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.sock.settimeout(60)
        self.file = self.sock.makefile("rwb")
        self._reply()
        self.cmd("qmp_capabilities")

    def _reply(self):
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **arguments):
        self.file.write(json.dumps({"execute": name, "arguments": arguments}).encode() + b"\n")
        self.file.flush()
        return self._reply()

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line}).get("return", "")

    def close(self):
        self.sock.close()


def parse_xp_text(reply):
    """The characters of a text screen from QEMU's `xp /4000bx 0xb8000`
    (character, attribute pairs): every other byte."""
    data = bytes(int(h, 16) for h in re.findall(r"\b0x([0-9a-fA-F]{2})\b", reply))
    return data[0::2].decode("latin-1")


def text_screen(qmp, emulator):
    if emulator == "kairo":
        return qmp.hmp("info text")
    return parse_xp_text(qmp.hmp("xp /4000bx 0xb8000"))


def parse_ppm(data):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    if not m:
        raise ValueError("not a P6 PPM")
    return int(m.group(1)), int(m.group(2)), data[m.end():]


def kolibri_desktop(w, h, px):
    """KolibriOS's desktop is drawn: 800x600, the panel's green Menu button
    and light-grey bar, and both the first (top left) and last (bottom
    right) icons (a bare background has ~10 colours in an icon's box)."""
    if (w, h) != (800, 600) or len(px) < w * h * 3:
        return False

    def pixel(x, y):
        return tuple(px[(y * w + x) * 3:(y * w + x) * 3 + 3])

    def colours(x0, y0, x1, y1):
        return len({pixel(x, y) for y in range(y0, y1) for x in range(x0, x1)})
    grey = pixel(300, 590)
    return (pixel(10, 582) == (0, 100, 0) and min(grey) > 180 and
            colours(16, 8, 50, 44) >= 30 and colours(750, 510, 784, 546) >= 30)


def at_once(_qmp, _emulator, _work):
    return True


def freedos_ready(qmp, emulator, _work):
    return "A:\\>" in text_screen(qmp, emulator)


def kolibri_ready(qmp, _emulator, work):
    ppm = os.path.join(work, "screen.ppm")
    if "error" in qmp.cmd("screendump", filename=ppm):
        return False
    with open(ppm, "rb") as f:
        return kolibri_desktop(*parse_ppm(f.read()))


def qmp_boot_once(cmd, ready, emulator, work, timeout=300):
    """Runs cmd with a QMP socket, polls ready() every 0.1 s; samples the
    child when it answers True. Returns the Sample or None."""
    sock = os.path.join(work, "qmp.sock")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + ["-qmp", f"unix:{sock},server,wait=off"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    sample, qmp = None, None
    try:
        qmp = Qmp(sock)
        while time.monotonic() < t0 + timeout and p.poll() is None:
            if ready(qmp, emulator, work):
                sample = Sample(p.pid, t0)
                break
            time.sleep(0.1)
        qmp.cmd("quit")
    except (OSError, EOFError, ValueError) as e:
        print(f"speed.py: {emulator}: QMP: {e}", file=sys.stderr)
    finally:
        if qmp:
            qmp.close()
        reap(p, 10)
    return sample


def floppy_cmds(args, image):
    k = [args.kairo, "-m", "128", "-display", "none", "-nic", "none", "-boot", "a",
         "-fda", image]
    q = ["qemu-system-i386", "-accel", "tcg", "-m", "128", "-display", "none", "-nic", "none",
         "-boot", "a", "-drive", f"file={image},if=floppy,format=raw"]
    return {"kairo": k, "qemu": q}


# ---- rows -------------------------------------------------------------

def nasm(src, out, defines):
    args = ["nasm", "-f", "bin", "-I", os.path.join(HERE, "..", "tests", "asm", "include", ""),
            "-o", out] + [f"-D{k}={v}" for k, v in defines.items()] + [src]
    subprocess.run(args, check=True)


def kairo_rom_cmd(kairo, rom, out):
    return [kairo, "-bios", rom, "-nographic", "-debugcon", f"file:{out}",
            "-device", "isa-debug-exit", "-icount", "sleep=off", "-nic", "none", "--stats"]


def qemu_rom_cmd(rom, out):
    return ["qemu-system-i386", "-accel", "tcg", "-m", "32", "-bios", rom, "-display", "none",
            "-serial", "none", "-monitor", "none", "-chardev", f"file,id=dbg,path={out}",
            "-device", "isa-debugcon,iobase=0xe9,chardev=dbg",
            "-device", "isa-debug-exit,iobase=0x501"]


def bochs_rom_times(rom, work):
    """(user, wall) of Bochs on the ROM, as bench/run.sh runs it (its term
    display under `script`, which must read the pty)."""
    shutil.copy(os.path.join(HERE, "bochsrc"), os.path.join(work, "bochsrc"))
    shutil.copy(rom, os.path.join(work, "bench.bin"))
    with open(os.path.join(work, "cont"), "w") as f:
        f.write("c\n")
    cmd = ["timeout", "1200", "script", "-qfec",
           "stty cols 80 rows 25; bochs -q -f bochsrc -rc cont", "/dev/null"]
    user, wall, _ = child_times(cmd, cwd=work)
    return user, wall


def guest_insns(stats_text):
    m = re.search(r"kairo: (\d+) instructions", stats_text)
    if not m:
        die("kairo printed no --stats line:\n" + stats_text[-500:])
    return int(m.group(1))


def perf_works():
    if not shutil.which("perf"):
        return False
    p = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return p.returncode == 0 and "<not supported>" not in p.stderr.decode()


def host_insns(cmd):
    """Host user-mode instructions of cmd: perf stat if it works, else cachegrind."""
    if perf_works():
        p = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for line in p.stderr.decode().splitlines():
            if "instructions" in line and line.split(",")[0].isdigit():
                return int(line.split(",")[0])
    with tempfile.NamedTemporaryFile() as cg:
        p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                            f"--cachegrind-out-file={cg.name}"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    m = re.search(r"I\s+refs:\s+([\d,]+)", p.stderr.decode())
    if not m:
        die("no instruction count from cachegrind")
    return int(m.group(1).replace(",", ""))


def median_times(cmd, runs):
    """(median user, median wall, last output) of `runs` runs of cmd."""
    results = [child_times(cmd) for _ in range(runs)]
    return (median([u for u, _, _ in results]), median([w for _, w, _ in results]),
            results[-1][2])


def rom_row(args, work, name, src, defines):
    rom = os.path.join(work, f"{name}.bin")
    nasm(src, rom, dict(defines, ITERATIONS=args.iterations))
    out = os.path.join(work, f"{name}.kairo")
    k_u, k_w, text = median_times(kairo_rom_cmd(args.kairo, rom, out), args.runs)
    n = guest_insns(text)
    row = {"name": name, "insns": n, "kairo": k_u, "kairo_wall": k_w, "goal": "mips"}
    if args.cachegrind:
        # Host instructions per guest instruction from two short runs.
        short = max(args.iterations // 20, 2)
        counts = []
        for it in (short, 2 * short):
            r = os.path.join(work, f"{name}.{it}.bin")
            nasm(src, r, dict(defines, ITERATIONS=it))
            cmd = kairo_rom_cmd(args.kairo, r, os.path.join(work, "cg.out"))
            _, _, t = child_times(cmd)
            counts.append((guest_insns(t), host_insns(cmd)))
        (g0, h0), (g1, h1) = counts
        row["hpg"] = (h1 - h0) / max(g1 - g0, 1)
    if args.qemu:
        row["qemu"], row["qemu_wall"], _ = median_times(
            qemu_rom_cmd(rom, os.path.join(work, f"{name}.qemu")), args.runs)
    if args.bochs and name == "mixed":
        b = [bochs_rom_times(rom, work) for _ in range(args.runs)]
        row["bochs"], row["bochs_wall"] = median([u for u, _ in b]), median([w for _, w in b])
    return row


def emulators(args):
    return ["kairo"] + (["qemu"] if args.qemu else [])


def linux_rows(args):
    initrd = os.path.join(args.images, "initrd.img")
    row = {"name": "linux-boot", "goal": "boot"}
    for emu in emulators(args):
        make = kairo_linux_cmd if emu == "kairo" else qemu_linux_cmd
        samples = [linux_boot_once(make(args, initrd, LINUX_APPEND)) for _ in range(args.runs)]
        good = [s for s in samples if s]
        if not good:
            print(f"speed.py: {emu} never reached the Linux shell prompt", file=sys.stderr)
            continue
        row[emu] = median([s.user for s in good])
        row[emu + "_wall"] = median([s.wall for s in good])
        row[emu + "_rss"] = median([s.rss for s in good])
        row[emu + "_hwm"] = median([s.hwm for s in good])
    return [row]


def busybox_rows(args):
    script = os.path.join(HERE, "workload_image.sh")
    if subprocess.run(["bash", script, args.images]).returncode != 0:
        die("bench/workload_image.sh failed (the workload's initramfs)")
    initrd = os.path.join(args.images, "bench", "initrd.img")
    append = LINUX_APPEND + " kairo.run=/bench/run.sh"
    names = ["busybox-boot"] + BUSYBOX_PHASES + ["busybox-all"]
    goals = {"busybox-boot": "boot", "compile": "work", "busybox-all": "work"}
    rows = {n: {"name": n, "goal": goals.get(n)} for n in names}
    rows["compile"]["name"] = "compile-tcc"
    for emu in emulators(args):
        make = kairo_linux_cmd if emu == "kairo" else qemu_linux_cmd
        runs = [busybox_once(make(args, initrd, append)) for _ in range(args.runs)]
        runs = [r for r in runs if r]
        for n in names if runs else []:
            rows[n][emu] = median([r[n][0] for r in runs])
            rows[n][emu + "_wall"] = median([r[n][1] for r in runs])
    return [rows[n] for n in names]


def floppy_row(args, name, image_name, ready):
    image = os.path.join(args.data, "images", image_name)
    if not os.path.exists(image):
        print(f"speed.py: {image} is missing; no {name} row", file=sys.stderr)
        return []
    row = {"name": name, "goal": None if ready is at_once else "boot"}
    for emu in emulators(args):
        samples = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as work:
                disk = os.path.join(work, "disk.img")
                shutil.copy(image, disk)
                os.chmod(disk, 0o644)
                samples.append(qmp_boot_once(floppy_cmds(args, disk)[emu], ready, emu, work))
        good = [s for s in samples if s]
        if good:
            row[emu] = median([s.user for s in good])
            row[emu + "_wall"] = median([s.wall for s in good])
            row[emu + "_rss"] = median([s.rss for s in good])
            row[emu + "_hwm"] = median([s.hwm for s in good])
        else:
            print(f"speed.py: {emu} never reached {name}'s marker", file=sys.stderr)
    return [row]


# ---- the table --------------------------------------------------------

def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def goal_text(r, mips, ratio):
    """The goal of issue 20 this row is held to, and whether it is met."""
    g = r.get("goal")
    if g == "mips":
        return f">={GOAL_MIPS} MIPS " + ("met" if mips and mips >= GOAL_MIPS else "no")
    limit = {"boot": GOAL_BOOT, "work": GOAL_WORK}.get(g)
    if limit is None or ratio is None:
        return ""
    return f"<={limit}x " + ("met" if ratio <= limit else "no")


def table_lines(rows, args):
    lines = [f"kairo: {args.kairo}; seconds: user CPU (wall beside it), median of "
             f"{args.runs}; ROM iterations {args.iterations}",
             f"{'bench':<13}{'guest insns':>12}{'kairo s':>9}{'wall':>7}{'MIPS':>6}"
             f"{'host/g':>7}{'qemu s':>8}{'wall':>7}{'qMIPS':>6}{'k/qemu':>8}  goal"]
    for r in rows:
        n, k, q = r.get("insns"), r.get("kairo"), r.get("qemu")
        mips = n / k / 1e6 if n and k else None
        qmips = n / q / 1e6 if n and q else None
        ratio = k / q if k and q else None
        lines.append(f"{r['name']:<13}{fmt(n, 'd'):>12}{fmt(k, '.2f'):>9}"
                     f"{fmt(r.get('kairo_wall'), '.1f'):>7}{fmt(mips, '.0f'):>6}"
                     f"{fmt(r.get('hpg'), '.1f'):>7}{fmt(q, '.2f'):>8}"
                     f"{fmt(r.get('qemu_wall'), '.1f'):>7}{fmt(qmips, '.0f'):>6}"
                     f"{fmt(ratio, '.2f'):>8}  {goal_text(r, mips, ratio)}")
    for r in rows:
        if r.get("bochs"):
            b = r["bochs"]
            lines.append(f"{r['name']}: bochs {b:.2f} s user ({r['bochs_wall']:.1f} wall), "
                         f"{r['insns'] / b / 1e6:.0f} MIPS; kairo is {b / r['kairo']:.1f}x "
                         f"faster")
        if r.get("kairo_rss") and r.get("goal"):
            lines.append(f"{r['name']}: resident size of the 128 MiB guest when booted "
                         f"(VmRSS, peak VmHWM): kairo {r['kairo_rss']:.0f} MiB "
                         f"({r['kairo_hwm']:.0f}), qemu-tcg {fmt(r.get('qemu_rss'), '.0f')} "
                         f"MiB ({fmt(r.get('qemu_hwm'), '.0f')})")
    return lines


# ---- self-test ----------------------------------------------------------

def self_test():
    """The parsers and the table on canned input; exits 1 on the first
    mismatch."""
    checks = []

    def check(what, got, want):
        checks.append(what)
        if got != want:
            die(f"self-test: {what}: got {got!r}, want {want!r}")
    check("--stats", guest_insns("x\nkairo: 135000179 instructions in 0.3 s\n"), 135000179)
    tck = os.sysconf("SC_CLK_TCK")
    check("/proc/PID/stat utime",
          parse_proc_stat(f"42 (qemu (x) i386) S 1 2 3 4 5 6 7 8 9 10 {3 * tck} 77 0 0"), 3.0)
    check("/proc/PID/status", parse_proc_status("Name:\tk\nVmHWM:\t  204800 kB\n"
                                                "VmRSS:\t   102400 kB\n"), (100.0, 200.0))
    xp = ("00000000000b8000: 0x41 0x07 0x3a 0x07 0x5c 0x07 0x3e 0x07\n"
          "00000000000b8008: 0x20 0x07 0x20 0x07 0x20 0x07 0x20 0x07\n")
    check("QEMU xp text screen", parse_xp_text(xp), "A:\\>    ")
    w, h = 800, 600
    px = bytearray(b"\x50\x80\x60" * (w * h))

    def put(x, y, rgb):
        px[(y * w + x) * 3:(y * w + x) * 3 + 3] = bytes(rgb)
    for y in range(572, 600):
        for x in range(w):
            put(x, y, (223, 219, 223))
    put(10, 582, (0, 100, 0))
    ppm = b"P6\n800 600\n255\n" + bytes(px)
    check("PPM header", parse_ppm(ppm)[:2], (800, 600))
    check("Kolibri: panel without icons", kolibri_desktop(*parse_ppm(ppm)), False)
    for i, (x, y) in enumerate((x, y) for y in range(8, 44) for x in range(16, 50)):
        put(x, y, (i % 7 * 30, i % 11 * 20, 9))
        put(x + 734, y + 502, (9, i % 7 * 30, i % 11 * 20))
    check("Kolibri: desktop", kolibri_desktop(*parse_ppm(b"P6\n800 600\n255\n" + bytes(px))),
          True)
    check("median", (median([3.0, 1.0, 2.0]), median([None, 4.0]), median([])),
          (2.0, 4.0, None))
    args = argparse.Namespace(kairo="k", runs=3, iterations=100)
    rows = [{"name": "alu", "insns": 2_000_000_000, "kairo": 4.0, "qemu": 1.0, "goal": "mips"},
            {"name": "linux-boot", "kairo": 6.0, "qemu": 5.0, "goal": "boot",
             "kairo_rss": 90.4, "kairo_hwm": 91.0},
            {"name": "compile-tcc", "kairo": 3.0, "qemu": 2.0, "goal": "work"}]
    lines = table_lines(rows, args)
    check("table: MIPS and goal", lines[2].split()[4:5] + lines[2].split()[-3:],
          ["500", ">=1000", "MIPS", "no"])
    check("table: boot ratio", lines[3].split()[-3:], ["1.20", "<=1.2x", "met"])
    check("table: workload ratio", lines[4].split()[-3:], ["1.50", "<=1.5x", "met"])
    check("table: resident size", "kairo 90 MiB (91), qemu-tcg - MiB (-)" in lines[5], True)
    # The marker machinery on a stand-in guest (sh): a prompt answered by
    # a typed line, then the workload's markers and results.
    guest = ("echo KAIRO-GUEST-READY; printf '# '; read cmd; echo \"typed $cmd\"; "
             "echo KAIRO-BENCH start; " +
             "".join(f"echo KAIRO-BENCH {p}; " for p in BUSYBOX_PHASES[:2]) +
             "".join(f"echo '{e.decode()}'; " for e in BUSYBOX_EXPECT) +
             "".join(f"echo KAIRO-BENCH {p}; " for p in BUSYBOX_PHASES[2:]))
    samples, _ = serial_markers(["sh", "-c", guest],
                                [rb"KAIRO-GUEST-READY", rb"# ", rb"typed poweroff -f\n"],
                                {1: b"poweroff -f\n"}, 10)
    check("serial markers and the typed reply", len(samples), 3)
    phases = busybox_once(["sh", "-c", guest.replace("read cmd;", "")])
    check("workload phases", sorted(phases or {}),
          sorted(BUSYBOX_PHASES + ["busybox-boot", "busybox-all"]))
    bad = guest.replace("read cmd;", "").replace(BUSYBOX_EXPECT[0].decode()[:8], "00000000")
    check("a wrong checksum is refused", busybox_once(["sh", "-c", bad]), None)
    print(f"speed.py self-test: {len(checks)} checks passed")


# ---- main -------------------------------------------------------------

def parse_parts(text, opt):
    parts = [p for p in text.split(",") if p]
    bad = [p for p in parts if p not in PARTS]
    if bad:
        die(f"{opt}: unknown part '{bad[0]}' (parts: {', '.join(PARTS)})")
    return parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kairo", default=os.path.join(ROOT, "build", "kairo"))
    ap.add_argument("--images", default=os.path.join(ROOT, "build", "images"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"),
                    help="the shared data (FreeDOS and KolibriOS floppies)")
    ap.add_argument("--iterations", type=int, default=20000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(PARTS), help="parts to run")
    ap.add_argument("--skip", default="", help="parts to leave out")
    ap.add_argument("--no-qemu", dest="qemu", action="store_false")
    ap.add_argument("--no-linux", dest="linux", action="store_false",
                    help="no guest at all: the same as --only roms (its older spelling)")
    ap.add_argument("--bochs", action="store_true", help="Bochs on the mixed ROM too")
    ap.add_argument("--no-cachegrind", dest="cachegrind", action="store_false")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    parts = [p for p in parse_parts(args.only, "--only")
             if p not in parse_parts(args.skip, "--skip")]
    if not args.linux:
        parts = [p for p in parts if p == "roms"]
    if args.iterations < 16 or args.runs < 1:
        die("--iterations must be at least 16 and --runs at least 1")
    if not os.access(args.kairo, os.X_OK):
        die(f"no kairo binary at {args.kairo} (build first)")
    for tool, wanted in (("nasm", "roms" in parts), ("qemu-system-i386", args.qemu),
                         ("valgrind", "roms" in parts and args.cachegrind and not perf_works()),
                         ("bochs", args.bochs and "roms" in parts)):
        if wanted and not shutil.which(tool):
            die(f"{tool} is missing (setup.sh installs it)")
    if ("linux" in parts or "busybox" in parts) and not os.path.exists(
            os.path.join(args.images, "vmlinuz")):
        die(f"no guest images in {args.images} (images/build.sh, or ctest -R guest.images)")
    rows, t0 = [], time.monotonic()
    if "roms" in parts:
        with tempfile.TemporaryDirectory() as work:
            for name, shape in SHAPES:
                rows.append(rom_row(args, work, name, os.path.join(HERE, "shapes.asm"),
                                    {"SHAPE": shape}))
            rows.append(rom_row(args, work, "mixed", os.path.join(HERE, "bench.asm"), {}))
    if "linux" in parts:
        rows += linux_rows(args)
    if "busybox" in parts:
        rows += busybox_rows(args)
    if "startup" in parts:
        rows += floppy_row(args, "startup", "freedos722.img", at_once)
    if "dos" in parts:
        rows += floppy_row(args, "freedos-boot", "freedos722.img", freedos_ready)
    if "kolibri" in parts:
        rows += floppy_row(args, "kolibri-boot", "kolibri.img", kolibri_ready)
    print("\n".join(table_lines(rows, args)))
    print(f"(the run took {time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
