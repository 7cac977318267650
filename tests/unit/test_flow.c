/* SPDX-License-Identifier: MIT */
/* Data movement and control flow: cpu/ops_mov.c, cpu/ops_stack.c,
 * cpu/ops_branch.c and cpu/ops_flagctl.c (the string instructions are in
 * test_flow_string.c). Snippets avoid ALU opcodes, so a failure here points
 * at these families; see flow_util.h for how snippets run. */
#include "tests/unit/flow_util.h"

TestSuite(flow, .init = setup_pm, .fini = teardown);
TestSuite(flow_real, .init = setup_rm, .fini = teardown);

/* ====================================================================== */
/* MOV                                                                     */
/* ====================================================================== */

Test(flow, mov_register_and_memory_forms)
{
    cpu->gpr[R_EAX] = 0x11223344;
    cpu->gpr[R_EBX] = 0xAABBCCDD;
    cr_assert_eq(RUN(0x89, 0xD8), -1);                  /* mov eax, ebx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAABBCCDDu);
    cpu->gpr[R_EAX] = 0x11223344;
    cr_assert_eq(RUN(0x88, 0xE0), -1);                  /* mov al, ah */
    cr_assert_eq(cpu->gpr[R_EAX], 0x11223333u);
    cr_assert_eq(RUN(0x66, 0x89, 0xD8), -1);            /* mov ax, bx */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1122CCDDu);
    cr_assert_eq(RUN(0x89, 0x1D, D32(DATA)), -1);       /* mov [DATA], ebx */
    cr_assert_eq(h_read32(cpu, DATA), 0xAABBCCDDu);
    cr_assert_eq(RUN(0x88, 0x25, D32(DATA + 8)), -1);   /* mov [DATA+8], ah */
    cr_assert_eq(h_read8(cpu, DATA + 8), 0xCC);
    cr_assert_eq(RUN(0x66, 0x89, 0x1D, D32(DATA + 16)), -1);   /* mov [DATA+16], bx */
    cr_assert_eq(h_read32(cpu, DATA + 16), 0xCCDDu);
    h_write32(cpu, DATA + 32, 0x01020304);
    cr_assert_eq(RUN(0x8B, 0x0D, D32(DATA + 32)), -1);  /* mov ecx, [DATA+32] */
    cr_assert_eq(cpu->gpr[R_ECX], 0x01020304u);
    cpu->gpr[R_ECX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x66, 0x8B, 0x0D, D32(DATA + 32)), -1);   /* mov cx, [..] */
    cr_assert_eq(cpu->gpr[R_ECX], 0xFFFF0304u);
    cr_assert_eq(RUN(0x8A, 0x2D, D32(DATA + 33)), -1);  /* mov ch, [DATA+33] */
    cr_assert_eq(cpu->gpr[R_ECX], 0xFFFF0304u);
    cr_assert_eq(RUN(0x8A, 0x0D, D32(DATA + 35)), -1);  /* mov cl, [DATA+35] */
    cr_assert_eq(cpu->gpr[R_ECX], 0xFFFF0301u);
}

Test(flow, mov_moffs_and_immediates)
{
    h_write32(cpu, DATA, 0x89ABCDEF);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0xA0, D32(DATA + 1)), -1);         /* mov al, [moffs] */
    cr_assert_eq(cpu->gpr[R_EAX], 0xCDu);
    cr_assert_eq(RUN(0x66, 0xA1, D32(DATA + 2)), -1);   /* mov ax, [moffs] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x89ABu);
    cr_assert_eq(RUN(0xA1, D32(DATA)), -1);             /* mov eax, [moffs] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x89ABCDEFu);
    cr_assert_eq(RUN(0xA2, D32(DATA + 8)), -1);         /* mov [moffs], al */
    cr_assert_eq(RUN(0x66, 0xA3, D32(DATA + 12)), -1);  /* mov [moffs], ax */
    cr_assert_eq(RUN(0xA3, D32(DATA + 16)), -1);        /* mov [moffs], eax */
    cr_assert_eq(h_read32(cpu, DATA + 8), 0xEFu);
    cr_assert_eq(h_read32(cpu, DATA + 12), 0xCDEFu);
    cr_assert_eq(h_read32(cpu, DATA + 16), 0x89ABCDEFu);
    /* 16-bit address size: a 16-bit moffs (DS base 0 here). */
    h_write32(cpu, 0x1234 + 0x5000, 0x5A5A5A5A);
    cr_assert_eq(RUN(0x67, 0xA1, D16(0x6234)), -1);     /* mov eax, [0x6234] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x5A5A5A5Au);
    /* B0-BF and C6/C7 */
    cpu->gpr[R_EBX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0xB7, 0x12), -1);                  /* mov bh, 0x12 */
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFF12FFu);
    cr_assert_eq(RUN(0x66, 0xBB, D16(0x3456)), -1);     /* mov bx, 0x3456 */
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFF3456u);
    cr_assert_eq(RUN(0xBE, D32(0xCAFEBABE)), -1);       /* mov esi, imm32 */
    cr_assert_eq(cpu->gpr[R_ESI], 0xCAFEBABEu);
    cr_assert_eq(RUN(0xC6, 0xC3, 0x77), -1);            /* mov bl, 0x77 */
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFF3477u);
    cr_assert_eq(RUN(0xC7, 0xC3, D32(0x1)), -1);        /* mov ebx, 1 */
    cr_assert_eq(cpu->gpr[R_EBX], 1u);
    cr_assert_eq(RUN(0xC6, 0x05, D32(DATA + 20), 0x99), -1);   /* mov byte [..], 0x99 */
    cr_assert_eq(RUN(0x66, 0xC7, 0x05, D32(DATA + 24), D16(0x1234)), -1);
    cr_assert_eq(RUN(0xC7, 0x05, D32(DATA + 28), D32(0xDEADBEEF)), -1);
    cr_assert_eq(h_read32(cpu, DATA + 20), 0x99u);
    cr_assert_eq(h_read32(cpu, DATA + 24), 0x1234u);
    cr_assert_eq(h_read32(cpu, DATA + 28), 0xDEADBEEFu);
    /* C6 /1 does not exist. */
    cr_assert_eq(RUN(0xC6, 0x0D, D32(DATA), 0x01), EXC_UD);
}

Test(flow, mov_segment_registers)
{
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x8C, 0xD8), -1);                  /* mov eax, ds: zero-extended */
    cr_assert_eq(cpu->gpr[R_EAX], H_SEL_DATA32);
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x66, 0x8C, 0xD8), -1);            /* mov ax, ds */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF0000u | H_SEL_DATA32);
    h_write32(cpu, DATA, 0xFFFFFFFF);
    cr_assert_eq(RUN(0x8C, 0x0D, D32(DATA)), -1);       /* mov [DATA], cs: a word */
    cr_assert_eq(h_read32(cpu, DATA), 0xFFFF0000u | H_SEL_CODE32);
    cr_assert_eq(RUN(0x8C, 0xF0), EXC_UD);              /* sreg 6 */
    cr_assert_eq(RUN(0x8E, 0xC8), EXC_UD);              /* mov cs, ax */
    cr_assert_eq(RUN(0x8E, 0xF8), EXC_UD);              /* sreg 7 */
    cpu->gpr[R_EAX] = SEL_SMALL32;
    cr_assert_eq(RUN(0x8E, 0xE0), -1);                  /* mov fs, ax */
    cr_assert_eq(cpu->seg[SEG_FS].sel, SEL_SMALL32);
    cr_assert_eq(cpu->seg[SEG_FS].lim_hi, 0xFFFFu);
    wr16(DATA + 4, H_SEL_DATA32);
    cr_assert_eq(RUN(0x8E, 0x2D, D32(DATA + 4)), -1);   /* mov gs, [DATA+4] */
    cr_assert_eq(cpu->seg[SEG_GS].sel, H_SEL_DATA32);
    /* A bad selector faults through seg_load with its error code. */
    cpu->gpr[R_EAX] = H_SEL_TSS;
    cr_assert_eq(RUN(0x8E, 0xD8), EXC_GP);
    cr_assert_eq(stk(0), H_SEL_TSS);
    cr_assert_eq(cpu->seg[SEG_DS].sel, H_SEL_DATA32);
}

Test(flow, mov_ss_holds_off_interrupts_for_one_instruction)
{
    uint32_t a = next_addr();
    static const uint8_t code[] = { 0x8E, 0xD0, NOP, HLT };   /* mov ss, ax */
    h_load(cpu, a, code, sizeof code);
    cpu->gpr[R_EAX] = H_SEL_DATA32;
    h_run(cpu, a, 1);
    cr_assert_eq(cpu->eip, a + 2);
    cr_assert(cpu->inhibit_irq);
    /* With TF set, the trap comes after the instruction that follows. */
    cpu->inhibit_irq = false;
    set_flags(FLAG_TF, 0);
    cr_assert_eq(exec_at(a, a + 3), EXC_DB);
    cr_assert_eq(stk(0), a + 3, "the #DB is reported after the NOP");
}

Test(flow_real, mov_sreg_real_mode)
{
    cpu->gpr[R_EAX] = 0x1234;
    cr_assert_eq(RUN(0x8E, 0xC0), -1);                  /* mov es, ax */
    cr_assert_eq(cpu->seg[SEG_ES].sel, 0x1234);
    cr_assert_eq(cpu->seg[SEG_ES].base, 0x12340u);
}

/* ====================================================================== */
/* MOVZX / MOVSX / LEA / XCHG / NOPs                                       */
/* ====================================================================== */

Test(flow, movzx_movsx_all_forms)
{
    cpu->gpr[R_EBX] = 0x1234F080;
    cr_assert_eq(RUN(0x0F, 0xB6, 0xC3), -1);            /* movzx eax, bl */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80u);
    cr_assert_eq(RUN(0x0F, 0xBE, 0xC3), -1);            /* movsx eax, bl */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFF80u);
    cr_assert_eq(RUN(0x0F, 0xB6, 0xC7), -1);            /* movzx eax, bh */
    cr_assert_eq(cpu->gpr[R_EAX], 0xF0u);
    cr_assert_eq(RUN(0x0F, 0xB7, 0xC3), -1);            /* movzx eax, bx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xF080u);
    cr_assert_eq(RUN(0x0F, 0xBF, 0xC3), -1);            /* movsx eax, bx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFF080u);
    cpu->gpr[R_EAX] = 0xAAAA0000;
    cr_assert_eq(RUN(0x66, 0x0F, 0xB6, 0xC3), -1);      /* movzx ax, bl */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAA0080u);
    cr_assert_eq(RUN(0x66, 0x0F, 0xBE, 0xC3), -1);      /* movsx ax, bl */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAAFF80u);
    cr_assert_eq(RUN(0x66, 0x0F, 0xB7, 0xC3), -1);      /* movzx ax, bx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAAF080u);
    h_write32(cpu, DATA, 0x00008F81);
    cr_assert_eq(RUN(0x0F, 0xB6, 0x05, D32(DATA)), -1);          /* movzx eax, byte [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x81u);
    cr_assert_eq(RUN(0x0F, 0xBE, 0x05, D32(DATA)), -1);          /* movsx eax, byte [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFF81u);
    cr_assert_eq(RUN(0x0F, 0xB7, 0x05, D32(DATA)), -1);          /* movzx eax, word [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x8F81u);
    cr_assert_eq(RUN(0x0F, 0xBF, 0x05, D32(DATA)), -1);          /* movsx eax, word [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF8F81u);
    cpu->gpr[R_EAX] = 0x12340000;
    cr_assert_eq(RUN(0x66, 0x0F, 0xBE, 0x05, D32(DATA + 1)), -1); /* movsx ax, byte [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234FF8Fu);
    cr_assert_eq(RUN(0x66, 0x0F, 0xB6, 0x05, D32(DATA + 1)), -1); /* movzx ax, byte [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234008Fu);
    cr_assert_eq(RUN(0x66, 0x0F, 0xBF, 0x05, D32(DATA)), -1);     /* movsx ax, word [] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x12348F81u);
}

Test(flow, lea_forms)
{
    cpu->gpr[R_EBX] = 0x1000;
    cpu->gpr[R_ECX] = 0x20;
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x8D, 0x44, 0x8B, 0x10), -1);      /* lea eax, [ebx+ecx*4+0x10] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1090u);
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x66, 0x8D, 0x44, 0x8B, 0x10), -1);   /* lea ax, [...] */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF1090u);
    /* 16-bit addressing wraps at 64K and is zero-extended. */
    cpu->gpr[R_EBX] = 0x1FFF0;
    cpu->gpr[R_ESI] = 0x20;
    cr_assert_eq(RUN(0x67, 0x8D, 0x40, 0x10), -1);      /* lea eax, [bx+si+0x10] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x0020u);
    cr_assert_eq(RUN(0x8D, 0xC0), EXC_UD);              /* register form */
}

Test(flow, xchg_forms)
{
    cpu->gpr[R_EBX] = 0x11111111;
    cpu->gpr[R_ECX] = 0x22222222;
    cr_assert_eq(RUN(0x87, 0xD9), -1);                  /* xchg ecx, ebx */
    cr_assert_eq(cpu->gpr[R_EBX], 0x22222222u);
    cr_assert_eq(cpu->gpr[R_ECX], 0x11111111u);
    cpu->gpr[R_EAX] = 0x1234;
    cr_assert_eq(RUN(0x86, 0xE0), -1);                  /* xchg al, ah */
    cr_assert_eq(cpu->gpr[R_EAX], 0x3412u);
    cpu->gpr[R_EBX] = 0xAAAA0001;
    cpu->gpr[R_ECX] = 0xBBBB0002;
    cr_assert_eq(RUN(0x66, 0x87, 0xD9), -1);            /* xchg cx, bx */
    cr_assert_eq(cpu->gpr[R_EBX], 0xAAAA0002u);
    cr_assert_eq(cpu->gpr[R_ECX], 0xBBBB0001u);
    h_write32(cpu, DATA, 0xCAFEF00D);
    cr_assert_eq(RUN(0x87, 0x1D, D32(DATA)), -1);       /* xchg [DATA], ebx */
    cr_assert_eq(cpu->gpr[R_EBX], 0xCAFEF00Du);
    cr_assert_eq(h_read32(cpu, DATA), 0xAAAA0002u);
    cr_assert_eq(RUN(0x86, 0x25, D32(DATA)), -1);       /* xchg [DATA], ah */
    cr_assert_eq(cpu->gpr[R_EAX], 0x0212u);
    cr_assert_eq(h_read32(cpu, DATA), 0xAAAA0034u);
    cr_assert_eq(RUN(0x66, 0x87, 0x1D, D32(DATA)), -1);   /* xchg [DATA], bx */
    cr_assert_eq(cpu->gpr[R_EBX], 0xCAFE0034u);
    cr_assert_eq(h_read32(cpu, DATA), 0xAAAAF00Du);
    cpu->gpr[R_EAX] = 1;
    cpu->gpr[R_EDI] = 2;
    cr_assert_eq(RUN(0x97), -1);                        /* xchg eax, edi */
    cr_assert_eq(cpu->gpr[R_EAX], 2u);
    cr_assert_eq(cpu->gpr[R_EDI], 1u);
    cpu->gpr[R_EDI] = 0xFFFF0003;
    cr_assert_eq(RUN(0x66, 0x97), -1);                  /* xchg ax, di */
    cr_assert_eq(cpu->gpr[R_EAX], 3u);
    cr_assert_eq(cpu->gpr[R_EDI], 0xFFFF0002u);
    /* A write to a read-only segment faults with nothing exchanged. */
    seg_set_cache(&cpu->seg[SEG_FS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_EBX] = 5;
    cr_assert_eq(RUN(0x64, 0x87, 0x1D, D32(DATA)), EXC_GP);
    cr_assert_eq(cpu->gpr[R_EBX], 5u);
}

Test(flow, nops_do_not_touch_memory)
{
    uint32_t regs[8];
    memcpy(regs, cpu->gpr, sizeof regs);
    seg_set_cache(&cpu->seg[SEG_GS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cr_assert_eq(RUN(NOP, 0xF3, NOP, 0x66, NOP,          /* nop, pause, xchg ax,ax */
                     0x0F, 0x1F, 0x00,                   /* nop [eax] */
                     0x65, 0x0F, 0x1F, 0x05, D32(0x100000),   /* nop gs:[beyond limit] */
                     0x0F, 0x1F, 0xC0,                   /* nop eax */
                     0x65, 0x0F, 0x18, 0x05, D32(0x100000),   /* hint nop 0F 18 */
                     0x0F, 0x1E, 0xC8),                  /* hint nop 0F 1E */
                 -1);
    cr_assert_eq(memcmp(regs, cpu->gpr, sizeof regs), 0);
}

/* ====================================================================== */
/* CBW..CDQ, LAHF/SAHF, XLAT                                               */
/* ====================================================================== */

Test(flow, sign_extensions_of_the_accumulator)
{
    cpu->gpr[R_EAX] = 0x12348080;
    cr_assert_eq(RUN(0x66, 0x98), -1);                  /* cbw */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234FF80u);
    cr_assert_eq(RUN(0x98), -1);                        /* cwde */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFF80u);
    cpu->gpr[R_EDX] = 0x12345678;
    cr_assert_eq(RUN(0x99), -1);                        /* cdq */
    cr_assert_eq(cpu->gpr[R_EDX], 0xFFFFFFFFu);
    cpu->gpr[R_EAX] = 0x80007FFF;
    cr_assert_eq(RUN(0x66, 0x99), -1);                  /* cwd */
    cr_assert_eq(cpu->gpr[R_EDX], 0xFFFF0000u);
    cr_assert_eq(RUN(0x99), -1);
    cr_assert_eq(cpu->gpr[R_EDX], 0xFFFFFFFFu);
    cpu->gpr[R_EAX] = 0x7F;
    cr_assert_eq(RUN(0x66, 0x98), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x007Fu);
}

Test(flow, lahf_sahf)
{
    set_flags(FLAG_SF | FLAG_CF | FLAG_OF, FLAGS_ARITH);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x9F), -1);                        /* lahf */
    cr_assert_eq(cpu->gpr[R_EAX], (uint32_t)(FLAG_SF | FLAG_CF | 2) << 8);
    cpu->gpr[R_EAX] = (FLAG_ZF | FLAG_PF | FLAG_AF | 0x28) << 8;
    cr_assert_eq(RUN(0x9E), -1);                        /* sahf: OF stays */
    cr_assert_eq(arith(), FLAG_ZF | FLAG_PF | FLAG_AF | FLAG_OF);
}

Test(flow, xlat_both_address_sizes)
{
    for (unsigned i = 0; i < 256; i++)
        wr8(DATA + i, (uint8_t)(255 - i));
    cpu->gpr[R_EBX] = DATA;
    cpu->gpr[R_EAX] = 0xABCD0010;
    cr_assert_eq(RUN(0xD7), -1);                        /* xlatb */
    cr_assert_eq(cpu->gpr[R_EAX], 0xABCD00EFu);
    /* 16-bit: BX + AL wraps at 64K (DS base 0x10000 via the override). */
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_DATA32, 0x10000, 0xFFFFFFFFu, FLAT_DATA);
    wr8(0x10000 + 0x0005, 0x42);
    cpu->gpr[R_EBX] = 0x1FFF5;
    cpu->gpr[R_EAX] = 0x10;
    cr_assert_eq(RUN(0x67, 0x26, 0xD7), -1);            /* xlat es:[bx+al] */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFF, 0x42u);
}

/* ====================================================================== */
/* CMOVcc / SETcc / Jcc: every condition against a reference                */
/* ====================================================================== */

static bool cond_ref(uint32_t f, unsigned cc)
{
    bool cf = f & FLAG_CF, zf = f & FLAG_ZF, sf = f & FLAG_SF, of = f & FLAG_OF,
         pf = f & FLAG_PF, r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return r ^ (cc & 1);
}

/* The 32 combinations of CF ZF SF OF PF. */
static uint32_t combo_flags(unsigned i)
{
    return ((i & 1) ? FLAG_CF : 0) | ((i & 2) ? FLAG_ZF : 0) | ((i & 4) ? FLAG_SF : 0) |
           ((i & 8) ? FLAG_OF : 0) | ((i & 16) ? FLAG_PF : 0);
}

Test(flow, setcc_every_condition)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        uint8_t code[] = { 0x0F, (uint8_t)(0x90 + cc), 0xC4,                 /* setcc ah */
                           0x0F, (uint8_t)(0x90 + cc), 0x05, D32(DATA + cc), /* setcc [] */
                           HLT };
        uint32_t a = next_addr();
        h_load(cpu, a, code, sizeof code);
        for (unsigned i = 0; i < 32; i++) {
            set_flags(combo_flags(i), FLAGS_ARITH);
            cpu->gpr[R_EAX] = 0xFFFFFFFF;
            wr8(DATA + cc, 0x55);
            cr_assert_eq(exec_at(a, a + sizeof code - 1), -1);
            bool want = cond_ref(combo_flags(i), cc);
            cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF00FFu | (want ? 0x100u : 0), "cc %u flags %u",
                         cc, i);
            cr_assert_eq(h_read8(cpu, DATA + cc), want, "cc %u flags %u", cc, i);
            cr_assert_eq(arith(), combo_flags(i));
        }
    }
}

Test(flow, cmovcc_every_condition)
{
    h_write32(cpu, DATA, 0x600DF00D);
    for (unsigned cc = 0; cc < 16; cc++) {
        uint8_t code[] = { 0x0F, (uint8_t)(0x40 + cc), 0xC1,                   /* cmovcc eax, ecx */
                           0x66, 0x0F, (uint8_t)(0x40 + cc), 0xD9,             /* cmovcc bx, cx */
                           0x0F, (uint8_t)(0x40 + cc), 0x15, D32(DATA),        /* cmovcc edx, [] */
                           0x66, 0x0F, (uint8_t)(0x40 + cc), 0x35, D32(DATA),  /* cmovcc si, [] */
                           HLT };
        uint32_t a = next_addr();
        h_load(cpu, a, code, sizeof code);
        for (unsigned i = 0; i < 32; i++) {
            set_flags(combo_flags(i), FLAGS_ARITH);
            cpu->gpr[R_EAX] = 1;
            cpu->gpr[R_EBX] = 0x22220002;
            cpu->gpr[R_ECX] = 0x33330003;
            cpu->gpr[R_EDX] = 4;
            cpu->gpr[R_ESI] = 0x55550005;
            cr_assert_eq(exec_at(a, a + sizeof code - 1), -1);
            bool t = cond_ref(combo_flags(i), cc);
            cr_assert_eq(cpu->gpr[R_EAX], t ? 0x33330003u : 1u, "cc %u flags %u", cc, i);
            cr_assert_eq(cpu->gpr[R_EBX], t ? 0x22220003u : 0x22220002u);
            cr_assert_eq(cpu->gpr[R_EDX], t ? 0x600DF00Du : 4u);
            cr_assert_eq(cpu->gpr[R_ESI], t ? 0x5555F00Du : 0x55550005u);
        }
    }
}

Test(flow, cmov_reads_memory_even_when_false)
{
    seg_set_cache(&cpu->seg[SEG_GS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    set_flags(0, FLAG_ZF);
    cpu->gpr[R_EAX] = 7;
    cr_assert_eq(RUN(0x65, 0x0F, 0x44, 0x05, D32(0x20000)), EXC_GP);   /* cmove eax, gs:[] */
    cr_assert_eq(cpu->gpr[R_EAX], 7u);
    cr_assert_eq(RUN(0x65, 0x66, 0x0F, 0x44, 0x05, D32(0xFFFF)), EXC_GP);
}

Test(flow, jcc_every_condition_both_encodings)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        /* taken: skip one HLT and stop on the second */
        uint8_t short_form[] = { (uint8_t)(0x70 + cc), 0x01, HLT, HLT };
        uint8_t near_form[] = { 0x0F, (uint8_t)(0x80 + cc), D32(1), HLT, HLT };
        uint32_t a = next_addr(), b = next_addr();
        h_load(cpu, a, short_form, sizeof short_form);
        h_load(cpu, b, near_form, sizeof near_form);
        for (unsigned i = 0; i < 32; i++) {
            bool t = cond_ref(combo_flags(i), cc);
            set_flags(combo_flags(i), FLAGS_ARITH);
            cr_assert_eq(exec_at(a, 0), -1);
            cr_assert_eq(cpu->eip, a + (t ? 4 : 3), "cc %u flags %u", cc, i);
            cr_assert_eq(exec_at(b, 0), -1);
            cr_assert_eq(cpu->eip, b + (t ? 8 : 7), "cc %u flags %u", cc, i);
            cr_assert_eq(arith(), combo_flags(i));
        }
    }
}

/* Conditions after lazy flags from a compare (SCASB here). */
Test(flow, jcc_after_lazy_compare)
{
    static const struct { uint8_t al, mem; } cases[] = {
        { 1, 2 }, { 2, 1 }, { 5, 5 }, { 0x80, 0x7F }, { 0x7F, 0x80 }, { 0, 0xFF }, { 0xFF, 0 },
    };
    for (unsigned cc = 0; cc < 16; cc++) {
        uint8_t code[] = { 0xAE, (uint8_t)(0x70 + cc), 0x01, HLT, HLT };   /* scasb; jcc */
        uint32_t a = next_addr();
        h_load(cpu, a, code, sizeof code);
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            cpu->gpr[R_EAX] = cases[i].al;
            cpu->gpr[R_EDI] = DATA;
            wr8(DATA, cases[i].mem);
            cr_assert_eq(exec_at(a, 0), -1);
            uint32_t f = h_eflags(cpu);
            /* The reference: flags of AL - mem computed here. */
            uint8_t r = (uint8_t)(cases[i].al - cases[i].mem);
            uint32_t want = (cases[i].al < cases[i].mem ? FLAG_CF : 0) | (r == 0 ? FLAG_ZF : 0) |
                            ((r & 0x80) ? FLAG_SF : 0) |
                            ((((cases[i].al ^ cases[i].mem) & (cases[i].al ^ r)) & 0x80) ? FLAG_OF : 0) |
                            (__builtin_parity(r) ? 0 : FLAG_PF);
            cr_assert_eq(f & (FLAG_CF | FLAG_ZF | FLAG_SF | FLAG_OF | FLAG_PF), want);
            cr_assert_eq(cpu->eip, a + (cond_ref(want, cc) ? 5 : 4), "cc %u case %u", cc, i);
        }
    }
}

/* ====================================================================== */
/* BSWAP, CMPXCHG, CMPXCHG8B, XADD                                         */
/* ====================================================================== */

Test(flow, bswap)
{
    cpu->gpr[R_ECX] = 0x11223344;
    cr_assert_eq(RUN(0x0F, 0xC9), -1);                  /* bswap ecx */
    cr_assert_eq(cpu->gpr[R_ECX], 0x44332211u);
    cpu->gpr[R_EDI] = 0x11223344;
    cr_assert_eq(RUN(0x66, 0x0F, 0xCF), -1);            /* bswap di: P6 zeroes the word */
    cr_assert_eq(cpu->gpr[R_EDI], 0x11220000u);
}

Test(flow, cmpxchg_register_forms)
{
    cpu->gpr[R_EAX] = 5;
    cpu->gpr[R_ECX] = 5;
    cpu->gpr[R_EBX] = 9;
    cr_assert_eq(RUN(0x0F, 0xB1, 0xD9), -1);            /* cmpxchg ecx, ebx: equal */
    cr_assert_eq(cpu->gpr[R_ECX], 9u);
    cr_assert_eq(cpu->gpr[R_EAX], 5u);
    cr_assert_eq(arith(), FLAG_ZF | FLAG_PF);
    cr_assert_eq(RUN(0x0F, 0xB1, 0xD9), -1);            /* now 5 != 9 */
    cr_assert_eq(cpu->gpr[R_ECX], 9u);
    cr_assert_eq(cpu->gpr[R_EAX], 9u);
    cr_assert_eq(arith(), FLAG_CF | FLAG_SF | FLAG_AF | FLAG_PF, "flags of 5 - 9");
    cpu->gpr[R_EAX] = 0xFFFF1234;
    cpu->gpr[R_ECX] = 0xEEEE1234;
    cpu->gpr[R_EBX] = 0xDDDD5678;
    cr_assert_eq(RUN(0x66, 0x0F, 0xB1, 0xD9), -1);      /* cmpxchg cx, bx */
    cr_assert_eq(cpu->gpr[R_ECX], 0xEEEE5678u);
    cr_assert(arith() & FLAG_ZF);
    cpu->gpr[R_EAX] = 0x10;
    cpu->gpr[R_ECX] = 0x20;
    cr_assert_eq(RUN(0x0F, 0xB0, 0xD9), -1);            /* cmpxchg cl, bl */
    cr_assert_eq(cpu->gpr[R_EAX], 0x20u);
    cr_assert_eq(cpu->gpr[R_ECX], 0x20u);
    cr_assert_eq(arith(), FLAG_CF | FLAG_SF | FLAG_PF, "flags of 0x10 - 0x20");
}

Test(flow, cmpxchg_memory_success_and_failure)
{
    h_write32(cpu, DATA, 0x1234);
    cpu->gpr[R_EAX] = 0x1234;
    cpu->gpr[R_EBX] = 0xABCD;
    cr_assert_eq(RUN(0x0F, 0xB1, 0x1D, D32(DATA)), -1); /* cmpxchg [DATA], ebx */
    cr_assert_eq(h_read32(cpu, DATA), 0xABCDu);
    cr_assert(arith() & FLAG_ZF);
    cr_assert_eq(RUN(0x0F, 0xB1, 0x1D, D32(DATA)), -1); /* fails: EAX gets the value */
    cr_assert_eq(cpu->gpr[R_EAX], 0xABCDu);
    cr_assert_eq(h_read32(cpu, DATA), 0xABCDu);
    cr_assert_eq(arith() & FLAG_ZF, 0);
    h_write32(cpu, DATA + 4, 0x11223344);
    cpu->gpr[R_EAX] = 0x44;
    cr_assert_eq(RUN(0x0F, 0xB0, 0x3D, D32(DATA + 4)), -1);   /* cmpxchg [], bh */
    cr_assert_eq(h_read32(cpu, DATA + 4), 0x112233ABu);
    /* A P6 writes the destination on failure too: a read-only one faults,
     * and EAX is left alone. */
    seg_set_cache(&cpu->seg[SEG_FS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_EAX] = 0x1;
    cr_assert_eq(RUN(0x64, 0x0F, 0xB1, 0x1D, D32(DATA)), EXC_GP);
    cr_assert_eq(cpu->gpr[R_EAX], 1u);
}

Test(flow, cmpxchg8b)
{
    h_write32(cpu, DATA, 0x11111111);
    h_write32(cpu, DATA + 4, 0x22222222);
    cpu->gpr[R_EAX] = 0x11111111;
    cpu->gpr[R_EDX] = 0x22222222;
    cpu->gpr[R_EBX] = 0x33333333;
    cpu->gpr[R_ECX] = 0x44444444;
    set_flags(FLAG_CF | FLAG_SF, FLAGS_ARITH);
    cr_assert_eq(RUN(0x0F, 0xC7, 0x0D, D32(DATA)), -1); /* cmpxchg8b [DATA] */
    cr_assert_eq(h_read32(cpu, DATA), 0x33333333u);
    cr_assert_eq(h_read32(cpu, DATA + 4), 0x44444444u);
    cr_assert_eq(arith(), FLAG_CF | FLAG_SF | FLAG_ZF, "only ZF changes");
    cr_assert_eq(RUN(0x0F, 0xC7, 0x0D, D32(DATA)), -1); /* mismatch */
    cr_assert_eq(cpu->gpr[R_EAX], 0x33333333u);
    cr_assert_eq(cpu->gpr[R_EDX], 0x44444444u);
    cr_assert_eq(arith(), FLAG_CF | FLAG_SF);
    cr_assert_eq(RUN(0x0F, 0xC7, 0xC9), EXC_UD);        /* register form */
    cr_assert_eq(RUN(0x0F, 0xC7, 0x15, D32(DATA)), EXC_UD);   /* /2 */
}

Test(flow, xadd_forms)
{
    cpu->gpr[R_ECX] = 0xFFFFFFFF;
    cpu->gpr[R_EBX] = 1;
    cr_assert_eq(RUN(0x0F, 0xC1, 0xD9), -1);            /* xadd ecx, ebx */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFFFFFFu);
    cr_assert_eq(arith(), FLAG_CF | FLAG_ZF | FLAG_AF | FLAG_PF);
    cpu->gpr[R_EAX] = 3;
    cr_assert_eq(RUN(0x0F, 0xC1, 0xC0), -1);            /* xadd eax, eax: the sum wins */
    cr_assert_eq(cpu->gpr[R_EAX], 6u);
    cpu->gpr[R_ECX] = 0x7F;
    cpu->gpr[R_EBX] = 0x01;
    cr_assert_eq(RUN(0x0F, 0xC0, 0xD9), -1);            /* xadd cl, bl */
    cr_assert_eq(cpu->gpr[R_ECX], 0x80u);
    cr_assert_eq(cpu->gpr[R_EBX], 0x7Fu);
    cr_assert_eq(arith(), FLAG_OF | FLAG_SF | FLAG_AF);
    h_write32(cpu, DATA, 0x00010002);
    cpu->gpr[R_EBX] = 0xFFFF0010;
    cr_assert_eq(RUN(0x66, 0x0F, 0xC1, 0x1D, D32(DATA)), -1);   /* xadd [DATA], bx */
    cr_assert_eq(h_read32(cpu, DATA), 0x00010012u);
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFF0002u);
    cpu->gpr[R_EBX] = 0x10;
    cr_assert_eq(RUN(0x0F, 0xC1, 0x1D, D32(DATA)), -1);   /* xadd [DATA], ebx */
    cr_assert_eq(h_read32(cpu, DATA), 0x00010022u);
    cr_assert_eq(cpu->gpr[R_EBX], 0x00010012u);
    cr_assert_eq(RUN(0x0F, 0xC0, 0x3D, D32(DATA)), -1);   /* xadd [DATA], bh */
    cr_assert_eq(h_read32(cpu, DATA), 0x00010022u + 0x00);
}

/* ====================================================================== */
/* LDS LES LSS LFS LGS                                                      */
/* ====================================================================== */

Test(flow, far_pointer_loads)
{
    h_write32(cpu, DATA, 0x12345678);
    wr16(DATA + 4, SEL_SMALL32);
    cr_assert_eq(RUN(0xC5, 0x05, D32(DATA)), -1);       /* lds eax, [DATA] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x12345678u);
    cr_assert_eq(cpu->seg[SEG_DS].sel, SEL_SMALL32);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_DATA32, 0, 0xFFFFFFFFu, FLAT_DATA);
    cr_assert_eq(RUN(0xC4, 0x1D, D32(DATA)), -1);       /* les ebx, [DATA] */
    cr_assert_eq(cpu->seg[SEG_ES].sel, SEL_SMALL32);
    cr_assert_eq(cpu->gpr[R_EBX], 0x12345678u);
    cr_assert_eq(RUN(0x0F, 0xB4, 0x0D, D32(DATA)), -1); /* lfs ecx */
    cr_assert_eq(cpu->seg[SEG_FS].sel, SEL_SMALL32);
    cr_assert_eq(RUN(0x0F, 0xB5, 0x15, D32(DATA)), -1); /* lgs edx */
    cr_assert_eq(cpu->seg[SEG_GS].sel, SEL_SMALL32);
    cr_assert_eq(cpu->gpr[R_EDX], 0x12345678u);
    /* 16-bit: offset word, selector right after it. */
    wr16(DATA + 8, 0xBEEF);
    wr16(DATA + 10, H_SEL_DATA32);
    cpu->gpr[R_ESI] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x66, 0x0F, 0xB4, 0x35, D32(DATA + 8)), -1);   /* lfs si */
    cr_assert_eq(cpu->gpr[R_ESI], 0xFFFFBEEFu);
    cr_assert_eq(cpu->seg[SEG_FS].sel, H_SEL_DATA32);
    /* LSS loads SS:ESP; unlike MOV SS it opens no interrupt shadow. */
    h_write32(cpu, DATA + 16, 0x8000);
    wr16(DATA + 20, H_SEL_DATA32);
    cr_assert_eq(RUN(0x0F, 0xB2, 0x25, D32(DATA + 16)), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    cr_assert(!cpu->inhibit_irq);
    /* Register forms are #UD; a bad selector faults with nothing loaded. */
    cr_assert_eq(RUN(0xC5, 0xC0), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0xB2, 0xC0), EXC_UD);
    wr16(DATA + 4, H_SEL_TSS);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0xC5, 0x05, D32(DATA)), EXC_GP);
    cr_assert_eq(stk(0), H_SEL_TSS);
    cr_assert_eq(cpu->gpr[R_EAX], 0u);
}

Test(flow_real, lds_les_real_mode)
{
    h_write32(cpu, 0x9000, 0x56781234);
    cr_assert_eq(RUN(0xC4, 0x36, D16(0x9000)), -1);     /* les si, [0x9000] */
    cr_assert_eq(cpu->gpr[R_ESI] & 0xFFFF, 0x1234u);
    cr_assert_eq(cpu->seg[SEG_ES].sel, 0x5678);
    cr_assert_eq(cpu->seg[SEG_ES].base, 0x56780u);
    cr_assert_eq(RUN(0xC5, 0x3E, D16(0x9000)), -1);     /* lds di, [0x9000] */
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x56780u);
}

/* ====================================================================== */
/* Stack                                                                    */
/* ====================================================================== */

Test(flow, push_pop_registers)
{
    cpu->gpr[R_EBX] = 0xB0B0B0B0;
    cr_assert_eq(RUN(0x53, 0x54, 0x66, 0x53), -1);      /* push ebx; push esp; push bx */
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 10);
    cr_assert_eq(h_read32(cpu, 0x8FFFC), 0xB0B0B0B0u);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), 0x8FFFCu, "PUSH ESP pushes the value before");
    cr_assert_eq(rd16(0x8FFF6), 0xB0B0u);
    cr_assert_eq(RUN(0x66, 0x59, 0x5A, 0x5F), -1);      /* pop cx; pop edx; pop edi */
    cr_assert_eq(cpu->gpr[R_ECX] & 0xFFFF, 0xB0B0u);
    cr_assert_eq(cpu->gpr[R_EDX], 0x8FFFCu);
    cr_assert_eq(cpu->gpr[R_EDI], 0xB0B0B0B0u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    h_write32(cpu, 0x90000, 0x12345678);
    cr_assert_eq(RUN(0x5C), -1);                        /* pop esp: the popped value wins */
    cr_assert_eq(cpu->gpr[R_ESP], 0x12345678u);
}

Test(flow, push_immediates)
{
    cr_assert_eq(RUN(0x68, D32(0xDEADBEEF), 0x6A, 0xFF, 0x66, 0x6A, 0x80, 0x66, 0x68, D16(0x1234)),
                 -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 12);
    cr_assert_eq(h_read32(cpu, 0x8FFFC), 0xDEADBEEFu);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), 0xFFFFFFFFu, "6A sign-extends");
    cr_assert_eq(rd16(0x8FFF6), 0xFF80u);
    cr_assert_eq(rd16(0x8FFF4), 0x1234u);
}

Test(flow, pop_rm_and_push_rm)
{
    h_write32(cpu, 0x90000 - 8, 0x11111111);
    h_write32(cpu, 0x90000 - 4, 0x22222222);
    cpu->gpr[R_ESP] = 0x90000 - 8;
    /* pop [esp+4]: the address uses ESP after the pop, so the value lands
     * 8 bytes above the old top. */
    cr_assert_eq(RUN(0x8F, 0x44, 0x24, 0x04), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 4);
    cr_assert_eq(h_read32(cpu, 0x90000), 0x11111111u);
    cr_assert_eq(RUN(0x8F, 0x05, D32(DATA)), -1);       /* pop [DATA] */
    cr_assert_eq(h_read32(cpu, DATA), 0x22222222u);
    cr_assert_eq(RUN(0x66, 0x8F, 0xC3), -1);            /* pop bx (register form) */
    cr_assert_eq(cpu->gpr[R_ESP], 0x90002u);
    cr_assert_eq(RUN(0x8F, 0xC8), EXC_UD);              /* 8F /1 */
    /* push [esp+4] reads with ESP before the push. */
    cpu->gpr[R_ESP] = 0x90000;
    h_write32(cpu, 0x90004, 0xABCDEF01);
    cr_assert_eq(RUN(0xFF, 0x74, 0x24, 0x04), -1);
    cr_assert_eq(h_read32(cpu, 0x8FFFC), 0xABCDEF01u);
    cpu->gpr[R_EBX] = 0x5555AAAA;
    cr_assert_eq(RUN(0xFF, 0xF3, 0x66, 0xFF, 0xF3, 0x66, 0xFF, 0x35, D32(0x90004)), -1);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), 0x5555AAAAu);
    cr_assert_eq(rd16(0x8FFF6), 0xAAAAu);
    cr_assert_eq(rd16(0x8FFF4), 0xEF01u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFF4u);
    /* A faulting store leaves ESP alone. */
    seg_set_cache(&cpu->seg[SEG_FS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cr_assert_eq(RUN(0x64, 0x8F, 0x05, D32(DATA)), EXC_GP);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFF4u - 16, "the frame sits on the untouched stack");
}

Test(flow, push_pop_segment_registers)
{
    h_write32(cpu, 0x8FFFC, 0xFFFFFFFF);
    cr_assert_eq(RUN(0x1E), -1);                        /* push ds (32-bit) */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFFCu);
    cr_assert_eq(rd16(0x8FFFC), H_SEL_DATA32);
    cr_assert_eq(RUN(0x0E, 0x16, 0x06, 0x0F, 0xA0, 0x0F, 0xA8, 0x66, 0x1E), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFFCu - 22);
    cr_assert_eq(rd16(0x8FFF8), H_SEL_CODE32);
    cr_assert_eq(rd16(0x8FFE6), H_SEL_DATA32);
    /* pop es; pop fs; pop gs with a selector of our own */
    cpu->gpr[R_ESP] = 0x80000;
    h_write32(cpu, 0x80000, SEL_SMALL32);
    h_write32(cpu, 0x80004, SEL_SMALL32);
    h_write32(cpu, 0x80008, SEL_SMALL32);
    wr16(0x8000C, SEL_SMALL32);
    cr_assert_eq(RUN(0x07, 0x0F, 0xA1, 0x0F, 0xA9, 0x66, 0x1F), -1);
    cr_assert_eq(cpu->seg[SEG_ES].sel, SEL_SMALL32);
    cr_assert_eq(cpu->seg[SEG_FS].sel, SEL_SMALL32);
    cr_assert_eq(cpu->seg[SEG_GS].sel, SEL_SMALL32);
    cr_assert_eq(cpu->seg[SEG_DS].sel, SEL_SMALL32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000Eu);
    /* A bad selector: #GP(sel) with ESP unchanged. */
    h_write32(cpu, 0x8000E, H_SEL_TSS);
    cr_assert_eq(RUN(0x1F), EXC_GP);
    cr_assert_eq(stk(0), H_SEL_TSS);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000Eu - 16);
    /* pop ss opens the interrupt shadow. */
    uint32_t a = next_addr();
    static const uint8_t pop_ss[] = { 0x17, NOP, HLT };
    h_load(cpu, a, pop_ss, sizeof pop_ss);
    cpu->gpr[R_ESP] = 0x80000;
    h_write32(cpu, 0x80000, H_SEL_DATA32);
    h_run(cpu, a, 1);
    cr_assert(cpu->inhibit_irq);
    cr_assert_eq(cpu->gpr[R_ESP], 0x80004u);
}

Test(flow, pop_checks_the_whole_operand_against_the_stack_limit)
{
    seg_set_cache(&cpu->seg[SEG_SS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_ESP] = 0xFFFE;
    cpu->gpr[R_EAX] = 0x1234;
    cr_assert_eq(RUN(0x58), EXC_SS);                    /* pop eax: 4 bytes at FFFE */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234u);
    cr_assert_eq(cpu->gpr[R_ESP], 0xFFFEu - 16);
    cpu->gpr[R_ESP] = 0xFFFE;
    cr_assert_eq(RUN(0x1F), EXC_SS);                    /* pop ds: a 32-bit pop too */
    cr_assert_eq(cpu->gpr[R_ESP], 0xFFFEu - 16);
    cpu->gpr[R_ESP] = 0xFFFE;
    cr_assert_eq(RUN(0x66, 0x58), -1);                  /* pop ax fits */
    cr_assert_eq(cpu->gpr[R_ESP], 0x10000u);
}

Test(flow, pusha_popa)
{
    for (unsigned r = 0; r < 8; r++)
        cpu->gpr[r] = 0x11111111u * (r + 1);
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RUN(0x60), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 32);
    for (unsigned r = 0; r < 8; r++)
        cr_assert_eq(h_read32(cpu, 0x90000 - 4 - 4 * r), r == R_ESP ? 0x90000u : 0x11111111u * (r + 1));
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            cpu->gpr[r] = 0;
    h_write32(cpu, 0x90000 - 20, 0xDEAD);   /* the saved ESP is ignored */
    cr_assert_eq(RUN(0x61), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            cr_assert_eq(cpu->gpr[r], 0x11111111u * (r + 1));
    /* 16-bit forms touch only the low words. */
    cr_assert_eq(RUN(0x66, 0x60), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 16);
    cr_assert_eq(rd16(0x90000 - 2), 0x1111u);
    cr_assert_eq(rd16(0x90000 - 10), 0x0000u, "SP before the pushes");
    cr_assert_eq(rd16(0x90000 - 16), 0x8888u);
    wr16(0x90000 - 16, 0x1234);   /* DI */
    cr_assert_eq(RUN(0x66, 0x61), -1);
    cr_assert_eq(cpu->gpr[R_EDI], 0x88881234u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
}

Test(flow, pusha_popa_faults_leave_esp)
{
    seg_set_cache(&cpu->seg[SEG_SS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_ESP] = 0x14;   /* 32 bytes below would wrap beyond the limit */
    cr_assert_eq(RUN(0x60), EXC_SS);
    cr_assert_eq(cpu->gpr[R_ESP], 0x14u - 16);
    cr_assert_eq(stk(1), last);
    cpu->gpr[R_ESP] = 0xFFF0;
    cpu->gpr[R_EAX] = 0xA;
    cr_assert_eq(RUN(0x61), EXC_SS);
    cr_assert_eq(cpu->gpr[R_ESP], 0xFFF0u - 16);
    cr_assert_eq(cpu->gpr[R_EAX], 0xAu);
}

Test(flow, enter_leave_32)
{
    cpu->gpr[R_ESP] = 0x90000;
    cpu->gpr[R_EBP] = 0x8F000;
    h_write32(cpu, 0x8EFFC, 0xAAAA0001);
    h_write32(cpu, 0x8EFF8, 0xAAAA0002);
    cr_assert_eq(RUN(0xC8, D16(8), 3), -1);             /* enter 8, 3 */
    cr_assert_eq(h_read32(cpu, 0x8FFFC), 0x8F000u);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), 0xAAAA0001u);
    cr_assert_eq(h_read32(cpu, 0x8FFF4), 0xAAAA0002u);
    cr_assert_eq(h_read32(cpu, 0x8FFF0), 0x8FFFCu);
    cr_assert_eq(cpu->gpr[R_EBP], 0x8FFFCu);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFE8u);
    cr_assert_eq(RUN(0xC9), -1);                        /* leave */
    cr_assert_eq(cpu->gpr[R_EBP], 0x8F000u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert_eq(RUN(0xC8, D16(0x10), 0), -1);          /* enter 0x10, 0 */
    cr_assert_eq(cpu->gpr[R_EBP], 0x8FFFCu);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFECu);
    cr_assert_eq(RUN(0xC8, D16(0), 1), -1);             /* enter 0, 1: pushes the frame */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFE4u);
    cr_assert_eq(h_read32(cpu, 0x8FFE4), 0x8FFE8u);
    cr_assert_eq(cpu->gpr[R_EBP], 0x8FFE8u);
    /* Nesting level is taken modulo 32: 33 behaves as 1. */
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RUN(0xC8, D16(0), 33), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 8);
}

Test(flow, enter_faults_before_committing)
{
    seg_set_cache(&cpu->seg[SEG_SS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_ESP] = 0x8000;
    cpu->gpr[R_EBP] = 0x1234;
    cr_assert_eq(RUN(0xC8, D16(0x9000), 0), EXC_SS);    /* ESP would leave the segment */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u - 16);
    cr_assert_eq(cpu->gpr[R_EBP], 0x1234u);
}

Test(flow_real, enter_leave_16)
{
    cpu->gpr[R_ESP] = 0x8000;
    cpu->gpr[R_EBP] = 0xABCD7000;
    wr16(0x6FFE, 0x5151);
    cr_assert_eq(RUN(0xC8, D16(4), 2), -1);             /* enter 4, 2 */
    cr_assert_eq(rd16(0x7FFE), 0x7000u);
    cr_assert_eq(rd16(0x7FFC), 0x5151u);
    cr_assert_eq(rd16(0x7FFA), 0x7FFEu);
    cr_assert_eq(cpu->gpr[R_EBP], 0xABCD7FFEu);
    cr_assert_eq(cpu->gpr[R_ESP], 0x7FF6u);
    cr_assert_eq(RUN(0xC9), -1);
    cr_assert_eq(cpu->gpr[R_EBP], 0xABCD7000u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
}

Test(flow_real, push_pop_pusha_16)
{
    cpu->gpr[R_EAX] = 0x12345678;
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x50, 0x66, 0x50, 0x1E, 0x0E), -1);   /* push ax; push eax; push ds; push cs */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u - 10);
    cr_assert_eq(rd16(0x7FFE), 0x5678u);
    cr_assert_eq(h_read32(cpu, 0x7FFA), 0x12345678u);
    /* SP wraps within 64K, ESP's upper half stays. */
    cpu->gpr[R_ESP] = 0xFFFF0000;
    cr_assert_eq(RUN(0x50), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0xFFFFFFFEu);
    cr_assert_eq(rd16(0xFFFE), 0x5678u);
    cr_assert_eq(RUN(0x5B), -1);                        /* pop bx */
    cr_assert_eq(cpu->gpr[R_ESP], 0xFFFF0000u);
    cr_assert_eq(cpu->gpr[R_EBX] & 0xFFFF, 0x5678u);
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x60, 0x61), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
}

/* ---------------- PUSHF / POPF ---------------- */

Test(flow, pushf_popf_at_cpl0)
{
    set_flags(FLAG_CF | FLAG_RF, FLAG_IF);
    cr_assert_eq(RUN(0x9C), -1);                        /* pushfd: RF and VM read as 0 */
    cr_assert_eq(h_read32(cpu, 0x8FFFC), 0x2u | FLAG_CF);
    h_write32(cpu, 0x8FFFC, FLAG_IOPL | FLAG_IF | FLAG_ZF | FLAG_VM | FLAG_VIF | FLAG_VIP |
                                FLAG_RF | FLAG_AC | FLAG_ID);
    cr_assert_eq(RUN(0x9D), -1);
    uint32_t f = h_eflags(cpu);
    cr_assert_eq(f & (FLAG_IOPL | FLAG_IF | FLAG_ZF | FLAG_AC | FLAG_ID),
                 FLAG_IOPL | FLAG_IF | FLAG_ZF | FLAG_AC | FLAG_ID);
    cr_assert_eq(f & (FLAG_VM | FLAG_VIF | FLAG_VIP | FLAG_RF | FLAG_CF), 0);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    /* 16-bit POPF leaves the upper half (AC, ID) alone. */
    wr16(0x8FFFE, FLAG_CF);
    cpu->gpr[R_ESP] = 0x8FFFE;
    cr_assert_eq(RUN(0x66, 0x9D), -1);
    f = h_eflags(cpu);
    cr_assert_eq(f & (FLAG_CF | FLAG_IF | FLAG_IOPL | FLAG_AC | FLAG_ID),
                 FLAG_CF | FLAG_AC | FLAG_ID);
    cr_assert_eq(RUN(0x66, 0x9C), -1);
    cr_assert_eq(rd16(0x8FFFE), 0x2u | FLAG_CF);
}

Test(flow, popf_that_sets_tf_traps_after_the_next_instruction)
{
    h_write32(cpu, 0x8FFFC, FLAG_TF);
    cpu->gpr[R_ESP] = 0x8FFFC;
    cr_assert_eq(RUN(0x9D, NOP), EXC_DB);
    cr_assert_eq(stk(0), last + 2, "#DB after the NOP, not after POPF");
}

Test(flow, popf_setting_if_takes_a_pending_interrupt_at_once)
{
    set_flags(0, FLAG_IF);
    raise_intr();
    h_write32(cpu, 0x8FFFC, FLAG_IF);
    cpu->gpr[R_ESP] = 0x8FFFC;
    cr_assert_eq(RUN(0x9D, NOP, NOP), 0x40);
    cr_assert_eq(stk(0), last + 1, "no shadow after POPF");
    cr_assert_eq(acked, 1);
}

Test(flow_real, pushf_popf_real_mode)
{
    set_flags(FLAG_CF, FLAG_IF | FLAG_IOPL);
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x9C), -1);
    cr_assert_eq(rd16(0x7FFE), 0x2u | FLAG_CF);
    wr16(0x7FFE, FLAG_IF | FLAG_IOPL | FLAG_DF);
    cr_assert_eq(RUN(0x9D), -1);                        /* real mode: CPL 0 rules */
    cr_assert_eq(h_eflags(cpu) & (FLAG_IF | FLAG_IOPL | FLAG_DF | FLAG_CF),
                 FLAG_IF | FLAG_IOPL | FLAG_DF);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
}

/* The frame a CPL-3 snippet's final HLT left on the ring-0 stack:
 * error code, EIP, CS, EFLAGS, ESP, SS. */
static uint32_t user_eflags(void)
{
    return stk(3);
}

Test(flow, popf_at_cpl3_keeps_iopl_and_if)
{
    enter_user();
    set_flags(0, FLAG_IF | FLAG_IOPL);
    h_write32(cpu, 0x80000, FLAG_IF | FLAG_IOPL | FLAG_CF | FLAG_DF);
    cr_assert_eq(RUN(0x9D), -1);
    uint32_t f = user_eflags();
    cr_assert_eq(f & (FLAG_IF | FLAG_IOPL | FLAG_CF | FLAG_DF), FLAG_CF | FLAG_DF);
}

Test(flow, popf_at_cpl3_with_iopl3_changes_if_not_iopl)
{
    enter_user();
    set_flags(FLAG_IOPL, FLAG_IF);
    h_write32(cpu, 0x80000, FLAG_IF);
    cr_assert_eq(RUN(0x9D), -1);
    cr_assert_eq(user_eflags() & (FLAG_IF | FLAG_IOPL), FLAG_IF | FLAG_IOPL);
}

Test(flow, popf_and_pushf_in_v86_without_vme)
{
    enter_v86(0);   /* IOPL 0 */
    cr_assert_eq(RUN(0x9C), EXC_GP);
    cr_assert_eq(stk(1), last - 0x5000, "at the PUSHF");
    enter_v86(0);
    cr_assert_eq(RUN(0x9D), EXC_GP);
    cr_assert_eq(stk(4), 0x0FFEu, "SP unchanged");
    /* IOPL 3: POPF works but cannot change IOPL; a 32-bit PUSHF is fine. */
    enter_v86(FLAG_IOPL);
    cpu->gpr[R_ESP] = 0x0FFC;
    wr16(0x7000 + 0x0FFC, FLAG_IF | FLAG_CF);
    cr_assert_eq(RUN(0x9D, 0x66, 0x9C), -1);           /* popf; pushfd */
    uint32_t f = user_eflags();
    cr_assert_eq(f & (FLAG_IF | FLAG_IOPL | FLAG_CF | FLAG_VM), FLAG_IF | FLAG_IOPL | FLAG_VM | FLAG_CF);
    cr_assert_eq(h_read32(cpu, 0x7000 + 0x0FFA) & (FLAG_IF | FLAG_IOPL | FLAG_CF | FLAG_VM | FLAG_RF),
                 FLAG_IF | FLAG_IOPL | FLAG_CF, "PUSHFD clears VM in the image");
}

static void setup_vme(void)
{
    cpu->cr4 |= CR4_VME;
}

Test(flow, pushf_popf_in_v86_with_vme)
{
    setup_vme();
    enter_v86(FLAG_VIF);   /* IOPL 0, IF 0, VIF 1 */
    cr_assert_eq(RUN(0x9C), -1);                        /* pushf: IF = VIF, IOPL 3 */
    uint16_t img = rd16(0x7000 + 0x0FFC);
    cr_assert_eq(img & (FLAG_IF | FLAG_IOPL), FLAG_IF | FLAG_IOPL);
    enter_v86(FLAG_VIF);
    cr_assert_eq(RUN(0x66, 0x9C), EXC_GP);              /* pushfd: #GP */
    /* popf: IF goes to VIF; IOPL and IF stay. */
    enter_v86(FLAG_VIF);
    h_write32(cpu, 0x7000 + 0x0FFE - 2, 0);
    cpu->gpr[R_ESP] = 0x0FFC;
    wr16(0x7000 + 0x0FFC, FLAG_IOPL | FLAG_CF);
    cr_assert_eq(RUN(0x9D), -1);
    uint32_t f = user_eflags();
    cr_assert_eq(f & (FLAG_VIF | FLAG_IF | FLAG_IOPL | FLAG_CF), FLAG_CF);
    enter_v86(0);
    cpu->gpr[R_ESP] = 0x0FFC;
    wr16(0x7000 + 0x0FFC, FLAG_IF);
    cr_assert_eq(RUN(0x9D), -1);
    cr_assert_eq(user_eflags() & (FLAG_VIF | FLAG_IF), FLAG_VIF);
    /* TF set, or IF set with VIP pending, is #GP. */
    enter_v86(0);
    cpu->gpr[R_ESP] = 0x0FFC;
    wr16(0x7000 + 0x0FFC, FLAG_TF);
    cr_assert_eq(RUN(0x9D), EXC_GP);
    cr_assert_eq(stk(4), 0x0FFCu);
    enter_v86(FLAG_VIP);
    cpu->gpr[R_ESP] = 0x0FFC;
    wr16(0x7000 + 0x0FFC, FLAG_IF);
    cr_assert_eq(RUN(0x9D), EXC_GP);
    enter_v86(0);
    cr_assert_eq(RUN(0x66, 0x9D), EXC_GP);              /* popfd: #GP */
}

/* ---------------- flag control ---------------- */

Test(flow, clc_stc_cmc_cld_std)
{
    set_flags(FLAG_ZF, FLAGS_ARITH | FLAG_DF);
    cr_assert_eq(RUN(0xF9), -1);
    cr_assert_eq(arith(), FLAG_ZF | FLAG_CF);
    cr_assert_eq(RUN(0xF5), -1);
    cr_assert_eq(arith(), FLAG_ZF);
    cr_assert_eq(RUN(0xF5, 0xF5, 0xF8), -1);
    cr_assert_eq(arith(), FLAG_ZF);
    cr_assert_eq(RUN(0xFD), -1);
    cr_assert(h_eflags(cpu) & FLAG_DF);
    cr_assert_eq(RUN(0xFC), -1);
    cr_assert_eq(h_eflags(cpu) & FLAG_DF, 0);
    /* CMC after a lazy compare: CF of 1 - 2 is set, so CMC clears it. */
    cpu->gpr[R_EAX] = 1;
    cpu->gpr[R_EDI] = DATA;
    wr8(DATA, 2);
    cr_assert_eq(RUN(0xAE, 0xF5), -1);
    cr_assert_eq(arith() & FLAG_CF, 0);
    cr_assert(arith() & FLAG_SF);
}

Test(flow, sti_shadow_and_pending_interrupt)
{
    set_flags(0, FLAG_IF);
    raise_intr();
    cr_assert_eq(RUN(0xFB, NOP, NOP), 0x40);            /* sti; nop; nop */
    cr_assert_eq(stk(0), last + 2, "one instruction runs in the STI shadow");
    cr_assert_eq(acked, 1);
    /* STI with IF already set opens no shadow. */
    uint32_t a = next_addr();
    static const uint8_t sti[] = { 0xFB, HLT };
    h_load(cpu, a, sti, sizeof sti);
    set_flags(FLAG_IF, 0);
    cpu->inhibit_irq = false;
    h_run(cpu, a, 1);
    cr_assert(!cpu->inhibit_irq);
    set_flags(0, FLAG_IF);
    h_run(cpu, a, 1);
    cr_assert(cpu->inhibit_irq);
    cr_assert(h_eflags(cpu) & FLAG_IF);
}

Test(flow, cli_sti_privilege)
{
    set_flags(FLAG_IF, 0);
    cr_assert_eq(RUN(0xFA), -1);
    cr_assert_eq(h_eflags(cpu) & FLAG_IF, 0);
    enter_user();
    set_flags(FLAG_IF, FLAG_IOPL);
    cr_assert_eq(RUN(0xFA), EXC_GP);
    cr_assert_eq(stk(1), last);
    enter_user();
    set_flags(FLAG_IF, FLAG_IOPL);
    cr_assert_eq(RUN(0xFB), EXC_GP);
    enter_user();
    set_flags(FLAG_IOPL | FLAG_IF, 0);
    cr_assert_eq(RUN(0xFA), -1);
    cr_assert_eq(user_eflags() & FLAG_IF, 0);
}

Test(flow, cli_sti_with_pvi_at_cpl3)
{
    cpu->cr4 |= CR4_PVI;
    enter_user();
    set_flags(FLAG_IF | FLAG_VIF, FLAG_IOPL);
    cr_assert_eq(RUN(0xFA), -1);                        /* cli: VIF */
    cr_assert_eq(user_eflags() & (FLAG_IF | FLAG_VIF), FLAG_IF);
    enter_user();
    set_flags(FLAG_IF, FLAG_IOPL | FLAG_VIF);
    cr_assert_eq(RUN(0xFB), -1);                        /* sti: VIF */
    cr_assert_eq(user_eflags() & (FLAG_IF | FLAG_VIF), FLAG_IF | FLAG_VIF);
    enter_user();
    set_flags(FLAG_VIP, FLAG_IOPL | FLAG_VIF);
    cr_assert_eq(RUN(0xFB), EXC_GP, "STI with a virtual interrupt pending");
}

Test(flow, cli_sti_in_v86)
{
    enter_v86(FLAG_IF);
    cr_assert_eq(RUN(0xFA), EXC_GP);                    /* IOPL 0, no VME */
    setup_vme();
    enter_v86(FLAG_IF | FLAG_VIF);
    cr_assert_eq(RUN(0xFA), -1);
    cr_assert_eq(user_eflags() & (FLAG_IF | FLAG_VIF), FLAG_IF);
    enter_v86(FLAG_IF);
    cr_assert_eq(RUN(0xFB), -1);
    cr_assert_eq(user_eflags() & (FLAG_IF | FLAG_VIF), FLAG_IF | FLAG_VIF);
    enter_v86(FLAG_VIP);
    cr_assert_eq(RUN(0xFB), EXC_GP);
    enter_v86(FLAG_IOPL | FLAG_IF);
    cr_assert_eq(RUN(0xFA), -1);
    cr_assert_eq(user_eflags() & FLAG_IF, 0);
}

/* ====================================================================== */
/* Branches                                                                 */
/* ====================================================================== */

Test(flow, jmp_call_ret_near)
{
    /* jmp short to the E9 at 4, whose target is 4 + 5 + 3 = 12 */
    cr_assert_eq(RAW(0xEB, 0x02, HLT, HLT, 0xE9, D32(3), HLT, HLT, HLT, HLT), -1);
    cr_assert_eq(end_off(), 13);
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RAW(0xE8, D32(2), HLT, HLT, 0xC3), -1);    /* call 7; 7: ret */
    cr_assert_eq(end_off(), 6, "returned to the first HLT");
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert_eq(RAW(0x68, D32(0x11111111),                  /* push a parameter */
                     0xE8, D32(2), HLT, HLT,                 /* call 12 */
                     0xC2, D16(4)),                          /* ret 4 */
                 -1);
    cr_assert_eq(end_off(), 11);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    /* jmp rel8 backwards */
    cr_assert_eq(RAW(0xEB, 0x01, HLT, 0xEB, 0xFD), -1);     /* jmp 3; 3: jmp 2 */
    cr_assert_eq(end_off(), 3);
}

Test(flow, indirect_near_call_and_jmp)
{
    uint32_t a = next_addr();
    static const uint8_t target[] = { HLT };
    h_load(cpu, a, target, 1);
    cpu->gpr[R_EAX] = a;
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RUN(0xFF, 0xD0), -1);                  /* call eax */
    cr_assert_eq(cpu->eip, a + 1);
    cr_assert_eq(h_read32(cpu, 0x8FFFC), last + 2);
    h_write32(cpu, DATA, a);
    cr_assert_eq(RUN(0xFF, 0x25, D32(DATA)), -1);       /* jmp [DATA] */
    cr_assert_eq(cpu->eip, a + 1);
    cr_assert_eq(RUN(0xFF, 0x15, D32(DATA)), -1);       /* call [DATA] */
    cr_assert_eq(cpu->eip, a + 1);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), last + 6);
    cpu->gpr[R_EBX] = a;
    cr_assert_eq(RUN(0xFF, 0xE3), -1);                  /* jmp ebx */
    cr_assert_eq(cpu->eip, a + 1);
    /* call [esp]: the operand is read before the push */
    cpu->gpr[R_ESP] = 0x90000;
    h_write32(cpu, 0x90000, a);
    cr_assert_eq(RUN(0xFF, 0x14, 0x24), -1);
    cr_assert_eq(cpu->eip, a + 1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8FFFCu);
    cr_assert_eq(RUN(0xFF, 0xD8), EXC_UD);              /* call far register */
    cr_assert_eq(RUN(0xFF, 0xE8), EXC_UD);              /* jmp far register */
    cr_assert_eq(RUN(0xFF, 0xF8), EXC_UD);              /* FF /7 */
}

Test(flow, branches_with_16bit_operand_size_truncate_eip)
{
    static const uint8_t jmp8[] = { 0x66, 0xEB, 0x10 };
    static const uint8_t jmp16[] = { 0x66, 0xE9, D16(0x20) };
    static const uint8_t jz16[] = { 0x66, 0x0F, 0x84, D16(0x30) };
    static const uint8_t call16[] = { 0x66, 0xE8, D16(0x40) };
    static const uint8_t ret16[] = { 0x66, 0xC3 };
    static const uint8_t jmp_ax[] = { 0x66, 0xFF, 0xE0 };
    static const uint8_t hlt[] = { HLT };
    put(0x1F000, jmp8, sizeof jmp8);
    put(0xF013, hlt, 1);
    cr_assert_eq(exec_at(0x1F000, 0), -1);
    cr_assert_eq(cpu->eip, 0xF014u);
    put(0x1F100, jmp16, sizeof jmp16);
    put(0xF124, hlt, 1);
    cr_assert_eq(exec_at(0x1F100, 0), -1);
    cr_assert_eq(cpu->eip, 0xF125u);
    put(0x1F200, jz16, sizeof jz16);
    put(0xF235, hlt, 1);
    set_flags(FLAG_ZF, 0);
    cr_assert_eq(exec_at(0x1F200, 0), -1);
    cr_assert_eq(cpu->eip, 0xF236u);
    /* call pushes a 16-bit IP; ret pops 16 bits */
    put(0x1F300, call16, sizeof call16);
    put(0xF344, ret16, sizeof ret16);
    put(0xF304, hlt, 1);
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(exec_at(0x1F300, 0), -1);
    cr_assert_eq(cpu->eip, 0xF305u);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert_eq(rd16(0x8FFFE), 0xF304u);
    put(0x1F400, jmp_ax, sizeof jmp_ax);
    put(0xF400, hlt, 1);
    cpu->gpr[R_EAX] = 0x1234F400;
    cr_assert_eq(exec_at(0x1F400, 0), -1);
    cr_assert_eq(cpu->eip, 0xF401u);
}

Test(flow, loop_family)
{
    cpu->gpr[R_ECX] = 5;
    cr_assert_eq(RUN(0xE2, 0xFE), -1);                  /* loop $ */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cpu->gpr[R_ECX] = 0x12340003;
    cr_assert_eq(RUN(0x67, 0xE2, 0xFD), -1);            /* loop $ with CX */
    cr_assert_eq(cpu->gpr[R_ECX], 0x12340000u);
    cpu->gpr[R_ECX] = 0x00010000;                       /* CX = 0: 65536 turns */
    cr_assert_eq(RUN(0x67, 0xE2, 0xFD), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0x00010000u);
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0xE2, 0xFE), -1);                  /* 1 -> 0: not taken */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    set_flags(FLAG_ZF, 0);
    cpu->gpr[R_ECX] = 3;
    cr_assert_eq(RUN(0xE1, 0xFE), -1);                  /* loope: ZF = 1 keeps going */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cpu->gpr[R_ECX] = 3;
    cr_assert_eq(RUN(0xE0, 0xFE), -1);                  /* loopne: stops at once */
    cr_assert_eq(cpu->gpr[R_ECX], 2u);
    set_flags(0, FLAG_ZF);
    cr_assert_eq(RUN(0xE1, 0xFE), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 1u);
    cpu->gpr[R_ECX] = 4;
    cr_assert_eq(RUN(0xE0, 0xFE), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    /* jecxz / jcxz */
    cpu->gpr[R_ECX] = 0;
    cr_assert_eq(RAW(0xE3, 0x01, HLT, HLT), -1);
    cr_assert_eq(end_off(), 4);
    cpu->gpr[R_ECX] = 0x10000;
    cr_assert_eq(RAW(0xE3, 0x01, HLT, HLT), -1);
    cr_assert_eq(end_off(), 3, "ECX != 0");
    cr_assert_eq(RAW(0x67, 0xE3, 0x01, HLT, HLT), -1);
    cr_assert_eq(end_off(), 5, "CX == 0");
    cr_assert_eq(cpu->gpr[R_ECX], 0x10000u, "JCXZ does not count");
}

Test(flow_real, loop_uses_cx_or_ecx_by_address_size)
{
    cpu->gpr[R_ECX] = 0xABCD0002;
    cr_assert_eq(RUN(0xE2, 0xFE), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0xABCD0000u);
    cpu->gpr[R_ECX] = 0x00010001;
    cr_assert_eq(RUN(0x67, 0xE2, 0xFD), -1);            /* ECX in real mode */
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    cpu->gpr[R_ECX] = 0x10000;
    cr_assert_eq(RAW(0xE3, 0x01, HLT, HLT), -1);        /* jcx z: CX = 0 */
    cr_assert_eq(end_off(), 4);
}

Test(flow_real, near_branches_and_ip_wrap)
{
    seg_load_real(cpu, SEG_CS, 0x1000);
    static const uint8_t wrap[] = { 0xEB, 0x20 };
    static const uint8_t hlt[] = { HLT };
    put(0x1FFF0, wrap, sizeof wrap);
    put(0x10012, hlt, 1);
    cr_assert_eq(exec_at(0x1FFF0, 0), -1);
    cr_assert_eq(cpu->eip, 0x13u, "IP wrapped within the segment");
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x10000u);
    seg_load_real(cpu, SEG_CS, 0);
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RAW(0xE8, D16(2), HLT, HLT, 0xC3), -1);   /* call 5; ret */
    cr_assert_eq(end_off(), 4);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    cr_assert_eq(RAW(0x50, 0xE8, D16(2), HLT, HLT, 0xC2, D16(2)), -1);
    cr_assert_eq(end_off(), 5);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
}

Test(flow_real, near_target_beyond_cs_limit_is_gp_before_anything_changes)
{
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x66, 0xE9, D32(0x10000)), EXC_GP);
    cr_assert_eq(stk16(0), last & 0xFFFF, "IP of the jump");
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u - 6);
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x66, 0xE8, D32(0x10000)), EXC_GP);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u - 6, "nothing pushed");
    cpu->gpr[R_ESP] = 0x7FFC;
    h_write32(cpu, 0x7FFC, 0x00012345);
    cr_assert_eq(RUN(0x66, 0xC3), EXC_GP);
    cr_assert_eq(cpu->gpr[R_ESP], 0x7FFCu - 6, "nothing popped");
    /* An o32 LOOP near the end of the segment: #GP, the count kept. */
    seg_load_real(cpu, SEG_CS, 0x1000);
    static const uint8_t loop32[] = { 0x66, 0xE2, 0x7F };
    put(0x1FFF0, loop32, sizeof loop32);
    cpu->gpr[R_ESP] = 0x8000;
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(exec_at(0x1FFF0, 0), EXC_GP);
    cr_assert_eq(cpu->gpr[R_ECX], 2u, "the count is not decremented");
}

/* ---------------- far transfers ---------------- */

Test(flow_real, far_call_jmp_ret)
{
    static const uint8_t callee[] = { 0xB8, D16(0x1234), 0xCB };   /* mov ax, 0x1234; retf */
    static const uint8_t callee4[] = { 0xCA, D16(4) };             /* retf 4 */
    static const uint8_t callee32[] = { 0x66, 0xCB };              /* o32 retf */
    static const uint8_t hlt[] = { HLT };
    put(0x6010, callee, sizeof callee);
    put(0x6020, hlt, 1);
    put(0x6030, callee4, sizeof callee4);
    put(0x6040, callee32, sizeof callee32);
    cpu->gpr[R_ESP] = 0x8000;
    cr_assert_eq(RUN(0x9A, D16(0x0010), D16(0x0600)), -1);   /* call 0600:0010 */
    cr_assert_eq(cpu->gpr[R_EAX] & 0xFFFF, 0x1234u);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    cr_assert_eq(end_off(), 6);
    cr_assert_eq(RUN(0xEA, D16(0x0020), D16(0x0600)), -1);   /* jmp 0600:0020 */
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x0600);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x6000u);
    cr_assert_eq(cpu->eip, 0x21u);
    seg_load_real(cpu, SEG_CS, 0);
    cr_assert_eq(RUN(0x50, 0x50, 0x9A, D16(0x0030), D16(0x0600)), -1);   /* retf 4 */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    cr_assert_eq(RUN(0x66, 0x9A, D32(0x0040), D16(0x0600)), -1);          /* o32 call */
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    cr_assert_eq(h_read32(cpu, 0x7FF8), last + 8, "a 32-bit return EIP was pushed");
    /* Through memory: FF /3 and FF /5 with m16:16. */
    wr16(0x9000, 0x0010);
    wr16(0x9002, 0x0600);
    cr_assert_eq(RUN(0xFF, 0x1E, D16(0x9000)), -1);     /* call far [0x9000] */
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000u);
    wr16(0x9000, 0x0020);
    cr_assert_eq(RUN(0xFF, 0x2E, D16(0x9000)), -1);     /* jmp far [0x9000] */
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x0600);
}

Test(flow, far_call_jmp_ret_same_privilege)
{
    /* 16-bit code at 0x6000 in the harness's 16-bit code segment. */
    static const uint8_t callee[] = { 0xB8, D16(0x1234), 0x66, 0xCB };   /* mov ax; o32 retf */
    static const uint8_t callee8[] = { 0x66, 0xCA, D16(8) };             /* o32 retf 8 */
    static const uint8_t hlt[] = { HLT };
    put(0x6000, callee, sizeof callee);
    put(0x6040, callee8, sizeof callee8);
    put(0x6100, hlt, 1);
    cpu->gpr[R_ESP] = 0x90000;
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cr_assert_eq(RUN(0x9A, D32(0x6000), D16(H_SEL_CODE16)), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF1234u);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE32);
    cr_assert(cpu->code32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert_eq(h_read32(cpu, 0x8FFFC), H_SEL_CODE32);
    cr_assert_eq(h_read32(cpu, 0x8FFF8), last + 7);
    cr_assert_eq(RUN(0x6A, 1, 0x6A, 2, 0x9A, D32(0x6040), D16(H_SEL_CODE16)), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u, "RETF 8 dropped the parameters");
    /* m16:32 through memory */
    h_write32(cpu, DATA, 0x6000);
    wr16(DATA + 4, H_SEL_CODE16);
    cr_assert_eq(RUN(0xFF, 0x1D, D32(DATA)), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert(cpu->code32);
    /* far jumps */
    uint32_t a = next_addr();
    h_load(cpu, a, hlt, 1);
    cr_assert_eq(RUN(0xEA, D32(a), D16(H_SEL_CODE32)), -1);
    cr_assert_eq(cpu->eip, a + 1);
    h_write32(cpu, DATA, 0x6100);
    cr_assert_eq(RUN(0xFF, 0x2D, D32(DATA)), -1);       /* jmp far [DATA] */
    cr_assert(!cpu->code32);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE16);
    cr_assert_eq(cpu->eip, 0x6101u);
}

Test(flow, far_transfer_to_a_data_segment_faults)
{
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RUN(0x9A, D32(0), D16(H_SEL_DATA32)), EXC_GP);
    cr_assert_eq(stk(0), H_SEL_DATA32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u - 16, "only the exception frame");
}
