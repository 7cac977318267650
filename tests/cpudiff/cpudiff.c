/* SPDX-License-Identifier: MIT */
/* Differential test of Kairo's CPU against the host CPU.
 *
 *   cpudiff --native PATH [--seed N] [--cases N] [--form NAME] [-v]
 *
 * Random single instructions (about 300 forms: ALU, shifts, rotates,
 * SHLD/SHRD, MUL/IMUL/DIV/IDIV, BCD, bit operations, SETcc/CMOVcc,
 * MOVZX/MOVSX, XCHG/XADD/CMPXCHG/CMPXCHG8B, BSWAP, LEA, string operations
 * with REP, CBW family, LAHF/SAHF, flag control, in 8/16/32-bit forms) with
 * random register, memory and flag inputs run natively (a -m32 helper) and
 * in Kairo; registers, the memory buffer and the flags the SDM defines are
 * compared. Seeded and bounded; exits 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "tests/cpudiff/cpudiff.h"
#include "tests/unit/cpu_harness.h"

/* --- instruction forms --- */

enum {
    K_PLAIN,      /* ModRM (reg or [ebx+disp8]) or none, random operands */
    K_REGONLY,    /* ModRM, register operand only */
    K_MEMONLY,    /* ModRM, memory operand only */
    K_SHIFT_CL,   /* count in CL: ECX random 0..40 */
    K_SHXD16,     /* 16-bit SHLD/SHRD: count below 16 */
    K_SHXD16_CL,
    K_DIV,        /* DIV/IDIV by CL/CX/ECX, dividend arranged to fit */
    K_STRING,     /* ESI/EDI in the buffer, ECX small */
    K_AAM,        /* immediate non-zero */
    K_BSF,        /* destination undefined when the source is zero */
};

typedef struct Form {
    char name[24];
    uint8_t prefix[2];
    unsigned n_prefix;
    uint8_t op[2];
    unsigned n_op;
    int reg;        /* ModRM reg field: -1 random, 0-7 fixed, -2 no ModRM */
    unsigned imm;   /* immediate bytes */
    unsigned kind;
    unsigned width; /* operand width for DIV setup */
    bool idiv;
    uint32_t undef; /* flags the SDM leaves undefined */
} Form;

static Form forms[512];
static unsigned n_forms;

#define ARITH (FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF)

static Form *add(const char *name, uint8_t prefix, uint8_t op0, int op1, int reg, unsigned imm,
                 unsigned kind, uint32_t undef)
{
    Form *f = &forms[n_forms++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    if (prefix)
        f->prefix[f->n_prefix++] = prefix;
    f->op[f->n_op++] = op0;
    if (op1 >= 0)
        f->op[f->n_op++] = (uint8_t)op1;
    f->reg = reg;
    f->imm = imm;
    f->kind = kind;
    f->undef = undef;
    return f;
}

/* Add a form in 32-bit and (with 66h) 16-bit operand size. */
static void add_v(const char *name, uint8_t op0, int op1, int reg, unsigned imm32, unsigned kind,
                  uint32_t undef)
{
    char n[24];
    snprintf(n, sizeof n, "%s/32", name);
    add(n, 0, op0, op1, reg, imm32, kind, undef);
    snprintf(n, sizeof n, "%s/16", name);
    add(n, 0x66, op0, op1, reg, imm32 == 4 ? 2 : imm32, kind, undef);
}

static void build_forms(void)
{
    static const char *alu[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
    for (int op = 0; op < 8; op++) {
        char n[24];
        snprintf(n, sizeof n, "%s rm8,r8", alu[op]);
        add(n, 0, (uint8_t)(op * 8 + 0), -1, -1, 0, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s rm,r", alu[op]);
        add_v(n, (uint8_t)(op * 8 + 1), -1, -1, 0, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s r8,rm8", alu[op]);
        add(n, 0, (uint8_t)(op * 8 + 2), -1, -1, 0, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s r,rm", alu[op]);
        add_v(n, (uint8_t)(op * 8 + 3), -1, -1, 0, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s al,imm", alu[op]);
        add(n, 0, (uint8_t)(op * 8 + 4), -1, -2, 1, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s eax,imm", alu[op]);
        add_v(n, (uint8_t)(op * 8 + 5), -1, -2, 4, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s rm8,imm8", alu[op]);
        add(n, 0, 0x80, -1, op, 1, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s rm,imm", alu[op]);
        add_v(n, 0x81, -1, op, 4, K_PLAIN, 0);
        snprintf(n, sizeof n, "%s rm,imm8", alu[op]);
        add_v(n, 0x83, -1, op, 1, K_PLAIN, 0);
    }
    static const uint8_t incdec[] = { 0x40, 0x41, 0x42, 0x43, 0x45, 0x46, 0x47,
                                      0x48, 0x49, 0x4A, 0x4B, 0x4D, 0x4E, 0x4F };
    for (unsigned i = 0; i < sizeof incdec; i++) {
        char n[24];
        snprintf(n, sizeof n, "%s r%u", incdec[i] < 0x48 ? "inc" : "dec", incdec[i] & 7);
        add_v(n, incdec[i], -1, -2, 0, K_PLAIN, 0);
    }
    add("inc rm8", 0, 0xFE, -1, 0, 0, K_PLAIN, 0);
    add("dec rm8", 0, 0xFE, -1, 1, 0, K_PLAIN, 0);
    add_v("inc rm", 0xFF, -1, 0, 0, K_PLAIN, 0);
    add_v("dec rm", 0xFF, -1, 1, 0, K_PLAIN, 0);
    add("test rm8,r8", 0, 0x84, -1, -1, 0, K_PLAIN, 0);
    add_v("test rm,r", 0x85, -1, -1, 0, K_PLAIN, 0);
    add("test al,imm", 0, 0xA8, -1, -2, 1, K_PLAIN, 0);
    add_v("test eax,imm", 0xA9, -1, -2, 4, K_PLAIN, 0);
    add("test rm8,imm", 0, 0xF6, -1, 0, 1, K_PLAIN, 0);
    add_v("test rm,imm", 0xF7, -1, 0, 4, K_PLAIN, 0);
    add("not rm8", 0, 0xF6, -1, 2, 0, K_PLAIN, 0);
    add_v("not rm", 0xF7, -1, 2, 0, K_PLAIN, 0);
    add("neg rm8", 0, 0xF6, -1, 3, 0, K_PLAIN, 0);
    add_v("neg rm", 0xF7, -1, 3, 0, K_PLAIN, 0);
    const uint32_t mul_undef = FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF;
    add("mul rm8", 0, 0xF6, -1, 4, 0, K_PLAIN, mul_undef);
    add_v("mul rm", 0xF7, -1, 4, 0, K_PLAIN, mul_undef);
    add("imul rm8", 0, 0xF6, -1, 5, 0, K_PLAIN, mul_undef);
    add_v("imul rm", 0xF7, -1, 5, 0, K_PLAIN, mul_undef);
    add_v("imul r,rm", 0x0F, 0xAF, -1, 0, K_PLAIN, mul_undef);
    add_v("imul r,rm,imm", 0x69, -1, -1, 4, K_PLAIN, mul_undef);
    add_v("imul r,rm,imm8", 0x6B, -1, -1, 1, K_PLAIN, mul_undef);
    static const char *divn[4] = { "div", "idiv" };
    for (int i = 0; i < 2; i++) {
        char n[24];
        snprintf(n, sizeof n, "%s cl", divn[i]);
        Form *f = add(n, 0, 0xF6, -1, 6 + i, 0, K_DIV, ARITH);
        f->width = 8;
        f->idiv = i;
        snprintf(n, sizeof n, "%s ecx", divn[i]);
        f = add(n, 0, 0xF7, -1, 6 + i, 0, K_DIV, ARITH);
        f->width = 32;
        f->idiv = i;
        snprintf(n, sizeof n, "%s cx", divn[i]);
        f = add(n, 0x66, 0xF7, -1, 6 + i, 0, K_DIV, ARITH);
        f->width = 16;
        f->idiv = i;
    }
    static const char *sh[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
    for (int r = 0; r < 8; r++) {
        if (r == 6)
            continue;   /* SAL is SHL; the /6 alias is not defined on every host */
        char n[24];
        /* AF is undefined after shifts, OF after any count but 1. */
        uint32_t u1 = r >= 4 ? FLAG_AF : 0, un = u1 | FLAG_OF;
        snprintf(n, sizeof n, "%s rm8,1", sh[r]);
        add(n, 0, 0xD0, -1, r, 0, K_PLAIN, u1);
        snprintf(n, sizeof n, "%s rm,1", sh[r]);
        add_v(n, 0xD1, -1, r, 0, K_PLAIN, u1);
        snprintf(n, sizeof n, "%s rm8,cl", sh[r]);
        add(n, 0, 0xD2, -1, r, 0, K_SHIFT_CL, un);
        snprintf(n, sizeof n, "%s rm,cl", sh[r]);
        add_v(n, 0xD3, -1, r, 0, K_SHIFT_CL, un);
        snprintf(n, sizeof n, "%s rm8,imm", sh[r]);
        add(n, 0, 0xC0, -1, r, 1, K_PLAIN, un);
        snprintf(n, sizeof n, "%s rm,imm", sh[r]);
        add_v(n, 0xC1, -1, r, 1, K_PLAIN, un);
    }
    const uint32_t shxd_undef = FLAG_AF | FLAG_OF;
    add("shld rm32,r32,imm", 0, 0x0F, 0xA4, -1, 1, K_PLAIN, shxd_undef);
    add("shrd rm32,r32,imm", 0, 0x0F, 0xAC, -1, 1, K_PLAIN, shxd_undef);
    add("shld rm32,r32,cl", 0, 0x0F, 0xA5, -1, 0, K_SHIFT_CL, shxd_undef);
    add("shrd rm32,r32,cl", 0, 0x0F, 0xAD, -1, 0, K_SHIFT_CL, shxd_undef);
    add("shld rm16,r16,imm", 0x66, 0x0F, 0xA4, -1, 1, K_SHXD16, shxd_undef);
    add("shrd rm16,r16,imm", 0x66, 0x0F, 0xAC, -1, 1, K_SHXD16, shxd_undef);
    add("shld rm16,r16,cl", 0x66, 0x0F, 0xA5, -1, 0, K_SHXD16_CL, shxd_undef);
    add("shrd rm16,r16,cl", 0x66, 0x0F, 0xAD, -1, 0, K_SHXD16_CL, shxd_undef);
    const uint32_t bt_undef = FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF;
    static const uint8_t bt_ops[4] = { 0xA3, 0xAB, 0xB3, 0xBB };
    static const char *btn[4] = { "bt", "bts", "btr", "btc" };
    for (int i = 0; i < 4; i++) {
        char n[24];
        snprintf(n, sizeof n, "%s rm,r", btn[i]);
        add_v(n, 0x0F, bt_ops[i], -1, 0, K_REGONLY, bt_undef);
        snprintf(n, sizeof n, "%s rm,imm", btn[i]);
        add_v(n, 0x0F, 0xBA, 4 + i, 1, K_PLAIN, bt_undef);
    }
    const uint32_t bsf_undef = FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF;
    add_v("bsf r,rm", 0x0F, 0xBC, -1, 0, K_BSF, bsf_undef);
    add_v("bsr r,rm", 0x0F, 0xBD, -1, 0, K_BSF, bsf_undef);
    for (int cc = 0; cc < 16; cc++) {
        char n[24];
        snprintf(n, sizeof n, "set%d rm8", cc);
        add(n, 0, 0x0F, 0x90 + cc, -1, 0, K_PLAIN, 0);
        snprintf(n, sizeof n, "cmov%d r,rm", cc);
        add_v(n, 0x0F, 0x40 + cc, -1, 0, K_PLAIN, 0);
    }
    add_v("movzx r,rm8", 0x0F, 0xB6, -1, 0, K_PLAIN, 0);
    add("movzx r32,rm16", 0, 0x0F, 0xB7, -1, 0, K_PLAIN, 0);
    add_v("movsx r,rm8", 0x0F, 0xBE, -1, 0, K_PLAIN, 0);
    add("movsx r32,rm16", 0, 0x0F, 0xBF, -1, 0, K_PLAIN, 0);
    add("xchg rm8,r8", 0, 0x86, -1, -1, 0, K_PLAIN, 0);
    add_v("xchg rm,r", 0x87, -1, -1, 0, K_PLAIN, 0);
    add_v("xchg eax,ecx", 0x91, -1, -2, 0, K_PLAIN, 0);
    add_v("xchg eax,edi", 0x97, -1, -2, 0, K_PLAIN, 0);
    add("xadd rm8,r8", 0, 0x0F, 0xC0, -1, 0, K_PLAIN, 0);
    add_v("xadd rm,r", 0x0F, 0xC1, -1, 0, K_PLAIN, 0);
    add("cmpxchg rm8,r8", 0, 0x0F, 0xB0, -1, 0, K_PLAIN, 0);
    add_v("cmpxchg rm,r", 0x0F, 0xB1, -1, 0, K_PLAIN, 0);
    add("cmpxchg8b m64", 0, 0x0F, 0xC7, 1, 0, K_MEMONLY, 0);
    add("bswap eax", 0, 0x0F, 0xC8, -2, 0, K_PLAIN, 0);
    add("bswap esi", 0, 0x0F, 0xCE, -2, 0, K_PLAIN, 0);
    add_v("lea r,m", 0x8D, -1, -1, 0, K_MEMONLY, 0);
    add("mov rm8,r8", 0, 0x88, -1, -1, 0, K_PLAIN, 0);
    add_v("mov rm,r", 0x89, -1, -1, 0, K_PLAIN, 0);
    add("mov r8,rm8", 0, 0x8A, -1, -1, 0, K_PLAIN, 0);
    add_v("mov r,rm", 0x8B, -1, -1, 0, K_PLAIN, 0);
    add("mov rm8,imm", 0, 0xC6, -1, 0, 1, K_PLAIN, 0);
    add_v("mov rm,imm", 0xC7, -1, 0, 4, K_PLAIN, 0);
    add("mov dh,imm", 0, 0xB6, -1, -2, 1, K_PLAIN, 0);
    add_v("mov edi,imm", 0xBF, -1, -2, 4, K_PLAIN, 0);
    add_v("cbw/cwde", 0x98, -1, -2, 0, K_PLAIN, 0);
    add_v("cwd/cdq", 0x99, -1, -2, 0, K_PLAIN, 0);
    add("lahf", 0, 0x9F, -1, -2, 0, K_PLAIN, 0);
    add("sahf", 0, 0x9E, -1, -2, 0, K_PLAIN, 0);
    add("clc", 0, 0xF8, -1, -2, 0, K_PLAIN, 0);
    add("stc", 0, 0xF9, -1, -2, 0, K_PLAIN, 0);
    add("cmc", 0, 0xF5, -1, -2, 0, K_PLAIN, 0);
    add("std", 0, 0xFD, -1, -2, 0, K_PLAIN, 0);
    add("daa", 0, 0x27, -1, -2, 0, K_PLAIN, FLAG_OF);
    add("das", 0, 0x2F, -1, -2, 0, K_PLAIN, FLAG_OF);
    add("aaa", 0, 0x37, -1, -2, 0, K_PLAIN, FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_PF);
    add("aas", 0, 0x3F, -1, -2, 0, K_PLAIN, FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_PF);
    add("aam imm", 0, 0xD4, -1, -2, 1, K_AAM, FLAG_OF | FLAG_AF | FLAG_CF);
    add("aad imm", 0, 0xD5, -1, -2, 1, K_PLAIN, FLAG_OF | FLAG_AF | FLAG_CF);
    static const struct { uint8_t op; const char *name; } strs[] = {
        { 0xA4, "movsb" }, { 0xA5, "movs" }, { 0xA6, "cmpsb" }, { 0xA7, "cmps" },
        { 0xAA, "stosb" }, { 0xAB, "stos" }, { 0xAC, "lodsb" }, { 0xAD, "lods" },
        { 0xAE, "scasb" }, { 0xAF, "scas" },
    };
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char n[24];
        bool cmp = strs[i].op == 0xA6 || strs[i].op == 0xA7 || strs[i].op == 0xAE || strs[i].op == 0xAF;
        uint8_t reps[3] = { 0, 0xF3, 0xF2 };
        for (int r = 0; r < (cmp ? 3 : 2); r++) {
            snprintf(n, sizeof n, "%s%s", r == 0 ? "" : r == 1 ? "rep " : "repne ", strs[i].name);
            Form *f = add(n, reps[r], strs[i].op, -1, -2, 0, K_STRING, 0);
            if (strs[i].op & 1) {   /* the word/dword form also in 16-bit */
                snprintf(n, sizeof n, "%s%s16", r == 0 ? "" : r == 1 ? "rep " : "repne ", strs[i].name);
                Form *g = add(n, 0x66, strs[i].op, -1, -2, 0, K_STRING, 0);
                if (reps[r])
                    g->prefix[g->n_prefix++] = reps[r];
            }
            (void)f;
        }
    }
}

/* --- case generation --- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* A random value with a bias to the edges that find flag bugs. */
static uint32_t rnd_value(void)
{
    static const uint32_t edges[] = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                                      0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE,
                                      0x99, 0x9A, 0x0F, 0x10, 0xF0 };
    switch (rnd() % 6) {
    case 0: return edges[rnd() % (sizeof edges / sizeof edges[0])];
    case 1: return rnd() & 0xFF;
    case 2: return rnd() & 0xFFFF;
    default: return rnd() ^ (rnd() << 7);
    }
}

typedef struct Emitter {
    uint8_t *p;
    unsigned n;
} Emitter;

static void emit8(Emitter *e, uint32_t v) { e->p[e->n++] = (uint8_t)v; }
static void emit32(Emitter *e, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        emit8(e, v >> (8 * i));
}

static void gen_case(CdCase *c, unsigned form_index)
{
    const Form *f = &forms[form_index];
    memset(c, 0, sizeof *c);
    c->form = form_index;
    for (unsigned i = 0; i < CD_DATA_SIZE; i += 4) {
        uint32_t v = rnd_value();
        memcpy(c->data + i, &v, 4);
    }
    uint32_t r[8];
    for (int i = 0; i < 8; i++)
        r[i] = rnd_value();
    bool mem = f->reg != -2 && f->kind != K_REGONLY && (f->kind == K_MEMONLY || (rnd() & 1));
    if (f->kind == K_DIV)
        mem = false;
    unsigned reg = f->reg >= 0 ? (unsigned)f->reg : 0, rm = 0;
    if (f->reg == -1) {
        do
            reg = rnd() % 8;
        while (reg == 4);   /* never ESP (AH is left out of 8-bit forms too) */
    }
    do
        rm = rnd() % 8;
    while (rm == 4);
    if (f->kind == K_DIV)
        rm = 1;   /* divide by CL / CX / ECX */
    int32_t disp = (int32_t)(rnd() % 192) - 64;
    if (mem && (reg == 3) && f->reg == -1)
        reg = 2;   /* keep EBX as the base */
    if (f->kind == K_SHIFT_CL || f->kind == K_SHXD16_CL) {
        r[1] = f->kind == K_SHXD16_CL ? rnd() % 16 : rnd() % 41;
        if (reg == 1 && f->reg == -1)
            reg = 2;
        if (rm == 1)
            rm = 2;
    }
    if (f->kind == K_DIV) {
        uint32_t d;
        do
            d = rnd_value();
        while ((f->width == 8 ? d & 0xFF : f->width == 16 ? d & 0xFFFF : d) == 0);
        r[1] = d;
        if (!f->idiv) {
            if (f->width == 8)
                r[0] = (r[0] & ~0xFF00u) | ((rnd() % (d & 0xFF)) << 8);
            else if (f->width == 16)
                r[2] = (r[2] & ~0xFFFFu) | (rnd() % (d & 0xFFFF));
            else
                r[2] = rnd() % d;
        } else {
            /* Sign-extended dividend and a small enough quotient. */
            if (f->width == 8) {
                int8_t dv = (int8_t)d;
                int8_t a = (int8_t)r[0];
                if (dv == -1 && a == -128)
                    a = 5;
                r[0] = (r[0] & ~0xFFFFu) | (uint16_t)(int16_t)a;
            } else if (f->width == 16) {
                int16_t dv = (int16_t)d;
                int16_t a = (int16_t)r[0];
                if (dv == -1 && a == -32768)
                    a = 7;
                r[0] = (r[0] & ~0xFFFFu) | (uint16_t)a;
                r[2] = (r[2] & ~0xFFFFu) | (a < 0 ? 0xFFFF : 0);
            } else {
                if ((int32_t)d == -1 && r[0] == 0x80000000u)
                    r[0] = 9;
                r[2] = (int32_t)r[0] < 0 ? 0xFFFFFFFFu : 0;
            }
        }
    }
    if (mem)
        r[3] = CD_DATA_ADDR + 0x100;
    if (f->kind == K_STRING) {
        r[6] = CD_DATA_ADDR + 0x20 + (rnd() % 32);
        r[7] = CD_DATA_ADDR + 0x100 + (rnd() % 32);
        r[1] = rnd() % 17;
    }
    uint32_t flags = rnd() & ARITH;

    Emitter e = { c->code, 0 };
    emit8(&e, 0x55);   /* push ebp/ebx/esi/edi: callee-saved on the host */
    emit8(&e, 0x53);
    emit8(&e, 0x56);
    emit8(&e, 0x57);
    for (int i = 0; i < 8; i++) {
        if (i == 4)
            continue;
        emit8(&e, 0xB8 + (unsigned)i);
        emit32(&e, r[i]);
    }
    emit8(&e, 0x68);   /* push flags; popfd */
    emit32(&e, flags | 2);
    emit8(&e, 0x9D);
    /* The instruction */
    for (unsigned i = 0; i < f->n_prefix; i++)
        emit8(&e, f->prefix[i]);
    for (unsigned i = 0; i < f->n_op; i++)
        emit8(&e, f->op[i]);
    if (f->reg != -2) {
        if (mem) {
            emit8(&e, 0x40 | reg << 3 | 3);   /* [ebx + disp8] */
            emit8(&e, (uint32_t)disp);
        } else {
            emit8(&e, 0xC0 | reg << 3 | rm);
        }
    }
    uint32_t imm = rnd_value();
    if (f->kind == K_AAM && (imm & 0xFF) == 0)
        imm = 10;
    if (f->kind == K_SHXD16)
        imm %= 16;
    for (unsigned i = 0; i < f->imm; i++)
        emit8(&e, imm >> (8 * i));
    /* Save everything */
    emit8(&e, 0x9C);   /* pushfd; pop [save+32] */
    emit8(&e, 0x8F);
    emit8(&e, 0x05);
    emit32(&e, CD_SAVE_ADDR + 32);
    emit8(&e, 0xA3);   /* mov [save], eax */
    emit32(&e, CD_SAVE_ADDR);
    for (unsigned i = 1; i < 8; i++) {
        if (i == 4)
            continue;
        emit8(&e, 0x89);
        emit8(&e, 0x05 | i << 3);
        emit32(&e, CD_SAVE_ADDR + 4 * i);
    }
    emit8(&e, 0xFC);   /* cld: the host ABI wants DF clear */
    emit8(&e, 0x5F);
    emit8(&e, 0x5E);
    emit8(&e, 0x5B);
    emit8(&e, 0x5D);
    c->hlt_at = e.n;
    emit8(&e, 0xC3);
    c->code_len = e.n;
}

/* --- running in Kairo --- */

static void run_kairo(Cpu *cpu, const CdCase *c, CdResult *out)
{
    memset(out, 0, sizeof *out);
    phys_write_block(cpu->mem, CD_DATA_ADDR, c->data, CD_DATA_SIZE);
    uint8_t zero[64] = { 0 };
    phys_write_block(cpu->mem, CD_SAVE_ADDR, zero, sizeof zero);
    uint8_t code[CD_CODE_MAX];
    memcpy(code, c->code, c->code_len);
    code[c->hlt_at] = 0xF4;
    h_load(cpu, CD_CODE_ADDR, code, c->code_len);
    cpu->gpr[R_ESP] = 0x90000;
    cpu->lf.kind = LF_NONE;
    cpu->eflags = 2;
    cpu->halted = false;
    h_run(cpu, CD_CODE_ADDR, 200000);
    int exc = h_last_exception(cpu);
    if (exc >= 0)
        out->faulted = 100 + (uint32_t)exc;
    else if (cpu->eip != CD_CODE_ADDR + c->hlt_at + 1)
        out->faulted = 99;
    for (int i = 0; i < 8; i++)
        out->regs[i] = h_read32(cpu, CD_SAVE_ADDR + 4u * (unsigned)i);
    out->eflags = h_read32(cpu, CD_SAVE_ADDR + 32);
    phys_read_block(cpu->mem, CD_DATA_ADDR, out->data, CD_DATA_SIZE);
}

static const char *reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

/* Compare; returns a description of the first difference or NULL. */
static const char *compare(const Form *f, const CdResult *host, const CdResult *k, uint32_t *undef_diff)
{
    static char why[160];
    if (host->faulted || k->faulted) {
        if (host->faulted == k->faulted)
            return NULL;
        snprintf(why, sizeof why, "fault: host %u kairo %u", host->faulted, k->faulted);
        return why;
    }
    uint32_t defined = (ARITH | FLAG_DF) & ~f->undef;
    bool bsf_zero = f->kind == K_BSF && (host->eflags & FLAG_ZF);
    for (int i = 0; i < 8; i++) {
        if (i == 4)
            continue;
        if (host->regs[i] != k->regs[i]) {
            if (bsf_zero)
                continue;   /* destination undefined for a zero source */
            snprintf(why, sizeof why, "%s: host %08X kairo %08X", reg_names[i], host->regs[i],
                     k->regs[i]);
            return why;
        }
    }
    if ((host->eflags ^ k->eflags) & defined) {
        snprintf(why, sizeof why, "eflags: host %08X kairo %08X (compared bits %08X)",
                 host->eflags, k->eflags, defined);
        return why;
    }
    *undef_diff = (host->eflags ^ k->eflags) & f->undef & ARITH;
    for (unsigned i = 0; i < CD_DATA_SIZE; i++) {
        if (host->data[i] != k->data[i]) {
            snprintf(why, sizeof why, "memory +%u: host %02X kairo %02X", i, host->data[i],
                     k->data[i]);
            return why;
        }
    }
    return NULL;
}

static void dump_case(const CdCase *c)
{
    fprintf(stderr, "  code:");
    for (unsigned i = 0; i < c->code_len; i++)
        fprintf(stderr, " %02X", c->code[i]);
    fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
    const char *native = NULL, *only = NULL;
    uint64_t seed = 1;
    unsigned cases = 100000;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--native") && i + 1 < argc) native = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--form") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "-v")) verbose = true;
        else {
            fprintf(stderr, "usage: cpudiff --native PATH [--seed N] [--cases N] [--form NAME] [-v]\n");
            return 2;
        }
    }
    if (!native) {
        fprintf(stderr, "cpudiff: --native PATH is required\n");
        return 2;
    }
    build_forms();
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    unsigned *chosen = malloc(sizeof *chosen * cases);
    CdCase *all = malloc(sizeof *all * cases);
    CdResult *host = malloc(sizeof *host * cases);
    if (!chosen || !all || !host) {
        fprintf(stderr, "cpudiff: out of memory\n");
        return 2;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < cases; i++) {
        unsigned fi = rnd() % n_forms;
        if (only && strcmp(forms[fi].name, only))
            continue;
        gen_case(&all[n++], fi);
    }
    if (only && !n) {
        /* The form name matched nothing in the random draw: run it alone. */
        for (unsigned fi = 0; fi < n_forms; fi++)
            if (!strcmp(forms[fi].name, only))
                for (unsigned i = 0; i < cases; i++)
                    gen_case(&all[n++], fi);
    }
    /* Run them on the host: cases to a file, the -m32 helper, results back. */
    char in_path[] = "/tmp/cpudiff-in-XXXXXX", out_path[] = "/tmp/cpudiff-out-XXXXXX";
    int fin = mkstemp(in_path), fout = mkstemp(out_path);
    if (fin < 0 || fout < 0) {
        fprintf(stderr, "cpudiff: cannot create temporary files\n");
        return 2;
    }
    FILE *fp = fdopen(fin, "wb");
    fwrite(all, sizeof *all, n, fp);
    fclose(fp);
    close(fout);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' < '%s' > '%s'", native, in_path, out_path);
    int rc = system(cmd);
    fp = fopen(out_path, "rb");
    size_t got = fp ? fread(host, sizeof *host, n, fp) : 0;
    if (fp)
        fclose(fp);
    unlink(in_path);
    unlink(out_path);
    if (rc != 0 || got != n) {
        fprintf(stderr, "cpudiff: the native helper failed (status %d, %zu of %u results)\n", rc,
                got, n);
        return 2;
    }
    Cpu *cpu = h_cpu_new(4, true);
    unsigned failures = 0, undef_diffs = 0, host_faults = 0;
    static unsigned per_form_fail[512];
    for (unsigned i = 0; i < n; i++) {
        CdResult k;
        run_kairo(cpu, &all[i], &k);
        const Form *f = &forms[all[i].form];
        if (host[i].faulted)
            host_faults++;
        if (verbose && i < 3)
            fprintf(stderr, "case %u %s: host eax %08X flags %08X, kairo eax %08X flags %08X\n", i,
                    forms[all[i].form].name, host[i].regs[0], host[i].eflags, k.regs[0], k.eflags);
        uint32_t ud = 0;
        const char *why = compare(f, &host[i], &k, &ud);
        if (ud)
            undef_diffs++;
        if (why) {
            failures++;
            if (per_form_fail[all[i].form]++ < 2 || verbose) {
                fprintf(stderr, "MISMATCH %s (case %u): %s\n", f->name, i, why);
                dump_case(&all[i]);
            }
        }
    }
    h_cpu_free(cpu);
    printf("cpudiff: %u cases over %u forms (seed %llu): %u mismatches, %u host faults, "
           "%u cases with differing undefined flags (masked)\n",
           n, only ? 1 : n_forms, (unsigned long long)seed, failures, host_faults, undef_diffs);
    if (failures) {
        printf("failing forms:");
        for (unsigned fi = 0; fi < n_forms; fi++)
            if (per_form_fail[fi])
                printf(" [%s x%u]", forms[fi].name, per_form_fail[fi]);
        printf("\n");
    }
    free(chosen);
    free(all);
    free(host);
    return failures ? 1 : 0;
}
