/* SPDX-License-Identifier: MIT */
/* A small PNG reader for the tests: 8-bit RGB or RGBA, non-interlaced,
 * any row filter (kairo's screendumps, and window captures written by
 * other tools). */
#ifndef KAIRO_TEST_PNG_READ_H
#define KAIRO_TEST_PNG_READ_H

#include <stddef.h>
#include <stdint.h>

/* The picture as width*height XRGB8888 pixels (free() it), or NULL with a
 * one-line reason in err. */
uint32_t *png_read_xrgb(const char *path, unsigned *width, unsigned *height, char *err,
                        size_t errlen);

#endif
