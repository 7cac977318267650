/* SPDX-License-Identifier: MIT */
/* Host commands through the record/replay seam (see replay_host.h). */
#include "machine/replay_host.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "machine/machine.h"

void replay_hash_file(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(out, outlen, "missing");
        return;
    }
    static uint8_t buf[1 << 16];
    uLong crc = crc32(0, NULL, 0);
    uint64_t size = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = crc32(crc, buf, (uInt)n);
        size += n;
    }
    fclose(f);
    snprintf(out, outlen, "%" PRIu64 ":%08lx", size, (unsigned long)crc);
}

/* --- the payload --- */

/* The NUL-terminated string at *pos, or NULL past the end. */
static const char *take_string(const uint8_t *p, size_t len, size_t *pos)
{
    const uint8_t *nul = *pos < len ? memchr(p + *pos, 0, len - *pos) : NULL;
    if (!nul)
        return NULL;
    const char *s = (const char *)p + *pos;
    *pos = (size_t)(nul - p) + 1;
    return s;
}

bool replay_host_parse(const uint8_t *p, size_t len, HostRecord *out)
{
    memset(out, 0, sizeof *out);
    if (len < 2 || p[0] < 1 || p[0] > HOST_CMD_MAX || p[1] > 1)
        return false;
    out->cmd = p[0];
    out->flag = p[1];
    if (out->cmd != HOST_MEDIUM)
        return len == 2;
    size_t pos = 2;
    out->device = take_string(p, len, &pos);
    out->path = take_string(p, len, &pos);
    out->file_hash = take_string(p, len, &pos);
    return out->file_hash && pos == len && out->device[0] && (out->flag || !out->path[0]);
}

static void log_host(Machine *m, uint8_t cmd, uint8_t flag, const char *device, const char *path)
{
    if (!replay_recording(&m->replay))
        return;
    uint8_t p[REPLAY_MAX_PAYLOAD];
    p[0] = cmd;
    p[1] = flag;
    size_t len = 2;
    if (cmd == HOST_MEDIUM) {
        char hash[64];
        replay_hash_file(path ? path : "", hash, sizeof hash);
        if (!path)
            snprintf(hash, sizeof hash, "-");
        int n = snprintf((char *)p + 2, sizeof p - 2, "%s%c%s%c%s", device, 0, path ? path : "",
                         0, hash);
        if (n < 0 || (size_t)n + 1 > sizeof p - 2) {
            replay_fail(&m->replay, "-record: a medium's name is too long for the log");
            return;
        }
        len += (size_t)n + 1;
    }
    replay_log(&m->replay, RK_HOST, p, len);
}

/* --- what is allowed --- */

bool replay_host_allowed(Machine *m, const char *what, char *err, size_t errlen)
{
    if (!replay_playing(&m->replay))
        return true;
    snprintf(err, errlen, "%s: not available while replaying a log (the log drives the guest)",
             what);
    return false;
}

bool replay_host_state_write_allowed(Machine *m, const char *what, char *err, size_t errlen)
{
    /* --reverse alone: a loaded state starts a new history (machine/timetravel.c). */
    if (!replay_file_active(&m->replay))
        return true;
    snprintf(err, errlen, "%s: not available while %s a log (the replay could not follow)",
             what, replay_playing(&m->replay) ? "replaying" : "recording");
    return false;
}

/* --- the commands --- */

static void apply_reset(Machine *m, bool by_host)
{
    m->reset_requested = true;
    m->reset_by_host = by_host;
    m->cpu->stop_request = true;
}

bool host_system_reset(Machine *m, bool by_host, char *err, size_t errlen)
{
    if (!replay_host_allowed(m, "system_reset", err, errlen))
        return false;
    apply_reset(m, by_host);
    log_host(m, HOST_RESET, by_host, NULL, NULL);
    return true;
}

bool host_system_powerdown(Machine *m, char *err, size_t errlen)
{
    if (!replay_host_allowed(m, "system_powerdown", err, errlen))
        return false;
    acpi_pm_power_button(&m->acpi);
    log_host(m, HOST_POWERDOWN, 0, NULL, NULL);
    return true;
}

bool host_system_wakeup(Machine *m, char *err, size_t errlen)
{
    if (!replay_host_allowed(m, "system_wakeup", err, errlen))
        return false;
    if (!m->wake_requested)
        log_host(m, HOST_WAKEUP, 0, NULL, NULL);
    m->wake_requested = true;
    return true;
}

void replay_host_log_medium(Machine *m, const char *device, const char *path)
{
    log_host(m, HOST_MEDIUM, path != NULL, device, path);
}

/* --- replay --- */

static void apply_medium(Machine *m, const ReplayEvent *e, const HostRecord *h)
{
    const char *path = h->flag ? h->path : NULL;
    char hash[64], err[300];
    if (path) {
        replay_hash_file(path, hash, sizeof hash);
        if (strcmp(hash, h->file_hash)) {
            replay_fail(&m->replay, "replay at icount %" PRIu64 ": %s is not the medium "
                        "inserted when recorded (%s, log %s)", e->icount, path, hash,
                        h->file_hash);
            return;
        }
    }
    if (machine_change_medium_unlogged(m, h->device, path, err, sizeof err) != MEDIA_OK)
        replay_fail(&m->replay, "replay diverged at icount %" PRIu64 ": %s", e->icount, err);
}

void replay_host_apply(Machine *m, const ReplayEvent *e)
{
    HostRecord h;
    if (!replay_host_parse(e->data, e->len, &h)) {
        replay_fail(&m->replay, "log corrupt at icount %" PRIu64 " (bad host command)",
                    e->icount);
        return;
    }
    switch (h.cmd) {
    case HOST_RESET: apply_reset(m, h.flag); break;
    case HOST_POWERDOWN: acpi_pm_power_button(&m->acpi); break;
    case HOST_WAKEUP: m->wake_requested = true; break;
    case HOST_MEDIUM: apply_medium(m, e, &h); break;
    }
}
