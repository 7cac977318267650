/* SPDX-License-Identifier: MIT */
/* PCI bus 0 with configuration mechanism #1 (0xCF8 / 0xCFC-0xCFF) and the
 * PIIX3 reset control register (0xCF9): device configuration spaces with
 * write masks, BAR sizing and (re)mapping through a per-device callback, the
 * command register's I/O, memory and INTx-disable bits, and INTx routing
 * through the PIIX3's PIRQ registers to the ISA lines (iodev/irqroute.h).
 *
 * Usage: pci_init(&bus, mem, ports, isa_irqs); pci_register(&bus); then each
 * function fills a PciDevice (pci_set_ids, pci_set_bar) and pci_add()s it.
 * On a machine reset call pci_reset(); pci_desc saves and loads config spaces. */
#ifndef KAIRO_PCI_H
#define KAIRO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/pic.h"
#include "iodev/portbus.h"
#include "memory/phys.h"

#define PCI_ROM_BAR 6

#define PCI_CMD_IO          0x0001
#define PCI_CMD_MEM         0x0002
#define PCI_CMD_MASTER      0x0004
#define PCI_CMD_INTX_OFF    0x0400
#define PCI_STS_INTX        0x0008

struct PciBus;

typedef struct PciDevice {
    const char *name;
    uint8_t devfn;              /* device << 3 | function */
    uint8_t config[256];
    uint8_t wmask[256];         /* writable bits */
    uint8_t reset_config[256];  /* the power-on image, taken by pci_add */
    uint32_t bar_size[7];       /* 0 = no BAR; ROM in slot 6 */
    bool bar_io[7];
    uint32_t bar_mapped[7];     /* address currently decoded, 0 = none */
    /* Called when a BAR's effective address changes (0 = unmapped): the
     * device moves its ports (pci_io_bar_moved) or its MMIO/host mapping. */
    void (*bar_changed)(struct PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr);
    /* Called after any config write (device-specific registers), and by
     * pci_reset and a state load with offset 0, size 256 to re-derive everything. */
    void (*config_written)(struct PciDevice *d, uint8_t offset, unsigned size);
    /* Called by pci_reset after the config space is back to power-on. */
    void (*reset)(struct PciDevice *d);
    void *opaque;
    struct PciBus *bus;
    bool intx_level;            /* what the function drives on its INTx# pin */
} PciDevice;

typedef struct PciBus {
    PciDevice *devs[256];
    uint32_t config_addr;
    PhysMem *mem;
    PortBus *ports;
    const IrqLine *isa_irqs;    /* [16]: the ISA lines PIRQs are steered to */
    uint8_t *pirq_route;        /* the PIIX3's 0x60-0x63, set by its ISA bridge */
    uint8_t pirq_count[4];      /* asserted (and not disabled) INTx per PIRQ */
    uint16_t isa_driven;        /* ISA IRQs this bus holds high */
    uint8_t reset_control;      /* port 0xCF9: only SYS_RST (bit 1) is kept */
    /* Bit 2 of 0xCF9 written as 1: a hard reset (SYS_RST set, or no
     * init_request) resets the machine; a soft one only INITs the CPU. */
    void (*reset_request)(void *opaque);
    void (*init_request)(void *opaque);
    void *reset_opaque;
} PciBus;

void pci_init(PciBus *bus, PhysMem *mem, PortBus *ports, const IrqLine *isa_irqs);
bool pci_register(PciBus *bus);
bool pci_add(PciBus *bus, PciDevice *d);
/* PCIRST#: every function back to its power-on config space (BARs
 * unmapped, PAM/PIRQ/PM base re-derived through config_written). */
void pci_reset(PciBus *bus);
/* Machine state: the address latch, 0xCF9 and every function's config
 * space and INTx level; BAR mappings, PAM, PIRQ routing and PM bases are
 * re-derived on load through the functions' own hooks. The set of
 * functions and their IDs must match. */
extern const DeviceDesc pci_desc;

/* Set up a function's identity and a BAR (size a power of two). */
void pci_set_ids(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code,
                 uint16_t sub_vendor, uint16_t sub_device);
void pci_set_bar(PciDevice *d, int bar, uint32_t size, bool io, bool prefetch);
/* Helper for bar_changed of an I/O BAR: move size ports of slot from
 * old_addr to new_addr on the bus's port space (0 = none). */
void pci_io_bar_moved(PciDevice *d, int slot, uint32_t old_addr, uint32_t new_addr,
                      uint16_t size);
/* Drive the function's INTx# pin (level). */
void pci_set_intx(PciDevice *d, bool level);
/* A PIRQ routing register changed: move asserted lines to their new IRQ. */
void pci_pirq_changed(PciBus *bus, int pirq, uint8_t old_route);
/* Which PIRQ (0-3 = A-D) a function's INTx pin reaches, or -1. */
int pci_pirq_of(const PciDevice *d);

static inline uint16_t pci_get16(const PciDevice *d, unsigned off)
{
    return (uint16_t)(d->config[off] | d->config[off + 1] << 8);
}
static inline uint32_t pci_get32(const PciDevice *d, unsigned off)
{
    return d->config[off] | d->config[off + 1] << 8 | d->config[off + 2] << 16 |
           (uint32_t)d->config[off + 3] << 24;
}
static inline void pci_put16(PciDevice *d, unsigned off, uint16_t v)
{
    d->config[off] = (uint8_t)v;
    d->config[off + 1] = (uint8_t)(v >> 8);
}
static inline void pci_put32(PciDevice *d, unsigned off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        d->config[off + i] = (uint8_t)(v >> (8 * i));
}

uint32_t pci_port_read(void *opaque, uint16_t port, unsigned size);
void pci_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
