/* SPDX-License-Identifier: MIT */
/* Disk image files (see blockdev.h). */
#include "iodev/blockdev.h"

#include "iodev/qcow2.h"

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

/* --- formats --- */

/* -drive format= per path. */
static struct {
    char path[1024];
    bool qcow2;
} format_hint[8];
static int n_format_hints;

bool blockdev_set_format(const char *path, const char *format)
{
    bool qcow2 = !strcmp(format, "qcow2");
    if (!qcow2 && strcmp(format, "raw"))
        return false;
    int i = 0;
    while (i < n_format_hints && strcmp(format_hint[i].path, path))
        i++;
    if (i == n_format_hints) {
        if (n_format_hints == (int)(sizeof format_hint / sizeof format_hint[0]))
            return true;    /* more drives than kairo has: harmless */
        n_format_hints++;
    }
    snprintf(format_hint[i].path, sizeof format_hint[i].path, "%s", path);
    format_hint[i].qcow2 = qcow2;
    return true;
}

static const char *format_for(const char *path)
{
    for (int i = 0; i < n_format_hints; i++)
        if (!strcmp(format_hint[i].path, path))
            return format_hint[i].qcow2 ? "qcow2" : "raw";
    return NULL;
}

/* Formats QEMU reads and kairo does not, by their signatures. */
static const struct {
    const char *name;
    uint32_t offset;
    const char *magic;
    uint8_t len;
} foreign_formats[] = {
    { "vmdk", 0, "KDMV", 4 },
    { "vmdk", 0, "COWD", 4 },
    { "vmdk", 0, "# Disk DescriptorFile", 21 },
    { "vdi", 0x40, "\x7f\x10\xda\xbe", 4 },
    { "vhdx", 0, "vhdxfile", 8 },
    { "vhd", 0, "conectix", 8 },
    { "qed", 0, "QED\0", 4 },
    { "qcow (version 1)", 0, "QFI\xfb\0\0\0\x01", 8 },
    { "parallels", 0, "WithoutFreeSpace", 16 },
    { "parallels", 0, "WithouFreSpacExt", 16 },
};

static const char *foreign_format(int fd, const uint8_t *head, size_t len, uint64_t size)
{
    for (size_t i = 0; i < sizeof foreign_formats / sizeof foreign_formats[0]; i++) {
        uint32_t off = foreign_formats[i].offset;
        if (off + foreign_formats[i].len <= len &&
            !memcmp(head + off, foreign_formats[i].magic, foreign_formats[i].len))
            return foreign_formats[i].name;
    }
    /* A fixed-size VHD is raw data with a 512-byte footer. */
    char footer[8];
    if (size >= 1024 && pread(fd, footer, 8, (off_t)(size - 512)) == 8 &&
        !memcmp(footer, "conectix", 8))
        return "vhd (fixed)";
    return NULL;
}

/* --- locks --- */

/* QEMU's scheme (OFD locks, shared with every qemu process): byte 100+b
 * is read-locked by each holder of permission b, byte 200+b by each user
 * that does not let others have permission b. Permissions: 0 consistent
 * read, 1 write, 3 resize. Writers hold 100, 101; everyone refuses to
 * share write and resize (201, 203). */
#define LOCK_PERM_BASE 100
#define LOCK_SHARED_BASE 200
#define PERM_READ 0
#define PERM_WRITE 1
#define PERM_RESIZE 3

static int lock_byte(int fd, int cmd, short type, int byte)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
    if (fcntl(fd, cmd, &fl) != 0)
        return -1;
    return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 0;
}

static bool image_lock(int fd, bool writer, const char *path, char *err, size_t errlen)
{
    const int held[] = { LOCK_PERM_BASE + PERM_READ, LOCK_PERM_BASE + PERM_WRITE,
                         LOCK_SHARED_BASE + PERM_WRITE, LOCK_SHARED_BASE + PERM_RESIZE };
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        if (held[i] == LOCK_PERM_BASE + PERM_WRITE && !writer)
            continue;
        if (lock_byte(fd, F_OFD_SETLK, F_RDLCK, held[i]) == 0)
            continue;
        if (errno == EINVAL || errno == ENOTSUP || errno == ENOLCK) {
            static bool told;
            if (!told)
                fprintf(stderr, "kairo: image locking unavailable on '%s' (%s): not locked "
                        "(logged once)\n", path, strerror(errno));
            told = true;
            return true;
        }
        snprintf(err, errlen, "image '%s' is in use by another process (kairo or QEMU): %s",
                 path, strerror(errno));
        return false;
    }
    /* Someone writing it (we do not share write), or someone who does not
     * let us write it. */
    if (lock_byte(fd, F_OFD_GETLK, F_WRLCK, LOCK_PERM_BASE + PERM_WRITE) == 1 ||
        (writer && lock_byte(fd, F_OFD_GETLK, F_WRLCK, LOCK_SHARED_BASE + PERM_WRITE) == 1)) {
        snprintf(err, errlen, "image '%s' is in use by another process (kairo or QEMU)%s: "
                 "cannot get the %s lock", path, writer ? "" : " that writes it",
                 writer ? "write" : "shared read");
        return false;
    }
    return true;
}

/* --- opening --- */

static bool open_fd(const char *path, bool *readonly, bool allow_ro_fallback, int *out,
                    char *err, size_t errlen)
{
    int fd = open(path, (*readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0 && !*readonly && allow_ro_fallback && (errno == EACCES || errno == EROFS)) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        *readonly = true;
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
    *out = fd;
    return true;
}

/* Chooses raw or qcow2 (format NULL: by the file's first bytes) and sets
 * bd->size; other formats are refused. */
static bool open_format(BlockDev *bd, bool file_readonly, const char *format, int depth,
                        char *err, size_t errlen)
{
    struct stat st;
    uint8_t head[512] = { 0 };
    fstat(bd->fd, &st);
    bd->size = (uint64_t)st.st_size;
    ssize_t got = pread(bd->fd, head, sizeof head, 0);
    size_t n = got > 0 ? (size_t)got : 0;
    if (format && !strcmp(format, "raw"))
        return true;
    bool qcow2 = qcow2_probe(head, n) && !(n >= 8 && head[7] == 1 && !head[4] && !head[5] &&
                                            !head[6]);
    if (format && strcmp(format, "qcow2")) {
        snprintf(err, errlen, "image '%s': format '%s' is not supported (raw, qcow2)", bd->path,
                 format);
        return false;
    }
    if (format && !qcow2) {
        snprintf(err, errlen, "image '%s' is not a qcow2 image (format=qcow2 given)", bd->path);
        return false;
    }
    const char *foreign = qcow2 ? NULL : foreign_format(bd->fd, head, n, bd->size);
    if (foreign) {
        snprintf(err, errlen, "image '%s' is in %s format, which kairo does not read: convert "
                 "it with 'qemu-img convert -O raw' (or -O qcow2)", bd->path, foreign);
        return false;
    }
    if (!qcow2)
        return true;
    bd->qcow2 = qcow2_open(bd->fd, bd->path, file_readonly, depth, &bd->size, err, errlen);
    return bd->qcow2 != NULL;
}

static bool open_image(BlockDev *bd, const char *path, bool readonly, bool allow_ro_fallback,
                       bool snapshot, const char *format, int depth, char *err, size_t errlen)
{
    blockdev_init_empty(bd);
    int fd;
    bool file_readonly = readonly || snapshot;  /* the guest may still write the overlay */
    if (!open_fd(path, &file_readonly, allow_ro_fallback, &fd, err, errlen))
        return false;
    bd->fd = fd;
    bd->readonly = snapshot ? readonly : file_readonly;
    snprintf(bd->path, sizeof bd->path, "%s", path);
    if (!image_lock(fd, !file_readonly, path, err, errlen) ||
        !open_format(bd, file_readonly, format, depth, err, errlen)) {
        close(fd);
        bd->fd = -1;
        return false;
    }
    if (snapshot) {
        bd->overlay_chunks = (bd->size + BLOCKDEV_CHUNK - 1) / BLOCKDEV_CHUNK;
        bd->overlay = calloc(bd->overlay_chunks, sizeof *bd->overlay);
        if (!bd->overlay) {
            snprintf(err, errlen, "image '%s': no memory for the snapshot overlay", path);
            blockdev_close(bd);
            return false;
        }
    }
    return true;
}

bool blockdev_open(BlockDev *bd, const char *path, bool readonly, bool allow_ro_fallback,
                   char *err, size_t errlen)
{
    return open_image(bd, path, readonly, allow_ro_fallback, snapshot_mode && !readonly,
                      format_for(path), 0, err, errlen);
}

bool blockdev_open_backing(BlockDev *bd, const char *path, const char *format, int depth,
                           char *err, size_t errlen)
{
    return open_image(bd, path, true, false, false, format, depth, err, errlen);
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
    qcow2_close(bd->qcow2);
    bd->qcow2 = NULL;
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
    if (bd->qcow2)
        return qcow2_read(bd->qcow2, offset, buf, len);
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
    bd->dirty = true;
    if (bd->qcow2)
        return qcow2_write(bd->qcow2, offset, buf, len);
    const uint8_t *p = buf;
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
    if (bd->qcow2 ? !qcow2_flush(bd->qcow2) : fsync(bd->fd) != 0) {
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
