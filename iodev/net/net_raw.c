/* SPDX-License-Identifier: MIT */
/* The raw backend: an AF_PACKET socket on a host interface, so the guest
 * sends and receives IEEE 802.3 frames on that segment. The interface is
 * put in promiscuous mode for the socket's lifetime (the guest has its own
 * MAC), and the frames the socket itself sent are not read back. Needs
 * CAP_NET_RAW (in a user namespace: unshare -Urn). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iodev/net/net_fd.h"

static ssize_t raw_recv(NetFd *f, uint8_t *buf, size_t cap)
{
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    /* MSG_TRUNC: the frame's real length, so oversize ones are seen. */
    ssize_t n = recvfrom(f->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
    if (n < 0)
        return -1;
    if (from.sll_pkttype == PACKET_OUTGOING)
        return 0;   /* our own transmission (kernels without PACKET_IGNORE_OUTGOING) */
    return n > (ssize_t)cap ? (ssize_t)cap : n;
}

static bool raw_send(void *be, const uint8_t *frame, size_t len)
{
    NetFd *f = be;
    return send(f->fd, frame, len, 0) == (ssize_t)len;
}

static void raw_close(void *be)
{
    NetFd *f = be;
    close(f->fd);   /* the promiscuous membership goes with the socket */
    free(f);
}

const NetBackendOps net_raw_ops = { "raw", raw_send, net_fd_fill, net_fd_dispatch, raw_close };

void *net_raw_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen)
{
    unsigned ifindex = if_nametoindex(c->ifname);
    if (!ifindex) {
        snprintf(err, errlen, "net raw: no interface '%s'", c->ifname);
        return NULL;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        snprintf(err, errlen, "net raw: AF_PACKET socket: %s (needs CAP_NET_RAW)", strerror(errno));
        return NULL;
    }
    struct sockaddr_ll addr;
    memset(&addr, 0, sizeof addr);
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = (int)ifindex;
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = (int)ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        snprintf(err, errlen, "net raw: cannot bind to '%s': %s", c->ifname, strerror(errno));
        close(fd);
        return NULL;
    }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);   /* best effort */
    NetFd *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        snprintf(err, errlen, "net raw: out of memory");
        return NULL;
    }
    *f = (NetFd){ .fd = fd, .poll_index = -1, .nd = nd, .recv_frame = raw_recv };
    return f;
}
