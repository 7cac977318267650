/* System control port A (see port92.h). */
#include "iodev/port92.h"

#include <string.h>

static uint32_t port92_read(void *opaque, uint16_t port, unsigned size)
{
    Port92 *p = opaque;
    (void)port;
    (void)size;
    bool a20 = p->a20_state ? p->a20_state(p->hooks.opaque) : (p->value & 2);
    return (p->value & ~2u & 0xFF) | (a20 ? 2 : 0);
}

static void port92_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Port92 *p = opaque;
    (void)port;
    (void)size;
    uint8_t old = p->value;
    p->value = (uint8_t)(value & ~1u);   /* the reset bit reads back as 0 */
    if (p->hooks.set_a20)
        p->hooks.set_a20(p->hooks.opaque, value & 2);
    if ((value & 1) && !(old & 1) && p->hooks.reset)
        p->hooks.reset(p->hooks.opaque);
}

void port92_init(Port92 *p, const KbcHooks *hooks, bool (*a20_state)(void *opaque))
{
    memset(p, 0, sizeof *p);
    if (hooks)
        p->hooks = *hooks;
    p->a20_state = a20_state;
}

bool port92_register(Port92 *p, PortBus *bus)
{
    static const PortOps ops = { port92_read, port92_write, false };
    int s = portbus_add_slot(bus, "port92", &ops, p);
    return s >= 0 && portbus_map(bus, s, 0x92, 1);
}
