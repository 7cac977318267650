#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest Linux through an outage: a Debian guest writes 4 MiB to its remote
# ttyS1 (serial) or 16 MiB to an ext2 file system on its remote ide1
# (disk: mke2fs, copy, sync, drop caches, read back, md5) while kairo-portd
# serves both slots from another network namespace over the veth pair
# with 10% loss and 5% duplication both ways (nftables) and 5% reordering
# (the client's fault layer). Mid-transfer the link is cut (cut:SECONDS)
# or kairo-portd is killed with SIGKILL and restarted from its state file
# (kill9). The data must arrive byte-exact, the guest must see no I/O
# error and finish, the slot must never go offline, and the server's
# executed-access count must equal the client's issued count.
#
# usage: guest_outage.sh KAIRO KAIRO_PORTD VMLINUZ INITRD serial|disk MODE [BOUND_MS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    for f in "$3" "$4"; do
        [ -f "$f" ] || { echo "guest_outage: no guest image $f (images/build.sh)"; exit 1; }
    done
    unshare -Urn true 2>/dev/null || { echo "guest_outage: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 VMLINUZ=$3 INITRD=$4 WHAT=$5 MODE=$6 BOUND=${7:-30000}
scratch_work
tag="guest_outage $WHAT $MODE"

mkdir -p "$work/extra"
if [ "$WHAT" = serial ]; then
    size=4194304
    cat > "$work/extra/remote_test.sh" <<'GEOF'
#!/bin/sh
stty -F /dev/ttyS1 115200 raw -echo -crtscts
echo "OUTAGE-START"
cat /payload.bin > /dev/ttyS1
echo "SERIAL-SHA $(md5sum /payload.bin | cut -d' ' -f1)"
echo "IOERRORS $(dmesg | grep -ci 'i/o error\|exception\|timeout')"
echo REMOTE-TEST-DONE
poweroff -f
GEOF
else
    size=16777216
    cat > "$work/extra/remote_test.sh" <<'GEOF'
#!/bin/sh
modprobe ata_piix; modprobe sd_mod; modprobe ext4
[ -f /crc32c_generic.ko ] && insmod /crc32c_generic.ko
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
busybox mke2fs -q /dev/sda
mkdir -p /mnt
mount -t ext4 /dev/sda /mnt
echo "OUTAGE-START"
cp /payload.bin /mnt/f && sync && umount /mnt && echo DISK-WRITTEN
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 /dev/sda /mnt && echo "DISK-SHA $(md5sum /mnt/f | cut -d' ' -f1)"
umount /mnt
echo "IOERRORS $(dmesg | grep -ci 'i/o error\|exception\|timeout')"
echo REMOTE-TEST-DONE
poweroff -f
GEOF
    crc=$(find "$(dirname "$VMLINUZ")/work" -name crc32c_generic.ko 2>/dev/null | head -1)
    [ -n "$crc" ] && cp "$crc" "$work/extra/crc32c_generic.ko"
fi
chmod +x "$work/extra/remote_test.sh"
head -c $size /dev/urandom > "$work/extra/payload.bin"
payload=$(md5sum "$work/extra/payload.bin" | awk '{print $1}')
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$work/extra.cpio.gz"
cat "$INITRD" "$work/extra.cpio.gz" > "$work/initrd.img"
rm -rf "$work/extra/payload.bin"

truncate -s 64M "$work/disk.img"
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
cat > "$work/portd.conf" <<PEOF
key $work/key
state $work/portd.state
listen eth vs
client $CLIENT_MAC
slot com2 uart file:$work/com2.out
ports 0x2F8-0x2FF
irq 3
slot ide1 ide $work/disk.img
ports 0x170-0x177 widths 1,2,4
ports 0x376
irq 15
PEOF
make_pair
start_portd "$PORTD" "$work/portd.conf" "$work/portd.err" 1

eth="eth:vc,peer=$SERVER_MAC,key=$work/key,reorder=5,timeout=$BOUND"
"$KAIRO" -kernel "$VMLINUZ" -initrd "$work/initrd.img" -m 256 -nographic \
    -append "console=ttyS0 quiet libata.dma=0 kairo.run=/remote_test.sh" \
    -remote "com2=$eth,seed=1" -remote "ide1=$eth,seed=2" --remote-stats --timeout 3000 \
    </dev/null >"$work/guest.out" 2>"$work/kairo.err" &
kairo_pid=$!
start=$(date +%s)
alive() { kill -0 $kairo_pid 2>/dev/null; }
while alive && ! grep -q OUTAGE-START "$work/guest.out"; do sleep 0.5; done
sleep 3      # well into the transfer
progress() { echo "$(stat -c %s "$work/com2.out") serial bytes, $(du -k "$work/disk.img" | cut -f1) KiB on disk"; }
case $MODE in
cut:*)
    echo "$tag: cutting the link for ${MODE#cut:} s at $(progress)"
    ip link set vc down
    sleep "${MODE#cut:}"
    ip link set vc up
    ;;
kill9)
    echo "$tag: kill -9 of kairo-portd at $(progress)"
    kill -KILL "$portd_pid"
    wait "$portd_pid" 2>/dev/null || true
    sleep 2
    restart_portd "$PORTD" "$work/portd.conf" "$work/portd.err"
    ;;
*) echo "$tag: unknown mode $MODE"; exit 1 ;;
esac
while alive && ! grep -q REMOTE-TEST-DONE "$work/guest.out"; do sleep 1; done
sleep 2
kill -TERM $kairo_pid 2>/dev/null || true
wait $kairo_pid || true
kairo_pid=""
end=$(date +%s)
kill -TERM "$portd_pid"
wait "$portd_pid" || true
portd_pid=""
sed -n '/KAIRO-GUEST-READY/,$p' "$work/guest.out" | tr -d '\r' | grep -v "^$" | head -20
grep "remote" "$work/kairo.err" || true
cat "$work/portd.err"

fail=0
check() { if ! eval "$2"; then echo "$tag: FAIL: $1"; fail=1; fi; }
ioerr=$(grep -a -o "IOERRORS [0-9]*" "$work/guest.out" | awk '{print $2}')
if [ "$WHAT" = serial ]; then
    sent=$(grep -a -o "SERIAL-SHA [0-9a-f]*" "$work/guest.out" | awk '{print $2}')
    got=$(md5sum "$work/com2.out" | awk '{print $1}')
    slot=com2
    check "serial byte-exact ($(stat -c %s "$work/com2.out") bytes)" \
        '[ "$sent" = "$payload" ] && [ "$got" = "$payload" ]'
else
    disk=$(grep -a -o "DISK-SHA [0-9a-f]*" "$work/guest.out" | awk '{print $2}')
    debugfs -R "dump /f $work/f.out" "$work/disk.img" >/dev/null 2>&1 || true
    image=$(md5sum "$work/f.out" 2>/dev/null | awk '{print $1}')
    slot=ide1
    check "disk read back byte-exact" '[ "$disk" = "$payload" ]'
    check "the file in the image" '[ "$image" = "$payload" ]'
    e2fsck -fn "$work/disk.img" >"$work/fsck.out" 2>&1 || { cat "$work/fsck.out"; check "e2fsck" false; }
fi
issued=$(grep -o "remote $slot: [0-9]* port accesses issued" "$work/kairo.err" | awk '{print $3}')
executed=$(grep -o "slot $slot: [0-9]* port accesses executed" "$work/portd.err" | tail -1 | awk '{print $3}')
echo "$tag: $((end - start)) s; $slot issued $issued, executed $executed; guest I/O errors: ${ioerr:-?}"
check "the guest finished" 'grep -q REMOTE-TEST-DONE "$work/guest.out"'
check "no I/O error in the guest" '[ "$ioerr" = 0 ]'
check "never offline" '! grep -q "slot offline" "$work/kairo.err"'
check "executed == issued" '[ -n "$issued" ] && [ "$issued" = "$executed" ]'
exit $fail
