#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Side-by-side speed of kairo, QEMU TCG and Bochs on the bench ROM, in one
# run on this machine. Prints seconds, MIPS and the ratios.
#   bench/run.sh [ITERATIONS]     (default 74000000: about 10^9 instructions)
# Installs qemu-system-x86 and bochs with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
ITER=${1:-74000000}
ROOT=$(cd .. && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

need=()
command -v qemu-system-i386 >/dev/null || need+=(qemu-system-x86)
command -v bochs >/dev/null || need+=(bochs bochsbios vgabios bochs-term)
[ -f /usr/share/vgabios/vgabios.bin ] || need+=(vgabios)
dpkg-query -W bochs-term >/dev/null 2>&1 || need+=(bochs-term)
command -v nasm >/dev/null || need+=(nasm)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq || echo "apt-get update reported errors; installing anyway"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$ROOT/build/kairo" ] || (cd "$ROOT" && ./setup.sh build >/dev/null)

nasm -f bin -DITERATIONS="$ITER" -o "$WORK/bench.bin" bench.asm
# Instructions: 27 per two iterations plus the fixed prologue/epilogue that
# kairo's --stats counts exactly.
INSNS=$(( ITER / 2 * 27 + 179 ))

now() { date +%s.%N; }
mips() { awk -v n="$INSNS" -v s="$1" 'BEGIN { printf "%.1f", n / s / 1e6 }'; }

t0=$(now)
# Unpaced (-icount sleep=off) and without the default NIC: the interpreter's
# own speed, as QEMU runs here (docs/TIME.md).
"$ROOT/build/kairo" -bios "$WORK/bench.bin" -nographic -debugcon file:"$WORK/kairo.out" \
    -device isa-debug-exit -icount sleep=off -nic none >/dev/null 2>&1 || true
t1=$(now)
k_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

t0=$(now)
qemu-system-i386 -accel tcg -m 32 -bios "$WORK/bench.bin" -display none -serial none \
    -monitor none -chardev file,id=dbg,path="$WORK/qemu.out" \
    -device isa-debugcon,iobase=0xe9,chardev=dbg -device isa-debug-exit,iobase=0x501 \
    >/dev/null 2>&1 || true
t1=$(now)
q_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

cp bochsrc "$WORK/bochsrc"
cp "$WORK/bench.bin" "$WORK/bench.bin.rom"
echo c > "$WORK/cont"
t0=$(now)
(cd "$WORK" && timeout 1200 script -qfec "stty cols 80 rows 25; bochs -q -f bochsrc -rc cont" /dev/null \
    > bochs.out 2>&1 < /dev/null) || true
t1=$(now)
b_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

check() { grep -ao 'bench: [0-9a-f]*' "$1" 2>/dev/null | head -1 || echo "no output"; }
echo "bench ROM: $ITER iterations, $INSNS instructions"
printf "%-10s %10s %10s %s\n" emulator seconds MIPS result
printf "%-10s %10.2f %10s %s\n" kairo "$k_s" "$(mips "$k_s")" "$(check "$WORK/kairo.out")"
printf "%-10s %10.2f %10s %s\n" qemu-tcg "$q_s" "$(mips "$q_s")" "$(check "$WORK/qemu.out")"
printf "%-10s %10.2f %10s %s\n" bochs "$b_s" "$(mips "$b_s")" "$(check "$WORK/bochs.out")"
awk -v k="$k_s" -v q="$q_s" -v b="$b_s" \
    'BEGIN { printf "kairo / bochs = %.2fx   kairo / qemu-tcg = %.2fx\n", b / k, q / k }'
