/* SPDX-License-Identifier: MIT */
/* Breakpoints, watchpoints and steps behind the CPU's debugger hooks (see
 * breakpoints.h). */
#include "debug/breakpoints.h"

#include <stddef.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"
#include "iodev/portbus.h"

typedef struct Break {
    int id;
    DbgOwner owner;
    int type;           /* BP_SOFT / BP_HARD: linear; BP_PHYS: physical */
    uint64_t addr;
    uint64_t hits;
} Break;

typedef struct Watch {
    int id;
    DbgOwner owner;
    int type;           /* WATCH_* */
    uint32_t addr, len; /* linear range */
    uint64_t hits;
} Watch;

typedef struct PortWatch {
    int id;
    DbgOwner owner;
    uint16_t first, last;
    uint64_t hits;
} PortWatch;

struct DebugPoints {
    Cpu *cpu;               /* the CPU running now (set by the hooks that are given it) */
    Cpu *cpus[DBG_MAX_CPUS];   /* every CPU whose hooks these are (-smp) */
    int n_cpus;
    Cpu *focus;             /* the CPU a step steps */
    Cpu *last_stop;         /* the CPU that stopped last */
    Cpu *resume_cpu;        /* whose resume point resume_icount/eip are */
    CpuDebugger hooks;
    int refs;
    int next_id;
    Break bp[DBG_MAX_BREAK];
    int n_bp, n_phys_bp;
    Watch wp[DBG_MAX_WATCH];
    int n_wp;
    PortWatch pw[DBG_MAX_PORT_WATCH];
    int n_pw;
    bool watch_changed;     /* the TLB must be refilled before running */
    /* The step in progress, and where the guest was resumed: no breakpoint
     * is reported there (a front end steps over the one at the PC), and a
     * step ends as soon as the CPU is anywhere else. */
    bool stepping;
    DbgOwner step_owner;
    uint64_t resume_icount;
    uint32_t resume_eip;
    /* A hook stopped the CPU: the owner's front end takes it. */
    bool hit;
    DbgOwner hit_owner;
    DbgStop stop;
    bool suspended;         /* reverse execution runs history again */
    bool stop_next;         /* stop before the next instruction executed */
    /* Reverse execution's scan for the last hit: hits of scan_owner's
     * points are noted, the CPU does not stop. */
    bool scanning;
    DbgOwner scan_owner;
    bool scan_hit;
    uint64_t scan_pos;
    DbgStop scan_stop;
};

/* ======== the hooks ======== */

static bool at_resume_point(const DebugPoints *d, const Cpu *cpu)
{
    return cpu == d->resume_cpu && cpu->icount == d->resume_icount && cpu->eip == d->resume_eip;
}

static void record_hit(DebugPoints *d, DbgOwner owner, DbgStop stop)
{
    stop.cpu = d->cpu;
    d->hit = true;
    d->hit_owner = owner;
    d->stop = stop;
    d->last_stop = d->focus = d->cpu;
}

/* The breakpoint at CS:EIP, linear or physical, or -1. */
static int break_here(const DebugPoints *d, Cpu *cpu)
{
    uint32_t lin = cpu->seg[SEG_CS].base + cpu->eip;
    uint64_t phys = 0;
    bool have_phys = d->n_phys_bp && cpu_translate_debug(cpu, lin, &phys);
    for (int i = 0; i < d->n_bp; i++) {
        const Break *b = &d->bp[i];
        if (b->type == BP_PHYS ? have_phys && b->addr == phys : b->addr == lin)
            return i;
    }
    return -1;
}

/* Would the CPU take an interrupt at this boundary (take_interrupt's
 * test)? Then the instruction executed next is the handler's. */
static bool interrupt_due(const Cpu *cpu)
{
    return !cpu->inhibit_irq && ((cpu->nmi_pending && !cpu->nmi_blocked) ||
                                 (cpu->intr && (cpu->eflags & FLAG_IF)));
}

/* Where the instruction now running lies, in executed instructions: its
 * block was counted whole on entry (exec_enter_block), so the block's
 * instructions from this one on come off. An access outside a block (an
 * interrupt's stack frame) belongs to the boundary before the next one. */
static uint64_t running_insn_position(const Cpu *cpu)
{
    const Block *b = cpu->cur_block;
    uint64_t at = cpu->icount - 1;
    if (b) {
        uint32_t off = cpu->eip - cpu->block_eip;
        unsigned done = 0;
        while (done < b->n && b->insns[done].eip_off < off)
            done++;
        at = cpu->icount - (uint64_t)(b->n - done);
    }
    return at - cpu->idle_insns;
}

static void note_scan_hit(DebugPoints *d, uint64_t pos, DbgStop stop)
{
    d->scan_hit = true;
    d->scan_pos = pos;
    d->scan_stop = stop;
}

/* A breakpoint of the scan's owner at CS:EIP is noted; the CPU goes on. */
static bool scan_stop_before(DebugPoints *d, Cpu *cpu)
{
    int i = break_here(d, cpu);
    if (i >= 0 && d->bp[i].owner == d->scan_owner)
        note_scan_hit(d, cpu->icount - cpu->idle_insns,
                      (DbgStop){ .kind = DSTOP_BREAK, .id = d->bp[i].id, .type = d->bp[i].type,
                                 .addr = (uint32_t)d->bp[i].addr });
    return false;
}

static bool hook_stop_before(void *opaque, Cpu *cpu)
{
    DebugPoints *d = opaque;
    d->cpu = cpu;
    if (d->scanning)
        return scan_stop_before(d, cpu);
    if (d->stop_next) {
        if (interrupt_due(cpu))
            return false;
        d->stop_next = false;
        record_hit(d, d->step_owner, (DbgStop){ .kind = DSTOP_STEP });
        return true;
    }
    if (at_resume_point(d, cpu))
        return false;
    if (d->stepping && cpu == d->focus) {
        record_hit(d, d->step_owner, (DbgStop){ .kind = DSTOP_STEP });
        return true;
    }
    int i = break_here(d, cpu);
    if (i < 0)
        return false;
    Break *b = &d->bp[i];
    b->hits++;
    record_hit(d, b->owner, (DbgStop){ .kind = DSTOP_BREAK, .id = b->id, .type = b->type,
                                       .addr = (uint32_t)b->addr });
    return true;
}

static bool watch_overlaps(const Watch *w, uint32_t lin, uint32_t len)
{
    return (uint64_t)lin < (uint64_t)w->addr + w->len && (uint64_t)w->addr < (uint64_t)lin + len;
}

/* The access completes; the CPU stops after this instruction, as an x86
 * data breakpoint traps. */
static void hook_data_access(void *opaque, Cpu *cpu, uint32_t lin, unsigned size, bool write)
{
    DebugPoints *d = opaque;
    if (d->hit || d->suspended)
        return;
    d->cpu = cpu;
    for (int i = 0; i < d->n_wp; i++) {
        Watch *w = &d->wp[i];
        bool kind = w->type == WATCH_ACCESS || (w->type == WATCH_WRITE) == write;
        if (!kind || !watch_overlaps(w, lin, size))
            continue;
        DbgStop st = { .kind = DSTOP_WATCH, .id = w->id, .type = w->type,
                       .addr = lin > w->addr ? lin : w->addr, .write = write };
        if (d->scanning) {
            if (w->owner == d->scan_owner)
                note_scan_hit(d, running_insn_position(cpu), st);
            continue;
        }
        w->hits++;
        record_hit(d, w->owner, st);
        cpu->stop_request = true;
        return;
    }
}

static bool hook_page_watched(void *opaque, uint32_t lin)
{
    const DebugPoints *d = opaque;
    for (int i = 0; i < d->n_wp && !d->suspended; i++)
        if (watch_overlaps(&d->wp[i], lin & ~0xFFFu, 0x1000))
            return true;
    return false;
}

/* Does any physical breakpoint lie in [lin, lin + len)? The block may span
 * two pages: both are translated. */
static bool phys_break_in(const DebugPoints *d, uint32_t lin, uint32_t len)
{
    uint32_t last = len && lin + (len - 1) >= lin ? lin + (len - 1) : 0xFFFFFFFFu;
    for (uint32_t from = lin;; ) {
        uint32_t to = (from | 0xFFFu) < last ? (from | 0xFFFu) : last;
        uint64_t phys;
        if (cpu_translate_debug(d->cpu, from, &phys))
            for (int i = 0; i < d->n_bp; i++)
                if (d->bp[i].type == BP_PHYS && d->bp[i].addr - phys <= (uint64_t)(to - from))
                    return true;
        if (to == last)
            return false;
        from = to + 1;
    }
}

/* Could the block at [lin, lin + len) hold an IN, OUT, INS or OUTS? Their
 * opcode bytes anywhere in it say maybe (a byte inside another instruction
 * counts too): never a miss, and a block without one may run whole while
 * ports are watched. */
static bool block_may_do_io(const DebugPoints *d, uint32_t lin, uint32_t len)
{
    for (uint32_t done = 0; done < len;) {
        uint32_t at = lin + done;
        uint32_t n = 0x1000u - (at & 0xFFFu);
        if (n > len - done)
            n = len - done;
        uint64_t phys;
        if (!cpu_translate_debug(d->cpu, at, &phys))
            return true;
        const uint8_t *page = phys_page_host(d->cpu->mem, phys & ~0xFFFull, false);
        if (!page)
            return true;
        const uint8_t *p = page + (phys & 0xFFFu);
        for (uint32_t i = 0; i < n; i++) {
            uint8_t op = p[i] & 0xFCu;
            if (op == 0xE4 || op == 0xEC || op == 0x6C)   /* E4-E7, EC-EF, 6C-6F */
                return true;
        }
        done += n;
    }
    return false;
}

/* Breakpoints alone let blocks without one run whole, and port watches
 * blocks without port I/O; a step or a memory watchpoint needs the CPU to
 * stop after any instruction. */
static bool hook_block_clear(void *opaque, uint32_t lin, uint32_t len)
{
    const DebugPoints *d = opaque;
    if (d->stop_next)
        return false;
    /* A scan sees watched accesses through the slow path and port
     * accesses through the bus: only breakpoints need single instructions. */
    if (!d->scanning && (d->stepping || d->n_wp || (d->n_pw && block_may_do_io(d, lin, len))))
        return false;
    for (int i = 0; i < d->n_bp; i++)
        if (d->bp[i].type != BP_PHYS && d->bp[i].addr - lin < len)
            return false;
    return !d->n_phys_bp || !phys_break_in(d, lin, len);
}

/* Called by the port bus for every access while port watches exist. */
static void hook_port_access(void *opaque, uint16_t port, unsigned size, uint32_t value,
                             bool write)
{
    (void)value;
    DebugPoints *d = opaque;
    if (d->hit)
        return;
    for (int i = 0; i < d->n_pw; i++) {
        PortWatch *p = &d->pw[i];
        if ((uint32_t)port + size - 1 < p->first || port > p->last)
            continue;
        DbgStop st = { .kind = DSTOP_PORT, .id = p->id, .addr = port, .write = write };
        if (d->scanning) {
            if (p->owner == d->scan_owner)
                note_scan_hit(d, running_insn_position(d->cpu), st);
            continue;
        }
        p->hits++;
        record_hit(d, p->owner, st);
        d->cpu->stop_request = true;
        return;
    }
}

/* The CPU and the port bus call the hooks only when there is something to
 * look for. */
static void update_hooks(DebugPoints *d)
{
    bool active = d->stop_next || (!d->suspended && (d->stepping || d->n_bp > 0 ||
                                                     d->n_wp > 0 || d->n_pw > 0));
    if (d->scanning)
        active = d->n_bp > 0 || d->n_wp > 0 || d->n_pw > 0;
    for (int i = 0; i < d->n_cpus; i++) {
        d->cpus[i]->debugger_active = active;
        cpu_update_debug_state(d->cpus[i]);
    }
    Cpu *cpu = d->cpu;
    if (cpu->io) {
        if (d->n_pw && !d->suspended)
            portbus_add_observer(cpu->io, hook_port_access, d);
        else
            portbus_remove_observer(cpu->io, hook_port_access, d);
    }
    if (d->watch_changed) {
        /* Pages with a watchpoint must leave the fast path, and pages
         * without one may come back to it. */
        for (int i = 0; i < d->n_cpus; i++)
            tlb_flush_all(d->cpus[i]);
        d->watch_changed = false;
    }
}

/* ======== lifecycle ======== */

static DebugPoints *points_of(const Cpu *cpu)
{
    if (cpu->debugger && cpu->debugger->stop_before == hook_stop_before)
        return cpu->debugger->opaque;
    return NULL;
}

/* The hooks go on every CPU of the ring on this memory: the APs may have
 * come after the first front end acquired the BSP's. */
static void attach_ring(DebugPoints *d)
{
    Cpu *first = d->cpus[0], *c = first;
    do {
        bool known = false;
        for (int i = 0; i < d->n_cpus; i++)
            known |= d->cpus[i] == c;
        if (!known && d->n_cpus < DBG_MAX_CPUS) {
            d->cpus[d->n_cpus++] = c;
            c->debugger = &d->hooks;
        }
        c = c->next_sibling ? c->next_sibling : first;
    } while (c != first);
    update_hooks(d);
}

DebugPoints *dbg_acquire(Cpu *cpu)
{
    DebugPoints *d = points_of(cpu);
    if (d) {
        d->refs++;
        attach_ring(d);
        return d;
    }
    d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cpu = d->focus = d->last_stop = d->resume_cpu = d->cpus[0] = cpu;
    d->n_cpus = 1;
    d->refs = 1;
    d->next_id = 1;
    d->hooks = (CpuDebugger){ hook_stop_before, hook_data_access, hook_page_watched,
                              hook_block_clear, d };
    cpu->debugger = &d->hooks;
    attach_ring(d);
    return d;
}

void dbg_release(DebugPoints *d)
{
    if (!d || --d->refs > 0)
        return;
    if (d->cpus[0]->io)
        portbus_remove_observer(d->cpus[0]->io, hook_port_access, d);
    for (int i = 0; i < d->n_cpus; i++) {
        Cpu *cpu = d->cpus[i];
        cpu->debugger_active = false;
        cpu->debugger = NULL;
        cpu_update_debug_state(cpu);
        if (d->n_wp)
            tlb_flush_all(cpu);
    }
    free(d);
}

void dbg_set_focus(DebugPoints *d, Cpu *cpu)
{
    for (int i = 0; i < d->n_cpus; i++)
        if (d->cpus[i] == cpu)
            d->focus = cpu;
}

Cpu *dbg_stepping_cpu(const Cpu *any)
{
    const DebugPoints *d = points_of(any);
    return d && d->stepping && !d->suspended ? d->focus : NULL;
}

bool dbg_stop_pending(const Cpu *any)
{
    const DebugPoints *d = points_of(any);
    return d && d->hit;
}

/* ======== the lists ======== */

int dbg_add_break(DebugPoints *d, DbgOwner owner, int type, uint64_t addr)
{
    for (int i = 0; i < d->n_bp; i++)
        if (d->bp[i].owner == owner && d->bp[i].type == type && d->bp[i].addr == addr)
            return d->bp[i].id;
    if (d->n_bp == DBG_MAX_BREAK)
        return -1;
    d->bp[d->n_bp++] = (Break){ d->next_id, owner, type, addr, 0 };
    d->n_phys_bp += type == BP_PHYS;
    update_hooks(d);
    return d->next_id++;
}

int dbg_add_watch(DebugPoints *d, DbgOwner owner, int type, uint32_t addr, uint32_t len)
{
    if (len == 0 || len > DBG_MAX_WATCH_LEN || (uint64_t)addr + len > 0x100000000ull ||
        type < WATCH_WRITE || type > WATCH_ACCESS)
        return -2;
    for (int i = 0; i < d->n_wp; i++) {
        const Watch *w = &d->wp[i];
        if (w->owner == owner && w->type == type && w->addr == addr && w->len == len)
            return w->id;
    }
    if (d->n_wp == DBG_MAX_WATCH)
        return -1;
    d->wp[d->n_wp++] = (Watch){ d->next_id, owner, type, addr, len, 0 };
    d->watch_changed = true;
    update_hooks(d);
    return d->next_id++;
}

int dbg_add_port_watch(DebugPoints *d, DbgOwner owner, uint16_t first, uint16_t last)
{
    if (last < first)
        return -2;
    for (int i = 0; i < d->n_pw; i++)
        if (d->pw[i].owner == owner && d->pw[i].first == first && d->pw[i].last == last)
            return d->pw[i].id;
    if (d->n_pw == DBG_MAX_PORT_WATCH)
        return -1;
    d->pw[d->n_pw++] = (PortWatch){ d->next_id, owner, first, last, 0 };
    update_hooks(d);
    return d->next_id++;
}

/* Removal keeps the lists in id order, for listing. */
static void remove_break_at(DebugPoints *d, int i)
{
    d->n_phys_bp -= d->bp[i].type == BP_PHYS;
    for (int k = i + 1; k < d->n_bp; k++)
        d->bp[k - 1] = d->bp[k];
    d->n_bp--;
}

static void remove_watch_at(DebugPoints *d, int i)
{
    for (int k = i + 1; k < d->n_wp; k++)
        d->wp[k - 1] = d->wp[k];
    d->n_wp--;
    d->watch_changed = true;
}

static void remove_port_watch_at(DebugPoints *d, int i)
{
    for (int k = i + 1; k < d->n_pw; k++)
        d->pw[k - 1] = d->pw[k];
    d->n_pw--;
}

bool dbg_remove_break(DebugPoints *d, DbgOwner owner, int type, uint64_t addr)
{
    for (int i = 0; i < d->n_bp; i++) {
        if (d->bp[i].owner == owner && d->bp[i].type == type && d->bp[i].addr == addr) {
            remove_break_at(d, i);
            update_hooks(d);
            return true;
        }
    }
    return false;
}

bool dbg_remove_watch(DebugPoints *d, DbgOwner owner, int type, uint32_t addr, uint32_t len)
{
    for (int i = 0; i < d->n_wp; i++) {
        const Watch *w = &d->wp[i];
        if (w->owner == owner && w->type == type && w->addr == addr && w->len == len) {
            remove_watch_at(d, i);
            update_hooks(d);
            return true;
        }
    }
    return false;
}

bool dbg_remove_id(DebugPoints *d, DbgOwner owner, int id)
{
    bool found = false;
    for (int i = 0; i < d->n_bp && !found; i++)
        if (d->bp[i].owner == owner && d->bp[i].id == id) {
            remove_break_at(d, i);
            found = true;
        }
    for (int i = 0; i < d->n_wp && !found; i++)
        if (d->wp[i].owner == owner && d->wp[i].id == id) {
            remove_watch_at(d, i);
            found = true;
        }
    for (int i = 0; i < d->n_pw && !found; i++)
        if (d->pw[i].owner == owner && d->pw[i].id == id) {
            remove_port_watch_at(d, i);
            found = true;
        }
    if (found)
        update_hooks(d);
    return found;
}

void dbg_clear_owner(DebugPoints *d, DbgOwner owner)
{
    for (int i = d->n_bp - 1; i >= 0; i--)
        if (d->bp[i].owner == owner)
            remove_break_at(d, i);
    for (int i = d->n_wp - 1; i >= 0; i--)
        if (d->wp[i].owner == owner)
            remove_watch_at(d, i);
    for (int i = d->n_pw - 1; i >= 0; i--)
        if (d->pw[i].owner == owner)
            remove_port_watch_at(d, i);
    if (d->stepping && d->step_owner == owner)
        d->stepping = false;
    if (d->hit && d->hit_owner == owner)
        d->hit = false;
    update_hooks(d);
}

static int insert_sorted(DbgPoint *out, int n, int max, DbgPoint p)
{
    if (n == max)
        return n;
    int at = n;
    while (at > 0 && out[at - 1].id > p.id) {
        out[at] = out[at - 1];
        at--;
    }
    out[at] = p;
    return n + 1;
}

int dbg_list(const DebugPoints *d, DbgOwner owner, DbgPoint *out, int max)
{
    int n = 0;
    for (int i = 0; i < d->n_bp; i++)
        if (d->bp[i].owner == owner)
            n = insert_sorted(out, n, max, (DbgPoint){ d->bp[i].id, owner, DBG_BREAK,
                                                       d->bp[i].type, d->bp[i].addr, 1,
                                                       d->bp[i].hits });
    for (int i = 0; i < d->n_wp; i++)
        if (d->wp[i].owner == owner)
            n = insert_sorted(out, n, max, (DbgPoint){ d->wp[i].id, owner, DBG_WATCH,
                                                       d->wp[i].type, d->wp[i].addr,
                                                       d->wp[i].len, d->wp[i].hits });
    for (int i = 0; i < d->n_pw; i++)
        if (d->pw[i].owner == owner)
            n = insert_sorted(out, n, max, (DbgPoint){ d->pw[i].id, owner, DBG_PORT, 0,
                                                       d->pw[i].first,
                                                       (uint32_t)(d->pw[i].last - d->pw[i].first + 1),
                                                       d->pw[i].hits });
    return n;
}

/* ======== run control ======== */

void dbg_resume(DebugPoints *d, DbgOwner owner, bool step)
{
    d->stepping = step;
    d->step_owner = owner;
    /* A step leaves the focus CPU's instruction; a continue the one where
     * the last stop was (a breakpoint there is stepped over). */
    d->resume_cpu = step ? d->focus : d->last_stop;
    d->resume_icount = d->resume_cpu->icount;
    d->resume_eip = d->resume_cpu->eip;
    d->hit = false;
    update_hooks(d);
}

bool dbg_take_stop(DebugPoints *d, DbgOwner owner, DbgStop *out)
{
    if (!d->hit || d->hit_owner != owner)
        return false;
    d->hit = false;
    *out = d->stop;
    if (d->stepping && d->step_owner == owner) {
        /* The step is over: blocks may run whole again. */
        d->stepping = false;
        update_hooks(d);
    }
    return true;
}

/* ======== reverse execution ======== */

void dbg_suspend(DebugPoints *d, bool suspended)
{
    d->suspended = suspended;
    if (!suspended) {
        /* Back on after a travel: a pending stop_next is void, and the
         * guest resumes from nowhere in particular (a breakpoint at the
         * state the travel restored counts). */
        d->stop_next = false;
        d->resume_icount = UINT64_MAX;
    }
    d->watch_changed = true;   /* watched pages leave or rejoin the fast path */
    update_hooks(d);
}

void dbg_stop_next(DebugPoints *d, DbgOwner owner)
{
    d->stop_next = true;
    d->step_owner = owner;
    d->hit = false;
    update_hooks(d);
}

bool dbg_take_any(DebugPoints *d, DbgStop *out, DbgOwner *owner)
{
    if (!d->hit)
        return false;
    d->hit = false;
    *out = d->stop;
    *owner = d->hit_owner;
    update_hooks(d);   /* a stop_next that fired: blocks run whole again */
    return true;
}

void dbg_scan_begin(DebugPoints *d, DbgOwner owner)
{
    d->scanning = true;
    d->scan_owner = owner;
    d->scan_hit = false;
    d->suspended = false;
    d->stepping = false;
    d->hit = false;
    d->watch_changed = true;
    update_hooks(d);
}

bool dbg_scan_end(DebugPoints *d, uint64_t *pos, DbgStop *stop)
{
    d->scanning = false;
    update_hooks(d);
    if (!d->scan_hit)
        return false;
    *pos = d->scan_pos;
    *stop = d->scan_stop;
    return true;
}
