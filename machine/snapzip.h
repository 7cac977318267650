/* SPDX-License-Identifier: MIT */
/* The state stream of a snapshot, deflated in independent chunks on two
 * threads (machine/snapzip.c): a 256 MiB guest's RAM is most of a
 * snapshot, and one zlib stream on one core is what savevm would wait for.
 *
 * Layout: u32 chunk count n; n x (u32 raw length, u32 deflated length);
 * the n zlib streams one after the other. Every raw chunk but the last is
 * SNAPZIP_CHUNK bytes. */
#ifndef KAIRO_SNAPZIP_H
#define KAIRO_SNAPZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPZIP_CHUNK (4u << 20)

/* *out is malloc'ed; false when out of memory. */
bool snapzip_deflate(const uint8_t *raw, size_t len, uint8_t **out, size_t *out_len);
/* Fills raw[0..raw_len) exactly; false when the container or any chunk is
 * damaged or does not add up to raw_len. */
bool snapzip_inflate(const uint8_t *z, size_t zlen, uint8_t *raw, size_t raw_len);

#endif
