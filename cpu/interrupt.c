/* SPDX-License-Identifier: MIT */
/* Interrupt and exception delivery: real-mode IVT, protected-mode IDT
 * gates (interrupt, trap, task), V86 mode with and without VME, the
 * double-fault rules, and the instruction-breakpoint check.
 *
 * Delivery checks everything that can fault first and writes the new stack
 * through a StackCursor, committing registers last: a fault part-way
 * unwinds to cpu_handle_fault() with the old state intact, which applies
 * the SDM's "Conditions for Generating a Double Fault". */
#include <stdio.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "debug/trace.h"

/* One event being delivered. */
typedef struct Event {
    int vector;
    uint32_t err;        /* error code to push, NO_ERRCODE for none */
    bool soft;           /* INT n, INT3, INTO: gate DPL checked against CPL */
    uint32_t ext;        /* 1: external to the program (EXT bit of fault error codes) */
    uint32_t next_eip;   /* EIP to push */
} Event;

/* Exception classes of the double-fault table (SDM Vol. 3, 6.15, #DF). */
enum { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

static int exc_class(int vector)
{
    switch (vector) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
        return CLASS_CONTRIBUTORY;
    case EXC_PF:
        return CLASS_PAGE_FAULT;
    case EXC_DF:
        return CLASS_DOUBLE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

static bool exc_has_errcode(int vector)
{
    return vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC;
}

/* Exceptions restart or abort the instruction that raised them: the EFLAGS
 * image they push has RF set so that an instruction breakpoint does not
 * fire again on the restart. As in Bochs, that is every exception except
 * #DB itself, the traps #BP and #OF, and #MC. */
static bool exc_sets_rf(int vector)
{
    return vector != EXC_DB && vector != EXC_BP && vector != EXC_OF && vector != EXC_MC;
}

/* Deeper nesting than this can only be a loop: treat it as shutdown. */
#define MAX_NESTED_EVENTS 8

/* EFLAGS bits every protected-mode delivery clears (IF too for
 * interrupt gates). */
#define PM_CLEARED_FLAGS (FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM)

/* ======== real mode ======== */

static void deliver_real(Cpu *cpu, const Event *ev)
{
    uint32_t at = (uint32_t)ev->vector * 4;
    if (at + 3 > cpu->idtr.limit)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t entry = cpu_lin_read(cpu, cpu->idtr.base + at, 4, true);
    StackCursor st;
    stk_current(cpu, &st);
    stk_push(cpu, &st, flags_read(cpu), 2);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, 2);
    stk_push(cpu, &st, ev->next_eip, 2);
    if ((entry & 0xFFFFu) > cpu->seg[SEG_CS].limit)
        cpu_fault(cpu, EXC_GP, 0);
    stk_commit(cpu, &st);
    flags_write(cpu, 0, FLAG_IF | FLAG_TF | FLAG_AC | FLAG_RF);
    seg_load_real(cpu, SEG_CS, (uint16_t)(entry >> 16));
    cpu->eip = entry & 0xFFFFu;
}

/* ======== protected mode ======== */

/* Through a task gate: the gate names an available TSS in the GDT. */
static void deliver_task_gate(Cpu *cpu, const Event *ev, uint32_t gate_lo)
{
    uint16_t tss = (uint16_t)(gate_lo >> 16);
    uint32_t err = (tss & 0xFFFCu) | ev->ext, lo, hi;
    if ((tss & 4) || !desc_fetch(cpu, tss, &lo, &hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(hi);
    int type = desc_sys_type(f);
    if (type != DT_TSS16 && type != DT_TSS32)
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    cpu_task_switch(cpu, tss, lo, hi, TASK_INT, ev->err != NO_ERRCODE, ev->err, ev->next_eip);
}

/* Push the interrupted context onto st: for an entry from V86 mode the data
 * segment registers, for a privilege change the old SS:ESP, then EFLAGS,
 * CS, EIP and the error code. Slots are the gate's size. */
static void push_frame(Cpu *cpu, StackCursor *st, const Event *ev, unsigned sz,
                       bool from_v86, bool outer)
{
    if (from_v86) {
        stk_push(cpu, st, cpu->seg[SEG_GS].sel, sz);
        stk_push(cpu, st, cpu->seg[SEG_FS].sel, sz);
        stk_push(cpu, st, cpu->seg[SEG_DS].sel, sz);
        stk_push(cpu, st, cpu->seg[SEG_ES].sel, sz);
    }
    if (outer) {
        stk_push(cpu, st, cpu->seg[SEG_SS].sel, sz);
        stk_push(cpu, st, cpu->gpr[R_ESP], sz);
    }
    stk_push(cpu, st, flags_read(cpu), sz);
    stk_push(cpu, st, cpu->seg[SEG_CS].sel, sz);
    stk_push(cpu, st, ev->next_eip, sz);
    if (ev->err != NO_ERRCODE)
        stk_push(cpu, st, ev->err, sz);
}

/* Through an interrupt or trap gate to the code segment csel. */
static void deliver_gate(Cpu *cpu, const Event *ev, uint32_t glo, uint32_t ghi)
{
    int type = desc_sys_type(desc_flags(ghi));
    bool gate32 = type >= DT_INTGATE32;
    bool int_gate = (type & 1) == 0;
    uint16_t csel = (uint16_t)(glo >> 16);
    uint32_t off = gate32 ? (glo & 0xFFFFu) | (ghi & 0xFFFF0000u) : glo & 0xFFFFu;
    uint32_t cerr = (csel & 0xFFFCu) | ev->ext, clo, chi;

    if ((csel & 0xFFFCu) == 0)
        cpu_fault(cpu, EXC_GP, ev->ext);
    if (!desc_fetch(cpu, csel, &clo, &chi))
        cpu_fault(cpu, EXC_GP, cerr);
    uint16_t cf = desc_flags(chi);
    unsigned dpl = desc_dpl(cf);
    if (!desc_is_code(cf) || dpl > cpu->cpl)
        cpu_fault(cpu, EXC_GP, cerr);
    if (!(cf & DESC_P))
        cpu_fault(cpu, EXC_NP, cerr);

    bool from_v86 = cpu_v86(cpu);
    bool outer = !desc_is_conforming(cf) && dpl < cpu->cpl;
    /* From V86 mode the handler must be non-conforming code at DPL 0. */
    if (from_v86 && (!outer || dpl != 0))
        cpu_fault(cpu, EXC_GP, cerr);
    unsigned new_cpl = outer ? dpl : cpu->cpl;
    unsigned sz = gate32 ? 4 : 2;

    StackCursor st;
    uint16_t nss = 0;
    uint32_t slo = 0, shi = 0;
    if (outer) {
        uint32_t nesp;
        tss_inner_stack(cpu, dpl, &nss, &nesp, ev->ext);
        seg_check_inner_ss(cpu, nss, dpl, ev->ext, &slo, &shi);
        stk_new(&st, nss, slo, shi, nesp, (nss & 0xFFFCu) | ev->ext);
    } else {
        stk_current(cpu, &st);
        st.err = ev->ext;
    }
    push_frame(cpu, &st, ev, sz, from_v86, outer);
    if (off > desc_limit(clo, chi))
        cpu_fault(cpu, EXC_GP, ev->ext);
    if (outer)
        shi = desc_touch(cpu, nss, shi);
    chi = desc_touch(cpu, csel, chi);

    /* Commit. */
    flags_write(cpu, 0, PM_CLEARED_FLAGS | (int_gate ? FLAG_IF : 0));
    if (from_v86) {
        seg_load_null(cpu, SEG_ES, 0);
        seg_load_null(cpu, SEG_DS, 0);
        seg_load_null(cpu, SEG_FS, 0);
        seg_load_null(cpu, SEG_GS, 0);
    }
    if (outer)
        seg_load_ss_desc(cpu, nss, slo, shi);
    stk_commit(cpu, &st);
    seg_load_cs_desc(cpu, csel, clo, chi, new_cpl);
    cpu->eip = off;
}

static void deliver_protected(Cpu *cpu, const Event *ev)
{
    uint32_t at = (uint32_t)ev->vector * 8;
    uint32_t idt_err = at + 2 + ev->ext;
    if (at + 7 > cpu->idtr.limit)
        cpu_fault(cpu, EXC_GP, idt_err);
    uint32_t lo = cpu_lin_read(cpu, cpu->idtr.base + at, 4, true);
    uint32_t hi = cpu_lin_read(cpu, cpu->idtr.base + at + 4, 4, true);
    uint16_t f = desc_flags(hi);
    int type = desc_sys_type(f);
    if (type != DT_TASKGATE && type != DT_INTGATE16 && type != DT_TRAPGATE16 &&
        type != DT_INTGATE32 && type != DT_TRAPGATE32)
        cpu_fault(cpu, EXC_GP, idt_err);
    if (ev->soft && desc_dpl(f) < cpu->cpl)
        cpu_fault(cpu, EXC_GP, idt_err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, idt_err);
    if (type == DT_TASKGATE)
        deliver_task_gate(cpu, ev, lo);
    else
        deliver_gate(cpu, ev, lo, hi);
}

/* ======== V86 mode software interrupts ======== */

/* INT3 (CC) and INTO (CE) are not "INT n": they are never redirected and
 * not IOPL-sensitive in V86 mode. They are told from CD 03 / CD 04 by the
 * byte before the return address (the immediate for CD, the opcode else). */
static bool is_int_n(Cpu *cpu, const Event *ev)
{
    if (ev->vector != EXC_BP && ev->vector != EXC_OF)
        return true;
    uint32_t last = cpu_lin_read(cpu, cpu->seg[SEG_CS].base + ev->next_eip - 1, 1, false);
    return last != 0xCC && last != 0xCE;
}

/* Redirect INT n to the V86 task's own real-mode style IVT at linear 0. */
static void v86_redirect(Cpu *cpu, const Event *ev)
{
    uint32_t entry = cpu_lin_read(cpu, (uint32_t)ev->vector * 4, 4, false);
    uint32_t fl = flags_read(cpu);
    bool iopl3 = cpu_iopl(cpu) == 3;
    uint32_t image = fl;
    if (!iopl3) {
        /* The handler sees IOPL 3 and the virtual IF as IF. */
        image |= FLAG_IOPL;
        image = (image & ~FLAG_IF) | ((fl & FLAG_VIF) ? FLAG_IF : 0);
    }
    StackCursor st;
    stk_current(cpu, &st);
    stk_push(cpu, &st, image, 2);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, 2);
    stk_push(cpu, &st, ev->next_eip, 2);
    stk_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, (uint16_t)(entry >> 16));
    cpu->eip = entry & 0xFFFFu;
    flags_write(cpu, 0, FLAG_TF | FLAG_RF | (iopl3 ? FLAG_IF : FLAG_VIF));
}

/* INT n in V86 mode (SDM 20.4, Table 20-2): with VME, a clear bit in the
 * TSS interrupt redirection bitmap (the 32 bytes below the I/O bitmap)
 * sends it to the V86 IVT; otherwise IOPL 3 goes to the protected-mode
 * handler and IOPL < 3 is #GP(0). */
static void deliver_v86_int_n(Cpu *cpu, const Event *ev)
{
    if (cpu->cr4 & CR4_VME) {
        const SegCache *tr = &cpu->seg[SEG_TR];
        if (tr->limit < 0x67)
            cpu_fault(cpu, EXC_GP, 0);
        uint32_t map = cpu_lin_read(cpu, tr->base + 0x66, 2, true);
        uint32_t at = map - 32 + (uint32_t)ev->vector / 8;
        if (at > tr->limit)
            cpu_fault(cpu, EXC_GP, 0);
        uint32_t bits = cpu_lin_read(cpu, tr->base + at, 1, true);
        if (!(bits & (1u << (ev->vector & 7)))) {
            v86_redirect(cpu, ev);
            return;
        }
    }
    if (cpu_iopl(cpu) < 3)
        cpu_fault(cpu, EXC_GP, 0);
    deliver_protected(cpu, ev);
}

/* ======== dispatch ======== */

/* Deliver one event. exc_vector: the exception being delivered, or -1 for
 * an interrupt (benign for the double-fault rules). */
static void deliver(Cpu *cpu, const Event *ev, int exc_vector)
{
    cpu->exc_depth++;
    cpu->exc_first = exc_vector;
    cpu->exc_ext = ev->ext != 0;
    SVM_HOOK(cpu, svm_note_event(cpu, ev->vector, ev->err, ev->soft, exc_vector >= 0));
    /* Traps pending for the instruction that raised this event are
     * discarded (a single-stepped INT n does not trap after itself). */
    if (cpu->cur_block) {
        if (cpu->eflags & FLAG_TF)
            cpu->suppress_tf_trap = true;
        cpu->pending_db = false;
    }
    if (ev->vector == EXC_DB && !ev->soft)
        cpu->dr[7] &= ~0x2000u;   /* GD: the handler may use the debug registers */
    if (unlikely(cpu->tracer))
        trace_interrupt(cpu, ev->vector, ev->err, ev->soft);

    if (!cpu_pe(cpu))
        deliver_real(cpu, ev);
    else if (cpu_v86(cpu) && ev->soft && is_int_n(cpu, ev))
        deliver_v86_int_n(cpu, ev);
    else
        deliver_protected(cpu, ev);

    cpu->exc_depth = 0;
    cpu->exc_first = -1;
    cpu->inhibit_irq = false;
    cpu->halted = false;
    cpu_update_debug_state(cpu);
}

void cpu_deliver_interrupt(Cpu *cpu, int vector, uint32_t errcode, bool is_soft,
                           uint32_t next_eip)
{
    Event ev = {
        .vector = vector,
        .err = is_soft ? NO_ERRCODE : errcode,
        .soft = is_soft,
        .ext = is_soft ? 0 : 1,
        .next_eip = next_eip,
    };
    /* Only an exception comes with an error code; IRQs, NMI and the #DB
     * traps the loop delivers are benign for the double-fault rules. */
    int exc_vector = (!is_soft && errcode != NO_ERRCODE) ? vector : -1;
    deliver(cpu, &ev, exc_vector);
}

static void log_triple_fault(Cpu *cpu, int vector)
{
    if (!(cpu->log_mask & (CPU_LOG_RESET | CPU_LOG_INT)))
        return;
    FILE *out = cpu->log_file ? (FILE *)cpu->log_file : stderr;
    fprintf(out, "triple fault: vector 0x%02X during #DF delivery at %04X:%08X\n", vector,
            cpu->seg[SEG_CS].sel, cpu->eip);
}

void cpu_handle_fault(Cpu *cpu)
{
    int vector = cpu->fault_vec;
    uint32_t err = cpu->fault_err;
    uint32_t ext = 0;
    if (unlikely(vector == CPU_FAULT_VMEXIT))
        return;   /* an SVM intercept left the guest: nothing to deliver */

    if (cpu->exc_depth > 0) {
        /* A fault while delivering an earlier event. */
        int first = cpu->exc_first;
        ext = cpu->exc_ext ? 1 : 0;
        if (first == EXC_DF || cpu->exc_depth >= MAX_NESTED_EVENTS) {
            if (unlikely(cpu->svm_guest) && svm_intercept_shutdown(cpu))
                return;
            log_triple_fault(cpu, vector);
            cpu->triple_fault = true;
            cpu->exc_depth = 0;
            cpu->exc_first = -1;
            return;
        }
        int c1 = first < 0 ? CLASS_BENIGN : exc_class(first), c2 = exc_class(vector);
        if ((c1 == CLASS_CONTRIBUTORY && c2 == CLASS_CONTRIBUTORY) ||
            (c1 == CLASS_PAGE_FAULT && c2 != CLASS_BENIGN)) {
            vector = EXC_DF;
            err = 0;
        }
    }

    if (!exc_has_errcode(vector))
        err = NO_ERRCODE;
    else if (err == NO_ERRCODE)
        err = 0;
    else if (vector != EXC_PF && vector != EXC_DF)
        err = (err & ~1u) | ext;

    if (unlikely(cpu->svm_guest) && svm_intercept_exception(cpu, vector, err))
        return;
    if (exc_sets_rf(vector))
        cpu->eflags |= FLAG_RF;
    Event ev = { .vector = vector, .err = err, .soft = false, .ext = 1, .next_eip = cpu->eip };
    deliver(cpu, &ev, vector);
}

/* ======== debug ======== */

void cpu_update_debug_state(Cpu *cpu)
{
    /* DR7 L0-L3/G0-G3 enable breakpoints. RF also takes the checked path:
     * it suppresses the next instruction's breakpoint and is cleared there.
     * An active debugger (gdb stub) checks every instruction too. */
    cpu->debug_check = (cpu->dr[7] & 0xFFu) != 0 || (cpu->eflags & FLAG_RF) != 0 ||
                       cpu->debugger_active;
    cpu->single_step = (cpu->eflags & FLAG_TF) != 0;
}

bool cpu_check_code_breakpoint(Cpu *cpu)
{
    if (cpu->eflags & FLAG_RF) {
        /* This instruction runs with breakpoints suppressed; RF is clear
         * again once it has. */
        cpu->eflags &= ~FLAG_RF;
        cpu_update_debug_state(cpu);
        return false;
    }
    uint32_t dr7 = cpu->dr[7];
    uint32_t lin = cpu->seg[SEG_CS].base + cpu->eip;
    uint32_t hits = 0;
    for (unsigned i = 0; i < 4; i++) {
        bool enabled = (dr7 >> (i * 2)) & 3u;
        bool exec = ((dr7 >> (16 + i * 4)) & 3u) == 0;
        if (enabled && exec && cpu->dr[i] == lin)
            hits |= 1u << i;
    }
    if (!hits)
        return false;
    cpu->dr[6] = (cpu->dr[6] & ~0xFu) | hits;
    /* A fault: the handler returns to the instruction and sets RF in the
     * EFLAGS image so it is not hit again (the SDM's rule; the pushed RF
     * stays clear for #DB). */
    Event ev = { .vector = EXC_DB, .err = NO_ERRCODE, .soft = false, .ext = 1,
                 .next_eip = cpu->eip };
    deliver(cpu, &ev, EXC_DB);
    return true;
}
