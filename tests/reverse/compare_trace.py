#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare reverse-stepi register dumps (gdb.out "R ..." lines) with a
forward `-d cpu` trace: after the breakpoint line, the Nth R line must
equal the registers of the Nth trace record counted back from the
breakpoint's instruction count.
  compare_trace.py GDB_OUT TRACE BREAK_ICOUNT STEPS"""
import re
import sys

REC = re.compile(r"^\s*(\d+) ([0-9A-F]{4}):([0-9A-F]{8}) ")
REG = re.compile(r"([A-Z]+)=([0-9A-F]+)")
ORDER = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI", "EIP", "EFL",
         "ES", "SS", "DS", "FS", "GS"]


def trace_records(path):
    recs, cur = [], None
    for line in open(path, errors="replace"):
        m = REC.match(line)
        if m:
            cur = {"icount": int(m.group(1)), "EIP": int(m.group(3), 16)}
            recs.append(cur)
            continue
        if cur is not None and "=" in line:
            for k, v in REG.findall(line):
                cur[k] = int(v, 16)
    return recs


def gdb_lines(path, prefix):
    out = []
    for line in open(path, errors="replace"):
        if line.startswith(prefix):
            out.append([int(x, 16) for x in line[len(prefix):].split()])
    return out


def main():
    gdb_out, trace, bp, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    recs = [r for r in trace_records(trace) if r["icount"] < bp]
    want = [[r[k] for k in ORDER] for r in reversed(recs)]
    back = gdb_lines(gdb_out, "R ")
    # The first R line is the breakpoint itself (the instruction at bp).
    got = back[1:]
    print(f"compare_trace: {len(got)} reverse steps, {len(want)} trace records before {bp}")
    if len(got) != steps or len(want) < steps:
        print("compare_trace: FAIL: not enough lines")
        return 1
    for i in range(steps):
        if got[i] != want[i]:
            print(f"compare_trace: FAIL at reverse step {i + 1}:")
            print("  gdb  ", " ".join(f"{k}={v:x}" for k, v in zip(ORDER, got[i])))
            print("  trace", " ".join(f"{k}={v:x}" for k, v in zip(ORDER, want[i])))
            return 1
    # The watchpoint stop is a position in the trace, and one step later the
    # slot holds the value seen at the breakpoint.
    stop = gdb_lines(gdb_out, "WATCHSTOP R ")
    slot = gdb_lines(gdb_out, "SLOT ")
    after = gdb_lines(gdb_out, "AFTERSTEP ")
    if not stop or not slot or not after:
        print("compare_trace: FAIL: no watchpoint stop")
        return 1
    if stop[0] not in want:
        print("compare_trace: FAIL: the watchpoint stop is no position of the trace")
        return 1
    if want.index(stop[0]) < steps:
        print("compare_trace: FAIL: the watchpoint stop is not before the reverse steps' end")
        return 1
    if after[0][0] != slot[0][1]:
        print(f"compare_trace: FAIL: after the write the slot holds {after[0][0]:x}, "
              f"at the breakpoint {slot[0][1]:x}")
        return 1
    print(f"compare_trace: registers equal at all {steps} steps; the watchpoint stop is "
          f"{want.index(stop[0]) + 1} instructions before the breakpoint: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
