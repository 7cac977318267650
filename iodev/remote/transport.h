/* SPDX-License-Identifier: MIT */
/* Datagram transports for remote-port frames: raw Ethernet (AF_PACKET,
 * EtherType 0x88B5 on one interface) and UDP, with an optional seeded
 * fault-injection layer (loss, duplication, reordering) so that tests of
 * the exactly-once machinery are reproducible.
 *
 * A send that the kernel refuses (ENOBUFS from an egress drop rule, a full
 * queue) is a lost frame: counted, never an error, because retransmission
 * recovers it. */
#ifndef KAIRO_REMOTE_TRANSPORT_H
#define KAIRO_REMOTE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Where a frame came from / goes to: a MAC (Ethernet) or a socket address. */
typedef struct RpPeer {
    uint8_t mac[6];
    struct sockaddr_storage sa;
    socklen_t salen;
} RpPeer;

typedef struct RpFaults {
    unsigned loss, dup, reorder;   /* percent of sent frames */
    uint64_t rng;                  /* xorshift state (the seed) */
    struct {
        uint8_t buf[1500];
        size_t len;
        RpPeer to;
        uint64_t release_ns;
    } held[8];
    unsigned n_held;
    uint64_t dropped, duplicated, reordered;
} RpFaults;

enum { RP_TRANSPORT_ETH, RP_TRANSPORT_UDP };

typedef struct RpTransport {
    int kind;
    int fd;
    int ifindex;                   /* Ethernet */
    uint8_t mac[6];                /* our MAC (Ethernet) */
    char name[64];                 /* interface or address, for messages */
    RpFaults *faults;              /* NULL: none */
    uint64_t sent, received, lost_sends;
} RpTransport;

/* Open a raw Ethernet transport on interface ifname. */
bool rp_transport_open_eth(RpTransport *t, const char *ifname, char *err, size_t errlen);
/* Open UDP: bind to bind_spec ("HOST:PORT", may be NULL for any port) and,
 * when peer_spec is given, resolve it into *peer. */
bool rp_transport_open_udp(RpTransport *t, const char *bind_spec, const char *peer_spec,
                           RpPeer *peer, char *err, size_t errlen);
void rp_transport_close(RpTransport *t);

/* Send one frame (through the fault layer if any). False only when the
 * kernel refused it (counted in lost_sends); a frame the fault layer drops
 * counts as sent. */
bool rp_transport_send(RpTransport *t, const RpPeer *to, const uint8_t *buf, size_t len);
/* Receive one frame if one is waiting (never blocks): its length, or 0. */
size_t rp_transport_recv(RpTransport *t, uint8_t *buf, size_t cap, RpPeer *from);
/* Wait until a frame is readable or until host time deadline_ns
 * (CLOCK_MONOTONIC); releases held frames of the fault layer meanwhile. */
void rp_transport_wait(RpTransport *t, uint64_t deadline_ns);
/* Release held frames whose time has come. */
void rp_transport_tick(RpTransport *t, uint64_t now_ns);

/* The fault layer: percentages and a seed. */
void rp_faults_init(RpFaults *f, unsigned loss, unsigned dup, unsigned reorder, uint64_t seed);

/* Busy-polling pays only when this thread keeps its CPU: a spin during
 * which the thread ran for less than 3/4 of the wall time was preempted
 * (no idle CPU), and spinning then only steals time from the peer, so it
 * is switched off for a second. */
typedef struct RpSpinGuard {
    uint64_t off_until;         /* CLOCK_MONOTONIC ns */
    uint64_t wall0, last;       /* the spin under way: its start, the last turn */
    uint64_t off_cpu;           /* its time off the CPU (gaps between turns) */
    uint64_t pause;             /* the last pause (0: none yet) */
    uint64_t backoffs;          /* times switched off (statistics) */
} RpSpinGuard;
bool rp_spin_begin(RpSpinGuard *g, uint64_t now_ns);
/* Each turn of the spin loop reports the time it read. */
void rp_spin_tick(RpSpinGuard *g, uint64_t now_ns);
void rp_spin_end(RpSpinGuard *g);
/* The decision rp_spin_end makes from a spin's wall and CPU time. */
void rp_spin_judge(RpSpinGuard *g, uint64_t wall_ns, uint64_t cpu_ns, uint64_t now_ns);

bool rp_parse_mac(const char *s, uint8_t mac[6]);
bool rp_peer_equal(const RpPeer *a, const RpPeer *b, int kind);
void rp_peer_format(const RpPeer *p, int kind, char *out, size_t outlen);
uint64_t rp_now_ns(void);

#endif
