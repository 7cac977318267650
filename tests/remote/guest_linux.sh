#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux with its second serial port (ttyS1 = com2) and its second IDE
# channel (ide1) served by kairo-portd in another network namespace, over
# raw 802.3 on a veth pair with 10% loss and 5% duplication (nftables, both
# directions) and 5% reordering (the client's fault layer):
#   - 1 MiB written to /dev/ttyS1 arrives in the UART's file intact;
#   - on the remote disk: mke2fs, write the same 1 MiB, drop the caches,
#     read it back: same checksum; after the run the image passes e2fsck
#     and holds the file.
# The test script rides in an extra initramfs archive appended to the
# image's (kairo.run= starts it).
#
# usage: guest_linux.sh KAIRO KAIRO_PORTD VMLINUZ INITRD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    for f in "$3" "$4"; do
        [ -f "$f" ] || { echo "guest_linux: no guest image $f (images/build.sh)"; exit 1; }
    done
    unshare -Urn true 2>/dev/null || { echo "guest_linux: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"

KAIRO=$1 PORTD=$2 VMLINUZ=$3 INITRD=$4
scratch_work

# The guest's side of the test.
mkdir -p "$work/extra"
cat > "$work/extra/remote_test.sh" <<'EOF'
#!/bin/sh
modprobe ata_piix; modprobe sd_mod; modprobe ext4
[ -f /crc32c_generic.ko ] && insmod /crc32c_generic.ko
stty -F /dev/ttyS1 115200 raw -echo -crtscts
cp /payload.bin /tmp/f
echo "SERIAL-SHA $(sha256sum /tmp/f | cut -d' ' -f1)"
cat /tmp/f > /dev/ttyS1
echo SERIAL-DONE
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
busybox mke2fs -q /dev/sda
mkdir -p /mnt; mount -t ext4 /dev/sda /mnt && cp /tmp/f /mnt/f && sync && umount /mnt && echo DISK-WRITTEN
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 /dev/sda /mnt && echo "DISK-SHA $(sha256sum /mnt/f | cut -d' ' -f1)"
umount /mnt
sync
echo REMOTE-TEST-DONE
poweroff -f
EOF
chmod +x "$work/extra/remote_test.sh"
# ext4 (serving ext2) needs crc32c at mount; the image may lack it: take it
# from the kernel package images/build.sh unpacked, when it is there.
crc=$(find "$(dirname "$VMLINUZ")/work" -name crc32c_generic.ko 2>/dev/null | head -1)
[ -n "$crc" ] && cp "$crc" "$work/extra/crc32c_generic.ko"
# The 1 MiB comes from the host: a deterministic guest has no entropy
# for /dev/urandom early on, and reading it can block.
head -c 1048576 /dev/urandom > "$work/extra/payload.bin"
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip) > "$work/extra.cpio.gz"
cat "$INITRD" "$work/extra.cpio.gz" > "$work/initrd.img"

truncate -s 16M "$work/disk.img"
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
cat > "$work/portd.conf" <<EOF
key $work/key
listen eth vs
client $CLIENT_MAC
slot com2 uart file:$work/com2.out
ports 0x2F8-0x2FF
irq 3
slot ide1 ide $work/disk.img
ports 0x170-0x177 widths 1,2,4
ports 0x376
irq 15
EOF
make_pair
start_portd "$PORTD" "$work/portd.conf" "$work/portd.err" 1

eth="eth:vc,peer=$SERVER_MAC,key=$work/key,reorder=5"
# libata.dma=0: the channel's bus-master DMA registers stay on this side.
"$KAIRO" -kernel "$VMLINUZ" -initrd "$work/initrd.img" -m 256 -nographic \
    -append "console=ttyS0 quiet libata.dma=0 kairo.run=/remote_test.sh" \
    -remote "com2=$eth,seed=1" -remote "ide1=$eth,seed=2" --remote-stats --timeout 1500 -icount sleep=off \
    </dev/null >"$work/guest.out" 2>"$work/kairo.err" &
kairo_pid=$!
start=$(date +%s)
while kill -0 $kairo_pid 2>/dev/null && ! grep -q REMOTE-TEST-DONE "$work/guest.out"; do
    sleep 1
done
sleep 2
kill -TERM $kairo_pid 2>/dev/null || true
wait $kairo_pid || true
kairo_pid=""
kill -TERM "$portd_pid"
wait "$portd_pid" || true
portd_pid=""
end=$(date +%s)
sed -n '/KAIRO-GUEST-READY/,$p' "$work/guest.out" | tr -d '\r' | head -40
grep "remote" "$work/kairo.err" || true
cat "$work/portd.err"

serial=$(grep -a -o "SERIAL-SHA [0-9a-f]*" "$work/guest.out" | awk '{print $2}')
disk=$(grep -a -o "DISK-SHA [0-9a-f]*" "$work/guest.out" | awk '{print $2}')
got=$(sha256sum "$work/com2.out" | awk '{print $1}')
debugfs -R "dump /f $work/f.out" "$work/disk.img" >/dev/null 2>&1 || true
image=$(sha256sum "$work/f.out" 2>/dev/null | awk '{print $1}')
echo "guest_linux: $((end - start)) s; ttyS1 sent $serial received $got; disk read back $disk, image holds $image"
fail=0
payload=$(sha256sum "$work/extra/payload.bin" | awk '{print $1}')
[ "$serial" = "$payload" ] && [ "$serial" = "$got" ] || { echo "guest_linux: FAIL: ttyS1 checksum"; fail=1; }
[ -n "$disk" ] && [ "$disk" = "$serial" ] || { echo "guest_linux: FAIL: disk read-back checksum"; fail=1; }
[ "$image" = "$serial" ] || { echo "guest_linux: FAIL: the file in the image"; fail=1; }
e2fsck -fn "$work/disk.img" >"$work/fsck.out" 2>&1 || { cat "$work/fsck.out"; echo "guest_linux: FAIL: e2fsck"; fail=1; }
exit $fail
