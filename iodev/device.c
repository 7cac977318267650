/* SPDX-License-Identifier: MIT */
/* Component descriptors: the registry loops and the field-table codec
 * (see device.h). */
#include "iodev/device.h"

#include <string.h>

#include "machine/clock.h"

void devlist_init(DeviceList *l)
{
    memset(l, 0, sizeof *l);
}

bool devlist_add(DeviceList *l, const DeviceDesc *desc, void *dev, const char *name)
{
    if (l->n >= DEVICE_LIST_MAX || strlen(name) >= sizeof l->items[0].name || devlist_find(l, name))
        return false;
    DeviceInstance *d = &l->items[l->n++];
    d->desc = desc;
    d->dev = dev;
    snprintf(d->name, sizeof d->name, "%s", name);
    return true;
}

const DeviceInstance *devlist_find(const DeviceList *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].name, name))
            return &l->items[i];
    return NULL;
}

void devlist_reset_all(DeviceList *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i].desc->reset)
            l->items[i].desc->reset(l->items[i].dev);
}

void devlist_teardown_all(DeviceList *l)
{
    for (int i = l->n - 1; i >= 0; i--)
        if (l->items[i].desc->teardown)
            l->items[i].desc->teardown(l->items[i].dev);
}

static uint32_t since_of(const StateField *f)
{
    return f->since ? f->since : 1;
}

static size_t count_of(const StateField *f)
{
    return f->count ? f->count : 1;
}

static size_t elem_size(StateFieldKind k)
{
    switch (k) {
    case SF_U8:
    case SF_BOOL:
        return 1;
    case SF_U16:
        return 2;
    case SF_U32:
        return 4;
    case SF_U64:
        return 8;
    case SF_TIMER:
        return sizeof(Timer);
    case SF_BYTES:
        return 1;
    }
    return 1;
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

uint32_t device_layout_hash(const DeviceDesc *desc, uint32_t version)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < desc->n_fields; i++) {
        const StateField *f = &desc->fields[i];
        if (since_of(f) > version)
            continue;
        uint32_t shape[2] = { (uint32_t)f->kind, (uint32_t)count_of(f) };
        h = fnv1a(h, f->name, strlen(f->name) + 1);
        h = fnv1a(h, shape, sizeof shape);
    }
    return h;
}

static void save_field(const StateField *f, const uint8_t *base, StateWriter *w)
{
    if (f->kind == SF_BYTES) {
        state_put_bytes(w, base + f->offset, count_of(f));
        return;
    }
    size_t stride = f->stride ? f->stride : elem_size(f->kind);
    for (size_t i = 0; i < count_of(f); i++) {
        const uint8_t *p = base + f->offset + i * stride;
        uint8_t v8;
        uint16_t v16;
        uint32_t v32;
        uint64_t v64;
        switch (f->kind) {
        case SF_U8:
            memcpy(&v8, p, 1);
            state_put_u8(w, v8);
            break;
        case SF_BOOL:
            state_put_u8(w, *(const bool *)p ? 1 : 0);
            break;
        case SF_U16:
            memcpy(&v16, p, 2);
            state_put_u16(w, v16);
            break;
        case SF_U32:
            memcpy(&v32, p, 4);
            state_put_u32(w, v32);
            break;
        case SF_U64:
            memcpy(&v64, p, 8);
            state_put_u64(w, v64);
            break;
        case SF_TIMER: {
            const Timer *t = (const Timer *)p;
            state_put_u8(w, t->armed ? 1 : 0);
            state_put_u64(w, t->armed ? t->deadline : 0);
            break;
        }
        case SF_BYTES:
            break;
        }
    }
}

static bool load_field(const StateField *f, uint8_t *base, StateReader *r, const char *dev,
                       char *err, size_t errlen)
{
    if (f->kind == SF_BYTES) {
        state_get_bytes(r, base + f->offset, count_of(f));
        return true;
    }
    size_t stride = f->stride ? f->stride : elem_size(f->kind);
    for (size_t i = 0; i < count_of(f); i++) {
        uint8_t *p = base + f->offset + i * stride;
        uint64_t v = 0;
        switch (f->kind) {
        case SF_U8:
        case SF_BOOL:
            v = state_get_u8(r);
            break;
        case SF_U16:
            v = state_get_u16(r);
            break;
        case SF_U32:
            v = state_get_u32(r);
            break;
        case SF_U64:
            v = state_get_u64(r);
            break;
        case SF_TIMER: {
            Timer *t = (Timer *)p;
            uint8_t armed = state_get_u8(r);
            uint64_t deadline = state_get_u64(r);
            if (!state_ok(r))
                return true;   /* reported by the caller */
            if (armed > 1) {
                snprintf(err, errlen, "device '%s': field %s: bad timer state", dev, f->name);
                return false;
            }
            if (armed && !t->clock) {
                /* A component built without a clock (no typematic repeat...). */
                snprintf(err, errlen, "device '%s': field %s: armed timer, but this instance "
                                      "has no clock", dev, f->name);
                return false;
            }
            if (armed)
                timer_mod(t, deadline);
            else
                timer_del(t);
            continue;
        }
        case SF_BYTES:
            break;
        }
        if (!state_ok(r))
            return true;
        uint64_t max = f->kind == SF_BOOL ? 1 : f->max;
        if (max && v > max) {
            snprintf(err, errlen, "device '%s': field %s = %llu is out of range (max %llu)", dev,
                     f->name, (unsigned long long)v, (unsigned long long)max);
            return false;
        }
        uint8_t v8 = (uint8_t)v;
        uint16_t v16 = (uint16_t)v;
        uint32_t v32 = (uint32_t)v;
        switch (f->kind) {
        case SF_U8:
            memcpy(p, &v8, 1);
            break;
        case SF_BOOL:
            *(bool *)p = v != 0;
            break;
        case SF_U16:
            memcpy(p, &v16, 2);
            break;
        case SF_U32:
            memcpy(p, &v32, 4);
            break;
        case SF_U64:
            memcpy(p, &v, 8);
            break;
        default:
            break;
        }
    }
    return true;
}

void device_save(const DeviceInstance *d, StateWriter *w)
{
    const DeviceDesc *desc = d->desc;
    state_begin(w, d->name, desc->version);
    state_put_u32(w, device_layout_hash(desc, desc->version));
    for (size_t i = 0; i < desc->n_fields; i++)
        save_field(&desc->fields[i], d->dev, w);
    if (desc->save_extra)
        desc->save_extra(d->dev, w);
    state_end(w);
}

bool device_load(const DeviceInstance *d, StateReader *r, char *err, size_t errlen)
{
    const DeviceDesc *desc = d->desc;
    uint32_t version;
    if (!state_section(r, d->name, &version)) {
        snprintf(err, errlen, "%s", r->error[0] ? r->error : "state stream truncated");
        return false;
    }
    if (version > desc->version || version == 0) {
        snprintf(err, errlen,
                 "device '%s' was saved as version %u; this kairo reads versions 1 to %u",
                 d->name, version, desc->version);
        return false;
    }
    uint32_t hash = state_get_u32(r);
    if (state_ok(r) && hash != device_layout_hash(desc, version)) {
        snprintf(err, errlen, "device '%s' version %u: the saved field layout differs from "
                              "this kairo's (a field changed without a version bump)",
                 d->name, version);
        return false;
    }
    for (size_t i = 0; i < desc->n_fields; i++) {
        const StateField *f = &desc->fields[i];
        if (since_of(f) > version)
            continue;
        if (!load_field(f, d->dev, r, d->name, err, errlen))
            return false;
    }
    if (state_ok(r) && desc->load_extra && !desc->load_extra(d->dev, r, version, err, errlen))
        return false;
    if (!state_ok(r)) {
        snprintf(err, errlen, "device '%s': %s", d->name,
                 r->error[0] ? r->error : "section truncated");
        return false;
    }
    state_section_end(r);
    if (desc->post_load && !desc->post_load(d->dev, err, errlen))
        return false;
    return true;
}

void devlist_save_all(const DeviceList *l, StateWriter *w)
{
    for (int i = 0; i < l->n; i++)
        device_save(&l->items[i], w);
}

bool devlist_load_all(DeviceList *l, StateReader *r, char *err, size_t errlen)
{
    for (int i = 0; i < l->n; i++)
        if (!device_load(&l->items[i], r, err, errlen))
            return false;
    return true;
}
