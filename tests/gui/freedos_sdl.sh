#!/bin/sh
# SPDX-License-Identifier: MIT
# The SDL window end to end, on a private Xvfb: FreeDOS boots in
# `kairo -display sdl`; the test reads the A:\> prompt off the window's
# pixels, types a command with xdotool (XTEST, so through SDL's keyboard
# path, the keymap and the 8042), reads its output off the window, closes
# the window as a window manager would (kairo must exit 0 through its
# normal path) and then checks:
#   - the last window capture equals, pixel for pixel, kairo's own
#     -screendump taken at exit (the blinking cursor's cell aside);
#   - --dump-text at exit has the command's output.
# The window is read with the guest's own font: glyphs are learnt from a
# headless run of the same image (its screendump and --dump-text).
#   freedos_sdl.sh KAIRO SCREEN_READ XCLOSE IMAGE
set -u
kairo=$1 reader=$2 xclose=$3 image=$4
test_name=freedos_sdl
cmd='echo kairo-sdl-ok' want='kairo-sdl-ok'
tmp=$(mktemp -d)
. "$(dirname "$0")/common.sh"
trap cleanup EXIT

boot_to_prompt --dump-text -screendump "$tmp/exit.png"
echo "$test_name: prompt visible"

xdotool type --delay 60 "$cmd" && xdotool key Return || fail "xdotool could not type"
wait_for 30 'capture && grep -qx "$want" "$tmp/screen.txt"' ||
    fail "'$want' never appeared in the window"
echo "$test_name: '$want' visible in the window"
sleep 0.5
capture || fail "last capture failed"
cp "$tmp/window.xwd" "$tmp/last.xwd"

close_window
grep -qx "$want" "$tmp/exit.txt" || fail "--dump-text at exit lacks the output '$want'"
"$reader" same "$tmp/last.xwd" "$tmp/exit.png" 9x16 ||
    fail "the window is not kairo's own rendering of the screen"
echo "$test_name: pass"
exit 0
