/* SPDX-License-Identifier: MIT */
/* NE2000 PCI (RTL8029) function (see ne2k_pci.h). */
#include "iodev/ne2k/ne2k_pci.h"

#include <stdio.h>

static void pci_nic_set_irq(void *opaque, bool level)
{
    Ne2kPci *c = opaque;
    pci_set_intx(&c->dev, level);
}

static unsigned bar_offset_of(const Ne2kPci *c, uint16_t port)
{
    return (unsigned)(port - c->dev.bar_mapped[0]);
}

uint32_t ne2k_pci_port_read(void *opaque, uint16_t port, unsigned size)
{
    Ne2kPci *c = opaque;
    unsigned off = bar_offset_of(c, port);
    if (off >= NE2K_IO_SIZE)
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;   /* undecoded */
    return dp8390_read(&c->chip, off, size);
}

void ne2k_pci_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Ne2kPci *c = opaque;
    unsigned off = bar_offset_of(c, port);
    if (off < NE2K_IO_SIZE)
        dp8390_write(&c->chip, off, size, value);
}

static void bar_changed(PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr)
{
    Ne2kPci *c = d->opaque;
    if (bar == 0)
        pci_io_bar_moved(d, c->port_slot, old_addr, new_addr, NE2K_PCI_BAR_SIZE);
}

/* PCIRST#: the chip resets with the function. */
static void function_reset(PciDevice *d)
{
    Ne2kPci *c = d->opaque;
    dp8390_reset(&c->chip);
}

bool ne2k_pci_init(Ne2kPci *c, PciBus *pci, PortBus *ports, const char *slot_name,
                   unsigned pci_slot, const uint8_t mac[6], char *err, size_t errlen)
{
    dp8390_init(&c->chip, mac, true);
    c->chip.set_irq = pci_nic_set_irq;
    c->chip.opaque = c;
    static const PortOps ops = { ne2k_pci_port_read, ne2k_pci_port_write, true };
    c->port_slot = portbus_add_slot(ports, slot_name, &ops, c);
    if (c->port_slot < 0) {
        snprintf(err, errlen, "ne2k_pci: cannot add port slot '%s'", slot_name);
        return false;
    }
    PciDevice *d = &c->dev;
    d->name = slot_name;
    d->devfn = (uint8_t)(pci_slot << 3);
    d->opaque = c;
    pci_set_ids(d, 0x10EC, 0x8029, 0x00, 0x020000, 0x10EC, 0x8029);
    pci_set_bar(d, 0, NE2K_PCI_BAR_SIZE, true, false);
    d->config[0x3D] = 1;   /* INTA# */
    d->bar_changed = bar_changed;
    d->reset = function_reset;
    if (!pci_add(pci, d)) {
        snprintf(err, errlen, "ne2k_pci: PCI slot %u is taken", pci_slot);
        return false;
    }
    return true;
}
