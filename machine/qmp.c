/* SPDX-License-Identifier: MIT */
/* QMP: the server, the framing of commands and replies, events and run
 * control (see qmp.h); the commands are in qmp_cmds.c. */
#include "machine/qmp_int.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "debug/monitor.h"
#include "machine/host_socket.h"
#include "machine/machine.h"

#define QMP_WAIT_MS 10   /* poll period while the guest is held stopped */

bool qmp_fail(QmpError *e, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->desc, sizeof e->desc, fmt, ap);
    va_end(ap);
    e->cls = cls;
    return false;
}

/* --- sending --- */

/* One message and QEMU's "\r\n"; a client that does not read for a second
 * is dropped rather than stalling the guest. */
static void send_text(Qmp *q, const char *text, size_t len)
{
    while (q->fd >= 0 && len) {
        ssize_t n = send(q->fd, text, len, MSG_NOSIGNAL);
        if (n > 0) {
            text += n;
            len -= (size_t)n;
            continue;
        }
        struct pollfd p = { .fd = q->fd, .events = POLLOUT };
        if ((n < 0 && (errno == EAGAIN || errno == EINTR)) && poll(&p, 1, 1000) > 0)
            continue;
        close(q->fd);
        q->fd = -1;
    }
}

static void send_message(Qmp *q, FILE *msg, char **buf, size_t *len)
{
    fputs("\r\n", msg);
    fclose(msg);
    send_text(q, *buf, *len);
    free(*buf);
}

void qmp_event(Qmp *q, const char *name, const char *data)
{
    if (!q || q->fd < 0 || !q->caps)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *msg = open_memstream(&buf, &len);
    if (!msg)
        return;
    fprintf(msg, "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %ld}, \"event\": ",
            (long long)tv.tv_sec, (long)tv.tv_usec);
    json_write_string(msg, name);
    if (data)
        fprintf(msg, ", \"data\": %s", data);
    fputc('}', msg);
    send_message(q, msg, &buf, &len);
}

static void send_greeting(Qmp *q)
{
    static const char greeting[] =
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 0}, "
        "\"package\": \"kairo 0.1.0\"}, \"capabilities\": [\"oob\"]}}\r\n";
    send_text(q, greeting, sizeof greeting - 1);
}

/* --- one command --- */

static void reply(Qmp *q, const JsonValue *id, const char *ret, const QmpError *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *msg = open_memstream(&buf, &len);
    if (!msg)
        return;
    if (e) {
        fputs("{\"error\": {\"class\": ", msg);
        json_write_string(msg, e->cls);
        fputs(", \"desc\": ", msg);
        json_write_string(msg, e->desc);
        fputc('}', msg);
    } else {
        fprintf(msg, "{\"return\": %s", ret && ret[0] ? ret : "{}");
    }
    if (id) {
        fputs(", \"id\": ", msg);
        json_write(msg, id);
    }
    fputc('}', msg);
    send_message(q, msg, &buf, &len);
}

static void run_command(Qmp *q, const JsonValue *req)
{
    const JsonValue *id = json_get(req, "id");
    const char *name = json_get_string(req, "execute");
    if (!name)
        name = json_get_string(req, "exec-oob");
    const JsonValue *args = json_get(req, "arguments");
    QmpError e = { 0 };
    if (req->kind != JSON_OBJECT)
        qmp_fail(&e, "GenericError", "QMP input must be a JSON object");
    else if (!name)
        qmp_fail(&e, "GenericError", "QMP input lacks member 'execute'");
    else if (args && args->kind != JSON_OBJECT)
        qmp_fail(&e, "GenericError", "QMP input member 'arguments' must be an object");
    else if (!q->caps && strcmp(name, "qmp_capabilities"))
        qmp_fail(&e, "CommandNotFound",
                 "Expecting capabilities negotiation with 'qmp_capabilities'");
    else if (q->caps && !strcmp(name, "qmp_capabilities"))
        qmp_fail(&e, "CommandNotFound", "Capabilities negotiation is already complete, command "
                                        "ignored");
    if (e.cls) {
        reply(q, id, NULL, &e);
        return;
    }
    const QmpCommand *c = qmp_find_command(name);
    if (!c) {
        qmp_fail(&e, "CommandNotFound", "The command %s has not been found", name);
        reply(q, id, NULL, &e);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *ret = open_memstream(&buf, &len);
    if (!ret)
        return;
    static const JsonValue empty = { .kind = JSON_OBJECT };
    bool ok = c->fn(q, args ? args : &empty, ret, &e);
    fclose(ret);
    reply(q, id, buf, ok ? NULL : &e);
    free(buf);
    if (ok && !strcmp(name, "qmp_capabilities"))
        q->caps = true;
}

/* Every whole command in the input buffer. */
static void take_commands(Qmp *q)
{
    for (;;) {
        long n = json_frame(q->in, q->in_len);
        if (n == 0 && q->in_len == sizeof q->in)
            n = -1;   /* one command larger than the buffer: garbage */
        if (n == 0)
            return;
        if (n < 0) {
            QmpError e;
            qmp_fail(&e, "GenericError", "JSON parse error, invalid input");
            reply(q, NULL, NULL, &e);
            q->in_len = 0;
            return;
        }
        char err[200];
        JsonValue *req = json_parse(q->in, (size_t)n, err, sizeof err);
        memmove(q->in, q->in + n, q->in_len - (size_t)n);
        q->in_len -= (size_t)n;
        if (req) {
            run_command(q, req);
        } else {
            QmpError e;
            qmp_fail(&e, "GenericError", "%s", err);
            reply(q, NULL, NULL, &e);
        }
        json_free(req);
        if (q->fd < 0 || q->quit)
            return;
    }
}

/* --- the connection --- */

static void accept_client(Qmp *q)
{
    if (q->fd >= 0 || q->listen_fd < 0)
        return;
    int fd = accept4(q->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    q->fd = fd;
    q->caps = false;
    q->in_len = 0;
    send_greeting(q);
}

/* Read what the client sent and answer it; wait up to timeout_ms. */
static void poll_client(Qmp *q, int timeout_ms)
{
    struct pollfd p = { .fd = q->fd >= 0 ? q->fd : q->listen_fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0)
        return;
    if (q->fd < 0) {
        accept_client(q);
        return;
    }
    ssize_t n = recv(q->fd, q->in + q->in_len, sizeof q->in - q->in_len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(q->fd);   /* the client went away; the next one gets a greeting */
        q->fd = -1;
        return;
    }
    if (n > 0) {
        q->in_len += (size_t)n;
        take_commands(q);
    }
}

QmpVerdict qmp_service(Qmp *q, volatile sig_atomic_t *host_signal)
{
    qmp_check_block_errors(q);
    poll_client(q, 0);
    while (q->stopped && !q->quit) {
        if (*host_signal)
            return QMP_HOST_SIGNAL;
        poll_client(q, QMP_WAIT_MS);
    }
    return q->quit ? QMP_QUIT : QMP_GO;
}

void qmp_stop_at_start(Qmp *q)
{
    q->stopped = true;
}

bool qmp_stopped(const Qmp *q)
{
    return q && q->stopped;
}

/* --- listening --- */

static int listen_unix(Qmp *q, const char *path, size_t n, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!n || n >= sizeof sa.sun_path) {
        snprintf(err, errlen, "-qmp: bad unix socket path");
        return -1;
    }
    memcpy(sa.sun_path, path, n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "-qmp: socket: %s", strerror(errno));
        return -1;
    }
    unlink(sa.sun_path);   /* a stale socket from an earlier run */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "-qmp: cannot listen on %s: %s", sa.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(q->unix_path, sizeof q->unix_path, "%s", sa.sun_path);
    return fd;
}

Qmp *qmp_new(const char *spec, Machine *m, char *err, size_t errlen)
{
    Qmp *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory for QMP");
        return NULL;
    }
    q->m = m;
    q->fd = -1;
    const char *opts = strchr(spec, ',');
    bool nowait = opts && (strstr(opts, ",wait=off") || strstr(opts, ",nowait"));
    if (!strncmp(spec, "unix:", 5)) {
        q->listen_fd = listen_unix(q, spec + 5, strcspn(spec + 5, ","), err, errlen);
    } else if (!strncmp(spec, "tcp:", 4)) {
        char host[256], port[16], why[300];
        if (!host_parse_tcp(spec + 4, host, sizeof host, port, sizeof port)) {
            snprintf(err, errlen, "-qmp: bad spec '%s' (tcp:[HOST]:PORT,server[,wait=off])", spec);
            q->listen_fd = -1;
        } else if ((q->listen_fd = host_tcp_listen(host, port, why, sizeof why)) < 0) {
            snprintf(err, errlen, "-qmp: %s", why);
        }
    } else {
        snprintf(err, errlen, "-qmp: unknown device '%s' (unix:PATH,server or "
                              "tcp:[HOST]:PORT,server)", spec);
        q->listen_fd = -1;
    }
    if (q->listen_fd < 0) {
        free(q);
        return NULL;
    }
    if (q->unix_path[0])
        fprintf(stderr, "kairo: QMP listening on unix:%s\n", q->unix_path);
    else
        fprintf(stderr, "kairo: QMP listening on tcp port %u\n", host_socket_port(q->listen_fd));
    while (!nowait && q->fd < 0) {
        struct pollfd p = { .fd = q->listen_fd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0) {
            snprintf(err, errlen, "-qmp: no client: %s", strerror(errno));
            qmp_free(q);
            return NULL;
        }
        accept_client(q);
    }
    return q;
}

void qmp_free(Qmp *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    if (q->listen_fd >= 0)
        close(q->listen_fd);
    if (q->unix_path[0])
        unlink(q->unix_path);
    monitor_free(q->hmp);
    if (q->hmp_out)
        fclose(q->hmp_out);
    free(q->hmp_buf);
    free(q);
}
