/* SPDX-License-Identifier: MIT */
/* The -snapshot overlay in a machine snapshot (iodev/blockdev.c): the
 * written chunks travel and replace the receiving overlay, chunks not
 * written read from the image, hostile chunk lists are refused, an
 * overlay cannot be loaded into an image without -snapshot, and the
 * content hash follows the file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/blockdev.h"

static char path[64];

static void make_image(void)
{
    strcpy(path, "/tmp/kairo-snapdisk-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t buf[4 * BLOCKDEV_CHUNK];
    memset(buf, 0x11, sizeof buf);
    cr_assert(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    close(fd);
}

static void cleanup(void)
{
    blockdev_set_snapshot(false);
    unlink(path);
}

TestSuite(snapshot_disks, .init = make_image, .fini = cleanup);

static void open_bd(BlockDev *bd)
{
    char err[200];
    blockdev_init_empty(bd);
    cr_assert(blockdev_open(bd, path, false, false, err, sizeof err), "%s", err);
}

Test(snapshot_disks, overlay_round_trip)
{
    blockdev_set_snapshot(true);
    BlockDev a, b;
    open_bd(&a);
    open_bd(&b);
    uint8_t w[100], r[100];
    memset(w, 0xAB, sizeof w);
    cr_assert(blockdev_write(&a, 2 * BLOCKDEV_CHUNK + 10, w, sizeof w));
    cr_assert(blockdev_write(&b, 0, w, sizeof w));   /* replaced by a's overlay */
    StateWriter sw;
    state_writer_init(&sw);
    blockdev_save_overlay(&a, &sw);
    StateReader sr;
    state_reader_init(&sr, sw.buf, sw.len);
    char err[200];
    cr_assert(blockdev_load_overlay(&b, &sr, err, sizeof err), "%s", err);
    cr_assert(state_ok(&sr) && sr.pos == sw.len);
    cr_assert(blockdev_read(&b, 2 * BLOCKDEV_CHUNK + 10, r, sizeof r));
    cr_assert(!memcmp(r, w, sizeof r));
    cr_assert(blockdev_read(&b, 0, r, sizeof r));
    cr_assert_eq(r[0], 0x11, "an unwritten chunk reads from the image again");
    /* The file itself never changed. */
    uint32_t crc_a, crc_b;
    cr_assert(blockdev_content_hash(&a, &crc_a) && blockdev_content_hash(&b, &crc_b));
    cr_assert_eq(crc_a, crc_b);
    state_writer_free(&sw);
    blockdev_close(&a);
    blockdev_close(&b);
}

Test(snapshot_disks, hostile_lists_refused)
{
    blockdev_set_snapshot(true);
    BlockDev bd;
    open_bd(&bd);
    char err[200];
    const uint64_t bad[][3] = {
        { 99, 0, 0 },   /* more chunks than the image has */
        { 1, 4, 0 },    /* chunk index past the end */
        { 2, 1, 1 },    /* the same chunk twice */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        StateWriter sw;
        state_writer_init(&sw);
        state_put_u64(&sw, bad[k][0]);
        for (uint64_t i = 0; i < bad[k][0] && i < 2; i++) {
            state_put_u64(&sw, bad[k][1 + i]);
            uint8_t chunk[BLOCKDEV_CHUNK] = { 0 };
            state_put_bytes(&sw, chunk, sizeof chunk);
        }
        StateReader sr;
        state_reader_init(&sr, sw.buf, sw.len);
        err[0] = 0;
        bool ok = blockdev_load_overlay(&bd, &sr, err, sizeof err);
        cr_assert(!ok || !state_ok(&sr), "list %zu accepted", k);
        state_writer_free(&sw);
    }
    blockdev_close(&bd);
}

Test(snapshot_disks, no_overlay_without_snapshot_mode)
{
    blockdev_set_snapshot(true);
    BlockDev a;
    open_bd(&a);
    uint8_t w[8] = { 1 };
    cr_assert(blockdev_write(&a, 0, w, sizeof w));
    StateWriter sw;
    state_writer_init(&sw);
    blockdev_save_overlay(&a, &sw);
    blockdev_close(&a);
    blockdev_set_snapshot(false);
    BlockDev plain;
    open_bd(&plain);
    StateReader sr;
    state_reader_init(&sr, sw.buf, sw.len);
    char err[200];
    cr_assert(!blockdev_load_overlay(&plain, &sr, err, sizeof err));
    cr_assert(strstr(err, "not under -snapshot"), "%s", err);
    uint32_t before, after;
    cr_assert(blockdev_content_hash(&plain, &before));
    cr_assert(blockdev_write(&plain, 5, w, 1));
    cr_assert(blockdev_content_hash(&plain, &after));
    cr_assert_neq(before, after, "the hash follows the file's contents");
    state_writer_free(&sw);
    blockdev_close(&plain);
}
