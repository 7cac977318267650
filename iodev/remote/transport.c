/* SPDX-License-Identifier: MIT */
/* Datagram transports and the fault-injection layer (see transport.h). */
#include "iodev/remote/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "iodev/remote/proto.h"

uint64_t rp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Preemption is seen in the spin loop's own clock readings, which are
 * vDSO calls: a gap between two turns longer than any turn's work means
 * the thread was off its CPU that long. Reading the thread's CPU clock
 * instead costs a system call at each end of every spin. Only gaps of a
 * scheduler time slice count: shorter ones are the kernel's own work on
 * this CPU (softirqs delivering the very frames we wait for) or the host
 * stealing a virtual CPU for a moment, and spinning through those costs no
 * thread of this system anything (on an idle 2-vCPU guest, counting 10 us
 * gaps switched spinning off and left the round trip at ~70 us instead of
 * ~6 us). Another runnable thread takes the CPU for a slice (ms). */
#define SPIN_GAP_NS 500000ull

bool rp_spin_begin(RpSpinGuard *g, uint64_t now_ns)
{
    if (now_ns < g->off_until)
        return false;
    g->wall0 = g->last = now_ns;
    g->off_cpu = 0;
    return true;
}

void rp_spin_tick(RpSpinGuard *g, uint64_t now_ns)
{
    if (now_ns - g->last > SPIN_GAP_NS)
        g->off_cpu += now_ns - g->last;
    g->last = now_ns;
}

/* A preempted spin pauses spinning: 100 ms after a calm spell, doubling up
 * to a second while spins keep being preempted within a second of
 * resuming. A host without an idle CPU thus soon pays one probe spin a
 * second, while a rare moment of contention on an idle host (a compiler
 * starting, a timer) does not switch spinning off for a whole second of
 * round trips. */
#define SPIN_PAUSE_MIN 100000000ull
#define SPIN_PAUSE_MAX 1000000000ull
#define SPIN_CALM 1000000000ull

void rp_spin_judge(RpSpinGuard *g, uint64_t wall_ns, uint64_t cpu_ns, uint64_t now_ns)
{
    /* Short spins say little (timer granularity): judge those of 20 us on. */
    if (wall_ns < 20000 || cpu_ns * 4 >= wall_ns * 3)
        return;
    bool again = g->pause && now_ns - g->off_until < SPIN_CALM;
    g->pause = !again ? SPIN_PAUSE_MIN
               : g->pause * 2 > SPIN_PAUSE_MAX ? SPIN_PAUSE_MAX : g->pause * 2;
    g->off_until = now_ns + g->pause;
    g->backoffs++;
}

void rp_spin_end(RpSpinGuard *g)
{
    uint64_t now = rp_now_ns();
    rp_spin_tick(g, now);
    uint64_t wall = now - g->wall0;
    rp_spin_judge(g, wall, wall - (g->off_cpu < wall ? g->off_cpu : wall), now);
}

bool rp_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

bool rp_peer_equal(const RpPeer *a, const RpPeer *b, int kind)
{
    if (kind == RP_TRANSPORT_ETH)
        return memcmp(a->mac, b->mac, 6) == 0;
    return a->salen == b->salen && memcmp(&a->sa, &b->sa, a->salen) == 0;
}

void rp_peer_format(const RpPeer *p, int kind, char *out, size_t outlen)
{
    if (kind == RP_TRANSPORT_ETH) {
        snprintf(out, outlen, "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1], p->mac[2],
                 p->mac[3], p->mac[4], p->mac[5]);
        return;
    }
    char host[INET6_ADDRSTRLEN] = "?", serv[8] = "?";
    getnameinfo((const struct sockaddr *)&p->sa, p->salen, host, sizeof host, serv, sizeof serv,
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, outlen, "%s:%s", host, serv);
}

/* --- opening --- */

static bool set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

bool rp_transport_open_eth(RpTransport *t, const char *ifname, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->kind = RP_TRANSPORT_ETH;
    snprintf(t->name, sizeof t->name, "%s", ifname);
    t->ifindex = (int)if_nametoindex(ifname);
    if (!t->ifindex) {
        snprintf(err, errlen, "no network interface '%s'", ifname);
        return false;
    }
    /* Cooked (SOCK_DGRAM) packet socket: the kernel writes the Ethernet
     * header from the peer MAC and reports the source MAC on receive. */
    t->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(RP_ETHERTYPE));
    if (t->fd < 0) {
        snprintf(err, errlen, "AF_PACKET socket on '%s': %s", ifname, strerror(errno));
        return false;
    }
    /* Our own frames must not come back to us; PACKET_QDISC_BYPASS is
     * deliberately not set, so egress rules (and tests' loss) apply. */
    int one = 1;
    setsockopt(t->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(RP_ETHERTYPE),
                               .sll_ifindex = t->ifindex };
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (bind(t->fd, (struct sockaddr *)&sll, sizeof sll) != 0 ||
        ioctl(t->fd, SIOCGIFHWADDR, &ifr) != 0 || !set_nonblocking(t->fd)) {
        snprintf(err, errlen, "AF_PACKET on '%s': %s", ifname, strerror(errno));
        close(t->fd);
        t->fd = -1;
        return false;
    }
    memcpy(t->mac, ifr.ifr_hwaddr.sa_data, 6);
    return true;
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static bool resolve(const char *spec, bool passive, struct sockaddr_storage *sa,
                    socklen_t *salen, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1] || (size_t)(colon - spec) >= sizeof host) {
        snprintf(err, errlen, "bad address '%s' (want HOST:PORT)", spec);
        return false;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    char *h = host;
    size_t hl = strlen(h);
    if (h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = 0;
        h++;
    }
    /* getaddrinfo takes "99999" and wraps it to 34463: check the range. */
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || colon[1] < '0' || colon[1] > '9' || port > 65535) {
        snprintf(err, errlen, "bad port in '%s' (want a number 0-65535)", spec);
        return false;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = passive ? AI_PASSIVE : 0 };
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(h, colon + 1, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve '%s': %s", spec, gai_strerror(rc));
        return false;
    }
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    *salen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return true;
}

bool rp_transport_open_udp(RpTransport *t, const char *bind_spec, const char *peer_spec,
                           RpPeer *peer, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->kind = RP_TRANSPORT_UDP;
    t->fd = -1;
    snprintf(t->name, sizeof t->name, "udp:%s", bind_spec ? bind_spec : peer_spec);
    struct sockaddr_storage local;
    socklen_t local_len = 0;
    int family = AF_INET;
    if (bind_spec) {
        if (!resolve(bind_spec, true, &local, &local_len, err, errlen))
            return false;
        family = local.ss_family;
    }
    if (peer_spec) {
        memset(peer, 0, sizeof *peer);
        if (!resolve(peer_spec, false, &peer->sa, &peer->salen, err, errlen))
            return false;
        family = peer->sa.ss_family;
    }
    t->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0 || !set_nonblocking(t->fd) ||
        (bind_spec && bind(t->fd, (struct sockaddr *)&local, local_len) != 0)) {
        snprintf(err, errlen, "UDP socket %s: %s", t->name, strerror(errno));
        if (t->fd >= 0)
            close(t->fd);
        t->fd = -1;
        return false;
    }
    return true;
}

void rp_transport_close(RpTransport *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* --- sending and receiving --- */

static bool raw_send(RpTransport *t, const RpPeer *to, const uint8_t *buf, size_t len)
{
    ssize_t n;
    if (t->kind == RP_TRANSPORT_ETH) {
        struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                                   .sll_protocol = htons(RP_ETHERTYPE),
                                   .sll_ifindex = t->ifindex, .sll_halen = 6 };
        memcpy(sll.sll_addr, to->mac, 6);
        n = sendto(t->fd, buf, len, 0, (struct sockaddr *)&sll, sizeof sll);
    } else {
        n = sendto(t->fd, buf, len, 0, (const struct sockaddr *)&to->sa, to->salen);
    }
    if (n == (ssize_t)len) {
        t->sent++;
        return true;
    }
    /* ENOBUFS (an egress drop), EAGAIN (full queue), ECONNREFUSED (no
     * server yet on UDP): the frame is lost; retransmission recovers. */
    t->lost_sends++;
    return false;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static bool chance(RpFaults *f, unsigned pct)
{
    return pct && xorshift(&f->rng) % 100 < pct;
}

void rp_faults_init(RpFaults *f, unsigned loss, unsigned dup, unsigned reorder, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    f->loss = loss;
    f->dup = dup;
    f->reorder = reorder;
    f->rng = seed * 0x9E3779B97F4A7C15ull + 1;
}

static void release_held(RpTransport *t, bool all, uint64_t now)
{
    RpFaults *f = t->faults;
    unsigned kept = 0;
    for (unsigned i = 0; i < f->n_held; i++) {
        if (all || f->held[i].release_ns <= now)
            raw_send(t, &f->held[i].to, f->held[i].buf, f->held[i].len);
        else if (kept++ != i)
            f->held[kept - 1] = f->held[i];
    }
    f->n_held = kept;
}

void rp_transport_tick(RpTransport *t, uint64_t now_ns)
{
    if (t->faults && t->faults->n_held)
        release_held(t, false, now_ns);
}

bool rp_transport_send(RpTransport *t, const RpPeer *to, const uint8_t *buf, size_t len)
{
    RpFaults *f = t->faults;
    if (!f)
        return raw_send(t, to, buf, len);
    if (chance(f, f->loss)) {
        f->dropped++;
        return true;
    }
    /* Reordering: hold the frame back until a later frame has gone out
     * (or up to 2 ms), so it arrives after its successor. */
    if (len <= sizeof f->held[0].buf && f->n_held < 8 && chance(f, f->reorder)) {
        f->held[f->n_held].len = len;
        memcpy(f->held[f->n_held].buf, buf, len);
        f->held[f->n_held].to = *to;
        f->held[f->n_held].release_ns = rp_now_ns() + 200000 + xorshift(&f->rng) % 1800000;
        f->n_held++;
        f->reordered++;
        return true;
    }
    bool ok = raw_send(t, to, buf, len);
    if (chance(f, f->dup)) {
        f->duplicated++;
        raw_send(t, to, buf, len);
    }
    release_held(t, true, 0);
    return ok;
}

size_t rp_transport_recv(RpTransport *t, uint8_t *buf, size_t cap, RpPeer *from)
{
    memset(from, 0, sizeof *from);
    ssize_t n;
    if (t->kind == RP_TRANSPORT_ETH) {
        struct sockaddr_ll sll;
        socklen_t sl = sizeof sll;
        n = recvfrom(t->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&sll, &sl);
        if (n > 0 && sll.sll_halen == 6)
            memcpy(from->mac, sll.sll_addr, 6);
    } else {
        from->salen = sizeof from->sa;
        n = recvfrom(t->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from->sa, &from->salen);
    }
    if (n <= 0)
        return 0;
    t->received++;
    /* A frame longer than the buffer is not ours: report a length that
     * fails the strict parse rather than a silently cut frame. */
    return (size_t)n > cap ? cap : (size_t)n;
}

void rp_transport_wait(RpTransport *t, uint64_t deadline_ns)
{
    uint64_t now = rp_now_ns();
    rp_transport_tick(t, now);
    if (now >= deadline_ns)
        return;
    uint64_t until = deadline_ns;
    if (t->faults)
        for (unsigned i = 0; i < t->faults->n_held; i++)
            if (t->faults->held[i].release_ns < until)
                until = t->faults->held[i].release_ns;
    uint64_t wait = until > now ? until - now : 0;
    struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ull),
                           .tv_nsec = (long)(wait % 1000000000ull) };
    struct pollfd p = { .fd = t->fd, .events = POLLIN };
    ppoll(&p, 1, &ts, NULL);
    rp_transport_tick(t, rp_now_ns());
}
