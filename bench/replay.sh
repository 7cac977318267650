#!/bin/sh
# SPDX-License-Identifier: MIT
# Record/replay costs (docs/REPLAY.md) on the Debian kernel boot to its shell
# with a typed command and poweroff (the guest of tests/guest/linux_serial.sh),
# run with --deterministic so the three runs execute the same instructions:
#   plain    no log
#   record   -record (default checkpoints: 10^8 instructions)
#   replay   -replay of that log
# Prints user CPU seconds of each (the best of RUNS, default 2), the
# recording overhead in %, and the log's bytes per 1,000 instructions.
# The network-download figure comes from tests/replay/guest_replay.sh
# download (its log size over its instruction count).
#   bench/replay.sh [KAIRO [IMAGES_DIR [WORKDIR [RUNS]]]]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kairo=${1:-$here/build/kairo}
images=${2:-$here/build/images}
work=${3:-$(mktemp -d)}
runs=${4:-2}
mkdir -p "$work"

boot() {   # boot EXTRA...: user seconds on stdout
    /usr/bin/time -f "%U" -o "$work/time" "$kairo" -m 128 -nographic -vga none --deterministic \
        --timeout 600 --expect-timeout 400 -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
        -append "console=ttyS0 quiet cryptomgr.notests" "$@" < /dev/null > "$work/out" 2> "$work/err"
    cat "$work/time"
}

best() {   # best LABEL EXTRA...
    label=$1
    shift
    b=""
    i=0
    while [ $i -lt "$runs" ]; do
        t=$(boot "$@")
        b=$(python3 -c "import sys; a=[float(x) for x in sys.argv[1:] if x]; print(min(a))" $t $b)
        i=$((i + 1))
    done
    echo "$b"
}

typed="--expect KAIRO-GUEST-READY --expect # --send echo\\x20kairo-\$((6*7))\\n --expect kairo-42 --send poweroff\\x20-f\\n"
plain=$(best plain $typed)
rec=$(best record $typed -record "$work/boot.rpl" --state-hash)
insns=$(sed -n 's/.*state hash [0-9a-f]* icount \([0-9]*\).*/\1/p' "$work/err")
play=$(best replay -replay "$work/boot.rpl")
size=$(wc -c < "$work/boot.rpl")
python3 - "$plain" "$rec" "$play" "$size" "$insns" <<'PY'
import sys
plain, rec, play, size, insns = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print("replay bench: Debian boot + typed command, %d instructions" % insns)
print("  plain  %.2f s user" % plain)
print("  record %.2f s user (%+.1f %%)" % (rec, (rec / plain - 1) * 100))
print("  replay %.2f s user" % play)
print("  log %d bytes: %.4f bytes per 1,000 instructions" % (size, size * 1000.0 / insns))
PY
