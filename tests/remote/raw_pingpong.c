/* SPDX-License-Identifier: MIT */
/* raw_pingpong: the physical floor under a remote-port round trip. Two
 * processes bounce a 64-byte raw 802.3 frame (EtherType 0x88B5, through
 * the same AF_PACKET transport the remote ports use) between two
 * interfaces, both busy-polling: no crypto, no protocol, no device.
 *
 *   raw_pingpong echo IFACE              send every frame back to its source
 *   raw_pingpong ping IFACE PEER_MAC N   N round trips; prints p50/p99/p99.9
 * Exit status: 0 done, 1 bad arguments or no answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iodev/remote/transport.h"

#define FRAME_LEN 64
#define LOST_NS 100000000ull        /* a frame unanswered for 100 ms was lost: resend */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int echo(RpTransport *t)
{
    uint8_t buf[1600];
    RpPeer from;
    for (;;) {
        size_t n = rp_transport_recv(t, buf, sizeof buf, &from);
        if (n)
            rp_transport_send(t, &from, buf, n);
    }
    return 0;
}

/* One round trip of frame number i; its time in ns, 0 if never answered. */
static uint64_t one_trip(RpTransport *t, const RpPeer *peer, uint32_t i)
{
    uint8_t out[FRAME_LEN] = { 0 }, in[1600];
    RpPeer from;
    out[0] = 'P';
    memcpy(out + 1, &i, sizeof i);
    for (int attempt = 0; attempt < 20; attempt++) {
        uint64_t t0 = rp_now_ns();
        rp_transport_send(t, peer, out, sizeof out);
        while (rp_now_ns() - t0 < LOST_NS) {
            size_t n = rp_transport_recv(t, in, sizeof in, &from);
            if (n == sizeof out && memcmp(in, out, 5) == 0)
                return rp_now_ns() - t0;
        }
    }
    return 0;
}

static int ping(RpTransport *t, const char *mac, size_t n)
{
    RpPeer peer;
    memset(&peer, 0, sizeof peer);
    if (!rp_parse_mac(mac, peer.mac) || !n) {
        fprintf(stderr, "raw_pingpong: bad MAC or count\n");
        return 1;
    }
    uint64_t *ns = malloc(n * sizeof *ns);
    if (!ns)
        return 1;
    for (uint32_t i = 0; i < 1000; i++)     /* warm up */
        one_trip(t, &peer, i);
    for (size_t i = 0; i < n; i++)
        if (!(ns[i] = one_trip(t, &peer, (uint32_t)i))) {
            fprintf(stderr, "raw_pingpong: no answer from %s\n", mac);
            free(ns);
            return 1;
        }
    qsort(ns, n, sizeof *ns, cmp_u64);
    printf("%-14s round trip:    p50 %8.2f us  p99 %8.2f us  p99.9 %8.2f us  (%zu frames)\n",
           "raw AF_PACKET", (double)ns[n / 2] / 1000.0, (double)ns[n * 99 / 100] / 1000.0,
           (double)ns[n * 999 / 1000] / 1000.0, n);
    free(ns);
    return 0;
}

int main(int argc, char **argv)
{
    char err[300];
    RpTransport t;
    if (argc < 3 || (strcmp(argv[1], "echo") && strcmp(argv[1], "ping")) ||
        (!strcmp(argv[1], "ping") && argc != 5)) {
        fprintf(stderr, "usage: raw_pingpong echo IFACE | ping IFACE PEER_MAC N\n");
        return 1;
    }
    if (!rp_transport_open_eth(&t, argv[2], err, sizeof err)) {
        fprintf(stderr, "raw_pingpong: %s\n", err);
        return 1;
    }
    int status = argv[1][0] == 'e' ? echo(&t) : ping(&t, argv[3], strtoull(argv[4], NULL, 0));
    rp_transport_close(&t);
    return status;
}
