/* SPDX-License-Identifier: MIT */
/* Lazy arithmetic flags: the readers. */
#include "cpu/flags.h"

#include "cpu/exception.h"

bool flags_get_cf(const Cpu *cpu)
{
    const LazyFlags *lf = &cpu->lf;
    switch (lf->kind & LF_KIND_MASK) {
    case LF_NONE:
        return cpu->eflags & FLAG_CF;
    case LF_ADD:
        return lf->res < lf->dst;
    case LF_ADC:
        return lf->aux ? lf->res <= lf->dst : lf->res < lf->dst;
    case LF_SUB:
        return lf->dst < lf->src;
    case LF_SBB:
        return lf->aux ? lf->dst <= lf->src : lf->dst < lf->src;
    case LF_LOGIC:
        return false;
    case LF_INC:
    case LF_DEC:
        return lf->aux;
    case LF_NEG:
        return lf->res != 0;
    case LF_EXPLICIT:
        return lf->aux & FLAG_CF;
    }
    return false;
}

bool flags_get_of(const Cpu *cpu)
{
    const LazyFlags *lf = &cpu->lf;
    uint32_t sign = lf_sign_bit(lf->kind);
    switch (lf->kind & LF_KIND_MASK) {
    case LF_NONE:
        return cpu->eflags & FLAG_OF;
    case LF_ADD:
    case LF_ADC:
        return ((lf->dst ^ lf->res) & (lf->src ^ lf->res)) & sign;
    case LF_SUB:
    case LF_SBB:
    case LF_NEG:
        return ((lf->dst ^ lf->src) & (lf->dst ^ lf->res)) & sign;
    case LF_LOGIC:
        return false;
    case LF_INC:
        return lf->res == sign;
    case LF_DEC:
        return lf->res == sign - 1;
    case LF_EXPLICIT:
        return lf->aux & FLAG_OF;
    }
    return false;
}

bool flags_get_af(const Cpu *cpu)
{
    const LazyFlags *lf = &cpu->lf;
    switch (lf->kind & LF_KIND_MASK) {
    case LF_NONE:
        return cpu->eflags & FLAG_AF;
    case LF_ADD:
    case LF_ADC:
    case LF_SUB:
    case LF_SBB:
    case LF_NEG:
        return (lf->dst ^ lf->src ^ lf->res) & 0x10;
    case LF_LOGIC:
        return false;
    case LF_INC:
        return (lf->res & 0xF) == 0;
    case LF_DEC:
        return (lf->res & 0xF) == 0xF;
    case LF_EXPLICIT:
        return lf->aux & FLAG_AF;
    }
    return false;
}

bool flags_get_pf(const Cpu *cpu)
{
    if (cpu->lf.kind == LF_NONE)
        return cpu->eflags & FLAG_PF;
    return !__builtin_parity(cpu->lf.res & 0xFFu);
}

uint32_t flags_read(const Cpu *cpu)
{
    uint32_t f = cpu->eflags & ~FLAGS_ARITH;
    if (cpu->lf.kind == LF_NONE)
        f |= cpu->eflags & FLAGS_ARITH;
    else {
        f |= flags_get_cf(cpu) ? FLAG_CF : 0;
        f |= flags_get_pf(cpu) ? FLAG_PF : 0;
        f |= flags_get_af(cpu) ? FLAG_AF : 0;
        f |= flags_get_zf(cpu) ? FLAG_ZF : 0;
        f |= flags_get_sf(cpu) ? FLAG_SF : 0;
        f |= flags_get_of(cpu) ? FLAG_OF : 0;
    }
    return f | 2u;
}

void flags_materialize(Cpu *cpu)
{
    if (cpu->lf.kind != LF_NONE) {
        cpu->eflags = flags_read(cpu);
        cpu->lf.kind = LF_NONE;
    }
}

void flags_write(Cpu *cpu, uint32_t value, uint32_t mask)
{
    flags_materialize(cpu);
    uint32_t old = cpu->eflags;
    cpu->eflags = ((old & ~mask) | (value & mask) | 2u) & (FLAGS_WRITABLE | 2u);
    uint32_t changed = old ^ cpu->eflags;
    if (changed & (FLAG_IF | FLAG_TF | FLAG_VM | FLAG_AC | FLAG_VIP | FLAG_VIF))
        cpu->block_exit = true;
    if (changed & FLAG_TF)
        cpu_update_debug_state(cpu);
}

void flags_set_cf(Cpu *cpu, bool cf)
{
    flags_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FLAG_CF) | (cf ? FLAG_CF : 0);
}

bool flags_cond_slow(const Cpu *cpu, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = flags_get_of(cpu); break;
    case 1: r = flags_get_cf(cpu); break;
    case 2: r = flags_get_zf(cpu); break;
    case 3: r = flags_get_cf(cpu) || flags_get_zf(cpu); break;
    case 4: r = flags_get_sf(cpu); break;
    case 5: r = flags_get_pf(cpu); break;
    case 6: r = flags_get_sf(cpu) != flags_get_of(cpu); break;
    default: r = flags_get_zf(cpu) || (flags_get_sf(cpu) != flags_get_of(cpu)); break;
    }
    return r ^ (cc & 1);
}
