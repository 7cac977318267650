/* SPDX-License-Identifier: MIT */
/* PCI configuration mechanism #1, BARs, INTx routing through the PIIX3's
 * PIRQ registers, the i440FX's PAM shadowing, the PIIX4 ACPI function and
 * the reset control register. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/acpi_pm.h"
#include "iodev/i440fx.h"
#include "iodev/pci.h"
#include "iodev/pic.h"

static PortBus bus;
static PhysMem *mem;
static PicPair pic;
static PciBus pci;
static I440fx nb;
static AcpiPm pm;
static Clock clk;
static uint64_t icount;
static bool sci;
static int poweroffs, resets, inits;
static uint8_t rom[0x20000];

static void sci_sink(void *o, int line, bool level) { (void)o; (void)line; sci = level; }
static void on_poweroff(void *o) { (void)o; poweroffs++; }
static void on_reset(void *o) { (void)o; resets++; }
static void on_init(void *o) { (void)o; inits++; }

/* A UART-shaped claim on 0x3F8, so the PM function reports COM1. */
static uint32_t dummy_read(void *o, uint16_t p, unsigned s) { (void)o; (void)p; (void)s; return 0; }
static void dummy_write(void *o, uint16_t p, unsigned s, uint32_t v)
{
    (void)o; (void)p; (void)s; (void)v;
}

static void setup(void)
{
    static const PortOps dummy = { dummy_read, dummy_write, false };
    static const IrqLine sci_line = { sci_sink, NULL, 9 };
    char err[128];
    icount = 0;
    sci = false;
    poweroffs = resets = inits = 0;
    clock_init(&clk, 1000000000ull, &icount);
    portbus_init(&bus);
    int s = portbus_add_slot(&bus, "com1", &dummy, NULL);
    portbus_map(&bus, s, 0x3F8, 8);
    mem = phys_new(8 << 20, err, sizeof err);
    cr_assert(mem);
    memset(rom, 0xEE, sizeof rom);
    cr_assert(phys_map_rom(mem, 0xE0000, rom, sizeof rom));
    pic_init(&pic, NULL, NULL);
    cr_assert(pic_register(&pic, &bus));
    pci_init(&pci, mem, &bus, pic.lines);
    pci.reset_request = on_reset;
    pci.init_request = on_init;
    cr_assert(pci_register(&pci));
    cr_assert(i440fx_init(&nb, &pci, mem, NULL, NULL));
    cr_assert(acpi_pm_init(&pm, &pci, &clk, &sci_line, on_poweroff, NULL));
}

static void teardown(void)
{
    phys_free(mem);
}

TestSuite(pci, .init = setup, .fini = teardown);

static void cfg_addr(uint8_t devfn, uint8_t off)
{
    portbus_write(&bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
}

static uint32_t cfg_read(uint8_t devfn, uint8_t off, unsigned size)
{
    cfg_addr(devfn, off);
    return portbus_read(&bus, (uint16_t)(0xCFC + (off & 3)), size);
}

static void cfg_write(uint8_t devfn, uint8_t off, unsigned size, uint32_t v)
{
    cfg_addr(devfn, off);
    portbus_write(&bus, (uint16_t)(0xCFC + (off & 3)), size, v);
}

#define DEV_ISA 0x08
#define DEV_IDE 0x09
#define DEV_PM  0x0B

/* --- configuration mechanism #1 --- */

Test(pci, config_mechanism_1_widths_and_offsets)
{
    cr_assert_eq(cfg_read(0x00, 0x00, 4), 0x12378086u, "i440FX");
    cr_assert_eq(cfg_read(0x00, 0x08, 4), 0x06000002u, "host bridge class, revision 2");
    cr_assert_eq(cfg_read(DEV_ISA, 0x02, 2), 0x7000u, "word at offset 2");
    cr_assert_eq(cfg_read(DEV_ISA, 0x0E, 1), 0x80u, "multi-function header");
    cr_assert_eq(cfg_read(DEV_ISA, 0x0B, 1), 0x06u);
    cr_assert_eq(cfg_read(DEV_ISA, 0x0A, 1), 0x01u, "ISA bridge");
    cr_assert_eq(cfg_read(DEV_IDE, 0x00, 4), 0x70108086u);
    cr_assert_eq(cfg_read(DEV_IDE, 0x09, 1), 0x80u, "legacy IDE, bus master");
    cr_assert_eq(cfg_read(DEV_PM, 0x00, 4), 0x71138086u);
    cr_assert_eq(cfg_read(DEV_PM, 0x08, 4), 0x06800003u, "bridge/other, revision 3");
    cr_assert_eq(cfg_read(DEV_PM, 0x2C, 4), 0x11001AF4u, "QEMU's subsystem IDs");
    cr_assert_eq(cfg_read(DEV_PM, 0x3D, 1), 0x01u, "INTA#");
    cr_assert_eq(cfg_read(0x18, 0x00, 4), 0xFFFFFFFFu, "nothing in slot 3");
    cr_assert_eq(cfg_read(0x18, 0x00, 2), 0xFFFFu);
    /* The address register reads back; without the enable bit, or on
     * another bus, the data port reads all-ones. */
    portbus_write(&bus, 0xCF8, 4, 0x80000808u);
    cr_assert_eq(portbus_read(&bus, 0xCF8, 4), 0x80000808u);
    portbus_write(&bus, 0xCF8, 4, 0x00000000u);
    cr_assert_eq(portbus_read(&bus, 0xCFC, 4), 0xFFFFFFFFu);
    portbus_write(&bus, 0xCF8, 4, 0x80010000u);
    cr_assert_eq(portbus_read(&bus, 0xCFC, 4), 0xFFFFFFFFu);
}

Test(pci, write_masks_and_status_write_one_to_clear)
{
    cfg_write(DEV_ISA, 0x00, 4, 0);
    cr_assert_eq(cfg_read(DEV_ISA, 0x00, 4), 0x70008086u, "IDs are read-only");
    cfg_write(DEV_PM, 0x3C, 1, 0x0B);
    cr_assert_eq(cfg_read(DEV_PM, 0x3C, 1), 0x0Bu, "interrupt line is storage");
    cfg_write(DEV_PM, 0x3D, 1, 0x04);
    cr_assert_eq(cfg_read(DEV_PM, 0x3D, 1), 0x01u, "interrupt pin is fixed");
    nb.ide.config[0x07] |= 0x20;   /* received master abort */
    cfg_write(DEV_IDE, 0x04, 4, 0x20000000);   /* dword write clears it */
    cr_assert_eq(cfg_read(DEV_IDE, 0x06, 2), 0x0280u);
    cr_assert_eq(cfg_read(0x00, 0x72, 1), 0x02u, "SMRAM at its default");
    cfg_write(0x00, 0x72, 1, 0x4A);
    cr_assert_eq(cfg_read(0x00, 0x72, 1) & 0x40, 0u, "SMRAM never reads open");
}

/* --- BARs --- */

static uint32_t io_reads;
static uint32_t bar_io_read(void *o, uint16_t p, unsigned s)
{
    (void)o; (void)s;
    io_reads++;
    return 0x1200u | (p & 0xFF);
}
static void bar_io_write(void *o, uint16_t p, unsigned s, uint32_t v)
{
    (void)o; (void)p; (void)s; (void)v;
}

static int test_slot;
static int bar_moves;
static void test_bar_changed(PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr)
{
    bar_moves++;
    if (bar == 1)
        pci_io_bar_moved(d, test_slot, old_addr, new_addr, 32);
}

static void add_test_device(PciDevice *d, uint8_t slot, uint8_t pin)
{
    static const char *names[] = { "test0", "test1" };
    static int made;
    static const PortOps ops = { bar_io_read, bar_io_write, true };
    memset(d, 0, sizeof *d);
    d->name = "test";
    d->devfn = (uint8_t)(slot << 3);
    pci_set_ids(d, 0x1234, 0x5678, 1, 0xFF0000, 0, 0);
    pci_set_bar(d, 0, 0x1000, false, false);
    pci_set_bar(d, 1, 32, true, false);
    pci_set_bar(d, PCI_ROM_BAR, 0x8000, false, false);
    d->config[0x3D] = pin;
    d->bar_changed = test_bar_changed;
    test_slot = portbus_add_slot(&bus, names[made++ & 1], &ops, d);
    cr_assert(test_slot >= 0);
    cr_assert(pci_add(&pci, d));
}

Test(pci, bar_sizing_by_writing_all_ones)
{
    static PciDevice d;
    add_test_device(&d, 4, 1);
    cfg_write(DEV_IDE, 0x20, 4, 0xFFFFFFFF);
    cr_assert_eq(cfg_read(DEV_IDE, 0x20, 4), 0xFFFFFFF1u, "16 bytes of I/O");
    cfg_write(0x20, 0x10, 4, 0xFFFFFFFF);
    cr_assert_eq(cfg_read(0x20, 0x10, 4), 0xFFFFF000u, "4 KiB of memory");
    cfg_write(0x20, 0x14, 4, 0xFFFFFFFF);
    cr_assert_eq(cfg_read(0x20, 0x14, 4), 0xFFFFFFE1u, "32 bytes of I/O");
    cfg_write(0x20, 0x30, 4, 0xFFFFFFFE);
    cr_assert_eq(cfg_read(0x20, 0x30, 4), 0xFFFF8000u, "32 KiB ROM, enable bit clear");
    cfg_write(0x20, 0x18, 4, 0xFFFFFFFF);
    cr_assert_eq(cfg_read(0x20, 0x18, 4), 0u, "an unimplemented BAR reads 0");
    cr_assert_eq(bar_moves, 0, "sizing with decoding off maps nothing");
}

Test(pci, command_register_io_enable_maps_a_bars_ports)
{
    static PciDevice d;
    add_test_device(&d, 4, 1);
    cfg_write(0x20, 0x14, 4, 0xC040);
    cr_assert_eq(portbus_read(&bus, 0xC044, 2), 0xFFFFu, "I/O decoding is off");
    cr_assert_eq(io_reads, 0u);
    cfg_write(0x20, 0x04, 2, 0x0001);
    cr_assert_eq(d.bar_mapped[1], 0xC040u);
    cr_assert_eq(portbus_read(&bus, 0xC044, 2), 0x1244u, "the BAR's ports answer");
    cr_assert_eq(portbus_read(&bus, 0xC05F, 1) & 0xFF, 0x5Fu);
    cr_assert_eq(d.bar_mapped[0], 0u, "memory decoding still off");
    cfg_write(0x20, 0x14, 4, 0xD000);   /* move it while enabled */
    cr_assert_eq(portbus_read(&bus, 0xC044, 2), 0xFFFFu, "old range released");
    cr_assert_eq(portbus_read(&bus, 0xD004, 2), 0x1204u);
    cfg_write(0x20, 0x04, 2, 0x0000);
    cr_assert_eq(portbus_read(&bus, 0xD004, 2), 0xFFFFu, "I/O disabled: unmapped");
    cr_assert_eq(d.bar_mapped[1], 0u);
    cfg_write(0x20, 0x10, 4, 0xFEB00000);
    cfg_write(0x20, 0x04, 2, 0x0002);
    cr_assert_eq(d.bar_mapped[0], 0xFEB00000u, "memory BAR decoded with MEM enable");
    cr_assert_eq(d.bar_mapped[PCI_ROM_BAR], 0u, "ROM needs its own enable bit");
    cfg_write(0x20, 0x30, 4, 0xFEB10001);
    cr_assert_eq(d.bar_mapped[PCI_ROM_BAR], 0xFEB10000u);
}

/* --- INTx routing --- */

static bool pic_line(int irq) { return (pic.chip[irq >> 3].lines >> (irq & 7)) & 1; }

Test(pci, pirq_routing_moves_an_intx_line)
{
    static PciDevice a, b;
    add_test_device(&a, 4, 1);   /* slot 4, INTA -> PIRQD */
    cr_assert_eq(pci_pirq_of(&a), 3);
    cr_assert_eq(pci_pirq_of(&pm.dev), 0, "00:01.3 INTA -> PIRQA");
    portbus_write(&bus, 0x4D1, 1, 0x0E);   /* IRQ 9-11 level-triggered, as PCI wants */
    pci_set_intx(&a, true);
    cr_assert_not(pic_line(11), "PIRQD not routed yet");
    cr_assert(cfg_read(0x20, 0x06, 1) & 0x08, "interrupt status bit");
    cfg_write(DEV_ISA, 0x63, 1, 0x0B);     /* PIRQD -> IRQ 11 */
    cr_assert(pic_line(11));
    cr_assert(pic.chip[1].irr & 0x08, "the slave PIC sees IRQ 11");
    cfg_write(DEV_ISA, 0x63, 1, 0x0A);     /* move it */
    cr_assert_not(pic_line(11), "gone from IRQ 11");
    cr_assert(pic_line(10), "now on IRQ 10");
    cfg_write(DEV_ISA, 0x63, 1, 0x8A);     /* routing disabled */
    cr_assert_not(pic_line(10));
    cfg_write(DEV_ISA, 0x63, 1, 0x0D);     /* IRQ 13 cannot be a PIRQ target */
    cr_assert_not(pic_line(13));
    /* Two functions on one IRQ: the line is the OR of both. */
    cfg_write(DEV_ISA, 0x60, 4, 0x0B0B0B0B);
    cr_assert_eq(cfg_read(DEV_ISA, 0x60, 4), 0x0B0B0B0Bu, "dword write of all four");
    add_test_device(&b, 5, 1);             /* slot 5 INTA -> PIRQA */
    pci_set_intx(&b, true);
    pci_set_intx(&a, false);
    cr_assert(pic_line(11), "b still holds IRQ 11");
    pci_set_intx(&b, false);
    cr_assert_not(pic_line(11));
    /* The command register's INTx disable masks the pin. */
    pci_set_intx(&a, true);
    cr_assert(pic_line(11));
    cfg_write(0x20, 0x04, 2, 0x0400);
    cr_assert_not(pic_line(11), "INTx disabled");
    cr_assert(cfg_read(0x20, 0x06, 1) & 0x08, "status still shows the pin");
    cfg_write(0x20, 0x04, 2, 0x0000);
    cr_assert(pic_line(11));
}

/* --- PAM --- */

Test(pci, pam_shadowing_makes_f0000_writable_then_read_only)
{
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu, "the ROM answers at reset");
    phys_write(mem, 0xF0000, 1, 0x12);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu, "ROM ignores writes");
    cfg_write(0x00, 0x59, 1, 0x30);        /* F0000: RAM read/write */
    phys_write(mem, 0xF0000, 1, 0x12);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u);
    cfg_write(0x00, 0x59, 1, 0x10);        /* RAM read-only */
    phys_write(mem, 0xF0000, 1, 0x34);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u, "writes ignored");
    cfg_write(0x00, 0x59, 1, 0x00);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu, "back to the ROM");
    cfg_write(0x00, 0x59, 1, 0x30);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u, "the shadow copy survived");
    /* PAM1's high nibble covers 0xC4000-0xC7FFF, nothing else */
    cr_assert_eq(phys_read(mem, 0xC4000, 1), 0xFFu, "open bus with PAM off");
    cfg_write(0x00, 0x5A, 1, 0x30);
    phys_write(mem, 0xC4000, 2, 0xBEEF);
    cr_assert_eq(phys_read(mem, 0xC4000, 2), 0xBEEFu);
    phys_write(mem, 0xC0000, 1, 0x55);
    cr_assert_eq(phys_read(mem, 0xC0000, 1), 0xFFu, "0xC0000 is still off");
    cr_assert_eq(phys_read(mem, 0xE0000, 1), 0xEEu, "0xE0000 is still the ROM");
    cfg_write(0x00, 0x5A, 1, 0x00);
    cr_assert_eq(phys_read(mem, 0xC4000, 1), 0xFFu);
}

/* --- ACPI power management --- */

static void pm_enable(uint16_t base)
{
    cfg_write(DEV_PM, 0x40, 4, base | 1u);
    cfg_write(DEV_PM, 0x80, 1, 0x01);
}

Test(pci, acpi_s5_soft_off_calls_poweroff)
{
    cr_assert_eq(portbus_read(&bus, 0x604, 2), 0xFFFFu, "PM block off at reset");
    pm_enable(0x600);
    cr_assert_eq(pm.base, 0x600);
    cr_assert_eq(portbus_read(&bus, 0x604, 2) & 1, 1u, "SCI_EN: ACPI mode from reset");
    portbus_write(&bus, 0x604, 2, 0x0401 | 0x2000);   /* S3: not modelled */
    cr_assert_eq(poweroffs, 0);
    cr_assert_eq(portbus_read(&bus, 0x604, 2) & 0x2000, 0u, "SLP_EN reads as 0");
    portbus_write(&bus, 0x604, 2, 0x0001 | 0x2000);   /* SLP_TYP 0 (S5), SLP_EN */
    cr_assert_eq(poweroffs, 1);
    portbus_write(&bus, 0x605, 1, 0x20);              /* the same with a byte write */
    cr_assert_eq(poweroffs, 2);
    cfg_write(DEV_PM, 0x40, 4, 0xB001);               /* the block moves */
    cr_assert_eq(portbus_read(&bus, 0x604, 2), 0xFFFFu);
    portbus_write(&bus, 0xB004, 2, 0x2001);
    cr_assert_eq(poweroffs, 3);
}

Test(pci, acpi_pm_timer_runs_at_3_579545_mhz)
{
    pm_enable(0x600);
    uint32_t t0 = portbus_read(&bus, 0x608, 4);
    icount += 1000000000ull;   /* one guest second */
    uint32_t t1 = portbus_read(&bus, 0x608, 4);
    cr_assert_eq((t1 - t0) & 0xFFFFFF, 3579545u, "ticks in one second: %u", t1 - t0);
    icount += 1000000;         /* 1 ms */
    uint32_t t2 = portbus_read(&bus, 0x608, 4);
    cr_assert((t2 - t1) >= 3579 && (t2 - t1) <= 3580);
    cr_assert_eq(portbus_read(&bus, 0x608, 4) >> 24, 0u, "24 bits");
    icount = 5000000000ull;    /* past a wrap: 5 s is 17.9M ticks */
    cr_assert_eq(portbus_read(&bus, 0x608, 4), (uint32_t)(5ull * 3579545) & 0xFFFFFF);
    cr_assert_eq(portbus_read(&bus, 0x608, 2), (5ull * 3579545) & 0xFFFF, "word read");
}

Test(pci, acpi_timer_status_power_button_and_sci)
{
    pm_enable(0x600);
    cr_assert_not(sci);
    /* TMR_STS sets each time bit 23 flips (2^23 ticks = 2.34 s). */
    icount = 2400000000ull;
    cr_assert(portbus_read(&bus, 0x600, 2) & 0x0001, "TMR_STS");
    portbus_write(&bus, 0x600, 2, 0x0001);
    cr_assert_eq(portbus_read(&bus, 0x600, 2) & 0x0001, 0u, "write one to clear");
    cr_assert_not(sci, "status without enable raises nothing");
    portbus_write(&bus, 0x602, 2, 0x0001);   /* TMR_EN */
    icount = 4700000000ull;                  /* past the next flip at 4.687 s */
    clock_run_timers(&clk);
    cr_assert(sci, "timer overflow raises the SCI");
    portbus_write(&bus, 0x600, 2, 0x0001);
    cr_assert_not(sci);
    portbus_write(&bus, 0x602, 2, 0x0100);   /* only PWRBTN_EN */
    acpi_pm_power_button(&pm);
    cr_assert(sci);
    cr_assert(portbus_read(&bus, 0x600, 2) & 0x0100);
    portbus_write(&bus, 0x600, 2, 0x0100);
    cr_assert_not(sci);
    /* GPE0 at 0xAFE0, as SeaBIOS's FADT says: empty, clean */
    cr_assert_eq(portbus_read(&bus, 0xAFE0, 4), 0u);
    portbus_write(&bus, 0xAFE2, 2, 0xFFFF);
    cr_assert_eq(portbus_read(&bus, 0xAFE2, 2), 0xFFFFu);
    cr_assert_not(sci);
}

Test(pci, acpi_config_apm_smbus_and_devres)
{
    cr_assert_eq(cfg_read(DEV_PM, 0x58, 4) & 0x02000000u, 0x02000000u,
                 "no SMM: APMC_EN reads as set");
    cr_assert_eq(cfg_read(DEV_PM, 0x67, 1), 0x08u, "COM1 present, COM2 not");
    cr_assert_eq(cfg_read(DEV_PM, 0x40, 4), 1u, "PM base: I/O indicator only");
    cr_assert_eq(cfg_read(DEV_PM, 0x90, 4), 0xB101u, "SMBus base as QEMU's");
    cr_assert_eq(cfg_read(DEV_PM, 0xD2, 1), 0x09u);
    portbus_write(&bus, 0xB2, 1, 0xF1);      /* ACPI enable through SMI_CMD */
    cr_assert_eq(portbus_read(&bus, 0xB2, 1), 0xF1u);
    portbus_write(&bus, 0xB3, 1, 0x5A);
    cr_assert_eq(portbus_read(&bus, 0xB3, 1), 0x5Au);
    /* SMBus: chip reset state; a transaction finds no device */
    cr_assert_eq(portbus_read(&bus, 0xB100, 1), 0x00u);
    portbus_write(&bus, 0xB104, 1, 0xA1);    /* read from 0x50 (an SPD EEPROM) */
    portbus_write(&bus, 0xB102, 1, 0x48);    /* byte data, START */
    cr_assert_eq(portbus_read(&bus, 0xB100, 1) & 0x04, 0x04u, "device error");
    portbus_write(&bus, 0xB100, 1, 0x04);
    cr_assert_eq(portbus_read(&bus, 0xB100, 1), 0x00u);
    cfg_write(DEV_PM, 0x90, 4, 0x0701);      /* SeaBIOS moves it to 0x700 */
    cr_assert_eq(portbus_read(&bus, 0xB100, 1), 0xFFu);
    cr_assert_eq(portbus_read(&bus, 0x0702, 1), 0x08u);
}

/* --- reset control (0xCF9) --- */

Test(pci, reset_control_register_hard_and_soft)
{
    portbus_write(&bus, 0xCF9, 1, 0x02);     /* choose a hard reset */
    cr_assert_eq(resets + inits, 0);
    cr_assert_eq(portbus_read(&bus, 0xCF9, 1), 0x02u);
    portbus_write(&bus, 0xCF9, 1, 0x06);     /* and start it */
    cr_assert_eq(resets, 1);
    cr_assert_eq(portbus_read(&bus, 0xCF9, 1), 0x02u, "RST_CPU reads back clear");
    portbus_write(&bus, 0xCF9, 1, 0x04);     /* soft: INIT only */
    cr_assert_eq(inits, 1);
    cr_assert_eq(resets, 1);
    cr_assert_eq(portbus_read(&bus, 0xCF8, 4), 0u, "0xCF9 is not part of the address");
}

/* --- reset and save/restore --- */

Test(pci, pci_reset_restores_power_on_config)
{
    static PciDevice d;
    add_test_device(&d, 4, 1);
    pm_enable(0x600);
    cfg_write(0x20, 0x14, 4, 0xC040);
    cfg_write(0x20, 0x04, 2, 0x0001);
    cfg_write(0x00, 0x59, 1, 0x30);
    phys_write(mem, 0xF0000, 1, 0x12);
    cfg_write(DEV_ISA, 0x63, 1, 0x0B);   /* slot 4 INTA is PIRQD */
    pci_set_intx(&d, true);
    cr_assert(pic_line(11));
    pci_reset(&pci);
    cr_assert_eq(d.bar_mapped[1], 0u);
    cr_assert_eq(portbus_read(&bus, 0xC044, 2), 0xFFFFu);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu, "PAM off: the ROM again");
    cr_assert_not(pic_line(11), "PIRQ routing off");
    cr_assert_eq(cfg_read(DEV_ISA, 0x60, 4), 0x80808080u);
    cr_assert_eq(pm.base, 0, "PM block unmapped");
    cr_assert_eq(cfg_read(DEV_PM, 0x58, 4) & 0x02000000u, 0x02000000u);
}

Test(pci, save_and_restore_config_spaces)
{
    static PciDevice d;
    add_test_device(&d, 4, 1);
    pm_enable(0x600);
    cfg_write(0x20, 0x14, 4, 0xC040);
    cfg_write(0x20, 0x04, 2, 0x0001);
    cfg_write(0x00, 0x59, 1, 0x30);
    phys_write(mem, 0xF0000, 1, 0x12);
    cfg_write(0x00, 0x59, 1, 0x10);
    cfg_write(DEV_ISA, 0x63, 1, 0x0B);   /* slot 4 INTA is PIRQD */
    pci_set_intx(&d, true);
    portbus_write(&bus, 0x602, 2, 0x0100);
    DeviceList l;
    devlist_init(&l);
    cr_assert(devlist_add(&l, &pci_desc, &pci, "pci"));
    cr_assert(devlist_add(&l, &acpi_pm_desc, &pm, "acpi_pm"));
    StateWriter w;
    state_writer_init(&w);
    devlist_save_all(&l, &w);
    pci_reset(&pci);
    cr_assert_not(pic_line(11));
    StateReader r;
    state_reader_init(&r, w.buf, w.len);
    char err[200];
    cr_assert(devlist_load_all(&l, &r, err, sizeof err), "%s", err);
    cr_assert_eq(portbus_read(&bus, 0xC044, 2), 0x1244u, "BAR mapped again");
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u, "PAM read-only shadow again");
    phys_write(mem, 0xF0000, 1, 0x34);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u);
    cr_assert(pic_line(11), "INTx routed again");
    cr_assert_eq(portbus_read(&bus, 0x602, 2), 0x0100u, "PM enable register");
    state_writer_free(&w);
}
