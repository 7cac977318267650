#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad -record/-replay arguments and damaged logs: one line on stderr and
# status 1, never a crash. The log is a short SeaBIOS run (no images).
#   bad_logs.sh KAIRO WORKDIR
set -u
kairo=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
fails=0
base="-m 64 -nographic -vga none -net none"

# bad NAME PATTERN ARGS...: status 1, one line, matching PATTERN
bad() {
    name=$1 pattern=$2
    shift 2
    "$kairo" $base "$@" < /dev/null > /dev/null 2> "$work/err"
    status=$?
    lines=$(wc -l < "$work/err")
    if [ $status -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "$pattern" "$work/err"; then
        echo "bad_logs: ok   $name: $(cat "$work/err")"
    else
        echo "bad_logs: FAIL $name: status $status, $lines lines:"; cat "$work/err"
        fails=$((fails + 1))
    fi
}

log=$work/bios.rpl
"$kairo" $base --max-insns 30000000 -record "$log,checkpoint=5000000" --state-hash \
    < /dev/null > /dev/null 2> "$work/rec.err"
[ $? -eq 3 ] || { echo "bad_logs: the recording failed"; cat "$work/rec.err"; exit 1; }
"$kairo" $base -replay "$log" < /dev/null > /dev/null 2> "$work/play.err" ||
    { echo "bad_logs: the good log does not replay"; cat "$work/play.err"; exit 1; }
grep -q "replay complete at icount 30000000" "$work/play.err" || { cat "$work/play.err"; exit 1; }
python3 "$here/replaylog.py" stats "$log" | tail -3

size=$(wc -c < "$log")
bad missing "cannot open" -replay "$work/none.rpl"
bad not-a-log "is not a kairo replay log" -replay /etc/hostname
bad both "cannot be used together" -record "$work/x.rpl" -replay "$log"
bad checkpoint-0 "bad checkpoint interval" -record "$work/x.rpl,checkpoint=0"
bad property "bad record/replay property" -record "$work/x.rpl,speed=2"
bad unwritable "cannot create" -record /nonexistent/dir/x.rpl
bad other-ram "recorded on another machine: log 'ram_mb=64', this machine 'ram_mb=32'" \
    -replay "$log" -m 32
for cut in 4 12 30 $((size / 2)) $((size - 5)) $((size - 1)); do
    head -c "$cut" "$log" > "$work/cut.rpl"
    bad "truncated-$cut" "not a kairo replay log\|truncated\|corrupt" -replay "$work/cut.rpl"
done
python3 - "$log" "$work/version.rpl" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[8] = 2
open(sys.argv[2], "wb").write(d)
PY
bad version "format version 2" -replay "$work/version.rpl"
python3 "$here/replaylog.py" flip "$log" "$work/flip.rpl" rtc 0 1 > /dev/null
bad rtc-flipped "replay diverged at icount 5000000: checkpoint hash differs" -replay "$work/flip.rpl"
python3 "$here/replaylog.py" delete "$log" "$work/del.rpl" checkpoint 2 > /dev/null
python3 "$here/replaylog.py" flip "$work/del.rpl" "$work/del2.rpl" checkpoint 2 0 > /dev/null
bad checkpoint-flipped "replay diverged at icount 20000000: checkpoint hash differs" \
    -replay "$work/del2.rpl"
[ $fails -eq 0 ] && echo "bad_logs: PASS"
exit $fails
