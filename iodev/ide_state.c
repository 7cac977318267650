/* SPDX-License-Identifier: MIT */
/* Machine state of an IDE channel (see ide.h): a field table for the
 * task files, the command in flight and the bus-master registers, plus the
 * live part of each unit's sector buffer. What is attached (disk, CD-ROM,
 * nothing) and the medium size are configuration: a section saved with a
 * different attachment is refused by name. */
#include <stdio.h>
#include <string.h>

#include "iodev/ide.h"
#include "iodev/ide_regs.h"

#define BUF_BYTES (sizeof(((IdeDevice *)0)->buf))

static const StateField ide_fields[] = {
    SF_FIELD_MAX(IdeChannel, cur, SF_U32, 1),
    SF_FIELD(IdeChannel, devctl, SF_U8),
    SF_FIELD(IdeChannel, irq_level, SF_BOOL),
    SF_FIELD(IdeChannel, bm_cmd, SF_U8),
    SF_FIELD(IdeChannel, bm_status, SF_U8),
    SF_FIELD(IdeChannel, bm_prd, SF_U32),
    SF_FIELD(IdeChannel, activity, SF_U32),
    SF_EACH_MAX(IdeChannel, dev, cur_heads, SF_U16, 2, 16),
    SF_EACH_MAX(IdeChannel, dev, cur_spt, SF_U16, 2, 255),
    SF_EACH_MAX(IdeChannel, dev, mult_sectors, SF_U16, 2, 16),
    SF_EACH(IdeChannel, dev, xfer_mode, SF_U8, 2),
    SF_EACH(IdeChannel, dev, write_cache, SF_BOOL, 2),
    SF_EACH(IdeChannel, dev, feature, SF_U8, 2),
    SF_EACH(IdeChannel, dev, count, SF_U8, 2),
    SF_EACH(IdeChannel, dev, lba_lo, SF_U8, 2),
    SF_EACH(IdeChannel, dev, lba_mid, SF_U8, 2),
    SF_EACH(IdeChannel, dev, lba_hi, SF_U8, 2),
    SF_EACH(IdeChannel, dev, hob_feature, SF_U8, 2),
    SF_EACH(IdeChannel, dev, hob_count, SF_U8, 2),
    SF_EACH(IdeChannel, dev, hob_lba_lo, SF_U8, 2),
    SF_EACH(IdeChannel, dev, hob_lba_mid, SF_U8, 2),
    SF_EACH(IdeChannel, dev, hob_lba_hi, SF_U8, 2),
    SF_EACH(IdeChannel, dev, select, SF_U8, 2),
    SF_EACH(IdeChannel, dev, status, SF_U8, 2),
    SF_EACH(IdeChannel, dev, error, SF_U8, 2),
    SF_EACH(IdeChannel, dev, cmd, SF_U8, 2),
    SF_EACH_MAX(IdeChannel, dev, xfer, SF_U32, 2, IDE_XFER_PACKET),
    SF_EACH(IdeChannel, dev, cur_lba, SF_U64, 2),
    SF_EACH(IdeChannel, dev, remaining, SF_U32, 2),
    SF_EACH_MAX(IdeChannel, dev, block, SF_U32, 2, IDE_BUF_SECTORS),
    SF_EACH_MAX(IdeChannel, dev, buf_pos, SF_U32, 2, BUF_BYTES),
    SF_EACH_MAX(IdeChannel, dev, buf_len, SF_U32, 2, BUF_BYTES),
    SF_EACH(IdeChannel, dev, dma_pending, SF_BOOL, 2),
    SF_EACH(IdeChannel, dev, dma_write, SF_BOOL, 2),
    SF_EACH(IdeChannel, dev, sense_key, SF_U8, 2),
    SF_EACH(IdeChannel, dev, asc, SF_U8, 2),
    SF_EACH(IdeChannel, dev, ascq, SF_U8, 2),
    SF_EACH(IdeChannel, dev, unit_attention, SF_BOOL, 2),
    SF_EACH(IdeChannel, dev, locked, SF_BOOL, 2),
    SF_EACH(IdeChannel, dev, atapi_lba, SF_U32, 2),
    SF_EACH(IdeChannel, dev, atapi_blocks, SF_U32, 2),
    SF_EACH_MAX(IdeChannel, dev, stage_len, SF_U32, 2, BUF_BYTES),
    SF_EACH(IdeChannel, dev, byte_limit, SF_U16, 2),
    SF_EACH(IdeChannel, dev, atapi_dma, SF_BOOL, 2),
};

/* The bytes of the buffer a transfer can still touch: the ATA block (or
 * the ATAPI packet) up to buf_len, the staged ATAPI response up to
 * stage_len. Whatever lies beyond is never read again. */
static uint32_t live_bytes(const IdeDevice *d)
{
    uint32_t n = d->buf_len > d->stage_len ? d->buf_len : d->stage_len;
    return n > BUF_BYTES ? (uint32_t)BUF_BYTES : n;
}

static void ide_save_extra(void *dev, StateWriter *w)
{
    const IdeChannel *ch = dev;
    for (int i = 0; i < 2; i++) {
        const IdeDevice *d = &ch->dev[i];
        state_put_u8(w, (uint8_t)d->kind);
        state_put_u64(w, d->sectors);
        uint32_t n = live_bytes(d);
        state_put_u32(w, n);
        state_put_bytes(w, d->buf, n);
    }
}

static const char *kind_name(int kind)
{
    return kind == IDE_DISK ? "a disk" : kind == IDE_CDROM ? "a CD-ROM drive" : "nothing";
}

static bool ide_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    IdeChannel *ch = dev;
    (void)version;
    const char *name = ch->name ? ch->name : "ide";
    for (int i = 0; i < 2; i++) {
        IdeDevice *d = &ch->dev[i];
        uint8_t kind = state_get_u8(r);
        uint64_t sectors = state_get_u64(r);
        uint32_t n = state_get_u32(r);
        if (!state_ok(r))
            return true;   /* the caller reports the truncation */
        if (kind != d->kind) {
            snprintf(err, errlen, "%s unit %d: the snapshot has %s attached, this machine %s",
                     name, i, kind_name(kind), kind_name(d->kind));
            return false;
        }
        if (sectors != d->sectors) {
            snprintf(err, errlen,
                     "%s unit %d: the snapshot's medium has %llu blocks, this machine's %llu",
                     name, i, (unsigned long long)sectors, (unsigned long long)d->sectors);
            return false;
        }
        if (n > BUF_BYTES) {
            snprintf(err, errlen, "%s unit %d: buffer of %u bytes is too large", name, i, n);
            return false;
        }
        state_get_bytes(r, d->buf, n);
    }
    return true;
}

static bool ide_post_load(void *dev, char *err, size_t errlen)
{
    IdeChannel *ch = dev;
    const char *name = ch->name ? ch->name : "ide";
    for (int i = 0; i < 2; i++) {
        const IdeDevice *d = &ch->dev[i];
        /* With buf_pos <= buf_len <= the buffer (max above), every later
         * PIO access and ATAPI chunk stays inside it. */
        if (d->buf_pos > d->buf_len) {
            snprintf(err, errlen, "%s unit %d: buffer position %u is past its length %u", name,
                     i, d->buf_pos, d->buf_len);
            return false;
        }
        if ((d->xfer == IDE_XFER_PIO_IN || d->xfer == IDE_XFER_PIO_OUT) && d->remaining &&
            !d->block) {
            snprintf(err, errlen, "%s unit %d: a transfer with zero sectors per block", name, i);
            return false;
        }
        if (d->kind == IDE_DISK && d->cur_heads == 0) {
            snprintf(err, errlen, "%s unit %d: zero heads", name, i);
            return false;
        }
    }
    ide_update_irq(ch);
    return true;
}

static void ide_reset_dev(void *dev) { ide_reset(dev); }

static void ide_teardown(void *dev)
{
    ide_flush(dev);
    ide_close(dev);
}

static const char *const xfer_names[] = { "idle", "PIO in", "PIO out", "packet" };

static void ide_info(void *dev, FILE *out)
{
    const IdeChannel *ch = dev;
    fprintf(out,
            "selected unit %d, devctl %02X, irq %s, bus master cmd %02X status %02X prd %08X\n",
            ch->cur, ch->devctl, ch->irq_level ? "pending" : "clear", ch->bm_cmd, ch->bm_status,
            ch->bm_prd);
    for (int i = 0; i < 2; i++) {
        const IdeDevice *d = &ch->dev[i];
        if (d->kind == IDE_NONE) {
            fprintf(out, "unit %d: none\n", i);
            continue;
        }
        fprintf(out, "unit %d: %s, %llu blocks, status %02X error %02X, cmd %02X %s%s, "
                     "buffer %u/%u\n",
                i, d->kind == IDE_DISK ? "disk" : "cdrom", (unsigned long long)d->sectors,
                d->status, d->error, d->cmd, xfer_names[d->xfer & 3],
                d->dma_pending ? " (DMA waiting)" : "", d->buf_pos, d->buf_len);
    }
}

const DeviceDesc ide_desc = {
    .kind = "ide",
    .version = 1,
    .fields = ide_fields,
    .n_fields = sizeof ide_fields / sizeof ide_fields[0],
    .reset = ide_reset_dev,
    .save_extra = ide_save_extra,
    .load_extra = ide_load_extra,
    .post_load = ide_post_load,
    .info = ide_info,
    .teardown = ide_teardown,
};
