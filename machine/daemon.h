/* SPDX-License-Identifier: MIT */
/* -daemonize and -pidfile, as QEMU does them: the parent returns only once
 * the child has built the machine (or failed to), and the pid file is
 * locked while kairo runs and removed at exit. */
#ifndef KAIRO_DAEMON_H
#define KAIRO_DAEMON_H

#include <stdbool.h>

/* Fork; in the parent, wait for daemon_ready() or the child's death and
 * exit with 0 or 1 (never returns). In the child: returns, in a new
 * session. False (message printed) when fork fails. */
bool daemon_start(void);
/* The child built its machine: stdio goes to /dev/null, the parent exits 0. */
void daemon_ready(void);

/* Write our pid to path, locked; false (message printed) when another
 * process holds it. */
bool pidfile_create(const char *path);
void pidfile_remove(void);

#endif
