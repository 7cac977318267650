/* SPDX-License-Identifier: MIT */
/* isa-debug-exit: the guest ends the run with a chosen exit status. */
#include "iodev/debugexit.h"

#include <stdio.h>

static uint32_t debugexit_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

static void debugexit_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    DebugExit *d = opaque;
    (void)port;
    (void)size;
    /* QEMU: status = (value << 1) | 1, where value is the written data. */
    d->status = (int)(((value & 0xFF) << 1) | 1);
    d->requested = true;
}

static const PortOps debugexit_ops = { debugexit_read, debugexit_write, true };

bool debugexit_init(DebugExit *d, PortBus *bus, uint16_t port, uint16_t size)
{
    d->requested = false;
    d->status = 0;
    int slot = portbus_add_slot(bus, "debugexit", &debugexit_ops, d);
    return slot >= 0 && portbus_map(bus, slot, port, size);
}

/* --- machine state --- */

static const StateField debugexit_fields[] = {
    SF_FIELD(DebugExit, requested, SF_BOOL),
    SF_FIELD_MAX(DebugExit, status, SF_U32, 0x1FF),   /* (byte << 1) | 1 */
};

static void debugexit_reset(void *dev)
{
    DebugExit *d = dev;
    d->requested = false;
    d->status = 0;
}

static void debugexit_info(void *dev, FILE *out)
{
    const DebugExit *d = dev;
    if (d->requested)
        fprintf(out, "exit requested with status %d\n", d->status);
    else
        fprintf(out, "no exit requested\n");
}

const DeviceDesc debugexit_desc = {
    .kind = "debugexit",
    .version = 1,
    .fields = debugexit_fields,
    .n_fields = sizeof debugexit_fields / sizeof debugexit_fields[0],
    .reset = debugexit_reset,
    .info = debugexit_info,
};
