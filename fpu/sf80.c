/* SPDX-License-Identifier: MIT */
/* 80-bit extended soft-float (see sf80.h).
 *
 * Internally a finite value is (sign, e, S): value = S * 2^(e - 127) with S
 * a 128-bit significand whose bit 127 is the integer bit when normalized,
 * and e the unbiased exponent. One rounding routine serves the register
 * format (at 24, 53 or 64 bits) and the float32/float64 stores. */
#include "fpu/sf80.h"
#include "fpu/sf80_internal.h"

typedef unsigned __int128 u128;

#define BIAS 16383
#define INT_BIT 0x8000000000000000ull
#define QUIET_BIT 0x4000000000000000ull

const F80 sf80_indefinite = { 0xC000000000000000ull, 0xFFFF };

F80 sf80_zero(bool sign) { return sf80_make(sign, 0, 0); }
F80 sf80_inf(bool sign) { return sf80_make(sign, 0x7FFF, INT_BIT); }

int sf80_class(F80 a)
{
    unsigned e = sf80_exp(a);
    if (e == 0)
        return a.mant ? SF_CLASS_DENORMAL : SF_CLASS_ZERO;   /* pseudo-denormals too */
    if (e == 0x7FFF) {
        if (!(a.mant & INT_BIT))
            return SF_CLASS_UNSUPPORTED;   /* pseudo-infinity / pseudo-NaN */
        return (a.mant << 1) ? SF_CLASS_NAN : SF_CLASS_INF;
    }
    return (a.mant & INT_BIT) ? SF_CLASS_NORMAL : SF_CLASS_UNSUPPORTED;   /* unnormal */
}

bool sf80_is_nan(F80 a) { return sf80_class(a) == SF_CLASS_NAN; }
bool sf80_is_snan(F80 a) { return sf80_is_nan(a) && !(a.mant & QUIET_BIT); }

static F80 quiet(F80 a)
{
    a.mant |= QUIET_BIT;
    return a;
}

/* An operand passed through as the result: a pseudo-denormal is written
 * in its normal encoding (exponent 1), as the x87 does. */
static F80 canonical(F80 a)
{
    if (sf80_exp(a) == 0 && (a.mant & INT_BIT))
        a.se |= 1;
    return a;
}

/* NaN operands: an SNaN is invalid; of two NaNs the larger significand wins. */
F80 sf80_propagate(Sf80Ctx *c, F80 a, F80 b, bool b_used)
{
    bool an = sf80_is_nan(a), bn = b_used && sf80_is_nan(b);
    if (sf80_is_snan(a) || (b_used && sf80_is_snan(b)))
        c->flags |= SF_IE;
    if (an && bn) {
        /* A QNaN beats an SNaN; between two of a kind the larger
         * significand wins. */
        bool qa = a.mant & QUIET_BIT, qb = b.mant & QUIET_BIT;
        if (qa != qb)
            return quiet(qa ? a : b);
        uint64_t ma = a.mant | QUIET_BIT, mb = b.mant | QUIET_BIT;
        if (ma != mb)
            return quiet(ma > mb ? a : b);
        return quiet(sf80_sign(a) ? b : a);   /* equal significands: the positive one */
    }
    return quiet(an ? a : b);
}

/* Unpack a finite non-zero operand to (e, 64-bit normalized significand). */
void sf80_unpack(F80 a, int32_t *e, uint64_t *m)
{
    int32_t exp = (int32_t)sf80_exp(a);
    uint64_t mant = a.mant;
    if (exp == 0)
        exp = 1;   /* denormals share the scale of the smallest normal */
    while (!(mant & INT_BIT)) {
        mant <<= 1;
        exp--;
    }
    *e = exp - BIAS;
    *m = mant;
}

/* Shift right with the shifted-out bits folded into bit 0 (sticky). */
static u128 shift_right_sticky(u128 v, unsigned n)
{
    if (n == 0)
        return v;
    if (n >= 128)
        return v != 0;
    u128 out = v >> n;
    if (v << (128 - n))
        out |= 1;
    return out;
}

typedef struct Rounded {
    uint64_t mant;
    int32_t e;          /* unbiased */
    bool denormal;      /* below the normal range (mant has no integer bit) */
    bool overflow;
    bool inexact;
    bool tiny;
    bool up;            /* magnitude was increased */
} Rounded;

/* Tininess as the x87 detects it: after rounding to p bits with an
 * unbounded exponent. Only a value just below the smallest normal that
 * rounds up into it escapes. */
static bool tiny_after_rounding(unsigned rc, bool sign, int32_t e, u128 s, unsigned p,
                                int32_t emin)
{
    if (e != emin - 1)
        return e < emin;
    unsigned drop = 128 - p;
    u128 kept = s >> drop, rest = s & (((u128)1 << drop) - 1), half = (u128)1 << (drop - 1);
    if (kept != ((u128)1 << p) - 1 || !rest)
        return true;
    switch (rc) {
    case SF_RC_NEAREST: return rest < half;
    case SF_RC_UP: return sign;
    case SF_RC_DOWN: return !sign;
    default: return true;
    }
}

/* Round S * 2^(e - 127) (S normalized, non-zero) to p bits within the
 * exponent range [emin, emax]. */
static Rounded round_core(unsigned rc, bool sign, int32_t e, u128 s, unsigned p, int32_t emin,
                          int32_t emax)
{
    Rounded r = { 0 };
    if (e < emin) {
        r.tiny = tiny_after_rounding(rc, sign, e, s, p, emin);
        s = shift_right_sticky(s, (unsigned)(emin - e) > 200 ? 200 : (unsigned)(emin - e));
        e = emin;
    }
    unsigned drop = 128 - p;
    u128 mask = ((u128)1 << drop) - 1;
    u128 rest = s & mask;
    u128 half = (u128)1 << (drop - 1);
    u128 kept = s >> drop;
    bool inc = false;
    r.inexact = rest != 0;
    switch (rc) {
    case SF_RC_NEAREST: inc = rest > half || (rest == half && (kept & 1)); break;
    case SF_RC_UP: inc = !sign && rest; break;
    case SF_RC_DOWN: inc = sign && rest; break;
    default: break;
    }
    if (inc) {
        kept++;
        r.up = true;
        if (kept >> p) {   /* carried out: 1.000... at the next exponent */
            kept >>= 1;
            e++;
        }
    }
    uint64_t m = (uint64_t)(kept << (64 - p));
    r.denormal = !(m & INT_BIT);
    if (e > emax)
        r.overflow = true;
    r.mant = m;
    r.e = e;
    return r;
}

static unsigned precision_bits(const Sf80Ctx *c)
{
    return c->pc == SF_PC_24 ? 24 : c->pc == SF_PC_53 ? 53 : 64;
}

/* The largest finite value at a precision, for an overflow that rounds
 * toward zero. */
static F80 max_finite(bool sign, unsigned p)
{
    return sf80_make(sign, 0x7FFE, ~0ull << (64 - p));
}

/* Round and pack into the register format, raising OE/UE/PE/C1. With an
 * unmasked OE or UE the exponent wraps by 24576 as the x87 delivers it to
 * the exception handler. */
F80 sf80_round_pack(Sf80Ctx *c, bool sign, int32_t e, u128 s)
{
    unsigned p = precision_bits(c);
    if (!s)
        return sf80_zero(sign);
    bool ue_unmasked = !(c->masks & SF_UE), oe_unmasked = !(c->masks & SF_OE);
    /* With the exception unmasked the exponent wraps by 24576 for the
     * handler; a result out of range even then (FSCALE) becomes a signed
     * infinity or zero whatever the rounding mode. */
    if (ue_unmasked && tiny_after_rounding(c->rc, sign, e, s, p, 1 - BIAS)) {
        if (e + 24576 < 1 - BIAS) {
            c->flags |= SF_UE | SF_PE;
            return sf80_zero(sign);
        }
        Rounded r = round_core(c->rc, sign, e + 24576, s, p, -BIAS + 1, BIAS);
        c->flags |= SF_UE | (r.inexact ? SF_PE : 0) | (r.up ? SF_C1 : 0);
        return sf80_make(sign, (unsigned)(r.e + BIAS), r.mant);
    }
    Rounded r = round_core(c->rc, sign, e, s, p, 1 - BIAS, BIAS);
    if (r.overflow) {
        c->flags |= SF_OE;
        if (oe_unmasked && r.e - 24576 <= BIAS) {
            c->flags |= (r.inexact ? SF_PE : 0) | (r.up ? SF_C1 : 0);
            return sf80_make(sign, (unsigned)(r.e - 24576 + BIAS), r.mant);
        }
        if (oe_unmasked) {
            c->flags |= SF_PE | SF_C1;
            return sf80_inf(sign);
        }
        c->flags |= SF_PE;
        bool to_inf = c->rc == SF_RC_NEAREST || (c->rc == SF_RC_UP && !sign) ||
                      (c->rc == SF_RC_DOWN && sign);
        if (to_inf) {
            c->flags |= SF_C1;
            return sf80_inf(sign);
        }
        return max_finite(sign, p);
    }
    if (r.inexact)
        c->flags |= SF_PE | (r.up ? SF_C1 : 0);
    if (r.tiny && r.inexact)
        c->flags |= SF_UE;
    if (r.denormal)
        return sf80_make(sign, 0, r.mant);
    return sf80_make(sign, (unsigned)(r.e + BIAS), r.mant);
}

/* A denormal operand raises DE. Unmasked, the x87 stops there: no other
 * flag is raised and the instruction layer keeps the destination. */
static bool denormal_stops(Sf80Ctx *c)
{
    c->flags |= SF_DE;
    return !(c->masks & SF_DE);
}

/* Common operand screening for arithmetic: unsupported formats, NaNs,
 * denormal operands. Returns true when *out holds the result already. */
bool sf80_screen_nan2(Sf80Ctx *c, F80 a, F80 b, F80 *out)
{
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_UNSUPPORTED || cb == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        *out = sf80_indefinite;
        return true;
    }
    if (ca == SF_CLASS_NAN || cb == SF_CLASS_NAN) {
        *out = sf80_propagate(c, a, b, true);
        return true;
    }
    return false;
}

/* DE for denormal operands, after any invalid operation (which reports IE
 * alone). True when an unmasked DE stops the instruction. */
bool sf80_screen_denormal2(Sf80Ctx *c, F80 a, F80 b, F80 *out)
{
    if ((sf80_class(a) == SF_CLASS_DENORMAL || sf80_class(b) == SF_CLASS_DENORMAL) &&
        denormal_stops(c)) {
        *out = a;
        return true;
    }
    return false;
}

static bool screen2(Sf80Ctx *c, F80 a, F80 b, F80 *out)
{
    return sf80_screen_nan2(c, a, b, out) || sf80_screen_denormal2(c, a, b, out);
}

static F80 add_signed(Sf80Ctx *c, F80 a, F80 b, bool negate_b)
{
    F80 out;
    if (screen2(c, a, b, &out))
        return out;
    bool sa = sf80_sign(a), sb = sf80_sign(b) ^ negate_b;
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_INF || cb == SF_CLASS_INF) {
        if (ca == SF_CLASS_INF && cb == SF_CLASS_INF && sa != sb) {
            c->flags |= SF_IE;
            return sf80_indefinite;
        }
        return sf80_inf(ca == SF_CLASS_INF ? sa : sb);
    }
    if (ca == SF_CLASS_ZERO && cb == SF_CLASS_ZERO) {
        if (sa == sb)
            return sf80_zero(sa);
        return sf80_zero(c->rc == SF_RC_DOWN);
    }
    if (ca == SF_CLASS_ZERO || cb == SF_CLASS_ZERO) {
        F80 x = ca == SF_CLASS_ZERO ? b : a;
        bool sx = ca == SF_CLASS_ZERO ? sb : sa;
        int32_t e;
        uint64_t m;
        sf80_unpack(x, &e, &m);
        return sf80_round_pack(c, sx, e, (u128)m << 64);
    }
    int32_t ea, eb;
    uint64_t ma, mb;
    sf80_unpack(a, &ea, &ma);
    sf80_unpack(b, &eb, &mb);
    if (ea < eb || (ea == eb && ma < mb)) {
        int32_t te = ea; ea = eb; eb = te;
        uint64_t tm = ma; ma = mb; mb = tm;
        bool ts = sa; sa = sb; sb = ts;
    }
    u128 A = (u128)ma << 63;   /* one bit of headroom for the carry */
    u128 B = shift_right_sticky((u128)mb << 63, (unsigned)(ea - eb) > 200 ? 200 : (unsigned)(ea - eb));
    int32_t e = ea + 1;        /* the headroom bit */
    u128 S;
    if (sa == sb) {
        S = A + B;
    } else {
        S = A - B;
        if (!S)
            return sf80_zero(c->rc == SF_RC_DOWN);
    }
    while (!(S >> 127)) {
        S <<= 1;
        e--;
    }
    return sf80_round_pack(c, sa, e, S);
}

F80 sf80_add(Sf80Ctx *c, F80 a, F80 b) { return add_signed(c, a, b, false); }
F80 sf80_sub(Sf80Ctx *c, F80 a, F80 b) { return add_signed(c, a, b, true); }

F80 sf80_mul(Sf80Ctx *c, F80 a, F80 b)
{
    F80 out;
    if (screen2(c, a, b, &out))
        return out;
    bool sign = sf80_sign(a) ^ sf80_sign(b);
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_INF || cb == SF_CLASS_INF) {
        if (ca == SF_CLASS_ZERO || cb == SF_CLASS_ZERO) {
            c->flags |= SF_IE;
            return sf80_indefinite;
        }
        return sf80_inf(sign);
    }
    if (ca == SF_CLASS_ZERO || cb == SF_CLASS_ZERO)
        return sf80_zero(sign);
    int32_t ea, eb;
    uint64_t ma, mb;
    sf80_unpack(a, &ea, &ma);
    sf80_unpack(b, &eb, &mb);
    u128 P = (u128)ma * mb;
    int32_t e = ea + eb + 1;
    if (!(P >> 127)) {
        P <<= 1;
        e--;
    }
    return sf80_round_pack(c, sign, e, P);
}

F80 sf80_div(Sf80Ctx *c, F80 a, F80 b)
{
    F80 out;
    /* Division by zero outranks a denormal dividend: ZE alone. */
    if (sf80_class(b) == SF_CLASS_ZERO && sf80_class(a) == SF_CLASS_DENORMAL) {
        c->flags |= SF_ZE;
        return sf80_inf(sf80_sign(a) ^ sf80_sign(b));
    }
    if (screen2(c, a, b, &out))
        return out;
    bool sign = sf80_sign(a) ^ sf80_sign(b);
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_INF) {
        if (cb == SF_CLASS_INF) {
            c->flags |= SF_IE;
            return sf80_indefinite;
        }
        return sf80_inf(sign);
    }
    if (cb == SF_CLASS_INF)
        return sf80_zero(sign);
    if (cb == SF_CLASS_ZERO) {
        if (ca == SF_CLASS_ZERO) {
            c->flags |= SF_IE;
            return sf80_indefinite;
        }
        c->flags |= SF_ZE;
        return sf80_inf(sign);
    }
    if (ca == SF_CLASS_ZERO)
        return sf80_zero(sign);
    int32_t ea, eb;
    uint64_t ma, mb;
    sf80_unpack(a, &ea, &ma);
    sf80_unpack(b, &eb, &mb);
    int32_t e = ea - eb;
    u128 num;
    if (ma >= mb) {
        num = (u128)ma << 63;
    } else {
        num = (u128)ma << 64;
        e--;
    }
    uint64_t q1 = (uint64_t)(num / mb);
    uint64_t r1 = (uint64_t)(num % mb);
    u128 num2 = (u128)r1 << 64;
    uint64_t q2 = (uint64_t)(num2 / mb);
    uint64_t r2 = (uint64_t)(num2 % mb);
    u128 S = (u128)q1 << 64 | q2;
    if (r2)
        S |= 1;
    return sf80_round_pack(c, sign, e, S);
}

/* Integer square root of a 128-bit value, and whether it was exact. */
static uint64_t isqrt128(u128 v, u128 *rem)
{
    u128 res = 0, bit = (u128)1 << 126;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= res + bit) {
            v -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    *rem = v;
    return (uint64_t)res;
}

F80 sf80_sqrt(Sf80Ctx *c, F80 a)
{
    int ca = sf80_class(a);
    if (ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        return sf80_indefinite;
    }
    if (ca == SF_CLASS_NAN)
        return sf80_propagate(c, a, a, false);
    if (ca == SF_CLASS_ZERO)
        return a;
    if (sf80_sign(a)) {
        c->flags |= SF_IE;
        return sf80_indefinite;
    }
    if (ca == SF_CLASS_INF)
        return a;
    if (ca == SF_CLASS_DENORMAL && denormal_stops(c))
        return a;
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    /* value = m * 2^k, k = e - 63; take j in {63, 64} with k - j even. */
    int32_t k = e - 63;
    unsigned j = ((k - 64) & 1) ? 63 : 64;
    u128 rem;
    uint64_t r = isqrt128((u128)m << j, &rem);
    u128 S = (u128)r << 64;
    if (rem) {
        /* Past the half exactly when rem > r (the root is irrational). */
        S |= rem > r ? ((u128)3 << 62) : ((u128)1 << 62);
    }
    int32_t re = (k - (int32_t)j) / 2 + 63;
    return sf80_round_pack(c, false, re, S);
}

F80 sf80_round_int(Sf80Ctx *c, F80 a)
{
    int ca = sf80_class(a);
    if (ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        return sf80_indefinite;
    }
    if (ca == SF_CLASS_NAN)
        return sf80_propagate(c, a, a, false);
    if (ca == SF_CLASS_ZERO || ca == SF_CLASS_INF)
        return a;
    if (ca == SF_CLASS_DENORMAL && denormal_stops(c))
        return a;
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    if (e >= 63)
        return a;   /* already an integer */
    bool sign = sf80_sign(a);
    /* Round m * 2^(e-63) to an integer: p = e + 1 significant bits. */
    Rounded r;
    if (e < 0) {
        /* Below one: the result is 0 or 1 in magnitude (over a half rounds
         * to 1 in the nearest mode; exactly a half goes to the even 0). */
        bool one;
        switch (c->rc) {
        case SF_RC_NEAREST: one = e == -1 && m > INT_BIT; break;
        case SF_RC_UP: one = !sign; break;
        case SF_RC_DOWN: one = sign; break;
        default: one = false; break;
        }
        c->flags |= SF_PE | (one ? SF_C1 : 0);
        return one ? sf80_make(sign, BIAS, INT_BIT) : sf80_zero(sign);
    }
    unsigned p = (unsigned)(e + 1);
    r = round_core(c->rc, sign, e, (u128)m << 64, p, -100000, 100000);
    if (r.inexact)
        c->flags |= SF_PE | (r.up ? SF_C1 : 0);
    if (!r.mant)
        return sf80_zero(sign);
    return sf80_make(sign, (unsigned)(r.e + BIAS), r.mant);
}

/* Truncate to an integer, saturated to +-2^20 (enough for any exponent
 * adjustment an 80-bit value can take). */
static int32_t trunc_small(F80 b)
{
    int32_t e;
    uint64_t m;
    if (sf80_class(b) == SF_CLASS_ZERO)
        return 0;
    sf80_unpack(b, &e, &m);
    int32_t v;
    if (e < 0)
        v = 0;
    else if (e > 20)
        v = 1 << 20;
    else
        v = (int32_t)(m >> (63 - e));
    return sf80_sign(b) ? -v : v;
}

F80 sf80_scale(Sf80Ctx *c, F80 a, F80 b)
{
    F80 out;
    if (screen2(c, a, b, &out))
        return out;
    int ca = sf80_class(a), cb = sf80_class(b);
    if (cb == SF_CLASS_INF) {
        bool neg = sf80_sign(b);
        if ((ca == SF_CLASS_ZERO && !neg) || (ca == SF_CLASS_INF && neg)) {
            c->flags |= SF_IE;
            return sf80_indefinite;
        }
        if (ca == SF_CLASS_ZERO || ca == SF_CLASS_INF)
            return a;
        return neg ? sf80_zero(sf80_sign(a)) : sf80_inf(sf80_sign(a));
    }
    if (ca == SF_CLASS_ZERO || ca == SF_CLASS_INF)
        return a;
    if (cb == SF_CLASS_ZERO) {
        /* Scaling by a zero leaves the operand (no UE for a denormal even
         * unmasked) but writes a pseudo-denormal in its normal encoding. */
        return canonical(a);
    }
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    int32_t n = trunc_small(b);
    /* Precision control does not apply to FSCALE. */
    Sf80Ctx full = *c;
    full.pc = SF_PC_64;
    F80 r = sf80_round_pack(&full, sf80_sign(a), e + n, (u128)m << 64);
    c->flags = full.flags;
    return r;
}

F80 sf80_xtract(Sf80Ctx *c, F80 a, F80 *sig)
{
    int ca = sf80_class(a);
    if (ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        *sig = sf80_indefinite;
        return sf80_indefinite;
    }
    if (ca == SF_CLASS_NAN) {
        *sig = sf80_propagate(c, a, a, false);
        return *sig;
    }
    if (ca == SF_CLASS_ZERO) {
        c->flags |= SF_ZE;
        *sig = a;
        return sf80_inf(true);
    }
    if (ca == SF_CLASS_INF) {
        *sig = a;
        return sf80_inf(false);
    }
    if (ca == SF_CLASS_DENORMAL && denormal_stops(c)) {
        *sig = a;
        return a;
    }
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    *sig = sf80_make(sf80_sign(a), BIAS, m);
    return sf80_from_i64(e);
}

F80 sf80_rem(Sf80Ctx *c, F80 a, F80 b, bool ieee, unsigned *quot, bool *incomplete)
{
    F80 out;
    *quot = 0;
    *incomplete = false;
    if (sf80_screen_nan2(c, a, b, &out))
        return out;
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_INF || cb == SF_CLASS_ZERO) {
        c->flags |= SF_IE;
        return sf80_indefinite;
    }
    if (sf80_screen_denormal2(c, a, b, &out))
        return out;
    if (ca == SF_CLASS_ZERO)
        return a;
    if (cb == SF_CLASS_INF)   /* the dividend as it is (no UE even unmasked) */
        return canonical(a);
    int32_t ea, eb;
    uint64_t ma, mb;
    sf80_unpack(a, &ea, &ma);
    sf80_unpack(b, &eb, &mb);
    int32_t d = ea - eb;
    bool sign = sf80_sign(a);
    Sf80Ctx exact = *c;   /* the remainder is exact: no precision control */
    exact.pc = SF_PC_64;
    if (d < -1 || (d == -1 && !ieee)) {
        /* The dividend itself (an unmasked UE still sees a denormal one). */
        F80 res = sf80_round_pack(&exact, sign, ea, (u128)ma << 64);
        c->flags = exact.flags;
        return res;
    }
    /* Here d >= -1; d = -1 only for FPREM1, where a - b may be nearer. */
    if (d >= 64) {
        /* Partial: reduce the exponent difference by 32..63 per step. */
        int32_t n = 32 + (d - 32) % 32;
        int32_t shift = d - n;
        u128 num = (u128)ma << n;
        u128 r = num % mb;
        *incomplete = true;
        if (!r)
            return sf80_zero(sign);
        int32_t e = eb + shift;
        u128 S = r << 64;
        int32_t re = e;
        while (!(S >> 127)) {
            S <<= 1;
            re--;
        }
        F80 res = sf80_round_pack(&exact, sign, re, S);
        c->flags = exact.flags;
        return res;
    }
    u128 num = d >= 0 ? (u128)ma << d : (u128)ma;
    u128 den = d >= 0 ? (u128)mb : (u128)mb << 1;
    u128 q = num / den, r = num % den;
    if (ieee && (r * 2 > den || (r * 2 == den && (q & 1)))) {
        r = den - r;
        q++;
        sign = !sign;
    }
    *quot = (unsigned)(q & 7);
    if (!r)
        return sf80_zero(sf80_sign(a));
    int32_t e = d >= 0 ? eb : eb - 1;
    u128 S = r << 64;
    int32_t re = e;
    while (!(S >> 127)) {
        S <<= 1;
        re--;
    }
    F80 res = sf80_round_pack(&exact, sign, re, S);
    c->flags = exact.flags;
    return res;
}

int sf80_compare(Sf80Ctx *c, F80 a, F80 b, bool quiet)
{
    int ca = sf80_class(a), cb = sf80_class(b);
    if (ca == SF_CLASS_UNSUPPORTED || cb == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        return 2;
    }
    if (ca == SF_CLASS_NAN || cb == SF_CLASS_NAN) {
        if (!quiet || sf80_is_snan(a) || sf80_is_snan(b))
            c->flags |= SF_IE;
        return 2;
    }
    if (ca == SF_CLASS_DENORMAL || cb == SF_CLASS_DENORMAL)
        c->flags |= SF_DE;
    if (ca == SF_CLASS_ZERO && cb == SF_CLASS_ZERO)
        return 0;
    bool sa = sf80_sign(a), sb = sf80_sign(b);
    if (ca == SF_CLASS_ZERO)
        return sb ? 1 : -1;
    if (cb == SF_CLASS_ZERO)
        return sa ? -1 : 1;
    if (sa != sb)
        return sa ? -1 : 1;
    int mag;
    if (ca == SF_CLASS_INF || cb == SF_CLASS_INF) {
        mag = ca == cb ? 0 : ca == SF_CLASS_INF ? 1 : -1;
    } else {
        int32_t ea, eb;
        uint64_t ma, mb;
        sf80_unpack(a, &ea, &ma);
        sf80_unpack(b, &eb, &mb);
        mag = ea != eb ? (ea > eb ? 1 : -1) : ma != mb ? (ma > mb ? 1 : -1) : 0;
    }
    return sa ? -mag : mag;
}

F80 sf80_from_i64(int64_t v)
{
    if (!v)
        return sf80_zero(false);
    bool sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    int32_t e = 63;
    while (!(m & INT_BIT)) {
        m <<= 1;
        e--;
    }
    return sf80_make(sign, (unsigned)(e + BIAS), m);
}

int64_t sf80_to_int(Sf80Ctx *c, F80 a, unsigned bits)
{
    /* The integer indefinite: the most negative value of the width. */
    int64_t indefinite = bits == 64 ? INT64_MIN : -(int64_t)(UINT64_C(1) << (bits - 1));
    int ca = sf80_class(a);
    if (ca == SF_CLASS_NAN || ca == SF_CLASS_INF || ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        return indefinite;
    }
    if (ca == SF_CLASS_ZERO)
        return 0;
    /* No DE here: the x87 does not report denormal operands of stores. */
    Sf80Ctx tmp = *c;
    tmp.flags = 0;
    tmp.masks |= SF_DE;
    F80 r = sf80_round_int(&tmp, a);
    if (sf80_class(r) == SF_CLASS_ZERO) {
        c->flags |= tmp.flags & (SF_PE | SF_C1);
        return 0;
    }
    int32_t e;
    uint64_t m;
    sf80_unpack(r, &e, &m);
    uint64_t mag;
    if (e > 63) {
        c->flags |= SF_IE;
        return indefinite;
    }
    mag = m >> (63 - e);
    bool sign = sf80_sign(r);
    uint64_t limit = (uint64_t)1 << (bits - 1);
    if (mag > limit || (mag == limit && !sign)) {
        c->flags |= SF_IE;
        return indefinite;
    }
    c->flags |= tmp.flags & (SF_PE | SF_C1);
    return sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

static F80 from_float(Sf80Ctx *c, bool sign, unsigned exp, uint64_t frac, unsigned fbits,
                      unsigned emax_biased, int32_t bias)
{
    if (exp == emax_biased) {
        if (!frac)
            return sf80_inf(sign);
        F80 n = sf80_make(sign, 0x7FFF, INT_BIT | frac << (63 - fbits));
        if (!(n.mant & QUIET_BIT))
            c->flags |= SF_IE;
        return quiet(n);
    }
    if (!exp) {
        if (!frac)
            return sf80_zero(sign);
        c->flags |= SF_DE;
        uint64_t m = frac << (63 - fbits);
        int32_t e = 1 - bias;
        while (!(m & INT_BIT)) {
            m <<= 1;
            e--;
        }
        return sf80_make(sign, (unsigned)(e + BIAS), m);
    }
    return sf80_make(sign, (unsigned)((int32_t)exp - bias + BIAS), INT_BIT | frac << (63 - fbits));
}

F80 sf80_from_f32(Sf80Ctx *c, uint32_t v)
{
    return from_float(c, v >> 31, (v >> 23) & 0xFF, v & 0x7FFFFF, 23, 0xFF, 127);
}

F80 sf80_from_f64(Sf80Ctx *c, uint64_t v)
{
    return from_float(c, v >> 63, (unsigned)(v >> 52) & 0x7FF, v & 0xFFFFFFFFFFFFFull, 52, 0x7FF,
                      1023);
}

/* Round a register value to a float format (p bits, exponent bias,
 * exponent field width) and encode it. */
static uint64_t to_float(Sf80Ctx *c, F80 a, unsigned p, int32_t bias, unsigned ebits)
{
    uint64_t emax_field = (1u << ebits) - 1;
    unsigned fbits = p - 1;
    bool sign = sf80_sign(a);
    uint64_t s = (uint64_t)sign << (ebits + fbits);
    int ca = sf80_class(a);
    if (ca == SF_CLASS_UNSUPPORTED) {
        c->flags |= SF_IE;
        a = sf80_indefinite;
        ca = SF_CLASS_NAN;
        s = (uint64_t)1 << (ebits + fbits);
    }
    if (ca == SF_CLASS_NAN) {
        if (!(a.mant & QUIET_BIT))
            c->flags |= SF_IE;
        uint64_t frac = (a.mant & ~INT_BIT) >> (63 - fbits);
        return s | emax_field << fbits | frac | (uint64_t)1 << (fbits - 1);
    }
    if (ca == SF_CLASS_INF)
        return s | emax_field << fbits;
    if (ca == SF_CLASS_ZERO)
        return s;
    int32_t e;
    uint64_t m;
    sf80_unpack(a, &e, &m);
    int32_t emin = 1 - bias, emax = bias;
    Rounded r = round_core(c->rc, sign, e, (u128)m << 64, p, emin, emax);
    /* Unmasked, overflow and underflow stop the store: the flag alone is
     * raised and memory is left as it was. */
    if ((r.overflow && !(c->masks & SF_OE)) || (r.tiny && !(c->masks & SF_UE))) {
        c->flags |= r.overflow ? SF_OE : SF_UE;
        return 0;
    }
    if (r.overflow) {
        c->flags |= SF_OE | SF_PE;
        bool to_inf = c->rc == SF_RC_NEAREST || (c->rc == SF_RC_UP && !sign) ||
                      (c->rc == SF_RC_DOWN && sign);
        if (to_inf) {
            c->flags |= SF_C1;
            return s | emax_field << fbits;
        }
        return s | (emax_field - 1) << fbits | (((uint64_t)1 << fbits) - 1);
    }
    if (r.inexact)
        c->flags |= SF_PE | (r.up ? SF_C1 : 0);
    if (r.tiny && r.inexact)
        c->flags |= SF_UE;
    uint64_t mant = r.mant >> (64 - p);
    if (r.denormal)
        return s | (mant & (((uint64_t)1 << fbits) - 1));
    return s | (uint64_t)(r.e + bias) << fbits | (mant & (((uint64_t)1 << fbits) - 1));
}

uint32_t sf80_to_f32(Sf80Ctx *c, F80 a) { return (uint32_t)to_float(c, a, 24, 127, 8); }
uint64_t sf80_to_f64(Sf80Ctx *c, F80 a) { return to_float(c, a, 53, 1023, 11); }

F80 sf80_from_bcd(const uint8_t bcd[10])
{
    int64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 15);
    F80 r = sf80_from_i64(v);
    if (bcd[9] & 0x80)
        r.se |= 0x8000;
    return r;
}

void sf80_to_bcd(Sf80Ctx *c, F80 a, uint8_t bcd[10])
{
    Sf80Ctx tmp = *c;
    tmp.flags = 0;
    int64_t v = sf80_to_int(&tmp, a, 64);
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if ((tmp.flags & SF_IE) || mag > 999999999999999999ull) {
        c->flags |= SF_IE;
        for (int i = 0; i < 7; i++)
            bcd[i] = 0;
        bcd[7] = 0xC0;
        bcd[8] = 0xFF;
        bcd[9] = 0xFF;
        return;
    }
    c->flags |= tmp.flags;
    for (int i = 0; i < 9; i++) {
        bcd[i] = (uint8_t)((mag % 10) | ((mag / 10) % 10) << 4);
        mag /= 100;
    }
    bcd[9] = sf80_sign(a) ? 0x80 : 0;
}
