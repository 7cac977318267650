/* SPDX-License-Identifier: MIT */
/* Host commands that change what the guest sees (monitor, QMP, the
 * window), through the record/replay seam (docs/REPLAY.md).
 *
 * Recording applies the command and logs it (RK_HOST, between slices, at
 * the count where it was applied); a replay applies the logged ones at
 * their counts and refuses live ones with a one-line reason, since the log
 * drives the guest. Commands that would replace the whole state (loadvm,
 * a debugger's memory or register writes) are refused under both.
 *
 * Payload: HostCmd u8, flag u8 (reset: by the host; medium: a file is
 * inserted), then for a medium the drive name, NUL, the file, NUL, and the
 * file's "size:crc32". */
#ifndef KAIRO_REPLAY_HOST_H
#define KAIRO_REPLAY_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/media.h"
#include "machine/replay.h"

struct Machine;

typedef enum {
    HOST_RESET = 1,         /* the reset line */
    HOST_POWERDOWN = 2,     /* the ACPI power button */
    HOST_WAKEUP = 3,        /* out of S3 */
    HOST_MEDIUM = 4,        /* a removable drive's medium inserted or ejected */
    HOST_CMD_MAX = 4
} HostCmd;

/* A decoded payload (the pointers point into it). */
typedef struct HostRecord {
    uint8_t cmd, flag;
    const char *device, *path, *file_hash;
} HostRecord;
bool replay_host_parse(const uint8_t *p, size_t len, HostRecord *out);

/* True when a live host command named what may change the guest now;
 * false with "what: not available while replaying ..." in err. */
bool replay_host_allowed(struct Machine *m, const char *what, char *err, size_t errlen);
/* Commands that replace the machine's state (loadvm, debugger writes):
 * refused while recording or replaying. */
bool replay_host_state_write_allowed(struct Machine *m, const char *what, char *err,
                                     size_t errlen);

/* The commands, logged when recording; false with err under replay. */
bool host_system_reset(struct Machine *m, bool by_host, char *err, size_t errlen);
bool host_system_powerdown(struct Machine *m, char *err, size_t errlen);
bool host_system_wakeup(struct Machine *m, char *err, size_t errlen);
/* machine_change_medium (media.c) logs itself through this. */
void replay_host_log_medium(struct Machine *m, const char *device, const char *path);

/* Replay, between slices: apply a logged command. */
void replay_host_apply(struct Machine *m, const ReplayEvent *e);

/* "size:crc32" of a file (or "missing"), as the log's header takes images. */
void replay_hash_file(const char *path, char *out, size_t outlen);

#endif
