/* SPDX-License-Identifier: MIT */
/* Soft-float binary32/binary64 with MXCSR semantics (see sfp.h).
 *
 * Every operation unpacks its operands to (sign, class, significand,
 * exponent), computes the exact result or one with enough extra bits and a
 * sticky bit in 128-bit integers, and hands it to one rounding routine,
 * round_pack(), which knows both formats, the rounding modes, tininess,
 * overflow and FTZ. */
#include "fpu/sfp.h"

#include <stddef.h>

typedef unsigned __int128 u128;

/* Tininess: SSE detects it after rounding (the result, rounded as if the
 * exponent range were unbounded, is below the smallest normal). */
#define TINY_AFTER_ROUNDING 1

typedef struct {
    unsigned mbits;     /* stored fraction bits */
    unsigned emax;      /* all-ones exponent field */
    int bias;
    uint64_t indefinite;
} FmtInfo;

static const FmtInfo fmts[2] = {
    [FMT_S] = { 23, 0xFF, 127, 0xFFC00000u },
    [FMT_D] = { 52, 0x7FF, 1023, 0xFFF8000000000000ull },
};

enum { C_ZERO, C_FINITE, C_INF, C_NAN };

typedef struct {
    bool sign, denormal, snan;
    int cls;
    int32_t exp;        /* value = sig * 2^exp */
    uint64_t sig;
    uint64_t bits;      /* the operand after DAZ */
} Unp;

static uint64_t frac_mask(const FmtInfo *fi) { return (1ull << fi->mbits) - 1; }
static uint64_t sign_bit(const FmtInfo *fi)
{
    return 1ull << (fi->mbits + (fi == &fmts[FMT_S] ? 8 : 11));
}

static Unp unpack(SfpFmt f, uint64_t a, const SfpEnv *e)
{
    const FmtInfo *fi = &fmts[f];
    Unp u = { 0 };
    u.bits = a;
    u.sign = (a & sign_bit(fi)) != 0;
    unsigned ex = (unsigned)(a >> fi->mbits) & fi->emax;
    uint64_t fr = a & frac_mask(fi);
    if (ex == fi->emax) {
        u.cls = fr ? C_NAN : C_INF;
        u.snan = fr && !(fr >> (fi->mbits - 1));
        return u;
    }
    if (ex == 0) {
        if (fr == 0) {
            u.cls = C_ZERO;
            return u;
        }
        if (e->mxcsr & MX_DAZ) {
            u.cls = C_ZERO;
            u.bits = a & sign_bit(fi);
            return u;
        }
        u.denormal = true;
        u.cls = C_FINITE;
        u.sig = fr;
        u.exp = 1 - fi->bias - (int)fi->mbits;
        return u;
    }
    u.cls = C_FINITE;
    u.sig = fr | (1ull << fi->mbits);
    u.exp = (int)ex - fi->bias - (int)fi->mbits;
    return u;
}

static uint64_t quiet(SfpFmt f, uint64_t a) { return a | (1ull << (fmts[f].mbits - 1)); }

static uint64_t pack_inf(SfpFmt f, bool sign)
{
    const FmtInfo *fi = &fmts[f];
    return (sign ? sign_bit(fi) : 0) | ((uint64_t)fi->emax << fi->mbits);
}

static uint64_t pack_zero(SfpFmt f, bool sign) { return sign ? sign_bit(&fmts[f]) : 0; }

static int msb128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll((uint64_t)v);
}

/* sig >> s with rounding by mode; *inexact tells whether bits were lost. */
static u128 shift_round(u128 sig, int s, unsigned rc, bool sign, bool *inexact)
{
    if (s <= 0) {
        *inexact = false;
        return sig << -s;
    }
    u128 kept;
    bool rbit, sticky;
    if (s >= 128) {
        kept = 0;
        rbit = false;
        sticky = sig != 0;
    } else {
        kept = sig >> s;
        rbit = (sig >> (s - 1)) & 1;
        sticky = (sig & (((u128)1 << (s - 1)) - 1)) != 0;
    }
    *inexact = rbit || sticky;
    bool up;
    switch (rc) {
    case SFP_NEAREST: up = rbit && (sticky || (kept & 1)); break;
    case SFP_DOWN: up = *inexact && sign; break;
    case SFP_UP: up = *inexact && !sign; break;
    default: up = false; break;
    }
    return kept + up;
}

/* Round sign * sig * 2^exp (sig != 0) into format f. */
static uint64_t round_pack(SfpFmt f, bool sign, int32_t exp, u128 sig, SfpEnv *e)
{
    const FmtInfo *fi = &fmts[f];
    unsigned rc = (e->mxcsr >> MX_RC_SHIFT) & 3, p = fi->mbits + 1;
    int m = msb128(sig);
    int be = m + exp + fi->bias;        /* biased exponent before rounding */
    bool tiny, inexact;
    /* Rounded to p bits with an unbounded exponent: tininess after
     * rounding, and the precision flag of an unmasked overflow or
     * underflow (whose exception writes no result, as if the scaled
     * result of the x87 had been delivered). */
    bool inexact_unbounded;
    u128 r = shift_round(sig, m - (int)(p - 1), rc, sign, &inexact_unbounded);
    if (TINY_AFTER_ROUNDING)
        tiny = be + (r >> p ? 1 : 0) <= 0;
    else
        tiny = be <= 0;
    int s = m - (int)(p - 1) + (be <= 0 ? 1 - be : 0);
    u128 kept = shift_round(sig, s, rc, sign, &inexact);
    uint64_t out;
    if (be <= 0) {
        out = (uint64_t)kept;           /* may carry into the smallest normal */
    } else {
        if (kept >> p) {
            kept >>= 1;
            be++;
        }
        if (be >= (int)fi->emax) {
            bool om_masked = e->mxcsr & (MX_OE << MX_MASK_SHIFT);
            e->flags |= MX_OE | (om_masked || inexact_unbounded ? MX_PE : 0);
            bool to_inf = rc == SFP_NEAREST || (rc == SFP_UP && !sign) || (rc == SFP_DOWN && sign);
            return to_inf ? pack_inf(f, sign)
                          : pack_inf(f, sign) - 1;   /* the largest finite */
        }
        out = ((uint64_t)(be - 1) << fi->mbits) + (uint64_t)kept;
    }
    if (tiny) {
        bool um_masked = e->mxcsr & (MX_UE << MX_MASK_SHIFT);
        if (um_masked && (e->mxcsr & MX_FTZ)) {
            e->flags |= MX_UE | MX_PE;
            return pack_zero(f, sign);
        }
        if (!um_masked) {
            e->flags |= MX_UE | (inexact_unbounded ? MX_PE : 0);
            return out | (sign ? sign_bit(fi) : 0);
        }
        if (inexact)
            e->flags |= MX_UE;
    }
    if (inexact)
        e->flags |= MX_PE;
    return out | (sign ? sign_bit(fi) : 0);
}

/* NaN operands: IE for an SNaN; the first NaN operand, quieted. */
static bool nan_result(SfpFmt f, const Unp *a, const Unp *b, uint64_t *out, SfpEnv *e)
{
    if (a->cls != C_NAN && b->cls != C_NAN)
        return false;
    if (a->snan || b->snan)
        e->flags |= MX_IE;
    *out = quiet(f, a->cls == C_NAN ? a->bits : b->bits);
    return true;
}

static uint64_t invalid(SfpFmt f, SfpEnv *e)
{
    e->flags |= MX_IE;
    return fmts[f].indefinite;
}

static void note_denormals(const Unp *a, const Unp *b, SfpEnv *e)
{
    if (a->denormal || (b && b->denormal))
        e->flags |= MX_DE;
}

static uint64_t add_signed(SfpFmt f, uint64_t a, uint64_t b, bool negate_b, SfpEnv *e)
{
    Unp x = unpack(f, a, e), y = unpack(f, b, e);
    uint64_t out;
    if (nan_result(f, &x, &y, &out, e))
        return out;
    bool ys = y.sign ^ negate_b;
    if (x.cls == C_INF || y.cls == C_INF) {
        if (x.cls == C_INF && y.cls == C_INF && x.sign != ys)
            return invalid(f, e);
        note_denormals(&x, &y, e);
        return pack_inf(f, x.cls == C_INF ? x.sign : ys);
    }
    note_denormals(&x, &y, e);
    unsigned rc = (e->mxcsr >> MX_RC_SHIFT) & 3;
    if (x.cls == C_ZERO && y.cls == C_ZERO)
        return pack_zero(f, x.sign == ys ? x.sign : rc == SFP_DOWN);
    if (x.cls == C_ZERO || y.cls == C_ZERO) {
        const Unp *n = x.cls == C_ZERO ? &y : &x;
        bool s = x.cls == C_ZERO ? ys : x.sign;
        return round_pack(f, s, n->exp, n->sig, e);
    }
    /* Align to the larger exponent with 64 guard bits; what falls off the
     * smaller operand is kept as a sticky bit. */
    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
        Unp t = x;
        bool xs = x.sign;
        x = y;
        y = t;
        x.sign = ys;
        ys = xs;
    }
    u128 X = (u128)x.sig << 64, Y = (u128)y.sig << 64;
    int d = x.exp - y.exp;
    if (d > 0) {
        if (d >= 120) {
            Y = 1;
        } else {
            bool lost = (Y & (((u128)1 << d) - 1)) != 0;
            Y = (Y >> d) | lost;
        }
    }
    int32_t ex = x.exp - 64;
    if (x.sign == ys)
        return round_pack(f, x.sign, ex, X + Y, e);
    u128 diff = X - Y;
    if (diff == 0)
        return pack_zero(f, rc == SFP_DOWN);
    return round_pack(f, x.sign, ex, diff, e);
}

uint64_t sfp_add(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e)
{
    return add_signed(f, a, b, false, e);
}

uint64_t sfp_sub(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e)
{
    return add_signed(f, a, b, true, e);
}

uint64_t sfp_mul(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e)
{
    Unp x = unpack(f, a, e), y = unpack(f, b, e);
    uint64_t out;
    if (nan_result(f, &x, &y, &out, e))
        return out;
    bool s = x.sign ^ y.sign;
    if (x.cls == C_INF || y.cls == C_INF) {
        if (x.cls == C_ZERO || y.cls == C_ZERO)
            return invalid(f, e);
        note_denormals(&x, &y, e);
        return pack_inf(f, s);
    }
    note_denormals(&x, &y, e);
    if (x.cls == C_ZERO || y.cls == C_ZERO)
        return pack_zero(f, s);
    return round_pack(f, s, x.exp + y.exp, (u128)x.sig * y.sig, e);
}

/* Shift a finite significand so its top bit is bit 52. */
static void normalize52(Unp *u)
{
    int sh = 52 - (63 - __builtin_clzll(u->sig));
    u->sig <<= sh;
    u->exp -= sh;
}

uint64_t sfp_div(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e)
{
    Unp x = unpack(f, a, e), y = unpack(f, b, e);
    uint64_t out;
    if (nan_result(f, &x, &y, &out, e))
        return out;
    bool s = x.sign ^ y.sign;
    if ((x.cls == C_INF && y.cls == C_INF) || (x.cls == C_ZERO && y.cls == C_ZERO))
        return invalid(f, e);
    if (x.cls == C_INF) {
        note_denormals(&x, &y, e);
        return pack_inf(f, s);
    }
    if (y.cls == C_INF) {
        note_denormals(&x, &y, e);
        return pack_zero(f, s);
    }
    if (y.cls == C_ZERO) {
        e->flags |= MX_ZE;   /* a denormal dividend adds no DE (measured) */
        return pack_inf(f, s);
    }
    note_denormals(&x, &y, e);
    if (x.cls == C_ZERO)
        return pack_zero(f, s);
    normalize52(&x);
    normalize52(&y);
    u128 num = (u128)x.sig << 64;
    u128 q = num / y.sig;
    bool rem = (num % y.sig) != 0;
    return round_pack(f, s, x.exp - y.exp - 65, (q << 1) | rem, e);
}

static u128 isqrt128(u128 v, bool *exact)
{
    u128 r = 0, bit = (u128)1 << 126;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    *exact = v == 0;
    return r;
}

uint64_t sfp_sqrt(SfpFmt f, uint64_t b, SfpEnv *e)
{
    Unp y = unpack(f, b, e);
    if (y.cls == C_NAN) {
        if (y.snan)
            e->flags |= MX_IE;
        return quiet(f, y.bits);
    }
    if (y.cls == C_ZERO)
        return y.bits;
    if (y.sign)
        return invalid(f, e);
    note_denormals(&y, NULL, e);
    if (y.cls == C_INF)
        return y.bits;
    normalize52(&y);
    /* value = sig * 2^exp with sig < 2^53; make exp even and widen to ~124 bits. */
    u128 v = (u128)y.sig << 70;
    int32_t ex = y.exp - 70;
    if (ex & 1) {
        v <<= 1;
        ex -= 1;
    }
    bool exact;
    u128 r = isqrt128(v, &exact);
    return round_pack(f, false, ex / 2 - 1, (r << 1) | !exact, e);
}

int sfp_compare(SfpFmt f, uint64_t a, uint64_t b, bool quiet_cmp, SfpEnv *e)
{
    Unp x = unpack(f, a, e), y = unpack(f, b, e);
    if (x.cls == C_NAN || y.cls == C_NAN) {
        if (!quiet_cmp || x.snan || y.snan)
            e->flags |= MX_IE;
        return 2;
    }
    note_denormals(&x, &y, e);
    if (x.cls == C_ZERO && y.cls == C_ZERO)
        return 0;
    uint64_t sb = sign_bit(&fmts[f]);
    uint64_t ma = x.cls == C_ZERO ? 0 : x.bits & ~sb, mb = y.cls == C_ZERO ? 0 : y.bits & ~sb;
    bool sa = x.cls != C_ZERO && x.sign, sbn = y.cls != C_ZERO && y.sign;
    if (sa != sbn)
        return sa ? -1 : 1;
    if (ma == mb)
        return 0;
    bool less = sa ? ma > mb : ma < mb;
    return less ? -1 : 1;
}

static uint64_t min_max(SfpFmt f, uint64_t a, uint64_t b, bool want_max, SfpEnv *e)
{
    int c = sfp_compare(f, a, b, false, e);
    Unp x = unpack(f, a, e), y = unpack(f, b, e);
    if (c == 2)
        return y.bits;   /* the second operand, as DAZ read it */
    if (x.cls == C_ZERO && y.cls == C_ZERO)
        return y.bits;
    bool take_a = want_max ? c > 0 : c < 0;
    return take_a ? x.bits : y.bits;
}

uint64_t sfp_min(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e) { return min_max(f, a, b, false, e); }
uint64_t sfp_max(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e) { return min_max(f, a, b, true, e); }

uint32_t sfp_to_i32(SfpFmt f, uint64_t a, bool truncate, SfpEnv *e)
{
    Unp x = unpack(f, a, e);
    if (x.cls == C_NAN || x.cls == C_INF) {
        e->flags |= MX_IE;
        return 0x80000000u;
    }
    if (x.cls == C_ZERO)
        return 0;
    unsigned rc = truncate ? SFP_ZERO : (e->mxcsr >> MX_RC_SHIFT) & 3;
    bool inexact = false;
    u128 mag;
    if (x.exp >= 0) {
        if (x.exp > 40) {
            e->flags |= MX_IE;
            return 0x80000000u;
        }
        mag = (u128)x.sig << x.exp;
    } else {
        mag = shift_round(x.sig, -x.exp, rc, x.sign, &inexact);
    }
    if (mag > (x.sign ? 0x80000000u : 0x7FFFFFFFu)) {
        e->flags |= MX_IE;
        return 0x80000000u;
    }
    if (inexact)
        e->flags |= MX_PE;
    uint32_t v = (uint32_t)mag;
    return x.sign ? (uint32_t)-v : v;
}

uint64_t sfp_from_i32(SfpFmt f, int32_t v, SfpEnv *e)
{
    if (v == 0)
        return 0;
    bool s = v < 0;
    uint64_t mag = s ? (uint64_t)-(int64_t)v : (uint64_t)v;
    return round_pack(f, s, 0, mag, e);
}

uint64_t sfp_convert(SfpFmt to, SfpFmt from, uint64_t a, SfpEnv *e)
{
    Unp x = unpack(from, a, e);
    const FmtInfo *ft = &fmts[to], *ff = &fmts[from];
    switch (x.cls) {
    case C_NAN: {
        if (x.snan)
            e->flags |= MX_IE;
        uint64_t fr = a & frac_mask(ff);
        fr = to == FMT_D ? fr << 29 : fr >> 29;
        return quiet(to, pack_inf(to, x.sign) | fr);
    }
    case C_INF: return pack_inf(to, x.sign);
    case C_ZERO: return pack_zero(to, x.sign);
    default:
        note_denormals(&x, NULL, e);
        (void)ft;
        return round_pack(to, x.sign, x.exp, x.sig, e);
    }
}

/* --- approximations --- */

/* The value rounded to 12 significant bits after a correctly rounded
 * binary32 operation: relative error within 2^-12, inside the 1.5 * 2^-12
 * the SDM promises (the vendors' tables differ, so no bit pattern is
 * "the" right one). Denormal operands read as zero and tiny results
 * become zero, as on the hardware; no flags. */
static uint32_t approx(uint32_t exact)
{
    return (exact + 0x400u) & ~0x7FFu;
}

uint32_t sfp_rcp_s(uint32_t a, SfpEnv *e)
{
    (void)e;
    SfpEnv t = sfp_env(MX_RESET | MX_DAZ | MX_FTZ);
    Unp x = unpack(FMT_S, a, &t);
    if (x.cls == C_NAN)
        return (uint32_t)quiet(FMT_S, a);
    if (x.cls == C_ZERO)
        return (uint32_t)pack_inf(FMT_S, x.sign);
    return approx((uint32_t)sfp_div(FMT_S, 0x3F800000u, x.bits, &t));
}

uint32_t sfp_rsqrt_s(uint32_t a, SfpEnv *e)
{
    (void)e;
    SfpEnv t = sfp_env(MX_RESET | MX_DAZ | MX_FTZ);
    Unp x = unpack(FMT_S, a, &t);
    if (x.cls == C_NAN)
        return (uint32_t)quiet(FMT_S, a);
    if (x.cls == C_ZERO)
        return (uint32_t)pack_inf(FMT_S, x.sign);
    if (x.sign)
        return (uint32_t)fmts[FMT_S].indefinite;
    uint32_t r = (uint32_t)sfp_sqrt(FMT_S, x.bits, &t);
    return approx((uint32_t)sfp_div(FMT_S, 0x3F800000u, r, &t));
}
