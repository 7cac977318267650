/* SPDX-License-Identifier: MIT */
/* 82077AA floppy controller: command/result protocol, reset polling,
 * seek and sense interrupt, DMA reads and writes reaching the image file,
 * write protection, non-DMA transfers, bad images. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/fdc.h"

static Fdc fdc;
static int irq_level, irq_raises;
static uint8_t dma_mem[65536];
static int dma_pos, dma_limit;
static char image_path[64];

static void fake_irq(void *o, int line, bool level)
{
    (void)o;
    (void)line;
    if (level && !irq_level)
        irq_raises++;
    irq_level = level;
}

static int fake_dma(void *o, void *buf, int len, bool to_memory, bool *tc)
{
    (void)o;
    int n = len;
    if (dma_pos + n > dma_limit)
        n = dma_limit - dma_pos;
    if (to_memory)
        memcpy(dma_mem + dma_pos, buf, (size_t)n);
    else
        memcpy(buf, dma_mem + dma_pos, (size_t)n);
    dma_pos += n;
    *tc = dma_pos >= dma_limit;
    return n;
}

/* A 1.44M image whose sector k (LBA) is filled with byte k & 0xFF. */
static void make_image(size_t size)
{
    snprintf(image_path, sizeof image_path, "/tmp/kairo-fdc-%d.img", (int)getpid());
    FILE *fp = fopen(image_path, "wb");
    cr_assert(fp);
    uint8_t sector[512];
    for (size_t k = 0; k < size / 512; k++) {
        memset(sector, (int)(k & 0xFF), sizeof sector);
        fwrite(sector, 1, sizeof sector, fp);
    }
    fclose(fp);
}

static void setup(void)
{
    static const FdcHooks hooks = { { fake_irq, NULL, 6 }, fake_dma, NULL };
    irq_level = irq_raises = 0;
    dma_pos = 0;
    dma_limit = sizeof dma_mem;
    make_image(1474560);
    fdc_init(&fdc, &hooks);
    char err[256];
    cr_assert(fdc_attach(&fdc, 0, image_path, false, err, sizeof err), "%s", err);
}

static void teardown(void)
{
    fdc_close(&fdc);
    unlink(image_path);
}

TestSuite(fdc, .init = setup, .fini = teardown);

static void out(uint16_t port, uint8_t v) { fdc_port_write(&fdc, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)fdc_port_read(&fdc, port, 1); }

static void command(const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert(in(0x3F4) & 0x80, "RQM before byte %d", i);
        cr_assert_eq(in(0x3F4) & 0x40, 0, "DIO must point to the controller");
        out(0x3F5, bytes[i]);
    }
}
#define CMD(...) do { static const uint8_t b_[] = { __VA_ARGS__ }; command(b_, sizeof b_); } while (0)

static int results(uint8_t *res, int max)
{
    int n = 0;
    while ((in(0x3F4) & 0xC0) == 0xC0 && n < max)
        res[n++] = in(0x3F5);
    return n;
}

Test(fdc, reset_reports_four_polling_interrupts)
{
    out(0x3F2, 0x00);
    out(0x3F2, 0x0C);
    cr_assert_eq(irq_level, 1, "reset raises IRQ 6");
    for (int d = 0; d < 4; d++) {
        CMD(0x08);
        uint8_t r[2];
        cr_assert_eq(results(r, 2), 2);
        cr_assert_eq(r[0], 0xC0 | d);
    }
    cr_assert_eq(irq_level, 0);
    CMD(0x08);
    uint8_t r[2];
    cr_assert_eq(results(r, 2), 1, "no interrupt pending: one byte");
    cr_assert_eq(r[0], 0x80);
}

/* OpenBSD's fd driver: reset, read one polling status, recalibrate, then
 * SENSE INTERRUPT must report the recalibrate (0x20 | drive), not the
 * reset's remaining 0xC1..0xC3. */
Test(fdc, a_command_clears_the_reset_polling_statuses)
{
    out(0x3F2, 0x00);
    out(0x3F2, 0x0C);
    CMD(0x08);
    uint8_t r[2];
    cr_assert_eq(results(r, 2), 2);
    cr_assert_eq(r[0], 0xC0);
    CMD(0x07, 0x01);
    cr_assert_eq(irq_level, 1);
    CMD(0x08);
    cr_assert_eq(results(r, 2), 2);
    cr_assert_eq(r[0], 0x21, "recalibrate of drive 1 ended");
    cr_assert_eq(r[1], 0);
    CMD(0x08);
    cr_assert_eq(results(r, 2), 1, "nothing pending any more");
    cr_assert_eq(r[0], 0x80);
}

Test(fdc, version_and_invalid_command)
{
    CMD(0x10);
    uint8_t r[4];
    cr_assert_eq(results(r, 4), 1);
    cr_assert_eq(r[0], 0x90);
    CMD(0x1F);
    cr_assert_eq(results(r, 4), 1);
    cr_assert_eq(r[0], 0x80);
}

Test(fdc, seek_then_sense_interrupt)
{
    CMD(0x0F, 0x00, 40);
    cr_assert_eq(irq_level, 1);
    CMD(0x08);
    uint8_t r[2];
    cr_assert_eq(results(r, 2), 2);
    cr_assert_eq(r[0], 0x20, "seek end, drive 0");
    cr_assert_eq(r[1], 40);
    CMD(0x07, 0x00);
    CMD(0x08);
    results(r, 2);
    cr_assert_eq(r[1], 0, "recalibrate returns to track 0");
}

Test(fdc, disk_change_line_clears_on_seek)
{
    out(0x3F2, 0x1C);
    cr_assert_eq(in(0x3F7) & 0x80, 0x80);
    CMD(0x0F, 0x00, 1);
    cr_assert_eq(in(0x3F7) & 0x80, 0);
}

Test(fdc, dma_read_multi_track)
{
    CMD(0x03, 0xAF, 0x02);   /* SPECIFY, DMA mode */
    dma_limit = 3 * 512;
    /* MT read at C=0 H=0 R=17, EOT=18: sectors 17, 18 of head 0, then 1 of head 1. */
    CMD(0xE6, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    cr_assert_eq(irq_level, 1);
    uint8_t r[7];
    cr_assert_eq(results(r, 7), 7);
    cr_assert_eq(r[0] & 0xC0, 0, "normal termination at TC");
    cr_assert_eq(dma_mem[0], 16);
    cr_assert_eq(dma_mem[512], 17);
    cr_assert_eq(dma_mem[1024], 18, "head 1 sector 1 is LBA 18");
    cr_assert_eq(r[3], 0);
    cr_assert_eq(r[4], 1);
    cr_assert_eq(r[5], 2, "result names the next sector");
    cr_assert_eq(irq_level, 0, "reading the result lowers IRQ 6");
}

Test(fdc, dma_write_reaches_the_image_file)
{
    CMD(0x03, 0xAF, 0x02);
    dma_limit = 512;
    memset(dma_mem, 0xA5, 512);
    CMD(0xC5, 0x04, 1, 1, 5, 2, 18, 0x1B, 0xFF);   /* C=1 H=1 R=5 */
    uint8_t r[7];
    cr_assert_eq(results(r, 7), 7);
    cr_assert_eq(r[0] & 0xC0, 0);
    fdc_flush(&fdc);
    FILE *fp = fopen(image_path, "rb");
    uint8_t buf[512];
    long lba = (1 * 2 + 1) * 18 + 4;
    fseek(fp, lba * 512, SEEK_SET);
    cr_assert_eq(fread(buf, 1, 512, fp), 512);
    fclose(fp);
    for (int i = 0; i < 512; i++)
        cr_assert_eq(buf[i], 0xA5);
}

Test(fdc, write_protected_image)
{
    char err[256];
    /* An image is locked against a reader while it has a writer (as in
     * QEMU): drive A lets it go first. */
    blockdev_close(&fdc.drive[0].disk);
    cr_assert(fdc_attach(&fdc, 1, image_path, true, err, sizeof err), "%s", err);
    CMD(0x04, 0x01);
    uint8_t r[7];
    cr_assert_eq(results(r, 7), 1);
    cr_assert(r[0] & 0x40, "ST3 write protect");
    dma_limit = 512;
    CMD(0xC5, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    cr_assert_eq(results(r, 7), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40);
    cr_assert_eq(r[1], 0x02, "ST1 not writable");
}

Test(fdc, sector_beyond_the_disk_is_no_data)
{
    dma_limit = 512;
    CMD(0xE6, 0x00, 85, 0, 1, 2, 18, 0x1B, 0xFF);
    uint8_t r[7];
    cr_assert_eq(results(r, 7), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40);
    cr_assert_eq(r[1], 0x04);
}

Test(fdc, non_dma_read_through_the_fifo)
{
    CMD(0x03, 0xAF, 0x03);   /* ND = 1 */
    CMD(0x46, 0x00, 0, 0, 18, 2, 18, 0x1B, 0xFF);
    cr_assert_eq(in(0x3F4), 0xF0, "execution phase, data to CPU, non-DMA");
    for (int i = 0; i < 512; i++)
        cr_assert_eq(in(0x3F5), 17);
    uint8_t r[7];
    cr_assert_eq(results(r, 7), 7);
    cr_assert_eq(irq_level, 0);
}

/* Debian's grub-rescue-floppy.img size: the 1.44M format, its missing
 * tail reads as zeros. */
Test(fdc, odd_sized_image_takes_the_next_larger_format)
{
    char odd[64];
    snprintf(odd, sizeof odd, "/tmp/kairo-fdc-grub-%d.img", (int)getpid());
    FILE *fp = fopen(odd, "wb");
    uint8_t sector[512];
    memset(sector, 0x77, sizeof sector);
    for (int k = 0; k < 1296384 / 512; k++)
        fwrite(sector, 1, sizeof sector, fp);
    fclose(fp);
    char err[256];
    cr_assert(fdc_attach(&fdc, 1, odd, false, err, sizeof err), "%s", err);
    cr_assert_eq(fdc_cmos_types(&fdc), 0x44);
    /* C=70 H=0 R=12: LBA 2531, the last one there; R=13: LBA 2532, past the end. */
    for (int r = 12; r <= 13; r++) {
        dma_pos = 0;
        dma_limit = 512;
        memset(dma_mem, 0xEE, 512);
        uint8_t read_cmd[] = { 0x46, 0x01, 70, 0, (uint8_t)r, 2, 18, 0x1B, 0xFF };
        command(read_cmd, sizeof read_cmd);
        uint8_t res[7];
        cr_assert_eq(results(res, 7), 7);
        cr_assert_eq(res[0] & 0xC0, 0, "sector %d read", r);
        cr_assert_eq(dma_mem[0], r == 12 ? 0x77 : 0x00);
    }
    unlink(odd);
}

Test(fdc, bad_images_are_refused)
{
    char err[256];
    cr_assert_not(fdc_attach(&fdc, 1, "/nonexistent/disk.img", false, err, sizeof err));
    cr_assert(strstr(err, "cannot open"), "%s", err);
    cr_assert_eq(fdc_cmos_types(&fdc), 0x40, "drive 0 is 1.44M, drive 1 empty");
    char odd[64];
    snprintf(odd, sizeof odd, "/tmp/kairo-fdc-odd-%d.img", (int)getpid());
    FILE *fp = fopen(odd, "wb");
    fputs("not a floppy", fp);
    fclose(fp);
    cr_assert(fdc_attach(&fdc, 1, odd, false, err, sizeof err), "%s", err);
    cr_assert_eq(fdc_cmos_types(&fdc), 0x41, "a tiny image is a 160K floppy");
    cr_assert_eq(truncate(odd, 2949120 + 512), 0);
    blockdev_close(&fdc.drive[1].disk);
    cr_assert_not(fdc_attach(&fdc, 1, odd, false, err, sizeof err));
    cr_assert(strstr(err, "more than a 2.88M floppy"), "%s", err);
    unlink(odd);
}
