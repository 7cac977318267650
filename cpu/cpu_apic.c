/* SPDX-License-Identifier: MIT */
/* What the CPU itself knows of its local APIC: CPUID's APIC bit and
 * initial APIC ID, and the start-up IPI's entry into real mode. The APIC
 * (iodev/apic.c) does the rest through the Cpu's intr/NMI lines. */
#include "cpu/cpuid.h"
#include "cpu/icache.h"
#include "cpu/seg.h"

void cpu_cpuid_apic(const Cpu *cpu, uint32_t leaf, uint32_t out[4])
{
    if (leaf != 1 || !cpu->apic)
        return;
    /* A hardware-disabled APIC (IA32_APIC_BASE bit 11 clear) vanishes
     * from CPUID, as on a real P6. */
    if (cpu->msr.apic_base & 0x800u)
        out[3] |= CPUID_APIC;
    out[1] = (out[1] & 0x00FFFFFFu) | (uint32_t)cpu->apic_id << 24;
}

/* The CPUs run one after the other, each up to the same instruction
 * count, so within a slice a later CPU's counter lags an earlier one's.
 * Time read through RDTSC must not go backwards from one CPU to the next
 * (Linux checks that before it trusts the TSC): a read below the highest
 * one yet returns that one. */
uint64_t cpu_tsc_across_cpus(Cpu *cpu, uint64_t tsc)
{
    if (tsc < *cpu->tsc_floor)
        return *cpu->tsc_floor;
    *cpu->tsc_floor = tsc;
    return tsc;
}

void cpu_start_at(Cpu *cpu, uint16_t cs_sel)
{
    seg_set_cache(&cpu->seg[SEG_CS], cs_sel, (uint32_t)cs_sel << 4, 0xFFFF,
                  DESC_P | DESC_S | 0xB);
    seg_set_access(&cpu->seg[SEG_CS], SEG_ACC_READ | SEG_ACC_WRITE);
    cpu->eip = 0;
    cpu->halted = false;
    cpu->chain_epoch++;
}

/* A spin-wait on a multiprocessor run by one host thread cannot end
 * before the other CPUs run: what it waits for is their work. So after a
 * few PAUSEs in one run (enough for a short bounded spin to finish on its
 * own) the CPU leaves its slice right after the PAUSE, which the machine
 * counts as idle, as it does a halted CPU's. Right after it, not at the
 * end of the block: a loop that frees a lock, pauses and takes it again
 * (SeaBIOS's AP bring-up) must be left with the lock free. Only the
 * instruction stream decides: determinism holds. */
const Insn *insn_pause(Cpu *cpu, const Insn *in)
{
    if (cpu->pause_yield_after && ++cpu->spin_pauses >= cpu->pause_yield_after) {
        cpu->yielded = true;
        cpu->stop_request = true;
        cpu->eip += in->len;
        return insn_leave_block(cpu, in);
    }
    return insn_next(cpu, in);
}
