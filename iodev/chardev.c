/* Character backends: stdio (output and input), file (output), none. */
#include "iodev/chardev.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

bool chardev_open(CharDev *c, const char *spec, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd_out = -1;
    c->fd_in = -1;
    if (strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0) {
        c->kind = CHARDEV_NONE;
        return true;
    }
    if (strcmp(spec, "stdio") == 0) {
        c->kind = CHARDEV_STDIO;
        c->fd_out = STDOUT_FILENO;
        c->fd_in = STDIN_FILENO;
        return true;
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        c->file = fopen(spec + 5, "wb");
        if (!c->file) {
            snprintf(err, errlen, "cannot open '%s': %s", spec + 5, strerror(errno));
            return false;
        }
        c->kind = CHARDEV_FILE;
        return true;
    }
    snprintf(err, errlen, "unknown character backend '%s' (want stdio, file:PATH or none)", spec);
    return false;
}

void chardev_write(CharDev *c, const uint8_t *buf, size_t len)
{
    switch (c->kind) {
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

size_t chardev_read(CharDev *c, uint8_t *buf, size_t max)
{
    if (c->fd_in < 0 || c->input_eof || !max)
        return 0;
    struct pollfd p = { .fd = c->fd_in, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
        return 0;
    ssize_t n = read(c->fd_in, buf, max);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            c->input_eof = true;   /* end of input: stop polling */
        return 0;
    }
    return (size_t)n;
}

void chardev_flush(CharDev *c)
{
    if (c->kind == CHARDEV_FILE && c->file)
        fflush(c->file);
}

void chardev_close(CharDev *c)
{
    if (c->kind == CHARDEV_FILE && c->file) {
        if (fclose(c->file) != 0)
            fprintf(stderr, "kairo: closing console file failed\n");
        c->file = NULL;
    }
    c->kind = CHARDEV_NONE;
}
