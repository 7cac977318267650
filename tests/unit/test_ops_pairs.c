/* SPDX-License-Identifier: MIT */
/* The pair superinstructions of cpu/ops_pairs.c: each must leave exactly
 * what the same two instructions apart leave (a NOP between them keeps
 * them apart): branch, flags, registers, memory; and a fault in the first
 * instruction must leave EIP on it, flags, memory and the instruction
 * count as the unfused instruction does. */
#include "debug/trace.h"
#include "tests/unit/flow_util.h"

TestSuite(ops_pairs, .init = setup_pm, .fini = teardown);

#define SMALL16_DATA (DESC_P | DESC_S | 0x3)   /* 16-bit data, B = 0 */

typedef struct FirstInsn {
    const char *name;
    uint8_t bytes[7];
    unsigned len;
    bool mem;   /* EBX points at DATA, which holds b; else EBX is b */
} FirstInsn;

static const FirstInsn firsts[] = {
    { "cmp [ebx], al", { 0x38, 0x03 }, 2, true },
    { "cmp [ebx], eax", { 0x39, 0x03 }, 2, true },
    { "cmp al, [ebx]", { 0x3A, 0x03 }, 2, true },
    { "cmp eax, [ebx+0]", { 0x3B, 0x43, 0x00 }, 3, true },
    { "cmp byte [ebx], 0x80", { 0x80, 0x3B, 0x80 }, 3, true },
    { "cmp dword [ebx], -1", { 0x83, 0x3B, 0xFF }, 3, true },
    { "cmp dword [ebx], 0x7FFFFFFF", { 0x81, 0x3B, D32(0x7FFFFFFF) }, 6, true },
    { "test [ebx], al", { 0x84, 0x03 }, 2, true },
    { "test [ebx], eax", { 0x85, 0x03 }, 2, true },
    { "test byte [ebx], 0x81", { 0xF6, 0x03, 0x81 }, 3, true },
    { "test dword [ebx], 0x80000001", { 0xF7, 0x03, D32(0x80000001) }, 6, true },
    { "dec dword [ebx]", { 0xFF, 0x0B }, 2, true },
    { "inc dword [ebx] (SIB, no index)", { 0xFF, 0x04, 0x23 }, 3, true },
    { "cmp bl, al", { 0x38, 0xC3 }, 2, false },
    { "cmp ah, bh", { 0x38, 0xFC }, 2, false },
    { "cmp al, bl", { 0x3A, 0xC3 }, 2, false },
    { "cmp bl, 1", { 0x80, 0xFB, 0x01 }, 3, false },
    { "cmp al, 0x7F", { 0x3C, 0x7F }, 2, false },
    { "test bl, al", { 0x84, 0xC3 }, 2, false },
    { "test bh, 0x81", { 0xF6, 0xC7, 0x81 }, 3, false },
    { "test al, 0x80", { 0xA8, 0x80 }, 2, false },
    { "test ebx, 0x80000001", { 0xF7, 0xC3, D32(0x80000001) }, 6, false },
    { "test eax, 0x7F", { 0xA9, D32(0x7F) }, 5, false },
    { "cmp bx, 0x8000", { 0x66, 0x81, 0xFB, D16(0x8000) }, 5, false },
    { "cmp ax, -1 (83)", { 0x66, 0x83, 0xF8, 0xFF }, 4, false },
    { "sub eax, [ebx]", { 0x2B, 0x03 }, 2, true },
    { "add ebx, eax", { 0x01, 0xC3 }, 2, false },
    { "sub ebx, eax", { 0x29, 0xC3 }, 2, false },
    { "and ebx, eax", { 0x21, 0xC3 }, 2, false },
    { "add ebx, 0x7FFFFFFF", { 0x81, 0xC3, D32(0x7FFFFFFF) }, 6, false },
    { "sub eax, 1 (83)", { 0x83, 0xE8, 0x01 }, 3, false },
    { "and ebx, -2 (83)", { 0x83, 0xE3, 0xFE }, 3, false },
};
#define NFIRSTS (sizeof firsts / sizeof firsts[0])

static const uint32_t values[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu,
                                   0x8001u };
#define NVALUES (sizeof values / sizeof values[0])

/* first; [nop;] jcc +2; mov cl, 1; hlt */
static uint32_t put_pair(const FirstInsn *f, unsigned cc, bool apart)
{
    uint8_t code[20];
    unsigned n = f->len;
    memcpy(code, f->bytes, f->len);
    if (apart)
        code[n++] = NOP;
    code[n++] = (uint8_t)(0x70 + cc);
    code[n++] = 2;
    code[n++] = 0xB1;
    code[n++] = 1;
    code[n++] = HLT;
    uint32_t at = next_addr();
    h_load(cpu, at, code, n);
    return at;
}

typedef struct Outcome {
    uint32_t eax, ebx, ecx, mem, flags;
} Outcome;

static Outcome run_pair(const FirstInsn *f, uint32_t at, uint32_t a, uint32_t b, bool cf)
{
    cpu->gpr[R_EAX] = a;
    cpu->gpr[R_EBX] = f->mem ? DATA : b;
    cpu->gpr[R_ECX] = 0;
    h_write32(cpu, DATA, b);
    set_flags(cf ? FLAG_CF : 0, FLAG_CF);   /* DEC/INC keep it */
    cr_assert_eq(exec_at(at, 0), -1);
    return (Outcome){ cpu->gpr[R_EAX], cpu->gpr[R_EBX], cpu->gpr[R_ECX], h_read32(cpu, DATA),
                      arith() };
}

Test(ops_pairs, pairs_match_the_instructions_apart)
{
    unsigned checked = 0;
    for (unsigned f = 0; f < NFIRSTS; f++) {
        const FirstInsn *fi = &firsts[f];
        for (unsigned cc = 0; cc < 16; cc++) {
            uint32_t fused = put_pair(fi, cc, false);
            uint32_t apart = put_pair(fi, cc, true);
            for (unsigned i = 0; i < NVALUES; i++) {
                for (unsigned j = 0; j < NVALUES; j++) {
                    bool cf = (i + j) & 1;
                    Outcome x = run_pair(fi, fused, values[i], values[j], cf);
                    Outcome y = run_pair(fi, apart, values[i], values[j], cf);
                    cr_assert(x.eax == y.eax && x.ebx == y.ebx && x.ecx == y.ecx &&
                                  x.mem == y.mem && x.flags == y.flags,
                              "%s; j%X with %08X, %08X, CF %d: fused ecx %u flags %03X "
                              "mem %08X, apart ecx %u flags %03X mem %08X",
                              fi->name, cc, values[i], values[j], cf, x.ecx, x.flags, x.mem,
                              y.ecx, y.flags, y.mem);
                    checked++;
                }
            }
        }
        slot = 0;   /* fresh code addresses are few: reuse them per form */
    }
    cr_assert_eq(checked, NFIRSTS * 16 * NVALUES * NVALUES);
}

/* Traced, every instruction runs alone (insn_unfused): the first
 * instruction's handler alone must match the family's, which runs when a
 * NOP keeps the pair apart. */
Test(ops_pairs, traced_pairs_run_the_first_alone)
{
    FILE *log = tmpfile();
    cr_assert(log);
    TraceConfig tc = { .text_items = TRACE_EXEC, .log = log };
    char err[200];
    cr_assert(trace_setup(cpu, h_portbus(cpu), &tc, err, sizeof err), "%s", err);
    for (unsigned f = 0; f < NFIRSTS; f++) {
        const FirstInsn *fi = &firsts[f];
        unsigned cc = (f * 5) & 15;   /* one condition per form, spread */
        uint32_t fused = put_pair(fi, cc, false);
        uint32_t apart = put_pair(fi, cc, true);
        for (unsigned i = 0; i < NVALUES; i += 2) {
            for (unsigned j = 1; j < NVALUES; j += 2) {
                Outcome x = run_pair(fi, fused, values[i], values[j], j & 2);
                Outcome y = run_pair(fi, apart, values[i], values[j], j & 2);
                cr_assert(x.eax == y.eax && x.ebx == y.ebx && x.ecx == y.ecx &&
                              x.mem == y.mem && x.flags == y.flags,
                          "traced %s; j%X with %08X, %08X", fi->name, cc, values[i], values[j]);
            }
        }
        slot = 0;
    }
    cr_assert(trace_teardown(cpu, h_portbus(cpu)));
    fclose(log);
}

/* A memory operand the fast path refuses (beyond a 64 KiB DS limit, or a
 * read-only DS under DEC): #GP with EIP on the first instruction, flags,
 * memory and the count as the instruction alone leaves them. */
static void check_first_faults(const uint8_t *first, unsigned len, bool read_only)
{
    uint32_t at[2], before[2];
    uint64_t count[2];
    for (unsigned apart = 0; apart < 2; apart++) {
        uint8_t code[16];
        unsigned n = len;
        memcpy(code, first, len);
        if (apart)
            code[n++] = NOP;
        code[n++] = 0x75;   /* jnz +0 */
        code[n++] = 0;
        code[n++] = HLT;
        at[apart] = next_addr();
        h_load(cpu, at[apart], code, n);
        /* Decoded with a flat DS: the pair is fused (or not) from here on. */
        seg_set_cache(&cpu->seg[SEG_DS], H_SEL_DATA32, 0, 0xFFFFFFFFu, FLAT_DATA);
        cpu->gpr[R_EBX] = DATA;
        h_write32(cpu, DATA, 5);
        cr_assert_eq(exec_at(at[apart], 0), -1);
        if (read_only)
            seg_set_cache(&cpu->seg[SEG_DS], SEL_RO, 0, 0xFFFFFFFFu, RO_DATA);
        else
            seg_set_cache(&cpu->seg[SEG_DS], SEL_SMALL32, 0, 0xFFFF, SMALL_DATA);
        h_write32(cpu, DATA, 5);
        set_flags(FLAG_ZF | FLAG_CF, FLAG_SF | FLAG_OF);
        before[apart] = arith();
        uint64_t c0 = cpu->icount;
        cr_assert_eq(exec_at(at[apart], 0), EXC_GP);
        count[apart] = cpu->icount - c0;
        cr_assert_eq(stk(1), at[apart] - cpu->seg[SEG_CS].base, "EIP on the first instruction");
        cr_assert_eq(arith(), before[apart]);
        cr_assert_eq(h_read32(cpu, DATA), 5u);
    }
    cr_assert_eq(count[0], count[1], "fused %llu, apart %llu instructions",
                 (unsigned long long)count[0], (unsigned long long)count[1]);
}

Test(ops_pairs, a_fault_in_the_first_instruction_is_the_first_alone)
{
    const uint8_t cmp8[] = { 0x38, 0x03 }, cmp32[] = { 0x3B, 0x43, 0x00 },
                  test8[] = { 0xF6, 0x03, 0x01 }, dec[] = { 0xFF, 0x0B };
    check_first_faults(cmp8, sizeof cmp8, false);
    check_first_faults(cmp32, sizeof cmp32, false);
    check_first_faults(test8, sizeof test8, false);
    check_first_faults(dec, sizeof dec, false);
    check_first_faults(dec, sizeof dec, true);   /* readable, not writable */
}

/* Operands across a page boundary take the general path and still pair
 * with the branch correctly. */
Test(ops_pairs, operands_across_a_page_go_the_general_way)
{
    h_write32(cpu, DATA + 0xFFE, 0x00000001);
    cpu->gpr[R_EBX] = DATA + 0xF00;
    /* dec dword [ebx+0xFE]; jnz +2; mov cl, 1; hlt */
    cpu->gpr[R_ECX] = 0;
    cr_assert_eq(RUN(0xFF, 0x8B, D32(0xFE), 0x75, 0x02, 0xB1, 0x01), -1);
    cr_assert_eq(h_read32(cpu, DATA + 0xFFE), 0u);
    cr_assert_eq(cpu->gpr[R_ECX], 1u, "ZF from the DEC: not taken");
    /* cmp dword [ebx+0xFE], 1; jb +2; mov cl, 2; hlt: 0 < 1, taken */
    cr_assert_eq(RUN(0x83, 0xBB, D32(0xFE), 0x01, 0x72, 0x02, 0xB1, 0x02), -1);
    cr_assert_eq(cpu->gpr[R_ECX], 1u);
}

/* A taken branch whose target is beyond the CS limit faults on the Jcc,
 * with the first instruction done (its flags, its store). */
Test(ops_pairs, target_beyond_cs_limit_faults_on_the_jcc)
{
    const uint8_t code[] = { 0xFF, 0x0B, 0x0F, 0x85, D32(0x7FFFFFF0), HLT };  /* dec [ebx]; jnz */
    uint32_t at = next_addr();
    h_load(cpu, at, code, sizeof code);
    cpu->gpr[R_EBX] = DATA;
    h_write32(cpu, DATA, 7);
    cpu->seg[SEG_CS].lim_hi = 0x00FFFFFFu;
    seg_cache_sync(&cpu->seg[SEG_CS]);
    cr_assert_eq(exec_at(at, 0), EXC_GP);
    cr_assert_eq(h_read32(cpu, DATA), 6u);
    cr_assert_eq(stk(0), 0u);                                  /* error code */
    cr_assert_eq(stk(1), at + 2 - cpu->seg[SEG_CS].base);      /* EIP of the Jcc */
    cr_assert_eq(arith() & FLAG_ZF, 0u);
}

/* PUSH/PUSH, PUSH/CALL, POP/POP: the stack, ESP and registers of the
 * instructions apart, ESP among the operands included. */
Test(ops_pairs, stack_pairs_match_the_instructions_apart)
{
    static const uint8_t seqs[][8] = {
        { 0x50, 0x53, 0x5A, 0x5E },   /* push eax; push ebx; pop edx; pop esi */
        { 0x54, 0x50, 0x5A, 0x5E },   /* push esp; push eax; ... */
        { 0x50, 0x54, 0x5E, 0x5A },   /* push eax; push esp; pop esi; pop edx */
        { 0x54, 0x54, 0x5F, 0x5C },   /* push esp; push esp; pop edi; pop esp */
        { 0x53, 0x50, 0x5B, 0x5B },   /* push ebx; push eax; pop ebx; pop ebx */
    };
    for (unsigned s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
        uint32_t regs[2][8], stack[2][2];
        for (unsigned apart = 0; apart < 2; apart++) {
            uint8_t code[16];
            unsigned n = 0;
            for (unsigned i = 0; i < 4; i++) {
                code[n++] = seqs[s][i];
                if (apart)
                    code[n++] = NOP;
            }
            code[n++] = HLT;
            uint32_t at = next_addr();
            h_load(cpu, at, code, n);
            for (unsigned r = 0; r < 8; r++)
                cpu->gpr[r] = 0x11111111u * (r + 1);
            cpu->gpr[R_ESP] = DATA + 0x200;
            h_write32(cpu, DATA + 0x1F8, 0);
            h_write32(cpu, DATA + 0x1FC, 0);
            cr_assert_eq(exec_at(at, 0), -1);
            memcpy(regs[apart], cpu->gpr, sizeof regs[apart]);
            stack[apart][0] = h_read32(cpu, DATA + 0x1F8);
            stack[apart][1] = h_read32(cpu, DATA + 0x1FC);
        }
        cr_assert_arr_eq(regs[0], regs[1], sizeof regs[0], "sequence %u", s);
        cr_assert_arr_eq(stack[0], stack[1], sizeof stack[0], "sequence %u", s);
    }
    /* call +2; pop ecx; hlt; push 0x1234 (68); pop edx; ret: back to the POP ECX */
    cpu->gpr[R_ESP] = DATA + 0x100;
    cpu->gpr[R_EDX] = 0;
    cr_assert_eq(RUN(0xE8, D32(2), 0x59, HLT, 0x68, D32(0x1234), 0x5A, 0xC3), -1);
    cr_assert_eq(cpu->gpr[R_EDX], 0x1234u);
    cr_assert_eq(end_off(), 7u, "stopped on the HLT after the POP ECX");
    cr_assert_eq(cpu->gpr[R_ESP], DATA + 0x100 + 4);
    /* push edx; call +1; (hlt); pop eax; pop ecx */
    cpu->gpr[R_ESP] = DATA + 0x100;
    cpu->gpr[R_EDX] = 0x600DF00D;
    cr_assert_eq(RUN(0x52, 0xE8, D32(1), HLT, 0x58, 0x59), -1);
    cr_assert_eq(cpu->gpr[R_EAX], last + 6);   /* the return address */
    cr_assert_eq(cpu->gpr[R_ECX], 0x600DF00Du);
    cr_assert_eq(cpu->gpr[R_ESP], DATA + 0x100);
}

/* Where the fast path refuses the pair: 8 bytes across a page, a 16-bit
 * stack, a fault in the CALL or the RET (#GP on it after the PUSH or
 * POP). */
Test(ops_pairs, stack_pairs_fall_back_exactly)
{
    cpu->gpr[R_EAX] = 0xAAAA0001;
    cpu->gpr[R_EBX] = 0xBBBB0002;
    cpu->gpr[R_ESP] = DATA + 0x1004;   /* the pair spans DATA+0xFFC..0x1003 */
    cr_assert_eq(RUN(0x50, 0x53, 0x59, 0x5A), -1);   /* push eax; push ebx; pop ecx; pop edx */
    cr_assert_eq(cpu->gpr[R_ECX], 0xBBBB0002u);
    cr_assert_eq(cpu->gpr[R_EDX], 0xAAAA0001u);
    cr_assert_eq(h_read32(cpu, DATA + 0x1000), 0xAAAA0001u);
    cr_assert_eq(cpu->gpr[R_ESP], DATA + 0x1004);

    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, DATA, 0xFFFF, SMALL16_DATA);
    cpu->stack32 = false;
    cpu->gpr[R_ESP] = 0xABCD0004;
    cr_assert_eq(RUN(0x50, 0x53, 0x59, 0x5A), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0xABCD0004u);
    cr_assert_eq(h_read32(cpu, DATA + 0xFFFC), 0xBBBB0002u);
    cr_assert_eq(h_read32(cpu, DATA), 0xAAAA0001u);   /* SP wrapped between them */

    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, 0, 0xFFFFFFFFu, FLAT_DATA);
    cpu->stack32 = true;

    /* push eax; call far beyond the CS limit: #GP on the CALL, EAX pushed. */
    cpu->gpr[R_ESP] = DATA + 0x100;
    uint32_t at = next_addr();
    const uint8_t call[] = { 0x50, 0xE8, D32(0x7FFFFFF0), HLT };
    h_load(cpu, at, call, sizeof call);
    cpu->seg[SEG_CS].lim_hi = 0x00FFFFFFu;
    seg_cache_sync(&cpu->seg[SEG_CS]);
    cr_assert_eq(exec_at(at, 0), EXC_GP);
    cr_assert_eq(stk(1), at + 1 - cpu->seg[SEG_CS].base);   /* EIP of the CALL */
    cr_assert_eq(cpu->gpr[R_ESP] + 16, DATA + 0x100 - 4);    /* the frame below the PUSH */
    cr_assert_eq(stk(4), 0xAAAA0001u);                       /* EAX under the frame */

    /* pop ecx; ret to beyond the CS limit: #GP on the RET, ECX popped. */
    cpu->gpr[R_ESP] = DATA + 0x200;
    h_write32(cpu, DATA + 0x200, 0x5151);
    h_write32(cpu, DATA + 0x204, 0x7FFFFFF0);
    at = next_addr();
    const uint8_t ret[] = { 0x59, 0xC3, HLT };
    h_load(cpu, at, ret, sizeof ret);
    cpu->seg[SEG_CS].lim_hi = 0x00FFFFFFu;   /* the delivery above reloaded CS */
    seg_cache_sync(&cpu->seg[SEG_CS]);
    cr_assert_eq(exec_at(at, 0), EXC_GP);
    cr_assert_eq(stk(1), at + 1 - cpu->seg[SEG_CS].base);   /* EIP of the RET */
    cr_assert_eq(cpu->gpr[R_ECX], 0x5151u);
    cr_assert_eq(cpu->gpr[R_ESP] + 16, DATA + 0x204);        /* the frame below the POP */
}
