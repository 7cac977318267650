/* SPDX-License-Identifier: MIT */
/* Checks a screendump of the gfx.asm test pattern pixel by pixel.
 *   gfx_check 12|13|vbe FILE.png
 * Reads the PNGs kairo writes (png_read.c); a
 * mode drawn at a lower resolution may be scaled by an integer factor.
 * Exit 0 when every pixel is the expected colour. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_read.h"

static unsigned dac8(unsigned v) { return (v << 2) | (v >> 4); }
static uint32_t rgb6(unsigned r, unsigned g, unsigned b) { return dac8(r) << 16 | dac8(g) << 8 | dac8(b); }

/* The colour gfx.asm draws at (x, y) in the mode's own resolution. */
static uint32_t expected(int mode, unsigned x, unsigned y)
{
    if (mode == 13) {
        unsigned i = (x ^ y) & 255;
        return rgb6(i & 63, (i >> 2) & 63, 63 - (i & 63));
    }
    if (mode == 12) {
        unsigned c = ((x >> 3) + y) & 15;
        return rgb6(c * 4, 63 - c * 4, c * 2 + 16);
    }
    return (x & 255) << 16 | (y & 255) << 8 | ((x ^ y) & 255);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "12") && strcmp(argv[1], "13") && strcmp(argv[1], "vbe"))) {
        fprintf(stderr, "usage: gfx_check 12|13|vbe FILE.png\n");
        return 2;
    }
    int mode = !strcmp(argv[1], "vbe") ? 0 : atoi(argv[1]);
    unsigned mw = mode == 13 ? 320 : mode == 12 ? 640 : 1024;
    unsigned mh = mode == 13 ? 200 : mode == 12 ? 480 : 768;
    unsigned w, h;
    char err[300];
    uint32_t *pixels = png_read_xrgb(argv[2], &w, &h, err, sizeof err);
    if (!pixels) {
        fprintf(stderr, "gfx_check: %s\n", err);
        return 1;
    }
    if (w % mw || h % mh) {
        fprintf(stderr, "gfx_check: %ux%u is not a scaled %ux%u picture\n", w, h, mw, mh);
        return 1;
    }
    unsigned sx = w / mw, sy = h / mh;
    unsigned long bad = 0;
    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            uint32_t got = pixels[(size_t)y * w + x];
            uint32_t want = expected(mode, x / sx, y / sy);
            if (got != want && bad++ < 5)
                fprintf(stderr, "gfx_check: (%u,%u) is %06X, want %06X\n", x, y, got, want);
        }
    }
    printf("gfx_check: mode %s, %ux%u (scale %ux%u): %lu of %lu pixels differ\n", argv[1], w, h,
           sx, sy, bad, (unsigned long)w * h);
    free(pixels);
    return bad ? 1 : 0;
}
