/* SPDX-License-Identifier: MIT */
/* String instructions (cpu/ops_string.c): every kind and width, 16- and
 * 32-bit addressing, DF, REP/REPE/REPNE with counts 0, 1 and many,
 * overlapping MOVS against an element-by-element reference, faults in the
 * middle of a REP (segment limit, page fault) leaving restartable state,
 * interrupts and single-step traps between REP iterations, INS/OUTS. See
 * flow_util.h for how snippets run. */
#include "tests/unit/flow_util.h"

TestSuite(flow, .init = setup_pm, .fini = teardown);
TestSuite(flow_real, .init = setup_rm, .fini = teardown);

/* ====================================================================== */
/* Strings                                                                  */
/* ====================================================================== */

Test(flow, string_single_elements)
{
    fill(DATA, 64, 1);
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA + 0x100;
    cr_assert_eq(RUN(0xA4, 0x66, 0xA5, 0xA5), -1);      /* movsb; movsw; movsd */
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 7);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x107);
    for (unsigned i = 0; i < 7; i++)
        cr_assert_eq(h_read8(cpu, DATA + 0x100 + i), h_read8(cpu, DATA + i));
    set_flags(FLAG_DF, 0);
    cr_assert_eq(RUN(0xA5), -1);                        /* movsd backwards */
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 3);
    cr_assert_eq(h_read32(cpu, DATA + 0x107), h_read32(cpu, DATA + 7));
    set_flags(0, FLAG_DF);
    cpu->gpr[R_EAX] = 0x11223344;
    cpu->gpr[R_EDI] = DATA + 0x200;
    cr_assert_eq(RUN(0xAA, 0x66, 0xAB, 0xAB), -1);      /* stosb; stosw; stosd */
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x207);
    cr_assert_eq(h_read8(cpu, DATA + 0x200), 0x44);
    cr_assert_eq(rd16(DATA + 0x201), 0x3344u);
    cr_assert_eq(h_read32(cpu, DATA + 0x203), 0x11223344u);
    cpu->gpr[R_ESI] = DATA + 0x200;
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0xAC), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x44u);
    cr_assert_eq(RUN(0x66, 0xAD), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x3344u);
    cr_assert_eq(RUN(0xAD), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x11223344u);
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x207);
    /* scas / cmps set flags like CMP acc, [EDI] / CMP [ESI], [EDI] */
    cpu->gpr[R_EAX] = 0x44;
    cpu->gpr[R_EDI] = DATA + 0x200;
    cr_assert_eq(RUN(0xAE), -1);
    cr_assert_eq(arith(), FLAG_ZF | FLAG_PF);
    cpu->gpr[R_ESI] = DATA + 0x200;
    cpu->gpr[R_EDI] = DATA + 0x202;   /* 0x44 vs 0x33 */
    cr_assert_eq(RUN(0xA6), -1);
    cr_assert_eq(arith(), FLAG_PF, "0x44 - 0x33");
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x201);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x203);
}

Test(flow, string_16bit_addressing_and_source_override)
{
    /* SI/DI wrap at 64K and ESI/EDI keep their upper halves. */
    wr8(0xFFFF, 0xAB);
    cpu->gpr[R_ESI] = 0xABCDFFFF;
    cpu->gpr[R_EDI] = 0x12340100;
    cr_assert_eq(RUN(0x67, 0xA4), -1);
    cr_assert_eq(cpu->gpr[R_ESI], 0xABCD0000u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x12340101u);
    cr_assert_eq(h_read8(cpu, 0x100), 0xAB);
    /* fs: overrides the source; the destination stays ES. */
    seg_set_cache(&cpu->seg[SEG_FS], H_SEL_DATA32, 0x1000, 0xFFFFFFFFu, FLAT_DATA);
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_DATA32, 0x2000, 0xFFFFFFFFu, FLAT_DATA);
    wr8(0x1000 + DATA, 0x5A);
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA;
    cr_assert_eq(RUN(0x64, 0xA4), -1);
    cr_assert_eq(h_read8(cpu, 0x2000 + DATA), 0x5A);
    cpu->gpr[R_EAX] = 0x77;
    cr_assert_eq(RUN(0x64, 0xAA), -1);                  /* stosb: fs: is ignored */
    cr_assert_eq(h_read8(cpu, 0x2000 + DATA + 1), 0x77);
    cpu->gpr[R_ESI] = DATA;
    cr_assert_eq(RUN(0x64, 0xAC), -1);                  /* lodsb fs: */
    cr_assert_eq(cpu->gpr[R_EAX], 0x5Au);
}

Test(flow, rep_counts_zero_one_many)
{
    /* Count 0 does nothing at all, not even the (faulting) accesses. */
    seg_set_cache(&cpu->seg[SEG_DS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_ECX] = 0;
    cpu->gpr[R_ESI] = 0x200000;
    cpu->gpr[R_EDI] = DATA;
    cr_assert_eq(RUN(0xF3, 0xA4, 0xF3, 0xA6, 0xF2, 0xAE, 0xF3, 0xAD), -1);
    cr_assert_eq(cpu->gpr[R_ESI], 0x200000u);
    cr_assert_eq(cpu->gpr[R_EDI], DATA);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_DATA32, 0, 0xFFFFFFFFu, FLAT_DATA);
    /* one */
    fill(DATA, 0x4000, 3);
    cpu->gpr[R_ECX] = 1;
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA + 0x8000;
    cr_assert_eq(RUN(0xF3, 0xA5), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 4);
    cr_assert_eq(h_read32(cpu, DATA + 0x8000), h_read32(cpu, DATA));
    /* many, crossing pages, from an unaligned start */
    cpu->gpr[R_ECX] = 0x3001;
    cpu->gpr[R_ESI] = DATA + 0x3;
    cpu->gpr[R_EDI] = DATA + 0x8005;
    cr_assert_eq(RUN(0xF3, 0xA4), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x3004);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0xB006);
    for (unsigned i = 0; i < 0x3001; i++)
        cr_assert_eq(h_read8(cpu, DATA + 0x8005 + i), h_read8(cpu, DATA + 3 + i), "byte %u", i);
    /* rep stosw / stosd, and REPNE on a non-compare acts as REP */
    cpu->gpr[R_EAX] = 0xA1B2C3D4;
    cpu->gpr[R_ECX] = 0x1001;
    cpu->gpr[R_EDI] = DATA + 0x10002;
    cr_assert_eq(RUN(0xF2, 0xAB), -1);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x10002 + 0x4004);
    for (unsigned i = 0; i < 0x1001; i++)
        cr_assert_eq(h_read32(cpu, DATA + 0x10002 + 4 * i), 0xA1B2C3D4u);
    cpu->gpr[R_ECX] = 3;
    cpu->gpr[R_EDI] = DATA + 0x20000;
    cr_assert_eq(RUN(0xF3, 0x66, 0xAB), -1);
    cr_assert_eq(h_read32(cpu, DATA + 0x20000), 0xC3D4C3D4u);
    cr_assert_eq(rd16(DATA + 0x20004), 0xC3D4u);
    cr_assert_eq(h_read8(cpu, DATA + 0x20006), 0);
    /* rep lodsb leaves the last element */
    cpu->gpr[R_ECX] = 3;
    cpu->gpr[R_ESI] = DATA;
    cr_assert_eq(RUN(0xF3, 0xAC), -1);
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, h_read8(cpu, DATA + 2));
}

Test(flow, rep_backwards)
{
    set_flags(FLAG_DF, 0);
    cpu->gpr[R_EAX] = 0xCAFEBABE;
    cpu->gpr[R_ECX] = 4;
    cpu->gpr[R_EDI] = DATA + 12;
    h_write32(cpu, DATA - 4, 0x01010101);
    cr_assert_eq(RUN(0xF3, 0xAB), -1);
    cr_assert_eq(cpu->gpr[R_EDI], DATA - 4);
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(h_read32(cpu, DATA + 4 * i), 0xCAFEBABEu);
    cr_assert_eq(h_read32(cpu, DATA - 4), 0x01010101u);
    fill(DATA + 0x1000, 0x2000, 9);
    cpu->gpr[R_ECX] = 0x1800;
    cpu->gpr[R_ESI] = DATA + 0x1000 + 0x17FF;
    cpu->gpr[R_EDI] = DATA + 0x6000 + 0x17FF;
    cr_assert_eq(RUN(0xF3, 0xA4), -1);
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x1000 - 1);
    for (unsigned i = 0; i < 0x1800; i++)
        cr_assert_eq(h_read8(cpu, DATA + 0x6000 + i), h_read8(cpu, DATA + 0x1000 + i));
}

/* REP MOVS between overlapping ranges has element-by-element semantics
 * (not memmove's): compare with a reference that does exactly that. */
static void ref_movs(uint8_t *m, uint32_t src, uint32_t dst, unsigned size, unsigned count,
                     bool df)
{
    for (unsigned k = 0; k < count; k++) {
        uint8_t t[4];
        memcpy(t, m + src, size);
        memcpy(m + dst, t, size);
        src += df ? -size : size;
        dst += df ? -size : size;
    }
}

Test(flow, rep_movs_overlapping_matches_element_semantics)
{
    enum { BASE = 0x30000, SPAN = 0x3000 };
    static uint8_t ref[SPAN];
    static const uint8_t movs[3][3] = { { 0xF3, 0xA4, HLT }, { 0xF3, 0x66, 0xA5 },
                                        { 0xF3, 0xA5, HLT } };
    uint32_t at[3];
    for (unsigned s = 0; s < 3; s++) {
        at[s] = next_addr();
        uint8_t code[4] = { movs[s][0], movs[s][1], movs[s][2], HLT };
        h_load(cpu, at[s], code, s == 1 ? 4 : 3);
    }
    static const unsigned counts[] = { 1, 3, 300, 1500 };
    for (unsigned s = 0; s < 3; s++) {
        unsigned size = s == 0 ? 1 : s == 1 ? 2 : 4;
        for (int dist = -9; dist <= 9; dist++) {
            for (unsigned df = 0; df < 2; df++) {
                for (unsigned c = 0; c < 4; c++) {
                    unsigned count = counts[c];
                    /* runs of up to 6000 bytes stay inside [BASE, BASE + SPAN)
                     * and cross pages */
                    uint32_t src = df ? 0x2F0D : 0x00F3;
                    uint32_t dst = (uint32_t)((int32_t)src + dist);
                    for (unsigned i = 0; i < SPAN; i++)
                        ref[i] = (uint8_t)(i * 13 + dist + 3 * df);
                    h_load(cpu, BASE, ref, SPAN);
                    ref_movs(ref, src, dst, size, count, df);
                    set_flags(df ? FLAG_DF : 0, FLAG_DF);
                    cpu->gpr[R_ECX] = count;
                    cpu->gpr[R_ESI] = BASE + src;
                    cpu->gpr[R_EDI] = BASE + dst;
                    cr_assert_eq(exec_at(at[s], 0), -1);
                    cr_assert_eq(cpu->gpr[R_ECX], 0u);
                    for (unsigned i = 0; i < SPAN; i++)
                        cr_assert_eq(h_read8(cpu, BASE + i), ref[i],
                                     "size %u dist %d df %u count %u: byte %u", size, dist, df,
                                     count, i);
                }
            }
        }
    }
}

Test(flow, repe_repne_compares)
{
    static const char a[] = "abcdXfgh", b[] = "abcdYfgh";
    h_load(cpu, DATA, a, 8);
    h_load(cpu, DATA + 0x100, b, 8);
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA + 0x100;
    cpu->gpr[R_ECX] = 8;
    cr_assert_eq(RUN(0xF3, 0xA6), -1);                  /* repe cmpsb */
    cr_assert_eq(cpu->gpr[R_ECX], 3u);
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 5);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x105);
    cr_assert_eq(arith() & (FLAG_ZF | FLAG_CF), FLAG_CF, "'X' < 'Y'");
    /* equal all the way: stops at count 0 with ZF set */
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA + 0x100;
    cpu->gpr[R_ECX] = 4;
    cr_assert_eq(RUN(0xF3, 0xA6), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert(arith() & FLAG_ZF);
    /* repne cmpsb stops at the first equal pair */
    cpu->gpr[R_ESI] = DATA + 4;
    cpu->gpr[R_EDI] = DATA + 0x104;
    cpu->gpr[R_ECX] = 10;
    cr_assert_eq(RUN(0xF2, 0xA6), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 8u);
    cr_assert(arith() & FLAG_ZF);
    /* repne scasb finds a zero */
    static const char z[] = "hello\0world";
    h_load(cpu, DATA + 0x200, z, sizeof z);
    cpu->gpr[R_EAX] = 0xFFFFFF00;
    cpu->gpr[R_EDI] = DATA + 0x200;
    cpu->gpr[R_ECX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0xF2, 0xAE), -1);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x206);
    cr_assert_eq(cpu->gpr[R_ECX], 0xFFFFFFFFu - 6);
    cr_assert(arith() & FLAG_ZF);
    /* repe scasd skips equal dwords */
    for (unsigned i = 0; i < 5; i++)
        h_write32(cpu, DATA + 0x300 + 4 * i, i < 3 ? 0x12345678u : 0x9u);
    cpu->gpr[R_EAX] = 0x12345678;
    cpu->gpr[R_EDI] = DATA + 0x300;
    cpu->gpr[R_ECX] = 5;
    cr_assert_eq(RUN(0xF3, 0xAF), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 1u);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x310);
    cr_assert_eq(arith() & FLAG_ZF, 0);
    /* 16-bit compare, backwards */
    set_flags(FLAG_DF, 0);
    wr16(DATA + 0x400, 0x8000);
    cpu->gpr[R_EAX] = 0x0001;
    cpu->gpr[R_EDI] = DATA + 0x400;
    cr_assert_eq(RUN(0x66, 0xAF), -1);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x3FE);
    cr_assert_eq(arith(), FLAG_CF | FLAG_OF | FLAG_SF, "0x0001 - 0x8000");
}

Test(flow, rep_with_16bit_addressing_wraps)
{
    for (unsigned i = 0; i < 4; i++)
        wr8(i < 2 ? 0xFFFE + i : i - 2, (uint8_t)(0xA0 + i));
    cpu->gpr[R_ESI] = 0x5555FFFE;
    cpu->gpr[R_EDI] = 0x66661000;
    cpu->gpr[R_ECX] = 0x77770004;
    cr_assert_eq(RUN(0x67, 0xF3, 0xA4), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0x77770000u);
    cr_assert_eq(cpu->gpr[R_ESI], 0x55550002u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x66661004u);
    cr_assert_eq(h_read32(cpu, 0x1000), 0xA3A2A1A0u);
    /* stosw with DI wrapping at 64K: no fault, upper EDI kept */
    seg_set_cache(&cpu->seg[SEG_ES], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_EDI] = 0xABCDFFFC;
    cpu->gpr[R_ECX] = 4;
    cpu->gpr[R_EAX] = 0xBEEF;
    cr_assert_eq(RUN(0x67, 0xF3, 0x66, 0xAB), -1);
    cr_assert_eq(cpu->gpr[R_EDI], 0xABCD0004u);
    cr_assert_eq(rd16(0x0002), 0xBEEFu);
}

Test(flow, rep_limit_fault_midway_is_restartable)
{
    seg_set_cache(&cpu->seg[SEG_ES], SEL_SMALL32, DATA, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_EAX] = 0x4444;
    cpu->gpr[R_EDI] = 0xFFF0;
    cpu->gpr[R_ECX] = 0x10;
    cr_assert_eq(RUN(0xF3, 0x66, 0xAB), EXC_GP);        /* rep stosw past ES's limit */
    cr_assert_eq(stk(0), 0u);
    cr_assert_eq(stk(1), last, "EIP stays on the instruction");
    cr_assert_eq(cpu->gpr[R_ECX], 8u, "8 words were stored");
    cr_assert_eq(cpu->gpr[R_EDI], 0x10000u);
    cr_assert_eq(rd16(DATA + 0xFFFE), 0x4444u);
    /* fix the segment and restart the same instruction: it completes */
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_DATA32, DATA, 0xFFFFFFFFu, FLAT_DATA);
    cpu->gpr[R_ESP] += 16;
    cr_assert_eq(exec_at(last, 0), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x10010u);
    cr_assert_eq(rd16(DATA + 0x1000E), 0x4444u);
    cr_assert_eq(rd16(DATA + 0x10010), 0u);
}

/* Identity paging over the 4 MiB of RAM with one page not present. */
#define PD 0x300000u
#define PT 0x301000u
static void paging_with_hole(uint32_t hole)
{
    h_write32(cpu, PD, PT | 0x7);
    for (uint32_t i = 0; i < 1024; i++)
        h_write32(cpu, PT + i * 4, (i << 12) == hole ? 0 : (i << 12) | 0x7);
    cpu->cr3 = PD;
    cpu->cr0 |= CR0_PG;
    cpu_paging_changed(cpu);
}

Test(flow, rep_page_fault_midway_reports_completed_elements)
{
    paging_with_hole(0x21000);
    fill(0x22000, 0x200, 5);
    cpu->gpr[R_ESI] = 0x22000;
    cpu->gpr[R_EDI] = 0x20F80;
    cpu->gpr[R_ECX] = 0x100;
    cr_assert_eq(RUN(0xF3, 0xA4), EXC_PF);
    cr_assert_eq(cpu->cr2, 0x21000u);
    cr_assert_eq(stk(0), 0x2u, "a supervisor write to a page not present");
    cr_assert_eq(stk(1), last);
    cr_assert_eq(cpu->gpr[R_ECX], 0x80u);
    cr_assert_eq(cpu->gpr[R_ESI], 0x22080u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x21000u);
    for (unsigned i = 0; i < 0x80; i++)
        cr_assert_eq(h_read8(cpu, 0x20F80 + i), h_read8(cpu, 0x22000 + i));
    /* the source side: dwords, the third one in the hole */
    cpu->gpr[R_ESP] = 0x90000;
    cpu->gpr[R_ESI] = 0x20FF8;
    cpu->gpr[R_EDI] = 0x23000;
    cpu->gpr[R_ECX] = 8;
    cr_assert_eq(RUN(0xF3, 0xA5), EXC_PF);
    cr_assert_eq(stk(0), 0x0u);
    cr_assert_eq(cpu->gpr[R_ECX], 6u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x23008u);
    /* a dword straddling into the hole: nothing done */
    cpu->gpr[R_ESP] = 0x90000;
    cpu->gpr[R_ESI] = 0x20FFE;
    cpu->gpr[R_ECX] = 8;
    cr_assert_eq(RUN(0xF3, 0xA5), EXC_PF);
    cr_assert_eq(cpu->cr2, 0x21000u);
    cr_assert_eq(cpu->gpr[R_ECX], 8u);
    cr_assert_eq(cpu->gpr[R_ESI], 0x20FFEu);
}

Test(flow, long_rep_is_interruptible_and_resumes)
{
    enum { COUNT = 20000 };
    set_flags(0, FLAG_IF);
    raise_intr();
    cpu->gpr[R_EAX] = 0x5A;
    cpu->gpr[R_EDI] = 0x40000;
    cpu->gpr[R_ECX] = COUNT;
    /* sti; rep stosb: the interrupt arrives between two chunks of the REP */
    cr_assert_eq(RUN(0xFB, 0xF3, 0xAA), 0x40);
    cr_assert_eq(stk(0), last + 1, "interrupted at the REP itself");
    uint32_t left = cpu->gpr[R_ECX];
    cr_assert(left > 0 && left < COUNT, "ECX = %u", left);
    cr_assert_eq(cpu->gpr[R_EDI], 0x40000u + COUNT - left);
    cr_assert_eq(h_read8(cpu, 0x40000 + COUNT - left - 1), 0x5A);
    cr_assert_eq(h_read8(cpu, 0x40000 + COUNT - left), 0);
    /* "IRET": resume at the REP */
    cpu->gpr[R_ESP] += 12;
    cr_assert_eq(exec_at(last + 1, 0), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    for (unsigned i = 0; i < COUNT; i++)
        cr_assert_eq(h_read8(cpu, 0x40000 + i), 0x5A);
    cr_assert_eq(h_read8(cpu, 0x40000 + COUNT), 0);
}

Test(flow, single_step_traps_after_each_rep_iteration)
{
    fill(DATA, 16, 1);
    set_flags(FLAG_TF, 0);
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = DATA + 0x100;
    cpu->gpr[R_ECX] = 3;
    cr_assert_eq(RUN(0xF3, 0xA4), EXC_DB);
    cr_assert_eq(stk(0), last, "EIP stays on the REP until the count runs out");
    cr_assert_eq(cpu->gpr[R_ECX], 2u);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x101);
    /* the last iteration traps past the instruction */
    cpu->gpr[R_ECX] = 1;
    cpu->gpr[R_ESP] = 0x90000;
    set_flags(FLAG_TF, 0);   /* the #DB gate cleared it */
    cr_assert_eq(RUN(0xF3, 0xA4), EXC_DB);
    cr_assert_eq(stk(0), last + 2);
}

Test(flow, data_breakpoint_stops_a_rep_after_the_hitting_iteration)
{
    cpu->dr[0] = DATA + 4;
    cpu->dr[7] = 0x1u | (0x1u << 16);   /* L0, write, 1 byte */
    cpu_update_debug_state(cpu);
    tlb_flush_all(cpu);
    cpu->gpr[R_EAX] = 0x33;
    cpu->gpr[R_EDI] = DATA;
    cpu->gpr[R_ECX] = 10;
    cr_assert_eq(RUN(0xF3, 0xAA), EXC_DB);
    cr_assert_eq(stk(0), last);
    cr_assert_eq(cpu->gpr[R_ECX], 5u);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 5);
    cr_assert(cpu->dr[6] & 1u, "B0");
    cr_assert_eq(h_read8(cpu, DATA + 5), 0);
}

Test(flow, rep_movs_over_code_is_seen_by_the_next_instruction)
{
    /* rep movsb copies "mov al, 0x77" over the two NOPs that follow it. */
    static const uint8_t patch[] = { 0xB0, 0x77 };
    h_load(cpu, DATA, patch, 2);
    uint32_t a = next_addr();
    static const uint8_t code[] = { 0xF3, 0xA4, NOP, NOP, HLT };
    h_load(cpu, a, code, sizeof code);
    cpu->gpr[R_EAX] = 0;
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_EDI] = a + 2;
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(exec_at(a, 0), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x77u);
}

/* ---------------- INS / OUTS ---------------- */

typedef struct FakePort {
    uint32_t next;
    unsigned reads, nw;
    uint32_t writes[64];
    unsigned sizes[64];
} FakePort;

static uint32_t fake_read(void *o, uint16_t port, unsigned size)
{
    (void)port;
    FakePort *f = o;
    f->reads++;
    uint32_t v = f->next;
    f->next += 0x01010101u;
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void fake_write(void *o, uint16_t port, unsigned size, uint32_t v)
{
    (void)port;
    FakePort *f = o;
    if (f->nw < 64) {
        f->sizes[f->nw] = size;
        f->writes[f->nw++] = v;
    }
}

static const PortOps fake_ops = { fake_read, fake_write, true };
static FakePort dev;

static void add_fake_port(void)
{
    memset(&dev, 0, sizeof dev);
    dev.next = 0x04030201;
    PortBus *bus = h_portbus(cpu);
    int s = portbus_add_slot(bus, "flowtest", &fake_ops, &dev);
    cr_assert(s >= 0);
    cr_assert(portbus_map(bus, s, 0x300, 4));
}

Test(flow, ins_outs)
{
    add_fake_port();
    cpu->gpr[R_EDX] = 0x300;
    cpu->gpr[R_EDI] = DATA;
    cr_assert_eq(RUN(0x6C), -1);                        /* insb */
    cr_assert_eq(h_read8(cpu, DATA), 0x01);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 1);
    cpu->gpr[R_ECX] = 3;
    cr_assert_eq(RUN(0xF3, 0x6D), -1);                  /* rep insd */
    cr_assert_eq(h_read32(cpu, DATA + 1), 0x05040302u);
    cr_assert_eq(h_read32(cpu, DATA + 9), 0x07060504u);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 13);
    cr_assert_eq(dev.reads, 4u);
    cr_assert_eq(RUN(0x66, 0x6D), -1);                  /* insw */
    cr_assert_eq(rd16(DATA + 13), 0x0605u);
    h_write32(cpu, DATA + 0x100, 0x44332211);
    h_write32(cpu, DATA + 0x104, 0x88776655);
    cpu->gpr[R_ESI] = DATA + 0x100;
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(RUN(0xF3, 0x66, 0x6F), -1);            /* rep outsw */
    cr_assert_eq(RUN(0x6E, 0x6F), -1);                  /* outsb; outsd */
    cr_assert_eq(dev.nw, 4u);
    cr_assert_eq(dev.writes[0], 0x2211u);
    cr_assert_eq(dev.sizes[0], 2u);
    cr_assert_eq(dev.writes[1], 0x4433u);
    cr_assert_eq(dev.writes[2], 0x55u);
    cr_assert_eq(dev.sizes[2], 1u);
    cr_assert_eq(dev.writes[3], 0x00887766u | (h_read8(cpu, DATA + 0x108) << 24));
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x109);
    /* outs takes a source override */
    seg_set_cache(&cpu->seg[SEG_FS], H_SEL_DATA32, 0x1000, 0xFFFFFFFFu, FLAT_DATA);
    wr8(0x1000 + DATA, 0xEE);
    cpu->gpr[R_ESI] = DATA;
    cr_assert_eq(RUN(0x64, 0x6E), -1);
    cr_assert_eq(dev.writes[4], 0xEEu);
    /* backwards */
    set_flags(FLAG_DF, 0);
    cpu->gpr[R_EDI] = DATA + 0x200;
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(RUN(0xF3, 0x6C), -1);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x1FE);
}

Test(flow, ins_checks_the_destination_before_reading_the_port)
{
    add_fake_port();
    seg_set_cache(&cpu->seg[SEG_ES], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_EDX] = 0x300;
    cpu->gpr[R_EDI] = DATA;
    cr_assert_eq(RUN(0x6C), EXC_GP);
    cr_assert_eq(dev.reads, 0u, "the port was not read");
    /* At CPL 3 with IOPL 0 and no I/O bitmap: #GP before anything. */
    enter_user();
    cpu->gpr[R_ESI] = DATA;
    cpu->gpr[R_ECX] = 5;
    cr_assert_eq(RUN(0xF3, 0x6E), EXC_GP);
    cr_assert_eq(dev.nw, 0u);
    cr_assert_eq(cpu->gpr[R_ECX], 5u);
}

Test(flow_real, rep_movsw_and_stosb_with_segment_bases)
{
    seg_load_real(cpu, SEG_DS, 0x1000);
    seg_load_real(cpu, SEG_ES, 0x2000);
    fill(0x10000 + 0x100, 0x400, 11);
    cpu->gpr[R_ESI] = 0x100;
    cpu->gpr[R_EDI] = 0x0FF0;   /* crosses a page at 0x21000 */
    cpu->gpr[R_ECX] = 0x200;
    cr_assert_eq(RUN(0xF3, 0xA5), -1);                  /* rep movsw */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_ESI], 0x500u);
    cr_assert_eq(cpu->gpr[R_EDI], 0x13F0u);
    for (unsigned i = 0; i < 0x400; i++)
        cr_assert_eq(h_read8(cpu, 0x20FF0 + i), h_read8(cpu, 0x10100 + i), "byte %u", i);
    set_flags(FLAG_DF, 0);
    cpu->gpr[R_EAX] = 0xEE;
    cpu->gpr[R_ECX] = 0x20;
    cr_assert_eq(RUN(0xF3, 0xAA), -1);                  /* rep stosb backwards */
    cr_assert_eq(cpu->gpr[R_EDI], 0x13D0u);
    cr_assert_eq(h_read8(cpu, 0x213F0), 0xEE);
    cr_assert_eq(h_read8(cpu, 0x213D1), 0xEE);
    cr_assert_eq(h_read8(cpu, 0x213D0), h_read8(cpu, 0x10100 + 0x3E0), "below the run: untouched");
}
