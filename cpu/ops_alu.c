/* SPDX-License-Identifier: MIT */
/* Integer ALU family: ADD..CMP (handlers generated into ops_alu_arith.c and
 * ops_alu_logic.c, chosen here), INC/DEC, NOT/NEG, TEST, and the group
 * opcodes 80-83, F6/F7, FE/FF that share their ModRM.reg dispatch with
 * other families. */
#include "cpu/ops_alu.h"
#include "cpu/pickers.h"

/* Width index for the generated tables: 0 = 8, 1 = 16, 2 = 32 bits. */
static unsigned width_index(const DecodeCtx *d, bool byte_op)
{
    return byte_op ? 0 : d->op32 ? 2 : 1;
}

static InsnFn alu_choose(const InsnFn arith[8][3], const InsnFn logic[8][3], unsigned op,
                         unsigned w)
{
    return arith[op][w] ? arith[op][w] : logic[op][w];
}

/* 00-3D: op r/m,r  op r,r/m  op acc,imm (forms 0-5 of each row of 8). */
InsnFn pick_alu(const DecodeCtx *d)
{
    unsigned op = (d->opcode >> 3) & 7, form = d->opcode & 7;
    unsigned w = width_index(d, !(form & 1));
    switch (form >> 1) {
    case 0:
        return d->mem ? alu_choose(alu_arith_rm_r_mem, alu_logic_rm_r_mem, op, w)
                      : alu_choose(alu_arith_rm_r_reg, alu_logic_rm_r_reg, op, w);
    case 1:
        return d->mem ? alu_choose(alu_arith_r_rm_mem, alu_logic_r_rm_mem, op, w)
                      : alu_choose(alu_arith_r_rm_reg, alu_logic_r_rm_reg, op, w);
    default:
        return alu_choose(alu_arith_acc_imm, alu_logic_acc_imm, op, w);
    }
}

/* 80-83: group 1 with an immediate (82 is an alias of 80 on IA-32). */
InsnFn pick_group1(const DecodeCtx *d)
{
    unsigned w = width_index(d, d->opcode == 0x80 || d->opcode == 0x82);
    return d->mem ? alu_choose(alu_arith_rm_imm_mem, alu_logic_rm_imm_mem, d->reg, w)
                  : alu_choose(alu_arith_rm_imm_reg, alu_logic_rm_imm_reg, d->reg, w);
}

/* ======== INC / DEC ======== */

/* INC/DEC keep CF: it rides along in the lazy state's aux. */
static uint32_t inc_flags(Cpu *cpu, uint32_t kind, uint32_t a, uint32_t r)
{
    flags_lazy_aux(cpu, kind, a, 1, r, flags_get_cf(cpu));
    return r;
}

static const Insn *op_inc_r16(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg16_get(cpu, in->reg), r = (uint16_t)(a + 1);
    uint32_t cf = flags_get_cf(cpu);
    reg16_set(cpu, in->reg, (uint16_t)r);
    flags_lazy_aux(cpu, LF_INC | LF_W16, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_inc_r32(Cpu *cpu, const Insn *in)
{
    uint32_t a = cpu->gpr[in->reg], r = a + 1;
    uint32_t cf = flags_get_cf(cpu);
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, LF_INC | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_dec_r16(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg16_get(cpu, in->reg), r = (uint16_t)(a - 1);
    uint32_t cf = flags_get_cf(cpu);
    reg16_set(cpu, in->reg, (uint16_t)r);
    flags_lazy_aux(cpu, LF_DEC | LF_W16, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_dec_r32(Cpu *cpu, const Insn *in)
{
    uint32_t a = cpu->gpr[in->reg], r = a - 1;
    uint32_t cf = flags_get_cf(cpu);
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, LF_DEC | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

/* FE/FF /0 /1 on a ModRM register */
static const Insn *op_inc_rm8_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg8_get(cpu, in->rm), r = (uint8_t)(a + 1);
    uint32_t cf = flags_get_cf(cpu);
    reg8_set(cpu, in->rm, (uint8_t)r);
    flags_lazy_aux(cpu, LF_INC | LF_W8, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_dec_rm8_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg8_get(cpu, in->rm), r = (uint8_t)(a - 1);
    uint32_t cf = flags_get_cf(cpu);
    reg8_set(cpu, in->rm, (uint8_t)r);
    flags_lazy_aux(cpu, LF_DEC | LF_W8, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_inc_rm16_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg16_get(cpu, in->rm), r = (uint16_t)(a + 1);
    inc_flags(cpu, LF_INC | LF_W16, a, r);
    reg16_set(cpu, in->rm, (uint16_t)r);
    return insn_next(cpu, in);
}

static const Insn *op_dec_rm16_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = reg16_get(cpu, in->rm), r = (uint16_t)(a - 1);
    inc_flags(cpu, LF_DEC | LF_W16, a, r);
    reg16_set(cpu, in->rm, (uint16_t)r);
    return insn_next(cpu, in);
}

static const Insn *op_inc_rm32_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = cpu->gpr[in->rm], r = a + 1;
    inc_flags(cpu, LF_INC | LF_W32, a, r);
    cpu->gpr[in->rm] = r;
    return insn_next(cpu, in);
}

static const Insn *op_dec_rm32_reg(Cpu *cpu, const Insn *in)
{
    uint32_t a = cpu->gpr[in->rm], r = a - 1;
    inc_flags(cpu, LF_DEC | LF_W32, a, r);
    cpu->gpr[in->rm] = r;
    return insn_next(cpu, in);
}

/* Memory forms: the flags are set after the write, so a faulting write
 * leaves them (and CF for the restart) as they were. */
static const Insn *op_inc_m8(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read8(cpu, in->seg, ea), r = (uint8_t)(a + 1);
    cpu_write8(cpu, in->seg, ea, (uint8_t)r);
    inc_flags(cpu, LF_INC | LF_W8, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_dec_m8(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read8(cpu, in->seg, ea), r = (uint8_t)(a - 1);
    cpu_write8(cpu, in->seg, ea, (uint8_t)r);
    inc_flags(cpu, LF_DEC | LF_W8, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_inc_m16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read16(cpu, in->seg, ea), r = (uint16_t)(a + 1);
    cpu_write16(cpu, in->seg, ea, (uint16_t)r);
    inc_flags(cpu, LF_INC | LF_W16, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_dec_m16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read16(cpu, in->seg, ea), r = (uint16_t)(a - 1);
    cpu_write16(cpu, in->seg, ea, (uint16_t)r);
    inc_flags(cpu, LF_DEC | LF_W16, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_inc_m32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read32(cpu, in->seg, ea), r = a + 1;
    cpu_write32(cpu, in->seg, ea, r);
    inc_flags(cpu, LF_INC | LF_W32, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_dec_m32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read32(cpu, in->seg, ea), r = a - 1;
    cpu_write32(cpu, in->seg, ea, r);
    inc_flags(cpu, LF_DEC | LF_W32, a, r);
    return insn_next(cpu, in);
}

InsnFn pick_inc_dec_reg(const DecodeCtx *d)
{
    bool dec = d->opcode & 8;
    if (d->op32)
        return dec ? op_dec_r32 : op_inc_r32;
    return dec ? op_dec_r16 : op_inc_r16;
}

/* [dec][width][mem] */
static const InsnFn inc_dec_rm[2][3][2] = {
    { { op_inc_rm8_reg, op_inc_m8 }, { op_inc_rm16_reg, op_inc_m16 },
      { op_inc_rm32_reg, op_inc_m32 } },
    { { op_dec_rm8_reg, op_dec_m8 }, { op_dec_rm16_reg, op_dec_m16 },
      { op_dec_rm32_reg, op_dec_m32 } },
};

/* FE: group 4 (INC/DEC r/m8; the rest are invalid). */
InsnFn pick_group4(const DecodeCtx *d)
{
    if (d->reg > 1)
        return NULL;
    return inc_dec_rm[d->reg][0][d->mem];
}

/* FF: group 5. /0 /1 here, /2-/6 are control transfers and PUSH. */
InsnFn pick_group5(const DecodeCtx *d)
{
    if (d->reg <= 1)
        return inc_dec_rm[d->reg][width_index(d, false)][d->mem];
    if (d->reg == 7)
        return NULL;
    return ops_branch_pick_ff(d);
}

/* ======== TEST, NOT, NEG ======== */

static const Insn *op_test_rm8_r8_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, reg8_get(cpu, in->rm) & reg8_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_test_rm16_r16_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W16, 0, 0, reg16_get(cpu, in->rm) & reg16_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_test_rm32_r32_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, cpu->gpr[in->rm] & cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_test_m8_r8(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read8(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, v & reg8_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_test_m16_r16(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W16, 0, 0, v & reg16_get(cpu, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_test_m32_r32(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, v & cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_test_al_imm(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, (cpu->gpr[R_EAX] & in->imm) & 0xFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_ax_imm(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W16, 0, 0, (cpu->gpr[R_EAX] & in->imm) & 0xFFFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_eax_imm(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, cpu->gpr[R_EAX] & in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_test_rm8_imm_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, reg8_get(cpu, in->rm) & in->imm & 0xFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_rm16_imm_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W16, 0, 0, reg16_get(cpu, in->rm) & in->imm & 0xFFFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_rm32_imm_reg(Cpu *cpu, const Insn *in)
{
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, cpu->gpr[in->rm] & in->imm);
    return insn_next(cpu, in);
}

static const Insn *op_test_m8_imm(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read8(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, v & in->imm & 0xFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_m16_imm(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W16, 0, 0, v & in->imm & 0xFFFF);
    return insn_next(cpu, in);
}

static const Insn *op_test_m32_imm(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, v & in->imm);
    return insn_next(cpu, in);
}

/* Operand access by width for the less frequent unary ops: one handler
 * per operation and operand kind, the width looked up from the opcode. */
static unsigned insn_width(const Insn *in)
{
    if (!(in->opcode & 1))
        return 8;
    return (in->flags & INSN_OP32) ? 32 : 16;
}

static uint32_t width_flag(unsigned w)
{
    return w == 8 ? LF_W8 : w == 16 ? LF_W16 : LF_W32;
}

static uint32_t width_mask(unsigned w)
{
    return w == 8 ? 0xFFu : w == 16 ? 0xFFFFu : 0xFFFFFFFFu;
}

static uint32_t rm_reg_get(const Cpu *cpu, const Insn *in, unsigned w)
{
    return w == 8 ? reg8_get(cpu, in->rm) : w == 16 ? reg16_get(cpu, in->rm) : cpu->gpr[in->rm];
}

static void rm_reg_set(Cpu *cpu, const Insn *in, unsigned w, uint32_t v)
{
    if (w == 8)
        reg8_set(cpu, in->rm, (uint8_t)v);
    else if (w == 16)
        reg16_set(cpu, in->rm, (uint16_t)v);
    else
        cpu->gpr[in->rm] = v;
}

static uint32_t mem_get(Cpu *cpu, const Insn *in, uint32_t ea, unsigned w)
{
    return w == 8 ? cpu_read8(cpu, in->seg, ea) : w == 16 ? cpu_read16(cpu, in->seg, ea)
                                                           : cpu_read32(cpu, in->seg, ea);
}

static void mem_set(Cpu *cpu, const Insn *in, uint32_t ea, unsigned w, uint32_t v)
{
    if (w == 8)
        cpu_write8(cpu, in->seg, ea, (uint8_t)v);
    else if (w == 16)
        cpu_write16(cpu, in->seg, ea, (uint16_t)v);
    else
        cpu_write32(cpu, in->seg, ea, v);
}

static const Insn *op_not_reg(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    rm_reg_set(cpu, in, w, ~rm_reg_get(cpu, in, w) & width_mask(w));
    return insn_next(cpu, in);
}

static const Insn *op_not_mem(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t ea = insn_ea(cpu, in);
    mem_set(cpu, in, ea, w, ~mem_get(cpu, in, ea, w) & width_mask(w));
    return insn_next(cpu, in);
}

static const Insn *op_neg_reg(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t a = rm_reg_get(cpu, in, w), r = (0u - a) & width_mask(w);
    rm_reg_set(cpu, in, w, r);
    flags_lazy(cpu, LF_NEG | width_flag(w), 0, a, r);
    return insn_next(cpu, in);
}

static const Insn *op_neg_mem(Cpu *cpu, const Insn *in)
{
    unsigned w = insn_width(in);
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = mem_get(cpu, in, ea, w), r = (0u - a) & width_mask(w);
    mem_set(cpu, in, ea, w, r);
    flags_lazy(cpu, LF_NEG | width_flag(w), 0, a, r);
    return insn_next(cpu, in);
}

/* [width][mem] */
static const InsnFn test_rm_r[3][2] = {
    { op_test_rm8_r8_reg, op_test_m8_r8 },
    { op_test_rm16_r16_reg, op_test_m16_r16 },
    { op_test_rm32_r32_reg, op_test_m32_r32 },
};
static const InsnFn test_rm_imm[3][2] = {
    { op_test_rm8_imm_reg, op_test_m8_imm },
    { op_test_rm16_imm_reg, op_test_m16_imm },
    { op_test_rm32_imm_reg, op_test_m32_imm },
};

InsnFn pick_test_rm_r(const DecodeCtx *d)
{
    return test_rm_r[width_index(d, d->opcode == 0x84)][d->mem];
}

InsnFn pick_test_acc_imm(const DecodeCtx *d)
{
    if (d->opcode == 0xA8)
        return op_test_al_imm;
    return d->op32 ? op_test_eax_imm : op_test_ax_imm;
}

/* F6/F7: group 3. TEST (/0, and /1 its undocumented alias), NOT, NEG here;
 * MUL, IMUL, DIV, IDIV in the muldiv family. */
InsnFn pick_group3(const DecodeCtx *d)
{
    switch (d->reg) {
    case 0:
    case 1:
        return test_rm_imm[width_index(d, d->opcode == 0xF6)][d->mem];
    case 2:
        return d->mem ? op_not_mem : op_not_reg;
    case 3:
        return d->mem ? op_neg_mem : op_neg_reg;
    default:
        return ops_muldiv_pick_grp3(d);
    }
}
