# SPDX-License-Identifier: MIT
# Shared by the gdb drivers (tests/gdb/run_gdb_test.sh, tests/reverse/revtest.sh),
# sourced with `. FILE`. The driver starts kairo in the background with
# `-gdb tcp:127.0.0.1:0 -S` and its stderr in $log, sets pid, then:
#   gdb_port              sets port from kairo's log, or fails the test
#   gdb_batch FILE SECS WAITS
#                         runs gdb -batch on FILE (gdb.out in $work), sets
#                         gdb_status; gives kairo WAITS x 50 ms to end, then
#                         ends it, sets status; prints both logs; counts the
#                         CHECK-OK / CHECK-FAIL lines into ok and bad
gdb_port() {
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's/.*gdb stub listening on tcp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "FAIL: kairo did not report a gdb port"
    cat "$log"
    kill "$pid" 2>/dev/null
    exit 1
}

gdb_batch() {
    timeout "$2" gdb -nx -batch -x "$1" > "$work/gdb.out" 2>&1
    gdb_status=$?
    # kairo waits in the stub for as long as gdb keeps it stopped: if gdb
    # failed before resuming it, end it rather than hang.
    for _ in $(seq 1 "$3"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    cat "$work/gdb.out" "$log"
    ok=$(grep -c 'CHECK-OK' "$work/gdb.out")
    bad=$(grep -c 'CHECK-FAIL' "$work/gdb.out")
}
