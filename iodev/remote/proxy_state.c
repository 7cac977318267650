/* SPDX-License-Identifier: MIT */
/* The client side of a remote slot in a machine snapshot (remote_proxy_desc,
 * see proxy.h). The device itself lives on the port server and is not in
 * the snapshot; what is saved is the session: its id, keys and next
 * sequence number, the client epoch, the interrupt lines as applied, and
 * the round-trip estimator. Posted writes are sent first, so no batch is
 * half-built in the snapshot. */
#include <stdio.h>
#include <string.h>

#include "iodev/device.h"
#include "iodev/remote/client.h"
#include "iodev/remote/proxy.h"

#define PROXY_STATE_VERSION 1

typedef struct SavedSession {
    bool online, irq_any;
    uint64_t session, epoch, srtt, rttvar, rto;
    uint32_t next_seq, irq_version;
    uint8_t c2s[RP_KEY_LEN], s2c[RP_KEY_LEN];
    RpIrqState irq;
} SavedSession;

static void proxy_save(void *dev, StateWriter *w)
{
    RemoteClient *rc = dev;
    rc_flush(rc);
    state_put_u8(w, rc->online);
    state_put_u64(w, rc->session);
    state_put_u64(w, rc->epoch);
    state_put_u32(w, rc->next_seq);
    state_put_bytes(w, rc->c2s, RP_KEY_LEN);
    state_put_bytes(w, rc->s2c, RP_KEY_LEN);
    uint8_t irq[RP_IRQ_STATE_LEN];
    rp_put_irq_state(irq, &rc->irq);
    state_put_bytes(w, irq, sizeof irq);
    state_put_u32(w, rc->irq_version);
    state_put_u8(w, rc->irq_any);
    state_put_u64(w, rc->srtt);
    state_put_u64(w, rc->rttvar);
    state_put_u64(w, rc->rto);
}

static bool read_saved(StateReader *r, SavedSession *s)
{
    s->online = state_get_u8(r) != 0;
    s->session = state_get_u64(r);
    s->epoch = state_get_u64(r);
    s->next_seq = state_get_u32(r);
    state_get_bytes(r, s->c2s, RP_KEY_LEN);
    state_get_bytes(r, s->s2c, RP_KEY_LEN);
    uint8_t irq[RP_IRQ_STATE_LEN];
    state_get_bytes(r, irq, sizeof irq);
    rp_get_irq_state(irq, &s->irq);
    s->irq_version = state_get_u32(r);
    s->irq_any = state_get_u8(r) != 0;
    s->srtt = state_get_u64(r);
    s->rttvar = state_get_u64(r);
    s->rto = state_get_u64(r);
    return state_ok(r);
}

/* Loaded into the process that saved it (loadvm) while the same session
 * is live: the live one is ahead of the snapshot (the server has executed
 * past its sequence numbers), so it stays. Into a fresh process: the
 * saved session is adopted and continues on the server, which keeps idle
 * sessions for ten minutes (after that the first access finds no session,
 * waits out the outage bound and a new session is opened). */
static bool proxy_load(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    RemoteClient *rc = dev;
    SavedSession s;
    (void)version;
    if (!read_saved(r, &s)) {
        snprintf(err, errlen, "remote %s: session state truncated", rc->slot);
        return false;
    }
    if (s.epoch > rc->epoch)
        rc->epoch = s.epoch;    /* later HELLOs stay newer than any before */
    if (rc->online && rc->session == s.session)
        return true;
    if (!s.online || !s.session)
        return true;            /* nothing to adopt: the live state stays */
    rc->online = true;
    rc->session = s.session;
    rc->next_seq = s.next_seq;
    memcpy(rc->c2s, s.c2s, RP_KEY_LEN);
    memcpy(rc->s2c, s.s2c, RP_KEY_LEN);
    rc->irq = s.irq;
    rc->irq_version = s.irq_version;
    rc->irq_any = s.irq_any;
    rc->srtt = s.srtt;
    rc->rttvar = s.rttvar;
    rc->rto = s.rto ? s.rto : rc->rto;
    return true;
}

static void proxy_info(void *dev, FILE *out)
{
    RemoteClient *rc = dev;
    fprintf(out, "remote %s: %s, session %016llx, next seq %u, %llu round trips, "
                 "%llu accesses issued\n",
            rc->slot, rc->online ? "online" : "offline", (unsigned long long)rc->session,
            rc->next_seq, (unsigned long long)rc->st.round_trips,
            (unsigned long long)rc->st.issued);
}

const DeviceDesc remote_proxy_desc = {
    .kind = "remote-proxy",
    .version = PROXY_STATE_VERSION,
    .save_extra = proxy_save,
    .load_extra = proxy_load,
    .info = proxy_info,
};
