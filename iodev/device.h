/* SPDX-License-Identifier: MIT */
/* One descriptor per machine component (device, CPU, x87, RAM, clock...):
 * its name, version, a declarative field table, and the few hooks a table
 * cannot express. Machine reset, teardown, the monitor's `info NAME` and
 * snapshots are loops over the registered descriptors (DeviceList).
 *
 * Saving a component writes one devstate section named after the instance
 * ("com1", "ide0", "cpu"), version desc->version:
 *     u32 layout hash of the fields with since <= version,
 *     every such field in table order (little-endian; arrays element by
 *     element), then whatever save_extra writes.
 * Loading reads a section written by version v <= desc->version: the fields
 * with since <= v are read, the newer ones keep their reset values (load
 * happens after reset), then load_extra and post_load run. A section from a
 * newer version, an unknown or missing section, a layout hash that does
 * not match (a field changed without a version bump), or a value above a
 * field's max is a one-line error; nothing a file says can make a load
 * index out of bounds. */
#ifndef KAIRO_DEVICE_H
#define KAIRO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iodev/devstate.h"

typedef enum StateFieldKind {
    SF_U8,      /* uint8_t / int8_t */
    SF_U16,
    SF_U32,     /* uint32_t / int32_t / an enum stored as int */
    SF_U64,
    SF_BOOL,    /* bool: saved as one byte 0/1 */
    SF_BYTES,   /* count raw bytes (a uint8_t array or a plain-data block) */
    SF_TIMER,   /* a machine/clock.h Timer: armed flag + deadline; loading re-arms it */
} StateFieldKind;

typedef struct StateField {
    const char *name;
    StateFieldKind kind;
    size_t offset;      /* from the start of the component's struct */
    size_t count;       /* elements (SF_BYTES: bytes); 0 means 1 */
    size_t stride;      /* bytes between elements; 0: the element's own size */
    uint64_t max;       /* largest value a load accepts; 0: any */
    uint32_t since;     /* first descriptor version with this field; 0 means 1 */
} StateField;

/* Field-table helpers. T is the component's struct type. */
#define SF_FIELD(T, member, kind_) \
    { #member, kind_, offsetof(T, member), 1, 0, 0, 0 }
#define SF_FIELD_MAX(T, member, kind_, max_) \
    { #member, kind_, offsetof(T, member), 1, 0, max_, 0 }
#define SF_ARRAY(T, member, kind_, n) \
    { #member, kind_, offsetof(T, member), n, 0, 0, 0 }
#define SF_BLOB(T, member) \
    { #member, SF_BYTES, offsetof(T, member), sizeof(((T *)0)->member), 0, 0, 0 }
/* A member of every element of an array of structs: arr[i].member. */
#define SF_EACH(T, arr, member, kind_, n) \
    { #arr "." #member, kind_, offsetof(T, arr[0].member), n, sizeof(((T *)0)->arr[0]), 0, 0 }
#define SF_EACH_MAX(T, arr, member, kind_, n, max_) \
    { #arr "." #member, kind_, offsetof(T, arr[0].member), n, sizeof(((T *)0)->arr[0]), max_, 0 }

typedef struct DeviceDesc {
    const char *kind;           /* "uart", "ide", "cpu": what the component is */
    uint32_t version;
    const StateField *fields;
    size_t n_fields;
    /* Back to power-on state (RAM and disk contents stay). NULL: nothing. */
    void (*reset)(void *dev);
    /* State no table can hold (buffers with a live length, VRAM, queues). */
    void (*save_extra)(void *dev, StateWriter *w);
    bool (*load_extra)(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen);
    /* After every field is in: check invariants, re-derive what is
     * computed from the fields (IRQ lines, caches, mappings). */
    bool (*post_load)(void *dev, char *err, size_t errlen);
    /* `info NAME` in the monitor: a few lines of human-readable state. */
    void (*info)(void *dev, FILE *out);
    /* Release what init took (files are flushed first). */
    void (*teardown)(void *dev);
} DeviceDesc;

typedef struct DeviceInstance {
    const DeviceDesc *desc;
    void *dev;
    char name[24];              /* section and `info` name: "com1", "ide0" */
} DeviceInstance;

#define DEVICE_LIST_MAX 128   /* -smp 16: 16 APICs, 15 more CPUs and x87s */

typedef struct DeviceList {
    DeviceInstance items[DEVICE_LIST_MAX];
    int n;
} DeviceList;

void devlist_init(DeviceList *l);
/* Register a component instance; false if the list is full or the name taken. */
bool devlist_add(DeviceList *l, const DeviceDesc *desc, void *dev, const char *name);
const DeviceInstance *devlist_find(const DeviceList *l, const char *name);
/* In registration order. */
void devlist_reset_all(DeviceList *l);
/* In reverse registration order. */
void devlist_teardown_all(DeviceList *l);

/* One component's section (fields, then save_extra). */
void device_save(const DeviceInstance *d, StateWriter *w);
/* Reads the next section, which must be this component's. */
bool device_load(const DeviceInstance *d, StateReader *r, char *err, size_t errlen);
/* Every component, in registration order. */
void devlist_save_all(const DeviceList *l, StateWriter *w);
bool devlist_load_all(DeviceList *l, StateReader *r, char *err, size_t errlen);

/* The layout hash of the fields a version-v section holds (FNV-1a over
 * name, kind, count of each field with since <= v). */
uint32_t device_layout_hash(const DeviceDesc *desc, uint32_t version);

#endif
