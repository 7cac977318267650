#!/bin/sh
# SPDX-License-Identifier: MIT
# The monitor console in the window, on FreeDOS in a private Xvfb (see
# common.sh); no -monitor, so the console has the monitor (QEMU's default
# -monitor vc):
#   - Ctrl+Alt+2 shows the console: its greeting and prompt, read off the
#     window's pixels with the VGA BIOS's 8x16 font;
#   - `info pic` typed there (SDL text input) answers in the console;
#   - `stop`: while the guest is stopped the window still refreshes and
#     takes input (`regs` answers); a port watchpoint and a breakpoint stop
#     the guest by themselves and `c` typed in the console resumes it;
#   - Ctrl+Alt+1 is the guest's screen again, which never saw the keys
#     typed in the console, and takes keys again;
#   - closing the window while the guest is stopped ends the run with 0;
#   - -monitor vc -S: the guest waits for a `c` typed in the console.
#   monitor_sdl.sh KAIRO SCREEN_READ XCLOSE IMAGE
set -u
kairo=$1 reader=$2 xclose=$3 image=$4
test_name=monitor_sdl
font=/usr/share/seabios/vgabios-stdvga.bin
tmp=$(mktemp -d)
. "$(dirname "$0")/common.sh"
trap cleanup EXIT
[ -r "$font" ] || { echo "$test_name: no $font (apt install seabios)"; exit 1; }

boot_to_prompt --dump-text
echo "$test_name: prompt visible"

# The console's text, read with the VGA font into $tmp/screen.txt.
console() {
    xwd -id "$win" -silent > "$tmp/window.xwd" 2>/dev/null &&
        "$reader" font "$tmp/window.xwd" "$font" 8x16 > "$tmp/screen.txt"
}
# Type a line into the console.
say() {
    xdotool type --delay 40 "$1" && xdotool key Return || fail "xdotool could not type '$1'"
}

xdotool key ctrl+alt+2
wait_for 10 'console && grep -q "^Kairo monitor - type .help." "$tmp/screen.txt"' ||
    fail "Ctrl+Alt+2 showed no monitor greeting"
grep -q '^(kairo)' "$tmp/screen.txt" || fail "no (kairo) prompt in the console"
echo "$test_name: Ctrl+Alt+2 shows the monitor"

say "info pic"
wait_for 10 'console && grep -q "^master: irr 0x.. imr 0x" "$tmp/screen.txt"' ||
    fail "'info pic' did not answer in the console"
grep -q '^(kairo) info pic$' "$tmp/screen.txt" || fail "the typed line is not echoed"
echo "$test_name: info pic answered"

say "stop"
wait_for 10 'console && grep -q "^stopped$" "$tmp/screen.txt"' || fail "'stop' did not stop"
say "regs"
wait_for 10 'console && grep -q "^eax  0x" "$tmp/screen.txt"' ||
    fail "the window did not take input while the guest was stopped"
say "c"
say "watch port 0x20"
wait_for 10 'console && grep -q "watchpoint 1 hit: out port 0x0020" "$tmp/screen.txt"' ||
    fail "the port watchpoint did not stop the guest"
say "delete 1"
say "c"
# A breakpoint: SeaBIOS's IRQ 0 entry (F000:FEA5, fixed since the PC/AT),
# reached 18.2 times a second; `c` in the console goes on from it.
say "b 0xffea5"
wait_for 10 'console && grep -q "breakpoint [0-9]* hit" "$tmp/screen.txt"' ||
    fail "the breakpoint did not stop the guest"
grep -q "^000ffea5 f000:fea5: " "$tmp/screen.txt" || fail "the breakpoint stopped elsewhere"
id=$(sed -n 's/.*breakpoint \([0-9]*\) hit.*/\1/p' "$tmp/screen.txt" | tail -n 1)
say "delete $id"
say "c"
# The prompt after `c` (the '?' is the cursor's cell).
wait_for 10 'console && tail -n 2 "$tmp/screen.txt" | tr "\n" "|" | grep -q "^(kairo) c|(kairo) ?|$"' ||
    fail "no prompt after c"
echo "$test_name: stop, regs while stopped, watchpoint and breakpoint stops, c"

# Back to the guest: the console's keys never reached it, and it runs
# (a command typed now is answered).
xdotool key ctrl+alt+1
wait_for 10 'capture && grep -qF "A:\>" "$tmp/screen.txt"' || fail "Ctrl+Alt+1 did not show the guest"
grep -q "info\|regs\|watch" "$tmp/screen.txt" && fail "console keys reached the guest"
xdotool type --delay 60 "echo kairo-back" && xdotool key Return
wait_for 30 'capture && grep -qx "kairo-back" "$tmp/screen.txt"' ||
    fail "the guest does not run or take keys after Ctrl+Alt+1"
echo "$test_name: Ctrl+Alt+1 back to the running guest"

# Stopped, the window still closes the run.
xdotool key ctrl+alt+2
wait_for 10 'console && tail -n 1 "$tmp/screen.txt" | grep -q "^(kairo) ?$"' ||
    fail "Ctrl+Alt+2 did not show the console again"
say "stop"
wait_for 10 'console && tail -n 3 "$tmp/screen.txt" | head -n 1 | grep -q "^stopped$"' ||
    fail "the second stop did not answer"
close_window
echo "$test_name: the window closed the run while the guest was stopped"

# -monitor vc -S: the guest waits at the reset vector for a `c` typed in
# the window's console.
kairo_start -monitor vc -S
xdotool windowfocus --sync "$win" || fail "cannot focus the window"
xdotool key ctrl+alt+2
wait_for 10 'console && grep -q "the guest is stopped" "$tmp/screen.txt"' ||
    fail "-S: the console does not say the guest is stopped"
say "c"
xdotool key ctrl+alt+1
wait_for 40 'capture && grep -qF "A:\>" "$tmp/screen.txt"' || fail "-S: no prompt after c"
echo "$test_name: -monitor vc -S waited for the console's c"
close_window
echo "$test_name: pass"
exit 0
