/* SPDX-License-Identifier: MIT */
/* The page-table walker for `info tab` (see monitor_pgtab.h). It follows
 * the same rules as the CPU's walk in cpu/paging.c (no PSE-36, 36-bit PAE
 * addresses), but over the whole linear space and without side effects. */
#include "debug/monitor_pgtab.h"

#define PTE_P  0x001u
#define PTE_RW 0x002u
#define PTE_US 0x004u
#define PTE_PS 0x080u
#define PTE_G  0x100u
#define PAE_ADDR_MASK 0x0000000FFFFFF000ull

/* The run being built; emitted when the next page does not continue it. */
typedef struct Coalescer {
    PgRun run;
    bool open;
    PgEmitFn emit;
    void *ctx;
} Coalescer;

static void flush_run(Coalescer *c)
{
    if (c->open)
        c->emit(c->ctx, &c->run);
    c->open = false;
}

static void add_page(Coalescer *c, uint32_t lin, uint64_t phys, uint64_t size, uint32_t flags)
{
    PgRun *r = &c->run;
    if (c->open && r->flags == flags && (uint64_t)r->lin + r->len == lin &&
        r->phys + r->len == phys) {
        r->len += size;
        return;
    }
    flush_run(c);
    *r = (PgRun){ lin, phys, size, flags };
    c->open = true;
}

/* The rights both levels grant, and G of the last level. */
static uint32_t run_flags(const PgWalkRegs *regs, uint64_t upper, uint64_t entry, bool large)
{
    uint32_t f = 0;
    if (upper & entry & PTE_RW)
        f |= PGRUN_RW;
    if (upper & entry & PTE_US)
        f |= PGRUN_USER;
    if (regs->pge && (entry & PTE_G))
        f |= PGRUN_GLOBAL;
    if (large)
        f |= PGRUN_LARGE;
    return f;
}

/* What differs between the two table formats the walk reads. */
typedef struct PgFormat {
    unsigned entries;      /* per table: 1024 (legacy) or 512 (PAE) */
    unsigned width;        /* bytes per entry */
    unsigned dir_shift;    /* log2 of what one directory entry maps */
    uint64_t addr_mask;    /* frame address bits of a table or 4 KiB page */
    uint64_t large_mask;   /* frame address bits of a large page */
    bool large;            /* PS honoured (legacy: only with CR4.PSE) */
} PgFormat;

/* One page directory mapping linear base.. on: its present entries as
 * large pages or page tables, as the run they extend. Returns how many of
 * the directory's own entries and its tables could not be read (an
 * unreadable table ends that table, not the directory). */
static int walk_dir(const PgWalkRegs *regs, PgReadFn read, Coalescer *c, const PgFormat *fmt,
                    uint64_t pd, uint32_t base)
{
    int unreadable = 0;
    for (uint32_t i = 0; i < fmt->entries; i++) {
        uint64_t pde;
        uint32_t lin = base | i << fmt->dir_shift;
        if (!read(c->ctx, pd + fmt->width * i, fmt->width, &pde)) {
            unreadable++;
            flush_run(c);
            continue;
        }
        if (!(pde & PTE_P)) {
            flush_run(c);
            continue;
        }
        if ((pde & PTE_PS) && fmt->large) {
            /* PAE: PDPTEs carry no rights in 32-bit mode, the PDE decides. */
            add_page(c, lin, pde & fmt->large_mask, 1u << fmt->dir_shift,
                     run_flags(regs, pde, pde, true));
            continue;
        }
        uint64_t pt = pde & fmt->addr_mask;
        for (uint32_t j = 0; j < fmt->entries; j++) {
            uint64_t pte;
            if (!read(c->ctx, pt + fmt->width * j, fmt->width, &pte)) {
                unreadable++;
                flush_run(c);
                break;
            }
            if (!(pte & PTE_P)) {
                flush_run(c);
                continue;
            }
            add_page(c, lin | j << 12, pte & fmt->addr_mask, 4096,
                     run_flags(regs, pde, pte, false));
        }
    }
    return unreadable;
}

static int walk_legacy(const PgWalkRegs *regs, PgReadFn read, Coalescer *c)
{
    const PgFormat fmt = { 1024, 4, 22, 0xFFFFF000u, 0xFFC00000u, regs->pse };
    return walk_dir(regs, read, c, &fmt, regs->cr3 & 0xFFFFF000u, 0);
}

static int walk_pae(const PgWalkRegs *regs, PgReadFn read, Coalescer *c)
{
    const PgFormat fmt = { 512, 8, 21, PAE_ADDR_MASK, 0x0000000FFFE00000ull, true };
    int unreadable = 0;
    for (uint32_t k = 0; k < 4; k++) {
        uint64_t pdpte = regs->pdpte[k];
        if (!(pdpte & PTE_P)) {
            flush_run(c);
            continue;
        }
        unreadable += walk_dir(regs, read, c, &fmt, pdpte & PAE_ADDR_MASK, k << 30);
    }
    return unreadable;
}

int pg_walk(const PgWalkRegs *regs, PgReadFn read, PgEmitFn emit, void *ctx)
{
    Coalescer c = { .emit = emit, .ctx = ctx };
    int unreadable = regs->pae ? walk_pae(regs, read, &c) : walk_legacy(regs, read, &c);
    flush_run(&c);
    return unreadable;
}
