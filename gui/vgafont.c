/* SPDX-License-Identifier: MIT */
/* Finding the 8x16 VGA font in a file (see vgafont.h). */
#include "gui/vgafont.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t smiley[VGAFONT_H] = { 0x00, 0x00, 0x7E, 0x81, 0xA5, 0x81, 0x81, 0xBD,
                                           0x99, 0x81, 0x81, 0x7E, 0x00, 0x00, 0x00, 0x00 };

const uint8_t *vgafont_find(const uint8_t *buf, size_t len)
{
    static const uint8_t zero[VGAFONT_H];
    for (size_t off = 0; off + VGAFONT_BYTES <= len; off++)
        if (buf[off + VGAFONT_H + 2] == 0x7E && !memcmp(buf + off, zero, VGAFONT_H) &&
            !memcmp(buf + off + VGAFONT_H, smiley, VGAFONT_H))
            return buf + off;
    return NULL;
}

bool vgafont_load(const char *path, uint8_t font[VGAFONT_BYTES])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    /* A BIOS image is 32-64 KiB; a kernel some MiB (at most 256 read). */
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = cap < (256u << 20) ? realloc(buf, cap *= 2) : NULL;
            if (!bigger)
                break;
            buf = bigger;
        }
    }
    fclose(f);
    const uint8_t *found = buf ? vgafont_find(buf, n) : NULL;
    if (found)
        memcpy(font, found, VGAFONT_BYTES);
    free(buf);
    return found != NULL;
}
