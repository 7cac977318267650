/* SPDX-License-Identifier: MIT */
/* Text lines of trace records (see trace_text.h). */
#include "debug/trace_text.h"

#include <stdio.h>

#include "debug/disasm.h"

/* Instruction bytes are padded to this many columns so the disassembly
 * lines up for instructions up to 8 bytes long. */
#define BYTES_COLUMNS 24

static size_t clamp(int r, size_t n)
{
    return r < 0 ? 0 : (size_t)r >= n ? (n ? n - 1 : 0) : (size_t)r;
}

static size_t fmt_where(char *out, size_t n, const TraceWhere *at)
{
    if (at->cpu_tag)
        return clamp(snprintf(out, n, "cpu%u %10llu %04X:%08X ", at->cpu_tag - 1u,
                              (unsigned long long)at->icount, at->cs, at->eip), n);
    return clamp(snprintf(out, n, "%10llu %04X:%08X ", (unsigned long long)at->icount, at->cs,
                          at->eip), n);
}

size_t trace_fmt_insn(char *out, size_t n, const TraceWhere *at, const uint8_t *bytes,
                      unsigned len, bool code32)
{
    size_t k = fmt_where(out, n, at);
    char hex[16 * 3 + 1] = "";
    size_t h = 0;
    for (unsigned i = 0; i < len && i < 15; i++)
        h += clamp(snprintf(hex + h, sizeof hex - h, "%s%02x", i ? " " : "", bytes[i]),
                   sizeof hex - h);
    char text[160];
    disasm_one(bytes, len, at->eip, code32, text, sizeof text);
    k += clamp(snprintf(out + k, n - k, " %-*s %s", BYTES_COLUMNS, hex, text), n - k);
    return k;
}

size_t trace_fmt_regs(char *out, size_t n, const TraceRegs *r)
{
    const uint32_t *v = r->v;
    return clamp(snprintf(out, n,
                          "           EAX=%08X ECX=%08X EDX=%08X EBX=%08X ESP=%08X EBP=%08X\n"
                          "           ESI=%08X EDI=%08X EFL=%08X ES=%04X SS=%04X DS=%04X "
                          "FS=%04X GS=%04X",
                          v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9] & 0xFFFF,
                          v[10] & 0xFFFF, v[11] & 0xFFFF, v[12] & 0xFFFF, v[13] & 0xFFFF),
                 n);
}

static const char *const int_kind_names[TRACE_INT_KINDS] = {
    [TRACE_INT_EXCEPTION] = "exception",
    [TRACE_INT_SOFT] = "int",
    [TRACE_INT_IRQ] = "irq",
    [TRACE_INT_NMI] = "nmi",
};

static const char *const mmu_kind_names[TRACE_MMU_KINDS] = {
    [TRACE_MMU_WALK] = "walk",
    [TRACE_MMU_PF] = "#PF",
    [TRACE_MMU_FLUSH_ALL] = "tlb flush all",
    [TRACE_MMU_FLUSH_NONGLOBAL] = "tlb flush (cr3)",
    [TRACE_MMU_INVLPG] = "invlpg",
};

static size_t fmt_int(char *out, size_t n, const TraceEvent *ev)
{
    const char *kind = ev->kind < TRACE_INT_KINDS ? int_kind_names[ev->kind] : "?";
    if (ev->err == 0xFFFFFFFFu)
        return clamp(snprintf(out, n, ">> %s 0x%02X CPL %u", kind, ev->vector, ev->cpl), n);
    return clamp(snprintf(out, n, ">> %s 0x%02X err 0x%X CPL %u", kind, ev->vector, ev->err,
                          ev->cpl), n);
}

static size_t fmt_io(char *out, size_t n, const TraceEvent *ev)
{
    unsigned size = (ev->kind >> 1) & 7;
    int digits = (int)size * 2;
    return clamp(snprintf(out, n, ">> %s 0x%04X %s 0x%0*X", (ev->kind & 1) ? "out" : "in",
                          ev->port, size == 1 ? "b" : size == 2 ? "w" : "d", digits, ev->value),
                 n);
}

static size_t fmt_mmu(char *out, size_t n, const TraceEvent *ev)
{
    const char *kind = ev->kind < TRACE_MMU_KINDS ? mmu_kind_names[ev->kind] : "?";
    const char *rw = (ev->access & TRACE_ACC_WRITE) ? "write" : "read";
    const char *us = (ev->access & TRACE_ACC_USER) ? "user" : "sup";
    switch (ev->kind) {
    case TRACE_MMU_WALK:
        return clamp(snprintf(out, n, ">> %s 0x%08X -> 0x%09llX %s %s", kind, ev->value,
                              (unsigned long long)ev->value64, rw, us), n);
    case TRACE_MMU_PF:
        return clamp(snprintf(out, n, ">> %s 0x%08X err 0x%llX %s %s", kind, ev->value,
                              (unsigned long long)ev->value64, rw, us), n);
    case TRACE_MMU_INVLPG:
        return clamp(snprintf(out, n, ">> %s 0x%08X", kind, ev->value), n);
    default:
        return clamp(snprintf(out, n, ">> %s", kind), n);
    }
}

size_t trace_fmt_event(char *out, size_t n, const TraceEvent *ev)
{
    size_t k = fmt_where(out, n, &ev->at);
    switch (ev->type) {
    case REC_INT: return k + fmt_int(out + k, n - k, ev);
    case REC_IO: return k + fmt_io(out + k, n - k, ev);
    case REC_MMU: return k + fmt_mmu(out + k, n - k, ev);
    case REC_TRIPLE: return k + clamp(snprintf(out + k, n - k, ">> triple fault"), n - k);
    default: return k + clamp(snprintf(out + k, n - k, ">> ?"), n - k);
    }
}
