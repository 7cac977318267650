/* SPDX-License-Identifier: MIT */
/* The user backend: libslirp's TCP/IP stack in the emulator's own process.
 * The guest sees 10.0.2.0/24 with the gateway (and the host's loopback) at
 * 10.0.2.2, DNS at 10.0.2.3 and DHCP leases from 10.0.2.15, as in QEMU;
 * hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT forwards host ports.
 * Slirp runs on host time (its clock and timers), polled with the other
 * backends. */
#include <arpa/inet.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iodev/net/netdev.h"

#define SLIRP_MAX_TIMERS 8

typedef struct SlirpTimer {
    bool used, armed;
    int64_t expire_ms;
    SlirpTimerId id;
    void *cb_opaque;
} SlirpTimer;

typedef struct NetUser {
    Slirp *slirp;
    NetDev *nd;
    SlirpTimer timers[SLIRP_MAX_TIMERS];
    NetPollSet *ps;          /* during fill/dispatch */
    int first, count;        /* our slice of the poll set */
} NetUser;

static int64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- slirp's callbacks --- */

static ssize_t user_send_packet(const void *buf, size_t len, void *opaque)
{
    NetUser *u = opaque;
    netdev_deliver(u->nd, buf, len);
    return (ssize_t)len;
}

static void user_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    fprintf(stderr, "kairo: net user: guest error: %s\n", msg);
}

static int64_t user_clock_ns(void *opaque)
{
    (void)opaque;
    return host_ns();
}

static void *user_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    NetUser *u = opaque;
    for (int i = 0; i < SLIRP_MAX_TIMERS; i++) {
        SlirpTimer *t = &u->timers[i];
        if (!t->used) {
            *t = (SlirpTimer){ .used = true, .id = id, .cb_opaque = cb_opaque };
            return t;
        }
    }
    return NULL;
}

static void user_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    if (timer)
        ((SlirpTimer *)timer)->used = false;
}

static void user_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    SlirpTimer *t = timer;
    if (t) {
        t->expire_ms = expire_ms;
        t->armed = true;
    }
}

static void user_fd_noop(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void user_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb user_callbacks = {
    .send_packet = user_send_packet,
    .guest_error = user_guest_error,
    .clock_get_ns = user_clock_ns,
    .timer_free = user_timer_free,
    .timer_mod = user_timer_mod,
    .register_poll_fd = user_fd_noop,
    .unregister_poll_fd = user_fd_noop,
    .notify = user_notify,
    .timer_new_opaque = user_timer_new_opaque,
};

/* --- polling --- */

static int user_add_poll(int fd, int events, void *opaque)
{
    NetUser *u = opaque;
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    int idx = net_pollset_add(u->ps, fd, ev);
    if (idx >= 0)
        u->count++;
    return idx;
}

static int user_get_revents(int idx, void *opaque)
{
    const NetUser *u = opaque;
    if (idx < 0 || idx >= u->ps->n)
        return 0;
    short re = u->ps->fds[idx].revents;
    int ev = 0;
    if (re & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (re & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (re & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (re & POLLERR)
        ev |= SLIRP_POLL_ERR;
    if (re & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

static void user_fill(void *be, NetPollSet *ps, int *timeout_ms)
{
    NetUser *u = be;
    uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
    int64_t now_ms = host_ns() / 1000000;
    for (int i = 0; i < SLIRP_MAX_TIMERS; i++) {
        const SlirpTimer *st = &u->timers[i];
        if (st->used && st->armed) {
            int64_t left = st->expire_ms - now_ms;
            if (left < (int64_t)t)
                t = left < 0 ? 0 : (uint32_t)left;
        }
    }
    u->ps = ps;
    u->first = ps->n;
    u->count = 0;
    slirp_pollfds_fill(u->slirp, &t, user_add_poll, u);
    *timeout_ms = t == UINT32_MAX ? -1 : (int)(t > 1000 ? 1000 : t);
}

static void user_dispatch(void *be, const NetPollSet *ps)
{
    NetUser *u = be;
    u->ps = (NetPollSet *)ps;
    slirp_pollfds_poll(u->slirp, 0, user_get_revents, u);
    int64_t now_ms = host_ns() / 1000000;
    for (int i = 0; i < SLIRP_MAX_TIMERS; i++) {
        SlirpTimer *st = &u->timers[i];
        if (st->used && st->armed && st->expire_ms <= now_ms) {
            st->armed = false;
            slirp_handle_timer(u->slirp, st->id, st->cb_opaque);
        }
    }
}

static bool user_send(void *be, const uint8_t *frame, size_t len)
{
    NetUser *u = be;
    slirp_input(u->slirp, frame, (int)len);
    return true;
}

static void user_close(void *be)
{
    NetUser *u = be;
    if (u->slirp)
        slirp_cleanup(u->slirp);
    free(u);
}

const NetBackendOps net_user_ops = { "user", user_send, user_fill, user_dispatch, user_close };

/* --- configuration --- */

static bool parse_ipv4(const char *s, struct in_addr *a)
{
    return s[0] && inet_pton(AF_INET, s, a) == 1;
}

/* net=10.0.2.0/24 (or net=ADDR/MASK) */
static bool parse_net(const char *s, struct in_addr *net, struct in_addr *mask)
{
    char buf[NET_ADDR_LEN];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    unsigned bits = 24;
    if (slash) {
        *slash = 0;
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (*end) {
            if (!parse_ipv4(slash + 1, mask))
                return false;
            return parse_ipv4(buf, net);
        }
        if (b < 8 || b > 30)
            return false;
        bits = (unsigned)b;
    }
    mask->s_addr = htonl(~0u << (32 - bits));
    return parse_ipv4(buf, net);
}

/* hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (udp: likewise) */
static bool add_hostfwd(NetUser *u, const char *rule, struct in_addr default_guest, char *err,
                        size_t errlen)
{
    char buf[NET_ADDR_LEN], haddr[NET_ADDR_LEN] = "", gaddr[NET_ADDR_LEN] = "";
    snprintf(buf, sizeof buf, "%s", rule);
    int is_udp;
    char *p = buf;
    if (!strncmp(p, "tcp:", 4))
        is_udp = 0, p += 4;
    else if (!strncmp(p, "udp:", 4))
        is_udp = 1, p += 4;
    else if (*p == ':')
        is_udp = 0, p += 1;   /* hostfwd=::H-:G: TCP, as QEMU */
    else
        goto bad;
    char *dash = strchr(p, '-');
    if (!dash)
        goto bad;
    *dash = 0;
    char *hcolon = strrchr(p, ':'), *gcolon = strrchr(dash + 1, ':');
    if (!hcolon || !gcolon)
        goto bad;
    *hcolon = *gcolon = 0;
    snprintf(haddr, sizeof haddr, "%s", p);
    snprintf(gaddr, sizeof gaddr, "%s", dash + 1);
    char *end1, *end2;
    long hport = strtol(hcolon + 1, &end1, 10), gport = strtol(gcolon + 1, &end2, 10);
    if (*end1 || *end2 || hport < 0 || hport > 65535 || gport < 1 || gport > 65535)
        goto bad;
    struct in_addr host = { .s_addr = htonl(INADDR_ANY) }, guest = default_guest;
    if ((haddr[0] && !parse_ipv4(haddr, &host)) || (gaddr[0] && !parse_ipv4(gaddr, &guest)))
        goto bad;
    if (slirp_add_hostfwd(u->slirp, is_udp, host, (int)hport, guest, (int)gport) < 0) {
        snprintf(err, errlen, "net user: cannot forward host port %ld (in use?)", hport);
        return false;
    }
    return true;
bad:
    snprintf(err, errlen, "net user: bad hostfwd '%s' (tcp:[HOST]:PORT-[GUEST]:PORT)", rule);
    return false;
}

/* IPv6 as QEMU sets libslirp up: prefix fec0::/64 (ipv6-net=), the host
 * at ::2, the DNS server at ::3; router advertisements come from libslirp. */
static bool user_ipv6_setup(SlirpConfig *cfg, const NetdevConfig *c, char *err, size_t errlen)
{
    cfg->in6_enabled = c->ipv6;
    if (!c->ipv6)
        return true;
    char prefix[NET_ADDR_LEN];
    snprintf(prefix, sizeof prefix, "%s", c->ipv6_net[0] ? c->ipv6_net : "fec0::/64");
    char *slash = strchr(prefix, '/');
    long len = 64;
    if (slash) {
        char *end;
        *slash = 0;
        len = strtol(slash + 1, &end, 10);
        if (*end || len < 8 || len > 126)
            len = -1;
    }
    if (len < 0 || inet_pton(AF_INET6, prefix, &cfg->vprefix_addr6) != 1) {
        snprintf(err, errlen, "net user: bad ipv6-net= '%s' (PREFIX/LEN)", c->ipv6_net);
        return false;
    }
    cfg->vprefix_len = (uint8_t)len;
    cfg->vhost6 = cfg->vprefix_addr6;
    cfg->vhost6.s6_addr[15] |= 2;
    cfg->vnameserver6 = cfg->vprefix_addr6;
    cfg->vnameserver6.s6_addr[15] |= 3;
    return true;
}

void *net_user_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen)
{
    SlirpConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.version = 4;
    cfg.restricted = c->restricted;
    cfg.in_enabled = true;
    struct in_addr net, mask;
    if (!parse_net(c->net[0] ? c->net : "10.0.2.0/24", &net, &mask)) {
        snprintf(err, errlen, "net user: bad net= '%s'", c->net);
        return NULL;
    }
    net.s_addr &= mask.s_addr;
    cfg.vnetwork = net;
    cfg.vnetmask = mask;
    /* Defaults relative to the network: .2 host, .3 DNS, .15 first lease. */
    cfg.vhost.s_addr = net.s_addr | htonl(2);
    cfg.vnameserver.s_addr = net.s_addr | htonl(3);
    cfg.vdhcp_start.s_addr = net.s_addr | htonl(15);
    if ((c->host[0] && !parse_ipv4(c->host, &cfg.vhost)) ||
        (c->dns[0] && !parse_ipv4(c->dns, &cfg.vnameserver)) ||
        (c->dhcpstart[0] && !parse_ipv4(c->dhcpstart, &cfg.vdhcp_start))) {
        snprintf(err, errlen, "net user: bad host=, dns= or dhcpstart= address");
        return NULL;
    }
    cfg.in_enabled = c->ipv4;
    if (!user_ipv6_setup(&cfg, c, err, errlen))
        return NULL;
    /* No invented name: -name's, hostname='s, or none (as QEMU). */
    cfg.vhostname = c->hostname[0] ? c->hostname : NULL;
    cfg.if_mtu = 1500;
    cfg.if_mru = 1500;
    NetUser *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "net user: out of memory");
        return NULL;
    }
    u->nd = nd;
    u->slirp = slirp_new(&cfg, &user_callbacks, u);
    if (!u->slirp) {
        free(u);
        snprintf(err, errlen, "net user: libslirp refused the configuration");
        return NULL;
    }
    for (int i = 0; i < c->n_hostfwd; i++) {
        if (!add_hostfwd(u, c->hostfwd[i], cfg.vdhcp_start, err, errlen)) {
            user_close(u);
            return NULL;
        }
    }
    return u;
}
