/* SPDX-License-Identifier: MIT */
/* Control transfers: JMP, Jcc, CALL, RET near and far, LOOP/LOOPcc/JCXZ,
 * and group 5's CALL/JMP forms (FF /2-/5; /6 PUSH is the stack family's).
 *
 * A near target beyond the CS limit raises #GP(0) before anything is
 * pushed, popped or counted down. With a 16-bit operand size the target is
 * truncated to 16 bits first. Taken near branches set EIP and go on
 * through the block's link to its successor (block_chain, icache.h) or
 * return NULL to the loop, which looks the successor up and links it, so
 * a hot loop costs no lookup and no trip through the loop. Conditional branches and LOOPs sit inside
 * blocks: not taken, they go straight on to the next handler; taken, they
 * leave the block and uncount the instructions after them. */
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/pickers.h"

static inline bool beyond_cs_limit(const Cpu *cpu, uint32_t target)
{
    return unlikely(target > cpu->seg[SEG_CS].lim_hi);
}

/* The target of a near transfer for the operand size. */
static inline uint32_t near_target(const Insn *in, uint32_t target)
{
    return (in->flags & INSN_OP32) ? target : target & 0xFFFFu;
}

/* A taken branch from the middle of a block. */
static inline const Insn *branch_within_block(Cpu *cpu, const Insn *in, uint32_t target)
{
    target = near_target(in, target);
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eip = target;
    return insn_leave_block(cpu, in);
}

/* A transfer by an instruction that ends its block (nothing follows it). */
static inline const Insn *branch_at_block_end(Cpu *cpu, const Insn *in, uint32_t target)
{
    target = near_target(in, target);
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eip = target;
    return insn_end_block(cpu, in);
}

static inline uint32_t rel_target(const Cpu *cpu, const Insn *in)
{
    return insn_next_eip(cpu, in) + in->disp;
}

/* ======== JMP rel, Jcc ======== */

/* EB / E9 */
static const Insn *op_jmp_rel(Cpu *cpu, const Insn *in)
{
    return branch_at_block_end(cpu, in, rel_target(cpu, in));
}

/* Jcc rel8 (70-7F) and rel16/32 (0F 80-8F): one handler per condition, so
 * that the condition is a constant in the inlined flag test. */
static inline const Insn *jcc(Cpu *cpu, const Insn *in, unsigned cc)
{
    if (flags_cond(cpu, cc))
        return branch_within_block(cpu, in, rel_target(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_jo(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x0); }
static const Insn *op_jno(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x1); }
static const Insn *op_jb(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x2); }
static const Insn *op_jae(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x3); }
static const Insn *op_jz(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x4); }
static const Insn *op_jnz(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x5); }
static const Insn *op_jbe(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x6); }
static const Insn *op_ja(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x7); }
static const Insn *op_js(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x8); }
static const Insn *op_jns(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0x9); }
static const Insn *op_jp(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xA); }
static const Insn *op_jnp(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xB); }
static const Insn *op_jl(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xC); }
static const Insn *op_jge(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xD); }
static const Insn *op_jle(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xE); }
static const Insn *op_jg(Cpu *cpu, const Insn *in) { return jcc(cpu, in, 0xF); }

static const InsnFn jcc_handlers[16] = {
    op_jo, op_jno, op_jb, op_jae, op_jz, op_jnz, op_jbe, op_ja,
    op_js, op_jns, op_jp, op_jnp, op_jl, op_jge, op_jle, op_jg,
};

InsnFn pick_jcc(const DecodeCtx *d)
{
    return jcc_handlers[d->opcode & 15];
}

/* ======== CALL / RET near ======== */

/* E8: the return address is pushed only once the target is known good. */
static const Insn *op_call_rel32(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push32(cpu, ret);
    cpu->eip = target;
    return insn_call_end_block(cpu, in, ret);
}

static const Insn *op_call_rel16(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = (ret + in->disp) & 0xFFFFu;
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push16(cpu, (uint16_t)ret);
    cpu->eip = target;
    return insn_call_end_block(cpu, in, ret);
}

/* C3 / C2 imm16: the stack moves only after the target passed the limit
 * check. */
static inline const Insn *ret_near(Cpu *cpu, const Insn *in, bool op32, uint32_t extra)
{
    uint32_t target = cpu_stack_peek(cpu, 0, op32);
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + (op32 ? 4 : 2) + extra);
    cpu->eip = target;
    return insn_ret_end_block(cpu, in);
}

static const Insn *op_ret32(Cpu *cpu, const Insn *in)
{
    return ret_near(cpu, in, true, 0);
}

static const Insn *op_ret16(Cpu *cpu, const Insn *in)
{
    return ret_near(cpu, in, false, 0);
}

static const Insn *op_ret_imm(Cpu *cpu, const Insn *in)
{
    return ret_near(cpu, in, in->flags & INSN_OP32, in->imm & 0xFFFFu);
}

/* ======== far transfers (cpu/farxfer.c does every mode's checks) ======== */

/* CB / CA imm16 */
static const Insn *op_ret_far(Cpu *cpu, const Insn *in)
{
    uint16_t pop = in->opcode == 0xCA ? (uint16_t)in->imm : 0;
    cpu_far_return(cpu, in->flags & INSN_OP32, pop);
    return NULL;
}

/* EA / 9A: JMP / CALL ptr16:16/32 (imm = offset, imm2 = selector) */
static const Insn *op_jmp_far_ptr(Cpu *cpu, const Insn *in)
{
    cpu_far_jump(cpu, in->imm2, in->imm, in->flags & INSN_OP32, insn_next_eip(cpu, in));
    return NULL;
}

static const Insn *op_call_far_ptr(Cpu *cpu, const Insn *in)
{
    cpu_far_call(cpu, in->imm2, in->imm, in->flags & INSN_OP32, insn_next_eip(cpu, in));
    return NULL;
}

/* ======== LOOP, LOOPE, LOOPNE, JCXZ ======== */

/* The counter is CX or ECX by the ADDRESS size; the target follows the
 * operand size. A LOOP whose target fails the limit check faults with the
 * counter unchanged. */
static inline uint32_t counter(const Cpu *cpu, const Insn *in)
{
    return (in->flags & INSN_ADDR32) ? cpu->gpr[R_ECX] : cpu->gpr[R_ECX] & 0xFFFFu;
}

static inline void counter_set(Cpu *cpu, const Insn *in, uint32_t v)
{
    if (in->flags & INSN_ADDR32)
        cpu->gpr[R_ECX] = v;
    else
        reg16_set(cpu, R_ECX, (uint16_t)v);
}

static inline const Insn *loop_common(Cpu *cpu, const Insn *in, bool take_if_left)
{
    uint32_t left = counter(cpu, in) - 1;
    if (!(in->flags & INSN_ADDR32))
        left &= 0xFFFFu;
    if (left && take_if_left) {
        uint32_t target = near_target(in, rel_target(cpu, in));
        if (beyond_cs_limit(cpu, target))
            cpu_fault(cpu, EXC_GP, 0);
        counter_set(cpu, in, left);
        cpu->eip = target;
        return insn_leave_block(cpu, in);
    }
    counter_set(cpu, in, left);
    return insn_next(cpu, in);
}

static const Insn *op_loop(Cpu *cpu, const Insn *in)
{
    return loop_common(cpu, in, true);
}

static const Insn *op_loope(Cpu *cpu, const Insn *in)
{
    return loop_common(cpu, in, flags_get_zf(cpu));
}

static const Insn *op_loopne(Cpu *cpu, const Insn *in)
{
    return loop_common(cpu, in, !flags_get_zf(cpu));
}

static const Insn *op_jcxz(Cpu *cpu, const Insn *in)
{
    if (counter(cpu, in) == 0)
        return branch_within_block(cpu, in, rel_target(cpu, in));
    return insn_next(cpu, in);
}

/* ======== group 5: CALL/JMP near and far through r/m ======== */

static inline const Insn *call_near_abs(Cpu *cpu, const Insn *in, uint32_t target, bool op32)
{
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t ret = insn_next_eip(cpu, in);
    cpu_push_sz(cpu, ret, op32);
    cpu->eip = target;
    return insn_call_end_block(cpu, in, ret);
}

/* The operand is read before the push: CALL [ESP] uses the old ESP. */
static const Insn *op_call_rm32_reg(Cpu *cpu, const Insn *in)
{
    return call_near_abs(cpu, in, cpu->gpr[in->rm], true);
}

static const Insn *op_call_m32(Cpu *cpu, const Insn *in)
{
    return call_near_abs(cpu, in, cpu_read32(cpu, in->seg, insn_ea(cpu, in)), true);
}

static const Insn *op_call_rm16_reg(Cpu *cpu, const Insn *in)
{
    return call_near_abs(cpu, in, reg16_get(cpu, in->rm), false);
}

static const Insn *op_call_m16(Cpu *cpu, const Insn *in)
{
    return call_near_abs(cpu, in, cpu_read16(cpu, in->seg, insn_ea(cpu, in)), false);
}

static const Insn *op_jmp_rm32_reg(Cpu *cpu, const Insn *in)
{
    return branch_at_block_end(cpu, in, cpu->gpr[in->rm]);
}

static const Insn *op_jmp_m32(Cpu *cpu, const Insn *in)
{
    return branch_at_block_end(cpu, in, cpu_read32(cpu, in->seg, insn_ea(cpu, in)));
}

static const Insn *op_jmp_rm16_reg(Cpu *cpu, const Insn *in)
{
    return branch_at_block_end(cpu, in, reg16_get(cpu, in->rm));
}

static const Insn *op_jmp_m16(Cpu *cpu, const Insn *in)
{
    return branch_at_block_end(cpu, in, cpu_read16(cpu, in->seg, insn_ea(cpu, in)));
}

/* Read a far pointer m16:16 / m16:32: the offset, then the selector. */
static void far_pointer(Cpu *cpu, const Insn *in, uint16_t *sel, uint32_t *off)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t ea = insn_ea(cpu, in);
    *off = op32 ? cpu_read32(cpu, in->seg, ea) : cpu_read16(cpu, in->seg, ea);
    uint32_t at = ea + (op32 ? 4 : 2);
    if (!(in->flags & INSN_ADDR32))
        at &= 0xFFFF;
    *sel = cpu_read16(cpu, in->seg, at);
}

static const Insn *op_call_far_m(Cpu *cpu, const Insn *in)
{
    uint16_t sel;
    uint32_t off;
    far_pointer(cpu, in, &sel, &off);
    cpu_far_call(cpu, sel, off, in->flags & INSN_OP32, insn_next_eip(cpu, in));
    return NULL;
}

static const Insn *op_jmp_far_m(Cpu *cpu, const Insn *in)
{
    uint16_t sel;
    uint32_t off;
    far_pointer(cpu, in, &sel, &off);
    cpu_far_jump(cpu, sel, off, in->flags & INSN_OP32, insn_next_eip(cpu, in));
    return NULL;
}

/* [op32][mem] */
static const InsnFn call_rm_forms[2][2] = {
    { op_call_rm16_reg, op_call_m16 }, { op_call_rm32_reg, op_call_m32 } };
static const InsnFn jmp_rm_forms[2][2] = {
    { op_jmp_rm16_reg, op_jmp_m16 }, { op_jmp_rm32_reg, op_jmp_m32 } };

InsnFn ops_branch_pick_ff(const DecodeCtx *d)
{
    switch (d->reg) {
    case 2: return call_rm_forms[d->op32][d->mem];
    case 3: return d->mem ? op_call_far_m : NULL;
    case 4: return jmp_rm_forms[d->op32][d->mem];
    case 5: return d->mem ? op_jmp_far_m : NULL;
    case 6: return ops_stack_pick_push_rm(d);
    default: return NULL;
    }
}

/* ======== pickers ======== */

InsnFn pick_branch(const DecodeCtx *d)
{
    switch (d->opcode) {
    case 0xE9: case 0xEB: return op_jmp_rel;
    case 0xE8: return d->op32 ? op_call_rel32 : op_call_rel16;
    case 0xC3: return d->op32 ? op_ret32 : op_ret16;
    case 0xC2: return op_ret_imm;
    case 0xCA: case 0xCB: return op_ret_far;
    case 0xEA: return op_jmp_far_ptr;
    case 0x9A: return op_call_far_ptr;
    case 0xE0: return op_loopne;
    case 0xE1: return op_loope;
    case 0xE2: return op_loop;
    default: return op_jcxz;   /* E3 */
    }
}
