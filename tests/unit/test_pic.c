/* SPDX-License-Identifier: MIT */
/* 8259A pair: initialisation, priorities, EOI, cascade, masking, ELCR
 * level mode, spurious IRQ 7, poll mode, special mask, state round trip. */
#include <criterion/criterion.h>

#include "devstate_harness.h"
#include "iodev/pic.h"

static PicPair pic;
static PortBus bus;
static bool intr;

static void set_intr(void *o, bool level)
{
    (void)o;
    intr = level;
}

static void out(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t in(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }

/* The BIOS programming: master at 0x08, slave at 0x70, cascade on IRQ 2. */
static void setup(void)
{
    portbus_init(&bus);
    pic_init(&pic, set_intr, NULL);
    cr_assert(pic_register(&pic, &bus));
    out(0x20, 0x11); out(0x21, 0x08); out(0x21, 0x04); out(0x21, 0x01);
    out(0xA0, 0x11); out(0xA1, 0x70); out(0xA1, 0x02); out(0xA1, 0x01);
    out(0x21, 0x00);
    out(0xA1, 0x00);
}

TestSuite(pic, .init = setup);

Test(pic, edge_request_priority_and_eoi)
{
    pic_set_irq(&pic, 3, true);
    pic_set_irq(&pic, 1, true);
    cr_assert(intr);
    cr_assert_eq(pic_ack(&pic), 0x09, "IRQ 1 beats IRQ 3");
    cr_assert_not(intr, "IRQ 3 waits while IRQ 1 is in service");
    out(0x20, 0x20);   /* non-specific EOI */
    cr_assert(intr);
    cr_assert_eq(pic_ack(&pic), 0x0B);
    out(0x20, 0x0B);   /* OCW3: read ISR */
    cr_assert_eq(in(0x20), 0x08);
    out(0x20, 0x63);   /* specific EOI for IRQ 3 */
    cr_assert_eq(in(0x20), 0x00);
}

Test(pic, cascade_from_the_slave)
{
    pic_set_irq(&pic, 14, true);
    cr_assert(intr);
    cr_assert_eq(pic_ack(&pic), 0x76);
    out(0xA0, 0x20);
    out(0x20, 0x20);
    cr_assert_not(intr);
}

Test(pic, mask_holds_a_request)
{
    out(0x21, 0x01);
    pic_set_irq(&pic, 0, true);
    cr_assert_not(intr);
    out(0x21, 0x00);
    cr_assert(intr);
}

Test(pic, edge_needs_a_new_rising_edge)
{
    pic_set_irq(&pic, 4, true);
    cr_assert_eq(pic_ack(&pic), 0x0C);
    out(0x20, 0x20);
    cr_assert_not(intr, "the line is still high: no new edge");
    pic_set_irq(&pic, 4, false);
    pic_set_irq(&pic, 4, true);
    cr_assert(intr);
}

Test(pic, level_mode_through_elcr)
{
    out(0x4D1, 0x08);   /* IRQ 11 level-triggered */
    cr_assert_eq(in(0x4D1), 0x08);
    pic_set_irq(&pic, 11, true);
    cr_assert_eq(pic_ack(&pic), 0x73);
    out(0xA0, 0x20);
    out(0x20, 0x20);
    cr_assert(intr, "still asserted: requests again");
    pic_set_irq(&pic, 11, false);
    cr_assert_not(intr);
    out(0x4D0, 0xFF);
    cr_assert_eq(in(0x4D0), 0xF8, "IRQ 0-2 cannot be level-triggered");
}

Test(pic, spurious_irq7_when_the_request_vanishes)
{
    out(0x4D0, 0x20);   /* IRQ 5 level */
    pic_set_irq(&pic, 5, true);
    cr_assert(intr);
    pic_set_irq(&pic, 5, false);
    cr_assert_eq(pic_ack(&pic), 0x0F);
    out(0x20, 0x0B);
    cr_assert_eq(in(0x20), 0x00, "a spurious IRQ 7 is not put in service");
    cr_assert_eq(pic.spurious, 1u);
}

Test(pic, poll_command)
{
    pic_set_irq(&pic, 6, true);
    out(0x20, 0x0C);   /* OCW3 poll */
    cr_assert_eq(in(0x20), 0x86);
    out(0x20, 0x0B);
    cr_assert_eq(in(0x20), 0x40, "polling acknowledges");
}

Test(pic, special_mask_mode_allows_lower_levels)
{
    pic_set_irq(&pic, 2 + 1, true);
    cr_assert_eq(pic_ack(&pic), 0x0B);
    out(0x21, 0x08);   /* mask IRQ 3 (in service) */
    out(0x20, 0x68);   /* OCW3: set special mask */
    pic_set_irq(&pic, 5, true);
    cr_assert(intr, "IRQ 5 passes the masked in-service IRQ 3");
}

Test(pic, save_and_load)
{
    pic_set_irq(&pic, 7, true);
    StateWriter w = dh_save(&pic_desc, &pic, "pic");
    PicPair copy;
    pic_init(&copy, NULL, NULL);
    char err[200];
    cr_assert(dh_load(&pic_desc, &copy, "pic", w.buf, w.len, err, sizeof err), "%s", err);
    cr_assert_eq(copy.chip[0].irr, pic.chip[0].irr);
    cr_assert_eq(copy.chip[1].vector_base, 0x70);
    PicPair bad;
    pic_init(&bad, NULL, NULL);
    cr_assert_not(dh_load(&pic_desc, &bad, "pic", w.buf, w.len - 3, err, sizeof err),
                  "a truncated stream is refused");
    state_writer_free(&w);
}
