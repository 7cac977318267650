#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The initramfs of bench/speed.py's guest workloads: the busybox initramfs of
# images/build.sh with a second cpio appended (the kernel unpacks both), which
# adds
#   /bench/run.sh     the workload, started by the init's kairo.run= hook: it
#                     prints "KAIRO-BENCH <phase>" on ttyS0 after each phase
#                     (the host times the phases from these lines), then
#                     powers off
#   /bench/prog.c     a generated C program (no #include) for the compile phase
#   /usr/bin/tcc      Debian's tcc for i386, with the libc it links against,
#                     both unpacked from Debian's .debs (nothing is compiled)
# Usage: bench/workload_image.sh [IMAGES]   (default build/images; the result
#        is IMAGES/bench/initrd.img, rebuilt only when this script changed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
images=$(cd "${1:-$here/../build/images}" && pwd)
out="$images/bench"
stamp="$out/initrd.img.sha"
[ -f "$images/initrd.img" ] || "$here/../images/build.sh" "$images" initrd
# Rebuilt when this script or the base initramfs changed.
want=$( (cat "$0"; sha256sum < "$images/initrd.img") | sha256sum | cut -d' ' -f1)
if [ -f "$out/initrd.img" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
mkdir -p "$out/pkg"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $sudo dpkg --add-architecture i386
    $sudo apt-get update -qq || true
fi
for pkg in tcc libc6 libc6-dev; do
    ls "$out/pkg/${pkg}"_*_i386.deb >/dev/null 2>&1 && continue
    (cd "$out/pkg" && apt-get download -q "$pkg:i386" >/dev/null 2>&1) ||
        { echo "workload_image: apt-get download $pkg:i386 failed" >&2; exit 1; }
done
root="$work/root"
mkdir -p "$root"
for deb in "$out"/pkg/*_i386.deb; do dpkg-deb -x "$deb" "$work/unpacked"; done
u="$work/unpacked"
# tcc and what it runs and links with: the dynamic loader, libc and the
# libraries tcc needs, the start files and libc's linker script.
mkdir -p "$root/usr/bin" "$root/lib/i386-linux-gnu" "$root/usr/lib/i386-linux-gnu" "$root/bench"
cp "$u/usr/bin/tcc" "$root/usr/bin/tcc"
cp -a "$u/usr/lib/i386-linux-gnu/tcc" "$root/usr/lib/i386-linux-gnu/"
for lib in ld-linux.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2; do
    src=$(find "$u" -name "$lib" | head -1)
    [ -n "$src" ] || { echo "workload_image: $lib not in libc6:i386" >&2; exit 1; }
    cp -L "$src" "$root/lib/i386-linux-gnu/$lib"
done
ln -sf i386-linux-gnu/ld-linux.so.2 "$root/lib/ld-linux.so.2"
for f in crt1.o crti.o crtn.o libc.so libc_nonshared.a; do
    cp "$u/usr/lib/i386-linux-gnu/$f" "$root/usr/lib/i386-linux-gnu/$f"
done
# libc.so is a linker script naming these paths.
mkdir -p "$root/usr/lib/i386-linux-gnu"
ln -sf /lib/i386-linux-gnu/libc.so.6 "$root/usr/lib/i386-linux-gnu/libc.so.6"
ln -sf /lib/i386-linux-gnu/ld-linux.so.2 "$root/usr/lib/i386-linux-gnu/ld-linux.so.2"

# The program to compile: 1500 generated functions (structs, loops, switches,
# calls between them) and a main that prints one checksum, so a wrong
# compile shows as a wrong number.
awk 'BEGIN {
    n = 1500
    print "int printf(const char *, ...);"
    for (i = 0; i < n; i++) {
        printf "struct s%d { int a, b; unsigned c[4]; short d; };\n", i
        printf "static unsigned f%d(unsigned x, int n) {\n", i
        printf "    struct s%d s = { %d, %d, { 1, 2, 3, 4 }, %d };\n", i, i, i * 7 + 3, i % 13
        printf "    int k;\n    for (k = 0; k < n; k++) {\n"
        printf "        s.c[k & 3] += (x ^ (unsigned)s.a) * %du + (unsigned)(s.b >> (k & 7));\n", i * 2 + 1
        printf "        switch ((x + k) %% 4) {\n"
        printf "        case 0: x = x * 1103515245u + 12345u; break;\n"
        printf "        case 1: x ^= x << 13; x ^= x >> 17; break;\n"
        printf "        case 2: x += s.c[(k + 1) & 3] + (unsigned)s.d; break;\n"
        printf "        default: x = (x >> 3) | (x << 29); s.a++;\n        }\n    }\n"
        if (i > 0) printf "    return x + s.c[0] + s.c[3] + (n > 1 ? f%d(x, n - 1) : 0u);\n}\n", i - 1
        else print "    return x + s.c[0] + s.c[3];\n}"
    }
    print "int main(void) {\n    unsigned sum = 0;\n    int r;"
    printf "    for (r = 0; r < 4; r++)\n        sum += f%d(sum + (unsigned)r, 3);\n", n - 1
    print "    printf(\"prog %08x\\n\", sum);\n    return 0;\n}"
}' > "$root/bench/prog.c"

cat > "$root/bench/run.sh" <<'RUN'
#!/bin/sh
# bench/speed.py's guest workload; each phase ends with a marker line.
bb=/bin/busybox
mark() { echo "KAIRO-BENCH $1"; }
mark start
# 16 MiB of text: a 64 KiB block of numbers 256 times (further apart than
# gzip's 32 KiB window, so it compresses as text does).
$bb seq 1 20000 | $bb head -c 65536 > /tmp/block
i=0
while [ $i -lt 256 ]; do $bb cat /tmp/block; i=$((i + 1)); done > /tmp/data
mark gen
i=0
while [ $i -lt 50000 ]; do i=$((i + 1)); done
mark loop
$bb md5sum /tmp/data
mark md5sum
$bb sha256sum /tmp/data
mark sha256sum
$bb gzip -c /tmp/data | $bb md5sum
mark gzip
cd /tmp && /usr/bin/tcc -o prog /bench/prog.c && ./prog
mark compile
mark end
$bb poweroff -f
RUN
chmod +x "$root/bench/run.sh"
# Reproducible bytes, as images/build.sh makes the base initrd.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 --reproducible) |
    gzip -1 -n > "$work/extra.cpio.gz"
cat "$images/initrd.img" "$work/extra.cpio.gz" > "$out/initrd.img"
echo "$want" > "$stamp"
echo "workload_image: $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"
