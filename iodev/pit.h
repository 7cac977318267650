/* SPDX-License-Identifier: MIT */
/* 8254 programmable interval timer (ports 0x40-0x43) with the PC speaker
 * and gate control of port 0x61. Counter 0 drives IRQ 0.
 *
 * Usage: pit_init(&pit, clock, pic_irq_line(&pic, 0)); pit_register(&pit, bus).
 * Counting follows the virtual clock; an output edge is a timer event, so
 * the PIT costs nothing between interrupts. */
#ifndef KAIRO_PIT_H
#define KAIRO_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "machine/clock.h"

#define PIT_HZ 1193182u

typedef struct PitCounter {
    uint8_t mode;           /* 0-5 */
    uint8_t access;         /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    uint32_t reload;        /* the count written (0 = 65536 / 10000) */
    uint64_t start_tick;    /* PIT tick at which counting (re)started */
    bool counting;          /* a count was loaded (mode 0/4: armed) */
    bool gate;
    bool null_count;        /* written but not yet loaded into the counter */
    bool write_high_next;   /* access 3: next write is the MSB */
    bool read_high_next;
    uint8_t write_lsb;
    bool count_latched;
    uint16_t latched_count;
    uint8_t latch_reads;    /* bytes of the latch still to read */
    bool status_latched;
    uint8_t status;
    bool out_irq;           /* the level last given to the IRQ line */
    uint64_t pulse_tick;    /* counter 0: the one-tick low pulse the timer
                               is armed for (modes 2, 4, 5), 0 = none */
} PitCounter;

typedef struct Pit {
    PitCounter c[3];
    Clock *clock;
    IrqLine irq0;
    Timer timer;
    uint8_t port61;         /* bits 0 (gate 2), 1 (speaker data), 2-3 */
} Pit;

void pit_init(Pit *p, Clock *clock, const IrqLine *irq0);
void pit_reset(Pit *p);
bool pit_register(Pit *p, PortBus *bus);
/* Output of counter n now (the speaker and port 0x61 read counter 2). */
bool pit_output(Pit *p, int n);
/* Machine state: the three counters with their latches, port 0x61 and the
 * IRQ 0 edge timer. */
extern const DeviceDesc pit_desc;

uint32_t pit_port_read(void *opaque, uint16_t port, unsigned size);
void pit_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
