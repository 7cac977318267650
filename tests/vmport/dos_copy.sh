#!/bin/sh
# SPDX-License-Identifier: MIT
# HOSTCP.COM (images/hosttools/hostcp.asm, nasm) in FreeDOS: a real-mode
# program copies a host file from a -vmport share into the DOS floppy over
# the backdoor (HGFS, high-bandwidth REP OUTSB/INSB), then ends the run
# through isa-debug-exit; the file is read back out of the image (mtools).
# The run is recorded (-record) and replayed from a fresh floppy with the
# host file gone: the host's answers come from the log (RK_HOSTCALL), so the
# replayed guest writes the same file.
#   dos_copy.sh KAIRO FREEDOS_IMG HOSTCP_ASM
set -u
kairo=$1 image=$2 asm=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in nasm mcopy mtype; do
    command -v $t >/dev/null || { echo "dos_copy: $t missing (setup.sh installs nasm, mtools)"; exit 1; }
done
nasm -f bin -o "$tmp/hostcp.com" "$asm" || exit 1
cp "$image" "$tmp/fd.img" && chmod u+w "$tmp/fd.img"
mkdir "$tmp/share"
# 20000 bytes: five HGFS reads of 4 KiB.
python3 -c "import random,sys; sys.stdout.buffer.write(random.Random(7).randbytes(20000))" \
    > "$tmp/share/DATA.BIN"
printf '@echo off\r\nHOSTCP SHARE/DATA.BIN A:\\DATA.BIN\r\nHOSTCP /X\r\n' > "$tmp/autoexec.bat"
mcopy -o -i "$tmp/fd.img" "$tmp/hostcp.com" ::HOSTCP.COM &&
    mcopy -o -i "$tmp/fd.img" "$tmp/autoexec.bat" ::AUTOEXEC.BAT || exit 1
cp "$tmp/fd.img" "$tmp/fd2.img"
# No VGA: DOS's console is then COM1 (stdout here), and the run replays.
"$kairo" -nographic -vga none -fda "$tmp/fd.img" --timeout 120 \
    -device vmport -vmport "share=SHARE:$tmp/share" -device isa-debug-exit \
    -record "$tmp/run.rpl" -d hostcall -D "$tmp/hostcall.log" \
    < /dev/null > "$tmp/screen.txt" 2> "$tmp/stderr.txt"
status=$?
grep -a "HOSTCP" "$tmp/screen.txt"
echo "dos_copy: kairo exited with $status (1: HOSTCP /X)"
mtype -i "$tmp/fd.img" ::DATA.BIN > "$tmp/back.bin" 2>/dev/null
if [ "$status" -eq 1 ] && cmp "$tmp/share/DATA.BIN" "$tmp/back.bin"; then
    echo "dos_copy: the DOS disk holds the host file ($(stat -c %s "$tmp/back.bin") bytes," \
         "$(grep -c 'hgfs read' "$tmp/hostcall.log") HGFS reads)"
    mv "$tmp/share/DATA.BIN" "$tmp/orig.bin"
    "$kairo" -nographic -vga none -fda "$tmp/fd2.img" --timeout 120 \
        -device vmport -vmport "share=SHARE:$tmp/share" -device isa-debug-exit \
        -replay "$tmp/run.rpl" < /dev/null > "$tmp/replay.txt" 2>&1
    rstatus=$?
    mtype -i "$tmp/fd2.img" ::DATA.BIN > "$tmp/back2.bin" 2>/dev/null
    grep -a "replay complete" "$tmp/replay.txt"
    if [ "$rstatus" -eq 1 ] && cmp "$tmp/orig.bin" "$tmp/back2.bin" &&
       grep -aq "replay complete" "$tmp/replay.txt"; then
        echo "dos_copy: replayed without the host file: the same copy (the log's answers)"
        exit 0
    fi
    echo "dos_copy: the replay (status $rstatus) did not reproduce the copy"
    cat "$tmp/replay.txt"
    exit 1
fi
echo "dos_copy: the copy is missing or differs"
cat "$tmp/stderr.txt"
tail -5 "$tmp/hostcall.log"
exit 1
