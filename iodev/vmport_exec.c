/* SPDX-License-Identifier: MIT */
/* Shadow processes for the guest (iodev/vmport_exec.h). */
#include "iodev/vmport_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void exec_init(ExecServer *s)
{
    memset(s, 0, sizeof *s);
}

bool exec_allow(ExecServer *s, const char *spec, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof s->allow[0].name ||
        !colon[1]) {
        snprintf(err, errlen, "exec=%s: expected NAME:PROGRAM [ARGS]", spec);
        return false;
    }
    if (s->n_allow == EXEC_ALLOW_MAX) {
        snprintf(err, errlen, "exec=%s: at most %d programs", spec, EXEC_ALLOW_MAX);
        return false;
    }
    ExecAllow *a = &s->allow[s->n_allow];
    memset(a, 0, sizeof *a);
    memcpy(a->name, spec, (size_t)(colon - spec));
    a->storage = strdup(colon + 1);
    if (!a->storage) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    char *save = NULL;
    for (char *w = strtok_r(a->storage, " ", &save); w && a->argc < EXEC_ARGS_MAX;
         w = strtok_r(NULL, " ", &save))
        a->argv[a->argc++] = w;
    if (a->argc == 0 || a->argv[0][0] != '/' || access(a->argv[0], X_OK) != 0) {
        snprintf(err, errlen, "exec=%s: the program must be an executable absolute path", spec);
        free(a->storage);
        return false;
    }
    s->n_allow++;
    /* A program that exits before taking its stdin must not take kairo
     * down with SIGPIPE: the write reports EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    return true;
}

static size_t reply(uint8_t *out, size_t cap, bool ok, const char *text)
{
    int n = snprintf((char *)out, cap, "%c %s", ok ? '1' : '0', text);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void proc_free(ExecProc *p)
{
    close_fd(&p->in);
    close_fd(&p->out);
    close_fd(&p->err);
    free(p->pending);
    memset(p, 0, sizeof *p);
}

static const ExecAllow *allowed(const ExecServer *s, const char *name)
{
    for (int i = 0; i < s->n_allow; i++)
        if (!strcmp(s->allow[i].name, name))
            return &s->allow[i];
    return NULL;
}

/* start NAME\0ARG\0...: the fields after "kairo.exec.start ". */
static size_t exec_start(ExecServer *s, const uint8_t *f, size_t n, uint8_t *out, size_t cap)
{
    char *fields[EXEC_ARGS_MAX + 1];
    int nf = 0;
    char *copy = malloc(n + 1);
    if (!copy)
        return reply(out, cap, false, "out of memory");
    memcpy(copy, f, n);
    copy[n] = 0;
    for (size_t i = 0; i < n && nf < EXEC_ARGS_MAX; ) {
        fields[nf++] = copy + i;
        i += strlen(copy + i) + 1;
    }
    const ExecAllow *a = nf ? allowed(s, fields[0]) : NULL;
    if (!a) {
        s->refused++;
        fprintf(stderr, "kairo: vmport: the guest asked to run '%.40s', which is not on the "
                        "-vmport exec= allowlist; refused\n", nf ? fields[0] : "");
        free(copy);
        return reply(out, cap, false, "not allowed");
    }
    int slot = 0;
    while (slot < EXEC_PROCS_MAX && s->procs[slot].used)
        slot++;
    if (slot == EXEC_PROCS_MAX || a->argc + nf > EXEC_ARGS_MAX) {
        free(copy);
        return reply(out, cap, false, "too many programs or arguments");
    }
    char *argv[EXEC_ARGS_MAX * 2 + 1];
    int ac = 0;
    for (int i = 0; i < a->argc; i++)
        argv[ac++] = a->argv[i];
    for (int i = 1; i < nf; i++)
        argv[ac++] = fields[i];
    argv[ac] = NULL;
    int pin[2], pout[2], perr[2];
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
        free(copy);
        return reply(out, cap, false, "no pipes");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    if (s->trace)
        fprintf(s->trace, "hostcall: exec %s (%s, %d arguments from the guest) -> %s\n",
                a->name, argv[0], nf - 1, rc ? strerror(rc) : "started");
    free(copy);
    if (rc) {
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        return reply(out, cap, false, "cannot start");
    }
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    fcntl(pout[0], F_SETFL, O_NONBLOCK);
    fcntl(perr[0], F_SETFL, O_NONBLOCK);
    s->procs[slot] = (ExecProc){ .used = true, .pid = pid, .in = pin[1], .out = pout[0],
                                 .err = perr[0] };
    s->started++;
    char id[16];
    snprintf(id, sizeof id, "%d", slot);
    return reply(out, cap, true, id);
}

/* Move held stdin into the pipe; close it once drained after eof. */
static void pump_stdin(ExecProc *p)
{
    while (p->in >= 0 && p->pending_len) {
        ssize_t w = write(p->in, p->pending, p->pending_len);
        if (w <= 0) {
            if (w < 0 && errno == EAGAIN)
                return;
            p->pending_len = 0;         /* the program closed its stdin: drop the rest */
            break;
        }
        memmove(p->pending, p->pending + w, p->pending_len - (size_t)w);
        p->pending_len -= (size_t)w;
    }
    if (p->eof_asked && !p->pending_len)
        close_fd(&p->in);
}

static size_t exec_write(ExecProc *p, const uint8_t *d, size_t n, uint8_t *out, size_t cap)
{
    if (p->in < 0)
        return reply(out, cap, false, "stdin is closed");
    pump_stdin(p);
    size_t room = EXEC_STDIN_MAX - p->pending_len;
    size_t take = n < room ? n : room;
    if (take) {
        uint8_t *more = realloc(p->pending, p->pending_len + take);
        if (!more)
            return reply(out, cap, false, "out of memory");
        p->pending = more;
        memcpy(p->pending + p->pending_len, d, take);
        p->pending_len += take;
        pump_stdin(p);
    }
    char num[24];
    snprintf(num, sizeof num, "%zu", take);
    return reply(out, cap, true, num);
}

/* Data from fd as "1 T"+bytes; 0 when there is none now (or EOF, fd closed). */
static size_t drain(int *fd, char tag, uint8_t *out, size_t cap)
{
    if (*fd < 0 || cap < 4)
        return 0;
    ssize_t r = read(*fd, out + 3, cap - 3);
    if (r > 0) {
        out[0] = '1', out[1] = ' ', out[2] = (uint8_t)tag;
        return 3 + (size_t)r;
    }
    if (r == 0 || errno != EAGAIN)
        close_fd(fd);
    return 0;
}

/* read: what is there now; wait: up to 10 ms of host time for something
 * (the guest has nothing else to do: its stdin is done, or the program's
 * is full). */
static size_t exec_read(ExecServer *s, ExecProc *p, bool wait, uint8_t *out, size_t cap)
{
    if (cap > EXEC_REPLY_MAX)
        cap = EXEC_REPLY_MAX;
    for (int attempt = 0; attempt < (wait ? 5 : 1); attempt++) {
        pump_stdin(p);
        size_t n = drain(&p->out, 'o', out, cap);
        if (!n)
            n = drain(&p->err, 'e', out, cap);
        if (n)
            return n;
        if (p->out < 0 && p->err < 0) {
            int st;
            if (waitpid(p->pid, &st, 0) == p->pid) {
                int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                char text[24];
                snprintf(text, sizeof text, "x %d", code);
                if (s->trace)
                    fprintf(s->trace, "hostcall: exec pid %d exited with %d\n", (int)p->pid,
                            code);
                proc_free(p);
                return reply(out, cap, true, text);
            }
        }
        /* Nothing yet: give the program a moment (host time only; the
         * guest sees one slow I/O instruction, as with any host device). */
        struct pollfd pf[2] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 } };
        if (wait)
            poll(pf, 2, 2);
    }
    return reply(out, cap, true, "w");
}

static ExecProc *proc_of(ExecServer *s, const uint8_t **d, size_t *n)
{
    unsigned id = 0;
    size_t i = 0;
    while (i < *n && i < 4 && (*d)[i] >= '0' && (*d)[i] <= '9')
        id = id * 10 + (unsigned)((*d)[i++] - '0');
    if (i == 0 || id >= EXEC_PROCS_MAX || !s->procs[id].used)
        return NULL;
    if (i < *n && (*d)[i] == ' ')
        i++;
    *d += i;
    *n -= i;
    return &s->procs[id];
}

size_t exec_dispatch(ExecServer *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    static const char prefix[] = "kairo.exec.";
    static const char *const verbs[] = { "start ", "write ", "eof ", "read ", "kill ", "wait " };
    if (len < sizeof prefix - 1 || memcmp(req, prefix, sizeof prefix - 1) != 0)
        return reply(out, cap, false, "Unknown command");
    const uint8_t *d = req + sizeof prefix - 1;
    size_t n = len - (sizeof prefix - 1);
    for (int v = 0; v < 6; v++) {
        size_t vl = strlen(verbs[v]);
        if (n < vl || memcmp(d, verbs[v], vl) != 0)
            continue;
        d += vl, n -= vl;
        if (v == 0)
            return exec_start(s, d, n, out, cap);
        ExecProc *p = proc_of(s, &d, &n);
        if (!p)
            return reply(out, cap, false, "no such program");
        switch (v) {
        case 1: return exec_write(p, d, n, out, cap);
        case 2: p->eof_asked = true; pump_stdin(p); return reply(out, cap, true, "");
        case 3: return exec_read(s, p, false, out, cap);
        case 5: return exec_read(s, p, true, out, cap);
        default:
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            proc_free(p);
            return reply(out, cap, true, "");
        }
    }
    return reply(out, cap, false, "Unknown command");
}

void exec_stop_all(ExecServer *s)
{
    for (int i = 0; i < EXEC_PROCS_MAX; i++) {
        ExecProc *p = &s->procs[i];
        if (!p->used)
            continue;
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        proc_free(p);
    }
}

void exec_free(ExecServer *s)
{
    exec_stop_all(s);
    for (int i = 0; i < s->n_allow; i++)
        free(s->allow[i].storage);
    s->n_allow = 0;
}
