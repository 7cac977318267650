/* SPDX-License-Identifier: MIT */
/* kairo-host: the guest side of kairo's host calls (-device vmport,
 * docs/VMPORT.md), a static i386 program with no library but libc.
 *   kairo-host run NAME [ARGS...]     an allowlisted host program; stdin,
 *                                     stdout and stderr stream through, its
 *                                     exit status is ours
 *   kairo-host cp host:SHARE/PATH FILE    copy a file from a -vmport share
 *   kairo-host cp FILE host:SHARE/PATH    ... or to it
 * It talks to the host through VMware's backdoor: port 0x5658 for calls,
 * 0x5659 (REP OUTSB/INSB) for message payloads, an RPCI channel for the
 * requests (kairo.exec.*, and HGFS packets for cp). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC 0x564D5868u
#define PORT 0x5658
#define HB_PORT 0x5659
#define CMD_MESSAGE 30
#define ST_SUCCESS 1
#define ST_DORECV 2
#define ST_HB 0x80
#define CHUNK 60000

typedef struct { uint32_t ax, bx, cx, dx, si, di, bp; } Regs;

static void backdoor(Regs *r)
{
    __asm__ volatile("inl %%dx, %%eax"
                     : "+a"(r->ax), "+b"(r->bx), "+c"(r->cx), "+d"(r->dx), "+S"(r->si),
                       "+D"(r->di)
                     :
                     : "memory");
}

/* REP OUTSB / INSB on the high-bandwidth port, EBP carrying a cookie. */
static uint32_t hb_out(Regs *r, const void *buf, uint32_t n)
{
    uint32_t bx = r->bx, si = (uint32_t)(uintptr_t)buf;
    __asm__ volatile("pushl %%ebp\n\tmovl %[bp], %%ebp\n\tcld\n\trep outsb\n\tpopl %%ebp"
                     : "+b"(bx), "+c"(n), "+S"(si)
                     : "a"(r->ax), "d"(r->dx), "D"(r->di), [bp] "m"(r->bp)
                     : "memory");
    return bx;
}

static uint32_t hb_in(Regs *r, void *buf, uint32_t n)
{
    uint32_t bx = r->bx, di = (uint32_t)(uintptr_t)buf;
    __asm__ volatile("pushl %%ebp\n\tmovl %[bp], %%ebp\n\tcld\n\trep insb\n\tpopl %%ebp"
                     : "+b"(bx), "+c"(n), "+D"(di)
                     : "a"(r->ax), "d"(r->dx), "S"(r->si), [bp] "m"(r->bp)
                     : "memory");
    return bx;
}

static struct { uint32_t id, hi, lo; } chan;

static Regs msg_call(uint32_t type, uint32_t bx)
{
    Regs r = { MAGIC, bx, type << 16 | CMD_MESSAGE, chan.id << 16 | PORT, chan.hi, chan.lo, 0 };
    backdoor(&r);
    return r;
}

static int channel_open(void)
{
    Regs r = { MAGIC, 0x49435052u | 0x80000000u, CMD_MESSAGE, PORT, 0, 0, 0 };   /* RPCI */
    backdoor(&r);
    if (!((r.cx >> 16) & ST_SUCCESS))
        return -1;
    chan.id = r.dx >> 16;
    chan.hi = r.si;
    chan.lo = r.di;
    return 0;
}

static void channel_close(void) { msg_call(6, 0); }

static int msg_send(const void *buf, uint32_t n)
{
    Regs r = msg_call(1, n);
    if (!((r.cx >> 16) & ST_SUCCESS))
        return -1;
    if (!n)
        return 0;
    if ((r.cx >> 16) & ST_HB) {
        Regs h = { MAGIC, ST_SUCCESS << 16, 0, chan.id << 16 | HB_PORT, 0, chan.lo, chan.hi };
        return (hb_out(&h, buf, n) >> 16) & ST_SUCCESS ? 0 : -1;
    }
    const uint8_t *p = buf;
    for (uint32_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        memcpy(&v, p + i, n - i < 4 ? n - i : 4);
        r = msg_call(2, v);
        if (!((r.cx >> 16) & ST_SUCCESS))
            return -1;
    }
    return 0;
}

/* Receive into buf (cap bytes); returns the length or -1. */
static int msg_recv(uint8_t *buf, uint32_t cap)
{
    Regs r = msg_call(3, 0);
    uint32_t st = r.cx >> 16;
    if (!(st & ST_SUCCESS))
        return -1;
    if (!(st & ST_DORECV))
        return 0;
    uint32_t n = r.bx;
    if (n > cap)
        return -1;
    if (st & ST_HB) {
        Regs h = { MAGIC, ST_SUCCESS << 16, 0, chan.id << 16 | HB_PORT, chan.hi, 0, chan.lo };
        if (n && !((hb_in(&h, buf, n) >> 16) & ST_SUCCESS))
            return -1;
    } else {
        for (uint32_t i = 0; i < n; i += 4) {
            r = msg_call(4, ST_SUCCESS);
            memcpy(buf + i, &r.bx, n - i < 4 ? n - i : 4);
        }
    }
    msg_call(5, ST_SUCCESS);
    return (int)n;
}

static uint8_t reply[CHUNK + 4096];

/* One RPCI request; the reply's payload after "1 " (or -1 for "0 ..."). */
static int rpc(const void *req, uint32_t n, const uint8_t **payload)
{
    if (msg_send(req, n) != 0)
        return -2;
    int r = msg_recv(reply, sizeof reply - 1);
    if (r < 2)
        return -2;
    reply[r] = 0;
    *payload = reply + 2;
    return reply[0] == '1' ? r - 2 : -1;
}

static void die(const char *what)
{
    fprintf(stderr, "kairo-host: %s\n", what);
    exit(125);
}

/* ======== run ======== */

static uint8_t req[CHUNK + 64];

/* Copy available output (wait: give the host program a moment); returns
 * the exit status once it is gone, -1 otherwise (*idle: nothing there). */
static int pump_output(int id, int wait, int *idle)
{
    const uint8_t *p;
    int n = snprintf((char *)req, sizeof req, "kairo.exec.%s %d", wait ? "wait" : "read", id);
    n = rpc(req, (uint32_t)n, &p);
    if (n < 1)
        die("lost the host program");
    *idle = 0;
    switch (p[0]) {
    case 'o': if (write(1, p + 1, (size_t)n - 1) < 0) die("stdout"); return -1;
    case 'e': if (write(2, p + 1, (size_t)n - 1) < 0) die("stderr"); return -1;
    case 'x': return atoi((const char *)p + 2);
    default: *idle = 1; return -1;
    }
}

static int cmd_run(int argc, char **argv)
{
    size_t n = (size_t)snprintf((char *)req, sizeof req, "kairo.exec.start ");
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        if (n + l > sizeof req)
            die("arguments too long");
        memcpy(req + n, argv[i], l);
        n += l;
    }
    const uint8_t *p;
    int r = rpc(req, (uint32_t)n - 1, &p);
    if (r < 0) {
        fprintf(stderr, "kairo-host: the host refused to run %s: %s\n", argv[0],
                r == -1 ? (const char *)p : "no answer");
        return 126;
    }
    int id = atoi((const char *)p), idle, status = -1;
    int in_eof = 0;
    static uint8_t data[CHUNK];
    while (status < 0) {
        if (!in_eof) {
            ssize_t got = read(0, data, sizeof data);
            if (got <= 0) {
                n = (size_t)snprintf((char *)req, sizeof req, "kairo.exec.eof %d", id);
                rpc(req, (uint32_t)n, &p);
                in_eof = 1;
            }
            for (ssize_t off = 0; off < got && status < 0;) {
                int h = snprintf((char *)req, sizeof req, "kairo.exec.write %d ", id);
                memcpy(req + h, data + off, (size_t)(got - off));
                r = rpc(req, (uint32_t)(h + got - off), &p);
                if (r < 0)
                    die("the host program's stdin is gone");
                long took = atol((const char *)p);
                off += took;
                if (!took)      /* its buffer is full: let output flow first */
                    status = pump_output(id, 1, &idle);
            }
        }
        /* Output now; once stdin is done, wait for more or the exit. */
        do
            status = status >= 0 ? status : pump_output(id, in_eof, &idle);
        while (status < 0 && (!idle || in_eof));
    }
    return status;
}

/* ======== cp, over HGFS (V3 operations, the old header) ======== */

static uint32_t hgfs_id;

static int hgfs(uint32_t op, const uint8_t *fields, size_t n, const uint8_t **rep, int *len)
{
    memcpy(req, "f ", 2);
    uint32_t h[2] = { ++hgfs_id, op };
    memcpy(req + 2, h, 8);
    memcpy(req + 10, fields, n);
    int r = rpc(req, (uint32_t)(10 + n), rep);
    if (r < 8)
        die("no HGFS on the host (-vmport share=...)");
    uint32_t st;
    memcpy(&st, *rep + 4, 4);
    *rep += 8;
    *len = r - 8;
    return (int)st;
}

static int hgfs_open(const char *hostpath, uint32_t mode, uint32_t flags)
{
    static uint8_t f[64 + 16 + 1024];
    size_t l = strlen(hostpath);
    if (l >= 1024)
        die("path too long");
    memset(f, 0, 80);
    f[0] = 3;                               /* mode and flags are valid */
    memcpy(f + 8, &mode, 4);
    memcpy(f + 12, &flags, 4);
    uint32_t len32 = (uint32_t)l, fid = 0xFFFFFFFFu;
    memcpy(f + 64, &len32, 4);
    memcpy(f + 76, &fid, 4);
    for (size_t i = 0; i <= l; i++)         /* '/' separates, NUL in the protocol */
        f[80 + i] = hostpath[i] == '/' ? 0 : (uint8_t)hostpath[i];
    const uint8_t *p;
    int n;
    int st = hgfs(24, f, 80 + l + 1, &p, &n);
    if (st) {
        fprintf(stderr, "kairo-host: host:%s: HGFS status %d\n", hostpath, st);
        exit(1);
    }
    uint32_t h;
    memcpy(&h, p, 4);
    return (int)h;
}

static void hgfs_close(int h)
{
    uint8_t f[12] = { 0 };
    memcpy(f, &h, 4);
    const uint8_t *p;
    int n;
    hgfs(27, f, sizeof f, &p, &n);
}

static int cp_from_host(const char *hostpath, const char *dst)
{
    int h = hgfs_open(hostpath, 0, 0);
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("cannot create the destination");
    for (uint64_t off = 0;;) {
        uint8_t f[24] = { 0 };
        uint32_t want = 49152;
        memcpy(f, &h, 4);
        memcpy(f + 4, &off, 8);
        memcpy(f + 12, &want, 4);
        const uint8_t *p;
        int n;
        if (hgfs(25, f, sizeof f, &p, &n) || n < 12)
            die("read failed");
        uint32_t got;
        memcpy(&got, p, 4);
        if (!got)
            break;
        if (write(fd, p + 12, got) != (ssize_t)got)
            die("write failed");
        off += got;
    }
    hgfs_close(h);
    return close(fd) ? 1 : 0;
}

static int cp_to_host(const char *src, const char *hostpath)
{
    int fd = open(src, O_RDONLY);
    if (fd < 0)
        die("cannot open the source");
    int h = hgfs_open(hostpath, 1, 4);      /* write, create or truncate */
    static uint8_t f[25 + 49152];
    for (uint64_t off = 0;;) {
        ssize_t got = read(fd, f + 25, 49152);
        if (got < 0)
            die("read failed");
        if (!got)
            break;
        memset(f, 0, 25);
        uint32_t n32 = (uint32_t)got;
        memcpy(f, &h, 4);
        memcpy(f + 5, &off, 8);
        memcpy(f + 13, &n32, 4);
        const uint8_t *p;
        int n;
        if (hgfs(26, f, 25 + (size_t)got, &p, &n))
            die("write failed");
        off += (uint64_t)got;
    }
    hgfs_close(h);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "run")) {
        if (channel_open() != 0)
            die("no host calls here (kairo -device vmport)");
        int st = cmd_run(argc - 2, argv + 2);
        channel_close();
        return st;
    }
    if (argc == 4 && !strcmp(argv[1], "cp")) {
        if (channel_open() != 0)
            die("no host calls here (kairo -device vmport)");
        int st = !strncmp(argv[2], "host:", 5) ? cp_from_host(argv[2] + 5, argv[3])
               : !strncmp(argv[3], "host:", 5) ? cp_to_host(argv[2], argv[3] + 5)
               : (die("one side of cp must be host:SHARE/PATH"), 2);
        channel_close();
        return st;
    }
    fprintf(stderr, "usage: kairo-host run NAME [ARGS...]\n"
                    "       kairo-host cp host:SHARE/PATH FILE | FILE host:SHARE/PATH\n");
    return 2;
}
