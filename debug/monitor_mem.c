/* SPDX-License-Identifier: MIT */
/* Monitor commands: registers (regs), memory (x, xp) and disassembly (u),
 * and the safe guest-memory readers every command uses: they read only
 * RAM and ROM pages, never MMIO (a device read may have side effects) and
 * never past what is backed, so a bad address is an error line. */
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "debug/disasm.h"
#include "debug/monitor_int.h"
#include "machine/machine.h"

enum { X_MAX_COUNT = 4096, U_DEFAULT_COUNT = 10, INSN_MAX = 15 };

/* ======== guest memory ======== */

bool mon_read_phys(Machine *m, uint64_t paddr, uint8_t *buf, uint32_t len, uint64_t *bad)
{
    while (len) {
        if (paddr >> 32) {
            *bad = paddr;
            return false;
        }
        uint32_t pg = (uint32_t)paddr >> PHYS_PAGE_SHIFT;
        const uint8_t *host = (m->mem->page_flags[pg] & PHYS_PG_READ) ? m->mem->page_host[pg]
                                                                      : NULL;
        if (!host) {
            *bad = paddr;
            return false;
        }
        uint32_t off = (uint32_t)paddr & (PHYS_PAGE_SIZE - 1);
        uint32_t n = PHYS_PAGE_SIZE - off < len ? PHYS_PAGE_SIZE - off : len;
        memcpy(buf, host + off, n);
        paddr += n;
        buf += n;
        len -= n;
    }
    return true;
}

bool mon_read_lin(Monitor *mon, uint32_t lin, uint8_t *buf, uint32_t len, uint32_t *bad)
{
    Machine *m = mon->m;
    while (len) {
        uint64_t phys, bad_phys;
        uint32_t in_page = 0x1000u - (lin & 0xFFFu);
        uint32_t n = in_page < len ? in_page : len;
        if (!cpu_translate_debug(mon_cpu(mon), lin, &phys) ||
            !mon_read_phys(m, phys, buf, n, &bad_phys)) {
            *bad = lin;
            return false;
        }
        lin += n;
        buf += n;
        len -= n;
        if (len && lin == 0) {
            *bad = 0;   /* wrapped past 4 GiB */
            return false;
        }
    }
    return true;
}

/* Read for display: linear or physical. */
static bool read_guest(Monitor *mon, bool physical, uint64_t addr, uint8_t *buf, uint32_t len)
{
    if (physical) {
        uint64_t bad;
        if (mon_read_phys(mon->m, addr, buf, len, &bad))
            return true;
        return mon_error(mon, "physical 0x%llx is not RAM or ROM", (unsigned long long)bad);
    }
    uint32_t bad;
    if (mon_read_lin(mon, (uint32_t)addr, buf, len, &bad))
        return true;
    uint64_t phys;
    if (!cpu_translate_debug(mon_cpu(mon), bad, &phys))
        return mon_error(mon, "linear 0x%08x is not mapped", bad);
    return mon_error(mon, "linear 0x%08x (physical 0x%llx) is not RAM or ROM", bad,
                     (unsigned long long)phys);
}

/* ======== disassembly ======== */

/* One instruction at linear lin: "address: bytes  text"; returns its
 * length (1 for bytes that are no instruction, 0 when unreadable). Inside
 * a code segment with a non-zero base (real mode, V86, segmented code) the
 * line also gives CS:offset, and branch targets are offsets, as the CPU
 * sees them. */
static unsigned disasm_line(Monitor *mon, uint32_t lin, bool code32)
{
    const Cpu *cpu = mon_cpu(mon);
    uint32_t base = cpu->seg[SEG_CS].base, off = lin - base;
    bool segmented = base != 0 && lin >= base && off <= cpu->seg[SEG_CS].limit;
    uint8_t bytes[INSN_MAX];
    uint32_t bad;
    unsigned have = INSN_MAX;
    /* The instruction may end before an unmapped page: keep what reads. */
    while (have && !mon_read_lin(mon, lin, bytes, have, &bad))
        have = bad > lin ? bad - lin : 0;
    if (!have) {
        mon_error(mon, "linear 0x%08x is not readable", lin);
        return 0;
    }
    char text[128];
    unsigned len = disasm_one(bytes, have, segmented ? off : lin, code32, text, sizeof text);
    unsigned shown = len ? len : 1;
    char hex[3 * INSN_MAX + 1] = "";
    for (unsigned i = 0; i < shown; i++)
        snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", bytes[i]);
    if (segmented)
        fprintf(mon->out, "%08x %04x:%0*x: %-24s %s\n", lin, cpu->seg[SEG_CS].sel,
                code32 ? 8 : 4, off, hex, text);
    else
        fprintf(mon->out, "%08x: %-24s %s\n", lin, hex, text);
    return shown;
}

void mon_disasm(Monitor *mon, uint32_t lin, unsigned n, bool code32)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned len = disasm_line(mon, lin, code32);
        if (!len)
            return;
        lin += len;
    }
}

void mon_print_current_insn(Monitor *mon)
{
    const Cpu *cpu = mon_cpu(mon);
    /* A segmented line already carries CS:offset (disasm_line). */
    if (!cpu->seg[SEG_CS].base || cpu->eip > cpu->seg[SEG_CS].limit)
        fprintf(mon->out, "%04x:%08x ", cpu->seg[SEG_CS].sel, cpu->eip);
    mon_disasm(mon, cpu->seg[SEG_CS].base + cpu->eip, 1, cpu->code32);
}

/* u|disasm [ADDR] [N] */
static bool cmd_disasm(Monitor *mon, int argc, char **argv)
{
    const Cpu *cpu = mon_cpu(mon);
    uint32_t addr = cpu->seg[SEG_CS].base + cpu->eip, n = U_DEFAULT_COUNT;
    if (argc >= 1 && !mon_parse_u32(argv[0], &addr))
        return mon_error(mon, "bad address '%s'", argv[0]);
    if (argc == 2 && (!mon_parse_u32(argv[1], &n) || n == 0 || n > X_MAX_COUNT))
        return mon_error(mon, "bad count '%s'", argv[1]);
    mon_disasm(mon, addr, n, cpu->code32);
    return true;
}

/* ======== x / xp ======== */

bool mon_parse_xfmt(const char *s, MonXFmt *f)
{
    *f = (MonXFmt){ .count = 1, .size = 4, .format = 'x' };
    if (!s || s[0] != '/')
        return false;
    s++;
    if (*s >= '0' && *s <= '9') {
        uint32_t n = 0;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (uint32_t)(*s++ - '0');
            if (n > X_MAX_COUNT)
                return false;
        }
        if (n == 0)
            return false;
        f->count = n;
    }
    bool size_given = false;
    for (; *s; s++) {
        const char *sizes = "bhwg";
        const char *p = strchr(sizes, *s);
        if (p && *s) {
            f->size = 1u << (p - sizes);
            size_given = true;
        } else if (strchr("xduci", *s))
            f->format = *s;
        else
            return false;
    }
    if (f->format == 'c' && !size_given)
        f->size = 1;
    return true;
}

static void print_unit(Monitor *mon, const uint8_t *p, unsigned size, char format)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    switch (format) {
    case 'd': {
        unsigned shift = 64 - 8 * size;
        int64_t sv = (int64_t)(v << shift) >> shift;
        fprintf(mon->out, " %lld", (long long)sv);
        break;
    }
    case 'u':
        fprintf(mon->out, " %llu", (unsigned long long)v);
        break;
    case 'c':
        if (v >= 0x20 && v < 0x7F)
            fprintf(mon->out, " '%c'", (int)v);
        else
            fprintf(mon->out, " \\x%02llx", (unsigned long long)v);
        break;
    default:
        fprintf(mon->out, " 0x%0*llx", (int)(2 * size), (unsigned long long)v);
        break;
    }
}

static bool examine(Monitor *mon, bool physical, int argc, char **argv)
{
    MonXFmt f = { .count = 1, .size = 4, .format = 'x' };
    if (argc == 2 && !mon_parse_xfmt(argv[0], &f))
        return mon_error(mon, "bad format '%s' (/Nfmt: N count, b/h/w/g size, x/d/u/c/i)",
                         argv[0]);
    const char *addr_arg = argv[argc - 1];
    uint64_t addr;
    if (!mon_parse_u64(addr_arg, &addr) || addr > (physical ? 0xFFFFFFFFFull : 0xFFFFFFFFull))
        return mon_error(mon, "bad address '%s'", addr_arg);
    if (f.format == 'i') {
        if (physical)
            return mon_error(mon, "xp cannot disassemble: use u with a linear address");
        mon_disasm(mon, (uint32_t)addr, f.count, mon_cpu(mon)->code32);
        return true;
    }
    unsigned per_line = f.size == 8 ? 2 : f.size == 4 ? 4 : 8;
    for (uint32_t done = 0; done < f.count; done += per_line) {
        unsigned n = f.count - done < per_line ? f.count - done : per_line;
        uint8_t buf[64];
        uint64_t at = addr + (uint64_t)done * f.size;
        if (!read_guest(mon, physical, at, buf, n * f.size))
            return false;
        fprintf(mon->out, "%s0x%08llx:", physical ? "phys " : "", (unsigned long long)at);
        for (unsigned i = 0; i < n; i++)
            print_unit(mon, buf + i * f.size, f.size, f.format);
        fputc('\n', mon->out);
    }
    return true;
}

static bool cmd_x(Monitor *mon, int argc, char **argv)
{
    return examine(mon, false, argc, argv);
}

static bool cmd_xp(Monitor *mon, int argc, char **argv)
{
    return examine(mon, true, argc, argv);
}

/* ======== registers ======== */

static void print_flag_names(Monitor *mon, uint32_t value, const char *const names[32])
{
    fputs(" [", mon->out);
    for (int b = 31; b >= 0; b--)
        if (names[b] && (value >> b & 1))
            fprintf(mon->out, " %s", names[b]);
    fputs(" ]", mon->out);
}

static void print_eflags(Monitor *mon, uint32_t f)
{
    static const char *const names[32] = {
        [0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF", [8] = "TF", [9] = "IF",
        [10] = "DF", [11] = "OF", [14] = "NT", [16] = "RF", [17] = "VM", [18] = "AC",
        [19] = "VIF", [20] = "VIP", [21] = "ID",
    };
    fprintf(mon->out, "eflags 0x%08x", f);
    print_flag_names(mon, f, names);
    fprintf(mon->out, " IOPL=%u\n", (f >> 12) & 3);
}

/* "code32 DPL0 P" from a segment cache's attributes. */
static void describe_attr(char *out, size_t len, uint16_t a)
{
    static const char *const sys_types[16] = {
        "reserved", "tss16-avail", "ldt", "tss16-busy", "callgate16", "taskgate", "intgate16",
        "trapgate16", "reserved", "tss32-avail", "reserved", "tss32-busy", "callgate32",
        "reserved", "intgate32", "trapgate32",
    };
    unsigned type = a & DESC_TYPE_MASK;
    const char *kind;
    char buf[32];
    if (!(a & DESC_S))
        kind = sys_types[type];
    else {
        snprintf(buf, sizeof buf, "%s%u %s%s%s", (type & DESC_CODE) ? "code" : "data",
                 (a & DESC_DB) ? 32 : 16,
                 (type & DESC_CODE) ? ((type & DESC_RW) ? "r" : "-") : "r",
                 (type & DESC_CODE) ? "x" : ((type & DESC_RW) ? "w" : "-"),
                 (type & DESC_CONFORMING_OR_EXPDOWN) ? ((type & DESC_CODE) ? " conf" : " down")
                                                     : "");
        kind = buf;
    }
    snprintf(out, len, "%s dpl%u%s%s", kind, (a & DESC_DPL) >> DESC_DPL_SHIFT,
             (a & DESC_P) ? " p" : " np", (a & DESC_G) ? " g" : "");
}

static void print_segment(Monitor *mon, const char *name, const SegCache *s)
{
    char attr[64];
    describe_attr(attr, sizeof attr, s->flags);
    fprintf(mon->out, "%-4s 0x%04x base 0x%08x limit 0x%08x attr 0x%04x (%s)\n", name, s->sel,
            s->base, s->limit, s->flags, attr);
}

static void print_control_regs(Monitor *mon, const Cpu *cpu)
{
    static const char *const cr0_names[32] = {
        [0] = "PE", [1] = "MP", [2] = "EM", [3] = "TS", [4] = "ET", [5] = "NE", [16] = "WP",
        [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
    };
    static const char *const cr4_names[32] = {
        [0] = "VME", [1] = "PVI", [2] = "TSD", [3] = "DE", [4] = "PSE", [5] = "PAE",
        [6] = "MCE", [7] = "PGE", [8] = "PCE", [9] = "OSFXSR",
    };
    fprintf(mon->out, "cr0  0x%08x", cpu->cr0);
    print_flag_names(mon, cpu->cr0, cr0_names);
    fprintf(mon->out, "\ncr2  0x%08x  cr3 0x%08x\ncr4  0x%08x", cpu->cr2, cpu->cr3, cpu->cr4);
    print_flag_names(mon, cpu->cr4, cr4_names);
    fputc('\n', mon->out);
    fprintf(mon->out, "dr0  0x%08x  dr1 0x%08x  dr2 0x%08x  dr3 0x%08x\n", cpu->dr[0],
            cpu->dr[1], cpu->dr[2], cpu->dr[3]);
    fprintf(mon->out, "dr6  0x%08x  dr7 0x%08x\n", cpu->dr[6], cpu->dr[7]);
}

static bool cmd_regs(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const Cpu *cpu = mon_cpu(mon);
    static const char *const gpr[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    for (int i = 0; i < 8; i++)
        fprintf(mon->out, "%s  0x%08x%s", gpr[i], cpu->gpr[i], (i & 3) == 3 ? "\n" : "  ");
    fprintf(mon->out, "eip  0x%08x  cpl %u  %s%s\n", cpu->eip, cpu->cpl,
            cpu_realmode(cpu) ? "real mode" : cpu_v86(cpu) ? "v86 mode" : "protected mode",
            cpu->halted ? "  (halted)" : "");
    print_eflags(mon, flags_read(cpu));
    static const char *const segs[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    for (int s = 0; s < SEG_COUNT; s++)
        print_segment(mon, segs[s], &cpu->seg[s]);
    fprintf(mon->out, "gdtr base 0x%08x limit 0x%04x\n", cpu->gdtr.base, cpu->gdtr.limit);
    fprintf(mon->out, "idtr base 0x%08x limit 0x%04x\n", cpu->idtr.base, cpu->idtr.limit);
    print_control_regs(mon, cpu);
    fprintf(mon->out, "icount %llu\n", (unsigned long long)cpu->icount);
    return true;
}

const MonCommand mon_mem_commands[] = {
    { "regs", "r", 0, 0, cmd_regs, "r|regs",
      "registers: general, segments, EFLAGS, CR0-4, DR, GDTR/IDTR/LDTR/TR" },
    { "x", NULL, 1, 2, cmd_x, "x [/Nfmt] ADDR",
      "examine linear memory (N count; b/h/w/g size; x/d/u/c format, i disassembles)" },
    { "xp", NULL, 1, 2, cmd_xp, "xp [/Nfmt] ADDR", "examine physical memory" },
    { "disasm", "u", 0, 2, cmd_disasm, "u|disasm [ADDR] [N]",
      "disassemble N instructions (10) at linear ADDR (CS:EIP)" },
};
const size_t mon_mem_count = sizeof mon_mem_commands / sizeof mon_mem_commands[0];

/* Exposed for describe_attr's users in monitor_info.c. */
void mon_describe_attr(char *out, size_t len, uint16_t attr)
{
    describe_attr(out, len, attr);
}
