/* SPDX-License-Identifier: MIT */
/* Reads text-mode screens from pictures, for the display test.
 *
 *   screen_read text CAPTURE REF.png REF.txt CWxCH
 *       Prints the text CAPTURE shows, cell by cell ('?' for a cell whose
 *       glyph is unknown). The glyphs are learnt from REF.png, a kairo
 *       screendump of a text screen, and REF.txt, the same screen as
 *       --dump-text printed it: so the window is read with the guest's own
 *       font, no OCR involved.
 *   screen_read font CAPTURE FONT_FILE 8x16
 *       The same with the 8x16 VGA font found in FONT_FILE (a VGA BIOS
 *       image, gui/vgafont.c): for kairo's monitor console.
 *   screen_read same A B CWxCH
 *       Exit 0 when A and B are the same size and their pixels are equal,
 *       apart from at most one character cell (the blinking cursor).
 *
 * Pictures: PNGs (8-bit RGB or RGBA, read by tests/gfx/png_read.c) and X
 * window dumps (xwd, TrueColor ZPixmap at 24 or 32 bits per pixel). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/vgafont.h"
#include "tests/gfx/png_read.h"

typedef struct Image {
    unsigned w, h;
    uint32_t *px;   /* 0xRRGGBB */
} Image;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    if (buf)
        buf[n] = 0;
    return buf;
}

static unsigned mask_shift(uint32_t m)
{
    unsigned s = 0;
    while (m && !(m & 1)) {
        m >>= 1;
        s++;
    }
    return s;
}

/* XWDFileHeader: 25 big-endian CARD32s, the window name, the colours. */
static bool load_xwd(const uint8_t *d, size_t n, Image *img)
{
    if (n < 100 || be32(d + 4) != 7 || be32(d + 8) != 2)
        return false;
    uint32_t hdr = be32(d), bpp = be32(d + 44), bpl = be32(d + 48), ncolors = be32(d + 76);
    uint32_t rmask = be32(d + 56), gmask = be32(d + 60), bmask = be32(d + 64);
    bool msb = be32(d + 28) == 1;
    img->w = be32(d + 16);
    img->h = be32(d + 20);
    size_t off = hdr + (size_t)ncolors * 12;
    unsigned bytes = bpp / 8;
    if ((bpp != 32 && bpp != 24) || off + (size_t)bpl * img->h > n ||
        bpl < (size_t)img->w * bytes)
        return false;
    img->px = malloc((size_t)img->w * img->h * 4);
    if (!img->px)
        return false;
    for (unsigned y = 0; y < img->h; y++)
        for (unsigned x = 0; x < img->w; x++) {
            const uint8_t *p = d + off + (size_t)y * bpl + (size_t)x * bytes;
            uint32_t v = 0;
            for (unsigned i = 0; i < bytes; i++)
                v |= (uint32_t)p[msb ? bytes - 1 - i : i] << (8 * i);
            uint32_t r = (v & rmask) >> mask_shift(rmask), g = (v & gmask) >> mask_shift(gmask),
                     b = (v & bmask) >> mask_shift(bmask);
            img->px[y * img->w + x] = r << 16 | g << 8 | b;
        }
    return true;
}

static bool load_image(const char *path, Image *img)
{
    size_t n;
    uint8_t *d = slurp(path, &n);
    bool png = d && n > 8 && !memcmp(d, "\x89PNG", 4);
    bool ok = d && !png && load_xwd(d, n, img);
    free(d);
    char err[200];
    /* The tests' one PNG reader; its pixels are 0xRRGGBB as here. */
    if (png && (img->px = png_read_xrgb(path, &img->w, &img->h, err, sizeof err)) != NULL)
        ok = true;
    if (!ok)
        fprintf(stderr, "screen_read: cannot read %s (kairo PNG or xwd dump)\n", path);
    return ok;
}

/* --- glyphs --- */

#define MAX_CELL_BITS 512
typedef struct Glyph {
    uint64_t bits[MAX_CELL_BITS / 64];
    char ch;
} Glyph;

static unsigned cw, ch;

/* The picture's background: its most common colour among the first pixels
 * of each cell row (text screens are mostly background). */
static uint32_t background(const Image *img)
{
    uint32_t best = 0;
    unsigned best_n = 0;
    for (unsigned i = 0; i < img->w * img->h; i += 97) {
        unsigned n = 0;
        for (unsigned j = 0; j < img->w * img->h; j += 97)
            n += img->px[j] == img->px[i];
        if (n > best_n) {
            best_n = n;
            best = img->px[i];
        }
    }
    return best;
}

static void cell_bits(const Image *img, uint32_t bg, unsigned row, unsigned col, Glyph *g)
{
    memset(g->bits, 0, sizeof g->bits);
    for (unsigned y = 0; y < ch; y++)
        for (unsigned x = 0; x < cw; x++) {
            unsigned i = y * cw + x;
            if (img->px[(row * ch + y) * img->w + col * cw + x] != bg)
                g->bits[i / 64] |= 1ull << (i % 64);
        }
}

/* Print the capture as text: each cell as the glyph whose bits it has
 * exactly, '?' when none; trailing blanks dropped. */
static void print_cells(const Image *cap, const Glyph *glyphs, unsigned n_glyphs)
{
    uint32_t bg = background(cap);
    for (unsigned row = 0; row < cap->h / ch; row++) {
        char out[512];
        unsigned n = 0;
        for (unsigned col = 0; col < cap->w / cw && n < sizeof out - 1; col++) {
            Glyph g;
            cell_bits(cap, bg, row, col, &g);
            char c = '?';
            for (unsigned i = 0; i < n_glyphs; i++)
                if (!memcmp(glyphs[i].bits, g.bits, sizeof g.bits)) {
                    c = glyphs[i].ch;
                    break;
                }
            out[n++] = c;
        }
        while (n && out[n - 1] == ' ')
            n--;
        printf("%.*s\n", (int)n, out);
    }
}

static int cmd_text(const char *cap_path, const char *ref_png, const char *ref_txt)
{
    Image cap = {0}, ref = {0};
    size_t tlen;
    char *text = (char *)slurp(ref_txt, &tlen);
    if (!text || !load_image(cap_path, &cap) || !load_image(ref_png, &ref)) {
        free(text);
        free(cap.px);
        return 2;
    }
    static Glyph glyphs[256];
    unsigned n_glyphs = 0;
    uint32_t ref_bg = background(&ref);
    char *line = text;
    for (unsigned row = 0; row < ref.h / ch && line; row++) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        bool ascii = true;
        for (size_t i = 0; i < len; i++)
            ascii = ascii && !(line[i] & 0x80);
        /* Lines with other characters would shift the columns: skip them. */
        for (unsigned col = 0; ascii && col < ref.w / cw; col++) {
            char c = col < len ? line[col] : ' ';
            bool known = false;
            for (unsigned i = 0; i < n_glyphs && !known; i++)
                known = glyphs[i].ch == c;
            if (known || n_glyphs == 256)
                continue;
            cell_bits(&ref, ref_bg, row, col, &glyphs[n_glyphs]);
            glyphs[n_glyphs++].ch = c;
        }
        line = nl ? nl + 1 : NULL;
    }
    print_cells(&cap, glyphs, n_glyphs);
    free(text);
    free(cap.px);
    free(ref.px);
    return 0;
}

/* The capture's cells read with the VGA font's printable glyphs. */
static int cmd_font(const char *cap_path, const char *font_path)
{
    static uint8_t font[VGAFONT_BYTES];
    Image cap = {0};
    if (cw != VGAFONT_W || ch != VGAFONT_H) {
        fprintf(stderr, "screen_read: the VGA font's cells are 8x16\n");
        return 2;
    }
    if (!vgafont_load(font_path, font)) {
        fprintf(stderr, "screen_read: no 8x16 VGA font in %s\n", font_path);
        return 2;
    }
    if (!load_image(cap_path, &cap))
        return 2;
    static Glyph glyphs[0x7F - 0x20];
    for (unsigned c = 0x20; c < 0x7F; c++) {
        Glyph *g = &glyphs[c - 0x20];
        g->ch = (char)c;
        for (unsigned y = 0; y < VGAFONT_H; y++)
            for (unsigned x = 0; x < VGAFONT_W; x++)
                if (font[c * VGAFONT_H + y] & (0x80 >> x))
                    g->bits[(y * cw + x) / 64] |= 1ull << ((y * cw + x) % 64);
    }
    print_cells(&cap, glyphs, sizeof glyphs / sizeof glyphs[0]);
    free(cap.px);
    return 0;
}

/* Compare two pictures: identical, or different only inside one cell. */
static int compare_images(const Image *a, const Image *b);

static int cmd_same(const char *a_path, const char *b_path)
{
    Image a = {0}, b = {0};
    int r = load_image(a_path, &a) && load_image(b_path, &b) ? compare_images(&a, &b) : 2;
    free(a.px);
    free(b.px);
    return r;
}

static int compare_images(const Image *ap, const Image *bp)
{
    const Image a = *ap, b = *bp;
    if (a.w != b.w || a.h != b.h) {
        printf("screen_read: sizes differ: %ux%u and %ux%u\n", a.w, a.h, b.w, b.h);
        return 1;
    }
    unsigned diffs = 0, cell_row = 0, cell_col = 0, other = 0;
    for (unsigned y = 0; y < a.h; y++)
        for (unsigned x = 0; x < a.w; x++) {
            if (a.px[y * a.w + x] == b.px[y * a.w + x])
                continue;
            if (!diffs++) {
                cell_row = y / ch;
                cell_col = x / cw;
            } else if (y / ch != cell_row || x / cw != cell_col) {
                if (other++ < 5)
                    printf("screen_read: (%u,%u) differs: %06X vs %06X\n", x, y,
                           a.px[y * a.w + x], b.px[y * a.w + x]);
            }
        }
    if (other) {
        printf("screen_read: %u pixels differ outside one cell\n", other);
        return 1;
    }
    if (diffs)
        printf("screen_read: %ux%u identical but for %u pixels in cell row %u col %u "
               "(the cursor)\n", a.w, a.h, diffs, cell_row, cell_col);
    else
        printf("screen_read: %ux%u identical\n", a.w, a.h);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cell = argv[argc - 1];
    if (argc < 5 || sscanf(cell, "%ux%u", &cw, &ch) != 2 || !cw || !ch ||
        cw * ch > MAX_CELL_BITS) {
        fprintf(stderr, "usage: screen_read text CAPTURE REF.png REF.txt CWxCH\n"
                        "       screen_read font CAPTURE FONT_FILE 8x16\n"
                        "       screen_read same A B CWxCH\n");
        return 2;
    }
    if (!strcmp(argv[1], "text") && argc == 6)
        return cmd_text(argv[2], argv[3], argv[4]);
    if (!strcmp(argv[1], "same") && argc == 5)
        return cmd_same(argv[2], argv[3]);
    if (!strcmp(argv[1], "font") && argc == 5)
        return cmd_font(argv[2], argv[3]);
    fprintf(stderr, "screen_read: unknown command '%s'\n", argv[1]);
    return 2;
}
