/* SPDX-License-Identifier: MIT */
/* MC146818 RTC and NVRAM (see cmos.h).
 *
 * The clock registers are computed when read, from the start time and the
 * virtual clock; only enabled interrupts arm timers. Status bits that a
 * guest polls (UIP, and PF/UF in register C) follow the same clock. */
#include "iodev/cmos.h"

#include <stdio.h>
#include <string.h>

#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D

#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM  0x04   /* binary, not BCD */
#define B_24H 0x02

#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10

#define NS 1000000000ull

static uint64_t now_ns(const Cmos *c)
{
    return clock_ns(c->clock);
}

static int64_t now_seconds(const Cmos *c)
{
    return c->base_time + c->set_offset + (int64_t)(now_ns(c) / NS);
}

static uint8_t to_reg(const Cmos *c, unsigned v)
{
    if (c->ram[REG_B] & B_DM)
        return (uint8_t)v;
    return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned from_reg(const Cmos *c, uint8_t v)
{
    if (c->ram[REG_B] & B_DM)
        return v;
    return (v >> 4) * 10u + (v & 15u);
}

static uint8_t hour_to_reg(const Cmos *c, unsigned h)
{
    if (c->ram[REG_B] & B_24H)
        return to_reg(c, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(to_reg(c, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned hour_from_reg(const Cmos *c, uint8_t v)
{
    if (c->ram[REG_B] & B_24H)
        return from_reg(c, v);
    unsigned h = from_reg(c, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Copy the current time into the clock registers. */
static void refresh_time(Cmos *c)
{
    if (c->ram[REG_B] & B_SET)
        return;   /* the guest is setting the clock: keep what it wrote */
    time_t t = (time_t)now_seconds(c);
    struct tm tm;
    gmtime_r(&t, &tm);
    c->ram[0x00] = to_reg(c, (unsigned)tm.tm_sec);
    c->ram[0x02] = to_reg(c, (unsigned)tm.tm_min);
    c->ram[0x04] = hour_to_reg(c, (unsigned)tm.tm_hour);
    c->ram[0x06] = to_reg(c, (unsigned)tm.tm_wday + 1);
    c->ram[0x07] = to_reg(c, (unsigned)tm.tm_mday);
    c->ram[0x08] = to_reg(c, (unsigned)tm.tm_mon + 1);
    c->ram[0x09] = to_reg(c, (unsigned)tm.tm_year % 100);
    c->ram[0x32] = to_reg(c, (unsigned)(tm.tm_year + 1900) / 100);
}

/* The guest finished setting the clock: take the registers as the time. */
static void adopt_written_time(Cmos *c)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_sec = (int)from_reg(c, c->ram[0x00]);
    tm.tm_min = (int)from_reg(c, c->ram[0x02]);
    tm.tm_hour = (int)hour_from_reg(c, c->ram[0x04]);
    tm.tm_mday = (int)from_reg(c, c->ram[0x07]);
    tm.tm_mon = (int)from_reg(c, c->ram[0x08]) - 1;
    unsigned century = from_reg(c, c->ram[0x32]);
    tm.tm_year = (int)((century ? century : 20) * 100 + from_reg(c, c->ram[0x09])) - 1900;
    time_t t = timegm(&tm);
    if (t != (time_t)-1)
        c->set_offset = (int64_t)t - (c->base_time + (int64_t)(now_ns(c) / NS));
}

static void update_irq(Cmos *c)
{
    uint8_t flags = c->ram[REG_C] & (C_PF | C_AF | C_UF);
    bool level = (flags & c->ram[REG_B] & (B_PIE | B_AIE | B_UIE)) != 0;
    if (level)
        c->ram[REG_C] |= C_IRQF;
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set(&c->irq, level);
    }
}

/* Periodic interrupt period from register A's rate select, 0 = off. */
static uint64_t periodic_ns(const Cmos *c)
{
    unsigned rate = c->ram[REG_A] & 0x0F;
    if (!rate)
        return 0;
    if (rate <= 2)
        rate += 7;   /* rates 1 and 2 behave as 8 and 9 with a 32 kHz base */
    return (NS << (rate - 1)) / 32768;
}

static bool alarm_matches(Cmos *c)
{
    static const uint8_t time_reg[3] = { 0x00, 0x02, 0x04 };
    for (int i = 0; i < 3; i++) {
        uint8_t alarm = c->ram[time_reg[i] + 1];
        if ((alarm & 0xC0) == 0xC0)
            continue;   /* don't care */
        if (alarm != c->ram[time_reg[i]])
            return false;
    }
    return true;
}

static void arm_timers(Cmos *c);

static void periodic_cb(void *opaque)
{
    Cmos *c = opaque;
    c->ram[REG_C] |= C_PF;
    update_irq(c);
    uint64_t p = periodic_ns(c);
    if (p && (c->ram[REG_B] & B_PIE)) {
        c->periodic_next_ns += p;
        uint64_t now = now_ns(c);
        if (c->periodic_next_ns <= now)
            c->periodic_next_ns = now + p;
        timer_mod(&c->periodic, c->periodic_next_ns);
    }
}

static void update_cb(void *opaque)
{
    Cmos *c = opaque;
    refresh_time(c);
    c->ram[REG_C] |= C_UF;
    if (alarm_matches(c))
        c->ram[REG_C] |= C_AF;
    update_irq(c);
    arm_timers(c);
}

static void arm_timers(Cmos *c)
{
    uint64_t now = now_ns(c);
    uint64_t p = periodic_ns(c);
    if (p && (c->ram[REG_B] & B_PIE)) {
        if (!c->periodic.armed) {
            c->periodic_next_ns = now + p;
            timer_mod(&c->periodic, c->periodic_next_ns);
        }
    } else {
        timer_del(&c->periodic);
    }
    if (c->ram[REG_B] & (B_UIE | B_AIE))
        timer_mod(&c->update, (now / NS + 1) * NS);
    else
        timer_del(&c->update);
}

/* Register C as read: the timer-set flags, plus what polling software would
 * have seen happen since the last read. */
static uint8_t read_reg_c(Cmos *c)
{
    uint64_t now = now_ns(c);
    uint64_t p = periodic_ns(c);
    if (p && now - c->last_c_read_ns >= p)
        c->ram[REG_C] |= C_PF;
    if (now / NS != c->last_c_read_ns / NS) {
        c->ram[REG_C] |= C_UF;
        refresh_time(c);
        if (alarm_matches(c))
            c->ram[REG_C] |= C_AF;
    }
    uint8_t v = c->ram[REG_C];
    if (v & c->ram[REG_B] & 0x70)
        v |= C_IRQF;
    c->ram[REG_C] = 0;
    c->last_c_read_ns = now;
    update_irq(c);
    return v;
}

uint32_t cmos_port_read(void *opaque, uint16_t port, unsigned size)
{
    Cmos *c = opaque;
    (void)size;
    if (port == 0x70)
        return 0xFF;   /* the index register is write-only */
    uint8_t i = c->index;
    switch (i) {
    case 0x00: case 0x02: case 0x04: case 0x06: case 0x07: case 0x08: case 0x09: case 0x32:
        refresh_time(c);
        return c->ram[i];
    case REG_A: {
        /* Update in progress for the last 244 us before each second. */
        uint64_t frac = now_ns(c) % NS;
        bool uip = frac >= NS - 244000 && (c->ram[REG_A] & 0x70) == 0x20 &&
                   !(c->ram[REG_B] & B_SET);
        return (c->ram[REG_A] & 0x7F) | (uip ? 0x80 : 0);
    }
    case REG_C:
        return read_reg_c(c);
    case REG_D:
        return 0x80;   /* valid RAM and time */
    default:
        return c->ram[i & 0x7F];
    }
}

void cmos_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Cmos *c = opaque;
    (void)size;
    uint8_t v = (uint8_t)value;
    if (port == 0x70) {
        c->index = v & 0x7F;
        c->nmi_disabled = v & 0x80;
        return;
    }
    switch (c->index) {
    case REG_A:
        c->ram[REG_A] = v & 0x7F;   /* UIP is read-only */
        arm_timers(c);
        break;
    case REG_B: {
        uint8_t old = c->ram[REG_B];
        if ((v & B_SET) && !(old & B_SET))
            refresh_time(c);   /* freeze the registers at the current time */
        /* A change of format converts nothing: the registers are rebuilt
         * from the time in the new format. */
        c->ram[REG_B] = v;
        if (!(v & B_SET) && (old & B_SET)) {
            c->ram[REG_B] = old & ~B_SET;   /* decode in the format written with */
            c->ram[REG_B] |= B_SET;
            adopt_written_time(c);
            c->ram[REG_B] = v;
        }
        if (v & B_SET)
            c->ram[REG_B] &= (uint8_t)~B_UIE;   /* SET stops update interrupts */
        update_irq(c);
        arm_timers(c);
        break;
    }
    case REG_C:
    case REG_D:
        break;   /* read-only */
    default:
        c->ram[c->index] = v;
        break;
    }
}

void cmos_set(Cmos *c, uint8_t index, uint8_t value)
{
    c->ram[index & 0x7F] = value;
}

uint8_t cmos_get(const Cmos *c, uint8_t index)
{
    return c->ram[index & 0x7F];
}

void cmos_fix_checksum(Cmos *c)
{
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += c->ram[i];
    c->ram[0x2E] = (uint8_t)(sum >> 8);
    c->ram[0x2F] = (uint8_t)sum;
}

void cmos_reset(Cmos *c)
{
    /* Register B keeps its format across a reset (it is battery-backed);
     * interrupts are disabled by RESET. */
    c->ram[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE);
    c->ram[REG_C] = 0;
    c->irq_level = false;
    irq_lower(&c->irq);
    timer_del(&c->periodic);
    timer_del(&c->update);
}

void cmos_init(Cmos *c, Clock *clock, const IrqLine *irq, int64_t start_time)
{
    memset(c, 0, sizeof *c);
    c->clock = clock;
    if (irq)
        c->irq = *irq;
    c->base_time = start_time;
    c->ram[REG_A] = 0x26;   /* 32.768 kHz divider, 1024 Hz periodic rate */
    c->ram[REG_B] = B_24H;
    c->ram[REG_D] = 0x80;
    timer_init(&c->periodic, clock, periodic_cb, c);
    timer_init(&c->update, clock, update_cb, c);
    refresh_time(c);
}

bool cmos_register(Cmos *c, PortBus *bus)
{
    static const PortOps ops = { cmos_port_read, cmos_port_write, false };
    int s = portbus_add_slot(bus, "cmos", &ops, c);
    if (s < 0 || !portbus_map(bus, s, 0x70, 2))
        return false;
    portbus_slot_irq(bus, s, 8);
    return true;
}

/* --- machine state --- */

static const StateField cmos_fields[] = {
    SF_BLOB(Cmos, ram),
    SF_FIELD_MAX(Cmos, index, SF_U8, 0x7F),
    SF_FIELD(Cmos, nmi_disabled, SF_BOOL),
    SF_FIELD(Cmos, base_time, SF_U64),
    SF_FIELD(Cmos, set_offset, SF_U64),
    SF_FIELD(Cmos, last_c_read_ns, SF_U64),
    SF_FIELD(Cmos, periodic_next_ns, SF_U64),
    SF_FIELD(Cmos, periodic, SF_TIMER),
    SF_FIELD(Cmos, update, SF_TIMER),
    SF_FIELD(Cmos, irq_level, SF_BOOL),
};

/* Both timers came back at their saved deadlines (re-arming them from the
 * registers would move a periodic tick); drive IRQ 8 at its saved level. */
/* Seconds a time base or offset may hold: 2^40 s is some 35,000 years,
 * beyond any date the registers can be set to, and the sums stay far from
 * overflow. */
#define TIME_LIMIT (1ll << 40)

static bool cmos_post_load(void *dev, char *err, size_t errlen)
{
    Cmos *c = dev;
    if (c->base_time < -TIME_LIMIT || c->base_time > TIME_LIMIT ||
        c->set_offset < -TIME_LIMIT || c->set_offset > TIME_LIMIT) {
        snprintf(err, errlen, "cmos: time base %lld / offset %lld s out of range",
                 (long long)c->base_time, (long long)c->set_offset);
        return false;
    }
    irq_set(&c->irq, c->irq_level);
    return true;
}

static void cmos_reset_dev(void *dev) { cmos_reset(dev); }

static void cmos_teardown(void *dev)
{
    Cmos *c = dev;
    timer_del(&c->periodic);
    timer_del(&c->update);
}

static void cmos_info(void *dev, FILE *out)
{
    Cmos *c = dev;
    refresh_time(c);
    fprintf(out, "time %02X:%02X:%02X date %02X-%02X-%02X (%s, %s), offset %+lld s\n",
            c->ram[4], c->ram[2], c->ram[0], c->ram[9], c->ram[8], c->ram[7],
            (c->ram[REG_B] & B_DM) ? "binary" : "BCD", (c->ram[REG_B] & B_24H) ? "24h" : "12h",
            (long long)c->set_offset);
    fprintf(out, "A %02X B %02X C %02X, index %02X%s, IRQ 8 %s\n", c->ram[REG_A], c->ram[REG_B],
            c->ram[REG_C], c->index, c->nmi_disabled ? " (NMI off)" : "",
            c->irq_level ? "high" : "low");
}

const DeviceDesc cmos_desc = {
    .kind = "cmos",
    .version = 1,
    .fields = cmos_fields,
    .n_fields = sizeof cmos_fields / sizeof cmos_fields[0],
    .reset = cmos_reset_dev,
    .post_load = cmos_post_load,
    .info = cmos_info,
    .teardown = cmos_teardown,
};
