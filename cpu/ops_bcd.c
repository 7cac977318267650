/* SPDX-License-Identifier: MIT */
/* Decimal adjust: DAA DAS AAA AAS AAM AAD, and SALC (D6, undocumented but
 * present on every P6).
 *
 * Where the manual leaves flags undefined we compute what the adjustment
 * does as an addition or subtraction on a P6: DAA/DAS set OF as the
 * signed overflow of adding/subtracting the correction, AAD sets all flags
 * as the 8-bit ADD it performs, AAM clears CF, OF and AF. */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/pickers.h"

static uint32_t sign_overflow_add(uint32_t a, uint32_t b, uint32_t r)
{
    return ((a ^ r) & (b ^ r) & 0x80) ? FLAG_OF : 0;
}

static uint32_t sign_overflow_sub(uint32_t a, uint32_t b, uint32_t r)
{
    return ((a ^ b) & (a ^ r) & 0x80) ? FLAG_OF : 0;
}

static const Insn *op_daa(Cpu *cpu, const Insn *in)
{
    uint32_t al = cpu->gpr[R_EAX] & 0xFF, old_al = al;
    bool old_cf = flags_get_cf(cpu), af = flags_get_af(cpu), cf = false;
    uint32_t corr = 0;
    if ((al & 0x0F) > 9 || af) {
        corr = 6;
        cf = old_cf || al > 0xF9;
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        corr |= 0x60;
        cf = true;
    } else {
        cf = false;
    }
    al = (old_al + corr) & 0xFF;
    reg8_set(cpu, R_EAX, (uint8_t)al);
    flags_explicit(cpu, LF_W8, al, (cf ? FLAG_CF : 0) | (af ? FLAG_AF : 0) |
                                       sign_overflow_add(old_al, corr, al));
    return insn_next(cpu, in);
}

static const Insn *op_das(Cpu *cpu, const Insn *in)
{
    uint32_t old_al = cpu->gpr[R_EAX] & 0xFF;
    bool old_cf = flags_get_cf(cpu), af = flags_get_af(cpu), cf = false;
    uint32_t corr = 0;
    if ((old_al & 0x0F) > 9 || af) {
        corr = 6;
        cf = old_cf || old_al < 6;
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        corr |= 0x60;
        cf = true;
    }
    uint32_t al = (old_al - corr) & 0xFF;
    reg8_set(cpu, R_EAX, (uint8_t)al);
    flags_explicit(cpu, LF_W8, al, (cf ? FLAG_CF : 0) | (af ? FLAG_AF : 0) |
                                       sign_overflow_sub(old_al, corr, al));
    return insn_next(cpu, in);
}

static const Insn *op_aaa(Cpu *cpu, const Insn *in)
{
    uint32_t ax = cpu->gpr[R_EAX] & 0xFFFF;
    bool adjust = (ax & 0x0F) > 9 || flags_get_af(cpu);
    if (adjust)
        ax = (ax + 0x106) & 0xFFFF;
    ax &= 0xFF0F;
    reg16_set(cpu, R_EAX, (uint16_t)ax);
    flags_explicit(cpu, LF_W8, ax & 0xFF, adjust ? FLAG_CF | FLAG_AF : 0);
    return insn_next(cpu, in);
}

static const Insn *op_aas(Cpu *cpu, const Insn *in)
{
    uint32_t ax = cpu->gpr[R_EAX] & 0xFFFF;
    bool adjust = (ax & 0x0F) > 9 || flags_get_af(cpu);
    if (adjust) {
        uint32_t al = (ax - 6) & 0xFF, ah = ((ax >> 8) - 1 - ((ax & 0xFF) < 6 ? 1 : 0)) & 0xFF;
        /* AX - 6 then AH - 1: a borrow out of AL also reaches AH. */
        ax = ah << 8 | al;
    }
    ax &= 0xFF0F;
    reg16_set(cpu, R_EAX, (uint16_t)ax);
    flags_explicit(cpu, LF_W8, ax & 0xFF, adjust ? FLAG_CF | FLAG_AF : 0);
    return insn_next(cpu, in);
}

static const Insn *op_aam(Cpu *cpu, const Insn *in)
{
    uint32_t base = in->imm & 0xFF, al = cpu->gpr[R_EAX] & 0xFF;
    if (!base)
        cpu_fault(cpu, EXC_DE, NO_ERRCODE);
    uint32_t q = al / base, r = al % base;
    reg16_set(cpu, R_EAX, (uint16_t)(q << 8 | r));
    flags_explicit(cpu, LF_W8, r, 0);
    return insn_next(cpu, in);
}

static const Insn *op_aad(Cpu *cpu, const Insn *in)
{
    uint32_t base = in->imm & 0xFF;
    uint32_t al = cpu->gpr[R_EAX] & 0xFF, ah = (cpu->gpr[R_EAX] >> 8) & 0xFF;
    uint32_t t = (ah * base) & 0xFF, r = (al + t) & 0xFF;
    reg16_set(cpu, R_EAX, (uint16_t)r);
    flags_lazy(cpu, LF_ADD | LF_W8, al, t, r);
    return insn_next(cpu, in);
}

static const Insn *op_salc(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, R_EAX, flags_get_cf(cpu) ? 0xFF : 0x00);
    return insn_next(cpu, in);
}

InsnFn pick_bcd(const DecodeCtx *d)
{
    switch (d->opcode) {
    case 0x27: return op_daa;
    case 0x2F: return op_das;
    case 0x37: return op_aaa;
    case 0x3F: return op_aas;
    case 0xD4: return op_aam;
    case 0xD5: return op_aad;
    default: return op_salc;
    }
}
