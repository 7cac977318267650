/* SPDX-License-Identifier: MIT */
/* Machine state of the NE2000's DP8390: two frames in the receive ring and
 * a remote read half way through the first survive save and load into a
 * fresh chip, which then gives the same bytes, the same ring walk, the
 * same interrupt line and the same transmitted frame; truncations and a
 * FIFO index out of range are refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/ne2k/dp8390.h"
#include "tests/net/ne2k_driver.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC };

typedef struct Side {
    Dp8390 nic;
    bool line;
    uint8_t sent[2048];
    size_t sent_len;
} Side;

static Side a, b;

static void on_irq(void *o, bool level) { ((Side *)o)->line = level; }

static void on_transmit(void *o, const uint8_t *frame, size_t len)
{
    Side *s = o;
    memcpy(s->sent, frame, len);
    s->sent_len = len;
}

static void side_init(Side *s, const uint8_t *m)
{
    memset(s, 0, sizeof *s);
    dp8390_init(&s->nic, m, false);
    s->nic.set_irq = on_irq;
    s->nic.opaque = s;
    s->nic.transmit = on_transmit;
    s->nic.net_opaque = s;
}

static void *fresh_b(void)
{
    side_init(&b, other_mac);
    return &b.nic;
}

static void setup(void)
{
    side_init(&a, mac);
    side_init(&b, other_mac);
}

TestSuite(devstate_net, .init = setup);

static size_t frame(uint8_t *f, size_t len, uint8_t seed)
{
    memcpy(f, mac, 6);
    memcpy(f + 6, other_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(seed + i * 3);
    return len;
}

Test(devstate_net, ring_and_remote_read_continue_identically)
{
    ne2k_drv_init(&a.nic, mac, 0);
    drv_out(&a.nic, 0x0F, 0x7F);             /* all interrupts on */
    uint8_t f1[300], f2[900];
    cr_assert(dp8390_receive(&a.nic, f1, frame(f1, sizeof f1, 1), false));
    cr_assert(dp8390_receive(&a.nic, f2, frame(f2, sizeof f2, 9), false));
    cr_assert(a.line, "PRX raised");
    /* Half of a remote read of the first frame's header and data. */
    drv_dma_setup(&a.nic, DRV_RX_START << 8, 64, CR_RD_READ);
    for (int i = 0; i < 10; i++)
        dp8390_read(&a.nic, NE2K_DATA_PORT, 2);
    StateWriter w = dh_save(&dp8390_desc, &a.nic, "ne2k0");
    char err[200];
    cr_assert(dh_load(&dp8390_desc, &b.nic, "ne2k0", w.buf, w.len, err, sizeof err), "%s", err);
    cr_expect(b.line, "IRQ driven after load");
    for (int i = 10; i < 32; i++)
        cr_expect_eq(dp8390_read(&a.nic, NE2K_DATA_PORT, 2), dp8390_read(&b.nic, NE2K_DATA_PORT, 2),
                     "word %d", i);
    for (unsigned reg = 0; reg < 16; reg++)
        cr_expect_eq(drv_in(&a.nic, reg), drv_in(&b.nic, reg), "page 0 register %u", reg);
    drv_out(&a.nic, 0x07, ISR_RDC);
    drv_out(&b.nic, 0x07, ISR_RDC);
    uint8_t ga[1600], gb[1600];
    for (int k = 0; k < 2; k++) {
        int na = ne2k_drv_recv(&a.nic, ga, sizeof ga), nb = ne2k_drv_recv(&b.nic, gb, sizeof gb);
        cr_expect_eq(na, nb, "frame %d length", k);
        cr_expect_eq(na, k ? 900 : 300);
        cr_expect_eq(memcmp(ga, gb, (size_t)na), 0, "frame %d data", k);
    }
    cr_expect_eq(ne2k_drv_recv(&b.nic, gb, sizeof gb), DRV_EMPTY, "ring empty");
    cr_expect_eq(a.line, b.line);
    /* The loaded chip sends with the saved station address. */
    uint8_t t[100];
    memcpy(t, other_mac, 6);
    memcpy(t + 6, mac, 6);
    memset(t + 12, 0x77, sizeof t - 12);
    cr_assert(ne2k_drv_send(&a.nic, t, sizeof t));
    cr_assert(ne2k_drv_send(&b.nic, t, sizeof t));
    cr_expect_eq(a.sent_len, b.sent_len);
    cr_expect_eq(memcmp(a.sent, b.sent, a.sent_len), 0);
    drv_page(&b.nic, 1);
    cr_expect_eq(drv_in(&b.nic, 0x01), mac[0], "PAR0 from the snapshot");
    state_writer_free(&w);
}

Test(devstate_net, truncations_and_hostile_values_are_refused)
{
    ne2k_drv_init(&a.nic, mac, 0);
    StateWriter w = dh_save(&dp8390_desc, &a.nic, "ne2k0");
    dh_check_truncations(&dp8390_desc, "ne2k0", &w, fresh_b);
    dh_expect_refused(&dp8390_desc, "ne2k0", &w, "fifo_pos", 0, 8, 1, fresh_b());
    dh_expect_refused(&dp8390_desc, "ne2k0", &w, "send_packet", 0, 2, 1, fresh_b());
    state_writer_free(&w);
}

Test(devstate_net, info_shows_the_ring)
{
    ne2k_drv_init(&a.nic, mac, 0);
    char buf[1024] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    dp8390_desc.info(&a.nic, f);
    fclose(f);
    cr_expect(strstr(buf, "ring 46-80") && strstr(buf, "52:54:00:12:34:56"), "%s", buf);
}
