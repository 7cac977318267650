/* isa-debug-exit: the guest ends the run with a chosen exit status. */
#include "iodev/debugexit.h"

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
