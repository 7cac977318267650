/* SPDX-License-Identifier: MIT */
/* 8254 interval timer and port 0x61 (see pit.h).
 *
 * A counter is described by when it started and what it was loaded with;
 * its value and output at any moment are computed from the clock. */
#include "iodev/pit.h"

#include <stdio.h>
#include <string.h>

static uint64_t now_tick(const Pit *p)
{
    uint64_t ns = clock_ns(p->clock);
    return (ns / 1000000000ull) * PIT_HZ + (ns % 1000000000ull) * PIT_HZ / 1000000000ull;
}

static uint64_t tick_to_ns(uint64_t tick)
{
    return (tick / PIT_HZ) * 1000000000ull + ((tick % PIT_HZ) * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

/* The count as a number of ticks (0 means the maximum). */
static uint32_t period(const PitCounter *c)
{
    if (c->reload)
        return c->reload;
    return c->bcd ? 10000 : 65536;
}

static uint16_t to_bcd(uint32_t v)
{
    return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

static uint32_t from_bcd(uint32_t v)
{
    return (v & 15) + ((v >> 4) & 15) * 10 + ((v >> 8) & 15) * 100 + ((v >> 12) & 15) * 1000;
}

/* Ticks elapsed since counting started (0 while not counting). */
static uint64_t elapsed(const Pit *p, const PitCounter *c)
{
    if (!c->counting)
        return 0;
    uint64_t t = now_tick(p);
    return t > c->start_tick ? t - c->start_tick : 0;
}

static uint32_t counter_value(const Pit *p, const PitCounter *c)
{
    if (!c->counting)
        return c->reload & 0xFFFF;
    uint64_t d = elapsed(p, c);
    uint32_t n = period(c);
    uint32_t modulus = c->bcd ? 10000 : 65536;
    switch (c->mode) {
    case 2:
        return n - (uint32_t)(d % n);
    case 3: {
        /* Counts down by two, twice per period. */
        uint64_t half = (d * 2) % n;
        return (n - (uint32_t)half) & ~1u;
    }
    default:   /* 0, 1, 4, 5: count down and wrap */
        return (uint32_t)((n + modulus - (d % modulus)) % modulus);
    }
}

/* The output d ticks after counting started. */
static bool output_after(const PitCounter *c, uint64_t d)
{
    uint32_t n = period(c);
    switch (c->mode) {
    case 0: return d >= n;
    case 1: return d >= n;
    case 2: return (d % n) != n - 1;
    case 3: return (d % n) < (n + 1) / 2;
    case 4:
    case 5: return d != n;
    default: return true;
    }
}

static bool counter_output(const Pit *p, const PitCounter *c)
{
    if (!c->counting)
        return c->mode != 0;   /* mode 0 starts low; the others high */
    return output_after(c, elapsed(p, c));
}

bool pit_output(Pit *p, int n)
{
    return counter_output(p, &p->c[n & 3]);
}

/* The next PIT tick at which counter 0's output changes, or 0 for never. */
static uint64_t next_edge(const Pit *p, const PitCounter *c)
{
    if (!c->counting || !c->gate)
        return 0;
    uint64_t d = elapsed(p, c);
    uint32_t n = period(c);
    uint64_t base = c->start_tick;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? base + n : 0;
    case 2: {
        uint64_t cycle = d / n * n;
        uint64_t low = cycle + n - 1;   /* low for the last tick */
        return base + (d < low ? low : low + 1);
    }
    case 3: {
        uint64_t cycle = d / n * n;
        uint64_t fall = cycle + (n + 1) / 2;
        return base + (d < fall ? fall : cycle + n);
    }
    case 4:
    case 5:
        return d < n ? base + n : (d == n ? base + n + 1 : 0);
    default:
        return 0;
    }
}

/* Bring IRQ 0 up to date and arm the timer for counter 0's next edge. */
static void update_irq0(Pit *p)
{
    PitCounter *c = &p->c[0];
    bool out = counter_output(p, c);
    /* Modes 2, 4 and 5 pulse the output low for one tick. The timer can
     * run later than that tick (the CPU finishes its block first), and the
     * pulse must not be lost: the PIC's edge is the rising one after it. */
    if (c->pulse_tick && c->counting && now_tick(p) > c->pulse_tick && out && c->out_irq) {
        irq_set(&p->irq0, false);
        irq_set(&p->irq0, true);
    }
    c->pulse_tick = 0;
    if (out != c->out_irq) {
        c->out_irq = out;
        irq_set(&p->irq0, out);
    }
    uint64_t edge = next_edge(p, c);
    if (edge) {
        if ((c->mode == 2 || c->mode == 4 || c->mode == 5) && edge > c->start_tick &&
            !output_after(c, edge - c->start_tick))
            c->pulse_tick = edge;
        timer_mod(&p->timer, tick_to_ns(edge));
    } else {
        timer_del(&p->timer);
    }
}

static void pit_timer_cb(void *opaque)
{
    update_irq0(opaque);
}

static void load_count(Pit *p, int n, uint32_t v)
{
    PitCounter *c = &p->c[n];
    c->reload = c->bcd ? from_bcd(v) : v;
    c->null_count = false;
    /* Modes 1 and 5 wait for a gate edge; the others start now (and 2/3
     * reloaded while running start the new count at once here). */
    if (c->mode == 1 || c->mode == 5) {
        if (!c->counting)
            return;
    }
    c->start_tick = now_tick(p) + 1;   /* the count loads on the next clock */
    c->counting = true;
    if (n == 0)
        update_irq0(p);
}

static void write_counter(Pit *p, int n, uint8_t v)
{
    PitCounter *c = &p->c[n];
    switch (c->access) {
    case 1:
        load_count(p, n, v);
        break;
    case 2:
        load_count(p, n, (uint32_t)v << 8);
        break;
    default:
        if (!c->write_high_next) {
            c->write_lsb = v;
            c->write_high_next = true;
            if (c->mode == 0) {
                /* Writing the first byte in mode 0 stops the count. */
                c->counting = false;
                if (n == 0)
                    update_irq0(p);
            }
        } else {
            c->write_high_next = false;
            load_count(p, n, c->write_lsb | (uint32_t)v << 8);
        }
        break;
    }
}

static uint8_t read_counter(Pit *p, int n)
{
    PitCounter *c = &p->c[n];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->count_latched) {
        v = c->latched_count;
    } else {
        uint32_t raw = counter_value(p, c);
        v = c->bcd ? to_bcd(raw % 10000) : (uint16_t)raw;
    }
    uint8_t out;
    switch (c->access) {
    case 1:
        out = (uint8_t)v;
        c->count_latched = false;
        break;
    case 2:
        out = (uint8_t)(v >> 8);
        c->count_latched = false;
        break;
    default:
        out = c->read_high_next ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_high_next)
            c->count_latched = false;
        c->read_high_next = !c->read_high_next;
        break;
    }
    return out;
}

static void latch_count(Pit *p, int n)
{
    PitCounter *c = &p->c[n];
    if (c->count_latched)
        return;   /* a second latch before reading is ignored */
    uint32_t raw = counter_value(p, c);
    c->latched_count = c->bcd ? to_bcd(raw % 10000) : (uint16_t)raw;
    c->count_latched = true;
}

static void latch_status(Pit *p, int n)
{
    PitCounter *c = &p->c[n];
    if (c->status_latched)
        return;
    c->status = (uint8_t)((counter_output(p, c) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                          c->access << 4 | c->mode << 1 | c->bcd);
    c->status_latched = true;
}

static void write_control(Pit *p, uint8_t v)
{
    int n = v >> 6;
    if (n == 3) {
        /* Read-back: bits 1-3 select counters; bit 5 clear latches the
         * count, bit 4 clear latches the status. */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2u << i)))
                continue;
            if (!(v & 0x20))
                latch_count(p, i);
            if (!(v & 0x10))
                latch_status(p, i);
        }
        return;
    }
    PitCounter *c = &p->c[n];
    unsigned access = (v >> 4) & 3;
    if (access == 0) {
        latch_count(p, n);
        return;
    }
    c->access = (uint8_t)access;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;   /* 6 and 7 are aliases of 2 and 3 */
    c->bcd = v & 1;
    c->counting = false;
    c->null_count = true;
    c->write_high_next = c->read_high_next = false;
    c->count_latched = c->status_latched = false;
    if (n == 0)
        update_irq0(p);
}

/* Gate of counter 2 from port 0x61 bit 0. A rising edge restarts modes
 * 1, 2, 3 and 5. */
static void set_gate2(Pit *p, bool gate)
{
    PitCounter *c = &p->c[2];
    if (gate && !c->gate && (c->mode == 1 || c->mode == 5 || c->mode == 2 || c->mode == 3) &&
        !c->null_count) {
        c->start_tick = now_tick(p) + 1;
        c->counting = true;
    }
    c->gate = gate;
}

uint32_t pit_port_read(void *opaque, uint16_t port, unsigned size)
{
    Pit *p = opaque;
    (void)size;
    if (port == 0x61) {
        /* Bit 4 toggles with the DRAM refresh, every 15 us: BIOS delay
         * loops count its edges. */
        bool refresh = (clock_ns(p->clock) / 15085) & 1;
        return (p->port61 & 0x0F) | (refresh ? 0x10 : 0) | (pit_output(p, 2) ? 0x20 : 0);
    }
    if ((port & 3) == 3)
        return 0xFF;   /* the control word is write-only */
    return read_counter(p, port & 3);
}

void pit_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Pit *p = opaque;
    (void)size;
    uint8_t v = (uint8_t)value;
    if (port == 0x61) {
        p->port61 = v & 0x0F;
        set_gate2(p, v & 1);
        return;
    }
    if ((port & 3) == 3)
        write_control(p, v);
    else
        write_counter(p, port & 3, v);
}

void pit_reset(Pit *p)
{
    for (int i = 0; i < 3; i++) {
        memset(&p->c[i], 0, sizeof p->c[i]);
        p->c[i].gate = i != 2;   /* gates 0 and 1 are tied high */
        p->c[i].access = 3;
    }
    p->port61 = 0;
    timer_del(&p->timer);
    irq_lower(&p->irq0);
}

void pit_init(Pit *p, Clock *clock, const IrqLine *irq0)
{
    memset(p, 0, sizeof *p);
    p->clock = clock;
    if (irq0)
        p->irq0 = *irq0;
    timer_init(&p->timer, clock, pit_timer_cb, p);
    pit_reset(p);
}

bool pit_register(Pit *p, PortBus *bus)
{
    static const PortOps ops = { pit_port_read, pit_port_write, false };
    int s = portbus_add_slot(bus, "pit", &ops, p);
    if (s < 0 || !portbus_map(bus, s, 0x40, 4) || !portbus_map(bus, s, 0x61, 1))
        return false;
    portbus_slot_irq(bus, s, 0);
    return true;
}

/* --- machine state --- */

/* Ticks a start or pulse tick may hold: 2^53 ticks are some 240 years of
 * guest time, and every edge computed from them still converts to
 * nanoseconds without wrapping (a wrapped edge would re-arm IRQ 0's timer
 * in the past forever). */
#define TICK_LIMIT ((1ull << 53) - 1)

static const StateField pit_fields[] = {
    SF_EACH_MAX(Pit, c, mode, SF_U8, 3, 5),
    SF_EACH_MAX(Pit, c, access, SF_U8, 3, 3),
    SF_EACH(Pit, c, bcd, SF_BOOL, 3),
    SF_EACH_MAX(Pit, c, reload, SF_U32, 3, 0xFFFF),
    SF_EACH_MAX(Pit, c, start_tick, SF_U64, 3, TICK_LIMIT),
    SF_EACH(Pit, c, counting, SF_BOOL, 3),
    SF_EACH(Pit, c, gate, SF_BOOL, 3),
    SF_EACH(Pit, c, null_count, SF_BOOL, 3),
    SF_EACH(Pit, c, write_high_next, SF_BOOL, 3),
    SF_EACH(Pit, c, read_high_next, SF_BOOL, 3),
    SF_EACH(Pit, c, write_lsb, SF_U8, 3),
    SF_EACH(Pit, c, count_latched, SF_BOOL, 3),
    SF_EACH(Pit, c, latched_count, SF_U16, 3),
    SF_EACH_MAX(Pit, c, latch_reads, SF_U8, 3, 2),
    SF_EACH(Pit, c, status_latched, SF_BOOL, 3),
    SF_EACH(Pit, c, status, SF_U8, 3),
    SF_EACH(Pit, c, out_irq, SF_BOOL, 3),
    SF_EACH_MAX(Pit, c, pulse_tick, SF_U64, 3, TICK_LIMIT),
    SF_FIELD(Pit, timer, SF_TIMER),
    SF_FIELD(Pit, port61, SF_U8),
};

/* The timer came back armed at its saved deadline; only the line needs
 * driving, at the level the counter last gave it. */
static bool pit_post_load(void *dev, char *err, size_t errlen)
{
    Pit *p = dev;
    (void)err;
    (void)errlen;
    p->port61 &= 0x0F;
    irq_set(&p->irq0, p->c[0].out_irq);
    return true;
}

static void pit_reset_dev(void *dev) { pit_reset(dev); }

static void pit_teardown(void *dev)
{
    Pit *p = dev;
    timer_del(&p->timer);
}

static void pit_info(void *dev, FILE *out)
{
    Pit *p = dev;
    for (int i = 0; i < 3; i++) {
        const PitCounter *c = &p->c[i];
        fprintf(out, "counter %d: mode %u%s, reload %u, now %u, out %d, gate %d%s%s\n", i,
                c->mode, c->bcd ? " BCD" : "", period(c), counter_value(p, c),
                counter_output(p, c), c->gate, c->count_latched ? ", latched" : "",
                c->counting ? "" : ", stopped");
    }
    fprintf(out, "port 61: %02X\n", p->port61);
}

const DeviceDesc pit_desc = {
    .kind = "pit",
    .version = 1,
    .fields = pit_fields,
    .n_fields = sizeof pit_fields / sizeof pit_fields[0],
    .reset = pit_reset_dev,
    .post_load = pit_post_load,
    .info = pit_info,
    .teardown = pit_teardown,
};
