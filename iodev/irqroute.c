/* SPDX-License-Identifier: MIT */
/* The board's interrupt wiring (see irqroute.h). */
#include "iodev/irqroute.h"

#include <stddef.h>

#include "iodev/ioapic.h"

int irqroute_ioapic_pin(int irq)
{
    return irq == 0 ? 2 : irq;
}

/* One ISA line: the same level to both controllers. */
static void isa_line_set(void *opaque, int irq, bool level)
{
    IrqRouter *r = opaque;
    pic_set_irq(r->pic, irq, level);
    if (r->ioapic)
        ioapic_set_pin(r->ioapic, irqroute_ioapic_pin(irq), level);
}

void irqroute_init(IrqRouter *r, PicPair *pic, struct IoApic *ioapic)
{
    r->pic = pic;
    r->ioapic = ioapic;
    for (int i = 0; i < IRQROUTE_ISA_LINES; i++)
        r->isa[i] = (IrqLine){ isa_line_set, r, i };
}

const IrqLine *irqroute_isa(IrqRouter *r, int irq)
{
    return irq >= 0 && irq < IRQROUTE_ISA_LINES ? &r->isa[irq] : NULL;
}
