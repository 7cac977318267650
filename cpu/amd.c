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

const CpuAmd amd_athlon = { 0x80000006u, 0 };
const CpuAmd amd_phenom = { 0x8000000Au, 16 };

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

int amd_msr_read(Cpu *cpu, uint32_t index, uint64_t *val)
{
    if (!cpu->model->amd)
        return -1;
    switch (index) {
    case MSR_EFER: *val = cpu->amd_msr.efer; return 1;
    case MSR_STAR: *val = cpu->amd_msr.star; return 1;
    default: break;
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
    state_put_u8(w, cpu->gif);
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

bool amd_load_state(Cpu *cpu, StateReader *r, char *err, size_t errlen)
{
    uint64_t efer = state_get_u64(r);
    cpu->amd_msr.star = state_get_u64(r);
    uint64_t vm_cr = state_get_u64(r), hsave = state_get_u64(r);
    bool gif = state_get_u8(r) != 0, guest = state_get_u8(r) != 0;
    if ((efer & ~efer_writable(cpu)) || (vm_cr >> 5) || (hsave & 0xFFFFFFF000000FFFull) ||
        (guest && !(cpu->isa & ISA_SVM))) {
        snprintf(err, errlen, "device 'cpu': AMD state not valid for -cpu %s (EFER %#llx)",
                 cpu->model->name, (unsigned long long)efer);
        return false;
    }
    cpu->amd_msr.efer = efer;
    cpu->amd_msr.vm_cr = vm_cr;
    cpu->amd_msr.vm_hsave_pa = hsave;
    cpu->gif = gif;
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
