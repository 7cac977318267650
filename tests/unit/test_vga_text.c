/* SPDX-License-Identifier: MIT */
/* VGA text rendering details the display depends on: the cursor's shape
 * and blink (16 frames on, 16 off at 70 Hz), blinking characters at half
 * that rate, the attribute's bit 7 as background intensity when blinking
 * is off, and the 9th dot column (repeated for C0h-DFh only when the line
 * graphics bit is set). Registers are set directly: the point is the
 * renderer, the port paths are test_vga's. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/vga.h"

static Vga vga;
static PhysMem *mem;
static Clock clk;
static uint64_t icount;

#define IPS 100000000ull

static void setup(void)
{
    char err[128];
    mem = phys_new(2 << 20, err, sizeof err);
    clock_init(&clk, IPS, &icount);
    cr_assert(vga_init(&vga, mem, &clk, 16));
    /* 80x25, 16-line characters, 9 dots, 400 lines, font map 0. */
    vga.cr[1] = 79;
    vga.cr[9] = 15;
    vga.cr[0x12] = 0x8F;
    vga.cr[7] = 0x12;
    vga.cr[0x13] = 40;
    vga.gr[6] = 0x0E;
    vga.sr[1] = 0x00;
    vga.sr[3] = 0x00;
    vga.ar[0x10] = 0x0C;       /* blink on, line graphics on */
    vga.ar[0x12] = 0x0F;
    vga.ar[0x14] = 0x00;
    vga.dac_pel_mask = 0xFF;
    for (unsigned i = 0; i < 16; i++) {
        vga.ar[i] = (uint8_t)i;
        vga.palette[i * 3] = (uint8_t)(i * 4);   /* a distinct red per colour */
        vga.palette[i * 3 + 1] = 0;
        vga.palette[i * 3 + 2] = 0;
    }
    vga.cr[0x0A] = 14;          /* cursor on scan lines 14-15, at offset 0 */
    vga.cr[0x0B] = 15;
    vga.cr[0x0E] = vga.cr[0x0F] = 0;
    vga.cr[0x0C] = vga.cr[0x0D] = 0;
    icount = 0;
}

static void teardown(void)
{
    vga_free(&vga);
    phys_free(mem);
}

TestSuite(vga_text, .init = setup, .fini = teardown);

static uint32_t rgb(unsigned colour)
{
    unsigned r = colour * 4;
    return (r << 2 | r >> 4) << 16;
}

static void put_char(unsigned cell, uint8_t chr, uint8_t attr)
{
    vga.vram[cell * 4] = chr;
    vga.vram[cell * 4 + 1] = attr;
}

/* Glyph row y of character chr in font map 0 (plane 2). */
static void put_glyph_row(uint8_t chr, unsigned y, uint8_t bits)
{
    vga.vram[(chr * 32u + y) * 4 + 2] = bits;
}

/* Guest time in the middle of 70 Hz frame f. */
static void at_frame(unsigned f)
{
    icount = (uint64_t)(f * 2 + 1) * IPS / 140;
}

static uint32_t pixel(const VgaFrame *f, unsigned x, unsigned y)
{
    return f->pixels[(size_t)y * f->width + x];
}

Test(vga_text, cursor_shape_and_blink_16_frames_on_16_off)
{
    put_char(0, ' ', 0x1E);     /* yellow on blue, blank glyph */
    const unsigned on[] = { 0, 15, 32, 47 }, off[] = { 16, 31, 48, 63 };
    for (unsigned i = 0; i < 4; i++) {
        at_frame(on[i]);
        const VgaFrame *f = vga_render(&vga);
        cr_assert_eq(f->width, 720);
        cr_assert_eq(f->height, 400);
        cr_assert_eq(pixel(f, 0, 14), rgb(0xE), "frame %u: cursor line 14 shown", on[i]);
        cr_assert_eq(pixel(f, 8, 15), rgb(0xE), "frame %u: cursor covers the 9th dot", on[i]);
        cr_assert_eq(pixel(f, 0, 13), rgb(0x1), "frame %u: line 13 is background", on[i]);
        at_frame(off[i]);
        f = vga_render(&vga);
        cr_assert_eq(pixel(f, 0, 14), rgb(0x1), "frame %u: cursor hidden", off[i]);
    }
    /* Start after end: no cursor at all (VGA, not EGA); bit 5: cursor off. */
    at_frame(0);
    vga.cr[0x0A] = 15;
    vga.cr[0x0B] = 3;
    cr_assert_eq(pixel(vga_render(&vga), 0, 15), rgb(0x1));
    vga.cr[0x0A] = 0x20 | 0;
    vga.cr[0x0B] = 15;
    cr_assert_eq(pixel(vga_render(&vga), 0, 0), rgb(0x1));
    /* A block cursor elsewhere. */
    vga.cr[0x0A] = 0;
    vga.cr[0x0F] = 81;          /* row 1, column 1 */
    put_char(81, ' ', 0x07);
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(pixel(f, 9, 16), rgb(0x7));
    cr_assert_eq(pixel(f, 17, 31), rgb(0x7));
    cr_assert_eq(pixel(f, 0, 0), rgb(0x1), "the old position is clear");
}

Test(vga_text, blinking_characters_at_half_the_cursor_rate)
{
    vga.cr[0x0A] = 0x20;        /* no cursor */
    put_glyph_row('X', 5, 0x80);
    put_char(0, 'X', 0x8F);     /* blinking bright white on black */
    const unsigned shown[] = { 0, 16, 31, 64 }, hidden[] = { 32, 47, 63, 96 };
    for (unsigned i = 0; i < 4; i++) {
        at_frame(shown[i]);
        cr_assert_eq(pixel(vga_render(&vga), 0, 5), rgb(0xF), "frame %u: shown", shown[i]);
        at_frame(hidden[i]);
        cr_assert_eq(pixel(vga_render(&vga), 0, 5), rgb(0x0), "frame %u: hidden", hidden[i]);
    }
}

Test(vga_text, bit_7_is_background_intensity_without_blinking)
{
    vga.cr[0x0A] = 0x20;
    put_glyph_row('X', 5, 0x80);
    put_char(0, 'X', 0x9F);     /* bg 9 (bright blue) or blinking bg 1 */
    at_frame(40);               /* the blink's off phase */
    vga.ar[0x10] = 0x04;        /* blinking off */
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(pixel(f, 0, 5), rgb(0xF), "no blinking: the character shows");
    cr_assert_eq(pixel(f, 1, 5), rgb(0x9), "background intensity");
    vga.ar[0x10] = 0x0C;        /* blinking on */
    f = vga_render(&vga);
    cr_assert_eq(pixel(f, 1, 5), rgb(0x1), "bit 7 blinks instead");
    cr_assert_eq(pixel(f, 0, 5), rgb(0x1), "and the character is in its off phase");
}

Test(vga_text, ninth_column_repeats_only_line_graphics)
{
    vga.cr[0x0A] = 0x20;
    put_glyph_row(0xC4, 7, 0xFF);   /* box drawing horizontal line */
    put_glyph_row('A', 7, 0xFF);
    put_char(0, 0xC4, 0x07);
    put_char(1, 'A', 0x07);
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(pixel(f, 7, 7), rgb(0x7));
    cr_assert_eq(pixel(f, 8, 7), rgb(0x7), "C4h: the 9th dot repeats the 8th");
    cr_assert_eq(pixel(f, 9 + 8, 7), rgb(0x0), "'A': the 9th dot is background");
    vga.ar[0x10] = 0x08;            /* line graphics off */
    f = vga_render(&vga);
    cr_assert_eq(pixel(f, 8, 7), rgb(0x0), "line graphics off: background");
    vga.sr[1] = 0x01;               /* 8-dot characters */
    f = vga_render(&vga);
    cr_assert_eq(f->width, 640);
    cr_assert_eq(pixel(f, 8, 7), rgb(0x7), "8 dots: the next character starts");
}
