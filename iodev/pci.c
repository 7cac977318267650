/* PCI configuration mechanism #1, BAR mapping and INTx routing (see pci.h). */
#include "iodev/pci.h"

#include <string.h>

#define CMD_IO  0x0001
#define CMD_MEM 0x0002

void pci_init(PciBus *bus, PhysMem *mem, PortBus *ports, PicPair *pic)
{
    memset(bus, 0, sizeof *bus);
    bus->mem = mem;
    bus->ports = ports;
    bus->pic = pic;
}

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
    /* Command: I/O, memory, bus master, SERR, parity, ... writable. */
    d->wmask[0x04] = 0x47;   /* I/O, memory, bus master, parity */
    d->wmask[0x05] = 0x05;
    d->wmask[0x0C] = 0xFF;   /* cache line size */
    d->wmask[0x0D] = 0xFF;   /* latency timer */
    d->wmask[0x3C] = 0xFF;   /* interrupt line */
}

void pci_set_bar(PciDevice *d, int bar, uint32_t size, bool io, bool prefetch)
{
    unsigned off = bar == PCI_ROM_BAR ? 0x30 : 0x10 + 4u * (unsigned)bar;
    d->bar_size[bar] = size;
    d->bar_io[bar] = io;
    uint32_t mask = ~(size - 1);
    uint32_t low = io ? 0x1 : (prefetch ? 0x8 : 0x0);
    if (bar == PCI_ROM_BAR) {
        mask |= 1;   /* the ROM enable bit */
        low = 0;
    }
    pci_put32(d, off, low);
    for (int i = 0; i < 4; i++)
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
    if (io || bar == PCI_ROM_BAR)
        d->wmask[off] &= (uint8_t)(bar == PCI_ROM_BAR ? 0xFF : 0xFC);
    else
        d->wmask[off] &= 0xF0;
}

/* Where a BAR is decoded now, or 0. */
static uint32_t bar_effective(const PciDevice *d, int bar)
{
    if (!d->bar_size[bar])
        return 0;
    uint16_t cmd = pci_get16(d, 0x04);
    unsigned off = bar == PCI_ROM_BAR ? 0x30 : 0x10 + 4u * (unsigned)bar;
    uint32_t v = pci_get32(d, off);
    if (bar == PCI_ROM_BAR) {
        if (!(v & 1) || !(cmd & CMD_MEM))
            return 0;
        return v & ~(d->bar_size[bar] - 1);
    }
    if (d->bar_io[bar]) {
        if (!(cmd & CMD_IO))
            return 0;
        uint32_t a = v & ~3u & ~(d->bar_size[bar] - 1);
        return a && a < 0x10000 ? a : 0;
    }
    if (!(cmd & CMD_MEM))
        return 0;
    uint32_t a = v & ~0xFu & ~(d->bar_size[bar] - 1);
    /* An unprogrammed BAR (0) or one sized with all-ones is not decoded. */
    return a && a != ~(d->bar_size[bar] - 1) ? a : 0;
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

/* --- INTx --- */

static int pirq_of(const PciDevice *d)
{
    unsigned pin = d->config[0x3D];   /* 1 = INTA# */
    if (!pin)
        return -1;
    unsigned slot = d->devfn >> 3;
    return (int)((slot + pin - 1) & 3);
}

static void isa_irq_adjust(PciBus *bus, uint8_t route, int delta)
{
    if (route & 0x80)
        return;   /* routing disabled */
    unsigned irq = route & 0x0F;
    if (irq < 3 || irq == 8 || irq == 13)
        return;   /* not routable */
    bus->isa_irq_count[irq] = (uint8_t)(bus->isa_irq_count[irq] + delta);
    if (bus->pic)
        pic_set_irq(bus->pic, (int)irq, bus->isa_irq_count[irq] != 0);
}

void pci_set_intx(PciDevice *d, bool level)
{
    if (level == d->intx_level)
        return;
    d->intx_level = level;
    PciBus *bus = d->bus;
    int pirq = pirq_of(d);
    if (!bus || pirq < 0)
        return;
    uint8_t before = bus->pirq_count[pirq];
    bus->pirq_count[pirq] = (uint8_t)(before + (level ? 1 : -1));
    bool was = before != 0, is = bus->pirq_count[pirq] != 0;
    if (was != is && bus->pirq_route)
        isa_irq_adjust(bus, bus->pirq_route[pirq], is ? 1 : -1);
}

void pci_pirq_changed(PciBus *bus, int pirq, uint8_t old_route)
{
    if (!bus->pirq_count[pirq] || !bus->pirq_route)
        return;
    isa_irq_adjust(bus, old_route, -1);
    isa_irq_adjust(bus, bus->pirq_route[pirq], 1);
}

/* --- configuration space access --- */

static PciDevice *addressed(PciBus *bus)
{
    uint32_t a = bus->config_addr;
    if (!(a & 0x80000000u) || ((a >> 16) & 0xFF) != 0)
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

static void config_write(PciDevice *d, unsigned off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size && off + i < 256; i++) {
        uint8_t m = d->wmask[off + i];
        uint8_t b = (uint8_t)(v >> (8 * i));
        d->config[off + i] = (uint8_t)((d->config[off + i] & ~m) | (b & m));
    }
    if (off == 0x06) {
        /* Status: error bits are write-one-to-clear. */
        uint16_t w1c = (uint16_t)(v & 0xF900);
        pci_put16(d, 0x06, pci_get16(d, 0x06) & (uint16_t)~w1c);
    }
    if ((off <= 0x05 && off + size > 0x04) || (off >= 0x10 && off < 0x28) ||
        (off >= 0x30 && off < 0x34))
        update_bars(d);
    if (d->config_written)
        d->config_written(d, (uint8_t)off, size);
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
        unsigned off = (bus->config_addr & 0xFC) + (port & 3);
        if (!d)
            return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
        return config_read(d, off, size);
    }
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

void pci_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    PciBus *bus = opaque;
    if (port == 0xCF8 && size == 4) {
        bus->config_addr = value & 0x80FFFFFCu;
        return;
    }
    if (port == 0xCF9 && size == 1) {
        /* PIIX3 reset control: RST_CPU (bit 2) resets, SYS_RST (bit 1)
         * chooses hard over soft; both restart the machine here. */
        bus->reset_control = value & 0x0E;
        if ((value & 0x04) && bus->reset_request)
            bus->reset_request(bus->reset_opaque);
        return;
    }
    if (port >= 0xCFC) {
        PciDevice *d = addressed(bus);
        if (d)
            config_write(d, (bus->config_addr & 0xFC) + (port & 3), size, value);
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
    bus->devs[d->devfn] = d;
    return true;
}
