/* SPDX-License-Identifier: MIT */
/* Trace filters (--trace-filter), applied to -d text and --trace records:
 *
 *   range=LO-HI | range=LO+LEN   linear EIP in [LO, HI] (repeatable: any of them)
 *   cpl=N | cpl=N-M              current privilege level (repeatable)
 *   after=N                      from instruction count N on
 *   branches, ints, io, mmu      record only these classes: control-transfer
 *                                instructions, interrupts/exceptions, port I/O,
 *                                MMU events (any combination; none = all)
 *
 * Terms are separated by commas; numbers are decimal or 0x-hex. */
#ifndef KAIRO_TRACE_FILTER_H
#define KAIRO_TRACE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_FILTER_MAX_RANGES 16

/* Record classes */
#define TRACE_CLASS_BRANCHES 0x1u
#define TRACE_CLASS_INTS 0x2u
#define TRACE_CLASS_IO 0x4u
#define TRACE_CLASS_MMU 0x8u

typedef struct TraceFilter {
    uint32_t lo[TRACE_FILTER_MAX_RANGES], hi[TRACE_FILTER_MAX_RANGES];
    int n_ranges;          /* 0: every address */
    uint8_t cpl_mask;      /* bit n: CPL n passes */
    uint64_t after;
    unsigned classes;      /* TRACE_CLASS_*; 0: every class */
} TraceFilter;

/* The filter that passes everything. */
void trace_filter_init(TraceFilter *f);
/* Parse spec into f (initialised first); false with a message in err. */
bool trace_filter_parse(TraceFilter *f, const char *spec, char *err, size_t errlen);

/* Does a record at linear address lin, privilege cpl, instruction count
 * icount pass the range, CPL and after terms? */
static inline bool trace_filter_where(const TraceFilter *f, uint32_t lin, unsigned cpl,
                                      uint64_t icount)
{
    if (icount < f->after || !((f->cpl_mask >> cpl) & 1))
        return false;
    if (!f->n_ranges)
        return true;
    for (int i = 0; i < f->n_ranges; i++)
        if (lin >= f->lo[i] && lin <= f->hi[i])
            return true;
    return false;
}

/* Does the class filter let this class through? */
static inline bool trace_filter_class(const TraceFilter *f, unsigned cls)
{
    return !f->classes || (f->classes & cls);
}

/* Is the decoded opcode (0x000-0x1FF, as in Insn.opcode; reg = ModRM.reg)
 * a control transfer: jumps, calls, returns, INT n, IRET, SYSENTER...? */
bool trace_is_branch(unsigned opcode, unsigned reg);

#endif
