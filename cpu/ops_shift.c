/* SPDX-License-Identifier: MIT */
/* Shifts and rotates: group 2 (C0 C1 D0-D3) and SHLD/SHRD (0F A4 A5 AC AD).
 *
 * Each operation is a small function computing the result and the flags
 * it defines; the handlers read the operand, call it, write the result and
 * only then commit the flags (a faulting write must leave them intact).
 * Flags follow a P6 where the manual leaves them undefined: OF is computed
 * for every non-zero count with the count-1 formula, AF is cleared by the
 * shifts, and rotates change only CF and OF. */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/pickers.h"

typedef struct ShiftOut {
    uint32_t res;
    uint32_t cf_of;     /* FLAG_CF / FLAG_OF */
    bool rotate;        /* only CF and OF change */
    bool changed;       /* false: a zero count, nothing happens */
} ShiftOut;

/* The operations inline into each handler (one per operation and width). */
#define SHIFT_OP static inline __attribute__((always_inline)) ShiftOut

static uint32_t msb(uint32_t v, unsigned w) { return (v >> (w - 1)) & 1; }
static uint32_t mask_of(unsigned w) { return w == 32 ? 0xFFFFFFFFu : (1u << w) - 1; }

SHIFT_OP shift_rol(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    (void)cf_in;
    ShiftOut o = { a, 0, true, count != 0 };
    if (!count)
        return o;
    unsigned c = count % w;
    if (c)
        o.res = ((a << c) | (a >> (w - c))) & mask_of(w);
    uint32_t cf = o.res & 1;
    o.cf_of = (cf ? FLAG_CF : 0) | ((cf ^ msb(o.res, w)) ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_ror(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    (void)cf_in;
    ShiftOut o = { a, 0, true, count != 0 };
    if (!count)
        return o;
    unsigned c = count % w;
    if (c)
        o.res = ((a >> c) | (a << (w - c))) & mask_of(w);
    uint32_t cf = msb(o.res, w);
    o.cf_of = (cf ? FLAG_CF : 0) | ((cf ^ ((o.res >> (w - 2)) & 1)) ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_rcl(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    ShiftOut o = { a, 0, true, false };
    unsigned c = w == 32 ? count : count % (w + 1);
    if (!c)
        return o;
    o.changed = true;
    /* Rotate the (w+1)-bit value CF:a left by c. */
    uint64_t v = (uint64_t)a | (uint64_t)cf_in << w;
    uint64_t m = ((uint64_t)1 << (w + 1)) - 1;
    v = ((v << c) | (v >> (w + 1 - c))) & m;
    o.res = (uint32_t)v & mask_of(w);
    uint32_t cf = (uint32_t)(v >> w) & 1;
    o.cf_of = (cf ? FLAG_CF : 0) | ((cf ^ msb(o.res, w)) ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_rcr(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    ShiftOut o = { a, 0, true, false };
    unsigned c = w == 32 ? count : count % (w + 1);
    if (!c)
        return o;
    o.changed = true;
    uint64_t v = (uint64_t)a | (uint64_t)cf_in << w;
    uint64_t m = ((uint64_t)1 << (w + 1)) - 1;
    v = ((v >> c) | (v << (w + 1 - c))) & m;
    o.res = (uint32_t)v & mask_of(w);
    uint32_t cf = (uint32_t)(v >> w) & 1;
    o.cf_of = (cf ? FLAG_CF : 0) | ((msb(o.res, w) ^ ((o.res >> (w - 2)) & 1)) ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_shl(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    (void)cf_in;
    ShiftOut o = { a, 0, false, count != 0 };
    if (!count)
        return o;
    uint32_t cf;
    if (count <= w) {
        o.res = (uint32_t)(((uint64_t)a << count) & mask_of(w));
        cf = (a >> (w - count)) & 1;
    } else {
        o.res = 0;
        cf = 0;
    }
    o.cf_of = (cf ? FLAG_CF : 0) | ((cf ^ msb(o.res, w)) ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_shr(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    (void)cf_in;
    ShiftOut o = { a, 0, false, count != 0 };
    if (!count)
        return o;
    uint32_t cf;
    if (count <= w) {
        o.res = (uint32_t)((uint64_t)a >> count);
        cf = (a >> (count - 1)) & 1;
    } else {
        o.res = 0;
        cf = 0;
    }
    uint32_t of = ((o.res << 1) ^ o.res) >> (w - 1) & 1;
    o.cf_of = (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0);
    return o;
}

SHIFT_OP shift_sar(uint32_t a, unsigned count, unsigned w, bool cf_in)
{
    (void)cf_in;
    ShiftOut o = { a, 0, false, count != 0 };
    if (!count)
        return o;
    int32_t s = (int32_t)(a << (32 - w)) >> (32 - w);   /* sign-extend */
    unsigned c = count < w ? count : w - 1;
    o.res = (uint32_t)(s >> c) & mask_of(w);
    uint32_t cf = count < w ? (uint32_t)(s >> (count - 1)) & 1 : (uint32_t)(s < 0);
    o.cf_of = cf ? FLAG_CF : 0;
    return o;
}

static uint32_t width_flag(unsigned w)
{
    return w == 8 ? LF_W8 : w == 16 ? LF_W16 : LF_W32;
}

/* Rotates change only CF and OF. Rather than settling the lazy flags, a
 * pending result becomes an explicit one: SF/ZF/PF still come from its
 * res and width, AF is carried over and CF/OF replaced. The hashing loops
 * (SHA-2, BLAKE2) spend much of their time here. */
static inline void rotate_set_cf_of(Cpu *cpu, uint32_t cf_of)
{
    uint32_t kind = cpu->lf.kind, af;
    switch (kind & LF_KIND_MASK) {
    case LF_NONE:
        cpu->eflags = (cpu->eflags & ~(FLAG_CF | FLAG_OF)) | cf_of;
        return;
    case LF_LOGIC: af = 0; break;
    case LF_EXPLICIT: af = cpu->lf.aux & FLAG_AF; break;
    case LF_ADD: case LF_SUB: af = (cpu->lf.dst ^ cpu->lf.src ^ cpu->lf.res) & FLAG_AF; break;
    default: af = flags_get_af(cpu) ? FLAG_AF : 0; break;
    }
    cpu->lf.kind = LF_EXPLICIT | (kind & ~LF_KIND_MASK);
    cpu->lf.aux = af | cf_of;
}

static void shift_commit_flags(Cpu *cpu, const ShiftOut *o, unsigned w)
{
    if (o->rotate) {
        rotate_set_cf_of(cpu, o->cf_of);
    } else {
        flags_explicit(cpu, width_flag(w), o->res, o->cf_of);
    }
}

/* Count: 1 (D0/D1), CL (D2/D3), or the immediate (C0/C1), masked to 5 bits. */
static unsigned shift_count(const Cpu *cpu, const Insn *in)
{
    switch (in->opcode) {
    case 0xD0: case 0xD1: return 1;
    case 0xD2: case 0xD3: return cpu->gpr[R_ECX] & 0x1F;
    default: return in->imm & 0x1F;
    }
}

static uint32_t reg_get(const Cpu *cpu, unsigned r, unsigned w)
{
    return w == 8 ? reg8_get(cpu, r) : w == 16 ? reg16_get(cpu, r) : cpu->gpr[r];
}

static void reg_set(Cpu *cpu, unsigned r, unsigned w, uint32_t v)
{
    if (w == 8)
        reg8_set(cpu, r, (uint8_t)v);
    else if (w == 16)
        reg16_set(cpu, r, (uint16_t)v);
    else
        cpu->gpr[r] = v;
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

/* The operation of ModRM.reg; called with a constant op, it inlines to the
 * one operation (only RCL/RCR read CF, so only they settle the lazy flags). */
SHIFT_OP shift_by_op(const Cpu *cpu, unsigned op, uint32_t a, unsigned count, unsigned w)
{
    switch (op) {
    case 0: return shift_rol(a, count, w, false);
    case 1: return shift_ror(a, count, w, false);
    case 2: return shift_rcl(a, count, w, flags_get_cf(cpu));
    case 3: return shift_rcr(a, count, w, flags_get_cf(cpu));
    case 5: return shift_shr(a, count, w, false);
    case 7: return shift_sar(a, count, w, false);
    default: return shift_shl(a, count, w, false);
    }
}

static inline __attribute__((always_inline)) const Insn *shift_reg_run(Cpu *cpu, const Insn *in,
                                                                       unsigned op, unsigned w)
{
    unsigned count = shift_count(cpu, in);
    if (!count)
        return insn_next(cpu, in);
    ShiftOut o = shift_by_op(cpu, op, reg_get(cpu, in->rm, w), count, w);
    reg_set(cpu, in->rm, w, o.res);
    if (o.changed)   /* RCL/RCR by a multiple of 9 or 17 change nothing */
        shift_commit_flags(cpu, &o, w);
    return insn_next(cpu, in);
}

static inline __attribute__((always_inline)) const Insn *shift_mem_run(Cpu *cpu, const Insn *in,
                                                                       unsigned op, unsigned w)
{
    unsigned count = shift_count(cpu, in);
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = mem_get(cpu, in, ea, w);
    if (!count)
        return insn_next(cpu, in);   /* the read still happens (and may fault) */
    ShiftOut o = shift_by_op(cpu, op, a, count, w);
    mem_set(cpu, in, ea, w, o.res);
    if (o.changed)
        shift_commit_flags(cpu, &o, w);
    return insn_next(cpu, in);
}

/* One handler per operation, width and operand kind: the group-2 forms
 * without a fast path below (8- and 16-bit, memory, rotates by 1 or CL)
 * then make no indirect call and no width tests. */
#define SHIFT_FORMS(op, w)                                                  \
    static const Insn *op_shift_reg_##op##_##w(Cpu *cpu, const Insn *in)    \
    {                                                                       \
        return shift_reg_run(cpu, in, op, w);                               \
    }                                                                       \
    static const Insn *op_shift_mem_##op##_##w(Cpu *cpu, const Insn *in)    \
    {                                                                       \
        return shift_mem_run(cpu, in, op, w);                               \
    }
#define SHIFT_WIDTHS(op) SHIFT_FORMS(op, 8) SHIFT_FORMS(op, 16) SHIFT_FORMS(op, 32)
SHIFT_WIDTHS(0) SHIFT_WIDTHS(1) SHIFT_WIDTHS(2) SHIFT_WIDTHS(3)
SHIFT_WIDTHS(4) SHIFT_WIDTHS(5) SHIFT_WIDTHS(7)

#define SHIFT_ROW(kind, op) \
    { op_shift_##kind##_##op##_8, op_shift_##kind##_##op##_16, op_shift_##kind##_##op##_32 }
/* [mem][ModRM.reg][8, 16, 32]; /6 SAL is SHL. */
static const InsnFn shift_handlers[2][8][3] = {
    { SHIFT_ROW(reg, 0), SHIFT_ROW(reg, 1), SHIFT_ROW(reg, 2), SHIFT_ROW(reg, 3),
      SHIFT_ROW(reg, 4), SHIFT_ROW(reg, 5), SHIFT_ROW(reg, 4), SHIFT_ROW(reg, 7) },
    { SHIFT_ROW(mem, 0), SHIFT_ROW(mem, 1), SHIFT_ROW(mem, 2), SHIFT_ROW(mem, 3),
      SHIFT_ROW(mem, 4), SHIFT_ROW(mem, 5), SHIFT_ROW(mem, 4), SHIFT_ROW(mem, 7) },
};

/* Fast paths for the commonest shifts: SHL/SHR/SAR/ROL/ROR r32 by an immediate. */
static const Insn *op_shl_r32_imm(Cpu *cpu, const Insn *in)
{
    unsigned c = in->imm & 0x1F;
    if (c) {
        uint32_t a = cpu->gpr[in->rm], r = a << c, cf = (a >> (32 - c)) & 1;
        cpu->gpr[in->rm] = r;
        flags_explicit(cpu, LF_W32, r, (cf ? FLAG_CF : 0) | ((cf ^ (r >> 31)) ? FLAG_OF : 0));
    }
    return insn_next(cpu, in);
}

static const Insn *op_shr_r32_imm(Cpu *cpu, const Insn *in)
{
    unsigned c = in->imm & 0x1F;
    if (c) {
        uint32_t a = cpu->gpr[in->rm], r = a >> c, cf = (a >> (c - 1)) & 1;
        cpu->gpr[in->rm] = r;
        uint32_t of = (((r << 1) ^ r) >> 31) & 1;
        flags_explicit(cpu, LF_W32, r, (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0));
    }
    return insn_next(cpu, in);
}

static const Insn *op_sar_r32_imm(Cpu *cpu, const Insn *in)
{
    unsigned c = in->imm & 0x1F;
    if (c) {
        int32_t a = (int32_t)cpu->gpr[in->rm];
        uint32_t r = (uint32_t)(a >> c), cf = (uint32_t)(a >> (c - 1)) & 1;
        cpu->gpr[in->rm] = r;
        flags_explicit(cpu, LF_W32, r, cf ? FLAG_CF : 0);
    }
    return insn_next(cpu, in);
}

static inline void rotate_commit_flags(Cpu *cpu, uint32_t cf, uint32_t of)
{
    rotate_set_cf_of(cpu, (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0));
}

static const Insn *op_rol_r32_imm(Cpu *cpu, const Insn *in)
{
    unsigned c = in->imm & 0x1F;
    if (c) {
        uint32_t a = cpu->gpr[in->rm], r = (a << c) | (a >> (32 - c));
        cpu->gpr[in->rm] = r;
        rotate_commit_flags(cpu, r & 1, (r & 1) ^ (r >> 31));
    }
    return insn_next(cpu, in);
}

static const Insn *op_ror_r32_imm(Cpu *cpu, const Insn *in)
{
    unsigned c = in->imm & 0x1F;
    if (c) {
        uint32_t a = cpu->gpr[in->rm], r = (a >> c) | (a << (32 - c));
        cpu->gpr[in->rm] = r;
        rotate_commit_flags(cpu, r >> 31, ((r >> 31) ^ (r >> 30)) & 1);
    }
    return insn_next(cpu, in);
}

InsnFn pick_group2(const DecodeCtx *d)
{
    if (!d->mem && d->opcode == 0xC1 && d->op32) {
        switch (d->reg) {
        case 0: return op_rol_r32_imm;
        case 1: return op_ror_r32_imm;
        case 4: case 6: return op_shl_r32_imm;
        case 5: return op_shr_r32_imm;
        case 7: return op_sar_r32_imm;
        default: break;
        }
    }
    unsigned wi = !(d->opcode & 1) ? 0 : d->op32 ? 2 : 1;
    return shift_handlers[d->mem][d->reg & 7][wi];
}

/* ======== SHLD / SHRD ======== */

static ShiftOut double_shift(uint32_t a, uint32_t b, unsigned c, unsigned w, bool left)
{
    ShiftOut o = { a, 0, false, c != 0 };
    if (!c)
        return o;
    uint32_t cf, of;
    if (w == 32) {
        if (left) {
            o.res = (a << c) | (c ? b >> (32 - c) : 0);
            cf = (a >> (32 - c)) & 1;
            of = cf ^ (o.res >> 31);
        } else {
            o.res = (a >> c) | (b << (32 - c));
            cf = (a >> (c - 1)) & 1;
            of = (((o.res << 1) ^ o.res) >> 31) & 1;
        }
    } else if (left) {
        /* a:b shifted as 32 bits; beyond 16 the P6 shifts in a again. */
        uint32_t t = a << 16 | b;
        uint32_t r = t << c;
        if (c > 16)
            r |= a << (c - 16);
        o.res = (r >> 16) & 0xFFFF;
        cf = (t >> (32 - c)) & 1;
        of = cf ^ (o.res >> 15);
    } else {
        uint32_t t = b << 16 | a;
        uint32_t r = t >> c;
        if (c > 16)
            r |= a << (32 - c);
        o.res = r & 0xFFFF;
        cf = (a >> ((c - 1) & 31)) & 1;
        if (c > 16)
            cf = (b >> (c - 17)) & 1;
        of = (((o.res << 1) ^ o.res) >> 15) & 1;
    }
    o.cf_of = (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0);
    return o;
}

static unsigned shxd_count(const Cpu *cpu, const Insn *in)
{
    bool by_cl = in->opcode == 0x1A5 || in->opcode == 0x1AD;
    return (by_cl ? cpu->gpr[R_ECX] : in->imm) & 0x1F;
}

static const Insn *op_shxd_reg(Cpu *cpu, const Insn *in)
{
    unsigned w = (in->flags & INSN_OP32) ? 32 : 16, c = shxd_count(cpu, in);
    bool left = in->opcode <= 0x1A5;
    if (!c)
        return insn_next(cpu, in);
    ShiftOut o = double_shift(reg_get(cpu, in->rm, w), reg_get(cpu, in->reg, w), c, w, left);
    reg_set(cpu, in->rm, w, o.res);
    shift_commit_flags(cpu, &o, w);
    return insn_next(cpu, in);
}

static const Insn *op_shxd_mem(Cpu *cpu, const Insn *in)
{
    unsigned w = (in->flags & INSN_OP32) ? 32 : 16, c = shxd_count(cpu, in);
    bool left = in->opcode <= 0x1A5;
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = mem_get(cpu, in, ea, w);
    if (!c)
        return insn_next(cpu, in);
    ShiftOut o = double_shift(a, reg_get(cpu, in->reg, w), c, w, left);
    mem_set(cpu, in, ea, w, o.res);
    shift_commit_flags(cpu, &o, w);
    return insn_next(cpu, in);
}

InsnFn pick_shxd(const DecodeCtx *d)
{
    return d->mem ? op_shxd_mem : op_shxd_reg;
}
