/* SPDX-License-Identifier: MIT */
/* Remote-port proxies (see proxy.h). */
#include "iodev/remote/proxy.h"

#include <stdlib.h>
#include <string.h>

#include "iodev/remote/client.h"
#include "iodev/remote/proto.h"
#include "iodev/remote/proxy_replay.h"
#include "iodev/remote/transport.h"
#include "iodev/vga.h"

#define POLL_NS 200000ull   /* guest time between looks at the network (interrupts) */

typedef struct RemoteProxy {
    RemoteClient rc;
    RpTransport t;
    RpFaults faults;
    Clock *clock;
    Timer poll;
    const IrqLine *lines[RP_MAX_IRQS];
    struct { int slot; const PortOps *ops; void *opaque; } orig[4];
    int n_orig;
    RemoteLog log;              /* record/replay: what the guest saw of the slot */
    Vga *vga;                   /* a remote VGA: its window and LFB are ours */
    const MmioOps *window_ops;  /* the local window's, given back on detach */
    void *window_opaque;
} RemoteProxy;

/* --- the PortOps ---
 * Under replay no access reaches the client: reads and line changes come
 * from the log (proxy_replay.c), writes go nowhere. */

static uint32_t proxy_read(void *opaque, uint16_t port, unsigned size)
{
    RemoteProxy *p = opaque;
    uint8_t v[4] = { 0 };
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, v, size);
    } else {
        rlog_begin(&p->log);
        uint32_t x = rc_read(&p->rc, port, size);
        for (unsigned i = 0; i < 4; i++)
            v[i] = (uint8_t)(x >> (8 * i));
        rlog_end(&p->log, v, size);
    }
    return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
}

static void proxy_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    RemoteProxy *p = opaque;
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, NULL, 0);
        return;
    }
    rlog_begin(&p->log);
    rc_write(&p->rc, port, size, value);
    rlog_end(&p->log, NULL, 0);
}

static void proxy_read_string(void *opaque, uint16_t port, unsigned size, void *buf,
                              unsigned count)
{
    RemoteProxy *p = opaque;
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, buf, (size_t)size * count);
        return;
    }
    rlog_begin(&p->log);
    rc_read_string(&p->rc, port, size, buf, count);
    rlog_end(&p->log, buf, (size_t)size * count);
}

static void proxy_write_string(void *opaque, uint16_t port, unsigned size, const void *buf,
                               unsigned count)
{
    RemoteProxy *p = opaque;
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, NULL, 0);
        return;
    }
    rlog_begin(&p->log);
    rc_write_string(&p->rc, port, size, buf, count);
    rlog_end(&p->log, NULL, 0);
}

/* --- memory-mapped I/O (a remote VGA's window and LFB) ---
 * The same seam as ports: reads are logged (or played) at the access's
 * count, stores are posted and coalesced by the client. addr is in the
 * device's space (proto.h). */

static uint32_t proxy_mem_read(RemoteProxy *p, uint32_t addr, unsigned size)
{
    uint8_t v[4] = { 0 };
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, v, size);
    } else {
        rlog_begin(&p->log);
        rp_put_le(v, size, rc_mem_read(&p->rc, addr, size));
        rlog_end(&p->log, v, size);
    }
    return rp_get_le(v, size);
}

static void proxy_mem_write(RemoteProxy *p, uint32_t addr, unsigned size, uint32_t value)
{
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, NULL, 0);
        return;
    }
    rlog_begin(&p->log);
    rc_mem_write(&p->rc, addr, size, value);
    rlog_end(&p->log, NULL, 0);
}

static uint32_t window_read(void *opaque, uint32_t addr, unsigned size)
{
    return proxy_mem_read(opaque, addr, size);
}

static void window_write(void *opaque, uint32_t addr, unsigned size, uint32_t value)
{
    proxy_mem_write(opaque, addr, size, value);
}

static uint32_t lfb_addr(const RemoteProxy *p, uint32_t addr)
{
    return RP_VGA_LFB_BASE + (addr - p->vga->lfb_addr);
}

static uint32_t lfb_read(void *opaque, uint32_t addr, unsigned size)
{
    return proxy_mem_read(opaque, lfb_addr(opaque, addr), size);
}

static void lfb_write(void *opaque, uint32_t addr, unsigned size, uint32_t value)
{
    proxy_mem_write(opaque, lfb_addr(opaque, addr), size, value);
}

static const MmioOps proxy_window_ops = { window_read, window_write };
static const MmioOps proxy_lfb_ops = { lfb_read, lfb_write };

/* The local VGA's window region (registered by vga_register). */
static MmioRegion *vga_window_region(Vga *v)
{
    for (int i = 0; v->mem && i < v->mem->n_mmio; i++)
        if (v->mem->mmio[i].opaque == v && v->mem->mmio[i].start == RP_VGA_WINDOW_FIRST)
            return &v->mem->mmio[i];
    return NULL;
}

/* A slot named "vga" brings its memory: the window's handlers become
 * ours and the LFB is mapped as our MMIO instead of the local VRAM. */
static void take_vga_memory(RemoteProxy *p, const char *slot)
{
    if (strcmp(slot, "vga") || !p->n_orig)
        return;
    Vga *v = p->orig[0].opaque;
    MmioRegion *r = vga_window_region(v);
    if (!r)
        return;
    p->vga = v;
    p->window_ops = r->ops;
    p->window_opaque = r->opaque;
    r->ops = &proxy_window_ops;
    r->opaque = p;
    vga_set_remote_lfb(v, &proxy_lfb_ops, p);
}

static void give_back_vga_memory(RemoteProxy *p)
{
    if (!p->vga)
        return;
    MmioRegion *r = NULL;
    for (int i = 0; i < p->vga->mem->n_mmio; i++)
        if (p->vga->mem->mmio[i].opaque == p && p->vga->mem->mmio[i].ops == &proxy_window_ops)
            r = &p->vga->mem->mmio[i];
    if (r) {
        r->ops = p->window_ops;
        r->opaque = p->window_opaque;
    }
    vga_set_remote_lfb(p->vga, NULL, NULL);
}

/* The access widths the local device took, so the bus splits the same way
 * and the server's allowlist sees the widths the device model expects. */
static const PortOps proxy_ops_narrow = { proxy_read, proxy_write, false };
static const PortOps proxy_ops_wide = { proxy_read, proxy_write, true };
static const PortStringOps proxy_string_ops = { proxy_read_string, proxy_write_string };

static bool is_proxy(const PortSlot *s)
{
    return s->ops == &proxy_ops_narrow || s->ops == &proxy_ops_wide;
}

static void proxy_irq(void *opaque, int line, bool level)
{
    RemoteProxy *p = opaque;
    if (line >= 0 && line < RP_MAX_IRQS && p->lines[line])
        irq_set(p->lines[line], level);
    rlog_line(&p->log, line, level);
}

/* Replay drives the lines from the log, not through the client. */
static void proxy_irq_replayed(void *opaque, int line, bool level)
{
    RemoteProxy *p = opaque;
    if (line >= 0 && line < RP_MAX_IRQS && p->lines[line])
        irq_set(p->lines[line], level);
}

/* Interrupts arrive between accesses too, and posted writes must not wait
 * for the next read forever: look every POLL_NS of guest time. */
static void proxy_poll(void *opaque)
{
    RemoteProxy *p = opaque;
    if (rlog_playing(&p->log)) {
        rlog_play(&p->log, NULL, 0);
    } else {
        rlog_begin(&p->log);
        rc_flush(&p->rc);
        rc_poll(&p->rc);
        rlog_end(&p->log, NULL, 0);
    }
    timer_mod(&p->poll, clock_ns(p->clock) + POLL_NS);
}

/* --- the spec --- */

typedef struct Spec {
    char slot[RP_SLOT_NAME_LEN + 1];
    bool eth;
    char where[256];            /* interface, or HOST:PORT */
    uint8_t peer_mac[6];
    bool have_peer;
    const char *key;
    const char *bind;           /* udp: our own HOST:PORT (one client address per VM) */
    bool insecure;              /* insecure-no-auth: no key, said out loud */
    unsigned timeout_ms, loss, dup, reorder;
    long spin_us;               /* -1: the default */
    uint64_t seed;
    char buf[512];
} Spec;

static bool parse_pct(const char *v, unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x > 100)
        return false;
    *out = (unsigned)x;
    return true;
}

static bool parse_option(Spec *s, char *kv, char *err, size_t errlen)
{
    char *eq = strchr(kv, '=');
    if (!strcmp(kv, "insecure-no-auth")) {
        s->insecure = true;
        return true;
    }
    if (!eq) {
        snprintf(err, errlen, "-remote: bad option '%s'", kv);
        return false;
    }
    *eq = 0;
    const char *v = eq + 1;
    char *end = NULL;
    bool ok = true;
    if (!strcmp(kv, "peer"))
        ok = s->have_peer = rp_parse_mac(v, s->peer_mac);
    else if (!strcmp(kv, "key"))
        s->key = v;
    else if (!strcmp(kv, "bind"))
        s->bind = v;
    else if (!strcmp(kv, "timeout"))
        ok = (s->timeout_ms = (unsigned)strtoul(v, &end, 10)) > 0 && !*end;
    else if (!strcmp(kv, "spin"))
        ok = (s->spin_us = strtol(v, &end, 10)) >= 0 && s->spin_us <= 10000 && *v && !*end;
    else if (!strcmp(kv, "loss"))
        ok = parse_pct(v, &s->loss);
    else if (!strcmp(kv, "dup"))
        ok = parse_pct(v, &s->dup);
    else if (!strcmp(kv, "reorder"))
        ok = parse_pct(v, &s->reorder);
    else if (!strcmp(kv, "seed"))
        s->seed = strtoull(v, &end, 0), ok = *v && !*end;
    else {
        snprintf(err, errlen, "-remote: unknown option '%s' (peer, key, bind, insecure-no-auth, timeout, "
                              "spin, loss, dup, reorder, seed)", kv);
        return false;
    }
    if (!ok)
        snprintf(err, errlen, "-remote: bad value for '%s': '%s'", kv, v);
    return ok;
}

/* SLOT=eth:IFACE,peer=MAC,... or SLOT=udp:HOST:PORT,... */
static bool parse_spec(Spec *s, const char *spec, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->spin_us = -1;
    snprintf(s->buf, sizeof s->buf, "%s", spec);
    char *eq = strchr(s->buf, '=');
    if (!eq || eq == s->buf || (size_t)(eq - s->buf) > RP_SLOT_NAME_LEN) {
        snprintf(err, errlen, "-remote: want SLOT=eth:IFACE,peer=MAC or SLOT=udp:HOST:PORT: '%s'",
                 spec);
        return false;
    }
    *eq = 0;
    memcpy(s->slot, s->buf, (size_t)(eq - s->buf) + 1);
    char *save = NULL, *target = strtok_r(eq + 1, ",", &save);
    if (!target || (strncmp(target, "eth:", 4) && strncmp(target, "udp:", 4)) || !target[4]) {
        snprintf(err, errlen, "-remote %s: the transport is eth:IFACE or udp:HOST:PORT", s->slot);
        return false;
    }
    s->eth = target[0] == 'e';
    snprintf(s->where, sizeof s->where, "%s", target + 4);
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
        if (!parse_option(s, kv, err, errlen))
            return false;
    if (s->eth && !s->have_peer) {
        snprintf(err, errlen, "-remote %s: eth needs peer=MAC", s->slot);
        return false;
    }
    return true;
}

static bool open_transport(RemoteProxy *p, const Spec *s, RpPeer *peer, char *err, size_t errlen)
{
    memset(peer, 0, sizeof *peer);
    bool ok;
    char why[300];
    if (s->eth) {
        ok = rp_transport_open_eth(&p->t, s->where, why, sizeof why);
        memcpy(peer->mac, s->peer_mac, 6);
    } else {
        ok = rp_transport_open_udp(&p->t, s->bind, s->where, peer, why, sizeof why);
    }
    if (!ok)
        snprintf(err, errlen, "-remote %s: %s", s->slot, why);
    if (ok && (s->loss || s->dup || s->reorder)) {
        rp_faults_init(&p->faults, s->loss, s->dup, s->reorder, s->seed);
        p->t.faults = &p->faults;
    }
    return ok;
}

static bool load_key(const Spec *s, uint8_t key[RP_KEY_LEN], char *err, size_t errlen)
{
    if (s->key) {
        char why[300];
        if (rp_load_key(s->key, key, why, sizeof why))
            return true;
        snprintf(err, errlen, "-remote %s: %s", s->slot, why);
        return false;
    }
    if (!s->insecure) {
        snprintf(err, errlen, "-remote %s: no key=FILE (kairo-portd --genkey FILE makes one; "
                              "insecure-no-auth runs without)", s->slot);
        return false;
    }
    memset(key, 0, RP_KEY_LEN);
    fprintf(stderr, "kairo: remote %s: insecure-no-auth: anyone on the link can forge frames\n",
            s->slot);
    return true;
}

/* The slot and its companions ("ide1-ctl") change hands together. */
static void take_slots(RemoteProxy *p, PortBus *bus, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < bus->n_slots && p->n_orig < 4; i++) {
        PortSlot *s = &bus->slots[i];
        if (strcmp(s->name, name) && !(strncmp(s->name, name, n) == 0 && s->name[n] == '-'))
            continue;
        p->orig[p->n_orig].slot = i;
        p->orig[p->n_orig].ops = s->ops;
        p->orig[p->n_orig].opaque = s->opaque;
        p->n_orig++;
        portbus_replace(bus, i, s->ops->wide_ok ? &proxy_ops_wide : &proxy_ops_narrow, p);
        portbus_set_string_ops(bus, i, &proxy_string_ops);
    }
}

/* Proxies already on the bus: the next one's number in a replay log. */
static unsigned count_proxies(const PortBus *bus)
{
    unsigned n = 0;
    for (int i = 0; i < bus->n_slots; i++) {
        const PortSlot *s = &bus->slots[i];
        if (is_proxy(s) && ((RemoteProxy *)s->opaque)->orig[0].slot == i)
            n++;
    }
    return n;
}

/* A replayed slot: no key, no socket, no session; the log answers. */
static bool open_replayed(RemoteProxy *p, const Spec *s)
{
    RpPeer peer;
    uint8_t key[RP_KEY_LEN] = { 0 };
    memset(&peer, 0, sizeof peer);
    p->t.fd = -1;
    rc_init(&p->rc, &p->t, &peer, key, s->slot, s->timeout_ms);
    p->rc.quiet = true;
    return true;
}

static bool open_live(RemoteProxy *p, const Spec *s, char *err, size_t errlen)
{
    uint8_t key[RP_KEY_LEN];
    RpPeer peer;
    if (!rp_crypto_init()) {
        snprintf(err, errlen, "-remote: libsodium failed to initialise");
        return false;
    }
    if (!load_key(s, key, err, errlen) || !open_transport(p, s, &peer, err, errlen))
        return false;
    rc_init(&p->rc, &p->t, &peer, key, s->slot, s->timeout_ms);
    if (s->spin_us >= 0)
        p->rc.spin_max = (uint64_t)s->spin_us * 1000u;
    return true;
}

bool remote_attach(PortBus *bus, Clock *clock, const char *spec, RemoteIrqLookup irq_line,
                   void *irq_opaque, Replay *replay, char *err, size_t errlen)
{
    Spec s;
    if (!parse_spec(&s, spec, err, errlen))
        return false;
    PortSlot *slot = portbus_find(bus, s.slot);
    if (!slot || is_proxy(slot)) {
        snprintf(err, errlen, "-remote: %s slot '%s' (see --list-slots)",
                 slot ? "already remote:" : "no", s.slot);
        return false;
    }
    bool replayed = replay && replay_playing(replay);
    RemoteProxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "-remote: out of memory");
        return false;
    }
    if (!(replayed ? open_replayed(p, &s) : open_live(p, &s, err, errlen))) {
        free(p);
        return false;
    }
    for (int i = 0; i < slot->n_irqs && i < RP_MAX_IRQS; i++)
        p->lines[i] = irq_line ? irq_line(irq_opaque, slot->irqs[i]) : NULL;
    rc_set_irq(&p->rc, proxy_irq, p, (unsigned)slot->n_irqs);
    p->log = (RemoteLog){ .replay = replay, .slot = (uint8_t)count_proxies(bus),
                          .n_lines = p->rc.n_irqs, .irq = proxy_irq_replayed, .irq_opaque = p };
    p->clock = clock;
    take_slots(p, bus, s.slot);
    take_vga_memory(p, s.slot);
    if (!replayed && !rc_connect(&p->rc, 1000))
        fprintf(stderr, "kairo: remote %s: no session with the server yet (slot offline, "
                        "retrying every second)\n", s.slot);
    if (clock) {
        timer_init(&p->poll, clock, proxy_poll, p);
        timer_mod(&p->poll, clock_ns(clock) + POLL_NS);
    }
    return true;
}

bool remote_replay_event(PortBus *bus, const ReplayEvent *e)
{
    for (int i = 0; i < bus->n_slots; i++) {
        const PortSlot *s = &bus->slots[i];
        RemoteProxy *p = s->opaque;
        if (is_proxy(s) && p->orig[0].slot == i && e->len && p->log.slot == e->data[0]) {
            rlog_apply(&p->log, e);
            return true;
        }
    }
    return false;
}

struct RemoteClient *remote_client_of(PortBus *bus, const char *name)
{
    PortSlot *s = portbus_find(bus, name);
    return s && is_proxy(s) ? &((RemoteProxy *)s->opaque)->rc : NULL;
}

static void print_one(const RemoteClient *rc, FILE *out)
{
    const RcStats *st = &rc->st;
    uint64_t drops = 0;
    for (int i = 0; i < RP_DROP_COUNT; i++)
        drops += st->drops[i];
    fprintf(out, "kairo: remote %s: %llu round trips, latency p50 %.1f us p99 %.1f us, "
                 "%llu retransmissions, %llu errors (%llu refused, %llu offline accesses, "
                 "%llu times offline), %llu frames dropped\n",
            rc->slot, (unsigned long long)st->round_trips,
            (double)rc_latency_percentile(st, 50) / 1000.0,
            (double)rc_latency_percentile(st, 99) / 1000.0, (unsigned long long)st->retransmits,
            (unsigned long long)(st->refused + st->offline_accesses), (unsigned long long)st->refused,
            (unsigned long long)st->offline_accesses, (unsigned long long)st->offline_events,
            (unsigned long long)drops);
    fprintf(out, "kairo: remote %s: %llu port accesses issued, latency p99.9 %.1f us, "
                 "busy-poll: %llu replies caught, %llu missed, %llu pauses (no idle CPU)\n",
            rc->slot, (unsigned long long)st->issued,
            (double)rc_latency_percentile(st, 99.9) / 1000.0, (unsigned long long)st->spin_hits,
            (unsigned long long)st->spin_misses, (unsigned long long)rc->spin_guard.backoffs);
    if (!drops)
        return;
    fprintf(out, "kairo: remote %s: dropped", rc->slot);
    for (int i = 0; i < RP_DROP_COUNT; i++)
        if (st->drops[i])
            fprintf(out, " %s=%llu", rp_drop_name(i), (unsigned long long)st->drops[i]);
    fputc('\n', out);
}

void remote_print_stats(const PortBus *bus, FILE *out)
{
    for (int i = 0; i < bus->n_slots; i++) {
        const PortSlot *s = &bus->slots[i];
        RemoteProxy *p = s->opaque;
        if (is_proxy(s) && p->orig[0].slot == i)    /* once per proxy */
            print_one(&p->rc, out);
    }
}

void remote_detach_all(PortBus *bus)
{
    for (int i = 0; i < bus->n_slots; i++) {
        PortSlot *s = &bus->slots[i];
        if (!is_proxy(s))
            continue;
        RemoteProxy *p = s->opaque;
        rc_flush(&p->rc);
        if (p->clock)
            timer_del(&p->poll);
        give_back_vga_memory(p);
        for (int k = 0; k < p->n_orig; k++)
            portbus_replace(bus, p->orig[k].slot, p->orig[k].ops, p->orig[k].opaque);
        rp_transport_close(&p->t);
        free(p);
    }
}
