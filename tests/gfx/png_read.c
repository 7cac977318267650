/* SPDX-License-Identifier: MIT */
/* See png_read.h. Only what the tests' pictures use; anything else is
 * refused with a reason rather than misread. */
#include "png_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

static uint8_t paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Undo one row's filter in place; prev is the previous unfiltered row
 * (zeros for the first). */
static int unfilter(uint8_t type, uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp)
{
    for (size_t i = 0; i < n; i++) {
        int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
        switch (type) {
        case 0: break;
        case 1: row[i] = (uint8_t)(row[i] + a); break;
        case 2: row[i] = (uint8_t)(row[i] + b); break;
        case 3: row[i] = (uint8_t)(row[i] + ((a + b) >> 1)); break;
        case 4: row[i] = (uint8_t)(row[i] + paeth(a, b, c)); break;
        default: return -1;
        }
    }
    return 0;
}

uint32_t *png_read_xrgb(const char *path, unsigned *width, unsigned *height, char *err,
                        size_t errlen)
{
    size_t len;
    uint8_t *png = slurp(path, &len);
    uint8_t *idat = NULL, *raw = NULL;
    uint32_t *out = NULL;
    if (!png || len < 33 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) || memcmp(png + 12, "IHDR", 4)) {
        snprintf(err, errlen, "%s: not a PNG file", path);
        goto done;
    }
    unsigned w = be32(png + 16), h = be32(png + 20);
    unsigned bpp = png[25] == 2 ? 3 : png[25] == 6 ? 4 : 0;
    if (png[24] != 8 || !bpp || png[28] != 0 || !w || !h || w > 16384 || h > 16384) {
        snprintf(err, errlen, "%s: %ux%u, depth %u, type %u, interlace %u: not 8-bit RGB(A)",
                 path, w, h, png[24], png[25], png[28]);
        goto done;
    }
    size_t idat_len = 0;
    idat = malloc(len);
    for (size_t p = 8; idat && p + 12 <= len;) {
        uint32_t n = be32(png + p);
        if (n > len - p - 12)
            break;
        if (!memcmp(png + p + 4, "IDAT", 4)) {
            memcpy(idat + idat_len, png + p + 8, n);
            idat_len += n;
        }
        p += 12 + (size_t)n;
    }
    size_t row = 1 + (size_t)w * bpp;
    uLongf raw_len = (uLongf)(row * h);
    raw = malloc(raw_len);
    if (!idat || !raw || uncompress(raw, &raw_len, idat, (uLong)idat_len) != Z_OK ||
        raw_len != row * h) {
        snprintf(err, errlen, "%s: bad image data", path);
        goto done;
    }
    out = malloc((size_t)w * h * sizeof *out);
    uint8_t *zero = calloc(row, 1);
    for (unsigned y = 0; out && zero && y < h; y++) {
        uint8_t *r = raw + (size_t)y * row;
        const uint8_t *prev = y ? raw + (size_t)(y - 1) * row + 1 : zero;
        if (unfilter(r[0], r + 1, prev, row - 1, bpp) < 0) {
            snprintf(err, errlen, "%s: row %u has filter type %u", path, y, r[0]);
            free(out);
            out = NULL;
            break;
        }
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *px = r + 1 + (size_t)x * bpp;
            out[(size_t)y * w + x] = (uint32_t)px[0] << 16 | px[1] << 8 | px[2];
        }
    }
    free(zero);
    if (out) {
        *width = w;
        *height = h;
    }
done:
    free(png);
    free(idat);
    free(raw);
    return out;
}
