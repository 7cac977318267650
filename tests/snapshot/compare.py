#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshots against the uninterrupted run.

  compare.py KAIRO WORKDIR LOW END SEED COUNT [KAIRO OPTIONS...]

1. The uninterrupted run: --deterministic --max-insns END --state-hash,
   COM1 to a file, the text screen (--dump-text) and a screendump at the end.
2. One run saves at COUNT instruction counts in [LOW, END) drawn from
   random.Random(SEED) (printed, so a failure can be re-run); it must end
   like run 1.
3. Each snapshot is loaded in a fresh process (-loadvm) that runs to END:
   its final state hash, text screen and screendump must equal run 1's, and
   its serial output must be the tail of run 1's.
Runs two processes at a time (the test machine has two cores)."""
import concurrent.futures
import os
import random
import re
import subprocess
import sys
import time


def run(kairo, args, tag, work):
    serial = os.path.join(work, tag + ".serial")
    png = os.path.join(work, tag + ".png")
    cmd = [kairo, "-display", "none", "-serial", "file:" + serial, "--deterministic",
           "--state-hash", "--dump-text", "-screendump", png] + args
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    err = p.stderr.decode(errors="replace")
    m = re.search(r"state hash ([0-9a-f]{16}) icount (\d+)", err)
    if not m:
        sys.exit(f"{tag}: no state hash (status {p.returncode}):\n{err}")
    with open(serial, "rb") as f:
        out = f.read()
    with open(png, "rb") as f:
        pic = f.read()
    return {"hash": m.group(1), "icount": int(m.group(2)), "screen": p.stdout, "serial": out,
            "png": pic, "secs": time.time() - t0, "stderr": err}


def main():
    kairo, work = sys.argv[1], sys.argv[2]
    low, end, seed, count = (int(a) for a in sys.argv[3:7])
    extra = sys.argv[7:]
    os.makedirs(work, exist_ok=True)
    rng = random.Random(seed)
    points = sorted(rng.sample(range(low, end), count))
    print(f"seed {seed}: save points {points}")
    base = ["--max-insns", str(end)] + extra

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        full_f = pool.submit(run, kairo, base, "full", work)
        saves = []
        for i, n in enumerate(points):
            saves += ["--save-at", f"{n}:{os.path.join(work, f's{i}.snap')}"]
        saving_f = pool.submit(run, kairo, base + saves, "saving", work)
        full, saving = full_f.result(), saving_f.result()
    print(f"uninterrupted: hash {full['hash']} icount {full['icount']}, "
          f"{len(full['serial'])} serial bytes, {full['secs']:.1f} s")
    failures = []
    if full["icount"] != end:
        failures.append(f"the uninterrupted run ended at icount {full['icount']}, not {end}")
    for key in ("hash", "screen", "serial", "png"):
        if saving[key] != full[key]:
            failures.append(f"saving snapshots changed the run's {key}")

    def load(i):
        snap = os.path.join(work, f"s{i}.snap")
        return run(kairo, base + ["-loadvm", snap], f"l{i}", work)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        loaded = list(pool.map(load, range(len(points))))
    for n, r in zip(points, loaded):
        bad = [key for key in ("hash", "screen", "png") if r[key] != full[key]]
        if not full["serial"].endswith(r["serial"]):
            bad.append("serial (not the uninterrupted run's tail)")
        size = os.path.getsize(os.path.join(work, f"s{points.index(n)}.snap"))
        print(f"  from {n:>11}: hash {r['hash']} {'ok' if not bad else 'DIFFERS: ' + ', '.join(bad)}"
              f" ({len(r['serial'])} serial bytes, snapshot {size} bytes, {r['secs']:.1f} s)")
        if bad:
            failures.append(f"loaded at {n}: {', '.join(bad)}")
    if failures:
        print("FAILED (seed %d):\n  %s" % (seed, "\n  ".join(failures)))
        sys.exit(1)
    print(f"all {len(points)} snapshots ended in the uninterrupted run's state")


if __name__ == "__main__":
    main()
