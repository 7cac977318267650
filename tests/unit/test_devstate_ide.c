/* SPDX-License-Identifier: MIT */
/* Machine state of an IDE channel: a PIO read half way through a block, a
 * PIO write half way through its data, a DMA command waiting for the
 * bus-master start bit, an ATAPI READ(10) between two DRQ chunks and a
 * pending media-change attention all survive save and load into a fresh
 * channel, which then gives the same data, status and IRQ line as the
 * original; a different attachment, truncations and hostile indices are
 * refused cleanly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devstate_harness.h"
#include "iodev/ide.h"

typedef struct Side {
    IdeChannel ch;
    PhysMem *mem;
    PortBus bus;
    int irq;
} Side;

static Side a, b;
/* Each side its own copy of the disk: images are write-locked (OFD locks,
 * as QEMU), and two writers of one file are refused even in one process. */
static char disk_path[64], disk_path_b[64], iso_path[64];

static void fake_irq(void *o, int line, bool level)
{
    (void)line;
    ((Side *)o)->irq = level;
}

static void make_file(const char *path, unsigned blocks, unsigned bsize)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    uint8_t buf[2048];
    for (unsigned k = 0; k < blocks; k++) {
        memset(buf, (int)(k * 7 + 1), bsize);
        memcpy(buf, &k, 4);
        fwrite(buf, 1, bsize, fp);
    }
    fclose(fp);
}

static void side_open(Side *s, bool with_cd)
{
    char err[256];
    if (!s->mem) {
        s->mem = phys_new(4 << 20, err, sizeof err);
        cr_assert(s->mem, "%s", err);
    }
    portbus_init(&s->bus);
    IdeHooks hooks = { { fake_irq, s, 14 } };
    ide_init(&s->ch, s->mem, &hooks, "ide0");
    const char *disk = s == &b ? disk_path_b : disk_path;
    cr_assert(ide_attach_disk(&s->ch, 0, disk, false, err, sizeof err), "%s", err);
    if (with_cd)
        cr_assert(ide_attach_cdrom(&s->ch, 1, iso_path, err, sizeof err), "%s", err);
    cr_assert(ide_register(&s->ch, &s->bus, "ide0", 0x1F0, 0x3F6, 14));
    s->irq = 0;
}

static void *fresh_b(void)
{
    ide_close(&b.ch);
    side_open(&b, true);
    return &b.ch;
}

static void setup(void)
{
    snprintf(disk_path, sizeof disk_path, "/tmp/kairo-dsi-%d.img", (int)getpid());
    snprintf(iso_path, sizeof iso_path, "/tmp/kairo-dsi-%d.iso", (int)getpid());
    snprintf(disk_path_b, sizeof disk_path_b, "/tmp/kairo-dsi-%d-b.img", (int)getpid());
    make_file(disk_path, 4000, 512);
    make_file(disk_path_b, 4000, 512);
    make_file(iso_path, 100, 2048);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    side_open(&a, true);
    side_open(&b, true);
}

static void teardown(void)
{
    ide_close(&a.ch);
    ide_close(&b.ch);
    phys_free(a.mem);
    phys_free(b.mem);
    unlink(disk_path);
    unlink(disk_path_b);
    unlink(iso_path);
}

TestSuite(devstate_ide, .init = setup, .fini = teardown);

static void outb(Side *s, uint16_t p, uint8_t v) { portbus_write(&s->bus, p, 1, v); }
static uint8_t inb(Side *s, uint16_t p) { return (uint8_t)portbus_read(&s->bus, p, 1); }
static uint16_t inw(Side *s, uint16_t p) { return (uint16_t)portbus_read(&s->bus, p, 2); }
static void outw(Side *s, uint16_t p, uint16_t v) { portbus_write(&s->bus, p, 2, v); }

static void lba28(Side *s, unsigned dev, uint32_t lba, uint8_t count)
{
    outb(s, 0x1F6, (uint8_t)(0xE0 | dev << 4 | ((lba >> 24) & 0xF)));
    outb(s, 0x1F2, count);
    outb(s, 0x1F3, (uint8_t)lba);
    outb(s, 0x1F4, (uint8_t)(lba >> 8));
    outb(s, 0x1F5, (uint8_t)(lba >> 16));
}

static void save_and_load_into_b(StateWriter *w)
{
    *w = dh_save(&ide_desc, &a.ch, "ide0");
    char err[200];
    cr_assert(dh_load(&ide_desc, &b.ch, "ide0", w->buf, w->len, err, sizeof err), "%s", err);
}

/* Both channels answer the same from here on. */
static void expect_same_reads(int words)
{
    cr_expect_eq(a.irq, b.irq, "IRQ line");
    cr_expect_eq(inb(&a, 0x3F6), inb(&b, 0x3F6), "alternate status");
    for (int i = 0; i < words; i++) {
        uint16_t wa = inw(&a, 0x1F0), wb = inw(&b, 0x1F0);
        if (wa != wb) {
            cr_expect_eq(wa, wb, "data word %d: %04X vs %04X", i, wa, wb);
            return;
        }
        cr_expect_eq(a.irq, b.irq, "IRQ line after word %d", i);
    }
    for (uint16_t p = 0x1F1; p <= 0x1F7; p++)
        cr_expect_eq(inb(&a, p), inb(&b, p), "register %03X", p);
    cr_expect_eq(a.irq, b.irq, "IRQ line after status");
}

Test(devstate_ide, pio_read_mid_block)
{
    outb(&a, 0x1F6, 0xE0);
    outb(&a, 0x1F2, 4);
    outb(&a, 0x1F7, 0xC6);               /* SET MULTIPLE: 4 sectors */
    lba28(&a, 0, 1000, 10);
    outb(&a, 0x1F7, 0xC4);               /* READ MULTIPLE, 10 sectors */
    for (int i = 0; i < 300; i++)
        inw(&a, 0x1F0);
    cr_assert(a.irq);
    StateWriter w;
    save_and_load_into_b(&w);
    /* 10 sectors = 2560 words, 300 read; one past the end too. */
    expect_same_reads(2260 + 1);
    cr_expect_eq(inb(&b, 0x1F3), (uint8_t)1009, "address after the last sector");
    state_writer_free(&w);
}

Test(devstate_ide, pio_write_mid_block_reaches_the_disk)
{
    lba28(&a, 0, 77, 2);
    outb(&a, 0x1F7, 0x30);               /* WRITE SECTORS, 2 */
    for (int i = 0; i < 100; i++)
        outw(&a, 0x1F0, (uint16_t)(0xC000 + i));
    StateWriter w;
    save_and_load_into_b(&w);
    for (int i = 100; i < 512; i++)
        outw(&b, 0x1F0, (uint16_t)(0xC000 + i));
    cr_expect(b.irq, "write complete");
    cr_expect_eq(inb(&b, 0x1F7), 0x50);
    lba28(&b, 0, 78, 1);
    outb(&b, 0x1F7, 0x20);
    cr_expect_eq(inw(&b, 0x1F0), 0xC000 + 256, "second sector: the loaded half went through");
    state_writer_free(&w);
}

Test(devstate_ide, dma_waiting_for_the_start_bit)
{
    Side *sides[2] = { &a, &b };
    for (int i = 0; i < 2; i++) {
        phys_write(sides[i]->mem, 0x1000, 4, 0x20000);
        phys_write(sides[i]->mem, 0x1004, 4, 0x80000000u | 1024);
    }
    ide_bmdma_write(&a.ch, 4, 4, 0x1000);
    lba28(&a, 0, 42, 2);
    outb(&a, 0x1F7, 0xC8);
    cr_assert_eq(a.irq, 0);
    StateWriter w;
    save_and_load_into_b(&w);
    ide_bmdma_write(&b.ch, 0, 1, 0x09);
    cr_expect_eq(b.irq, 1);
    cr_expect_eq(phys_read(b.mem, 0x20000, 4), 42u);
    cr_expect_eq(phys_read(b.mem, 0x20200, 4), 43u);
    cr_expect_eq(ide_bmdma_read(&b.ch, 2, 1) & 0x07, 0x04);
    state_writer_free(&w);
}

static void send_packet(Side *s, const uint8_t pkt[12], uint16_t limit)
{
    outb(s, 0x1F6, 0xB0);
    outb(s, 0x1F1, 0);
    outb(s, 0x1F4, (uint8_t)limit);
    outb(s, 0x1F5, (uint8_t)(limit >> 8));
    outb(s, 0x1F7, 0xA0);
    for (int i = 0; i < 6; i++)
        outw(s, 0x1F0, (uint16_t)(pkt[2 * i] | pkt[2 * i + 1] << 8));
}

Test(devstate_ide, atapi_read_between_chunks)
{
    /* READ(10) LBA 5, 40 blocks (more than one staging round) in
     * 6000-byte chunks; stop inside the second chunk. */
    send_packet(&a, (const uint8_t[12]){ 0x28, 0, 0, 0, 0, 5, 0, 0, 40 }, 6000);
    for (int i = 0; i < 3000 + 1234; i++)
        inw(&a, 0x1F0);
    StateWriter w;
    save_and_load_into_b(&w);
    /* 40 blocks = 40960 words in all; chunk sizes come from 1F4/1F5. */
    int left = 40 * 1024 - 4234;
    while (left > 0) {
        int n = left < 1000 ? left : 1000;
        expect_same_reads(n);
        left -= n;
    }
    cr_expect_eq(inb(&b, 0x1F7) & 0x89, 0, "done, no error");
    cr_expect_eq(inb(&b, 0x1F2) & 3, 3, "status phase");
    state_writer_free(&w);
}

Test(devstate_ide, media_change_attention_survives)
{
    char err[256];
    cr_assert(ide_change_cdrom(&a.ch, 1, iso_path, err, sizeof err));
    StateWriter w;
    save_and_load_into_b(&w);
    send_packet(&b, (const uint8_t[12]){ 0x00 }, 0xFFFE);
    cr_expect_eq(inb(&b, 0x1F7) & 0x01, 0x01, "unit attention after load");
    cr_expect_eq(inb(&b, 0x1F1) >> 4, 6);
    send_packet(&b, (const uint8_t[12]){ 0x00 }, 0xFFFE);
    cr_expect_eq(inb(&b, 0x1F7) & 0x01, 0, "then ready");
    state_writer_free(&w);
}

Test(devstate_ide, a_different_attachment_is_refused_by_name)
{
    StateWriter w = dh_save(&ide_desc, &a.ch, "ide0");
    ide_close(&b.ch);
    side_open(&b, false);
    char err[200];
    cr_assert_not(dh_load(&ide_desc, &b.ch, "ide0", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "ide0 unit 1") && strstr(err, "CD-ROM"), "%s", err);
    state_writer_free(&w);
}

Test(devstate_ide, truncations_and_hostile_values_are_refused)
{
    lba28(&a, 0, 10, 2);
    outb(&a, 0x1F7, 0x20);
    for (int i = 0; i < 10; i++)
        inw(&a, 0x1F0);
    StateWriter w = dh_save(&ide_desc, &a.ch, "ide0");
    dh_check_truncations(&ide_desc, "ide0", &w, fresh_b);
    dh_expect_refused(&ide_desc, "ide0", &w, "cur", 0, 2, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.xfer", 0, 4, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.buf_pos", 0, 600, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.buf_len", 1, 0xFFFFFFFF, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.stage_len", 1, 1u << 20, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.block", 0, 0, 4, fresh_b());
    dh_expect_refused(&ide_desc, "ide0", &w, "dev.cur_heads", 0, 0, 2, fresh_b());
    /* The loaded copy is intact after all that. */
    fresh_b();
    char err[200];
    cr_assert(dh_load(&ide_desc, &b.ch, "ide0", w.buf, w.len, err, sizeof err), "%s", err);
    expect_same_reads(502);
    state_writer_free(&w);
}

Test(devstate_ide, info_names_the_command_in_flight)
{
    lba28(&a, 0, 10, 2);
    outb(&a, 0x1F7, 0x20);
    char buf[1024] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    ide_desc.info(&a.ch, f);
    fclose(f);
    cr_expect(strstr(buf, "cmd 20 PIO in") && strstr(buf, "unit 1: cdrom"), "%s", buf);
}
