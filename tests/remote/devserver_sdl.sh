#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kairo-portd's console as an SDL window under Xvfb (docs/DEVSERVER.md):
# two guests (devserver_guest.asm) with a remote VGA and 8042 each; the
# window's title names the focused client, Ctrl+Alt+F2 / Ctrl+Alt+F1 typed
# into the window (xdotool, XTEST) and a focus change on the control socket
# move the window to the other client (title, keyboard) and no guest sees
# those keys, and keys typed into the window reach only the focused guest.
#
# (Its Xvfb delivers Ctrl+Alt+Fn to clients: see xvfb_lib.sh.)
#
# usage: devserver_sdl.sh KAIRO KAIRO_PORTD GUEST_A_IMG GUEST_B_IMG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "devserver_sdl: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
. "$here/xvfb_lib.sh"
KAIRO=$1 PORTD=$2 GA=$3 GB=$4
scratch_work
ip link set lo up
fail=0
TEST=devserver_sdl

start_xvfb devserver_sdl

"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7730"
    echo "control $work/ctl"
    for c in 127.0.0.2 127.0.0.3; do
        printf 'slot vga vga\nclient %s\nports 0x3B0-0x3DF widths 1,2\nports 0x1CE-0x1D0 widths 1,2\n' $c
        printf 'mmio 0xA0000-0xBFFFF\nslot i8042 kbd\nclient %s\nports 0x60\nports 0x64\nirq 1\nirq 12\n' $c
    done
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --display sdl --stats 2>"$work/portd.err" &
portd_pid=$!
remote() { echo "$1=udp:127.0.0.1:7730,bind=$2:0,key=$work/key"; }
for g in "A $GA 127.0.0.2" "B $GB 127.0.0.3"; do
    set -- $g
    "$KAIRO" -fda "$2" -snapshot -display none -serial "file:$work/$1.out" \
        -remote "$(remote vga $3)" -remote "$(remote i8042 $3)" 2>"$work/$1.err" &
    pids+=($!)
done
win=$(portd_window devserver_sdl) || { cat "$work/portd.err"; echo "devserver_sdl: FAIL: no window"; exit 1; }
title() { xdotool getwindowname "$win"; }
ctl() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
print(s.makefile().readline().strip())' "$work/ctl" "$1"; }
wait_for 20 'grep -q "A:R:" "$work/A.out" 2>/dev/null && grep -q "B:R:" "$work/B.out" 2>/dev/null' ||
    echo "devserver_sdl: the guests are slow to start"
check "the title names client 1" 'wait_for 5 "title | grep -q \"client 1 (127.0.0.2)\""'
xdotool windowfocus --sync "$win" 2>/dev/null || true
xdotool type --window "$win" --delay 80 "ab"
check "keys typed into the window reach guest A" 'wait_for 10 "grep -q A:b: $work/A.out"'
host_key "$win" ctrl+alt+F2
check "Ctrl+Alt+F2 in the window focuses client 2" \
    'wait_for 5 "[ \"\$(ctl focus)\" = \"ok focus 2 127.0.0.3\" ]"'
check "the window's title names client 2" 'wait_for 5 "title | grep -q \"client 2 (127.0.0.3)\""'
xdotool windowfocus --sync "$win" 2>/dev/null || true
xdotool type --window "$win" --delay 80 "xy"
check "keys now reach guest B" 'wait_for 10 "grep -q B:y: $work/B.out"'
check "guest A got none of them" \
    '! grep -q "A:[xy]:" "$work/A.out" && [ "$(grep -c "^A:[a-z]:" "$work/A.out")" = 2 ]'
host_key "$win" ctrl+alt+F1
check "Ctrl+Alt+F1: client 1 again, the title follows" \
    'wait_for 5 "title | grep -q \"client 1 (127.0.0.2)\"" && [ "$(ctl focus)" = "ok focus 1 127.0.0.2" ]'
xdotool type --window "$win" --delay 80 "c"
check "and the window's keys reach guest A again" 'wait_for 10 "grep -q A:c: $work/A.out"'
check "focus 2 on the control socket: the window follows" \
    '[ "$(ctl "focus 2")" = "ok focus 2 127.0.0.3" ] && wait_for 5 "title | grep -q \"client 2 (127.0.0.3)\""'
sleep 0.5
check "no guest saw a focus key (only the letters typed reached them)" \
    '[ "$(grep -c "^A:" "$work/A.out")" = 4 ] && [ "$(grep -c "^B:" "$work/B.out")" = 3 ]'
grep "console: focus" "$work/portd.err" | head -4 || true
if [ -n "${DS_DEBUG:-}" ] || [ $fail -ne 0 ]; then
    tail -n 20 "$work/portd.err" "$work/xvfb.log" "$work/A.out" "$work/B.out" 2>/dev/null || true
fi
exit $fail
