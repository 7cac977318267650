#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kairo's speed beside QEMU TCG (and Bochs), printed as one table.

  bench/speed.py [--kairo PATH] [--images DIR] [--iterations N] [--runs 3]
                 [--no-qemu] [--no-linux] [--no-cachegrind]

Rows: the bench ROMs of bench/shapes.asm (alu, mem, call, string) and
bench/bench.asm (mixed), then the Linux boot to the shell prompt
(-kernel/-initrd, cryptomgr.notests) when the guest images are there.
Columns: guest instructions (kairo --stats, exact), user CPU seconds (best
of --runs: the machine is shared, wall time lies), MIPS, host instructions
per guest instruction, and the same ROM or boot under QEMU TCG (Bochs, at
about 1/20 of the speed, stays in bench/run.sh).
Host instructions come from `perf stat -e instructions:u` when the host
has counters, else from valgrind's cachegrind on a shorter run of the
same ROM (difference of two lengths: start-up cancels out).
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHAPES = [("alu", 1), ("mem", 2), ("call", 3), ("string", 4)]


def die(msg):
    print(f"speed.py: {msg}", file=sys.stderr)
    sys.exit(1)


def child_user_time(cmd, stdin=None, **kw):
    """Runs cmd; returns (user CPU seconds of the child, stdout+stderr text)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    p = subprocess.run(cmd, stdin=stdin or subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    return after - before, p.stdout.decode(errors="replace")


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


def best_user_time(cmd, runs):
    best, text = None, ""
    for _ in range(runs):
        t, text = child_user_time(cmd)
        best = t if best is None else min(best, t)
    return best, text


def rom_row(args, work, name, src, defines):
    rom = os.path.join(work, f"{name}.bin")
    nasm(src, rom, dict(defines, ITERATIONS=args.iterations))
    out = os.path.join(work, f"{name}.kairo")
    k_s, text = best_user_time(kairo_rom_cmd(args.kairo, rom, out), args.runs)
    n = guest_insns(text)
    row = {"name": name, "insns": n, "kairo": k_s}
    if args.cachegrind:
        # Host instructions per guest instruction from two short runs.
        short = max(args.iterations // 20, 2)
        counts = []
        for it in (short, 2 * short):
            r = os.path.join(work, f"{name}.{it}.bin")
            nasm(src, r, dict(defines, ITERATIONS=it))
            cmd = kairo_rom_cmd(args.kairo, r, os.path.join(work, "cg.out"))
            _, t = child_user_time(cmd)
            counts.append((guest_insns(t), host_insns(cmd)))
        (g0, h0), (g1, h1) = counts
        row["hpg"] = (h1 - h0) / max(g1 - g0, 1)
    if args.qemu:
        q_s, _ = best_user_time(qemu_rom_cmd(rom, os.path.join(work, f"{name}.qemu")), args.runs)
        row["qemu"] = q_s
    return row


def expect_boot(cmd, ready, timeout):
    """Starts cmd on a pipe, waits for `ready` on its output, sends poweroff -f,
    waits for it to end. Returns (user CPU seconds, peak resident MiB) of the
    child, or (None, None) when the prompt never came."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    os.set_blocking(p.stdout.fileno(), False)
    seen, deadline, sent = b"", time.time() + timeout, False
    while time.time() < deadline:
        chunk = p.stdout.read()
        if chunk == b"":
            break   # end of output: the child is gone
        seen += chunk or b""
        # The shell's prompt ("# ") after the initramfs marker.
        if not sent and ready in seen and b"# " in seen[seen.index(ready):]:
            p.stdin.write(b"poweroff -f\n")
            p.stdin.flush()
            sent = True
        time.sleep(0.05)
    else:
        p.kill()
    # Reaped here, not by Popen, to read the child's own rusage.
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return (ru.ru_utime, ru.ru_maxrss / 1024) if sent else (None, None)


def best_boot(cmd, runs):
    results = [expect_boot(cmd, b"KAIRO-GUEST-READY", 600) for _ in range(runs)]
    good = [r for r in results if r[0] is not None]
    if not good:
        return None, None
    return min(t for t, _ in good), max(m for _, m in good)


def linux_row(args):
    k, i = os.path.join(args.images, "vmlinuz"), os.path.join(args.images, "initrd.img")
    if not (os.path.exists(k) and os.path.exists(i)):
        return None
    append = "console=ttyS0 cryptomgr.notests panic=-1"
    kcmd = [args.kairo, "-m", "128", "-nographic", "--deterministic", "-nic", "none",
            "-kernel", k, "-initrd", i, "-append", append]
    row = {"name": "linux-boot", "insns": None}
    row["kairo"], row["kairo_rss"] = best_boot(kcmd, args.runs)
    if args.qemu:
        qcmd = ["qemu-system-i386", "-accel", "tcg", "-m", "128", "-nographic", "-no-reboot",
                "-kernel", k, "-initrd", i, "-append", append]
        row["qemu"], row["qemu_rss"] = best_boot(qcmd, args.runs)
    return row


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def print_table(rows, args):
    print(f"kairo: {args.kairo}; user CPU seconds, best of {args.runs}; "
          f"ROM iterations {args.iterations}")
    print(f"{'bench':<11}{'guest insns':>13}{'kairo s':>9}{'MIPS':>8}{'host/guest':>11}"
          f"{'qemu s':>9}{'qemu MIPS':>10}{'kairo/qemu':>11}")
    for r in rows:
        n, k, q = r["insns"], r.get("kairo"), r.get("qemu")
        mips = n / k / 1e6 if n and k else None
        qmips = n / q / 1e6 if n and q else None
        ratio = k / q if k and q else None
        print(f"{r['name']:<11}{fmt(n, 'd'):>13}{fmt(k, '.2f'):>9}{fmt(mips, '.0f'):>8}"
              f"{fmt(r.get('hpg'), '.1f'):>11}{fmt(q, '.2f'):>9}{fmt(qmips, '.0f'):>10}"
              f"{fmt(ratio, '.2f'):>11}")
    for r in rows:
        if r.get("kairo_rss"):
            print(f"{r['name']}: peak resident size of the 128 MiB guest: kairo "
                  f"{r['kairo_rss']:.0f} MiB, qemu-tcg {fmt(r.get('qemu_rss'), '.0f')} MiB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kairo", default=os.path.join(ROOT, "build", "kairo"))
    ap.add_argument("--images", default=os.path.join(ROOT, "build", "images"))
    ap.add_argument("--iterations", type=int, default=20000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-qemu", dest="qemu", action="store_false")
    ap.add_argument("--no-linux", dest="linux", action="store_false")
    ap.add_argument("--no-cachegrind", dest="cachegrind", action="store_false")
    args = ap.parse_args()
    if args.iterations < 16 or args.runs < 1:
        die("--iterations must be at least 16 and --runs at least 1")
    if not os.access(args.kairo, os.X_OK):
        die(f"no kairo binary at {args.kairo} (build first)")
    for tool, wanted in (("nasm", True), ("qemu-system-i386", args.qemu),
                         ("valgrind", args.cachegrind and not perf_works())):
        if wanted and not shutil.which(tool):
            die(f"{tool} is missing (setup.sh installs it)")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, shape in SHAPES:
            rows.append(rom_row(args, work, name, os.path.join(HERE, "shapes.asm"),
                                {"SHAPE": shape}))
        rows.append(rom_row(args, work, "mixed", os.path.join(HERE, "bench.asm"), {}))
    if args.linux:
        r = linux_row(args)
        if r:
            rows.append(r)
    print_table(rows, args)


if __name__ == "__main__":
    main()
