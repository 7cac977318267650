/* SPDX-License-Identifier: MIT */
/* disasm_one() for a kairo built without Capstone (cmake
 * -DKAIRO_CAPSTONE=OFF): each byte is shown as data, so the monitor's `u`,
 * the logs and kairo-trace still print what is in memory. */
#include "debug/disasm.h"

#include <stdio.h>

unsigned disasm_one(const uint8_t *bytes, size_t len, uint32_t eip, bool code32, char *out,
                    size_t outlen)
{
    (void)eip, (void)code32;
    if (!len) {
        snprintf(out, outlen, "(bad)");
        return 0;
    }
    snprintf(out, outlen, ".byte 0x%02x", bytes[0]);
    return 1;
}
