/* SPDX-License-Identifier: MIT */
/* The tracer: setup, the hooks, and the text and binary sinks. */
#include "debug/trace_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "iodev/portbus.h"

static const struct { const char *name; unsigned bit; } item_names[] = {
    { "exec", TRACE_EXEC }, { "cpu", TRACE_CPU }, { "int", TRACE_INT },
    { "io", TRACE_IO },     { "mmu", TRACE_MMU },
};

unsigned trace_item_bit(const char *name)
{
    for (size_t i = 0; i < sizeof item_names / sizeof item_names[0]; i++)
        if (!strcmp(name, item_names[i].name))
            return item_names[i].bit;
    return 0;
}

bool trace_items_parse(const char *list, unsigned *bits, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *bits = 0;
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        unsigned b = trace_item_bit(it);
        if (!b) {
            snprintf(err, errlen, "unknown trace item '%s' (exec, cpu, int, io, mmu)", it);
            return false;
        }
        *bits |= b;
    }
    if (!*bits) {
        snprintf(err, errlen, "empty trace item list");
        return false;
    }
    return true;
}

/* ======== setup ======== */

static void tracer_free(Tracer *t)
{
    flightrec_free(t->flight);
    free(t);
}

/* What the items ask of the CPU and the bus: the traced loop for
 * per-instruction records, the bus hook for port I/O. Called again when the
 * monitor changes the text items. */
static void tracer_apply(Tracer *t, PortBus *io)
{
    t->loop = ((t->text_items | t->bin_items) & (TRACE_EXEC | TRACE_CPU)) || t->flight;
    t->fast_next = (t->bin_items & TRACE_EXEC) && !(t->bin_items & TRACE_CPU) &&
                   !(t->text_items & (TRACE_EXEC | TRACE_CPU));
    for (int i = 0; i < t->n_cpus; i++)
        t->cpus[i]->trace_loop = t->loop;
    if ((t->text_items | t->bin_items) & TRACE_IO)
        portbus_add_observer(io, trace_io, t);
    else
        portbus_remove_observer(io, trace_io, t);
}

bool trace_setup(Cpu *cpu, PortBus *io, const TraceConfig *cfg, char *err, size_t errlen)
{
    if (!cfg->text_items && !cfg->file && !cfg->flight_insns)
        return true;
    Tracer *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory for the tracer");
        return false;
    }
    t->cpu = t->cpus[0] = cpu;
    t->n_cpus = 1;
    t->text = cfg->log ? cfg->log : stderr;
    t->text_items = cfg->text_items;
    t->pending_ext = -1;
    t->last_idx = -1;
    trace_filter_init(&t->filter);
    if (cfg->filter && !trace_filter_parse(&t->filter, cfg->filter, err, errlen)) {
        tracer_free(t);
        return false;
    }
    if (cfg->file) {
        unsigned items = TRACE_EXEC | TRACE_INT | TRACE_IO | TRACE_MMU;
        if (cfg->file_items && !trace_items_parse(cfg->file_items, &items, err, errlen)) {
            tracer_free(t);
            return false;
        }
        if (items & TRACE_CPU)
            items |= TRACE_EXEC;   /* registers belong to instruction records */
        t->bin = trace_writer_open(cfg->file, items, err, errlen);
        if (!t->bin) {
            tracer_free(t);
            return false;
        }
        t->bin_items = items;
    }
    if (cfg->flight_insns) {
        t->flight = flightrec_new(cfg->flight_insns, cfg->flight_dump_on, err, errlen);
        if (!t->flight) {
            trace_writer_close(t->bin);
            tracer_free(t);
            return false;
        }
    }
    t->step[1] = (Insn){ .fn = trace_step_end };
    cpu->tracer = t;
    tracer_apply(t, io);
    if (t->flight)
        flightrec_install_signals(cpu, cfg->log);
    return true;
}

bool trace_teardown(Cpu *cpu, PortBus *io)
{
    Tracer *t = cpu->tracer;
    if (!t)
        return true;
    if (t->flight)
        flightrec_remove_signals();
    if (io)
        portbus_remove_observer(io, trace_io, t);
    for (int i = 0; i < t->n_cpus; i++) {
        t->cpus[i]->tracer = NULL;
        t->cpus[i]->trace_loop = false;
    }
    fflush(t->text);
    bool ok = trace_writer_close(t->bin);
    tracer_free(t);
    return ok;
}

void trace_add_cpu(Cpu *bsp, Cpu *cpu, int index)
{
    Tracer *t = bsp->tracer;
    if (!t || index <= 0 || index >= TRACE_MAX_CPUS)
        return;
    if (!t->cpu_tag) {
        /* A multiprocessor: CPU 0's records are tagged too, from the start. */
        t->cpu_tag = 1;
        if (t->bin)
            tw_cpu(t->bin, 0);
        if (t->flight)
            flightrec_set_cpu(t->flight, 1);
    }
    t->cpus[index] = cpu;
    if (index >= t->n_cpus)
        t->n_cpus = index + 1;
    cpu->tracer = t;
    cpu->trace_loop = t->loop;
}

void trace_cpu_switch(Cpu *cpu)
{
    Tracer *t = cpu->tracer;
    if (t->cpu == cpu)
        return;
    int index = 0;
    while (index < t->n_cpus && t->cpus[index] != cpu)
        index++;
    t->cpu = cpu;
    t->cpu_tag = (uint8_t)(index + 1);
    /* The block state was the other CPU's: start afresh. */
    t->blk = NULL;
    t->blk_sent = false;
    t->last_idx = -1;
    t->pending_ext = -1;
    if (t->bin)
        tw_cpu(t->bin, (unsigned)index);
    if (t->flight)
        flightrec_set_cpu(t->flight, t->cpu_tag);
}

bool trace_set_text(Cpu *cpu, PortBus *io, unsigned items, FILE *log, char *err,
                    size_t errlen)
{
    Tracer *t = cpu->tracer;
    if (!t) {
        TraceConfig cfg = { .text_items = items, .log = log };
        return trace_setup(cpu, io, &cfg, err, errlen);
    }
    if (!items && !t->bin && !t->flight)
        return trace_teardown(cpu, io);   /* nothing else traced: back to the plain loop */
    fflush(t->text);
    t->text_items = items;
    tracer_apply(t, io);
    return true;
}

unsigned trace_text_items(const Cpu *cpu)
{
    return cpu->tracer ? cpu->tracer->text_items : 0;
}

/* ======== common helpers ======== */

void trace_read_regs(const Cpu *cpu, TraceRegs *r)
{
    for (int i = 0; i < 8; i++)
        r->v[i] = cpu->gpr[i];
    r->v[TRACE_REG_EFLAGS] = flags_read(cpu);
    static const uint8_t segs[5] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
    for (int i = 0; i < 5; i++)
        r->v[TRACE_REG_SEG0 + i] = cpu->seg[segs[i]].sel;
}

static uint8_t mode_bits(const Cpu *cpu)
{
    return (uint8_t)((cpu_pe(cpu) ? TRACE_MODE_PE : 0) | (cpu_v86(cpu) ? TRACE_MODE_V86 : 0) |
                     ((cpu->cr0 & CR0_PG) ? TRACE_MODE_PG : 0) |
                     ((unsigned)cpu->cpl << TRACE_MODE_CPL_SHIFT) |
                     (cpu->code32 ? TRACE_MODE_CODE32 : 0));
}

/* The instruction count of the instruction running now: exact in the
 * traced loop; from the block position in the normal one, which counts a
 * whole block at entry. */
static uint64_t icount_now(const Tracer *t, const Cpu *cpu)
{
    if (t->loop)
        return t->icount_now;
    const Block *b = cpu->cur_block;
    if (!b)
        return cpu->icount;
    uint32_t off = cpu->eip - cpu->block_eip;
    unsigned done = 0;
    while (done < b->n && b->insns[done].eip_off < off)
        done++;
    return cpu->icount - b->n + done;
}

static void where_now(const Tracer *t, const Cpu *cpu, TraceWhere *at)
{
    at->icount = icount_now(t, cpu);
    at->cs = cpu->seg[SEG_CS].sel;
    at->eip = cpu->eip;
    at->cpu_tag = t->cpu_tag;
}

static bool event_passes(const Tracer *t, const Cpu *cpu, const TraceEvent *ev, unsigned cls)
{
    return trace_filter_class(&t->filter, cls) &&
           trace_filter_where(&t->filter, cpu->seg[SEG_CS].base + cpu->eip, cpu->cpl,
                              ev->at.icount);
}

static void emit_event(Tracer *t, const TraceEvent *ev, unsigned item)
{
    if (t->text_items & item) {
        char line[256];
        trace_fmt_event(line, sizeof line, ev);
        fprintf(t->text, "%s\n", line);
    }
    if (t->bin_items & item)
        tw_event(t->bin, ev);
}

/* ======== hooks ======== */

void trace_external(Cpu *cpu, bool nmi)
{
    Tracer *t = cpu->tracer;
    t->pending_ext = nmi ? TRACE_INT_NMI : TRACE_INT_IRQ;
}

void trace_interrupt(Cpu *cpu, int vector, uint32_t err, bool soft)
{
    Tracer *t = cpu->tracer;
    int kind = t->pending_ext >= 0 ? t->pending_ext : soft ? TRACE_INT_SOFT : TRACE_INT_EXCEPTION;
    t->pending_ext = -1;
    if (kind == TRACE_INT_EXCEPTION && t->flight && flightrec_dumps_on(t->flight, vector)) {
        char why[64];
        snprintf(why, sizeof why, "exception 0x%02X", vector);
        flightrec_dump_why(cpu, t->text, why);
    }
    if (!((t->text_items | t->bin_items) & TRACE_INT))
        return;
    TraceEvent ev = { .type = REC_INT, .kind = (uint8_t)kind, .vector = (uint8_t)vector,
                      .cpl = cpu->cpl, .err = err };
    where_now(t, cpu, &ev.at);
    if (event_passes(t, cpu, &ev, TRACE_CLASS_INTS))
        emit_event(t, &ev, TRACE_INT);
}

void trace_mmu(Cpu *cpu, unsigned kind, unsigned access, uint32_t lin, uint64_t value)
{
    Tracer *t = cpu->tracer;
    if (!((t->text_items | t->bin_items) & TRACE_MMU))
        return;
    TraceEvent ev = { .type = REC_MMU, .kind = (uint8_t)kind, .access = (uint8_t)access,
                      .value = lin, .value64 = value };
    where_now(t, cpu, &ev.at);
    if (event_passes(t, cpu, &ev, TRACE_CLASS_MMU))
        emit_event(t, &ev, TRACE_MMU);
}

void trace_io(void *opaque, uint16_t port, unsigned size, uint32_t value, bool write)
{
    Tracer *t = opaque;
    Cpu *cpu = t->cpu;
    TraceEvent ev = { .type = REC_IO, .kind = (uint8_t)((write ? 1 : 0) | (size << 1)),
                      .port = port, .value = value };
    where_now(t, cpu, &ev.at);
    if (event_passes(t, cpu, &ev, TRACE_CLASS_IO))
        emit_event(t, &ev, TRACE_IO);
}

void trace_triple(Tracer *t, Cpu *cpu)
{
    if (t->flight)
        flightrec_dump_why(cpu, t->text, "triple fault");
    if (!((t->text_items | t->bin_items) & TRACE_INT))
        return;
    TraceEvent ev = { .type = REC_TRIPLE };
    where_now(t, cpu, &ev.at);
    emit_event(t, &ev, TRACE_INT);
}

/* ======== instructions ======== */

/* The bytes of a block that was not cached (single-stepped, across a page,
 * from MMIO): read again through the page tables, without faulting. */
static void copy_uncached_bytes(Tracer *t, Cpu *cpu, const Block *b)
{
    uint32_t lin = t->blk_lin;
    unsigned n = b->bytes < sizeof t->blk_copy ? b->bytes : sizeof t->blk_copy;
    for (unsigned i = 0; i < n; i++) {
        uint64_t phys;
        t->blk_copy[i] = cpu_translate_debug(cpu, lin + i, &phys)
                             ? (uint8_t)phys_read(cpu->mem, phys, 1) : 0xFF;
    }
    t->blk_bytes = t->blk_copy;
}

const uint8_t *trace_block_bytes(Tracer *t, Cpu *cpu)
{
    if (t->blk_bytes)
        return t->blk_bytes;
    const Block *b = t->blk;
    if (b->valid) {
        const uint8_t *page = phys_page_host(cpu->mem, b->phys & ~0xFFFull, false);
        if (page)
            return t->blk_bytes = page + (b->phys & 0xFFFu);
    }
    copy_uncached_bytes(t, cpu, b);
    return t->blk_bytes;
}

uint64_t trace_block_begin(Tracer *t, Cpu *cpu, const Block *b, uint64_t icount)
{
    t->blk = b;
    t->blk_lin = cpu->seg[SEG_CS].base + cpu->eip;
    t->blk_sent = false;
    t->blk_bytes = NULL;
    t->last_idx = -1;
    if (t->flight)
        trace_block_bytes(t, cpu);
    if (!((t->text_items | t->bin_items) & (TRACE_EXEC | TRACE_CPU)))
        return 0;
    const TraceFilter *f = &t->filter;
    uint64_t all = b->n >= 64 ? ~0ull : (1ull << b->n) - 1;
    if (!f->n_ranges && !f->classes && f->after <= icount && f->cpl_mask == 0xF)
        return all;
    if (f->classes && !(f->classes & TRACE_CLASS_BRANCHES))
        return 0;
    uint64_t mask = 0;
    for (unsigned i = 0; i < b->n; i++) {
        const Insn *in = &b->insns[i];
        if (f->classes && !trace_is_branch(in->opcode, in->reg))
            continue;
        if (trace_filter_where(f, t->blk_lin + in->eip_off, cpu->cpl, icount + i))
            mask |= 1ull << i;
    }
    return mask;
}

/* CODE for the current block, unless the reader has it already. */
static unsigned send_code(Tracer *t, Cpu *cpu)
{
    const Block *b = t->blk;
    struct SentBlock *s = &t->sent[((uintptr_t)b >> 4) & 1023];
    if (s->b == b && s->lin == t->blk_lin && s->epoch == cpu->chain_epoch &&
        tw_slot_unchanged(t->bin, s->slot, s->gen))
        return s->slot;
    uint8_t lens[TRACE_CODE_MAX_INSNS];
    unsigned n = b->n < TRACE_CODE_MAX_INSNS ? b->n : TRACE_CODE_MAX_INSNS;
    unsigned nbytes = 0;
    for (unsigned i = 0; i < n; i++) {
        lens[i] = b->insns[i].len;
        nbytes += lens[i];
    }
    if (nbytes > TRACE_CODE_MAX_BYTES)
        nbytes = TRACE_CODE_MAX_BYTES;   /* not reached: 64 x 15 bytes */
    unsigned slot = tw_code(t->bin, t->blk_lin, b->code32, n, lens, trace_block_bytes(t, cpu),
                            nbytes);
    *s = (struct SentBlock){ b, t->blk_lin, cpu->chain_epoch, tw_slot_gen(t->bin, slot),
                             (uint16_t)slot };
    return slot;
}

static void bin_insn(Tracer *t, Cpu *cpu, unsigned i)
{
    if ((int)i == t->last_idx + 1 && t->last_idx >= 0) {
        tw_next(t->bin);
    } else {
        if (!t->blk_sent) {
            tw_mode(t->bin, cpu->seg[SEG_CS].sel, cpu->seg[SEG_CS].base, mode_bits(cpu));
            t->blk_slot = send_code(t, cpu);
            t->blk_sent = true;
        }
        tw_enter(t->bin, t->blk_slot, i, t->icount_now);
    }
    t->last_idx = (int)i;
    if (t->bin_items & TRACE_CPU) {
        TraceRegs r;
        trace_read_regs(cpu, &r);
        tw_regs(t->bin, &r);
    }
}

static void text_insn(Tracer *t, Cpu *cpu, unsigned i)
{
    const Insn *in = &t->blk->insns[i];
    TraceWhere at = { t->icount_now, cpu->seg[SEG_CS].sel, cpu->eip, t->cpu_tag };
    char line[320];
    trace_fmt_insn(line, sizeof line, &at, trace_block_bytes(t, cpu) + in->eip_off, in->len,
                   t->blk->code32);
    fprintf(t->text, "%s\n", line);
    if (t->text_items & TRACE_CPU) {
        TraceRegs r;
        trace_read_regs(cpu, &r);
        trace_fmt_regs(line, sizeof line, &r);
        fprintf(t->text, "%s\n", line);
    }
}

void trace_insn(Tracer *t, Cpu *cpu, unsigned i)
{
    if (t->bin_items & TRACE_EXEC)
        bin_insn(t, cpu, i);
    if (t->text_items & (TRACE_EXEC | TRACE_CPU))
        text_insn(t, cpu, i);
}
