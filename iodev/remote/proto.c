/* SPDX-License-Identifier: MIT */
/* The remote-port wire protocol (see proto.h). */
#include "iodev/remote/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/hexdigit.h"

#define OP_HEAD_LEN 4           /* kind, width, port */
#define OP_COUNT_LEN 2
#define MEM_HEAD_LEN 8          /* kind, width, count, addr */

static const char *const drop_names[RP_DROP_COUNT] = {
    [RP_DROP_SHORT] = "short",       [RP_DROP_MAGIC] = "magic",
    [RP_DROP_VERSION] = "version",   [RP_DROP_TYPE] = "type",
    [RP_DROP_LENGTH] = "length",     [RP_DROP_MAC] = "mac",
    [RP_DROP_SESSION] = "session",   [RP_DROP_REPLAY] = "replay",
    [RP_DROP_MALFORMED] = "malformed", [RP_DROP_PEER] = "peer",
    [RP_DROP_PORT] = "port",         [RP_DROP_SLOT] = "slot",
    [RP_DROP_SEND] = "send",
};

const char *rp_drop_name(int reason)
{
    return reason >= 0 && reason < RP_DROP_COUNT ? drop_names[reason] : "?";
}

bool rp_crypto_init(void)
{
    return sodium_init() >= 0;
}

void rp_random(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

/* --- frames --- */

/* HMAC-SHA512-256, the same tag crypto_auth computes. Keying HMAC hashes
 * the inner and outer pads, two of the four SHA-512 blocks a short frame
 * costs: the keyed state of the few keys in use (a session's two
 * directions and the handshake key) is kept per thread and copied per
 * frame, which halves the crypto of a round trip. The lookup compares
 * keys of our own with memcmp: no peer chooses them. */
#define HMAC_CACHE 8

typedef struct HmacKeyed {
    uint8_t key[RP_KEY_LEN];
    crypto_auth_hmacsha512256_state st;
    bool used;
} HmacKeyed;

static _Thread_local HmacKeyed hmac_cache[HMAC_CACHE];
static _Thread_local unsigned hmac_next;

static const crypto_auth_hmacsha512256_state *keyed_state(const uint8_t key[RP_KEY_LEN])
{
    for (unsigned i = 0; i < HMAC_CACHE; i++)
        if (hmac_cache[i].used && memcmp(hmac_cache[i].key, key, RP_KEY_LEN) == 0)
            return &hmac_cache[i].st;
    HmacKeyed *e = &hmac_cache[hmac_next++ % HMAC_CACHE];
    memcpy(e->key, key, RP_KEY_LEN);
    crypto_auth_hmacsha512256_init(&e->st, key, RP_KEY_LEN);
    e->used = true;
    return &e->st;
}

static void hmac_tag(uint8_t tag[RP_TAG_LEN], const uint8_t *msg, size_t len,
                     const uint8_t key[RP_KEY_LEN])
{
    crypto_auth_hmacsha512256_state st = *keyed_state(key);
    crypto_auth_hmacsha512256_update(&st, msg, len);
    crypto_auth_hmacsha512256_final(&st, tag);
    sodium_memzero(&st, sizeof st);
}

size_t rp_seal(uint8_t *frame, const RpHeader *h, const uint8_t *payload,
               const uint8_t key[RP_KEY_LEN])
{
    if (h->len > RP_MAX_PAYLOAD)
        return 0;
    rp_put32(frame, RP_MAGIC);
    frame[4] = RP_VERSION;
    frame[5] = h->type;
    frame[6] = frame[7] = 0;
    rp_put64(frame + 8, h->session);
    rp_put32(frame + 16, h->seq);
    rp_put32(frame + 20, h->ack);
    rp_put16(frame + 24, h->len);
    if (h->len && payload != frame + RP_HEADER_LEN)
        memmove(frame + RP_HEADER_LEN, payload, h->len);
    size_t body = RP_HEADER_LEN + (size_t)h->len;
    hmac_tag(frame + body, frame, body, key);
    return body + RP_TAG_LEN;
}

int rp_parse_header(const uint8_t *frame, size_t len, RpHeader *h)
{
    if (len < RP_HEADER_LEN + RP_TAG_LEN)
        return RP_DROP_SHORT;
    if (rp_get32(frame) != RP_MAGIC)
        return RP_DROP_MAGIC;
    if (frame[4] != RP_VERSION)
        return RP_DROP_VERSION;
    if (frame[5] == 0 || frame[5] >= RP_TYPE_COUNT || frame[6] || frame[7])
        return RP_DROP_TYPE;
    h->type = frame[5];
    h->session = rp_get64(frame + 8);
    h->seq = rp_get32(frame + 16);
    h->ack = rp_get32(frame + 20);
    h->len = rp_get16(frame + 24);
    if (h->len > RP_MAX_PAYLOAD || (size_t)RP_HEADER_LEN + h->len + RP_TAG_LEN != len)
        return RP_DROP_LENGTH;
    return -1;
}

bool rp_verify(const uint8_t *frame, size_t len, const uint8_t key[RP_KEY_LEN])
{
    if (len < RP_HEADER_LEN + RP_TAG_LEN)
        return false;
    size_t body = len - RP_TAG_LEN;
    uint8_t tag[RP_TAG_LEN];
    hmac_tag(tag, frame, body, key);
    bool ok = crypto_verify_32(tag, frame + body) == 0;
    sodium_memzero(tag, sizeof tag);
    return ok;
}

/* --- operations --- */

static bool is_string(unsigned kind)
{
    return kind == RP_OP_READ_STRING || kind == RP_OP_WRITE_STRING;
}

static bool carries_data(unsigned kind)
{
    return kind == RP_OP_WRITE_STRING || kind == RP_OP_MEM_WRITE;
}

unsigned rp_op_reply_len(const RpOp *op)
{
    if (op->kind == RP_OP_READ)
        return op->width;
    if (op->kind == RP_OP_READ_STRING || op->kind == RP_OP_MEM_READ)
        return (unsigned)op->count * op->width;
    return 0;
}

unsigned rp_op_request_len(const RpOp *op)
{
    unsigned n = rp_op_is_mem(op->kind) ? MEM_HEAD_LEN
                 : OP_HEAD_LEN + (is_string(op->kind) ? OP_COUNT_LEN : 0);
    if (op->kind == RP_OP_WRITE)
        n += op->width;
    else if (carries_data(op->kind))
        n += (unsigned)op->count * op->width;
    return n;
}

size_t rp_put_op(uint8_t *buf, size_t len, size_t cap, const RpOp *op)
{
    size_t need = rp_op_request_len(op);
    if (len + need > cap)
        return 0;
    uint8_t *p = buf + len;
    p[0] = op->kind;
    p[1] = op->width;
    if (rp_op_is_mem(op->kind)) {
        rp_put16(p + 2, op->count);
        rp_put32(p + 4, op->addr);
        if (op->kind == RP_OP_MEM_WRITE)
            memcpy(p + MEM_HEAD_LEN, op->data, (size_t)op->count * op->width);
        return len + need;
    }
    rp_put16(p + 2, op->port);
    p += OP_HEAD_LEN;
    if (is_string(op->kind)) {
        rp_put16(p, op->count);
        p += OP_COUNT_LEN;
    }
    if (op->kind == RP_OP_WRITE)
        rp_put_le(p, op->width, op->value);
    else if (op->kind == RP_OP_WRITE_STRING)
        memcpy(p, op->data, (size_t)op->count * op->width);
    return len + need;
}

static bool valid_width(unsigned w)
{
    return w == 1 || w == 2 || w == 4;
}

/* The rest of a memory op after kind and width: the port field was the
 * count, then the address; a run may not wrap past 4 GiB. */
static bool next_mem_op(const uint8_t *buf, size_t len, size_t at, size_t *pos, RpOp *op)
{
    op->count = op->port;
    op->port = 0;
    if (!op->count || at + 4 > len)
        return false;
    op->addr = rp_get32(buf + at);
    at += 4;
    uint64_t bytes = (uint64_t)op->count * op->width;
    if ((uint64_t)op->addr + bytes > 0x100000000ull)
        return false;
    if (op->kind == RP_OP_MEM_WRITE) {
        if (at + bytes > len)
            return false;
        op->data = buf + at;
        at += (size_t)bytes;
    }
    *pos = at;
    return true;
}

bool rp_next_op(const uint8_t *buf, size_t len, size_t *pos, RpOp *op)
{
    size_t at = *pos;
    if (at + OP_HEAD_LEN > len)
        return false;
    memset(op, 0, sizeof *op);
    op->kind = buf[at];
    op->width = buf[at + 1];
    op->port = rp_get16(buf + at + 2);
    op->count = 1;
    at += OP_HEAD_LEN;
    if (op->kind < RP_OP_READ || op->kind > RP_OP_MEM_WRITE || !valid_width(op->width))
        return false;
    if (rp_op_is_mem(op->kind))
        return next_mem_op(buf, len, at, pos, op);
    if (is_string(op->kind)) {
        if (at + OP_COUNT_LEN > len)
            return false;
        op->count = rp_get16(buf + at);
        at += OP_COUNT_LEN;
        if (!op->count)
            return false;
    }
    size_t data = op->kind == RP_OP_WRITE ? op->width
                  : op->kind == RP_OP_WRITE_STRING ? (size_t)op->count * op->width : 0;
    if (at + data > len)
        return false;
    if (op->kind == RP_OP_WRITE)
        op->value = rp_get_le(buf + at, op->width);
    else if (op->kind == RP_OP_WRITE_STRING)
        op->data = buf + at;
    *pos = at + data;
    return true;
}

void rp_put_irq_state(uint8_t *p, const RpIrqState *s)
{
    p[0] = s->levels;
    p[1] = 0;
    for (int i = 0; i < RP_MAX_IRQS; i++)
        rp_put16(p + 2 + 2 * i, s->edges[i]);
}

void rp_get_irq_state(const uint8_t *p, RpIrqState *s)
{
    s->levels = p[0];
    for (int i = 0; i < RP_MAX_IRQS; i++)
        s->edges[i] = rp_get16(p + 2 + 2 * i);
}

void rp_put_hello(uint8_t *p, const RpHello *h)
{
    memset(p, 0, RP_SLOT_NAME_LEN);
    memcpy(p, h->slot, strnlen(h->slot, RP_SLOT_NAME_LEN));
    rp_put64(p + RP_SLOT_NAME_LEN, h->epoch);
    memcpy(p + RP_SLOT_NAME_LEN + 8, h->nonce, RP_NONCE_LEN);
}

bool rp_get_hello(const uint8_t *p, size_t len, RpHello *h)
{
    if (len != RP_HELLO_LEN)
        return false;
    memcpy(h->slot, p, RP_SLOT_NAME_LEN);
    h->slot[RP_SLOT_NAME_LEN] = 0;
    /* A name is printable and NUL-padded: no bytes after the first NUL. */
    size_t n = strnlen(h->slot, RP_SLOT_NAME_LEN);
    if (!n)
        return false;
    for (size_t i = 0; i < RP_SLOT_NAME_LEN; i++)
        if (i < n ? (p[i] < 0x21 || p[i] > 0x7E) : p[i] != 0)
            return false;
    h->epoch = rp_get64(p + RP_SLOT_NAME_LEN);
    memcpy(h->nonce, p + RP_SLOT_NAME_LEN + 8, RP_NONCE_LEN);
    return true;
}

/* --- keys --- */

void rp_handshake_key(const uint8_t psk[RP_KEY_LEN], uint8_t out[RP_KEY_LEN])
{
    static const char label[] = "kairo remote ports v1 handshake";
    crypto_generichash(out, RP_KEY_LEN, (const uint8_t *)label, sizeof label - 1, psk,
                       RP_KEY_LEN);
}

static void direction_key(const uint8_t psk[RP_KEY_LEN], const char *label, uint64_t session,
                          const uint8_t cnonce[RP_NONCE_LEN],
                          const uint8_t snonce[RP_NONCE_LEN], uint8_t out[RP_KEY_LEN])
{
    crypto_generichash_state st;
    uint8_t sid[8];
    rp_put64(sid, session);
    crypto_generichash_init(&st, psk, RP_KEY_LEN, RP_KEY_LEN);
    crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
    crypto_generichash_update(&st, sid, sizeof sid);
    crypto_generichash_update(&st, cnonce, RP_NONCE_LEN);
    crypto_generichash_update(&st, snonce, RP_NONCE_LEN);
    crypto_generichash_final(&st, out, RP_KEY_LEN);
}

void rp_session_keys(const uint8_t psk[RP_KEY_LEN], uint64_t session,
                     const uint8_t cnonce[RP_NONCE_LEN], const uint8_t snonce[RP_NONCE_LEN],
                     uint8_t c2s[RP_KEY_LEN], uint8_t s2c[RP_KEY_LEN])
{
    direction_key(psk, "kairo remote ports v1 client->server", session, cnonce, snonce, c2s);
    direction_key(psk, "kairo remote ports v1 server->client", session, cnonce, snonce, s2c);
}

/* The length decides the format, before anything is stripped: a raw key
 * may well end in 0x0A or 0x0D. 64 hex digits may carry one "\n" or
 * "\r\n" (an editor's or echo's line end). */
static bool decode_hex_key(const uint8_t *buf, size_t n, uint8_t key[RP_KEY_LEN])
{
    const size_t hex = 2 * RP_KEY_LEN;
    if (!(n == hex || (n == hex + 1 && buf[hex] == '\n') ||
          (n == hex + 2 && buf[hex] == '\r' && buf[hex + 1] == '\n')))
        return false;
    for (size_t i = 0; i < RP_KEY_LEN; i++) {
        int hi = hex_digit_value(buf[2 * i]), lo = hex_digit_value(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool decode_key(const uint8_t *buf, size_t n, uint8_t key[RP_KEY_LEN])
{
    if (n == RP_KEY_LEN) {
        memcpy(key, buf, RP_KEY_LEN);
        return true;
    }
    return decode_hex_key(buf, n, key);
}

const char *rp_key_weakness(const uint8_t key[RP_KEY_LEN], bool raw)
{
    bool seen[256] = { false };
    unsigned distinct = 0, printable = 0;
    for (size_t i = 0; i < RP_KEY_LEN; i++) {
        distinct += !seen[key[i]];
        seen[key[i]] = true;
        printable += key[i] >= 0x20 && key[i] < 0x7F;
    }
    /* 32 random bytes hold about 30 distinct values; fewer than 16 happens
     * by chance with a probability far below 2^-64. */
    if (distinct == 1)
        return "is one byte repeated (all zero?)";
    if (distinct < 16)
        return "has too few distinct bytes to be random";
    /* All 32 bytes printable by chance: (95/256)^32, about 2^-46. */
    if (raw && printable == RP_KEY_LEN)
        return "is text (a password?), not 32 random bytes";
    return NULL;
}

bool rp_load_key(const char *path, uint8_t key[RP_KEY_LEN], char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO would otherwise block open() until a writer came. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "key file '%s': %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    uint8_t buf[2 * RP_KEY_LEN + 3];
    ssize_t n = 0;
    bool ok = false;
    const char *weak = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(err, errlen, "key file '%s' is not a regular file", path);
    else if (st.st_uid != geteuid())
        snprintf(err, errlen, "key file '%s' is not owned by this user", path);
    else if (st.st_mode & 077)
        snprintf(err, errlen, "key file '%s' is accessible by group or others (chmod 600)", path);
    else if ((n = read(fd, buf, sizeof buf)) < 0 || !decode_key(buf, (size_t)n, key))
        snprintf(err, errlen, "key file '%s': want exactly 32 raw bytes or 64 hex digits "
                              "(it has %lld bytes)", path, (long long)st.st_size);
    else if ((weak = rp_key_weakness(key, n == RP_KEY_LEN)) != NULL)
        snprintf(err, errlen, "key file '%s' %s: make one with kairo-portd --genkey", path, weak);
    else
        ok = true;
    if (!ok)
        sodium_memzero(key, RP_KEY_LEN);
    sodium_memzero(buf, sizeof buf);
    close(fd);
    return ok;
}

/* --- replay window --- */

bool rp_window_check(const RpReplayWindow *w, uint32_t seq)
{
    if (!w->any)
        return true;
    int32_t ahead = (int32_t)(seq - w->top);
    if (ahead > 0)
        return true;
    uint32_t behind = (uint32_t)-ahead;
    return behind < 64 && !(w->seen >> behind & 1);
}

bool rp_window_accept(RpReplayWindow *w, uint32_t seq)
{
    if (!rp_window_check(w, seq))
        return false;
    if (!w->any) {
        w->any = true;
        w->top = seq;
        w->seen = 1;
        return true;
    }
    int32_t ahead = (int32_t)(seq - w->top);
    if (ahead > 0) {
        w->seen = ahead >= 64 ? 0 : w->seen << ahead;
        w->seen |= 1;
        w->top = seq;
    } else {
        w->seen |= 1ull << (uint32_t)-ahead;
    }
    return true;
}
