/* SPDX-License-Identifier: MIT */
/* The instruction forms of the SSE differential test (forms.h). */
#include "tests/ssediff/forms.h"

#include <stdio.h>
#include <string.h>

static SForm *out;
static unsigned n, cap;

static void add(const char *name, uint8_t pfx, uint8_t op, int digit, uint8_t rk, uint8_t mk,
                uint8_t memsz, uint8_t reg_ok, uint8_t data, uint8_t flags)
{
    if (n >= cap)
        return;
    SForm *f = &out[n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->pfx = pfx;
    f->op = op;
    f->digit = (int8_t)digit;
    f->reg_kind = rk;
    f->rm_kind = mk;
    f->memsz = memsz;
    f->reg_ok = reg_ok;
    f->data = data;
    f->flags = flags;
}

/* The four floating-point shapes of an opcode: PS, PD, SS, SD. */
static void fp4(const char *base, uint8_t op, uint8_t flags)
{
    static const struct { const char *sfx; uint8_t pfx, size, data; } sh[4] = {
        { "ps", 0, 16, D_S }, { "pd", 0x66, 16, D_D },
        { "ss", 0xF3, 4, D_S }, { "sd", 0xF2, 8, D_D },
    };
    for (int i = 0; i < 4; i++) {
        char name[28];
        snprintf(name, sizeof name, "%s%s", base, sh[i].sfx);
        add(name, sh[i].pfx, op, -1, K_X, K_X, sh[i].size, 1, sh[i].data, flags);
    }
}

unsigned ssediff_forms(SForm *forms, unsigned max)
{
    out = forms;
    cap = max;
    n = 0;
    fp4("sqrt", 0x51, 0);
    fp4("add", 0x58, 0);
    fp4("mul", 0x59, 0);
    fp4("sub", 0x5C, 0);
    fp4("min", 0x5D, 0);
    fp4("div", 0x5E, 0);
    fp4("max", 0x5F, 0);
    fp4("cmp", 0xC2, F_IMM);
    fp4("cvt5a.", 0x5A, 0);
    add("rsqrtps", 0, 0x52, -1, K_X, K_X, 16, 1, D_S, F_APPROX);
    add("rsqrtss", 0xF3, 0x52, -1, K_X, K_X, 4, 1, D_S, F_APPROX);
    add("rcpps", 0, 0x53, -1, K_X, K_X, 16, 1, D_S, F_APPROX);
    add("rcpss", 0xF3, 0x53, -1, K_X, K_X, 4, 1, D_S, F_APPROX);
    static const char *logic[4] = { "and", "andn", "or", "xor" };
    for (int i = 0; i < 4; i++) {
        char name[28];
        snprintf(name, sizeof name, "%sps", logic[i]);
        add(name, 0, (uint8_t)(0x54 + i), -1, K_X, K_X, 16, 1, D_I, 0);
        snprintf(name, sizeof name, "%spd", logic[i]);
        add(name, 0x66, (uint8_t)(0x54 + i), -1, K_X, K_X, 16, 1, D_I, 0);
    }
    add("ucomiss", 0, 0x2E, -1, K_X, K_X, 4, 1, D_S, F_FLAGS);
    add("ucomisd", 0x66, 0x2E, -1, K_X, K_X, 8, 1, D_D, F_FLAGS);
    add("comiss", 0, 0x2F, -1, K_X, K_X, 4, 1, D_S, F_FLAGS);
    add("comisd", 0x66, 0x2F, -1, K_X, K_X, 8, 1, D_D, F_FLAGS);
    add("cvtpi2ps", 0, 0x2A, -1, K_X, K_M, 8, 1, D_I, 0);
    add("cvtpi2pd", 0x66, 0x2A, -1, K_X, K_M, 8, 1, D_I, 0);
    add("cvtsi2ss", 0xF3, 0x2A, -1, K_X, K_G, 4, 1, D_I, 0);
    add("cvtsi2sd", 0xF2, 0x2A, -1, K_X, K_G, 4, 1, D_I, 0);
    for (uint8_t op = 0x2C; op <= 0x2D; op++) {
        const char *t = op == 0x2C ? "cvtt" : "cvt";
        char name[28];
        snprintf(name, sizeof name, "%sps2pi", t);
        add(name, 0, op, -1, K_M, K_X, 8, 1, D_S, 0);
        snprintf(name, sizeof name, "%spd2pi", t);
        add(name, 0x66, op, -1, K_M, K_X, 16, 1, D_D, 0);
        snprintf(name, sizeof name, "%sss2si", t);
        add(name, 0xF3, op, -1, K_G, K_X, 4, 1, D_S, 0);
        snprintf(name, sizeof name, "%ssd2si", t);
        add(name, 0xF2, op, -1, K_G, K_X, 8, 1, D_D, 0);
    }
    add("cvtdq2ps", 0, 0x5B, -1, K_X, K_X, 16, 1, D_I, 0);
    add("cvtps2dq", 0x66, 0x5B, -1, K_X, K_X, 16, 1, D_S, 0);
    add("cvttps2dq", 0xF3, 0x5B, -1, K_X, K_X, 16, 1, D_S, 0);
    add("cvttpd2dq", 0x66, 0xE6, -1, K_X, K_X, 16, 1, D_D, 0);
    add("cvtdq2pd", 0xF3, 0xE6, -1, K_X, K_X, 8, 1, D_I, 0);
    add("cvtpd2dq", 0xF2, 0xE6, -1, K_X, K_X, 16, 1, D_D, 0);
    add("addsubpd", 0x66, 0xD0, -1, K_X, K_X, 16, 1, D_D, 0);
    add("addsubps", 0xF2, 0xD0, -1, K_X, K_X, 16, 1, D_S, 0);
    add("haddpd", 0x66, 0x7C, -1, K_X, K_X, 16, 1, D_D, 0);
    add("haddps", 0xF2, 0x7C, -1, K_X, K_X, 16, 1, D_S, 0);
    add("hsubpd", 0x66, 0x7D, -1, K_X, K_X, 16, 1, D_D, 0);
    add("hsubps", 0xF2, 0x7D, -1, K_X, K_X, 16, 1, D_S, 0);

    /* moves */
    static const uint8_t pf4[4] = { 0, 0x66, 0xF3, 0xF2 };
    static const uint8_t movsz[4] = { 16, 16, 4, 8 };
    for (int i = 0; i < 4; i++) {
        char name[28];
        snprintf(name, sizeof name, "mov10.%02x", pf4[i]);
        add(name, pf4[i], 0x10, -1, K_X, K_X, movsz[i], 1, D_I, 0);
        snprintf(name, sizeof name, "mov11.%02x", pf4[i]);
        add(name, pf4[i], 0x11, -1, K_X, K_X, movsz[i], 1, D_I, 0);
    }
    add("movlps/movhlps", 0, 0x12, -1, K_X, K_X, 8, 1, D_I, 0);
    add("movlpd", 0x66, 0x12, -1, K_X, K_X, 8, 0, D_I, 0);
    add("movsldup", 0xF3, 0x12, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movddup", 0xF2, 0x12, -1, K_X, K_X, 8, 1, D_I, 0);
    add("movlps.st", 0, 0x13, -1, K_X, K_X, 8, 0, D_I, 0);
    add("movlpd.st", 0x66, 0x13, -1, K_X, K_X, 8, 0, D_I, 0);
    add("unpcklps", 0, 0x14, -1, K_X, K_X, 16, 1, D_I, 0);
    add("unpcklpd", 0x66, 0x14, -1, K_X, K_X, 16, 1, D_I, 0);
    add("unpckhps", 0, 0x15, -1, K_X, K_X, 16, 1, D_I, 0);
    add("unpckhpd", 0x66, 0x15, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movhps/movlhps", 0, 0x16, -1, K_X, K_X, 8, 1, D_I, 0);
    add("movhpd", 0x66, 0x16, -1, K_X, K_X, 8, 0, D_I, 0);
    add("movshdup", 0xF3, 0x16, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movhps.st", 0, 0x17, -1, K_X, K_X, 8, 0, D_I, 0);
    add("movhpd.st", 0x66, 0x17, -1, K_X, K_X, 8, 0, D_I, 0);
    add("movaps", 0, 0x28, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movapd", 0x66, 0x28, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movaps.st", 0, 0x29, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movapd.st", 0x66, 0x29, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movntps", 0, 0x2B, -1, K_X, K_X, 16, 0, D_I, 0);
    add("movntpd", 0x66, 0x2B, -1, K_X, K_X, 16, 0, D_I, 0);
    add("movmskps", 0, 0x50, -1, K_G, K_X, 0, 1, D_S, 0);
    add("movmskpd", 0x66, 0x50, -1, K_G, K_X, 0, 1, D_D, 0);
    add("movd x,r/m", 0x66, 0x6E, -1, K_X, K_G, 4, 1, D_I, 0);
    add("movd r/m,x", 0x66, 0x7E, -1, K_X, K_G, 4, 1, D_I, 0);
    add("movq x,x/m", 0xF3, 0x7E, -1, K_X, K_X, 8, 1, D_I, 0);
    add("movdqa", 0x66, 0x6F, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movdqu", 0xF3, 0x6F, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movdqa.st", 0x66, 0x7F, -1, K_X, K_X, 16, 1, D_I, 0);
    add("movdqu.st", 0xF3, 0x7F, -1, K_X, K_X, 16, 1, D_I, 0);
    add("pshufw", 0, 0x70, -1, K_M, K_M, 8, 1, D_I, F_IMM8);
    add("pshufd", 0x66, 0x70, -1, K_X, K_X, 16, 1, D_I, F_IMM8);
    add("pshufhw", 0xF3, 0x70, -1, K_X, K_X, 16, 1, D_I, F_IMM8);
    add("pshuflw", 0xF2, 0x70, -1, K_X, K_X, 16, 1, D_I, F_IMM8);
    add("movnti", 0, 0xC3, -1, K_G, K_G, 4, 0, D_I, 0);
    add("pinsrw mm", 0, 0xC4, -1, K_M, K_G, 2, 1, D_I, F_IMM8);
    add("pinsrw xmm", 0x66, 0xC4, -1, K_X, K_G, 2, 1, D_I, F_IMM8);
    add("pextrw mm", 0, 0xC5, -1, K_G, K_M, 0, 1, D_I, F_IMM8);
    add("pextrw xmm", 0x66, 0xC5, -1, K_G, K_X, 0, 1, D_I, F_IMM8);
    add("shufps", 0, 0xC6, -1, K_X, K_X, 16, 1, D_I, F_IMM8);
    add("shufpd", 0x66, 0xC6, -1, K_X, K_X, 16, 1, D_I, F_IMM8);
    add("movq x/m,x", 0x66, 0xD6, -1, K_X, K_X, 8, 1, D_I, 0);
    add("movq2dq", 0xF3, 0xD6, -1, K_X, K_M, 0, 1, D_I, 0);
    add("movdq2q", 0xF2, 0xD6, -1, K_M, K_X, 0, 1, D_I, 0);
    add("pmovmskb mm", 0, 0xD7, -1, K_G, K_M, 0, 1, D_I, 0);
    add("pmovmskb xmm", 0x66, 0xD7, -1, K_G, K_X, 0, 1, D_I, 0);
    add("movntq", 0, 0xE7, -1, K_M, K_M, 8, 0, D_I, 0);
    add("movntdq", 0x66, 0xE7, -1, K_X, K_X, 16, 0, D_I, 0);
    add("lddqu", 0xF2, 0xF0, -1, K_X, K_X, 16, 0, D_I, 0);
    add("maskmovq", 0, 0xF7, -1, K_M, K_M, 0, 1, D_I, 0);
    add("maskmovdqu", 0x66, 0xF7, -1, K_X, K_X, 0, 1, D_I, 0);

    /* 128-bit integer forms of the MMX set, and SSE's MMX additions */
    static const uint8_t pint[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D,
        0x74, 0x75, 0x76, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD,
        0xDE, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED,
        0xEE, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,
    };
    for (unsigned i = 0; i < sizeof pint; i++) {
        uint8_t op = pint[i];
        bool shift = op == 0xD1 || op == 0xD2 || op == 0xD3 || op == 0xE1 || op == 0xE2 ||
                     op == 0xF1 || op == 0xF2 || op == 0xF3;
        char name[28];
        snprintf(name, sizeof name, "p%02x xmm", op);
        add(name, 0x66, op, -1, K_X, K_X, 16, 1, shift ? D_CNT : D_I, 0);
    }
    static const uint8_t mmx_new[] = { 0xD4, 0xDA, 0xDE, 0xE0, 0xE3, 0xE4,
                                       0xEA, 0xEE, 0xF4, 0xF6, 0xFB };
    for (unsigned i = 0; i < sizeof mmx_new; i++) {
        char name[28];
        snprintf(name, sizeof name, "p%02x mm", mmx_new[i]);
        add(name, 0, mmx_new[i], -1, K_M, K_M, 8, 1, D_I, 0);
    }
    static const struct { uint8_t op, digit; } shimm[] = {
        { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 }, { 0x72, 6 },
        { 0x73, 2 }, { 0x73, 3 }, { 0x73, 6 }, { 0x73, 7 },
    };
    for (unsigned i = 0; i < sizeof shimm / sizeof shimm[0]; i++) {
        char name[28];
        snprintf(name, sizeof name, "p%02x/%u xmm,imm", shimm[i].op, shimm[i].digit);
        add(name, 0x66, shimm[i].op, shimm[i].digit, K_X, K_X, 0, 1, D_I, F_IMM8);
    }
    return n;
}
