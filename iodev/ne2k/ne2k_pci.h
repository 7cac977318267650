/* SPDX-License-Identifier: MIT */
/* The NE2000 PCI card as QEMU's ne2k_pci: a Realtek RTL8029 (10EC:8029,
 * class 02:00), its DP8390 behind I/O BAR 0 (256 ports, 32 decoded), INTA#
 * through the PIIX3's PIRQ routing.
 *
 * Usage: ne2k_pci_init(&c, &pci, &ports, "ne2k0", slot, mac, err, errlen). */
#ifndef KAIRO_NE2K_PCI_H
#define KAIRO_NE2K_PCI_H

#include <stddef.h>

#include "iodev/ne2k/dp8390.h"
#include "iodev/pci.h"
#include "iodev/portbus.h"

#define NE2K_PCI_BAR_SIZE 0x100

typedef struct Ne2kPci {
    PciDevice dev;
    Dp8390 chip;
    int port_slot;
} Ne2kPci;

bool ne2k_pci_init(Ne2kPci *c, PciBus *pci, PortBus *ports, const char *slot_name,
                   unsigned pci_slot, const uint8_t mac[6], char *err, size_t errlen);

uint32_t ne2k_pci_port_read(void *opaque, uint16_t port, unsigned size);
void ne2k_pci_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
