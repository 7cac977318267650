#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest driver for gdb.remote: kairo -S with the gdb stub on a free port
# (port 0: kairo prints the one it got), the real gdb in batch mode running
# gdbtest.gdb, then the checks: every CHECK passed, none failed, and the
# ROM's exit status proves gdb's memory and register writes reached it.
#   run_gdb_test.sh KAIRO ROM SCRIPT WORKDIR
set -u
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
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*gdb stub listening on tcp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
done
if [ -z "$port" ]; then
    echo "FAIL: kairo did not report a gdb port"
    cat "$log"
    kill "$pid" 2>/dev/null
    exit 1
fi
sed "s/@PORT@/$port/" "$script" >"$work/test.gdb"
timeout 60 gdb -nx -batch -x "$work/test.gdb" >"$work/gdb.out" 2>&1
gdb_status=$?
# kairo waits in the stub for as long as gdb keeps it stopped: if gdb
# failed before resuming it, end it rather than hang.
for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
kill "$pid" 2>/dev/null
wait "$pid"
status=$?
cat "$work/gdb.out" "$log"
ok=$(grep -c 'CHECK-OK' "$work/gdb.out")
bad=$(grep -c 'CHECK-FAIL' "$work/gdb.out")
expected=$(($(grep -c '^check ' "$script") + $(grep -c 'print("CHECK-OK' "$script")))
echo "gdb exit $gdb_status, kairo exit $status, checks: $ok passed, $bad failed, $expected expected"
# The ROM exits with input (0x20) + counter (10) + ebx (3): status 91.
[ "$gdb_status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -eq "$expected" ] && [ "$status" -eq 91 ] &&
    grep -q '^eip  *0xffff1000' "$work/gdb.out" &&
    grep -q '^0x400000:.*0x00000000.*0x00000020' "$work/gdb.out" &&
    grep -q 'exited with code' "$work/gdb.out"
