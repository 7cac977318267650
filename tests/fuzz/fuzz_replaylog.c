/* SPDX-License-Identifier: MIT */
/* A mutation fuzzer for the replay log reader (machine/replay.c) and the
 * payload parsers of its seams (remote slots, host commands, credits),
 * meant for the sanitizer build (-DKAIRO_SANITIZE=ON); libFuzzer is not in
 * gcc, so it mutates by itself.
 *
 * A valid log holding every kind of event is built in memory. Each round
 * mutates a copy of it in one of three ways and writes it to a file:
 *   - bytes of the file itself (caught by the header CRC, zlib's checks);
 *   - bytes of the record stream before compression, the header's CRC made
 *     valid again (reaches the record decoder and the payload parsers);
 *   - the header's fields (version, interval, description) with a valid CRC.
 * The file is then opened for replay and driven the way the machine
 * drives it: events taken at their counts (sometimes early or late),
 * payloads parsed, remote accesses and serial input replayed. An input
 * must be refused or replayed (completely or up to a divergence) with a
 * one-line reason; a sanitizer report or a crash is the failure.
 *
 *   fuzz_replaylog [--seconds S] [--rounds N] [--seed S] [--dir DIR]
 * prints the rounds run and how they ended. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "iodev/remote/proxy_replay.h"
#include "machine/replay.h"
#include "machine/replay_host.h"

#define CONFIG "ram_mb=16\nips=100000000\nstart=boot\n"
#define MAX_RAW (64 * 1024)
#define MAX_FILE (128 * 1024)
#define FUZZ_LINES 4   /* a remote slot's interrupt lines (RP_MAX_IRQS) */

static uint64_t rng;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned pick(unsigned n) { return (unsigned)(next_rand() % n); }

/* --- the seed log: every kind, valid payloads --- */

typedef struct Raw {
    uint8_t b[MAX_RAW];
    size_t len;
    uint64_t last;
} Raw;

static void add(Raw *r, uint8_t kind, uint64_t icount, const void *p, size_t len)
{
    ReplayEvent e = { .kind = kind, .icount = icount, .len = (uint32_t)len };
    memcpy(e.data, p, len);
    r->len += replay_encode(&e, r->last, r->b + r->len);
    r->last = icount;
}

static void seed_records(Raw *r)
{
    memset(r, 0, sizeof *r);
    static const uint8_t rtc[8] = { 1, 2, 3, 4 };
    add(r, RK_RTC, 0, rtc, 8);
    add(r, RK_SERIAL, 100, "\0ls\n", 4);
    static const uint8_t remote_read[] = { 0, RLOG_OP_DATA, 1, 0, 1, 0x41 };
    add(r, RK_REMOTE, 150, remote_read, sizeof remote_read);
    static const uint8_t remote_lines[] = { 0, RLOG_OP_LINES, 2, 0, 0, 0, 1 };
    add(r, RK_REMOTE | REPLAY_ASYNC, 160, remote_lines, sizeof remote_lines);
    uint8_t frame[64] = { 0, 1 };
    add(r, RK_NET, 200, frame, sizeof frame);
    static const uint8_t key[3] = { 0x1C, 0, 1 };
    add(r, RK_KEY | REPLAY_ASYNC, 300, key, 3);
    uint8_t mouse[13] = { 5, 0, 0, 0, 0xFB, 0xFF, 0xFF, 0xFF };
    add(r, RK_MOUSE | REPLAY_ASYNC, 310, mouse, 13);
    uint8_t credit[10];
    add(r, RK_CREDIT | REPLAY_ASYNC, 400, credit, replay_put_varint(credit, 123456));
    static const uint8_t reset[2] = { HOST_RESET, 1 };
    add(r, RK_HOST | REPLAY_ASYNC, 500, reset, 2);
    static const uint8_t medium[] = "\x04\x01" "floppy0\0/tmp/fd.img\0" "1474560:0badf00d";
    add(r, RK_HOST | REPLAY_ASYNC, 510, medium, sizeof medium);
    static const uint8_t eject[] = "\x04\x00" "ide1-cd0\0\0-";
    add(r, RK_HOST | REPLAY_ASYNC, 520, eject, sizeof eject);
    uint8_t hash[8] = { 9, 8, 7 };
    add(r, RK_CHECKPOINT | REPLAY_ASYNC, 1000, hash, 8);
    add(r, RK_END | REPLAY_ASYNC, 1200, hash, 8);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Header + deflated records; the length. */
static size_t make_file(uint8_t *out, const char *config, uint32_t version, uint64_t every,
                        const uint8_t *raw, size_t raw_len)
{
    size_t clen = strlen(config);
    memcpy(out, REPLAY_MAGIC, 8);
    put_le(out + 8, version, 4);
    put_le(out + 12, every, 8);
    put_le(out + 20, clen, 4);
    memcpy(out + 24, config, clen);
    put_le(out + 24 + clen, crc32(0, out, (uInt)(24 + clen)), 4);
    size_t pos = 28 + clen;
    uLongf zlen = MAX_FILE - pos;
    if (compress2(out + pos, &zlen, raw, raw_len, 6) != Z_OK)
        return pos;
    return pos + zlen;
}

/* --- mutations --- */

static void mutate_bytes(uint8_t *b, size_t *len, size_t cap)
{
    unsigned n = 1 + pick(8);
    for (unsigned i = 0; i < n && *len; i++) {
        size_t at = pick((unsigned)*len);
        switch (pick(6)) {
        case 0: b[at] ^= (uint8_t)(1u << pick(8)); break;
        case 1: b[at] = (uint8_t)next_rand(); break;
        case 2: b[at] = (uint8_t[]){ 0, 0x7F, 0x80, 0xFF }[pick(4)]; break;
        case 3: *len = at; break;                          /* truncate */
        case 4:                                            /* delete a run */
            if (*len > at + 1) {
                size_t k = 1 + pick((unsigned)(*len - at - 1 < 16 ? *len - at - 1 : 16));
                memmove(b + at, b + at + k, *len - at - k);
                *len -= k;
            }
            break;
        default:                                           /* duplicate a run */
            if (*len + 32 <= cap) {
                size_t k = 1 + pick(32);
                if (k > *len - at)
                    k = *len - at;
                memmove(b + at + k, b + at, *len - at);
                *len += k;
            }
        }
    }
}

/* --- driving a replay as the machine does --- */

typedef struct Stats {
    uint64_t rounds, refused, completed, diverged, lines;
} Stats;

static void irq_sink(void *opaque, int line, bool level)
{
    (void)line;
    *(unsigned *)opaque += level;
}

static void parse_payload(const ReplayEvent *e)
{
    RlogRecord rec;
    HostRecord host;
    uint64_t v;
    switch (e->kind & ~REPLAY_ASYNC) {
    case RK_REMOTE: (void)rlog_parse(e->data, e->len, FUZZ_LINES, &rec); break;
    case RK_HOST:
        if (replay_host_parse(e->data, e->len, &host) && host.cmd == HOST_MEDIUM)
            (void)(strlen(host.device) + strlen(host.path) + strlen(host.file_hash));
        break;
    case RK_CREDIT: (void)replay_get_varint(e->data, e->len, &v); break;
    default: break;
    }
}

/* One event at a time: the count moves to it (now and then one short or
 * past it), then the seam a machine would reach takes it. */
static void drive(Replay *r, uint64_t *icount, Stats *st)
{
    unsigned irqs = 0;
    RemoteLog rl = { .replay = r, .slot = 0, .n_lines = FUZZ_LINES, .irq = irq_sink,
                     .irq_opaque = &irqs };
    for (int steps = 0; steps < 4096 && r->have_next && !r->failed; steps++) {
        const ReplayEvent *e = &r->next;
        unsigned skew = pick(16);
        *icount = skew == 0 && e->icount ? e->icount - 1 : skew == 1 ? e->icount + 1 : e->icount;
        unsigned kind = e->kind & ~REPLAY_ASYNC;
        if (kind == RK_END && (e->kind & REPLAY_ASYNC) && replay_due_async(r))
            break;
        if (kind == RK_SERIAL) {
            uint8_t buf[16];
            if (!replay_serial(r, e->len ? e->data[0] : 0, buf, 0, sizeof buf))
                replay_consume(r);
        } else if (kind == RK_REMOTE && !(e->kind & REPLAY_ASYNC)) {
            uint8_t buf[64];
            rlog_play(&rl, buf, 1 + pick(sizeof buf));
        } else if (kind == RK_RTC) {
            (void)replay_value(r, RK_RTC, 0);
        } else {
            const ReplayEvent *due = (e->kind & REPLAY_ASYNC) ? replay_due_async(r)
                                                              : replay_take_sync(r, kind);
            if (!due)
                break;
            parse_payload(due);
            if (kind == RK_REMOTE)
                rlog_apply(&rl, due);
            if (!r->failed)
                replay_consume(r);
        }
    }
    if (r->failed) {
        st->diverged++;
        if (strchr(r->why, '\n'))
            st->lines++;
    } else {
        st->completed++;
    }
}

static void run_one(const char *path, const uint8_t *file, size_t len, Stats *st)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(file, 1, len, f) != len) {
        perror(path);
        exit(2);
    }
    fclose(f);
    static Replay r;
    uint64_t icount = 0;
    char err[400] = "";
    st->rounds++;
    if (!replay_open_play(&r, path, CONFIG, &icount, err, sizeof err)) {
        st->refused++;
        if (!err[0] || strchr(err, '\n'))
            st->lines++;
        return;
    }
    drive(&r, &icount, st);
    replay_close(&r);
}

int main(int argc, char **argv)
{
    double seconds = 0;
    uint64_t rounds = 0, seed = 1;
    /* Memory-backed when there is one: a round writes a file. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                      : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = strtoull(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else {
            fprintf(stderr, "usage: fuzz_replaylog [--seconds S] [--rounds N] [--seed S] [--dir D]\n");
            return 2;
        }
    }
    if (!seconds && !rounds)
        rounds = 2000;
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz_replaylog.%d.rpl", dir, (int)getpid());
    static Raw seed_raw, raw;
    static uint8_t file[MAX_FILE];
    seed_records(&seed_raw);
    Stats st = { 0 };
    time_t start = time(NULL);
    for (uint64_t n = 0; rounds ? n < rounds : difftime(time(NULL), start) < seconds; n++) {
        raw = seed_raw;
        size_t len;
        switch (pick(3)) {
        case 0:     /* the file's bytes */
            len = make_file(file, CONFIG, REPLAY_VERSION, 1000, raw.b, raw.len);
            mutate_bytes(file, &len, sizeof file);
            break;
        case 1:     /* the records, recompressed */
            mutate_bytes(raw.b, &raw.len, sizeof raw.b);
            len = make_file(file, CONFIG, REPLAY_VERSION, 1000, raw.b, raw.len);
            break;
        default: {  /* the header's fields, CRC valid */
            char config[sizeof CONFIG + 64];
            size_t clen = strlen(CONFIG);
            memcpy(config, CONFIG, clen + 1);
            mutate_bytes((uint8_t *)config, &clen, sizeof config - 1);
            config[clen] = 0;
            len = make_file(file, pick(4) ? CONFIG : config, pick(8) ? REPLAY_VERSION : (uint32_t)next_rand(),
                            pick(8) ? 1000 : next_rand() % 3, raw.b, raw.len);
        }
        }
        run_one(path, file, len, &st);
    }
    unlink(path);
    printf("fuzz_replaylog: %" PRIu64 " mutated logs in %.0f s (seed %" PRIu64 "): %" PRIu64
           " refused at open, %" PRIu64 " replayed to a divergence or corrupt record, %" PRIu64
           " replayed to the end or the step bound, %" PRIu64 " multi-line messages\n",
           st.rounds, difftime(time(NULL), start), seed, st.refused, st.diverged, st.completed,
           st.lines);
    return st.lines ? 1 : 0;
}
