/* SPDX-License-Identifier: MIT */
/* 8259A programmable interrupt controller pair (see pic.h). */
#include "iodev/pic.h"

#include <stdio.h>
#include <string.h>

/* The highest-priority set bit of mask under the chip's rotation, as a
 * priority rank 0..7 (0 highest), or 8 for none. */
static int priority_of(const Pic8259 *c, uint8_t mask)
{
    if (!mask)
        return 8;
    int rank = 0;
    while (!(mask & (1u << ((rank + c->priority_add) & 7))))
        rank++;
    return rank;
}

/* The input this chip would present now, or -1. */
static int chip_pending(const Pic8259 *c, bool is_master)
{
    int req = priority_of(c, c->irr & ~c->imr);
    if (req == 8)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= ~c->imr;   /* masked levels do not block lower ones */
    if (is_master && c->special_fully_nested)
        in_service &= ~(uint8_t)(1u << 2);   /* the slave may nest its own levels */
    int cur = priority_of(c, in_service);
    if (req < cur)
        return (req + c->priority_add) & 7;
    return -1;
}

static void update_output(PicPair *p)
{
    /* The slave's output is the master's IRQ 2 input (level). */
    bool slave_out = chip_pending(&p->chip[1], false) >= 0;
    Pic8259 *m = &p->chip[0];
    if (slave_out)
        m->irr |= 1u << 2;
    else
        m->irr &= (uint8_t)~(1u << 2);
    bool intr = chip_pending(m, true) >= 0;
    if (intr != p->intr) {
        p->intr = intr;
        if (p->set_intr)
            p->set_intr(p->opaque, intr);
    }
}

static void chip_set_input(Pic8259 *c, int n, bool level)
{
    uint8_t bit = (uint8_t)(1u << n);
    if (c->elcr & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !(c->lines & bit)) {
        c->irr |= bit;   /* rising edge */
    }
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
}

void pic_set_irq(PicPair *p, int irq, bool level)
{
    if (irq < 0 || irq > 15)
        return;
    chip_set_input(&p->chip[irq >> 3], irq & 7, level);
    update_output(p);
}

static void line_set(void *opaque, int line, bool level)
{
    pic_set_irq(opaque, line, level);
}

const IrqLine *pic_irq_line(PicPair *p, int irq)
{
    return &p->lines[irq & 15];
}

/* Acknowledge input n of a chip: into service (or automatic EOI), and an
 * edge request is consumed. */
static void chip_ack(Pic8259 *c, int n)
{
    uint8_t bit = (uint8_t)(1u << n);
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->priority_add = (uint8_t)((n + 1) & 7);
    } else {
        c->isr |= bit;
    }
    if (!(c->elcr & bit))
        c->irr &= (uint8_t)~bit;
}

int pic_ack(void *opaque)
{
    PicPair *p = opaque;
    Pic8259 *m = &p->chip[0], *s = &p->chip[1];
    int irq = chip_pending(m, true);
    int vector;
    if (irq < 0) {
        /* The request went away before INTA: spurious IRQ 7. */
        p->spurious++;
        vector = m->vector_base + 7;
    } else if (irq == 2) {
        int sirq = chip_pending(s, false);
        if (sirq < 0) {
            p->spurious++;
            vector = s->vector_base + 7;
        } else {
            chip_ack(s, sirq);
            vector = s->vector_base + sirq;
        }
        chip_ack(m, 2);
    } else {
        chip_ack(m, irq);
        vector = m->vector_base + irq;
    }
    update_output(p);
    return vector;
}

/* OCW3 poll: acknowledge like INTA and report the level. */
static uint8_t chip_poll(PicPair *p, int index)
{
    Pic8259 *c = &p->chip[index];
    c->poll = false;
    int irq = chip_pending(c, index == 0);
    if (irq < 0)
        return 0;
    chip_ack(c, irq);
    if (index == 0 && irq == 2) {
        /* Polling the master for a cascaded request: the slave answers next. */
    }
    update_output(p);
    return (uint8_t)(0x80 | irq);
}

static void chip_eoi(Pic8259 *c, uint8_t ocw2)
{
    unsigned cmd = ocw2 >> 5;
    switch (cmd) {
    case 0: c->rotate_on_aeoi = false; break;
    case 4: c->rotate_on_aeoi = true; break;
    case 1:   /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int rank = priority_of(c, c->isr);
        if (rank == 8)
            break;
        int n = (rank + c->priority_add) & 7;
        c->isr &= (uint8_t)~(1u << n);
        if (cmd == 5)
            c->priority_add = (uint8_t)((n + 1) & 7);
        break;
    }
    case 3:   /* specific EOI */
        c->isr &= (uint8_t)~(1u << (ocw2 & 7));
        break;
    case 7:   /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << (ocw2 & 7));
        c->priority_add = (uint8_t)((ocw2 + 1) & 7);
        break;
    case 6:   /* set priority: the given level becomes the lowest */
        c->priority_add = (uint8_t)((ocw2 + 1) & 7);
        break;
    default:
        break;
    }
}

static void chip_write(PicPair *p, int index, bool a0, uint8_t v)
{
    Pic8259 *c = &p->chip[index];
    if (!a0) {
        if (v & 0x10) {
            /* ICW1: start initialisation. The mask and service state clear
             * and edge detection restarts. */
            c->init_step = 1;
            c->single = v & 0x02;
            c->need_icw4 = v & 0x01;
            c->imr = 0;
            c->isr = 0;
            c->irr &= c->elcr;
            c->lines = 0;
            c->priority_add = 0;
            c->special_mask = false;
            c->read_isr = false;
            c->poll = false;
            c->auto_eoi = false;
            c->rotate_on_aeoi = false;
            c->special_fully_nested = false;
        } else if (v & 0x08) {
            /* OCW3 */
            if (v & 0x04)
                c->poll = true;
            if (v & 0x02)
                c->read_isr = v & 0x01;
            if (v & 0x40)
                c->special_mask = (v >> 5) & 1;
        } else {
            chip_eoi(c, v);
        }
        update_output(p);
        return;
    }
    switch (c->init_step) {
    case 1:
        c->vector_base = v & 0xF8;
        c->init_step = c->single ? (c->need_icw4 ? 3 : 0) : 2;
        break;
    case 2:
        c->icw3 = v;
        c->init_step = c->need_icw4 ? 3 : 0;
        break;
    case 3:
        c->auto_eoi = v & 0x02;
        c->special_fully_nested = v & 0x10;
        c->init_step = 0;
        break;
    default:
        c->imr = v;   /* OCW1 */
        break;
    }
    update_output(p);
}

static uint8_t chip_read(PicPair *p, int index, bool a0)
{
    Pic8259 *c = &p->chip[index];
    if (c->poll)
        return chip_poll(p, index);
    if (a0)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

uint32_t pic_port_read(void *opaque, uint16_t port, unsigned size)
{
    PicPair *p = opaque;
    (void)size;
    if (port == 0x4D0 || port == 0x4D1)
        return p->chip[port & 1].elcr;
    return chip_read(p, port >= 0xA0, port & 1);
}

void pic_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    PicPair *p = opaque;
    (void)size;
    if (port == 0x4D0 || port == 0x4D1) {
        Pic8259 *c = &p->chip[port & 1];
        c->elcr = (uint8_t)value & c->elcr_mask;
        update_output(p);
        return;
    }
    chip_write(p, port >= 0xA0, port & 1, (uint8_t)value);
}

void pic_reset(PicPair *p)
{
    for (int i = 0; i < 2; i++) {
        Pic8259 *c = &p->chip[i];
        uint8_t elcr = c->elcr, mask = c->elcr_mask;
        memset(c, 0, sizeof *c);
        c->elcr = elcr;
        c->elcr_mask = mask;
    }
    p->chip[0].vector_base = 0x08;   /* the BIOS reprograms both anyway */
    p->chip[1].vector_base = 0x70;
    p->intr = false;
    if (p->set_intr)
        p->set_intr(p->opaque, false);
}

void pic_init(PicPair *p, void (*set_intr)(void *opaque, bool level), void *opaque)
{
    memset(p, 0, sizeof *p);
    p->set_intr = set_intr;
    p->opaque = opaque;
    /* IRQ 0, 1, 2 (master) and 8, 13 (slave) are edge-only on a PIIX. */
    p->chip[0].elcr_mask = 0xF8;
    p->chip[1].elcr_mask = 0xDE;
    for (int i = 0; i < 16; i++)
        p->lines[i] = (IrqLine){ line_set, p, i };
    pic_reset(p);
}

bool pic_register(PicPair *p, PortBus *bus)
{
    static const PortOps ops = { pic_port_read, pic_port_write, false };
    int s = portbus_add_slot(bus, "pic", &ops, p);
    return s >= 0 && portbus_map(bus, s, 0x20, 2) && portbus_map(bus, s, 0xA0, 2) &&
           portbus_map(bus, s, 0x4D0, 2);
}

/* --- machine state --- */

static const StateField pic_fields[] = {
    SF_EACH(PicPair, chip, irr, SF_U8, 2),
    SF_EACH(PicPair, chip, imr, SF_U8, 2),
    SF_EACH(PicPair, chip, isr, SF_U8, 2),
    SF_EACH(PicPair, chip, lines, SF_U8, 2),
    SF_EACH(PicPair, chip, elcr, SF_U8, 2),
    SF_EACH(PicPair, chip, vector_base, SF_U8, 2),
    SF_EACH_MAX(PicPair, chip, priority_add, SF_U8, 2, 7),
    SF_EACH_MAX(PicPair, chip, init_step, SF_U8, 2, 3),
    SF_EACH(PicPair, chip, single, SF_BOOL, 2),
    SF_EACH(PicPair, chip, need_icw4, SF_BOOL, 2),
    SF_EACH(PicPair, chip, auto_eoi, SF_BOOL, 2),
    SF_EACH(PicPair, chip, rotate_on_aeoi, SF_BOOL, 2),
    SF_EACH(PicPair, chip, special_fully_nested, SF_BOOL, 2),
    SF_EACH(PicPair, chip, read_isr, SF_BOOL, 2),
    SF_EACH(PicPair, chip, poll, SF_BOOL, 2),
    SF_EACH(PicPair, chip, special_mask, SF_BOOL, 2),
    SF_EACH(PicPair, chip, icw3, SF_U8, 2),
    SF_FIELD(PicPair, spurious, SF_U64),
};

/* The ELCR bits a PIIX wires as edge-only stay edge-only; INTR is
 * recomputed and driven whatever the CPU had. */
static bool pic_post_load(void *dev, char *err, size_t errlen)
{
    PicPair *p = dev;
    (void)err;
    (void)errlen;
    for (int i = 0; i < 2; i++) {
        p->chip[i].elcr &= p->chip[i].elcr_mask;
        p->chip[i].vector_base &= 0xF8;
    }
    update_output(p);
    if (p->set_intr)
        p->set_intr(p->opaque, p->intr);
    return true;
}

static void pic_reset_dev(void *dev) { pic_reset(dev); }

static void pic_info(void *dev, FILE *out)
{
    const PicPair *p = dev;
    for (int i = 0; i < 2; i++) {
        const Pic8259 *c = &p->chip[i];
        fprintf(out, "%s: irr %02X imr %02X isr %02X elcr %02X vectors %02X-%02X%s%s\n",
                i ? "slave " : "master", c->irr, c->imr, c->isr, c->elcr, c->vector_base,
                c->vector_base + 7, c->auto_eoi ? " auto-EOI" : "",
                c->init_step ? " (initialising)" : "");
    }
    fprintf(out, "INTR %s, spurious %llu\n", p->intr ? "high" : "low",
            (unsigned long long)p->spurious);
}

const DeviceDesc pic_desc = {
    .kind = "pic",
    .version = 1,
    .fields = pic_fields,
    .n_fields = sizeof pic_fields / sizeof pic_fields[0],
    .reset = pic_reset_dev,
    .post_load = pic_post_load,
    .info = pic_info,
};
