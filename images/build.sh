#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds Kairo's Linux guest images from Debian's own i386 packages, fetched
# with `apt-get download` (nothing is compiled here):
#   OUT/vmlinuz          Debian's 686 kernel (linux-image-686)
#   OUT/initrd.img       a busybox initramfs: its /init prints the marker
#                        "KAIRO-GUEST-READY" on ttyS0, gives a shell there and
#                        powers off with `poweroff -f`; the NIC, disk and ext4
#                        modules are inside, plus anything in EXTRA_FILES
#   OUT/modules/         the modules copied in (for other images)
#   OUT/disk.img         64 MiB hard disk: MBR partition table, one ext2
#                        partition with the kernel and initrd, extlinux
#                        (needs root: the partition is loop-mounted)
#   OUT/cdrom.iso        an El Torito ISO booting them with isolinux
#   OUT/memtest86+.bin   Debian's memtest86+ (boots with -kernel)
# Usage: images/build.sh [OUT [WHAT...]]   (default OUT: build/images;
#        WHAT: initrd disk iso memtest, default all)
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
    for t in cpio:cpio gzip:gzip xz:xz-utils depmod:kmod sfdisk:fdisk mke2fs:e2fsprogs \
             extlinux:extlinux xorriso:xorriso; do
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

shift || true
what=${*:-initrd disk iso memtest}
wants() { case " $what " in *" $1 "*) return 0;; esac; return 1; }
syslinux_files() {   # isolinux.bin, ldlinux.c32, mbr.bin come from Debian packages too
    local d
    d=$(fetch isolinux); cp "$d/usr/lib/ISOLINUX/isolinux.bin" "$work/isolinux.bin"
    d=$(fetch syslinux-common)
    cp "$d/usr/lib/syslinux/modules/bios/ldlinux.c32" "$work/ldlinux.c32"
    cp "$d/usr/lib/syslinux/mbr/mbr.bin" "$work/mbr.bin"
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
# The kernel runs /sbin/modprobe itself (ext4 asks for crc32c this way).
ln -sf ../bin/busybox "$init/sbin/modprobe"

# Modules: NE2000 (ISA and PCI), the PIIX IDE/ATA stack, ext4, the floppy
# and the ACPI power button (the QMP test's media change and powerdown),
# and what they depend on, resolved through the package's own modules.dep.
mods="drivers/net/ethernet/8390/ne2k-pci drivers/net/ethernet/8390/ne
      drivers/ata/ata_piix drivers/ata/ata_generic drivers/scsi/sd_mod drivers/scsi/sr_mod
      fs/ext4/ext4 drivers/block/loop crypto/crc32c_generic
      drivers/block/floppy drivers/acpi/button"
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
    if [ ! -f "${pair%%:*}" ]; then
        echo "images: EXTRA_FILES: ${pair%%:*} does not exist; left out" >&2
        continue
    fi
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
# Reproducible: the same files give the same bytes (every mtime 0, no inode
# numbers, no gzip time stamp), so a rebuilt initrd boots to the same
# --deterministic --state-hash and the bench image's stamp still matches.
find "$init" -exec touch -h -d @0 {} +
(cd "$init" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 --reproducible) |
    gzip -9 -n > "$out/initrd.img"
echo "images: $out/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes), $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"

append="console=ttyS0 cryptomgr.notests"
if wants iso || wants disk; then
    syslinux_files
fi

# (c) An El Torito ISO with isolinux.
if wants iso; then
    iso="$work/iso"
    rm -rf "$iso" && mkdir -p "$iso/isolinux"
    cp "$work/isolinux.bin" "$work/ldlinux.c32" "$iso/isolinux/"
    cp "$out/vmlinuz" "$out/initrd.img" "$iso/"
    printf 'SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nLABEL linux\n  KERNEL /vmlinuz\n  APPEND initrd=/initrd.img %s\n' \
        "$append" > "$iso/isolinux/isolinux.cfg"
    xorriso -as mkisofs -quiet -o "$out/cdrom.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table -V KAIRO "$iso"
    echo "images: $out/cdrom.iso"
fi

# (b) A partitioned hard disk: MBR, one ext2 partition from 1 MiB, extlinux.
if wants disk; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "images: disk.img needs root (extlinux installs on a mounted file system); skipped" >&2
    else
        root="$work/diskroot"
        rm -rf "$root" && mkdir -p "$root/boot/extlinux"
        cp "$out/vmlinuz" "$out/initrd.img" "$root/boot/"
        printf 'SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nLABEL linux\n  KERNEL /boot/vmlinuz\n  APPEND initrd=/boot/initrd.img %s\n' \
            "$append" > "$root/boot/extlinux/extlinux.conf"
        disk="$out/disk.img"
        rm -f "$disk" && truncate -s 64M "$disk"
        echo 'start=2048, type=83, bootable' | sfdisk -q "$disk"
        mke2fs -q -F -t ext2 -b 1024 -L kairo -d "$root" -E offset=$((2048 * 512)) "$disk" $(((65536 - 1024)))
        mnt=$(mktemp -d)
        loop=$(losetup -f --show -o $((2048 * 512)) "$disk")
        trap 'umount "$mnt" 2>/dev/null; losetup -d "$loop" 2>/dev/null; rmdir "$mnt"' EXIT
        mount "$loop" "$mnt"
        extlinux --install "$mnt/boot/extlinux" >/dev/null
        umount "$mnt" && losetup -d "$loop" && rmdir "$mnt"
        trap - EXIT
        dd if="$work/mbr.bin" of="$disk" bs=440 count=1 conv=notrunc status=none
        echo "images: $disk"
    fi
fi

# (d) memtest86+ (Debian's; its .bin boots through the Linux boot protocol).
if wants memtest; then
    mt=$(fetch memtest86+)
    cp "$mt/boot/memtest86+ia32.bin" "$out/memtest86+.bin"
    echo "images: $out/memtest86+.bin"
fi
