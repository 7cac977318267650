/* SPDX-License-Identifier: MIT */
/* Reverse debugging (docs/REVERSE.md): with --reverse the machine keeps
 * its history in memory, checkpoints (machine/checkpoints.h) every N
 * instructions plus every input in the replay seam's memory log, and can
 * go back to any earlier instruction by restoring the checkpoint before it
 * and running forward with the logged inputs.
 *
 * Positions are counted in executed instructions (the instruction count
 * without the idle part a halted CPU skips): position p is the state just
 * before the instruction after the p-th one runs, after any interrupt
 * taken in between, which is where a forward single step stops.
 *
 * Usage from machine.c: tt_open after replay_machine_open, tt_between_slices
 * after replay_machine_between_slices, tt_slice in next_slice, tt_close at
 * teardown. The debuggers call tt_reverse_step/continue and tt_goto while
 * they hold the guest stopped. */
#ifndef KAIRO_TIMETRAVEL_H
#define KAIRO_TIMETRAVEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "debug/breakpoints.h"

struct Machine;

/* Where a reverse command left the guest. */
typedef struct TtStop {
    bool begin;         /* history ran out: the guest is at its start */
    bool hit;           /* stopped at a breakpoint or watchpoint hit (stop) */
    DbgStop stop;
    char error[160];    /* non-empty: the command failed and the guest did not move */
} TtStop;

bool tt_open(struct Machine *m);
void tt_close(struct Machine *m);
bool tt_enabled(const struct Machine *m);
void tt_between_slices(struct Machine *m);
uint64_t tt_slice(struct Machine *m, uint64_t n);
/* RAM and devices were replaced (a snapshot loaded): history restarts. */
void tt_discard(struct Machine *m);
/* The guest's state is changed by hand in the past (a debugger writes a
 * register or memory): the recorded future is dropped, and the guest runs
 * live from here. */
void tt_fork(struct Machine *m);

/* Back n instructions. */
bool tt_reverse_step(struct Machine *m, DbgOwner owner, uint64_t n, TtStop *out);
/* Back to the last hit of owner's breakpoints and watchpoints before the
 * current position (for a watchpoint: before the accessing instruction). */
bool tt_reverse_continue(struct Machine *m, DbgOwner owner, TtStop *out);
/* To the instruction count icount exactly (earlier or later in history). */
bool tt_goto_icount(struct Machine *m, uint64_t icount, TtStop *out);
/* Checkpoints, memory, the span of history, where the guest is in it. */
void tt_info(struct Machine *m, FILE *out);

/* The gdb stub's hooks (debug/gdbstub.h): travel back for bs (step) or bc. */
bool tt_gdb_reverse(void *machine, bool step, DbgStop *stop, bool *begin);
void tt_gdb_fork(void *machine);

#endif
