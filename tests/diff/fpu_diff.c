/* SPDX-License-Identifier: MIT */
/* Differential test of the sf80 soft-float core against the host's own x87
 * (x86 hosts run it natively).
 *
 * Every arithmetic, conversion and compare instruction, with random and edge
 * operands (zeros, infinities, quiet and signalling NaNs, denormals and
 * pseudo-denormals, unnormals, pseudo-NaNs and pseudo-infinities, extreme
 * exponents, values next to rounding boundaries and to the integer limits),
 * in all four rounding modes, all three precisions and with a fifth of the
 * cases under a random set of unmasked exceptions. Results and the status
 * word (exception flags, C0-C3 where the instruction defines them) must
 * match bit for bit. The transcendentals are reported apart: the share of
 * exact matches, of results within one ulp (which must reach 99.9%), of
 * matching flags, and the largest distance in ulps.
 *   fpu_diff [--cases N] [--seed S] [--op NAME] [-v] [--show-inexact] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/diff/fpu_diff.h"

#if !defined(__x86_64__) && !defined(__i386__)
int main(void)
{
    puts("fpu_diff: not an x86 host, nothing to compare against (skipped)");
    return 0;
}
#else
#include <cpuid.h>

#define SW_FLAGS 0x003F
#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)

/* ---- random numbers ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t below(uint64_t n) { return rnd() % n; }
static bool coin(unsigned one_in) { return below(one_in) == 0; }

#define INT_BIT 0x8000000000000000ull
#define BIAS 16383

static Ext mk(bool neg, unsigned exp, uint64_t mant)
{
    return (Ext){ mant, (uint16_t)((neg ? 0x8000 : 0) | (exp & 0x7FFF)) };
}

/* ---- operand generators ---- */

/* Edge values, either sign. */
static Ext edge(void)
{
    static const struct { uint16_t e; uint64_t m; } list[] = {
        { 0, 0 },                                   /* zero */
        { 0x7FFF, INT_BIT },                        /* infinity */
        { 0x3FFF, INT_BIT },                        /* one */
        { 0x7FFF, 0xC000000000000000ull },          /* QNaN (indefinite) */
        { 0x7FFF, 0xC000000000000001ull },
        { 0x7FFF, 0x8000000000000001ull },          /* SNaN */
        { 0x7FFF, 0xBFFFFFFFFFFFFFFFull },
        { 0x7FFF, 0xFFFFFFFFFFFFFFFFull },
        { 0x7FFE, 0xFFFFFFFFFFFFFFFFull },          /* largest */
        { 0x0001, INT_BIT },                        /* smallest normal */
        { 0x0000, 1 },                              /* smallest denormal */
        { 0x0000, 0x7FFFFFFFFFFFFFFFull },          /* largest denormal */
        { 0x0000, INT_BIT },                        /* pseudo-denormals */
        { 0x0000, 0xFFFFFFFFFFFFFFFFull },
        { 0x0001, 0x4000000000000000ull },          /* unnormals */
        { 0x3FFF, 0x0000000000000001ull },
        { 0x7FFF, 0x0000000000000000ull },          /* pseudo-infinity */
        { 0x7FFF, 0x4000000000000000ull },          /* pseudo-NaN */
        { 0x403E, INT_BIT },                        /* 2^63 */
        { 0x403D, 0xFFFFFFFFFFFFFFFFull },          /* 2^63 - 1/2 */
        { 0x403D, 0xFFFFFFFFFFFFFFFEull },          /* 2^63 - 1 */
        { 0x401E, INT_BIT },                        /* 2^31 */
        { 0x401D, 0xFFFFFFFF00000000ull },          /* 2^31 - 1/2 */
        { 0x400E, INT_BIT },                        /* 2^15 */
        { 0x400D, 0xFFFF000000000000ull },          /* 2^15 - 1/2 */
        { 0x3FFE, INT_BIT },                        /* 1/2 */
        { 0x4000, 0xA000000000000000ull },          /* 2.5 */
        { 0x403A, 0xDE0B6B3A76400000ull },          /* 10^18 */
        { 0x4039, 0xDE0B6B3A763FFFF8ull },          /* 10^18 - 1 */
        { 0x4000, 0xC90FDAA22168C235ull },          /* pi */
        { 0x3FFF, 0xC90FDAA22168C235ull },          /* pi/2 */
        { 0x3FFE, 0xB504F333F9DE6484ull },          /* sqrt(2)/2 */
        { 0x3FFD, 0x95F619980C4336F7ull },          /* 1 - sqrt(2)/2 */
    };
    unsigned i = (unsigned)below(sizeof list / sizeof list[0]);
    return mk(coin(2), list[i].e, list[i].m);
}

static uint64_t normal_mant(void) { return INT_BIT | rnd(); }

/* Any register value, weighted toward the interesting classes. */
static Ext gen_any(void)
{
    bool s = coin(2);
    switch (below(20)) {
    case 0: case 1: return edge();
    case 2: return mk(s, 0, rnd() >> (1 + below(63)));                 /* denormal */
    case 3: return mk(s, 0, INT_BIT | rnd() >> below(64));             /* pseudo-denormal */
    case 4: return mk(s, (unsigned)(1 + below(0x7FFE)), rnd() >> (1 + below(63)));   /* unnormal */
    case 5: return mk(s, 0x7FFF, INT_BIT | rnd() >> (1 + below(63)));  /* NaN */
    case 6: return mk(s, 0x7FFF, rnd() >> 1);                           /* pseudo-NaN/-inf */
    case 7: return mk(s, (unsigned)(1 + below(64)), normal_mant());     /* just above denormal */
    case 8: return mk(s, (unsigned)(0x7FFE - below(64)), normal_mant()); /* near overflow */
    case 9: {   /* next to a rounding boundary at 24, 53 or 64 bits */
        static const unsigned cut[3] = { 40, 11, 1 };
        unsigned c = cut[below(3)];
        uint64_t half = 1ull << (c - 1), m = normal_mant() & ~((1ull << c) - 1);
        m |= coin(2) ? half : half - 1 + below(3);
        return mk(s, (unsigned)(BIAS - 16 + below(32)), m);
    }
    case 10: {  /* integers and half-integers up to 2^64 */
        unsigned e = (unsigned)below(65);
        uint64_t m = normal_mant();
        if (e < 62)
            m &= ~0ull << (62 - e);
        return mk(s, BIAS + e, m);
    }
    case 11: return mk(s, (unsigned)(BIAS - 64 + below(128)), normal_mant());
    case 12: return mk(s, (unsigned)(BIAS - 1100 + below(2200)), normal_mant());
    case 13: return mk(s, (unsigned)(BIAS - 16 + below(32)), normal_mant() & ~0ull << below(64));
    default: return mk(s, (unsigned)(1 + below(0x7FFE)), normal_mant());
    }
}

/* A second operand: often close to the first (cancellation, equality,
 * exponent differences of a few bits). */
static Ext gen_related(Ext a)
{
    switch (below(6)) {
    case 0: return a;
    case 1: { Ext b = a; b.se ^= 0x8000; return b; }
    case 2: { Ext b = a; b.mant ^= 1ull << below(64); return b; }
    case 3: { Ext b = a; b.se = (uint16_t)((b.se & 0x8000) | ((b.se + below(130) - 65) & 0x7FFF)); return b; }
    default: return gen_any();
    }
}

/* A significand with k significant bits (k in 1..64), left-aligned. */
static uint64_t short_mant(unsigned k)
{
    uint64_t m = (rnd() >> (64 - k)) | 1ull << (k - 1);
    return m << (64 - k);
}

/* Exact products, quotients and squares of short significands, moved by
 * an ulp or two now and then: results on and next to the rounding
 * boundaries (ties included) of every precision. */
static void gen_exact(int kind, Operands *in)
{
    unsigned ka = 1 + (unsigned)below(40), kb = 1 + (unsigned)below(40);
    if (kind == 2)   /* sqrt: the square of a root of up to 32 bits */
        ka = 1 + (unsigned)below(32);
    uint64_t ma = short_mant(ka), mb = short_mant(kb);
    unsigned ea = (unsigned)(BIAS - 8 + below(16)), eb = (unsigned)(BIAS - 8 + below(16));
    unsigned __int128 p = (unsigned __int128)ma * (kind == 2 ? ma : mb);
    unsigned top = (p >> 127) ? 1 : 0;
    uint64_t prod = (uint64_t)(p >> (63 + top));   /* exact when ka + kb <= 64 */
    if (coin(3))
        prod += below(5) - 2;
    prod |= INT_BIT;
    switch (kind) {
    case 0: in->a = mk(coin(2), ea, ma); in->b = mk(coin(2), eb, mb); break;   /* a * b */
    case 1: in->a = mk(coin(2), ea + top, prod); in->b = mk(coin(2), eb, mb); break;   /* (a*b) / b */
    default: in->a = mk(false, 2 * (ea - BIAS) + BIAS + top, prod); break;   /* a^2 */
    }
}

enum {
    GEN_ANY, GEN_PAIR, GEN_MUL, GEN_DIV, GEN_SQRT, GEN_PREM, GEN_SCALE, GEN_INT, GEN_TRIG, GEN_ATAN, GEN_2XM1, GEN_LOG,
    GEN_LOGP1, GEN_F32, GEN_F64, GEN_I16, GEN_I32, GEN_I64, GEN_BCD,
};

/* |x| with a log-uniform exponent in [lo, hi) (unbiased). */
static Ext gen_mag(int lo, int hi)
{
    return mk(coin(2), (unsigned)(BIAS + lo + (int)below((uint64_t)(hi - lo))), normal_mant());
}

static void gen_operands(int gen, Operands *in)
{
    in->a = gen_any();
    in->b = gen_any();
    in->mem = rnd();
    switch (gen) {
    case GEN_PAIR:
        in->b = gen_related(in->a);
        if (coin(2)) {
            Ext t = in->a;
            in->a = in->b;
            in->b = t;
        }
        break;
    case GEN_MUL:
    case GEN_DIV:
    case GEN_SQRT:
        if (coin(2))
            gen_exact(gen - GEN_MUL, in);
        else if (gen != GEN_SQRT)
            in->b = gen_related(in->a);
        break;
    case GEN_PREM:   /* exponent differences from -4 to 200, the partial range included */
        if (!coin(8)) {
            in->b = gen_mag(-100, 100);
            in->a = mk(coin(2), (unsigned)(((in->b.se & 0x7FFF) + below(205) - 4) & 0x7FFF),
                       normal_mant());
            if (coin(4))
                in->a.mant &= ~0ull << below(64);
        }
        break;
    case GEN_SCALE:
        if (!coin(4)) {
            int64_t n = coin(2) ? (int64_t)below(70) - 35 : (int64_t)below(70000) - 35000;
            double v = (double)n + (coin(2) ? 0 : (double)below(1000) / 1000.0);
            uint64_t bits;
            memcpy(&bits, &v, 8);
            if (v == 0) {
                in->b = mk(false, 0, 0);
            } else {
                unsigned e = (unsigned)((bits >> 52) & 0x7FF) - 1023 + BIAS;
                in->b = mk(bits >> 63, e, INT_BIT | (bits & 0xFFFFFFFFFFFFFull) << 11);
            }
        }
        break;
    case GEN_INT:   /* near the integer and BCD limits */
        if (!coin(3)) {
            static const unsigned top[] = { 14, 15, 16, 30, 31, 32, 58, 59, 60, 62, 63, 64 };
            unsigned e = top[below(sizeof top / sizeof top[0])];
            uint64_t m = normal_mant();
            if (coin(2))
                m = (m & ~0ull << 8) | (coin(2) ? 0x80 : below(256));
            in->a = mk(coin(2), BIAS + e, m);
            if (coin(4))
                in->a = mk(coin(2), 0x403A - (unsigned)below(2), 0xDE0B6B3A76400000ull + below(64) - 32);
        }
        break;
    case GEN_TRIG:
        if (!coin(8)) {
            switch (below(4)) {
            case 0: in->a = gen_mag(-70, 1); break;
            case 1: in->a = gen_mag(0, 64); break;
            case 2: {   /* next to a multiple of pi/2 */
                uint64_t k = 1 + below(coin(2) ? 16 : 1000000);
                unsigned __int128 p = (unsigned __int128)0xC90FDAA22168C235ull * k;
                unsigned sh = 0;
                while (p >> (64 + sh))
                    sh++;
                uint64_t m = (uint64_t)(p >> sh) + below(16) - 8;
                in->a = mk(coin(2), BIAS + sh, m | INT_BIT);
                break;
            }
            default: in->a = gen_mag(-3, 3); break;
            }
        }
        break;
    case GEN_ATAN:
        if (!coin(8)) {
            in->a = gen_mag(-40, 40);
            in->b = coin(2) ? gen_mag(-40, 40) : gen_related(in->a);
        }
        break;
    case GEN_2XM1:
        if (!coin(8))
            in->a = coin(8) ? mk(coin(2), BIAS, INT_BIT) : gen_mag(-70, 0);
        break;
    case GEN_LOG:
        if (!coin(8)) {
            in->a = coin(2) ? gen_mag(-2000, 2000) : gen_mag(-1, 1);
            in->a.se &= 0x7FFF;
            if (coin(4))   /* 1 + tiny */
                in->a = mk(false, coin(2) ? BIAS : BIAS - 1, coin(2) ? INT_BIT + below(1 << 20) : ~0ull - below(1 << 20));
            in->b = coin(2) ? gen_mag(-100, 100) : edge();
        }
        break;
    case GEN_LOGP1:
        if (!coin(8)) {
            in->a = gen_mag(-70, -1);
            if ((in->a.se & 0x7FFF) == BIAS - 2 && in->a.mant > 0x95F619980C4336F7ull)
                in->a.mant = 0x95F619980C4336F7ull - below(1ull << 60);
            in->b = coin(2) ? gen_mag(-100, 100) : edge();
        }
        break;
    case GEN_F32:   /* float32 patterns of every class */
        in->mem = (uint32_t)rnd();
        if (coin(2))
            in->mem = (in->mem & 0x807FFFFF) | (coin(2) ? 0 : 0x7F800000);
        break;
    case GEN_F64:
        if (coin(2))
            in->mem = (in->mem & 0x800FFFFFFFFFFFFFull) | (coin(2) ? 0 : 0x7FF0000000000000ull);
        break;
    case GEN_I16: in->mem = (uint16_t)rnd(); break;
    case GEN_I32: in->mem = (uint32_t)rnd(); break;
    case GEN_I64:
        if (coin(2))
            in->mem = rnd() >> below(64);
        break;
    case GEN_BCD:   /* valid packed BCD, -0 included */
        for (int i = 0; i < 9; i++) {
            unsigned digits = (unsigned)below(coin(4) ? 10 : 100);
            in->bcd[i] = (uint8_t)(digits % 10 | (digits / 10) << 4);
            if (i > (int)below(10))
                in->bcd[i] = coin(2) ? 0 : 0x99;
        }
        in->bcd[9] = coin(2) ? 0x80 : 0;
        break;
    default: break;
    }
}

/* Control word: rounding, precision, and now and then unmasked exceptions. */
static uint16_t gen_cw(void)
{
    static const unsigned pcs[3] = { 0, 2, 3 };
    uint16_t masks = coin(5) ? (uint16_t)below(64) : 0x3F;
    return (uint16_t)(0x0040 | masks | pcs[below(3)] << 8 | below(4) << 10);
}

/* ---- the operations ---- */

enum { KIND_EXACT, KIND_TRANS };

typedef struct OpDesc {
    const char *name;
    RunFn host, soft;
    int kind;
    int gen;
    unsigned weight;
    uint16_t sw_mask;   /* status bits compared */
    bool r1;            /* ST(1) compared too */
    bool mem;           /* the memory destination compared */
} OpDesc;

#define FL (SW_FLAGS | SW_C1)
#define CC (SW_FLAGS | SW_CC)

static const OpDesc ops[] = {
    { "fadd", host_fadd, soft_fadd, KIND_EXACT, GEN_PAIR, 8, FL, true, false },
    { "fsub", host_fsub, soft_fsub, KIND_EXACT, GEN_PAIR, 8, FL, true, false },
    { "fsubr", host_fsubr, soft_fsubr, KIND_EXACT, GEN_PAIR, 4, FL, true, false },
    { "fmul", host_fmul, soft_fmul, KIND_EXACT, GEN_MUL, 8, FL, true, false },
    { "fdiv", host_fdiv, soft_fdiv, KIND_EXACT, GEN_DIV, 8, FL, true, false },
    { "fdivr", host_fdivr, soft_fdivr, KIND_EXACT, GEN_PAIR, 4, FL, true, false },
    { "fprem", host_fprem, soft_fprem, KIND_EXACT, GEN_PREM, 4, CC, true, false },
    { "fprem1", host_fprem1, soft_fprem1, KIND_EXACT, GEN_PREM, 4, CC, true, false },
    { "fscale", host_fscale, soft_fscale, KIND_EXACT, GEN_SCALE, 4, FL, true, false },
    { "fcom", host_fcom, soft_fcom, KIND_EXACT, GEN_PAIR, 4, CC, true, false },
    { "fucom", host_fucom, soft_fucom, KIND_EXACT, GEN_PAIR, 4, CC, true, false },
    { "fsqrt", host_fsqrt, soft_fsqrt, KIND_EXACT, GEN_SQRT, 6, FL, true, false },
    { "frndint", host_frndint, soft_frndint, KIND_EXACT, GEN_INT, 4, FL, true, false },
    { "fxtract", host_fxtract, soft_fxtract, KIND_EXACT, GEN_ANY, 3, FL, true, false },
    { "ftst", host_ftst, soft_ftst, KIND_EXACT, GEN_ANY, 2, CC, true, false },
    { "fxam", host_fxam, soft_fxam, KIND_EXACT, GEN_ANY, 2, CC, true, false },
    { "fst32", host_fst32, soft_fst32, KIND_EXACT, GEN_ANY, 5, FL, false, true },
    { "fst64", host_fst64, soft_fst64, KIND_EXACT, GEN_ANY, 5, FL, false, true },
    { "fist16", host_fist16, soft_fist16, KIND_EXACT, GEN_INT, 3, FL, false, true },
    { "fist32", host_fist32, soft_fist32, KIND_EXACT, GEN_INT, 3, FL, false, true },
    { "fistp64", host_fistp64, soft_fistp64, KIND_EXACT, GEN_INT, 3, FL, false, true },
    { "fbstp", host_fbstp, soft_fbstp, KIND_EXACT, GEN_INT, 3, FL, false, true },
    { "fld32", host_fld32, soft_fld32, KIND_EXACT, GEN_F32, 3, FL, false, false },
    { "fld64", host_fld64, soft_fld64, KIND_EXACT, GEN_F64, 3, FL, false, false },
    { "fild16", host_fild16, soft_fild16, KIND_EXACT, GEN_I16, 1, FL, false, false },
    { "fild32", host_fild32, soft_fild32, KIND_EXACT, GEN_I32, 1, FL, false, false },
    { "fild64", host_fild64, soft_fild64, KIND_EXACT, GEN_I64, 1, FL, false, false },
    { "fbld", host_fbld, soft_fbld, KIND_EXACT, GEN_BCD, 2, FL, false, false },
    /* The transcendentals: results in ulps; flags compared without C1. */
    { "fsin", host_fsin, soft_fsin, KIND_TRANS, GEN_TRIG, 3, SW_FLAGS | SW_C2, true, false },
    { "fcos", host_fcos, soft_fcos, KIND_TRANS, GEN_TRIG, 3, SW_FLAGS | SW_C2, true, false },
    { "fsincos", host_fsincos, soft_fsincos, KIND_TRANS, GEN_TRIG, 3, SW_FLAGS | SW_C2, true, false },
    { "fptan", host_fptan, soft_fptan, KIND_TRANS, GEN_TRIG, 3, SW_FLAGS | SW_C2, true, false },
    { "fpatan", host_fpatan, soft_fpatan, KIND_TRANS, GEN_ATAN, 3, SW_FLAGS, true, false },
    { "f2xm1", host_f2xm1, soft_f2xm1, KIND_TRANS, GEN_2XM1, 3, SW_FLAGS, true, false },
    { "fyl2x", host_fyl2x, soft_fyl2x, KIND_TRANS, GEN_LOG, 3, SW_FLAGS, true, false },
    { "fyl2xp1", host_fyl2xp1, soft_fyl2xp1, KIND_TRANS, GEN_LOGP1, 3, SW_FLAGS, true, false },
};
enum { N_OPS = sizeof ops / sizeof ops[0] };

typedef struct Tally {
    unsigned long cases, bad;
    /* transcendentals */
    unsigned long exact, within1, flags_ok, c1_ok;
    unsigned __int128 max_ulps;
} Tally;

/* Position of a value on the number line in ulps (finite values only). */
static __int128 ulp_key(Ext e)
{
    unsigned exp = e.se & 0x7FFF;
    __int128 k = exp ? (__int128)exp << 63 | (e.mant & ~INT_BIT) : (__int128)e.mant;
    return (e.se & 0x8000) ? -k : k;
}

static bool is_finite_value(Ext e)
{
    unsigned exp = e.se & 0x7FFF;
    return exp != 0x7FFF && (exp == 0 || (e.mant & INT_BIT));
}

/* Distance of two register results in ulps; ~0 for different classes. */
static unsigned __int128 ulps(Ext x, Ext y)
{
    if (x.mant == y.mant && x.se == y.se)
        return 0;
    if (!is_finite_value(x) || !is_finite_value(y))
        return ~(unsigned __int128)0;
    __int128 d = ulp_key(x) - ulp_key(y);
    return (unsigned __int128)(d < 0 ? -d : d);
}

static void print_ext(const char *label, Ext e) { fprintf(stderr, " %s %04X:%016llX", label, e.se, (unsigned long long)e.mant); }

static void report(const OpDesc *op, const Operands *in, const Outcome *h, const Outcome *s)
{
    fprintf(stderr, "MISMATCH %-8s cw %04X", op->name, in->cw);
    print_ext("a", in->a);
    print_ext("b", in->b);
    fprintf(stderr, " mem %016llX\n  host:", (unsigned long long)in->mem);
    print_ext("r0", h->r0);
    print_ext("r1", h->r1);
    fprintf(stderr, " mem %016llX sw %04X\n  sf80:", (unsigned long long)h->mem, h->sw & (op->sw_mask | SW_C1));
    print_ext("r0", s->r0);
    print_ext("r1", s->r1);
    fprintf(stderr, " mem %016llX sw %04X\n", (unsigned long long)s->mem, s->sw & (op->sw_mask | SW_C1));
}

/* --show-inexact: every transcendental case that is not an exact match */
static bool show_inexact;

/* The reference is Intel's x87. On an AMD host a few corner cases are known
 * to differ from Intel's documented and measured behaviour; those cases are
 * counted apart instead of as mismatches, so that the test means the same on
 * either vendor. */
static bool host_is_amd;
static unsigned long vendor_skips;

static bool host_vendor_amd(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return false;
    return b == 0x68747541u && d == 0x69746E65u && c == 0x444D4163u; /* AuthenticAMD */
}

/* AMD: FSCALE of a denormal by a zero with UE unmasked reports UE and writes
 * the bias-adjusted result; Intel leaves the operand (DE only). */
static bool amd_known_difference(const OpDesc *op, const Operands *in)
{
    if (!host_is_amd || strcmp(op->name, "fscale"))
        return false;
    bool a_denormal = (in->a.se & 0x7FFF) == 0 && in->a.mant != 0;
    bool b_zero = (in->b.se & 0x7FFF) == 0 && in->b.mant == 0;
    return a_denormal && b_zero && !(in->cw & 0x10);
}

static void run_case(const OpDesc *op, Tally *t, bool verbose)
{
    Operands in;
    memset(&in, 0, sizeof in);
    gen_operands(op->gen, &in);
    in.cw = gen_cw();
    Outcome h, s;
    memset(&h, 0, sizeof h);
    h.mem = MEM_SENTINEL;
    memset(h.bcd, 0x5A, sizeof h.bcd);
    s = h;
    op->host(&in, &h);
    op->soft(&in, &s);
    t->cases++;
    bool regs = h.r0.mant == s.r0.mant && h.r0.se == s.r0.se &&
                (!op->r1 || (h.r1.mant == s.r1.mant && h.r1.se == s.r1.se));
    bool mem = !op->mem || (h.mem == s.mem && !memcmp(h.bcd, s.bcd, sizeof h.bcd));
    bool sw = (h.sw & op->sw_mask) == (s.sw & op->sw_mask);
    if (op->kind == KIND_EXACT) {
        if (!(regs && mem && sw) && amd_known_difference(op, &in)) {
            vendor_skips++;
            return;
        }
        if (!(regs && mem && sw)) {
            t->bad++;
            if (verbose || t->bad <= 3)
                report(op, &in, &h, &s);
        }
        return;
    }
    unsigned __int128 d = ulps(h.r0, s.r0);
    if (op->r1) {
        unsigned __int128 d1 = ulps(h.r1, s.r1);
        if (d1 > d)
            d = d1;
    }
    bool exact = regs && sw && (h.sw & SW_C1) == (s.sw & SW_C1);
    t->exact += exact;
    if (!exact && show_inexact)
        report(op, &in, &h, &s);
    t->flags_ok += sw;
    t->c1_ok += (h.sw & SW_C1) == (s.sw & SW_C1);
    if (d <= 1) {
        t->within1++;
    } else {
        t->bad++;
        if (verbose || t->bad <= 3)
            report(op, &in, &h, &s);
    }
    if (d != ~(unsigned __int128)0 && d > t->max_ulps)
        t->max_ulps = d;
}

static double pct(unsigned long n, unsigned long of) { return of ? 100.0 * (double)n / (double)of : 100.0; }

int main(int argc, char **argv)
{
    unsigned long cases = 2000000;
    uint64_t seed = 1;
    bool verbose = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--op") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else if (!strcmp(argv[i], "--show-inexact"))
            show_inexact = true;
        else {
            fprintf(stderr, "usage: fpu_diff [--cases N] [--seed S] [--op NAME] [-v] [--show-inexact]\n");
            return 2;
        }
    }
    host_is_amd = host_vendor_amd();
    rng_state = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    unsigned total_weight = 0;
    for (unsigned i = 0; i < N_OPS; i++)
        if (!only || !strcmp(only, ops[i].name))
            total_weight += ops[i].weight;
    if (!total_weight) {
        fprintf(stderr, "fpu_diff: no operation %s\n", only);
        return 2;
    }
    static Tally tally[N_OPS];
    for (unsigned long n = 0; n < cases; n++) {
        unsigned pick = (unsigned)below(total_weight), i = 0;
        for (;; i++) {
            if (only && strcmp(only, ops[i].name))
                continue;
            if (pick < ops[i].weight)
                break;
            pick -= ops[i].weight;
        }
        run_case(&ops[i], &tally[i], verbose);
    }

    unsigned long bad_exact = 0, exact_cases = 0;
    bool trans_fail = false;
    printf("fpu_diff: %lu cases (seed %llu)\n", cases, (unsigned long long)seed);
    printf("  %-8s %9s %10s\n", "op", "cases", "mismatches");
    for (unsigned i = 0; i < N_OPS; i++) {
        const Tally *t = &tally[i];
        if (ops[i].kind != KIND_EXACT || !t->cases)
            continue;
        printf("  %-8s %9lu %10lu\n", ops[i].name, t->cases, t->bad);
        bad_exact += t->bad;
        exact_cases += t->cases;
    }
    printf("  %-8s %9s %8s %8s %8s %8s %9s\n", "op", "cases", "exact%", "<=1ulp%", "flags%", "C1%",
           "max ulps");
    for (unsigned i = 0; i < N_OPS; i++) {
        const Tally *t = &tally[i];
        if (ops[i].kind != KIND_TRANS || !t->cases)
            continue;
        double w = pct(t->within1, t->cases);
        printf("  %-8s %9lu %8.3f %8.3f %8.3f %8.3f %9.3g\n", ops[i].name, t->cases,
               pct(t->exact, t->cases), w, pct(t->flags_ok, t->cases), pct(t->c1_ok, t->cases),
               (double)t->max_ulps);
        if (w < 99.9)
            trans_fail = true;
    }
    if (vendor_skips)
        printf("  %lu cases set apart as known AMD-vs-Intel differences\n", vendor_skips);
    printf("exact operations: %lu cases, %lu mismatches; transcendentals %s\n", exact_cases,
           bad_exact, trans_fail ? "UNDER 99.9% within 1 ulp" : "within 1 ulp on >= 99.9%");
    return bad_exact || trans_fail ? 1 : 0;
}
#endif
