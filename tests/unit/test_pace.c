/* SPDX-License-Identifier: MIT */
/* Real-time pacing (machine/pace.c) and the piecewise clock rate. */
#include <criterion/criterion.h>

#include "machine/clock.h"
#include "machine/pace.h"

Test(pace, clock_rate_change_keeps_guest_time_continuous)
{
    Clock c;
    uint64_t icount = 0;
    clock_init(&c, 100000000, &icount);
    icount = 250000000;                       /* 2.5 s at 100 M/s */
    cr_assert_eq(clock_ns(&c), 2500000000ull);
    clock_set_rate(&c, 200000000);
    cr_assert_eq(clock_ns(&c), 2500000000ull, "no jump at the change");
    icount += 200000000;                      /* one more second at the new rate */
    cr_assert_eq(clock_ns(&c), 3500000000ull);
    cr_assert_eq(clock_insns_until(&c, 4000000000ull), 100000000, "deadlines at the new rate");
    icount = 250000000 - 200000000;           /* set back (a snapshot loaded): 1 s earlier */
    cr_assert_eq(clock_ns(&c), 1500000000ull, "the line extended backwards");
}

Test(pace, a_guest_ahead_sleeps_about_the_difference)
{
    Pacer p;
    pacer_start(&p, true, false, 0);
    uint64_t t0 = pace_host_ns();
    uint64_t slept = pacer_wait(&p, 30000000, 1000000000);   /* 30 ms ahead */
    uint64_t took = pace_host_ns() - t0;
    cr_assert(slept >= 25000000 && took >= 25000000, "slept %llu ns", (unsigned long long)slept);
    cr_assert(took < 500000000);
    cr_assert_eq(pacer_wait(&p, 30000000, 1000000000) > 5000000, false, "caught up: no sleep");
}

Test(pace, max_bounds_one_sleep_and_off_never_sleeps)
{
    Pacer p;
    pacer_start(&p, true, false, 0);
    uint64_t slept = pacer_wait(&p, 5000000000ull, 10000000);   /* 5 s ahead, 10 ms at most */
    cr_assert(slept < 200000000, "slept %llu ns", (unsigned long long)slept);
    Pacer off;
    pacer_start(&off, false, false, 0);
    cr_assert_eq(pacer_wait(&off, 5000000000ull, 1000000000), 0);
}

Test(pace, far_behind_moves_the_anchor)
{
    Pacer p;
    pacer_start(&p, true, false, 0);
    p.host_anchor_ns -= 2000000000ull;          /* as if held stopped for 2 s */
    cr_assert_eq(pacer_ahead(&p, 0), 0);
    cr_assert_eq(p.reanchors, 1, "more than the slack behind: re-anchored");
    /* From the new anchor, 10 ms of guest time is 10 ms ahead again. */
    cr_assert(pacer_ahead(&p, 10000000) > 5000000);
}

Test(pace, adaptive_rate_follows_a_busy_guest)
{
    Clock c;
    uint64_t icount = 0;
    clock_init(&c, 100000000, &icount);
    Pacer p;
    pacer_start(&p, true, true, 0);
    pacer_adapt(&p, &c, 0);                     /* opens the window */
    p.win_host_ns -= 250000000;                 /* 250 ms of host time ... */
    pacer_adapt(&p, &c, 100000000);             /* ... ran 100 M instructions: 400 M/s */
    cr_assert(c.ips > 100000000 && c.ips < 400000000, "smoothed towards 380 M/s: %llu",
              (unsigned long long)c.ips);
    uint64_t before = c.ips;
    p.win_host_ns -= 250000000;
    pacer_adapt(&p, &c, 100000000 + 1000);      /* an idle window: no change */
    cr_assert_eq(c.ips, before);
    Pacer fixed;
    pacer_start(&fixed, true, false, 0);
    pacer_adapt(&fixed, &c, 0);
    fixed.win_host_ns = pace_host_ns() - 250000000;
    pacer_adapt(&fixed, &c, 900000000);
    cr_assert_eq(c.ips, before, "a fixed rate never adapts");
}
