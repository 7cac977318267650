/* SPDX-License-Identifier: MIT */
/* The x87 instruction layer (fpu/fpu.c) run through the CPU: the
 * transcendental instructions' stack, C1/C2 and range rules, loads and
 * memory-operand arithmetic with an unmasked denormal, #MF and FERR#/IRQ 13
 * error reporting, #NM under CR0.EM/TS/MP, and the FSAVE/FRSTOR/FSTENV/
 * FLDENV images in their four layouts (16/32-bit, real/protected).
 * The arithmetic itself is the sf80 core's (test_softfloat.c, fpu_diff). */
#include <criterion/criterion.h>
#include <string.h>

#include "fpu/fpu.h"
#include "fpu/sf80_trans.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;
static unsigned next_slot;

#define HLT 0xF4
#define D32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)
#define D16(x) (uint8_t)(x), (uint8_t)((x) >> 8)
#define DATA 0x20000u    /* protected-mode data (flat) */
#define RDATA 0x7000u    /* real-mode data (DS = 0) */
#define INT_BIT 0x8000000000000000ull

/* Encodings used below (32-bit addressing, [disp32]). */
#define FLD1 0xD9, 0xE8
#define FLDZ 0xD9, 0xEE
#define FNSTSW_AX 0xDF, 0xE0
#define FLD_M80(a) 0xDB, 0x2D, D32(a)
#define FSTP_M80(a) 0xDB, 0x3D, D32(a)
#define FLDCW(a) 0xD9, 0x2D, D32(a)

static void setup_pm(void)
{
    cpu = h_cpu_new(4, true);
    next_slot = 0;
    fpu_init(cpu->fpu);
}

static void setup_rm(void)
{
    cpu = h_cpu_new(4, false);
    next_slot = 0;
    fpu_init(cpu->fpu);
}

static void teardown(void) { h_cpu_free(cpu); }

/* Run a snippet ending in HLT: -1 when it reached that HLT, else the
 * vector that stopped it. */
static int run(const uint8_t *code, size_t len)
{
    uint32_t addr = cpu_pe(cpu) ? H_CODE + next_slot * 0x100 : 0x5000 + next_slot * 0x40;
    next_slot++;
    h_load(cpu, addr, code, len);
    h_run(cpu, addr - cpu->seg[SEG_CS].base, 1000);
    cr_assert(cpu->halted, "code did not halt");
    return h_last_exception(cpu);
}
#define RUN(...) ({ static const uint8_t c_[] = { __VA_ARGS__ }; run(c_, sizeof c_); })

static void put_f80(uint32_t a, F80 v)
{
    h_write32(cpu, a, (uint32_t)v.mant);
    h_write32(cpu, a + 4, (uint32_t)(v.mant >> 32));
    h_load(cpu, a + 8, &v.se, 2);
}

static void put16(uint32_t a, uint16_t v) { h_load(cpu, a, &v, 2); }
static uint16_t get16(uint32_t a) { return (uint16_t)(h_read8(cpu, a) | h_read8(cpu, a + 1) << 8); }

static unsigned fpu_top(void) { return (cpu->fpu->sw >> FSW_TOP_SHIFT) & 7; }
static F80 fst(unsigned i) { return cpu->fpu->regs[(fpu_top() + i) & 7]; }
static unsigned ftag(unsigned i) { return (cpu->fpu->tw >> (2 * ((fpu_top() + i) & 7))) & 3; }

#define assert_f80(got, se_, mant_)                                                         \
    cr_assert((got).se == (se_) && (got).mant == (mant_), "got %04X:%016llX, want %04X:%016llX", \
              (got).se, (unsigned long long)(got).mant, (unsigned)(se_), (unsigned long long)(mant_))

static Sf80Ctx nearest(void) { return (Sf80Ctx){ .rc = SF_RC_NEAREST, .pc = SF_PC_64, .masks = 0x3F }; }

/* --- transcendentals --- */

TestSuite(fpu_trans, .init = setup_pm, .fini = teardown);

Test(fpu_trans, fsin_fcos_match_the_core_and_clear_c2)
{
    const F80 x = { 0xC90FDAA22168C235ull, 0x4000 };   /* pi */
    put_f80(DATA, x);
    cpu->fpu->sw |= FSW_C2;
    cr_assert_eq(RUN(FLD_M80(DATA), 0xD9, 0xFE, FLD_M80(DATA), 0xD9, 0xFF, HLT), -1);
    Sf80Ctx c = nearest();
    F80 s, co;
    cr_assert(sf80_sin(&c, x, &s));
    cr_assert(sf80_cos(&c, x, &co));
    assert_f80(fst(1), s.se, s.mant);
    assert_f80(fst(0), co.se, co.mant);
    cr_assert_eq(cpu->fpu->sw & FSW_C2, 0);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_PE);
}

Test(fpu_trans, out_of_range_sets_c2_and_leaves_the_stack)
{
    put_f80(DATA, (F80){ INT_BIT, 0x403E });   /* 2^63 */
    static const uint8_t ops[][2] = { { 0xD9, 0xFE }, { 0xD9, 0xFF }, { 0xD9, 0xFB }, { 0xD9, 0xF2 } };
    for (unsigned i = 0; i < 4; i++) {
        fpu_init(cpu->fpu);
        uint8_t code[] = { FLD_M80(DATA), ops[i][0], ops[i][1], HLT };
        cr_assert_eq(run(code, sizeof code), -1);
        cr_assert_eq(fpu_top(), 7, "op %u", i);
        assert_f80(fst(0), 0x403E, INT_BIT);
        cr_assert_eq(cpu->fpu->sw & (FSW_C2 | FSW_C1 | 0x3F), FSW_C2, "op %u sw %04X", i, cpu->fpu->sw);
    }
}

Test(fpu_trans, fptan_pushes_one_and_fsincos_pushes_the_cosine)
{
    cr_assert_eq(RUN(FLDZ, 0xD9, 0xF2, HLT), -1);   /* FPTAN 0 */
    cr_assert_eq(fpu_top(), 6);
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    assert_f80(fst(1), 0x0000, 0);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLDZ, 0xD9, 0xFB, HLT), -1);   /* FSINCOS 0 */
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    assert_f80(fst(1), 0x0000, 0);
}

Test(fpu_trans, fptan_of_a_nan_pushes_the_nan_again)
{
    put_f80(DATA, (F80){ 0xC000000000000001ull, 0x7FFF });
    cr_assert_eq(RUN(FLD_M80(DATA), 0xD9, 0xF2, HLT), -1);
    cr_assert_eq(fpu_top(), 6);
    assert_f80(fst(0), 0x7FFF, 0xC000000000000001ull);
    assert_f80(fst(1), 0x7FFF, 0xC000000000000001ull);
}

Test(fpu_trans, fptan_stack_faults_leave_two_indefinites)
{
    /* Underflow (empty ST(0)): C1 = 0; overflow (ST(7) in use): C1 = 1. */
    cr_assert_eq(RUN(0xD9, 0xF2, HLT), -1);
    cr_assert_eq(fpu_top(), 7);
    assert_f80(fst(0), 0xFFFF, 0xC000000000000000ull);
    assert_f80(fst(1), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(cpu->fpu->sw & (FSW_SF | FSW_C1 | FSW_IE), FSW_SF | FSW_IE);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLD1, FLD1, FLD1, FLD1, FLD1, FLD1, FLD1, FLDZ, 0xD9, 0xFB, HLT), -1);
    cr_assert_eq(fpu_top(), 7);
    assert_f80(fst(0), 0xFFFF, 0xC000000000000000ull);
    assert_f80(fst(1), 0xFFFF, 0xC000000000000000ull);
    assert_f80(fst(2), 0x3FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & (FSW_SF | FSW_C1 | FSW_IE), FSW_SF | FSW_C1 | FSW_IE);
}

Test(fpu_trans, unmasked_stack_overflow_keeps_everything)
{
    put16(DATA, 0x037E);   /* IE unmasked */
    cr_assert_eq(RUN(FLDCW(DATA), FLD1, FLD1, FLD1, FLD1, FLD1, FLD1, FLD1, FLDZ, 0xD9, 0xF2, HLT), -1);
    cr_assert_eq(fpu_top(), 0);
    assert_f80(fst(0), 0, 0);
    cr_assert(cpu->fpu->sw & FSW_ES);
}

Test(fpu_trans, fyl2x_fpatan_f2xm1_fyl2xp1)
{
    put_f80(DATA, (F80){ INT_BIT, 0x4002 });        /* 8 */
    cr_assert_eq(RUN(FLD1, FLD_M80(DATA), 0xD9, 0xF1, HLT), -1);   /* 1 * log2(8) */
    cr_assert_eq(fpu_top(), 7);
    assert_f80(fst(0), 0x4000, 0xC000000000000000ull);             /* 3 */
    cr_assert_eq(ftag(1), TAG_EMPTY);
    fpu_init(cpu->fpu);
    /* FPATAN: y = ST(1) = 1, x = ST(0) = 1: pi/4 as the core gives it */
    cr_assert_eq(RUN(FLD1, FLD1, 0xD9, 0xF3, HLT), -1);
    Sf80Ctx c = nearest();
    F80 want = sf80_atan2(&c, (F80){ INT_BIT, 0x3FFF }, (F80){ INT_BIT, 0x3FFF });
    assert_f80(fst(0), want.se, want.mant);
    cr_assert_eq(fpu_top(), 7);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLD1, 0xD9, 0xF0, HLT), -1);                  /* 2^1 - 1 */
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLD1, FLDZ, 0xD9, 0xF9, HLT), -1);            /* 1 * log2(0 + 1) */
    assert_f80(fst(0), 0x0000, 0);
    cr_assert_eq(fpu_top(), 7);
}

Test(fpu_trans, binary_underflow_writes_the_indefinite_and_pops)
{
    cr_assert_eq(RUN(FLD1, 0xD9, 0xF1, HLT), -1);   /* FYL2X with ST(1) empty */
    cr_assert_eq(fpu_top(), 0);
    cr_assert_eq(ftag(0), TAG_SPECIAL);
    cr_assert_eq(ftag(7), TAG_EMPTY);
    assert_f80(fst(0), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(cpu->fpu->sw & (FSW_SF | FSW_IE), FSW_SF | FSW_IE);
}

Test(fpu_trans, c1_reports_rounding_up)
{
    /* F2XM1 of 0.5 reports the core's rounding direction in C1. */
    Sf80Ctx c = nearest();
    F80 r = sf80_2xm1(&c, (F80){ INT_BIT, 0x3FFE });
    put_f80(DATA, (F80){ INT_BIT, 0x3FFE });
    cr_assert_eq(RUN(FLD_M80(DATA), 0xD9, 0xF0, HLT), -1);
    assert_f80(fst(0), r.se, r.mant);
    cr_assert_eq(!!(cpu->fpu->sw & FSW_C1), !!(c.flags & SF_C1));
}

/* --- loads and arithmetic with a denormal memory operand --- */

TestSuite(fpu_denormal, .init = setup_pm, .fini = teardown);

Test(fpu_denormal, fld_loads_a_denormal_even_with_de_unmasked)
{
    put16(DATA, 0x037D);
    h_write32(cpu, DATA + 16, 1);          /* float32 denormal */
    h_write32(cpu, DATA + 32, 1);          /* float64 denormal */
    h_write32(cpu, DATA + 36, 0);
    cr_assert_eq(RUN(FLDCW(DATA), 0xD9, 0x05, D32(DATA + 16), HLT), -1);
    cr_assert_eq(fpu_top(), 7);
    assert_f80(fst(0), 0x3F6A, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & (0x3F | FSW_ES), SF_DE | FSW_ES);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLDCW(DATA), 0xDD, 0x05, D32(DATA + 32), HLT), -1);
    assert_f80(fst(0), 0x3BCD, INT_BIT);
}

Test(fpu_denormal, fld_of_an_snan_with_ie_unmasked_pushes_nothing)
{
    put16(DATA, 0x037E);
    h_write32(cpu, DATA + 16, 0x7F800001u);
    cr_assert_eq(RUN(FLDCW(DATA), 0xD9, 0x05, D32(DATA + 16), HLT), -1);
    cr_assert_eq(fpu_top(), 0);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_IE);
}

Test(fpu_denormal, arithmetic_stops_after_the_conversion)
{
    /* 1 + denormal would also be inexact: only DE is reported, ST(0) kept. */
    put16(DATA, 0x037D);
    h_write32(cpu, DATA + 16, 1);
    h_write32(cpu, DATA + 32, 1);
    h_write32(cpu, DATA + 36, 0);
    cr_assert_eq(RUN(FLDCW(DATA), FLD1, 0xD8, 0x05, D32(DATA + 16), HLT), -1);   /* FADD m32 */
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_DE);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLDCW(DATA), FLD1, 0xDC, 0x0D, D32(DATA + 32), HLT), -1);   /* FMUL m64 */
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_DE);
    /* Masked: the operation goes on and reports both. */
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(FLD1, 0xD8, 0x05, D32(DATA + 16), HLT), -1);
    assert_f80(fst(0), 0x3FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_DE | SF_PE);
}

/* --- error reporting: #MF, FERR#, #NM --- */

TestSuite(fpu_errors, .init = setup_pm, .fini = teardown);

#define FDIV_ST0_ST1 0xD8, 0xF1
#define FWAIT 0x9B
#define FNCLEX 0xDB, 0xE2

static int ferr_level = -1, ferr_edges;
static void record_ferr(void *opaque, bool level)
{
    (void)opaque;
    ferr_level = level;
    ferr_edges++;
}

Test(fpu_errors, unmasked_exception_is_reported_by_the_next_waiting_instruction)
{
    cpu->cr0 |= CR0_NE;
    put16(DATA, 0x037B);   /* ZE unmasked */
    cr_assert_eq(RUN(FLDCW(DATA), FLDZ, FLD1, FDIV_ST0_ST1, HLT), -1);
    cr_assert_eq(cpu->fpu->sw & (FSW_ES | FSW_B | SF_ZE), FSW_ES | FSW_B | SF_ZE);
    assert_f80(fst(0), 0x3FFF, INT_BIT);   /* destination kept */
    cr_assert_eq(RUN(FWAIT, HLT), EXC_MF);
    cr_assert_eq(RUN(FLD1, HLT), EXC_MF);
    cr_assert_eq(fpu_top(), 6);            /* the faulting FLD did nothing */
    /* Non-waiting control instructions go on; FNCLEX clears it. */
    cr_assert_eq(RUN(FNSTSW_AX, FNCLEX, FWAIT, FLD1, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF & (FSW_ES | SF_ZE), FSW_ES | SF_ZE);
    cr_assert_eq(cpu->fpu->sw & (FSW_ES | FSW_B | 0x3F), 0);
}

Test(fpu_errors, ferr_drives_irq13_when_ne_is_clear)
{
    cpu->ferr = record_ferr;
    ferr_level = -1;
    ferr_edges = 0;
    put16(DATA, 0x037B);
    cr_assert_eq(RUN(FLDCW(DATA), FLDZ, FLD1, FDIV_ST0_ST1, HLT), -1);
    cr_assert_eq(ferr_level, 1);
    cr_assert(cpu->fpu->ferr);
    /* IGNNE#: waiting instructions run on, FERR# raised only once. */
    cr_assert_eq(RUN(FWAIT, FLD1, FDIV_ST0_ST1, HLT), -1);
    cr_assert_eq(ferr_edges, 1);
    cr_assert_eq(fpu_top(), 5);
    cr_assert_eq(RUN(FNCLEX, HLT), -1);
    cr_assert_eq(ferr_level, 0);
    cr_assert(!cpu->fpu->ferr);
    /* Unmasking a pending masked exception with FLDCW raises it. */
    put16(DATA + 2, 0x037F);
    put16(DATA + 4, 0x0370);
    cr_assert_eq(RUN(FLDCW(DATA + 2), FLDZ, FLD1, FDIV_ST0_ST1, FLDCW(DATA + 4), HLT), -1);
    cr_assert_eq(ferr_level, 1);
    cr_assert(cpu->fpu->sw & FSW_ES);
}

Test(fpu_errors, masked_exceptions_deliver_defaults_without_es)
{
    cpu->cr0 |= CR0_NE;
    cr_assert_eq(RUN(FLDZ, FLD1, FDIV_ST0_ST1, FWAIT, HLT), -1);
    assert_f80(fst(0), 0x7FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & (FSW_ES | 0x3F), SF_ZE);
}

Test(fpu_errors, em_ts_mp_give_nm)
{
    cpu->cr0 |= CR0_TS;
    cr_assert_eq(RUN(FLD1, HLT), EXC_NM);
    cr_assert_eq(RUN(FWAIT, HLT), -1);              /* TS without MP: WAIT runs */
    cpu->cr0 |= CR0_MP;
    cr_assert_eq(RUN(FWAIT, HLT), EXC_NM);
    cpu->cr0 &= ~(CR0_TS | CR0_MP);
    cpu->cr0 |= CR0_EM;
    cr_assert_eq(RUN(FNSTSW_AX, HLT), EXC_NM);
    cr_assert_eq(RUN(FWAIT, HLT), -1);              /* EM alone does not stop WAIT */
}

/* --- FSAVE/FRSTOR and FSTENV/FLDENV images --- */

/* Fill the x87 with a recognisable state: three values, CW 0x0A7F
 * (round up, 53 bits), a pending masked PE, one register freed. */
static void make_state(void)
{
    FpuState *f = cpu->fpu;
    fpu_init(f);
    f->cw = 0x0A7F;
    f->regs[5] = (F80){ 0xC000000000000000ull, 0x4000 };   /* 3 */
    f->regs[6] = (F80){ 0, 0 };
    f->regs[7] = (F80){ 0xC000000000000000ull, 0xFFFF };   /* indefinite */
    f->regs[4] = (F80){ 0x1234, 0x1111 };                   /* freed: tag empty */
    f->sw = (uint16_t)(5 << FSW_TOP_SHIFT | SF_PE | FSW_C3);
    f->tw = 0xFFFF & ~(3u << 10) & ~(3u << 12) & ~(3u << 14);
    f->tw |= (uint16_t)(TAG_ZERO << 12 | TAG_SPECIAL << 14);
    f->fip = 0x5010;
    f->fcs = 0;
    f->fop = 0x1E8;
    f->fdp = 0x7123;
    f->fds = 0;
}

static FpuState saved;
static bool image_has_fop = true;   /* the 16-bit protected-mode image has none */

static void assert_same_state(bool selectors)
{
    const FpuState *f = cpu->fpu;
    cr_assert_eq(f->cw, saved.cw, "cw %04X", f->cw);
    cr_assert_eq(f->sw, saved.sw, "sw %04X", f->sw);
    cr_assert_eq(f->tw, saved.tw, "tw %04X", f->tw);
    cr_assert_eq(f->fip, saved.fip, "fip %08X", f->fip);
    cr_assert_eq(f->fdp, saved.fdp, "fdp %08X", f->fdp);
    cr_assert_eq(f->fop, image_has_fop ? saved.fop : 0, "fop %03X", f->fop);
    if (selectors) {
        cr_assert_eq(f->fcs, saved.fcs);
        cr_assert_eq(f->fds, saved.fds);
    }
    for (unsigned p = 0; p < 8; p++)
        if (((f->tw >> (2 * p)) & 3) != TAG_EMPTY)
            cr_assert(f->regs[p].se == saved.regs[p].se && f->regs[p].mant == saved.regs[p].mant,
                      "R%u", p);
}

/* FNSAVE then FRSTOR at the data address; checks the image's fixed fields. */
static void save_restore(uint32_t at, unsigned env, unsigned word, const uint8_t *save,
                         size_t save_len, const uint8_t *restore, size_t restore_len)
{
    make_state();
    saved = *cpu->fpu;
    cr_assert_eq(run(save, save_len), -1);
    cr_assert_eq(cpu->fpu->tw, 0xFFFF);                         /* FNSAVE re-initialises */
    cr_assert_eq(cpu->fpu->cw, 0x037F);
    cr_assert_eq(get16(at), 0x0A7F);
    cr_assert_eq(get16(at + word), saved.sw);
    cr_assert_eq(get16(at + 2 * word), saved.tw);
    /* ST(0) = R5 first */
    cr_assert_eq(get16(at + env + 8), 0x4000);
    cr_assert_eq(h_read32(cpu, at + env + 4), 0xC0000000u);
    cr_assert_eq(get16(at + env + 10 + 8), 0);                  /* ST(1) = R6 */
    cr_assert_eq(get16(at + env + 20 + 8), 0xFFFF);             /* ST(2) = R7 */
    memset(cpu->fpu->regs, 0x55, sizeof cpu->fpu->regs);
    cr_assert_eq(run(restore, restore_len), -1);
    assert_same_state(false);
}

Test(fpu_errors, fsave_frstor_32bit_protected)
{
    static const uint8_t s[] = { 0xDD, 0x35, D32(DATA), HLT }, r[] = { 0xDD, 0x25, D32(DATA), HLT };
    save_restore(DATA, 28, 4, s, sizeof s, r, sizeof r);
    cr_assert_eq(h_read32(cpu, DATA + 12), 0x5010);               /* FIP */
    cr_assert_eq(h_read32(cpu, DATA + 16), 0x1E8u << 16);         /* FOP:FCS */
    cr_assert_eq(h_read32(cpu, DATA + 20), 0x7123);               /* FDP */
    cr_assert_eq(h_read32(cpu, DATA), 0xFFFF0A7Fu);               /* reserved bits set */
}

Test(fpu_errors, fsave_frstor_16bit_protected)
{
    static const uint8_t s[] = { 0x66, 0xDD, 0x35, D32(DATA), HLT },
                         r[] = { 0x66, 0xDD, 0x25, D32(DATA), HLT };
    image_has_fop = false;   /* FNSAVE's FNINIT cleared it, FRSTOR keeps that */
    save_restore(DATA, 14, 2, s, sizeof s, r, sizeof r);
    cr_assert_eq(get16(DATA + 6), 0x5010);                        /* IP */
    cr_assert_eq(get16(DATA + 10), 0x7123);                       /* DP */
}

Test(fpu_errors, fnstenv_fldenv_32bit_protected_and_mask_all)
{
    make_state();
    saved = *cpu->fpu;
    cr_assert_eq(RUN(0xD9, 0x35, D32(DATA), HLT), -1);            /* FNSTENV */
    cr_assert_eq(cpu->fpu->cw, 0x0A7F | 0x3F);
    cr_assert_eq(get16(DATA + 8), saved.tw);
    cpu->fpu->cw = 0x037F;
    cpu->fpu->sw = 0;
    cr_assert_eq(RUN(0xD9, 0x25, D32(DATA), HLT), -1);            /* FLDENV */
    assert_same_state(true);
}

TestSuite(fpu_real, .init = setup_rm, .fini = teardown);

static void real_save_restore(bool op32)
{
    unsigned env = op32 ? 28 : 14, word = op32 ? 4 : 2;
    uint8_t s[] = { 0x66, 0xDD, 0x36, D16(RDATA), HLT }, r[] = { 0x66, 0xDD, 0x26, D16(RDATA), HLT };
    /* real mode is 16-bit code: the 66 prefix selects the 32-bit image */
    save_restore(RDATA, env, word, op32 ? s : s + 1, op32 ? sizeof s : sizeof s - 1,
                 op32 ? r : r + 1, op32 ? sizeof r : sizeof r - 1);
    /* 20-bit pointers: IP 15-0, then IP 19-16 in bits 15-12 with the opcode */
    cr_assert_eq(get16(RDATA + 3 * word), 0x5010);
    cr_assert_eq(get16(RDATA + 4 * word), 0x1E8);
    cr_assert_eq(get16(RDATA + 5 * word), 0x7123);
    cr_assert_eq(get16(RDATA + 6 * word), 0);
}

Test(fpu_real, fsave_frstor_16bit_real) { real_save_restore(false); }
Test(fpu_real, fsave_frstor_32bit_real) { real_save_restore(true); }

Test(fpu_real, high_pointer_bits_go_to_bits_15_12)
{
    make_state();
    cpu->fpu->fip = 0x12345;
    cpu->fpu->fdp = 0xABCDE;
    saved = *cpu->fpu;
    cr_assert_eq(RUN(0xD9, 0x36, D16(RDATA), HLT), -1);            /* FNSTENV, 16-bit */
    cr_assert_eq(get16(RDATA + 6), 0x2345);
    cr_assert_eq(get16(RDATA + 8), 0x1000 | 0x1E8);
    cr_assert_eq(get16(RDATA + 10), 0xBCDE);
    cr_assert_eq(get16(RDATA + 12), 0xA000);
    cr_assert_eq(RUN(0xD9, 0x26, D16(RDATA), HLT), -1);            /* FLDENV */
    cpu->fpu->cw = saved.cw;   /* FNSTENV masked all; the image holds the old CW */
    cr_assert_eq(cpu->fpu->fip, 0x12345);
    cr_assert_eq(cpu->fpu->fdp, 0xABCDE);
}

/* --- FXSAVE / FXRSTOR --- */

TestSuite(fpu_fx, .init = setup_pm, .fini = teardown);

#define FXSAVE(a) 0x0F, 0xAE, 0x05, D32(a)
#define FXRSTOR(a) 0x0F, 0xAE, 0x0D, D32(a)

Test(fpu_fx, fxsave_image_and_round_trip)
{
    make_state();
    cpu->fpu->fcs = 0x08;
    cpu->fpu->fds = 0x10;
    saved = *cpu->fpu;
    for (unsigned i = 0; i < 512; i += 4)
        h_write32(cpu, DATA + i, 0xA5A5A5A5u);
    cr_assert_eq(RUN(FXSAVE(DATA), HLT), -1);
    cr_assert_eq(cpu->fpu->tw, saved.tw);           /* no re-initialisation */
    cr_assert_eq(cpu->fpu->cw, saved.cw);
    cr_assert_eq(get16(DATA + 0), 0x0A7F);
    cr_assert_eq(get16(DATA + 2), saved.sw);
    cr_assert_eq(h_read8(cpu, DATA + 4), 0xE0);     /* R5-R7 in use */
    cr_assert_eq(h_read8(cpu, DATA + 5), 0);
    cr_assert_eq(get16(DATA + 6), 0x1E8);
    cr_assert_eq(h_read32(cpu, DATA + 8), 0x5010);
    cr_assert_eq(h_read32(cpu, DATA + 12), 0x08);
    cr_assert_eq(h_read32(cpu, DATA + 16), 0x7123);
    cr_assert_eq(h_read32(cpu, DATA + 20), 0x10);
    cr_assert_eq(h_read32(cpu, DATA + 24), 0x1F80);  /* MXCSR */
    cr_assert_eq(h_read32(cpu, DATA + 28), 0);       /* MXCSR_MASK */
    cr_assert_eq(h_read32(cpu, DATA + 32 + 4), 0xC0000000u);   /* ST(0) = R5 = 3 */
    cr_assert_eq(get16(DATA + 32 + 8), 0x4000);
    cr_assert_eq(get16(DATA + 32 + 10), 0);                     /* reserved bytes zero */
    cr_assert_eq(h_read32(cpu, DATA + 32 + 12), 0);
    cr_assert_eq(get16(DATA + 64 + 8), 0xFFFF);                 /* ST(2) = R7 */
    cr_assert_eq(h_read32(cpu, DATA + 160), 0xA5A5A5A5u);       /* no XMM area */
    fpu_init(cpu->fpu);
    memset(cpu->fpu->regs, 0x55, sizeof cpu->fpu->regs);
    cr_assert_eq(RUN(FXRSTOR(DATA), HLT), -1);
    assert_same_state(true);
}

Test(fpu_fx, fxrstor_tags_follow_the_contents)
{
    /* Abridged tag: R0 (a zero) and R1 (a denormal) in use, TOP = 0. */
    memset(cpu->fpu->regs, 0, sizeof cpu->fpu->regs);
    for (unsigned i = 0; i < 512; i += 4)
        h_write32(cpu, DATA + i, 0);
    put16(DATA, 0x037F);
    h_load(cpu, DATA + 4, (const uint8_t[]){ 0x03 }, 1);
    put_f80(DATA + 48, (F80){ 1, 0 });
    h_write32(cpu, DATA + 24, 0xFFFFFFFFu);   /* MXCSR: ignored without SSE */
    cr_assert_eq(RUN(FXRSTOR(DATA), HLT), -1);
    cr_assert_eq(cpu->fpu->tw, 0xFFF0 | TAG_SPECIAL << 2 | TAG_ZERO);
}

Test(fpu_fx, fxsave_after_mmx_and_pending_state)
{
    cpu->cr0 |= CR0_NE;
    cpu->fpu->cw = 0x037B;
    cpu->fpu->sw = FSW_ES | FSW_B | SF_ZE;
    /* FXSAVE and FXRSTOR do not report the pending exception */
    cr_assert_eq(RUN(FXSAVE(DATA), FXRSTOR(DATA), HLT), -1);
    cr_assert_eq(cpu->fpu->sw & (FSW_ES | SF_ZE), FSW_ES | SF_ZE);
    fpu_init(cpu->fpu);
    cr_assert_eq(RUN(0x0F, 0xEF, 0xC0, FXSAVE(DATA), HLT), -1);   /* pxor mm0, mm0 */
    cr_assert_eq(h_read8(cpu, DATA + 4), 0xFF);
    cr_assert_eq(get16(DATA + 32 + 8), 0xFFFF);
}

Test(fpu_fx, alignment_nm_and_other_members)
{
    cr_assert_eq(RUN(FXSAVE(DATA + 8), HLT), EXC_GP);
    cr_assert_eq(RUN(FXRSTOR(DATA + 4), HLT), EXC_GP);
    cr_assert_eq(RUN(0x0F, 0xAE, 0x15, D32(DATA), HLT), EXC_UD);   /* LDMXCSR */
    cr_assert_eq(RUN(0x0F, 0xAE, 0xF8, HLT), EXC_UD);              /* SFENCE */
    cpu->cr0 |= CR0_TS;
    cr_assert_eq(RUN(FXSAVE(DATA), HLT), EXC_NM);
    cpu->cr0 &= ~CR0_TS;
    cpu->cr0 |= CR0_EM;
    cr_assert_eq(RUN(FXRSTOR(DATA), HLT), EXC_NM);
}

/* --- C1 after the moves (measured on a host x87) --- */

Test(fpu_errors, loads_and_stores_clear_c1)
{
    /* FXAM of -1 sets C1; each move that cannot round clears it. */
    static const uint8_t moves[][6] = {
        { 0xD9, 0xE8 },                 /* fld1 */
        { 0xD9, 0xEB },                 /* fldpi */
        { 0xD9, 0xC0 },                 /* fld st(0) */
        { 0xDD, 0xD1 },                 /* fst st(1) */
        { 0xDD, 0xD9 },                 /* fstp st(1) */
        { FSTP_M80(DATA) },             /* fstp m80 */
    };
    for (unsigned i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        fpu_init(cpu->fpu);
        unsigned n = moves[i][0] == 0xDB ? 6 : 2;
        uint8_t code[16] = { FLD1, 0xD9, 0xE0, 0xD9, 0xE5 };   /* fld1; fchs; fxam */
        memcpy(code + 6, moves[i], n);
        code[6 + n] = HLT;
        cr_assert_eq(run(code, 7 + n), -1);
        cr_assert_eq(cpu->fpu->sw & FSW_C1, 0, "move %u: sw %04X", i, cpu->fpu->sw);
    }
}

Test(fpu_denormal, a_nan_or_a_zero_divisor_hides_the_source_denormal)
{
    /* QNaN + den32 (DE unmasked): the NaN, no DE; den32 / +0: ZE alone. */
    put16(DATA, 0x037D);
    h_write32(cpu, DATA + 16, 1);
    put_f80(DATA + 32, (F80){ 0xC000000000000001ull, 0x7FFF });
    cr_assert_eq(RUN(FLDCW(DATA), FLD_M80(DATA + 32), 0xD8, 0x05, D32(DATA + 16), HLT), -1);
    assert_f80(fst(0), 0x7FFF, 0xC000000000000001ull);
    cr_assert_eq(cpu->fpu->sw & 0x3F, 0);
    fpu_init(cpu->fpu);
    put16(DATA, 0x037F);
    cr_assert_eq(RUN(FLDCW(DATA), FLDZ, 0xD8, 0x3D, D32(DATA + 16), HLT), -1);   /* FDIVR m32 */
    assert_f80(fst(0), 0x7FFF, INT_BIT);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_ZE);
    /* ... but an infinity does not: DE, and +inf stays */
    fpu_init(cpu->fpu);
    put_f80(DATA + 32, (F80){ INT_BIT, 0x7FFF });
    cr_assert_eq(RUN(FLDCW(DATA), FLD_M80(DATA + 32), 0xD8, 0x05, D32(DATA + 16), HLT), -1);
    cr_assert_eq(cpu->fpu->sw & 0x3F, SF_DE);
}
