#!/bin/sh
# SPDX-License-Identifier: MIT
# SeaBIOS POST with no disks: its banner must be on the VGA text screen
# (read from text memory) and in its debug output (port 0x402).
#   seabios_post.sh KAIRO
set -u
kairo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kairo" -display none --deterministic --max-insns 300000000 --dump-text \
    --firmware-log "file:$tmp/fw.log" > "$tmp/screen.txt" 2> "$tmp/stderr.txt"
cat "$tmp/screen.txt"
status=0
grep -q "SeaBIOS (version" "$tmp/screen.txt" || { echo "seabios_post: no banner on screen"; status=1; }
grep -q "^SeaBIOS (version" "$tmp/fw.log" || { echo "seabios_post: no banner on port 0x402"; status=1; }
grep -q "No bootable device" "$tmp/screen.txt" || { echo "seabios_post: POST did not reach the boot menu"; status=1; }
[ $status -eq 0 ] && echo "seabios_post: banner on screen and on the debug port"
[ $status -eq 0 ] || cat "$tmp/stderr.txt"
exit $status
