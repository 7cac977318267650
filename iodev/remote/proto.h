/* SPDX-License-Identifier: MIT */
/* The remote-port wire protocol: one frame format for raw 802.3 (EtherType
 * 0x88B5) and UDP.
 *
 *   magic "KRP1" | version | type | reserved(2) | session(8) | seq(4) |
 *   ack(4) | payload length(2) | payload | tag(32)
 *
 * All integers big-endian. The tag is crypto_auth (HMAC-SHA512-256) over
 * everything before it, keyed with the handshake key (HELLO, WELCOME) or
 * the per-session key of the sending direction. Decoding is strict: a frame
 * is accepted only if every length adds up exactly, every field is known
 * and the tag verifies; anything else is dropped with a reason that the
 * caller counts.
 *
 * A REQUEST's payload is a batch of operations executed in order; its
 * REPLY carries the batch status, the slot's interrupt lines and the read
 * data, in the order of the reads. */
#ifndef KAIRO_REMOTE_PROTO_H
#define KAIRO_REMOTE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_ETHERTYPE 0x88B5
#define RP_MAGIC 0x4B525031u        /* "KRP1" */
#define RP_VERSION 1
#define RP_HEADER_LEN 26
#define RP_TAG_LEN 32               /* crypto_auth_BYTES */
#define RP_KEY_LEN 32
#define RP_NONCE_LEN 32
#define RP_MAX_PAYLOAD 1400         /* header + payload + tag fit a 1500-byte MTU */
#define RP_MAX_FRAME (RP_HEADER_LEN + RP_MAX_PAYLOAD + RP_TAG_LEN)
#define RP_SLOT_NAME_LEN 16
#define RP_MAX_IRQS 4

enum RpType {
    RP_HELLO = 1,       /* client -> server: open a session on a slot */
    RP_WELCOME,         /* server -> client: session accepted or refused */
    RP_REQUEST,         /* client -> server: a batch of port operations */
    RP_REPLY,           /* server -> client: its results (ack = request seq) */
    RP_IRQ,             /* server -> client: interrupt line state (seq = irq seq) */
    RP_IRQ_ACK,         /* client -> server: ack = irq seq applied */
    RP_TYPE_COUNT
};

enum RpOpKind {
    RP_OP_READ = 1,         /* width, port */
    RP_OP_WRITE,            /* width, port, value (width bytes) */
    RP_OP_READ_STRING,      /* width, port, count */
    RP_OP_WRITE_STRING,     /* width, port, count, count*width bytes */
    /* Memory-mapped I/O: a slot's memory ranges (a VGA's 0xA0000 window and
     * its linear frame buffer). count elements of width bytes at addr,
     * addr+width, ...: one element for a load or store, a whole burst of
     * frame-buffer stores coalesced, or a REP MOVS/STOS run. */
    RP_OP_MEM_READ,         /* width, count, addr(4) */
    RP_OP_MEM_WRITE,        /* width, count, addr(4), count*width bytes */
};

/* Why a frame was dropped (or a request refused): counters are indexed by
 * these, and rp_drop_name() names them for statistics. */
enum RpDrop {
    RP_DROP_SHORT,          /* shorter than header + tag */
    RP_DROP_MAGIC,          /* not ours (another experiment on 0x88B5) */
    RP_DROP_VERSION,
    RP_DROP_TYPE,
    RP_DROP_LENGTH,         /* payload length disagrees with the frame */
    RP_DROP_MAC,            /* tag does not verify: wrong key or corrupt */
    RP_DROP_SESSION,        /* unknown or stale session */
    RP_DROP_REPLAY,         /* sequence number already seen or too old */
    RP_DROP_MALFORMED,      /* payload does not parse */
    RP_DROP_PEER,           /* client address not on the allowlist */
    RP_DROP_PORT,           /* request touches a port/width outside the allowlist */
    RP_DROP_SLOT,           /* unknown slot in HELLO */
    RP_DROP_SEND,           /* send failed (ENOBUFS...): counted as a lost frame */
    RP_DROP_COUNT
};

typedef struct RpHeader {
    uint8_t type;
    uint64_t session;
    uint32_t seq, ack;
    uint16_t len;           /* payload bytes */
} RpHeader;

/* One decoded operation; data points into the frame (writes) or is NULL. */
typedef struct RpOp {
    uint8_t kind, width;
    uint16_t port;
    uint32_t addr;          /* MEM_READ/MEM_WRITE */
    uint16_t count;         /* elements; 1 for READ/WRITE */
    uint32_t value;         /* WRITE */
    const uint8_t *data;    /* WRITE_STRING, MEM_WRITE: count*width bytes, little-endian */
} RpOp;

/* A VGA slot's memory, in the device's own address space: the legacy
 * window where the guest sees it, the linear frame buffer at this base
 * plus the offset into the VRAM (the guest's BAR address is its own). */
#define RP_VGA_WINDOW_FIRST 0xA0000u
#define RP_VGA_WINDOW_LAST 0xBFFFFu
#define RP_VGA_LFB_BASE 0xE0000000u

static inline bool rp_op_is_mem(unsigned kind)
{
    return kind == RP_OP_MEM_READ || kind == RP_OP_MEM_WRITE;
}

/* The interrupt lines of a slot as the server sees them: levels (bit i =
 * line i) and a count of rising edges per line, so that a pulse between
 * two samples is never lost. */
typedef struct RpIrqState {
    uint8_t levels;
    uint16_t edges[RP_MAX_IRQS];
} RpIrqState;
#define RP_IRQ_STATE_LEN (2 + 2 * RP_MAX_IRQS)

/* WELCOME statuses. NO_SESSION answers a request for a session the server
 * does not know (it restarted without its state file): the client stops
 * waiting for a reply that cannot come. */
enum { RP_STATUS_OK = 0, RP_STATUS_REFUSED = 1, RP_STATUS_NO_SESSION = 2 };

/* Reply-side bytes an operation needs (its read data). */
unsigned rp_op_reply_len(const RpOp *op);
/* Request-side bytes an operation needs. */
unsigned rp_op_request_len(const RpOp *op);

/* Build a frame: header fields, payload, and the tag under key. Returns
 * the frame length or 0 if the payload is too long. */
size_t rp_seal(uint8_t *frame, const RpHeader *h, const uint8_t *payload,
               const uint8_t key[RP_KEY_LEN]);
/* Parse the header (magic, version, type, lengths) without checking the
 * tag: returns -1 (ok) or an RpDrop reason. */
int rp_parse_header(const uint8_t *frame, size_t len, RpHeader *h);
/* Verify the tag of a frame whose header parsed. */
bool rp_verify(const uint8_t *frame, size_t len, const uint8_t key[RP_KEY_LEN]);
static inline const uint8_t *rp_payload(const uint8_t *frame) { return frame + RP_HEADER_LEN; }

/* Batch encoding. rp_put_op appends to buf (capacity cap) and returns the
 * new length, or 0 if it does not fit. rp_next_op decodes the op at *pos;
 * false if the bytes do not form a valid op. */
size_t rp_put_op(uint8_t *buf, size_t len, size_t cap, const RpOp *op);
bool rp_next_op(const uint8_t *buf, size_t len, size_t *pos, RpOp *op);

void rp_put_irq_state(uint8_t *p, const RpIrqState *s);
void rp_get_irq_state(const uint8_t *p, RpIrqState *s);

/* HELLO payload: slot name, client epoch (strictly increasing per client,
 * so an old HELLO cannot be replayed), client nonce. WELCOME: status,
 * line count, client nonce echoed, server nonce. */
#define RP_HELLO_LEN (RP_SLOT_NAME_LEN + 8 + RP_NONCE_LEN)
#define RP_WELCOME_LEN (2 + 2 * RP_NONCE_LEN)
typedef struct RpHello {
    char slot[RP_SLOT_NAME_LEN + 1];
    uint64_t epoch;
    uint8_t nonce[RP_NONCE_LEN];
} RpHello;
void rp_put_hello(uint8_t *p, const RpHello *h);
bool rp_get_hello(const uint8_t *p, size_t len, RpHello *h);

/* Keys. The pre-shared key gives the handshake key; each session's two
 * direction keys come from the PSK, the session id and both nonces. */
void rp_handshake_key(const uint8_t psk[RP_KEY_LEN], uint8_t out[RP_KEY_LEN]);
void rp_session_keys(const uint8_t psk[RP_KEY_LEN], uint64_t session,
                     const uint8_t cnonce[RP_NONCE_LEN], const uint8_t snonce[RP_NONCE_LEN],
                     uint8_t c2s[RP_KEY_LEN], uint8_t s2c[RP_KEY_LEN]);
/* Load a key file: exactly 32 raw bytes, or 64 hex digits with an
 * optional "\n" or "\r\n" (the length decides, nothing is stripped).
 * Refused unless it is a regular file (opened O_NONBLOCK: a FIFO is an
 * error, not a hang) owned by us and not readable or writable by group or
 * others, and unless the key looks random (rp_key_weakness). */
bool rp_load_key(const char *path, uint8_t key[RP_KEY_LEN], char *err, size_t errlen);
/* Why a key cannot be random (one byte repeated, too few distinct bytes,
 * raw key made of text), or NULL. */
const char *rp_key_weakness(const uint8_t key[RP_KEY_LEN], bool raw);
bool rp_crypto_init(void);
void rp_random(void *buf, size_t len);

/* A sliding replay window over 32-bit sequence numbers (64 behind the
 * highest seen). */
typedef struct RpReplayWindow {
    uint32_t top;
    uint64_t seen;          /* bit i: top - i seen */
    bool any;
} RpReplayWindow;
/* true if seq is new (and records it); false if seen or too old. */
bool rp_window_accept(RpReplayWindow *w, uint32_t seq);
bool rp_window_check(const RpReplayWindow *w, uint32_t seq);

const char *rp_drop_name(int reason);

/* Byte order helpers. */
static inline void rp_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void rp_put32(uint8_t *p, uint32_t v)
{
    rp_put16(p, (uint16_t)(v >> 16));
    rp_put16(p + 2, (uint16_t)v);
}
static inline void rp_put64(uint8_t *p, uint64_t v)
{
    rp_put32(p, (uint32_t)(v >> 32));
    rp_put32(p + 4, (uint32_t)v);
}
static inline uint16_t rp_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rp_get32(const uint8_t *p) { return (uint32_t)rp_get16(p) << 16 | rp_get16(p + 2); }
static inline uint64_t rp_get64(const uint8_t *p) { return (uint64_t)rp_get32(p) << 32 | rp_get32(p + 4); }
/* Port data travels little-endian, as the bus carries it: width 1, 2 or 4. */
static inline void rp_put_le(uint8_t *p, unsigned width, uint32_t v)
{
    for (unsigned i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t rp_get_le(const uint8_t *p, unsigned width)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

#endif
