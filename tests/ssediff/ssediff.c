/* SPDX-License-Identifier: MIT */
/* Differential test of Kairo's SSE, SSE2 and SSE3 against the host CPU.
 *
 *   ssediff [--seed N] [--cases N] [--form SUBSTRING] [-v]
 *
 * Every form of forms.c runs with random and edge operands (zeros,
 * denormals, the smallest and largest normals, infinities, QNaN and SNaN
 * payloads, integers near the conversion limits), random MXCSR (rounding
 * mode, masks, DAZ, FTZ, sticky flags) and, for memory forms, sometimes a
 * misaligned address: once natively (the same bytes in a 64-bit stub on
 * this x86-64 host; SSE encodings without REX mean the same there) and
 * once in Kairo (a 32-bit protected-mode CPU of tests/unit/cpu_harness).
 * Compared: the XMM and MMX registers, ECX/EDX, the memory buffer, MXCSR,
 * the exception (none, #XM = SIGFPE, #GP = SIGSEGV, #UD = SIGILL) and, for
 * COMISS/UCOMISS, EFLAGS. RCPPS/RSQRTPS are approximations whose tables
 * differ between vendors: they are compared within 2^-11 relative.
 * Exits 1 on any mismatch. */
#include <setjmp.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "cpu/cpu_model.h"
#include "cpu/flags.h"
#include "fpu/fpu.h"
#include "memory/phys.h"
#include "tests/ssediff/forms.h"
#include "tests/unit/cpu_harness.h"

#if !defined(__x86_64__)
int main(void)
{
    puts("ssediff: needs an x86-64 host; skipped");
    return 77;
}
#else

/* The state block the native stub loads and stores ([rax + offset]). */
typedef struct __attribute__((aligned(16))) State {
    uint32_t mxcsr_in, mxcsr_out, ecx_in, edx_in;   /* 0 */
    uint8_t x1_in[16], x2_in[16], x1_out[16], x2_out[16];   /* 16 */
    uint8_t pad0[16];
    uint64_t mm1_in, mm2_in, mm1_out, mm2_out;      /* 0x60 */
    uint32_t ecx_out, edx_out, eflags_out, pad;     /* 0x80 */
} State;
_Static_assert(offsetof(State, mm1_in) == 0x60 && offsetof(State, ecx_out) == 0x80, "stub offsets");

#define MEM_SIZE 64
#define MEM_GUEST 0x6000u

typedef struct Outcome {
    uint8_t x1[16], x2[16];
    uint64_t mm1, mm2;
    uint32_t ecx, edx, eflags, mxcsr;
    uint8_t mem[MEM_SIZE];
    int exc;            /* -1 none, else the vector */
} Outcome;

/* --- random data --- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

static uint32_t gen_f32(void)
{
    uint32_t s = (uint32_t)(rnd() & 1) << 31, fr = (uint32_t)rnd() & 0x7FFFFF;
    switch (rndn(14)) {
    case 0: return s;
    case 1: return s | (fr ? fr : 1);                                /* denormal */
    case 2: return s | 0x00800000u | (rndn(4) ? 0 : fr);             /* smallest normals */
    case 3: return s | 0x7F7FFFFFu;
    case 4: return s | 0x7F800000u;
    case 5: return s | 0x7FC00000u | (fr & 0x3FFFFF);                /* QNaN */
    case 6: return s | 0x7F800000u | ((fr & 0x3FFFFF) ? fr & 0x3FFFFF : 1);   /* SNaN */
    case 7: return s | 0x3F800000u | (rndn(2) ? 0 : fr);
    case 8: return s | (uint32_t)(0x4E800000u + rndn(0x1000000));     /* near 2^30..2^32 */
    case 9: return s | (uint32_t)((1 + rndn(24)) << 23) | fr;        /* tiny normals */
    case 10: return s | (uint32_t)((230 + rndn(24)) << 23) | fr;     /* huge */
    case 11: return s | (uint32_t)((120 + rndn(16)) << 23) | fr;     /* around 1 */
    default: return (uint32_t)rnd();
    }
}

static uint64_t gen_f64(void)
{
    uint64_t s = (rnd() & 1) << 63, fr = rnd() & 0xFFFFFFFFFFFFFull;
    switch (rndn(14)) {
    case 0: return s;
    case 1: return s | (fr ? fr : 1);
    case 2: return s | 0x0010000000000000ull | (rndn(4) ? 0 : fr);
    case 3: return s | 0x7FEFFFFFFFFFFFFFull;
    case 4: return s | 0x7FF0000000000000ull;
    case 5: return s | 0x7FF8000000000000ull | (fr & 0x7FFFFFFFFFFFFull);
    case 6: return s | 0x7FF0000000000000ull | ((fr >> 1) ? fr >> 1 : 1);   /* SNaN */
    case 7: return s | 0x3FF0000000000000ull | (rndn(2) ? 0 : fr);
    case 8: return s | (0x41D0000000000000ull + (rnd() & 0x3FFFFFFFFFFFFull));   /* ~2^30-2^32 */
    case 9: return s | ((uint64_t)(1 + rndn(53)) << 52) | fr;
    case 10: return s | ((uint64_t)(2000 + rndn(46)) << 52) | fr;
    case 11: return s | ((uint64_t)(0x380 + rndn(0x100)) << 52) | fr;   /* binary32's range edges */
    default: return rnd();
    }
}

static uint32_t gen_i32(void)
{
    static const uint32_t edge[] = { 0, 1, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x00FFFFFFu,
                                     0x01000001u, 0xFF000001u, 0x8000u, 0x7FFFu, 0x80u, 0x7Fu };
    switch (rndn(4)) {
    case 0: return edge[rndn(sizeof edge / sizeof edge[0])];
    case 1: return (uint32_t)rnd() >> rndn(32);
    default: return (uint32_t)rnd();
    }
}

static void gen_lanes(uint8_t *p, unsigned bytes, unsigned data)
{
    for (unsigned i = 0; i < bytes; i += data == D_D ? 8 : 4) {
        if (data == D_S) {
            uint32_t v = gen_f32();
            memcpy(p + i, &v, 4);
        } else if (data == D_D) {
            uint64_t v = gen_f64();
            memcpy(p + i, &v, 8);
        } else {
            uint32_t v = gen_i32();
            memcpy(p + i, &v, 4);
        }
    }
    if (data == D_CNT && rndn(4)) {   /* a shift count that means something */
        uint64_t c = rndn(70);
        memcpy(p, &c, 8);
    }
}

static uint32_t gen_mxcsr(void)
{
    uint32_t m = (uint32_t)rndn(4) << 13;
    m |= rndn(10) < 7 ? 0x1F80u : ((uint32_t)rnd() & 0x1F80u);
    if (rndn(4) == 0)
        m |= 0x40;      /* DAZ */
    if (rndn(4) == 0)
        m |= 0x8000;    /* FTZ */
    if (rndn(8) == 0)
        m |= (uint32_t)rnd() & 0x3F;
    return m;
}

/* --- the instruction bytes --- */

static unsigned encode(const SForm *f, bool mem, uint8_t imm, uint8_t *p)
{
    unsigned n = 0;
    if (f->pfx)
        p[n++] = f->pfx;
    p[n++] = 0x0F;
    p[n++] = f->op;
    unsigned reg = f->digit >= 0 ? (unsigned)f->digit : 1;
    p[n++] = (uint8_t)(mem ? (reg << 3 | 6) : (0xC0 | reg << 3 | 2));
    if (f->flags & (F_IMM | F_IMM8))
        p[n++] = imm;
    return n;
}

/* --- native --- */

static uint8_t *native_code;
static sigjmp_buf native_recover;
static volatile int native_sig;
static Outcome *native_fault_out;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    native_sig = sig;
    if (native_fault_out && uc->uc_mcontext.fpregs) {
        native_fault_out->mxcsr = uc->uc_mcontext.fpregs->mxcsr;
        memcpy(native_fault_out->x1, &uc->uc_mcontext.fpregs->_xmm[1], 16);
        memcpy(native_fault_out->x2, &uc->uc_mcontext.fpregs->_xmm[2], 16);
    }
    siglongjmp(native_recover, 1);
}

static const uint8_t stub_head[] = {
    0x48, 0x89, 0xF8,                   /* mov rax, rdi */
    0x48, 0x89, 0xF7,                   /* mov rdi, rsi */
    0x0F, 0xAE, 0x10,                   /* ldmxcsr [rax] */
    0xF3, 0x0F, 0x6F, 0x48, 0x10,       /* movdqu xmm1, [rax+16] */
    0xF3, 0x0F, 0x6F, 0x50, 0x20,       /* movdqu xmm2, [rax+32] */
    0x0F, 0x6F, 0x48, 0x60,             /* movq mm1, [rax+0x60] */
    0x0F, 0x6F, 0x50, 0x68,             /* movq mm2, [rax+0x68] */
    0x8B, 0x48, 0x08,                   /* mov ecx, [rax+8] */
    0x8B, 0x50, 0x0C,                   /* mov edx, [rax+12] */
};
static const uint8_t stub_tail[] = {
    0x0F, 0xAE, 0x58, 0x04,             /* stmxcsr [rax+4] */
    0xF3, 0x0F, 0x7F, 0x48, 0x30,       /* movdqu [rax+48], xmm1 */
    0xF3, 0x0F, 0x7F, 0x50, 0x40,       /* movdqu [rax+64], xmm2 */
    0x0F, 0x7F, 0x48, 0x70,             /* movq [rax+0x70], mm1 */
    0x0F, 0x7F, 0x50, 0x78,             /* movq [rax+0x78], mm2 */
    0x89, 0x88, 0x80, 0, 0, 0,          /* mov [rax+0x80], ecx */
    0x89, 0x90, 0x84, 0, 0, 0,          /* mov [rax+0x84], edx */
    0x9C, 0x5A,                         /* pushfq; pop rdx */
    0x89, 0x90, 0x88, 0, 0, 0,          /* mov [rax+0x88], edx */
    0x0F, 0x77,                         /* emms */
    0xC3,
};

static void run_native(const uint8_t *insn, unsigned len, const State *in, const uint8_t *mem,
                       unsigned misalign, Outcome *o)
{
    static State st;
    static uint8_t buf[MEM_SIZE + 16] __attribute__((aligned(64)));
    st = *in;
    memcpy(buf, mem, MEM_SIZE);
    unsigned n = 0;
    memcpy(native_code, stub_head, sizeof stub_head);
    n += sizeof stub_head;
    memcpy(native_code + n, insn, len);
    n += len;
    memcpy(native_code + n, stub_tail, sizeof stub_tail);
    memset(o, 0, sizeof *o);
    o->exc = -1;
    native_sig = 0;
    native_fault_out = o;
    if (sigsetjmp(native_recover, 1) == 0) {
        ((void (*)(State *, uint8_t *))(void *)native_code)(&st, buf + misalign);
        memcpy(o->x1, st.x1_out, 16);
        memcpy(o->x2, st.x2_out, 16);
        o->mm1 = st.mm1_out;
        o->mm2 = st.mm2_out;
        o->ecx = st.ecx_out;
        o->edx = st.edx_out;
        o->eflags = st.eflags_out;
        o->mxcsr = st.mxcsr_out;
    } else {
        __asm__ volatile("emms");
        o->exc = native_sig == SIGFPE ? EXC_XM : native_sig == SIGILL ? EXC_UD : EXC_GP;
    }
    native_fault_out = NULL;
    memcpy(o->mem, buf, MEM_SIZE);
}

/* --- Kairo --- */

static Cpu *cpu;

static void kairo_init(void)
{
    cpu = h_cpu_new(4, true);
    cpu->model = cpu_model_find("max");
    cpu->isa = cpu->model->isa;
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->cr0 = (cpu->cr0 & ~(CR0_EM | CR0_TS)) | CR0_NE | CR0_MP;
}

static void run_kairo(const uint8_t *insn, unsigned len, const State *in, const uint8_t *mem,
                      unsigned misalign, Outcome *o)
{
    uint8_t code[24];
    memcpy(code, insn, len);
    code[len] = 0xF4;
    h_load(cpu, H_CODE, code, len + 1);
    phys_write_block(cpu->mem, MEM_GUEST, mem, MEM_SIZE);
    FpuState *f = cpu->fpu;
    f->mxcsr = in->mxcsr_in;
    memcpy(&f->xmm[1], in->x1_in, 16);
    memcpy(&f->xmm[2], in->x2_in, 16);
    f->regs[1].mant = in->mm1_in;
    f->regs[2].mant = in->mm2_in;
    f->sw = 0;
    f->tw = 0;
    cpu->gpr[R_ECX] = in->ecx_in;
    cpu->gpr[R_EDX] = in->edx_in;
    cpu->gpr[R_ESI] = cpu->gpr[R_EDI] = MEM_GUEST + misalign;
    cpu->gpr[R_ESP] = 0x90000;
    h_run(cpu, H_CODE, 4);
    memset(o, 0, sizeof *o);
    o->exc = h_last_exception(cpu);
    bool done = cpu->halted && o->exc < 0;
    if (!done && o->exc < 0)
        o->exc = 99;    /* did not reach the HLT */
    memcpy(o->x1, &f->xmm[1], 16);
    memcpy(o->x2, &f->xmm[2], 16);
    o->mm1 = f->regs[1].mant;
    o->mm2 = f->regs[2].mant;
    o->ecx = cpu->gpr[R_ECX];
    o->edx = cpu->gpr[R_EDX];
    o->eflags = h_eflags(cpu);
    o->mxcsr = f->mxcsr;
    for (unsigned i = 0; i < MEM_SIZE; i++)
        o->mem[i] = h_read8(cpu, MEM_GUEST + i);
}

/* --- comparing --- */

static bool approx_equal32(uint32_t a, uint32_t b)
{
    if (a == b)
        return true;
    bool tiny_a = (a & 0x7F800000u) == 0, tiny_b = (b & 0x7F800000u) == 0;
    if (tiny_a && tiny_b && (a >> 31) == (b >> 31))
        return true;   /* both flushed or denormal: vendors differ */
    bool special = (a & 0x7F800000u) == 0x7F800000u || (b & 0x7F800000u) == 0x7F800000u;
    if ((a >> 31) != (b >> 31) || special)
        return false;
    int64_t d = (int64_t)(a & 0x7FFFFFFF) - (int64_t)(b & 0x7FFFFFFF);
    return d <= 0x1800 && d >= -0x1800;   /* 3 * 2^-12 relative: both within 1.5 * 2^-12 */
}

static bool outcomes_equal(const SForm *f, bool mem_form, const Outcome *a, const Outcome *b)
{
    if (a->exc != b->exc || a->mxcsr != b->mxcsr)
        return false;
    if (f->flags & F_APPROX) {
        for (unsigned i = 0; i < 4; i++) {
            uint32_t x, y;
            memcpy(&x, a->x1 + 4 * i, 4);
            memcpy(&y, b->x1 + 4 * i, 4);
            if (!approx_equal32(x, y))
                return false;
        }
        return true;
    }
    if (memcmp(a->x1, b->x1, 16) || memcmp(a->x2, b->x2, 16))
        return false;
    if (a->exc >= 0)
        return true;    /* registers as the fault left them; memory untouched checked below */
    if (a->mm1 != b->mm1 || a->mm2 != b->mm2 || a->ecx != b->ecx || a->edx != b->edx)
        return false;
    if ((f->flags & F_FLAGS) && ((a->eflags ^ b->eflags) & FLAGS_ARITH))
        return false;
    (void)mem_form;
    return memcmp(a->mem, b->mem, MEM_SIZE) == 0;
}

static void hex(const char *label, const uint8_t *p, unsigned n)
{
    printf("  %-8s", label);
    for (unsigned i = n; i-- > 0;)
        printf("%02x%s", p[i], i % 4 == 0 && i ? "_" : "");
    printf("\n");
}

static void report(const SForm *f, const uint8_t *insn, unsigned len, const State *in,
                   const uint8_t *mem, unsigned misalign, const Outcome *nat, const Outcome *kai)
{
    printf("MISMATCH %s:", f->name);
    for (unsigned i = 0; i < len; i++)
        printf(" %02x", insn[i]);
    printf("  mxcsr_in %04x misalign %u\n", in->mxcsr_in, misalign);
    hex("x1 in", in->x1_in, 16);
    hex("x2 in", in->x2_in, 16);
    hex("mem in", mem + misalign, 16);
    printf("  ecx/edx in %08x %08x mm1/mm2 in %016llx %016llx\n", in->ecx_in, in->edx_in,
           (unsigned long long)in->mm1_in, (unsigned long long)in->mm2_in);
    const Outcome *o[2] = { nat, kai };
    for (int k = 0; k < 2; k++) {
        printf(" %s: exc %d mxcsr %04x ecx %08x edx %08x fl %03x mm1 %016llx mm2 %016llx\n",
               k ? "kairo " : "native", o[k]->exc, o[k]->mxcsr, o[k]->ecx, o[k]->edx,
               o[k]->eflags & 0xFFF, (unsigned long long)o[k]->mm1, (unsigned long long)o[k]->mm2);
        hex("x1", o[k]->x1, 16);
        hex("x2", o[k]->x2, 16);
        hex("mem", o[k]->mem + misalign, 16);
    }
}

int main(int argc, char **argv)
{
    unsigned long long cases = 100000;
    const char *only = NULL;
    bool verbose = false;
    rng_state = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state = strtoull(argv[++i], NULL, 0) * 0x9E3779B97F4A7C15ull | 1;
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--form") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else {
            fprintf(stderr, "ssediff: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    native_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (native_code == MAP_FAILED) {
        perror("ssediff: mmap");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    kairo_init();

    static SForm forms[400];
    unsigned nf = ssediff_forms(forms, 400), active[400], na = 0;
    for (unsigned i = 0; i < nf; i++)
        if (!only || strstr(forms[i].name, only))
            active[na++] = i;
    if (!na) {
        fprintf(stderr, "ssediff: no form matches '%s'\n", only);
        return 2;
    }
    unsigned long long mismatches = 0, faults = 0;
    static unsigned long long per_form_bad[400];
    for (unsigned long long c = 0; c < cases; c++) {
        const SForm *f = &forms[active[c % na]];
        bool mem_form = f->memsz && (!f->reg_ok || rndn(2));
        uint8_t imm = (uint8_t)((f->flags & F_IMM) ? rndn(8) : rnd());
        uint8_t insn[16];
        unsigned len = encode(f, mem_form, imm, insn);
        State st;
        memset(&st, 0, sizeof st);
        st.mxcsr_in = gen_mxcsr();
        unsigned d = f->data == D_CNT ? D_I : f->data;
        gen_lanes(st.x1_in, 16, d);
        gen_lanes(st.x2_in, 16, f->data);
        gen_lanes((uint8_t *)&st.mm1_in, 8, d);
        gen_lanes((uint8_t *)&st.mm2_in, 8, f->data);
        st.ecx_in = gen_i32();
        st.edx_in = gen_i32();
        uint8_t mem[MEM_SIZE];
        gen_lanes(mem, MEM_SIZE, f->data);
        unsigned misalign = 0;
        if (mem_form && rndn(16) == 0)
            misalign = 4 * (1 + rndn(3));
        if (f->data == D_CNT && mem_form && rndn(2)) {
            uint64_t cnt = rndn(70);
            memcpy(mem + misalign, &cnt, 8);
        }
        Outcome nat, kai;
        run_native(insn, len, &st, mem, misalign, &nat);
        run_kairo(insn, len, &st, mem, misalign, &kai);
        if (nat.exc >= 0)
            faults++;
        if (!outcomes_equal(f, mem_form, &nat, &kai)) {
            if (per_form_bad[active[c % na]]++ < 3 || verbose)
                report(f, insn, len, &st, mem, misalign, &nat, &kai);
            mismatches++;
        }
    }
    for (unsigned i = 0; i < nf; i++)
        if (per_form_bad[i])
            printf("form %-20s %llu mismatches\n", forms[i].name, per_form_bad[i]);
    printf("ssediff: %llu cases over %u forms (%llu faulted natively), %llu mismatches\n", cases,
           na, faults, mismatches);
    h_cpu_free(cpu);
    return mismatches ? 1 : 0;
}
#endif
