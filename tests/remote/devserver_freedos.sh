#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 21's console acceptance (docs/DEVSERVER.md): FreeDOS and the Debian
# kernel (on its VGA text console) as two kairo guests with -remote vga=
# and -remote i8042= on one kairo-portd (UDP loopback inside `unshare
# -Urn`). The server's screendump and text show the focused guest; keys
# typed on the server's console reach only it (FreeDOS runs the typed
# command on its screen; Linux echoes the line from tty1 to its serial
# line); after a focus switch and back each screen is intact (its text the
# same as before) and both guests kept running: FreeDOS's clock (`time`,
# the BIOS tick count) and Linux's tick counter on its serial line advanced.
# With `sdl` the same in the server's SDL window on a private Xvfb: the
# focus moves with Ctrl+Alt+F1/F2 typed into the window and the keys are
# typed into the window (xdotool), the title names the focused client.
#
# usage: devserver_freedos.sh KAIRO KAIRO_PORTD VMLINUZ INITRD FREEDOS_IMG [sdl]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    for f in "$3" "$4" "$5"; do
        [ -f "$f" ] || { echo "devserver_freedos: no image $f"; exit 1; }
    done
    unshare -Urn true 2>/dev/null || { echo "devserver_freedos: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 VMLINUZ=$3 INITRD=$4 FREEDOS=$5 MODE=${6:-}
scratch_work
ip link set lo up
fail=0
TEST=devserver_freedos
WAIT_STEP=0.5

# Linux: a line on tty1, a tick counter on the serial line, and every line
# typed on tty1 echoed to the serial line.
mkdir -p "$work/extra"
cat > "$work/extra/tty_test.sh" <<'EOF'
#!/bin/sh
echo "LINUX-ON-VGA" > /dev/tty1
( n=0; while :; do n=$((n + 1)); echo "L-TICK $n"; sleep 1; done ) &
echo "TYPE-NOW"
while :; do read -r typed < /dev/tty1; echo "TYPED:$typed"; done
EOF
chmod +x "$work/extra/tty_test.sh"
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip) > "$work/extra.cpio.gz"
cat "$INITRD" "$work/extra.cpio.gz" > "$work/initrd.img"

"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7790"
    echo "control $work/ctl"
    for c in 127.0.0.2 127.0.0.3; do
        printf 'slot vga vga\nclient %s\nports 0x3B0-0x3DF widths 1,2\nports 0x1CE-0x1D0 widths 1,2\n' $c
        printf 'mmio 0xA0000-0xBFFFF\nmmio 0xE0000000-0xE0FFFFFF\n'
        printf 'slot i8042 kbd\nclient %s\nports 0x60\nports 0x64\nirq 1\nirq 12\n' $c
    done
} > "$work/portd.conf"
display=()
if [ "$MODE" = sdl ]; then
    . "$here/xvfb_lib.sh"
    start_xvfb devserver_freedos
    display=(--display sdl)
fi
"$PORTD" -c "$work/portd.conf" --stats "${display[@]}" 2>"$work/portd.err" &
portd_pid=$!
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done
# ctl COMMAND [FILE]: one control command; its reply line on stdout, what
# follows it (a screendump, a text) into FILE.
ctl() { python3 - "$work/ctl" "$@" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
data = b""
while True:
    b = s.recv(1 << 16)
    if not b: break
    data += b
line, _, rest = data.partition(b"\n")
print(line.decode())
if len(sys.argv) > 3: open(sys.argv[3], "wb").write(rest)
EOP
}
text() { ctl text "$1" >/dev/null; }     # text FILE: the focused screen's text
win=
if [ "$MODE" = sdl ]; then
    win=$(portd_window devserver_freedos) || { cat "$work/portd.err"; exit 1; }
fi
# switch_to K: focus client K: Ctrl+Alt+FK in the window (sdl), else the
# control socket; true once the server (and the window's title) says so.
switch_to() {
    local k=$1 who=127.0.0.$(($1 + 1))
    if [ -n "$win" ]; then
        host_key "$win" "ctrl+alt+F$k"
        wait_for 5 '[ "$(ctl focus)" = "ok focus $k $who" ] &&
                    xdotool getwindowname "$win" | grep -q "client $k ($who)"'
    else
        [ "$(ctl "focus $k")" = "ok focus $k $who" ]
    fi
}
# type_keys TEXT: keys for TEXT (\n = Enter) to the focused client: typed
# into the window (sdl), else the control socket's type command.
type_keys() {
    if [ -z "$win" ]; then
        [ "$(ctl "type $1")" = ok ]
        return
    fi
    # xdotool's newline is no Return for SDL: the Enter key between the parts.
    local rest=$1 part
    xdotool windowfocus --sync "$win" 2>/dev/null || true
    while :; do
        part=${rest%%\\n*}
        [ -z "$part" ] || xdotool type --window "$win" --delay 60 "$part"
        [ "$part" = "$rest" ] && break
        xdotool key --window "$win" Return
        rest=${rest#*\\n}
    done
}
remote() { echo "$1=udp:127.0.0.1:7790,bind=$2:0,key=$work/key"; }
"$KAIRO" -fda "$FREEDOS" -snapshot -display none \
    -remote "$(remote vga 127.0.0.2)" -remote "$(remote i8042 127.0.0.2)" 2>"$work/D.err" &
pids+=($!)
"$KAIRO" -kernel "$VMLINUZ" -initrd "$work/initrd.img" -m 256 -display none \
    -serial "file:$work/L.out" \
    -append "console=ttyS0 console=tty0 loglevel=1 kairo.run=/tty_test.sh" \
    -remote "$(remote vga 127.0.0.3)" -remote "$(remote i8042 127.0.0.3)" --timeout 900 \
    2>"$work/L.err" &
pids+=($!)
ticks() { { grep -a "L-TICK" "$work/L.out" || true; } | tail -1 | tr -dc 0-9; }
# dos_time FILE: FreeDOS's `time` answer in FILE as centiseconds.
dos_time() {
    { grep -a "Current time is" "$1" 2>/dev/null || true; } | tail -1 |
        sed -E 's/.* ([0-9]+):([0-9]+):([0-9]+)[.,]([0-9]+) *([ap]?).*/\1 \2 \3 \4 \5/' |
        awk '{ h = $1 % 12 + ($5 == "p" ? 12 : $5 == "a" ? 0 : $1 - $1 % 12)
               print (((h * 60) + $2) * 60 + $3) * 100 + $4 }'
}
# dos_clock OUT: FreeDOS (focused) runs `time` (Enter keeps the time); its
# screen's text goes to OUT once the prompt is back.
dos_clock() {
    local out=$1 n
    text "$work/before.txt"
    n=$(grep -c "Current time is" "$work/before.txt" || true)
    type_keys 'time\n'
    wait_for 20 'text "$out"; [ "$(grep -c "Current time is" "$out")" -gt "$n" ] &&
                 grep -q "new time" "$out"' || return 1
    type_keys '\n'
    wait_for 20 'text "$out"; [ "$(not_blank "$out" | tail -n 1 | tr -d " ")" = "A:\\>" ]'
}
not_blank() { grep -v '^ *$' "$1"; }

ctl "focus 1" >/dev/null
check "FreeDOS reached its prompt on the remote VGA (the server's text, client 1 focused)" \
    'wait_for 120 "text $work/d0.txt; grep -q \"A:.>\" $work/d0.txt && grep -q \"Welcome to FreeDOS\" $work/d0.txt"'
ctl screendump "$work/d0.ppm" >/dev/null
check "Linux booted with a remote VGA and 8042 and reads tty1" \
    'wait_for 600 "grep -aq TYPE-NOW $work/L.out"'

# --- FreeDOS focused: its keys reach FreeDOS only ---
ctl "focus 1" >/dev/null
check "typing to FreeDOS" 'type_keys "echo dosone\n"'
check "FreeDOS ran the typed command (its output on the server's screen)" \
    'wait_for 20 "text $work/d1.txt; grep -qx \"dosone *\" $work/d1.txt"'
check "FreeDOS's clock read (time)" 'dos_clock "$work/d2.txt"'
t1=$(dos_time "$work/d2.txt")
text "$work/d2.txt"
not_blank "$work/d2.txt" | tail -4 | sed 's/^/devserver_freedos: FreeDOS: /'

# --- Linux focused: the screen follows, keys reach Linux only ---
check "focus 2" 'switch_to 2'
text "$work/l1.txt"
ctl screendump "$work/l1.ppm" >/dev/null
check "the screen (text) is Linux's now" \
    'grep -q LINUX-ON-VGA "$work/l1.txt" && ! grep -q FreeDOS "$work/l1.txt"'
check "the screendump differs from FreeDOS's" '[ -s "$work/l1.ppm" ] && ! cmp -s "$work/l1.ppm" "$work/d0.ppm"'
check "keys typed reach Linux's tty1" \
    'type_keys "kairo42\n" && wait_for 30 "grep -aq TYPED:kairo42 $work/L.out"'
check "and Linux's screen shows them" 'wait_for 10 "text $work/l2.txt; grep -q kairo42 $work/l2.txt"'
sleep 1
text "$work/l2.txt"
lt1=$(ticks)
check "FreeDOS's typed command never reached Linux" '! grep -aq "TYPED:.*dosone" "$work/L.out"'
sleep 3                         # both out of sight of each other for a while

# --- back to FreeDOS: intact, running, and Linux's keys never arrived ---
check "focus 1" 'switch_to 1'
text "$work/d3.txt"
check "FreeDOS's screen intact after focus 2 and back (no kairo42 on it)" \
    'cmp -s "$work/d2.txt" "$work/d3.txt" && ! grep -q kairo42 "$work/d3.txt"'
check "FreeDOS's clock read again" 'dos_clock "$work/d4.txt"'
t2=$(dos_time "$work/d4.txt")
echo "devserver_freedos: FreeDOS time before $t1, after focus 2 and back $t2 (centiseconds)"
check "FreeDOS kept running (its clock advanced by over 3 s)" \
    '[ -n "$t1" ] && [ -n "$t2" ] && [ $((t2 - t1)) -gt 300 ]'

# --- back to Linux: intact and running ---
check "focus 2 again" 'switch_to 2'
text "$work/l3.txt"
check "Linux's screen intact after focus 1 and back" 'cmp -s "$work/l2.txt" "$work/l3.txt"'
lt2=$(ticks)
echo "devserver_freedos: Linux's tick counter $lt1 when it lost the focus, $lt2 when it got it back"
check "Linux kept running (its tick counter advanced)" \
    '[ -n "$lt1" ] && [ -n "$lt2" ] && [ "$lt2" -gt "$lt1" ]'
check "FreeDOS's second time command never reached Linux" '! grep -aq "TYPED:.*time" "$work/L.out"'
stats=$(ctl stats)
echo "devserver_freedos: $stats"
check "the focus changes counted (1->2, 2->1, 1->2)" \
    '[[ "$stats" =~ focus-changes\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -eq 3 ]'
grep -a "TYPED\|LINUX" "$work/L.out" | tr -d '\r' | sed 's/^/devserver_freedos: Linux serial: /' || true
exit $fail
