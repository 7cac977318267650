/* SPDX-License-Identifier: MIT */
/* The virtual clock and its timers.
 *
 * Guest time is derived from the instruction count alone: ns =
 * icount * 1e9 / ips (piecewise, when adaptive pacing changes the rate). Devices arm timers at guest-time deadlines; the
 * machine runs the CPU exactly up to the next deadline, so the same image
 * and input give the same instruction count at every event, every run. */
#ifndef KAIRO_CLOCK_H
#define KAIRO_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Clock Clock;

typedef struct Timer {
    Clock *clock;
    uint64_t deadline;          /* guest ns */
    void (*cb)(void *opaque);
    void *opaque;
    bool armed;
    struct Timer *next;
} Timer;

struct Clock {
    uint64_t ips;               /* instructions per guest second (now) */
    const uint64_t *icount;     /* the CPU's retired-instruction counter */
    /* Where the running CPU's slice ends (NULL: no CPU attached). A timer
     * armed inside a slice for a deadline before that ends the slice
     * there, so it fires at its own count wherever slices were cut. */
    uint64_t *icount_stop;
    Timer *head;                /* armed timers, earliest first */
    /* Where the current rate took over: guest time is base_ns plus the
     * instructions since base_icount at ips (the rate only changes under
     * adaptive pacing, machine/pace.h). */
    uint64_t base_icount, base_ns;
};

void clock_init(Clock *c, uint64_t ips, const uint64_t *icount);
uint64_t clock_ns(const Clock *c);
/* A new rate from now on; guest time stays continuous. */
void clock_set_rate(Clock *c, uint64_t ips);
/* Instructions from now until guest time ns (0 if past). */
uint64_t clock_insns_until(const Clock *c, uint64_t ns);

void timer_init(Timer *t, Clock *c, void (*cb)(void *opaque), void *opaque);
void timer_mod(Timer *t, uint64_t deadline_ns);
void timer_del(Timer *t);
/* Instructions until the earliest armed timer, or UINT64_MAX. */
uint64_t clock_insns_to_next(const Clock *c);
/* Fire every timer whose deadline has passed. */
void clock_run_timers(Clock *c);

#endif
