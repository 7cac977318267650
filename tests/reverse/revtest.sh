#!/bin/sh
# SPDX-License-Identifier: MIT
# reverse.gdb_rom: the real gdb in batch mode against kairo --reverse with
# revtest.elf (a Multiboot kernel in C with a known call structure): write
# watchpoints and breakpoints hit in the past (reverse-continue),
# reverse-finish, reverse-next, reverse-stepi, the start of history, and a
# forward run through history into the live run to the kernel's exit. The
# kernel reads a byte typed on COM1 (--send): history run again takes it
# from the input log (else the guest would wait for it forever), and the
# output it prints again is not printed twice.
#   revtest.sh KAIRO ELF SCRIPT SOURCE WORKDIR
set -u
. "$(dirname "$0")/../gdb/gdb_session.sh"
kairo=$1 elf=$2 script=$3 src=$4 work=$5
command -v gdb >/dev/null || { echo "FAIL: gdb is not installed (setup.sh)"; exit 1; }
mkdir -p "$work"
log=$work/kairo.log
rm -f "$log"   # a stale one would name an old port
"$kairo" -m 16 -nographic -vga none --deterministic -kernel "$elf" -device isa-debug-exit \
    --reverse --reverse-opts every=20000,count=64 -gdb tcp:127.0.0.1:0 -S --timeout 100 \
    --expect GO --send X \
    > "$work/serial.txt" 2> "$log" < /dev/null &
pid=$!
gdb_port
sed -e "s|@PORT@|$port|" -e "s|@ELF@|$elf|" -e "s|@SRC@|$src|" "$script" > "$work/test.gdb"
gdb_batch "$work/test.gdb" 100 100
expected=$(grep -c '^check ' "$script")
echo "gdb exit $gdb_status, kairo exit $status, checks: $ok passed, $bad failed, $expected expected"
[ "$gdb_status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -eq "$expected" ] && [ "$status" -eq 201 ] &&
    grep -q "No more reverse-execution history" "$work/gdb.out" &&
    ! grep -q "kairo: reverse:" "$log" &&
    [ "$(grep -c GO "$work/serial.txt")" -eq 1 ] &&
    grep -q "exited with code 0311" "$work/gdb.out" && echo "revtest: PASS"
