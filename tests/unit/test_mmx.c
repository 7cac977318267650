/* SPDX-License-Identifier: MIT */
/* MMX (fpu/mmx.c) through the CPU: every instruction family with register
 * and memory operands (and the immediate shift forms), saturation and
 * shift-count corners, the aliasing with the x87 registers (TOP = 0, all
 * tags valid, exponent field all ones on a write), EMMS, and the
 * CR0.EM/TS and pending-exception checks. Expected values are worked out by
 * hand from the SDM's definitions. */
#include <criterion/criterion.h>

#include "fpu/fpu.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;
static unsigned next_slot;

#define HLT 0xF4
#define D32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)
#define DATA 0x20000u
#define A_ADDR DATA
#define B_ADDR (DATA + 8)
#define OUT_ADDR (DATA + 16)
#define MOVQ_MM0_A 0x0F, 0x6F, 0x05, D32(A_ADDR)
#define MOVQ_MM1_B 0x0F, 0x6F, 0x0D, D32(B_ADDR)
#define MOVQ_OUT_MM0 0x0F, 0x7F, 0x05, D32(OUT_ADDR)

static void setup(void)
{
    cpu = h_cpu_new(4, true);
    next_slot = 0;
    fpu_init(cpu->fpu);
}

static void teardown(void) { h_cpu_free(cpu); }

TestSuite(mmx, .init = setup, .fini = teardown);

static int run(const uint8_t *code, size_t len)
{
    uint32_t addr = H_CODE + next_slot++ * 0x100;
    h_load(cpu, addr, code, len);
    h_run(cpu, addr - cpu->seg[SEG_CS].base, 1000);
    cr_assert(cpu->halted, "code did not halt");
    return h_last_exception(cpu);
}
#define RUN(...) ({ static const uint8_t c_[] = { __VA_ARGS__ }; run(c_, sizeof c_); })

static void put64(uint32_t a, uint64_t v)
{
    h_write32(cpu, a, (uint32_t)v);
    h_write32(cpu, a + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(uint32_t a) { return h_read32(cpu, a) | (uint64_t)h_read32(cpu, a + 4) << 32; }

/* mm0 = a; mm0 = mm0 op b (b in mm1, or in memory); the result stored. */
static uint64_t binop(uint8_t op, uint64_t a, uint64_t b, bool mem)
{
    put64(A_ADDR, a);
    put64(B_ADDR, b);
    put64(OUT_ADDR, 0x5A5A5A5A5A5A5A5Aull);
    uint8_t reg_form[] = { MOVQ_MM0_A, MOVQ_MM1_B, 0x0F, op, 0xC1, MOVQ_OUT_MM0, HLT };
    uint8_t mem_form[] = { MOVQ_MM0_A, 0x0F, op, 0x05, D32(B_ADDR), MOVQ_OUT_MM0, HLT };
    int exc = mem ? run(mem_form, sizeof mem_form) : run(reg_form, sizeof reg_form);
    cr_assert_eq(exc, -1, "op %02X faulted (%d)", op, exc);
    cr_assert_eq(cpu->fpu->regs[0].mant, get64(OUT_ADDR));
    return get64(OUT_ADDR);
}

typedef struct {
    uint8_t op;
    uint64_t a, b, want;
} Case;

static void check_cases(const Case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int mem = 0; mem < 2; mem++) {
            uint64_t got = binop(c[i].op, c[i].a, c[i].b, mem);
            cr_assert_eq(got, c[i].want, "0F %02X (%s): %016llX, want %016llX", c[i].op,
                         mem ? "mem" : "reg", (unsigned long long)got, (unsigned long long)c[i].want);
        }
}

Test(mmx, add_and_subtract_wrapping_and_saturating)
{
    static const Case c[] = {
        { 0xFC, 0x7F80FF0001020304ull, 0x0101010101010101ull, 0x8081000102030405ull },   /* PADDB */
        { 0xEC, 0x7F80FF0001020304ull, 0x0101010101010101ull, 0x7F81000102030405ull },   /* PADDSB */
        { 0xDC, 0x7F80FF0001020304ull, 0x0101010101010101ull, 0x8081FF0102030405ull },   /* PADDUSB */
        { 0xFD, 0x7FFF8000FFFF0001ull, 0x0001FFFF00010001ull, 0x80007FFF00000002ull },   /* PADDW */
        { 0xED, 0x7FFF8000FFFF0001ull, 0x0001FFFF00010001ull, 0x7FFF800000000002ull },   /* PADDSW */
        { 0xDD, 0x7FFF8000FFFF0001ull, 0x0001FFFF00010001ull, 0x8000FFFFFFFF0002ull },   /* PADDUSW */
        { 0xFE, 0xFFFFFFFF00000001ull, 0x0000000100000002ull, 0x0000000000000003ull },   /* PADDD */
        { 0xF8, 0x00807F0000000000ull, 0x0101FF0000000000ull, 0xFF7F800000000000ull },   /* PSUBB */
        { 0xE8, 0x00807F0000000000ull, 0x0101FF0000000000ull, 0xFF807F0000000000ull },   /* PSUBSB */
        { 0xD8, 0x00807F0000000000ull, 0x0101FF0000000000ull, 0x007F000000000000ull },   /* PSUBUSB */
        { 0xF9, 0x8000000100020003ull, 0x0001000200010000ull, 0x7FFFFFFF00010003ull },   /* PSUBW */
        { 0xE9, 0x8000000100020003ull, 0x0001000200010000ull, 0x8000FFFF00010003ull },   /* PSUBSW */
        { 0xD9, 0x8000000100020003ull, 0x0001000200010000ull, 0x7FFF000000010003ull },   /* PSUBUSW */
        { 0xFA, 0x0000000000000005ull, 0x0000000100000006ull, 0xFFFFFFFFFFFFFFFFull },   /* PSUBD */
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

Test(mmx, logic)
{
    static const Case c[] = {
        { 0xDB, 0xF0F0F0F0FFFF0000ull, 0xFF00FF00F0F0F0F0ull, 0xF000F000F0F00000ull },   /* PAND */
        { 0xDF, 0xF0F0F0F0FFFF0000ull, 0xFF00FF00F0F0F0F0ull, 0x0F000F000000F0F0ull },   /* PANDN */
        { 0xEB, 0xF0F0F0F0FFFF0000ull, 0xFF00FF00F0F0F0F0ull, 0xFFF0FFF0FFFFF0F0ull },   /* POR */
        { 0xEF, 0xF0F0F0F0FFFF0000ull, 0xFF00FF00F0F0F0F0ull, 0x0FF00FF00F0FF0F0ull },   /* PXOR */
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

Test(mmx, compares)
{
    static const Case c[] = {
        { 0x74, 0x0102030405060708ull, 0x0102000405000708ull, 0xFFFF00FFFF00FFFFull },   /* PCMPEQB */
        { 0x75, 0x0001000200030004ull, 0x0001000000030000ull, 0xFFFF0000FFFF0000ull },   /* PCMPEQW */
        { 0x76, 0x1234567800000000ull, 0x1234567800000001ull, 0xFFFFFFFF00000000ull },   /* PCMPEQD */
        { 0x64, 0x7F80010000FF0102ull, 0x80000100FF000101ull, 0xFF000000FF0000FFull },   /* PCMPGTB */
        { 0x65, 0x7FFF800000010000ull, 0x8000000000000001ull, 0xFFFF0000FFFF0000ull },   /* PCMPGTW */
        { 0x66, 0x8000000000000001ull, 0x0000000080000000ull, 0x00000000FFFFFFFFull },   /* PCMPGTD */
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

Test(mmx, multiplies)
{
    static const Case c[] = {
        { 0xD5, 0x8000FFFF00030100ull, 0x0002FFFF00040100ull, 0x00000001000C0000ull },   /* PMULLW */
        { 0xE5, 0x8000FFFF00030100ull, 0x0002FFFF00040100ull, 0xFFFF000000000001ull },   /* PMULHW */
        { 0xF5, 0x8000800000020003ull, 0x8000800000040005ull, 0x8000000000000017ull },   /* PMADDWD */
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

Test(mmx, packs_and_unpacks)
{
    static const Case c[] = {
        { 0x63, 0x7FFF8000FF80007Full, 0x0100FFFF00000080ull, 0x7FFF007F7F80807Full },   /* PACKSSWB */
        { 0x67, 0x7FFF8000FF80007Full, 0x0100FFFF00000080ull, 0xFF000080FF00007Full },   /* PACKUSWB */
        { 0x6B, 0x8000000000010000ull, 0xFFFF800000007FFFull, 0x80007FFF80007FFFull },   /* PACKSSDW */
        { 0x60, 0x0706050403020100ull, 0x1716151413121110ull, 0x1303120211011000ull },   /* PUNPCKLBW */
        { 0x61, 0x0706050403020100ull, 0x1716151413121110ull, 0x1312030211100100ull },   /* PUNPCKLWD */
        { 0x62, 0x0706050403020100ull, 0x1716151413121110ull, 0x1312111003020100ull },   /* PUNPCKLDQ */
        { 0x68, 0x0706050403020100ull, 0x1716151413121110ull, 0x1707160615051404ull },   /* PUNPCKHBW */
        { 0x69, 0x0706050403020100ull, 0x1716151413121110ull, 0x1716070615140504ull },   /* PUNPCKHWD */
        { 0x6A, 0x0706050403020100ull, 0x1716151413121110ull, 0x1716151407060504ull },   /* PUNPCKHDQ */
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

Test(mmx, shifts_by_register_and_memory)
{
    static const Case c[] = {
        { 0xF1, 0x80011234FFFF0001ull, 4, 0x00102340FFF00010ull },                 /* PSLLW */
        { 0xD1, 0x80011234FFFF0001ull, 4, 0x080001230FFF0000ull },               /* PSRLW */
        { 0xE1, 0x80011234FFFF0001ull, 4, 0xF8000123FFFF0000ull },                 /* PSRAW */
        { 0xF1, 0x80011234FFFF0001ull, 16, 0 },
        { 0xE1, 0x80011234FFFF0001ull, 100, 0xFFFF0000FFFF0000ull },
        { 0xF2, 0x8000000112345678ull, 8, 0x0000010034567800ull },                 /* PSLLD */
        { 0xD2, 0x8000000112345678ull, 8, 0x0080000000123456ull },                 /* PSRLD */
        { 0xE2, 0x8000000112345678ull, 8, 0xFF80000000123456ull },                 /* PSRAD */
        { 0xE2, 0x8000000112345678ull, 32, 0xFFFFFFFF00000000ull },
        { 0xF3, 0x1234567890ABCDEFull, 4, 0x234567890ABCDEF0ull },                 /* PSLLQ */
        { 0xD3, 0x1234567890ABCDEFull, 4, 0x01234567890ABCDEull },                 /* PSRLQ */
        { 0xD3, 0x1234567890ABCDEFull, 64, 0 },
        { 0xF3, 0x1234567890ABCDEFull, 0x100000001ull, 0 },   /* the whole 64-bit count */
        { 0xF3, 0x1234567890ABCDEFull, 0, 0x1234567890ABCDEFull },
    };
    check_cases(c, sizeof c / sizeof c[0]);
}

/* mm0 = a; 0F op /reg ib on mm0 */
static uint64_t shift_imm(uint8_t op, unsigned reg, uint8_t count, uint64_t a)
{
    put64(A_ADDR, a);
    uint8_t code[] = { MOVQ_MM0_A, 0x0F, op, (uint8_t)(0xC0 | reg << 3), count, MOVQ_OUT_MM0, HLT };
    cr_assert_eq(run(code, sizeof code), -1);
    return get64(OUT_ADDR);
}

Test(mmx, shifts_by_immediate)
{
    cr_assert_eq(shift_imm(0x71, 6, 4, 0x80011234FFFF0001ull), 0x00102340FFF00010ull);
    cr_assert_eq(shift_imm(0x71, 2, 4, 0x80011234FFFF0001ull), 0x080001230FFF0000ull);
    cr_assert_eq(shift_imm(0x71, 4, 4, 0x80011234FFFF0001ull), 0xF8000123FFFF0000ull);
    cr_assert_eq(shift_imm(0x71, 4, 0xFF, 0x80011234FFFF0001ull), 0xFFFF0000FFFF0000ull);
    cr_assert_eq(shift_imm(0x72, 6, 8, 0x8000000112345678ull), 0x0000010034567800ull);
    cr_assert_eq(shift_imm(0x72, 2, 8, 0x8000000112345678ull), 0x0080000000123456ull);
    cr_assert_eq(shift_imm(0x72, 4, 8, 0x8000000112345678ull), 0xFF80000000123456ull);
    cr_assert_eq(shift_imm(0x73, 6, 4, 0x1234567890ABCDEFull), 0x234567890ABCDEF0ull);
    cr_assert_eq(shift_imm(0x73, 2, 4, 0x1234567890ABCDEFull), 0x01234567890ABCDEull);
    cr_assert_eq(shift_imm(0x73, 2, 64, 0x1234567890ABCDEFull), 0);
    /* 73 /4 (no PSRAQ), other group members and memory operands: #UD */
    cr_assert_eq(RUN(0x0F, 0x73, 0xE0, 1, HLT), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0x71, 0xC8, 1, HLT), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0x72, 0x35, D32(DATA), 1, HLT), EXC_UD);
}

Test(mmx, movd_and_movq_forms)
{
    cpu->gpr[R_EAX] = 0x89ABCDEFu;
    put64(A_ADDR, 0x1122334455667788ull);
    cr_assert_eq(RUN(0x0F, 0x6F, 0x05, D32(A_ADDR),   /* movq mm0, [a] */
                     0x0F, 0x6E, 0xC8,                /* movd mm1, eax */
                     0x0F, 0x7E, 0xC3,                /* movd ebx, mm0 */
                     0x0F, 0x6F, 0xD0,                /* movq mm2, mm0 */
                     0x0F, 0x7F, 0xCB,                /* movq mm3, mm1 (7F form) */
                     0x0F, 0x6E, 0x25, D32(A_ADDR + 4),   /* movd mm4, [a+4] */
                     0x0F, 0x7E, 0x0D, D32(OUT_ADDR),     /* movd [out], mm1 */
                     0x0F, 0x7F, 0x15, D32(OUT_ADDR + 8), /* movq [out+8], mm2 */
                     HLT), -1);
    const F80 *r = cpu->fpu->regs;
    cr_assert_eq(r[1].mant, 0x89ABCDEFull);
    cr_assert_eq(cpu->gpr[R_EBX], 0x55667788u);
    cr_assert_eq(r[2].mant, 0x1122334455667788ull);
    cr_assert_eq(r[3].mant, 0x89ABCDEFull);
    cr_assert_eq(r[4].mant, 0x11223344ull);
    cr_assert_eq(h_read32(cpu, OUT_ADDR), 0x89ABCDEFu);
    cr_assert_eq(get64(OUT_ADDR + 8), 0x1122334455667788ull);
}

/* --- aliasing with the x87 --- */

Test(mmx, writes_set_the_exponent_top_and_tags)
{
    /* Two x87 pushes: TOP = 6, R6/R7 valid, the rest empty. */
    put64(A_ADDR, 0x0123456789ABCDEFull);
    cr_assert_eq(RUN(0xD9, 0xE8, 0xD9, 0xE8, HLT), -1);
    cr_assert_eq((cpu->fpu->sw >> FSW_TOP_SHIFT) & 7, 6);
    cr_assert_eq(RUN(0x0F, 0x6F, 0x2D, D32(A_ADDR), HLT), -1);   /* movq mm5, [a] */
    cr_assert_eq((cpu->fpu->sw >> FSW_TOP_SHIFT) & 7, 0);
    cr_assert_eq(cpu->fpu->tw, 0);
    cr_assert_eq(cpu->fpu->regs[5].se, 0xFFFF);
    cr_assert_eq(cpu->fpu->regs[5].mant, 0x0123456789ABCDEFull);
    /* R7 was only read-aliased: its 1.0 is untouched. */
    cr_assert_eq(cpu->fpu->regs[7].se, 0x3FFF);
    cr_assert_eq(cpu->fpu->regs[7].mant, 0x8000000000000000ull);
    /* The x87 sees MM5 as ST(5): a NaN (exponent all ones, sign set). */
    cr_assert_eq(RUN(0xD9, 0xC5, HLT), -1);   /* fld st(5): pushes R5; R7 is valid: overflow */
    cr_assert(cpu->fpu->sw & FSW_SF);
}

Test(mmx, reads_and_stores_leave_the_exponent)
{
    cpu->fpu->regs[2] = (F80){ 0x8000000000000001ull, 0x3FFF };
    cr_assert_eq(RUN(0x0F, 0x7F, 0x15, D32(OUT_ADDR), HLT), -1);   /* movq [out], mm2 */
    cr_assert_eq(cpu->fpu->regs[2].se, 0x3FFF);
    cr_assert_eq(get64(OUT_ADDR), 0x8000000000000001ull);
    cr_assert_eq(cpu->fpu->tw, 0);
}

Test(mmx, emms_empties_every_tag_and_resets_top)
{
    /* pxor mm0, mm0; emms; fld1 (TOP = 7); emms */
    cr_assert_eq(RUN(0x0F, 0xEF, 0xC0, 0x0F, 0x77, 0xD9, 0xE8, 0x0F, 0x77, HLT), -1);
    cr_assert_eq(cpu->fpu->sw & FSW_SF, 0);
    cr_assert_eq(cpu->fpu->tw, 0xFFFF);
    cr_assert_eq((cpu->fpu->sw >> FSW_TOP_SHIFT) & 7, 0);
    cr_assert_eq(cpu->fpu->regs[0].mant, 0);
    cr_assert_eq(cpu->fpu->regs[0].se, 0xFFFF);
    /* After EMMS the x87 can push eight values again. */
    cr_assert_eq(RUN(0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8,
                     0xD9, 0xE8, HLT), -1);
    cr_assert_eq(cpu->fpu->sw & FSW_SF, 0);
}

Test(mmx, other_x87_state_is_left_alone)
{
    cpu->fpu->cw = 0x0E7F;
    cpu->fpu->sw = 0x3 << FSW_TOP_SHIFT | FSW_C3 | 0x20;
    cpu->fpu->fip = 0x1234;
    cpu->fpu->fop = 0x155;
    cr_assert_eq(RUN(0x0F, 0xFC, 0xC1, HLT), -1);   /* paddb mm0, mm1 */
    cr_assert_eq(cpu->fpu->cw, 0x0E7F);
    cr_assert_eq(cpu->fpu->sw, FSW_C3 | 0x20);
    cr_assert_eq(cpu->fpu->fip, 0x1234);
    cr_assert_eq(cpu->fpu->fop, 0x155);
}

/* --- faults --- */

Test(mmx, em_gives_ud_ts_gives_nm)
{
    cpu->cr0 |= CR0_EM | CR0_TS;
    cr_assert_eq(RUN(0x0F, 0xFC, 0xC1, HLT), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0x77, HLT), EXC_UD);
    cpu->cr0 &= ~CR0_EM;
    cr_assert_eq(RUN(0x0F, 0xFC, 0xC1, HLT), EXC_NM);
    cr_assert_eq(RUN(0x0F, 0x77, HLT), EXC_NM);
    cr_assert_eq(RUN(0x0F, 0x6F, 0x05, D32(A_ADDR), HLT), EXC_NM);
}

Test(mmx, pending_x87_exception_gives_mf)
{
    cpu->cr0 |= CR0_NE;
    cpu->fpu->cw = 0x037B;
    cpu->fpu->sw = FSW_ES | FSW_B | 0x04;
    cpu->fpu->tw = 0xFFFF;
    cr_assert_eq(RUN(0x0F, 0xFC, 0xC1, HLT), EXC_MF);
    cr_assert_eq(cpu->fpu->tw, 0xFFFF);   /* nothing done */
    cr_assert_eq(RUN(0x0F, 0x77, HLT), EXC_MF);
}

Test(mmx, sse_and_sse2_opcodes_stay_undefined)
{
    cr_assert_eq(RUN(0x0F, 0xFB, 0xC1, HLT), EXC_UD);   /* PSUBQ */
    cr_assert_eq(RUN(0x0F, 0xD4, 0xC1, HLT), EXC_UD);   /* PADDQ */
    cr_assert_eq(RUN(0x0F, 0xE4, 0xC1, HLT), EXC_UD);   /* PMULHUW (SSE) */
}
