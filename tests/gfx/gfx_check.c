/* Checks a screendump of the gfx.asm test pattern pixel by pixel.
 *   gfx_check 12|13|vbe FILE.png
 * Reads the PNGs kairo writes (8-bit RGB, filter type 0 on each row); a
 * mode drawn at a lower resolution may be scaled by an integer factor.
 * Exit 0 when every pixel is the expected colour. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
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

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
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
    size_t len;
    uint8_t *png = slurp(argv[2], &len);
    if (!png || len < 33 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) || memcmp(png + 12, "IHDR", 4)) {
        fprintf(stderr, "gfx_check: %s is not a PNG\n", argv[2]);
        return 1;
    }
    unsigned w = be32(png + 16), h = be32(png + 20);
    if (png[24] != 8 || png[25] != 2 || w % mw || h % mh || !w || !h) {
        fprintf(stderr, "gfx_check: %ux%u (type %u/%u) is not a scaled %ux%u RGB picture\n", w, h,
                png[24], png[25], mw, mh);
        return 1;
    }
    size_t idat_len = 0;
    uint8_t *idat = malloc(len);
    for (size_t p = 8; p + 12 <= len;) {
        uint32_t n = be32(png + p);
        if (n > len - p - 12)
            break;
        if (!memcmp(png + p + 4, "IDAT", 4)) {
            memcpy(idat + idat_len, png + p + 8, n);
            idat_len += n;
        }
        p += 12 + (size_t)n;
    }
    size_t row = 1 + (size_t)w * 3;
    uLongf raw_len = (uLongf)(row * h);
    uint8_t *raw = malloc(raw_len);
    if (uncompress(raw, &raw_len, idat, (uLong)idat_len) != Z_OK || raw_len != row * h) {
        fprintf(stderr, "gfx_check: bad image data\n");
        return 1;
    }
    unsigned sx = w / mw, sy = h / mh;
    unsigned long bad = 0;
    for (unsigned y = 0; y < h; y++) {
        const uint8_t *r = raw + y * row;
        if (r[0] != 0) {
            fprintf(stderr, "gfx_check: row %u uses PNG filter %u\n", y, r[0]);
            return 1;
        }
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *px = r + 1 + x * 3;
            uint32_t got = (uint32_t)px[0] << 16 | px[1] << 8 | px[2];
            uint32_t want = expected(mode, x / sx, y / sy);
            if (got != want && bad++ < 5)
                fprintf(stderr, "gfx_check: (%u,%u) is %06X, want %06X\n", x, y, got, want);
        }
    }
    printf("gfx_check: mode %s, %ux%u (scale %ux%u): %lu of %lu pixels differ\n", argv[1], w, h,
           sx, sy, bad, (unsigned long)w * h);
    free(png);
    free(idat);
    free(raw);
    return bad ? 1 : 0;
}
