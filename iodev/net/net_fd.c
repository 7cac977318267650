/* SPDX-License-Identifier: MIT */
/* Descriptor-based backends: polling and reading (see net_fd.h). */
#include "iodev/net/net_fd.h"

#include <fcntl.h>
#include <unistd.h>

/* Frames read per poll at most: a flood from outside cannot hold the
 * guest up for long. */
#define NET_FD_BURST 64

bool net_fd_set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

void net_fd_fill(void *be, NetPollSet *ps, int *timeout_ms)
{
    NetFd *f = be;
    (void)timeout_ms;
    /* A full queue leaves frames in the kernel's buffer until the NIC
     * catches up. */
    f->poll_index = netdev_queue_space(f->nd) ? net_pollset_add(ps, f->fd, POLLIN) : -1;
}

void net_fd_dispatch(void *be, const NetPollSet *ps)
{
    NetFd *f = be;
    if (f->poll_index < 0 || f->poll_index >= ps->n || !ps->fds[f->poll_index].revents)
        return;
    /* One byte more than the largest frame, so oversize ones show. */
    uint8_t buf[NET_MAX_FRAME + 1];
    for (int i = 0; i < NET_FD_BURST && netdev_queue_space(f->nd); i++) {
        ssize_t n = f->recv_frame(f, buf, sizeof buf);
        if (n < 0)
            break;
        if (n > 0)
            netdev_deliver(f->nd, buf, (size_t)n);
    }
}
