/* SPDX-License-Identifier: MIT */
/* The host's x87 side of the differential test (x86 hosts only).
 *
 * Every function starts from FNINIT with the case's control word, runs one
 * instruction, reads the status word, clears the exceptions (FNCLEX, so an
 * unmasked one does not trap on the stores that follow) and stores what the
 * instruction left. A +0 pushed first marks "nothing was pushed" for the
 * instructions that push or pop. */
#if defined(__x86_64__) || defined(__i386__)
#include "tests/diff/fpu_diff.h"

#define PRO "fninit\n\tfldcw %[cw]\n\t"
#define EPI "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"
#define EPI1 "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r0]\n\tfninit"
#define OUTS [sw] "=m"(o->sw), [r0] "=m"(o->r0), [r1] "=m"(o->r1)

void host_fadd(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfadd %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fsub(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfsub %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fsubr(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfsubr %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fmul(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfmul %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fdiv(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfdiv %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fdivr(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfdivr %%st(1), %%st" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fprem(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfprem" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fprem1(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfprem1" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fscale(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfscale" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fcom(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfcom %%st(1)" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fucom(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[b]\n\tfldt %[a]\n\tfucom %%st(1)" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fsqrt(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfsqrt" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_frndint(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfrndint" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fxtract(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfxtract" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_ftst(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tftst" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fxam(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfxam" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fsin(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfsin" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fcos(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfcos" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fsincos(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfsincos" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fptan(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tfptan" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_f2xm1(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[a]\n\tf2xm1" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fpatan(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[b]\n\tfldt %[a]\n\tfpatan" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fyl2x(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[b]\n\tfldt %[a]\n\tfyl2x" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fyl2xp1(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldt %[b]\n\tfldt %[a]\n\tfyl2xp1" EPI
                     : OUTS : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b) : "memory");
}

void host_fst32(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfsts %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->mem)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fst64(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfstl %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->mem)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fist16(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfists %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->mem)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fist32(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfistl %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->mem)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fistp64(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfistpll %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->mem)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fbstp(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldt %[a]\n\tfld %%st(0)\n\tfbstp %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0), [m] "+m"(o->bcd)
                     : [cw] "m"(in->cw), [a] "m"(in->a) : "memory");
}

void host_fld32(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tflds %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->mem) : "memory");
}

void host_fld64(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfldl %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->mem) : "memory");
}

void host_fild16(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfilds %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->mem) : "memory");
}

void host_fild32(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfildl %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->mem) : "memory");
}

void host_fild64(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfildll %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->mem) : "memory");
}

void host_fbld(const Operands *in, Outcome *o)
{
    __asm__ volatile(PRO "fldz\n\tfbld %[m]" EPI1
                     : [sw] "=m"(o->sw), [r0] "=m"(o->r0)
                     : [cw] "m"(in->cw), [m] "m"(in->bcd) : "memory");
}
#endif
