/* SPDX-License-Identifier: MIT */
/* The decoded-block cache: lookup, decode, invalidation. */
#include "cpu/icache.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/mem_access.h"

#define HASH_BITS 16
#define HASH_SIZE (1u << HASH_BITS)
#define ARENA_BYTES (32u << 20)

struct IcacheState {
    PhysMem *mem;
    Block *hash[HASH_SIZE];
    Block **page_head;         /* [PHYS_PAGES] blocks per physical page */
    uint64_t *page_lines;      /* [PHYS_PAGES] 64-byte lines of the page holding code */
    uint8_t *arena;
    size_t arena_used;
    IcacheStats stats;
    JmpCacheEntry *cpu_jmp_cache;   /* the owning CPU's, cleared on flush */
    uint32_t *epoch;                /* the owning CPU's chain epoch */
    /* The other CPUs' caches on the same memory (a ring; itself when
     * alone): a page stays PHYS_PG_CODE while any of them holds code there. */
    struct IcacheState *sibling;
    /* One uncached single-instruction block, for instructions that cross a
     * page, run from MMIO, sit at the CS limit, or when single-stepping.
     * Last: a block ends in a flexible array. */
    union {
        Block b;
        uint8_t raw[sizeof(Block) + 2 * sizeof(Insn)];
    } scratch;
};

/* The sentinel after a block's last instruction: the block falls through
 * to the one that follows it (it ended at the page end or its size). */
static const Insn *block_end(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (b && in == b->insns + b->n)
        return block_chain(cpu, b, in);
    return NULL;
}

const Insn *block_chain_slow(Cpu *cpu, Block *b, BlockLink *l)
{
    Block *n;
    /* Not from the scratch block: run_one ends with its own trap check. */
    if (cpu->attention || block_chain_deep(cpu) || !b->valid || !(n = icache_probe(cpu)) ||
        cpu->icount + n->n > cpu->icount_stop) {
        cpu->link_from = l;   /* the loop links it after its lookup */
        return NULL;
    }
    *l = (BlockLink){ n, cpu->eip, cpu->chain_epoch };
    block_chain_enter(cpu, n);
    return n->insns[0].fn(cpu, n->insns);
}

/* Can this instruction leave its block from the middle (a taken Jcc, LOOP,
 * JCXZ, a REP string instruction between chunks)? It then has a link slot
 * of its own. */
static bool leaves_mid_block(const Insn *in)
{
    unsigned op = in->opcode;
    return (op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F) ||
           (op >= 0xE0 && op <= 0xE3) || (in->flags & (INSN_REP | INSN_REPNE));
}

/* Replaces every handler of an invalidated block: leave the block without
 * executing, so the loop decodes the instruction afresh. The instructions
 * not executed are taken off the count added at block entry. */
static const Insn *block_stale(Cpu *cpu, const Insn *in)
{
    Block *b = cpu->cur_block;
    if (b && in >= b->insns && in < b->insns + b->n)
        cpu->icount -= (uint64_t)(b->n - (in - b->insns));
    return NULL;
}

static inline uint32_t hash_of(uint64_t phys, bool code32)
{
    uint32_t h = (uint32_t)phys ^ (uint32_t)(phys >> 32) * 0x9E3779B1u;
    h = (h ^ (h >> 15)) * 0x2C1B3C6Du ^ (code32 ? 0x5bd1e995u : 0);
    return (h ^ (h >> 13)) & (HASH_SIZE - 1);
}

void icache_join(IcacheState *ic, IcacheState *other)
{
    ic->sibling = other->sibling;
    other->sibling = ic;
}

void icache_leave(IcacheState *ic)
{
    IcacheState *p = ic;
    while (p->sibling != ic)
        p = p->sibling;
    p->sibling = ic->sibling;
    ic->sibling = ic;
}

/* This cache has no block left on page pg: writes may take the fast path
 * again unless another CPU's cache still has code there. */
static void release_code_page(IcacheState *ic, uint32_t pg)
{
    for (IcacheState *o = ic->sibling; o != ic; o = o->sibling)
        if (o->page_head[pg])
            return;
    ic->mem->page_flags[pg] &= (uint8_t)~PHYS_PG_CODE;
}

void icache_attach_jmp_cache(IcacheState *ic, JmpCacheEntry *jc)
{
    ic->cpu_jmp_cache = jc;
}

void icache_attach_epoch(IcacheState *ic, uint32_t *epoch)
{
    ic->epoch = epoch;
}

IcacheState *icache_new(PhysMem *mem)
{
    IcacheState *ic = calloc(1, sizeof *ic);
    if (!ic)
        return NULL;
    ic->mem = mem;
    ic->sibling = ic;
    ic->page_head = calloc(PHYS_PAGES, sizeof *ic->page_head);
    ic->page_lines = calloc(PHYS_PAGES, sizeof *ic->page_lines);
    ic->arena = aligned_alloc(64, ARENA_BYTES);   /* blocks on 32 (Block.insns) */
    if (!ic->page_head || !ic->page_lines || !ic->arena) {
        icache_free(ic);
        return NULL;
    }
    return ic;
}

void icache_free(IcacheState *ic)
{
    if (!ic)
        return;
    free(ic->page_head);
    free(ic->page_lines);
    free(ic->arena);
    free(ic);
}

void icache_flush(IcacheState *ic)
{
    /* Mark every live block stale first: the CPU may be inside one. */
    for (uint32_t h = 0; h < HASH_SIZE; h++)
        for (Block *b = ic->hash[h]; b; b = b->hash_next)
            for (unsigned i = 0; i < b->n; i++)
                b->insns[i].fn = block_stale;
    memset(ic->hash, 0, sizeof ic->hash);
    if (ic->cpu_jmp_cache)
        memset(ic->cpu_jmp_cache, 0, JMP_CACHE_SIZE * sizeof(JmpCacheEntry));
    for (uint32_t pg = 0; pg < PHYS_PAGES; pg++) {
        if (ic->page_head[pg]) {
            ic->page_head[pg] = NULL;
            ic->page_lines[pg] = 0;
            release_code_page(ic, pg);
        }
    }
    ic->arena_used = 0;
    ic->stats.flushes++;
    if (ic->epoch)
        (*ic->epoch)++;
}

/* The 64-byte lines [off, off+len) of a page cover, as a mask. */
static uint64_t line_mask(uint32_t off, uint32_t len)
{
    if (!len)
        return 0;
    unsigned first = off >> 6, last = (off + len - 1) >> 6;
    if (last > 63)
        last = 63;
    uint64_t hi = last == 63 ? ~0ull : (2ull << last) - 1;
    return hi & ~((1ull << first) - 1);
}

static void block_kill(IcacheState *ic, Block *b)
{
    b->valid = false;
    for (unsigned i = 0; i < b->n; i++)
        b->insns[i].fn = block_stale;
    /* Every link to b dies with the epoch (block_chain trusts a current
     * link's block to be valid). */
    if (ic->epoch)
        (*ic->epoch)++;
    Block **pp = &ic->hash[hash_of(b->phys, b->code32)];
    while (*pp && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = b->hash_next;
    ic->stats.invalidations++;
}

void icache_invalidate_range(IcacheState *ic, uint32_t paddr, uint32_t len)
{
    uint32_t pg = paddr >> PHYS_PAGE_SHIFT;
    uint32_t off = paddr & (PHYS_PAGE_SIZE - 1);
    if (off + len > PHYS_PAGE_SIZE)
        len = PHYS_PAGE_SIZE - off;
    /* Data written next to code (a DOS stack, a variable in the same page)
     * leaves the code alone: only blocks on the written lines go. */
    if (!(ic->page_lines[pg] & line_mask(off, len)))
        return;
    uint64_t lines = 0;
    for (Block **pp = &ic->page_head[pg]; *pp;) {
        Block *b = *pp;
        uint32_t boff = (uint32_t)(b->phys & (PHYS_PAGE_SIZE - 1));
        if (boff < off + len && off < boff + b->bytes) {
            block_kill(ic, b);
            *pp = b->page_next;
        } else {
            lines |= line_mask(boff, b->bytes);
            pp = &b->page_next;
        }
    }
    ic->page_lines[pg] = lines;
    if (!ic->page_head[pg])
        release_code_page(ic, pg);
}

void icache_invalidate_page(IcacheState *ic, uint32_t paddr)
{
    icache_invalidate_range(ic, paddr & ~(PHYS_PAGE_SIZE - 1), PHYS_PAGE_SIZE);
}

IcacheStats icache_stats(const IcacheState *ic)
{
    return ic->stats;
}

/* Writes to a page must take the slow path once it holds code. */
static void mark_code_page(Cpu *cpu, uint32_t pg)
{
    PhysMem *m = cpu->mem;
    if (m->page_flags[pg] & PHYS_PG_CODE)
        return;
    m->page_flags[pg] |= PHYS_PG_CODE;
    m->code_epoch++;
    uint32_t phys = pg << PHYS_PAGE_SHIFT;
    /* Every CPU's write TLB: another CPU's cached host pointer would write
     * past the code-page check. */
    Cpu *c = cpu;
    do {
        for (int k = TLB_SUP_WRITE; k < TLB_KINDS; k += 2)
            for (unsigned i = 0; i < TLB_SIZE; i++)
                if (c->tlb[k][i].tag != TLB_EMPTY && tlb_entry_phys(&c->tlb[k][i]) == phys)
                    c->tlb[k][i].tag = TLB_EMPTY;
        c = c->next_sibling;
    } while (c && c != cpu);
}

/* Decode one instruction whose bytes must be fetched one at a time (page
 * crossing, MMIO, CS limit). Faults exactly where the CPU would. */
static Block *decode_single(Cpu *cpu, IcacheState *ic, uint32_t lin, uint32_t limit_avail)
{
    uint8_t buf[16];
    unsigned have = 0;
    Block *b = &ic->scratch.b;
    Insn *in = &b->insns[0];
    bool ends;
    for (;;) {
        int len = decode_insn(buf, have, cpu->code32, cpu->isa, in, &ends);
        if (len > 0 || len == DECODE_TOO_LONG)
            break;
        if (have >= limit_avail)
            cpu_fault(cpu, EXC_GP, 0);   /* instruction runs past the CS limit */
        buf[have] = cpu_fetch_byte(cpu, lin + have);
        have++;
    }
    in->eip_off = 0;
    in->link = 0;   /* the scratch block's links stay empty: it never chains */
    b->n = 1;
    b->bytes = in->len;
    b->phys = 0;
    b->code32 = cpu->code32;
    b->valid = false;
    b->insns[1] = (Insn){ .fn = block_end };
    return b;
}

Block *icache_lookup(Cpu *cpu)
{
    IcacheState *ic = cpu->icache;
    const SegCache *cs = &cpu->seg[SEG_CS];
    uint32_t eip = cpu->eip;
    ic->stats.lookups++;

    if (eip > cs->lim_hi)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t limit_avail = cs->lim_hi - eip + 1;   /* 0 means 4 GiB */
    if (limit_avail == 0)
        limit_avail = 0xFFFFFFFFu;
    uint32_t lin = cs->base + eip;

    if (cpu->single_step)
        return decode_single(cpu, ic, lin, limit_avail);

    uint64_t phys;
    const uint8_t *page = cpu_fetch_page(cpu, lin, &phys);
    if (!page)
        return decode_single(cpu, ic, lin, limit_avail);

    uint32_t h = hash_of(phys, cpu->code32);
    JmpCacheEntry *j = &cpu->jmp_cache[jmp_cache_index(lin)];
    for (Block *b = ic->hash[h]; b; b = b->hash_next) {
        if (b->phys == phys && b->code32 == cpu->code32) {
            if (b->bytes <= limit_avail) {
                *j = (JmpCacheEntry){ lin, cpu->code32, b };
                return b;
            }
            return decode_single(cpu, ic, lin, limit_avail);
        }
    }

    ic->stats.misses++;
    if (ic->arena_used + sizeof(Block) + (BLOCK_MAX_INSNS + 1) * sizeof(Insn) > ARENA_BYTES)
        icache_flush(ic);

    Block *b = (Block *)(ic->arena + ic->arena_used);
    unsigned off = lin & 0xFFFu;
    unsigned page_avail = 4096 - off;
    unsigned avail = page_avail < limit_avail ? page_avail : limit_avail;
    unsigned pos = 0, n = 0, slot = 0;
    const uint8_t *code = page + off;
    while (n < BLOCK_MAX_INSNS) {
        bool ends;
        Insn *in = &b->insns[n];
        int len = decode_insn(code + pos, avail - pos, cpu->code32, cpu->isa, in, &ends);
        if (len == DECODE_MORE) {
            if (n == 0)
                return decode_single(cpu, ic, lin, limit_avail);
            break;
        }
        if (len == DECODE_TOO_LONG)
            len = 15;
        in->eip_off = (uint16_t)pos;
        in->link = (uint8_t)slot;
        if (leaves_mid_block(in) && slot < BLOCK_LINKS - 1)
            slot++;
        pos += (unsigned)len;
        n++;
        if (ends || pos >= avail)
            break;
    }
    /* Pairs fuse only in whole blocks: a single-instruction block (single
     * steps, breakpoints, the count stop) runs each alone. */
    for (unsigned i = 0; i < n; i++)
        b->insns[i].link |= (uint8_t)((n - 1 - i) << 2);
    for (unsigned i = 0; i + 1 < n; i++)
        insn_fuse(&b->insns[i]);
    b->phys = phys;
    b->n = (uint16_t)n;
    b->bytes = (uint16_t)pos;
    b->code32 = cpu->code32;
    b->valid = true;
    memset(b->link, 0, sizeof b->link);
    b->ret_link = (BlockLink){ 0 };
    /* The fall-through shares the last instruction's slot unless that one
     * is a conditional exit (then it is the next one). */
    b->insns[n] = (Insn){ .fn = block_end, .eip_off = (uint16_t)pos, .link = (uint8_t)slot };
    ic->arena_used += sizeof(Block) + (n + 1) * sizeof(Insn);
    ic->arena_used = (ic->arena_used + 31) & ~(size_t)31;

    b->hash_next = ic->hash[h];
    ic->hash[h] = b;
    uint32_t pg = (uint32_t)(phys >> PHYS_PAGE_SHIFT);
    b->page_next = ic->page_head[pg];
    ic->page_head[pg] = b;
    ic->page_lines[pg] |= line_mask((uint32_t)(phys & (PHYS_PAGE_SIZE - 1)), b->bytes);
    mark_code_page(cpu, pg);
    *j = (JmpCacheEntry){ lin, cpu->code32, b };
    return b;
}
