/* SPDX-License-Identifier: MIT */
/* The I/O port bus and its named slots.
 *
 * Every device occupies a slot: a name ("pic", "com1", "ide0"...), its
 * port ranges, and a PortOps with an opaque pointer. The CPU's IN/OUT
 * reach devices only through portbus_read/portbus_write, so a slot's
 * handlers can be swapped (for a remote proxy) without the device or the
 * CPU knowing. Unclaimed ports read as all-ones and ignore writes. */
#ifndef KAIRO_PORTBUS_H
#define KAIRO_PORTBUS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct PortOps {
    /* size is 1, 2 or 4. A device that only handles bytes leaves
     * wide_ok false and the bus splits wider accesses into bytes. */
    uint32_t (*read)(void *opaque, uint16_t port, unsigned size);
    void (*write)(void *opaque, uint16_t port, unsigned size, uint32_t value);
    bool wide_ok;
} PortOps;

/* Optional string I/O for a slot (REP INS/OUTS): count elements of one
 * port in one call, packed little-endian at buf, for handlers that batch
 * them (the remote proxy sends a whole sector as one frame). A slot
 * without them gets one read/write call per element. Same opaque as the
 * slot's PortOps. */
typedef struct PortStringOps {
    void (*read_string)(void *opaque, uint16_t port, unsigned size, void *buf, unsigned count);
    void (*write_string)(void *opaque, uint16_t port, unsigned size, const void *buf,
                         unsigned count);
} PortStringOps;

#define PORTBUS_MAX_SLOTS 64
#define PORTBUS_MAX_RANGES 8

typedef struct PortSlot {
    char name[16];
    const PortOps *ops;
    void *opaque;
    const PortStringOps *string_ops;    /* NULL: per-element calls */
    struct { uint16_t first, count; } ranges[PORTBUS_MAX_RANGES];
    int n_ranges;
    int irqs[4];
    int n_irqs;
} PortSlot;

/* Something that sees every port access with its value: -d io / --trace
 * (debug/trace.c) and the debuggers' port watches (debug/breakpoints.c).
 * Reads are reported after the device answered, writes before it acts;
 * string I/O element by element. */
typedef void (*PortObserver)(void *opaque, uint16_t port, unsigned size, uint32_t value,
                             bool write);
/* Each observer function is added at most once per opaque; two kinds exist. */
#define PORTBUS_MAX_OBSERVERS 4

typedef struct PortBus {
    uint8_t owner[65536];   /* slot index + 1, 0 = unclaimed */
    PortSlot slots[PORTBUS_MAX_SLOTS];
    int n_slots;
    /* None (the usual case): one predictable branch per access. */
    struct { PortObserver fn; void *opaque; } observers[PORTBUS_MAX_OBSERVERS];
    unsigned n_observers;
} PortBus;

void portbus_init(PortBus *bus);
/* Start / stop reporting every access to fn(opaque, ...). Adding a pair
 * already there, or removing one that is not, changes nothing. */
void portbus_add_observer(PortBus *bus, PortObserver fn, void *opaque);
void portbus_remove_observer(PortBus *bus, PortObserver fn, void *opaque);
/* Add a slot; returns its index or -1 if the bus is full or the name is taken. */
int portbus_add_slot(PortBus *bus, const char *name, const PortOps *ops, void *opaque);
/* Give ports [first, first+count) to a slot; false if any is taken already. */
bool portbus_map(PortBus *bus, int slot, uint16_t first, uint16_t count);
/* Release ports [first, first+count) if this slot owns them (a PCI BAR
 * moving); the range record is removed too. */
void portbus_unmap(PortBus *bus, int slot, uint16_t first, uint16_t count);
void portbus_slot_irq(PortBus *bus, int slot, int irq);
PortSlot *portbus_find(PortBus *bus, const char *name);
/* Replace the handlers of a slot (remote proxy); string ops go back to
 * per-element calls until portbus_set_string_ops. */
void portbus_replace(PortBus *bus, int slot, const PortOps *ops, void *opaque);
void portbus_set_string_ops(PortBus *bus, int slot, const PortStringOps *ops);

uint32_t portbus_read(PortBus *bus, uint16_t port, unsigned size);
void portbus_write(PortBus *bus, uint16_t port, unsigned size, uint32_t value);
/* String I/O: count elements of size bytes at one port, packed at buf.
 * portbus_string_batched tells whether the port's slot takes them in one
 * call (otherwise these are per-element loops, same as read/write). */
bool portbus_string_batched(const PortBus *bus, uint16_t port, unsigned size);
void portbus_read_string(PortBus *bus, uint16_t port, unsigned size, void *buf, unsigned count);
void portbus_write_string(PortBus *bus, uint16_t port, unsigned size, const void *buf,
                          unsigned count);

#endif
