#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What tracing costs: the bench ROM untraced and with --trace FILE, the best
# of REPEAT runs each (whole process, the final compression included), and
# the factor between them (docs/TRACING.md asks for at most 5).
#   bench/trace_cost.sh [ITERATIONS] [--callgrind]
#     ITERATIONS  bench loop iterations (default 7400000: about 10^8 instructions)
#     --callgrind also count host instructions under valgrind (slow: use a
#                 small ITERATIONS such as 740000)
#   KAIRO=path/to/kairo  (default build/kairo), REPEAT=N (default 5)
set -euo pipefail
cd "$(dirname "$0")"
ITER=7400000
CALLGRIND=0
for a in "$@"; do
    case $a in
    --callgrind) CALLGRIND=1 ;;
    *) ITER=$a ;;
    esac
done
ROOT=$(cd .. && pwd)
KAIRO=${KAIRO:-$ROOT/build/kairo}
REPEAT=${REPEAT:-5}
[ -x "$KAIRO" ] || { echo "trace_cost: no kairo at $KAIRO (build first, or set KAIRO)"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
nasm -f bin -DITERATIONS="$ITER" -o "$WORK/bench.bin" bench.asm
INSNS=$(( ITER / 2 * 27 + 179 ))

run() {   # extra kairo options...
    "$KAIRO" -bios "$WORK/bench.bin" -nographic -debugcon file:"$WORK/out.txt" \
        -device isa-debug-exit -icount sleep=off -nic none "$@" >/dev/null 2>&1 || true
    grep -q 'bench: ' "$WORK/out.txt" || { echo "trace_cost: the bench ROM did not finish"; exit 1; }
}
best_time() {   # extra kairo options...: best wall seconds of REPEAT runs
    local best=""
    for _ in $(seq "$REPEAT"); do
        local t0 t1
        t0=$(date +%s.%N)
        run "$@"
        t1=$(date +%s.%N)
        best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
            'BEGIN { t = b - a; if (best == "" || t < best) best = t; print best }')
    done
    echo "$best"
}

plain=$(best_time)
traced=$(best_time --trace "$WORK/bench.ktr")
size=$(wc -c < "$WORK/bench.ktr")
echo "bench ROM: $ITER iterations, $INSNS instructions, best of $REPEAT runs"
printf "%-10s %9s %9s\n" run seconds MIPS
printf "%-10s %9.3f %9.1f\n" untraced "$plain" "$(awk -v n="$INSNS" -v s="$plain" 'BEGIN { print n / s / 1e6 }')"
printf "%-10s %9.3f %9.1f\n" "--trace" "$traced" "$(awk -v n="$INSNS" -v s="$traced" 'BEGIN { print n / s / 1e6 }')"
echo "trace file: $size bytes ($(awk -v b="$size" -v n="$INSNS" 'BEGIN { printf "%.3f", b / n }') bytes per instruction)"
echo "factor: $(awk -v a="$plain" -v b="$traced" 'BEGIN { printf "%.2f", b / a }')x (wall time)"

if [ "$CALLGRIND" = 1 ]; then
    count() {
        # kairo's exit status is the guest's (isa-debug-exit): not an error here.
        { valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$KAIRO" \
            -bios "$WORK/bench.bin" -nographic -debugcon file:"$WORK/out.txt" \
            -device isa-debug-exit "$@" 2>&1 || true; } |
            awk '/refs:/ { gsub(",", "", $NF); print $NF }'
    }
    c_plain=$(count)
    c_traced=$(count --trace "$WORK/cg.ktr")
    echo "callgrind: untraced $c_plain, --trace $c_traced host instructions;" \
         "factor $(awk -v a="$c_plain" -v b="$c_traced" 'BEGIN { printf "%.2f", b / a }')x"
fi
