/* i440FX host bridge and PIIX3 ISA/IDE functions (see i440fx.h). */
#include "iodev/i440fx.h"

#include <string.h>

#define PAM0 0x59

/* --- PAM: which of RAM or ROM answers in 0xC0000-0xFFFFF --- */

static void pam_region(const I440fx *nb, int index, uint32_t *start, uint32_t *len)
{
    if (index == 0) {
        *start = 0xF0000;
        *len = 0x10000;
    } else {
        *start = 0xC0000 + (uint32_t)(index - 1) * 0x4000;
        *len = 0x4000;
    }
    (void)nb;
}

static void pam_apply(I440fx *nb, int index, uint8_t attr)
{
    uint32_t start, len;
    pam_region(nb, index, &start, &len);
    if (attr & 1) {
        /* Read enable: RAM answers (write enable decides whether it may
         * be written; write-only is modelled as read/write). */
        phys_map_ram(nb->mem, start, start, len, (attr & 2) != 0);
        return;
    }
    for (uint32_t a = start; a < start + len; a += PHYS_PAGE_SIZE) {
        uint8_t *rom = a >= 0xE0000 ? nb->bios_pages[(a - 0xE0000) >> 12] : NULL;
        if (rom)
            phys_map_host(nb->mem, a, rom, PHYS_PAGE_SIZE, false);
        else
            phys_unmap(nb->mem, a, PHYS_PAGE_SIZE);
    }
}

/* PAM register n (0x59 + n): low nibble for one region, high for the next. */
static void pam_update(I440fx *nb)
{
    for (int r = 0; r < 13; r++) {
        /* Region 0 is 0x59's high nibble; regions 1-12 are 0x5A-0x5F's nibbles. */
        uint8_t attr = r == 0 ? nb->host.config[PAM0] >> 4
                              : (nb->host.config[PAM0 + 1 + (r - 1) / 2] >> (((r - 1) & 1) * 4)) & 3;
        /* Remapping an unchanged region is cheap, and PAM writes are rare. */
        pam_apply(nb, r, attr & 3);
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
    for (unsigned i = 0; i < 4; i++) {
        unsigned reg = 0x60 + i;
        if (reg >= off && reg < off + size) {
            /* The old route is gone from config space: re-derive by moving
             * every asserted line from all possible IRQs is overkill; the
             * bus tracks what it raised, so recompute from scratch. */
            PciBus *bus = nb->pci;
            for (int irq = 0; irq < 16; irq++) {
                if (bus->isa_irq_count[irq] && bus->pic)
                    pic_set_irq(bus->pic, irq, false);
                bus->isa_irq_count[irq] = 0;
            }
            for (int p = 0; p < 4; p++) {
                uint8_t route = d->config[0x60 + p];
                if (bus->pirq_count[p] && !(route & 0x80) && (route & 0x0F) >= 3) {
                    bus->isa_irq_count[route & 0x0F]++;
                    if (bus->pic)
                        pic_set_irq(bus->pic, route & 0x0F, true);
                }
            }
            break;
        }
    }
}

/* --- PIIX3 IDE: bus-master registers in BAR 4 --- */

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    I440fx *nb = opaque;
    uint32_t off = port - nb->ide.bar_mapped[4];
    IdeChannel *ch = nb->channels[(off >> 3) & 1];
    return ch ? ide_bmdma_read(ch, off & 7, size) : 0xFFFFFFFFu;
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
    if (bar != 4)
        return;
    if (old_addr)
        portbus_unmap(nb->pci->ports, nb->bm_slot, (uint16_t)old_addr, 16);
    if (new_addr)
        portbus_map(nb->pci->ports, nb->bm_slot, (uint16_t)new_addr, 16);
}

void i440fx_reset(I440fx *nb)
{
    memset(nb->host.config + 0x40, 0, 0xC0);
    pam_update(nb);
    for (int p = 0; p < 4; p++)
        nb->isa.config[0x60 + p] = 0x80;
}

bool i440fx_init(I440fx *nb, PciBus *pci, PhysMem *mem, IdeChannel *ide0, IdeChannel *ide1)
{
    memset(nb, 0, sizeof *nb);
    nb->mem = mem;
    nb->pci = pci;
    nb->channels[0] = ide0;
    nb->channels[1] = ide1;
    for (int i = 0; i < 32; i++) {
        uint32_t pg = (0xE0000u >> 12) + (uint32_t)i;
        nb->bios_pages[i] = (mem->page_flags[pg] & PHYS_PG_READ) ? mem->page_host[pg] : NULL;
    }

    PciDevice *h = &nb->host;
    h->name = "i440fx";
    h->devfn = 0;
    h->opaque = nb;
    pci_set_ids(h, 0x8086, 0x1237, 0x02, 0x060000, 0x1AF4, 0x1100);
    for (int i = 0; i < 7; i++)
        h->wmask[PAM0 + i] = i == 0 ? 0xF0 : 0x33;
    h->wmask[0x72] = 0x7F;   /* SMRAM: accepted, stays closed */
    h->config_written = host_config_written;

    PciDevice *isa = &nb->isa;
    isa->name = "piix3-isa";
    isa->devfn = 1 << 3;
    isa->opaque = nb;
    pci_set_ids(isa, 0x8086, 0x7000, 0x00, 0x060100, 0x1AF4, 0x1100);
    isa->config[0x0E] = 0x80;   /* multi-function */
    for (int p = 0; p < 4; p++) {
        isa->config[0x60 + p] = 0x80;
        isa->wmask[0x60 + p] = 0x8F;
    }
    isa->config_written = isa_config_written;
    pci->pirq_route = &isa->config[0x60];

    PciDevice *ide = &nb->ide;
    ide->name = "piix3-ide";
    ide->devfn = 1 << 3 | 1;
    ide->opaque = nb;
    pci_set_ids(ide, 0x8086, 0x7010, 0x00, 0x010180, 0x1AF4, 0x1100);
    pci_set_bar(ide, 4, 16, true, false);
    for (int i = 0x40; i < 0x48; i++)
        ide->wmask[i] = 0xFF;   /* IDE timing registers */
    ide->bar_changed = ide_bar_changed;
    static const PortOps bm_ops = { bm_read, bm_write, true };
    nb->bm_slot = portbus_add_slot(pci->ports, "ide-bm", &bm_ops, nb);

    i440fx_reset(nb);
    return nb->bm_slot >= 0 && pci_add(pci, h) && pci_add(pci, isa) && pci_add(pci, ide);
}
