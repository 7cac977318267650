/* SPDX-License-Identifier: MIT */
/* The DP8390 / NE2000: PROM through remote DMA, transmission, the Send
 * Packet command, the receive ring (wrap, full, overflow and the recovery
 * drivers do), address filters with the multicast hash, loopback and CRC,
 * ISR/IMR and the interrupt line, tally counters, the reset port, hostile
 * register values, save/restore; and the RTL8029 PCI function. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "devstate_harness.h"
#include "iodev/ne2k/dp8390.h"
#include "iodev/ne2k/ne2k_pci.h"
#include "iodev/pic.h"
#include "tests/net/ne2k_driver.h"

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC };
static Dp8390 nic;
static bool irq_line;
static int irq_edges;
static uint8_t sent[2048];
static size_t sent_len;
static int sent_count;

static void on_irq(void *o, bool level)
{
    (void)o;
    if (level && !irq_line)
        irq_edges++;
    irq_line = level;
}

static void on_transmit(void *o, const uint8_t *frame, size_t len)
{
    (void)o;
    memcpy(sent, frame, len);
    sent_len = len;
    sent_count++;
}

static void setup(void)
{
    dp8390_init(&nic, our_mac, false);
    nic.set_irq = on_irq;
    nic.transmit = on_transmit;
    irq_line = false;
    irq_edges = 0;
    sent_len = 0;
    sent_count = 0;
}

TestSuite(ne2k, .init = setup);

/* A frame to us (or to dst) with a recognisable payload. */
static size_t make_frame(uint8_t *f, const uint8_t *dst, size_t len, uint8_t seed)
{
    memcpy(f, dst ? dst : our_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(seed + i * 7);
    return len;
}

/* --- PROM and remote DMA --- */

Test(ne2k, prom_through_remote_dma_byte_mode_is_word_doubled)
{
    /* What Linux's ne probe does: byte mode, 32 bytes at 0, by bytes. */
    drv_out(&nic, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(&nic, 0x0E, 0x48);
    drv_out(&nic, 0x0A, 32);
    drv_out(&nic, 0x0B, 0);
    drv_out(&nic, 0x08, 0);
    drv_out(&nic, 0x09, 0);
    drv_out(&nic, 0x00, CR_STA | CR_RD_READ);
    uint8_t prom[32];
    for (int i = 0; i < 32; i++)
        prom[i] = (uint8_t)dp8390_read(&nic, NE2K_DATA_PORT, 1);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(prom[2 * i], our_mac[i]);
        cr_assert_eq(prom[2 * i + 1], our_mac[i], "each byte twice: an NE2000, not an NE1000");
    }
    cr_assert_eq(prom[28], 0x57);
    cr_assert_eq(prom[30], 0x57, "'WW' signature at PROM bytes 14 and 15");
    cr_assert(drv_in(&nic, 0x07) & ISR_RDC, "remote DMA complete after 32 bytes");
}

Test(ne2k, prom_word_mode_byte_reads_advance_by_a_word)
{
    /* ne2k-pci reads the PROM with inb() while the chip is in word mode. */
    drv_out(&nic, 0x0E, 0x49);
    drv_dma_setup(&nic, 0, 32, CR_RD_READ);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(dp8390_read(&nic, NE2K_DATA_PORT, 1), our_mac[i]);
    drv_dma_setup(&nic, 0, 4, CR_RD_READ);
    cr_assert_eq(dp8390_read(&nic, NE2K_DATA_PORT, 4),
                 (uint32_t)our_mac[0] * 0x0101u | (uint32_t)our_mac[1] * 0x01010000u,
                 "a dword read moves four bytes");
}

Test(ne2k, remote_write_then_read_and_ram_limits)
{
    drv_out(&nic, 0x0E, 0x49);
    uint8_t in[300], out[300];
    for (int i = 0; i < 300; i++)
        in[i] = (uint8_t)(i * 13 + 1);
    drv_write_mem(&nic, 0x4100, in, sizeof in);
    drv_read_mem(&nic, 0x4100, out, sizeof out);
    cr_assert_arr_eq(in, out, sizeof in);
    /* 0xBFFE is RAM in word mode, 0xC000 is nothing; byte mode ends at 0x8000. */
    drv_write_mem(&nic, 0xBFFE, in, 4);
    drv_read_mem(&nic, 0xBFFE, out, 4);
    cr_assert_eq(out[0], in[0]);
    cr_assert_eq(out[2], 0xFF, "past the 32 KiB of buffer RAM");
    drv_out(&nic, 0x0E, 0x48);
    drv_dma_setup(&nic, 0x9000, 1, CR_RD_READ);
    cr_assert_eq(dp8390_read(&nic, NE2K_DATA_PORT, 1), 0xFF, "16 KiB in byte mode");
    /* PROM is read-only. */
    drv_dma_setup(&nic, 0x0000, 1, CR_RD_WRITE);
    dp8390_write(&nic, NE2K_DATA_PORT, 1, 0x00);
    drv_dma_setup(&nic, 0x0000, 1, CR_RD_READ);
    cr_assert_eq(dp8390_read(&nic, NE2K_DATA_PORT, 1), our_mac[0]);
}

Test(ne2k, zero_length_remote_dma_completes_at_once)
{
    /* The ISA ne driver finds its IRQ this way. */
    drv_out(&nic, 0x0F, ISR_RDC);
    drv_out(&nic, 0x07, 0xFF);
    drv_out(&nic, 0x0A, 0);
    drv_out(&nic, 0x0B, 0);
    drv_out(&nic, 0x00, CR_STA | CR_RD_READ);
    cr_assert(drv_in(&nic, 0x07) & ISR_RDC);
    cr_assert(irq_line);
}

/* --- transmission --- */

Test(ne2k, transmit_sends_the_tx_buffer_and_sets_ptx)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[1514];
    make_frame(f, peer_mac, sizeof f, 3);
    cr_assert(ne2k_drv_send(&nic, f, 1514));
    cr_assert_eq(sent_count, 1);
    cr_assert_eq(sent_len, 1514);
    cr_assert_arr_eq(sent, f, 1514);
    cr_assert(irq_edges >= 1, "PTX interrupt");
    cr_assert_eq(drv_in(&nic, 0x00) & CR_TXP, 0, "TXP clears when done");
    /* Too long: aborted, TXE, nothing sent. */
    drv_out(&nic, 0x05, 0xF0);
    drv_out(&nic, 0x06, 0x05);
    drv_out(&nic, 0x00, CR_STA | CR_TXP | CR_RD_ABORT);
    cr_assert(drv_in(&nic, 0x07) & ISR_TXE);
    cr_assert(drv_in(&nic, 0x04) & TSR_ABT);
    cr_assert_eq(sent_count, 1);
    /* Stopped: TXP is ignored. */
    drv_out(&nic, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(&nic, 0x05, 60);
    drv_out(&nic, 0x06, 0);
    drv_out(&nic, 0x00, CR_STP | CR_TXP | CR_RD_ABORT);
    cr_assert_eq(sent_count, 1);
}

/* --- the receive ring --- */

Test(ne2k, receive_pads_short_frames_and_appends_the_fcs)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[42], got[1600];
    make_frame(f, NULL, sizeof f, 9);
    cr_assert(dp8390_receive(&nic, f, sizeof f, false));
    cr_assert(drv_in(&nic, 0x07) & ISR_PRX);
    cr_assert(irq_line);
    cr_assert_eq(drv_in(&nic, 0x0C) & RSR_PRX, RSR_PRX);
    /* The raw header: status, next page, count = 60 + 4 (FCS). */
    uint8_t hdr[4];
    drv_read_mem(&nic, DRV_RX_START << 8, hdr, 4);
    cr_assert_eq(hdr[0], RSR_PRX);
    cr_assert_eq(hdr[1], DRV_RX_START + 1);
    cr_assert_eq(hdr[2] | hdr[3] << 8, 64);
    uint8_t fcs[4];
    drv_read_mem(&nic, (DRV_RX_START << 8) + 4 + 60, fcs, 4);
    uint8_t padded[60] = { 0 };
    memcpy(padded, f, sizeof f);
    uint32_t crc = (uint32_t)crc32(0, padded, 60);
    cr_assert_eq(fcs[0] | fcs[1] << 8 | fcs[2] << 16 | (uint32_t)fcs[3] << 24, crc);
    int n = ne2k_drv_recv(&nic, got, sizeof got);
    cr_assert_eq(n, 60);
    cr_assert_arr_eq(got, f, sizeof f);
    cr_assert_eq(got[59], 0, "padding is zeros");
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), DRV_EMPTY);
}

Test(ne2k, ring_wraps_at_pstop_and_frames_read_back_whole)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[1514], got[1600];
    /* 58 pages; 1514-byte frames take 6: after 9 frames the 10th wraps. */
    for (int round = 0; round < 40; round++) {
        size_t len = 60 + (size_t)(round * 211) % 1455;
        make_frame(f, NULL, len, (uint8_t)round);
        cr_assert(dp8390_receive(&nic, f, len, false), "round %d", round);
        int n = ne2k_drv_recv(&nic, got, sizeof got);
        cr_assert_eq(n, (int)len, "round %d: %d", round, n);
        cr_assert_arr_eq(got, f, len, "round %d", round);
    }
    cr_assert_eq(nic.stats.rx_frames, 40);
}

Test(ne2k, full_ring_pushes_back_then_accepts_after_bnry_moves)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[1514], got[1600];
    make_frame(f, NULL, sizeof f, 1);
    int stored = 0;
    while (dp8390_receive(&nic, f, sizeof f, false))
        stored++;
    cr_assert_eq(stored, 9, "58 pages hold nine 6-page frames: %d", stored);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_OVW, 0, "back-pressure is not an overflow");
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 1514);
    cr_assert(dp8390_receive(&nic, f, sizeof f, false), "room again");
    for (int i = 0; i < 9; i++)
        cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 1514);
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), DRV_EMPTY);
}

Test(ne2k, bnry_below_pstart_means_the_last_page_and_the_ring_stays_whole)
{
    /* lib8390 leaves BNRY at PSTART - 1 when the next frame is at PSTART:
     * the ring is empty, and must fill only up to that page. */
    ne2k_drv_init(&nic, our_mac, 0);
    drv_page(&nic, 1);
    drv_out(&nic, 0x07, DRV_RX_START);
    drv_page(&nic, 0);
    drv_out(&nic, 0x03, DRV_RX_START - 1);
    uint8_t f[1514], got[1600];
    int stored = 0;
    for (unsigned k = 0; k < 20; k++) {
        make_frame(f, NULL, sizeof f, (uint8_t)k);
        if (!dp8390_receive(&nic, f, sizeof f, false))
            break;
        stored++;
    }
    cr_assert_eq(stored, 9, "no frame written over unread ones: %d", stored);
    for (int k = 0; k < stored; k++) {
        make_frame(f, NULL, sizeof f, (uint8_t)k);
        cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 1514, "frame %d", k);
        cr_assert_arr_eq(got, f, sizeof f, "frame %d", k);
    }
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), DRV_EMPTY);
}

Test(ne2k, overflow_sets_ovw_counts_missed_and_recovers)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[1514], got[1600];
    make_frame(f, NULL, sizeof f, 2);
    for (int i = 0; i < 12; i++)
        cr_assert(dp8390_receive(&nic, f, sizeof f, true));
    cr_assert(drv_in(&nic, 0x07) & ISR_OVW);
    cr_assert(drv_in(&nic, 0x0C) & RSR_MPA);
    cr_assert_eq(nic.stats.rx_missed, 3);
    /* Linux's ei_rx_overrun: stop, clear the count, loopback, start,
     * drain the ring, acknowledge OVW, transmit on again. */
    drv_out(&nic, 0x00, CR_STP | CR_RD_ABORT);
    cr_assert(drv_in(&nic, 0x07) & ISR_RST);
    drv_out(&nic, 0x0A, 0);
    drv_out(&nic, 0x0B, 0);
    drv_out(&nic, 0x0D, 0x02);
    drv_out(&nic, 0x00, CR_STA | CR_RD_ABORT);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_RST, 0);
    int drained = 0;
    int n;
    while ((n = ne2k_drv_recv(&nic, got, sizeof got)) > 0) {
        cr_assert_arr_eq(got, f, 1514);
        drained++;
    }
    cr_assert_eq(n, DRV_EMPTY, "the ring is consistent after the overflow");
    cr_assert_eq(drained, 9);
    drv_out(&nic, 0x07, ISR_OVW);
    drv_out(&nic, 0x0D, 0x00);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_OVW, 0);
    cr_assert_eq(drv_in(&nic, 0x0F), 3, "CNTR2 counted the missed frames");
    cr_assert_eq(drv_in(&nic, 0x0F), 0, "and reading cleared it");
    make_frame(f, NULL, 100, 5);
    cr_assert(dp8390_receive(&nic, f, 100, true));
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 100);
    cr_assert_arr_eq(got, f, 100);
}

Test(ne2k, send_packet_command_reads_the_frame_and_advances_bnry)
{
    /* The Send Packet convention: BNRY is the next frame to read. */
    ne2k_drv_init(&nic, our_mac, 0);
    drv_out(&nic, 0x03, DRV_RX_START);
    uint8_t f[700], got[800];
    make_frame(f, NULL, sizeof f, 4);
    cr_assert(dp8390_receive(&nic, f, sizeof f, false));
    cr_assert(dp8390_receive(&nic, f, 100, false));
    drv_out(&nic, 0x00, CR_STA | CR_RD_SEND);
    size_t count = 700 + 4;
    for (size_t i = 0; i < count; i += 2) {
        uint16_t w = (uint16_t)dp8390_read(&nic, NE2K_DATA_PORT, 2);
        got[i] = (uint8_t)w;
        got[i + 1] = (uint8_t)(w >> 8);
    }
    cr_assert_eq(got[0], RSR_PRX, "the transfer starts with the header");
    cr_assert_eq(got[2] | got[3] << 8, count);
    cr_assert_arr_eq(got + 4, f, 700);
    cr_assert(drv_in(&nic, 0x07) & ISR_RDC);
    cr_assert_eq(drv_in(&nic, 0x03), DRV_RX_START + 3, "BNRY moved to the next frame");
}

/* --- address filters --- */

static bool accepted(const uint8_t *dst)
{
    uint8_t f[64];
    make_frame(f, dst, sizeof f, 0);
    uint64_t before = nic.stats.rx_frames;
    dp8390_receive(&nic, f, sizeof f, true);
    uint8_t got[1600];
    while (ne2k_drv_recv(&nic, got, sizeof got) > 0)
        ;
    return nic.stats.rx_frames != before;
}

/* The hash from zlib's CRC: the chip's register is the bit reversal of the
 * reflected one before its final inversion. */
static unsigned hash_by_zlib(const uint8_t addr[6])
{
    uint32_t reflected = ~(uint32_t)crc32(0, addr, 6);
    unsigned idx = 0;
    for (int bit = 0; bit < 6; bit++)
        idx |= ((reflected >> bit) & 1u) << (5 - bit);
    return idx;
}

Test(ne2k, multicast_hash_matches_the_ethernet_crc)
{
    static const uint8_t groups[][6] = {
        { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 }, { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
        { 0x01, 0x80, 0xC2, 0x00, 0x00, 0x00 }, { 0x09, 0x00, 0x2B, 0x00, 0x00, 0x0F },
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        cr_assert_eq(dp8390_mcast_index(groups[i]), hash_by_zlib(groups[i]), "group %zu", i);
}

Test(ne2k, filters_unicast_broadcast_multicast_promiscuous)
{
    static const uint8_t group[6] = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB };
    static const uint8_t other_group[6] = { 0x01, 0x00, 0x5E, 0x7F, 0x12, 0x34 };
    static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    cr_assert_neq(dp8390_mcast_index(group), dp8390_mcast_index(other_group));
    ne2k_drv_init(&nic, our_mac, 0);
    cr_assert(accepted(our_mac));
    cr_assert_not(accepted(peer_mac), "someone else's frame");
    cr_assert(accepted(bcast), "RCR.AB set by the driver");
    cr_assert_not(accepted(group), "RCR.AM clear");
    /* Multicast on, with only group's hash bit in MAR. */
    unsigned idx = dp8390_mcast_index(group);
    drv_page(&nic, 1);
    drv_out(&nic, 0x08 + (idx >> 3), (uint8_t)(1u << (idx & 7)));
    drv_page(&nic, 0);
    drv_out(&nic, 0x0C, RCR_AB | RCR_AM);
    cr_assert(accepted(group));
    cr_assert_not(accepted(other_group), "its hash bit is clear");
    drv_out(&nic, 0x0C, RCR_AM);
    cr_assert_not(accepted(bcast), "RCR.AB clear");
    drv_out(&nic, 0x0C, RCR_PRO);
    cr_assert(accepted(peer_mac), "promiscuous");
    cr_assert(accepted(other_group));
    /* Multicast frames carry RSR.PHY in the ring header. */
    uint8_t f[64], hdr[4];
    make_frame(f, group, sizeof f, 0);
    unsigned at = nic.curr;
    dp8390_receive(&nic, f, sizeof f, true);
    drv_read_mem(&nic, (uint16_t)(at << 8), hdr, 4);
    cr_assert_eq(hdr[0], RSR_PRX | RSR_PHY);
}

Test(ne2k, monitor_mode_tallies_without_storing)
{
    ne2k_drv_init(&nic, our_mac, RCR_MON);
    uint8_t f[64];
    make_frame(f, NULL, sizeof f, 0);
    dp8390_receive(&nic, f, sizeof f, true);
    cr_assert_eq(nic.stats.rx_frames, 0);
    cr_assert_eq(drv_in(&nic, 0x0F), 1, "missed-packet tally");
}

/* --- loopback and CRC --- */

Test(ne2k, internal_loopback_returns_the_frame_with_its_crc)
{
    ne2k_drv_init(&nic, our_mac, 0);
    drv_out(&nic, 0x0D, 0x02);   /* internal loopback */
    uint8_t f[100], got[1600];
    make_frame(f, NULL, sizeof f, 6);
    cr_assert(ne2k_drv_send(&nic, f, sizeof f));
    cr_assert_eq(sent_count, 0, "nothing reaches the wire");
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 100);
    cr_assert_arr_eq(got, f, 100);
    /* The FIFO holds the last bytes: the CRC's. */
    uint32_t crc = (uint32_t)crc32(0, f, 100);
    uint8_t fifo[8];
    for (int i = 0; i < 8; i++)
        fifo[i] = drv_in(&nic, 0x06);
    cr_assert_eq(fifo[4] | fifo[5] << 8 | fifo[6] << 16 | (uint32_t)fifo[7] << 24, crc);
    /* A frame from the wire is not seen in loopback. */
    cr_assert(dp8390_receive(&nic, f, sizeof f, true));
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), DRV_EMPTY);
}

Test(ne2k, loopback_with_crc_inhibited_checks_the_callers_crc)
{
    ne2k_drv_init(&nic, our_mac, 0);
    drv_out(&nic, 0x0D, 0x02 | TCR_CRC);
    uint8_t f[104], got[1600];
    make_frame(f, NULL, 100, 7);
    uint32_t crc = (uint32_t)crc32(0, f, 100);
    for (int i = 0; i < 4; i++)
        f[100 + i] = (uint8_t)(crc >> (8 * i));
    cr_assert(ne2k_drv_send(&nic, f, sizeof f));
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 100, "good CRC: stored");
    f[103] ^= 0x55;
    drv_out(&nic, 0x07, 0xFF);
    cr_assert(ne2k_drv_send(&nic, f, sizeof f));
    cr_assert(drv_in(&nic, 0x07) & ISR_RXE, "receive error");
    cr_assert(drv_in(&nic, 0x0C) & RSR_CRC);
    cr_assert_eq(drv_in(&nic, 0x0E), 1, "CRC tally");
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), DRV_EMPTY, "not stored (RCR.SEP clear)");
}

/* --- interrupts, counters, reset --- */

Test(ne2k, isr_bits_follow_imr_onto_the_line)
{
    ne2k_drv_init(&nic, our_mac, 0);
    drv_out(&nic, 0x0F, 0x00);
    nic.isr |= ISR_PRX;   /* (a frame came and went: the ring is empty) */
    cr_assert(drv_in(&nic, 0x07) & ISR_PRX);
    cr_assert_not(irq_line, "masked");
    drv_out(&nic, 0x0F, ISR_PTX);
    cr_assert_not(irq_line, "another source enabled");
    drv_out(&nic, 0x0F, ISR_PRX | ISR_PTX);
    cr_assert(irq_line, "unmasking raises the line");
    drv_page(&nic, 2);
    cr_assert_eq(drv_in(&nic, 0x0F), ISR_PRX | ISR_PTX, "IMR reads back on page 2");
    drv_page(&nic, 0);
    drv_out(&nic, 0x07, ISR_PTX);
    cr_assert(irq_line, "writing another bit clears nothing");
    drv_out(&nic, 0x07, ISR_PRX);
    cr_assert_not(irq_line, "write one to clear");
    /* RST: not clearable by writing, never an interrupt. */
    drv_out(&nic, 0x0F, 0x7F);
    drv_out(&nic, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(&nic, 0x07, 0xFF);
    cr_assert(drv_in(&nic, 0x07) & ISR_RST);
    cr_assert_not(irq_line);
    /* Every source: PRX, PTX, RXE, TXE, OVW, CNT, RDC each reach the line. */
    static const uint8_t sources[] = { ISR_PRX, ISR_PTX, ISR_RXE, ISR_TXE, ISR_OVW, ISR_CNT, ISR_RDC };
    for (size_t i = 0; i < sizeof sources; i++) {
        drv_out(&nic, 0x0F, sources[i]);
        nic.isr |= sources[i];
        drv_out(&nic, 0x0F, sources[i]);   /* IMR write re-evaluates the line */
        cr_assert(irq_line, "source 0x%02X", sources[i]);
        drv_out(&nic, 0x07, sources[i]);
        cr_assert_not(irq_line, "source 0x%02X cleared", sources[i]);
    }
}

Test(ne2k, prx_is_raised_again_while_frames_wait_in_the_ring)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[200], got[1600];
    make_frame(f, NULL, sizeof f, 1);
    dp8390_receive(&nic, f, sizeof f, false);
    dp8390_receive(&nic, f, sizeof f, false);
    cr_assert_eq(irq_edges, 1);
    /* The driver takes one frame and acknowledges PRX (as lib8390 does
     * after its 10-frame budget): the other one must not be forgotten. */
    uint8_t hdr[4];
    drv_read_mem(&nic, DRV_RX_START << 8, hdr, 4);
    drv_out(&nic, 0x03, (uint8_t)(hdr[1] - 1));
    drv_out(&nic, 0x07, ISR_PRX);
    cr_assert(drv_in(&nic, 0x07) & ISR_PRX, "PRX again: a frame is still there");
    cr_assert_eq(irq_edges, 2, "a fresh edge for an edge-triggered ISA line");
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 200);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_PRX, 0, "ring empty: PRX stays clear");
    cr_assert_not(irq_line);
}

Test(ne2k, page_switch_without_sta_keeps_the_chip_running)
{
    /* lib8390 switches pages with 0x60 / 0x20 (neither STA nor STP). */
    ne2k_drv_init(&nic, our_mac, 0);
    drv_out(&nic, 0x00, 0x60);
    cr_assert_eq(drv_in(&nic, 0x00), 0x60 | CR_STA, "page 1, still started");
    drv_out(&nic, 0x00, 0x20);
    uint8_t f[100], got[1600];
    make_frame(f, NULL, sizeof f, 3);
    dp8390_receive(&nic, f, sizeof f, false);
    cr_assert_eq(nic.stats.rx_missed, 0);
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 100);
    drv_out(&nic, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(&nic, 0x00, 0x20);
    cr_assert_eq(drv_in(&nic, 0x00) & (CR_STA | CR_STP), CR_STP, "and a stopped chip stays stopped");
}

Test(ne2k, tally_counter_raises_cnt_at_128)
{
    ne2k_drv_init(&nic, our_mac, RCR_MON);
    uint8_t f[64];
    make_frame(f, NULL, sizeof f, 0);
    for (int i = 0; i < 127; i++)
        dp8390_receive(&nic, f, sizeof f, true);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_CNT, 0);
    dp8390_receive(&nic, f, sizeof f, true);
    cr_assert(drv_in(&nic, 0x07) & ISR_CNT);
    cr_assert(irq_line);
    for (int i = 0; i < 200; i++)
        dp8390_receive(&nic, f, sizeof f, true);
    cr_assert_eq(drv_in(&nic, 0x0F), 0xC0, "the tally stops at 192");
}

Test(ne2k, reset_port_stops_the_chip_and_masks_interrupts)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[64];
    make_frame(f, NULL, sizeof f, 0);
    dp8390_receive(&nic, f, sizeof f, false);
    cr_assert(irq_line);
    dp8390_read(&nic, NE2K_RESET_PORT, 1);
    cr_assert_eq(drv_in(&nic, 0x00), CR_STP | CR_RD_ABORT);
    cr_assert_eq(drv_in(&nic, 0x07) & ISR_RST, ISR_RST);
    cr_assert_not(irq_line, "IMR cleared");
    cr_assert_eq(nic.imr, 0);
    cr_assert(nic.tcr & TCR_LB, "loopback after reset");
    /* A stopped chip receives nothing. */
    uint64_t before = nic.stats.rx_frames;
    dp8390_receive(&nic, f, sizeof f, false);
    cr_assert_eq(nic.stats.rx_frames, before);
    /* The station address survives; the PROM too. */
    drv_page(&nic, 1);
    cr_assert_eq(drv_in(&nic, 0x01), our_mac[0]);
    drv_page(&nic, 0);
    /* Any port from 0x18 resets (drivers use 0x1F). */
    drv_out(&nic, 0x00, CR_STA | CR_RD_ABORT);
    dp8390_read(&nic, 0x18, 1);
    cr_assert_eq(drv_in(&nic, 0x00) & CR_STP, CR_STP);
}

Test(ne2k, hostile_register_values_never_break_the_chip)
{
    uint8_t f[1514], got[1600];
    make_frame(f, NULL, sizeof f, 0);
    /* Impossible rings: dropped and counted. */
    ne2k_drv_init(&nic, our_mac, RCR_PRO);
    drv_out(&nic, 0x01, 0x90);   /* PSTART above PSTOP */
    dp8390_receive(&nic, f, sizeof f, true);
    drv_out(&nic, 0x01, 0x00);   /* PSTART in the PROM */
    dp8390_receive(&nic, f, sizeof f, true);
    drv_out(&nic, 0x01, 0x46);
    drv_out(&nic, 0x02, 0xFF);   /* PSTOP past the RAM */
    dp8390_receive(&nic, f, sizeof f, true);
    cr_assert_eq(nic.stats.rx_bad_ring, 3);
    /* Random register traffic, then the driver takes over again. */
    srand(1234);
    for (int i = 0; i < 200000; i++) {
        unsigned port = (unsigned)rand() % 0x20;
        unsigned size = 1u << (rand() % 3);
        if (rand() & 1)
            dp8390_write(&nic, port, size, (uint32_t)rand());
        else
            dp8390_read(&nic, port, size);
        if ((i & 255) == 0)
            dp8390_receive(&nic, f, (size_t)(14 + rand() % 1501), rand() & 1);
    }
    ne2k_drv_init(&nic, our_mac, 0);
    make_frame(f, NULL, 500, 3);
    cr_assert(dp8390_receive(&nic, f, 500, true));
    cr_assert_eq(ne2k_drv_recv(&nic, got, sizeof got), 500);
    cr_assert_arr_eq(got, f, 500);
}

Test(ne2k, save_and_restore)
{
    ne2k_drv_init(&nic, our_mac, 0);
    uint8_t f[300], got[1600];
    make_frame(f, NULL, sizeof f, 8);
    dp8390_receive(&nic, f, sizeof f, false);
    StateWriter w = dh_save(&dp8390_desc, &nic, "ne2k0");
    static Dp8390 copy;
    dp8390_init(&copy, peer_mac, false);
    char err[200];
    cr_assert(dh_load(&dp8390_desc, &copy, "ne2k0", w.buf, w.len, err, sizeof err), "%s", err);
    cr_assert_eq(ne2k_drv_recv(&copy, got, sizeof got), 300);
    cr_assert_arr_eq(got, f, 300);
    cr_assert_not(dh_load(&dp8390_desc, &copy, "ne2k0", w.buf, w.len / 2, err, sizeof err),
                  "truncated stream");
    state_writer_free(&w);
}

/* --- the RTL8029 PCI function --- */

static PortBus bus;
static PicPair pic;
static PciBus pci;
static Ne2kPci card;

static uint32_t cfg_read(uint8_t devfn, uint8_t off, unsigned size)
{
    portbus_write(&bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    return portbus_read(&bus, (uint16_t)(0xCFC + (off & 3)), size);
}

static void cfg_write(uint8_t devfn, uint8_t off, unsigned size, uint32_t v)
{
    portbus_write(&bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    portbus_write(&bus, (uint16_t)(0xCFC + (off & 3)), size, v);
}

Test(ne2k_pci, config_space_bar_and_intx)
{
    char err[128];
    static uint8_t pirq[4] = { 0x80, 0x80, 0x0B, 0x80 };   /* PIRQC (slot 3 INTA) -> IRQ 11 */
    portbus_init(&bus);
    pic_init(&pic, NULL, NULL);
    cr_assert(pic_register(&pic, &bus));
    pci_init(&pci, NULL, &bus, pic.lines);
    pci.pirq_route = pirq;
    cr_assert(pci_register(&pci));
    cr_assert(ne2k_pci_init(&card, &pci, &bus, "ne2k0", 3, our_mac, err, sizeof err), "%s", err);
    const uint8_t devfn = 3 << 3;
    cr_assert_eq(cfg_read(devfn, 0x00, 4), 0x802910ECu, "10EC:8029");
    cr_assert_eq(cfg_read(devfn, 0x08, 4) >> 8, 0x020000u, "Ethernet controller");
    cr_assert_eq(cfg_read(devfn, 0x3D, 1), 1, "INTA#");
    cfg_write(devfn, 0x3D, 1, 4);
    cr_assert_eq(cfg_read(devfn, 0x3D, 1), 1, "the pin is read-only");
    /* BAR 0: 256 bytes of I/O. */
    cfg_write(devfn, 0x10, 4, 0xFFFFFFFFu);
    cr_assert_eq(cfg_read(devfn, 0x10, 4), 0xFFFFFF01u);
    cfg_write(devfn, 0x10, 4, 0xC100);
    cr_assert_eq(dp8390_read(&card.chip, 0, 1), CR_STP | CR_RD_ABORT);
    cr_assert_eq(portbus_read(&bus, 0xC100, 1), 0xFF, "not decoded before I/O is enabled");
    cfg_write(devfn, 0x04, 2, PCI_CMD_IO);
    cr_assert_eq(portbus_read(&bus, 0xC100, 1), CR_STP | CR_RD_ABORT, "the chip at the BAR");
    cr_assert_eq(portbus_read(&bus, 0xC10A, 1), 0x50, "RTL8029 ID 'P'");
    cr_assert_eq(portbus_read(&bus, 0xC10B, 1), 0x43, "RTL8029 ID 'C'");
    cr_assert_eq(portbus_read(&bus, 0xC140, 1), 0xFF, "only 32 of the 256 ports decode");
    /* The PROM through the BAR with dword reads, as ne2k-pci does. */
    portbus_write(&bus, 0xC10E, 1, 0x49);
    drv_dma_setup(&card.chip, 0, 8, CR_RD_READ);
    cr_assert_eq(portbus_read(&bus, 0xC110, 4) & 0xFF, our_mac[0]);
    /* INTA# through PIRQC to IRQ 11. */
    portbus_write(&bus, 0xC10F, 1, ISR_RDC);
    portbus_write(&bus, 0xC10A, 2, 0);
    portbus_write(&bus, 0xC100, 1, CR_STA | CR_RD_READ);   /* zero length: RDC at once */
    cr_assert(card.dev.intx_level, "RDC raised INTA#");
    cr_assert(pci.isa_driven & (1u << 11), "routed to IRQ 11");
    cr_assert(cfg_read(devfn, 0x06, 1) & PCI_STS_INTX);
    portbus_write(&bus, 0xC107, 1, 0xFF);
    cr_assert_not(card.dev.intx_level, "acknowledged");
    /* PCI reset: the chip resets with the function, the BAR unmaps. */
    portbus_write(&bus, 0xC100, 1, CR_STA | CR_RD_ABORT);
    pci_reset(&pci);
    cr_assert_eq(card.chip.cr, CR_STP | CR_RD_ABORT);
    cr_assert_eq(portbus_read(&bus, 0xC100, 1), 0xFF);
}
