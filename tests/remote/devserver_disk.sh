#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A partitioned disk (docs/DEVSERVER.md): one 16 MiB image, its two halves
# served by one kairo-portd as the whole ide1 disk of two Linux guests
# running at the same time (UDP loopback inside `unshare -Urn`, each guest
# on its own 127.0.0.x). Each guest makes an ext2 file system on its disk,
# writes 1 MiB, drops its caches and reads it back; afterwards e2fsck of
# each half on the host is clean and each half holds its guest's file.
#
# usage: devserver_disk.sh KAIRO KAIRO_PORTD VMLINUZ INITRD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    for f in "$3" "$4"; do
        [ -f "$f" ] || { echo "devserver_disk: no guest image $f (images/build.sh)"; exit 1; }
    done
    unshare -Urn true 2>/dev/null || { echo "devserver_disk: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 VMLINUZ=$3 INITRD=$4
scratch_work
ip link set lo up

mkdir -p "$work/extra"
cat > "$work/extra/disk_test.sh" <<'EOF'
#!/bin/sh
modprobe ata_piix; modprobe sd_mod; modprobe ext4
[ -f /crc32c_generic.ko ] && insmod /crc32c_generic.ko
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
echo "DISK-SIZE $(cat /sys/block/sda/size)"
busybox mke2fs -q /dev/sda
mkdir -p /mnt; mount -t ext4 /dev/sda /mnt && cp /payload.bin /mnt/f && sync && umount /mnt && echo DISK-WRITTEN
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 /dev/sda /mnt && echo "DISK-SHA $(sha256sum /mnt/f | cut -d' ' -f1)"
umount /mnt
sync
echo DISK-TEST-DONE
poweroff -f
EOF
chmod +x "$work/extra/disk_test.sh"
crc=$(find "$(dirname "$VMLINUZ")/work" -name crc32c_generic.ko 2>/dev/null | head -1)
[ -n "$crc" ] && cp "$crc" "$work/extra/crc32c_generic.ko"
for g in A B; do
    head -c 1048576 /dev/urandom > "$work/extra/payload.bin"
    cp "$work/extra/payload.bin" "$work/payload_$g.bin"
    (cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip) > "$work/extra_$g.cpio.gz"
    cat "$INITRD" "$work/extra_$g.cpio.gz" > "$work/initrd_$g.img"
done

truncate -s 16M "$work/disk.img"
"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7740"
    for p in "127.0.0.2 0-16383" "127.0.0.3 16384-32767"; do
        set -- $p
        printf 'slot ide1 ide %s\nclient %s\npartition %s\n' "$work/disk.img" $1 $2
        printf 'ports 0x170-0x177 widths 1,2,4\nports 0x376\nirq 15\n'
    done
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
sleep 0.5
start=$(date +%s)
for g in "A 127.0.0.2" "B 127.0.0.3"; do
    set -- $g
    "$KAIRO" -kernel "$VMLINUZ" -initrd "$work/initrd_$1.img" -m 256 -nographic \
        -append "console=ttyS0 quiet libata.dma=0 kairo.run=/disk_test.sh" \
        -remote "ide1=udp:127.0.0.1:7740,bind=$2:0,key=$work/key" --timeout 1500 \
        -icount sleep=off </dev/null >"$work/guest_$1.out" 2>"$work/kairo_$1.err" &
    pids+=($!)
done
for _ in $(seq 1500); do
    grep -q DISK-TEST-DONE "$work/guest_A.out" && grep -q DISK-TEST-DONE "$work/guest_B.out" && break
    sleep 1
done
end=$(date +%s)
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
kill -TERM $portd_pid; wait $portd_pid || true
portd_pid=
fail=0
for g in A B; do
    off=$([ $g = A ] && echo 0 || echo 16384)
    dd if="$work/disk.img" of="$work/part_$g.img" bs=512 skip=$off count=16384 status=none
    want=$(sha256sum "$work/payload_$g.bin" | awk '{print $1}')
    got=$(grep -a -o "DISK-SHA [0-9a-f]*" "$work/guest_$g.out" | awk '{print $2}')
    size=$(grep -a -o "DISK-SIZE [0-9]*" "$work/guest_$g.out" | awk '{print $2}')
    debugfs -R "dump /f $work/f_$g.out" "$work/part_$g.img" >/dev/null 2>&1 || true
    held=$(sha256sum "$work/f_$g.out" 2>/dev/null | awk '{print $1}')
    echo "devserver_disk: guest $g: disk of $size sectors, read back ${got:-nothing}, its half holds ${held:-nothing}"
    [ "$size" = 16384 ] || { echo "devserver_disk: FAIL: guest $g's disk is not its half"; fail=1; }
    [ -n "$got" ] && [ "$got" = "$want" ] && [ "$held" = "$want" ] ||
        { echo "devserver_disk: FAIL: guest $g's file"; fail=1; }
    e2fsck -fn "$work/part_$g.img" >"$work/fsck_$g.out" 2>&1 ||
        { cat "$work/fsck_$g.out"; echo "devserver_disk: FAIL: e2fsck of half $g"; fail=1; }
done
echo "devserver_disk: both guests done in $((end - start)) s"
grep "sectors\|slot ide1" "$work/portd.err" | head -6 || true
exit $fail
