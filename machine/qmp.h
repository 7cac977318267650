/* SPDX-License-Identifier: MIT */
/* QMP, QEMU's JSON machine protocol, on -qmp unix:PATH,server[,wait=off]
 * or tcp:[HOST]:PORT,server[,wait=off] (docs/QMP.md lists the commands).
 *
 * One client at a time gets the greeting and must send qmp_capabilities
 * first. The machine loop calls qmp_service() between CPU slices: it
 * answers what the client sent without blocking, and while the guest is
 * stopped (`stop`) it waits there, answering, until `cont` or `quit`.
 * Events (STOP, RESUME, RESET, SHUTDOWN, POWERDOWN, BLOCK_IO_ERROR) go to
 * the connected client as they happen. */
#ifndef KAIRO_QMP_H
#define KAIRO_QMP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct Machine;
typedef struct Qmp Qmp;

typedef enum {
    QMP_GO,            /* run the next slice */
    QMP_QUIT,          /* `quit`: end the run (status 0) */
    QMP_HOST_SIGNAL,   /* a host signal while the guest was held stopped */
} QmpVerdict;

/* Listen on spec; without wait=off, wait for the first client (as QEMU
 * does) before the guest starts. NULL with a one-line reason in err. */
Qmp *qmp_new(const char *spec, struct Machine *m, char *err, size_t errlen);
QmpVerdict qmp_service(Qmp *q, volatile sig_atomic_t *host_signal);
/* Send an event; data is a JSON object's text, or NULL for none. */
void qmp_event(Qmp *q, const char *name, const char *data);
/* -S with only QMP to resume the guest: it starts stopped (`cont`). */
void qmp_stop_at_start(Qmp *q);
/* The guest is held by QMP's `stop`. */
bool qmp_stopped(const Qmp *q);
void qmp_free(Qmp *q);

#endif
