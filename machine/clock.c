/* SPDX-License-Identifier: MIT */
/* The virtual clock: guest time from the instruction count, sorted timers. */
#include "machine/clock.h"

void clock_init(Clock *c, uint64_t ips, const uint64_t *icount)
{
    c->ips = ips ? ips : 1;
    c->icount = icount;
    c->head = 0;
    c->base_icount = c->base_ns = 0;
}

/* n instructions at ips as nanoseconds, split to avoid overflow: whole
 * seconds, then the remainder. */
static uint64_t insns_ns(uint64_t n, uint64_t ips)
{
    return (n / ips) * 1000000000ull + (n % ips) * 1000000000ull / ips;
}

uint64_t clock_ns(const Clock *c)
{
    if (*c->icount >= c->base_icount)
        return c->base_ns + insns_ns(*c->icount - c->base_icount, c->ips);
    /* icount set back (a snapshot loaded after the rate changed): the
     * same line, extended backwards. */
    uint64_t back = insns_ns(c->base_icount - *c->icount, c->ips);
    return back < c->base_ns ? c->base_ns - back : 0;
}

void clock_set_rate(Clock *c, uint64_t ips)
{
    c->base_ns = clock_ns(c);
    c->base_icount = *c->icount;
    c->ips = ips ? ips : 1;
}

uint64_t clock_insns_until(const Clock *c, uint64_t ns)
{
    uint64_t now = clock_ns(c);
    if (ns <= now)
        return 0;
    uint64_t d = ns - now;
    uint64_t insns = (d / 1000000000ull) * c->ips + ((d % 1000000000ull) * c->ips + 999999999ull) / 1000000000ull;
    return insns ? insns : 1;
}

void timer_init(Timer *t, Clock *c, void (*cb)(void *opaque), void *opaque)
{
    *t = (Timer){ .clock = c, .cb = cb, .opaque = opaque };
}

void timer_del(Timer *t)
{
    if (!t->armed)
        return;
    for (Timer **pp = &t->clock->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
}

void timer_mod(Timer *t, uint64_t deadline_ns)
{
    timer_del(t);
    t->deadline = deadline_ns;
    Timer **pp = &t->clock->head;
    /* Equal deadlines fire in arming order: deterministic. */
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    uint64_t *stop = t->clock->icount_stop;
    if (stop && *stop > *t->clock->icount) {
        uint64_t due = *t->clock->icount + clock_insns_until(t->clock, deadline_ns);
        if (due < *stop)
            *stop = due;
    }
}

uint64_t clock_insns_to_next(const Clock *c)
{
    return c->head ? clock_insns_until(c, c->head->deadline) : UINT64_MAX;
}

void clock_run_timers(Clock *c)
{
    uint64_t now = clock_ns(c);
    while (c->head && c->head->deadline <= now) {
        Timer *t = c->head;
        c->head = t->next;
        t->armed = false;
        t->cb(t->opaque);
    }
}
