/* SPDX-License-Identifier: MIT */
/* 8254 PIT (modes, latch, read-back, BCD, IRQ 0 timing, gate 2 and port
 * 0x61) and MC146818 RTC (time registers, BCD/binary, periodic interrupt,
 * register C clearing, UIP), driven by a virtual clock. */
#include <criterion/criterion.h>

#include "iodev/cmos.h"
#include "iodev/pit.h"

static Clock clk;
static uint64_t icount;
static PortBus bus;
static int irq0_edges, irq8_level;
static bool irq0_level;

static void irq_sink(void *o, int line, bool level)
{
    (void)o;
    if (line == 0) {
        if (level && !irq0_level)
            irq0_edges++;
        irq0_level = level;
    } else {
        irq8_level = level;
    }
}

static const IrqLine line0 = { irq_sink, NULL, 0 }, line8 = { irq_sink, NULL, 8 };
static Pit pit;
static Cmos rtc;

/* ips = 10^9: one instruction is one nanosecond. */
static void setup(void)
{
    icount = 0;
    irq0_edges = 0;
    irq0_level = false;
    irq8_level = 0;
    clock_init(&clk, 1000000000ull, &icount);
    portbus_init(&bus);
    pit_init(&pit, &clk, &line0);
    cr_assert(pit_register(&pit, &bus));
    cmos_init(&rtc, &clk, &line8, 946684800 + 3661);   /* 2000-01-01 01:01:01 */
    cr_assert(cmos_register(&rtc, &bus));
}

TestSuite(timers, .init = setup);

static void out(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t in(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }

static void advance(uint64_t ns)
{
    uint64_t target = icount + ns;
    while (icount < target) {
        uint64_t step = clock_insns_to_next(&clk);
        if (step == UINT64_MAX || icount + step > target)
            step = target - icount;
        icount += step ? step : 1;
        clock_run_timers(&clk);
    }
}

Test(timers, pit_mode2_rate_generator_interrupts)
{
    out(0x43, 0x34);            /* counter 0, LSB+MSB, mode 2 */
    out(0x40, 0xA9);
    out(0x40, 0x04);            /* 1193: about 1 ms */
    advance(10000000);          /* 10 ms */
    cr_assert(irq0_edges >= 9 && irq0_edges <= 11, "%d edges in 10 ms", irq0_edges);
}

Test(timers, pit_latch_and_count_down)
{
    out(0x43, 0x34);
    out(0x40, 0x00);
    out(0x40, 0x00);            /* 65536 */
    advance(1000000);           /* 1 ms: about 1193 ticks */
    out(0x43, 0x00);            /* latch counter 0 */
    advance(1000000);
    uint16_t v = in(0x40);
    v |= (uint16_t)(in(0x40) << 8);
    cr_assert(v > 65536 - 1193 - 3 && v < 65536 - 1193 + 3, "latched %u", v);
}

Test(timers, pit_readback_status_and_mode0_output)
{
    out(0x43, 0xB0);            /* counter 2, LSB+MSB, mode 0 */
    out(0x61, 0x01);            /* gate 2 high */
    out(0x42, 100);
    out(0x42, 0);
    out(0x43, 0xE8);            /* read-back status of counter 2 */
    uint8_t st = in(0x42);
    cr_assert_eq(st & 0x3F, 0x30, "access 3, mode 0, binary");
    cr_assert_eq(in(0x61) & 0x20, 0, "OUT2 low while counting");
    advance(200000);            /* 200 us > 100 ticks */
    cr_assert(in(0x61) & 0x20, "OUT2 high at terminal count");
}

Test(timers, pit_bcd)
{
    out(0x43, 0x31);            /* counter 0, LSB+MSB, mode 0, BCD */
    out(0x40, 0x00);
    out(0x40, 0x10);            /* 1000 decimal */
    out(0x43, 0x00);
    uint16_t v = in(0x40);
    v |= (uint16_t)(in(0x40) << 8);
    cr_assert(v == 0x1000 || v == 0x0999, "BCD count %04X", v);
}

Test(timers, port61_refresh_toggles)
{
    uint8_t a = in(0x61) & 0x10;
    advance(15085);
    cr_assert_neq(in(0x61) & 0x10, a);
}

Test(timers, rtc_time_bcd_and_binary)
{
    out(0x70, 0x04);
    cr_assert_eq(in(0x71), 0x01, "hour 01 in BCD");
    out(0x70, 0x00);
    cr_assert_eq(in(0x71), 0x01);
    advance(2000000000ull);
    out(0x70, 0x00);
    cr_assert_eq(in(0x71), 0x03, "two seconds later");
    out(0x70, 0x0B);
    out(0x71, 0x06);            /* binary, 24 h */
    out(0x70, 0x09);
    cr_assert_eq(in(0x71), 0, "year 2000 -> 0");
    out(0x70, 0x32);
    cr_assert_eq(in(0x71), 20, "century 20 in binary");
}

Test(timers, rtc_periodic_interrupt_and_register_c)
{
    out(0x70, 0x0A);
    out(0x71, 0x26);            /* 1024 Hz */
    out(0x70, 0x0B);
    out(0x71, 0x42);            /* PIE, 24 h */
    advance(1000000);           /* 1 ms: about one period */
    cr_assert(irq8_level);
    out(0x70, 0x0C);
    cr_assert_eq(in(0x71) & 0xC0, 0xC0, "IRQF and PF");
    cr_assert_eq(irq8_level, 0, "reading C clears the request");
    out(0x70, 0x0C);
    cr_assert_eq(in(0x71) & 0x40, 0, "and the flag");
}

Test(timers, rtc_update_in_progress)
{
    advance(999800000);         /* 200 us before the next second */
    out(0x70, 0x0A);
    cr_assert(in(0x71) & 0x80, "UIP in the last 244 us");
    advance(300000);
    cr_assert_eq(in(0x71) & 0x80, 0);
}
