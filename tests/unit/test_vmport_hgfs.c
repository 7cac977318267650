/* SPDX-License-Identifier: MIT */
/* HGFS (iodev/vmport_hgfs.c): the V3 operations on a scratch share, path
 * confinement ("..", symlinks, special files), read-only shares, and
 * malformed packets getting error statuses. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/vmport_hgfs.h"

static HgfsServer srv;
static char dir[128], path[300];
static uint8_t pkt[HGFS_PACKET_MAX_LARGE], rep[HGFS_PACKET_MAX_LARGE + 64];
static size_t plen, rlen;

static const char *at(const char *rel)
{
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return path;
}

static void put_file(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kairo-hgfs-XXXXXX");
    cr_assert(mkdtemp(dir));
    mkdir(at("rw"), 0755);
    mkdir(at("rw/sub"), 0755);
    mkdir(at("ro"), 0755);
    put_file("rw/a.txt", "alpha");
    put_file("ro/keep.txt", "keep");
    put_file("secret.txt", "SECRET");
    char target[300];
    snprintf(target, sizeof target, "%s", at("secret.txt"));
    cr_assert(symlink(target, at("rw/escape")) == 0);
    cr_assert(mkfifo(at("rw/fifo"), 0644) == 0);
    hgfs_init(&srv);
    char spec[400], err[200];
    snprintf(spec, sizeof spec, "rw:%s/rw", dir);
    cr_assert(hgfs_add_share(&srv, spec, err, sizeof err), "%s", err);
    snprintf(spec, sizeof spec, "ro:%s/ro:ro", dir);
    cr_assert(hgfs_add_share(&srv, spec, err, sizeof err), "%s", err);
}

static void teardown(void)
{
    hgfs_free(&srv);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}

TestSuite(hgfs, .init = setup, .fini = teardown);

/* ---- packets with the old (id, op) header ---- */

static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void begin(uint32_t op, size_t fixed)
{
    memset(pkt, 0, 8 + fixed);
    w32(pkt, 77);
    w32(pkt + 4, op);
    plen = 8 + fixed;
}

/* A V3 name ("share\0dir\0leaf" written with '/' here) at the end. */
static void name(const char *slash_path)
{
    size_t n = strlen(slash_path);
    w32(pkt + plen, (uint32_t)n);
    w32(pkt + plen + 4, 0);
    w32(pkt + plen + 8, 1);
    w32(pkt + plen + 12, 0xFFFFFFFFu);
    for (size_t i = 0; i < n; i++)
        pkt[plen + 16 + i] = slash_path[i] == '/' ? 0 : (uint8_t)slash_path[i];
    pkt[plen + 16 + n] = 0;
    plen += 16 + n + 1;
}

static uint32_t send(void)
{
    rlen = hgfs_dispatch(&srv, pkt, plen, rep, sizeof rep);
    cr_assert_geq(rlen, 8);
    cr_assert_eq(r32(rep), 77);
    return r32(rep + 4);
}

enum { OPEN = 24, READ, WRITE, CLOSE, SOPEN, SREAD, SCLOSE, GETATTR, SETATTR, MKDIR, DEL, RMDIR,
       RENAME, VOLUME };

static uint32_t getattr(const char *p)
{
    begin(GETATTR, 16);
    name(p);
    return send();
}

/* Open: mode 0 read, 1 write, 2 rw; flags 0 existing .. 4 create+truncate. */
static uint32_t open_file(const char *p, uint32_t mode, uint32_t flags, uint32_t *handle)
{
    begin(OPEN, 64);
    w64(pkt + 8, 3);            /* mode and flags valid */
    w32(pkt + 16, mode);
    w32(pkt + 20, flags);
    name(p);
    uint32_t st = send();
    if (!st && handle)
        *handle = r32(rep + 8);
    return st;
}

Test(hgfs, read_a_file)
{
    cr_assert_eq(getattr("rw/a.txt"), HGFS_ST_SUCCESS);
    uint64_t size;
    memcpy(&size, rep + 8 + 12, 8);
    cr_assert_eq(size, 5);
    uint32_t h;
    cr_assert_eq(open_file("rw/a.txt", 0, 0, &h), HGFS_ST_SUCCESS);
    begin(READ, 24);
    w32(pkt + 8, h);
    w32(pkt + 20, 100);
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    cr_assert_eq(r32(rep + 8), 5);
    cr_assert_eq(memcmp(rep + 20, "alpha", 5), 0);
    begin(CLOSE, 12);
    w32(pkt + 8, h);
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    cr_assert_eq(send(), HGFS_ST_INVALID_HANDLE);           /* closed twice */
}

Test(hgfs, write_create_rename_delete)
{
    uint32_t h;
    cr_assert_eq(open_file("rw/sub/new.txt", 1, 3, &h), HGFS_ST_SUCCESS);
    begin(WRITE, 25);
    w32(pkt + 8, h);
    w32(pkt + 8 + 13, 4);
    memcpy(pkt + plen, "data", 4);
    plen += 4;
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    cr_assert_eq(r32(rep + 8), 4);
    cr_assert_eq(open_file("rw/sub/new.txt", 1, 3, NULL), HGFS_ST_FILE_EXISTS);
    begin(RENAME, 16);
    name("rw/sub/new.txt");
    name("rw/moved.txt");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    cr_assert_eq(access(at("rw/moved.txt"), F_OK), 0);
    begin(DEL, 16);
    name("rw/moved.txt");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    cr_assert_neq(access(at("rw/moved.txt"), F_OK), 0);
    begin(MKDIR, 20);
    name("rw/d");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    begin(DEL, 16);
    name("rw/d");
    cr_assert_eq(send(), HGFS_ST_ACCESS_DENIED);            /* a directory: rmdir */
    begin(RMDIR, 16);
    name("rw/d");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    begin(RMDIR, 16);
    name("rw/d");
    cr_assert_eq(send(), HGFS_ST_NO_SUCH_FILE);
}

Test(hgfs, confinement)
{
    cr_assert_eq(getattr("rw/../secret.txt"), HGFS_ST_INVALID_NAME);
    cr_assert_eq(getattr("rw/sub/../../secret.txt"), HGFS_ST_INVALID_NAME);
    cr_assert_eq(getattr("rw/./a.txt"), HGFS_ST_INVALID_NAME);
    cr_assert_eq(getattr("../rw/a.txt"), HGFS_ST_NO_SUCH_FILE);
    cr_assert_eq(getattr("rw/escape"), HGFS_ST_ACCESS_DENIED);
    cr_assert_eq(open_file("rw/escape", 0, 0, NULL), HGFS_ST_ACCESS_DENIED);
    uint32_t st = getattr("rw/escape/x");                  /* never walked through */
    cr_assert(st == HGFS_ST_ACCESS_DENIED || st == HGFS_ST_NOT_DIRECTORY, "status %u", st);
    cr_assert_eq(open_file("rw/fifo", 0, 0, NULL), HGFS_ST_ACCESS_DENIED);
    cr_assert_eq(getattr("nosuch/a.txt"), HGFS_ST_NO_SUCH_FILE);
    /* A name with a slash inside one component. */
    begin(GETATTR, 16);
    w32(pkt + plen, 8);
    memcpy(pkt + plen + 16, "rw\0a/b.x", 8);
    plen += 16 + 9;
    cr_assert_eq(send(), HGFS_ST_INVALID_NAME);
    /* The share's own directory cannot be deleted or renamed. */
    begin(RMDIR, 16);
    name("rw");
    cr_assert_eq(send(), HGFS_ST_ACCESS_DENIED);
}

Test(hgfs, read_only_share)
{
    cr_assert_eq(open_file("ro/keep.txt", 0, 0, NULL), HGFS_ST_SUCCESS);
    cr_assert_eq(open_file("ro/keep.txt", 2, 0, NULL), HGFS_ST_ACCESS_DENIED);
    cr_assert_eq(open_file("ro/new.txt", 1, 2, NULL), HGFS_ST_ACCESS_DENIED);
    begin(DEL, 16);
    name("ro/keep.txt");
    cr_assert_eq(send(), HGFS_ST_ACCESS_DENIED);
    begin(RENAME, 16);
    name("rw/a.txt");
    name("ro/a.txt");
    cr_assert_eq(send(), HGFS_ST_ACCESS_DENIED);
    cr_assert_eq(access(at("ro/keep.txt"), F_OK), 0);
}

Test(hgfs, listing)
{
    begin(SOPEN, 8);
    name("rw");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);
    uint32_t h = r32(rep + 8);
    int seen = 0;
    for (uint32_t i = 0; i < 10; i++) {
        begin(SREAD, 20);
        w32(pkt + 8, h);
        w32(pkt + 12, i);
        cr_assert_eq(send(), HGFS_ST_SUCCESS);
        uint64_t count;
        memcpy(&count, rep + 8, 8);
        if (!count)
            break;
        const char *nm = (const char *)rep + 24 + 4 + 104 + 16;
        cr_assert(!strcmp(nm, "a.txt") || !strcmp(nm, "sub"), "listed %s", nm);
        seen++;
    }
    cr_assert_eq(seen, 2);      /* not the symlink, not the FIFO */
    begin(SOPEN, 8);
    name("");
    cr_assert_eq(send(), HGFS_ST_SUCCESS);                  /* the share list */
}

Test(hgfs, malformed_packets)
{
    uint8_t tiny[3] = { 1, 2, 3 };
    rlen = hgfs_dispatch(&srv, tiny, sizeof tiny, rep, sizeof rep);
    cr_assert_eq(rlen, 8);
    cr_assert_eq(r32(rep + 4), HGFS_ST_PROTOCOL_ERROR);
    begin(GETATTR, 4);                                      /* fields cut short */
    cr_assert_eq(send(), HGFS_ST_PROTOCOL_ERROR);
    begin(GETATTR, 16);
    w32(pkt + plen, 1000);                                  /* a name past the end */
    plen += 17;
    cr_assert_eq(send(), HGFS_ST_PROTOCOL_ERROR);
    begin(READ, 24);
    w32(pkt + 8, 9999);
    cr_assert_eq(send(), HGFS_ST_INVALID_HANDLE);
    begin(READ, 24);
    cr_assert_eq(send(), HGFS_ST_INVALID_HANDLE);
    begin(123, 0);
    cr_assert_eq(send(), HGFS_ST_PROTOCOL_ERROR);           /* an old operation */
    /* A V4 header whose sizes lie. */
    memset(pkt, 0, 52);
    pkt[0] = 1;
    w32(pkt + 4, 0xFF);
    w32(pkt + 8, 4000);
    w32(pkt + 12, 52);
    rlen = hgfs_dispatch(&srv, pkt, 52, rep, sizeof rep);
    cr_assert_eq(rlen, 52);
    cr_assert_eq(r32(rep + 24), HGFS_ST_PROTOCOL_ERROR);
    char err[200];
    cr_assert_not(hgfs_add_share(&srv, "nocolon", err, sizeof err));
    cr_assert_not(hgfs_add_share(&srv, "x:/nonexistent/dir", err, sizeof err));
    cr_assert_not(hgfs_add_share(&srv, "rw:/tmp", err, sizeof err));  /* the name is taken */
}

Test(hgfs, v4_session)
{
    memset(pkt, 0, 52 + 16);
    pkt[0] = 1;
    w32(pkt + 4, 0xFF);
    w32(pkt + 8, 52 + 16);
    w32(pkt + 12, 52);
    w32(pkt + 16, 5);
    w32(pkt + 20, 41);                                      /* create session */
    rlen = hgfs_dispatch(&srv, pkt, 52 + 16, rep, sizeof rep);
    cr_assert_eq(rlen, 52 + 24);
    cr_assert_eq(r32(rep + 8), 52 + 24);
    cr_assert_eq(r32(rep + 16), 5);
    cr_assert_eq(r32(rep + 24), HGFS_ST_SUCCESS);
    cr_assert_eq(r32(rep + 28), 2);                         /* a reply */
    cr_assert_eq(memcmp(rep + 36, rep + 52, 8), 0);         /* the session id, twice */
}
