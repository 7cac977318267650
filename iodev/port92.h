/* SPDX-License-Identifier: MIT */
/* System control port A (0x92, PS/2 and PIIX "fast" gates): bit 1 drives
 * the A20 gate, a 0-to-1 write of bit 0 pulses the CPU reset line.
 * Usage: port92_init(&p, hooks, a20_state); port92_register(&p, bus); the
 * hooks are the machine's A20 and reset lines (shared with the 8042). */
#ifndef KAIRO_PORT92_H
#define KAIRO_PORT92_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/i8042.h"
#include "iodev/portbus.h"

typedef struct Port92 {
    uint8_t value;
    KbcHooks hooks;   /* the same A20 and reset lines as the 8042's */
    bool (*a20_state)(void *opaque);   /* the gate's level, which the 8042 moves too */
} Port92;

void port92_init(Port92 *p, const KbcHooks *hooks, bool (*a20_state)(void *opaque));
void port92_reset(Port92 *p);
bool port92_register(Port92 *p, PortBus *bus);
/* Machine state: the latch (the A20 level itself is the memory's state). */
extern const DeviceDesc port92_desc;

#endif
