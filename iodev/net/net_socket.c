/* SPDX-License-Identifier: MIT */
/* The socket backend: two emulators (Kairo or QEMU) joined directly.
 *   udp=HOST:PORT,localaddr=HOST:PORT   one frame per datagram
 *   listen=[HOST]:PORT / connect=HOST:PORT   a TCP stream, each frame
 *                                       preceded by its length (4 bytes,
 *                                       big-endian), as QEMU's socket netdev
 * A stream that announces a frame longer than 1514 bytes has the frame
 * skipped and counted as oversize; a closed stream is accepted again
 * (listen) or stays down (connect). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iodev/net/net_fd.h"

#define STREAM_HEADER 4

typedef struct NetSocket {
    NetFd f;                    /* f.fd: the datagram socket or the stream */
    bool stream;
    int listen_fd, listen_index;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    /* stream reassembly */
    uint8_t rbuf[STREAM_HEADER + NET_MAX_FRAME];
    size_t rlen;
    uint32_t skip;              /* bytes of an oversize frame still to drop */
} NetSocket;

/* HOST:PORT (HOST may be empty: any / localhost). */
static bool resolve(const char *spec, bool passive, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[NET_ADDR_LEN];
    snprintf(host, sizeof host, "%s", spec);
    char *colon = strrchr(host, ':');
    if (!colon)
        return false;
    *colon = 0;
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res) != 0)
        return false;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

/* --- datagrams --- */

static ssize_t udp_recv(NetFd *f, uint8_t *buf, size_t cap)
{
    ssize_t n = recv(f->fd, buf, cap, MSG_TRUNC);
    if (n < 0)
        return -1;
    return n > (ssize_t)cap ? (ssize_t)cap : n;
}

/* --- stream --- */

static void stream_drop(NetSocket *s)
{
    if (s->f.fd >= 0)
        close(s->f.fd);
    s->f.fd = -1;
    s->rlen = 0;
    s->skip = 0;
}

/* Read what the stream has and deliver every complete frame. */
static void stream_read(NetSocket *s)
{
    for (int burst = 0; burst < 64 && s->f.fd >= 0 && netdev_queue_space(s->f.nd); burst++) {
        uint8_t tmp[4096];
        size_t want = s->skip ? (s->skip < sizeof tmp ? s->skip : sizeof tmp)
                              : sizeof s->rbuf - s->rlen;
        ssize_t n = recv(s->f.fd, s->skip ? tmp : s->rbuf + s->rlen, want, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            stream_drop(s);
            return;
        }
        if (n < 0)
            return;
        if (s->skip) {
            s->skip -= (uint32_t)n;
            continue;
        }
        s->rlen += (size_t)n;
        while (s->rlen >= STREAM_HEADER) {
            uint32_t flen = (uint32_t)s->rbuf[0] << 24 | (uint32_t)s->rbuf[1] << 16 |
                            (uint32_t)s->rbuf[2] << 8 | s->rbuf[3];
            if (flen > NET_MAX_FRAME) {
                s->f.nd->stats.rx_oversize++;
                size_t have = s->rlen - STREAM_HEADER;
                size_t drop = have < flen ? have : flen;
                s->skip = flen - (uint32_t)drop;
                memmove(s->rbuf, s->rbuf + STREAM_HEADER + drop, have - drop);
                s->rlen = have - drop;
                if (s->skip)
                    break;
                continue;
            }
            if (s->rlen < STREAM_HEADER + flen)
                break;
            netdev_deliver(s->f.nd, s->rbuf + STREAM_HEADER, flen);
            s->rlen -= STREAM_HEADER + flen;
            memmove(s->rbuf, s->rbuf + STREAM_HEADER + flen, s->rlen);
        }
    }
}

/* --- the backend --- */

static bool socket_send(void *be, const uint8_t *frame, size_t len)
{
    NetSocket *s = be;
    if (s->f.fd < 0)
        return false;
    if (!s->stream)
        return sendto(s->f.fd, frame, len, 0, (struct sockaddr *)&s->peer, s->peer_len) ==
               (ssize_t)len;
    uint8_t buf[STREAM_HEADER + NET_MAX_FRAME];
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    memcpy(buf + STREAM_HEADER, frame, len);
    /* A stream is blocking for writes: a frame is never cut in half. */
    size_t done = 0, total = STREAM_HEADER + len;
    while (done < total) {
        ssize_t n = send(s->f.fd, buf + done, total - done, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { .fd = s->f.fd, .events = POLLOUT };
            poll(&p, 1, 100);
            continue;
        }
        if (n <= 0) {
            stream_drop(s);
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static void socket_fill(void *be, NetPollSet *ps, int *timeout_ms)
{
    NetSocket *s = be;
    s->listen_index = -1;
    if (s->stream && s->f.fd < 0 && s->listen_fd >= 0)
        s->listen_index = net_pollset_add(ps, s->listen_fd, POLLIN);
    s->f.poll_index = -1;
    if (s->f.fd >= 0)
        net_fd_fill(&s->f, ps, timeout_ms);
}

static void socket_dispatch(void *be, const NetPollSet *ps)
{
    NetSocket *s = be;
    if (s->listen_index >= 0 && ps->fds[s->listen_index].revents) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            s->f.fd = fd;
        }
    }
    if (!s->stream) {
        net_fd_dispatch(&s->f, ps);
        return;
    }
    if (s->f.poll_index >= 0 && ps->fds[s->f.poll_index].revents)
        stream_read(s);
}

static void socket_close(void *be)
{
    NetSocket *s = be;
    if (s->f.fd >= 0)
        close(s->f.fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    free(s);
}

const NetBackendOps net_socket_ops = { "socket", socket_send, socket_fill, socket_dispatch,
                                       socket_close };

static bool open_udp(NetSocket *s, const NetdevConfig *c, char *err, size_t errlen)
{
    struct sockaddr_storage local;
    socklen_t local_len;
    if (!resolve(c->udp, false, &s->peer, &s->peer_len) ||
        !resolve(c->localaddr, true, &local, &local_len)) {
        snprintf(err, errlen, "net socket: bad udp=%s or localaddr=%s (HOST:PORT)", c->udp,
                 c->localaddr);
        return false;
    }
    s->f.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->f.fd < 0 || setsockopt(s->f.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s->f.fd, (struct sockaddr *)&local, local_len) < 0) {
        snprintf(err, errlen, "net socket: cannot bind %s: %s", c->localaddr, strerror(errno));
        return false;
    }
    return true;
}

static bool open_stream(NetSocket *s, const NetdevConfig *c, char *err, size_t errlen)
{
    s->stream = true;
    struct sockaddr_storage addr;
    socklen_t len;
    const char *spec = c->listen[0] ? c->listen : c->connect;
    if (!resolve(spec, c->listen[0] != 0, &addr, &len)) {
        snprintf(err, errlen, "net socket: bad address '%s' (HOST:PORT)", spec);
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        goto fail;
    if (c->listen[0]) {
        s->listen_fd = fd;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 1) < 0 ||
            !net_fd_set_nonblocking(fd))
            goto fail;
        return true;
    }
    s->f.fd = fd;
    if (connect(fd, (struct sockaddr *)&addr, len) < 0 || !net_fd_set_nonblocking(fd))
        goto fail;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
fail:
    snprintf(err, errlen, "net socket: %s %s: %s", c->listen[0] ? "listen" : "connect", spec,
             strerror(errno));
    return false;
}

void *net_socket_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen)
{
    NetSocket *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "net socket: out of memory");
        return NULL;
    }
    s->f = (NetFd){ .fd = -1, .poll_index = -1, .nd = nd, .recv_frame = udp_recv };
    s->listen_fd = -1;
    s->listen_index = -1;
    bool ok = c->udp[0] ? open_udp(s, c, err, errlen) : open_stream(s, c, err, errlen);
    if (!ok) {
        socket_close(s);
        return NULL;
    }
    return s;
}
