#!/bin/sh
# SPDX-License-Identifier: MIT
# The debugger and the tracer on a two-CPU run of smp.asm (smp2.bin).
#   smp_debug.sh trace|gdb KAIRO KAIRO_TRACE ROM LISTING WORKDIR
set -u
mode=$1 kairo=$2 ktrace=$3 rom=$4 lst=$5 dir=$6
rm -rf "$dir"
mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }

# The offset in the ROM of the first instruction after LABEL: in the listing.
label_offset() {
    awk -v l="$1:" '$2 == l { found = 1; next } found && length($2) == 8 && $2 ~ /^[0-9A-F]+$/ { print $2; exit }' "$lst"
}

trace_test() {
    "$kairo" -bios "$rom" -smp 2 -nographic -device isa-debug-exit -no-reboot --deterministic \
        --max-insns 20000000 -d exec -D "$dir/exec.txt" --trace "$dir/trace.bin" \
        --trace-items exec > "$dir/out" 2>&1
    s=$?
    [ $s -eq 33 ] || fail "the ROM did not pass under tracing (status $s)"
    "$ktrace" "$dir/trace.bin" > "$dir/kt.txt" || fail "kairo-trace failed"
    # The instruction lines (the -D file also takes kairo's once-only notices).
    grep -E '^(cpu[0-9]+)? *[0-9]+ [0-9A-F]{4}:[0-9A-F]{8} ' "$dir/exec.txt" > "$dir/insns.txt"
    grep -v '^kairo: ' "$dir/exec.txt" | cmp -s - "$dir/insns.txt" ||
        fail "-d exec printed lines that are not instructions"
    n0=$(grep -c '^cpu0 ' "$dir/insns.txt")
    n1=$(grep -c '^cpu1 ' "$dir/insns.txt")
    other=$(grep -vc '^cpu[01] ' "$dir/insns.txt")
    echo "-d exec: $n0 lines of CPU 0, $n1 of CPU 1, $other untagged"
    [ "$n0" -gt 1000 ] && [ "$n1" -gt 1000 ] || fail "both CPUs must be traced"
    [ "$other" -eq 0 ] || fail "every line names its CPU"
    # The AP starts at the SIPI vector 0x08: 0800:0000, the BSP never runs there.
    grep -q '^cpu1  *[0-9]* 0800:00000000 ' "$dir/insns.txt" || fail "CPU 1 from its start-up IPI"
    ! grep -q '^cpu0  *[0-9]* 0800:' "$dir/insns.txt" || fail "CPU 0 in the AP trampoline"
    # The AP-only protected-mode code (ap32) appears as CPU 1's only.
    ap=$(label_offset ap32)
    [ -n "$ap" ] || fail "no ap32 in the listing"
    grep -q "^cpu1  *[0-9]* 0008:FFFF$(echo "$ap" | cut -c5-8) " "$dir/insns.txt" || fail "CPU 1 runs ap32"
    cmp -s "$dir/insns.txt" "$dir/kt.txt" || { diff "$dir/insns.txt" "$dir/kt.txt" | head; fail "kairo-trace differs from -d exec"; }
    echo "kairo-trace prints the same $(wc -l < "$dir/kt.txt") lines"
    # -smp 1 keeps the uniprocessor format: no tags.
    "$kairo" -bios "$rom" -nographic -device isa-debug-exit -no-reboot --max-insns 2000 \
        -d exec -D "$dir/up.txt" > /dev/null 2>&1
    ! grep -q '^cpu' "$dir/up.txt" || fail "-smp 1 lines are tagged"
    echo "PASS"
}

gdb_test() {
    command -v gdb > /dev/null || fail "gdb is not installed"
    ap=$(label_offset ap32)
    [ -n "$ap" ] || fail "no ap32 in the listing"
    addr=$(printf '0x%X' $((0xFFFF0000 + 0x$ap)))
    "$kairo" -bios "$rom" -smp 2 -nographic -device isa-debug-exit -no-reboot --deterministic \
        -S -gdb tcp:127.0.0.1:0 > "$dir/kairo.out" 2>&1 &
    kpid=$!
    i=0
    while ! grep -q 'listening' "$dir/kairo.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    # Port 0: the stub picks a free one and prints it.
    port=$(sed -n 's/.*listening on tcp:[^ ]*:\([0-9][0-9]*\).*/\1/p' "$dir/kairo.out" | head -1)
    [ -n "$port" ] || { kill $kpid; fail "no gdb stub port in: $(cat "$dir/kairo.out")"; }
    cat > "$dir/cmds" <<GDB
set pagination off
set architecture i386
target remote :$port
info threads
hbreak *$addr
continue
info threads
thread
printf "EIP=%x\n", \$eip
printf "CS=%x\n", \$cs
thread 1
printf "BSP_BEFORE=%x\n", \$eip
thread 2
stepi
printf "STEPPED=%x\n", \$eip
thread 1
printf "BSP_EIP=%x\n", \$eip
thread 2
delete
watch *(int *)0x51c
continue
printf "WATCH_THREAD=%d\n", \$_thread
delete
monitor info cpus
kill
GDB
    timeout 30 gdb -nx -batch -x "$dir/cmds" > "$dir/gdb.out" 2>&1
    kill $kpid 2> /dev/null
    wait $kpid 2> /dev/null
    cat "$dir/gdb.out"
    grep -q 'Thread 2 .* hit Breakpoint 1\|Thread 2 hit Breakpoint 1\|\[Switching to Thread 2\]' "$dir/gdb.out" ||
        fail "the stop names thread 2"
    want=$(printf '%x' $((0xFFFF0000 + 0x$ap)))
    grep -q "^EIP=$want" "$dir/gdb.out" || fail "thread 2's EIP is ap32 ($want)"
    grep -q "^CS=8" "$dir/gdb.out" || fail "thread 2's CS"
    grep -q "^STEPPED=" "$dir/gdb.out" && ! grep -q "^STEPPED=$want" "$dir/gdb.out" ||
        fail "stepi moved thread 2"
    ! grep -q "^BSP_EIP=$want" "$dir/gdb.out" || fail "thread 1 has its own registers"
    b=$(sed -n 's/^BSP_BEFORE=//p' "$dir/gdb.out")
    grep -q "^BSP_EIP=$b\$" "$dir/gdb.out" || fail "thread 1 stayed stopped while thread 2 stepped"
    # ipi_lock (0x51C) is written by the APs only: the watchpoint stops thread 2.
    grep -q "^WATCH_THREAD=2" "$dir/gdb.out" || fail "the watchpoint stops the AP that wrote"
    echo "PASS"
}

case $mode in
trace) trace_test ;;
gdb) gdb_test ;;
*) fail "unknown mode $mode" ;;
esac
