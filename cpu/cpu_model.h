/* SPDX-License-Identifier: MIT */
/* CPU models (-cpu NAME): what CPUID reports and which instruction-set
 * extensions the decoder lets through (cpu/cpu_model.c). */
#ifndef KAIRO_CPU_MODEL_H
#define KAIRO_CPU_MODEL_H

#include <stdint.h>
#include <stdio.h>

typedef struct CpuModel {
    const char *name;       /* QEMU's name where QEMU has the model */
    const char *desc;       /* one line for -cpu help */
    uint32_t isa;           /* ISA_* (cpu.h) */
    uint32_t signature;     /* CPUID 1 EAX and EDX after RESET */
    uint32_t leaf1_ebx;     /* CLFLUSH line size (in 8-byte units) from the P4 on */
    uint32_t leaf1_ecx, leaf1_edx;
    uint32_t max_leaf;      /* 1 or 2 */
    uint32_t leaf2[4];      /* cache and TLB descriptors (max_leaf 2) */
    const char *brand;      /* extended leaves 8000000x with this brand; NULL: none */
    const struct CpuAmd *amd;   /* AuthenticAMD and its leaves (cpu/amd.h); NULL: Intel */
} CpuModel;

#define CPU_MODEL_DEFAULT "pentium2"

/* The model named, or NULL. */
const CpuModel *cpu_model_find(const char *name);
const CpuModel *cpu_model_default(void);
/* -cpu help */
void cpu_model_list(FILE *out);

#endif
