#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian guest's framebuffer console: boots the kernel of
# images/build.sh with vga=0x318 (the kernel's setup code sets VBE mode
# 1024x768x24 through the VGA BIOS; vesafb and fbcon take it over), writes a
# marker to /dev/tty0 from the serial shell, powers off, and reads the text
# back out of the exit screendump with the kernel's own 8x16 font
# (fb_text). Fails unless the boot text and the marker are on the screen.
#   linux_fbcon.sh KAIRO FB_TEXT IMAGES_DIR WORK_DIR
set -u
kairo=$1 fb_text=$2 images=$3 work=$4
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "linux_fbcon: $images/$f missing (run images/build.sh)"; exit 1; }
done
mkdir -p "$work"
png=$work/fbcon.png vmlinux=$work/vmlinux
rm -f "$png"
# The font: from the kernel's own image (an xz-compressed bzImage payload).
python3 - "$images/vmlinuz" "$vmlinux" <<'PY' || { echo "linux_fbcon: cannot unpack the kernel"; exit 1; }
import lzma, sys
data = open(sys.argv[1], 'rb').read()
at = data.find(b'\xfd7zXZ\x00')
if at < 0:
    sys.exit("no xz payload in " + sys.argv[1])
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor().decompress(data[at:]))
PY
# ttyS0 last: /dev/console, and so the shell, is the serial line.
"$kairo" -m 256 -nographic --deterministic --timeout 600 --expect-timeout 300 --stats \
    -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
    -append "console=tty0 console=ttyS0 vga=0x318 cryptomgr.notests" \
    --expect "KAIRO-GUEST-READY" --expect "# " \
    --send 'echo KAIRO-FB-$((6*7)) > /dev/tty0\n' --expect "# " \
    --send 'poweroff -f\n' -screendump "$png" < /dev/null
status=$?
[ $status -eq 0 ] || { echo "linux_fbcon: kairo exited with status $status"; exit 1; }
"$fb_text" "$vmlinux" "$png" > "$work/fbcon.txt" || exit 1
echo "linux_fbcon: the screen reads:"
cat "$work/fbcon.txt"
for want in "vesafb: framebuffer at 0xfd000000" "Run /init as init process" "KAIRO-FB-42"; do
    grep -qF "$want" "$work/fbcon.txt" || { echo "linux_fbcon: '$want' is not on the screen"; exit 1; }
done
echo "linux_fbcon: boot text and marker found on the framebuffer console"
