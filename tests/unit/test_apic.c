/* SPDX-License-Identifier: MIT */
/* Local APICs and the I/O APIC driven through their MMIO registers, as a
 * guest drives them: ID/version, priorities (TPR/PPR/APR), EOI, the timer
 * in one-shot and periodic modes with every divide value (count-down read
 * back), every IPI kind and destination mode, ESR, the 8259 on LINT0,
 * IA32_APIC_BASE relocation, and the I/O APIC's edge/level entries with
 * remote IRR, masking and polarity. */
#include <criterion/criterion.h>

#include "iodev/apic.h"
#include "iodev/ioapic.h"
#include "iodev/pic.h"

#define NCPU 3
#define LAPIC APIC_DEFAULT_BASE

static PhysMem *mem;
static PortBus io;
static Cpu *cpu[NCPU];
static Lapic lapic[NCPU];
static ApicBus bus;
static IoApic ioa;
static PicPair pic;
static Clock clk;
static uint64_t now_insns;   /* 1 instruction = 1 ns (ips 10^9) */

static void setup(void)
{
    char err[128];
    mem = phys_new(4u << 20, err, sizeof err);
    cr_assert(mem, "%s", err);
    portbus_init(&io);
    now_insns = 0;
    clock_init(&clk, 1000000000u, &now_insns);
    pic_init(&pic, apic_bus_pic_intr, &bus);
    ioapic_init(&ioa, apic_bus_deliver, &bus);
    apic_bus_init(&bus, mem, &clk, &pic, &ioa);
    for (int i = 0; i < NCPU; i++) {
        cpu[i] = cpu_new(mem, &io);
        cr_assert(cpu[i]);
        cr_assert(apic_attach(&bus, &lapic[i], cpu[i], i));
    }
    cr_assert(ioapic_map(&ioa, mem));
}

static void teardown(void)
{
    for (int i = NCPU - 1; i >= 0; i--)
        cpu_free(cpu[i]);
    phys_free(mem);
}

TestSuite(apic, .init = setup, .fini = teardown);

/* Register access as CPU n. */
static uint32_t rd(int n, uint32_t off)
{
    bus.current = &lapic[n];
    return (uint32_t)phys_read(mem, LAPIC + off, 4);
}

static void wr(int n, uint32_t off, uint32_t v)
{
    bus.current = &lapic[n];
    phys_write(mem, LAPIC + off, 4, v);
}

static void advance_ns(uint64_t ns)
{
    now_insns += ns;
    clock_run_timers(&clk);
}

static bool irr_has(int n, unsigned v) { return rd(n, 0x200 + (v >> 5) * 0x10) >> (v & 31) & 1; }
static bool isr_has(int n, unsigned v) { return rd(n, 0x100 + (v >> 5) * 0x10) >> (v & 31) & 1; }
static bool tmr_has(int n, unsigned v) { return rd(n, 0x180 + (v >> 5) * 0x10) >> (v & 31) & 1; }

static void enable_all(void)
{
    for (int i = 0; i < NCPU; i++)
        wr(i, 0xF0, 0x1FF);
}

/* ICR: high (destination) first, then low, which sends. */
static void ipi(int from, uint8_t dest, uint32_t lo)
{
    wr(from, 0x310, (uint32_t)dest << 24);
    wr(from, 0x300, lo);
}

Test(apic, id_version_and_reset_state)
{
    cr_expect_eq(rd(0, 0x20), 0u);
    cr_expect_eq(rd(2, 0x20), 2u << 24);
    cr_expect_eq(rd(1, 0x30), 0x00040014u, "xAPIC version, five LVT entries");
    cr_expect_eq(rd(0, 0xF0), 0xFFu, "software-disabled, spurious vector 0xFF");
    cr_expect_eq(rd(0, 0xE0), 0xFFFFFFFFu, "flat model");
    cr_expect_eq(rd(0, 0x350), 0x700u, "BSP LINT0: ExtINT (virtual wire)");
    cr_expect_eq(rd(1, 0x350), 0x10000u, "AP LINT0 masked");
    cr_expect_eq(rd(0, 0x320), 0x10000u);
    cr_expect(lapic[1].wait_sipi && !lapic[0].wait_sipi);
    cr_expect_eq(cpu[0]->msr.apic_base, 0xFEE00900u);
    cr_expect_eq(cpu[1]->msr.apic_base, 0xFEE00800u);
    wr(0, 0x20, 7u << 24);
    cr_expect_eq(rd(0, 0x20), 7u << 24, "the ID is writable on a P6");
    uint32_t r[4] = { 0 };
    cpu_cpuid_apic(cpu[2], 1, r);
    cr_expect(r[3] & (1u << 9), "CPUID.1 EDX APIC");
    cr_expect_eq(r[1] >> 24, 2u, "initial APIC ID");
}

Test(apic, priorities_ack_and_eoi)
{
    enable_all();
    ipi(0, 0, 0x40000 | 0x31);   /* self, fixed */
    ipi(0, 0, 0x40000 | 0x52);
    cr_assert(cpu[0]->intr);
    cr_expect(irr_has(0, 0x31) && irr_has(0, 0x52));
    cr_expect_eq(apic_ack(&lapic[0]), 0x52, "highest vector first");
    cr_expect(isr_has(0, 0x52) && !irr_has(0, 0x52));
    cr_expect_eq(rd(0, 0xA0), 0x50u, "PPR = in-service class");
    ipi(0, 0, 0x40000 | 0x55);
    cr_expect_not(cpu[0]->intr, "0x55 and 0x31 do not beat class 5");
    cr_expect_eq(rd(0, 0x90), 0x50u, "APR");
    ipi(0, 0, 0x40000 | 0x61);
    cr_expect(cpu[0]->intr, "class 6 nests");
    cr_expect_eq(apic_ack(&lapic[0]), 0x61);
    wr(0, 0xB0, 0);   /* EOI: 0x61 */
    cr_expect_not(isr_has(0, 0x61));
    cr_expect(isr_has(0, 0x52));
    wr(0, 0xB0, 0);   /* EOI: 0x52 */
    cr_expect_eq(apic_ack(&lapic[0]), 0x55);
    wr(0, 0xB0, 0);
    wr(0, 0x80, 0x40);   /* TPR blocks class 4 and below... */
    cr_expect_eq(rd(0, 0xA0), 0x40u);
    cr_expect_not(cpu[0]->intr, "0x31 held by TPR 0x40");
    cr_expect_eq(apic_ack(&lapic[0]), 0xFF, "INTA with nothing above PPR: the spurious vector");
    wr(0, 0x80, 0x20);
    cr_expect(cpu[0]->intr);
    cr_expect_eq(apic_ack(&lapic[0]), 0x31);
}

Test(apic, illegal_vectors_set_esr)
{
    enable_all();
    wr(0, 0x370, 0xEE);   /* error LVT unmasked, vector 0xEE */
    ipi(0, 1, 0x03);      /* fixed, vector 3 */
    cr_expect_eq(rd(0, 0x280), 0u, "ESR reads the last latch");
    wr(0, 0x280, 0);
    cr_expect_eq(rd(0, 0x280), 0x20u, "send illegal vector");
    cr_expect(irr_has(0, 0xEE), "the error interrupt");
    rd(0, 0x050);         /* a reserved register */
    wr(0, 0x280, 0);
    cr_expect_eq(rd(0, 0x280), 0x80u, "illegal register address");
}

/* Every divide configuration: the count falls by one per (10 ns * div). */
Test(apic, timer_divides_count_down)
{
    enable_all();
    static const struct { uint32_t code, div; } d[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
    };
    for (unsigned i = 0; i < 8; i++) {
        wr(0, 0x320, 0x10000 | 0x40);   /* one-shot, masked */
        wr(0, 0x3E0, d[i].code);
        cr_expect_eq(rd(0, 0x3E0), d[i].code);
        wr(0, 0x380, 100000);
        advance_ns(10u * d[i].div * 1234);
        cr_expect_eq(rd(0, 0x390), 100000u - 1234, "divide %u", d[i].div);
        cr_expect_eq(rd(0, 0x380), 100000u);
    }
}

Test(apic, timer_one_shot)
{
    enable_all();
    wr(0, 0x3E0, 0xB);          /* divide by 1: 10 ns a tick */
    wr(0, 0x320, 0x41);         /* one-shot, vector 0x41 */
    wr(0, 0x380, 1000);
    advance_ns(5000);
    cr_expect_eq(rd(0, 0x390), 500u);
    cr_expect_not(irr_has(0, 0x41));
    advance_ns(5000);
    cr_expect(irr_has(0, 0x41), "expired after 1000 ticks");
    cr_expect_eq(rd(0, 0x390), 0u, "a one-shot stays at 0");
    cr_expect_eq(apic_ack(&lapic[0]), 0x41);
    wr(0, 0xB0, 0);
    advance_ns(100000);
    cr_expect_not(irr_has(0, 0x41), "no second expiry");
}

Test(apic, timer_periodic_and_masked)
{
    enable_all();
    wr(0, 0x3E0, 0x0);          /* divide by 2: 20 ns a tick */
    wr(0, 0x320, 0x20000 | 0x42);
    wr(0, 0x380, 100);          /* 2 us period */
    advance_ns(5000);
    cr_expect_eq(lapic[0].timer_fires, 2u);
    cr_expect_eq(rd(0, 0x390), 100u - 50, "reloaded, half way into the third period");
    cr_expect(irr_has(0, 0x42));
    wr(0, 0x320, 0x30000 | 0x42);   /* masked: counts, no interrupt */
    cr_expect_eq(apic_ack(&lapic[0]), 0x42);
    wr(0, 0xB0, 0);
    advance_ns(4000);
    cr_expect_eq(lapic[0].timer_fires, 4u);
    cr_expect_not(irr_has(0, 0x42));
    wr(0, 0x380, 0);
    advance_ns(10000);
    cr_expect_eq(lapic[0].timer_fires, 4u, "initial count 0 stops it");
}

Test(apic, ipi_destinations)
{
    enable_all();
    ipi(0, 1, 0x4040);                  /* physical 1 */
    cr_expect(irr_has(1, 0x40) && !irr_has(2, 0x40) && !irr_has(0, 0x40));
    cr_expect(cpu[1]->intr);
    ipi(0, 0xFF, 0x4041);               /* physical broadcast */
    cr_expect(irr_has(0, 0x41) && irr_has(1, 0x41) && irr_has(2, 0x41));
    wr(1, 0xD0, 0x02u << 24);           /* flat logical IDs: bit 1, bit 2 */
    wr(2, 0xD0, 0x04u << 24);
    ipi(0, 0x06, 0x4800 | 0x42);        /* logical, both */
    cr_expect(irr_has(1, 0x42) && irr_has(2, 0x42) && !irr_has(0, 0x42));
    for (int i = 0; i < NCPU; i++)      /* cluster model */
        wr(i, 0xE0, 0x0FFFFFFF);
    wr(1, 0xD0, 0x21u << 24);           /* cluster 2, member 1 */
    wr(2, 0xD0, 0x31u << 24);           /* cluster 3, member 1 */
    ipi(0, 0x31, 0x4800 | 0x43);
    cr_expect(!irr_has(1, 0x43) && irr_has(2, 0x43));
    ipi(0, 0xF1, 0x4800 | 0x44);        /* every cluster, member 1 */
    cr_expect(irr_has(1, 0x44) && irr_has(2, 0x44));
    ipi(1, 0, 0xC0000 | 0x45);          /* all excluding self */
    cr_expect(irr_has(0, 0x45) && !irr_has(1, 0x45) && irr_has(2, 0x45));
    ipi(1, 0, 0x80000 | 0x46);          /* all including self */
    cr_expect(irr_has(0, 0x46) && irr_has(1, 0x46) && irr_has(2, 0x46));
    ipi(1, 0, 0x81000 | 0x47);          /* the delivery-status bit written as 1 */
    cr_expect_eq(rd(1, 0x300) & (1u << 12), 0u, "delivery status idle");
    cr_expect_eq(rd(1, 0x300), 0x80047u, "the rest reads back");
}

Test(apic, lowest_priority_picks_lowest_tpr)
{
    enable_all();
    wr(0, 0x80, 0x30);
    wr(1, 0x80, 0x20);
    wr(2, 0x80, 0x10);
    ipi(0, 0xFF, 0x4100 | 0x50);   /* lowest priority, physical broadcast */
    cr_expect(!irr_has(0, 0x50) && !irr_has(1, 0x50) && irr_has(2, 0x50));
    wr(2, 0x80, 0x40);
    ipi(0, 0xFF, 0x4100 | 0x51);
    cr_expect(irr_has(1, 0x51) && !irr_has(2, 0x51));
}

Test(apic, nmi_init_sipi)
{
    enable_all();
    ipi(0, 2, 0x4400);                   /* NMI */
    cr_expect(cpu[2]->nmi_pending && !cpu[1]->nmi_pending);
    cpu[1]->gpr[R_EAX] = 0x1234;
    lapic[1].wait_sipi = false;          /* as if it had been started */
    wr(1, 0x80, 0x30);
    ipi(0, 1, 0xC500);                   /* INIT, level assert */
    cr_expect(lapic[1].wait_sipi && lapic[1].init_pending);
    cr_expect_eq(rd(1, 0x80), 0u, "INIT resets the registers...");
    cr_expect_eq(rd(1, 0x20), 1u << 24, "...but the ID");
    ipi(0, 1, 0x8500);                   /* INIT level de-assert: nothing */
    cr_expect(lapic[1].wait_sipi);
    cr_expect_not(apic_cpu_startup(&lapic[1]), "waiting for SIPI");
    cr_expect_eq(cpu[1]->gpr[R_EAX], 0u, "the CPU was reset");
    ipi(0, 1, 0x4600 | 0x9A);            /* SIPI, vector 0x9A */
    cr_expect(apic_cpu_startup(&lapic[1]));
    cr_expect_eq(cpu[1]->seg[SEG_CS].sel, 0x9A00);
    cr_expect_eq(cpu[1]->seg[SEG_CS].base, 0x9A000u);
    cr_expect_eq(cpu[1]->eip, 0u);
    ipi(0, 1, 0x4600 | 0x10);            /* a second SIPI is ignored */
    cr_expect_not(lapic[1].sipi_pending);
}

Test(apic, lint0_virtual_wire)
{
    pic_set_irq(&pic, 0, true);          /* the 8259 is not initialised: */
    apic_bus_pic_intr(&bus, true);       /* drive INTR as the PIC would */
    cr_expect(cpu[0]->intr, "BSP: ExtINT on LINT0");
    cr_expect_not(cpu[1]->intr, "AP: LINT0 masked");
    wr(0, 0xF0, 0x1FF);
    wr(0, 0x350, 0x10700);               /* mask LINT0 */
    cr_expect_not(cpu[0]->intr);
    wr(0, 0x350, 0x00700);
    cr_expect(cpu[0]->intr);
    apic_bus_pic_intr(&bus, false);
    cr_expect_not(cpu[0]->intr);
}

Test(apic, base_relocation_and_disable)
{
    cpu[0]->msr.apic_base = 0xFED00900u;
    apic_base_written(&lapic[0]);
    cpu[1]->msr.apic_base = 0xFED00800u;
    apic_base_written(&lapic[1]);
    cpu[2]->msr.apic_base = 0xFED00800u;
    apic_base_written(&lapic[2]);
    bus.current = &lapic[0];
    cr_expect_eq(phys_read(mem, 0xFED00030u, 4), 0x00040014u, "moved");
    cr_expect_eq(phys_read(mem, 0xFEE00030u, 4), 0xFFFFFFFFu, "nothing at the old base");
    cpu[0]->msr.apic_base = 0xFED00100u;   /* global disable */
    apic_base_written(&lapic[0]);
    cr_expect_eq(phys_read(mem, 0xFED00030u, 4), 0xFFFFFFFFu, "a disabled APIC is not there");
    uint32_t r[4] = { 0 };
    cpu_cpuid_apic(cpu[0], 1, r);
    cr_expect_not(r[3] & (1u << 9), "nor in CPUID");
    apic_bus_pic_intr(&bus, true);
    cr_expect(cpu[0]->intr, "the 8259 reaches INTR directly");
}

/* --- the I/O APIC --- */

static uint32_t io_rd(uint8_t reg)
{
    phys_write(mem, IOAPIC_BASE, 4, reg);
    return (uint32_t)phys_read(mem, IOAPIC_BASE + 0x10, 4);
}

static void io_wr(uint8_t reg, uint32_t v)
{
    phys_write(mem, IOAPIC_BASE, 4, reg);
    phys_write(mem, IOAPIC_BASE + 0x10, 4, v);
}

static void route(int pin, uint32_t lo, uint8_t dest)
{
    io_wr((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
    io_wr((uint8_t)(0x10 + 2 * pin), lo);
}

Test(apic, ioapic_registers)
{
    cr_expect_eq(io_rd(0x01), 0x00170011u, "24 entries, version 0x11");
    io_wr(0x00, 0x0F000000u);
    cr_expect_eq(io_rd(0x00), 0x0F000000u);
    cr_expect_eq(io_rd(0x10), 0x10000u, "masked at reset");
    route(3, 0x2000 | 0x8000 | 0x10000 | 0x33, 0x01);
    cr_expect_eq(io_rd(0x16), 0x1A033u, "polarity, level, mask kept");
    cr_expect_eq(io_rd(0x17), 0x01000000u);
    io_wr(0x16, 0x1A033u | 0x4000 | 0x1000);
    cr_expect_eq(io_rd(0x16), 0x1A033u, "remote IRR and delivery status are read-only");
}

Test(apic, ioapic_edge_and_mask)
{
    enable_all();
    route(4, 0x10000 | 0x34, 0);   /* edge, masked, to APIC 0 */
    ioapic_set_pin(&ioa, 4, true);
    ioapic_set_pin(&ioa, 4, false);
    cr_expect_not(irr_has(0, 0x34), "masked");
    route(4, 0x34, 0);
    cr_expect(irr_has(0, 0x34), "the latched edge goes out on unmask");
    cr_expect_not(tmr_has(0, 0x34));
    cr_expect_eq(apic_ack(&lapic[0]), 0x34);
    wr(0, 0xB0, 0);
    ioapic_set_pin(&ioa, 4, true);
    cr_expect(irr_has(0, 0x34), "the next rising edge");
    ioapic_set_pin(&ioa, 4, true);
    cr_expect_eq(apic_ack(&lapic[0]), 0x34);
    cr_expect_not(irr_has(0, 0x34), "no edge while held high");
}

Test(apic, ioapic_level_remote_irr)
{
    enable_all();
    route(10, 0x8000 | 0x3A, 1);   /* level, fixed, physical APIC 1 */
    ioapic_set_pin(&ioa, 10, true);
    cr_expect(irr_has(1, 0x3A) && tmr_has(1, 0x3A));
    cr_expect(io_rd(0x24) & 0x4000, "remote IRR set");
    cr_expect_eq(apic_ack(&lapic[1]), 0x3A);
    wr(1, 0xB0, 0);                /* EOI while the line is still high */
    cr_expect(irr_has(1, 0x3A), "delivered again");
    cr_expect(io_rd(0x24) & 0x4000);
    ioapic_set_pin(&ioa, 10, false);
    cr_expect_eq(apic_ack(&lapic[1]), 0x3A);
    wr(1, 0xB0, 0);
    cr_expect_not(io_rd(0x24) & 0x4000, "the EOI broadcast cleared remote IRR");
    cr_expect_not(irr_has(1, 0x3A), "the line is low now");
    route(11, 0x8000 | 0x100 | 0x3B, 0xFF);   /* lowest priority, all */
    wr(0, 0x80, 0x20);
    wr(1, 0x80, 0x20);
    ioapic_set_pin(&ioa, 11, true);
    cr_expect(irr_has(2, 0x3B) && !irr_has(0, 0x3B), "the APIC with the lowest TPR");
}

/* --- ExtINT and SMI through the I/O APIC --- */

/* The master 8259 initialised with its vectors at base, every input open. */
static void pic_setup(uint8_t base)
{
    pic_port_write(&pic, 0x20, 1, 0x11);   /* ICW1: edge, cascade, ICW4 */
    pic_port_write(&pic, 0x21, 1, base);   /* ICW2 */
    pic_port_write(&pic, 0x21, 1, 0x04);   /* ICW3: slave on IR2 */
    pic_port_write(&pic, 0x21, 1, 0x01);   /* ICW4: 8086 mode */
    pic_port_write(&pic, 0x21, 1, 0x00);   /* OCW1: nothing masked */
}

Test(apic, ioapic_extint_takes_the_8259_vector)
{
    enable_all();
    wr(0, 0x350, 0x10700);               /* virtual wire A off: LINT0 masked */
    pic_setup(0x30);
    route(3, 0x700 | 0x99, 1);           /* ExtINT to APIC 1; the vector field is unused */
    pic_set_irq(&pic, 3, true);
    cr_expect_not(cpu[0]->intr || cpu[1]->intr, "no LINT0 open: INTR reaches nobody");
    ioapic_set_pin(&ioa, 3, true);
    cr_expect(cpu[1]->intr && !cpu[0]->intr && !cpu[2]->intr, "the entry's destination");
    cr_expect_eq(io_rd(0x16) & 0x700, 0x700u, "delivery mode bits 8-10 all writable");
    cr_expect_not(irr_has(1, 0x99), "not an APIC vector");
    cr_expect_eq(apic_ack(&lapic[1]), 0x33, "INTA answered by the 8259: base + IRQ 3");
    cr_expect_not(isr_has(1, 0x33) || isr_has(1, 0x99), "the APIC's ISR is not involved");
    cr_expect_not(cpu[1]->intr, "taken");
    cr_expect_eq(io_rd(0x16) & 0x1000, 0u, "delivery status idle: the message went out");
    /* A disabled APIC ignores it, as every other message. */
    wr(2, 0xF0, 0xFF);
    cpu[2]->msr.apic_base = 0xFEE00000u;
    apic_base_written(&lapic[2]);
    route(5, 0x700, 2);
    pic_set_irq(&pic, 5, true);
    ioapic_set_pin(&ioa, 5, true);
    cr_expect_not(cpu[2]->intr);
}

Test(apic, smi_is_ignored_without_smm)
{
    enable_all();
    route(6, 0x200, 2);                  /* SMI, edge, to APIC 2 */
    ioapic_set_pin(&ioa, 6, true);
    cr_expect_eq(lapic[2].smi_ignored, 1u, "accepted and counted");
    cr_expect_not(cpu[2]->intr || cpu[2]->nmi_pending, "no interrupt, no NMI in its place");
    for (unsigned v = 0; v < 256; v += 32)
        cr_expect_eq(rd(2, 0x200 + (v >> 5) * 0x10), 0u, "IRR untouched");
    cr_expect_eq(io_rd(0x1C) & 0x1000, 0u, "delivery status idle: the message went out");
    ipi(0, 1, 0x4200);                   /* SMI through the ICR, to APIC 1 */
    cr_expect_eq(lapic[1].smi_ignored, 1u);
    cr_expect_eq(rd(0, 0x280), 0u, "not a send error");
    cr_expect_eq(cpu[1]->halted, false);
    route(7, 0x400, 0);                  /* NMI through an entry, for contrast */
    ioapic_set_pin(&ioa, 7, true);
    cr_expect(cpu[0]->nmi_pending);
}

/* SVM's GIF (APM "INIT Support"): an INIT that arrives while GIF is clear
 * is held — the CPU and its APIC go on untouched — and taken once GIF is
 * set again. */
Test(apic, init_is_held_while_gif_is_clear)
{
    enable_all();
    lapic[1].wait_sipi = false;          /* as if it had been started */
    cpu[1]->gpr[R_EAX] = 0x1234;
    wr(1, 0x80, 0x30);
    cpu[1]->gif = false;                 /* CLGI */
    ipi(0, 1, 0xC500);                   /* INIT, level assert */
    cr_expect(cpu[1]->init_held);
    cr_expect_not(lapic[1].init_pending);
    cr_expect_not(lapic[1].wait_sipi);
    cr_expect_eq(rd(1, 0x80), 0x30u, "nothing reset while held");
    cr_expect(apic_cpu_startup(&lapic[1]), "still running: GIF is clear");
    cr_expect_eq(cpu[1]->gpr[R_EAX], 0x1234u);
    cpu[1]->gif = true;                  /* STGI */
    cr_expect_not(apic_cpu_startup(&lapic[1]), "the INIT is taken: waiting for SIPI");
    cr_expect_not(cpu[1]->init_held);
    cr_expect_eq(cpu[1]->gpr[R_EAX], 0u, "the CPU was reset");
    cr_expect_eq(rd(1, 0x80), 0u, "and its APIC");
}
