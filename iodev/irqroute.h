/* SPDX-License-Identifier: MIT */
/* The board's interrupt wiring: every ISA IRQ (and every PCI PIRQ, which
 * the PIIX3 steers onto an ISA IRQ) reaches both the 8259 pair and the
 * I/O APIC, as on QEMU's `pc` machine: ISA IRQ n is 8259 input n and I/O
 * APIC pin n, except the timer (IRQ 0), which is wired to pin 2 (the
 * interrupt source override the firmware's MADT and MP table describe).
 *
 * Devices get IrqLines from irqroute_isa() and never know which
 * controller the guest uses; with no I/O APIC the lines go to the 8259s
 * alone. */
#ifndef KAIRO_IRQROUTE_H
#define KAIRO_IRQROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/irq.h"
#include "iodev/pic.h"

struct IoApic;

#define IRQROUTE_ISA_LINES 16

typedef struct IrqRouter {
    PicPair *pic;
    struct IoApic *ioapic;      /* NULL: an 8259-only board */
    IrqLine isa[IRQROUTE_ISA_LINES];
} IrqRouter;

void irqroute_init(IrqRouter *r, PicPair *pic, struct IoApic *ioapic);
/* The line of ISA IRQ irq (0..15), or NULL for another number. */
const IrqLine *irqroute_isa(IrqRouter *r, int irq);
/* The I/O APIC pin ISA IRQ irq is wired to. */
int irqroute_ioapic_pin(int irq);

#endif
