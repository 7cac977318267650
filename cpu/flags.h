/* SPDX-License-Identifier: MIT */
/* Lazy arithmetic flags.
 *
 * Instructions record (kind, dst, src, res) instead of computing six flags;
 * readers compute only the flag they need. Jcc after CMP/SUB, the commonest
 * pair, costs one compare. */
#ifndef KAIRO_FLAGS_H
#define KAIRO_FLAGS_H

#include "cpu/cpu.h"

static inline uint32_t lf_width_mask(uint32_t kind)
{
    return (kind & LF_W8) ? 0xFFu : (kind & LF_W16) ? 0xFFFFu : 0xFFFFFFFFu;
}
static inline uint32_t lf_sign_bit(uint32_t kind)
{
    return (kind & LF_W8) ? 0x80u : (kind & LF_W16) ? 0x8000u : 0x80000000u;
}

/* Record a flag-setting result. dst/src/res must already be truncated to the
 * operation's width. */
static inline void flags_lazy(Cpu *cpu, uint32_t kind, uint32_t dst, uint32_t src,
                              uint32_t res)
{
    cpu->lf.kind = kind;
    cpu->lf.dst = dst;
    cpu->lf.src = src;
    cpu->lf.res = res;
}
static inline void flags_lazy_aux(Cpu *cpu, uint32_t kind, uint32_t dst, uint32_t src,
                                  uint32_t res, uint32_t aux)
{
    flags_lazy(cpu, kind, dst, src, res);
    cpu->lf.aux = aux;
}
/* Set CF/OF/AF explicitly (FLAG_ bits in cf_of_af) and SF/ZF/PF from res. */
static inline void flags_explicit(Cpu *cpu, uint32_t width_flag, uint32_t res,
                                  uint32_t cf_of_af)
{
    cpu->lf.kind = LF_EXPLICIT | width_flag;
    cpu->lf.res = res;
    cpu->lf.aux = cf_of_af;
}

bool flags_get_cf(const Cpu *cpu);
/* flags_get_cf inline for the producers a loop counter or a compare
 * usually follows (INC/DEC, logic, ADD, SUB); the others take the call. */
static inline bool flags_get_cf_inline(const Cpu *cpu)
{
    const LazyFlags *lf = &cpu->lf;
    switch (lf->kind & LF_KIND_MASK) {
    case LF_INC: case LF_DEC: return lf->aux != 0;
    case LF_LOGIC: return false;
    case LF_ADD: return lf->res < lf->dst;
    case LF_SUB: return lf->dst < lf->src;
    default: return flags_get_cf(cpu);
    }
}
bool flags_get_of(const Cpu *cpu);
bool flags_get_af(const Cpu *cpu);
bool flags_get_pf(const Cpu *cpu);

static inline bool flags_get_zf(const Cpu *cpu)
{
    if (cpu->lf.kind == LF_NONE)
        return cpu->eflags & FLAG_ZF;
    return cpu->lf.res == 0;   /* res is stored truncated */
}
static inline bool flags_get_sf(const Cpu *cpu)
{
    if (cpu->lf.kind == LF_NONE)
        return cpu->eflags & FLAG_SF;
    return cpu->lf.res & lf_sign_bit(cpu->lf.kind);
}

/* The full EFLAGS value (arithmetic flags materialised, bit 1 set). */
uint32_t flags_read(const Cpu *cpu);
/* Store the six arithmetic flags into cpu->eflags and drop the lazy state. */
void flags_materialize(Cpu *cpu);
/* Write EFLAGS bits under mask (arithmetic bits included if in mask). Does
 * no privilege filtering: POPF/IRET decide the mask. Handles VM/IF/TF side
 * effects that the loop must see (it sets cpu->block_exit when needed). */
void flags_write(Cpu *cpu, uint32_t value, uint32_t mask);
/* Set or clear one arithmetic flag (CLC/STC/CMC, BT, ...). */
void flags_set_cf(Cpu *cpu, bool cf);

/* Condition codes 0..15 as Jcc/SETcc/CMOVcc encode them. */
bool flags_cond_slow(const Cpu *cpu, unsigned cc);

/* Inline fast paths for the commonest flag producers before a branch:
 * CMP/SUB (every condition but O, S, P), logic ops and INC/DEC (Z). */
static inline bool flags_cond(const Cpu *cpu, unsigned cc)
{
    const LazyFlags *lf = &cpu->lf;
    uint32_t kind = lf->kind & LF_KIND_MASK;
    bool r;
    if (kind == LF_SUB) {
        /* Shift operands to the top so a signed compare works at any width. */
        unsigned sh = (lf->kind & LF_W8) ? 24 : (lf->kind & LF_W16) ? 16 : 0;
        int32_t sd = (int32_t)(lf->dst << sh), ss = (int32_t)(lf->src << sh);
        switch (cc >> 1) {
        case 1: r = lf->dst < lf->src; break;    /* B */
        case 2: r = lf->res == 0; break;         /* Z */
        case 3: r = lf->dst <= lf->src; break;   /* BE */
        case 6: r = sd < ss; break;              /* L */
        case 7: r = sd <= ss; break;             /* LE */
        default: return flags_cond_slow(cpu, cc);
        }
        return r ^ (cc & 1);
    }
    if (kind == LF_LOGIC || ((kind == LF_INC || kind == LF_DEC) && (cc >> 1) == 2)) {
        bool zf = lf->res == 0, sf = lf->res & lf_sign_bit(lf->kind);
        switch (cc >> 1) {
        case 0: case 1: r = false; break;        /* O, B: OF = CF = 0 */
        case 2: case 3: r = zf; break;           /* Z, BE */
        case 4: case 6: r = sf; break;           /* S, L (OF = 0) */
        case 7: r = zf || sf; break;             /* LE */
        default: return flags_cond_slow(cpu, cc);
        }
        return r ^ (cc & 1);
    }
    return flags_cond_slow(cpu, cc);
}

#endif
