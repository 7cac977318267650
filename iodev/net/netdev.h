/* SPDX-License-Identifier: MIT */
/* A network backend as a NIC sees it: it sends frames out, and frames that
 * arrive are offered to the NIC from a queue when the machine polls.
 *
 * Nothing here blocks the guest: the machine calls netdev_poll_all(...,
 * 0) between slices of guest instructions, and with a timeout only while
 * the guest is halted. Frames from the outside are checked before the NIC
 * sees them: runts (under 14 bytes), oversize frames (over 1514) and
 * garbage (a multicast source address, an 802.3 length that does not fit)
 * are dropped and counted. A NIC that has no room leaves the frame queued;
 * a full queue drops (counted), as a busy segment would.
 *
 * Backends: net_user.c (libslirp), net_tap.c, net_raw.c (AF_PACKET),
 * net_socket.c (UDP datagrams or a QEMU-style TCP stream). pcap.c writes
 * what passes either way when a filter-dump is attached. */
#ifndef KAIRO_NETDEV_H
#define KAIRO_NETDEV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/net/netopt.h"
#include "iodev/net/pcap.h"

#define NET_MIN_FRAME 14        /* an Ethernet header */
#define NET_MAX_FRAME 1514
#define NET_QUEUE_FRAMES 256
#define NET_MAX_POLLFDS 64

typedef struct NetPollSet {
    struct pollfd fds[NET_MAX_POLLFDS];
    int n;
} NetPollSet;

/* Add fd to the set; its index, or -1 when the set is full. */
int net_pollset_add(NetPollSet *ps, int fd, short events);

typedef struct NetDev NetDev;

typedef struct NetBackendOps {
    const char *kind;
    /* One frame (no FCS) to the outside; false if it could not be sent. */
    bool (*send)(void *be, const uint8_t *frame, size_t len);
    /* Add the descriptors to wait on; may lower *timeout_ms (-1 = none)
     * for the backend's own timers. */
    void (*fill)(void *be, NetPollSet *ps, int *timeout_ms);
    /* After poll(): read what arrived and hand it to netdev_deliver. */
    void (*dispatch)(void *be, const NetPollSet *ps);
    void (*close)(void *be);
} NetBackendOps;

typedef struct NetStats {
    uint64_t tx_frames, tx_errors;
    uint64_t rx_frames;             /* handed to the NIC */
    uint64_t rx_runts, rx_oversize, rx_garbage;   /* malformed: dropped */
    uint64_t rx_queue_drops;        /* the NIC's queue was full */
} NetStats;

typedef struct NetFrame {
    uint16_t len;
    uint8_t data[NET_MAX_FRAME];
} NetFrame;

struct NetDev {
    char id[NET_ID_LEN];
    const NetBackendOps *ops;
    void *be;
    /* The NIC: false when it has no room now (the frame stays queued). */
    bool (*nic_receive)(void *nic, const uint8_t *frame, size_t len);
    void *nic;
    PcapWriter dump;
    NetFrame *queue;                /* [NET_QUEUE_FRAMES] */
    unsigned q_head, q_count;
    NetStats stats;
    struct Replay *replay;          /* record/replay (machine/replay.h), or NULL */
    uint8_t replay_idx;             /* this netdev's number in the log */
};

/* Open the backend c describes (and its pcap, if any). */
bool netdev_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen);
/* Open with a backend made elsewhere (tests). */
bool netdev_open_with(NetDev *nd, const char *id, const NetBackendOps *ops, void *be);
void netdev_attach(NetDev *nd, bool (*nic_receive)(void *, const uint8_t *, size_t), void *nic);
void netdev_close(NetDev *nd);

/* Guest -> outside. */
void netdev_send(NetDev *nd, const uint8_t *frame, size_t len);
/* Outside -> guest: checked, dumped, queued, offered to the NIC. */
void netdev_deliver(NetDev *nd, const uint8_t *frame, size_t len);
/* Replay: offer a logged frame (an RK_NET event) to the NIC; a NIC that
 * answers otherwise than when recorded is a divergence. */
struct ReplayEvent;
void netdev_replay_frame(NetDev *nd, const struct ReplayEvent *e);
/* Free queue slots: a backend reading from a socket stops at 0 and leaves
 * the rest in the kernel's buffer. */
unsigned netdev_queue_space(const NetDev *nd);
/* Offer queued frames to the NIC until it has no room. */
void netdev_flush(NetDev *nd);

/* Poll every backend once: wait up to timeout_ms (0 = just look), read
 * what arrived, offer it to the NICs. True if any descriptor was ready. */
bool netdev_poll_all(NetDev *const *nds, int n, int timeout_ms);

/* The malformed-frame check on its own: 0 = fine, else which counter. */
enum { NET_FRAME_OK, NET_FRAME_RUNT, NET_FRAME_OVERSIZE, NET_FRAME_GARBAGE };
int netdev_check_frame(const uint8_t *frame, size_t len);

/* Backends (each returns NULL with a message in err). */
void *net_user_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen);
void *net_tap_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen);
void *net_raw_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen);
void *net_socket_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen);
extern const NetBackendOps net_user_ops, net_tap_ops, net_raw_ops, net_socket_ops;

#endif
