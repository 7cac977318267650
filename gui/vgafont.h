/* SPDX-License-Identifier: MIT */
/* The standard 8x16 VGA font, taken from a file that holds it (a VGA BIOS
 * image, a decompressed Linux kernel), so the repository carries no copy:
 * the 4 KiB table is found by its first two glyphs, a blank one and the
 * smiley. Used by the monitor console (gui/console.c) and the tests that
 * read text off pictures (tests/gfx/fb_text.c, tests/gui/screen_read.c). */
#ifndef KAIRO_VGAFONT_H
#define KAIRO_VGAFONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { VGAFONT_W = 8, VGAFONT_H = 16, VGAFONT_BYTES = 256 * VGAFONT_H };

/* The font inside buf[0..len), or NULL. */
const uint8_t *vgafont_find(const uint8_t *buf, size_t len);
/* Read path and copy its font into font; false when the file cannot be
 * read or holds none. */
bool vgafont_load(const char *path, uint8_t font[VGAFONT_BYTES]);

#endif
