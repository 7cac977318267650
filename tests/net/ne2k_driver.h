/* SPDX-License-Identifier: MIT */
/* A minimal NE2000 driver for the tests, programmed through the ports the
 * way Linux's ne/ne2k-pci and lib8390 do it: TX buffer at pages 0x40-0x45,
 * receive ring 0x46-0x80 (the "BNRY is one page behind" convention), word
 * mode. ne2k_drv_recv checks every ring header as a careful driver would,
 * so a corrupt ring is seen as such. */
#ifndef KAIRO_TEST_NE2K_DRIVER_H
#define KAIRO_TEST_NE2K_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/ne2k/dp8390.h"

#define DRV_TX_PAGE   0x40
#define DRV_RX_START  0x46
#define DRV_RX_STOP   0x80

static inline uint8_t drv_in(Dp8390 *n, unsigned reg) { return (uint8_t)dp8390_read(n, reg, 1); }
static inline void drv_out(Dp8390 *n, unsigned reg, uint8_t v) { dp8390_write(n, reg, 1, v); }

static inline void drv_page(Dp8390 *n, unsigned page)
{
    drv_out(n, 0x00, (uint8_t)((drv_in(n, 0x00) & (CR_STA | CR_STP)) | CR_RD_ABORT | page << 6));
}

/* Remote DMA of len bytes at addr, word-wide (len rounded up to even). */
static inline void drv_dma_setup(Dp8390 *n, uint16_t addr, uint16_t len, uint8_t cmd)
{
    drv_out(n, 0x00, (uint8_t)((drv_in(n, 0x00) & (CR_STA | CR_STP)) | CR_RD_ABORT));
    drv_out(n, 0x0A, (uint8_t)len);
    drv_out(n, 0x0B, (uint8_t)(len >> 8));
    drv_out(n, 0x08, (uint8_t)addr);
    drv_out(n, 0x09, (uint8_t)(addr >> 8));
    drv_out(n, 0x00, (uint8_t)((drv_in(n, 0x00) & (CR_STA | CR_STP)) | cmd));
}

static inline void drv_read_mem(Dp8390 *n, uint16_t addr, uint8_t *buf, size_t len)
{
    size_t even = (len + 1) & ~(size_t)1;
    drv_dma_setup(n, addr, (uint16_t)even, CR_RD_READ);
    for (size_t i = 0; i < even; i += 2) {
        uint16_t w = (uint16_t)dp8390_read(n, NE2K_DATA_PORT, 2);
        buf[i] = (uint8_t)w;
        if (i + 1 < len)
            buf[i + 1] = (uint8_t)(w >> 8);
    }
    drv_out(n, 0x07, ISR_RDC);
}

static inline void drv_write_mem(Dp8390 *n, uint16_t addr, const uint8_t *buf, size_t len)
{
    size_t even = (len + 1) & ~(size_t)1;
    drv_dma_setup(n, addr, (uint16_t)even, CR_RD_WRITE);
    for (size_t i = 0; i < even; i += 2)
        dp8390_write(n, NE2K_DATA_PORT, 2, buf[i] | (i + 1 < len ? buf[i + 1] << 8 : 0));
    drv_out(n, 0x07, ISR_RDC);
}

/* Reset and bring the card up: word mode, ring, station address, started,
 * receiving broadcasts (rcr adds more), every interrupt enabled. */
static inline void ne2k_drv_init(Dp8390 *n, const uint8_t mac[6], uint8_t rcr)
{
    dp8390_write(n, NE2K_RESET_PORT, 1, dp8390_read(n, NE2K_RESET_PORT, 1));
    drv_out(n, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(n, 0x0E, 0x49);                  /* word-wide, normal operation, FIFO 8 */
    drv_out(n, 0x0A, 0);
    drv_out(n, 0x0B, 0);
    drv_out(n, 0x0C, RCR_MON);
    drv_out(n, 0x0D, 0x02);                  /* transmitter off (loopback) */
    drv_out(n, 0x04, DRV_TX_PAGE);
    drv_out(n, 0x01, DRV_RX_START);
    drv_out(n, 0x03, DRV_RX_STOP - 1);
    drv_out(n, 0x02, DRV_RX_STOP);
    drv_out(n, 0x07, 0xFF);
    drv_out(n, 0x0F, 0x00);
    drv_out(n, 0x00, CR_STP | CR_RD_ABORT | 0x40);   /* page 1 */
    for (int i = 0; i < 6; i++)
        drv_out(n, 0x01 + (unsigned)i, mac[i]);
    for (int i = 0; i < 8; i++)
        drv_out(n, 0x08 + (unsigned)i, 0x00);
    drv_out(n, 0x07, DRV_RX_START);          /* CURR */
    drv_out(n, 0x00, CR_STP | CR_RD_ABORT);
    drv_out(n, 0x07, 0xFF);
    drv_out(n, 0x0F, 0x7F);
    drv_out(n, 0x00, CR_STA | CR_RD_ABORT);
    drv_out(n, 0x0D, 0x00);                  /* normal transmit */
    drv_out(n, 0x0C, (uint8_t)(RCR_AB | rcr));
}

/* Queue one frame and transmit it; the chip completes at once. */
static inline bool ne2k_drv_send(Dp8390 *n, const uint8_t *frame, size_t len)
{
    drv_write_mem(n, DRV_TX_PAGE << 8, frame, len);
    drv_out(n, 0x04, DRV_TX_PAGE);
    drv_out(n, 0x05, (uint8_t)len);
    drv_out(n, 0x06, (uint8_t)(len >> 8));
    drv_out(n, 0x00, CR_STA | CR_TXP | CR_RD_ABORT);
    bool ok = (drv_in(n, 0x07) & ISR_PTX) && (drv_in(n, 0x04) & TSR_PTX);
    drv_out(n, 0x07, ISR_PTX | ISR_TXE);
    return ok;
}

enum { DRV_EMPTY = -1, DRV_CORRUPT = -2 };

/* Take the next frame out of the ring: its length (60-1514), DRV_EMPTY,
 * or DRV_CORRUPT when a header does not make sense. */
static inline int ne2k_drv_recv(Dp8390 *n, uint8_t *buf, size_t cap)
{
    unsigned this_frame = drv_in(n, 0x03) + 1u;
    if (this_frame >= DRV_RX_STOP)
        this_frame = DRV_RX_START;
    drv_page(n, 1);
    unsigned curr = drv_in(n, 0x07);
    drv_page(n, 0);
    if (this_frame == curr)
        return DRV_EMPTY;
    uint8_t hdr[4];
    drv_read_mem(n, (uint16_t)(this_frame << 8), hdr, 4);
    unsigned count = hdr[2] | hdr[3] << 8;
    unsigned next = hdr[1];
    if (count < 4)
        return DRV_CORRUPT;
    unsigned pkt_len = count - 4;
    unsigned ring = DRV_RX_STOP - DRV_RX_START;
    unsigned expect = this_frame + 1 + ((pkt_len + 4) >> 8);
    bool next_ok = next == expect || next == expect + 1 || next == expect - ring ||
                   next == expect + 1 - ring;
    if ((hdr[0] & 0x0F) != RSR_PRX || pkt_len < 60 || pkt_len > 1514 || !next_ok ||
        next < DRV_RX_START || next >= DRV_RX_STOP || pkt_len > cap)
        return DRV_CORRUPT;
    drv_read_mem(n, (uint16_t)((this_frame << 8) + 4), buf, pkt_len);
    /* As lib8390: "next - 1" unwrapped, so PSTART - 1 after a wrap. */
    drv_out(n, 0x03, (uint8_t)(next - 1));
    drv_out(n, 0x07, ISR_PRX | ISR_RXE);
    return (int)pkt_len;
}

#endif
