/* SPDX-License-Identifier: MIT */
/* Bit tests and scans: BT BTS BTR BTC (register and immediate bit
 * offsets) and BSF/BSR.
 *
 * A register bit offset addresses memory as a signed bit string: the
 * operand's address moves by whole operand-size units. Only CF changes (as
 * a P6 leaves the undefined flags). BSF/BSR on zero set ZF and leave the
 * destination unchanged, as every P6 does. */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/pickers.h"

enum { BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT };

static uint32_t bit_apply(unsigned kind, uint32_t v, uint32_t mask)
{
    switch (kind) {
    case BIT_SET: return v | mask;
    case BIT_RESET: return v & ~mask;
    case BIT_COMPLEMENT: return v ^ mask;
    default: return v;
    }
}

/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: operation from the opcode. */
static unsigned bit_kind_rm_r(uint16_t opcode)
{
    switch (opcode) {
    case 0x1AB: return BIT_SET;
    case 0x1B3: return BIT_RESET;
    case 0x1BB: return BIT_COMPLEMENT;
    default: return BIT_TEST;
    }
}

static void bit_op_reg(Cpu *cpu, const Insn *in, unsigned kind, uint32_t offset)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t w = op32 ? 32 : 16;
    uint32_t mask = 1u << (offset & (w - 1));
    uint32_t v = op32 ? cpu->gpr[in->rm] : reg16_get(cpu, in->rm);
    bool cf = v & mask;
    if (kind != BIT_TEST) {
        v = bit_apply(kind, v, mask);
        if (op32)
            cpu->gpr[in->rm] = v;
        else
            reg16_set(cpu, in->rm, (uint16_t)v);
    }
    flags_set_cf(cpu, cf);
}

static void bit_op_mem(Cpu *cpu, const Insn *in, unsigned kind, uint32_t ea, uint32_t bit)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t mask = 1u << bit;
    uint32_t v = op32 ? cpu_read32(cpu, in->seg, ea) : cpu_read16(cpu, in->seg, ea);
    bool cf = v & mask;
    if (kind != BIT_TEST) {
        v = bit_apply(kind, v, mask);
        if (op32)
            cpu_write32(cpu, in->seg, ea, v);
        else
            cpu_write16(cpu, in->seg, ea, (uint16_t)v);
    }
    flags_set_cf(cpu, cf);
}

static const Insn *op_bt_rm_r_reg(Cpu *cpu, const Insn *in)
{
    bit_op_reg(cpu, in, bit_kind_rm_r(in->opcode), cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_bt_rm_r_mem(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in), bit;
    if (in->flags & INSN_OP32) {
        int32_t off = (int32_t)cpu->gpr[in->reg];
        ea += (uint32_t)(off >> 5) * 4;
        bit = (uint32_t)off & 31;
    } else {
        int32_t off = (int16_t)cpu->gpr[in->reg];
        ea += (uint32_t)(off >> 4) * 2;
        bit = (uint32_t)off & 15;
    }
    if (!(in->flags & INSN_ADDR32))
        ea &= 0xFFFF;
    bit_op_mem(cpu, in, bit_kind_rm_r(in->opcode), ea, bit);
    return insn_next(cpu, in);
}

/* 0F BA /4-/7: the immediate offset selects a bit within the operand. */
static const Insn *op_bt_imm_reg(Cpu *cpu, const Insn *in)
{
    bit_op_reg(cpu, in, in->reg - 4, in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_bt_imm_mem(Cpu *cpu, const Insn *in)
{
    unsigned w = (in->flags & INSN_OP32) ? 32 : 16;
    bit_op_mem(cpu, in, in->reg - 4, insn_ea(cpu, in), in->imm & (w - 1));
    return insn_next(cpu, in);
}

InsnFn pick_bt_rm_r(const DecodeCtx *d)
{
    return d->mem ? op_bt_rm_r_mem : op_bt_rm_r_reg;
}

InsnFn pick_group8(const DecodeCtx *d)
{
    if (d->reg < 4)
        return NULL;
    return d->mem ? op_bt_imm_mem : op_bt_imm_reg;
}

/* BSF (0F BC) / BSR (0F BD) */
static const Insn *op_bsf_bsr(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t src;
    if (in->flags & INSN_MEM) {
        uint32_t ea = insn_ea(cpu, in);
        src = op32 ? cpu_read32(cpu, in->seg, ea) : cpu_read16(cpu, in->seg, ea);
    } else {
        src = op32 ? cpu->gpr[in->rm] : reg16_get(cpu, in->rm);
    }
    if (!src) {
        flags_materialize(cpu);
        cpu->eflags |= FLAG_ZF;
        return insn_next(cpu, in);
    }
    uint32_t idx = in->opcode == 0x1BC ? (uint32_t)__builtin_ctz(src)
                                       : 31u - (uint32_t)__builtin_clz(src);
    if (op32)
        cpu->gpr[in->reg] = idx;
    else
        reg16_set(cpu, in->reg, (uint16_t)idx);
    /* Like a logical result, then ZF clear (the index may be 0). */
    flags_explicit(cpu, op32 ? LF_W32 : LF_W16, idx, 0);
    flags_materialize(cpu);
    cpu->eflags &= ~FLAG_ZF;
    return insn_next(cpu, in);
}

InsnFn pick_bsf_bsr(const DecodeCtx *d)
{
    (void)d;
    return op_bsf_bsr;
}
