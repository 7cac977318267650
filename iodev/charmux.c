/* -serial mon:stdio (iodev/charmux.h). */
#include "iodev/charmux.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define CTRL_A 0x01

static void put(CharMux *x, const char *text)
{
    size_t len = strlen(text);
    while (len) {
        ssize_t n = write(x->fd_out, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

void charmux_init(CharMux *x, int fd_in, int fd_out, bool monitor_focus,
                  void (*monitor_line)(void *opaque, const char *line), void *opaque)
{
    memset(x, 0, sizeof *x);
    x->fd_in = fd_in;
    x->fd_out = fd_out;
    x->monitor_focus = monitor_focus;
    x->monitor_line = monitor_line;
    x->opaque = opaque;
}

static void to_guest(CharMux *x, uint8_t byte)
{
    if (x->count == sizeof x->pending)
        return;   /* the guest reads nothing: typed-ahead bytes beyond 4 KiB are lost */
    x->pending[(x->head + x->count++) % sizeof x->pending] = byte;
}

static void to_monitor(CharMux *x, uint8_t byte)
{
    if (byte == '\r' || byte == '\n') {
        x->line[x->line_len] = 0;
        x->line_len = 0;
        x->monitor_line(x->opaque, x->line);
    } else if ((byte == 0x7F || byte == 0x08) && x->line_len) {
        x->line_len--;
    } else if (byte >= 0x20 && x->line_len < sizeof x->line - 1) {
        x->line[x->line_len++] = (char)byte;
    }
}

/* The key after Ctrl-A. */
static void escape_key(CharMux *x, uint8_t key)
{
    switch (key) {
    case 'c':
        x->monitor_focus = !x->monitor_focus;
        put(x, x->monitor_focus ? "\r\n(kairo) " : "\r\n");
        break;
    case 'x':
        put(x, "\r\nkairo: terminated (Ctrl-A x)\r\n");
        x->monitor_line(x->opaque, "quit");
        break;
    case 'h':
    case '?':
        put(x, "\r\nC-a h    this help\r\nC-a x    end the run\r\n"
               "C-a c    switch between the guest's console and the monitor\r\n"
               "C-a C-a  send C-a to the guest\r\n");
        break;
    case CTRL_A:
        to_guest(x, CTRL_A);
        break;
    default:
        put(x, "\r\nkairo: unknown Ctrl-A key (Ctrl-A h lists them)\r\n");
        break;
    }
}

void charmux_input(CharMux *x, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (x->escape) {
            x->escape = false;
            escape_key(x, buf[i]);
        } else if (buf[i] == CTRL_A) {
            x->escape = true;
        } else if (x->monitor_focus) {
            to_monitor(x, buf[i]);
        } else {
            to_guest(x, buf[i]);
        }
    }
}

bool charmux_pump(CharMux *x)
{
    if (x->eof || x->fd_in < 0)
        return false;
    struct pollfd p = { .fd = x->fd_in, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
        return false;
    uint8_t buf[256];
    ssize_t n = read(x->fd_in, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            x->eof = true;
        return false;
    }
    charmux_input(x, buf, (size_t)n);
    return true;
}

size_t charmux_take(CharMux *x, uint8_t *buf, size_t max)
{
    size_t n = 0;
    while (n < max && x->count) {
        buf[n++] = x->pending[x->head];
        x->head = (x->head + 1) % sizeof x->pending;
        x->count--;
    }
    return n;
}

void charmux_monitor_output(void *opaque, const char *text, size_t len)
{
    CharMux *x = opaque;
    if (!x->monitor_focus)
        return;   /* the guest has the terminal: the monitor stays quiet */
    while (len) {
        ssize_t n = write(x->fd_out, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}
