#!/bin/sh
# SPDX-License-Identifier: MIT
# Real KVM inside Kairo: Debian's 686-pae kernel on -cpu phenom (SVM, NX)
# loads kvm-amd and runs tests/kvmvmm (a real-mode guest, protected-mode
# ones with 32-bit and with PAE paging, and an interrupt-taking real-mode
# guest, through the KVM API) with nested paging (npt=1) and then with
# shadow paging (rmmod; modprobe kvm_amd npt=0). The image's /init
# (images/kvm.sh) prints the markers checked here; dmesg must have no KVM
# error, warning or bug line and no unchecked MSR access (an MSR that the
# kernel reads without a fault handler and the model lacks).
# With NCPUS > 1 the host has that many CPUs (-smp): every one must be the
# phenom (svm and nx on each in /proc/cpuinfo) and KVM enables SVM on all.
#   kvm_amd.sh KAIRO IMAGES_DIR [NCPUS]
set -u
kairo=$1 images=$2/kvm ncpus=${3:-1}
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "kvm_amd: $images/$f missing (run images/kvm.sh)"; exit 1; }
done
npt_run() {   # the markers of one kvm_amd load with npt=$1 (parameter $2, dmesg $3)
    printf '%s\n' --expect "KVMTEST npt=$1 loaded, parameter npt=$2" \
        --expect "KVMTEST npt=$1 kernel says: Nested Paging $3" \
        --expect "KVMVMM real: Hello from a real-mode KVM guest[" --expect "KVMVMM real OK" \
        --expect "KVMVMM prot: Hello from a paged protected-mode KVM guest" \
        --expect "KVMVMM prot OK" \
        --expect "KVMVMM pae: Hello from a paged protected-mode KVM guest" \
        --expect "KVMVMM pae OK" --expect "KVMVMM irq: wi" --expect "KVMVMM irq OK" \
        --expect "KVMVMM PASS" --expect "KVMTEST npt=$1 vmm ok"
}
# shellcheck disable=SC2046  # one argument a line, none with a newline
IFS='
'
"$kairo" -cpu phenom -smp "$ncpus" -m 256 -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
    -append "console=ttyS0 cryptomgr.notests" -nographic --deterministic --stats \
    --timeout 900 --expect-timeout 300 \
    --expect-fail "KVMVMM FAIL" --expect-fail "modprobe failed" --expect-fail "vmm failed" \
    --expect-fail "rmmod failed" --expect-fail "Kernel panic" \
    --expect-re "KVMTEST boot [^ ]*-686-pae svm=$ncpus nx=$ncpus" \
    $(npt_run 1 Y enabled) $(npt_run 0 N disabled) \
    --expect "KVMTEST dmesg kvm errors: 0" --expect "KVMTEST dmesg unchecked MSR accesses: 0" \
    --expect "KVMTEST done" < /dev/null
status=$?
echo "kvm_amd: kairo exited with status $status"
exit $status
