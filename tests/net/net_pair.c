/* SPDX-License-Identifier: MIT */
/* Two NE2000s in one process joined by a real backend:
 *   net_pair udp | stream        the socket backend over 127.0.0.1
 *   net_pair raw IF_A IF_B       AF_PACKET on both ends of a veth pair
 *                                (run it under unshare -Urn, see raw_veth.sh)
 *   net_pair tap TAP_A TAP_B     two TAP interfaces on a bridge (tap_bridge.sh)
 *   [--pcap FILE]                filter-dump on A's netdev, checked at the end
 * Each card sends frames of every length class to the other through its
 * data port, the other takes them out of its ring as a driver would and
 * compares them byte for byte. Then malformed frames are thrown at B's
 * backend from outside: they must be dropped and counted, and the ring must
 * stay consistent for the good frames that follow. Prints PASS or a reason. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iodev/ne2k/nic_setup.h"
#include "tests/net/ne2k_driver.h"

#define TEST_ETHERTYPE 0x88B5   /* IEEE local experimental */
#define ROUNDS 120

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x00, 0xAA, 0x01 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x00, 0xBB, 0x02 };
static Dp8390 chip_a, chip_b;
static NetDev net_a, net_b;
static uint64_t a_sent, a_received;

static int die(const char *why)
{
    printf("net_pair: FAIL: %s\n", why);
    return 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t make_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, size_t len, unsigned seq)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = TEST_ETHERTYPE >> 8;
    f[13] = TEST_ETHERTYPE & 0xFF;
    f[14] = (uint8_t)(seq >> 8);
    f[15] = (uint8_t)seq;
    for (size_t i = 16; i < len; i++)
        f[i] = (uint8_t)(seq * 31 + i * 7);
    return len;
}

/* Poll until `to` has one of our test frames in its ring (others skipped). */
static int wait_frame(Dp8390 *to, uint8_t *buf, size_t cap)
{
    NetDev *all[2] = { &net_a, &net_b };
    double deadline = now() + 3.0;
    while (now() < deadline) {
        netdev_poll_all(all, 2, 5);
        int n;
        while ((n = ne2k_drv_recv(to, buf, cap)) != DRV_EMPTY) {
            if (n == DRV_CORRUPT)
                return DRV_CORRUPT;
            if (((unsigned)buf[12] << 8 | buf[13]) == TEST_ETHERTYPE)
                return n;
        }
    }
    return DRV_EMPTY;
}

static int exchange(Dp8390 *from, const uint8_t *src, Dp8390 *to, const uint8_t *dst, unsigned seq,
                    size_t len)
{
    uint8_t f[1514], got[1600];
    make_frame(f, dst, src, len, seq);
    if (!ne2k_drv_send(from, f, len))
        return die("transmit did not complete");
    if (from == &chip_a)
        a_sent++;
    int n = wait_frame(to, got, sizeof got);
    if (n == DRV_CORRUPT)
        return die("corrupt ring header");
    if (n == DRV_EMPTY) {
        fprintf(stderr, "net_pair: frame %u (%zu bytes) lost\n", seq, len);
        return die("frame lost");
    }
    if ((size_t)n != len || memcmp(got, f, len)) {
        fprintf(stderr, "net_pair: frame %u: %d bytes, wanted %zu\n", seq, n, len);
        return die("frame differs");
    }
    if (to == &chip_a)
        a_received++;
    return 0;
}

/* --- malformed frames from outside --- */

typedef struct Injector {
    int fd;
    struct sockaddr_storage to;
    socklen_t to_len;
} Injector;

static bool inject(Injector *in, const uint8_t *frame, size_t len)
{
    return sendto(in->fd, frame, len, 0, (struct sockaddr *)&in->to, in->to_len) == (ssize_t)len;
}

static int hostile_frames(Injector *in)
{
    uint8_t f[1600];
    NetStats before = net_b.stats;
    make_frame(f, mac_b, mac_a, sizeof f, 0);
    bool runt = inject(in, f, 10);                 /* AF_PACKET may refuse it */
    if (!inject(in, f, 1600))
        return die("cannot send the oversize frame (MTU?)");
    make_frame(f, mac_b, mac_a, 200, 1);
    f[6] = 0x01;                                   /* multicast source */
    inject(in, f, 200);
    make_frame(f, mac_b, mac_a, 200, 2);
    f[12] = 0x05;
    f[13] = 0xDC;                                  /* 802.3 length 1500 in 200 bytes */
    inject(in, f, 200);
    /* A good frame after them: it must arrive whole. */
    make_frame(f, mac_b, mac_a, 777, 3);
    inject(in, f, 777);
    uint8_t got[1600];
    int n = wait_frame(&chip_b, got, sizeof got);
    if (n != 777 || memcmp(got, f, 777))
        return die("the good frame after the malformed ones did not arrive intact");
    NetStats *s = &net_b.stats;
    printf("net_pair: malformed: %llu runts, %llu oversize, %llu garbage dropped\n",
           (unsigned long long)(s->rx_runts - before.rx_runts),
           (unsigned long long)(s->rx_oversize - before.rx_oversize),
           (unsigned long long)(s->rx_garbage - before.rx_garbage));
    if ((runt && s->rx_runts - before.rx_runts != 1) || s->rx_oversize - before.rx_oversize != 1 ||
        s->rx_garbage - before.rx_garbage != 2)
        return die("malformed frames not dropped and counted");
    if (ne2k_drv_recv(&chip_b, got, sizeof got) != DRV_EMPTY)
        return die("something besides the good frame reached the ring");
    return 0;
}

/* --- the pcap A's filter-dump wrote --- */

static int check_pcap(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return die("no pcap file");
    uint32_t hdr[6];
    if (fread(hdr, 4, 6, fp) != 6 || hdr[0] != 0xA1B2C3D4u || (hdr[1] & 0xFFFF) != 2 ||
        (hdr[1] >> 16) != 4 || hdr[5] != 1) {
        fclose(fp);
        return die("bad pcap global header");
    }
    uint64_t records = 0, test_frames = 0;
    uint32_t rec[4];
    uint8_t frame[65536];
    while (fread(rec, 4, 4, fp) == 4) {
        if (rec[2] > rec[3] || rec[2] > hdr[4] || rec[3] < 14 || rec[3] > 1514 ||
            fread(frame, 1, rec[2], fp) != rec[2]) {
            fclose(fp);
            return die("bad pcap record");
        }
        records++;
        test_frames += ((unsigned)frame[12] << 8 | frame[13]) == TEST_ETHERTYPE;
    }
    fclose(fp);
    printf("net_pair: pcap %s: %llu records, %llu test frames\n", path,
           (unsigned long long)records, (unsigned long long)test_frames);
    if (test_frames != a_sent + a_received)
        return die("the pcap misses frames");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return die("usage: net_pair udp|stream|raw IF_A IF_B|tap TAP_A TAP_B [--pcap FILE]");
    const char *mode = argv[1], *pcap = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--pcap"))
            pcap = argv[i + 1];
    NetdevConfig ca, cb;
    memset(&ca, 0, sizeof ca);
    memset(&cb, 0, sizeof cb);
    snprintf(ca.id, sizeof ca.id, "a");
    snprintf(cb.id, sizeof cb.id, "b");
    unsigned base = 20000 + (unsigned)getpid() % 20000;
    Injector in = { .fd = -1 };
    if (!strcmp(mode, "udp") || !strcmp(mode, "stream")) {
        ca.kind = cb.kind = NETDEV_SOCKET;
        if (!strcmp(mode, "udp")) {
            snprintf(ca.localaddr, sizeof ca.localaddr, "127.0.0.1:%u", base);
            snprintf(ca.udp, sizeof ca.udp, "127.0.0.1:%u", base + 1);
            snprintf(cb.localaddr, sizeof cb.localaddr, "127.0.0.1:%u", base + 1);
            snprintf(cb.udp, sizeof cb.udp, "127.0.0.1:%u", base);
            in.fd = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in *to = (struct sockaddr_in *)&in.to;
            to->sin_family = AF_INET;
            to->sin_port = htons((uint16_t)(base + 1));
            to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            in.to_len = sizeof *to;
        } else {
            snprintf(ca.listen, sizeof ca.listen, "127.0.0.1:%u", base);
            snprintf(cb.connect, sizeof cb.connect, "127.0.0.1:%u", base);
        }
    } else if (!strcmp(mode, "raw") && argc >= 4) {
        ca.kind = cb.kind = NETDEV_RAW;
        snprintf(ca.ifname, sizeof ca.ifname, "%s", argv[2]);
        snprintf(cb.ifname, sizeof cb.ifname, "%s", argv[3]);
        /* Frames sent on A's side of the veth arrive on B's. */
        in.fd = socket(AF_PACKET, SOCK_RAW, htons(0x0003));
        struct sockaddr_ll *to = (struct sockaddr_ll *)&in.to;
        to->sll_family = AF_PACKET;
        to->sll_ifindex = (int)if_nametoindex(argv[2]);
        to->sll_halen = 6;
        in.to_len = sizeof *to;
    } else if (!strcmp(mode, "tap") && argc >= 4) {
        /* Two TAP interfaces on one bridge (tap_bridge.sh sets them up). */
        ca.kind = cb.kind = NETDEV_TAP;
        snprintf(ca.ifname, sizeof ca.ifname, "%s", argv[2]);
        snprintf(cb.ifname, sizeof cb.ifname, "%s", argv[3]);
    } else {
        return die("unknown mode");
    }
    if (pcap)
        snprintf(ca.dump_file, sizeof ca.dump_file, "%s", pcap);
    char err[256];
    if (!netdev_open(&net_a, &ca, err, sizeof err) || !netdev_open(&net_b, &cb, err, sizeof err)) {
        fprintf(stderr, "net_pair: %s\n", err);
        return die("cannot open the backends");
    }
    dp8390_init(&chip_a, mac_a, false);
    dp8390_init(&chip_b, mac_b, true);
    nic_connect(&chip_a, &net_a);
    nic_connect(&chip_b, &net_b);
    ne2k_drv_init(&chip_a, mac_a, 0);
    ne2k_drv_init(&chip_b, mac_b, 0);
    if (!strcmp(mode, "stream")) {
        /* Let A accept B's connection. */
        NetDev *all[2] = { &net_a, &net_b };
        for (int i = 0; i < 20; i++)
            netdev_poll_all(all, 2, 10);
    }

    if (!strcmp(mode, "tap")) {
        /* A bridge port forwards only once its TAP has a reader: wait until
         * a frame gets through, then start from empty rings. */
        uint8_t hello[60], got[1600];
        make_frame(hello, mac_b, mac_a, sizeof hello, 9999);
        NetDev *all[2] = { &net_a, &net_b };
        bool up = false;
        for (int i = 0; i < 40 && !up; i++) {
            ne2k_drv_send(&chip_a, hello, sizeof hello);
            a_sent++;   /* the pcap holds the hellos too */
            netdev_poll_all(all, 2, 50);
            while (ne2k_drv_recv(&chip_b, got, sizeof got) > 0)
                up = true;
        }
        if (!up)
            return die("the bridge never forwarded");
        while (ne2k_drv_recv(&chip_a, got, sizeof got) > 0)
            ;
    }
    double t0 = now();
    size_t bytes = 0;
    for (unsigned k = 0; k < ROUNDS; k++) {
        size_t len = k % 10 == 0 ? 1514 : 60 + (k * 211) % 1455;
        if (exchange(&chip_a, mac_a, &chip_b, mac_b, k, len) ||
            exchange(&chip_b, mac_b, &chip_a, mac_a, k + 1000, 1574 - len))
            return 1;
        bytes += len + 1574 - len;
    }
    /* A burst bigger than B's ring: back-pressure queues it, nothing lost. */
    uint8_t f[1514], got[1600];
    for (unsigned k = 0; k < 30; k++) {
        make_frame(f, mac_b, mac_a, 1514, 5000 + k);
        ne2k_drv_send(&chip_a, f, 1514);
        a_sent++;
    }
    for (unsigned k = 0; k < 30; k++) {
        int n = wait_frame(&chip_b, got, sizeof got);
        make_frame(f, mac_b, mac_a, 1514, 5000 + k);
        if (n != 1514 || memcmp(got, f, 1514))
            return die("burst frame lost or reordered");
    }
    printf("net_pair: %s: %u round trips, %zu bytes in %.3f s; B ring overflows %llu\n", mode,
           ROUNDS, bytes, now() - t0, (unsigned long long)chip_b.stats.rx_missed);
    if (in.fd >= 0 && hostile_frames(&in))
        return 1;
    netdev_close(&net_a);
    netdev_close(&net_b);
    if (pcap && check_pcap(pcap))
        return 1;
    printf("net_pair: PASS\n");
    return 0;
}
