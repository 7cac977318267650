#!/usr/bin/env bash
# Builds Kairo's Linux guest images from Debian's own i386 packages, fetched
# with `apt-get download` (nothing is compiled here):
#   OUT/vmlinuz          Debian's 686 kernel (linux-image-686)
#   OUT/initrd.img       a busybox initramfs: its /init prints the marker
#                        "KAIRO-GUEST-READY" on ttyS0, gives a shell there and
#                        powers off with `poweroff -f`; the NIC, disk and ext4
#                        modules are inside, plus anything in EXTRA_FILES
#   OUT/modules/         the modules copied in (for other images)
# Usage: images/build.sh [OUT]   (default OUT: build/images)
# Needs root or sudo the first time (dpkg --add-architecture i386, apt-get).
# EXTRA_FILES="host_path:guest_path ..." adds files to the initramfs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here/../build/images}" && cd "${1:-$here/../build/images}" && pwd)
work="$out/work"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo

need_tools() {
    local missing=()
    for t in cpio:cpio gzip:gzip xz:xz-utils depmod:kmod; do
        command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        $sudo apt-get update -qq || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# i386 packages are fetched, never installed: the host only needs to know
# the architecture's package lists.
enable_i386() {
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        $sudo dpkg --add-architecture i386
        $sudo apt-get update -qq || true
    fi
    apt-cache show busybox-static:i386 >/dev/null 2>&1 || $sudo apt-get update -qq || true
}

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

need_tools
enable_i386
mkdir -p "$work"

kpkg=$(apt-cache depends linux-image-686:i386 | sed -n 's/.*Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "images: cannot resolve linux-image-686 for i386" >&2; exit 1; }
echo "images: kernel package $kpkg"
kroot=$(fetch "$kpkg:i386")
bbroot=$(fetch busybox-static:i386)
kver=${kpkg#linux-image-}
cp "$kroot/boot/vmlinuz-$kver" "$out/vmlinuz"

# The initramfs tree.
init="$work/initramfs"
rm -rf "$init"
mkdir -p "$init"/{bin,sbin,dev,proc,sys,tmp,root,mnt,etc,usr/bin,usr/sbin}
cp "$bbroot/bin/busybox" "$init/bin/busybox"
for applet in sh ash mount umount cat echo ls mkdir poweroff reboot sync insmod modprobe \
              lsmod dmesg uname sleep md5sum sha256sum dd cp mv rm ln ps kill grep sed \
              head tail wc mknod ifconfig ip route udhcpc wget nc httpd ping setsid cttyhack \
              mdev stty hexdump od tr cmp true false test find xargs date; do
    ln -sf busybox "$init/bin/$applet"
done

# Modules: NE2000 (ISA and PCI), the PIIX IDE/ATA stack, ext4, and what
# they depend on, resolved through the package's own modules.dep.
mods="drivers/net/ethernet/8390/ne2k-pci drivers/net/ethernet/8390/ne
      drivers/ata/ata_piix drivers/ata/ata_generic drivers/scsi/sd_mod drivers/scsi/sr_mod
      fs/ext4/ext4 drivers/block/loop"
kmoddir="$kroot/lib/modules/$kver"
depfile="$kmoddir/modules.dep"
[ -f "$depfile" ] || depmod -b "$kroot" "$kver"
declare -A want=()
add_mod() {
    local path
    path=$(grep -E "^(kernel/)?$1\.ko(\.xz)?:" "$depfile" | head -1) || true
    [ -n "$path" ] || { echo "images: module $1 not in $kpkg (built in?)" >&2; return 0; }
    local self=${path%%:*} deps=${path#*:}
    want[$self]=1
    for d in $deps; do want[$d]=1; done
}
for m in $mods; do add_mod "kernel/$m"; done
mkdir -p "$init/lib/modules/$kver"
for f in "${!want[@]}"; do
    mkdir -p "$init/lib/modules/$kver/$(dirname "$f")"
    cp "$kmoddir/$f" "$init/lib/modules/$kver/$f"
done
cp "$kmoddir"/modules.{order,builtin} "$init/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$init" "$kver"
rm -rf "$out/modules" && cp -r "$init/lib/modules" "$out/modules"

extra=${EXTRA_FILES:-}
for pair in $extra; do
    mkdir -p "$init/$(dirname "${pair#*:}")"
    cp "${pair%%:*}" "$init/${pair#*:}"
done

cat > "$init/init" <<'INIT'
#!/bin/sh
# Kairo guest init: mounts, prints the marker, gives a shell on ttyS0.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
echo 0 > /proc/sys/kernel/printk 2>/dev/null
ifconfig lo 127.0.0.1 up 2>/dev/null
for arg in $(cat /proc/cmdline); do
    case "$arg" in kairo.run=*) run="${arg#kairo.run=}";; esac
done
echo "KAIRO-GUEST-READY $(uname -r)" > /dev/ttyS0
[ -n "$run" ] && [ -x "$run" ] && "$run" < /dev/ttyS0 > /dev/ttyS0 2>&1
while true; do
    setsid cttyhack sh -c 'exec sh -i' < /dev/ttyS0 > /dev/ttyS0 2>&1
done
INIT
chmod +x "$init/init"
(cd "$init" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$out/initrd.img"
echo "images: $out/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes), $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"
