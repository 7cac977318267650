/* SPDX-License-Identifier: MIT */
/* The NE2000 ISA card: a DP8390 at 32 ports (default 0x300-0x31F, IRQ 9),
 * its interrupt an edge on the 8259 as the card drives its ISA line.
 *
 * Usage: ne2k_isa_init(&c, mac); ne2k_isa_register(&c, bus, "ne2k0", 0x300,
 * irq_line, 9); nic_connect(&c.chip, netdev) gives it a backend. */
#ifndef KAIRO_NE2K_ISA_H
#define KAIRO_NE2K_ISA_H

#include "iodev/irq.h"
#include "iodev/ne2k/dp8390.h"
#include "iodev/portbus.h"

typedef struct Ne2kIsa {
    Dp8390 chip;
    IrqLine irq;
    uint16_t iobase;
} Ne2kIsa;

void ne2k_isa_init(Ne2kIsa *c, const uint8_t mac[6]);
bool ne2k_isa_register(Ne2kIsa *c, PortBus *bus, const char *slot, uint16_t iobase,
                       const IrqLine *irq, int irq_number);
void ne2k_isa_reset(Ne2kIsa *c);

uint32_t ne2k_isa_port_read(void *opaque, uint16_t port, unsigned size);
void ne2k_isa_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
