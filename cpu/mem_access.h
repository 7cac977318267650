/* SPDX-License-Identifier: MIT */
/* Guest memory accesses from instruction handlers.
 *
 * The inline fast path checks the segment (rights and limit, from values
 * precomputed at segment load) and the TLB; a hit is a host load or store.
 * Everything else (limit faults, TLB misses, page walks, page-crossing
 * accesses, MMIO, writes to pages holding decoded code) goes to the slow
 * path in cpu/memaccess.c, which may call cpu_fault(). */
#ifndef KAIRO_MEM_ACCESS_H
#define KAIRO_MEM_ACCESS_H

#include <string.h>

#include "cpu/cpu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* --- slow paths (cpu/memaccess.c) --- */
uint32_t cpu_read_slow(Cpu *cpu, unsigned seg, uint32_t off, unsigned size);
void cpu_write_slow(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, uint32_t val);
uint64_t cpu_read64(Cpu *cpu, unsigned seg, uint32_t off);
void cpu_write64(Cpu *cpu, unsigned seg, uint32_t off, uint64_t val);

/* Raise #GP(0)/#SS(0) unless [off, off+size) of seg may be accessed
 * (write: writable). Also probes paging (may raise #PF) when probe_pages:
 * use it before multi-part writes that must not be torn by a fault. */
void cpu_check_access(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, bool write,
                      bool probe_pages);

/* Linear-address accesses, no segmentation. system=true makes it a
 * supervisor access whatever the CPL (descriptor tables, TSS, IDT). */
uint32_t cpu_lin_read(Cpu *cpu, uint32_t lin, unsigned size, bool system);
void cpu_lin_write(Cpu *cpu, uint32_t lin, unsigned size, uint32_t val, bool system);

/* Access kinds for translation */
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };
/* Translate a linear address (A20 applied), raising #PF on failure and
 * setting accessed/dirty bits; fills the TLB for the current privilege. */
uint64_t cpu_translate(Cpu *cpu, uint32_t lin, int access, bool user);
/* Translate without side effects or faults (debugger, monitor); returns
 * false when not mapped. */
bool cpu_translate_debug(Cpu *cpu, uint32_t lin, uint64_t *phys);

/* TLB maintenance (cpu/paging.c) */
void tlb_flush_all(Cpu *cpu);          /* everything, including global pages */
void tlb_flush_nonglobal(Cpu *cpu);    /* CR3 reload */
void tlb_flush_page(Cpu *cpu, uint32_t lin);  /* INVLPG */
/* Load CR3 (and PAE PDPTEs); flushes non-global TLB entries. */
void cpu_load_cr3(Cpu *cpu, uint32_t cr3);
/* CR0/CR4 writes that affect paging call this after updating the register. */
void cpu_paging_changed(Cpu *cpu);
/* The same without the flush (an SVM world switch picks a TLB bank). */
void cpu_paging_loaded(Cpu *cpu);

/* Code fetch for the decoder: host pointer to the page holding lin (and
 * its physical address), or NULL when the page is MMIO/unmapped (then use
 * cpu_fetch_byte). Raises #PF / #GP like an instruction fetch would. */
const uint8_t *cpu_fetch_page(Cpu *cpu, uint32_t lin, uint64_t *phys);
uint8_t cpu_fetch_byte(Cpu *cpu, uint32_t lin);

/* --- fast paths --- */
static inline uint32_t load_le16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t load_le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline void store_le16(uint8_t *p, uint32_t v) { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); }
static inline void store_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Host pointer for a fast-path access, or NULL. */
static inline uint8_t *cpu_fast_ptr(const SegCache *s, const TlbEntry *tlb, uint32_t off,
                                    unsigned size, uint32_t acc)
{
    uint32_t lin;
    /* A flat segment: the offset is the linear address. An access that
     * wraps past 4 GiB misses the TLB below (its last byte's page is page
     * 0, never tagged at the first byte's index) and faults in the slow
     * path. */
    if (likely(s->flat & acc))
        lin = off;
    else if (likely((s->access & acc) && off >= s->lim_lo &&
                    (uint64_t)off + (size - 1) <= s->lim_hi))
        lin = s->base + off;
    else
        return NULL;
    /* The slot's byte offset straight from lin: a 16-byte entry puts the
     * index four bits up, one shift and one mask instead of two shifts. */
    const TlbEntry *e = (const TlbEntry *)((const char *)tlb +
                                           ((lin >> (12 - 4)) & ((TLB_SIZE - 1) << 4)));
    /* The tag is the page of the *last* byte: a page-crossing access
     * misses, because its first page sits at a different index. */
    if (likely(e->tag == ((lin + (size - 1)) & ~0xFFFu))) {
        uint8_t *p = (uint8_t *)(e->addend + lin);
        /* A hit has a host page (tlb_fill tags a page without one as slow),
         * so callers testing p for NULL need no second test on this path. */
        if (!p)
            __builtin_unreachable();
        return p;
    }
    return NULL;
}

static inline uint8_t cpu_read8(Cpu *cpu, unsigned seg, uint32_t off)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_read, off, 1, SEG_ACC_READ);
    return p ? *p : (uint8_t)cpu_read_slow(cpu, seg, off, 1);
}
static inline uint16_t cpu_read16(Cpu *cpu, unsigned seg, uint32_t off)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_read, off, 2, SEG_ACC_READ);
    return (uint16_t)(p ? load_le16(p) : cpu_read_slow(cpu, seg, off, 2));
}
static inline uint32_t cpu_read32(Cpu *cpu, unsigned seg, uint32_t off)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_read, off, 4, SEG_ACC_READ);
    return p ? load_le32(p) : cpu_read_slow(cpu, seg, off, 4);
}
static inline void cpu_write8(Cpu *cpu, unsigned seg, uint32_t off, uint8_t v)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_write, off, 1, SEG_ACC_WRITE);
    if (p)
        *p = v;
    else
        cpu_write_slow(cpu, seg, off, 1, v);
}
static inline void cpu_write16(Cpu *cpu, unsigned seg, uint32_t off, uint16_t v)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_write, off, 2, SEG_ACC_WRITE);
    if (p)
        store_le16(p, v);
    else
        cpu_write_slow(cpu, seg, off, 2, v);
}
static inline void cpu_write32(Cpu *cpu, unsigned seg, uint32_t off, uint32_t v)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_write, off, 4, SEG_ACC_WRITE);
    if (p)
        store_le32(p, v);
    else
        cpu_write_slow(cpu, seg, off, 4, v);
}
/* Width-generic forms for handlers shared by 16- and 32-bit operand sizes. */
static inline uint32_t cpu_read_sz(Cpu *cpu, unsigned seg, uint32_t off, bool op32)
{
    return op32 ? cpu_read32(cpu, seg, off) : cpu_read16(cpu, seg, off);
}
static inline void cpu_write_sz(Cpu *cpu, unsigned seg, uint32_t off, uint32_t v, bool op32)
{
    if (op32)
        cpu_write32(cpu, seg, off, v);
    else
        cpu_write16(cpu, seg, off, (uint16_t)v);
}

/* --- the stack ---
 * SS.B chooses ESP or SP. Pushes write memory first and move ESP after, so
 * a faulting push leaves ESP untouched. */
static inline uint32_t cpu_sp_mask(const Cpu *cpu)
{
    return cpu->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
}
static inline void cpu_set_sp(Cpu *cpu, uint32_t sp)
{
    if (cpu->stack32)
        cpu->gpr[R_ESP] = sp;
    else
        cpu->gpr[R_ESP] = (cpu->gpr[R_ESP] & 0xFFFF0000u) | (sp & 0xFFFFu);
}
static inline void cpu_push32(Cpu *cpu, uint32_t v)
{
    uint32_t sp = (cpu->gpr[R_ESP] - 4) & cpu_sp_mask(cpu);
    cpu_write32(cpu, SEG_SS, sp, v);
    cpu_set_sp(cpu, sp);
}
static inline void cpu_push16(Cpu *cpu, uint16_t v)
{
    uint32_t sp = (cpu->gpr[R_ESP] - 2) & cpu_sp_mask(cpu);
    cpu_write16(cpu, SEG_SS, sp, v);
    cpu_set_sp(cpu, sp);
}
static inline void cpu_push_sz(Cpu *cpu, uint32_t v, bool op32)
{
    if (op32)
        cpu_push32(cpu, v);
    else
        cpu_push16(cpu, (uint16_t)v);
}
/* Read the value on top of the stack at byte offset `skip` from ESP,
 * without popping (a POP commits ESP only after its destination is written). */
static inline uint32_t cpu_stack_peek(Cpu *cpu, uint32_t skip, bool op32)
{
    uint32_t sp = (cpu->gpr[R_ESP] + skip) & cpu_sp_mask(cpu);
    return op32 ? cpu_read32(cpu, SEG_SS, sp) : cpu_read16(cpu, SEG_SS, sp);
}
static inline uint32_t cpu_pop_sz(Cpu *cpu, bool op32)
{
    uint32_t v = cpu_stack_peek(cpu, 0, op32);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + (op32 ? 4 : 2));
    return v;
}

#endif
