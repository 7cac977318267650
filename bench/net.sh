#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest download throughput over the NE2000 PCI card (RTL8029) with the user
# (slirp) backend: kairo beside QEMU TCG with the same card, kernel,
# initramfs and file, in one run on this machine. The guest fetches a file
# from an HTTP server on the host's loopback (10.0.2.2); the time is host
# time from the first to the last data segment in a filter-dump pcap.
#   bench/net.sh [MIB]          (default 16 MiB)
# Needs build/kairo, build/images (images/build.sh), python3; installs
# qemu-system-x86 with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")"
MIB=${1:-16}
ROOT=$(cd .. && pwd)
KAIRO=${KAIRO:-$ROOT/build/kairo}
IMAGES=${IMAGES:-$ROOT/build/images}
WORK=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

if ! command -v qemu-system-i386 >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq || echo "apt-get update reported errors; installing anyway"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq qemu-system-x86 >/dev/null
fi
[ -f "$IMAGES/vmlinuz" ] || { echo "bench/net: no $IMAGES/vmlinuz (run images/build.sh)"; exit 1; }

mkdir -p "$WORK/extra" "$WORK/www"
cp "$ROOT/tests/net/guest_net.sh" "$WORK/extra/net-test.sh"
(cat "$IMAGES/initrd.img"; cd "$WORK/extra" && echo net-test.sh | cpio -o -H newc --quiet -R 0:0 | gzip) \
    > "$WORK/initrd.img"
head -c $((MIB * 1048576)) /dev/urandom > "$WORK/www/blob.bin"
SIZE=$(stat -c %s "$WORK/www/blob.bin")
SUM=$(md5sum "$WORK/www/blob.bin" | cut -d' ' -f1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$WORK/www" && exec python3 -m http.server "$PORT" --bind 127.0.0.1) >/dev/null 2>&1 &
pids="$pids $!"
sleep 1
APPEND="console=ttyS0 quiet panic=1 kairo.run=/net-test.sh net.poweroff=1 net.get=http://10.0.2.2:$PORT/blob.bin net.md5=$SUM"

rate() {   # rate NAME PCAP LOG
    if ! grep -aq "NET-OK get $SIZE bytes md5 $SUM" "$3"; then
        echo "$1: the download failed:"; grep -a "NET-" "$3" | tail -5; return 1
    fi
    read -r bytes secs < <(python3 net_rate.py "$2" "$PORT" | cut -d' ' -f1,2)
    awk -v n="$1" -v s="$secs" -v z="$SIZE" 'BEGIN { printf "%-6s %8.2f s  %6.2f MB/s\n", n, s, z / s / 1e6 }'
}

"$KAIRO" -m 128 -nographic -vga none -icount sleep=off --timeout 600 -kernel "$IMAGES/vmlinuz" \
    -initrd "$WORK/initrd.img" -append "$APPEND" \
    -netdev user,id=n0 -device ne2k_pci,netdev=n0 -object filter-dump,id=f,netdev=n0,file="$WORK/kairo.pcap" \
    > "$WORK/kairo.log" 2>&1 < /dev/null || true
timeout 600 qemu-system-i386 -accel tcg -M pc -m 128 -nographic -vga none -no-reboot \
    -kernel "$IMAGES/vmlinuz" -initrd "$WORK/initrd.img" -append "$APPEND" \
    -netdev user,id=n0 -device ne2k_pci,netdev=n0 -object filter-dump,id=f,netdev=n0,file="$WORK/qemu.pcap" \
    > "$WORK/qemu.log" 2>&1 < /dev/null || true

echo "guest download of $MIB MiB over ne2k_pci + user networking (host time, pcap):"
k=$(rate kairo "$WORK/kairo.pcap" "$WORK/kairo.log") || { echo "$k"; exit 1; }
q=$(rate qemu "$WORK/qemu.pcap" "$WORK/qemu.log") || { echo "$q"; exit 1; }
echo "$k"
echo "$q"
awk -v a="$(echo "$k" | awk '{print $4}')" -v b="$(echo "$q" | awk '{print $4}')" \
    'BEGIN { printf "kairo / qemu: %.2f\n", a / b }'
