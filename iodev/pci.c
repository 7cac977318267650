/* SPDX-License-Identifier: MIT */
/* PCI configuration mechanism #1, BAR mapping, INTx routing and the PIIX3
 * reset control register (see pci.h). */
#include "iodev/pci.h"

#include <stdio.h>
#include <string.h>

#define CONFIG_ENABLE 0x80000000u
#define STATUS_W1C    0xF900u   /* parity, SERR, master/target aborts: write one to clear */

void pci_init(PciBus *bus, PhysMem *mem, PortBus *ports, const IrqLine *isa_irqs)
{
    memset(bus, 0, sizeof *bus);
    bus->mem = mem;
    bus->ports = ports;
    bus->isa_irqs = isa_irqs;
}

/* --- identity and BARs --- */

void pci_set_ids(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code,
                 uint16_t sub_vendor, uint16_t sub_device)
{
    pci_put16(d, 0x00, vendor);
    pci_put16(d, 0x02, device);
    d->config[0x08] = rev;
    d->config[0x09] = (uint8_t)class_code;          /* programming interface */
    d->config[0x0A] = (uint8_t)(class_code >> 8);   /* subclass */
    d->config[0x0B] = (uint8_t)(class_code >> 16);  /* class */
    pci_put16(d, 0x2C, sub_vendor);
    pci_put16(d, 0x2E, sub_device);
    /* Command: I/O, memory, bus master, parity response; SERR, INTx disable. */
    d->wmask[0x04] = 0x47;
    d->wmask[0x05] = 0x05;
    d->wmask[0x0C] = 0xFF;   /* cache line size */
    d->wmask[0x0D] = 0xFF;   /* latency timer */
    d->wmask[0x3C] = 0xFF;   /* interrupt line: the BIOS's note for the OS */
}

static unsigned bar_offset(int bar)
{
    return bar == PCI_ROM_BAR ? 0x30 : 0x10 + 4u * (unsigned)bar;
}

void pci_set_bar(PciDevice *d, int bar, uint32_t size, bool io, bool prefetch)
{
    unsigned off = bar_offset(bar);
    d->bar_size[bar] = size;
    d->bar_io[bar] = io;
    /* Writing all-ones reads back ~(size - 1) plus the type bits: sizing
     * falls out of the write mask. */
    uint32_t mask = ~(size - 1);
    uint32_t low = io ? 0x1 : (prefetch ? 0x8 : 0x0);
    if (bar == PCI_ROM_BAR) {
        mask = (mask & ~0x7FFu) | 1;   /* address bits and the ROM enable */
        low = 0;
    } else {
        mask &= io ? ~3u : ~0xFu;
    }
    pci_put32(d, off, low);
    for (int i = 0; i < 4; i++)
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

/* Where a BAR is decoded now, or 0. */
static uint32_t bar_effective(const PciDevice *d, int bar)
{
    uint32_t size = d->bar_size[bar];
    if (!size)
        return 0;
    uint16_t cmd = pci_get16(d, 0x04);
    uint32_t v = pci_get32(d, bar_offset(bar));
    if (bar == PCI_ROM_BAR) {
        if (!(v & 1) || !(cmd & PCI_CMD_MEM))
            return 0;
        uint32_t a = v & ~(size - 1) & ~0x7FFu;
        return a && a != ~(size - 1) ? a : 0;
    }
    if (d->bar_io[bar]) {
        if (!(cmd & PCI_CMD_IO))
            return 0;
        uint32_t a = v & ~3u & ~(size - 1);
        return a && a + size <= 0x10000 ? a : 0;
    }
    if (!(cmd & PCI_CMD_MEM))
        return 0;
    uint32_t a = v & ~0xFu & ~(size - 1);
    /* An unprogrammed BAR (0) or one left at all-ones by sizing is not
     * decoded: the address would wrap past 4 GiB. */
    return a && a != ~(size - 1) ? a : 0;
}

static void update_bars(PciDevice *d)
{
    for (int bar = 0; bar < 7; bar++) {
        uint32_t now = bar_effective(d, bar);
        if (now == d->bar_mapped[bar])
            continue;
        uint32_t old = d->bar_mapped[bar];
        d->bar_mapped[bar] = now;
        if (d->bar_changed)
            d->bar_changed(d, bar, old, now);
    }
}

void pci_io_bar_moved(PciDevice *d, int slot, uint32_t old_addr, uint32_t new_addr,
                      uint16_t size)
{
    PortBus *ports = d->bus->ports;
    if (old_addr)
        portbus_unmap(ports, slot, (uint16_t)old_addr, size);
    if (new_addr && !portbus_map(ports, slot, (uint16_t)new_addr, size))
        fprintf(stderr, "kairo: pci: %s: I/O BAR at 0x%X collides with another device\n",
                d->name, new_addr);
}

/* --- INTx: pin -> PIRQ (the PIIX3 swizzle) -> ISA IRQ --- */

int pci_pirq_of(const PciDevice *d)
{
    unsigned pin = d->config[0x3D];   /* 1 = INTA# */
    if (pin < 1 || pin > 4)
        return -1;
    unsigned slot = d->devfn >> 3;
    /* The PIIX wiring SeaBIOS's and QEMU's ACPI tables describe: slot 1
     * INTA is PIRQA, each slot further rotates by one. */
    return (int)((slot - 1 + pin - 1) & 3);
}

static bool intx_asserted(const PciDevice *d)
{
    return d->intx_level && !(pci_get16(d, 0x04) & PCI_CMD_INTX_OFF);
}

/* IRQs a PIRQ may be steered to (the PIIX3 reserves 0-2, 8 and 13). */
static bool routable(uint8_t route)
{
    unsigned irq = route & 0x0F;
    return !(route & 0x80) && irq >= 3 && irq != 8 && irq != 13;
}

/* Recompute the ISA lines PCI drives. Several PIRQs (and several functions
 * per PIRQ) may share one IRQ: the line is high while any of them is, as on
 * the wired-OR level-triggered PCI interrupt. The PIC must see those IRQs
 * as level-triggered through its ELCR (0x4D0/0x4D1, set by the BIOS). */
static void route_update(PciBus *bus)
{
    uint16_t want = 0;
    for (int p = 0; p < 4 && bus->pirq_route; p++)
        if (bus->pirq_count[p] && routable(bus->pirq_route[p]))
            want |= (uint16_t)(1u << (bus->pirq_route[p] & 0x0F));
    uint16_t changed = want ^ bus->isa_driven;
    bus->isa_driven = want;
    for (int irq = 0; irq < 16 && bus->isa_irqs; irq++)
        if (changed & (1u << irq))
            irq_set(&bus->isa_irqs[irq], (want >> irq) & 1);
}

static void recount_pirqs(PciBus *bus)
{
    memset(bus->pirq_count, 0, sizeof bus->pirq_count);
    for (int i = 0; i < 256; i++) {
        PciDevice *d = bus->devs[i];
        int pirq = d ? pci_pirq_of(d) : -1;
        if (pirq >= 0 && intx_asserted(d))
            bus->pirq_count[pirq]++;
    }
    route_update(bus);
}

static void update_intx_status(PciDevice *d)
{
    /* Status bit 3 shows the pin's state whether or not INTx is disabled. */
    if (d->intx_level)
        d->config[0x06] |= PCI_STS_INTX;
    else
        d->config[0x06] &= (uint8_t)~PCI_STS_INTX;
}

void pci_set_intx(PciDevice *d, bool level)
{
    if (level == d->intx_level)
        return;
    d->intx_level = level;
    update_intx_status(d);
    if (d->bus)
        recount_pirqs(d->bus);
}

void pci_pirq_changed(PciBus *bus, int pirq, uint8_t old_route)
{
    (void)pirq;
    (void)old_route;
    route_update(bus);
}

/* --- configuration space access --- */

static PciDevice *addressed(PciBus *bus)
{
    uint32_t a = bus->config_addr;
    if (!(a & CONFIG_ENABLE) || ((a >> 16) & 0xFF) != 0)
        return NULL;   /* only bus 0 exists */
    return bus->devs[(a >> 8) & 0xFF];
}

static uint32_t config_read(PciDevice *d, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < 256; i++)
        v |= (uint32_t)d->config[off + i] << (8 * i);
    return v;
}

static bool overlaps(unsigned off, unsigned size, unsigned first, unsigned end)
{
    return off < end && off + size > first;
}

static void config_write(PciDevice *d, unsigned off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size && off + i < 256; i++) {
        unsigned at = off + i;
        uint8_t m = d->wmask[at];
        uint8_t b = (uint8_t)(v >> (8 * i));
        d->config[at] = (uint8_t)((d->config[at] & ~m) | (b & m));
        if (at == 0x06 || at == 0x07)
            d->config[at] &= (uint8_t)~(b & (STATUS_W1C >> ((at - 6) * 8)));
    }
    if (overlaps(off, size, 0x04, 0x06) || overlaps(off, size, 0x10, 0x28) ||
        overlaps(off, size, 0x30, 0x34))
        update_bars(d);
    if (overlaps(off, size, 0x04, 0x06) && d->bus)
        recount_pirqs(d->bus);   /* INTx disable may have changed */
    if (d->config_written)
        d->config_written(d, (uint8_t)off, size);
}

static uint32_t all_ones(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

uint32_t pci_port_read(void *opaque, uint16_t port, unsigned size)
{
    PciBus *bus = opaque;
    if (port == 0xCF8 && size == 4)
        return bus->config_addr;
    if (port == 0xCF9 && size == 1)
        return bus->reset_control;
    if (port >= 0xCFC) {
        PciDevice *d = addressed(bus);
        if (d)
            return config_read(d, (bus->config_addr & 0xFC) + (port & 3u), size);
    }
    /* Byte/word accesses to 0xCF8-0xCFB other than 0xCF9 are not decoded. */
    return all_ones(size);
}

static void reset_control_write(PciBus *bus, uint8_t v)
{
    /* RST_CPU (bit 2) starts the reset; SYS_RST (bit 1) picks a hard reset
     * over a soft one (INIT). The reset completes at once here, and a
     * completed reset leaves RST_CPU clear, so only bit 1 is kept. */
    bus->reset_control = v & 0x02;
    if (!(v & 0x04))
        return;
    if (!(v & 0x02) && bus->init_request)
        bus->init_request(bus->reset_opaque);
    else if (bus->reset_request)
        bus->reset_request(bus->reset_opaque);
}

void pci_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    PciBus *bus = opaque;
    if (port == 0xCF8 && size == 4) {
        bus->config_addr = value & 0x80FFFFFCu;
        return;
    }
    if (port == 0xCF9 && size == 1) {
        reset_control_write(bus, (uint8_t)value);
        return;
    }
    if (port >= 0xCFC) {
        PciDevice *d = addressed(bus);
        if (d)
            config_write(d, (bus->config_addr & 0xFC) + (port & 3u), size, value);
    }
}

bool pci_register(PciBus *bus)
{
    static const PortOps ops = { pci_port_read, pci_port_write, true };
    int s = portbus_add_slot(bus->ports, "pci", &ops, bus);
    return s >= 0 && portbus_map(bus->ports, s, 0xCF8, 8);
}

bool pci_add(PciBus *bus, PciDevice *d)
{
    if (bus->devs[d->devfn])
        return false;
    d->bus = bus;
    memcpy(d->reset_config, d->config, sizeof d->config);
    bus->devs[d->devfn] = d;
    return true;
}

/* After the config space changed behind the devices' backs (reset, load):
 * let every function re-derive its mappings, then the interrupt routing. */
static void rederive_all(PciBus *bus)
{
    for (int i = 0; i < 256; i++) {
        PciDevice *d = bus->devs[i];
        if (!d)
            continue;
        update_intx_status(d);
        update_bars(d);
        if (d->config_written)
            d->config_written(d, 0, 256);
    }
    recount_pirqs(bus);
}

void pci_reset(PciBus *bus)
{
    bus->config_addr = 0;
    bus->reset_control = 0;
    for (int i = 0; i < 256; i++) {
        PciDevice *d = bus->devs[i];
        if (d)
            memcpy(d->config, d->reset_config, sizeof d->config);
    }
    rederive_all(bus);
    for (int i = 0; i < 256; i++)
        if (bus->devs[i] && bus->devs[i]->reset)
            bus->devs[i]->reset(bus->devs[i]);
}

/* --- machine state --- */

static const StateField pci_fields[] = {
    SF_FIELD(PciBus, config_addr, SF_U32),
    SF_FIELD(PciBus, reset_control, SF_U8),
};

static void pci_save_extra(void *dev, StateWriter *w)
{
    const PciBus *bus = dev;
    unsigned n = 0;
    for (int i = 0; i < 256; i++)
        n += bus->devs[i] != NULL;
    state_put_u16(w, (uint16_t)n);
    for (int i = 0; i < 256; i++) {
        const PciDevice *d = bus->devs[i];
        if (!d)
            continue;
        state_put_u8(w, d->devfn);
        state_put_bytes(w, d->config, sizeof d->config);
        state_put_u8(w, d->intx_level);
    }
}

static unsigned function_count(const PciBus *bus)
{
    unsigned n = 0;
    for (int i = 0; i < 256; i++)
        n += bus->devs[i] != NULL;
    return n;
}

/* The same functions at the same addresses with the same IDs: anything
 * else is another machine. */
static bool pci_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    PciBus *bus = dev;
    (void)version;
    unsigned n = state_get_u16(r);
    if (state_ok(r) && n != function_count(bus)) {
        snprintf(err, errlen, "pci: the snapshot has %u functions, this machine %u", n,
                 function_count(bus));
        return false;
    }
    for (unsigned k = 0; k < n && state_ok(r); k++) {
        uint8_t devfn = state_get_u8(r);
        uint8_t config[256];
        state_get_bytes(r, config, sizeof config);
        uint8_t level = state_get_u8(r);
        if (!state_ok(r))
            break;
        PciDevice *d = bus->devs[devfn];
        if (!d || memcmp(config, d->config, 4) || level > 1) {
            snprintf(err, errlen,
                     "pci %02x.%u: the snapshot has %s%04x:%04x there, this machine %s",
                     devfn >> 3, devfn & 7, level > 1 ? "a corrupt " : "",
                     config[0] | config[1] << 8, config[2] | config[3] << 8,
                     d ? d->name : "nothing");
            return false;
        }
        memcpy(d->config, config, sizeof config);
        d->intx_level = level;
    }
    return true;
}

static bool pci_post_load(void *dev, char *err, size_t errlen)
{
    PciBus *bus = dev;
    (void)err;
    (void)errlen;
    bus->config_addr &= 0x80FFFFFCu;
    bus->reset_control &= 0x02;
    rederive_all(bus);
    return true;
}

static void pci_reset_dev(void *dev) { pci_reset(dev); }

static void pci_info(void *dev, FILE *out)
{
    const PciBus *bus = dev;
    for (int i = 0; i < 256; i++) {
        const PciDevice *d = bus->devs[i];
        if (!d)
            continue;
        fprintf(out, "%02x.%u %-10s %04x:%04x cmd %04x", i >> 3, i & 7, d->name ? d->name : "?",
                pci_get16(d, 0), pci_get16(d, 2), pci_get16(d, 4));
        for (int bar = 0; bar < 7; bar++)
            if (d->bar_mapped[bar])
                fprintf(out, " %s%d@%x", bar == PCI_ROM_BAR ? "rom" : "bar",
                        bar == PCI_ROM_BAR ? 0 : bar, d->bar_mapped[bar]);
        int pirq = pci_pirq_of(d);
        if (pirq >= 0)
            fprintf(out, " INT%c->PIRQ%c%s", 'A' + d->config[0x3D] - 1, 'A' + pirq,
                    d->intx_level ? " (asserted)" : "");
        fputc('\n', out);
    }
}

const DeviceDesc pci_desc = {
    .kind = "pci",
    .version = 1,
    .fields = pci_fields,
    .n_fields = sizeof pci_fields / sizeof pci_fields[0],
    .reset = pci_reset_dev,
    .save_extra = pci_save_extra,
    .load_extra = pci_load_extra,
    .post_load = pci_post_load,
    .info = pci_info,
};
