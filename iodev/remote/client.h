/* SPDX-License-Identifier: MIT */
/* The client side of a remote slot: one session with a port server,
 * exactly-once request batches, interrupt line state.
 *
 * Writes are posted: they collect in the current batch until a read (or a
 * string read) needs an answer, the batch is full, or rc_flush() is called.
 * One batch is in flight at a time, so the server executes everything in
 * the order the guest issued it. A batch is retransmitted on an adaptive
 * timeout (RFC 6298 estimator, Karn's rule) under the same sequence number;
 * the server executes a sequence number once and answers repeats from its
 * reply cache. While the peer is silent the guest's access waits, the
 * same request retransmitted, up to the outage bound (timeout=, 30 s by
 * default): a link flap or a server restart (with its state file) ends
 * with the true result, never a guess. Only after the bound does the slot
 * go offline: reads give all-ones (a floating bus), writes are dropped,
 * and a new session is attempted every second; the server then sends its
 * interrupt lines' levels and edge counts again. */
#ifndef KAIRO_REMOTE_CLIENT_H
#define KAIRO_REMOTE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/remote/proto.h"
#include "iodev/remote/transport.h"

#define RC_LAT_BUCKETS 2001     /* 1 us steps to 1 ms, 1 ms steps to 1 s, overflow */
#define RC_MAX_READS 512

typedef struct RcStats {
    uint64_t round_trips, retransmits, errors, refused;
    uint64_t reads, writes, string_ops;
    uint64_t offline_events, sessions, offline_accesses;
    uint64_t irq_frames, duplicate_welcomes, spin_hits, spin_misses;
    uint64_t issued;            /* port accesses (string elements each) put in batches */
    uint64_t mem_reads, mem_writes, mem_bytes_written;
    uint64_t mem_coalesced;     /* stores that joined the previous store's op */
    uint64_t mem_batches;       /* round trips that carried MMIO writes */
    uint64_t drops[RP_DROP_COUNT];
    uint32_t latency[RC_LAT_BUCKETS];
} RcStats;

typedef void (*RcIrqFn)(void *opaque, int line, bool level);

typedef struct RemoteClient {
    RpTransport *t;
    RpPeer peer;
    char slot[RP_SLOT_NAME_LEN + 1];
    uint8_t psk[RP_KEY_LEN], hs_key[RP_KEY_LEN], c2s[RP_KEY_LEN], s2c[RP_KEY_LEN];
    bool online;
    bool session_lost;          /* the server said it does not know our session */
    uint64_t session, epoch;
    uint32_t next_seq;
    /* The batch being built */
    uint8_t req[RP_MAX_PAYLOAD];
    size_t req_len;
    size_t last_mem_write;      /* offset + 1 of the batch's last op if a MEM_WRITE, else 0 */
    bool batch_has_mem_write;
    unsigned reply_need;        /* read bytes the reply will carry */
    struct { uint8_t *dst; unsigned bytes; } reads[RC_MAX_READS];
    unsigned n_reads;
    uint8_t read_tmp[RP_MAX_PAYLOAD];
    /* Timing (ns) */
    uint64_t srtt, rttvar, rto;
    uint64_t peer_timeout, next_attempt;     /* peer_timeout: the outage bound */
    uint64_t spin_max;          /* busy-poll bound before sleeping on a reply (0: never) */
    RpSpinGuard spin_guard;
    /* Interrupt lines */
    RpIrqState irq;             /* as applied to our lines */
    uint32_t irq_version;       /* newest state applied */
    bool irq_any;
    RcIrqFn irq_fn;
    void *irq_opaque;
    unsigned n_irqs;
    bool quiet;                 /* no log lines (tests) */
    RcStats st;
    uint8_t frame[RP_MAX_FRAME + 1];
} RemoteClient;

void rc_init(RemoteClient *rc, RpTransport *t, const RpPeer *peer, const uint8_t psk[RP_KEY_LEN],
             const char *slot, unsigned timeout_ms);
void rc_set_irq(RemoteClient *rc, RcIrqFn fn, void *opaque, unsigned n_irqs);
/* Open a session, trying for up to wait_ms; false leaves the slot offline
 * (it keeps trying on later accesses). */
bool rc_connect(RemoteClient *rc, unsigned wait_ms);

uint32_t rc_read(RemoteClient *rc, uint16_t port, unsigned width);
void rc_write(RemoteClient *rc, uint16_t port, unsigned width, uint32_t value);
/* count elements of width bytes, little-endian, at buf. */
void rc_read_string(RemoteClient *rc, uint16_t port, unsigned width, void *buf, unsigned count);
void rc_write_string(RemoteClient *rc, uint16_t port, unsigned width, const void *buf,
                     unsigned count);
/* Memory-mapped I/O in the slot's memory ranges. Reads run the batch
 * (posted writes first, in order); stores are posted and a store right
 * after the previous one (same width, next address) joins its op, so a
 * burst of frame-buffer stores is one op in one frame. Blocks (REP
 * MOVS/STOS) are count elements of width bytes. */
uint32_t rc_mem_read(RemoteClient *rc, uint32_t addr, unsigned width);
void rc_mem_write(RemoteClient *rc, uint32_t addr, unsigned width, uint32_t value);
void rc_mem_read_block(RemoteClient *rc, uint32_t addr, unsigned width, void *buf,
                       unsigned count);
void rc_mem_write_block(RemoteClient *rc, uint32_t addr, unsigned width, const void *buf,
                        unsigned count);
/* Send posted writes now and wait for their acknowledgement. */
void rc_flush(RemoteClient *rc);
/* Never blocks: handle arrived frames (interrupt state), retry a session
 * when offline and due. */
void rc_poll(RemoteClient *rc);

/* Latency percentile (0..100) of completed round trips, in ns. */
uint64_t rc_latency_percentile(const RcStats *st, double pct);

#endif
