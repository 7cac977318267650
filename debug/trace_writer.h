/* SPDX-License-Identifier: MIT */
/* The --trace writer: records (debug/trace_format.h) into a large buffer,
 * deflated in big chunks at Z_BEST_SPEED. The one-byte NEXT record, the
 * common case, is inline. */
#ifndef KAIRO_TRACE_WRITER_H
#define KAIRO_TRACE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/trace_text.h"

typedef struct TraceWriter TraceWriter;

TraceWriter *trace_writer_open(const char *path, unsigned items, char *err, size_t errlen);
/* END record, end of the zlib stream, close. False (message printed) on an
 * I/O error anywhere in the run. */
bool trace_writer_close(TraceWriter *w);

/* The slot holding this block of code, defining it if the reader has not
 * got it. lens[n] are the instruction lengths, bytes their bytes. */
unsigned tw_code(TraceWriter *w, uint32_t lin, bool code32, unsigned n, const uint8_t *lens,
                 const uint8_t *bytes, unsigned nbytes);
/* Registers before the last instruction, as changes from the previous ones. */
void tw_regs(TraceWriter *w, const TraceRegs *r);
void tw_event(TraceWriter *w, const TraceEvent *ev);
/* The records that follow are CPU cpu's (REC_CPU; -smp > 1 only). */
void tw_cpu(TraceWriter *w, unsigned cpu);

/* --- the inline part: the per-instruction and per-block records --- */
struct TraceWriterHot {
    uint8_t *buf;
    size_t pos, limit;   /* limit leaves room for the largest record */
    uint64_t n_insns;
    uint64_t last_icount;
    /* The mode last sent */
    bool mode_valid;
    uint8_t mode;
    uint16_t cs;
    uint32_t cs_base;
    uint32_t *slot_gen;  /* [TRACE_CODE_SLOTS]: bumped when a slot is redefined */
};
void tw_drain(TraceWriter *w);
void tw_mode_send(TraceWriter *w, uint16_t cs, uint32_t cs_base, uint8_t mode);

static inline struct TraceWriterHot *tw_hot(TraceWriter *w)
{
    return (struct TraceWriterHot *)w;   /* the first member of TraceWriter */
}

static inline void tw_room(TraceWriter *w)
{
    struct TraceWriterHot *h = tw_hot(w);
    if (__builtin_expect(h->pos >= h->limit, 0))
        tw_drain(w);
}

/* The instruction after the last one recorded, in the same block. */
static inline void tw_next(TraceWriter *w)
{
    struct TraceWriterHot *h = tw_hot(w);
    h->buf[h->pos++] = REC_NEXT;
    h->n_insns++;
    h->last_icount++;
    tw_room(w);
}

/* CS, its base and the mode bits (TRACE_MODE_*), sent when they change. */
static inline void tw_mode(TraceWriter *w, uint16_t cs, uint32_t cs_base, uint8_t mode)
{
    struct TraceWriterHot *h = tw_hot(w);
    if (!h->mode_valid || cs != h->cs || cs_base != h->cs_base || mode != h->mode)
        tw_mode_send(w, cs, cs_base, mode);
}

/* Instruction idx of the block in slot, icount instructions retired before it. */
static inline void tw_enter(TraceWriter *w, unsigned slot, unsigned idx, uint64_t icount)
{
    struct TraceWriterHot *h = tw_hot(w);
    uint8_t *p = h->buf + h->pos;
    size_t n;
    if (idx == 0 && icount == h->last_icount + 1) {
        p[0] = REC_BLOCK;   /* a block entered straight after the last instruction */
        n = 1 + trace_put_varint(p + 1, slot);
    } else {
        p[0] = REC_ENTER;
        n = 1 + trace_put_varint(p + 1, slot);
        p[n++] = (uint8_t)idx;
        n += trace_put_varint(p + n, trace_zigzag((int64_t)(icount - (h->last_icount + 1))));
    }
    h->pos += n;
    h->last_icount = icount;
    h->n_insns++;
    tw_room(w);
}

/* Is slot still defined as it was when its generation was gen? */
static inline bool tw_slot_unchanged(TraceWriter *w, unsigned slot, uint32_t gen)
{
    return tw_hot(w)->slot_gen[slot] == gen;
}
static inline uint32_t tw_slot_gen(TraceWriter *w, unsigned slot)
{
    return tw_hot(w)->slot_gen[slot];
}

#endif
