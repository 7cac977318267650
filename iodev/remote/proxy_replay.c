/* SPDX-License-Identifier: MIT */
/* A remote slot through the record/replay seam (see proxy_replay.h). */
#include "iodev/remote/proxy_replay.h"

#include <inttypes.h>
#include <string.h>

bool rlog_parse(const uint8_t *p, size_t len, unsigned n_lines, RlogRecord *out)
{
    if (len < RLOG_HEAD || p[1] > RLOG_OP_DATA)
        return false;
    size_t n = p[2];
    if (len - RLOG_HEAD < 2 * n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[RLOG_HEAD + 2 * i] >= n_lines || p[RLOG_HEAD + 2 * i + 1] > 1)
            return false;
    out->slot = p[0];
    out->op = p[1];
    out->n_changes = (unsigned)n;
    out->changes = p + RLOG_HEAD;
    out->data = p + RLOG_HEAD + 2 * n;
    out->data_len = len - RLOG_HEAD - 2 * n;
    /* Line changes alone carry no bytes. */
    return out->op == RLOG_OP_DATA || out->data_len == 0;
}

bool rlog_playing(const RemoteLog *l)
{
    return l->replay && replay_playing(l->replay);
}

static bool recording(const RemoteLog *l)
{
    return l->replay && replay_recording(l->replay);
}

/* --- record --- */

/* One event: the held line changes, then up to the payload's room of
 * data; the bytes logged are returned. */
static size_t log_event(RemoteLog *l, uint8_t op, const uint8_t *data, size_t len)
{
    uint8_t p[REPLAY_MAX_PAYLOAD];
    p[0] = l->slot;
    p[1] = op;
    p[2] = (uint8_t)l->n_pending;
    size_t pos = RLOG_HEAD + 2 * (size_t)l->n_pending;
    memcpy(p + RLOG_HEAD, l->pending, 2 * (size_t)l->n_pending);
    l->n_pending = 0;
    size_t k = len < sizeof p - pos ? len : sizeof p - pos;
    if (k)
        memcpy(p + pos, data, k);
    replay_log(l->replay, RK_REMOTE, p, pos + k);
    return k;
}

void rlog_begin(RemoteLog *l)
{
    if (recording(l))
        l->in_access = true;
}

void rlog_line(RemoteLog *l, int line, bool level)
{
    if (!recording(l) || line < 0 || (unsigned)line >= l->n_lines)
        return;
    if (l->n_pending == RLOG_MAX_PENDING)
        log_event(l, RLOG_OP_LINES, NULL, 0);
    l->pending[2 * l->n_pending] = (uint8_t)line;
    l->pending[2 * l->n_pending + 1] = level;
    l->n_pending++;
    /* Outside an access (a snapshot sending posted writes): logged now,
     * at the count where the line moved. */
    if (!l->in_access)
        log_event(l, RLOG_OP_LINES, NULL, 0);
}

void rlog_end(RemoteLog *l, const void *data, size_t len)
{
    if (!recording(l))
        return;
    l->in_access = false;
    const uint8_t *p = data;
    if (!len && l->n_pending)
        log_event(l, RLOG_OP_LINES, NULL, 0);
    while (len) {
        size_t k = log_event(l, RLOG_OP_DATA, p, len);
        p += k;
        len -= k;
    }
}

/* --- replay --- */

static void apply_changes(RemoteLog *l, const RlogRecord *rec)
{
    for (unsigned i = 0; i < rec->n_changes; i++)
        if (l->irq)
            l->irq(l->irq_opaque, rec->changes[2 * i], rec->changes[2 * i + 1] != 0);
}

/* The next event of this slot at the current count, decoded; NULL when
 * there is none (another slot's, another count, another kind). */
static const ReplayEvent *next_of_slot(RemoteLog *l, RlogRecord *rec)
{
    const ReplayEvent *e = replay_peek(l->replay, RK_REMOTE);
    if (!e || !e->len || e->data[0] != l->slot)
        return NULL;
    if (!rlog_parse(e->data, e->len, l->n_lines, rec)) {
        replay_fail(l->replay, "log corrupt at icount %" PRIu64 " (bad remote-port record)",
                    e->icount);
        return NULL;
    }
    return e;
}

void rlog_play(RemoteLog *l, void *data, size_t len)
{
    RlogRecord rec;
    uint8_t *out = data;
    /* Line changes logged on their own, then the access's reply. */
    while (next_of_slot(l, &rec) && rec.op == RLOG_OP_LINES) {
        apply_changes(l, &rec);
        replay_consume(l->replay);
    }
    size_t got = 0;
    while (got < len) {
        const ReplayEvent *e = next_of_slot(l, &rec);
        if (!e || rec.op != RLOG_OP_DATA || !rec.data_len || rec.data_len > len - got) {
            if (!l->replay->failed)
                replay_fail(l->replay, "replay diverged at icount %" PRIu64 ": %s for remote "
                            "slot %u in the log", *l->replay->icount,
                            e ? "another reply length" : "no reply", l->slot);
            memset(out + got, 0xFF, len - got);
            return;
        }
        apply_changes(l, &rec);
        memcpy(out + got, rec.data, rec.data_len);
        got += rec.data_len;
        replay_consume(l->replay);
    }
}

void rlog_apply(RemoteLog *l, const ReplayEvent *e)
{
    RlogRecord rec;
    if (!rlog_parse(e->data, e->len, l->n_lines, &rec) || rec.op != RLOG_OP_LINES) {
        replay_fail(l->replay, "log corrupt at icount %" PRIu64 " (bad remote-port record)",
                    e->icount);
        return;
    }
    apply_changes(l, &rec);
}
