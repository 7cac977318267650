/* SPDX-License-Identifier: MIT */
/* The monitor's connection: stdin/stdout, one client at a time on a
 * listening TCP or Unix socket, or an in-memory channel (the window's
 * console). Lines in, answers out; never blocks longer than the caller's
 * timeout. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "debug/monitor_int.h"
#include "machine/host_socket.h"

static void conn_reset(MonConn *c)
{
    memset(c, 0, sizeof *c);
    c->listen_fd = c->in_fd = c->out_fd = -1;
}

/* "tcp:[HOST]:PORT[,server][,nowait]": always a listening server. */
static bool listen_tcp(MonConn *c, const char *spec, char *err, size_t errlen)
{
    char host[256], port[8], why[300];
    if (!host_parse_tcp(spec + 4, host, sizeof host, port, sizeof port)) {
        snprintf(err, errlen, "-monitor: bad spec '%s' (tcp:[HOST]:PORT[,server])", spec);
        return false;
    }
    c->listen_fd = host_tcp_listen(host, port, why, sizeof why);
    if (c->listen_fd < 0) {
        snprintf(err, errlen, "-monitor: %s", why);
        return false;
    }
    fprintf(stderr, "kairo: monitor listening on tcp:%s:%u\n", host,
            host_socket_port(c->listen_fd));
    return true;
}

static bool listen_unix(MonConn *c, const char *spec, char *err, size_t errlen)
{
    const char *path = spec + 5;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strcspn(path, ",");   /* QEMU's ",server,nowait" are accepted */
    if (!n || n >= sizeof sa.sun_path) {
        snprintf(err, errlen, "-monitor: bad unix socket path in '%s'", spec);
        return false;
    }
    memcpy(sa.sun_path, path, n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "-monitor: socket: %s", strerror(errno));
        return false;
    }
    unlink(sa.sun_path);   /* a stale socket from an earlier run */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "-monitor: cannot listen on %s: %s", sa.sun_path, strerror(errno));
        close(fd);
        return false;
    }
    c->listen_fd = fd;
    snprintf(c->unix_path, sizeof c->unix_path, "%s", sa.sun_path);
    fprintf(stderr, "kairo: monitor listening on unix:%s\n", c->unix_path);
    return true;
}

bool monconn_open(MonConn *c, const char *spec, char *err, size_t errlen)
{
    conn_reset(c);
    if (!strcmp(spec, "stdio")) {
        c->is_stdio = true;
        c->in_fd = 0;
        c->out_fd = 1;
        return true;
    }
    if (!strncmp(spec, "tcp:", 4))
        return listen_tcp(c, spec, err, errlen);
    if (!strncmp(spec, "unix:", 5))
        return listen_unix(c, spec, err, errlen);
    snprintf(err, errlen, "-monitor: unknown device '%s' (stdio, tcp:[HOST]:PORT, unix:PATH, vc)",
             spec);
    return false;
}

void monconn_open_channel(MonConn *c, MonitorOutputFn out, void *opaque)
{
    conn_reset(c);
    c->is_channel = true;
    c->channel_out = out;
    c->channel_opaque = opaque;
}

bool monconn_push_line(MonConn *c, const char *line)
{
    size_t n = strlen(line);
    if (!c->is_channel || c->rx_len + n + 1 > sizeof c->rx)
        return false;
    memcpy(c->rx + c->rx_len, line, n);
    c->rx[c->rx_len + n] = '\n';
    c->rx_len += n + 1;
    return true;
}

bool monconn_connected(const MonConn *c)
{
    return c->is_channel || c->in_fd >= 0;
}

static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, timeout_ms) > 0;
}

bool monconn_accept(MonConn *c, int timeout_ms)
{
    if (monconn_connected(c))
        return true;
    if (c->listen_fd < 0 || !wait_readable(c->listen_fd, timeout_ms))
        return false;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    c->in_fd = c->out_fd = fd;
    c->rx_len = 0;
    c->skipping = false;
    return true;
}

/* Move the first line of rx into line; false when rx holds no full line. */
static bool take_line(MonConn *c)
{
    for (size_t i = 0; i < c->rx_len; i++) {
        char ch = c->rx[i];
        /* A Ctrl-C byte (a raw terminal, `nc`) is a `stop` of its own. */
        if (ch != '\n' && ch != 0x03)
            continue;
        size_t n = i;
        if (n && c->rx[n - 1] == '\r')
            n--;
        c->overlong = c->skipping || n >= sizeof c->line;
        if (ch == 0x03)
            snprintf(c->line, sizeof c->line, "stop");
        else {
            if (n >= sizeof c->line)
                n = sizeof c->line - 1;
            memcpy(c->line, c->rx, n);
            c->line[n] = 0;
        }
        c->skipping = false;
        memmove(c->rx, c->rx + i + 1, c->rx_len - i - 1);
        c->rx_len -= i + 1;
        return true;
    }
    if (c->rx_len == sizeof c->rx) {
        /* No newline in a whole buffer: drop it and the rest of the line. */
        c->rx_len = 0;
        c->skipping = true;
    }
    return false;
}

int monconn_read_line(MonConn *c, int timeout_ms)
{
    if (!monconn_connected(c))
        return -1;
    if (take_line(c))
        return 1;
    if (c->is_channel) {
        /* Lines arrive from this thread only (monconn_push_line, between
         * waits): nothing can come during the wait, so just take it. */
        if (timeout_ms > 0)
            poll(NULL, 0, timeout_ms);
        return 0;
    }
    if (!wait_readable(c->in_fd, timeout_ms))
        return 0;
    ssize_t n = read(c->in_fd, c->rx + c->rx_len, sizeof c->rx - c->rx_len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        if (c->is_stdio) {
            c->eof = true;
            c->in_fd = -1;
        } else
            monconn_drop_client(c);
        return -1;
    }
    c->rx_len += (size_t)n;
    return take_line(c) ? 1 : 0;
}

void monconn_send(MonConn *c, const char *buf, size_t len)
{
    if (c->is_channel) {
        if (len && c->channel_out)
            c->channel_out(c->channel_opaque, buf, len);
        return;
    }
    while (len && c->out_fd >= 0) {
        ssize_t n = c->is_stdio ? write(c->out_fd, buf, len)
                                : send(c->out_fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!c->is_stdio)
                monconn_drop_client(c);
            else
                c->out_fd = -1;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void monconn_drop_client(MonConn *c)
{
    if (c->is_stdio || c->is_channel)
        return;
    if (c->in_fd >= 0)
        close(c->in_fd);
    c->in_fd = c->out_fd = -1;
    c->rx_len = 0;
}

void monconn_close(MonConn *c)
{
    monconn_drop_client(c);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->unix_path[0])
        unlink(c->unix_path);
    conn_reset(c);
}
