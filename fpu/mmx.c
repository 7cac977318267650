/* MMX opcodes: not implemented yet (the x87 issue covers them). They honour
 * CR0.EM (#UD) and CR0.TS (#NM) as on a P6, then raise #UD, logged once;
 * CPUID does not report MMX while this is so. */
#include "cpu/insn.h"
#include "fpu/fpu.h"

static const Insn *op_mmx(Cpu *cpu, const Insn *in)
{
    if (cpu->cr0 & CR0_EM)
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (cpu->cr0 & CR0_TS)
        cpu_fault(cpu, EXC_NM, NO_ERRCODE);
    cpu_log_once(cpu, "MMX instruction not implemented", in->opcode);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

static InsnFn pick_mmx(const DecodeCtx *d) { (void)d; return op_mmx; }

void fpu_mmx_register(void)
{
    static const uint8_t mmx_ops[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6E, 0x6F,
        0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7E, 0x7F, 0xD1, 0xD2, 0xD3, 0xD5, 0xD8,
        0xD9, 0xDB, 0xDC, 0xDD, 0xDF, 0xE1, 0xE2, 0xE5, 0xE8, 0xE9, 0xEB, 0xEC, 0xED, 0xEF,
        0xF1, 0xF2, 0xF3, 0xF5, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,
    };
    for (unsigned i = 0; i < sizeof mmx_ops; i++)
        insn_pickers[0x100 | mmx_ops[i]] = pick_mmx;
}
