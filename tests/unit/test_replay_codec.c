/* SPDX-License-Identifier: MIT */
/* The replay log (machine/replay.h): varints, records, a whole file written
 * and read back through the seams, and the damaged files replay refuses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/replay.h"

Test(replay_codec, varint_round_trip)
{
    const uint64_t values[] = { 0, 1, 127, 128, 300, 16383, 16384, 1ull << 35, UINT64_MAX };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint8_t buf[10];
        size_t n = replay_put_varint(buf, values[i]);
        uint64_t v = 0;
        cr_assert_eq(replay_get_varint(buf, n, &v), (int)n);
        cr_assert_eq(v, values[i]);
        cr_assert_eq(replay_get_varint(buf, n - 1, &v), 0, "short input needs more");
    }
    const uint8_t too_long[11] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F };
    uint64_t v;
    cr_assert_eq(replay_get_varint(too_long, sizeof too_long, &v), -1);
}

Test(replay_codec, record_round_trip_and_damage)
{
    static ReplayEvent e, d;
    e.kind = RK_NET | REPLAY_ASYNC;
    e.icount = 1000123;
    e.len = 60;
    for (unsigned i = 0; i < e.len; i++)
        e.data[i] = (uint8_t)(i * 7);
    uint8_t buf[REPLAY_MAX_RECORD];
    size_t n = replay_encode(&e, 1000000, buf);
    cr_assert_eq(replay_decode(buf, n, 1000000, &d), (int)n);
    cr_assert_eq(d.kind, e.kind);
    cr_assert_eq(d.icount, e.icount);
    cr_assert_eq(d.len, e.len);
    cr_assert_eq(memcmp(d.data, e.data, e.len), 0);
    for (size_t cut = 0; cut < n; cut++)
        cr_assert_eq(replay_decode(buf, cut, 1000000, &d), 0, "cut at %zu", cut);
    buf[0] = 0x7F;   /* no such kind */
    cr_assert_eq(replay_decode(buf, n, 1000000, &d), -1);
    buf[0] = RK_SERIAL;
    buf[1] = 0x80, buf[2] = 0x80, buf[3] = 0x01;   /* delta 16384, then a huge length */
    buf[4] = 0xFF, buf[5] = 0xFF, buf[6] = 0x03;
    cr_assert_eq(replay_decode(buf, n, 0, &d), -1, "payload longer than the limit");
}

static char path[64];

static void temp_path(void)
{
    strcpy(path, "/tmp/kairo-rpl-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
}

/* A short session through the seams: record, then replay it. */
static void record_session(void)
{
    static Replay r;
    uint64_t icount = 0;
    char err[300];
    temp_path();
    cr_assert(replay_open_record(&r, path, "ram_mb=16\n", 1000, &icount, err, sizeof err), "%s", err);
    cr_assert_eq(replay_value(&r, RK_RTC, 1234567), 1234567);
    icount = 500;
    uint8_t in[3] = { 'l', 's', '\n' };
    cr_assert_eq(replay_serial(&r, 0, in, 3, 16), 3);
    r.in_slice = false;
    icount = 700;
    uint8_t credit[10];
    replay_log(&r, RK_CREDIT, credit, replay_put_varint(credit, 4242));
    replay_close(&r);
}

Test(replay_codec, session_replays_and_checks_counts)
{
    record_session();
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    cr_assert_eq(replay_value(&r, RK_RTC, 99), 1234567, "the logged time, not the host's");
    uint8_t buf[16] = { 'x' };
    icount = 499;
    cr_assert_eq(replay_serial(&r, 0, buf, 1, 16), 0, "too early: nothing, host bytes dropped");
    icount = 500;
    cr_assert_eq(replay_serial(&r, 0, buf, 0, 16), 3);
    cr_assert_eq(memcmp(buf, "ls\n", 3), 0);
    icount = 600;
    cr_assert_null(replay_due_async(&r));
    cr_assert_eq(replay_insns_to_next(&r), 100);
    icount = 700;
    const ReplayEvent *e = replay_due_async(&r);
    cr_assert_not_null(e);
    cr_assert_eq(e->kind & ~REPLAY_ASYNC, RK_CREDIT);
    replay_consume(&r);
    e = replay_due_async(&r);
    cr_assert_not_null(e);
    cr_assert_eq(e->kind & ~REPLAY_ASYNC, RK_END);
    cr_assert_not(r.failed);
    replay_close(&r);
    unlink(path);
}

Test(replay_codec, missed_event_is_a_divergence)
{
    record_session();
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    replay_value(&r, RK_RTC, 0);
    icount = 501;   /* the guest never polled at 500 */
    cr_assert_null(replay_due_async(&r));
    cr_assert(r.failed);
    cr_assert_str_eq(r.why, "replay diverged at icount 500: serial input not taken by the guest");
    replay_close(&r);
    unlink(path);
}

static bool open_fails(const char *config, const char *want)
{
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    bool ok = replay_open_play(&r, path, config, &icount, err, sizeof err);
    if (ok) {
        /* A damaged stream shows when read: drain it. */
        uint8_t b[16];
        replay_value(&r, RK_RTC, 0);
        icount = 500;
        replay_serial(&r, 0, b, 0, 16);
        icount = 700;
        while (!r.failed && replay_due_async(&r) && (r.next.kind & ~REPLAY_ASYNC) != RK_END)
            replay_consume(&r);
        bool failed = r.failed;
        if (failed)
            snprintf(err, sizeof err, "%s", r.why);
        replay_close(&r);
        if (!failed)
            return false;
    }
    cr_assert(strstr(err, want), "'%s' lacks '%s'", err, want);
    cr_assert_null(strchr(err, '\n'));
    return true;
}

/* A flip in the deflate stream's padding bits changes no data: accepted,
 * with every event as recorded. */
static bool replays_same(void)
{
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    if (!replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err))
        return false;
    uint8_t b[16];
    bool same = replay_value(&r, RK_RTC, 0) == 1234567;
    icount = 500;
    same = same && replay_serial(&r, 0, b, 0, 16) == 3 && !memcmp(b, "ls\n", 3);
    icount = 700;
    const ReplayEvent *e = replay_due_async(&r);
    uint64_t n = 0;
    same = same && e && replay_get_varint(e->data, e->len, &n) > 0 && n == 4242;
    replay_consume(&r);
    e = replay_due_async(&r);
    same = same && e && (e->kind & ~REPLAY_ASYNC) == RK_END && !r.failed;
    replay_close(&r);
    return same;
}

Test(replay_codec, damaged_files_are_refused)
{
    record_session();
    FILE *f = fopen(path, "rb");
    static uint8_t good[4096];
    size_t len = fread(good, 1, sizeof good, f);
    fclose(f);
    cr_assert(open_fails("ram_mb=32\n", "recorded on another machine: log 'ram_mb=16'"));
    /* Truncated at every length. */
    for (size_t cut = 0; cut < len; cut++) {
        f = fopen(path, "wb");
        fwrite(good, 1, cut, f);
        fclose(f);
        cr_assert(open_fails("ram_mb=16\n", cut < 8 ? "not a kairo replay log" : ""),
                  "cut at %zu accepted", cut);
    }
    /* A flipped bit anywhere: the header's CRC, or the stream (zlib's
     * Adler-32 at its end, or a record that no longer decodes). */
    for (size_t i = 0; i < len; i++) {
        uint8_t bad[4096];
        memcpy(bad, good, len);
        bad[i] ^= 0x10;
        f = fopen(path, "wb");
        fwrite(bad, 1, len, f);
        fclose(f);
        cr_assert(open_fails("ram_mb=16\n", "") || replays_same(), "flip at %zu accepted", i);
    }
    unlink(path);
}
