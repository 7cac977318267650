/* SPDX-License-Identifier: MIT */
/* Reverse debugging: history kept as checkpoints plus the input log, and
 * travel in it by restoring a checkpoint and running forward (see
 * timetravel.h and docs/REVERSE.md). */
#include "machine/timetravel.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/mem_access.h"
#include "iodev/devstate.h"
#include "machine/checkpoints.h"
#include "machine/machine.h"
#include "machine/replay_machine.h"

#define DEFAULT_EVERY 50000000ull   /* instructions between checkpoints */
#define DEFAULT_COUNT 256
#define DEFAULT_MEM_MB 2048ull
/* Going back from a checkpoint d instructions away leaves FINE_SPLIT
 * checkpoints on the way (none closer than FINE_MIN apart): the next step
 * back, usually close by, starts from one of them. Repeated reverse steps
 * thus cost a short run each, not a run from the last periodic checkpoint. */
#define FINE_SPLIT 8
#define FINE_MIN 100000ull
#define TURN_MAX (1ull << 20)

typedef struct TimeTravel {
    CkStore store;
    DebugPoints *dbg;
    uint64_t every;         /* instructions between periodic checkpoints */
    uint64_t next_cp;       /* live: the count of the next one */
    bool past;              /* the guest is in its history: inputs come from the log */
    uint64_t head;          /* the count where history ends (the live run stopped) */
    uint64_t head_exec;
    double take_seconds, travel_seconds;
    uint64_t restores, pages_restored;
    bool warned;            /* out of memory for a checkpoint, said once */
} TimeTravel;

static double host_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Instructions executed: the count without what a halted CPU skipped
 * (and host time credited). Positions in history are in these. */
static uint64_t exec_count(const Machine *m)
{
    return m->cpu->icount - m->cpu->idle_insns;
}

bool tt_enabled(const Machine *m)
{
    return m->tt != NULL;
}

/* ======== options ======== */

/* --reverse-opts every=N,count=N,mem=MB */
static bool parse_opts(const char *spec, uint64_t *every, uint64_t *count, uint64_t *mem_mb)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '='), *end;
        if (!eq || eq[1] == '-' || !eq[1])
            return false;
        *eq = 0;
        unsigned long long v = strtoull(eq + 1, &end, 0);
        if (*end || !v)
            return false;
        if (!strcmp(kv, "every"))
            *every = v;
        else if (!strcmp(kv, "count") && v >= 2 && v <= 100000)
            *count = v;
        else if (!strcmp(kv, "mem") && v >= 16)
            *mem_mb = v;
        else
            return false;
    }
    return true;
}

/* ======== checkpoints ======== */

/* Every component but RAM (which the store keeps by pages). */
static void save_components(Machine *m, StateWriter *w)
{
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        if (strcmp(d->name, "ram"))
            device_save(d, w);
    }
}

static bool load_components(Machine *m, const uint8_t *state, size_t len, char *err,
                            size_t errlen)
{
    StateReader r;
    state_reader_init(&r, state, len);
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        if (strcmp(d->name, "ram") && !device_load(d, &r, err, errlen))
            return false;
    }
    return true;
}

static bool take(Machine *m)
{
    TimeTravel *tt = m->tt;
    double t0 = host_now();
    StateWriter w;
    state_writer_init(&w);
    save_components(m, &w);
    uint64_t prev;
    size_t pos = replay_mem_pos(&m->replay, &prev);
    int k = w.failed ? -1
                     : ck_take(&tt->store, m->mem->ram, m->mem->dirty, m->cpu->icount,
                               exec_count(m), w.buf, w.len, pos, prev);
    state_writer_free(&w);
    /* The dirty map starts again: every write TLB entry must be filled
     * again (and so mark its page) from here on. */
    tlb_flush_all(m->cpu);
    tt->take_seconds += host_now() - t0;
    if (k < 0 && !tt->warned) {
        fprintf(stderr, "kairo: reverse: out of memory for a checkpoint at icount %" PRIu64 "\n",
                m->cpu->icount);
        tt->warned = true;
    }
    return k >= 0;
}

/* The machine as checkpoint i had it; the inputs come from the log from
 * there on. */
static bool restore(Machine *m, int i, char *err, size_t errlen)
{
    TimeTravel *tt = m->tt;
    const Checkpoint *c = &tt->store.cps[i];
    if (!tt->past) {
        tt->head = m->cpu->icount;
        tt->head_exec = exec_count(m);
    }
    tt->pages_restored += ck_restore_ram(&tt->store, i, m->mem->ram, m->mem->dirty);
    /* As a snapshot load: reset, then every section (the CPU's last: its
     * TLB and block cache go after RAM changed under them). */
    machine_reset(m);
    if (!load_components(m, c->state, c->state_len, err, errlen))
        return false;
    replay_mem_play(&m->replay, c->log_pos, c->log_icount);
    tt->past = true;
    tt->restores++;
    return true;
}

/* ======== running history again ======== */

/* One turn of the machine loop while history runs again, as machine_run
 * does it: the inputs due now, a slice of at most n instructions (cut at
 * the next timer, input and the end of history), the timers, a reset the
 * guest asked for. */
static bool turn(Machine *m, uint64_t n, char *err, size_t errlen)
{
    if (!replay_machine_between_slices(m)) {
        snprintf(err, errlen, "history diverged (%.100s)", m->replay.why);
        return false;
    }
    uint64_t t = clock_insns_to_next(&m->clock);
    if (t < n)
        n = t ? t : 1;
    n = tt_slice(m, replay_machine_slice(m, n));
    m->replay.in_slice = true;
    if (n)
        cpu_run(m->cpu, n);
    clock_run_timers(&m->clock);
    m->replay.in_slice = false;
    if (m->reset_requested || m->cpu->triple_fault)
        machine_reset(m);
    return true;
}

static bool at_head(const Machine *m, char *err, size_t errlen)
{
    if (m->cpu->icount < m->tt->head)
        return false;
    snprintf(err, errlen, "history ended before the target (at icount %" PRIu64 ")",
             m->cpu->icount);
    return true;
}

/* Run (debugger hooks off) until target instructions have executed,
 * leaving finer checkpoints on a long way. */
static bool run_to_exec(Machine *m, uint64_t target, char *err, size_t errlen)
{
    uint64_t start = exec_count(m);
    uint64_t fine = target > start ? (target - start) / FINE_SPLIT : 0;
    uint64_t next_fine = fine >= FINE_MIN ? start + fine : UINT64_MAX;
    while (exec_count(m) < target) {
        if (at_head(m, err, errlen))
            return false;
        uint64_t e = exec_count(m);
        if (e >= next_fine) {
            take(m);
            next_fine = e + fine;
        }
        uint64_t n = target - e;
        if (next_fine - e < n)
            n = next_fine - e;
        if (!turn(m, n, err, errlen))
            return false;
    }
    return true;
}

/* On to the boundary where the next instruction would run (through a
 * halt, and past an interrupt taken there). */
static bool stop_at_next(Machine *m, DbgOwner owner, char *err, size_t errlen)
{
    TimeTravel *tt = m->tt;
    dbg_stop_next(tt->dbg, owner);
    DbgStop st;
    DbgOwner who;
    while (m->cpu->icount < tt->head) {
        if (!turn(m, TURN_MAX, err, errlen))
            return false;
        if (dbg_take_any(tt->dbg, &st, &who))
            return true;
    }
    return true;   /* the end of history: the guest stays there */
}

/* Position target (clamped to the start of history, which sets begin). */
static bool go_to_exec(Machine *m, uint64_t target, DbgOwner owner, TtStop *out)
{
    TimeTravel *tt = m->tt;
    int i = ck_find(&tt->store, target, true);
    if (i < 0) {
        i = 0;
        target = tt->store.cps[0].exec;
        out->begin = true;
    }
    dbg_suspend(tt->dbg, true);
    bool ok = restore(m, i, out->error, sizeof out->error) &&
              run_to_exec(m, target, out->error, sizeof out->error) &&
              stop_at_next(m, owner, out->error, sizeof out->error);
    dbg_suspend(tt->dbg, false);
    return ok;
}

static bool have_history(Machine *m, TtStop *out)
{
    memset(out, 0, sizeof *out);
    if (!m->tt) {
        snprintf(out->error, sizeof out->error, "reverse execution needs --reverse");
        return false;
    }
    /* Before the first loop turn (gdb attached at once under -S): history
     * starts here. */
    if (!m->tt->store.n && !m->tt->past)
        take(m);
    if (!m->tt->store.n) {
        snprintf(out->error, sizeof out->error, "no history (out of memory)");
        return false;
    }
    return true;
}

bool tt_reverse_step(Machine *m, DbgOwner owner, uint64_t n, TtStop *out)
{
    if (!have_history(m, out))
        return false;
    double t0 = host_now();
    uint64_t now = exec_count(m), first = m->tt->store.cps[0].exec;
    uint64_t target = now - first >= n ? now - n : first;
    bool ok = go_to_exec(m, target, owner, out);
    /* Reaching the first position is a step like any; wanting to go past
     * it is the start of history. */
    out->begin = out->begin || (ok && now - first < n);
    m->tt->travel_seconds += host_now() - t0;
    return ok;
}

/* ======== reverse continue: the last hit before here ======== */

typedef struct Hit {
    bool found;
    uint64_t pos;       /* the position to stop at */
    DbgStop stop;
} Hit;

/* Run from the current state to position limit with the debugger's points
 * noting hits (dbg_scan_begin): the last hit of owner's is the answer for
 * this window. A breakpoint's position is where it stops, before its
 * instruction; a watchpoint's is the accessing instruction's, so the guest
 * stops before it (gdb then sees the value change the right way round). */
static bool scan_window(Machine *m, uint64_t limit, DbgOwner owner, Hit *best, char *err,
                        size_t errlen)
{
    TimeTravel *tt = m->tt;
    Hit h = { 0 };
    dbg_scan_begin(tt->dbg, owner);
    bool ok = true;
    while (ok && exec_count(m) < limit && !at_head(m, err, errlen))
        ok = turn(m, limit - exec_count(m), err, errlen);
    h.found = dbg_scan_end(tt->dbg, &h.pos, &h.stop);
    if (ok && h.found && h.pos < limit)
        *best = h;
    return ok;
}

bool tt_reverse_continue(Machine *m, DbgOwner owner, TtStop *out)
{
    if (!have_history(m, out))
        return false;
    TimeTravel *tt = m->tt;
    double t0 = host_now();
    uint64_t now = exec_count(m);
    Hit best = { 0 };
    bool ok = true;
    /* Window by window back from here: checkpoint k to the next one. */
    int last = ck_find(&tt->store, now, true);
    for (int k = last; k >= 0 && ok && !best.found; k--) {
        uint64_t limit = k == last ? now : tt->store.cps[k + 1].exec;
        if (tt->store.cps[k].exec >= limit)
            continue;
        ok = restore(m, k, out->error, sizeof out->error) &&
             scan_window(m, limit, owner, &best, out->error, sizeof out->error);
    }
    if (ok) {
        ok = go_to_exec(m, best.found ? best.pos : tt->store.cps[0].exec, owner, out);
        out->hit = best.found;
        out->stop = best.stop;
        out->begin = !best.found;
    }
    tt->travel_seconds += host_now() - t0;
    return ok;
}

/* ======== goto ======== */

bool tt_goto_icount(Machine *m, uint64_t icount, TtStop *out)
{
    if (!have_history(m, out))
        return false;
    TimeTravel *tt = m->tt;
    uint64_t end = tt->past ? tt->head : m->cpu->icount;
    if (icount > end) {
        snprintf(out->error, sizeof out->error,
                 "icount %" PRIu64 " is past the end of history (%" PRIu64 ")", icount, end);
        return false;
    }
    double t0 = host_now();
    dbg_suspend(tt->dbg, true);
    bool ok = true;
    if (!tt->past || icount < m->cpu->icount) {
        int i = ck_find(&tt->store, icount, false);
        if (i < 0) {
            i = 0;
            icount = tt->store.cps[0].icount;
            out->begin = true;
        }
        ok = restore(m, i, out->error, sizeof out->error);
    }
    while (ok && m->cpu->icount < icount)
        ok = turn(m, icount - m->cpu->icount, out->error, sizeof out->error);
    dbg_suspend(tt->dbg, false);
    tt->travel_seconds += host_now() - t0;
    return ok;
}

/* ======== the machine loop ======== */

static void go_live(Machine *m)
{
    replay_mem_record(&m->replay);
    m->tt->past = false;
}

void tt_between_slices(Machine *m)
{
    TimeTravel *tt = m->tt;
    if (!tt)
        return;
    if (tt->past) {
        if (m->cpu->icount < tt->head)
            return;
        go_live(m);
    }
    if (m->cpu->icount >= tt->next_cp) {
        take(m);
        tt->next_cp = m->cpu->icount + tt->every;
    }
}

uint64_t tt_slice(Machine *m, uint64_t n)
{
    TimeTravel *tt = m->tt;
    if (!tt)
        return n;
    uint64_t at = m->cpu->icount, stop = tt->past ? tt->head : tt->next_cp;
    return stop > at && stop - at < n ? stop - at : n;
}

void tt_fork(Machine *m)
{
    TimeTravel *tt = m->tt;
    if (!tt || !tt->past)
        return;
    ck_drop_after(&tt->store, m->cpu->icount);
    go_live(m);
    tt->next_cp = m->cpu->icount + tt->every;
    fprintf(stderr, "kairo: reverse: the state was changed at icount %" PRIu64
                    "; the history after it is dropped\n", m->cpu->icount);
}

void tt_discard(Machine *m)
{
    TimeTravel *tt = m->tt;
    if (!tt)
        return;
    if (tt->past)
        go_live(m);
    ck_clear(&tt->store);
    m->replay.mem_len = 0;
    m->replay.mem_icount = m->cpu->icount;
    tt->next_cp = m->cpu->icount;
}

/* ======== the debuggers ======== */

bool tt_gdb_reverse(void *machine, bool step, DbgStop *stop, bool *begin)
{
    Machine *m = machine;
    TtStop o;
    bool ok = step ? tt_reverse_step(m, DBG_OWNER_GDB, 1, &o)
                   : tt_reverse_continue(m, DBG_OWNER_GDB, &o);
    if (!ok) {
        fprintf(stderr, "kairo: reverse: %s\n", o.error);
        return false;
    }
    *stop = o.hit ? o.stop : (DbgStop){ .kind = DSTOP_STEP };
    *begin = o.begin;
    return true;
}

void tt_gdb_fork(void *machine)
{
    tt_fork(machine);
}

void tt_info(Machine *m, FILE *out)
{
    TimeTravel *tt = m->tt;
    if (!tt) {
        fprintf(out, "reverse debugging is off (--reverse)\n");
        return;
    }
    const CkStore *s = &tt->store;
    if (!s->n) {
        fprintf(out, "no checkpoint yet\n");
        return;
    }
    uint64_t end = tt->past ? tt->head : m->cpu->icount;
    fprintf(out, "history: icount %" PRIu64 " to %" PRIu64 ", %d checkpoints (every %" PRIu64
                 "; %" PRIu64 " taken, %" PRIu64 " thinned)\n",
            s->cps[0].icount, end, s->n, tt->every, s->taken, s->thinned);
    if (tt->past)
        fprintf(out, "position: icount %" PRIu64 ", replaying (%" PRIu64
                     " instructions before the end of history)\n",
                m->cpu->icount, tt->head - m->cpu->icount);
    else
        fprintf(out, "position: icount %" PRIu64 ", live\n", m->cpu->icount);
    fprintf(out, "memory: %.1f MiB (%" PRIu64 " page copies, %.1f MiB of device state), "
                 "input log %zu bytes\n",
            (double)ck_bytes(s) / 1048576.0, s->live_pages, (double)s->state_bytes / 1048576.0,
            m->replay.mem_len);
    fprintf(out, "time: %.3f s taking checkpoints, %.3f s travelling (%" PRIu64
                 " restores, %" PRIu64 " pages copied back)\n",
            tt->take_seconds, tt->travel_seconds, tt->restores, tt->pages_restored);
}

/* ======== lifecycle ======== */

bool tt_open(Machine *m)
{
    const Options *o = &m->opt;
    if (!o->reverse && !o->reverse_opts)
        return true;   /* (--reverse-opts alone implies --reverse) */
    uint64_t every = DEFAULT_EVERY, count = DEFAULT_COUNT, mem_mb = DEFAULT_MEM_MB;
    if (!parse_opts(o->reverse_opts, &every, &count, &mem_mb)) {
        fprintf(stderr, "kairo: bad --reverse-opts '%s' (every=N,count=N,mem=MB)\n",
                o->reverse_opts);
        return false;
    }
    if (o->replay) {
        fprintf(stderr, "kairo: --reverse cannot be used with -replay\n");
        return false;
    }
    TimeTravel *tt = calloc(1, sizeof *tt);
    uint32_t pages = m->mem->ram_size / CK_PAGE_SIZE;
    m->mem->dirty = calloc(pages ? pages : 1, 1);
    if (!tt || !m->mem->dirty || !ck_init(&tt->store, pages, (int)count, mem_mb << 20) ||
        !(tt->dbg = dbg_acquire(m->cpu)) || !replay_open_memory(&m->replay, &m->cpu->icount)) {
        fprintf(stderr, "kairo: --reverse: out of memory\n");
        if (tt)
            ck_free(&tt->store);
        free(tt);
        return false;
    }
    tt->every = every;
    tt->next_cp = m->cpu->icount;
    m->replay.icount_stop = &m->cpu->icount_stop;
    m->tt = tt;
    return true;
}

void tt_close(Machine *m)
{
    TimeTravel *tt = m->tt;
    if (!tt)
        return;
    if (m->opt.stats)
        tt_info(m, stderr);
    ck_free(&tt->store);
    dbg_release(tt->dbg);
    free(m->mem->dirty);
    m->mem->dirty = NULL;
    free(tt);
    m->tt = NULL;
}
