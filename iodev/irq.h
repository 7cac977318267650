/* SPDX-License-Identifier: MIT */
/* An interrupt line as a device sees it: a function and its argument.
 * A device raises and lowers its line and never knows whether a PIC, an
 * I/O APIC or a remote proxy is at the other end. */
#ifndef KAIRO_IRQ_H
#define KAIRO_IRQ_H

#include <stdbool.h>

typedef struct IrqLine {
    void (*set)(void *opaque, int line, bool level);
    void *opaque;
    int line;
} IrqLine;

static inline void irq_set(const IrqLine *l, bool level)
{
    if (l && l->set)
        l->set(l->opaque, l->line, level);
}
static inline void irq_raise(const IrqLine *l) { irq_set(l, true); }
static inline void irq_lower(const IrqLine *l) { irq_set(l, false); }
/* A pulse: what an edge-triggered ISA device does for one event. */
static inline void irq_pulse(const IrqLine *l)
{
    irq_set(l, true);
    irq_set(l, false);
}

#endif
