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

void pacer_start(Pacer *p, bool on, uint64_t guest_ns)
{
    *p = (Pacer){ .on = on, .host_anchor_ns = pace_host_ns(), .guest_anchor_ns = guest_ns };
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
    if (!ahead)
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
