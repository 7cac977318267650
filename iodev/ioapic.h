/* SPDX-License-Identifier: MIT */
/* The 82093AA I/O APIC of PIIX-based boards, at 0xFEC00000: IOREGSEL at
 * +0x00, IOWIN at +0x10; registers ID (0), version (1, 24 entries),
 * arbitration ID (2) and 24 redirection entries (0x10 + 2n, low/high).
 *
 * An input pin carries the asserted level the board's wiring gives it
 * (irqroute.c); the polarity bit is kept for the guest (the MP/ACPI
 * tables and the wiring agree, so a correct guest programs what the pin
 * already means). Edge entries latch a rising edge (held while masked, as
 * the interrupt request register does); level entries deliver while the
 * pin is high and remote IRR is clear, set remote IRR, and deliver again
 * after the local APIC's EOI broadcast if the pin is still high. */
#ifndef KAIRO_IOAPIC_H
#define KAIRO_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iodev/apic_msg.h"
#include "iodev/device.h"
#include "memory/phys.h"

#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_PINS 24

/* Redirection entry bits */
#define IOAPIC_RTE_DELIVS   (1ull << 12)   /* delivery status (read-only) */
#define IOAPIC_RTE_POLARITY (1ull << 13)   /* active low */
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14) /* read-only */
#define IOAPIC_RTE_LEVEL    (1ull << 15)
#define IOAPIC_RTE_MASKED   (1ull << 16)

typedef struct IoApic {
    uint8_t id;                 /* bits 24-27 of register 0 */
    uint8_t regsel;             /* IOREGSEL */
    uint64_t rte[IOAPIC_PINS];
    uint32_t pin_level;         /* inputs as they are now */
    uint32_t irr;               /* latched edges / asserted levels not yet sent */
    void (*deliver)(void *opaque, const ApicMsg *msg);
    void *opaque;
} IoApic;

void ioapic_init(IoApic *io, void (*deliver)(void *opaque, const ApicMsg *msg), void *opaque);
void ioapic_reset(IoApic *io);
bool ioapic_map(IoApic *io, PhysMem *mem);
void ioapic_set_pin(IoApic *io, int pin, bool level);
/* A local APIC's EOI for a level-triggered vector: remote IRR clears. */
void ioapic_eoi(IoApic *io, uint8_t vector);

uint32_t ioapic_mmio_read(void *opaque, uint32_t addr, unsigned size);
void ioapic_mmio_write(void *opaque, uint32_t addr, unsigned size, uint32_t value);

extern const DeviceDesc ioapic_desc;

#endif
