/* SPDX-License-Identifier: MIT */
/* The sf80 side of the differential test: each function leaves in the
 * Outcome what the matching host_* function stores (fpu_host.c), with the
 * instruction-level rules the x87 layer (fpu/fpu.c) applies around the
 * core: an unmasked IE, DE or ZE leaves the destination and the stack as
 * they were; a memory destination is not written then either. */
#include <string.h>

#include "fpu/sf80.h"
#include "fpu/sf80_trans.h"
#include "tests/diff/fpu_diff.h"

#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000

static const F80 ONE = { 0x8000000000000000ull, 0x3FFF };

static F80 f80(Ext e) { return (F80){ e.mant, e.se }; }
static Ext ext(F80 f) { return (Ext){ f.mant, f.se }; }

static Sf80Ctx ctx_of(const Operands *in)
{
    return (Sf80Ctx){ .rc = (in->cw >> 10) & 3u, .pc = (in->cw >> 8) & 3u,
                      .masks = in->cw & 0x3F };
}

static uint16_t status(const Sf80Ctx *c)
{
    return (uint16_t)((c->flags & 0x3F) | ((c->flags & SF_C1) ? SW_C1 : 0));
}

static bool faulted(const Sf80Ctx *c)
{
    return c->flags & ~c->masks & (SF_IE | SF_DE | SF_ZE);
}

/* ---- two registers: ST(0) = a op b, ST(1) = b ---- */

typedef F80 (*Binary)(Sf80Ctx *c, F80 a, F80 b);

static void binary(const Operands *in, Outcome *o, Binary fn)
{
    Sf80Ctx c = ctx_of(in);
    F80 r = fn(&c, f80(in->a), f80(in->b));
    o->r0 = faulted(&c) ? in->a : ext(r);
    o->r1 = in->b;
    o->sw = status(&c);
}

static F80 subr(Sf80Ctx *c, F80 a, F80 b) { return sf80_sub(c, b, a); }
static F80 divr(Sf80Ctx *c, F80 a, F80 b) { return sf80_div(c, b, a); }

void soft_fadd(const Operands *in, Outcome *o) { binary(in, o, sf80_add); }
void soft_fsub(const Operands *in, Outcome *o) { binary(in, o, sf80_sub); }
void soft_fsubr(const Operands *in, Outcome *o) { binary(in, o, subr); }
void soft_fmul(const Operands *in, Outcome *o) { binary(in, o, sf80_mul); }
void soft_fdiv(const Operands *in, Outcome *o) { binary(in, o, sf80_div); }
void soft_fdivr(const Operands *in, Outcome *o) { binary(in, o, divr); }
void soft_fscale(const Operands *in, Outcome *o) { binary(in, o, sf80_scale); }

static void prem(const Operands *in, Outcome *o, bool ieee)
{
    Sf80Ctx c = ctx_of(in);
    unsigned q;
    bool incomplete;
    F80 r = sf80_rem(&c, f80(in->a), f80(in->b), ieee, &q, &incomplete);
    o->r0 = faulted(&c) ? in->a : ext(r);
    o->r1 = in->b;
    /* Quotient bits Q2, Q1, Q0 in C0, C3, C1; C2 when incomplete. */
    o->sw = (uint16_t)((c.flags & 0x3F) | (q & 4 ? SW_C0 : 0) | (q & 2 ? SW_C3 : 0) |
                       (q & 1 ? SW_C1 : 0) | (incomplete ? SW_C2 : 0));
}

void soft_fprem(const Operands *in, Outcome *o) { prem(in, o, false); }
void soft_fprem1(const Operands *in, Outcome *o) { prem(in, o, true); }

/* C3 C2 C0 of a comparison result (-1, 0, 1, 2 unordered). */
static uint16_t compare_codes(int rel)
{
    return rel == 2 ? SW_C3 | SW_C2 | SW_C0 : rel < 0 ? SW_C0 : rel == 0 ? SW_C3 : 0;
}

static void compare(const Operands *in, Outcome *o, bool quiet)
{
    Sf80Ctx c = ctx_of(in);
    int rel = sf80_compare(&c, f80(in->a), f80(in->b), quiet);
    o->r0 = in->a;
    o->r1 = in->b;
    o->sw = (uint16_t)((c.flags & 0x3F) | compare_codes(rel));
}

void soft_fcom(const Operands *in, Outcome *o) { compare(in, o, false); }
void soft_fucom(const Operands *in, Outcome *o) { compare(in, o, true); }

/* ---- one register (a +0 below it) ---- */

typedef F80 (*Unary)(Sf80Ctx *c, F80 a);

static void unary(const Operands *in, Outcome *o, Unary fn)
{
    Sf80Ctx c = ctx_of(in);
    F80 r = fn(&c, f80(in->a));
    o->r0 = faulted(&c) ? in->a : ext(r);
    o->r1 = ext(sf80_zero(false));
    o->sw = status(&c);
}

void soft_fsqrt(const Operands *in, Outcome *o) { unary(in, o, sf80_sqrt); }
void soft_frndint(const Operands *in, Outcome *o) { unary(in, o, sf80_round_int); }
void soft_f2xm1(const Operands *in, Outcome *o) { unary(in, o, sf80_2xm1); }

void soft_fxtract(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    F80 sig, e = sf80_xtract(&c, f80(in->a), &sig);
    bool f = faulted(&c);
    o->r0 = f ? in->a : ext(sig);
    o->r1 = f ? ext(sf80_zero(false)) : ext(e);
    o->sw = status(&c);
}

void soft_ftst(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    int rel = sf80_compare(&c, f80(in->a), sf80_zero(false), false);
    o->r0 = in->a;
    o->r1 = ext(sf80_zero(false));
    o->sw = (uint16_t)((c.flags & 0x3F) | compare_codes(rel));
}

void soft_fxam(const Operands *in, Outcome *o)
{
    /* C3 C2 C0 by class; C1 the sign. */
    static const uint16_t codes[] = {
        [SF_CLASS_ZERO] = SW_C3, [SF_CLASS_NORMAL] = SW_C2,
        [SF_CLASS_DENORMAL] = SW_C3 | SW_C2, [SF_CLASS_INF] = SW_C2 | SW_C0,
        [SF_CLASS_NAN] = SW_C0, [SF_CLASS_UNSUPPORTED] = 0,
    };
    F80 a = f80(in->a);
    o->r0 = in->a;
    o->r1 = ext(sf80_zero(false));
    o->sw = (uint16_t)(codes[sf80_class(a)] | (sf80_sign(a) ? SW_C1 : 0));
}

/* FSIN/FCOS: out of range sets C2 and leaves the operand. */
typedef bool (*Trig)(Sf80Ctx *c, F80 x, F80 *r);

static void trig(const Operands *in, Outcome *o, Trig fn)
{
    Sf80Ctx c = ctx_of(in);
    F80 r;
    bool ok = fn(&c, f80(in->a), &r);
    o->r0 = !ok || faulted(&c) ? in->a : ext(r);
    o->r1 = ext(sf80_zero(false));
    o->sw = (uint16_t)(status(&c) | (ok ? 0 : SW_C2));
}

void soft_fsin(const Operands *in, Outcome *o) { trig(in, o, sf80_sin); }
void soft_fcos(const Operands *in, Outcome *o) { trig(in, o, sf80_cos); }

void soft_fptan(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    F80 t;
    bool ok = sf80_tan(&c, f80(in->a), &t);
    bool keep = !ok || faulted(&c);
    /* A NaN result (NaN or invalid operand) is pushed in place of 1.0. */
    o->r0 = keep ? in->a : sf80_is_nan(t) ? ext(t) : ext(ONE);
    o->r1 = keep ? ext(sf80_zero(false)) : ext(t);
    o->sw = (uint16_t)(status(&c) | (ok ? 0 : SW_C2));
}

void soft_fsincos(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    F80 s, co;
    bool ok = sf80_sincos(&c, f80(in->a), &s, &co);
    bool keep = !ok || faulted(&c);
    o->r0 = keep ? in->a : ext(co);
    o->r1 = keep ? ext(sf80_zero(false)) : ext(s);
    o->sw = (uint16_t)(status(&c) | (ok ? 0 : SW_C2));
}

/* ---- two registers, popped to one: x = ST(0), y = ST(1) ---- */

static void popped(const Operands *in, Outcome *o, F80 (*fn)(Sf80Ctx *, F80, F80), bool yx)
{
    Sf80Ctx c = ctx_of(in);
    F80 r = yx ? fn(&c, f80(in->b), f80(in->a)) : fn(&c, f80(in->a), f80(in->b));
    bool f = faulted(&c);
    o->r0 = f ? in->a : ext(r);
    o->r1 = f ? in->b : ext(sf80_zero(false));
    o->sw = status(&c);
}

void soft_fpatan(const Operands *in, Outcome *o) { popped(in, o, sf80_atan2, true); }
void soft_fyl2x(const Operands *in, Outcome *o) { popped(in, o, sf80_yl2x, false); }
void soft_fyl2xp1(const Operands *in, Outcome *o) { popped(in, o, sf80_yl2xp1, false); }

/* ---- stores from ST(0): the register stays ---- */

/* Float stores are also stopped by an unmasked OE or UE. */
static bool store_stopped(const Sf80Ctx *c)
{
    return faulted(c) || (c->flags & ~c->masks & (SF_OE | SF_UE));
}

static void store_done(const Sf80Ctx *c, const Operands *in, Outcome *o, uint64_t v)
{
    if (!store_stopped(c))
        o->mem = v;
    o->r0 = in->a;
    o->sw = status(c);
}

void soft_fst32(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint64_t v = sf80_to_f32(&c, f80(in->a));
    store_done(&c, in, o, (o->mem & ~0xFFFFFFFFull) | v);
}

void soft_fst64(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint64_t v = sf80_to_f64(&c, f80(in->a));
    store_done(&c, in, o, v);
}

void soft_fist16(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint64_t v = (uint16_t)sf80_to_int(&c, f80(in->a), 16);
    store_done(&c, in, o, (o->mem & ~0xFFFFull) | v);
}

void soft_fist32(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint64_t v = (uint32_t)sf80_to_int(&c, f80(in->a), 32);
    store_done(&c, in, o, (o->mem & ~0xFFFFFFFFull) | v);
}

void soft_fistp64(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint64_t v = (uint64_t)sf80_to_int(&c, f80(in->a), 64);
    store_done(&c, in, o, v);
}

void soft_fbstp(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    uint8_t bcd[10];
    sf80_to_bcd(&c, f80(in->a), bcd);
    if (!faulted(&c))
        memcpy(o->bcd, bcd, 10);
    o->r0 = in->a;
    o->sw = status(&c);
}

/* ---- loads (a +0 below): an unmasked IE pushes nothing; an unmasked DE
 * (denormal float32/float64 source) still loads, as the host does ---- */

static void load_done(const Sf80Ctx *c, Outcome *o, F80 v)
{
    o->r0 = (c->flags & ~c->masks & SF_IE) ? ext(sf80_zero(false)) : ext(v);
    o->sw = status(c);
}

void soft_fld32(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_f32(&c, (uint32_t)in->mem));
}

void soft_fld64(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_f64(&c, in->mem));
}

void soft_fild16(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_i64((int16_t)in->mem));
}

void soft_fild32(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_i64((int32_t)in->mem));
}

void soft_fild64(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_i64((int64_t)in->mem));
}

void soft_fbld(const Operands *in, Outcome *o)
{
    Sf80Ctx c = ctx_of(in);
    load_done(&c, o, sf80_from_bcd(in->bcd));
}
