/* SPDX-License-Identifier: MIT */
/* Segmentation: descriptor tables, segment register loads, the I/O
 * permission bitmap, and the stack cursor the far transfers share.
 *
 * Every descriptor-table and TSS access is a supervisor linear access
 * (cpu_lin_read(..., true)), whatever the CPL. Error codes for a selector
 * are selector & 0xFFFC (the EXT bit is added by cpu_handle_fault). */
#include "cpu/seg.h"

#include "cpu/mem_access.h"

/* --- segment caches --- */

static void fill_cache(SegCache *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t flags)
{
    s->sel = sel;
    s->flags = flags;
    s->base = base;
    s->limit = limit;
    s->lim_lo = 0;
    s->lim_hi = limit;
    s->access = 0;
    if ((flags & (DESC_S | DESC_P)) != (DESC_S | DESC_P))
        return;   /* null, not present or system: no fast-path access */
    unsigned type = flags & DESC_TYPE_MASK;
    if (type & DESC_CODE) {
        /* Code is never writable through a segment register. */
        s->access = (type & DESC_RW) ? SEG_ACC_READ : 0;
        return;
    }
    s->access = SEG_ACC_READ | ((type & DESC_RW) ? SEG_ACC_WRITE : 0);
    if (type & DESC_CONFORMING_OR_EXPDOWN) {
        /* Expand-down: valid offsets are above the limit. */
        uint32_t top = (flags & DESC_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (limit >= top) {
            s->lim_lo = 0xFFFFFFFFu;   /* empty: every access fails the range test */
            s->lim_hi = 0;
        } else {
            s->lim_lo = limit + 1;
            s->lim_hi = top;
        }
    }
}

void seg_set_cache(SegCache *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t flags)
{
    fill_cache(s, sel, base, limit, flags);
    seg_cache_sync(s);
}

/* The segment attributes V86 mode gives every segment register: present,
 * DPL 3, read/write data, accessed, 16-bit. */
#define V86_SEG_FLAGS (DESC_P | DESC_S | (3u << DESC_DPL_SHIFT) | 0x3u)

void seg_load_real(Cpu *cpu, unsigned seg, uint16_t sel)
{
    SegCache *s = &cpu->seg[seg];
    if (seg == SEG_CS)
        cpu->chain_epoch++;
    if (cpu_v86(cpu)) {
        seg_set_cache(s, sel, (uint32_t)sel << 4, 0xFFFF, V86_SEG_FLAGS);
        if (seg == SEG_SS)
            cpu->stack32 = false;
        if (seg == SEG_CS)
            cpu->code32 = false;
        return;
    }
    /* Real mode: base follows the selector; the limit, size and DPL stay as
     * they were (so "unreal" mode keeps its 4 GiB limits). The segment
     * becomes present read/write data, as Bochs models it. */
    uint16_t flags = (uint16_t)((s->flags & (DESC_DPL | DESC_AVL | DESC_DB | DESC_G)) |
                                DESC_P | DESC_S | 0x3u);
    seg_set_cache(s, sel, (uint32_t)sel << 4, s->limit, flags);
    /* No type checks in real mode: every segment register may be read and
     * written, whatever its cached type. */
    seg_set_access(s, SEG_ACC_READ | SEG_ACC_WRITE);
    if (seg == SEG_SS)
        cpu->stack32 = (flags & DESC_DB) != 0;
    if (seg == SEG_CS)
        cpu->code32 = (flags & DESC_DB) != 0;
}

/* --- descriptors --- */

uint32_t desc_base(uint32_t lo, uint32_t hi)
{
    return (lo >> 16) | ((hi & 0xFFu) << 16) | (hi & 0xFF000000u);
}

uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
    uint32_t raw = (lo & 0xFFFFu) | (hi & 0xF0000u);
    return (hi & (DESC_G << 8)) ? (raw << 12) | 0xFFFu : raw;
}

uint16_t desc_flags(uint32_t hi)
{
    return (uint16_t)((hi >> 8) & 0xF0FFu);
}

/* The table a selector indexes: its linear base and limit, or false when
 * the LDT is not usable. */
static bool desc_table(const Cpu *cpu, uint16_t sel, uint32_t *base, uint32_t *limit)
{
    if (sel & 4) {
        const SegCache *ldt = &cpu->seg[SEG_LDTR];
        if (!(ldt->flags & DESC_P))
            return false;
        *base = ldt->base;
        *limit = ldt->limit;
    } else {
        *base = cpu->gdtr.base;
        *limit = cpu->gdtr.limit;
    }
    return true;
}

bool desc_fetch(Cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t base, limit;
    if (!desc_table(cpu, sel, &base, &limit))
        return false;
    uint32_t off = sel & 0xFFF8u;
    if (off + 7 > limit)
        return false;
    *lo = cpu_lin_read(cpu, base + off, 4, true);
    *hi = cpu_lin_read(cpu, base + off + 4, 4, true);
    return true;
}

void desc_set_accessed(Cpu *cpu, uint16_t sel, uint32_t hi)
{
    if (hi & (DESC_ACCESSED << 8))
        return;
    uint32_t base, limit;
    if (!desc_table(cpu, sel, &base, &limit))
        return;
    /* Only the access-rights byte changes. */
    cpu_lin_write(cpu, base + (sel & 0xFFF8u) + 5, 1, ((hi >> 8) & 0xFFu) | DESC_ACCESSED, true);
}

/* --- segment register loads --- */

void seg_load_cs_checked(Cpu *cpu, uint16_t sel, uint32_t base, uint32_t limit,
                         uint16_t flags, unsigned cpl)
{
    seg_set_cache(&cpu->seg[SEG_CS], sel, base, limit, flags);
    cpu->chain_epoch++;
    cpu->code32 = (flags & DESC_DB) != 0;
    cpu_set_cpl(cpu, cpl);
}

void seg_load_cs_desc(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, unsigned cpl)
{
    desc_set_accessed(cpu, sel, hi);
    uint16_t flags = (uint16_t)(desc_flags(hi) | DESC_ACCESSED);
    seg_load_cs_checked(cpu, (uint16_t)((sel & 0xFFFCu) | cpl), desc_base(lo, hi),
                        desc_limit(lo, hi), flags, cpl);
}

void seg_load_ss_desc(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi)
{
    desc_set_accessed(cpu, sel, hi);
    uint16_t flags = (uint16_t)(desc_flags(hi) | DESC_ACCESSED);
    seg_set_cache(&cpu->seg[SEG_SS], sel, desc_base(lo, hi), desc_limit(lo, hi), flags);
    cpu->stack32 = (flags & DESC_DB) != 0;
}

void seg_load_null(Cpu *cpu, unsigned seg, uint16_t sel)
{
    seg_set_cache(&cpu->seg[seg], sel, 0, 0, 0);
}

/* MOV/POP SS in protected mode (SDM MOV pseudocode). */
static void seg_load_ss_pm(Cpu *cpu, uint16_t sel)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0)
        cpu_fault(cpu, EXC_GP, 0);
    if (!desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(hi);
    if ((sel & 3u) != cpu->cpl || desc_dpl(f) != cpu->cpl || !desc_is_data(f) ||
        !(f & DESC_RW))
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_SS, err);
    seg_load_ss_desc(cpu, sel, lo, hi);
}

/* MOV/POP DS, ES, FS, GS in protected mode. */
static void seg_load_data_pm(Cpu *cpu, unsigned seg, uint16_t sel)
{
    uint32_t err = sel & 0xFFFCu, lo, hi;
    if (err == 0) {
        seg_load_null(cpu, seg, sel);
        return;
    }
    if (!desc_fetch(cpu, sel, &lo, &hi))
        cpu_fault(cpu, EXC_GP, err);
    uint16_t f = desc_flags(hi);
    bool readable_code = desc_is_code(f) && (f & DESC_RW);
    if (!desc_is_data(f) && !readable_code)
        cpu_fault(cpu, EXC_GP, err);
    if (!desc_is_conforming(f) && ((sel & 3u) > desc_dpl(f) || cpu->cpl > desc_dpl(f)))
        cpu_fault(cpu, EXC_GP, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, err);
    desc_set_accessed(cpu, sel, hi);
    seg_set_cache(&cpu->seg[seg], sel, desc_base(lo, hi), desc_limit(lo, hi),
                  (uint16_t)(f | DESC_ACCESSED));
}

void seg_load(Cpu *cpu, unsigned seg, uint16_t sel)
{
    if (!cpu_pe(cpu) || cpu_v86(cpu))
        seg_load_real(cpu, seg, sel);
    else if (seg == SEG_SS)
        seg_load_ss_pm(cpu, sel);
    else
        seg_load_data_pm(cpu, seg, sel);
}

/* --- stack switching helpers --- */

static bool tss_is_32bit(const Cpu *cpu)
{
    unsigned type = cpu->seg[SEG_TR].flags & DESC_TYPE_MASK;
    return type == DT_TSS32 || type == DT_TSS32_BUSY;
}

void tss_inner_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
    const SegCache *tr = &cpu->seg[SEG_TR];
    uint32_t terr = (tr->sel & 0xFFFCu) | ext;
    if (tss_is_32bit(cpu)) {
        uint32_t at = dpl * 8 + 4;
        if (at + 5 > tr->limit)
            cpu_fault(cpu, EXC_TS, terr);
        *esp = cpu_lin_read(cpu, tr->base + at, 4, true);
        *ss = (uint16_t)cpu_lin_read(cpu, tr->base + at + 4, 2, true);
    } else {
        uint32_t at = dpl * 4 + 2;
        if (at + 3 > tr->limit)
            cpu_fault(cpu, EXC_TS, terr);
        *esp = cpu_lin_read(cpu, tr->base + at, 2, true);
        *ss = (uint16_t)cpu_lin_read(cpu, tr->base + at + 2, 2, true);
    }
}

void seg_check_inner_ss(Cpu *cpu, uint16_t ss, unsigned dpl, uint32_t ext, uint32_t *lo,
                        uint32_t *hi)
{
    uint32_t err = (ss & 0xFFFCu) | ext;
    if ((ss & 0xFFFCu) == 0)
        cpu_fault(cpu, EXC_TS, ext);
    if ((ss & 3u) != dpl || !desc_fetch(cpu, ss, lo, hi))
        cpu_fault(cpu, EXC_TS, err);
    uint16_t f = desc_flags(*hi);
    if (desc_dpl(f) != dpl || !desc_is_data(f) || !(f & DESC_RW))
        cpu_fault(cpu, EXC_TS, err);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_SS, err);
}

/* --- the stack cursor --- */

void stk_current(Cpu *cpu, StackCursor *st)
{
    st->seg = cpu->seg[SEG_SS];
    st->esp = cpu->gpr[R_ESP];
    st->big = cpu->stack32;
    st->system = false;
    st->err = 0;
}

void stk_new(StackCursor *st, uint16_t sel, uint32_t lo, uint32_t hi, uint32_t esp,
             uint32_t err)
{
    seg_set_cache(&st->seg, sel, desc_base(lo, hi), desc_limit(lo, hi), desc_flags(hi));
    st->esp = esp;
    st->big = (desc_flags(hi) & DESC_DB) != 0;
    st->system = true;
    st->err = err;
}

uint32_t stk_add(const StackCursor *st, uint32_t n)
{
    if (st->big)
        return st->esp + n;
    return (st->esp & 0xFFFF0000u) | ((st->esp + n) & 0xFFFFu);
}

/* Offset sp..sp+size-1 must lie within the stack segment. */
static void stk_check(Cpu *cpu, const StackCursor *st, uint32_t sp, unsigned size)
{
    if (sp < st->seg.lim_lo || (uint64_t)sp + (size - 1) > st->seg.lim_hi)
        cpu_fault(cpu, EXC_SS, st->err);
}

void stk_push(Cpu *cpu, StackCursor *st, uint32_t v, unsigned size)
{
    uint32_t next = stk_add(st, (uint32_t)-(int32_t)size);
    uint32_t sp = st->big ? next : next & 0xFFFFu;
    stk_check(cpu, st, sp, size);
    cpu_lin_write(cpu, st->seg.base + sp, size, v, st->system);
    st->esp = next;
}

uint32_t stk_read(Cpu *cpu, const StackCursor *st, uint32_t skip, unsigned size)
{
    uint32_t at = stk_add(st, skip);
    uint32_t sp = st->big ? at : at & 0xFFFFu;
    stk_check(cpu, st, sp, size);
    return cpu_lin_read(cpu, st->seg.base + sp, size, st->system);
}

/* --- I/O permission --- */

void cpu_check_io(Cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_pe(cpu) || (!cpu_v86(cpu) && cpu->cpl <= cpu_iopl(cpu)))
        return;
    const SegCache *tr = &cpu->seg[SEG_TR];
    if (!tss_is_32bit(cpu) || tr->limit < 0x67)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t map = cpu_lin_read(cpu, tr->base + 0x66, 2, true);
    uint32_t at = map + port / 8u;
    /* The processor always reads two bytes of the bitmap. */
    if (at + 1 > tr->limit)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t bits = cpu_lin_read(cpu, tr->base + at, 2, true);
    uint32_t want = ((1u << size) - 1u) << (port & 7u);
    if (bits & want)
        cpu_fault(cpu, EXC_GP, 0);
}
