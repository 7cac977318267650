/* SPDX-License-Identifier: MIT */
/* The I/O port bus: port -> slot dispatch, width splitting. */
#include "iodev/portbus.h"

#include <stdio.h>
#include <string.h>

void portbus_init(PortBus *bus)
{
    memset(bus, 0, sizeof *bus);
}

static int find_observer(const PortBus *bus, PortObserver fn, const void *opaque)
{
    for (unsigned i = 0; i < bus->n_observers; i++)
        if (bus->observers[i].fn == fn && bus->observers[i].opaque == opaque)
            return (int)i;
    return -1;
}

void portbus_add_observer(PortBus *bus, PortObserver fn, void *opaque)
{
    if (find_observer(bus, fn, opaque) >= 0)
        return;
    if (bus->n_observers == PORTBUS_MAX_OBSERVERS) {
        /* Cannot happen with the observers kairo has; say so if it ever does. */
        fprintf(stderr, "kairo: port bus: too many observers, one ignored\n");
        return;
    }
    bus->observers[bus->n_observers].fn = fn;
    bus->observers[bus->n_observers].opaque = opaque;
    bus->n_observers++;
}

void portbus_remove_observer(PortBus *bus, PortObserver fn, void *opaque)
{
    int i = find_observer(bus, fn, opaque);
    if (i < 0)
        return;
    bus->n_observers--;
    memmove(&bus->observers[i], &bus->observers[i + 1],
            (bus->n_observers - (unsigned)i) * sizeof bus->observers[0]);
}

static void notify(const PortBus *bus, uint16_t port, unsigned size, uint32_t value, bool write)
{
    for (unsigned i = 0; i < bus->n_observers; i++)
        bus->observers[i].fn(bus->observers[i].opaque, port, size, value, write);
}

int portbus_add_slot(PortBus *bus, const char *name, const PortOps *ops, void *opaque)
{
    if (bus->n_slots >= PORTBUS_MAX_SLOTS || portbus_find(bus, name))
        return -1;
    PortSlot *s = &bus->slots[bus->n_slots];
    memset(s, 0, sizeof *s);
    strncpy(s->name, name, sizeof s->name - 1);
    s->ops = ops;
    s->opaque = opaque;
    return bus->n_slots++;
}

bool portbus_map(PortBus *bus, int slot, uint16_t first, uint16_t count)
{
    PortSlot *s = &bus->slots[slot];
    if (s->n_ranges >= PORTBUS_MAX_RANGES || (uint32_t)first + count > 65536)
        return false;
    for (uint32_t p = first; p < (uint32_t)first + count; p++)
        if (bus->owner[p])
            return false;
    for (uint32_t p = first; p < (uint32_t)first + count; p++)
        bus->owner[p] = (uint8_t)(slot + 1);
    s->ranges[s->n_ranges].first = first;
    s->ranges[s->n_ranges].count = count;
    s->n_ranges++;
    return true;
}

void portbus_unmap(PortBus *bus, int slot, uint16_t first, uint16_t count)
{
    PortSlot *s = &bus->slots[slot];
    for (uint32_t p = first; p < (uint32_t)first + count && p < 65536; p++)
        if (bus->owner[p] == slot + 1)
            bus->owner[p] = 0;
    for (int i = 0; i < s->n_ranges; i++) {
        if (s->ranges[i].first == first && s->ranges[i].count == count) {
            s->ranges[i] = s->ranges[--s->n_ranges];
            break;
        }
    }
}

void portbus_slot_irq(PortBus *bus, int slot, int irq)
{
    PortSlot *s = &bus->slots[slot];
    if (s->n_irqs < 4)
        s->irqs[s->n_irqs++] = irq;
}

PortSlot *portbus_find(PortBus *bus, const char *name)
{
    for (int i = 0; i < bus->n_slots; i++)
        if (strcmp(bus->slots[i].name, name) == 0)
            return &bus->slots[i];
    return NULL;
}

void portbus_replace(PortBus *bus, int slot, const PortOps *ops, void *opaque)
{
    bus->slots[slot].ops = ops;
    bus->slots[slot].opaque = opaque;
    bus->slots[slot].string_ops = NULL;
}

void portbus_set_string_ops(PortBus *bus, int slot, const PortStringOps *ops)
{
    bus->slots[slot].string_ops = ops;
}

static uint32_t read_one(PortBus *bus, uint16_t port, unsigned size)
{
    unsigned owner = bus->owner[port];
    if (!owner)
        return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
    const PortSlot *s = &bus->slots[owner - 1];
    if (size == 1 || s->ops->wide_ok)
        return s->ops->read(s->opaque, port, size);
    /* A byte-wide device: assemble the wider access from byte reads. */
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= read_one(bus, (uint16_t)(port + i), 1) << (8 * i);
    return v;
}

static void write_one(PortBus *bus, uint16_t port, unsigned size, uint32_t value)
{
    unsigned owner = bus->owner[port];
    if (!owner)
        return;
    const PortSlot *s = &bus->slots[owner - 1];
    if (size == 1 || s->ops->wide_ok) {
        s->ops->write(s->opaque, port, size, value);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        write_one(bus, (uint16_t)(port + i), 1, (value >> (8 * i)) & 0xFF);
}

uint32_t portbus_read(PortBus *bus, uint16_t port, unsigned size)
{
    uint32_t v = read_one(bus, port, size);
    if (bus->n_observers)
        notify(bus, port, size, v, false);
    return v;
}

void portbus_write(PortBus *bus, uint16_t port, unsigned size, uint32_t value)
{
    if (bus->n_observers)
        notify(bus, port, size, value, true);
    write_one(bus, port, size, value);
}

/* --- string I/O --- */

static const PortSlot *string_slot(const PortBus *bus, uint16_t port, unsigned size)
{
    unsigned owner = bus->owner[port];
    if (!owner)
        return NULL;
    const PortSlot *s = &bus->slots[owner - 1];
    return size == 1 || s->ops->wide_ok ? s : NULL;
}

bool portbus_string_batched(const PortBus *bus, uint16_t port, unsigned size)
{
    const PortSlot *s = string_slot(bus, port, size);
    return s && s->string_ops;
}

static uint32_t element(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

void portbus_read_string(PortBus *bus, uint16_t port, unsigned size, void *buf, unsigned count)
{
    uint8_t *p = buf;
    const PortSlot *s = string_slot(bus, port, size);
    if (s && s->string_ops) {
        s->string_ops->read_string(s->opaque, port, size, buf, count);
        for (unsigned i = 0; bus->n_observers && i < count; i++)
            notify(bus, port, size, element(p + i * size, size), false);
        return;
    }
    for (unsigned i = 0; i < count; i++) {
        uint32_t v = portbus_read(bus, port, size);
        for (unsigned b = 0; b < size; b++)
            p[i * size + b] = (uint8_t)(v >> (8 * b));
    }
}

void portbus_write_string(PortBus *bus, uint16_t port, unsigned size, const void *buf,
                          unsigned count)
{
    const uint8_t *p = buf;
    const PortSlot *s = string_slot(bus, port, size);
    if (s && s->string_ops) {
        for (unsigned i = 0; bus->n_observers && i < count; i++)
            notify(bus, port, size, element(p + i * size, size), true);
        s->string_ops->write_string(s->opaque, port, size, buf, count);
        return;
    }
    for (unsigned i = 0; i < count; i++)
        portbus_write(bus, port, size, element(p + i * size, size));
}
