/* SPDX-License-Identifier: MIT */
/* The National DP8390 network interface controller as the NE2000 wraps it:
 * register pages 0-3, remote DMA (read, write, send packet) through the
 * NE2000's data port, the receive ring in the card's buffer RAM, address
 * filtering, loopback, tally counters, interrupts, and the station-address
 * PROM. The bus glue (ne2k_isa.c, ne2k_pci.c) maps the 32 ports and wires
 * the interrupt; the network side calls dp8390_receive and gets frames
 * through the transmit hook.
 *
 * The card's address space as the remote DMA sees it: 0x0000-0x3FFF the
 * 32-byte PROM (repeated), 0x4000-0x7FFF buffer RAM in byte mode, 0x4000-
 * 0xBFFF in word mode (DCR.WTS), nothing above. */
#ifndef KAIRO_DP8390_H
#define KAIRO_DP8390_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/device.h"

/* Port offsets from the card's base. */
#define NE2K_DATA_PORT   0x10
#define NE2K_RESET_PORT  0x1F
#define NE2K_IO_SIZE     0x20

#define DP8390_RAM_START 0x4000
#define DP8390_RAM_SIZE  0x8000
#define DP8390_MIN_FRAME 60
#define DP8390_MAX_FRAME 1514

/* Command register */
#define CR_STP   0x01
#define CR_STA   0x02
#define CR_TXP   0x04
#define CR_RD    0x38   /* remote DMA command */
#define CR_RD_READ   0x08
#define CR_RD_WRITE  0x10
#define CR_RD_SEND   0x18
#define CR_RD_ABORT  0x20
#define CR_PS    0xC0

/* Interrupt status / mask */
#define ISR_PRX  0x01
#define ISR_PTX  0x02
#define ISR_RXE  0x04
#define ISR_TXE  0x08
#define ISR_OVW  0x10
#define ISR_CNT  0x20
#define ISR_RDC  0x40
#define ISR_RST  0x80

/* Data configuration */
#define DCR_WTS  0x01
#define DCR_LS   0x08   /* 0 = loopback selected */
/* Transmit configuration */
#define TCR_CRC  0x01   /* inhibit CRC generation */
#define TCR_LB   0x06
/* Receive configuration */
#define RCR_SEP  0x01
#define RCR_AR   0x02
#define RCR_AB   0x04
#define RCR_AM   0x08
#define RCR_PRO  0x10
#define RCR_MON  0x20
/* Receive status */
#define RSR_PRX  0x01
#define RSR_CRC  0x02
#define RSR_MPA  0x10
#define RSR_PHY  0x20
#define RSR_DIS  0x40
/* Transmit status */
#define TSR_PTX  0x01
#define TSR_ABT  0x08

typedef struct Dp8390Stats {
    uint64_t tx_frames, tx_aborted;
    uint64_t rx_frames;          /* stored in the ring */
    uint64_t rx_filtered;        /* not addressed to us */
    uint64_t rx_missed;          /* ring full or receiver off (CNTR2) */
    uint64_t rx_crc_errors;      /* loopback with a bad CRC (CNTR1) */
    uint64_t rx_bad_ring;        /* the guest programmed an impossible ring */
} Dp8390Stats;

typedef struct Dp8390 {
    uint8_t cr, isr, imr, dcr, tcr, rcr, rsr, tsr;
    uint8_t ncr;                 /* collisions of the last transmission */
    uint8_t pstart, pstop, bnry, curr, tpsr;
    uint16_t tbcr;
    uint16_t rsar, rbcr;         /* remote DMA address / bytes left */
    uint16_t clda;               /* local DMA address (the last receive) */
    uint8_t rnpp;                /* next-packet pointer for Send Packet */
    uint8_t par[6], mar[8];
    uint8_t cntr[3];             /* frame alignment, CRC, missed packets */
    uint8_t fifo[8];             /* the last 8 bytes through the FIFO (loopback) */
    uint8_t fifo_pos;
    bool send_packet;            /* the running remote read is a Send Packet */
    bool realtek;                /* RTL8029: ID bytes at page 0 0x0A/0x0B, page 3 */
    bool irq_level;
    uint8_t prom[32];            /* the MAC, each byte doubled, "WW" at 28-31 */
    uint8_t ram[DP8390_RAM_SIZE];

    /* Wiring: the bus side (opaque: the card) and the network side. */
    void (*set_irq)(void *opaque, bool level);
    void *opaque;
    void (*transmit)(void *net_opaque, const uint8_t *frame, size_t len);
    void *net_opaque;
    Dp8390Stats stats;
} Dp8390;

/* mac: 6 bytes. realtek: the RTL8029 ID registers. */
void dp8390_init(Dp8390 *n, const uint8_t mac[6], bool realtek);
/* The reset port or RSTDRV: stop, ISR.RST, interrupts masked. RAM,
 * station and multicast addresses survive, as on the chip. */
void dp8390_reset(Dp8390 *n);

/* Port access relative to the card base (0x00-0x1F); size 1, 2 or 4. */
uint32_t dp8390_read(Dp8390 *n, unsigned offset, unsigned size);
void dp8390_write(Dp8390 *n, unsigned offset, unsigned size, uint32_t value);

/* A frame from the network (without FCS). Returns false only when the ring
 * has no room now and the receiver is running: the caller may keep the
 * frame and offer it again later (the machine's next poll). With
 * allow_overflow the chip behaves as on a real wire instead: the frame is
 * lost, ISR.OVW and the missed-packet tally are set, and true is returned. */
bool dp8390_receive(Dp8390 *n, const uint8_t *frame, size_t len, bool allow_overflow);

/* The multicast hash index (0-63) of a destination address: the top six
 * bits of the Ethernet CRC register, as the chip computes it. */
unsigned dp8390_mcast_index(const uint8_t addr[6]);

/* Machine state of the chip: every register, the PROM, the buffer RAM
 * and the tallies. The NE2000 wrappers have none of their own (the I/O
 * base and IRQ are configuration; the PCI function's config space is the
 * PCI bus's): a machine registers &card.chip with this descriptor. Frames
 * waiting in a host backend's queue are not guest state: they are
 * dropped on load, as a wire would drop them. */
extern const DeviceDesc dp8390_desc;

#endif
