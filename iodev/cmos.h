/* SPDX-License-Identifier: MIT */
/* MC146818 real-time clock and CMOS NVRAM (ports 0x70-0x71), IRQ 8.
 *
 * Usage: cmos_init(&rtc, clock, pic_irq_line(&pic, 8), start_time);
 * cmos_register(&rtc, bus); cmos_set(&rtc, index, value) for the BIOS fields
 * and cmos_fix_checksum(). The time runs from start_time (host time, or a
 * fixed one for deterministic runs) along the virtual clock. */
#ifndef KAIRO_CMOS_H
#define KAIRO_CMOS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "machine/clock.h"

typedef struct Cmos {
    uint8_t ram[128];
    uint8_t index;
    bool nmi_disabled;      /* port 0x70 bit 7 */
    Clock *clock;
    IrqLine irq;
    int64_t base_time;      /* guest seconds (Unix time) at guest clock 0 */
    int64_t set_offset;     /* seconds added by the guest setting the time */
    uint64_t last_c_read_ns;    /* flags accumulate from here */
    uint64_t periodic_next_ns;
    Timer periodic;
    Timer update;
    bool irq_level;
} Cmos;

void cmos_init(Cmos *c, Clock *clock, const IrqLine *irq, int64_t start_time);
void cmos_reset(Cmos *c);
bool cmos_register(Cmos *c, PortBus *bus);
void cmos_set(Cmos *c, uint8_t index, uint8_t value);
uint8_t cmos_get(const Cmos *c, uint8_t index);
/* Standard checksum over 0x10-0x2D into 0x2E-0x2F. */
void cmos_fix_checksum(Cmos *c);
/* Machine state: NVRAM, index, the time base and offset, both timers. */
extern const DeviceDesc cmos_desc;

uint32_t cmos_port_read(void *opaque, uint16_t port, unsigned size);
void cmos_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
