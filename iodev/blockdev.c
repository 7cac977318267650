/* Disk image files (see blockdev.h). */
#include "iodev/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void blockdev_init_empty(BlockDev *bd)
{
    memset(bd, 0, sizeof *bd);
    bd->fd = -1;
}

bool blockdev_open(BlockDev *bd, const char *path, bool readonly, bool allow_ro_fallback,
                   char *err, size_t errlen)
{
    blockdev_init_empty(bd);
    int fd = open(path, readonly ? O_RDONLY : O_RDWR);
    if (fd < 0 && !readonly && allow_ro_fallback && (errno == EACCES || errno == EROFS)) {
        fd = open(path, O_RDONLY);
        readonly = true;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open image '%s': %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "image '%s' is not a regular file", path);
        close(fd);
        return false;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "image '%s' is empty", path);
        close(fd);
        return false;
    }
    bd->fd = fd;
    bd->size = (uint64_t)st.st_size;
    bd->readonly = readonly;
    snprintf(bd->path, sizeof bd->path, "%s", path);
    return true;
}

void blockdev_close(BlockDev *bd)
{
    if (bd->fd < 0)
        return;
    blockdev_flush(bd);
    close(bd->fd);
    bd->fd = -1;
}

bool blockdev_read(BlockDev *bd, uint64_t offset, void *buf, size_t len)
{
    if (bd->fd < 0 || offset > bd->size || len > bd->size - offset)
        return false;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(bd->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "kairo: read error on '%s' at %llu: %s\n", bd->path,
                    (unsigned long long)offset, n < 0 ? strerror(errno) : "unexpected end");
            return false;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}

bool blockdev_write(BlockDev *bd, uint64_t offset, const void *buf, size_t len)
{
    if (bd->fd < 0 || bd->readonly || offset > bd->size || len > bd->size - offset)
        return false;
    const uint8_t *p = buf;
    bd->dirty = true;
    while (len) {
        ssize_t n = pwrite(bd->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (bd->write_errors++ == 0)
                fprintf(stderr, "kairo: write error on '%s' at %llu: %s\n", bd->path,
                        (unsigned long long)offset, n < 0 ? strerror(errno) : "short write");
            return false;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}

bool blockdev_flush(BlockDev *bd)
{
    if (bd->fd < 0 || !bd->dirty)
        return true;
    if (fsync(bd->fd) != 0) {
        fprintf(stderr, "kairo: flushing '%s' failed: %s\n", bd->path, strerror(errno));
        return false;
    }
    bd->dirty = false;
    return true;
}
