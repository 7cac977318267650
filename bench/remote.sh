#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Remote ports: IN round-trip latency of a 16550's scratch register, served
# locally, by kairo-portd over UDP on loopback, and by kairo-portd in
# another network namespace over a veth pair (raw 802.3), beside the
# physical floor: a raw AF_PACKET ping-pong between the same two
# namespaces (tests/remote/raw_pingpong, both ends busy-polling, no crypto).
# Each measurement is repeated; the host's load is reported before and
# after, since wake-up latency on a busy host dominates. Runs unprivileged
# (unshare -Urn). No impairment: this measures the path.
#
# usage: bench/remote.sh [BUILD_DIR] [READS] [REPEATS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
reads=${2:-100000}
repeats=${3:-3}
portd=$build/kairo-portd
push=$build/tests/remote/remote_push
pingpong=$build/tests/remote/raw_pingpong
for f in "$portd" "$push" "$pingpong"; do
    [ -x "$f" ] || { echo "bench/remote.sh: $f missing (build first)" >&2; exit 1; }
done

if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$build" "$reads" "$repeats"
fi

. "$here/../tests/remote/ns_lib.sh"
scratch_work
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
load() { echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }

echo "kairo remote ports: $reads IN instructions per run, $repeats runs each"
load "before"
"$push" --bench "$reads" --label "local slot"

# UDP on loopback
ip link set lo up
cat > "$work/udp.conf" <<EOF
key $work/key
listen udp 127.0.0.1:7101
client 127.0.0.1
slot com2 uart none
ports 0x2F8-0x2FF
EOF
"$portd" -c "$work/udp.conf" 2>/dev/null &
pids+=($!)
sleep 0.2
for r in $(seq "$repeats"); do
    "$push" --spec "com2=udp:127.0.0.1:7101,key=$work/key" --bench "$reads" \
        --label "udp loopback" 2>/dev/null
done | tee "$work/udp.txt"

# veth between two namespaces: kairo-portd, then the raw floor, one at a
# time on the same pair.
make_pair
cat > "$work/eth.conf" <<EOF
key $work/key
listen eth vs
client $CLIENT_MAC
slot com2 uart none
ports 0x2F8-0x2FF
EOF
: > "$work/portd.err"
start_portd "$portd" "$work/eth.conf" "$work/portd.err" 0
sleep 0.2
for r in $(seq "$repeats"); do
    "$push" --spec "com2=eth:vc,peer=$SERVER_MAC,key=$work/key" --bench "$reads" \
        --label "veth 802.3" 2>/dev/null
done | tee "$work/veth.txt"
kill "$portd_pid"
wait "$portd_pid" 2>/dev/null || true
portd_pid=""
nsenter -n -t "$ns_holder" "$pingpong" echo vs &
echo_pid=$!
pids+=($echo_pid)
sleep 0.2
for r in $(seq "$repeats"); do
    "$pingpong" ping vc "$SERVER_MAC" "$reads"
done | tee "$work/raw.txt"
kill "$echo_pid"
load "after"

# The median run of each path (by p50).
summary() {
    awk -v name="$1" '{ for (i = 1; i <= NF; i++) { if ($i == "p50") p50[NR] = $(i + 1);
                        if ($i == "p99") p99[NR] = $(i + 1); if ($i == "p99.9") p999[NR] = $(i + 1) } }
        END { n = NR; for (i = 1; i <= n; i++) idx[i] = i
              for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                  if (p50[idx[j]] < p50[idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
              m = idx[int((n + 1) / 2)]
              printf "  %-14s median run: p50 %7.2f us  p99 %8.2f us  p99.9 %8.2f us  (p50 range %.2f-%.2f)\n",
                     name, p50[m], p99[m], p999[m], p50[idx[1]], p50[idx[n]] }' "$2"
}
echo "summary:"
summary "udp loopback" "$work/udp.txt"
summary "veth 802.3" "$work/veth.txt"
summary "raw floor" "$work/raw.txt"
