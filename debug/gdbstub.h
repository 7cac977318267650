/* SPDX-License-Identifier: MIT */
/* The GDB remote serial protocol stub: -s (= -gdb tcp::1234), -gdb
 * tcp:[HOST]:PORT and -S, as in QEMU.
 *
 * It runs inside the kairo process. The machine loop calls
 * gdb_stub_service() before every CPU slice: while the guest runs it polls
 * the socket without blocking (a new connection or Ctrl-C stops the guest);
 * while the guest is stopped it blocks there, answering packets, until gdb
 * resumes, detaches or kills. Breakpoints and watchpoints are lists the CPU
 * checks through its CpuDebugger hooks (guest memory is never patched),
 * kept in debug/breakpoints.c and shared with the monitor; with none set
 * and no step in progress the hooks are off and the CPU runs at full
 * speed. */
#ifndef KAIRO_GDBSTUB_H
#define KAIRO_GDBSTUB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cpu/cpu.h"
#include "debug/breakpoints.h"

typedef struct GdbStub GdbStub;

typedef enum {
    GDB_GO,            /* run the next slice */
    GDB_KILL,          /* gdb sent k / vKill: end the run */
    GDB_HOST_SIGNAL,   /* SIGINT/SIGTERM arrived while the guest was stopped */
} GdbVerdict;

/* Listen on spec ("tcp::PORT", "tcp:HOST:PORT"; port 0 picks a free one).
 * Prints the port it listens on. start_stopped (-S): the guest waits for
 * gdb to connect and resume it. NULL, with a message in err, on failure. */
GdbStub *gdb_stub_new(const char *spec, Cpu *cpu, bool start_stopped, char *err,
                      size_t errlen);
/* A stub already talking to a connected socket (tests, embedding); the
 * guest starts stopped. */
GdbStub *gdb_stub_new_connected(int fd, Cpu *cpu);
/* Between CPU slices (see above). host_signal: the process's stop flag. */
GdbVerdict gdb_stub_service(GdbStub *g, volatile sig_atomic_t *host_signal);
/* Called, about every 5 ms, while the stub blocks with the guest stopped
 * (the window refreshes and takes input from it). Returning true ends
 * the wait: gdb_stub_service() returns GDB_GO with the guest still
 * stopped, and the caller must see to it that no slice runs (the window
 * was closed: the machine loop ends the run). */
typedef bool (*GdbIdleFn)(void *opaque);
void gdb_stub_set_idle_hook(GdbStub *g, GdbIdleFn fn, void *opaque);
/* -smp: every CPU as a thread (thread n = cpus[n - 1]). All-stop: a stop
 * on any CPU stops them all and names its thread; Hg selects whose
 * registers and memory gdb sees, Hc (or a vCont thread) which CPU a step
 * steps alone (docs/SMP.md). */
#define GDB_MAX_THREADS 16
void gdb_stub_set_cpus(GdbStub *g, Cpu *const *cpus, int n);
/* gdb's `monitor LINE` (qRcmd): the line goes to fn, which writes what
 * gdb prints into out (at most outlen bytes) and returns its length. */
typedef size_t (*GdbMonitorFn)(void *opaque, const char *line, char *out, size_t outlen);
void gdb_stub_set_monitor(GdbStub *g, GdbMonitorFn fn, void *opaque);
/* Refuse memory and register writes (E22): a recorded or replayed run
 * would no longer match its log. */
void gdb_stub_set_read_only(GdbStub *g, bool read_only);
/* Reverse execution (bs, bc; advertised in qSupported once set): fn
 * moves the guest back one instruction (step) or to the last breakpoint
 * or watchpoint hit, and says where it stopped (begin: at the start of
 * history); false when it could not. fork is told before gdb changes a
 * register or memory (the recorded future no longer follows). */
typedef bool (*GdbReverseFn)(void *opaque, bool step, DbgStop *stop, bool *begin);
typedef void (*GdbForkFn)(void *opaque);
void gdb_stub_set_reverse(GdbStub *g, GdbReverseFn fn, GdbForkFn fork, void *opaque);
/* The run ended with this exit status: a connected gdb gets W<status>. */
void gdb_stub_report_exit(GdbStub *g, int status);
void gdb_stub_free(GdbStub *g);

#endif
