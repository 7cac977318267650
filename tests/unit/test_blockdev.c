/* SPDX-License-Identifier: MIT */
/* Disk image files: plain writes reach the file, -snapshot writes do not,
 * and bad images are refused with a reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/blockdev.h"

static char path[64];

static void make_image(size_t size, uint8_t fill)
{
    strcpy(path, "/tmp/kairo-bd-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t *buf = malloc(size);
    memset(buf, fill, size);
    cr_assert(write(fd, buf, size) == (ssize_t)size);
    free(buf);
    close(fd);
}

static void file_bytes(uint64_t off, uint8_t *out, size_t n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, (long)off, SEEK_SET);
    cr_assert(fread(out, 1, n, f) == n);
    fclose(f);
}

static void cleanup(void)
{
    blockdev_set_snapshot(false);
    unlink(path);
}

TestSuite(blockdev, .fini = cleanup);

Test(blockdev, writes_reach_the_file)
{
    make_image(16384, 0x11);
    BlockDev bd;
    char err[200];
    cr_assert(blockdev_open(&bd, path, false, false, err, sizeof err), "%s", err);
    uint8_t data[512];
    memset(data, 0xA5, sizeof data);
    cr_assert(blockdev_write(&bd, 1024, data, sizeof data));
    cr_assert(blockdev_flush(&bd));
    blockdev_close(&bd);
    uint8_t back[512];
    file_bytes(1024, back, sizeof back);
    cr_assert_arr_eq(back, data, sizeof data);
}

Test(blockdev, snapshot_keeps_the_file_and_reads_back_the_guest_writes)
{
    make_image(3 * BLOCKDEV_CHUNK + 1000, 0x22);   /* a partial last chunk */
    blockdev_set_snapshot(true);
    BlockDev bd;
    char err[200];
    cr_assert(blockdev_open(&bd, path, false, false, err, sizeof err), "%s", err);
    /* A write straddling two chunks, and one into the partial last chunk. */
    uint8_t data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    cr_assert(blockdev_write(&bd, BLOCKDEV_CHUNK - 1000, data, sizeof data));
    cr_assert(blockdev_write(&bd, 3 * BLOCKDEV_CHUNK + 500, data, 500));
    cr_assert_not(blockdev_write(&bd, 3 * BLOCKDEV_CHUNK + 900, data, 200), "past the end");
    uint8_t back[5000];
    cr_assert(blockdev_read(&bd, BLOCKDEV_CHUNK - 2000, back, sizeof back));
    for (size_t i = 0; i < 1000; i++)
        cr_assert_eq(back[i], 0x22, "unwritten bytes around the write keep the image's");
    cr_assert_arr_eq(back + 1000, data, sizeof data);
    cr_assert_eq(back[4000], 0x22);
    uint8_t tail[500];
    cr_assert(blockdev_read(&bd, 3 * BLOCKDEV_CHUNK + 500, tail, sizeof tail));
    cr_assert_arr_eq(tail, data, 500);
    blockdev_close(&bd);
    uint8_t file[5000];
    file_bytes(BLOCKDEV_CHUNK - 2000, file, sizeof file);
    for (size_t i = 0; i < sizeof file; i++)
        cr_assert_eq(file[i], 0x22, "the image file was written at %zu", i);
}

Test(blockdev, bad_images_are_refused)
{
    BlockDev bd;
    char err[200];
    cr_assert_not(blockdev_open(&bd, "/nonexistent/disk.img", false, false, err, sizeof err));
    cr_assert(strstr(err, "No such file"), "%s", err);
    make_image(0, 0);
    cr_assert_not(blockdev_open(&bd, path, false, false, err, sizeof err));
    cr_assert(strstr(err, "empty"), "%s", err);
    cr_assert_not(blockdev_open(&bd, "/tmp", false, false, err, sizeof err));
}
