#!/bin/sh
# SPDX-License-Identifier: MIT
# The window's quick save and quick load, on FreeDOS in a private Xvfb
# (tests/gui/common.sh): Ctrl+Alt+W at the prompt saves kairo-quick.snap,
# letters typed afterwards show at the prompt, Ctrl+Alt+R brings back the
# saved machine, whose screen does not have them.
#   quicksnap_sdl.sh KAIRO SCREEN_READ XCLOSE IMAGE
set -u
kairo=$1 reader=$2 xclose=$3 image=$4
test_name=quicksnap_sdl
tmp=$(mktemp -d)
. "$(dirname "$0")/../gui/common.sh"
trap cleanup EXIT
cd "$tmp" || exit 1   # the quick snapshot is written to the current directory

boot_to_prompt --dump-text
xdotool key ctrl+alt+w
wait_for 10 'grep -q "quick save to kairo-quick.snap" "$tmp/kairo.err"' || fail "no quick save"
[ -s "$tmp/kairo-quick.snap" ] || fail "no kairo-quick.snap"
echo "$test_name: $(grep "quick save" "$tmp/kairo.err")"

xdotool type yk
wait_for 10 'capture && grep -q "^A:\\\\>yk" "$tmp/screen.txt"' || fail "the typed letters do not show"
xdotool key ctrl+alt+r
wait_for 10 'grep -q "quick load from kairo-quick.snap" "$tmp/kairo.err"' || fail "no quick load"
wait_for 10 'capture && grep -qF "A:\>" "$tmp/screen.txt" && ! grep -q "^A:\\\\>yk" "$tmp/screen.txt"' ||
    fail "the screen after the quick load still has the letters typed after the save"
echo "$test_name: $(grep "quick load" "$tmp/kairo.err")"
# The loaded guest takes keys again.
xdotool type k
wait_for 10 'capture && grep -q "^A:\\\\>k" "$tmp/screen.txt"' || fail "no key reaches the loaded guest"
echo "$test_name: the loaded guest takes keys"
close_window
echo "$test_name: pass"
exit 0
