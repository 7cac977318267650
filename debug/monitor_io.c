/* The monitor's connection: stdin/stdout, or one client at a time on a
 * listening TCP or Unix socket. Lines in, answers out; never blocks longer
 * than the caller's timeout. */
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

static void conn_reset(MonConn *c)
{
    memset(c, 0, sizeof *c);
    c->listen_fd = c->in_fd = c->out_fd = -1;
}

/* "tcp:[HOST]:PORT[,server][,nowait]": always a listening server. */
static bool parse_tcp(const char *spec, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *h = spec + 4;
    const char *colon = strrchr(h, ':');
    const char *comma = strchr(h, ',');
    if (comma && colon > comma)
        colon = NULL;
    if (!colon)
        return false;
    /* The last ':' before any option separates host and port ([::1] aside). */
    size_t hl = (size_t)(colon - h);
    if (hl >= hostlen)
        return false;
    memcpy(host, h, hl);
    host[hl] = 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    const char *p = colon + 1;
    size_t n = strcspn(p, ",");
    if (!n || n >= portlen || strspn(p, "0123456789") != n)
        return false;
    memcpy(port, p, n);
    port[n] = 0;
    for (const char *opt = p + n; *opt;) {
        opt++;
        size_t k = strcspn(opt, ",");
        bool known = (k == 6 && !strncmp(opt, "server", 6)) ||
                     (k == 6 && !strncmp(opt, "nowait", 6)) ||
                     (k == 8 && !strncmp(opt, "wait=off", 8));
        if (!known)
            return false;
        opt += k;
    }
    return strtol(port, NULL, 10) <= 65535;
}

static bool listen_tcp(MonConn *c, const char *spec, char *err, size_t errlen)
{
    char host[256], port[8];
    if (!parse_tcp(spec, host, sizeof host, port, sizeof port)) {
        snprintf(err, errlen, "-monitor: bad spec '%s' (tcp:[HOST]:PORT[,server])", spec);
        return false;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (r) {
        snprintf(err, errlen, "-monitor: %s: %s", host, gai_strerror(r));
        return false;
    }
    int saved = 0;
    for (struct addrinfo *a = res; a && c->listen_fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            saved = errno;
            close(fd);
            continue;
        }
        c->listen_fd = fd;
    }
    freeaddrinfo(res);
    if (c->listen_fd < 0) {
        snprintf(err, errlen, "-monitor: cannot listen on port %s: %s", port, strerror(saved));
        return false;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    unsigned bound = 0;
    if (getsockname(c->listen_fd, (struct sockaddr *)&ss, &len) == 0)
        bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    fprintf(stderr, "kairo: monitor listening on tcp:%s:%u\n", host, bound);
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
    snprintf(err, errlen, "-monitor: unknown device '%s' (stdio, tcp:[HOST]:PORT, unix:PATH)",
             spec);
    return false;
}

static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, timeout_ms) > 0;
}

bool monconn_accept(MonConn *c, int timeout_ms)
{
    if (c->in_fd >= 0)
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
    if (c->in_fd < 0)
        return -1;
    if (take_line(c))
        return 1;
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
    if (c->is_stdio)
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
