#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots a guest floppy headless and checks the text screen for a marker.
#   boot_check.sh KAIRO IMAGE MAX_INSNS MARKER [KAIRO OPTIONS...]
# The image is copied first: guests write to their disks, and the shared
# images are read-only. Fails (status 1) when the marker is not on screen
# when the instruction budget runs out.
set -u
kairo=$1 image=$2 budget=$3 marker=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$image" "$tmp/disk.img" || { echo "boot_check: cannot copy $image"; exit 1; }
chmod u+w "$tmp/disk.img"
"$kairo" -display none -fda "$tmp/disk.img" --deterministic --max-insns "$budget" \
    --dump-text "$@" > "$tmp/screen.txt" 2> "$tmp/stderr.txt"
cat "$tmp/screen.txt"
if grep -qF "$marker" "$tmp/screen.txt"; then
    echo "boot_check: found '$marker'"
    exit 0
fi
echo "boot_check: '$marker' not on screen after $budget instructions"
cat "$tmp/stderr.txt"
exit 1
