/* SPDX-License-Identifier: MIT */
/* Shadow processes: the kairo.exec RPC family over the backdoor's RPCI
 * channel (docs/VMPORT.md). The guest runs an allowlisted host program
 * (-vmport exec=NAME:PROGRAM [FIXED ARGS]; the guest chooses NAME and adds
 * arguments, never a shell string) and streams its stdin, stdout and
 * stderr through the channel, then gets its exit status:
 *   kairo.exec.start NAME\0ARG\0ARG...  -> "1 ID" | "0 why"
 *   kairo.exec.write ID DATA            -> "1 N" (bytes taken; 0: full, read first)
 *   kairo.exec.eof ID                   -> "1 " (stdin closes once drained)
 *   kairo.exec.read ID                  -> "1 o"+DATA | "1 e"+DATA | "1 w" (nothing yet)
 *                                          | "1 x STATUS" (exited; the ID is free)
 *   kairo.exec.wait ID                  -> the same, waiting up to 10 ms for it
 *   kairo.exec.kill ID                  -> "1 "
 * A name not on the allowlist is refused and logged on stderr. */
#ifndef KAIRO_VMPORT_EXEC_H
#define KAIRO_VMPORT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define EXEC_ALLOW_MAX 16
#define EXEC_ARGS_MAX 32
#define EXEC_PROCS_MAX 8
#define EXEC_STDIN_MAX (1u << 20)       /* stdin bytes held for a busy program */
#define EXEC_REPLY_MAX 61440

typedef struct ExecAllow {
    char name[32];
    char *argv[EXEC_ARGS_MAX + 1];      /* the program and its fixed arguments */
    int argc;
    char *storage;
} ExecAllow;

typedef struct ExecProc {
    bool used;
    pid_t pid;
    int in, out, err;                   /* our ends; -1 once closed */
    uint8_t *pending;                   /* stdin not yet taken by the program */
    size_t pending_len;
    bool eof_asked;
    bool exited;
    int status;
} ExecProc;

typedef struct ExecServer {
    ExecAllow allow[EXEC_ALLOW_MAX];
    int n_allow;
    ExecProc procs[EXEC_PROCS_MAX];
    uint64_t started, refused;
    FILE *trace;                        /* -d hostcall */
} ExecServer;

void exec_init(ExecServer *s);
/* "NAME:PROGRAM [ARGS]" (split at spaces, no shell); false with a reason. */
bool exec_allow(ExecServer *s, const char *spec, char *err, size_t errlen);
/* A "kairo.exec.*" request -> the reply ("1 ..."/"0 ..."); returns its length. */
size_t exec_dispatch(ExecServer *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap);
/* Kill and reap every program (reset, teardown). */
void exec_stop_all(ExecServer *s);
void exec_free(ExecServer *s);

#endif
