/* SPDX-License-Identifier: MIT */
/* Screendump writers. PNG: one IHDR, one zlib-compressed IDAT (filter
 * type 0 on every row), IEND; zlib does the deflate and the CRCs. PPM: the
 * netpbm P6 header and the RGB bytes, as QEMU writes it. */
#include "gui/screendump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static bool write_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t head[8];
    put_be32(head, len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0, head + 4, 4);
    if (len)
        crc = crc32(crc, data, len);
    uint8_t tail[4];
    put_be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) &&
           fwrite(tail, 1, 4, f) == 4;
}

bool screendump_png(const char *path, const uint32_t *pixels, unsigned width, unsigned height,
                    char *err, size_t errlen)
{
    if (!width || !height || width > 16384 || height > 16384) {
        snprintf(err, errlen, "screendump: no picture (%ux%u)", width, height);
        return false;
    }
    size_t row = 1 + (size_t)width * 3;
    size_t raw_len = row * height;
    uint8_t *raw = malloc(raw_len);
    uLongf packed_len = compressBound((uLong)raw_len);
    uint8_t *packed = malloc(packed_len);
    if (!raw || !packed) {
        free(raw);
        free(packed);
        snprintf(err, errlen, "screendump: out of memory");
        return false;
    }
    for (unsigned y = 0; y < height; y++) {
        uint8_t *o = raw + y * row;
        *o++ = 0;   /* filter: none */
        for (unsigned x = 0; x < width; x++) {
            uint32_t p = pixels[(size_t)y * width + x];
            *o++ = (uint8_t)(p >> 16);
            *o++ = (uint8_t)(p >> 8);
            *o++ = (uint8_t)p;
        }
    }
    bool ok = compress2(packed, &packed_len, raw, (uLong)raw_len, 6) == Z_OK;
    free(raw);
    FILE *f = ok ? fopen(path, "wb") : NULL;
    if (!f) {
        snprintf(err, errlen, "screendump %s: %s", path, ok ? strerror(errno) : "deflate failed");
        free(packed);
        return false;
    }
    static const uint8_t signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    uint8_t ihdr[13];
    put_be32(ihdr, width);
    put_be32(ihdr + 4, height);
    ihdr[8] = 8;    /* bits per sample */
    ihdr[9] = 2;    /* colour type: RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    ok = fwrite(signature, 1, 8, f) == 8 && write_chunk(f, "IHDR", ihdr, 13) &&
         write_chunk(f, "IDAT", packed, (uint32_t)packed_len) && write_chunk(f, "IEND", NULL, 0);
    free(packed);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errlen, "screendump %s: write failed", path);
    return ok;
}

bool screendump_ppm(const char *path, const uint32_t *pixels, unsigned width, unsigned height,
                    char *err, size_t errlen)
{
    if (!width || !height || width > 16384 || height > 16384) {
        snprintf(err, errlen, "screendump: no picture (%ux%u)", width, height);
        return false;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "screendump %s: %s", path, strerror(errno));
        return false;
    }
    bool ok = fprintf(f, "P6\n%u %u\n255\n", width, height) > 0;
    uint8_t *row = malloc((size_t)width * 3);
    ok = ok && row;
    for (unsigned y = 0; ok && y < height; y++) {
        for (unsigned x = 0; x < width; x++) {
            uint32_t p = pixels[(size_t)y * width + x];
            row[x * 3] = (uint8_t)(p >> 16);
            row[x * 3 + 1] = (uint8_t)(p >> 8);
            row[x * 3 + 2] = (uint8_t)p;
        }
        ok = fwrite(row, 3, width, f) == width;
    }
    free(row);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errlen, "screendump %s: write failed", path);
    return ok;
}

ScreendumpFormat screendump_format_of(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcasecmp(path + n - 4, ".png") ? SCREENDUMP_PNG : SCREENDUMP_PPM;
}

bool screendump_parse_format(const char *name, ScreendumpFormat *out)
{
    if (!strcmp(name, "png"))
        *out = SCREENDUMP_PNG;
    else if (!strcmp(name, "ppm"))
        *out = SCREENDUMP_PPM;
    else
        return false;
    return true;
}

bool screendump_write(const char *path, ScreendumpFormat fmt, const uint32_t *pixels,
                      unsigned width, unsigned height, char *err, size_t errlen)
{
    return fmt == SCREENDUMP_PNG ? screendump_png(path, pixels, width, height, err, errlen)
                                 : screendump_ppm(path, pixels, width, height, err, errlen);
}
