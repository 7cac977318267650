#!/usr/bin/env bash
# Remote ports: IN round-trip latency (p50/p99) of a 16550's scratch
# register, served locally, by kairo-portd over UDP on loopback, and by
# kairo-portd in another network namespace over a veth pair (raw 802.3).
# Runs unprivileged (unshare -Urn). No impairment: this measures the path.
#
# usage: bench/remote.sh [BUILD_DIR] [READS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
reads=${2:-100000}
portd=$build/kairo-portd
push=$build/tests/remote/remote_push
for f in "$portd" "$push"; do
    [ -x "$f" ] || { echo "bench/remote.sh: $f missing (build first)" >&2; exit 1; }
done

if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$build" "$reads"
fi

. "$here/../tests/remote/ns_lib.sh"
scratch_work
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"

echo "kairo remote ports: $reads IN instructions each (scratch register of a 16550)"
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
"$push" --spec "com2=udp:127.0.0.1:7101,key=$work/key" --bench "$reads" --label "udp loopback" \
    2>/dev/null

# veth between two namespaces
ip link add vc type veth peer name vs
ip link set vc address 02:00:00:00:00:01
ip link set vs address 02:00:00:00:00:02
cat > "$work/eth.conf" <<EOF
key $work/key
listen eth vs
client 02:00:00:00:00:01
slot com2 uart none
ports 0x2F8-0x2FF
EOF
unshare -n bash -c '
    while ! ip link show vs >/dev/null 2>&1; do sleep 0.02; done
    ip link set vs up
    exec "$0" -c "$1"' "$portd" "$work/eth.conf" 2>/dev/null &
pids+=($!)
while [ "$(readlink /proc/${pids[1]}/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
    sleep 0.02
done
ip link set vs netns "${pids[1]}"
ip link set vc up
sleep 0.2
"$push" --spec "com2=eth:vc,peer=02:00:00:00:00:02,key=$work/key" --bench "$reads" \
    --label "veth 802.3" 2>/dev/null
