/* SPDX-License-Identifier: MIT */
/* The ASID-tagged TLB of SVM (AMD APM vol. 2, "TLB Control" and
 * "Address Space Identifiers").
 *
 * The software TLB (cpu/paging.c) is a set of direct-mapped tables that
 * the fast paths reach through cpu->tlb, cpu->tlb_read and cpu->tlb_write.
 * An ASID tag in every entry would cost the fast path a compare; instead
 * each address space has a bank of its own: the host (ASID 0) uses the
 * tables inside the Cpu, guests share SVM_TLB_BANKS banks assigned to
 * ASIDs on demand (least recently used goes, flushed: the hardware may
 * drop any entry at any time). A world switch points cpu->tlb at the other
 * bank, so neither side's translations are lost and nothing is flushed.
 *
 * What a bank does not see while it is inactive is handled when it comes
 * back: a flush of "everything" (a memory-map change, breakpoints, a
 * snapshot, the guest's own CR0/CR4 writes) marks the inactive banks
 * stale, and a page that became a code page in the meantime loses its
 * fast write entries (writes to code must take the slow path). A guest
 * bank also goes when the paging format it was filled under changes
 * (CR0.PG/PE/WP, CR4.PSE/PAE/PGE, EFER.NXE, nested paging and N_CR3):
 * its entries would not mean the same thing any more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/amd.h"
#include "cpu/mem_access.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"

struct SvmTlbBank {
    uint32_t asid;              /* 0: unassigned */
    bool stale;                 /* flush before use */
    uint32_t code_epoch;        /* PhysMem.code_epoch when it was last in use */
    uint64_t mode;              /* the paging format its entries were filled under */
    uint64_t last_use;
    TlbEntry e[TLB_KINDS][TLB_SIZE];
};

static void bank_clear(TlbEntry (*t)[TLB_SIZE], bool keep_global)
{
    for (int k = 0; k < TLB_KINDS; k++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (!keep_global || !tlb_entry_global(&t[k][i]))
                t[k][i].tag = TLB_EMPTY;
}

/* Fast write entries to pages that became code pages since the bank was
 * last in use (epoch): gone. */
static void bank_drop_code_writes(const Cpu *cpu, TlbEntry (*t)[TLB_SIZE], uint32_t epoch)
{
    if (epoch == cpu->mem->code_epoch)
        return;
    const uint8_t *flags = cpu->mem->page_flags;
    for (int k = TLB_SUP_WRITE; k < TLB_KINDS; k += 2)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &t[k][i];
            bool code = flags[tlb_entry_phys(e) >> PHYS_PAGE_SHIFT] & PHYS_PG_CODE;
            if (e->tag != TLB_EMPTY && (e->phys_flags & TLB_HOST) && code)
                e->tag = TLB_EMPTY;
        }
}

static SvmTlbBank *banks(Cpu *cpu)
{
    SvmState *s = cpu->svm;
    if (!s->banks) {
        s->banks = calloc(SVM_TLB_BANKS, sizeof *s->banks);
        if (!s->banks) {
            fputs("kairo: out of memory for the SVM TLB\n", stderr);
            exit(1);
        }
        for (unsigned i = 0; i < SVM_TLB_BANKS; i++)
            s->banks[i].stale = true;
    }
    return s->banks;
}

/* The bank of asid, assigned (and flushed) if it has none. */
static SvmTlbBank *bank_for(Cpu *cpu, uint32_t asid, bool assign)
{
    SvmTlbBank *b = banks(cpu), *lru = &b[0];
    for (unsigned i = 0; i < SVM_TLB_BANKS; i++) {
        if (b[i].asid == asid)
            return &b[i];
        if (b[i].last_use < lru->last_use)
            lru = &b[i];
    }
    if (!assign)
        return NULL;
    lru->asid = asid;
    lru->stale = true;
    return lru;
}

/* What the guest's translations depend on beyond its ASID. */
static uint64_t guest_mode(const Cpu *cpu)
{
    const SvmState *s = cpu->svm;
    uint64_t m = (cpu->cr0 & (CR0_PG | CR0_PE | CR0_WP)) |
                 (cpu->cr4 & (CR4_PSE | CR4_PAE | CR4_PGE));
    m |= (uint64_t)((cpu->amd_msr.efer & EFER_NXE) != 0) << 32;
    if (cpu->svm_npt)
        m |= (1ull << 33) | ((uint64_t)s->host_pae << 34) | ((uint64_t)s->host_pse << 35) |
             ((uint64_t)s->host_nx << 36) | ((s->n_cr3 & 0xFFFFF000u) << 32);
    return m;
}

static void use_tables(Cpu *cpu, TlbEntry (*t)[TLB_SIZE])
{
    cpu->tlb = t;
    cpu_set_cpl(cpu, cpu->cpl);   /* tlb_read/tlb_write follow; links die */
}

/* TLB_CONTROL at VMRUN (APM: 0 nothing, 1 everything, 3 this ASID, 7 this
 * ASID's non-global entries). */
static void tlb_control(Cpu *cpu, SvmTlbBank *b, uint32_t ctl)
{
    switch (ctl & 0xFF) {
    case TLB_CONTROL_NONE:
        break;
    case TLB_CONTROL_ASID:
        b->stale = true;
        break;
    case TLB_CONTROL_ASID_NONGLOBAL:
        if (!b->stale)
            bank_clear(b->e, true);
        break;
    case TLB_CONTROL_ALL:
    default:
        if ((ctl & 0xFF) != TLB_CONTROL_ALL)
            cpu_log_guest_error(cpu, "VMRUN with a reserved TLB_CONTROL: flushing all", ctl);
        svm_tlb_mark_stale(cpu);
        cpu->svm->host_stale = true;
        b->stale = true;
        break;
    }
}

void svm_tlb_enter_guest(Cpu *cpu, uint32_t asid, uint32_t ctl)
{
    SvmState *s = cpu->svm;
    SvmTlbBank *b = bank_for(cpu, asid, true);
    b->last_use = ++s->tlb_clock;
    tlb_control(cpu, b, ctl);
    uint64_t mode = guest_mode(cpu);
    if (b->mode != mode)
        b->stale = true;
    b->mode = mode;
    if (b->stale)
        bank_clear(b->e, false);
    else
        bank_drop_code_writes(cpu, b->e, b->code_epoch);
    b->stale = false;
    s->host_code_epoch = cpu->mem->code_epoch;   /* the host's bank leaves */
    s->cur_bank = b;
    use_tables(cpu, b->e);
}

void svm_tlb_enter_host(Cpu *cpu)
{
    SvmState *s = cpu->svm;
    if (s->cur_bank && cpu->tlb == s->cur_bank->e)
        s->cur_bank->code_epoch = cpu->mem->code_epoch;   /* the guest's bank leaves */
    if (s->host_stale)
        bank_clear(cpu->tlb_host, false);
    else
        bank_drop_code_writes(cpu, cpu->tlb_host, s->host_code_epoch);
    s->host_stale = false;
    use_tables(cpu, cpu->tlb_host);
}

void svm_tlb_mark_stale(Cpu *cpu)
{
    SvmState *s = cpu->svm;
    if (cpu->tlb != cpu->tlb_host)
        s->host_stale = true;
    if (!s->banks)
        return;
    for (unsigned i = 0; i < SVM_TLB_BANKS; i++)
        if (cpu->tlb != s->banks[i].e)
            s->banks[i].stale = true;
}

/* INVLPGA: the page of lin in the ASID's bank (0: the host's). */
void svm_tlb_invlpga(Cpu *cpu, uint32_t lin, uint32_t asid)
{
    TlbEntry (*t)[TLB_SIZE] = cpu->tlb_host;
    if (asid != 0) {
        SvmTlbBank *b = bank_for(cpu, asid, false);
        if (!b || b->stale)
            return;   /* nothing cached for it */
        t = b->e;
    }
    if (t == cpu->tlb) {
        tlb_flush_page(cpu, lin);
        return;
    }
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    for (int k = 0; k < TLB_KINDS; k++)
        if ((t[k][idx].tag & ~0xFFFu) == (lin & ~0xFFFu))
            t[k][idx].tag = TLB_EMPTY;
}

uint32_t svm_tlb_current_asid(const Cpu *cpu)
{
    const SvmState *s = cpu->svm;
    if (!s || !s->banks || cpu->tlb == cpu->tlb_host)
        return 0;
    for (unsigned i = 0; i < SVM_TLB_BANKS; i++)
        if (cpu->tlb == s->banks[i].e)
            return s->banks[i].asid;
    return 0;
}

void svm_tlb_reset(Cpu *cpu, bool guest)
{
    SvmState *s = cpu->svm;
    if (s->banks)
        for (unsigned i = 0; i < SVM_TLB_BANKS; i++)
            s->banks[i].stale = true;
    bank_clear(cpu->tlb_host, false);
    s->host_stale = guest;   /* a guest's entries will have been in it */
    use_tables(cpu, cpu->tlb_host);
}

void svm_tlb_free(SvmState *s)
{
    free(s->banks);
    s->banks = NULL;
}
