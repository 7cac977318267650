/* SPDX-License-Identifier: MIT */
/* A CPU with RAM for unit tests (see cpu_harness.h for the layout). */
#include "tests/unit/cpu_harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "cpu/seg.h"
#include "memory/phys.h"

void h_set_gdt(Cpu *cpu, unsigned index, uint32_t base, uint32_t limit, uint16_t flags)
{
    /* flags: DESC_* layout (type|S|DPL|P in bits 0-7, AVL/DB/G in 12-15) */
    uint32_t raw_limit = (flags & DESC_G) ? limit >> 12 : limit;
    uint32_t lo = (raw_limit & 0xFFFF) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xFF) | ((uint32_t)(flags & 0xF0FF) << 8) |
                  (raw_limit & 0xF0000) | (base & 0xFF000000u);
    h_write32(cpu, H_GDT_BASE + index * 8, lo);
    h_write32(cpu, H_GDT_BASE + index * 8 + 4, hi);
}

static void build_tables(Cpu *cpu)
{
    const uint16_t code32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0xB;
    const uint16_t data32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0x3;
    h_set_gdt(cpu, 1, 0, 0xFFFFFFFFu, code32);
    h_set_gdt(cpu, 2, 0, 0xFFFFFFFFu, data32);
    h_set_gdt(cpu, 3, 0, 0xFFFF, DESC_P | DESC_S | 0xB);
    h_set_gdt(cpu, 4, 0, 0xFFFF, DESC_P | DESC_S | 0x3);
    h_set_gdt(cpu, 5, 0, 0xFFFFFFFFu, code32 | (3 << DESC_DPL_SHIFT));
    h_set_gdt(cpu, 6, 0, 0xFFFFFFFFu, data32 | (3 << DESC_DPL_SHIFT));
    h_set_gdt(cpu, 7, H_TSS_BASE, 0x67, DESC_P | 0xB);   /* busy 32-bit TSS, as after LTR */
    for (unsigned v = 0; v < 256; v++) {
        uint32_t stub = H_STUB_BASE + v * 16;
        h_write32(cpu, v * 4, (0x0300u << 16) | (v * 16));   /* IVT */
        /* 32-bit interrupt gate, DPL 3 so INT n from CPL 3 works in tests */
        h_write32(cpu, H_IDT_BASE + v * 8, (H_SEL_CODE32 << 16) | (stub & 0xFFFF));
        h_write32(cpu, H_IDT_BASE + v * 8 + 4, (stub & 0xFFFF0000u) | 0xEE00u);
        uint8_t hlt = 0xF4;
        phys_write_block(cpu->mem, stub, &hlt, 1);
    }
    h_write32(cpu, H_TSS_BASE + 4, 0x9F000);          /* ESP0 */
    h_write32(cpu, H_TSS_BASE + 8, H_SEL_DATA32);     /* SS0 */
    h_write32(cpu, H_TSS_BASE + 0x64, 0x68u << 16);   /* I/O bitmap beyond limit */
}

Cpu *h_cpu_new(unsigned ram_mb, bool protected32)
{
    char err[128];
    PhysMem *mem = phys_new(ram_mb << 20, err, sizeof err);
    if (!mem) {
        fprintf(stderr, "harness: %s\n", err);
        abort();
    }
    PortBus *bus = malloc(sizeof *bus);
    portbus_init(bus);
    Cpu *cpu = cpu_new(mem, bus);
    build_tables(cpu);
    cpu->gdtr = (DescTable){ H_GDT_BASE, 0x3F };
    if (protected32) {
        const uint16_t code32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0xB;
        const uint16_t data32 = DESC_G | DESC_DB | DESC_P | DESC_S | 0x3;
        cpu->cr0 |= CR0_PE;
        cpu->idtr = (DescTable){ H_IDT_BASE, 0x7FF };
        seg_load_cs_checked(cpu, H_SEL_CODE32, 0, 0xFFFFFFFFu, code32, 0);
        for (unsigned s = 0; s < 6; s++)
            if (s != SEG_CS)
                seg_set_cache(&cpu->seg[s], H_SEL_DATA32, 0, 0xFFFFFFFFu, data32);
        seg_set_cache(&cpu->seg[SEG_TR], H_SEL_TSS, H_TSS_BASE, 0x67, DESC_P | 0xB);
        cpu->stack32 = true;
        cpu->gpr[R_ESP] = 0x90000;
    } else {
        cpu->idtr = (DescTable){ 0, 0x3FF };
        seg_load_real(cpu, SEG_CS, 0);
        for (unsigned s = 0; s < 6; s++)
            seg_load_real(cpu, s, 0);
        cpu->gpr[R_ESP] = 0x8000;
    }
    return cpu;
}

void h_cpu_free(Cpu *cpu)
{
    PhysMem *mem = cpu->mem;
    PortBus *bus = cpu->io;
    cpu_free(cpu);
    phys_free(mem);
    free(bus);
}

void h_load(Cpu *cpu, uint32_t phys, const void *code, size_t len)
{
    phys_write_block(cpu->mem, phys, code, len);
}

uint64_t h_run(Cpu *cpu, uint32_t eip, uint64_t max_insns)
{
    uint64_t done = 0;
    cpu->eip = eip;
    cpu->halted = false;
    while (done < max_insns && !cpu->halted && !cpu->triple_fault)
        done += cpu_run(cpu, max_insns - done);
    return done;
}

int h_last_exception(Cpu *cpu)
{
    if (!cpu->halted)
        return -1;
    uint32_t at = cpu->seg[SEG_CS].base + cpu->eip - 1;
    if (at < H_STUB_BASE || at >= H_STUB_BASE + 256 * 16 || (at - H_STUB_BASE) % 16)
        return -1;
    return (int)((at - H_STUB_BASE) / 16);
}

uint32_t h_last_errcode(Cpu *cpu)
{
    uint32_t sp = cpu->seg[SEG_SS].base + (cpu->stack32 ? cpu->gpr[R_ESP] : cpu->gpr[R_ESP] & 0xFFFF);
    return cpu->stack32 ? h_read32(cpu, sp) : (h_read32(cpu, sp) & 0xFFFF);
}

uint32_t h_read32(Cpu *cpu, uint32_t phys) { return (uint32_t)phys_read(cpu->mem, phys, 4); }
void h_write32(Cpu *cpu, uint32_t phys, uint32_t v) { phys_write(cpu->mem, phys, 4, v); }
uint8_t h_read8(Cpu *cpu, uint32_t phys) { return (uint8_t)phys_read(cpu->mem, phys, 1); }
uint32_t h_eflags(Cpu *cpu) { return flags_read(cpu); }
PortBus *h_portbus(Cpu *cpu) { return cpu->io; }
