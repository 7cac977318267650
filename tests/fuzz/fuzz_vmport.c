/* SPDX-License-Identifier: MIT */
/* Fuzz target for -device vmport's parsers: what the guest controls.
 * The first byte chooses the part:
 *   0  an RPCI request (text) -> vmport_rpci_reply
 *   1  an HGFS packet: byte 1 picks the operation, the rest is its fields,
 *      wrapped in a V4 or an old header (byte 2) -> hgfs_dispatch on a
 *      scratch share beside a file that must survive every input
 *   2  raw HGFS bytes -> hgfs_dispatch
 *   3  a series of backdoor calls (7 registers each, IN or high-bandwidth)
 *   4  the NIC report parser
 *   (a first byte of 0xF0 and up) kairo.exec requests, one per line, to an
 *      allowlist of /bin/true and /bin/cat; whatever was started is killed
 *      after the input
 * Built two ways: with fuzz_replay.c (fuzz.vmport in the default run) and
 * with libFuzzer (-DKAIRO_FUZZ=ON, clang). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/vmport.h"

static Vmport vm;
static PortBus bus;
static uint32_t regs[9];
static char scratch[256], outside[300];
static uint8_t reply[HGFS_PACKET_MAX_LARGE + 64];

static void cleanup(void)
{
    vmport_desc.teardown(&vm);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_vmport: could not remove %s\n", scratch);
}

static void setup_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    snprintf(scratch, sizeof scratch, "/tmp/kairo-fuzz-vmport-XXXXXX");
    if (!mkdtemp(scratch))
        abort();
    char share[300];
    snprintf(share, sizeof share, "%s/share", scratch);
    snprintf(outside, sizeof outside, "%s/outside.txt", scratch);
    mkdir(share, 0755);
    FILE *f = fopen(outside, "w");
    if (f) {
        fputs("must survive\n", f);
        fclose(f);
    }
    char spec[400];
    snprintf(spec, sizeof spec, "s:%s", share);
    char err[256];
    portbus_init(&bus);
    hgfs_init(&vm.hgfs);
    if (!hgfs_add_share(&vm.hgfs, spec, err, sizeof err) || !vmport_init(&vm, &bus))
        abort();
    vmport_attach_regs(&vm, regs);
    vmport_set_guestinfo(&vm, "guestinfo.fuzz=1");
    exec_init(&vm.exec);
    if (!exec_allow(&vm.exec, "t:/bin/true", err, sizeof err) ||
        !exec_allow(&vm.exec, "c:/bin/cat", err, sizeof err))
        abort();
    atexit(cleanup);
}

static const uint32_t hgfs_ops[] = { 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
                                     41, 42, 0, 99 };

static void fuzz_hgfs_op(const uint8_t *d, size_t n)
{
    if (n < 2)
        return;
    uint32_t op = hgfs_ops[d[0] % (sizeof hgfs_ops / sizeof hgfs_ops[0])];
    bool v4 = d[1] & 1;
    d += 2, n -= 2;
    static uint8_t pkt[HGFS_PACKET_MAX_LARGE];
    size_t h = v4 ? 52 : 8;
    if (n > sizeof pkt - h)
        n = sizeof pkt - h;
    memset(pkt, 0, h);
    if (v4) {
        pkt[0] = 1;
        pkt[4] = 0xFF;
        uint32_t total = (uint32_t)(h + n);
        memcpy(pkt + 8, &total, 4);
        pkt[12] = 52;
        memcpy(pkt + 20, &op, 4);
    } else
        memcpy(pkt + 4, &op, 4);
    memcpy(pkt + h, d, n);
    hgfs_dispatch(&vm.hgfs, pkt, h + n, reply, sizeof reply);
}

/* Calls on the last channel opened (bit 1 of the control byte) reach the
 * message states past the cookie check. */
static uint32_t last_dx, last_si, last_di;

static void fuzz_backdoor(const uint8_t *d, size_t n)
{
    for (; n >= 29; d += 29, n -= 29) {
        memcpy(regs, d + 1, 28);        /* EAX..EDI but ESP's slot */
        regs[0] = VMPORT_MAGIC;
        if (d[0] & 1)
            regs[1] = (regs[1] & 0xFFFF0000u) | BD_MESSAGE;
        if (d[0] & 2) {
            regs[2] = (last_dx & 0xFFFF0000u) | (regs[2] & 0xFFFF);
            regs[6] = last_si;
            regs[7] = last_di;
            regs[3] = (d[0] & 4) ? regs[3] % 64 : regs[3];  /* small sizes too */
        }
        bool open = (d[0] & 1) && (regs[1] >> 16) == MSG_OPEN;
        switch (d[0] >> 6) {
        case 0: vmport_backdoor(&vm, regs); break;
        case 1: vmport_hb_out(&vm, regs, d + 1, 28); break;
        case 2: {
            uint8_t b[64];
            vmport_hb_in(&vm, regs, b, d[1] % 64);
            break;
        }
        default: portbus_read(&bus, VMPORT_PORT, 4); break;
        }
        if (open && (regs[1] >> 16) & MSG_ST_SUCCESS)
            last_dx = regs[2], last_si = regs[6], last_di = regs[7];
    }
}

/* Each line is the rest of a "kairo.exec." request (start, write, eof, read,
 * wait, kill with their fields). */
static void fuzz_exec_requests(const uint8_t *d, size_t n)
{
    static uint8_t req[4096 + 16];
    static uint8_t out[4096];
    while (n) {
        const uint8_t *nl = memchr(d, '\n', n);
        size_t len = nl ? (size_t)(nl - d) : n;
        size_t take = len < 4096 ? len : 4096;
        memcpy(req, "kairo.exec.", 11);
        memcpy(req + 11, d, take);
        exec_dispatch(&vm.exec, req, 11 + take, out, sizeof out);
        d += len + (nl != NULL);
        n -= len + (nl != NULL);
    }
    exec_stop_all(&vm.exec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    if (size < 1)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    char out[512];
    if (data[0] >= 0xF0) {
        fuzz_exec_requests(d, n);
        return 0;
    }
    switch (data[0] % 5) {
    case 0: vmport_rpci_reply(&vm, (const char *)d, (uint32_t)n, out, sizeof out); break;
    case 1: fuzz_hgfs_op(d, n); break;
    case 2: hgfs_dispatch(&vm.hgfs, d, n, reply, sizeof reply); break;
    case 3: fuzz_backdoor(d, n); break;
    default: vmport_parse_nicinfo(&vm.guest, d, n); break;
    }
    /* The scratch share's sibling is out of the guest's reach, whatever it sent. */
    if (access(outside, F_OK) != 0) {
        fprintf(stderr, "fuzz_vmport: a request reached outside the share\n");
        abort();
    }
    return 0;
}
