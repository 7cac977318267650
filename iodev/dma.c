/* SPDX-License-Identifier: MIT */
/* 8237 DMA controllers and page registers (see dma.h). */
#include "iodev/dma.h"

#include <stdio.h>
#include <string.h>

/* Page register port offset (0x80 + n) for each channel. */
static const uint8_t page_port_of[8] = { 0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA };

static int channel_of_page_port(unsigned off)
{
    for (int c = 0; c < 8; c++)
        if (page_port_of[c] == off && c != 4)
            return c;
    return -1;
}

/* Decode a controller port: which controller and register index 0-15. */
static bool decode(uint16_t port, int *ctrl, unsigned *reg)
{
    if (port <= 0x0F) {
        *ctrl = 0;
        *reg = port;
        return true;
    }
    if (port >= 0xC0 && port <= 0xDF && !(port & 1)) {
        *ctrl = 1;
        *reg = (unsigned)(port - 0xC0) >> 1;
        return true;
    }
    return false;
}

uint32_t dma_port_read(void *opaque, uint16_t port, unsigned size)
{
    Dma *d = opaque;
    (void)size;
    if (port >= 0x80 && port <= 0x8F)
        return port == 0x80 ? d->post_code : d->pages[port - 0x80];
    int ci;
    unsigned reg;
    if (!decode(port, &ci, &reg))
        return 0xFF;
    DmaController *c = &d->ctrl[ci];
    if (reg < 8) {
        DmaChannel *ch = &c->ch[reg >> 1];
        uint16_t v = (reg & 1) ? ch->cur_count : ch->cur_addr;
        uint8_t b = c->flipflop ? (uint8_t)(v >> 8) : (uint8_t)v;
        c->flipflop = !c->flipflop;
        return b;
    }
    switch (reg) {
    case 8: {
        uint8_t s = c->status;
        c->status &= 0xF0;   /* reading clears the terminal-count bits */
        return s;
    }
    case 15: return c->mask;
    default: return 0xFF;
    }
}

void dma_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Dma *d = opaque;
    (void)size;
    uint8_t v = (uint8_t)value;
    if (port >= 0x80 && port <= 0x8F) {
        if (port == 0x80)
            d->post_code = v;
        d->pages[port - 0x80] = v;
        int c = channel_of_page_port(port - 0x80);
        if (c >= 0)
            d->ctrl[c >> 2].ch[c & 3].page = v;
        return;
    }
    int ci;
    unsigned reg;
    if (!decode(port, &ci, &reg))
        return;
    DmaController *c = &d->ctrl[ci];
    if (reg < 8) {
        DmaChannel *ch = &c->ch[reg >> 1];
        uint16_t *base = (reg & 1) ? &ch->base_count : &ch->base_addr;
        uint16_t *cur = (reg & 1) ? &ch->cur_count : &ch->cur_addr;
        if (c->flipflop)
            *base = (uint16_t)((*base & 0x00FF) | v << 8);
        else
            *base = (uint16_t)((*base & 0xFF00) | v);
        *cur = *base;
        c->flipflop = !c->flipflop;
        return;
    }
    switch (reg) {
    case 8: c->command = v; break;
    case 9:
        if (v & 4)
            c->request |= (uint8_t)(1u << (v & 3));
        else
            c->request &= (uint8_t)~(1u << (v & 3));
        break;
    case 10:
        if (v & 4)
            c->mask |= (uint8_t)(1u << (v & 3));
        else
            c->mask &= (uint8_t)~(1u << (v & 3));
        break;
    case 11: c->ch[v & 3].mode = v; break;
    case 12: c->flipflop = false; break;
    case 13:   /* master clear */
        c->command = c->status = c->request = 0;
        c->flipflop = false;
        c->mask = 0x0F;
        break;
    case 14: c->mask = 0; break;
    case 15: c->mask = v & 0x0F; break;
    default: break;
    }
}

int dma_transfer(Dma *d, int channel, void *buf, int len, bool to_memory, bool *tc)
{
    *tc = false;
    if (channel < 0 || channel > 7 || channel == 4)
        return 0;
    DmaController *c = &d->ctrl[channel >> 2];
    int n = channel & 3;
    DmaChannel *ch = &c->ch[n];
    if (c->mask & (1u << n))
        return 0;
    bool word = channel >= 4;
    bool decrement = ch->mode & 0x20;
    uint8_t *p = buf;
    int done = 0;
    while (done < len) {
        /* Address within the 64 KiB (or 128 KiB for words) page. */
        uint32_t addr = word ? ((uint32_t)(ch->page & 0xFE) << 16) | ((uint32_t)ch->cur_addr << 1)
                             : ((uint32_t)ch->page << 16) | ch->cur_addr;
        unsigned unit = word ? 2 : 1;
        if (done + (int)unit > len)
            break;
        if (to_memory)
            phys_write_block(d->mem, addr & d->mem->a20_mask, p + done, unit);
        else
            phys_read_block(d->mem, addr & d->mem->a20_mask, p + done, unit);
        done += (int)unit;
        ch->cur_addr = (uint16_t)(ch->cur_addr + (decrement ? -1 : 1));
        if (ch->cur_count-- == 0) {
            /* The count went past zero: terminal count. */
            c->status |= (uint8_t)(1u << n);
            *tc = true;
            if (ch->mode & 0x10) {
                ch->cur_addr = ch->base_addr;
                ch->cur_count = ch->base_count;
            } else {
                c->mask |= (uint8_t)(1u << n);
            }
            break;
        }
    }
    return done;
}

void dma_reset(Dma *d)
{
    for (int i = 0; i < 2; i++) {
        memset(&d->ctrl[i], 0, sizeof d->ctrl[i]);
        d->ctrl[i].mask = 0x0F;
    }
}

void dma_init(Dma *d, PhysMem *mem)
{
    memset(d, 0, sizeof *d);
    d->mem = mem;
    dma_reset(d);
}

bool dma_register(Dma *d, PortBus *bus)
{
    static const PortOps ops = { dma_port_read, dma_port_write, false };
    int s = portbus_add_slot(bus, "dma", &ops, d);
    return s >= 0 && portbus_map(bus, s, 0x00, 0x10) && portbus_map(bus, s, 0x80, 0x10) &&
           portbus_map(bus, s, 0xC0, 0x20);
}

/* --- machine state --- */

static const StateField dma_fields[] = {
    SF_EACH(Dma, ctrl[0].ch, base_addr, SF_U16, 4),
    SF_EACH(Dma, ctrl[0].ch, base_count, SF_U16, 4),
    SF_EACH(Dma, ctrl[0].ch, cur_addr, SF_U16, 4),
    SF_EACH(Dma, ctrl[0].ch, cur_count, SF_U16, 4),
    SF_EACH(Dma, ctrl[0].ch, mode, SF_U8, 4),
    SF_EACH(Dma, ctrl[0].ch, page, SF_U8, 4),
    SF_EACH(Dma, ctrl[1].ch, base_addr, SF_U16, 4),
    SF_EACH(Dma, ctrl[1].ch, base_count, SF_U16, 4),
    SF_EACH(Dma, ctrl[1].ch, cur_addr, SF_U16, 4),
    SF_EACH(Dma, ctrl[1].ch, cur_count, SF_U16, 4),
    SF_EACH(Dma, ctrl[1].ch, mode, SF_U8, 4),
    SF_EACH(Dma, ctrl[1].ch, page, SF_U8, 4),
    SF_EACH_MAX(Dma, ctrl, mask, SF_U8, 2, 0x0F),
    SF_EACH_MAX(Dma, ctrl, request, SF_U8, 2, 0x0F),
    SF_EACH(Dma, ctrl, status, SF_U8, 2),
    SF_EACH(Dma, ctrl, command, SF_U8, 2),
    SF_EACH(Dma, ctrl, flipflop, SF_BOOL, 2),
    SF_BLOB(Dma, pages),
    SF_FIELD(Dma, post_code, SF_U8),
};

static void dma_reset_dev(void *dev) { dma_reset(dev); }

static void dma_info(void *dev, FILE *out)
{
    const Dma *d = dev;
    for (int n = 0; n < 8; n++) {
        const DmaController *c = &d->ctrl[n / 4];
        const DmaChannel *ch = &c->ch[n % 4];
        fprintf(out,
                "channel %d: %s, mode %02X, page %02X address %04X count %04X (base %04X/%04X)\n",
                n, (c->mask >> (n % 4)) & 1 ? "masked" : "open", ch->mode, ch->page, ch->cur_addr,
                ch->cur_count, ch->base_addr, ch->base_count);
    }
    fprintf(out, "status %02X/%02X, POST code %02X\n", d->ctrl[0].status, d->ctrl[1].status,
            d->post_code);
}

const DeviceDesc dma_desc = {
    .kind = "dma",
    .version = 1,
    .fields = dma_fields,
    .n_fields = sizeof dma_fields / sizeof dma_fields[0],
    .reset = dma_reset_dev,
    .info = dma_info,
};
