/* SPDX-License-Identifier: MIT */
/* The SSE/SSE2/SSE3 instruction forms the differential test runs
 * (ssediff.c): one row per (prefix, opcode, ModRM.reg digit) with its
 * operand kinds and the data its operands get. */
#ifndef KAIRO_SSEDIFF_FORMS_H
#define KAIRO_SSEDIFF_FORMS_H

#include <stdbool.h>
#include <stdint.h>

enum { K_X = 1, K_M, K_G };                         /* XMM, MMX, general register */
enum { D_S = 1, D_D, D_I, D_CNT };                  /* lane data: binary32, binary64, ints, shift counts */
enum { F_FLAGS = 1, F_APPROX = 2, F_IMM = 4, F_IMM8 = 8 };   /* compare EFLAGS; approximation; imm8 0-7 / 0-255 */

typedef struct SForm {
    char name[28];
    uint8_t pfx;        /* 0, 0x66, 0xF3, 0xF2 */
    uint8_t op;         /* the byte after 0F */
    int8_t digit;       /* ModRM.reg fixed (group), or -1: register 1 */
    uint8_t reg_kind, rm_kind;  /* K_*: what ModRM.reg and ModRM.rm name */
    uint8_t memsz;      /* bytes of the memory form (0: register form only) */
    uint8_t reg_ok;     /* the register form exists */
    uint8_t data;       /* D_* */
    uint8_t flags;      /* F_* */
} SForm;

/* Fills forms[], returns how many. */
unsigned ssediff_forms(SForm *forms, unsigned max);

#endif
