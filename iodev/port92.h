/* System control port A (0x92): fast A20 gate (bit 1) and fast CPU reset
 * (bit 0, on a 0 to 1 transition).
 * Usage: port92_init(&p, hooks_from_the_machine); port92_register(&p, bus). */
#ifndef KAIRO_PORT92_H
#define KAIRO_PORT92_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/i8042.h"
#include "iodev/portbus.h"

typedef struct Port92 {
    uint8_t value;
    KbcHooks hooks;   /* the same A20 and reset lines as the 8042's */
    bool (*a20_state)(void *opaque);
} Port92;

void port92_init(Port92 *p, const KbcHooks *hooks, bool (*a20_state)(void *opaque));
bool port92_register(Port92 *p, PortBus *bus);

#endif
