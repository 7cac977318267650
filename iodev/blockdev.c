/* Disk image files (see blockdev.h). */
#include "iodev/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static bool snapshot_mode;

void blockdev_set_snapshot(bool on)
{
    snapshot_mode = on;
}

void blockdev_init_empty(BlockDev *bd)
{
    memset(bd, 0, sizeof *bd);
    bd->fd = -1;
}

bool blockdev_open(BlockDev *bd, const char *path, bool readonly, bool allow_ro_fallback,
                   char *err, size_t errlen)
{
    blockdev_init_empty(bd);
    bool snapshot = snapshot_mode && !readonly;
    int fd = open(path, readonly || snapshot ? O_RDONLY : O_RDWR);
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
    if (snapshot) {
        bd->overlay_chunks = (bd->size + BLOCKDEV_CHUNK - 1) / BLOCKDEV_CHUNK;
        bd->overlay = calloc(bd->overlay_chunks, sizeof *bd->overlay);
        if (!bd->overlay) {
            snprintf(err, errlen, "image '%s': no memory for the snapshot overlay", path);
            close(fd);
            bd->fd = -1;
            return false;
        }
    }
    return true;
}

static void overlay_free(BlockDev *bd)
{
    for (uint64_t i = 0; bd->overlay && i < bd->overlay_chunks; i++)
        free(bd->overlay[i]);
    free(bd->overlay);
    bd->overlay = NULL;
    bd->overlay_chunks = 0;
}

void blockdev_close(BlockDev *bd)
{
    if (bd->fd < 0)
        return;
    blockdev_flush(bd);
    close(bd->fd);
    bd->fd = -1;
    overlay_free(bd);
}

static bool file_read(BlockDev *bd, uint64_t offset, void *buf, size_t len);

/* Snapshot mode: reads take overlay chunks where the guest wrote. */
static bool overlay_read(BlockDev *bd, uint64_t offset, uint8_t *p, size_t len)
{
    while (len) {
        uint64_t chunk = offset / BLOCKDEV_CHUNK;
        size_t in = (size_t)(offset % BLOCKDEV_CHUNK);
        size_t n = BLOCKDEV_CHUNK - in < len ? BLOCKDEV_CHUNK - in : len;
        if (bd->overlay[chunk])
            memcpy(p, bd->overlay[chunk] + in, n);
        else if (!file_read(bd, offset, p, n))
            return false;
        p += n;
        offset += n;
        len -= n;
    }
    return true;
}

static bool overlay_write(BlockDev *bd, uint64_t offset, const uint8_t *p, size_t len)
{
    while (len) {
        uint64_t chunk = offset / BLOCKDEV_CHUNK;
        size_t in = (size_t)(offset % BLOCKDEV_CHUNK);
        size_t n = BLOCKDEV_CHUNK - in < len ? BLOCKDEV_CHUNK - in : len;
        if (!bd->overlay[chunk]) {
            uint8_t *c = calloc(1, BLOCKDEV_CHUNK);
            uint64_t base = chunk * BLOCKDEV_CHUNK;
            size_t have = bd->size - base < BLOCKDEV_CHUNK ? (size_t)(bd->size - base)
                                                             : BLOCKDEV_CHUNK;
            if (!c || !file_read(bd, base, c, have)) {
                if (bd->write_errors++ == 0)
                    fprintf(stderr, "kairo: snapshot overlay of '%s': out of memory\n", bd->path);
                free(c);
                return false;
            }
            bd->overlay[chunk] = c;
        }
        memcpy(bd->overlay[chunk] + in, p, n);
        p += n;
        offset += n;
        len -= n;
    }
    return true;
}

bool blockdev_read(BlockDev *bd, uint64_t offset, void *buf, size_t len)
{
    if (bd->fd < 0 || offset > bd->size || len > bd->size - offset)
        return false;
    if (bd->overlay)
        return overlay_read(bd, offset, buf, len);
    return file_read(bd, offset, buf, len);
}

static bool file_read(BlockDev *bd, uint64_t offset, void *buf, size_t len)
{
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
    if (bd->overlay)
        return overlay_write(bd, offset, buf, len);
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

/* ======== machine snapshots ======== */

void blockdev_save_overlay(const BlockDev *bd, StateWriter *w)
{
    uint64_t n = 0;
    for (uint64_t i = 0; bd->overlay && i < bd->overlay_chunks; i++)
        n += bd->overlay[i] != NULL;
    state_put_u64(w, n);
    for (uint64_t i = 0; bd->overlay && i < bd->overlay_chunks; i++) {
        if (!bd->overlay[i])
            continue;
        state_put_u64(w, i);
        state_put_bytes(w, bd->overlay[i], BLOCKDEV_CHUNK);
    }
}

/* The overlay a snapshot carries replaces the current one; chunks the
 * snapshot does not list read from the image again. */
bool blockdev_load_overlay(BlockDev *bd, StateReader *r, char *err, size_t errlen)
{
    uint64_t n = state_get_u64(r);
    if (!state_ok(r))
        return true;   /* the caller reports the truncation */
    if (n && !bd->overlay) {
        snprintf(err, errlen, "snapshot: it carries written sectors of '%s', which is not "
                              "under -snapshot here", bd->path);
        return false;
    }
    if (n > bd->overlay_chunks) {
        snprintf(err, errlen, "snapshot: overlay of '%s' has more chunks than the image",
                 bd->path);
        return false;
    }
    for (uint64_t i = 0; bd->overlay && i < bd->overlay_chunks; i++) {
        free(bd->overlay[i]);
        bd->overlay[i] = NULL;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t i = state_get_u64(r);
        if (!state_ok(r))
            return true;
        if (i >= bd->overlay_chunks || bd->overlay[i]) {
            snprintf(err, errlen, "snapshot: overlay chunk %llu of '%s' is out of range or twice",
                     (unsigned long long)i, bd->path);
            return false;
        }
        bd->overlay[i] = malloc(BLOCKDEV_CHUNK);
        if (!bd->overlay[i]) {
            snprintf(err, errlen, "snapshot: no memory for the overlay of '%s'", bd->path);
            return false;
        }
        state_get_bytes(r, bd->overlay[i], BLOCKDEV_CHUNK);
    }
    return true;
}

bool blockdev_content_hash(BlockDev *bd, uint32_t *crc)
{
    uint8_t buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < bd->size;) {
        size_t n = bd->size - off < sizeof buf ? (size_t)(bd->size - off) : sizeof buf;
        if (!file_read(bd, off, buf, n))
            return false;
        c = crc32(c, buf, (uInt)n);
        off += n;
    }
    *crc = (uint32_t)c;
    return true;
}
