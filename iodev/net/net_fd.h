/* SPDX-License-Identifier: MIT */
/* The common half of the descriptor-based backends (tap, raw, socket/udp):
 * one non-blocking descriptor carrying one frame per read or write. */
#ifndef KAIRO_NET_FD_H
#define KAIRO_NET_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iodev/net/netdev.h"

typedef struct NetFd {
    int fd;
    int poll_index;         /* in the current poll set, -1 = not added */
    NetDev *nd;
    /* Read one frame into buf; <0 when nothing is left (EAGAIN) or on error,
     * 0 to skip what was read (not for the guest). */
    ssize_t (*recv_frame)(struct NetFd *f, uint8_t *buf, size_t cap);
} NetFd;

bool net_fd_set_nonblocking(int fd);
/* NetBackendOps.fill / dispatch for a NetFd. */
void net_fd_fill(void *be, NetPollSet *ps, int *timeout_ms);
void net_fd_dispatch(void *be, const NetPollSet *ps);

#endif
