/* SPDX-License-Identifier: MIT */
/* VGA rendering: turns VRAM and the register state into an XRGB8888 frame
 * (text with the guest's font from plane 2, planar 16-colour, CGA 4-colour,
 * chained and unchained 256-colour, and VBE linear modes), with the rows
 * that changed since the last frame; and text screens as UTF-8 text. */
#include <stdlib.h>
#include <string.h>

#include "iodev/vga.h"

/* Code page 437 to Unicode (control codes as their glyphs, 0 as space). */
static const uint16_t cp437_unicode[256] = {
    0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
    0x25D8, 0x25CB, 0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C,
    0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7, 0x25AC, 0x21A8,
    0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,
    0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
    0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x005B, 0x005C, 0x005D, 0x005E, 0x005F,
    0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x007B, 0x007C, 0x007D, 0x007E, 0x2302,
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
    0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
    0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
    0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
    0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
    0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
    0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
    0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
    0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
    0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};

/* Offsets of the eight character maps in plane 2. */
static const uint32_t font_map_offset[8] = { 0x0000, 0x4000, 0x8000, 0xC000,
                                             0x2000, 0x6000, 0xA000, 0xE000 };

static uint32_t dac_rgb(const Vga *v, unsigned index)
{
    const uint8_t *p = &v->palette[(index & v->dac_pel_mask & 0xFF) * 3];
    bool dac8 = (v->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) &&
                (v->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED);
    uint32_t r = p[0], g = p[1], b = p[2];
    if (!dac8) {
        r = (r << 2) | (r >> 4);
        g = (g << 2) | (g >> 4);
        b = (b << 2) | (b >> 4);
    }
    return r << 16 | g << 8 | b;
}

/* A 4-bit colour through the attribute controller's palette to the DAC. */
static uint32_t attr_rgb(const Vga *v, unsigned color)
{
    unsigned p = v->ar[color & 0x0F];
    unsigned idx;
    if (v->ar[0x10] & 0x80)
        idx = (p & 0x0F) | (v->ar[0x14] & 0x0F) << 4;
    else
        idx = (p & 0x3F) | (v->ar[0x14] & 0x0C) << 4;
    return dac_rgb(v, idx);
}

static bool frame_resize(Vga *v, unsigned w, unsigned h)
{
    size_t n = (size_t)w * h;
    if (n > v->frame_cap) {
        uint32_t *px = realloc(v->frame.pixels, n * 4);
        uint32_t *pv = realloc(v->prev, n * 4);
        if (!px || !pv) {
            v->frame.pixels = px ? px : v->frame.pixels;
            v->prev = pv ? pv : v->prev;
            return false;
        }
        v->frame.pixels = px;
        v->prev = pv;
        v->frame_cap = n;
    }
    if (w != v->frame.width || h != v->frame.height) {
        v->frame.width = w;
        v->frame.height = h;
        memset(v->prev, 0xFF, n * 4);   /* everything is dirty after a mode change */
    }
    return true;
}

static uint8_t vram_plane(const Vga *v, uint32_t planar_addr, unsigned plane)
{
    uint64_t b = (uint64_t)planar_addr * 4 + plane;
    return b < v->vram_size ? v->vram[b] : 0;
}

bool vga_in_text_mode(const Vga *v)
{
    return !(v->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) && !(v->gr[6] & 1);
}

static unsigned vertical_display_end(const Vga *v)
{
    return v->cr[0x12] | (v->cr[7] & 0x02) << 7 | (v->cr[7] & 0x40) << 3;
}

static uint32_t start_address(const Vga *v)
{
    return (uint32_t)v->cr[0x0C] << 8 | v->cr[0x0D];
}

typedef struct TextGeom {
    unsigned cols, rows, cw, ch;
    uint32_t start, stride;
} TextGeom;

static bool text_geometry(const Vga *v, TextGeom *g)
{
    g->cols = v->cr[1] + 1u;
    g->ch = (v->cr[9] & 0x1F) + 1u;
    g->cw = (v->sr[1] & 1) ? 8 : 9;
    g->rows = (vertical_display_end(v) + 1) / g->ch;
    g->start = start_address(v);
    g->stride = v->cr[0x13] * 2u;
    return g->cols >= 1 && g->rows >= 1 && g->cols <= 200 && g->rows <= 200;
}

static void render_text(Vga *v)
{
    TextGeom g;
    if (!text_geometry(v, &g) || !frame_resize(v, g.cols * g.cw, g.rows * g.ch))
        return;
    unsigned sr3 = v->sr[3];
    uint32_t map_a = font_map_offset[((sr3 >> 3) & 4) | ((sr3 >> 2) & 3)];
    uint32_t map_b = font_map_offset[((sr3 >> 2) & 4) | (sr3 & 3)];
    uint32_t cursor = (uint32_t)v->cr[0x0E] << 8 | v->cr[0x0F];
    unsigned cur_start = v->cr[0x0A] & 0x1F, cur_end = v->cr[0x0B] & 0x1F;
    bool cursor_on = !(v->cr[0x0A] & 0x20);
    /* Blinking, from guest time in frames of the 70 Hz text timing: the
     * VGA's counter shows the cursor for 16 frames, hides it for 16, and
     * blinks characters at half that rate (32 on, 32 off). */
    uint64_t vframe = clock_ns(v->clock) * 70 / 1000000000u;
    bool cursor_phase = (vframe >> 4) & 1, blink_phase = (vframe >> 5) & 1;
    bool blink_enabled = v->ar[0x10] & 0x08;
    bool line_graphics = v->ar[0x10] & 0x04;
    uint32_t *fb = v->frame.pixels;
    unsigned width = v->frame.width;
    for (unsigned row = 0; row < g.rows; row++) {
        for (unsigned col = 0; col < g.cols; col++) {
            uint32_t addr = g.start + row * g.stride + col;
            uint8_t chr = vram_plane(v, addr, 0), attr = vram_plane(v, addr, 1);
            unsigned fg = attr & 0x0F, bg = attr >> 4;
            if (blink_enabled) {
                bg &= 7;
                if ((attr & 0x80) && blink_phase)
                    fg = bg;
            }
            uint32_t fg_rgb = attr_rgb(v, fg), bg_rgb = attr_rgb(v, bg);
            uint32_t font = ((attr & 0x08) ? map_a : map_b) + chr * 32u;
            bool is_cursor = cursor_on && addr == cursor && !cursor_phase;
            for (unsigned y = 0; y < g.ch; y++) {
                uint8_t bits = vram_plane(v, font + y, 2);
                if (is_cursor && y >= cur_start && y <= cur_end)
                    bits = 0xFF;
                uint32_t *out = fb + (size_t)(row * g.ch + y) * width + col * g.cw;
                for (unsigned x = 0; x < 8; x++)
                    out[x] = (bits & (0x80 >> x)) ? fg_rgb : bg_rgb;
                if (g.cw == 9) {
                    bool ninth = line_graphics && chr >= 0xC0 && chr <= 0xDF && (bits & 1);
                    if (is_cursor && y >= cur_start && y <= cur_end)
                        ninth = true;
                    out[8] = ninth ? fg_rgb : bg_rgb;
                }
            }
        }
    }
}

/* Memory lines per displayed line, and how many display lines there are. */
static void graphic_lines(const Vga *v, unsigned *lines)
{
    unsigned scan = (v->cr[9] & 0x1F) + 1u;
    if (v->cr[9] & 0x80)
        scan *= 2;
    *lines = (vertical_display_end(v) + 1) / scan;
}

static void render_planar(Vga *v)
{
    unsigned width = (v->cr[1] + 1u) * 8, height;
    graphic_lines(v, &height);
    if (!width || !height || width > 2048 || height > 2048 || !frame_resize(v, width, height))
        return;
    uint32_t start = start_address(v), stride = v->cr[0x13] * 2u;
    unsigned enable = v->ar[0x12] & 0x0F;
    uint32_t lut[16];
    for (unsigned c = 0; c < 16; c++)
        lut[c] = attr_rgb(v, c);
    for (unsigned y = 0; y < height; y++) {
        uint32_t *out = v->frame.pixels + (size_t)y * width;
        for (unsigned xb = 0; xb < width / 8; xb++) {
            uint32_t a = start + y * stride + xb;
            uint8_t p0 = vram_plane(v, a, 0), p1 = vram_plane(v, a, 1);
            uint8_t p2 = vram_plane(v, a, 2), p3 = vram_plane(v, a, 3);
            for (unsigned b = 0; b < 8; b++) {
                unsigned s = 7 - b;
                unsigned c = ((p0 >> s) & 1) | ((p1 >> s) & 1) << 1 | ((p2 >> s) & 1) << 2 |
                             ((p3 >> s) & 1) << 3;
                out[xb * 8 + b] = lut[c & enable];
            }
        }
    }
}

/* CGA-compatible 4-colour modes (04h/05h): two bits per pixel in the even
 * and odd bytes, odd scan lines 8 KiB further on. */
static void render_cga(Vga *v)
{
    unsigned width = (v->cr[1] + 1u) * 8, height;
    graphic_lines(v, &height);
    if (!width || !height || width > 2048 || height > 2048 || !frame_resize(v, width, height))
        return;
    uint32_t start = start_address(v), stride = v->cr[0x13] * 2u;
    for (unsigned y = 0; y < height; y++) {
        uint32_t line = start + (y >> 1) * stride + ((y & 1) && !(v->cr[0x17] & 1) ? 0x1000 : 0);
        uint32_t *out = v->frame.pixels + (size_t)y * width;
        for (unsigned x = 0; x < width; x++) {
            uint32_t a = line + x / 8;
            uint8_t byte = vram_plane(v, a, (x / 4) & 1);
            unsigned c = (byte >> (6 - 2 * (x & 3))) & 3;
            out[x] = attr_rgb(v, c);
        }
    }
}

static void render_256(Vga *v)
{
    unsigned width = (v->cr[1] + 1u) * 4, height;
    graphic_lines(v, &height);
    if (!width || !height || width > 2048 || height > 2048 || !frame_resize(v, width, height))
        return;
    uint32_t start = start_address(v) * 4, stride = v->cr[0x13] * 8u;
    uint32_t lut[256];
    for (unsigned c = 0; c < 256; c++)
        lut[c] = dac_rgb(v, c);
    for (unsigned y = 0; y < height; y++) {
        uint32_t *out = v->frame.pixels + (size_t)y * width;
        uint64_t line = start + (uint64_t)y * stride;
        for (unsigned x = 0; x < width; x++) {
            uint64_t b = (line + x) % (v->vram_size < 0x40000 ? v->vram_size : 0x40000);
            out[x] = lut[v->vram[b]];
        }
    }
}

static void render_vbe(Vga *v)
{
    const uint16_t *r = v->vbe_regs;
    unsigned width = r[VBE_DISPI_INDEX_XRES], height = r[VBE_DISPI_INDEX_YRES];
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    if (!width || !height || !frame_resize(v, width, height))
        return;
    unsigned bytes = bpp == 15 ? 2 : (bpp + 7) / 8;
    uint32_t lut[256];
    if (bpp == 8)
        for (unsigned c = 0; c < 256; c++)
            lut[c] = dac_rgb(v, c);
    for (unsigned y = 0; y < height; y++) {
        uint32_t *out = v->frame.pixels + (size_t)y * width;
        uint64_t line = v->vbe_start_addr + (uint64_t)y * v->vbe_line_offset;
        if (line + (uint64_t)width * bytes > v->vram_size) {
            memset(out, 0, (size_t)width * 4);
            continue;
        }
        const uint8_t *p = v->vram + line;
        for (unsigned x = 0; x < width; x++) {
            uint32_t c;
            switch (bpp) {
            case 8: c = lut[p[x]]; break;
            case 15: {
                unsigned w = p[2 * x] | p[2 * x + 1] << 8;
                c = ((w >> 10) & 31) * 255 / 31 << 16 | ((w >> 5) & 31) * 255 / 31 << 8 |
                    (w & 31) * 255 / 31;
                break;
            }
            case 16: {
                unsigned w = p[2 * x] | p[2 * x + 1] << 8;
                c = ((w >> 11) & 31) * 255 / 31 << 16 | ((w >> 5) & 63) * 255 / 63 << 8 |
                    (w & 31) * 255 / 31;
                break;
            }
            case 24: c = (uint32_t)p[3 * x + 2] << 16 | p[3 * x + 1] << 8 | p[3 * x]; break;
            case 32: c = ((uint32_t)p[4 * x + 2] << 16 | p[4 * x + 1] << 8 | p[4 * x]); break;
            default: c = 0; break;
            }
            out[x] = c;
        }
    }
}

const VgaFrame *vga_render(Vga *v)
{
    if (v->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED)
        render_vbe(v);
    else if (!(v->gr[6] & 1))
        render_text(v);
    else if (v->gr[5] & 0x40)
        render_256(v);
    else if (v->gr[5] & 0x20)
        render_cga(v);
    else
        render_planar(v);
    /* Dirty rows: compare with the previous frame. */
    VgaFrame *f = &v->frame;
    f->dirty_first = 1;
    f->dirty_last = 0;
    if (!f->pixels)
        return f;
    size_t row_bytes = (size_t)f->width * 4;
    for (unsigned y = 0; y < f->height; y++) {
        uint32_t *cur = f->pixels + (size_t)y * f->width, *old = v->prev + (size_t)y * f->width;
        if (memcmp(cur, old, row_bytes)) {
            if (f->dirty_first > f->dirty_last)
                f->dirty_first = y;
            f->dirty_last = y;
            memcpy(old, cur, row_bytes);
        }
    }
    return f;
}

static size_t put_utf8(char *out, size_t left, uint32_t cp)
{
    char tmp[3];
    size_t n;
    if (cp < 0x80) {
        tmp[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | cp >> 6);
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        tmp[0] = (char)(0xE0 | cp >> 12);
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    if (n >= left)
        return 0;
    memcpy(out, tmp, n);
    return n;
}

bool vga_text_dump(Vga *v, char *out, size_t outlen)
{
    TextGeom g;
    if (!outlen || !vga_in_text_mode(v) || !text_geometry(v, &g))
        return false;
    size_t pos = 0;
    for (unsigned row = 0; row < g.rows; row++) {
        size_t line_start = pos;
        for (unsigned col = 0; col < g.cols; col++) {
            uint8_t chr = vram_plane(v, g.start + row * g.stride + col, 0);
            pos += put_utf8(out + pos, outlen - pos, cp437_unicode[chr]);
        }
        /* Trailing blanks carry nothing. */
        while (pos > line_start && out[pos - 1] == ' ')
            pos--;
        if (pos + 1 < outlen)
            out[pos++] = '\n';
    }
    out[pos < outlen ? pos : outlen - 1] = '\0';
    return true;
}
