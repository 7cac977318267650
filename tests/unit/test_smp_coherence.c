/* SPDX-License-Identifier: MIT */
/* Two CPUs on one memory (-smp): a write by one CPU into code the other
 * has decoded reaches the other's block cache, even through a write TLB
 * entry cached before the code was decoded; the page stays protected while
 * either CPU still holds code there; freeing a CPU leaves the other whole. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/cpu_harness.h"

static Cpu *bsp, *ap;

/* The AP in the harness's flat protected mode, on the BSP's memory. */
static void setup(void)
{
    bsp = h_cpu_new(1, true);
    ap = cpu_new(bsp->mem, bsp->io);
    cr_assert_not_null(ap);
    ap->cr0 = bsp->cr0;
    memcpy(ap->seg, bsp->seg, sizeof ap->seg);
    ap->gdtr = bsp->gdtr;
    ap->idtr = bsp->idtr;
    ap->code32 = bsp->code32;
    ap->stack32 = bsp->stack32;
    ap->gpr[R_ESP] = 0x80000;
    cpu_set_cpl(ap, 0);
}

static void teardown(void)
{
    cpu_free(ap);
    h_cpu_free(bsp);
}

TestSuite(smp_coherence, .init = setup, .fini = teardown);

static const uint8_t code_a[] = { 0xB8, 0x11, 0x11, 0x11, 0x11, 0xF4 };   /* mov eax, imm; hlt */
/* mov dword [0x10800], 5; hlt */
static const uint8_t touch_page[] = { 0xC7, 0x05, 0x00, 0x08, 0x01, 0x00, 0x05, 0, 0, 0, 0xF4 };
/* mov byte [0x10001], 0x77; hlt */
static const uint8_t patch_imm[] = { 0xC6, 0x05, 0x01, 0x00, 0x01, 0x00, 0x77, 0xF4 };

Test(smp_coherence, write_through_a_stale_tlb_entry_invalidates_the_other_cpu)
{
    h_load(bsp, 0x10000, code_a, sizeof code_a);
    h_load(bsp, 0x20000, touch_page, sizeof touch_page);
    h_load(bsp, 0x20100, patch_imm, sizeof patch_imm);
    h_run(ap, 0x20000, 100);         /* the AP's write TLB now maps the page */
    h_run(bsp, 0x10000, 100);        /* the BSP decodes code there */
    cr_assert_eq(bsp->gpr[R_EAX], 0x11111111u);
    h_run(ap, 0x20100, 100);         /* the AP patches the immediate */
    cr_assert_eq(h_read8(bsp, 0x10001), 0x77);
    h_run(bsp, 0x10000, 100);
    cr_assert_eq(bsp->gpr[R_EAX], 0x11111177u, "the BSP ran its stale block");
}

Test(smp_coherence, page_stays_code_while_any_cpu_holds_code)
{
    h_load(bsp, 0x10000, code_a, sizeof code_a);
    h_load(bsp, 0x10100, code_a, sizeof code_a);
    h_run(bsp, 0x10000, 100);
    h_run(ap, 0x10100, 100);
    uint32_t pg = 0x10000 >> PHYS_PAGE_SHIFT;
    cr_assert(bsp->mem->page_flags[pg] & PHYS_PG_CODE);
    /* The BSP's block goes (a write on its line); the AP's does not. */
    h_write32(bsp, 0x10004, 0xF4222222);
    cr_assert(bsp->mem->page_flags[pg] & PHYS_PG_CODE, "the AP still has code in the page");
    h_load(bsp, 0x10101, "\x33\x33\x33\x33", 4);
    h_run(ap, 0x10100, 100);
    cr_assert_eq(ap->gpr[R_EAX], 0x33333333u);
}

Test(smp_coherence, freeing_a_cpu_keeps_the_other_hooked)
{
    cpu_free(ap);
    ap = NULL;
    h_load(bsp, 0x10000, code_a, sizeof code_a);
    h_run(bsp, 0x10000, 100);
    h_load(bsp, 0x10001, "\x44\x44\x44\x44", 4);
    h_run(bsp, 0x10000, 100);
    cr_assert_eq(bsp->gpr[R_EAX], 0x44444444u);
}
