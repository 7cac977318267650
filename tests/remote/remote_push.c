/* SPDX-License-Identifier: MIT */
/* remote_push: a 16550 driver without a CPU, for the namespace tests and
 * the benchmark. It puts a slot on a port bus, switches it to a remote
 * proxy with the same -remote SPEC kairo takes, and then either
 *   --bytes N   sends N pseudo-random bytes through the UART the way a
 *               polling driver does (LSR until THRE, then 16 bytes into the
 *               FIFO) and prints their SHA-256, or
 *   --bench N   times N reads of the scratch register (one IN each) and
 *               prints p50/p99/p99.9, or
 *   --probe P   reads port P (outside the server's allowlist: refused).
 * Without --spec the slot is a local 16550 (the benchmark's baseline).
 * Exit status: 0 done, 1 bad arguments, 2 no session with the server. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iodev/portbus.h"
#include "iodev/remote/client.h"
#include "iodev/remote/proxy.h"
#include "iodev/uart.h"

#define LSR_THRE 0x20

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void uart_setup(PortBus *bus, uint16_t base)
{
    portbus_write(bus, base + 3, 1, 0x80);     /* DLAB */
    portbus_write(bus, base + 0, 1, 1);        /* 115200 */
    portbus_write(bus, base + 1, 1, 0);
    portbus_write(bus, base + 3, 1, 0x03);     /* 8N1 */
    portbus_write(bus, base + 2, 1, 0xC7);     /* FIFO on, cleared */
    portbus_write(bus, base + 4, 1, 0x03);     /* DTR, RTS */
    portbus_write(bus, base + 1, 1, 0);        /* polled: no interrupts */
}

static int push(PortBus *bus, uint16_t base, size_t bytes, uint64_t seed)
{
    uint8_t chunk[16], hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    uart_setup(bus, base);
    for (size_t done = 0; done < bytes;) {
        unsigned spins = 0;
        while (!(portbus_read(bus, base + 5, 1) & LSR_THRE))
            if (++spins > 1000000) {
                fprintf(stderr, "remote_push: the transmitter never became empty\n");
                return 2;
            }
        size_t n = bytes - done < sizeof chunk ? bytes - done : sizeof chunk;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            chunk[i] = (uint8_t)x;
            portbus_write(bus, base, 1, chunk[i]);
        }
        crypto_hash_sha256_update(&st, chunk, n);
        done += n;
    }
    portbus_read(bus, base + 5, 1);   /* the last writes are executed */
    crypto_hash_sha256_final(&st, hash);
    printf("sha256 ");
    for (size_t i = 0; i < sizeof hash; i++)
        printf("%02x", hash[i]);
    printf("\n");
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int bench(PortBus *bus, uint16_t base, size_t n, const char *label)
{
    uint64_t *t = malloc(n * sizeof *t);
    if (!t)
        return 1;
    for (size_t i = 0; i < 1000 && i < n; i++)     /* warm up */
        portbus_read(bus, base + 7, 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        portbus_read(bus, base + 7, 1);
        t[i] = now_ns() - t0;
    }
    qsort(t, n, sizeof *t, cmp_u64);
    printf("%-14s IN round trip: p50 %8.2f us  p99 %8.2f us  p99.9 %8.2f us  (%zu reads)\n",
           label, (double)t[n / 2] / 1000.0, (double)t[n * 99 / 100] / 1000.0,
           (double)t[n * 999 / 1000] / 1000.0, n);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    const char *spec = NULL, *slot = "com2", *label = "local";
    uint16_t base = 0x2F8;
    size_t bytes = 0, reads = 0;
    long probe = -1;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--spec"))
            spec = v;
        else if (!strcmp(k, "--slot"))
            slot = v;
        else if (!strcmp(k, "--base"))
            base = (uint16_t)strtoul(v, NULL, 0);
        else if (!strcmp(k, "--bytes"))
            bytes = strtoull(v, NULL, 0);
        else if (!strcmp(k, "--bench"))
            reads = strtoull(v, NULL, 0);
        else if (!strcmp(k, "--probe"))
            probe = strtol(v, NULL, 0);
        else if (!strcmp(k, "--seed"))
            seed = strtoull(v, NULL, 0);
        else if (!strcmp(k, "--label"))
            label = v;
        else {
            fprintf(stderr, "remote_push: unknown argument '%s'\n", k);
            return 1;
        }
    }
    if (sodium_init() < 0)
        return 1;
    static PortBus bus;
    static Uart uart;
    static uint64_t icount;
    static Clock clock;
    clock_init(&clock, 1000000000ull, &icount);
    portbus_init(&bus);
    uart_init(&uart, &clock, NULL, NULL);
    if (!uart_register(&uart, &bus, slot, base, 3))
        return 1;
    char err[300];
    RemoteClient *rc = NULL;
    if (spec) {
        if (!remote_attach(&bus, NULL, spec, NULL, NULL, NULL, err, sizeof err)) {
            fprintf(stderr, "remote_push: %s\n", err);
            return 1;
        }
        rc = remote_client_of(&bus, slot);
        if (!rc->online)
            return 2;
    }
    int status = 0;
    if (bytes)
        status = push(&bus, base, bytes, seed);
    if (reads)
        status = bench(&bus, base, reads, label);
    if (probe >= 0 && rc)
        printf("probe 0x%lX: 0x%X\n", (unsigned long)probe, rc_read(rc, (uint16_t)probe, 1));
    if (rc) {
        remote_print_stats(&bus, stderr);
        if (!rc->online || rc->st.offline_events)
            status = status ? status : 2;
    }
    remote_detach_all(&bus);
    return status;
}
