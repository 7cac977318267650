/* SPDX-License-Identifier: MIT */
/* Device save/restore streams: versioned, named sections of little-endian
 * fields. Nothing depends on in-memory layout, and a reader never trusts
 * its input: a truncated or corrupt stream is a clean error.
 *
 * Writing: state_begin(w, "pic", 1); state_put_u8(w, x)...; state_end(w).
 * Reading: if (!state_section(r, "pic", &version)) fail; state_get_u8(r)...
 * then state_ok(r) tells whether every read was in bounds. */
#ifndef KAIRO_DEVSTATE_H
#define KAIRO_DEVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct StateWriter {
    uint8_t *buf;
    size_t len, cap;
    size_t section_start;   /* offset of the open section's length field */
    bool failed;            /* out of memory */
} StateWriter;

typedef struct StateReader {
    const uint8_t *buf;
    size_t len, pos;
    size_t section_end;
    bool failed;
    char error[96];
} StateReader;

void state_writer_init(StateWriter *w);
void state_writer_free(StateWriter *w);
void state_begin(StateWriter *w, const char *name, uint32_t version);
void state_end(StateWriter *w);
void state_put_u8(StateWriter *w, uint8_t v);
void state_put_u16(StateWriter *w, uint16_t v);
void state_put_u32(StateWriter *w, uint32_t v);
void state_put_u64(StateWriter *w, uint64_t v);
void state_put_bytes(StateWriter *w, const void *p, size_t n);

void state_reader_init(StateReader *r, const void *buf, size_t len);
/* Open the next section, which must be called name; its version in *version. */
bool state_section(StateReader *r, const char *name, uint32_t *version);
/* Leave the section (skipping fields a newer writer added). */
void state_section_end(StateReader *r);
uint8_t state_get_u8(StateReader *r);
uint16_t state_get_u16(StateReader *r);
uint32_t state_get_u32(StateReader *r);
uint64_t state_get_u64(StateReader *r);
void state_get_bytes(StateReader *r, void *p, size_t n);
static inline bool state_ok(const StateReader *r) { return !r->failed; }

#endif
