/* PIIX4 ACPI power management (see acpi_pm.h).
 *
 * Only what ACPI guests use: PM1a event/control, the 24-bit PM timer and
 * GPE0 (always empty here). The SMBus controller the real function also
 * holds is not modelled: its base register is kept, its ports are not
 * decoded (they read as all-ones, as an absent device). */
#include "iodev/acpi_pm.h"

#include <stdio.h>
#include <string.h>

#define PM1_TMR_STS 0x0001
#define PM1_PWRBTN  0x0100
#define PM1_WAK_STS 0x8000
#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_SLP_EN 0x2000

static uint32_t pm_timer(const AcpiPm *pm)
{
    uint64_t ns = clock_ns(pm->clock);
    uint64_t ticks = (ns / 1000000000ull) * ACPI_PM_TIMER_HZ +
                     (ns % 1000000000ull) * ACPI_PM_TIMER_HZ / 1000000000ull;
    return (uint32_t)ticks & 0xFFFFFF;
}

static void update_sci(AcpiPm *pm)
{
    bool level = (pm->pm1_sts & pm->pm1_en) || (pm->gpe_sts & pm->gpe_en);
    irq_set(&pm->sci, level);
}

static uint32_t pm_read(void *opaque, uint16_t port, unsigned size)
{
    AcpiPm *pm = opaque;
    unsigned off = (uint16_t)(port - pm->base);
    uint32_t v;
    switch (off & ~1u) {
    case 0x00: v = pm->pm1_sts; break;
    case 0x02: v = pm->pm1_en; break;
    case 0x04: v = pm->pm1_cnt; break;
    case 0x08: case 0x0A: v = pm_timer(pm) >> ((off & 2) * 8); break;
    case 0x0C: case 0x0E: v = pm->gpe_sts >> ((off & 2) * 8); break;
    default: v = 0; break;
    }
    if (off == 0x08 && size == 4)
        v = pm_timer(pm);
    if (off & 1)
        v >>= 8;
    return size == 1 ? (v & 0xFF) : size == 2 ? (v & 0xFFFF) : v;
}

static void pm_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    AcpiPm *pm = opaque;
    unsigned off = (uint16_t)(port - pm->base);
    if (size == 1 && (off & 1))
        value <<= 8;
    switch (off & ~1u) {
    case 0x00:
        pm->pm1_sts &= (uint16_t)~value;   /* write one to clear */
        break;
    case 0x02:
        pm->pm1_en = (uint16_t)value;
        break;
    case 0x04:
        pm->pm1_cnt = (uint16_t)(value & ~PM1_CNT_SLP_EN);
        if (value & PM1_CNT_SLP_EN) {
            unsigned typ = (value >> 10) & 7;
            /* SeaBIOS's DSDT gives _S5 the type 0: soft off. */
            if (typ == 0 && pm->poweroff) {
                pm->powered_off = true;
                pm->poweroff(pm->opaque);
            }
        }
        break;
    case 0x0C:
        pm->gpe_sts &= ~value;
        break;
    case 0x0E:
        pm->gpe_en = value & 0xFFFF;
        break;
    default:
        break;
    }
    update_sci(pm);
}

static void remap(AcpiPm *pm)
{
    PciDevice *d = &pm->dev;
    uint16_t base = (uint16_t)(pci_get32(d, 0x40) & 0xFFC0);
    bool on = d->config[0x80] & 1;
    uint16_t want = on ? base : 0;
    if (want == pm->base)
        return;
    PortBus *ports = d->bus->ports;
    if (pm->base)
        portbus_unmap(ports, pm->slot, pm->base, 64);
    pm->base = want;
    if (want && !portbus_map(ports, pm->slot, want, 64)) {
        fprintf(stderr, "kairo: acpi: PM base 0x%X collides with another device\n", want);
        pm->base = 0;
    }
}

static void config_written(PciDevice *d, uint8_t off, unsigned size)
{
    (void)off;
    (void)size;
    remap(d->opaque);
}

bool acpi_pm_init(AcpiPm *pm, PciBus *pci, Clock *clock, const IrqLine *sci,
                  void (*poweroff)(void *opaque), void *opaque)
{
    memset(pm, 0, sizeof *pm);
    pm->clock = clock;
    if (sci)
        pm->sci = *sci;
    pm->poweroff = poweroff;
    pm->opaque = opaque;
    PciDevice *d = &pm->dev;
    d->name = "piix4-pm";
    d->devfn = 1 << 3 | 3;
    d->opaque = pm;
    pci_set_ids(d, 0x8086, 0x7113, 0x03, 0x068000, 0x1AF4, 0x1100);
    d->config[0x3D] = 1;   /* INTA#, the SCI */
    d->config[0x3C] = 9;
    pci_put32(d, 0x40, 1);   /* PM base: I/O space indicator */
    d->wmask[0x40] = 0xC0;
    d->wmask[0x41] = 0xFF;
    d->wmask[0x80] = 0x01;   /* PM I/O enable */
    pci_put32(d, 0x90, 1);   /* SMBus base */
    d->wmask[0x90] = 0xF0;
    d->wmask[0x91] = 0xFF;
    d->wmask[0xD2] = 0x0F;   /* SMBus host configuration */
    /* No SMM in this machine: DEVACTB's APMC_EN (bit 25) reads as set, which
     * tells firmware that SMM set-up is done, as QEMU's PIIX4 does with
     * smm=off. Without it SeaBIOS raises an SMI and waits forever. */
    d->config[0x5B] = 0x02;
    d->config_written = config_written;
    static const PortOps ops = { pm_read, pm_write, true };
    pm->slot = portbus_add_slot(pci->ports, "acpi", &ops, pm);
    return pm->slot >= 0 && pci_add(pci, d);
}
