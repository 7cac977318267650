/* Firmware loading: the system BIOS at the top of the address space. */
#include "bios/firmware.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool bios_load(PhysMem *mem, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open BIOS image '%s': %s", path, strerror(errno));
        return false;
    }
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size <= 0 || size % 65536 != 0 || size > (16l << 20)) {
        snprintf(err, errlen,
                 "BIOS image '%s' is %ld bytes: it must be a multiple of 64 KiB, at most 16 MiB",
                 path, size);
        fclose(f);
        return false;
    }
    uint8_t *buf = malloc((size_t)size);
    rewind(f);
    bool ok = buf && fread(buf, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "cannot read BIOS image '%s'", path);
        free(buf);
        return false;
    }
    uint32_t len = (uint32_t)size;
    uint32_t low = len < 0x20000 ? len : 0x20000;
    ok = phys_map_rom(mem, (uint32_t)(0x100000000ull - len), buf, len) &&
         phys_map_rom(mem, 0x100000u - low, buf + (len - low), low);
    free(buf);
    if (!ok)
        snprintf(err, errlen, "cannot map BIOS image '%s'", path);
    return ok;
}
