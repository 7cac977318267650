/* SPDX-License-Identifier: MIT */
/* Component descriptors: the field-table codec (round trip, older versions
 * keep new fields at their reset values, newer versions and silent layout
 * changes refused, range checks, truncation) and the registry loops. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/device.h"
#include "machine/clock.h"

typedef struct Toy {
    uint8_t mode;
    uint16_t count[3];
    uint32_t big;
    uint64_t when;
    bool flag;
    uint8_t ram[5];
    struct { uint8_t a; uint32_t b; } slot[2];
    Timer timer;
    uint32_t added_in_v2;
    int resets;
} Toy;

static const StateField toy_fields_v1[] = {
    SF_FIELD_MAX(Toy, mode, SF_U8, 5),
    SF_ARRAY(Toy, count, SF_U16, 3),
    SF_FIELD(Toy, big, SF_U32),
    SF_FIELD(Toy, when, SF_U64),
    SF_FIELD(Toy, flag, SF_BOOL),
    SF_BLOB(Toy, ram),
    SF_EACH(Toy, slot, a, SF_U8, 2),
    SF_EACH(Toy, slot, b, SF_U32, 2),
    SF_FIELD(Toy, timer, SF_TIMER),
};

static StateField toy_fields_v2[sizeof toy_fields_v1 / sizeof toy_fields_v1[0] + 1];

static void toy_reset(void *dev)
{
    Toy *t = dev;
    t->added_in_v2 = 77;
    t->resets++;
}

static const DeviceDesc toy_v1 = { "toy", 1, toy_fields_v1,
                                   sizeof toy_fields_v1 / sizeof toy_fields_v1[0],
                                   toy_reset, NULL, NULL, NULL, NULL, NULL };
static DeviceDesc toy_v2;

static Clock clk;
static uint64_t icount;
static int fired;
static void on_timer(void *o) { (void)o; fired++; }

static void setup(void)
{
    icount = 0;
    fired = 0;
    clock_init(&clk, 1000000000ull, &icount);
    memcpy(toy_fields_v2, toy_fields_v1, sizeof toy_fields_v1);
    StateField extra = SF_FIELD(Toy, added_in_v2, SF_U32);
    extra.since = 2;
    toy_fields_v2[sizeof toy_fields_v1 / sizeof toy_fields_v1[0]] = extra;
    toy_v2 = toy_v1;
    toy_v2.version = 2;
    toy_v2.fields = toy_fields_v2;
    toy_v2.n_fields = sizeof toy_fields_v2 / sizeof toy_fields_v2[0];
}

static void fill(Toy *t)
{
    memset(t, 0, sizeof *t);
    timer_init(&t->timer, &clk, on_timer, t);
    t->mode = 4;
    t->count[0] = 1;
    t->count[2] = 0xBEEF;
    t->big = 0xDEADBEEF;
    t->when = 0x0123456789ABCDEFull;
    t->flag = true;
    memcpy(t->ram, "kairo", 5);
    t->slot[1].a = 9;
    t->slot[1].b = 0x12345678;
    t->added_in_v2 = 5;
    timer_mod(&t->timer, 1000);
}

static StateWriter save_one(const DeviceDesc *desc, Toy *t)
{
    DeviceList l;
    devlist_init(&l);
    cr_assert(devlist_add(&l, desc, t, "toy0"));
    StateWriter w;
    state_writer_init(&w);
    devlist_save_all(&l, &w);
    return w;
}

static bool load_one(const DeviceDesc *desc, Toy *t, const StateWriter *w, char *err)
{
    DeviceList l;
    devlist_init(&l);
    cr_assert(devlist_add(&l, desc, t, "toy0"));
    StateReader r;
    state_reader_init(&r, w->buf, w->len);
    err[0] = 0;
    return devlist_load_all(&l, &r, err, 200);
}

TestSuite(device, .init = setup);

Test(device, round_trip_restores_every_field_and_rearms_the_timer)
{
    Toy a, b;
    fill(&a);
    StateWriter w = save_one(&toy_v2, &a);
    timer_del(&a.timer);
    memset(&b, 0, sizeof b);
    timer_init(&b.timer, &clk, on_timer, &b);
    char err[200];
    cr_assert(load_one(&toy_v2, &b, &w, err), "%s", err);
    cr_expect_eq(b.mode, 4);
    cr_expect_eq(b.count[2], 0xBEEF);
    cr_expect_eq(b.big, 0xDEADBEEF);
    cr_expect_eq(b.when, 0x0123456789ABCDEFull);
    cr_expect(b.flag);
    cr_expect_eq(memcmp(b.ram, "kairo", 5), 0);
    cr_expect_eq(b.slot[1].a, 9);
    cr_expect_eq(b.slot[1].b, 0x12345678);
    cr_expect_eq(b.slot[0].b, 0);
    cr_expect_eq(b.added_in_v2, 5);
    cr_expect(b.timer.armed);
    icount = 1000;
    clock_run_timers(&clk);
    cr_expect_eq(fired, 1);
    state_writer_free(&w);
}

Test(device, an_older_version_leaves_new_fields_at_their_reset_values)
{
    Toy a, b;
    fill(&a);
    StateWriter w = save_one(&toy_v1, &a);
    memset(&b, 0, sizeof b);
    timer_init(&b.timer, &clk, on_timer, &b);
    toy_reset(&b);
    char err[200];
    cr_assert(load_one(&toy_v2, &b, &w, err), "%s", err);
    cr_expect_eq(b.big, 0xDEADBEEF);
    cr_expect_eq(b.added_in_v2, 77);
    state_writer_free(&w);
}

Test(device, a_newer_version_is_refused_by_name)
{
    Toy a, b;
    fill(&a);
    StateWriter w = save_one(&toy_v2, &a);
    memset(&b, 0, sizeof b);
    timer_init(&b.timer, &clk, on_timer, &b);
    char err[200];
    cr_assert_not(load_one(&toy_v1, &b, &w, err));
    cr_expect(strstr(err, "toy0") && strstr(err, "version 2"), "%s", err);
    state_writer_free(&w);
}

Test(device, a_field_changed_without_a_version_bump_is_refused)
{
    Toy a, b;
    fill(&a);
    StateWriter w = save_one(&toy_v1, &a);
    toy_fields_v2[9].since = 1;   /* the v2 field pretends to be in v1 */
    memset(&b, 0, sizeof b);
    timer_init(&b.timer, &clk, on_timer, &b);
    char err[200];
    cr_assert_not(load_one(&toy_v2, &b, &w, err));
    cr_expect(strstr(err, "layout"), "%s", err);
    state_writer_free(&w);
}

Test(device, out_of_range_values_and_truncation_are_refused)
{
    Toy a, b;
    fill(&a);
    StateWriter w = save_one(&toy_v1, &a);
    char err[200];
    /* mode sits right after the section header (1+4 name, 4 version, 4 length, 4 hash). */
    size_t mode_at = 1 + 4 + 4 + 4 + 4;
    cr_assert_eq(w.buf[mode_at], 4);
    w.buf[mode_at] = 6;
    memset(&b, 0, sizeof b);
    timer_init(&b.timer, &clk, on_timer, &b);
    cr_assert_not(load_one(&toy_v1, &b, &w, err));
    cr_expect(strstr(err, "mode"), "%s", err);
    w.buf[mode_at] = 4;
    for (size_t cut = 0; cut < w.len; cut++) {
        StateWriter t = w;
        t.len = cut;
        memset(&b, 0, sizeof b);
        timer_init(&b.timer, &clk, on_timer, &b);
        cr_assert_not(load_one(&toy_v1, &b, &t, err), "cut at %zu loaded", cut);
        cr_expect(err[0], "cut at %zu: no message", cut);
    }
    state_writer_free(&w);
}

Test(device, registry_resets_in_order_and_refuses_duplicate_names)
{
    Toy a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    DeviceList l;
    devlist_init(&l);
    cr_assert(devlist_add(&l, &toy_v1, &a, "a"));
    cr_assert(devlist_add(&l, &toy_v1, &b, "b"));
    cr_assert_not(devlist_add(&l, &toy_v1, &b, "a"));
    devlist_reset_all(&l);
    cr_expect_eq(a.resets, 1);
    cr_expect_eq(b.resets, 1);
    cr_expect_eq(devlist_find(&l, "b")->dev, &b);
    cr_expect_null(devlist_find(&l, "c"));
}
