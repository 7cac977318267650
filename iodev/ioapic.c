/* SPDX-License-Identifier: MIT */
/* 82093AA I/O APIC (see ioapic.h). */
#include "iodev/ioapic.h"

#include <string.h>

#include "debug/log.h"

#define IOAPIC_VERSION 0x11u
/* Writable bits of an entry: vector, delivery and destination mode,
 * polarity, trigger, mask, destination. */
#define RTE_WRITABLE (0xFF00000000000000ull | 0x1AFFFull)

static void ioapic_log_once(const char *what, unsigned detail)
{
    log_event(LOG_UNIMP, "ioapic", what, detail, NULL);
}

static ApicMsg entry_msg(uint64_t rte)
{
    ApicMsg m = {
        .vector = (uint8_t)rte,
        .mode = (uint8_t)((rte >> 8) & 7),
        .dest = (uint8_t)(rte >> 56),
        .logical = (rte >> 11) & 1,
        .level = (rte & IOAPIC_RTE_LEVEL) != 0,
        .assert = true,
        .source = -1,
    };
    return m;
}

/* Send every pending, unmasked request the entries allow. */
static void service(IoApic *io)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint32_t bit = 1u << pin;
        uint64_t rte = io->rte[pin];
        if (!(io->irr & bit) || (rte & IOAPIC_RTE_MASKED))
            continue;
        if (rte & IOAPIC_RTE_LEVEL) {
            if (rte & IOAPIC_RTE_REMOTE_IRR)
                continue;   /* the last one is not EOI'd yet */
            io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
        } else {
            io->irr &= ~bit;
        }
        ApicMsg m = entry_msg(rte);
        /* SMI and ExtINT are the local APIC's business (apic_accept). */
        if (m.mode == APIC_DM_INIT || m.mode == APIC_DM_SIPI || m.mode == 3)
            ioapic_log_once("redirection entry delivery mode", m.mode);
        if (io->deliver)
            io->deliver(io->opaque, &m);
    }
}

void ioapic_set_pin(IoApic *io, int pin, bool level)
{
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    bool was = (io->pin_level & bit) != 0;
    io->pin_level = level ? io->pin_level | bit : io->pin_level & ~bit;
    if (io->rte[pin] & IOAPIC_RTE_LEVEL) {
        io->irr = level ? io->irr | bit : io->irr & ~bit;
    } else if (level && !was) {
        io->irr |= bit;   /* rising edge */
    }
    service(io);
}

void ioapic_eoi(IoApic *io, uint8_t vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = io->rte[pin];
        if ((rte & IOAPIC_RTE_LEVEL) && (uint8_t)rte == vector &&
            (rte & IOAPIC_RTE_REMOTE_IRR)) {
            io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            if (io->pin_level & (1u << pin))
                io->irr |= 1u << pin;
        }
    }
    service(io);
}

static uint32_t reg_read(IoApic *io, uint8_t reg)
{
    if (reg == 0x00)
        return (uint32_t)io->id << 24;
    if (reg == 0x01)
        return (uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
    if (reg == 0x02)
        return (uint32_t)io->id << 24;   /* arbitration ID: loaded from the ID */
    if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t rte = io->rte[(reg - 0x10) >> 1];
        return reg & 1 ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    return 0xFFFFFFFFu;   /* no register there: the data lines float */
}

static void reg_write(IoApic *io, uint8_t reg, uint32_t v)
{
    if (reg == 0x00) {
        io->id = (uint8_t)((v >> 24) & 0x0F);
        return;
    }
    if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_PINS)
        return;   /* version, arbitration: read-only */
    int pin = (reg - 0x10) >> 1;
    uint64_t old = io->rte[pin];
    uint64_t val = reg & 1 ? (old & 0xFFFFFFFFull) | (uint64_t)v << 32
                           : (old & 0xFFFFFFFF00000000ull) | v;
    uint64_t ro = IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVS;
    io->rte[pin] = (val & RTE_WRITABLE) | (old & ro);
    if (!(io->rte[pin] & IOAPIC_RTE_LEVEL))
        io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;   /* only level entries keep it */
    /* A level pin held high that becomes deliverable (unmasked, or switched
     * to level) requests at once. */
    if ((io->rte[pin] & IOAPIC_RTE_LEVEL) && (io->pin_level & (1u << pin)))
        io->irr |= 1u << pin;
    service(io);
}

uint32_t ioapic_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
    IoApic *io = opaque;
    (void)size;
    uint32_t off = addr & 0xFF;
    if (off == 0x00)
        return io->regsel;
    if (off == 0x10)
        return reg_read(io, io->regsel);
    return 0xFFFFFFFFu;
}

void ioapic_mmio_write(void *opaque, uint32_t addr, unsigned size, uint32_t value)
{
    IoApic *io = opaque;
    (void)size;
    uint32_t off = addr & 0xFF;
    if (off == 0x00)
        io->regsel = (uint8_t)value;
    else if (off == 0x10)
        reg_write(io, io->regsel, value);
    else if (off == 0x40)
        ioapic_eoi(io, (uint8_t)value);   /* the EOI register of later versions */
}

void ioapic_reset(IoApic *io)
{
    io->id = 0;
    io->regsel = 0;
    io->irr = 0;
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->rte[i] = IOAPIC_RTE_MASKED;
}

void ioapic_init(IoApic *io, void (*deliver)(void *opaque, const ApicMsg *msg), void *opaque)
{
    memset(io, 0, sizeof *io);
    io->deliver = deliver;
    io->opaque = opaque;
    ioapic_reset(io);
}

static const MmioOps ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write };

bool ioapic_map(IoApic *io, PhysMem *mem)
{
    return phys_map_mmio(mem, IOAPIC_BASE, PHYS_PAGE_SIZE, &ioapic_ops, io, "ioapic");
}

/* --- machine state --- */

static const StateField ioapic_fields[] = {
    SF_FIELD_MAX(IoApic, id, SF_U8, 15),
    SF_FIELD(IoApic, regsel, SF_U8),
    SF_ARRAY(IoApic, rte, SF_U64, IOAPIC_PINS),
    SF_FIELD(IoApic, pin_level, SF_U32),
    SF_FIELD(IoApic, irr, SF_U32),
};

static void ioapic_desc_reset(void *dev)
{
    ioapic_reset(dev);
}

static void ioapic_info(void *dev, FILE *out)
{
    const IoApic *io = dev;
    fprintf(out, "I/O APIC id %u, pins high %06X, pending %06X\n", io->id, io->pin_level,
            io->irr);
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t r = io->rte[pin];
        if (r & IOAPIC_RTE_MASKED)
            continue;
        fprintf(out, "  pin %2d: vector 0x%02X mode %u %s dest 0x%02X %s%s%s\n", pin,
                (unsigned)(r & 0xFF), (unsigned)((r >> 8) & 7), (r >> 11) & 1 ? "logical" : "physical",
                (unsigned)(r >> 56), r & IOAPIC_RTE_LEVEL ? "level" : "edge",
                r & IOAPIC_RTE_POLARITY ? " active-low" : "",
                r & IOAPIC_RTE_REMOTE_IRR ? " remote-IRR" : "");
    }
}

const DeviceDesc ioapic_desc = {
    .kind = "ioapic",
    .version = 1,
    .fields = ioapic_fields,
    .n_fields = sizeof ioapic_fields / sizeof ioapic_fields[0],
    .reset = ioapic_desc_reset,
    .info = ioapic_info,
};
