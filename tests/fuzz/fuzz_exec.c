/* SPDX-License-Identifier: MIT */
/* Fuzz target: arbitrary bytes executed in every CPU mode. Whatever the
 * bytes do must end in guest exceptions, a halt or the instruction budget:
 * never a host crash, hang or sanitizer report.
 *
 * Input: byte 0 selects the mode (real, 16/32-bit protected at CPL 0,
 * 32-bit at CPL 3, V86; bit 3 turns paging on), bytes 1-32 seed the
 * registers, the rest is code placed at 0x10000 (and repeated as data).
 * Built two ways: with libFuzzer (-DKAIRO_FUZZ=ON, clang) and as a replay
 * driver (fuzz_replay.c) that the default test run uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_MB 2
#define CODE_AT 0x10000u

static Cpu *cpu;
static uint8_t *pristine;   /* RAM as the harness built it */

static void setup_once(void)
{
    cpu = h_cpu_new(RAM_MB, true);
    pristine = malloc((size_t)RAM_MB << 20);
    memcpy(pristine, cpu->mem->ram, (size_t)RAM_MB << 20);
}

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void enter_mode(unsigned mode)
{
    const uint16_t code32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0xB;
    const uint16_t data32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0x3;
    switch (mode & 7) {
    case 0:   /* real mode */
        cpu->cr0 &= ~CR0_PE;
        cpu->idtr = (DescTable){ 0, 0x3FF };
        for (unsigned s = 0; s < 6; s++)
            seg_load_real(cpu, s, 0);
        seg_load_cs_checked(cpu, 0, 0, 0xFFFF, DESC_P | DESC_S | 0xB, 0);
        cpu->seg[SEG_CS].access = SEG_ACC_READ | SEG_ACC_WRITE;
        cpu->stack32 = false;
        cpu->gpr[R_ESP] = 0x8000;
        break;
    case 1:   /* 16-bit protected mode */
        seg_load_cs_checked(cpu, H_SEL_CODE16, 0, 0xFFFF, DESC_P | DESC_S | 0xB, 0);
        break;
    case 3: {   /* CPL 3, flat */
        seg_load_cs_checked(cpu, H_SEL_UCODE32, 0, 0xFFFFFFFFu, code32 | 3 << DESC_DPL_SHIFT, 3);
        for (unsigned s = 0; s < 6; s++)
            if (s != SEG_CS)
                seg_set_cache(&cpu->seg[s], H_SEL_UDATA32, 0, 0xFFFFFFFFu,
                              data32 | 3 << DESC_DPL_SHIFT);
        break;
    }
    case 4:   /* virtual-8086 */
        flags_write(cpu, FLAG_VM, FLAG_VM);
        cpu_set_cpl(cpu, 3);
        for (unsigned s = 0; s < 6; s++)
            seg_load_real(cpu, s, 0x1000);
        cpu->stack32 = false;
        cpu->gpr[R_ESP] = 0x8000;
        break;
    default:  /* 32-bit protected mode, CPL 0: as the harness left it */
        break;
    }
    if (mode & 8) {
        /* Identity-map the RAM with 4 MiB PSE pages (the first one user). */
        phys_write(cpu->mem, 0x1FF000, 4, 0x87);
        cpu->cr4 |= CR4_PSE;
        cpu->cr3 = 0x1FF000;
        if (cpu->cr0 & CR0_PE) {
            cpu->cr0 |= CR0_PG;
            cpu_paging_changed(cpu);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cpu)
        setup_once();
    if (size < 34 || size > 4096)
        return 0;
    /* Fresh machine state for every input. */
    memcpy(cpu->mem->ram, pristine, (size_t)RAM_MB << 20);
    cpu_reset(cpu);
    cpu->gdtr = (DescTable){ H_GDT_BASE, 0x3F };
    cpu->idtr = (DescTable){ H_IDT_BASE, 0x7FF };
    cpu->cr0 |= CR0_PE;
    const uint16_t code32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0xB;
    const uint16_t data32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0x3;
    seg_load_cs_checked(cpu, H_SEL_CODE32, 0, 0xFFFFFFFFu, code32, 0);
    for (unsigned s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_set_cache(&cpu->seg[s], H_SEL_DATA32, 0, 0xFFFFFFFFu, data32);
    seg_set_cache(&cpu->seg[SEG_TR], H_SEL_TSS, H_TSS_BASE, 0x67, DESC_P | 0xB);
    cpu->stack32 = true;
    for (int i = 0; i < 8; i++)
        cpu->gpr[i] = rd32(data + 1 + 4 * i);
    cpu->gpr[R_ESP] = 0x90000;
    flags_write(cpu, rd32(data + 1) & (FLAGS_ARITH | FLAG_DF), FLAGS_ARITH | FLAG_DF);
    enter_mode(data[0]);
    size_t code_len = size - 33;
    phys_write_block(cpu->mem, CODE_AT, data + 33, code_len);
    phys_write_block(cpu->mem, 0x20000, data + 33, code_len);   /* data to point at */
    uint32_t base = cpu->seg[SEG_CS].base;
    h_run(cpu, CODE_AT - base, 2000);
    return 0;
}
