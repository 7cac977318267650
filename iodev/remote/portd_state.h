/* SPDX-License-Identifier: MIT */
/* kairo-portd's state file (`state FILE [fsync]`): everything a restarted
 * server needs to continue where the killed one stopped — each slot's
 * device state (its component descriptor), the sessions with their reply
 * caches, the clients' anti-replay epochs, device time, and how much of
 * each output file was acknowledged.
 *
 * It is rewritten after every executed batch and before its reply leaves,
 * as one of two alternating records, each with a generation number and a
 * keyed hash: a write cut short by kill -9 (or a power cut, with fsync)
 * leaves the other record intact, and the newer valid one is loaded. */
#ifndef KAIRO_REMOTE_PORTD_STATE_H
#define KAIRO_REMOTE_PORTD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/devstate.h"
#include "iodev/remote/portd_backends.h"
#include "iodev/remote/server.h"

typedef struct PdState {
    int fd;
    bool fsync;                 /* fdatasync every record (survives power loss) */
    uint64_t gen;               /* generation of the newest record */
    StateWriter w;
    uint64_t commits;
} PdState;

/* Open (or create, mode 0600) the file. */
bool pd_state_open(PdState *st, const char *path, bool fsync, char *err, size_t errlen);
/* Load the newest valid record into the opened server and devices: 1 when
 * resumed, 0 when the file holds none (a first start), -1 with a one-line
 * reason (written for another configuration, corrupt beyond both records). */
int pd_state_resume(PdState *st, RemoteServer *srv, RpTransport *ts, int n_t, PdDevice **dev,
                    uint64_t *device_ns, char *err, size_t errlen);
/* Write a record; false if the write failed (reported once on stderr). */
bool pd_state_commit(PdState *st, const RemoteServer *srv, const RpTransport *ts, PdDevice **dev,
                     uint64_t device_ns);
void pd_state_close(PdState *st);

#endif
