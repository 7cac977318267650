/* SPDX-License-Identifier: MIT */
/* The superinstructions of cpu/ops_fused.c: a CMP/TEST/DEC/INC fused with
 * the Jcc after it must branch, set flags and registers exactly as the
 * same two instructions apart (a NOP between them keeps them apart), for
 * every condition and operands around each flag's edge. */
#include "tests/unit/flow_util.h"

TestSuite(ops_fused, .init = setup_pm, .fini = teardown);

typedef struct FirstInsn {
    const char *name;
    uint8_t bytes[6];
    unsigned len;
} FirstInsn;

static const FirstInsn firsts[] = {
    { "cmp ebx, eax", { 0x39, 0xC3 }, 2 },
    { "cmp eax, ebx", { 0x3B, 0xC3 }, 2 },
    { "cmp eax, -1 (83)", { 0x83, 0xF8, 0xFF }, 3 },
    { "cmp ebx, 0x7FFFFFFF (81)", { 0x81, 0xFB, D32(0x7FFFFFFF) }, 6 },
    { "cmp eax, 1 (3D)", { 0x3D, D32(1) }, 5 },
    { "test ebx, eax", { 0x85, 0xC3 }, 2 },
    { "dec eax", { 0x48 }, 1 },
    { "inc ebx", { 0x43 }, 1 },
};

static const uint32_t values[] = { 0, 1, 2, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu };

/* first; [nop;] jcc +2; mov cl, 1; hlt */
static uint32_t put_pair(const FirstInsn *f, unsigned cc, bool apart)
{
    uint8_t code[16];
    unsigned n = 0;
    memcpy(code, f->bytes, f->len);
    n = f->len;
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
    uint32_t eax, ebx, ecx, flags;
} Outcome;

static Outcome run_pair(uint32_t at, uint32_t a, uint32_t b, bool cf)
{
    cpu->gpr[R_EAX] = a;
    cpu->gpr[R_EBX] = b;
    cpu->gpr[R_ECX] = 0;
    set_flags(cf ? FLAG_CF : 0, FLAG_CF);   /* INC/DEC keep it */
    cr_assert_eq(exec_at(at, 0), -1);
    return (Outcome){ cpu->gpr[R_EAX], cpu->gpr[R_EBX], cpu->gpr[R_ECX], arith() };
}

Test(ops_fused, fused_pairs_match_the_instructions_apart)
{
    unsigned checked = 0;
    for (unsigned f = 0; f < sizeof firsts / sizeof firsts[0]; f++) {
        for (unsigned cc = 0; cc < 16; cc++) {
            uint32_t fused = put_pair(&firsts[f], cc, false);
            uint32_t apart = put_pair(&firsts[f], cc, true);
            for (unsigned i = 0; i < 6; i++) {
                for (unsigned j = 0; j < 6; j++) {
                    bool cf = (i + j) & 1;
                    Outcome x = run_pair(fused, values[i], values[j], cf);
                    Outcome y = run_pair(apart, values[i], values[j], cf);
                    cr_assert(x.eax == y.eax && x.ebx == y.ebx && x.ecx == y.ecx &&
                                  x.flags == y.flags,
                              "%s; j%X with %08X, %08X, CF %d: fused ecx %u flags %03X, "
                              "apart ecx %u flags %03X",
                              firsts[f].name, cc, values[i], values[j], cf, x.ecx, x.flags,
                              y.ecx, y.flags);
                    checked++;
                }
            }
            /* The fused block was decoded once and ran fused. */
            cr_assert_eq(run_pair(fused, 0, 0, false).ecx, run_pair(apart, 0, 0, false).ecx);
        }
        slot = 0;   /* fresh code addresses are few: reuse them per form */
    }
    cr_assert_eq(checked, 8u * 16 * 36);
}

/* A taken fused branch whose target is beyond the CS limit faults with
 * EIP on the Jcc and the first instruction done (its flags and register). */
Test(ops_fused, target_beyond_cs_limit_faults_on_the_jcc)
{
    const uint8_t code[] = { 0x48, 0x0F, 0x85, D32(0x7FFFFFF0), HLT };   /* dec eax; jnz far */
    uint32_t at = next_addr();
    h_load(cpu, at, code, sizeof code);
    cpu->gpr[R_EAX] = 5;
    cpu->seg[SEG_CS].lim_hi = 0x00FFFFFFu;
    seg_cache_sync(&cpu->seg[SEG_CS]);
    cr_assert_eq(exec_at(at, 0), EXC_GP);
    cr_assert_eq(cpu->gpr[R_EAX], 4u);
    cr_assert_eq(stk(0), 0u);                 /* error code */
    cr_assert_eq(stk(1), at + 1 - cpu->seg[SEG_CS].base);   /* EIP of the Jcc */
}
