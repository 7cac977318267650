/* SPDX-License-Identifier: MIT */
/* i440FX host bridge and PIIX3 ISA/IDE functions (see i440fx.h). */
#include "iodev/i440fx.h"
#include "debug/log.h"

#include <stdio.h>
#include <string.h>

#define PAM0      0x59
#define SMRAM     0x72
#define PIRQ_RC   0x60

/* Subsystem IDs every function of QEMU's "pc" machine reports. */
#define SUB_VENDOR 0x1AF4
#define SUB_DEVICE 0x1100

enum { PAM_OFF = 0, PAM_RO = 1, PAM_WO = 2, PAM_RW = 3 };

/* --- PAM: whether RAM or what lies below (the BIOS ROM) answers --- */

static void pam_region(int index, uint32_t *start, uint32_t *len)
{
    if (index == 0) {
        *start = 0xF0000;
        *len = 0x10000;
    } else {
        *start = 0xC0000 + (uint32_t)(index - 1) * 0x4000;
        *len = 0x4000;
    }
}

/* Region 0 is PAM0's high nibble; regions 1-12 are the nibbles of PAM1-6,
 * low nibble first. Bit 0 enables reads from RAM, bit 1 writes to it. */
static uint8_t pam_attr(const I440fx *nb, int index)
{
    if (index == 0)
        return (nb->host.config[PAM0] >> 4) & 3;
    unsigned reg = PAM0 + 1 + (unsigned)(index - 1) / 2;
    return (nb->host.config[reg] >> (((index - 1) & 1) * 4)) & 3;
}

static void pam_apply(I440fx *nb, int index, uint8_t attr)
{
    uint32_t start, len;
    pam_region(index, &start, &len);
    if (attr == PAM_WO) {
        /* Write-only would need reads from the ROM and writes to RAM on the
         * same page, which the page map cannot express; firmware copies
         * itself with read/write enabled, so this is only a fallback. */
        log_note(LOG_UNIMP, "i440fx", "PAM write-only is modelled as read/write");
    }
    if (attr != PAM_OFF) {
        phys_map_ram(nb->mem, start, start, len, attr != PAM_RO);
        return;
    }
    for (uint32_t a = start; a < start + len; a += PHYS_PAGE_SIZE) {
        uint8_t *below = nb->below[(a - 0xC0000) >> PHYS_PAGE_SHIFT];
        if (below)
            phys_map_host(nb->mem, a, below, PHYS_PAGE_SIZE, false);
        else
            phys_unmap(nb->mem, a, PHYS_PAGE_SIZE);
    }
}

/* Remap only what changed: a remap throws away the decoded code of the
 * pages, and the BIOS runs from them. */
static void pam_update(I440fx *nb)
{
    for (int r = 0; r < PAM_REGIONS; r++) {
        uint8_t attr = pam_attr(nb, r);
        if (attr == nb->pam_applied[r])
            continue;
        nb->pam_applied[r] = attr;
        pam_apply(nb, r, attr);
    }
}

static void host_config_written(PciDevice *d, uint8_t off, unsigned size)
{
    I440fx *nb = d->opaque;
    if (off + size > PAM0 && off <= PAM0 + 6)
        pam_update(nb);
}

/* --- PIIX3 ISA bridge: PIRQ routing --- */

static void isa_config_written(PciDevice *d, uint8_t off, unsigned size)
{
    I440fx *nb = d->opaque;
    if (off < PIRQ_RC + 4 && off + size > PIRQ_RC)
        pci_pirq_changed(nb->pci, 0, 0);
}

/* Chip reset values of the PIIX3 function 0 registers (datasheet), which
 * firmware may read back; the ones without an effect here are storage. */
static void isa_defaults(PciDevice *d)
{
    static const struct { uint8_t off, value; } regs[] = {
        { 0x4C, 0x4D },                     /* IORT: ISA I/O recovery */
        { 0x4E, 0x03 },                     /* XBCS: BIOS/keyboard/RTC decode */
        { 0x60, 0x80 }, { 0x61, 0x80 }, { 0x62, 0x80 }, { 0x63, 0x80 },   /* PIRQ off */
        { 0x69, 0x02 },                     /* TOM: top of memory */
        { 0x70, 0x80 }, { 0x71, 0x80 },     /* motherboard IRQs off */
        { 0x76, 0x0C }, { 0x77, 0x0C },     /* motherboard DMA off */
        { 0x78, 0x02 },                     /* PCSC: programmable chip select */
        { 0xA0, 0x08 },                     /* SMICNTL */
        { 0xA8, 0x0F },                     /* FTMR: fast-off timer */
    };
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        d->config[regs[i].off] = regs[i].value;
}

/* --- PIIX3 IDE: bus-master registers in BAR 4 --- */

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    I440fx *nb = opaque;
    uint32_t off = port - nb->ide.bar_mapped[4];
    IdeChannel *ch = nb->channels[(off >> 3) & 1];
    return ch ? ide_bmdma_read(ch, off & 7, size) : 0xFFFFFFFFu >> (32 - 8 * size);
}

static void bm_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    I440fx *nb = opaque;
    uint32_t off = port - nb->ide.bar_mapped[4];
    IdeChannel *ch = nb->channels[(off >> 3) & 1];
    if (ch)
        ide_bmdma_write(ch, off & 7, size, value);
}

static void ide_bar_changed(PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr)
{
    I440fx *nb = d->opaque;
    if (bar == 4)
        pci_io_bar_moved(d, nb->bm_slot, old_addr, new_addr, 16);
}

void i440fx_attach_ide(I440fx *nb, IdeChannel *ide0, IdeChannel *ide1)
{
    nb->channels[0] = ide0;
    nb->channels[1] = ide1;
}

/* --- set-up --- */

void i440fx_reset(I440fx *nb)
{
    /* Host: PAM all off (the ROM answers), SMRAM at its default. */
    memset(nb->host.config + 0x40, 0, 0xC0);
    nb->host.config[SMRAM] = 0x02;
    pam_update(nb);
    isa_defaults(&nb->isa);
    pci_pirq_changed(nb->pci, 0, 0);
}

static void setup_host(I440fx *nb)
{
    PciDevice *h = &nb->host;
    h->name = "i440fx";
    h->devfn = 0;
    h->opaque = nb;
    pci_set_ids(h, 0x8086, 0x1237, 0x02, 0x060000, SUB_VENDOR, SUB_DEVICE);
    pci_put16(h, 0x04, 0x0006);   /* memory and bus master: always on */
    pci_put16(h, 0x06, 0x0280);   /* fast back-to-back, medium DEVSEL */
    for (int i = 0; i < 7; i++)
        h->wmask[PAM0 + i] = i == 0 ? 0xF0 : 0x33;
    /* SMRAM: with no SMM in this machine the window never opens; D_OPEN
     * (bit 6) stays 0, so firmware and OS see it closed. */
    h->config[SMRAM] = 0x02;
    h->wmask[SMRAM] = 0x38;
    h->config_written = host_config_written;
}

static void setup_isa(I440fx *nb, PciBus *pci)
{
    PciDevice *isa = &nb->isa;
    isa->name = "piix3-isa";
    isa->devfn = 1 << 3;
    isa->opaque = nb;
    pci_set_ids(isa, 0x8086, 0x7000, 0x00, 0x060100, SUB_VENDOR, SUB_DEVICE);
    pci_put16(isa, 0x04, 0x0007);   /* the bridge decodes from reset */
    pci_put16(isa, 0x06, 0x0200);
    isa->config[0x0E] = 0x80;       /* multi-function: IDE and PM follow */
    isa_defaults(isa);
    for (unsigned off = 0x4C; off < 0xB0; off++)
        isa->wmask[off] = 0xFF;
    for (int p = 0; p < 4; p++)
        isa->wmask[PIRQ_RC + p] = 0x8F;   /* bits 4-6 reserved */
    isa->config_written = isa_config_written;
    pci->pirq_route = &isa->config[PIRQ_RC];
}

static void setup_ide(I440fx *nb, PciBus *pci)
{
    PciDevice *ide = &nb->ide;
    ide->name = "piix3-ide";
    ide->devfn = 1 << 3 | 1;
    ide->opaque = nb;
    /* Programming interface 0x80: bus master, both channels in legacy mode
     * (ports 0x1F0/0x170, IRQ 14/15, no INTx). */
    pci_set_ids(ide, 0x8086, 0x7010, 0x00, 0x010180, SUB_VENDOR, SUB_DEVICE);
    pci_put16(ide, 0x06, 0x0280);
    pci_set_bar(ide, 4, 16, true, false);
    for (int i = 0x40; i < 0x48; i++)
        ide->wmask[i] = 0xFF;   /* IDETIM, SIDETIM: timings, decode enables */
    ide->bar_changed = ide_bar_changed;
    static const PortOps bm_ops = { bm_read, bm_write, true };
    nb->bm_slot = portbus_add_slot(pci->ports, "ide-bm", &bm_ops, nb);
}

bool i440fx_init(I440fx *nb, PciBus *pci, PhysMem *mem, IdeChannel *ide0, IdeChannel *ide1)
{
    memset(nb, 0, sizeof *nb);
    nb->mem = mem;
    nb->pci = pci;
    i440fx_attach_ide(nb, ide0, ide1);
    for (int i = 0; i < PAM_PAGES; i++) {
        uint32_t pg = (0xC0000u >> PHYS_PAGE_SHIFT) + (uint32_t)i;
        bool readable = (mem->page_flags[pg] & (PHYS_PG_READ | PHYS_PG_MMIO)) == PHYS_PG_READ;
        nb->below[i] = readable ? mem->page_host[pg] : NULL;
    }
    memset(nb->pam_applied, 0xFF, sizeof nb->pam_applied);
    setup_host(nb);
    setup_isa(nb, pci);
    setup_ide(nb, pci);
    i440fx_reset(nb);
    return nb->bm_slot >= 0 && pci_add(pci, &nb->host) && pci_add(pci, &nb->isa) &&
           pci_add(pci, &nb->ide);
}

/* --- machine state --- */

/* Everything the chipset holds is in its functions' config spaces, which
 * the PCI bus saves. Loading re-applies PAM from them (only the regions
 * whose attribute differs from what this instance mapped) and the PIRQ
 * routing; the PCI bus's load does the same, so either order works. */
static bool i440fx_post_load(void *dev, char *err, size_t errlen)
{
    I440fx *nb = dev;
    (void)err;
    (void)errlen;
    pam_update(nb);
    pci_pirq_changed(nb->pci, 0, 0);
    return true;
}

static void i440fx_reset_dev(void *dev) { i440fx_reset(dev); }

static void i440fx_info(void *dev, FILE *out)
{
    const I440fx *nb = dev;
    static const char *const attrs[] = { "off", "ro", "wo", "rw" };
    fprintf(out, "PAM F0000: %s, SMRAM %02X\n", attrs[pam_attr(nb, 0) & 3],
            nb->host.config[SMRAM]);
    fprintf(out, "PAM C0000-EFFFF:");
    for (int r = 1; r < PAM_REGIONS; r++)
        fprintf(out, " %s", attrs[pam_attr(nb, r) & 3]);
    fprintf(out, "\nPIRQ A-D: %02X %02X %02X %02X\n", nb->isa.config[PIRQ_RC],
            nb->isa.config[PIRQ_RC + 1], nb->isa.config[PIRQ_RC + 2], nb->isa.config[PIRQ_RC + 3]);
}

const DeviceDesc i440fx_desc = {
    .kind = "i440fx",
    .version = 1,
    .reset = i440fx_reset_dev,
    .post_load = i440fx_post_load,
    .info = i440fx_info,
};
