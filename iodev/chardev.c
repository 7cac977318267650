/* SPDX-License-Identifier: MIT */
/* Character backends: stdio (output and input), file (output), pty and
 * tcp (both ways), none. */
#include "iodev/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "iodev/expect.h"
#include "machine/host_socket.h"
#include "machine/replay.h"

static bool set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

/* A pseudo-terminal: the guest's port on the master, a terminal program
 * (screen, minicom) on the slave whose name is printed. */
static bool open_pty(CharDev *c, char *err, size_t errlen)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 || !set_nonblocking(fd)) {
        snprintf(err, errlen, "cannot create a pseudo-terminal: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);   /* bytes pass unchanged, as on a serial line */
        tcsetattr(fd, TCSANOW, &t);
    }
    c->kind = CHARDEV_PTY;
    c->fd_in = c->fd_out = fd;
    fprintf(stderr, "kairo: serial port on %s\n", ptsname(fd));
    return true;
}

static void tcp_accept(CharDev *c);

/* A server without nowait/wait=off waits for its first client before the
 * machine starts, as QEMU's does, so no early output is lost. A signal
 * (Ctrl-C) ends the wait. */
static bool wait_for_client(CharDev *c)
{
    for (;;) {
        struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0)
            return false;
        tcp_accept(c);
        if (c->fd_in >= 0)
            return true;
    }
}

/* "tcp:[HOST]:PORT[,server][,nowait|,wait=off]": a server listens and
 * takes one client at a time (the guest's output is dropped while none is
 * connected); without ",server" kairo connects as a client at start. */
static bool open_tcp(CharDev *c, const char *spec, char *err, size_t errlen)
{
    char host[256] = "", port[16] = "";
    const char *p = spec, *colon = strrchr(spec, ':');
    const char *opts = strchr(spec, ',');
    if (opts && colon > opts)
        colon = NULL;
    if (colon) {
        size_t hl = (size_t)(colon - p);
        size_t pl = (size_t)((opts ? opts : spec + strlen(spec)) - colon - 1);
        if (hl < sizeof host && pl && pl < sizeof port) {
            memcpy(host, p, hl);
            memcpy(port, colon + 1, pl);
        } else {
            colon = NULL;
        }
    }
    if (!colon || strspn(port, "0123456789") != strlen(port)) {
        snprintf(err, errlen, "bad tcp backend 'tcp:%s' (want tcp:[HOST]:PORT[,server][,nowait])",
                 spec);
        return false;
    }
    bool server = opts && strstr(opts, ",server");
    bool nowait = opts && (strstr(opts, ",nowait") || strstr(opts, ",wait=off"));
    int fd;
    if (server) {
        char why[300];
        fd = host_tcp_listen(host, port, why, sizeof why);
        if (fd < 0) {
            snprintf(err, errlen, "tcp:%s: %s", spec, why);
            return false;
        }
    } else {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
        if (rc != 0) {
            snprintf(err, errlen, "tcp:%s: %s", spec, gai_strerror(rc));
            return false;
        }
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 || !set_nonblocking(fd)) {
            snprintf(err, errlen, "tcp:%s: %s", spec, strerror(errno));
            if (fd >= 0)
                close(fd);
            freeaddrinfo(ai);
            return false;
        }
        freeaddrinfo(ai);
    }
    c->kind = CHARDEV_TCP;
    if (server) {
        c->listen_fd = fd;
        fprintf(stderr, "kairo: serial port waiting for a connection on tcp:%s\n", spec);
        if (!nowait && !wait_for_client(c)) {
            snprintf(err, errlen, "tcp:%s: no client: %s", spec, strerror(errno));
            close(fd);
            c->listen_fd = -1;
            return false;
        }
    } else {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd_in = c->fd_out = fd;
    }
    return true;
}

/* A tcp server takes a waiting client (one at a time). */
static void tcp_accept(CharDev *c)
{
    if (c->listen_fd < 0 || c->fd_in >= 0)
        return;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    set_nonblocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd_in = c->fd_out = fd;
    c->input_eof = false;
}

/* The peer went away: a server waits for the next one. */
static void tcp_drop(CharDev *c)
{
    if (c->kind != CHARDEV_TCP || c->fd_in < 0)
        return;
    close(c->fd_in);
    c->fd_in = c->fd_out = -1;
    c->input_eof = c->listen_fd < 0;
}

bool chardev_open(CharDev *c, const char *spec, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd_out = -1;
    c->fd_in = -1;
    c->listen_fd = -1;
    if (strcmp(spec, "pty") == 0)
        return open_pty(c, err, errlen);
    if (strncmp(spec, "tcp:", 4) == 0)
        return open_tcp(c, spec + 4, err, errlen);
    if (strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0) {
        c->kind = CHARDEV_NONE;
        return true;
    }
    bool mux = strncmp(spec, "mon:", 4) == 0;
    if (strcmp(spec + (mux ? 4 : 0), "stdio") == 0) {
        c->kind = CHARDEV_STDIO;
        c->fd_out = STDOUT_FILENO;
        c->fd_in = STDIN_FILENO;
        c->mux = mux;
        c->raw_tty = chardev_tty_raw(!mux);
        return true;
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        c->file = fopen(spec + 5, "wb");
        if (!c->file) {
            snprintf(err, errlen, "cannot open '%s': %s", spec + 5, strerror(errno));
            return false;
        }
        /* Unbuffered: a log file being followed (tail -f, a test waiting
         * for "login: ") sees every byte as the guest writes it, prompts
         * without a newline included. */
        setvbuf(c->file, NULL, _IONBF, 0);
        c->write_through = true;
        c->kind = CHARDEV_FILE;
        return true;
    }
    snprintf(err, errlen,
             "unknown character backend '%s' (want stdio, mon:stdio, file:PATH, pty, "
             "tcp:HOST:PORT[,server] or none)",
             spec);
    return false;
}

void chardev_write(CharDev *c, const uint8_t *buf, size_t len)
{
    /* History run again for reverse debugging: this output was written
     * the first time (machine/timetravel.c). */
    if (c->replay && c->replay->mem_playing)
        return;
    if (c->script)
        expect_feed(c->script, buf, len);
    switch (c->kind) {
    case CHARDEV_PTY:
    case CHARDEV_TCP:
        /* Nobody listening (no client yet: the input poll takes new ones;
         * a full pty): the bytes are lost, as on a serial line with nothing
         * attached. */
        while (len && c->fd_out >= 0) {
            ssize_t n = write(c->fd_out, buf, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EIO))
                break;
            if (n <= 0) {
                tcp_drop(c);
                break;
            }
            buf += n;
            len -= (size_t)n;
        }
        break;
    case CHARDEV_STDIO:
        while (len) {
            ssize_t n = write(c->fd_out, buf, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (!c->write_failed)
                    fprintf(stderr, "kairo: console write failed: %s\n", strerror(errno));
                c->write_failed = true;
                return;
            }
            buf += n;
            len -= (size_t)n;
        }
        break;
    case CHARDEV_FILE:
        if (fwrite(buf, 1, len, c->file) != len && !c->write_failed) {
            fprintf(stderr, "kairo: console file write failed\n");
            c->write_failed = true;
        }
        break;
    default:
        break;
    }
}

bool chardev_has_input(const CharDev *c)
{
    /* Under record/replay the UART polls as if input could always come,
     * in both modes alike, whatever the host backend is. */
    if (c->replay)
        return true;
    if (c->script && expect_active(c->script))
        return true;
    return c->listen_fd >= 0 || (c->fd_in >= 0 && !c->input_eof);
}

/* Host time, cheaply (a tick's resolution is plenty here). */
static uint64_t coarse_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

uint64_t chardev_poll_period_ns(const CharDev *c)
{
    /* Under record/replay the period must not depend on host time: when
     * the poll timer fires is guest-visible (the receive timeout). */
    if (c->replay)
        return 1000000;
    if ((c->script && expect_active(c->script)) || c->listen_fd >= 0)
        return 1000000;
    return coarse_now_ns() - c->last_input_ns < 200000000ull ? 1000000 : 10000000;
}

static size_t host_read(CharDev *c, uint8_t *buf, size_t max);

/* The replay seam: the host's bytes are logged, or replaced by the log's. */
size_t chardev_read(CharDev *c, uint8_t *buf, size_t max)
{
    /* History run again (reverse debugging): what the host types now waits
     * for the live run. */
    size_t n = c->replay && c->replay->mem_playing ? 0 : host_read(c, buf, max);
    return c->replay ? replay_serial(c->replay, c->replay_chan, buf, n, max) : n;
}

static size_t host_read(CharDev *c, uint8_t *buf, size_t max)
{
    if (c->script && max) {
        size_t n = expect_take(c->script, buf, max);
        if (n)
            return n;
    }
    if (c->kind == CHARDEV_TCP)
        tcp_accept(c);
    if (c->fd_in < 0 || c->input_eof || !max)
        return 0;
    /* The UART asks every millisecond of guest time; with nothing typed
     * a poll() every 2 ms of host time is enough (a key waits at most that
     * long) and halves an idle guest's system calls. */
    uint64_t now_ns = coarse_now_ns();
    if (now_ns < c->quiet_until_ns)
        return 0;
    struct pollfd p = { .fd = c->fd_in, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) {
        c->quiet_until_ns = now_ns + 2000000;
        return 0;
    }
    ssize_t n = read(c->fd_in, buf, max);
    if (n > 0)
        c->last_input_ns = now_ns;
    if (n > 0 && c->mux)
        return chardev_mux_filter(c, buf, (size_t)n, buf, max);
    if (n <= 0) {
        if (c->kind == CHARDEV_PTY)
            return 0;              /* EIO while no terminal has the slave open */
        if (c->kind == CHARDEV_TCP && (n == 0 || (errno != EINTR && errno != EAGAIN))) {
            tcp_drop(c);
            return 0;
        }
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            c->input_eof = true;   /* end of input: stop polling */
        return 0;
    }
    return (size_t)n;
}

bool chardev_wait_input(const CharDev *c, int timeout_ms)
{
    if (c->fd_in < 0 || c->input_eof)
        return false;
    struct pollfd p = { .fd = c->fd_in, .events = POLLIN };
    return poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLIN | POLLHUP));
}

void chardev_flush(CharDev *c)
{
    if (c->kind == CHARDEV_FILE && c->file)
        fflush(c->file);
}

void chardev_close(CharDev *c)
{
    if (c->raw_tty) {
        chardev_tty_restore();
        c->raw_tty = false;
    }
    if (c->kind == CHARDEV_PTY || c->kind == CHARDEV_TCP) {
        if (c->fd_in >= 0)
            close(c->fd_in);
        if (c->listen_fd >= 0)
            close(c->listen_fd);
        c->fd_in = c->fd_out = c->listen_fd = -1;
    }
    if (c->kind == CHARDEV_FILE && c->file) {
        if (fclose(c->file) != 0)
            fprintf(stderr, "kairo: closing console file failed\n");
        c->file = NULL;
    }
    c->kind = CHARDEV_NONE;
}
