/* SPDX-License-Identifier: MIT */
/* The traced execution loop: cpu_run's twin for tracing and the flight
 * recorder. It takes the same decisions at block boundaries (exec_loop.h),
 * but runs a block one instruction at a time with a record before each.
 *
 * Handlers chain straight on to the next instruction of their block
 * (insn_next), so each instruction runs from a copy followed by a sentinel
 * that stops the chain. The icount bookkeeping mirrors the normal loop: the
 * whole block is counted at entry, and what does not run is taken off
 * again exactly as insn_leave_block and the stale handler would have. */
#include "cpu/exec_loop.h"
#include "cpu/mem_access.h"
#include "debug/trace_internal.h"

const Insn *trace_step_end(Cpu *cpu, const Insn *in)
{
    (void)cpu;
    return in;   /* non-NULL: "went on straight" */
}

/* Run one instruction alone, from the copy in t->step (followed by the
 * sentinel). Returns false when the block is left (the handler set EIP
 * elsewhere or asked for a lookup). */
static inline bool run_insn(Tracer *t, Cpu *cpu, const Insn *in)
{
    t->step[0] = *in;
    t->step[0].link = INSN_LINK_COPY;   /* outside the block (insn_in_block) */
    if (in->flags & INSN_FUSED)
        t->step[0].fn = insn_unfused(in);   /* each instruction alone */
    const Insn *r = t->step;
    /* A handler may also hand back an instruction to run (its own copy
     * to repeat itself); only NULL and the sentinel end the step. */
    while (r && r != &t->step[1])
        r = r->fn(cpu, r);
    return r != NULL;
}

/* Returns the exit the block left by, for the loop to link. */
static BlockLink *run_block_traced(Tracer *t, Cpu *cpu, Block *b)
{
    BlockLink *from = NULL;
    uint64_t start = cpu->icount;
    exec_enter_block(cpu, b);
    uint64_t mask = trace_block_begin(t, cpu, b, start);
    bool was_valid = b->valid;
    unsigned i;
    for (i = 0; i < b->n; i++) {
        const Insn *in = &b->insns[i];
        if (was_valid && !b->valid) {
            /* The block was invalidated under us (it wrote its own code):
             * the rest has not run; the next lookup decodes it afresh. */
            cpu->icount -= b->n - i;
            break;
        }
        t->icount_now = start + i;
        if (t->flight) {
            /* 16 bytes are readable unless the instruction ends a page
             * (the bytes are the page's, or a 1 KiB copy). */
            bool room = ((t->blk_lin + in->eip_off) & 0xFFFu) <= 0x1000u - 16;
            flightrec_record(t->flight, cpu, start + i, t->blk_bytes + in->eip_off,
                             in->len | (room ? FLIGHTREC_COPY16 : 0), b->code32);
        }
        if ((mask >> i) & 1) {
            /* The common case inline: the instruction after the one just
             * recorded, binary trace only. */
            if (t->fast_next && i && ((mask >> (i - 1)) & 1))
                tw_next(t->bin);
            else
                trace_insn(t, cpu, i);
        }
        if (!run_insn(t, cpu, in)) {
            cpu->icount -= b->n - 1 - i;   /* as insn_leave_block */
            from = &b->link[insn_link_slot(in)];
            break;
        }
    }
    if (i == b->n)
        from = &b->link[insn_link_slot(&b->insns[b->n])];   /* fell off the end */
    cpu->cur_block = NULL;
    return from;
}

static void run_one_traced(Cpu *cpu)
{
    bool tf;
    Block *b = exec_one_block(cpu, &tf);
    run_block_traced(cpu->tracer, cpu, b);
    exec_one_end(cpu, tf);
}

uint64_t cpu_run_traced(Cpu *cpu, uint64_t max_insns)
{
    Tracer *t = cpu->tracer;
    uint64_t start = cpu->icount;
    cpu->icount_stop = start + max_insns;
    cpu->stop_request = false;

    if (setjmp(cpu->fault_jmp)) {
        exec_fault_unwound(cpu);
        if (cpu->triple_fault) {
            trace_triple(t, cpu);
            return cpu->icount - start;
        }
    }

    BlockLink *prev = NULL;
    while (cpu->icount < cpu->icount_stop) {
        t->icount_now = cpu->icount;
        if (unlikely(flightrec_dump_requested)) {
            flightrec_dump_requested = 0;
            flightrec_dump_why(cpu, t->text, "SIGUSR1");
        }
        if (unlikely(cpu->attention)) {
            LoopStep step = exec_boundary(cpu, &prev, run_one_traced);
            if (step == LOOP_STOP)
                break;
            if (step != LOOP_BLOCK)
                continue;
        }
        Block *b = exec_next_block(cpu, prev);
        if (unlikely(exec_block_overshoots(cpu, b))) {
            run_one_traced(cpu);
            prev = NULL;
            continue;
        }
        prev = run_block_traced(t, cpu, b);
    }
    return cpu->icount - start;
}
