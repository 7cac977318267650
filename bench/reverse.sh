#!/bin/sh
# SPDX-License-Identifier: MIT
# Reverse debugging costs (docs/REVERSE.md) on the Debian kernel boot,
# --deterministic so every run executes the same instructions:
#   1. the boot to INSNS instructions (default 3*10^9) plain and with
#      --reverse (checkpoints every 5*10^7): user CPU seconds, best of RUNS
#      (default 2), the overhead in %, and the history's memory at the end
#      (--stats prints `info history`);
#   2. latency: gdb breaks at a kernel address (as in tests/reverse: where
#      the boot is at 2.6*10^9 instructions; its first hit comes earlier),
#      then, for positions DIST instructions
#      before it (10^3 .. 10^9), `monitor goto` there and times one
#      reverse-stepi (wall seconds, as gdb sees them); the last position is
#      a periodic checkpoint's count, the worst case (the step back runs the
#      whole interval before it again).
#   bench/reverse.sh [KAIRO [IMAGES_DIR [WORKDIR [RUNS [INSNS]]]]]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kairo=${1:-$here/build/kairo}
images=${2:-$here/build/images}
work=${3:-$(mktemp -d)}
runs=${4:-2}
insns=${5:-3000000000}
mkdir -p "$work"

guest() {
    "$kairo" -m 128 -nographic -vga none --deterministic --timeout 600 \
        -kernel "$images/vmlinuz" -initrd "$images/initrd.img" -append "console=ttyS0 nokaslr" "$@"
}

boot() {   # boot EXTRA...: user seconds on stdout
    /usr/bin/time -f "%U %M" -o "$work/time" "$kairo" -m 128 -nographic -vga none --deterministic \
        -kernel "$images/vmlinuz" -initrd "$images/initrd.img" -append "console=ttyS0 nokaslr" \
        --max-insns "$insns" --stats "$@" \
        < /dev/null > "$work/out" 2> "$work/err"
    tail -1 "$work/time"   # (after "Command exited with non-zero status 3")
}

best() {   # best EXTRA...: "user-seconds max-rss-KB" of the fastest run
    b=""
    i=0
    while [ $i -lt "$runs" ]; do
        t=$(boot "$@")
        b=$(python3 -c "import sys; a=sys.argv[1:]; p=[(float(a[i]),a[i+1]) for i in range(0,len(a),2)]; m=min(p); print(m[0], m[1])" $t $b)
        i=$((i + 1))
    done
    echo "$b"
}

plain=$(best)
rev=$(best --reverse)
set -- $plain
p_s=$1 p_kb=$2
set -- $rev
r_s=$1 r_kb=$2
echo "boot to $insns instructions (user s, best of $runs; max RSS):"
echo "  plain      $p_s s  $((p_kb / 1024)) MiB"
echo "  --reverse  $r_s s  $((r_kb / 1024)) MiB  ($(python3 -c "print('%+.1f %%' % ((float('$r_s') / float('$p_s') - 1) * 100))"))"
grep -a "^history\|^memory\|^time" "$work/err" | sed 's/^/  /'

# Latency of one reverse-stepi at distances before the breakpoint.
guest --max-insns 2600000000 < /dev/null > /dev/null 2> "$work/probe.err"
BREAK=0x$(sed -n 's/.*instruction limit .* reached at [0-9A-F]*:\([0-9A-F]*\).*/\1/p' "$work/probe.err")
rm -f "$work/gdb.err"
guest --reverse -gdb tcp:127.0.0.1:0 -S < /dev/null > "$work/serial" 2> "$work/gdb.err" &
pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*tcp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/gdb.err")
    [ -n "$port" ] && break
    sleep 0.05
done
cat > "$work/bench.gdb" <<GDB
set pagination off
set confirm off
set architecture i386
# monitor goto may run for seconds: gdb must wait for its answer.
set remotetimeout 600
target remote 127.0.0.1:$port
break *$BREAK
continue
delete
python
import re, time
info = gdb.execute("monitor info history", to_string=True)
head = int(re.search(r"position: icount (\d+)", info).group(1))
every = 50000000
worst = (head - 2 * 10**8) // every * every   # a periodic checkpoint's count
for label, at in [("1e3", head - 10**3), ("1e6", head - 10**6), ("1e7", head - 10**7),
                  ("1e8", head - 10**8), ("5e8", head - 5 * 10**8), ("1e9", head - 10**9),
                  ("at a checkpoint", worst)]:
    gdb.execute("monitor goto %d" % at, to_string=True)
    gdb.execute("maintenance flush register-cache", to_string=True)
    t = time.time()
    gdb.execute("reverse-stepi", to_string=True)
    dt = time.time() - t
    print("LAT %-24s icount %d: reverse-stepi %.3f s" % (label, at, dt))
print(gdb.execute("monitor info history", to_string=True))
end
kill
GDB
timeout 600 gdb -nx -batch -x "$work/bench.gdb" > "$work/gdb.out" 2>&1
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "reverse-stepi latency (distance before the breakpoint at $BREAK):"
grep "^LAT" "$work/gdb.out" | sed 's/^LAT /  /'
grep -a "^history\|^memory\|^time" "$work/gdb.out" | sed 's/^/  /'
