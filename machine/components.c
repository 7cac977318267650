/* SPDX-License-Identifier: MIT */
/* The machine's component registry: one table says which member of the
 * Machine each descriptor serves and under which instance name (the port
 * slot's name where there is one). Reset, teardown, `info NAME` and
 * snapshots go through the resulting DeviceList (iodev/device.h).
 *
 * Order matters. Reset: the A20 gate (the machine's own state) first, the
 * CPU last, as a reset line does. Load: RAM first (the devices' post_load
 * hooks may re-map it), the chipset before the CPU (PCI post_load
 * re-derives the PAM mapping), the CPU last, so that its post_load drops
 * every cached translation and block after everything else is in place. */
#include "machine/components.h"

#include <stddef.h>
#include <stdio.h>

#include "cpu/cpu_state.h"
#include "machine/cpus.h"
#include "machine/machine.h"
#include "memory/phys_state.h"

/* ======== the machine's own state ======== */

static const StateField machine_fields[] = {
    SF_FIELD(Machine, reset_requested, SF_BOOL),
    SF_FIELD(Machine, poweroff_requested, SF_BOOL),
    /* version 2: the TSC floor of a multiprocessor (0 on one CPU) */
    { "tsc_floor", SF_U64, offsetof(Machine, tsc_floor), 1, 0, 0, 2 },
};

/* The A20 gate lives in the address space (its mask), not in a field. */
static void machine_save_extra(void *dev, StateWriter *w)
{
    const Machine *m = dev;
    state_put_u8(w, phys_a20(m->mem) ? 1 : 0);
}

static bool machine_load_extra(void *dev, StateReader *r, uint32_t version, char *err,
                               size_t errlen)
{
    Machine *m = dev;
    (void)version;
    uint8_t a20 = state_get_u8(r);
    if (state_ok(r) && a20 > 1) {
        snprintf(err, errlen, "device 'machine': A20 state %u is not 0 or 1", a20);
        return false;
    }
    phys_set_a20(m->mem, a20 != 0);
    return true;
}

static void machine_state_reset(void *dev)
{
    Machine *m = dev;
    phys_set_a20(m->mem, true);
    m->reset_requested = false;
    m->poweroff_requested = false;
    m->tsc_floor = 0;
}

static void machine_info(void *dev, FILE *out)
{
    const Machine *m = dev;
    fprintf(out, "RAM %u MiB, A20 %s%s%s\n", m->opt.ram_mb, phys_a20(m->mem) ? "on" : "off",
            m->reset_requested ? ", reset requested" : "",
            m->poweroff_requested ? ", power-off requested" : "");
}

static const DeviceDesc machine_desc = {
    .kind = "machine",
    .version = 2,
    .fields = machine_fields,
    .n_fields = sizeof machine_fields / sizeof machine_fields[0],
    .reset = machine_state_reset,
    .save_extra = machine_save_extra,
    .load_extra = machine_load_extra,
    .info = machine_info,
};

/* ======== host wiring: nothing to save, something to release ========
 * The std-vga's PCI function keeps only its option ROM buffer (its config
 * space is the PCI bus's state); the network backends are host sockets,
 * not guest state (each card's chip is a "ne2kN" component of its own).
 * They are in the list so that teardown stays one loop. */

static void vga_pci_teardown(void *dev)
{
    vga_pci_free(dev);
}

static void netdevs_teardown(void *dev)
{
    nic_destroy(dev);
}

static const DeviceDesc vga_pci_wiring = { .kind = "vga-pci-rom", .version = 1,
                                           .teardown = vga_pci_teardown };
static const DeviceDesc netdevs_wiring = { .kind = "netdevs", .version = 1,
                                           .teardown = netdevs_teardown };

/* ======== the table ======== */

typedef struct ComponentSlot {
    const char *name;
    const DeviceDesc *desc;
    size_t offset;          /* of the component's struct in Machine */
    bool (*present)(const Machine *m);   /* NULL: always */
} ComponentSlot;

static bool has_vga(const Machine *m) { return m->has_vga; }
static bool has_debugcon(const Machine *m) { return m->opt.debugcon != NULL; }
static bool has_fwlog(const Machine *m) { return m->opt.firmware_log != NULL; }
static bool has_debugexit(const Machine *m) { return m->opt.debug_exit; }
static bool has_vmport(const Machine *m) { return m->opt.vmport; }

#define AT(member) offsetof(Machine, member)

static const ComponentSlot slots[] = {
    { "pic", &pic_desc, AT(pic), NULL },
    { "pit", &pit_desc, AT(pit), NULL },
    { "cmos", &cmos_desc, AT(cmos), NULL },
    { "dma", &dma_desc, AT(dma), NULL },
    { "kbc", &i8042_desc, AT(kbc), NULL },
    { "port92", &port92_desc, AT(port92), NULL },
    { "com1", &uart_desc, AT(uart[0]), NULL },
    { "com2", &uart_desc, AT(uart[1]), NULL },
    { "com3", &uart_desc, AT(uart[2]), NULL },
    { "com4", &uart_desc, AT(uart[3]), NULL },
    { "fdc", &fdc_desc, AT(fdc), NULL },
    { "ide0", &ide_desc, AT(ide[0]), NULL },
    { "ide1", &ide_desc, AT(ide[1]), NULL },
    { "vga", &vga_desc, AT(vga), has_vga },
    { "vga-pci", &vga_pci_wiring, AT(vga_pci), has_vga },
    { "pci", &pci_desc, AT(pci), NULL },
    { "i440fx", &i440fx_desc, AT(northbridge), NULL },
    { "acpi", &acpi_pm_desc, AT(acpi), NULL },
    { "fwcfg", &fwcfg_desc, AT(fwcfg), NULL },
    { "debugcon", &debugcon_desc, AT(debugcon), has_debugcon },
    { "fwlog", &debugcon_desc, AT(fwlog), has_fwlog },
    { "debugexit", &debugexit_desc, AT(debugexit), has_debugexit },
    { "vmport", &vmport_desc, AT(vmport), has_vmport },
    { "netdevs", &netdevs_wiring, AT(nics), NULL },
};

static bool add(Machine *m, const DeviceDesc *desc, void *dev, const char *name)
{
    if (devlist_add(&m->devices, desc, dev, name))
        return true;
    fprintf(stderr, "kairo: cannot register component '%s'\n", name);
    return false;
}

bool machine_register_components(Machine *m)
{
    if (!add(m, &ram_desc, m->mem, "ram") || !add(m, &machine_desc, m, "machine") ||
        !add(m, &disks_desc, m, "disks"))
        return false;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        const ComponentSlot *s = &slots[i];
        if (s->present && !s->present(m))
            continue;
        if (!add(m, s->desc, (char *)m + s->offset, s->name))
            return false;
    }
    /* Network cards, under their port slot's name (ne2k0...): the chip
     * behind each (the ISA and PCI wrappers hold configuration only; a PCI
     * card's config space is the bus's). */
    for (int i = 0; i < m->nics.n_cards; i++) {
        NicCard *c = &m->nics.cards[i];
        if (!add(m, &dp8390_desc, c->model == NIC_NE2K_ISA ? &c->isa.chip : &c->pci.chip,
                 c->slot))
            return false;
    }
    if (!cpus_register_components(m)) {
        fprintf(stderr, "kairo: cannot register the APICs and CPUs\n");
        return false;
    }
    return add(m, &fpu_desc, m->cpu->fpu, "fpu") && add(m, &cpu_desc, m->cpu, "cpu");
}

void machine_list_components(const Machine *m, FILE *out)
{
    fprintf(out, "%-10s %-10s %s\n", "name", "kind", "version");
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        fprintf(out, "%-10s %-10s %u%s\n", d->name, d->desc->kind, d->desc->version,
                d->desc->fields || d->desc->save_extra ? "" : " (no state)");
    }
}
