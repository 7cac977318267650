/* PIIX4-style ACPI power management function (PCI 8086:7113, 00:01.3):
 * PM1 event and control registers, the ACPI PM timer, SCI on IRQ 9, and
 * soft-off: an S5 request ends the run.
 *
 * Usage: acpi_pm_init(&pm, &pci, clock, sci_line, poweroff_cb, opaque). */
#ifndef KAIRO_ACPI_PM_H
#define KAIRO_ACPI_PM_H

#include "iodev/irq.h"
#include "iodev/pci.h"
#include "machine/clock.h"

#define ACPI_PM_TIMER_HZ 3579545u

typedef struct AcpiPm {
    PciDevice dev;
    Clock *clock;
    IrqLine sci;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint32_t gpe_sts, gpe_en;
    uint16_t base;          /* mapped PM I/O base, 0 = off */
    int slot;
    void (*poweroff)(void *opaque);
    void *opaque;
    bool powered_off;
} AcpiPm;

bool acpi_pm_init(AcpiPm *pm, PciBus *pci, Clock *clock, const IrqLine *sci,
                  void (*poweroff)(void *opaque), void *opaque);

#endif
