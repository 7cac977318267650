#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A remote 16550 survives an outage: remote_push sends BYTES through it over
# the impaired veth (nftables 10% loss + 5% duplication both ways, 5%
# client-side reordering) while the link is cut for a while, or while
# kairo-portd is killed with SIGKILL and restarted from its state file
# (twice). The bytes in the UART's file must be exactly the bytes sent, the
# client must never have gone offline, and the server's executed-access
# count (restored across restarts) must equal the client's issued count.
#
# usage: outage.sh KAIRO_PORTD REMOTE_PUSH MODE [BYTES [BOUND_MS]]
#   MODE: cut:SECONDS or kill9; BOUND_MS: the client's outage bound
#   (timeout=, default 30000: a cut longer than that needs a larger one)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "outage: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
PORTD=$1 PUSH=$2 MODE=$3 BYTES=${4:-1048576} BOUND=${5:-30000}
scratch_work
make_pair
head -c 32 /dev/urandom > "$work/key"; chmod 600 "$work/key"
cat > "$work/portd.conf" <<EOF
key $work/key
state $work/portd.state
listen eth vs
client $CLIENT_MAC
slot com2 uart file:$work/com2.out
ports 0x2F8-0x2FF
irq 3
EOF
start_portd "$PORTD" "$work/portd.conf" "$work/portd.err" 1
# The push runs in the background; the fault comes while it is under way.
start=$(date +%s.%N)
"$PUSH" --spec "com2=eth:vc,peer=$SERVER_MAC,key=$work/key,reorder=5,seed=4,timeout=$BOUND" \
    --bytes "$BYTES" >"$work/push.out" 2>"$work/push.err" &
push_pid=$!
pids+=($push_pid)
sleep 2
case $MODE in
cut:*)
    secs=${MODE#cut:}
    echo "outage: cutting the link for $secs s at $(stat -c %s "$work/com2.out") bytes"
    ip link set vc down
    sleep "$secs"
    ip link set vc up
    ;;
kill9)
    for round in 1 2; do
        echo "outage: kill -9 of kairo-portd at $(stat -c %s "$work/com2.out") bytes"
        kill -KILL "$portd_pid"
        wait "$portd_pid" 2>/dev/null || true
        sleep 1
        restart_portd "$PORTD" "$work/portd.conf" "$work/portd.err"
        sleep 2
    done
    ;;
*) echo "outage: unknown mode $MODE"; exit 1 ;;
esac
set +e
wait $push_pid
push_status=$?
set -e
end=$(date +%s.%N)
kill -TERM "$portd_pid"
wait "$portd_pid" || true
portd_pid=""
cat "$work/push.err"
cat "$work/portd.err"
sent=$(awk '/^sha256/ {print $2}' "$work/push.out")
got=$(sha256sum "$work/com2.out" | awk '{print $1}')
size=$(stat -c %s "$work/com2.out")
issued=$(grep -o "[0-9]* port accesses issued" "$work/push.err" | awk '{print $1}')
executed=$(grep -o "slot com2: [0-9]* port accesses executed" "$work/portd.err" | tail -1 | awk '{print $3}')
printf 'outage %s: %s bytes in %.1f s; %s bytes arrived; issued %s, executed %s\n' "$MODE" \
    "$BYTES" "$(awk "BEGIN {print $end - $start}")" "$size" "$issued" "$executed"
fail=0
check() { if ! eval "$2"; then echo "outage: FAIL: $1"; fail=1; fi; }
check "push finished without going offline" '[ $push_status = 0 ]'
check "byte-exact" '[ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$size" = "$BYTES" ]'
check "executed == issued" '[ -n "$issued" ] && [ "$issued" = "$executed" ]'
exit $fail
