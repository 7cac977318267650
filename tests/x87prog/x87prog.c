/* SPDX-License-Identifier: MIT */
/* x87prog: a static i386 Linux program that exercises the x87 and MMX and
 * prints every result in hex, so that its output on a real CPU and inside a
 * guest under Kairo can be compared byte for byte.
 *
 *   gcc -m32 -static -O1 -o x87prog x87prog.c -lm
 *
 *   x87prog [--no-signals]
 *
 * Sections: libm (double functions on fixed and pseudo-random operands, and
 * in the four rounding modes), x87 arithmetic in every rounding mode and
 * precision, the constants, memory-operand arithmetic (float32/float64/
 * int16/int32, denormal sources included), FXCH/FCHS/FABS/FCMOVcc,
 * conversions (FIST, FBSTP, FST to float32/float64, loads of every format),
 * compares (FCOM, FUCOM, FCOMI, FUCOMI, FTST, FXAM), FPREM/FPREM1, FSCALE,
 * FXTRACT, FSQRT, FRNDINT, the transcendentals, the FSTENV image, MMX
 * (register and memory forms, immediate shifts, the x87 aliasing), and
 * unmasked exceptions through SIGFPE (skipped with --no-signals). No
 * floating-point printf: the digits would come from libc, not the CPU.
 *
 * It stays clear of what differs between Intel and AMD parts (and so
 * between a host and Kairo, which models Intel): the last bits of the
 * transcendental instructions (printed to 52 of 64 significand bits, their
 * C1 and PE/UE flags left out), FSIN/FCOS/FPTAN operands beyond 2^20 (the
 * argument reduction's pi differs), F2XM1 and FYL2XP1 outside the ranges
 * Intel defines, FPREM's partial steps (only finished remainders are
 * printed), FSTENV's instruction and data pointers, opcode and selectors
 * (deprecated or saved only on exceptions on newer parts), FBLD of invalid
 * BCD digits, EMMS with TOP != 0 (AMD parts reset TOP), C1 after FCOMI/
 * FUCOMI (the SDM clears it, AMD parts keep it) and after FFREE
 * (undefined), and float32 functions (glibc picks SSE2 versions on hosts
 * that have it). Outside the SIGFPE section every exception is masked. */
#include <fenv.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#if !defined(__i386__)
#error "x87prog is an i386 program: build it with gcc -m32"
#endif

typedef struct __attribute__((packed)) {
    uint64_t m;
    uint16_t se;
} X80;

/* --- pseudo-random operands (xorshift64, fixed seed) --- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* A double with a random significand and an exponent in [lo, hi]. */
static double rnd_double(int lo, int hi)
{
    uint64_t e = (uint64_t)(1023 + lo + (int)below((unsigned)(hi - lo + 1)));
    return bits_to_double((rnd() & 0x800FFFFFFFFFFFFFull) | e << 52);
}

static X80 x80(uint16_t se, uint64_t m) { return (X80){ m, se }; }

/* A random normal extended value with a biased exponent in [lo, hi]. */
static X80 rnd_x80(unsigned lo, unsigned hi)
{
    uint16_t s = (uint16_t)(rnd() & 0x8000);
    return x80((uint16_t)(s | (lo + below(hi - lo + 1))), rnd() | 0x8000000000000000ull);
}

static void print_x80(X80 v) { printf(" %04x:%016llx", v.se, (unsigned long long)v.m); }

/* --- libm --- */

static const double fixed_args[] = {
    0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 3.0, 10.0, 100.0, 1e-5, 1e-300, 1e300, 0.1, 0.7,
    1.5707963267948966, 3.141592653589793, 6.283185307179586, 2.718281828459045, 1e10,
    -123.456, 4.9406564584124654e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
};

typedef double (*Fn1)(double);
typedef double (*Fn2)(double, double);

static const struct { const char *name; Fn1 fn; } libm1[] = {
    { "sin", sin }, { "cos", cos }, { "tan", tan }, { "atan", atan }, { "exp", exp },
    { "log", log }, { "log10", log10 }, { "log2", log2 }, { "sqrt", sqrt }, { "rint", rint },
    { "floor", floor }, { "ceil", ceil }, { "trunc", trunc }, { "round", round },
    { "asin", asin }, { "acos", acos }, { "sinh", sinh }, { "cosh", cosh }, { "tanh", tanh },
    { "expm1", expm1 }, { "log1p", log1p }, { "cbrt", cbrt }, { "exp2", exp2 },
};

static const struct { const char *name; Fn2 fn; } libm2[] = {
    { "atan2", atan2 }, { "pow", pow }, { "fmod", fmod }, { "hypot", hypot },
    { "remainder", remainder },
};

static void libm_one(double x)
{
    for (unsigned i = 0; i < sizeof libm1 / sizeof libm1[0]; i++) {
        volatile double r = libm1[i].fn(x);
        printf("%s(%016llx) = %016llx\n", libm1[i].name, (unsigned long long)double_bits(x),
               (unsigned long long)double_bits(r));
    }
    int e;
    double m = frexp(x, &e);
    long l = lrint(x > 1e9 || x < -1e9 ? 0 : x);
    double ip, fp = modf(x, &ip);
    printf("frexp %016llx %d lrint %ld modf %016llx %016llx ldexp %016llx\n",
           (unsigned long long)double_bits(m), e, l, (unsigned long long)double_bits(fp),
           (unsigned long long)double_bits(ip), (unsigned long long)double_bits(ldexp(x, 37)));
}

static void libm_two(double x, double y)
{
    for (unsigned i = 0; i < sizeof libm2 / sizeof libm2[0]; i++) {
        volatile double r = libm2[i].fn(x, y);
        printf("%s(%016llx,%016llx) = %016llx\n", libm2[i].name, (unsigned long long)double_bits(x),
               (unsigned long long)double_bits(y), (unsigned long long)double_bits(r));
    }
}

static void section_libm(void)
{
    puts("== libm");
    unsigned n = sizeof fixed_args / sizeof fixed_args[0];
    for (unsigned i = 0; i < n; i++) {
        libm_one(fixed_args[i]);
        libm_two(fixed_args[i], fixed_args[(i * 7 + 3) % n]);
    }
    for (unsigned i = 0; i < 300; i++) {
        double x = rnd_double(-8, 8), y = rnd_double(-8, 8);
        libm_one(x);
        libm_two(x, y);
    }
}

/* Rounding-mode dependent library functions and double arithmetic in all
 * four modes (fesetround changes the x87 control word). */
static void section_rounding(void)
{
    static const int modes[4] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
    puts("== rounding modes");
    for (unsigned i = 0; i < 80; i++) {
        volatile double x = i < 20 ? (double)i * 0.25 - 2.5 : rnd_double(-4, 40);
        volatile double y = rnd_double(-30, 30);
        printf("%016llx %016llx", (unsigned long long)double_bits(x), (unsigned long long)double_bits(y));
        for (int m = 0; m < 4; m++) {
            fesetround(modes[m]);
            volatile double sum = x + y, prod = x * y, quot = x / y, root = sqrt(x < 0 ? -x : x);
            long long ll = x > 9e18 || x < -9e18 ? 0 : llrint(x);
            printf(" | %016llx %016llx %016llx %016llx %016llx %016llx %016llx",
                   (unsigned long long)double_bits(rint(x)), (unsigned long long)double_bits(nearbyint(x)),
                   (unsigned long long)ll, (unsigned long long)double_bits(sum),
                   (unsigned long long)double_bits(prod), (unsigned long long)double_bits(quot),
                   (unsigned long long)double_bits(root));
        }
        fesetround(FE_TONEAREST);
        putchar('\n');
    }
}

/* --- x87 helpers ---
 * Every helper starts from FNINIT with the control word `cw`, loads its
 * operands, runs one instruction, reads the status word and stores what is
 * left on the stack; every exception stays masked. */

static uint16_t cw;

#define PRO "fninit\n\tfldcw %[cw]\n\t"

/* ST(0) = a, ST(1) = b; op; one result left. */
#define OP2_1(name, insn)                                                                   \
    static X80 name(X80 a, X80 b, uint16_t *sw)                                            \
    {                                                                                       \
        X80 r;                                                                              \
        __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
                         : [r] "=m"(r), [sw] "=m"(*sw)                                      \
                         : [a] "m"(a), [b] "m"(b), [cw] "m"(cw));                           \
        return r;                                                                           \
    }

/* ST(0) = a, ST(1) = b; op; two results left (r0 = ST(0)). */
#define OP2_2(name, insn)                                                                   \
    static void name(X80 a, X80 b, X80 *r0, X80 *r1, uint16_t *sw)                         \
    {                                                                                       \
        __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\t" insn                              \
                         "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"          \
                         : [r0] "=m"(*r0), [r1] "=m"(*r1), [sw] "=m"(*sw)                   \
                         : [a] "m"(a), [b] "m"(b), [cw] "m"(cw));                           \
    }

/* ST(0) = a; op; one result left. */
#define OP1_1(name, insn)                                                                   \
    static X80 name(X80 a, uint16_t *sw)                                                   \
    {                                                                                       \
        X80 r;                                                                              \
        __asm__ volatile(PRO "fldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
                         : [r] "=m"(r), [sw] "=m"(*sw)                                      \
                         : [a] "m"(a), [cw] "m"(cw));                                       \
        return r;                                                                           \
    }

/* ST(0) = a; op; two results (r0 = ST(0)); a zero pushed first marks "one result". */
#define OP1_2(name, insn)                                                                   \
    static void name(X80 a, X80 *r0, X80 *r1, uint16_t *sw)                                \
    {                                                                                       \
        __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\t" insn                                   \
                         "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"          \
                         : [r0] "=m"(*r0), [r1] "=m"(*r1), [sw] "=m"(*sw)                   \
                         : [a] "m"(a), [cw] "m"(cw));                                       \
    }

OP2_1(x_fadd, "fadd %%st(1), %%st")
OP2_1(x_fsub, "fsub %%st(1), %%st")
OP2_1(x_fsubr, "fsubr %%st(1), %%st")
OP2_1(x_fmul, "fmul %%st(1), %%st")
OP2_1(x_fdiv, "fdiv %%st(1), %%st")
OP2_1(x_fdivr, "fdivr %%st(1), %%st")
OP2_1(x_fscale, "fscale")
OP2_1(x_fpatan, "fpatan")
OP2_1(x_fyl2x, "fyl2x")
OP2_1(x_fyl2xp1, "fyl2xp1")
OP1_1(x_fsqrt, "fsqrt")
OP1_1(x_frndint, "frndint")
OP1_1(x_fsin, "fsin")
OP1_1(x_fcos, "fcos")
OP1_1(x_f2xm1, "f2xm1")
OP1_2(x_fxtract, "fxtract")
OP1_2(x_fsincos, "fsincos")
OP1_2(x_fptan, "fptan")

/* The finished remainder: FPREM/FPREM1 repeated while C2 says "partial". */
static X80 x_rem(X80 a, X80 b, int ieee, uint16_t *sw)
{
    X80 r;
    if (ieee)
        __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n1:\tfprem1\n\tfnstsw %%ax\n\ttestw $0x400, %%ax\n\tjnz 1b\n\t"
                         "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"
                         : [r] "=m"(r), [sw] "=m"(*sw) : [a] "m"(a), [b] "m"(b), [cw] "m"(cw) : "eax", "cc");
    else
        __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n1:\tfprem\n\tfnstsw %%ax\n\ttestw $0x400, %%ax\n\tjnz 1b\n\t"
                         "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"
                         : [r] "=m"(r), [sw] "=m"(*sw) : [a] "m"(a), [b] "m"(b), [cw] "m"(cw) : "eax", "cc");
    return r;
}

/* The control words: four rounding modes at 64 bits, then 24 and 53 bits. */
static const uint16_t cws[] = { 0x037F, 0x077F, 0x0B7F, 0x0F7F, 0x007F, 0x027F, 0x0C7F, 0x047F };

typedef X80 (*Op2)(X80, X80, uint16_t *);

static const struct { const char *name; Op2 fn; } arith_ops[] = {
    { "fadd", x_fadd }, { "fsub", x_fsub }, { "fsubr", x_fsubr },
    { "fmul", x_fmul }, { "fdiv", x_fdiv }, { "fdivr", x_fdivr },
};

/* Special operands: zeros, infinities, NaNs, denormals, extremes,
 * unsupported formats. */
static const X80 specials[] = {
    { 0, 0 }, { 0, 0x8000 }, { 0x8000000000000000ull, 0x7FFF }, { 0x8000000000000000ull, 0xFFFF },
    { 0xC000000000000000ull, 0xFFFF }, { 0xC000000000000123ull, 0x7FFF },
    { 0x8000000000000456ull, 0x7FFF },                        /* SNaN */
    { 1, 0 }, { 0x7FFFFFFFFFFFFFFFull, 0x8000 },              /* denormals */
    { 0x8000000000000000ull, 0 },                              /* pseudo-denormal */
    { 0xFFFFFFFFFFFFFFFFull, 0x7FFE }, { 0x8000000000000000ull, 1 },
    { 0x4000000000000000ull, 0x3FFF },                        /* unnormal */
    { 0x8000000000000000ull, 0x3FFF }, { 0xC000000000000000ull, 0xC000 },
};
#define N_SPECIALS (sizeof specials / sizeof specials[0])

static X80 rnd_operand(void)
{
    switch (below(8)) {
    case 0: return specials[below(N_SPECIALS)];
    case 1: return rnd_x80(1, 0x7FFE);
    case 2: return x80((uint16_t)(rnd() & 0x8000), rnd() >> below(64));   /* denormal */
    default: return rnd_x80(0x3FFF - 80, 0x3FFF + 80);
    }
}

static void section_arith(void)
{
    puts("== arith");
    for (unsigned i = 0; i < 300; i++) {
        X80 a = rnd_operand(), b = below(3) ? rnd_x80((a.se & 0x7FFF) - 2 < 1 ? 1 : (a.se & 0x7FFF) - 2,
                                                      (a.se & 0x7FFF) + 2 > 0x7FFE ? 0x7FFE : (a.se & 0x7FFF) + 2)
                                            : rnd_operand();
        cw = cws[i % 8];
        printf("cw %04x a", cw);
        print_x80(a);
        printf(" b");
        print_x80(b);
        putchar('\n');
        for (unsigned k = 0; k < sizeof arith_ops / sizeof arith_ops[0]; k++) {
            uint16_t sw;
            X80 r = arith_ops[k].fn(a, b, &sw);
            printf("  %s", arith_ops[k].name);
            print_x80(r);
            printf(" sw %04x\n", sw);
        }
        uint16_t sw;
        X80 r = x_fsqrt(a, &sw);
        printf("  fsqrt");
        print_x80(r);
        printf(" sw %04x", sw);
        r = x_frndint(a, &sw);
        printf(" frndint");
        print_x80(r);
        printf(" sw %04x\n", sw);
        X80 r1;
        x_fxtract(a, &r, &r1, &sw);
        printf("  fxtract");
        print_x80(r);
        print_x80(r1);
        printf(" sw %04x\n", sw);
    }
}

static void section_scale_rem(void)
{
    puts("== fscale fprem fprem1");
    cw = 0x037F;
    for (unsigned i = 0; i < 120; i++) {
        X80 a = rnd_x80(0x3FFF - 200, 0x3FFF + 200), n = rnd_x80(0x3FFF - 2, 0x3FFF + 12);
        if (i % 3 == 0)
            n = specials[i / 3 % N_SPECIALS];
        uint16_t sw;
        X80 r = x_fscale(a, n, &sw);
        printf("fscale");
        print_x80(a);
        print_x80(n);
        printf(" =");
        print_x80(r);
        printf(" sw %04x\n", sw);
        X80 b = rnd_x80((a.se & 0x7FFF) - 150, (a.se & 0x7FFF) + 2);
        r = x_rem(a, b, 0, &sw);
        printf("fprem");
        print_x80(a);
        print_x80(b);
        printf(" =");
        print_x80(r);
        printf(" sw %04x", sw);
        r = x_rem(a, b, 1, &sw);
        printf(" fprem1");
        print_x80(r);
        printf(" sw %04x\n", sw);
    }
}

/* --- constants, memory operands, moves --- */

/* The seven constants under the control word `cw`. */
static void x_constants(X80 out[7], uint16_t *sw)
{
    __asm__ volatile(PRO "fld1\n\tfldl2t\n\tfldl2e\n\tfldpi\n\tfldlg2\n\tfldln2\n\tfldz\n\tfnstsw %[sw]\n\t"
                     "fstpt 60+%[o]\n\tfstpt 50+%[o]\n\tfstpt 40+%[o]\n\tfstpt 30+%[o]\n\t"
                     "fstpt 20+%[o]\n\tfstpt 10+%[o]\n\tfstpt 0+%[o]\n\tfninit"
                     : [o] "=m"(*(X80(*)[7])out), [sw] "=m"(*sw) : [cw] "m"(cw));
}

/* ST(0) = a, then the memory-operand forms: float32, float64, int16, int32
 * sources for add/sub/subr/mul/div/divr/com, each from a fresh ST(0). */
#define MEMOP(insn, mem)                                                                    \
    __asm__ volatile(PRO "fldt %[a]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
                     : [r] "=m"(r[k]), [sw] "=m"(sw[k]) : [a] "m"(a), [m] "m"(mem), [cw] "m"(cw)); \
    k++;

static unsigned x_memops(X80 a, uint32_t f32, uint64_t f64, int16_t i16, int32_t i32, X80 r[], uint16_t sw[])
{
    unsigned k = 0;
    MEMOP("fadds", f32) MEMOP("fsubs", f32) MEMOP("fsubrs", f32) MEMOP("fmuls", f32)
    MEMOP("fdivs", f32) MEMOP("fdivrs", f32) MEMOP("fcoms", f32)
    MEMOP("faddl", f64) MEMOP("fsubl", f64) MEMOP("fmull", f64) MEMOP("fdivrl", f64) MEMOP("fcoml", f64)
    MEMOP("fiadds", i16) MEMOP("fisubrs", i16) MEMOP("fimuls", i16) MEMOP("fidivs", i16) MEMOP("ficoms", i16)
    MEMOP("fiaddl", i32) MEMOP("fisubl", i32) MEMOP("fidivrl", i32) MEMOP("ficoml", i32)
    return k;
}

/* FXCH, FCHS, FABS, FCMOVcc (on the flags of a compare), FINCSTP/FDECSTP. */
static void x_moves(X80 a, X80 b, X80 out[4], uint16_t *sw)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfxch %%st(1)\n\tfchs\n\tfld %%st(1)\n\tfabs\n\t"
                     "fcomi %%st(1), %%st\n\tfcmovb %%st(2), %%st\n\tfcmovnbe %%st(1), %%st\n\t"
                     "fcmovu %%st(2), %%st\n\tfdecstp\n\tfincstp\n\tfld %%st(0)\n\tfnstsw %[sw]\n\t"
                     "fstpt 0+%[o]\n\tfstpt 10+%[o]\n\tfstpt 20+%[o]\n\tfstpt 30+%[o]\n\tfninit"
                     : [o] "=m"(*(X80(*)[4])out), [sw] "=m"(*sw) : [a] "m"(a), [b] "m"(b), [cw] "m"(cw)
                     : "cc");
}

static void section_misc(void)
{
    puts("== constants");
    for (unsigned i = 0; i < 8; i++) {
        X80 c[7];
        uint16_t sw;
        cw = cws[i];
        x_constants(c, &sw);
        printf("cw %04x", cw);
        for (int k = 0; k < 7; k++)
            print_x80(c[k]);
        printf(" sw %04x\n", sw);
    }
    puts("== memory operands");
    for (unsigned i = 0; i < 240; i++) {
        X80 a = i < 3 * N_SPECIALS ? specials[i / 3] : rnd_operand(), r[32];
        uint16_t sw[32];
        uint32_t f32 = (uint32_t)rnd();
        uint64_t f64 = rnd();
        if (i % 3 == 0) {   /* ordinary numbers near a */
            f32 = (f32 & 0x807FFFFF) | (uint32_t)(127 + (int)below(20) - 10) << 23;
            f64 = (f64 & 0x800FFFFFFFFFFFFFull) | (uint64_t)(1023 + (int)below(40) - 20) << 52;
        } else if (i % 3 == 1) {   /* denormal sources */
            f32 &= 0x807FFFFF;
            f64 &= 0x800FFFFFFFFFFFFFull;
        }
        int16_t i16 = (int16_t)rnd();
        int32_t i32 = (int32_t)rnd();
        cw = cws[i % 8];
        unsigned n = x_memops(a, f32, f64, i16, i32, r, sw);
        printf("cw %04x", cw);
        print_x80(a);
        printf(" %08x %016llx %04x %08x\n", (unsigned)f32, (unsigned long long)f64, (unsigned)(uint16_t)i16,
               (unsigned)i32);
        for (unsigned k = 0; k < n; k++) {
            print_x80(r[k]);
            printf(" %04x%s", sw[k], k % 4 == 3 || k == n - 1 ? "\n" : "");
        }
    }
    puts("== moves");
    cw = 0x037F;
    for (unsigned i = 0; i < 60; i++) {
        X80 a = rnd_operand(), b = below(4) ? rnd_operand() : a, o[4];
        uint16_t sw;
        x_moves(a, b, o, &sw);
        print_x80(a);
        print_x80(b);
        printf(" ->");
        for (int k = 0; k < 4; k++)
            print_x80(o[k]);
        printf(" sw %04x\n", sw);
    }
}

/* --- conversions --- */

static void x_stores(X80 a, uint16_t *sw, uint32_t *f32, uint64_t *f64, int16_t *i16, int32_t *i32,
                     int64_t *i64, uint8_t bcd[10])
{
    __asm__ volatile(PRO "fldt %[a]\n\tfsts %[f32]\n\tfstl %[f64]\n\tfists %[i16]\n\tfistl %[i32]\n\t"
                     "fld %%st(0)\n\tfistpll %[i64]\n\tfbstp %[bcd]\n\tfnstsw %[sw]\n\tfninit"
                     : [sw] "=m"(*sw), [f32] "=m"(*f32), [f64] "=m"(*f64), [i16] "=m"(*i16),
                       [i32] "=m"(*i32), [i64] "=m"(*i64), [bcd] "=m"(*(uint8_t(*)[10])bcd)
                     : [a] "m"(a), [cw] "m"(cw));
}

static void x_loads(uint32_t f32, uint64_t f64, int16_t i16, int32_t i32, int64_t i64,
                    const uint8_t bcd[10], X80 out[6], uint16_t *sw)
{
    __asm__ volatile(PRO "flds %[f32]\n\tfldl %[f64]\n\tfilds %[i16]\n\tfildl %[i32]\n\t"
                     "fildll %[i64]\n\tfbld %[bcd]\n\tfnstsw %[sw]\n\t"
                     "fstpt 0+%[o]\n\tfstpt 10+%[o]\n\tfstpt 20+%[o]\n\tfstpt 30+%[o]\n\t"
                     "fstpt 40+%[o]\n\tfstpt 50+%[o]\n\tfninit"
                     : [o] "=m"(*(X80(*)[6])out), [sw] "=m"(*sw)
                     : [f32] "m"(f32), [f64] "m"(f64), [i16] "m"(i16), [i32] "m"(i32), [i64] "m"(i64),
                       [bcd] "m"(*(const uint8_t(*)[10])bcd), [cw] "m"(cw));
}

static void section_conversions(void)
{
    puts("== conversions");
    for (unsigned i = 0; i < 240; i++) {
        X80 a;
        switch (i % 4) {
        case 0: a = rnd_x80(0x3FFF - 4, 0x3FFF + 66); break;   /* integer limits */
        case 1: a = rnd_x80(0x3FFF - 140, 0x3FFF + 130); break;
        case 2: a = rnd_operand(); break;
        default: /* near halfway between integers */
            a = rnd_x80(0x3FFF, 0x3FFF + 20);
            a.m = (a.m & ~0ull << (62 - ((a.se & 0x7FFF) - 0x3FFF))) | 1ull << (62 - ((a.se & 0x7FFF) - 0x3FFF));
            break;
        }
        cw = cws[(i / 4) % 8];
        uint16_t sw;
        uint32_t f32;
        uint64_t f64;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        uint8_t bcd[10];
        x_stores(a, &sw, &f32, &f64, &i16, &i32, &i64, bcd);
        printf("cw %04x", cw);
        print_x80(a);
        printf(" -> f32 %08x f64 %016llx i16 %04x i32 %08x i64 %016llx bcd ", (unsigned)f32,
               (unsigned long long)f64, (unsigned)(uint16_t)i16, (unsigned)i32, (unsigned long long)i64);
        for (int k = 9; k >= 0; k--)
            printf("%02x", bcd[k]);
        printf(" sw %04x\n", sw);
        /* and back: the loads of every format (not the BCD indefinite:
         * FBLD of invalid digits is undefined) */
        if (bcd[9] == 0xFF)
            memset(bcd, 0x11, 9);
        X80 o[6];
        x_loads(f32, f64, i16, i32, i64, bcd, o, &sw);
        printf("  loads");
        for (int k = 0; k < 6; k++)
            print_x80(o[k]);
        printf(" sw %04x\n", sw);
    }
}

/* --- compares --- */

static void x_compares(X80 a, X80 b, uint16_t sw[4], uint32_t fl[2])
{
    uint32_t f1, f2;
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfcom %%st(1)\n\tfnstsw %[s0]\n\tfnclex\n\t"
                     "fucom %%st(1)\n\tfnstsw %[s1]\n\tfnclex\n\tftst\n\tfnstsw %[s2]\n\tfnclex\n\t"
                     "fxam\n\tfnstsw %[s3]\n\tfnclex\n\t"
                     "fcomi %%st(1), %%st\n\tpushfl\n\tpopl %[f1]\n\tfucomi %%st(1), %%st\n\t"
                     "pushfl\n\tpopl %[f2]\n\tfninit"
                     : [s0] "=m"(sw[0]), [s1] "=m"(sw[1]), [s2] "=m"(sw[2]), [s3] "=m"(sw[3]),
                       [f1] "=r"(f1), [f2] "=r"(f2)
                     : [a] "m"(a), [b] "m"(b), [cw] "m"(cw) : "cc");
    fl[0] = f1 & 0x8D5;   /* OF SF ZF AF PF CF */
    fl[1] = f2 & 0x8D5;
}

static void section_compares(void)
{
    puts("== compares");
    cw = 0x037F;
    for (unsigned i = 0; i < 200; i++) {
        X80 a = i < N_SPECIALS * 4 ? specials[i % N_SPECIALS] : rnd_operand();
        X80 b = i < N_SPECIALS * 4 ? specials[(i / N_SPECIALS + i) % N_SPECIALS]
                                   : (below(2) ? a : rnd_operand());
        uint16_t sw[4];
        uint32_t fl[2];
        x_compares(a, b, sw, fl);
        print_x80(a);
        print_x80(b);
        printf(" fcom %04x fucom %04x ftst %04x fxam %04x fcomi %03x fucomi %03x\n", sw[0], sw[1],
               sw[2], sw[3], (unsigned)fl[0], (unsigned)fl[1]);
    }
    /* FXAM of an empty register */
    uint16_t sw;
    __asm__ volatile("fninit\n\tfxam\n\tfnstsw %0\n\tfninit" : "=m"(sw));
    printf("fxam empty %04x\n", sw);
}

/* --- transcendentals ---
 * The significand is printed to its top 52 bits and the status word
 * without C1, PE and UE, so that a last-bit difference between vendors
 * does not show. */

static void print_trans(X80 v)
{
    printf(" %04x:%013llx", v.se, (unsigned long long)(v.m >> 12));
}

#define TRANS_SW(sw) ((sw) & ~0x0230)

static void section_transcendentals(void)
{
    puts("== transcendentals");
    cw = 0x037F;
    for (unsigned i = 0; i < 200; i++) {
        X80 x = rnd_x80(0x3FFF - 30, 0x3FFF + 20);   /* |x| < 2^21 */
        X80 small = rnd_x80(0x3FFF - 30, 0x3FFE);     /* |x| < 1 */
        X80 y = rnd_x80(0x3FFF - 30, 0x3FFF + 30);
        X80 r0, r1;
        uint16_t sw;
        printf("x");
        print_x80(x);
        r0 = x_fsin(x, &sw);
        printf(" fsin");
        print_trans(r0);
        printf(" %04x", TRANS_SW(sw));
        r0 = x_fcos(x, &sw);
        printf(" fcos");
        print_trans(r0);
        printf(" %04x\n", TRANS_SW(sw));
        x_fsincos(x, &r0, &r1, &sw);
        printf("  fsincos");
        print_trans(r0);
        print_trans(r1);
        printf(" %04x", TRANS_SW(sw));
        x_fptan(x, &r0, &r1, &sw);
        printf(" fptan");
        print_trans(r0);
        print_trans(r1);
        printf(" %04x\n", TRANS_SW(sw));
        X80 ax = x;
        ax.se &= 0x7FFF;
        r0 = x_fpatan(x, y, &sw);
        printf("  fpatan");
        print_trans(r0);
        printf(" %04x", TRANS_SW(sw));
        r0 = x_fyl2x(ax, y, &sw);
        printf(" fyl2x");
        print_trans(r0);
        printf(" %04x", TRANS_SW(sw));
        /* FYL2XP1 is defined for |x| < 1 - sqrt(2)/2: keep below 1/4 */
        small.se = (uint16_t)((small.se & 0x7FFF) > 0x3FFC ? (small.se & 0x8000) | 0x3FFC : small.se);
        r0 = x_fyl2xp1(small, y, &sw);
        printf(" fyl2xp1");
        print_trans(r0);
        printf(" %04x", TRANS_SW(sw));
        r0 = x_f2xm1(small, &sw);
        printf(" f2xm1");
        print_trans(r0);
        printf(" %04x\n", TRANS_SW(sw));
    }
    /* the defined corners: out of range (C2), zeros, infinities, NaNs */
    static const X80 corner[] = {
        { 0x8000000000000000ull, 0x403E }, { 0xC000000000000000ull, 0xC043 }, { 0, 0 }, { 0, 0x8000 },
        { 0x8000000000000000ull, 0x7FFF }, { 0xC000000000000001ull, 0x7FFF }, { 0x8000000000000000ull, 0x3FFF },
    };
    for (unsigned i = 0; i < sizeof corner / sizeof corner[0]; i++) {
        X80 r0, r1;
        uint16_t sw;
        printf("corner");
        print_x80(corner[i]);
        r0 = x_fsin(corner[i], &sw);
        print_trans(r0);
        printf(" %04x", TRANS_SW(sw));
        x_fsincos(corner[i], &r0, &r1, &sw);
        print_trans(r0);
        print_trans(r1);
        printf(" %04x", TRANS_SW(sw));
        x_fptan(corner[i], &r0, &r1, &sw);
        print_trans(r0);
        print_trans(r1);
        printf(" %04x\n", TRANS_SW(sw));
    }
}

/* --- the FSTENV image: CW, SW and the full tag word --- */

static void section_fstenv(void)
{
    puts("== fstenv");
    static const uint16_t env_cws[] = { 0x037F, 0x0F7F, 0x007F, 0x0B7B };
    for (unsigned i = 0; i < 4; i++) {
        uint32_t env[7];
        X80 den = { 1, 0 }, nan = { 0xC000000000000000ull, 0x7FFF };
        cw = env_cws[i];
        __asm__ volatile(PRO "fldt %[den]\n\tfldz\n\tfld1\n\tfldt %[nan]\n\tfld1\n\tfadd %%st(0), %%st\n\t"
                         "ffree %%st(2)\n\tfdecstp\n\tfdecstp\n\tfnstenv %[env]\n\tfninit"
                         : [env] "=m"(env)
                         : [den] "m"(den), [nan] "m"(nan), [cw] "m"(cw));
        printf("cw %04x: %04x %04x %04x\n", cw, env[0] & 0xFFFF, env[1] & 0xFFFF, env[2] & 0xFFFF);
    }
}

/* --- MMX --- */

typedef uint64_t (*MmxFn)(uint64_t, uint64_t);

/* The register form; the memory form must agree (checked, printed only
 * when it does not). */
#define MMX2(name, insn)                                                                    \
    static uint64_t name(uint64_t a, uint64_t b)                                           \
    {                                                                                       \
        uint64_t r, rm;                                                                     \
        __asm__ volatile("movq %[a], %%mm0\n\tmovq %[b], %%mm1\n\t" insn " %%mm1, %%mm0\n\t" \
                         "movq %%mm0, %[r]\n\tmovq %[a], %%mm2\n\t" insn " %[b], %%mm2\n\t"  \
                         "movq %%mm2, %[rm]\n\temms"                                         \
                         : [r] "=m"(r), [rm] "=m"(rm) : [a] "m"(a), [b] "m"(b));            \
        if (r != rm)                                                                        \
            printf("  %s memory form %016llx\n", insn, (unsigned long long)rm);            \
        return r;                                                                           \
    }

MMX2(m_paddb, "paddb") MMX2(m_paddw, "paddw") MMX2(m_paddd, "paddd")
MMX2(m_paddsb, "paddsb") MMX2(m_paddsw, "paddsw") MMX2(m_paddusb, "paddusb") MMX2(m_paddusw, "paddusw")
MMX2(m_psubb, "psubb") MMX2(m_psubw, "psubw") MMX2(m_psubd, "psubd")
MMX2(m_psubsb, "psubsb") MMX2(m_psubsw, "psubsw") MMX2(m_psubusb, "psubusb") MMX2(m_psubusw, "psubusw")
MMX2(m_pand, "pand") MMX2(m_pandn, "pandn") MMX2(m_por, "por") MMX2(m_pxor, "pxor")
MMX2(m_pcmpeqb, "pcmpeqb") MMX2(m_pcmpeqw, "pcmpeqw") MMX2(m_pcmpeqd, "pcmpeqd")
MMX2(m_pcmpgtb, "pcmpgtb") MMX2(m_pcmpgtw, "pcmpgtw") MMX2(m_pcmpgtd, "pcmpgtd")
MMX2(m_pmaddwd, "pmaddwd") MMX2(m_pmulhw, "pmulhw") MMX2(m_pmullw, "pmullw")
MMX2(m_packsswb, "packsswb") MMX2(m_packssdw, "packssdw") MMX2(m_packuswb, "packuswb")
MMX2(m_punpcklbw, "punpcklbw") MMX2(m_punpcklwd, "punpcklwd") MMX2(m_punpckldq, "punpckldq")
MMX2(m_punpckhbw, "punpckhbw") MMX2(m_punpckhwd, "punpckhwd") MMX2(m_punpckhdq, "punpckhdq")
MMX2(m_psllw, "psllw") MMX2(m_pslld, "pslld") MMX2(m_psllq, "psllq")
MMX2(m_psrlw, "psrlw") MMX2(m_psrld, "psrld") MMX2(m_psrlq, "psrlq")
MMX2(m_psraw, "psraw") MMX2(m_psrad, "psrad")

static const struct { const char *name; MmxFn fn; bool shift; } mmx_ops[] = {
    { "paddb", m_paddb, 0 }, { "paddw", m_paddw, 0 }, { "paddd", m_paddd, 0 },
    { "paddsb", m_paddsb, 0 }, { "paddsw", m_paddsw, 0 }, { "paddusb", m_paddusb, 0 },
    { "paddusw", m_paddusw, 0 }, { "psubb", m_psubb, 0 }, { "psubw", m_psubw, 0 },
    { "psubd", m_psubd, 0 }, { "psubsb", m_psubsb, 0 }, { "psubsw", m_psubsw, 0 },
    { "psubusb", m_psubusb, 0 }, { "psubusw", m_psubusw, 0 }, { "pand", m_pand, 0 },
    { "pandn", m_pandn, 0 }, { "por", m_por, 0 }, { "pxor", m_pxor, 0 },
    { "pcmpeqb", m_pcmpeqb, 0 }, { "pcmpeqw", m_pcmpeqw, 0 }, { "pcmpeqd", m_pcmpeqd, 0 },
    { "pcmpgtb", m_pcmpgtb, 0 }, { "pcmpgtw", m_pcmpgtw, 0 }, { "pcmpgtd", m_pcmpgtd, 0 },
    { "pmaddwd", m_pmaddwd, 0 }, { "pmulhw", m_pmulhw, 0 }, { "pmullw", m_pmullw, 0 },
    { "packsswb", m_packsswb, 0 }, { "packssdw", m_packssdw, 0 }, { "packuswb", m_packuswb, 0 },
    { "punpcklbw", m_punpcklbw, 0 }, { "punpcklwd", m_punpcklwd, 0 },
    { "punpckldq", m_punpckldq, 0 }, { "punpckhbw", m_punpckhbw, 0 },
    { "punpckhwd", m_punpckhwd, 0 }, { "punpckhdq", m_punpckhdq, 0 },
    { "psllw", m_psllw, 1 }, { "pslld", m_pslld, 1 }, { "psllq", m_psllq, 1 },
    { "psrlw", m_psrlw, 1 }, { "psrld", m_psrld, 1 }, { "psrlq", m_psrlq, 1 },
    { "psraw", m_psraw, 1 }, { "psrad", m_psrad, 1 },
};

/* Lanes full of the values where saturation and sign matter. */
static uint64_t rnd_lanes(void)
{
    static const uint8_t edges[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x81 };
    uint64_t v = rnd();
    for (int i = 0; i < 8; i++)
        if (below(3) == 0)
            v = (v & ~(0xFFull << (8 * i))) | (uint64_t)edges[below(sizeof edges)] << (8 * i);
    return v;
}

static uint64_t shift_imm_all(uint64_t a, uint64_t out[8])
{
    __asm__ volatile("movq %[a], %%mm2\n\t"
                     "movq %%mm2, %%mm3\n\tpsllw $5, %%mm3\n\tmovq %%mm3, 0+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsrlw $15, %%mm3\n\tmovq %%mm3, 8+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsraw $3, %%mm3\n\tmovq %%mm3, 16+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpslld $31, %%mm3\n\tmovq %%mm3, 24+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsrld $7, %%mm3\n\tmovq %%mm3, 32+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsrad $40, %%mm3\n\tmovq %%mm3, 40+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsllq $33, %%mm3\n\tmovq %%mm3, 48+%[o]\n\t"
                     "movq %%mm2, %%mm3\n\tpsrlq $63, %%mm3\n\tmovq %%mm3, 56+%[o]\n\temms"
                     : [o] "=m"(*(uint64_t(*)[8])out) : [a] "m"(a));
    return out[0];
}

static void section_mmx(void)
{
    puts("== mmx");
    for (unsigned i = 0; i < 60; i++) {
        uint64_t a = rnd_lanes(), b = rnd_lanes();
        printf("a %016llx b %016llx\n", (unsigned long long)a, (unsigned long long)b);
        for (unsigned k = 0; k < sizeof mmx_ops / sizeof mmx_ops[0]; k++) {
            uint64_t bb = mmx_ops[k].shift ? (i % 4 == 3 ? b : b % 70) : b;
            printf("  %s %016llx\n", mmx_ops[k].name, (unsigned long long)mmx_ops[k].fn(a, bb));
        }
        uint64_t o[8];
        shift_imm_all(a, o);
        printf("  imm");
        for (int k = 0; k < 8; k++)
            printf(" %016llx", (unsigned long long)o[k]);
        putchar('\n');
    }
    /* MOVD both ways and the aliasing with the x87: after an MMX write
     * TOP = 0, every tag valid, the register's exponent all ones; EMMS
     * empties the tags. */
    uint32_t d = 0x89ABCDEF, back;
    uint32_t env1[7], env2[7];
    X80 st0 = { 0xA000000000000000ull, 0x4001 };   /* 5 */
    __asm__ volatile("fninit\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\t"
                     "fninit\n\tfld1\n\tfld1\n\tmovd %[d], %%mm1\n\tpaddd %%mm1, %%mm1\n\tmovd %%mm1, %[back]\n\t"
                     "fnstenv %[e1]\n\tfldcw %[cw]\n\tfldt %[st0]\n\tfstpt %[st0]\n\temms\n\tfnstenv %[e2]\n\tfninit"
                     : [back] "=m"(back), [e1] "=m"(env1), [e2] "=m"(env2), [st0] "+m"(st0)
                     : [d] "m"(d), [cw] "m"(cws[0]));
    printf("movd %08x sw %04x tw %04x", back, env1[1] & 0xFFFF, env1[2] & 0xFFFF);
    print_x80(st0);
    /* (EMMS with TOP != 0 is avoided: AMD parts reset TOP, the SDM says
     * nothing of it) */
    printf(" after emms sw %04x tw %04x\n", env2[1] & 0xFFFF, env2[2] & 0xFFFF);
    /* The x87 reads MM registers as what they are: exponent 0xFFFF numbers. */
    uint64_t q = 0x8000000000000001ull;
    X80 seen[2];
    __asm__ volatile("fninit\n\tmovq %[q], %%mm0\n\tmovq %[q], %%mm1\n\tpsrlq $1, %%mm1\n\t"
                     "fstpt 0+%[s]\n\tfstpt 10+%[s]\n\temms\n\tfninit"
                     : [s] "=m"(seen) : [q] "m"(q));
    printf("alias");
    print_x80(seen[0]);
    print_x80(seen[1]);
    putchar('\n');
}

/* --- unmasked exceptions: #MF, delivered as SIGFPE ---
 * Each case unmasks one exception, raises it, and lets the next waiting
 * instruction (FWAIT) take the #MF; the kernel sends SIGFPE with a si_code
 * derived from the status and control words, and the handler reports what
 * the signal frame holds: CW, SW, the tag word, ST(0). Needs a kernel:
 * x87run (no kernel) passes --no-signals. */

static sigjmp_buf fpe_jump;
static volatile int fpe_code;
static volatile unsigned fpe_cw, fpe_sw, fpe_tag, fpe_status;
static X80 fpe_st0;

static void on_sigfpe(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    const ucontext_t *uc = uc_;
    const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    fpe_code = si->si_code;
    fpe_cw = fp->cw & 0xFFFF;
    fpe_sw = fp->sw & 0xFFFF;
    fpe_tag = fp->tag & 0xFFFF;
    fpe_status = fp->status & 0xFFFF;
    memcpy(&fpe_st0.m, fp->_st[0].significand, 8);
    fpe_st0.se = fp->_st[0].exponent;
    siglongjmp(fpe_jump, 1);
}

static void fpe_case(const char *name, uint16_t case_cw, void (*raise)(void))
{
    fpe_code = -1;
    if (sigsetjmp(fpe_jump, 1) == 0) {
        cw = case_cw;
        raise();
        printf("%s: no signal\n", name);
    } else {
        printf("%s: si_code %d cw %04x sw %04x tag %04x status %04x st0", name, fpe_code, fpe_cw, fpe_sw,
               fpe_tag, fpe_status);
        print_x80(fpe_st0);
        putchar('\n');
    }
    __asm__ volatile("fninit");
}

static void raise_ze(void)
{
    __asm__ volatile(PRO "fld1\n\tfldz\n\tfdivrp\n\tfwait" : : [cw] "m"(cw));
}

static void raise_ie(void)
{
    __asm__ volatile(PRO "fld1\n\tfchs\n\tfsqrt\n\tfwait" : : [cw] "m"(cw));
}

static void raise_stack_overflow(void)
{
    __asm__ volatile(PRO "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfldpi\n\tfwait"
                     : : [cw] "m"(cw));
}

static void raise_oe(void)
{
    static const X80 big = { 0xC000000000000000ull, 0x7FF0 };
    __asm__ volatile(PRO "fldt %[b]\n\tfmul %%st(0), %%st\n\tfwait" : : [cw] "m"(cw), [b] "m"(big));
}

static void raise_ue_pe(void)
{
    static const X80 tiny = { 0xC000000000000000ull, 0x0010 };
    __asm__ volatile(PRO "fldt %[t]\n\tfmul %%st(0), %%st\n\tfwait" : : [cw] "m"(cw), [t] "m"(tiny));
}

static void raise_pe(void)
{
    __asm__ volatile(PRO "fld1\n\tfldpi\n\tfdivrp\n\tfwait" : : [cw] "m"(cw));
}

static void raise_de_load(void)
{
    static const uint32_t den = 1;
    __asm__ volatile(PRO "flds %[d]\n\tfwait" : : [cw] "m"(cw), [d] "m"(den));
}

static void raise_by_fldcw(void)
{
    static const uint16_t unmask = 0x037B;
    __asm__ volatile(PRO "fld1\n\tfldz\n\tfdivrp\n\tfldcw %[u]\n\tfld1" : : [cw] "m"(cw), [u] "m"(unmask));
}

static void section_sigfpe(void)
{
    puts("== sigfpe");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigfpe;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, NULL);
    fpe_case("ze", 0x037B, raise_ze);
    fpe_case("ie sqrt", 0x037E, raise_ie);
    fpe_case("ie stack", 0x037E, raise_stack_overflow);
    fpe_case("oe", 0x0377, raise_oe);
    fpe_case("ue", 0x036F, raise_ue_pe);
    fpe_case("pe", 0x035F, raise_pe);
    fpe_case("de", 0x037D, raise_de_load);
    fpe_case("fldcw", 0x037F, raise_by_fldcw);
    fpe_case("masked", 0x037F, raise_ze);
}

int main(int argc, char **argv)
{
    bool signals = !(argc > 1 && !strcmp(argv[1], "--no-signals"));
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    section_libm();
    section_rounding();
    section_arith();
    section_scale_rem();
    section_misc();
    section_conversions();
    section_compares();
    section_transcendentals();
    section_fstenv();
    section_mmx();
    if (signals)
        section_sigfpe();
    puts("== end");
    return 0;
}
