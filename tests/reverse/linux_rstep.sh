#!/bin/sh
# SPDX-License-Identifier: MIT
# Reverse debugging against the Debian kernel with the real gdb in batch
# mode (docs/REVERSE.md):
#   0. the kernel address to break at (the images carry no System.map):
#      where a plain boot is at instruction PROBE (2.6*10^9, in the kernel
#      after its decompression; nokaslr keeps it at its link address);
#   1. kairo --reverse -S, gdb breaks at that address, reverse-stepi STEPS
#      times, dumping the registers after each, then sets a write watchpoint
#      on the stack slot at ESP, reverse-continues to the instruction that
#      last wrote it and steps over it;
#   2. the same boot without gdb saves a snapshot 20,000 instructions
#      before the breakpoint's count, and a run from it writes a -d cpu
#      trace up to that count;
#   3. compare_trace.py: the registers at every reverse step equal those of
#      the trace record at the same position; the watchpoint stop is one of
#      the trace's positions and one step after it the slot holds its value.
#   linux_rstep.sh KAIRO IMAGES WORKDIR [STEPS]
set -u
kairo=$1 images=$2 work=$3 steps=${4:-1000}
here=$(cd "$(dirname "$0")" && pwd)
PROBE=2600000000
command -v gdb >/dev/null || { echo "linux_rstep: FAIL: gdb is not installed (setup.sh)"; exit 1; }
[ -f "$images/vmlinuz" ] && [ -f "$images/initrd.img" ] || {
    echo "linux_rstep: FAIL: no $images/vmlinuz or initrd.img (images/build.sh)"; exit 1; }
mkdir -p "$work"
fail() { echo "linux_rstep: FAIL: $*"; exit 1; }
guest() {
    "$kairo" -m 128 -nographic -vga none --deterministic --reverse --timeout 500 \
        -kernel "$images/vmlinuz" -initrd "$images/initrd.img" -append "console=ttyS0 nokaslr" "$@"
}

guest --max-insns $PROBE > /dev/null 2> "$work/probe.err" < /dev/null
BREAK=0x$(sed -n 's/.*instruction limit .* reached at [0-9A-F]*:\([0-9A-F]*\).*/\1/p' "$work/probe.err")
[ "$BREAK" != 0x ] || { cat "$work/probe.err"; fail "the probe run did not stop at $PROBE"; }
echo "linux_rstep: breakpoint at $BREAK (the instruction at count $PROBE)"

rm -f "$work/kairo.err"   # a stale one would name an old port
guest -gdb tcp:127.0.0.1:0 -S > "$work/serial.txt" 2> "$work/kairo.err" < /dev/null &
pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*gdb stub listening on tcp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/kairo.err")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { kill "$pid"; fail "kairo did not report a gdb port"; }
sed -e "s/@PORT@/$port/" -e "s/@BREAK@/$BREAK/g" -e "s/@STEPS@/$steps/" \
    "$here/linux_rstep.gdb" > "$work/test.gdb"
start=$(date +%s)
timeout 500 gdb -nx -batch -x "$work/test.gdb" > "$work/gdb.out" 2>&1
gdb_status=$?
kill "$pid" 2>/dev/null
wait "$pid"
echo "linux_rstep: gdb session $(($(date +%s) - start)) s, status $gdb_status"
grep -v "^R \|in ?? ()" "$work/gdb.out" | grep -v "^$" | tail -25
bp=$(sed -n 's/^position: icount \([0-9]*\), live.*/\1/p' "$work/gdb.out" | head -1)
[ -n "$bp" ] || fail "gdb did not reach the breakpoint"
grep -q "Hardware watchpoint" "$work/gdb.out" || fail "no watchpoint stop in reverse"

from=$((bp - 20000))
guest --save-at "$from:$work/before.snap" --max-insns "$from" > /dev/null 2> "$work/save.err" < /dev/null
[ -f "$work/before.snap" ] || { cat "$work/save.err"; fail "no snapshot at $from"; }
guest -loadvm "$work/before.snap" -d cpu -D "$work/trace.txt" --max-insns "$bp" \
    > /dev/null 2> "$work/trace.err" < /dev/null
python3 "$here/compare_trace.py" "$work/gdb.out" "$work/trace.txt" "$bp" "$steps" ||
    fail "reverse steps differ from the forward trace"
echo "linux_rstep: PASS"
