/* SPDX-License-Identifier: MIT */
/* The i440FX host bridge (8086:1237, 00:00.0: PAM shadowing of
 * 0xC0000-0xFFFFF, SMRAM closed) and the PIIX3's ISA bridge (8086:7000,
 * 00:01.0: PIRQ routing) and IDE function (8086:7010, 00:01.1: bus-master
 * registers in BAR 4), with the IDs and revisions of QEMU's "pc" machine.
 *
 * Usage: i440fx_init(&nb, &pci, mem, ide0, ide1) after the BIOS ROM is mapped
 * (what answers at 0xC0000-0xFFFFF then is what PAM "off" shows later);
 * i440fx_reset on a machine reset. IDE channels may be NULL (no drives). */
#ifndef KAIRO_I440FX_H
#define KAIRO_I440FX_H

#include "iodev/ide.h"
#include "iodev/pci.h"

#define PAM_REGIONS 13          /* 0xF0000 (64K) and twelve 16K pieces from 0xC0000 */
#define PAM_PAGES   64          /* 0xC0000-0xFFFFF in 4K pages */

typedef struct I440fx {
    PciDevice host, isa, ide;
    PhysMem *mem;
    PciBus *pci;
    uint8_t *below[PAM_PAGES];  /* what reads see with PAM off (ROM), or NULL */
    uint8_t pam_applied[PAM_REGIONS];   /* attribute mapped now, 0xFF = none yet */
    IdeChannel *channels[2];
    int bm_slot;
} I440fx;

bool i440fx_init(I440fx *nb, PciBus *pci, PhysMem *mem, IdeChannel *ide0, IdeChannel *ide1);
void i440fx_reset(I440fx *nb);
/* Machine state: none of its own (the config spaces are the PCI bus's);
 * loading re-applies PAM and the PIRQ routing. */
extern const DeviceDesc i440fx_desc;
/* Connect (or replace) the IDE channels behind the bus-master registers. */
void i440fx_attach_ide(I440fx *nb, IdeChannel *ide0, IdeChannel *ide1);

#endif
