/* SPDX-License-Identifier: MIT */
/* std-vga PCI function (see vga_pci.h). */
#include "iodev/vga_pci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bar_changed(PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr)
{
    VgaPci *vp = d->opaque;
    PhysMem *mem = d->bus->mem;
    if (bar == 0) {
        vga_map_lfb(vp->vga, new_addr);
    } else if (bar == PCI_ROM_BAR && vp->rom) {
        if (old_addr)
            phys_unmap(mem, old_addr, vp->rom_size);
        if (new_addr)
            phys_map_host(mem, new_addr, vp->rom, vp->rom_size, false);
    }
}

bool vga_pci_init(VgaPci *vp, PciBus *pci, Vga *vga, const char *rom_path, char *err,
                  size_t errlen)
{
    memset(vp, 0, sizeof *vp);
    vp->vga = vga;
    PciDevice *d = &vp->dev;
    d->name = "vga";
    d->devfn = 2 << 3;
    d->opaque = vp;
    pci_set_ids(d, 0x1234, 0x1111, 0x02, 0x030000, 0x1AF4, 0x1100);
    pci_set_bar(d, 0, vga->vram_size, false, true);
    d->bar_changed = bar_changed;
    if (rom_path) {
        FILE *fp = fopen(rom_path, "rb");
        if (!fp) {
            snprintf(err, errlen, "cannot open VGA BIOS '%s'", rom_path);
            return false;
        }
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        if (n <= 0 || n > 0x40000) {
            fclose(fp);
            snprintf(err, errlen, "VGA BIOS '%s' has an unusable size", rom_path);
            return false;
        }
        uint32_t size = 0x1000;
        while (size < (uint32_t)n)
            size <<= 1;
        vp->rom = aligned_alloc(PHYS_PAGE_SIZE, size);
        if (!vp->rom) {
            fclose(fp);
            snprintf(err, errlen, "out of memory for the VGA BIOS");
            return false;
        }
        memset(vp->rom, 0xFF, size);
        bool ok = fread(vp->rom, 1, (size_t)n, fp) == (size_t)n;
        fclose(fp);
        if (!ok) {
            snprintf(err, errlen, "cannot read VGA BIOS '%s'", rom_path);
            return false;
        }
        vp->rom_size = size;
        pci_set_bar(d, PCI_ROM_BAR, size, false, false);
    }
    if (!pci_add(pci, d)) {
        snprintf(err, errlen, "PCI slot 2 is taken");
        return false;
    }
    return true;
}

void vga_pci_free(VgaPci *vp)
{
    free(vp->rom);
    vp->rom = NULL;
}
