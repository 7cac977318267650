/* SPDX-License-Identifier: MIT */
/* The machine's processors and their interrupt controllers (see cpus.h). */
#include "machine/cpus.h"

#include <stdio.h>

#include "cpu/cpu_state.h"
#include "debug/breakpoints.h"
#include "debug/trace.h"
#include "fpu/fpu.h"
#include "machine/machine.h"

/* A spinning CPU leaves its slice at its 16th PAUSE in it: a bounded spin
 * of fewer rounds ends as before, and an unbounded one wastes about a
 * hundred instructions a slice instead of the whole slice (docs/SMP.md). */
#define PAUSES_BEFORE_YIELD 16

bool cpus_init(Machine *m)
{
    int n = m->opt.smp_cpus > 0 ? m->opt.smp_cpus : 1;
    m->cpus[0] = m->cpu;
    m->n_cpus = n;
    for (int i = 1; i < n; i++) {
        m->cpus[i] = cpu_new(m->mem, &m->io);
        if (!m->cpus[i]) {
            fprintf(stderr, "kairo: out of memory creating CPU %d\n", i);
            return false;
        }
        /* every CPU is the -cpu model (an AP of another model would not
         * run the BSP's kernel: no NX, no SVM, another CPUID) */
        cpu_set_model(m->cpus[i], m->cpu->model);
        m->cpus[i]->log_mask = m->cpu->log_mask;
        m->cpus[i]->log_file = m->cpu->log_file;
    }
    ioapic_init(&m->ioapic, apic_bus_deliver, &m->apic_bus);
    apic_bus_init(&m->apic_bus, m->mem, &m->clock, &m->pic, &m->ioapic);
    for (int i = 0; i < n; i++)
        if (!apic_attach(&m->apic_bus, &m->lapic[i], m->cpus[i], i))
            return false;
    /* cpu_reset made every CPU a BSP: the APs learn that they are not. */
    for (int i = 1; i < n; i++)
        cpu_reset(m->cpus[i]);
    if (!ioapic_map(&m->ioapic, m->mem)) {
        fprintf(stderr, "kairo: cannot map the I/O APIC\n");
        return false;
    }
    irqroute_init(&m->irq, &m->pic, &m->ioapic);
    if (n > 1)
        for (int i = 0; i < n; i++) {
            m->cpus[i]->tsc_floor = &m->tsc_floor;
            m->cpus[i]->pause_yield_after = PAUSES_BEFORE_YIELD;
        }
    cpus_share_tracer(m);
    return true;
}

void cpus_print_stats(const Machine *m, FILE *out)
{
    if (m->n_cpus < 2)
        return;
    uint64_t all = 0;
    for (int i = 0; i < m->n_cpus; i++) {
        const Cpu *c = m->cpus[i];
        all += c->icount - c->idle_insns;
        fprintf(out, "kairo: CPU %d: %llu instructions executed, %llu idle (halted or spinning)\n",
                i, (unsigned long long)(c->icount - c->idle_insns),
                (unsigned long long)c->idle_insns);
    }
    fprintf(out, "kairo: all CPUs: %llu instructions executed\n", (unsigned long long)all);
}

void cpus_share_tracer(Machine *m)
{
    for (int i = 1; i < m->n_cpus; i++)
        trace_add_cpu(m->cpu, m->cpus[i], i);
}

/* Did the CPU stop early because of an INIT or SIPI it accepted (rather
 * than a debugger, a reset request or a triple fault)? */
static bool stopped_for_startup(const Lapic *a)
{
    return a->init_pending || a->sipi_pending || a->cpu->init_held;
}

/* Run CPU i until its count reaches end (a CPU waiting for SIPI idles). */
static void run_cpu_until(Machine *m, int i, uint64_t end)
{
    Cpu *c = m->cpus[i];
    Lapic *a = &m->lapic[i];
    m->apic_bus.current = a;
    m->clock.icount = &c->icount;
    m->clock.icount_stop = &c->icount_stop;
    if (c->tracer)
        trace_cpu_switch(c);
    for (int round = 0; round < 4 && c->icount < end; round++) {
        if (!apic_cpu_startup(a)) {
            c->idle_insns += end - c->icount;
            c->icount = end;
            break;
        }
        c->spin_pauses = 0;
        cpu_run(c, end - c->icount);
        if (c->yielded) {
            /* A spin-wait (insn_pause): the rest of the slice idles. */
            c->yielded = false;
            c->idle_insns += end - c->icount;
            c->icount = end;
            break;
        }
        if (c->triple_fault || !stopped_for_startup(a))
            break;
    }
    m->clock.icount = &m->cpu->icount;
    m->clock.icount_stop = NULL;
    m->apic_bus.current = &m->lapic[0];
}

/* CPUs from..n-1 up to end. A debugger's stop (a breakpoint, watchpoint or
 * step on any CPU) stops the machine: the CPUs after it wait, and the next
 * slice starts with the rest of this one, from the CPU that stopped. */
static void run_cpus_from(Machine *m, int from, uint64_t end)
{
    Cpu *bsp = m->cpu;
    m->slice_next = 0;
    for (int i = from; i < m->n_cpus; i++) {
        Cpu *c = m->cpus[i];
        run_cpu_until(m, i, end);
        if (c->triple_fault && i > 0) {
            /* An AP's shutdown cycle resets the board, as the BSP's does. */
            c->triple_fault = false;
            bsp->triple_fault = true;
        }
        if (m->n_cpus > 1 && dbg_stop_pending(bsp)) {
            m->slice_next = i + (c->icount >= end);
            m->slice_end = end;
            return;
        }
    }
}

/* A debugger's step runs its CPU alone (all-stop: the others stay where
 * they are, as with QEMU's gdb stub). A halted or waiting CPU has no
 * instruction to step: then every CPU runs until it has one. */
static bool step_alone(Machine *m, Cpu *step, uint64_t slice)
{
    for (int i = 0; i < m->n_cpus; i++)
        if (m->cpus[i] == step && !step->halted && (i == 0 || !m->lapic[i].wait_sipi)) {
            run_cpu_until(m, i, step->icount + slice);
            if (i == 0 && !m->slice_next) {
                m->slice_next = 1;   /* the APs catch up with the BSP when it goes on */
                m->slice_end = step->icount;
            }
            return true;
        }
    return false;
}

void cpus_run_slice(Machine *m, uint64_t slice)
{
    Cpu *bsp = m->cpu;
    Cpu *step = m->n_cpus > 1 ? dbg_stepping_cpu(bsp) : NULL;
    if (step && step_alone(m, step, slice))
        return;
    if (m->slice_next > 0 && m->slice_next < m->n_cpus) {
        run_cpus_from(m, m->slice_next, m->slice_end);
        return;
    }
    run_cpu_until(m, 0, bsp->icount + slice);
    if (m->n_cpus > 1 && dbg_stop_pending(bsp)) {
        m->slice_next = 1;   /* the APs catch up with the BSP when it goes on */
        m->slice_end = bsp->icount;
        return;
    }
    run_cpus_from(m, 1, bsp->icount);
}

static bool cpu_stopped(const Machine *m, int i)
{
    const Cpu *c = m->cpus[i];
    if (m->lapic[i].wait_sipi && !m->lapic[i].sipi_pending)
        return true;
    return c->halted && !(c->eflags & FLAG_IF) && !c->nmi_pending;
}

bool cpus_all_stopped(const Machine *m)
{
    for (int i = 0; i < m->n_cpus; i++)
        if (!cpu_stopped(m, i))
            return false;
    return true;
}

bool cpus_all_waiting(const Machine *m)
{
    for (int i = 0; i < m->n_cpus; i++) {
        const Cpu *c = m->cpus[i];
        if (i > 0 && m->lapic[i].wait_sipi)
            continue;
        if (!c->halted || !(c->eflags & FLAG_IF) || c->intr || c->nmi_pending)
            return false;
    }
    return true;
}

bool cpus_register_components(Machine *m)
{
    char name[24];
    if (!devlist_add(&m->devices, &ioapic_desc, &m->ioapic, "ioapic"))
        return false;
    for (int i = 0; i < m->n_cpus; i++) {
        snprintf(name, sizeof name, "apic%d", i);
        if (!devlist_add(&m->devices, &apic_desc, &m->lapic[i], name))
            return false;
    }
    /* The APs' CPU and x87 state; the BSP's keep their names "cpu" and
     * "fpu" (registered last by the machine). */
    for (int i = 1; i < m->n_cpus; i++) {
        snprintf(name, sizeof name, "fpu%d", i);
        if (!devlist_add(&m->devices, &fpu_desc, m->cpus[i]->fpu, name))
            return false;
        snprintf(name, sizeof name, "cpu%d", i);
        if (!devlist_add(&m->devices, &cpu_desc, m->cpus[i], name))
            return false;
    }
    return true;
}
