/* SPDX-License-Identifier: MIT */
/* SSE2's 128-bit integer set: the 66-prefixed forms of every packed MMX
 * operation (fpu/mmx.c computes them on both quadwords), PUNPCKLQDQ and
 * PUNPCKHQDQ, and the shifts by an immediate including the whole-register
 * byte shifts PSRLDQ/PSLLDQ. */
#include "cpu/sse.h"
#include "fpu/mmx.h"

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

static InsnFn pick_pint_binary(const DecodeCtx *d) { (void)d; return op_pint_binary; }
static InsnFn pick_punpckqdq(const DecodeCtx *d) { (void)d; return op_punpckqdq; }

static InsnFn pick_pshift_imm(const DecodeCtx *d)
{
    if (d->mem)
        return NULL;
    bool ok = d->reg == 2 || d->reg == 6 || (d->reg == 4 && d->opcode != 0x173) ||
              ((d->reg == 3 || d->reg == 7) && d->opcode == 0x173);
    return ok ? op_pshift_imm_xmm : NULL;
}

/* The mnemonics of the 66-prefixed forms (the MMX names), for the opcode map. */
static const char *const int_names[256] = {
    [0x60] = "punpcklbw", [0x61] = "punpcklwd", [0x62] = "punpckldq", [0x63] = "packsswb",
    [0x64] = "pcmpgtb", [0x65] = "pcmpgtw", [0x66] = "pcmpgtd", [0x67] = "packuswb",
    [0x68] = "punpckhbw", [0x69] = "punpckhwd", [0x6A] = "punpckhdq", [0x6B] = "packssdw",
    [0x6C] = "punpcklqdq", [0x6D] = "punpckhqdq", [0x71] = "psrlw psraw psllw",
    [0x72] = "psrld psrad pslld", [0x73] = "psrlq psrldq psllq pslldq", [0x74] = "pcmpeqb",
    [0x75] = "pcmpeqw", [0x76] = "pcmpeqd", [0xD1] = "psrlw", [0xD2] = "psrld",
    [0xD3] = "psrlq", [0xD4] = "paddq", [0xD5] = "pmullw", [0xD8] = "psubusb",
    [0xD9] = "psubusw", [0xDA] = "pminub", [0xDB] = "pand", [0xDC] = "paddusb",
    [0xDD] = "paddusw", [0xDE] = "pmaxub", [0xDF] = "pandn", [0xE0] = "pavgb", [0xE1] = "psraw",
    [0xE2] = "psrad", [0xE3] = "pavgw", [0xE4] = "pmulhuw", [0xE5] = "pmulhw",
    [0xE8] = "psubsb", [0xE9] = "psubsw", [0xEA] = "pminsw", [0xEB] = "por", [0xEC] = "paddsb",
    [0xED] = "paddsw", [0xEE] = "pmaxsw", [0xEF] = "pxor", [0xF1] = "psllw", [0xF2] = "pslld",
    [0xF3] = "psllq", [0xF4] = "pmuludq", [0xF5] = "pmaddwd", [0xF6] = "psadbw",
    [0xF8] = "psubb", [0xF9] = "psubw", [0xFA] = "psubd", [0xFB] = "psubq", [0xFC] = "paddb",
    [0xFD] = "paddw", [0xFE] = "paddd",
};

void sse_int_register(void)
{
    static SseForm forms[256 + 5];
    unsigned n = 0;
    for (unsigned op = 0; op < 256; op++)
        if (mmx_op_known(op))
            forms[n++] = (SseForm){ (uint16_t)(OP_0F | op), PFX_66, ISA_SSE2, pick_pint_binary,
                                    int_names[op] };
    forms[n++] = (SseForm){ 0x16C, PFX_66, ISA_SSE2, pick_punpckqdq, int_names[0x6C] };
    forms[n++] = (SseForm){ 0x16D, PFX_66, ISA_SSE2, pick_punpckqdq, int_names[0x6D] };
    for (unsigned op = 0x171; op <= 0x173; op++)
        forms[n++] = (SseForm){ (uint16_t)op, PFX_66, ISA_SSE2, pick_pshift_imm,
                                int_names[op & 0xFF] };
    sse_add_forms(forms, n);
}
