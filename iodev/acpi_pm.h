/* SPDX-License-Identifier: MIT */
/* PIIX4 ACPI power management function (PCI 8086:7113 rev 3, 00:01.3), as
 * in QEMU's "pc" machine without SMM: PM1a event/control at PMBASE (config
 * 0x40, enabled by 0x80 bit 0), the 24-bit 3.579545 MHz PM timer at
 * PMBASE+8, the GPE0 block at 0xAFE0 that SeaBIOS's FADT names, the APM
 * ports 0xB2/0xB3 (its SMI_CMD), SCI on IRQ 9, and an SMBus host with no
 * devices behind it. S5 (and S4) soft-off calls the poweroff callback.
 *
 * Usage: acpi_pm_init(&pm, &pci, clock, sci_line, poweroff_cb, opaque) after
 * the UARTs are on the port bus (their presence goes into config 0x67);
 * pci_reset() resets it; acpi_pm_power_button() presses the power button. */
#ifndef KAIRO_ACPI_PM_H
#define KAIRO_ACPI_PM_H

#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/pci.h"
#include "machine/clock.h"

#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_GPE0_BASE   0xAFE0
#define ACPI_PM_LEN      64
#define ACPI_SMB_LEN     16
#define ACPI_PM_STORAGE  0x28   /* PMBASE+0x10..0x37: PCNTRL, GLBSTS, DEVSTS, GLBEN, GLBCTL, DEVCTL... */

typedef struct AcpiPm {
    PciDevice dev;
    Clock *clock;
    IrqLine sci;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpsts, gpen;           /* PMBASE+0x0C/0x0E: general purpose events */
    uint8_t gpe0_sts[2], gpe0_en[2];
    uint8_t storage[ACPI_PM_STORAGE];
    uint64_t tmr_epoch;             /* PM timer ticks >> 23 when TMR_STS was last updated */
    Timer tmr_timer;                /* the next bit-23 toggle, while TMR_EN is set */
    uint8_t apmc, apms;
    uint8_t smb[ACPI_SMB_LEN];
    uint16_t base, smb_base;        /* mapped I/O bases, 0 = off */
    int slot, smb_slot;
    void (*poweroff)(void *opaque);
    void (*suspend)(void *opaque);  /* S3 (SLP_TYP 1); NULL: not modelled, the guest runs on */
    void *opaque;
    bool powered_off;
} AcpiPm;

bool acpi_pm_init(AcpiPm *pm, PciBus *pci, Clock *clock, const IrqLine *sci,
                  void (*poweroff)(void *opaque), void *opaque);
/* The registers behind the config space (pci_reset calls it too). */
void acpi_pm_reset(AcpiPm *pm);
/* A press of the power button: PWRBTN_STS, and the SCI if enabled. */
void acpi_pm_power_button(AcpiPm *pm);
/* S3: the machine's hook for a suspend to RAM (same opaque as poweroff). */
void acpi_pm_set_suspend_hook(AcpiPm *pm, void (*suspend)(void *opaque));
/* After the wake-up reset: WAK_STS, and RTC_STS when the RTC alarm woke it. */
void acpi_pm_resume(AcpiPm *pm, bool by_rtc);
/* The PM timer's current 24-bit value. */
uint32_t acpi_pm_timer(const AcpiPm *pm);
/* Machine state: the PM1/GPE registers, the PM timer's epoch and its
 * timer, APM and SMBus storage (the config space is the PCI bus's). */
extern const DeviceDesc acpi_pm_desc;

#endif
