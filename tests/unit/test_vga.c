/* SPDX-License-Identifier: MIT */
/* VGA: standard mode register sets programmed through the ports, the
 * legacy window in chain-4, odd/even and planar write modes, rendering of
 * text (guest font from plane 2), mode 12h, mode 13h and a VBE mode, dirty
 * rows, and the text dump. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/vga.h"

static Vga vga;
static PhysMem *mem;
static PortBus bus;
static Clock clk;
static uint64_t icount;

static void setup(void)
{
    char err[128];
    mem = phys_new(2 << 20, err, sizeof err);
    portbus_init(&bus);
    clock_init(&clk, 100000000, &icount);
    cr_assert(vga_init(&vga, mem, &clk, 16));
    cr_assert(vga_register(&vga, &bus));
}

static void teardown(void)
{
    vga_free(&vga);
    phys_free(mem);
}

TestSuite(vga, .init = setup, .fini = teardown);

static void out(uint16_t port, uint8_t v) { portbus_write(&bus, port, 1, v); }

typedef struct ModeRegs {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} ModeRegs;

/* The register sets of the IBM VGA BIOS modes. */
static const ModeRegs mode03 = {
    0x67, { 0x03, 0x00, 0x03, 0x00, 0x02 },
    { 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00,
      0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
      0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00 },
};
static const ModeRegs mode12 = {
    0xE3, { 0x03, 0x01, 0x0F, 0x00, 0x06 },
    { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0xEA, 0x0C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
      0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00 },
};
static const ModeRegs mode13 = {
    0x63, { 0x03, 0x01, 0x0F, 0x00, 0x0E },
    { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
      0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00 },
};

static void set_mode(const ModeRegs *m)
{
    out(0x3C2, m->misc);
    for (int i = 0; i < 5; i++) {
        out(0x3C4, (uint8_t)i);
        out(0x3C5, m->sr[i]);
    }
    out(0x3D4, 0x11);
    out(0x3D5, 0x00);   /* unlock CR0-7 */
    for (int i = 0; i < 25; i++) {
        out(0x3D4, (uint8_t)i);
        out(0x3D5, m->cr[i]);
    }
    for (int i = 0; i < 9; i++) {
        out(0x3CE, (uint8_t)i);
        out(0x3CF, m->gr[i]);
    }
    portbus_read(&bus, 0x3DA, 1);
    for (int i = 0; i < 21; i++) {
        out(0x3C0, (uint8_t)i);
        out(0x3C0, m->ar[i]);
    }
    out(0x3C0, 0x20);
}

static void set_dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b)
{
    out(0x3C8, index);
    out(0x3C9, r);
    out(0x3C9, g);
    out(0x3C9, b);
}

static void memw(uint32_t addr, uint8_t v) { phys_write(mem, addr, 1, v); }
static uint8_t memr(uint32_t addr) { return (uint8_t)phys_read(mem, addr, 1); }

Test(vga, text_mode_font_from_plane2_and_dump)
{
    set_mode(&mode03);
    /* Load a glyph for 'A' into plane 2 the way a BIOS does. */
    out(0x3C4, 2); out(0x3C5, 0x04);
    out(0x3C4, 4); out(0x3C5, 0x07);
    out(0x3CE, 4); out(0x3CF, 0x02);
    out(0x3CE, 5); out(0x3CF, 0x00);
    out(0x3CE, 6); out(0x3CF, 0x04);
    for (int y = 0; y < 16; y++)
        memw(0xA0000 + 'A' * 32 + y, y == 3 ? 0x81 : 0x00);
    set_mode(&mode03);
    set_dac(0x01, 0, 0, 42);    /* attribute 1 -> DAC 1 */
    set_dac(0x3F, 63, 63, 63);  /* attribute 15 -> DAC 3F */
    memw(0xB8000, 'A');
    memw(0xB8001, 0x1F);
    memw(0xB8002, 'b');
    cr_assert_eq(memr(0xB8001), 0x1F, "odd/even read back");
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(f->width, 720);
    cr_assert_eq(f->height, 400);
    cr_assert_eq(f->pixels[3 * 720 + 0], 0xFFFFFFu, "glyph bit set: white");
    cr_assert_eq(f->pixels[3 * 720 + 7], 0xFFFFFFu);
    cr_assert_eq(f->pixels[3 * 720 + 1], 0x0000AAu, "glyph bit clear: blue background");
    cr_assert_eq(f->dirty_first, 0);
    char text[4096];
    cr_assert(vga_text_dump(&vga, text, sizeof text));
    cr_assert(!strncmp(text, "Ab\n", 3), "got '%.10s'", text);
    f = vga_render(&vga);
    cr_assert(f->dirty_first > f->dirty_last, "nothing changed: no dirty rows");
}

Test(vga, mode13h_chain4)
{
    set_mode(&mode13);
    set_dac(4, 63, 0, 0);
    memw(0xA0000 + 5 * 320 + 10, 4);
    cr_assert_eq(memr(0xA0000 + 5 * 320 + 10), 4);
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(f->width, 320);
    cr_assert_eq(f->height, 200);
    cr_assert_eq(f->pixels[5 * 320 + 10], 0xFF0000u);
    cr_assert_eq(f->dirty_first, 0);
}

Test(vga, mode12h_write_mode_2_and_read_mode_1)
{
    set_mode(&mode12);
    set_dac(0x3E, 0, 63, 0);    /* colour 14 -> attribute 3E */
    /* Pixel (9, 2): byte 2*80 + 1, bit 0x40. */
    out(0x3CE, 5); out(0x3CF, 0x02);
    out(0x3CE, 8); out(0x3CF, 0x40);
    uint32_t a = 0xA0000 + 2 * 80 + 1;
    memr(a);
    memw(a, 14);
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(f->width, 640);
    cr_assert_eq(f->height, 480);
    cr_assert_eq(f->pixels[2 * 640 + 9], 0x00FF00u);
    cr_assert_eq(f->pixels[2 * 640 + 8], 0x000000u);
    /* Colour compare for 14: only bit 0x40 matches. */
    out(0x3CE, 5); out(0x3CF, 0x08);
    out(0x3CE, 2); out(0x3CF, 14);
    out(0x3CE, 7); out(0x3CF, 0x0F);
    cr_assert_eq(memr(a), 0x40);
}

Test(vga, vbe_1024x768x32)
{
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_ID);
    cr_assert_eq(portbus_read(&bus, 0x1CF, 2), 0xB0C5);
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_XRES); portbus_write(&bus, 0x1CF, 2, 1024);
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_YRES); portbus_write(&bus, 0x1CF, 2, 768);
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_BPP); portbus_write(&bus, 0x1CF, 2, 32);
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_ENABLE);
    portbus_write(&bus, 0x1CF, 2, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    vga_map_lfb(&vga, 0xE0000000u);
    phys_write(mem, 0xE0000000u + (700u * 1024 + 1000) * 4, 4, 0x00123456);
    const VgaFrame *f = vga_render(&vga);
    cr_assert_eq(f->width, 1024);
    cr_assert_eq(f->height, 768);
    cr_assert_eq(f->pixels[700 * 1024 + 1000], 0x123456u);
    portbus_write(&bus, 0x1CE, 2, VBE_DISPI_INDEX_VIDEO_MEMORY_64K);
    cr_assert_eq(portbus_read(&bus, 0x1CF, 2), 256, "16 MiB of VRAM");
}
