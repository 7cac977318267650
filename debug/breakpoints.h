/* SPDX-License-Identifier: MIT */
/* Breakpoints, watchpoints and single steps, shared by the debuggers that
 * drive a CPU (the gdb stub and the monitor).
 *
 * A CPU has one CpuDebugger hook set; both front ends reach it through one
 * DebugPoints per CPU (dbg_acquire), and every point carries its owner so
 * that each front end lists, deletes and reports only its own. Guest memory
 * is never patched: the CPU asks the hooks at instruction boundaries
 * (breakpoints, steps), on accesses to watched pages (memory watchpoints),
 * and the port bus on accesses to watched ports. With nothing set the hooks
 * are off and the CPU runs at full speed. */
#ifndef KAIRO_BREAKPOINTS_H
#define KAIRO_BREAKPOINTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

typedef struct DebugPoints DebugPoints;

typedef enum { DBG_OWNER_GDB, DBG_OWNER_MONITOR } DbgOwner;

/* Breakpoint types: gdb's Z0/Z1 numbers, and physical (monitor `pb`). */
enum { BP_SOFT = 0, BP_HARD = 1, BP_PHYS = 5 };
/* Watchpoint types: gdb's Z2/Z3/Z4 numbers. */
enum { WATCH_WRITE = 2, WATCH_READ = 3, WATCH_ACCESS = 4 };

enum { DBG_MAX_CPUS = 16, DBG_MAX_BREAK = 64, DBG_MAX_WATCH = 32, DBG_MAX_PORT_WATCH = 16, DBG_MAX_WATCH_LEN = 4096 };

typedef enum {
    DSTOP_NONE,
    DSTOP_STEP,     /* a single step completed */
    DSTOP_BREAK,    /* a breakpoint at CS:EIP (not yet executed) */
    DSTOP_WATCH,    /* a memory watchpoint: the access completed */
    DSTOP_PORT,     /* a port watch: the IN/OUT completed */
} DbgStopKind;

typedef struct DbgStop {
    DbgStopKind kind;
    int id;             /* the point that was hit */
    int type;           /* BP_* or WATCH_* */
    uint32_t addr;      /* watch: the watched linear address touched; port: the port */
    bool write;         /* watch/port: the access was a write */
    Cpu *cpu;           /* the CPU that stopped (-smp: any of them) */
} DbgStop;

/* One point as listed: kind tells which fields mean something. */
typedef struct DbgPoint {
    int id;
    DbgOwner owner;
    enum { DBG_BREAK, DBG_WATCH, DBG_PORT } kind;
    int type;
    uint64_t addr;      /* breakpoint (linear or physical), watch start, first port */
    uint32_t len;       /* watch length; last port - first + 1 */
    uint64_t hits;
} DbgPoint;

/* The CPU's shared instance, created on first use (counted references).
 * Every CPU on the same memory (-smp) shares it: a breakpoint or watchpoint
 * stops whichever CPU reaches it, and then the whole machine (all-stop). */
DebugPoints *dbg_acquire(Cpu *cpu);
void dbg_release(DebugPoints *d);

/* Add a point; returns its id (an identical one already there gives its
 * id), -1 when the list is full, -2 for a bad range. */
int dbg_add_break(DebugPoints *d, DbgOwner owner, int type, uint64_t addr);
int dbg_add_watch(DebugPoints *d, DbgOwner owner, int type, uint32_t addr, uint32_t len);
int dbg_add_port_watch(DebugPoints *d, DbgOwner owner, uint16_t first, uint16_t last);
/* Remove by value (gdb's z packets) or by id (the monitor's `delete`);
 * false when there was no such point. */
bool dbg_remove_break(DebugPoints *d, DbgOwner owner, int type, uint64_t addr);
bool dbg_remove_watch(DebugPoints *d, DbgOwner owner, int type, uint32_t addr, uint32_t len);
bool dbg_remove_id(DebugPoints *d, DbgOwner owner, int id);
void dbg_clear_owner(DebugPoints *d, DbgOwner owner);
/* The owner's points, in id order, up to max; returns how many. */
int dbg_list(const DebugPoints *d, DbgOwner owner, DbgPoint *out, int max);

/* Let the guest run (step: for one instruction) for owner. No breakpoint
 * is reported at the instruction the CPU that stopped last resumes at. A
 * step steps the focus CPU (dbg_set_focus; the one that stopped last by
 * default) alone: the others stay where they are (cpus_run_slice). */
void dbg_resume(DebugPoints *d, DbgOwner owner, bool step);
void dbg_set_focus(DebugPoints *d, Cpu *cpu);
/* For the machine's CPU loop, given any CPU of the machine: the CPU a step
 * in progress runs (NULL: none, every CPU runs), and whether a hook has
 * stopped a CPU (the other CPUs must not run on). */
Cpu *dbg_stepping_cpu(const Cpu *any);
bool dbg_stop_pending(const Cpu *any);
/* Did a hook stop the CPU for owner? Takes the stop (once). */
bool dbg_take_stop(DebugPoints *d, DbgOwner owner, DbgStop *out);

/* --- for reverse execution (machine/timetravel.c) --- */
/* Hooks off (true) while history is run again up to a target, and back on. */
void dbg_suspend(DebugPoints *d, bool suspended);
/* Stop before the next instruction the CPU executes (after any interrupt
 * it takes first), as a forward step would arrive there; for owner. */
void dbg_stop_next(DebugPoints *d, DbgOwner owner);
/* A scan for reverse-continue: while it lasts, hits of owner's points
 * are noted (the last one: the position of the breakpoint's or the
 * accessing instruction, in executed instructions) and the CPU runs on,
 * whole blocks where no breakpoint lies. dbg_scan_end says whether there
 * was one. */
void dbg_scan_begin(DebugPoints *d, DbgOwner owner);
bool dbg_scan_end(DebugPoints *d, uint64_t *pos, DbgStop *stop);
/* Take whatever stop a hook made, for any owner; false if none. */
bool dbg_take_any(DebugPoints *d, DbgStop *out, DbgOwner *owner);

#endif
