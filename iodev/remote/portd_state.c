/* SPDX-License-Identifier: MIT */
/* kairo-portd's state file (see portd_state.h). */
#include "iodev/remote/portd_state.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAGIC 0x4B505331u    /* "KPS1" */
#define RECORD_AREA (4u << 20)      /* bytes reserved for each of the two records */
#define HASH_LEN 16
#define RECORD_HEAD (4 + 8 + 4 + HASH_LEN)

static const uint8_t hash_key[] = "kairo-portd state record v1";

static void record_hash(uint64_t gen, const uint8_t *data, uint32_t len, uint8_t out[HASH_LEN])
{
    crypto_generichash_state h;
    uint8_t head[12];
    rp_put64(head, gen);
    rp_put32(head + 8, len);
    crypto_generichash_init(&h, hash_key, sizeof hash_key - 1, HASH_LEN);
    crypto_generichash_update(&h, head, sizeof head);
    crypto_generichash_update(&h, data, len);
    crypto_generichash_final(&h, out, HASH_LEN);
}

bool pd_state_open(PdState *st, const char *path, bool fsync, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->fsync = fsync;
    st->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    struct stat sb;
    if (st->fd < 0 || fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "state file '%s': %s", path,
                 st->fd < 0 ? strerror(errno) : "not a regular file");
        if (st->fd >= 0)
            close(st->fd);
        st->fd = -1;
        return false;
    }
    if (sb.st_mode & 077) {
        /* It holds the sessions' keys: as private as the key file. */
        snprintf(err, errlen, "state file '%s' is accessible by group or others (it holds "
                              "session keys; chmod 600)", path);
        close(st->fd);
        st->fd = -1;
        return false;
    }
    state_writer_init(&st->w);
    return true;
}

void pd_state_close(PdState *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    state_writer_free(&st->w);
}

/* The record in area i, if valid: its data (malloc'd) and generation. */
static uint8_t *read_record(int fd, int i, uint64_t *gen, uint32_t *len)
{
    uint8_t head[RECORD_HEAD];
    off_t at = (off_t)i * RECORD_AREA;
    if (pread(fd, head, sizeof head, at) != (ssize_t)sizeof head || rp_get32(head) != RECORD_MAGIC)
        return NULL;
    *gen = rp_get64(head + 4);
    *len = rp_get32(head + 12);
    if (*len > RECORD_AREA - RECORD_HEAD)
        return NULL;
    uint8_t *data = malloc(*len ? *len : 1), want[HASH_LEN];
    if (!data || pread(fd, data, *len, at + RECORD_HEAD) != (ssize_t)*len) {
        free(data);
        return NULL;
    }
    record_hash(*gen, data, *len, want);
    if (sodium_memcmp(want, head + 16, HASH_LEN) != 0) {
        free(data);
        return NULL;
    }
    return data;
}

static bool load_body(StateReader *r, RemoteServer *srv, RpTransport *ts, int n_t, PdDevice **dev,
                      uint64_t *device_ns, char *err, size_t errlen)
{
    uint32_t version;
    if (!state_section(r, "portd", &version) || version != 1) {
        snprintf(err, errlen, "not a kairo-portd state record");
        return false;
    }
    *device_ns = state_get_u64(r);
    state_section_end(r);
    if (!rs_load(srv, r, ts, n_t, err, errlen))
        return false;
    for (int i = 0; i < srv->n_slots; i++)
        if (!pd_device_load(dev[i], r, err, errlen))
            return false;
    return state_ok(r);
}

int pd_state_resume(PdState *st, RemoteServer *srv, RpTransport *ts, int n_t, PdDevice **dev,
                    uint64_t *device_ns, char *err, size_t errlen)
{
    uint64_t gen[2] = { 0, 0 };
    uint32_t len[2] = { 0, 0 };
    uint8_t *rec[2] = { read_record(st->fd, 0, &gen[0], &len[0]),
                        read_record(st->fd, 1, &gen[1], &len[1]) };
    int pick = !rec[0] ? 1 : !rec[1] ? 0 : gen[1] > gen[0];
    int status = 0;
    if (rec[pick]) {
        StateReader r;
        state_reader_init(&r, rec[pick], len[pick]);
        char why[300] = "truncated";
        if (load_body(&r, srv, ts, n_t, dev, device_ns, why, sizeof why)) {
            st->gen = gen[pick];
            status = 1;
        } else {
            snprintf(err, errlen, "state file: %s (a different configuration? move the file "
                                  "away to start afresh)", why);
            status = -1;
        }
    } else {
        struct stat sb;
        if (fstat(st->fd, &sb) == 0 && sb.st_size > 0) {
            snprintf(err, errlen, "state file: no valid record in %lld bytes (move the file "
                                  "away to start afresh)", (long long)sb.st_size);
            status = -1;
        }
    }
    free(rec[0]);
    free(rec[1]);
    return status;
}

bool pd_state_commit(PdState *st, const RemoteServer *srv, const RpTransport *ts, PdDevice **dev,
                     uint64_t device_ns)
{
    StateWriter *w = &st->w;
    w->len = 0;
    w->section_start = 0;
    state_put_bytes(w, (const uint8_t[RECORD_HEAD]){ 0 }, RECORD_HEAD);
    state_begin(w, "portd", 1);
    state_put_u64(w, device_ns);
    state_end(w);
    rs_save(srv, w, ts);
    for (int i = 0; i < srv->n_slots; i++)
        pd_device_save(dev[i], w);
    uint32_t len = (uint32_t)(w->len - RECORD_HEAD);
    if (w->failed || len > RECORD_AREA - RECORD_HEAD) {
        fprintf(stderr, "kairo-portd: state record too large or out of memory\n");
        return false;
    }
    uint64_t gen = st->gen + 1;
    rp_put32(w->buf, RECORD_MAGIC);
    rp_put64(w->buf + 4, gen);
    rp_put32(w->buf + 12, len);
    record_hash(gen, w->buf + RECORD_HEAD, len, w->buf + 16);
    off_t at = (off_t)(gen & 1) * RECORD_AREA;
    if (pwrite(st->fd, w->buf, w->len, at) != (ssize_t)w->len ||
        (st->fsync && fdatasync(st->fd) != 0)) {
        if (!st->commits)
            fprintf(stderr, "kairo-portd: writing the state file failed: %s\n", strerror(errno));
        return false;
    }
    st->gen = gen;
    st->commits++;
    return true;
}
