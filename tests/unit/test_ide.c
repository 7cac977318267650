/* SPDX-License-Identifier: MIT */
/* IDE/ATA and ATAPI: signatures, IDENTIFY, PIO reads and writes (LBA28,
 * LBA48, CHS, MULTIPLE), bus-master DMA through a PRD table, FLUSH, error
 * reporting, and the ATAPI packet protocol with a CD image. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iodev/ide.h"

static IdeChannel ch;
static PhysMem *mem;
static PortBus bus;
static int irq;
static char disk_path[64], iso_path[64];

static void fake_irq(void *o, int line, bool level)
{
    (void)o;
    (void)line;
    irq = level;
}

/* Sector k of the disk starts with the 32-bit value k; CD block k too. */
static void make_file(const char *path, unsigned blocks, unsigned bsize)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    uint8_t b[2048];
    for (unsigned k = 0; k < blocks; k++) {
        memset(b, (int)(k * 7 + 1), bsize);
        memcpy(b, &k, 4);
        fwrite(b, 1, bsize, fp);
    }
    fclose(fp);
}

static void setup(void)
{
    char err[256];
    snprintf(disk_path, sizeof disk_path, "/tmp/kairo-ide-%d.img", (int)getpid());
    snprintf(iso_path, sizeof iso_path, "/tmp/kairo-ide-%d.iso", (int)getpid());
    make_file(disk_path, 20000, 512);
    make_file(iso_path, 100, 2048);
    mem = phys_new(4 << 20, err, sizeof err);
    portbus_init(&bus);
    static const IdeHooks hooks = { { fake_irq, NULL, 14 } };
    ide_init(&ch, mem, &hooks, "ide0");
    cr_assert(ide_attach_disk(&ch, 0, disk_path, false, err, sizeof err), "%s", err);
    cr_assert(ide_attach_cdrom(&ch, 1, iso_path, err, sizeof err), "%s", err);
    cr_assert(ide_register(&ch, &bus, "ide0", 0x1F0, 0x3F6, 14));
    irq = 0;
}

static void teardown(void)
{
    ide_close(&ch);
    phys_free(mem);
    unlink(disk_path);
    unlink(iso_path);
}

TestSuite(ide, .init = setup, .fini = teardown);

static void outb(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t inb(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }
static uint16_t inw(uint16_t p) { return (uint16_t)portbus_read(&bus, p, 2); }
static void outw(uint16_t p, uint16_t v) { portbus_write(&bus, p, 2, v); }

static void read_words(uint16_t *w, int n)
{
    for (int i = 0; i < n; i++)
        w[i] = inw(0x1F0);
}

static void lba28(unsigned dev, uint32_t lba, uint8_t count)
{
    outb(0x1F6, (uint8_t)(0xE0 | dev << 4 | ((lba >> 24) & 0xF)));
    outb(0x1F2, count);
    outb(0x1F3, (uint8_t)lba);
    outb(0x1F4, (uint8_t)(lba >> 8));
    outb(0x1F5, (uint8_t)(lba >> 16));
}

Test(ide, signatures_after_reset)
{
    outb(0x3F6, 0x04);
    outb(0x3F6, 0x00);
    outb(0x1F6, 0xA0);
    cr_assert_eq(inb(0x1F2), 1);
    cr_assert_eq(inb(0x1F4), 0x00);
    cr_assert_eq(inb(0x1F5), 0x00);
    cr_assert_eq(inb(0x1F7), 0x50);
    outb(0x1F6, 0xB0);
    cr_assert_eq(inb(0x1F4), 0x14, "ATAPI signature");
    cr_assert_eq(inb(0x1F5), 0xEB);
}

Test(ide, identify_disk)
{
    outb(0x1F6, 0xA0);
    outb(0x1F7, 0xEC);
    cr_assert_eq(irq, 1);
    cr_assert_eq(inb(0x1F7) & 0x08, 0x08, "DRQ");
    cr_assert_eq(irq, 0, "reading status clears INTRQ");
    uint16_t w[256];
    read_words(w, 256);
    cr_assert_eq(w[60] | (uint32_t)w[61] << 16, 20000u);
    cr_assert_eq(w[100], 20000u);
    cr_assert(w[83] & 0x0400, "LBA48 supported");
    cr_assert_eq(w[27] >> 8, 'K');
    cr_assert_eq(inb(0x1F7) & 0x08, 0, "DRQ clear after 256 words");
}

Test(ide, identify_on_cdrom_aborts_with_signature)
{
    outb(0x1F6, 0xB0);
    outb(0x1F7, 0xEC);
    cr_assert_eq(inb(0x1F7) & 0x01, 0x01);
    cr_assert_eq(inb(0x1F4), 0x14);
    outb(0x1F7, 0xA1);
    uint16_t w[256];
    read_words(w, 256);
    cr_assert_eq(w[0], 0x85C0);
}

Test(ide, pio_read_lba28_multi_sector)
{
    lba28(0, 1234, 3);
    outb(0x1F7, 0x20);
    for (uint32_t k = 0; k < 3; k++) {
        cr_assert_eq(inb(0x1F7) & 0x08, 0x08, "DRQ for sector %u", k);
        uint16_t w[256];
        read_words(w, 256);
        cr_assert_eq(w[0] | (uint32_t)w[1] << 16, 1234 + k);
    }
    cr_assert_eq(inb(0x1F7), 0x50);
    cr_assert_eq(inb(0x1F3), (uint8_t)1236, "task file names the last sector");
}

Test(ide, pio_32bit_data_port)
{
    lba28(0, 77, 1);
    outb(0x1F7, 0x20);
    inb(0x1F7);
    cr_assert_eq(portbus_read(&bus, 0x1F0, 4), 77u);
}

Test(ide, chs_addressing)
{
    /* C=1 H=2 S=3 with 16 heads, 63 sectors: LBA (1*16+2)*63+2 = 1136 */
    outb(0x1F6, 0xA2);
    outb(0x1F2, 1);
    outb(0x1F3, 3);
    outb(0x1F4, 1);
    outb(0x1F5, 0);
    outb(0x1F7, 0x20);
    uint16_t w[256];
    read_words(w, 256);
    cr_assert_eq(w[0], 1136);
}

Test(ide, write_multiple_and_flush_reach_the_file)
{
    outb(0x1F6, 0xE0);
    outb(0x1F2, 4);
    outb(0x1F7, 0xC6);   /* SET MULTIPLE 4 */
    cr_assert_eq(inb(0x1F7) & 0x01, 0);
    lba28(0, 500, 8);
    outb(0x1F7, 0xC5);
    for (int blk = 0; blk < 2; blk++) {
        cr_assert_eq(inb(0x1F7) & 0x08, 0x08);
        for (int i = 0; i < 4 * 256; i++)
            outw(0x1F0, (uint16_t)(0xAB00 | blk));
    }
    cr_assert_eq(inb(0x1F7), 0x50);
    outb(0x1F7, 0xE7);
    cr_assert_eq(inb(0x1F7) & 0x01, 0);
    FILE *fp = fopen(disk_path, "rb");
    uint16_t v;
    fseek(fp, 507L * 512, SEEK_SET);
    cr_assert_eq(fread(&v, 2, 1, fp), 1);
    fclose(fp);
    cr_assert_eq(v, 0xAB01);
}

Test(ide, lba48_read)
{
    outb(0x1F6, 0x40);
    outb(0x1F2, 0);      /* count high */
    outb(0x1F2, 1);      /* count low */
    outb(0x1F3, 0);      /* LBA 24-31 */
    outb(0x1F3, 0x10);   /* LBA 0-7 */
    outb(0x1F4, 0);
    outb(0x1F4, 0x27);   /* LBA 8-15: 0x2710 = 10000 */
    outb(0x1F5, 0);
    outb(0x1F5, 0);
    outb(0x1F7, 0x24);
    uint16_t w[256];
    read_words(w, 256);
    cr_assert_eq(w[0], 10000);
    outb(0x3F6, 0x80);
    cr_assert_eq(inb(0x1F3), 0, "HOB reads the previous value");
}

Test(ide, out_of_range_is_idnf)
{
    lba28(0, 19999, 2);
    outb(0x1F7, 0x20);
    cr_assert_eq(inb(0x1F7) & 0x01, 0x01);
    cr_assert_eq(inb(0x1F1), 0x10);
}

Test(ide, bus_master_dma_read)
{
    /* PRD table at 0x1000: 1000 bytes at 0x20000, then 24 bytes at 0x30000 (EOT). */
    phys_write(mem, 0x1000, 4, 0x20000);
    phys_write(mem, 0x1004, 4, 1000);
    phys_write(mem, 0x1008, 4, 0x30000);
    phys_write(mem, 0x100C, 4, 0x80000000u | 24);
    ide_bmdma_write(&ch, 4, 4, 0x1000);
    lba28(0, 42, 2);
    outb(0x1F7, 0xC8);
    cr_assert_eq(irq, 0, "nothing happens before the start bit");
    ide_bmdma_write(&ch, 0, 1, 0x09);
    cr_assert_eq(irq, 1);
    cr_assert_eq(ide_bmdma_read(&ch, 2, 1) & 0x07, 0x04, "interrupt, not active, no error");
    cr_assert_eq(phys_read(mem, 0x20000, 4), 42u);
    cr_assert_eq(phys_read(mem, 0x20000 + 512, 4), 43u);
    cr_assert_eq(phys_read(mem, 0x30000 + 20, 4) & 0xFF, (43u * 7 + 1) & 0xFF);
    cr_assert_eq(inb(0x1F7), 0x50);
    ide_bmdma_write(&ch, 2, 1, 0x04);
    cr_assert_eq(ide_bmdma_read(&ch, 2, 1) & 0x04, 0, "write one to clear");
}

Test(ide, absent_slave_and_empty_channel)
{
    IdeChannel empty;
    ide_init(&empty, mem, NULL, "ide1");
    cr_assert_eq(ide_cmd_read(&empty, 0x177, 1), 0xFFu, "no devices: floating bus");
    char err[256];
    IdeChannel one;
    ide_init(&one, mem, NULL, "ide1");
    ide_close(&ch);     /* the image's writer lets go: readers and a writer never share */
    cr_assert(ide_attach_disk(&one, 0, disk_path, true, err, sizeof err), "%s", err);
    ide_cmd_write(&one, 0x176, 1, 0xB0);
    cr_assert_eq(ide_cmd_read(&one, 0x177, 1), 0u, "absent slave: status 0");
    ide_close(&one);
}

/* --- ATAPI --- */

static void send_packet(const uint8_t pkt[12], uint16_t limit)
{
    outb(0x1F6, 0xB0);
    outb(0x1F1, 0);
    outb(0x1F4, (uint8_t)limit);
    outb(0x1F5, (uint8_t)(limit >> 8));
    outb(0x1F7, 0xA0);
    cr_assert_eq(inb(0x1F7) & 0x08, 0x08, "DRQ for the packet");
    cr_assert_eq(inb(0x1F2) & 3, 1, "CoD");
    for (int i = 0; i < 6; i++)
        outw(0x1F0, (uint16_t)(pkt[2 * i] | pkt[2 * i + 1] << 8));
}

/* Read a data-in response by PIO; returns its length. */
static unsigned pio_in(uint8_t *out, unsigned max)
{
    unsigned got = 0;
    while ((inb(0x1F7) & 0x88) == 0x08) {
        cr_assert_eq(inb(0x1F2) & 3, 2, "IO, data");
        unsigned n = inb(0x1F4) | inb(0x1F5) << 8;
        for (unsigned i = 0; i < n; i += 2) {
            uint16_t w = inw(0x1F0);
            if (got + 1 < max) {
                out[got] = (uint8_t)w;
                out[got + 1] = (uint8_t)(w >> 8);
            }
            got += 2;
        }
    }
    return got;
}

Test(ide, atapi_inquiry_and_capacity)
{
    uint8_t buf[64];
    send_packet((const uint8_t[12]){ 0x12, 0, 0, 0, 36 }, 0xFFFE);
    cr_assert_eq(pio_in(buf, sizeof buf), 36);
    cr_assert_eq(buf[0], 0x05);
    cr_assert(!memcmp(buf + 8, "KAIRO", 5));
    cr_assert_eq(inb(0x1F2) & 3, 3, "status phase");
    send_packet((const uint8_t[12]){ 0x25 }, 0xFFFE);
    cr_assert_eq(pio_in(buf, sizeof buf), 8);
    cr_assert_eq(buf[3], 99, "last LBA");
    cr_assert_eq(buf[6], 0x08, "2048-byte blocks");
}

Test(ide, atapi_read10_in_chunks)
{
    static uint8_t buf[3 * 2048];
    /* READ(10) LBA 5, 3 blocks, with a 4096-byte limit: two DRQ chunks. */
    send_packet((const uint8_t[12]){ 0x28, 0, 0, 0, 0, 5, 0, 0, 3 }, 4096);
    cr_assert_eq(pio_in(buf, sizeof buf), 3 * 2048);
    uint32_t k;
    memcpy(&k, buf + 2048, 4);
    cr_assert_eq(k, 6u);
    cr_assert_eq(inb(0x1F7) & 0x01, 0);
}

Test(ide, atapi_media_change_unit_attention)
{
    char err[256];
    cr_assert(ide_change_cdrom(&ch, 1, iso_path, err, sizeof err));
    uint8_t buf[32];
    send_packet((const uint8_t[12]){ 0x00 }, 0xFFFE);
    cr_assert_eq(inb(0x1F7) & 0x01, 0x01, "unit attention");
    cr_assert_eq(inb(0x1F1) >> 4, 6);
    send_packet((const uint8_t[12]){ 0x03, 0, 0, 0, 18 }, 0xFFFE);
    cr_assert_eq(pio_in(buf, sizeof buf), 18);
    cr_assert_eq(buf[2], 6);
    cr_assert_eq(buf[12], 0x28);
    send_packet((const uint8_t[12]){ 0x00 }, 0xFFFE);
    cr_assert_eq(inb(0x1F7) & 0x01, 0, "ready now");
    cr_assert(ide_change_cdrom(&ch, 1, NULL, err, sizeof err));
    send_packet((const uint8_t[12]){ 0x00 }, 0xFFFE);   /* attention first */
    send_packet((const uint8_t[12]){ 0x00 }, 0xFFFE);
    cr_assert_eq(inb(0x1F1) >> 4, 2, "no medium: not ready");
}

Test(ide, atapi_read_toc)
{
    uint8_t buf[32];
    send_packet((const uint8_t[12]){ 0x43, 0, 0, 0, 0, 0, 0, 0, 32 }, 0xFFFE);
    cr_assert_eq(pio_in(buf, sizeof buf), 20);
    cr_assert_eq(buf[14], 0xAA, "lead-out track");
    cr_assert_eq(buf[19], 100, "lead-out at the end of the disc");
}
