/* SPDX-License-Identifier: MIT */
/* IDE/ATA channel: task-file registers, ATA commands for hard disks, PIO
 * and bus-master DMA (see ide.h). ATAPI packet commands are in atapi.c.
 *
 * Transfers complete at once: a READ SECTORS has its first block ready
 * when the command write returns, and a DMA transfer happens when both the
 * command and the bus-master start bit have been given. */
#include "iodev/ide.h"
#include "debug/log.h"

#include <stdio.h>
#include <string.h>

#include "iodev/ide_regs.h"

static void ide_log_once(const char *what, unsigned detail)
{
    log_event(LOG_UNIMP, "ide", what, detail, NULL);
}

/* --- interrupt line --- */

void ide_update_irq(IdeChannel *ch)
{
    irq_set(&ch->hooks.irq, ch->irq_level && !(ch->devctl & DEVCTL_NIEN));
}

void ide_set_irq(IdeChannel *ch)
{
    ch->irq_level = true;
    ch->bm_status |= BM_STATUS_INTR;
    ide_update_irq(ch);
}

static void ide_clear_irq(IdeChannel *ch)
{
    ch->irq_level = false;
    ide_update_irq(ch);
}

/* --- helpers --- */

void ide_put_string(uint16_t *words, int first, int count, const char *s)
{
    /* ATA strings: two characters per word, first character in the high
     * byte, padded with spaces. */
    size_t len = strlen(s);
    for (int i = 0; i < count * 2; i++) {
        uint8_t c = (size_t)i < len ? (uint8_t)s[i] : ' ';
        if (i & 1)
            words[first + i / 2] |= c;
        else
            words[first + i / 2] = (uint16_t)(c << 8);
    }
}

static void signature_disk(IdeDevice *d)
{
    d->count = 1;
    d->lba_lo = 1;
    d->lba_mid = 0;
    d->lba_hi = 0;
    d->error = 1;
    d->status = ST_DRDY | ST_DSC;
}

static void device_reset(IdeDevice *d)
{
    d->xfer = IDE_XFER_NONE;
    d->buf_pos = d->buf_len = 0;
    d->dma_pending = false;
    d->select = 0xA0;
    if (d->kind == IDE_DISK)
        signature_disk(d);
    else if (d->kind == IDE_CDROM)
        atapi_reset_signature(d);
}

void ide_reset(IdeChannel *ch)
{
    ch->cur = 0;
    ch->devctl = 0;
    ch->bm_cmd = 0;
    ch->bm_status &= BM_STATUS_DRV0 | BM_STATUS_DRV1;
    for (int i = 0; i < 2; i++)
        device_reset(&ch->dev[i]);
    ide_clear_irq(ch);
}

void ide_init(IdeChannel *ch, PhysMem *mem, const IdeHooks *hooks, const char *name)
{
    memset(ch, 0, sizeof *ch);
    ch->mem = mem;
    ch->name = name;
    if (hooks)
        ch->hooks = *hooks;
    for (int i = 0; i < 2; i++)
        blockdev_init_empty(&ch->dev[i].disk);
    ide_reset(ch);
}

/* The disk is there: its size in sectors and the usual translation (16
 * heads, 63 sectors, cylinders to fit). */
static void disk_attached(IdeChannel *ch, int unit, uint64_t sectors)
{
    IdeDevice *d = &ch->dev[unit & 1];
    d->kind = IDE_DISK;
    d->sectors = sectors;
    d->base_lba = 0;
    d->partition = false;
    uint64_t cyls = d->sectors / (16 * 63);
    d->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls ? cyls : 1);
    d->heads = 16;
    d->spt = 63;
    d->cur_heads = d->heads;
    d->cur_spt = d->spt;
    d->mult_sectors = 16;
    d->write_cache = true;
    ch->bm_status |= unit ? BM_STATUS_DRV1 : BM_STATUS_DRV0;
    device_reset(d);
}

bool ide_attach_disk(IdeChannel *ch, int unit, const char *path, bool readonly, char *err,
                     size_t errlen)
{
    IdeDevice *d = &ch->dev[unit & 1];
    if (!blockdev_open(&d->disk, path, readonly, false, err, errlen))
        return false;
    if (d->disk.size < 512) {
        snprintf(err, errlen, "disk image '%s' is smaller than one sector", path);
        blockdev_close(&d->disk);
        return false;
    }
    if (d->disk.size % 512) {
        snprintf(err, errlen,
                 "disk image '%s' has %llu bytes, not whole 512-byte sectors (truncated?)", path,
                 (unsigned long long)d->disk.size);
        blockdev_close(&d->disk);
        return false;
    }
    disk_attached(ch, unit, d->disk.size / 512);
    return true;
}

bool ide_share_disk(IdeChannel *ch, int unit, const BlockDev *open_image)
{
    IdeDevice *d = &ch->dev[unit & 1];
    if (!blockdev_present(open_image) || open_image->size < 512 || open_image->qcow2)
        return false;
    d->disk = *open_image;
    disk_attached(ch, unit, d->disk.size / 512);
    return true;
}

bool ide_set_partition(IdeChannel *ch, int unit, uint64_t first, uint64_t count, char *err,
                       size_t errlen)
{
    IdeDevice *d = &ch->dev[unit & 1];
    uint64_t all = d->disk.size / 512;
    if (d->kind != IDE_DISK || !count || first >= all || count > all - first) {
        snprintf(err, errlen, "partition %llu+%llu is not inside the image (%llu sectors)",
                 (unsigned long long)first, (unsigned long long)count, (unsigned long long)all);
        return false;
    }
    disk_attached(ch, unit, count);
    d->base_lba = first;
    d->partition = true;
    return true;
}

bool ide_disk_geometry(const IdeChannel *ch, int unit, uint16_t *c, uint16_t *h, uint16_t *s)
{
    const IdeDevice *d = &ch->dev[unit & 1];
    if (d->kind != IDE_DISK)
        return false;
    *c = d->cyls;
    *h = d->heads;
    *s = d->spt;
    return true;
}

void ide_flush(IdeChannel *ch)
{
    for (int i = 0; i < 2; i++)
        if (ch->dev[i].kind == IDE_DISK)
            blockdev_flush(&ch->dev[i].disk);
}

void ide_close(IdeChannel *ch)
{
    for (int i = 0; i < 2; i++)
        blockdev_close(&ch->dev[i].disk);
}

/* --- ATA command completion --- */

static void ata_done(IdeChannel *ch, IdeDevice *d)
{
    d->xfer = IDE_XFER_NONE;
    d->status = ST_DRDY | ST_DSC;
    ide_set_irq(ch);
}

static void ata_abort(IdeChannel *ch, IdeDevice *d)
{
    d->xfer = IDE_XFER_NONE;
    d->dma_pending = false;
    d->error = ERR_ABRT;
    d->status = ST_DRDY | ST_ERR;
    ide_set_irq(ch);
}

static bool is_lba48(uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_EXT: case CMD_WRITE_EXT: case CMD_READ_MULTIPLE_EXT:
    case CMD_WRITE_MULTIPLE_EXT: case CMD_READ_DMA_EXT: case CMD_WRITE_DMA_EXT:
    case CMD_VERIFY_EXT:
        return true;
    default:
        return false;
    }
}

/* Decode the address and count of a sector command; false if the address
 * is invalid (CHS out of range). */
static bool ata_decode_range(IdeDevice *d, bool lba48, uint64_t *lba, uint32_t *count)
{
    if (lba48) {
        *lba = (uint64_t)d->hob_lba_hi << 40 | (uint64_t)d->hob_lba_mid << 32 |
               (uint64_t)d->hob_lba_lo << 24 | (uint32_t)d->lba_hi << 16 |
               (uint32_t)d->lba_mid << 8 | d->lba_lo;
        *count = (uint32_t)d->hob_count << 8 | d->count;
        if (*count == 0)
            *count = 65536;
        return true;
    }
    *count = d->count ? d->count : 256;
    if (d->select & SEL_LBA) {
        *lba = (uint32_t)(d->select & 0x0F) << 24 | (uint32_t)d->lba_hi << 16 |
               (uint32_t)d->lba_mid << 8 | d->lba_lo;
        return true;
    }
    uint32_t cyl = (uint32_t)d->lba_hi << 8 | d->lba_mid;
    uint32_t head = d->select & 0x0F, sec = d->lba_lo;
    if (sec == 0 || sec > d->cur_spt || head >= d->cur_heads || !d->cur_spt)
        return false;
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + (sec - 1);
    return true;
}

/* Leave the task file naming the last sector handled, as ATA requires. */
static void ata_set_address(IdeDevice *d, uint64_t lba, bool lba48)
{
    if (lba48) {
        d->lba_lo = (uint8_t)lba;
        d->lba_mid = (uint8_t)(lba >> 8);
        d->lba_hi = (uint8_t)(lba >> 16);
        d->hob_lba_lo = (uint8_t)(lba >> 24);
        d->hob_lba_mid = (uint8_t)(lba >> 32);
        d->hob_lba_hi = (uint8_t)(lba >> 40);
    } else if (d->select & SEL_LBA) {
        d->lba_lo = (uint8_t)lba;
        d->lba_mid = (uint8_t)(lba >> 8);
        d->lba_hi = (uint8_t)(lba >> 16);
        d->select = (uint8_t)((d->select & 0xF0) | ((lba >> 24) & 0x0F));
    } else if (d->cur_spt && d->cur_heads) {
        uint32_t sec = (uint32_t)(lba % d->cur_spt) + 1;
        uint64_t t = lba / d->cur_spt;
        uint32_t head = (uint32_t)(t % d->cur_heads);
        uint32_t cyl = (uint32_t)(t / d->cur_heads);
        d->lba_lo = (uint8_t)sec;
        d->lba_mid = (uint8_t)cyl;
        d->lba_hi = (uint8_t)(cyl >> 8);
        d->select = (uint8_t)((d->select & 0xF0) | head);
    }
}

static void ata_media_error(IdeChannel *ch, IdeDevice *d, uint8_t err)
{
    ata_set_address(d, d->cur_lba, is_lba48(d->cmd));
    d->xfer = IDE_XFER_NONE;
    d->dma_pending = false;
    d->error = err;
    d->status = ST_DRDY | ST_ERR;
    ide_set_irq(ch);
}

/* Load the next PIO block of a read into the buffer and raise DRQ. */
static void ata_pio_read_block(IdeChannel *ch, IdeDevice *d)
{
    ch->activity++;
    uint32_t n = d->remaining < d->block ? d->remaining : d->block;
    if (!blockdev_read(&d->disk, (d->base_lba + d->cur_lba) * 512, d->buf, (size_t)n * 512)) {
        ata_media_error(ch, d, ERR_UNC);
        return;
    }
    d->buf_pos = 0;
    d->buf_len = n * 512;
    d->xfer = IDE_XFER_PIO_IN;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    ide_set_irq(ch);
}

static void ata_pio_write_block_ready(IdeDevice *d)
{
    uint32_t n = d->remaining < d->block ? d->remaining : d->block;
    d->buf_pos = 0;
    d->buf_len = n * 512;
    d->xfer = IDE_XFER_PIO_OUT;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* The guest has read the whole buffer (PIO in). */
static void ata_pio_in_done(IdeChannel *ch, IdeDevice *d)
{
    uint32_t n = d->buf_len / 512;
    d->cur_lba += n;
    d->remaining -= n;
    if (d->remaining) {
        ata_pio_read_block(ch, d);
        return;
    }
    ata_set_address(d, d->cur_lba - 1, is_lba48(d->cmd));
    d->xfer = IDE_XFER_NONE;
    d->status = ST_DRDY | ST_DSC;   /* no interrupt after the last read block */
}

/* The guest has filled the buffer (PIO out): write it. */
static void ata_pio_out_done(IdeChannel *ch, IdeDevice *d)
{
    ch->activity++;
    uint32_t n = d->buf_len / 512;
    if (!blockdev_write(&d->disk, (d->base_lba + d->cur_lba) * 512, d->buf, (size_t)n * 512)) {
        ata_media_error(ch, d, ERR_UNC);
        return;
    }
    d->cur_lba += n;
    d->remaining -= n;
    if (d->remaining) {
        ata_pio_write_block_ready(d);
        ide_set_irq(ch);
        return;
    }
    ata_set_address(d, d->cur_lba - 1, is_lba48(d->cmd));
    ata_done(ch, d);
}

/* --- bus-master DMA --- */

typedef struct PrdCursor {
    uint32_t table;     /* next PRD entry */
    uint32_t addr;      /* current region */
    uint32_t left;      /* bytes left in it */
    bool last;          /* current region is the last one */
    bool exhausted;
} PrdCursor;

static bool prd_next(IdeChannel *ch, PrdCursor *c)
{
    if (c->last) {
        c->exhausted = true;
        return false;
    }
    uint32_t addr = (uint32_t)phys_read(ch->mem, c->table, 4);
    uint32_t ctl = (uint32_t)phys_read(ch->mem, c->table + 4, 4);
    c->table += 8;
    c->addr = addr & ~1u;
    c->left = (ctl & 0xFFFE) ? (ctl & 0xFFFE) : 0x10000;
    c->last = (ctl & 0x80000000u) != 0;
    return true;
}

/* Move len bytes between buf and the PRD regions. Returns bytes moved. */
static uint32_t prd_copy(IdeChannel *ch, PrdCursor *c, uint8_t *buf, uint32_t len,
                         bool to_memory)
{
    uint32_t done = 0;
    while (done < len) {
        if (c->left == 0 && !prd_next(ch, c))
            break;
        uint32_t n = len - done < c->left ? len - done : c->left;
        if (to_memory)
            phys_write_block(ch->mem, c->addr, buf + done, n);
        else
            phys_read_block(ch->mem, c->addr, buf + done, n);
        c->addr += n;
        c->left -= n;
        done += n;
    }
    return done;
}

static void bm_finish(IdeChannel *ch, bool error)
{
    ch->bm_status &= (uint8_t)~BM_STATUS_ACTIVE;
    if (error)
        ch->bm_status |= BM_STATUS_ERROR;
}

static void ata_dma_run(IdeChannel *ch, IdeDevice *d)
{
    ch->activity++;
    PrdCursor c = { .table = ch->bm_prd & ~3u };
    d->dma_pending = false;
    while (d->remaining) {
        uint32_t n = d->remaining < IDE_BUF_SECTORS ? d->remaining : IDE_BUF_SECTORS;
        uint32_t bytes = n * 512;
        if (d->dma_write) {
            uint32_t got = prd_copy(ch, &c, d->buf, bytes, false);
            uint32_t whole = got / 512;
            if (whole && !blockdev_write(&d->disk, (d->base_lba + d->cur_lba) * 512, d->buf,
                                         (size_t)whole * 512)) {
                bm_finish(ch, true);
                ata_media_error(ch, d, ERR_UNC);
                return;
            }
            d->cur_lba += whole;
            d->remaining -= whole;
            if (got < bytes)
                break;
        } else {
            if (!blockdev_read(&d->disk, (d->base_lba + d->cur_lba) * 512, d->buf, bytes)) {
                bm_finish(ch, true);
                ata_media_error(ch, d, ERR_UNC);
                return;
            }
            uint32_t put = prd_copy(ch, &c, d->buf, bytes, true);
            d->cur_lba += put / 512;
            d->remaining -= put / 512;
            if (put < bytes)
                break;
        }
    }
    if (d->remaining) {
        /* The PRD table ended before the transfer: the controller stops
         * with an error, and the drive aborts the command. */
        log_event(LOG_GUEST_ERROR, "ide", "DMA PRD table shorter than the transfer by",
                  d->remaining, NULL);
        bm_finish(ch, true);
        ata_media_error(ch, d, ERR_ABRT);
        return;
    }
    ata_set_address(d, d->cur_lba - 1, is_lba48(d->cmd));
    bm_finish(ch, false);
    ata_done(ch, d);
}

static void dma_start_if_ready(IdeChannel *ch)
{
    IdeDevice *d = &ch->dev[ch->cur];
    if (!(ch->bm_cmd & BM_CMD_START) || !d->dma_pending)
        return;
    if (d->kind == IDE_CDROM)
        atapi_dma_run(ch, d);
    else
        ata_dma_run(ch, d);
}

uint32_t ide_bmdma_read(IdeChannel *ch, unsigned offset, unsigned size)
{
    uint32_t v;
    switch (offset & 7) {
    case 0: v = ch->bm_cmd; break;
    case 2: v = ch->bm_status; break;
    case 4: case 5: case 6: case 7:
        v = ch->bm_prd >> (8 * ((offset & 7) - 4));
        break;
    default: v = 0; break;
    }
    return size == 1 ? (v & 0xFF) : size == 2 ? (v & 0xFFFF) : v;
}

void ide_bmdma_write(IdeChannel *ch, unsigned offset, unsigned size, uint32_t value)
{
    switch (offset & 7) {
    case 0: {
        uint8_t old = ch->bm_cmd;
        ch->bm_cmd = (uint8_t)(value & (BM_CMD_START | BM_CMD_READ));
        if ((ch->bm_cmd & BM_CMD_START) && !(old & BM_CMD_START)) {
            ch->bm_status |= BM_STATUS_ACTIVE;
            dma_start_if_ready(ch);
        } else if (!(ch->bm_cmd & BM_CMD_START)) {
            ch->bm_status &= (uint8_t)~BM_STATUS_ACTIVE;
        }
        break;
    }
    case 2:
        /* Interrupt and error are write-one-to-clear; drive bits are R/W. */
        ch->bm_status = (uint8_t)((ch->bm_status & ~(value & (BM_STATUS_INTR | BM_STATUS_ERROR))) &
                                  ~(BM_STATUS_DRV0 | BM_STATUS_DRV1));
        ch->bm_status |= (uint8_t)(value & (BM_STATUS_DRV0 | BM_STATUS_DRV1));
        break;
    case 4: case 5: case 6: case 7: {
        unsigned sh = 8 * ((offset & 7) - 4);
        uint32_t mask = (size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu) << sh;
        ch->bm_prd = ((ch->bm_prd & ~mask) | ((value << sh) & mask)) & ~3u;
        break;
    }
    default:
        break;
    }
}

/* --- ATA commands --- */

static void ata_identify(IdeDevice *d, uint16_t *w)
{
    memset(w, 0, 512);
    uint64_t lba28 = d->sectors > 0x0FFFFFFF ? 0x0FFFFFFF : d->sectors;
    w[0] = 0x0040;   /* fixed device */
    w[1] = d->cyls;
    w[3] = d->heads;
    w[6] = d->spt;
    ide_put_string(w, 10, 10, "KAIRO0000000001");
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "KAIRO HARDDISK");
    w[47] = 0x8010;   /* READ/WRITE MULTIPLE: up to 16 sectors per block */
    w[49] = 0x0300;   /* LBA, DMA */
    w[51] = 0x0200;
    w[53] = 0x0007;   /* words 54-58, 64-70 and 88 valid */
    uint32_t cur_cap = (uint32_t)d->cur_heads * d->cur_spt * d->cyls;
    w[54] = d->cyls;
    w[55] = d->cur_heads;
    w[56] = d->cur_spt;
    w[57] = (uint16_t)cur_cap;
    w[58] = (uint16_t)(cur_cap >> 16);
    w[59] = d->mult_sectors ? (uint16_t)(0x100 | d->mult_sectors) : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = 0x0007 | ((d->xfer_mode >> 3) == 4 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
    w[64] = 0x0003;   /* PIO 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x00F0;   /* ATA-4 to ATA-7 */
    w[82] = 0x4000 | 0x0020;   /* NOP, write cache */
    w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400;   /* FLUSH EXT, FLUSH, LBA48 */
    w[84] = 0x4000;
    w[85] = 0x4000 | (d->write_cache ? 0x0020 : 0);
    w[86] = 0x2000 | 0x1000 | 0x0400;
    w[87] = 0x4000;
    w[88] = 0x003F | ((d->xfer_mode >> 3) == 8 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
    w[93] = 0x6000 | 0x0001;   /* 80-conductor cable, device 0 passed */
    w[100] = (uint16_t)d->sectors;
    w[101] = (uint16_t)(d->sectors >> 16);
    w[102] = (uint16_t)(d->sectors >> 32);
    w[103] = (uint16_t)(d->sectors >> 48);
}

static void pio_in_buffer(IdeChannel *ch, IdeDevice *d, uint32_t len)
{
    d->buf_pos = 0;
    d->buf_len = len;
    d->xfer = IDE_XFER_PIO_IN;
    d->remaining = 0;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    ide_set_irq(ch);
}

static void cmd_identify(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind == IDE_CDROM) {
        /* An ATAPI device aborts IDENTIFY DEVICE and shows its signature. */
        atapi_reset_signature(d);
        d->error = ERR_ABRT;
        d->status = ST_DRDY | ST_ERR;
        ide_set_irq(ch);
        return;
    }
    uint16_t w[256];
    ata_identify(d, w);
    for (int i = 0; i < 256; i++) {
        d->buf[2 * i] = (uint8_t)w[i];
        d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    d->cmd = CMD_IDENTIFY;
    d->block = 1;
    pio_in_buffer(ch, d, 512);
}

static void cmd_identify_packet(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind != IDE_CDROM) {
        ata_abort(ch, d);
        return;
    }
    uint16_t w[256];
    atapi_identify(d, w);
    for (int i = 0; i < 256; i++) {
        d->buf[2 * i] = (uint8_t)w[i];
        d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    pio_in_buffer(ch, d, 512);
}

static bool ata_start_range(IdeChannel *ch, IdeDevice *d)
{
    uint64_t lba = 0;
    uint32_t count;
    if (d->kind != IDE_DISK) {
        ata_abort(ch, d);
        return false;
    }
    if (!ata_decode_range(d, is_lba48(d->cmd), &lba, &count) || lba + count > d->sectors) {
        /* Past the end. Counted; logged (the first few) unless the disk is
         * a partition, whose owner (kairo-portd) logs the refusal with the
         * client and the time instead. */
        if (d->refused++ < 20 && !d->partition)
            fprintf(stderr, "kairo: ide %s: sectors %llu+%u past the disk's %llu refused (IDNF)\n",
                    ch->name ? ch->name : "?", (unsigned long long)lba, count,
                    (unsigned long long)d->sectors);
        d->cur_lba = lba;
        ata_media_error(ch, d, ERR_IDNF);
        return false;
    }
    d->cur_lba = lba;
    d->remaining = count;
    return true;
}

static void cmd_read_pio(IdeChannel *ch, IdeDevice *d, bool multiple)
{
    if (multiple && !d->mult_sectors) {
        ata_abort(ch, d);
        return;
    }
    if (!ata_start_range(ch, d))
        return;
    d->block = multiple ? d->mult_sectors : 1;
    ata_pio_read_block(ch, d);
}

static void cmd_write_pio(IdeChannel *ch, IdeDevice *d, bool multiple)
{
    if (multiple && !d->mult_sectors) {
        ata_abort(ch, d);
        return;
    }
    if (!ata_start_range(ch, d))
        return;
    if (d->disk.readonly) {
        ata_media_error(ch, d, ERR_ABRT);
        return;
    }
    d->block = multiple ? d->mult_sectors : 1;
    ata_pio_write_block_ready(d);   /* no interrupt before the first block */
}

static void cmd_dma(IdeChannel *ch, IdeDevice *d, bool write)
{
    if (!ata_start_range(ch, d))
        return;
    if (write && d->disk.readonly) {
        ata_media_error(ch, d, ERR_ABRT);
        return;
    }
    d->dma_pending = true;
    d->dma_write = write;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    dma_start_if_ready(ch);
}

static void cmd_verify(IdeChannel *ch, IdeDevice *d)
{
    if (!ata_start_range(ch, d))
        return;
    ata_set_address(d, d->cur_lba + d->remaining - 1, is_lba48(d->cmd));
    ata_done(ch, d);
}

static void cmd_set_multiple(IdeChannel *ch, IdeDevice *d)
{
    unsigned n = d->count;
    if (d->kind != IDE_DISK || n > 16 || (n & (n - 1))) {
        ata_abort(ch, d);
        return;
    }
    d->mult_sectors = (uint16_t)n;
    ata_done(ch, d);
}

static void cmd_init_params(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind != IDE_DISK) {
        ata_abort(ch, d);
        return;
    }
    d->cur_heads = (uint16_t)((d->select & 0x0F) + 1);
    d->cur_spt = d->count;
    ata_done(ch, d);
}

static void cmd_set_features(IdeChannel *ch, IdeDevice *d)
{
    switch (d->feature) {
    case 0x02: d->write_cache = true; break;
    case 0x82: d->write_cache = false; break;
    case 0x03:   /* transfer mode: PIO (0x08+n), MWDMA (0x20+n), UDMA (0x40+n) */
        d->xfer_mode = d->count;
        break;
    case 0x66: case 0xCC: case 0xAA: case 0x55: case 0x31: case 0x95:
        break;   /* defaults, look-ahead, media status: nothing to model */
    default:
        ide_log_once("SET FEATURES subcommand", d->feature);
        ata_abort(ch, d);
        return;
    }
    ata_done(ch, d);
}

static void cmd_flush(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind == IDE_DISK && !blockdev_flush(&d->disk)) {
        ata_media_error(ch, d, ERR_ABRT);
        return;
    }
    ata_done(ch, d);
}

static void cmd_read_native_max(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind != IDE_DISK) {
        ata_abort(ch, d);
        return;
    }
    bool ext = d->cmd == CMD_READ_NATIVE_MAX_EXT;
    ata_set_address(d, d->sectors - 1, ext);
    if (!ext)
        d->select |= SEL_LBA;
    ata_done(ch, d);
}

static void cmd_diagnostic(IdeChannel *ch)
{
    for (int i = 0; i < 2; i++)
        device_reset(&ch->dev[i]);
    ch->cur = 0;
    ide_set_irq(ch);
}

static void cmd_packet(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind != IDE_CDROM) {
        ata_abort(ch, d);
        return;
    }
    d->atapi_dma = d->feature & 1;
    d->byte_limit = (uint16_t)(d->lba_hi << 8 | d->lba_mid);
    d->buf_pos = 0;
    d->buf_len = 12;
    d->xfer = IDE_XFER_PACKET;
    d->count = IREASON_COD;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    /* No interrupt: the host polls for DRQ before sending the packet. */
}

static void cmd_device_reset(IdeChannel *ch, IdeDevice *d)
{
    if (d->kind != IDE_CDROM) {
        ata_abort(ch, d);
        return;
    }
    device_reset(d);
    (void)ch;
}

static void ata_command(IdeChannel *ch, uint8_t cmd)
{
    IdeDevice *d = &ch->dev[ch->cur];
    if (d->kind == IDE_NONE) {
        if (cmd == CMD_DIAGNOSTIC)
            cmd_diagnostic(ch);
        return;
    }
    ide_clear_irq(ch);
    d->cmd = cmd;
    d->error = 0;
    d->xfer = IDE_XFER_NONE;
    d->dma_pending = false;
    if (d->kind == IDE_CDROM && cmd != CMD_PACKET && cmd != CMD_IDENTIFY_PACKET &&
        cmd != CMD_DEVICE_RESET && cmd != CMD_IDENTIFY && cmd != CMD_DIAGNOSTIC &&
        cmd != CMD_SET_FEATURES && cmd != CMD_CHECK_POWER && cmd != CMD_IDLE_IMMEDIATE &&
        cmd != CMD_STANDBY_IMMEDIATE && cmd != CMD_NOP) {
        ata_abort(ch, d);
        return;
    }
    switch (cmd) {
    case CMD_IDENTIFY: cmd_identify(ch, d); break;
    case CMD_IDENTIFY_PACKET: cmd_identify_packet(ch, d); break;
    case CMD_READ: case CMD_READ_NORETRY: case CMD_READ_EXT: cmd_read_pio(ch, d, false); break;
    case CMD_READ_MULTIPLE: case CMD_READ_MULTIPLE_EXT: cmd_read_pio(ch, d, true); break;
    case CMD_WRITE: case CMD_WRITE_NORETRY: case CMD_WRITE_EXT: cmd_write_pio(ch, d, false); break;
    case CMD_WRITE_MULTIPLE: case CMD_WRITE_MULTIPLE_EXT: cmd_write_pio(ch, d, true); break;
    case CMD_READ_DMA: case CMD_READ_DMA_NORETRY: case CMD_READ_DMA_EXT: cmd_dma(ch, d, false); break;
    case CMD_WRITE_DMA: case CMD_WRITE_DMA_NORETRY: case CMD_WRITE_DMA_EXT: cmd_dma(ch, d, true); break;
    case CMD_VERIFY: case CMD_VERIFY_NORETRY: case CMD_VERIFY_EXT: cmd_verify(ch, d); break;
    case CMD_SET_MULTIPLE: cmd_set_multiple(ch, d); break;
    case CMD_INIT_PARAMS: cmd_init_params(ch, d); break;
    case CMD_SET_FEATURES: cmd_set_features(ch, d); break;
    case CMD_FLUSH: case CMD_FLUSH_EXT: cmd_flush(ch, d); break;
    case CMD_READ_NATIVE_MAX: case CMD_READ_NATIVE_MAX_EXT: cmd_read_native_max(ch, d); break;
    case CMD_DIAGNOSTIC: cmd_diagnostic(ch); break;
    case CMD_PACKET: cmd_packet(ch, d); break;
    case CMD_DEVICE_RESET: cmd_device_reset(ch, d); break;
    case CMD_SEEK: case CMD_IDLE_IMMEDIATE: case CMD_STANDBY_IMMEDIATE: case CMD_IDLE:
    case CMD_STANDBY: case CMD_SLEEP:
        ata_done(ch, d);
        break;
    case CMD_CHECK_POWER:
        d->count = 0xFF;   /* active or idle */
        ata_done(ch, d);
        break;
    default:
        if ((cmd & 0xF0) == CMD_RECALIBRATE) {
            ata_done(ch, d);
            break;
        }
        ide_log_once("unimplemented ATA command", cmd);
        ata_abort(ch, d);
        break;
    }
}

/* --- data register --- */

static uint32_t data_read(IdeChannel *ch, unsigned size)
{
    IdeDevice *d = &ch->dev[ch->cur];
    if (d->xfer != IDE_XFER_PIO_IN)
        return size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && d->buf_pos < d->buf_len; i++)
        v |= (uint32_t)d->buf[d->buf_pos++] << (8 * i);
    if (d->buf_pos >= d->buf_len) {
        if (d->kind == IDE_CDROM && d->cmd == CMD_PACKET)
            atapi_pio_chunk_done(ch, d);
        else if (d->cmd == CMD_IDENTIFY || d->remaining == 0) {
            d->xfer = IDE_XFER_NONE;
            d->status = ST_DRDY | ST_DSC;
        } else
            ata_pio_in_done(ch, d);
    }
    return v;
}

static void data_write(IdeChannel *ch, unsigned size, uint32_t v)
{
    IdeDevice *d = &ch->dev[ch->cur];
    if (d->xfer != IDE_XFER_PIO_OUT && d->xfer != IDE_XFER_PACKET)
        return;
    for (unsigned i = 0; i < size && d->buf_pos < d->buf_len; i++)
        d->buf[d->buf_pos++] = (uint8_t)(v >> (8 * i));
    if (d->buf_pos < d->buf_len)
        return;
    if (d->xfer == IDE_XFER_PACKET) {
        memcpy(d->packet, d->buf, 12);
        d->xfer = IDE_XFER_NONE;
        atapi_packet_received(ch, d);
    } else {
        ata_pio_out_done(ch, d);
    }
}

/* --- task file --- */

static bool channel_empty(const IdeChannel *ch)
{
    return ch->dev[0].kind == IDE_NONE && ch->dev[1].kind == IDE_NONE;
}

uint32_t ide_cmd_read(void *opaque, uint16_t port, unsigned size)
{
    IdeChannel *ch = opaque;
    unsigned reg = port & 7;
    if (reg == 0)
        return data_read(ch, size);
    IdeDevice *d = &ch->dev[ch->cur];
    bool hob = ch->devctl & DEVCTL_HOB;
    if (channel_empty(ch))
        return 0xFF;
    if (d->kind == IDE_NONE) {
        /* An absent slave: the master answers the task file reads except
         * status, which reads 0 (no device). */
        return reg == 6 ? d->select : 0;
    }
    switch (reg) {
    case 1: return hob ? d->hob_feature : d->error;
    case 2: return hob ? d->hob_count : d->count;
    case 3: return hob ? d->hob_lba_lo : d->lba_lo;
    case 4: return hob ? d->hob_lba_mid : d->lba_mid;
    case 5: return hob ? d->hob_lba_hi : d->lba_hi;
    case 6: return d->select;
    default:
        ide_clear_irq(ch);
        return d->status;
    }
}

void ide_cmd_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    IdeChannel *ch = opaque;
    unsigned reg = port & 7;
    if (reg == 0) {
        data_write(ch, size, value);
        return;
    }
    uint8_t v = (uint8_t)value;
    ch->devctl &= (uint8_t)~DEVCTL_HOB;   /* any task-file write clears HOB */
    if (reg == 7) {
        ata_command(ch, v);
        return;
    }
    /* Both devices latch task-file writes. */
    for (int i = 0; i < 2; i++) {
        IdeDevice *d = &ch->dev[i];
        switch (reg) {
        case 1: d->hob_feature = d->feature; d->feature = v; break;
        case 2: d->hob_count = d->count; d->count = v; break;
        case 3: d->hob_lba_lo = d->lba_lo; d->lba_lo = v; break;
        case 4: d->hob_lba_mid = d->lba_mid; d->lba_mid = v; break;
        case 5: d->hob_lba_hi = d->lba_hi; d->lba_hi = v; break;
        case 6: d->select = v | 0xA0; break;
        default: break;
        }
    }
    if (reg == 6)
        ch->cur = (v >> 4) & 1;
}

uint32_t ide_ctl_read(void *opaque, uint16_t port, unsigned size)
{
    IdeChannel *ch = opaque;
    (void)port;
    (void)size;
    if (channel_empty(ch))
        return 0xFF;
    const IdeDevice *d = &ch->dev[ch->cur];
    return d->kind == IDE_NONE ? 0 : d->status;   /* alternate status: no IRQ side effect */
}

void ide_ctl_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    IdeChannel *ch = opaque;
    (void)port;
    (void)size;
    uint8_t old = ch->devctl;
    ch->devctl = (uint8_t)value;
    if ((value & DEVCTL_SRST) && !(old & DEVCTL_SRST)) {
        for (int i = 0; i < 2; i++) {
            ch->dev[i].status = ST_BSY;
            ch->dev[i].xfer = IDE_XFER_NONE;
        }
    } else if (!(value & DEVCTL_SRST) && (old & DEVCTL_SRST)) {
        for (int i = 0; i < 2; i++)
            device_reset(&ch->dev[i]);
        ch->cur = 0;
    }
    ide_update_irq(ch);
}

bool ide_register(IdeChannel *ch, PortBus *bus, const char *slot, uint16_t cmd_base,
                  uint16_t ctl_port, int irq)
{
    static const PortOps cmd_ops = { ide_cmd_read, ide_cmd_write, true };
    static const PortOps ctl_ops = { ide_ctl_read, ide_ctl_write, false };
    int s = portbus_add_slot(bus, slot, &cmd_ops, ch);
    if (s < 0 || !portbus_map(bus, s, cmd_base, 8))
        return false;
    portbus_slot_irq(bus, s, irq);
    char ctl_name[16];
    snprintf(ctl_name, sizeof ctl_name, "%s-ctl", slot);
    int c = portbus_add_slot(bus, ctl_name, &ctl_ops, ch);
    return c >= 0 && portbus_map(bus, c, ctl_port, 1);
}
