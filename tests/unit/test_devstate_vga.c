/* SPDX-License-Identifier: MIT */
/* Machine state of the VGA: a planar mode with loaded latches, a DAC write
 * half way through a colour and the attribute flip-flop at its data
 * phase; a VBE mode with a bank and an offset. Each is saved, loaded into
 * a fresh VGA, and must render the same frame and answer the same from
 * there; a VRAM size mismatch, truncations and hostile values are refused
 * cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/vga.h"

static uint64_t icount;

typedef struct Side {
    Vga vga;
    PhysMem *mem;
    PortBus bus;
    Clock clk;
} Side;

static Side a, b;

static void side_open(Side *s, unsigned vram_mb)
{
    char err[128];
    s->mem = phys_new(2 << 20, err, sizeof err);
    cr_assert(s->mem, "%s", err);
    portbus_init(&s->bus);
    clock_init(&s->clk, 100000000, &icount);
    cr_assert(vga_init(&s->vga, s->mem, &s->clk, vram_mb));
    cr_assert(vga_register(&s->vga, &s->bus));
}

static void side_close(Side *s)
{
    vga_free(&s->vga);
    phys_free(s->mem);
}

static void *fresh_b(void)
{
    side_close(&b);
    side_open(&b, 1);
    return &b.vga;
}

static void setup(void)
{
    icount = 0;
    side_open(&a, 1);
    side_open(&b, 1);
}

static void teardown(void)
{
    side_close(&a);
    side_close(&b);
}

TestSuite(devstate_vga, .init = setup, .fini = teardown);

static void out(Side *s, uint16_t p, uint8_t v) { portbus_write(&s->bus, p, 1, v); }
static uint8_t in(Side *s, uint16_t p) { return (uint8_t)portbus_read(&s->bus, p, 1); }
static void outw(Side *s, uint16_t p, uint16_t v) { portbus_write(&s->bus, p, 2, v); }
static void memw(Side *s, uint32_t addr, uint8_t v) { phys_write(s->mem, addr, 1, v); }
static uint8_t memr(Side *s, uint32_t addr) { return (uint8_t)phys_read(s->mem, addr, 1); }

/* Mode 12h (640x480, 16 colours, planar). */
static const uint8_t m12_sr[5] = { 0x03, 0x01, 0x0F, 0x00, 0x06 };
static const uint8_t m12_cr[25] = { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x0C, 0xDF, 0x28,
                                    0x00, 0xE7, 0x04, 0xE3, 0xFF };
static const uint8_t m12_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF };
static const uint8_t m12_ar[21] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                    0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                    0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00 };

static void mode12(Side *s)
{
    out(s, 0x3C2, 0xE3);
    for (int i = 0; i < 5; i++) {
        out(s, 0x3C4, (uint8_t)i);
        out(s, 0x3C5, m12_sr[i]);
    }
    out(s, 0x3D4, 0x11);
    out(s, 0x3D5, 0x00);
    for (int i = 0; i < 25; i++) {
        out(s, 0x3D4, (uint8_t)i);
        out(s, 0x3D5, m12_cr[i]);
    }
    for (int i = 0; i < 9; i++) {
        out(s, 0x3CE, (uint8_t)i);
        out(s, 0x3CF, m12_gr[i]);
    }
    in(s, 0x3DA);
    for (int i = 0; i < 21; i++) {
        out(s, 0x3C0, (uint8_t)i);
        out(s, 0x3C0, m12_ar[i]);
    }
    out(s, 0x3C0, 0x20);
}

static void expect_same_frame(void)
{
    const VgaFrame *fa = vga_render(&a.vga);
    const VgaFrame *fb = vga_render(&b.vga);
    cr_assert_eq(fa->width, fb->width);
    cr_assert_eq(fa->height, fb->height);
    size_t n = (size_t)fa->width * fa->height;
    for (size_t i = 0; i < n; i++)
        if (fa->pixels[i] != fb->pixels[i])
            cr_assert_fail("pixel %zu: %06X vs %06X", i, fa->pixels[i], fb->pixels[i]);
}

static void save_and_load_into_b(StateWriter *w)
{
    *w = dh_save(&vga_desc, &a.vga, "vga");
    char err[200];
    cr_assert(dh_load(&vga_desc, &b.vga, "vga", w->buf, w->len, err, sizeof err), "%s", err);
}

Test(devstate_vga, planar_mode_latches_dac_and_attribute_flipflop)
{
    mode12(&a);
    /* Some pixels in write mode 2, then a read to load the latches. */
    out(&a, 0x3CE, 5); out(&a, 0x3CF, 0x02);
    for (int i = 0; i < 200; i++) {
        out(&a, 0x3CE, 8); out(&a, 0x3CF, (uint8_t)(0x80 >> (i & 7)));
        memr(&a, 0xA0000 + (uint32_t)(i * 83));
        memw(&a, 0xA0000 + (uint32_t)(i * 83), (uint8_t)(i & 15));
    }
    memr(&a, 0xA0000 + 83 * 7);            /* latches: that byte's four planes */
    out(&a, 0x3C8, 0x3E); out(&a, 0x3C9, 10);   /* DAC 3E: red written, green next */
    in(&a, 0x3DA);
    out(&a, 0x3C0, 0x31);                  /* attribute index 11, palette on: data next */
    StateWriter w;
    save_and_load_into_b(&w);
    expect_same_frame();
    /* Write mode 1 copies the latches: the same bytes land on both. */
    for (Side *s = &a; s; s = s == &a ? &b : NULL) {
        out(s, 0x3CE, 5); out(s, 0x3CF, 0x01);
        memw(s, 0xA0000 + 40000, 0);
        out(s, 0x3C9, 20); out(s, 0x3C9, 30);   /* DAC 3E finished */
        out(s, 0x3C0, 0x3E);                     /* attribute 11 = 3E */
        out(s, 0x3CE, 5); out(s, 0x3CF, 0x00);
        out(s, 0x3CE, 4);
    }
    for (int plane = 0; plane < 4; plane++) {
        out(&a, 0x3CF, (uint8_t)plane);
        out(&b, 0x3CF, (uint8_t)plane);
        cr_expect_eq(memr(&a, 0xA0000 + 40000), memr(&b, 0xA0000 + 40000), "plane %d", plane);
    }
    expect_same_frame();
    out(&a, 0x3C7, 0x3E); out(&b, 0x3C7, 0x3E);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(in(&a, 0x3C9), in(&b, 0x3C9), "DAC 3E component %d", i);
    out(&b, 0x3C0, 0x31);
    cr_expect_eq(in(&b, 0x3C1), 0x3E, "attribute 11 written after load");
    state_writer_free(&w);
}

static void vbe(Side *s, uint16_t index, uint16_t value)
{
    outw(s, 0x1CE, index);
    outw(s, 0x1CF, value);
}

Test(devstate_vga, vbe_mode_with_bank_and_offset)
{
    vbe(&a, VBE_DISPI_INDEX_XRES, 320);
    vbe(&a, VBE_DISPI_INDEX_YRES, 200);
    vbe(&a, VBE_DISPI_INDEX_BPP, 32);
    vbe(&a, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    vbe(&a, VBE_DISPI_INDEX_Y_OFFSET, 3);
    for (uint32_t i = 0; i < 0x10000; i += 7)
        memw(&a, 0xA0000 + i, (uint8_t)(i * 13));
    vbe(&a, VBE_DISPI_INDEX_BANK, 3);
    for (uint32_t i = 0; i < 0x1000; i += 5)
        memw(&a, 0xA0000 + i, (uint8_t)(i * 7 + 1));
    outw(&a, 0x1CE, VBE_DISPI_INDEX_XRES);
    StateWriter w;
    save_and_load_into_b(&w);
    expect_same_frame();
    cr_expect_eq(portbus_read(&b.bus, 0x1CF, 2), 320, "index register kept");
    cr_expect_eq(memr(&b, 0xA0000 + 5), 36, "bank 3 still selected");
    vbe(&a, VBE_DISPI_INDEX_Y_OFFSET, 0);
    vbe(&b, VBE_DISPI_INDEX_Y_OFFSET, 0);
    expect_same_frame();
    state_writer_free(&w);
}

Test(devstate_vga, a_different_vram_size_is_refused)
{
    StateWriter w = dh_save(&vga_desc, &a.vga, "vga");
    side_close(&b);
    side_open(&b, 2);
    char err[200];
    cr_assert_not(dh_load(&vga_desc, &b.vga, "vga", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "1 MiB") && strstr(err, "2 MiB"), "%s", err);
    state_writer_free(&w);
}

Test(devstate_vga, truncations_and_hostile_values_are_refused)
{
    mode12(&a);
    memw(&a, 0xA0000 + 100, 0xFF);
    StateWriter w = dh_save(&vga_desc, &a.vga, "vga");
    cr_expect_lt(w.len, 4096 + 2048, "zero pages elided: %zu bytes", w.len);
    /* Every cut through the registers and the page flags, then every
     * 61st through the page data. */
    dh_check_truncations_sampled(&vga_desc, "vga", &w, fresh_b,
                                 dh_field_at(&vga_desc, "vga", "vbe_regs", 10) + 4 + 300, 61);
    dh_expect_refused(&vga_desc, "vga", &w, "dac_sub", 0, 3, 1, fresh_b());
    dh_expect_refused(&vga_desc, "vga", &w, "vbe_regs", VBE_DISPI_INDEX_XRES, 4000, 2, fresh_b());
    dh_expect_refused(&vga_desc, "vga", &w, "vbe_regs", VBE_DISPI_INDEX_BPP, 12, 2, fresh_b());
    dh_expect_refused(&vga_desc, "vga", &w, "vbe_regs", VBE_DISPI_INDEX_BANK, 16, 2, fresh_b());
    /* A page flag that is neither 0 nor 1. */
    StateWriter bad = w;
    bad.buf = malloc(w.len);
    memcpy(bad.buf, w.buf, w.len);
    size_t flags = dh_field_at(&vga_desc, "vga", "vbe_regs", 10) + 4;
    bad.buf[flags] = 7;
    char err[200];
    cr_expect_not(dh_load(&vga_desc, fresh_b(), "vga", bad.buf, bad.len, err, sizeof err));
    cr_expect(strstr(err, "page flag"), "%s", err);
    free(bad.buf);
    state_writer_free(&w);
}

Test(devstate_vga, info_names_the_mode)
{
    vbe(&a, VBE_DISPI_INDEX_XRES, 640);
    vbe(&a, VBE_DISPI_INDEX_YRES, 480);
    vbe(&a, VBE_DISPI_INDEX_BPP, 16);
    vbe(&a, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    char buf[1024] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    vga_desc.info(&a.vga, f);
    fclose(f);
    cr_expect(strstr(buf, "VBE 640x480x16"), "%s", buf);
}
