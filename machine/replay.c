/* SPDX-License-Identifier: MIT */
/* Deterministic record/replay: the log codec, the file and the seams (see
 * replay.h and docs/REPLAY.md). */
#include "machine/replay.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RAW_CAP (256 * 1024)    /* encoded records batched per deflate call */
#define ZBUF_CAP (64 * 1024)
#define IN_CAP (2 * REPLAY_MAX_RECORD + ZBUF_CAP)

static const char *const kind_names[] = {
    [RK_SERIAL] = "serial input", [RK_NET] = "network frame", [RK_KEY] = "key",
    [RK_MOUSE] = "mouse", [RK_CREDIT] = "host-time credit", [RK_RTC] = "RTC start",
    [RK_CHECKPOINT] = "checkpoint", [RK_END] = "end of log", [RK_REMOTE] = "remote-port reply",
    [RK_HOST] = "host command", [RK_HOSTCALL] = "host call",
};

const char *replay_kind_name(unsigned kind)
{
    kind &= ~(unsigned)REPLAY_ASYNC;
    return kind >= 1 && kind <= RK_KIND_MAX ? kind_names[kind] : "unknown";
}

/* --- codec --- */

size_t replay_put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

int replay_get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 10; i++) {
        if (i == len)
            return 0;
        if (i == 9 && p[i] > 1)
            return -1;   /* more than 64 bits */
        x |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return (int)i + 1;
        }
    }
    return -1;
}

size_t replay_encode(const ReplayEvent *e, uint64_t prev_icount, uint8_t *out)
{
    size_t n = 0;
    out[n++] = e->kind;
    n += replay_put_varint(out + n, e->icount - prev_icount);
    n += replay_put_varint(out + n, e->len);
    memcpy(out + n, e->data, e->len);
    return n + e->len;
}

int replay_decode(const uint8_t *p, size_t len, uint64_t prev_icount, ReplayEvent *e)
{
    if (!len)
        return 0;
    unsigned kind = p[0] & ~(unsigned)REPLAY_ASYNC;
    if (kind < 1 || kind > RK_KIND_MAX)
        return -1;
    uint64_t delta, plen;
    size_t pos = 1;
    int k = replay_get_varint(p + pos, len - pos, &delta);
    if (k <= 0)
        return k;
    pos += (size_t)k;
    if (delta > UINT64_MAX - prev_icount)
        return -1;
    k = replay_get_varint(p + pos, len - pos, &plen);
    if (k <= 0)
        return k;
    pos += (size_t)k;
    if (plen > REPLAY_MAX_PAYLOAD)
        return -1;
    if (len - pos < plen)
        return 0;
    e->kind = p[0];
    e->icount = prev_icount + delta;
    e->len = (uint32_t)plen;
    memcpy(e->data, p + pos, plen);
    return (int)(pos + plen);
}

/* --- failures --- */

void replay_fail(Replay *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

bool replay_recording(const Replay *r) { return r && r->mode == REPLAY_RECORD; }
bool replay_playing(const Replay *r) { return r && r->mode == REPLAY_PLAY; }
/* A log file records or replays (not --reverse's memory log alone): what
 * the file holds could not follow a state the host changed by hand. */
bool replay_file_active(const Replay *r) { return r && r->mode != REPLAY_OFF && r->f; }

/* --- the file: header --- */

bool replay_parse_arg(const char *arg, char *path, size_t pathlen, uint64_t *every,
                      char *err, size_t errlen)
{
    *every = REPLAY_DEFAULT_CHECKPOINT;
    snprintf(path, pathlen, "%s", arg);
    char *comma = strchr(path, ',');
    if (comma) {
        *comma = 0;
        char *end;
        if (strncmp(comma + 1, "checkpoint=", 11) || !comma[12]) {
            snprintf(err, errlen, "bad record/replay property '%s' (checkpoint=N)", comma + 1);
            return false;
        }
        unsigned long long n = strtoull(comma + 12, &end, 0);
        if (*end || !n || comma[12] == '-') {
            snprintf(err, errlen, "bad checkpoint interval '%s'", comma + 12);
            return false;
        }
        *every = n;
    }
    if (!path[0]) {
        snprintf(err, errlen, "record/replay needs a file name: '%s'", arg);
        return false;
    }
    return true;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Header: magic, version, checkpoint interval u64, config length u32, the
 * config text, CRC-32 of everything before it. */
static bool write_header(Replay *r)
{
    size_t clen = strlen(r->config);
    uint8_t head[24];
    memcpy(head, REPLAY_MAGIC, 8);
    put_le(head + 8, REPLAY_VERSION, 4);
    put_le(head + 12, r->checkpoint_every, 8);
    put_le(head + 20, clen, 4);
    uLong crc = crc32(crc32(0, head, sizeof head), (const Bytef *)r->config, (uInt)clen);
    uint8_t tail[4];
    put_le(tail, crc, 4);
    return fwrite(head, 1, sizeof head, r->f) == sizeof head &&
           fwrite(r->config, 1, clen, r->f) == clen && fwrite(tail, 1, 4, r->f) == 4;
}

static bool alloc_buffers(Replay *r, char *err, size_t errlen)
{
    r->raw = malloc(RAW_CAP);
    r->zbuf = malloc(ZBUF_CAP);
    r->in = malloc(IN_CAP);
    if (!r->raw || !r->zbuf || !r->in) {
        snprintf(err, errlen, "record/replay: out of memory");
        return false;
    }
    return true;
}

static void free_buffers(Replay *r)
{
    free(r->raw);
    free(r->zbuf);
    free(r->in);
    r->raw = r->zbuf = r->in = NULL;
}

bool replay_open_record(Replay *r, const char *path, const char *config, uint64_t every,
                        const uint64_t *icount, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->icount = icount;
    r->checkpoint_every = every;
    r->next_checkpoint = *icount + every;
    r->last_icount = *icount;
    r->in_slice = true;
    snprintf(r->config, sizeof r->config, "%s", config);
    if (!alloc_buffers(r, err, errlen))
        return false;
    r->f = fopen(path, "wb");
    if (!r->f) {
        snprintf(err, errlen, "-record: cannot create %s", path);
        free_buffers(r);
        return false;
    }
    if (!write_header(r) || deflateInit(&r->z, 6) != Z_OK) {
        snprintf(err, errlen, "-record: cannot write %s", path);
        fclose(r->f);
        free_buffers(r);
        return false;
    }
    r->mode = REPLAY_RECORD;
    return true;
}

/* The first line where two config texts differ, for the message. */
static void first_difference(const char *a, const char *b, char *out, size_t outlen)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la)) {
            snprintf(out, outlen, "log '%.*s', this machine '%.*s'", (int)(la > 80 ? 80 : la), a,
                     (int)(lb > 80 ? 80 : lb), b);
            return;
        }
        a += la + (a[la] != 0);
        b += lb + (b[lb] != 0);
    }
    snprintf(out, outlen, "?");
}

static bool read_header(Replay *r, const char *path, const char *config, char *err,
                        size_t errlen)
{
    uint8_t head[24];
    if (fread(head, 1, sizeof head, r->f) != sizeof head || memcmp(head, REPLAY_MAGIC, 8)) {
        snprintf(err, errlen, "-replay: %s is not a kairo replay log", path);
        return false;
    }
    uint32_t version = (uint32_t)get_le(head + 8, 4);
    if (version != REPLAY_VERSION) {
        snprintf(err, errlen, "-replay: %s has format version %u, this kairo reads %u", path,
                 version, REPLAY_VERSION);
        return false;
    }
    r->checkpoint_every = get_le(head + 12, 8);
    uint32_t clen = (uint32_t)get_le(head + 20, 4);
    uint8_t tail[4];
    if (clen >= sizeof r->config || fread(r->config, 1, clen, r->f) != clen ||
        fread(tail, 1, 4, r->f) != 4) {
        snprintf(err, errlen, "-replay: %s: truncated or corrupt header", path);
        return false;
    }
    r->config[clen] = 0;
    uLong crc = crc32(crc32(0, head, sizeof head), (const Bytef *)r->config, clen);
    if (crc != get_le(tail, 4) || !r->checkpoint_every) {
        snprintf(err, errlen, "-replay: %s: corrupt header (CRC mismatch)", path);
        return false;
    }
    if (strcmp(r->config, config)) {
        char diff[220];
        first_difference(r->config, config, diff, sizeof diff);
        snprintf(err, errlen, "-replay: %s was recorded on another machine: %s", path, diff);
        return false;
    }
    return true;
}

static bool fill_next(Replay *r);

bool replay_open_play(Replay *r, const char *path, const char *config,
                      const uint64_t *icount, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->icount = icount;
    r->last_icount = *icount;
    r->in_slice = true;
    if (!alloc_buffers(r, err, errlen))
        return false;
    r->f = fopen(path, "rb");
    if (!r->f) {
        snprintf(err, errlen, "-replay: cannot open %s", path);
        free_buffers(r);
        return false;
    }
    if (!read_header(r, path, config, err, errlen) || inflateInit(&r->z) != Z_OK) {
        fclose(r->f);
        free_buffers(r);
        if (!err[0])
            snprintf(err, errlen, "-replay: %s: cannot start inflating", path);
        return false;
    }
    r->mode = REPLAY_PLAY;
    fill_next(r);
    if (r->failed) {
        snprintf(err, errlen, "-replay: %s: %s", path, r->why);
        replay_close(r);
        return false;
    }
    return true;
}

/* --- record: the stream --- */

static void deflate_raw(Replay *r, int flush)
{
    if (!r->f)
        return;
    r->z.next_in = r->raw;
    r->z.avail_in = (uInt)r->raw_len;
    int ret;
    do {
        r->z.next_out = r->zbuf;
        r->z.avail_out = ZBUF_CAP;
        ret = deflate(&r->z, flush);
        size_t have = ZBUF_CAP - r->z.avail_out;
        if (have && fwrite(r->zbuf, 1, have, r->f) != have) {
            fprintf(stderr, "kairo: -record: write failed; the log is incomplete\n");
            fclose(r->f);
            r->f = NULL;
            break;
        }
        r->file_bytes += have;
    } while (r->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
    r->raw_len = 0;
}

static void write_event(Replay *r, const ReplayEvent *e)
{
    if (!r->raw)
        return;   /* reverse debugging without -record: memory only */
    if (r->raw_len + REPLAY_MAX_RECORD > RAW_CAP)
        deflate_raw(r, Z_NO_FLUSH);
    size_t n = replay_encode(e, r->last_icount, r->raw + r->raw_len);
    r->raw_len += n;
    r->raw_bytes += n;
    r->last_icount = e->icount;
    r->events++;
}

/* --- the in-memory log --- */

static void mem_append(Replay *r, const ReplayEvent *e)
{
    if (r->mem_len + REPLAY_MAX_RECORD > r->mem_cap) {
        size_t cap = r->mem_cap ? r->mem_cap * 2 : 1 << 16;
        uint8_t *p = realloc(r->mem, cap);
        if (!p) {
            /* History cannot be kept: the next replay from memory would
             * diverge; say so once and stop keeping it. */
            fprintf(stderr, "kairo: reverse: out of memory for the input log\n");
            r->mem_on = false;
            return;
        }
        r->mem = p;
        r->mem_cap = cap;
    }
    r->mem_len += replay_encode(e, r->mem_icount, r->mem + r->mem_len);
    r->mem_icount = e->icount;
}

bool replay_open_memory(Replay *r, const uint64_t *icount)
{
    if (r->mode == REPLAY_PLAY)
        return false;
    if (r->mode == REPLAY_OFF) {
        memset(r, 0, sizeof *r);
        r->mode = REPLAY_RECORD;
        r->icount = icount;
        r->last_icount = *icount;
    }
    r->mem_on = true;
    r->mem_icount = *icount;
    return true;
}

size_t replay_mem_pos(const Replay *r, uint64_t *prev_icount)
{
    if (!r->mem_playing) {
        *prev_icount = r->mem_icount;
        return r->mem_len;
    }
    if (r->have_next) {
        *prev_icount = r->next_prev_icount;
        return r->next_pos;
    }
    *prev_icount = r->last_icount;
    return r->in_pos;
}

static bool fill_next(Replay *r);

void replay_mem_play(Replay *r, size_t pos, uint64_t prev_icount)
{
    if (!r->mem_playing) {
        r->file_in = r->in;
        r->file_last_icount = r->last_icount;
    }
    r->mode = REPLAY_PLAY;
    r->mem_playing = true;
    r->in = r->mem;
    r->in_pos = pos;
    r->in_len = r->mem_len;
    r->last_icount = prev_icount;
    r->have_next = false;
    r->failed = false;
    fill_next(r);
}

void replay_mem_record(Replay *r)
{
    if (!r->mem_playing)
        return;
    uint64_t prev;
    r->mem_len = replay_mem_pos(r, &prev);
    r->mem_icount = prev;
    r->mem_playing = false;
    r->in = r->file_in;
    r->last_icount = r->file_last_icount;
    r->in_pos = r->in_len = 0;
    r->have_next = false;
    r->mode = REPLAY_RECORD;
}

void replay_log(Replay *r, ReplayKind kind, const void *payload, size_t len)
{
    if (!replay_recording(r))
        return;
    ReplayEvent e;
    e.kind = (uint8_t)(kind | (r->in_slice ? 0 : REPLAY_ASYNC));
    e.icount = *r->icount;
    e.len = (uint32_t)(len > REPLAY_MAX_PAYLOAD ? REPLAY_MAX_PAYLOAD : len);
    if (e.len)   /* an empty payload may come as NULL */
        memcpy(e.data, payload, e.len);
    if (r->debug)
        r->debug(r->debug_opaque, "log", e.kind);
    write_event(r, &e);
    if (r->mem_on)
        mem_append(r, &e);
}

/* --- replay: the stream --- */

/* Inflate more input; false at the end of the stream or on an error. */
static bool inflate_more(Replay *r)
{
    if (r->z_end)
        return false;
    if (r->in_pos) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    }
    size_t before = r->in_len;
    while (r->in_len == before) {
        if (!r->z.avail_in) {
            size_t got = fread(r->zbuf, 1, ZBUF_CAP, r->f);
            if (!got) {
                replay_fail(r, "log truncated after icount %" PRIu64, r->last_icount);
                return false;
            }
            r->z.next_in = r->zbuf;
            r->z.avail_in = (uInt)got;
        }
        r->z.next_out = r->in + r->in_len;
        r->z.avail_out = (uInt)(IN_CAP - r->in_len);
        int ret = inflate(&r->z, Z_NO_FLUSH);
        r->in_len = IN_CAP - r->z.avail_out;
        if (ret == Z_STREAM_END) {
            r->z_end = true;
            break;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            replay_fail(r, "log corrupt after icount %" PRIu64, r->last_icount);
            return false;
        }
    }
    return r->in_len > before;
}

/* After END: the stream must end there, its checksum intact. */
static void check_stream_end(Replay *r)
{
    while (!r->z_end && !r->failed)
        if (!inflate_more(r) && !r->z_end && !r->failed)
            replay_fail(r, "log truncated after icount %" PRIu64, r->last_icount);
    if (!r->failed && r->in_pos != r->in_len)
        replay_fail(r, "log corrupt after icount %" PRIu64 " (data after the end)", r->last_icount);
    if (r->failed)
        r->have_next = false;
}

static bool fill_next(Replay *r)
{
    if (r->have_next || r->failed)
        return r->have_next;
    for (;;) {
        if (r->mem_playing && r->in_pos >= r->in_len)
            return false;   /* the end of history: live from here */
        r->next_pos = r->in_pos;
        r->next_prev_icount = r->last_icount;
        int n = replay_decode(r->in + r->in_pos, r->in_len - r->in_pos, r->last_icount, &r->next);
        if (n < 0) {
            replay_fail(r, "log corrupt after icount %" PRIu64 " (bad record)", r->last_icount);
            return false;
        }
        if (n > 0) {
            r->in_pos += (size_t)n;
            r->last_icount = r->next.icount;
            r->have_next = true;
            if ((r->next.kind & ~REPLAY_ASYNC) == RK_END)
                check_stream_end(r);
            return !r->failed;
        }
        if (!inflate_more(r)) {
            if (!r->failed)
                replay_fail(r, "log truncated after icount %" PRIu64, r->last_icount);
            return false;
        }
    }
}

void replay_consume(Replay *r)
{
    r->have_next = false;
    if ((r->next.kind & ~REPLAY_ASYNC) != RK_END)
        fill_next(r);
    /* A sync event taken inside a slice: an async event after it, due
     * before the slice ends, ends the slice there. */
    if (r->have_next && (r->next.kind & REPLAY_ASYNC) && r->icount_stop &&
        r->next.icount < *r->icount_stop && r->next.icount >= *r->icount)
        *r->icount_stop = r->next.icount;
}

static void diverged(Replay *r, const ReplayEvent *e, const char *what)
{
    replay_fail(r, "replay diverged at icount %" PRIu64 ": %s %s", e->icount,
                replay_kind_name(e->kind), what);
}

const ReplayEvent *replay_take_sync(Replay *r, ReplayKind kind)
{
    if (!replay_playing(r) || r->failed || !r->have_next)
        return NULL;
    const ReplayEvent *e = &r->next;
    if (e->kind & REPLAY_ASYNC)
        return NULL;
    if (e->icount < *r->icount) {
        diverged(r, e, "not taken by the guest");
        return NULL;
    }
    if (e->icount > *r->icount || e->kind != kind)
        return NULL;
    if (r->debug)
        r->debug(r->debug_opaque, "log", e->kind);
    return e;
}

const ReplayEvent *replay_due_async(Replay *r)
{
    if (!replay_playing(r) || r->failed || !r->have_next)
        return NULL;
    const ReplayEvent *e = &r->next;
    if (e->icount < *r->icount) {
        diverged(r, e, (e->kind & REPLAY_ASYNC) ? "passed" : "not taken by the guest");
        return NULL;
    }
    if (e->icount > *r->icount || !(e->kind & REPLAY_ASYNC))
        return NULL;
    if (r->debug)
        r->debug(r->debug_opaque, "log", e->kind);
    return e;
}

const ReplayEvent *replay_peek(Replay *r, ReplayKind kind)
{
    if (!replay_playing(r) || r->failed || !r->have_next)
        return NULL;
    const ReplayEvent *e = &r->next;
    if (e->icount < *r->icount) {
        diverged(r, e, "not taken by the guest");
        return NULL;
    }
    if (e->icount > *r->icount || (e->kind & ~REPLAY_ASYNC) != kind)
        return NULL;
    if (r->debug)
        r->debug(r->debug_opaque, "log", e->kind);
    return e;
}

uint64_t replay_insns_to_next(const Replay *r)
{
    if (!replay_playing(r) || !r->have_next || r->failed)
        return UINT64_MAX;
    return r->next.icount > *r->icount ? r->next.icount - *r->icount : 0;
}

/* --- seams --- */

size_t replay_serial(Replay *r, unsigned chan, uint8_t *buf, size_t n, size_t max)
{
    if (replay_recording(r) && n) {
        uint8_t p[REPLAY_MAX_PAYLOAD];
        size_t k = n > sizeof p - 1 ? sizeof p - 1 : n;
        p[0] = (uint8_t)chan;
        memcpy(p + 1, buf, k);
        replay_log(r, RK_SERIAL, p, k + 1);
        return k;
    }
    if (!replay_playing(r))
        return n;
    const ReplayEvent *e = replay_take_sync(r, RK_SERIAL);
    if (!e || !e->len || e->data[0] != chan)
        return 0;
    size_t k = e->len - 1;
    if (k > max) {
        diverged(r, e, "larger than the receiver's room");
        return 0;
    }
    memcpy(buf, e->data + 1, k);
    replay_consume(r);
    return k;
}

int64_t replay_value(Replay *r, ReplayKind kind, int64_t host_value)
{
    uint8_t p[8];
    if (replay_recording(r)) {
        put_le(p, (uint64_t)host_value, 8);
        replay_log(r, kind, p, 8);
        return host_value;
    }
    const ReplayEvent *e = replay_take_sync(r, kind);
    if (!e) {
        if (replay_playing(r))
            replay_fail(r, "replay diverged at icount %" PRIu64 ": no %s in the log",
                        *r->icount, replay_kind_name(kind));
        return host_value;
    }
    int64_t v = e->len == 8 ? (int64_t)get_le(e->data, 8) : host_value;
    replay_consume(r);
    return v;
}

void replay_close(Replay *r)
{
    if (!r || r->mode == REPLAY_OFF)
        return;
    replay_mem_record(r);
    free(r->mem);
    r->mem = NULL;
    r->mem_on = false;
    if (r->mode == REPLAY_RECORD) {
        r->in_slice = false;
        if (!r->ended)
            replay_log(r, RK_END, NULL, 0);   /* a run cut short: no final hash */
        deflate_raw(r, Z_FINISH);
        deflateEnd(&r->z);
    } else {
        inflateEnd(&r->z);
    }
    if (r->f)
        fclose(r->f);
    r->f = NULL;
    free_buffers(r);
    r->mode = REPLAY_OFF;
}
