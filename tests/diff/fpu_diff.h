/* SPDX-License-Identifier: MIT */
/* The x87 differential test: one operation run on the host's x87
 * (fpu_host.c) and on the sf80 core (fpu_soft.c), with the same operands
 * and control word; fpu_diff.c generates operands and compares. */
#ifndef KAIRO_FPU_DIFF_H
#define KAIRO_FPU_DIFF_H

#include <stdbool.h>
#include <stdint.h>

/* An 80-bit register image as FLD/FSTP m80 see it. */
typedef struct __attribute__((packed)) Ext {
    uint64_t mant;
    uint16_t se;
} Ext;

typedef struct Operands {
    Ext a;              /* ST(0) (x for FPATAN/FYL2X/FYL2XP1) */
    Ext b;              /* ST(1) (y for FPATAN/FYL2X/FYL2XP1) */
    uint64_t mem;       /* memory operand of loads (BCD: bcd[]) */
    uint8_t bcd[10];
    uint16_t cw;
} Operands;

/* What an operation left: ST(0), ST(1) (for instructions that push, pop
 * or leave two results; see each operation), the memory destination of a
 * store (preset to MEM_SENTINEL), and the status word. */
typedef struct __attribute__((packed)) Outcome {
    Ext r0, r1;
    uint64_t mem;
    uint8_t bcd[10];
    uint16_t sw;
} Outcome;

#define MEM_SENTINEL 0x5A5A5A5A5A5A5A5Aull

typedef void (*RunFn)(const Operands *in, Outcome *out);

/* One function per instruction on each side (fpu_host.c, fpu_soft.c). */
void host_fadd(const Operands *in, Outcome *o);
void host_fsub(const Operands *in, Outcome *o);
void host_fsubr(const Operands *in, Outcome *o);
void host_fmul(const Operands *in, Outcome *o);
void host_fdiv(const Operands *in, Outcome *o);
void host_fdivr(const Operands *in, Outcome *o);
void host_fprem(const Operands *in, Outcome *o);
void host_fprem1(const Operands *in, Outcome *o);
void host_fscale(const Operands *in, Outcome *o);
void host_fcom(const Operands *in, Outcome *o);
void host_fucom(const Operands *in, Outcome *o);
void host_fsqrt(const Operands *in, Outcome *o);
void host_frndint(const Operands *in, Outcome *o);
void host_fxtract(const Operands *in, Outcome *o);
void host_ftst(const Operands *in, Outcome *o);
void host_fxam(const Operands *in, Outcome *o);
void host_fsin(const Operands *in, Outcome *o);
void host_fcos(const Operands *in, Outcome *o);
void host_fsincos(const Operands *in, Outcome *o);
void host_fptan(const Operands *in, Outcome *o);
void host_f2xm1(const Operands *in, Outcome *o);
void host_fpatan(const Operands *in, Outcome *o);
void host_fyl2x(const Operands *in, Outcome *o);
void host_fyl2xp1(const Operands *in, Outcome *o);
void host_fst32(const Operands *in, Outcome *o);
void host_fst64(const Operands *in, Outcome *o);
void host_fist16(const Operands *in, Outcome *o);
void host_fist32(const Operands *in, Outcome *o);
void host_fistp64(const Operands *in, Outcome *o);
void host_fbstp(const Operands *in, Outcome *o);
void host_fld32(const Operands *in, Outcome *o);
void host_fld64(const Operands *in, Outcome *o);
void host_fild16(const Operands *in, Outcome *o);
void host_fild32(const Operands *in, Outcome *o);
void host_fild64(const Operands *in, Outcome *o);
void host_fbld(const Operands *in, Outcome *o);
void soft_fadd(const Operands *in, Outcome *o);
void soft_fsub(const Operands *in, Outcome *o);
void soft_fsubr(const Operands *in, Outcome *o);
void soft_fmul(const Operands *in, Outcome *o);
void soft_fdiv(const Operands *in, Outcome *o);
void soft_fdivr(const Operands *in, Outcome *o);
void soft_fprem(const Operands *in, Outcome *o);
void soft_fprem1(const Operands *in, Outcome *o);
void soft_fscale(const Operands *in, Outcome *o);
void soft_fcom(const Operands *in, Outcome *o);
void soft_fucom(const Operands *in, Outcome *o);
void soft_fsqrt(const Operands *in, Outcome *o);
void soft_frndint(const Operands *in, Outcome *o);
void soft_fxtract(const Operands *in, Outcome *o);
void soft_ftst(const Operands *in, Outcome *o);
void soft_fxam(const Operands *in, Outcome *o);
void soft_fsin(const Operands *in, Outcome *o);
void soft_fcos(const Operands *in, Outcome *o);
void soft_fsincos(const Operands *in, Outcome *o);
void soft_fptan(const Operands *in, Outcome *o);
void soft_f2xm1(const Operands *in, Outcome *o);
void soft_fpatan(const Operands *in, Outcome *o);
void soft_fyl2x(const Operands *in, Outcome *o);
void soft_fyl2xp1(const Operands *in, Outcome *o);
void soft_fst32(const Operands *in, Outcome *o);
void soft_fst64(const Operands *in, Outcome *o);
void soft_fist16(const Operands *in, Outcome *o);
void soft_fist32(const Operands *in, Outcome *o);
void soft_fistp64(const Operands *in, Outcome *o);
void soft_fbstp(const Operands *in, Outcome *o);
void soft_fld32(const Operands *in, Outcome *o);
void soft_fld64(const Operands *in, Outcome *o);
void soft_fild16(const Operands *in, Outcome *o);
void soft_fild32(const Operands *in, Outcome *o);
void soft_fild64(const Operands *in, Outcome *o);
void soft_fbld(const Operands *in, Outcome *o);

#endif
