/* SPDX-License-Identifier: MIT */
/* Direct block links (block_chain, cpu/icache.h): a block's exit enters
 * the next block without the loop, yet every run still ends exactly at
 * its instruction count, and code rewritten behind a link runs anew. */
#include "cpu/icache.h"
#include "tests/unit/flow_util.h"

TestSuite(block_links, .init = setup_pm, .fini = teardown);

/* l: inc eax; jmp l — a block linked to itself. Every run stops at its
 * count exactly, whether the count ends on a block boundary or inside. */
Test(block_links, a_linked_loop_stops_at_the_exact_count)
{
    const uint8_t code[] = { 0x40, 0xEB, 0xFD };
    uint32_t at = next_addr();
    h_load(cpu, at, code, sizeof code);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(h_run(cpu, at - cpu->seg[SEG_CS].base, 100000), 100000u);
    cr_assert_eq(cpu->gpr[R_EAX], 50000u);
    cr_assert_eq(cpu->eip, at - cpu->seg[SEG_CS].base);
    cr_assert_eq(cpu_run(cpu, 1001), 1001u);   /* ends after an INC */
    cr_assert_eq(cpu->gpr[R_EAX], 50501u);
    cr_assert_eq(cpu->eip, at + 1 - cpu->seg[SEG_CS].base);
    cr_assert_eq(cpu_run(cpu, 7), 7u);
    cr_assert_eq(cpu->gpr[R_EAX], 50504u);
}

/* mov ecx,3; loop: jmp B; B: inc eax; jmp C; C: mov byte [B],0x43 (inc ebx);
 * dec ecx; jnz loop; hlt. The first pass rewrites B, which the loop's
 * block is linked to: the next passes must run the new B. */
Test(block_links, code_rewritten_behind_a_link_runs_anew)
{
    uint32_t at = next_addr(), b = at + 0x10, c = at + 0x80;
    const uint8_t head[] = { 0xB9, D32(3), 0xEB, 0x09 };               /* at, at+5: jmp B */
    const uint8_t blk_b[] = { 0x40, 0xEB, 0x6D };                      /* B: inc eax; jmp C */
    const uint8_t blk_c[] = { 0xC6, 0x05, D32(b), 0x43, 0x49,          /* C */
                              0x0F, 0x85, D32((uint32_t)(5 - 0x8E)), HLT };
    h_load(cpu, at, head, sizeof head);
    h_load(cpu, b, blk_b, sizeof blk_b);
    h_load(cpu, c, blk_c, sizeof blk_c);
    cpu->gpr[R_EAX] = cpu->gpr[R_EBX] = 0;
    uint64_t n = h_run(cpu, at - cpu->seg[SEG_CS].base, 1000);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 1u);
    cr_assert_eq(cpu->gpr[R_EBX], 2u);
    cr_assert_eq(cpu->gpr[R_ECX], 0u);
    /* A halted CPU's wait counts as idle instructions up to the stop. */
    cr_assert_eq(n - cpu->idle_insns, 1u + 3 * 6 + 1, "MOV, three passes of six, HLT: %llu",
                 (unsigned long long)(n - cpu->idle_insns));
}

/* The chain's stack guard: deeper than BLOCK_CHAIN_STACK below where the
 * loop started it, a link goes back to the loop (debug builds, no tail
 * calls); above it, it never fires. */
Test(block_links, the_chain_stops_when_its_stack_runs_out)
{
    cpu->chain_sp_floor = host_sp() - BLOCK_CHAIN_STACK;
    cr_assert_not(block_chain_deep(cpu));
    cpu->chain_sp_floor = host_sp() + 4096;
    cr_assert(block_chain_deep(cpu));
    /* The loop resets the floor itself: a run still links and counts. */
    const uint8_t code[] = { 0x40, 0xEB, 0xFD };
    uint32_t at = next_addr();
    h_load(cpu, at, code, sizeof code);
    cpu->gpr[R_EAX] = 0;
    cr_assert_eq(h_run(cpu, at - cpu->seg[SEG_CS].base, 1000), 1000u);
    cr_assert_eq(cpu->gpr[R_EAX], 500u);
}
