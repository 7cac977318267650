#!/bin/sh
# SPDX-License-Identifier: MIT
# KolibriOS from its floppy: it must reach its graphical desktop (Bochs VBE
# 800x600) within the budget; the headless screendump of it is checked for
# its size and for being a picture rather than a blank screen, and kept
# next to the test's output as kolibri.png.
#   kolibri.sh KAIRO IMAGE OUTDIR
set -u
kairo=$1 image=$2 outdir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$image" "$tmp/k.img" && chmod u+w "$tmp/k.img" || exit 1
png="$outdir/kolibri.png"
rm -f "$png"
"$kairo" -display none -fda "$tmp/k.img" --deterministic --max-insns 4000000000 \
    -screendump "$png" --stats 2>&1 | tail -3
[ -f "$png" ] || { echo "kolibri: no screendump"; exit 1; }
# IHDR: width and height, big-endian, at bytes 16..23.
dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $3*256+$4 "x" $7*256+$8}')
size=$(stat -c %s "$png")
echo "kolibri: screendump $png: $dims, $size bytes"
[ "$dims" = "800x600" ] || { echo "kolibri: not the 800x600 desktop"; exit 1; }
# A blank or text screen compresses to a few KiB; the desktop (gradient,
# icons, panel) does not.
[ "$size" -gt 20000 ] || { echo "kolibri: the screen is nearly empty"; exit 1; }
