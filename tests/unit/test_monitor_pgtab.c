/* SPDX-License-Identifier: MIT */
/* The page-table walker behind the monitor's `info tab`, over tables built
 * in a plain buffer: 32-bit paging with 4 KiB and 4 MiB pages, PAE with
 * 2 MiB pages and addresses above 4 GiB, coalescing, rights, global pages
 * and tables outside memory. */
#include <criterion/criterion.h>
#include <string.h>

#include "debug/monitor_pgtab.h"

enum { MEM_SIZE = 0x10000, MAX_RUNS = 32 };

typedef struct Fake {
    uint8_t mem[MEM_SIZE];
    PgRun runs[MAX_RUNS];
    int n_runs;
} Fake;

static bool fake_read(void *ctx, uint64_t paddr, unsigned size, uint64_t *value)
{
    Fake *f = ctx;
    if (paddr + size > MEM_SIZE)
        return false;
    *value = 0;
    memcpy(value, f->mem + paddr, size);
    return true;
}

static void fake_emit(void *ctx, const PgRun *run)
{
    Fake *f = ctx;
    cr_assert_lt(f->n_runs, MAX_RUNS);
    f->runs[f->n_runs++] = *run;
}

static void put32(Fake *f, uint32_t at, uint32_t v) { memcpy(f->mem + at, &v, 4); }
static void put64(Fake *f, uint32_t at, uint64_t v) { memcpy(f->mem + at, &v, 8); }

static void expect_run(const Fake *f, int i, uint32_t lin, uint64_t phys, uint64_t len,
                       uint32_t flags)
{
    cr_assert_lt(i, f->n_runs, "run %d missing (%d runs)", i, f->n_runs);
    const PgRun *r = &f->runs[i];
    cr_expect_eq(r->lin, lin, "run %d lin %08x", i, r->lin);
    cr_expect_eq(r->phys, phys, "run %d phys %llx", i, (unsigned long long)r->phys);
    cr_expect_eq(r->len, len, "run %d len %llx", i, (unsigned long long)r->len);
    cr_expect_eq(r->flags, flags, "run %d flags %x", i, r->flags);
}

static Fake fake;

/* PD at 0x1000: PDE 0 -> PT at 0x2000; PDEs 768, 769: 4 MiB pages. */
static void build_legacy(Fake *f)
{
    memset(f, 0, sizeof *f);
    put32(f, 0x1000, 0x2000 | 0x7);                  /* PT, user rw */
    for (uint32_t i = 0; i < 4; i++)                 /* 0-16K -> 1M.., user rw */
        put32(f, 0x2000 + 4 * i, (0x100000 + i * 0x1000) | 0x7);
    put32(f, 0x2000 + 4 * 4, 0x300000 | 0x7);        /* not contiguous */
    put32(f, 0x2000 + 4 * 5, 0x301000 | 0x5);        /* contiguous, read-only */
    put32(f, 0x2000 + 4 * 7, 0x302000 | 0x3);        /* after a hole, supervisor */
    put32(f, 0x1000 + 4 * 768, 0x00000000 | 0x183);  /* 4M, global, sup rw */
    put32(f, 0x1000 + 4 * 769, 0x00400000 | 0x183);  /* continues the run */
    put32(f, 0x1000 + 4 * 770, 0x00C00000 | 0x083);  /* skips phys 8M: new run */
}

Test(pgtab, legacy_4k_and_4m_runs)
{
    build_legacy(&fake);
    PgWalkRegs regs = { .cr3 = 0x1000, .pse = true, .pge = true };
    cr_assert_eq(pg_walk(&regs, fake_read, fake_emit, &fake), 0);
    cr_assert_eq(fake.n_runs, 6);
    expect_run(&fake, 0, 0x0000, 0x100000, 0x4000, PGRUN_RW | PGRUN_USER);
    expect_run(&fake, 1, 0x4000, 0x300000, 0x1000, PGRUN_RW | PGRUN_USER);
    expect_run(&fake, 2, 0x5000, 0x301000, 0x1000, PGRUN_USER);
    expect_run(&fake, 3, 0x7000, 0x302000, 0x1000, PGRUN_RW);
    expect_run(&fake, 4, 0xC0000000, 0, 0x800000, PGRUN_RW | PGRUN_GLOBAL | PGRUN_LARGE);
    expect_run(&fake, 5, 0xC0800000, 0xC00000, 0x400000, PGRUN_RW | PGRUN_LARGE);
    cr_assert_eq(fake.n_runs, 6);
}

Test(pgtab, global_needs_pge)
{
    build_legacy(&fake);
    PgWalkRegs regs = { .cr3 = 0x1000, .pse = true, .pge = false };
    pg_walk(&regs, fake_read, fake_emit, &fake);
    /* Without PGE the G bit means nothing: the two 4M runs merge. */
    expect_run(&fake, 4, 0xC0000000, 0, 0x800000, PGRUN_RW | PGRUN_LARGE);
    expect_run(&fake, 5, 0xC0800000, 0xC00000, 0x400000, PGRUN_RW | PGRUN_LARGE);
}

Test(pgtab, pse_off_reads_a_page_table)
{
    build_legacy(&fake);
    /* Without CR4.PSE the PS bit is ignored: PDE 768 (frame 0) points at a
     * page table at physical 0, which is all zeros here. PDE 769's frame
     * (4 MiB) and 770's are outside the fake memory: unreadable. */
    PgWalkRegs regs = { .cr3 = 0x1000, .pse = false };
    cr_assert_eq(pg_walk(&regs, fake_read, fake_emit, &fake), 2);
    cr_assert_eq(fake.n_runs, 4, "only the 4K runs of PDE 0");
}

Test(pgtab, user_needs_both_levels)
{
    build_legacy(&fake);
    put32(&fake, 0x1000, 0x2000 | 0x3);   /* the PDE is supervisor: so is everything under it */
    PgWalkRegs regs = { .cr3 = 0x1000, .pse = true };
    pg_walk(&regs, fake_read, fake_emit, &fake);
    expect_run(&fake, 0, 0x0000, 0x100000, 0x4000, PGRUN_RW);
    /* 0x300000 rw and 0x301000 ro now differ only in RW. */
    expect_run(&fake, 1, 0x4000, 0x300000, 0x1000, PGRUN_RW);
    expect_run(&fake, 2, 0x5000, 0x301000, 0x1000, 0);
}

Test(pgtab, pae_2m_and_high_memory)
{
    memset(&fake, 0, sizeof fake);
    PgWalkRegs regs = { .cr3 = 0, .pae = true, .pse = true };
    regs.pdpte[0] = 0x3000 | 1;
    regs.pdpte[3] = 0x5000 | 1;
    put64(&fake, 0x3000, 0x200000 | 0x87);            /* 0-2M: 2M page, user rw */
    put64(&fake, 0x3008, 0x4000 | 0x7);               /* 2M-4M: page table */
    put64(&fake, 0x4000, 0x100000000ull | 0x7);       /* above 4 GiB */
    put64(&fake, 0x4008, 0x100001000ull | 0x7);
    put64(&fake, 0x5000, 0x0 | 0x83);                 /* 3G: 2M sup */
    put64(&fake, 0x5008, 0x200000 | 0x83);
    cr_assert_eq(pg_walk(&regs, fake_read, fake_emit, &fake), 0);
    cr_assert_eq(fake.n_runs, 3);
    expect_run(&fake, 0, 0x0, 0x200000, 0x200000, PGRUN_RW | PGRUN_USER | PGRUN_LARGE);
    expect_run(&fake, 1, 0x200000, 0x100000000ull, 0x2000, PGRUN_RW | PGRUN_USER);
    expect_run(&fake, 2, 0xC0000000, 0, 0x400000, PGRUN_RW | PGRUN_LARGE);
}

Test(pgtab, whole_space_identity_is_one_run)
{
    memset(&fake, 0, sizeof fake);
    for (uint32_t i = 0; i < 1024; i++)
        put32(&fake, 0x1000 + 4 * i, (i << 22) | 0x83);
    PgWalkRegs regs = { .cr3 = 0x1000, .pse = true };
    pg_walk(&regs, fake_read, fake_emit, &fake);
    cr_assert_eq(fake.n_runs, 1);
    expect_run(&fake, 0, 0, 0, 0x100000000ull, PGRUN_RW | PGRUN_LARGE);
}

Test(pgtab, unreadable_directory)
{
    memset(&fake, 0, sizeof fake);
    PgWalkRegs regs = { .cr3 = 0x20000 };   /* outside the fake memory */
    cr_assert_eq(pg_walk(&regs, fake_read, fake_emit, &fake), 1024);
    cr_assert_eq(fake.n_runs, 0);
}
