/* The i440FX host bridge (PAM shadowing of 0xC0000-0xFFFFF) and the PIIX3
 * functions: ISA bridge (PIRQ routing) and IDE (bus-master DMA registers),
 * as in QEMU's "pc" machine, so SeaBIOS treats the machine like QEMU's.
 *
 * Usage: i440fx_init(&nb, &pci, mem, ide0, ide1) after the BIOS ROM is
 * mapped (its low 128 KiB pages are remembered for PAM "ROM" settings). */
#ifndef KAIRO_I440FX_H
#define KAIRO_I440FX_H

#include "iodev/ide.h"
#include "iodev/pci.h"

typedef struct I440fx {
    PciDevice host, isa, ide;
    PhysMem *mem;
    PciBus *pci;
    uint8_t *bios_pages[32];    /* 0xE0000-0xFFFFF as the ROM maps them */
    IdeChannel *channels[2];
    int bm_slot;
} I440fx;

bool i440fx_init(I440fx *nb, PciBus *pci, PhysMem *mem, IdeChannel *ide0, IdeChannel *ide1);
void i440fx_reset(I440fx *nb);

#endif
