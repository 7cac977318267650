/* SPDX-License-Identifier: MIT */
/* MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 *
 * Flags a P6 leaves undefined: after MUL/IMUL, SF, ZF and PF follow the low
 * half of the result and AF is cleared (as Bochs models the P6); DIV/IDIV
 * leave the arithmetic flags unchanged. A divide error raises #DE before
 * anything is written, so the instruction restarts cleanly. */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/pickers.h"

static unsigned insn_width(const Insn *in)
{
    if (!(in->opcode & 1) && in->opcode != 0x1AF)
        return 8;
    return (in->flags & INSN_OP32) ? 32 : 16;
}

static uint32_t width_flag(unsigned w)
{
    return w == 8 ? LF_W8 : w == 16 ? LF_W16 : LF_W32;
}

/* The r/m operand of group 3 (register or memory). */
static uint32_t grp3_operand(Cpu *cpu, const Insn *in, unsigned w)
{
    if (in->flags & INSN_MEM) {
        uint32_t ea = insn_ea(cpu, in);
        return w == 8 ? cpu_read8(cpu, in->seg, ea) : w == 16 ? cpu_read16(cpu, in->seg, ea)
                                                               : cpu_read32(cpu, in->seg, ea);
    }
    return w == 8 ? reg8_get(cpu, in->rm) : w == 16 ? reg16_get(cpu, in->rm) : cpu->gpr[in->rm];
}

static const Insn *op_mul(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t src = grp3_operand(cpu, in, w);
    uint32_t lo;
    bool high_nonzero;
    if (w == 8) {
        uint32_t r = (cpu->gpr[R_EAX] & 0xFF) * src;
        reg16_set(cpu, R_EAX, (uint16_t)r);
        lo = r & 0xFF;
        high_nonzero = r >> 8;
    } else if (w == 16) {
        uint32_t r = (cpu->gpr[R_EAX] & 0xFFFF) * src;
        reg16_set(cpu, R_EAX, (uint16_t)r);
        reg16_set(cpu, R_EDX, (uint16_t)(r >> 16));
        lo = r & 0xFFFF;
        high_nonzero = r >> 16;
    } else {
        uint64_t r = (uint64_t)cpu->gpr[R_EAX] * src;
        cpu->gpr[R_EAX] = (uint32_t)r;
        cpu->gpr[R_EDX] = (uint32_t)(r >> 32);
        lo = (uint32_t)r;
        high_nonzero = r >> 32;
    }
    flags_explicit(cpu, width_flag(w), lo, high_nonzero ? FLAG_CF | FLAG_OF : 0);
    return insn_next(cpu, in);
}

static const Insn *op_imul1(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t src = grp3_operand(cpu, in, w);
    uint32_t lo;
    bool overflow;
    if (w == 8) {
        int32_t r = (int8_t)cpu->gpr[R_EAX] * (int8_t)src;
        reg16_set(cpu, R_EAX, (uint16_t)r);
        lo = (uint32_t)r & 0xFF;
        overflow = r != (int8_t)r;
    } else if (w == 16) {
        int32_t r = (int16_t)cpu->gpr[R_EAX] * (int16_t)src;
        reg16_set(cpu, R_EAX, (uint16_t)r);
        reg16_set(cpu, R_EDX, (uint16_t)((uint32_t)r >> 16));
        lo = (uint32_t)r & 0xFFFF;
        overflow = r != (int16_t)r;
    } else {
        int64_t r = (int64_t)(int32_t)cpu->gpr[R_EAX] * (int32_t)src;
        cpu->gpr[R_EAX] = (uint32_t)r;
        cpu->gpr[R_EDX] = (uint32_t)((uint64_t)r >> 32);
        lo = (uint32_t)r;
        overflow = r != (int32_t)r;
    }
    flags_explicit(cpu, width_flag(w), lo, overflow ? FLAG_CF | FLAG_OF : 0);
    return insn_next(cpu, in);
}

static const Insn *op_div(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t d = grp3_operand(cpu, in, w);
    if (!d)
        cpu_fault(cpu, EXC_DE, NO_ERRCODE);
    if (w == 8) {
        uint32_t n = cpu->gpr[R_EAX] & 0xFFFF, q = n / d;
        if (q > 0xFF)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        reg16_set(cpu, R_EAX, (uint16_t)((n % d) << 8 | q));
    } else if (w == 16) {
        uint32_t n = (cpu->gpr[R_EDX] & 0xFFFF) << 16 | (cpu->gpr[R_EAX] & 0xFFFF), q = n / d;
        if (q > 0xFFFF)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        reg16_set(cpu, R_EAX, (uint16_t)q);
        reg16_set(cpu, R_EDX, (uint16_t)(n % d));
    } else {
        uint64_t n = (uint64_t)cpu->gpr[R_EDX] << 32 | cpu->gpr[R_EAX], q = n / d;
        if (q > 0xFFFFFFFFu)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        cpu->gpr[R_EAX] = (uint32_t)q;
        cpu->gpr[R_EDX] = (uint32_t)(n % d);
    }
    return insn_next(cpu, in);
}

static const Insn *op_idiv(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t draw = grp3_operand(cpu, in, w);
    if (!draw)
        cpu_fault(cpu, EXC_DE, NO_ERRCODE);
    if (w == 8) {
        int32_t n = (int16_t)cpu->gpr[R_EAX], d = (int8_t)draw;
        int32_t q = n / d, r = n % d;
        if (q != (int8_t)q)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        reg16_set(cpu, R_EAX, (uint16_t)(((uint32_t)r & 0xFF) << 8 | ((uint32_t)q & 0xFF)));
    } else if (w == 16) {
        int32_t n = (int32_t)((cpu->gpr[R_EDX] & 0xFFFF) << 16 | (cpu->gpr[R_EAX] & 0xFFFF));
        int32_t d = (int16_t)draw;
        /* INT_MIN / -1 overflows the C division itself: it is #DE anyway. */
        if (n == INT32_MIN && d == -1)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        int32_t q = n / d, r = n % d;
        if (q != (int16_t)q)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        reg16_set(cpu, R_EAX, (uint16_t)q);
        reg16_set(cpu, R_EDX, (uint16_t)r);
    } else {
        int64_t n = (int64_t)((uint64_t)cpu->gpr[R_EDX] << 32 | cpu->gpr[R_EAX]);
        int64_t d = (int32_t)draw;
        if (n == INT64_MIN && d == -1)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        int64_t q = n / d, r = n % d;
        if (q != (int32_t)q)
            cpu_fault(cpu, EXC_DE, NO_ERRCODE);
        cpu->gpr[R_EAX] = (uint32_t)q;
        cpu->gpr[R_EDX] = (uint32_t)r;
    }
    return insn_next(cpu, in);
}

InsnFn ops_muldiv_pick_grp3(const DecodeCtx *d)
{
    static const InsnFn grp3[4] = { op_mul, op_imul1, op_div, op_idiv };
    return d->reg >= 4 ? grp3[d->reg - 4] : NULL;
}

/* IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B): truncated signed
 * product; CF = OF = the product did not fit. */
static void imul_store(Cpu *cpu, const Insn *in, int64_t product, bool op32)
{
    if (op32) {
        uint32_t r = (uint32_t)product;
        cpu->gpr[in->reg] = r;
        flags_explicit(cpu, LF_W32, r, product != (int32_t)product ? FLAG_CF | FLAG_OF : 0);
    } else {
        uint32_t r = (uint32_t)product & 0xFFFF;
        reg16_set(cpu, in->reg, (uint16_t)r);
        flags_explicit(cpu, LF_W16, r, product != (int16_t)product ? FLAG_CF | FLAG_OF : 0);
    }
}

static int64_t imul_rm_operand(Cpu *cpu, const Insn *in, bool op32)
{
    if (in->flags & INSN_MEM) {
        uint32_t ea = insn_ea(cpu, in);
        return op32 ? (int32_t)cpu_read32(cpu, in->seg, ea) : (int16_t)cpu_read16(cpu, in->seg, ea);
    }
    return op32 ? (int32_t)cpu->gpr[in->rm] : (int16_t)cpu->gpr[in->rm];
}

static const Insn *op_imul_r_rm(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    int64_t a = op32 ? (int32_t)cpu->gpr[in->reg] : (int16_t)cpu->gpr[in->reg];
    imul_store(cpu, in, a * imul_rm_operand(cpu, in, op32), op32);
    return insn_next(cpu, in);
}

static const Insn *op_imul_r_rm_imm(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    int64_t imm = op32 ? (int32_t)in->imm : (int16_t)in->imm;
    imul_store(cpu, in, imul_rm_operand(cpu, in, op32) * imm, op32);
    return insn_next(cpu, in);
}

/* The 32-bit forms alone (compilers' index arithmetic): no operand-size
 * tests, the memory operand read inline. */
static inline const Insn *imul_r32(Cpu *cpu, const Insn *in, int32_t a, int32_t b)
{
    int64_t product = (int64_t)a * b;
    uint32_t r = (uint32_t)product;
    cpu->gpr[in->reg] = r;
    flags_explicit(cpu, LF_W32, r, product != (int32_t)r ? FLAG_CF | FLAG_OF : 0);
    return insn_next(cpu, in);
}

static int32_t m32_operand(Cpu *cpu, const Insn *in)
{
    return (int32_t)cpu_read32(cpu, in->seg, insn_ea(cpu, in));
}

static const Insn *op_imul_r32_r32(Cpu *cpu, const Insn *in)
{
    return imul_r32(cpu, in, (int32_t)cpu->gpr[in->reg], (int32_t)cpu->gpr[in->rm]);
}

static const Insn *op_imul_r32_m32(Cpu *cpu, const Insn *in)
{
    int32_t b = m32_operand(cpu, in);
    return imul_r32(cpu, in, (int32_t)cpu->gpr[in->reg], b);
}

static const Insn *op_imul_r32_r32_imm(Cpu *cpu, const Insn *in)
{
    return imul_r32(cpu, in, (int32_t)cpu->gpr[in->rm], (int32_t)in->imm);
}

static const Insn *op_imul_r32_m32_imm(Cpu *cpu, const Insn *in)
{
    return imul_r32(cpu, in, m32_operand(cpu, in), (int32_t)in->imm);
}

InsnFn pick_imul_r_rm(const DecodeCtx *d)
{
    if (d->op32)
        return d->mem ? op_imul_r32_m32 : op_imul_r32_r32;
    return op_imul_r_rm;
}

InsnFn pick_imul_imm(const DecodeCtx *d)
{
    if (d->op32)
        return d->mem ? op_imul_r32_m32_imm : op_imul_r32_r32_imm;
    return op_imul_r_rm_imm;
}
