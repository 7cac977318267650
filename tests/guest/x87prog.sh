#!/bin/sh
# SPDX-License-Identifier: MIT
# The x87/MMX test program (tests/x87prog, a static i386 binary using libm
# and inline x87/MMX assembly that prints its results in hex) must print
# byte-identical output natively on the host and inside the Debian guest on
# kairo: the MD5 of the guest's output must equal the host's.
#   x87prog.sh KAIRO IMAGES_DIR X87PROG
set -u
kairo=$1 images=$2 prog=$3
[ -x "$prog" ] || { echo "x87prog: $prog missing (needs gcc-multilib)"; exit 1; }
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "x87prog: $images/$f missing (run images/build.sh)"; exit 1; }
done
native=$("$prog" | md5sum | cut -d' ' -f1)
lines=$("$prog" | wc -l)
echo "x87prog: native output $lines lines, md5 $native"
"$kairo" -m 256 -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
    -append "console=ttyS0 cryptomgr.notests" -nographic --deterministic --timeout 900 \
    --expect-timeout 600 --stats \
    --expect "KAIRO-GUEST-READY" --expect "# " \
    --send 'test -x /bin/x87prog && echo "X87""=$(/bin/x87prog | md5sum)" || echo NO-X87PROG\n' \
    --expect "X87=$native" --expect "# " --send 'poweroff -f\n' < /dev/null
status=$?
[ $status -eq 0 ] && echo "x87prog: the guest printed the same $lines lines (md5 $native)"
[ $status -eq 0 ] || echo "x87prog: kairo exited with status $status (guest output differs or did not come)"
exit $status
