/* SPDX-License-Identifier: MIT */
/* SSE/SSE2/SSE3 data movement: loads and stores of whole registers and of
 * their halves and low lanes, the non-temporal stores, shuffles and
 * unpacks, MOVMSK, PSHUF*, PINSRW/PEXTRW, PMOVMSKB, MASKMOV*, MOVD/MOVQ
 * and the MMX<->XMM moves. None of them raises a SIMD floating-point
 * exception. */
#include "cpu/sse.h"
#include "fpu/mmx.h"
#include "cpu/pickers.h"

static Xmm *xreg(Cpu *cpu, unsigned n) { return &cpu->fpu->xmm[n]; }

static uint64_t read64(Cpu *cpu, const Insn *in)
{
    return cpu_read64(cpu, in->seg, insn_ea(cpu, in));
}
static void write64(Cpu *cpu, const Insn *in, uint64_t v)
{
    cpu_write64(cpu, in->seg, insn_ea(cpu, in), v);
}

/* A 16- or 32-bit source: r/m as a general register or memory. */
static uint32_t gpr_or_mem(Cpu *cpu, const Insn *in, unsigned size)
{
    if (!(in->flags & INSN_MEM))
        return cpu->gpr[in->rm];
    uint32_t ea = insn_ea(cpu, in);
    return size == 2 ? cpu_read16(cpu, in->seg, ea) : cpu_read32(cpu, in->seg, ea);
}

/* --- whole registers: MOVUPS/UPD/APS/APD/DQA/DQU, LDDQU, MOVNTPS/PD/DQ --- */

/* Loads: 10 (none, 66), 28, 6F (66 aligned, F3 unaligned), F2 F0 LDDQU. */
static bool load_aligned(const Insn *in)
{
    unsigned op = in->opcode & 0xFF;
    return op == 0x28 || (op == 0x6F && in->mprefix == PFX_66);
}

static const Insn *op_movx_load(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    *xreg(cpu, in->reg) = sse_src128(cpu, in, load_aligned(in));
    return insn_next(cpu, in);
}

/* Stores: 11, 29, 7F (66 aligned, F3 unaligned), 2B and E7 (non-temporal,
 * aligned, memory only). */
static const Insn *op_movx_store(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    unsigned op = in->opcode & 0xFF;
    Xmm v = *xreg(cpu, in->reg);
    if (in->flags & INSN_MEM) {
        bool aligned = op == 0x29 || op == 0x2B || op == 0xE7 ||
                       (op == 0x7F && in->mprefix == PFX_66);
        sse_write128(cpu, in, &v, aligned);
    } else {
        *xreg(cpu, in->rm) = v;
    }
    return insn_next(cpu, in);
}

/* --- scalars: MOVSS, MOVSD (F3/F2 10, 11) --- */

static const Insn *op_movs_load(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    bool dbl = in->mprefix == PFX_F2;
    Xmm *d = xreg(cpu, in->reg);
    if (in->flags & INSN_MEM) {
        uint32_t ea = insn_ea(cpu, in);
        Xmm v = { .q = { 0, 0 } };
        if (dbl)
            v.q[0] = cpu_read64(cpu, in->seg, ea);
        else
            v.d[0] = cpu_read32(cpu, in->seg, ea);
        *d = v;   /* from memory the rest is zeroed */
    } else if (dbl) {
        d->q[0] = xreg(cpu, in->rm)->q[0];
    } else {
        d->d[0] = xreg(cpu, in->rm)->d[0];
    }
    return insn_next(cpu, in);
}

static const Insn *op_movs_store(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    bool dbl = in->mprefix == PFX_F2;
    const Xmm *s = xreg(cpu, in->reg);
    if (in->flags & INSN_MEM) {
        if (dbl)
            write64(cpu, in, s->q[0]);
        else
            cpu_write32(cpu, in->seg, insn_ea(cpu, in), s->d[0]);
    } else if (dbl) {
        xreg(cpu, in->rm)->q[0] = s->q[0];
    } else {
        xreg(cpu, in->rm)->d[0] = s->d[0];
    }
    return insn_next(cpu, in);
}

/* --- halves: MOVLPS/PD, MOVHPS/PD, MOVHLPS, MOVLHPS (12, 13, 16, 17) --- */

/* 12 / 16 loads: memory m64 into the low (12) or high (16) quadword; the
 * register forms without a prefix are MOVHLPS (high of rm to low) and
 * MOVLHPS (low of rm to high). */
static const Insn *op_movhl_load(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    bool high = (in->opcode & 0xFF) == 0x16;
    uint64_t v = (in->flags & INSN_MEM) ? read64(cpu, in) : xreg(cpu, in->rm)->q[high ? 0 : 1];
    xreg(cpu, in->reg)->q[high ? 1 : 0] = v;
    return insn_next(cpu, in);
}

static const Insn *op_movhl_store(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    bool high = (in->opcode & 0xFF) == 0x17;
    write64(cpu, in, xreg(cpu, in->reg)->q[high ? 1 : 0]);
    return insn_next(cpu, in);
}

/* SSE3: MOVSLDUP (F3 12), MOVSHDUP (F3 16), MOVDDUP (F2 12, m64). */
static const Insn *op_movdup(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    Xmm r;
    if (in->mprefix == PFX_F2) {
        uint64_t v = (in->flags & INSN_MEM) ? read64(cpu, in) : xreg(cpu, in->rm)->q[0];
        r.q[0] = r.q[1] = v;
    } else {
        Xmm s = sse_src128(cpu, in, true);
        unsigned odd = (in->opcode & 0xFF) == 0x16;
        for (unsigned i = 0; i < 4; i++)
            r.d[i] = s.d[(i & ~1u) + odd];
    }
    *xreg(cpu, in->reg) = r;
    return insn_next(cpu, in);
}

/* --- unpacks and shuffles --- */

/* UNPCKLPS/PD (14), UNPCKHPS/PD (15): interleave the low or high halves. */
static const Insn *op_unpck(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    Xmm s = sse_src128(cpu, in, true), *d = xreg(cpu, in->reg), r;
    bool high = (in->opcode & 0xFF) == 0x15;
    if (in->mprefix == PFX_66) {
        r.q[0] = d->q[high];
        r.q[1] = s.q[high];
    } else {
        unsigned b = high ? 2 : 0;
        r.d[0] = d->d[b];
        r.d[1] = s.d[b];
        r.d[2] = d->d[b + 1];
        r.d[3] = s.d[b + 1];
    }
    *d = r;
    return insn_next(cpu, in);
}

/* SHUFPS (C6): two lanes from the destination, two from the source;
 * SHUFPD: one of each. */
static const Insn *op_shufp(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    Xmm s = sse_src128(cpu, in, true), *d = xreg(cpu, in->reg), r;
    unsigned imm = in->imm & 0xFF;
    if (in->mprefix == PFX_66) {
        r.q[0] = d->q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
    } else {
        r.d[0] = d->d[imm & 3];
        r.d[1] = d->d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
    }
    *d = r;
    return insn_next(cpu, in);
}

/* PSHUFD (66 70), PSHUFHW (F3), PSHUFLW (F2). */
static const Insn *op_pshuf_xmm(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    Xmm s = sse_src128(cpu, in, true), r = s;
    unsigned imm = in->imm & 0xFF;
    if (in->mprefix == PFX_66) {
        for (unsigned i = 0; i < 4; i++)
            r.d[i] = s.d[(imm >> (2 * i)) & 3];
    } else {
        unsigned base = in->mprefix == PFX_F3 ? 4 : 0;
        for (unsigned i = 0; i < 4; i++)
            r.w[base + i] = s.w[base + ((imm >> (2 * i)) & 3)];
    }
    *xreg(cpu, in->reg) = r;
    return insn_next(cpu, in);
}

/* PSHUFW mm, mm/m64, ib (SSE, 0F 70). */
static const Insn *op_pshufw(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint64_t s = (in->flags & INSN_MEM) ? read64(cpu, in) : mm_get(f, in->rm), r = 0;
    for (unsigned i = 0; i < 4; i++)
        r |= ((s >> (16 * ((in->imm >> (2 * i)) & 3))) & 0xFFFF) << (16 * i);
    mmx_touch(f);
    mm_set(f, in->reg, r);
    return insn_next(cpu, in);
}

/* --- masks --- */

/* MOVMSKPS/PD (50): the lanes' sign bits into r32. */
static const Insn *op_movmskp(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    const Xmm *s = xreg(cpu, in->rm);
    uint32_t m = 0;
    if (in->mprefix == PFX_66)
        m = (uint32_t)(s->q[0] >> 63) | (uint32_t)(s->q[1] >> 63) << 1;
    else
        for (unsigned i = 0; i < 4; i++)
            m |= (s->d[i] >> 31) << i;
    cpu->gpr[in->reg] = m;
    return insn_next(cpu, in);
}

/* PMOVMSKB (D7): the bytes' sign bits, from MM(rm) or XMM(rm). */
static const Insn *op_pmovmskb_mm(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint64_t v = mm_get(f, in->rm);
    uint32_t m = 0;
    for (unsigned i = 0; i < 8; i++)
        m |= (uint32_t)((v >> (8 * i + 7)) & 1) << i;
    mmx_touch(f);
    cpu->gpr[in->reg] = m;
    return insn_next(cpu, in);
}

static const Insn *op_pmovmskb_xmm(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    const Xmm *s = xreg(cpu, in->rm);
    uint32_t m = 0;
    for (unsigned i = 0; i < 16; i++)
        m |= (uint32_t)(s->b[i] >> 7) << i;
    cpu->gpr[in->reg] = m;
    return insn_next(cpu, in);
}

/* MASKMOVQ (F7) / MASKMOVDQU (66 F7): the bytes of reg whose mask byte
 * (in rm) has its top bit set go to DS:EDI (DI with 16-bit addressing; a
 * segment override applies). The whole range is checked first, so a fault
 * writes nothing. */
static void maskmov(Cpu *cpu, const Insn *in, const uint8_t *data, const uint8_t *mask, unsigned n)
{
    unsigned seg = (in->flags & INSN_SEGOVR) ? in->seg : SEG_DS;
    uint32_t di = (in->flags & INSN_ADDR32) ? cpu->gpr[R_EDI] : cpu->gpr[R_EDI] & 0xFFFFu;
    bool any = false;
    for (unsigned i = 0; i < n; i++)
        any |= mask[i] >> 7;
    if (!any)
        return;
    cpu_check_access(cpu, seg, di, n, true, true);
    for (unsigned i = 0; i < n; i++)
        if (mask[i] & 0x80)
            cpu_write8(cpu, seg, di + i, data[i]);
}

static const Insn *op_maskmovq(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint64_t d = mm_get(f, in->reg), m = mm_get(f, in->rm);
    uint8_t db[8], mb[8];
    for (unsigned i = 0; i < 8; i++) {
        db[i] = (uint8_t)(d >> (8 * i));
        mb[i] = (uint8_t)(m >> (8 * i));
    }
    maskmov(cpu, in, db, mb, 8);
    mmx_touch(f);
    return insn_next(cpu, in);
}

static const Insn *op_maskmovdqu(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    maskmov(cpu, in, xreg(cpu, in->reg)->b, xreg(cpu, in->rm)->b, 16);
    return insn_next(cpu, in);
}

/* --- words: PINSRW (C4), PEXTRW (C5) --- */

static const Insn *op_pinsrw_mm(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint16_t v = (uint16_t)gpr_or_mem(cpu, in, 2);
    unsigned sh = 16 * (in->imm & 3);
    uint64_t r = (mm_get(f, in->reg) & ~(0xFFFFull << sh)) | (uint64_t)v << sh;
    mmx_touch(f);
    mm_set(f, in->reg, r);
    return insn_next(cpu, in);
}

static const Insn *op_pinsrw_xmm(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    uint16_t v = (uint16_t)gpr_or_mem(cpu, in, 2);
    xreg(cpu, in->reg)->w[in->imm & 7] = v;
    return insn_next(cpu, in);
}

static const Insn *op_pextrw_mm(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint32_t v = (uint32_t)(mm_get(f, in->rm) >> (16 * (in->imm & 3))) & 0xFFFF;
    mmx_touch(f);
    cpu->gpr[in->reg] = v;
    return insn_next(cpu, in);
}

static const Insn *op_pextrw_xmm(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    cpu->gpr[in->reg] = xreg(cpu, in->rm)->w[in->imm & 7];
    return insn_next(cpu, in);
}

/* --- MOVD, MOVQ and the MMX moves --- */

/* 66 6E: MOVD xmm, r/m32 (zero-extended to 128 bits). */
static const Insn *op_movd_xmm_load(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    uint32_t v = gpr_or_mem(cpu, in, 4);
    *xreg(cpu, in->reg) = (Xmm){ .d = { v, 0, 0, 0 } };
    return insn_next(cpu, in);
}

/* 66 7E: MOVD r/m32, xmm. */
static const Insn *op_movd_xmm_store(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    uint32_t v = xreg(cpu, in->reg)->d[0];
    if (in->flags & INSN_MEM)
        cpu_write32(cpu, in->seg, insn_ea(cpu, in), v);
    else
        cpu->gpr[in->rm] = v;
    return insn_next(cpu, in);
}

/* F3 7E: MOVQ xmm, xmm/m64 (zero-extended). */
static const Insn *op_movq_xmm_load(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    uint64_t v = (in->flags & INSN_MEM) ? read64(cpu, in) : xreg(cpu, in->rm)->q[0];
    *xreg(cpu, in->reg) = (Xmm){ .q = { v, 0 } };
    return insn_next(cpu, in);
}

/* 66 D6: MOVQ xmm/m64, xmm (the register form zero-extends). */
static const Insn *op_movq_xmm_store(Cpu *cpu, const Insn *in)
{
    sse_check(cpu);
    uint64_t v = xreg(cpu, in->reg)->q[0];
    if (in->flags & INSN_MEM)
        write64(cpu, in, v);
    else
        *xreg(cpu, in->rm) = (Xmm){ .q = { v, 0 } };
    return insn_next(cpu, in);
}

/* F3 D6 MOVQ2DQ xmm, mm; F2 D6 MOVDQ2Q mm, xmm: SSE checks, then the MMX
 * side effects (pending x87 exception, TOP 0, tags valid). */
static FpuState *sse_mmx_check(Cpu *cpu)
{
    FpuState *f = sse_check(cpu);
    if ((f->sw & FSW_ES) && (cpu->cr0 & CR0_NE))
        cpu_fault(cpu, EXC_MF, NO_ERRCODE);
    return f;
}

static const Insn *op_movq2dq(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_mmx_check(cpu);
    mmx_touch(f);
    *xreg(cpu, in->reg) = (Xmm){ .q = { mm_get(f, in->rm), 0 } };
    return insn_next(cpu, in);
}

static const Insn *op_movdq2q(Cpu *cpu, const Insn *in)
{
    FpuState *f = sse_mmx_check(cpu);
    mmx_touch(f);
    mm_set(f, in->reg, xreg(cpu, in->rm)->q[0]);
    return insn_next(cpu, in);
}

/* MOVNTQ m64, mm (E7): an MMX store. */
static const Insn *op_movntq(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    write64(cpu, in, mm_get(f, in->reg));
    mmx_touch(f);
    return insn_next(cpu, in);
}

/* MOVNTI m32, r32 (C3, SSE2): a plain store; no SSE state involved. */
static const Insn *op_movnti(Cpu *cpu, const Insn *in)
{
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

/* --- picking --- */

InsnFn pick_sse_any_load(const DecodeCtx *d) { (void)d; return op_movx_load; }
InsnFn pick_sse_any_store(const DecodeCtx *d) { (void)d; return op_movx_store; }
InsnFn pick_sse_mem_store(const DecodeCtx *d) { return d->mem ? op_movx_store : NULL; }
InsnFn pick_sse_mem_load(const DecodeCtx *d) { return d->mem ? op_movx_load : NULL; }
InsnFn pick_sse_movs_load(const DecodeCtx *d) { (void)d; return op_movs_load; }
InsnFn pick_sse_movs_store(const DecodeCtx *d) { (void)d; return op_movs_store; }
InsnFn pick_sse_movhl_load(const DecodeCtx *d) { (void)d; return op_movhl_load; }
InsnFn pick_sse_movhl_load_mem(const DecodeCtx *d) { return d->mem ? op_movhl_load : NULL; }
InsnFn pick_sse_movhl_store(const DecodeCtx *d) { return d->mem ? op_movhl_store : NULL; }
InsnFn pick_sse_movdup(const DecodeCtx *d) { (void)d; return op_movdup; }
InsnFn pick_sse_unpck(const DecodeCtx *d) { (void)d; return op_unpck; }
InsnFn pick_sse_shufp(const DecodeCtx *d) { (void)d; return op_shufp; }
InsnFn pick_sse_pshuf_xmm(const DecodeCtx *d) { (void)d; return op_pshuf_xmm; }
InsnFn pick_sse_pshufw(const DecodeCtx *d) { (void)d; return op_pshufw; }
InsnFn pick_sse_movmskp(const DecodeCtx *d) { return d->mem ? NULL : op_movmskp; }
InsnFn pick_sse_pmovmskb_mm(const DecodeCtx *d) { return d->mem ? NULL : op_pmovmskb_mm; }
InsnFn pick_sse_pmovmskb_xmm(const DecodeCtx *d) { return d->mem ? NULL : op_pmovmskb_xmm; }
InsnFn pick_sse_maskmovq(const DecodeCtx *d) { return d->mem ? NULL : op_maskmovq; }
InsnFn pick_sse_maskmovdqu(const DecodeCtx *d) { return d->mem ? NULL : op_maskmovdqu; }
InsnFn pick_sse_pinsrw_mm(const DecodeCtx *d) { (void)d; return op_pinsrw_mm; }
InsnFn pick_sse_pinsrw_xmm(const DecodeCtx *d) { (void)d; return op_pinsrw_xmm; }
InsnFn pick_sse_pextrw_mm(const DecodeCtx *d) { return d->mem ? NULL : op_pextrw_mm; }
InsnFn pick_sse_pextrw_xmm(const DecodeCtx *d) { return d->mem ? NULL : op_pextrw_xmm; }
InsnFn pick_sse_movd_load(const DecodeCtx *d) { (void)d; return op_movd_xmm_load; }
InsnFn pick_sse_movd_store(const DecodeCtx *d) { (void)d; return op_movd_xmm_store; }
InsnFn pick_sse_movq_load(const DecodeCtx *d) { (void)d; return op_movq_xmm_load; }
InsnFn pick_sse_movq_store(const DecodeCtx *d) { (void)d; return op_movq_xmm_store; }
InsnFn pick_sse_movq2dq(const DecodeCtx *d) { return d->mem ? NULL : op_movq2dq; }
InsnFn pick_sse_movdq2q(const DecodeCtx *d) { return d->mem ? NULL : op_movdq2q; }
InsnFn pick_sse_movntq(const DecodeCtx *d) { return d->mem ? op_movntq : NULL; }
InsnFn pick_sse_movnti(const DecodeCtx *d) { return d->mem ? op_movnti : NULL; }
