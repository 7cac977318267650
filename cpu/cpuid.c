/* SPDX-License-Identifier: MIT */
/* CPUID and the model-specific registers of the P6 model.
 *
 * CPUID answers from the CPU model (cpu/cpu_model.c, -cpu NAME). The
 * default identifies as a Pentium II "Deschutes" (family 6, model 5,
 * stepping 2): a plain P6 with MMX and SYSENTER, and a model/stepping for
 * which no OS applies a P6 erratum workaround (Linux clears SEP only on
 * family 6 model < 3 stepping < 3, the Pentium Pro). CPUID reports exactly
 * what the emulator implements, which is a subset of what a real Deschutes
 * reports (it also has MCE, MCA, APIC, PAT, PSE36). */
#include "cpu/cpuid.h"

#include "cpu/amd.h"

#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/mem_access.h"

/* The leaves come from the CPU model (cpu/cpu_model.c): leaf 0 (vendor and
 * maximum), 1 (signature and features), 2 (cache descriptors), and from
 * the Pentium 4 on the extended leaves 8000000x with the brand string. */

static void cpuid_brand(const CpuModel *m, uint32_t leaf, uint32_t out[4])
{
    char brand[48] = { 0 };
    strncpy(brand, m->brand, sizeof brand - 1);
    memcpy(out, brand + 16 * (leaf - 0x80000002u), 16);
}

void cpu_cpuid(const Cpu *cpu, uint32_t leaf, uint32_t out[4])
{
    const CpuModel *m = cpu->model;
    if (m->amd) {
        amd_cpuid(cpu, leaf, out);
        return;
    }
    uint32_t ext_max = m->brand ? 0x80000004u : 0;
    memset(out, 0, 4 * sizeof out[0]);
    if (ext_max && leaf >= 0x80000000u) {
        if (leaf == 0x80000000u)
            out[0] = ext_max;
        else if (leaf >= 0x80000002u && leaf <= ext_max)
            cpuid_brand(m, leaf, out);
        /* 8000000x beyond the maximum: zeros, as the P4 gives them */
        return;
    }
    /* Intel parts answer any other leaf above their maximum (extended ones
     * included, where they have none) with their highest basic leaf. */
    if (leaf > m->max_leaf)
        leaf = m->max_leaf;
    switch (leaf) {
    case 0:
        /* Max leaf and "GenuineIntel" in EBX, EDX, ECX order. */
        out[0] = m->max_leaf;
        out[1] = 0x756E6547u;   /* Genu */
        out[2] = 0x6C65746Eu;   /* ntel */
        out[3] = 0x49656E69u;   /* ineI */
        break;
    case 1:
        out[0] = m->signature;
        out[1] = m->leaf1_ebx;
        out[2] = m->leaf1_ecx;
        out[3] = m->leaf1_edx;
        break;
    default:
        memcpy(out, m->leaf2, sizeof m->leaf2);
        break;
    }
}

/* --- MSRs --- */

/* P6 physical addresses are 36 bits wide (PAE). */
#define PHYS_ADDR_MASK 0x0000000FFFFFF000ull

/* Memory types an MTRR may hold: UC, WC, WT, WP, WB. */
static bool mtrr_type_valid(uint64_t type)
{
    return type == 0 || type == 1 || type == 4 || type == 5 || type == 6;
}

/* MTRRcap: 8 variable ranges, fixed ranges and write-combining supported. */
#define MTRRCAP_VALUE 0x508u

typedef struct MsrDef {
    uint32_t first, count;     /* the MSR indices this entry serves */
    /* read: returns the value; write: false for reserved bits (#GP(0)) */
    uint64_t (*read)(Cpu *cpu, uint32_t index);
    bool (*write)(Cpu *cpu, uint32_t index, uint64_t val);
} MsrDef;

static uint64_t tsc_read(Cpu *cpu, uint32_t index)
{
    (void)index;
    return cpu_tsc(cpu);
}

/* On P6 processors WRMSR writes only the low 32 bits of the TSC and clears
 * the high 32 (SDM vol. 3, "Time-Stamp Counter", P6 family). */
static bool tsc_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    (void)index;
    cpu->msr.tsc_offset = (val & 0xFFFFFFFFu) - cpu->icount;
    return true;
}

/* Read-as-zero registers: PLATFORM_ID (platform 0) and BIOS_SIGN_ID (no
 * microcode update loaded). */
static uint64_t zero_read(Cpu *cpu, uint32_t index)
{
    (void)cpu;
    (void)index;
    return 0;
}

static bool no_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    (void)cpu;
    (void)index;
    (void)val;
    return false;
}

/* BIOS_SIGN_ID: software writes 0 before CPUID to fetch the microcode
 * revision; accept and forget. */
static bool ignore_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    (void)cpu;
    (void)index;
    (void)val;
    return true;
}

static uint64_t apic_base_read(Cpu *cpu, uint32_t index)
{
    (void)index;
    return cpu->msr.apic_base;
}

/* BSP (bit 8), global enable (bit 11) and the base (bits 12-35); the
 * local APIC (if the machine has one) moves or turns off with it. */
static bool apic_base_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    (void)index;
    if (val & ~(PHYS_ADDR_MASK | 0x900u))
        return false;
    cpu->msr.apic_base = val;
    if (cpu->apic_base_changed)
        cpu->apic_base_changed(cpu->apic);
    return true;
}

static uint64_t perfctr_read(Cpu *cpu, uint32_t index)
{
    return cpu->msr.perfctr[index - MSR_PERFCTR0];
}

/* P6 counters are 40 bits; WRMSR writes the low 32 and sign-extends bit 31
 * into bits 32-39. */
static bool perfctr_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    uint64_t low = val & 0xFFFFFFFFu;
    if (low & 0x80000000u)
        low |= 0xFF00000000ull;
    cpu->msr.perfctr[index - MSR_PERFCTR0] = low;
    return true;
}

static uint64_t perfevtsel_read(Cpu *cpu, uint32_t index)
{
    return cpu->msr.perfevtsel[index - MSR_PERFEVTSEL0];
}

static bool perfevtsel_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    if (val >> 32)
        return false;
    cpu->msr.perfevtsel[index - MSR_PERFEVTSEL0] = val;
    return true;
}

static uint64_t mtrrcap_read(Cpu *cpu, uint32_t index)
{
    (void)cpu;
    (void)index;
    return MTRRCAP_VALUE;
}

static uint64_t sysenter_read(Cpu *cpu, uint32_t index)
{
    switch (index) {
    case MSR_SYSENTER_CS: return cpu->msr.sysenter_cs;
    case MSR_SYSENTER_ESP: return cpu->msr.sysenter_esp;
    default: return cpu->msr.sysenter_eip;
    }
}

/* 32-bit registers on IA-32: the high half of EDX:EAX is ignored. */
static bool sysenter_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    uint32_t v = (uint32_t)val;
    switch (index) {
    case MSR_SYSENTER_CS: cpu->msr.sysenter_cs = v; break;
    case MSR_SYSENTER_ESP: cpu->msr.sysenter_esp = v; break;
    default: cpu->msr.sysenter_eip = v; break;
    }
    return true;
}

static uint64_t mtrr_var_read(Cpu *cpu, uint32_t index)
{
    return cpu->msr.mtrr_var[index - MSR_MTRR_PHYSBASE0];
}

/* Even index: PHYSBASE (type in bits 0-7, base in 12-35); odd: PHYSMASK
 * (valid in bit 11, mask in 12-35). */
static bool mtrr_var_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    unsigned n = index - MSR_MTRR_PHYSBASE0;
    if (n & 1) {
        if (val & ~(PHYS_ADDR_MASK | 0x800u))
            return false;
    } else if ((val & ~(PHYS_ADDR_MASK | 0xFFu)) || !mtrr_type_valid(val & 0xFF)) {
        return false;
    }
    cpu->msr.mtrr_var[n] = val;
    return true;
}

/* Index into mtrr_fixed[] for a fixed-range MTRR. */
static unsigned mtrr_fixed_slot(uint32_t index)
{
    if (index == MSR_MTRR_FIX64K)
        return 0;
    if (index <= MSR_MTRR_FIX16K_A0)
        return 1 + (index - MSR_MTRR_FIX16K_80);
    return 3 + (index - MSR_MTRR_FIX4K_C0);
}

static uint64_t mtrr_fixed_read(Cpu *cpu, uint32_t index)
{
    return cpu->msr.mtrr_fixed[mtrr_fixed_slot(index)];
}

/* Eight memory-type bytes, each of which must be a valid type. */
static bool mtrr_fixed_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    for (int i = 0; i < 8; i++)
        if (!mtrr_type_valid((val >> (i * 8)) & 0xFF))
            return false;
    cpu->msr.mtrr_fixed[mtrr_fixed_slot(index)] = val;
    return true;
}

static uint64_t mtrr_def_type_read(Cpu *cpu, uint32_t index)
{
    (void)index;
    return cpu->msr.mtrr_def_type;
}

/* Default type in bits 0-7, FE (fixed enable) bit 10, E bit 11. */
static bool mtrr_def_type_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    (void)index;
    if ((val & ~0xCFFull) || !mtrr_type_valid(val & 0xFF))
        return false;
    cpu->msr.mtrr_def_type = val;
    return true;
}

/* Every MSR the model has. PAT (0x277) is a Pentium III addition: absent. */
static const MsrDef msr_table[] = {
    { MSR_TSC, 1, tsc_read, tsc_write },
    { MSR_PLATFORM_ID, 1, zero_read, no_write },
    { MSR_APIC_BASE, 1, apic_base_read, apic_base_write },
    { MSR_BIOS_SIGN_ID, 1, zero_read, ignore_write },
    { MSR_PERFCTR0, 2, perfctr_read, perfctr_write },
    { MSR_MTRRCAP, 1, mtrrcap_read, no_write },
    { MSR_SYSENTER_CS, 3, sysenter_read, sysenter_write },
    { MSR_PERFEVTSEL0, 2, perfevtsel_read, perfevtsel_write },
    { MSR_MTRR_PHYSBASE0, 16, mtrr_var_read, mtrr_var_write },
    { MSR_MTRR_FIX64K, 1, mtrr_fixed_read, mtrr_fixed_write },
    { MSR_MTRR_FIX16K_80, 2, mtrr_fixed_read, mtrr_fixed_write },
    { MSR_MTRR_FIX4K_C0, 8, mtrr_fixed_read, mtrr_fixed_write },
    { MSR_MTRR_DEF_TYPE, 1, mtrr_def_type_read, mtrr_def_type_write },
};

static const MsrDef *msr_find(uint32_t index)
{
    for (size_t i = 0; i < sizeof msr_table / sizeof msr_table[0]; i++)
        if (index - msr_table[i].first < msr_table[i].count)
            return &msr_table[i];
    return NULL;
}

bool cpu_msr_read(Cpu *cpu, uint32_t index, uint64_t *val)
{
    const MsrDef *d = msr_find(index);
    int amd = d ? -1 : amd_msr_read(cpu, index, val);
    if (amd >= 0)
        return amd;
    if (!d) {
        cpu_log_guest_error(cpu, "RDMSR of an unknown MSR", index);
        return false;
    }
    *val = d->read(cpu, index);
    return true;
}

bool cpu_msr_write(Cpu *cpu, uint32_t index, uint64_t val)
{
    const MsrDef *d = msr_find(index);
    int amd = d ? -1 : amd_msr_write(cpu, index, val);
    if (amd >= 0)
        return amd;
    if (!d) {
        cpu_log_guest_error(cpu, "WRMSR of an unknown MSR", index);
        return false;
    }
    return d->write(cpu, index, val);
}
