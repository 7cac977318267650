/* SPDX-License-Identifier: MIT */
/* Device save/restore streams (see devstate.h). Layout of a section:
 * u8 name length, name, u32 version, u32 payload length, payload. */
#include "iodev/devstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void state_writer_init(StateWriter *w)
{
    memset(w, 0, sizeof *w);
}

void state_writer_free(StateWriter *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static void put(StateWriter *w, const void *p, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *nb = realloc(w->buf, cap);
        if (!nb) {
            w->failed = true;
            return;
        }
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void state_put_u8(StateWriter *w, uint8_t v) { put(w, &v, 1); }
void state_put_u16(StateWriter *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    put(w, b, 2);
}
void state_put_u32(StateWriter *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(w, b, 4);
}
void state_put_u64(StateWriter *w, uint64_t v)
{
    state_put_u32(w, (uint32_t)v);
    state_put_u32(w, (uint32_t)(v >> 32));
}
void state_put_bytes(StateWriter *w, const void *p, size_t n) { put(w, p, n); }

void state_begin(StateWriter *w, const char *name, uint32_t version)
{
    size_t n = strlen(name);
    state_put_u8(w, (uint8_t)n);
    put(w, name, n);
    state_put_u32(w, version);
    w->section_start = w->len;
    state_put_u32(w, 0);   /* payload length, patched by state_end */
}

void state_end(StateWriter *w)
{
    if (w->failed)
        return;
    uint32_t n = (uint32_t)(w->len - w->section_start - 4);
    uint8_t *p = w->buf + w->section_start;
    p[0] = (uint8_t)n;
    p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)(n >> 16);
    p[3] = (uint8_t)(n >> 24);
}

void state_reader_init(StateReader *r, const void *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    r->section_end = len;
}

static bool get(StateReader *r, void *p, size_t n)
{
    if (r->failed || n > r->section_end - r->pos) {
        if (!r->failed)
            snprintf(r->error, sizeof r->error, "state stream truncated at byte %zu", r->pos);
        r->failed = true;
        memset(p, 0, n);
        return false;
    }
    memcpy(p, r->buf + r->pos, n);
    r->pos += n;
    return true;
}

uint8_t state_get_u8(StateReader *r)
{
    uint8_t v;
    get(r, &v, 1);
    return v;
}
uint16_t state_get_u16(StateReader *r)
{
    uint8_t b[2];
    get(r, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}
uint32_t state_get_u32(StateReader *r)
{
    uint8_t b[4];
    get(r, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}
uint64_t state_get_u64(StateReader *r)
{
    uint64_t lo = state_get_u32(r);
    return lo | (uint64_t)state_get_u32(r) << 32;
}
void state_get_bytes(StateReader *r, void *p, size_t n) { get(r, p, n); }

bool state_section(StateReader *r, const char *name, uint32_t *version)
{
    r->section_end = r->len;
    uint8_t n = state_get_u8(r);
    char got[256];
    if (!get(r, got, n))
        return false;
    got[n] = 0;
    if (strcmp(got, name)) {
        snprintf(r->error, sizeof r->error, "expected section '%s', found '%.40s'", name, got);
        r->failed = true;
        return false;
    }
    *version = state_get_u32(r);
    uint32_t len = state_get_u32(r);
    if (r->failed || len > r->len - r->pos) {
        snprintf(r->error, sizeof r->error, "section '%s' runs past the end", name);
        r->failed = true;
        return false;
    }
    r->section_end = r->pos + len;
    return true;
}

void state_section_end(StateReader *r)
{
    if (!r->failed)
        r->pos = r->section_end;
    r->section_end = r->len;
}
