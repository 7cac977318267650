/* SPDX-License-Identifier: MIT */
/* QEMU's qcow2 image format (versions 2 and 3), read and write, behind
 * the block-device layer (blockdev.c): the devices never see it.
 *
 * Usage: blockdev_open() probes the magic and calls qcow2_open() on the
 * already opened file; blockdev_read/write/flush/close dispatch here.
 *
 * What is kept: the L1 table in memory, L2 tables and refcount blocks in
 * small write-through caches. Refcounts are always exact (lazy refcounts
 * are permitted by the format, never required), so the dirty bit is
 * never set by kairo. Order on disk: refcounts of a batch of reserved
 * clusters (then a sync), the data or table, the pointer to it; frees of
 * dropped clusters only after the next flush. A crash anywhere leaves at
 * worst leaked clusters (refcount 1, unreferenced), never a reference to a
 * cluster counted as free. See docs/DISKS.md. */
#ifndef KAIRO_QCOW2_H
#define KAIRO_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct BlockDev;
typedef struct Qcow2 Qcow2;

/* The first bytes of a file are a qcow2 header (any version). */
bool qcow2_probe(const uint8_t *head, size_t len);

/* Open the qcow2 image on fd (which stays owned by the caller). Sets
 * *size to the virtual disk size. depth counts backing files already
 * open above this one. NULL with a one-line reason in err. */
Qcow2 *qcow2_open(int fd, const char *path, bool readonly, int depth, uint64_t *size,
                  char *err, size_t errlen);
void qcow2_close(Qcow2 *q);

bool qcow2_read(Qcow2 *q, uint64_t offset, void *buf, size_t len);
bool qcow2_write(Qcow2 *q, uint64_t offset, const void *buf, size_t len);
bool qcow2_flush(Qcow2 *q);

#endif
