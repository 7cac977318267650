#!/bin/sh
# SPDX-License-Identifier: MIT
# Snapshots kairo must refuse with one line on stderr and exit status 1
# (never a crash): truncated at many lengths, bit-flipped, another format
# version, a component from a newer kairo, another RAM size, another set of
# devices, a changed disk image (loadable with force=on), not a snapshot.
#   bad_files.sh KAIRO SNAPFILE_PY FLOPPY_IMAGE
set -u
kairo=$1 snapfile=$2 image=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
cp "$image" "$tmp/fd.img" && chmod u+w "$tmp/fd.img" || exit 1
run() {   # run NAME [OPTIONS...]: a short run on the writable copy
    name=$1
    shift
    "$kairo" -display none -fda "$tmp/fd.img" --deterministic "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
}
# refuse NAME PATTERN [OPTIONS...]: status 1, exactly one stderr line matching PATTERN
refuse() {
    name=$1 pattern=$2
    shift 2
    run "$name" --max-insns 1000000 "$@"
    status=$? lines=$(wc -l <"$tmp/$name.err")
    if [ "$status" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "$pattern" "$tmp/$name.err"; then
        echo "ok   $name: $(cat "$tmp/$name.err")"
    else
        echo "FAIL $name: status $status, $lines stderr lines (want 1 matching '$pattern'):"
        cat "$tmp/$name.err"
        fails=$((fails + 1))
    fi
}
run save --max-insns 30000000 --save-at 30000000:"$tmp/good.snap" || [ $? -eq 3 ] || {
    echo "cannot save"; cat "$tmp/save.err"; exit 1; }
size=$(stat -c %s "$tmp/good.snap")
echo "good snapshot: $size bytes"
run good --max-insns 31000000 -loadvm "$tmp/good.snap"
[ $? -eq 3 ] || { echo "FAIL: the good snapshot does not load"; cat "$tmp/good.err"; exit 1; }

for n in 0 1 8 11 12 16 40 100 1000 $((size / 2)) $((size - 5)) $((size - 1)); do
    head -c "$n" "$tmp/good.snap" >"$tmp/t$n.snap"
    refuse "truncated-$n" "snapshot" -loadvm "$tmp/t$n.snap"
done
for off in 20 200 $((size / 3)) $((size - 2)); do
    cp "$tmp/good.snap" "$tmp/f$off.snap"
    printf '\377' | dd of="$tmp/f$off.snap" bs=1 seek="$off" conv=notrunc status=none
    refuse "bitflip-$off" "corrupt\|damaged" -loadvm "$tmp/f$off.snap"
done
python3 "$snapfile" patch-version "$tmp/good.snap" "$tmp/v2.snap" 2
refuse format-version "format version 2" -loadvm "$tmp/v2.snap"
python3 "$snapfile" patch-component "$tmp/good.snap" "$tmp/cpu9.snap" cpu 9
refuse component-version "'cpu' was saved as version 9" -loadvm "$tmp/cpu9.snap"
refuse ram-size "RAM size 128 MiB, this machine 64 MiB" -m 64 -loadvm "$tmp/good.snap"
refuse devices "component 'vga'" -vga none -loadvm "$tmp/good.snap"
refuse not-a-snapshot "not a kairo snapshot" -loadvm "$image"
refuse missing-file "cannot open" -loadvm "$tmp/none.snap"
refuse bad-option "force=on|off" -loadvm "$tmp/good.snap,force=maybe"
# The floppy changes after the save: refused, unless forced.
printf 'X' | dd of="$tmp/fd.img" bs=1 seek=20000 conv=notrunc status=none
refuse changed-image "fda.*changed since the snapshot" -loadvm "$tmp/good.snap"
run forced --max-insns 31000000 -loadvm "$tmp/good.snap,force=on"
if [ $? -eq 3 ]; then echo "ok   changed-image with force=on loads"; else
    echo "FAIL changed-image with force=on:"; cat "$tmp/forced.err"; fails=$((fails + 1)); fi
# Seeded corruption behind a valid checksum: refused (status 1, one line)
# or loaded and run on; never a crash. SNAP_FUZZ_ROUNDS for longer runs.
rounds=${SNAP_FUZZ_ROUNDS:-25}
crashed=0 refused=0 ran=0
i=0
while [ "$i" -lt "$rounds" ]; do
    python3 "$snapfile" mangle "$tmp/good.snap" "$tmp/m.snap" "$i"
    "$kairo" -display none -fda "$tmp/fd.img" --deterministic --max-insns 31000000 \
        -loadvm "$tmp/m.snap,force=on" >/dev/null 2>"$tmp/m.err"
    status=$?
    if [ "$status" -ge 128 ] || { [ "$status" -eq 1 ] && [ "$(wc -l <"$tmp/m.err")" -ne 1 ]; }; then
        echo "FAIL mangle seed $i: status $status"; cat "$tmp/m.err"; crashed=$((crashed + 1))
    elif [ "$status" -eq 1 ]; then refused=$((refused + 1)); else ran=$((ran + 1)); fi
    i=$((i + 1))
done
echo "mangled snapshots: $rounds rounds, $refused refused in one line, $ran loaded and ran, $crashed crashed"
fails=$((fails + crashed))
[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all bad snapshots refused"
