/* SPDX-License-Identifier: MIT */
/* isa-debug-exit: writing v ends the run with status (v << 1) | 1, as in QEMU. */
#ifndef KAIRO_DEBUGEXIT_H
#define KAIRO_DEBUGEXIT_H

#include "iodev/device.h"
#include "iodev/portbus.h"

typedef struct DebugExit {
    bool requested;
    int status;
} DebugExit;

bool debugexit_init(DebugExit *d, PortBus *bus, uint16_t port, uint16_t size);

/* Machine state: whether the guest asked to exit, and with what status. */
extern const DeviceDesc debugexit_desc;

#endif
