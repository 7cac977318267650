/* SPDX-License-Identifier: MIT */
/* Real-time pacing of the virtual clock.
 *
 * Guest time stays a function of the instruction count (machine/clock.h):
 * every event happens at the same instruction count as in a run without
 * pacing. Pacing only decides when, in host time, those instructions run:
 * a guest that got ahead of the wall clock (it ran faster than its nominal
 * rate, or it skipped a halt to its next timer) sleeps until the wall
 * clock catches up. This is QEMU's -icount shift=N,sleep=on. A guest that
 * falls behind (a slow stretch, or held stopped by a debugger) is not made
 * to race: past a small slack the anchor moves, so guest time resumes at
 * the host's rate from there. */
#ifndef KAIRO_PACE_H
#define KAIRO_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/clock.h"

typedef struct Pacer {
    bool on;
    /* Adaptive rate (the default, QEMU's shift=auto): the virtual rate
     * follows what the host achieves on a busy guest, so a busy guest runs
     * as fast as the host allows and its clock still keeps the wall
     * clock's pace. --ips / -icount shift=N fix the rate instead. */
    bool adaptive;
    uint64_t win_host_ns, win_slept_ns, win_executed;   /* the current window */
    uint64_t rate_changes;
    uint64_t host_anchor_ns;    /* CLOCK_MONOTONIC at the anchor */
    uint64_t guest_anchor_ns;   /* guest time at the anchor */
    uint64_t slept_ns;          /* total, for --stats */
    uint64_t reanchors;         /* times the guest fell behind (or was held) */
} Pacer;

/* The largest lag (guest behind the host) that is made up by running
 * without sleeps; beyond it the anchor moves. */
#define PACE_SLACK_NS 100000000ull
/* The least a guest ahead sleeps at once (it may be this far ahead). */
#define PACE_MIN_SLEEP_NS 3000000ull

uint64_t pace_host_ns(void);
void pacer_start(Pacer *p, bool on, bool adaptive, uint64_t guest_ns);
/* After a slice: executed is the CPU's count of instructions actually run
 * (not idle skips). Every 200 ms of host time, a window with enough work
 * in it sets the clock's rate to 95 % of the speed measured. */
void pacer_adapt(Pacer *p, Clock *c, uint64_t executed);
/* How far (ns) the guest is ahead of the wall clock now (0 if behind);
 * moves the anchor when it is more than PACE_SLACK_NS behind. */
uint64_t pacer_ahead(Pacer *p, uint64_t guest_ns);
/* Sleep while the guest is ahead, at most max_ns; returns the ns slept. */
uint64_t pacer_wait(Pacer *p, uint64_t guest_ns, uint64_t max_ns);

#endif
