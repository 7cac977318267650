/* SPDX-License-Identifier: MIT */
/* One logger for the -d items that devices and the CPU report by
 * themselves: unimp (a feature kairo does not model) and guest_errors (the
 * guest misused a device). Without the item on -d, each distinct message
 * is printed once (the project's rule for unimplemented things); with it,
 * every occurrence is. Either way they go to the -D file, or stderr. */
#ifndef KAIRO_LOG_H
#define KAIRO_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { LOG_UNIMP = 1u << 0, LOG_GUEST_ERROR = 1u << 1 };

/* -d's items (LOG_* bits) and -D's stream (NULL: stderr). */
void log_configure(unsigned items, FILE *out);
bool log_enabled(unsigned item);
/* "kairo: DEV: WHAT 0xDETAIL[ at WHERE]": once per (dev, what, detail)
 * unless the item is on. what must be a string literal (it is the key).
 * dev and where may be NULL. */
void log_event(unsigned item, const char *dev, const char *what, uint32_t detail,
               const char *where);
/* The same without a number. */
void log_note(unsigned item, const char *dev, const char *what);

#endif
