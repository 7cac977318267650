/* SPDX-License-Identifier: MIT */
/* The server side of remote ports (see server.h). */
#include "iodev/remote/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define IRQ_RESEND_NS 2000000ull        /* 2 ms without an ack: send the state again */
#define SESSION_IDLE_NS 600000000000ull /* 10 min of silence frees a session */
#define REPLY_HEAD (2 + RP_IRQ_STATE_LEN)

void rs_init(RemoteServer *srv, const uint8_t psk[RP_KEY_LEN])
{
    memset(srv, 0, sizeof *srv);
    memcpy(srv->psk, psk, RP_KEY_LEN);
    rp_handshake_key(psk, srv->hs_key);
}

RsSlot *rs_find_slot(RemoteServer *srv, const char *name)
{
    for (int i = 0; i < srv->n_slots; i++)
        if (strcmp(srv->slots[i].name, name) == 0)
            return &srv->slots[i];
    return NULL;
}

static RsSlot *add_slot(RemoteServer *srv, const char *name, const RsBackend *be, bool copy)
{
    if (srv->n_slots >= RS_MAX_SLOTS || !name[0] || strlen(name) > RP_SLOT_NAME_LEN ||
        (!copy && rs_find_slot(srv, name)))
        return NULL;
    RsSlot *s = &srv->slots[srv->n_slots++];
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, strlen(name));
    s->be = *be;
    s->srv = srv;
    return s;
}

RsSlot *rs_add_slot(RemoteServer *srv, const char *name, const RsBackend *be)
{
    return add_slot(srv, name, be, false);
}

RsSlot *rs_add_slot_instance(RemoteServer *srv, const char *name, const RsBackend *be)
{
    return add_slot(srv, name, be, true);
}

bool rs_slot_allow_ports(RsSlot *s, uint16_t first, uint16_t last, uint8_t widths)
{
    if (s->n_ranges >= RS_MAX_RANGES || last < first || !(widths & 7) || (widths & ~7))
        return false;
    s->ranges[s->n_ranges++] = (RsRange){ first, last, widths };
    return true;
}

bool rs_slot_allow_mmio(RsSlot *s, uint32_t first, uint32_t last)
{
    if (s->n_mranges >= RS_MAX_MRANGES || last < first || !s->be.mread || !s->be.mwrite)
        return false;
    s->mranges[s->n_mranges++] = (RsMemRange){ first, last };
    return true;
}

bool rs_mem_allowed(const RsSlot *s, uint32_t addr, uint64_t bytes)
{
    uint64_t last = (uint64_t)addr + bytes - 1;
    for (int i = 0; i < s->n_mranges; i++)
        if (bytes && addr >= s->mranges[i].first && last <= s->mranges[i].last)
            return true;
    return false;
}

bool rs_slot_allow_client(RsSlot *s, const RsClient *c)
{
    if (s->n_clients >= RS_MAX_CLIENTS)
        return false;
    s->clients[s->n_clients++] = *c;
    return true;
}

bool rs_slot_add_irq(RsSlot *s, int irq)
{
    if (s->n_irqs >= RP_MAX_IRQS || irq < 0 || irq > 15)
        return false;
    s->irqs[s->n_irqs++] = irq;
    return true;
}

bool rs_port_allowed(const RsSlot *s, uint16_t port, unsigned width)
{
    uint32_t last = (uint32_t)port + width - 1;
    for (int i = 0; i < s->n_ranges; i++)
        if ((s->ranges[i].widths & width) && port >= s->ranges[i].first &&
            last <= s->ranges[i].last)
            return true;
    return false;
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return false;
}

/* The client's index on the slot's allowlist, or -1. */
static int client_index(const RsSlot *s, const RpTransport *t, const RpPeer *from)
{
    for (int i = 0; i < s->n_clients; i++) {
        const RsClient *c = &s->clients[i];
        if (t->kind == RP_TRANSPORT_ETH ? c->is_mac && memcmp(c->mac, from->mac, 6) == 0
                                        : !c->is_mac && same_address(&c->addr, &from->sa))
            return i;
    }
    return -1;
}

static bool client_allowed(const RsSlot *s, const RpTransport *t, const RpPeer *from)
{
    return client_index(s, t, from) >= 0;
}

void rs_client_format(const RsClient *c, char *out, size_t outlen)
{
    if (c->is_mac) {
        snprintf(out, outlen, "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
                 c->mac[3], c->mac[4], c->mac[5]);
        return;
    }
    const void *a = c->addr.ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)&c->addr)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)&c->addr)->sin6_addr;
    if (!inet_ntop(c->addr.ss_family, a, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
}

/* --- exclusive slots: one owner among the allowed clients --- */

static void log_decision(const RsSlot *s, const char *what, int client, const char *who)
{
    fprintf(stderr, "kairo-portd: [%.6f] slot %s: %s client %d%s%s\n",
            (double)rp_now_ns() / 1e9, s->name, what, client + 1, who ? " " : "", who ? who : "");
}

void rs_slot_set_exclusive(RsSlot *s)
{
    s->exclusive = true;
    s->owner = -1;
}

/* Sessions of the slot that are not the owner's end: their next request
 * gets the no-session notice and the client goes offline. */
static void end_other_sessions(RsSlot *s)
{
    for (int i = 0; i < RS_MAX_SESSIONS; i++) {
        RsSession *ss = &s->srv->sessions[i];
        if (ss->active && ss->slot == s && client_index(s, ss->t, &ss->peer) != s->owner)
            ss->active = false;
    }
}

bool rs_slot_handover(RsSlot *s, int client)
{
    if (!s->exclusive || client < -1 || client >= s->n_clients) {
        s->acct.refusals++;
        return false;
    }
    if (client < 0) {
        log_decision(s, "released by", s->owner, "(control socket)");
        s->acct.releases++;
    } else {
        log_decision(s, "handed over to", client, "(control socket)");
        s->acct.grants++;
    }
    s->owner = client;
    end_other_sessions(s);
    /* On disk at once: a server restarted now keeps the new owner. */
    if (s->srv->commit)
        s->srv->commit(s->srv->commit_opaque);
    return true;
}

/* A HELLO on an exclusive slot: the first client takes it; another is
 * refused (it sees the slot offline and asks again every second). */
static bool exclusive_admits(RsSlot *s, const RpTransport *t, const RpPeer *from)
{
    if (!s->exclusive)
        return true;
    int ci = client_index(s, t, from);
    char who[80];
    rp_peer_format(from, t->kind, who, sizeof who);
    if (s->owner < 0) {
        s->owner = ci;
        s->acct.grants++;
        log_decision(s, "granted to", ci, who);
        return true;
    }
    if (s->owner == ci)
        return true;
    s->acct.refusals++;
    if (++s->acct.logged <= 20)
        log_decision(s, "refused (owned by another) to", ci, who);
    return false;
}

/* The slot of that name serving this client: with one device instance
 * per client (rs_add_slot_instance) the name alone is not enough. NULL
 * if no slot has the name; the first of the name if none allows him. */
static RsSlot *slot_for_client(RemoteServer *srv, const char *name, const RpTransport *t,
                               const RpPeer *from)
{
    RsSlot *first = NULL;
    for (int i = 0; i < srv->n_slots; i++) {
        RsSlot *s = &srv->slots[i];
        if (strcmp(s->name, name))
            continue;
        if (client_allowed(s, t, from))
            return s;
        if (!first)
            first = s;
    }
    return first;
}

/* --- sending --- */

static void send_sealed(RemoteServer *srv, RsSession *ss, const uint8_t *frame, size_t len)
{
    if (!rp_transport_send(ss->t, &ss->peer, frame, len))
        srv->st.drops[RP_DROP_SEND]++;
}

static void send_irq_state(RemoteServer *srv, RsSession *ss, uint64_t now)
{
    uint8_t payload[RP_IRQ_STATE_LEN];
    rp_put_irq_state(payload, &ss->slot->irq);
    RpHeader h = { .type = RP_IRQ, .session = ss->id, .seq = ss->slot->irq_version,
                   .len = RP_IRQ_STATE_LEN };
    size_t n = rp_seal(srv->out, &h, payload, ss->s2c);
    send_sealed(srv, ss, srv->out, n);
    ss->irq_sent = ss->slot->irq_version;
    ss->irq_sent_at = now;
    srv->st.irq_frames++;
}

static bool irq_unacked(const RsSession *ss)
{
    return ss->active && ss->slot->n_irqs && ss->irq_acked != ss->slot->irq_version;
}

void rs_slot_set_irq(RsSlot *s, int line, bool level)
{
    if (line < 0 || line >= s->n_irqs)
        return;     /* a line not on the allowlist is never forwarded */
    bool was = s->irq.levels >> line & 1;
    if (was == level)
        return;
    s->irq.levels = (uint8_t)(level ? s->irq.levels | 1u << line : s->irq.levels & ~(1u << line));
    if (level)
        s->irq.edges[line]++;
    s->irq_version++;
    if (s->srv->executing)
        return;     /* the reply of the running batch carries it */
    uint64_t now = rp_now_ns();
    for (int i = 0; i < RS_MAX_SESSIONS; i++)
        if (s->srv->sessions[i].active && s->srv->sessions[i].slot == s)
            send_irq_state(s->srv, &s->srv->sessions[i], now);
}

void rs_tick(RemoteServer *srv, uint64_t now)
{
    for (int i = 0; i < RS_MAX_SESSIONS; i++) {
        RsSession *ss = &srv->sessions[i];
        if (!ss->active)
            continue;
        if (now - ss->last_seen > SESSION_IDLE_NS) {
            ss->active = false;
            continue;
        }
        if (irq_unacked(ss) &&
            (ss->irq_sent != ss->slot->irq_version || now - ss->irq_sent_at >= IRQ_RESEND_NS))
            send_irq_state(srv, ss, now);
    }
}

/* --- handshake --- */

static int find_epoch(RemoteServer *srv, const RpTransport *t, const RpPeer *from, int slot)
{
    for (int i = 0; i < srv->n_epochs; i++)
        if (srv->epochs[i].slot == slot && srv->epochs[i].kind == t->kind &&
            rp_peer_equal(&srv->epochs[i].peer, from, t->kind))
            return i;
    if (srv->n_epochs == RS_MAX_EPOCHS)
        srv->n_epochs--;    /* forget the newest; old clients re-handshake with a newer epoch */
    int i = srv->n_epochs++;
    srv->epochs[i].peer = *from;
    srv->epochs[i].kind = t->kind;
    srv->epochs[i].slot = slot;
    srv->epochs[i].epoch = 0;
    return i;
}

static RsSession *session_for(RemoteServer *srv, const RpTransport *t, const RpPeer *from,
                              const RsSlot *slot)
{
    RsSession *free_one = NULL, *oldest = &srv->sessions[0];
    for (int i = 0; i < RS_MAX_SESSIONS; i++) {
        RsSession *ss = &srv->sessions[i];
        if (ss->active && ss->slot == slot && ss->t == t && rp_peer_equal(&ss->peer, from, t->kind))
            return ss;
        if (!ss->active && !free_one)
            free_one = ss;
        if (ss->last_seen < oldest->last_seen)
            oldest = ss;
    }
    return free_one ? free_one : oldest;
}

/* Build a WELCOME (status, the client's nonce echoed, ours) into out. */
static size_t seal_welcome(RemoteServer *srv, uint64_t id, uint8_t status,
                           const uint8_t cnonce[RP_NONCE_LEN], const uint8_t snonce[RP_NONCE_LEN],
                           uint8_t *out)
{
    uint8_t payload[RP_WELCOME_LEN];
    payload[0] = status;
    payload[1] = 0;
    memcpy(payload + 2, cnonce, RP_NONCE_LEN);
    memcpy(payload + 2 + RP_NONCE_LEN, snonce, RP_NONCE_LEN);
    RpHeader h = { .type = RP_WELCOME, .session = id, .len = RP_WELCOME_LEN };
    return rp_seal(out, &h, payload, srv->hs_key);
}

static void open_session(RemoteServer *srv, RpTransport *t, const RpPeer *from,
                         const RpHeader *h, const RpHello *hello, RsSlot *slot)
{
    RsSession *ss = session_for(srv, t, from, slot);
    memset(ss, 0, sizeof *ss);
    ss->active = true;
    ss->id = h->session;
    ss->peer = *from;
    ss->t = t;
    ss->slot = slot;
    ss->last_seen = rp_now_ns();
    ss->irq_acked = slot->irq_version - 1;     /* the client has seen nothing yet */
    memcpy(ss->cnonce, hello->nonce, RP_NONCE_LEN);
    uint8_t snonce[RP_NONCE_LEN];
    rp_random(snonce, sizeof snonce);
    rp_session_keys(srv->psk, ss->id, hello->nonce, snonce, ss->c2s, ss->s2c);
    ss->welcome_len = seal_welcome(srv, ss->id, RP_STATUS_OK, hello->nonce, snonce, ss->welcome);
    srv->st.sessions++;
    /* The session and the client's epoch are on disk before the client
     * can use them: a HELLO replayed after a restart stays refused. */
    if (srv->commit)
        srv->commit(srv->commit_opaque);
    send_sealed(srv, ss, ss->welcome, ss->welcome_len);
    if (srv->insecure) {
        char who[80];
        rp_peer_format(from, t->kind, who, sizeof who);
        fprintf(stderr, "kairo-portd: session %016llx from %s on slot %s is NOT authenticated "
                        "(--insecure-no-auth)\n", (unsigned long long)ss->id, who, slot->name);
    }
}

static void on_hello(RemoteServer *srv, RpTransport *t, const uint8_t *frame, size_t len,
                     const RpHeader *h, const RpPeer *from)
{
    RpHello hello;
    if (!rp_verify(frame, len, srv->hs_key)) {
        srv->st.drops[RP_DROP_MAC]++;
        return;
    }
    if (!rp_get_hello(rp_payload(frame), h->len, &hello) || !h->session) {
        srv->st.drops[RP_DROP_MALFORMED]++;
        return;
    }
    RsSlot *slot = slot_for_client(srv, hello.slot, t, from);
    uint8_t zero[RP_NONCE_LEN] = { 0 }, out[RP_MAX_FRAME];
    bool allowed = slot && client_allowed(slot, t, from);
    if (!slot || !allowed || !exclusive_admits(slot, t, from)) {
        if (!slot || !allowed)
            srv->st.drops[slot ? RP_DROP_PEER : RP_DROP_SLOT]++;
        size_t n = seal_welcome(srv, h->session, RP_STATUS_REFUSED, hello.nonce, zero, out);
        if (!rp_transport_send(t, from, out, n))
            srv->st.drops[RP_DROP_SEND]++;
        return;
    }
    int e = find_epoch(srv, t, from, (int)(slot - srv->slots));
    RsSession *cur = session_for(srv, t, from, slot);
    if (hello.epoch == srv->epochs[e].epoch && cur->active && cur->id == h->session &&
        memcmp(cur->cnonce, hello.nonce, RP_NONCE_LEN) == 0) {
        send_sealed(srv, cur, cur->welcome, cur->welcome_len);   /* our WELCOME was lost */
        return;
    }
    if (hello.epoch <= srv->epochs[e].epoch) {
        srv->st.drops[RP_DROP_REPLAY]++;        /* an old HELLO played again */
        return;
    }
    srv->epochs[e].epoch = hello.epoch;
    open_session(srv, t, from, h, &hello, slot);
}

/* --- requests --- */

/* Parse and check the whole batch: the number of ops, or -1 with *why
 * set, or -2 - i when op i is outside the allowlist (*why set too). */
static int check_batch(const RsSlot *slot, const uint8_t *p, size_t len, RpOp *ops, int *why)
{
    size_t pos = 0;
    unsigned reply = 0;
    int n = 0;
    while (pos < len) {
        if (n == RS_MAX_OPS || !rp_next_op(p, len, &pos, &ops[n])) {
            *why = RP_DROP_MALFORMED;
            return -1;
        }
        const RpOp *op = &ops[n++];
        bool ok = rp_op_is_mem(op->kind)
                      ? rs_mem_allowed(slot, op->addr, (uint64_t)op->count * op->width)
                      : rs_port_allowed(slot, op->port, op->width);
        if (!ok) {
            *why = RP_DROP_PORT;
            return -2 - (n - 1);    /* the op that is not allowed */
        }
        reply += rp_op_reply_len(op);
    }
    if (REPLY_HEAD + reply > RP_MAX_PAYLOAD) {
        *why = RP_DROP_MALFORMED;
        return -1;
    }
    return n;
}

/* One memory op, element by element in address order (what the CPU's
 * stores would have done one at a time). */
static size_t execute_mem(RsSlot *slot, const RpOp *op, uint8_t *out)
{
    const RsBackend *be = &slot->be;
    size_t at = 0;
    for (unsigned k = 0; k < op->count; k++) {
        uint32_t addr = op->addr + k * op->width;
        if (op->kind == RP_OP_MEM_READ) {
            rp_put_le(out + at, op->width, be->mread(be->opaque, addr, op->width));
            at += op->width;
        } else {
            be->mwrite(be->opaque, addr, op->width, rp_get_le(op->data + k * op->width, op->width));
        }
    }
    if (op->kind == RP_OP_MEM_READ)
        slot->mem_bytes_read += at;
    else
        slot->mem_bytes_written += (uint64_t)op->count * op->width;
    return at;
}

/* Run the ops in order; read data goes to out. Returns its length. */
static size_t execute(RsSlot *slot, const RpOp *ops, int n, uint8_t *out)
{
    const RsBackend *be = &slot->be;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const RpOp *op = &ops[i];
        if (rp_op_is_mem(op->kind)) {
            at += execute_mem(slot, op, out + at);
            continue;
        }
        for (unsigned k = 0; k < op->count; k++) {
            if (op->kind == RP_OP_READ || op->kind == RP_OP_READ_STRING) {
                rp_put_le(out + at, op->width, be->read(be->opaque, op->port, op->width));
                at += op->width;
            } else {
                uint32_t v = op->kind == RP_OP_WRITE ? op->value
                                                     : rp_get_le(op->data + k * op->width, op->width);
                be->write(be->opaque, op->port, op->width, v);
            }
        }
        slot->ops_executed += op->count;
    }
    return at;
}

/* An access outside the slot's allowlist (a disk client past its
 * partition, a port the slot does not own) is an arbitration decision:
 * logged with time, slot and client (the first few per slot), counted. */
static void log_refusal(RemoteServer *srv, RsSession *ss, const RpOp *op)
{
    RsSlot *s = ss->slot;
    if (s->refusals_logged++ >= 20)
        return;
    char who[80];
    rp_peer_format(&ss->peer, ss->t->kind, who, sizeof who);
    if (rp_op_is_mem(op->kind))
        fprintf(stderr, "kairo-portd: [%.6f] slot %s: refused %s: memory 0x%X+%u outside the "
                        "slot's ranges\n", (double)rp_now_ns() / 1e9, s->name, who, op->addr,
                (unsigned)op->count * op->width);
    else
        fprintf(stderr, "kairo-portd: [%.6f] slot %s: refused %s: port 0x%X width %u outside "
                        "the allowlist\n", (double)rp_now_ns() / 1e9, s->name, who, op->port,
                op->width);
    (void)srv;
}

static void run_request(RemoteServer *srv, RsSession *ss, const RpHeader *h,
                        const uint8_t *payload)
{
    RpOp *ops = srv->ops;
    uint8_t reply[RP_MAX_PAYLOAD];
    int why = -1;
    int n = check_batch(ss->slot, payload, h->len, ops, &why);
    size_t data = 0;
    reply[0] = n < 0 ? RP_STATUS_REFUSED : RP_STATUS_OK;
    reply[1] = 0;
    if (n < -1)
        log_refusal(srv, ss, &ops[-2 - n]);
    if (n < 0) {
        srv->st.drops[why]++;
        srv->st.refused++;
    } else {
        srv->executing = true;
        data = execute(ss->slot, ops, n, reply + REPLY_HEAD);
        srv->executing = false;
        srv->st.ops += (uint64_t)n;
    }
    rp_put_irq_state(reply + 2, &ss->slot->irq);
    ss->executed = h->seq;
    RpHeader rh = { .type = RP_REPLY, .session = ss->id, .seq = ss->slot->irq_version,
                    .ack = h->seq, .len = (uint16_t)(REPLY_HEAD + data) };
    ss->reply_len = rp_seal(ss->reply, &rh, reply, ss->s2c);
    /* The reply carries the line state: count it as sent, so the state is
     * repeated only if the client's next request does not acknowledge it. */
    ss->irq_sent = ss->slot->irq_version;
    ss->irq_sent_at = rp_now_ns();
    if (srv->commit)
        srv->commit(srv->commit_opaque);
    send_sealed(srv, ss, ss->reply, ss->reply_len);
}

static void on_request(RemoteServer *srv, RsSession *ss, const RpHeader *h, const uint8_t *payload)
{
    /* The client acknowledges interrupt state it applied. */
    if ((int32_t)(h->ack - ss->irq_acked) > 0 && (int32_t)(h->ack - ss->slot->irq_version) <= 0)
        ss->irq_acked = h->ack;
    if (ss->reply_len && h->seq == ss->executed) {
        srv->st.duplicates++;   /* answered from the reply cache, not executed */
        send_sealed(srv, ss, ss->reply, ss->reply_len);
        return;
    }
    if (h->seq != ss->executed + 1 || !rp_window_accept(&ss->window, h->seq)) {
        srv->st.drops[RP_DROP_REPLAY]++;
        return;
    }
    if (ss->slot->exclusive && client_index(ss->slot, ss->t, &ss->peer) != ss->slot->owner) {
        ss->active = false;     /* not the owner (any more): never executed */
        ss->slot->acct.refusals++;
        return;
    }
    srv->st.requests++;
    run_request(srv, ss, h, payload);
}

/* A request for a session we do not know: tell an allowed client so (under
 * the handshake key, rate-limited), rather than let it wait out its outage
 * bound for a reply that cannot come. */
static void notice_no_session(RemoteServer *srv, RpTransport *t, const RpPeer *from,
                              uint64_t session)
{
    bool allowed = false;
    for (int i = 0; i < srv->n_slots && !allowed; i++)
        allowed = client_allowed(&srv->slots[i], t, from);
    uint64_t now = rp_now_ns();
    if (!allowed || now - srv->last_notice < 1000000ull)
        return;
    srv->last_notice = now;
    uint8_t zero[RP_NONCE_LEN] = { 0 }, out[RP_MAX_FRAME];
    size_t n = seal_welcome(srv, session, RP_STATUS_NO_SESSION, zero, zero, out);
    if (!rp_transport_send(t, from, out, n))
        srv->st.drops[RP_DROP_SEND]++;
    srv->st.no_session_notices++;
}

static RsSession *find_session(RemoteServer *srv, uint64_t id)
{
    for (int i = 0; i < RS_MAX_SESSIONS; i++)
        if (srv->sessions[i].active && srv->sessions[i].id == id)
            return &srv->sessions[i];
    return NULL;
}

void rs_handle(RemoteServer *srv, RpTransport *t, const uint8_t *frame, size_t len,
               const RpPeer *from)
{
    RpHeader h;
    int bad = rp_parse_header(frame, len, &h);
    if (bad >= 0) {
        srv->st.drops[bad]++;
        return;
    }
    if (h.type == RP_HELLO) {
        on_hello(srv, t, frame, len, &h, from);
        return;
    }
    RsSession *ss = find_session(srv, h.session);
    if (!ss || ss->t != t || !rp_peer_equal(&ss->peer, from, t->kind)) {
        srv->st.drops[RP_DROP_SESSION]++;
        if (!ss && h.type == RP_REQUEST)
            notice_no_session(srv, t, from, h.session);
        return;
    }
    if (!rp_verify(frame, len, ss->c2s)) {
        srv->st.drops[RP_DROP_MAC]++;
        return;
    }
    ss->last_seen = rp_now_ns();
    if (h.type == RP_REQUEST)
        on_request(srv, ss, &h, rp_payload(frame));
    else if (h.type == RP_IRQ_ACK && h.len == 0) {
        if ((int32_t)(h.ack - ss->irq_acked) > 0 && (int32_t)(h.ack - ss->slot->irq_version) <= 0)
            ss->irq_acked = h.ack;
    } else
        srv->st.drops[h.type == RP_IRQ_ACK ? RP_DROP_MALFORMED : RP_DROP_TYPE]++;
}

void rs_print_stats(const RemoteServer *srv, FILE *out)
{
    const RsStats *st = &srv->st;
    fprintf(out, "kairo-portd: sessions %llu, requests %llu, ops %llu, duplicates answered %llu, "
                 "refused %llu, irq frames %llu, no-session notices %llu\n",
            (unsigned long long)st->sessions, (unsigned long long)st->requests,
            (unsigned long long)st->ops, (unsigned long long)st->duplicates,
            (unsigned long long)st->refused, (unsigned long long)st->irq_frames,
            (unsigned long long)st->no_session_notices);
    fprintf(out, "kairo-portd: dropped");
    for (int i = 0; i < RP_DROP_COUNT; i++)
        fprintf(out, " %s=%llu", rp_drop_name(i), (unsigned long long)st->drops[i]);
    fputc('\n', out);
    for (int i = 0; i < srv->n_slots; i++)
        if (srv->slots[i].exclusive)
            fprintf(out, "kairo-portd: slot %s: exclusive, owner client %d, %llu grants, "
                         "%llu releases, %llu refusals\n", srv->slots[i].name,
                    srv->slots[i].owner + 1, (unsigned long long)srv->slots[i].acct.grants,
                    (unsigned long long)srv->slots[i].acct.releases,
                    (unsigned long long)srv->slots[i].acct.refusals);
    for (int i = 0; i < srv->n_slots; i++)
        fprintf(out, "kairo-portd: slot %s: %llu port accesses executed, %llu MMIO bytes written, "
                     "%llu read\n", srv->slots[i].name,
                (unsigned long long)srv->slots[i].ops_executed,
                (unsigned long long)srv->slots[i].mem_bytes_written,
                (unsigned long long)srv->slots[i].mem_bytes_read);
}
