#!/bin/sh
# SPDX-License-Identifier: MIT
# The tap backend: two NE2000s on two TAP interfaces joined by a bridge, in
# a user and network namespace of our own (no privileges needed).
#   tap_bridge.sh NET_PAIR PCAP
# Exit 77 (skipped) without user namespaces or /dev/net/tun.
set -u
if [ "${1:-}" != --inside ]; then
    [ -c /dev/net/tun ] || { echo "tap_bridge: no /dev/net/tun"; exit 77; }
    unshare -Urn true 2>/dev/null || { echo "tap_bridge: no user namespaces here"; exit 77; }
    exec unshare -Urn "$0" --inside "$@"
fi
shift
ip tuntap add ta mode tap && ip tuntap add tb mode tap && ip link add br0 type bridge || exit 77
ip link set ta master br0 && ip link set tb master br0
ip link set br0 up && ip link set ta up && ip link set tb up
exec "$1" tap ta tb --pcap "$2"
