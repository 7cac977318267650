#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the Debian guest of images/build.sh, waits for the initramfs marker
# on ttyS0, runs a command sent over the serial line, checks its output,
# and ends the run with `poweroff -f`, which must give exit status 0 (ACPI
# S5 through the PIIX4 power management).
#   linux_serial.sh KAIRO IMAGES_DIR kernel|cdrom|disk [EXTRA KAIRO OPTIONS...]
# kernel: -kernel/-initrd/-append; cdrom: the isolinux ISO; disk: the
# extlinux hard disk (booted with -snapshot: the image stays as built).
set -u
kairo=$1 images=$2 mode=$3
shift 3
need() { [ -f "$images/$1" ] || { echo "linux_serial: $images/$1 missing (run images/build.sh)"; exit 1; }; }
case "$mode" in
kernel) need vmlinuz; need initrd.img
        set -- -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
            -append "console=ttyS0 cryptomgr.notests" "$@" ;;
cdrom)  need cdrom.iso; set -- -cdrom "$images/cdrom.iso" -boot d "$@" ;;
disk)   need disk.img; set -- -hda "$images/disk.img" -snapshot -boot c "$@" ;;
*)      echo "linux_serial: unknown mode $mode"; exit 2 ;;
esac
"$kairo" -m 256 -nographic --deterministic --timeout 600 --expect-timeout 300 --stats \
    --expect "KAIRO-GUEST-READY" --expect "# " \
    --send 'echo kairo-$((6*7))-$(uname -m)\n' --expect "kairo-42-i686" \
    --send 'poweroff -f\n' "$@" < /dev/null
status=$?
echo "linux_serial: kairo exited with status $status"
exit $status
