/* x87 and MMX opcodes while the FPU is not implemented (issue: x87 FPU).
 *
 * The CPU behaves like a P6 whose FPU is unusable: the escape opcodes honour
 * CR0.EM/TS (#NM, so an OS can emulate or lazily switch), and otherwise
 * raise #UD, logged once. CPUID must not report FPU/MMX while this file is
 * what handles them. This file goes away when fpu/ implements the x87. */
#include "cpu/insn.h"

static const Insn *op_fpu_escape(Cpu *cpu, const Insn *in)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    cpu_log_once(cpu, "x87 instruction not implemented", in->opcode);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* WAIT/FWAIT: #NM only when both MP and TS are set; otherwise nothing to wait for. */
static const Insn *op_fwait(Cpu *cpu, const Insn *in)
{
    if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    return insn_next(cpu, in);
}

static const Insn *op_mmx(Cpu *cpu, const Insn *in)
{
    if (cpu->cr0 & CR0_EM)
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (cpu->cr0 & CR0_TS)
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    cpu_log_once(cpu, "MMX instruction not implemented", in->opcode);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

static InsnFn pick_fpu_escape(const DecodeCtx *d) { (void)d; return op_fpu_escape; }
static InsnFn pick_fwait(const DecodeCtx *d) { (void)d; return op_fwait; }
static InsnFn pick_mmx(const DecodeCtx *d) { (void)d; return op_mmx; }

void ops_fpu_register(void)
{
    for (unsigned op = 0xD8; op <= 0xDF; op++)
        insn_pickers[op] = pick_fpu_escape;
    insn_pickers[0x9B] = pick_fwait;
    static const uint8_t mmx_ops[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6E, 0x6F,
        0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7E, 0x7F, 0xD1, 0xD2, 0xD3, 0xD5, 0xD8,
        0xD9, 0xDB, 0xDC, 0xDD, 0xDF, 0xE1, 0xE2, 0xE5, 0xE8, 0xE9, 0xEB, 0xEC, 0xED, 0xEF,
        0xF1, 0xF2, 0xF3, 0xF5, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,
    };
    for (unsigned i = 0; i < sizeof mmx_ops; i++)
        insn_pickers[0x100 | mmx_ops[i]] = pick_mmx;
}
