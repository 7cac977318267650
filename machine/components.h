/* SPDX-License-Identifier: MIT */
/* The machine's component registry (machine/components.c): which
 * descriptor serves which part of the Machine, under which instance name. */
#ifndef KAIRO_COMPONENTS_H
#define KAIRO_COMPONENTS_H

#include <stdbool.h>
#include <stdio.h>

struct Machine;

/* Register every component the machine was built with, in the order reset
 * and load go through them (teardown goes backwards). Called once the
 * devices exist; prints a one-line error and returns false on failure. */
bool machine_register_components(struct Machine *m);
/* `info devices`: name, kind and version of each registered component. */
void machine_list_components(const struct Machine *m, FILE *out);

#endif
