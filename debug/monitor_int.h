/* SPDX-License-Identifier: MIT */
/* Inside the monitor: the state its files share, the command table's
 * shape, and the helpers each topic file offers the others. */
#ifndef KAIRO_MONITOR_INT_H
#define KAIRO_MONITOR_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "debug/monitor.h"

struct Machine;
struct DebugPoints;

enum { MON_MAX_ARGS = 8, MON_LINE_MAX = 512 };

/* The connection: a listening socket and one client, stdin/stdout, or an
 * in-memory channel (the window's console: lines pushed in with
 * monconn_push_line, answers handed to a callback). */
typedef struct MonConn {
    bool is_stdio;
    bool is_channel;
    MonitorOutputFn channel_out;    /* the channel's answers go here */
    void *channel_opaque;
    int listen_fd;          /* -1 for stdio */
    int in_fd, out_fd;      /* the client (both the socket) or 0/1; -1 = none */
    char unix_path[108];    /* removed at exit */
    char rx[4096];          /* bytes received, not yet a line */
    size_t rx_len;
    char line[MON_LINE_MAX];    /* the line monconn_read_line returned */
    bool overlong;          /* that line was longer than MON_LINE_MAX: cut */
    bool skipping;          /* dropping the rest of an overlong line */
    bool eof;               /* stdin closed */
} MonConn;

struct Monitor {
    struct Machine *m;
    struct DebugPoints *dbg;
    MonConn conn;
    bool has_conn;          /* false for monitor_new_stream */
    FILE *out;              /* where a command writes its answer */
    char *out_buf;          /* out is an open_memstream over these */
    size_t out_len;
    bool stopped;           /* the guest waits for c / s */
    bool hold_typed_ahead;  /* lines sent after a `c` in one go wait for the next stop */
    bool quit;
    uint64_t steps_left;    /* `s N`: single steps still to take */
    MonitorIdleFn idle;     /* called while the command loop waits */
    void *idle_opaque;
    bool announce_stop;     /* print where the guest stopped, then a prompt */
    int cpu_index;          /* `cpu N`: the CPU registers, memory and steps are of */
};

/* The CPU the monitor's commands act on (`cpu N`; the BSP by default, the
 * CPU that stopped after a breakpoint or step). */
struct Cpu *mon_cpu(const Monitor *mon);

typedef struct MonCommand {
    const char *name;       /* "info tab": a two-word command */
    const char *alias;      /* or NULL */
    int min_args, max_args; /* words after the name */
    bool (*fn)(Monitor *mon, int argc, char **argv);
    const char *usage;      /* "x /Nfmt ADDR" */
    const char *help;
} MonCommand;

/* The connection (monitor_io.c). */
bool monconn_open(MonConn *c, const char *spec, char *err, size_t errlen);
/* An in-memory channel, always connected. */
void monconn_open_channel(MonConn *c, MonitorOutputFn out, void *opaque);
/* Queue a line (without its newline) on a channel; false when the
 * channel's buffer is full. */
bool monconn_push_line(MonConn *c, const char *line);
/* Is a client there to talk to (a socket client, stdio, a channel)? */
bool monconn_connected(const MonConn *c);
/* Take a waiting client (sockets), waiting up to timeout_ms; true when one
 * is connected now. */
bool monconn_accept(MonConn *c, int timeout_ms);
/* 1: a complete line is in c->line (NUL-terminated, no newline);
 * 0: none yet (waited up to timeout_ms); -1: the client went away. */
int monconn_read_line(MonConn *c, int timeout_ms);
void monconn_send(MonConn *c, const char *buf, size_t len);
void monconn_drop_client(MonConn *c);
void monconn_close(MonConn *c);

/* Each topic file exports its slice of the table. */
extern const MonCommand mon_run_commands[];    /* monitor_run.c */
extern const size_t mon_run_count;
extern const MonCommand mon_mem_commands[];    /* monitor_mem.c */
extern const size_t mon_mem_count;
extern const MonCommand mon_info_commands[];   /* monitor_info.c */
extern const size_t mon_info_count;
extern const MonCommand mon_state_commands[];   /* monitor_state.c */
extern const size_t mon_state_count;
/* `info NAME` for a registered component (machine/components.c). */
bool mon_info_component(Monitor *mon, const char *name);
extern const MonCommand mon_hmp_commands[];    /* monitor_hmp.c: QEMU's names */
extern const size_t mon_hmp_count;

/* A one-line error: "error: ..." (always returns false). */
bool mon_error(Monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number in C notation (0x.. hex, 0.. octal, decimal) or bare hex with
 * a 0x-less letter digit ("c0000000"): addresses are hex by habit. */
bool mon_parse_u32(const char *s, uint32_t *out);
bool mon_parse_u64(const char *s, uint64_t *out);

/* Safe guest memory: never touches MMIO or unbacked pages. False, with
 * *bad set to the first address that failed, when not all could be read. */
bool mon_read_phys(struct Machine *m, uint64_t paddr, uint8_t *buf, uint32_t len,
                   uint64_t *bad);
/* Linear through the guest's paging (no side effects). */
bool mon_read_lin(Monitor *mon, uint32_t lin, uint8_t *buf, uint32_t len, uint32_t *bad);
/* "0008:FFFF1000  90  nop" for the instruction at CS:EIP. */
void mon_print_current_insn(Monitor *mon);
/* sendkey's "ctrl-alt-delete" as PS/2 key numbers (i8042_key_event);
 * false on an unknown name. keys has room for 8. */
bool mon_parse_keys(const char *combo, uint16_t *keys, int *n);
/* x's "/Nfmt": count, unit size (b 1, h 2, w 4, g 8) and format (x d u c
 * i). False on anything else. */
typedef struct MonXFmt {
    uint32_t count;
    unsigned size;
    char format;
} MonXFmt;
bool mon_parse_xfmt(const char *s, MonXFmt *f);
/* "code32 rx dpl0 p g" for descriptor attributes (SegCache.flags layout). */
void mon_describe_attr(char *out, size_t len, uint16_t attr);
/* Disassemble n instructions at linear lin. */
void mon_disasm(Monitor *mon, uint32_t lin, unsigned n, bool code32);

#endif
