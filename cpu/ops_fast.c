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

/* ======== the table ======== */

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

InsnFn insn_specialise(InsnFn fn, const Insn *in)
{
    const unsigned need = INSN_MEM | INSN_OP32;
    if (in->opcode >= 0x100 || (in->flags & (need | INSN_LOCK)) != need)
        return fn;
    const FastForm *f = &fast_forms[in->opcode];
    if (!f->any)
        return fn;
    if ((in->flags & INSN_ADDR32) && in->index == REG_NONE)
        return f->base_disp;
    return f->any;
}
