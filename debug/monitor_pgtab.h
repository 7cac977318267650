/* SPDX-License-Identifier: MIT */
/* The page-table walker behind the monitor's `info tab`: every mapping a
 * CR3 holds, as runs of linear pages that map contiguous physical pages
 * with the same rights. It reads the tables through a callback, so the
 * unit tests can hand it tables built in a plain buffer. */
#ifndef KAIRO_MONITOR_PGTAB_H
#define KAIRO_MONITOR_PGTAB_H

#include <stdbool.h>
#include <stdint.h>

/* Run flags: the rights every level grants, and the page size. */
#define PGRUN_RW     0x01u   /* writable */
#define PGRUN_USER   0x02u   /* user-accessible */
#define PGRUN_GLOBAL 0x04u
#define PGRUN_LARGE  0x08u   /* 4 MiB pages (2 MiB with PAE) */

typedef struct PgRun {
    uint32_t lin;       /* first linear address */
    uint64_t phys;      /* its physical address */
    uint64_t len;       /* bytes (a run may cover all 4 GiB) */
    uint32_t flags;     /* PGRUN_* */
} PgRun;

typedef struct PgWalkRegs {
    uint32_t cr3;
    bool pse;           /* CR4.PSE: 4 MiB pages in 32-bit paging */
    bool pae;           /* CR4.PAE: the three-level walk */
    bool pge;           /* CR4.PGE: the G bit means something */
    uint64_t pdpte[4];  /* PAE: the PDPTEs the CPU loaded with CR3 */
} PgWalkRegs;

/* Read one 4- or 8-byte table entry at a physical address; false when it
 * is not RAM. */
typedef bool (*PgReadFn)(void *ctx, uint64_t paddr, unsigned size, uint64_t *value);
/* One coalesced run, in increasing linear order. */
typedef void (*PgEmitFn)(void *ctx, const PgRun *run);

/* Walk all of the linear space; returns how many tables could not be read
 * (their ranges are left out). */
int pg_walk(const PgWalkRegs *regs, PgReadFn read, PgEmitFn emit, void *ctx);

#endif
