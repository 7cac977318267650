/* SPDX-License-Identifier: MIT */
/* Hostile state sections, device by device: a section saved from a busy
 * device gets one to four random bytes overwritten (seeded, so a failure
 * reproduces), is loaded into a fresh instance, and when the load is
 * accepted the device is driven hard through its ports, timers and data
 * paths. Whatever the bytes say, nothing may read or write out of bounds:
 * run it under the sanitizer build to make that an assertion. The default
 * is a quick pass (DEVSTATE_FUZZ_ROUNDS rounds per device); set
 * KAIRO_FUZZ_ROUNDS for a long run, KAIRO_FUZZ_ONLY=name for one device,
 * KAIRO_FUZZ_SEED (non-zero) for other inputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devstate_harness.h"
#include "iodev/acpi_pm.h"
#include "iodev/cmos.h"
#include "iodev/dma.h"
#include "iodev/fdc.h"
#include "iodev/fwcfg.h"
#include "iodev/i440fx.h"
#include "iodev/i8042.h"
#include "iodev/ide.h"
#include "iodev/ne2k/dp8390.h"
#include "iodev/pci.h"
#include "iodev/pic.h"
#include "iodev/pit.h"
#include "iodev/uart.h"
#include "iodev/vga.h"

#define DEVSTATE_FUZZ_ROUNDS 150

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static int rounds(void)
{
    const char *s = getenv("KAIRO_FUZZ_ROUNDS");
    int n = s ? atoi(s) : 0;
    return n > 0 ? n : DEVSTATE_FUZZ_ROUNDS;
}

static uint64_t icount;
static Clock clk;
static PhysMem *mem;
static char disk_path[64], iso_path[64], floppy_path[64];

static void make_file(const char *path, size_t bytes)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    for (size_t i = 0; i < bytes; i += 512) {
        uint8_t s[512];
        memset(s, (int)(i >> 9), sizeof s);
        fwrite(s, 1, sizeof s, fp);
    }
    fclose(fp);
}

static void setup(void)
{
    char err[128];
    icount = 0;
    clock_init(&clk, 1000000000ull, &icount);
    mem = phys_new(2 << 20, err, sizeof err);
    cr_assert(mem, "%s", err);
    snprintf(disk_path, sizeof disk_path, "/tmp/kairo-dsz-%d.img", (int)getpid());
    snprintf(iso_path, sizeof iso_path, "/tmp/kairo-dsz-%d.iso", (int)getpid());
    snprintf(floppy_path, sizeof floppy_path, "/tmp/kairo-dsz-%d.fd", (int)getpid());
    make_file(disk_path, 600 * 512);
    make_file(iso_path, 40 * 2048);
    make_file(floppy_path, 1474560);
}

static void teardown(void)
{
    phys_free(mem);
    unlink(disk_path);
    unlink(iso_path);
    unlink(floppy_path);
}

TestSuite(devstate_fuzz, .init = setup, .fini = teardown, .timeout = 3600);

static void ignore_irq(void *o, int line, bool level) { (void)o; (void)line; (void)level; }
static const IrqLine any_line = { ignore_irq, NULL, 0 };

/* Let guest time pass and every armed timer fire. */
static void run_time(uint64_t ns)
{
    icount += ns;
    clock_run_timers(&clk);
}

/* One device under fuzz: build a fresh instance, bring it into a busy
 * state, and drive it after a load. */
typedef struct Target {
    const char *name;
    const DeviceDesc *desc;
    void *(*fresh)(void);
    void (*busy)(void *dev);
    void (*drive)(void *dev);
} Target;

static void fuzz(const Target *t)
{
    void *dev = t->fresh();
    t->busy(dev);
    StateWriter w = dh_save(t->desc, dev, t->name);
    /* Each round starts at the instruction count of the save, as a
     * snapshot restores it with the CPU. */
    uint64_t saved_at = icount;
    /* Leave the section header and the layout hash alone: a change there
     * is refused before any field is read. */
    size_t first = 1 + strlen(t->name) + 4 + 4 + 4;
    cr_assert_gt(w.len, first);
    uint8_t *copy = malloc(w.len);
    int accepted = 0, n = rounds();
    for (int round = 0; round < n; round++) {
        memcpy(copy, w.buf, w.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++) {
            /* Mostly the fields near the front, where the indices are. */
            size_t span = (rnd() & 1) ? w.len - first : (w.len - first < 256 ? w.len - first : 256);
            size_t at = first + rnd() % span;
            if (rnd() % 4 || at + 8 > w.len) {
                copy[at] = (uint8_t)rnd();
                continue;
            }
            /* An extreme 64-bit value: counters and deadlines near the
             * ends of their range are where sums wrap. */
            static const uint64_t extremes[] = { 0, 1, UINT64_MAX, UINT64_MAX - 5,
                                                 1ull << 63, (1ull << 53) + 7, UINT32_MAX };
            uint64_t v = extremes[rnd() % (sizeof extremes / sizeof extremes[0])];
            for (int i = 0; i < 8; i++)
                copy[at + (size_t)i] = (uint8_t)(v >> (8 * i));
        }
        icount = saved_at;
        dev = t->fresh();
        char err[200];
        if (dh_load(t->desc, dev, t->name, copy, w.len, err, sizeof err)) {
            accepted++;
            t->drive(dev);
        } else {
            cr_assert(err[0], "%s round %d: refused without a message", t->name, round);
        }
    }
    cr_log_info("%s: %d of %d corrupted sections accepted and driven", t->name, accepted, n);
    free(copy);
    state_writer_free(&w);
}

/* --- UART --- */

static Uart uart;
static void *uart_fresh(void)
{
    timer_del(&uart.rx_timer);
    uart_init(&uart, &clk, &any_line, NULL);
    return &uart;
}
static void uart_busy(void *d)
{
    uart_port_write(d, 0x3FA, 1, 0x87);
    uart_port_write(d, 0x3FC, 1, 0x18);
    uart_port_write(d, 0x3F9, 1, 0x0F);
    for (int i = 0; i < 9; i++)
        uart_port_write(d, 0x3F8, 1, (uint32_t)i);
}
static void uart_drive(void *d)
{
    for (int i = 0; i < 200; i++) {
        uint16_t port = (uint16_t)(0x3F8 + rnd() % 8);
        if (rnd() & 1)
            uart_port_read(d, port, 1);
        else
            uart_port_write(d, port, 1, rnd());
        if (i % 50 == 0) {
            uint8_t bytes[20] = { 1, 2, 3 };
            uart_receive(d, bytes, rnd() % 20);
            run_time(rnd() % 5000000);
        }
    }
    timer_del(&((Uart *)d)->rx_timer);
}

/* --- IDE --- */

static IdeChannel ide;
static bool ide_open;
static void *ide_fresh(void)
{
    char err[200];
    if (ide_open)
        ide_close(&ide);
    ide_init(&ide, mem, NULL, "ide0");
    cr_assert(ide_attach_disk(&ide, 0, disk_path, false, err, sizeof err), "%s", err);
    cr_assert(ide_attach_cdrom(&ide, 1, iso_path, err, sizeof err), "%s", err);
    ide_open = true;
    return &ide;
}
static void ide_busy(void *d)
{
    ide_cmd_write(d, 0x1F6, 1, 0xE0);
    ide_cmd_write(d, 0x1F2, 1, 4);
    ide_cmd_write(d, 0x1F3, 1, 7);
    ide_cmd_write(d, 0x1F4, 1, 0);
    ide_cmd_write(d, 0x1F5, 1, 0);
    ide_cmd_write(d, 0x1F7, 1, 0x20);
    for (int i = 0; i < 100; i++)
        ide_cmd_read(d, 0x1F0, 2);
}
static void ide_drive(void *d)
{
    static const uint8_t cmds[] = { 0x20, 0x30, 0xC4, 0xC5, 0xC8, 0xCA, 0xA0, 0xA1, 0xEC, 0x91 };
    for (int i = 0; i < 300; i++) {
        unsigned what = rnd() % 16;
        if (what < 6)
            ide_cmd_read(d, 0x1F0, 1u << (rnd() % 3));
        else if (what < 9)
            ide_cmd_write(d, 0x1F0, 1u << (rnd() % 3), rnd());
        else if (what < 11)
            ide_cmd_read(d, (uint16_t)(0x1F1 + rnd() % 7), 1);
        else if (what < 13)
            ide_cmd_write(d, (uint16_t)(0x1F1 + rnd() % 6), 1, rnd());
        else if (what == 13)
            ide_cmd_write(d, 0x1F7, 1, cmds[rnd() % sizeof cmds]);
        else if (what == 14)
            ide_bmdma_write(d, rnd() % 8, 1, rnd());
        else
            ide_ctl_write(d, 0x3F6, 1, rnd() & 0x86);
    }
}

/* --- PIC, PIT, RTC, DMA --- */

static PicPair pic;
static void *pic_fresh(void)
{
    pic_init(&pic, NULL, NULL);
    return &pic;
}
static void pic_busy(void *d)
{
    static const uint8_t icw[] = { 0x11, 0x08, 0x04, 0x01 };
    for (int i = 0; i < 4; i++)
        pic_port_write(d, i ? 0x21 : 0x20, 1, icw[i]);
    pic_set_irq(d, 3, true);
    pic_set_irq(d, 12, true);
}
static void pic_drive(void *d)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };
    for (int i = 0; i < 300; i++) {
        unsigned what = rnd() % 8;
        uint16_t port = ports[rnd() % 6];
        if (what < 3)
            pic_port_read(d, port, 1);
        else if (what < 6)
            pic_port_write(d, port, 1, rnd());
        else if (what == 6)
            pic_set_irq(d, (int)(rnd() % 16), rnd() & 1);
        else
            pic_ack(d);
    }
}

static Pit pit;
static void *pit_fresh(void)
{
    timer_del(&pit.timer);
    pit_init(&pit, &clk, &any_line);
    return &pit;
}
static void pit_busy(void *d)
{
    pit_port_write(d, 0x43, 1, 0x34);
    pit_port_write(d, 0x40, 1, 0x10);
    pit_port_write(d, 0x40, 1, 0x01);
    pit_port_write(d, 0x43, 1, 0xB6);
    pit_port_write(d, 0x42, 1, 0x33);
    pit_port_write(d, 0x43, 1, 0x00);
    pit_port_read(d, 0x40, 1);
}
static void pit_drive(void *d)
{
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
    for (int i = 0; i < 300; i++) {
        uint16_t port = ports[rnd() % 5];
        if (rnd() & 1)
            pit_port_read(d, port, 1);
        else
            pit_port_write(d, port, 1, rnd());
        if (i % 30 == 0)
            run_time(rnd() % 3000000);
    }
    timer_del(&((Pit *)d)->timer);
}

static Cmos rtc;
static void *rtc_fresh(void)
{
    timer_del(&rtc.periodic);
    timer_del(&rtc.update);
    cmos_init(&rtc, &clk, &any_line, 1700000000);
    return &rtc;
}
static void rtc_busy(void *d)
{
    cmos_port_write(d, 0x70, 1, 0x0B);
    cmos_port_write(d, 0x71, 1, 0x72);
    cmos_port_write(d, 0x70, 1, 0x0A);
    cmos_port_write(d, 0x71, 1, 0x26);
}
static void rtc_drive(void *d)
{
    for (int i = 0; i < 300; i++) {
        uint16_t port = (uint16_t)(0x70 + (rnd() & 1));
        if (rnd() & 1)
            cmos_port_read(d, port, 1);
        else
            cmos_port_write(d, port, 1, rnd());
        if (i % 30 == 0)
            run_time(rnd() % 20000000);
    }
    timer_del(&((Cmos *)d)->periodic);
    timer_del(&((Cmos *)d)->update);
}

static Dma dma;
static void *dma_fresh(void)
{
    dma_init(&dma, mem);
    return &dma;
}
static void dma_busy(void *d)
{
    dma_port_write(d, 0x0B, 1, 0x46);
    dma_port_write(d, 0x05, 1, 0xFF);
    dma_port_write(d, 0x04, 1, 0x10);
}
static void dma_drive(void *d)
{
    uint8_t buf[4096];
    for (int i = 0; i < 300; i++) {
        unsigned r = rnd();
        static const uint16_t base[3] = { 0x00, 0x80, 0xC0 }, span[3] = { 0x10, 0x10, 0x20 };
        uint16_t port = (uint16_t)(base[r % 3] + rnd() % span[r % 3]);
        if (rnd() & 1)
            dma_port_read(d, port, 1);
        else
            dma_port_write(d, port, 1, rnd());
        if (i % 20 == 0) {
            bool tc;
            dma_transfer(d, (int)(rnd() % 8), buf, (int)(rnd() % sizeof buf), rnd() & 1, &tc);
        }
    }
}

/* --- 8042 --- */

static I8042 kbc;
static void *kbc_fresh(void)
{
    i8042_set_clock(&kbc, NULL);
    i8042_init(&kbc, &any_line, &any_line, NULL);
    i8042_set_clock(&kbc, &clk);
    return &kbc;
}
static void kbc_busy(void *d)
{
    i8042_port_write(d, 0x64, 1, 0xA8);
    i8042_port_write(d, 0x64, 1, 0xD4);
    i8042_port_write(d, 0x60, 1, 0xF4);
    i8042_key_event(d, 0x1C, true);
    i8042_mouse(d, 3, 4, 0, 1);
}
static void kbc_drive(void *d)
{
    for (int i = 0; i < 300; i++) {
        unsigned what = rnd() % 8;
        uint16_t port = (rnd() & 1) ? 0x64 : 0x60;
        if (what < 3)
            i8042_port_read(d, port, 1);
        else if (what < 6)
            i8042_port_write(d, port, 1, rnd());
        else if (what == 6)
            i8042_key_event(d, (uint16_t)(rnd() % 0x300), rnd() & 1);
        else
            i8042_mouse(d, (int)(rnd() % 200) - 100, (int)(rnd() % 200) - 100,
                        (int)(rnd() % 3) - 1, (uint8_t)rnd());
        if (i % 40 == 0)
            run_time(rnd() % 600000000);
    }
    i8042_set_clock(d, NULL);
}

/* --- FDC --- */

static Fdc fdc;
static bool fdc_open;
static uint8_t fdc_mem[4096];
static int fdc_dma(void *o, void *buf, int len, bool to_memory, bool *tc)
{
    (void)o;
    int n = len < (int)sizeof fdc_mem ? len : (int)sizeof fdc_mem;
    if (to_memory)
        memcpy(fdc_mem, buf, (size_t)n);
    else
        memcpy(buf, fdc_mem, (size_t)n);
    *tc = rnd() % 4 == 0;
    return n;
}
static void *fdc_fresh(void)
{
    static const FdcHooks hooks = { { NULL, NULL, 0 }, fdc_dma, NULL };
    char err[200];
    if (fdc_open)
        fdc_close(&fdc);
    fdc_init(&fdc, &hooks);
    cr_assert(fdc_attach(&fdc, 0, floppy_path, false, err, sizeof err), "%s", err);
    fdc_open = true;
    return &fdc;
}
static void fdc_busy(void *d)
{
    static const uint8_t cmd[] = { 0x03, 0xAF, 0x03, 0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF };
    for (size_t i = 0; i < sizeof cmd; i++)
        fdc_port_write(d, 0x3F5, 1, cmd[i]);
    for (int i = 0; i < 100; i++)
        fdc_port_read(d, 0x3F5, 1);
}
static void fdc_drive(void *d)
{
    for (int i = 0; i < 600; i++) {
        unsigned what = rnd() % 8;
        if (what < 3)
            fdc_port_read(d, 0x3F5, 1);
        else if (what < 6)
            fdc_port_write(d, 0x3F5, 1, rnd());
        else if (what == 6)
            fdc_port_read(d, (uint16_t)(0x3F0 + rnd() % 8), 1);
        else
            fdc_port_write(d, (uint16_t)(0x3F2 + rnd() % 2 * 5), 1, rnd() | 0x04);
    }
}

/* --- VGA --- */

static Vga vga;
static void *vga_fresh(void)
{
    vga_free(&vga);
    cr_assert(vga_init(&vga, mem, &clk, 1));
    return &vga;
}
static void vga_busy(void *d)
{
    vga_ioport_write(d, 0x3C8, 1, 5);
    vga_ioport_write(d, 0x3C9, 1, 40);
    for (uint32_t i = 0; i < 3000; i += 3)
        vga_mem_write(d, 0x18000 + i, (uint8_t)i);
}
static void vga_drive(void *d)
{
    char text[8192];
    for (int i = 0; i < 300; i++) {
        unsigned what = rnd() % 10;
        if (what < 2)
            vga_ioport_read(d, (uint16_t)(0x3B0 + rnd() % 0x30), 1);
        else if (what < 4)
            vga_ioport_write(d, (uint16_t)(0x3B0 + rnd() % 0x30), 1, rnd());
        else if (what == 4)
            vga_ioport_write(d, (uint16_t)(0x1CE + (rnd() & 1)), 2, rnd() % 16);
        else if (what < 7)
            vga_mem_write(d, rnd() % 0x20000, (uint8_t)rnd());
        else
            vga_mem_read(d, rnd() % 0x20000);
    }
    vga_render(d);
    vga_text_dump(d, text, sizeof text);
}

/* --- NE2000 --- */

static Dp8390 nic;
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 1, 2, 3 };
static void *nic_fresh(void)
{
    dp8390_init(&nic, mac, false);
    return &nic;
}
static void nic_busy(void *d)
{
    dp8390_write(d, 0x00, 1, 0x21);
    dp8390_write(d, 0x01, 1, 0x46);
    dp8390_write(d, 0x02, 1, 0x80);
    dp8390_write(d, 0x03, 1, 0x46);
    dp8390_write(d, 0x0E, 1, 0x49);
    dp8390_write(d, 0x00, 1, 0x61);
    dp8390_write(d, 0x07, 1, 0x47);
    dp8390_write(d, 0x00, 1, 0x22);
}
static void nic_drive(void *d)
{
    uint8_t frame[1514];
    memcpy(frame, mac, 6);
    for (int i = 0; i < 300; i++) {
        unsigned what = rnd() % 10;
        if (what < 3)
            dp8390_read(d, rnd() % 0x20, 1u << (rnd() % 2));
        else if (what < 6)
            dp8390_write(d, rnd() % 0x20, 1u << (rnd() % 2), rnd());
        else if (what < 8)
            dp8390_read(d, NE2K_DATA_PORT, 2);
        else
            dp8390_receive(d, frame, 60 + rnd() % 1400, rnd() & 1);
    }
}

/* --- fw_cfg --- */

static FwCfg fw;
static void *fw_fresh(void)
{
    fwcfg_free(&fw);
    fwcfg_init(&fw, mem);
    fwcfg_add_file(&fw, "etc/test", "0123456789", 10);
    return &fw;
}
static void fw_busy(void *d)
{
    fwcfg_port_write(d, 0x510, 2, FW_CFG_FILE_FIRST);
    fwcfg_port_read(d, 0x511, 1);
}
static void fw_drive(void *d)
{
    for (int i = 0; i < 200; i++) {
        if (rnd() % 8 == 0)
            fwcfg_port_write(d, 0x510, 2, rnd() % 0x30);
        fwcfg_port_read(d, 0x511, 1);
    }
}

/* --- PCI bus with the chipset and ACPI PM --- */

static PortBus pci_ports;
static PicPair pci_pic;
static PciBus pci;
static I440fx nb;
static AcpiPm pm;
static PhysMem *pci_mem;
static void *pci_fresh(void)
{
    char err[128];
    if (pm.clock)
        timer_del(&pm.tmr_timer);
    if (pci_mem)
        phys_free(pci_mem);
    pci_mem = phys_new(2 << 20, err, sizeof err);
    cr_assert(pci_mem);
    portbus_init(&pci_ports);
    pic_init(&pci_pic, NULL, NULL);
    pci_init(&pci, pci_mem, &pci_ports, pci_pic.lines);
    cr_assert(pci_register(&pci));
    cr_assert(i440fx_init(&nb, &pci, pci_mem, NULL, NULL));
    cr_assert(acpi_pm_init(&pm, &pci, &clk, &any_line, NULL, NULL));
    return &pci;
}
static void *pm_fresh(void)
{
    pci_fresh();
    return &pm;
}
static void cfg_write(uint8_t devfn, uint8_t off, unsigned size, uint32_t v)
{
    portbus_write(&pci_ports, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    portbus_write(&pci_ports, (uint16_t)(0xCFC + (off & 3)), size, v);
}
static void pci_busy(void *d)
{
    (void)d;
    cfg_write(0x0B, 0x40, 4, 0x601);
    cfg_write(0x0B, 0x80, 1, 0x01);
    cfg_write(0x00, 0x59, 1, 0x30);
    cfg_write(0x08, 0x60, 1, 0x0B);
    portbus_write(&pci_ports, 0x602, 2, 0x0121);
}
static void pci_drive(void *d)
{
    (void)d;
    for (int i = 0; i < 200; i++) {
        portbus_write(&pci_ports, 0xCF8, 4, 0x80000000u | (rnd() % 0x1000) << 2);
        portbus_read(&pci_ports, (uint16_t)(0xCFC + rnd() % 4), 1);
        portbus_read(&pci_ports, (uint16_t)(0x600 + rnd() % 0x40), 1u << (rnd() % 3));
        phys_read(pci_mem, 0xC0000 + rnd() % 0x40000, 1);
        if (i % 40 == 0)
            run_time(rnd() % 3000000000u);
    }
}

static const Target targets[] = {
    { "com1", &uart_desc, uart_fresh, uart_busy, uart_drive },
    { "ide0", &ide_desc, ide_fresh, ide_busy, ide_drive },
    { "pic", &pic_desc, pic_fresh, pic_busy, pic_drive },
    { "pit", &pit_desc, pit_fresh, pit_busy, pit_drive },
    { "rtc", &cmos_desc, rtc_fresh, rtc_busy, rtc_drive },
    { "dma", &dma_desc, dma_fresh, dma_busy, dma_drive },
    { "i8042", &i8042_desc, kbc_fresh, kbc_busy, kbc_drive },
    { "fdc", &fdc_desc, fdc_fresh, fdc_busy, fdc_drive },
    { "vga", &vga_desc, vga_fresh, vga_busy, vga_drive },
    { "ne2k0", &dp8390_desc, nic_fresh, nic_busy, nic_drive },
    { "fwcfg", &fwcfg_desc, fw_fresh, fw_busy, fw_drive },
    { "pci", &pci_desc, pci_fresh, pci_busy, pci_drive },
    { "acpi_pm", &acpi_pm_desc, pm_fresh, pci_busy, pci_drive },
};

Test(devstate_fuzz, corrupted_sections_never_drive_a_device_out_of_bounds)
{
    const char *only = getenv("KAIRO_FUZZ_ONLY");   /* one device, by section name */
    const char *seed = getenv("KAIRO_FUZZ_SEED");
    if (seed && strtoull(seed, NULL, 0))
        rng = strtoull(seed, NULL, 0);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!only || !strcmp(only, targets[i].name))
            fuzz(&targets[i]);
    if (ide_open)
        ide_close(&ide);
    if (fdc_open)
        fdc_close(&fdc);
    vga_free(&vga);
    fwcfg_free(&fw);
    if (pm.clock)
        timer_del(&pm.tmr_timer);
    if (pci_mem)
        phys_free(pci_mem);
}
