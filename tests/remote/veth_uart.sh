#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two network namespaces joined by a veth pair (made without privileges by
# `unshare -Urn`): kairo-portd serves a 16550 (com2) in one, a client in
# the other pushes BYTES through it as raw 802.3 frames while nftables
# egress rules drop 10% and duplicate 5% of the frames in both directions
# and the client's fault layer reorders 5%. The bytes the UART wrote to
# its file must have the checksum of the bytes sent. Then the refusals: a
# wrong key, a MAC not on the allowlist and a port outside it are refused
# and counted, and nothing of theirs reaches the UART.
#
# usage: veth_uart.sh KAIRO_PORTD REMOTE_PUSH [BYTES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    if ! unshare -Urn true 2>/dev/null; then
        echo "veth_uart: unshare -Urn is not available here: SKIP"
        exit 77
    fi
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"

PORTD=$1
PUSH=$2
BYTES=${3:-1048576}
scratch_work

make_pair

head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
head -c 32 /dev/urandom > "$work/wrong.key"
chmod 600 "$work/wrong.key"
cat > "$work/portd.conf" <<EOF
key $work/key
listen eth vs
client $CLIENT_MAC
slot com2 uart file:$work/com2.out
ports 0x2F8-0x2FF
irq 3
EOF

start_portd "$PORTD" "$work/portd.conf" "$work/portd.err" 1

spec="com2=eth:vc,peer=$SERVER_MAC,key=$work/key,reorder=5,seed=3"
start=$(date +%s.%N)
set +e
"$PUSH" --spec "$spec" --bytes "$BYTES" >"$work/push.out" 2>"$work/push.err"
push_status=$?
set -e
end=$(date +%s.%N)
sent=$(awk '/^sha256/ {print $2}' "$work/push.out")
cat "$work/push.err"

# Refusals, each trying to write to the UART.
set +e
"$PUSH" --spec "com2=eth:vc,peer=$SERVER_MAC,key=$work/wrong.key,timeout=300" --bytes 64 \
    >/dev/null 2>"$work/wrong.err"
wrong_status=$?
"$PUSH" --spec "com2=eth:vc,peer=$SERVER_MAC,key=$work/key" --probe 0x3F8 --bytes 0 \
    >"$work/probe.out" 2>"$work/probe.err"
ip link set vc down
ip link set vc address 02:00:00:00:00:09
ip link set vc up
"$PUSH" --spec "com2=eth:vc,peer=$SERVER_MAC,key=$work/key,timeout=300" --bytes 64 \
    >/dev/null 2>"$work/stranger.err"
stranger_status=$?
set -e

kill -TERM "$portd_pid"
wait "$portd_pid" || true
portd_pid=""
cat "$work/portd.err"
got=$(sha256sum "$work/com2.out" | awk '{print $1}')
size=$(stat -c %s "$work/com2.out")
printf 'veth_uart: %s bytes in %.2f s; sent %s, received %s (%s bytes)\n' "$BYTES" \
    "$(awk "BEGIN {print $end - $start}")" "$sent" "$got" "$size"

fail=0
check() { if ! eval "$2"; then echo "veth_uart: FAIL: $1"; fail=1; fi; }
drop() { portd_drop "$1" "$work/portd.err"; }
check "push finished" '[ $push_status = 0 ]'
check "checksum" '[ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$size" = "$BYTES" ]'
check "duplicates were answered from the reply cache" \
    '[ "$(grep -o "duplicates answered [0-9]*" "$work/portd.err" | awk "{print \$3}")" -gt 0 ]'
check "wrong key: no session" '[ $wrong_status = 2 ]'
check "wrong key: counted" '[ "$(drop mac)" -gt 0 ]'
check "stranger MAC: no session" '[ $stranger_status = 2 ]'
check "stranger MAC: counted" '[ "$(drop peer)" -gt 0 ]'
check "port outside the allowlist: refused" 'grep -q "probe 0x3F8: 0xFF" "$work/probe.out"'
check "port outside the allowlist: counted" '[ "$(drop port)" = 1 ]'
exit $fail
