#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Download throughput from a filter-dump pcap: host time from the first to
the last TCP segment carrying data from PORT, and the payload bytes seen.
usage: net_rate.py FILE PORT  ->  prints "BYTES SECONDS MB/s" """
import struct
import sys

data = open(sys.argv[1], 'rb').read()
port = int(sys.argv[2])
off, first, last, total = 24, None, None, 0
while off + 16 <= len(data):
    sec, usec, caplen, _ = struct.unpack('<IIII', data[off:off + 16])
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    if len(frame) < 54 or frame[12:14] != b'\x08\x00' or frame[23] != 6:
        continue
    ihl = (frame[14] & 15) * 4
    tcp = frame[14 + ihl:]
    iplen = struct.unpack('>H', frame[16:18])[0]
    payload = iplen - ihl - (tcp[12] >> 4) * 4
    if struct.unpack('>H', tcp[0:2])[0] != port or payload <= 0:
        continue
    t = sec + usec / 1e6
    first = t if first is None else first
    last = t
    total += payload
if first is None or last <= first:
    sys.exit("net_rate: no data segments from port %d" % port)
print("%d %.3f %.2f" % (total, last - first, total / (last - first) / 1e6))
