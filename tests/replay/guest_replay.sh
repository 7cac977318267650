#!/bin/sh
# SPDX-License-Identifier: MIT
# Record/replay of the Debian guest (docs/REPLAY.md).
#   guest_replay.sh KAIRO IMAGES WORKDIR serial     typed serial input (--send), pacing on:
#                                                    the replay (no --send) must print the
#                                                    same transcript and end with the same hash;
#                                                    an RTC byte flipped / the RTC event deleted
#                                                    is caught at once (checkpoint 1 / icount 0)
#   ... serial-smp2                                  the serial recording on two CPUs (-smp 2):
#                                                    same transcript and hash replayed
#   ... download                                     -netdev user: a 256 KiB HTTP download from
#                                                    the host, typed poweroff; replayed with no
#                                                    network (the server is gone by then)
#   ... altered-serial                               a typed byte flipped, a typed event deleted:
#                                                    caught by the final hash (label long)
set -u
kairo=$1 images=$2 work=$3 mode=$4
here=$(cd "$(dirname "$0")" && pwd)
log=$here/replaylog.py
[ -f "$images/vmlinuz" ] && [ -f "$images/initrd.img" ] || {
    echo "guest_replay: no $images/vmlinuz or initrd.img (images/build.sh)"; exit 1; }
mkdir -p "$work"
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "guest_replay: FAIL: $*"; exit 1; }

# run OUT ERR KAIRO-ARGS...: kairo with the guest's fixed arguments.
run() {
    out=$1 err=$2
    shift 2
    "$kairo" -m 128 -nographic -vga none --timeout 300 "$@" < /dev/null > "$out" 2> "$err"
}

hash_of() { grep -a "state hash" "$1" | tail -1 | sed 's/.*state hash \([0-9a-f]*\) icount \([0-9]*\).*/\1 \2/'; }

# compare RECORD-OUT RECORD-ERR REPLAY-OUT REPLAY-ERR: same transcript, same hash.
compare() {
    h1=$(hash_of "$2") h2=$(hash_of "$4")
    echo "guest_replay: recorded hash/icount '$h1', replayed '$h2'"
    [ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "final hash differs"
    grep -aq "kairo: replay complete" "$4" || fail "no 'replay complete'"
    cmp "$1" "$3" || fail "serial transcripts differ"
    echo "guest_replay: transcripts equal ($(wc -c < "$1") bytes)"
}

# expect_error REPLAY-LOG PATTERN KAIRO-ARGS...: one line on stderr matching
# it, status 1.
expect_error() {
    bad=$1 pattern=$2
    shift 2
    run "$work/bad.out" "$work/bad.err" "$@" -replay "$bad"
    status=$?
    lines=$(grep -vc "RDMSR\|WRMSR\|guest powered off" "$work/bad.err")
    echo "guest_replay: $(basename "$bad"): status $status: $(grep -v "RDMSR\|WRMSR\|guest powered off" "$work/bad.err")"
    [ $status -eq 1 ] || fail "status $status, not 1"
    [ "$lines" -eq 1 ] || fail "$lines lines on stderr"
    grep -q "$pattern" "$work/bad.err" || fail "message does not match '$pattern'"
}

serial() {
    set -- -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
        -append "console=ttyS0 quiet cryptomgr.notests"
    run "$work/rec.out" "$work/rec.err" "$@" --stats --state-hash -record "$work/serial.rpl" \
        --expect-timeout 240 \
        --expect "KAIRO-GUEST-READY" --expect "# " \
        --send 'echo kairo-$((6*7))-$(uname -m)\n' --expect "kairo-42-i686" \
        --send 'poweroff -f\n'
    status=$?
    grep -a "paced\|recorded\|state hash" "$work/rec.err"
    [ $status -eq 0 ] || fail "recording: status $status"
    grep -aq "kairo-42-i686" "$work/rec.out" || fail "recording: no command output"
    python3 "$log" stats "$work/serial.rpl"
    run "$work/play.out" "$work/play.err" "$@" -replay "$work/serial.rpl"
    [ $? -eq 0 ] || { cat "$work/play.err"; fail "replay: status not 0"; }
    compare "$work/rec.out" "$work/rec.err" "$work/play.out" "$work/play.err"
    # Alterations caught at once: the RTC start flipped (the firmware
    # copies the time into RAM before the first checkpoint), deleted.
    python3 "$log" flip "$work/serial.rpl" "$work/rtc-flip.rpl" rtc 0 0 || exit 1
    python3 "$log" delete "$work/serial.rpl" "$work/rtc-del.rpl" rtc 0 || exit 1
    expect_error "$work/rtc-flip.rpl" "replay diverged at icount 100000000: checkpoint hash differs" "$@"
    expect_error "$work/rtc-del.rpl" "replay diverged at icount 0: no RTC start in the log" "$@"
}

serial_smp2() {
    set -- -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
        -append "console=ttyS0 quiet cryptomgr.notests" -smp 2
    run "$work/rec2.out" "$work/rec2.err" "$@" --state-hash -record "$work/smp2.rpl" \
        --expect-timeout 240 --expect "KAIRO-GUEST-READY" --expect "# " \
        --send 'echo kairo-$((6*7))-$(nproc)\n' --expect "kairo-42-2" --send 'poweroff -f\n'
    [ $? -eq 0 ] || fail "recording: status not 0"
    run "$work/play2.out" "$work/play2.err" "$@" -replay "$work/smp2.rpl"
    [ $? -eq 0 ] || { cat "$work/play2.err"; fail "replay: status not 0"; }
    compare "$work/rec2.out" "$work/rec2.err" "$work/play2.out" "$work/play2.err"
}

altered_serial() {
    set -- -kernel "$images/vmlinuz" -initrd "$images/initrd.img" \
        -append "console=ttyS0 quiet cryptomgr.notests"
    # A fresh recording: the images fixture may have rebuilt the initramfs
    # since an older log (which replay would refuse as another machine).
    serial > "$work/serial-run.txt" || { cat "$work/serial-run.txt"; exit 1; }
    python3 "$log" flip "$work/serial.rpl" "$work/ser-flip.rpl" serial 0 3 || exit 1
    python3 "$log" delete "$work/serial.rpl" "$work/ser-del.rpl" serial 1 || exit 1
    expect_error "$work/ser-flip.rpl" "replay diverged at icount [0-9]*: final hash differs" "$@"
    expect_error "$work/ser-del.rpl" "replay diverged at icount [0-9]*: final hash differs" "$@"
}

download() {
    mkdir -p "$work/www" "$work/extra"
    head -c 262144 /dev/urandom > "$work/www/blob.bin"
    sum=$(md5sum "$work/www/blob.bin" | cut -d' ' -f1)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    (cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) > "$work/http.log" 2>&1 &
    server=$!
    pids="$pids $server"
    initrd="$work/initrd-net.img"
    cp "$here/../net/guest_net.sh" "$work/extra/net-test.sh"
    (cat "$images/initrd.img"; cd "$work/extra" && echo net-test.sh | cpio -o -H newc --quiet -R 0:0 | gzip) > "$initrd"
    sleep 1
    set -- -kernel "$images/vmlinuz" -initrd "$initrd" -append \
        "console=ttyS0 quiet kairo.run=/net-test.sh net.get=http://10.0.2.2:$port/blob.bin net.md5=$sum" \
        -netdev user,id=n0 -device ne2k_pci,netdev=n0
    run "$work/rec.out" "$work/rec.err" "$@" --stats --state-hash -record "$work/net.rpl" \
        -icount sleep=off --expect-timeout 240 \
        --expect "NET-DONE" --send 'poweroff -f\n'
    status=$?
    grep -a "NET-\|paced\|recorded\|state hash\|netdev" "$work/rec.out" "$work/rec.err"
    [ $status -eq 0 ] || fail "recording: status $status"
    grep -aq "NET-OK get 262144 bytes md5 $sum" "$work/rec.out" || fail "recording: no download"
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    python3 "$log" stats "$work/net.rpl"
    # No server, and the replay opens no network backend at all.
    run "$work/play.out" "$work/play.err" "$@" -replay "$work/net.rpl"
    [ $? -eq 0 ] || { cat "$work/play.err"; fail "replay: status not 0"; }
    compare "$work/rec.out" "$work/rec.err" "$work/play.out" "$work/play.err"
}

case "$mode" in
serial) serial ;;
serial-smp2) serial_smp2 ;;
altered-serial) altered_serial ;;
download) download ;;
*) echo "guest_replay: unknown mode $mode"; exit 2 ;;
esac
status=$?
[ $status -eq 0 ] && echo "guest_replay: $mode PASS"
exit $status
