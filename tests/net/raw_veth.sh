#!/bin/sh
# SPDX-License-Identifier: MIT
# The raw (AF_PACKET) backend between two NE2000s on the two ends of a veth
# pair, in a user and network namespace of our own (no privileges needed).
#   raw_veth.sh NET_PAIR PCAP
# Exit 77 (skipped) where unprivileged user namespaces are not allowed.
set -u
if [ "${1:-}" != --inside ]; then
    unshare -Urn true 2>/dev/null || { echo "raw_veth: no user namespaces here"; exit 77; }
    exec unshare -Urn "$0" --inside "$@"
fi
shift
ip link add na type veth peer name nb || exit 77
# Room for the oversize test frame (the backend must drop it, not the kernel).
ip link set na mtu 2000 && ip link set nb mtu 2000
ip link set na up && ip link set nb up
exec "$1" raw na nb --pcap "$2"
