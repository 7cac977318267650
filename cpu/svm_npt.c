/* SPDX-License-Identifier: MIT */
/* SVM nested paging (AMD APM vol. 2, "Nested Paging"): while a guest runs
 * with NP_ENABLE, every guest-physical address (the guest's own page-table
 * entries, its PDPTEs and the final address of each access) is translated
 * through the host's nested tables at N_CR3, in the paging format the host
 * had at VMRUN (32-bit with PSE, or PAE with NX). The accesses count as
 * user accesses; a missing or forbidding entry is #VMEXIT(NPF) with the
 * #PF-style error code in EXITINFO1 (bit 32: the final translation, bit
 * 33: the guest's table walk) and the guest-physical address in EXITINFO2.
 *
 * The TLB caches the whole linear-to-host-physical translation in the
 * ASID's bank (cpu/svm_tlb.c): as on the hardware, a host that changes a
 * valid nested entry between runs flushes with TLB_CONTROL or INVLPGA (a
 * failed walk caches nothing). */
#include "cpu/amd.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"

#define NPT_P   0x001u
#define NPT_RW  0x002u
#define NPT_US  0x004u
#define NPT_A   0x020u
#define NPT_D   0x040u
#define NPT_PS  0x080u
#define NPT_XD  0x8000000000000000ull
#define NPT_PAE_ADDR 0x0000000FFFFFF000ull

#define NPF_P     0x01ull
#define NPF_W     0x02ull
#define NPF_U     0x04ull
#define NPF_RSVD  0x08ull
#define NPF_ID    0x10ull
#define NPF_FINAL (1ull << 32)
#define NPF_TABLE (1ull << 33)

/* One nested walk's result: the host-physical address, or a fault. */
typedef struct NptWalk {
    uint64_t hpa;
    uint64_t entry_addr[3];   /* entries whose A (and D) bits to set, 0: none */
    unsigned n_entries;
    bool present, writable, user, nx, rsvd;
} NptWalk;

static uint64_t npt_entry(Cpu *cpu, NptWalk *w, uint64_t addr, unsigned size)
{
    w->entry_addr[w->n_entries++] = addr;
    return phys_read(cpu->mem, addr, size);
}

static void npt_walk_legacy(Cpu *cpu, const SvmState *s, uint64_t gpa, NptWalk *w)
{
    if (gpa >> 32)
        return;   /* not present: 32-bit tables map 4 GiB */
    uint32_t pde = (uint32_t)npt_entry(cpu, w, (s->n_cr3 & 0xFFFFF000u) | ((gpa >> 20) & 0xFFCu), 4);
    if (!(pde & NPT_P))
        return;
    if ((pde & NPT_PS) && s->host_pse) {
        w->hpa = (pde & 0xFFC00000u) | (gpa & 0x3FFFFFu);
        w->writable = pde & NPT_RW;
        w->user = pde & NPT_US;
        w->present = true;
        return;
    }
    uint32_t pte = (uint32_t)npt_entry(cpu, w, (pde & 0xFFFFF000u) | ((gpa >> 10) & 0xFFCu), 4);
    if (!(pte & NPT_P))
        return;
    w->hpa = (pte & 0xFFFFF000u) | (gpa & 0xFFFu);
    w->writable = (pde & pte & NPT_RW) != 0;
    w->user = (pde & pte & NPT_US) != 0;
    w->present = true;
}

static void npt_walk_pae(Cpu *cpu, const SvmState *s, uint64_t gpa, NptWalk *w)
{
    if (gpa >> 32)
        return;
    uint64_t rsvd = 0xFFFFFFF000000000ull & ~(s->host_nx ? NPT_XD : 0);
    uint64_t pdpte = phys_read(cpu->mem, (s->n_cr3 & 0xFFFFFFE0u) + ((gpa >> 30) << 3), 8);
    if (!(pdpte & NPT_P))
        return;
    uint64_t pde = npt_entry(cpu, w, (pdpte & NPT_PAE_ADDR) | (((gpa >> 21) & 0x1FFu) << 3), 8);
    if (!(pde & NPT_P))
        return;
    w->rsvd = (pde & rsvd) != 0;
    if (pde & NPT_PS) {
        w->hpa = (pde & 0x0000000FFFE00000ull) | (gpa & 0x1FFFFFu);
        w->writable = pde & NPT_RW;
        w->user = pde & NPT_US;
        w->nx = (pde & NPT_XD) != 0;
        w->present = true;
        return;
    }
    uint64_t pte = npt_entry(cpu, w, (pde & NPT_PAE_ADDR) | (((gpa >> 12) & 0x1FFu) << 3), 8);
    if (!(pte & NPT_P))
        return;
    w->rsvd |= (pte & rsvd) != 0;
    w->hpa = (pte & NPT_PAE_ADDR) | (gpa & 0xFFFu);
    w->writable = (pde & pte & NPT_RW) != 0;
    w->user = (pde & pte & NPT_US) != 0;
    w->nx = ((pde | pte) & NPT_XD) != 0;
    w->present = true;
}

/* A and D in the nested entries used (the low dword holds both). */
static void npt_set_accessed(Cpu *cpu, const NptWalk *w, bool write)
{
    for (unsigned i = 0; i < w->n_entries; i++) {
        uint32_t e = (uint32_t)phys_read(cpu->mem, w->entry_addr[i], 4);
        uint32_t want = e | NPT_A | ((write && i + 1 == w->n_entries) ? NPT_D : 0);
        if (want != e)
            phys_write(cpu->mem, w->entry_addr[i], 4, want);
    }
}

bool svm_npt_probe(Cpu *cpu, bool on)
{
    SvmState *s = cpu->svm;
    bool ok = !s->probe_failed;
    s->probing = on;
    s->probe_failed = false;
    return ok;
}

uint64_t svm_npt_translate(Cpu *cpu, uint64_t gpa, bool write, bool fetch, bool table)
{
    SvmState *s = cpu->svm;
    NptWalk w = { 0 };
    if (s->host_pae)
        npt_walk_pae(cpu, s, gpa, &w);
    else
        npt_walk_legacy(cpu, s, gpa, &w);
    bool ok = w.present && !w.rsvd && w.user && (!write || w.writable) && !(fetch && w.nx);
    if (!ok && s->probing) {
        s->probe_failed = true;
        return 0;
    }
    if (!ok) {
        uint64_t err = (w.present ? NPF_P : 0) | (write ? NPF_W : 0) | NPF_U |
                       (w.rsvd ? NPF_RSVD : 0) | (fetch ? NPF_ID : 0) |
                       (table ? NPF_TABLE : NPF_FINAL);
        svm_exit(cpu, SVM_EXIT_NPF, err, gpa);
    }
    if (!s->probing)
        npt_set_accessed(cpu, &w, write);
    return w.hpa;
}
