/* SPDX-License-Identifier: MIT */
/* QMP commands (the table at the end). Replies take the shapes QEMU's
 * (the qapi schema) give them, so QEMU's clients read them unchanged. */
#include "machine/qmp_int.h"

#include <stdlib.h>
#include <string.h>

#include "debug/monitor.h"
#include "debug/monitor_int.h"
#include "machine/machine.h"
#include "machine/media.h"
#include "machine/replay_host.h"

/* --- arguments --- */

static const char *need_string(const JsonValue *args, const char *key, QmpError *e)
{
    const JsonValue *v = json_get(args, key);
    if (!v)
        qmp_fail(e, "GenericError", "Parameter '%s' is missing", key);
    else if (v->kind != JSON_STRING)
        qmp_fail(e, "GenericError", "Parameter '%s' expects a string", key);
    return v && v->kind == JSON_STRING ? v->string : NULL;
}

/* --- run state --- */

static bool cmd_capabilities(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)q, (void)args, (void)ret, (void)e;
    return true;
}

static bool cmd_query_status(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)e;
    bool held = q->stopped || (q->m->monitor && monitor_stopped(q->m->monitor));
    const char *status = q->m->shut_down ? "shutdown" : held ? "paused"
                       : q->m->suspended ? "suspended" : "running";
    bool running = !held && !q->m->shut_down;
    fprintf(ret, "{\"status\": \"%s\", \"singlestep\": false, \"running\": %s}", status,
            running ? "true" : "false");
    return true;
}

static bool cmd_query_version(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)q, (void)args, (void)e;
    fputs("{\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 0}, \"package\": \"kairo 0.1.0\"}",
          ret);
    return true;
}

static bool cmd_stop(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret, (void)e;
    if (!q->stopped) {
        q->stopped = true;
        qmp_event(q, "STOP", NULL);
    }
    return true;
}

static bool cmd_cont(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret, (void)e;
    if (q->stopped) {
        q->stopped = false;
        qmp_event(q, "RESUME", NULL);
    }
    return true;
}

/* Commands that change the guest go through the record/replay seam
 * (replay_host.c): logged when recording, refused when replaying. */
static bool cmd_system_reset(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret;
    char err[200];
    if (!host_system_reset(q->m, true, err, sizeof err))
        return qmp_fail(e, "GenericError", "%s", err);
    return true;
}

static bool cmd_system_powerdown(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret;
    char err[200];
    if (!host_system_powerdown(q->m, err, sizeof err))
        return qmp_fail(e, "GenericError", "%s", err);
    qmp_event(q, "POWERDOWN", NULL);
    return true;
}

/* -device vmport: what the guest's tools reported, and requests to them. */
static bool cmd_query_guest(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args;
    if (!q->m->opt.vmport)
        return qmp_fail(e, "DeviceNotFound", "no -device vmport");
    vmport_write_guest_json(&q->m->vmport, ret);
    return true;
}

static bool cmd_guest_request(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    const char *what = json_get_string(args, "request"), *err = NULL;
    if (!q->m->opt.vmport)
        return qmp_fail(e, "DeviceNotFound", "no -device vmport");
    if (!what)
        return qmp_fail(e, "GenericError", "Parameter 'request' is missing");
    if (!vmport_guest_request(&q->m->vmport, what, &err))
        return qmp_fail(e, "GenericError", "%s", err);
    return true;
}

static bool cmd_system_wakeup(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret;
    char err[200];
    if (!q->m->suspended)
        return qmp_fail(e, "GenericError", "Unable to wake up: guest is not in suspended state");
    if (!host_system_wakeup(q->m, err, sizeof err))
        return qmp_fail(e, "GenericError", "%s", err);
    return true;
}

static bool cmd_quit(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)ret, (void)e;
    q->quit = true;
    return true;
}

/* --- the screen and input --- */

/* A PPM (P6), QEMU's default screendump format. */
static bool write_ppm(const char *path, const VgaFrame *f, QmpError *e)
{
    FILE *out = fopen(path, "wb");
    if (!out)
        return qmp_fail(e, "GenericError", "Could not open '%s': cannot create the file", path);
    fprintf(out, "P6\n%u %u\n255\n", f->width, f->height);
    for (unsigned i = 0; i < f->width * f->height; i++) {
        uint32_t p = f->pixels[i];
        uint8_t rgb[3] = { (uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p };
        fwrite(rgb, 1, 3, out);
    }
    if (fclose(out) != 0)
        return qmp_fail(e, "GenericError", "Could not write '%s'", path);
    return true;
}

static bool cmd_screendump(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    const char *path = need_string(args, "filename", e);
    const char *format = json_get_string(args, "format");
    if (!path)
        return false;
    if (!q->m->has_vga)
        return qmp_fail(e, "GenericError", "There is no console to take a screendump from");
    if (format && !strcmp(format, "png"))
        return machine_screendump(q->m, path) ||
               qmp_fail(e, "GenericError", "Could not write '%s'", path);
    if (format && strcmp(format, "ppm"))
        return qmp_fail(e, "GenericError", "Parameter 'format' does not accept value '%s'",
                        format);
    return write_ppm(path, vga_render(&q->m->vga), e);
}

/* A KeyValue ({"type": "qcode", "data": NAME}) to a PS/2 key number. */
static bool key_of(const JsonValue *kv, uint16_t *key, QmpError *e)
{
    const char *type = json_get_string(kv, "type"), *name = json_get_string(kv, "data");
    int n = 0;
    if (!type || strcmp(type, "qcode") || !name)
        return qmp_fail(e, "GenericError", "Only {\"type\": \"qcode\", \"data\": NAME} keys "
                                           "are supported");
    if (strchr(name, '-') || !mon_parse_keys(name, key, &n) || n != 1)
        return qmp_fail(e, "GenericError", "Parameter 'data' does not accept value '%s'", name);
    return true;
}

static bool cmd_send_key(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    const JsonValue *keys = json_get(args, "keys");
    if (!keys || keys->kind != JSON_ARRAY || !keys->n)
        return qmp_fail(e, "GenericError", "Parameter 'keys' is missing");
    uint16_t codes[16];
    if (keys->n > 16)
        return qmp_fail(e, "GenericError", "At most 16 keys at once");
    for (int i = 0; i < keys->n; i++)
        if (!key_of(keys->items[i], &codes[i], e))
            return false;
    /* Pressed in order, released in reverse, as QEMU does (the release
     * follows at once: the 8042's queue keeps them apart). */
    char err[200];
    if (!replay_host_allowed(q->m, "send-key", err, sizeof err))
        return qmp_fail(e, "GenericError", "%s", err);
    if (q->m->suspended)   /* a key wakes a suspended PC, as in QEMU */
        host_system_wakeup(q->m, err, sizeof err);
    for (int i = 0; i < keys->n; i++)
        i8042_key_event(&q->m->kbc, codes[i], true);
    for (int i = keys->n - 1; i >= 0; i--)
        i8042_key_event(&q->m->kbc, codes[i], false);
    return true;
}

/* One InputEvent: key, btn or rel. */
static bool input_event(Qmp *q, const JsonValue *ev, QmpError *e)
{
    static const char *const buttons[] = { "left", "right", "middle" };
    const char *type = json_get_string(ev, "type");
    const JsonValue *data = json_get(ev, "data");
    const JsonValue *down = json_get(data, "down");
    if (type && !strcmp(type, "key")) {
        uint16_t key;
        if (!key_of(json_get(data, "key"), &key, e))
            return false;
        i8042_key_event(&q->m->kbc, key, down && down->boolean);
        return true;
    }
    if (type && !strcmp(type, "btn")) {
        const char *b = json_get_string(data, "button");
        for (unsigned i = 0; b && i < 3; i++)
            if (!strcmp(b, buttons[i])) {
                q->mouse_buttons = (uint8_t)((q->mouse_buttons & ~(1u << i)) |
                                             (down && down->boolean ? 1u << i : 0));
                i8042_mouse(&q->m->kbc, 0, 0, 0, q->mouse_buttons);
                return true;
            }
        return qmp_fail(e, "GenericError", "Unsupported button '%s'", b ? b : "?");
    }
    if (type && !strcmp(type, "rel")) {
        const char *axis = json_get_string(data, "axis");
        const JsonValue *value = json_get(data, "value");
        int v = value && value->kind == JSON_NUMBER ? (int)value->number : 0;
        bool x = axis && !strcmp(axis, "x");
        i8042_mouse(&q->m->kbc, x ? v : 0, x ? 0 : v, 0, q->mouse_buttons);
        return true;
    }
    return qmp_fail(e, "GenericError", "Input event type '%s' is not supported (key, btn, rel)",
                    type ? type : "?");
}

static bool cmd_input_send_event(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    const JsonValue *events = json_get(args, "events");
    if (!events || events->kind != JSON_ARRAY)
        return qmp_fail(e, "GenericError", "Parameter 'events' is missing");
    char err[200];
    if (!replay_host_allowed(q->m, "input-send-event", err, sizeof err))
        return qmp_fail(e, "GenericError", "%s", err);
    for (int i = 0; i < events->n; i++)
        if (!input_event(q, events->items[i], e))
            return false;
    return true;
}

/* --- the text monitor --- */

static bool cmd_hmp(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    const char *line = need_string(args, "command-line", e);
    if (!line)
        return false;
    if (!q->hmp) {
        q->hmp_out = open_memstream(&q->hmp_buf, &q->hmp_len);
        q->hmp = q->hmp_out ? monitor_new_stream(q->m, q->hmp_out) : NULL;
        if (!q->hmp)
            return qmp_fail(e, "GenericError", "out of memory for the monitor");
    }
    monitor_execute(q->hmp, line);
    fflush(q->hmp_out);
    json_write_string(ret, q->hmp_len ? q->hmp_buf : "");
    rewind(q->hmp_out);
    fflush(q->hmp_out);
    q->hmp_len = 0;
    return true;
}

/* --- drives --- */

static bool cmd_query_block(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)e;
    MachineDrive d[MACHINE_MAX_DRIVES];
    int n = machine_drives(q->m, d);
    fputc('[', ret);
    for (int i = 0; i < n; i++) {
        fprintf(ret, "%s{\"device\": \"%s\", \"qdev\": \"%s\", \"locked\": false, "
                     "\"removable\": %s, ",
                i ? ", " : "", d[i].name, d[i].name, d[i].removable ? "true" : "false");
        if (d[i].cdrom)
            fputs("\"tray_open\": false, ", ret);   /* only drives with a tray, as QEMU */
        if (blockdev_present(d[i].bd)) {
            fputs("\"inserted\": {\"file\": ", ret);
            json_write_string(ret, d[i].bd->path);
            fprintf(ret, ", \"ro\": %s, \"drv\": \"raw\", \"encrypted\": false, "
                         "\"image\": {\"filename\": ",
                    d[i].bd->readonly ? "true" : "false");
            json_write_string(ret, d[i].bd->path);
            fprintf(ret, ", \"format\": \"raw\", \"virtual-size\": %llu}}, ",
                    (unsigned long long)d[i].bd->size);
        }
        if (d[i].floppy < 0)
            fputs("\"io-status\": \"ok\", ", ret);   /* QEMU's floppies have none */
        fputs("\"type\": \"unknown\"}", ret);
    }
    fputc(']', ret);
    return true;
}

/* eject and blockdev-change-medium: the drive by "device" (or "id"). */
static bool change_medium(Qmp *q, const JsonValue *args, const char *path, QmpError *e)
{
    const char *name = json_get_string(args, "device");
    if (!name)
        name = json_get_string(args, "id");
    if (!name)
        return qmp_fail(e, "GenericError", "Parameter 'device' is missing");
    char err[300];
    MediaResult r = machine_change_medium(q->m, name, path, err, sizeof err);
    if (r == MEDIA_OK)
        return true;
    return qmp_fail(e, r == MEDIA_NO_DEVICE ? "DeviceNotFound" : "GenericError", "%s", err);
}

static bool cmd_eject(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    return change_medium(q, args, NULL, e);
}

static bool cmd_change_medium(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)ret;
    const char *path = need_string(args, "filename", e);
    const char *format = json_get_string(args, "format");
    if (!path)
        return false;
    if (format && strcmp(format, "raw"))
        return qmp_fail(e, "GenericError", "Only raw images can be inserted, not '%s'", format);
    return change_medium(q, args, path, e);
}

void qmp_check_block_errors(Qmp *q)
{
    MachineDrive d[MACHINE_MAX_DRIVES];
    int n = machine_drives(q->m, d);
    for (int i = 0; i < n; i++) {
        uint64_t now = d[i].bd->write_errors;
        if (now > q->write_errors[i]) {
            char data[700];
            snprintf(data, sizeof data, "{\"device\": \"%s\", \"node-name\": \"%s\", "
                                        "\"operation\": \"write\", \"action\": \"report\"}",
                     d[i].name, d[i].name);
            qmp_event(q, "BLOCK_IO_ERROR", data);
        }
        q->write_errors[i] = now;
    }
}

/* --- character devices --- */

static bool cmd_query_chardev(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)args, (void)e;
    const Options *o = &q->m->opt;
    const char *spec[4] = { o->serial ? o->serial : o->nographic ? "mon:stdio" : "none",
                            o->serial_extra[0], o->serial_extra[1], o->serial_extra[2] };
    fputc('[', ret);
    bool first = true;
    for (int i = 0; i < 4; i++) {
        if (!spec[i] || !strcmp(spec[i], "none"))
            continue;
        fprintf(ret, "%s{\"frontend-open\": true, \"filename\": ", first ? "" : ", ");
        json_write_string(ret, spec[i]);
        fprintf(ret, ", \"label\": \"serial%d\"}", i);
        first = false;
    }
    fputc(']', ret);
    return true;
}

static bool cmd_query_commands(Qmp *q, const JsonValue *args, FILE *ret, QmpError *e)
{
    (void)q, (void)args, (void)e;
    qmp_write_command_list(ret);
    return true;
}

static const QmpCommand commands[] = {
    { "qmp_capabilities", cmd_capabilities },
    { "query-status", cmd_query_status },
    { "query-version", cmd_query_version },
    { "query-commands", cmd_query_commands },
    { "query-block", cmd_query_block },
    { "query-chardev", cmd_query_chardev },
    { "stop", cmd_stop },
    { "cont", cmd_cont },
    { "system_reset", cmd_system_reset },
    { "system_powerdown", cmd_system_powerdown },
    { "system_wakeup", cmd_system_wakeup },
    { "query-guest", cmd_query_guest },
    { "guest-request", cmd_guest_request },
    { "quit", cmd_quit },
    { "screendump", cmd_screendump },
    { "send-key", cmd_send_key },
    { "input-send-event", cmd_input_send_event },
    { "human-monitor-command", cmd_hmp },
    { "eject", cmd_eject },
    { "blockdev-change-medium", cmd_change_medium },
};

const QmpCommand *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

void qmp_write_command_list(FILE *out)
{
    fputc('[', out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "%s{\"name\": \"%s\"}", i ? ", " : "", commands[i].name);
    fputc(']', out);
}
