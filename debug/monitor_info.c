/* SPDX-License-Identifier: MIT */
/* Monitor commands: descriptor tables (info gdt/idt/ldt/tss), paging
 * (info tab, info tlb), devices (info pic/pit/cmos/slots), the screen
 * (info text, screendump), the flight recorder (flight). */
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "debug/flightrec.h"
#include "debug/monitor_int.h"
#include "gui/screendump.h"
#include "debug/monitor_pgtab.h"
#include "debug/trace.h"
#include "machine/cpus.h"
#include "machine/machine.h"

/* ======== descriptor tables ======== */

static bool is_gate(uint16_t attr)
{
    unsigned type = attr & DESC_TYPE_MASK;
    return !(attr & DESC_S) && (type == 4 || type == 5 || type == 6 || type == 7 || type == 12 ||
                                type == 14 || type == 15);
}

/* One 8-byte descriptor: a segment (base, limit, attributes) or a gate
 * (selector:offset). */
static void print_descriptor(Monitor *mon, const char *label, uint32_t lo, uint32_t hi)
{
    uint16_t attr = desc_flags(hi);
    /* In a gate the bits of G, D/B and AVL belong to the offset. */
    if (is_gate(attr))
        attr &= DESC_TYPE_MASK | DESC_S | DESC_DPL | DESC_P;
    char desc[64];
    mon_describe_attr(desc, sizeof desc, attr);
    fprintf(mon->out, "%s %08x%08x ", label, hi, lo);
    if (is_gate(attr)) {
        uint32_t offset = (hi & 0xFFFF0000u) | (lo & 0xFFFFu);
        unsigned type = attr & DESC_TYPE_MASK;
        if (type == 5)   /* a task gate has no offset */
            fprintf(mon->out, "tss 0x%04x (%s)\n", lo >> 16, desc);
        else
            fprintf(mon->out, "%04x:%08x (%s)\n", lo >> 16, offset, desc);
        return;
    }
    fprintf(mon->out, "base 0x%08x limit 0x%08x (%s)\n", desc_base(lo, hi), desc_limit(lo, hi),
            desc);
}

/* A descriptor table at linear base with limit: the non-null entries. */
static bool print_desc_table(Monitor *mon, uint32_t base, uint32_t limit, bool ldt)
{
    uint32_t entries = (limit + 1) / 8;
    if (entries > 8192)
        entries = 8192;
    fprintf(mon->out, "%s base 0x%08x limit 0x%x (%u entries)\n", ldt ? "LDT" : "GDT", base,
            limit, entries);
    for (uint32_t i = 0; i < entries; i++) {
        uint8_t raw[8];
        uint32_t bad;
        if (!mon_read_lin(mon, base + 8 * i, raw, 8, &bad))
            return mon_error(mon, "entry %u at linear 0x%08x is not readable", i, bad);
        uint32_t lo, hi;
        memcpy(&lo, raw, 4);
        memcpy(&hi, raw + 4, 4);
        if (!lo && !hi)
            continue;
        char label[24];
        snprintf(label, sizeof label, "%4u sel 0x%04x", i, i * 8 | (ldt ? 4 : 0));
        print_descriptor(mon, label, lo, hi);
    }
    return true;
}

static bool cmd_info_gdt(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cpu *cpu = mon_cpu(mon);
    return print_desc_table(mon, cpu->gdtr.base, cpu->gdtr.limit, false);
}

static bool cmd_info_ldt(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const SegCache *l = &mon_cpu(mon)->seg[SEG_LDTR];
    if (!(l->sel & 0xFFFC) || !(l->flags & DESC_P)) {
        fputs("no LDT loaded\n", mon->out);
        return true;
    }
    fprintf(mon->out, "ldtr 0x%04x\n", l->sel);
    return print_desc_table(mon, l->base, l->limit, true);
}

static bool cmd_info_idt(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cpu *cpu = mon_cpu(mon);
    bool real = cpu_realmode(cpu);
    uint32_t size = real ? 4 : 8, entries = (cpu->idtr.limit + 1) / size;
    if (entries > 256)
        entries = 256;
    fprintf(mon->out, "IDT base 0x%08x limit 0x%x (%s)\n", cpu->idtr.base, cpu->idtr.limit,
            real ? "real-mode vector table" : "gates");
    for (uint32_t v = 0; v < entries; v++) {
        uint8_t raw[8];
        uint32_t bad;
        if (!mon_read_lin(mon, cpu->idtr.base + size * v, raw, size, &bad))
            return mon_error(mon, "vector 0x%02x at linear 0x%08x is not readable", v, bad);
        uint32_t lo, hi = 0;
        memcpy(&lo, raw, 4);
        if (!real)
            memcpy(&hi, raw + 4, 4);
        if (real) {
            fprintf(mon->out, "0x%02x %04x:%04x\n", v, lo >> 16, lo & 0xFFFF);
            continue;
        }
        if (!lo && !hi)
            continue;
        char label[16];
        snprintf(label, sizeof label, "0x%02x", v);
        print_descriptor(mon, label, lo, hi);
    }
    return true;
}

/* The 32-bit TSS's fields, in memory order. */
static const struct { const char *name; unsigned off, size; } tss32_fields[] = {
    { "link", 0, 2 }, { "esp0", 4, 4 }, { "ss0", 8, 2 }, { "esp1", 12, 4 }, { "ss1", 16, 2 },
    { "esp2", 20, 4 }, { "ss2", 24, 2 }, { "cr3", 28, 4 }, { "eip", 32, 4 },
    { "eflags", 36, 4 }, { "eax", 40, 4 }, { "ecx", 44, 4 }, { "edx", 48, 4 },
    { "ebx", 52, 4 }, { "esp", 56, 4 }, { "ebp", 60, 4 }, { "esi", 64, 4 }, { "edi", 68, 4 },
    { "es", 72, 2 }, { "cs", 76, 2 }, { "ss", 80, 2 }, { "ds", 84, 2 }, { "fs", 88, 2 },
    { "gs", 92, 2 }, { "ldt", 96, 2 }, { "trap", 100, 2 }, { "iomap", 102, 2 },
};
static const struct { const char *name; unsigned off, size; } tss16_fields[] = {
    { "link", 0, 2 }, { "sp0", 2, 2 }, { "ss0", 4, 2 }, { "sp1", 6, 2 }, { "ss1", 8, 2 },
    { "sp2", 10, 2 }, { "ss2", 12, 2 }, { "ip", 14, 2 }, { "flags", 16, 2 }, { "ax", 18, 2 },
    { "cx", 20, 2 }, { "dx", 22, 2 }, { "bx", 24, 2 }, { "sp", 26, 2 }, { "bp", 28, 2 },
    { "si", 30, 2 }, { "di", 32, 2 }, { "es", 34, 2 }, { "cs", 36, 2 }, { "ss", 38, 2 },
    { "ds", 40, 2 }, { "ldt", 42, 2 },
};

static bool cmd_info_tss(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const SegCache *tr = &mon_cpu(mon)->seg[SEG_TR];
    if (!(tr->sel & 0xFFFC) || !(tr->flags & DESC_P)) {
        fputs("no task register loaded\n", mon->out);
        return true;
    }
    bool is32 = (tr->flags & DESC_TYPE_MASK) >= 9;
    uint8_t raw[104];
    uint32_t need = is32 ? 104 : 44, bad;
    fprintf(mon->out, "tr 0x%04x base 0x%08x limit 0x%x (%s TSS, %s)\n", tr->sel, tr->base,
            tr->limit, is32 ? "32-bit" : "16-bit", (tr->flags & 2) ? "busy" : "available");
    if (!mon_read_lin(mon, tr->base, raw, need, &bad))
        return mon_error(mon, "TSS at linear 0x%08x is not readable", bad);
    size_t n = is32 ? sizeof tss32_fields / sizeof tss32_fields[0]
                    : sizeof tss16_fields / sizeof tss16_fields[0];
    for (size_t i = 0; i < n; i++) {
        const char *name = is32 ? tss32_fields[i].name : tss16_fields[i].name;
        unsigned off = is32 ? tss32_fields[i].off : tss16_fields[i].off;
        unsigned size = is32 ? tss32_fields[i].size : tss16_fields[i].size;
        uint32_t v = 0;
        memcpy(&v, raw + off, size);
        fprintf(mon->out, "%-6s 0x%0*x%s", name, (int)(2 * size), v, i % 4 == 3 ? "\n" : "  ");
    }
    fputc('\n', mon->out);
    return true;
}

/* ======== paging ======== */

typedef struct TabCtx {
    Monitor *mon;
    unsigned runs;
} TabCtx;

static bool tab_read(void *ctx, uint64_t paddr, unsigned size, uint64_t *value)
{
    TabCtx *t = ctx;
    uint8_t raw[8] = { 0 };
    uint64_t bad;
    if (!mon_read_phys(t->mon->m, paddr, raw, size, &bad))
        return false;
    memcpy(value, raw, 8);
    if (size == 4)
        *value &= 0xFFFFFFFFu;
    return true;
}

static void tab_emit(void *ctx, const PgRun *r)
{
    TabCtx *t = ctx;
    const char *size = !(r->flags & PGRUN_LARGE) ? "4K" : mon_cpu(t->mon)->cr4 & CR4_PAE ? "2M"
                                                                                          : "4M";
    fprintf(t->mon->out, "%08x-%08llx -> %08llx-%08llx %s %s %s%s\n", r->lin,
            (unsigned long long)(r->lin + r->len - 1), (unsigned long long)r->phys,
            (unsigned long long)(r->phys + r->len - 1), size,
            (r->flags & PGRUN_RW) ? "rw" : "ro", (r->flags & PGRUN_USER) ? "user" : "sup",
            (r->flags & PGRUN_GLOBAL) ? " global" : "");
    t->runs++;
}

static bool cmd_info_tab(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cpu *cpu = mon_cpu(mon);
    if ((cpu->cr0 & (CR0_PG | CR0_PE)) != (CR0_PG | CR0_PE)) {
        fputs("paging is off: linear = physical\n", mon->out);
        return true;
    }
    PgWalkRegs regs = { .cr3 = cpu->cr3, .pse = (cpu->cr4 & CR4_PSE) != 0,
                        .pae = (cpu->cr4 & CR4_PAE) != 0, .pge = (cpu->cr4 & CR4_PGE) != 0 };
    memcpy(regs.pdpte, cpu->pdpte, sizeof regs.pdpte);
    fprintf(mon->out, "cr3 0x%08x, %s paging\n", cpu->cr3,
            regs.pae ? "PAE" : regs.pse ? "32-bit (PSE)" : "32-bit");
    TabCtx t = { mon, 0 };
    int unreadable = pg_walk(&regs, tab_read, tab_emit, &t);
    fprintf(mon->out, "%u run%s", t.runs, t.runs == 1 ? "" : "s");
    if (unreadable)
        fprintf(mon->out, "; %d table%s outside RAM skipped", unreadable,
                unreadable == 1 ? "" : "s");
    fputc('\n', mon->out);
    return true;
}

static bool cmd_info_tlb(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const char *const kinds[TLB_KINDS] = { "sup-read", "sup-write", "user-read",
                                                  "user-write" };
    const Cpu *cpu = mon_cpu(mon);
    fprintf(mon->out, "software TLB: %d direct-mapped tables of %u entries "
                      "(a read table also serves fetches)\n", TLB_KINDS, TLB_SIZE);
    for (int k = 0; k < TLB_KINDS; k++) {
        unsigned valid = 0;
        for (unsigned i = 0; i < TLB_SIZE; i++)
            valid += cpu->tlb[k][i].tag != TLB_EMPTY;
        fprintf(mon->out, "%s: %u valid\n", kinds[k], valid);
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            const TlbEntry *e = &cpu->tlb[k][i];
            if (e->tag == TLB_EMPTY)
                continue;
            fprintf(mon->out, "  %08x -> %08x%s%s%s\n", e->tag & ~0xFFFu, tlb_entry_phys(e),
                    (e->tag & TLB_SLOW) ? " slow" : "", (e->phys_flags & TLB_HOST) ? "" : " no-host",
                    tlb_entry_global(e) ? " global" : "");
        }
    }
    return true;
}

/* info svm: each CPU's world and, in a guest, its VMCB and ASID. */
static bool cmd_info_svm(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cpu *first = mon->m->cpu, *c = first;
    do {
        fprintf(mon->out, "cpu %u: ", c->apic_id);
        if (c->isa & ISA_SVM)
            svm_info(c, mon->out);
        else
            fprintf(mon->out, "no SVM (-cpu %s)\n", c->model->name);
        c = c->next_sibling;
    } while (c && c != first);
    return true;
}

/* ======== devices ======== */

static void print_pic_chip(Monitor *mon, const char *name, const Pic8259 *c)
{
    fprintf(mon->out, "%s: irr 0x%02x imr 0x%02x isr 0x%02x base 0x%02x elcr 0x%02x%s%s%s\n",
            name, c->irr, c->imr, c->isr, c->vector_base, c->elcr,
            c->init_step ? " (initialising)" : "", c->auto_eoi ? " auto-eoi" : "",
            c->special_fully_nested ? " sfnm" : "");
}

static bool cmd_info_pic(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const PicPair *p = &mon->m->pic;
    print_pic_chip(mon, "master", &p->chip[0]);
    print_pic_chip(mon, "slave ", &p->chip[1]);
    fprintf(mon->out, "INTR %s, %llu spurious\n", p->intr ? "raised" : "low",
            (unsigned long long)p->spurious);
    return true;
}

static bool cmd_info_pit(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    Pit *p = &mon->m->pit;
    static const char *const access[4] = { "latch", "lsb", "msb", "lsb/msb" };
    for (int i = 0; i < 3; i++) {
        const PitCounter *c = &p->c[i];
        uint32_t reload = c->reload ? c->reload : c->bcd ? 10000 : 65536;
        fprintf(mon->out, "counter %d: mode %u %s%s reload %u (%.1f Hz) gate %d out %d%s\n", i,
                c->mode, access[c->access & 3], c->bcd ? " bcd" : "", reload,
                (double)PIT_HZ / reload, c->gate, pit_output(p, i),
                c->counting ? "" : " (not counting)");
    }
    fprintf(mon->out, "port 0x61: 0x%02x\n", p->port61);
    return true;
}

static bool cmd_info_cmos(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cmos *c = &mon->m->cmos;
    for (int row = 0; row < 128; row += 16) {
        fprintf(mon->out, "%02x:", row);
        for (int i = 0; i < 16; i++)
            fprintf(mon->out, " %02x", cmos_get(c, (uint8_t)(row + i)));
        fputc('\n', mon->out);
    }
    fprintf(mon->out, "index 0x%02x, NMI %s\n", c->index, c->nmi_disabled ? "disabled" : "enabled");
    return true;
}

static bool cmd_info_slots(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    machine_list_slots(mon->m, mon->out);
    return true;
}

/* ======== the screen ======== */

static bool cmd_info_text(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!mon->m->has_vga)
        return mon_error(mon, "the machine has no display (-vga none)");
    static char text[16384];
    if (!vga_text_dump(&mon->m->vga, text, sizeof text))
        return mon_error(mon, "the VGA is in a graphics mode (screendump FILE.png)");
    fputs(text, mon->out);
    return true;
}

/* screendump FILE [-f png|ppm], QEMU's: the name's extension decides
 * unless -f does (.png PNG, anything else PPM). */
static bool cmd_screendump(Monitor *mon, int argc, char **argv)
{
    if (!mon->m->has_vga)
        return mon_error(mon, "the machine has no display (-vga none)");
    const char *file = NULL, *format = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc)
            format = argv[++i];
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            return mon_error(mon, "usage: screendump FILE [-f png|ppm]");
    }
    if (!file)
        return mon_error(mon, "usage: screendump FILE [-f png|ppm]");
    ScreendumpFormat fmt = screendump_format_of(file);
    if (format && !screendump_parse_format(format, &fmt))
        return mon_error(mon, "screendump: unknown format '%s' (png, ppm)", format);
    if (!machine_screendump_as(mon->m, file, fmt))
        return mon_error(mon, "screendump: cannot write %s", file);
    fprintf(mon->out, "wrote %s\n", file);
    return true;
}

/* ======== history ======== */

/* The flight recorder's ring (--flight-recorder N); it says so itself
 * when the recorder is off. */
static bool cmd_flight(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    flightrec_dump(mon->m->cpu, mon->out);
    return true;
}

/* trace [ITEMS|off]: the -d text items, switched while the machine runs
 * (to the -D file or kairo's stderr); without an argument, the items now. */
static bool cmd_trace(Monitor *mon, int argc, char **argv)
{
    Machine *m = mon->m;
    unsigned items = 0;
    char err[200];
    if (argc == 1 && strcmp(argv[0], "off") != 0 &&
        !trace_items_parse(argv[0], &items, err, sizeof err))
        return mon_error(mon, "%s", err);
    if (argc == 1 && !trace_set_text(m->cpu, &m->io, items, m->log, err, sizeof err))
        return mon_error(mon, "%s", err);
    cpus_share_tracer(m);   /* -smp: a tracer made now traces every CPU */
    unsigned now = trace_text_items(m->cpu);
    static const char *const names[] = { "exec", "cpu", "int", "io", "mmu" };
    fprintf(mon->out, "tracing:");
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (now & (1u << i))
            fprintf(mon->out, " %s", names[i]);
    fprintf(mon->out, "%s (to %s)\n", now ? "" : " off", m->opt.log_file ? m->opt.log_file
                                                                           : "stderr");
    return true;
}

const MonCommand mon_info_commands[] = {
    { "info gdt", NULL, 0, 0, cmd_info_gdt, "info gdt", "the global descriptor table" },
    { "info idt", NULL, 0, 0, cmd_info_idt, "info idt", "the interrupt descriptor table" },
    { "info ldt", NULL, 0, 0, cmd_info_ldt, "info ldt", "the current local descriptor table" },
    { "info tss", NULL, 0, 0, cmd_info_tss, "info tss", "the current task state segment" },
    { "info tab", NULL, 0, 0, cmd_info_tab, "info tab",
      "page tables: mapped linear ranges -> physical, coalesced, with flags" },
    { "info tlb", NULL, 0, 0, cmd_info_tlb, "info tlb", "the CPU's software TLB entries" },
    { "info svm", NULL, 0, 0, cmd_info_svm, "info svm",
      "each CPU's SVM world; in a guest its VMCB, ASID, NPT, V_IRQ, intercepts" },
    { "info pic", NULL, 0, 0, cmd_info_pic, "info pic", "the two 8259 interrupt controllers" },
    { "info pit", NULL, 0, 0, cmd_info_pit, "info pit", "the 8254 timer's counters" },
    { "info cmos", NULL, 0, 0, cmd_info_cmos, "info cmos", "the RTC/NVRAM bytes" },
    { "info slots", NULL, 0, 0, cmd_info_slots, "info slots", "device slots: ports and IRQs" },
    { "info text", NULL, 0, 0, cmd_info_text, "info text", "the VGA text screen" },
    { "screendump", NULL, 1, 3, cmd_screendump, "screendump FILE [-f png|ppm]",
      "write the screen: PNG for a .png name, else PPM (QEMU's)" },
    { "flight", NULL, 0, 0, cmd_flight, "flight",
      "the flight recorder's last instructions (--flight-recorder N)" },
    { "trace", NULL, 0, 1, cmd_trace, "trace [ITEMS|off]",
      "print exec,cpu,int,io,mmu trace lines from now on (-D file or stderr)" },
};
const size_t mon_info_count = sizeof mon_info_commands / sizeof mon_info_commands[0];
