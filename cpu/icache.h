/* SPDX-License-Identifier: MIT */
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

/* A block's exits: each conditional branch, LOOP or REP string
 * instruction inside it has a link slot of its own, and so has the end of
 * the block (its last instruction or the fall-through); exits past the last
 * slot share it. */
#define BLOCK_LINKS 4

struct Block;
typedef struct BlockLink {
    struct Block *to;   /* the block at eip in chain epoch epoch, or NULL */
    uint32_t eip;
    uint32_t epoch;
} BlockLink;

typedef struct Block {
    uint64_t phys;           /* physical address of the first byte */
    struct Block *hash_next;
    struct Block *page_next; /* blocks on the same physical page */
    uint16_t n;              /* instructions, not counting the end sentinel */
    uint16_t bytes;          /* bytes covered */
    bool code32;
    bool valid;
    /* Links to the blocks that followed this one, one per way out (each
     * Insn's link names its slot), so the loop can go on without a lookup:
     * valid while chain_epoch matches the CPU's. */
    BlockLink link[BLOCK_LINKS];
    Insn insns[];            /* n + 1: the last is the end sentinel */
} Block;

typedef struct IcacheState IcacheState;

IcacheState *icache_new(PhysMem *mem);
void icache_free(IcacheState *ic);
/* Drop every block (used when the arena fills, and on reset). */
void icache_flush(IcacheState *ic);
/* Invalidate blocks on the physical page holding paddr. */
void icache_invalidate_page(IcacheState *ic, uint32_t paddr);
/* Invalidate the blocks that overlap [paddr, paddr+len) (within one page). */
void icache_invalidate_range(IcacheState *ic, uint32_t paddr, uint32_t len);

/* The block to run at cpu->eip (decoding it if needed). May fault (fetch
 * #PF/#GP for the first instruction). */
Block *icache_lookup(Cpu *cpu);

/* The jump cache: linear EIP -> block, direct-mapped, checked against the
 * read TLB so that a changed mapping or an invalidated block never matches.
 * It saves the hash lookup and the fetch translation on most block entries. */
#define JMP_CACHE_BITS 12
#define JMP_CACHE_SIZE (1u << JMP_CACHE_BITS)

typedef struct JmpCacheEntry {
    uint32_t lin;
    bool code32;
    Block *block;
} JmpCacheEntry;

static inline uint32_t jmp_cache_index(uint32_t lin)
{
    return (lin ^ (lin >> JMP_CACHE_BITS)) & (JMP_CACHE_SIZE - 1);
}

/* Direct block links. A handler that leaves its block for CS:EIP goes
 * straight on to the block the loop linked there (exec_next_block), without
 * coming back to the loop, when the loop would do nothing else at this
 * boundary: the attention word is clear (no interrupt, halt, stop request,
 * single-step, breakpoint or debugger), the link is of the current chain
 * epoch and its block valid, and the block fits below icount_stop whole.
 * Then it is the same boundary the loop would make, at the same count.
 * chain_left bounds the chain (the loop refills it per block): without
 * tail calls (debug builds) each link is a stack frame. */
#define BLOCK_CHAIN_MAX 64

/* The exit's link did not answer: the jump cache may (a RET to several
 * callers, exits sharing a slot), else back to the loop. */
const Insn *block_chain_slow(Cpu *cpu, Block *b, BlockLink *l);

static inline void block_chain_enter(Cpu *cpu, Block *n)
{
    cpu->chain_left--;
    cpu->cur_block = n;
    cpu->block_eip = cpu->eip;
    cpu->icount += n->n;
}

static inline const Insn *block_chain(Cpu *cpu, Block *b, const Insn *in)
{
    BlockLink *l = &b->link[in->link];
    Block *n = l->to;
    if (__builtin_expect(l->eip != cpu->eip || l->epoch != cpu->chain_epoch || !n || !n->valid ||
                             cpu->attention || cpu->icount + n->n > cpu->icount_stop ||
                             !cpu->chain_left, 0))
        return block_chain_slow(cpu, b, l);
    block_chain_enter(cpu, n);
    return n->insns[0].fn(cpu, n->insns);
}

/* A handler that has set EIP somewhere else leaves its block here: the
 * instructions after it were counted at block entry but will not run.
 * Run from a copy (the traced loop, which records each instruction), it is
 * outside the block and the loop does the rest. */
static inline const Insn *insn_leave_block(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (b && in >= b->insns && in < b->insns + b->n) {
        cpu->icount -= (uint64_t)(b->n - 1 - (in - b->insns));
        return block_chain(cpu, b, in);
    }
    return NULL;
}

/* The same for the instruction that ends its block (JMP, CALL, RET): none
 * to take back. */
static inline const Insn *insn_end_block(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (b && in == b->insns + b->n - 1)
        return block_chain(cpu, b, in);
    return NULL;
}

/* The block the jump cache holds for CS:EIP, or NULL. */
static inline Block *icache_probe(Cpu *cpu)
{
    const SegCache *cs = &cpu->seg[SEG_CS];
    uint32_t lin = cs->base + cpu->eip;
    const JmpCacheEntry *j = &cpu->jmp_cache[jmp_cache_index(lin)];
    Block *b = j->block;
    if (__builtin_expect(b && j->lin == lin && j->code32 == cpu->code32 && b->valid &&
                         !cpu->single_step, 1)) {
        const TlbEntry *e = &cpu->tlb_read[(lin >> 12) & (TLB_SIZE - 1)];
        if (e->tag == (lin & ~0xFFFu) && tlb_entry_phys(e) == (uint32_t)(b->phys & ~0xFFFull) &&
            !(b->phys >> 32) && cpu->eip <= cs->lim_hi && cs->lim_hi - cpu->eip >= b->bytes - 1u)
            return b;
    }
    return NULL;
}

/* Fast path of icache_lookup. */
static inline Block *icache_find(Cpu *cpu)
{
    Block *b = icache_probe(cpu);
    return b ? b : icache_lookup(cpu);
}

/* The CPU's jump cache, cleared whenever the arena is flushed (its block
 * pointers would dangle). */
void icache_attach_jmp_cache(IcacheState *ic, JmpCacheEntry *jc);
/* Caches of CPUs sharing one memory: join other's ring / leave it. */
void icache_join(IcacheState *ic, IcacheState *other);
void icache_leave(IcacheState *ic);
/* The CPU's chain epoch, bumped when the arena is flushed (block memory is
 * reused, so every link dies). */
void icache_attach_epoch(IcacheState *ic, uint32_t *epoch);

/* Statistics */
typedef struct IcacheStats {
    uint64_t lookups, misses, invalidations, flushes;
} IcacheStats;
IcacheStats icache_stats(const IcacheState *ic);

#endif
