/* SPDX-License-Identifier: MIT */
/* The SSE control state (LDMXCSR, STMXCSR), the fences and cache control
 * of group 15 (0F AE), and SSE3's MONITOR/MWAIT (0F 01 C8/C9).
 *
 * An SSE opcode's meaning depends on its mandatory prefix (insn.h PFX_*):
 * the opcode table (cpu/opcode_table.c) has a row per (opcode, prefix),
 * and a prefix without a row, or a row the CPU model lacks, keeps the
 * opcode's PFX_ANY meaning (the MMX one, with the prefix ignored as a
 * Pentium II ignores it). */
#include "cpu/sse.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"

#include <string.h>

#include "cpu/pickers.h"

/* --- MXCSR --- */

/* MXCSR_MASK: the bits LDMXCSR and FXRSTOR accept; DAZ (bit 6) from the
 * Pentium 4 on (a Pentium III reports 0xFFBF through FXSAVE's zero). */
uint32_t sse_mxcsr_mask(const Cpu *cpu)
{
    return (cpu->isa & ISA_SSE2) ? 0xFFFFu : 0xFFBFu;
}

static const Insn *op_ldmxcsr(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    if (v & ~sse_mxcsr_mask(cpu))
        cpu_fault(cpu, EXC_GP, 0);
    f->mxcsr = v;
    return insn_next(cpu, in);
}

static const Insn *op_stmxcsr(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), f->mxcsr);
    return insn_next(cpu, in);
}

/* LFENCE, MFENCE, SFENCE: one CPU executing in order needs no ordering;
 * CLFLUSH: no caches, but the address is checked like a byte read. The
 * fences do not look at CR0/CR4 (they are not SSE state). */
static const Insn *op_fence(Cpu *cpu, const Insn *in) { return insn_next(cpu, in); }

static const Insn *op_clflush(Cpu *cpu, const Insn *in)
{
    cpu_check_access(cpu, in->seg, insn_ea(cpu, in), 1, false, true);
    return insn_next(cpu, in);
}

/* Group 15 without a prefix: /0 /1 FXSAVE/FXRSTOR (fpu/fpu.c), /2
 * LDMXCSR, /3 STMXCSR, /5 LFENCE, /6 MFENCE, /7 SFENCE (register forms) or
 * CLFLUSH (memory). */
InsnFn pick_grp15(const DecodeCtx *d)
{
    /* the extension of each member: cpu/opcode_table.c opcode_members */
    switch (d->reg) {
    case 2: return d->mem ? op_ldmxcsr : NULL;
    case 3: return d->mem ? op_stmxcsr : NULL;
    case 5: case 6: return d->mem ? NULL : op_fence;
    case 7: return d->mem ? op_clflush : op_fence;
    default: return pick_0fae(d);   /* FXSAVE, FXRSTOR: fpu/fpu.c */
    }
}

/* --- MONITOR / MWAIT (SSE3) ---
 * MONITOR arms address monitoring of DS:EAX (ECX extensions: none, so
 * ECX != 0 is #GP(0)); MWAIT may return at once, which the SDM allows as
 * a spurious wake-up, so it waits for nothing. Both are CPL 0 only. */
static const Insn *op_monitor(Cpu *cpu, const Insn *in)
{
    if (cpu->cpl != 0)
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_MONITOR, cpu->eip + in->len));
    if (cpu->gpr[R_ECX] != 0)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t off = (in->flags & INSN_ADDR32) ? cpu->gpr[R_EAX] : cpu->gpr[R_EAX] & 0xFFFFu;
    cpu_check_access(cpu, (in->flags & INSN_SEGOVR) ? in->seg : SEG_DS, off, 1, false, true);
    return insn_next(cpu, in);
}

static const Insn *op_mwait(Cpu *cpu, const Insn *in)
{
    if (cpu->cpl != 0)
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_MWAIT, cpu->eip + in->len));
    if (cpu->gpr[R_ECX] != 0)
        cpu_fault(cpu, EXC_GP, 0);
    return insn_next(cpu, in);
}

InsnFn sse_pick_monitor_mwait(const DecodeCtx *d)
{
    if (!d->mem && d->rm <= 1)   /* SSE3: opcode_members */
        return d->rm == 0 ? op_monitor : op_mwait;
    return NULL;
}
