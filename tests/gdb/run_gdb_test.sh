#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest driver for gdb.remote: kairo -S with the gdb stub on a free port
# (port 0: kairo prints the one it got), the real gdb in batch mode running
# gdbtest.gdb, then the checks: every CHECK passed, none failed, and the
# ROM's exit status proves gdb's memory and register writes reached it.
#   run_gdb_test.sh KAIRO ROM SCRIPT WORKDIR
set -u
. "$(dirname "$0")/gdb_session.sh"
kairo=$1 rom=$2 script=$3 work=$4
if ! command -v gdb >/dev/null; then
    echo "FAIL: gdb is not installed (apt-get install gdb; setup.sh does)"
    exit 1
fi
mkdir -p "$work"
log=$work/kairo.log
rm -f "$log"
"$kairo" -bios "$rom" -nographic -debugcon none -device isa-debug-exit -no-reboot \
    -gdb tcp:127.0.0.1:0 -S --timeout 60 2>"$log" &
pid=$!
gdb_port
sed "s/@PORT@/$port/" "$script" >"$work/test.gdb"
gdb_batch "$work/test.gdb" 60 200
expected=$(($(grep -c '^check ' "$script") + $(grep -c 'print("CHECK-OK' "$script")))
echo "gdb exit $gdb_status, kairo exit $status, checks: $ok passed, $bad failed, $expected expected"
# The ROM exits with input (0x20) + counter (10) + ebx (3): status 91.
[ "$gdb_status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -eq "$expected" ] && [ "$status" -eq 91 ] &&
    grep -q '^eip  *0xffff1000' "$work/gdb.out" &&
    grep -q '^0x400000:.*0x00000000.*0x00000020' "$work/gdb.out" &&
    grep -q 'exited with code' "$work/gdb.out"
