/* SPDX-License-Identifier: MIT */
/* The VGA as QEMU's std-vga PCI function (1234:1111, 00:02.0): BAR 0 is
 * the linear framebuffer, the expansion ROM BAR holds the VGA BIOS
 * (SeaVGABIOS's vgabios-stdvga.bin) that SeaBIOS runs as an option ROM.
 *
 * Usage: vga_pci_init(&vp, &pci, &vga, rom_path, err, errlen).
 * Machine state: none of its own. Its config space is the PCI bus's
 * (pci_desc), whose load re-derives the LFB and ROM mappings through
 * bar_changed; the framebuffer is the VGA's (vga_desc). */
#ifndef KAIRO_VGA_PCI_H
#define KAIRO_VGA_PCI_H

#include "iodev/pci.h"
#include "iodev/vga.h"

typedef struct VgaPci {
    PciDevice dev;
    Vga *vga;
    uint8_t *rom;
    uint32_t rom_size;
} VgaPci;

/* rom_path may be NULL: no option ROM (the guest then has no VGA BIOS). */
bool vga_pci_init(VgaPci *vp, PciBus *pci, Vga *vga, const char *rom_path, char *err,
                  size_t errlen);
void vga_pci_free(VgaPci *vp);

#endif
