#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux boot benchmark with -smp: Debian's kernel (images/build.sh) from
# power-on to its shell, one command and poweroff, under --deterministic (no
# pacing, no network). Prints host CPU seconds (user + system: the measure
# that stays put on a shared machine), wall seconds, and the BSP's
# instruction count for each kairo binary and CPU count given.
#   bench/smp.sh [-n RUNS] [-c "1 2 4"] KAIRO [KAIRO...]
# Each line: the best of RUNS runs (default 3).
set -euo pipefail
runs=3 cpus="1 2 4"
while getopts n:c: o; do
    case $o in n) runs=$OPTARG ;; c) cpus=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: bench/smp.sh [-n RUNS] [-c CPUS] KAIRO [KAIRO...]"; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
images=${IMAGES:-$root/build/images}
[ -f "$images/vmlinuz" ] || { echo "bench/smp.sh: no $images/vmlinuz (images/build.sh)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

one_run() {   # KAIRO CPUS -> "cpu_s wall_s icount"
    local k=$1 n=$2 smp=()
    [ "$n" -gt 1 ] && smp=(-smp "$n")   # a binary before -smp N existed takes no -smp
    local t0 t1
    t0=$(date +%s.%N)
    ( "$k" -m 256 -nographic -nic none --deterministic --stats "${smp[@]}" \
        -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
        -append "console=ttyS0 cryptomgr.notests" --expect-timeout 600 \
        --expect "KAIRO-GUEST-READY" --expect "# " --send 'echo bench-$((6*7))\n' \
        --expect "bench-42" --send 'poweroff -f\n' < /dev/null > "$work/out" 2> "$work/err"
      times > "$work/times" )
    t1=$(date +%s.%N)
    local cpu
    cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m");
                        sub("s", "", u[2]); sub("s", "", s[2]);
                        print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
    local ic
    ic=$(sed -n 's/kairo: \([0-9]*\) instructions in.*/\1/p' "$work/err")
    grep -q "bench-42" "$work/out" || { echo "bench/smp.sh: $k -smp $n did not boot" >&2; tail -3 "$work/err" >&2; exit 1; }
    echo "$cpu $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $ic"
}

printf "%-40s %4s %10s %10s %14s\n" "kairo" "smp" "cpu s" "wall s" "BSP insns"
for k in "$@"; do
    for n in $cpus; do
        best=""
        for _ in $(seq "$runs"); do
            r=$(one_run "$k" "$n")
            if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
                best=$r
            fi
        done
        read -r c w i <<< "$best"
        printf "%-40s %4s %10.2f %10s %14s\n" "$k" "$n" "$c" "$w" "$i"
    done
done
