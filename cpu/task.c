/* SPDX-License-Identifier: MIT */
/* Hardware task switching (SDM Vol. 3, 7.3) for 16-bit (type 1/3) and
 * 32-bit (type 9/11) TSSs.
 *
 * Order: check the new TSS, read the whole new state (so a #PF there
 * changes nothing), save the outgoing state into the old TSS, update back
 * link and busy bits, then commit: TR, CR0.TS, CR3, registers, EFLAGS and
 * selectors. Descriptor checks on the new segment registers come after the
 * commit point, so their faults are delivered in the new task's context. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"

/* The state a TSS holds for a task. */
typedef struct TaskState {
    uint32_t cr3, eip, eflags;
    uint32_t gpr[8];
    uint16_t sel[6];    /* ES CS SS DS FS GS */
    uint16_t ldt;
    bool trap;          /* T bit: #DB on entry */
} TaskState;

/* 32-bit TSS offsets */
#define TSS32_CR3 0x1C
#define TSS32_EIP 0x20
#define TSS32_EFLAGS 0x24
#define TSS32_GPR 0x28
#define TSS32_SEG 0x48
#define TSS32_LDT 0x60
#define TSS32_TRAP 0x64
#define TSS32_MIN_LIMIT 0x67
#define TSS32_SAVE_LIMIT 0x5F   /* the old TSS must hold up to GS */
/* 16-bit TSS offsets */
#define TSS16_IP 0x0E
#define TSS16_FLAGS 0x10
#define TSS16_GPR 0x12
#define TSS16_SEG 0x22          /* ES CS SS DS */
#define TSS16_LDT 0x2A
#define TSS16_MIN_LIMIT 0x2B
#define TSS16_SAVE_LIMIT 0x29

#define DR7_LOCAL_ENABLES 0x00000155u   /* L0-L3 and LE: cleared by a task switch */

static bool tss_type_32(unsigned type)
{
    return type == DT_TSS32 || type == DT_TSS32_BUSY;
}

static uint32_t rd(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_lin_read(cpu, lin, size, true);
}

static void wr(Cpu *cpu, uint32_t lin, unsigned size, uint32_t v)
{
    cpu_lin_write(cpu, lin, size, v, true);
}

static void read_tss32(Cpu *cpu, uint32_t base, TaskState *ts)
{
    ts->cr3 = rd(cpu, base + TSS32_CR3, 4);
    ts->eip = rd(cpu, base + TSS32_EIP, 4);
    ts->eflags = rd(cpu, base + TSS32_EFLAGS, 4);
    for (unsigned i = 0; i < 8; i++)
        ts->gpr[i] = rd(cpu, base + TSS32_GPR + i * 4, 4);
    for (unsigned i = 0; i < 6; i++)
        ts->sel[i] = (uint16_t)rd(cpu, base + TSS32_SEG + i * 4, 2);
    ts->ldt = (uint16_t)rd(cpu, base + TSS32_LDT, 2);
    ts->trap = rd(cpu, base + TSS32_TRAP, 2) & 1u;
}

/* A 16-bit task has no CR3, FS or GS (they become null); the upper halves
 * of its registers read as ones, as Bochs loads them. */
static void read_tss16(Cpu *cpu, uint32_t base, TaskState *ts)
{
    ts->cr3 = cpu->cr3;
    ts->eip = rd(cpu, base + TSS16_IP, 2);
    ts->eflags = rd(cpu, base + TSS16_FLAGS, 2);
    for (unsigned i = 0; i < 8; i++)
        ts->gpr[i] = 0xFFFF0000u | rd(cpu, base + TSS16_GPR + i * 2, 2);
    for (unsigned i = 0; i < 4; i++)
        ts->sel[i] = (uint16_t)rd(cpu, base + TSS16_SEG + i * 2, 2);
    ts->sel[SEG_FS] = ts->sel[SEG_GS] = 0;
    ts->ldt = (uint16_t)rd(cpu, base + TSS16_LDT, 2);
    ts->trap = false;
}

/* Save the dynamic state of the outgoing task (only these fields change). */
static void save_tss32(Cpu *cpu, uint32_t base, uint32_t eip, uint32_t eflags)
{
    wr(cpu, base + TSS32_EIP, 4, eip);
    wr(cpu, base + TSS32_EFLAGS, 4, eflags);
    for (unsigned i = 0; i < 8; i++)
        wr(cpu, base + TSS32_GPR + i * 4, 4, cpu->gpr[i]);
    for (unsigned i = 0; i < 6; i++)
        wr(cpu, base + TSS32_SEG + i * 4, 2, cpu->seg[i].sel);
}

static void save_tss16(Cpu *cpu, uint32_t base, uint32_t eip, uint32_t eflags)
{
    wr(cpu, base + TSS16_IP, 2, eip);
    wr(cpu, base + TSS16_FLAGS, 2, eflags);
    for (unsigned i = 0; i < 8; i++)
        wr(cpu, base + TSS16_GPR + i * 2, 2, cpu->gpr[i]);
    for (unsigned i = 0; i < 4; i++)
        wr(cpu, base + TSS16_SEG + i * 2, 2, cpu->seg[i].sel);
}

/* Set or clear the busy bit (type bit 1) of a TSS descriptor in the GDT. */
static void set_tss_busy(Cpu *cpu, uint16_t sel, bool busy)
{
    uint32_t at = cpu->gdtr.base + (sel & 0xFFF8u) + 5;
    uint32_t ar = rd(cpu, at, 1);
    wr(cpu, at, 1, busy ? ar | 2u : ar & ~2u);
}

/* --- segment registers of the new task (after the commit point) --- */

static void load_task_ldt(Cpu *cpu, uint16_t sel)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0) {
        seg_set_cache(&cpu->seg[SEG_LDTR], sel, 0, 0, 0);
        return;
    }
    if ((sel & 4) || !desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_TS, err);
    uint16_t f = desc_flags(hi);
    if (desc_sys_type(f) != DT_LDT || !(f & DESC_P))
        cpu_fault(cpu, EXC_TS, err);
    seg_set_cache(&cpu->seg[SEG_LDTR], sel, desc_base(lo, hi), desc_limit(lo, hi), f);
}

static void load_task_cs(Cpu *cpu, uint16_t sel)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0 || !desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_TS, err);
    uint16_t f = desc_flags(hi);
    unsigned rpl = sel & 3u;
    if (!desc_is_code(f))
        cpu_fault(cpu, EXC_TS, err);
    if (desc_is_conforming(f) ? desc_dpl(f) > rpl : desc_dpl(f) != rpl)
        cpu_fault(cpu, EXC_TS, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    hi = desc_touch(cpu, sel, hi);
    seg_load_cs_desc(cpu, sel, lo, hi, rpl);
}

/* SS: writable data with DPL = RPL = the new CPL (checked before the
 * present bit, as Bochs does). */
static void load_task_ss(Cpu *cpu, uint16_t sel, unsigned cpl)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0 || !desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_TS, err);
    uint16_t f = desc_flags(hi);
    if (!desc_is_data(f) || !(f & DESC_RW))
        cpu_fault(cpu, EXC_TS, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_SS, err);
    if (desc_dpl(f) != cpl || (sel & 3u) != cpl)
        cpu_fault(cpu, EXC_TS, err);
    hi = desc_touch(cpu, sel, hi);
    seg_load_ss_desc(cpu, sel, lo, hi);
}

static void load_task_data(Cpu *cpu, unsigned seg, uint16_t sel)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0) {
        seg_load_null(cpu, seg, sel);
        return;
    }
    if (!desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_TS, err);
    uint16_t f = desc_flags(hi);
    bool readable_code = desc_is_code(f) && (f & DESC_RW);
    if (!desc_is_data(f) && !readable_code)
        cpu_fault(cpu, EXC_TS, err);
    if (!desc_is_conforming(f) && ((sel & 3u) > desc_dpl(f) || cpu->cpl > desc_dpl(f)))
        cpu_fault(cpu, EXC_TS, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    hi = desc_touch(cpu, sel, hi);
    seg_set_cache(&cpu->seg[seg], sel, desc_base(lo, hi), desc_limit(lo, hi), desc_flags(hi));
}

/* Load the new task's segment registers, checking each descriptor in
 * Bochs's order: LDT, SS, data segments, CS. While LDT and SS are checked,
 * CPL is 3, so that a fault there switches to a stack from the (new) TSS
 * rather than using the unchecked SS. */
static void load_task_segments(Cpu *cpu, const TaskState *ts)
{
    /* Selectors first, caches unusable, so a fault below reports them. */
    for (unsigned s = 0; s < 6; s++)
        seg_set_cache(&cpu->seg[s], ts->sel[s], 0, 0, 0);
    cpu_set_cpl(cpu, 3);
    load_task_ldt(cpu, ts->ldt);
    if (cpu_v86(cpu)) {
        for (unsigned s = 0; s < 6; s++)
            seg_load_real(cpu, s, ts->sel[s]);
        return;
    }
    unsigned cpl = ts->sel[SEG_CS] & 3u;
    load_task_ss(cpu, ts->sel[SEG_SS], cpl);
    cpu_set_cpl(cpu, cpl);
    static const unsigned data[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < 4; i++)
        load_task_data(cpu, data[i], ts->sel[data[i]]);
    load_task_cs(cpu, ts->sel[SEG_CS]);
}

void cpu_task_switch(Cpu *cpu, uint16_t tss_sel, uint32_t tss_lo, uint32_t tss_hi,
                     int reason, bool has_err, uint32_t err, uint32_t next_eip)
{
    SVM_HOOK(cpu, svm_intercept_task_switch(cpu, tss_sel, reason == TASK_IRET,
                                            reason == TASK_JMP, has_err, err));
    uint16_t nf = desc_flags(tss_hi);
    bool new32 = tss_type_32(nf & DESC_TYPE_MASK);
    uint32_t nbase = desc_base(tss_lo, tss_hi), nlimit = desc_limit(tss_lo, tss_hi);
    uint32_t nerr = tss_sel & 0xFFFCu;
    SegCache *tr = &cpu->seg[SEG_TR];
    bool old32 = tss_type_32(tr->flags & DESC_TYPE_MASK);

    if (!(nf & DESC_P))
        cpu_fault(cpu, EXC_NP, nerr);
    if (nlimit < (new32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        cpu_fault(cpu, EXC_TS, nerr);
    if (tr->limit < (old32 ? TSS32_SAVE_LIMIT : TSS16_SAVE_LIMIT))
        cpu_fault(cpu, EXC_TS, tr->sel & 0xFFFCu);

    TaskState ts;
    if (new32)
        read_tss32(cpu, nbase, &ts);
    else
        read_tss16(cpu, nbase, &ts);

    uint32_t eflags = flags_read(cpu);
    if (reason == TASK_IRET)
        eflags &= ~FLAG_NT;
    if (old32)
        save_tss32(cpu, tr->base, next_eip, eflags);
    else
        save_tss16(cpu, tr->base, next_eip, eflags);

    bool nested = reason == TASK_CALL || reason == TASK_INT;
    if (nested) {
        wr(cpu, nbase, 2, tr->sel);   /* back link */
        ts.eflags |= FLAG_NT;
    }
    if (reason == TASK_JMP || reason == TASK_IRET)
        set_tss_busy(cpu, tr->sel, false);
    if (reason != TASK_IRET)
        set_tss_busy(cpu, tss_sel, true);

    /* --- commit point: from here on, faults belong to the new task --- */
    /* Pending traps of the old context are discarded (Bochs), as is the
     * interrupt shadow. */
    cpu->inhibit_irq = false;
    if (cpu->cur_block) {
        if (cpu->eflags & FLAG_TF)
            cpu->suppress_tf_trap = true;
        cpu->pending_db = false;
    }
    seg_set_cache(tr, tss_sel, nbase, nlimit, (uint16_t)(nf | 2u));
    cpu->cr0 |= CR0_TS;
    if (new32 && (cpu->cr0 & CR0_PG))
        cpu_load_cr3(cpu, ts.cr3);
    for (unsigned i = 0; i < 8; i++)
        cpu->gpr[i] = ts.gpr[i];
    cpu->eip = ts.eip;
    flags_write(cpu, ts.eflags, FLAGS_WRITABLE);
    cpu->dr[7] &= ~DR7_LOCAL_ENABLES;
    cpu_update_debug_state(cpu);

    load_task_segments(cpu, &ts);
    if (ts.trap)
        cpu_log_once(cpu, "TSS T bit (debug trap on task switch) not implemented", tss_sel);
    if (cpu->eip > cpu->seg[SEG_CS].limit)
        cpu_fault(cpu, EXC_GP, 0);
    if (has_err) {
        StackCursor st;
        stk_current(cpu, &st);
        stk_push(cpu, &st, err, new32 ? 4 : 2);
        stk_commit(cpu, &st);
    }
}
