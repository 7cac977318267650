/* SPDX-License-Identifier: MIT */
/* VGA registers, the legacy memory window and the Bochs VBE interface
 * (see vga.h). Rendering is in vga_render.c.
 *
 * VRAM layout: planar address a holds the four plane bytes at vram[4a+p],
 * so chain-4 (mode 13h) addresses and VBE linear modes are plain byte
 * offsets, and a planar access touches one 32-bit word. */
#include "iodev/vga.h"
#include "debug/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vga_log_once(const char *what, unsigned detail)
{
    log_event(LOG_UNIMP, "vga", what, detail, NULL);
}

/* Each of the low four bits of an index selects a plane byte of 0xFF. */
static uint32_t plane_mask(unsigned nibble)
{
    uint32_t m = 0;
    for (int p = 0; p < 4; p++)
        if (nibble & (1u << p))
            m |= 0xFFu << (8 * p);
    return m;
}

static uint32_t *vram32(const Vga *v)
{
    return (uint32_t *)v->vram;
}

static bool vbe_enabled(const Vga *v)
{
    return v->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

/* --- legacy memory window --- */

/* Offset within the window selected by GR6, or -1 when addr is outside. */
static long window_offset(const Vga *v, uint32_t addr)
{
    addr -= 0xA0000;
    switch ((v->gr[6] >> 2) & 3) {
    case 0: return addr;
    case 1: return addr < 0x10000 ? (long)addr : -1;
    case 2: return addr >= 0x10000 && addr < 0x18000 ? (long)(addr - 0x10000) : -1;
    default: return addr >= 0x18000 ? (long)(addr - 0x18000) : -1;
    }
}

uint8_t vga_mem_read(Vga *v, uint32_t addr)
{
    long off = window_offset(v, addr);
    if (off < 0)
        return 0xFF;
    uint32_t a = (uint32_t)off;
    if (v->sr[4] & 0x08) {   /* chain 4 */
        if (vbe_enabled(v))
            a += (uint32_t)v->vbe_regs[VBE_DISPI_INDEX_BANK] << 16;
        return a < v->vram_size ? v->vram[a] : 0xFF;
    }
    if (v->gr[5] & 0x10) {
        /* odd/even: plane from A0 and the read map's bit 1 */
        unsigned plane = (v->gr[4] & 2) | (a & 1);
        uint32_t b = ((a & ~1u) << 1) | plane;
        return b < v->vram_size ? v->vram[b] : 0xFF;
    }
    if (a * 4 >= v->vram_size)
        return 0xFF;
    v->latch = vram32(v)[a];
    if (!(v->gr[5] & 0x08))
        return (uint8_t)(v->latch >> (8 * (v->gr[4] & 3)));
    /* Read mode 1: colour compare under the don't-care mask. */
    uint32_t diff = (v->latch ^ plane_mask(v->gr[2])) & plane_mask(v->gr[7]);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return (uint8_t)~diff;
}

void vga_mem_write(Vga *v, uint32_t addr, uint8_t val)
{
    long off = window_offset(v, addr);
    if (off < 0)
        return;
    uint32_t a = (uint32_t)off;
    if (v->sr[4] & 0x08) {
        if (vbe_enabled(v))
            a += (uint32_t)v->vbe_regs[VBE_DISPI_INDEX_BANK] << 16;
        if (a < v->vram_size && (v->sr[2] & (1u << (a & 3))))
            v->vram[a] = val;
        return;
    }
    if (!(v->sr[4] & 0x04)) {
        unsigned plane = (v->gr[4] & 2) | (a & 1);
        uint32_t b = ((a & ~1u) << 1) | plane;
        if (b < v->vram_size && (v->sr[2] & (1u << plane)))
            v->vram[b] = val;
        return;
    }
    if (a * 4 >= v->vram_size)
        return;
    unsigned mode = v->gr[5] & 3;
    unsigned rot = v->gr[3] & 7;
    uint32_t bit_mask = v->gr[8];
    uint32_t x;
    switch (mode) {
    case 0:
        val = (uint8_t)((val >> rot) | (val << (8 - rot)));
        x = val * 0x01010101u;
        x = (x & ~plane_mask(v->gr[1])) | (plane_mask(v->gr[0]) & plane_mask(v->gr[1]));
        break;
    case 1:
        x = v->latch;
        goto store;
    case 2:
        x = plane_mask(val & 0x0F);
        break;
    default:
        val = (uint8_t)((val >> rot) | (val << (8 - rot)));
        bit_mask &= val;
        x = plane_mask(v->gr[0]);
        break;
    }
    switch ((v->gr[3] >> 3) & 3) {
    case 1: x &= v->latch; break;
    case 2: x |= v->latch; break;
    case 3: x ^= v->latch; break;
    default: break;
    }
    bit_mask *= 0x01010101u;
    x = (x & bit_mask) | (v->latch & ~bit_mask);
store: {
        uint32_t wmask = plane_mask(v->sr[2] & 0x0F);
        vram32(v)[a] = (vram32(v)[a] & ~wmask) | (x & wmask);
    }
}

static uint32_t window_read(void *opaque, uint32_t addr, unsigned size)
{
    Vga *v = opaque;
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint32_t)vga_mem_read(v, addr + i) << (8 * i);
    return r;
}

static void window_write(void *opaque, uint32_t addr, unsigned size, uint32_t value)
{
    Vga *v = opaque;
    for (unsigned i = 0; i < size; i++)
        vga_mem_write(v, addr + i, (uint8_t)(value >> (8 * i)));
}

static const MmioOps window_ops = { window_read, window_write };

/* --- VBE --- */

static void vbe_update_geometry(Vga *v)
{
    uint16_t *r = v->vbe_regs;
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    unsigned bytes = bpp == 15 ? 2 : (bpp + 7) / 8;
    if (bpp == 4)
        v->vbe_line_offset = r[VBE_DISPI_INDEX_VIRT_WIDTH] >> 1;
    else
        v->vbe_line_offset = r[VBE_DISPI_INDEX_VIRT_WIDTH] * bytes;
    v->vbe_start_addr = v->vbe_line_offset * r[VBE_DISPI_INDEX_Y_OFFSET] +
                        r[VBE_DISPI_INDEX_X_OFFSET] * bytes;
}

static void vbe_enable(Vga *v, uint16_t val)
{
    uint16_t *r = v->vbe_regs;
    if ((val & VBE_DISPI_ENABLED) && !(r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED)) {
        unsigned bpp = r[VBE_DISPI_INDEX_BPP] ? r[VBE_DISPI_INDEX_BPP] : 8;
        r[VBE_DISPI_INDEX_BPP] = (uint16_t)bpp;
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
        r[VBE_DISPI_INDEX_VIRT_HEIGHT] = r[VBE_DISPI_INDEX_YRES];
        r[VBE_DISPI_INDEX_X_OFFSET] = r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
        vbe_update_geometry(v);
        if (!(val & VBE_DISPI_NOCLEARMEM)) {
            size_t n = (size_t)v->vbe_line_offset * r[VBE_DISPI_INDEX_YRES];
            memset(v->vram, 0, n < v->vram_size ? n : v->vram_size);
        }
        /* Program the VGA so that the legacy window and the mode look like
         * a 256-colour chained mode, as the Bochs VBE does. */
        v->gr[6] = (v->gr[6] & ~0x0C) | 0x05;   /* graphics, A0000 64K */
        v->cr[0x17] |= 3;
        v->sr[4] |= 0x08;                        /* chain 4 for the banked window */
        v->gr[5] = (v->gr[5] & ~0x60) | 0x40;
    }
    r[VBE_DISPI_INDEX_ENABLE] = val & (VBE_DISPI_ENABLED | VBE_DISPI_GETCAPS |
                                       VBE_DISPI_8BIT_DAC | VBE_DISPI_LFB_ENABLED |
                                       VBE_DISPI_NOCLEARMEM);
    r[VBE_DISPI_INDEX_BANK] = 0;
}

static uint16_t vbe_read(Vga *v)
{
    uint16_t *r = v->vbe_regs;
    unsigned i = v->vbe_index;
    if (i > VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
        return 0;
    if (i == VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
        return (uint16_t)(v->vram_size >> 16);
    if ((r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) &&
        (i == VBE_DISPI_INDEX_XRES || i == VBE_DISPI_INDEX_YRES || i == VBE_DISPI_INDEX_BPP)) {
        static const uint16_t caps[4] = { 0, VBE_DISPI_MAX_XRES, VBE_DISPI_MAX_YRES, 32 };
        return caps[i];
    }
    return r[i];
}

static void vbe_write(Vga *v, uint16_t val)
{
    uint16_t *r = v->vbe_regs;
    switch (v->vbe_index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= 0xB0C0 && val <= 0xB0C5)
            r[0] = val;
        break;
    case VBE_DISPI_INDEX_XRES:
        if (val <= VBE_DISPI_MAX_XRES && !(val & 7))
            r[1] = val;
        break;
    case VBE_DISPI_INDEX_YRES:
        if (val <= VBE_DISPI_MAX_YRES)
            r[2] = val;
        break;
    case VBE_DISPI_INDEX_BPP:
        if (val == 0)
            val = 8;
        if (val == 4 || val == 8 || val == 15 || val == 16 || val == 24 || val == 32)
            r[3] = val;
        break;
    case VBE_DISPI_INDEX_ENABLE:
        vbe_enable(v, val);
        break;
    case VBE_DISPI_INDEX_BANK:
        if ((uint32_t)val << 16 < v->vram_size)
            r[5] = val;
        break;
    case VBE_DISPI_INDEX_VIRT_WIDTH:
        r[6] = val;
        vbe_update_geometry(v);
        break;
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET:
        r[v->vbe_index] = val;
        vbe_update_geometry(v);
        break;
    default:
        break;
    }
}

/* --- I/O ports --- */

/* Colour (0x3Dx) or mono (0x3Bx) CRTC and status ports, by MISC bit 0. */
static bool port_active(const Vga *v, uint16_t port)
{
    if ((port & 0xFFF0) == 0x3B0)
        return !(v->misc & 1);
    if ((port & 0xFFF0) == 0x3D0)
        return v->misc & 1;
    return true;
}

/* Input status 1: vertical retrace (bit 3) for about 1/20 of a 60 Hz
 * frame, display-disabled (bit 0) in retrace and in each line's blanking. */
static uint8_t input_status1(Vga *v)
{
    uint64_t ns = clock_ns(v->clock);
    uint64_t frame = 16666667;
    uint64_t in_frame = ns % frame;
    bool vretrace = in_frame >= frame - frame / 20;
    bool hblank = (ns / 2000) % 4 == 3;   /* a line every ~32 us, blank a quarter */
    return (uint8_t)((vretrace ? 0x08 : 0) | (vretrace || hblank ? 0x01 : 0));
}

uint32_t vga_ioport_read(void *opaque, uint16_t port, unsigned size)
{
    Vga *v = opaque;
    if (port == 0x1CE || port == 0x1CF) {
        uint32_t r = port == 0x1CE ? v->vbe_index : vbe_read(v);
        return size == 1 ? (r & 0xFF) : r;
    }
    if (size == 2)
        return vga_ioport_read(v, port, 1) | vga_ioport_read(v, (uint16_t)(port + 1), 1) << 8;
    if (!port_active(v, port))
        return 0xFF;
    switch (port) {
    case 0x3C0: return v->ar_flipflop ? 0 : v->ar_index;
    case 0x3C1: return (v->ar_index & 0x1F) < 21 ? v->ar[v->ar_index & 0x1F] : 0;
    case 0x3C2: return 0x10;   /* switch sense: colour monitor */
    case 0x3C3: return 1;      /* VGA enable */
    case 0x3C4: return v->sr_index;
    case 0x3C5: return v->sr[v->sr_index & 7];
    case 0x3C6: return v->dac_pel_mask;
    case 0x3C7: return v->dac_state;
    case 0x3C8: return v->dac_write_index;
    case 0x3C9: {
        uint8_t c = v->palette[v->dac_read_index * 3 + v->dac_sub];
        if (++v->dac_sub == 3) {
            v->dac_sub = 0;
            v->dac_read_index++;
        }
        return c;
    }
    case 0x3CA: return v->feature;
    case 0x3CC: return v->misc;
    case 0x3CE: return v->gr_index;
    case 0x3CF: return v->gr[v->gr_index & 15];
    case 0x3B4: case 0x3D4: return v->cr_index;
    case 0x3B5: case 0x3D5: return v->cr[v->cr_index];
    case 0x3BA: case 0x3DA:
        v->ar_flipflop = false;
        return input_status1(v);
    default:
        return 0xFF;
    }
}

static void dac_write_data(Vga *v, uint8_t val)
{
    v->dac_latch[v->dac_sub++] = val & 0x3F;
    if (v->dac_sub == 3) {
        memcpy(&v->palette[v->dac_write_index * 3], v->dac_latch, 3);
        v->dac_sub = 0;
        v->dac_write_index++;
    }
}

void vga_ioport_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Vga *v = opaque;
    if (port == 0x1CE || port == 0x1CF) {
        if (port == 0x1CE)
            v->vbe_index = (uint16_t)value;
        else
            vbe_write(v, (uint16_t)value);
        return;
    }
    if (size == 2) {
        vga_ioport_write(v, port, 1, value & 0xFF);
        vga_ioport_write(v, (uint16_t)(port + 1), 1, (value >> 8) & 0xFF);
        return;
    }
    uint8_t val = (uint8_t)value;
    if (!port_active(v, port))
        return;
    switch (port) {
    case 0x3C0: case 0x3C1:
        if (!v->ar_flipflop) {
            v->ar_index = val & 0x3F;
        } else {
            unsigned i = v->ar_index & 0x1F;
            if (i < 16)
                v->ar[i] = val & 0x3F;
            else if (i < 21)
                v->ar[i] = val;
        }
        v->ar_flipflop = !v->ar_flipflop;
        break;
    case 0x3C2: v->misc = val; break;
    case 0x3C3: break;
    case 0x3C4: v->sr_index = val & 7; break;
    case 0x3C5: v->sr[v->sr_index & 7] = val; break;
    case 0x3C6: v->dac_pel_mask = val; break;
    case 0x3C7:
        v->dac_read_index = val;
        v->dac_sub = 0;
        v->dac_state = 3;
        break;
    case 0x3C8:
        v->dac_write_index = val;
        v->dac_sub = 0;
        v->dac_state = 0;
        break;
    case 0x3C9: dac_write_data(v, val); break;
    case 0x3CE: v->gr_index = val & 15; break;
    case 0x3CF: v->gr[v->gr_index & 15] = val; break;
    case 0x3B4: case 0x3D4: v->cr_index = val; break;
    case 0x3B5: case 0x3D5:
        /* CR0-CR7 are locked by CR11 bit 7, except CR7's line-compare bit 4. */
        if ((v->cr[0x11] & 0x80) && v->cr_index <= 7) {
            if (v->cr_index == 7)
                v->cr[7] = (uint8_t)((v->cr[7] & ~0x10) | (val & 0x10));
            break;
        }
        v->cr[v->cr_index] = val;
        break;
    case 0x3BA: case 0x3DA: v->feature = val; break;
    default:
        vga_log_once("write to unimplemented port", port);
        break;
    }
}

/* --- lifecycle --- */

void vga_reset(Vga *v)
{
    v->misc = 0x67;   /* colour, RAM enabled, 28 MHz */
    memset(v->sr, 0, sizeof v->sr);
    memset(v->gr, 0, sizeof v->gr);
    memset(v->cr, 0, sizeof v->cr);
    memset(v->ar, 0, sizeof v->ar);
    v->sr[2] = 0x0F;
    v->sr[4] = 0x02;
    v->gr[5] = 0x10;
    v->gr[6] = 0x0E;
    v->gr[7] = 0x0F;
    v->gr[8] = 0xFF;
    v->ar[0x10] = 0x0C;
    v->ar[0x12] = 0x0F;
    for (int i = 0; i < 16; i++)
        v->ar[i] = (uint8_t)i;
    v->ar_flipflop = false;
    v->dac_pel_mask = 0xFF;
    memset(v->vbe_regs, 0, sizeof v->vbe_regs);
    v->vbe_regs[VBE_DISPI_INDEX_ID] = 0xB0C5;
    v->vbe_regs[VBE_DISPI_INDEX_BPP] = 8;
    v->vbe_index = 0;
}

bool vga_init(Vga *v, PhysMem *mem, Clock *clock, unsigned vram_mb)
{
    memset(v, 0, sizeof *v);
    v->mem = mem;
    v->clock = clock;
    v->vram_size = (vram_mb ? vram_mb : 16) << 20;
    v->vram = calloc(1, v->vram_size);
    if (!v->vram)
        return false;
    vga_reset(v);
    return true;
}

void vga_free(Vga *v)
{
    free(v->vram);
    free(v->frame.pixels);
    free(v->prev);
    v->vram = NULL;
    v->frame.pixels = v->prev = NULL;   /* a second call (teardown after free) is harmless */
}

void vga_map_lfb(Vga *v, uint32_t addr)
{
    if (v->lfb_addr)
        phys_unmap(v->mem, v->lfb_addr, v->vram_size);
    v->lfb_addr = addr;
    if (addr && v->lfb_ops)
        phys_map_mmio(v->mem, addr, v->vram_size, v->lfb_ops, v->lfb_opaque, "vga-lfb-remote");
    else if (addr)
        phys_map_host(v->mem, addr, v->vram, v->vram_size, true);
}

void vga_set_remote_lfb(Vga *v, const MmioOps *ops, void *opaque)
{
    v->lfb_ops = ops;
    v->lfb_opaque = opaque;
    if (v->lfb_addr)
        vga_map_lfb(v, v->lfb_addr);
}

bool vga_register(Vga *v, PortBus *bus)
{
    static const PortOps ops = { vga_ioport_read, vga_ioport_write, true };
    int s = portbus_add_slot(bus, "vga", &ops, v);
    if (s < 0 || !portbus_map(bus, s, 0x3B0, 0x30) || !portbus_map(bus, s, 0x1CE, 2))
        return false;
    return phys_map_mmio(v->mem, 0xA0000, 0x20000, &window_ops, v, "vga-window");
}

/* --- machine state --- */

static const StateField vga_fields[] = {
    SF_FIELD(Vga, misc, SF_U8),
    SF_FIELD(Vga, sr_index, SF_U8),
    SF_BLOB(Vga, sr),
    SF_FIELD(Vga, gr_index, SF_U8),
    SF_BLOB(Vga, gr),
    SF_FIELD(Vga, cr_index, SF_U8),
    SF_BLOB(Vga, cr),
    SF_FIELD(Vga, ar_index, SF_U8),
    SF_BLOB(Vga, ar),
    SF_FIELD(Vga, ar_flipflop, SF_BOOL),
    SF_FIELD(Vga, feature, SF_U8),
    SF_FIELD(Vga, dac_read_index, SF_U8),
    SF_FIELD(Vga, dac_write_index, SF_U8),
    SF_FIELD_MAX(Vga, dac_sub, SF_U8, 2),
    SF_FIELD(Vga, dac_state, SF_U8),
    SF_FIELD(Vga, dac_pel_mask, SF_U8),
    SF_BLOB(Vga, dac_latch),
    SF_BLOB(Vga, palette),
    SF_FIELD(Vga, latch, SF_U32),
    SF_FIELD(Vga, vbe_index, SF_U16),
    SF_ARRAY(Vga, vbe_regs, SF_U16, 10),
};

#define VRAM_PAGE 4096u

/* VRAM page by page, all-zero pages as one flag byte: a text-mode screen
 * in 16 MiB of VRAM stays a few kilobytes. */
static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[VRAM_PAGE];
    return !memcmp(p, zero, VRAM_PAGE);
}

static void vga_save_extra(void *dev, StateWriter *w)
{
    const Vga *v = dev;
    state_put_u32(w, v->vram_size);
    for (uint32_t off = 0; off < v->vram_size; off += VRAM_PAGE) {
        bool zero = page_is_zero(v->vram + off);
        state_put_u8(w, zero ? 0 : 1);
        if (!zero)
            state_put_bytes(w, v->vram + off, VRAM_PAGE);
    }
}

static bool vga_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    Vga *v = dev;
    (void)version;
    uint32_t size = state_get_u32(r);
    if (!state_ok(r))
        return true;   /* the caller reports the truncation */
    if (size != v->vram_size) {
        snprintf(err, errlen, "vga: the snapshot has %u MiB of video memory, this machine %u MiB",
                 size >> 20, v->vram_size >> 20);
        return false;
    }
    for (uint32_t off = 0; off < v->vram_size && state_ok(r); off += VRAM_PAGE) {
        uint8_t flag = state_get_u8(r);
        if (flag > 1) {
            snprintf(err, errlen, "vga: bad video memory page flag at page %u", off / VRAM_PAGE);
            return false;
        }
        if (flag)
            state_get_bytes(r, v->vram + off, VRAM_PAGE);
        else
            memset(v->vram + off, 0, VRAM_PAGE);
    }
    return true;
}

/* The VBE registers are held to what a guest write could set; the derived
 * geometry is recomputed from them. */
static bool vga_post_load(void *dev, char *err, size_t errlen)
{
    Vga *v = dev;
    const uint16_t *r = v->vbe_regs;
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    bool ok = r[VBE_DISPI_INDEX_ID] >= 0xB0C0 && r[VBE_DISPI_INDEX_ID] <= 0xB0C5 &&
              r[VBE_DISPI_INDEX_XRES] <= VBE_DISPI_MAX_XRES && !(r[VBE_DISPI_INDEX_XRES] & 7) &&
              r[VBE_DISPI_INDEX_YRES] <= VBE_DISPI_MAX_YRES &&
              (bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32) &&
              (uint32_t)r[VBE_DISPI_INDEX_BANK] << 16 < v->vram_size;
    if (!ok) {
        snprintf(err, errlen, "vga: VBE registers out of range (%ux%ux%u, bank %u)",
                 r[VBE_DISPI_INDEX_XRES], r[VBE_DISPI_INDEX_YRES], bpp, r[VBE_DISPI_INDEX_BANK]);
        return false;
    }
    vbe_update_geometry(v);
    return true;
}

static void vga_reset_dev(void *dev) { vga_reset(dev); }

static void vga_info(void *dev, FILE *out)
{
    const Vga *v = dev;
    const uint16_t *r = v->vbe_regs;
    if (vbe_enabled(v))
        fprintf(out, "VBE %ux%ux%u, virtual width %u, offset %u,%u, LFB %s at %08X\n",
                r[VBE_DISPI_INDEX_XRES], r[VBE_DISPI_INDEX_YRES], r[VBE_DISPI_INDEX_BPP],
                r[VBE_DISPI_INDEX_VIRT_WIDTH], r[VBE_DISPI_INDEX_X_OFFSET],
                r[VBE_DISPI_INDEX_Y_OFFSET],
                (r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_LFB_ENABLED) ? "on" : "off", v->lfb_addr);
    else
        fprintf(out, "VGA %s mode, misc %02X, memory map %u, start address %04X, cursor %04X\n",
                vga_in_text_mode(v) ? "text" : "graphics", v->misc, (v->gr[6] >> 2) & 3,
                v->cr[0x0C] << 8 | v->cr[0x0D], v->cr[0x0E] << 8 | v->cr[0x0F]);
    fprintf(out, "seq %02X %02X %02X %02X, gc mode %02X, dac write %u read %u, %u MiB VRAM\n",
            v->sr[1], v->sr[2], v->sr[3], v->sr[4], v->gr[5], v->dac_write_index,
            v->dac_read_index, v->vram_size >> 20);
}

static void vga_teardown(void *dev) { vga_free(dev); }

const DeviceDesc vga_desc = {
    .kind = "vga",
    .version = 1,
    .fields = vga_fields,
    .n_fields = sizeof vga_fields / sizeof vga_fields[0],
    .reset = vga_reset_dev,
    .save_extra = vga_save_extra,
    .load_extra = vga_load_extra,
    .post_load = vga_post_load,
    .info = vga_info,
    .teardown = vga_teardown,
};
