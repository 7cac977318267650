/* SPDX-License-Identifier: MIT */
/* Helpers for the device-state tests (test_devstate_*.c): save one
 * component's section, load it into another instance, find a field's bytes
 * in a saved section to plant hostile values, and load every truncation. */
#ifndef KAIRO_DEVSTATE_HARNESS_H
#define KAIRO_DEVSTATE_HARNESS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "iodev/device.h"

static inline StateWriter dh_save(const DeviceDesc *desc, void *dev, const char *name)
{
    DeviceInstance d = { desc, dev, "" };
    snprintf(d.name, sizeof d.name, "%s", name);
    StateWriter w;
    state_writer_init(&w);
    device_save(&d, &w);
    cr_assert_not(w.failed);
    return w;
}

static inline bool dh_load(const DeviceDesc *desc, void *dev, const char *name, const uint8_t *buf,
                           size_t len, char *err, size_t errlen)
{
    DeviceInstance d = { desc, dev, "" };
    snprintf(d.name, sizeof d.name, "%s", name);
    StateReader r;
    state_reader_init(&r, buf, len);
    err[0] = 0;
    return device_load(&d, &r, err, errlen);
}

static inline size_t dh_field_size(const StateField *f)
{
    size_t n = f->count ? f->count : 1;
    switch (f->kind) {
    case SF_U8:
    case SF_BOOL:
    case SF_BYTES:
        return n;
    case SF_U16:
        return 2 * n;
    case SF_U32:
        return 4 * n;
    case SF_U64:
        return 8 * n;
    case SF_TIMER:
        return 9 * n;
    }
    return n;
}

/* Byte offset of field `field` (element `index`) in a saved section of
 * instance `name`: header (name, version, length, layout hash) first. */
static inline size_t dh_field_at(const DeviceDesc *desc, const char *name, const char *field,
                                 size_t index)
{
    size_t at = 1 + strlen(name) + 4 + 4 + 4;
    for (size_t i = 0; i < desc->n_fields; i++) {
        const StateField *f = &desc->fields[i];
        if (!strcmp(f->name, field))
            return at + index * (dh_field_size(f) / (f->count ? f->count : 1));
        at += dh_field_size(f);
    }
    cr_assert_fail("no field %s in %s", field, desc->kind);
    return 0;
}

/* Overwrite `width` bytes at a field with a little-endian value. */
static inline void dh_patch(StateWriter *w, const DeviceDesc *desc, const char *name,
                            const char *field, size_t index, uint64_t value, unsigned width)
{
    size_t at = dh_field_at(desc, name, field, index);
    cr_assert_leq(at + width, w->len);
    for (unsigned i = 0; i < width; i++)
        w->buf[at + i] = (uint8_t)(value >> (8 * i));
}

/* Proper prefixes of the section must fail to load with a message: every
 * cut up to `dense`, then every `stride`-th and the last few (a large
 * buffer's bytes all fail the same way). fresh() returns a newly
 * initialised target instance each time. */
static inline void dh_check_truncations_sampled(const DeviceDesc *desc, const char *name,
                                                const StateWriter *w, void *(*fresh)(void),
                                                size_t dense, size_t stride)
{
    char err[200];
    for (size_t cut = 0; cut < w->len; cut += cut < dense || cut + 8 >= w->len ? 1 : stride) {
        void *dev = fresh();
        cr_assert_not(dh_load(desc, dev, name, w->buf, cut, err, sizeof err),
                      "%s: cut at %zu of %zu loaded", name, cut, w->len);
        cr_assert(err[0], "%s: cut at %zu: no message", name, cut);
    }
}

/* Every proper prefix. */
static inline void dh_check_truncations(const DeviceDesc *desc, const char *name,
                                        const StateWriter *w, void *(*fresh)(void))
{
    dh_check_truncations_sampled(desc, name, w, fresh, w->len, 1);
}

/* A hostile value planted in a field must be refused with a message that
 * names something. */
static inline void dh_expect_refused(const DeviceDesc *desc, const char *name, const StateWriter *w,
                                     const char *field, size_t index, uint64_t value,
                                     unsigned width, void *dev)
{
    StateWriter bad = *w;
    bad.buf = malloc(w->len);
    memcpy(bad.buf, w->buf, w->len);
    dh_patch(&bad, desc, name, field, index, value, width);
    char err[200];
    cr_expect_not(dh_load(desc, dev, name, bad.buf, bad.len, err, sizeof err),
                  "%s: %s = %llu was accepted", name, field, (unsigned long long)value);
    cr_expect(err[0], "%s: %s: no message", name, field);
    free(bad.buf);
}

#endif
