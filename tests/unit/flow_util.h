/* SPDX-License-Identifier: MIT */
/* Shared by the data-movement and control-flow tests (test_flow.c,
 * test_flow_string.c): a CPU from the unit-test harness with a few extra
 * descriptors, and helpers that run guest snippets on it.
 *
 * Snippets run in flat 32-bit protected mode at CPL 0 (setup_pm), in real
 * mode (setup_rm), or at CPL 3 / in V86 mode entered from C. Registers and
 * flags are set from C. Every snippet ends in HLT; an exception lands on the
 * harness stub of its vector (at CPL 3 and in V86 mode the final HLT itself
 * is a #GP, which run() recognises as the normal end). */
#ifndef KAIRO_TEST_FLOW_UTIL_H
#define KAIRO_TEST_FLOW_UTIL_H

#include <criterion/criterion.h>
#include <setjmp.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "iodev/portbus.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;
static unsigned slot;

#define HLT 0xF4
#define NOP 0x90
#define D16(x) (uint8_t)(x), (uint8_t)((x) >> 8)
#define D32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)
#define DATA 0x20000u   /* protected-mode scratch data */

/* Extra GDT entries */
#define SEL_RO 0x40       /* read-only flat data */
#define SEL_SMALL32 0x48  /* data, limit 0xFFFF, B = 1 */
#define RO_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x1)
#define SMALL_DATA (DESC_DB | DESC_P | DESC_S | 0x3)
#define FLAT_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3)
#define USER_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xB | (3 << DESC_DPL_SHIFT))
#define USER_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3 | (3 << DESC_DPL_SHIFT))

static inline void setup_pm(void)
{
    cpu = h_cpu_new(4, true);
    slot = 0;
    h_set_gdt(cpu, 8, 0, 0xFFFFFFFFu, RO_DATA);
    h_set_gdt(cpu, 9, 0, 0xFFFF, SMALL_DATA);
    cpu->gdtr.limit = 10 * 8 - 1;
}

static inline void setup_rm(void)
{
    cpu = h_cpu_new(4, false);
    slot = 0;
}

static inline void teardown(void)
{
    h_cpu_free(cpu);
}

/* The code address of the next snippet: fresh bytes for every snippet. */
static inline uint32_t next_addr(void)
{
    uint32_t a = cpu_pe(cpu) && !cpu_v86(cpu) ? H_CODE + slot * 0x100
                                               : cpu->seg[SEG_CS].base + 0x100 + slot * 0x100;
    slot++;
    return a;
}

/* The dword at ESP + 4*i (flat stack at CPL 0 after an exception). */
static inline uint32_t stk(unsigned i)
{
    return h_read32(cpu, cpu->seg[SEG_SS].base + cpu->gpr[R_ESP] + i * 4);
}

static inline uint16_t stk16(unsigned i)
{
    return (uint16_t)h_read32(cpu, cpu->seg[SEG_SS].base + (cpu->gpr[R_ESP] & 0xFFFF) + i * 2);
}

/* Run code already in memory at linear addr (CS-relative EIP derived).
 * Returns the exception vector that stopped it, or -1 when it stopped on
 * one of its own HLTs (at CPL 3 / V86: the #GP of its HLT at hlt_lin). */
static inline int exec_at(uint32_t addr, uint32_t hlt_lin)
{
    uint32_t base = cpu->seg[SEG_CS].base;
    bool user = cpu_pe(cpu) && cpu->cpl == 3;
    h_run(cpu, addr - base, 200000);
    cr_assert(cpu->halted, "the snippet did not halt");
    int exc = h_last_exception(cpu);
    if (user && exc == EXC_GP && stk(1) == hlt_lin - base)
        return -1;
    return exc;
}

static inline int run_at(uint32_t addr, const uint8_t *code, size_t len)
{
    h_load(cpu, addr, code, len);
    return exec_at(addr, addr + len - 1);
}

static uint32_t last;   /* address of the snippet run last */

static inline int run(const uint8_t *code, size_t len)
{
    last = next_addr();
    return run_at(last, code, len);
}
/* RUN appends the final HLT; RAW runs the bytes as given. */
#define RUN(...) ({ const uint8_t c_[] = { __VA_ARGS__, HLT }; run(c_, sizeof c_); })
#define RAW(...) ({ const uint8_t c_[] = { __VA_ARGS__ }; run(c_, sizeof c_); })

/* EIP after the snippet halted, relative to its start. */
static inline uint32_t end_off(void)
{
    return cpu->seg[SEG_CS].base + cpu->eip - last;
}

static inline void set_flags(uint32_t set, uint32_t clear)
{
    flags_write(cpu, set, set | clear);
}

static inline uint32_t arith(void)
{
    return h_eflags(cpu) & FLAGS_ARITH;
}

static inline void wr8(uint32_t a, uint8_t v) { h_load(cpu, a, &v, 1); }
static inline void wr16(uint32_t a, uint16_t v) { h_load(cpu, a, &v, 2); }
static inline uint16_t rd16(uint32_t a) { return (uint16_t)h_read32(cpu, a); }

/* Switch the protected-mode CPU to CPL 3 with flat user segments. */
static inline void enter_user(void)
{
    seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu, USER_CODE, 3);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    cpu->stack32 = true;
    cpu->gpr[R_ESP] = 0x80000;
}

/* Enter V86 mode through IRETD: CS 0500 (code at 0x5000+), SS:SP 0700:0FFE,
 * ES 0800, DS 0900, FS 0A00, GS 0B00. */
static inline void enter_v86(uint32_t eflags)
{
    static const uint32_t frame[9] = { 0x0100, 0x0500, 0, 0x0FFE, 0x0700,
                                       0x0800, 0x0900, 0x0A00, 0x0B00 };
    cpu->gpr[R_ESP] = 0x90000 - 36;
    for (unsigned i = 0; i < 9; i++)
        h_write32(cpu, 0x90000 - 36 + i * 4, i == 2 ? (eflags | FLAG_VM | 2u) : frame[i]);
    if (setjmp(cpu->fault_jmp) == 0)
        cpu_iret(cpu, true);
    else
        cr_assert_fail("IRET to V86 faulted");
    cr_assert(cpu_v86(cpu));
}

static int acked;
static inline int ack_0x40(void *opaque)
{
    Cpu *c = opaque;
    c->intr = false;
    acked++;
    return 0x40;
}

static inline void raise_intr(void)
{
    cpu->intr_ack = ack_0x40;
    cpu->intr_opaque = cpu;
    acked = 0;
    cpu_set_intr(cpu, true);
}

static inline void fill(uint32_t at, unsigned n, uint8_t seed)
{
    for (unsigned i = 0; i < n; i++)
        wr8(at + i, (uint8_t)(seed + i * 7));
}

/* Bytes at a linear address (no slot). */
static inline void put(uint32_t at, const uint8_t *b, size_t n)
{
    h_load(cpu, at, b, n);
}

#endif
