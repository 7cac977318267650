/* SPDX-License-Identifier: MIT */
/* A remote slot through the replay seam (iodev/remote/proxy_replay.h):
 * accesses recorded with their line changes come back at their counts, a
 * read longer than one payload comes back whole, a read the log does not
 * have is a divergence, and malformed payloads are refused; host-command
 * payloads (machine/replay_host.h) parse or are refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/remote/proxy_replay.h"
#include "machine/replay_host.h"

static char path[64];
static int line_log[16][2];
static int n_lines_seen;

static void on_line(void *opaque, int line, bool level)
{
    (void)opaque;
    if (n_lines_seen < 16) {
        line_log[n_lines_seen][0] = line;
        line_log[n_lines_seen][1] = level;
    }
    n_lines_seen++;
}

static uint8_t big[6000];

/* Record: a read with a line raised during it, a write that lowered the
 * line, a 6000-byte string read, a poll that moved nothing. */
static void record(void)
{
    static Replay r;
    uint64_t icount = 0;
    char err[300];
    strcpy(path, "/tmp/kairo-rrm-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert(replay_open_record(&r, path, "ram_mb=16\n", 1000000, &icount, err, sizeof err),
              "%s", err);
    RemoteLog l = { .replay = &r, .slot = 1, .n_lines = 1 };
    icount = 100;
    rlog_begin(&l);
    rlog_line(&l, 0, true);
    uint8_t v = 0x5A;
    rlog_end(&l, &v, 1);
    icount = 200;
    rlog_begin(&l);
    rlog_line(&l, 0, false);
    rlog_end(&l, NULL, 0);
    icount = 300;
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13);
    rlog_begin(&l);
    rlog_end(&l, big, sizeof big);
    icount = 400;
    rlog_begin(&l);
    rlog_end(&l, NULL, 0);
    replay_close(&r);
}

Test(replay_remote, accesses_come_back_at_their_counts)
{
    record();
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    RemoteLog l = { .replay = &r, .slot = 1, .n_lines = 1, .irq = on_line };
    n_lines_seen = 0;
    icount = 100;
    uint8_t v = 0;
    rlog_play(&l, &v, 1);
    cr_assert_eq(v, 0x5A);
    cr_assert_eq(n_lines_seen, 1);
    cr_assert(line_log[0][0] == 0 && line_log[0][1] == 1, "line 0 raised during the read");
    icount = 200;
    rlog_play(&l, NULL, 0);
    cr_assert_eq(n_lines_seen, 2);
    cr_assert_eq(line_log[1][1], 0, "and lowered during the write");
    icount = 300;
    static uint8_t got[sizeof big];
    rlog_play(&l, got, sizeof got);
    cr_assert_eq(memcmp(got, big, sizeof big), 0, "a long read comes back whole");
    cr_assert_not(r.failed, "%s", r.why);
    replay_close(&r);
    unlink(path);
}

Test(replay_remote, a_read_not_in_the_log_diverges)
{
    record();
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    RemoteLog l = { .replay = &r, .slot = 1, .n_lines = 1, .irq = on_line };
    icount = 50;    /* a read the recording never made */
    uint8_t v = 0;
    rlog_play(&l, &v, 1);
    cr_assert_eq(v, 0xFF, "all-ones, as an offline slot");
    cr_assert(r.failed);
    cr_assert_str_eq(r.why, "replay diverged at icount 50: no reply for remote slot 1 in the log");
    replay_close(&r);
    unlink(path);
}

Test(replay_remote, another_slot_or_length_diverges)
{
    record();
    static Replay r;
    uint64_t icount = 0;
    char err[300] = "";
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    RemoteLog other = { .replay = &r, .slot = 2, .n_lines = 1, .irq = on_line };
    icount = 100;
    uint8_t v[2];
    rlog_play(&other, v, 1);
    cr_assert(r.failed, "slot 2 has no reply at 100");
    replay_close(&r);
    cr_assert(replay_open_play(&r, path, "ram_mb=16\n", &icount, err, sizeof err), "%s", err);
    RemoteLog l = { .replay = &r, .slot = 1, .n_lines = 1, .irq = on_line };
    icount = 100;
    rlog_play(&l, v, 2);   /* the recording read one byte */
    cr_assert(r.failed);
    cr_assert(strstr(r.why, "no reply for remote slot 1"), "%s", r.why);
    replay_close(&r);
    unlink(path);
}

Test(replay_remote, malformed_payloads_are_refused)
{
    RlogRecord rec;
    const uint8_t ok[] = { 0, RLOG_OP_DATA, 1, 0, 1, 0x41 };
    cr_assert(rlog_parse(ok, sizeof ok, 1, &rec));
    cr_assert_eq(rec.n_changes, 1);
    cr_assert_eq(rec.data_len, 1);
    cr_assert_eq(rec.data[0], 0x41);
    const uint8_t bad_line[] = { 0, RLOG_OP_DATA, 1, 1, 1 };     /* line 1 of a 1-line slot */
    const uint8_t bad_level[] = { 0, RLOG_OP_DATA, 1, 0, 2 };
    const uint8_t bad_op[] = { 0, 7, 0 };
    const uint8_t short_changes[] = { 0, RLOG_OP_LINES, 3, 0, 1 };
    const uint8_t lines_with_data[] = { 0, RLOG_OP_LINES, 0, 0x41 };
    cr_assert_not(rlog_parse(bad_line, sizeof bad_line, 1, &rec));
    cr_assert_not(rlog_parse(bad_level, sizeof bad_level, 1, &rec));
    cr_assert_not(rlog_parse(bad_op, sizeof bad_op, 1, &rec));
    cr_assert_not(rlog_parse(short_changes, sizeof short_changes, 4, &rec));
    cr_assert_not(rlog_parse(lines_with_data, sizeof lines_with_data, 4, &rec));
    cr_assert_not(rlog_parse(ok, 2, 1, &rec), "shorter than the head");
}

Test(replay_remote, host_command_payloads)
{
    HostRecord h;
    const uint8_t reset[] = { HOST_RESET, 1 };
    cr_assert(replay_host_parse(reset, sizeof reset, &h));
    cr_assert_eq(h.cmd, HOST_RESET);
    cr_assert_eq(h.flag, 1);
    const uint8_t medium[] = "\x04\x01" "floppy0\0/tmp/a.img\0" "1474560:0badf00d";
    cr_assert(replay_host_parse(medium, sizeof medium, &h));
    cr_assert_str_eq(h.device, "floppy0");
    cr_assert_str_eq(h.path, "/tmp/a.img");
    cr_assert_str_eq(h.file_hash, "1474560:0badf00d");
    cr_assert_not(replay_host_parse(medium, sizeof medium - 1, &h), "no final NUL");
    const uint8_t eject_with_file[] = "\x04\x00" "floppy0\0/tmp/a.img\0-";
    cr_assert_not(replay_host_parse(eject_with_file, sizeof eject_with_file, &h));
    const uint8_t unknown[] = { 9, 0 };
    const uint8_t reset_long[] = { HOST_RESET, 0, 0 };
    cr_assert_not(replay_host_parse(unknown, sizeof unknown, &h));
    cr_assert_not(replay_host_parse(reset_long, sizeof reset_long, &h));
    cr_assert_not(replay_host_parse(reset, 1, &h));
}
