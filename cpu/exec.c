/* The execution loop: look up a block, run its handlers, take interrupts
 * at block boundaries, unwind faults. */
#include <stdio.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"

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

static FILE *log_out(Cpu *cpu)
{
    return cpu->log_file ? (FILE *)cpu->log_file : stderr;
}

static void log_event(Cpu *cpu, const char *kind, int vec, uint32_t err)
{
    fprintf(log_out(cpu), "%s: vector 0x%02X err 0x%X at %04X:%08X icount %llu CPL %u%s\n",
            kind, vec, err, cpu->seg[SEG_CS].sel, cpu->eip, (unsigned long long)cpu->icount,
            cpu->cpl, cpu_v86(cpu) ? " V86" : cpu_pe(cpu) ? "" : " real");
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
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = false;
        cpu->nmi_blocked = true;   /* until the next IRET */
        cpu->halted = false;
        cpu_deliver_interrupt(cpu, EXC_NMI, NO_ERRCODE, false, cpu->eip);
        return true;
    }
    if (cpu->intr && (cpu->eflags & FLAG_IF)) {
        cpu->halted = false;
        int vec = cpu->intr_ack ? cpu->intr_ack(cpu->intr_opaque) : -1;
        if (vec >= 0) {
            if (cpu->log_mask & CPU_LOG_INT)
                log_event(cpu, "irq", vec & 0xFF, NO_ERRCODE);
            cpu_deliver_interrupt(cpu, vec & 0xFF, NO_ERRCODE, false, cpu->eip);
        }
        return true;
    }
    return false;
}

/* Run exactly one instruction (single-step, interrupt shadow, debug
 * breakpoints), then deliver a pending single-step trap. */
static void run_one(Cpu *cpu)
{
    bool was_single = cpu->single_step;
    bool tf = (cpu->eflags & FLAG_TF) != 0;
    cpu->single_step = true;
    Block *b = icache_lookup(cpu);
    cpu->single_step = was_single;
    cpu->cur_block = b;
    cpu->block_eip = cpu->eip;
    cpu->icount += b->n;
    const Insn *in = b->insns;
    while ((in = in->fn(cpu, in)) != NULL)
        ;
    cpu->cur_block = NULL;
    bool trap = cpu->pending_db;   /* data breakpoint: DR6 B0-B3 already set */
    if (tf && !cpu->suppress_tf_trap) {
        cpu->dr[6] |= 0x4000u;   /* BS */
        trap = true;
    }
    cpu->pending_db = false;
    if (trap)
        cpu_deliver_interrupt(cpu, EXC_DB, NO_ERRCODE, false, cpu->eip);
    cpu->suppress_tf_trap = false;
}

/* The block to run next: the one the previous block linked to when it
 * ended at the same EIP in the same epoch, else a lookup (which is then
 * remembered in one of the previous block's two link slots). */
static inline Block *next_block(Cpu *cpu, Block *prev)
{
    uint32_t eip = cpu->eip, epoch = cpu->chain_epoch;
    if (prev) {
        for (int i = 0; i < 2; i++) {
            Block *n = prev->link[i];
            if (n && prev->link_eip[i] == eip && prev->link_epoch[i] == epoch && n->valid)
                return n;
        }
    }
    Block *b = icache_find(cpu);
    if (prev && prev->valid && b->valid && cpu->chain_epoch == epoch && !cpu->single_step) {
        /* Replace the older slot: a Jcc's two successors both stay. */
        int slot = prev->link[0] && prev->link[1] ? (prev->link_epoch[0] > prev->link_epoch[1])
                   : prev->link[0] != NULL;
        prev->link[slot] = b;
        prev->link_eip[slot] = eip;
        prev->link_epoch[slot] = epoch;
    }
    return b;
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

uint64_t cpu_run(Cpu *cpu, uint64_t max_insns)
{
    uint64_t start = cpu->icount;
    cpu->icount_stop = start + max_insns;
    cpu->stop_request = false;

    if (setjmp(cpu->fault_jmp)) {
        uncount_after_fault(cpu);
        /* The delivery itself counts as one instruction: guest time must
         * advance even when every instruction faults (a guest spinning
         * through #UD handlers still reaches --max-insns and its timers). */
        cpu->icount++;
        if (cpu->log_mask & CPU_LOG_INT)
            log_event(cpu, "exception", cpu->fault_vec, cpu->fault_err);
        cpu_handle_fault(cpu);   /* may longjmp back here for nested faults */
        if (cpu->triple_fault)
            return cpu->icount - start;
    }

    Block *prev = NULL;   /* the block just run, for linking (none after a fault) */
    while (cpu->icount < cpu->icount_stop) {
        if (unlikely(cpu->attention)) {
            if (cpu->stop_request)
                break;
            /* A debugger's breakpoints and steps: every boundary, the one
             * after STI included; a halted CPU has no instruction to stop at. */
            if (cpu->debugger_active && !cpu->halted &&
                cpu->debugger->stop_before(cpu->debugger->opaque, cpu))
                break;
            if (cpu->inhibit_irq) {
                /* STI / MOV SS shadow: the next instruction runs first. */
                cpu->inhibit_irq = false;
                run_one(cpu);
                continue;
            }
            /* INTR with IF clear leaves the links alone: a guest running
             * with interrupts off and one pending keeps its speed. */
            if (take_interrupt(cpu)) {
                prev = NULL;
                continue;
            }
            if (cpu->halted) {
                /* Nothing to do until an event: skip to the stop point. */
                cpu->idle_insns += cpu->icount_stop - cpu->icount;
                cpu->icount = cpu->icount_stop;
                break;
            }
            if (cpu->single_step || cpu->debug_check) {
                if (cpu->debug_check && cpu_check_code_breakpoint(cpu))
                    continue;
                if (!debugger_allows_block(cpu)) {
                    run_one(cpu);
                    continue;
                }
            }
            if (cpu->trace_blocks)
                fprintf(log_out(cpu), "exec %04X:%08X icount %llu\n", cpu->seg[SEG_CS].sel,
                        cpu->eip, (unsigned long long)cpu->icount);
        }
        Block *b = next_block(cpu, prev);
        cpu->cur_block = b;
        cpu->block_eip = cpu->eip;
        cpu->icount += b->n;
        const Insn *in = b->insns;
        while ((in = in->fn(cpu, in)) != NULL)
            ;
        cpu->cur_block = NULL;
        prev = b;
    }
    return cpu->icount - start;
}

void cpu_log_once(Cpu *cpu, const char *what, uint32_t detail)
{
    /* A small set of (what, detail) pairs already reported. */
    static struct { const char *what; uint32_t detail; } seen[256];
    static unsigned n_seen;
    for (unsigned i = 0; i < n_seen; i++)
        if (seen[i].what == what && seen[i].detail == detail)
            return;
    if (n_seen < 256) {
        seen[n_seen].what = what;
        seen[n_seen].detail = detail;
        n_seen++;
    }
    fprintf(log_out(cpu), "kairo: %s 0x%X at %04X:%08X (logged once)\n", what, detail,
            cpu->seg[SEG_CS].sel, cpu->eip);
}
