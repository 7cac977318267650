/* SPDX-License-Identifier: MIT */
/* Far JMP, CALL, RET and IRET in real, V86 and protected mode.
 *
 * Each protected-mode path follows the SDM pseudocode of its instruction:
 * every check that can fault comes first, stack writes go through a
 * StackCursor (memory only), and registers are committed at the end, so a
 * fault leaves the instruction restartable. Bochs settles the corner cases. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"

static bool real_or_v86(const Cpu *cpu)
{
    return !cpu_pe(cpu) || cpu_v86(cpu);
}

static uint32_t op_mask(bool op32)
{
    return op32 ? 0xFFFFFFFFu : 0xFFFFu;
}

/* ======== real and V86 mode ======== */

/* A far target offset must lie within the new CS: real mode keeps the
 * cached limit, V86 mode always has 0xFFFF. */
static void real_check_target(Cpu *cpu, uint32_t off)
{
    uint32_t limit = cpu_v86(cpu) ? 0xFFFFu : cpu->seg[SEG_CS].limit;
    if (off > limit)
        cpu_fault(cpu, EXC_GP, 0);
}

static void real_far_jump(Cpu *cpu, uint16_t sel, uint32_t off, bool op32)
{
    off &= op_mask(op32);
    real_check_target(cpu, off);
    seg_load_real(cpu, SEG_CS, sel);
    cpu->eip = off;
}

static void real_far_call(Cpu *cpu, uint16_t sel, uint32_t off, bool op32, uint32_t next_eip)
{
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, sz);
    stk_push(cpu, &st, next_eip, sz);
    off &= op_mask(op32);
    real_check_target(cpu, off);
    stk_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, sel);
    cpu->eip = off;
}

static void real_far_return(Cpu *cpu, bool op32, uint16_t pop_bytes)
{
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t eip = stk_read(cpu, &st, 0, sz);
    uint16_t cs = (uint16_t)stk_read(cpu, &st, sz, 2);
    real_check_target(cpu, eip);
    st.esp = stk_add(&st, 2 * sz + pop_bytes);
    stk_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, cs);
    cpu->eip = eip;
}

/* EFLAGS bits an IRET may change in real mode (SDM: 32-bit IRET keeps VM,
 * VIF and VIP; a 16-bit one writes the low word, IOPL and NT included). */
#define IRET_REAL_MASK32 0x257FD5u
#define IRET_REAL_MASK16 0x7FD5u
/* V86 mode with IOPL 3: IOPL (and VM, VIF, VIP) are not changed. */
#define IRET_V86_MASK32 (IRET_REAL_MASK32 & ~FLAG_IOPL)
#define IRET_V86_MASK16 (IRET_REAL_MASK16 & ~FLAG_IOPL)

/* Pop IP/EIP, CS, FLAGS/EFLAGS and return within real or V86 mode. */
static void real_iret_frame(Cpu *cpu, bool op32, uint32_t mask)
{
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t eip = stk_read(cpu, &st, 0, sz);
    uint16_t cs = (uint16_t)stk_read(cpu, &st, sz, 2);
    uint32_t fl = stk_read(cpu, &st, 2 * sz, sz);
    real_check_target(cpu, eip);
    st.esp = stk_add(&st, 3 * sz);
    stk_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, cs);
    cpu->eip = eip;
    flags_write(cpu, fl, mask);
}

/* IRET in V86 mode with IOPL < 3 and CR4.VME: a 16-bit IRET that returns
 * the popped IF into VIF (SDM 20.3, "virtual interrupt flag"). */
static void v86_vme_iret(Cpu *cpu)
{
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t ip = stk_read(cpu, &st, 0, 2);
    uint16_t cs = (uint16_t)stk_read(cpu, &st, 2, 2);
    uint32_t fl = stk_read(cpu, &st, 4, 2);
    if (((fl & FLAG_IF) && (cpu->eflags & FLAG_VIP)) || (fl & FLAG_TF))
        cpu_fault(cpu, EXC_GP, 0);
    st.esp = stk_add(&st, 6);
    stk_commit(cpu, &st);
    seg_load_real(cpu, SEG_CS, cs);
    cpu->eip = ip;
    uint32_t v = (fl & ~FLAG_IF) | ((fl & FLAG_IF) ? FLAG_VIF : 0);
    flags_write(cpu, v, (IRET_V86_MASK16 & ~FLAG_IF) | FLAG_VIF);
}

static void v86_iret(Cpu *cpu, bool op32)
{
    if (cpu_iopl(cpu) == 3)
        real_iret_frame(cpu, op32, op32 ? IRET_V86_MASK32 : IRET_V86_MASK16);
    else if ((cpu->cr4 & CR4_VME) && !op32)
        v86_vme_iret(cpu);
    else
        cpu_fault(cpu, EXC_GP, 0);
}

/* ======== protected mode: targets ======== */

/* The code segment a far JMP/CALL names directly: #GP(sel) unless it is
 * code the current privilege level may enter, #NP(sel) if not present. */
static void check_direct_code(Cpu *cpu, uint16_t sel, uint16_t f)
{
    uint32_t err = sel & 0xFFFCu;
    if (!desc_is_code(f))
        cpu_fault(cpu, EXC_GP, err);
    if (desc_is_conforming(f)) {
        if (desc_dpl(f) > cpu->cpl)
            cpu_fault(cpu, EXC_GP, err);
    } else if ((sel & 3u) > cpu->cpl || desc_dpl(f) != cpu->cpl) {
        cpu_fault(cpu, EXC_GP, err);
    }
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
}

/* A call gate, task gate or TSS named by a far JMP/CALL: its DPL must
 * admit both CPL and RPL, and it must be present. */
static void check_system_target(Cpu *cpu, uint16_t sel, uint16_t f)
{
    uint32_t err = sel & 0xFFFCu;
    if (desc_dpl(f) < cpu->cpl || (sel & 3u) > desc_dpl(f))
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
}

/* The code segment a call gate points at (checks before the privilege
 * decision). Returns its descriptor. */
static void fetch_gate_code(Cpu *cpu, uint16_t csel, uint32_t *lo, uint32_t *hi)
{
    uint32_t err = csel & 0xFFFCu;
    if (err == 0)
        cpu_fault(cpu, EXC_GP, 0);
    if (!desc_fetch(cpu, csel, lo, hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(*hi);
    if (!desc_is_code(f) || desc_dpl(f) > cpu->cpl)
        cpu_fault(cpu, EXC_GP, err);
}

static uint32_t gate_offset(uint32_t lo, uint32_t hi, bool gate32)
{
    return gate32 ? (lo & 0xFFFFu) | (hi & 0xFFFF0000u) : lo & 0xFFFFu;
}

/* A task switch through a task gate (JMP/CALL): the gate's TSS selector
 * must name an available TSS in the GDT. */
static void task_gate_switch(Cpu *cpu, uint32_t gate_lo, int reason, uint32_t next_eip)
{
    uint16_t tss = (uint16_t)(gate_lo >> 16);
    uint32_t err = tss & 0xFFFCu, lo, hi;
    if ((tss & 4) || !desc_fetch(cpu, tss, &lo, &hi))
        cpu_fault(cpu, EXC_GP, err);
    int type = desc_sys_type(desc_flags(hi));
    if (type != DT_TSS16 && type != DT_TSS32)
        cpu_fault(cpu, EXC_GP, err);
    if (!(desc_flags(hi) & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    cpu_task_switch(cpu, tss, lo, hi, reason, false, 0, next_eip);
}

/* JMP/CALL to a TSS descriptor directly. */
static void tss_switch(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, int reason,
                       uint32_t next_eip)
{
    check_system_target(cpu, sel, desc_flags(hi));
    cpu_task_switch(cpu, sel, lo, hi, reason, false, 0, next_eip);
}

/* Read the descriptor of a protected-mode far target: #GP(0) for a null
 * selector, #GP(sel) beyond the table. */
static void fetch_far_target(Cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 0xFFFCu) == 0)
        cpu_fault(cpu, EXC_GP, 0);
    if (!desc_fetch(cpu, sel, lo, hi))
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
}

static void check_target_limit(Cpu *cpu, uint32_t off, uint32_t lo, uint32_t hi)
{
    if (off > desc_limit(lo, hi))
        cpu_fault(cpu, EXC_GP, 0);
}

/* ======== protected mode: JMP ======== */

static void pm_jump_gate(Cpu *cpu, uint16_t sel, uint32_t glo, uint32_t ghi)
{
    check_system_target(cpu, sel, desc_flags(ghi));
    uint16_t csel = (uint16_t)(glo >> 16);
    uint32_t lo, hi;
    fetch_gate_code(cpu, csel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    if (!desc_is_conforming(f) && desc_dpl(f) != cpu->cpl)
        cpu_fault(cpu, EXC_GP, csel & 0xFFFCu);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, csel & 0xFFFCu);
    uint32_t off = gate_offset(glo, ghi, desc_sys_type(desc_flags(ghi)) == DT_CALLGATE32);
    check_target_limit(cpu, off, lo, hi);
    hi = desc_touch(cpu, csel, hi);
    seg_load_cs_desc(cpu, csel, lo, hi, cpu->cpl);
    cpu->eip = off;
}

static void pm_far_jump(Cpu *cpu, uint16_t sel, uint32_t off, bool op32, uint32_t next_eip)
{
    uint32_t lo, hi;
    fetch_far_target(cpu, sel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    switch (desc_sys_type(f)) {
    case -1:
        check_direct_code(cpu, sel, f);
        off &= op_mask(op32);
        check_target_limit(cpu, off, lo, hi);
        hi = desc_touch(cpu, sel, hi);
        seg_load_cs_desc(cpu, sel, lo, hi, cpu->cpl);
        cpu->eip = off;
        break;
    case DT_CALLGATE16:
    case DT_CALLGATE32:
        pm_jump_gate(cpu, sel, lo, hi);
        break;
    case DT_TASKGATE:
        check_system_target(cpu, sel, f);
        task_gate_switch(cpu, lo, TASK_JMP, next_eip);
        break;
    case DT_TSS16:
    case DT_TSS32:
        tss_switch(cpu, sel, lo, hi, TASK_JMP, next_eip);
        break;
    default:
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
    }
}

/* ======== protected mode: CALL ======== */

static void pm_call_direct(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, uint32_t off,
                           bool op32, uint32_t next_eip)
{
    check_direct_code(cpu, sel, desc_flags(hi));
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, sz);
    stk_push(cpu, &st, next_eip, sz);
    off &= op_mask(op32);
    check_target_limit(cpu, off, lo, hi);
    hi = desc_touch(cpu, sel, hi);
    stk_commit(cpu, &st);
    seg_load_cs_desc(cpu, sel, lo, hi, cpu->cpl);
    cpu->eip = off;
}

/* CALL through a gate to a more privileged non-conforming segment: switch
 * to the inner stack from the TSS, copy the gate's parameter count of
 * words/dwords from the caller's stack, push the return frame. */
static void call_gate_inner(Cpu *cpu, uint16_t csel, uint32_t clo, uint32_t chi,
                            uint32_t glo, uint32_t ghi, uint32_t next_eip)
{
    unsigned dpl = desc_dpl(desc_flags(chi));
    bool gate32 = desc_sys_type(desc_flags(ghi)) == DT_CALLGATE32;
    unsigned sz = gate32 ? 4 : 2, nparams = ghi & 0x1Fu;
    uint32_t off = gate_offset(glo, ghi, gate32);

    uint16_t nss;
    uint32_t nesp, slo, shi;
    tss_inner_stack(cpu, dpl, &nss, &nesp, 0);
    seg_check_inner_ss(cpu, nss, dpl, 0, &slo, &shi);

    StackCursor old, st;
    stk_current(cpu, &old);
    stk_new(&st, nss, slo, shi, nesp, nss & 0xFFFCu);
    uint32_t params[32];
    for (unsigned i = 0; i < nparams; i++)
        params[i] = stk_read(cpu, &old, i * sz, sz);
    stk_push(cpu, &st, cpu->seg[SEG_SS].sel, sz);
    stk_push(cpu, &st, cpu->gpr[R_ESP], sz);
    for (unsigned i = nparams; i-- > 0;)
        stk_push(cpu, &st, params[i], sz);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, sz);
    stk_push(cpu, &st, next_eip, sz);
    check_target_limit(cpu, off, clo, chi);
    shi = desc_touch(cpu, nss, shi);
    chi = desc_touch(cpu, csel, chi);

    seg_load_ss_desc(cpu, nss, slo, shi);
    stk_commit(cpu, &st);
    seg_load_cs_desc(cpu, csel, clo, chi, dpl);
    cpu->eip = off;
}

static void pm_call_gate(Cpu *cpu, uint16_t sel, uint32_t glo, uint32_t ghi, uint32_t next_eip)
{
    check_system_target(cpu, sel, desc_flags(ghi));
    uint16_t csel = (uint16_t)(glo >> 16);
    uint32_t lo, hi;
    fetch_gate_code(cpu, csel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, csel & 0xFFFCu);
    if (!desc_is_conforming(f) && desc_dpl(f) < cpu->cpl) {
        call_gate_inner(cpu, csel, lo, hi, glo, ghi, next_eip);
        return;
    }
    /* Same privilege: the gate's size decides the return frame's. */
    bool gate32 = desc_sys_type(desc_flags(ghi)) == DT_CALLGATE32;
    unsigned sz = gate32 ? 4 : 2;
    uint32_t off = gate_offset(glo, ghi, gate32);
    StackCursor st;
    stk_current(cpu, &st);
    stk_push(cpu, &st, cpu->seg[SEG_CS].sel, sz);
    stk_push(cpu, &st, next_eip, sz);
    check_target_limit(cpu, off, lo, hi);
    hi = desc_touch(cpu, csel, hi);
    stk_commit(cpu, &st);
    seg_load_cs_desc(cpu, csel, lo, hi, cpu->cpl);
    cpu->eip = off;
}

static void pm_far_call(Cpu *cpu, uint16_t sel, uint32_t off, bool op32, uint32_t next_eip)
{
    uint32_t lo, hi;
    fetch_far_target(cpu, sel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    switch (desc_sys_type(f)) {
    case -1:
        pm_call_direct(cpu, sel, lo, hi, off, op32, next_eip);
        break;
    case DT_CALLGATE16:
    case DT_CALLGATE32:
        pm_call_gate(cpu, sel, lo, hi, next_eip);
        break;
    case DT_TASKGATE:
        check_system_target(cpu, sel, f);
        task_gate_switch(cpu, lo, TASK_CALL, next_eip);
        break;
    case DT_TSS16:
    case DT_TSS32:
        tss_switch(cpu, sel, lo, hi, TASK_CALL, next_eip);
        break;
    default:
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
    }
}

/* ======== protected mode: RETF and IRET ======== */

/* The CS popped by RETF/IRET: a present code segment at RPL >= CPL whose
 * DPL matches the RPL (or is below it, for conforming code). */
static void check_return_cs(Cpu *cpu, uint16_t cs, uint32_t *lo, uint32_t *hi)
{
    uint32_t err = cs & 0xFFFCu;
    if (err == 0)
        cpu_fault(cpu, EXC_GP, 0);
    if (!desc_fetch(cpu, cs, lo, hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(*hi);
    unsigned rpl = cs & 3u;
    if (!desc_is_code(f) || rpl < cpu->cpl)
        cpu_fault(cpu, EXC_GP, err);
    if (desc_is_conforming(f) ? desc_dpl(f) > rpl : desc_dpl(f) != rpl)
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
}

/* The SS popped on a return to an outer level. */
static void check_return_ss(Cpu *cpu, uint16_t ss, unsigned rpl, uint32_t *lo, uint32_t *hi)
{
    uint32_t err = ss & 0xFFFCu;
    if (err == 0)
        cpu_fault(cpu, EXC_GP, 0);
    if (!desc_fetch(cpu, ss, lo, hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(*hi);
    if ((ss & 3u) != rpl || !desc_is_data(f) || !(f & DESC_RW) || desc_dpl(f) != rpl)
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_SS, err);
}

/* After a return to an outer level, data segment registers the new CPL
 * may not use become null (SDM RET: data or non-conforming code with
 * DPL < CPL; like Bochs, invalid caches too). */
static void null_inaccessible_segments(Cpu *cpu)
{
    static const unsigned regs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < 4; i++) {
        uint16_t f = cpu->seg[regs[i]].flags;
        if (desc_dpl(f) < cpu->cpl && !(desc_is_conforming(f) && (f & DESC_P)))
            seg_load_null(cpu, regs[i], 0);
    }
}

/* Load the outer stack of a return: SS and ESP (SP on a 16-bit stack). */
static void load_outer_stack(Cpu *cpu, uint16_t ss, uint32_t lo, uint32_t hi, uint32_t esp)
{
    seg_load_ss_desc(cpu, ss, lo, hi);
    if (cpu->stack32)
        cpu->gpr[R_ESP] = esp;
    else
        cpu->gpr[R_ESP] = (cpu->gpr[R_ESP] & 0xFFFF0000u) | (esp & 0xFFFFu);
}

static void pm_far_return(Cpu *cpu, bool op32, uint16_t pop_bytes)
{
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t eip = stk_read(cpu, &st, 0, sz);
    uint16_t cs = (uint16_t)stk_read(cpu, &st, sz, 2);
    uint32_t lo, hi;
    check_return_cs(cpu, cs, &lo, &hi);
    unsigned rpl = cs & 3u;
    if (rpl == cpu->cpl) {
        check_target_limit(cpu, eip, lo, hi);
        hi = desc_touch(cpu, cs, hi);
        st.esp = stk_add(&st, 2 * sz + pop_bytes);
        stk_commit(cpu, &st);
        seg_load_cs_desc(cpu, cs, lo, hi, rpl);
        cpu->eip = eip;
        return;
    }
    uint32_t esp = stk_read(cpu, &st, 2 * sz + pop_bytes, sz);
    uint16_t ss = (uint16_t)stk_read(cpu, &st, 3 * sz + pop_bytes, 2);
    uint32_t slo, shi;
    check_return_ss(cpu, ss, rpl, &slo, &shi);
    check_target_limit(cpu, eip, lo, hi);
    hi = desc_touch(cpu, cs, hi);
    shi = desc_touch(cpu, ss, shi);
    seg_load_cs_desc(cpu, cs, lo, hi, rpl);
    load_outer_stack(cpu, ss, slo, shi, esp + pop_bytes);
    cpu->eip = eip;
    null_inaccessible_segments(cpu);
}

/* EFLAGS bits a protected-mode IRET may write, by the CPL it runs at. */
static uint32_t iret_flags_mask(const Cpu *cpu, bool op32)
{
    uint32_t m = FLAGS_ARITH | FLAG_TF | FLAG_DF | FLAG_NT;
    if (op32)
        m |= FLAG_RF | FLAG_AC | FLAG_ID;
    if (cpu->cpl <= cpu_iopl(cpu))
        m |= FLAG_IF;
    if (cpu->cpl == 0) {
        m |= FLAG_IOPL;
        if (op32)
            m |= FLAG_VIF | FLAG_VIP;
    }
    return m;
}

/* IRET at CPL 0 with VM set in the popped EFLAGS: back to V86 mode, with
 * ESP, SS, ES, DS, FS and GS from the stack. */
static void iret_to_v86(Cpu *cpu, const StackCursor *st, uint32_t eip, uint16_t cs,
                        uint32_t fl)
{
    uint32_t esp = stk_read(cpu, st, 12, 4);
    uint16_t ss = (uint16_t)stk_read(cpu, st, 16, 4);
    uint16_t es = (uint16_t)stk_read(cpu, st, 20, 4);
    uint16_t ds = (uint16_t)stk_read(cpu, st, 24, 4);
    uint16_t fs = (uint16_t)stk_read(cpu, st, 28, 4);
    uint16_t gs = (uint16_t)stk_read(cpu, st, 32, 4);
    flags_write(cpu, fl, FLAGS_WRITABLE);   /* VM is now set */
    seg_load_real(cpu, SEG_CS, cs);
    seg_load_real(cpu, SEG_SS, ss);
    seg_load_real(cpu, SEG_ES, es);
    seg_load_real(cpu, SEG_DS, ds);
    seg_load_real(cpu, SEG_FS, fs);
    seg_load_real(cpu, SEG_GS, gs);
    cpu_set_cpl(cpu, 3);
    cpu->gpr[R_ESP] = esp;   /* all 32 bits */
    cpu->eip = eip & 0xFFFFu;  /* the upper half is ignored, no #GP (Bochs, from hardware tests) */
}

/* The EIP after the IRET being executed: the old task resumes there if it
 * is ever switched back to. The decoded block knows the length. */
static uint32_t iret_next_eip(Cpu *cpu)
{
    const Block *b = cpu->cur_block;
    if (b) {
        uint32_t off = cpu->eip - cpu->block_eip;
        for (unsigned i = 0; i < b->n; i++)
            if (b->insns[i].eip_off == off)
                return cpu->eip + b->insns[i].len;
    }
    /* Not run from a block (tests): skip prefixes up to the CF opcode. */
    uint32_t eip = cpu->eip;
    for (unsigned n = 0; n < 15; n++) {
        uint32_t lin = cpu->seg[SEG_CS].base + eip + n;
        if (cpu_lin_read(cpu, lin, 1, false) == 0xCF)
            return eip + n + 1;
    }
    return eip + 1;
}

/* IRET with NT set: return to the task in the current TSS's back link,
 * which must be a busy TSS in the GDT. */
static void iret_task_return(Cpu *cpu)
{
    uint16_t link = (uint16_t)cpu_lin_read(cpu, cpu->seg[SEG_TR].base, 2, true);
    uint32_t err = link & 0xFFFCu, lo, hi;
    if ((link & 4) || !desc_fetch(cpu, link, &lo, &hi))
        cpu_fault(cpu, EXC_TS, err);
    int type = desc_sys_type(desc_flags(hi));
    if (type != DT_TSS16_BUSY && type != DT_TSS32_BUSY)
        cpu_fault(cpu, EXC_TS, err);
    if (!(desc_flags(hi) & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    cpu_task_switch(cpu, link, lo, hi, TASK_IRET, false, 0, iret_next_eip(cpu));
}

static void pm_iret(Cpu *cpu, bool op32)
{
    if (cpu->eflags & FLAG_NT) {
        iret_task_return(cpu);
        return;
    }
    unsigned sz = op32 ? 4 : 2;
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t eip = stk_read(cpu, &st, 0, sz);
    uint16_t cs = (uint16_t)stk_read(cpu, &st, sz, 2);
    uint32_t fl = stk_read(cpu, &st, 2 * sz, sz);
    if (op32 && (fl & FLAG_VM) && cpu->cpl == 0) {
        iret_to_v86(cpu, &st, eip, cs, fl);
        return;
    }
    uint32_t lo, hi;
    check_return_cs(cpu, cs, &lo, &hi);
    unsigned rpl = cs & 3u;
    uint32_t mask = iret_flags_mask(cpu, op32);   /* by the CPL before the return */
    if (rpl == cpu->cpl) {
        check_target_limit(cpu, eip, lo, hi);
        hi = desc_touch(cpu, cs, hi);
        st.esp = stk_add(&st, 3 * sz);
        stk_commit(cpu, &st);
        seg_load_cs_desc(cpu, cs, lo, hi, rpl);
        cpu->eip = eip;
        flags_write(cpu, fl, mask);
        return;
    }
    uint32_t esp = stk_read(cpu, &st, 3 * sz, sz);
    uint16_t ss = (uint16_t)stk_read(cpu, &st, 4 * sz, 2);
    uint32_t slo, shi;
    check_return_ss(cpu, ss, rpl, &slo, &shi);
    check_target_limit(cpu, eip, lo, hi);
    hi = desc_touch(cpu, cs, hi);
    shi = desc_touch(cpu, ss, shi);
    flags_write(cpu, fl, mask);
    seg_load_cs_desc(cpu, cs, lo, hi, rpl);
    load_outer_stack(cpu, ss, slo, shi, esp);
    cpu->eip = eip;
    null_inaccessible_segments(cpu);
}

/* ======== entry points ======== */

void cpu_far_jump(Cpu *cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t next_eip)
{
    if (real_or_v86(cpu))
        real_far_jump(cpu, sel, offset, op32);
    else
        pm_far_jump(cpu, sel, offset, op32, next_eip);
}

void cpu_far_call(Cpu *cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t next_eip)
{
    if (real_or_v86(cpu))
        real_far_call(cpu, sel, offset, op32, next_eip);
    else
        pm_far_call(cpu, sel, offset, op32, next_eip);
}

void cpu_far_return(Cpu *cpu, bool op32, uint16_t pop_bytes)
{
    if (real_or_v86(cpu))
        real_far_return(cpu, op32, pop_bytes);
    else
        pm_far_return(cpu, op32, pop_bytes);
}

void cpu_iret(Cpu *cpu, bool op32)
{
    if (!cpu_pe(cpu))
        real_iret_frame(cpu, op32, op32 ? IRET_REAL_MASK32 : IRET_REAL_MASK16);
    else if (cpu_v86(cpu))
        v86_iret(cpu, op32);
    else
        pm_iret(cpu, op32);
    cpu->nmi_blocked = false;
    /* RF may have been set: the next instruction must skip its breakpoint
     * check once (see cpu_check_code_breakpoint). */
    cpu_update_debug_state(cpu);
}
