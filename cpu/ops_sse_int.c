/* SPDX-License-Identifier: MIT */
/* SSE2's 128-bit integer set: the 66-prefixed forms of every packed MMX
 * operation (fpu/mmx.c computes them on both quadwords), PUNPCKLQDQ and
 * PUNPCKHQDQ, and the shifts by an immediate including the whole-register
 * byte shifts PSRLDQ/PSLLDQ. */
#include "cpu/sse.h"
#include "fpu/mmx.h"
#include "cpu/pickers.h"

/* XMM(reg) = XMM(reg) op XMM(rm)/m128 (aligned) */
static const Insn *op_pint_binary(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    Xmm s = sse_src128(cpu, in, true), *d = &f->xmm[in->reg];
    mmx_op_128(in->opcode & 0xFF, d->q, s.q, d->q);
    return insn_next(cpu, in);
}

/* PUNPCKLQDQ (66 6C), PUNPCKHQDQ (66 6D) */
static const Insn *op_punpckqdq(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    Xmm s = sse_src128(cpu, in, true), *d = &f->xmm[in->reg];
    unsigned h = (in->opcode & 0xFF) == 0x6D;
    d->q[0] = d->q[h];
    d->q[1] = s.q[h];
    return insn_next(cpu, in);
}

/* 66 71/72/73 /2 /4 /6 ib: lane shifts of XMM(rm); 66 73 /3 PSRLDQ and
 * /7 PSLLDQ shift the whole register by bytes (16 or more: zero). */
static const Insn *op_pshift_imm_xmm(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_check(cpu);
    Xmm *x = &f->xmm[in->rm];
    unsigned n = in->imm & 0xFF;
    if (in->reg == 3 || in->reg == 7) {
        Xmm r = { .q = { 0, 0 } };
        for (unsigned i = 0; i < 16; i++) {
            int from = in->reg == 3 ? (int)(i + n) : (int)i - (int)n;
            if (from >= 0 && from < 16)
                r.b[i] = x->b[from];
        }
        *x = r;
    } else {
        static const uint8_t widths[3] = { 16, 32, 64 };
        unsigned w = widths[(in->opcode & 0xFF) - 0x71];
        for (unsigned h = 0; h < 2; h++)
            x->q[h] = mmx_shift_imm(x->q[h], n, w, in->reg);
    }
    return insn_next(cpu, in);
}

InsnFn pick_pint_binary(const DecodeCtx *d) { (void)d; return op_pint_binary; }
InsnFn pick_punpckqdq(const DecodeCtx *d) { (void)d; return op_punpckqdq; }

InsnFn pick_pshift_imm(const DecodeCtx *d)
{
    if (d->mem)
        return NULL;
    bool ok = d->reg == 2 || d->reg == 6 || (d->reg == 4 && d->opcode != 0x173) ||
              ((d->reg == 3 || d->reg == 7) && d->opcode == 0x173);
    return ok ? op_pshift_imm_xmm : NULL;
}
