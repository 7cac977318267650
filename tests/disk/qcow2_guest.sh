#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux (build/images) on a qcow2 disk made by `qemu-img create`,
# checked afterwards by QEMU's own tools.
#   qcow2_guest.sh KAIRO IMAGES_DIR write MIB   mke2fs, write a MIB MiB file,
#       remount, md5 in the guest, on a qcow2 disk over a backing chain
#       (raw <- qcow2 <- qcow2, relative names; the lower two must stay
#       untouched); then `qemu-img check` must be clean, and
#       the raw copy `qemu-img convert` makes must pass e2fsck and hold the
#       file with the host's md5 (`qemu-img compare` against it too).
#   qcow2_guest.sh KAIRO IMAGES_DIR kill MIB    kill -9 while the guest
#       writes (once the image grew by MIB MiB after the file was begun);
#       `qemu-img check` may report leaked clusters, never corruption; the
#       image opens again.
# The guest's script rides in an extra initramfs archive (kairo.run=).
set -uo pipefail
kairo=$1 images=$2 mode=$3 mib=$4
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "qcow2_guest: $images/$f missing (images/build.sh)"; exit 1; }
done
command -v qemu-img >/dev/null || { echo "qcow2_guest: qemu-img missing (qemu-utils)"; exit 1; }
work=$(mktemp -d)
kpid=
cleanup() { [ -n "$kpid" ] && kill -9 "$kpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "qcow2_guest: FAIL: $*"; exit 1; }

# 1 MiB blocks: an 8-digit number and 1 MiB - 9 bytes of host randomness
# (a deterministic guest has no entropy of its own early on).
head -c $((1048576 - 9)) /dev/urandom > "$work/payload.bin"
mkdir -p "$work/extra"
cp "$work/payload.bin" "$work/extra/payload.bin"
cat > "$work/extra/qcow2_test.sh" <<EOF
#!/bin/sh
modprobe ata_piix; modprobe sd_mod; modprobe ext4
[ -f /crc32c_generic.ko ] && insmod /crc32c_generic.ko
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
busybox mke2fs -q /dev/sda || echo MKE2FS-FAILED
mkdir -p /mnt; mount -t ext4 /dev/sda /mnt || echo MOUNT-FAILED
echo GUEST-WRITING
if [ "$mode" = kill ]; then
    i=0; while true; do i=\$((i+1)); printf '%08d\n' \$i; cat /payload.bin; done > /mnt/f
fi
i=0; while [ \$i -lt $mib ]; do i=\$((i+1)); printf '%08d\n' \$i; cat /payload.bin; done > /mnt/f
umount /mnt; sync
mount -t ext4 /dev/sda /mnt && echo "GUEST-MD5 \$(md5sum /mnt/f | cut -d' ' -f1)"
umount /mnt; sync
poweroff -f
EOF
chmod +x "$work/extra/qcow2_test.sh"
crc=$(find "$images/work" -name crc32c_generic.ko 2>/dev/null | head -1)
[ -n "$crc" ] && cp "$crc" "$work/extra/crc32c_generic.ko"
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$work/extra.cpio.gz"
cat "$images/initrd.img" "$work/extra.cpio.gz" > "$work/initrd.img"

disk_mib=$((mib + mib / 4 + 16))
if [ "$mode" = write ]; then
    # A backing chain under the disk: base.raw <- mid.qcow2 <- disk.qcow2
    # (relative names), with data in both lower layers that the guest's
    # partial cluster writes must merge; they stay untouched.
    head -c 4M /dev/urandom > "$work/base.raw" && truncate -s "${disk_mib}M" "$work/base.raw"
    (cd "$work" && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 &&
     qemu-io -c 'write -P 0x77 6M 1M' mid.qcow2 >/dev/null &&
     qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 disk.qcow2) || fail "qemu-img create"
    lower_md5=$(cat "$work/base.raw" "$work/mid.qcow2" | md5sum)
else
    qemu-img create -q -f qcow2 "$work/disk.qcow2" "${disk_mib}M" || fail "qemu-img create"
fi
args=(-m 256 -nographic --deterministic --timeout 900 --expect-timeout 600 --stats
      -kernel "$images/vmlinuz" -initrd "$work/initrd.img"
      -append "console=ttyS0 cryptomgr.notests kairo.run=/qcow2_test.sh"
      -drive file="$work/disk.qcow2",format=qcow2,if=ide,index=1)

if [ "$mode" = write ]; then
    expected=$(for i in $(seq 1 "$mib"); do printf '%08d\n' "$i"; cat "$work/payload.bin"; done |
                md5sum | cut -d' ' -f1)
    start=$(date +%s)
    "$kairo" "${args[@]}" --expect "GUEST-WRITING" --expect "GUEST-MD5 $expected" \
        < /dev/null 2>&1 | tail -5
    status=${PIPESTATUS[0]}
    echo "qcow2_guest: kairo exited with $status after $(( $(date +%s) - start )) s"
    [ "$status" = 0 ] || fail "the guest did not read back md5 $expected"
    qemu-img check "$work/disk.qcow2" || fail "qemu-img check"
    [ "$(cat "$work/base.raw" "$work/mid.qcow2" | md5sum)" = "$lower_md5" ] ||
        fail "the backing files changed"
    qemu-img info "$work/disk.qcow2" | grep -E "disk size|virtual size"
    qemu-img convert -f qcow2 -O raw "$work/disk.qcow2" "$work/disk.raw" || fail "convert"
    qemu-img compare -f qcow2 -F raw "$work/disk.qcow2" "$work/disk.raw" || fail "compare"
    e2fsck -fn "$work/disk.raw" >/dev/null 2>&1 || fail "e2fsck of the raw copy"
    got=$(debugfs -R "cat /f" "$work/disk.raw" 2>/dev/null | md5sum | cut -d' ' -f1)
    [ "$got" = "$expected" ] || fail "the file as QEMU reads it: md5 $got, want $expected"
    echo "qcow2_guest: $mib MiB written by the guest, clean, QEMU reads md5 $got"
    exit 0
fi

# kill: once the guest writes its file, wait until the image grew by mib
# MiB more, then kill -9.
"$kairo" "${args[@]}" < /dev/null > "$work/kairo.out" 2>&1 &
kpid=$!     # kairo itself: its locks must go with it
alive() { kill -0 "$kpid" 2>/dev/null || { cat "$work/kairo.out"; fail "kairo ended early"; }; }
for _ in $(seq 1 1200); do
    grep -q GUEST-WRITING "$work/kairo.out" && break
    alive; sleep 0.5
done
grep -q GUEST-WRITING "$work/kairo.out" || fail "the guest never started writing"
start_size=$(stat -c %s "$work/disk.qcow2")
for _ in $(seq 1 1200); do
    [ "$(stat -c %s "$work/disk.qcow2")" -gt $((start_size + (mib << 20))) ] && break
    alive; sleep 0.2
done
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
kpid=
echo "qcow2_guest: killed at $(stat -c %s "$work/disk.qcow2") bytes (writing began at $start_size)"
qemu-img check "$work/disk.qcow2"
status=$?
[ "$status" = 0 ] || [ "$status" = 3 ] || fail "qemu-img check status $status (corruption)"
# It must open again, for QEMU and for kairo.
qemu-img compare -f qcow2 "$work/disk.qcow2" "$work/disk.qcow2" || fail "qemu reads it"
"$kairo" -display none -drive file="$work/disk.qcow2",format=qcow2 --max-insns 1000000
[ $? = 3 ] || fail "kairo cannot open the image again"
echo "qcow2_guest: kill -9 left an image qemu-img check accepts (status $status)"
