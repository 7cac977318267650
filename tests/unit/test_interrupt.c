/* SPDX-License-Identifier: MIT */
/* Interrupt and exception delivery (cpu/interrupt.c) and IRET
 * (cpu/farxfer.c): real mode, interrupt and trap gates with a privilege
 * change, error codes with selectors and the EXT bit, double and triple
 * faults, V86 mode entry/exit and VME redirection, code breakpoints.
 *
 * Snippets use only INT, IRET and HLT; the harness IDT sends every vector
 * to a ring-0 HLT stub (32-bit interrupt gates, DPL 3), so the vector that
 * stopped the CPU and its stack frame tell what was delivered. */
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

#define DPL(n) ((n) << DESC_DPL_SHIFT)
#define USER_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xB | DPL(3))
#define USER_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3 | DPL(3))
#define HLT 0xF4
#define IRET 0xCF
#define INT(n) 0xCD, (n)
#define ESP0 0x9F000u

/* Gate types */
#define INTGATE32 0xE
#define TRAPGATE32 0xF
#define INTGATE16 0x6

/* Extra GDT entries */
#define SEL_CODE_NP 0x40     /* code DPL 0, not present */
#define SEL_RO 0x48          /* read-only data */
#define SEL_DATA_NP 0x50     /* read/write data, not present */

static void set_idt(unsigned vec, uint16_t sel, uint32_t off, unsigned type, unsigned dpl,
                    bool present)
{
    h_write32(cpu, H_IDT_BASE + vec * 8, ((uint32_t)sel << 16) | (off & 0xFFFF));
    h_write32(cpu, H_IDT_BASE + vec * 8 + 4, (off & 0xFFFF0000u) | (present ? 0x8000u : 0) |
                                                 (dpl << 13) | (type << 8));
}

static void setup_pm(void)
{
    cpu = h_cpu_new(4, true);
    h_set_gdt(cpu, 8, 0, 0xFFFFF, DESC_S | 0xB);
    h_set_gdt(cpu, 9, 0, 0xFFFFF, DESC_P | DESC_S | 0x1);
    h_set_gdt(cpu, 10, 0, 0xFFFFF, DESC_S | 0x3);
    cpu->gdtr.limit = 11 * 8 - 1;
}

static void setup_rm(void)
{
    cpu = h_cpu_new(4, false);
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

TestSuite(intr, .init = setup_pm, .fini = teardown);
TestSuite(intr_real, .init = setup_rm, .fini = teardown);

static void enter_user(void)
{
    seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu, USER_CODE, 3);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    cpu->stack32 = true;
    cpu->gpr[R_ESP] = 0x80000;
}

/* Load code at addr and run it from there (CS base 0 or real-mode CS 0). */
static int run_code(uint32_t addr, const uint8_t *code, size_t len)
{
    h_load(cpu, addr, code, len);
    h_run(cpu, addr - cpu->seg[SEG_CS].base, 1000);
    return h_last_exception(cpu);
}
#define RUN_AT(addr, ...) \
    ({ static const uint8_t c_[] = { __VA_ARGS__ }; run_code((addr), c_, sizeof c_); })

static uint32_t stack32(unsigned i)
{
    return h_read32(cpu, cpu->seg[SEG_SS].base + cpu->gpr[R_ESP] + i * 4);
}

static void set_flags(uint32_t set, uint32_t clear)
{
    flags_write(cpu, set, set | clear);
}

/* ---------------- real mode ---------------- */

Test(intr_real, int_pushes_flags_cs_ip_and_clears_if)
{
    set_flags(FLAG_IF | FLAG_CF, 0);
    cr_assert_eq(RUN_AT(0x5000, INT(0x21), HLT), 0x21);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x0300);
    cr_assert_eq(cpu->gpr[R_ESP] & 0xFFFF, 0x8000 - 6);
    uint32_t sp = cpu->gpr[R_ESP] & 0xFFFF;
    cr_assert_eq(h_read32(cpu, sp) & 0xFFFF, 0x5002);        /* IP */
    cr_assert_eq(h_read32(cpu, sp + 2) & 0xFFFF, 0x0000);    /* CS */
    uint32_t fl = h_read32(cpu, sp + 4) & 0xFFFF;
    cr_assert(fl & FLAG_IF);
    cr_assert(fl & FLAG_CF);
    cr_assert_eq(h_eflags(cpu) & FLAG_IF, 0);
}

Test(intr_real, int_and_iret_round_trip)
{
    h_write32(cpu, 0x22 * 4, 0x6000);   /* 0000:6000 */
    static const uint8_t handler[] = { IRET };
    h_load(cpu, 0x6000, handler, sizeof handler);
    set_flags(FLAG_IF, 0);
    cr_assert_eq(RUN_AT(0x5000, INT(0x22), HLT), -1);
    cr_assert_eq(cpu->eip, 0x5003);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000);
    cr_assert(h_eflags(cpu) & FLAG_IF);
}

Test(intr_real, ivt_limit_exceeded_is_triple_fault)
{
    /* LIDT with limit 0: INT -> #GP -> #DF -> shutdown. */
    cpu->idtr.limit = 0;
    RUN_AT(0x5000, INT(0x21), HLT);
    cr_assert(cpu->triple_fault);
}

/* ---------------- protected mode gates ---------------- */

Test(intr, interrupt_gate_from_cpl3_and_iret_back)
{
    static const uint8_t handler[] = { IRET };
    h_load(cpu, 0x20000, handler, sizeof handler);
    set_idt(0x40, H_SEL_CODE32, 0x20000, INTGATE32, 3, true);
    enter_user();
    set_flags(FLAG_IF, 0);
    cr_assert_eq(RUN_AT(H_CODE, INT(0x40), INT(0x41)), 0x41);
    /* 0x41 arrived from ring 3 after the IRET: a full inter-level frame. */
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->gpr[R_ESP], ESP0 - 20);
    cr_assert_eq(stack32(0), H_CODE + 4);
    cr_assert_eq(stack32(1), H_SEL_UCODE32);
    cr_assert(stack32(2) & FLAG_IF);
    cr_assert_eq(stack32(3), 0x80000);   /* the IRET restored the user ESP */
    cr_assert_eq(stack32(4), H_SEL_UDATA32);
    cr_assert_eq(h_eflags(cpu) & FLAG_IF, 0);   /* interrupt gate */
}

Test(intr, trap_gate_keeps_if)
{
    static const uint8_t handler[] = { HLT, IRET };
    h_load(cpu, 0x20000, handler, sizeof handler);
    set_idt(0x40, H_SEL_CODE32, 0x20000, TRAPGATE32, 3, true);
    enter_user();
    set_flags(FLAG_IF, 0);
    RUN_AT(H_CODE, INT(0x40), INT(0x41));
    cr_assert(cpu->halted);
    cr_assert_eq(cpu->eip, 0x20001);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert(h_eflags(cpu) & FLAG_IF, "trap gate must not clear IF");
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_DATA32);
    cr_assert_eq(stack32(0), H_CODE + 2);
    /* Resume the handler: IRET to ring 3, which then does INT 0x41. */
    h_run(cpu, 0x20001, 100);
    cr_assert_eq(h_last_exception(cpu), 0x41);
    cr_assert_eq(stack32(0), H_CODE + 4);
    cr_assert_eq(stack32(3), 0x80000);
}

Test(intr, same_level_interrupt_16bit_gate)
{
    set_idt(0x42, H_SEL_CODE32, H_STUB_BASE + 0x42 * 16, INTGATE16, 0, true);
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(RUN_AT(H_CODE, INT(0x42)), 0x42);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000 - 6);
    uint32_t w = h_read32(cpu, 0x90000 - 6);
    cr_assert_eq(w & 0xFFFF, (H_CODE + 2) & 0xFFFF);
    cr_assert_eq(w >> 16, H_SEL_CODE32);
}

Test(intr, soft_int_through_dpl0_gate_from_cpl3_is_gp)
{
    set_idt(0x60, H_SEL_CODE32, 0x20000, INTGATE32, 0, true);
    enter_user();
    cr_assert_eq(RUN_AT(H_CODE, INT(0x60)), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0x60 * 8 + 2);
    cr_assert_eq(stack32(1), H_CODE);   /* a fault: EIP of the INT */
    cr_assert_eq(stack32(2), H_SEL_UCODE32);
}

Test(intr, idt_limit_and_not_present_gate)
{
    cpu->idtr.limit = 0x3FF;
    cr_assert_eq(RUN_AT(H_CODE, INT(0x90)), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0x90 * 8 + 2);
    set_idt(0x50, H_SEL_CODE32, 0x20000, INTGATE32, 3, false);
    cr_assert_eq(RUN_AT(H_CODE + 0x100, INT(0x50)), EXC_NP);
    cr_assert_eq(h_last_errcode(cpu), 0x50 * 8 + 2);
}

static int ack_vector;
static int fake_ack(void *opaque)
{
    (void)opaque;
    return ack_vector;
}

Test(intr, external_interrupt_fault_sets_ext)
{
    set_idt(0x30, H_SEL_CODE32, 0x20000, INTGATE32, 0, false);
    ack_vector = 0x30;
    cpu->intr_ack = fake_ack;
    cpu->intr = true;
    set_flags(FLAG_IF, 0);
    cr_assert_eq(RUN_AT(H_CODE, HLT), EXC_NP);
    cr_assert_eq(h_last_errcode(cpu), 0x30 * 8 + 2 + 1);   /* IDT | EXT */
    cr_assert_eq(stack32(1), H_CODE);
}

Test(intr, gate_selector_error_codes)
{
    /* Code segment not present: #NP(selector); EXT for an external event. */
    set_idt(0x31, SEL_CODE_NP, 0x20000, INTGATE32, 3, true);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x31, NO_ERRCODE, true, 0)), EXC_NP);
    cr_assert_eq(cpu->fault_err, SEL_CODE_NP);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x31, NO_ERRCODE, false, 0)), EXC_NP);
    cr_assert_eq(cpu->fault_err, SEL_CODE_NP | 1);
    /* Null code selector: #GP(0); data segment: #GP(sel); beyond GDT: #GP(sel). */
    set_idt(0x32, 0, 0x20000, INTGATE32, 3, true);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x32, NO_ERRCODE, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, 0);
    set_idt(0x33, H_SEL_DATA32, 0x20000, INTGATE32, 3, true);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x33, NO_ERRCODE, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, H_SEL_DATA32);
    set_idt(0x34, 0x1F8, 0x20000, INTGATE32, 3, true);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x34, NO_ERRCODE, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, 0x1F8);
    /* Not a gate type (a TSS descriptor in the IDT): #GP(vector*8+2). */
    set_idt(0x35, 0, 0, 0x9, 3, true);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x35, NO_ERRCODE, true, 0)), EXC_GP);
    cr_assert_eq(cpu->fault_err, 0x35 * 8 + 2);
}

Test(intr, stack_switch_error_codes)
{
    enter_user();
    /* SS0 is a read-only segment: #TS(SS0) */
    h_write32(cpu, H_TSS_BASE + 8, SEL_RO);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x40, NO_ERRCODE, true, H_CODE)), EXC_TS);
    cr_assert_eq(cpu->fault_err, SEL_RO);
    /* SS0 RPL != new CPL: #TS(SS0) */
    h_write32(cpu, H_TSS_BASE + 8, H_SEL_DATA32 | 1);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x40, NO_ERRCODE, true, H_CODE)), EXC_TS);
    cr_assert_eq(cpu->fault_err, H_SEL_DATA32);
    /* SS0 not present: #SS(SS0), with EXT for an exception being delivered */
    h_write32(cpu, H_TSS_BASE + 8, SEL_DATA_NP);
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, EXC_GP, 0, false, H_CODE)), EXC_SS);
    cr_assert_eq(cpu->fault_err, SEL_DATA_NP | 1);
    /* The TSS too short for the ring-0 stack: #TS(TR) */
    cpu->seg[SEG_TR].limit = 0x8;
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x40, NO_ERRCODE, true, H_CODE)), EXC_TS);
    cr_assert_eq(cpu->fault_err, H_SEL_TSS);
    /* Nothing was committed by the failed deliveries. */
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->gpr[R_ESP], 0x80000);
}

Test(intr, error_code_pushed_for_exceptions_only)
{
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, EXC_GP, 0x1234, false, 0x5555)), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000 - 16);
    cr_assert_eq(stack32(0), 0x1234);
    cr_assert_eq(stack32(1), 0x5555);
    /* INT 0x0D pushes none. */
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, EXC_GP, NO_ERRCODE, true, 0x6666)), -1);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000 - 12);
    cr_assert_eq(stack32(0), 0x6666);
}

/* ---------------- double and triple faults ---------------- */

Test(intr, np_during_gp_delivery_is_double_fault)
{
    cpu->idtr.limit = 0x3FF;
    set_idt(EXC_GP, H_SEL_CODE32, 0x20000, INTGATE32, 0, false);
    cr_assert_eq(RUN_AT(H_CODE, INT(0x90)), EXC_DF);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(stack32(1), H_CODE);   /* the instruction that started it */
    cr_assert_eq(cpu->exc_depth, 0);
}

Test(intr, benign_then_contributory_is_serial)
{
    /* #NP while delivering an INT n: just the #NP. */
    set_idt(0x50, H_SEL_CODE32, 0x20000, INTGATE32, 3, false);
    cr_assert_eq(RUN_AT(H_CODE, INT(0x50)), EXC_NP);
    /* #NP while delivering #UD (benign): the #NP, with EXT. */
    set_idt(EXC_UD, H_SEL_CODE32, 0x20000, INTGATE32, 0, false);
    cr_assert_eq(RUN_AT(H_CODE + 0x100, 0x0F, 0x0B), EXC_NP);   /* UD2 */
    cr_assert_eq(h_last_errcode(cpu), EXC_UD * 8 + 2 + 1);
}

Test(intr, fault_during_double_fault_is_triple_fault)
{
    cpu->idtr.limit = 0x3FF;
    set_idt(EXC_GP, H_SEL_CODE32, 0x20000, INTGATE32, 0, false);
    set_idt(EXC_DF, H_SEL_CODE32, 0x20000, INTGATE32, 0, false);
    RUN_AT(H_CODE, INT(0x90));
    cr_assert(cpu->triple_fault);
}

/* ---------------- IRET ---------------- */

Test(intr, iret_to_outer_level_nulls_privileged_segments)
{
    cpu->gpr[R_ESP] = 0x90000;
    h_write32(cpu, 0x90000, 0x12345);
    h_write32(cpu, 0x90004, H_SEL_UCODE32);
    h_write32(cpu, 0x90008, 0x202 | FLAG_IOPL);
    h_write32(cpu, 0x9000C, 0x7000);
    h_write32(cpu, 0x90010, H_SEL_UDATA32);
    cr_assert_eq(TRY(seg_load(cpu, SEG_FS, H_SEL_UDATA32)), -1);
    cpu->nmi_blocked = true;
    cr_assert_eq(TRY(cpu_iret(cpu, true)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->eip, 0x12345);
    cr_assert_eq(cpu->gpr[R_ESP], 0x7000);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_UDATA32);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0);   /* was DPL 0 */
    cr_assert_eq(cpu->seg[SEG_ES].sel, 0);
    cr_assert_eq(cpu->seg[SEG_FS].sel, H_SEL_UDATA32);
    cr_assert_eq(cpu_iopl(cpu), 3);          /* IRET at CPL 0 may set IOPL */
    cr_assert(!cpu->nmi_blocked);
}

Test(intr, iret_at_cpl3_cannot_change_iopl_or_if)
{
    enter_user();
    set_flags(FLAG_IF, FLAG_IOPL);
    h_write32(cpu, 0x80000, 0x12345);
    h_write32(cpu, 0x80004, H_SEL_UCODE32);
    h_write32(cpu, 0x80008, 0x2 | FLAG_IOPL | FLAG_CF);
    cr_assert_eq(TRY(cpu_iret(cpu, true)), -1);
    uint32_t fl = h_eflags(cpu);
    cr_assert_eq(fl & FLAG_IOPL, 0);
    cr_assert(fl & FLAG_IF);
    cr_assert(fl & FLAG_CF);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8000C);
}

/* ---------------- V86 mode ---------------- */

/* An IRETD frame at ring 0 that enters V86 mode at 0500:0010. */
static void push_v86_frame(uint32_t eflags)
{
    static const uint32_t frame[9] = { 0x0010, 0x0500, 0, 0x0FFE, 0x0700,
                                       0x0800, 0x0900, 0x0A00, 0x0B00 };
    cpu->gpr[R_ESP] = 0x90000 - 36;
    for (unsigned i = 0; i < 9; i++)
        h_write32(cpu, 0x90000 - 36 + i * 4, i == 2 ? eflags : frame[i]);
}

Test(intr, iret_enters_v86_mode)
{
    push_v86_frame(FLAG_VM | FLAG_IF | 0x2);
    cr_assert_eq(TRY(cpu_iret(cpu, true)), -1);
    cr_assert(cpu_v86(cpu));
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->eip, 0x10);
    cr_assert_eq(cpu->gpr[R_ESP], 0x0FFE);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x5000);
    cr_assert_eq(cpu->seg[SEG_SS].base, 0x7000);
    cr_assert_eq(cpu->seg[SEG_ES].base, 0x8000);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x9000);
    cr_assert_eq(cpu->seg[SEG_FS].base, 0xA000);
    cr_assert_eq(cpu->seg[SEG_GS].base, 0xB000);
    cr_assert(!cpu->code32);
    cr_assert(!cpu->stack32);
}

Test(intr, v86_round_trip_through_iret_and_interrupt)
{
    static const uint8_t v86_code[] = { INT(0x30) };
    h_load(cpu, 0x5010, v86_code, sizeof v86_code);
    push_v86_frame(FLAG_VM | FLAG_IOPL | FLAG_IF | 0x2);
    cr_assert_eq(RUN_AT(H_CODE, IRET), 0x30);
    /* The ring-0 frame: EIP CS EFLAGS ESP SS ES DS FS GS. */
    cr_assert_eq(cpu->gpr[R_ESP], ESP0 - 36);
    cr_assert_eq(stack32(0), 0x0012);
    cr_assert_eq(stack32(1), 0x0500);
    cr_assert(stack32(2) & FLAG_VM);
    cr_assert_eq(stack32(3), 0x0FFE);
    cr_assert_eq(stack32(4), 0x0700);
    cr_assert_eq(stack32(5), 0x0800);
    cr_assert_eq(stack32(6), 0x0900);
    cr_assert_eq(stack32(7), 0x0A00);
    cr_assert_eq(stack32(8), 0x0B00);
    /* Now in protected mode at CPL 0 with null data segments. */
    cr_assert(!cpu_v86(cpu));
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0);
    cr_assert_eq(cpu->seg[SEG_GS].sel, 0);
    cr_assert_eq(cpu->seg[SEG_DS].access, 0);
}

Test(intr, v86_int_with_iopl_below_3_is_gp)
{
    static const uint8_t v86_code[] = { INT(0x30) };
    h_load(cpu, 0x5010, v86_code, sizeof v86_code);
    push_v86_frame(FLAG_VM | 0x2);
    cr_assert_eq(RUN_AT(H_CODE, IRET), EXC_GP);
    cr_assert_eq(cpu->gpr[R_ESP], ESP0 - 40);
    cr_assert_eq(stack32(0), 0);        /* error code */
    cr_assert_eq(stack32(1), 0x0010);   /* the INT itself */
    /* INT3 is not IOPL-sensitive: it reaches its (DPL 3) gate. */
    static const uint8_t int3[] = { 0xCC };
    h_load(cpu, 0x5010, int3, sizeof int3);
    push_v86_frame(FLAG_VM | 0x2);
    cr_assert_eq(RUN_AT(H_CODE + 0x100, IRET), EXC_BP);
    cr_assert_eq(stack32(0), 0x0011);
}

/* VME: TSS with a redirection bitmap (32 bytes) before the I/O bitmap. */
static void setup_vme(void)
{
    cpu->cr4 |= CR4_VME;
    h_write32(cpu, H_TSS_BASE + 0x64, 0x88u << 16);   /* I/O bitmap at 0x88 */
    for (unsigned i = 0; i < 32; i += 4)
        h_write32(cpu, H_TSS_BASE + 0x68 + i, 0);
    h_write32(cpu, H_TSS_BASE + 0x68 + 0x31 / 8, 1u << (0x31 % 8));   /* 0x31: not redirected */
    cpu->seg[SEG_TR].limit = 0x88 + 0x2000;
}

Test(intr, vme_redirects_int_n_to_the_v86_ivt)
{
    setup_vme();
    static const uint8_t v86_code[] = { INT(0x30) };
    h_load(cpu, 0x5010, v86_code, sizeof v86_code);
    push_v86_frame(FLAG_VM | FLAG_VIF | 0x2);   /* IOPL 0, virtual IF on */
    /* IVT[0x30] = 0300:0300, a HLT: in V86 mode that is #GP(0) to ring 0. */
    cr_assert_eq(RUN_AT(H_CODE, IRET), EXC_GP);
    cr_assert_eq(stack32(1), 0x0300);   /* faulting IP: the V86 handler */
    cr_assert_eq(stack32(2) & FLAG_VIF, 0, "redirection clears VIF");
    cr_assert_eq(stack32(2) & FLAG_IOPL, 0);
    cr_assert_eq(stack32(4), 0x0FFE - 6);
    /* The V86 stack got FLAGS (IOPL 3, IF = VIF), CS, IP. */
    uint32_t sp = 0x7000 + 0x0FFE - 6;
    cr_assert_eq(h_read32(cpu, sp) & 0xFFFF, 0x0012);
    cr_assert_eq(h_read32(cpu, sp + 2) & 0xFFFF, 0x0500);
    uint32_t fl = h_read32(cpu, sp + 4) & 0xFFFF;
    cr_assert_eq(fl & FLAG_IOPL, FLAG_IOPL);
    cr_assert(fl & FLAG_IF);
}

Test(intr, vme_bitmap_bit_set_is_gp_at_iopl_below_3)
{
    setup_vme();
    static const uint8_t v86_code[] = { INT(0x31) };
    h_load(cpu, 0x5010, v86_code, sizeof v86_code);
    push_v86_frame(FLAG_VM | FLAG_VIF | 0x2);
    cr_assert_eq(RUN_AT(H_CODE, IRET), EXC_GP);
    cr_assert_eq(stack32(0), 0);
    cr_assert_eq(stack32(1), 0x0010);
}

Test(intr, vme_iret16_returns_if_into_vif)
{
    /* In V86 mode at IOPL 0 with VME: a 16-bit IRET popping IF=1. */
    setup_vme();
    push_v86_frame(FLAG_VM | 0x2);
    cr_assert_eq(TRY(cpu_iret(cpu, true)), -1);
    cpu->gpr[R_ESP] = 0x0FF0;
    h_write32(cpu, 0x7000 + 0x0FF0, (0x0600u << 16) | 0x0020);
    h_write32(cpu, 0x7000 + 0x0FF4, FLAG_IF | 0x2);
    cr_assert_eq(TRY(cpu_iret(cpu, false)), -1);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x0600);
    cr_assert_eq(cpu->eip, 0x20);
    uint32_t fl = h_eflags(cpu);
    cr_assert(fl & FLAG_VIF);
    cr_assert_eq(fl & FLAG_IF, 0);
    /* ... and a 32-bit one is #GP(0). */
    cr_assert_eq(TRY(cpu_iret(cpu, true)), EXC_GP);
}

/* ---------------- debug ---------------- */

Test(intr, code_breakpoint_is_a_fault_and_rf_suppresses_it)
{
    static const uint8_t db_handler[] = { IRET };
    h_load(cpu, 0x20000, db_handler, sizeof db_handler);
    cpu->dr[0] = H_CODE;
    cpu->dr[7] = 0x401;   /* L0, execute */
    cpu_update_debug_state(cpu);
    cr_assert(cpu->debug_check);
    cr_assert_eq(RUN_AT(H_CODE, INT(0x41)), EXC_DB);
    cr_assert_eq(stack32(0), H_CODE);
    cr_assert_eq(cpu->dr[6] & 0xF, 1);
    /* A handler returns with RF set in the image: the INT now runs. */
    h_write32(cpu, cpu->gpr[R_ESP] + 8, stack32(2) | FLAG_RF);
    h_run(cpu, 0x20000, 100);
    cr_assert_eq(h_last_exception(cpu), 0x41);
    cr_assert_eq(stack32(0), H_CODE + 2);
    cr_assert_eq(h_eflags(cpu) & FLAG_RF, 0);
}

Test(intr, single_step_state_follows_tf)
{
    set_flags(FLAG_TF, 0);
    cr_assert(cpu->single_step);
    set_flags(0, FLAG_TF);
    cr_assert(!cpu->single_step);
    /* Delivery clears TF. */
    set_flags(FLAG_TF, 0);
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(TRY(cpu_deliver_interrupt(cpu, 0x40, NO_ERRCODE, true, 0)), -1);
    cr_assert(!cpu->single_step);
    cr_assert(stack32(2) & FLAG_TF);
}
