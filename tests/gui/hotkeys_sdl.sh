#!/bin/sh
# SPDX-License-Identifier: MIT
# The window's hot keys and keyboard hygiene, on FreeDOS in a private
# Xvfb (see common.sh):
#   - Ctrl+Alt+G grabs (the title asks to press it again) and releases;
#   - a key held while the window loses the focus is released in the guest
#     (no stuck key repeating at the prompt), and presses while unfocused
#     do not reach the guest;
#   - Ctrl+Alt+End sends Ctrl+Alt+Delete: the guest resets and boots to
#     its prompt again;
#   - closing the window ends the run with 0.
#   hotkeys_sdl.sh KAIRO SCREEN_READ XCLOSE IMAGE
set -u
kairo=$1 reader=$2 xclose=$3 image=$4
test_name=hotkeys_sdl
tmp=$(mktemp -d)
. "$(dirname "$0")/common.sh"
trap cleanup EXIT

boot_to_prompt -d cpu_reset --dump-text

# Grab and release.
title() { xdotool getwindowname "$win"; }
xdotool key ctrl+alt+g
wait_for 5 'title | grep -q "Press Ctrl+Alt+G to release grab"' || fail "no grab in the title"
xdotool key ctrl+alt+g
wait_for 5 '! title | grep -q "release grab"' || fail "the grab was not released"
echo "$test_name: grab and release"

# A key held across a focus change: one 'y' reaches the prompt, not a
# stream of repeats; a 'q' typed meanwhile goes nowhere; a 'k' after the
# focus is back does (letters the reference screen has glyphs for).
root=$(xwininfo -root | awk '/Window id/ { print $4 }')
xdotool keydown y
sleep 0.05
xdotool windowfocus "$root"
sleep 1.5
xdotool type q
xdotool keyup y
xdotool windowfocus --sync "$win"
xdotool type k
wait_for 10 'capture && grep -q "^A:\\\\>[yq]*k" "$tmp/screen.txt"' || fail "no 'k' after the y"
line=$(grep "^A:\\\\>[yq]*k" "$tmp/screen.txt" | tail -n1)
n=$(printf '%s' "$line" | tr -cd y | wc -c)
printf '%s' "$line" | grep -q q && fail "a key typed without the focus reached the guest: $line"
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "the held key stuck (${n} y): $line"
echo "$test_name: focus loss released the key ($line)"

# Ctrl+Alt+End: a Ctrl+Alt+Delete for the guest. The reboot clears the
# screen: the prompt comes back without the y..k line.
xdotool key ctrl+alt+End
wait_for 10 'grep -q "reset requested by the guest" "$tmp/kairo.err"' ||
    fail "Ctrl+Alt+End did not reset the guest"
wait_for 40 'capture && grep -qF "A:\>" "$tmp/screen.txt" && ! grep -q "^A:\\\\>[yq]*k" "$tmp/screen.txt"' ||
    fail "no fresh prompt after the reset"
echo "$test_name: Ctrl+Alt+End reset the guest, which booted again"

close_window
echo "$test_name: pass"
exit 0
