/* SPDX-License-Identifier: MIT */
/* Machine snapshots: the whole machine state in one file (docs/SNAPSHOTS.md).
 *
 * A file holds a configuration block (RAM size, the registered components
 * with their kinds and versions, each disk and boot image's size and
 * CRC-32, whether -snapshot was on) and the components' state stream
 * (iodev/device.h), deflated; a CRC-32 covers the whole file. Loading
 * reads and checks the whole file before it changes anything: every
 * mismatch is a one-line error that names it. */
#ifndef KAIRO_SNAPSHOT_H
#define KAIRO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct Machine;

#define SNAPSHOT_FORMAT_VERSION 1u
#define SNAPSHOT_HISTORY_MAX 16

/* The snapshots saved or loaded in this run (`info snapshots`). */
typedef struct SnapshotHistory {
    struct {
        char path[256];
        uint64_t icount;
        bool loaded;        /* false: saved */
    } items[SNAPSHOT_HISTORY_MAX];
    int n;                  /* the latest SNAPSHOT_HISTORY_MAX are kept */
    uint64_t total;
} SnapshotHistory;

/* Write the machine's state to path. False with a one-line message. */
bool snapshot_save(struct Machine *m, const char *path, char *err, size_t errlen);
/* Replace the machine's state by the one in path. force: accept disk and
 * boot images whose contents changed since the save. False with a
 * one-line message; the machine is unchanged unless the message says the
 * state was partly applied. */
bool snapshot_load(struct Machine *m, const char *path, bool force, char *err, size_t errlen);
/* A file's header: its instruction count, RAM size, components, images. */
bool snapshot_describe(const char *path, FILE *out, char *err, size_t errlen);
void snapshot_history_print(const SnapshotHistory *h, FILE *out);

/* The disks' -snapshot overlays as a component; dev is the Machine. */
extern const struct DeviceDesc disks_desc;

/* One hash over RAM, the CPU registers and the x87 (--state-hash): two
 * runs that end in the same state print the same value. */
uint64_t machine_state_hash(struct Machine *m);

#endif
