/* SPDX-License-Identifier: MIT */
/* The x87 instruction set (D8-DF, WAIT, and FXSAVE/FXRSTOR in 0F AE) on the
 * sf80 soft-float core and its transcendentals (sf80_trans.c).
 *
 * Every instruction: #NM under CR0.EM/TS; waiting instructions first
 * report a pending unmasked exception (#MF with CR0.NE, else FERR# on IRQ
 * 13 and the instruction goes on, as with IGNNE# on a PC); then the stack
 * checks (overflow/underflow are IE with SF), the operation, and the
 * exception update: masked exceptions deliver their default result,
 * unmasked IE/DE/ZE leave the destination alone, and any unmasked one sets
 * ES and B for the next waiting instruction. */
#include "fpu/fpu.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "fpu/sf80_trans.h"
#include "fpu/sfp.h"
#include "cpu/pickers.h"

/* Constants: 1, log2(10), log2(e), pi, log10(2), ln(2) (round to nearest). */
static const F80 k_one = { 0x8000000000000000ull, 0x3FFF };
static const F80 k_l2t = { 0xD49A784BCD1B8AFEull, 0x4000 };
static const F80 k_l2e = { 0xB8AA3B295C17F0BCull, 0x3FFF };
static const F80 k_pi = { 0xC90FDAA22168C235ull, 0x4000 };
static const F80 k_lg2 = { 0x9A209A84FBCFF799ull, 0x3FFD };
static const F80 k_ln2 = { 0xB17217F7D1CF79ACull, 0x3FFE };

FpuState *fpu_new(void)
{
    FpuState *f = calloc(1, sizeof *f);
    if (f)
        fpu_reset(f);
    return f;
}

void fpu_reset(FpuState *f)
{
    memset(f, 0, sizeof *f);
    f->mxcsr = MX_RESET;
    f->cw = 0x0040;
    f->tw = 0x5555;   /* every register a valid zero */
}

void fpu_init(FpuState *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->tw = 0xFFFF;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

/* --- state helpers --- */

static unsigned top(const FpuState *f) { return (f->sw >> FSW_TOP_SHIFT) & 7; }
static void set_top(FpuState *f, unsigned t)
{
    f->sw = (uint16_t)((f->sw & ~(7u << FSW_TOP_SHIFT)) | (t & 7) << FSW_TOP_SHIFT);
}
static unsigned phys(const FpuState *f, unsigned i) { return (top(f) + i) & 7; }
static unsigned tag_of_phys(const FpuState *f, unsigned p) { return (f->tw >> (2 * p)) & 3; }
static void set_tag_phys(FpuState *f, unsigned p, unsigned t)
{
    f->tw = (uint16_t)((f->tw & ~(3u << (2 * p))) | (t & 3) << (2 * p));
}
static bool empty(const FpuState *f, unsigned i) { return tag_of_phys(f, phys(f, i)) == TAG_EMPTY; }

static unsigned tag_for(F80 v)
{
    switch (sf80_class(v)) {
    case SF_CLASS_ZERO: return TAG_ZERO;
    case SF_CLASS_NORMAL: return TAG_VALID;
    default: return TAG_SPECIAL;
    }
}

static F80 st(const FpuState *f, unsigned i) { return f->regs[phys(f, i)]; }
static void set_st(FpuState *f, unsigned i, F80 v)
{
    unsigned p = phys(f, i);
    f->regs[p] = v;
    set_tag_phys(f, p, tag_for(v));
}

static void pop(FpuState *f)
{
    set_tag_phys(f, phys(f, 0), TAG_EMPTY);
    set_top(f, top(f) + 1);
}

static Sf80Ctx ctx(const FpuState *f)
{
    return (Sf80Ctx){ .rc = (f->cw >> 10) & 3, .pc = (f->cw >> 8) & 3, .masks = f->cw & 0x3F };
}

/* Raise FERR# (IRQ 13 through the machine) when CR0.NE is clear. */
static void raise_ferr(Cpu *cpu, FpuState *f)
{
    if (!(cpu->cr0 & CR0_NE) && !f->ferr) {
        f->ferr = true;
        if (cpu->ferr)
            cpu->ferr(cpu->ferr_opaque, true);
    }
}

/* Merge the flags of an operation. Returns false when an unmasked
 * exception that suppresses the result (IE, DE, ZE) happened. */
static bool commit_flags(Cpu *cpu, FpuState *f, const Sf80Ctx *c)
{
    uint16_t ex = c->flags & 0x3F;
    f->sw = (uint16_t)((f->sw & ~FSW_C1) | ex | ((c->flags & SF_C1) ? FSW_C1 : 0));
    uint16_t unmasked = ex & ~f->cw & 0x3F;
    if (unmasked) {
        f->sw |= FSW_ES | FSW_B;
        raise_ferr(cpu, f);
    }
    return !(unmasked & (SF_IE | SF_DE | SF_ZE));
}

/* After CW or SW are loaded: ES and B follow the unmasked flags, and a
 * newly pending exception raises FERR#. */
static void update_pending(Cpu *cpu, FpuState *f)
{
    if (f->sw & ~f->cw & 0x3F) {
        f->sw |= FSW_ES | FSW_B;
        raise_ferr(cpu, f);
    } else {
        f->sw &= (uint16_t)~(FSW_ES | FSW_B);
    }
}

/* Stack fault: IE with SF; C1 tells overflow (1) from underflow (0). */
static bool stack_fault(Cpu *cpu, FpuState *f, bool overflow)
{
    f->sw = (uint16_t)((f->sw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0));
    if (!(f->cw & FSW_IE)) {
        f->sw |= FSW_ES | FSW_B;
        raise_ferr(cpu, f);
        return false;
    }
    return true;   /* masked: go on with the indefinite */
}

/* Push; false when an unmasked stack overflow stops the instruction. */
static bool push(Cpu *cpu, FpuState *f, F80 v)
{
    unsigned t = (top(f) - 1) & 7;
    if (tag_of_phys(f, t) != TAG_EMPTY) {
        if (!stack_fault(cpu, f, true))
            return false;
        v = sf80_indefinite;
    }
    set_top(f, t);
    set_st(f, 0, v);
    return true;
}

/* --- entry checks --- */

static FpuState *fpu_enter(Cpu *cpu, const Insn *in, bool waiting, bool control)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    FpuState *f = cpu->fpu;
    if (waiting && (f->sw & FSW_ES)) {
        if (cpu->cr0 & CR0_NE)
            cpu_fault(cpu, EXC_MF, NO_ERRCODE);
        /* CR0.NE clear: FERR# is up; IGNNE# lets the instruction run. */
    }
    if (!control) {
        f->fip = cpu->eip;
        f->fcs = cpu->seg[SEG_CS].sel;
        f->fop = (uint16_t)(((in->opcode & 7) << 8) |
                            (in->flags & INSN_MEM ? 0 : 0xC0) | in->reg << 3 | in->rm);
        if (in->flags & INSN_MEM) {
            f->fdp = insn_ea(cpu, in);
            f->fds = cpu->seg[in->seg].sel;
        }
    }
    return f;
}

/* --- memory operands --- */

static F80 read_m80(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    uint64_t m = cpu_read64(cpu, in->seg, ea);
    uint16_t se = cpu_read16(cpu, in->seg, ea + 8);
    return (F80){ m, se };
}

static void write_m80(Cpu *cpu, const Insn *in, F80 v)
{
    uint32_t ea = insn_ea(cpu, in);
    cpu_check_access(cpu, in->seg, ea, 10, true, true);
    cpu_write64(cpu, in->seg, ea, v.mant);
    cpu_write16(cpu, in->seg, ea + 8, v.se);
}

/* The memory source of an arithmetic instruction by opcode: D8 m32real,
 * DA m32int, DC m64real, DE m16int. */
static F80 read_arith_source(Cpu *cpu, const Insn *in, Sf80Ctx *c)
{
    uint32_t ea = insn_ea(cpu, in);
    switch (in->opcode) {
    case 0xD8: return sf80_from_f32(c, cpu_read32(cpu, in->seg, ea));
    case 0xDC: return sf80_from_f64(c, cpu_read64(cpu, in->seg, ea));
    case 0xDA: return sf80_from_i64((int32_t)cpu_read32(cpu, in->seg, ea));
    default: return sf80_from_i64((int16_t)cpu_read16(cpu, in->seg, ea));
    }
}

/* --- arithmetic --- */

enum { OP_ADD, OP_MUL, OP_COM, OP_COMP, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR };

static F80 arith(Sf80Ctx *c, unsigned op, F80 a, F80 b)
{
    switch (op) {
    case OP_ADD: return sf80_add(c, a, b);
    case OP_MUL: return sf80_mul(c, a, b);
    case OP_SUB: return sf80_sub(c, a, b);
    case OP_SUBR: return sf80_sub(c, b, a);
    case OP_DIV: return sf80_div(c, a, b);
    default: return sf80_div(c, b, a);
    }
}

static void set_compare_flags(FpuState *f, int rel)
{
    uint16_t cc = rel == 2 ? (FSW_C3 | FSW_C2 | FSW_C0) : rel < 0 ? FSW_C0 : rel == 0 ? FSW_C3 : 0;
    f->sw = (uint16_t)((f->sw & ~(FSW_C0 | FSW_C2 | FSW_C3)) | cc);
}

/* ST(0) op source; for COM/COMP only the condition codes. */
static void arith_st0(Cpu *cpu, FpuState *f, unsigned op, F80 src, bool src_empty, Sf80Ctx *c)
{
    if (empty(f, 0) || src_empty) {
        if (!stack_fault(cpu, f, false))
            return;
        if (op == OP_COM || op == OP_COMP)
            set_compare_flags(f, 2);
        else
            set_st(f, 0, sf80_indefinite);
        if (op == OP_COMP)
            pop(f);
        return;
    }
    if (op == OP_COM || op == OP_COMP) {
        int rel = sf80_compare(c, st(f, 0), src, false);
        if (commit_flags(cpu, f, c))
            set_compare_flags(f, rel);
        if (op == OP_COMP)
            pop(f);
        return;
    }
    F80 r = arith(c, op, st(f, 0), src);
    if (commit_flags(cpu, f, c))
        set_st(f, 0, r);
}

/* The flags a float32/float64 source's conversion contributes. A denormal
 * source raises DE as an 80-bit denormal operand would, which is not when
 * ST(0) is a NaN or unsupported (IE or the NaN comes first) nor when the
 * operation divides by a zero ST(0) (ZE alone): measured on a host x87. */
static uint16_t source_flags(const FpuState *f, unsigned op, const Sf80Ctx *conv)
{
    if (!(conv->flags & SF_DE))
        return conv->flags;
    int cls = sf80_class(st(f, 0));
    if (cls == SF_CLASS_NAN || cls == SF_CLASS_UNSUPPORTED || (op == OP_DIVR && cls == SF_CLASS_ZERO))
        return conv->flags & (uint16_t)~SF_DE;
    return conv->flags;
}

/* D8 / DA / DC / DE with a memory operand */
static const Insn *op_arith_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx conv = ctx(f), c = ctx(f);
    F80 src = read_arith_source(cpu, in, &conv);
    /* A stack underflow comes first, as the exception priorities have it.
     * Then an unmasked IE (SNaN) or DE (denormal) of the conversion ends
     * the instruction: no later flag is raised and ST(0) is kept. */
    if (!empty(f, 0)) {
        c.flags = source_flags(f, in->reg, &conv);
        if (c.flags & ~f->cw & (SF_IE | SF_DE)) {
            commit_flags(cpu, f, &c);
            return insn_next(cpu, in);
        }
    }
    arith_st0(cpu, f, in->reg, src, false, &c);
    return insn_next(cpu, in);
}

/* D8 /r with a register: ST(0) = ST(0) op ST(i) */
static const Insn *op_arith_st0_sti(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    arith_st0(cpu, f, in->reg, st(f, in->rm), empty(f, in->rm), &c);
    return insn_next(cpu, in);
}

/* DC / DE with a register: ST(i) = ST(i) op ST(0), the SUB and DIV pairs
 * swapped as the encoding has them; DE pops. */
static const Insn *op_arith_sti_st0(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    static const uint8_t map[8] = { OP_ADD, OP_MUL, OP_COM, OP_COMP, OP_SUBR, OP_SUB, OP_DIVR, OP_DIV };
    unsigned op = map[in->reg];
    bool popping = in->opcode == 0xDE;
    if (op == OP_COM || op == OP_COMP) {
        /* DC D0-DF: FCOM/FCOMP aliases; DE D9: FCOMPP */
        arith_st0(cpu, f, op, st(f, in->rm), empty(f, in->rm), &c);
        if (popping)
            pop(f);
        return insn_next(cpu, in);
    }
    if (empty(f, 0) || empty(f, in->rm)) {
        if (stack_fault(cpu, f, false)) {
            set_st(f, in->rm, sf80_indefinite);
            if (popping)
                pop(f);
        }
        return insn_next(cpu, in);
    }
    F80 r = arith(&c, op, st(f, in->rm), st(f, 0));
    if (commit_flags(cpu, f, &c)) {
        set_st(f, in->rm, r);
        if (popping)
            pop(f);
    }
    return insn_next(cpu, in);
}

/* --- loads and stores --- */

static const Insn *op_fld_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    uint32_t ea = insn_ea(cpu, in);
    F80 v;
    switch (in->opcode << 3 | in->reg) {
    case 0xD9 << 3 | 0: v = sf80_from_f32(&c, cpu_read32(cpu, in->seg, ea)); break;
    case 0xDD << 3 | 0: v = sf80_from_f64(&c, cpu_read64(cpu, in->seg, ea)); break;
    case 0xDB << 3 | 5: v = read_m80(cpu, in); break;
    case 0xDB << 3 | 0: v = sf80_from_i64((int32_t)cpu_read32(cpu, in->seg, ea)); break;
    case 0xDF << 3 | 0: v = sf80_from_i64((int16_t)cpu_read16(cpu, in->seg, ea)); break;
    case 0xDF << 3 | 5: v = sf80_from_i64((int64_t)cpu_read64(cpu, in->seg, ea)); break;
    default: {   /* DF /4 FBLD */
        uint8_t bcd[10];
        for (int i = 0; i < 10; i++)
            bcd[i] = cpu_read8(cpu, in->seg, ea + (uint32_t)i);
        v = sf80_from_bcd(bcd);
        break;
    }
    }
    /* Only an unmasked IE (SNaN) stops a load: a denormal float32/float64
     * is loaded, normalized, even when DE is unmasked (measured). */
    commit_flags(cpu, f, &c);
    if (!(c.flags & ~f->cw & SF_IE))
        push(cpu, f, v);
    return insn_next(cpu, in);
}

static const Insn *op_fld_sti(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    F80 v = st(f, in->rm);
    if (empty(f, in->rm)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        v = sf80_indefinite;
    }
    f->sw &= (uint16_t)~FSW_C1;   /* no rounding; an overflow sets it again */
    push(cpu, f, v);
    return insn_next(cpu, in);
}

/* FST/FSTP/FIST/FISTP/FBSTP to memory. The value is converted first; an
 * unmasked exception leaves memory alone. */
static const Insn *op_fst_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    uint32_t ea = insn_ea(cpu, in);
    unsigned form = in->opcode << 3 | in->reg;
    bool popping = form == (0xD9u << 3 | 3) || form == (0xDDu << 3 | 3) || form == (0xDBu << 3 | 7) ||
                   form == (0xDBu << 3 | 3) || form == (0xDFu << 3 | 3) || form == (0xDFu << 3 | 7) ||
                   form == (0xDFu << 3 | 6);
    F80 v = st(f, 0);
    if (empty(f, 0)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        v = sf80_indefinite;
    }
    switch (form) {
    case 0xD9 << 3 | 2: case 0xD9 << 3 | 3: {
        uint32_t x = sf80_to_f32(&c, v);
        if (!commit_flags(cpu, f, &c) || (c.flags & ~f->cw & (SF_OE | SF_UE)))
            return insn_next(cpu, in);
        cpu_write32(cpu, in->seg, ea, x);
        break;
    }
    case 0xDD << 3 | 2: case 0xDD << 3 | 3: {
        uint64_t x = sf80_to_f64(&c, v);
        if (!commit_flags(cpu, f, &c) || (c.flags & ~f->cw & (SF_OE | SF_UE)))
            return insn_next(cpu, in);
        cpu_write64(cpu, in->seg, ea, x);
        break;
    }
    case 0xDB << 3 | 7:
        write_m80(cpu, in, v);
        f->sw &= (uint16_t)~FSW_C1;   /* exact: C1 = 0 (measured) */
        break;
    case 0xDB << 3 | 2: case 0xDB << 3 | 3: {
        int64_t x = sf80_to_int(&c, v, 32);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
        cpu_write32(cpu, in->seg, ea, (uint32_t)x);
        break;
    }
    case 0xDF << 3 | 2: case 0xDF << 3 | 3: {
        int64_t x = sf80_to_int(&c, v, 16);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
        cpu_write16(cpu, in->seg, ea, (uint16_t)x);
        break;
    }
    case 0xDF << 3 | 7: {
        int64_t x = sf80_to_int(&c, v, 64);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
        cpu_write64(cpu, in->seg, ea, (uint64_t)x);
        break;
    }
    default: {   /* DF /6 FBSTP */
        uint8_t bcd[10];
        sf80_to_bcd(&c, v, bcd);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
        cpu_check_access(cpu, in->seg, ea, 10, true, true);
        for (int i = 0; i < 10; i++)
            cpu_write8(cpu, in->seg, ea + (uint32_t)i, bcd[i]);
        break;
    }
    }
    if (popping)
        pop(f);
    return insn_next(cpu, in);
}

/* FISTTP m16/m32/m64 (SSE3: DF /1, DB /1, DD /1): FISTP that always
 * truncates, whatever CW.RC says. */
static const Insn *op_fisttp(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    c.rc = SF_RC_ZERO;
    uint32_t ea = insn_ea(cpu, in);
    unsigned bits = in->opcode == 0xDF ? 16 : in->opcode == 0xDB ? 32 : 64;
    F80 v = st(f, 0);
    if (empty(f, 0)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        v = sf80_indefinite;
    }
    int64_t x = sf80_to_int(&c, v, bits);
    if (!commit_flags(cpu, f, &c))
        return insn_next(cpu, in);
    if (bits == 16)
        cpu_write16(cpu, in->seg, ea, (uint16_t)x);
    else if (bits == 32)
        cpu_write32(cpu, in->seg, ea, (uint32_t)x);
    else
        cpu_write64(cpu, in->seg, ea, (uint64_t)x);
    pop(f);
    return insn_next(cpu, in);
}

/* DD /2 /3 (and the DF D0-DF aliases): FST / FSTP ST(i) */
static const Insn *op_fst_sti(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    bool popping = !(in->opcode == 0xDD && in->reg == 2);
    F80 v = st(f, 0);
    if (empty(f, 0)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        v = sf80_indefinite;
    }
    set_st(f, in->rm, v);
    f->sw &= (uint16_t)~FSW_C1;
    if (popping)
        pop(f);
    return insn_next(cpu, in);
}

static const Insn *op_fxch(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    if (empty(f, 0) || empty(f, in->rm)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        if (empty(f, 0))
            set_st(f, 0, sf80_indefinite);
        if (empty(f, in->rm))
            set_st(f, in->rm, sf80_indefinite);
    }
    F80 a = st(f, 0), b = st(f, in->rm);
    set_st(f, 0, b);
    set_st(f, in->rm, a);
    f->sw &= (uint16_t)~FSW_C1;
    return insn_next(cpu, in);
}

/* FCMOVcc (DA / DB C0-DF) */
static const Insn *op_fcmov(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    static const uint8_t cc[4] = { 2, 4, 6, 10 };   /* B, E, BE, P */
    bool cond = flags_cond(cpu, cc[in->reg & 3]);
    if (in->opcode == 0xDB)
        cond = !cond;
    if (empty(f, 0) || empty(f, in->rm)) {
        if (stack_fault(cpu, f, false) && cond)
            set_st(f, 0, sf80_indefinite);
        return insn_next(cpu, in);
    }
    if (cond)
        set_st(f, 0, st(f, in->rm));
    return insn_next(cpu, in);
}

/* FUCOM/FUCOMP (DD E0-EF), FUCOMPP (DA E9) */
static const Insn *op_fucom(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    unsigned pops = in->opcode == 0xDA ? 2 : in->reg == 5 ? 1 : 0;
    unsigned i = in->opcode == 0xDA ? 1 : in->rm;
    if (empty(f, 0) || empty(f, i)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        set_compare_flags(f, 2);
    } else {
        int rel = sf80_compare(&c, st(f, 0), st(f, i), true);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
        set_compare_flags(f, rel);
    }
    while (pops--)
        pop(f);
    return insn_next(cpu, in);
}

/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result goes to ZF, PF, CF. */
static const Insn *op_fcomi(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    bool quiet = in->reg == 5;
    bool popping = in->opcode == 0xDF;
    int rel;
    if (empty(f, 0) || empty(f, in->rm)) {
        if (!stack_fault(cpu, f, false))
            return insn_next(cpu, in);
        rel = 2;
    } else {
        rel = sf80_compare(&c, st(f, 0), st(f, in->rm), quiet);
        if (!commit_flags(cpu, f, &c))
            return insn_next(cpu, in);
    }
    uint32_t fl = rel == 2 ? FLAG_ZF | FLAG_PF | FLAG_CF : rel < 0 ? FLAG_CF : rel == 0 ? FLAG_ZF : 0;
    flags_write(cpu, fl, FLAG_ZF | FLAG_PF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF);
    if (popping)
        pop(f);
    return insn_next(cpu, in);
}

/* --- transcendental instructions (D9 F0-F3, F9, FB, FE, FF) --- */

static void set_c2(FpuState *f, bool on)
{
    f->sw = (uint16_t)((f->sw & ~FSW_C2) | (on ? FSW_C2 : 0));
}

/* The operand-range reply of FSIN/FCOS/FSINCOS/FPTAN for |x| >= 2^63:
 * C2 set, the stack and the exception flags as they were, C1 cleared. */
static void out_of_range(FpuState *f)
{
    f->sw &= (uint16_t)~FSW_C1;
    set_c2(f, true);
}

typedef bool (*RangedFn)(Sf80Ctx *c, F80 x, F80 *r);

/* FSIN, FCOS: ST(0) = fn(ST(0)). */
static void trans_ranged(Cpu *cpu, FpuState *f, Sf80Ctx *c, RangedFn fn)
{
    set_c2(f, false);
    if (empty(f, 0)) {
        if (stack_fault(cpu, f, false))
            set_st(f, 0, sf80_indefinite);
        return;
    }
    F80 r;
    if (!fn(c, st(f, 0), &r)) {
        out_of_range(f);
        return;
    }
    if (commit_flags(cpu, f, c))
        set_st(f, 0, r);
}

typedef bool (*PairFn)(Sf80Ctx *c, F80 x, F80 *st1, F80 *st0);

/* FPTAN: tan(x), then 1.0 pushed, or the NaN again when the tangent is
 * one (what Intel parts push). */
static bool tan_pair(Sf80Ctx *c, F80 x, F80 *st1, F80 *st0)
{
    bool ok = sf80_tan(c, x, st1);
    *st0 = sf80_is_nan(*st1) ? *st1 : k_one;
    return ok;
}

/* FSINCOS: sin(x) stays in ST(1), cos(x) is pushed. */
static bool sincos_pair(Sf80Ctx *c, F80 x, F80 *st1, F80 *st0)
{
    return sf80_sincos(c, x, st1, st0);
}

/* FPTAN, FSINCOS: replace ST(0) and push. A stack fault (ST(0) empty or
 * ST(7) full), masked, leaves the indefinite in both, as the hardware does. */
static void trans_pair(Cpu *cpu, FpuState *f, Sf80Ctx *c, PairFn fn)
{
    set_c2(f, false);
    bool overflow = !empty(f, 7);
    if (empty(f, 0) || overflow) {
        if (stack_fault(cpu, f, overflow)) {
            set_st(f, 0, sf80_indefinite);
            set_top(f, top(f) - 1);
            set_st(f, 0, sf80_indefinite);
        }
        return;
    }
    F80 r1, r0;
    if (!fn(c, st(f, 0), &r1, &r0)) {
        out_of_range(f);
        return;
    }
    if (commit_flags(cpu, f, c)) {
        set_st(f, 0, r1);
        push(cpu, f, r0);
    }
}

typedef F80 (*UnaryFn)(Sf80Ctx *c, F80 x);

/* F2XM1: ST(0) = 2^ST(0) - 1. */
static void trans_unary(Cpu *cpu, FpuState *f, Sf80Ctx *c, UnaryFn fn)
{
    if (empty(f, 0)) {
        if (stack_fault(cpu, f, false))
            set_st(f, 0, sf80_indefinite);
        return;
    }
    F80 r = fn(c, st(f, 0));
    if (commit_flags(cpu, f, c))
        set_st(f, 0, r);
}

typedef F80 (*BinaryFn)(Sf80Ctx *c, F80 st0, F80 st1);

static F80 patan(Sf80Ctx *c, F80 st0, F80 st1) { return sf80_atan2(c, st1, st0); }
static F80 yl2x(Sf80Ctx *c, F80 st0, F80 st1) { return sf80_yl2x(c, st0, st1); }
static F80 yl2xp1(Sf80Ctx *c, F80 st0, F80 st1) { return sf80_yl2xp1(c, st0, st1); }

/* FPATAN, FYL2X, FYL2XP1: ST(1) = fn(ST(0), ST(1)), then pop. */
static void trans_binary_pop(Cpu *cpu, FpuState *f, Sf80Ctx *c, BinaryFn fn)
{
    if (empty(f, 0) || empty(f, 1)) {
        if (stack_fault(cpu, f, false)) {
            set_st(f, 1, sf80_indefinite);
            pop(f);
        }
        return;
    }
    F80 r = fn(c, st(f, 0), st(f, 1));
    if (commit_flags(cpu, f, c)) {
        set_st(f, 1, r);
        pop(f);
    }
}

/* D9 F0-FF minus C0 -> handler kind */
static void transcendental(Cpu *cpu, FpuState *f, Sf80Ctx *c, uint8_t sub)
{
    switch (sub) {
    case 0x30: trans_unary(cpu, f, c, sf80_2xm1); break;
    case 0x31: trans_binary_pop(cpu, f, c, yl2x); break;
    case 0x32: trans_pair(cpu, f, c, tan_pair); break;
    case 0x33: trans_binary_pop(cpu, f, c, patan); break;
    case 0x39: trans_binary_pop(cpu, f, c, yl2xp1); break;
    case 0x3B: trans_pair(cpu, f, c, sincos_pair); break;
    case 0x3E: trans_ranged(cpu, f, c, sf80_sin); break;
    default: trans_ranged(cpu, f, c, sf80_cos); break;   /* 0x3F */
    }
}

/* --- D9 E0-FF: one-operand and constant instructions --- */

static void fxam(FpuState *f)
{
    uint16_t cc;
    if (empty(f, 0)) {
        cc = FSW_C3 | FSW_C0;
    } else {
        switch (sf80_class(st(f, 0))) {
        case SF_CLASS_UNSUPPORTED: cc = 0; break;
        case SF_CLASS_NAN: cc = FSW_C0; break;
        case SF_CLASS_NORMAL: cc = FSW_C2; break;
        case SF_CLASS_INF: cc = FSW_C2 | FSW_C0; break;
        case SF_CLASS_ZERO: cc = FSW_C3; break;
        default: cc = FSW_C3 | FSW_C2; break;
        }
    }
    if (sf80_sign(st(f, 0)))
        cc |= FSW_C1;
    f->sw = (uint16_t)((f->sw & ~(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)) | cc);
}

static const Insn *op_d9_misc(Cpu *cpu, const Insn *in)
{
    uint8_t sub = (uint8_t)(in->reg << 3 | in->rm);   /* E0-FF minus C0 */
    FpuState *f = fpu_enter(cpu, in, true, false);
    Sf80Ctx c = ctx(f);
    switch (sub) {
    case 0x10: break;   /* D9 D0: FNOP */
    case 0x20: case 0x21: case 0x24: {   /* FCHS FABS FTST */
        if (empty(f, 0)) {
            if (stack_fault(cpu, f, false)) {
                if (sub == 0x24)
                    set_compare_flags(f, 2);
                else
                    set_st(f, 0, sf80_indefinite);
            }
            break;
        }
        F80 v = st(f, 0);
        if (sub == 0x20) {
            v.se ^= 0x8000;
            set_st(f, 0, v);
            f->sw &= (uint16_t)~FSW_C1;
        } else if (sub == 0x21) {
            v.se &= 0x7FFF;
            set_st(f, 0, v);
            f->sw &= (uint16_t)~FSW_C1;
        } else {
            int rel = sf80_compare(&c, v, sf80_zero(false), false);
            if (commit_flags(cpu, f, &c))
                set_compare_flags(f, rel);
        }
        break;
    }
    case 0x25: fxam(f); break;
    case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E: {
        static const F80 *consts[7] = { &k_one, &k_l2t, &k_l2e, &k_pi, &k_lg2, &k_ln2, NULL };
        F80 v = consts[sub - 0x28] ? *consts[sub - 0x28] : sf80_zero(false);
        /* The constants round with the rounding control (up/down differ in
         * the last bit for the irrational ones). */
        unsigned rc = (f->cw >> 10) & 3;
        if ((sub == 0x29 && rc == SF_RC_UP) ||
            ((sub == 0x2A || sub == 0x2B || sub == 0x2C || sub == 0x2D) &&
             (rc == SF_RC_DOWN || rc == SF_RC_ZERO)))
            v.mant += sub == 0x29 ? 1 : -1;
        f->sw &= (uint16_t)~FSW_C1;
        push(cpu, f, v);
        break;
    }
    case 0x34: {   /* FXTRACT */
        if (empty(f, 0)) {
            if (stack_fault(cpu, f, false)) {
                set_st(f, 0, sf80_indefinite);
                push(cpu, f, sf80_indefinite);
            }
            break;
        }
        F80 sig, e = sf80_xtract(&c, st(f, 0), &sig);
        if (commit_flags(cpu, f, &c)) {
            set_st(f, 0, e);
            push(cpu, f, sig);
        }
        break;
    }
    case 0x35: case 0x38: {   /* FPREM1, FPREM */
        if (empty(f, 0) || empty(f, 1)) {
            if (stack_fault(cpu, f, false))
                set_st(f, 0, sf80_indefinite);
            break;
        }
        unsigned q;
        bool incomplete;
        F80 r = sf80_rem(&c, st(f, 0), st(f, 1), sub == 0x35, &q, &incomplete);
        if (commit_flags(cpu, f, &c)) {
            set_st(f, 0, r);
            uint16_t cc = incomplete ? FSW_C2
                                     : (uint16_t)(((q & 4) ? FSW_C0 : 0) | ((q & 2) ? FSW_C3 : 0) |
                                                  ((q & 1) ? FSW_C1 : 0));
            f->sw = (uint16_t)((f->sw & ~(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)) | cc);
        }
        break;
    }
    case 0x36: set_top(f, top(f) - 1); f->sw &= (uint16_t)~FSW_C1; break;   /* FDECSTP */
    case 0x37: set_top(f, top(f) + 1); f->sw &= (uint16_t)~FSW_C1; break;   /* FINCSTP */
    case 0x3A: case 0x3C: {   /* FSQRT, FRNDINT */
        if (empty(f, 0)) {
            if (stack_fault(cpu, f, false))
                set_st(f, 0, sf80_indefinite);
            break;
        }
        F80 r = sub == 0x3A ? sf80_sqrt(&c, st(f, 0)) : sf80_round_int(&c, st(f, 0));
        if (commit_flags(cpu, f, &c))
            set_st(f, 0, r);
        break;
    }
    case 0x3D: {   /* FSCALE */
        if (empty(f, 0) || empty(f, 1)) {
            if (stack_fault(cpu, f, false))
                set_st(f, 0, sf80_indefinite);
            break;
        }
        F80 r = sf80_scale(&c, st(f, 0), st(f, 1));
        if (commit_flags(cpu, f, &c))
            set_st(f, 0, r);
        break;
    }
    default:   /* F0-F3, F9, FB, FE, FF */
        transcendental(cpu, f, &c, sub);
        break;
    }
    return insn_next(cpu, in);
}

/* --- control instructions --- */

static const Insn *op_fldcw(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, true);
    f->cw = (uint16_t)((cpu_read16(cpu, in->seg, insn_ea(cpu, in)) & 0x1F3F) | 0x0040);
    /* Unmasking a pending exception makes it pending for real. */
    update_pending(cpu, f);
    return insn_next(cpu, in);
}

static const Insn *op_fnstcw(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), f->cw);
    return insn_next(cpu, in);
}

static const Insn *op_fnstsw_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), f->sw);
    return insn_next(cpu, in);
}

static const Insn *op_fnstsw_ax(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    reg16_set(cpu, R_EAX, f->sw);
    return insn_next(cpu, in);
}

static void clear_exceptions(Cpu *cpu, FpuState *f)
{
    f->sw &= (uint16_t)~(0x3F | FSW_SF | FSW_ES | FSW_B);
    if (f->ferr) {
        f->ferr = false;
        if (cpu->ferr)
            cpu->ferr(cpu->ferr_opaque, false);
    }
}

/* DB E0-E7: FENI/FDISI/FSETPM are no-ops on a P6; FNCLEX, FNINIT. */
static const Insn *op_db_control(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    switch (in->rm) {
    case 2: clear_exceptions(cpu, f); break;
    case 3:
        fpu_init(f);
        clear_exceptions(cpu, f);
        break;
    case 0: case 1: case 4: break;
    default: cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    }
    return insn_next(cpu, in);
}

static const Insn *op_ffree(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, false);
    set_tag_phys(f, phys(f, in->rm), TAG_EMPTY);
    if (in->opcode == 0xDF)
        pop(f);   /* FFREEP */
    return insn_next(cpu, in);
}

/* --- environment and state save --- */

/* The full tag word as FSTENV reports it, from the register contents. */
static uint16_t full_tags(const FpuState *f)
{
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; p++) {
        unsigned t = tag_of_phys(f, p) == TAG_EMPTY ? TAG_EMPTY : tag_for(f->regs[p]);
        tw |= (uint16_t)(t << (2 * p));
    }
    return tw;
}

/* Layouts: 32-bit (28 bytes) or 16-bit (14 bytes); real-mode forms keep
 * 20-bit linear pointers with the opcode. */
static unsigned env_size(const Insn *in) { return (in->flags & INSN_OP32) ? 28 : 14; }

static void store_env(Cpu *cpu, const Insn *in, FpuState *f, uint32_t ea)
{
    bool op32 = in->flags & INSN_OP32;
    bool real = !cpu_pe(cpu) || cpu_v86(cpu);
    unsigned sz = op32 ? 4 : 2;
    uint32_t w[7];
    w[0] = f->cw | (op32 ? 0xFFFF0000u : 0);
    w[1] = f->sw | (op32 ? 0xFFFF0000u : 0);
    w[2] = full_tags(f) | (op32 ? 0xFFFF0000u : 0);
    if (real) {
        uint32_t ip = f->fip + ((uint32_t)f->fcs << 4), dp = f->fdp + ((uint32_t)f->fds << 4);
        w[3] = ip & 0xFFFF;
        w[4] = (op32 ? (ip >> 16) << 12 : ((ip >> 16) & 0xF) << 12) | (f->fop & 0x7FF);
        w[5] = dp & 0xFFFF;
        w[6] = op32 ? (dp >> 16) << 12 : ((dp >> 16) & 0xF) << 12;
    } else {
        w[3] = f->fip;
        w[4] = f->fcs | (op32 ? (uint32_t)(f->fop & 0x7FF) << 16 : 0);
        w[5] = f->fdp;
        w[6] = f->fds | (op32 ? 0xFFFF0000u : 0);
    }
    cpu_check_access(cpu, in->seg, ea, env_size(in), true, true);
    for (unsigned i = 0; i < 7; i++) {
        if (sz == 4)
            cpu_write32(cpu, in->seg, ea + 4 * i, w[i]);
        else
            cpu_write16(cpu, in->seg, ea + 2 * i, (uint16_t)w[i]);
    }
}

static void load_env(Cpu *cpu, const Insn *in, FpuState *f, uint32_t ea)
{
    bool op32 = in->flags & INSN_OP32;
    bool real = !cpu_pe(cpu) || cpu_v86(cpu);
    uint32_t w[7];
    for (unsigned i = 0; i < 7; i++)
        w[i] = op32 ? cpu_read32(cpu, in->seg, ea + 4 * i) : cpu_read16(cpu, in->seg, ea + 2 * i);
    f->cw = (uint16_t)((w[0] & 0x1F3F) | 0x0040);
    f->sw = (uint16_t)w[1];
    f->tw = (uint16_t)w[2];
    if (real) {
        f->fip = (w[3] & 0xFFFF) | (w[4] >> 12) << 16;
        f->fop = (uint16_t)(w[4] & 0x7FF);
        f->fdp = (w[5] & 0xFFFF) | (w[6] >> 12) << 16;
        f->fcs = f->fds = 0;
    } else {
        f->fip = w[3];
        f->fcs = (uint16_t)w[4];
        if (op32)   /* the 16-bit protected-mode image has no opcode: kept */
            f->fop = (uint16_t)((w[4] >> 16) & 0x7FF);
        f->fdp = w[5];
        f->fds = (uint16_t)w[6];
    }
    /* Non-empty tags follow the register contents. */
    for (unsigned p = 0; p < 8; p++)
        if (tag_of_phys(f, p) != TAG_EMPTY)
            set_tag_phys(f, p, tag_for(f->regs[p]));
    update_pending(cpu, f);
}

static const Insn *op_fldenv(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, true);
    load_env(cpu, in, f, insn_ea(cpu, in));
    return insn_next(cpu, in);
}

static const Insn *op_fnstenv(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    store_env(cpu, in, f, insn_ea(cpu, in));
    f->cw |= 0x3F;   /* FNSTENV masks every exception afterwards */
    return insn_next(cpu, in);
}

static const Insn *op_fnsave(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, false, true);
    uint32_t ea = insn_ea(cpu, in);
    cpu_check_access(cpu, in->seg, ea, env_size(in) + 80, true, true);
    store_env(cpu, in, f, ea);
    for (unsigned i = 0; i < 8; i++) {
        F80 v = st(f, i);
        uint32_t at = ea + env_size(in) + 10 * i;
        cpu_write64(cpu, in->seg, at, v.mant);
        cpu_write16(cpu, in->seg, at + 8, v.se);
    }
    fpu_init(f);
    clear_exceptions(cpu, f);
    return insn_next(cpu, in);
}

static const Insn *op_frstor(Cpu *cpu, const Insn *in)
{
    FpuState *f = fpu_enter(cpu, in, true, true);
    uint32_t ea = insn_ea(cpu, in);
    F80 regs[8];
    for (unsigned i = 0; i < 8; i++) {
        uint32_t at = ea + env_size(in) + 10 * i;
        regs[i].mant = cpu_read64(cpu, in->seg, at);
        regs[i].se = cpu_read16(cpu, in->seg, at + 8);
    }
    load_env(cpu, in, f, ea);
    for (unsigned i = 0; i < 8; i++)
        f->regs[phys(f, i)] = regs[i];
    for (unsigned p = 0; p < 8; p++)
        if (tag_of_phys(f, p) != TAG_EMPTY)
            set_tag_phys(f, p, tag_for(f->regs[p]));
    return insn_next(cpu, in);
}

/* --- FXSAVE / FXRSTOR (0F AE /0 /1) ---
 * The 512-byte image: bytes 0-159 the x87 and MMX state, then MXCSR and
 * MXCSR_MASK at 24 and 28 and the XMM registers at 160. A model without
 * SSE (the Pentium II) has no MXCSR: FXSAVE stores its reset value 0x1F80
 * and a zero MXCSR_MASK (the "processor predates the mask" value, which
 * software reads as the default 0xFFBF), and FXRSTOR ignores both. With
 * SSE, MXCSR is saved and restored always (reserved bits in the image:
 * #GP(0)), the XMM registers only while CR4.OSFXSR is set (the SDM leaves
 * them implementation-specific otherwise; Bochs does the same). Neither
 * reports a pending exception or re-initialises the x87. */

#define FX_IMAGE 512

/* #NM under EM/TS; #GP(0) unless the linear address is 16-byte aligned. */
static FpuState *fx_enter(Cpu *cpu, const Insn *in, uint32_t ea)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    if ((cpu->seg[in->seg].base + ea) & 15)
        cpu_fault(cpu, EXC_GP, 0);
    return cpu->fpu;
}

/* The abridged tag word: bit p set when R(p) is in use. */
static uint8_t abridged_tags(const FpuState *f)
{
    uint8_t t = 0;
    for (unsigned p = 0; p < 8; p++)
        if (tag_of_phys(f, p) != TAG_EMPTY)
            t |= (uint8_t)(1u << p);
    return t;
}

static const Insn *op_fxsave(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    FpuState *f = fx_enter(cpu, in, ea);
    bool sse = cpu->isa & ISA_SSE;
    cpu_check_access(cpu, in->seg, ea, FX_IMAGE, true, true);
    const uint32_t head[8] = {
        f->cw | (uint32_t)f->sw << 16,
        abridged_tags(f) | (uint32_t)f->fop << 16,
        f->fip, f->fcs, f->fdp, f->fds,
        sse ? f->mxcsr : 0x1F80,
        sse ? sse_mxcsr_mask(cpu) : 0,
    };
    for (unsigned i = 0; i < 8; i++)
        cpu_write32(cpu, in->seg, ea + 4 * i, head[i]);
    for (unsigned i = 0; i < 8; i++) {
        F80 v = st(f, i);
        uint32_t at = ea + 32 + 16 * i;
        cpu_write64(cpu, in->seg, at, v.mant);
        cpu_write64(cpu, in->seg, at + 8, v.se);
    }
    if (sse && (cpu->cr4 & CR4_OSFXSR))
        for (unsigned i = 0; i < 8; i++)
            for (unsigned h = 0; h < 2; h++)
                cpu_write64(cpu, in->seg, ea + 160 + 16 * i + 8 * h, f->xmm[i].q[h]);
    return insn_next(cpu, in);
}

static const Insn *op_fxrstor(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    FpuState *f = fx_enter(cpu, in, ea);
    uint32_t head[7];
    F80 regs[8];
    bool sse = cpu->isa & ISA_SSE, xmm = sse && (cpu->cr4 & CR4_OSFXSR);
    Xmm x[8];
    for (unsigned i = 0; i < 7; i++)
        head[i] = cpu_read32(cpu, in->seg, ea + 4 * i);
    if (sse && (head[6] & ~sse_mxcsr_mask(cpu)))
        cpu_fault(cpu, EXC_GP, 0);
    for (unsigned i = 0; xmm && i < 8; i++)
        for (unsigned h = 0; h < 2; h++)
            x[i].q[h] = cpu_read64(cpu, in->seg, ea + 160 + 16 * i + 8 * h);
    for (unsigned i = 0; i < 8; i++) {
        regs[i].mant = cpu_read64(cpu, in->seg, ea + 32 + 16 * i);
        regs[i].se = cpu_read16(cpu, in->seg, ea + 32 + 16 * i + 8);
    }
    f->cw = (uint16_t)((head[0] & 0x1F3F) | 0x0040);
    f->sw = (uint16_t)(head[0] >> 16);
    f->fop = (uint16_t)((head[1] >> 16) & 0x7FF);
    f->fip = head[2];
    f->fcs = (uint16_t)head[3];
    f->fdp = head[4];
    f->fds = (uint16_t)head[5];
    if (sse)
        f->mxcsr = head[6];
    if (xmm)
        memcpy(f->xmm, x, sizeof x);
    for (unsigned i = 0; i < 8; i++)
        f->regs[phys(f, i)] = regs[i];
    /* In-use registers get the tag of their contents. */
    for (unsigned p = 0; p < 8; p++)
        set_tag_phys(f, p, (head[1] >> p) & 1 ? tag_for(f->regs[p]) : TAG_EMPTY);
    update_pending(cpu, f);
    return insn_next(cpu, in);
}

/* 0F AE: /0 FXSAVE, /1 FXRSTOR; the rest is SSE and later (#UD). */
InsnFn pick_0fae(const DecodeCtx *d)
{
    if (!d->mem)
        return NULL;
    return d->reg == 0 ? op_fxsave : d->reg == 1 ? op_fxrstor : NULL;
}

/* WAIT / FWAIT: #NM when MP and TS; report a pending exception. */
static const Insn *op_fwait(Cpu *cpu, const Insn *in)
{
    if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    if ((cpu->fpu->sw & FSW_ES) && (cpu->cr0 & CR0_NE))
        cpu_fault(cpu, EXC_MF, NO_ERRCODE);
    return insn_next(cpu, in);
}

/* Invalid encodings still check EM/TS first, as the hardware does. */
static const Insn *op_fpu_invalid(Cpu *cpu, const Insn *in)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    cpu_log_once(cpu, "invalid x87 encoding", (uint32_t)in->opcode << 8 | in->reg << 3 | in->rm);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* --- picking --- */

static InsnFn pick_mem(unsigned op, unsigned reg)
{
    switch (op) {
    case 0xD8: case 0xDA: case 0xDC: case 0xDE:
        return op_arith_mem;
    case 0xD9:
        switch (reg) {
        case 0: return op_fld_mem;
        case 2: case 3: return op_fst_mem;
        case 4: return op_fldenv;
        case 5: return op_fldcw;
        case 6: return op_fnstenv;
        case 7: return op_fnstcw;
        default: return op_fpu_invalid;
        }
    case 0xDB:
        switch (reg) {
        case 0: case 5: return op_fld_mem;
        case 2: case 3: case 7: return op_fst_mem;
        default: return op_fpu_invalid;   /* /1 FISTTP is SSE3 */
        }
    case 0xDD:
        switch (reg) {
        case 0: return op_fld_mem;
        case 2: case 3: return op_fst_mem;
        case 4: return op_frstor;
        case 6: return op_fnsave;
        case 7: return op_fnstsw_mem;
        default: return op_fpu_invalid;
        }
    default:   /* DF */
        switch (reg) {
        case 0: case 4: case 5: return op_fld_mem;
        case 2: case 3: case 6: case 7: return op_fst_mem;
        default: return op_fpu_invalid;
        }
    }
}

static InsnFn pick_reg(unsigned op, unsigned reg, unsigned rm)
{
    switch (op) {
    case 0xD8: return op_arith_st0_sti;
    case 0xD9:
        switch (reg) {
        case 0: return op_fld_sti;
        case 1: return op_fxch;
        case 2: return rm == 0 ? op_d9_misc : op_fpu_invalid;
        case 3: return op_fst_sti;   /* FSTP1 alias */
        case 4: return (rm == 0 || rm == 1 || rm == 4 || rm == 5) ? op_d9_misc : op_fpu_invalid;
        case 5: return rm != 7 ? op_d9_misc : op_fpu_invalid;
        default: return op_d9_misc;
        }
    case 0xDA:
        if (reg < 4)
            return op_fcmov;
        return reg == 5 && rm == 1 ? op_fucom : op_fpu_invalid;
    case 0xDB:
        if (reg < 4)
            return op_fcmov;
        if (reg == 4)
            return op_db_control;
        return reg == 5 || reg == 6 ? op_fcomi : op_fpu_invalid;
    case 0xDC: return op_arith_sti_st0;
    case 0xDD:
        switch (reg) {
        case 0: return op_ffree;
        case 1: return op_fxch;
        case 2: case 3: return op_fst_sti;
        case 4: case 5: return op_fucom;
        default: return op_fpu_invalid;
        }
    case 0xDE:
        if (reg == 3)
            return rm == 1 ? op_arith_sti_st0 : op_fpu_invalid;
        return op_arith_sti_st0;
    default:   /* DF */
        switch (reg) {
        case 0: return op_ffree;   /* FFREEP */
        case 1: return op_fxch;
        case 2: case 3: return op_fst_sti;
        case 4: return rm == 0 ? op_fnstsw_ax : op_fpu_invalid;
        case 5: case 6: return op_fcomi;
        default: return op_fpu_invalid;
        }
    }
}

InsnFn pick_fpu(const DecodeCtx *d)
{
    if (d->mem && d->reg == 1 && (d->opcode == 0xDB || d->opcode == 0xDD || d->opcode == 0xDF))
        return (d->isa & ISA_SSE3) ? op_fisttp : op_fpu_invalid;
    return d->mem ? pick_mem(d->opcode, d->reg) : pick_reg(d->opcode, d->reg, d->rm);
}

InsnFn pick_fwait(const DecodeCtx *d)
{
    (void)d;
    return op_fwait;
}
