/* SPDX-License-Identifier: MIT */
/* A classic pcap file (LINKTYPE_ETHERNET, microsecond stamps) of the frames
 * a netdev passes, both ways: what -object filter-dump writes. */
#ifndef KAIRO_PCAP_H
#define KAIRO_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct PcapWriter {
    FILE *file;             /* NULL = not dumping */
    uint32_t snaplen;
    uint64_t records;
    bool failed;            /* a write failed: reported once, dumping stops */
} PcapWriter;

bool pcap_open(PcapWriter *p, const char *path, uint32_t snaplen, char *err, size_t errlen);
/* One record stamped with the host's wall clock. */
void pcap_write(PcapWriter *p, const uint8_t *frame, size_t len);
void pcap_close(PcapWriter *p);

#endif
