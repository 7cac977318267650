/* SPDX-License-Identifier: MIT */
/* The --trace writer (see trace_writer.h and trace_format.h).
 *
 * Records fill one of two large buffers; a full one goes to a compression
 * thread while the CPU fills the other, so deflate runs beside the guest
 * instead of inside it (it would otherwise be a fifth of a traced run).
 * Without the thread (pthread_create failed) the CPU deflates itself. */
#include "debug/trace_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IN_BYTES (4u << 20)
#define OUT_BYTES (1u << 20)
#define MAX_RECORD 2048   /* a CODE record is at most ~1.1 KiB */

typedef struct CodeSlot {
    bool valid;
    bool code32;
    uint8_t n;
    uint16_t nbytes;
    uint32_t lin;
    uint8_t bytes[TRACE_CODE_MAX_BYTES];
} CodeSlot;

struct TraceWriter {
    struct TraceWriterHot hot;   /* first: see tw_hot() */
    FILE *f;
    const char *path;
    z_stream z;
    uint8_t *out;
    bool failed;          /* an I/O or zlib error: reported at close */
    uint8_t *spare;       /* the buffer not being filled */
    /* The compression thread and its one job (a full buffer). */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const uint8_t *job;
    size_t job_len;
    bool job_ready, quit;
    bool regs_valid;
    TraceRegs regs;
    CodeSlot *slots;   /* [TRACE_CODE_SLOTS], mirrors the reader's */
    /* -smp: the CPU whose records follow, and each CPU's last icount
     * (ENTER deltas are relative to the same CPU's previous instruction). */
    unsigned cpu;
    uint64_t cpu_icount[TRACE_MAX_CPUS];
};

static void put_u8(TraceWriter *w, uint8_t v) { w->hot.buf[w->hot.pos++] = v; }
static void put_u16(TraceWriter *w, uint16_t v)
{
    put_u8(w, (uint8_t)v);
    put_u8(w, (uint8_t)(v >> 8));
}
static void put_u32(TraceWriter *w, uint32_t v)
{
    put_u16(w, (uint16_t)v);
    put_u16(w, (uint16_t)(v >> 16));
}
static void put_u64(TraceWriter *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}
static void put_varint(TraceWriter *w, uint64_t v)
{
    w->hot.pos += trace_put_varint(w->hot.buf + w->hot.pos, v);
}

/* Deflate len bytes at data; flush is Z_NO_FLUSH or Z_FINISH. Runs on the
 * compression thread, or on the CPU's when there is none or at the end. */
static void deflate_chunk(TraceWriter *w, const uint8_t *data, size_t len, int flush)
{
    w->z.next_in = (Bytef *)data;
    w->z.avail_in = (uInt)len;
    int r;
    do {
        w->z.next_out = w->out;
        w->z.avail_out = OUT_BYTES;
        r = deflate(&w->z, flush);
        size_t have = OUT_BYTES - w->z.avail_out;
        if (r == Z_STREAM_ERROR || (have && fwrite(w->out, 1, have, w->f) != have))
            w->failed = true;
    } while (!w->failed && (w->z.avail_in || (flush == Z_FINISH && r != Z_STREAM_END)));
}

static void *compress_thread(void *arg)
{
    TraceWriter *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->job_ready && !w->quit)
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->job_ready)
            break;
        pthread_mutex_unlock(&w->lock);
        if (!w->failed)
            deflate_chunk(w, w->job, w->job_len, Z_NO_FLUSH);
        pthread_mutex_lock(&w->lock);
        w->job_ready = false;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Wait until the compression thread has no job. */
static void wait_idle(TraceWriter *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->job_ready)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void tw_drain(TraceWriter *w)
{
    if (!w->threaded) {
        if (!w->failed)
            deflate_chunk(w, w->hot.buf, w->hot.pos, Z_NO_FLUSH);
        w->hot.pos = 0;
        return;
    }
    wait_idle(w);
    pthread_mutex_lock(&w->lock);
    w->job = w->hot.buf;
    w->job_len = w->hot.pos;
    w->job_ready = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    uint8_t *full = w->hot.buf;
    w->hot.buf = w->spare;
    w->spare = full;
    w->hot.pos = 0;
}

static void stop_thread(TraceWriter *w)
{
    if (!w->threaded)
        return;
    wait_idle(w);
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    w->threaded = false;
}

static void make_room(TraceWriter *w)
{
    if (w->hot.pos >= w->hot.limit)
        tw_drain(w);
}

static void writer_free(TraceWriter *w)
{
    free(w->hot.buf);
    free(w->spare);
    free(w->out);
    free(w->slots);
    free(w->hot.slot_gen);
    free(w);
}

TraceWriter *trace_writer_open(const char *path, unsigned items, char *err, size_t errlen)
{
    TraceWriter *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "--trace: out of memory");
        return NULL;
    }
    w->hot.buf = malloc(IN_BYTES);
    w->spare = malloc(IN_BYTES);
    w->out = malloc(OUT_BYTES);
    w->slots = calloc(TRACE_CODE_SLOTS, sizeof *w->slots);
    w->hot.slot_gen = calloc(TRACE_CODE_SLOTS, sizeof *w->hot.slot_gen);
    if (!w->hot.buf || !w->spare || !w->out || !w->slots || !w->hot.slot_gen) {
        snprintf(err, errlen, "--trace: out of memory");
        writer_free(w);
        return NULL;
    }
    w->f = fopen(path, "wb");
    if (!w->f || deflateInit(&w->z, Z_BEST_SPEED) != Z_OK) {
        snprintf(err, errlen, "--trace: cannot open '%s'", path);
        if (w->f)
            fclose(w->f);
        writer_free(w);
        return NULL;
    }
    w->path = path;
    w->hot.limit = IN_BYTES - MAX_RECORD;
    w->hot.last_icount = ~0ull;
    for (int i = 0; i < TRACE_MAX_CPUS; i++)
        w->cpu_icount[i] = ~0ull;
    uint8_t hdr[TRACE_HEADER_LEN] = { 0 };
    memcpy(hdr, TRACE_MAGIC, 8);
    hdr[8] = TRACE_VERSION & 0xFF;
    hdr[9] = TRACE_VERSION >> 8;
    hdr[10] = TRACE_HEADER_LEN;
    for (int i = 0; i < 4; i++)
        hdr[12 + i] = (uint8_t)(items >> (8 * i));
    if (fwrite(hdr, 1, sizeof hdr, w->f) != sizeof hdr)
        w->failed = true;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->threaded = pthread_create(&w->thread, NULL, compress_thread, w) == 0;
    if (!w->threaded) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
    }
    return w;
}

bool trace_writer_close(TraceWriter *w)
{
    if (!w)
        return true;
    make_room(w);
    put_u8(w, REC_END);
    put_varint(w, w->hot.n_insns);
    stop_thread(w);   /* the stream is the CPU thread's again */
    if (!w->failed)
        deflate_chunk(w, w->hot.buf, w->hot.pos, Z_FINISH);
    deflateEnd(&w->z);
    if (fclose(w->f) != 0)
        w->failed = true;
    bool ok = !w->failed;
    if (!ok)
        fprintf(stderr, "kairo: --trace %s: write error, the trace is incomplete\n", w->path);
    writer_free(w);
    return ok;
}

void tw_cpu(TraceWriter *w, unsigned cpu)
{
    if (cpu >= TRACE_MAX_CPUS)
        return;
    w->cpu_icount[w->cpu] = w->hot.last_icount;
    w->cpu = cpu;
    w->hot.last_icount = w->cpu_icount[cpu];
    w->hot.mode_valid = false;   /* the reader learns this CPU's mode afresh */
    put_u8(w, REC_CPU);
    put_u8(w, (uint8_t)cpu);
    tw_room(w);
}

void tw_mode_send(TraceWriter *w, uint16_t cs, uint32_t cs_base, uint8_t mode)
{
    put_u8(w, REC_MODE);
    put_u16(w, cs);
    put_u32(w, cs_base);
    put_u8(w, mode);
    w->hot.mode_valid = true;
    w->hot.cs = cs;
    w->hot.cs_base = cs_base;
    w->hot.mode = mode;
    tw_room(w);
}

unsigned tw_code(TraceWriter *w, uint32_t lin, bool code32, unsigned n, const uint8_t *lens,
                 const uint8_t *bytes, unsigned nbytes)
{
    unsigned slot = trace_code_slot(lin, code32);
    CodeSlot *s = &w->slots[slot];
    if (s->valid && s->lin == lin && s->code32 == code32 && s->n == n && s->nbytes == nbytes &&
        !memcmp(s->bytes, bytes, nbytes))
        return slot;
    make_room(w);
    put_u8(w, REC_CODE);
    put_varint(w, slot);
    put_u32(w, lin);
    put_u8(w, code32 ? TRACE_CODE_32 : 0);
    put_u8(w, (uint8_t)n);
    memcpy(w->hot.buf + w->hot.pos, lens, n);
    w->hot.pos += n;
    memcpy(w->hot.buf + w->hot.pos, bytes, nbytes);
    w->hot.pos += nbytes;
    w->hot.slot_gen[slot]++;
    *s = (CodeSlot){ .valid = true, .code32 = code32, .n = (uint8_t)n,
                     .nbytes = (uint16_t)nbytes, .lin = lin };
    memcpy(s->bytes, bytes, nbytes);
    return slot;
}

void tw_regs(TraceWriter *w, const TraceRegs *r)
{
    unsigned mask = 0;
    for (int i = 0; i < TRACE_REG_COUNT; i++)
        if (!w->regs_valid || r->v[i] != w->regs.v[i])
            mask |= 1u << i;
    if (!mask)
        return;
    make_room(w);
    put_u8(w, REC_REGS);
    put_u16(w, (uint16_t)mask);
    for (int i = 0; i < TRACE_REG_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (i >= TRACE_REG_SEG0)
            put_u16(w, (uint16_t)r->v[i]);
        else
            put_u32(w, r->v[i]);
    }
    w->regs = *r;
    w->regs_valid = true;
}

static void put_where(TraceWriter *w, const TraceWhere *at)
{
    put_u16(w, at->cs);
    put_u32(w, at->eip);
    put_varint(w, at->icount);
}

void tw_event(TraceWriter *w, const TraceEvent *ev)
{
    make_room(w);
    put_u8(w, ev->type);
    switch (ev->type) {
    case REC_INT:
        put_u8(w, ev->kind);
        put_u8(w, ev->vector);
        put_u32(w, ev->err);
        put_u8(w, ev->cpl);
        break;
    case REC_IO:
        put_u8(w, ev->kind);
        put_u16(w, ev->port);
        put_u32(w, ev->value);
        break;
    case REC_MMU:
        put_u8(w, ev->kind);
        put_u8(w, ev->access);
        put_u32(w, ev->value);
        put_u64(w, ev->value64);
        break;
    default:   /* REC_TRIPLE: the context only */
        break;
    }
    put_where(w, &ev->at);
}
