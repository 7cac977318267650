/* SPDX-License-Identifier: MIT */
/* The APIC bus: messages from the I/O APIC and from ICRs to the local
 * APICs they address, the 8259's INTR on LINT0, and the MMIO page every
 * CPU sees its own APIC through (see apic.h). */
#include "iodev/apic.h"

#include <string.h>

#include "debug/log.h"

void apic_bus_init(ApicBus *bus, PhysMem *mem, Clock *clock, PicPair *pic, IoApic *ioapic)
{
    memset(bus, 0, sizeof *bus);
    bus->mem = mem;
    bus->clock = clock;
    bus->pic = pic;
    bus->ioapic = ioapic;
}

static const MmioOps apic_ops = { apic_mmio_read, apic_mmio_write };

bool apic_attach(ApicBus *bus, Lapic *a, Cpu *cpu, int index)
{
    if (bus->n >= APIC_MAX_CPUS)
        return false;
    memset(a, 0, sizeof *a);
    a->bus = bus;
    a->cpu = cpu;
    a->index = index;
    apic_timer_attach(a, bus->clock);
    bus->lapic[bus->n++] = a;
    if (!bus->current)
        bus->current = a;
    cpu->intr_ack = apic_ack;
    cpu->intr_opaque = a;
    cpu->apic = a;
    cpu->apic_base_changed = apic_base_written;
    cpu->apic_id = (uint8_t)index;
    cpu->is_ap = index != 0;
    apic_reset(a);
    apic_bus_remap(bus);
    return true;
}

/* Which APICs a message goes to, as a bit per APIC index. */
static uint32_t destinations(const ApicBus *bus, const ApicMsg *m)
{
    uint32_t set = 0;
    for (int i = 0; i < bus->n; i++) {
        const Lapic *a = bus->lapic[i];
        if (!apic_hw_enabled(a))
            continue;
        bool hit;
        switch (m->shorthand) {
        case APIC_SH_SELF: hit = i == m->source; break;
        case APIC_SH_ALL: hit = true; break;
        case APIC_SH_OTHERS: hit = i != m->source; break;
        default: hit = apic_matches(a, m->dest, m->logical); break;
        }
        if (hit)
            set |= 1u << i;
    }
    return set;
}

/* Lowest priority: the APIC with the lowest arbitration priority takes
 * it, the lowest index among equals (deterministic, as a focus-less P6
 * bus arbitration would be for a given set of arbitration IDs). */
static uint32_t lowest_priority(const ApicBus *bus, uint32_t set)
{
    int best = -1;
    for (int i = 0; i < bus->n; i++)
        if ((set >> i & 1) &&
            (best < 0 || apic_arb_priority(bus->lapic[i]) < apic_arb_priority(bus->lapic[best])))
            best = i;
    return best < 0 ? 0 : 1u << best;
}

void apic_bus_deliver(void *opaque, const ApicMsg *m)
{
    ApicBus *bus = opaque;
    uint32_t set = destinations(bus, m);
    if (m->mode == APIC_DM_LOWEST)
        set = lowest_priority(bus, set);
    for (int i = 0; i < bus->n; i++)
        if (set >> i & 1)
            apic_accept(bus->lapic[i], m);
}

void apic_bus_pic_intr(void *opaque, bool level)
{
    ApicBus *bus = opaque;
    for (int i = 0; i < bus->n; i++) {
        bus->lapic[i]->pic_intr = level;
        apic_update_intr(bus->lapic[i]);
    }
}

/* The page follows the BSP's IA32_APIC_BASE (every OS moves all APICs
 * together, if at all); with every APIC hardware-disabled it goes away. */
void apic_bus_remap(ApicBus *bus)
{
    uint32_t want = 0;
    for (int i = 0; i < bus->n && !want; i++) {
        uint64_t base = bus->lapic[i]->cpu->msr.apic_base;
        if ((base & APIC_BASE_ENABLE) && !(base >> 32))
            want = (uint32_t)base & ~0xFFFu;
    }
    if (want == bus->mapped_base)
        return;
    if (bus->mapped_base)
        phys_unmap(bus->mem, bus->mapped_base, PHYS_PAGE_SIZE);
    bus->mapped_base = 0;
    if (want && phys_map_mmio(bus->mem, want, PHYS_PAGE_SIZE, &apic_ops, bus, "apic"))
        bus->mapped_base = want;
}

/* Registers are 32 bits wide at 16-byte steps; narrower reads see part
 * of one, narrower or unaligned writes are the guest's mistake. */
uint32_t apic_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
    ApicBus *bus = opaque;
    Lapic *a = bus->current;
    if (!a || !apic_hw_enabled(a))
        return 0xFFFFFFFFu;
    uint32_t off = addr & 0xFFF;
    if ((off & 0xF) >= 4)
        return 0;
    uint32_t v = apic_reg_read(a, off & ~0xFu) >> ((off & 3) * 8);
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

void apic_mmio_write(void *opaque, uint32_t addr, unsigned size, uint32_t value)
{
    ApicBus *bus = opaque;
    Lapic *a = bus->current;
    if (!a || !apic_hw_enabled(a))
        return;
    uint32_t off = addr & 0xFFF;
    if (size != 4 || (off & 0xF)) {
        log_event(LOG_GUEST_ERROR, "apic", "write narrower than 32 bits or unaligned, at",
                  off, NULL);
        return;
    }
    apic_reg_write(a, off, value);
}
