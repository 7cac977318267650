/* SPDX-License-Identifier: MIT */
/* Reads the text a framebuffer console drew into a screendump.
 *   fb_text FONT_FILE FILE.png
 * Linux's fbcon draws with its 8x16 VGA font; the font is taken from the
 * decompressed kernel itself (found by its first two glyphs: blank, then
 * the smiley), so the check needs no copy of the font in this repository.
 * (A VGA BIOS image works too, for consoles drawn with the BIOS font.) Every 8x16 cell of the picture is
 * reduced to one bit per pixel (brighter than the cell's darkest colour)
 * and looked up among the 256 glyphs; a cell that matches none prints '?'.
 * Prints the screen as lines of text; exit 1 when the picture cannot be
 * read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/vgafont.h"
#include "png_read.h"

enum { CELL_W = VGAFONT_W, CELL_H = VGAFONT_H, FONT_BYTES = VGAFONT_BYTES, MAX_DIFF_BITS = 2 };

/* The font inside a file: the BIOS image, or the decompressed kernel (whose
 * fbcon font is the one drawn). Returns a malloc'ed copy of the 4 KiB. */
static uint8_t *find_font(const char *path)
{
    uint8_t *font = malloc(FONT_BYTES);
    if (font && !vgafont_load(path, font)) {
        free(font);
        font = NULL;
    }
    return font;
}

/* The cell at (cx, cy) as one byte per row, a set bit where the pixel is
 * brighter than the darkest pixel of the cell (the console's background). */
static void cell_bits(const uint32_t *px, unsigned width, unsigned cx, unsigned cy,
                      uint8_t bits[CELL_H])
{
    unsigned darkest = ~0u;
    for (unsigned y = 0; y < CELL_H; y++)
        for (unsigned x = 0; x < CELL_W; x++) {
            uint32_t c = px[(size_t)(cy * CELL_H + y) * width + cx * CELL_W + x];
            unsigned lum = ((c >> 16) & 255) + ((c >> 8) & 255) + (c & 255);
            if (lum < darkest)
                darkest = lum;
        }
    for (unsigned y = 0; y < CELL_H; y++) {
        bits[y] = 0;
        for (unsigned x = 0; x < CELL_W; x++) {
            uint32_t c = px[(size_t)(cy * CELL_H + y) * width + cx * CELL_W + x];
            unsigned lum = ((c >> 16) & 255) + ((c >> 8) & 255) + (c & 255);
            if (lum > darkest)
                bits[y] |= (uint8_t)(0x80 >> x);
        }
    }
}

/* The printable ASCII glyph nearest to the cell, when at most
 * MAX_DIFF_BITS pixels differ (a cursor drawn over the cell); a cell no
 * glyph comes near reads '?'. */
static char glyph_char(const uint8_t *font, const uint8_t bits[CELL_H])
{
    static const uint8_t blank[CELL_H];
    if (!memcmp(bits, blank, CELL_H))
        return ' ';
    unsigned best = ~0u;
    char best_c = '?';
    for (unsigned c = 0x21; c < 0x7F; c++) {
        unsigned diff = 0;
        for (unsigned y = 0; y < CELL_H; y++)
            diff += (unsigned)__builtin_popcount(font[c * CELL_H + y] ^ bits[y]);
        if (diff < best) {
            best = diff;
            best_c = (char)c;
        }
    }
    return best <= MAX_DIFF_BITS ? best_c : '?';
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fb_text FONT_FILE FILE.png\n");
        return 2;
    }
    uint8_t *font = find_font(argv[1]);
    if (!font) {
        fprintf(stderr, "fb_text: no 8x16 VGA font found in %s\n", argv[1]);
        return 1;
    }
    unsigned w, h;
    char err[300];
    uint32_t *px = png_read_xrgb(argv[2], &w, &h, err, sizeof err);
    if (!px) {
        fprintf(stderr, "fb_text: %s\n", err);
        free(font);
        return 1;
    }
    for (unsigned cy = 0; cy < h / CELL_H; cy++) {
        char line[CELL_W * 1024 / CELL_W + 1];
        unsigned n = 0;
        for (unsigned cx = 0; cx < w / CELL_W && n < sizeof line - 1; cx++) {
            uint8_t bits[CELL_H];
            cell_bits(px, w, cx, cy, bits);
            line[n++] = glyph_char(font, bits);
        }
        while (n && line[n - 1] == ' ')
            n--;
        line[n] = 0;
        puts(line);
    }
    free(px);
    free(font);
    return 0;
}
