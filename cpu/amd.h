/* SPDX-License-Identifier: MIT */
/* What the AMD models add to the P6 core (cpu/amd.c): AuthenticAMD CPUID
 * with the extended leaves, EFER and the SYSCALL/SVM MSRs, SYSCALL and
 * SYSRET in legacy mode. Long mode is not there: EFER.LME is reserved. */
#ifndef KAIRO_AMD_H
#define KAIRO_AMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* EFER bits (MSR C000_0080) */
#define EFER_SCE  0x0001u   /* SYSCALL/SYSRET enabled */
#define EFER_LME  0x0100u
#define EFER_LMA  0x0400u
#define EFER_NXE  0x0800u   /* bit 63 of PAE entries is execute-disable */
#define EFER_SVME 0x1000u   /* SVM instructions enabled */

/* VM_CR bits (MSR C001_0114) */
#define VM_CR_DPD     0x01u
#define VM_CR_R_INIT  0x02u
#define VM_CR_DIS_A20 0x04u
#define VM_CR_LOCK    0x08u
#define VM_CR_SVMDIS  0x10u

#define MSR_EFER        0xC0000080u
#define MSR_STAR        0xC0000081u
#define MSR_PERF_CTL0   0xC0010000u
#define MSR_PERF_CTR0   0xC0010004u
#define MSR_SYSCFG      0xC0010010u
#define MSR_HWCR        0xC0010015u
#define MSR_NB_CFG      0xC001001Fu
#define MSR_INT_PENDING_MSG 0xC0010055u
#define MSR_PAT         0x00000277u
#define MSR_DEBUGCTL    0x000001D9u
#define MSR_VM_CR       0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u

/* CPUID 8000_0001 bits */
#define CPUID_EXT_SYSCALL (1u << 11)   /* EDX */
#define CPUID_EXT_NX      (1u << 20)   /* EDX */
#define CPUID_EXT_SVM     (1u << 2)    /* ECX */

/* An AMD model's extended leaves. */
typedef struct CpuAmd {
    uint32_t ext_max;       /* CPUID 8000_0000 EAX */
    uint32_t svm_asids;     /* 8000_000A EBX: number of ASIDs */
    bool k10_msrs;          /* family 10h: SYSCFG, HWCR, NB_CFG, INT_PENDING_MSG, PAT */
} CpuAmd;

extern const CpuAmd amd_athlon, amd_phenom;

/* CPUID of an AMD model (leaf 0 says AuthenticAMD; leaves above the
 * maximum read as zeros). */
void amd_cpuid(const Cpu *cpu, uint32_t leaf, uint32_t out[4]);

/* The AMD MSRs' values at RESET (after the CPU's MSRs were cleared). */
void amd_reset_msrs(Cpu *cpu);

/* RDMSR / WRMSR of the AMD MSRs: 1 done, 0 #GP(0), -1 not an AMD MSR. */
int amd_msr_read(Cpu *cpu, uint32_t index, uint64_t *val);
int amd_msr_write(Cpu *cpu, uint32_t index, uint64_t val);

/* Is instruction fetch from execute-disabled pages refused (EFER.NXE)? */
static inline bool cpu_nx_enabled(const Cpu *cpu)
{
    return cpu->amd_msr.efer & EFER_NXE;
}

/* The AMD state in a snapshot (cpu/cpu_state.c's extra part, for AMD
 * models only, so no older snapshot has it): EFER, STAR, VM_CR,
 * VM_HSAVE_PA, GIF and, inside a guest, the running VMCB's controls. */
struct StateWriter;
struct StateReader;
void amd_save_state(const Cpu *cpu, struct StateWriter *w);
bool amd_load_state(Cpu *cpu, struct StateReader *r, char *err, size_t errlen);

#endif
