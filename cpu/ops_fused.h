/* SPDX-License-Identifier: MIT */
/* What the two superinstruction files share: cpu/ops_fused.c (register
 * CMP/TEST/DEC/INC + Jcc) and cpu/ops_pairs.c (the pairs chosen by counting
 * executed handler pairs: memory CMP/TEST/DEC/INC + Jcc, 8-bit compares +
 * Jcc, PUSH+PUSH, POP+POP). Private to them. */
#ifndef KAIRO_OPS_FUSED_H
#define KAIRO_OPS_FUSED_H

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"

/* Condition cc (0-15, the Jcc encoding) from the arithmetic flags. Called
 * with a constant cc, it compiles to the one test the condition needs. */
static inline bool cc_holds(unsigned cc, bool cf, bool zf, bool sf, bool of, uint32_t res)
{
    bool v;
    switch (cc >> 1) {
    case 0: v = of; break;
    case 1: v = cf; break;
    case 2: v = zf; break;
    case 3: v = cf || zf; break;
    case 4: v = sf; break;
    case 5: v = !__builtin_parity(res & 0xFFu); break;   /* PF: even number of ones */
    case 6: v = sf != of; break;
    default: v = zf || sf != of; break;
    }
    return (cc & 1) ? !v : v;
}

/* The Jcc after the first instruction, with EIP still on the first: taken,
 * as the branch family's Jcc (limit check, 16-bit operand size wraps). */
static inline __attribute__((always_inline)) const Insn *fused_branch(Cpu *cpu, const Insn *in,
                                                                   bool taken)
{
    cpu->eip += in->len;
    const Insn *j = in + 1;
    if (!taken)
        return insn_next(cpu, j);
    uint32_t target = cpu->eip + j->len + j->disp;
    if (!(j->flags & INSN_OP32))
        target &= 0xFFFFu;
    if (__builtin_expect(target > cpu->seg[SEG_CS].lim_hi, 0))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eip = target;
    return insn_leave_block(cpu, j);
}

/* The Jcc condition of in (0-15), or -1 when it is not a Jcc that fuses. */
static inline int jcc_condition(const Insn *in)
{
    unsigned op = in->opcode;
    if (in->flags & INSN_LOCK)
        return -1;   /* #UD */
    if ((op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F))
        return (int)(op & 15);
    return -1;
}

/* cpu/ops_pairs.c: the handler running in[0] with in[1], or NULL; and the
 * handler of in[0] alone when pairs_fuse fused it. */
InsnFn pairs_fuse(const Insn *in);
InsnFn pairs_unfused(const Insn *in);

#endif
