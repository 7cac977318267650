/* SPDX-License-Identifier: MIT */
/* Deterministic record/replay: the one seam for every input that does not
 * come from the instruction stream (docs/REPLAY.md).
 *
 * Each input reaches the guest through a replay_* call made at the point
 * where it enters guest-visible state, with the instruction count at which
 * the guest observes it. Recording logs (kind, icount, payload); replaying
 * hands back the logged payload instead of asking the host and checks that
 * the instruction count matches.
 *
 * Events made inside a CPU slice (serial input polled by a UART timer, a
 * frame a backend answers while the guest transmits) are "sync": replay
 * consumes them when the guest reaches the same seam at the same count.
 * Events made between slices (host-time credits, window input, frames
 * polled from the network, checkpoints, the end) are "async": replay cuts
 * its slices at their counts and applies them there. */
#ifndef KAIRO_REPLAY_H
#define KAIRO_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

enum { REPLAY_OFF, REPLAY_RECORD, REPLAY_PLAY };

typedef enum {
    RK_SERIAL = 1,      /* chan u8, bytes */
    RK_NET = 2,         /* netdev u8, accepted u8, frame */
    RK_KEY = 3,         /* key u16 le, down u8 */
    RK_MOUSE = 4,       /* dx, dy, dz s32 le, buttons u8 */
    RK_CREDIT = 5,      /* instructions credited for host time waited (varint) */
    RK_RTC = 6,         /* the RTC start time, s64 le */
    RK_CHECKPOINT = 7,  /* state hash u64 le */
    RK_END = 8,         /* the recorded run ended here */
    RK_REMOTE = 9,      /* remote slot u8, op u8, n u8, n x (line u8, level u8), reply bytes */
    RK_HOST = 10,       /* a monitor/QMP command that changes the guest: HostCmd u8, args */
    RK_HOSTCALL = 11,   /* a host message to -device vmport's guest: more u8, bytes */
    RK_KIND_MAX = 11
} ReplayKind;

#define REPLAY_ASYNC 0x80       /* kind flag: made between slices */
#define REPLAY_MAX_PAYLOAD 4096
#define REPLAY_MAGIC "KAIRORPL"
#define REPLAY_VERSION 1u
#define REPLAY_DEFAULT_CHECKPOINT 100000000ull

typedef struct ReplayEvent {
    uint8_t kind;           /* ReplayKind, maybe | REPLAY_ASYNC */
    uint64_t icount;
    uint32_t len;
    uint8_t data[REPLAY_MAX_PAYLOAD];
} ReplayEvent;

/* --- the codec (tested by tests/unit/test_replay_codec.c) --- */
size_t replay_put_varint(uint8_t *out, uint64_t v);
/* Bytes used (1..10), 0 when more input is needed, -1 for a bad varint. */
int replay_get_varint(const uint8_t *p, size_t len, uint64_t *v);
/* One record: kind, icount - prev_icount, payload length, payload. The
 * output needs REPLAY_MAX_RECORD bytes. */
#define REPLAY_MAX_RECORD (1 + 10 + 10 + REPLAY_MAX_PAYLOAD)
size_t replay_encode(const ReplayEvent *e, uint64_t prev_icount, uint8_t *out);
/* Bytes used, 0 when the record is incomplete, -1 when it is malformed
 * (unknown kind, icount going back, payload too long). */
int replay_decode(const uint8_t *p, size_t len, uint64_t prev_icount, ReplayEvent *e);
const char *replay_kind_name(unsigned kind);

/* --- the log --- */
typedef struct Replay {
    int mode;
    const uint64_t *icount;     /* the CPU's instruction count */
    uint64_t *icount_stop;      /* replay: where the running slice ends (cut for async events) */
    bool in_slice;              /* the machine is running a CPU slice */
    FILE *f;
    z_stream z;
    uint8_t *raw;               /* record: encoded records waiting for deflate */
    size_t raw_len;
    uint8_t *zbuf;              /* deflate output / inflate input */
    uint8_t *in;                /* replay: inflated bytes not yet decoded */
    size_t in_pos, in_len;
    bool z_end;                 /* replay: the zlib stream ended */
    uint64_t last_icount;       /* of the last record written or read */
    ReplayEvent next;           /* replay: the next event, if have_next */
    bool have_next;
    uint64_t checkpoint_every, next_checkpoint;
    char config[2048];          /* the header's machine description */
    bool ended;                 /* record: END written */
    void (*debug)(void *opaque, const char *what, unsigned kind);   /* KAIRO_REPLAY_DEBUG=2 */
    void *debug_opaque;
    bool failed;                /* diverged or unreadable: why says so */
    char why[256];
    uint64_t events, raw_bytes, file_bytes;
    /* The in-memory log of reverse debugging (machine/timetravel.c): every
     * record also goes here while recording; replay_mem_play reads it
     * back from a checkpoint's position instead of the file. */
    bool mem_on, mem_playing;
    uint8_t *mem;
    size_t mem_len, mem_cap;
    uint64_t mem_icount;        /* the last record's count (delta base) */
    size_t next_pos;            /* where the record in next starts */
    uint64_t next_prev_icount;  /* the count of the record before it */
    uint8_t *file_in;           /* the file's buffer while mem is read */
    uint64_t file_last_icount;
} Replay;

/* Parse "FILE[,checkpoint=N]"; false with a message. */
bool replay_parse_arg(const char *arg, char *path, size_t pathlen, uint64_t *every,
                      char *err, size_t errlen);
/* Record: write the header (config text) and start the stream. */
bool replay_open_record(Replay *r, const char *path, const char *config, uint64_t every,
                        const uint64_t *icount, char *err, size_t errlen);
/* Replay: read and check the header against config (the machine built
 * from this run's options); a difference names the first differing line. */
bool replay_open_play(Replay *r, const char *path, const char *config,
                      const uint64_t *icount, char *err, size_t errlen);
/* Record: log END at the current count and close. Replay: close. */
void replay_close(Replay *r);

bool replay_recording(const Replay *r);
bool replay_file_active(const Replay *r);
bool replay_playing(const Replay *r);

/* --- the seams (r may be NULL: no record/replay) --- */
/* Serial input on port chan: bytes the host gave (record) become the
 * logged bytes (replay). Returns the byte count for the guest. */
size_t replay_serial(Replay *r, unsigned chan, uint8_t *buf, size_t n, size_t max);
/* A value chosen by the host once (RTC start time). */
int64_t replay_value(Replay *r, ReplayKind kind, int64_t host_value);
/* Record an event made now; kind's phase comes from in_slice. */
void replay_log(Replay *r, ReplayKind kind, const void *payload, size_t len);
/* Replay: the next event if it is kind (sync phase) at the current count;
 * NULL otherwise. A mismatch of the count sets the failure. */
const ReplayEvent *replay_take_sync(Replay *r, ReplayKind kind);
/* Replay, between slices: the next async event due now (NULL if none);
 * the caller applies it and calls replay_consume. An event left behind
 * (its count passed) is a divergence. */
const ReplayEvent *replay_due_async(Replay *r);
void replay_consume(Replay *r);
/* Replay: the next event if it is kind at the current count, of either
 * phase (a seam reached both inside and between slices); NULL otherwise,
 * with the failure set if its count passed. */
const ReplayEvent *replay_peek(Replay *r, ReplayKind kind);
/* Replay: instructions until the next async event (UINT64_MAX if none). */
uint64_t replay_insns_to_next(const Replay *r);
/* --- the in-memory log (reverse debugging) --- */
/* Record into memory as well (and only there without a file). */
bool replay_open_memory(Replay *r, const uint64_t *icount);
/* Read the memory log from byte pos (whose previous record had count
 * prev_icount): the inputs of a stretch of history run again. */
void replay_mem_play(Replay *r, size_t pos, uint64_t prev_icount);
/* Back to recording; the log is cut at the first record not yet replayed
 * (everything after it belonged to a future that is not going to happen). */
void replay_mem_record(Replay *r);
/* Where the next record goes (recording) or comes from (replaying), and
 * the count of the record before it: a checkpoint keeps both. */
size_t replay_mem_pos(const Replay *r, uint64_t *prev_icount);

/* Set the failure (first one wins). */
void replay_fail(Replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
