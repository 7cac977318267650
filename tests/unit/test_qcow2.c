/* SPDX-License-Identifier: MIT */
/* qcow2 through the block layer, checked by QEMU's own qemu-img: images
 * made by `qemu-img create`/`convert` are written and read through
 * blockdev_*, and afterwards `qemu-img check` must find no error and no
 * leak and `qemu-img compare` must match a raw file that received the same
 * writes. Also backing chains, compressed clusters, refcount-table growth,
 * foreign formats, bad headers and the OFD image locks. Needs qemu-utils. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iodev/blockdev.h"

static char dir[64];
static char img[128], raw[128];

static void setup(void)
{
    strcpy(dir, "/tmp/kairo-qcow2-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(img, sizeof img, "%s/disk.qcow2", dir);
    snprintf(raw, sizeof raw, "%s/disk.raw", dir);
    blockdev_set_snapshot(false);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(system(cmd) == 0);
}

TestSuite(qcow2, .init = setup, .fini = teardown);

static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* qemu-img check: 0 = clean, 2 = corruption, 3 = leaks only. */
static int qemu_check(const char *path)
{
    return run("qemu-img check -q '%s' >%s/check.txt 2>&1", path, dir);
}

static void assert_clean_and_equal(const char *path, const char *reference)
{
    int c = qemu_check(path);
    if (c != 0)
        run("cat %s/check.txt >&2", dir);
    cr_assert_eq(c, 0, "qemu-img check of %s: status %d", path, c);
    cr_assert_eq(run("qemu-img compare -q '%s' '%s'", path, reference), 0,
                 "qemu-img compare %s %s", path, reference);
}

static void open_rw(BlockDev *bd, const char *path)
{
    char err[512];
    cr_assert(blockdev_open(bd, path, false, false, err, sizeof err), "%s", err);
}

/* xorshift: the same pattern for the image and its raw twin. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd() >> 24);
}

/* Random writes to the image and the raw twin; every write read back. */
static void random_writes(BlockDev *bd, int rawfd, uint64_t size, int count, size_t maxlen)
{
    uint8_t *buf = malloc(maxlen), *back = malloc(maxlen);
    for (int k = 0; k < count; k++) {
        size_t len = 1 + rnd() % maxlen;
        if (k % 3 == 0)     /* IDE-like: whole sectors */
            len = (len + 511) & ~(size_t)511;
        if (len > maxlen)
            len = maxlen;
        uint64_t off = rnd() % (size - len);
        if (k % 3 == 0)
            off &= ~511ull;
        fill(buf, len);
        cr_assert(blockdev_write(bd, off, buf, len), "write %zu at %llu", len,
                  (unsigned long long)off);
        cr_assert(pwrite(rawfd, buf, len, (off_t)off) == (ssize_t)len);
        cr_assert(blockdev_read(bd, off, back, len));
        cr_assert(!memcmp(buf, back, len), "read back %zu at %llu", len, (unsigned long long)off);
    }
    free(buf);
    free(back);
}

static void whole_compare(BlockDev *bd, int rawfd, uint64_t size)
{
    size_t step = 1 << 20;
    uint8_t *a = malloc(step), *b = malloc(step);
    for (uint64_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? (size_t)(size - off) : step;
        cr_assert(blockdev_read(bd, off, a, n));
        cr_assert(pread(rawfd, b, n, (off_t)off) == (ssize_t)n);
        cr_assert(!memcmp(a, b, n), "contents differ in the MiB at %llu", (unsigned long long)off);
    }
    free(a);
    free(b);
}

/* One image made by qemu-img with OPTIONS, exercised and checked. */
static void exercise(const char *options, uint64_t size, int count, size_t maxlen)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 %s '%s' %llu", options, img,
                     (unsigned long long)size), 0);
    cr_assert_eq(run("qemu-img create -q -f raw '%s' %llu", raw, (unsigned long long)size), 0);
    BlockDev bd;
    open_rw(&bd, img);
    cr_assert_eq(bd.size, size);
    int rawfd = open(raw, O_RDWR);
    rng_state = 0x9E3779B97F4A7C15ull ^ size ^ (uint64_t)count;
    random_writes(&bd, rawfd, size, count, maxlen);
    whole_compare(&bd, rawfd, size);
    cr_assert(blockdev_flush(&bd));
    blockdev_close(&bd);
    close(rawfd);
    assert_clean_and_equal(img, raw);
    /* Reopened: everything still there. */
    open_rw(&bd, img);
    rawfd = open(raw, O_RDONLY);
    whole_compare(&bd, rawfd, size);
    blockdev_close(&bd);
    close(rawfd);
}

Test(qcow2, v3_default_clusters)
{
    exercise("", 64 << 20, 400, 256 << 10);
}

Test(qcow2, v2_compat_010)
{
    exercise("-o compat=0.10", 48 << 20, 300, 128 << 10);
}

/* 512-byte clusters: the refcount table (one cluster, 64 blocks of 256
 * clusters) must grow past 8 MiB of file. */
Test(qcow2, small_clusters_grow_refcount_table)
{
    exercise("-o cluster_size=512", 24 << 20, 200, 96 << 10);
    cr_assert_eq(run("qemu-img info '%s' | grep -q 'cluster_size: 512'", img), 0);
    int fd = open(img, O_RDONLY);
    uint8_t clusters[4];
    cr_assert(pread(fd, clusters, 4, 56) == 4);
    close(fd);
    cr_assert_gt(clusters[3] | clusters[2] << 8, 1, "the refcount table grew");
}

Test(qcow2, narrow_and_wide_refcounts)
{
    exercise("-o cluster_size=4096,refcount_bits=1", 8 << 20, 150, 64 << 10);
    exercise("-o cluster_size=65536,refcount_bits=64", 8 << 20, 150, 64 << 10);
}

/* base.raw <- mid.qcow2 <- top.qcow2, relative names; writes reach only
 * the top, reads fall through. */
Test(qcow2, backing_chain)
{
    uint64_t size = 16 << 20;
    char base[160], mid[160];
    snprintf(base, sizeof base, "%s/base.raw", dir);
    snprintf(mid, sizeof mid, "%s/mid.qcow2", dir);
    cr_assert_eq(run("head -c %llu /dev/urandom >'%s' && cp '%s' '%s'",
                     (unsigned long long)(size / 2), base, base, raw), 0);
    cr_assert_eq(run("truncate -s %llu '%s'", (unsigned long long)size, raw), 0);
    cr_assert_eq(run("cd %s && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 %llu "
                     "&& qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 disk.qcow2",
                     dir, (unsigned long long)size), 0);
    /* Something in the middle layer first (through QEMU). */
    cr_assert_eq(run("qemu-io -c 'write -P 0x5a 1M 64k' '%s' >/dev/null", mid), 0);
    cr_assert_eq(run("qemu-io -f raw -c 'write -P 0x5a 1M 64k' '%s' >/dev/null", raw), 0);
    uint8_t mid_before[4096];
    int mfd = open(mid, O_RDONLY);
    cr_assert(pread(mfd, mid_before, sizeof mid_before, 0) == sizeof mid_before);
    BlockDev bd;
    open_rw(&bd, img);
    cr_assert_eq(bd.size, size);
    int rawfd = open(raw, O_RDWR);
    whole_compare(&bd, rawfd, size);
    rng_state = 77;
    random_writes(&bd, rawfd, size, 200, 100 << 10);
    whole_compare(&bd, rawfd, size);
    blockdev_close(&bd);
    close(rawfd);
    assert_clean_and_equal(img, raw);
    cr_assert_eq(qemu_check(mid), 0);
    uint8_t mid_after[4096];
    cr_assert(pread(mfd, mid_after, sizeof mid_after, 0) == sizeof mid_after);
    cr_assert(!memcmp(mid_before, mid_after, sizeof mid_after), "backing file untouched");
    close(mfd);
}

/* Clusters written by `qemu-img convert -c` read back; a partial write
 * into one copies it out (and frees its sectors). */
Test(qcow2, compressed_clusters)
{
    uint64_t size = 8 << 20;
    cr_assert_eq(run("(seq 1 400000; head -c 300000 /dev/urandom) | head -c %llu >'%s'; "
                     "truncate -s %llu '%s'", (unsigned long long)size, raw,
                     (unsigned long long)size, raw), 0);
    cr_assert_eq(run("qemu-img convert -q -c -f raw -O qcow2 '%s' '%s'", raw, img), 0);
    struct stat st;
    cr_assert_eq(stat(img, &st), 0);
    cr_assert_lt((uint64_t)st.st_size, size / 2, "the image is compressed (%lld bytes)",
                 (long long)st.st_size);
    BlockDev bd;
    open_rw(&bd, img);
    int rawfd = open(raw, O_RDWR);
    whole_compare(&bd, rawfd, size);
    rng_state = 5;
    random_writes(&bd, rawfd, size, 100, 9000);
    whole_compare(&bd, rawfd, size);
    blockdev_close(&bd);
    close(rawfd);
    assert_clean_and_equal(img, raw);
}

/* -snapshot over qcow2: the guest sees its writes, the file stays as it was. */
Test(qcow2, snapshot_leaves_file_alone)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 '%s' 4M && md5sum '%s' >%s/before", img, img,
                     dir), 0);
    blockdev_set_snapshot(true);
    BlockDev bd;
    open_rw(&bd, img);
    uint8_t data[3000], back[3000];
    memset(data, 0xA5, sizeof data);
    cr_assert(blockdev_write(&bd, 100000, data, sizeof data));
    cr_assert(blockdev_read(&bd, 100000, back, sizeof back));
    cr_assert(!memcmp(data, back, sizeof data));
    blockdev_close(&bd);
    blockdev_set_snapshot(false);
    cr_assert_eq(run("md5sum '%s' | cmp -s - %s/before", img, dir), 0);
}

/* format=raw shows the qcow2 file itself, as QEMU does. */
Test(qcow2, format_raw_forced)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 '%s' 64M", img), 0);
    struct stat st;
    cr_assert_eq(stat(img, &st), 0);
    cr_assert(blockdev_set_format(img, "raw"));
    cr_assert_not(blockdev_set_format(img, "vmdk"));
    BlockDev bd;
    char err[512];
    cr_assert(blockdev_open(&bd, img, true, false, err, sizeof err), "%s", err);
    cr_assert_eq(bd.size, (uint64_t)st.st_size);
    uint8_t magic[4];
    cr_assert(blockdev_read(&bd, 0, magic, 4));
    cr_assert(!memcmp(magic, "QFI\xfb", 4));
    blockdev_close(&bd);
    cr_assert(blockdev_set_format(img, "qcow2"));
    cr_assert(blockdev_open(&bd, img, true, false, err, sizeof err), "%s", err);
    cr_assert_eq(bd.size, 64u << 20);
    blockdev_close(&bd);
    cr_assert(blockdev_set_format(raw, "qcow2"));
    cr_assert_eq(run("qemu-img create -q -f raw '%s' 1M", raw), 0);
    cr_assert_not(blockdev_open(&bd, raw, true, false, err, sizeof err));
    cr_assert(strstr(err, "not a qcow2 image"), "%s", err);
}

static void assert_refused(const char *path, const char *needle)
{
    BlockDev bd;
    char err[512] = "";
    cr_assert_not(blockdev_open(&bd, path, false, false, err, sizeof err), "%s opened", path);
    cr_assert(strstr(err, needle), "error for %s: '%s' lacks '%s'", path, err, needle);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(qcow2, foreign_formats_name_the_conversion)
{
    static const char *const formats[] = { "vmdk", "vdi", "vhdx", "vpc", "qed" };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s/x.%s", dir, formats[i]);
        cr_assert_eq(run("qemu-img create -q -f %s '%s' 8M", formats[i], path), 0);
        assert_refused(path, "qemu-img convert -O raw");
    }
    char fixed[160];
    snprintf(fixed, sizeof fixed, "%s/fixed.vhd", dir);
    cr_assert_eq(run("qemu-img create -q -f vpc -o subformat=fixed '%s' 8M", fixed), 0);
    assert_refused(fixed, "vhd");
}

/* A header patched at offset off (big-endian value of width bytes). */
static void patch(const char *path, long off, uint64_t v, int width)
{
    int fd = open(path, O_RDWR);
    uint8_t b[8];
    for (int i = width - 1; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    cr_assert(pwrite(fd, b, (size_t)width, off) == width);
    close(fd);
}

static void fresh(const char *opts)
{
    cr_assert_eq(run("rm -f '%s'; qemu-img create -q -f qcow2 %s '%s' 16M", img, opts, img), 0);
}

Test(qcow2, bad_headers_refused_in_one_line)
{
    fresh("");
    cr_assert_eq(truncate(img, 50), 0);
    assert_refused(img, "truncated header");
    fresh("");
    patch(img, 4, 4, 4);
    assert_refused(img, "version 4");
    fresh("");
    patch(img, 20, 40, 4);
    assert_refused(img, "cluster size");
    fresh("");
    patch(img, 32, 1, 4);
    assert_refused(img, "encrypted");
    fresh("");
    patch(img, 72, 1ull << 4, 8);
    assert_refused(img, "extended L2 entries");
    fresh("");
    patch(img, 72, 1ull << 2, 8);
    assert_refused(img, "external data file");
    fresh("");
    patch(img, 72, 1ull << 1, 8);       /* corrupt: refused for writing only */
    assert_refused(img, "marked corrupt");
    BlockDev bd;
    char err[512];
    cr_assert(blockdev_open(&bd, img, true, false, err, sizeof err), "%s", err);
    blockdev_close(&bd);
    fresh("");
    patch(img, 40, 1ull << 40, 8);      /* L1 table far beyond the end */
    assert_refused(img, "truncated");
    fresh("");
    patch(img, 36, 0, 4);               /* L1 too small for the size */
    assert_refused(img, "L1 table");
    fresh("");
    patch(img, 8, 0x200, 8);            /* a backing file that is not there */
    patch(img, 16, 7, 4);
    cr_assert_eq(run("printf missing | dd of='%s' bs=1 seek=512 conv=notrunc 2>/dev/null", img),
                 0);
    assert_refused(img, "backing file");
}

/* QEMU with lazy refcounts killed while writing leaves the dirty bit and
 * stale refcounts: kairo repairs them on open (as QEMU would), writes, and
 * the image is clean afterwards. */
Test(qcow2, dirty_image_is_repaired_on_open)
{
    uint64_t size = 16 << 20;
    cr_assert_eq(run("qemu-img create -q -f qcow2 -o lazy_refcounts=on '%s' 16M && "
                     "qemu-img create -q -f raw '%s' 16M", img, raw), 0);
    cr_assert_eq(run("qemu-io -c 'write -P 0x11 0 3M' -c 'write -P 0x22 8M 1M' "
                     "-c 'sigraise 9' '%s' >/dev/null 2>&1; "
                     "qemu-io -f raw -c 'write -P 0x11 0 3M' -c 'write -P 0x22 8M 1M' '%s' "
                     ">/dev/null", img, raw), 0);
    cr_assert_neq(qemu_check(img), 0, "QEMU left stale refcounts behind");
    int fd = open(img, O_RDONLY);
    uint8_t incompat[8];
    cr_assert(pread(fd, incompat, 8, 72) == 8);
    close(fd);
    cr_assert(incompat[7] & 1, "the dirty bit is set");
    BlockDev bd;
    open_rw(&bd, img);
    int rawfd = open(raw, O_RDWR);
    whole_compare(&bd, rawfd, size);
    rng_state = 99;
    random_writes(&bd, rawfd, size, 100, 200 << 10);
    blockdev_close(&bd);
    close(rawfd);
    assert_clean_and_equal(img, raw);
}

/* Damage met while running (a table offset that is not aligned) is an I/O
 * error for the guest, not a crash. */
Test(qcow2, corrupt_l1_entry_is_an_io_error)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 '%s' 16M && "
                     "qemu-io -c 'write 0 4k' '%s' >/dev/null",
                     img, img), 0);
    /* L1 is at the cluster named by the header; damage entry 0. */
    int fd = open(img, O_RDONLY);
    uint8_t h[48];
    cr_assert(pread(fd, h, sizeof h, 0) == sizeof h);
    close(fd);
    uint64_t l1 = 0;
    for (int i = 40; i < 48; i++)
        l1 = (l1 << 8) | h[i];
    patch(img, (long)l1, 0x8000000000012345ull, 8);
    BlockDev bd;
    open_rw(&bd, img);
    uint8_t buf[512];
    cr_assert_not(blockdev_read(&bd, 0, buf, sizeof buf));
    cr_assert_not(blockdev_write(&bd, 0, buf, sizeof buf));
    blockdev_close(&bd);
}

Test(qcow2, locks_one_writer_many_readers)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 '%s' 4M", img), 0);
    BlockDev w, r1, r2;
    char err[512];
    open_rw(&w, img);
    assert_refused(img, "in use by another process");
    cr_assert_not(blockdev_open(&r1, img, true, false, err, sizeof err), "reader next to a writer");
    /* QEMU agrees: it cannot open the image while kairo writes it. */
    cr_assert_neq(run("qemu-img info '%s' >/dev/null 2>&1", img), 0);
    blockdev_close(&w);
    cr_assert(blockdev_open(&r1, img, true, false, err, sizeof err), "%s", err);
    cr_assert(blockdev_open(&r2, img, true, false, err, sizeof err), "%s", err);
    assert_refused(img, "in use by another process");
    cr_assert_neq(run("qemu-io -c 'write 0 512' '%s' >/dev/null 2>&1", img), 0);
    blockdev_close(&r1);
    blockdev_close(&r2);
    open_rw(&w, img);
    blockdev_close(&w);
    cr_assert_eq(run("qemu-io -c 'write 0 512' '%s' >/dev/null", img), 0);
}

/* Damaged metadata, a few random bytes at a time, in images with plain,
 * compressed and backing-file clusters: each open is refused in one line
 * or gives a disk whose reads and writes succeed or fail, never a crash or
 * a hang. */
Test(qcow2, random_metadata_damage_never_crashes, .timeout = 120)
{
    char base[160], pristine[160], work[160];
    snprintf(base, sizeof base, "%s/base.raw", dir);
    snprintf(pristine, sizeof pristine, "%s/pristine.qcow2", dir);
    snprintf(work, sizeof work, "%s/work.qcow2", dir);
    cr_assert_eq(run("cd %s && head -c 1M /dev/urandom >base.raw && seq 1 300000 >text && "
                     "truncate -s 2M text && qemu-img convert -q -c -f raw -O qcow2 "
                     "-o cluster_size=4096 text c.qcow2 && qemu-img create -q -f qcow2 "
                     "-o cluster_size=4096 -b base.raw -F raw pristine.qcow2 4M && "
                     "qemu-io -c 'write -P 7 100k 300k' -c 'write -P 9 2M 64k' pristine.qcow2 "
                     ">/dev/null", dir), 0);
    struct stat st;
    cr_assert_eq(stat(pristine, &st), 0);
    uint64_t meta = (uint64_t)st.st_size < 64 * 4096 ? (uint64_t)st.st_size : 64 * 4096;
    uint8_t *buf = malloc(4 << 20);
    rng_state = 0xDA3A6E;
    int opened = 0;
    for (int round = 0; round < 200; round++) {
        cr_assert_eq(run("cp '%s%s' '%s'", round % 2 ? pristine : dir,
                         round % 2 ? "" : "/c.qcow2", work), 0, "round %d", round);
        int fd = open(work, O_RDWR);
        struct stat ws;
        fstat(fd, &ws);
        uint64_t span = round % 2 ? meta : (uint64_t)ws.st_size;
        for (int k = 0, n = 1 + (int)(rnd() % 8); k < n; k++) {
            uint8_t b = (uint8_t)rnd();
            cr_assert(pwrite(fd, &b, 1, (off_t)(rnd() % span)) == 1);
        }
        close(fd);
        BlockDev bd;
        char err[512] = "";
        if (!blockdev_open(&bd, work, false, false, err, sizeof err)) {
            cr_assert_null(strchr(err, '\n'), "one line: %s", err);
            cr_assert_neq(err[0], 0);
            continue;
        }
        opened++;
        uint64_t size = bd.size < (4 << 20) ? bd.size : (4 << 20);
        (void)blockdev_read(&bd, 0, buf, (size_t)size);
        for (int k = 0; k < 20; k++) {
            size_t len = 1 + rnd() % 20000;
            uint64_t off = bd.size > len ? rnd() % (bd.size - len) : 0;
            fill(buf, len);
            (void)blockdev_write(&bd, off, buf, len);
            (void)blockdev_read(&bd, off, buf, len);
        }
        blockdev_close(&bd);
    }
    free(buf);
    cr_assert_gt(opened, 10, "damage mostly in data: some images open (%d)", opened);
}

/* A writer killed with SIGKILL at random moments (512-byte clusters, so
 * refcount blocks are created and the refcount table grows while it
 * runs): `qemu-img check` may find leaked clusters, never corruption, and
 * the image keeps working. */
Test(qcow2, sigkill_while_writing_leaves_no_corruption, .timeout = 120)
{
    cr_assert_eq(run("qemu-img create -q -f qcow2 -o cluster_size=512 '%s' 32M", img), 0);
    rng_state = 0x5EED;
    int leaks = 0;
    for (int round = 0; round < 12; round++) {
        uint64_t seed = rnd();
        pid_t child = fork();
        cr_assert_geq(child, 0);
        if (child == 0) {
            BlockDev bd;
            char err[512];
            if (!blockdev_open(&bd, img, false, false, err, sizeof err))
                _exit(2);
            rng_state = seed | 1;
            uint8_t buf[70000];
            for (;;) {
                size_t len = 1 + rnd() % sizeof buf;
                fill(buf, len);
                blockdev_write(&bd, rnd() % (bd.size - len), buf, len);
            }
        }
        usleep((useconds_t)(20000 + rnd() % 150000));
        kill(child, SIGKILL);
        int st;
        waitpid(child, &st, 0);
        cr_assert(WIFSIGNALED(st), "the writer ran until killed (status %d)", st);
        int c = qemu_check(img);
        if (c != 0 && c != 3)
            run("cat %s/check.txt >&2", dir);
        cr_assert(c == 0 || c == 3, "round %d: qemu-img check status %d", round, c);
        leaks += c == 3;
    }
    /* Still a working image: written, read back, and repaired of its leaks
     * by QEMU it checks clean. */
    BlockDev bd;
    open_rw(&bd, img);
    uint8_t data[5000], back[5000];
    fill(data, sizeof data);
    cr_assert(blockdev_write(&bd, 12345, data, sizeof data));
    cr_assert(blockdev_read(&bd, 12345, back, sizeof back));
    cr_assert(!memcmp(data, back, sizeof data));
    blockdev_close(&bd);
    cr_assert_eq(run("qemu-img check -q -r leaks '%s' >/dev/null 2>&1; qemu-img check -q '%s'",
                     img, img), 0);
    int fd = open(img, O_RDONLY);
    uint8_t rt_clusters[4];
    cr_assert(pread(fd, rt_clusters, 4, 56) == 4);
    close(fd);
    cr_log_info("%d of 12 kills left leaked clusters; refcount table: %d clusters", leaks,
                rt_clusters[2] << 8 | rt_clusters[3]);
    cr_assert_gt(rt_clusters[2] << 8 | rt_clusters[3], 1, "the table grew under the kills");
}

/* An internal snapshot (qemu-img snapshot -c) shares clusters and L2
 * tables: writes copy them out, the snapshot keeps the old contents. */
Test(qcow2, internal_snapshot_keeps_its_clusters)
{
    uint64_t size = 8 << 20;
    char before[160];
    snprintf(before, sizeof before, "%s/before.raw", dir);
    cr_assert_eq(run("qemu-img create -q -f qcow2 '%s' 8M && qemu-img create -q -f raw '%s' 8M "
                     "&& qemu-io -c 'write -P 0x33 0 5M' '%s' >/dev/null && "
                     "qemu-io -f raw -c 'write -P 0x33 0 5M' '%s' >/dev/null && "
                     "qemu-img snapshot -c before '%s' && cp '%s' '%s'",
                     img, raw, img, raw, img, raw, before), 0);
    BlockDev bd;
    open_rw(&bd, img);
    int rawfd = open(raw, O_RDWR);
    rng_state = 4242;
    random_writes(&bd, rawfd, size, 150, 80 << 10);
    whole_compare(&bd, rawfd, size);
    blockdev_close(&bd);
    close(rawfd);
    assert_clean_and_equal(img, raw);
    cr_assert_eq(run("qemu-img snapshot -a before '%s'", img), 0);
    assert_clean_and_equal(img, before);
}
