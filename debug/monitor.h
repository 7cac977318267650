/* The Kairo monitor: a line-based debugger console in the tradition of
 * the Bochs debugger, reached through -monitor stdio | tcp:[HOST]:PORT
 * [,server] | unix:PATH (docs/MONITOR.md lists the commands).
 *
 * The machine loop calls monitor_service() between CPU slices. While the
 * guest runs it polls its connection without blocking and answers
 * commands (info, x, screendump...) at once; `stop`, Ctrl-C on a stdio
 * monitor, a breakpoint or a watchpoint stop the guest, and then it blocks
 * there answering commands until `c`, `s` or `quit`. */
#ifndef KAIRO_MONITOR_H
#define KAIRO_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct Machine;
typedef struct Monitor Monitor;

typedef enum {
    MON_GO,            /* run the next slice */
    MON_QUIT,          /* `quit`: end the run (exit status 0) */
    MON_HOST_SIGNAL,   /* SIGTERM (or SIGINT on a socket monitor) while stopped */
} MonVerdict;

/* Listen on spec (stdio, tcp:[HOST]:PORT[,server][,nowait], unix:PATH);
 * prints where it listens. start_stopped (-S): the guest waits for a
 * `c`. NULL, with a message in err, on a bad spec or a socket error. */
Monitor *monitor_new(const char *spec, struct Machine *m, bool start_stopped, char *err,
                     size_t errlen);
/* A monitor without a connection that writes its answers to out (unit
 * tests, scripts): feed it lines with monitor_execute(). */
Monitor *monitor_new_stream(struct Machine *m, FILE *out);
/* Run one command line as if typed; false when the line was malformed or
 * the command failed (its one-line error is already written). */
bool monitor_execute(Monitor *mon, const char *line);
/* Is the guest held stopped by the monitor? */
bool monitor_stopped(const Monitor *mon);
/* Between CPU slices (see above). host_signal: the process's stop flag
 * (a stdio monitor takes SIGINT as "stop the guest"). */
MonVerdict monitor_service(Monitor *mon, volatile sig_atomic_t *host_signal);
/* Does the monitor take this host signal (a stdio monitor's Ctrl-C stops
 * the guest rather than the run)? */
bool monitor_owns_signal(const Monitor *mon, int sig);
/* The run ended with this status: a connected client is told so. */
void monitor_report_exit(Monitor *mon, int status);
void monitor_free(Monitor *mon);

#endif
