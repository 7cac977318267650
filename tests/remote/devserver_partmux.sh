#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Partitioned disk and muxed serial line across real processes
# (docs/DEVSERVER.md), on UDP loopback inside `unshare -Urn`: one
# kairo-portd and two kairo guests (partmux_guest.asm), each with a remote
# secondary IDE channel serving its half of one 1 MiB image as its whole
# disk and a remote COM1 muxed with the other's into one file.
#   disk:   each guest reads its own LBA 5 (its half's marker) and writes
#           its LBA 7 (in the image at 7 and 1031); A's read of its LBA
#           1029 (B's LBA 5 if A were not confined) and its write of LBA
#           1030 are refused with IDNF: nothing of B's half leaks to A or is
#           overwritten; every refusal is logged with the time, slot and
#           client and counted per client in --stats;
#   serial: the file has each guest's lines behind its prefix ([1], [2]);
#           `serial TEXT` on the control socket reaches only the focused
#           guest (it echoes every byte it receives).
#
# usage: devserver_partmux.sh KAIRO KAIRO_PORTD GUEST_A_IMG GUEST_B_IMG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "devserver_partmux: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 GA=$3 GB=$4
for f in "$GA" "$GB"; do [ -s "$f" ] || { echo "devserver_partmux: no image $f"; exit 1; }; done
scratch_work
ip link set lo up
fail=0
TEST=devserver_partmux
# sector N: the first 8 bytes of sector N of the image.
sector() { dd if="$work/disk.img" bs=512 skip="$1" count=1 status=none | head -c 8; }

# 2048 sectors: A's half 0-1023, B's 1024-2047, each with its markers.
python3 - "$work/disk.img" <<'EOP'
import sys
img = bytearray(2048 * 512)
for at, text in ((5, b"PART-A05"), (1029, b"PART-B05"), (1030, b"KEEP-B06"), (6, b"KEEP-A06")):
    img[at * 512:at * 512 + 8] = text
open(sys.argv[1], "wb").write(img)
EOP
"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7770"
    echo "control $work/ctl"
    for p in "127.0.0.2 0-1023" "127.0.0.3 1024-2047"; do
        set -- $p
        printf 'slot ide1 ide %s\nclient %s\npartition %s\n' "$work/disk.img" $1 $2
        printf 'ports 0x170-0x177 widths 1,2,4\nports 0x376\nirq 15\n'
        printf 'slot com1 uart mux:%s\nclient %s\nports 0x3F8-0x3FF\nirq 4\n' "$work/mux.out" $1
    done
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done
ctl() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
print(s.makefile().readline().strip())' "$work/ctl" "$1"; }
for g in "A $GA 127.0.0.2" "B $GB 127.0.0.3"; do
    set -- $g
    "$KAIRO" -fda "$2" -snapshot -display none \
        -remote "ide1=udp:127.0.0.1:7770,bind=$3:0,key=$work/key" \
        -remote "com1=udp:127.0.0.1:7770,bind=$3:0,key=$work/key" 2>"$work/$1.err" &
    pids+=($!)
done
mux() { tr -d '\r' < "$work/mux.out" 2>/dev/null; }
check "both guests ran their disk checks (their last line arrived)" \
    'wait_for 60 "mux | grep -q \"^\[1\] A:WOUT:\" && mux | grep -q \"^\[2\] B:WOUT:\""'
mux | sed 's/^/devserver_partmux: mux: /'

# --- the muxed line: each VM behind its own prefix ---
check "guest A's lines carry [1], guest B's [2], never the other's" \
    'mux | grep -q "^\[1\] A:UP$" && mux | grep -q "^\[2\] B:UP$" &&
     ! mux | grep -q "^\[1\] B:\|^\[2\] A:"'

# --- the partitioned disk ---
check "each guest read its own half's LBA 5" \
    'mux | grep -q "^\[1\] A:IN:PART-A05$" && mux | grep -q "^\[2\] B:IN:PART-B05$"'
check "each guest's write of its LBA 7 landed in its half (image sectors 7 and 1031)" \
    '[ "$(sector 7)" = "WROTE-A " ] && [ "$(sector 1031)" = "WROTE-B " ]'
check "reads past a partition refused with ERR and IDNF (error 10)" \
    'mux | grep -q "^\[1\] A:OUT:[0-9A-F][13579BDF]:10$" && mux | grep -q "^\[2\] B:OUT:[0-9A-F][13579BDF]:10$"'
check "writes past a partition refused with ERR and IDNF" \
    'mux | grep -q "^\[1\] A:WOUT:[0-9A-F][13579BDF]:10$" && mux | grep -q "^\[2\] B:WOUT:[0-9A-F][13579BDF]:10$"'
check "nothing of B's half leaked to A or was overwritten by it" \
    '! mux | grep -q "A:.*PART-B05" && [ "$(sector 1029)" = "PART-B05" ] &&
     [ "$(sector 1030)" = "KEEP-B06" ] && [ "$(sector 6)" = "KEEP-A06" ]'
grep "outside\|past its partition" "$work/portd.err" | head -4 || true
check "each refusal logged with the time, slot and client" \
    'grep -Eq "^kairo-portd: \[[0-9.]+\] slot ide1: client 127\.0\.0\.2: LBA 1029 is past its partition.s 1024 sectors \(0-1023 of the image\): refused" "$work/portd.err" &&
     grep -Eq "^kairo-portd: \[[0-9.]+\] slot ide1: client 127\.0\.0\.3: LBA 1030 is past its partition.s 1024 sectors \(1024-2047 of the image\): refused" "$work/portd.err"'
check "each refusal logged once (by the arbitration, not again by the IDE model)" \
    '[ "$(grep -c "past its partition" "$work/portd.err")" = 4 ] &&
     ! grep -q "past the disk" "$work/portd.err"'

# --- serial input: only to the focused VM ---
check "focus 2" '[ "$(ctl "focus 2")" = "ok focus 2 127.0.0.3" ]'
check "serial text to the focused guest" '[ "$(ctl "serial hi")" = ok ]'
check "guest B echoed h and i" 'wait_for 20 "mux | grep -q \"^\[2\] B:S:i$\"" && mux | grep -q "^\[2\] B:S:h$"'
check "focus 1" '[ "$(ctl "focus 1")" = "ok focus 1 127.0.0.2" ]'
ctl "serial k" >/dev/null
check "guest A echoed k" 'wait_for 20 "mux | grep -q \"^\[1\] A:S:k$\""'
sleep 0.5
check "and neither got the other's input" \
    '! mux | grep -q "^\[1\] A:S:[hi]$" && ! mux | grep -q "^\[2\] B:S:k$"'

kill -USR1 $portd_pid
sleep 0.3
grep "accesses outside" "$work/portd.err" || true
check "--stats counts the refusals per client (2 each: a read and a write)" \
    'grep -q "slot ide1 (sectors 0-1023, client 127.0.0.2): 2 accesses outside the partition refused" "$work/portd.err" &&
     grep -q "slot ide1 (sectors 1024-2047, client 127.0.0.3): 2 accesses outside the partition refused" "$work/portd.err"'
exit $fail
