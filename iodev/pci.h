/* PCI bus 0 with configuration mechanism #1 (0xCF8 / 0xCFC-0xCFF): device
 * configuration spaces with write masks, BAR sizing and mapping, the
 * command register's I/O and memory enables, and INTx routing through the
 * PIIX3's PIRQ registers to the 8259s.
 *
 * Usage: pci_init(&bus, mem, ports, pic); pci_add(&bus, &dev) for each
 * function (see pc_pci.c for the i440FX machine's functions). */
#ifndef KAIRO_PCI_H
#define KAIRO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/pic.h"
#include "iodev/portbus.h"
#include "memory/phys.h"

#define PCI_ROM_BAR 6

struct PciBus;

typedef struct PciDevice {
    const char *name;
    uint8_t devfn;              /* device << 3 | function */
    uint8_t config[256];
    uint8_t wmask[256];         /* writable bits */
    uint32_t bar_size[7];       /* 0 = no BAR; ROM in slot 6 */
    bool bar_io[7];
    uint32_t bar_mapped[7];     /* address currently mapped, 0 = none */
    /* Called when a BAR's effective address changes (0 = unmapped). */
    void (*bar_changed)(struct PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr);
    /* Called after any config write (device-specific registers). */
    void (*config_written)(struct PciDevice *d, uint8_t offset, unsigned size);
    void *opaque;
    struct PciBus *bus;
    bool intx_level;
} PciDevice;

typedef struct PciBus {
    PciDevice *devs[256];
    uint32_t config_addr;
    PhysMem *mem;
    PortBus *ports;
    PicPair *pic;
    uint8_t *pirq_route;        /* the PIIX3's 0x60-0x63, set by pc_pci */
    uint8_t pirq_count[4];      /* asserted INTx per PIRQ */
    uint8_t isa_irq_count[16];  /* PIRQs asserted per ISA IRQ */
    uint8_t reset_control;      /* port 0xCF9 */
    void (*reset_request)(void *opaque);
    void *reset_opaque;
} PciBus;

void pci_init(PciBus *bus, PhysMem *mem, PortBus *ports, PicPair *pic);
bool pci_register(PciBus *bus);
bool pci_add(PciBus *bus, PciDevice *d);

/* Set up a function's identity and a BAR (size a power of two). */
void pci_set_ids(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code,
                 uint16_t sub_vendor, uint16_t sub_device);
void pci_set_bar(PciDevice *d, int bar, uint32_t size, bool io, bool prefetch);
/* Drive the function's INTx# pin (level). */
void pci_set_intx(PciDevice *d, bool level);
/* A PIRQ routing register changed: move asserted lines. */
void pci_pirq_changed(PciBus *bus, int pirq, uint8_t old_route);

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
