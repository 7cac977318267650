/* SPDX-License-Identifier: MIT */
/* The execution loop: look up a block, run its handlers, take interrupts
 * at block boundaries, unwind faults. Tracing and the flight recorder run
 * their own copy of the loop (cpu/trace_loop.c); what both do at a block
 * boundary lives here (exec_loop.h). */
#include <stdio.h>
#include <string.h>

#include "debug/log.h"
#include "cpu/exception.h"
#include "cpu/exec_loop.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/svm.h"
#include "debug/trace.h"

_Noreturn void cpu_fault(Cpu *cpu, int vector, uint32_t errcode)
{
    cpu->fault_vec = vector;
    cpu->fault_err = errcode;
    longjmp(cpu->fault_jmp, 1);
}

void cpu_set_intr(Cpu *cpu, bool level)
{
    cpu->intr = level;
}

void cpu_raise_nmi(Cpu *cpu)
{
    cpu->nmi_pending = true;
}

/* Instructions of the current block that did not complete because one
 * faulted: take them off the count added at block entry. */
static void uncount_after_fault(Cpu *cpu)
{
    Block *b = cpu->cur_block;
    if (!b)
        return;
    uint32_t off = cpu->eip - cpu->block_eip;
    unsigned done = 0;
    while (done < b->n && b->insns[done].eip_off < off)
        done++;
    cpu->icount -= (uint64_t)(b->n - done);
    cpu->cur_block = NULL;
}

/* Interrupts and NMI, checked between blocks. Returns true if one was
 * delivered (or the CPU woke up). */
static bool take_interrupt(Cpu *cpu)
{
    if (cpu->inhibit_irq)
        return false;
    if (unlikely(!cpu->gif || cpu->svm_guest)) {
        int svm = svm_take_interrupt(cpu);
        if (svm >= 0)
            return svm;
    }
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = false;
        cpu->nmi_blocked = true;   /* until the next IRET */
        cpu->halted = false;
        if (unlikely(cpu->tracer))
            trace_external(cpu, true);
        cpu_deliver_interrupt(cpu, EXC_NMI, NO_ERRCODE, false, cpu->eip);
        return true;
    }
    if (cpu->intr && (cpu->eflags & FLAG_IF)) {
        cpu->halted = false;
        int vec = cpu->intr_ack ? cpu->intr_ack(cpu->intr_opaque) : -1;
        if (vec >= 0) {
            if (unlikely(cpu->tracer))
                trace_external(cpu, false);
            cpu_deliver_interrupt(cpu, vec & 0xFF, NO_ERRCODE, false, cpu->eip);
        }
        return true;
    }
    return false;
}

/* One instruction alone (single-step, interrupt shadow, debug
 * breakpoints): its block, and the trap after it. */
Block *exec_one_block(Cpu *cpu, bool *tf)
{
    bool was_single = cpu->single_step;
    *tf = (cpu->eflags & FLAG_TF) != 0;
    cpu->single_step = true;
    Block *b = icache_lookup(cpu);
    cpu->single_step = was_single;
    return b;
}

void exec_one_end(Cpu *cpu, bool tf)
{
    bool trap = cpu->pending_db;   /* data breakpoint: DR6 B0-B3 already set */
    if (tf && !cpu->suppress_tf_trap) {
        cpu->dr[6] |= 0x4000u;   /* BS */
        trap = true;
    }
    cpu->pending_db = false;
    /* An SVM guest's #DB intercept takes the trap: RIP after the instruction. */
    if (trap && !(unlikely(cpu->svm_guest) && svm_intercept_exception(cpu, EXC_DB, NO_ERRCODE)))
        cpu_deliver_interrupt(cpu, EXC_DB, NO_ERRCODE, false, cpu->eip);
    cpu->suppress_tf_trap = false;
}

/* A block's handlers, chained, and the blocks its exits link straight to
 * (block_chain). Inlined in the loop: this is the hot path. Returns the
 * exit the last block left by when it is to be linked, else NULL. */
static inline __attribute__((always_inline)) BlockLink *run_block(Cpu *cpu, Block *b)
{
    exec_enter_block(cpu, b);
    cpu->chain_sp_floor = host_sp() - BLOCK_CHAIN_STACK;
    cpu->link_from = NULL;
    const Insn *in = b->insns;
    while ((in = in->fn(cpu, in)) != NULL)
        ;
    cpu->cur_block = NULL;
    return cpu->link_from;
}

static void run_one(Cpu *cpu)
{
    bool tf;
    Block *b = exec_one_block(cpu, &tf);
    run_block(cpu, b);
    exec_one_end(cpu, tf);
}

/* With only a debugger's breakpoints to honour (no guest DR7 breakpoint,
 * RF or TF, no debugger step or watchpoint), the block at CS:EIP may run
 * whole when no breakpoint lies inside it: a block is straight-line code
 * left only at its end or by a taken branch, so it cannot skip one. */
static bool debugger_allows_block(Cpu *cpu)
{
    if (!cpu->debugger_active || cpu->single_step || (cpu->dr[7] & 0xFFu) ||
        (cpu->eflags & FLAG_RF))
        return false;
    /* A lookup of its own (the jump cache answers it), so that next_block
     * stays inlined in the loop. */
    Block *b = icache_find(cpu);
    return cpu->debugger->block_clear(cpu->debugger->opaque,
                                      cpu->seg[SEG_CS].base + cpu->eip, b->bytes);
}

LoopStep exec_attention(Cpu *cpu)
{
    if (cpu->stop_request)
        return LOOP_STOP;
    /* A debugger's breakpoints and steps: every boundary, the one after STI
     * included; a halted CPU has no instruction to stop at. */
    if (cpu->debugger_active && !cpu->halted &&
        cpu->debugger->stop_before(cpu->debugger->opaque, cpu))
        return LOOP_STOP;
    if (cpu->inhibit_irq) {
        /* STI / MOV SS shadow: the next instruction runs first. */
        cpu->inhibit_irq = false;
        return LOOP_ONE;
    }
    /* INTR with IF clear leaves the links alone: a guest running with
     * interrupts off and one pending keeps its speed. */
    if (take_interrupt(cpu))
        return LOOP_AGAIN_UNLINKED;
    if (cpu->halted) {
        /* Nothing to do until an event: skip to the stop point. */
        cpu->idle_insns += cpu->icount_stop - cpu->icount;
        cpu->icount = cpu->icount_stop;
        return LOOP_STOP;
    }
    if (cpu->single_step || cpu->debug_check) {
        if (cpu->debug_check && cpu_check_code_breakpoint(cpu))
            return LOOP_AGAIN;
        if (!debugger_allows_block(cpu))
            return LOOP_ONE;
    }
    return LOOP_BLOCK;
}

void exec_fault_unwound(Cpu *cpu)
{
    uncount_after_fault(cpu);
    /* The delivery itself counts as one instruction: guest time must
     * advance even when every instruction faults (a guest spinning through
     * #UD handlers still reaches --max-insns and its timers). */
    cpu->icount++;
    cpu_handle_fault(cpu);   /* may longjmp back to the loop for nested faults */
}

static void run_blocks(Cpu *cpu);

uint64_t cpu_run(Cpu *cpu, uint64_t max_insns)
{
    /* Tracing and the flight recorder record before every instruction: a
     * loop of their own, chosen here once per call, keeps this one as fast
     * as if they did not exist. */
    if (unlikely(cpu->trace_loop))
        return cpu_run_traced(cpu, max_insns);
    uint64_t start = cpu->icount;
    cpu->icount_stop = start + max_insns;
    cpu->stop_request = false;

    if (setjmp(cpu->fault_jmp)) {
        exec_fault_unwound(cpu);
        if (cpu->triple_fault)
            return cpu->icount - start;
    }
    run_blocks(cpu);
    return cpu->icount - start;
}

/* The loop proper, out of cpu_run's frame: a function that calls setjmp
 * keeps its locals in memory, so here cpu and prev stay in registers. A
 * fault unwinds to cpu_run, which calls this again with no link. */
static __attribute__((noinline)) void run_blocks(Cpu *cpu)
{
    BlockLink *prev = NULL;   /* the exit just taken, for linking (none after a fault) */
    while (cpu->icount < cpu->icount_stop) {
        if (unlikely(cpu->attention)) {
            LoopStep step = exec_boundary(cpu, &prev, run_one);
            if (step == LOOP_STOP)
                break;
            if (step != LOOP_BLOCK)
                continue;
        }
        Block *b = exec_next_block(cpu, prev);
        if (unlikely(exec_block_overshoots(cpu, b))) {
            run_one(cpu);
            prev = NULL;
            continue;
        }
        prev = run_block(cpu, b);
    }
}

/* Through the one -d logger (debug/log.h), with where the CPU is. */
static void cpu_log_item(Cpu *cpu, unsigned item, const char *what, uint32_t detail)
{
    char where[24];
    snprintf(where, sizeof where, "%04X:%08X", cpu->seg[SEG_CS].sel, cpu->eip);
    log_event(item, NULL, what, detail, where);
}

void cpu_log_once(Cpu *cpu, const char *what, uint32_t detail)
{
    cpu_log_item(cpu, LOG_UNIMP, what, detail);
}

void cpu_log_guest_error(Cpu *cpu, const char *what, uint32_t detail)
{
    cpu_log_item(cpu, LOG_GUEST_ERROR, what, detail);
}
