/* SPDX-License-Identifier: MIT */
/* 82077AA floppy disk controller (see fdc.h).
 *
 * Commands complete at once: a seek or a sector transfer raises IRQ 6
 * during the OUT that started it, which the guest sees after that
 * instruction, like a very fast drive. Data moves by DMA (channel 2) or,
 * in non-DMA mode, through the FIFO a byte at a time. */
#include "iodev/fdc.h"
#include "debug/log.h"

#include <stdio.h>
#include <string.h>

/* Main status register */
#define MSR_RQM 0x80u
#define MSR_DIO 0x40u   /* controller to CPU */
#define MSR_NDM 0x20u   /* non-DMA execution phase */
#define MSR_CB  0x10u

/* DOR */
#define DOR_SEL     0x03u
#define DOR_NRESET  0x04u
#define DOR_DMA_IRQ 0x08u

/* Status register bits */
#define ST0_ABNORMAL 0x40u
#define ST0_INVALID  0x80u
#define ST0_SEEK_END 0x20u
#define ST1_EN 0x80u    /* end of cylinder */
#define ST1_ND 0x04u    /* no data */
#define ST1_NW 0x02u    /* not writable */
#define ST1_MA 0x01u
#define ST3_WP 0x40u
#define ST3_RDY 0x20u
#define ST3_T0 0x10u
#define ST3_TS 0x08u    /* two-sided */

#define SECTOR 512

static void fdc_log_once(const char *what, unsigned detail)
{
    log_event(LOG_UNIMP, "fdc", what, detail, NULL);
}

static void update_irq(Fdc *f, bool level)
{
    f->irq_level = level;
    irq_set(&f->hooks.irq, level && (f->dor & DOR_DMA_IRQ));
}

static void raise_irq(Fdc *f)
{
    update_irq(f, true);
}

static void lower_irq(Fdc *f)
{
    update_irq(f, false);
}

/* --- geometry --- */

/* QEMU's floppy format table (hw/block/fdc: sectors, tracks, heads per
 * drive class), up to 2.88M. An image takes the first format of its exact
 * size, else the smallest larger one (sectors past its end read as zeros,
 * as QEMU reads them). CMOS types: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M. */
static const struct {
    uint8_t sectors, tracks, heads, cmos;
} floppy_formats[] = {
    { 18, 80, 2, 4 }, { 20, 80, 2, 4 }, { 21, 80, 2, 4 }, { 21, 82, 2, 4 },
    { 21, 83, 2, 4 }, { 22, 80, 2, 4 }, { 23, 80, 2, 4 }, { 24, 80, 2, 4 },
    { 36, 80, 2, 5 },
    { 9, 80, 2, 3 },  { 10, 80, 2, 3 }, { 10, 82, 2, 3 }, { 10, 83, 2, 3 },
    { 13, 80, 2, 3 }, { 14, 80, 2, 3 },
    { 15, 80, 2, 2 }, { 18, 82, 2, 2 }, { 18, 83, 2, 2 }, { 11, 80, 2, 2 },
    { 9, 40, 2, 1 },  { 9, 40, 1, 1 },  { 10, 41, 2, 1 }, { 10, 42, 2, 1 },
    { 8, 40, 2, 1 },  { 8, 40, 1, 1 },
};

#define FLOPPY_FORMATS (sizeof floppy_formats / sizeof floppy_formats[0])

static uint64_t format_bytes(size_t i)
{
    return (uint64_t)floppy_formats[i].sectors * floppy_formats[i].tracks *
           floppy_formats[i].heads * SECTOR;
}

/* The format for an image of size bytes, or -1 above 2.88M. */
static int floppy_format_for(uint64_t size)
{
    int best = -1;
    for (size_t i = 0; i < FLOPPY_FORMATS; i++) {
        if (format_bytes(i) == size)
            return (int)i;
        if (format_bytes(i) > size && (best < 0 || format_bytes(i) < format_bytes((size_t)best)))
            best = (int)i;
    }
    return best;
}

bool fdc_attach(Fdc *f, int drive, const char *path, bool readonly, char *err, size_t errlen)
{
    FdcDrive *d = &f->drive[drive & 1];
    BlockDev bd;
    if (!blockdev_open(&bd, path, readonly, true, err, errlen))
        return false;
    int i = floppy_format_for(bd.size);
    if (i < 0) {
        snprintf(err, errlen, "floppy image '%s' has %llu bytes, more than a 2.88M floppy",
                 path, (unsigned long long)bd.size);
        blockdev_close(&bd);
        return false;
    }
    blockdev_close(&d->disk);
    d->disk = bd;
    d->tracks = floppy_formats[i].tracks;
    d->heads = floppy_formats[i].heads;
    d->sectors = floppy_formats[i].sectors;
    d->cmos_type = floppy_formats[i].cmos;
    d->media_changed = true;
    return true;
}

uint8_t fdc_cmos_types(const Fdc *f)
{
    return (uint8_t)((f->drive[0].cmos_type << 4) | f->drive[1].cmos_type);
}

void fdc_flush(Fdc *f)
{
    for (int i = 0; i < 2; i++)
        blockdev_flush(&f->drive[i].disk);
}

void fdc_close(Fdc *f)
{
    for (int i = 0; i < 2; i++)
        blockdev_close(&f->drive[i].disk);
}

/* --- phases --- */

static void enter_command_phase(Fdc *f)
{
    f->phase = FDC_PHASE_CMD;
    f->cmd_len = 0;
    f->cmd_need = 0;
}

static void enter_result_phase(Fdc *f, const uint8_t *res, int n, bool irq)
{
    memcpy(f->res, res, (size_t)n);
    f->res_len = n;
    f->res_pos = 0;
    f->phase = FDC_PHASE_RESULT;
    if (irq)
        raise_irq(f);
}

static void result_invalid(Fdc *f)
{
    uint8_t r = ST0_INVALID;
    enter_result_phase(f, &r, 1, false);
}

/* --- sector transfer commands --- */

typedef struct Xfer {
    int drive;
    uint8_t c, h, r, n, eot;
    bool mt;
    uint8_t head_bit;   /* the head select bit of command byte 1 */
} Xfer;

static void xfer_result(Fdc *f, const Xfer *x, uint8_t st0, uint8_t st1, uint8_t st2)
{
    uint8_t res[7] = { (uint8_t)(st0 | x->head_bit << 2 | x->drive), st1, st2, x->c, x->h,
                       x->r, x->n };
    enter_result_phase(f, res, 7, true);
}

/* Step the sector ID past the one just transferred. Returns false at the
 * end of the cylinder (the last sector of the last head used). */
static bool xfer_next_sector(Xfer *x)
{
    if (x->r < x->eot) {
        x->r++;
        return true;
    }
    x->r = 1;
    if (x->mt && x->h == 0) {
        x->h = 1;
        x->head_bit = 1;
        return true;
    }
    if (x->mt)
        x->h = 0;
    x->c++;
    return false;
}

/* Image offset of the current sector, or -1 when it does not exist. */
static long long xfer_offset(const Fdc *f, const Xfer *x)
{
    const FdcDrive *d = &f->drive[x->drive];
    if (!blockdev_present(&d->disk) || x->n != 2 || x->r == 0 || x->r > d->sectors ||
        x->c >= d->tracks || x->h >= d->heads)
        return -1;
    return (((long long)x->c * d->heads + x->h) * d->sectors + (x->r - 1)) * SECTOR;
}

static Xfer xfer_decode(const Fdc *f)
{
    Xfer x = {
        .drive = f->cmd[1] & 1,
        .head_bit = (uint8_t)((f->cmd[1] >> 2) & 1),
        .c = f->cmd[2], .h = f->cmd[3], .r = f->cmd[4], .n = f->cmd[5], .eot = f->cmd[6],
        .mt = (f->cmd[0] & 0x80) != 0,
    };
    return x;
}

static bool dma_mode(const Fdc *f)
{
    return !(f->spec2 & 1);
}

/* A sector of the image; past the end of a short image, zeros. */
static bool sector_read(FdcDrive *d, uint64_t off, uint8_t *buf)
{
    uint64_t have = off < d->disk.size ? d->disk.size - off : 0;
    size_t n = have < SECTOR ? (size_t)have : SECTOR;
    memset(buf + n, 0, SECTOR - n);
    return n == 0 || blockdev_read(&d->disk, off, buf, n);
}

static void cmd_read_data(Fdc *f)
{
    f->activity++;
    Xfer x = xfer_decode(f);
    FdcDrive *d = &f->drive[x.drive];
    d->cyl = x.c;
    uint8_t buf[SECTOR];
    f->pio_len = 0;
    for (;;) {
        long long off = xfer_offset(f, &x);
        if (off < 0 || !sector_read(d, (uint64_t)off, buf)) {
            xfer_result(f, &x, ST0_ABNORMAL, ST1_ND, 0);
            return;
        }
        bool tc = false;
        if (dma_mode(f)) {
            int moved = f->hooks.dma_transfer ? f->hooks.dma_transfer(f->hooks.opaque, buf,
                                                                       SECTOR, true, &tc)
                                              : 0;
            if (moved < SECTOR)
                tc = true;
        } else {
            memcpy(f->pio_buf + f->pio_len, buf, SECTOR);
            f->pio_len += SECTOR;
            tc = f->pio_len + SECTOR > FDC_PIO_MAX;
        }
        bool more = xfer_next_sector(&x);
        if (tc || !more) {
            /* TC at the end of the cylinder is a normal end too. */
            uint8_t st0 = 0, st1 = 0;
            if (!tc && !dma_mode(f)) {
                st0 = 0;
            } else if (!tc) {
                st0 = ST0_ABNORMAL;
                st1 = ST1_EN;
            }
            if (!dma_mode(f)) {
                f->phase = FDC_PHASE_PIO_READ;
                f->pio_pos = 0;
                f->pio_drive = (uint8_t)x.drive;
                memcpy(f->res, (uint8_t[7]){ (uint8_t)(x.head_bit << 2 | x.drive), 0, 0, x.c,
                                             x.h, x.r, x.n }, 7);
                f->res_len = 7;
                return;
            }
            xfer_result(f, &x, st0, st1, 0);
            return;
        }
    }
}

static void cmd_write_data(Fdc *f)
{
    f->activity++;
    Xfer x = xfer_decode(f);
    FdcDrive *d = &f->drive[x.drive];
    d->cyl = x.c;
    if (d->disk.readonly && blockdev_present(&d->disk)) {
        xfer_result(f, &x, ST0_ABNORMAL, ST1_NW, 0);
        return;
    }
    if (!dma_mode(f)) {
        /* Collect the data through the FIFO first, then write it. */
        f->phase = FDC_PHASE_PIO_WRITE;
        f->pio_pos = 0;
        int n = 0;
        Xfer y = x;
        do {
            n++;
        } while (n * SECTOR < FDC_PIO_MAX && xfer_next_sector(&y));
        f->pio_len = n * SECTOR;
        return;
    }
    uint8_t buf[SECTOR];
    for (;;) {
        long long off = xfer_offset(f, &x);
        if (off < 0) {
            xfer_result(f, &x, ST0_ABNORMAL, ST1_ND, 0);
            return;
        }
        bool tc = false;
        int moved = f->hooks.dma_transfer ? f->hooks.dma_transfer(f->hooks.opaque, buf, SECTOR,
                                                                   false, &tc)
                                          : 0;
        if (moved < SECTOR) {
            memset(buf + moved, 0, (size_t)(SECTOR - moved));
            tc = true;
        }
        if (!blockdev_write(&d->disk, (uint64_t)off, buf, SECTOR)) {
            /* The image could not take it: the guest sees a write fault. */
            xfer_result(f, &x, ST0_ABNORMAL, ST1_NW, 0);
            return;
        }
        bool more = xfer_next_sector(&x);
        if (tc || !more) {
            xfer_result(f, &x, tc ? 0 : ST0_ABNORMAL, tc ? 0 : ST1_EN, 0);
            return;
        }
    }
}

/* Non-DMA write: the FIFO has collected pio_len bytes. */
static void pio_write_commit(Fdc *f)
{
    Xfer x = xfer_decode(f);
    FdcDrive *d = &f->drive[x.drive];
    for (int pos = 0; pos < f->pio_len; pos += SECTOR) {
        long long off = xfer_offset(f, &x);
        if (off < 0) {
            xfer_result(f, &x, ST0_ABNORMAL, ST1_ND, 0);
            return;
        }
        if (!blockdev_write(&d->disk, (uint64_t)off, f->pio_buf + pos, SECTOR)) {
            xfer_result(f, &x, ST0_ABNORMAL, ST1_NW, 0);
            return;
        }
        xfer_next_sector(&x);
    }
    xfer_result(f, &x, 0, 0, 0);
}

static void cmd_format_track(Fdc *f)
{
    f->activity++;
    int drive = f->cmd[1] & 1;
    uint8_t head = (uint8_t)((f->cmd[1] >> 2) & 1);
    uint8_t n = f->cmd[2], sc = f->cmd[3], fill = f->cmd[5];
    FdcDrive *d = &f->drive[drive];
    Xfer x = { .drive = drive, .head_bit = head, .c = d->cyl, .h = head, .r = 1, .n = n,
               .eot = sc };
    if (d->disk.readonly && blockdev_present(&d->disk)) {
        xfer_result(f, &x, ST0_ABNORMAL, ST1_NW, 0);
        return;
    }
    if (!dma_mode(f)) {
        fdc_log_once("FORMAT TRACK in non-DMA mode unsupported", f->cmd[0]);
        xfer_result(f, &x, ST0_ABNORMAL, ST1_ND, 0);
        return;
    }
    uint8_t sector[SECTOR];
    memset(sector, fill, sizeof sector);
    for (int i = 0; i < sc; i++) {
        uint8_t id[4];
        bool tc = false;
        int moved = f->hooks.dma_transfer ? f->hooks.dma_transfer(f->hooks.opaque, id, 4,
                                                                   false, &tc)
                                          : 0;
        if (moved < 4)
            break;
        x.c = id[0];
        x.h = id[1];
        x.r = id[2];
        x.n = id[3];
        long long off = xfer_offset(f, &x);
        if (off < 0 || !blockdev_write(&d->disk, (uint64_t)off, sector, SECTOR)) {
            xfer_result(f, &x, ST0_ABNORMAL, ST1_ND, 0);
            return;
        }
        if (tc)
            break;
    }
    xfer_result(f, &x, 0, 0, 0);
}

/* --- positioning --- */

static void seek_done(Fdc *f, int drive, uint8_t cyl)
{
    FdcDrive *d = &f->drive[drive];
    d->cyl = cyl;
    /* A step pulse with a disk in the drive clears the change line. */
    if (blockdev_present(&d->disk))
        d->media_changed = false;
    f->sense_pending = true;
    f->sense_st0 = (uint8_t)(ST0_SEEK_END | drive | ((f->cmd[1] >> 2) & 1) << 2);
    f->sense_pcn = cyl;
    enter_command_phase(f);
    raise_irq(f);
}

static void cmd_recalibrate(Fdc *f)
{
    seek_done(f, f->cmd[1] & 1, 0);
}

static void cmd_seek(Fdc *f)
{
    seek_done(f, f->cmd[1] & 1, f->cmd[2]);
}

static void cmd_sense_interrupt(Fdc *f)
{
    lower_irq(f);
    if (f->reset_polls > 0) {
        int drive = 4 - f->reset_polls--;
        uint8_t res[2] = { (uint8_t)(0xC0 | drive), drive < 2 ? f->drive[drive].cyl : 0 };
        enter_result_phase(f, res, 2, false);
        return;
    }
    if (!f->sense_pending) {
        result_invalid(f);
        return;
    }
    f->sense_pending = false;
    uint8_t res[2] = { f->sense_st0, f->sense_pcn };
    enter_result_phase(f, res, 2, false);
}

static void cmd_sense_drive(Fdc *f)
{
    int drive = f->cmd[1] & 1;
    const FdcDrive *d = &f->drive[drive];
    uint8_t st3 = (uint8_t)(drive | (f->cmd[1] & 4) | ST3_RDY);
    if (d->cyl == 0)
        st3 |= ST3_T0;
    if (d->heads == 2)
        st3 |= ST3_TS;
    if (d->disk.readonly || !blockdev_present(&d->disk))
        st3 |= ST3_WP;
    enter_result_phase(f, &st3, 1, false);
}

static void cmd_read_id(Fdc *f)
{
    int drive = f->cmd[1] & 1;
    uint8_t head = (uint8_t)((f->cmd[1] >> 2) & 1);
    const FdcDrive *d = &f->drive[drive];
    Xfer x = { .drive = drive, .head_bit = head, .c = d->cyl, .h = head, .r = 1, .n = 2 };
    if (!blockdev_present(&d->disk))
        xfer_result(f, &x, ST0_ABNORMAL, ST1_MA, 0);
    else
        xfer_result(f, &x, 0, 0, 0);
}

/* --- configuration --- */

static void cmd_specify(Fdc *f)
{
    f->spec1 = f->cmd[1];
    f->spec2 = f->cmd[2];
    enter_command_phase(f);
}

static void cmd_configure(Fdc *f)
{
    f->config = f->cmd[2];
    f->pretrk = f->cmd[3];
    enter_command_phase(f);
}

static void cmd_version(Fdc *f)
{
    uint8_t r = 0x90;   /* 82077AA */
    enter_result_phase(f, &r, 1, false);
}

static void cmd_lock(Fdc *f)
{
    f->lock = (f->cmd[0] & 0x80) != 0;
    uint8_t r = (uint8_t)(f->lock ? 0x10 : 0);
    enter_result_phase(f, &r, 1, false);
}

static void cmd_dumpreg(Fdc *f)
{
    uint8_t r[10] = { f->drive[0].cyl, f->drive[1].cyl, 0, 0, f->spec1, f->spec2,
                      f->drive[f->dor & 1].sectors, (uint8_t)((f->lock ? 0x80 : 0) | f->perpendicular),
                      f->config, f->pretrk };
    enter_result_phase(f, r, 10, false);
}

static void cmd_perpendicular(Fdc *f)
{
    f->perpendicular = f->cmd[1] & 0x7F;
    enter_command_phase(f);
}

static void cmd_unsupported(Fdc *f)
{
    fdc_log_once("unsupported command", f->cmd[0]);
    result_invalid(f);
}

/* Commands by their low five bits: parameter bytes and handler. */
typedef struct FdcCommand {
    uint8_t params;
    void (*run)(Fdc *f);
} FdcCommand;

static const FdcCommand fdc_commands[32] = {
    [0x02] = { 8, cmd_read_data },      /* READ TRACK: read from sector 1 on */
    [0x03] = { 2, cmd_specify },
    [0x04] = { 1, cmd_sense_drive },
    [0x05] = { 8, cmd_write_data },
    [0x06] = { 8, cmd_read_data },
    [0x07] = { 1, cmd_recalibrate },
    [0x08] = { 0, cmd_sense_interrupt },
    [0x09] = { 8, cmd_unsupported },    /* WRITE DELETED DATA */
    [0x0A] = { 1, cmd_read_id },
    [0x0C] = { 8, cmd_read_data },      /* READ DELETED DATA: no deleted marks exist */
    [0x0D] = { 5, cmd_format_track },
    [0x0E] = { 0, cmd_dumpreg },
    [0x0F] = { 2, cmd_seek },
    [0x10] = { 0, cmd_version },
    [0x11] = { 8, cmd_unsupported },    /* SCAN EQUAL */
    [0x12] = { 1, cmd_perpendicular },
    [0x13] = { 3, cmd_configure },
    [0x14] = { 0, cmd_lock },
    [0x19] = { 8, cmd_unsupported },    /* SCAN LOW OR EQUAL */
    [0x1D] = { 8, cmd_unsupported },    /* SCAN HIGH OR EQUAL */
};

static bool command_valid(uint8_t op)
{
    uint8_t low = op & 0x1F;
    if (!fdc_commands[low].run)
        return false;
    /* Opcodes whose upper bits are not MT/MFM/SK flags must match exactly. */
    switch (low) {
    case 0x03: case 0x04: case 0x07: case 0x08: case 0x0E: case 0x0F: case 0x10:
    case 0x12: case 0x13:
        return op == low;
    case 0x14:
        return op == 0x14 || op == 0x94;
    default:
        return true;
    }
}

static void fifo_write(Fdc *f, uint8_t v)
{
    switch (f->phase) {
    case FDC_PHASE_PIO_WRITE:
        f->pio_buf[f->pio_pos++] = v;
        if (f->pio_pos >= f->pio_len)
            pio_write_commit(f);
        return;
    case FDC_PHASE_CMD:
        break;
    default:
        /* A byte while results are pending starts over, as a reset would
         * be needed on the real chip; be forgiving and take it as a command. */
        enter_command_phase(f);
        break;
    }
    if (f->cmd_len == 0) {
        if (!command_valid(v)) {
            f->cmd[0] = v;
            result_invalid(f);
            return;
        }
        /* Any command but SENSE INTERRUPT ends the reset's polling
         * statuses still unread, as on the 82077AA (and in QEMU). */
        if ((v & 0x1F) != 0x08) {
            lower_irq(f);
            f->reset_polls = 0;
        }
        f->cmd_need = 1 + fdc_commands[v & 0x1F].params;
    }
    f->cmd[f->cmd_len++] = v;
    if (f->cmd_len == f->cmd_need) {
        f->cmd_len = 0;
        fdc_commands[f->cmd[0] & 0x1F].run(f);
    }
}

static uint8_t fifo_read(Fdc *f)
{
    if (f->phase == FDC_PHASE_PIO_READ) {
        uint8_t v = f->pio_buf[f->pio_pos++];
        if (f->pio_pos >= f->pio_len) {
            uint8_t res[7];
            memcpy(res, f->res, 7);
            enter_result_phase(f, res, 7, true);
        }
        return v;
    }
    if (f->phase != FDC_PHASE_RESULT)
        return 0xFF;
    if (f->res_pos == 0)
        lower_irq(f);
    uint8_t v = f->res[f->res_pos++];
    if (f->res_pos >= f->res_len)
        enter_command_phase(f);
    return v;
}

static uint8_t main_status(const Fdc *f)
{
    switch (f->phase) {
    case FDC_PHASE_RESULT: return MSR_RQM | MSR_DIO | MSR_CB;
    case FDC_PHASE_PIO_READ: return MSR_RQM | MSR_DIO | MSR_NDM | MSR_CB;
    case FDC_PHASE_PIO_WRITE: return MSR_RQM | MSR_NDM | MSR_CB;
    default: return (uint8_t)(MSR_RQM | (f->cmd_len ? MSR_CB : 0));
    }
}

/* Controller reset (DOR bit 2 low, or DSR bit 7): registers to their reset
 * state, and the chip reports a polling interrupt for each drive. */
static void controller_reset(Fdc *f)
{
    enter_command_phase(f);
    f->sense_pending = false;
    f->pio_len = f->pio_pos = 0;
    if (!f->lock) {
        f->config = 0x20;   /* FIFO disabled, polling enabled */
        f->pretrk = 0;
    }
    f->perpendicular = 0;
    f->reset_polls = 4;
    raise_irq(f);
}

void fdc_reset(Fdc *f)
{
    f->dor = DOR_NRESET | DOR_DMA_IRQ;
    f->tdr = 0;
    f->dsr = 0x02;
    f->ccr = 0x02;
    f->spec1 = f->spec2 = 0;
    f->lock = false;
    /* The machine's reset is not a controller reset by the guest: no
     * polling interrupt (the BIOS resets the controller itself). */
    enter_command_phase(f);
    f->sense_pending = false;
    f->pio_len = f->pio_pos = 0;
    f->config = 0x20;
    f->pretrk = 0;
    f->perpendicular = 0;
    f->reset_polls = 0;
    lower_irq(f);
}

void fdc_init(Fdc *f, const FdcHooks *hooks)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 2; i++)
        blockdev_init_empty(&f->drive[i].disk);
    if (hooks)
        f->hooks = *hooks;
    fdc_reset(f);
}

uint32_t fdc_port_read(void *opaque, uint16_t port, unsigned size)
{
    Fdc *f = opaque;
    (void)size;
    switch (port & 7) {
    case 0: return 0xFF;   /* SRA/SRB exist only in PS/2 mode */
    case 1: return 0xFF;
    case 2: return f->dor;
    case 3: return f->tdr;
    case 4: return main_status(f);
    case 5: return fifo_read(f);
    case 7: return f->drive[f->dor & 1].media_changed ? 0x80 : 0x00;
    default: return 0xFF;
    }
}

void fdc_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Fdc *f = opaque;
    uint8_t v = (uint8_t)value;
    (void)size;
    switch (port & 7) {
    case 2: {
        uint8_t old = f->dor;
        f->dor = v;
        if (!(v & DOR_NRESET)) {
            lower_irq(f);
        } else if (!(old & DOR_NRESET)) {
            controller_reset(f);
        } else {
            update_irq(f, f->irq_level);   /* DMA/IRQ gate may have changed */
        }
        break;
    }
    case 3:
        f->tdr = v & 3;
        break;
    case 4:
        f->dsr = v & 0x7F;
        if (v & 0x80)
            controller_reset(f);
        break;
    case 5:
        if (f->dor & DOR_NRESET)
            fifo_write(f, v);
        break;
    case 7:
        f->ccr = v & 3;
        break;
    default:
        break;
    }
}

bool fdc_register(Fdc *f, PortBus *bus)
{
    static const PortOps ops = { fdc_port_read, fdc_port_write, false };
    int slot = portbus_add_slot(bus, "fdc", &ops, f);
    if (slot < 0)
        return false;
    portbus_slot_irq(bus, slot, 6);
    /* 0x3F6 belongs to the IDE channel's alternate status. */
    return portbus_map(bus, slot, 0x3F0, 6) && portbus_map(bus, slot, 0x3F7, 1);
}

/* --- machine state --- */

static const StateField fdc_fields[] = {
    SF_EACH(Fdc, drive, cyl, SF_U8, 2),
    SF_EACH(Fdc, drive, media_changed, SF_BOOL, 2),
    SF_FIELD(Fdc, dor, SF_U8),
    SF_FIELD_MAX(Fdc, tdr, SF_U8, 3),
    SF_FIELD_MAX(Fdc, dsr, SF_U8, 0x7F),
    SF_FIELD_MAX(Fdc, ccr, SF_U8, 3),
    SF_FIELD_MAX(Fdc, phase, SF_U32, FDC_PHASE_RESULT),
    SF_BLOB(Fdc, cmd),
    SF_FIELD_MAX(Fdc, cmd_len, SF_U32, sizeof(((Fdc *)0)->cmd)),
    SF_FIELD_MAX(Fdc, cmd_need, SF_U32, sizeof(((Fdc *)0)->cmd)),
    SF_BLOB(Fdc, res),
    SF_FIELD_MAX(Fdc, res_len, SF_U32, sizeof(((Fdc *)0)->res)),
    SF_FIELD_MAX(Fdc, res_pos, SF_U32, sizeof(((Fdc *)0)->res)),
    SF_FIELD(Fdc, irq_level, SF_BOOL),
    SF_FIELD(Fdc, sense_pending, SF_BOOL),
    SF_FIELD(Fdc, sense_st0, SF_U8),
    SF_FIELD(Fdc, sense_pcn, SF_U8),
    SF_FIELD_MAX(Fdc, reset_polls, SF_U32, 4),
    SF_FIELD(Fdc, spec1, SF_U8),
    SF_FIELD(Fdc, spec2, SF_U8),
    SF_FIELD(Fdc, config, SF_U8),
    SF_FIELD(Fdc, pretrk, SF_U8),
    SF_FIELD(Fdc, perpendicular, SF_U8),
    SF_FIELD(Fdc, lock, SF_BOOL),
    SF_FIELD_MAX(Fdc, pio_len, SF_U32, FDC_PIO_MAX),
    SF_FIELD_MAX(Fdc, pio_pos, SF_U32, FDC_PIO_MAX),
    SF_FIELD_MAX(Fdc, pio_drive, SF_U8, 1),
    SF_FIELD(Fdc, activity, SF_U32),
};

/* Each drive's format (from the image size) is configuration: it must
 * match. Then the part of the PIO buffer a transfer in flight uses. */
static void fdc_save_extra(void *dev, StateWriter *w)
{
    const Fdc *f = dev;
    for (int i = 0; i < 2; i++)
        state_put_u8(w, (uint8_t)f->drive[i].cmos_type);
    state_put_bytes(w, f->pio_buf, (size_t)f->pio_len);
}

static bool fdc_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    Fdc *f = dev;
    (void)version;
    static const char *const formats[] = { "no disk", "360K", "1.2M", "720K", "1.44M", "2.88M" };
    for (int i = 0; i < 2; i++) {
        uint8_t type = state_get_u8(r);
        if (!state_ok(r))
            return true;   /* the caller reports the truncation */
        if (type != f->drive[i].cmos_type) {
            snprintf(err, errlen, "fdc drive %d: the snapshot has %s, this machine %s", i,
                     type < 6 ? formats[type] : "an unknown format",
                     formats[f->drive[i].cmos_type]);
            return false;
        }
    }
    /* pio_len was range-checked by its field. */
    state_get_bytes(r, f->pio_buf, (size_t)f->pio_len);
    return true;
}

/* Every later FIFO access indexes cmd, res and pio_buf by these counts. */
static bool fdc_post_load(void *dev, char *err, size_t errlen)
{
    Fdc *f = dev;
    bool ok = f->res_pos <= f->res_len && f->pio_pos <= f->pio_len && f->pio_len % SECTOR == 0;
    if (f->cmd_len)
        ok = ok && command_valid(f->cmd[0]) &&
             f->cmd_need == 1 + fdc_commands[f->cmd[0] & 0x1F].params && f->cmd_len < f->cmd_need;
    if (f->phase == FDC_PHASE_RESULT)
        ok = ok && f->res_pos < f->res_len;
    if (f->phase == FDC_PHASE_PIO_READ || f->phase == FDC_PHASE_PIO_WRITE)
        ok = ok && f->pio_pos < f->pio_len && (f->phase == FDC_PHASE_PIO_WRITE || f->res_len == 7);
    if (!ok) {
        snprintf(err, errlen, "fdc: inconsistent command state (phase %d, command %d/%d, "
                              "result %d/%d, data %d/%d)",
                 f->phase, f->cmd_len, f->cmd_need, f->res_pos, f->res_len, f->pio_pos, f->pio_len);
        return false;
    }
    update_irq(f, f->irq_level);
    return true;
}

static void fdc_reset_dev(void *dev) { fdc_reset(dev); }

static void fdc_teardown(void *dev)
{
    fdc_flush(dev);
    fdc_close(dev);
}

static void fdc_info(void *dev, FILE *out)
{
    const Fdc *f = dev;
    static const char *const phases[] = { "command", "PIO read", "PIO write", "result" };
    fprintf(out, "dor %02X msr %02X, phase %s, command %d/%d bytes (%02X), result %d/%d, irq %s\n",
            f->dor, main_status(f), phases[f->phase & 3], f->cmd_len, f->cmd_need, f->cmd[0],
            f->res_pos, f->res_len, f->irq_level ? "pending" : "clear");
    for (int i = 0; i < 2; i++) {
        const FdcDrive *d = &f->drive[i];
        if (!d->cmos_type)
            fprintf(out, "drive %d: empty\n", i);
        else
            fprintf(out, "drive %d: %u/%u/%u, head on cylinder %u%s\n", i, d->tracks, d->heads,
                    d->sectors, d->cyl, d->media_changed ? ", disk changed" : "");
    }
}

const DeviceDesc fdc_desc = {
    .kind = "fdc",
    .version = 1,
    .fields = fdc_fields,
    .n_fields = sizeof fdc_fields / sizeof fdc_fields[0],
    .reset = fdc_reset_dev,
    .save_extra = fdc_save_extra,
    .load_extra = fdc_load_extra,
    .post_load = fdc_post_load,
    .info = fdc_info,
    .teardown = fdc_teardown,
};
