#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's memtest86+ (booted with -kernel): its screen must show it
# running its tests with no errors when the instruction budget ends; with
# CPUS, on that many CPUs (-smp), which it must have started and use.
#   memtest.sh KAIRO IMAGES_DIR [CPUS]
set -u
kairo=$1 images=$2 cpus=${3:-1}
[ -f "$images/memtest86+.bin" ] || { echo "memtest: $images/memtest86+.bin missing (run images/build.sh)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kairo" -m 64 -kernel "$images/memtest86+.bin" -display none --deterministic \
    --max-insns 1500000000 --dump-text --stats -smp "$cpus" > "$tmp/screen.txt" 2> "$tmp/stderr.txt"
cat "$tmp/screen.txt" "$tmp/stderr.txt"
smp=""
[ "$cpus" -gt 1 ] && smp="SMP: ${cpus}T"
for marker in "Memtest86+ v" "Status: Testing" "Errors: 0" "Test #" "${smp:-Test #}"; do
    grep -qF "$marker" "$tmp/screen.txt" || { echo "memtest: '$marker' not on screen"; exit 1; }
done
echo "memtest: running, no errors"
