/* SPDX-License-Identifier: MIT */
/* The AMD models (cpu/amd.c): AuthenticAMD CPUID and its extended leaves,
 * EFER and the SVM MSRs with their reserved bits, SYSCALL/SYSRET in legacy
 * mode, and NX in PAE page tables (#PF with the I/D bit). SVM itself is
 * checked by the test ROMs tests/asm/svm.asm and svm_vintr.asm; here the
 * TLB banks of the ASIDs (cpu/svm_tlb.c) and the SVM state in snapshots. */
#include <criterion/criterion.h>
#include <string.h>

#include "cpu/amd.h"
#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"
#include "cpu/cpuid.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"
#include "cpu/svm.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

static void set_model(const char *name)
{
    cpu->model = cpu_model_find(name);
    cr_assert(cpu->model, "model %s", name);
    cpu->isa = cpu->model->isa;
    icache_flush(cpu->icache);
}

static void setup(void)
{
    cpu = h_cpu_new(8, true);
    set_model("phenom");
}

static void teardown(void) { h_cpu_free(cpu); }

TestSuite(amd, .init = setup, .fini = teardown);

static uint32_t leaf(uint32_t l, int reg)
{
    uint32_t r[4];
    cpu_cpuid(cpu, l, r);
    return r[reg];
}

/* Run code (a HLT is appended) for at most n instructions; the exception
 * vector taken, or -1. */
static int run(const uint8_t *code, size_t len, uint64_t n)
{
    uint8_t buf[64];
    memcpy(buf, code, len);
    buf[len] = 0xF4;
    h_load(cpu, H_CODE, buf, len + 1);
    cpu->gpr[R_ESP] = 0x90000;
    h_run(cpu, H_CODE, n);
    return h_last_exception(cpu);
}

Test(amd, cpuid_says_authenticamd_with_the_extended_leaves)
{
    cr_assert_eq(leaf(0, 1), 0x68747541u, "Auth");
    cr_assert_eq(leaf(0, 3), 0x69746E65u, "enti");
    cr_assert_eq(leaf(0, 2), 0x444D4163u, "cAMD");
    cr_assert_eq(leaf(1, 0), 0x00100F22u, "family 10h");
    cr_assert_eq(leaf(0x80000000u, 0), 0x8000000Au);
    cr_assert_eq(leaf(0x80000001u, 3) & (CPUID_EXT_SYSCALL | CPUID_EXT_NX),
                 CPUID_EXT_SYSCALL | CPUID_EXT_NX);
    cr_assert_eq(leaf(0x80000001u, 3) & (1u << 29), 0, "no long mode");
    cr_assert_eq(leaf(0x80000001u, 2) & CPUID_EXT_SVM, CPUID_EXT_SVM);
    cr_assert_eq(leaf(0x8000000Au, 0), 1, "SVM revision 1");
    cr_assert_eq(leaf(0x8000000Au, 1), 16, "16 ASIDs");
    cr_assert_eq(leaf(0x8000000Au, 3) & (1u << 3), 1u << 3, "next-RIP save");
    /* exactly NP, NRIPS, VMCB clean bits and FlushByASID: no decode assists
     * (bit 7) or pause filter (bit 10), which KVM would use */
    cr_assert_eq(leaf(0x8000000Au, 3), 0x69u);
    cr_assert_eq(leaf(5, 0), 0, "AMD: basic leaves above the maximum read as zero");
    set_model("athlon");
    cr_assert_eq(leaf(0x80000001u, 2) & CPUID_EXT_SVM, 0, "the Athlon has no SVM");
    cr_assert_eq(leaf(0x80000001u, 3) & CPUID_EXT_NX, 0);
    cr_assert_eq(leaf(0x8000000Au, 3), 0);
    set_model("pentium2");
    cr_assert_eq(leaf(0, 1), 0x756E6547u, "Genu");
}

Test(amd, efer_and_svm_msrs_refuse_reserved_bits)
{
    uint64_t v;
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SCE | EFER_NXE | EFER_SVME));
    cr_assert(cpu_msr_read(cpu, MSR_EFER, &v));
    cr_assert_eq(v, EFER_SCE | EFER_NXE | EFER_SVME);
    cr_assert_not(cpu_msr_write(cpu, MSR_EFER, EFER_LME), "no long mode");
    cr_assert_not(cpu_msr_write(cpu, MSR_EFER, 1u << 2));
    cr_assert(cpu_msr_write(cpu, MSR_VM_HSAVE_PA, 0x5000));
    cr_assert_not(cpu_msr_write(cpu, MSR_VM_HSAVE_PA, 0x5008), "page aligned");
    cr_assert(cpu_msr_write(cpu, MSR_EFER, 0));
    cr_assert(cpu_msr_write(cpu, MSR_VM_CR, VM_CR_SVMDIS | VM_CR_LOCK));
    cr_assert_not(cpu_msr_write(cpu, MSR_EFER, EFER_SVME), "SVMDIS");
    cr_assert(cpu_msr_write(cpu, MSR_VM_CR, 0));
    cr_assert(cpu_msr_read(cpu, MSR_VM_CR, &v));
    cr_assert_eq(v, VM_CR_SVMDIS | VM_CR_LOCK, "LOCK keeps SVMDIS");
    set_model("athlon");
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SCE));
    cr_assert_not(cpu_msr_write(cpu, MSR_EFER, EFER_SCE | EFER_NXE), "no NX on a K7");
    cr_assert_not(cpu_msr_read(cpu, MSR_VM_CR, &v), "no SVM MSRs on a K7");
    set_model("pentium2");
    cr_assert_not(cpu_msr_read(cpu, MSR_EFER, &v), "no EFER on Intel P6");
}

static const uint8_t syscall_insn[] = { 0x0F, 0x05 };
static const uint8_t sysret_insn[] = { 0x0F, 0x07 };

Test(amd, syscall_enters_cpl0_flat_at_star)
{
    cpu->amd_msr.star = ((uint64_t)0x001B << 48) | ((uint64_t)0x0008 << 32) | 0x20000u;
    cr_assert_eq(run(syscall_insn, 2, 50), EXC_UD, "EFER.SCE clear");
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SCE));
    h_load(cpu, 0x20000, (const uint8_t[]){ 0xF4 }, 1);
    cpu->eflags |= FLAG_IF;
    cr_assert_eq(run(syscall_insn, 2, 50), -1);
    cr_assert_eq(cpu->gpr[R_ECX], H_CODE + 2, "return address");
    cr_assert_eq(cpu->eip, 0x20001u);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x08);
    cr_assert_eq(cpu->seg[SEG_SS].sel, 0x10);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->eflags & FLAG_IF, 0, "IF cleared");
    set_model("pentium2");
    cr_assert_eq(run(syscall_insn, 2, 50), EXC_UD, "not on an Intel P6");
}

Test(amd, sysret_returns_to_cpl3_at_ecx)
{
    cpu->amd_msr.star = ((uint64_t)0x0028 << 48) | ((uint64_t)0x0008 << 32);
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SCE));
    cpu->gpr[R_ECX] = 0x12345;
    run(sysret_insn, 2, 1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x2B);
    cr_assert_eq(cpu->seg[SEG_SS].sel, 0x33);
    cr_assert_eq(cpu->eip, 0x12345u);
    cr_assert(cpu->eflags & FLAG_IF, "IF set");
}

/* PAE tables: PDPT 0x20000, PD 0x21000, PT 0x22000 mapping 0-2 MiB by 4
 * KiB pages; the page at 0x30000 has XD (bit 63) set. */
#define XD_PAGE 0x30000u

static void pae_with_xd_page(void)
{
    for (uint32_t a = 0x20000; a < 0x23000; a += 4)
        h_write32(cpu, a, 0);
    h_write32(cpu, 0x20000, 0x21001);
    h_write32(cpu, 0x21000, 0x22007);
    for (uint32_t i = 0; i < 512; i++)
        h_write32(cpu, 0x22000 + 8 * i, (i << 12) | 7);
    h_write32(cpu, 0x22000 + 8 * (XD_PAGE >> 12) + 4, 0x80000000u);
    h_load(cpu, XD_PAGE, (const uint8_t[]){ 0x90, 0xF4 }, 2);
    cpu->cr3 = 0x20000;
    cpu->cr4 |= CR4_PAE;
    cpu->cr0 |= CR0_PG;
    cpu_paging_changed(cpu);
}

/* jmp XD_PAGE (rel32 from H_CODE + 5) */
#define JMP_REL (XD_PAGE - H_CODE - 5)
static const uint8_t jmp_xd[] = { 0xE9, (uint8_t)JMP_REL, (uint8_t)(JMP_REL >> 8),
                                  (uint8_t)(JMP_REL >> 16), (uint8_t)(JMP_REL >> 24) };
static const uint8_t read_xd[] = { 0xA1, 0x00, 0x00, 0x03, 0x00 };   /* mov eax, [0x30000] */

Test(amd, nx_page_faults_on_fetch_with_the_id_bit)
{
    pae_with_xd_page();
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_NXE));
    cr_assert_eq(run(read_xd, sizeof read_xd, 50), -1, "data reads are allowed");
    cr_assert_eq(cpu->gpr[R_EAX], 0xF490u);
    int v = run(jmp_xd, sizeof jmp_xd, 50);
    cr_assert_eq(v, EXC_PF, "vector %d eip %x", v, cpu->eip);
    cr_assert_eq(h_last_errcode(cpu), 0x11u, "present | I/D");
    cr_assert_eq(cpu->cr2, XD_PAGE);
}

Test(amd, xd_bit_is_reserved_without_nxe)
{
    pae_with_xd_page();
    cr_assert_eq(run(read_xd, sizeof read_xd, 50), EXC_PF);
    cr_assert_eq(h_last_errcode(cpu), 0x09u, "present | reserved bit");
    set_model("athlon");
    cr_assert_not(cpu_msr_write(cpu, MSR_EFER, EFER_NXE));
}

/* --- SVM instructions outside a guest --- */

static const uint8_t vmrun_insn[] = { 0x0F, 0x01, 0xD8 };
static const uint8_t vmmcall_insn[] = { 0x0F, 0x01, 0xD9 };
static const uint8_t stgi_insn[] = { 0x0F, 0x01, 0xDC };

Test(amd, svm_instructions_need_efer_svme_and_the_model)
{
    cr_assert_eq(run(vmrun_insn, 3, 50), EXC_UD, "EFER.SVME clear");
    cr_assert_eq(run(stgi_insn, 3, 50), EXC_UD);
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SVME));
    cr_assert_eq(run(vmmcall_insn, 3, 50), EXC_UD, "VMMCALL outside a guest");
    cpu->gif = false;
    cr_assert_eq(run(stgi_insn, 3, 50), -1);
    cr_assert(cpu->gif, "STGI sets GIF");
    cpu->gpr[R_EAX] = 0x5008;
    cr_assert_eq(run(vmrun_insn, 3, 50), EXC_GP, "rAX not page aligned");
    cr_assert_eq(h_last_errcode(cpu), 0);
    set_model("athlon");
    cr_assert_eq(run(stgi_insn, 3, 50), EXC_UD, "no SVM on a K7");
}

/* --- snapshots --- */

Test(amd, snapshot_keeps_efer_and_the_svm_msrs)
{
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SCE | EFER_NXE | EFER_SVME));
    cr_assert(cpu_msr_write(cpu, MSR_VM_HSAVE_PA, 0x7000));
    cpu->amd_msr.star = 0x0123456789ABCDEFull;
    cpu->gif = false;
    DeviceInstance d = { &cpu_desc, cpu, "cpu" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&d, &w);
    cpu_reset(cpu);
    cr_assert_eq(cpu->amd_msr.efer, 0);
    cr_assert(cpu->gif);
    StateReader rd;
    char err[200];
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&d, &rd, err, sizeof err), "%s", err);
    cr_assert_eq(cpu->amd_msr.efer, EFER_SCE | EFER_NXE | EFER_SVME);
    cr_assert_eq(cpu->amd_msr.vm_hsave_pa, 0x7000);
    cr_assert_eq(cpu->amd_msr.star, 0x0123456789ABCDEFull);
    cr_assert_not(cpu->gif);
    state_writer_free(&w);
}

/* --- nested paging, the debugger's view --- */

/* A guest with nested paging (no paging of its own): the debugger's
 * translation goes through the nested tables and, where they map
 * nothing, fails without leaving the guest or touching accessed bits. */
Test(amd, debugger_translation_under_nested_paging_never_exits)
{
    SvmState *s = svm_state(cpu);
    for (uint32_t a = 0x40000; a < 0x41000; a += 4)
        h_write32(cpu, a, 0);
    h_write32(cpu, 0x40000, 0x00400000u | 0x87);   /* gPA 0-4 MiB -> 4 MiB */
    s->n_cr3 = 0x40000;
    s->host_pse = true;
    cpu->svm_guest = cpu->svm_npt = true;
    uint64_t phys = 0;
    cr_assert(cpu_translate_debug(cpu, 0x1234, &phys));
    cr_assert_eq(phys, 0x401234u);
    cr_assert_eq(h_read32(cpu, 0x40000) & 0x20, 0, "no accessed bit from the debugger");
    cr_assert_not(cpu_translate_debug(cpu, 0x800000, &phys), "not mapped");
    cr_assert(cpu->svm_guest, "still in the guest");
    cr_assert(cpu_translate_debug(cpu, 0x2000, &phys), "the failed probe is over");
    cr_assert_eq(phys, 0x402000u);
    cpu->svm_guest = cpu->svm_npt = false;
}

/* --- the ASID-tagged TLB (cpu/svm_tlb.c) --- */

static void fake_entry(uint32_t lin, uint32_t phys)
{
    TlbEntry *e = &cpu->tlb[TLB_SUP_READ][(lin >> 12) & (TLB_SIZE - 1)];
    e->tag = lin;
    e->phys_flags = phys;
    e->addend = 0;
}

static bool has_entry(uint32_t lin)
{
    return cpu->tlb[TLB_SUP_READ][(lin >> 12) & (TLB_SIZE - 1)].tag == lin;
}

Test(amd, world_switches_keep_each_asids_tlb_bank)
{
    svm_state(cpu);
    fake_entry(0x5000, 0x5000);                    /* the host's */
    svm_tlb_enter_guest(cpu, 3, 0);
    cr_assert_neq(cpu->tlb, cpu->tlb_host);
    cr_assert_eq(cpu->tlb_read, cpu->tlb[TLB_SUP_READ], "the fast path follows the bank");
    cr_assert_not(has_entry(0x5000), "a guest does not see the host's entries");
    fake_entry(0x6000, 0x9000);
    svm_tlb_enter_host(cpu);
    cr_assert(has_entry(0x5000), "the host's entry survived the guest");
    cr_assert_not(has_entry(0x6000));
    svm_tlb_enter_guest(cpu, 4, 0);
    cr_assert_not(has_entry(0x6000), "ASID 4 has its own bank");
    svm_tlb_enter_host(cpu);
    svm_tlb_enter_guest(cpu, 3, 0);
    cr_assert(has_entry(0x6000), "ASID 3's entry survived two world switches");
    cr_assert_eq(svm_tlb_current_asid(cpu), 3);
    svm_tlb_enter_host(cpu);
    svm_tlb_invlpga(cpu, 0x6000, 3);
    svm_tlb_enter_guest(cpu, 3, 0);
    cr_assert_not(has_entry(0x6000), "INVLPGA of ASID 3 from the host");
    fake_entry(0x6000, 0x9000);
    svm_tlb_enter_host(cpu);
    svm_tlb_enter_guest(cpu, 3, 3);
    cr_assert_not(has_entry(0x6000), "TLB_CONTROL 3");
    svm_tlb_enter_host(cpu);
    cr_assert(has_entry(0x5000), "TLB_CONTROL 3 leaves the host alone");
    svm_tlb_enter_guest(cpu, 3, 1);
    svm_tlb_enter_host(cpu);
    cr_assert_not(has_entry(0x5000), "TLB_CONTROL 1 flushes every ASID, the host's too");
}

Test(amd, a_guests_cr4_change_flushes_only_its_own_bank)
{
    svm_state(cpu);
    fake_entry(0x5000, 0x5000);
    svm_tlb_enter_guest(cpu, 3, 0);
    fake_entry(0x6000, 0x6000);
    cpu_paging_changed(cpu);                       /* what MOV CR4 with a PGE change does */
    cr_assert_not(has_entry(0x6000));
    svm_tlb_enter_host(cpu);
    cr_assert(has_entry(0x5000), "the host's bank kept its entry");
}

Test(amd, a_guest_bank_goes_when_its_paging_format_changes)
{
    svm_state(cpu);
    svm_tlb_enter_guest(cpu, 2, 0);
    fake_entry(0x7000, 0x7000);
    svm_tlb_enter_host(cpu);
    cpu->cr4 |= CR4_PSE;                           /* the next guest's format */
    svm_tlb_enter_guest(cpu, 2, 0);
    cr_assert_not(has_entry(0x7000));
}

Test(amd, five_asids_share_four_banks_least_recently_used_first)
{
    svm_state(cpu);
    for (uint32_t asid = 1; asid <= 5; asid++) {
        svm_tlb_enter_guest(cpu, asid, 0);
        fake_entry(0x1000 * asid, 0);
        svm_tlb_enter_host(cpu);
    }
    svm_tlb_enter_guest(cpu, 1, 0);
    cr_assert_not(has_entry(0x1000), "ASID 1's bank went to ASID 5");
    svm_tlb_enter_host(cpu);
    svm_tlb_enter_guest(cpu, 5, 0);
    cr_assert(has_entry(0x5000));
}

Test(amd, a_snapshot_in_a_guest_keeps_v_irq_and_starts_from_the_host_bank)
{
    cr_assert(cpu_msr_write(cpu, MSR_EFER, EFER_SVME));
    SvmState *s = svm_state(cpu);
    svm_tlb_enter_guest(cpu, 3, 0);
    cpu->svm_guest = true;
    s->vintr = (1ull << 8) | (0x41ull << 32);
    DeviceInstance d = { &cpu_desc, cpu, "cpu" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&d, &w);
    cpu->svm_guest = false;
    cpu->svm_vintr = false;
    StateReader rd;
    char err[200];
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&d, &rd, err, sizeof err), "%s", err);
    cr_assert(cpu->svm_guest);
    cr_assert(cpu->svm_vintr, "the pending V_IRQ is in the attention word again");
    cr_assert_eq(cpu->tlb, cpu->tlb_host);
    cr_assert(s->host_stale, "the host's bank is flushed at the guest's #VMEXIT");
    state_writer_free(&w);
}

/* The family 10h registers Linux and KVM read without a fault handler
 * hold what is written; their reserved bits, PAT's reserved types and a
 * DEBUGCTL feature (not implemented) are #GP. */
Test(amd, family10h_msrs_hold_values_and_refuse_reserved_bits)
{
    uint64_t v;
    cr_assert(cpu_msr_read(cpu, MSR_PAT, &v));
    cr_assert_eq(v, 0x0007040600070406ull, "PAT's RESET value: PAT[0] write-back");
    cr_assert_not(cpu_msr_write(cpu, MSR_PAT, 0x0007040600070402ull), "type 2 is reserved");
    cr_assert(cpu_msr_write(cpu, MSR_PAT, 0x0007010600070106ull));
    cr_assert(cpu_msr_read(cpu, MSR_PAT, &v));
    cr_assert_eq(v, 0x0007010600070106ull);
    cr_assert(cpu_msr_write(cpu, MSR_SYSCFG, 1ull << 18));
    cr_assert_not(cpu_msr_write(cpu, MSR_SYSCFG, 1), "reserved SYSCFG bit");
    cr_assert(cpu_msr_read(cpu, MSR_SYSCFG, &v));
    cr_assert_eq(v, 1ull << 18);
    cr_assert(cpu_msr_write(cpu, MSR_NB_CFG, 1ull << 46));
    cr_assert(cpu_msr_read(cpu, MSR_INT_PENDING_MSG, &v));
    cr_assert_eq(v, 0, "C1E off");
    cr_assert(cpu_msr_write(cpu, MSR_DEBUGCTL, 0));
    cr_assert_not(cpu_msr_write(cpu, MSR_DEBUGCTL, 1), "no LBR");
    cr_assert(cpu_msr_write(cpu, MSR_PERF_CTR0 + 3, 0xFFFFFFFFFFFFull));
    cr_assert_not(cpu_msr_write(cpu, MSR_PERF_CTR0 + 3, 1ull << 48), "48-bit counters");
    cr_assert(cpu_msr_read(cpu, MSR_PERF_CTR0 + 3, &v));
    cr_assert_eq(v, 0xFFFFFFFFFFFFull, "nothing counts");
    set_model("athlon");
    cr_assert(cpu_msr_read(cpu, MSR_PERF_CTL0, &v), "K7 counters");
    cr_assert_not(cpu_msr_read(cpu, MSR_SYSCFG, &v), "no family 10h registers on the Athlon");
    cr_assert_not(cpu_msr_read(cpu, MSR_PAT, &v));
    set_model("pentium2");
    cr_assert_not(cpu_msr_read(cpu, MSR_PERF_CTL0, &v), "not on Intel models");
    cr_assert_not(cpu_msr_read(cpu, MSR_DEBUGCTL, &v));
}

/* CR0.PG without PE ("paged real mode", which only an SVM guest can be
 * in; KVM's shadow paging runs real-mode guests so) translates through
 * the page tables. */
Test(amd, paging_without_pe_walks_the_tables)
{
    for (uint32_t a = 0x20000; a < 0x22000; a += 4)
        h_write32(cpu, a, 0);
    h_write32(cpu, 0x20000, 0x21007);               /* PDE 0 -> page table 0x21000 */
    h_write32(cpu, 0x21000 + 4 * 0x30, 0x45007);    /* linear 0x30000 -> 0x45000 */
    cpu->cr3 = 0x20000;
    cpu->cr0 = (cpu->cr0 & ~CR0_PE) | CR0_PG;
    cpu_paging_changed(cpu);
    cr_assert_eq(cpu_translate(cpu, 0x30123, ACC_READ, false), 0x45123);
    cpu->cr0 &= ~CR0_PG;
    cpu_paging_changed(cpu);
    cr_assert_eq(cpu_translate(cpu, 0x30123, ACC_READ, false), 0x30123, "real mode: no paging");
}
