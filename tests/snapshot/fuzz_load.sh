#!/bin/sh
# SPDX-License-Identifier: MIT
# Seeded corruption of a snapshot's state stream behind a valid checksum,
# for as long as asked (meant for the sanitizer build): each mangled file is
# loaded and run for a million instructions; it must be refused with one
# line and status 1, or load and run; a crash or a sanitizer report fails.
#   fuzz_load.sh KAIRO SNAPFILE_PY FLOPPY SECONDS [FIRST_SEED]
set -u
kairo=$1 snapfile=$2 image=$3 secs=$4 seed=${5:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$image" "$tmp/fd.img" && chmod u+w "$tmp/fd.img" || exit 1
"$kairo" -display none -fda "$tmp/fd.img" -snapshot --deterministic --max-insns 30000000 \
    --save-at 30000000:"$tmp/good.snap" >/dev/null 2>&1
[ -f "$tmp/good.snap" ] || { echo "fuzz_load: cannot save"; exit 1; }
end=$(($(date +%s) + secs))
n=0 refused=0 ran=0 bad=0
while [ "$(date +%s)" -lt "$end" ]; do
    python3 "$snapfile" mangle "$tmp/good.snap" "$tmp/m.snap" "$seed"
    "$kairo" -display none -fda "$tmp/fd.img" -snapshot --deterministic --max-insns 31000000 \
        -loadvm "$tmp/m.snap" >/dev/null 2>"$tmp/m.err"
    status=$?
    if [ "$status" -ge 128 ] || grep -q "Sanitizer\|runtime error" "$tmp/m.err" ||
        { [ "$status" -eq 1 ] && [ "$(wc -l <"$tmp/m.err")" -ne 1 ]; }; then
        echo "fuzz_load: seed $seed: status $status"; head -20 "$tmp/m.err"; bad=$((bad + 1))
    elif [ "$status" -eq 1 ]; then refused=$((refused + 1)); else ran=$((ran + 1)); fi
    n=$((n + 1)) seed=$((seed + 1))
done
echo "fuzz_load: $n mangled snapshots in $secs s: $refused refused in one line, $ran loaded and ran, $bad failed"
[ "$bad" -eq 0 ]
