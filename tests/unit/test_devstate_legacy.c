/* SPDX-License-Identifier: MIT */
/* Machine state of the PC/AT core chips: the 8259 pair with requests in
 * service and pending, the 8254 with a half-read latch and IRQ 0 running,
 * the RTC with its periodic interrupt, the 8237 with its flip-flop half
 * way through an address, and port 0x92. Each is saved, loaded into a
 * fresh instance and must behave like the original from there; every
 * truncation and a few hostile values are refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/cmos.h"
#include "iodev/dma.h"
#include "iodev/pic.h"
#include "iodev/pit.h"
#include "iodev/port92.h"

static uint64_t icount;

typedef struct Side {
    Clock clk;
    PortBus bus;
    bool intr;
    bool line[16];
    unsigned edges[16];     /* rising edges seen on each line */
    PicPair pic;
    Pit pit;
    Cmos cmos;
    Dma dma;
    Port92 p92;
    PhysMem *mem;
} Side;

static Side a, b;

static void set_intr(void *o, bool level) { ((Side *)o)->intr = level; }

static void line_sink(void *o, int n, bool level)
{
    Side *s = o;
    if (level && !s->line[n & 15])
        s->edges[n & 15]++;
    s->line[n & 15] = level;
}

static void side_init(Side *s)
{
    PhysMem *mem = s->mem;
    memset(s, 0, sizeof *s);
    s->mem = mem;
    if (!s->mem) {
        char err[200];
        s->mem = phys_new(1 << 20, err, sizeof err);
        cr_assert(s->mem, "%s", err);
    }
    clock_init(&s->clk, 1000000000ull, &icount);
    portbus_init(&s->bus);
    pic_init(&s->pic, set_intr, s);
    cr_assert(pic_register(&s->pic, &s->bus));
    IrqLine l0 = { line_sink, s, 0 }, l8 = { line_sink, s, 8 };
    pit_init(&s->pit, &s->clk, &l0);
    cr_assert(pit_register(&s->pit, &s->bus));
    cmos_init(&s->cmos, &s->clk, &l8, 1700000000);
    cr_assert(cmos_register(&s->cmos, &s->bus));
    dma_init(&s->dma, s->mem);
    cr_assert(dma_register(&s->dma, &s->bus));
    port92_init(&s->p92, NULL, NULL);
    cr_assert(port92_register(&s->p92, &s->bus));
}

static void out(Side *s, uint16_t p, uint8_t v) { portbus_write(&s->bus, p, 1, v); }
static uint8_t in(Side *s, uint16_t p) { return (uint8_t)portbus_read(&s->bus, p, 1); }

static void setup(void)
{
    icount = 0;
    side_init(&a);
    side_init(&b);
}

static void teardown(void)
{
    phys_free(a.mem);
    phys_free(b.mem);
}

TestSuite(devstate_legacy, .init = setup, .fini = teardown);

static void *fresh_pic(void) { side_init(&b); return &b.pic; }
static void *fresh_pit(void) { side_init(&b); return &b.pit; }
static void *fresh_cmos(void) { side_init(&b); return &b.cmos; }
static void *fresh_dma(void) { side_init(&b); return &b.dma; }
static void *fresh_p92(void) { side_init(&b); return &b.p92; }

static void load_into_b(const DeviceDesc *desc, void *dev, const char *name, const StateWriter *w)
{
    char err[200];
    cr_assert(dh_load(desc, dev, name, w->buf, w->len, err, sizeof err), "%s: %s", name, err);
}

/* --- 8259 --- */

static void pic_program(Side *s)
{
    out(s, 0x20, 0x11); out(s, 0x21, 0x08); out(s, 0x21, 0x04); out(s, 0x21, 0x01);
    out(s, 0xA0, 0x11); out(s, 0xA1, 0x70); out(s, 0xA1, 0x02); out(s, 0xA1, 0x01);
    out(s, 0x21, 0x20);          /* IRQ 5 masked */
    out(s, 0xA1, 0x00);
}

Test(devstate_legacy, pic_with_requests_in_service_and_pending)
{
    pic_program(&a);
    pic_set_irq(&a.pic, 5, true);
    pic_set_irq(&a.pic, 3, true);
    pic_set_irq(&a.pic, 10, true);
    cr_assert_eq(pic_ack(&a.pic), 0x72, "IRQ 10 (via 2) beats IRQ 3");
    out(&a, 0x20, 0x0B);         /* master reads ISR from here */
    StateWriter w = dh_save(&pic_desc, &a.pic, "pic");
    load_into_b(&pic_desc, &b.pic, "pic", &w);
    cr_expect_eq(b.intr, a.intr, "INTR driven after load");
    for (uint16_t p = 0x20; p <= 0xA1; p += (p == 0x21 ? 0x7F : 1))
        cr_expect_eq(in(&a, p), in(&b, p), "port %02X", p);
    /* The same interrupt sequence from here. */
    out(&a, 0xA0, 0x20); out(&b, 0xA0, 0x20);
    out(&a, 0x20, 0x20); out(&b, 0x20, 0x20);
    cr_expect(a.intr && b.intr);
    cr_expect_eq(pic_ack(&a.pic), pic_ack(&b.pic));
    out(&a, 0x21, 0x00); out(&b, 0x21, 0x00);
    out(&a, 0x20, 0x20); out(&b, 0x20, 0x20);
    cr_expect_eq(pic_ack(&b.pic), 0x0D, "the masked IRQ 5 was still requested");
    cr_expect_eq(pic_ack(&a.pic), 0x0D);
    state_writer_free(&w);
}

Test(devstate_legacy, pic_truncations_and_hostile_values)
{
    pic_program(&a);
    StateWriter w = dh_save(&pic_desc, &a.pic, "pic");
    dh_check_truncations(&pic_desc, "pic", &w, fresh_pic);
    dh_expect_refused(&pic_desc, "pic", &w, "chip.priority_add", 1, 8, 1, fresh_pic());
    dh_expect_refused(&pic_desc, "pic", &w, "chip.init_step", 0, 4, 1, fresh_pic());
    dh_expect_refused(&pic_desc, "pic", &w, "chip.poll", 0, 2, 1, fresh_pic());
    state_writer_free(&w);
}

/* --- 8254 --- */

/* Counter 0: rate generator, 1000 ticks (IRQ 0 running); counter 2:
 * square wave gated through port 0x61; counter 1: a latched count with
 * only its low byte read. */
static void pit_program(Side *s)
{
    out(s, 0x43, 0x34); out(s, 0x40, 0xE8); out(s, 0x40, 0x03);
    out(s, 0x43, 0xB6); out(s, 0x42, 0x34); out(s, 0x42, 0x12);
    out(s, 0x61, 0x03);
    out(s, 0x43, 0x74); out(s, 0x41, 0x10); out(s, 0x41, 0x27);
}

Test(devstate_legacy, pit_latch_and_irq0_continue_identically)
{
    pit_program(&a);
    icount = 2500000;            /* 2.5 ms: a couple of IRQ 0 periods */
    clock_run_timers(&a.clk);
    out(&a, 0x43, 0x40);         /* latch counter 1 */
    (void)in(&a, 0x41);          /* low byte read, high byte pending */
    cr_assert(a.pit.timer.armed);
    StateWriter w = dh_save(&pit_desc, &a.pit, "pit");
    load_into_b(&pit_desc, &b.pit, "pit", &w);
    cr_expect_eq(b.line[0], a.line[0]);
    cr_expect_eq(b.pit.timer.deadline, a.pit.timer.deadline);
    cr_expect_eq(in(&a, 0x41), in(&b, 0x41), "latched high byte");
    icount += 12345;
    for (int p = 0x40; p <= 0x42; p++)
        cr_expect_eq(in(&a, (uint16_t)p), in(&b, (uint16_t)p), "counter %d", p - 0x40);
    cr_expect_eq(in(&a, 0x61) & 0x3F, in(&b, 0x61) & 0x3F, "port 61 with OUT2");
    /* Ten more milliseconds: the same IRQ 0 edges at the same points. */
    unsigned ea = a.edges[0], eb = b.edges[0];
    for (int step = 0; step < 100; step++) {
        icount += 100000;
        clock_run_timers(&a.clk);
        clock_run_timers(&b.clk);
        cr_expect_eq(a.edges[0] - ea, b.edges[0] - eb, "edges by step %d", step);
        cr_expect_eq(a.line[0], b.line[0]);
    }
    cr_expect_geq(b.edges[0] - eb, 9, "IRQ 0 kept running after load");
    state_writer_free(&w);
}

Test(devstate_legacy, pit_truncations_and_hostile_values)
{
    pit_program(&a);
    StateWriter w = dh_save(&pit_desc, &a.pit, "pit");
    dh_check_truncations(&pit_desc, "pit", &w, fresh_pit);
    dh_expect_refused(&pit_desc, "pit", &w, "c.mode", 2, 6, 1, fresh_pit());
    dh_expect_refused(&pit_desc, "pit", &w, "c.reload", 0, 0x10000, 4, fresh_pit());
    dh_expect_refused(&pit_desc, "pit", &w, "c.latch_reads", 1, 3, 1, fresh_pit());
    dh_expect_refused(&pit_desc, "pit", &w, "timer", 0, 2, 1, fresh_pit());
    state_writer_free(&w);
}

/* A start tick so large that the next edge's tick wraps around 2^64 would
 * put IRQ 0's timer in the past again and again. */
Test(devstate_legacy, pit_start_tick_beyond_guest_time_is_refused, .timeout = 10)
{
    pit_program(&a);
    StateWriter w = dh_save(&pit_desc, &a.pit, "pit");
    dh_patch(&w, &pit_desc, "pit", "c.start_tick", 0, UINT64_MAX - 5, 8);
    char err[200];
    if (dh_load(&pit_desc, &b.pit, "pit", w.buf, w.len, err, sizeof err)) {
        icount += 1000000;
        clock_run_timers(&b.clk);   /* must return */
        cr_expect_fail("a start tick beyond 2^53 was accepted");
    }
    state_writer_free(&w);
}

/* --- RTC / NVRAM --- */

Test(devstate_legacy, rtc_periodic_interrupt_and_nvram)
{
    out(&a, 0x70, 0x0A); out(&a, 0x71, 0x2A);   /* 64 Hz periodic */
    out(&a, 0x70, 0x0B); out(&a, 0x71, 0x42);   /* PIE, 24h, BCD */
    out(&a, 0x70, 0x40); out(&a, 0x71, 0x5A);   /* an NVRAM byte */
    icount = 40000000;           /* 40 ms: two periodic ticks */
    clock_run_timers(&a.clk);
    cr_assert(a.line[8], "periodic interrupt pending");
    out(&a, 0x70, 0x0C);         /* index left at register C */
    StateWriter w = dh_save(&cmos_desc, &a.cmos, "rtc");
    load_into_b(&cmos_desc, &b.cmos, "rtc", &w);
    cr_expect(b.line[8], "IRQ 8 driven after load");
    cr_expect(b.cmos.periodic.armed);
    cr_expect_eq(in(&a, 0x71), in(&b, 0x71), "register C, read once");
    cr_expect_not(b.line[8], "reading C lowers IRQ 8");
    out(&b, 0x70, 0x40);
    cr_expect_eq(in(&b, 0x71), 0x5A);
    static const uint8_t time_regs[] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
    for (size_t i = 0; i < sizeof time_regs; i++) {
        out(&a, 0x70, time_regs[i]);
        out(&b, 0x70, time_regs[i]);
        cr_expect_eq(in(&a, 0x71), in(&b, 0x71), "time register %02X", time_regs[i]);
    }
    unsigned ea = a.edges[8], eb = b.edges[8];
    for (int step = 0; step < 20; step++) {
        icount += 5000000;
        clock_run_timers(&a.clk);
        clock_run_timers(&b.clk);
        cr_expect_eq(a.line[8], b.line[8], "IRQ 8 at step %d", step);
        out(&a, 0x70, 0x0C);
        out(&b, 0x70, 0x0C);
        cr_expect_eq(in(&a, 0x71), in(&b, 0x71), "register C at step %d", step);
    }
    cr_expect_gt(b.edges[8] - eb, 3, "the periodic interrupt keeps running");
    cr_expect_eq(a.edges[8] - ea, b.edges[8] - eb);
    state_writer_free(&w);
}

Test(devstate_legacy, rtc_truncations_and_hostile_values)
{
    StateWriter w = dh_save(&cmos_desc, &a.cmos, "rtc");
    dh_check_truncations(&cmos_desc, "rtc", &w, fresh_cmos);
    dh_expect_refused(&cmos_desc, "rtc", &w, "index", 0, 0x80, 1, fresh_cmos());
    dh_expect_refused(&cmos_desc, "rtc", &w, "update", 0, 9, 1, fresh_cmos());
    /* A time base whose sums would overflow (found by test_devstate_fuzz). */
    dh_expect_refused(&cmos_desc, "rtc", &w, "base_time", 0, 0xA400000000000000ull, 8,
                      fresh_cmos());
    dh_expect_refused(&cmos_desc, "rtc", &w, "set_offset", 0, 1ull << 41, 8, fresh_cmos());
    state_writer_free(&w);
}

/* --- 8237 --- */

Test(devstate_legacy, dma_flipflop_mid_address)
{
    for (int i = 0; i < 64; i++) {
        phys_write(a.mem, 0x12000 + (uint32_t)i, 1, (uint64_t)(i * 3));
        phys_write(b.mem, 0x12000 + (uint32_t)i, 1, (uint64_t)(i * 3));
    }
    out(&a, 0x0A, 0x06);         /* mask channel 2 */
    out(&a, 0x0C, 0);            /* clear flip-flop */
    out(&a, 0x0B, 0x4A);         /* single, read from memory, channel 2 */
    out(&a, 0x81, 0x01);         /* page 1 */
    out(&a, 0x05, 31);           /* count 32 */
    out(&a, 0x05, 0);
    out(&a, 0x04, 0x00);         /* address low byte only */
    StateWriter w = dh_save(&dma_desc, &a.dma, "dma");
    load_into_b(&dma_desc, &b.dma, "dma", &w);
    out(&a, 0x04, 0x20); out(&b, 0x04, 0x20);   /* the high byte: 0x12000 */
    out(&a, 0x0A, 0x02); out(&b, 0x0A, 0x02);   /* unmask */
    uint8_t ba[64], bb[64];
    bool tca = false, tcb = false;
    int na = dma_transfer(&a.dma, 2, ba, 64, false, &tca);
    int nb = dma_transfer(&b.dma, 2, bb, 64, false, &tcb);
    cr_expect_eq(na, 32);
    cr_expect_eq(na, nb);
    cr_expect_eq(tca, tcb);
    cr_expect_eq(memcmp(ba, bb, 32), 0);
    cr_expect_eq(bb[31], 93);
    cr_expect_eq(in(&a, 0x08), in(&b, 0x08), "status with TC");
    state_writer_free(&w);
}

Test(devstate_legacy, dma_truncations_and_hostile_values)
{
    StateWriter w = dh_save(&dma_desc, &a.dma, "dma");
    dh_check_truncations(&dma_desc, "dma", &w, fresh_dma);
    dh_expect_refused(&dma_desc, "dma", &w, "ctrl.mask", 1, 0x10, 1, fresh_dma());
    dh_expect_refused(&dma_desc, "dma", &w, "ctrl.flipflop", 0, 0x80, 1, fresh_dma());
    state_writer_free(&w);
}

/* --- port 0x92 --- */

Test(devstate_legacy, port92_latch)
{
    out(&a, 0x92, 0x02);
    StateWriter w = dh_save(&port92_desc, &a.p92, "port92");
    load_into_b(&port92_desc, &b.p92, "port92", &w);
    cr_expect_eq(in(&b, 0x92), 0x02);
    dh_check_truncations(&port92_desc, "port92", &w, fresh_p92);
    dh_expect_refused(&port92_desc, "port92", &w, "value", 0, 0xFF, 1, fresh_p92());
    state_writer_free(&w);
}

/* --- info --- */

Test(devstate_legacy, info_printers)
{
    pic_program(&a);
    pit_program(&a);
    char buf[2048] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    pic_desc.info(&a.pic, f);
    pit_desc.info(&a.pit, f);
    cmos_desc.info(&a.cmos, f);
    dma_desc.info(&a.dma, f);
    port92_desc.info(&a.p92, f);
    fclose(f);
    cr_expect(strstr(buf, "imr 20") && strstr(buf, "vectors 70-77"), "%s", buf);
    cr_expect(strstr(buf, "counter 0: mode 2, reload 1000"), "%s", buf);
    cr_expect(strstr(buf, "24h"), "%s", buf);
    cr_expect(strstr(buf, "channel 4"), "%s", buf);
}
