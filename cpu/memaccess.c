/* SPDX-License-Identifier: MIT */
/* The slow paths behind mem_access.h: segment faults, TLB misses, accesses
 * that cross a page, MMIO, writes to pages holding decoded code, data
 * breakpoints, and the code-fetch interface of the block cache. */
#include "cpu/exception.h"
#include "cpu/mem_access.h"

/* Raise the fault an access to seg:[off, off+size) deserves, if any. */
static void seg_check(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, bool write)
{
    const SegCache *s = &cpu->seg[seg];
    uint32_t need = write ? SEG_ACC_WRITE : SEG_ACC_READ;
    bool rights = (s->access & need) != 0;
    bool limit = off >= s->lim_lo && (uint64_t)off + (size - 1) <= s->lim_hi;
    if (rights && limit)
        return;
    /* Stack-segment limit violations are #SS; everything else #GP(0). A
     * null SS cannot be loaded at CPL < 3 outside 64-bit mode, so an
     * unusable SS here is a limit case too. */
    cpu_fault(cpu, seg == SEG_SS && rights ? EXC_SS : EXC_GP, 0);
}

/* DR0-DR3 data breakpoints: record hits in DR6; the loop raises the #DB
 * trap after the instruction completes. */
static void check_data_breakpoints(Cpu *cpu, uint32_t lin, unsigned size, bool write)
{
    if (cpu->debugger_active)   /* the gdb stub's watchpoints */
        cpu->debugger->data_access(cpu->debugger->opaque, cpu, lin, size, write);
    uint32_t dr7 = cpu->dr[7];
    for (int i = 0; i < 4; i++) {
        if (!((dr7 >> (2 * i)) & 3))
            continue;
        unsigned rw = (dr7 >> (16 + 4 * i)) & 3;
        if (rw == 0 || rw == 2 || (rw == 1 && !write))
            continue;
        static const uint32_t len_of[4] = { 1, 2, 8, 4 };
        uint32_t len = len_of[(dr7 >> (18 + 4 * i)) & 3];
        uint32_t bp = cpu->dr[i] & ~(len - 1);
        if (lin <= bp + (len - 1) && bp <= lin + (size - 1)) {
            cpu->dr[6] |= 1u << i;
            cpu->pending_db = true;
        }
    }
}

static bool user_access(const Cpu *cpu, bool system)
{
    return !system && cpu->cpl == 3;
}

/* Linear-address read of size 1/2/4 bytes, any alignment. */
static uint32_t lin_read(Cpu *cpu, uint32_t lin, unsigned size, bool system)
{
    bool user = user_access(cpu, system);
    if (cpu->debug_check)
        check_data_breakpoints(cpu, lin, size, false);
    if ((lin & 0xFFFu) + size <= 0x1000u) {
        uint64_t phys = cpu_translate(cpu, lin, ACC_READ, user);
        return (uint32_t)phys_read(cpu->mem, phys, size);
    }
    /* Across a page: both translations succeed before anything is read,
     * so a #PF on the second page reports the right CR2 either way. */
    unsigned first = 0x1000u - (lin & 0xFFFu);
    uint64_t p0 = cpu_translate(cpu, lin, ACC_READ, user);
    uint64_t p1 = cpu_translate(cpu, lin + first, ACC_READ, user);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t p = i < first ? p0 + i : p1 + (i - first);
        v |= (uint32_t)phys_read(cpu->mem, p, 1) << (8 * i);
    }
    return v;
}

static void lin_write(Cpu *cpu, uint32_t lin, unsigned size, uint32_t val, bool system)
{
    bool user = user_access(cpu, system);
    if ((lin & 0xFFFu) + size <= 0x1000u) {
        uint64_t phys = cpu_translate(cpu, lin, ACC_WRITE, user);
        if (cpu->debug_check)
            check_data_breakpoints(cpu, lin, size, true);
        phys_write(cpu->mem, phys, size, val);
        return;
    }
    unsigned first = 0x1000u - (lin & 0xFFFu);
    uint64_t p0 = cpu_translate(cpu, lin, ACC_WRITE, user);
    uint64_t p1 = cpu_translate(cpu, lin + first, ACC_WRITE, user);
    if (cpu->debug_check)
        check_data_breakpoints(cpu, lin, size, true);
    for (unsigned i = 0; i < size; i++) {
        uint64_t p = i < first ? p0 + i : p1 + (i - first);
        phys_write(cpu->mem, p, 1, (uint8_t)(val >> (8 * i)));
    }
}

uint32_t cpu_read_slow(Cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    seg_check(cpu, seg, off, size, false);
    return lin_read(cpu, cpu->seg[seg].base + off, size, false);
}

void cpu_write_slow(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, uint32_t val)
{
    seg_check(cpu, seg, off, size, true);
    lin_write(cpu, cpu->seg[seg].base + off, size, val, false);
}

uint64_t cpu_read64(Cpu *cpu, unsigned seg, uint32_t off)
{
    seg_check(cpu, seg, off, 8, false);
    uint32_t lin = cpu->seg[seg].base + off;
    /* Translate both halves before reading either. */
    bool user = user_access(cpu, false);
    cpu_translate(cpu, lin + 7, ACC_READ, user);
    uint64_t lo = lin_read(cpu, lin, 4, false);
    return lo | (uint64_t)lin_read(cpu, lin + 4, 4, false) << 32;
}

void cpu_write64(Cpu *cpu, unsigned seg, uint32_t off, uint64_t val)
{
    seg_check(cpu, seg, off, 8, true);
    uint32_t lin = cpu->seg[seg].base + off;
    bool user = user_access(cpu, false);
    cpu_translate(cpu, lin, ACC_WRITE, user);
    cpu_translate(cpu, lin + 7, ACC_WRITE, user);
    lin_write(cpu, lin, 4, (uint32_t)val, false);
    lin_write(cpu, lin + 4, 4, (uint32_t)(val >> 32), false);
}

void cpu_check_access(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, bool write,
                      bool probe_pages)
{
    seg_check(cpu, seg, off, size, write);
    if (!probe_pages)
        return;
    uint32_t lin = cpu->seg[seg].base + off;
    bool user = user_access(cpu, false);
    int acc = write ? ACC_WRITE : ACC_READ;
    /* Every page the range touches (size may be large: FSAVE, PUSHA). */
    uint32_t last = lin + (size - 1);
    for (uint32_t pg = lin & ~0xFFFu;; pg += 0x1000u) {
        cpu_translate(cpu, pg < lin ? lin : pg, acc, user);
        if (pg == (last & ~0xFFFu))
            break;
    }
}

uint32_t cpu_lin_read(Cpu *cpu, uint32_t lin, unsigned size, bool system)
{
    return lin_read(cpu, lin, size, system);
}

void cpu_lin_write(Cpu *cpu, uint32_t lin, unsigned size, uint32_t val, bool system)
{
    lin_write(cpu, lin, size, val, system);
}

const uint8_t *cpu_fetch_page(Cpu *cpu, uint32_t lin, uint64_t *phys)
{
    uint64_t p = cpu_translate(cpu, lin, ACC_FETCH, cpu->cpl == 3);
    *phys = p;
    if (p >> 32)
        return NULL;
    return phys_page_host(cpu->mem, p & ~0xFFFull, false);
}

uint8_t cpu_fetch_byte(Cpu *cpu, uint32_t lin)
{
    uint64_t p = cpu_translate(cpu, lin, ACC_FETCH, cpu->cpl == 3);
    return (uint8_t)phys_read(cpu->mem, p, 1);
}
