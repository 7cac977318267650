/* SPDX-License-Identifier: MIT */
/* The SSE families' registration, the control state (LDMXCSR, STMXCSR),
 * the fences and cache control of group 15 (0F AE), and SSE3's
 * MONITOR/MWAIT (0F 01 C8/C9).
 *
 * An SSE opcode's meaning depends on its mandatory prefix (insn.h PFX_*):
 * each family lists its (opcode, prefix, extension, picker) forms, and the
 * one picker installed here chooses by prefix. A prefix without a form, or
 * a form the CPU model lacks, keeps the meaning the opcode had before (the
 * MMX one, with the prefix ignored as a Pentium II ignores it). */
#include "cpu/sse.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"

#include <string.h>

/* Forms by second opcode byte and prefix; what was registered before. */
static const SseForm *forms_by_op[256][4];
static InsnPicker prev_picker[256];

static InsnFn pick_by_prefix(const DecodeCtx *d)
{
    unsigned op = d->opcode & 0xFF;
    const SseForm *f = forms_by_op[op][d->mprefix];
    if (f && (d->isa & f->isa))
        return f->pick(d);
    if (f && d->mprefix == PFX_NONE)
        return NULL;   /* an SSE opcode with no older meaning */
    return prev_picker[op] ? prev_picker[op](d) : NULL;
}

void sse_add_forms(const SseForm *forms, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned op = forms[i].opcode & 0xFF;
        forms_by_op[op][forms[i].mprefix] = &forms[i];
        if (insn_pickers[OP_0F | op] != pick_by_prefix) {
            prev_picker[op] = insn_pickers[OP_0F | op];
            insn_pickers[OP_0F | op] = pick_by_prefix;
        }
    }
}

const SseForm *sse_form(unsigned op, unsigned mprefix)
{
    return forms_by_op[op & 0xFF][mprefix & 3];
}

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
static InsnFn pick_grp15(const DecodeCtx *d)
{
    bool sse = d->isa & ISA_SSE, sse2 = d->isa & ISA_SSE2;
    switch (d->reg) {
    case 2: return sse && d->mem ? op_ldmxcsr : NULL;
    case 3: return sse && d->mem ? op_stmxcsr : NULL;
    case 5: case 6: return sse2 && !d->mem ? op_fence : NULL;
    case 7:
        if (!d->mem)
            return sse ? op_fence : NULL;
        return (d->isa & ISA_CLFLUSH) ? op_clflush : NULL;
    default: return prev_picker[0xAE] ? prev_picker[0xAE](d) : NULL;
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

static InsnPicker prev_0f01;

static InsnFn pick_0f01(const DecodeCtx *d)
{
    if (d->reg == 1 && !d->mem && d->rm <= 1 && (d->isa & ISA_SSE3))
        return d->rm == 0 ? op_monitor : op_mwait;
    return prev_0f01(d);
}

static const SseForm grp15_forms[] = {
    { 0x1AE, PFX_NONE, ISA_FXSR, pick_grp15,
      "fxsave fxrstor ldmxcsr stmxcsr lfence mfence sfence/clflush" },
};

void ops_sse_register(void)
{
    sse_fp_register();
    sse_move_register();
    sse_int_register();
    sse_add_forms(grp15_forms, 1);
    prev_0f01 = insn_pickers[0x101];
    insn_pickers[0x101] = pick_0f01;
}
