/* SPDX-License-Identifier: MIT */
/* NE2000 ISA card (see ne2k_isa.h). */
#include "iodev/ne2k/ne2k_isa.h"

static void isa_set_irq(void *opaque, bool level)
{
    Ne2kIsa *c = opaque;
    irq_set(&c->irq, level);
}

uint32_t ne2k_isa_port_read(void *opaque, uint16_t port, unsigned size)
{
    Ne2kIsa *c = opaque;
    return dp8390_read(&c->chip, (unsigned)(port - c->iobase), size);
}

void ne2k_isa_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Ne2kIsa *c = opaque;
    dp8390_write(&c->chip, (unsigned)(port - c->iobase), size, value);
}

void ne2k_isa_init(Ne2kIsa *c, const uint8_t mac[6])
{
    dp8390_init(&c->chip, mac, false);
    c->chip.set_irq = isa_set_irq;
    c->chip.opaque = c;
}

bool ne2k_isa_register(Ne2kIsa *c, PortBus *bus, const char *slot, uint16_t iobase,
                       const IrqLine *irq, int irq_number)
{
    /* Word and dword accesses reach the chip whole: the data port moves a
     * bus-width unit per access. */
    static const PortOps ops = { ne2k_isa_port_read, ne2k_isa_port_write, true };
    c->iobase = iobase;
    c->irq = *irq;
    int s = portbus_add_slot(bus, slot, &ops, c);
    if (s < 0 || !portbus_map(bus, s, iobase, NE2K_IO_SIZE))
        return false;
    portbus_slot_irq(bus, s, irq_number);
    return true;
}

void ne2k_isa_reset(Ne2kIsa *c)
{
    dp8390_reset(&c->chip);
}
