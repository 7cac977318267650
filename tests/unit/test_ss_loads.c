/* SPDX-License-Identifier: MIT */
/* Instructions that load SS and move ESP: the stack pointer moves by the
 * size of the stack it was read from or written to, never by the size of a
 * stack segment loaded in the same instruction (an independent test suite
 * found POP SS wrapping ESP by the new SS.B). */
#include <criterion/criterion.h>
#include <setjmp.h>

#include "cpu/seg.h"
#include "memory/phys.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

static void setup(void) { cpu = h_cpu_new(4, true); }
static void teardown(void) { h_cpu_free(cpu); }

TestSuite(ss_loads, .init = setup, .fini = teardown);

static const uint16_t data16 = DESC_P | DESC_S | 0x3;

static void stack16(uint32_t esp)
{
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA16, 0, 0xFFFF, data16);
    cpu->stack32 = false;
    cpu->gpr[R_ESP] = esp;
}

static void write16(uint32_t phys, uint16_t v)
{
    phys_write_block(cpu->mem, phys, &v, 2);
}

static void run(const uint8_t *code, size_t len)
{
    h_load(cpu, H_CODE, code, len);
    h_run(cpu, H_CODE, 10);
    cr_assert_eq(h_last_exception(cpu), -1, "exception %d", h_last_exception(cpu));
}

/* The suite's case: 32-bit POP SS on a 16-bit stack naming a 32-bit
 * segment. SP wraps 0xFFFC + 4 -> 0x0000 within the old stack. */
Test(ss_loads, pop_ss_32_from_16bit_stack_wraps_sp)
{
    static const uint8_t code[] = { 0x17, 0xF4 };   /* pop ss; hlt */
    stack16(0x0002FFFCu);
    h_write32(cpu, 0xFFFC, H_SEL_DATA32);
    run(code, sizeof code);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_DATA32);
    cr_assert(cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x00020000u, "ESP %08x", cpu->gpr[R_ESP]);
}

/* The reverse: a 16-bit POP SS on a 32-bit stack naming a 16-bit segment
 * adds 2 to the whole ESP (a 16-bit increment would give 0x00010000). */
Test(ss_loads, pop_ss_16_from_32bit_stack_moves_whole_esp)
{
    static const uint8_t code[] = { 0x66, 0x17, 0xF4 };   /* o16 pop ss; hlt */
    cpu->gpr[R_ESP] = 0x0001FFFEu;
    write16(0x1FFFE, H_SEL_DATA16);
    run(code, sizeof code);
    cr_assert(!cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x00020000u, "ESP %08x", cpu->gpr[R_ESP]);
}

/* POP DS on a 16-bit stack keeps ESP's upper half. */
Test(ss_loads, pop_ds_on_16bit_stack_keeps_upper_half)
{
    static const uint8_t code[] = { 0x1F, 0xF4 };   /* pop ds; hlt */
    stack16(0x0002FFFCu);
    h_write32(cpu, 0xFFFC, H_SEL_DATA32);
    run(code, sizeof code);
    cr_assert_eq(cpu->gpr[R_ESP], 0x00020000u, "ESP %08x", cpu->gpr[R_ESP]);
}

/* A faulting POP SS leaves ESP alone (the instruction restarts). */
Test(ss_loads, faulting_pop_ss_keeps_esp)
{
    static const uint8_t code[] = { 0x17, 0xF4 };
    stack16(0x0002FFFCu);
    h_write32(cpu, 0xFFFC, H_SEL_CODE32);   /* not a writable data segment */
    h_load(cpu, H_CODE, code, sizeof code);
    h_run(cpu, H_CODE, 10);
    cr_assert_eq(h_last_exception(cpu), EXC_GP);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_DATA16);
    cr_assert(!cpu->stack32);
}

/* MOV SS changes no stack pointer, whatever the sizes. */
Test(ss_loads, mov_ss_leaves_esp)
{
    static const uint8_t code[] = { 0x8E, 0xD0, 0xF4 };   /* mov ss, ax; hlt */
    stack16(0x0002FFFCu);
    cpu->gpr[R_EAX] = H_SEL_DATA32;
    run(code, sizeof code);
    cr_assert(cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x0002FFFCu);
}

/* LSS ESP, m16:32 writes the whole offset, from a 16-bit stack to a
 * 32-bit one; LSS SP, m16:16 writes only SP. */
Test(ss_loads, lss_writes_the_register_by_operand_size)
{
    static const uint8_t code32[] = { 0x0F, 0xB2, 0x25, 0x00, 0x50, 0x00, 0x00, 0xF4 };
    stack16(0x0002FFFCu);
    h_write32(cpu, 0x5000, 0x00123458u);
    write16(0x5004, H_SEL_DATA32);
    run(code32, sizeof code32);
    cr_assert(cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x00123458u);

    static const uint8_t code16[] = { 0x66, 0x0F, 0xB2, 0x25, 0x00, 0x60, 0x00, 0x00, 0xF4 };
    cpu->gpr[R_ESP] = 0xABCD0000u;
    write16(0x6000, 0x1234);
    write16(0x6002, H_SEL_DATA16);
    run(code16, sizeof code16);
    cr_assert(!cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0xABCD1234u);
}

/* Run a far transfer of the CPU's API; the vector it faulted with, or -1. */
#define TRY(stmt)                                   \
    ({                                              \
        volatile int v_ = -1;                       \
        if (setjmp(cpu->fault_jmp) == 0) {          \
            stmt;                                   \
        } else {                                    \
            v_ = cpu->fault_vec;                    \
            cpu->exc_depth = 0;                     \
        }                                           \
        v_;                                         \
    })

#define SEL_UDATA16 (9 << 3 | 3)

/* A ring-3 16-bit stack segment, and a ring-0 32-bit stack whose ESP has a
 * non-zero upper half. */
static void outer_16bit_stack(void)
{
    cpu->gdtr.limit = 0xFF;
    h_set_gdt(cpu, 9, 0, 0xFFFF, DESC_P | DESC_S | 0x3 | (3 << DESC_DPL_SHIFT));
    cpu->gpr[R_ESP] = 0x00090000u - 16;
}

/* RETF to an outer level loads SS:ESP from the inner stack; a 16-bit
 * outer stack takes only SP (the upper half stays, as the hardware leaves
 * it), and RETF imm16 moves SP within the new 16-bit stack. */
Test(ss_loads, retf_to_a_16bit_outer_stack)
{
    outer_16bit_stack();
    uint32_t sp = cpu->gpr[R_ESP];
    h_write32(cpu, sp, 0x1000);
    h_write32(cpu, sp + 4, H_SEL_UCODE32);
    h_write32(cpu, sp + 8 + 0x20, 0x0001FFF0u);   /* ESP after the 0x20 parameter bytes */
    h_write32(cpu, sp + 12 + 0x20, SEL_UDATA16);
    cr_assert_eq(TRY(cpu_far_return(cpu, true, 0x20)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_SS].sel, SEL_UDATA16);
    cr_assert(!cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x00080010u, "ESP %08x", cpu->gpr[R_ESP]);
}

/* IRET to an outer level the same way. */
Test(ss_loads, iret_to_a_16bit_outer_stack)
{
    outer_16bit_stack();
    uint32_t sp = cpu->gpr[R_ESP];
    h_write32(cpu, sp, 0x1000);
    h_write32(cpu, sp + 4, H_SEL_UCODE32);
    h_write32(cpu, sp + 8, 0x202);
    h_write32(cpu, sp + 12, 0x0001FFF0u);
    h_write32(cpu, sp + 16, SEL_UDATA16);
    cr_assert_eq(TRY(cpu_iret(cpu, true)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert(!cpu->stack32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x0008FFF0u, "ESP %08x", cpu->gpr[R_ESP]);
}

/* An interrupt at the same level on a 16-bit stack (32-bit gate) pushes
 * with SP wrapping inside the 16-bit stack, ESP's upper half kept. */
Test(ss_loads, interrupt_on_a_16bit_stack_wraps_sp)
{
    static const uint8_t code[] = { 0xCD, 0x30 };   /* int 0x30 -> the stub's HLT */
    stack16(0x00020004u);
    h_load(cpu, H_CODE, code, sizeof code);
    h_run(cpu, H_CODE, 10);
    cr_assert_eq(h_last_exception(cpu), 0x30);
    cr_assert_eq(cpu->gpr[R_ESP], 0x0002FFF8u, "ESP %08x", cpu->gpr[R_ESP]);
}
