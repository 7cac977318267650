#!/bin/sh
# SPDX-License-Identifier: MIT
# The mouse through the SDL window, end to end on a private Xvfb (see
# common.sh): mouse_test.asm, booted from a floppy, sets up an IntelliMouse
# through the 8042 and writes every packet to the debug console (port
# 0xE9, kairo's stdout here). Driven with xdotool (XTEST, so through the X
# server, SDL's relative mode, display_sdl.c and the 8042):
#   - a click in the window grabs, and is not passed on;
#   - relative motion right/down, left/up, straight up: the packets' sums
#     have the right signs (PS/2: Y positive is up), no buttons, no wheel;
#   - left, right, middle press and release: the button bit appears, then
#     clears, and no other one;
#   - wheel up and down (buttons 4, 5): one packet each with the 4th byte
#     -1 (up, away from the user) and +1 (down), as IntelliMouse drivers
#     read it (a signed byte, positive toward the user);
#   - Ctrl+Alt+G with the left button held releases the grab and the
#     button in the guest; then motion, buttons and wheel send nothing;
#     Ctrl+Alt+G grabs again and motion is passed on again;
#   - no packet out of step (the program's "sync" lines);
#   - closing the window ends the run with 0.
# SDL's relative mode under Xvfb: Xvfb has XInput2, so SDL reads raw
# motion events (no pointer warping), which XTEST's relative motion yields
# (it is a device event): 5 steps of (20, 10) arrive as dx 100, dy -50.
# With SDL_MOUSE_RELATIVE_MODE_WARP=1 SDL warps instead and drops the first
# step after a warp. So the test checks signs and non-zero sums, not
# amounts, and passes both ways.
#   mouse_sdl.sh KAIRO XCLOSE IMAGE
set -u
kairo=$1 xclose=$2 image=$3
test_name=mouse_sdl
tmp=$(mktemp -d)
. "$(dirname "$0")/common.sh"
trap cleanup EXIT
out=$tmp/exit.txt   # kairo's stdout: the debug console

# The packets since the last mark, as "b0 dx dy dz" (b0 unsigned, the rest
# signed decimal).
mark() { base=$(grep -c '^pkt' "$out"); }
packets() {
    grep '^pkt' "$out" | tail -n +$((base + 1)) | awk '
        function digit(s, i) { return index("0123456789abcdef", substr(s, i, 1)) - 1 }
        function hex(s) { return 16 * digit(s, 1) + digit(s, 2) }
        { b0 = hex($2); x = hex($3); y = hex($4); z = hex($5)
          if (int(b0 / 16) % 2) x -= 256
          if (int(b0 / 32) % 2) y -= 256
          if (z >= 128) z -= 256
          print b0, x, y, z }'
}
# The packets since the mark summed up: "N SUMX SUMY SUMZ SEEN LAST", SEEN
# the button bits set in any of them, LAST those of the last one.
summary() {
    packets | awk '{ n++; x += $2; y += $3; z += $4; last = $1 % 8
                     for (i = 1; i <= 4; i *= 2) if (int(last / i) % 2) seen[i] = i }
                   END { print n + 0, x + 0, y + 0, z + 0, seen[1] + seen[2] + seen[4], last + 0 }'
}
# One field of the summary: 1 n, 2 x, 3 y, 4 z, 5 seen, 6 last.
field() { summary | cut -d' ' -f"$1"; }
fail_packets() {
    echo "--- debug console since the mark"
    grep '^pkt' "$out" | tail -n +$((base + 1)) | tail -40
    fail "$@"
}
title() { xdotool getwindowname "$win"; }

xvfb_start
cp "$image" "$tmp/disk.img" || fail "cannot copy $image"
kairo_start -debugcon stdio
wait_for 20 'grep -q "^ready" "$out"' || fail "the mouse test program did not get ready"
grep -qx 'ready id=03' "$out" || fail "no IntelliMouse: $(grep -E '^(ready|error)' "$out")"
echo "$test_name: guest ready, mouse id 03"
xdotool windowfocus --sync "$win" || fail "cannot focus the window"
xdotool mousemove --window "$win" --sync 200 150 || fail "cannot move into the window"

# A click grabs; the click is the host's, not the guest's.
mark
xdotool click 1
wait_for 5 'title | grep -q "release grab"' || fail "a click in the window did not grab"
sleep 0.5
[ "$(field 5)" -eq 0 ] || fail_packets "the grabbing click reached the guest"
echo "$test_name: a click grabbed ($(field 1) packets, no buttons)"

# Relative motion: right/down, then left/up. Several small steps, so
# that whatever SDL coalesces, some motion gets through.
move() {
    i=0
    while [ $i -lt 5 ]; do
        xdotool mousemove_relative -- "$1" "$2"
        sleep 0.05
        i=$((i + 1))
    done
}
# want_motion XOP YOP WHAT: the sums compare with 0 so (XOP, YOP: an awk
# operator), once motion arrives; and no buttons or wheel came with it.
want_motion() {
    cond="summary | awk '{ exit !(\$2 $1 0 && \$3 $2 0) }'"
    wait_for 5 "$cond" ||
        fail_packets "motion $3: sums x $(field 2) y $(field 3), want x $1 0, y $2 0"
    sleep 0.3
    [ "$(field 4)" -eq 0 ] && [ "$(field 5)" -eq 0 ] ||
        fail_packets "motion $3: buttons or wheel in the packets ($(summary))"
    eval "$cond" || fail_packets "motion $3: sums x $(field 2) y $(field 3) at the end"
    echo "$test_name: motion $3: $(field 1) packets, dx $(field 2), dy $(field 3)"
}
mark
move 20 10
want_motion '>' '<' 'right/down (PS/2 dy negative)'
mark
move -15 -25
want_motion '<' '>' 'left/up (PS/2 dy positive)'
mark
move 0 -30
want_motion '==' '>' 'straight up'

# Buttons: xdotool 1 left, 3 right, 2 middle; PS/2 bits 0, 1, 2.
button() {
    mark
    xdotool mousedown "$1"
    wait_for 5 '[ "$(field 6)" -eq '"$2"' ]' || fail_packets "$3 press: no packet with bit $2"
    xdotool mouseup "$1"
    wait_for 5 '[ "$(field 6)" -eq 0 ] && [ "$(field 1)" -ge 2 ]' ||
        fail_packets "$3 release: the bit did not clear"
    [ "$(field 5)" -eq "$2" ] || fail_packets "$3: other buttons seen (bits $(field 5))"
    echo "$test_name: $3 button: bit $2 set and cleared ($(field 1) packets)"
}
button 1 1 left
button 3 2 right
button 2 4 middle

# The wheel: one notch up (away from the user) is -1, down +1.
wheel() {
    mark
    xdotool click "$1"
    wait_for 5 '[ "$(field 4)" -ne 0 ]' || fail_packets "wheel $3: no wheel packet"
    sleep 0.3
    [ "$(field 4)" -eq "$2" ] || fail_packets "wheel $3: dz sum $(field 4), want $2"
    packets | awk '$4 != 0 && $4 != '"$2"' { exit 1 }' || fail_packets "wheel $3: a packet beyond $2"
    [ "$(field 5)" -eq 0 ] || fail_packets "wheel $3: a button bit"
    echo "$test_name: wheel $3: dz $2 ($(field 1) packets)"
}
wheel 4 -1 up
wheel 5 1 down

# Ctrl+Alt+G with the left button held releases the grab and the button
# (its release is the host's); then nothing reaches the guest any more.
mark
xdotool mousedown 1
wait_for 5 '[ "$(field 6)" -eq 1 ]' || fail_packets "left press before the release: no packet"
xdotool key ctrl+alt+g
wait_for 5 '! title | grep -q "release grab"' || fail "Ctrl+Alt+G did not release the grab"
wait_for 5 '[ "$(field 6)" -eq 0 ]' ||
    fail_packets "the left button stayed down in the guest when the grab was released"
echo "$test_name: Ctrl+Alt+G released the grab and the held button"
xdotool mouseup 1
sleep 0.3
mark
move 20 20
xdotool click 4
xdotool mousedown 3
xdotool mouseup 3
sleep 1
[ "$(field 1)" -eq 0 ] || fail_packets "$(field 1) packets without the grab"
echo "$test_name: released: no packets for motion, wheel or buttons"

# Ctrl+Alt+G grabs again (no click), and motion flows again.
xdotool key ctrl+alt+g
wait_for 5 'title | grep -q "release grab"' || fail "Ctrl+Alt+G did not grab again"
mark
move 25 0
want_motion '>' '==' 'right after Ctrl+Alt+G'

grep -q '^sync' "$out" && fail "packets out of step: $(grep '^sync' "$out" | head -3)"
close_window
echo "$test_name: pass"
exit 0
