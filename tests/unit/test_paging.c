/* SPDX-License-Identifier: MIT */
/* The memory layer: physical map (RAM, ROM, MMIO, A20, code-page
 * invalidation) and paging (32-bit, PSE, PAE, PGE, A/D bits, WP, #PF error
 * codes, TLB maintenance). Accesses are made from C through the same entry
 * points instruction handlers use; a fault unwinds to the setjmp here. */
#include <criterion/criterion.h>
#include <setjmp.h>

#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

static void setup(void)
{
    cpu = h_cpu_new(8, true);
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

TestSuite(paging, .init = setup, .fini = teardown);
TestSuite(phys, .init = setup, .fini = teardown);

/* Outcome of one access: -1 when it completed, else the vector. */
typedef struct Result {
    int vec;
    uint32_t err;
    uint32_t value;
} Result;

static Result try_read(unsigned seg, uint32_t off, unsigned size)
{
    Result r = { -1, 0, 0 };
    if (setjmp(cpu->fault_jmp)) {
        r.vec = cpu->fault_vec;
        r.err = cpu->fault_err;
        return r;
    }
    r.value = size == 1 ? cpu_read8(cpu, seg, off)
            : size == 2 ? cpu_read16(cpu, seg, off)
                        : cpu_read32(cpu, seg, off);
    return r;
}

static Result try_write(unsigned seg, uint32_t off, unsigned size, uint32_t v)
{
    Result r = { -1, 0, 0 };
    if (setjmp(cpu->fault_jmp)) {
        r.vec = cpu->fault_vec;
        r.err = cpu->fault_err;
        return r;
    }
    if (size == 1)
        cpu_write8(cpu, seg, off, (uint8_t)v);
    else if (size == 2)
        cpu_write16(cpu, seg, off, (uint16_t)v);
    else
        cpu_write32(cpu, seg, off, v);
    return r;
}

/* Page tables for 32-bit paging: directory at 0x100000, one table at
 * 0x101000 mapping the first 4 MiB identically (present, writable, user). */
#define PD 0x100000u
#define PT 0x101000u
static void build_identity(uint32_t pte_flags)
{
    h_write32(cpu, PD, PT | 0x7);
    for (uint32_t i = 0; i < 1024; i++)
        h_write32(cpu, PT + i * 4, (i << 12) | pte_flags);
}

static void enable_paging(void)
{
    cpu->cr3 = PD;
    cpu->cr0 |= CR0_PG;
    cpu_paging_changed(cpu);
}

Test(phys, ram_rom_and_hole)
{
    h_write32(cpu, 0x5000, 0x12345678);
    cr_assert_eq(h_read32(cpu, 0x5000), 0x12345678u);
    /* The legacy hole reads as all-ones and ignores writes. */
    h_write32(cpu, 0xB0000, 0);
    cr_assert_eq(h_read32(cpu, 0xB0000), 0xFFFFFFFFu);
    /* Beyond RAM, and above 4 GiB. */
    cr_assert_eq(phys_read(cpu->mem, 0x10000000, 4), 0xFFFFFFFFu);
    cr_assert_eq(phys_read(cpu->mem, 0x100000000ull, 4), 0xFFFFFFFFu);
    static const uint8_t rom[4] = { 1, 2, 3, 4 };
    cr_assert(phys_map_rom(cpu->mem, 0xE0000, rom, sizeof rom));
    phys_write(cpu->mem, 0xE0000, 1, 0xAA);
    cr_assert_eq(phys_read(cpu->mem, 0xE0000, 4), 0x04030201u);
    cr_assert_eq(phys_read(cpu->mem, 0xE0004, 1), 0xFFu, "ROM padding reads 0xFF");
}

Test(phys, access_crossing_pages)
{
    phys_write(cpu->mem, 0x5FFE, 4, 0xA1B2C3D4u);
    cr_assert_eq(phys_read(cpu->mem, 0x5FFE, 4), 0xA1B2C3D4u);
    cr_assert_eq(phys_read(cpu->mem, 0x6000, 2), 0xA1B2u);
    cr_assert_eq(phys_read(cpu->mem, 0x5FFC, 8) >> 16, 0xA1B2C3D4ull);
}

static uint32_t mmio_last_addr, mmio_last_val;
static unsigned mmio_last_size;
static uint32_t mmio_read(void *o, uint32_t addr, unsigned size)
{
    (void)o;
    mmio_last_addr = addr;
    mmio_last_size = size;
    return 0xC0DE0000u | (addr & 0xFFFF);
}
static void mmio_write(void *o, uint32_t addr, unsigned size, uint32_t v)
{
    (void)o;
    mmio_last_addr = addr;
    mmio_last_size = size;
    mmio_last_val = v;
}
static const MmioOps mmio_ops = { mmio_read, mmio_write };

Test(phys, mmio_through_cpu_accesses)
{
    cr_assert(phys_map_mmio(cpu->mem, 0xFEB00000u, 0x1000, &mmio_ops, NULL, "test"));
    Result r = try_read(SEG_DS, 0xFEB00010u, 4);
    cr_assert_eq(r.vec, -1);
    cr_assert_eq(r.value, 0xC0DE0010u);
    cr_assert_eq(mmio_last_size, 4);
    /* A second access still reaches the device (no host pointer cached). */
    r = try_write(SEG_DS, 0xFEB00020u, 2, 0xBEEF);
    cr_assert_eq(r.vec, -1);
    cr_assert_eq(mmio_last_addr, 0xFEB00020u);
    cr_assert_eq(mmio_last_val, 0xBEEFu);
    cr_assert_eq(mmio_last_size, 2);
}

Test(phys, a20_wraps_and_flushes_tlb)
{
    h_write32(cpu, 0x0000, 0x11111111);
    h_write32(cpu, 0x100000, 0x22222222);
    cr_assert_eq(try_read(SEG_DS, 0x100000, 4).value, 0x22222222u);
    phys_set_a20(cpu->mem, false);
    cr_assert_eq(try_read(SEG_DS, 0x100000, 4).value, 0x11111111u,
                 "with A20 off, 1 MiB aliases 0 (the TLB must not keep the old page)");
    phys_set_a20(cpu->mem, true);
    cr_assert_eq(try_read(SEG_DS, 0x100000, 4).value, 0x22222222u);
}

Test(phys, segment_limit_faults)
{
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_DATA16, 0, 0xFFFF,
                  DESC_P | DESC_S | 0x3);
    cr_assert_eq(try_read(SEG_ES, 0xFFFE, 2).vec, -1);
    Result r = try_read(SEG_ES, 0xFFFF, 2);
    cr_assert_eq(r.vec, EXC_GP);
    cr_assert_eq(r.err, 0u);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA16, 0, 0xFFFF, DESC_P | DESC_S | 0x3);
    cr_assert_eq(try_write(SEG_SS, 0x10000, 1, 0).vec, EXC_SS);
    /* Read-only data: writes #GP. */
    seg_set_cache(&cpu->seg[SEG_FS], H_SEL_DATA32, 0, 0xFFFFF, DESC_P | DESC_S | 0x1);
    cr_assert_eq(try_write(SEG_FS, 0x100, 4, 0).vec, EXC_GP);
    cr_assert_eq(try_read(SEG_FS, 0x100, 4).vec, -1);
    /* Expand-down: offsets at or below the limit fault. */
    seg_set_cache(&cpu->seg[SEG_GS], H_SEL_DATA32, 0, 0x0FFF,
                  DESC_P | DESC_S | DESC_DB | 0x7);
    cr_assert_eq(try_read(SEG_GS, 0x0FFF, 1).vec, EXC_GP);
    cr_assert_eq(try_read(SEG_GS, 0x1000, 4).vec, -1);
}

Test(paging, identity_map_sets_accessed_and_dirty)
{
    build_identity(0x7);
    enable_paging();
    h_write32(cpu, 0x7000, 0xCAFEBABE);
    Result r = try_read(SEG_DS, 0x7000, 4);
    cr_assert_eq(r.vec, -1);
    cr_assert_eq(r.value, 0xCAFEBABEu);
    cr_assert_eq(h_read32(cpu, PD) & 0x60, 0x20u, "PDE accessed, not dirty");
    cr_assert_eq(h_read32(cpu, PT + 7 * 4) & 0x60, 0x20u, "PTE accessed only after a read");
    cr_assert_eq(try_write(SEG_DS, 0x7004, 4, 1).vec, -1);
    cr_assert_eq(h_read32(cpu, PT + 7 * 4) & 0x60, 0x60u, "PTE dirty after a write");
}

Test(paging, not_present_fault_sets_cr2_and_error_code)
{
    build_identity(0x7);
    h_write32(cpu, PT + 0x123 * 4, 0);   /* page 0x123000 absent */
    enable_paging();
    Result r = try_write(SEG_DS, 0x123456, 4, 0);
    cr_assert_eq(r.vec, EXC_PF);
    cr_assert_eq(r.err, 0x2u, "not present, write, supervisor");
    cr_assert_eq(cpu->cr2, 0x123456u);
    cpu_set_cpl(cpu, 3);
    r = try_read(SEG_DS, 0x123000, 1);
    cr_assert_eq(r.err, 0x4u, "not present, read, user");
}

Test(paging, user_and_write_protection)
{
    build_identity(0x7);
    h_write32(cpu, PT + 0x50 * 4, 0x50000 | 0x1);   /* supervisor, read-only */
    h_write32(cpu, PT + 0x51 * 4, 0x51000 | 0x5);   /* user, read-only */
    enable_paging();
    /* Supervisor write to a read-only page: allowed while CR0.WP = 0. */
    cr_assert_eq(try_write(SEG_DS, 0x50000, 4, 1).vec, -1);
    cpu->cr0 |= CR0_WP;
    cpu_paging_changed(cpu);
    Result r = try_write(SEG_DS, 0x50000, 4, 1);
    cr_assert_eq(r.vec, EXC_PF);
    cr_assert_eq(r.err, 0x3u);
    cpu_set_cpl(cpu, 3);
    r = try_read(SEG_DS, 0x50000, 4);
    cr_assert_eq(r.err, 0x5u, "user read of a supervisor page");
    cr_assert_eq(try_read(SEG_DS, 0x51000, 4).vec, -1);
    r = try_write(SEG_DS, 0x51000, 4, 0);
    cr_assert_eq(r.err, 0x7u, "user write to a read-only user page");
    /* Supervisor-only accesses at CPL 3 (descriptor tables) pass. */
    cr_assert_eq(cpu_lin_read(cpu, 0x50000, 4, true), 1u);
}

Test(paging, access_crossing_into_absent_page_faults_on_second_page)
{
    build_identity(0x7);
    h_write32(cpu, PT + 0x61 * 4, 0);
    enable_paging();
    h_write32(cpu, 0x60FFC, 0x11223344);
    Result r = try_write(SEG_DS, 0x60FFE, 4, 0xAABBCCDD);
    cr_assert_eq(r.vec, EXC_PF);
    cr_assert_eq(cpu->cr2, 0x61000u);
    cr_assert_eq(h_read32(cpu, 0x60FFC), 0x11223344u, "no part of a faulting write lands");
}

Test(paging, pse_large_page)
{
    h_write32(cpu, PD, 0x7 | 0x80);                    /* 0-4 MiB, 4 MiB page */
    h_write32(cpu, PD + 4 * 4, 0x00400000u | 0x87);    /* 16 MiB -> 4 MiB */
    cpu->cr4 |= CR4_PSE;
    enable_paging();
    h_write32(cpu, 0x412345, 0x55AA55AA);
    cr_assert_eq(try_read(SEG_DS, 0x1012345, 4).value, 0x55AA55AAu);
    cr_assert_eq(try_write(SEG_DS, 0x1012345, 4, 7).vec, -1);
    cr_assert_eq(h_read32(cpu, PD + 16) & 0x60, 0x60u, "large-page PDE gets A and D");
}

Test(paging, invlpg_and_cr3_reload_respect_global)
{
    build_identity(0x7);
    h_write32(cpu, PT + 0x70 * 4, 0x70000 | 0x107);   /* global */
    h_write32(cpu, PT + 0x71 * 4, 0x71000 | 0x007);
    cpu->cr4 |= CR4_PGE;
    enable_paging();
    h_write32(cpu, 0x70000, 1);
    h_write32(cpu, 0x71000, 2);
    h_write32(cpu, 0x72000, 3);
    cr_assert_eq(try_read(SEG_DS, 0x70000, 4).value, 1u);
    cr_assert_eq(try_read(SEG_DS, 0x71000, 4).value, 2u);
    /* Remap both to 0x72000 without telling the TLB. */
    h_write32(cpu, PT + 0x70 * 4, 0x72000 | 0x107);
    h_write32(cpu, PT + 0x71 * 4, 0x72000 | 0x007);
    cpu_load_cr3(cpu, PD);
    cr_assert_eq(try_read(SEG_DS, 0x70000, 4).value, 1u, "global entry survives CR3 reload");
    cr_assert_eq(try_read(SEG_DS, 0x71000, 4).value, 3u, "non-global entry is reloaded");
    tlb_flush_page(cpu, 0x70000);
    cr_assert_eq(try_read(SEG_DS, 0x70000, 4).value, 3u, "INVLPG drops the global entry");
}

/* PAE: PDPT at 0x102000, directory at 0x103000, table at 0x104000. */
Test(paging, pae_4k_and_2m_pages)
{
    const uint32_t pdpt = 0x102000, pd = 0x103000, pt = 0x104000;
    phys_write(cpu->mem, pdpt, 8, (uint64_t)pd | 1);
    phys_write(cpu->mem, pd, 8, (uint64_t)pt | 7);              /* 0-2 MiB via a table */
    phys_write(cpu->mem, pd + 8, 8, 0x00600000ull | 0x87);      /* 2-4 MiB -> 6 MiB, 2 MiB page */
    for (uint32_t i = 0; i < 512; i++)
        phys_write(cpu->mem, pt + i * 8, 8, ((uint64_t)i << 12) | 7);
    phys_write(cpu->mem, pt + 0x10 * 8, 8, 0x0000000123456000ull | 7);   /* above 4 GiB */
    cpu->cr4 |= CR4_PAE;
    cpu->cr3 = pdpt;
    cpu->cr0 |= CR0_PG;
    cpu_paging_changed(cpu);
    h_write32(cpu, 0x612340, 0x600DF00D);
    cr_assert_eq(try_read(SEG_DS, 0x212340, 4).value, 0x600DF00Du);
    h_write32(cpu, 0x8000, 0x12121212);
    cr_assert_eq(try_read(SEG_DS, 0x8000, 4).value, 0x12121212u);
    Result r = try_read(SEG_DS, 0x10000, 4);
    cr_assert_eq(r.vec, -1);
    cr_assert_eq(r.value, 0xFFFFFFFFu, "memory above 4 GiB reads as all-ones");
    uint64_t phys;
    cr_assert(cpu_translate_debug(cpu, 0x10123, &phys));
    cr_assert_eq(phys, 0x123456123ull);
    /* Reserved bit in a PTE: #PF with RSVD. */
    phys_write(cpu->mem, pt + 0x11 * 8, 8, 0x8000000000011000ull | 7);
    r = try_read(SEG_DS, 0x11000, 4);
    cr_assert_eq(r.vec, EXC_PF);
    cr_assert_eq(r.err, 0x9u, "present + reserved");
    /* A PDPTE with reserved bits makes the CR3 load #GP. */
    phys_write(cpu->mem, pdpt + 8, 8, 0x1000ull | 1 | 4);
    Result g = { -1, 0, 0 };
    if (setjmp(cpu->fault_jmp)) {
        g.vec = cpu->fault_vec;
    } else {
        cpu_load_cr3(cpu, pdpt);
    }
    cr_assert_eq(g.vec, EXC_GP);
}

Test(paging, write_to_code_page_invalidates_only_the_code_written)
{
    /* Run a snippet, write next to it, then over it. */
    static const uint8_t code[] = { 0xF4 };   /* HLT */
    h_load(cpu, H_CODE, code, 1);
    h_run(cpu, H_CODE, 10);
    cr_assert(cpu->halted);
    cr_assert(cpu->mem->page_flags[H_CODE >> 12] & PHYS_PG_CODE);
    cr_assert_eq(try_write(SEG_DS, H_CODE + 0x100, 1, 0x90).vec, -1);
    cr_assert(cpu->mem->page_flags[H_CODE >> 12] & PHYS_PG_CODE,
              "data next to code leaves the decoded block alone");
    cr_assert_eq(h_read8(cpu, H_CODE + 0x100), 0x90u);
    cr_assert_eq(try_write(SEG_DS, H_CODE, 1, 0x90).vec, -1);
    cr_assert_eq(cpu->mem->page_flags[H_CODE >> 12] & PHYS_PG_CODE, 0,
                 "a write over the code drops the page's only block");
}

Test(paging, data_breakpoint_sets_dr6)
{
    cpu->dr[0] = 0x8002;
    cpu->dr[7] = 0x400 | 0x1 | (0x1u << 16) | (0x1u << 18);   /* L0, write, 2 bytes */
    cpu->debug_check = true;
    tlb_flush_all(cpu);
    cr_assert_eq(try_read(SEG_DS, 0x8002, 2).vec, -1);
    cr_assert_not(cpu->pending_db, "a read does not hit a write breakpoint");
    cr_assert_eq(try_write(SEG_DS, 0x8000, 4, 0).vec, -1);
    cr_assert(cpu->pending_db);
    cr_assert(cpu->dr[6] & 1);
}
