/* SPDX-License-Identifier: MIT */
/* Segmentation (cpu/seg.c) and far transfers (cpu/farxfer.c): segment
 * register loads and their faults, expand-down limits, call gates with a
 * privilege change, far returns, and the I/O permission bitmap.
 *
 * Most tests call the API directly with cpu_fault() caught by TRY(), so
 * they check the exact vector and error code without needing any
 * instruction family. */
#include <criterion/criterion.h>
#include <setjmp.h>

#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

/* Run stmt; the vector it raised through cpu_fault(), or -1. The error
 * code is then in cpu->fault_err. */
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

#define DATA_RW (DESC_P | DESC_S | 0x3)
#define DPL(n) ((n) << DESC_DPL_SHIFT)
#define USER_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xB | DPL(3))
#define USER_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3 | DPL(3))

/* Extra GDT entries */
#define SEL_RO 0x40          /* read-only data, DPL 0 */
#define SEL_NP 0x48          /* read/write data, not present */
#define SEL_XO 0x50          /* execute-only code */
#define SEL_RX 0x58          /* readable code */
#define SEL_CONF 0x60        /* conforming readable code, DPL 0 */
#define SEL_EXPDOWN16 0x68   /* expand-down data, limit 0xFFF, 16-bit, not accessed */
#define SEL_EXPDOWN32 0x70   /* expand-down data, limit 0xFFF, big */
#define SEL_LDT 0x78         /* LDT at 0x7000, 3 entries */
#define SEL_FRESH 0x80       /* read/write data, accessed bit clear */
#define SEL_GATE32 0x88      /* call gate DPL 3 -> 0008:00022000, 2 dword params */
#define SEL_GATE16 0x90      /* 16-bit call gate DPL 3 -> CODE16:2300, 1 word param */
#define SEL_DPL1 0x98        /* read/write data, DPL 1 */
#define SEL_UNP 0xA0         /* DPL 3 data, not present */
#define SEL_CODE_NP 0xA8     /* code DPL 0, not present */
#define SEL_GATE_DPL0 0xB0   /* call gate DPL 0 */
#define SEL_GATE_NPCODE 0xB8 /* call gate DPL 3 to a not-present code segment */
#define SEL_UCONF 0xC0       /* conforming code DPL 3 */
#define GDT_ENTRIES 25

static void set_gate(unsigned index, uint16_t sel, uint32_t off, unsigned type, unsigned dpl,
                     unsigned params)
{
    h_write32(cpu, H_GDT_BASE + index * 8, ((uint32_t)sel << 16) | (off & 0xFFFF));
    h_write32(cpu, H_GDT_BASE + index * 8 + 4,
              (off & 0xFFFF0000u) | 0x8000u | (dpl << 13) | (type << 8) | params);
}

static void setup(void)
{
    cpu = h_cpu_new(4, true);
    h_set_gdt(cpu, 8, 0, 0xFFFFF, DESC_P | DESC_S | 0x1);
    h_set_gdt(cpu, 9, 0, 0xFFFFF, DESC_S | 0x3);
    h_set_gdt(cpu, 10, 0, 0xFFFFF, DESC_P | DESC_S | 0x9);
    h_set_gdt(cpu, 11, 0, 0xFFFFF, DESC_P | DESC_S | 0xB);
    h_set_gdt(cpu, 12, 0, 0xFFFFF, DESC_P | DESC_S | 0xF);
    h_set_gdt(cpu, 13, 0x100000, 0xFFF, DESC_P | DESC_S | 0x6);
    h_set_gdt(cpu, 14, 0, 0xFFF, DESC_DB | DESC_P | DESC_S | 0x7);
    h_set_gdt(cpu, 15, 0x7000, 0x17, DESC_P | 0x2);
    h_set_gdt(cpu, 16, 0x2000, 0xFFFF, DESC_P | DESC_S | 0x2);
    set_gate(17, H_SEL_CODE32, 0x22000, 0xC, 3, 2);
    set_gate(18, H_SEL_CODE16, 0x2300, 0x4, 3, 1);
    h_set_gdt(cpu, 19, 0, 0xFFFFF, DESC_P | DESC_S | 0x3 | DPL(1));
    h_set_gdt(cpu, 20, 0, 0xFFFFF, DESC_S | 0x3 | DPL(3));
    h_set_gdt(cpu, 21, 0, 0xFFFFF, DESC_S | 0xB);
    set_gate(22, H_SEL_CODE32, 0x22000, 0xC, 0, 0);
    set_gate(23, SEL_CODE_NP, 0x22000, 0xC, 3, 0);
    h_set_gdt(cpu, 24, 0, 0xFFFFFFFFu, DESC_G | DESC_DB | DESC_P | DESC_S | 0xF | DPL(0));
    cpu->gdtr.limit = GDT_ENTRIES * 8 - 1;
}

static void teardown(void)
{
    h_cpu_free(cpu);
}

TestSuite(seg, .init = setup, .fini = teardown);

/* Switch to CPL 3 with flat user segments. */
static void enter_user(void)
{
    seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu, USER_CODE, 3);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    seg_set_cache(&cpu->seg[SEG_ES], H_SEL_UDATA32, 0, 0xFFFFFFFFu, USER_DATA);
    cpu->stack32 = true;
    cpu->gpr[R_ESP] = 0x80000;
}

#define EXPECT_FAULT(stmt, vec, err)                                                   \
    do {                                                                               \
        int got_ = TRY(stmt);                                                          \
        cr_assert_eq(got_, (vec), "vector %d, want %d", got_, (vec));                  \
        cr_assert_eq(cpu->fault_err, (uint32_t)(err), "error code %#x, want %#x",      \
                     cpu->fault_err, (uint32_t)(err));                                 \
    } while (0)

/* ---------------- segment caches ---------------- */

Test(seg, cache_access_rights_by_type)
{
    SegCache s;
    seg_set_cache(&s, 8, 0, 0xFFFF, DESC_P | DESC_S | 0xB);          /* readable code */
    cr_assert_eq(s.access, SEG_ACC_READ);
    seg_set_cache(&s, 8, 0, 0xFFFF, DESC_P | DESC_S | 0x9);          /* execute-only */
    cr_assert_eq(s.access, 0);
    seg_set_cache(&s, 8, 0, 0xFFFF, DESC_P | DESC_S | 0x1);          /* read-only data */
    cr_assert_eq(s.access, SEG_ACC_READ);
    seg_set_cache(&s, 8, 0, 0xFFFF, DESC_P | DESC_S | 0x3);          /* read/write data */
    cr_assert_eq(s.access, SEG_ACC_READ | SEG_ACC_WRITE);
    cr_assert_eq(s.lim_lo, 0);
    cr_assert_eq(s.lim_hi, 0xFFFF);
    seg_set_cache(&s, 0, 0, 0, 0);                                   /* null */
    cr_assert_eq(s.access, 0);
    seg_set_cache(&s, 8, 0, 0x67, DESC_P | 0x9);                     /* system */
    cr_assert_eq(s.access, 0);
}

Test(seg, cache_expand_down_limits)
{
    SegCache s;
    seg_set_cache(&s, 8, 0, 0xFFF, DESC_P | DESC_S | 0x7);
    cr_assert_eq(s.lim_lo, 0x1000);
    cr_assert_eq(s.lim_hi, 0xFFFF);
    seg_set_cache(&s, 8, 0, 0xFFF, DESC_DB | DESC_P | DESC_S | 0x7);
    cr_assert_eq(s.lim_lo, 0x1000);
    cr_assert_eq(s.lim_hi, 0xFFFFFFFFu);
    /* Limit at the top: no valid offset at all. */
    seg_set_cache(&s, 8, 0, 0xFFFF, DESC_P | DESC_S | 0x7);
    cr_assert(s.lim_lo > s.lim_hi);
}

Test(seg, expand_down_access_checks)
{
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, SEL_EXPDOWN16)), -1);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x100000);
    h_write32(cpu, 0x101000, 0x12345678);
    volatile uint32_t v = 0;
    cr_assert_eq(TRY(v = cpu_read32(cpu, SEG_DS, 0x1000)), -1);
    cr_assert_eq(v, 0x12345678);
    EXPECT_FAULT(cpu_read8(cpu, SEG_DS, 0xFFF), EXC_GP, 0);
    EXPECT_FAULT(cpu_read16(cpu, SEG_DS, 0xFFFF), EXC_GP, 0);
    cr_assert_eq(TRY(cpu_read8(cpu, SEG_DS, 0xFFFF)), -1);
    /* As a stack: pushing below the limit is #SS(0). */
    cr_assert_eq(TRY(seg_load(cpu, SEG_SS, SEL_EXPDOWN32)), -1);
    cr_assert(cpu->stack32);
    cpu->gpr[R_ESP] = 0x1004;
    cr_assert_eq(TRY(cpu_push32(cpu, 1)), -1);
    EXPECT_FAULT(cpu_push32(cpu, 2), EXC_SS, 0);
    cr_assert_eq(cpu->gpr[R_ESP], 0x1000);
}

/* ---------------- data segment loads ---------------- */

Test(seg, null_selector_loads_into_data_registers)
{
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, 0x0003)), -1);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 3);
    cr_assert_eq(cpu->seg[SEG_DS].access, 0);
    /* ... and any access through it is #GP(0). */
    EXPECT_FAULT(cpu_read8(cpu, SEG_DS, 0), EXC_GP, 0);
    cr_assert_eq(TRY(seg_load(cpu, SEG_FS, 0)), -1);
    cr_assert_eq(TRY(seg_load(cpu, SEG_GS, 0)), -1);
}

Test(seg, null_selector_into_ss_faults)
{
    EXPECT_FAULT(seg_load(cpu, SEG_SS, 0), EXC_GP, 0);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, 3), EXC_GP, 0);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_DATA32);
}

Test(seg, selector_beyond_table_limit)
{
    uint16_t sel = GDT_ENTRIES * 8;
    EXPECT_FAULT(seg_load(cpu, SEG_DS, sel), EXC_GP, sel);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, sel | 3), EXC_GP, sel);
    /* A TI=1 selector with no LDT loaded. */
    seg_set_cache(&cpu->seg[SEG_LDTR], 0, 0, 0, 0);
    EXPECT_FAULT(seg_load(cpu, SEG_ES, 0x000C), EXC_GP, 0x000C);
}

Test(seg, ss_load_rules)
{
    /* RPL != CPL, DPL != CPL, read-only, code, system: #GP(sel) */
    EXPECT_FAULT(seg_load(cpu, SEG_SS, H_SEL_DATA32 | 1), EXC_GP, H_SEL_DATA32);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, SEL_DPL1), EXC_GP, SEL_DPL1);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, SEL_RO), EXC_GP, SEL_RO);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, SEL_RX), EXC_GP, SEL_RX);
    EXPECT_FAULT(seg_load(cpu, SEG_SS, SEL_LDT), EXC_GP, SEL_LDT);
    /* Not present: #SS(sel) */
    EXPECT_FAULT(seg_load(cpu, SEG_SS, SEL_NP), EXC_SS, SEL_NP);
    cpu->stack32 = false;
    cr_assert_eq(TRY(seg_load(cpu, SEG_SS, H_SEL_DATA32)), -1);
    cr_assert(cpu->stack32);
    cr_assert_eq(TRY(seg_load(cpu, SEG_SS, H_SEL_DATA16)), -1);
    cr_assert(!cpu->stack32);
}

Test(seg, data_load_rules)
{
    EXPECT_FAULT(seg_load(cpu, SEG_DS, SEL_LDT), EXC_GP, SEL_LDT);    /* system descriptor */
    EXPECT_FAULT(seg_load(cpu, SEG_DS, SEL_XO), EXC_GP, SEL_XO);      /* execute-only code */
    EXPECT_FAULT(seg_load(cpu, SEG_ES, SEL_RO | 3), EXC_GP, SEL_RO);  /* RPL > DPL */
    EXPECT_FAULT(seg_load(cpu, SEG_FS, SEL_NP), EXC_NP, SEL_NP);      /* not present */
    cr_assert_eq(TRY(seg_load(cpu, SEG_GS, SEL_RX)), -1);             /* readable code */
    cr_assert_eq(cpu->seg[SEG_GS].access, SEG_ACC_READ);
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, SEL_RO)), -1);
    cr_assert_eq(cpu->seg[SEG_DS].access, SEG_ACC_READ);
    EXPECT_FAULT(cpu_write8(cpu, SEG_DS, 0, 1), EXC_GP, 0);
}

Test(seg, data_load_rules_at_cpl3)
{
    enter_user();
    EXPECT_FAULT(seg_load(cpu, SEG_DS, SEL_RO | 3), EXC_GP, SEL_RO);     /* CPL > DPL */
    EXPECT_FAULT(seg_load(cpu, SEG_DS, SEL_DPL1 | 1), EXC_GP, SEL_DPL1);
    EXPECT_FAULT(seg_load(cpu, SEG_DS, SEL_UNP), EXC_NP, SEL_UNP & 0xFFFC);
    /* Conforming code: no privilege check. */
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, SEL_CONF | 3)), -1);
    cr_assert_eq(TRY(seg_load(cpu, SEG_ES, H_SEL_UDATA32)), -1);
    /* SS must match CPL 3. */
    EXPECT_FAULT(seg_load(cpu, SEG_SS, H_SEL_DATA32), EXC_GP, H_SEL_DATA32);
    cr_assert_eq(TRY(seg_load(cpu, SEG_SS, H_SEL_UDATA32)), -1);
}

Test(seg, load_sets_accessed_bit)
{
    uint32_t hi_addr = H_GDT_BASE + (SEL_FRESH >> 3) * 8 + 4;
    cr_assert_eq(h_read32(cpu, hi_addr) & 0x100, 0);
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, SEL_FRESH)), -1);
    cr_assert_eq(h_read32(cpu, hi_addr) & 0x100, 0x100);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x2000);
    cr_assert_eq(cpu->seg[SEG_DS].limit, 0xFFFF);
    cr_assert_eq(cpu->seg[SEG_DS].flags & DESC_ACCESSED, DESC_ACCESSED);
}

Test(seg, ldt_selectors)
{
    /* LDT at 0x7000, limit 0x17 (entries 0-2): entry 1 = data at 0x5000. */
    h_write32(cpu, 0x7008, 0x0000FFFF | (0x5000u << 16));
    h_write32(cpu, 0x700C, 0x00009300u);
    seg_set_cache(&cpu->seg[SEG_LDTR], SEL_LDT, 0x7000, 0x17, DESC_P | 0x2);
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, 0x000C)), -1);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x5000);
    EXPECT_FAULT(seg_load(cpu, SEG_DS, 0x001C), EXC_GP, 0x001C);   /* index 3: beyond 0x17 */
}

Test(seg, desc_decoding)
{
    uint32_t lo = 0x1234FFFF, hi = 0xAB8F9A56;   /* base AB561234, limit FFFFF, G */
    cr_assert_eq(desc_base(lo, hi), 0xAB561234u);
    cr_assert_eq(desc_limit(lo, hi), 0xFFFFFFFFu);
    cr_assert_eq(desc_flags(hi), DESC_G | DESC_P | DESC_S | 0xA);
    cr_assert_eq(desc_limit(0x00000FFF, 0x00009200), 0xFFF);
}

/* ---------------- real and V86 mode ---------------- */

Test(seg, real_mode_load_keeps_limit_and_allows_rw)
{
    cpu->cr0 &= ~CR0_PE;
    /* An "unreal" DS: 4 GiB limit kept by real-mode loads. */
    seg_set_cache(&cpu->seg[SEG_DS], H_SEL_DATA32, 0, 0xFFFFFFFFu,
                  DESC_G | DESC_DB | DESC_P | DESC_S | 0x1);
    seg_load(cpu, SEG_DS, 0x1234);
    cr_assert_eq(cpu->seg[SEG_DS].base, 0x12340);
    cr_assert_eq(cpu->seg[SEG_DS].limit, 0xFFFFFFFFu);
    cr_assert_eq(cpu->seg[SEG_DS].access, SEG_ACC_READ | SEG_ACC_WRITE);
    /* Code segments too may be written in real mode. */
    seg_load_real(cpu, SEG_CS, 0x2000);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x20000);
    cr_assert_eq(cpu->seg[SEG_CS].access, SEG_ACC_READ | SEG_ACC_WRITE);
}

Test(seg, v86_mode_load)
{
    flags_write(cpu, FLAG_VM, FLAG_VM);
    cpu_set_cpl(cpu, 3);
    seg_load(cpu, SEG_SS, 0x9000);
    const SegCache *s = &cpu->seg[SEG_SS];
    cr_assert_eq(s->base, 0x90000);
    cr_assert_eq(s->limit, 0xFFFF);
    cr_assert_eq(desc_dpl(s->flags), 3);
    cr_assert_eq(s->access, SEG_ACC_READ | SEG_ACC_WRITE);
    cr_assert(!cpu->stack32);
}

Test(seg, real_mode_far_call_and_return)
{
    Cpu *r = h_cpu_new(1, false);
    Cpu *saved = cpu;
    cpu = r;
    cpu->gpr[R_ESP] = 0x8000;
    cpu->eip = 0x100;
    cr_assert_eq(TRY(cpu_far_call(cpu, 0x1234, 0x5678, false, 0x105)), -1);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0x12340);
    cr_assert_eq(cpu->eip, 0x5678);
    cr_assert_eq(cpu->gpr[R_ESP], 0x7FFC);
    cr_assert_eq(h_read32(cpu, 0x7FFC), (0x0000u << 16) | 0x105);
    cr_assert_eq(TRY(cpu_far_return(cpu, false, 4)), -1);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0);
    cr_assert_eq(cpu->eip, 0x105);
    cr_assert_eq(cpu->gpr[R_ESP], 0x8004);
    /* A target beyond the CS limit is #GP(0). */
    EXPECT_FAULT(cpu_far_jump(cpu, 0x1000, 0x10000, true, 0), EXC_GP, 0);
    cpu = saved;
    h_cpu_free(r);
}

/* ---------------- far JMP / CALL / RET in protected mode ---------------- */

Test(seg, far_jump_privilege_rules)
{
    EXPECT_FAULT(cpu_far_jump(cpu, 0, 0, true, 0), EXC_GP, 0);
    EXPECT_FAULT(cpu_far_jump(cpu, H_SEL_DATA32, 0, true, 0), EXC_GP, H_SEL_DATA32);
    EXPECT_FAULT(cpu_far_jump(cpu, SEL_CODE_NP, 0, true, 0), EXC_NP, SEL_CODE_NP);
    EXPECT_FAULT(cpu_far_jump(cpu, SEL_RX, 0x100000, true, 0), EXC_GP, 0);   /* beyond limit */
    enter_user();
    /* Non-conforming DPL 0 from CPL 3. */
    EXPECT_FAULT(cpu_far_jump(cpu, H_SEL_CODE32, 0x1000, true, 0), EXC_GP, H_SEL_CODE32);
    /* Conforming DPL 0 code: allowed, CPL stays 3, CS.RPL = 3. */
    cr_assert_eq(TRY(cpu_far_jump(cpu, SEL_CONF, 0x1000, true, 0)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, SEL_CONF | 3);
    cr_assert_eq(cpu->eip, 0x1000);
}

Test(seg, far_call_same_privilege_and_return)
{
    cpu->gpr[R_ESP] = 0x90000;
    cr_assert_eq(TRY(cpu_far_call(cpu, H_SEL_CODE16, 0x1234, false, 0x10007)), -1);
    cr_assert(!cpu->code32);
    cr_assert_eq(cpu->eip, 0x1234);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000 - 4);
    cr_assert_eq(h_read32(cpu, 0x90000 - 4), ((uint32_t)H_SEL_CODE32 << 16) | 0x0007);
    /* The 16-bit RETF goes back (to offset 0x0007: the 16-bit frame). */
    cr_assert_eq(TRY(cpu_far_return(cpu, false, 0)), -1);
    cr_assert(cpu->code32);
    cr_assert_eq(cpu->eip, 0x0007);
    cr_assert_eq(cpu->gpr[R_ESP], 0x90000);
}

Test(seg, call_gate_to_inner_level_copies_parameters)
{
    enter_user();
    h_write32(cpu, 0x80000, 0x1111);
    h_write32(cpu, 0x80004, 0x2222);
    h_write32(cpu, 0x80008, 0x3333);
    cr_assert_eq(TRY(cpu_far_call(cpu, SEL_GATE32 | 3, 0xDEAD, true, 0x10007)), -1);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_CODE32);
    cr_assert_eq(cpu->eip, 0x22000);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_DATA32);   /* SS0 from the TSS */
    uint32_t esp = 0x9F000 - 24;
    cr_assert_eq(cpu->gpr[R_ESP], esp);
    cr_assert_eq(h_read32(cpu, esp), 0x10007);
    cr_assert_eq(h_read32(cpu, esp + 4), H_SEL_UCODE32);
    cr_assert_eq(h_read32(cpu, esp + 8), 0x1111);
    cr_assert_eq(h_read32(cpu, esp + 12), 0x2222);
    cr_assert_eq(h_read32(cpu, esp + 16), 0x80000);
    cr_assert_eq(h_read32(cpu, esp + 20), H_SEL_UDATA32);

    /* The handler loads a ring-0 DS, then RETF 8 back to ring 3. */
    cr_assert_eq(TRY(seg_load(cpu, SEG_DS, H_SEL_DATA32)), -1);
    cr_assert_eq(TRY(cpu_far_return(cpu, true, 8)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->seg[SEG_CS].sel, H_SEL_UCODE32);
    cr_assert_eq(cpu->eip, 0x10007);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_UDATA32);
    cr_assert_eq(cpu->gpr[R_ESP], 0x80008);
    /* DS held a DPL 0 segment: nulled on the way out; ES (DPL 3) kept. */
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0);
    cr_assert_eq(cpu->seg[SEG_DS].access, 0);
    cr_assert_eq(cpu->seg[SEG_ES].sel, H_SEL_UDATA32);
}

Test(seg, call_gate_16bit)
{
    enter_user();
    h_write32(cpu, 0x80000, 0xBEEF);
    cr_assert_eq(TRY(cpu_far_call(cpu, SEL_GATE16 | 3, 0, false, 0x10005)), -1);
    cr_assert_eq(cpu->cpl, 0);
    cr_assert(!cpu->code32);
    cr_assert_eq(cpu->eip, 0x2300);
    uint32_t esp = 0x9F000 - 10;   /* SS, SP, 1 param, CS, IP: words */
    cr_assert_eq(cpu->gpr[R_ESP], esp);
    cr_assert_eq(h_read32(cpu, esp) & 0xFFFF, 0x0005);
    cr_assert_eq(h_read32(cpu, esp + 2) & 0xFFFF, H_SEL_UCODE32);
    cr_assert_eq(h_read32(cpu, esp + 4) & 0xFFFF, 0xBEEF);
    cr_assert_eq(h_read32(cpu, esp + 6) & 0xFFFF, 0x0000);   /* SP = 0x80000 & 0xFFFF */
    cr_assert_eq(h_read32(cpu, esp + 8) & 0xFFFF, H_SEL_UDATA32);
}

Test(seg, call_gate_faults)
{
    enter_user();
    /* Gate DPL 0 < CPL 3 */
    EXPECT_FAULT(cpu_far_call(cpu, SEL_GATE_DPL0 | 3, 0, true, 0), EXC_GP, SEL_GATE_DPL0);
    /* Target code segment not present */
    EXPECT_FAULT(cpu_far_call(cpu, SEL_GATE_NPCODE | 3, 0, true, 0), EXC_NP, SEL_CODE_NP);
    /* TSS SS0 not a writable data segment: #TS(SS0) */
    h_write32(cpu, H_TSS_BASE + 8, SEL_RO);
    EXPECT_FAULT(cpu_far_call(cpu, SEL_GATE32 | 3, 0, true, 0), EXC_TS, SEL_RO);
    /* SS0 not present: #SS(SS0) */
    h_write32(cpu, H_TSS_BASE + 8, SEL_NP);
    EXPECT_FAULT(cpu_far_call(cpu, SEL_GATE32 | 3, 0, true, 0), EXC_SS, SEL_NP);
    /* Nothing was committed. */
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->gpr[R_ESP], 0x80000);
    cr_assert_eq(cpu->seg[SEG_SS].sel, H_SEL_UDATA32);
}

Test(seg, far_return_checks)
{
    /* RETF to an inner level is #GP(selector). */
    enter_user();
    h_write32(cpu, 0x80000, 0x1000);
    h_write32(cpu, 0x80004, H_SEL_CODE32);
    EXPECT_FAULT(cpu_far_return(cpu, true, 0), EXC_GP, H_SEL_CODE32);
    /* To an outer level with a bad SS: #GP(SS). */
    seg_load_cs_checked(cpu, H_SEL_CODE32, 0, 0xFFFFFFFFu,
                        DESC_G | DESC_DB | DESC_P | DESC_S | 0xB, 0);
    seg_set_cache(&cpu->seg[SEG_SS], H_SEL_DATA32, 0, 0xFFFFFFFFu,
                  DESC_G | DESC_DB | DESC_P | DESC_S | 0x3);
    h_write32(cpu, 0x80004, H_SEL_UCODE32);
    h_write32(cpu, 0x80008, 0x7000);
    h_write32(cpu, 0x8000C, H_SEL_DATA32 | 3);
    EXPECT_FAULT(cpu_far_return(cpu, true, 0), EXC_GP, H_SEL_DATA32);
    cr_assert_eq(cpu->cpl, 0);
    h_write32(cpu, 0x8000C, SEL_UNP | 3);
    EXPECT_FAULT(cpu_far_return(cpu, true, 0), EXC_SS, SEL_UNP);
    h_write32(cpu, 0x8000C, H_SEL_UDATA32);
    cr_assert_eq(TRY(cpu_far_return(cpu, true, 0)), -1);
    cr_assert_eq(cpu->cpl, 3);
    cr_assert_eq(cpu->gpr[R_ESP], 0x7000);
}

/* ---------------- I/O permission bitmap ---------------- */

Test(seg, io_bitmap)
{
    /* Bitmap at TSS+0x68: ports 0x00-0x7F allowed, 0x81 and 0x88 denied. */
    h_write32(cpu, H_TSS_BASE + 0x64, 0x68u << 16);
    for (unsigned i = 0; i < 0x2000; i += 4)
        h_write32(cpu, H_TSS_BASE + 0x68 + i, 0);
    h_write32(cpu, H_TSS_BASE + 0x68 + 0x10, 0x0102);   /* port 0x81 (byte 0x10 bit 1), 0x88 */
    cpu->seg[SEG_TR].limit = 0x68 + 0x2000;
    enter_user();
    cr_assert_eq(TRY(cpu_check_io(cpu, 0x80, 1)), -1);
    EXPECT_FAULT(cpu_check_io(cpu, 0x81, 1), EXC_GP, 0);
    EXPECT_FAULT(cpu_check_io(cpu, 0x80, 2), EXC_GP, 0);      /* covers 0x81 */
    cr_assert_eq(TRY(cpu_check_io(cpu, 0x84, 4)), -1);        /* 0x84-0x87 */
    EXPECT_FAULT(cpu_check_io(cpu, 0x86, 4), EXC_GP, 0);      /* 0x86-0x89: next byte */
    /* CPL <= IOPL needs no bitmap. */
    flags_write(cpu, FLAG_IOPL, FLAG_IOPL);
    cr_assert_eq(TRY(cpu_check_io(cpu, 0x81, 1)), -1);
    /* ... but V86 mode always consults it. */
    flags_write(cpu, FLAG_VM, FLAG_VM);
    EXPECT_FAULT(cpu_check_io(cpu, 0x81, 1), EXC_GP, 0);
    cr_assert_eq(TRY(cpu_check_io(cpu, 0x82, 1)), -1);
    /* The bitmap's second byte beyond the TSS limit: #GP(0). */
    cpu->seg[SEG_TR].limit = 0x68 + 0x10;
    EXPECT_FAULT(cpu_check_io(cpu, 0x80, 1), EXC_GP, 0);
}

Test(seg, io_bitmap_beyond_limit_and_cpl0)
{
    /* The harness TSS puts the bitmap past its limit: everything denied. */
    cr_assert_eq(TRY(cpu_check_io(cpu, 0x3F8, 1)), -1);   /* CPL 0 <= IOPL 0 */
    enter_user();
    EXPECT_FAULT(cpu_check_io(cpu, 0x3F8, 1), EXC_GP, 0);
}
