/* SPDX-License-Identifier: MIT */
/* SSE/SSE2/SSE3 floating point: the packed and scalar arithmetic
 * (0F 51-5F), comparisons (0F C2, COMISS/UCOMISS), the logical operations
 * (0F 54-57), the conversions (0F 2A, 2C, 2D, 5A, 5B, E6) and SSE3's
 * ADDSUB/HADD/HSUB, on the soft-float core fpu/sfp.c.
 *
 * The mandatory prefix chooses the shape: none = packed single, 66 =
 * packed double, F3 = scalar single, F2 = scalar double. Every lane runs
 * with its own flags; an unmasked pre-computation exception (IE, DE, ZE)
 * in any lane stops the instruction with only those flags set; otherwise
 * all lanes' flags are set, and an unmasked post-computation exception
 * (OE, UE, PE) stops it. Stopped instructions write no destination. */
#include "cpu/flags.h"
#include "cpu/sse.h"
#include "fpu/mmx.h"
#include "cpu/pickers.h"

typedef struct {
    SfpFmt fmt;
    unsigned lanes;
    bool scalar;
} Shape;

static const Shape shapes[4] = {
    [PFX_NONE] = { FMT_S, 4, false }, [PFX_66] = { FMT_D, 2, false },
    [PFX_F3] = { FMT_S, 1, true }, [PFX_F2] = { FMT_D, 1, true },
};

static uint64_t lane_get(const Xmm *x, SfpFmt f, unsigned i)
{
    return f == FMT_S ? x->d[i] : x->q[i];
}

static void lane_set(Xmm *x, SfpFmt f, unsigned i, uint64_t v)
{
    if (f == FMT_S)
        x->d[i] = (uint32_t)v;
    else
        x->q[i] = v;
}

/* The source operand: XMM(rm), or `bytes` of memory (16 must be aligned
 * unless `unaligned`) in the low lanes, the rest zero. */
static Xmm fp_source(Cpu *cpu, const Insn *in, unsigned bytes)
{
    if (!(in->flags & INSN_MEM))
        return cpu->fpu->xmm[in->rm];
    Xmm v = { .q = { 0, 0 } };
    uint32_t ea = insn_ea(cpu, in);
    if (bytes == 16)
        return sse_read128(cpu, in, true);
    if (bytes == 8)
        v.q[0] = cpu_read64(cpu, in->seg, ea);
    else
        v.d[0] = cpu_read32(cpu, in->seg, ea);
    return v;
}

static unsigned shape_bytes(const Shape *sh)
{
    return sh->scalar ? (sh->fmt == FMT_S ? 4 : 8) : 16;
}

/* Flags of all lanes so far, split as the commit needs them. */
typedef struct {
    uint32_t pre, all;
} LaneFlags;

static void lane_flags_add(LaneFlags *lf, const SfpEnv *e)
{
    lf->pre |= e->flags & MX_PRE;
    lf->all |= e->flags;
}

/* Set the flags; raise #XM/#UD for an unmasked one (nothing written). */
static void fp_flags_commit(Cpu *cpu, FpuState *f, const LaneFlags *lf)
{
    uint32_t unmasked = ~(f->mxcsr >> MX_MASK_SHIFT) & MX_FLAGS;
    if (lf->pre & unmasked) {
        f->mxcsr |= lf->pre;
        sse_raise(cpu);
    }
    f->mxcsr |= lf->all;
    if (lf->all & unmasked)
        sse_raise(cpu);
}

/* --- arithmetic: 0F 51, 58, 59, 5C-5F; SSE3 D0, 7C, 7D --- */

typedef uint64_t (*SfpBin)(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);

static uint64_t fp_sqrt(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e)
{
    (void)a;
    return sfp_sqrt(f, b, e);
}

static const SfpBin arith_fns[16] = {
    [0x1] = fp_sqrt, [0x8] = sfp_add, [0x9] = sfp_mul, [0xC] = sfp_sub,
    [0xD] = sfp_min, [0xE] = sfp_div, [0xF] = sfp_max,
};

static const Insn *op_sse_arith(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    const Shape *sh = &shapes[in->mprefix];
    Xmm src = fp_source(cpu, in, shape_bytes(sh));
    Xmm res = f->xmm[in->reg];
    SfpBin fn = arith_fns[in->opcode & 0xF];
    LaneFlags lf = { 0, 0 };
    for (unsigned i = 0; i < sh->lanes; i++) {
        SfpEnv e = sfp_env(f->mxcsr);
        uint64_t a = lane_get(&res, sh->fmt, i), b = lane_get(&src, sh->fmt, i);
        lane_set(&res, sh->fmt, i, fn(sh->fmt, a, b, &e));
        lane_flags_add(&lf, &e);
    }
    fp_flags_commit(cpu, f, &lf);
    f->xmm[in->reg] = res;
    return insn_next(cpu, in);
}

/* SSE3 (66 = double, F2 = single): ADDSUB subtracts in the even lanes and
 * adds in the odd ones; HADD/HSUB combine neighbouring lanes, the
 * destination's into the low half of the result, the source's into the
 * high half. */
static const Insn *op_sse3_horizontal(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    SfpFmt fmt = in->mprefix == PFX_66 ? FMT_D : FMT_S;
    unsigned lanes = fmt == FMT_D ? 2 : 4;
    Xmm src = fp_source(cpu, in, 16), dst = f->xmm[in->reg], res = dst;
    unsigned op = in->opcode & 0xFF;
    LaneFlags lf = { 0, 0 };
    for (unsigned i = 0; i < lanes; i++) {
        SfpEnv e = sfp_env(f->mxcsr);
        uint64_t a, b;
        bool sub;
        if (op == 0xD0) {
            a = lane_get(&dst, fmt, i);
            b = lane_get(&src, fmt, i);
            sub = !(i & 1);
        } else {
            const Xmm *from = i < lanes / 2 ? &dst : &src;
            unsigned j = 2 * (i % (lanes / 2));
            a = lane_get(from, fmt, j);
            b = lane_get(from, fmt, j + 1);
            sub = op == 0x7D;
        }
        lane_set(&res, fmt, i, sub ? sfp_sub(fmt, a, b, &e) : sfp_add(fmt, a, b, &e));
        lane_flags_add(&lf, &e);
    }
    fp_flags_commit(cpu, f, &lf);
    f->xmm[in->reg] = res;
    return insn_next(cpu, in);
}

/* RSQRTPS/SS (52), RCPPS/SS (53): approximations, no flags, no exceptions. */
static const Insn *op_sse_approx(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    const Shape *sh = &shapes[in->mprefix];
    Xmm src = fp_source(cpu, in, shape_bytes(sh));
    Xmm res = f->xmm[in->reg];
    for (unsigned i = 0; i < sh->lanes; i++) {
        SfpEnv e = sfp_env(f->mxcsr);
        bool rsqrt = (in->opcode & 0xFF) == 0x52;
        res.d[i] = rsqrt ? sfp_rsqrt_s(src.d[i], &e) : sfp_rcp_s(src.d[i], &e);
    }
    f->xmm[in->reg] = res;
    return insn_next(cpu, in);
}

/* ANDPS/PD, ANDNPS/PD, ORPS/PD, XORPS/PD: bitwise, no FP exceptions. */
static const Insn *op_sse_logic(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    Xmm src = fp_source(cpu, in, 16), *d = &f->xmm[in->reg];
    for (unsigned i = 0; i < 2; i++) {
        uint64_t a = d->q[i], b = src.q[i];
        switch (in->opcode & 0xFF) {
        case 0x54: d->q[i] = a & b; break;
        case 0x55: d->q[i] = ~a & b; break;
        case 0x56: d->q[i] = a | b; break;
        default: d->q[i] = a ^ b; break;
        }
    }
    return insn_next(cpu, in);
}

/* --- comparisons --- */

/* CMPPS/PS/SS/SD predicates (imm8 bits 0-2): which relations are true and
 * whether a QNaN operand signals IE (LT, LE, NLT, NLE). */
static bool cmp_true(unsigned pred, int rel)
{
    static const uint8_t truth[8] = {
        /* bit 0 less, 1 equal, 2 greater, 3 unordered */
        0x2, 0x1, 0x3, 0x8, 0xD, 0xE, 0xC, 0x7,
    };
    unsigned bit = rel == 2 ? 3 : (unsigned)(rel + 1);
    return (truth[pred] >> bit) & 1;
}

static const Insn *op_sse_cmp(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    const Shape *sh = &shapes[in->mprefix];
    Xmm src = fp_source(cpu, in, shape_bytes(sh));
    Xmm res = f->xmm[in->reg];
    unsigned pred = in->imm & 7;
    bool quiet = pred == 0 || pred == 3 || pred == 4 || pred == 7;
    LaneFlags lf = { 0, 0 };
    for (unsigned i = 0; i < sh->lanes; i++) {
        SfpEnv e = sfp_env(f->mxcsr);
        uint64_t a = lane_get(&res, sh->fmt, i), b = lane_get(&src, sh->fmt, i);
        int rel = sfp_compare(sh->fmt, a, b, quiet, &e);
        lane_set(&res, sh->fmt, i, cmp_true(pred, rel) ? ~0ull : 0);
        lane_flags_add(&lf, &e);
    }
    fp_flags_commit(cpu, f, &lf);
    f->xmm[in->reg] = res;
    return insn_next(cpu, in);
}

/* COMISS/COMISD (2F: IE on any NaN), UCOMISS/UCOMISD (2E: on SNaN): ZF PF
 * CF as the relation gives them, OF SF AF cleared. */
static const Insn *op_sse_comis(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    SfpFmt fmt = in->mprefix == PFX_66 ? FMT_D : FMT_S;
    Xmm src = fp_source(cpu, in, fmt == FMT_S ? 4 : 8);
    SfpEnv e = sfp_env(f->mxcsr);
    int rel = sfp_compare(fmt, lane_get(&f->xmm[in->reg], fmt, 0), lane_get(&src, fmt, 0),
                          (in->opcode & 0xFF) == 0x2E, &e);
    LaneFlags lf = { e.flags & MX_PRE, e.flags };
    fp_flags_commit(cpu, f, &lf);
    uint32_t fl = rel == 2   ? FLAG_ZF | FLAG_PF | FLAG_CF
                  : rel < 0  ? FLAG_CF
                  : rel == 0 ? FLAG_ZF
                             : 0;
    flags_write(cpu, fl, FLAGS_ARITH);
    return insn_next(cpu, in);
}

/* --- conversions --- */

/* CVTSI2SS/SD (F3/F2 2A): from r/m32 into the low lane. */
static const Insn *op_cvtsi2s(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    SfpFmt fmt = in->mprefix == PFX_F2 ? FMT_D : FMT_S;
    int32_t v = (int32_t)((in->flags & INSN_MEM) ? cpu_read32(cpu, in->seg, insn_ea(cpu, in))
                                                  : cpu->gpr[in->rm]);
    SfpEnv e = sfp_env(f->mxcsr);
    uint64_t r = sfp_from_i32(fmt, v, &e);
    LaneFlags lf = { 0, e.flags };
    fp_flags_commit(cpu, f, &lf);
    lane_set(&f->xmm[in->reg], fmt, 0, r);
    return insn_next(cpu, in);
}

/* CVT(T)SS2SI / CVT(T)SD2SI (F3/F2 2C, 2D): the low lane to r32. */
static const Insn *op_cvts2si(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    SfpFmt fmt = in->mprefix == PFX_F2 ? FMT_D : FMT_S;
    Xmm src = fp_source(cpu, in, fmt == FMT_S ? 4 : 8);
    SfpEnv e = sfp_env(f->mxcsr);
    uint32_t r = sfp_to_i32(fmt, lane_get(&src, fmt, 0), (in->opcode & 0xFF) == 0x2C, &e);
    LaneFlags lf = { e.flags & MX_PRE, e.flags };
    fp_flags_commit(cpu, f, &lf);
    cpu->gpr[in->reg] = r;
    return insn_next(cpu, in);
}

/* Lane-wise conversion of n lanes: kind selects what from what. */
enum { CV_I2S, CV_I2D, CV_S2I, CV_D2I, CV_S2D, CV_D2S };

static uint64_t convert_lane(unsigned kind, uint64_t v, bool trunc, SfpEnv *e)
{
    switch (kind) {
    case CV_I2S: return sfp_from_i32(FMT_S, (int32_t)v, e);
    case CV_I2D: return sfp_from_i32(FMT_D, (int32_t)v, e);
    case CV_S2I: return sfp_to_i32(FMT_S, v, trunc, e);
    case CV_D2I: return sfp_to_i32(FMT_D, v, trunc, e);
    case CV_S2D: return sfp_convert(FMT_D, FMT_S, v, e);
    default: return sfp_convert(FMT_S, FMT_D, v, e);
    }
}

/* The lane widths of each kind: source and result. */
static const uint8_t cv_from_bits[6] = { 32, 32, 32, 64, 32, 64 };
static const uint8_t cv_to_bits[6] = { 32, 64, 32, 32, 64, 32 };

static uint64_t xlane(const Xmm *x, unsigned bits, unsigned i)
{
    return bits == 32 ? x->d[i] : x->q[i];
}

static void xlane_set(Xmm *x, unsigned bits, unsigned i, uint64_t v)
{
    if (bits == 32)
        x->d[i] = (uint32_t)v;
    else
        x->q[i] = v;
}

/* Convert n lanes of src into a copy of base; lanes above n of the result
 * are zeroed when zero_rest (the 64-bit results of a 128-bit source). */
static Xmm convert_lanes(Cpu *cpu, FpuState *f, unsigned kind, bool trunc, const Xmm *src,
                         Xmm base, unsigned n, bool zero_rest)
{
    LaneFlags lf = { 0, 0 };
    for (unsigned i = 0; i < n; i++) {
        SfpEnv e = sfp_env(f->mxcsr);
        uint64_t v = convert_lane(kind, xlane(src, cv_from_bits[kind], i), trunc, &e);
        xlane_set(&base, cv_to_bits[kind], i, v);
        lane_flags_add(&lf, &e);
    }
    if (zero_rest)
        base.q[1] = 0;
    fp_flags_commit(cpu, f, &lf);
    return base;
}

/* XMM-to-XMM conversions: 5A, 5B, E6 by prefix. */
typedef struct {
    uint8_t kind, lanes, src_bytes;
    bool trunc, zero_rest, scalar;
} CvtForm;

static const CvtForm *cvt_form(unsigned op, unsigned pfx)
{
    static const CvtForm f5a[4] = {
        [PFX_NONE] = { CV_S2D, 2, 8, false, false, false },   /* CVTPS2PD */
        [PFX_66] = { CV_D2S, 2, 16, false, true, false },     /* CVTPD2PS */
        [PFX_F3] = { CV_S2D, 1, 4, false, false, true },      /* CVTSS2SD */
        [PFX_F2] = { CV_D2S, 1, 8, false, false, true },      /* CVTSD2SS */
    };
    static const CvtForm f5b[4] = {
        [PFX_NONE] = { CV_I2S, 4, 16, false, false, false },  /* CVTDQ2PS */
        [PFX_66] = { CV_S2I, 4, 16, false, false, false },    /* CVTPS2DQ */
        [PFX_F3] = { CV_S2I, 4, 16, true, false, false },     /* CVTTPS2DQ */
    };
    static const CvtForm fe6[4] = {
        [PFX_66] = { CV_D2I, 2, 16, true, true, false },      /* CVTTPD2DQ */
        [PFX_F3] = { CV_I2D, 2, 8, false, false, false },     /* CVTDQ2PD */
        [PFX_F2] = { CV_D2I, 2, 16, false, true, false },     /* CVTPD2DQ */
    };
    return op == 0x5A ? &f5a[pfx] : op == 0x5B ? &f5b[pfx] : &fe6[pfx];
}

static const Insn *op_sse_cvt(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    const CvtForm *c = cvt_form(in->opcode & 0xFF, in->mprefix);
    Xmm src = fp_source(cpu, in, c->src_bytes);
    Xmm base = c->scalar ? f->xmm[in->reg] : (Xmm){ .q = { 0, 0 } };
    f->xmm[in->reg] = convert_lanes(cpu, f, c->kind, c->trunc, &src, base, c->lanes, c->zero_rest);
    return insn_next(cpu, in);
}

/* The MMX conversions: CVTPI2PS/PD (2A), CVT(T)PS2PI/PD2PI (2C, 2D). An
 * MMX register operand makes them MMX instructions as well (pending x87
 * exception #MF, TOP 0 and all tags valid). */
static void mmx_side(Cpu *cpu, FpuState *f)
{
    if ((f->sw & FSW_ES) && (cpu->cr0 & CR0_NE))
        cpu_fault(cpu, EXC_MF, NO_ERRCODE);
}

static const Insn *op_cvtpi2p(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    bool mem = in->flags & INSN_MEM;
    if (!mem)
        mmx_side(cpu, f);
    Xmm src = { .q = { mem ? cpu_read64(cpu, in->seg, insn_ea(cpu, in)) : mm_get(f, in->rm), 0 } };
    bool dbl = in->mprefix == PFX_66;
    Xmm base = dbl ? (Xmm){ .q = { 0, 0 } } : f->xmm[in->reg];
    Xmm r = convert_lanes(cpu, f, dbl ? CV_I2D : CV_I2S, false, &src, base, 2, false);
    if (!mem)
        mmx_touch(f);
    f->xmm[in->reg] = r;
    return insn_next(cpu, in);
}

static const Insn *op_cvtp2pi(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    mmx_side(cpu, f);
    bool dbl = in->mprefix == PFX_66;
    Xmm src = fp_source(cpu, in, dbl ? 16 : 8);
    Xmm r = convert_lanes(cpu, f, dbl ? CV_D2I : CV_S2I, (in->opcode & 0xFF) == 0x2C, &src,
                          (Xmm){ .q = { 0, 0 } }, 2, false);
    mmx_touch(f);
    mm_set(f, in->reg, r.q[0]);
    return insn_next(cpu, in);
}

/* --- picking --- */

InsnFn pick_sse_arith(const DecodeCtx *d) { (void)d; return op_sse_arith; }
InsnFn pick_sse_packed_single(const DecodeCtx *d)
{
    return d->mprefix == PFX_NONE || d->mprefix == PFX_F3 ? op_sse_approx : NULL;
}
InsnFn pick_sse_logic(const DecodeCtx *d) { (void)d; return op_sse_logic; }
InsnFn pick_sse_cmp(const DecodeCtx *d) { (void)d; return op_sse_cmp; }
InsnFn pick_sse_comis(const DecodeCtx *d) { (void)d; return op_sse_comis; }
InsnFn pick_sse_cvt(const DecodeCtx *d) { (void)d; return op_sse_cvt; }
InsnFn pick_sse_horizontal(const DecodeCtx *d) { (void)d; return op_sse3_horizontal; }
InsnFn pick_sse_cvtsi2s(const DecodeCtx *d) { (void)d; return op_cvtsi2s; }
InsnFn pick_sse_cvts2si(const DecodeCtx *d) { (void)d; return op_cvts2si; }
InsnFn pick_sse_cvtpi2p(const DecodeCtx *d) { (void)d; return op_cvtpi2p; }
InsnFn pick_sse_cvtp2pi(const DecodeCtx *d) { (void)d; return op_cvtp2pi; }
