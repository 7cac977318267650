/* SPDX-License-Identifier: MIT */
/* ATAPI CD-ROM: the PACKET protocol and the MMC commands guests use
 * (TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10/12),
 * READ TOC, MODE SENSE, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION,
 * START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, MECHANISM STATUS), with
 * sense data and media-change unit attention. */
#include <stdio.h>
#include <string.h>

#include "iodev/ide.h"
#include "debug/log.h"
#include "iodev/ide_regs.h"

#define CD_BLOCK 2048u
/* Blocks staged per round (the device buffer holds 65). */
#define STAGE_BLOCKS 32u

/* Sense keys and additional sense codes */
enum {
    SK_NONE = 0, SK_NOT_READY = 2, SK_MEDIUM_ERROR = 3, SK_ILLEGAL_REQUEST = 5,
    SK_UNIT_ATTENTION = 6
};
enum {
    ASC_INVALID_OPCODE = 0x20, ASC_LBA_OUT_OF_RANGE = 0x21, ASC_INVALID_FIELD = 0x24,
    ASC_MEDIUM_CHANGED = 0x28, ASC_READ_ERROR = 0x11, ASC_NO_MEDIUM = 0x3A,
    ASC_REMOVAL_PREVENTED = 0x53
};

static void atapi_log_once(unsigned opcode)
{
    log_event(LOG_UNIMP, "atapi", "unimplemented packet command", opcode & 0xFF, NULL);
}

static void put_be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void atapi_reset_signature(IdeDevice *d)
{
    d->count = 1;
    d->lba_lo = 1;
    d->lba_mid = 0x14;
    d->lba_hi = 0xEB;
    d->error = 1;
    d->status = 0;   /* ATAPI devices do not set DRDY after reset */
}

void atapi_identify(IdeDevice *d, uint16_t *w)
{
    (void)d;
    memset(w, 0, 512);
    w[0] = 0x85C0;   /* ATAPI, CD-ROM, removable, 12-byte packets, accelerated DRQ */
    ide_put_string(w, 10, 10, "KAIRO0000000002");
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "KAIRO CD-ROM");
    w[49] = 0x0300;   /* LBA, DMA */
    w[53] = 0x0007;
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30;
    w[72] = 30;
    w[80] = 0x001E;   /* ATA/ATAPI-1 to 4 */
    w[88] = 0x003F;
    w[93] = 0x6000 | 0x0001;
}

static bool medium_present(const IdeDevice *d)
{
    return blockdev_present(&d->disk);
}

/* --- completion --- */

static void atapi_complete(IdeChannel *ch, IdeDevice *d)
{
    d->xfer = IDE_XFER_NONE;
    d->dma_pending = false;
    d->error = 0;
    d->status = ST_DRDY | ST_DSC;
    d->count = IREASON_IO | IREASON_COD;
    ide_set_irq(ch);
}

static void atapi_error(IdeChannel *ch, IdeDevice *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = 0;
    d->xfer = IDE_XFER_NONE;
    d->dma_pending = false;
    d->atapi_blocks = 0;
    d->error = (uint8_t)(key << 4 | ERR_ABRT);
    d->status = ST_DRDY | ST_ERR;
    d->count = IREASON_IO | IREASON_COD;
    ide_set_irq(ch);
}

/* --- data-in phase --- */

static bool stage_blocks(IdeChannel *ch, IdeDevice *d)
{
    ch->activity++;
    uint32_t n = d->atapi_blocks < STAGE_BLOCKS ? d->atapi_blocks : STAGE_BLOCKS;
    if (!blockdev_read(&d->disk, (uint64_t)d->atapi_lba * CD_BLOCK, d->buf, (size_t)n * CD_BLOCK)) {
        atapi_error(ch, d, SK_MEDIUM_ERROR, ASC_READ_ERROR);
        return false;
    }
    d->atapi_lba += n;
    d->atapi_blocks -= n;
    d->stage_len = n * CD_BLOCK;
    d->buf_pos = 0;
    return true;
}

/* Offer the next PIO chunk of the staged data. */
static void pio_next_chunk(IdeChannel *ch, IdeDevice *d)
{
    uint32_t limit = d->byte_limit ? d->byte_limit : 0xFFFE;
    limit &= ~1u;
    if (!limit)
        limit = 2;
    uint32_t left = d->stage_len - d->buf_pos;
    uint32_t chunk = left < limit ? left : limit;
    d->buf_len = d->buf_pos + chunk;
    d->lba_mid = (uint8_t)chunk;
    d->lba_hi = (uint8_t)(chunk >> 8);
    d->count = IREASON_IO;
    d->xfer = IDE_XFER_PIO_IN;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    ide_set_irq(ch);
}

void atapi_pio_chunk_done(IdeChannel *ch, IdeDevice *d)
{
    if (d->buf_pos < d->stage_len) {
        pio_next_chunk(ch, d);
        return;
    }
    if (d->atapi_blocks) {
        if (stage_blocks(ch, d))
            pio_next_chunk(ch, d);
        return;
    }
    atapi_complete(ch, d);
}

/* Start sending stage_len bytes already in buf (plus atapi_blocks more
 * blocks for a READ), by PIO or by DMA as the packet asked. */
static void atapi_data_in(IdeChannel *ch, IdeDevice *d)
{
    d->buf_pos = 0;
    if (d->stage_len == 0 && !d->atapi_blocks) {
        atapi_complete(ch, d);
        return;
    }
    if (d->atapi_dma) {
        d->dma_pending = true;
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        d->count = IREASON_IO;
        if (ch->bm_cmd & BM_CMD_START)
            atapi_dma_run(ch, d);
        return;
    }
    pio_next_chunk(ch, d);
}

/* Respond with len bytes from data, cut to the allocation length. */
static void reply(IdeChannel *ch, IdeDevice *d, const uint8_t *data, uint32_t len, uint32_t alloc)
{
    if (len > alloc)
        len = alloc;
    memmove(d->buf, data, len);
    d->stage_len = len;
    d->atapi_blocks = 0;
    atapi_data_in(ch, d);
}

void atapi_dma_run(IdeChannel *ch, IdeDevice *d)
{
    uint32_t table = ch->bm_prd & ~3u;
    uint32_t addr = 0, left = 0;
    bool last = false;
    d->dma_pending = false;
    for (;;) {
        uint32_t pos = 0;
        while (pos < d->stage_len) {
            if (left == 0) {
                if (last) {
                    ch->bm_status = (uint8_t)((ch->bm_status & ~BM_STATUS_ACTIVE) | BM_STATUS_ERROR);
                    atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
                    return;
                }
                addr = (uint32_t)phys_read(ch->mem, table, 4) & ~1u;
                uint32_t ctl = (uint32_t)phys_read(ch->mem, table + 4, 4);
                table += 8;
                left = (ctl & 0xFFFE) ? (ctl & 0xFFFE) : 0x10000;
                last = (ctl & 0x80000000u) != 0;
            }
            uint32_t n = d->stage_len - pos < left ? d->stage_len - pos : left;
            phys_write_block(ch->mem, addr, d->buf + pos, n);
            addr += n;
            left -= n;
            pos += n;
        }
        if (!d->atapi_blocks)
            break;
        if (!stage_blocks(ch, d)) {
            ch->bm_status = (uint8_t)((ch->bm_status & ~BM_STATUS_ACTIVE) | BM_STATUS_ERROR);
            return;
        }
    }
    ch->bm_status &= (uint8_t)~BM_STATUS_ACTIVE;
    atapi_complete(ch, d);
}

/* --- commands --- */

static void cmd_test_unit_ready(IdeChannel *ch, IdeDevice *d)
{
    if (!medium_present(d))
        atapi_error(ch, d, SK_NOT_READY, ASC_NO_MEDIUM);
    else
        atapi_complete(ch, d);
}

static void cmd_request_sense(IdeChannel *ch, IdeDevice *d)
{
    uint8_t s[18] = { 0x70, 0, d->sense_key, 0, 0, 0, 0, 10, 0, 0, 0, 0, d->asc, d->ascq };
    d->sense_key = SK_NONE;
    d->asc = d->ascq = 0;
    reply(ch, d, s, sizeof s, d->packet[4]);
}

static void cmd_inquiry(IdeChannel *ch, IdeDevice *d)
{
    uint8_t r[36] = { 0x05, 0x80, 0x00, 0x21, 31 };
    memcpy(r + 8, "KAIRO   ", 8);
    memcpy(r + 16, "CD-ROM          ", 16);
    memcpy(r + 32, "1.0 ", 4);
    reply(ch, d, r, sizeof r, d->packet[4]);
}

static void cmd_read_capacity(IdeChannel *ch, IdeDevice *d)
{
    uint8_t r[8];
    put_be32(r, (uint32_t)(d->sectors - 1));
    put_be32(r + 4, CD_BLOCK);
    reply(ch, d, r, sizeof r, sizeof r);
}

static void start_read(IdeChannel *ch, IdeDevice *d, uint32_t lba, uint32_t count)
{
    if ((uint64_t)lba + count > d->sectors) {
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        return;
    }
    d->atapi_lba = lba;
    d->atapi_blocks = count;
    d->stage_len = 0;
    if (count && !stage_blocks(ch, d))
        return;
    atapi_data_in(ch, d);
}

static void cmd_read10(IdeChannel *ch, IdeDevice *d)
{
    start_read(ch, d, get_be32(d->packet + 2), get_be16(d->packet + 7));
}

static void cmd_read12(IdeChannel *ch, IdeDevice *d)
{
    start_read(ch, d, get_be32(d->packet + 2), get_be32(d->packet + 6));
}

/* LBA as minutes/seconds/frames (150 frames of lead-in). */
static void put_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = 0;
    p[1] = (uint8_t)(lba / (75 * 60));
    p[2] = (uint8_t)((lba / 75) % 60);
    p[3] = (uint8_t)(lba % 75);
}

static void cmd_read_toc(IdeChannel *ch, IdeDevice *d)
{
    bool msf = d->packet[1] & 2;
    unsigned format = d->packet[2] & 0x0F;
    if (!format)
        format = d->packet[9] >> 6;   /* the old SFF-8020 place */
    uint32_t alloc = get_be16(d->packet + 7);
    uint8_t r[20];
    memset(r, 0, sizeof r);
    if (format == 0) {
        /* Track 1 (data) and the lead-out. */
        put_be16(r, 18);
        r[2] = 1;
        r[3] = 1;
        r[5] = 0x14;   /* ADR 1, data track */
        r[6] = 1;
        if (msf)
            put_msf(r + 8, 0);
        r[13] = 0x14;
        r[14] = 0xAA;
        if (msf)
            put_msf(r + 16, (uint32_t)d->sectors);
        else
            put_be32(r + 16, (uint32_t)d->sectors);
        reply(ch, d, r, 20, alloc);
    } else if (format == 1) {
        /* Session information: one session starting at track 1. */
        put_be16(r, 10);
        r[2] = 1;
        r[3] = 1;
        r[5] = 0x14;
        r[6] = 1;
        if (msf)
            put_msf(r + 8, 0);
        reply(ch, d, r, 12, alloc);
    } else {
        atapi_log_once(0x143);
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
}

/* Mode pages: error recovery (01h) and capabilities (2Ah). */
static uint32_t mode_pages(const IdeDevice *d, unsigned page, uint8_t *p)
{
    uint32_t n = 0;
    if (page == 0x01 || page == 0x3F) {
        static const uint8_t recovery[8] = { 0x01, 0x06, 0x00, 0x05 };
        memcpy(p + n, recovery, 8);
        n += 8;
    }
    if (page == 0x2A || page == 0x3F) {
        uint8_t caps[20] = { 0x2A, 0x12, 0x00, 0x00, 0x71, 0x60, 0x29, 0x00 };
        if (d->locked)
            caps[6] |= 0x02;
        put_be16(caps + 8, 706);    /* max speed KB/s (4x) */
        put_be16(caps + 10, 0);     /* volume levels */
        put_be16(caps + 12, 512);   /* buffer KB */
        put_be16(caps + 14, 706);
        memcpy(p + n, caps, 20);
        n += 20;
    }
    return n;
}

static void cmd_mode_sense(IdeChannel *ch, IdeDevice *d, bool ten)
{
    unsigned page = d->packet[2] & 0x3F;
    unsigned control = d->packet[2] >> 6;
    uint8_t r[64];
    memset(r, 0, sizeof r);
    unsigned hdr = ten ? 8 : 4;
    if (control == 3) {   /* saved values: not supported */
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, 0x39);
        return;
    }
    uint32_t n = mode_pages(d, page, r + hdr);
    if (!n) {
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    uint8_t medium = medium_present(d) ? 0x01 : 0x70;
    if (ten) {
        put_be16(r, hdr + n - 2);
        r[2] = medium;
        reply(ch, d, r, hdr + n, get_be16(d->packet + 7));
    } else {
        r[0] = (uint8_t)(hdr + n - 1);
        r[1] = medium;
        reply(ch, d, r, hdr + n, d->packet[4]);
    }
}

static void cmd_start_stop(IdeChannel *ch, IdeDevice *d)
{
    bool loej = d->packet[4] & 2, start = d->packet[4] & 1;
    if (loej && !start) {
        if (d->locked) {
            atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED);
            return;
        }
        blockdev_close(&d->disk);
        d->sectors = 0;
    }
    atapi_complete(ch, d);
}

static void cmd_prevent_allow(IdeChannel *ch, IdeDevice *d)
{
    d->locked = d->packet[4] & 1;
    atapi_complete(ch, d);
}

static void cmd_get_configuration(IdeChannel *ch, IdeDevice *d)
{
    /* Header with the current profile, then feature 0 (profile list) with
     * the one profile we have: CD-ROM (0008h). */
    uint8_t r[16];
    memset(r, 0, sizeof r);
    bool cd = medium_present(d);
    put_be32(r, 12);
    put_be16(r + 6, cd ? 0x0008 : 0x0000);
    put_be16(r + 8, 0x0000);   /* feature 0 */
    r[10] = 0x03;              /* persistent, current */
    r[11] = 4;
    put_be16(r + 12, 0x0008);
    r[14] = cd ? 1 : 0;        /* current */
    reply(ch, d, r, sizeof r, get_be16(d->packet + 7));
}

static void cmd_get_event_status(IdeChannel *ch, IdeDevice *d)
{
    if (!(d->packet[1] & 1)) {   /* only the polled form exists */
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    uint8_t r[8];
    memset(r, 0, sizeof r);
    r[3] = 0x10;   /* supported classes: media */
    if (d->packet[4] & 0x10) {
        put_be16(r, 6);
        r[2] = 0x04;   /* media class */
        r[4] = d->unit_attention ? 0x02 : 0x00;   /* new media */
        r[5] = medium_present(d) ? 0x02 : 0x00;
        reply(ch, d, r, 8, get_be16(d->packet + 7));
    } else {
        put_be16(r, 2);
        r[2] = 0x80;   /* no event available */
        reply(ch, d, r, 4, get_be16(d->packet + 7));
    }
}

static void cmd_mechanism_status(IdeChannel *ch, IdeDevice *d)
{
    uint8_t r[8] = { 0 };
    reply(ch, d, r, sizeof r, get_be16(d->packet + 8));
}

static void cmd_seek(IdeChannel *ch, IdeDevice *d)
{
    atapi_complete(ch, d);
}

typedef struct AtapiCommand {
    uint8_t opcode;
    bool needs_medium;
    bool ignores_attention;   /* reported even with a unit attention pending */
    void (*run)(IdeChannel *ch, IdeDevice *d);
} AtapiCommand;

static void cmd_mode_sense6(IdeChannel *ch, IdeDevice *d) { cmd_mode_sense(ch, d, false); }
static void cmd_mode_sense10(IdeChannel *ch, IdeDevice *d) { cmd_mode_sense(ch, d, true); }

static const AtapiCommand atapi_commands[] = {
    { 0x00, false, false, cmd_test_unit_ready },
    { 0x03, false, true, cmd_request_sense },
    { 0x12, false, true, cmd_inquiry },
    { 0x1A, false, false, cmd_mode_sense6 },
    { 0x1B, false, false, cmd_start_stop },
    { 0x1E, false, false, cmd_prevent_allow },
    { 0x25, true, false, cmd_read_capacity },
    { 0x28, true, false, cmd_read10 },
    { 0x2B, true, false, cmd_seek },
    { 0x43, true, false, cmd_read_toc },
    { 0x46, false, true, cmd_get_configuration },
    { 0x4A, false, true, cmd_get_event_status },
    { 0x5A, false, false, cmd_mode_sense10 },
    { 0xA8, true, false, cmd_read12 },
    { 0xBD, false, false, cmd_mechanism_status },
};

void atapi_packet_received(IdeChannel *ch, IdeDevice *d)
{
    uint8_t op = d->packet[0];
    const AtapiCommand *c = NULL;
    for (size_t i = 0; i < sizeof atapi_commands / sizeof atapi_commands[0]; i++)
        if (atapi_commands[i].opcode == op)
            c = &atapi_commands[i];
    if (!c) {
        atapi_log_once(op);
        atapi_error(ch, d, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        return;
    }
    if (d->unit_attention && !c->ignores_attention) {
        d->unit_attention = false;
        atapi_error(ch, d, SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
        return;
    }
    if (c->needs_medium && !medium_present(d)) {
        atapi_error(ch, d, SK_NOT_READY, ASC_NO_MEDIUM);
        return;
    }
    c->run(ch, d);
    if (op == 0x4A && (d->packet[4] & 0x10))
        d->unit_attention = false;   /* the event was reported */
}

/* --- media --- */

static bool cd_open(IdeDevice *d, const char *path, char *err, size_t errlen)
{
    BlockDev bd;
    if (!blockdev_open(&bd, path, true, false, err, errlen))
        return false;
    if (bd.size < CD_BLOCK) {
        snprintf(err, errlen, "CD image '%s' is smaller than one 2048-byte block", path);
        blockdev_close(&bd);
        return false;
    }
    blockdev_close(&d->disk);
    d->disk = bd;
    d->sectors = bd.size / CD_BLOCK;
    return true;
}

bool ide_attach_cdrom(IdeChannel *ch, int unit, const char *path, char *err, size_t errlen)
{
    IdeDevice *d = &ch->dev[unit & 1];
    blockdev_init_empty(&d->disk);
    d->sectors = 0;
    if (path && !cd_open(d, path, err, errlen))
        return false;
    d->kind = IDE_CDROM;
    d->unit_attention = false;
    atapi_reset_signature(d);
    return true;
}

bool ide_change_cdrom(IdeChannel *ch, int unit, const char *path, char *err, size_t errlen)
{
    IdeDevice *d = &ch->dev[unit & 1];
    if (d->kind != IDE_CDROM) {
        snprintf(err, errlen, "%s unit %d is not a CD-ROM drive", ch->name ? ch->name : "ide",
                 unit);
        return false;
    }
    if (path) {
        if (!cd_open(d, path, err, errlen))
            return false;
    } else {
        blockdev_close(&d->disk);
        d->sectors = 0;
    }
    d->unit_attention = true;
    return true;
}
