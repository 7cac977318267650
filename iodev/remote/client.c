/* SPDX-License-Identifier: MIT */
/* The client side of a remote slot (see client.h). */
#include "iodev/remote/client.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define RTO_INITIAL 50000000ull     /* before the first sample */
#define RTO_MIN 250000ull           /* 0.25 ms: 10x a veth round trip's p99 */
#define RTO_MAX 200000000ull
#define RECONNECT_INTERVAL 1000000000ull
#define OUTAGE_DEFAULT_MS 30000u        /* long enough for a link flap or a server restart */
#define SPIN_MAX_NS 100000ull           /* busy-poll bound before sleeping on a reply */
#define REPLY_HEAD (2 + RP_IRQ_STATE_LEN)   /* status, pad, irq state */

static void logf_slot(const RemoteClient *rc, const char *what)
{
    if (!rc->quiet)
        fprintf(stderr, "kairo: remote %s: %s\n", rc->slot, what);
}

void rc_init(RemoteClient *rc, RpTransport *t, const RpPeer *peer, const uint8_t psk[RP_KEY_LEN],
             const char *slot, unsigned timeout_ms)
{
    memset(rc, 0, sizeof *rc);
    rc->t = t;
    rc->peer = *peer;
    snprintf(rc->slot, sizeof rc->slot, "%s", slot);
    memcpy(rc->psk, psk, RP_KEY_LEN);
    rp_handshake_key(psk, rc->hs_key);
    rc->rto = RTO_INITIAL;
    rc->peer_timeout = (uint64_t)(timeout_ms ? timeout_ms : OUTAGE_DEFAULT_MS) * 1000000ull;
    rc->spin_max = SPIN_MAX_NS;
}

void rc_set_irq(RemoteClient *rc, RcIrqFn fn, void *opaque, unsigned n_irqs)
{
    rc->irq_fn = fn;
    rc->irq_opaque = opaque;
    rc->n_irqs = n_irqs > RP_MAX_IRQS ? RP_MAX_IRQS : n_irqs;
}

/* --- statistics --- */

static void record_latency(RcStats *st, uint64_t ns)
{
    uint64_t us = ns / 1000;
    unsigned b = us < 1000 ? (unsigned)us : us < 1000000 ? 999 + (unsigned)(us / 1000)
                                                         : RC_LAT_BUCKETS - 1;
    st->latency[b]++;
}

/* The upper edge of the bucket holding the percentile. */
uint64_t rc_latency_percentile(const RcStats *st, double pct)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < RC_LAT_BUCKETS; i++)
        total += st->latency[i];
    if (!total)
        return 0;
    uint64_t want = (uint64_t)((double)total * pct / 100.0 + 0.5), seen = 0;
    if (!want)
        want = 1;
    for (unsigned i = 0; i < RC_LAT_BUCKETS; i++) {
        seen += st->latency[i];
        if (seen >= want)
            return i < 1000 ? (i + 1) * 1000ull : (i - 999 + 1) * 1000000ull;
    }
    return 0;
}

static void update_rto(RemoteClient *rc, uint64_t rtt)
{
    if (!rc->srtt) {
        rc->srtt = rtt;
        rc->rttvar = rtt / 2;
    } else {
        uint64_t diff = rtt > rc->srtt ? rtt - rc->srtt : rc->srtt - rtt;
        rc->rttvar = (3 * rc->rttvar + diff) / 4;
        rc->srtt = (7 * rc->srtt + rtt) / 8;
    }
    rc->rto = rc->srtt + 4 * rc->rttvar;
    if (rc->rto < RTO_MIN)
        rc->rto = RTO_MIN;
    if (rc->rto > RTO_MAX)
        rc->rto = RTO_MAX;
}

/* --- interrupt lines --- */

/* Bring our lines to the server's state. A rising edge the server counted
 * that we have not seen is replayed, so a pulse between two samples still
 * reaches an edge-triggered PIC. */
static void apply_irq(RemoteClient *rc, uint32_t version, const RpIrqState *s)
{
    if (rc->irq_any && (int32_t)(version - rc->irq_version) < 0)
        return;     /* older than what we applied */
    rc->irq_any = true;
    rc->irq_version = version;
    for (unsigned i = 0; i < rc->n_irqs; i++) {
        bool was = rc->irq.levels >> i & 1, now = s->levels >> i & 1;
        bool missed_edge = (uint16_t)(s->edges[i] - rc->irq.edges[i]) != 0;
        if (rc->irq_fn && missed_edge && (was || !now)) {
            /* Went down and up again (or up and down) since we looked. */
            if (was)
                rc->irq_fn(rc->irq_opaque, (int)i, false);
            rc->irq_fn(rc->irq_opaque, (int)i, true);
            was = true;
        }
        if (rc->irq_fn && was != now)
            rc->irq_fn(rc->irq_opaque, (int)i, now);
    }
    rc->irq = *s;
}

static void send_frame(RemoteClient *rc, uint8_t type, uint32_t seq, uint32_t ack,
                       const uint8_t *payload, uint16_t len, const uint8_t *key)
{
    RpHeader h = { .type = type, .session = rc->session, .seq = seq, .ack = ack, .len = len };
    uint8_t out[RP_MAX_FRAME];
    size_t n = rp_seal(out, &h, payload, key);
    if (n && !rp_transport_send(rc->t, &rc->peer, out, n))
        rc->st.drops[RP_DROP_SEND]++;
}

/* --- incoming frames --- */

typedef struct Incoming {
    RpHeader h;
    const uint8_t *payload;
    uint32_t want_ack;          /* the request we wait for, 0 = none */
    bool matched;               /* its reply arrived */
} Incoming;

static void on_irq(RemoteClient *rc, Incoming *in)
{
    if (in->h.len != RP_IRQ_STATE_LEN) {
        rc->st.drops[RP_DROP_MALFORMED]++;
        return;
    }
    RpIrqState s;
    rp_get_irq_state(in->payload, &s);
    if (rc->irq_any && (int32_t)(in->h.seq - rc->irq_version) <= 0)
        rc->st.drops[RP_DROP_REPLAY]++;
    else {
        rc->st.irq_frames++;
        apply_irq(rc, in->h.seq, &s);
    }
    /* Acknowledge what we hold, also for a repeat: our earlier ack may
     * have been lost, and the server repeats until it hears one. */
    send_frame(rc, RP_IRQ_ACK, 0, rc->irq_version, NULL, 0, rc->c2s);
}

static void on_reply(RemoteClient *rc, Incoming *in)
{
    if (!in->want_ack || in->h.ack != in->want_ack || in->matched) {
        rc->st.drops[RP_DROP_REPLAY]++;     /* a stale or repeated reply */
        return;
    }
    const uint8_t *p = in->payload;
    bool ok = in->h.len >= REPLY_HEAD && p[0] == RP_STATUS_OK;
    if (in->h.len < REPLY_HEAD || (ok && in->h.len != REPLY_HEAD + rc->reply_need) ||
        (!ok && in->h.len != REPLY_HEAD)) {
        rc->st.drops[RP_DROP_MALFORMED]++;
        return;
    }
    RpIrqState s;
    rp_get_irq_state(p + 2, &s);
    apply_irq(rc, in->h.seq, &s);
    in->matched = true;
    if (!ok) {
        rc->st.refused++;
        if (rc->st.refused == 1)
            logf_slot(rc, "the server refused a request (port or width outside its allowlist)");
        memset(rc->read_tmp, 0xFF, rc->reply_need);
    } else {
        memcpy(rc->read_tmp, p + REPLY_HEAD, rc->reply_need);
    }
}

static void handle_frame(RemoteClient *rc, const uint8_t *frame, size_t len, Incoming *in)
{
    int bad = rp_parse_header(frame, len, &in->h);
    if (bad >= 0) {
        rc->st.drops[bad]++;
        return;
    }
    if (!rc->online || in->h.session != rc->session) {
        rc->st.drops[RP_DROP_SESSION]++;
        return;
    }
    /* A second copy of our session's WELCOME (the link duplicated it, or
     * the server repeated it for a HELLO of ours it saw twice) is sealed
     * with the handshake key: a duplicate, not a forgery. */
    if (in->h.type == RP_WELCOME && rp_verify(frame, len, rc->hs_key)) {
        if (in->h.len == RP_WELCOME_LEN && rp_payload(frame)[0] == RP_STATUS_NO_SESSION)
            rc->session_lost = true;
        else
            rc->st.duplicate_welcomes++;
        return;
    }
    if (!rp_verify(frame, len, rc->s2c)) {
        rc->st.drops[RP_DROP_MAC]++;
        return;
    }
    in->payload = rp_payload(frame);
    if (in->h.type == RP_REPLY)
        on_reply(rc, in);
    else if (in->h.type == RP_IRQ)
        on_irq(rc, in);
    else
        rc->st.drops[RP_DROP_TYPE]++;
}

static bool peer_matches(const RemoteClient *rc, const RpPeer *from)
{
    return rp_peer_equal(&rc->peer, from, rc->t->kind);
}

/* Every frame that has arrived; true if the awaited reply was among them. */
static bool drain(RemoteClient *rc, Incoming *in)
{
    RpPeer from;
    size_t n;
    while ((n = rp_transport_recv(rc->t, rc->frame, sizeof rc->frame, &from)) > 0) {
        if (!peer_matches(rc, &from)) {
            rc->st.drops[RP_DROP_PEER]++;
            continue;
        }
        handle_frame(rc, rc->frame, n, in);
    }
    return in->matched;
}

/* --- sessions --- */

static void go_offline(RemoteClient *rc, const char *why)
{
    if (rc->online) {
        rc->st.offline_events++;
        char msg[160];
        snprintf(msg, sizeof msg, "%s: slot offline (reads give all-ones)", why);
        logf_slot(rc, msg);
    }
    rc->online = false;
    rc->next_attempt = rp_now_ns() + RECONNECT_INTERVAL;
}

static uint64_t next_epoch(RemoteClient *rc)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t e = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    rc->epoch = e > rc->epoch ? e : rc->epoch + 1;
    return rc->epoch;
}

/* A WELCOME for our HELLO: status, line count, our nonce, theirs. */
static int check_welcome(RemoteClient *rc, const uint8_t *frame, size_t len,
                         const uint8_t cnonce[RP_NONCE_LEN])
{
    RpHeader h;
    int bad = rp_parse_header(frame, len, &h);
    if (bad >= 0)
        return bad;
    if (h.type != RP_WELCOME || h.session != rc->session)
        return RP_DROP_SESSION;
    if (!rp_verify(frame, len, rc->hs_key))
        return RP_DROP_MAC;
    const uint8_t *p = rp_payload(frame);
    if (h.len != RP_WELCOME_LEN || memcmp(p + 2, cnonce, RP_NONCE_LEN) != 0)
        return RP_DROP_MALFORMED;
    if (p[0] != RP_STATUS_OK)
        return RP_DROP_SLOT;
    rp_session_keys(rc->psk, rc->session, cnonce, p + 2 + RP_NONCE_LEN, rc->c2s, rc->s2c);
    return -1;
}

static bool await_welcome(RemoteClient *rc, const uint8_t cnonce[RP_NONCE_LEN],
                          uint64_t deadline)
{
    RpPeer from;
    size_t n;
    while ((n = rp_transport_recv(rc->t, rc->frame, sizeof rc->frame, &from)) > 0) {
        if (!peer_matches(rc, &from)) {
            rc->st.drops[RP_DROP_PEER]++;
            continue;
        }
        int bad = check_welcome(rc, rc->frame, n, cnonce);
        if (bad < 0)
            return true;
        rc->st.drops[bad]++;
        if (bad == RP_DROP_SLOT) {
            logf_slot(rc, "the server refused the session (unknown slot or client not allowed)");
            return false;
        }
    }
    rp_transport_wait(rc->t, deadline);
    return false;
}

bool rc_connect(RemoteClient *rc, unsigned wait_ms)
{
    uint64_t start = rp_now_ns(), end = start + (uint64_t)wait_ms * 1000000ull;
    uint8_t cnonce[RP_NONCE_LEN], payload[RP_HELLO_LEN];
    RpHello hello = { .epoch = next_epoch(rc) };
    snprintf(hello.slot, sizeof hello.slot, "%s", rc->slot);
    rp_random(hello.nonce, RP_NONCE_LEN);
    memcpy(cnonce, hello.nonce, RP_NONCE_LEN);
    do
        rp_random(&rc->session, sizeof rc->session);
    while (!rc->session);
    rp_put_hello(payload, &hello);
    rc->online = false;
    uint64_t interval = 20000000ull;   /* 20 ms between HELLOs */
    for (uint64_t now = start; now < end; now = rp_now_ns()) {
        send_frame(rc, RP_HELLO, 0, 0, payload, RP_HELLO_LEN, rc->hs_key);
        uint64_t until = now + interval < end ? now + interval : end;
        while (rp_now_ns() < until) {
            if (await_welcome(rc, cnonce, until)) {
                rc->online = true;
                rc->next_seq = 1;
                rc->irq_any = false;
                rc->st.sessions++;
                if (rc->st.sessions > 1)
                    logf_slot(rc, "session re-established");
                return true;
            }
        }
    }
    rc->next_attempt = rp_now_ns() + RECONNECT_INTERVAL;
    return false;
}

/* --- batches --- */

static void finish_batch(RemoteClient *rc, bool ok)
{
    unsigned off = 0;
    for (unsigned i = 0; i < rc->n_reads; i++) {
        if (ok)
            memcpy(rc->reads[i].dst, rc->read_tmp + off, rc->reads[i].bytes);
        else
            memset(rc->reads[i].dst, 0xFF, rc->reads[i].bytes);
        off += rc->reads[i].bytes;
    }
    rc->req_len = 0;
    rc->last_mem_write = 0;
    rc->reply_need = 0;
    rc->n_reads = 0;
}

/* A sleep costs a wake-up (tens of microseconds on a loaded host), more
 * than a round trip over a short link: poll for up to twice the smoothed
 * round trip first, bounded by spin_max. A slow link (srtt above the
 * bound) sleeps at once, and so does a host without an idle CPU (the spin
 * guard). True if the reply came. */
static bool spin_for_reply(RemoteClient *rc, Incoming *in, uint64_t t0, uint64_t deadline)
{
    uint64_t now = rp_now_ns();
    if (!rc->srtt || rc->srtt > rc->spin_max || !rp_spin_begin(&rc->spin_guard, now))
        return false;
    uint64_t until = t0 + 2 * rc->srtt;
    if (until > t0 + rc->spin_max)
        until = t0 + rc->spin_max;
    if (until > deadline)
        until = deadline;
    bool got = false;
    for (; now < until && !got; now = rp_now_ns()) {
        rp_spin_tick(&rc->spin_guard, now);
        got = drain(rc, in);
    }
    rp_spin_end(&rc->spin_guard);
    if (got)
        rc->st.spin_hits++;
    else
        rc->st.spin_misses++;
    return got;
}

/* Send the batch and wait for its reply, retransmitting on the timeout.
 * The same sequence number is sent again until the reply comes or the
 * outage bound (peer_timeout) passes: the server executes it once and
 * answers repeats from its reply cache, across link cuts and, with a state
 * file, across its own restarts. Only after the bound does the slot go
 * offline. */
static bool exchange(RemoteClient *rc)
{
    uint32_t seq = rc->next_seq++;
    RpHeader h = { .type = RP_REQUEST, .session = rc->session, .seq = seq,
                   .ack = rc->irq_version, .len = (uint16_t)rc->req_len };
    uint8_t out[RP_MAX_FRAME];
    size_t n = rp_seal(out, &h, rc->req, rc->c2s);
    uint64_t t0 = rp_now_ns(), rto = rc->rto, deadline = t0 + rto;
    bool retransmitted = false;
    Incoming in = { .want_ack = seq };
    if (!rp_transport_send(rc->t, &rc->peer, out, n))
        rc->st.drops[RP_DROP_SEND]++;
    rc->session_lost = false;
    for (;;) {
        if (drain(rc, &in))
            break;
        if (rc->session_lost) {
            go_offline(rc, "the server does not know this session (restarted without its "
                           "state file?)");
            return false;
        }
        uint64_t now = rp_now_ns();
        if (now >= deadline) {
            if (now - t0 >= rc->peer_timeout) {
                go_offline(rc, "peer not answering");
                return false;
            }
            rc->st.retransmits++;
            retransmitted = true;
            if (!rp_transport_send(rc->t, &rc->peer, out, n))
                rc->st.drops[RP_DROP_SEND]++;
            rto = rto * 2 > RTO_MAX ? RTO_MAX : rto * 2;
            deadline = now + rto;
        }
        if (!spin_for_reply(rc, &in, t0, deadline))
            rp_transport_wait(rc->t, deadline);
    }
    uint64_t rtt = rp_now_ns() - t0;
    if (!retransmitted)
        update_rto(rc, rtt);    /* Karn: only unambiguous samples */
    record_latency(&rc->st, rtt);
    rc->st.round_trips++;
    return true;
}

static void run_batch(RemoteClient *rc)
{
    if (!rc->req_len)
        return;
    if (!rc->online && rp_now_ns() >= rc->next_attempt)
        rc_connect(rc, 50);
    if (rc->batch_has_mem_write)
        rc->st.mem_batches++;
    rc->batch_has_mem_write = false;
    bool ok = rc->online && exchange(rc);
    if (!ok)
        rc->st.offline_accesses++;
    finish_batch(rc, ok);
}

void rc_flush(RemoteClient *rc)
{
    run_batch(rc);
}

/* Append an op, running the batch first if it would not fit. */
static void add_op(RemoteClient *rc, const RpOp *op, uint8_t *dst)
{
    unsigned reply = rp_op_reply_len(op);
    bool fits = rc->req_len + rp_op_request_len(op) <= RP_MAX_PAYLOAD &&
                REPLY_HEAD + rc->reply_need + reply <= RP_MAX_PAYLOAD &&
                (!dst || rc->n_reads < RC_MAX_READS);
    if (!fits)
        run_batch(rc);
    rc->last_mem_write = op->kind == RP_OP_MEM_WRITE ? rc->req_len + 1 : 0;
    rc->batch_has_mem_write |= op->kind == RP_OP_MEM_WRITE;
    rc->req_len = rp_put_op(rc->req, rc->req_len, RP_MAX_PAYLOAD, op);
    rc->st.issued += op->count;
    rc->reply_need += reply;
    if (dst) {
        rc->reads[rc->n_reads].dst = dst;
        rc->reads[rc->n_reads].bytes = reply;
        rc->n_reads++;
    }
}

uint32_t rc_read(RemoteClient *rc, uint16_t port, unsigned width)
{
    uint8_t v[4] = { 0 };
    RpOp op = { .kind = RP_OP_READ, .width = (uint8_t)width, .port = port, .count = 1 };
    rc->st.reads++;
    add_op(rc, &op, v);
    run_batch(rc);
    return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
}

void rc_write(RemoteClient *rc, uint16_t port, unsigned width, uint32_t value)
{
    RpOp op = { .kind = RP_OP_WRITE, .width = (uint8_t)width, .port = port, .count = 1,
                .value = value };
    rc->st.writes++;
    add_op(rc, &op, NULL);
}

/* Elements of a string op that fit one frame beside the batch header. */
static unsigned string_chunk(unsigned width, unsigned count)
{
    unsigned max = (RP_MAX_PAYLOAD - REPLY_HEAD - 8) / width;
    return count < max ? count : max;
}

void rc_read_string(RemoteClient *rc, uint16_t port, unsigned width, void *buf, unsigned count)
{
    uint8_t *p = buf;
    rc->st.string_ops++;
    while (count) {
        unsigned n = string_chunk(width, count);
        RpOp op = { .kind = RP_OP_READ_STRING, .width = (uint8_t)width, .port = port,
                    .count = (uint16_t)n };
        add_op(rc, &op, p);
        p += (size_t)n * width;
        count -= n;
    }
    run_batch(rc);
}

void rc_write_string(RemoteClient *rc, uint16_t port, unsigned width, const void *buf,
                     unsigned count)
{
    const uint8_t *p = buf;
    rc->st.string_ops++;
    while (count) {
        unsigned n = string_chunk(width, count);
        RpOp op = { .kind = RP_OP_WRITE_STRING, .width = (uint8_t)width, .port = port,
                    .count = (uint16_t)n, .data = p };
        add_op(rc, &op, NULL);
        p += (size_t)n * width;
        count -= n;
    }
}

/* --- memory-mapped I/O --- */

uint32_t rc_mem_read(RemoteClient *rc, uint32_t addr, unsigned width)
{
    uint8_t v[4] = { 0 };
    RpOp op = { .kind = RP_OP_MEM_READ, .width = (uint8_t)width, .addr = addr, .count = 1 };
    rc->st.mem_reads++;
    add_op(rc, &op, v);
    run_batch(rc);
    return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
}

/* Extend the batch's last op if it is a store ending where this one
 * starts: the count field grows, the bytes go at the end of the batch. */
static bool coalesce_store(RemoteClient *rc, uint32_t addr, unsigned width, const uint8_t *bytes)
{
    if (!rc->last_mem_write || rc->req_len + width > RP_MAX_PAYLOAD)
        return false;
    uint8_t *h = rc->req + rc->last_mem_write - 1;
    uint16_t count = rp_get16(h + 2);
    if (h[1] != width || count == 0xFFFF || rp_get32(h + 4) + (uint32_t)count * width != addr)
        return false;
    rp_put16(h + 2, (uint16_t)(count + 1));
    memcpy(rc->req + rc->req_len, bytes, width);
    rc->req_len += width;
    rc->st.issued++;
    rc->st.mem_coalesced++;
    return true;
}

void rc_mem_write(RemoteClient *rc, uint32_t addr, unsigned width, uint32_t value)
{
    uint8_t b[4];
    rp_put_le(b, width, value);
    rc->st.mem_writes++;
    rc->st.mem_bytes_written += width;
    if (coalesce_store(rc, addr, width, b))
        return;
    RpOp op = { .kind = RP_OP_MEM_WRITE, .width = (uint8_t)width, .addr = addr, .count = 1,
                .data = b };
    add_op(rc, &op, NULL);
}

/* Elements of a memory block op that fit one frame beside the batch header. */
static unsigned mem_chunk(unsigned width, unsigned count)
{
    unsigned max = (RP_MAX_PAYLOAD - REPLY_HEAD - 12) / width;
    return count < max ? count : max;
}

void rc_mem_read_block(RemoteClient *rc, uint32_t addr, unsigned width, void *buf,
                       unsigned count)
{
    uint8_t *p = buf;
    rc->st.mem_reads++;
    while (count) {
        unsigned n = mem_chunk(width, count);
        RpOp op = { .kind = RP_OP_MEM_READ, .width = (uint8_t)width, .addr = addr,
                    .count = (uint16_t)n };
        add_op(rc, &op, p);
        p += (size_t)n * width;
        addr += n * width;
        count -= n;
    }
    run_batch(rc);
}

void rc_mem_write_block(RemoteClient *rc, uint32_t addr, unsigned width, const void *buf,
                        unsigned count)
{
    const uint8_t *p = buf;
    rc->st.mem_writes++;
    rc->st.mem_bytes_written += (uint64_t)count * width;
    while (count) {
        unsigned n = mem_chunk(width, count);
        RpOp op = { .kind = RP_OP_MEM_WRITE, .width = (uint8_t)width, .addr = addr,
                    .count = (uint16_t)n, .data = p };
        add_op(rc, &op, NULL);
        p += (size_t)n * width;
        addr += n * width;
        count -= n;
    }
}

void rc_poll(RemoteClient *rc)
{
    if (!rc->online) {
        if (rp_now_ns() >= rc->next_attempt)
            rc_connect(rc, 20);
        return;
    }
    rp_transport_tick(rc->t, rp_now_ns());
    Incoming in = { 0 };
    drain(rc, &in);
}
