/* SPDX-License-Identifier: MIT */
/* The flight recorder (see flightrec.h). */
#include "debug/flightrec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "debug/trace_internal.h"
#include "debug/trace_text.h"

typedef struct FlightEntry {
    uint64_t icount;
    uint32_t eip;
    uint16_t cs;
    uint8_t len;
    bool code32;
    uint8_t cpu_tag;   /* -smp: the CPU's index + 1 */
    uint8_t bytes[16];
    uint32_t gpr[8];
    uint32_t eflags;   /* without the lazy arithmetic flags ... */
    LazyFlags lf;      /* ... which are computed at dump time */
} FlightEntry;

struct FlightRec {
    FlightEntry *ring;
    unsigned n, next;
    uint64_t recorded;
    uint8_t dump_on[32];   /* bit per exception vector */
    Cpu *flags_scratch;    /* flags_read() of an entry, without allocating */
    uint8_t cpu_tag;       /* of the CPU recording now */
};

void flightrec_set_cpu(FlightRec *f, uint8_t cpu_tag)
{
    f->cpu_tag = cpu_tag;
}

FlightRec *flightrec_new(unsigned n, const char *dump_on, char *err, size_t errlen)
{
    if (n == 0 || n > FLIGHTREC_MAX_INSNS) {
        snprintf(err, errlen, "bad flight recorder size %u (1..%u)", n, FLIGHTREC_MAX_INSNS);
        return NULL;
    }
    FlightRec *f = calloc(1, sizeof *f);
    if (f) {
        f->ring = calloc(n, sizeof *f->ring);
        f->flags_scratch = calloc(1, sizeof *f->flags_scratch);
    }
    if (!f || !f->ring || !f->flags_scratch) {
        flightrec_free(f);
        snprintf(err, errlen, "out of memory for a flight recorder of %u instructions", n);
        return NULL;
    }
    f->n = n;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dump_on ? dump_on : "");
    char *save = NULL;
    for (char *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        long vec = strtol(v, &end, 0);
        if (errno || *end || vec < 0 || vec > 255) {
            snprintf(err, errlen, "bad exception vector '%s' in --flight-dump-on (0..255)", v);
            flightrec_free(f);
            return NULL;
        }
        f->dump_on[vec >> 3] |= (uint8_t)(1u << (vec & 7));
    }
    return f;
}

void flightrec_free(FlightRec *f)
{
    if (!f)
        return;
    free(f->ring);
    free(f->flags_scratch);
    free(f);
}

void flightrec_record(FlightRec *f, const Cpu *cpu, uint64_t icount, const uint8_t *bytes,
                      unsigned len, bool code32)
{
    FlightEntry *e = &f->ring[f->next];
    if (++f->next == f->n)
        f->next = 0;
    f->recorded++;
    e->icount = icount;
    e->eip = cpu->eip;
    e->cs = cpu->seg[SEG_CS].sel;
    e->code32 = code32;
    e->cpu_tag = f->cpu_tag;
    /* A fixed-size copy is two moves instead of a call; the caller says
     * whether 16 bytes are readable there (not at the end of a page). */
    if (len & FLIGHTREC_COPY16)
        memcpy(e->bytes, bytes, 16);
    else
        memcpy(e->bytes, bytes, len);
    e->len = (uint8_t)(len & 0xF);
    memcpy(e->gpr, cpu->gpr, sizeof e->gpr);
    e->eflags = cpu->eflags;
    e->lf = cpu->lf;
}

bool flightrec_dumps_on(const FlightRec *f, int vector)
{
    return vector >= 0 && vector < 256 && ((f->dump_on[vector >> 3] >> (vector & 7)) & 1);
}

/* A line sink: stdio normally, write(2) from a signal handler. */
typedef struct DumpOut {
    FILE *f;
    int fd;   /* >= 0: write(2) to it */
} DumpOut;

static void out_line(const DumpOut *o, const char *line)
{
    if (o->fd < 0) {
        fputs(line, o->f);
        fputc('\n', o->f);
        return;
    }
    size_t len = strlen(line);
    while (len) {
        ssize_t w = write(o->fd, line, len);
        if (w <= 0)
            return;
        line += w;
        len -= (size_t)w;
    }
    ssize_t w = write(o->fd, "\n", 1);
    (void)w;
}

static void dump_entry(FlightRec *f, const FlightEntry *e, const DumpOut *o)
{
    char line[320];
    TraceWhere at = { e->icount, e->cs, e->eip, e->cpu_tag };
    trace_fmt_insn(line, sizeof line, &at, e->bytes, e->len, e->code32);
    out_line(o, line);
    f->flags_scratch->eflags = e->eflags;
    f->flags_scratch->lf = e->lf;
    snprintf(line, sizeof line,
             "           EAX=%08X ECX=%08X EDX=%08X EBX=%08X ESP=%08X EBP=%08X ESI=%08X "
             "EDI=%08X EFL=%08X",
             e->gpr[0], e->gpr[1], e->gpr[2], e->gpr[3], e->gpr[4], e->gpr[5], e->gpr[6],
             e->gpr[7], flags_read(f->flags_scratch));
    out_line(o, line);
}

static void dump_ring(FlightRec *f, const DumpOut *o, const char *why)
{
    unsigned have = f->recorded < f->n ? (unsigned)f->recorded : f->n;
    char line[160];
    snprintf(line, sizeof line, "flight recorder: %s: the last %u instructions, oldest first",
             why, have);
    out_line(o, line);
    unsigned start = f->recorded < f->n ? 0 : f->next;
    for (unsigned k = 0; k < have; k++)
        dump_entry(f, &f->ring[(start + k) % f->n], o);
    out_line(o, "flight recorder: end");
}

void flightrec_dump_why(Cpu *cpu, FILE *out, const char *why)
{
    if (!out)
        out = stderr;
    const Tracer *t = cpu ? cpu->tracer : NULL;
    if (!t || !t->flight) {
        fprintf(out, "flight recorder: off (start kairo with --flight-recorder N)\n");
        return;
    }
    DumpOut o = { out, -1 };
    dump_ring(t->flight, &o, why);
    fflush(out);
}

void flightrec_dump(struct Cpu *cpu, FILE *out)
{
    flightrec_dump_why(cpu, out, "on request");
}

/* ======== signals ======== */

volatile sig_atomic_t flightrec_dump_requested;

static Cpu *signal_cpu;     /* the one CPU the signal handlers dump */
static int signal_fd = 2;
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction saved_fatal[N_FATAL], saved_usr1;
static bool installed;
static char alt_stack[64 * 1024];

static void on_usr1(int sig)
{
    (void)sig;
    flightrec_dump_requested = 1;
}

/* Best effort from a dying process: no stdio, no allocation (Capstone's
 * handles were opened by earlier disassembly or are opened here). */
static void on_fatal(int sig)
{
    static volatile sig_atomic_t busy;
    if (!busy && signal_cpu && signal_cpu->tracer && signal_cpu->tracer->flight) {
        busy = 1;
        DumpOut o = { NULL, signal_fd };
        const char *why = sig == SIGSEGV ? "SIGSEGV in kairo" : sig == SIGABRT ? "SIGABRT in kairo"
                          : sig == SIGBUS ? "SIGBUS in kairo" : sig == SIGILL ? "SIGILL in kairo"
                                                                              : "SIGFPE in kairo";
        dump_ring(signal_cpu->tracer->flight, &o, why);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void flightrec_install_signals(Cpu *cpu, FILE *out)
{
    signal_cpu = cpu;
    signal_fd = out ? fileno(out) : 2;
    if (installed)
        return;
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &sa, &saved_fatal[i]);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, &saved_usr1);
    installed = true;
}

void flightrec_remove_signals(void)
{
    if (!installed)
        return;
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &saved_fatal[i], NULL);
    sigaction(SIGUSR1, &saved_usr1, NULL);
    installed = false;
    signal_cpu = NULL;
}
