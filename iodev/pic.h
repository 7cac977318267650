/* SPDX-License-Identifier: MIT */
/* The two cascaded 8259A interrupt controllers of a PC/AT (ports 0x20-0x21,
 * 0xA0-0xA1) and the PIIX edge/level control registers (0x4D0-0x4D1).
 *
 * Usage: pic_init(&pic, set_intr, cpu); pic_register(&pic, bus); devices
 * get pic_irq_line(&pic, n); the CPU's INTA is pic_ack(). */
#ifndef KAIRO_PIC_H
#define KAIRO_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"

typedef struct Pic8259 {
    uint8_t irr, imr, isr;
    uint8_t lines;          /* input levels, for edge detection */
    uint8_t elcr;           /* level-triggered inputs */
    uint8_t elcr_mask;      /* which inputs may be level-triggered */
    uint8_t vector_base;
    uint8_t priority_add;   /* rotation: the lowest-priority input + 1 */
    uint8_t init_step;      /* 0 = ready, 1..3 = expecting ICW2..ICW4 */
    bool single, need_icw4;
    bool auto_eoi, rotate_on_aeoi, special_fully_nested;
    bool read_isr, poll, special_mask;
    uint8_t icw3;
} Pic8259;

typedef struct PicPair {
    Pic8259 chip[2];        /* master, slave */
    void (*set_intr)(void *opaque, bool level);
    void *opaque;
    bool intr;
    IrqLine lines[16];
    uint64_t spurious;      /* spurious IRQ 7/15 acknowledged */
} PicPair;

void pic_init(PicPair *p, void (*set_intr)(void *opaque, bool level), void *opaque);
void pic_reset(PicPair *p);
bool pic_register(PicPair *p, PortBus *bus);
/* Set the level of input irq 0..15. */
void pic_set_irq(PicPair *p, int irq, bool level);
const IrqLine *pic_irq_line(PicPair *p, int irq);
/* INTA: the vector to deliver (a spurious 7/15 when the request vanished). */
int pic_ack(void *pic_pair);
/* Machine state: both chips (requests, masks, in-service, ICW/OCW modes). */
extern const DeviceDesc pic_desc;

uint32_t pic_port_read(void *opaque, uint16_t port, unsigned size);
void pic_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
