/* Control transfers: JMP, Jcc, CALL, RET near and far, LOOP/LOOPcc/JCXZ,
 * and group 5's CALL/JMP/PUSH forms (FF /2-/6).
 *
 * A near target beyond the CS limit raises #GP(0) before anything is
 * pushed or changed. Taken branches set EIP and return NULL; the loop finds
 * the next block through its jump cache. */
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"

/* Jump to a near target: truncate to the operand size, check the limit,
 * and leave the block (a conditional branch may sit in its middle). */
static const Insn *near_jump(Cpu *cpu, const Insn *in, uint32_t target, bool op32)
{
    if (!op32)
        target &= 0xFFFF;
    if (unlikely(target > cpu->seg[SEG_CS].lim_hi))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eip = target;
    return insn_leave_block(cpu, in);
}

static uint32_t rel_target(const Cpu *cpu, const Insn *in)
{
    return insn_next_eip(cpu, in) + in->disp;
}

static const Insn *op_jmp_rel(Cpu *cpu, const Insn *in)
{
    return near_jump(cpu, in, rel_target(cpu, in), in->flags & INSN_OP32);
}

/* Jcc: the condition code is the low nibble of the opcode (70-7F, 0F 80-8F). */
static const Insn *op_jcc(Cpu *cpu, const Insn *in)
{
    if (flags_cond(cpu, in->opcode & 15))
        return near_jump(cpu, in, rel_target(cpu, in), in->flags & INSN_OP32);
    return insn_next(cpu, in);
}

static const Insn *op_call_rel(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    if (!op32)
        target &= 0xFFFF;
    if (target > cpu->seg[SEG_CS].lim_hi)
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push_sz(cpu, ret, op32);
    cpu->eip = target;
    return NULL;
}

/* C3 / C2 imm16 */
static const Insn *op_ret_near(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t target = cpu_stack_peek(cpu, 0, op32);
    if (!op32)
        target &= 0xFFFF;
    if (target > cpu->seg[SEG_CS].lim_hi)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t pop = (op32 ? 4 : 2) + (in->opcode == 0xC2 ? (in->imm & 0xFFFF) : 0);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + pop);
    cpu->eip = target;
    return NULL;
}

/* CB / CA imm16 */
static const Insn *op_ret_far(Cpu *cpu, const Insn *in)
{
    uint16_t pop = in->opcode == 0xCA ? (uint16_t)in->imm : 0;
    cpu_far_return(cpu, in->flags & INSN_OP32, pop);
    return NULL;
}

/* EA / 9A: JMP / CALL ptr16:16/32 */
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

/* The counter is CX or ECX by the ADDRESS size. */
static uint32_t count_get(const Cpu *cpu, const Insn *in)
{
    return (in->flags & INSN_ADDR32) ? cpu->gpr[R_ECX] : cpu->gpr[R_ECX] & 0xFFFF;
}

static uint32_t count_decrement(Cpu *cpu, const Insn *in)
{
    if (in->flags & INSN_ADDR32)
        return --cpu->gpr[R_ECX];
    uint16_t cx = (uint16_t)(cpu->gpr[R_ECX] - 1);
    reg16_set(cpu, R_ECX, cx);
    return cx;
}

static const Insn *op_loop(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t target = rel_target(cpu, in);
    if (!op32)
        target &= 0xFFFF;
    bool take;
    switch (in->opcode) {
    case 0xE0:   /* LOOPNE */
    case 0xE1:   /* LOOPE */
    case 0xE2: { /* LOOP */
        /* The limit check comes first: a faulting LOOP leaves ECX alone. */
        uint32_t next = count_get(cpu, in) - 1;
        if (!(in->flags & INSN_ADDR32))
            next &= 0xFFFF;
        take = next != 0;
        if (in->opcode == 0xE0)
            take = take && !flags_get_zf(cpu);
        else if (in->opcode == 0xE1)
            take = take && flags_get_zf(cpu);
        if (take && target > cpu->seg[SEG_CS].lim_hi)
            cpu_fault(cpu, EXC_GP, 0);
        count_decrement(cpu, in);
        break;
    }
    default:     /* JCXZ / JECXZ */
        take = count_get(cpu, in) == 0;
        break;
    }
    if (!take)
        return insn_next(cpu, in);
    return near_jump(cpu, in, target, true);
}

/* ======== group 5: CALL/JMP near and far, PUSH ======== */

static uint32_t rm_operand(Cpu *cpu, const Insn *in, bool op32)
{
    if (in->flags & INSN_MEM) {
        uint32_t ea = insn_ea(cpu, in);
        return op32 ? cpu_read32(cpu, in->seg, ea) : cpu_read16(cpu, in->seg, ea);
    }
    return op32 ? cpu->gpr[in->rm] : reg16_get(cpu, in->rm);
}

static const Insn *op_call_rm(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t target = rm_operand(cpu, in, op32);
    if (target > cpu->seg[SEG_CS].lim_hi)
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push_sz(cpu, insn_next_eip(cpu, in), op32);
    cpu->eip = target;
    return NULL;
}

static const Insn *op_jmp_rm(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    return near_jump(cpu, in, rm_operand(cpu, in, op32), op32);
}

/* Read a far pointer m16:16 / m16:32. */
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

InsnFn ops_branch_pick_ff(const DecodeCtx *d)
{
    switch (d->reg) {
    case 2: return op_call_rm;
    case 3: return d->mem ? op_call_far_m : NULL;
    case 4: return op_jmp_rm;
    case 5: return d->mem ? op_jmp_far_m : NULL;
    case 6: return op_push_rm;
    default: return NULL;
    }
}

static InsnFn pick_branch(const DecodeCtx *d)
{
    switch (d->opcode) {
    case 0xE9: case 0xEB: return op_jmp_rel;
    case 0xE8: return op_call_rel;
    case 0xC2: case 0xC3: return op_ret_near;
    case 0xCA: case 0xCB: return op_ret_far;
    case 0xEA: return op_jmp_far_ptr;
    case 0x9A: return op_call_far_ptr;
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: return op_loop;
    default: return op_jcc;
    }
}

void ops_branch_register(void)
{
    static const uint16_t ops[] = { 0xE9, 0xEB, 0xE8, 0xC2, 0xC3, 0xCA, 0xCB, 0xEA, 0x9A,
                                    0xE0, 0xE1, 0xE2, 0xE3 };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        insn_pickers[ops[i]] = pick_branch;
    for (unsigned op = 0x70; op <= 0x7F; op++)
        insn_pickers[op] = pick_branch;
    for (unsigned op = 0x180; op <= 0x18F; op++)
        insn_pickers[op] = pick_branch;
}
