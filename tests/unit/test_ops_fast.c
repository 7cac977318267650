/* SPDX-License-Identifier: MIT */
/* The decode-time specialised handlers of cpu/ops_fast.c: each form gives
 * what the general handler gives, the segment checks still happen when a
 * segment register changed after the block was decoded, and the slow paths
 * (page crossings, 16-bit stacks, flags from any producer) still run. */
#include "tests/unit/flow_util.h"

TestSuite(ops_fast, .init = setup_pm, .fini = teardown);

#define SMALL16_DATA (DESC_P | DESC_S | 0x3)   /* 16-bit data, B = 0 */

Test(ops_fast, loads_in_base_disp_and_sib_forms)
{
    h_write32(cpu, DATA + 0x40, 0x8899AABB);
    cpu->gpr[R_EBX] = DATA;
    cpu->gpr[R_ESI] = 0x10;
    cr_assert_eq(RUN(0x8B, 0x43, 0x40), -1);                 /* mov eax, [ebx+0x40] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x8899AABBu);
    cr_assert_eq(RUN(0x8B, 0x4C, 0xB3, 0x00), -1);           /* mov ecx, [ebx+esi*4] */
    cr_assert_eq(cpu->gpr[R_ECX], 0x8899AABBu);
    cr_assert_eq(RUN(0x0F, 0xB6, 0x53, 0x41), -1);           /* movzx edx, byte [ebx+0x41] */
    cr_assert_eq(cpu->gpr[R_EDX], 0xAAu);
    cr_assert_eq(RUN(0x0F, 0xB7, 0x54, 0xB3, 0x02), -1);     /* movzx edx, word [ebx+esi*4+2] */
    cr_assert_eq(cpu->gpr[R_EDX], 0x8899u);
    cpu->gpr[R_EDX] = 0x11223344;
    cr_assert_eq(RUN(0x8A, 0x73, 0x43), -1);                 /* mov dh, [ebx+0x43] */
    cr_assert_eq(cpu->gpr[R_EDX], 0x11228844u);
    /* 16-bit addressing takes the general form: [bx+si] wraps at 64 KiB. */
    cpu->gpr[R_EBX] = 0x15FF0;
    cpu->gpr[R_ESI] = 0x10;
    h_write32(cpu, 0x6000, 0x5A5A5A5A);
    cr_assert_eq(RUN(0x67, 0x8B, 0x00), -1);                 /* mov eax, [bx+si] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x5A5A5A5Au);
    /* LEA: [base+disp], SIB, and the 16-bit wrap of [bx+si]. */
    cr_assert_eq(RUN(0x8D, 0x4B, 0xF0), -1);                 /* lea ecx, [ebx-0x10] */
    cr_assert_eq(cpu->gpr[R_ECX], 0x15FE0u);
    cr_assert_eq(RUN(0x8D, 0x4C, 0x73, 0x01), -1);           /* lea ecx, [ebx+esi*2+1] */
    cr_assert_eq(cpu->gpr[R_ECX], 0x16011u);
    cr_assert_eq(RUN(0x67, 0x8D, 0x08), -1);                 /* lea ecx, [bx+si] */
    cr_assert_eq(cpu->gpr[R_ECX], 0x6000u);
}

Test(ops_fast, alu_from_memory_sets_results_and_flags)
{
    h_write32(cpu, DATA, 5);
    cpu->gpr[R_EBX] = DATA;
    cpu->gpr[R_EAX] = 3;
    cr_assert_eq(RUN(0x3B, 0x03), -1);                       /* cmp eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 3u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF | FLAG_SF), FLAG_CF | FLAG_SF);
    cr_assert_eq(RUN(0x39, 0x03), -1);                       /* cmp [ebx], eax */
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF | FLAG_SF), 0u);
    cr_assert_eq(RUN(0x2B, 0x03), -1);                       /* sub eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFFEu);
    cr_assert_eq(RUN(0x03, 0x03), -1);                       /* add eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 3u);
    cr_assert(arith() & FLAG_CF);
    cr_assert_eq(RUN(0x33, 0x03), -1);                       /* xor eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 6u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF | FLAG_ZF), 0u);
    cr_assert_eq(RUN(0x23, 0x03), -1);                       /* and eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 4u);
    cr_assert_eq(RUN(0x0B, 0x03), -1);                       /* or eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 5u);
    cr_assert_eq(RUN(0x83, 0x7B, 0x00, 0xFF), -1);           /* cmp dword [ebx], -1 */
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF), FLAG_CF);
    cr_assert_eq(RUN(0x81, 0x3B, D32(5)), -1);               /* cmp dword [ebx], 5 */
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF), FLAG_ZF);
    cr_assert_eq(RUN(0x83, 0x43, 0x00, 0x01), -1);           /* add dword [ebx], 1 (not CMP) */
    cr_assert_eq(h_read32(cpu, DATA), 6u);
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0x85, 0x0B), -1);                       /* test [ebx], ecx */
    cr_assert(arith() & FLAG_ZF);
    cr_assert_eq(RUN(0xC7, 0x43, 0x04, D32(0xDEADBEEF)), -1); /* mov dword [ebx+4], imm */
    cr_assert_eq(h_read32(cpu, DATA + 4), 0xDEADBEEFu);
}

/* The block is decoded once with a flat DS; DS then gets a 64 KiB limit:
 * running the same decoded code again must fault, for loads and stores. */
Test(ops_fast, segment_loaded_after_decode_is_checked)
{
    const uint8_t code[] = { 0x8B, 0x43, 0x00, 0x89, 0x4B, 0x04, HLT };
    uint32_t at = next_addr();
    h_write32(cpu, DATA, 0xCAFEF00D);
    cpu->gpr[R_EBX] = DATA;
    cpu->gpr[R_ECX] = 0x12345678;
    cr_assert_eq(run_at(at, code, sizeof code), -1);         /* mov eax,[ebx]; mov [ebx+4],ecx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xCAFEF00Du);
    cr_assert_eq(h_read32(cpu, DATA + 4), 0x12345678u);
    seg_set_cache(&cpu->seg[SEG_DS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(exec_at(at, at + sizeof code - 1), EXC_GP); /* DATA is beyond the limit */
    cr_assert_eq(cpu->gpr[R_EAX], 0u);
    /* A read-only DS: the load runs, the store faults. */
    seg_set_cache(&cpu->seg[SEG_DS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_ECX] = 0x9ABCDEF0;
    cr_assert_eq(exec_at(at, at + sizeof code - 1), EXC_GP);
    cr_assert_eq(cpu->gpr[R_EAX], 0xCAFEF00Du);
    cr_assert_eq(h_read32(cpu, DATA + 4), 0x12345678u);
}

Test(ops_fast, accesses_across_a_page_take_the_slow_path)
{
    h_write32(cpu, DATA + 0xFFE, 0x44332211);
    cpu->gpr[R_EBX] = DATA + 0xF00;
    cr_assert_eq(RUN(0x8B, 0x83, D32(0xFE)), -1);            /* mov eax, [ebx+0xFE] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x44332211u);
    cpu->gpr[R_ECX] = 0xA1B2C3D4;
    cr_assert_eq(RUN(0x89, 0x8B, D32(0xFD)), -1);            /* mov [ebx+0xFD], ecx */
    cr_assert_eq(h_read32(cpu, DATA + 0xFFD), 0xA1B2C3D4u);
}

Test(ops_fast, stack_ops_with_a_16_bit_stack_wrap_sp)
{
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, DATA, 0xFFFF, SMALL16_DATA);
    cpu->stack32 = false;
    cpu->gpr[R_ESP] = 0xABCD0004;
    cpu->gpr[R_EAX] = 0x11223344;
    cr_assert_eq(RUN(0x50, 0x50), -1);                       /* push eax; push eax */
    cr_assert_eq(cpu->gpr[R_ESP], 0xABCDFFFCu);
    cr_assert_eq(h_read32(cpu, DATA + 0xFFFC), 0x11223344u);
    cr_assert_eq(RUN(0x5B), -1);                             /* pop ebx */
    cr_assert_eq(cpu->gpr[R_EBX], 0x11223344u);
    cr_assert_eq(cpu->gpr[R_ESP], 0xABCD0000u);
    /* A 4 GiB limit with B = 0: only the fast path's own stack32 test
     * keeps SP from moving the high half of ESP. */
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, DATA, 0xFFFFFFFFu, SMALL16_DATA | DESC_G);
    cpu->gpr[R_ESP] = 0x00010004;
    cpu->gpr[R_EAX] = 0x55667788;
    cr_assert_eq(RUN(0x50, 0x50), -1);                       /* push eax; push eax */
    cr_assert_eq(cpu->gpr[R_ESP], 0x0001FFFCu);
    cr_assert_eq(h_read32(cpu, DATA), 0x55667788u);
    cr_assert_eq(h_read32(cpu, DATA + 0xFFFC), 0x55667788u);
    cr_assert_eq(RUN(0x5B, 0x5B), -1);                       /* pop ebx; pop ebx */
    cr_assert_eq(cpu->gpr[R_ESP], 0x00010004u);
}

Test(ops_fast, push_pop_call_ret_on_a_flat_stack)
{
    cpu->gpr[R_ESP] = DATA + 0x100;
    cpu->gpr[R_EDX] = 0x600DF00D;
    /* push edx; call +1; (skipped: hlt); pop eax; pop ecx; push esp; pop esp */
    cr_assert_eq(RUN(0x52, 0xE8, D32(1), HLT, 0x58, 0x59, 0x54, 0x5C), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 0x600DF00Du);
    cr_assert_eq(cpu->gpr[R_EAX], last + 6);                 /* the return address */
    cr_assert_eq(cpu->gpr[R_ESP], DATA + 0x100);
    /* call to a RET: back after the CALL, stack balanced */
    cr_assert_eq(RUN(0xE8, D32(1), HLT, 0xC3), -1);
    cr_assert_eq(end_off(), 6u);                             /* after the HLT at 5 */
    cr_assert_eq(cpu->gpr[R_ESP], DATA + 0x100);
    /* RET to beyond the CS limit: #GP, ESP unchanged */
    seg_load_cs_checked(cpu, H_SEL_CODE32, 0, 0x7FFFFFFFu, cpu->seg[SEG_CS].flags, 0);
    h_write32(cpu, DATA + 0x100, 0x90000000u);
    cr_assert_eq(RUN(0xC3), EXC_GP);
}

Test(ops_fast, inc_dec_keep_cf_from_every_producer)
{
    cpu->gpr[R_EAX] = 0xFFFFFFFF;
    cpu->gpr[R_EBX] = 1;
    cr_assert_eq(RUN(0x01, 0xD8, 0x40), -1);                 /* add eax, ebx (CF=1); inc eax */
    cr_assert(arith() & FLAG_CF);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x29, 0xD8, 0x48), -1);                 /* sub eax, ebx (CF=1); dec eax */
    cr_assert(arith() & FLAG_CF);
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFFEu);
    cr_assert_eq(RUN(0x21, 0xD8, 0x40), -1);                 /* and (CF=0); inc eax */
    cr_assert_eq(arith() & FLAG_CF, 0u);
    cr_assert_eq(RUN(0xF9, 0x48, 0x40), -1);                 /* stc; dec eax; inc eax */
    cr_assert(arith() & FLAG_CF);
    cr_assert_eq(RUN(0xF9, 0xD1, 0xE0, 0x48), -1);           /* stc; shl eax,1 (CF=0); dec */
    cr_assert_eq(arith() & FLAG_CF, 0u);
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0x49), -1);                             /* dec ecx: ZF */
    cr_assert(arith() & FLAG_ZF);
}

/* The flat bit (SegCache.flat) lets the fast path skip the limit check and
 * the base: it must be set only for base 0 with every offset valid, and
 * only for the access kinds the segment allows. */
Test(ops_fast, flat_bit_only_for_base_0_and_4_gib)
{
    SegCache *ds = &cpu->seg[SEG_DS];
    seg_set_cache(ds, H_SEL_DATA32, 0, 0xFFFFFFFFu, FLAT_DATA);
    cr_assert_eq(ds->flat, SEG_ACC_READ | SEG_ACC_WRITE);
    seg_set_cache(ds, SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cr_assert_eq(ds->flat, SEG_ACC_READ);                    /* read-only: reads only */
    seg_set_cache(ds, H_SEL_DATA32, 0x1000, 0xFFFFFFFFu, FLAT_DATA);
    cr_assert_eq(ds->flat, 0);                               /* a base */
    seg_set_cache(ds, SEL_SMALL32, 0, 0xFFFFF, SMALL_DATA);
    cr_assert_eq(ds->flat, 0);                               /* a limit */
    /* Expand-down with limit 0: offsets 1..4 GiB-1, not flat. */
    seg_set_cache(ds, H_SEL_DATA32, 0, 0, FLAT_DATA | DESC_CONFORMING_OR_EXPDOWN);
    cr_assert_eq(ds->flat, 0);
    seg_set_cache(ds, 0, 0, 0xFFFFFFFFu, 0);                 /* null selector */
    cr_assert_eq(ds->flat, 0);
    /* A writer of access alone recomputes it (real mode's unreal segments). */
    seg_set_cache(ds, SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    seg_set_access(ds, SEG_ACC_READ | SEG_ACC_WRITE);
    cr_assert_eq(ds->flat, SEG_ACC_READ | SEG_ACC_WRITE);
}

/* Through a flat DS: an access that wraps past 4 GiB is beyond the limit
 * (#GP) and writes nothing; a read-only flat DS faults on stores; a DS
 * with a base adds it. */
Test(ops_fast, flat_segment_keeps_wrap_and_rights_checks)
{
    cpu->gpr[R_EBX] = 0xFFFFFFFEu;
    cpu->gpr[R_EAX] = 0x55;
    cr_assert_eq(RUN(0x8B, 0x03), EXC_GP);                   /* mov eax, [ebx] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x55u);
    cr_assert_eq(RUN(0x89, 0x0B), EXC_GP);                   /* mov [ebx], ecx */
    h_write32(cpu, DATA + 0x1010, 0x13572468);
    cpu->gpr[R_EBX] = DATA;
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_DATA32, 0x1000, 0xFFFFFFFFu, FLAT_DATA);
    cr_assert_eq(RUN(0x8B, 0x43, 0x10), -1);                 /* mov eax, [ebx+0x10] */
    cr_assert_eq(cpu->gpr[R_EAX], 0x13572468u);
    seg_set_cache(&cpu->seg[SEG_DS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_ECX] = 0x77;
    cr_assert_eq(RUN(0x89, 0x0B), EXC_GP);                   /* mov [ebx], ecx */
    cr_assert_eq(h_read32(cpu, DATA), 0u);
}

/* SHL/SHR/SAR r32 by 1 and by CL: results, CF and OF as the general group
 * 2 handler gives them; a count of 0 (CL 32 masks to 0) leaves the flags. */
Test(ops_fast, shifts_by_one_and_by_cl)
{
    cpu->gpr[R_EAX] = 0xC0000001u;
    cr_assert_eq(RUN(0xD1, 0xE0), -1);                       /* shl eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x80000002u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF | FLAG_SF), FLAG_CF | FLAG_SF);
    cr_assert_eq(RUN(0xD1, 0xE8), -1);                       /* shr eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x40000001u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), FLAG_OF);
    cpu->gpr[R_EAX] = 0x80000003u;
    cr_assert_eq(RUN(0xD1, 0xF8), -1);                       /* sar eax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xC0000001u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), FLAG_CF);
    cpu->gpr[R_ECX] = 36;                                    /* masks to 4 */
    cpu->gpr[R_EBX] = 0x0000F00Fu;
    cr_assert_eq(RUN(0xD3, 0xEB), -1);                       /* shr ebx, cl */
    cr_assert_eq(cpu->gpr[R_EBX], 0x00000F00u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF), FLAG_CF);
    cr_assert_eq(RUN(0xD3, 0xE3), -1);                       /* shl ebx, cl */
    cr_assert_eq(cpu->gpr[R_EBX], 0x0000F000u);
    cpu->gpr[R_EBX] = 0x80000000u;
    cr_assert_eq(RUN(0xD3, 0xFB), -1);                       /* sar ebx, cl */
    cr_assert_eq(cpu->gpr[R_EBX], 0xF8000000u);
    cpu->gpr[R_ECX] = 32;
    set_flags(FLAG_CF | FLAG_ZF, 0);
    cr_assert_eq(RUN(0xD3, 0xE3), -1);                       /* shl ebx, cl: count 0 */
    cr_assert_eq(cpu->gpr[R_EBX], 0xF8000000u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF), FLAG_CF | FLAG_ZF);
}

/* ======== the forms of the fourth speed step ========
 * Each memory form runs beside the general handler of the same operation
 * on a register (or, for the shifts, beside the other operand kind), each
 * instruction followed by PUSHFD; the pushed flags and the results must
 * match for operands around every flag's edge. */

#define FLAGS_AT(i) (h_read32(cpu, DATA + 0x1000 - 4 * ((i) + 1)) & FLAGS_ARITH)

static const uint32_t edge_values[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                                        0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 0x12345678u };
#define N_EDGES (sizeof edge_values / sizeof edge_values[0])

/* Runs code at `at` with the stack at DATA + 0x1000. */
static void run_pushing(uint32_t at)
{
    cpu->gpr[R_ESP] = DATA + 0x1000;
    cr_assert_eq(exec_at(at, 0), -1);
}

static uint32_t load_snippet(const uint8_t *code, size_t len)
{
    uint32_t at = next_addr();
    h_load(cpu, at, code, len);
    return at;
}

/* cmp/test/xor with a byte in memory (a at [ebx], [ebx+esi*2-2] and [di]) or
 * in DL; the other operand in AL or the immediate b. */
Test(ops_fast, byte_compares_in_memory_match_register_forms)
{
    for (unsigned j = 0; j < N_EDGES; j++) {
        uint8_t b = (uint8_t)edge_values[j];
        const uint8_t mem[] = {
            0x38, 0x03, 0x9C, 0x38, 0x44, 0x73, 0xFE, 0x9C, 0x67, 0x38, 0x05, 0x9C, /* cmp m8, al */
            0x3A, 0x03, 0x9C, 0x3A, 0x44, 0x73, 0xFE, 0x9C, 0x67, 0x3A, 0x05, 0x9C, /* cmp al, m8 */
            0x80, 0x3B, b, 0x9C, 0x80, 0x7C, 0x73, 0xFE, b, 0x9C,             /* cmp m8, b */
            0x84, 0x03, 0x9C, 0x84, 0x44, 0x73, 0xFE, 0x9C,                   /* test m8, al */
            0xF6, 0x03, b, 0x9C, 0x67, 0xF6, 0x05, b, 0x9C,                   /* test m8, b */
            0x32, 0x44, 0x73, 0xFE, 0x9C, HLT,                                /* xor al, m8 */
        };
        const uint8_t reg[] = {
            0x38, 0xC2, 0x9C, 0x38, 0xC2, 0x9C, 0x38, 0xC2, 0x9C,
            0x3A, 0xC2, 0x9C, 0x3A, 0xC2, 0x9C, 0x3A, 0xC2, 0x9C,
            0x80, 0xFA, b, 0x9C, 0x80, 0xFA, b, 0x9C,
            0x84, 0xC2, 0x9C, 0x84, 0xC2, 0x9C,
            0xF6, 0xC2, b, 0x9C, 0xF6, 0xC2, b, 0x9C,
            0x32, 0xC2, 0x9C, HLT,
        };
        uint32_t at_mem = load_snippet(mem, sizeof mem), at_reg = load_snippet(reg, sizeof reg);
        for (unsigned i = 0; i < N_EDGES; i++) {
            uint8_t a = (uint8_t)edge_values[i];
            uint32_t want[15], want_eax;
            wr8(DATA, a);
            wr8(0x6000, a);
            cpu->gpr[R_EBX] = DATA;
            cpu->gpr[R_ESI] = 1;
            cpu->gpr[R_EDI] = 0xABCD6000u;   /* [di]: the 16-bit address 0x6000 */
            cpu->gpr[R_EAX] = 0xFFFFFF00u | b;
            cpu->gpr[R_EDX] = a;
            run_pushing(at_reg);
            for (unsigned k = 0; k < 15; k++)
                want[k] = FLAGS_AT(k);
            want_eax = cpu->gpr[R_EAX];
            cpu->gpr[R_EAX] = 0xFFFFFF00u | b;
            run_pushing(at_mem);
            cr_assert_eq(cpu->gpr[R_EAX], want_eax);
            for (unsigned k = 0; k < 15; k++)
                cr_assert_eq(FLAGS_AT(k), want[k], "a %02X b %02X insn %u: flags %03X, want %03X",
                             a, b, k, FLAGS_AT(k), want[k]);
        }
    }
}

/* The byte operations with a register operand have a form per register
 * half (AL..BL, AH..BH): every byte register, in the [esi], SIB and [di]
 * forms, reads and writes its own byte and leaves the other bytes alone. */
static uint32_t sub8_flags(uint8_t a, uint8_t b)
{
    uint8_t r = (uint8_t)(a - b);
    return (a < b ? FLAG_CF : 0) | (r ? 0 : FLAG_ZF) | ((r & 0x80) ? FLAG_SF : 0) |
           (((a ^ b) & (a ^ r) & 0x80) ? FLAG_OF : 0);
}
/* reg8_set on a copy of EAX..EBX. */
static void set_byte_reg(uint32_t *g, unsigned r, uint8_t v)
{
    unsigned sh = (r & 4) << 1;
    g[r & 3] = (g[r & 3] & ~(0xFFu << sh)) | ((uint32_t)v << sh);
}
static uint32_t logic8_flags(uint8_t r)
{
    return (r ? 0 : FLAG_ZF) | ((r & 0x80) ? FLAG_SF : 0);
}

Test(ops_fast, byte_forms_of_every_byte_register)
{
    static const uint8_t vals[] = { 0, 1, 0x7F, 0x80, 0xFF };
    static const uint8_t ops[] = { 0x38, 0x3A, 0x84, 0x32, 0x88, 0x8A };
    const uint32_t checked = FLAG_CF | FLAG_ZF | FLAG_SF | FLAG_OF;
    for (unsigned r = 0; r < 8; r++)
        for (unsigned o = 0; o < sizeof ops; o++)
            for (unsigned form = 0; form < 3; form++) {
                uint8_t op = ops[o], m = (uint8_t)(r << 3);
                const uint8_t bd[] = { op, 0x06 | m, HLT };               /* [esi] */
                const uint8_t sib[] = { op, 0x44 | m, 0x2E, 0xFF, HLT };  /* [esi+ebp-1] */
                const uint8_t a16[] = { 0x67, op, 0x05 | m, HLT };        /* [di] */
                uint32_t at = form == 0 ? load_snippet(bd, sizeof bd)
                              : form == 1 ? load_snippet(sib, sizeof sib)
                                          : load_snippet(a16, sizeof a16);
                uint32_t addr = form == 2 ? 0x6000 : DATA;
                for (unsigned i = 0; i < sizeof vals; i++)
                    for (unsigned j = 0; j < sizeof vals; j++) {
                        uint8_t a = vals[i], b = vals[j];   /* a in memory, b in r */
                        wr8(addr, a);
                        cpu->gpr[R_EAX] = 0x11223344u;
                        cpu->gpr[R_ECX] = 0x55667788u;
                        cpu->gpr[R_EDX] = 0x99AABBCCu;
                        cpu->gpr[R_EBX] = 0xDDEEFF10u;
                        reg8_set(cpu, r, b);
                        cpu->gpr[R_ESI] = DATA;
                        cpu->gpr[R_EBP] = 1;
                        cpu->gpr[R_EDI] = 0xABCD6000u;
                        uint32_t want[4];
                        memcpy(want, cpu->gpr, sizeof want);
                        run_pushing(at);
                        uint8_t want_mem = a, got_mem = (uint8_t)h_read32(cpu, addr);
                        uint32_t want_flags = arith() & checked;
                        switch (op) {
                        case 0x38: want_flags = sub8_flags(a, b); break;
                        case 0x3A: want_flags = sub8_flags(b, a); break;
                        case 0x84: want_flags = logic8_flags(a & b); break;
                        case 0x32:
                            set_byte_reg(want, r, a ^ b);
                            want_flags = logic8_flags(a ^ b);
                            break;
                        case 0x88: want_mem = b; break;
                        case 0x8A: set_byte_reg(want, r, a); break;
                        }
                        for (unsigned g = 0; g < 4; g++)
                            cr_assert_eq(cpu->gpr[g], want[g],
                                         "op %02X r8 %u form %u a %02X b %02X: gpr %u %08X, want %08X",
                                         op, r, form, a, b, g, cpu->gpr[g], want[g]);
                        cr_assert_eq(got_mem, want_mem, "op %02X r8 %u form %u", op, r, form);
                        cr_assert_eq(arith() & checked, want_flags,
                                     "op %02X r8 %u form %u a %02X b %02X", op, r, form, a, b);
                    }
            }
}

/* INC/DEC dword [mem] keep CF from every producer and set the rest as
 * INC/DEC edx (FF /0, FF /1 on a register: the general handler). */
Test(ops_fast, inc_dec_m32_match_the_register_form)
{
    static const uint8_t producers[][3] = {
        { 0xF9, 0x90, 0x90 }, { 0xF8, 0x90, 0x90 },   /* stc, clc */
        { 0x01, 0xC8, 0x90 }, { 0x29, 0xC8, 0x90 },   /* add eax, ecx; sub eax, ecx */
        { 0x21, 0xC8, 0x90 }, { 0xD1, 0xE0, 0x90 },   /* and eax, ecx; shl eax, 1 */
    };
    for (unsigned p = 0; p < 6; p++) {
        const uint8_t *q = producers[p];
        const uint8_t mem[] = {
            q[0], q[1], q[2], 0xFF, 0x03, 0x9C,                      /* inc dword [ebx] */
            q[0], q[1], q[2], 0xFF, 0x4C, 0xB3, 0xFC, 0x9C,          /* dec dword [ebx+esi*4-4] */
            q[0], q[1], q[2], 0x67, 0xFF, 0x0D, 0x9C, HLT,           /* dec dword [di] */
        };
        const uint8_t reg[] = {
            q[0], q[1], q[2], 0xFF, 0xC2, 0x9C,
            q[0], q[1], q[2], 0xFF, 0xCB, 0x9C,
            q[0], q[1], q[2], 0xFF, 0xCF, 0x9C, HLT,
        };
        uint32_t at_mem = load_snippet(mem, sizeof mem), at_reg = load_snippet(reg, sizeof reg);
        for (unsigned i = 0; i < N_EDGES; i++) {
            uint32_t a = edge_values[i], want[3], r_edx, r_ebx, r_edi;
            cpu->gpr[R_EAX] = edge_values[(i + 3) % N_EDGES];
            cpu->gpr[R_ECX] = edge_values[(i + 5) % N_EDGES];
            cpu->gpr[R_EDX] = a;
            cpu->gpr[R_EBX] = a;
            cpu->gpr[R_EDI] = a;
            run_pushing(at_reg);
            for (unsigned k = 0; k < 3; k++)
                want[k] = FLAGS_AT(k);
            r_edx = cpu->gpr[R_EDX];
            r_ebx = cpu->gpr[R_EBX];
            r_edi = cpu->gpr[R_EDI];
            h_write32(cpu, DATA, a);
            h_write32(cpu, DATA + 4, a);
            h_write32(cpu, 0x6000, a);
            cpu->gpr[R_EAX] = edge_values[(i + 3) % N_EDGES];
            cpu->gpr[R_EBX] = DATA;
            cpu->gpr[R_ESI] = 2;
            cpu->gpr[R_EDI] = 0x6000;
            run_pushing(at_mem);
            cr_assert_eq(h_read32(cpu, DATA), r_edx);
            cr_assert_eq(h_read32(cpu, DATA + 4), r_ebx);
            cr_assert_eq(h_read32(cpu, 0x6000), r_edi);
            for (unsigned k = 0; k < 3; k++)
                cr_assert_eq(FLAGS_AT(k), want[k], "producer %u a %08X insn %u: %03X want %03X",
                             p, a, k, FLAGS_AT(k), want[k]);
        }
    }
    /* Across a page: the slow path. Through a read-only DS: #GP after the
     * read, memory and flags unchanged. */
    h_write32(cpu, DATA + 0xFFE, 0x0000FFFFu);
    cpu->gpr[R_EBX] = DATA + 0xFFE;
    cr_assert_eq(RUN(0xF9, 0xFF, 0x03), -1);                 /* stc; inc dword [ebx] */
    cr_assert_eq(h_read32(cpu, DATA + 0xFFE), 0x00010000u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF | FLAG_AF), FLAG_CF | FLAG_AF);
    seg_set_cache(&cpu->seg[SEG_DS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
    cpu->gpr[R_EBX] = DATA;
    h_write32(cpu, DATA, 1);
    set_flags(FLAG_CF, FLAG_ZF);
    cr_assert_eq(RUN(0xFF, 0x0B), EXC_GP);                   /* dec dword [ebx] */
    cr_assert_eq(h_read32(cpu, DATA), 1u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_ZF), FLAG_CF);
}

/* IMUL r32, r/m32 and r32, r/m32, imm: the truncated product, CF = OF =
 * it did not fit; the 16-bit form still takes the general handler. */
Test(ops_fast, imul_32_bit_forms)
{
    for (unsigned i = 0; i < N_EDGES; i++) {
        for (unsigned j = 0; j < N_EDGES; j++) {
            uint32_t a = edge_values[i], b = edge_values[j];
            int64_t p = (int64_t)(int32_t)a * (int32_t)b;
            uint32_t lo = (uint32_t)p, fit = p == (int32_t)lo ? 0 : FLAG_CF | FLAG_OF;
            h_write32(cpu, DATA + 8, b);
            cpu->gpr[R_EBX] = DATA;
            cpu->gpr[R_ESI] = 2;
            cpu->gpr[R_ECX] = b;
            cpu->gpr[R_EAX] = a;
            cr_assert_eq(RUN(0x0F, 0xAF, 0xC1), -1);        /* imul eax, ecx */
            cr_assert_eq(cpu->gpr[R_EAX], lo);
            cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), fit, "%08X * %08X", a, b);
            cpu->gpr[R_EDX] = a;
            cr_assert_eq(RUN(0x0F, 0xAF, 0x54, 0x73, 0x04), -1); /* imul edx, [ebx+esi*2+4] */
            cr_assert_eq(cpu->gpr[R_EDX], lo);
            cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), fit);
            slot = 0;
        }
    }
    cpu->gpr[R_ECX] = 0x40000000u;
    cr_assert_eq(RUN(0x6B, 0xC1, 0xFC), -1);                 /* imul eax, ecx, -4 */
    cr_assert_eq(cpu->gpr[R_EAX], 0u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF | FLAG_ZF), FLAG_CF | FLAG_OF | FLAG_ZF);
    h_write32(cpu, DATA, 0xFFFFFFFDu);
    cr_assert_eq(RUN(0x69, 0x03, D32(1000)), -1);            /* imul eax, [ebx], 1000 */
    cr_assert_eq(cpu->gpr[R_EAX], (uint32_t)-3000);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF | FLAG_SF), FLAG_SF);
    cpu->gpr[R_EAX] = 0xAAAA0100u;
    cpu->gpr[R_ECX] = 0x100;
    cr_assert_eq(RUN(0x66, 0x0F, 0xAF, 0xC1), -1);           /* imul ax, cx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAA0000u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
    /* A memory operand that faults leaves the destination alone. */
    cpu->gpr[R_EBX] = 0xFFFFFFFEu;
    cpu->gpr[R_EDX] = 7;
    cr_assert_eq(RUN(0x0F, 0xAF, 0x13), EXC_GP);             /* imul edx, [ebx] */
    cr_assert_eq(cpu->gpr[R_EDX], 7u);
}

/* Group 2 by CL, every operation and width: the register form and the
 * memory form give the same result and flags (the 32-bit SHL/SHR/SAR
 * register forms are the separate fast paths above), with CF in set and
 * clear for RCL/RCR; and a few values worked by hand. */
Test(ops_fast, group2_register_and_memory_forms_agree)
{
    static const uint8_t counts[] = { 0, 1, 4, 7, 8, 9, 15, 16, 17, 31 };
    static const uint8_t sizes[3][2] = { { 0x90, 0xD2 }, { 0x66, 0xD3 }, { 0x90, 0xD3 } };
    for (unsigned w = 0; w < 3; w++) {
        for (unsigned op = 0; op < 8; op++) {
            const uint8_t p = sizes[w][0], o = sizes[w][1], m = (uint8_t)(op << 3);
            const uint8_t mem[] = { 0xF9, p, o, (uint8_t)(0x03 | m), 0x9C,
                                    0xF8, p, o, (uint8_t)(0x44 | m), 0x73, 0x04, 0x9C, HLT };
            const uint8_t reg[] = { 0xF9, p, o, (uint8_t)(0xC2 | m), 0x9C,
                                    0xF8, p, o, (uint8_t)(0xC0 | m), 0x9C, HLT };
            uint32_t at_mem = load_snippet(mem, sizeof mem), at_reg = load_snippet(reg, sizeof reg);
            for (unsigned i = 0; i < N_EDGES; i++) {
                for (unsigned c = 0; c < sizeof counts; c++) {
                    uint32_t a = edge_values[i];
                    cpu->gpr[R_ECX] = counts[c];
                    cpu->gpr[R_EDX] = a;
                    cpu->gpr[R_EAX] = a;
                    run_pushing(at_reg);
                    uint32_t f0 = FLAGS_AT(0), f1 = FLAGS_AT(1);
                    h_write32(cpu, DATA, a);
                    h_write32(cpu, DATA + 8, a);
                    cpu->gpr[R_EBX] = DATA;
                    cpu->gpr[R_ESI] = 2;
                    run_pushing(at_mem);
                    cr_assert_eq(h_read32(cpu, DATA), cpu->gpr[R_EDX],
                                 "width %u /%u %08X by %u", w, op, a, counts[c]);
                    cr_assert_eq(h_read32(cpu, DATA + 8), cpu->gpr[R_EAX]);
                    cr_assert_eq(FLAGS_AT(0), f0, "width %u /%u %08X by %u: flags", w, op, a,
                                 counts[c]);
                    cr_assert_eq(FLAGS_AT(1), f1);
                }
            }
        }
        slot = 0;
    }
    cpu->gpr[R_EAX] = 0x12345681u;
    cr_assert_eq(RUN(0xD0, 0xE8), -1);                       /* shr al, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x12345640u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), FLAG_CF | FLAG_OF);
    cr_assert_eq(RUN(0xF9, 0x66, 0xC1, 0xD0, 0x01), -1);     /* stc; rcl ax, 1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234AC81u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_OF), FLAG_OF);
    cr_assert_eq(RUN(0xC0, 0xF8, 0x03), -1);                 /* sar al, 3 */
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234ACF0u);
    cr_assert_eq(arith() & (FLAG_CF | FLAG_SF), FLAG_SF);
}

/* The DS and SS forms read the segment they name, as loaded when they
 * run; an override (ES) takes the form reading Insn.seg. */
Test(ops_fast, ds_ss_and_override_forms_use_their_segment)
{
    const uint8_t code[] = { 0x8B, 0x45, 0x04,           /* mov eax, [ebp+4] (SS) */
                             0x8B, 0x4C, 0x24, 0x04,     /* mov ecx, [esp+4] (SS, SIB) */
                             0x26, 0x8B, 0x53, 0x04,     /* mov edx, es:[ebx+4] */
                             0x89, 0x43, 0x08, HLT };    /* mov [ebx+8], eax (DS) */
    uint32_t at = next_addr();
    h_write32(cpu, DATA + 4, 0x0BADCAFEu);
    cpu->gpr[R_EBP] = DATA;
    cpu->gpr[R_EBX] = DATA;
    cpu->gpr[R_ESP] = DATA;
    cr_assert_eq(run_at(at, code, sizeof code), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x0BADCAFEu);
    cr_assert_eq(cpu->gpr[R_ECX], 0x0BADCAFEu);
    cr_assert_eq(cpu->gpr[R_EDX], 0x0BADCAFEu);
    cr_assert_eq(h_read32(cpu, DATA + 8), 0x0BADCAFEu);
    /* ES with a base: the override form adds it. */
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_DATA32, 0x1000, 0xFFFFFFFFu, FLAT_DATA);
    h_write32(cpu, DATA + 0x1004, 0x600DBEEFu);
    cpu->gpr[R_ESP] = DATA;
    cr_assert_eq(exec_at(at, at + sizeof code - 1), -1);
    cr_assert_eq(cpu->gpr[R_EDX], 0x600DBEEFu);
    /* SS with a 64 KiB limit, loaded after the block was decoded: #SS
     * (the stack itself stays below the limit for the exception). */
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, 0, 0xFFFF, SMALL_DATA);
    cpu->gpr[R_ESP] = 0x8000;
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(exec_at(at, at + sizeof code - 1), EXC_SS);
    cr_assert_eq(cpu->gpr[R_EAX], 0u);
}
