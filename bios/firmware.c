/* SPDX-License-Identifier: MIT */
/* Firmware loading: the system BIOS at the top of the address space. */
#include "bios/firmware.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *firmware_read_file(const char *path, size_t max, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    uint8_t *buf = NULL;
    int error = 0;
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        error = errno ? errno : EIO;
    } else if ((unsigned long)len > max) {
        *size = (size_t)len;
        error = EFBIG;
    } else if (!(buf = malloc(len ? (size_t)len : 1))) {
        error = ENOMEM;
    } else if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        error = ferror(f) && errno ? errno : EIO;
        free(buf);
        buf = NULL;
    } else {
        *size = (size_t)len;
    }
    fclose(f);
    errno = error;
    return buf;
}

bool bios_load(PhysMem *mem, const char *path, char *err, size_t errlen)
{
    size_t size;
    uint8_t *buf = firmware_read_file(path, 16u << 20, &size);
    if (!buf && errno != EFBIG) {
        snprintf(err, errlen, "cannot open BIOS image '%s': %s", path, strerror(errno));
        return false;
    }
    if (!buf || size == 0 || size % 65536 != 0) {
        snprintf(err, errlen,
                 "BIOS image '%s' is %zu bytes: it must be a multiple of 64 KiB, at most 16 MiB",
                 path, size);
        free(buf);
        return false;
    }
    uint32_t len = (uint32_t)size;
    uint32_t low = len < 0x20000 ? len : 0x20000;
    bool ok = phys_map_rom(mem, (uint32_t)(0x100000000ull - len), buf, len) &&
         phys_map_rom(mem, 0x100000u - low, buf + (len - low), low);
    free(buf);
    if (!ok)
        snprintf(err, errlen, "cannot map BIOS image '%s'", path);
    return ok;
}
