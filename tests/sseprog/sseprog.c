/* SPDX-License-Identifier: MIT */
/* sseprog: a static i386 Linux program whose floating point is SSE2 (built
 * with -msse2 -mfpmath=sse, and as sse3prog with -msse3 for the SSE3
 * section) that prints every result in hex, so that its output on the
 * host and inside a guest under Kairo can be compared byte for byte.
 *
 *   gcc -m32 -static -O3 -msse2 -mfpmath=sse -o sseprog sseprog.c -lm
 *   sseprog              the results
 *   sseprog --dispatch   the string functions glibc's CPU dispatch chose
 *
 * Sections: libm (float and double functions on a grid of operands),
 * auto-vectorised loops (saxpy, dot products, integer reductions,
 * conversions), SSE/SSE2 intrinsics in every MXCSR rounding mode and with
 * FTZ/DAZ (arithmetic, compares, min/max, shuffles, packs, PSADBW, PMADDWD,
 * MOVMSK, conversions, the MXCSR flags they leave), and with -msse3 the
 * SSE3 instructions (HADD/HSUB, ADDSUB, MOVDDUP/MOVSHDUP/MOVSLDUP, LDDQU,
 * FISTTP). It stays clear of RCPPS/RSQRTPS, whose tables differ between
 * vendors. No floating-point printf: the digits would come from libc. */
#include <elf.h>
#include <emmintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE3__
#include <pmmintrin.h>
#endif

#if !defined(__i386__) || !defined(__SSE2__)
#error "sseprog is an i386 SSE2 program: build it with gcc -m32 -msse2 -mfpmath=sse"
#endif

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t d2u(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static double u2d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

static void px(const char *what, __m128i v)
{
    uint32_t d[4];
    memcpy(d, &v, 16);
    printf("%s %08x %08x %08x %08x\n", what, d[3], d[2], d[1], d[0]);
}
static void pps(const char *what, __m128 v) { px(what, _mm_castps_si128(v)); }
static void ppd(const char *what, __m128d v) { px(what, _mm_castpd_si128(v)); }

/* A fixed pseudo-random sequence (xorshift). */
static uint32_t seed = 12345;
static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

/* --- libm --- */

static void libm_section(void)
{
    static const double xs[] = { 0.0, -0.0, 0.5, 1.0, 2.0, 3.14159, 10.0, -7.25, 1e-3, 1e5,
                                 1e-310, 700.0, -700.0, 123456.789 };
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i];
        float f = (float)x;
        printf("libm %016llx: sin %016llx cos %016llx exp %016llx log %016llx sqrt %016llx "
               "atan %016llx pow %016llx\n",
               (unsigned long long)d2u(x), (unsigned long long)d2u(sin(x)),
               (unsigned long long)d2u(cos(x)), (unsigned long long)d2u(exp(x)),
               (unsigned long long)d2u(log(fabs(x))), (unsigned long long)d2u(sqrt(fabs(x))),
               (unsigned long long)d2u(atan(x)), (unsigned long long)d2u(pow(fabs(x), 0.37)));
        printf("libmf %08x: sinf %08x cosf %08x expf %08x logf %08x sqrtf %08x powf %08x\n",
               f2u(f), f2u(sinf(f)), f2u(cosf(f)), f2u(expf(f)), f2u(logf(fabsf(f))),
               f2u(sqrtf(fabsf(f))), f2u(powf(fabsf(f), 1.5f)));
    }
    for (int i = 0; i < 64; i++) {
        double x = u2d(((uint64_t)rnd() << 32 | rnd()) & 0x40FFFFFFFFFFFFFFull);
        printf("libm-r %016llx %016llx %016llx %016llx\n", (unsigned long long)d2u(x),
               (unsigned long long)d2u(exp(-x / 64)), (unsigned long long)d2u(log1p(x)),
               (unsigned long long)d2u(hypot(x, 1.5)));
    }
}

/* --- auto-vectorised loops (-O3) --- */

#define N 1024
static float fa[N], fb[N], fc[N];
static double da[N], db[N];
static int32_t ia[N], ib[N];
static uint8_t ua[N], ub[N];

static void vector_section(void)
{
    for (int i = 0; i < N; i++) {
        fa[i] = (float)(int32_t)rnd() / 65536.0f;
        fb[i] = (float)(rnd() % 1000) / 7.0f;
        da[i] = (double)(int32_t)rnd() / 3.0;
        db[i] = (double)(rnd() % 100000) * 1e-3;
        ia[i] = (int32_t)rnd();
        ib[i] = (int32_t)(rnd() % 4096) - 2048;
        ua[i] = (uint8_t)rnd();
        ub[i] = (uint8_t)rnd();
    }
    for (int i = 0; i < N; i++)
        fc[i] = 2.5f * fa[i] + fb[i];
    float fsum = 0;
    for (int i = 0; i < N; i++)
        fsum += fc[i] * fb[i];
    double dsum = 0;
    for (int i = 0; i < N; i++)
        dsum += da[i] * db[i];
    int64_t isum = 0;
    int32_t imax = INT32_MIN, imin = INT32_MAX;
    for (int i = 0; i < N; i++) {
        isum += ia[i] * ib[i];
        imax = ia[i] > imax ? ia[i] : imax;
        imin = ia[i] < imin ? ia[i] : imin;
    }
    uint32_t sad = 0;
    for (int i = 0; i < N; i++)
        sad += (uint32_t)abs(ua[i] - ub[i]);
    int32_t conv = 0;
    for (int i = 0; i < N; i++)
        conv += (int32_t)fc[i] + (int32_t)da[i] / 1024;
    float fmx = 0;
    for (int i = 0; i < N; i++)
        fmx = fmaxf(fmx, fc[i]);
    printf("vec fsum %08x dsum %016llx isum %016llx max %08x min %08x sad %08x conv %08x fmax %08x\n",
           f2u(fsum), (unsigned long long)d2u(dsum), (unsigned long long)isum, (uint32_t)imax,
           (uint32_t)imin, sad, (uint32_t)conv, f2u(fmx));
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        h = h * 31 + f2u(fc[i]);
    printf("vec hash %08x\n", h);
}

/* --- intrinsics --- */

static const uint32_t fsp[] = {
    0x3F800000, 0xBF800000, 0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00001,
    0x00400000, 0x80000001, 0x00800000, 0x7F7FFFFF, 0x3EAAAAAB, 0x4B7FFFFF, 0xCF000000,
    0x4F000000, 0x3F000001,
};
static const uint64_t dsp[] = {
    0x3FF0000000000000ull, 0xBFF0000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull,
    0x7FF0000000000000ull, 0x0008000000000000ull, 0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull,
    0x3FD5555555555555ull, 0x41DFFFFFFFC00000ull, 0xC1E0000000000000ull, 0x7FF8000000000001ull,
};

static void fp_section(unsigned rc, unsigned mode)
{
    _mm_setcsr(0x1F80 | rc << 13 | mode);
    const unsigned nf = sizeof fsp / sizeof fsp[0], nd = sizeof dsp / sizeof dsp[0];
    for (unsigned i = 0; i < nf; i++) {
        __m128 a = _mm_set_ps(u2f(fsp[i]), u2f(fsp[(i + 3) % nf]), u2f(fsp[(i + 7) % nf]),
                              u2f(fsp[(i + 1) % nf]));
        __m128 b = _mm_set_ps(u2f(fsp[(i + 5) % nf]), u2f(fsp[(i + 11) % nf]),
                              u2f(fsp[(i + 2) % nf]), u2f(fsp[(i + 9) % nf]));
        _mm_setcsr(_mm_getcsr() & ~0x3Fu);
        pps("addps", _mm_add_ps(a, b));
        pps("subps", _mm_sub_ps(a, b));
        pps("mulps", _mm_mul_ps(a, b));
        pps("divps", _mm_div_ps(a, b));
        pps("sqrtps", _mm_sqrt_ps(a));
        pps("minps", _mm_min_ps(a, b));
        pps("maxps", _mm_max_ps(a, b));
        pps("cmpltps", _mm_cmplt_ps(a, b));
        pps("cmpunordps", _mm_cmpunord_ps(a, b));
        px("cvtps2dq", _mm_cvtps_epi32(a));
        px("cvttps2dq", _mm_cvttps_epi32(b));
        ppd("cvtps2pd", _mm_cvtps_pd(a));
        printf("comiss %d %d ucomiss %d movmskps %d csr %08x\n", _mm_comilt_ss(a, b),
               _mm_comieq_ss(a, b), _mm_ucomile_ss(a, b), _mm_movemask_ps(a), _mm_getcsr());
    }
    for (unsigned i = 0; i < nd; i++) {
        __m128d a = _mm_set_pd(u2d(dsp[i]), u2d(dsp[(i + 5) % nd]));
        __m128d b = _mm_set_pd(u2d(dsp[(i + 3) % nd]), u2d(dsp[(i + 7) % nd]));
        _mm_setcsr(_mm_getcsr() & ~0x3Fu);
        ppd("addpd", _mm_add_pd(a, b));
        ppd("mulpd", _mm_mul_pd(a, b));
        ppd("divpd", _mm_div_pd(a, b));
        ppd("sqrtpd", _mm_sqrt_pd(b));
        ppd("minsd", _mm_min_sd(a, b));
        ppd("cmplepd", _mm_cmple_pd(a, b));
        pps("cvtpd2ps", _mm_cvtpd_ps(a));
        px("cvtpd2dq", _mm_cvtpd_epi32(b));
        printf("cvtsd2si %08x cvttsd2si %08x comisd %d csr %08x\n", (uint32_t)_mm_cvtsd_si32(a),
               (uint32_t)_mm_cvttsd_si32(b), _mm_comigt_sd(a, b), _mm_getcsr());
    }
}

static void int_section(void)
{
    for (int i = 0; i < 48; i++) {
        __m128i a = _mm_set_epi32((int)rnd(), (int)rnd(), (int)rnd(), (int)rnd());
        __m128i b = _mm_set_epi32((int)rnd(), (int)rnd(), (int)rnd(), (int)rnd());
        px("paddsw", _mm_adds_epi16(a, b));
        px("psubusb", _mm_subs_epu8(a, b));
        px("pmulhuw", _mm_mulhi_epu16(a, b));
        px("pmuludq", _mm_mul_epu32(a, b));
        px("pmaddwd", _mm_madd_epi16(a, b));
        px("psadbw", _mm_sad_epu8(a, b));
        px("pavgb", _mm_avg_epu8(a, b));
        px("packsswb", _mm_packs_epi16(a, b));
        px("packuswb", _mm_packus_epi16(a, b));
        px("unpckhqdq", _mm_unpackhi_epi64(a, b));
        px("pshufd", _mm_shuffle_epi32(a, 0x1B));
        px("pshufhw", _mm_shufflehi_epi16(b, 0xD2));
        px("psrldq", _mm_srli_si128(a, 5));
        px("psraw", _mm_sra_epi16(a, _mm_cvtsi32_si128(i % 20)));
        px("pcmpgtd", _mm_cmpgt_epi32(a, b));
        px("pminsw", _mm_min_epi16(a, b));
        px("paddq", _mm_add_epi64(a, b));
        printf("pmovmskb %08x pextrw %08x\n", (uint32_t)_mm_movemask_epi8(a),
               (uint32_t)_mm_extract_epi16(b, 5));
    }
}

#ifdef __SSE3__
static void sse3_section(void)
{
    for (unsigned i = 0; i < 12; i++) {
        __m128 a = _mm_set_ps(u2f(fsp[i]), u2f(fsp[i + 1]), u2f(fsp[i + 2]), u2f(fsp[i + 3]));
        __m128d b = _mm_set_pd(u2d(dsp[i % 12]), u2d(dsp[(i + 4) % 12]));
        _mm_setcsr(0x1F80 | (i & 3) << 13);
        pps("haddps", _mm_hadd_ps(a, a));
        pps("hsubps", _mm_hsub_ps(a, _mm_set1_ps(1.5f)));
        pps("addsubps", _mm_addsub_ps(a, _mm_set1_ps(0.25f)));
        ppd("haddpd", _mm_hadd_pd(b, b));
        ppd("addsubpd", _mm_addsub_pd(b, _mm_set1_pd(3.0)));
        pps("movshdup", _mm_movehdup_ps(a));
        pps("movsldup", _mm_moveldup_ps(a));
        ppd("movddup", _mm_loaddup_pd((const double *)&dsp[i]));
        px("lddqu", _mm_lddqu_si128((const __m128i *)((const char *)fsp + i)));
        long double ld = (long double)u2d(dsp[i]) * 1.75L;
        volatile int t = (int)ld;   /* FISTTP with -msse3 */
        printf("fisttp %08x csr %08x\n", (uint32_t)t, _mm_getcsr());
    }
}
#endif

/* --- glibc's dispatch --- */

/* The symbol of this static executable that holds addr. */
static const char *symbol_at(uint32_t addr)
{
    static char name[64];
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        return "?";
    Elf32_Ehdr eh;
    const char *res = "?";
    if (fread(&eh, sizeof eh, 1, f) != 1)
        goto out;
    Elf32_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
    fseek(f, (long)eh.e_shoff, SEEK_SET);
    if (fread(sh, sizeof *sh, eh.e_shnum, f) != eh.e_shnum)
        goto out_sh;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        Elf32_Shdr *strs = &sh[sh[i].sh_link];
        unsigned n = sh[i].sh_size / sizeof(Elf32_Sym);
        for (unsigned k = 0; k < n; k++) {
            Elf32_Sym s;
            fseek(f, (long)(sh[i].sh_offset + k * sizeof s), SEEK_SET);
            if (fread(&s, sizeof s, 1, f) != 1 || ELF32_ST_TYPE(s.st_info) != STT_FUNC)
                continue;
            if (addr < s.st_value || addr >= s.st_value + (s.st_size ? s.st_size : 1))
                continue;
            fseek(f, (long)(strs->sh_offset + s.st_name), SEEK_SET);
            if (!fgets(name, sizeof name, f))
                continue;
            name[strcspn(name, "\n")] = 0;   /* fgets stops at NUL only by size */
            name[strlen(name)] = 0;
            res = name;
            goto out_sh;
        }
    }
out_sh:
    free(sh);
out:
    fclose(f);
    return res;
}

/* An IFUNC's address is its PLT slot: jmp *GOT (FF 25 abs32), whose GOT
 * entry glibc filled with the variant it chose at start-up. */
static uint32_t resolved(void *fn)
{
    const uint8_t *p = fn;
    if (p[0] == 0xFF && p[1] == 0x25) {
        uint32_t slot;
        memcpy(&slot, p + 2, 4);
        return *(const uint32_t *)(uintptr_t)slot;
    }
    return (uint32_t)(uintptr_t)fn;
}

static void dispatch_section(void)
{
    static const struct { const char *name; void *fn; } fns[] = {
        { "memcpy", (void *)memcpy }, { "memset", (void *)memset }, { "strlen", (void *)strlen },
        { "strchr", (void *)strchr }, { "memcmp", (void *)memcmp }, { "strcmp", (void *)strcmp },
        { "strrchr", (void *)strrchr }, { "memchr", (void *)memchr }, { "strcpy", (void *)strcpy },
        { "strncmp", (void *)strncmp }, { "memmove", (void *)memmove }, { "strnlen", (void *)strnlen },
    };
    for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++)
        printf("dispatch %s -> %s\n", fns[i].name, symbol_at(resolved(fns[i].fn)));
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--dispatch")) {
        dispatch_section();
        return 0;
    }
    libm_section();
    vector_section();
    static const unsigned modes[] = { 0, 0x40, 0x8000, 0x8040 };   /* DAZ, FTZ */
    for (unsigned rc = 0; rc < 4; rc++)
        for (unsigned m = 0; m < 4; m++) {
            printf("mode rc %u daz %d ftz %d\n", rc, !!(modes[m] & 0x40), !!(modes[m] & 0x8000));
            fp_section(rc, modes[m]);
        }
    _mm_setcsr(0x1F80);
    int_section();
#ifdef __SSE3__
    sse3_section();
#endif
    printf("end\n");
    return 0;
}
