/* SPDX-License-Identifier: MIT */
/* Hardware task switches (cpu/task.c): JMP, CALL/IRET and task gates with
 * 32-bit and 16-bit TSSs, busy bits, NT and the back link, error codes
 * pushed for exceptions through task gates, faults before and after the
 * commit point, a switch into a V86 task. */
#include <criterion/criterion.h>
#include <setjmp.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

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

#define HLT 0xF4
#define IRET 0xCF

/* The second task */
#define SEL_TSS2 0x40        /* 32-bit TSS at TSS2_BASE */
#define SEL_TSS2_SHORT 0x48  /* the same TSS with limit 0x50 */
#define SEL_TSS16 0x50       /* 16-bit TSS at TSS16_BASE */
#define SEL_TSS_NP 0x58      /* not present */
#define SEL_RO 0x60          /* read-only data */
#define SEL_LDT 0x68         /* an LDT at 0x7800 */
#define TSS2_BASE 0x6000u
#define TSS16_BASE 0x6800u
#define TASK2_EIP 0x21000u
#define TASK2_ESP 0x70000u

static void set_idt_task_gate(unsigned vec, uint16_t tss_sel)
{
    h_write32(cpu, H_IDT_BASE + vec * 8, (uint32_t)tss_sel << 16);
    h_write32(cpu, H_IDT_BASE + vec * 8 + 4, 0x8000u | (3u << 13) | (0x5u << 8));
}

static void write_tss2(void)
{
    for (unsigned i = 0; i < 0x68; i += 4)
        h_write32(cpu, TSS2_BASE + i, 0);
    h_write32(cpu, TSS2_BASE + 0x20, TASK2_EIP);
    h_write32(cpu, TSS2_BASE + 0x24, 0x2);
    for (unsigned r = 0; r < 8; r++)
        h_write32(cpu, TSS2_BASE + 0x28 + r * 4, 0xA0 + r);
    h_write32(cpu, TSS2_BASE + 0x38, TASK2_ESP);
    static const uint16_t sels[6] = { H_SEL_DATA32, H_SEL_CODE32, H_SEL_DATA32,
                                      H_SEL_DATA32, H_SEL_DATA32, H_SEL_DATA32 };
    for (unsigned s = 0; s < 6; s++)
        h_write32(cpu, TSS2_BASE + 0x48 + s * 4, sels[s]);
    h_write32(cpu, TSS2_BASE + 0x64, 0x68u << 16);
}

static void write_tss16(void)
{
    static const uint16_t words[] = {
        0, 0, 0, 0, 0, 0, 0,            /* link, SP0..SS2 */
        0x1000, 0x0002,                 /* IP, FLAGS */
        0x1111, 0x2222, 0x3333, 0x4444, /* AX CX DX BX */
        0x7000, 0x5555, 0x6666, 0x7777, /* SP BP SI DI */
        H_SEL_DATA16, H_SEL_CODE16, H_SEL_DATA16, H_SEL_DATA16, /* ES CS SS DS */
        0,                              /* LDT */
    };
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++) {
        uint32_t at = TSS16_BASE + i * 2;
        uint32_t old = h_read32(cpu, at & ~3u);
        uint32_t sh = (at & 2) * 8;
        h_write32(cpu, at & ~3u, (old & ~(0xFFFFu << sh)) | ((uint32_t)words[i] << sh));
    }
}

static void setup(void)
{
    cpu = h_cpu_new(4, true);
    h_set_gdt(cpu, 8, TSS2_BASE, 0x67, DESC_P | 0x9);
    h_set_gdt(cpu, 9, TSS2_BASE, 0x50, DESC_P | 0x9);
    h_set_gdt(cpu, 10, TSS16_BASE, 0x2B, DESC_P | 0x1);
    h_set_gdt(cpu, 11, TSS2_BASE, 0x67, 0x9);
    h_set_gdt(cpu, 12, 0, 0xFFFFF, DESC_P | DESC_S | 0x1);
    h_set_gdt(cpu, 13, 0x7800, 0xF, DESC_P | 0x2);
    cpu->gdtr.limit = 14 * 8 - 1;
    write_tss2();
    write_tss16();
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

TestSuite(task, .init = setup, .fini = teardown);

static unsigned gdt_type(uint16_t sel)
{
    return (h_read32(cpu, H_GDT_BASE + (sel & ~7u) + 4) >> 8) & 0xF;
}

static void load_code(uint32_t addr, const uint8_t *code, size_t len)
{
    h_load(cpu, addr, code, len);
}

Test(task, jmp_to_32bit_tss)
{
    cpu->gpr[R_EAX] = 0x1234;
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0x10007)), -1);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS2);
    cr_assert_eq(cpu->seg[SEG_TR].flags & DESC_TYPE_MASK, 0xB);
    cr_assert_eq(gdt_type(SEL_TSS2), 0xB, "new TSS busy");
    cr_assert_eq(gdt_type(H_SEL_TSS), 0x9, "old TSS available after JMP");
    cr_assert_eq(cpu->eip, TASK2_EIP);
    cr_assert_eq(cpu->gpr[R_EAX], 0xA0);
    cr_assert_eq(cpu->gpr[R_EDI], 0xA7);
    cr_assert_eq(cpu->gpr[R_ESP], TASK2_ESP);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE32);
    cr_assert(cpu->cr0 & CR0_TS);
    cr_assert_eq(h_eflags(cpu) & FLAG_NT, 0);
    cr_assert_eq(h_read32(cpu, TSS2_BASE) & 0xFFFF, 0, "JMP leaves no back link");
    /* The outgoing state went to the old TSS. */
    cr_assert_eq(h_read32(cpu, H_TSS_BASE + 0x20), 0x10007);
    cr_assert_eq(h_read32(cpu, H_TSS_BASE + 0x28), 0x1234);
    cr_assert_eq(h_read32(cpu, H_TSS_BASE + 0x38), 0x90000);
    cr_assert_eq(h_read32(cpu, H_TSS_BASE + 0x4C) & 0xFFFF, H_SEL_CODE32);
    /* The new task runs. */
    static const uint8_t code[] = { HLT };
    load_code(TASK2_EIP, code, sizeof code);
    h_run(cpu, cpu->eip, 10);
    cr_assert(cpu->halted);
    cr_assert_eq(cpu->eip, TASK2_EIP + 1);
}

Test(task, call_and_iret_nest_and_return)
{
    static const uint8_t task2_code[] = { IRET, HLT };
    static const uint8_t task1_code[] = { HLT };
    load_code(TASK2_EIP, task2_code, sizeof task2_code);
    load_code(0x10007, task1_code, sizeof task1_code);
    cpu->gpr[R_EAX] = 0x1234;
    cr_assert_eq(TRY(cpu_far_call(cpu, SEL_TSS2, 0, true, 0x10007)), -1);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS2);
    cr_assert_eq(gdt_type(SEL_TSS2), 0xB);
    cr_assert_eq(gdt_type(H_SEL_TSS), 0xB, "the caller stays busy");
    cr_assert(h_eflags(cpu) & FLAG_NT);
    cr_assert_eq(h_read32(cpu, TSS2_BASE) & 0xFFFF, H_SEL_TSS, "back link");
    /* IRET with NT: back to the caller after the CALL. */
    h_run(cpu, cpu->eip, 10);
    cr_assert(cpu->halted);
    cr_assert_eq(cpu->eip, 0x10008);
    cr_assert_eq(cpu->seg[SEG_TR].sel, H_SEL_TSS);
    cr_assert_eq(gdt_type(SEL_TSS2), 0x9, "the returning task is no longer busy");
    cr_assert_eq(gdt_type(H_SEL_TSS), 0xB);
    cr_assert_eq(cpu->gpr[R_EAX], 0x1234);
    cr_assert_eq(h_eflags(cpu) & FLAG_NT, 0);
    /* Task 2's TSS: resumes after its IRET, NT clear in its saved EFLAGS. */
    cr_assert_eq(h_read32(cpu, TSS2_BASE + 0x20), TASK2_EIP + 1);
    cr_assert_eq(h_read32(cpu, TSS2_BASE + 0x24) & FLAG_NT, 0);
}

Test(task, int_through_task_gate_and_back)
{
    static const uint8_t task2_code[] = { IRET };
    static const uint8_t main_code[] = { 0xCD, 0x50, HLT };
    load_code(TASK2_EIP, task2_code, sizeof task2_code);
    set_idt_task_gate(0x50, SEL_TSS2);
    h_load(cpu, H_CODE, main_code, sizeof main_code);
    h_run(cpu, H_CODE, 100);
    cr_assert(cpu->halted);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->eip, H_CODE + 3);
    cr_assert_eq(cpu->seg[SEG_TR].sel, H_SEL_TSS);
    cr_assert_eq(gdt_type(SEL_TSS2), 0x9);
}

Test(task, exception_through_task_gate_pushes_error_code)
{
    static const uint8_t task2_code[] = { HLT };
    static const uint8_t main_code[] = { 0xCD, 0x51 };
    load_code(TASK2_EIP, task2_code, sizeof task2_code);
    set_idt_task_gate(EXC_NP, SEL_TSS2);
    h_write32(cpu, H_IDT_BASE + 0x51 * 8 + 4, 0x0000EE00u & ~0x8000u);   /* not present */
    h_load(cpu, H_CODE, main_code, sizeof main_code);
    h_run(cpu, H_CODE, 100);
    cr_assert(cpu->halted);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS2);
    cr_assert_eq(cpu->eip, TASK2_EIP + 1);
    cr_assert_eq(cpu->gpr[R_ESP], TASK2_ESP - 4);
    cr_assert_eq(h_read32(cpu, TASK2_ESP - 4), 0x51 * 8 + 2);
    cr_assert(h_eflags(cpu) & FLAG_NT);
    /* The faulting task resumes at the INT. */
    cr_assert_eq(h_read32(cpu, H_TSS_BASE + 0x20), H_CODE);
}

Test(task, busy_and_bad_tss_faults)
{
    /* The current (busy) TSS */
    cr_assert_eq(TRY(cpu_far_jump(cpu, H_SEL_TSS, 0, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, H_SEL_TSS);
    cr_assert_eq(TRY(cpu_far_call(cpu, H_SEL_TSS, 0, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, H_SEL_TSS);
    /* Limit below 0x67 */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2_SHORT, 0, true, 0)), EXC_TS);
    cr_assert_eq(cpu->fault_err, SEL_TSS2_SHORT);
    /* Not present */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS_NP, 0, true, 0)), EXC_NP);
    cr_assert_eq(cpu->fault_err, SEL_TSS_NP);
    /* TSS DPL 0 from CPL 3 */
    seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu,
                        DESC_G | DESC_DB | DESC_P | DESC_S | 0xB | (3 << DESC_DPL_SHIFT), 3);
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2 | 3, 0, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, SEL_TSS2);
    /* Nothing changed. */
    cr_assert_eq(cpu->seg[SEG_TR].sel, H_SEL_TSS);
    cr_assert_eq(gdt_type(H_SEL_TSS), 0xB);
    cr_assert_eq(gdt_type(SEL_TSS2), 0x9);
}

Test(task, iret_with_nt_needs_a_busy_back_link)
{
    flags_write(cpu, FLAG_NT, FLAG_NT);
    h_write32(cpu, H_TSS_BASE, SEL_TSS2);   /* available, not busy */
    cr_assert_eq(TRY(cpu_iret(cpu, true)), EXC_TS);
    cr_assert_eq(cpu->fault_err, SEL_TSS2);
    h_write32(cpu, H_TSS_BASE, 0x0004);     /* LDT selector */
    cr_assert_eq(TRY(cpu_iret(cpu, true)), EXC_TS);
    cr_assert_eq(cpu->fault_err, 0x0004);
}

Test(task, fault_after_commit_belongs_to_the_new_task)
{
    h_write32(cpu, TSS2_BASE + 0x50, SEL_RO);   /* SS: read-only data */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0x10007)), EXC_TS);
    cr_assert_eq(cpu->fault_err, SEL_RO);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS2);
    cr_assert_eq(cpu->eip, TASK2_EIP);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE32);
    cr_assert_eq(cpu->seg[SEG_SS].sel, SEL_RO);
    cr_assert_eq(gdt_type(H_SEL_TSS), 0x9);
}

Test(task, bad_ldt_in_new_task_is_ts)
{
    h_write32(cpu, TSS2_BASE + 0x60, H_SEL_DATA32);   /* not an LDT */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0)), EXC_TS);
    cr_assert_eq(cpu->fault_err, H_SEL_DATA32);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS2);
    /* Checked at CPL 3, so the #TS gets a stack from the new TSS. */
    cr_assert_eq(cpu->cpl, 3);
}

Test(task, new_task_ldt_is_loaded)
{
    h_write32(cpu, TSS2_BASE + 0x60, SEL_LDT);
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0)), -1);
    cr_assert_eq(cpu->seg[SEG_LDTR].sel, SEL_LDT);
    cr_assert_eq(cpu->seg[SEG_LDTR].base, 0x7800);
    cr_assert_eq(cpu->seg[SEG_LDTR].limit, 0xF);
    cr_assert_eq(cpu->cpl, 0);
}

Test(task, jmp_to_16bit_tss)
{
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS16, 0, true, 0x10007)), -1);
    cr_assert_eq(cpu->seg[SEG_TR].sel, SEL_TSS16);
    cr_assert_eq(gdt_type(SEL_TSS16), 0x3);
    cr_assert_eq(cpu->eip, 0x1000);
    cr_assert_eq(cpu->gpr[R_EAX], 0xFFFF1111u);
    cr_assert_eq(cpu->gpr[R_ESP] & 0xFFFF, 0x7000);
    cr_assert_eq(cpu->gpr[R_EDI] & 0xFFFF, 0x7777);
    cr_assert(!cpu->code32);
    cr_assert(!cpu->stack32);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE16);
    cr_assert_eq(cpu->seg[SEG_FS].sel, 0);
    cr_assert_eq(cpu->seg[SEG_GS].sel, 0);
}

Test(task, switch_into_a_v86_task)
{
    h_write32(cpu, TSS2_BASE + 0x20, 0x0100);
    h_write32(cpu, TSS2_BASE + 0x24, FLAG_VM | FLAG_IF | 0x2);
    h_write32(cpu, TSS2_BASE + 0x38, 0xFFFE);
    for (unsigned s = 0; s < 6; s++)
        h_write32(cpu, TSS2_BASE + 0x48 + s * 4, 0x1000 + s * 0x100);
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0)), -1);
    cr_assert(cpu_v86(cpu));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->eip, 0x100);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x11000);
    cr_assert_eq(cpu->seg[SEG_SS].base, 0x12000);
    cr_assert_eq(cpu->seg[SEG_GS].base, 0x15000);
    cr_assert_eq(cpu->seg[SEG_DS].limit, 0xFFFF);
    cr_assert(!cpu->code32);
}

Test(task, local_breakpoint_enables_cleared)
{
    cpu->dr[7] = 0x400 | 0x3;   /* L0 G0 */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_TSS2, 0, true, 0)), -1);
    cr_assert_eq(cpu->dr[7] & 0xFF, 0x2);
}
