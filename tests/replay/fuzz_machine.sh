#!/bin/sh
# SPDX-License-Identifier: MIT
# Seeded damage to a replay log behind valid framing, replayed by a whole
# machine for as long as asked (meant for the sanitizer build, as
# tests/snapshot/fuzz_load.sh is for snapshots): the events reach the
# machine's handlers (keys, mouse, frames to the NE2000, remote-slot
# replies and lines, host commands, credits, checkpoints). Each replay
# must end (status 0, or 3 at the instruction limit) or stop with one line
# and status 1; a crash, a hang or a sanitizer report fails.
#   fuzz_machine.sh KAIRO REPLAYLOG_PY FLOPPY SECONDS [FIRST_SEED]
set -u
kairo=$1 replaylog=$2 floppy=$3 secs=$4 seed=${5:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$floppy" "$tmp/fd.img" && chmod u+w "$tmp/fd.img" || exit 1
# A NIC for the frames and a remote COM2 for its replies (no server: the
# recording sees an offline slot, the replay opens nothing).
args="-m 32 -nographic -vga none -fda $tmp/fd.img -snapshot -netdev user,id=n0
      -device ne2k_pci,netdev=n0 -remote com2=udp:127.0.0.1:9,insecure-no-auth,timeout=50"
# shellcheck disable=SC2086
"$kairo" $args --max-insns 40000000 -record "$tmp/good.rpl,checkpoint=4000000" \
    < /dev/null > /dev/null 2> "$tmp/rec.err"
[ -s "$tmp/good.rpl" ] || { echo "fuzz_machine: cannot record"; cat "$tmp/rec.err"; exit 1; }
# The undamaged log first: the offline slot's all-ones replay too.
# shellcheck disable=SC2086
"$kairo" $args --max-insns 40000000 --state-hash -replay "$tmp/good.rpl" \
    < /dev/null > /dev/null 2> "$tmp/good.err"
grep -q "replay complete at icount 40000000" "$tmp/good.err" ||
    { echo "fuzz_machine: the undamaged log does not replay"; cat "$tmp/good.err"; exit 1; }
end=$(($(date +%s) + secs))
n=0 refused=0 ran=0 bad=0
while [ "$(date +%s)" -lt "$end" ]; do
    python3 "$replaylog" mangle "$tmp/good.rpl" "$tmp/m.rpl" "$seed" > /dev/null || exit 1
    # shellcheck disable=SC2086
    timeout 60 "$kairo" $args --max-insns 41000000 -replay "$tmp/m.rpl" \
        < /dev/null > /dev/null 2> "$tmp/m.err"
    status=$?
    lines=$(grep -vc "RDMSR\|WRMSR" "$tmp/m.err")
    if [ "$status" -ge 124 ] || grep -q "Sanitizer\|runtime error" "$tmp/m.err" ||
        { [ "$status" -eq 1 ] && [ "$lines" -ne 1 ]; } ||
        { [ "$status" -ne 0 ] && [ "$status" -ne 1 ] && [ "$status" -ne 3 ]; }; then
        echo "fuzz_machine: seed $seed: status $status"
        head -20 "$tmp/m.err"
        cp "$tmp/m.rpl" "${TMPDIR:-/tmp}/fuzz_machine-$seed.rpl"
        bad=$((bad + 1))
    elif [ "$status" -eq 1 ]; then refused=$((refused + 1)); else ran=$((ran + 1)); fi
    n=$((n + 1)) seed=$((seed + 1))
done
echo "fuzz_machine: $n mangled logs in $secs s: $refused stopped with one line, $ran replayed to the end, $bad failed"
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
