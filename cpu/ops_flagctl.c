/* SPDX-License-Identifier: MIT */
/* Flag control: CLC STC CMC CLD STD, and CLI/STI with the IOPL rules and
 * the virtual interrupt flag of CR4.VME (V86) and CR4.PVI (CPL 3). */
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/pickers.h"

static const Insn *op_clc(Cpu *cpu, const Insn *in)
{
    flags_set_cf(cpu, false);
    return insn_next(cpu, in);
}

static const Insn *op_stc(Cpu *cpu, const Insn *in)
{
    flags_set_cf(cpu, true);
    return insn_next(cpu, in);
}

static const Insn *op_cmc(Cpu *cpu, const Insn *in)
{
    flags_set_cf(cpu, !flags_get_cf(cpu));
    return insn_next(cpu, in);
}

static const Insn *op_cld(Cpu *cpu, const Insn *in)
{
    cpu->eflags &= ~FLAG_DF;
    return insn_next(cpu, in);
}

static const Insn *op_std(Cpu *cpu, const Insn *in)
{
    cpu->eflags |= FLAG_DF;
    return insn_next(cpu, in);
}

/* Which flag CLI/STI may change here: IF, VIF, or neither (#GP). */
static uint32_t interrupt_flag_target(const Cpu *cpu)
{
    if (!cpu_pe(cpu))
        return FLAG_IF;
    unsigned iopl = cpu_iopl(cpu);
    if (cpu_v86(cpu)) {
        if (iopl == 3)
            return FLAG_IF;
        return (cpu->cr4 & CR4_VME) ? FLAG_VIF : 0;
    }
    if (cpu->cpl <= iopl)
        return FLAG_IF;
    if (cpu->cpl == 3 && (cpu->cr4 & CR4_PVI))
        return FLAG_VIF;
    return 0;
}

static const Insn *op_cli(Cpu *cpu, const Insn *in)
{
    uint32_t f = interrupt_flag_target(cpu);
    if (!f)
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eflags &= ~f;
    return insn_next(cpu, in);
}

/* STI: interrupts are recognised only after the next instruction, so
 * "STI; HLT" and "STI; RET" work; a pending virtual interrupt makes a
 * virtual STI fault so the monitor can deliver it. */
static const Insn *op_sti(Cpu *cpu, const Insn *in)
{
    uint32_t f = interrupt_flag_target(cpu);
    if (!f || (f == FLAG_VIF && (cpu->eflags & FLAG_VIP)))
        cpu_fault(cpu, EXC_GP, 0);
    if (f == FLAG_IF && !(cpu->eflags & FLAG_IF))
        cpu->inhibit_irq = true;
    cpu->eflags |= f;
    cpu->eip += in->len;
    return NULL;
}

InsnFn pick_flagctl(const DecodeCtx *d)
{
    switch (d->opcode) {
    case 0xF5: return op_cmc;
    case 0xF8: return op_clc;
    case 0xF9: return op_stc;
    case 0xFA: return op_cli;
    case 0xFB: return op_sti;
    case 0xFC: return op_cld;
    default: return op_std;
    }
}
