/* SPDX-License-Identifier: MIT */
/* Machine state of the 8042 with its PS/2 keyboard and mouse: a key held
 * in typematic repeat, mouse packets queued in IntelliMouse mode, and a
 * controller command waiting for its data byte survive save and load into
 * a fresh controller, which then gives the same bytes, the same IRQ 1/12
 * levels and the same repeats at the same times; truncations and hostile
 * queue indices are refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/i8042.h"

static uint64_t icount;

typedef struct Side {
    Clock clk;
    PortBus bus;
    bool line[16];
    I8042 kbc;
} Side;

static Side a, b;

static void irq_sink(void *o, int n, bool level) { ((Side *)o)->line[n & 15] = level; }

static void side_init(Side *s)
{
    memset(s, 0, sizeof *s);
    clock_init(&s->clk, 1000000000ull, &icount);
    portbus_init(&s->bus);
    IrqLine irq1 = { irq_sink, s, 1 }, irq12 = { irq_sink, s, 12 };
    i8042_init(&s->kbc, &irq1, &irq12, NULL);
    i8042_set_clock(&s->kbc, &s->clk);
    cr_assert(i8042_register(&s->kbc, &s->bus));
}

static void *fresh_b(void)
{
    side_init(&b);
    return &b.kbc;
}

static void setup(void)
{
    icount = 0;
    side_init(&a);
    side_init(&b);
}

TestSuite(devstate_input, .init = setup);

static void out(Side *s, uint16_t p, uint8_t v) { portbus_write(&s->bus, p, 1, v); }
static uint8_t in(Side *s, uint16_t p) { return (uint8_t)portbus_read(&s->bus, p, 1); }

static void drain(Side *s)
{
    while (in(s, 0x64) & 1)
        in(s, 0x60);
}

/* Mouse on with the wheel (knock 200, 100, 80), streaming; command byte
 * with both interrupts; a key held down and already repeating; mouse
 * motion queued; a "write output buffer" command (D2) waiting for data. */
static void drive(Side *s)
{
    out(s, 0x64, 0x60); out(s, 0x60, 0x47);   /* both interrupts, translate */
    out(s, 0x64, 0xA8);
    static const uint8_t knock[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        out(s, 0x64, 0xD4); out(s, 0x60, 0xF3);
        drain(s);
        out(s, 0x64, 0xD4); out(s, 0x60, knock[i]);
        drain(s);
    }
    out(s, 0x64, 0xD4); out(s, 0x60, 0xF4);
    drain(s);
    i8042_key_event(&s->kbc, 0x1C, true);   /* A held */
    icount += 600000000;                     /* past the 500 ms delay */
    clock_run_timers(&s->clk);
    i8042_mouse(&s->kbc, 5, -3, 1, 1);
    i8042_mouse(&s->kbc, -2, 7, 0, 0);
    out(s, 0x64, 0xD2);
}

/* Read everything queued on both, byte by byte, comparing IRQ lines. */
static void expect_same_stream(const char *when)
{
    for (int i = 0; i < 64; i++) {
        uint8_t sa = in(&a, 0x64), sb = in(&b, 0x64);
        cr_expect_eq(sa, sb, "%s: status before byte %d", when, i);
        cr_expect_eq(a.line[1], b.line[1], "%s: IRQ 1 before byte %d", when, i);
        cr_expect_eq(a.line[12], b.line[12], "%s: IRQ 12 before byte %d", when, i);
        if (!(sa & 1))
            return;
        cr_expect_eq(in(&a, 0x60), in(&b, 0x60), "%s: byte %d", when, i);
    }
}

Test(devstate_input, typematic_mouse_and_pending_command_continue_identically)
{
    drive(&a);
    cr_assert(a.kbc.typematic.armed, "repeating");
    StateWriter w = dh_save(&i8042_desc, &a.kbc, "i8042");
    char err[200];
    cr_assert(dh_load(&i8042_desc, &b.kbc, "i8042", w.buf, w.len, err, sizeof err), "%s", err);
    cr_expect_eq(b.line[1], a.line[1], "IRQ 1 driven after load");
    cr_expect_eq(b.line[12], a.line[12], "IRQ 12 driven after load");
    cr_expect_eq(b.kbc.typematic.deadline, a.kbc.typematic.deadline);
    out(&a, 0x60, 0x99); out(&b, 0x60, 0x99);   /* the D2 data byte */
    expect_same_stream("queued");
    for (int step = 0; step < 5; step++) {
        icount += 40000000;
        clock_run_timers(&a.clk);
        clock_run_timers(&b.clk);
        expect_same_stream("repeat");
    }
    i8042_key_event(&a.kbc, 0x1C, false);
    i8042_key_event(&b.kbc, 0x1C, false);
    i8042_mouse(&a.kbc, 0, 0, -1, 4);
    i8042_mouse(&b.kbc, 0, 0, -1, 4);
    expect_same_stream("release and wheel");
    cr_expect_not(b.kbc.typematic.armed);
    state_writer_free(&w);
}

Test(devstate_input, truncations_and_hostile_values_are_refused)
{
    drive(&a);
    StateWriter w = dh_save(&i8042_desc, &a.kbc, "i8042");
    dh_check_truncations(&i8042_desc, "i8042", &w, fresh_b);
    dh_expect_refused(&i8042_desc, "i8042", &w, "kbd.queue.head", 0, KBC_QUEUE, 4, fresh_b());
    dh_expect_refused(&i8042_desc, "i8042", &w, "mouse.queue.count", 0, KBC_QUEUE + 1, 4,
                      fresh_b());
    dh_expect_refused(&i8042_desc, "i8042", &w, "mouse.last_len", 0, 5, 1, fresh_b());
    dh_expect_refused(&i8042_desc, "i8042", &w, "kbd.scancode_set", 0, 0, 1, fresh_b());
    dh_expect_refused(&i8042_desc, "i8042", &w, "kbd.scancode_set", 0, 4, 1, fresh_b());
    /* Pending motion near INT_MIN overflowed the next i8042_mouse (found by
     * the fuzz test under UBSan). */
    dh_expect_refused(&i8042_desc, "i8042", &w, "mouse.dy", 0, 0x80000000u, 4, fresh_b());
    /* Without a clock an armed typematic timer cannot come back. */
    I8042 no_clock;
    i8042_init(&no_clock, NULL, NULL, NULL);
    char err[200];
    cr_expect_not(dh_load(&i8042_desc, &no_clock, "i8042", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "clock"), "%s", err);
    state_writer_free(&w);
}

Test(devstate_input, a_typematic_deadline_far_in_the_past_does_not_catch_up_forever)
{
    drive(&a);
    StateWriter w = dh_save(&i8042_desc, &a.kbc, "i8042");
    /* Armed, deadline 1 ns, loaded into a machine a guest day later. */
    size_t at = dh_field_at(&i8042_desc, "i8042", "typematic", 0);
    w.buf[at] = 1;
    for (int i = 0; i < 8; i++)
        w.buf[at + 1 + i] = i == 0;
    icount = 86400ull * 1000000000ull;
    char err[200];
    cr_assert(dh_load(&i8042_desc, &b.kbc, "i8042", w.buf, w.len, err, sizeof err), "%s", err);
    clock_run_timers(&b.clk);
    cr_expect(b.kbc.typematic.armed, "still repeating");
    /* Default rate 0x2B: (8 + 3) * 2 / 240 s between repeats. */
    cr_expect_eq(b.kbc.typematic.deadline, icount + 91666666,
                 "restarted from now, not caught up one period at a time");
    state_writer_free(&w);
}

Test(devstate_input, info_shows_modes)
{
    drive(&a);
    char buf[1024] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    i8042_desc.info(&a.kbc, f);
    fclose(f);
    cr_expect(strstr(buf, "repeating") && strstr(buf, "id 3"), "%s", buf);
}
