/* SPDX-License-Identifier: MIT */
/* Shared by the SSE instruction families (cpu/ops_sse_*.c): the checks
 * every SSE instruction makes, XMM memory operands, and how an unmasked
 * SIMD floating-point exception is raised. */
#ifndef KAIRO_SSE_H
#define KAIRO_SSE_H

#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "fpu/fpu.h"
#include "fpu/sfp.h"

/* CR0.EM or CR4.OSFXSR clear -> #UD, then CR0.TS -> #NM (SDM vol. 3,
 * "Emulation of SSE/SSE2 instructions": EM has no emulation path for SSE). */
static inline FpuState *sse_check(Cpu *cpu)
{
    if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (cpu->cr0 & CR0_TS)
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    return cpu->fpu;
}

/* Unmasked SIMD floating-point exception: #XM when the OS said it handles
 * them (CR4.OSXMMEXCPT), else #UD. */
static inline _Noreturn void sse_raise(Cpu *cpu)
{
    cpu_fault(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, NO_ERRCODE);
}

/* The aligned forms fault with #GP(0) on a linear address that is not a
 * multiple of 16 (before any segment or page check of the access). */
static inline void sse_check_align(Cpu *cpu, const Insn *in, uint32_t ea)
{
    if ((cpu->seg[in->seg].base + ea) & 15)
        cpu_fault(cpu, EXC_GP, 0);
}

static inline Xmm sse_read128(Cpu *cpu, const Insn *in, bool aligned)
{
    uint32_t ea = insn_ea(cpu, in);
    if (aligned)
        sse_check_align(cpu, in, ea);
    cpu_check_access(cpu, in->seg, ea, 16, false, true);
    Xmm v;
    v.q[0] = cpu_read64(cpu, in->seg, ea);
    v.q[1] = cpu_read64(cpu, in->seg, ea + 8);
    return v;
}

static inline void sse_write128(Cpu *cpu, const Insn *in, const Xmm *v, bool aligned)
{
    uint32_t ea = insn_ea(cpu, in);
    if (aligned)
        sse_check_align(cpu, in, ea);
    cpu_check_access(cpu, in->seg, ea, 16, true, true);
    cpu_write64(cpu, in->seg, ea, v->q[0]);
    cpu_write64(cpu, in->seg, ea + 8, v->q[1]);
}

/* The source operand of a reg/mem form: XMM(rm) or 128 bits of memory. */
static inline Xmm sse_src128(Cpu *cpu, const Insn *in, bool aligned)
{
    if (in->flags & INSN_MEM)
        return sse_read128(cpu, in, aligned);
    return cpu->fpu->xmm[in->rm];
}

/* MXCSR bits LDMXCSR accepts: fpu/fpu.h sse_mxcsr_mask. The pickers:
 * cpu/pickers.h; their rows by mandatory prefix: cpu/opcode_table.c. */

#endif
