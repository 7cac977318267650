/* SPDX-License-Identifier: MIT */
/* A remote slot through the record/replay seam (docs/REPLAY.md).
 *
 * What the guest can observe of a remote slot is what its accesses return
 * (a reply's bytes, or all-ones when the slot is offline or the server
 * refused) and its interrupt lines. Recording logs one RK_REMOTE event per
 * access that read something or moved a line, at the count of the access:
 * the slot's number, the line changes applied during the access, the
 * bytes read. Replaying never opens the transport: an access takes its
 * bytes and line changes from the log, writes go nowhere.
 *
 * Payload: slot u8, op u8 (RLOG_OP_LINES: line changes only, RLOG_OP_DATA:
 * changes then reply bytes), n u8, n x (line u8, level u8), bytes. A read
 * longer than one payload is logged as several DATA events. */
#ifndef KAIRO_REMOTE_PROXY_REPLAY_H
#define KAIRO_REMOTE_PROXY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/replay.h"

enum { RLOG_OP_LINES = 0, RLOG_OP_DATA = 1 };
#define RLOG_MAX_PENDING 64     /* line changes held per access before an event of their own */
#define RLOG_HEAD 3

typedef void (*RlogIrqFn)(void *opaque, int line, bool level);

typedef struct RemoteLog {
    Replay *replay;             /* NULL: neither recording nor replaying */
    uint8_t slot;               /* the slot's number in the log (order of -remote) */
    unsigned n_lines;           /* the slot's interrupt lines */
    bool in_access;             /* record: line changes join the access's event */
    uint8_t pending[2 * RLOG_MAX_PENDING];
    unsigned n_pending;
    RlogIrqFn irq;              /* replay: drives a line */
    void *irq_opaque;
} RemoteLog;

/* A decoded payload (rlog_parse): the line changes and the bytes point
 * into the event. */
typedef struct RlogRecord {
    uint8_t slot, op;
    unsigned n_changes;
    const uint8_t *changes;     /* n_changes x (line, level) */
    const uint8_t *data;
    size_t data_len;
} RlogRecord;

/* The payload's framing; false for a malformed one (a line past
 * n_lines, a level other than 0/1, an unknown op, a count past the end). */
bool rlog_parse(const uint8_t *p, size_t len, unsigned n_lines, RlogRecord *out);

bool rlog_playing(const RemoteLog *l);
/* Record: an access starts; line changes until rlog_end join its event. */
void rlog_begin(RemoteLog *l);
/* Record: a line change the client applied (inside an access or not). */
void rlog_line(RemoteLog *l, int line, bool level);
/* Record: the access ended, having read len bytes (0 for a write). */
void rlog_end(RemoteLog *l, const void *data, size_t len);
/* Replay: an access at the current count: the logged line changes are
 * applied, the logged bytes fill data (all-ones and a divergence when the
 * log has none for it). */
void rlog_play(RemoteLog *l, void *data, size_t len);
/* Replay: an event for this slot met between slices (line changes made
 * outside an access). */
void rlog_apply(RemoteLog *l, const ReplayEvent *e);

#endif
