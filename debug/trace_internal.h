/* SPDX-License-Identifier: MIT */
/* The tracer's state, shared by debug/trace.c, debug/flightrec.c and the
 * traced loop (cpu/trace_loop.c). */
#ifndef KAIRO_TRACE_INTERNAL_H
#define KAIRO_TRACE_INTERNAL_H

#include "cpu/icache.h"
#include "debug/flightrec.h"
#include "debug/trace.h"
#include "debug/trace_filter.h"
#include "debug/trace_writer.h"

typedef struct Tracer {
    Cpu *cpu;              /* the CPU running now (trace_cpu_switch) */
    /* -smp: every CPU shares the one tracer; records are tagged with the
     * running CPU's index once there is more than one. */
    Cpu *cpus[TRACE_MAX_CPUS];
    int n_cpus;
    uint8_t cpu_tag;       /* 0 (untagged) or index + 1 */
    unsigned text_items;   /* TRACE_* printed as text */
    unsigned bin_items;    /* TRACE_* in the binary trace (0 without --trace) */
    FILE *text;            /* -D file or stderr */
    TraceWriter *bin;
    FlightRec *flight;
    TraceFilter filter;
    bool loop;             /* per-instruction records: run the traced loop */
    uint64_t icount_now;   /* traced loop: the instruction running now */
    int pending_ext;       /* TRACE_INT_IRQ / _NMI announced by the loop, or -1 */

    /* The block being run by the traced loop. */
    const Block *blk;
    const uint8_t *blk_bytes;      /* its bytes (host memory or blk_copy), NULL: not yet */
    uint32_t blk_lin;
    bool blk_sent;                 /* MODE and CODE sent for it */
    unsigned blk_slot;
    int last_idx;                  /* last instruction recorded in it, -1 none */
    /* Only binary instruction records: the loop writes NEXT itself. */
    bool fast_next;
    uint8_t blk_copy[TRACE_CODE_MAX_BYTES];
    /* Blocks whose CODE the reader has, by Block pointer: valid while the
     * chain epoch (bumped by block-cache flushes, which reuse Block memory)
     * and the writer's slot are unchanged. Saves comparing bytes. */
    struct SentBlock {
        const Block *b;
        uint32_t lin, epoch, gen;
        uint16_t slot;
    } sent[1024];
    Insn step[2];                  /* the traced loop's one-instruction chain */
} Tracer;

/* Start block b (entered with icount instructions retired): returns the
 * mask of its instructions that the filters let through to the text and
 * binary traces (bit i = instruction i). */
uint64_t trace_block_begin(Tracer *t, Cpu *cpu, const Block *b, uint64_t icount);
/* Record instruction i of the current block (CS:EIP is at it). */
void trace_insn(Tracer *t, Cpu *cpu, unsigned i);
/* The current block's bytes. */
const uint8_t *trace_block_bytes(Tracer *t, Cpu *cpu);
/* A triple fault ended delivery. */
void trace_triple(Tracer *t, Cpu *cpu);

/* The sentinel of Tracer.step: ends a handler chain after one instruction. */
const Insn *trace_step_end(Cpu *cpu, const Insn *in);

/* The machine state for a register record. */
void trace_read_regs(const Cpu *cpu, TraceRegs *r);

#endif
