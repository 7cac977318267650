#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An exclusive slot handed over while both clients run (docs/DEVSERVER.md),
# on UDP loopback inside `unshare -Urn`: two guests (devserver_guest.asm),
# each with its own remote VGA and 8042 and both with a remote COM1 served
# by one exclusive UART writing a file. Guest A connects first and owns
# COM1 (its start-up line reaches the file), B is refused (offline); after
# `handover com1 2` B's typed key reaches the file and A's does not (A
# sees COM1 go offline: nothing of it is executed any more). Then the
# server is killed (-9) and restarted from its state file: the owner is
# still client 2 (--stats), B's next key reaches the file, A's does not
# and A's new HELLOs are refused (logged by the new server).
#
# usage: devserver_exclusive.sh KAIRO KAIRO_PORTD GUEST_A_IMG GUEST_B_IMG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "devserver_exclusive: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 GA=$3 GB=$4
scratch_work
ip link set lo up
fail=0
TEST=devserver_exclusive
"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7760"
    echo "control $work/ctl"
    echo "state $work/portd.state"
    for c in 127.0.0.2 127.0.0.3; do
        printf 'slot vga vga\nclient %s\nports 0x3B0-0x3DF widths 1,2\nports 0x1CE-0x1D0 widths 1,2\n' $c
        printf 'mmio 0xA0000-0xBFFFF\nslot i8042 kbd\nclient %s\nports 0x60\nports 0x64\nirq 1\nirq 12\n' $c
    done
    printf 'slot com1 uart file:%s\nclient 127.0.0.2\nclient 127.0.0.3\n' "$work/com1.out"
    printf 'ports 0x3F8-0x3FF\nirq 4\npolicy exclusive\n'
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done
ctl() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
print(s.makefile().readline().strip())' "$work/ctl" "$1"; }
guest() {   # guest NAME IMG ADDR
    "$KAIRO" -fda "$2" -snapshot -display none -remote "vga=udp:127.0.0.1:7760,bind=$3:0,key=$work/key" \
        -remote "i8042=udp:127.0.0.1:7760,bind=$3:0,key=$work/key" \
        -remote "com1=udp:127.0.0.1:7760,bind=$3:0,key=$work/key,timeout=300" \
        --remote-stats 2>"$work/$1.err" &
    pids+=($!)
}
guest A "$GA" 127.0.0.2
check "guest A owns COM1: its start-up line reached the file" \
    'wait_for 30 "grep -q A:R:G $work/com1.out 2>/dev/null"'
guest B "$GB" 127.0.0.3
check "guest B is refused COM1 (logged)" \
    'wait_for 30 "grep -q \"slot com1: refused (owned by another) to client 2\" $work/portd.err"'
sleep 1
check "nothing of guest B reached the file" '! grep -q "B:" "$work/com1.out"'
check "handover com1 2" '[ "$(ctl "handover com1 2")" = ok ]'
sleep 2.5     # B's next session attempt (every second) is welcomed
ctl "focus 2" >/dev/null
ctl "type x" >/dev/null
check "guest B's key echo reaches the file after the handover" \
    'wait_for 30 "grep -q B:x: $work/com1.out"'
ctl "focus 1" >/dev/null
ctl "type y" >/dev/null
sleep 2
check "guest A's does not (COM1 offline for it)" '! grep -q "A:y:" "$work/com1.out"'
kill -USR1 $portd_pid
sleep 0.3
grep "slot com1" "$work/portd.err" | head -8 || true
check "grants and refusals counted" \
    'grep -q "slot com1: exclusive, owner client 2, 2 grants, 0 releases, [1-9][0-9]* refusals" "$work/portd.err"'

# --- the owner survives a restart of the server (its state file) ---
kill -9 $portd_pid
wait $portd_pid 2>/dev/null || true
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd2.err" &
portd_pid=$!
check "the restarted server resumed from its state file" \
    'wait_for 10 "grep -q \"resumed from\" $work/portd2.err"'
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done
ctl "focus 2" >/dev/null
ctl "type z" >/dev/null
check "after the restart guest B's key still reaches the file" \
    'wait_for 30 "grep -q B:z: $work/com1.out"'
check "and guest A is refused again (logged by the new server)" \
    'wait_for 10 "grep -q \"slot com1: refused (owned by another) to client 1\" $work/portd2.err"'
ctl "focus 1" >/dev/null
ctl "type w" >/dev/null
sleep 2
check "guest A's key after the restart does not reach the file" '! grep -q "A:w:" "$work/com1.out"'
kill -USR1 $portd_pid
sleep 0.3
grep "slot com1" "$work/portd2.err" | head -4 || true
check "--stats after the restart: owner client 2" \
    'grep -q "slot com1: exclusive, owner client 2, 2 grants" "$work/portd2.err"'
exit $fail
