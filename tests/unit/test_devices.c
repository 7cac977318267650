/* SPDX-License-Identifier: MIT */
/* 16550A UART, 8042 keyboard controller, 8237 DMA, PCI configuration and
 * the i440FX/PIIX functions, and the device state stream. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/acpi_pm.h"
#include "iodev/devstate.h"
#include "iodev/dma.h"
#include "iodev/i440fx.h"
#include "iodev/i8042.h"
#include "iodev/pci.h"
#include "iodev/pic.h"
#include "iodev/uart.h"

static Clock clk;
static uint64_t icount;
static PortBus bus;
static bool lines[16];

static void irq_sink(void *o, int line, bool level)
{
    (void)o;
    lines[line & 15] = level;
}

static void setup(void)
{
    icount = 0;
    memset(lines, 0, sizeof lines);
    clock_init(&clk, 1000000000ull, &icount);
    portbus_init(&bus);
}

TestSuite(devices, .init = setup);

static void out(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t in(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }

/* --- UART --- */

Test(devices, uart_loopback_fifo_and_interrupts)
{
    static const IrqLine irq4 = { irq_sink, NULL, 4 };
    Uart u;
    uart_init(&u, &clk, &irq4, NULL);
    cr_assert(uart_register(&u, &bus, "com1", 0x3F8, 4));
    out(0x3FB, 0x80);            /* DLAB */
    out(0x3F8, 0x01);            /* 115200 */
    out(0x3F9, 0x00);
    out(0x3FB, 0x03);            /* 8N1 */
    out(0x3FA, 0xC7);            /* FIFO on, clear, trigger 14 */
    out(0x3FC, 0x18);            /* loopback, OUT2 */
    out(0x3F9, 0x01);            /* RX data interrupt */
    for (int i = 0; i < 13; i++)
        out(0x3F8, (uint8_t)('a' + i));
    cr_assert(in(0x3FD) & 0x01, "data ready");
    cr_assert_not(lines[4], "13 bytes: below the trigger level");
    out(0x3F8, 'n');
    cr_assert(lines[4], "14 bytes reach the trigger");
    cr_assert_eq(in(0x3FA) & 0x0F, 0x04, "IIR: received data");
    for (int i = 0; i < 14; i++)
        cr_assert_eq(in(0x3F8), 'a' + i);
    cr_assert_eq(in(0x3FD) & 0x01, 0);
    cr_assert_not(lines[4]);
    /* THRE interrupt: enabling it with the transmitter empty raises it;
     * reading IIR acknowledges it. */
    out(0x3F9, 0x02);
    cr_assert(lines[4]);
    cr_assert_eq(in(0x3FA) & 0x0F, 0x02);
    cr_assert_not(lines[4]);
    /* OUT2 gates the line */
    out(0x3F8, 'x');
    cr_assert(lines[4]);
    out(0x3FC, 0x10);
    cr_assert_not(lines[4], "OUT2 low: no IRQ");
    /* Modem status in loopback mirrors MCR */
    out(0x3FC, 0x13);            /* loop + DTR + RTS */
    cr_assert_eq(in(0x3FE) & 0x30, 0x30, "CTS and DSR follow RTS and DTR");
    out(0x3FF, 0x5A);
    cr_assert_eq(in(0x3FF), 0x5A, "scratch register");
}

Test(devices, uart_overrun_without_fifo)
{
    Uart u;
    uart_init(&u, &clk, NULL, NULL);
    cr_assert(uart_register(&u, &bus, "com1", 0x3F8, 4));
    const uint8_t two[2] = { 1, 2 };
    uart_receive(&u, two, 2);
    cr_assert_eq(in(0x3FD) & 0x03, 0x03, "data ready and overrun");
    cr_assert_eq(in(0x3F8), 2, "the newer byte survives");
    cr_assert_eq(in(0x3FD) & 0x02, 0, "reading LSR cleared OE");
}

/* --- 8042 --- */

static bool a20_state = true;
static int resets;
static void kbc_a20(void *o, bool on) { (void)o; a20_state = on; }
static void kbc_reset(void *o) { (void)o; resets++; }

Test(devices, i8042_controller_keyboard_and_mouse)
{
    static const IrqLine irq1 = { irq_sink, NULL, 1 }, irq12 = { irq_sink, NULL, 12 };
    const KbcHooks hooks = { kbc_a20, kbc_reset, NULL };
    I8042 k;
    i8042_init(&k, &irq1, &irq12, &hooks);
    cr_assert(i8042_register(&k, &bus));
    out(0x64, 0xAA);
    cr_assert(in(0x64) & 0x01);
    cr_assert_eq(in(0x60), 0x55, "self-test passed");
    out(0x60, 0xFF);             /* keyboard reset */
    cr_assert_eq(in(0x60), 0xFA);
    cr_assert_eq(in(0x60), 0xAA);
    i8042_key(&k, 0x1E);         /* 'A' make, set 1 with translation on */
    cr_assert(lines[1]);
    cr_assert_eq(in(0x60), 0x1E);
    cr_assert_not(lines[1]);
    out(0x64, 0x60);             /* command byte: translation off, kbd IRQ */
    out(0x60, 0x01);
    i8042_key(&k, 0x9E);         /* 'A' break -> set 2: F0 1C */
    cr_assert_eq(in(0x60), 0xF0);
    cr_assert_eq(in(0x60), 0x1C);
    /* Mouse: enable aux, the IntelliMouse knock, ID 3, a 4-byte packet */
    out(0x64, 0x60);
    out(0x60, 0x03);             /* both IRQs */
    out(0x64, 0xA8);
    static const uint8_t knock[] = { 0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF2 };
    for (unsigned i = 0; i < sizeof knock; i++) {
        out(0x64, 0xD4);
        out(0x60, knock[i]);
        cr_assert_eq(in(0x60), 0xFA);
    }
    cr_assert_eq(in(0x60), 3, "wheel mouse id");
    out(0x64, 0xD4);
    out(0x60, 0xF4);
    cr_assert_eq(in(0x60), 0xFA);
    i8042_mouse(&k, 5, -3, 1, 1);
    cr_assert(lines[12]);
    cr_assert(in(0x64) & 0x20, "aux data");
    cr_assert_eq(in(0x60), 0x29, "left button, Y negative, bit 3");
    cr_assert_eq(in(0x60), 5);
    cr_assert_eq(in(0x60), 0xFD);
    cr_assert_eq(in(0x60), 0xFF, "a notch up: -1");
    /* A20 and reset through the output port */
    out(0x64, 0xD1);
    out(0x60, 0xDD);             /* A20 off */
    cr_assert_not(a20_state);
    out(0x64, 0xFE);
    cr_assert_eq(resets, 1);
}

/* --- DMA --- */

Test(devices, dma_channel2_transfer_and_terminal_count)
{
    char err[128];
    PhysMem *mem = phys_new(2 << 20, err, sizeof err);
    Dma d;
    dma_init(&d, mem);
    cr_assert(dma_register(&d, &bus));
    out(0x0A, 0x06);             /* mask channel 2 */
    out(0x0C, 0);                /* flip-flop */
    out(0x04, 0x00);
    out(0x04, 0x10);             /* address 0x1000 */
    out(0x81, 0x02);             /* page 2: 0x21000 */
    out(0x05, 0x03);
    out(0x05, 0x00);             /* count 3: four bytes */
    out(0x0B, 0x46);             /* single, write to memory, channel 2 */
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    bool tc;
    cr_assert_eq(dma_transfer(&d, 2, buf, 8, true, &tc), 0, "masked: nothing moves");
    out(0x0A, 0x02);             /* unmask */
    cr_assert_eq(dma_transfer(&d, 2, buf, 8, true, &tc), 4);
    cr_assert(tc);
    cr_assert_eq(phys_read(mem, 0x21000, 4), 0x04030201u);
    cr_assert_eq(phys_read(mem, 0x21004, 1), 0u);
    cr_assert(in(0x08) & 0x04, "TC bit of channel 2");
    out(0x80, 0x42);
    cr_assert_eq(d.post_code, 0x42, "POST codes on port 0x80");
    phys_free(mem);
}

/* --- PCI and the chipset --- */

static uint32_t cfg_read(uint8_t devfn, uint8_t off, unsigned size)
{
    portbus_write(&bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    return portbus_read(&bus, (uint16_t)(0xCFC + (off & 3)), size);
}

static void cfg_write(uint8_t devfn, uint8_t off, unsigned size, uint32_t v)
{
    portbus_write(&bus, 0xCF8, 4, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC));
    portbus_write(&bus, (uint16_t)(0xCFC + (off & 3)), size, v);
}

static bool poweroff;
static void on_poweroff(void *o) { (void)o; poweroff = true; }

Test(devices, pci_config_bars_pam_pirq_and_acpi)
{
    char err[128];
    PhysMem *mem = phys_new(8 << 20, err, sizeof err);
    static uint8_t rom[0x20000];
    memset(rom, 0xEE, sizeof rom);
    cr_assert(phys_map_rom(mem, 0xE0000, rom, sizeof rom));
    PicPair pic;
    pic_init(&pic, NULL, NULL);
    PciBus pci;
    pci_init(&pci, mem, &bus, pic.lines);
    cr_assert(pci_register(&pci));
    I440fx nb;
    cr_assert(i440fx_init(&nb, &pci, mem, NULL, NULL));
    AcpiPm pm;
    static const IrqLine sci = { irq_sink, NULL, 9 };
    cr_assert(acpi_pm_init(&pm, &pci, &clk, &sci, on_poweroff, NULL));

    cr_assert_eq(cfg_read(0x00, 0x00, 4), 0x12378086u, "i440FX");
    cr_assert_eq(cfg_read(0x08, 0x02, 2), 0x7000u, "PIIX3 ISA, word access");
    cr_assert_eq(cfg_read(0x18, 0x00, 4), 0xFFFFFFFFu, "nothing in slot 3");
    /* BAR sizing on the IDE function's BAR 4 */
    cfg_write(0x09, 0x20, 4, 0xFFFFFFFF);
    cr_assert_eq(cfg_read(0x09, 0x20, 4), 0xFFFFFFF1u, "16 bytes of I/O");
    /* PAM: 0xF0000 reads the ROM until shadowed, then RAM */
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu);
    cfg_write(0x00, 0x59, 1, 0x30);   /* F0000: read/write RAM */
    phys_write(mem, 0xF0000, 1, 0x12);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u);
    cfg_write(0x00, 0x59, 1, 0x10);   /* read-only RAM */
    phys_write(mem, 0xF0000, 1, 0x34);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0x12u, "writes ignored");
    cfg_write(0x00, 0x59, 1, 0x00);
    cr_assert_eq(phys_read(mem, 0xF0000, 1), 0xEEu, "back to the ROM");
    /* PIRQ routing: the PM function's INTA (slot 1, pin A -> PIRQ A) */
    pic_port_write(&pic, 0x4D1, 1, 0x0C);   /* IRQ 10 and 11 level-triggered, as PCI wants */
    pci_set_intx(&pm.dev, true);
    cfg_write(0x08, 0x60, 1, 0x0B);   /* PIRQA -> IRQ 11 */
    cr_assert(pic.chip[1].irr & 0x08, "IRQ 11 asserted after routing");
    cfg_write(0x08, 0x60, 1, 0x0A);
    cr_assert_eq(pic.chip[1].irr & 0x08, 0, "moved away from IRQ 11");
    cr_assert(pic.chip[1].irr & 0x04, "to IRQ 10");
    pci_set_intx(&pm.dev, false);
    /* ACPI: map the PM block, read the timer, request S5 */
    cfg_write(0x0B, 0x40, 4, 0xB001);
    cfg_write(0x0B, 0x80, 1, 0x01);
    uint32_t t0 = portbus_read(&bus, 0xB008, 4);
    icount += 1000000;   /* 1 ms */
    uint32_t t1 = portbus_read(&bus, 0xB008, 4);
    cr_assert(t1 - t0 >= 3575 && t1 - t0 <= 3585, "3.58 MHz PM timer: %u", t1 - t0);
    portbus_write(&bus, 0xB004, 2, 0x2000);   /* SLP_EN, SLP_TYP 0 */
    cr_assert(poweroff);
    cr_assert_eq(cfg_read(0x0B, 0x58, 4) & 0x02000000u, 0x02000000u,
                 "no SMM: APMC_EN reads as set");
    phys_free(mem);
}

/* --- the state stream --- */

Test(devices, devstate_round_trip_and_corruption)
{
    StateWriter w;
    state_writer_init(&w);
    state_begin(&w, "dev", 3);
    state_put_u8(&w, 0xAB);
    state_put_u16(&w, 0x1234);
    state_put_u32(&w, 0xDEADBEEF);
    state_put_u64(&w, 0x0102030405060708ull);
    state_end(&w);
    StateReader r;
    uint32_t version;
    state_reader_init(&r, w.buf, w.len);
    cr_assert(state_section(&r, "dev", &version));
    cr_assert_eq(version, 3u);
    cr_assert_eq(state_get_u8(&r), 0xAB);
    cr_assert_eq(state_get_u16(&r), 0x1234);
    cr_assert_eq(state_get_u32(&r), 0xDEADBEEFu);
    cr_assert_eq(state_get_u64(&r), 0x0102030405060708ull);
    cr_assert(state_ok(&r));
    state_get_u8(&r);
    cr_assert_not(state_ok(&r), "reading past the section fails cleanly");
    state_reader_init(&r, w.buf, w.len);
    cr_assert_not(state_section(&r, "other", &version), "a wrong section name is an error");
    cr_assert(strstr(r.error, "expected section"));
    uint8_t bad[64];
    memcpy(bad, w.buf, w.len);
    bad[6 + 3] = 0xFF;   /* payload length far beyond the end */
    state_reader_init(&r, bad, w.len);
    cr_assert_not(state_section(&r, "dev", &version));
    state_writer_free(&w);
}
