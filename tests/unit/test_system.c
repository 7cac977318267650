/* SPDX-License-Identifier: MIT */
/* System instructions (cpu/ops_system.c, cpu/cpuid.c): CPUID, control and
 * debug registers, MSRs, TSC, descriptor-table registers, LAR/LSL/VERR/
 * VERW/ARPL/BOUND, LLDT/LTR, HLT, IN/OUT, INT/IRET, SYSENTER/SYSEXIT,
 * INVLPG, UD2.
 *
 * Registers are set from C and each snippet ends in HLT, so the tests need
 * no other instruction family. An unexpected fault shows up as the vector
 * whose harness stub halted the CPU. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;
static unsigned next_slot;   /* each snippet gets fresh code bytes */

static void setup_pm(void)
{
    cpu = h_cpu_new(4, true);
    next_slot = 0;
}

static void setup_rm(void)
{
    cpu = h_cpu_new(4, false);
    next_slot = 0;
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

/* Load code at addr and run it; returns the vector of the exception that
 * stopped it, or -1 when it reached its own final HLT (at CPL 3 that HLT
 * raises #GP: that counts as reaching it too). */
static int run_at(uint32_t addr, const uint8_t *code, size_t len)
{
    h_load(cpu, addr, code, len);
    h_run(cpu, addr - cpu->seg[SEG_CS].base, 1000);
    cr_assert(cpu->halted, "code did not halt");
    int exc = h_last_exception(cpu);
    if (exc == EXC_GP && cpu_pe(cpu) && code[len - 1] == 0xF4 &&
        h_read32(cpu, cpu->gpr[R_ESP] + 4) == addr + len - 1)
        return -1;
    return exc;
}

/* Protected mode: snippets at H_CODE, 256 bytes apart. Real mode: at
 * 0x5000 (CS = 0), 64 bytes apart. */
static int run(const uint8_t *code, size_t len)
{
    uint32_t addr = cpu_pe(cpu) ? H_CODE + next_slot * 0x100 : 0x5000 + next_slot * 0x40;
    next_slot++;
    return run_at(addr, code, len);
}
#define RUN(...) ({ static const uint8_t c_[] = { __VA_ARGS__ }; run(c_, sizeof c_); })

#define HLT 0xF4

/* Start address of the last snippet run (protected mode). */
static uint32_t last_snippet(void)
{
    return H_CODE + (next_slot - 1) * 0x100;
}

static void set_flag(uint32_t flag, bool on)
{
    flags_materialize(cpu);
    cpu->eflags = on ? cpu->eflags | flag : cpu->eflags & ~flag;
}

static bool zf(void)
{
    return h_eflags(cpu) & FLAG_ZF;
}

#define USER_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xB | (3 << DESC_DPL_SHIFT))
#define USER_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3 | (3 << DESC_DPL_SHIFT))

/* Switch the protected-mode CPU to CPL 3 with flat user segments. */
static void enter_user(void)
{
    seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu, USER_CODE, 3);
    cpu_set_cpl(cpu, 3);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    cpu->gpr[R_ESP] = 0x80000;
}

/* Extra GDT entries for selector tests (GDT limit raised to cover them). */
#define SEL_LDT 0x40        /* LDT at 0x6000, limit 0x17 */
#define SEL_TSS_AVAIL 0x48  /* available 32-bit TSS at H_TSS_BASE */
#define SEL_INTGATE 0x50    /* a 32-bit interrupt gate: not for LAR/LSL */
#define SEL_LDT_NP 0x58     /* not-present LDT */
static void add_system_descriptors(void)
{
    h_set_gdt(cpu, 8, 0x6000, 0x17, DESC_P | 0x2);
    h_set_gdt(cpu, 9, H_TSS_BASE, 0x67, DESC_P | 0x9);
    h_set_gdt(cpu, 10, 0, 0, DESC_P | 0xE);
    h_set_gdt(cpu, 11, 0x6000, 0x17, 0x2);
    cpu->gdtr.limit = 12 * 8 - 1;
}

/* ---------------- CPUID ---------------- */

TestSuite(system, .init = setup_pm, .fini = teardown);
TestSuite(system_real, .init = setup_rm, .fini = teardown);

Test(system, cpuid_leaf0_vendor_and_max_leaf)
{
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0xA2, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 2);
    char vendor[13] = { 0 };
    memcpy(vendor, &cpu->gpr[R_EBX], 4);
    memcpy(vendor + 4, &cpu->gpr[R_EDX], 4);
    memcpy(vendor + 8, &cpu->gpr[R_ECX], 4);
    cr_assert_str_eq(vendor, "GenuineIntel");
}

Test(system, cpuid_leaf1_signature_and_features)
{
    cpu->gpr[R_EAX] = 1;
    cr_assert_eq(RUN(0x0F, 0xA2, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x652u);   /* family 6, model 5, stepping 2 */
    cr_assert_eq(cpu->gpr[R_EBX], 0);
    cr_assert_eq(cpu->gpr[R_ECX], 0);
    uint32_t want = CPUID_FPU | CPUID_VME | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE |
                    CPUID_CX8 | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV | CPUID_MMX | CPUID_FXSR;
    cr_assert_eq(cpu->gpr[R_EDX], want, "features %08X", cpu->gpr[R_EDX]);
    cr_assert_eq(cpu->gpr[R_EDX] & (CPUID_APIC | CPUID_MCE | CPUID_MCA | CPUID_PAT |
                                    CPUID_PSE36 | (1u << 25)), 0);   /* no SSE */
}

Test(system, cpuid_leaf2_and_out_of_range_leaves)
{
    cpu->gpr[R_EAX] = 2;
    cr_assert_eq(RUN(0x0F, 0xA2, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x03020101u);
    cr_assert_eq(cpu->gpr[R_EBX], 0);
    cr_assert_eq(cpu->gpr[R_ECX], 0);
    cr_assert_eq(cpu->gpr[R_EDX], 0x0C040843u);
    /* Above the maximum (basic or extended): the highest basic leaf. */
    cpu->gpr[R_EAX] = 0x80000000u;
    cr_assert_eq(RUN(0x0F, 0xA2, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x03020101u);
    cr_assert_eq(cpu->gpr[R_EDX], 0x0C040843u);
}

/* ---------------- control registers ---------------- */

Test(system, mov_cr0_round_trip_and_et_reads_one)
{
    cpu->gpr[R_EAX] = (cpu->cr0 & ~(CR0_ET | CR0_CD | CR0_NW)) | CR0_MP | CR0_NE | 0x100;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0, HLT), -1);          /* mov cr0, eax */
    cr_assert_eq(RUN(0x0F, 0x20, 0xC3, HLT), -1);          /* mov ebx, cr0 */
    cr_assert_eq(cpu->gpr[R_EBX], CR0_PE | CR0_MP | CR0_NE | CR0_ET);   /* bit 8 reserved */
}

Test(system, mov_cr0_pg_without_pe_faults)
{
    uint32_t before = cpu->cr0;
    cpu->gpr[R_EAX] = CR0_PG | CR0_ET;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(cpu->cr0, before);
}

Test(system, mov_cr0_nw_without_cd_faults)
{
    cpu->gpr[R_EAX] = CR0_PE | CR0_NW;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
}

Test(system, mov_cr_at_cpl3_faults)
{
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x20, 0xC3, HLT), EXC_GP);      /* mov ebx, cr0 */
    cr_assert_eq(h_last_errcode(cpu), 0);
}

Test(system, mov_cr1_and_cr5_are_undefined)
{
    cr_assert_eq(RUN(0x0F, 0x20, 0xC8, HLT), EXC_UD);      /* mov eax, cr1 */
    cr_assert_eq(RUN(0x0F, 0x22, 0xE8, HLT), EXC_UD);      /* mov cr5, eax */
}

Test(system, mov_cr2_cr3_cr4)
{
    cpu->gpr[R_EAX] = 0xDEADB000u;
    cr_assert_eq(RUN(0x0F, 0x22, 0xD0, HLT), -1);          /* mov cr2, eax */
    cr_assert_eq(RUN(0x0F, 0x20, 0xD3, HLT), -1);          /* mov ebx, cr2 */
    cr_assert_eq(cpu->gpr[R_EBX], 0xDEADB000u);
    cpu->gpr[R_EAX] = 0x20000;
    cr_assert_eq(RUN(0x0F, 0x22, 0xD8, HLT), -1);          /* mov cr3, eax */
    cr_assert_eq(cpu->cr3 & 0xFFFFF000u, 0x20000u);
    cpu->gpr[R_EAX] = CR4_PSE | CR4_TSD | CR4_DE;
    cr_assert_eq(RUN(0x0F, 0x22, 0xE0, HLT), -1);          /* mov cr4, eax */
    cr_assert_eq(RUN(0x0F, 0x20, 0xE3, HLT), -1);          /* mov ebx, cr4 */
    cr_assert_eq(cpu->gpr[R_EBX], CR4_PSE | CR4_TSD | CR4_DE);
}

Test(system, mov_cr4_reserved_bit_faults)
{
    cpu->gpr[R_EAX] = 0x400;   /* OSXMMEXCPT: no SSE on this model */
    cr_assert_eq(RUN(0x0F, 0x22, 0xE0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(cpu->cr4, 0);
    cpu->gpr[R_EAX] = CR4_OSFXSR;   /* FXSR is there (Linux sets it) */
    cr_assert_eq(RUN(0x0F, 0x22, 0xE0, HLT), -1);
    cr_assert_eq(cpu->cr4, CR4_OSFXSR);
}

Test(system, clts_clears_ts_and_is_privileged)
{
    cpu->cr0 |= CR0_TS;
    cr_assert_eq(RUN(0x0F, 0x06, HLT), -1);
    cr_assert_eq(cpu->cr0 & CR0_TS, 0);
    cpu->cr0 |= CR0_TS;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x06, HLT), EXC_GP);
    cr_assert(cpu->cr0 & CR0_TS);
}

/* ---------------- debug registers ---------------- */

Test(system, mov_dr_round_trip_and_fixed_bits)
{
    cpu->gpr[R_EAX] = 0x12345678u;
    cr_assert_eq(RUN(0x0F, 0x23, 0xC0, HLT), -1);          /* mov dr0, eax */
    cr_assert_eq(RUN(0x0F, 0x21, 0xC3, HLT), -1);          /* mov ebx, dr0 */
    cr_assert_eq(cpu->gpr[R_EBX], 0x12345678u);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0x23, 0xF0, HLT), -1);          /* mov dr6, eax */
    cr_assert_eq(cpu->dr[6], 0xFFFF0FF0u);
    cr_assert_eq(RUN(0x0F, 0x23, 0xF8, HLT), -1);          /* mov dr7, eax */
    cr_assert_eq(cpu->dr[7], 0x400u);
}

Test(system, dr4_aliases_dr6_unless_cr4_de)
{
    cr_assert_eq(RUN(0x0F, 0x21, 0xE3, HLT), -1);          /* mov ebx, dr4 */
    cr_assert_eq(cpu->gpr[R_EBX], cpu->dr[6]);
    cpu->cr4 |= CR4_DE;
    cr_assert_eq(RUN(0x0F, 0x21, 0xE3, HLT), EXC_UD);
}

Test(system, dr7_gd_raises_db_with_bd)
{
    cpu->gpr[R_EAX] = 0x2000;   /* GD */
    cr_assert_eq(RUN(0x0F, 0x23, 0xF8, HLT), -1);
    cr_assert_eq(RUN(0x0F, 0x21, 0xC3, HLT), EXC_DB);      /* any DR access now */
    cr_assert(cpu->dr[6] & 0x2000u, "DR6.BD");
    cr_assert_eq(cpu->dr[7] & 0x2000u, 0, "GD cleared for the handler");
    /* A fault: the pushed EIP is the MOV itself. */
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet());
}

/* ---------------- MSRs ---------------- */

/* WRMSR then RDMSR of the same MSR; returns the exception vector or -1. */
static int msr_round_trip(uint32_t index, uint64_t value, uint64_t *readback)
{
    cpu->gpr[R_ECX] = index;
    cpu->gpr[R_EAX] = (uint32_t)value;
    cpu->gpr[R_EDX] = (uint32_t)(value >> 32);
    int exc = RUN(0x0F, 0x30, 0x0F, 0x32, HLT);
    *readback = ((uint64_t)cpu->gpr[R_EDX] << 32) | cpu->gpr[R_EAX];
    return exc;
}

Test(system, msr_round_trips)
{
    static const struct { uint32_t index; uint64_t value; } cases[] = {
        { 0x1B, 0xFEE00900u },                   /* APIC_BASE */
        { 0x174, 0x0008 },                       /* SYSENTER_CS */
        { 0x175, 0x12345678u },                  /* SYSENTER_ESP */
        { 0x176, 0x9ABCDEF0u },                  /* SYSENTER_EIP */
        { 0x186, 0x00430079u },                  /* PERFEVTSEL0 */
        { 0x200, 0x0000000FFFFFF006ull },        /* MTRRphysBase0, WB */
        { 0x201, 0x0000000FFFFFF800ull },        /* MTRRphysMask0, valid */
        { 0x20E, 0x0000000000100001ull },        /* MTRRphysBase7, WC */
        { 0x20F, 0x0000000FFFF00800ull },
        { 0x250, 0x0606060606060606ull },        /* fix64K_00000 */
        { 0x258, 0x0001040506000104ull },        /* fix16K_80000 */
        { 0x259, 0x0000000000000000ull },        /* fix16K_A0000 */
        { 0x268, 0x0505050505050505ull },        /* fix4K_C0000 */
        { 0x26F, 0x0404040404040404ull },        /* fix4K_F8000 */
        { 0x2FF, 0x0000000000000C06ull },        /* MTRRdefType: E, FE, WB */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v;
        cr_assert_eq(msr_round_trip(cases[i].index, cases[i].value, &v), -1, "MSR %X",
                     cases[i].index);
        cr_assert_eq(v, cases[i].value, "MSR %X", cases[i].index);
    }
    cr_assert_eq(cpu->msr.sysenter_esp, 0x12345678u);
    cr_assert_eq(cpu->msr.mtrr_def_type, 0xC06u);
}

Test(system, msr_tsc_write_keeps_low_32_bits)
{
    uint64_t v;
    cr_assert_eq(msr_round_trip(0x10, 0x0000000500001000ull, &v), -1);
    cr_assert_eq(v >> 32, 0);
    cr_assert(v >= 0x1000 && v < 0x1000 + 100, "TSC %llX", (unsigned long long)v);
}

Test(system, msr_perfctr_sign_extends_to_40_bits)
{
    uint64_t v;
    cr_assert_eq(msr_round_trip(0xC1, 0x80000000u, &v), -1);
    cr_assert_eq(v, 0xFF80000000ull);
}

Test(system, msr_mtrrcap_reads_p6_value_and_is_read_only)
{
    cpu->gpr[R_ECX] = 0xFE;
    cr_assert_eq(RUN(0x0F, 0x32, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0x508u);
    cr_assert_eq(cpu->gpr[R_EDX], 0);
    cr_assert_eq(RUN(0x0F, 0x30, HLT), EXC_GP);
}

Test(system, msr_unknown_and_reserved_bits_fault)
{
    cpu->gpr[R_ECX] = 0x277;   /* PAT: a Pentium III MSR */
    cr_assert_eq(RUN(0x0F, 0x32, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(RUN(0x0F, 0x30, HLT), EXC_GP);
    uint64_t v;
    cr_assert_eq(msr_round_trip(0x200, 0x2, &v), EXC_GP);          /* type 2 reserved */
    cr_assert_eq(msr_round_trip(0x2FF, 0x1006, &v), EXC_GP);       /* bit 12 reserved */
    cr_assert_eq(msr_round_trip(0x250, 0x0700000000000000ull, &v), EXC_GP);
    cr_assert_eq(msr_round_trip(0x1B, 0xFEE00901u, &v), EXC_GP);   /* bit 0 reserved */
}

Test(system, msr_access_at_cpl3_faults)
{
    cpu->gpr[R_ECX] = 0x10;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x32, HLT), EXC_GP);
}

/* ---------------- TSC and performance counters ---------------- */

static uint64_t edx_eax(void)
{
    return ((uint64_t)cpu->gpr[R_EDX] << 32) | cpu->gpr[R_EAX];
}

Test(system, rdtsc_is_monotonic)
{
    cr_assert_eq(RUN(0x0F, 0x31, HLT), -1);
    uint64_t t1 = edx_eax();
    cr_assert_eq(RUN(0x0F, 0x31, HLT), -1);
    uint64_t t2 = edx_eax();
    cr_assert_gt(t2, t1);
}

Test(system, rdtsc_at_cpl3)
{
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x31, HLT), -1);
    cpu->cr4 |= CR4_TSD;
    cpu->gpr[R_EAX] = 0xAAAA;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x31, HLT), EXC_GP);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP] + 4), last_snippet(), "fault at RDTSC");
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAA);
}

Test(system, rdtsc_with_tsd_at_cpl0)
{
    cpu->cr4 |= CR4_TSD;
    cr_assert_eq(RUN(0x0F, 0x31, HLT), -1);
}

Test(system, rdpmc)
{
    cpu->msr.perfctr[1] = 0x12345678AAull;
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0x0F, 0x33, HLT), -1);
    cr_assert_eq(edx_eax(), 0x12345678AAull);
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(RUN(0x0F, 0x33, HLT), EXC_GP);
    cpu->gpr[R_ECX] = 0;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x33, HLT), EXC_GP);   /* CR4.PCE clear */
}

/* ---------------- GDTR / IDTR / MSW ---------------- */

static void put_pseudo_desc(uint32_t at, uint16_t limit, uint32_t base)
{
    h_write32(cpu, at, limit | (base << 16));
    h_write32(cpu, at + 4, base >> 16);
}

Test(system, lgdt_sgdt_32bit_round_trip)
{
    DescTable saved = cpu->gdtr;
    put_pseudo_desc(0x8000, 0x1234, 0xAB345678u);
    h_write32(cpu, 0x8100, 0xFFFFFFFFu);
    h_write32(cpu, 0x8104, 0xFFFFFFFFu);
    /* lgdt [0x8000]; sgdt [0x8100] */
    cr_assert_eq(RUN(0x0F, 0x01, 0x15, 0x00, 0x80, 0x00, 0x00,
                     0x0F, 0x01, 0x05, 0x00, 0x81, 0x00, 0x00, HLT), -1);
    cr_assert_eq(cpu->gdtr.base, 0xAB345678u);
    cr_assert_eq(cpu->gdtr.limit, 0x1234);
    cpu->gdtr = saved;
    cr_assert_eq(h_read32(cpu, 0x8100), 0x56781234u);
    cr_assert_eq(h_read32(cpu, 0x8104), 0xFFFFAB34u);
}

Test(system, lgdt_sgdt_16bit_use_24_bit_base)
{
    DescTable saved = cpu->gdtr;
    put_pseudo_desc(0x8000, 0x1234, 0xAB345678u);
    h_write32(cpu, 0x8100, 0xFFFFFFFFu);
    h_write32(cpu, 0x8104, 0xFFFFFFFFu);
    /* o16 lgdt [0x8000]; o16 sgdt [0x8100] */
    cr_assert_eq(RUN(0x66, 0x0F, 0x01, 0x15, 0x00, 0x80, 0x00, 0x00,
                     0x66, 0x0F, 0x01, 0x05, 0x00, 0x81, 0x00, 0x00, HLT), -1);
    cr_assert_eq(cpu->gdtr.base, 0x00345678u);
    cr_assert_eq(cpu->gdtr.limit, 0x1234);
    cpu->gdtr = saved;
    cr_assert_eq(h_read32(cpu, 0x8100), 0x56781234u);
    cr_assert_eq(h_read32(cpu, 0x8104), 0xFFFF0034u);
}

Test(system, lidt_sidt_round_trip_and_16bit_store)
{
    DescTable saved = cpu->idtr;
    put_pseudo_desc(0x8000, 0x07FF, 0x81002000u);
    /* lidt [0x8000]; sidt [0x8100]; o16 sidt [0x8200] */
    cr_assert_eq(RUN(0x0F, 0x01, 0x1D, 0x00, 0x80, 0x00, 0x00,
                     0x0F, 0x01, 0x0D, 0x00, 0x81, 0x00, 0x00,
                     0x66, 0x0F, 0x01, 0x0D, 0x00, 0x82, 0x00, 0x00, HLT), -1);
    cr_assert_eq(cpu->idtr.base, 0x81002000u);
    cr_assert_eq(cpu->idtr.limit, 0x7FF);
    cpu->idtr = saved;
    cr_assert_eq(h_read32(cpu, 0x8100), 0x200007FFu);
    cr_assert_eq(h_read32(cpu, 0x8104) & 0xFFFF, 0x8100u);
    cr_assert_eq(h_read32(cpu, 0x8204) & 0xFFFF, 0x0000u, "high base byte stored as 0");
}

Test(system, lgdt_at_cpl3_faults_and_register_forms_are_ud)
{
    cr_assert_eq(RUN(0x0F, 0x01, 0xC0, HLT), EXC_UD);      /* sgdt eax */
    cr_assert_eq(RUN(0x0F, 0x01, 0xD0, HLT), EXC_UD);      /* lgdt eax */
    cr_assert_eq(RUN(0x0F, 0x01, 0xE8, HLT), EXC_UD);      /* group 7 /5 */
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x01, 0x15, 0x00, 0x80, 0x00, 0x00, HLT), EXC_GP);
    cr_assert_eq(cpu->gdtr.base, H_GDT_BASE);
}

Test(system, sgdt_is_allowed_at_cpl3)
{
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x01, 0x05, 0x00, 0x81, 0x00, 0x00, HLT), -1);
    cr_assert_eq(h_read32(cpu, 0x8102), H_GDT_BASE);
}

Test(system, smsw_forms)
{
    cpu->cr0 |= CR0_MP | CR0_NE | CR0_WP;
    cpu->gpr[R_EAX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0x0F, 0x01, 0xE0, HLT), -1);                  /* smsw eax */
    cr_assert_eq(cpu->gpr[R_EAX], cpu->cr0);
    cpu->gpr[R_EAX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0x66, 0x0F, 0x01, 0xE0, HLT), -1);            /* smsw ax */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF0000u | (cpu->cr0 & 0xFFFF));
    h_write32(cpu, 0x8100, 0xFFFFFFFFu);
    cr_assert_eq(RUN(0x0F, 0x01, 0x25, 0x00, 0x81, 0x00, 0x00, HLT), -1);   /* smsw [m] */
    cr_assert_eq(h_read32(cpu, 0x8100), 0xFFFF0000u | (cpu->cr0 & 0xFFFF));
}

Test(system, lmsw_sets_low_bits_but_cannot_clear_pe)
{
    cpu->gpr[R_EAX] = 0xFFF0 | CR0_MP | CR0_TS;   /* PE clear, high bits ignored */
    cr_assert_eq(RUN(0x0F, 0x01, 0xF0, HLT), -1);                  /* lmsw ax */
    cr_assert(cpu->cr0 & CR0_PE);
    cr_assert_eq(cpu->cr0 & (CR0_MP | CR0_EM | CR0_TS), CR0_MP | CR0_TS);
    cr_assert_eq(cpu->cr0 & CR0_NE, 0);
}

Test(system_real, lmsw_sets_pe)
{
    cpu->gpr[R_EAX] = CR0_PE;
    cr_assert_eq(RUN(0x0F, 0x01, 0xF0, HLT), -1);
    cr_assert(cpu->cr0 & CR0_PE);
}

/* ---------------- LAR / LSL / VERR / VERW / ARPL ---------------- */

/* Run LAR or LSL (opcode 0F 02 / 0F 03) eax, cx with ZF preset to 1 and
 * EAX to a marker; returns ZF. */
static bool lar_lsl(uint8_t op, uint16_t sel, bool op16)
{
    cpu->gpr[R_ECX] = sel;
    cpu->gpr[R_EAX] = 0xFFFFFFFFu;
    set_flag(FLAG_ZF, true);
    const uint8_t c16[] = { 0x66, 0x0F, op, 0xC1, HLT }, c32[] = { 0x0F, op, 0xC1, HLT };
    int exc = op16 ? run(c16, sizeof c16) : run(c32, sizeof c32);
    cr_assert_eq(exc, -1);
    return zf();
}

Test(system, lar_valid_selectors)
{
    add_system_descriptors();
    cr_assert(lar_lsl(0x02, H_SEL_DATA32, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x00CF9300u);
    cr_assert(lar_lsl(0x02, H_SEL_CODE32, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x00CF9B00u);
    cr_assert(lar_lsl(0x02, H_SEL_UCODE32, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x00CFFB00u);
    cr_assert(lar_lsl(0x02, SEL_LDT, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x00008200u);
    cr_assert(lar_lsl(0x02, H_SEL_TSS, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x00008B00u);
    cr_assert(lar_lsl(0x02, H_SEL_DATA32, true));
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF9300u);
}

Test(system, lar_invalid_selectors_clear_zf)
{
    add_system_descriptors();
    cr_assert_not(lar_lsl(0x02, 0, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFFFu, "destination kept");
    cr_assert_not(lar_lsl(0x02, SEL_INTGATE, false));
    cr_assert_not(lar_lsl(0x02, 0x60, false));                    /* beyond GDT limit */
    cr_assert_not(lar_lsl(0x02, H_SEL_DATA32 | 3, false));        /* RPL 3 > DPL 0 */
    enter_user();
    cr_assert_not(lar_lsl(0x02, H_SEL_DATA32, false));            /* CPL 3 > DPL 0 */
    cr_assert(lar_lsl(0x02, H_SEL_UDATA32, false));
}

Test(system, lsl_valid_and_invalid)
{
    add_system_descriptors();
    cr_assert(lar_lsl(0x03, H_SEL_DATA32, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFFFu);
    cr_assert(lar_lsl(0x03, SEL_LDT, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x17u);
    cr_assert(lar_lsl(0x03, H_SEL_TSS, false));
    cr_assert_eq(cpu->gpr[R_EAX], 0x67u);
    cr_assert(lar_lsl(0x03, H_SEL_DATA16, true));
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFFFu);                   /* limit 0xFFFF in AX */
    cr_assert_not(lar_lsl(0x03, SEL_INTGATE, false));
    cr_assert_not(lar_lsl(0x03, 0, false));
    cr_assert_not(lar_lsl(0x03, 0x60, false));
}

Test(system_real, lar_lsl_arpl_and_group6_are_ud_in_real_mode)
{
    cr_assert_eq(RUN(0x0F, 0x02, 0xC1, HLT), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0x03, 0xC1, HLT), EXC_UD);
    cr_assert_eq(RUN(0x63, 0xC8, HLT), EXC_UD);
    cr_assert_eq(RUN(0x0F, 0x00, 0xC3, HLT), EXC_UD);             /* sldt */
    cr_assert_eq(RUN(0x0F, 0x00, 0xE0, HLT), EXC_UD);             /* verr */
}

/* VERR (0F 00 /4) or VERW (/5) on ax; returns ZF. */
static bool verify(bool write, uint16_t sel)
{
    cpu->gpr[R_EAX] = sel;
    set_flag(FLAG_ZF, !write);
    const uint8_t c[] = { 0x0F, 0x00, write ? 0xE8 : 0xE0, HLT };
    cr_assert_eq(run(c, sizeof c), -1);
    return zf();
}

Test(system, verr_verw)
{
    add_system_descriptors();
    cr_assert(verify(false, H_SEL_DATA32));
    cr_assert(verify(true, H_SEL_DATA32));
    cr_assert(verify(false, H_SEL_CODE32));           /* readable code */
    cr_assert_not(verify(true, H_SEL_CODE32));
    cr_assert(verify(false, H_SEL_UDATA32));          /* DPL 3, RPL 3 */
    cr_assert_not(verify(false, H_SEL_DATA32 | 3));   /* RPL 3 > DPL 0 */
    cr_assert_not(verify(false, SEL_LDT));            /* system segment */
    cr_assert_not(verify(false, 0));
    cr_assert_not(verify(false, 0x60));
    enter_user();
    cr_assert_not(verify(false, H_SEL_DATA32));       /* CPL 3 > DPL 0 */
}

Test(system, arpl)
{
    cpu->gpr[R_EAX] = 0xAAAA0010u;
    cpu->gpr[R_ECX] = 3;
    set_flag(FLAG_ZF, false);
    cr_assert_eq(RUN(0x63, 0xC8, HLT), -1);                       /* arpl ax, cx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAA0013u);
    cr_assert(zf());
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(RUN(0x63, 0xC8, HLT), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 0xAAAA0013u);
    cr_assert_not(zf());
    h_write32(cpu, 0x8000, 0x55550008u);
    cpu->gpr[R_ECX] = 2;
    cr_assert_eq(RUN(0x63, 0x0D, 0x00, 0x80, 0x00, 0x00, HLT), -1);   /* arpl [m], cx */
    cr_assert_eq(h_read32(cpu, 0x8000), 0x5555000Au);
    cr_assert(zf());
}

/* ---------------- BOUND ---------------- */

Test(system, bound_in_range_and_br_fault)
{
    h_write32(cpu, 0x8000, 10);
    h_write32(cpu, 0x8004, 20);
    cpu->gpr[R_EAX] = 15;
    cr_assert_eq(RUN(0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), -1);
    cpu->gpr[R_EAX] = 20;
    cr_assert_eq(RUN(0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), -1);
    cpu->gpr[R_EAX] = 21;
    cr_assert_eq(RUN(0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), EXC_BR);
    /* A fault: the saved EIP is the BOUND instruction. */
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet());
    cpu->gpr[R_EAX] = 0xFFFFFFFFu;   /* -1: signed compare */
    cr_assert_eq(RUN(0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), EXC_BR);
}

Test(system, bound_16bit_and_register_form)
{
    h_write32(cpu, 0x8000, 0x0010FFF0u);   /* lower -16, upper 16 */
    cpu->gpr[R_EAX] = 0x7777FFF8u;         /* AX = -8 */
    cr_assert_eq(RUN(0x66, 0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), -1);
    cpu->gpr[R_EAX] = 0x00000011u;
    cr_assert_eq(RUN(0x66, 0x62, 0x05, 0x00, 0x80, 0x00, 0x00, HLT), EXC_BR);
    cr_assert_eq(RUN(0x62, 0xC0, HLT), EXC_UD);
}

/* ---------------- HLT, UD2, RSM, INVD ---------------- */

Test(system, hlt_halts_at_cpl0_and_faults_at_cpl3)
{
    cr_assert_eq(RUN(HLT), -1);
    cr_assert_eq(cpu->eip, last_snippet() + 1);
    enter_user();
    cr_assert_eq(RUN(HLT, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP] + 4), last_snippet());
}

Test(system, ud2_and_rsm_raise_ud)
{
    cr_assert_eq(RUN(0x0F, 0x0B, HLT), EXC_UD);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet());
    cr_assert_eq(RUN(0x0F, 0xAA, HLT), EXC_UD);
}

Test(system, invd_wbinvd_privileged_no_ops)
{
    cr_assert_eq(RUN(0x0F, 0x08, 0x0F, 0x09, HLT), -1);
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x09, HLT), EXC_GP);
}

/* ---------------- IN / OUT ---------------- */

typedef struct FakeDev {
    uint16_t port;
    unsigned size;
    uint32_t value;
    int reads, writes;
} FakeDev;

static uint32_t fake_read(void *opaque, uint16_t port, unsigned size)
{
    FakeDev *d = opaque;
    d->port = port;
    d->size = size;
    d->reads++;
    uint32_t v = 0xA1B2C300u | (port & 0xFF);
    return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void fake_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    FakeDev *d = opaque;
    d->port = port;
    d->size = size;
    d->value = value;
    d->writes++;
}

static const PortOps fake_ops = { fake_read, fake_write, true };

static FakeDev *add_fake_device(void)
{
    static FakeDev dev;
    dev = (FakeDev){ 0 };
    PortBus *bus = h_portbus(cpu);
    int slot = portbus_add_slot(bus, "fake", &fake_ops, &dev);
    cr_assert_geq(slot, 0);
    cr_assert(portbus_map(bus, slot, 0xE0, 4));
    cr_assert(portbus_map(bus, slot, 0x3F0, 4));
    return &dev;
}

Test(system, in_out_immediate_port)
{
    FakeDev *dev = add_fake_device();
    cpu->gpr[R_EAX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0xE4, 0xE1, HLT), -1);                       /* in al, 0xE1 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFFFE1u);
    cr_assert_eq(dev->size, 1);
    cr_assert_eq(RUN(0x66, 0xE5, 0xE2, HLT), -1);                 /* in ax, 0xE2 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFFC3E2u);
    cr_assert_eq(dev->size, 2);
    cr_assert_eq(RUN(0xE5, 0xE0, HLT), -1);                       /* in eax, 0xE0 */
    cr_assert_eq(cpu->gpr[R_EAX], 0xA1B2C3E0u);
    cpu->gpr[R_EAX] = 0x11223344u;
    cr_assert_eq(RUN(0xE6, 0xE3, HLT), -1);                       /* out 0xE3, al */
    cr_assert_eq(dev->port, 0xE3);
    cr_assert_eq(dev->size, 1);
    cr_assert_eq(dev->value, 0x44u);
    cr_assert_eq(RUN(0xE7, 0xE0, HLT), -1);                       /* out 0xE0, eax */
    cr_assert_eq(dev->size, 4);
    cr_assert_eq(dev->value, 0x11223344u);
}

Test(system, in_out_dx_port)
{
    FakeDev *dev = add_fake_device();
    cpu->gpr[R_EDX] = 0x3F2;
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0xEC, HLT), -1);                             /* in al, dx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xF2u);
    cr_assert_eq(dev->port, 0x3F2);
    cr_assert_eq(RUN(0xED, HLT), -1);                             /* in eax, dx */
    cr_assert_eq(cpu->gpr[R_EAX], 0xA1B2C3F2u);
    cpu->gpr[R_EAX] = 0xCAFEBABEu;
    cr_assert_eq(RUN(0x66, 0xEF, HLT), -1);                       /* out dx, ax */
    cr_assert_eq(dev->size, 2);
    cr_assert_eq(dev->value, 0xBABEu);
    cr_assert_eq(RUN(0xEE, HLT), -1);                             /* out dx, al */
    cr_assert_eq(dev->value, 0xBEu);
    cr_assert_eq(RUN(0xEF, HLT), -1);                             /* out dx, eax */
    cr_assert_eq(dev->value, 0xCAFEBABEu);
    cr_assert_eq(dev->writes, 3);
}

Test(system, in_out_at_cpl3_checks_iopl)
{
    FakeDev *dev = add_fake_device();
    enter_user();
    cr_assert_eq(RUN(0xE6, 0xE0, HLT), EXC_GP);                   /* IOPL 0, no bitmap */
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(dev->writes, 0);
    set_flag(FLAG_IOPL, true);
    enter_user();
    cr_assert_eq(RUN(0xE6, 0xE0, HLT), -1);                       /* IOPL 3 */
    cr_assert_eq(dev->writes, 1);
}

/* ---------------- INT n, INT3, INTO, ICEBP, IRET ---------------- */

Test(system, int_n_int3_into_icebp)
{
    cr_assert_eq(RUN(0xCD, 0x40, HLT), 0x40);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet() + 2, "return EIP");
    cr_assert_eq(RUN(0xCC, HLT), EXC_BP);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet() + 1);
    set_flag(FLAG_OF, false);
    cr_assert_eq(RUN(0xCE, HLT), -1);
    set_flag(FLAG_OF, true);
    cr_assert_eq(RUN(0xCE, HLT), EXC_OF);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet() + 1);
    cr_assert_eq(RUN(0xF1, HLT), EXC_DB);
    cr_assert_eq(h_read32(cpu, cpu->gpr[R_ESP]), last_snippet() + 1);
}

Test(system, iret_same_privilege)
{
    static const uint8_t target[] = { HLT };
    h_load(cpu, H_CODE + 0x4000, target, sizeof target);
    uint32_t sp = 0x90000 - 12;
    h_write32(cpu, sp, H_CODE + 0x4000);
    h_write32(cpu, sp + 4, H_SEL_CODE32);
    h_write32(cpu, sp + 8, 0x2 | FLAG_CF);
    cpu->gpr[R_ESP] = sp;
    cr_assert_eq(RUN(0xCF), -1);
    cr_assert_eq(cpu->eip, H_CODE + 0x4001);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000u);
    cr_assert(h_eflags(cpu) & FLAG_CF);
}

/* ---------------- LLDT / LTR / SLDT / STR ---------------- */

Test(system, lldt_sldt)
{
    add_system_descriptors();
    cpu->gpr[R_EAX] = SEL_LDT;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), -1);                 /* lldt ax */
    cr_assert_eq(cpu->seg[SEG_LDTR].sel, SEL_LDT);
    cr_assert_eq(cpu->seg[SEG_LDTR].base, 0x6000u);
    cr_assert_eq(cpu->seg[SEG_LDTR].limit, 0x17u);
    cpu->gpr[R_EBX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0x0F, 0x00, 0xC3, HLT), -1);                 /* sldt ebx */
    cr_assert_eq(cpu->gpr[R_EBX], SEL_LDT, "zero-extended");
    cpu->gpr[R_EBX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0x66, 0x0F, 0x00, 0xC3, HLT), -1);           /* sldt bx */
    cr_assert_eq(cpu->gpr[R_EBX], 0xFFFF0000u | SEL_LDT);
    h_write32(cpu, 0x8100, 0xFFFFFFFFu);
    cr_assert_eq(RUN(0x0F, 0x00, 0x05, 0x00, 0x81, 0x00, 0x00, HLT), -1);   /* sldt [m] */
    cr_assert_eq(h_read32(cpu, 0x8100), 0xFFFF0000u | SEL_LDT);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), -1);                 /* null: allowed */
    cr_assert_eq(cpu->seg[SEG_LDTR].sel, 0);
}

Test(system, lldt_faults)
{
    add_system_descriptors();
    cpu->gpr[R_EAX] = H_SEL_DATA32;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), H_SEL_DATA32);
    cpu->gpr[R_EAX] = SEL_LDT_NP;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), EXC_NP);
    cr_assert_eq(h_last_errcode(cpu), SEL_LDT_NP);
    cpu->gpr[R_EAX] = SEL_LDT | 4;   /* TI = 1 */
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), SEL_LDT | 4);
    cpu->gpr[R_EAX] = SEL_LDT;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
}

Test(system, ltr_marks_busy_and_str)
{
    add_system_descriptors();
    cpu->gpr[R_EAX] = SEL_TSS_AVAIL;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD8, HLT), -1);                 /* ltr ax */
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS_AVAIL);
    cr_assert_eq(cpu->seg[SEG_TR].base, H_TSS_BASE);
    cr_assert_eq(cpu->seg[SEG_TR].limit, 0x67u);
    cr_assert_eq((h_read32(cpu, H_GDT_BASE + 9 * 8 + 4) >> 8) & 0xF, 0xB, "busy");
    cpu->gpr[R_EBX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0x0F, 0x00, 0xCB, HLT), -1);                 /* str ebx */
    cr_assert_eq(cpu->gpr[R_EBX], SEL_TSS_AVAIL);
}

Test(system, ltr_faults)
{
    add_system_descriptors();
    cpu->gpr[R_EAX] = H_SEL_TSS;   /* already busy */
    cr_assert_eq(RUN(0x0F, 0x00, 0xD8, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), H_SEL_TSS);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD8, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cpu->gpr[R_EAX] = SEL_LDT;
    cr_assert_eq(RUN(0x0F, 0x00, 0xD8, HLT), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), SEL_LDT);
    cr_assert_eq(cpu->seg[SEG_TR].sel, H_SEL_TSS);
}

/* ---------------- SYSENTER / SYSEXIT ---------------- */

Test(system, sysexit_sysenter_round_trip)
{
    cpu->msr.sysenter_cs = H_SEL_CODE32;
    cpu->msr.sysenter_esp = 0x70000;
    cpu->msr.sysenter_eip = H_CODE + 0x5000;
    static const uint8_t user[] = { 0x0F, 0x34 }, kernel[] = { HLT };
    h_load(cpu, H_CODE + 0x4000, user, sizeof user);
    h_load(cpu, H_CODE + 0x5000, kernel, sizeof kernel);
    cpu->gpr[R_EDX] = H_CODE + 0x4000;
    cpu->gpr[R_ECX] = 0x60000;
    set_flag(FLAG_IF, true);
    cr_assert_eq(RUN(0x0F, 0x35), -1);                            /* sysexit */
    cr_assert_eq(cpu->eip, H_CODE + 0x5001);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE32);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_CODE32 + 8);
    cr_assert_eq(cpu->gpr[R_ESP], 0x70000u);
    cr_assert(cpu->code32 && cpu->stack32);
    cr_assert_eq(h_eflags(cpu) & FLAG_IF, 0, "SYSENTER clears IF");
}

Test(system, sysexit_reaches_cpl3)
{
    cpu->msr.sysenter_cs = H_SEL_CODE32;
    static const uint8_t user[] = { HLT };
    h_load(cpu, H_CODE + 0x4000, user, sizeof user);
    cpu->gpr[R_EDX] = H_CODE + 0x4000;
    cpu->gpr[R_ECX] = 0x60000;
    cr_assert_eq(RUN(0x0F, 0x35), EXC_GP);                        /* HLT at CPL 3 */
    uint32_t sp = cpu->gpr[R_ESP];
    cr_assert_eq(h_read32(cpu, sp + 4), H_CODE + 0x4000);         /* EIP */
    cr_assert_eq(h_read32(cpu, sp + 8) & 0xFFFF, (H_SEL_CODE32 + 16) | 3);
    cr_assert_eq(h_read32(cpu, sp + 16), 0x60000u);               /* ESP */
    cr_assert_eq(h_read32(cpu, sp + 20) & 0xFFFF, (H_SEL_CODE32 + 24) | 3);
}

Test(system, sysenter_sysexit_faults)
{
    cpu->msr.sysenter_cs = 0;
    cr_assert_eq(RUN(0x0F, 0x34), EXC_GP);
    cr_assert_eq(RUN(0x0F, 0x35), EXC_GP);
    cpu->msr.sysenter_cs = H_SEL_CODE32;
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x35), EXC_GP);                        /* SYSEXIT at CPL 3 */
}

Test(system_real, sysenter_in_real_mode_faults)
{
    cpu->msr.sysenter_cs = H_SEL_CODE32;
    cr_assert_eq(RUN(0x0F, 0x34), EXC_GP);
}

/* ---------------- INVLPG ---------------- */

/* Identity-map the low 4 MiB and map linear 0x800000 to phys. */
#define PD 0x20000u
#define PT0 0x21000u
#define PT2 0x22000u
static void enable_paging(uint32_t phys_800000)
{
    for (uint32_t i = 0; i < 1024; i++) {
        h_write32(cpu, PT0 + i * 4, (i << 12) | 7);
        h_write32(cpu, PD + i * 4, 0);
    }
    h_write32(cpu, PD, PT0 | 7);
    h_write32(cpu, PD + 2 * 4, PT2 | 7);
    h_write32(cpu, PT2, phys_800000 | 7);
    cpu->gpr[R_EAX] = PD;
    cr_assert_eq(RUN(0x0F, 0x22, 0xD8, HLT), -1);                 /* mov cr3, eax */
    cpu->gpr[R_EAX] = cpu->cr0 | CR0_PG;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0, HLT), -1);                 /* mov cr0, eax */
    cr_assert(cpu->cr0 & CR0_PG);
}

/* lgdt [0x800000] reads a pseudo-descriptor through the mapping. */
static uint32_t base_through_mapping(bool invlpg_first)
{
    DescTable saved = cpu->gdtr;
    int exc = invlpg_first ? RUN(0x0F, 0x01, 0x3D, 0x00, 0x00, 0x80, 0x00,
                                 0x0F, 0x01, 0x15, 0x00, 0x00, 0x80, 0x00, HLT)
                           : RUN(0x0F, 0x01, 0x15, 0x00, 0x00, 0x80, 0x00, HLT);
    uint32_t base = cpu->gdtr.base;
    cpu->gdtr = saved;
    cr_assert_eq(exc, -1);
    return base;
}

Test(system, invlpg_drops_a_stale_translation)
{
    put_pseudo_desc(0x30000, 0xFFFF, 0x11111111u);
    put_pseudo_desc(0x31000, 0xFFFF, 0x22222222u);
    enable_paging(0x30000);
    cr_assert_eq(base_through_mapping(false), 0x11111111u);
    h_write32(cpu, PT2, 0x31000 | 7);                             /* no flush yet */
    cr_assert_eq(base_through_mapping(false), 0x11111111u, "TLB still holds the old page");
    cr_assert_eq(base_through_mapping(true), 0x22222222u);
}

Test(system, invlpg_register_form_ud_and_cpl3_gp)
{
    cr_assert_eq(RUN(0x0F, 0x01, 0xF8, HLT), EXC_UD);
    enter_user();
    cr_assert_eq(RUN(0x0F, 0x01, 0x3D, 0x00, 0x00, 0x80, 0x00, HLT), EXC_GP);
}
