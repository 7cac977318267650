#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the KVM guest image (tests/guest/kvm_amd.sh) from Debian's own
# i386 packages, fetched with `apt-get download` (nothing is compiled here):
#   OUT/kvm/vmlinuz     Debian's 686-pae kernel (linux-image-686-pae: PAE
#                       and NX, which kvm-amd needs on i386)
#   OUT/kvm/initrd.img  a busybox initramfs with kvm.ko, kvm-amd.ko and
#                       what they depend on (from the package's modinfo),
#                       the VMM program given, and a /init that runs the
#                       KVM test (see below) on ttyS0 and powers off
# Usage: images/kvm.sh OUT VMM   (OUT: e.g. build/images)
# The image is rebuilt only when it is missing or older than VMM or this
# script. Needs root or sudo the first time (dpkg --add-architecture i386).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: images/kvm.sh OUT VMM" >&2; exit 2; }
vmm=$2
[ -x "$vmm" ] || { echo "images/kvm: VMM program $vmm missing (needs gcc-multilib)" >&2; exit 1; }
out=$(mkdir -p "$1/kvm" && cd "$1/kvm" && pwd)
work="$out/work"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo

if [ -f "$out/initrd.img" ] && [ -f "$out/vmlinuz" ] && [ "$out/initrd.img" -nt "$vmm" ] &&
   [ "$out/initrd.img" -nt "$0" ]; then
    echo "images/kvm: $out is up to date"
    exit 0
fi

for t in cpio:cpio gzip:gzip modinfo:kmod depmod:kmod; do
    command -v "${t%%:*}" >/dev/null ||
        { $sudo apt-get update -qq || true; $sudo apt-get install -y -qq "${t#*:}" >/dev/null; }
done
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $sudo dpkg --add-architecture i386
    $sudo apt-get update -qq || true
fi
apt-cache show linux-image-686-pae:i386 >/dev/null 2>&1 || $sudo apt-get update -qq || true

fetch() {   # fetch PACKAGE -> unpacked into $work/root-PACKAGE
    local pkg=$1 dir="$work/pkg"
    mkdir -p "$dir"
    (cd "$dir" && ls "${pkg%%:*}"_*.deb >/dev/null 2>&1 || apt-get download -q "$pkg" >/dev/null)
    local deb
    deb=$(ls "$dir/${pkg%%:*}"_*.deb | head -1)
    rm -rf "$work/root-${pkg%%:*}"
    dpkg-deb -x "$deb" "$work/root-${pkg%%:*}"
    echo "$work/root-${pkg%%:*}"
}

mkdir -p "$work"
kpkg=$(apt-cache depends linux-image-686-pae:i386 |
       sed -n 's/.*Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "images/kvm: cannot resolve linux-image-686-pae for i386" >&2; exit 1; }
echo "images/kvm: kernel package $kpkg"
kroot=$(fetch "$kpkg:i386")
bbroot=$(fetch busybox-static:i386)
kver=${kpkg#linux-image-}
kmoddir="$kroot/lib/modules/$kver"

init="$work/initramfs"
rm -rf "$init"
mkdir -p "$init"/{bin,sbin,dev,proc,sys,tmp,etc}
cp "$bbroot/bin/busybox" "$init/bin/busybox"
for applet in sh mount cat echo ls mkdir poweroff sync insmod modprobe rmmod lsmod dmesg \
              uname grep sleep true false test tr head; do
    ln -sf busybox "$init/bin/$applet"
done
ln -sf ../bin/busybox "$init/sbin/modprobe"
cp "$vmm" "$init/bin/kvmvmm"

# kvm-amd and its dependencies, followed through each module's modinfo.
declare -A seen=()
add_module() {
    local name=$1 path
    [ -n "${seen[$name]:-}" ] && return 0
    seen[$name]=1
    path=$(find "$kmoddir/kernel" -name "$name.ko" -o -name "$name.ko.xz" | head -1)
    [ -n "$path" ] || { echo "images/kvm: module $name not in $kpkg" >&2; exit 1; }
    mkdir -p "$init/lib/modules/$kver/$(dirname "${path#$kmoddir/}")"
    cp "$path" "$init/lib/modules/$kver/${path#$kmoddir/}"
    local deps
    deps=$(modinfo -F depends "$path" | tr ',' ' ')
    for d in $deps; do add_module "$d"; done
}
add_module kvm-amd
cp "$kmoddir"/modules.{order,builtin,builtin.modinfo} "$init/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$init" "$kver"

# /init: the test. Markers on ttyS0 for tests/guest/kvm_amd.sh; every step
# prints its result, so a failure shows where it stopped.
cat > "$init/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec > /dev/ttyS0 2>&1 < /dev/null
echo "KVMTEST boot $(uname -r) svm=$(grep -c '^flags.* svm' /proc/cpuinfo) nx=$(grep -c '^flags.* nx' /proc/cpuinfo)"
run_vmm() {   # run_vmm NPT: load kvm_amd with npt=NPT, run the VMM
    modprobe kvm_amd npt=$1 || { echo "KVMTEST npt=$1 modprobe failed"; return; }
    echo "KVMTEST npt=$1 loaded, parameter npt=$(cat /sys/module/kvm_amd/parameters/npt)"
    echo "KVMTEST npt=$1 kernel says: $(dmesg | grep -o 'Nested Paging [a-z]*' | tail -1)"
    /bin/kvmvmm && echo "KVMTEST npt=$1 vmm ok" || echo "KVMTEST npt=$1 vmm failed"
    rmmod kvm_amd || echo "KVMTEST npt=$1 rmmod failed"
}
run_vmm 1
run_vmm 0
bad='error|fail|invalid|bug|warn|not |unable|unsupported|unchecked'
dmesg | grep -i -E 'kvm|svm' | sed 's/^/KVMTEST dmesg: /'
echo "KVMTEST dmesg kvm errors: $(dmesg | grep -i -E 'kvm|svm' | grep -c -i -E "$bad")"
echo "KVMTEST dmesg unchecked MSR accesses: $(dmesg | grep -c 'unchecked MSR')"
echo "KVMTEST done"
sync
poweroff -f
INIT
chmod +x "$init/init"
cp "$kroot/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
(cd "$init" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$out/initrd.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.tmp" "$out/initrd.img"
echo "images/kvm: $out/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes), $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"
