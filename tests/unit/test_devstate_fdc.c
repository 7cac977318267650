/* SPDX-License-Identifier: MIT */
/* Machine state of the floppy controller: a non-DMA read and a non-DMA
 * write half way through their data, a command half entered and a result
 * half read survive save and load into a fresh controller, which then
 * gives the same bytes, status and IRQ 6 as the original; a different
 * drive format, truncations and hostile counts are refused cleanly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devstate_harness.h"
#include "iodev/fdc.h"

typedef struct Side {
    Fdc fdc;
    int irq;
    uint8_t mem[8192];
    int dma_pos, dma_limit;
} Side;

static Side a, b;
/* Each side its own copy of the image: images are write-locked (OFD locks,
 * as QEMU), and two writers of one file are refused even in one process. */
static char image_path[64], image_path_b[64];

static void fake_irq(void *o, int line, bool level)
{
    (void)line;
    ((Side *)o)->irq = level;
}

static int fake_dma(void *o, void *buf, int len, bool to_memory, bool *tc)
{
    Side *s = o;
    int n = len;
    if (s->dma_pos + n > s->dma_limit)
        n = s->dma_limit - s->dma_pos;
    if (to_memory)
        memcpy(s->mem + s->dma_pos, buf, (size_t)n);
    else
        memcpy(buf, s->mem + s->dma_pos, (size_t)n);
    s->dma_pos += n;
    *tc = s->dma_pos >= s->dma_limit;
    return n;
}

static void side_open(Side *s, bool with_disk)
{
    memset(s, 0, sizeof *s);
    s->dma_limit = 1024;
    FdcHooks hooks = { { fake_irq, s, 6 }, fake_dma, s };
    fdc_init(&s->fdc, &hooks);
    char err[256];
    if (with_disk)
        cr_assert(fdc_attach(&s->fdc, 0, s == &b ? image_path_b : image_path, false, err, sizeof err), "%s", err);
}

static void *fresh_b(void)
{
    fdc_close(&b.fdc);
    side_open(&b, true);
    return &b.fdc;
}

static void setup(void)
{
    snprintf(image_path, sizeof image_path, "/tmp/kairo-dsf-%d.img", (int)getpid());
    snprintf(image_path_b, sizeof image_path_b, "/tmp/kairo-dsf-%d-b.img", (int)getpid());
    for (int copy = 0; copy < 2; copy++) {
        FILE *fp = fopen(copy ? image_path_b : image_path, "wb");
        cr_assert(fp);
        uint8_t sector[512];
        for (int k = 0; k < 2880; k++) {
            memset(sector, k & 0xFF, sizeof sector);
            sector[0] = (uint8_t)(k >> 8);
            fwrite(sector, 1, sizeof sector, fp);
        }
        fclose(fp);
    }
    side_open(&a, true);
    side_open(&b, true);
}

static void teardown(void)
{
    fdc_close(&a.fdc);
    fdc_close(&b.fdc);
    unlink(image_path);
    unlink(image_path_b);
}

TestSuite(devstate_fdc, .init = setup, .fini = teardown);

static void out(Side *s, uint16_t p, uint8_t v) { fdc_port_write(&s->fdc, p, 1, v); }
static uint8_t in(Side *s, uint16_t p) { return (uint8_t)fdc_port_read(&s->fdc, p, 1); }

static void command(Side *s, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++)
        out(s, 0x3F5, bytes[i]);
}

static void save_and_load_into_b(StateWriter *w)
{
    *w = dh_save(&fdc_desc, &a.fdc, "fdc");
    char err[200];
    cr_assert(dh_load(&fdc_desc, &b.fdc, "fdc", w->buf, w->len, err, sizeof err), "%s", err);
}

/* Read the FIFO on both while either has something for the CPU. */
static void expect_same_fifo(int max)
{
    for (int i = 0; i < max; i++) {
        uint8_t ma = in(&a, 0x3F4), mb = in(&b, 0x3F4);
        cr_expect_eq(ma, mb, "MSR before byte %d", i);
        cr_expect_eq(a.irq, b.irq, "IRQ 6 before byte %d", i);
        if (!(ma & 0x40))
            return;
        uint8_t va = in(&a, 0x3F5), vb = in(&b, 0x3F5);
        if (va != vb) {
            cr_expect_eq(va, vb, "byte %d: %02X vs %02X", i, va, vb);
            return;
        }
    }
}

Test(devstate_fdc, non_dma_read_mid_sector)
{
    static const uint8_t specify[] = { 0x03, 0xAF, 0x03 };
    static const uint8_t read[] = { 0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF };
    command(&a, specify, 3);
    command(&a, read, 9);        /* sectors 17 and 18: 1024 bytes */
    for (int i = 0; i < 700; i++)
        in(&a, 0x3F5);
    StateWriter w;
    save_and_load_into_b(&w);
    expect_same_fifo(400);
    cr_expect_eq(in(&b, 0x3F4), 0x80, "back in the command phase");
    state_writer_free(&w);
}

Test(devstate_fdc, non_dma_write_mid_sector_reaches_the_image)
{
    static const uint8_t specify[] = { 0x03, 0xAF, 0x03 };
    static const uint8_t write[] = { 0x45, 0x00, 2, 0, 3, 2, 3, 0x1B, 0xFF };
    command(&a, specify, 3);
    command(&a, write, 9);       /* C=2 H=0 R=3, one sector */
    for (int i = 0; i < 100; i++)
        out(&a, 0x3F5, 0x5A);
    StateWriter w;
    save_and_load_into_b(&w);
    for (int i = 100; i < 512; i++)
        out(&b, 0x3F5, 0x5A);
    cr_expect(b.irq, "write done");
    uint8_t st0 = in(&b, 0x3F5);
    cr_expect_eq(st0 & 0xC0, 0, "normal termination");
    fdc_flush(&b.fdc);
    FILE *fp = fopen(image_path_b, "rb");
    uint8_t buf[512];
    fseek(fp, (2 * 2 * 18 + 2) * 512L, SEEK_SET);
    cr_assert_eq(fread(buf, 1, 512, fp), 512);
    fclose(fp);
    cr_expect_eq(buf[0], 0x5A);
    cr_expect_eq(buf[511], 0x5A);
    state_writer_free(&w);
}

Test(devstate_fdc, half_entered_command_and_half_read_result)
{
    static const uint8_t specify[] = { 0x03, 0xAF, 0x02 };
    static const uint8_t read_head[] = { 0xE6, 0x00, 0, 0 };
    static const uint8_t read_tail[] = { 17, 2, 18, 0x1B, 0xFF };
    command(&a, specify, 3);
    command(&a, read_head, 4);
    StateWriter w;
    save_and_load_into_b(&w);
    cr_expect_eq(in(&a, 0x3F4), in(&b, 0x3F4), "MSR: command busy");
    command(&a, read_tail, 5);
    command(&b, read_tail, 5);
    cr_expect(b.irq && a.irq);
    cr_expect_eq(memcmp(a.mem, b.mem, 1024), 0, "same DMA data");
    cr_expect_eq(b.mem[513], 17, "LBA 17 after LBA 16");
    in(&a, 0x3F5);
    in(&a, 0x3F5);
    state_writer_free(&w);
    /* Two of seven result bytes read. */
    w = dh_save(&fdc_desc, &a.fdc, "fdc");
    fresh_b();
    char err[200];
    cr_assert(dh_load(&fdc_desc, &b.fdc, "fdc", w.buf, w.len, err, sizeof err), "%s", err);
    expect_same_fifo(10);
    state_writer_free(&w);
}

Test(devstate_fdc, a_different_drive_format_is_refused_by_name)
{
    StateWriter w = dh_save(&fdc_desc, &a.fdc, "fdc");
    fdc_close(&b.fdc);
    side_open(&b, false);
    char err[200];
    cr_assert_not(dh_load(&fdc_desc, &b.fdc, "fdc", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "fdc drive 0") && strstr(err, "1.44M"), "%s", err);
    state_writer_free(&w);
}

Test(devstate_fdc, truncations_and_hostile_values_are_refused)
{
    static const uint8_t specify[] = { 0x03, 0xAF, 0x03 };
    static const uint8_t read[] = { 0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF };
    command(&a, specify, 3);
    command(&a, read, 9);
    for (int i = 0; i < 10; i++)
        in(&a, 0x3F5);
    StateWriter w = dh_save(&fdc_desc, &a.fdc, "fdc");
    dh_check_truncations(&fdc_desc, "fdc", &w, fresh_b);
    dh_expect_refused(&fdc_desc, "fdc", &w, "phase", 0, 4, 4, fresh_b());
    dh_expect_refused(&fdc_desc, "fdc", &w, "pio_pos", 0, 1024, 4, fresh_b());
    dh_expect_refused(&fdc_desc, "fdc", &w, "pio_len", 0, 100000, 4, fresh_b());
    dh_expect_refused(&fdc_desc, "fdc", &w, "res_pos", 0, 11, 4, fresh_b());
    dh_expect_refused(&fdc_desc, "fdc", &w, "reset_polls", 0, 5, 4, fresh_b());
    /* A command "in progress" whose byte count already reached its need:
     * the next byte would run past the command buffer. */
    dh_expect_refused(&fdc_desc, "fdc", &w, "cmd_len", 0, 9, 4, fresh_b());
    state_writer_free(&w);
}

Test(devstate_fdc, info_shows_the_phase)
{
    static const uint8_t specify[] = { 0x03, 0xAF, 0x03 };
    static const uint8_t read[] = { 0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF };
    command(&a, specify, 3);
    command(&a, read, 9);
    char buf[1024] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    fdc_desc.info(&a.fdc, f);
    fclose(f);
    cr_expect(strstr(buf, "PIO read") && strstr(buf, "drive 0: 80/2/18"), "%s", buf);
}
