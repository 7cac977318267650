/* The decoded-block cache.
 *
 * A block is a run of decoded instructions starting at one physical
 * address, inside one 4 KiB page, ending at a control transfer, a
 * state-changing instruction, the page end or BLOCK_MAX_INSNS. Blocks are
 * keyed by (physical address, CS.D). A write to a page holding blocks
 * invalidates them all: their handlers are replaced by a "stale" handler
 * that leaves the block, so a block that modifies itself stops right after
 * the modifying instruction. */
#ifndef KAIRO_ICACHE_H
#define KAIRO_ICACHE_H

#include "cpu/insn.h"

#define BLOCK_MAX_INSNS 64

typedef struct Block {
    uint64_t phys;           /* physical address of the first byte */
    struct Block *hash_next;
    struct Block *page_next; /* blocks on the same physical page */
    uint16_t n;              /* instructions, not counting the end sentinel */
    uint16_t bytes;          /* bytes covered */
    bool code32;
    bool valid;
    Insn insns[];            /* n + 1: the last is the end sentinel */
} Block;

typedef struct IcacheState IcacheState;

IcacheState *icache_new(PhysMem *mem);
void icache_free(IcacheState *ic);
/* Drop every block (used when the arena fills, and on reset). */
void icache_flush(IcacheState *ic);
/* Invalidate blocks on the physical page holding paddr. */
void icache_invalidate_page(IcacheState *ic, uint32_t paddr);

/* The block to run at cpu->eip (decoding it if needed). May fault (fetch
 * #PF/#GP for the first instruction). */
Block *icache_lookup(Cpu *cpu);

/* Statistics */
typedef struct IcacheStats {
    uint64_t lookups, misses, invalidations, flushes;
} IcacheStats;
IcacheStats icache_stats(const IcacheState *ic);

#endif
