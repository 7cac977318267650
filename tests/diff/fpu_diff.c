/* Differential test of the sf80 soft-float core against the host's own x87
 * (x86-64 hosts run it natively): random and edge operands for add, sub,
 * mul, div, sqrt, stores to float32/float64/int32/int64 and compares, in
 * all four rounding modes and three precisions; result bits and the
 * exception flags (and C1) compared bit for bit.
 *   fpu_diff [--cases N] [--seed S] [-v] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpu/sf80.h"

#if !defined(__x86_64__) && !defined(__i386__)
int main(void)
{
    puts("fpu_diff: not an x86 host, nothing to compare against");
    return 0;
}
#else

typedef struct __attribute__((packed)) Ext {
    uint64_t mant;
    uint16_t se;
} Ext;

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_F32, OP_F64, OP_I32, OP_I64, OP_COM, OP_RND, N_OPS };
static const char *op_names[N_OPS] = { "add", "sub", "mul", "div", "sqrt", "fst32", "fst64",
                                       "fist32", "fist64", "fcom", "frndint" };

/* Runs one operation on the host x87 with all exceptions masked. */
static void host_run(int op, Ext a, Ext b, uint16_t cw, Ext *res, uint64_t *ires, uint16_t *sw)
{
    uint16_t s = 0;
    Ext r = { 0, 0 };
    uint64_t ir = 0;
    switch (op) {
    case OP_ADD:
        __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; fadd %%st(1), %%st; fnstsw %0; fstpt %4; fstp %%st(0)"
                         : "=m"(s) : "m"(a), "m"(b), "m"(cw), "m"(r) : "memory");
        break;
    case OP_SUB:
        __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; fsub %%st(1), %%st; fnstsw %0; fstpt %4; fstp %%st(0)"
                         : "=m"(s) : "m"(a), "m"(b), "m"(cw), "m"(r) : "memory");
        break;
    case OP_MUL:
        __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; fmul %%st(1), %%st; fnstsw %0; fstpt %4; fstp %%st(0)"
                         : "=m"(s) : "m"(a), "m"(b), "m"(cw), "m"(r) : "memory");
        break;
    case OP_DIV:
        __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; fdiv %%st(1), %%st; fnstsw %0; fstpt %4; fstp %%st(0)"
                         : "=m"(s) : "m"(a), "m"(b), "m"(cw), "m"(r) : "memory");
        break;
    case OP_SQRT:
        __asm__ volatile("fninit; fldcw %2; fldt %1; fsqrt; fnstsw %0; fstpt %3"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(r) : "memory");
        break;
    case OP_RND:
        __asm__ volatile("fninit; fldcw %2; fldt %1; frndint; fnstsw %0; fstpt %3"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(r) : "memory");
        break;
    case OP_F32: {
        uint32_t f = 0;
        __asm__ volatile("fninit; fldcw %2; fldt %1; fstps %3; fnstsw %0"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(f) : "memory");
        ir = f;
        break;
    }
    case OP_F64:
        __asm__ volatile("fninit; fldcw %2; fldt %1; fstpl %3; fnstsw %0"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(ir) : "memory");
        break;
    case OP_I32: {
        uint32_t i = 0;
        __asm__ volatile("fninit; fldcw %2; fldt %1; fistpl %3; fnstsw %0"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(i) : "memory");
        ir = i;
        break;
    }
    case OP_I64:
        __asm__ volatile("fninit; fldcw %2; fldt %1; fistpll %3; fnstsw %0"
                         : "=m"(s) : "m"(a), "m"(cw), "m"(ir) : "memory");
        break;
    default:   /* OP_COM: fcom st(1) with st0 = a */
        __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; fcom %%st(1); fnstsw %0; fninit"
                         : "=m"(s) : "m"(a), "m"(b), "m"(cw) : "memory");
        break;
    }
    __asm__ volatile("fninit");
    *res = r;
    *ires = ir;
    *sw = s;
}

static uint64_t rng;
static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Operands from every class, weighted toward the interesting ones. */
static Ext gen(void)
{
    Ext e;
    uint64_t r = rnd64();
    unsigned sign = (unsigned)(r & 1) << 15;
    switch ((r >> 1) % 16) {
    case 0: e.mant = 0; e.se = (uint16_t)sign; break;                                  /* zero */
    case 1: e.mant = rnd64() >> (1 + rnd64() % 63); e.se = (uint16_t)sign; break;     /* denormal */
    case 2: e.mant = 0x8000000000000000ull; e.se = (uint16_t)(sign | 0x7FFF); break;  /* inf */
    case 3: e.mant = 0xC000000000000000ull | (rnd64() >> 2); e.se = (uint16_t)(sign | 0x7FFF); break;
    case 4: e.mant = 0x8000000000000000ull | ((rnd64() >> 2) | 1); e.se = (uint16_t)(sign | 0x7FFF); break;
    case 5: e.mant = 0x8000000000000000ull | (rnd64() >> 1); e.se = (uint16_t)(sign | (1 + rnd64() % 64)); break;
    case 6: e.mant = 0x8000000000000000ull | (rnd64() >> 1); e.se = (uint16_t)(sign | (0x7FFE - rnd64() % 64)); break;
    case 7: {   /* near rounding boundaries at 24/53/64 bits */
        static const unsigned cut[3] = { 40, 11, 1 };
        unsigned c = cut[rnd64() % 3];
        uint64_t half = 1ull << (c - 1);
        e.mant = (0x8000000000000000ull | (rnd64() >> 1)) & ~((1ull << c) - 1);
        e.mant |= (rnd64() & 1) ? half : half - 1 + (rnd64() % 3);
        e.se = (uint16_t)(sign | (0x3FF0 + rnd64() % 32));
        break;
    }
    case 8: e.mant = 0x8000000000000000ull | (rnd64() >> 20 << 19); e.se = (uint16_t)(sign | (0x3FFF + rnd64() % 70)); break;
    case 9: e.mant = 0x8000000000000000ull | (rnd64() >> 1); e.se = (uint16_t)(sign | (0x3F80 + rnd64() % 0x100)); break;
    case 10: e.mant = 0x8000000000000000ull | (rnd64() >> 1); e.se = (uint16_t)(sign | (0x3C00 + rnd64() % 0x800)); break;
    default: e.mant = 0x8000000000000000ull | (rnd64() >> 1); e.se = (uint16_t)(sign | (1 + rnd64() % 0x7FFE)); break;
    }
    return e;
}

int main(int argc, char **argv)
{
    unsigned long cases = 1000000;
    uint64_t seed = 1;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-v")) verbose = true;
        else {
            fprintf(stderr, "usage: fpu_diff [--cases N] [--seed S] [-v]\n");
            return 2;
        }
    }
    rng = seed * 0x9E3779B97F4A7C15ull + 7;
    unsigned long per_op[N_OPS] = { 0 }, bad_op[N_OPS] = { 0 }, total_bad = 0;
    static const unsigned pcs[3] = { SF_PC_24, SF_PC_53, SF_PC_64 };
    for (unsigned long n = 0; n < cases; n++) {
        int op = (int)(rnd64() % N_OPS);
        unsigned rc = (unsigned)(rnd64() % 4), pc = pcs[rnd64() % 3];
        Ext a = gen(), b = gen();
        uint16_t cw = (uint16_t)(0x0040 | 0x3F | pc << 8 | rc << 10);
        Ext hres;
        uint64_t hint;
        uint16_t hsw;
        host_run(op, a, b, cw, &hres, &hint, &hsw);
        Sf80Ctx c = { .rc = rc, .pc = pc, .masks = 0x3F };
        F80 fa = { a.mant, a.se }, fb = { b.mant, b.se }, fr = { 0, 0 };
        uint64_t kint = 0;
        int rel = 0;
        switch (op) {
        case OP_ADD: fr = sf80_add(&c, fa, fb); break;
        case OP_SUB: fr = sf80_sub(&c, fa, fb); break;
        case OP_MUL: fr = sf80_mul(&c, fa, fb); break;
        case OP_DIV: fr = sf80_div(&c, fa, fb); break;
        case OP_SQRT: fr = sf80_sqrt(&c, fa); break;
        case OP_RND: fr = sf80_round_int(&c, fa); break;
        case OP_F32: kint = sf80_to_f32(&c, fa); break;
        case OP_F64: kint = sf80_to_f64(&c, fa); break;
        case OP_I32: kint = (uint32_t)sf80_to_int(&c, fa, 32); break;
        case OP_I64: kint = (uint64_t)sf80_to_int(&c, fa, 64); break;
        default: rel = sf80_compare(&c, fa, fb, false); break;
        }
        uint16_t ksw = (uint16_t)((c.flags & 0x3F) | ((c.flags & SF_C1) ? 0x200 : 0));
        uint16_t mask = 0x3F | 0x200;
        bool res_bits = op <= OP_SQRT || op == OP_RND;
        if (op == OP_COM) {
            ksw |= rel == 2 ? 0x4500 : rel < 0 ? 0x0100 : rel == 0 ? 0x4000 : 0;
            mask = 0x3F | 0x4500;
        }
        /* The host sets C1 only on the operations that round. */
        bool same = (hsw & mask) == (ksw & mask);
        if (res_bits)
            same = same && hres.mant == fr.mant && hres.se == fr.se;
        else if (op != OP_COM)
            same = same && hint == kint;
        per_op[op]++;
        if (!same) {
            bad_op[op]++;
            total_bad++;
            if (verbose || bad_op[op] <= 3)
                fprintf(stderr,
                        "MISMATCH %s rc=%u pc=%u a=%04X:%016llX b=%04X:%016llX host %04X:%016llX "
                        "(%llX) sw %04X, sf80 %04X:%016llX (%llX) sw %04X\n",
                        op_names[op], rc, pc, a.se, (unsigned long long)a.mant, b.se,
                        (unsigned long long)b.mant, hres.se, (unsigned long long)hres.mant,
                        (unsigned long long)hint, hsw & mask, fr.se, (unsigned long long)fr.mant,
                        (unsigned long long)kint, ksw & mask);
        }
    }
    printf("fpu_diff: %lu cases (seed %llu), %lu mismatches\n", cases, (unsigned long long)seed,
           total_bad);
    for (int op = 0; op < N_OPS; op++)
        printf("  %-8s %8lu cases %8lu mismatches\n", op_names[op], per_op[op], bad_op[op]);
    return total_bad ? 1 : 0;
}
#endif
