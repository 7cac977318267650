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

static int walk_legacy(const PgWalkRegs *regs, PgReadFn read, Coalescer *c)
{
    int unreadable = 0;
    uint64_t pd = regs->cr3 & 0xFFFFF000u;
    for (uint32_t i = 0; i < 1024; i++) {
        uint64_t pde;
        uint32_t lin = i << 22;
        if (!read(c->ctx, pd + 4 * i, 4, &pde)) {
            unreadable++;
            flush_run(c);
            continue;
        }
        if (!(pde & PTE_P)) {
            flush_run(c);
            continue;
        }
        if ((pde & PTE_PS) && regs->pse) {
            add_page(c, lin, pde & 0xFFC00000u, 1u << 22, run_flags(regs, pde, pde, true));
            continue;
        }
        uint64_t pt = pde & 0xFFFFF000u;
        for (uint32_t j = 0; j < 1024; j++) {
            uint64_t pte;
            if (!read(c->ctx, pt + 4 * j, 4, &pte)) {
                unreadable++;
                flush_run(c);
                break;
            }
            if (!(pte & PTE_P)) {
                flush_run(c);
                continue;
            }
            add_page(c, lin | j << 12, pte & 0xFFFFF000u, 4096,
                     run_flags(regs, pde, pte, false));
        }
    }
    return unreadable;
}

static int walk_pae(const PgWalkRegs *regs, PgReadFn read, Coalescer *c)
{
    int unreadable = 0;
    for (uint32_t k = 0; k < 4; k++) {
        uint64_t pdpte = regs->pdpte[k];
        if (!(pdpte & PTE_P)) {
            flush_run(c);
            continue;
        }
        uint64_t pd = pdpte & PAE_ADDR_MASK;
        for (uint32_t i = 0; i < 512; i++) {
            uint64_t pde;
            uint32_t lin = k << 30 | i << 21;
            if (!read(c->ctx, pd + 8 * i, 8, &pde)) {
                unreadable++;
                flush_run(c);
                continue;
            }
            if (!(pde & PTE_P)) {
                flush_run(c);
                continue;
            }
            if (pde & PTE_PS) {
                /* PDPTEs carry no rights in 32-bit PAE: the PDE decides. */
                add_page(c, lin, pde & 0x0000000FFFE00000ull, 1u << 21,
                         run_flags(regs, pde, pde, true));
                continue;
            }
            uint64_t pt = pde & PAE_ADDR_MASK;
            for (uint32_t j = 0; j < 512; j++) {
                uint64_t pte;
                if (!read(c->ctx, pt + 8 * j, 8, &pte)) {
                    unreadable++;
                    flush_run(c);
                    break;
                }
                if (!(pte & PTE_P)) {
                    flush_run(c);
                    continue;
                }
                add_page(c, lin | j << 12, pte & PAE_ADDR_MASK, 4096,
                         run_flags(regs, pde, pte, false));
            }
        }
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
