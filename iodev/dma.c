/* 8237 DMA controllers and page registers (see dma.h). */
#include "iodev/dma.h"

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

void dma_save(const Dma *d, StateWriter *w)
{
    state_begin(w, "dma", 1);
    for (int i = 0; i < 2; i++) {
        const DmaController *c = &d->ctrl[i];
        for (int n = 0; n < 4; n++) {
            const DmaChannel *ch = &c->ch[n];
            state_put_u16(w, ch->base_addr);
            state_put_u16(w, ch->base_count);
            state_put_u16(w, ch->cur_addr);
            state_put_u16(w, ch->cur_count);
            state_put_u8(w, ch->mode);
            state_put_u8(w, ch->page);
        }
        state_put_u8(w, c->mask);
        state_put_u8(w, c->request);
        state_put_u8(w, c->status);
        state_put_u8(w, c->command);
        state_put_u8(w, c->flipflop);
    }
    state_put_bytes(w, d->pages, sizeof d->pages);
    state_end(w);
}

bool dma_load(Dma *d, StateReader *r)
{
    uint32_t version;
    if (!state_section(r, "dma", &version) || version != 1)
        return false;
    for (int i = 0; i < 2; i++) {
        DmaController *c = &d->ctrl[i];
        for (int n = 0; n < 4; n++) {
            DmaChannel *ch = &c->ch[n];
            ch->base_addr = state_get_u16(r);
            ch->base_count = state_get_u16(r);
            ch->cur_addr = state_get_u16(r);
            ch->cur_count = state_get_u16(r);
            ch->mode = state_get_u8(r);
            ch->page = state_get_u8(r);
        }
        c->mask = state_get_u8(r) & 0x0F;
        c->request = state_get_u8(r) & 0x0F;
        c->status = state_get_u8(r);
        c->command = state_get_u8(r);
        c->flipflop = state_get_u8(r);
    }
    state_get_bytes(r, d->pages, sizeof d->pages);
    state_section_end(r);
    return state_ok(r);
}
