/* SPDX-License-Identifier: MIT */
/* Port 0xE9 debug console (Bochs/QEMU "port e9 hack"): bytes written go to
 * a character backend; reads return 0xE9 so guests can detect it. */
#include "iodev/debugcon.h"

#include <stdio.h>

static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xE9;
}

static void debugcon_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    DebugCon *d = opaque;
    (void)port;
    (void)size;
    uint8_t b = (uint8_t)value;
    chardev_write(d->out, &b, 1);
}

static const PortOps debugcon_ops = { debugcon_read, debugcon_write, false };

bool debugcon_init(DebugCon *d, PortBus *bus, const char *slot_name, uint16_t port, CharDev *out)
{
    d->out = out;
    int slot = portbus_add_slot(bus, slot_name, &debugcon_ops, d);
    return slot >= 0 && portbus_map(bus, slot, port, 1);
}

static void debugcon_info(void *dev, FILE *out)
{
    const DebugCon *d = dev;
    fprintf(out, "writes go to %s\n", d->out ? "its character backend" : "nowhere");
}

const DeviceDesc debugcon_desc = {
    .kind = "debugcon",
    .version = 1,
    .info = debugcon_info,
};
