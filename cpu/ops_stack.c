/* SPDX-License-Identifier: MIT */
/* The stack: PUSH/POP of registers, immediates, memory and segment
 * registers, PUSHA/POPA, PUSHF/POPF (with IOPL and VME rules), ENTER and
 * LEAVE. A faulting push or pop leaves ESP as it was. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"

/* ======== PUSH / POP register ======== */

static const Insn *op_push_r32(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, cpu->gpr[in->reg]);   /* PUSH ESP pushes the old value */
    return insn_next(cpu, in);
}

static const Insn *op_push_r16(Cpu *cpu, const Insn *in)
{
    cpu_push16(cpu, (uint16_t)cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_pop_r32(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_stack_peek(cpu, 0, true);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 4);
    cpu->gpr[in->reg] = v;   /* POP ESP: the popped value wins */
    return insn_next(cpu, in);
}

static const Insn *op_pop_r16(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_stack_peek(cpu, 0, false);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 2);
    reg16_set(cpu, in->reg, (uint16_t)v);
    return insn_next(cpu, in);
}

static InsnFn pick_push_reg(const DecodeCtx *d)
{
    return d->op32 ? op_push_r32 : op_push_r16;
}

static InsnFn pick_pop_reg(const DecodeCtx *d)
{
    return d->op32 ? op_pop_r32 : op_pop_r16;
}

/* 68 / 6A: PUSH imm (6A's byte is sign-extended by the decoder). */
static const Insn *op_push_imm32(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_push_imm16(Cpu *cpu, const Insn *in)
{
    cpu_push16(cpu, (uint16_t)in->imm);
    return insn_next(cpu, in);
}

static InsnFn pick_push_imm(const DecodeCtx *d)
{
    return d->op32 ? op_push_imm32 : op_push_imm16;
}

/* FF /6: PUSH r/m (picked through the branch family's group 5 picker, see
 * ops_stack_pick_push_rm). The operand is read before ESP moves, so
 * PUSH [ESP+n] sees the old stack. */
static const Insn *op_push_m32(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, cpu_read32(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_push_m16(Cpu *cpu, const Insn *in)
{
    cpu_push16(cpu, cpu_read16(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_push_rm32_reg(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, cpu->gpr[in->rm]);
    return insn_next(cpu, in);
}

static const Insn *op_push_rm16_reg(Cpu *cpu, const Insn *in)
{
    cpu_push16(cpu, reg16_get(cpu, in->rm));
    return insn_next(cpu, in);
}

InsnFn ops_stack_pick_push_rm(const DecodeCtx *d)
{
    if (d->mem)
        return d->op32 ? op_push_m32 : op_push_m16;
    return d->op32 ? op_push_rm32_reg : op_push_rm16_reg;
}

/* 8F /0: POP r/m. An ESP-based address uses ESP after the pop; a faulting
 * store leaves ESP untouched. */
static const Insn *op_pop_rm(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    unsigned size = op32 ? 4 : 2;
    uint32_t v = cpu_stack_peek(cpu, 0, op32);
    if (!(in->flags & INSN_MEM)) {
        cpu_set_sp(cpu, cpu->gpr[R_ESP] + size);
        if (op32)
            cpu->gpr[in->rm] = v;
        else
            reg16_set(cpu, in->rm, (uint16_t)v);
        return insn_next(cpu, in);
    }
    uint32_t old_esp = cpu->gpr[R_ESP];
    cpu_set_sp(cpu, old_esp + size);
    uint32_t ea = insn_ea(cpu, in);
    uint32_t new_esp = cpu->gpr[R_ESP];
    cpu->gpr[R_ESP] = old_esp;
    if (op32)
        cpu_write32(cpu, in->seg, ea, v);
    else
        cpu_write16(cpu, in->seg, ea, (uint16_t)v);
    cpu->gpr[R_ESP] = new_esp;
    return insn_next(cpu, in);
}

static InsnFn pick_pop_rm(const DecodeCtx *d)
{
    return d->reg == 0 ? op_pop_rm : NULL;
}

/* ======== segment registers ======== */

static unsigned sreg_of(uint16_t opcode)
{
    switch (opcode) {
    case 0x06: case 0x07: return SEG_ES;
    case 0x0E: return SEG_CS;
    case 0x16: case 0x17: return SEG_SS;
    case 0x1E: case 0x1F: return SEG_DS;
    case 0x1A0: case 0x1A1: return SEG_FS;
    default: return SEG_GS;
    }
}

/* With a 32-bit operand size the stack moves by 4 but only the selector's
 * 16 bits are written, as the P6 family does. */
static const Insn *op_push_sreg(Cpu *cpu, const Insn *in)
{
    uint16_t sel = cpu->seg[sreg_of(in->opcode)].sel;
    if (in->flags & INSN_OP32) {
        uint32_t sp = (cpu->gpr[R_ESP] - 4) & cpu_sp_mask(cpu);
        cpu_write16(cpu, SEG_SS, sp, sel);
        cpu_set_sp(cpu, sp);
    } else {
        cpu_push16(cpu, sel);
    }
    return insn_next(cpu, in);
}

/* The whole operand is read (a 32-bit pop at the stack limit faults even
 * though only the selector is used). ESP advances by the old stack's
 * size even when SS itself changes. POP SS opens the same one-instruction
 * shadow as MOV SS, for interrupts and for the single-step trap. */
static const Insn *op_pop_sreg(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    unsigned seg = sreg_of(in->opcode);
    uint16_t sel = (uint16_t)cpu_stack_peek(cpu, 0, op32);
    /* The pop moves the stack the selector came from: for POP SS the
     * increment wraps by the old SS.B, not by the segment just loaded. */
    uint32_t old_esp = cpu->gpr[R_ESP], step = op32 ? 4 : 2;
    uint32_t new_esp = cpu->stack32 ? old_esp + step
                                    : (old_esp & 0xFFFF0000u) | ((old_esp + step) & 0xFFFFu);
    seg_load(cpu, seg, sel);
    cpu->gpr[R_ESP] = new_esp;
    if (seg == SEG_SS) {
        cpu->inhibit_irq = true;
        if (cpu->eflags & FLAG_TF)
            cpu->suppress_tf_trap = true;
    }
    return insn_next(cpu, in);
}

static InsnFn pick_push_sreg(const DecodeCtx *d)
{
    (void)d;
    return op_push_sreg;
}

static InsnFn pick_pop_sreg(const DecodeCtx *d)
{
    (void)d;
    return op_pop_sreg;
}

/* ======== PUSHA / POPA ======== */

/* The 8 * size bytes PUSHA writes (or POPA reads) as one host range, when
 * they neither wrap SP nor leave a page the TLB has: the common case. In
 * memory, EDI is lowest and EAX highest. */
static uint8_t *pusha_block(Cpu *cpu, uint32_t low, unsigned size, bool write)
{
    uint32_t sp = cpu->stack32 ? cpu->gpr[R_ESP] : cpu->gpr[R_ESP] & 0xFFFFu;
    if (write ? sp < 8 * size : (!cpu->stack32 && sp + 8 * size > 0x10000u))
        return NULL;
    return cpu_fast_ptr(&cpu->seg[SEG_SS], write ? cpu->tlb_write : cpu->tlb_read, low,
                        8 * size, write ? SEG_ACC_WRITE : SEG_ACC_READ);
}

static const Insn *op_pusha(Cpu *cpu, const Insn *in)
{
    unsigned size = (in->flags & INSN_OP32) ? 4 : 2;
    uint32_t old_esp = cpu->gpr[R_ESP];
    uint32_t low = ((cpu->stack32 ? old_esp : old_esp & 0xFFFFu) - 8 * size) & cpu_sp_mask(cpu);
    uint8_t *p = pusha_block(cpu, low, size, true);
    if (p) {
        for (unsigned r = R_EAX; r <= R_EDI; r++) {
            uint8_t *at = p + (7 - r) * size;
            if (size == 4)
                store_le32(at, cpu->gpr[r]);   /* ESP: the value before PUSHA */
            else
                store_le16(at, cpu->gpr[r]);
        }
        cpu_set_sp(cpu, low);
        return insn_next(cpu, in);
    }
    /* Slow path: every push checked, nothing committed before the last. */
    StackCursor st;
    stk_current(cpu, &st);
    for (unsigned r = R_EAX; r <= R_EDI; r++)
        stk_push(cpu, &st, r == R_ESP ? old_esp : cpu->gpr[r], size);
    stk_commit(cpu, &st);
    return insn_next(cpu, in);
}

/* POPA reads all eight first, so a fault leaves every register alone; the
 * saved ESP is skipped. */
static const Insn *op_popa(Cpu *cpu, const Insn *in)
{
    unsigned size = (in->flags & INSN_OP32) ? 4 : 2;
    uint32_t v[8];   /* v[i]: the value at ESP + i * size (EDI first) */
    uint32_t sp = cpu->stack32 ? cpu->gpr[R_ESP] : cpu->gpr[R_ESP] & 0xFFFFu;
    const uint8_t *p = pusha_block(cpu, sp, size, false);
    StackCursor st;
    stk_current(cpu, &st);
    for (unsigned i = 0; i < 8; i++) {
        if (p)
            v[i] = size == 4 ? load_le32(p + i * size) : load_le16(p + i * size);
        else
            v[i] = stk_read(cpu, &st, i * size, size);
    }
    for (unsigned i = 0; i < 8; i++) {
        unsigned r = R_EDI - i;
        if (r == R_ESP)
            continue;
        if (size == 4)
            cpu->gpr[r] = v[i];
        else
            reg16_set(cpu, r, (uint16_t)v[i]);
    }
    st.esp = stk_add(&st, 8 * size);
    stk_commit(cpu, &st);
    return insn_next(cpu, in);
}

static InsnFn pick_pusha(const DecodeCtx *d)
{
    return d->opcode == 0x60 ? op_pusha : op_popa;
}

/* ======== PUSHF / POPF ======== */

static bool vme_applies(const Cpu *cpu)
{
    return cpu_v86(cpu) && cpu_iopl(cpu) < 3 && (cpu->cr4 & CR4_VME);
}

static const Insn *op_pushf(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_PUSHF, cpu->eip + in->len));
    bool op32 = in->flags & INSN_OP32;
    uint32_t f = flags_read(cpu) & ~(FLAG_VM | FLAG_RF);
    if (cpu_v86(cpu) && cpu_iopl(cpu) < 3) {
        if (op32 || !(cpu->cr4 & CR4_VME))
            cpu_fault(cpu, EXC_GP, 0);
        /* VME: the image shows VIF as IF and IOPL as 3. */
        f = (f & ~FLAG_IF) | ((f & FLAG_VIF) ? FLAG_IF : 0) | FLAG_IOPL;
    }
    cpu_push_sz(cpu, f, op32);
    return insn_next(cpu, in);
}

static const Insn *op_popf(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_POPF, cpu->eip + in->len));
    bool op32 = in->flags & INSN_OP32;
    uint32_t v = cpu_stack_peek(cpu, 0, op32);
    /* Never changed by POPF: VM, VIP, VIF (and RF is cleared). */
    uint32_t mask = FLAGS_WRITABLE & ~(FLAG_VM | FLAG_VIP | FLAG_VIF);
    if (cpu_v86(cpu)) {
        if (cpu_iopl(cpu) < 3) {
            if (!vme_applies(cpu) || op32)
                cpu_fault(cpu, EXC_GP, 0);
            /* VME: IF goes to VIF; TF set, or IF set with VIP pending, is #GP. */
            if ((v & FLAG_TF) || ((v & FLAG_IF) && (cpu->eflags & FLAG_VIP)))
                cpu_fault(cpu, EXC_GP, 0);
            cpu_set_sp(cpu, cpu->gpr[R_ESP] + 2);
            uint32_t vif = (v & FLAG_IF) ? FLAG_VIF : 0;
            flags_write(cpu, (v & 0xFFFF & ~(FLAG_IF | FLAG_IOPL)) | vif,
                        ((0xFFFF & mask) & ~(FLAG_IF | FLAG_IOPL)) | FLAG_VIF | FLAG_RF);
            cpu->eip += in->len;
            return NULL;
        }
        mask &= ~FLAG_IOPL;
    } else if (cpu_pe(cpu)) {
        if (cpu->cpl > 0)
            mask &= ~FLAG_IOPL;
        if (cpu->cpl > cpu_iopl(cpu))
            mask &= ~FLAG_IF;
    }
    if (!op32)
        mask &= 0xFFFF;
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + (op32 ? 4 : 2));
    flags_write(cpu, v & ~FLAG_RF, mask | FLAG_RF);
    cpu_update_debug_state(cpu);
    /* IF or TF may have changed: let the loop look at interrupts again. */
    cpu->eip += in->len;
    return NULL;
}

static InsnFn pick_pushf(const DecodeCtx *d)
{
    return d->opcode == 0x9C ? op_pushf : op_popf;
}

/* ======== ENTER / LEAVE ======== */

static const Insn *op_enter(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    unsigned size = op32 ? 4 : 2, level = in->imm2 & 31;
    uint32_t alloc = in->imm & 0xFFFF;
    StackCursor st;
    stk_current(cpu, &st);
    uint32_t ebp = cpu->gpr[R_EBP];
    stk_push(cpu, &st, ebp, size);
    uint32_t frame = st.esp;
    if (level > 0) {
        /* Copy level-1 frame pointers from the old frame, then the new one. */
        uint32_t bp = ebp;
        for (unsigned i = 1; i < level; i++) {
            bp = st.big ? bp - size : ((bp & 0xFFFF0000u) | ((bp - size) & 0xFFFFu));
            uint32_t at = st.big ? bp : bp & 0xFFFF;
            uint32_t v = size == 4 ? cpu_read32(cpu, SEG_SS, at) : cpu_read16(cpu, SEG_SS, at);
            stk_push(cpu, &st, v, size);
        }
        stk_push(cpu, &st, frame, size);
    }
    uint32_t new_esp = stk_add(&st, (uint32_t)-alloc);
    /* The P6 ends with a write check of the new stack top (limit and page),
     * before anything is committed. */
    uint32_t sp = st.big ? new_esp : new_esp & 0xFFFF;
    cpu_check_access(cpu, SEG_SS, sp, size, true, true);
    st.esp = new_esp;
    stk_commit(cpu, &st);
    if (st.big)
        cpu->gpr[R_EBP] = op32 ? frame : ((ebp & 0xFFFF0000u) | (frame & 0xFFFF));
    else
        reg16_set(cpu, R_EBP, (uint16_t)frame);
    return insn_next(cpu, in);
}

static const Insn *op_leave(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t sp = cpu->stack32 ? cpu->gpr[R_EBP] : cpu->gpr[R_EBP] & 0xFFFF;
    uint32_t v = op32 ? cpu_read32(cpu, SEG_SS, sp) : cpu_read16(cpu, SEG_SS, sp);
    cpu_set_sp(cpu, sp + (op32 ? 4 : 2));
    if (op32)
        cpu->gpr[R_EBP] = v;
    else
        reg16_set(cpu, R_EBP, (uint16_t)v);
    return insn_next(cpu, in);
}

static InsnFn pick_enter(const DecodeCtx *d)
{
    (void)d;
    return op_enter;
}

static InsnFn pick_leave(const DecodeCtx *d)
{
    (void)d;
    return op_leave;
}

void ops_stack_register(void)
{
    for (unsigned op = 0x50; op <= 0x57; op++)
        insn_pickers[op] = pick_push_reg;
    for (unsigned op = 0x58; op <= 0x5F; op++)
        insn_pickers[op] = pick_pop_reg;
    insn_pickers[0x68] = pick_push_imm;
    insn_pickers[0x6A] = pick_push_imm;
    insn_pickers[0x8F] = pick_pop_rm;
    static const uint16_t push_sreg[] = { 0x06, 0x0E, 0x16, 0x1E, 0x1A0, 0x1A8 };
    static const uint16_t pop_sreg[] = { 0x07, 0x17, 0x1F, 0x1A1, 0x1A9 };
    for (unsigned i = 0; i < sizeof push_sreg / sizeof push_sreg[0]; i++)
        insn_pickers[push_sreg[i]] = pick_push_sreg;
    for (unsigned i = 0; i < sizeof pop_sreg / sizeof pop_sreg[0]; i++)
        insn_pickers[pop_sreg[i]] = pick_pop_sreg;
    insn_pickers[0x60] = pick_pusha;
    insn_pickers[0x61] = pick_pusha;
    insn_pickers[0x9C] = pick_pushf;
    insn_pickers[0x9D] = pick_pushf;
    insn_pickers[0xC8] = pick_enter;
    insn_pickers[0xC9] = pick_leave;
}
