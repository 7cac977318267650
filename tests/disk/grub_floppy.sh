#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's GRUB rescue floppy (grub-rescue-pc: grub-rescue-floppy.img,
# 1,296,384 bytes, no standard floppy size) boots from A: to GRUB's menu.
# The package is fetched with `apt-get download` once and cached in
# CACHE_DIR. The image takes the 1.44M geometry (the next larger format,
# as QEMU chooses); its missing tail reads as zeros.
#   grub_floppy.sh KAIRO CACHE_DIR
set -u
kairo=$1 cache=$2
img="$cache/grub-rescue-floppy.img"
if [ ! -f "$img" ]; then
    mkdir -p "$cache/pkg" || exit 1
    (cd "$cache/pkg" && apt-get download grub-rescue-pc >/dev/null 2>&1) ||
        { echo "grub_floppy: apt-get download grub-rescue-pc failed"; exit 1; }
    dpkg-deb -x "$cache"/pkg/grub-rescue-pc_*.deb "$cache/pkg/x" || exit 1
    cp "$cache/pkg/x/usr/lib/grub-rescue/grub-rescue-floppy.img" "$img" || exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$img" "$tmp/fd.img" && chmod u+w "$tmp/fd.img" || exit 1
echo "grub_floppy: $(stat -c %s "$tmp/fd.img") bytes"
"$kairo" -display none -fda "$tmp/fd.img" --deterministic --max-insns 600000000 \
    --dump-text > "$tmp/screen.txt" 2> "$tmp/stderr.txt"
cat "$tmp/screen.txt"
if grep -q "GNU GRUB  *version" "$tmp/screen.txt" &&
   grep -q "Press enter to boot the selected OS" "$tmp/screen.txt"; then
    echo "grub_floppy: GRUB's menu is up"
    exit 0
fi
echo "grub_floppy: no GRUB menu on the screen"
cat "$tmp/stderr.txt"
exit 1
