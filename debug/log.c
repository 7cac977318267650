/* SPDX-License-Identifier: MIT */
/* The -d logger for unimp and guest_errors (debug/log.h). */
#include "debug/log.h"

static unsigned enabled_items;
static FILE *log_out;

void log_configure(unsigned items, FILE *out)
{
    enabled_items = items;
    log_out = out;
}

bool log_enabled(unsigned item)
{
    return (enabled_items & item) != 0;
}

/* The (dev, what, detail) triples already printed; past the table's end
 * new ones are printed every time rather than lost. */
static bool seen_before(const char *dev, const char *what, uint32_t detail, bool has_detail)
{
    typedef struct { const char *dev, *what; uint32_t detail; bool has_detail; } Seen;
    static Seen seen[512];
    static unsigned n_seen;
    for (unsigned i = 0; i < n_seen; i++)
        if (seen[i].dev == dev && seen[i].what == what && seen[i].detail == detail &&
            seen[i].has_detail == has_detail)
            return true;
    if (n_seen < sizeof seen / sizeof seen[0])
        seen[n_seen++] = (Seen){ dev, what, detail, has_detail };
    return false;
}

static void emit(unsigned item, const char *dev, const char *what, const uint32_t *detail,
                 const char *where)
{
    bool every = log_enabled(item);
    if (!every && seen_before(dev, what, detail ? *detail : 0, detail != NULL))
        return;
    FILE *out = log_out ? log_out : stderr;
    fprintf(out, "kairo: %s%s%s", dev ? dev : "", dev ? ": " : "", what);
    if (detail)
        fprintf(out, " 0x%X", *detail);
    if (where)
        fprintf(out, " at %s", where);
    fputs(every ? "\n" : " (logged once)\n", out);
}

void log_event(unsigned item, const char *dev, const char *what, uint32_t detail,
               const char *where)
{
    emit(item, dev, what, &detail, where);
}

void log_note(unsigned item, const char *dev, const char *what)
{
    emit(item, dev, what, NULL, NULL);
}
