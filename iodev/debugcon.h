/* SPDX-License-Identifier: MIT */
/* Port 0xE9 debug console. */
#ifndef KAIRO_DEBUGCON_H
#define KAIRO_DEBUGCON_H

#include "iodev/chardev.h"
#include "iodev/device.h"
#include "iodev/portbus.h"

typedef struct DebugCon {
    CharDev *out;
} DebugCon;

bool debugcon_init(DebugCon *d, PortBus *bus, const char *slot_name, uint16_t port,
                   CharDev *out);

/* Machine state: none (the backend is host wiring); the descriptor gives
 * it a place in the registry's loops and an `info` line. */
extern const DeviceDesc debugcon_desc;

#endif
