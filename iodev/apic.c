/* SPDX-License-Identifier: MIT */
/* One local APIC: registers, priorities, EOI, the LVT and the timer (see
 * apic.h). Delivery between APICs lives in apic_bus.c. */
#include "iodev/apic.h"
#include "cpu/svm.h"

#include <string.h>

#include "debug/log.h"

/* Five LVT entries (max LVT index 4: timer, performance counter, LINT0,
 * LINT1, error; a P6 has no thermal sensor). The version is 0x14, an xAPIC
 * with 8-bit physical IDs, as QEMU reports for every CPU model: a P6's
 * 0x11 makes Linux give the I/O APIC an ID unique among the CPUs' on a
 * 4-bit APIC bus, which -smp 15 and 16 leave none for (docs/SMP.md). */
#define APIC_VERSION 0x00040014u
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECV_ILLEGAL 0x40u
#define ESR_ILLEGAL_REG  0x80u
/* A periodic timer faster than this would end every slice at once. */
#define TIMER_MIN_PERIOD_NS 1000u

static void apic_log_once(const char *what, unsigned detail)
{
    log_event(LOG_UNIMP, "apic", what, detail, NULL);
}

/* --- 256-bit vector sets (ISR, IRR, TMR) --- */

static void vec_set(uint32_t *set, unsigned v) { set[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t *set, unsigned v) { set[v >> 5] &= ~(1u << (v & 31)); }
static bool vec_test(const uint32_t *set, unsigned v) { return set[v >> 5] >> (v & 31) & 1; }

static int vec_highest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--)
        if (set[i])
            return i * 32 + 31 - __builtin_clz(set[i]);
    return -1;
}

/* --- priorities --- */

static uint8_t processor_priority(const Lapic *a)
{
    int isrv = vec_highest(a->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xF0);
    return (a->tpr & 0xF0) >= isr_class ? a->tpr : isr_class;
}

uint8_t apic_arb_priority(const Lapic *a)
{
    int isrv = vec_highest(a->isr), irrv = vec_highest(a->irr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xF0);
    uint8_t irr_class = irrv < 0 ? 0 : (uint8_t)(irrv & 0xF0);
    if ((a->tpr & 0xF0) >= irr_class && (a->tpr & 0xF0) > isr_class)
        return a->tpr;
    uint8_t p = a->tpr & 0xF0;
    if (isr_class > p)
        p = isr_class;
    if (irr_class > p)
        p = irr_class;
    return p;
}

bool apic_hw_enabled(const Lapic *a)
{
    return (a->cpu->msr.apic_base & APIC_BASE_ENABLE) != 0;
}

static bool sw_enabled(const Lapic *a)
{
    return (a->svr & APIC_SVR_ENABLE) != 0;
}

/* The 8259 reaches the CPU: LINT0 unmasked in ExtINT mode, or the APIC
 * hardware-disabled (then LINT0 is the plain INTR pin; only the BSP's is
 * wired to the 8259). */
static bool extint_open(const Lapic *a)
{
    if (!apic_hw_enabled(a))
        return a->index == 0;
    uint32_t l = a->lvt[LVT_LINT0];
    return !(l & APIC_LVT_MASKED) && ((l >> 8) & 7) == APIC_DM_EXTINT;
}

/* The highest requested vector above the processor priority, or -1. */
static int deliverable(const Lapic *a)
{
    if (!apic_hw_enabled(a))
        return -1;
    int irrv = vec_highest(a->irr);
    if (irrv < 0 || (irrv & 0xF0) <= (processor_priority(a) & 0xF0))
        return -1;
    return irrv;
}

void apic_update_intr(Lapic *a)
{
    cpu_set_intr(a->cpu, a->extint_pending || deliverable(a) >= 0 ||
                             (a->pic_intr && extint_open(a)));
}

int apic_ack(void *opaque)
{
    Lapic *a = opaque;
    if (a->extint_pending) {
        /* An ExtINT message (virtual-wire mode B: the 8259 behind an I/O
         * APIC entry): the INTA cycle goes to the 8259, which names the
         * vector; the APIC's priorities, IRR and ISR are not involved. */
        a->extint_pending = false;
        int v = pic_ack(a->bus->pic);
        apic_update_intr(a);
        return v;
    }
    int v = deliverable(a);
    if (v >= 0) {
        vec_clear(a->irr, (unsigned)v);
        vec_set(a->isr, (unsigned)v);
        apic_update_intr(a);
        return v;
    }
    if (a->pic_intr && extint_open(a))
        return pic_ack(a->bus->pic);   /* the PIC's set_intr updates our line */
    apic_update_intr(a);
    return a->svr & 0xFF;   /* the request went away: the spurious vector */
}

/* --- errors and local interrupts --- */

static void set_irr(Lapic *a, unsigned vector, bool level);

static void raise_error(Lapic *a, uint32_t bits)
{
    a->esr_pending |= bits;
    uint32_t l = a->lvt[LVT_ERROR];
    if (!(l & APIC_LVT_MASKED) && (l & 0xFF) >= 16)
        set_irr(a, l & 0xFF, false);
}

static void set_irr(Lapic *a, unsigned vector, bool level)
{
    if (vector < 16) {
        raise_error(a, ESR_RECV_ILLEGAL);
        return;
    }
    vec_set(a->irr, vector);
    if (level)
        vec_set(a->tmr, vector);
    else
        vec_clear(a->tmr, vector);
    apic_update_intr(a);
}

static void eoi(Lapic *a)
{
    int v = vec_highest(a->isr);
    if (v < 0)
        return;
    vec_clear(a->isr, (unsigned)v);
    if (vec_test(a->tmr, (unsigned)v)) {
        vec_clear(a->tmr, (unsigned)v);
        if (a->bus->ioapic)
            ioapic_eoi(a->bus->ioapic, (uint8_t)v);   /* level: the EOI broadcast */
    }
    apic_update_intr(a);
}

void apic_accept(Lapic *a, const ApicMsg *m)
{
    switch (m->mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        set_irr(a, m->vector, m->level);
        break;
    case APIC_DM_NMI:
        cpu_raise_nmi(a->cpu);
        a->cpu->halted = false;
        break;
    case APIC_DM_INIT:
        if (m->assert)
            apic_init_ipi(a);
        break;   /* the level de-assert only syncs arbitration IDs */
    case APIC_DM_SIPI:
        if (a->wait_sipi) {
            a->wait_sipi = false;
            a->sipi_pending = true;
            a->sipi_vector = m->vector;
        }
        break;
    case APIC_DM_EXTINT:
        if (apic_hw_enabled(a)) {
            a->extint_pending = true;
            apic_update_intr(a);
        }
        break;
    case APIC_DM_SMI:
        /* Kairo's CPUs have no system-management mode: the SMI# pin that
         * the APIC would assert goes nowhere, as on a part without SMM.
         * Counted (info apic) and logged once, never acted on. */
        a->smi_ignored++;
        apic_log_once("SMI message ignored: the CPU has no system-management mode", m->vector);
        break;
    default:
        apic_log_once("reserved delivery mode", m->mode);
        break;
    }
}

bool apic_matches(const Lapic *a, uint8_t dest, bool logical)
{
    if (!logical)
        return dest == 0xFF || dest == a->id;
    uint8_t ldr = (uint8_t)(a->ldr >> 24);
    if ((a->dfr >> 28) == 0xF)
        return (ldr & dest) != 0;   /* flat model: a bit per APIC */
    /* cluster model: cluster number in the high nibble, 0xF for all */
    uint8_t cluster = dest >> 4;
    return (cluster == 0xF || cluster == ldr >> 4) && (dest & ldr & 0x0F);
}

/* --- the timer --- */

static uint64_t timer_tick_ns(const Lapic *a)
{
    uint32_t d = a->timer_divide;
    unsigned code = ((d >> 1) & 4) | (d & 3);   /* bits 3, 1, 0 */
    unsigned shift = code == 7 ? 0 : code + 1;
    return (1000000000ull / APIC_BUS_HZ) << shift;
}

static uint64_t timer_period_ns(const Lapic *a)
{
    uint64_t p = (uint64_t)a->timer_initial * timer_tick_ns(a);
    if ((a->lvt[LVT_TIMER] & APIC_LVT_PERIODIC) && p < TIMER_MIN_PERIOD_NS) {
        apic_log_once("periodic timer period below 1 us raised to it, ns", (unsigned)p);
        p = TIMER_MIN_PERIOD_NS;
    }
    return p;
}

static uint32_t timer_current(const Lapic *a)
{
    if (!a->timer_initial)
        return 0;
    uint64_t now = clock_ns(a->bus->clock);
    uint64_t ticks = now > a->timer_start_ns ? (now - a->timer_start_ns) / timer_tick_ns(a) : 0;
    if (a->lvt[LVT_TIMER] & APIC_LVT_PERIODIC)
        return a->timer_initial - (uint32_t)(ticks % a->timer_initial);
    return ticks >= a->timer_initial ? 0 : a->timer_initial - (uint32_t)ticks;
}

/* Arm the timer for the next time the count reaches zero, if it will. */
static void timer_rearm(Lapic *a)
{
    if (!a->timer_initial) {
        timer_del(&a->timer);
        return;
    }
    uint64_t period = timer_period_ns(a), now = clock_ns(a->bus->clock);
    uint64_t end = a->timer_start_ns + period;
    if (a->lvt[LVT_TIMER] & APIC_LVT_PERIODIC) {
        if (now >= end)
            end += (now - end) / period * period + period;
    } else if (now >= end) {
        timer_del(&a->timer);   /* a one-shot that already expired */
        return;
    }
    timer_mod(&a->timer, end);
}

static void timer_expired(void *opaque)
{
    Lapic *a = opaque;
    a->timer_fires++;
    uint32_t l = a->lvt[LVT_TIMER];
    if (!(l & APIC_LVT_MASKED))
        set_irr(a, l & 0xFF, false);
    if (l & APIC_LVT_PERIODIC) {
        /* The next period starts where this one ended, not when the
         * callback ran: a periodic timer keeps its phase. */
        timer_mod(&a->timer, a->timer.deadline + timer_period_ns(a));
    }
}

/* The count keeps its value when the divider changes: the load time moves. */
static void timer_set_divide(Lapic *a, uint32_t value)
{
    uint32_t cur = timer_current(a);
    a->timer_divide = value & 0xB;
    if (a->timer_initial) {
        uint64_t now = clock_ns(a->bus->clock);
        uint64_t done = (uint64_t)(a->timer_initial - cur) * timer_tick_ns(a);
        a->timer_start_ns = now > done ? now - done : 0;
        timer_rearm(a);
    }
}

/* --- registers --- */

static uint32_t lvt_writable(int i)
{
    static const uint32_t mask[LVT_COUNT] = {
        [LVT_TIMER] = 0x300FF, [LVT_THERMAL] = 0x107FF, [LVT_PERF] = 0x107FF,
        [LVT_LINT0] = 0x1A7FF, [LVT_LINT1] = 0x1A7FF, [LVT_ERROR] = 0x100FF,
    };
    return mask[i];
}

static void send_icr(Lapic *a)
{
    uint32_t lo = a->icr_lo;
    ApicMsg m = {
        .vector = (uint8_t)lo,
        .mode = (uint8_t)((lo >> 8) & 7),
        .logical = (lo >> 11) & 1,
        .assert = (lo >> 14) & 1,
        .level = (lo >> 15) & 1,
        .shorthand = (uint8_t)((lo >> 18) & 3),
        .dest = (uint8_t)(a->icr_hi >> 24),
        .source = a->index,
    };
    if ((m.mode == APIC_DM_FIXED || m.mode == APIC_DM_LOWEST) && m.vector < 16) {
        raise_error(a, ESR_SEND_ILLEGAL);
        return;
    }
    if (m.mode == APIC_DM_INIT && !m.assert && m.level)
        return;   /* INIT level de-assert: arbitration IDs only */
    m.assert = true;
    apic_bus_deliver(a->bus, &m);
}

uint32_t apic_reg_read(Lapic *a, uint32_t off)
{
    unsigned r = (off >> 4) & 0x3F;
    if (r >= 0x10 && r <= 0x27) {
        const uint32_t *set = r < 0x18 ? a->isr : r < 0x20 ? a->tmr : a->irr;
        return set[r & 7];
    }
    if (r >= 0x32 && r <= 0x37)
        return a->lvt[r - 0x32];
    switch (r) {
    case 0x02: return (uint32_t)a->id << 24;
    case 0x03: return APIC_VERSION;
    case 0x08: return a->tpr;
    case 0x09: return apic_arb_priority(a);
    case 0x0A: return processor_priority(a);
    case 0x0B: case 0x0C: return 0;   /* EOI (write-only), remote read */
    case 0x0D: return a->ldr;
    case 0x0E: return a->dfr;
    case 0x0F: return a->svr;
    case 0x28: return a->esr;
    case 0x30: return a->icr_lo;      /* delivery status: sent at once, idle */
    case 0x31: return a->icr_hi;
    case 0x38: return a->timer_initial;
    case 0x39: return timer_current(a);
    case 0x3E: return a->timer_divide;
    default:
        raise_error(a, ESR_ILLEGAL_REG);
        return 0;
    }
}

static void write_lvt(Lapic *a, int i, uint32_t v)
{
    uint32_t old = a->lvt[i];
    uint32_t keep = old & (APIC_LVT_REMOTE_IRR | (1u << 12));
    a->lvt[i] = (v & lvt_writable(i)) | keep;
    if (!sw_enabled(a))
        a->lvt[i] |= APIC_LVT_MASKED;   /* a software-disabled APIC keeps them masked */
    if (i == LVT_TIMER && ((old ^ a->lvt[i]) & APIC_LVT_PERIODIC))
        timer_rearm(a);
    if (i == LVT_LINT0 || i == LVT_LINT1) {
        unsigned mode = (a->lvt[i] >> 8) & 7;
        if (!(a->lvt[i] & APIC_LVT_MASKED) && mode != APIC_DM_EXTINT && mode != APIC_DM_NMI)
            apic_log_once("LINT delivery mode other than ExtINT/NMI", mode);
    }
    if (i == LVT_THERMAL && !(v & APIC_LVT_MASKED))
        apic_log_once("thermal LVT (a P6 has no thermal sensor)", v);
    apic_update_intr(a);
}

static void write_svr(Lapic *a, uint32_t v)
{
    a->svr = v & 0x3FF;
    if (!sw_enabled(a))
        for (int i = 0; i < LVT_COUNT; i++)
            a->lvt[i] |= APIC_LVT_MASKED;
    apic_update_intr(a);
}

void apic_reg_write(Lapic *a, uint32_t off, uint32_t v)
{
    unsigned r = (off >> 4) & 0x3F;
    if (r >= 0x32 && r <= 0x37) {
        write_lvt(a, (int)(r - 0x32), v);
        return;
    }
    switch (r) {
    case 0x02: a->id = (uint8_t)(v >> 24); break;
    case 0x08: a->tpr = (uint8_t)v; apic_update_intr(a); break;
    case 0x0B: eoi(a); break;
    case 0x0D: a->ldr = v & 0xFF000000u; break;
    case 0x0E: a->dfr = (v & 0xF0000000u) | 0x0FFFFFFFu; break;
    case 0x0F: write_svr(a, v); break;
    case 0x28: a->esr = a->esr_pending; a->esr_pending = 0; break;
    case 0x30: a->icr_lo = v & 0x000CCFFFu; send_icr(a); break;   /* status reads idle */
    case 0x31: a->icr_hi = v & 0xFF000000u; break;
    case 0x38:
        a->timer_initial = v;
        a->timer_start_ns = clock_ns(a->bus->clock);
        timer_rearm(a);
        break;
    case 0x3E: timer_set_divide(a, v); break;
    case 0x03: case 0x09: case 0x0A: case 0x0C: case 0x39:
        break;   /* read-only */
    default:
        if (r < 0x10 || r > 0x27)   /* ISR, TMR, IRR: read-only, quietly */
            raise_error(a, ESR_ILLEGAL_REG);
        break;
    }
}

/* --- reset and INIT --- */

static void reset_registers(Lapic *a)
{
    a->extint_pending = false;
    a->tpr = 0;
    a->ldr = 0;
    a->dfr = 0xFFFFFFFFu;
    a->svr = 0xFF;
    memset(a->isr, 0, sizeof a->isr);
    memset(a->irr, 0, sizeof a->irr);
    memset(a->tmr, 0, sizeof a->tmr);
    a->esr = a->esr_pending = 0;
    a->icr_lo = a->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        a->lvt[i] = APIC_LVT_MASKED;
    a->timer_initial = 0;
    a->timer_divide = 0;
    a->timer_start_ns = 0;
    timer_del(&a->timer);
}

void apic_reset(Lapic *a)
{
    reset_registers(a);
    a->id = (uint8_t)a->index;
    /* The BSP's LINT0 starts in ExtINT mode, as QEMU's does: the 8259
     * reaches the CPU before any firmware touched the APIC. */
    if (a->index == 0)
        a->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
    a->wait_sipi = a->index != 0;   /* APs wait for a start-up IPI */
    a->sipi_pending = false;
    a->init_pending = false;
    a->cpu->msr.apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
                            (a->index == 0 ? APIC_BASE_BSP : 0);
    apic_bus_remap(a->bus);
    apic_update_intr(a);
}

void apic_init_ipi(Lapic *a)
{
    if (svm_init_defer(a->cpu)) {
        /* GIF clear or a guest intercepting INIT: nothing happens yet
         * (apic_cpu_startup looks again before the CPU runs on). */
        a->cpu->init_held = true;
        a->cpu->stop_request = true;
        return;
    }
    uint8_t id = a->id;
    reset_registers(a);
    a->id = id;
    a->init_pending = true;             /* the machine resets the CPU */
    a->wait_sipi = a->index != 0;       /* the BSP restarts at the reset vector */
    a->sipi_pending = false;
    a->cpu->stop_request = true;        /* it may be the CPU running now */
    apic_update_intr(a);
}

bool apic_cpu_startup(Lapic *a)
{
    if (a->cpu->init_held && svm_init_release(a->cpu)) {
        a->cpu->init_held = false;
        apic_init_ipi(a);
    }
    if (a->init_pending) {
        a->init_pending = false;
        uint64_t base = a->cpu->msr.apic_base;
        cpu_reset(a->cpu);
        a->cpu->msr.apic_base = base;   /* INIT leaves IA32_APIC_BASE alone */
        apic_update_intr(a);
    }
    if (a->sipi_pending) {
        a->sipi_pending = false;
        cpu_start_at(a->cpu, (uint16_t)(a->sipi_vector << 8));
    }
    return !a->wait_sipi;
}

/* --- machine state --- */

static const StateField apic_fields[] = {
    SF_FIELD(Lapic, id, SF_U8),
    SF_FIELD(Lapic, tpr, SF_U8),
    SF_FIELD(Lapic, ldr, SF_U32),
    SF_FIELD(Lapic, dfr, SF_U32),
    SF_FIELD(Lapic, svr, SF_U32),
    SF_ARRAY(Lapic, isr, SF_U32, 8),
    SF_ARRAY(Lapic, irr, SF_U32, 8),
    SF_ARRAY(Lapic, tmr, SF_U32, 8),
    SF_FIELD(Lapic, esr, SF_U32),
    SF_FIELD(Lapic, esr_pending, SF_U32),
    SF_FIELD(Lapic, icr_lo, SF_U32),
    SF_FIELD(Lapic, icr_hi, SF_U32),
    SF_ARRAY(Lapic, lvt, SF_U32, LVT_COUNT),
    SF_FIELD(Lapic, timer_initial, SF_U32),
    SF_FIELD_MAX(Lapic, timer_divide, SF_U32, 0xB),
    SF_FIELD(Lapic, timer_start_ns, SF_U64),
    SF_FIELD(Lapic, timer, SF_TIMER),
    SF_FIELD(Lapic, pic_intr, SF_BOOL),
    SF_FIELD(Lapic, lint1, SF_BOOL),
    SF_FIELD(Lapic, wait_sipi, SF_BOOL),
    SF_FIELD(Lapic, init_pending, SF_BOOL),
    SF_FIELD(Lapic, sipi_pending, SF_BOOL),
    SF_FIELD(Lapic, sipi_vector, SF_U8),
    { "extint_pending", SF_BOOL, offsetof(Lapic, extint_pending), 1, 0, 0, 2 },
};

static void apic_desc_reset(void *dev)
{
    apic_reset(dev);
}

static bool apic_post_load(void *dev, char *err, size_t errlen)
{
    Lapic *a = dev;
    (void)err;
    (void)errlen;
    apic_bus_remap(a->bus);
    apic_update_intr(a);
    return true;
}

static void apic_info(void *dev, FILE *out)
{
    Lapic *a = dev;
    fprintf(out, "APIC %d: id %u, base 0x%08llX%s%s, TPR %02X PPR %02X, SVR %03X, ESR %02X\n",
            a->index, a->id, (unsigned long long)a->cpu->msr.apic_base,
            apic_hw_enabled(a) ? "" : " (disabled)", a->wait_sipi ? ", waiting for SIPI" : "",
            a->tpr, processor_priority(a), a->svr, a->esr);
    fprintf(out, "  highest IRR %d, ISR %d; LVT timer %05X LINT0 %05X LINT1 %05X error %05X\n",
            vec_highest(a->irr), vec_highest(a->isr), a->lvt[LVT_TIMER], a->lvt[LVT_LINT0],
            a->lvt[LVT_LINT1], a->lvt[LVT_ERROR]);
    fprintf(out, "  timer: initial %u current %u divide %X, %llu expiries\n", a->timer_initial,
            timer_current(a), a->timer_divide, (unsigned long long)a->timer_fires);
    if (a->extint_pending || a->smi_ignored)
        fprintf(out, "  ExtINT pending: %s; SMI messages ignored (no SMM): %llu\n",
                a->extint_pending ? "yes" : "no", (unsigned long long)a->smi_ignored);
}

const DeviceDesc apic_desc = {
    .kind = "apic",
    .version = 2,   /* 2: extint_pending */
    .fields = apic_fields,
    .n_fields = sizeof apic_fields / sizeof apic_fields[0],
    .reset = apic_desc_reset,
    .post_load = apic_post_load,
    .info = apic_info,
};

/* Clearing the global enable returns the APIC to its power-on state
 * (only a reset brings it back in hardware; software may set the bit
 * again here, and finds the reset registers). */
void apic_base_written(void *opaque)
{
    Lapic *a = opaque;
    if (!apic_hw_enabled(a)) {
        uint8_t id = a->id;
        reset_registers(a);
        a->id = id;
    }
    apic_bus_remap(a->bus);
    apic_update_intr(a);
}

void apic_timer_attach(Lapic *a, Clock *clock)
{
    timer_init(&a->timer, clock, timer_expired, a);
}
