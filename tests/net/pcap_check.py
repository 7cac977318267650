#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a pcap written by -object filter-dump without tshark: the global
header (classic pcap, Ethernet), every record's lengths, and what it holds:
usage: pcap_check.py FILE [--need-icmp]  (ICMP echo request and reply needed)"""
import struct
import sys

def main():
    path = sys.argv[1]
    data = open(path, 'rb').read()
    if len(data) < 24:
        sys.exit(f"pcap_check: {path}: no global header")
    magic, major, minor, _zone, _sig, snaplen, linktype = struct.unpack('<IHHiIII', data[:24])
    if magic != 0xA1B2C3D4 or (major, minor) != (2, 4) or linktype != 1:
        sys.exit(f"pcap_check: {path}: not a classic Ethernet pcap")
    off, records, kinds = 24, 0, {}
    while off < len(data):
        if off + 16 > len(data):
            sys.exit(f"pcap_check: record {records}: truncated header")
        _sec, usec, caplen, origlen = struct.unpack('<IIII', data[off:off + 16])
        off += 16
        if usec >= 1000000 or caplen > origlen or caplen > snaplen or off + caplen > len(data) \
                or not 14 <= origlen <= 1514:
            sys.exit(f"pcap_check: record {records}: bad lengths {caplen}/{origlen}")
        frame = data[off:off + caplen]
        off += caplen
        records += 1
        ethertype = struct.unpack('>H', frame[12:14])[0]
        kind = {0x0800: 'ipv4', 0x0806: 'arp', 0x86DD: 'ipv6'}.get(ethertype, hex(ethertype))
        if ethertype == 0x0800 and frame[23] == 1:
            icmp_type = frame[14 + (frame[14] & 15) * 4]
            kind = {8: 'icmp-echo', 0: 'icmp-reply'}.get(icmp_type, 'icmp')
        elif ethertype == 0x0800 and frame[23] == 6:
            kind = 'tcp'
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"pcap_check: {path}: {records} records: " +
          ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    if '--need-icmp' in sys.argv and not (kinds.get('icmp-echo') and kinds.get('icmp-reply')):
        sys.exit("pcap_check: no ICMP echo request and reply")

main()
