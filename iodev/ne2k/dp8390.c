/* SPDX-License-Identifier: MIT */
/* DP8390 core (see dp8390.h).
 *
 * Transmission and reception complete at once: the frame is in the ring (or
 * on its way to the backend) when the port write that caused it returns, and
 * the interrupt is raised there. Drivers only depend on the order of events,
 * never on wire time. The receive ring follows the datasheet: the chip never
 * writes the page BNRY points at, so a frame is stored only if the pages it
 * needs leave CURR short of BNRY; that keeps both driver conventions
 * (BNRY = next packet to read, and BNRY = one page behind it) consistent. */
#include "iodev/ne2k/dp8390.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define COUNTER_LIMIT 0xC0   /* tallies stop at 192 */

/* --- buffer memory as the remote and local DMA see it --- */

static uint32_t ram_end(const Dp8390 *n)
{
    return (n->dcr & DCR_WTS) ? DP8390_RAM_START + DP8390_RAM_SIZE : DP8390_RAM_START + 0x4000;
}

static uint8_t mem_read(const Dp8390 *n, uint16_t addr)
{
    if (addr < DP8390_RAM_START)
        return n->prom[addr & 31];
    if (addr < ram_end(n))
        return n->ram[addr - DP8390_RAM_START];
    return 0xFF;
}

static void mem_write(Dp8390 *n, uint16_t addr, uint8_t v)
{
    if (addr >= DP8390_RAM_START && addr < ram_end(n))
        n->ram[addr - DP8390_RAM_START] = v;
}

/* The next address inside the receive ring: leaving PSTOP wraps to PSTART. */
static uint16_t ring_next(const Dp8390 *n, uint16_t addr)
{
    addr++;
    if ((addr & 0xFF) == 0 && (addr >> 8) == n->pstop && n->pstart < n->pstop)
        addr = (uint16_t)(n->pstart << 8);
    return addr;
}

/* --- interrupts and tallies --- */

static void update_irq(Dp8390 *n)
{
    bool level = (n->isr & n->imr & 0x7F) != 0;
    if (level != n->irq_level) {
        n->irq_level = level;
        if (n->set_irq)
            n->set_irq(n->opaque, level);
    }
}

static void raise_isr(Dp8390 *n, uint8_t bits)
{
    n->isr |= bits;
    update_irq(n);
}

static void tally(Dp8390 *n, unsigned which)
{
    if (n->cntr[which] < COUNTER_LIMIT)
        n->cntr[which]++;
    if (n->cntr[which] & 0x80)
        raise_isr(n, ISR_CNT);
}

/* --- CRC: the FCS (reflected CRC-32, zlib's) and the multicast hash --- */

static uint32_t fcs_of(const uint8_t *p, size_t len)
{
    return (uint32_t)crc32(0L, p, (uInt)len);
}

unsigned dp8390_mcast_index(const uint8_t addr[6])
{
    /* The chip shifts the address LSB-first into the CRC register and uses
     * the register's top six bits, before the final inversion. */
    uint32_t crc = 0xFFFFFFFFu;
    for (int i = 0; i < 6; i++) {
        uint8_t octet = addr[i];
        for (int bit = 0; bit < 8; bit++, octet >>= 1) {
            uint32_t carry = ((crc >> 31) ^ octet) & 1;
            crc <<= 1;
            if (carry)
                crc ^= 0x04C11DB7u;
        }
    }
    return crc >> 26;
}

/* --- reception --- */

static const uint8_t broadcast_addr[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

/* Whether the receive configuration accepts dst; *multicast tells RSR.PHY. */
static bool address_accepted(const Dp8390 *n, const uint8_t *dst, bool *multicast)
{
    *multicast = dst[0] & 1;
    if (n->rcr & RCR_PRO)
        return true;
    if (!memcmp(dst, broadcast_addr, 6))
        return (n->rcr & RCR_AB) != 0;
    if (*multicast) {
        unsigned idx = dp8390_mcast_index(dst);
        return (n->rcr & RCR_AM) && (n->mar[idx >> 3] & (1u << (idx & 7)));
    }
    return !memcmp(dst, n->par, 6);
}

static bool ring_valid(const Dp8390 *n)
{
    return n->pstart >= (DP8390_RAM_START >> 8) && n->pstart < n->pstop &&
           (uint32_t)n->pstop << 8 <= ram_end(n) && n->curr >= n->pstart && n->curr < n->pstop;
}

/* A page's place in the ring, modulo its size: lib8390 writes BNRY as
 * "next frame - 1" without wrapping, so PSTART - 1 stands for PSTOP - 1. */
static unsigned ring_index(const Dp8390 *n, unsigned page)
{
    unsigned size = (unsigned)(n->pstop - n->pstart);
    return (page + 256u * size - n->pstart) % size;
}

/* Pages free between CURR and BNRY (the whole ring when they are equal). */
static unsigned ring_free_pages(const Dp8390 *n)
{
    unsigned size = (unsigned)(n->pstop - n->pstart);
    unsigned gap = (ring_index(n, n->bnry) + size - ring_index(n, n->curr)) % size;
    return gap ? gap : size;
}

/* Frames are certainly waiting in the ring, whichever convention the driver
 * keeps: BNRY = the next frame (empty when BNRY == CURR) or one page behind
 * it (empty when BNRY + 1 == CURR). Only the second state is ambiguous (one
 * page unread in the first convention) and counts as empty. */
static bool ring_has_unread(const Dp8390 *n)
{
    if ((n->cr & (CR_STA | CR_STP)) != CR_STA || !ring_valid(n))
        return false;
    unsigned bnry = ring_index(n, n->bnry), curr = ring_index(n, n->curr);
    unsigned size = (unsigned)(n->pstop - n->pstart);
    return bnry != curr && (bnry + 1) % size != curr;
}

/* Store one frame (fcs: its last four bytes are the FCS to check and keep;
 * otherwise the FCS is computed and appended). Returns false when the ring
 * is full and overflow is not allowed. */
static bool store_frame(Dp8390 *n, const uint8_t *frame, size_t len, bool fcs, bool allow_overflow)
{
    uint8_t buf[DP8390_MAX_FRAME + 4 + DP8390_MIN_FRAME];
    size_t data_len = fcs ? len - 4 : len;
    if (len < (fcs ? 10u : 6u) || data_len > DP8390_MAX_FRAME) {
        n->stats.rx_filtered++;
        return true;
    }
    bool multicast;
    if (!address_accepted(n, frame, &multicast)) {
        n->stats.rx_filtered++;
        return true;
    }
    uint8_t status = multicast ? RSR_PHY : 0;
    if (fcs && fcs_of(frame, data_len) != ((uint32_t)frame[data_len] | (uint32_t)frame[data_len + 1] << 8 |
                                          (uint32_t)frame[data_len + 2] << 16 |
                                          (uint32_t)frame[data_len + 3] << 24)) {
        n->rsr = status | RSR_CRC;
        n->stats.rx_crc_errors++;
        tally(n, 1);
        raise_isr(n, ISR_RXE);
        if (!(n->rcr & RCR_SEP))
            return true;
    }
    if (n->rcr & RCR_MON) {
        /* Monitor mode: checked and tallied, never buffered. */
        n->rsr = status | RSR_DIS | RSR_MPA;
        tally(n, 2);
        return true;
    }
    /* The frame padded to 60 bytes, then its FCS. */
    memcpy(buf, frame, data_len);
    size_t padded = data_len;
    if (padded < DP8390_MIN_FRAME) {
        memset(buf + padded, 0, DP8390_MIN_FRAME - padded);
        padded = DP8390_MIN_FRAME;
    }
    uint32_t crc = fcs && padded == data_len
                       ? ((uint32_t)frame[data_len] | (uint32_t)frame[data_len + 1] << 8 |
                          (uint32_t)frame[data_len + 2] << 16 | (uint32_t)frame[data_len + 3] << 24)
                       : fcs_of(buf, padded);
    for (int i = 0; i < 4; i++)
        buf[padded + (size_t)i] = (uint8_t)(crc >> (8 * i));
    size_t stored = padded + 4;

    if (!ring_valid(n)) {
        n->stats.rx_bad_ring++;
        return true;
    }
    unsigned pages = (unsigned)((stored + 4 + 255) >> 8);
    if (pages >= ring_free_pages(n)) {
        if (!allow_overflow)
            return false;
        n->rsr = status | RSR_MPA;
        n->stats.rx_missed++;
        tally(n, 2);
        raise_isr(n, ISR_OVW | ISR_RST);
        return true;
    }
    unsigned next = n->curr + pages;
    if (next >= n->pstop)
        next -= (unsigned)(n->pstop - n->pstart);
    status |= RSR_PRX;
    uint16_t addr = (uint16_t)(n->curr << 8);
    const uint8_t header[4] = { status, (uint8_t)next, (uint8_t)stored, (uint8_t)(stored >> 8) };
    for (int i = 0; i < 4; i++, addr = ring_next(n, addr))
        mem_write(n, addr, header[i]);
    for (size_t i = 0; i < stored; i++, addr = ring_next(n, addr))
        mem_write(n, addr, buf[i]);
    n->clda = addr;
    n->curr = (uint8_t)next;
    n->rsr = status;
    n->stats.rx_frames++;
    raise_isr(n, ISR_PRX);
    return true;
}

bool dp8390_receive(Dp8390 *n, const uint8_t *frame, size_t len, bool allow_overflow)
{
    /* Stopped, or in loopback (disconnected from the wire): the frame
     * passes by unseen. */
    if ((n->cr & (CR_STA | CR_STP)) != CR_STA || (n->tcr & TCR_LB)) {
        n->stats.rx_missed++;
        return true;
    }
    return store_frame(n, frame, len, false, allow_overflow);
}

/* --- transmission --- */

static void transmit(Dp8390 *n)
{
    uint8_t buf[DP8390_MAX_FRAME + 4];
    bool own_fcs = n->tcr & TCR_CRC;   /* the guest appended the FCS itself */
    size_t len = n->tbcr;
    if (len <= (own_fcs ? 4u : 0u) || len > DP8390_MAX_FRAME + (own_fcs ? 4u : 0u)) {
        n->tsr = TSR_ABT;
        n->stats.tx_aborted++;
        raise_isr(n, ISR_TXE);
        return;
    }
    uint16_t addr = (uint16_t)(n->tpsr << 8);
    for (size_t i = 0; i < len; i++)
        buf[i] = mem_read(n, (uint16_t)(addr + i));
    n->ncr = 0;
    n->tsr = TSR_PTX;
    n->stats.tx_frames++;
    if (n->tcr & TCR_LB) {
        /* Loopback: the frame comes back through the receiver (and its last
         * bytes through the FIFO), never reaching the wire. */
        uint8_t wire[DP8390_MAX_FRAME + 4];
        memcpy(wire, buf, len);
        size_t wire_len = len;
        if (!own_fcs) {
            uint32_t crc = fcs_of(buf, len);
            for (int i = 0; i < 4; i++)
                wire[len + (size_t)i] = (uint8_t)(crc >> (8 * i));
            wire_len += 4;
        }
        for (int i = 0; i < 8; i++)
            n->fifo[i] = wire_len >= 8 ? wire[wire_len - 8 + (size_t)i] : 0;
        n->fifo_pos = 0;
        store_frame(n, wire, wire_len, true, true);
    } else if (n->transmit) {
        n->transmit(n->net_opaque, buf, own_fcs ? len - 4 : len);
    }
    raise_isr(n, ISR_PTX);
}

/* --- remote DMA --- */

static void remote_dma_done(Dp8390 *n)
{
    if (n->send_packet) {
        /* Send Packet removed one frame: the ring space is the guest's
         * again, and the DMA is ready for the next frame. */
        n->send_packet = false;
        n->bnry = n->rnpp;
        n->rsar = (uint16_t)(n->rnpp << 8);
    }
    raise_isr(n, ISR_RDC);
}

static void remote_dma_count(Dp8390 *n)
{
    if (n->rbcr && --n->rbcr == 0)
        remote_dma_done(n);
}

static void start_remote_dma(Dp8390 *n, uint8_t cmd)
{
    n->send_packet = false;
    if (cmd == CR_RD_SEND) {
        uint16_t at = (uint16_t)(n->bnry << 8);
        n->rsar = at;
        n->rnpp = mem_read(n, (uint16_t)(at + 1));
        n->rbcr = (uint16_t)(mem_read(n, (uint16_t)(at + 2)) | mem_read(n, (uint16_t)(at + 3)) << 8);
        n->send_packet = true;
    }
    /* A zero-length transfer completes at once (drivers probe the IRQ so). */
    if (n->rbcr == 0)
        remote_dma_done(n);
}

/* Bytes one data-port access moves: the bus width in word mode. */
static unsigned dma_unit(const Dp8390 *n, unsigned size)
{
    return (n->dcr & DCR_WTS) && size < 2 ? 2 : size;
}

static uint32_t data_port_read(Dp8390 *n, unsigned size)
{
    uint32_t v = 0;
    unsigned unit = dma_unit(n, size);
    for (unsigned i = 0; i < unit; i++) {
        v |= (uint32_t)mem_read(n, n->rsar) << (8 * i);
        n->rsar = ring_next(n, n->rsar);
        remote_dma_count(n);
    }
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void data_port_write(Dp8390 *n, unsigned size, uint32_t v)
{
    unsigned unit = dma_unit(n, size);
    for (unsigned i = 0; i < unit; i++) {
        mem_write(n, n->rsar, (uint8_t)(i < 4 ? v >> (8 * i) : 0));
        n->rsar = ring_next(n, n->rsar);
        remote_dma_count(n);
    }
}

/* --- the command register --- */

static void write_cr(Dp8390 *n, uint8_t v)
{
    /* STP stops, STA starts; a write with neither (drivers switch pages
     * with 0x20/0x60) leaves the chip as it was. */
    uint8_t run = n->cr & (CR_STA | CR_STP);
    if (v & CR_STP) {
        run = CR_STP | (v & CR_STA);
        n->isr |= ISR_RST;
    } else if (v & CR_STA) {
        run = CR_STA;
        n->isr &= (uint8_t)~ISR_RST;
    }
    uint8_t rd = v & CR_RD;
    n->cr = (uint8_t)((v & (CR_PS | CR_RD)) | run | (rd ? 0 : (n->cr & CR_RD)));
    if (rd & CR_RD_ABORT)
        n->send_packet = false;
    else if (rd)
        start_remote_dma(n, rd);
    if ((v & CR_TXP) && run == CR_STA)
        transmit(n);
    update_irq(n);
}

/* --- registers: where each page's plain registers live --- */

enum { REG_NONE, REG_U8, REG_LO, REG_HI, REG_SPECIAL };
typedef struct RegField {
    uint8_t kind;
    uint16_t offset;   /* into Dp8390 */
} RegField;

#define U8(f)  { REG_U8, offsetof(Dp8390, f) }
#define LO(f)  { REG_LO, offsetof(Dp8390, f) }
#define HI(f)  { REG_HI, offsetof(Dp8390, f) }
#define SPEC   { REG_SPECIAL, 0 }
#define NONE   { REG_NONE, 0 }
#define PAR(i) { REG_U8, offsetof(Dp8390, par) + (i) }
#define MAR(i) { REG_U8, offsetof(Dp8390, mar) + (i) }

/* Register 0 (CR) is handled before the tables on every page. */
static const RegField read_map[4][16] = {
    { SPEC, LO(clda), HI(clda), U8(bnry), U8(tsr), U8(ncr), SPEC, U8(isr),
      LO(rsar), HI(rsar), SPEC, SPEC, U8(rsr), SPEC, SPEC, SPEC },
    { SPEC, PAR(0), PAR(1), PAR(2), PAR(3), PAR(4), PAR(5), U8(curr),
      MAR(0), MAR(1), MAR(2), MAR(3), MAR(4), MAR(5), MAR(6), MAR(7) },
    { SPEC, U8(pstart), U8(pstop), U8(rnpp), U8(tpsr), U8(curr), HI(clda), LO(clda),
      NONE, NONE, NONE, NONE, U8(rcr), U8(tcr), U8(dcr), U8(imr) },
    { SPEC, SPEC, SPEC, SPEC, SPEC, SPEC, SPEC, SPEC,
      SPEC, SPEC, SPEC, SPEC, SPEC, SPEC, SPEC, SPEC },
};
static const RegField write_map[4][16] = {
    { SPEC, U8(pstart), U8(pstop), SPEC, U8(tpsr), LO(tbcr), HI(tbcr), SPEC,
      LO(rsar), HI(rsar), LO(rbcr), HI(rbcr), U8(rcr), U8(tcr), U8(dcr), SPEC },
    { SPEC, PAR(0), PAR(1), PAR(2), PAR(3), PAR(4), PAR(5), U8(curr),
      MAR(0), MAR(1), MAR(2), MAR(3), MAR(4), MAR(5), MAR(6), MAR(7) },
    { SPEC, LO(clda), HI(clda), U8(rnpp), NONE, NONE, NONE, NONE,
      NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE },
    { SPEC, NONE, NONE, NONE, NONE, NONE, NONE, NONE,
      NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE },
};

static uint8_t read_field(const Dp8390 *n, RegField f)
{
    const uint8_t *base = (const uint8_t *)n + f.offset;
    uint16_t w;
    switch (f.kind) {
    case REG_U8:
        return *base;
    case REG_LO:
    case REG_HI:
        memcpy(&w, base, 2);
        return (uint8_t)(f.kind == REG_LO ? w : w >> 8);
    default:
        return 0xFF;
    }
}

static void write_field(Dp8390 *n, RegField f, uint8_t v)
{
    uint8_t *base = (uint8_t *)n + f.offset;
    uint16_t w;
    switch (f.kind) {
    case REG_U8:
        *base = v;
        break;
    case REG_LO:
    case REG_HI:
        memcpy(&w, base, 2);
        w = f.kind == REG_LO ? (uint16_t)((w & 0xFF00) | v) : (uint16_t)((w & 0x00FF) | v << 8);
        memcpy(base, &w, 2);
        break;
    default:
        break;
    }
}

/* Registers with side effects on read. */
static uint8_t read_special(Dp8390 *n, unsigned page, unsigned reg)
{
    if (reg == 0)
        return n->cr;
    if (page == 3)   /* RTL8029 configuration page: nothing set */
        return n->realtek ? 0x00 : 0xFF;
    switch (reg) {
    case 0x06: {     /* FIFO: the last bytes of a loopback frame */
        uint8_t v = n->fifo[n->fifo_pos & 7];
        n->fifo_pos = (uint8_t)((n->fifo_pos + 1) & 7);
        return v;
    }
    case 0x0A:       /* RTL8029 chip ID "PC" in place of the write-only RBCR */
        return n->realtek ? 0x50 : 0xFF;
    case 0x0B:
        return n->realtek ? 0x43 : 0xFF;
    default: {       /* 0x0D-0x0F: tally counters, cleared by reading */
        uint8_t v = n->cntr[reg - 0x0D];
        n->cntr[reg - 0x0D] = 0;
        return v;
    }
    }
}

static void write_special(Dp8390 *n, unsigned reg, uint8_t v)
{
    switch (reg) {
    case 0x00:
        write_cr(n, v);
        break;
    case 0x03:       /* BNRY: the guest gave ring space back */
        n->bnry = v;
        break;
    case 0x07:       /* ISR: write one to clear; RST only follows the CR */
        n->isr &= (uint8_t)~(v & 0x7F);
        update_irq(n);
        if ((v & ISR_PRX) && ring_has_unread(n)) {
            /* Linux's lib8390 takes at most 10 frames per pass and then
             * acknowledges PRX; frames left behind would wait for the next
             * arrival, which back-pressure holds off while the ring is
             * full. A new edge for what is still there keeps it moving. */
            raise_isr(n, ISR_PRX);
        }
        break;
    case 0x0F:
        n->imr = v & 0x7F;
        update_irq(n);
        break;
    }
}

static uint8_t read_reg(Dp8390 *n, unsigned reg)
{
    unsigned page = n->cr >> 6;
    RegField f = reg == 0 ? (RegField)SPEC : read_map[page][reg];
    return f.kind == REG_SPECIAL ? read_special(n, page, reg) : read_field(n, f);
}

static void write_reg(Dp8390 *n, unsigned reg, uint8_t v)
{
    unsigned page = n->cr >> 6;
    RegField f = reg == 0 ? (RegField)SPEC : write_map[page][reg];
    if (f.kind == REG_SPECIAL)
        write_special(n, reg, v);
    else
        write_field(n, f, v);
}

/* --- ports --- */

uint32_t dp8390_read(Dp8390 *n, unsigned offset, unsigned size)
{
    offset &= NE2K_IO_SIZE - 1;
    if (offset >= NE2K_DATA_PORT && offset < NE2K_DATA_PORT + 8)
        return data_port_read(n, size);
    if (offset >= NE2K_DATA_PORT + 8) {
        /* Reading the reset port pulses RSTDRV on the chip. */
        dp8390_reset(n);
        return 0;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_reg(n, (offset + i) & 0x0F) << (8 * i);
    return v;
}

void dp8390_write(Dp8390 *n, unsigned offset, unsigned size, uint32_t value)
{
    offset &= NE2K_IO_SIZE - 1;
    if (offset >= NE2K_DATA_PORT && offset < NE2K_DATA_PORT + 8) {
        data_port_write(n, size, value);
        return;
    }
    if (offset >= NE2K_DATA_PORT + 8)
        return;   /* writing the reset port ends the pulse: nothing to do */
    for (unsigned i = 0; i < size; i++)
        write_reg(n, (offset + i) & 0x0F, (uint8_t)(value >> (8 * i)));
}

/* --- life cycle --- */

void dp8390_init(Dp8390 *n, const uint8_t mac[6], bool realtek)
{
    memset(n, 0, sizeof *n);
    n->realtek = realtek;
    /* The 16-byte PROM: MAC, zeros, then "WW" (NE2000 signature), each
     * byte on both halves of the 16-bit bus. */
    uint8_t prom16[16] = { 0 };
    memcpy(prom16, mac, 6);
    prom16[14] = prom16[15] = 0x57;
    for (int i = 0; i < 16; i++)
        n->prom[2 * i] = n->prom[2 * i + 1] = prom16[i];
    memcpy(n->par, mac, 6);
    dp8390_reset(n);
}

void dp8390_reset(Dp8390 *n)
{
    n->cr = CR_STP | CR_RD_ABORT;
    n->isr = ISR_RST;
    n->imr = 0;
    n->dcr = 0;
    n->tcr = 0x02;   /* internal loopback until the driver says otherwise */
    n->rbcr = 0;
    n->send_packet = false;
    n->fifo_pos = 0;
    update_irq(n);
}

/* --- machine state --- */

static const StateField dp8390_fields[] = {
    SF_FIELD(Dp8390, cr, SF_U8),
    SF_FIELD(Dp8390, isr, SF_U8),
    SF_FIELD(Dp8390, imr, SF_U8),
    SF_FIELD(Dp8390, dcr, SF_U8),
    SF_FIELD(Dp8390, tcr, SF_U8),
    SF_FIELD(Dp8390, rcr, SF_U8),
    SF_FIELD(Dp8390, rsr, SF_U8),
    SF_FIELD(Dp8390, tsr, SF_U8),
    SF_FIELD(Dp8390, ncr, SF_U8),
    SF_FIELD(Dp8390, pstart, SF_U8),
    SF_FIELD(Dp8390, pstop, SF_U8),
    SF_FIELD(Dp8390, bnry, SF_U8),
    SF_FIELD(Dp8390, curr, SF_U8),
    SF_FIELD(Dp8390, tpsr, SF_U8),
    SF_FIELD(Dp8390, tbcr, SF_U16),
    SF_FIELD(Dp8390, rsar, SF_U16),
    SF_FIELD(Dp8390, rbcr, SF_U16),
    SF_FIELD(Dp8390, clda, SF_U16),
    SF_FIELD(Dp8390, rnpp, SF_U8),
    SF_BLOB(Dp8390, par),
    SF_BLOB(Dp8390, mar),
    SF_BLOB(Dp8390, cntr),
    SF_BLOB(Dp8390, fifo),
    SF_FIELD_MAX(Dp8390, fifo_pos, SF_U8, 7),
    SF_FIELD(Dp8390, send_packet, SF_BOOL),
    SF_FIELD(Dp8390, irq_level, SF_BOOL),
    SF_BLOB(Dp8390, prom),
    SF_BLOB(Dp8390, ram),
    SF_FIELD(Dp8390, stats.tx_frames, SF_U64),
    SF_FIELD(Dp8390, stats.tx_aborted, SF_U64),
    SF_FIELD(Dp8390, stats.rx_frames, SF_U64),
    SF_FIELD(Dp8390, stats.rx_filtered, SF_U64),
    SF_FIELD(Dp8390, stats.rx_missed, SF_U64),
    SF_FIELD(Dp8390, stats.rx_crc_errors, SF_U64),
    SF_FIELD(Dp8390, stats.rx_bad_ring, SF_U64),
};

/* Ring pointers and remote DMA addresses may hold anything a guest could
 * write (the data paths check them); only the FIFO index needs a bound.
 * The interrupt line follows ISR and IMR and is driven whatever it was. */
static bool dp8390_post_load(void *dev, char *err, size_t errlen)
{
    Dp8390 *n = dev;
    (void)err;
    (void)errlen;
    n->imr &= 0x7F;
    n->irq_level = (n->isr & n->imr & 0x7F) != 0;
    if (n->set_irq)
        n->set_irq(n->opaque, n->irq_level);
    return true;
}

static void dp8390_reset_dev(void *dev) { dp8390_reset(dev); }

static void dp8390_info(void *dev, FILE *out)
{
    const Dp8390 *n = dev;
    fprintf(out, "%s, %s, mac %02x:%02x:%02x:%02x:%02x:%02x, cr %02X isr %02X imr %02X, irq %s\n",
            n->realtek ? "RTL8029" : "NE2000", (n->cr & CR_STP) ? "stopped" : "started",
            n->par[0], n->par[1], n->par[2], n->par[3], n->par[4], n->par[5], n->cr, n->isr,
            n->imr, n->irq_level ? "high" : "low");
    fprintf(out, "ring %02X-%02X, boundary %02X, current %02X; remote DMA %04X, %u bytes left\n",
            n->pstart, n->pstop, n->bnry, n->curr, n->rsar, n->rbcr);
    fprintf(out, "sent %llu, received %llu, missed %llu, filtered %llu\n",
            (unsigned long long)n->stats.tx_frames, (unsigned long long)n->stats.rx_frames,
            (unsigned long long)n->stats.rx_missed, (unsigned long long)n->stats.rx_filtered);
}

const DeviceDesc dp8390_desc = {
    .kind = "dp8390",
    .version = 1,
    .fields = dp8390_fields,
    .n_fields = sizeof dp8390_fields / sizeof dp8390_fields[0],
    .reset = dp8390_reset_dev,
    .post_load = dp8390_post_load,
    .info = dp8390_info,
};
