/* SPDX-License-Identifier: MIT */
/* The server's persistent state (see rs_save in server.h): what a restarted
 * kairo-portd needs so that a client notices nothing. Per slot the line
 * state and counters, per session its keys, sequence numbers, replay
 * window and cached reply, and the anti-replay epoch of every client. */
#include <stdio.h>
#include <string.h>

#include "iodev/remote/server.h"

/* 2: each slot's exclusive owner and its grant/release/refusal counts
 * (version 1 records load with no owner). */
#define STATE_VERSION 2

static void put_peer(StateWriter *w, const RpPeer *p)
{
    state_put_bytes(w, p->mac, 6);
    state_put_u32(w, p->salen);
    state_put_bytes(w, &p->sa, p->salen);
}

static bool get_peer(StateReader *r, RpPeer *p)
{
    memset(p, 0, sizeof *p);
    state_get_bytes(r, p->mac, 6);
    uint32_t len = state_get_u32(r);
    if (!state_ok(r) || len > sizeof p->sa)
        return false;
    p->salen = (socklen_t)len;
    state_get_bytes(r, &p->sa, len);
    return state_ok(r);
}

static void put_irq(StateWriter *w, const RpIrqState *s)
{
    uint8_t b[RP_IRQ_STATE_LEN];
    rp_put_irq_state(b, s);
    state_put_bytes(w, b, sizeof b);
}

static void get_irq(StateReader *r, RpIrqState *s)
{
    uint8_t b[RP_IRQ_STATE_LEN];
    state_get_bytes(r, b, sizeof b);
    rp_get_irq_state(b, s);
}

static void save_slots(const RemoteServer *srv, StateWriter *w)
{
    state_put_u32(w, (uint32_t)srv->n_slots);
    for (int i = 0; i < srv->n_slots; i++) {
        const RsSlot *s = &srv->slots[i];
        state_put_bytes(w, s->name, sizeof s->name);
        put_irq(w, &s->irq);
        state_put_u32(w, s->irq_version);
        state_put_u64(w, s->ops_executed);
        state_put_u32(w, (uint32_t)(s->exclusive ? s->owner : -1));
        state_put_u64(w, s->acct.grants);
        state_put_u64(w, s->acct.releases);
        state_put_u64(w, s->acct.refusals);
    }
}

/* The owner of an exclusive slot survives a restart: a handover is not
 * undone by the next client to connect first. */
static bool load_owner(RsSlot *s, StateReader *r, char *err, size_t errlen)
{
    int32_t owner = (int32_t)state_get_u32(r);
    s->acct.grants = state_get_u64(r);
    s->acct.releases = state_get_u64(r);
    s->acct.refusals = state_get_u64(r);
    if (!state_ok(r))
        return true;            /* reported as truncated by the caller */
    if (owner < -1 || owner >= s->n_clients || (owner >= 0 && !s->exclusive)) {
        snprintf(err, errlen, "slot %s: owner client %d there, not one of its %d client(s) "
                              "or the slot is not exclusive", s->name, owner + 1, s->n_clients);
        return false;
    }
    if (s->exclusive)
        s->owner = owner;
    return true;
}

static bool load_slots(RemoteServer *srv, StateReader *r, uint32_t version, char *err,
                       size_t errlen)
{
    uint32_t n = state_get_u32(r);
    if (state_ok(r) && n != (uint32_t)srv->n_slots) {
        snprintf(err, errlen, "it holds %u slot(s), the configuration %d", n, srv->n_slots);
        return false;
    }
    for (int i = 0; i < srv->n_slots && state_ok(r); i++) {
        RsSlot *s = &srv->slots[i];
        char name[sizeof s->name];
        state_get_bytes(r, name, sizeof name);
        if (state_ok(r) && memcmp(name, s->name, sizeof name) != 0) {
            name[sizeof name - 1] = 0;
            snprintf(err, errlen, "slot %d is '%s' there, '%s' in the configuration", i + 1,
                     name, s->name);
            return false;
        }
        get_irq(r, &s->irq);
        s->irq_version = state_get_u32(r);
        s->ops_executed = state_get_u64(r);
        if (version >= 2 && !load_owner(s, r, err, errlen))
            return false;
    }
    return true;
}

static void save_session(const RemoteServer *srv, const RsSession *ss, StateWriter *w,
                         const RpTransport *ts)
{
    state_put_u64(w, ss->id);
    put_peer(w, &ss->peer);
    state_put_u32(w, (uint32_t)(ss->t - ts));
    state_put_u32(w, (uint32_t)(ss->slot - srv->slots));
    state_put_bytes(w, ss->c2s, RP_KEY_LEN);
    state_put_bytes(w, ss->s2c, RP_KEY_LEN);
    state_put_bytes(w, ss->cnonce, RP_NONCE_LEN);
    state_put_u32(w, (uint32_t)ss->welcome_len);
    state_put_bytes(w, ss->welcome, ss->welcome_len);
    state_put_u32(w, ss->executed);
    state_put_u32(w, ss->window.top);
    state_put_u64(w, ss->window.seen);
    state_put_u8(w, ss->window.any);
    state_put_u32(w, (uint32_t)ss->reply_len);
    state_put_bytes(w, ss->reply, ss->reply_len);
    state_put_u32(w, ss->irq_acked);
}

static bool load_session(RemoteServer *srv, RsSession *ss, StateReader *r, RpTransport *ts,
                         int n_t)
{
    memset(ss, 0, sizeof *ss);
    ss->id = state_get_u64(r);
    if (!get_peer(r, &ss->peer))
        return false;
    uint32_t t = state_get_u32(r), slot = state_get_u32(r);
    if (!state_ok(r) || t >= (uint32_t)n_t || slot >= (uint32_t)srv->n_slots)
        return false;
    ss->t = &ts[t];
    ss->slot = &srv->slots[slot];
    state_get_bytes(r, ss->c2s, RP_KEY_LEN);
    state_get_bytes(r, ss->s2c, RP_KEY_LEN);
    state_get_bytes(r, ss->cnonce, RP_NONCE_LEN);
    uint32_t wl = state_get_u32(r);
    if (!state_ok(r) || wl > sizeof ss->welcome)
        return false;
    ss->welcome_len = wl;
    state_get_bytes(r, ss->welcome, wl);
    ss->executed = state_get_u32(r);
    ss->window.top = state_get_u32(r);
    ss->window.seen = state_get_u64(r);
    ss->window.any = state_get_u8(r) != 0;
    uint32_t rl = state_get_u32(r);
    if (!state_ok(r) || rl > sizeof ss->reply)
        return false;
    ss->reply_len = rl;
    state_get_bytes(r, ss->reply, rl);
    ss->irq_acked = state_get_u32(r);
    ss->active = true;
    ss->last_seen = rp_now_ns();
    return state_ok(r);
}

void rs_save(const RemoteServer *srv, StateWriter *w, const RpTransport *ts)
{
    state_begin(w, "remote-server", STATE_VERSION);
    save_slots(srv, w);
    uint32_t n = 0;
    for (int i = 0; i < RS_MAX_SESSIONS; i++)
        n += srv->sessions[i].active;
    state_put_u32(w, n);
    for (int i = 0; i < RS_MAX_SESSIONS; i++)
        if (srv->sessions[i].active)
            save_session(srv, &srv->sessions[i], w, ts);
    state_put_u32(w, (uint32_t)srv->n_epochs);
    for (int i = 0; i < srv->n_epochs; i++) {
        put_peer(w, &srv->epochs[i].peer);
        state_put_u8(w, (uint8_t)srv->epochs[i].kind);
        state_put_u32(w, (uint32_t)srv->epochs[i].slot);
        state_put_u64(w, srv->epochs[i].epoch);
    }
    state_end(w);
}

bool rs_load(RemoteServer *srv, StateReader *r, RpTransport *ts, int n_t, char *err,
             size_t errlen)
{
    uint32_t version;
    if (!state_section(r, "remote-server", &version) || version < 1 || version > STATE_VERSION) {
        snprintf(err, errlen, "no server section of version 1 to %d", STATE_VERSION);
        return false;
    }
    if (!load_slots(srv, r, version, err, errlen))
        return false;
    uint32_t n = state_get_u32(r);
    bool ok = state_ok(r) && n <= RS_MAX_SESSIONS;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = load_session(srv, &srv->sessions[i], r, ts, n_t);
    uint32_t ne = ok ? state_get_u32(r) : 0;
    ok = ok && state_ok(r) && ne <= RS_MAX_EPOCHS;
    for (uint32_t i = 0; ok && i < ne; i++) {
        ok = get_peer(r, &srv->epochs[i].peer);
        srv->epochs[i].kind = state_get_u8(r);
        uint32_t slot = state_get_u32(r);
        srv->epochs[i].slot = (int)slot;
        srv->epochs[i].epoch = state_get_u64(r);
        ok = ok && state_ok(r) && slot < (uint32_t)srv->n_slots;
    }
    srv->n_epochs = ok ? (int)ne : 0;
    state_section_end(r);
    if (!ok || !state_ok(r)) {
        memset(srv->sessions, 0, sizeof srv->sessions);
        snprintf(err, errlen, "the server section is corrupt");
        return false;
    }
    return true;
}
