#!/bin/sh
# SPDX-License-Identifier: MIT
# SVM world-switch cost: user CPU seconds of 200,000 VMRUN/VMMCALL round
# trips (bench/svm_switch.asm) with a guest touching 1 and 64 pages.
#   bench/svm_switch.sh [KAIRO]
set -e
kairo=${1:-build/kairo}
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pages in 1 64; do
    nasm -f bin -I "$here/../tests/asm/include/" -DN=200000 -DPAGES=$pages \
        -o "$work/sw.bin" "$here/svm_switch.asm"
    # the ROM ends through isa-debug-exit with status 33
    /usr/bin/time -f "pages $pages: %U s user (200000 round trips)" "$kairo" -cpu phenom \
        -bios "$work/sw.bin" -nographic -device isa-debug-exit -no-reboot >/dev/null 2>"$work/err" ||
        grep -v "exited with non-zero status 33" "$work/err"
done
