/* SPDX-License-Identifier: MIT */
/* The local APICs (P6 xAPIC, one per CPU, at 0xFEE00000 by default) and
 * the APIC bus that joins them to each other and to the I/O APIC.
 *
 * The interface to a CPU is small: the APIC drives the CPU's INTR line
 * (cpu_set_intr), raises NMI (cpu_raise_nmi), and for INIT/SIPI calls the
 * bus's hooks (the machine resets or starts the CPU); the CPU acknowledges
 * through its intr_ack (apic_ack) and tells the APIC when IA32_APIC_BASE
 * changes. The 8259's INTR arrives on LINT0: with LINT0 in ExtINT mode
 * (the BSP's reset state, as on QEMU, and what every BIOS programs) the
 * 8259 reaches the CPU exactly as without an APIC (virtual-wire mode).
 *
 * All local APICs answer at one MMIO page; an access goes to the APIC of
 * the CPU that runs now (ApicBus.current), as each CPU sees its own.
 *
 * The timer counts on the virtual clock at APIC_BUS_HZ divided by the
 * divide configuration, one-shot or periodic. */
#ifndef KAIRO_APIC_H
#define KAIRO_APIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "iodev/apic_msg.h"
#include "iodev/device.h"
#include "iodev/ioapic.h"
#include "iodev/pic.h"
#include "machine/clock.h"

#define APIC_MAX_CPUS 16
#define APIC_DEFAULT_BASE 0xFEE00000u
/* The timer's input clock: a 100 MHz front-side bus. */
#define APIC_BUS_HZ 100000000u

/* LVT entries in register order (0x320 timer ... 0x370 error). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define APIC_LVT_MASKED   (1u << 16)
#define APIC_LVT_PERIODIC (1u << 17)
#define APIC_LVT_LEVEL    (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_SVR_ENABLE   (1u << 8)
#define APIC_BASE_ENABLE  0x800u
#define APIC_BASE_BSP     0x100u

struct ApicBus;

typedef struct Lapic {
    struct ApicBus *bus;
    Cpu *cpu;
    int index;                  /* CPU number: the reset APIC ID */
    uint8_t id;                 /* APIC ID register (bits 24-31) */
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t isr[8], irr[8], tmr[8];
    uint32_t esr;               /* what the guest reads */
    uint32_t esr_pending;       /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t timer_initial;
    uint32_t timer_divide;      /* the register as written (bits 0, 1, 3) */
    uint64_t timer_start_ns;    /* guest time of the last (re)load */
    Timer timer;
    bool pic_intr;              /* the 8259's INTR on LINT0 */
    bool lint1;                 /* level on LINT1 */
    bool wait_sipi;             /* after INIT: the CPU waits for a start-up IPI */
    bool init_pending;          /* INIT accepted: the CPU resets before it runs again */
    bool sipi_pending;
    uint8_t sipi_vector;
    bool extint_pending;        /* an ExtINT message: the next INTA goes to the 8259 */
    uint64_t timer_fires;       /* statistics for `info apic` */
    uint64_t smi_ignored;       /* SMI messages: the CPU has no SMM (docs/SMP.md) */
} Lapic;

typedef struct ApicBus {
    Lapic *lapic[APIC_MAX_CPUS];
    int n;
    Lapic *current;             /* whose CPU runs: MMIO goes to its APIC */
    IoApic *ioapic;             /* EOI broadcasts for level vectors */
    PicPair *pic;               /* INTA for ExtINT */
    PhysMem *mem;
    Clock *clock;
    uint32_t mapped_base;       /* where the MMIO page is, 0 = nowhere */
} ApicBus;

void apic_bus_init(ApicBus *bus, PhysMem *mem, Clock *clock, PicPair *pic, IoApic *ioapic);
/* Add the APIC of cpu as number index (0 = BSP); false if the bus is full. */
bool apic_attach(ApicBus *bus, Lapic *a, Cpu *cpu, int index);
/* Deliver a message from an I/O APIC (its deliver hook) or an ICR. */
void apic_bus_deliver(void *bus, const ApicMsg *msg);
/* The 8259's INTR output (PicPair.set_intr; opaque = the bus): LINT0 of
 * every APIC sees it, the BSP's normally takes it. */
void apic_bus_pic_intr(void *bus, bool level);
/* Keep the MMIO page where the APICs' IA32_APIC_BASE says. */
void apic_bus_remap(ApicBus *bus);

/* The CPU's INTA (Cpu.intr_ack, opaque = the Lapic): the vector. */
int apic_ack(void *lapic);
void apic_reset(Lapic *a);
/* INIT: every register back to its reset value but the ID; the CPU resets
 * (apic_cpu_startup) and an AP waits for SIPI. */
void apic_init_ipi(Lapic *a);
/* Before the CPU runs a slice: apply an accepted INIT (cpu_reset) and
 * SIPI (start at vector << 12). False while it waits for a SIPI. */
bool apic_cpu_startup(Lapic *a);
void apic_timer_attach(Lapic *a, Clock *clock);
/* The CPU's IA32_APIC_BASE changed (Cpu.apic_base_changed). */
void apic_base_written(void *lapic);
bool apic_hw_enabled(const Lapic *a);
/* The CPU's INTR line recomputed from IRR/ISR/PPR and LINT0. */
void apic_update_intr(Lapic *a);

uint32_t apic_reg_read(Lapic *a, uint32_t offset);
void apic_reg_write(Lapic *a, uint32_t offset, uint32_t value);
uint32_t apic_mmio_read(void *bus, uint32_t addr, unsigned size);
void apic_mmio_write(void *bus, uint32_t addr, unsigned size, uint32_t value);

/* Accept one message (the bus found this APIC among the destinations). */
void apic_accept(Lapic *a, const ApicMsg *msg);
/* Does this APIC match the message's destination (not the shorthand)? */
bool apic_matches(const Lapic *a, uint8_t dest, bool logical);
/* Arbitration priority, for lowest-priority delivery. */
uint8_t apic_arb_priority(const Lapic *a);

extern const DeviceDesc apic_desc;

#endif
