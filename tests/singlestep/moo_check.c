/* SPDX-License-Identifier: MIT */
/* The MOO reader against damaged input: every real file given on the command
 * line is read whole, then cut short at many offsets, has random bytes
 * changed, has chunk lengths blown up, and is cut short while still
 * compressed. The reader must report an error or return fewer tests: never
 * crash, hang or read out of bounds (the sanitizer build checks the last). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/singlestep/moo.h"

static unsigned failures;

#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                          \
            printf(__VA_ARGS__);                                                                 \
            printf("\n");                                                                        \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Parses a buffer to the end; returns the tests read, *error whether the
 * reader reported a format error. -1 if even the header was refused. */
static long parse_buffer(const uint8_t *data, size_t len, bool *error)
{
    MooFile f;
    char err[256];
    *error = false;
    if (!moo_open_mem(&f, data, len, err, sizeof err)) {
        *error = true;
        return -1;
    }
    MooTest t = { 0 };
    long n = 0;
    while (moo_next(&f, &t, err, sizeof err))
        n++;
    *error = err[0] != 0;
    moo_test_free(&t);
    moo_close(&f);
    return n;
}

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The damage checks run on the file's first chunks up to about 64 KiB (a
 * hundred tests or so), cut at a chunk boundary: *tests gets their count. */
static size_t prefix_len(const uint8_t *data, size_t len, long *tests)
{
    size_t pos = 0;
    *tests = 0;
    while (pos + 8 <= len) {
        size_t next = pos + 8 + rd32(data + pos + 4);
        if (next > len || (next > 65536 && pos))
            break;
        *tests += !memcmp(data + pos, "TEST", 4);
        pos = next;
    }
    return pos;
}

static void check_truncations(const uint8_t *data, size_t len, long total)
{
    unsigned errors = 0, cuts = 0;
    for (size_t cut = 0; cut < len; cut = cut < 2048 ? cut + 1 : cut + 1 + rng() % (len / 300)) {
        bool error;
        long n = parse_buffer(data, cut, &error);
        CHECK(n <= total, "cut at %zu: %ld tests of %ld", cut, n, total);
        CHECK(n < total || error, "cut at %zu: all %ld tests and no error", cut, total);
        errors += error;
        cuts++;
    }
    printf("  %u truncated copies: %u reported an error, the rest ended early\n", cuts, errors);
}

static void check_corruptions(const uint8_t *data, size_t len, long total)
{
    uint8_t *copy = malloc(len);
    unsigned errors = 0, rounds = 400;
    for (unsigned r = 0; r < rounds; r++) {
        memcpy(copy, data, len);
        unsigned flips = 1 + rng() % 8;
        for (unsigned i = 0; i < flips; i++)
            copy[rng() % len] ^= (uint8_t)(1 + rng() % 255);
        bool error;
        long n = parse_buffer(copy, len, &error);
        CHECK(n <= total + 8, "corruption round %u: %ld tests of %ld", r, n, total);
        errors += error;
    }
    /* Every length field at a chunk start made huge or off by a few. */
    static const uint32_t lens[] = { 0xFFFFFFFFu, 0x80000000u, 0, 1, 3, 7 };
    for (size_t pos = 0; pos + 8 <= len && pos < 2048; pos++) {
        for (unsigned k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            memcpy(copy, data, len);
            memcpy(copy + pos + 4, &lens[k], 4);
            bool error;
            parse_buffer(copy, len, &error);
        }
    }
    free(copy);
    printf("  %u corrupted copies: %u reported an error\n", rounds, errors);
}

static void check_gzip_truncation(const char *path, size_t len, long total)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return;
    uint8_t *gz = malloc(len);
    size_t glen = fread(gz, 1, len, in);
    fclose(in);
    if (glen < 2 || gz[0] != 0x1F || gz[1] != 0x8B) {
        free(gz);
        return;     /* a plain file: the buffer checks covered it */
    }
    char tmp[] = "/tmp/moo_check_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) {
        free(gz);
        return;
    }
    close(fd);
    size_t cuts[] = { 1, 10, 100, glen / 3, glen / 2, glen - 9, glen - 1 };
    for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        FILE *out = fopen(tmp, "wb");
        fwrite(gz, 1, cuts[i], out);
        fclose(out);
        MooFile f;
        char err[256];
        bool opened = moo_open(&f, tmp, err, sizeof err);
        long n = 0;
        if (opened) {
            MooTest t = { 0 };
            while (moo_next(&f, &t, err, sizeof err))
                n++;
            moo_test_free(&t);
            moo_close(&f);
        }
        CHECK(!opened || n < total || err[0], "gzip cut at %zu of %zu read as whole", cuts[i],
              glen);
        printf("  compressed file cut to %zu bytes: %s\n", cuts[i], err[0] ? err : "no error");
    }
    /* A changed byte inside the deflate stream: a CRC or format error. */
    gz[glen / 2] ^= 0x55;
    FILE *out = fopen(tmp, "wb");
    fwrite(gz, 1, glen, out);
    fclose(out);
    MooFile f;
    char err[256];
    bool opened = moo_open(&f, tmp, err, sizeof err);
    CHECK(!opened, "a corrupted compressed file was accepted");
    if (opened)
        moo_close(&f);
    else
        printf("  compressed file with a changed byte: %s\n", err);
    unlink(tmp);
    free(gz);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: moo_check FILE.MOO[.gz]...\n");
        return 2;
    }
    MooFile f;
    char err[256];
    CHECK(!moo_open(&f, "/nonexistent/x.MOO", err, sizeof err), "opened a missing file");
    static const char junk[] = "this is not a MOO file\n";
    bool error;
    CHECK(parse_buffer((const uint8_t *)junk, sizeof junk, &error) == -1, "read junk");
    CHECK(parse_buffer((const uint8_t *)junk, 0, &error) == -1, "read an empty buffer");

    for (int a = 1; a < argc; a++) {
        if (!moo_open(&f, argv[a], err, sizeof err)) {
            printf("FAIL: %s\n", err);
            return 1;
        }
        long total = 0;
        MooTest t = { 0 };
        while (moo_next(&f, &t, err, sizeof err))
            total++;
        moo_test_free(&t);
        CHECK(!err[0], "%s: %s", argv[a], err);
        CHECK(total == (long)f.n_tests, "%s: %ld tests, header says %u", argv[a], total,
              f.n_tests);
        printf("%s: %ld tests, %zu bytes decompressed\n", argv[a], total, f.len);
        long part_tests;
        size_t part = prefix_len(f.data, f.len, &part_tests);
        check_truncations(f.data, part, part_tests);
        check_corruptions(f.data, part, part_tests);
        bool error;
        long n = parse_buffer(f.data, f.len - 1, &error);
        CHECK(error && n == total - 1, "whole file less its last byte: %ld tests, %s", n,
              error ? "error" : "no error");
        check_gzip_truncation(argv[a], f.len, total);
        moo_close(&f);
    }
    printf("moo_check: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
