/* SPDX-License-Identifier: MIT */
/* The AMD models' additions (AMD APM vol. 2 ch. 3 and 6, vol. 3):
 * AuthenticAMD CPUID and its extended leaves, EFER, STAR, VM_CR and
 * VM_HSAVE_PA, and SYSCALL/SYSRET as legacy (non-long) mode defines them.
 *
 * Only what kairo implements is reported: no 3DNow!, no MMX extensions, no
 * long mode. SVM itself is cpu/svm.c. */
#include "cpu/amd.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"
#include "iodev/devstate.h"
#include "cpu/pickers.h"

const CpuAmd amd_athlon = { 0x80000006u, 0, false };
const CpuAmd amd_phenom = { 0x8000000Au, 16, true };

/* Leaf 1 EDX bits that AMD repeats in 8000_0001 EDX: 0-9, 12-17, 23, 24. */
#define EXT_EDX_MIRRORED 0x0183F3FFu

static void amd_ext_features(const Cpu *cpu, uint32_t out[4])
{
    const CpuModel *m = cpu->model;
    out[0] = m->signature;
    out[2] = (cpu->isa & ISA_SVM) ? CPUID_EXT_SVM : 0;
    out[3] = (m->leaf1_edx & EXT_EDX_MIRRORED) |
             ((cpu->isa & ISA_SYSCALL) ? CPUID_EXT_SYSCALL : 0) |
             ((cpu->isa & ISA_NX) ? CPUID_EXT_NX : 0);
}

static void amd_brand(const CpuModel *m, uint32_t leaf, uint32_t out[4])
{
    char brand[48] = { 0 };
    strncpy(brand, m->brand, sizeof brand - 1);
    memcpy(out, brand + 16 * (leaf - 0x80000002u), 16);
}

static void amd_extended(const Cpu *cpu, uint32_t leaf, uint32_t out[4])
{
    const CpuAmd *a = cpu->model->amd;
    if (leaf > a->ext_max)
        return;
    switch (leaf) {
    case 0x80000000u:
        out[0] = a->ext_max;
        /* the vendor again, as AMD parts repeat it here */
        out[1] = 0x68747541u;
        out[2] = 0x444D4163u;
        out[3] = 0x69746E65u;
        break;
    case 0x80000001u: amd_ext_features(cpu, out); break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u:
        amd_brand(cpu->model, leaf, out);
        break;
    case 0x80000008u:
        out[0] = 0x2024u;   /* 32 linear and 36 physical address bits */
        break;
    case 0x8000000Au:
        if (cpu->isa & ISA_SVM) {
            out[0] = 1;     /* SVM revision */
            out[1] = a->svm_asids;
            out[3] = SVM_CPUID_FEATURES;
        }
        break;
    default:
        break;   /* 8000_0005/6 (caches) and 7: nothing to tell */
    }
}

void amd_cpuid(const Cpu *cpu, uint32_t leaf, uint32_t out[4])
{
    const CpuModel *m = cpu->model;
    memset(out, 0, 4 * sizeof out[0]);
    if (leaf >= 0x80000000u) {
        amd_extended(cpu, leaf, out);
        return;
    }
    if (leaf == 0) {
        /* "AuthenticAMD" in EBX, EDX, ECX order */
        out[0] = m->max_leaf;
        out[1] = 0x68747541u;   /* Auth */
        out[2] = 0x444D4163u;   /* cAMD */
        out[3] = 0x69746E65u;   /* enti */
    } else if (leaf == 1) {
        out[0] = m->signature;
        out[1] = m->leaf1_ebx;
        out[2] = m->leaf1_ecx;
        out[3] = m->leaf1_edx;
    }
    /* AMD answers basic leaves above its maximum with zeros */
}

/* --- MSRs --- */

/* EFER bits this model may set; LME and LMA are reserved without long mode. */
static uint64_t efer_writable(const Cpu *cpu)
{
    return ((cpu->isa & ISA_SYSCALL) ? EFER_SCE : 0) | ((cpu->isa & ISA_NX) ? EFER_NXE : 0) |
           ((cpu->isa & ISA_SVM) ? EFER_SVME : 0);
}

static bool efer_write(Cpu *cpu, uint64_t val)
{
    if (val & ~efer_writable(cpu))
        return false;
    if ((val & EFER_SVME) && (cpu->amd_msr.vm_cr & VM_CR_SVMDIS))
        return false;
    uint64_t changed = cpu->amd_msr.efer ^ val;
    cpu->amd_msr.efer = val;
    if (changed & EFER_NXE)
        tlb_flush_all(cpu);   /* cached translations carry the old NX meaning */
    return true;
}

/* VM_CR: SVMDIS and the bits beside it are writable until LOCK is set;
 * then SVMDIS stays as it is (the SVM-lock key is not modelled). */
static bool vm_cr_write(Cpu *cpu, uint64_t val)
{
    uint64_t writable = VM_CR_DPD | VM_CR_R_INIT | VM_CR_DIS_A20 | VM_CR_LOCK | VM_CR_SVMDIS;
    if (val & ~writable)
        return false;
    if (cpu->amd_msr.vm_cr & VM_CR_LOCK)
        val = (val & ~(VM_CR_SVMDIS | VM_CR_LOCK)) | (cpu->amd_msr.vm_cr & (VM_CR_SVMDIS | VM_CR_LOCK));
    cpu->amd_msr.vm_cr = val;
    return true;
}

/* Registers that hold what is written and that nothing here acts on:
 * the performance counters (K7 and later; nothing counts, which Linux's
 * perf takes as a PMU without events) and, on family 10h, SYSCFG (the
 * MTRR DRAM enables and TOM2 bits, 18-22, which the BIOS would set), HWCR
 * (bits 0-24), NB_CFG (the northbridge configuration Linux's PCI code
 * writes: bit 46, extended config space through CF8), INT_PENDING_MSG
 * (C1E on halt, 27-28: off) and PAT, which KVM requires to map PAT[0] to
 * write-back. CPUID does not report PAT (memory types are not modelled),
 * so Linux leaves it at its RESET value. DEBUGCTL (KVM saves the host's
 * around each run) takes only 0: last-branch recording and branch single
 * steps are not implemented. A write to another bit is #GP. */
typedef struct AmdPlainMsr {
    uint32_t first;
    uint8_t count, slot;      /* slot: index into CpuAmdMsrs.plain */
    bool k10;                 /* family 10h only */
    uint64_t writable, reset;
} AmdPlainMsr;

#define PAT_RESET 0x0007040600070406ull

static const AmdPlainMsr amd_plain_msrs[] = {
    { MSR_PERF_CTL0, 4, 0, false, 0xFFFFFFFFull, 0 },
    { MSR_PERF_CTR0, 4, 4, false, 0x0000FFFFFFFFFFFFull, 0 },   /* 48-bit counters */
    { MSR_SYSCFG, 1, 8, true, 0x007C0000ull, 0 },
    { MSR_HWCR, 1, 9, true, 0x01FFFFFFull, 0 },
    { MSR_NB_CFG, 1, 10, true, 1ull << 46, 0 },
    { MSR_INT_PENDING_MSG, 1, 11, true, 0x18000000ull, 0 },
    { MSR_PAT, 1, 12, true, 0x0707070707070707ull, PAT_RESET },
    { MSR_DEBUGCTL, 1, 13, false, 0, 0 },
};
#define AMD_PLAIN_COUNT (sizeof amd_plain_msrs / sizeof amd_plain_msrs[0])
_Static_assert(sizeof ((CpuAmdMsrs *)0)->plain / sizeof(uint64_t) == 14,
               "CpuAmdMsrs.plain has one slot for each register of amd_plain_msrs");

static const AmdPlainMsr *amd_plain_msr(Cpu *cpu, uint32_t index, uint64_t **reg)
{
    for (size_t i = 0; i < AMD_PLAIN_COUNT; i++) {
        const AmdPlainMsr *d = &amd_plain_msrs[i];
        if (index - d->first < d->count && (!d->k10 || cpu->model->amd->k10_msrs)) {
            *reg = &cpu->amd_msr.plain[d->slot + (index - d->first)];
            return d;
        }
    }
    return NULL;
}

/* PAT's eight types: 2 and 3 are reserved. */
static bool pat_valid(uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (v >> (8 * i)) & 7;
        if (t == 2 || t == 3)
            return false;
    }
    return true;
}

static bool plain_write(Cpu *cpu, const AmdPlainMsr *d, uint64_t *reg, uint64_t val)
{
    if (d->first == MSR_DEBUGCTL && val)
        cpu_log_once(cpu, "DEBUGCTL: LBR, BTF and the PB bits are not implemented (#GP)", 0);
    if ((val & ~d->writable) || (d->first == MSR_PAT && !pat_valid(val)))
        return false;
    *reg = val;
    return true;
}

void amd_reset_msrs(Cpu *cpu)
{
    for (size_t i = 0; i < AMD_PLAIN_COUNT; i++)
        for (unsigned k = 0; k < amd_plain_msrs[i].count; k++)
            cpu->amd_msr.plain[amd_plain_msrs[i].slot + k] = amd_plain_msrs[i].reset;
}

int amd_msr_read(Cpu *cpu, uint32_t index, uint64_t *val)
{
    if (!cpu->model->amd)
        return -1;
    switch (index) {
    case MSR_EFER: *val = cpu->amd_msr.efer; return 1;
    case MSR_STAR: *val = cpu->amd_msr.star; return 1;
    default: break;
    }
    uint64_t *reg;
    if (amd_plain_msr(cpu, index, &reg)) {
        *val = *reg;
        return 1;
    }
    if (!(cpu->isa & ISA_SVM))
        return -1;
    switch (index) {
    case MSR_VM_CR: *val = cpu->amd_msr.vm_cr; return 1;
    case MSR_VM_HSAVE_PA: *val = cpu->amd_msr.vm_hsave_pa; return 1;
    default: return -1;
    }
}

int amd_msr_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    if (!cpu->model->amd)
        return -1;
    switch (index) {
    case MSR_EFER: return efer_write(cpu, val);
    case MSR_STAR: cpu->amd_msr.star = val; return 1;
    default: break;
    }
    uint64_t *reg;
    const AmdPlainMsr *d = amd_plain_msr(cpu, index, &reg);
    if (d)
        return plain_write(cpu, d, reg, val);
    if (!(cpu->isa & ISA_SVM))
        return -1;
    switch (index) {
    case MSR_VM_CR: return vm_cr_write(cpu, val);
    case MSR_VM_HSAVE_PA:
        /* a page-aligned address within the 36-bit physical space */
        if (val & 0xFFFFFFF000000FFFull)
            return 0;
        cpu->amd_msr.vm_hsave_pa = val;
        return 1;
    default: return -1;
    }
}

/* --- snapshots --- */

void amd_save_state(const Cpu *cpu, StateWriter *w)
{
    state_put_u64(w, cpu->amd_msr.efer);
    state_put_u64(w, cpu->amd_msr.star);
    state_put_u64(w, cpu->amd_msr.vm_cr);
    state_put_u64(w, cpu->amd_msr.vm_hsave_pa);
    for (size_t i = 0; i < sizeof cpu->amd_msr.plain / sizeof cpu->amd_msr.plain[0]; i++)
        state_put_u64(w, cpu->amd_msr.plain[i]);
    state_put_u8(w, (uint8_t)(cpu->gif | (cpu->init_held << 1)));   /* bit 1: a held INIT */
    state_put_u8(w, cpu->svm_guest);
    if (!cpu->svm_guest)
        return;
    const SvmState *s = cpu->svm;
    state_put_u64(w, s->vmcb);
    state_put_u32(w, s->icpt_cr);
    state_put_u32(w, s->icpt_dr);
    state_put_u32(w, s->icpt_exc);
    state_put_u32(w, s->icpt_misc1);
    state_put_u32(w, s->icpt_misc2);
    state_put_u64(w, s->iopm);
    state_put_u64(w, s->msrpm);
    state_put_u64(w, s->tsc_offset);
    state_put_u64(w, s->vintr);
    state_put_u8(w, s->host_if);
    state_put_u8(w, cpu->svm_npt);
    state_put_u64(w, s->n_cr3);
    state_put_u8(w, (uint8_t)(s->host_pae | s->host_pse << 1 | s->host_nx << 2));
}

/* Each value must be one a WRMSR could have written. */
static bool plain_msrs_load(Cpu *cpu, StateReader *r)
{
    bool ok = true;
    for (size_t i = 0; i < AMD_PLAIN_COUNT; i++) {
        const AmdPlainMsr *d = &amd_plain_msrs[i];
        for (unsigned k = 0; k < d->count; k++) {
            uint64_t v = state_get_u64(r);
            uint64_t *reg = &cpu->amd_msr.plain[d->slot + k];
            if (!plain_write(cpu, d, reg, v) && v != d->reset)
                ok = false;
        }
    }
    return ok;
}

bool amd_load_state(Cpu *cpu, StateReader *r, char *err, size_t errlen)
{
    uint64_t efer = state_get_u64(r);
    cpu->amd_msr.star = state_get_u64(r);
    uint64_t vm_cr = state_get_u64(r), hsave = state_get_u64(r);
    if (!plain_msrs_load(cpu, r)) {
        snprintf(err, errlen, "device 'cpu': AMD MSR value not valid for -cpu %s",
                 cpu->model->name);
        return false;
    }
    uint8_t gif_byte = state_get_u8(r);
    bool gif = gif_byte & 1, guest = state_get_u8(r) != 0;
    if ((gif_byte >> 2) || (efer & ~efer_writable(cpu)) || (vm_cr >> 5) || (hsave & 0xFFFFFFF000000FFFull) ||
        (guest && !(cpu->isa & ISA_SVM))) {
        snprintf(err, errlen, "device 'cpu': AMD state not valid for -cpu %s (EFER %#llx)",
                 cpu->model->name, (unsigned long long)efer);
        return false;
    }
    cpu->amd_msr.efer = efer;
    cpu->amd_msr.vm_cr = vm_cr;
    cpu->amd_msr.vm_hsave_pa = hsave;
    cpu->gif = gif;
    cpu->init_held = (gif_byte >> 1) & 1;
    cpu->svm_guest = guest;
    cpu->svm_npt = false;
    cpu->svm_vintr = false;
    if (!guest) {
        if (cpu->svm)
            svm_tlb_reset(cpu, false);
        return state_ok(r);
    }
    SvmState *s = svm_state(cpu);
    s->vmcb = state_get_u64(r);
    s->icpt_cr = state_get_u32(r);
    s->icpt_dr = state_get_u32(r);
    s->icpt_exc = state_get_u32(r);
    s->icpt_misc1 = state_get_u32(r);
    s->icpt_misc2 = state_get_u32(r);
    s->iopm = state_get_u64(r);
    s->msrpm = state_get_u64(r);
    s->tsc_offset = state_get_u64(r);
    s->vintr = state_get_u64(r);
    s->host_if = state_get_u8(r) != 0;
    cpu->svm_npt = state_get_u8(r) != 0;
    s->n_cr3 = state_get_u64(r);
    uint8_t host = state_get_u8(r);
    s->host_pae = host & 1;
    s->host_pse = (host >> 1) & 1;
    s->host_nx = (host >> 2) & 1;
    cpu->svm_vintr = (s->vintr & VINTR_IRQ) != 0;
    svm_tlb_reset(cpu, true);
    return state_ok(r);
}

/* --- SYSCALL / SYSRET (legacy mode) --- */

#define FLAT_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xBu)   /* execute/read, accessed */
#define FLAT_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3u)   /* read/write, accessed */
#define DPL3 (3u << DESC_DPL_SHIFT)

static uint16_t star_syscall_cs(const Cpu *cpu) { return (uint16_t)(cpu->amd_msr.star >> 32); }
static uint16_t star_sysret_cs(const Cpu *cpu) { return (uint16_t)(cpu->amd_msr.star >> 48); }

/* SYSCALL (0F 05): ECX = return EIP, to CPL 0 at STAR's CS and EIP with
 * flat segments that no descriptor is read for; IF, RF and VM cleared. */
static const Insn *op_syscall(Cpu *cpu, const Insn *in)
{
    if (!(cpu->amd_msr.efer & EFER_SCE))
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    uint16_t cs = star_syscall_cs(cpu) & 0xFFFC;
    cpu->gpr[R_ECX] = cpu->eip + in->len;
    flags_write(cpu, 0, FLAG_VM | FLAG_IF | FLAG_RF);
    seg_load_cs_checked(cpu, cs, 0, 0xFFFFFFFFu, FLAT_CODE, 0);
    cpu_set_cpl(cpu, 0);
    seg_set_cache(&cpu->seg[SEG_SS], (uint16_t)(cs + 8), 0, 0xFFFFFFFFu, FLAT_DATA);
    cpu->stack32 = true;
    cpu->eip = (uint32_t)cpu->amd_msr.star;
    return NULL;
}

/* SYSRET (0F 07): back to CPL 3 at STAR's SYSRET CS, EIP = ECX, IF set. */
static const Insn *op_sysret(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (!(cpu->amd_msr.efer & EFER_SCE))
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (!cpu_pe(cpu) || cpu_v86(cpu) || cpu->cpl != 0)
        cpu_fault(cpu, EXC_GP, 0);
    uint16_t cs = star_sysret_cs(cpu) | 3;
    seg_load_cs_checked(cpu, cs, 0, 0xFFFFFFFFu, FLAT_CODE | DPL3, 3);
    cpu_set_cpl(cpu, 3);
    seg_set_cache(&cpu->seg[SEG_SS], (uint16_t)((cs + 8) | 3), 0, 0xFFFFFFFFu,
                  FLAT_DATA | DPL3);
    cpu->stack32 = true;
    flags_write(cpu, FLAG_IF, FLAG_IF);
    cpu->eip = cpu->gpr[R_ECX];
    return NULL;
}

InsnFn pick_syscall(const DecodeCtx *d) { (void)d; return op_syscall; }
InsnFn pick_sysret(const DecodeCtx *d) { (void)d; return op_sysret; }
