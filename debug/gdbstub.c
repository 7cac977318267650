/* SPDX-License-Identifier: MIT */
/* The GDB remote serial protocol stub (see gdbstub.h). */
#include "debug/gdbstub.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/mem_access.h"
#include "debug/breakpoints.h"
#include "debug/gdbpacket.h"
#include "machine/hexdigit.h"
#include "debug/gdbregs.h"
#include "machine/host_socket.h"

/* How long a blocking wait sleeps before looking at the host signal flag. */
enum { WAIT_SLICE_MS = 100, IDLE_SLICE_MS = 5 };

/* Z/z packet types. */
enum { Z_SW_BREAK = 0, Z_HW_BREAK = 1, Z_WATCH_WRITE = 2, Z_WATCH_READ = 3, Z_WATCH_ACCESS = 4 };

typedef enum {
    STOP_ATTACH,      /* gdb connected (or -S): SIGTRAP, no reason */
    STOP_STEP,        /* a single step completed: SIGTRAP */
    STOP_BREAK,       /* a Z0/Z1 breakpoint: SIGTRAP, swbreak/hwbreak */
    STOP_WATCH,       /* a Z2/Z3/Z4 watchpoint: SIGTRAP, watch/rwatch/awatch */
    STOP_INTERRUPT,   /* Ctrl-C: SIGINT */
    STOP_HISTORY_BEGIN,   /* reverse execution reached the start of history */
} StopKind;

struct GdbStub {
    Cpu *cpu;               /* the BSP: run control, breakpoints, stop replies */
    /* One thread per CPU (-smp): thread n is cpus[n - 1]; Hg selects the
     * one whose registers and memory view g/G/p/P/m/M/X use. */
    Cpu *cpus[GDB_MAX_THREADS];
    int n_cpus;
    Cpu *sel;
    /* All-stop: a stop on any CPU stops every CPU; the stop reply names
     * that CPU's thread. Hc (or a vCont action's thread) picks the CPU that
     * a step steps and a new PC goes to; NULL: the one that stopped. */
    Cpu *stop_cpu;
    Cpu *run_sel;
    DebugPoints *dbg;       /* breakpoints and watchpoints, shared with the monitor */
    int listen_fd, client_fd;
    bool stopped;           /* the guest waits for a resume command */
    bool owe_stop_reply;    /* gdb resumed the guest and waits for its stop */
    bool kill;              /* k / vKill */
    bool no_ack;            /* QStartNoAckMode */
    StopKind stop;
    uint32_t stop_addr;     /* the watched address that was hit */
    int stop_type;          /* Z type of the breakpoint or watchpoint hit */
    GdbRx rx;
    uint8_t in[4096];
    size_t in_pos, in_len;
    char out[GDB_PACKET_MAX + 1];    /* the reply being built */
    uint8_t data[GDB_PACKET_MAX];    /* guest bytes on their way in or out */
    char last[GDB_PACKET_MAX + 8];   /* the last framed reply, for '-' */
    size_t last_len;
    GdbIdleFn idle;         /* called while the command loop waits */
    void *idle_opaque;
    GdbMonitorFn monitor;   /* qRcmd: `monitor LINE` in gdb, or NULL */
    void *monitor_opaque;
    bool read_only;         /* record/replay: memory and register writes refused */
    GdbReverseFn reverse;   /* bs / bc, or NULL */
    GdbForkFn fork;
    void *reverse_opaque;
};

/* ======== the connection ======== */

static void drop_client(GdbStub *g)
{
    if (g->client_fd >= 0)
        close(g->client_fd);
    g->client_fd = -1;
}

static void send_raw(GdbStub *g, const char *data, size_t len)
{
    while (len && g->client_fd >= 0) {
        ssize_t n = send(g->client_fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "kairo: gdb: connection lost (%s)\n", strerror(errno));
            drop_client(g);
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void reply_len(GdbStub *g, const char *payload, size_t len)
{
    g->last_len = gdb_frame(payload, len, g->last, sizeof g->last);
    send_raw(g, g->last, g->last_len);
}

static void reply(GdbStub *g, const char *payload)
{
    reply_len(g, payload, strlen(payload));
}

/* Error replies carry an errno in decimal digits, as QEMU's do: EINVAL for
 * malformed or unsupported arguments, EFAULT for an address the guest's
 * paging does not map, ENOSPC for a full breakpoint or watchpoint list. */
static void reply_einval(GdbStub *g) { reply(g, "E22"); }
static void reply_efault(GdbStub *g) { reply(g, "E14"); }
static void reply_enospc(GdbStub *g) { reply(g, "E28"); }

static void reply_ok(GdbStub *g) { reply(g, "OK"); }

/* gdb changes the guest: in the past of reverse execution, the recorded
 * future is gone. */
static void state_changes(GdbStub *g)
{
    if (g->fork && !g->read_only)   /* refused writes change nothing */
        g->fork(g->reverse_opaque);
}

/* Break out of the command loop into a stopped state; if gdb waits for the
 * stop (it resumed us), it gets the stop reply. */
static void stop_guest(GdbStub *g, StopKind kind)
{
    g->stop = kind;
    g->stopped = true;
    g->owe_stop_reply = true;
}

static void accept_client(GdbStub *g)
{
    int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g->client_fd = fd;
    g->no_ack = false;
    g->in_pos = g->in_len = 0;
    g->last_len = 0;
    gdb_rx_init(&g->rx);
    /* As QEMU does: a debugger that connects finds the guest stopped; it
     * asks why with '?'. */
    g->stop = STOP_ATTACH;
    g->stopped = true;
    g->owe_stop_reply = false;
}

/* Wait up to timeout_ms for fd to become readable; false on timeout. */
static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);
    return r > 0;
}

static void detach(GdbStub *g);

/* Read what the client has sent, waiting up to timeout_ms for it. */
static void fill_input(GdbStub *g, int timeout_ms)
{
    if (g->in_pos < g->in_len || !wait_readable(g->client_fd, timeout_ms))
        return;
    ssize_t n = recv(g->client_fd, g->in, sizeof g->in, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        /* gdb went away: carry on without it, as after a detach. */
        fprintf(stderr, "kairo: gdb: connection closed\n");
        detach(g);
        return;
    }
    g->in_pos = 0;
    g->in_len = (size_t)n;
}

/* ======== stop replies ======== */

/* The thread id of a CPU: its index + 1. */
static int thread_of(const GdbStub *g, const Cpu *cpu)
{
    for (int i = 0; i < g->n_cpus; i++)
        if (g->cpus[i] == cpu)
            return i + 1;
    return 1;
}

static void stop_reply(GdbStub *g)
{
    static const char *const watch_name[] = {
        [Z_WATCH_WRITE] = "watch", [Z_WATCH_READ] = "rwatch", [Z_WATCH_ACCESS] = "awatch"
    };
    const Cpu *cpu = g->stop_cpu;
    g->sel = g->stop_cpu;   /* registers and memory: the stopped thread's again */
    g->run_sel = NULL;
    int n = snprintf(g->out, sizeof g->out, "T%02xthread:%02x;",
                     g->stop == STOP_INTERRUPT ? 2 : 5,   /* SIGINT, SIGTRAP */
                     thread_of(g, g->stop_cpu));
    if (g->stop == STOP_BREAK)
        n += snprintf(g->out + n, sizeof g->out - (size_t)n, "%s:;",
                      g->stop_type == Z_HW_BREAK ? "hwbreak" : "swbreak");
    else if (g->stop == STOP_WATCH)
        n += snprintf(g->out + n, sizeof g->out - (size_t)n, "%s:%08x;",
                      watch_name[g->stop_type], g->stop_addr);
    else if (g->stop == STOP_HISTORY_BEGIN)
        n += snprintf(g->out + n, sizeof g->out - (size_t)n, "replaylog:begin;");
    /* The registers gdb needs first (ESP, EBP, EIP) save it a round trip. */
    static const unsigned expedite[] = { 4, 5, 8 };
    for (size_t i = 0; i < sizeof expedite / sizeof expedite[0]; i++) {
        uint8_t v[GDB_REG_MAX_BYTES];
        gdb_reg_get(cpu, expedite[i], v);
        n += snprintf(g->out + n, sizeof g->out - (size_t)n, "%02x:", expedite[i]);
        gdb_hex_encode(v, gdb_reg_size(expedite[i]), g->out + n);
        n += (int)(2 * gdb_reg_size(expedite[i]));
        g->out[n++] = ';';
        g->out[n] = 0;
    }
    reply(g, g->out);
}

/* ======== run control ======== */

/* gdb steps over a breakpoint at the PC itself: none is reported where
 * the guest resumes (breakpoints.c). */
static Cpu *run_cpu(const GdbStub *g)
{
    return g->run_sel ? g->run_sel : g->stop_cpu;
}

static void resume(GdbStub *g, bool step)
{
    g->stopped = false;
    g->owe_stop_reply = true;
    dbg_set_focus(g->dbg, run_cpu(g));
    dbg_resume(g->dbg, DBG_OWNER_GDB, step);
}

static void detach(GdbStub *g)
{
    dbg_clear_owner(g->dbg, DBG_OWNER_GDB);
    resume(g, false);
    g->owe_stop_reply = false;
    drop_client(g);
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr]: an optional new EIP. */
static void cmd_resume_at(GdbStub *g, const char *args, bool step, bool has_signal)
{
    if (has_signal) {
        /* The signal means nothing to a bare machine: parsed, then ignored. */
        uint32_t sig;
        if (!gdb_parse_hex(&args, &sig) || (*args && *args != ';')) {
            reply_einval(g);
            return;
        }
        if (*args)
            args++;
    }
    if (*args) {
        uint32_t eip;
        if (!gdb_parse_hex(&args, &eip) || *args) {
            reply_einval(g);
            return;
        }
        state_changes(g);
        run_cpu(g)->eip = eip;
    }
    resume(g, step);
}

/* bs / bc: the guest moves back while gdb waits, then stops. */
static void cmd_reverse(GdbStub *g, bool step)
{
    DbgStop st;
    bool begin = false;
    if (!g->reverse) {
        reply(g, "");
        return;
    }
    if (!g->reverse(g->reverse_opaque, step, &st, &begin)) {
        reply(g, "E01");
        return;
    }
    g->stop = begin ? STOP_HISTORY_BEGIN : st.kind == DSTOP_BREAK ? STOP_BREAK
              : st.kind == DSTOP_WATCH ? STOP_WATCH : STOP_STEP;
    g->stop_type = st.type;
    g->stop_addr = st.addr;
    g->stop_cpu = st.cpu ? st.cpu : g->cpu;
    stop_reply(g);
}

static void cmd_reverse_step(GdbStub *g, const char *a)
{
    (void)a;
    cmd_reverse(g, true);
}

static void cmd_reverse_continue(GdbStub *g, const char *a)
{
    (void)a;
    cmd_reverse(g, false);
}

static void cmd_continue(GdbStub *g, const char *a) { cmd_resume_at(g, a, false, false); }
static void cmd_step(GdbStub *g, const char *a) { cmd_resume_at(g, a, true, false); }
static void cmd_continue_sig(GdbStub *g, const char *a) { cmd_resume_at(g, a, false, true); }
static void cmd_step_sig(GdbStub *g, const char *a) { cmd_resume_at(g, a, true, true); }

static Cpu *thread_cpu(GdbStub *g, const char *args);

/* A vCont action's ":thread" suffix: the CPU it names; the one that
 * stopped for none, 0 or -1 (every thread); NULL for no CPU. */
static Cpu *vcont_thread(GdbStub *g, const char *thread, const char *end)
{
    char id[16];
    size_t n = (size_t)(end - thread);
    if (n == 0)
        return g->stop_cpu;
    if (n >= sizeof id)
        return NULL;
    memcpy(id, thread, n);
    id[n] = 0;
    return thread_cpu(g, id);
}

/* vCont;ACTION[:THREAD][;ACTION[:THREAD]]...: all-stop, so the first
 * action decides for the machine: s / S steps its thread's CPU alone (the
 * others stay stopped, even with a ;c for them), c / C runs every CPU. */
static void cmd_vcont(GdbStub *g, const char *args)
{
    while (*args) {
        const char *end = strchr(args, ';');
        if (!end)
            end = args + strlen(args);
        const char *colon = memchr(args, ':', (size_t)(end - args));
        const char *thread = colon ? colon + 1 : end;
        char action = args[0];
        bool has_sig = action == 'C' || action == 'S';
        bool valid = (action == 'c' || action == 's') ? args + 1 == (colon ? colon : end)
                     : has_sig ? (colon ? colon : end) - args == 3 &&
                                     hex_digit_value(args[1]) >= 0 && hex_digit_value(args[2]) >= 0
                               : false;
        if (!valid) {
            reply_einval(g);
            return;
        }
        Cpu *c = vcont_thread(g, thread, end);
        if (!c) {
            reply_einval(g);
            return;
        }
        g->run_sel = c;
        resume(g, action == 's' || action == 'S');
        return;
    }
    reply_einval(g);
}

static void cmd_detach(GdbStub *g, const char *args)
{
    (void)args;
    reply_ok(g);
    fprintf(stderr, "kairo: gdb detached\n");
    detach(g);
}

static void cmd_kill(GdbStub *g, const char *args)
{
    (void)args;
    g->kill = true;
}

static void cmd_vkill(GdbStub *g, const char *args)
{
    (void)args;
    reply_ok(g);
    g->kill = true;
}

/* ======== registers ======== */

static void cmd_read_registers(GdbStub *g, const char *args)
{
    (void)args;
    size_t at = 0;
    for (unsigned n = 0; n < gdb_reg_count(); n++) {
        uint8_t v[GDB_REG_MAX_BYTES];
        gdb_reg_get(g->sel, n, v);
        gdb_hex_encode(v, gdb_reg_size(n), g->out + at);
        at += 2 * gdb_reg_size(n);
    }
    reply_len(g, g->out, at);
}

/* G: registers in 'g' order; gdb may send fewer than all of them. */
static void cmd_write_registers(GdbStub *g, const char *args)
{
    state_changes(g);
    size_t len = strlen(args);
    if (g->read_only || len % 2 || len > 2 * gdb_regs_bytes()) {
        reply_einval(g);
        return;
    }
    bool ok = true;
    for (unsigned n = 0; n < gdb_reg_count() && len >= 2 * gdb_reg_size(n); n++) {
        uint8_t v[GDB_REG_MAX_BYTES];
        size_t size = gdb_reg_size(n);
        if (!gdb_hex_decode(args, size, v)) {
            reply_einval(g);
            return;
        }
        ok = gdb_reg_set(g->sel, n, v) && ok;
        args += 2 * size;
        len -= 2 * size;
    }
    if (ok)
        reply_ok(g);
    else
        reply_einval(g);
}

static void cmd_read_register(GdbStub *g, const char *args)
{
    uint32_t n;
    if (!gdb_parse_hex(&args, &n) || *args || n >= gdb_reg_count()) {
        reply_einval(g);
        return;
    }
    uint8_t v[GDB_REG_MAX_BYTES];
    gdb_reg_get(g->sel, n, v);
    gdb_hex_encode(v, gdb_reg_size(n), g->out);
    reply(g, g->out);
}

static void cmd_write_register(GdbStub *g, const char *args)
{
    state_changes(g);
    uint32_t n;
    uint8_t v[GDB_REG_MAX_BYTES];
    if (g->read_only || !gdb_parse_hex(&args, &n) || *args++ != '=' || n >= gdb_reg_count() ||
        strlen(args) != 2 * gdb_reg_size(n) || !gdb_hex_decode(args, gdb_reg_size(n), v) ||
        !gdb_reg_set(g->sel, n, v)) {
        reply_einval(g);
        return;
    }
    reply_ok(g);
}

/* ======== memory (linear addresses through the guest's paging) ======== */

/* "ADDR,LEN" followed by what must come next (':' or the end). */
static bool parse_addr_len(const char **p, uint32_t *addr, uint32_t *len, char next)
{
    const char *s = *p;
    if (!gdb_parse_hex(&s, addr) || *s++ != ',' || !gdb_parse_hex(&s, len) || *s != next)
        return false;
    *p = next ? s + 1 : s;
    return true;
}

/* How many bytes from lin on are mapped (up to len), stopping at the first
 * page that is not; the caller reads or writes them page by page. */
static uint32_t mapped_bytes(Cpu *cpu, uint32_t lin, uint32_t len)
{
    uint32_t done = 0;
    while (done < len) {
        uint64_t phys;
        uint64_t at = (uint64_t)lin + done;
        if (at > 0xFFFFFFFFull || !cpu_translate_debug(cpu, (uint32_t)at, &phys))
            break;
        uint32_t in_page = 0x1000u - ((uint32_t)at & 0xFFFu);
        done += in_page < len - done ? in_page : len - done;
    }
    return done;
}

/* Copy len mapped bytes between the guest (linear lin) and buf. */
static void copy_guest(Cpu *cpu, uint32_t lin, uint8_t *buf, uint32_t len, bool write)
{
    while (len) {
        uint64_t phys;
        cpu_translate_debug(cpu, lin, &phys);
        uint32_t in_page = 0x1000u - (lin & 0xFFFu);
        uint32_t n = in_page < len ? in_page : len;
        if (write)
            phys_write_block(cpu->mem, phys, buf, n);
        else
            phys_read_block(cpu->mem, phys, buf, n);
        lin += n;
        buf += n;
        len -= n;
    }
}

static void cmd_read_memory(GdbStub *g, const char *args)
{
    uint32_t addr, len;
    if (!parse_addr_len(&args, &addr, &len, 0)) {
        reply_einval(g);
        return;
    }
    if (len > GDB_PACKET_MAX / 2)
        len = GDB_PACKET_MAX / 2;   /* a short read; gdb asks for the rest */
    uint32_t n = mapped_bytes(g->sel, addr, len);
    if (len && !n) {
        reply_efault(g);
        return;
    }
    copy_guest(g->sel, addr, g->data, n, false);
    gdb_hex_encode(g->data, n, g->out);
    reply(g, g->out);
}

/* A write happens whole or not at all. */
static void write_memory(GdbStub *g, uint32_t addr, uint8_t *data, uint32_t len)
{
    if (g->read_only) {
        reply_einval(g);
        return;
    }
    if (mapped_bytes(g->sel, addr, len) != len) {
        reply_efault(g);
        return;
    }
    state_changes(g);
    copy_guest(g->sel, addr, data, len, true);
    reply_ok(g);
}

static void cmd_write_memory_hex(GdbStub *g, const char *args)
{
    uint32_t addr, len;
    if (!parse_addr_len(&args, &addr, &len, ':') || len > sizeof g->data ||
        strlen(args) != 2 * (size_t)len || !gdb_hex_decode(args, len, g->data)) {
        reply_einval(g);
        return;
    }
    write_memory(g, addr, g->data, len);
}

/* X ADDR,LEN:BINARY. The payload may hold NULs, so its length comes from
 * the packet, not strlen. */
static void write_memory_binary(GdbStub *g, const char *packet, size_t packet_len)
{
    const char *args = packet + 1;
    uint32_t addr, len;
    if (!parse_addr_len(&args, &addr, &len, ':')) {
        reply_einval(g);
        return;
    }
    /* Unescaping only shrinks: the packet's rest fits in g->data. */
    long n = gdb_unescape(args, packet_len - (size_t)(args - packet), g->data);
    if (n < 0 || (uint32_t)n != len) {
        reply_einval(g);
        return;
    }
    write_memory(g, addr, g->data, len);
}

/* ======== breakpoints and watchpoints ======== */

/* "TYPE,ADDR,KIND" (no conditions: we do not announce them). */
static bool parse_z(const char *args, uint32_t *type, uint32_t *addr, uint32_t *kind)
{
    return gdb_parse_hex(&args, type) && *args++ == ',' && gdb_parse_hex(&args, addr) &&
           *args++ == ',' && gdb_parse_hex(&args, kind) && !*args;
}

static void insert_breakpoint(GdbStub *g, int type, uint32_t addr)
{
    if (dbg_add_break(g->dbg, DBG_OWNER_GDB, type, addr) < 0)
        reply_enospc(g);
    else
        reply_ok(g);
}

static void insert_watchpoint(GdbStub *g, int type, uint32_t addr, uint32_t len)
{
    int id = dbg_add_watch(g->dbg, DBG_OWNER_GDB, type, addr, len);
    if (id == -2)
        reply_einval(g);
    else if (id < 0)
        reply_enospc(g);
    else
        reply_ok(g);
}

static void cmd_insert(GdbStub *g, const char *args)
{
    uint32_t type, addr, kind;
    if (!parse_z(args, &type, &addr, &kind)) {
        reply_einval(g);
        return;
    }
    if (type == Z_SW_BREAK || type == Z_HW_BREAK)
        insert_breakpoint(g, (int)type, addr);
    else if (type <= Z_WATCH_ACCESS)
        insert_watchpoint(g, (int)type, addr, kind);
    else
        reply(g, "");   /* not supported */
}

static void cmd_remove(GdbStub *g, const char *args)
{
    uint32_t type, addr, kind;
    if (!parse_z(args, &type, &addr, &kind)) {
        reply_einval(g);
        return;
    }
    if (type > Z_WATCH_ACCESS) {
        reply(g, "");
        return;
    }
    /* Removing what is not there is not an error: gdb may retry. */
    if (type <= Z_HW_BREAK)
        dbg_remove_break(g->dbg, DBG_OWNER_GDB, (int)type, addr);
    else
        dbg_remove_watch(g->dbg, DBG_OWNER_GDB, (int)type, addr, kind);
    reply_ok(g);
}

/* ======== queries ======== */

static void cmd_supported(GdbStub *g, const char *args)
{
    (void)args;
    snprintf(g->out, sizeof g->out,
             "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;"
             "vContSupported+%s",
             GDB_PACKET_MAX, g->reverse ? ";ReverseStep+;ReverseContinue+" : "");
    reply(g, g->out);
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd_xfer_features(GdbStub *g, const char *args)
{
    const char *annex = "target.xml:";
    uint32_t offset, len;
    if (strncmp(args, annex, strlen(annex))) {
        reply(g, "E00");   /* no such annex */
        return;
    }
    args += strlen(annex);
    if (!parse_addr_len(&args, &offset, &len, 0)) {
        reply_einval(g);
        return;
    }
    size_t xml_len;
    const char *xml = gdb_target_xml(&xml_len);
    if (offset > xml_len) {
        reply_einval(g);
        return;
    }
    /* Escaping may double every byte: leave room for it. */
    size_t n = xml_len - offset;
    size_t room = (sizeof g->out - 2) / 2;
    if (n > len)
        n = len;
    if (n > room)
        n = room;
    g->out[0] = offset + n < xml_len ? 'm' : 'l';
    size_t esc = gdb_escape(xml + offset, n, g->out + 1, sizeof g->out - 1);
    reply_len(g, g->out, esc + 1);
}

static void cmd_no_ack(GdbStub *g, const char *args)
{
    (void)args;
    reply_ok(g);   /* the last acknowledged exchange */
    g->no_ack = true;
}

static void cmd_stop_reason(GdbStub *g, const char *args)
{
    (void)args;
    stop_reply(g);
}

/* qRcmd,HEX: `monitor LINE`. The answer is the output, hex-encoded (OK
 * when there is none), which gdb prints. */
static void cmd_rcmd(GdbStub *g, const char *args)
{
    size_t n = strlen(args);
    char line[512];
    if (!g->monitor) {
        reply(g, "");   /* unsupported */
        return;
    }
    if (n % 2 || n / 2 >= sizeof line || !gdb_hex_decode(args, n / 2, (uint8_t *)line)) {
        reply_einval(g);
        return;
    }
    line[n / 2] = 0;
    char text[(GDB_PACKET_MAX - 1) / 2];
    size_t len = g->monitor(g->monitor_opaque, line, text, sizeof text);
    if (!len) {
        reply_ok(g);
        return;
    }
    gdb_hex_encode((const uint8_t *)text, len, g->out);
    reply_len(g, g->out, 2 * len);
}

/* ======== dispatch ======== */

typedef struct GdbCommand {
    const char *name;
    bool exact;        /* the whole packet, else a prefix followed by arguments */
    void (*fn)(GdbStub *g, const char *args);
    const char *answer;   /* without fn: the fixed reply */
} GdbCommand;

/* ======== threads: one per CPU ======== */

/* A thread id as gdb sends it: hex, 0 (any) or -1 (all): the BSP. NULL
 * for an id that names no CPU. */
static Cpu *thread_cpu(GdbStub *g, const char *args)
{
    if (!strcmp(args, "0") || !strcmp(args, "-1"))
        return g->stop_cpu;
    uint32_t id;
    if (!gdb_parse_hex(&args, &id) || *args || id < 1 || id > (uint32_t)g->n_cpus)
        return NULL;
    return g->cpus[id - 1];
}

static void cmd_thread_list(GdbStub *g, const char *args)
{
    (void)args;
    size_t n = 0;
    for (int i = 0; i < g->n_cpus; i++)
        n += (size_t)snprintf(g->out + n, sizeof g->out - n, "%c%02x", i ? ',' : 'm', i + 1);
    reply(g, g->out);
}

static void cmd_select_thread(GdbStub *g, const char *args)
{
    Cpu *c = thread_cpu(g, args);
    if (!c) {
        reply_einval(g);
        return;
    }
    g->sel = c;
    reply_ok(g);
}

/* Hc: the CPU the next step or continue-at-address is for. */
static void cmd_select_run_thread(GdbStub *g, const char *args)
{
    Cpu *c = thread_cpu(g, args);
    if (!c) {
        reply_einval(g);
        return;
    }
    g->run_sel = c;
    reply_ok(g);
}

static void cmd_current_thread(GdbStub *g, const char *args)
{
    (void)args;
    snprintf(g->out, sizeof g->out, "QC%02x", thread_of(g, g->stop_cpu));
    reply(g, g->out);
}

static void cmd_thread_alive(GdbStub *g, const char *args)
{
    if (thread_cpu(g, args))
        reply_ok(g);
    else
        reply_einval(g);
}

/* `info threads` shows this next to each thread. */
static void cmd_thread_extra(GdbStub *g, const char *args)
{
    const Cpu *c = thread_cpu(g, args);
    if (!c) {
        reply_einval(g);
        return;
    }
    char text[64];
    int len = snprintf(text, sizeof text, "CPU %u%s%s", (unsigned)c->apic_id,
                       c == g->cpu ? " (BSP)" : "", c->halted ? " halted" : "");
    gdb_hex_encode((const uint8_t *)text, (size_t)len, g->out);
    reply(g, g->out);
}

void gdb_stub_set_cpus(GdbStub *g, Cpu *const *cpus, int n)
{
    if (!g || n < 1)
        return;
    g->n_cpus = n < GDB_MAX_THREADS ? n : GDB_MAX_THREADS;
    for (int i = 0; i < g->n_cpus; i++)
        g->cpus[i] = cpus[i];
}

/* First match wins: longer names before their prefixes. 'X' carries
 * binary data and is handled before this table. A thread per CPU;
 * qAttached says 1, so gdb detaches rather than kills when it quits. */
static const GdbCommand commands[] = {
    { "qSupported", false, cmd_supported, NULL },
    { "qXfer:features:read:", false, cmd_xfer_features, NULL },
    { "qAttached", false, NULL, "1" },
    { "qRcmd,", false, cmd_rcmd, NULL },
    { "qfThreadInfo", true, cmd_thread_list, NULL },
    { "qsThreadInfo", true, NULL, "l" },
    { "qThreadExtraInfo,", false, cmd_thread_extra, NULL },
    { "qC", true, cmd_current_thread, NULL },
    { "QStartNoAckMode", true, cmd_no_ack, NULL },
    { "vCont?", true, NULL, "vCont;c;C;s;S" },
    { "vCont;", false, cmd_vcont, NULL },
    { "vKill", false, cmd_vkill, NULL },
    { "?", true, cmd_stop_reason, NULL },
    { "g", true, cmd_read_registers, NULL },
    { "G", false, cmd_write_registers, NULL },
    { "p", false, cmd_read_register, NULL },
    { "P", false, cmd_write_register, NULL },
    { "m", false, cmd_read_memory, NULL },
    { "M", false, cmd_write_memory_hex, NULL },
    { "Z", false, cmd_insert, NULL },
    { "z", false, cmd_remove, NULL },
    { "bs", true, cmd_reverse_step, NULL },
    { "bc", true, cmd_reverse_continue, NULL },
    { "c", false, cmd_continue, NULL },
    { "s", false, cmd_step, NULL },
    { "C", false, cmd_continue_sig, NULL },
    { "S", false, cmd_step_sig, NULL },
    { "D", false, cmd_detach, NULL },
    { "k", true, cmd_kill, NULL },
    { "Hg", false, cmd_select_thread, NULL },
    { "Hc", false, cmd_select_run_thread, NULL },
    { "H", false, NULL, "OK" },
    { "T", false, cmd_thread_alive, NULL },
};

static void handle_packet(GdbStub *g, const char *packet, size_t len)
{
    if (packet[0] == 'X') {
        write_memory_binary(g, packet, len);
        return;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const GdbCommand *c = &commands[i];
        size_t n = strlen(c->name);
        if (c->exact ? !strcmp(packet, c->name) : !strncmp(packet, c->name, n)) {
            if (c->fn)
                c->fn(g, packet + n);
            else
                reply(g, c->answer);
            return;
        }
    }
    reply(g, "");   /* unknown packets get the empty reply */
}

static void handle_rx_event(GdbStub *g, GdbRxEvent ev)
{
    switch (ev) {
    case GDB_RX_PACKET:
        if (!g->no_ack)
            send_raw(g, "+", 1);
        handle_packet(g, g->rx.buf, g->rx.len);
        break;
    case GDB_RX_BAD_CHECKSUM:
        if (!g->no_ack)
            send_raw(g, "-", 1);
        break;
    case GDB_RX_TOO_LONG:
        if (!g->no_ack)
            send_raw(g, "+", 1);
        reply_einval(g);
        break;
    case GDB_RX_INTERRUPT:
        if (!g->stopped)
            stop_guest(g, STOP_INTERRUPT);
        break;
    case GDB_RX_NACK:
        if (g->last_len)
            send_raw(g, g->last, g->last_len);
        break;
    default:
        break;
    }
}

/* Handle buffered input until it runs out or the run state changes (the
 * rest waits for the next call, in the new state). */
static void consume_input(GdbStub *g)
{
    while (g->in_pos < g->in_len && g->client_fd >= 0 && !g->kill) {
        bool was_stopped = g->stopped;
        handle_rx_event(g, gdb_rx_byte(&g->rx, g->in[g->in_pos++]));
        if (g->stopped != was_stopped)
            break;
    }
}

/* ======== the service loop ======== */

static void poll_while_running(GdbStub *g)
{
    if (g->client_fd < 0) {
        if (wait_readable(g->listen_fd, 0)) {
            accept_client(g);
            fprintf(stderr, "kairo: gdb connected; the guest is stopped\n");
        }
        return;
    }
    fill_input(g, 0);
    consume_input(g);
}

static GdbVerdict command_loop(GdbStub *g, volatile sig_atomic_t *host_signal)
{
    int wait_ms = g->idle ? IDLE_SLICE_MS : WAIT_SLICE_MS;
    while (g->stopped && !g->kill) {
        if (g->idle && g->idle(g->idle_opaque))
            return GDB_GO;   /* the caller ends the run (see gdb_stub_set_idle_hook) */
        if (g->owe_stop_reply && g->client_fd >= 0) {
            g->owe_stop_reply = false;
            stop_reply(g);
        }
        if (*host_signal)
            return GDB_HOST_SIGNAL;
        if (g->client_fd < 0) {
            if (wait_readable(g->listen_fd, wait_ms))
                accept_client(g);
            continue;
        }
        fill_input(g, wait_ms);
        consume_input(g);
    }
    return g->kill ? GDB_KILL : GDB_GO;
}

/* A breakpoint, watchpoint or step of ours stopped the CPU. */
static void take_debug_stop(GdbStub *g)
{
    DbgStop st;
    if (!dbg_take_stop(g->dbg, DBG_OWNER_GDB, &st))
        return;
    g->stop = st.kind == DSTOP_STEP ? STOP_STEP : st.kind == DSTOP_BREAK ? STOP_BREAK : STOP_WATCH;
    g->stop_type = st.type;
    g->stop_addr = st.addr;
    g->stop_cpu = st.cpu ? st.cpu : g->cpu;
    g->stopped = true;
    g->owe_stop_reply = true;
}

GdbVerdict gdb_stub_service(GdbStub *g, volatile sig_atomic_t *host_signal)
{
    take_debug_stop(g);
    if (!g->stopped)
        poll_while_running(g);
    if (!g->stopped)
        return g->kill ? GDB_KILL : GDB_GO;
    return command_loop(g, host_signal);
}

/* ======== lifecycle ======== */

static GdbStub *stub_alloc(Cpu *cpu)
{
    GdbStub *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->cpu = g->sel = g->stop_cpu = g->cpus[0] = cpu;
    g->n_cpus = 1;
    g->dbg = dbg_acquire(cpu);
    if (!g->dbg) {
        free(g);
        return NULL;
    }
    g->listen_fd = g->client_fd = -1;
    gdb_rx_init(&g->rx);
    g->stop = STOP_ATTACH;
    return g;
}

/* "tcp::PORT" or "tcp:HOST:PORT" (QEMU's ",server,nowait" suffixes are
 * accepted: this is always a server that does not wait, unless -S). */
static bool parse_spec(const char *spec, char *host, size_t host_len, char *port,
                       size_t port_len)
{
    return !strncmp(spec, "tcp:", 4) && host_parse_tcp(spec + 4, host, host_len, port, port_len);
}

GdbStub *gdb_stub_new(const char *spec, Cpu *cpu, bool start_stopped, char *err,
                      size_t errlen)
{
    char host[256], port[8];
    if (!parse_spec(spec, host, sizeof host, port, sizeof port)) {
        snprintf(err, errlen, "-gdb: bad device '%s' (tcp::PORT or tcp:HOST:PORT)", spec);
        return NULL;
    }
    char why[300];
    int fd = host_tcp_listen(host, port, why, sizeof why);
    if (fd < 0) {
        snprintf(err, errlen, "-gdb: %s", why);
        return NULL;
    }
    GdbStub *g = stub_alloc(cpu);
    if (!g) {
        close(fd);
        snprintf(err, errlen, "-gdb: out of memory");
        return NULL;
    }
    g->listen_fd = fd;
    g->stopped = start_stopped;
    fprintf(stderr, "kairo: gdb stub listening on tcp:%s:%u%s\n", host, host_socket_port(fd),
            start_stopped ? " (the guest waits for gdb: -S)" : "");
    return g;
}

GdbStub *gdb_stub_new_connected(int fd, Cpu *cpu)
{
    GdbStub *g = stub_alloc(cpu);
    if (!g)
        return NULL;
    g->client_fd = fd;
    g->stopped = true;
    return g;
}

void gdb_stub_set_monitor(GdbStub *g, GdbMonitorFn fn, void *opaque)
{
    if (!g)
        return;
    g->monitor = fn;
    g->monitor_opaque = opaque;
}

void gdb_stub_set_read_only(GdbStub *g, bool read_only)
{
    if (g)
        g->read_only = read_only;
}

void gdb_stub_set_reverse(GdbStub *g, GdbReverseFn fn, GdbForkFn fork, void *opaque)
{
    if (!g)
        return;
    g->reverse = fn;
    g->fork = fork;
    g->reverse_opaque = opaque;
}

void gdb_stub_set_idle_hook(GdbStub *g, GdbIdleFn fn, void *opaque)
{
    if (!g)
        return;
    g->idle = fn;
    g->idle_opaque = opaque;
}

void gdb_stub_report_exit(GdbStub *g, int status)
{
    if (g->client_fd < 0 || g->kill)
        return;
    snprintf(g->out, sizeof g->out, "W%02x", (unsigned)status & 0xFF);
    reply(g, g->out);
}

void gdb_stub_free(GdbStub *g)
{
    if (!g)
        return;
    dbg_release(g->dbg);
    drop_client(g);
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    free(g);
}
