/* SPDX-License-Identifier: MIT */
/* The pieces of the execution loop that cpu_run (cpu/exec.c) and the
 * traced loop (cpu/trace_loop.c) share, so that both treat interrupts,
 * halts, single-steps, debuggers and faults the same way. */
#ifndef KAIRO_EXEC_LOOP_H
#define KAIRO_EXEC_LOOP_H

#include "cpu/icache.h"

/* What to do at a block boundary once the attention word is non-zero. */
typedef enum LoopStep {
    LOOP_BLOCK,            /* run the block at CS:EIP */
    LOOP_ONE,              /* run exactly one instruction (exec_one_block + exec_one_end) */
    LOOP_AGAIN,            /* something was done: look again */
    LOOP_AGAIN_UNLINKED,   /* an interrupt was taken: look again, no block link */
    LOOP_STOP,             /* leave cpu_run */
} LoopStep;

LoopStep exec_attention(Cpu *cpu);

/* Both loops' answer to a set attention word: exec_attention's decision
 * carried out, so that a loop has only to run a block (LOOP_BLOCK), look
 * again (LOOP_AGAIN: a single instruction ran through run_one, or an
 * interrupt was taken and *prev no longer links) or leave (LOOP_STOP).
 * Inlined: run_one becomes a direct call and prev stays in a register. */
static inline __attribute__((always_inline)) LoopStep
exec_boundary(Cpu *cpu, BlockLink **prev, void (*run_one)(Cpu *cpu))
{
    LoopStep step = exec_attention(cpu);
    if (step == LOOP_ONE) {
        run_one(cpu);
        return LOOP_AGAIN;
    }
    if (step == LOOP_AGAIN_UNLINKED) {
        *prev = NULL;
        return LOOP_AGAIN;
    }
    return step;
}

/* Entering block b at CS:EIP, in both loops: the whole block is counted
 * now (a fault, an early exit or an invalidation takes back what did not
 * run), and the block is current for uncount_after_fault. */
static inline __attribute__((always_inline)) void exec_enter_block(Cpu *cpu, Block *b)
{
    cpu->cur_block = b;
    cpu->block_eip = cpu->eip;
    cpu->icount += b->n;
}

/* After cpu_fault() unwound to the loop: take back the uncompleted part of
 * the block's count, count the delivery, deliver (may unwind again). */
void exec_fault_unwound(Cpu *cpu);

/* The one-instruction block at CS:EIP (LOOP_ONE); *tf: EFLAGS.TF before it. */
Block *exec_one_block(Cpu *cpu, bool *tf);
/* After that instruction: the single-step or data-breakpoint trap. */
void exec_one_end(Cpu *cpu, bool tf);

/* Would block b run past icount_stop? Then the loop runs single
 * instructions up to it instead: every cpu_run ends exactly at its count,
 * so timers fire and snapshots are taken at the same instruction count
 * whatever the block boundaries were (a run resumed from a snapshot
 * starts its blocks elsewhere than the uninterrupted run). */
static inline bool exec_block_overshoots(const Cpu *cpu, const Block *b)
{
    return cpu->icount + b->n > cpu->icount_stop;
}

/* The traced loop (cpu/trace_loop.c): cpu_run hands over to it when
 * cpu->trace_loop is set. */
uint64_t cpu_run_traced(Cpu *cpu, uint64_t max_insns);

/* The block to run next: the one the exit the previous block left by
 * (from, or NULL) links to when it is for this EIP and epoch, else a lookup
 * (which is then remembered in that exit's slot). */
static inline Block *exec_next_block(Cpu *cpu, BlockLink *from)
{
    uint32_t eip = cpu->eip, epoch = cpu->chain_epoch;
    if (from && from->eip == eip && from->epoch == epoch && from->to)
        return from->to;
    Block *b = icache_find(cpu);
    /* A flush in the lookup (new epoch) may have reused from's memory. */
    if (from && b->valid && cpu->chain_epoch == epoch && !cpu->single_step)
        *from = (BlockLink){ b, eip, epoch };
    return b;
}

#endif
