#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian guest on the APICs (docs/SMP.md), booted with -kernel/-initrd
# and an IDE disk for ata_piix's interrupt:
#   linux_smp.sh KAIRO IMAGES WORKDIR smp4     -smp 4: nproc 4, LOC (local timer) counts on
#                                               every CPU, IO-APIC lines for ttyS0 and the
#                                               disk, four parallel shell workers with the
#                                               right sums, no firmware-table complaint
#   ... smp4-twice                              the same twice under --deterministic: the
#                                               transcripts, hashes and counts are equal
#   ... smp1                                    -smp 1: IO-APIC and LOC, no complaint
#   ... noapic | nolapic                        the kernel option: the timer on the 8259
#                                               (XT-PIC); nolapic: no local timer
set -u
kairo=$1 images=$2 work=$3 mode=$4
[ -f "$images/vmlinuz" ] && [ -f "$images/initrd.img" ] && [ -f "$images/disk.img" ] || {
    echo "linux_smp: $images lacks vmlinuz, initrd.img or disk.img (images/build.sh)"; exit 1; }
mkdir -p "$work"
fail() { echo "linux_smp: FAIL: $*"; exit 1; }

# The workers: sum of i*j*j for j < 2000, one process per CPU.
cmds='modprobe ata_piix; modprobe sd_mod; sleep 1; dd if=/dev/sda of=/dev/null bs=4k count=256; '
cmds=$cmds'nproc; cat /proc/interrupts; '
cmds=$cmds'for i in 1 2 3 4; do (s=0; j=0; while [ $j -lt 2000 ]; do s=$((s+j*j*i)); j=$((j+1)); done; echo w$i=$s > /tmp/w$i) & done; wait; '
cmds=$cmds'cat /tmp/w1 /tmp/w2 /tmp/w3 /tmp/w4; '
cmds=$cmds'echo complaints=$(dmesg | grep -c -E "MPTABLE: no processors|BIOS bug|return all ones|MP table errors"); '
cmds=$cmds'echo SMP-$((40+2))-DONE'

# boot OUT ERR SMP APPEND-EXTRA: one run, the transcript in OUT.
boot() {
    "$kairo" -m 256 -nographic -vga none -nic none --deterministic --state-hash \
        --timeout 900 --expect-timeout 600 -smp "$3" \
        -kernel "$images/vmlinuz" -initrd "$images/initrd.img" -hda "$images/disk.img" -snapshot \
        -append "console=ttyS0 cryptomgr.notests $4" \
        --expect "KAIRO-GUEST-READY" --expect "# " --send "$cmds\n" --expect "SMP-42-DONE" \
        --send 'poweroff -f\n' < /dev/null > "$1" 2> "$2"
    status=$?
    tr -d '\r' < "$1" > "$1.txt"
    grep -a "instructions in\|state hash" "$2"
    [ $status -eq 0 ] || { tail -5 "$2"; fail "kairo exited with status $status"; }
}

# The counts of the /proc/interrupts line NAME, one per CPU.
counts() { grep -a "^ *$1:" "$2" | head -1 | sed "s/^ *$1://" | awk -v n="$3" '{ for (i = 1; i <= n; i++) printf "%s ", $i }'; }

check_common() {
    out=$1.txt n=$2
    grep -aqx "$n" "$out" || fail "nproc did not print $n"
    for w in "w1=2664667000" "w2=5329334000" "w3=7994001000" "w4=10658668000"; do
        grep -aqx "$w" "$out" || fail "worker result $w missing"
    done
    grep -aqx "complaints=0" "$out" || fail "firmware-table complaints: $(grep -a complaints= "$out")"
}

check_apic() {
    out=$1.txt n=$2
    loc=$(counts LOC "$out" "$n")
    echo "linux_smp: LOC $loc"
    for c in $loc; do [ "$c" -gt 0 ] || fail "a CPU without local timer interrupts: $loc"; done
    [ $(echo $loc | wc -w) -eq "$n" ] || fail "LOC has not $n counts"
    grep -aq "IO-APIC.*ttyS0" "$out" || fail "ttyS0 is not on the I/O APIC"
    disk=$(grep -a "IO-APIC.*ata_piix" "$out" | head -1 | awk -v n="$n" '{ s = 0; for (i = 2; i <= n + 1; i++) s += $i; print s }')
    echo "linux_smp: disk interrupts through the I/O APIC: ${disk:-none}"
    [ "${disk:-0}" -gt 0 ] || fail "the disk is not on the I/O APIC"
    grep -aq "XT-PIC" "$out" && fail "an interrupt left on the 8259"
    return 0
}

case "$mode" in
smp4)
    boot "$work/smp4.out" "$work/smp4.err" 4 ""
    check_common "$work/smp4.out" 4
    check_apic "$work/smp4.out" 4 ;;
smp4-twice)
    boot "$work/a.out" "$work/a.err" 4 ""
    boot "$work/b.out" "$work/b.err" 4 ""
    check_common "$work/a.out" 4
    cmp "$work/a.out" "$work/b.out" || fail "the transcripts differ"
    ha=$(grep -a "state hash" "$work/a.err") hb=$(grep -a "state hash" "$work/b.err")
    [ -n "$ha" ] && [ "$ha" = "$hb" ] || fail "hash/icount differ: '$ha' / '$hb'"
    echo "linux_smp: two runs, one result: $ha" ;;
smp1)
    boot "$work/smp1.out" "$work/smp1.err" 1 ""
    check_common "$work/smp1.out" 1
    check_apic "$work/smp1.out" 1 ;;
noapic|nolapic)
    boot "$work/$mode.out" "$work/$mode.err" 1 "$mode"
    check_common "$work/$mode.out" 1
    grep -aq "XT-PIC.*timer" "$work/$mode.out.txt" || fail "the timer is not on the 8259"
    grep -aq "IO-APIC" "$work/$mode.out.txt" && fail "the I/O APIC is in use"
    if [ "$mode" = nolapic ]; then
        loc=$(counts LOC "$work/$mode.out.txt" 1)
        [ -z "$loc" ] || [ "$loc" = "0 " ] || fail "local timer interrupts under nolapic: $loc"
    fi ;;
*)  fail "unknown mode $mode" ;;
esac
echo "linux_smp: $mode PASS"
