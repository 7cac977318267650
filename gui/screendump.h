/* SPDX-License-Identifier: MIT */
/* Screenshots: a rendered VGA frame written as a PNG or a PPM file. */
#ifndef KAIRO_SCREENDUMP_H
#define KAIRO_SCREENDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write width*height XRGB8888 pixels as an 8-bit RGB PNG; false with a
 * one-line reason in err. */
bool screendump_png(const char *path, const uint32_t *pixels, unsigned width, unsigned height,
                    char *err, size_t errlen);

/* The same as a binary PPM (P6, maxval 255), QEMU's screendump format. */
bool screendump_ppm(const char *path, const uint32_t *pixels, unsigned width, unsigned height,
                    char *err, size_t errlen);

typedef enum { SCREENDUMP_PPM, SCREENDUMP_PNG } ScreendumpFormat;
/* The format a file name asks for: .png is PNG; .ppm, .pnm and anything
 * else PPM, QEMU's default. */
ScreendumpFormat screendump_format_of(const char *path);
/* "png" / "ppm" (-f of the monitor's screendump); false on anything else. */
bool screendump_parse_format(const char *name, ScreendumpFormat *out);
bool screendump_write(const char *path, ScreendumpFormat fmt, const uint32_t *pixels,
                      unsigned width, unsigned height, char *err, size_t errlen);

#endif
