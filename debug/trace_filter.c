/* SPDX-License-Identifier: MIT */
/* --trace-filter parsing and the branch opcode table. */
#include "debug/trace_filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trace_filter_init(TraceFilter *f)
{
    memset(f, 0, sizeof *f);
    f->cpl_mask = 0xF;
}

static bool parse_num(const char *s, const char *end, uint64_t *v)
{
    if (s == end || *s == '-' || *s == '+')
        return false;
    char buf[32];
    size_t n = (size_t)(end - s);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *stop;
    errno = 0;
    unsigned long long x = strtoull(buf, &stop, 0);
    if (errno || *stop)
        return false;
    *v = x;
    return true;
}

/* "LO-HI" or "LO+LEN" into [lo, hi]. */
static bool parse_span(const char *v, uint64_t max, uint64_t *lo, uint64_t *hi)
{
    const char *end = v + strlen(v);
    const char *sep = strpbrk(v, "-+");
    if (!sep) {
        if (!parse_num(v, end, lo))
            return false;
        *hi = *lo;
        return *lo <= max;
    }
    uint64_t b;
    if (!parse_num(v, sep, lo) || !parse_num(sep + 1, end, &b))
        return false;
    if (*sep == '+') {
        if (b == 0)
            return false;
        b = *lo + b - 1;
    }
    *hi = b;
    return *lo <= *hi && *hi <= max;
}

static const struct { const char *name; unsigned cls; } class_names[] = {
    { "branches", TRACE_CLASS_BRANCHES },
    { "ints", TRACE_CLASS_INTS },
    { "io", TRACE_CLASS_IO },
    { "mmu", TRACE_CLASS_MMU },
};

static bool parse_term(TraceFilter *f, char *term, bool *cpl_seen, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
        if (!strcmp(term, class_names[i].name)) {
            f->classes |= class_names[i].cls;
            return true;
        }
    }
    char *eq = strchr(term, '=');
    if (!eq) {
        snprintf(err, errlen, "unknown trace filter term '%s'", term);
        return false;
    }
    *eq = 0;
    const char *v = eq + 1;
    uint64_t lo, hi;
    if (!strcmp(term, "range")) {
        if (f->n_ranges == TRACE_FILTER_MAX_RANGES) {
            snprintf(err, errlen, "too many trace filter ranges (at most %d)",
                     TRACE_FILTER_MAX_RANGES);
            return false;
        }
        if (!parse_span(v, 0xFFFFFFFFu, &lo, &hi) || !strpbrk(v, "-+")) {
            snprintf(err, errlen, "bad trace filter range '%s' (LO-HI or LO+LEN)", v);
            return false;
        }
        f->lo[f->n_ranges] = (uint32_t)lo;
        f->hi[f->n_ranges++] = (uint32_t)hi;
    } else if (!strcmp(term, "cpl")) {
        if (!parse_span(v, 3, &lo, &hi) || strchr(v, '+')) {
            snprintf(err, errlen, "bad trace filter CPL '%s' (0-3, or N-M)", v);
            return false;
        }
        /* The first cpl= term replaces the default "every CPL". */
        if (!*cpl_seen)
            f->cpl_mask = 0;
        *cpl_seen = true;
        for (uint64_t c = lo; c <= hi; c++)
            f->cpl_mask |= (uint8_t)(1u << c);
    } else if (!strcmp(term, "after")) {
        if (!parse_num(v, v + strlen(v), &lo)) {
            snprintf(err, errlen, "bad trace filter count '%s'", v);
            return false;
        }
        f->after = lo;
    } else {
        snprintf(err, errlen, "unknown trace filter term '%s'", term);
        return false;
    }
    return true;
}

bool trace_filter_parse(TraceFilter *f, const char *spec, char *err, size_t errlen)
{
    trace_filter_init(f);
    char buf[1024];
    if (!spec || !*spec || strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "bad trace filter '%s'", spec ? spec : "");
        return false;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    bool cpl_seen = false;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!parse_term(f, t, &cpl_seen, err, errlen))
            return false;
    return true;
}

/* Control transfers by opcode: Jcc (70-7F, 0F 80-8F), LOOP/JCXZ (E0-E3),
 * CALL/JMP (E8-EB, 9A), RET/RETF (C2 C3 CA CB), INT3/INT n/INTO/IRET
 * (CC-CF), ICEBP (F1), SYSENTER/SYSEXIT (0F 34/35); FF /2-/5 by ModRM.reg. */
static bool branch_opcode(unsigned op)
{
    static const uint8_t singles[] = { 0x9A, 0xC2, 0xC3, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF,
                                       0xE0, 0xE1, 0xE2, 0xE3, 0xE8, 0xE9, 0xEA, 0xEB, 0xF1 };
    if ((op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F) || op == 0x134 ||
        op == 0x135)
        return true;
    for (size_t i = 0; i < sizeof singles; i++)
        if (op == singles[i])
            return true;
    return false;
}

bool trace_is_branch(unsigned opcode, unsigned reg)
{
    static bool table[0x200];
    static bool built;
    if (!built) {
        for (unsigned op = 0; op < 0x200; op++)
            table[op] = branch_opcode(op);
        built = true;
    }
    if (opcode == 0xFF)
        return reg >= 2 && reg <= 5;
    return opcode < 0x200 && table[opcode];
}
