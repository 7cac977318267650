/* SPDX-License-Identifier: MIT */
/* pcap writer (see pcap.h). The layout is the classic libpcap one: a
 * 24-byte global header, then per frame a 16-byte record header and the
 * (possibly truncated) bytes, all in the host's byte order, which the magic
 * number tells readers. */
#include "iodev/net/pcap.h"

#include <string.h>
#include <sys/time.h>

#define PCAP_MAGIC 0xA1B2C3D4u
#define LINKTYPE_ETHERNET 1

bool pcap_open(PcapWriter *p, const char *path, uint32_t snaplen, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->file = fopen(path, "wb");
    if (!p->file) {
        snprintf(err, errlen, "filter-dump: cannot create '%s'", path);
        return false;
    }
    p->snaplen = snaplen ? snaplen : 65536;
    struct {
        uint32_t magic;
        uint16_t major, minor;
        int32_t thiszone;
        uint32_t sigfigs, snaplen, linktype;
    } hdr = { PCAP_MAGIC, 2, 4, 0, 0, p->snaplen, LINKTYPE_ETHERNET };
    if (fwrite(&hdr, sizeof hdr, 1, p->file) != 1 || fflush(p->file)) {
        snprintf(err, errlen, "filter-dump: cannot write '%s'", path);
        fclose(p->file);
        p->file = NULL;
        return false;
    }
    return true;
}

void pcap_write(PcapWriter *p, const uint8_t *frame, size_t len)
{
    if (!p->file || p->failed)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint32_t caplen = len > p->snaplen ? p->snaplen : (uint32_t)len;
    uint32_t rec[4] = { (uint32_t)tv.tv_sec, (uint32_t)tv.tv_usec, caplen, (uint32_t)len };
    /* Flushed per record: the file is complete whenever the run ends. */
    if (fwrite(rec, sizeof rec, 1, p->file) != 1 || fwrite(frame, 1, caplen, p->file) != caplen ||
        fflush(p->file)) {
        p->failed = true;
        fprintf(stderr, "kairo: filter-dump: write failed, dumping stopped\n");
        return;
    }
    p->records++;
}

void pcap_close(PcapWriter *p)
{
    if (p->file)
        fclose(p->file);
    p->file = NULL;
}
