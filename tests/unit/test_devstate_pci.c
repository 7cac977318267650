/* SPDX-License-Identifier: MIT */
/* Machine state of the PCI bus and its chipset functions: config spaces
 * with a mapped I/O BAR, PAM shadowing, PIRQ routing with an asserted
 * INTx, and the ACPI PM block with its timer interrupt armed. Loaded into
 * a freshly built bus, the mappings are re-derived (the BAR's ports
 * answer, the shadow RAM answers at 0xF0000, IRQ 11 is high) and the PM
 * timer's SCI comes at the same instruction; a machine with other PCI
 * functions, truncations and hostile values are refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/acpi_pm.h"
#include "iodev/i440fx.h"
#include "iodev/pci.h"
#include "iodev/pic.h"

#define DEV_ISA 0x08
#define DEV_PM  0x0B

static uint64_t icount;
static uint8_t rom[0x20000];

typedef struct Side {
    PortBus bus;
    PhysMem *mem;
    PicPair pic;
    PciBus pci;
    I440fx nb;
    AcpiPm pm;
    Clock clk;
    bool sci;
    PciDevice test;
} Side;

static Side a, b;

static void sci_sink(void *o, int line, bool level)
{
    (void)line;
    ((Side *)o)->sci = level;
}

static uint32_t bar_read(void *o, uint16_t p, unsigned s)
{
    (void)o;
    (void)s;
    return 0x1200u | (p & 0xFF);
}
static void bar_write(void *o, uint16_t p, unsigned s, uint32_t v)
{
    (void)o; (void)p; (void)s; (void)v;
}

static int test_slot_of(const PciDevice *d);

static void test_bar_changed(PciDevice *d, int bar, uint32_t old_addr, uint32_t new_addr)
{
    if (bar == 1)
        pci_io_bar_moved(d, test_slot_of(d), old_addr, new_addr, 32);
}

static int slots[2];
static int test_slot_of(const PciDevice *d) { return d == &a.test ? slots[0] : slots[1]; }

static void side_open(Side *s, bool with_test_device)
{
    char err[128];
    memset(s, 0, sizeof *s);
    clock_init(&s->clk, 1000000000ull, &icount);
    portbus_init(&s->bus);
    s->mem = phys_new(8 << 20, err, sizeof err);
    cr_assert(s->mem);
    cr_assert(phys_map_rom(s->mem, 0xE0000, rom, sizeof rom));
    pic_init(&s->pic, NULL, NULL);
    cr_assert(pic_register(&s->pic, &s->bus));
    pci_init(&s->pci, s->mem, &s->bus, s->pic.lines);
    cr_assert(pci_register(&s->pci));
    cr_assert(i440fx_init(&s->nb, &s->pci, s->mem, NULL, NULL));
    IrqLine sci = { sci_sink, s, 9 };
    cr_assert(acpi_pm_init(&s->pm, &s->pci, &s->clk, &sci, NULL, NULL));
    if (!with_test_device)
        return;
    static const PortOps ops = { bar_read, bar_write, true };
    PciDevice *d = &s->test;
    d->name = "test";
    d->devfn = 4 << 3;
    pci_set_ids(d, 0x1234, 0x5678, 1, 0xFF0000, 0, 0);
    pci_set_bar(d, 1, 32, true, false);
    d->config[0x3D] = 1;
    d->bar_changed = test_bar_changed;
    slots[s == &a ? 0 : 1] = portbus_add_slot(&s->bus, "test", &ops, d);
    cr_assert(pci_add(&s->pci, d));
}

static void side_close(Side *s) { phys_free(s->mem); }

static void *fresh_pci(void)
{
    side_close(&b);
    side_open(&b, true);
    return &b.pci;
}

static void *fresh_pm(void)
{
    side_close(&b);
    side_open(&b, true);
    return &b.pm;
}

static void setup(void)
{
    icount = 0;
    memset(rom, 0xEE, sizeof rom);
    side_open(&a, true);
    side_open(&b, true);
}

static void teardown(void)
{
    side_close(&a);
    side_close(&b);
}

TestSuite(devstate_pci, .init = setup, .fini = teardown);

static void cfg_write(Side *s, uint8_t devfn, uint8_t off, unsigned size, uint32_t v)
{
    portbus_write(&s->bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    portbus_write(&s->bus, (uint16_t)(0xCFC + (off & 3)), size, v);
}

/* The whole chipset as a machine registers it. */
static DeviceList chipset(Side *s)
{
    DeviceList l;
    devlist_init(&l);
    cr_assert(devlist_add(&l, &pic_desc, &s->pic, "pic"));
    cr_assert(devlist_add(&l, &pci_desc, &s->pci, "pci"));
    cr_assert(devlist_add(&l, &i440fx_desc, &s->nb, "i440fx"));
    cr_assert(devlist_add(&l, &acpi_pm_desc, &s->pm, "acpi_pm"));
    return l;
}

static void drive(Side *s)
{
    cfg_write(s, 0x20, 0x14, 4, 0xC040);       /* test BAR 1 */
    cfg_write(s, 0x20, 0x04, 2, 0x0001);       /* I/O decoding on */
    cfg_write(s, 0x00, 0x59, 1, 0x30);         /* PAM F0000 read/write RAM */
    phys_write(s->mem, 0xF0000, 1, 0x12);
    cfg_write(s, 0x00, 0x59, 1, 0x10);         /* read-only shadow */
    cfg_write(s, DEV_ISA, 0x63, 1, 0x0B);      /* slot 4 INTA = PIRQD -> IRQ 11 */
    pci_set_intx(&s->test, true);
    cfg_write(s, DEV_PM, 0x40, 4, 0x600 | 1u);
    cfg_write(s, DEV_PM, 0x80, 1, 0x01);
    portbus_write(&s->bus, 0x602, 2, 0x0001);  /* TMR_EN: the timer is armed */
    portbus_write(&s->bus, 0x4D1, 1, 0x08);    /* IRQ 11 level-triggered */
}

Test(devstate_pci, mappings_routing_and_pm_timer_are_rederived)
{
    drive(&a);
    cr_assert(a.pm.tmr_timer.armed);
    DeviceList la = chipset(&a), lb = chipset(&b);
    StateWriter w;
    state_writer_init(&w);
    devlist_save_all(&la, &w);
    StateReader r;
    state_reader_init(&r, w.buf, w.len);
    char err[200];
    cr_assert(devlist_load_all(&lb, &r, err, sizeof err), "%s", err);
    cr_expect_eq(portbus_read(&b.bus, 0xC044, 2), 0x1244u, "the BAR's ports answer");
    cr_expect_eq(b.test.bar_mapped[1], 0xC040u);
    cr_expect_neq(phys_read(b.mem, 0xF0000, 1), 0xEEu, "PAM: the shadow RAM answers, not the ROM");
    phys_write(b.mem, 0xF0000, 1, 0x34);
    cr_expect_neq(phys_read(b.mem, 0xF0000, 1), 0x34u, "read-only shadow");
    cr_expect(b.pic.chip[1].irr & 0x08, "IRQ 11 requested through PIRQD");
    cr_expect_eq(b.pm.base, 0x600);
    cr_expect_eq(portbus_read(&b.bus, 0x602, 2), 0x0001u, "PM enable register");
    cr_expect_eq(portbus_read(&b.bus, 0x608, 4), portbus_read(&a.bus, 0x608, 4), "PM timer");
    cr_expect_eq(b.pm.tmr_timer.deadline, a.pm.tmr_timer.deadline);
    icount = a.pm.tmr_timer.deadline;
    clock_run_timers(&a.clk);
    clock_run_timers(&b.clk);
    cr_expect(a.sci && b.sci, "the timer's SCI at the same instruction");
    /* Routing follows the loaded registers from here on. */
    cfg_write(&b, DEV_ISA, 0x63, 1, 0x80);
    cr_expect_not(b.pic.chip[1].irr & 0x08, "PIRQD off: IRQ 11 released");
    state_writer_free(&w);
}

Test(devstate_pci, another_set_of_functions_is_refused_by_name)
{
    StateWriter w = dh_save(&pci_desc, &a.pci, "pci");
    side_close(&b);
    side_open(&b, false);
    char err[200];
    cr_assert_not(dh_load(&pci_desc, &b.pci, "pci", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "5 functions") && strstr(err, "4"), "%s", err);
    /* Same count, other IDs at 04.0. */
    side_close(&b);
    side_open(&b, true);
    pci_put16(&b.test, 2, 0x9999);
    cr_assert_not(dh_load(&pci_desc, &b.pci, "pci", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "pci 04.0") && strstr(err, "1234:5678"), "%s", err);
    state_writer_free(&w);
}

Test(devstate_pci, truncations_and_hostile_values_are_refused)
{
    drive(&a);
    StateWriter w = dh_save(&pci_desc, &a.pci, "pci");
    dh_check_truncations(&pci_desc, "pci", &w, fresh_pci);
    /* An INTx level that is not 0/1 in the last function's record. */
    StateWriter bad = w;
    bad.buf = malloc(w.len);
    memcpy(bad.buf, w.buf, w.len);
    bad.buf[w.len - 1] = 2;
    char err[200];
    cr_expect_not(dh_load(&pci_desc, fresh_pci(), "pci", bad.buf, bad.len, err, sizeof err));
    cr_expect(strstr(err, "corrupt"), "%s", err);
    free(bad.buf);
    state_writer_free(&w);
    w = dh_save(&acpi_pm_desc, &a.pm, "acpi_pm");
    dh_check_truncations(&acpi_pm_desc, "acpi_pm", &w, fresh_pm);
    dh_expect_refused(&acpi_pm_desc, "acpi_pm", &w, "powered_off", 0, 5, 1, fresh_pm());
    dh_expect_refused(&acpi_pm_desc, "acpi_pm", &w, "tmr_timer", 0, 3, 1, fresh_pm());
    state_writer_free(&w);
}

Test(devstate_pci, info_printers)
{
    drive(&a);
    char buf[4096] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    pci_desc.info(&a.pci, f);
    i440fx_desc.info(&a.nb, f);
    acpi_pm_desc.info(&a.pm, f);
    fclose(f);
    cr_expect(strstr(buf, "04.0 test") && strstr(buf, "bar1@c040") &&
                  strstr(buf, "PIRQD (asserted)"),
              "%s", buf);
    cr_expect(strstr(buf, "PAM F0000: ro"), "%s", buf);
    cr_expect(strstr(buf, "PM block at 0600"), "%s", buf);
}
