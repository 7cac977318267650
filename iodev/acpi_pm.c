/* SPDX-License-Identifier: MIT */
/* PIIX4 ACPI power management (see acpi_pm.h). */
#include "iodev/acpi_pm.h"
#include "debug/log.h"

#include <stdio.h>
#include <string.h>

/* PM1 status / enable bits */
#define PM1_TMR      0x0001
#define PM1_GBL      0x0020
#define PM1_PWRBTN   0x0100
#define PM1_RTC      0x0400
#define PM1_WAK_STS  0x8000
#define PM1_STS_W1C  (PM1_TMR | 0x0010 | PM1_GBL | PM1_PWRBTN | PM1_RTC | PM1_WAK_STS)
#define PM1_EN_MASK  (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)
/* PM1 control */
#define CNT_SCI_EN   0x0001
#define CNT_SLP_EN   0x2000

#define TMR_BITS     24
#define TMR_TOGGLE   23   /* TMR_STS is set when this bit of the timer flips */

/* The APM control values SeaBIOS puts in the FADT. */
#define APM_ACPI_ENABLE  0xF1
#define APM_ACPI_DISABLE 0xF0

/* SMBus host registers */
#define SMB_HSTSTS   0x00
#define SMB_HSTCNT   0x02
#define SMB_STS_DEV_ERR 0x04
#define SMB_STS_W1C  0x1E
#define SMB_CNT_START 0x40

#define CFG_PMBA     0x40
#define CFG_DEVACTB  0x58
#define CFG_PMREGMISC 0x80
#define CFG_SMBBA    0x90
#define CFG_SMBHSTCFG 0xD2

/* -d unimp (debug/log.h): what the PIIX4 does that is not modelled. */
static void log_unimp(const char *what, unsigned v)
{
    log_event(LOG_UNIMP, "acpi", what, v, NULL);
}

/* --- the PM timer --- */

static uint64_t timer_ticks(const AcpiPm *pm)
{
    if (!pm->clock)
        return 0;
    uint64_t ns = clock_ns(pm->clock);
    return (ns / 1000000000ull) * ACPI_PM_TIMER_HZ +
           (ns % 1000000000ull) * ACPI_PM_TIMER_HZ / 1000000000ull;
}

/* The first guest nanosecond at which the tick count reaches ticks. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
    uint64_t whole = ticks / ACPI_PM_TIMER_HZ, part = ticks % ACPI_PM_TIMER_HZ;
    return whole * 1000000000ull + (part * 1000000000ull + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

uint32_t acpi_pm_timer(const AcpiPm *pm)
{
    return (uint32_t)timer_ticks(pm) & ((1u << TMR_BITS) - 1);
}

/* TMR_STS is derived lazily from how often bit 23 flipped since last time. */
static void update_tmr_sts(AcpiPm *pm)
{
    uint64_t epoch = timer_ticks(pm) >> TMR_TOGGLE;
    if (epoch != pm->tmr_epoch) {
        pm->tmr_epoch = epoch;
        pm->pm1_sts |= PM1_TMR;
    }
}

static void update_sci(AcpiPm *pm)
{
    bool level = (pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) ||
                 (pm->gpe0_sts[0] & pm->gpe0_en[0]) || (pm->gpe0_sts[1] & pm->gpe0_en[1]);
    irq_set(&pm->sci, level);
}

/* Only an enabled timer interrupt needs a real timer; otherwise TMR_STS is
 * computed when read. */
static void arm_tmr_timer(AcpiPm *pm)
{
    if (!pm->clock)
        return;
    if (!(pm->pm1_en & PM1_TMR)) {
        timer_del(&pm->tmr_timer);
        return;
    }
    uint64_t next = (pm->tmr_epoch + 1) << TMR_TOGGLE;
    timer_mod(&pm->tmr_timer, ticks_to_ns(next));
}

static void tmr_timer_fired(void *opaque)
{
    AcpiPm *pm = opaque;
    update_tmr_sts(pm);
    update_sci(pm);
    arm_tmr_timer(pm);
}

/* --- PM1 control: sleep states --- */

static void sleep_request(AcpiPm *pm, unsigned slp_typ)
{
    /* SLP_TYP values of the _Sx packages SeaBIOS's tables give (QEMU's
     * convention): 0 = S5 soft-off, 1 = S3, 2 = S4. S4 also powers off:
     * the guest has written its hibernation image already. */
    if (slp_typ == 0 || slp_typ == 2) {
        pm->powered_off = true;
        if (pm->poweroff)
            pm->poweroff(pm->opaque);
        return;
    }
    if (slp_typ == 1 && pm->suspend) {
        pm->suspend(pm->opaque);
        return;
    }
    log_unimp("sleep type (suspend to RAM) not modelled, the guest keeps running:", slp_typ);
    pm->pm1_sts |= PM1_WAK_STS;
}

/* --- the PM I/O block, byte by byte --- */

static uint8_t pm_read_byte(AcpiPm *pm, unsigned off, uint32_t tmr)
{
    switch (off) {
    case 0x00: case 0x01:
        update_tmr_sts(pm);
        return (uint8_t)(pm->pm1_sts >> ((off & 1) * 8));
    case 0x02: case 0x03: return (uint8_t)(pm->pm1_en >> ((off & 1) * 8));
    case 0x04: case 0x05: return (uint8_t)(pm->pm1_cnt >> ((off & 1) * 8));
    case 0x08: case 0x09: case 0x0A: case 0x0B: return (uint8_t)(tmr >> ((off & 3) * 8));
    case 0x0C: case 0x0D: return (uint8_t)(pm->gpsts >> ((off & 1) * 8));
    case 0x0E: case 0x0F: return (uint8_t)(pm->gpen >> ((off & 1) * 8));
    default:
        if (off >= 0x10 && off < 0x10 + ACPI_PM_STORAGE)
            return pm->storage[off - 0x10];
        return 0;
    }
}

static void pm_write_byte(AcpiPm *pm, unsigned off, uint8_t v)
{
    unsigned shift = (off & 1) * 8;
    switch (off) {
    case 0x00: case 0x01:
        update_tmr_sts(pm);
        pm->pm1_sts &= (uint16_t)~((v << shift) & PM1_STS_W1C);
        break;
    case 0x02: case 0x03:
        pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xFF << shift)) | ((v << shift) & PM1_EN_MASK));
        if (off == 0x02) {
            update_tmr_sts(pm);
            arm_tmr_timer(pm);
        }
        break;
    case 0x04:
        pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & 0xFF00) | v);
        break;
    case 0x05:
        /* SLP_EN is write-only: it starts the transition and reads as 0. */
        pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & 0x00FF) | ((v << 8) & ~CNT_SLP_EN));
        if ((v << 8) & CNT_SLP_EN)
            sleep_request(pm, (v >> 2) & 7);
        break;
    case 0x0C: case 0x0D:
        pm->gpsts &= (uint16_t)~(v << shift);
        break;
    case 0x0E: case 0x0F:
        pm->gpen = (uint16_t)((pm->gpen & ~(0xFF << shift)) | (v << shift));
        break;
    default:
        /* Global/device control: SMI sources and the like. There is no SMM
         * here, so they are storage; the first write is worth a note. */
        if (off >= 0x10 && off < 0x10 + ACPI_PM_STORAGE) {
            pm->storage[off - 0x10] = v;
            log_unimp("PM register is storage only (no SMM) at PMBASE +", off);
        }
        break;
    }
}

static uint32_t pm_read(void *opaque, uint16_t port, unsigned size)
{
    AcpiPm *pm = opaque;
    unsigned off = (uint16_t)(port - pm->base);
    uint32_t tmr = acpi_pm_timer(pm);   /* one sample for a whole access */
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < ACPI_PM_LEN; i++)
        v |= (uint32_t)pm_read_byte(pm, off + i, tmr) << (8 * i);
    return v;
}

static void pm_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    AcpiPm *pm = opaque;
    unsigned off = (uint16_t)(port - pm->base);
    /* PM1_CNT's high byte starts a sleep: write the low byte first. */
    for (unsigned i = 0; i < size && off + i < ACPI_PM_LEN; i++)
        pm_write_byte(pm, off + i, (uint8_t)(value >> (8 * i)));
    update_sci(pm);
}

/* --- GPE0 block (0xAFE0: two status bytes, two enable bytes) --- */

static uint32_t gpe_read(void *opaque, uint16_t port, unsigned size)
{
    AcpiPm *pm = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)(port - ACPI_GPE0_BASE) + i;
        uint8_t b = off < 2 ? pm->gpe0_sts[off] : off < 4 ? pm->gpe0_en[off - 2] : 0xFF;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void gpe_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    AcpiPm *pm = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)(port - ACPI_GPE0_BASE) + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (off < 2)
            pm->gpe0_sts[off] &= (uint8_t)~b;
        else if (off < 4)
            pm->gpe0_en[off - 2] = b;
    }
    update_sci(pm);
}

/* --- APM control/status (0xB2/0xB3), the FADT's SMI command port --- */

static uint32_t apm_read(void *opaque, uint16_t port, unsigned size)
{
    AcpiPm *pm = opaque;
    (void)size;
    return port == 0xB2 ? pm->apmc : pm->apms;
}

static void apm_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    AcpiPm *pm = opaque;
    (void)size;
    if (port == 0xB3) {
        pm->apms = (uint8_t)value;
        return;
    }
    pm->apmc = (uint8_t)value;
    /* Without SMM the chip is in ACPI mode from reset (SCI_EN set), as
     * QEMU's PIIX4 with SMM off: enable/disable have nothing to switch. */
    if (pm->apmc != APM_ACPI_ENABLE && pm->apmc != APM_ACPI_DISABLE)
        log_unimp("no SMM for the SMI of APM command", pm->apmc);
}

/* --- SMBus host controller, with nothing on the bus --- */

static uint32_t smb_read(void *opaque, uint16_t port, unsigned size)
{
    AcpiPm *pm = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)(port - pm->smb_base) + i;
        v |= (uint32_t)(off < ACPI_SMB_LEN ? pm->smb[off] : 0xFF) << (8 * i);
    }
    return v;
}

static void smb_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    AcpiPm *pm = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)(port - pm->smb_base) + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (off >= ACPI_SMB_LEN)
            continue;
        if (off == SMB_HSTSTS) {
            pm->smb[off] &= (uint8_t)~(b & SMB_STS_W1C);
            continue;
        }
        pm->smb[off] = off == SMB_HSTCNT ? (uint8_t)(b & ~SMB_CNT_START) : b;
        if (off == SMB_HSTCNT && (b & SMB_CNT_START)) {
            /* No slave answers its address: the transaction ends at once
             * with a device error, as on a real bus with nothing on it. */
            log_event(LOG_GUEST_ERROR, "acpi", "SMBus transaction to an absent device at address",
                      pm->smb[4] >> 1, NULL);
            pm->smb[SMB_HSTSTS] |= SMB_STS_DEV_ERR;
        }
    }
}

/* --- configuration space: where the blocks are decoded --- */

static void move_block(PciBus *pci, int slot, uint16_t *cur, uint16_t want, uint16_t len,
                       const char *what)
{
    if (want == *cur)
        return;
    if (*cur)
        portbus_unmap(pci->ports, slot, *cur, len);
    *cur = want;
    if (want && !portbus_map(pci->ports, slot, want, len)) {
        fprintf(stderr, "kairo: acpi: %s base 0x%X collides with another device\n", what, want);
        *cur = 0;
    }
}

static void remap(AcpiPm *pm)
{
    PciDevice *d = &pm->dev;
    uint16_t pmba = (uint16_t)(pci_get32(d, CFG_PMBA) & 0xFFC0);
    uint16_t smba = (uint16_t)(pci_get32(d, CFG_SMBBA) & 0xFFF0);
    move_block(d->bus, pm->slot, &pm->base, (d->config[CFG_PMREGMISC] & 1) ? pmba : 0,
               ACPI_PM_LEN, "PM");
    move_block(d->bus, pm->smb_slot, &pm->smb_base, (d->config[CFG_SMBHSTCFG] & 1) ? smba : 0,
               ACPI_SMB_LEN, "SMBus");
}

static void config_written(PciDevice *d, uint8_t off, unsigned size)
{
    (void)off;
    (void)size;
    remap(d->opaque);
}

static void pci_reset_hook(PciDevice *d)
{
    acpi_pm_reset(d->opaque);
}

void acpi_pm_reset(AcpiPm *pm)
{
    pm->pm1_sts = pm->pm1_en = 0;
    pm->pm1_cnt = CNT_SCI_EN;   /* ACPI mode from reset: no SMM to switch it */
    pm->gpsts = pm->gpen = 0;
    memset(pm->gpe0_sts, 0, sizeof pm->gpe0_sts);
    memset(pm->gpe0_en, 0, sizeof pm->gpe0_en);
    memset(pm->storage, 0, sizeof pm->storage);
    memset(pm->smb, 0, sizeof pm->smb);
    pm->apmc = pm->apms = 0;
    pm->tmr_epoch = timer_ticks(pm) >> TMR_TOGGLE;
    pm->powered_off = false;
    if (pm->clock)
        timer_del(&pm->tmr_timer);
    update_sci(pm);
}

void acpi_pm_set_suspend_hook(AcpiPm *pm, void (*suspend)(void *opaque))
{
    pm->suspend = suspend;
}

void acpi_pm_resume(AcpiPm *pm, bool by_rtc)
{
    pm->pm1_sts |= PM1_WAK_STS | (by_rtc ? PM1_RTC : 0);
    update_sci(pm);
}

void acpi_pm_power_button(AcpiPm *pm)
{
    pm->pm1_sts |= PM1_PWRBTN;
    update_sci(pm);
}

/* The chip's device-resource registers tell the firmware's DSDT which
 * legacy devices exist (LPT at 0x378, COM1 and COM2): fill them from what
 * the port bus holds, as QEMU does when the machine is complete. */
static void set_devres(PciDevice *d, const PortBus *ports)
{
    d->config[0x5F] = (uint8_t)(0x10 | (ports->owner[0x378] ? 0x80 : 0));
    d->config[0x63] = 0x60;
    d->config[0x67] = (uint8_t)((ports->owner[0x3F8] ? 0x08 : 0) |
                                (ports->owner[0x2F8] ? 0x90 : 0));
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
    if (clock)
        timer_init(&pm->tmr_timer, clock, tmr_timer_fired, pm);

    PciDevice *d = &pm->dev;
    d->name = "piix4-pm";
    d->devfn = 1 << 3 | 3;
    d->opaque = pm;
    pci_set_ids(d, 0x8086, 0x7113, 0x03, 0x068000, 0x1AF4, 0x1100);
    pci_put16(d, 0x06, 0x0280);
    d->config[0x3D] = 1;   /* INTA# */
    /* Device-specific registers are storage unless noted (as QEMU's). */
    for (unsigned off = 0x40; off < 0x100; off++)
        d->wmask[off] = 0xFF;
    pci_put32(d, CFG_PMBA, 1);   /* bit 0: I/O space indicator, read-only */
    d->wmask[CFG_PMBA] = 0xC0;
    d->wmask[CFG_PMBA + 2] = d->wmask[CFG_PMBA + 3] = 0;
    /* No SMM: DEVACTB's APMC_EN (bit 25) reads as set, which tells the
     * firmware SMM set-up is done, as QEMU's PIIX4 with SMM off. Without
     * it SeaBIOS raises an SMI and waits forever. */
    d->config[CFG_DEVACTB + 3] = 0x02;
    d->config[CFG_PMREGMISC] = 0;
    /* SMBus at QEMU's default 0xB100, enabled, IRQ select 9 (0xD2 = 0x09). */
    pci_put32(d, CFG_SMBBA, 0xB100 | 1);
    d->wmask[CFG_SMBBA] = 0xF0;
    d->wmask[CFG_SMBBA + 2] = d->wmask[CFG_SMBBA + 3] = 0;
    d->config[CFG_SMBHSTCFG] = 0x09;
    d->wmask[CFG_SMBHSTCFG] = 0x0F;
    set_devres(d, pci->ports);
    d->config_written = config_written;
    d->reset = pci_reset_hook;

    static const PortOps pm_ops = { pm_read, pm_write, true };
    static const PortOps gpe_ops = { gpe_read, gpe_write, true };
    static const PortOps apm_ops = { apm_read, apm_write, false };
    static const PortOps smb_ops = { smb_read, smb_write, true };
    pm->slot = portbus_add_slot(pci->ports, "acpi", &pm_ops, pm);
    pm->smb_slot = portbus_add_slot(pci->ports, "smbus", &smb_ops, pm);
    int gpe_slot = portbus_add_slot(pci->ports, "acpi-gpe", &gpe_ops, pm);
    int apm_slot = portbus_add_slot(pci->ports, "apm", &apm_ops, pm);
    if (pm->slot < 0 || pm->smb_slot < 0 || gpe_slot < 0 || apm_slot < 0 ||
        !portbus_map(pci->ports, gpe_slot, ACPI_GPE0_BASE, 4) ||
        !portbus_map(pci->ports, apm_slot, 0xB2, 2))
        return false;
    portbus_slot_irq(pci->ports, pm->slot, 9);
    acpi_pm_reset(pm);
    if (!pci_add(pci, d))
        return false;
    remap(pm);
    return true;
}

/* --- machine state --- */

static const StateField acpi_pm_fields[] = {
    SF_FIELD(AcpiPm, pm1_sts, SF_U16),
    SF_FIELD(AcpiPm, pm1_en, SF_U16),
    SF_FIELD(AcpiPm, pm1_cnt, SF_U16),
    SF_FIELD(AcpiPm, gpsts, SF_U16),
    SF_FIELD(AcpiPm, gpen, SF_U16),
    SF_BLOB(AcpiPm, gpe0_sts),
    SF_BLOB(AcpiPm, gpe0_en),
    SF_BLOB(AcpiPm, storage),
    SF_FIELD(AcpiPm, tmr_epoch, SF_U64),
    SF_FIELD(AcpiPm, tmr_timer, SF_TIMER),
    SF_FIELD(AcpiPm, apmc, SF_U8),
    SF_FIELD(AcpiPm, apms, SF_U8),
    SF_BLOB(AcpiPm, smb),
    SF_FIELD(AcpiPm, powered_off, SF_BOOL),
};

/* The I/O blocks follow the config space (loaded by the PCI bus, which
 * re-derives them too: either order works); SCI follows the registers. */
static bool acpi_pm_post_load(void *dev, char *err, size_t errlen)
{
    AcpiPm *pm = dev;
    (void)err;
    (void)errlen;
    pm->pm1_en &= PM1_EN_MASK;
    pm->pm1_cnt &= (uint16_t)~CNT_SLP_EN;
    remap(pm);
    update_sci(pm);
    return true;
}

static void acpi_pm_reset_dev(void *dev) { acpi_pm_reset(dev); }

static void acpi_pm_teardown(void *dev)
{
    AcpiPm *pm = dev;
    if (pm->clock)
        timer_del(&pm->tmr_timer);
}

static void acpi_pm_info(void *dev, FILE *out)
{
    const AcpiPm *pm = dev;
    fprintf(out, "PM block at %04X, SMBus at %04X, PM timer %06X\n", pm->base, pm->smb_base,
            acpi_pm_timer(pm));
    fprintf(out, "PM1 sts %04X en %04X cnt %04X, GPE0 sts %02X%02X en %02X%02X, APM %02X/%02X%s\n",
            pm->pm1_sts, pm->pm1_en, pm->pm1_cnt, pm->gpe0_sts[1], pm->gpe0_sts[0],
            pm->gpe0_en[1], pm->gpe0_en[0], pm->apmc, pm->apms,
            pm->powered_off ? ", powered off" : "");
}

const DeviceDesc acpi_pm_desc = {
    .kind = "acpi_pm",
    .version = 1,
    .fields = acpi_pm_fields,
    .n_fields = sizeof acpi_pm_fields / sizeof acpi_pm_fields[0],
    .reset = acpi_pm_reset_dev,
    .post_load = acpi_pm_post_load,
    .info = acpi_pm_info,
    .teardown = acpi_pm_teardown,
};
