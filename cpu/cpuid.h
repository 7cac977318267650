/* SPDX-License-Identifier: MIT */
/* CPUID and the model-specific registers of the P6 model (cpu/cpuid.c). */
#ifndef KAIRO_CPUID_H
#define KAIRO_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* CPUID leaf 1 EDX feature bits */
#define CPUID_FPU   (1u << 0)
#define CPUID_VME   (1u << 1)
#define CPUID_DE    (1u << 2)
#define CPUID_PSE   (1u << 3)
#define CPUID_TSC   (1u << 4)
#define CPUID_MSR   (1u << 5)
#define CPUID_PAE   (1u << 6)
#define CPUID_MCE   (1u << 7)
#define CPUID_CX8   (1u << 8)
#define CPUID_APIC  (1u << 9)
#define CPUID_SEP   (1u << 11)
#define CPUID_MTRR  (1u << 12)
#define CPUID_PGE   (1u << 13)
#define CPUID_MCA   (1u << 14)
#define CPUID_CMOV  (1u << 15)
#define CPUID_PAT   (1u << 16)
#define CPUID_PSE36 (1u << 17)
#define CPUID_MMX   (1u << 23)
#define CPUID_FXSR  (1u << 24)

/* MSR indices */
#define MSR_TSC            0x010u
#define MSR_PLATFORM_ID    0x017u
#define MSR_APIC_BASE      0x01Bu
#define MSR_BIOS_SIGN_ID   0x08Bu
#define MSR_PERFCTR0       0x0C1u
#define MSR_PERFCTR1       0x0C2u
#define MSR_MTRRCAP        0x0FEu
#define MSR_SYSENTER_CS    0x174u
#define MSR_SYSENTER_ESP   0x175u
#define MSR_SYSENTER_EIP   0x176u
#define MSR_PERFEVTSEL0    0x186u
#define MSR_PERFEVTSEL1    0x187u
#define MSR_MTRR_PHYSBASE0 0x200u
#define MSR_MTRR_FIX64K    0x250u
#define MSR_MTRR_FIX16K_80 0x258u
#define MSR_MTRR_FIX16K_A0 0x259u
#define MSR_MTRR_FIX4K_C0  0x268u
#define MSR_MTRR_DEF_TYPE  0x2FFu

/* The registers CPUID returns for leaf (EAX input): out = EAX, EBX, ECX, EDX. */
void cpu_cpuid(const Cpu *cpu, uint32_t leaf, uint32_t out[4]);

/* The time-stamp counter: instructions retired plus the offset WRMSR set. */
static inline uint64_t cpu_tsc(const Cpu *cpu)
{
    return cpu->icount + cpu->msr.tsc_offset;
}

/* RDMSR / WRMSR of MSR `index`. Return false when the MSR does not exist or
 * (write) the value sets reserved bits: the instruction then raises #GP(0).
 * Unknown MSRs are logged once. */
bool cpu_msr_read(Cpu *cpu, uint32_t index, uint64_t *val);
bool cpu_msr_write(Cpu *cpu, uint32_t index, uint64_t val);

#endif
