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

/* Insn.link packs the exit's slot (bits 0-1) with the number of the
 * block's instructions after this one (bits 2-7), what a taken branch
 * takes back off the count. INSN_LINK_COPY marks an instruction run from a
 * copy outside its block (the traced loop): no block instruction has it,
 * since slot 3 comes after three exits and so never with 63 after. With
 * it, a leaving handler knows where it stands without a range check. */
#define INSN_LINK_COPY 0xFFu
_Static_assert(BLOCK_LINKS == 4 && BLOCK_MAX_INSNS <= 64, "Insn.link holds 2 + 6 bits");

static inline unsigned insn_link_slot(const Insn *in)
{
    return in->link & 3u;
}

static inline unsigned insn_link_after(const Insn *in)
{
    return in->link >> 2;
}

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
    /* A block that ends in a CALL: the block at its return address, which
     * the RET coming back reaches through the return stack (ras_push). */
    BlockLink ret_link;
    /* n + 1: the last is the end sentinel. On 32 bytes (and blocks start
     * on 32 in the arena) an Insn never straddles two cache lines. */
    _Alignas(32) Insn insns[];
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
#define JMP_CACHE_BITS 14
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
 * epoch, and the block fits below icount_stop whole. A link's block is
 * valid while its epoch is current: invalidating a block starts a new
 * epoch (rare: code pages are seldom written), so no use checks it.
 * Then it is the same boundary the loop would make, at the same count.
 * The host stack bounds the chain: without tail calls (debug builds) each
 * link is a stack frame, so a chain goes back to the loop once the stack
 * is BLOCK_CHAIN_STACK deeper than where the loop started it. With tail
 * calls (optimised builds) it never grows and the check never fires: one
 * compare with a register, where a link budget cost a load, a decrement
 * and a store per link. */
#define BLOCK_CHAIN_STACK (64u * 1024u)

/* The host stack pointer (an address inside this frame elsewhere). */
static inline __attribute__((always_inline)) uintptr_t host_sp(void)
{
    uintptr_t sp;
#if defined(__x86_64__)
    __asm__("mov %%rsp, %0" : "=r"(sp));
#elif defined(__i386__)
    __asm__("mov %%esp, %0" : "=r"(sp));
#else
    sp = (uintptr_t)__builtin_frame_address(0);
#endif
    return sp;
}

/* Has the chain used up its stack (only ever without tail calls)? */
static inline bool block_chain_deep(const Cpu *cpu)
{
    return host_sp() < cpu->chain_sp_floor;
}

/* The exit's link did not answer: the jump cache may (a RET to several
 * callers, exits sharing a slot), else back to the loop. */
const Insn *block_chain_slow(Cpu *cpu, Block *b, BlockLink *l);

static inline void block_chain_enter(Cpu *cpu, Block *n)
{
    cpu->cur_block = n;
    cpu->block_eip = cpu->eip;
    cpu->icount += n->n;
}

static inline const Insn *block_chain_via(Cpu *cpu, Block *b, BlockLink *l)
{
    Block *n = l->to;
    if (__builtin_expect(l->eip != cpu->eip || l->epoch != cpu->chain_epoch || !n ||
                             cpu->attention || cpu->icount + n->n > cpu->icount_stop ||
                             block_chain_deep(cpu), 0))
        return block_chain_slow(cpu, b, l);
    block_chain_enter(cpu, n);
    return n->insns[0].fn(cpu, n->insns);
}

static inline const Insn *block_chain(Cpu *cpu, Block *b, const Insn *in)
{
    return block_chain_via(cpu, b, &b->link[insn_link_slot(in)]);
}

/* Is in an instruction of the current block b (not a copy run outside
 * it, not run outside any loop)? Every handler a loop runs is one of
 * cur_block's own or a marked copy. */
static inline bool insn_in_block(const Block *b, const Insn *in)
{
    return b && in->link != INSN_LINK_COPY;
}

/* A handler that has set EIP somewhere else leaves its block here: the
 * instructions after it were counted at block entry but will not run.
 * Run from a copy (the traced loop, which records each instruction), it is
 * outside the block and the loop does the rest. */
static inline const Insn *insn_leave_block(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (insn_in_block(b, in)) {
        cpu->icount -= insn_link_after(in);
        return block_chain(cpu, b, in);
    }
    return NULL;
}

/* The same for the instruction that ends its block (JMP, CALL, RET): none
 * to take back. */
static inline const Insn *insn_end_block(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (insn_in_block(b, in))
        return block_chain(cpu, b, in);
    return NULL;
}

/* The return stack. A RET whose function has several callers would find
 * its one link slot naming the block after another caller most of the
 * time; like a CPU's return predictor, the CALL that ends block b pushes
 * its return EIP and b's return link, and the RET that pops that EIP goes
 * on through that link. An entry is only a hint: a stack switched, a CALL
 * that never returns or one not run from its block (the traced loop) just
 * makes the RET fall back to its own slot. The epoch guards the pointer:
 * a flushed arena (new epoch) may have reused b's memory. */
#define RAS_MASK (sizeof ((Cpu *)0)->ras / sizeof ((Cpu *)0)->ras[0] - 1)

static inline void ras_push(Cpu *cpu, uint32_t ret, BlockLink *l)
{
    uint32_t top = (cpu->ras_top + 1) & RAS_MASK;
    cpu->ras_top = top;
    cpu->ras[top].eip = ret;
    cpu->ras[top].epoch = cpu->chain_epoch;
    cpu->ras[top].link = l;
}

/* The link a RET to cpu->eip goes through: the return stack's, else the
 * RET's own slot. */
static inline BlockLink *ras_pop(Cpu *cpu, Block *b, const Insn *in)
{
    uint32_t top = cpu->ras_top;
    cpu->ras_top = (top - 1) & RAS_MASK;
    if (cpu->ras[top].eip == cpu->eip && cpu->ras[top].epoch == cpu->chain_epoch &&
        cpu->ras[top].link)
        return cpu->ras[top].link;
    return &b->link[insn_link_slot(in)];
}

/* insn_end_block for a near CALL that pushed ret. */
static inline const Insn *insn_call_end_block(Cpu *cpu, const Insn *in, uint32_t ret)
{
    Block *b = cpu->cur_block;
    if (insn_in_block(b, in)) {
        ras_push(cpu, ret, &b->ret_link);
        return block_chain(cpu, b, in);
    }
    return NULL;
}

/* insn_end_block for a near RET (EIP already the popped target). */
static inline const Insn *insn_ret_end_block(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (insn_in_block(b, in))
        return block_chain_via(cpu, b, ras_pop(cpu, b, in));
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
