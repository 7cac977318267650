#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds OUT/vmtools.img: an ext2 file system (no partition table) holding
# Debian's own open-vm-tools:i386 with the i386 libraries it links, plus
# busybox, so a guest can `mount /dev/sda /mnt && chroot /mnt ...` and run
# the real vmware-checkvm, vmware-rpctool, vmtoolsd and vmhgfs-fuse against
# `-device vmport` (tests/vmport), and kairo-host (images/hosttools, built
# here with gcc -m32 -static). Packages are fetched with `apt-get
# download` and unpacked, never installed; no root is needed (mke2fs -d).
# Usage: images/vmtools.sh [OUT]   (default OUT: build/images)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here/../build/images}" && cd "${1:-$here/../build/images}" && pwd)
work="$out/work/vmtools"
pkgdir="$work/pkg"
root="$work/root"
mkdir -p "$pkgdir"

# Built once: a newer script or a missing image rebuilds it.
if [ -f "$out/vmtools.img" ] && [ "$out/vmtools.img" -nt "$0" ] &&
   [ "$out/vmtools.img" -nt "$here/hosttools/kairo-host.c" ]; then
    echo "vmtools: $out/vmtools.img (cached)"
    exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $sudo dpkg --add-architecture i386
    $sudo apt-get update -qq || true
fi
apt-cache show open-vm-tools:i386 >/dev/null 2>&1 || $sudo apt-get update -qq || true

# The library closure of open-vm-tools:i386 (Depends only, recursively),
# keeping the i386 libraries and leaving out the programs it merely calls
# (perl, dpkg, iproute2, pciutils, lsb-release): the tests need none.
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
           --no-replaces --no-enhances open-vm-tools:i386 2>/dev/null |
       grep -E '^(lib[^ ]*|zlib1g|gcc-12-base|open-vm-tools):i386$' |
       grep -vE '^lib(perl|gdbm|db5|newt|slang|readline|debian-installer|textwrap|bpf|xtables|mnl|elf|pci)' |
       sort -u)
pkgs="$pkgs busybox-static:i386 fuse3:i386"
for p in $pkgs; do
    name=${p%%:*}
    ls "$pkgdir/${name}"_*_i386.deb >/dev/null 2>&1 ||
        ls "$pkgdir/${name}"_*_all.deb >/dev/null 2>&1 ||
        (cd "$pkgdir" && apt-get download -q "$p" >/dev/null)
done
rm -rf "$root" && mkdir -p "$root"
for deb in "$pkgdir"/*.deb; do dpkg-deb -x "$deb" "$root"; done

# A few things an installed system would have: a shell, mount points, the
# libraries' search path (no ld.so.cache is built), a hostname.
mkdir -p "$root"/{bin,proc,sys,dev,tmp,run,mnt/hgfs,etc,var/log,var/run}
ln -sf busybox "$root/bin/sh"
for a in ls cat mount umount sleep echo md5sum sha256sum dd mkdir rm mv head tail wc grep \
         sed ps kill seq sort cmp stat touch ln cp; do
    [ -e "$root/bin/$a" ] || ln -sf busybox "$root/bin/$a"
done
printf '/lib/i386-linux-gnu\n/usr/lib/i386-linux-gnu\n' > "$root/etc/ld.so.conf"
echo kairo-guest > "$root/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' \
    > "$root/etc/os-release"
ldconfig -r "$root" 2>/dev/null || true
# vmtoolsd's soft power-off and reboot run /sbin/shutdown: here a script
# that says so on the console, syncs and powers off (or reboots).
mkdir -p "$root/sbin" "$root/etc/vmware-tools"
cat > "$root/sbin/shutdown" <<'SH'
#!/bin/sh
echo "KAIRO-SHUTDOWN $*" > /dev/console
sync
case "$*" in *-r*) exec /bin/busybox reboot -f;; esac
exec /bin/busybox poweroff -f
SH
chmod +x "$root/sbin/shutdown"
# Report the guest information every 2 s (default 30) so a test sees it soon.
printf '[guestinfo]\npoll-interval=2\n[logging]\nlog=false\n' > "$root/etc/vmware-tools/tools.conf"

# FUSE for vmhgfs-fuse: the module of the guest kernel images/build.sh
# unpacked (same OUT), loaded with insmod from the disk.
fuse=$(ls "$out"/work/root-linux-image-*/lib/modules/*/kernel/fs/fuse/fuse.ko* 2>/dev/null | head -1)
if [ -n "$fuse" ]; then
    mkdir -p "$root/lib/modules" && cp "$fuse" "$root/lib/modules/fuse.ko"
else
    echo "vmtools: no fuse.ko under $out/work (run images/build.sh first); vmhgfs-fuse will not mount" >&2
fi

# kairo-host, the guest side of kairo's shadow processes and file copies.
gcc -m32 -static -O2 -Wall -Wextra -o "$root/usr/bin/kairo-host" "$here/hosttools/kairo-host.c"

size=$(du -sm "$root" | cut -f1)
rm -f "$out/vmtools.img"
mke2fs -q -F -t ext2 -L vmtools -d "$root" "$out/vmtools.img.tmp" "$((size + 24))M"
mv "$out/vmtools.img.tmp" "$out/vmtools.img"
echo "vmtools: $out/vmtools.img ($((size + 24)) MiB, $(echo $pkgs | wc -w) packages)"
