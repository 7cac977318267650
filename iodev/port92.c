/* SPDX-License-Identifier: MIT */
/* System control port A (see port92.h). */
#include "iodev/port92.h"

#include <stdio.h>
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

/* --- machine state --- */

/* The A20 level itself belongs to the memory's state; only the latch here.
 * Bit 0 is never saved set: the reset it starts has happened. */
static const StateField port92_fields[] = {
    SF_FIELD_MAX(Port92, value, SF_U8, 0xFE),
};

static bool port92_post_load(void *dev, char *err, size_t errlen)
{
    Port92 *p = dev;
    (void)err;
    (void)errlen;
    p->value &= (uint8_t)~P92_RESET;
    return true;
}

static void port92_reset_dev(void *dev) { port92_reset(dev); }

static void port92_info(void *dev, FILE *out)
{
    Port92 *p = dev;
    fprintf(out, "value %02X, A20 %s\n", (unsigned)port92_read(p, 0x92, 1),
            (port92_read(p, 0x92, 1) & P92_A20) ? "enabled" : "masked");
}

const DeviceDesc port92_desc = {
    .kind = "port92",
    .version = 1,
    .fields = port92_fields,
    .n_fields = 1,
    .reset = port92_reset_dev,
    .post_load = port92_post_load,
    .info = port92_info,
};
