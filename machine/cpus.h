/* SPDX-License-Identifier: MIT */
/* The machine's processors: -smp N CPUs, each with its local APIC, the
 * I/O APIC, the board's interrupt wiring, and the round-robin slice that
 * runs the CPUs one after the other on the host thread.
 *
 * Guest time is the BSP's instruction count. In one slice the BSP runs
 * first, then every AP runs up to the count the BSP reached (its own
 * icount follows the BSP's, and the clock reads the running CPU's count,
 * so a timer an AP arms is relative to its own progress). Timers fire
 * between slices. The order and the lengths depend only on the counts,
 * so a run stays deterministic. */
#ifndef KAIRO_CPUS_H
#define KAIRO_CPUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct Machine;

/* With more than one CPU a slice is at most this long: it is the latency
 * of an IPI or a spinlock hand-over between CPUs. */
#define SMP_SLICE_INSNS 20000u

/* After pic_init and the BSP: the APs, the APICs, the I/O APIC, the
 * router. Prints one line and returns false on failure. */
bool cpus_init(struct Machine *m);
/* Every CPU for slice instructions of guest time. */
void cpus_run_slice(struct Machine *m, uint64_t slice);
/* Is every CPU halted with nothing that could wake it (IF clear, no NMI)
 * or waiting for a start-up IPI? */
bool cpus_all_stopped(const struct Machine *m);
/* --stats with -smp > 1: each CPU's executed and idle instructions. */
void cpus_print_stats(const struct Machine *m, FILE *out);
/* Every AP shares the BSP's tracer (after one was attached to it). */
void cpus_share_tracer(struct Machine *m);
/* Is every CPU halted with interrupts on and nothing pending (the guest
 * waits for a timer or a device)? */
bool cpus_all_waiting(const struct Machine *m);
/* The component descriptors of the APs, the APICs and the I/O APIC. */
bool cpus_register_components(struct Machine *m);

#endif
