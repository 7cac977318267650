#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots one gfx.asm pattern floppy, which ends the run with status 33, and
# checks kairo's headless screendump of it pixel by pixel.
#   gfx_test.sh KAIRO GFX_CHECK IMAGE MODE(12|13|vbe) PNG
set -u
kairo=$1 check=$2 image=$3 mode=$4 png=$5
rm -f "$png"
"$kairo" -fda "$image" -snapshot -display none -device isa-debug-exit --deterministic \
    --max-insns 400000000 -screendump "$png"
status=$?
[ $status -eq 33 ] || { echo "gfx_test: kairo exited with $status, want 33 (pattern drawn)"; exit 1; }
exec "$check" "$mode" "$png"
