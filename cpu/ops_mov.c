/* SPDX-License-Identifier: MIT */
/* Data movement: MOV in all its forms, MOVZX/MOVSX, LEA, XCHG, CBW family,
 * LAHF/SAHF, XLAT, CMOVcc, SETcc, BSWAP, CMPXCHG, CMPXCHG8B, XADD, the
 * far-pointer loads LDS..LGS, and the NOPs. */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/pickers.h"

/* ======== MOV ======== */

static const Insn *op_mov_rm8_r8_reg(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->rm, reg8_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_mov_m8_r8(Cpu *cpu, const Insn *in)
{
    cpu_write8(cpu, in->seg, insn_ea(cpu, in), reg8_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_mov_rm16_r16_reg(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->rm, reg16_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_mov_m16_r16(Cpu *cpu, const Insn *in)
{
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), reg16_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_mov_rm32_r32_reg(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->rm] = cpu->gpr[in->reg];
    return insn_next(cpu, in);
}

static const Insn *op_mov_m32_r32(Cpu *cpu, const Insn *in)
{
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_mov_r8_rm8_reg(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->reg, reg8_get(cpu, in->rm));
    return insn_next(cpu, in);
}

static const Insn *op_mov_r8_m8(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->reg, cpu_read8(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_mov_r16_rm16_reg(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, reg16_get(cpu, in->rm));
    return insn_next(cpu, in);
}

static const Insn *op_mov_r16_m16(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, cpu_read16(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_mov_r32_rm32_reg(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = cpu->gpr[in->rm];
    return insn_next(cpu, in);
}

static const Insn *op_mov_r32_m32(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

/* [88..8B - 0x88][width index][mem] */
static const InsnFn mov_forms[2][3][2] = {
    { { op_mov_rm8_r8_reg, op_mov_m8_r8 }, { op_mov_rm16_r16_reg, op_mov_m16_r16 },
      { op_mov_rm32_r32_reg, op_mov_m32_r32 } },
    { { op_mov_r8_rm8_reg, op_mov_r8_m8 }, { op_mov_r16_rm16_reg, op_mov_r16_m16 },
      { op_mov_r32_rm32_reg, op_mov_r32_m32 } },
};

static unsigned width_index(const DecodeCtx *d, bool byte_op)
{
    return byte_op ? 0 : d->op32 ? 2 : 1;
}

InsnFn pick_mov(const DecodeCtx *d)
{
    unsigned dir = (d->opcode >> 1) & 1;
    return mov_forms[dir][width_index(d, !(d->opcode & 1))][d->mem];
}

/* A0-A3: MOV between the accumulator and a memory offset (moffs). */
static const Insn *op_mov_al_moffs(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, R_EAX, cpu_read8(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_mov_ax_moffs(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, R_EAX, cpu_read16(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_mov_eax_moffs(Cpu *cpu, const Insn *in)
{
    cpu->gpr[R_EAX] = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_mov_moffs_al(Cpu *cpu, const Insn *in)
{
    cpu_write8(cpu, in->seg, insn_ea(cpu, in), (uint8_t)cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

static const Insn *op_mov_moffs_ax(Cpu *cpu, const Insn *in)
{
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), (uint16_t)cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

static const Insn *op_mov_moffs_eax(Cpu *cpu, const Insn *in)
{
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

InsnFn pick_mov_moffs(const DecodeCtx *d)
{
    static const InsnFn forms[2][3] = {
        { op_mov_al_moffs, op_mov_ax_moffs, op_mov_eax_moffs },
        { op_mov_moffs_al, op_mov_moffs_ax, op_mov_moffs_eax },
    };
    return forms[(d->opcode >> 1) & 1][width_index(d, !(d->opcode & 1))];
}

/* B0-BF: MOV reg, imm */
static const Insn *op_mov_r8_imm(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->reg, (uint8_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_r16_imm(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, (uint16_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_r32_imm(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = in->imm;
    return insn_next(cpu, in);
}

InsnFn pick_mov_r_imm(const DecodeCtx *d)
{
    if (d->opcode < 0xB8)
        return op_mov_r8_imm;
    return d->op32 ? op_mov_r32_imm : op_mov_r16_imm;
}

/* C6/C7 /0: MOV r/m, imm */
static const Insn *op_mov_m8_imm(Cpu *cpu, const Insn *in)
{
    cpu_write8(cpu, in->seg, insn_ea(cpu, in), (uint8_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_m16_imm(Cpu *cpu, const Insn *in)
{
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), (uint16_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_m32_imm(Cpu *cpu, const Insn *in)
{
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_rm8_imm_reg(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->rm, (uint8_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_rm16_imm_reg(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->rm, (uint16_t)in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_mov_rm32_imm_reg(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->rm] = in->imm;
    return insn_next(cpu, in);
}

InsnFn pick_mov_rm_imm(const DecodeCtx *d)
{
    static const InsnFn forms[3][2] = {
        { op_mov_rm8_imm_reg, op_mov_m8_imm },
        { op_mov_rm16_imm_reg, op_mov_m16_imm },
        { op_mov_rm32_imm_reg, op_mov_m32_imm },
    };
    if (d->reg != 0)
        return NULL;
    return forms[width_index(d, d->opcode == 0xC6)][d->mem];
}

/* 8C: MOV r/m16, Sreg. To a register with a 32-bit operand size the P6
 * zero-extends the selector. */
static const Insn *op_mov_rm_sreg(Cpu *cpu, const Insn *in)
{
    uint16_t sel = cpu->seg[in->reg].sel;
    if (in->flags & INSN_MEM)
        cpu_write16(cpu, in->seg, insn_ea(cpu, in), sel);
    else if (in->flags & INSN_OP32)
        cpu->gpr[in->rm] = sel;
    else
        reg16_set(cpu, in->rm, sel);
    return insn_next(cpu, in);
}

InsnFn pick_mov_rm_sreg(const DecodeCtx *d)
{
    return d->reg <= SEG_GS ? op_mov_rm_sreg : NULL;
}

/* 8E: MOV Sreg, r/m16. Loading SS holds off interrupts and the
 * single-step trap for one instruction, so that a following MOV ESP is
 * covered (the trap is then reported after that instruction). */
static const Insn *op_mov_sreg_rm(Cpu *cpu, const Insn *in)
{
    uint16_t sel = (in->flags & INSN_MEM) ? cpu_read16(cpu, in->seg, insn_ea(cpu, in))
                                          : reg16_get(cpu, in->rm);
    seg_load(cpu, in->reg, sel);
    if (in->reg == SEG_SS) {
        cpu->inhibit_irq = true;
        if (cpu->eflags & FLAG_TF)
            cpu->suppress_tf_trap = true;
    }
    return insn_next(cpu, in);
}

InsnFn pick_mov_sreg_rm(const DecodeCtx *d)
{
    return d->reg <= SEG_GS && d->reg != SEG_CS ? op_mov_sreg_rm : NULL;
}

/* ======== MOVZX / MOVSX ======== */

static const Insn *op_movzx_r32_r8(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = reg8_get(cpu, in->rm);
    return insn_next(cpu, in);
}

static const Insn *op_movzx_r32_m8(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = cpu_read8(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_movzx_r32_r16(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = reg16_get(cpu, in->rm);
    return insn_next(cpu, in);
}

static const Insn *op_movzx_r32_m16(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r32_r8(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = (uint32_t)(int32_t)(int8_t)reg8_get(cpu, in->rm);
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r32_m8(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = (uint32_t)(int32_t)(int8_t)cpu_read8(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r32_r16(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = (uint32_t)(int32_t)(int16_t)reg16_get(cpu, in->rm);
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r32_m16(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = (uint32_t)(int32_t)(int16_t)cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_movzx_r16_r8(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, reg8_get(cpu, in->rm));
    return insn_next(cpu, in);
}

static const Insn *op_movzx_r16_m8(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, cpu_read8(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r16_r8(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, (uint16_t)(int16_t)(int8_t)reg8_get(cpu, in->rm));
    return insn_next(cpu, in);
}

static const Insn *op_movsx_r16_m8(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, (uint16_t)(int16_t)(int8_t)cpu_read8(cpu, in->seg, insn_ea(cpu, in)));
    return insn_next(cpu, in);
}

/* [0F B6, B7, BE, BF][op32][mem]. With a 16-bit operand and a 16-bit source
 * (0F B7 / 0F BF) both are a plain MOV r16, r/m16. */
static const InsnFn movx_forms[4][2][2] = {
    { { op_movzx_r16_r8, op_movzx_r16_m8 }, { op_movzx_r32_r8, op_movzx_r32_m8 } },
    { { op_mov_r16_rm16_reg, op_mov_r16_m16 }, { op_movzx_r32_r16, op_movzx_r32_m16 } },
    { { op_movsx_r16_r8, op_movsx_r16_m8 }, { op_movsx_r32_r8, op_movsx_r32_m8 } },
    { { op_mov_r16_rm16_reg, op_mov_r16_m16 }, { op_movsx_r32_r16, op_movsx_r32_m16 } },
};

InsnFn pick_movx(const DecodeCtx *d)
{
    unsigned form = (d->opcode & 1) | ((d->opcode >= 0x1BE) << 1);
    return movx_forms[form][d->op32][d->mem];
}

/* ======== LEA ======== */

static const Insn *op_lea32(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = insn_ea(cpu, in);
    return insn_next(cpu, in);
}

static const Insn *op_lea16(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, (uint16_t)insn_ea(cpu, in));
    return insn_next(cpu, in);
}

InsnFn pick_lea(const DecodeCtx *d)
{
    if (!d->mem)
        return NULL;
    return d->op32 ? op_lea32 : op_lea16;
}

/* ======== XCHG, NOP ======== */

static const Insn *op_nop(Cpu *cpu, const Insn *in)
{
    return insn_next(cpu, in);
}

static const Insn *op_xchg_eax_r32(Cpu *cpu, const Insn *in)
{
    uint32_t t = cpu->gpr[R_EAX];
    cpu->gpr[R_EAX] = cpu->gpr[in->reg];
    cpu->gpr[in->reg] = t;
    return insn_next(cpu, in);
}

static const Insn *op_xchg_ax_r16(Cpu *cpu, const Insn *in)
{
    uint16_t t = reg16_get(cpu, R_EAX);
    reg16_set(cpu, R_EAX, reg16_get(cpu, in->reg));
    reg16_set(cpu, in->reg, t);
    return insn_next(cpu, in);
}

/* 90 is NOP whatever the prefixes (66 90), F3 90 PAUSE. */
InsnFn pick_xchg_eax(const DecodeCtx *d)
{
    if (d->opcode == 0x90)
        return d->rep ? insn_pause : op_nop;
    return d->op32 ? op_xchg_eax_r32 : op_xchg_ax_r16;
}

/* 86 / 87: XCHG r/m, r. With memory the write comes first: if it faults,
 * the register is unchanged. */
static const Insn *op_xchg_r8_reg(Cpu *cpu, const Insn *in)
{
    uint8_t t = reg8_get(cpu, in->rm);
    reg8_set(cpu, in->rm, reg8_get(cpu, in->reg));
    reg8_set(cpu, in->reg, t);
    return insn_next(cpu, in);
}

static const Insn *op_xchg_r16_reg(Cpu *cpu, const Insn *in)
{
    uint16_t t = reg16_get(cpu, in->rm);
    reg16_set(cpu, in->rm, reg16_get(cpu, in->reg));
    reg16_set(cpu, in->reg, t);
    return insn_next(cpu, in);
}

static const Insn *op_xchg_r32_reg(Cpu *cpu, const Insn *in)
{
    uint32_t t = cpu->gpr[in->rm];
    cpu->gpr[in->rm] = cpu->gpr[in->reg];
    cpu->gpr[in->reg] = t;
    return insn_next(cpu, in);
}

static const Insn *op_xchg_m8(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint8_t m = cpu_read8(cpu, in->seg, ea);
    cpu_write8(cpu, in->seg, ea, reg8_get(cpu, in->reg));
    reg8_set(cpu, in->reg, m);
    return insn_next(cpu, in);
}

static const Insn *op_xchg_m16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint16_t m = cpu_read16(cpu, in->seg, ea);
    cpu_write16(cpu, in->seg, ea, reg16_get(cpu, in->reg));
    reg16_set(cpu, in->reg, m);
    return insn_next(cpu, in);
}

static const Insn *op_xchg_m32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t m = cpu_read32(cpu, in->seg, ea);
    cpu_write32(cpu, in->seg, ea, cpu->gpr[in->reg]);
    cpu->gpr[in->reg] = m;
    return insn_next(cpu, in);
}

InsnFn pick_xchg_rm(const DecodeCtx *d)
{
    static const InsnFn forms[3][2] = {
        { op_xchg_r8_reg, op_xchg_m8 },
        { op_xchg_r16_reg, op_xchg_m16 },
        { op_xchg_r32_reg, op_xchg_m32 },
    };
    return forms[width_index(d, d->opcode == 0x86)][d->mem];
}

/* ======== CBW/CWDE, CWD/CDQ, LAHF/SAHF, XLAT ======== */

static const Insn *op_cbw(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, R_EAX, (uint16_t)(int16_t)(int8_t)cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

static const Insn *op_cwde(Cpu *cpu, const Insn *in)
{
    cpu->gpr[R_EAX] = (uint32_t)(int32_t)(int16_t)cpu->gpr[R_EAX];
    return insn_next(cpu, in);
}

static const Insn *op_cwd(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, R_EDX, (cpu->gpr[R_EAX] & 0x8000u) ? 0xFFFF : 0);
    return insn_next(cpu, in);
}

static const Insn *op_cdq(Cpu *cpu, const Insn *in)
{
    cpu->gpr[R_EDX] = (uint32_t)((int32_t)cpu->gpr[R_EAX] >> 31);
    return insn_next(cpu, in);
}

#define LAHF_FLAGS (FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF)

static const Insn *op_lahf(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, 4, (uint8_t)((flags_read(cpu) & LAHF_FLAGS) | 2));   /* AH */
    return insn_next(cpu, in);
}

static const Insn *op_sahf(Cpu *cpu, const Insn *in)
{
    flags_materialize(cpu);
    uint32_t ah = (cpu->gpr[R_EAX] >> 8) & 0xFF;
    cpu->eflags = (cpu->eflags & ~LAHF_FLAGS) | (ah & LAHF_FLAGS);
    return insn_next(cpu, in);
}

static const Insn *op_xlat(Cpu *cpu, const Insn *in)
{
    uint32_t base = (in->flags & INSN_ADDR32) ? cpu->gpr[R_EBX] : cpu->gpr[R_EBX] & 0xFFFF;
    uint32_t ea = base + (cpu->gpr[R_EAX] & 0xFF);
    if (!(in->flags & INSN_ADDR32))
        ea &= 0xFFFF;
    reg8_set(cpu, R_EAX, cpu_read8(cpu, in->seg, ea));
    return insn_next(cpu, in);
}

InsnFn pick_misc(const DecodeCtx *d)
{
    switch (d->opcode) {
    case 0x98: return d->op32 ? op_cwde : op_cbw;
    case 0x99: return d->op32 ? op_cdq : op_cwd;
    case 0x9E: return op_sahf;
    case 0x9F: return op_lahf;
    default: return op_xlat;
    }
}

/* ======== CMOVcc, SETcc ======== */

static const Insn *op_cmov_r32_reg(Cpu *cpu, const Insn *in)
{
    if (flags_cond(cpu, in->opcode & 15))
        cpu->gpr[in->reg] = cpu->gpr[in->rm];
    return insn_next(cpu, in);
}

static const Insn *op_cmov_r16_reg(Cpu *cpu, const Insn *in)
{
    if (flags_cond(cpu, in->opcode & 15))
        reg16_set(cpu, in->reg, reg16_get(cpu, in->rm));
    return insn_next(cpu, in);
}

/* The source is read (and may fault) whether or not the move happens. */
static const Insn *op_cmov_r32_m32(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    if (flags_cond(cpu, in->opcode & 15))
        cpu->gpr[in->reg] = v;
    return insn_next(cpu, in);
}

static const Insn *op_cmov_r16_m16(Cpu *cpu, const Insn *in)
{
    uint16_t v = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    if (flags_cond(cpu, in->opcode & 15))
        reg16_set(cpu, in->reg, v);
    return insn_next(cpu, in);
}

InsnFn pick_cmov(const DecodeCtx *d)
{
    static const InsnFn forms[2][2] = {
        { op_cmov_r16_reg, op_cmov_r16_m16 }, { op_cmov_r32_reg, op_cmov_r32_m32 } };
    return forms[d->op32][d->mem];
}

static const Insn *op_setcc_reg(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, in->rm, flags_cond(cpu, in->opcode & 15));
    return insn_next(cpu, in);
}

static const Insn *op_setcc_mem(Cpu *cpu, const Insn *in)
{
    cpu_write8(cpu, in->seg, insn_ea(cpu, in), flags_cond(cpu, in->opcode & 15));
    return insn_next(cpu, in);
}

InsnFn pick_setcc(const DecodeCtx *d)
{
    return d->mem ? op_setcc_mem : op_setcc_reg;
}

/* ======== BSWAP ======== */

/* With a 16-bit operand the result is undefined; a P6 leaves zero in the
 * low word, which is what we do. */
static const Insn *op_bswap32(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = __builtin_bswap32(cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_bswap16(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, in->reg, 0);
    return insn_next(cpu, in);
}

InsnFn pick_bswap(const DecodeCtx *d)
{
    return d->op32 ? op_bswap32 : op_bswap16;
}

/* ======== CMPXCHG, CMPXCHG8B, XADD ======== */

/* CMPXCHG sets the flags of CMP accumulator, destination. A P6 writes a
 * memory destination either way (the old value back on a mismatch), so a
 * read-only destination faults even when they differ; the accumulator is
 * loaded only after that write succeeded. */
static const Insn *op_cmpxchg_r8_reg(Cpu *cpu, const Insn *in)
{
    uint8_t acc = (uint8_t)cpu->gpr[R_EAX], dst = reg8_get(cpu, in->rm);
    flags_lazy(cpu, LF_SUB | LF_W8, acc, dst, (uint8_t)(acc - dst));
    if (acc == dst)
        reg8_set(cpu, in->rm, reg8_get(cpu, in->reg));
    else
        reg8_set(cpu, R_EAX, dst);
    return insn_next(cpu, in);
}

static const Insn *op_cmpxchg_r16_reg(Cpu *cpu, const Insn *in)
{
    uint16_t acc = (uint16_t)cpu->gpr[R_EAX], dst = reg16_get(cpu, in->rm);
    flags_lazy(cpu, LF_SUB | LF_W16, acc, dst, (uint16_t)(acc - dst));
    if (acc == dst)
        reg16_set(cpu, in->rm, reg16_get(cpu, in->reg));
    else
        reg16_set(cpu, R_EAX, dst);
    return insn_next(cpu, in);
}

static const Insn *op_cmpxchg_r32_reg(Cpu *cpu, const Insn *in)
{
    uint32_t acc = cpu->gpr[R_EAX], dst = cpu->gpr[in->rm];
    flags_lazy(cpu, LF_SUB | LF_W32, acc, dst, acc - dst);
    if (acc == dst)
        cpu->gpr[in->rm] = cpu->gpr[in->reg];
    else
        cpu->gpr[R_EAX] = dst;
    return insn_next(cpu, in);
}

static const Insn *op_cmpxchg_m8(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint8_t acc = (uint8_t)cpu->gpr[R_EAX], dst = cpu_read8(cpu, in->seg, ea);
    cpu_write8(cpu, in->seg, ea, acc == dst ? reg8_get(cpu, in->reg) : dst);
    if (acc != dst)
        reg8_set(cpu, R_EAX, dst);
    flags_lazy(cpu, LF_SUB | LF_W8, acc, dst, (uint8_t)(acc - dst));
    return insn_next(cpu, in);
}

static const Insn *op_cmpxchg_m16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint16_t acc = (uint16_t)cpu->gpr[R_EAX], dst = cpu_read16(cpu, in->seg, ea);
    cpu_write16(cpu, in->seg, ea, acc == dst ? reg16_get(cpu, in->reg) : dst);
    if (acc != dst)
        reg16_set(cpu, R_EAX, dst);
    flags_lazy(cpu, LF_SUB | LF_W16, acc, dst, (uint16_t)(acc - dst));
    return insn_next(cpu, in);
}

static const Insn *op_cmpxchg_m32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t acc = cpu->gpr[R_EAX], dst = cpu_read32(cpu, in->seg, ea);
    cpu_write32(cpu, in->seg, ea, acc == dst ? cpu->gpr[in->reg] : dst);
    if (acc != dst)
        cpu->gpr[R_EAX] = dst;
    flags_lazy(cpu, LF_SUB | LF_W32, acc, dst, acc - dst);
    return insn_next(cpu, in);
}

InsnFn pick_cmpxchg(const DecodeCtx *d)
{
    static const InsnFn forms[3][2] = {
        { op_cmpxchg_r8_reg, op_cmpxchg_m8 },
        { op_cmpxchg_r16_reg, op_cmpxchg_m16 },
        { op_cmpxchg_r32_reg, op_cmpxchg_m32 },
    };
    return forms[width_index(d, d->opcode == 0x1B0)][d->mem];
}

/* Only ZF changes; the 8 bytes are written back on a mismatch too. */
static const Insn *op_cmpxchg8b(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint64_t m = cpu_read64(cpu, in->seg, ea);
    uint64_t cmp = (uint64_t)cpu->gpr[R_EDX] << 32 | cpu->gpr[R_EAX];
    bool equal = m == cmp;
    cpu_write64(cpu, in->seg, ea, equal ? (uint64_t)cpu->gpr[R_ECX] << 32 | cpu->gpr[R_EBX] : m);
    if (!equal) {
        cpu->gpr[R_EAX] = (uint32_t)m;
        cpu->gpr[R_EDX] = (uint32_t)(m >> 32);
    }
    flags_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FLAG_ZF) | (equal ? FLAG_ZF : 0);
    return insn_next(cpu, in);
}

/* 0F C7: group 9, only /1 CMPXCHG8B m64 exists on a P6. */
InsnFn pick_group9(const DecodeCtx *d)
{
    return d->reg == 1 && d->mem ? op_cmpxchg8b : NULL;
}

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. In the register form
 * with both operands the same register, the sum wins. */
static const Insn *op_xadd_r8_reg(Cpu *cpu, const Insn *in)
{
    uint8_t dst = reg8_get(cpu, in->rm), src = reg8_get(cpu, in->reg), sum = (uint8_t)(dst + src);
    reg8_set(cpu, in->reg, dst);
    reg8_set(cpu, in->rm, sum);
    flags_lazy(cpu, LF_ADD | LF_W8, dst, src, sum);
    return insn_next(cpu, in);
}

static const Insn *op_xadd_r16_reg(Cpu *cpu, const Insn *in)
{
    uint16_t dst = reg16_get(cpu, in->rm), src = reg16_get(cpu, in->reg);
    uint16_t sum = (uint16_t)(dst + src);
    reg16_set(cpu, in->reg, dst);
    reg16_set(cpu, in->rm, sum);
    flags_lazy(cpu, LF_ADD | LF_W16, dst, src, sum);
    return insn_next(cpu, in);
}

static const Insn *op_xadd_r32_reg(Cpu *cpu, const Insn *in)
{
    uint32_t dst = cpu->gpr[in->rm], src = cpu->gpr[in->reg], sum = dst + src;
    cpu->gpr[in->reg] = dst;
    cpu->gpr[in->rm] = sum;
    flags_lazy(cpu, LF_ADD | LF_W32, dst, src, sum);
    return insn_next(cpu, in);
}

static const Insn *op_xadd_m8(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint8_t dst = cpu_read8(cpu, in->seg, ea), src = reg8_get(cpu, in->reg);
    uint8_t sum = (uint8_t)(dst + src);
    cpu_write8(cpu, in->seg, ea, sum);
    reg8_set(cpu, in->reg, dst);
    flags_lazy(cpu, LF_ADD | LF_W8, dst, src, sum);
    return insn_next(cpu, in);
}

static const Insn *op_xadd_m16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint16_t dst = cpu_read16(cpu, in->seg, ea), src = reg16_get(cpu, in->reg);
    uint16_t sum = (uint16_t)(dst + src);
    cpu_write16(cpu, in->seg, ea, sum);
    reg16_set(cpu, in->reg, dst);
    flags_lazy(cpu, LF_ADD | LF_W16, dst, src, sum);
    return insn_next(cpu, in);
}

static const Insn *op_xadd_m32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t dst = cpu_read32(cpu, in->seg, ea), src = cpu->gpr[in->reg], sum = dst + src;
    cpu_write32(cpu, in->seg, ea, sum);
    cpu->gpr[in->reg] = dst;
    flags_lazy(cpu, LF_ADD | LF_W32, dst, src, sum);
    return insn_next(cpu, in);
}

InsnFn pick_xadd(const DecodeCtx *d)
{
    static const InsnFn forms[3][2] = {
        { op_xadd_r8_reg, op_xadd_m8 },
        { op_xadd_r16_reg, op_xadd_m16 },
        { op_xadd_r32_reg, op_xadd_m32 },
    };
    return forms[width_index(d, d->opcode == 0x1C0)][d->mem];
}

/* ======== LDS LES LSS LFS LGS ======== */

static unsigned far_load_segment(uint16_t opcode)
{
    switch (opcode) {
    case 0xC4: return SEG_ES;
    case 0xC5: return SEG_DS;
    case 0x1B2: return SEG_SS;
    case 0x1B4: return SEG_FS;
    default: return SEG_GS;
    }
}

/* Unlike MOV SS and POP SS, LSS opens no interrupt shadow: it loads SS and
 * ESP together. */
static const Insn *op_load_far_pointer(Cpu *cpu, const Insn *in)
{
    bool op32 = in->flags & INSN_OP32;
    uint32_t ea = insn_ea(cpu, in);
    uint32_t off = op32 ? cpu_read32(cpu, in->seg, ea) : cpu_read16(cpu, in->seg, ea);
    uint32_t sel_at = ea + (op32 ? 4 : 2);
    if (!(in->flags & INSN_ADDR32))
        sel_at &= 0xFFFF;
    uint16_t sel = cpu_read16(cpu, in->seg, sel_at);
    unsigned seg = far_load_segment(in->opcode);
    seg_load(cpu, seg, sel);   /* may fault: the register is written after */
    if (op32)
        cpu->gpr[in->reg] = off;
    else
        reg16_set(cpu, in->reg, (uint16_t)off);
    return insn_next(cpu, in);
}

InsnFn pick_load_far_pointer(const DecodeCtx *d)
{
    return d->mem ? op_load_far_pointer : NULL;
}

/* 0F 18-1F: hint NOPs with a ModRM operand; nothing is accessed. */
InsnFn pick_hint_nop(const DecodeCtx *d)
{
    (void)d;
    return op_nop;
}
