/* SPDX-License-Identifier: MIT */
/* Instruction families, edge cases first: arithmetic flags at overflow
 * boundaries, shifts and rotates by 0, 1 and at least the width, SHLD/SHRD,
 * BCD, MUL/IMUL/DIV/IDIV including #DE (which must leave the registers as
 * they were), string instructions with every prefix, segment-limit and
 * privilege faults. Snippets run in flat 32-bit protected mode and end in
 * HLT; an exception lands on the harness's stub for its vector. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;
static unsigned slot;

static void setup(void)
{
    cpu = h_cpu_new(4, true);
    slot = 0;
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

TestSuite(families, .init = setup, .fini = teardown);

/* Run code at a fresh address; returns the exception vector or -1. */
static int run(const uint8_t *code, size_t len)
{
    uint32_t at = H_CODE + 0x100 * slot++;
    h_load(cpu, at, code, len);
    h_run(cpu, at, 100000);
    cr_assert(cpu->halted, "the snippet did not halt");
    return h_last_exception(cpu);
}
#define RUN(...) ({ static const uint8_t c_[] = { __VA_ARGS__, 0xF4 }; run(c_, sizeof c_); })

static uint32_t flags(void)
{
    return h_eflags(cpu) & (FLAGS_ARITH | FLAG_DF);
}

static void set_flags(uint32_t f)
{
    flags_write(cpu, f, FLAGS_ARITH | FLAG_DF);
}

/* --- arithmetic --- */

Test(families, add_signed_overflow_and_carry)
{
    cpu->gpr[R_EAX] = 0x7FFFFFFF;
    cpu->gpr[R_EBX] = 1;
    cr_assert_eq(RUN(0x01, 0xD8), -1);   /* add eax, ebx */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80000000u);
    cr_assert_eq(flags(), FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF);
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x01, 0xD8), -1);
    cr_assert_eq(flags(), FLAG_CF | FLAG_ZF | FLAG_AF | FLAG_PF);
}

Test(families, adc_sbb_carry_in_at_the_edges)
{
    set_flags(FLAG_CF);
    cpu->gpr[R_EAX] = 0xFF;
    cpu->gpr[R_EBX] = 0;
    cr_assert_eq(RUN(0x10, 0xD8), -1);   /* adc al, bl: 0xFF + 0 + 1 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0);
    cr_assert(flags() & FLAG_CF);
    cr_assert(flags() & FLAG_ZF);
    set_flags(FLAG_CF);
    cpu->gpr[R_EAX] = 0x8000;
    cpu->gpr[R_EBX] = 0;
    cr_assert_eq(RUN(0x66, 0x19, 0xD8), -1);   /* sbb ax, bx: 0x8000 - 0 - 1 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 0x7FFF);
    cr_assert_eq(flags() & (FLAG_OF | FLAG_CF), FLAG_OF);
}

Test(families, inc_dec_keep_carry)
{
    set_flags(FLAG_CF);
    cpu->gpr[R_ECX] = 0x7F;
    cr_assert_eq(RUN(0xFE, 0xC1), -1);   /* inc cl */
    cr_assert_eq(cpu->gpr[R_ECX] & 0xFF, 0x80);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF), FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF);
    cpu->gpr[R_ECX] = 0;
    cr_assert_eq(RUN(0x49), -1);          /* dec ecx */
    cr_assert_eq(cpu->gpr[R_ECX], 0xFFFFFFFFu);
    cr_assert(flags() & FLAG_CF, "DEC leaves CF alone");
}

Test(families, neg_of_minimum_overflows)
{
    cpu->gpr[R_EDX] = 0x80000000;
    cr_assert_eq(RUN(0xF7, 0xDA), -1);   /* neg edx */
    cr_assert_eq(cpu->gpr[R_EDX], 0x80000000u);
    cr_assert_eq(flags() & (FLAG_OF | FLAG_CF), FLAG_OF | FLAG_CF);
    cpu->gpr[R_EDX] = 0;
    cr_assert_eq(RUN(0xF7, 0xDA), -1);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_ZF), FLAG_ZF, "NEG 0 clears CF");
}

/* --- shifts and rotates --- */

Test(families, shift_by_zero_changes_nothing)
{
    set_flags(FLAG_CF | FLAG_OF | FLAG_ZF);
    cpu->gpr[R_EAX] = 0x1234;
    cpu->gpr[R_ECX] = 32;   /* masked to 0 */
    cr_assert_eq(RUN(0xD3, 0xE0), -1);   /* shl eax, cl */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234u);
    cr_assert_eq(flags(), FLAG_CF | FLAG_OF | FLAG_ZF);
}

Test(families, shift_by_one_sets_of)
{
    cpu->gpr[R_EAX] = 0x40000000;
    cr_assert_eq(RUN(0xD1, 0xE0), -1);   /* shl eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80000000u);
    cr_assert_eq(flags() & (FLAG_OF | FLAG_CF), FLAG_OF);
    cpu->gpr[R_EAX] = 0x80000001;
    cr_assert_eq(RUN(0xD1, 0xE8), -1);   /* shr eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x40000000u);
    cr_assert_eq(flags() & (FLAG_OF | FLAG_CF), FLAG_OF | FLAG_CF, "SHR: OF = old MSB");
    cpu->gpr[R_EAX] = 0x80000000;
    cr_assert_eq(RUN(0xD1, 0xF8), -1);   /* sar eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xC0000000u);
    cr_assert_eq(flags() & FLAG_OF, 0);
}

Test(families, byte_shifts_beyond_the_width)
{
    cpu->gpr[R_EAX] = 0x81;
    cpu->gpr[R_ECX] = 9;
    cr_assert_eq(RUN(0xD2, 0xE0), -1);   /* shl al, cl (9) */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0);
    cr_assert_eq(flags() & FLAG_CF, 0);
    cpu->gpr[R_EAX] = 0x81;
    cpu->gpr[R_ECX] = 8;
    cr_assert_eq(RUN(0xD2, 0xE0), -1);   /* shl al, 8: CF = bit 0 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0);
    cr_assert(flags() & FLAG_CF);
    cpu->gpr[R_EAX] = 0x80;
    cpu->gpr[R_ECX] = 20;
    cr_assert_eq(RUN(0xD2, 0xF8), -1);   /* sar al, 20 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0xFF);
    cr_assert(flags() & FLAG_CF);
}

Test(families, rcl_rcr_byte_rotate_through_carry_modulo_9)
{
    set_flags(FLAG_CF);
    cpu->gpr[R_EBX] = 0x00;
    cpu->gpr[R_ECX] = 9;   /* a full turn of the 9-bit value */
    cr_assert_eq(RUN(0xD2, 0xD3), -1);   /* rcl bl, cl */
    cr_assert_eq(cpu->gpr[R_EBX] & 0xFF, 0x00);
    cr_assert(flags() & FLAG_CF);
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0xD2, 0xD3), -1);
    cr_assert_eq(cpu->gpr[R_EBX] & 0xFF, 0x01, "the carry rotates in");
    cr_assert_eq(flags() & FLAG_CF, 0);
    set_flags(0);
    cpu->gpr[R_EBX] = 0x01;
    cr_assert_eq(RUN(0xD0, 0xDB), -1);   /* rcr bl, 1 */
    cr_assert_eq(cpu->gpr[R_EBX] & 0xFF, 0x00);
    cr_assert(flags() & FLAG_CF);
}

Test(families, rol_ror_flags)
{
    cpu->gpr[R_EAX] = 0x80000000;
    cr_assert_eq(RUN(0xD1, 0xC0), -1);   /* rol eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 1u);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
    cpu->gpr[R_EAX] = 1;
    cr_assert_eq(RUN(0xD1, 0xC8), -1);   /* ror eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80000000u);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
}

Test(families, shld_shrd)
{
    cpu->gpr[R_EAX] = 0x12345678;
    cpu->gpr[R_EDX] = 0x9ABCDEF0;
    cr_assert_eq(RUN(0x0F, 0xA4, 0xD0, 8), -1);   /* shld eax, edx, 8 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x3456789Au);
    cpu->gpr[R_EAX] = 0x12345678;
    cr_assert_eq(RUN(0x0F, 0xAC, 0xD0, 8), -1);   /* shrd eax, edx, 8 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xF0123456u);
    cr_assert_eq(flags() & FLAG_CF, 0, "CF = the last bit out (0x78 bit 7)");
}

/* --- BCD --- */

Test(families, daa_das_aaa_aam_aad)
{
    cpu->gpr[R_EAX] = 0x79;
    cpu->gpr[R_EBX] = 0x35;
    cr_assert_eq(RUN(0x00, 0xD8, 0x27), -1);   /* add al, bl; daa: 79 + 35 = 114 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0x14);
    cr_assert(flags() & FLAG_CF);
    cpu->gpr[R_EAX] = 0x35;
    cpu->gpr[R_EBX] = 0x47;
    cr_assert_eq(RUN(0x28, 0xD8, 0x2F), -1);   /* sub al, bl; das: 35 - 47 = -12 -> 88, CF */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0x88);
    cr_assert(flags() & FLAG_CF);
    cpu->gpr[R_EAX] = 0x0008;
    cpu->gpr[R_EBX] = 0x09;
    cr_assert_eq(RUN(0x00, 0xD8, 0x37), -1);   /* add al, bl; aaa: 8 + 9 = 17 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 0x0107);
    cpu->gpr[R_EAX] = 63;
    cr_assert_eq(RUN(0xD4, 0x0A), -1);         /* aam */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 0x0603);
    cr_assert_eq(RUN(0xD5, 0x0A), -1);         /* aad */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 63);
    cr_assert_eq(RUN(0xD4, 0x00), 0, "AAM 0 is #DE");
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 63, "and changes nothing");
}

/* --- multiply and divide --- */

Test(families, mul_imul_overflow_flags)
{
    cpu->gpr[R_EAX] = 0x10000;
    cpu->gpr[R_EBX] = 0x10000;
    cr_assert_eq(RUN(0xF7, 0xE3), -1);   /* mul ebx */
    cr_assert_eq(cpu->gpr[R_EAX], 0u);
    cr_assert_eq(cpu->gpr[R_EDX], 1u);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
    cpu->gpr[R_EAX] = (uint32_t)-3;
    cpu->gpr[R_EBX] = 5;
    cr_assert_eq(RUN(0xF7, 0xEB), -1);   /* imul ebx */
    cr_assert_eq(cpu->gpr[R_EAX], (uint32_t)-15);
    cr_assert_eq(cpu->gpr[R_EDX], 0xFFFFFFFFu);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF), 0, "the product fits: no overflow");
    cpu->gpr[R_ECX] = 0x8000;
    cr_assert_eq(RUN(0x66, 0x6B, 0xC9, 0x02), -1);   /* imul cx, cx, 2 */
    cr_assert_eq(cpu->gpr[R_ECX] & 0xFFFF, 0);
    cr_assert_eq(flags() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
}

Test(families, divide_errors_leave_registers_alone)
{
    cpu->gpr[R_EAX] = 1234;
    cpu->gpr[R_EDX] = 0;
    cpu->gpr[R_ECX] = 0;
    cr_assert_eq(RUN(0xF7, 0xF1), 0, "divide by zero");   /* div ecx */
    cr_assert_eq(cpu->gpr[R_EAX], 1234u);
    cpu->gpr[R_EAX] = 0;
    cpu->gpr[R_EDX] = 5;
    cpu->gpr[R_ECX] = 5;
    cr_assert_eq(RUN(0xF7, 0xF1), 0, "quotient 2^32: overflow");
    cr_assert_eq(cpu->gpr[R_EDX], 5u);
    cpu->gpr[R_EAX] = 0x80000000;
    cpu->gpr[R_EDX] = 0xFFFFFFFF;
    cpu->gpr[R_ECX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0xF7, 0xF9), 0, "INT_MIN / -1");   /* idiv ecx */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80000000u);
    cpu->gpr[R_EAX] = (uint32_t)-7;
    cpu->gpr[R_EDX] = 0xFFFFFFFF;
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(RUN(0xF7, 0xF9), -1);
    cr_assert_eq(cpu->gpr[R_EAX], (uint32_t)-3, "IDIV truncates toward zero");
    cr_assert_eq(cpu->gpr[R_EDX], (uint32_t)-1);
    cpu->gpr[R_EAX] = 0xFF80;   /* -128 / 1 in 8 bits fits */
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0xF6, 0xF9), -1);   /* idiv cl */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0x80);
}

/* --- strings --- */

Test(families, rep_movsb_forward_and_overlapping)
{
    for (uint32_t i = 0; i < 16; i++)
        phys_write(cpu->mem, 0x50000 + i, 1, i + 1);
    cpu->gpr[R_ESI] = 0x50000;
    cpu->gpr[R_EDI] = 0x50001;
    cpu->gpr[R_ECX] = 8;
    cr_assert_eq(RUN(0xFC, 0xF3, 0xA4), -1);   /* cld; rep movsb, overlapping by one */
    for (uint32_t i = 0; i < 9; i++)
        cr_assert_eq(h_read8(cpu, 0x50000 + i), 1, "byte %u replicates the first", i);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_ESI], 0x50008u);
}

Test(families, rep_stosd_backward_and_count_zero)
{
    cpu->gpr[R_EAX] = 0xA5A5A5A5;
    cpu->gpr[R_EDI] = 0x5000C;
    cpu->gpr[R_ECX] = 3;
    cr_assert_eq(RUN(0xFD, 0xF3, 0xAB, 0xFC), -1);   /* std; rep stosd; cld */
    cr_assert_eq(h_read32(cpu, 0x50004), 0xA5A5A5A5u);
    cr_assert_eq(h_read32(cpu, 0x50008), 0xA5A5A5A5u);
    cr_assert_eq(h_read32(cpu, 0x5000C), 0xA5A5A5A5u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x50000u);
    cpu->gpr[R_ECX] = 0;
    h_write32(cpu, 0x50000, 0);
    cr_assert_eq(RUN(0xF3, 0xAB), -1);
    cr_assert_eq(h_read32(cpu, 0x50000), 0u, "count 0 stores nothing");
}

Test(families, repe_cmpsb_and_repne_scasb)
{
    static const char a[] = "kairo-emu", b[] = "kairo-EMU";
    phys_write_block(cpu->mem, 0x51000, a, sizeof a);
    phys_write_block(cpu->mem, 0x52000, b, sizeof b);
    cpu->gpr[R_ESI] = 0x51000;
    cpu->gpr[R_EDI] = 0x52000;
    cpu->gpr[R_ECX] = sizeof a;
    cr_assert_eq(RUN(0xFC, 0xF3, 0xA6), -1);   /* repe cmpsb */
    cr_assert_eq(cpu->gpr[R_ESI], 0x51007u, "stops after the first difference");
    cr_assert_eq(cpu->gpr[R_ECX], sizeof a - 7);
    cr_assert_eq(flags() & FLAG_ZF, 0);
    cpu->gpr[R_EAX] = '-';
    cpu->gpr[R_EDI] = 0x51000;
    cpu->gpr[R_ECX] = sizeof a;
    cr_assert_eq(RUN(0xF2, 0xAE), -1);   /* repne scasb */
    cr_assert_eq(cpu->gpr[R_EDI], 0x51006u);
    cr_assert(flags() & FLAG_ZF);
}

Test(families, string_source_override_and_16bit_addressing)
{
    cpu->gdtr.limit = 0x4F;
    h_set_gdt(cpu, 9, 0x60000, 0xFFFF, DESC_P | DESC_S | 0x3);
    phys_write(cpu->mem, 0x60010, 4, 0x11223344);
    cpu->gpr[R_EAX] = 0x48;
    cr_assert_eq(RUN(0x8E, 0xE0), -1);   /* mov fs, ax */
    cpu->gpr[R_ESI] = 0xFFFF0010;        /* 16-bit addressing: only SI counts */
    cpu->gpr[R_EDI] = 0xABCD3800;
    cr_assert_eq(RUN(0x64, 0x67, 0xA5), -1);   /* movs dword es:[di], fs:[si] */
    cr_assert_eq(h_read32(cpu, 0x3800), 0x11223344u);
    cr_assert_eq(cpu->gpr[R_ESI], 0xFFFF0014u, "SI steps, the upper half stays");
    cr_assert_eq(cpu->gpr[R_EDI], 0xABCD3804u);
}

/* --- segment limits and privilege --- */

Test(families, data_segment_limit_fault)
{
    cpu->gdtr.limit = 0x4F;
    h_set_gdt(cpu, 9, 0x70000, 0x0FFF, DESC_P | DESC_S | DESC_DB | 0x3);
    cpu->gpr[R_EAX] = 0x48;
    cr_assert_eq(RUN(0x8E, 0xD8), -1);   /* mov ds, ax */
    cpu->gpr[R_EBX] = 0xFFE;
    cr_assert_eq(RUN(0x8B, 0x03), 13, "a dword at 0xFFE crosses the limit 0xFFF");
    cr_assert_eq(h_last_errcode(cpu), 0u);
}

Test(families, user_mode_privilege_faults)
{
    /* Drop to CPL 3 with IRET, then try privileged things. */
    static const uint8_t user_hlt[] = { 0xF4 };
    static const uint8_t user_in[] = { 0xE4, 0x60, 0xF4 };
    static const uint8_t user_cli[] = { 0xFA, 0xF4 };
    const uint8_t *codes[] = { user_hlt, user_in, user_cli };
    size_t lens[] = { sizeof user_hlt, sizeof user_in, sizeof user_cli };
    for (int i = 0; i < 3; i++) {
        uint32_t at = 0x58000 + 0x100 * (uint32_t)i;
        h_load(cpu, at, codes[i], lens[i]);
        uint8_t enter[] = {
            0x6A, H_SEL_UDATA32,                       /* push ss */
            0x68, 0x00, 0x80, 0x08, 0x00,              /* push esp 0x88000 */
            0x6A, 0x02,                                /* push eflags (IOPL 0) */
            0x6A, H_SEL_UCODE32,                       /* push cs */
            0x68, (uint8_t)at, (uint8_t)(at >> 8), (uint8_t)(at >> 16), 0x00,
            0xCF,                                      /* iret */
        };
        int vec = run(enter, sizeof enter);
        cr_assert_eq(vec, 13, "case %d: #GP at CPL 3", i);
        cr_assert_eq(h_last_errcode(cpu), 0u);
    }
}
