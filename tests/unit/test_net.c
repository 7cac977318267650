/* SPDX-License-Identifier: MIT */
/* The backend-independent network layer: the malformed-frame check, the
 * queue in front of a NIC with no room, the pcap writer, and the parsing of
 * -netdev / -nic / -device ne2k_* / -object filter-dump. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/net/netdev.h"

static uint8_t frame[1600];

static size_t good_frame(size_t len)
{
    memset(frame, 0, sizeof frame);
    static const uint8_t dst[6] = { 0x52, 0x54, 0, 0, 0, 1 }, src[6] = { 0x52, 0x54, 0, 0, 0, 2 };
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    frame[12] = 0x08;
    return len;
}

Test(net, malformed_frames_are_told_apart)
{
    cr_assert_eq(netdev_check_frame(frame, good_frame(13)), NET_FRAME_RUNT);
    cr_assert_eq(netdev_check_frame(frame, good_frame(14)), NET_FRAME_OK);
    cr_assert_eq(netdev_check_frame(frame, good_frame(1514)), NET_FRAME_OK);
    cr_assert_eq(netdev_check_frame(frame, good_frame(1515)), NET_FRAME_OVERSIZE);
    good_frame(100);
    frame[6] |= 1;
    cr_assert_eq(netdev_check_frame(frame, 100), NET_FRAME_GARBAGE, "group source address");
    good_frame(100);
    frame[12] = 0x05;
    frame[13] = 0xF0;   /* 1520: neither a length nor an EtherType */
    cr_assert_eq(netdev_check_frame(frame, 100), NET_FRAME_GARBAGE);
    frame[12] = 0x00;
    frame[13] = 0x50;   /* 802.3 length 80 ... */
    cr_assert_eq(netdev_check_frame(frame, 100), NET_FRAME_OK, "fits in 86 bytes of payload");
    frame[13] = 0x60;   /* 96 does not */
    cr_assert_eq(netdev_check_frame(frame, 100), NET_FRAME_GARBAGE);
}

/* A NIC with room for `room` frames, then none. */
static int room, taken;
static bool fake_nic(void *nic, const uint8_t *f, size_t len)
{
    (void)nic;
    (void)f;
    (void)len;
    if (!room)
        return false;
    room--;
    taken++;
    return true;
}

static const NetBackendOps no_backend = { "none", NULL, NULL, NULL, NULL };

Test(net, queue_holds_frames_the_nic_cannot_take_and_counts_what_it_drops)
{
    NetDev nd;
    cr_assert(netdev_open_with(&nd, "q", &no_backend, NULL));
    netdev_attach(&nd, fake_nic, NULL);
    room = 2;
    taken = 0;
    for (int i = 0; i < 2 + NET_QUEUE_FRAMES + 5; i++)
        netdev_deliver(&nd, frame, good_frame(60));
    cr_assert_eq(taken, 2);
    cr_assert_eq(nd.q_count, NET_QUEUE_FRAMES);
    cr_assert_eq(nd.stats.rx_queue_drops, 5);
    cr_assert_eq(netdev_queue_space(&nd), 0);
    netdev_deliver(&nd, frame, 5);
    netdev_deliver(&nd, frame, 3000);
    cr_assert_eq(nd.stats.rx_runts, 1);
    cr_assert_eq(nd.stats.rx_oversize, 1);
    room = 1000;
    netdev_flush(&nd);
    cr_assert_eq(taken, 2 + NET_QUEUE_FRAMES);
    cr_assert_eq(nd.stats.rx_frames, 2 + NET_QUEUE_FRAMES);
    cr_assert_eq(nd.q_count, 0);
    netdev_close(&nd);
}

Test(net, pcap_file_has_the_classic_layout)
{
    char path[] = "/tmp/kairo-test-pcap-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    PcapWriter p;
    char err[128];
    cr_assert(pcap_open(&p, path, 100, err, sizeof err), "%s", err);
    pcap_write(&p, frame, good_frame(60));
    pcap_write(&p, frame, good_frame(1514));
    pcap_close(&p);
    FILE *fp = fopen(path, "rb");
    uint32_t hdr[6], rec[4];
    cr_assert_eq(fread(hdr, 4, 6, fp), 6);
    cr_assert_eq(hdr[0], 0xA1B2C3D4u);
    cr_assert_eq(hdr[1], 2u | 4u << 16, "version 2.4");
    cr_assert_eq(hdr[4], 100, "snaplen");
    cr_assert_eq(hdr[5], 1, "LINKTYPE_ETHERNET");
    cr_assert_eq(fread(rec, 4, 4, fp), 4);
    cr_assert_eq(rec[2], 60);
    cr_assert_eq(rec[3], 60);
    fseek(fp, 60, SEEK_CUR);
    cr_assert_eq(fread(rec, 4, 4, fp), 4);
    cr_assert_eq(rec[2], 100, "cut at snaplen");
    cr_assert_eq(rec[3], 1514, "original length kept");
    fclose(fp);
    unlink(path);
}

Test(net, options_parse_as_qemu_spells_them)
{
    static NetOptions o;
    memset(&o, 0, sizeof o);
    cr_assert_eq(netopt_nic(&o, "user,model=ne2k_isa,mac=52:54:00:AB:CD:EF,hostfwd=tcp::2222-:22,"
                                "iobase=0x320,irq=10"), 0);
    cr_assert_eq(o.n_netdevs, 1);
    cr_assert_eq(o.netdev[0].kind, NETDEV_USER);
    cr_assert_str_eq(o.netdev[0].hostfwd[0], "tcp::2222-:22");
    cr_assert_eq(o.nic[0].model, NIC_NE2K_ISA);
    cr_assert_eq(o.nic[0].iobase, 0x320);
    cr_assert_eq(o.nic[0].irq, 10);
    cr_assert_eq(o.nic[0].mac[5], 0xEF);
    cr_assert_str_eq(o.nic[0].netdev, o.netdev[0].id);
    cr_assert_eq(netopt_netdev(&o, "socket,id=s,udp=127.0.0.1:5000,localaddr=127.0.0.1:5001"), 0);
    cr_assert_eq(netopt_device(&o, "ne2k_pci,netdev=s,addr=5"), 0);
    cr_assert_eq(o.nic[1].pci_slot, 5);
    cr_assert_eq(o.nic[1].mac[5], 0x57, "the second card's default MAC counts up");
    cr_assert_eq(netopt_object(&o, "filter-dump,id=f,netdev=s,file=/tmp/x.pcap,maxlen=128"), 0);
    cr_assert_str_eq(o.netdev[1].dump_file, "/tmp/x.pcap");
    cr_assert_eq(netopt_check(&o), 0);
    /* Errors: each one line, -1. */
    cr_assert_eq(netopt_netdev(&o, "socket,id=s,udp=127.0.0.1:1,localaddr=127.0.0.1:2"), -1,
                 "duplicate id");
    cr_assert_eq(netopt_device(&o, "ne2k_isa,irq=13"), -1);
    cr_assert_eq(netopt_device(&o, "ne2k_isa,iobase=0x301"), -1, "not 32-byte aligned");
    cr_assert_eq(netopt_nic(&o, "vde"), -1);
    static NetOptions p;
    memset(&p, 0, sizeof p);
    cr_assert_eq(netopt_device(&p, "ne2k_pci,netdev=nowhere"), 0);
    cr_assert_eq(netopt_check(&p), -1, "the netdev does not exist");
    memset(&p, 0, sizeof p);
    cr_assert_eq(netopt_nic(&p, "none"), 0);
    cr_assert_eq(p.n_nics + p.n_netdevs, 0);
    uint8_t mac[6];
    cr_assert_not(netopt_parse_mac("52:54:00:12:34", mac));
    cr_assert_not(netopt_parse_mac("03:00:00:00:00:01", mac), "multicast");
}
