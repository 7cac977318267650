/* SPDX-License-Identifier: MIT */
/* Loading firmware images into the physical address space. */
#ifndef KAIRO_FIRMWARE_H
#define KAIRO_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory/phys.h"

/* Map a system BIOS image so that it ends at 4 GiB, with its last 128 KiB
 * (or all of it, if smaller) aliased below 1 MiB, as QEMU does. The image
 * size must be a multiple of 64 KiB, 64 KiB..16 MiB. */
bool bios_load(PhysMem *mem, const char *path, char *err, size_t errlen);

/* Read a whole image file (firmware, kernel, initrd) of at most max bytes.
 * Returns a malloc'd buffer (at least one byte) and its size, or NULL with
 * errno set: from fopen/fread, EFBIG when the file exceeds max (*size then
 * holds its size), ENOMEM. */
uint8_t *firmware_read_file(const char *path, size_t max, size_t *size);

#endif
