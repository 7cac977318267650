/* SPDX-License-Identifier: MIT */
/* -device vmport in the machine: the device, the CPU's open ports and
 * register file, the -vmport options (docs/VMPORT.md). */
#ifndef KAIRO_HOSTCALL_H
#define KAIRO_HOSTCALL_H

#include <stdbool.h>

struct Machine;

/* After the CPU and the log exist; a one-line error and false on failure. */
bool hostcall_setup(struct Machine *m);

#endif
