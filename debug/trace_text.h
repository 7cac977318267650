/* SPDX-License-Identifier: MIT */
/* The text form of trace records, shared by -d (kairo) and kairo-trace so
 * that both print exactly the same lines. */
#ifndef KAIRO_TRACE_TEXT_H
#define KAIRO_TRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/trace_format.h"

/* Where an instruction or event happened. */
typedef struct TraceWhere {
    uint64_t icount;   /* instructions retired before it */
    uint16_t cs;
    uint32_t eip;
    uint8_t cpu_tag;   /* 0: a uniprocessor (no tag); n: CPU n - 1 ("cpuN " first) */
} TraceWhere;

/* The general registers, EFLAGS and the data segment selectors, in the
 * TRACE_REG_* order. */
typedef struct TraceRegs {
    uint32_t v[TRACE_REG_COUNT];
} TraceRegs;

/* One event (REC_INT, REC_IO, REC_MMU, REC_TRIPLE). */
typedef struct TraceEvent {
    uint8_t type;      /* REC_INT ... */
    uint8_t kind;      /* TRACE_INT_* / TRACE_MMU_*; IO: flags */
    uint8_t vector;    /* INT */
    uint8_t cpl;       /* INT */
    uint8_t access;    /* MMU: TRACE_ACC_* */
    uint16_t port;     /* IO */
    uint32_t err;      /* INT error code (0xFFFFFFFF: none) */
    uint32_t value;    /* IO value, MMU linear address */
    uint64_t value64;  /* MMU: physical address (walk) or error code (#PF) */
    TraceWhere at;
} TraceEvent;

/* "     1234 0008:00001000  66 b8 34 12              mov ax, 0x1234" */
size_t trace_fmt_insn(char *out, size_t n, const TraceWhere *at, const uint8_t *bytes,
                      unsigned len, bool code32);
/* Two indented lines, no trailing newline. */
size_t trace_fmt_regs(char *out, size_t n, const TraceRegs *r);
size_t trace_fmt_event(char *out, size_t n, const TraceEvent *ev);

#endif
