/* SPDX-License-Identifier: MIT */
/* The MMX register file as the MMX and SSE handlers see it (fpu/mmx.c,
 * cpu/ops_sse_*.c): checks, the x87 side effects, register access, and
 * the packed integer operations both register widths share. */
#ifndef KAIRO_MMX_H
#define KAIRO_MMX_H

#include "cpu/insn.h"
#include "fpu/fpu.h"

/* Checks, in the hardware's order: CR0.EM -> #UD, CR0.TS -> #NM, a pending
 * unmasked x87 exception -> #MF (with CR0.NE clear FERR# is already up and
 * the instruction goes on, as x87 instructions do under IGNNE#). */
static inline FpuState *mmx_check(Cpu *cpu)
{
    if (cpu->cr0 & CR0_EM)
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (cpu->cr0 & CR0_TS)
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    FpuState *f = cpu->fpu;
    if ((f->sw & FSW_ES) && (cpu->cr0 & CR0_NE))
        cpu_fault(cpu, EXC_MF, NO_ERRCODE);
    return f;
}

/* The x87 side effects of any MMX instruction but EMMS. */
static inline void mmx_touch(FpuState *f)
{
    f->sw &= (uint16_t)~(7u << FSW_TOP_SHIFT);
    f->tw = 0;
}

static inline uint64_t mm_get(const FpuState *f, unsigned n) { return f->regs[n].mant; }

static inline void mm_set(FpuState *f, unsigned n, uint64_t v)
{
    f->regs[n].mant = v;
    f->regs[n].se = 0xFFFF;
}

/* The packed integer operation of second opcode byte op (0F op): whether
 * it exists and its result on 64-bit or 128-bit operands (r may alias a).
 * The extension each needs (MMX; SSE for the Pentium III's additions,
 * SSE2 for the quadword ones) is the opcode table's (cpu/opcode_table.c). */
bool mmx_op_known(unsigned op);
uint64_t mmx_op_64(unsigned op, uint64_t a, uint64_t b);
void mmx_op_128(unsigned op, const uint64_t a[2], const uint64_t b[2], uint64_t r[2]);
/* Shifts by an immediate (0F 71-73 /2 /4 /6): kind = ModRM.reg, width = 16,
 * 32 or 64. */
uint64_t mmx_shift_imm(uint64_t v, unsigned count, unsigned width, unsigned kind);

#endif
