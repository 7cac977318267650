/* SPDX-License-Identifier: MIT */
/* Machine state of the 16550A UART: a mid-reception FIFO, a pending THRE
 * interrupt and an armed character timeout survive save and load into a
 * fresh instance, which then answers every port read and drives its IRQ
 * line exactly like the original; truncated and hostile sections are
 * refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/uart.h"

static uint64_t icount;

typedef struct Side {
    Clock clk;
    PortBus bus;
    bool line;
    Uart u;
} Side;

static Side a, b;

static void irq_sink(void *o, int line, bool level)
{
    (void)line;
    ((Side *)o)->line = level;
}

static void side_init(Side *s)
{
    memset(s, 0, sizeof *s);
    clock_init(&s->clk, 1000000000ull, &icount);
    portbus_init(&s->bus);
    IrqLine irq = { irq_sink, s, 4 };
    uart_init(&s->u, &s->clk, &irq, NULL);
    cr_assert(uart_register(&s->u, &s->bus, "com1", 0x3F8, 4));
}

static void *fresh_uart(void)
{
    side_init(&b);
    return &b.u;
}

static void out(Side *s, uint16_t p, uint8_t v) { portbus_write(&s->bus, p, 1, v); }
static uint8_t in(Side *s, uint16_t p) { return (uint8_t)portbus_read(&s->bus, p, 1); }

static void setup(void)
{
    icount = 0;
    side_init(&a);
}

TestSuite(devstate_uart, .init = setup);

/* 9600 baud, FIFO with trigger 8, loopback with OUT2, RX and THRE
 * interrupts on, five bytes in the receive FIFO and one read back. */
static void drive_mid_reception(Side *s)
{
    out(s, 0x3FB, 0x80);
    out(s, 0x3F8, 12);
    out(s, 0x3F9, 0);
    out(s, 0x3FB, 0x1B);         /* 8E1 */
    out(s, 0x3FA, 0x87);         /* FIFO on, trigger 8 */
    out(s, 0x3FC, 0x18);
    out(s, 0x3FF, 0xA5);
    out(s, 0x3F9, 0x03);         /* RDI + THRI */
    for (int i = 0; i < 5; i++)
        out(s, 0x3F8, (uint8_t)('k' + i));
    cr_assert_eq(in(s, 0x3F8), 'k');
}

Test(devstate_uart, a_loaded_uart_behaves_like_the_original)
{
    drive_mid_reception(&a);
    cr_assert(a.line, "THRE pending: line high");
    cr_assert(a.u.rx_timer.armed, "character timeout armed");
    StateWriter w = dh_save(&uart_desc, &a.u, "com1");
    fresh_uart();
    char err[200];
    cr_assert(dh_load(&uart_desc, &b.u, "com1", w.buf, w.len, err, sizeof err), "%s", err);
    cr_expect(b.line, "the IRQ line is driven after load");
    cr_expect(b.u.rx_timer.armed);
    cr_expect_eq(b.u.rx_timer.deadline, a.u.rx_timer.deadline);
    /* Same reads from here: registers, the FIFO, the interrupt sequence. */
    static const uint16_t ports[] = { 0x3FB, 0x3FC, 0x3FF, 0x3F9, 0x3FD, 0x3FA, 0x3FA, 0x3F8,
                                      0x3FD, 0x3FE };
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        uint8_t va = in(&a, ports[i]), vb = in(&b, ports[i]);
        cr_expect_eq(va, vb, "port %03X: %02X vs %02X", ports[i], va, vb);
        cr_expect_eq(a.line, b.line, "line after reading %03X", ports[i]);
    }
    /* The character timeout fires at the same instruction in both. */
    icount = a.u.rx_timer.deadline;
    clock_run_timers(&a.clk);
    clock_run_timers(&b.clk);
    cr_expect(a.line && b.line, "timeout interrupt in both");
    cr_expect_eq(in(&a, 0x3FA), in(&b, 0x3FA));
    for (int i = 0; i < 4; i++)
        cr_expect_eq(in(&a, 0x3F8), in(&b, 0x3F8), "byte %d", i);
    cr_expect_eq(in(&b, 0x3FD) & 1, 0, "FIFO drained");
    /* DLAB and the divisor came across. */
    out(&b, 0x3FB, 0x80);
    cr_expect_eq(in(&b, 0x3F8), 12);
    state_writer_free(&w);
}

Test(devstate_uart, truncations_and_hostile_values_are_refused)
{
    drive_mid_reception(&a);
    StateWriter w = dh_save(&uart_desc, &a.u, "com1");
    dh_check_truncations(&uart_desc, "com1", &w, fresh_uart);
    dh_expect_refused(&uart_desc, "com1", &w, "rx.head", 0, UART_FIFO, 4, fresh_uart());
    dh_expect_refused(&uart_desc, "com1", &w, "rx.count", 0, UART_FIFO + 1, 4, fresh_uart());
    dh_expect_refused(&uart_desc, "com1", &w, "tx.head", 0, 0xFFFFFFFF, 4, fresh_uart());
    dh_expect_refused(&uart_desc, "com1", &w, "thr_interrupt", 0, 2, 1, fresh_uart());
    dh_expect_refused(&uart_desc, "com1", &w, "rx_timer", 0, 7, 1, fresh_uart());
    state_writer_free(&w);
}

Test(devstate_uart, info_and_reset)
{
    drive_mid_reception(&a);
    char buf[512] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    uart_desc.info(&a.u, f);
    fclose(f);
    cr_expect(strstr(buf, "9600 baud") && strstr(buf, "rx 4/16"), "%s", buf);
    uart_desc.reset(&a.u);
    cr_expect_eq(in(&a, 0x3FD), 0x60, "empty and idle after reset");
}
