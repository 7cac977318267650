/* SPDX-License-Identifier: MIT */
/* The saved layout of every device descriptor, pinned: changing a field
 * table (a field added, removed, renamed, resized) without bumping the
 * descriptor's version would make snapshots written before the change
 * unreadable, or worse, misread. This test fails first, naming the device:
 * bump its version, mark the new fields with `since`, and record the new
 * hash here (the old one must stay readable: see docs/DEVICE_STATE.md).
 * The hash covers the field table; a change to what save_extra writes needs
 * the same version bump, by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/acpi_pm.h"
#include "iodev/cmos.h"
#include "iodev/debugcon.h"
#include "iodev/debugexit.h"
#include "iodev/dma.h"
#include "iodev/fdc.h"
#include "iodev/fwcfg.h"
#include "iodev/i440fx.h"
#include "iodev/i8042.h"
#include "iodev/ide.h"
#include "iodev/ne2k/dp8390.h"
#include "iodev/pci.h"
#include "iodev/pic.h"
#include "iodev/pit.h"
#include "iodev/port92.h"
#include "iodev/uart.h"
#include "iodev/vga.h"

typedef struct Pinned {
    const DeviceDesc *desc;
    uint32_t version;
    uint32_t hash;
} Pinned;

static const Pinned pinned[] = {
    { &uart_desc, 1, 0xD1C40B58u },
    { &ide_desc, 1, 0xD53BA025u },
    { &pic_desc, 1, 0xE3366332u },
    { &pit_desc, 1, 0xC67D1D41u },
    { &cmos_desc, 1, 0x3FB64BE0u },
    { &dma_desc, 1, 0xF89074CAu },
    { &i8042_desc, 1, 0xD055C8C2u },
    { &port92_desc, 1, 0x09D6C7CFu },
    { &fdc_desc, 1, 0x3D242A02u },
    { &vga_desc, 1, 0x0AB33CFBu },
    { &pci_desc, 1, 0xD99953F8u },
    { &i440fx_desc, 1, 0x811C9DC5u },
    { &acpi_pm_desc, 1, 0x312CEE0Fu },
    { &fwcfg_desc, 1, 0x0868B07Cu },
    { &dp8390_desc, 1, 0xAA7DBD1Fu },
    { &debugcon_desc, 1, 0x811C9DC5u },
    { &debugexit_desc, 1, 0x9A7A8BF1u },
};

Test(devstate_layout, every_descriptor_layout_is_pinned_to_its_version)
{
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        const Pinned *p = &pinned[i];
        cr_expect_eq(p->desc->version, p->version, "%s: version %u, pinned %u", p->desc->kind,
                     p->desc->version, p->version);
        uint32_t h = device_layout_hash(p->desc, p->version);
        cr_expect_eq(h, p->hash,
                     "%s version %u: layout hash 0x%08X, pinned 0x%08X: a field table changed; "
                     "bump the version and pin the new layout",
                     p->desc->kind, p->version, h, p->hash);
    }
}

/* Every descriptor has the hooks the machine's loops call, and field
 * names are unique within a table (dh_field_at and error messages rely
 * on them). */
Test(devstate_layout, descriptors_are_complete)
{
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        const DeviceDesc *d = pinned[i].desc;
        cr_expect(d->kind && d->info, "%s: kind and info", d->kind ? d->kind : "?");
        cr_expect((d->save_extra == NULL) == (d->load_extra == NULL), "%s: extra hooks paired",
                  d->kind);
        for (size_t a = 0; a < d->n_fields; a++)
            for (size_t b = a + 1; b < d->n_fields; b++)
                cr_expect(strcmp(d->fields[a].name, d->fields[b].name), "%s: field %s twice",
                          d->kind, d->fields[a].name);
    }
}
