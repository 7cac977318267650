/* SPDX-License-Identifier: MIT */
/* Real-time pacing of the virtual clock (see pace.h). */
#include "machine/pace.h"

#include <errno.h>
#include <time.h>

uint64_t pace_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pacer_start(Pacer *p, bool on, bool adaptive, uint64_t guest_ns)
{
    *p = (Pacer){ .on = on, .adaptive = on && adaptive, .host_anchor_ns = pace_host_ns(),
                  .guest_anchor_ns = guest_ns };
}

enum {
    ADAPT_WINDOW_NS = 200000000,     /* look at the host's speed this often */
    ADAPT_MIN_WORK = 5000000,        /* instructions a window needs to count */
    ADAPT_MIN_RUNNING_NS = 20000000,
};
#define ADAPT_MIN_IPS 10000000ull    /* 10 MIPS: the slowest guest clock rate */
#define ADAPT_MAX_IPS 2000000000ull

void pacer_adapt(Pacer *p, Clock *c, uint64_t executed)
{
    if (!p->adaptive)
        return;
    uint64_t now = pace_host_ns();
    if (!p->win_host_ns || now - p->win_host_ns < ADAPT_WINDOW_NS) {
        if (!p->win_host_ns) {
            p->win_host_ns = now;
            p->win_slept_ns = p->slept_ns;
            p->win_executed = executed;
        }
        return;
    }
    uint64_t span = now - p->win_host_ns, slept = p->slept_ns - p->win_slept_ns;
    uint64_t running = span > slept ? span - slept : 0;
    uint64_t done = executed - p->win_executed;
    p->win_host_ns = now;
    p->win_slept_ns = p->slept_ns;
    p->win_executed = executed;
    /* A mostly idle window says nothing about the host's speed. */
    if (done < ADAPT_MIN_WORK || running < ADAPT_MIN_RUNNING_NS)
        return;
    uint64_t target = done * 1000000000ull / running * 95 / 100;
    if (target < ADAPT_MIN_IPS)
        target = ADAPT_MIN_IPS;
    if (target > ADAPT_MAX_IPS)
        target = ADAPT_MAX_IPS;
    /* Smoothed: one slow window is no trend. A window that ran more than
     * twice the current rate proves the host that fast, so the rate jumps
     * there: a busy guest starting at the nominal rate would otherwise
     * sleep through its first seconds. */
    uint64_t ips = target > c->ips * 2 ? target : (c->ips * 3 + target) / 4;
    if (ips * 50 > c->ips * 51 || ips * 51 < c->ips * 50) {
        clock_set_rate(c, ips);
        p->rate_changes++;
    }
}

uint64_t pacer_ahead(Pacer *p, uint64_t guest_ns)
{
    uint64_t now = pace_host_ns();
    uint64_t host = now - p->host_anchor_ns;
    uint64_t guest = guest_ns - p->guest_anchor_ns;
    if (guest >= host)
        return guest - host;
    if (host - guest > PACE_SLACK_NS) {
        p->host_anchor_ns = now;
        p->guest_anchor_ns = guest_ns;
        p->reanchors++;
    }
    return 0;
}

uint64_t pacer_wait(Pacer *p, uint64_t guest_ns, uint64_t max_ns)
{
    if (!p->on)
        return 0;
    uint64_t ahead = pacer_ahead(p, guest_ns);
    if (ahead > max_ns)
        ahead = max_ns;
    /* A few ms ahead is let be: one sleep per few slices instead of one
     * per 1 ms serial poll keeps an idle guest cheap. */
    if (ahead < PACE_MIN_SLEEP_NS)
        return 0;
    struct timespec ts = { .tv_sec = (time_t)(ahead / 1000000000ull),
                           .tv_nsec = (long)(ahead % 1000000000ull) };
    /* A signal (SIGINT, the --timeout alarm) cuts the sleep short: the
     * loop looks at it at once. */
    uint64_t t0 = pace_host_ns();
    if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
        return 0;
    uint64_t slept = pace_host_ns() - t0;
    p->slept_ns += slept;
    return slept;
}
