/* SPDX-License-Identifier: MIT */
/* QMP internals shared by the server (qmp.c) and the commands (qmp_cmds.c). */
#ifndef KAIRO_QMP_INT_H
#define KAIRO_QMP_INT_H

#include <stdint.h>
#include <stdio.h>

#include "machine/json.h"
#include "machine/qmp.h"

struct Monitor;

struct Qmp {
    struct Machine *m;
    int listen_fd, fd;          /* -1 when none */
    char unix_path[108];        /* removed at the end */
    bool caps;                  /* qmp_capabilities done on this connection */
    bool stopped;               /* `stop`: the guest waits for `cont` */
    bool quit;
    char in[65536];             /* received, not yet a whole command */
    size_t in_len;
    struct Monitor *hmp;        /* human-monitor-command: a stream monitor */
    FILE *hmp_out;
    char *hmp_buf;
    size_t hmp_len;
    uint8_t mouse_buttons;      /* input-send-event's button state */
    uint64_t write_errors[6];   /* per drive, for BLOCK_IO_ERROR */
};

/* A command's error: QEMU's class ("GenericError", "CommandNotFound",
 * "DeviceNotFound") and a one-line description. */
typedef struct QmpError {
    const char *cls;
    char desc[300];
} QmpError;

/* A command writes its return value's JSON to ret (nothing: {}) and
 * returns true, or fills e and returns false. */
typedef bool (*QmpCommandFn)(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e);

typedef struct QmpCommand {
    const char *name;
    QmpCommandFn fn;
} QmpCommand;

const QmpCommand *qmp_find_command(const char *name);
/* The command table, for query-commands. */
void qmp_write_command_list(FILE *out);
/* Errors with a formatted description; return false for the caller. */
bool qmp_fail(QmpError *e, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* BLOCK_IO_ERROR for drives whose write errors grew since the last look. */
void qmp_check_block_errors(Qmp *q);

#endif
