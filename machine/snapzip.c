/* SPDX-License-Identifier: MIT */
/* Chunked, two-thread deflate and inflate for snapshots (see snapzip.h). */
#include "machine/snapzip.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WORKERS 2

typedef struct Chunk {
    const uint8_t *src;
    uint8_t *dst;
    size_t src_len, dst_len;    /* dst_len: capacity in, length out */
    bool ok;
} Chunk;

typedef struct Job {
    Chunk *chunks;
    size_t n;
    int first;                  /* this worker takes chunks first, first + WORKERS... */
    bool inflate;
} Job;

static void do_chunk(Chunk *c, bool inflate)
{
    uLongf n = (uLongf)c->dst_len;
    /* Level 1: most of it is RAM, and speed matters more than the last
     * few percent of size. */
    int r = inflate ? uncompress(c->dst, &n, c->src, (uLong)c->src_len)
                    : compress2(c->dst, &n, c->src, (uLong)c->src_len, 1);
    c->ok = r == Z_OK && (!inflate || n == c->dst_len);
    c->dst_len = n;
}

static void *worker(void *arg)
{
    Job *j = arg;
    for (size_t i = (size_t)j->first; i < j->n; i += WORKERS)
        do_chunk(&j->chunks[i], j->inflate);
    return NULL;
}

/* Every chunk, on this thread and one more (or this one alone if no
 * thread can be had). */
static bool run_all(Chunk *chunks, size_t n, bool inflate)
{
    Job jobs[WORKERS];
    for (int w = 0; w < WORKERS; w++)
        jobs[w] = (Job){ chunks, n, w, inflate };
    pthread_t t;
    bool threaded = n > 1 && pthread_create(&t, NULL, worker, &jobs[1]) == 0;
    worker(&jobs[0]);
    if (threaded)
        pthread_join(t, NULL);
    else
        for (size_t i = 1; i < n; i += WORKERS)
            do_chunk(&chunks[i], inflate);
    for (size_t i = 0; i < n; i++)
        if (!chunks[i].ok)
            return false;
    return true;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool snapzip_deflate(const uint8_t *raw, size_t len, uint8_t **out, size_t *out_len)
{
    size_t n = (len + SNAPZIP_CHUNK - 1) / SNAPZIP_CHUNK;
    Chunk *chunks = calloc(n ? n : 1, sizeof *chunks);
    bool ok = chunks != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        Chunk *c = &chunks[i];
        c->src = raw + i * SNAPZIP_CHUNK;
        c->src_len = len - i * SNAPZIP_CHUNK < SNAPZIP_CHUNK ? len - i * SNAPZIP_CHUNK
                                                            : SNAPZIP_CHUNK;
        c->dst_len = compressBound((uLong)c->src_len);
        c->dst = malloc(c->dst_len);
        ok = c->dst != NULL;
    }
    ok = ok && run_all(chunks, n, false);
    size_t total = 4 + 8 * n;
    for (size_t i = 0; ok && i < n; i++)
        total += chunks[i].dst_len;
    uint8_t *buf = ok ? malloc(total) : NULL;
    if (buf) {
        put32(buf, (uint32_t)n);
        size_t pos = 4 + 8 * n;
        for (size_t i = 0; i < n; i++) {
            put32(buf + 4 + 8 * i, (uint32_t)chunks[i].src_len);
            put32(buf + 8 + 8 * i, (uint32_t)chunks[i].dst_len);
            memcpy(buf + pos, chunks[i].dst, chunks[i].dst_len);
            pos += chunks[i].dst_len;
        }
        *out = buf;
        *out_len = total;
    }
    for (size_t i = 0; chunks && i < n; i++)
        free(chunks[i].dst);
    free(chunks);
    return buf != NULL;
}

bool snapzip_inflate(const uint8_t *z, size_t zlen, uint8_t *raw, size_t raw_len)
{
    if (zlen < 4)
        return false;
    size_t n = get32(z);
    if (n != (raw_len + SNAPZIP_CHUNK - 1) / SNAPZIP_CHUNK || (zlen - 4) / 8 < n)
        return false;
    Chunk *chunks = calloc(n ? n : 1, sizeof *chunks);
    if (!chunks)
        return false;
    size_t pos = 4 + 8 * n, out = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        size_t rl = get32(z + 4 + 8 * i), zl = get32(z + 8 + 8 * i);
        size_t want = raw_len - out < SNAPZIP_CHUNK ? raw_len - out : SNAPZIP_CHUNK;
        ok = rl == want && zl <= zlen - pos;
        chunks[i] = (Chunk){ z + pos, raw + out, zl, rl, false };
        pos += ok ? zl : 0;
        out += ok ? rl : 0;
    }
    ok = ok && pos == zlen && out == raw_len && run_all(chunks, n, true);
    free(chunks);
    return ok;
}
