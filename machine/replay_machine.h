/* SPDX-License-Identifier: MIT */
/* Record/replay, the machine's side (see replay.h, docs/REPLAY.md).
 * Usage from machine.c: replay_machine_open after the CPU exists (before
 * the RTC takes its start time), replay_machine_attach once the devices
 * exist, replay_machine_slice to cut slices, replay_machine_between_slices
 * at the top of each loop turn (false: the log ended or diverged),
 * replay_machine_credit for host time credited, replay_machine_finish at
 * the end of the run. */
#ifndef KAIRO_REPLAY_MACHINE_H
#define KAIRO_REPLAY_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

struct Machine;

bool replay_machine_open(struct Machine *m);
void replay_machine_attach(struct Machine *m);
uint64_t replay_machine_slice(struct Machine *m, uint64_t n);
void replay_machine_credit(struct Machine *m, uint64_t insns);
bool replay_machine_between_slices(struct Machine *m);
int replay_machine_finish(struct Machine *m, int status);
void replay_machine_close(struct Machine *m);

#endif
