/* SPDX-License-Identifier: MIT */
/* The x87 transcendentals on the sf80 core (see sf80_trans.h).
 *
 * Intermediate values are Xf: a sign, a 32-bit exponent and a 128-bit
 * significand, value = m * 2^(e - 127) with bit 127 of m set (m = 0 for
 * zero). Every Xf operation truncates, so a result carries an error of a
 * few units of 2^-127 relative; rounded once to 64 bits, that is correct
 * except when the exact value lies within about 2^-120 of a rounding
 * boundary. Series are summed until the next term falls below 2^-130 of
 * the sum (see lead_with_tail for the ones whose tail is all below that). */
#include "fpu/sf80_trans.h"
#include "fpu/sf80_internal.h"

typedef unsigned __int128 u128;

typedef struct Xf {
    u128 m;
    int32_t e;
    bool neg;
} Xf;

#define U128(hi, lo) ((u128)(hi) << 64 | (u128)(lo))

/* Constants truncated to 128 bits. */
static const Xf XF_PI = { U128(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), 1, false };
static const Xf XF_PI_2 = { U128(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), 0, false };
static const Xf XF_PI_4 = { U128(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), -1, false };
static const Xf XF_3PI_4 = { U128(0x96CBE3F9990E91A7ull, 0x9394C9E8A0A5159Cull), 1, false };
static const Xf XF_LN2 = { U128(0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull), -1, false };
static const Xf XF_INV_LN2 = { U128(0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull), 0, false };
/* atan(k/8), k = 1..8 */
static const Xf XF_ATAN_K8[9] = {
    { 0, 0, false },
    { U128(0xFEADD4D5617B6E32ull, 0xC897989F3E888EF7ull), -4, false },
    { U128(0xFADBAFC96406EB15ull, 0x6DC79EF5F7A217E5ull), -3, false },
    { U128(0xB7B0CA0F26F78473ull, 0x8AA32122DCFE4483ull), -2, false },
    { U128(0xED63382B0DDA7B45ull, 0x6FE445ECBC3A8D03ull), -2, false },
    { U128(0x8F005D5EF7F59F9Bull, 0x5C835E1665C43747ull), -1, false },
    { U128(0xA4BC7D1934F70924ull, 0x19A87F2A457DAC9Eull), -1, false },
    { U128(0xB8053E2BC2319E73ull, 0xCB2DA55210A4443Dull), -1, false },
    { U128(0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull), -1, false },
};
/* Intel's pi for the reduction of FSIN/FCOS/FSINCOS/FPTAN operands: the
 * 66 leading bits, pi * 2^64 = 0x3.243F6A8885A308D3 * 2^64. */
static const u128 PI66 = U128(0x3ull, 0x243F6A8885A308D3ull);
/* sqrt(2) * 2^127, truncated: the split point of the log argument. */
static const u128 SQRT2_127 = U128(0xB504F333F9DE6484ull, 0x597D89B3754ABE9Full);

static const Xf XF_ZERO = { 0, 0, false };
static const Xf XF_ONE = { (u128)1 << 127, 0, false };

/* ---- Xf arithmetic ---- */

static unsigned clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? (unsigned)__builtin_clzll(hi) : 64 + (unsigned)__builtin_clzll((uint64_t)v);
}

/* m * 2^(e - 127) for any m, normalized. */
static Xf xf_make(bool neg, int32_t e, u128 m)
{
    if (!m)
        return XF_ZERO;
    unsigned s = clz128(m);
    return (Xf){ m << s, e - (int32_t)s, neg };
}

static Xf xf_from_int(int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    return xf_make(v < 0, 127, mag);
}

/* A finite, non-zero register value. */
static Xf xf_from_f80(F80 a)
{
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    return (Xf){ (u128)m << 64, e, sf80_sign(a) };
}

static Xf xf_neg(Xf a)
{
    a.neg = !a.neg;
    return a;
}

static Xf xf_abs(Xf a)
{
    a.neg = false;
    return a;
}

static Xf xf_scale(Xf a, int32_t n)
{
    if (a.m)
        a.e += n;
    return a;
}

/* Compare magnitudes: -1, 0, 1. */
static int xf_cmp_mag(Xf a, Xf b)
{
    if (!a.m || !b.m)
        return a.m ? 1 : b.m ? -1 : 0;
    if (a.e != b.e)
        return a.e > b.e ? 1 : -1;
    return a.m > b.m ? 1 : a.m < b.m ? -1 : 0;
}

static Xf xf_add(Xf a, Xf b)
{
    if (!b.m)
        return a;
    if (!a.m)
        return b;
    if (xf_cmp_mag(a, b) < 0) {
        Xf t = a;
        a = b;
        b = t;
    }
    uint32_t d = (uint32_t)(a.e - b.e);
    u128 bm = d >= 128 ? 1 : d ? (b.m >> d) | ((b.m << (128 - d)) != 0) : b.m;
    if (a.neg == b.neg) {
        u128 s = a.m + bm;
        if (s < a.m)   /* carried out of bit 127 */
            return (Xf){ (s >> 1) | (s & 1) | (u128)1 << 127, a.e + 1, a.neg };
        return (Xf){ s, a.e, a.neg };
    }
    return xf_make(a.neg, a.e, a.m - bm);
}

static Xf xf_sub(Xf a, Xf b) { return xf_add(a, xf_neg(b)); }

static Xf xf_mul(Xf a, Xf b)
{
    if (!a.m || !b.m)
        return XF_ZERO;
    const u128 lo64 = ~(uint64_t)0;
    u128 ah = a.m >> 64, al = a.m & lo64, bh = b.m >> 64, bl = b.m & lo64;
    u128 hh = ah * bh, hl = ah * bl, lh = al * bh, ll = al * bl;
    u128 mid = (hl & lo64) + (lh & lo64) + (ll >> 64);
    u128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
    bool sticky = (mid & lo64) || (ll & lo64);
    int32_t e = a.e + b.e + 1;
    if (!(hi >> 127)) {
        hi = hi << 1 | ((mid >> 63) & 1);
        e--;
    }
    return (Xf){ hi | sticky, e, a.neg != b.neg };
}

/* a / b, b non-zero: 128 quotient bits by restoring division. */
static Xf xf_div(Xf a, Xf b)
{
    if (!a.m)
        return XF_ZERO;
    u128 r = a.m, d = b.m, q = 0;
    int32_t e = a.e - b.e;
    bool top = false;
    if (r < d) {
        top = r >> 127;
        r <<= 1;
        e--;
    }
    for (int i = 0; i < 128; i++) {
        q <<= 1;
        if (top || r >= d) {
            r -= d;
            q |= 1;
        }
        top = r >> 127;
        r <<= 1;
    }
    return (Xf){ q | (r != 0 || top), e, a.neg != b.neg };
}

/* a / d for a small positive integer d. */
static Xf xf_div_small(Xf a, uint32_t d)
{
    if (!a.m)
        return a;
    u128 q = a.m / d, rem = a.m % d;
    unsigned s = clz128(q);   /* at most 32 */
    u128 low = (rem << s) / d;
    return (Xf){ q << s | low | ((rem << s) % d != 0), a.e - (int32_t)s, a.neg };
}

/* The series loops stop when a term is this far below the sum. */
#define SERIES_BITS 130
/* A series whose whole tail is this far below its leading term is taken
 * as the leading term moved toward the tail by 2^-119 of it: far beyond
 * the truncation errors, so an irrational result rounds in the right
 * direction and never looks exact (PE, sin x just below x, ...). */
#define TAIL_BITS 119

static bool tail_negligible(Xf lead, Xf first_term)
{
    return !first_term.m || first_term.e < lead.e - TAIL_BITS;
}

static Xf lead_with_tail(Xf lead, bool tail_neg)
{
    const u128 step = (u128)1 << (127 - TAIL_BITS);
    if (tail_neg == lead.neg) {
        u128 m = lead.m + step;
        if (m < lead.m)   /* carried out */
            return (Xf){ (m >> 1) | (u128)1 << 127, lead.e + 1, lead.neg };
        return (Xf){ m, lead.e, lead.neg };
    }
    return xf_make(lead.neg, lead.e, lead.m - step);
}

/* Round once to 64 bits: precision control does not apply here. Intel
 * parts report every computed transcendental result inexact, even an exact
 * one (y log2 x for a power of two x), and so a denormal one tiny. */
static F80 xf_round(Sf80Ctx *c, Xf v)
{
    Sf80Ctx t = *c;
    t.pc = SF_PC_64;
    F80 r = sf80_round_pack(&t, v.neg, v.e, v.m);
    c->flags = t.flags | SF_PE;
    if (sf80_exp(r) == 0)
        c->flags |= SF_UE;
    return r;
}

/* ---- series ---- */

/* sin r, |r| <= pi/4 */
static Xf xf_sin_series(Xf r)
{
    Xf r2 = xf_mul(r, r), term = r, sum = r;
    for (uint32_t n = 1; sum.m; n++) {
        term = xf_neg(xf_div_small(xf_mul(term, r2), (2 * n) * (2 * n + 1)));
        if (n == 1 && tail_negligible(r, term))
            return lead_with_tail(r, true ^ r.neg);
        if (!term.m || term.e < sum.e - SERIES_BITS)
            break;
        sum = xf_add(sum, term);
    }
    return sum;
}

/* cos r, |r| <= pi/4 */
static Xf xf_cos_series(Xf r)
{
    Xf r2 = xf_mul(r, r), term = XF_ONE, sum = XF_ONE;
    if (!r2.m)
        return XF_ONE;
    for (uint32_t n = 1;; n++) {
        term = xf_neg(xf_div_small(xf_mul(term, r2), (2 * n - 1) * (2 * n)));
        if (n == 1 && tail_negligible(XF_ONE, term))
            return lead_with_tail(XF_ONE, true);
        if (!term.m || term.e < sum.e - SERIES_BITS)
            return sum;
        sum = xf_add(sum, term);
    }
}

/* atan u (alternate = true) or atanh u (false), |u| small. */
static Xf xf_atan_series(Xf u, bool alternate)
{
    Xf u2 = xf_mul(u, u), pow = u, sum = u;
    for (uint32_t n = 1; sum.m; n++) {
        pow = xf_mul(pow, u2);
        if (alternate)
            pow = xf_neg(pow);
        Xf term = xf_div_small(pow, 2 * n + 1);
        if (n == 1 && tail_negligible(u, term))
            return lead_with_tail(u, alternate ^ u.neg);
        if (!term.m || term.e < sum.e - SERIES_BITS)
            break;
        sum = xf_add(sum, term);
    }
    return sum;
}

/* e^t - 1, |t| <= ln 2 */
static Xf xf_expm1_series(Xf t)
{
    Xf term = t, sum = t;
    for (uint32_t n = 2; sum.m; n++) {
        term = xf_div_small(xf_mul(term, t), n);
        if (n == 2 && tail_negligible(t, term))
            return lead_with_tail(t, false);
        if (!term.m || term.e < sum.e - SERIES_BITS)
            break;
        sum = xf_add(sum, term);
    }
    return sum;
}

/* atan t for 0 <= t <= 1: atan t = atan c + atan((t - c) / (1 + t c)),
 * c = k/8 the nearest eighth, leaves |u| <= 1/16 for the series. */
static Xf xf_atan01(Xf t)
{
    unsigned k = 0;
    if (t.m && t.e >= -4) {
        unsigned sixteenths = (unsigned)(t.m >> (127 - (t.e + 4)));
        k = (sixteenths + 1) / 2;
    }
    if (!k)
        return xf_atan_series(t, true);
    Xf c = xf_make(false, 127 - 3, k);
    Xf u = xf_div(xf_sub(t, c), xf_add(XF_ONE, xf_mul(t, c)));
    return xf_add(XF_ATAN_K8[k], xf_atan_series(u, true));
}

/* log2 v for v > 0: v = 2^n * f with f in [sqrt(2)/2, sqrt(2)),
 * ln f = 2 atanh((f - 1) / (f + 1)). Exact for powers of two. */
static Xf xf_log2(Xf v)
{
    int32_t n = v.e;
    Xf f = { v.m, 0, false };
    if (f.m > SQRT2_127) {
        f.e = -1;
        n++;
    }
    Xf z = xf_sub(f, XF_ONE);
    Xf ln = z.m ? xf_scale(xf_atan_series(xf_div(z, xf_add(f, XF_ONE)), false), 1) : XF_ZERO;
    return xf_add(xf_from_int(n), xf_mul(ln, XF_INV_LN2));
}

/* ---- operand screening ---- */

/* DE; unmasked, the instruction stops (the layer keeps its operands). */
static bool denormal_stops(Sf80Ctx *c, F80 a, F80 *out)
{
    c->flags |= SF_DE;
    *out = a;
    return !(c->masks & SF_DE);
}

/* One operand: unsupported formats, NaNs; DE for denormals. True when *out
 * holds the result. */
static bool screen1(Sf80Ctx *c, F80 a, F80 *out)
{
    int ca = sf80_class(a);
    if (ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        *out = sf80_indefinite;
        return true;
    }
    if (ca == SF_CLASS_NAN) {
        *out = sf80_propagate(c, a, a, false);
        return true;
    }
    if (ca == SF_CLASS_DENORMAL)
        return denormal_stops(c, a, out);
    return false;
}

static F80 invalid(Sf80Ctx *c)
{
    c->flags |= SF_IE;
    return sf80_indefinite;
}

/* ---- FSIN, FCOS, FSINCOS, FPTAN ---- */

/* x = k * P/2 + r with P Intel's 66-bit pi, |r| <= P/4, computed exactly:
 * x * 2^65 is an integer below 2^128 and P/2 * 2^65 = PI66. Returns k mod 4. */
static unsigned reduce_pio2(F80 x, Xf *r)
{
    int32_t e;
    uint64_t m;
    sf80_unpack(x, &e, &m);
    bool neg = sf80_sign(x);
    if (e < -1) {   /* |x| < 1/2 */
        *r = xf_from_f80(x);
        return 0;
    }
    u128 big = (u128)m << (e + 2);   /* e <= 62 */
    u128 k = big / PI66, rem = big % PI66;
    bool rneg = false;
    if (rem > PI66 / 2) {
        k++;
        rem = PI66 - rem;
        rneg = true;
    }
    *r = xf_make(neg != rneg, 127 - 65, rem);
    unsigned q = (unsigned)(k & 3);
    return neg ? (4 - q) & 3 : q;
}

typedef struct TrigArg {
    bool done;              /* *result already set (special operand) */
    bool in_range;          /* false: |x| >= 2^63 */
    unsigned quadrant;
    Xf r;
} TrigArg;

static TrigArg trig_screen(Sf80Ctx *c, F80 x, F80 *special)
{
    TrigArg t = { .done = true, .in_range = true };
    if (screen1(c, x, special))
        return t;
    int cx = sf80_class(x);
    if (cx == SF_CLASS_INF) {
        *special = invalid(c);
        return t;
    }
    if (cx != SF_CLASS_ZERO && sf80_exp(x) >= SF80_BIAS + 63) {
        t.in_range = false;
        return t;
    }
    t.done = false;
    if (cx == SF_CLASS_ZERO) {
        t.r = XF_ZERO;
        t.r.neg = sf80_sign(x);
        t.quadrant = 0;
    } else {
        t.quadrant = reduce_pio2(x, &t.r);
    }
    return t;
}

/* sin and cos of r + quadrant * pi/2 */
static Xf quadrant_sin(const TrigArg *t)
{
    switch (t->quadrant) {
    case 0: return xf_sin_series(t->r);
    case 1: return xf_cos_series(t->r);
    case 2: return xf_neg(xf_sin_series(t->r));
    default: return xf_neg(xf_cos_series(t->r));
    }
}

static Xf quadrant_cos(const TrigArg *t)
{
    switch (t->quadrant) {
    case 0: return xf_cos_series(t->r);
    case 1: return xf_neg(xf_sin_series(t->r));
    case 2: return xf_neg(xf_cos_series(t->r));
    default: return xf_sin_series(t->r);
    }
}

/* sin(+-0) keeps the zero's sign; other exact zeros cannot occur. */
static F80 round_trig(Sf80Ctx *c, Xf v, F80 x)
{
    if (!v.m)
        return sf80_zero(sf80_sign(x));
    return xf_round(c, v);
}

/* Intel parts return a tiny operand itself, inexact, for sin, tan and
 * atan below these exponents (and round the computed value above them). */
#define SIN_TINY_EXP (-69)
#define ATAN_TINY_EXP (-41)
#define TAN_LOW_EXP (-34)

static bool tiny_operand(Sf80Ctx *c, Xf r, int32_t below, F80 x, F80 *out)
{
    if (!r.m || r.e > below)
        return false;
    /* x itself, reported inexact (and so tiny if it is denormal) */
    *out = xf_round(c, xf_from_f80(x));
    c->flags |= SF_PE;
    if (sf80_exp(*out) == 0)
        c->flags |= SF_UE;
    return true;
}

/* cos of such an operand is 1, inexact; of a zero, exactly 1. */
static bool cos_of_small(Sf80Ctx *c, const TrigArg *t, F80 *out)
{
    if (t->quadrant != 0 || (t->r.m && t->r.e > SIN_TINY_EXP))
        return false;
    if (t->r.m)
        c->flags |= SF_PE;
    *out = sf80_make(false, SF80_BIAS, SF80_INT_BIT);
    return true;
}

bool sf80_sin(Sf80Ctx *c, F80 x, F80 *sin)
{
    TrigArg t = trig_screen(c, x, sin);
    if (!t.in_range)
        return false;
    if (t.done || (t.quadrant == 0 && tiny_operand(c, t.r, SIN_TINY_EXP, x, sin)))
        return true;
    *sin = round_trig(c, quadrant_sin(&t), x);
    return true;
}

bool sf80_cos(Sf80Ctx *c, F80 x, F80 *cos)
{
    TrigArg t = trig_screen(c, x, cos);
    if (!t.in_range)
        return false;
    if (!t.done && !cos_of_small(c, &t, cos))
        *cos = xf_round(c, quadrant_cos(&t));
    return true;
}

bool sf80_sincos(Sf80Ctx *c, F80 x, F80 *sin, F80 *cos)
{
    TrigArg t = trig_screen(c, x, sin);
    if (!t.in_range)
        return false;
    if (t.done) {
        *cos = *sin;
        return true;
    }
    if (t.quadrant != 0 || !tiny_operand(c, t.r, SIN_TINY_EXP, x, sin))
        *sin = round_trig(c, quadrant_sin(&t), x);
    /* C1 is the cosine's, rounded last. */
    c->flags &= (uint16_t)~SF_C1;
    if (!cos_of_small(c, &t, cos))
        *cos = xf_round(c, quadrant_cos(&t));
    return true;
}

bool sf80_tan(Sf80Ctx *c, F80 x, F80 *tan)
{
    TrigArg t = trig_screen(c, x, tan);
    if (!t.in_range)
        return false;
    if (t.done)
        return true;
    if (!t.r.m) {
        *tan = x;
        return true;
    }
    if (t.quadrant == 0 && tiny_operand(c, t.r, SIN_TINY_EXP, x, tan))
        return true;
    Xf s = xf_sin_series(t.r), co = xf_cos_series(t.r);
    /* tan(r + pi/2) = -cos r / sin r */
    Xf v = (t.quadrant & 1) ? xf_neg(xf_div(co, s)) : xf_div(s, co);
    /* Below 2^-33 Intel's tangent comes out just under |r| (though
     * tan r > r): follow it, as the directed roundings and C1 show it. */
    if (!(t.quadrant & 1) && t.r.e <= TAN_LOW_EXP)
        v = lead_with_tail(t.r, !t.r.neg);
    *tan = xf_round(c, v);
    return true;
}

/* ---- FPATAN ---- */

static F80 atan2_special(Sf80Ctx *c, F80 y, F80 x)
{
    bool sy = sf80_sign(y), sx = sf80_sign(x);
    int cy = sf80_class(y), cx = sf80_class(x);
    Xf v;
    if (cy == SF_CLASS_INF)
        v = cx != SF_CLASS_INF ? XF_PI_2 : sx ? XF_3PI_4 : XF_PI_4;
    else if (cy != SF_CLASS_ZERO && cx == SF_CLASS_ZERO)
        v = XF_PI_2;
    else if (sx)            /* y zero (any x), or y finite over -inf */
        v = XF_PI;
    else
        return sf80_zero(sy);
    v.neg = sy;
    return xf_round(c, v);
}

F80 sf80_atan2(Sf80Ctx *c, F80 y, F80 x)
{
    F80 out;
    if (sf80_screen_nan2(c, x, y, &out) || sf80_screen_denormal2(c, x, y, &out))
        return out;
    int cy = sf80_class(y), cx = sf80_class(x);
    if (cy == SF_CLASS_ZERO || cy == SF_CLASS_INF || cx == SF_CLASS_ZERO || cx == SF_CLASS_INF)
        return atan2_special(c, y, x);
    Xf ay = xf_abs(xf_from_f80(y)), ax = xf_abs(xf_from_f80(x));
    bool steep = xf_cmp_mag(ay, ax) > 0;
    Xf t = steep ? xf_div(ax, ay) : xf_div(ay, ax);
    /* A tiny ratio is its own arctangent on Intel parts (inexact). */
    Xf a = t.e <= ATAN_TINY_EXP ? t : xf_atan01(t);
    if (!steep && !sf80_sign(x) && t.e <= ATAN_TINY_EXP) {
        a.neg = sf80_sign(y);
        F80 r = xf_round(c, a);
        c->flags |= SF_PE;
        return r;
    }
    if (steep)
        a = xf_sub(XF_PI_2, a);
    if (sf80_sign(x))
        a = xf_sub(XF_PI, a);
    a.neg = sf80_sign(y);
    return xf_round(c, a);
}

/* ---- F2XM1 ---- */

F80 sf80_2xm1(Sf80Ctx *c, F80 x)
{
    F80 out;
    if (screen1(c, x, &out))
        return out;
    int cx = sf80_class(x);
    if (cx == SF_CLASS_ZERO)
        return x;
    if (cx == SF_CLASS_INF)   /* outside Intel's range: the limits */
        return sf80_sign(x) ? sf80_make(true, SF80_BIAS, SF80_INT_BIT) : x;
    Xf v = xf_from_f80(x);
    if (xf_cmp_mag(v, XF_ONE) > 0) {
        /* Outside Intel's range, undefined: Intel parts return the operand
         * and report it inexact. */
        c->flags |= SF_PE;
        return x;
    }
    if (v.e == 0) {   /* +-1: exact, yet reported inexact as Intel parts do */
        c->flags |= SF_PE;
        return v.neg ? sf80_make(true, SF80_BIAS - 1, SF80_INT_BIT) : sf80_make(false, SF80_BIAS, SF80_INT_BIT);
    }
    return xf_round(c, xf_expm1_series(xf_mul(v, XF_LN2)));
}

/* ---- FYL2X, FYL2XP1 ---- */

static bool is_one(F80 a) { return a.se == SF80_BIAS && a.mant == SF80_INT_BIT; }

F80 sf80_yl2x(Sf80Ctx *c, F80 x, F80 y)
{
    F80 out;
    if (sf80_screen_nan2(c, x, y, &out))
        return out;
    int cx = sf80_class(x), cy = sf80_class(y);
    bool sx = sf80_sign(x), sy = sf80_sign(y);
    if ((sx && cx != SF_CLASS_ZERO) ||
        (cy == SF_CLASS_ZERO && (cx == SF_CLASS_ZERO || cx == SF_CLASS_INF)) ||
        (cy == SF_CLASS_INF && is_one(x)))
        return invalid(c);
    if (cx == SF_CLASS_ZERO) {   /* log2 0 = -inf */
        if (cy != SF_CLASS_INF)
            c->flags |= SF_ZE;
        return sf80_inf(!sy);
    }
    if (sf80_screen_denormal2(c, x, y, &out))
        return out;
    if (cx == SF_CLASS_INF)
        return sf80_inf(sy);
    Xf l2 = xf_log2(xf_from_f80(x));   /* finite, positive x */
    if (cy == SF_CLASS_INF)
        return sf80_inf(sy != l2.neg);
    if (cy == SF_CLASS_ZERO || !l2.m)
        return sf80_zero(sy != l2.neg);
    return xf_round(c, xf_mul(xf_from_f80(y), l2));
}

F80 sf80_yl2xp1(Sf80Ctx *c, F80 x, F80 y)
{
    F80 out;
    if (sf80_screen_nan2(c, x, y, &out))
        return out;
    int cx = sf80_class(x), cy = sf80_class(y);
    bool sx = sf80_sign(x), sy = sf80_sign(y);
    if ((cx == SF_CLASS_ZERO && cy == SF_CLASS_INF) || (cx == SF_CLASS_INF && sx) ||
        (cx == SF_CLASS_INF && cy == SF_CLASS_ZERO))
        return invalid(c);
    if (sf80_screen_denormal2(c, x, y, &out))
        return out;
    if (cx == SF_CLASS_ZERO)
        return sf80_zero(sx != sy);
    if (cx == SF_CLASS_INF)
        return sf80_inf(sy);
    /* Intel defines |x| < 1 - sqrt(2)/2 only. Its parts compute
     * y * log2(1 + x) for any x > -1; for x <= -1 they give x itself
     * (inexact), or a zero or infinity signed as the product for a zero or
     * infinite y. */
    Xf vx = xf_from_f80(x);
    if (vx.neg && xf_cmp_mag(vx, XF_ONE) >= 0) {
        if (cy == SF_CLASS_ZERO)
            return sf80_zero(sx != sy);
        if (cy == SF_CLASS_INF)
            return sf80_inf(sx != sy);
        c->flags |= SF_PE;
        return x;
    }
    Xf l2;
    if (vx.e < -1) {   /* |x| < 1/2: ln(1 + x) = 2 atanh(x / (2 + x)) */
        Xf s = xf_div(vx, xf_add(xf_scale(XF_ONE, 1), vx));
        l2 = xf_mul(xf_scale(xf_atan_series(s, false), 1), XF_INV_LN2);
    } else {
        l2 = xf_log2(xf_add(XF_ONE, vx));
    }
    if (cy == SF_CLASS_INF)
        return sf80_inf(sy != l2.neg);
    if (cy == SF_CLASS_ZERO || !l2.m)
        return sf80_zero(sy != l2.neg);
    return xf_round(c, xf_mul(xf_from_f80(y), l2));
}
