#!/bin/sh
# SPDX-License-Identifier: MIT
# The trace tests: run the trace test ROM under kairo with a trace option,
# turn the result into text and compare it with the checked-in expectation.
#   run_trace_test.sh MODE KAIRO KAIRO_TRACE ROM SRCDIR WORKDIR
set -u
mode=$1 kairo=$2 ktrace=$3 rom=$4 src=$5 work=$6
mkdir -p "$work"
cd "$work" || exit 1
run() {
    "$kairo" -bios "$rom" -nographic -debugcon none -device isa-debug-exit -no-reboot \
        --max-insns 100000 "$@"
    s=$?
    if [ "$s" -ne 33 ]; then
        echo "kairo exited with status $s (expected 33)"
        exit 1
    fi
}
same() {   # expected actual
    if ! diff -u "$1" "$2"; then
        echo "FAIL: $2 differs from $1"
        exit 1
    fi
}
# The instruction lines of the full expectation whose CS:EIP is in the int30 handler.
expected=$src/trace_test.expected
case $mode in
full)       # binary trace -> kairo-trace: exactly the expected text
    run --trace t.ktr
    "$ktrace" t.ktr > t.txt || exit 1
    same "$expected" t.txt ;;
text)       # -d text: the same lines as kairo-trace prints
    run -d exec,int,io,mmu -D log.txt
    same "$expected" log.txt
    run -d exec -D exec.txt
    grep -v '>>' "$expected" > exec.expected
    same exec.expected exec.txt ;;
regs)       # registers: -d cpu text and --trace-items cpu agree
    run -d exec,cpu -D regs.txt
    run --trace r.ktr --trace-items exec,cpu
    "$ktrace" r.ktr > r.txt || exit 1
    same regs.txt r.txt
    grep -q 'ECX=00000003 EDX=000000E9' regs.txt || { echo "FAIL: no register lines"; exit 1; } ;;
io)         # only port I/O
    run --trace t.ktr --trace-filter io
    "$ktrace" t.ktr > t.txt || exit 1
    grep -E '>> (in|out) ' "$expected" > io.expected
    same io.expected t.txt
    [ "$(wc -l < t.txt)" -eq 6 ] || { echo "FAIL: expected 6 port writes"; exit 1; } ;;
range)      # the INT 30h handler only (linear 0xF003E-0xF0042)
    run --trace t.ktr --trace-filter range=0xF003E-0xF0042
    "$ktrace" t.ktr > t.txt || exit 1
    grep -E ' F000:0000(003E|0040|0042) ' "$expected" > range.expected
    same range.expected t.txt ;;
branches)   # control transfers and interrupts only
    run --trace t.ktr --trace-filter branches,ints
    "$ktrace" t.ktr > t.txt || exit 1
    grep -E ' (ljmp|int|iret|iretd|loop|call|ret|j[a-z]+)( |$)|>> (exception|int|irq|nmi) ' \
        "$expected" > branches.expected
    same branches.expected t.txt ;;
after)      # from instruction 120 on, text and binary
    run --trace t.ktr --trace-filter after=120
    "$ktrace" t.ktr > t.txt || exit 1
    awk '$1 >= 120' "$expected" > after.expected
    same after.expected t.txt
    run -d exec,int,io,mmu -D a.txt --trace-filter after=120,cpl=0
    same after.expected a.txt ;;
flight)     # the flight recorder dumped at the #UD
    run --flight-recorder 6 --flight-dump-on 6 -D f.txt
    same "$src/flight.expected" f.txt ;;
corrupt)    # kairo-trace on broken files: one line on stderr, status 1
    run --trace t.ktr
    size=$(wc -c < t.ktr)
    check() {   # file what
        "$ktrace" "$1" > /dev/null 2> err.txt
        s=$?
        if [ "$s" -ne 1 ] || [ "$(wc -l < err.txt)" -ne 1 ]; then
            echo "FAIL: $2: status $s, stderr:"; cat err.txt; exit 1
        fi
        echo "$2: $(cat err.txt)"
    }
    : > empty.ktr; check empty.ktr "empty file"
    head -c 10 t.ktr > hdr.ktr; check hdr.ktr "cut in the header"
    for cut in 20 100 $((size / 2)) $((size - 5)) $((size - 1)); do
        head -c "$cut" t.ktr > cut.ktr; check cut.ktr "truncated to $cut bytes"
    done
    printf 'NOTATRACE_______' > magic.ktr; cat t.ktr >> magic.ktr; check magic.ktr "bad magic"
    for at in 16 40 $((size / 2)) $((size - 8)); do
        cp t.ktr flip.ktr
        printf '\377' | dd of=flip.ktr bs=1 seek="$at" conv=notrunc 2>/dev/null
        check flip.ktr "byte $at overwritten"
    done
    # Records that are valid zlib but say nonsense: an ENTER naming no block.
    python3 - t.ktr bad.ktr <<'PY' || exit 1
import sys, zlib
hdr = open(sys.argv[1], 'rb').read()[:16]
open(sys.argv[2], 'wb').write(hdr + zlib.compress(bytes([0x02, 0x05, 0x00, 0x00, 0x0A, 0x01])))
PY
    check bad.ktr "ENTER without CODE"
    # A CPU record (-smp) naming CPU 16: there are at most 16, numbered 0-15.
    python3 - t.ktr badcpu.ktr <<'PY' || exit 1
import sys, zlib
hdr = open(sys.argv[1], 'rb').read()[:16]
open(sys.argv[2], 'wb').write(hdr + zlib.compress(bytes([0x0C, 0x10, 0x0A, 0x00])))
PY
    check badcpu.ktr "CPU record out of range"
    # The records cut short inside a zlib stream that is itself unfinished
    # (a flushed, never-ended stream: the case that must not loop forever).
    python3 - t.ktr open.ktr <<'PY' || exit 1
import sys, zlib
data = open(sys.argv[1], 'rb').read()
raw = zlib.decompress(data[16:])
co = zlib.compressobj()
open(sys.argv[2], 'wb').write(data[:16] + co.compress(raw[:len(raw) // 2]) +
                              co.flush(zlib.Z_SYNC_FLUSH))
PY
    check open.ktr "unfinished stream" ;;
signals)    # SIGUSR1 dumps the flight recorder and goes on; a crash dumps it and dies
    # (ROM is a long-running bench ROM here; no core file for the crash)
    ulimit -c 0
    "$kairo" -bios "$rom" -nographic -debugcon none --flight-recorder 4 -D sig.txt &
    pid=$!
    sleep 1
    kill -USR1 "$pid"
    sleep 1
    kill -SEGV "$pid"
    wait "$pid"
    s=$?
    cat sig.txt
    grep -q 'flight recorder: SIGUSR1: the last 4 instructions' sig.txt &&
        grep -q 'flight recorder: SIGSEGV in kairo: the last 4 instructions' sig.txt &&
        [ "$(grep -c 'flight recorder: end' sig.txt)" -eq 2 ] &&
        [ "$s" -eq 139 ] || { echo "FAIL: status $s"; exit 1; } ;;
options)    # bad options: one line, non-zero status
    for opt in "--trace-filter range=5" "--trace-filter cpl=4" "--trace-filter bogus" \
               "--trace-items exec,nope" "--flight-recorder 0" "--flight-dump-on 6" \
               "-d exec,nope" "--trace /nonexistent/dir/t.ktr" "-d int --trace-filter io,range=5-4"; do
        # shellcheck disable=SC2086
        "$kairo" -bios "$rom" -nographic -debugcon none \
            --max-insns 10 $opt > /dev/null 2> err.txt
        s=$?
        if [ "$s" -eq 0 ] || [ "$(wc -l < err.txt)" -ne 1 ]; then
            echo "FAIL: '$opt': status $s, stderr:"; cat err.txt; exit 1
        fi
        echo "$opt: $(cat err.txt)"
    done ;;
*)
    echo "unknown mode $mode"; exit 2 ;;
esac
echo "PASS $mode"
