/* SPDX-License-Identifier: MIT */
/* A disk image file behind a storage device (floppy, IDE disk, CD-ROM).
 *
 * Usage: blockdev_open(&bd, path, readonly, err, len); then read/write whole
 * byte ranges; blockdev_flush() on the guest's FLUSH and at exit.
 * Writes go straight to the file (pwrite), so nothing the guest wrote is
 * lost if kairo is killed; flush adds fsync. A failed write is reported on
 * stderr once per error kind and returned to the device, which tells the
 * guest (an I/O error status), never silently dropped.
 *
 * Snapshot mode (-snapshot): the image is opened read-only and the guest's
 * writes go to an overlay in memory, 4 KiB chunks allocated on first write,
 * thrown away at close.
 *
 * Formats: raw, or qcow2 (qcow2.c) when the file starts with its magic;
 * vmdk, vdi, vhd, vhdx, qed and qcow version 1 are recognised and refused
 * with the qemu-img command that converts them. -drive format= forces a
 * format for one path (blockdev_set_format).
 *
 * Locks: every image is locked with OFD locks on the bytes QEMU uses, so a
 * second writer (kairo or QEMU) is refused; readers share. */
#ifndef KAIRO_BLOCKDEV_H
#define KAIRO_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/devstate.h"

typedef struct BlockDev {
    int fd;                 /* -1 when no image */
    char path[256];
    uint64_t size;          /* bytes */
    bool readonly;
    bool dirty;             /* written since the last flush */
    uint64_t write_errors;
    uint8_t **overlay;      /* snapshot mode: one chunk pointer per 4 KiB */
    uint64_t overlay_chunks;
    struct Qcow2 *qcow2;    /* NULL: raw */
} BlockDev;

#define BLOCKDEV_CHUNK 4096

/* Every image opened afterwards (not read-only ones) gets a snapshot
 * overlay: -snapshot. */
void blockdev_set_snapshot(bool on);

/* -drive file=PATH,format=raw|qcow2: later opens of PATH use that format
 * without probing (format=raw on a qcow2 file shows the file as it is,
 * as QEMU does). False for an unknown format name. */
bool blockdev_set_format(const char *path, const char *format);

void blockdev_init_empty(BlockDev *bd);
/* Open an image; false with a one-line reason in err (missing file,
 * unreadable, empty). readonly also applies when the file cannot be
 * opened for writing and the caller allowed it (allow_ro_fallback). */
bool blockdev_open(BlockDev *bd, const char *path, bool readonly, bool allow_ro_fallback,
                   char *err, size_t errlen);
/* A backing file of a qcow2 image: read-only, format given or probed;
 * depth bounds the chain. */
bool blockdev_open_backing(BlockDev *bd, const char *path, const char *format, int depth,
                           char *err, size_t errlen);
void blockdev_close(BlockDev *bd);
static inline bool blockdev_present(const BlockDev *bd) { return bd->fd >= 0; }

/* Byte-range I/O; false on an error or an access beyond the end. */
bool blockdev_read(BlockDev *bd, uint64_t offset, void *buf, size_t len);
bool blockdev_write(BlockDev *bd, uint64_t offset, const void *buf, size_t len);
/* fsync if anything was written; false if the flush failed (reported). */
bool blockdev_flush(BlockDev *bd);

/* Machine snapshots (machine/snapshot.c): the -snapshot overlay's written
 * chunks travel in the snapshot (none without -snapshot), and the image
 * file itself is identified by its size and a CRC-32 of its contents. */
void blockdev_save_overlay(const BlockDev *bd, StateWriter *w);
bool blockdev_load_overlay(BlockDev *bd, StateReader *r, char *err, size_t errlen);
bool blockdev_content_hash(BlockDev *bd, uint32_t *crc);

#endif
