/* System control port A (see port92.h). */
#include "iodev/port92.h"

#include <string.h>

#define P92_RESET 0x01
#define P92_A20   0x02

static uint32_t port92_read(void *opaque, uint16_t port, unsigned size)
{
    Port92 *p = opaque;
    (void)port;
    (void)size;
    /* Bit 1 shows the gate itself: the 8042 may have moved it since. */
    bool a20 = p->a20_state ? p->a20_state(p->hooks.opaque) : (p->value & P92_A20);
    return (p->value & (uint8_t)~P92_A20) | (a20 ? P92_A20 : 0);
}

static void port92_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Port92 *p = opaque;
    (void)port;
    (void)size;
    uint8_t old = p->value;
    p->value = (uint8_t)value;
    if (p->hooks.set_a20)
        p->hooks.set_a20(p->hooks.opaque, value & P92_A20);
    if ((value & P92_RESET) && !(old & P92_RESET)) {
        /* The reset it starts clears the bit again; the machine's reset
         * may not call port92_reset, so clear it here. */
        p->value &= (uint8_t)~P92_RESET;
        if (p->hooks.reset)
            p->hooks.reset(p->hooks.opaque);
    }
}

void port92_reset(Port92 *p)
{
    p->value = 0;
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

/* The A20 level itself belongs to the memory's state; only the latch here. */
void port92_save(const Port92 *p, StateWriter *w)
{
    state_begin(w, "port92", 1);
    state_put_u8(w, p->value);
    state_end(w);
}

bool port92_load(Port92 *p, StateReader *r)
{
    uint32_t version;
    if (!state_section(r, "port92", &version) || version != 1)
        return false;
    p->value = state_get_u8(r) & (uint8_t)~P92_RESET;
    state_section_end(r);
    return state_ok(r);
}
