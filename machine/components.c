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
#include "machine/machine.h"
#include "memory/phys_state.h"

/* ======== the machine's own state ======== */

static const StateField machine_fields[] = {
    SF_FIELD(Machine, reset_requested, SF_BOOL),
    SF_FIELD(Machine, poweroff_requested, SF_BOOL),
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
    .version = 1,
    .fields = machine_fields,
    .n_fields = sizeof machine_fields / sizeof machine_fields[0],
    .reset = machine_state_reset,
    .save_extra = machine_save_extra,
    .load_extra = machine_load_extra,
    .info = machine_info,
};

/* ======== devices without a descriptor of their own yet ========
 * Until each iodev/ device exports its <dev>_desc (branch devstate), these
 * give the registry their reset and teardown; they carry no state, so a
 * snapshot restores such a device to its reset state. */

#define RESET_ADAPTER(fn, T) \
    static void fn##_adapter(void *dev) { fn((T *)dev); }
RESET_ADAPTER(nic_reset, NicSet)
RESET_ADAPTER(vga_pci_free, VgaPci)
RESET_ADAPTER(fwcfg_free, FwCfg)
RESET_ADAPTER(nic_destroy, NicSet)


#define INTERIM(name, kind_, reset_, teardown_) \
    static const DeviceDesc name = { .kind = kind_, .version = 1, .reset = reset_, \
                                     .teardown = teardown_ }
INTERIM(vga_pci_interim, "vga-pci", NULL, vga_pci_free_adapter);
INTERIM(nic_interim, "nics", nic_reset_adapter, nic_destroy_adapter);
INTERIM(fwcfg_interim, "fw_cfg", NULL, fwcfg_free_adapter);

/* ======== the table ======== */

typedef struct ComponentSlot {
    const char *name;
    const DeviceDesc *desc;
    size_t offset;          /* of the component's struct in Machine */
    bool (*present)(const Machine *m);   /* NULL: always */
} ComponentSlot;

static bool has_vga(const Machine *m) { return m->has_vga; }

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
    { "vga-pci", &vga_pci_interim, AT(vga_pci), has_vga },
    { "nics", &nic_interim, AT(nics), NULL },
    { "pci", &pci_desc, AT(pci), NULL },
    { "i440fx", &i440fx_desc, AT(northbridge), NULL },
    { "acpi", &acpi_pm_desc, AT(acpi), NULL },
    { "fwcfg", &fwcfg_interim, AT(fwcfg), NULL },
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
    return add(m, &fpu_desc, m->cpu->fpu, "fpu") && add(m, &cpu_desc, m->cpu, "cpu");
}

void machine_list_components(const Machine *m, FILE *out)
{
    fprintf(out, "%-10s %-10s %s\n", "name", "kind", "version");
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        fprintf(out, "%-10s %-10s %u%s\n", d->name, d->desc->kind, d->desc->version,
                d->desc->fields || d->desc->save_extra ? "" : " (no state saved yet)");
    }
}
