/* SPDX-License-Identifier: MIT */
/* The CPU models, one row each: CPUID's identification and feature leaves
 * and the instruction-set extensions the decoder allows (cpu_model.h).
 *
 * Feature bits report what kairo implements of each part, never more: a
 * model lacks the APIC, MCA, PAT, PSE-36 and the P4's thermal and debug
 * store features its silicon had. */
#include "cpu/cpu_model.h"

#include <string.h>

#include "cpu/amd.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"

#define CPUID_CLFSH (1u << 19)
#define CPUID_SSE   (1u << 25)
#define CPUID_SSE2  (1u << 26)
#define CPUID_ECX_SSE3    (1u << 0)
#define CPUID_ECX_MONITOR (1u << 3)

#define F_486  (CPUID_FPU | CPUID_VME)
#define F_P5   (F_486 | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_MCE | CPUID_CX8 | \
                CPUID_MMX)
#define F_P2   (CPUID_FPU | CPUID_VME | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR |         \
                CPUID_PAE | CPUID_CX8 | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV |      \
                CPUID_MMX | CPUID_FXSR)
#define F_P3   (F_P2 | CPUID_SSE)
#define F_P4   (F_P3 | CPUID_SSE2 | CPUID_CLFSH)

#define I_P5 (ISA_CPUID | ISA_TSC | ISA_CX8 | ISA_MMX)
#define I_P2 (I_P5 | ISA_CMOV | ISA_P6 | ISA_FXSR)
#define I_P3 (I_P2 | ISA_SSE)
#define I_P4 (I_P3 | ISA_SSE2 | ISA_CLFLUSH)
#define I_P4E (I_P4 | ISA_SSE3)

/* CPUID 2 descriptors, AL = 1 (one call gives all). P6: 01 ITLB 4K, 02
 * ITLB 4M, 03 DTLB 4K, 04 DTLB 4M, 08/0C 16K L1 I/D, 43 512K L2. P4: 50
 * ITLB 64, 5B DTLB 64, 66 8K L1D (Northwood) or 60 16K (Prescott), 70
 * 12K-uop trace cache, 7B 512K / 7C 1M L2, 40 no L3. */
static const CpuModel models[] = {
    { "486", "Intel 486 (family 4 model 8): no RDTSC, CMPXCHG8B, CMOV, MMX", ISA_CPUID,
      0x00000480u, 0, 0, F_486, 1, { 0 }, NULL, NULL },
    { "pentium", "Intel Pentium MMX (family 5 model 4): no CMOV, FXSAVE, SSE", I_P5,
      0x00000543u, 0, 0, F_P5, 1, { 0 }, NULL, NULL },
    { "pentium2", "Intel Pentium II (Deschutes; family 6 model 5 stepping 2), the default",
      I_P2, 0x00000652u, 0, 0, F_P2, 2, { 0x03020101u, 0, 0, 0x0C040843u }, NULL, NULL },
    { "pentium3", "Intel Pentium III (Katmai; family 6 model 7): SSE", I_P3, 0x00000673u, 0, 0,
      F_P3, 2, { 0x03020101u, 0, 0, 0x0C040843u }, NULL, NULL },
    { "pentium4", "Intel Pentium 4 (Northwood; family 15 model 2): SSE2", I_P4, 0x00000F29u,
      0x00000800u, 0, F_P4, 2, { 0x665B5001u, 0, 0, 0x007B7040u },
      "Intel(R) Pentium(R) 4 CPU 2.80GHz", NULL },
    { "prescott", "Intel Pentium 4 (Prescott; family 15 model 3): SSE3, MONITOR/MWAIT", I_P4E,
      0x00000F34u, 0x00000800u, CPUID_ECX_SSE3 | CPUID_ECX_MONITOR, F_P4, 2,
      { 0x605B5001u, 0, 0, 0x007C7040u }, "Intel(R) Pentium(R) 4 CPU 3.00GHz", NULL },
    { "max", "everything kairo implements (a Prescott-class part)", I_P4E, 0x00000F34u,
      0x00000800u, CPUID_ECX_SSE3 | CPUID_ECX_MONITOR, F_P4, 2,
      { 0x605B5001u, 0, 0, 0x007D7040u }, "Kairo IA-32 CPU (max)", NULL },
    /* AMD parts. Family 6 model 2 stepping 3 is QEMU's athlon; the Phenom
     * row is a family 10h part in legacy mode: no long mode (LM stays 0),
     * with NX, SYSCALL and SVM. */
    { "athlon", "AMD Athlon (K7; family 6 model 2): SYSCALL, no SSE2, no SVM", I_P3 | ISA_SYSCALL,
      0x00000623u, 0, 0, F_P3, 1, { 0 }, "AMD Athlon(tm) Processor", &amd_athlon },
    { "phenom", "AMD Phenom-class (family 10h) in legacy mode: SSE3, NX, SYSCALL, SVM", I_P4E |
      ISA_SYSCALL | ISA_NX | ISA_SVM, 0x00100F22u, 0x00000800u, CPUID_ECX_SSE3 |
      CPUID_ECX_MONITOR, F_P4, 1, { 0 }, "AMD Phenom(tm) 9550 Quad-Core Processor", &amd_phenom },
};

const CpuModel *cpu_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(models[i].name, name))
            return &models[i];
    return NULL;
}

const CpuModel *cpu_model_default(void)
{
    return cpu_model_find(CPU_MODEL_DEFAULT);
}

void cpu_model_list(FILE *out)
{
    fputs("Available CPUs:\n", out);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        fprintf(out, "  %-9s %s\n", models[i].name, models[i].desc);
}
