/* SPDX-License-Identifier: MIT */
/* Paging: the page walk (32-bit with PSE, and PAE), accessed/dirty bits,
 * protection checks, #PF, and the software TLB.
 *
 * The TLB has four direct-mapped tables (supervisor/user x read/write) so
 * that the fast path in mem_access.h needs no permission test: an entry is
 * only ever placed in a table whose accesses it allows. An entry whose page
 * must not be touched through a host pointer (MMIO, ROM writes, pages above
 * 4 GiB, a data breakpoint in the page) carries TLB_SLOW in its tag, so the
 * fast path misses while the slow path still skips the walk. */
#include <stdio.h>

#include "cpu/amd.h"
#include "cpu/exception.h"
#include "cpu/mem_access.h"
#include "cpu/svm.h"
#include "debug/trace.h"

/* Page-table entry bits */
#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PTE_US  0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u
#define PTE_G   0x100u

/* #PF error code bits */
#define PF_PRESENT 0x01u
#define PF_WRITE   0x02u
#define PF_USER    0x04u
#define PF_RSVD    0x08u
#define PF_FETCH   0x10u   /* I/D: an instruction fetch (with EFER.NXE) */

/* PAE: physical address bits 12..35 of an entry (P6: 36-bit physical). */
#define PAE_ADDR_MASK 0x0000000FFFFFF000ull
/* PAE reserved bits: 36..63 (no NX on a P6); with EFER.NXE bit 63 is XD. */
#define PAE_RSVD_HIGH 0xFFFFFFF000000000ull
#define PAE_XD        0x8000000000000000ull
/* In a 2 MiB PDE, bits 13..20 are reserved too. */
#define PAE_RSVD_2M   0x00000000001FE000ull
/* PDPTE bits that must be zero: 1, 2, 5..8 and 36..63. */
#define PDPTE_RSVD    (PAE_RSVD_HIGH | 0x1E6ull)

/* The running world's TLB, global pages included (under SVM the other
 * ASIDs' banks keep theirs, as a guest's CR4.PGE toggle leaves the host's). */
static void tlb_flush_world(Cpu *cpu)
{
    cpu->chain_epoch++;
    for (int k = 0; k < TLB_KINDS; k++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            cpu->tlb[k][i].tag = TLB_EMPTY;
}

void tlb_flush_all(Cpu *cpu)
{
    tlb_flush_world(cpu);
    if (unlikely(cpu->svm))
        svm_tlb_mark_stale(cpu);   /* the other worlds' banks (cpu/svm_tlb.c) */
}

void tlb_flush_nonglobal(Cpu *cpu)
{
    cpu->chain_epoch++;
    if (unlikely(cpu->tracer))
        trace_mmu(cpu, TRACE_MMU_FLUSH_NONGLOBAL, 0, 0, 0);
    for (int k = 0; k < TLB_KINDS; k++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (!tlb_entry_global(&cpu->tlb[k][i]))
                cpu->tlb[k][i].tag = TLB_EMPTY;
}

void tlb_flush_page(Cpu *cpu, uint32_t lin)
{
    cpu->chain_epoch++;
    if (unlikely(cpu->tracer))
        trace_mmu(cpu, TRACE_MMU_INVLPG, 0, lin, 0);
    /* A large page covers many TLB slots; each slot caches one 4 KiB piece,
     * so dropping the slot for lin is what INVLPG of that address needs:
     * other pieces of a large page stay valid until CR3 reload, exactly the
     * latitude the SDM gives. Global entries go too. */
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    for (int k = 0; k < TLB_KINDS; k++)
        if ((cpu->tlb[k][idx].tag & ~0xFFFu) == (lin & ~0xFFFu))
            cpu->tlb[k][idx].tag = TLB_EMPTY;
}

/* MOV CR0 refuses PG without PE, but an SVM guest may run so ("paged real
 * mode", what KVM's shadow paging uses for a real-mode guest): CR0.PG alone
 * decides. */
static bool paging_on(const Cpu *cpu)
{
    return cpu->cr0 & CR0_PG;
}

static bool pae_on(const Cpu *cpu)
{
    return cpu->cr4 & CR4_PAE;
}

/* Read the four PDPTEs for cr3. Returns false if one that is present has
 * reserved bits set (the CR3 load then raises #GP(0)). */
static bool pdpte_read(Cpu *cpu, uint32_t cr3, uint64_t out[4])
{
    uint32_t base = (cr3 & 0xFFFFFFE0u) & cpu->mem->a20_mask;
    for (int i = 0; i < 4; i++) {
        out[i] = phys_read(cpu->mem, svm_gpa(cpu, base + 8u * i, false, false, true), 8);
        if ((out[i] & PTE_P) && (out[i] & PDPTE_RSVD))
            return false;
    }
    return true;
}

void cpu_load_cr3(Cpu *cpu, uint32_t cr3)
{
    if (paging_on(cpu) && pae_on(cpu)) {
        uint64_t p[4];
        if (!pdpte_read(cpu, cr3, p))
            cpu_fault(cpu, EXC_GP, 0);
        for (int i = 0; i < 4; i++)
            cpu->pdpte[i] = p[i];
    }
    cpu->cr3 = cr3;
    tlb_flush_nonglobal(cpu);
}

void cpu_paging_loaded(Cpu *cpu)
{
    /* Turning on PAE paging loads the PDPTEs from CR3, as a P6 does. The
     * register write is already committed here, so a bad PDPTE is logged
     * and its reserved bits make later walks fault instead. */
    if (paging_on(cpu) && pae_on(cpu) && !pdpte_read(cpu, cpu->cr3, cpu->pdpte))
        cpu_log_guest_error(cpu, "PDPTE with reserved bits loaded by a CR0/CR4 write", cpu->cr3);
}

void cpu_paging_changed(Cpu *cpu)
{
    cpu_paging_loaded(cpu);
    /* Traced here, not in tlb_flush_all: memory-map changes flush too,
     * and they are the host's business, not the guest's. */
    if (unlikely(cpu->tracer))
        trace_mmu(cpu, TRACE_MMU_FLUSH_ALL, 0, 0, 0);
    tlb_flush_world(cpu);
}

/* One walk's outcome. */
typedef struct Walk {
    uint64_t phys;      /* physical address of lin */
    bool writable;      /* R/W of all levels */
    bool user;          /* U/S of all levels */
    bool global;
    uint32_t fault;     /* 0, or #PF error code bits (PF_PRESENT/PF_RSVD) with bit 31 */
    /* Entries whose accessed/dirty bits need setting */
    uint64_t pde_addr, pte_addr;    /* physical, pte_addr = ~0 for a large page */
    uint32_t pde, pte;              /* low dwords as read */
    bool nx;            /* XD set at some level (EFER.NXE) */
} Walk;

#define WALK_FAULT 0x80000000u
#define NO_ADDR (~0ull)

/* A guest's page-table entry: through the nested tables under SVM. */
static uint64_t pt_read(Cpu *cpu, uint64_t addr, bool pae)
{
    uint64_t pa = svm_gpa(cpu, pae ? addr : (addr & cpu->mem->a20_mask), false, false, true);
    return phys_read(cpu->mem, pa, pae ? 8 : 4);
}

static void pt_write(Cpu *cpu, uint64_t addr, uint32_t v)
{
    phys_write(cpu->mem, svm_gpa(cpu, addr, true, false, true), 4, v);
}

static void walk_legacy(Cpu *cpu, uint32_t lin, Walk *w)
{
    uint64_t pde_addr = ((cpu->cr3 & 0xFFFFF000u) | ((lin >> 20) & 0xFFCu));
    uint32_t pde = (uint32_t)pt_read(cpu, pde_addr, false);
    w->pde_addr = pde_addr;
    w->pde = pde;
    if (!(pde & PTE_P)) {
        w->fault = WALK_FAULT;
        return;
    }
    if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
        w->phys = (pde & 0xFFC00000u) | (lin & 0x003FFFFFu);
        w->writable = pde & PTE_RW;
        w->user = pde & PTE_US;
        w->global = (pde & PTE_G) && (cpu->cr4 & CR4_PGE);
        w->pte_addr = NO_ADDR;
        return;
    }
    uint64_t pte_addr = (pde & 0xFFFFF000u) | ((lin >> 10) & 0xFFCu);
    uint32_t pte = (uint32_t)pt_read(cpu, pte_addr, false);
    w->pte_addr = pte_addr;
    w->pte = pte;
    if (!(pte & PTE_P)) {
        w->fault = WALK_FAULT;
        return;
    }
    w->phys = (pte & 0xFFFFF000u) | (lin & 0xFFFu);
    w->writable = (pde & pte & PTE_RW) != 0;
    w->user = (pde & pte & PTE_US) != 0;
    w->global = (pte & PTE_G) && (cpu->cr4 & CR4_PGE);
}

static void walk_pae(Cpu *cpu, uint32_t lin, Walk *w)
{
    uint64_t rsvd_high = cpu_nx_enabled(cpu) ? PAE_RSVD_HIGH & ~PAE_XD : PAE_RSVD_HIGH;
    uint64_t pdpte = cpu->pdpte[lin >> 30];
    if (!(pdpte & PTE_P)) {
        w->fault = WALK_FAULT;
        w->pde_addr = w->pte_addr = NO_ADDR;
        return;
    }
    if (pdpte & PDPTE_RSVD) {
        w->fault = WALK_FAULT | PF_PRESENT | PF_RSVD;
        w->pde_addr = w->pte_addr = NO_ADDR;
        return;
    }
    uint64_t pde_addr = (pdpte & PAE_ADDR_MASK) | (((lin >> 21) & 0x1FFu) << 3);
    uint64_t pde = pt_read(cpu, pde_addr, true);
    w->pde_addr = pde_addr;
    w->pde = (uint32_t)pde;
    if (!(pde & PTE_P)) {
        w->fault = WALK_FAULT;
        return;
    }
    if (pde & PTE_PS) {
        if (pde & (rsvd_high | PAE_RSVD_2M)) {
            w->fault = WALK_FAULT | PF_PRESENT | PF_RSVD;
            return;
        }
        w->phys = (pde & 0x0000000FFFE00000ull) | (lin & 0x001FFFFFu);
        w->nx = (pde & PAE_XD) != 0;
        w->writable = pde & PTE_RW;
        w->user = pde & PTE_US;
        w->global = (pde & PTE_G) && (cpu->cr4 & CR4_PGE);
        w->pte_addr = NO_ADDR;
        return;
    }
    if (pde & rsvd_high) {
        w->fault = WALK_FAULT | PF_PRESENT | PF_RSVD;
        return;
    }
    uint64_t pte_addr = (pde & PAE_ADDR_MASK) | (((lin >> 12) & 0x1FFu) << 3);
    uint64_t pte = pt_read(cpu, pte_addr, true);
    w->pte_addr = pte_addr;
    w->pte = (uint32_t)pte;
    if (!(pte & PTE_P)) {
        w->fault = WALK_FAULT;
        return;
    }
    if (pte & rsvd_high) {
        w->fault = WALK_FAULT | PF_PRESENT | PF_RSVD;
        return;
    }
    w->phys = (pte & PAE_ADDR_MASK) | (lin & 0xFFFu);
    w->nx = ((pde | pte) & PAE_XD) != 0;
    w->writable = (pde & pte & PTE_RW) != 0;
    w->user = (pde & pte & PTE_US) != 0;
    w->global = (pte & PTE_G) && (cpu->cr4 & CR4_PGE);
}

static void page_walk(Cpu *cpu, uint32_t lin, Walk *w)
{
    w->fault = 0;
    w->nx = false;
    w->pte_addr = NO_ADDR;
    if (pae_on(cpu))
        walk_pae(cpu, lin, w);
    else
        walk_legacy(cpu, lin, w);
}

/* Set A (and D for a write) in the entries used, writing only when a bit
 * changes: guests watch these bits, and a needless write to a page-table
 * page that also holds code would invalidate its blocks. */
static void walk_set_accessed(Cpu *cpu, const Walk *w, bool write)
{
    bool pae = pae_on(cpu);
    uint64_t pde_addr = pae ? w->pde_addr : (w->pde_addr & cpu->mem->a20_mask);
    if (w->pte_addr == NO_ADDR) {
        uint32_t want = w->pde | PTE_A | (write ? PTE_D : 0);
        if (want != w->pde)
            pt_write(cpu, pde_addr, want);
        return;
    }
    if (!(w->pde & PTE_A))
        pt_write(cpu, pde_addr, w->pde | PTE_A);
    uint32_t want = w->pte | PTE_A | (write ? PTE_D : 0);
    if (want != w->pte) {
        uint64_t pte_addr = pae ? w->pte_addr : (w->pte_addr & cpu->mem->a20_mask);
        pt_write(cpu, pte_addr, want);
    }
}

/* Is an enabled data breakpoint anywhere in the 4 KiB page at lin? Such
 * pages stay off the fast path so every access is checked. */
static bool page_has_data_breakpoint(const Cpu *cpu, uint32_t lin)
{
    if (cpu->debugger_active && cpu->debugger->page_watched(cpu->debugger->opaque, lin))
        return true;
    uint32_t dr7 = cpu->dr[7];
    for (int i = 0; i < 4; i++) {
        if (!((dr7 >> (2 * i)) & 3))
            continue;
        unsigned rw = (dr7 >> (16 + 4 * i)) & 3;
        if (rw == 0 || rw == 2)   /* instruction or I/O breakpoint */
            continue;
        if ((cpu->dr[i] & ~0xFFFu) == (lin & ~0xFFFu))
            return true;
    }
    return false;
}

static void tlb_fill(Cpu *cpu, uint32_t lin, uint64_t phys, int kind, bool global, bool nx)
{
    TlbEntry *e = &cpu->tlb[kind][(lin >> 12) & (TLB_SIZE - 1)];
    uint64_t page = phys & ~0xFFFull;
    bool write = kind & 1;
    uint8_t *host = phys_page_host(cpu->mem, page, write);
    if (write && host)
        phys_mark_dirty(cpu->mem, host);   /* reverse debugging's checkpoints */
    e->tag = lin & ~0xFFFu;
    if (!host || (cpu->debug_check && page_has_data_breakpoint(cpu, lin)))
        e->tag |= TLB_SLOW;
    e->phys_flags = (uint32_t)page | (global ? TLB_GLOBAL : 0) | (nx ? TLB_NX_FETCH : 0) |
                    (host ? TLB_HOST : 0);
    e->addend = host ? (uintptr_t)host - (lin & ~0xFFFu) : 0;
    if (page >> 32)
        e->tag = TLB_EMPTY;   /* above 4 GiB: nothing to cache */
}

/* #PF, reported to the tracer first. */
static _Noreturn void page_fault(Cpu *cpu, uint32_t lin, uint32_t err)
{
    if (unlikely(cpu->tracer))
        trace_mmu(cpu, TRACE_MMU_PF, ((err & PF_WRITE) ? TRACE_ACC_WRITE : 0) |
                  ((err & PF_USER) ? TRACE_ACC_USER : 0), lin, err);
    /* An intercepted #PF leaves the guest's CR2 alone: lin is EXITINFO2. */
    SVM_HOOK(cpu, svm_intercept_page_fault(cpu, lin, err));
    cpu->cr2 = lin;
    cpu_fault(cpu, EXC_PF, err);
}

uint64_t cpu_translate(Cpu *cpu, uint32_t lin, int access, bool user)
{
    bool write = access == ACC_WRITE;
    int kind = (user ? TLB_USER_READ : TLB_SUP_READ) + (write ? 1 : 0);
    const TlbEntry *e = &cpu->tlb[kind][(lin >> 12) & (TLB_SIZE - 1)];
    /* A fetch from an execute-disabled page misses and walks (and faults). */
    bool nx_miss = e->phys_flags & TLB_NX_FETCH & (uint32_t)access;
    if (e->tag == (lin & ~0xFFFu) && !nx_miss)
        return tlb_entry_phys(e) | (lin & 0xFFFu);
    if (e->tag == ((lin & ~0xFFFu) | TLB_SLOW) && !nx_miss) {
        /* The page may have become fast since (its code was invalidated,
         * a breakpoint removed): refill from the cached translation. */
        uint32_t phys = tlb_entry_phys(e);
        tlb_fill(cpu, lin, phys, kind, tlb_entry_global(e), e->phys_flags & TLB_NX_FETCH);
        return phys | (lin & 0xFFFu);
    }

    if (!paging_on(cpu)) {
        uint64_t phys = svm_gpa(cpu, lin & cpu->mem->a20_mask, write, access == ACC_FETCH, false);
        tlb_fill(cpu, lin, phys, kind, false, false);
        return phys;
    }

    Walk w;
    page_walk(cpu, lin, &w);
    uint32_t err = (write ? PF_WRITE : 0) | (user ? PF_USER : 0) |
                   ((access == ACC_FETCH && cpu_nx_enabled(cpu)) ? PF_FETCH : 0);
    if (w.fault) {
        page_fault(cpu, lin, err | (w.fault & (PF_PRESENT | PF_RSVD)));
    }
    bool allowed = user ? (w.user && (!write || w.writable))
                        : (!write || w.writable || !(cpu->cr0 & CR0_WP));
    if (access == ACC_FETCH && w.nx)
        allowed = false;
    if (!allowed) {
        page_fault(cpu, lin, err | PF_PRESENT);
    }
    walk_set_accessed(cpu, &w, write);
    uint64_t phys = w.phys & (((uint64_t)1 << 36) - 1);
    if (!(phys >> 32))
        phys &= cpu->mem->a20_mask;
    phys = svm_gpa(cpu, phys, write, access == ACC_FETCH, false);
    if (unlikely(cpu->tracer))
        trace_mmu(cpu, TRACE_MMU_WALK, (write ? TRACE_ACC_WRITE : 0) | (user ? TRACE_ACC_USER : 0),
                  lin, phys);
    tlb_fill(cpu, lin, phys, kind, w.global, w.nx);
    return phys;
}

static bool translate_guest_physical(Cpu *cpu, uint32_t lin, uint64_t *phys)
{
    if (!paging_on(cpu)) {
        *phys = lin & cpu->mem->a20_mask;
        return true;
    }
    Walk w;
    page_walk(cpu, lin, &w);
    if (w.fault)
        return false;
    *phys = w.phys;
    if (!(*phys >> 32))
        *phys &= cpu->mem->a20_mask;
    return true;
}

/* The debugger's view: under nested paging the walk and the result go
 * through the nested tables in probe mode, which neither exits to the
 * host nor sets accessed bits. */
bool cpu_translate_debug(Cpu *cpu, uint32_t lin, uint64_t *phys)
{
    if (likely(!cpu->svm_npt))
        return translate_guest_physical(cpu, lin, phys);
    svm_npt_probe(cpu, true);
    bool ok = translate_guest_physical(cpu, lin, phys);
    if (ok)
        *phys = svm_npt_translate(cpu, *phys, false, false, false);
    return svm_npt_probe(cpu, false) && ok;
}
