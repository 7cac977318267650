/* SPDX-License-Identifier: MIT */
/* The monitor's core: the command table and its dispatch, the prompt, and
 * the service loop between CPU slices (see monitor.h). The commands live in
 * topic files: monitor_run.c (run control, breakpoints, keys), monitor_mem.c
 * (registers, memory, disassembly), monitor_info.c (tables and devices). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "debug/breakpoints.h"
#include "debug/monitor_int.h"
#include "machine/machine.h"

static const char PROMPT[] = "(kairo) ";
/* How long a blocking wait sleeps before looking at the host signal flag;
 * with an idle hook (the window refreshing) it is called this often. */
enum { WAIT_SLICE_MS = 100, IDLE_SLICE_MS = 5 };

/* ======== helpers the topic files share ======== */

bool mon_error(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", mon->out);
    vfprintf(mon->out, fmt, ap);
    fputc('\n', mon->out);
    va_end(ap);
    return false;
}

bool mon_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    char *end;
    /* "0x.." and decimal as C reads them; a word with a hex letter
     * ("c0000000", "ffff1000") is hex, as addresses are in every listing. */
    int base = 0;
    bool hex_letters = false, all_hex = true;
    for (const char *p = s; *p; p++) {
        all_hex &= isxdigit((unsigned char)*p) != 0;
        hex_letters |= isalpha((unsigned char)*p) != 0;
    }
    if (all_hex && hex_letters)
        base = 16;
    else if (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X')
        base = 10;   /* a leading zero is no octal here: "0100" is one hundred */
    unsigned long long v = strtoull(s, &end, base);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

bool mon_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!mon_parse_u64(s, &v) || v > 0xFFFFFFFFull)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* ======== the command table ======== */

static bool cmd_help(Monitor *mon, int argc, char **argv);

static const MonCommand core_commands[] = {
    { "help", "h", 0, 1, cmd_help, "help [COMMAND]", "list the commands, or one in detail" },
};

typedef struct TableSlice {
    const MonCommand *cmds;
    const size_t *count;
} TableSlice;

static const size_t core_count = sizeof core_commands / sizeof core_commands[0];
static const TableSlice tables[] = {
    { core_commands, &core_count },
    { mon_run_commands, &mon_run_count },
    { mon_mem_commands, &mon_mem_count },
    { mon_info_commands, &mon_info_count },
    { mon_state_commands, &mon_state_count },
    { mon_hmp_commands, &mon_hmp_count },
};

/* Split a line into words; "x/4x" is "x" "/4x", as gdb users type it. */
static int tokenize(char *line, char **argv, int max)
{
    int argc = 0;
    for (char *p = line; *p && argc < max;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && !isspace((unsigned char)*p) && !(argc == 1 && *p == '/' && p != argv[0]))
            p++;
        if (!*p)
            break;
        if (*p == '/') {
            /* The format glued to the command: make room for a NUL. */
            memmove(p + 1, p, strlen(p) + 1);
            *p++ = 0;
            continue;
        }
        *p++ = 0;
    }
    return argc;
}

static bool name_matches(const MonCommand *c, int argc, char **argv, int *words)
{
    const char *space = strchr(c->name, ' ');
    if (!space) {
        *words = 1;
        return !strcmp(argv[0], c->name) || (c->alias && !strcmp(argv[0], c->alias));
    }
    /* "info tab": the first word and the second must both match. */
    size_t n = (size_t)(space - c->name);
    *words = 2;
    return argc >= 2 && strlen(argv[0]) == n && !strncmp(argv[0], c->name, n) &&
           !strcmp(argv[1], space + 1);
}

static const MonCommand *find_command(int argc, char **argv, int *words)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < *tables[t].count; i++)
            if (tables[t].cmds[i].fn && name_matches(&tables[t].cmds[i], argc, argv, words))
                return &tables[t].cmds[i];
    return NULL;
}

static bool cmd_help(Monitor *mon, int argc, char **argv)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (size_t i = 0; i < *tables[t].count; i++) {
            const MonCommand *c = &tables[t].cmds[i];
            bool prefix = argc == 1 && !strncmp(c->name, argv[0], strlen(argv[0])) &&
                          (c->name[strlen(argv[0])] == 0 || c->name[strlen(argv[0])] == ' ');
            bool alias = argc == 1 && c->alias && !strcmp(c->alias, argv[0]);
            if (argc == 0 || prefix || alias)
                fprintf(mon->out, "%-28s %s\n", c->usage, c->help);
        }
    }
    return true;
}

static bool execute_words(Monitor *mon, int argc, char **argv)
{
    int words;
    const MonCommand *c = find_command(argc, argv, &words);
    if (!c) {
        if (!strcmp(argv[0], "info") && argc == 2)
            return mon_info_component(mon, argv[1]);
        if (!strcmp(argv[0], "info"))
            return mon_error(mon, "info what? (help info lists the topics)");
        return mon_error(mon, "unknown command '%s' (help lists them)", argv[0]);
    }
    int nargs = argc - words;
    if (nargs < c->min_args || nargs > c->max_args)
        return mon_error(mon, "usage: %s", c->usage);
    return c->fn(mon, nargs, argv + words);
}

bool monitor_execute(Monitor *mon, const char *line)
{
    char buf[MON_LINE_MAX + MON_MAX_ARGS];
    if (strlen(line) >= MON_LINE_MAX)
        return mon_error(mon, "line too long (at most %d characters)", MON_LINE_MAX - 1);
    snprintf(buf, sizeof buf, "%s", line);
    char *argv[MON_MAX_ARGS + 1];
    int argc = tokenize(buf, argv, MON_MAX_ARGS + 1);
    if (argc == 0)
        return true;
    if (argc > MON_MAX_ARGS)
        return mon_error(mon, "too many words");
    return execute_words(mon, argc, argv);
}

/* ======== output ======== */

/* Send what the commands wrote since the last flush; with no client
 * connected it is dropped (a later client starts from a greeting). */
static void flush_output(Monitor *mon)
{
    if (!mon->has_conn)
        return;
    fflush(mon->out);
    if (mon->out_len && (mon->conn.out_fd >= 0 || mon->conn.is_channel))
        monconn_send(&mon->conn, mon->out_buf, mon->out_len);
    rewind(mon->out);
    fflush(mon->out);
    mon->out_len = 0;
}

static void send_prompt(Monitor *mon)
{
    fputs(PROMPT, mon->out);
    flush_output(mon);
}

/* ======== the service loop ======== */

Cpu *mon_cpu(const Monitor *mon)
{
    const Machine *m = mon->m;
    if (mon->cpu_index > 0 && mon->cpu_index < m->n_cpus)
        return m->cpus[mon->cpu_index];
    return m->cpu;
}

/* A stop on any CPU (-smp) makes it the monitor's CPU, as in QEMU. */
static void select_stopped_cpu(Monitor *mon, const Cpu *cpu)
{
    const Machine *m = mon->m;
    for (int i = 0; i < m->n_cpus; i++)
        if (m->cpus[i] == cpu && i != mon->cpu_index) {
            mon->cpu_index = i;
            fprintf(mon->out, "[CPU #%d]\n", i);
        }
}

/* Where the guest stopped, and why: a breakpoint, watchpoint or step of
 * ours, a `stop`, Ctrl-C. */
static void take_debug_stop(Monitor *mon)
{
    DbgStop st;
    if (!mon->dbg || !dbg_take_stop(mon->dbg, DBG_OWNER_MONITOR, &st))
        return;
    if (st.kind == DSTOP_STEP && mon->steps_left > 1) {
        mon->steps_left--;
        dbg_resume(mon->dbg, DBG_OWNER_MONITOR, true);
        return;
    }
    mon->steps_left = 0;
    mon->stopped = true;
    if (st.cpu)
        select_stopped_cpu(mon, st.cpu);
    switch (st.kind) {
    case DSTOP_BREAK:
        fprintf(mon->out, "breakpoint %d hit\n", st.id);
        break;
    case DSTOP_WATCH:
        fprintf(mon->out, "watchpoint %d hit: %s at 0x%08x\n", st.id, st.write ? "write" : "read",
                st.addr);
        break;
    case DSTOP_PORT:
        fprintf(mon->out, "watchpoint %d hit: %s port 0x%04x\n", st.id, st.write ? "out" : "in",
                st.addr);
        break;
    default:
        break;
    }
    mon_print_current_insn(mon);
    send_prompt(mon);
}

static void greet(Monitor *mon)
{
    fprintf(mon->out, "Kairo monitor - type 'help' for the commands; the guest is %s\n",
            mon->stopped ? "stopped" : "running");
    if (mon->stopped)
        mon_print_current_insn(mon);
    send_prompt(mon);
}

static void accept_if_waiting(Monitor *mon, int timeout_ms)
{
    bool had = monconn_connected(&mon->conn);
    if (monconn_accept(&mon->conn, timeout_ms) && !had)
        greet(mon);
}

/* One line from the client, executed; its answer and a prompt go back
 * (a step answers when it completes). */
static void handle_line(Monitor *mon)
{
    bool was_stopped = mon->stopped;
    if (mon->conn.overlong)
        mon_error(mon, "line too long (at most %d characters)", MON_LINE_MAX - 1);
    else
        monitor_execute(mon, mon->conn.line);
    /* A script that sends `c` and more commands at once means them for
     * the next stop (a breakpoint, `stop`, Ctrl-C), as in Bochs: what was
     * typed ahead waits; a line that arrives later runs at once. */
    if (was_stopped && !mon->stopped && !mon->steps_left && mon->conn.rx_len)
        mon->hold_typed_ahead = true;
    if (mon->steps_left || mon->quit) {
        flush_output(mon);
        return;
    }
    send_prompt(mon);
}

static void poll_while_running(Monitor *mon)
{
    accept_if_waiting(mon, 0);
    if (mon->hold_typed_ahead)
        return;
    while (!mon->stopped && !mon->quit && monconn_read_line(&mon->conn, 0) == 1)
        handle_line(mon);
}

/* A stdio monitor owns Ctrl-C: it stops the guest instead of the run. */
static bool take_sigint(Monitor *mon, volatile sig_atomic_t *host_signal)
{
    if (!mon->conn.is_stdio || *host_signal != SIGINT)
        return false;
    *host_signal = 0;
    return true;
}

static MonVerdict command_loop(Monitor *mon, volatile sig_atomic_t *host_signal)
{
    int wait_ms = mon->idle ? IDLE_SLICE_MS : WAIT_SLICE_MS;
    while (mon->stopped && !mon->quit && !mon->steps_left) {
        if (mon->idle && mon->idle(mon->idle_opaque))
            return MON_GO;   /* the caller ends the run (see monitor_set_idle_hook) */
        if (take_sigint(mon, host_signal)) {
            fputc('\n', mon->out);
            send_prompt(mon);
            continue;
        }
        if (*host_signal)
            return MON_HOST_SIGNAL;
        if (mon->conn.is_stdio && mon->conn.eof) {
            mon->quit = true;   /* nobody can resume the guest any more */
            break;
        }
        if (!monconn_connected(&mon->conn)) {
            accept_if_waiting(mon, wait_ms);
            continue;
        }
        if (monconn_read_line(&mon->conn, wait_ms) == 1)
            handle_line(mon);
    }
    return mon->quit ? MON_QUIT : MON_GO;
}

bool monitor_poll(Monitor *mon)
{
    accept_if_waiting(mon, 0);
    while (!mon->quit && !mon->steps_left && monconn_read_line(&mon->conn, 0) == 1)
        handle_line(mon);
    return mon->quit;
}

MonVerdict monitor_service(Monitor *mon, volatile sig_atomic_t *host_signal)
{
    take_debug_stop(mon);
    if (take_sigint(mon, host_signal) && !mon->stopped) {
        mon->stopped = true;
        mon->steps_left = 0;
        fputs("\nstopped\n", mon->out);
        mon_print_current_insn(mon);
        send_prompt(mon);
    }
    if (!mon->stopped)
        poll_while_running(mon);
    if (mon->quit)
        return MON_QUIT;
    if (!mon->stopped || mon->steps_left)
        return MON_GO;
    mon->hold_typed_ahead = false;   /* stopped: the held lines run now */
    return command_loop(mon, host_signal);
}

bool monitor_owns_signal(const Monitor *mon, int sig)
{
    return mon->has_conn && mon->conn.is_stdio && sig == SIGINT;
}

bool monitor_stopped(const Monitor *mon)
{
    return mon->stopped;
}

/* ======== lifecycle ======== */

static Monitor *monitor_alloc(Machine *m)
{
    Monitor *mon = calloc(1, sizeof *mon);
    if (!mon)
        return NULL;
    mon->m = m;
    mon->dbg = dbg_acquire(m->cpu);
    if (!mon->dbg) {
        free(mon);
        return NULL;
    }
    return mon;
}

Monitor *monitor_new(const char *spec, Machine *m, bool start_stopped, char *err, size_t errlen)
{
    Monitor *mon = monitor_alloc(m);
    if (!mon) {
        snprintf(err, errlen, "-monitor: out of memory");
        return NULL;
    }
    mon->out = open_memstream(&mon->out_buf, &mon->out_len);
    if (!mon->out || !monconn_open(&mon->conn, spec, err, errlen)) {
        if (mon->out)
            fclose(mon->out);
        free(mon->out_buf);
        dbg_release(mon->dbg);
        free(mon);
        return NULL;
    }
    mon->has_conn = true;
    mon->stopped = start_stopped;
    if (mon->conn.is_stdio)
        greet(mon);
    return mon;
}

Monitor *monitor_new_channel(Machine *m, bool start_stopped, MonitorOutputFn out, void *opaque)
{
    Monitor *mon = monitor_alloc(m);
    if (!mon)
        return NULL;
    mon->out = open_memstream(&mon->out_buf, &mon->out_len);
    if (!mon->out) {
        dbg_release(mon->dbg);
        free(mon);
        return NULL;
    }
    monconn_open_channel(&mon->conn, out, opaque);
    mon->has_conn = true;
    mon->stopped = start_stopped;
    greet(mon);
    return mon;
}

void monitor_channel_input(Monitor *mon, const char *line)
{
    if (!mon || !mon->conn.is_channel)
        return;
    if (strlen(line) >= MON_LINE_MAX) {
        /* As a socket's overlong line: an error, the rest dropped. */
        mon_error(mon, "line too long (at most %d characters)", MON_LINE_MAX - 1);
        send_prompt(mon);
        return;
    }
    if (!monconn_push_line(&mon->conn, line)) {
        mon_error(mon, "too much typed ahead: line dropped");
        send_prompt(mon);
    }
}

void monitor_set_idle_hook(Monitor *mon, MonitorIdleFn fn, void *opaque)
{
    if (!mon)
        return;
    mon->idle = fn;
    mon->idle_opaque = opaque;
}

Monitor *monitor_new_stream(Machine *m, FILE *out)
{
    Monitor *mon = monitor_alloc(m);
    if (mon)
        mon->out = out;
    return mon;
}

void monitor_report_exit(Monitor *mon, int status)
{
    if (!mon || !mon->has_conn)
        return;
    fprintf(mon->out, "the run ended (exit status %d)\n", status);
    flush_output(mon);
}

void monitor_free(Monitor *mon)
{
    if (!mon)
        return;
    if (mon->has_conn) {
        fclose(mon->out);
        free(mon->out_buf);
        monconn_close(&mon->conn);
    }
    dbg_release(mon->dbg);
    free(mon);
}
