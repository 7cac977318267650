#!/bin/sh
# SPDX-License-Identifier: MIT
# The SSE test programs (tests/sseprog: static i386 binaries built with
# -msse2 -mfpmath=sse and with -msse3) must print byte-identical output on
# the host and in the Debian guest: boot 1 on -cpu pentium4 (SSE2 must be
# in /proc/cpuinfo; sseprog; glibc's dispatch must choose its SSE2 string
# functions), boot 2 on -cpu prescott (pni in /proc/cpuinfo; sse3prog).
# The programs reach the guest in a second initramfs archive appended to
# the image's (the kernel unpacks concatenated archives).
#   sseprog.sh KAIRO IMAGES_DIR SSEPROG SSE3PROG WORK_DIR
set -u
kairo=$1 images=$2 prog=$3 prog3=$4 work=$5
for f in "$prog" "$prog3"; do
    [ -x "$f" ] || { echo "sseprog: $f missing (needs gcc-multilib)"; exit 1; }
done
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "sseprog: $images/$f missing (run images/build.sh)"; exit 1; }
done
rm -rf "$work" && mkdir -p "$work/root/bin" || exit 1
cp "$prog" "$prog3" "$work/root/bin/" || exit 1
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$work/extra.cpio.gz" || exit 1
cat "$images/initrd.img" "$work/extra.cpio.gz" > "$work/initrd.img" || exit 1
sum2=$("$prog" | md5sum | cut -d' ' -f1)
sum3=$("$prog3" | md5sum | cut -d' ' -f1)
echo "sseprog: native md5 $sum2 ($("$prog" | wc -l) lines), sse3prog $sum3"
boot() {
    cpu=$1
    shift
    "$kairo" -cpu "$cpu" -m 256 -kernel "$images/vmlinuz" -initrd "$work/initrd.img" \
        -append "console=ttyS0 cryptomgr.notests" -nographic --deterministic --timeout 900 \
        --expect-timeout 400 --expect "KAIRO-GUEST-READY" --expect "# " "$@" \
        --expect "# " --send 'poweroff -f\n' < /dev/null
}
boot pentium4 \
    --send 'echo "F""=$(grep -c "^flags.* sse2" /proc/cpuinfo)"; /bin/sseprog --dispatch\n' \
    --expect "F=1" \
    --expect-re "dispatch memset -> __memset_sse2" --expect-re "dispatch strchr -> __strchr_sse2" \
    --expect "# " --send 'echo "S2""=$(/bin/sseprog | md5sum)"\n' --expect "S2=$sum2"
status=$?
[ $status -eq 0 ] || { echo "sseprog: pentium4 run failed (status $status)"; exit $status; }
boot prescott \
    --send 'echo "F""=$(grep -c "^flags.* pni" /proc/cpuinfo)"; echo "S3""=$(/bin/sse3prog | md5sum)"\n' \
    --expect "F=1" --expect "S3=$sum3"
status=$?
[ $status -eq 0 ] && echo "sseprog: the guest printed the host's output (sseprog $sum2, sse3prog $sum3) and chose SSE2 string functions"
[ $status -eq 0 ] || echo "sseprog: prescott run failed (status $status)"
exit $status
