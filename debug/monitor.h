/* SPDX-License-Identifier: MIT */
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
/* Answers of a channel monitor: text as the monitor writes it (lines and
 * the prompt, which ends without a newline). */
typedef void (*MonitorOutputFn)(void *opaque, const char *text, size_t len);
/* A monitor whose client is in memory, not a file descriptor (the
 * window's console): lines go in with monitor_channel_input(), answers out
 * through out. It greets at once; start_stopped as for monitor_new. */
Monitor *monitor_new_channel(struct Machine *m, bool start_stopped, MonitorOutputFn out,
                             void *opaque);
/* A line the channel's user typed (no newline). It is queued and runs at
 * the monitor's next service (between slices, or in its command loop
 * while the guest is stopped), never from inside this call. */
void monitor_channel_input(Monitor *mon, const char *line);
/* Called, about every 5 ms, while the monitor's command loop blocks with
 * the guest stopped (the window refreshes and takes input from it).
 * Returning true ends the wait: monitor_service() returns MON_GO with the
 * guest still stopped, and the caller must see to it that no slice runs
 * (the window was closed: the machine loop ends the run). */
typedef bool (*MonitorIdleFn)(void *opaque);
void monitor_set_idle_hook(Monitor *mon, MonitorIdleFn fn, void *opaque);
/* Answer what the client sent, without blocking and without running the
 * guest: for the gdb stub's idle hook while gdb holds the guest, so the
 * window's console still answers (`c`, `s` take effect when gdb resumes).
 * True once `quit` was typed (monitor_service() then says MON_QUIT). */
bool monitor_poll(Monitor *mon);
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
