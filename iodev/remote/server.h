/* SPDX-License-Identifier: MIT */
/* The server side of remote ports: sessions, the exactly-once engine with
 * its reply cache, the allowlist, and interrupt forwarding. Transport- and
 * device-agnostic: kairo-portd feeds it frames and gives each slot a
 * backend (a device model or real ports); tests drive it directly.
 *
 * A request batch is checked whole before anything runs: every op must
 * parse and touch only ports and widths its slot allows, or the batch is
 * refused (counted) and nothing is executed. A session executes sequence
 * number n+1 only after n; a repeat of n is answered from the reply cache;
 * anything else is dropped and counted. */
#ifndef KAIRO_REMOTE_SERVER_H
#define KAIRO_REMOTE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iodev/devstate.h"
#include "iodev/remote/proto.h"
#include "iodev/remote/transport.h"

#define RS_MAX_SLOTS 16
#define RS_MAX_RANGES 16
#define RS_MAX_CLIENTS 16
#define RS_MAX_SESSIONS 32
#define RS_MAX_EPOCHS 64
#define RS_MAX_OPS (RP_MAX_PAYLOAD / 4)   /* the smallest op is 4 bytes */

typedef struct RsBackend {
    uint32_t (*read)(void *opaque, uint16_t port, unsigned width);
    void (*write)(void *opaque, uint16_t port, unsigned width, uint32_t value);
    void *opaque;
    /* Memory-mapped I/O (NULL: the slot has none). addr is in the device's
     * own space (docs/REMOTE_MMIO.md): the VGA window at 0xA0000, the LFB
     * at RP_VGA_LFB_BASE + offset. */
    uint32_t (*mread)(void *opaque, uint32_t addr, unsigned width);
    void (*mwrite)(void *opaque, uint32_t addr, unsigned width, uint32_t value);
} RsBackend;

#define RS_MAX_MRANGES 4
typedef struct RsMemRange {
    uint32_t first, last;
} RsMemRange;

typedef struct RsRange {
    uint16_t first, last;
    uint8_t widths;             /* allowed access widths: 1 | 2 | 4 */
} RsRange;

/* A client on the allowlist: a MAC (Ethernet) or an IP address (UDP, any
 * source port). */
typedef struct RsClient {
    bool is_mac;
    uint8_t mac[6];
    struct sockaddr_storage addr;
} RsClient;

typedef struct RemoteServer RemoteServer;

typedef struct RsSlot {
    char name[RP_SLOT_NAME_LEN + 1];
    RsBackend be;
    RsRange ranges[RS_MAX_RANGES];
    int n_ranges;
    RsMemRange mranges[RS_MAX_MRANGES];
    int n_mranges;
    uint64_t mem_bytes_written, mem_bytes_read;
    unsigned refusals_logged;
    bool exclusive;             /* one owner at a time among the clients */
    int owner;                  /* exclusive: index into clients[], -1 = none */
    struct {
        uint64_t grants, releases, refusals;   /* kept in the state file */
        unsigned logged;        /* refusals logged by this process (the first 20) */
    } acct;
    int irqs[RP_MAX_IRQS];      /* IRQ numbers forwarded, line i = irqs[i] */
    int n_irqs;
    RsClient clients[RS_MAX_CLIENTS];
    int n_clients;
    RpIrqState irq;
    uint32_t irq_version;
    uint64_t ops_executed;
    RemoteServer *srv;
} RsSlot;

typedef struct RsSession {
    bool active;
    uint64_t id;
    RpPeer peer;
    RpTransport *t;
    RsSlot *slot;
    uint8_t c2s[RP_KEY_LEN], s2c[RP_KEY_LEN];
    uint8_t cnonce[RP_NONCE_LEN];
    uint8_t welcome[RP_HEADER_LEN + RP_WELCOME_LEN + RP_TAG_LEN];
    size_t welcome_len;
    uint32_t executed;          /* last executed sequence number */
    RpReplayWindow window;
    uint8_t reply[RP_MAX_FRAME];    /* the reply to `executed` */
    size_t reply_len;
    uint32_t irq_acked, irq_sent;
    uint64_t irq_sent_at, last_seen;
} RsSession;

typedef struct RsStats {
    uint64_t sessions, requests, ops, duplicates, refused, irq_frames, no_session_notices;
    uint64_t drops[RP_DROP_COUNT];
} RsStats;

struct RemoteServer {
    uint8_t psk[RP_KEY_LEN], hs_key[RP_KEY_LEN];
    RsSlot slots[RS_MAX_SLOTS];
    int n_slots;
    RsSession sessions[RS_MAX_SESSIONS];
    struct { RpPeer peer; int kind; int slot; uint64_t epoch; } epochs[RS_MAX_EPOCHS];
    int n_epochs;
    bool insecure;              /* --insecure-no-auth: every session is logged */
    /* Called after a batch ran (or a session opened) and before its reply
     * (WELCOME) is sent: kairo-portd flushes output and writes its state
     * file here, so that nothing acknowledged is ever lost. */
    void (*commit)(void *opaque);
    void *commit_opaque;
    bool executing;             /* inside a batch: interrupt changes ride on the reply */
    uint64_t last_notice;       /* NO_SESSION notices: at most one a millisecond */
    RpOp ops[RS_MAX_OPS];       /* the batch being checked and run */
    RsStats st;
    uint8_t out[RP_MAX_FRAME];
};

void rs_init(RemoteServer *srv, const uint8_t psk[RP_KEY_LEN]);
/* NULL if the table is full or the name is taken. */
RsSlot *rs_add_slot(RemoteServer *srv, const char *name, const RsBackend *be);
/* Another device instance under a name already served: a HELLO goes to
 * the instance whose client allowlist holds the client (each VM sees its
 * own VGA, keyboard controller, UART). */
RsSlot *rs_add_slot_instance(RemoteServer *srv, const char *name, const RsBackend *be);
bool rs_slot_allow_ports(RsSlot *s, uint16_t first, uint16_t last, uint8_t widths);
bool rs_slot_allow_client(RsSlot *s, const RsClient *c);
/* An allowlist entry as text: its MAC or IP address. */
void rs_client_format(const RsClient *c, char *out, size_t outlen);
/* Allow memory accesses in [first, last] (the backend needs mread/mwrite). */
bool rs_slot_allow_mmio(RsSlot *s, uint32_t first, uint32_t last);
/* Would slot s accept bytes bytes of memory access at addr? */
bool rs_mem_allowed(const RsSlot *s, uint32_t addr, uint64_t bytes);
bool rs_slot_add_irq(RsSlot *s, int irq);
/* Exclusive: the first client to open a session owns the slot; others
 * are refused (they see it offline) until a handover. */
void rs_slot_set_exclusive(RsSlot *s);
/* Give the slot to client (its index on the allowlist; -1: release).
 * Every other client's session ends at once: it goes offline, and none of
 * its requests is executed again. False if the slot is not exclusive or
 * the index is out of range (counted). */
bool rs_slot_handover(RsSlot *s, int client);
/* A device's interrupt line i changed (its IrqLine callback). */
void rs_slot_set_irq(RsSlot *s, int line, bool level);
RsSlot *rs_find_slot(RemoteServer *srv, const char *name);

/* One received frame, from `from` on transport t. */
void rs_handle(RemoteServer *srv, RpTransport *t, const uint8_t *frame, size_t len,
               const RpPeer *from);
/* Interrupt state retransmissions; call every millisecond or so. */
void rs_tick(RemoteServer *srv, uint64_t now_ns);
void rs_print_stats(const RemoteServer *srv, FILE *out);

/* The state a restarted server needs (server_state.c): slots' line state
 * and counters, sessions (keys, sequence numbers, replay window, cached
 * reply), client epochs. ts: the transports sessions point into. Loading
 * checks every index and length; false with a one-line reason. */
void rs_save(const RemoteServer *srv, StateWriter *w, const RpTransport *ts);
bool rs_load(RemoteServer *srv, StateReader *r, RpTransport *ts, int n_t, char *err,
             size_t errlen);
/* Would slot s accept an access of width bytes at port? */
bool rs_port_allowed(const RsSlot *s, uint16_t port, unsigned width);

#endif
