#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Remote ports, disk workload: guest Linux (build/images) runs mke2fs on a
# 16 MiB disk on the secondary IDE channel, writes a 1 MiB file, drops the
# caches and reads it back. Host seconds from the guest's DISK-START to
# DISK-END, with the channel local (-drive index=2), served by kairo-portd
# over UDP on loopback, and over a veth pair between two namespaces (raw
# 802.3). No impairment. Runs unprivileged (unshare -Urn).
#
# usage: bench/remote_disk.sh [BUILD_DIR] [IMAGES_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
images=$(cd "${2:-$here/../build/images}" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$build" "$images"
fi
. "$here/../tests/remote/ns_lib.sh"
kairo=$build/kairo portd=$build/kairo-portd
scratch_work

mkdir -p "$work/extra"
cat > "$work/extra/disk_bench.sh" <<'EOF'
#!/bin/sh
modprobe ata_piix; modprobe sd_mod; modprobe ext4
[ -f /crc32c_generic.ko ] && insmod /crc32c_generic.ko
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
cp /payload.bin /tmp/f
echo DISK-START
busybox mke2fs -q /dev/sda
mkdir -p /mnt; mount -t ext4 /dev/sda /mnt && cp /tmp/f /mnt/f && sync && umount /mnt
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 /dev/sda /mnt && cmp -s /mnt/f /payload.bin && echo DISK-OK
umount /mnt
echo DISK-END
poweroff -f
EOF
chmod +x "$work/extra/disk_bench.sh"
crc=$(find "$images/work" -name crc32c_generic.ko 2>/dev/null | head -1)
[ -n "$crc" ] && cp "$crc" "$work/extra/"
# The 1 MiB comes from the host: a deterministic guest has no entropy
# for /dev/urandom early on, and reading it can block.
head -c 1048576 /dev/urandom > "$work/extra/payload.bin"
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip) > "$work/extra.cpio.gz"
cat "$images/initrd.img" "$work/extra.cpio.gz" > "$work/initrd.img"
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"

# run LABEL KAIRO-ARGS...: host seconds between the markers (or "n/a").
# Every output line is stamped with the host time it arrived at.
run() {
    local label=$1 out="$work/$1.out" t0 t1
    shift
    : > "$work/disk.img"     # a blank disk, same file for a running kairo-portd
    truncate -s 16M "$work/disk.img"
    timeout 300 "$kairo" -kernel "$images/vmlinuz" -initrd "$work/initrd.img" -m 256 -nographic \
        -append "console=ttyS0 quiet libata.dma=0 kairo.run=/disk_bench.sh" \
        "$@" </dev/null 2>&1 | while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$out"
    t0=$(awk '/DISK-START/ {print $1; exit}' "$out")
    t1=$(awk '/DISK-END/ {print $1; exit}' "$out")
    if [ -n "$t0" ] && [ -n "$t1" ] && grep -q DISK-OK "$out"; then
        printf '%-14s disk workload: %6.2f s\n' "$label" "$(awk "BEGIN {print $t1 - $t0}")"
    else
        printf '%-14s disk workload: n/a (did not finish or read back wrong data)\n' "$label"
    fi
}

echo "kairo remote ports: mke2fs + 1 MiB write + read back on the secondary IDE channel"
run local -drive "file=$work/disk.img,if=ide,index=2"

ip link set lo up
cat > "$work/udp.conf" <<EOF
key $work/key
listen udp 127.0.0.1:7102
client 127.0.0.1
slot ide1 ide $work/disk.img
ports 0x170-0x177 widths 1,2,4
ports 0x376
irq 15
EOF
"$portd" -c "$work/udp.conf" 2>/dev/null &
pids+=($!)
sleep 0.2
run "udp loopback" -remote "ide1=udp:127.0.0.1:7102,key=$work/key"

sed -e 's/listen udp 127.0.0.1:7102/listen eth vs/' -e "s/client 127.0.0.1/client $CLIENT_MAC/" \
    "$work/udp.conf" > "$work/eth.conf"
make_pair
start_portd "$portd" "$work/eth.conf" /dev/null 0
pids+=("$portd_pid")
run "veth 802.3" -remote "ide1=eth:vc,peer=$SERVER_MAC,key=$work/key"
