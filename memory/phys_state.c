/* SPDX-License-Identifier: MIT */
/* Guest RAM as a machine component (iodev/device.h). The section holds
 * the RAM size, then every page that is not all zeros as (u32 page
 * number, 4 KiB), ended by the page number 0xFFFFFFFF; a guest that
 * touched little memory makes a small snapshot. ROMs are not state (they
 * come from the firmware files); which RAM or ROM the 0xC0000-0xFFFFF
 * window shows is the i440FX's PAM registers, restored with the PCI
 * config space. */
#include "memory/phys_state.h"

#include <stdio.h>
#include <string.h>

#define PAGE_LIST_END 0xFFFFFFFFu

static bool page_is_zero(const uint8_t *p)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < PHYS_PAGE_SIZE; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        acc |= v;
    }
    return acc == 0;
}

static void ram_save(void *dev, StateWriter *w)
{
    const PhysMem *m = dev;
    state_put_u32(w, m->ram_size);
    for (uint32_t pg = 0; pg < m->ram_size / PHYS_PAGE_SIZE; pg++) {
        const uint8_t *p = m->ram + (size_t)pg * PHYS_PAGE_SIZE;
        if (page_is_zero(p))
            continue;
        state_put_u32(w, pg);
        state_put_bytes(w, p, PHYS_PAGE_SIZE);
    }
    state_put_u32(w, PAGE_LIST_END);
}

static bool ram_load(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    PhysMem *m = dev;
    (void)version;
    uint32_t size = state_get_u32(r);
    if (!state_ok(r))
        return true;   /* the caller reports the truncation */
    if (size != m->ram_size) {
        snprintf(err, errlen, "snapshot: RAM size %u MiB, this machine %u MiB", size >> 20,
                 m->ram_size >> 20);
        return false;
    }
    memset(m->ram, 0, m->ram_size);
    uint32_t pages = m->ram_size / PHYS_PAGE_SIZE, prev = 0;
    bool first = true;
    for (;;) {
        uint32_t pg = state_get_u32(r);
        if (!state_ok(r) || pg == PAGE_LIST_END)
            return true;
        if (pg >= pages || (!first && pg <= prev)) {
            snprintf(err, errlen, "device 'ram': page %u out of order or beyond the RAM", pg);
            return false;
        }
        state_get_bytes(r, m->ram + (size_t)pg * PHYS_PAGE_SIZE, PHYS_PAGE_SIZE);
        prev = pg;
        first = false;
    }
}

static void ram_info(void *dev, FILE *out)
{
    const PhysMem *m = dev;
    uint32_t used = 0, pages = m->ram_size / PHYS_PAGE_SIZE;
    for (uint32_t pg = 0; pg < pages; pg++)
        used += !page_is_zero(m->ram + (size_t)pg * PHYS_PAGE_SIZE);
    fprintf(out, "RAM %u MiB, %u of %u pages non-zero, A20 %s\n", m->ram_size >> 20, used, pages,
            phys_a20(m) ? "on" : "off");
}

/* No reset: RAM keeps its contents over a reset line, as on a real PC. */
const DeviceDesc ram_desc = {
    .kind = "ram",
    .version = 1,
    .save_extra = ram_save,
    .load_extra = ram_load,
    .info = ram_info,
};
