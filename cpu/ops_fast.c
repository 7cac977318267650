/* SPDX-License-Identifier: MIT */
/* Decode-time specialisation of the hottest memory-operand handlers.
 *
 * The family pickers (cpu/ops_*.c) choose a handler from an opcode's
 * shape; they do not see the addressing form. Once the decoder knows it,
 * insn_specialise() may swap in a faster handler of the same meaning:
 *  - by addressing form: a 32-bit address without an index register
 *    ([base+disp], [disp]) skips the index load, the shift and the 16-bit
 *    wrap of the general effective address;
 *  - by cold path: the slow path (segment fault, TLB miss, MMIO, code
 *    page) is a separate tail-called handler, so the fast path needs no
 *    stack frame and no saved registers.
 * The fast paths make exactly the checks cpu_fast_ptr() makes (segment
 * rights and limits from the segment cache as it is when the instruction
 * runs, then the TLB), so a segment register loaded after the block was
 * decoded is honoured; anything they do not accept goes the general way,
 * which faults exactly like the unspecialised handler. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"

/* Effective address of a 32-bit address without index register. */
static inline uint32_t ea_base_disp(const Cpu *cpu, const Insn *in)
{
    return in->disp + cpu->gpr[in->base];
}

/* ======== MOV r32, m32 (8B) ======== */

static __attribute__((noinline)) const Insn *mov_r32_m32_slow(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = cpu_read_slow(cpu, in->seg, insn_ea(cpu, in), 4);
    return insn_next(cpu, in);
}

static inline const Insn *mov_r32_m32_at(Cpu *cpu, const Insn *in, uint32_t off)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[in->seg], cpu->tlb_read, off, 4, SEG_ACC_READ);
    if (unlikely(!p))
        return mov_r32_m32_slow(cpu, in);
    cpu->gpr[in->reg] = load_le32(p);
    return insn_next(cpu, in);
}

static const Insn *op_mov_r32_m32_bd(Cpu *cpu, const Insn *in)
{
    return mov_r32_m32_at(cpu, in, ea_base_disp(cpu, in));
}

static const Insn *op_mov_r32_m32_any(Cpu *cpu, const Insn *in)
{
    return mov_r32_m32_at(cpu, in, insn_ea(cpu, in));
}

/* ======== MOV m32, r32 (89) ======== */

static __attribute__((noinline)) const Insn *mov_m32_r32_slow(Cpu *cpu, const Insn *in)
{
    cpu_write_slow(cpu, in->seg, insn_ea(cpu, in), 4, cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static inline const Insn *mov_m32_r32_at(Cpu *cpu, const Insn *in, uint32_t off)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[in->seg], cpu->tlb_write, off, 4, SEG_ACC_WRITE);
    if (unlikely(!p))
        return mov_m32_r32_slow(cpu, in);
    store_le32(p, cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_mov_m32_r32_bd(Cpu *cpu, const Insn *in)
{
    return mov_m32_r32_at(cpu, in, ea_base_disp(cpu, in));
}

static const Insn *op_mov_m32_r32_any(Cpu *cpu, const Insn *in)
{
    return mov_m32_r32_at(cpu, in, insn_ea(cpu, in));
}

/* ======== INC/DEC r32 (40-4F) ========
 * They keep CF: read it inline from the producers a loop counter usually
 * follows (another INC/DEC, a logic op, ADD, SUB/CMP); any other goes the
 * general way. */

static __attribute__((noinline)) const Insn *inc_dec_r32_slow(Cpu *cpu, const Insn *in,
                                                              uint32_t kind, uint32_t delta)
{
    uint32_t a = cpu->gpr[in->reg], r = a + delta;
    uint32_t cf = flags_get_cf(cpu);
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

static inline const Insn *inc_dec_r32(Cpu *cpu, const Insn *in, uint32_t kind, uint32_t delta)
{
    const LazyFlags *lf = &cpu->lf;
    uint32_t cf;
    switch (lf->kind & LF_KIND_MASK) {
    case LF_INC: case LF_DEC: cf = lf->aux; break;
    case LF_LOGIC: cf = 0; break;
    case LF_ADD: cf = lf->res < lf->dst; break;
    case LF_SUB: cf = lf->dst < lf->src; break;
    default: return inc_dec_r32_slow(cpu, in, kind, delta);
    }
    uint32_t a = cpu->gpr[in->reg], r = a + delta;
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_inc_r32_fast(Cpu *cpu, const Insn *in)
{
    return inc_dec_r32(cpu, in, LF_INC, 1);
}

static const Insn *op_dec_r32_fast(Cpu *cpu, const Insn *in)
{
    return inc_dec_r32(cpu, in, LF_DEC, 0xFFFFFFFFu);
}

/* ======== CALL rel32 (E8), RET (C3) with a 32-bit stack ========
 * The slow paths are the general semantics: the target is checked against
 * the CS limit before anything is pushed or popped. */

static bool beyond_cs_limit(const Cpu *cpu, uint32_t target)
{
    return target > cpu->seg[SEG_CS].lim_hi;
}

static __attribute__((noinline)) const Insn *call_rel32_slow(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push32(cpu, ret);
    cpu->eip = target;
    return NULL;
}

static const Insn *op_call_rel32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    uint32_t sp = cpu->gpr[R_ESP] - 4;
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_write, sp, 4, SEG_ACC_WRITE);
    if (unlikely(!p || !cpu->stack32 || beyond_cs_limit(cpu, target)))
        return call_rel32_slow(cpu, in);
    store_le32(p, ret);
    cpu->gpr[R_ESP] = sp;
    cpu->eip = target;
    return NULL;
}

static __attribute__((noinline)) const Insn *ret32_slow(Cpu *cpu, const Insn *in)
{
    (void)in;
    uint32_t target = cpu_stack_peek(cpu, 0, true);
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 4);
    cpu->eip = target;
    return NULL;
}

static const Insn *op_ret32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP];
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_read, sp, 4, SEG_ACC_READ);
    if (unlikely(!p || !cpu->stack32))
        return ret32_slow(cpu, in);
    uint32_t target = load_le32(p);
    if (unlikely(beyond_cs_limit(cpu, target)))
        return ret32_slow(cpu, in);
    cpu->gpr[R_ESP] = sp + 4;
    cpu->eip = target;
    return NULL;
}

/* ======== the tables ======== */

/* One specialisable opcode: its two forms. Only the 32-bit operand size
 * with a memory operand is specialised; everything else keeps its
 * picker's handler. */
typedef struct FastForm {
    InsnFn base_disp;   /* 32-bit address, no index register */
    InsnFn any;         /* every other addressing form */
} FastForm;

static const FastForm fast_forms[0x100] = {
    [0x89] = { op_mov_m32_r32_bd, op_mov_m32_r32_any },
    [0x8B] = { op_mov_r32_m32_bd, op_mov_r32_m32_any },
};

/* Opcodes without a memory operand, 32-bit operand size. */
static const InsnFn fast_reg_forms[0x100] = {
    [0x40] = op_inc_r32_fast, [0x41] = op_inc_r32_fast, [0x42] = op_inc_r32_fast,
    [0x43] = op_inc_r32_fast, [0x44] = op_inc_r32_fast, [0x45] = op_inc_r32_fast,
    [0x46] = op_inc_r32_fast, [0x47] = op_inc_r32_fast,
    [0x48] = op_dec_r32_fast, [0x49] = op_dec_r32_fast, [0x4A] = op_dec_r32_fast,
    [0x4B] = op_dec_r32_fast, [0x4C] = op_dec_r32_fast, [0x4D] = op_dec_r32_fast,
    [0x4E] = op_dec_r32_fast, [0x4F] = op_dec_r32_fast,
    [0xC3] = op_ret32_fast, [0xE8] = op_call_rel32_fast,
};

InsnFn insn_specialise(InsnFn fn, const Insn *in)
{
    const unsigned need = INSN_MEM | INSN_OP32;
    if (in->opcode >= 0x100 || (in->flags & INSN_LOCK))
        return fn;
    if ((in->flags & need) == INSN_OP32)
        return fast_reg_forms[in->opcode] ? fast_reg_forms[in->opcode] : fn;
    if ((in->flags & need) != need)
        return fn;
    const FastForm *f = &fast_forms[in->opcode];
    if (!f->any)
        return fn;
    if ((in->flags & INSN_ADDR32) && in->index == REG_NONE)
        return f->base_disp;
    return f->any;
}
