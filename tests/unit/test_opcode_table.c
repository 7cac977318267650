/* SPDX-License-Identifier: MIT */
/* The opcode table (cpu/opcode_table.c): its own consistency, that the
 * checks catch a duplicate, a missing picker and a new gap, and that the
 * decoder follows it (prefix fallback, the model's extension column). */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/opcode_table.h"
#include "cpu/pickers.h"
#include "fpu/mmx.h"

static char msg[160];

Test(opcode_table, is_consistent)
{
    cr_assert_eq(opcode_table_check(msg, sizeof msg), 0, "%s", msg);
    cr_assert_gt(opcode_table_len, 600);
}

/* A copy of the table with one change, checked with the real reserved
 * list; returns the number of problems. */
static unsigned check_modified(void (*change)(OpcodeRow *rows, size_t *n))
{
    static OpcodeRow rows[1024];
    size_t n = opcode_table_len;
    cr_assert_leq(n + 1, sizeof rows / sizeof rows[0]);
    memcpy(rows, opcode_table, n * sizeof rows[0]);
    change(rows, &n);
    return opcode_rows_check(rows, n, opcode_reserved, opcode_reserved_len, msg, sizeof msg);
}

static size_t find_row(const OpcodeRow *rows, size_t n, unsigned op, unsigned prefix)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].opcode == op && rows[i].prefix == prefix)
            return i;
    cr_assert_fail("no row for opcode 0x%03X prefix %u", op, prefix);
    return 0;
}

static void duplicate_cpuid(OpcodeRow *rows, size_t *n)
{
    size_t i = find_row(rows, *n, 0x1A2, PFX_ANY);
    memmove(&rows[i + 1], &rows[i], (*n - i) * sizeof rows[0]);   /* two 0F A2 rows */
    rows[i + 1].pick = pick_rsm;
    (*n)++;
}

static void drop_cpuid(OpcodeRow *rows, size_t *n)
{
    size_t i = find_row(rows, *n, 0x1A2, PFX_ANY);
    memmove(&rows[i], &rows[i + 1], (*n - i - 1) * sizeof rows[0]);
    (*n)--;
}

static void null_picker(OpcodeRow *rows, size_t *n)
{
    rows[find_row(rows, *n, 0x0F4, PFX_ANY)].pick = NULL;
}

static void row_for_reserved(OpcodeRow *rows, size_t *n)
{
    rows[find_row(rows, *n, 0x1A2, PFX_ANY)].opcode = 0x1A6;   /* sorted still, but reserved */
}

static void unchanged(OpcodeRow *rows, size_t *n) { (void)rows; (void)n; }

Test(opcode_table, checks_catch_duplicates_gaps_and_missing_pickers)
{
    cr_assert_eq(check_modified(unchanged), 0, "%s", msg);
    cr_assert_gt(check_modified(duplicate_cpuid), 0);
    cr_assert(strstr(msg, "two rows"), "%s", msg);
    cr_assert_gt(check_modified(drop_cpuid), 0);
    cr_assert(strstr(msg, "no row") && strstr(msg, "0x1A2"), "%s", msg);
    cr_assert_gt(check_modified(null_picker), 0);
    cr_assert(strstr(msg, "picker"), "%s", msg);
    cr_assert_gt(check_modified(row_for_reserved), 0);
}

/* The documented #UD set: every reserved opcode and the whole 0F 38 and
 * 0F 3A maps decode to #UD on the fullest model, and no other opcode of
 * the one-byte and 0F maps lacks a row. */
Test(opcode_table, gaps_are_exactly_the_reserved_opcodes)
{
    decode_init();
    unsigned gaps = 0;
    for (unsigned op = 0; op < OP_0F38; op++) {
        bool row = false;
        for (unsigned p = PFX_NONE; p <= PFX_ANY; p++)
            row |= decode_row(op, p) != NULL;
        if (!row && !opcode_is_prefix_or_escape(op))
            gaps++;
    }
    cr_assert_eq(gaps, opcode_reserved_len);
    cr_assert_eq(opcode_reserved_len, 27);
    for (size_t i = 0; i < opcode_reserved_len; i++) {
        uint8_t b[8] = { 0x0F, (uint8_t)opcode_reserved[i], 0xC0 };
        Insn in;
        bool ends;
        cr_assert_gt(decode_insn(b, sizeof b, true, ~0u, &in, &ends), 0);
        cr_assert_eq(in.fn, insn_undefined, "0F %02X", opcode_reserved[i] & 0xFF);
    }
    for (unsigned op = 0; op < 0x200; op++) {
        uint8_t b[8] = { 0x0F, op < 0x100 ? 0x38 : 0x3A, (uint8_t)op, 0xC0 };
        Insn in;
        bool ends;
        cr_assert_gt(decode_insn(b, sizeof b, true, ~0u, &in, &ends), 0);
        cr_assert_eq(in.fn, insn_undefined);
    }
}

/* The isa column decides #UD by model: every PFX_ANY row that needs an
 * extension decodes, with any prefix, to #UD on a model with every
 * extension but that one (register and memory forms). */
Test(opcode_table, isa_column_decides_ud_by_model)
{
    static const uint8_t prefixes[] = { 0x00, 0x66, 0xF3, 0xF2 };
    decode_init();
    unsigned checked = 0;
    for (size_t i = 0; i < opcode_table_len; i++) {
        const OpcodeRow *row = &opcode_table[i];
        if (row->prefix != PFX_ANY || !row->isa)
            continue;
        for (unsigned p = 0; p < 4; p++)
            for (unsigned modrm = 0x00; modrm <= 0xC0; modrm += 0xC0) {
                uint8_t b[12] = { 0 };
                unsigned n = 0;
                if (prefixes[p])
                    b[n++] = prefixes[p];
                if (row->opcode >= OP_0F)
                    b[n++] = 0x0F;
                b[n++] = (uint8_t)row->opcode;
                b[n++] = (uint8_t)modrm;
                Insn in;
                bool ends;
                cr_assert_gt(decode_insn(b, sizeof b, true, ~row->isa, &in, &ends), 0);
                cr_assert_eq(in.fn, insn_undefined, "%s with prefix %02X", row->mnemonic,
                             prefixes[p]);
                checked++;
            }
    }
    cr_assert_geq(checked, 8 * 97);   /* 97 PFX_ANY rows need an extension */
}

/* The MMX family's own table (fpu/mmx.c) and the rows agree: every MMX
 * binary operation has its 0F row, and its SSE2 form a 66 row. */
Test(opcode_table, mmx_rows_match_the_mmx_family)
{
    decode_init();
    for (unsigned op = 0; op < 0x100; op++) {
        const OpcodeRow *any = decode_row(OP_0F | op, PFX_ANY);
        const OpcodeRow *x66 = decode_row(OP_0F | op, PFX_66);
        bool binary = any && any->pick == pick_mmx_binary;
        cr_assert_eq(binary, mmx_op_known(op), "0F %02X", op);
        if (binary)
            cr_assert(x66 && x66->pick == pick_pint_binary, "0F %02X", op);
    }
}

static InsnFn decode_fn(const uint8_t *b, unsigned n, uint32_t isa)
{
    Insn in;
    bool ends;
    decode_init();
    cr_assert_gt(decode_insn(b, n, true, isa, &in, &ends), 0);
    return in.fn;
}

/* A prefixed row the model lacks falls back to the PFX_ANY row; a PFX_NONE
 * row it lacks is #UD; the isa column of PFX_ANY rows gates every prefix. */
Test(opcode_table, prefix_rows_fall_back_by_model)
{
    static const uint8_t pause[] = { 0xF3, 0x90 }, nop[] = { 0x90 };
    static const uint8_t movups[] = { 0x0F, 0x10, 0xC1 };
    static const uint8_t cmov[] = { 0x0F, 0x44, 0xC1 }, cmov66[] = { 0x66, 0x0F, 0x44, 0xC1 };
    InsnFn nop_fn = decode_fn(nop, sizeof nop, ISA_CPUID);
    /* F3 90 without SVM: the PFX_ANY row's PAUSE (a NOP that may end an SMP
     * slice); with SVM: the intercepting row. 90 alone stays a NOP. */
    cr_assert_eq(decode_fn(pause, sizeof pause, ISA_CPUID), insn_pause);
    cr_assert_neq(nop_fn, insn_pause);
    InsnFn svm_pause = decode_fn(pause, sizeof pause, ISA_CPUID | ISA_SVM);
    cr_assert(svm_pause != nop_fn && svm_pause != insn_pause);
    cr_assert_eq(decode_fn(movups, sizeof movups, ISA_MMX), insn_undefined);
    cr_assert_neq(decode_fn(movups, sizeof movups, ISA_SSE), insn_undefined);
    cr_assert_eq(decode_fn(cmov, sizeof cmov, ISA_MMX), insn_undefined);
    cr_assert_eq(decode_fn(cmov66, sizeof cmov66, ISA_MMX), insn_undefined);
    cr_assert_neq(decode_fn(cmov, sizeof cmov, ISA_CMOV), insn_undefined);
    cr_assert_eq(decode_op_isa(0x144), ISA_CMOV);
    /* FXSAVE with an ignored 66 prefix is still FXSAVE: #UD on a Pentium. */
    static const uint8_t fxsave66[] = { 0x66, 0x0F, 0xAE, 0x00 };
    cr_assert_eq(decode_fn(fxsave66, sizeof fxsave66, ISA_MMX | ISA_CX8), insn_undefined);
    cr_assert_neq(decode_fn(fxsave66, sizeof fxsave66, ISA_FXSR), insn_undefined);
}

/* Group members by ModRM (opcode_members), spelled out from the SDM so a
 * member row that goes missing fails: each decodes to #UD on a model with
 * every extension but its own, and not on one that has it. */
Test(opcode_table, group_members_need_their_extension)
{
    static const struct {
        uint8_t b[4];
        uint32_t isa;
    } cases[] = {
        { { 0xDA, 0xC1 }, ISA_CMOV },        /* fcmovb st0, st1 */
        { { 0xDB, 0xD9 }, ISA_CMOV },        /* fcmovnu */
        { { 0xDB, 0xE9 }, ISA_CMOV },        /* fucomi */
        { { 0xDB, 0xF1 }, ISA_CMOV },        /* fcomi */
        { { 0xDF, 0xE9 }, ISA_CMOV },        /* fucomip */
        { { 0xDF, 0xF1 }, ISA_CMOV },        /* fcomip */
        { { 0x0F, 0x01, 0xC8 }, ISA_SSE3 },  /* monitor */
        { { 0x0F, 0x01, 0xC9 }, ISA_SSE3 },  /* mwait */
        { { 0x0F, 0x01, 0xD8 }, ISA_SVM },   /* vmrun */
        { { 0x0F, 0x01, 0xDF }, ISA_SVM },   /* invlpga */
        { { 0x0F, 0xAE, 0x10 }, ISA_SSE },   /* ldmxcsr [eax] */
        { { 0x0F, 0xAE, 0x18 }, ISA_SSE },   /* stmxcsr [eax] */
        { { 0x0F, 0xAE, 0xE8 }, ISA_SSE2 },  /* lfence */
        { { 0x0F, 0xAE, 0xF0 }, ISA_SSE2 },  /* mfence */
        { { 0x0F, 0xAE, 0xF8 }, ISA_SSE },   /* sfence */
        { { 0x0F, 0xAE, 0x38 }, ISA_CLFLUSH },   /* clflush [eax] */
    };
    cr_assert_eq(opcode_table_check(msg, sizeof msg), 0, "%s", msg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(decode_fn(cases[i].b, 4, ~cases[i].isa), insn_undefined, "case %zu", i);
        cr_assert_neq(decode_fn(cases[i].b, 4, ~0u), insn_undefined, "case %zu", i);
    }
    static const uint8_t fucompp[] = { 0xDA, 0xE9 }, fxsave[] = { 0x0F, 0xAE, 0x00 };
    cr_assert_neq(decode_fn(fucompp, sizeof fucompp, 0), insn_undefined);   /* 387 */
    cr_assert_neq(decode_fn(fxsave, sizeof fxsave, ISA_FXSR), insn_undefined);
}
