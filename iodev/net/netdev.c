/* SPDX-License-Identifier: MIT */
/* The backend-independent half of a netdev (see netdev.h). */
#include "iodev/net/netdev.h"
#include "machine/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int net_pollset_add(NetPollSet *ps, int fd, short events)
{
    if (ps->n == NET_MAX_POLLFDS)
        return -1;
    ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
    return ps->n++;
}

bool netdev_open_with(NetDev *nd, const char *id, const NetBackendOps *ops, void *be)
{
    memset(nd, 0, sizeof *nd);
    snprintf(nd->id, sizeof nd->id, "%s", id);
    nd->queue = malloc(sizeof(NetFrame) * NET_QUEUE_FRAMES);
    if (!nd->queue)
        return false;
    nd->ops = ops;
    nd->be = be;
    return true;
}

bool netdev_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen)
{
    static void *(*const open_fn[])(NetDev *, const NetdevConfig *, char *, size_t) = {
        [NETDEV_USER] = net_user_open, [NETDEV_TAP] = net_tap_open,
        [NETDEV_RAW] = net_raw_open, [NETDEV_SOCKET] = net_socket_open,
    };
    static const NetBackendOps *const ops[] = {
        [NETDEV_USER] = &net_user_ops, [NETDEV_TAP] = &net_tap_ops,
        [NETDEV_RAW] = &net_raw_ops, [NETDEV_SOCKET] = &net_socket_ops,
    };
    if (!netdev_open_with(nd, c->id, ops[c->kind], NULL)) {
        snprintf(err, errlen, "netdev %s: out of memory", c->id);
        return false;
    }
    if (c->dump_file[0] && !pcap_open(&nd->dump, c->dump_file, c->dump_maxlen, err, errlen)) {
        netdev_close(nd);
        return false;
    }
    nd->be = open_fn[c->kind](nd, c, err, errlen);
    if (!nd->be) {
        netdev_close(nd);
        return false;
    }
    return true;
}

void netdev_attach(NetDev *nd, bool (*nic_receive)(void *, const uint8_t *, size_t), void *nic)
{
    nd->nic_receive = nic_receive;
    nd->nic = nic;
}

void netdev_close(NetDev *nd)
{
    if (nd->be && nd->ops && nd->ops->close)
        nd->ops->close(nd->be);
    nd->be = NULL;
    pcap_close(&nd->dump);
    free(nd->queue);
    nd->queue = NULL;
}

/* The one point where a frame enters the NIC: the replay seam. */
static bool nic_take(NetDev *nd, const uint8_t *frame, size_t len)
{
    bool ok = nd->nic_receive(nd->nic, frame, len);
    if (replay_recording(nd->replay)) {
        uint8_t p[REPLAY_MAX_PAYLOAD];
        p[0] = nd->replay_idx;
        p[1] = ok;
        memcpy(p + 2, frame, len);
        replay_log(nd->replay, RK_NET, p, len + 2);
    }
    return ok;
}

void netdev_replay_frame(NetDev *nd, const ReplayEvent *e)
{
    if (!nd->nic_receive || e->len < 2)
        return;
    bool ok = nd->nic_receive(nd->nic, e->data + 2, e->len - 2);
    if (ok != (bool)e->data[1])
        replay_fail(nd->replay, "replay diverged at icount %llu: the NIC %s a frame it %s",
                    (unsigned long long)e->icount, ok ? "took" : "refused",
                    ok ? "refused" : "took");
    else
        nd->stats.rx_frames += ok;
}

/* Replay: frames a backend answered while the guest transmitted. */
static void replay_sync_frames(NetDev *nd)
{
    const ReplayEvent *e;
    while ((e = replay_take_sync(nd->replay, RK_NET)) != NULL && e->len >= 2 &&
           e->data[0] == nd->replay_idx) {
        netdev_replay_frame(nd, e);
        replay_consume(nd->replay);
    }
}

void netdev_send(NetDev *nd, const uint8_t *frame, size_t len)
{
    pcap_write(&nd->dump, frame, len);
    if (nd->be && nd->ops->send(nd->be, frame, len))
        nd->stats.tx_frames++;
    else
        nd->stats.tx_errors++;
    if (replay_playing(nd->replay))
        replay_sync_frames(nd);
}

int netdev_check_frame(const uint8_t *frame, size_t len)
{
    if (len < NET_MIN_FRAME)
        return NET_FRAME_RUNT;
    if (len > NET_MAX_FRAME)
        return NET_FRAME_OVERSIZE;
    if (frame[6] & 1)
        return NET_FRAME_GARBAGE;   /* no station sends from a group address */
    unsigned type = (unsigned)frame[12] << 8 | frame[13];
    /* 1501-1535 is neither an 802.3 length nor an EtherType; an 802.3
     * length must fit in what arrived. */
    if (type < 0x600 && (type > 1500 || type > len - NET_MIN_FRAME))
        return NET_FRAME_GARBAGE;
    return NET_FRAME_OK;
}

unsigned netdev_queue_space(const NetDev *nd)
{
    return nd->queue ? NET_QUEUE_FRAMES - nd->q_count : 0;
}

void netdev_flush(NetDev *nd)
{
    while (nd->q_count && nd->nic_receive) {
        NetFrame *f = &nd->queue[nd->q_head];
        if (!nic_take(nd, f->data, f->len))
            return;
        nd->stats.rx_frames++;
        nd->q_head = (nd->q_head + 1) % NET_QUEUE_FRAMES;
        nd->q_count--;
    }
}

void netdev_deliver(NetDev *nd, const uint8_t *frame, size_t len)
{
    switch (netdev_check_frame(frame, len)) {
    case NET_FRAME_RUNT:
        nd->stats.rx_runts++;
        return;
    case NET_FRAME_OVERSIZE:
        nd->stats.rx_oversize++;
        return;
    case NET_FRAME_GARBAGE:
        nd->stats.rx_garbage++;
        return;
    }
    pcap_write(&nd->dump, frame, len);
    /* Straight to the NIC when nothing waits before it. */
    if (!nd->q_count && nd->nic_receive && nic_take(nd, frame, len)) {
        nd->stats.rx_frames++;
        return;
    }
    if (!nd->queue || nd->q_count == NET_QUEUE_FRAMES) {
        nd->stats.rx_queue_drops++;
        return;
    }
    NetFrame *f = &nd->queue[(nd->q_head + nd->q_count) % NET_QUEUE_FRAMES];
    f->len = (uint16_t)len;
    memcpy(f->data, frame, len);
    nd->q_count++;
    netdev_flush(nd);
}

bool netdev_poll_all(NetDev *const *nds, int n, int timeout_ms)
{
    NetPollSet ps;
    ps.n = 0;
    for (int i = 0; i < n; i++)
        if (nds[i]->be)
            nds[i]->ops->fill(nds[i]->be, &ps, &timeout_ms);
    int ready = poll(ps.fds, (nfds_t)ps.n, timeout_ms);
    if (ready < 0) {
        if (errno != EINTR)
            perror("kairo: net: poll");
        for (int i = 0; i < ps.n; i++)
            ps.fds[i].revents = 0;
    }
    for (int i = 0; i < n; i++) {
        if (nds[i]->be)
            nds[i]->ops->dispatch(nds[i]->be, &ps);
        netdev_flush(nds[i]);
    }
    return ready > 0;
}
