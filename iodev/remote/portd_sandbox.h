/* SPDX-License-Identifier: MIT */
/* kairo-portd gives up what it no longer needs once its sockets, device
 * files and port permissions are open: the user (setuid), every
 * capability, the ability to gain privileges again (no_new_privs), and
 * every system call outside a short allowlist (seccomp). */
#ifndef KAIRO_REMOTE_PORTD_SANDBOX_H
#define KAIRO_REMOTE_PORTD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* user: the account to become (NULL: "nobody" when running as root,
 * stay otherwise). seccomp: install the allowlist. False with a one-line
 * reason in err; what was done goes to `done` (for the start-up line). */
bool pd_drop_privileges(const char *user, bool seccomp, char *err, size_t errlen, char *done,
                        size_t donelen);

#endif
