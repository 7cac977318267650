/* SPDX-License-Identifier: MIT */
/* VGA with the Bochs VBE extensions, as QEMU's std-vga (PCI 1234:1111):
 * all standard VGA registers, the legacy 0xA0000 window with every read and
 * write mode, and a linear framebuffer for VBE modes up to 1024x768x32
 * (and beyond, within the VRAM).
 *
 * Usage: vga_init(&vga, mem, clock, vram_mb); vga_register(&vga, bus);
 * the PCI glue maps the LFB with vga_map_lfb(). The display side calls
 * vga_render() to get an XRGB8888 frame with its dirty rows, and
 * vga_text_dump() to read a text screen as text. */
#ifndef KAIRO_VGA_H
#define KAIRO_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/portbus.h"
#include "machine/clock.h"
#include "memory/phys.h"

#define VBE_DISPI_MAX_XRES 2560
#define VBE_DISPI_MAX_YRES 1600

typedef struct VgaFrame {
    uint32_t *pixels;       /* XRGB8888, width*height */
    unsigned width, height;
    unsigned dirty_first, dirty_last;   /* rows changed since the last render; first > last: none */
} VgaFrame;

typedef struct Vga {
    PhysMem *mem;
    Clock *clock;
    uint8_t *vram;
    uint32_t vram_size;
    uint32_t lfb_addr;      /* where the LFB is mapped, 0 = not mapped */
    /* A remote VGA (-remote vga=...): the LFB is MMIO through these, not
     * the local VRAM (vga_set_remote_lfb). */
    const MmioOps *lfb_ops;
    void *lfb_opaque;

    uint8_t misc;           /* 0x3C2 */
    uint8_t sr_index, sr[8];
    uint8_t gr_index, gr[16];
    uint8_t cr_index, cr[256];
    uint8_t ar_index, ar[21];
    bool ar_flipflop;       /* false: next 0x3C0 write is an index */
    uint8_t feature;
    uint8_t dac_read_index, dac_write_index, dac_sub, dac_state;
    uint8_t dac_pel_mask;
    uint8_t dac_latch[3];
    uint8_t palette[768];   /* 6-bit RGB */
    uint32_t latch;

    uint16_t vbe_index;
    uint16_t vbe_regs[10];
    uint32_t vbe_start_addr;
    uint32_t vbe_line_offset;

    VgaFrame frame;
    uint32_t *prev;         /* the previous frame, for dirty detection */
    size_t frame_cap;
    bool cursor_blink_on;
} Vga;

/* VBE register indices */
enum {
    VBE_DISPI_INDEX_ID, VBE_DISPI_INDEX_XRES, VBE_DISPI_INDEX_YRES, VBE_DISPI_INDEX_BPP,
    VBE_DISPI_INDEX_ENABLE, VBE_DISPI_INDEX_BANK, VBE_DISPI_INDEX_VIRT_WIDTH,
    VBE_DISPI_INDEX_VIRT_HEIGHT, VBE_DISPI_INDEX_X_OFFSET, VBE_DISPI_INDEX_Y_OFFSET,
    VBE_DISPI_INDEX_VIDEO_MEMORY_64K,
};
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80

bool vga_init(Vga *vga, PhysMem *mem, Clock *clock, unsigned vram_mb);
/* Machine state: every register, the DAC, the latches, VBE and the VRAM
 * (zero pages elided). The LFB mapping is the PCI BAR's, re-derived by
 * the PCI bus's load. */
extern const DeviceDesc vga_desc;
void vga_free(Vga *vga);
void vga_reset(Vga *vga);
/* Claim 0x3B0-0x3DF and the VBE ports, and the 0xA0000 window. */
bool vga_register(Vga *vga, PortBus *bus);
/* Map (addr != 0) or unmap (0) the linear framebuffer (PCI BAR 0). */
void vga_map_lfb(Vga *vga, uint32_t addr);
/* From now on the LFB is the MMIO region ops/opaque (remapped at once if
 * the BAR is already set). */
void vga_set_remote_lfb(Vga *vga, const MmioOps *ops, void *opaque);

/* Render the current screen into vga->frame; returns it. */
const VgaFrame *vga_render(Vga *vga);
/* In a text mode, write the screen as UTF-8 lines into out (code page 437
 * mapped to Unicode). Returns false in graphics modes. */
bool vga_text_dump(Vga *vga, char *out, size_t outlen);
/* Text-mode geometry and mode query for the display code. */
bool vga_in_text_mode(const Vga *vga);

uint32_t vga_ioport_read(void *opaque, uint16_t port, unsigned size);
void vga_ioport_write(void *opaque, uint16_t port, unsigned size, uint32_t value);
uint8_t vga_mem_read(Vga *vga, uint32_t addr);
void vga_mem_write(Vga *vga, uint32_t addr, uint8_t val);

#endif
