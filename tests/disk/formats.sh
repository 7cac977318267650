#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Image formats on kairo's command line: foreign formats and damaged qcow2
# headers are refused with one line on stderr (status 1), -drive format=
# is honoured, floppy images of odd sizes are taken up to 2.88 MB.
#   formats.sh KAIRO
set -uo pipefail
kairo=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "formats: FAIL: $*"; exit 1; }
run() { timeout 30 "$kairo" -display none --max-insns 200000 "$@" > "$work/out" 2> "$work/err"; }
refused() {
    local want=$1; shift
    run "$@"; local st=$?
    [ "$st" = 1 ] || fail "$*: status $st, want 1 ($(cat "$work/err"))"
    [ "$(wc -l < "$work/err")" = 1 ] || fail "$*: not one line: $(cat "$work/err")"
    grep -qF -- "$want" "$work/err" || fail "$*: '$(cat "$work/err")' lacks '$want'"
    echo "formats: refused: $(cat "$work/err")"
}
accepted() {
    run "$@"; local st=$?
    [ "$st" = 3 ] || fail "$*: status $st, want 3 (limit reached): $(cat "$work/err")"
    echo "formats: accepted: $*"
}

for f in vmdk vdi vhdx vpc qed; do
    qemu-img create -q -f $f "$work/d.$f" 16M || fail "qemu-img create $f"
    refused "qemu-img convert -O raw" -hda "$work/d.$f"
done
qemu-img create -q -f qcow2 "$work/d.qcow2" 16M
accepted -hda "$work/d.qcow2"
accepted -drive file="$work/d.qcow2",format=qcow2
# As a floppy the qcow2 file is too big (16M virtual); format=raw shows
# the file itself (196 KiB), which is taken.
refused "more than a 2.88M floppy" -drive file="$work/d.qcow2",if=floppy
accepted -drive file="$work/d.qcow2",format=raw,if=floppy
refused "unsupported image format 'vmdk'" -drive file="$work/d.qcow2",format=vmdk
truncate -s 16M "$work/d.raw"
refused "not a qcow2 image" -drive file="$work/d.raw",format=qcow2
cp "$work/d.qcow2" "$work/t.qcow2" && truncate -s 60 "$work/t.qcow2"
refused "truncated header" -hda "$work/t.qcow2"
cp "$work/d.qcow2" "$work/v.qcow2" && printf '\0\0\0\x09' |
    dd of="$work/v.qcow2" bs=1 seek=4 conv=notrunc 2>/dev/null
refused "version 9 is not supported" -hda "$work/v.qcow2"
# Floppies: 1,296,384 bytes (GRUB's rescue floppy) and 100 KiB are taken,
# a qcow2 floppy too; more than 2.88 MB is not.
truncate -s 1296384 "$work/grub.img"; accepted -fda "$work/grub.img"
truncate -s 100K "$work/small.img"; accepted -fda "$work/small.img"
qemu-img create -q -f qcow2 "$work/fd.qcow2" 1440K; accepted -fda "$work/fd.qcow2"
truncate -s 3000000 "$work/big.img"
refused "more than a 2.88M floppy" -fda "$work/big.img"
echo "formats: all as expected"
