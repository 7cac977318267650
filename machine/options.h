/* SPDX-License-Identifier: MIT */
/* The command line, in qemu-system-i386's conventions where they exist. */
#ifndef KAIRO_OPTIONS_H
#define KAIRO_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gui/display.h"
#include "iodev/net/netopt.h"

typedef struct Options {
    const char *bios;
    const struct CpuModel *cpu_model;   /* -cpu NAME; NULL = the default */
    const char *vga_bios;      /* -vga-bios: the std-vga's option ROM */
    uint32_t ram_mb;
    int smp_cpus, smp_max_cpus; /* -smp: CPUs (1-16) and the firmware's maximum */
    const char *serial;        /* -serial spec (used once the UART exists) */
    const char *debugcon;      /* -debugcon spec, NULL = no debug console */
    bool debug_exit;
    uint16_t debug_exit_port, debug_exit_size;
    bool vmport;               /* -device vmport: VMware's backdoor (docs/VMPORT.md) */
    uint32_t vmport_mhz, vmport_hwversion;
    const char *vmport_args[32];   /* -vmport guestinfo.K=V | share=.. | exec=.. */
    int n_vmport_args;
    bool nographic;
    const char *display;
    DisplayConfig display_cfg; /* -display (kind DISPLAY_DEFAULT when not given) */
    const char *log_items;     /* -d */
    const char *log_file;      /* -D */
    uint64_t max_insns;        /* 0 = unlimited */
    double timeout_s;          /* 0 = none */
    bool stats;
    bool no_reboot;
    uint64_t ips;              /* instructions per guest second */
    bool ips_fixed;            /* --ips or -icount shift=N: no adaptive rate */
    /* Drives: IDE units 0-3 (hda..hdd; the CD-ROM of -cdrom is unit 2),
     * floppies A: and B:. */
    const char *hd[4];
    bool hd_cdrom[4];
    bool hd_readonly[4];
    const char *fd[2];
    char boot_order[8];        /* -boot: letters a, c, d in order */
    const char *serial_extra[3];   /* -serial given again: COM2..COM4 */
    const char *firmware_log;  /* --firmware-log: SeaBIOS's debug port 0x402 */
    bool vga_none;             /* -vga none */
    bool deterministic;        /* fixed RTC time, reproducible runs (and no pacing) */
    uint8_t escape_char;       /* -echr: Ctrl-A escapes of mon:stdio */
    bool icount_nosleep;       /* -icount ...,sleep=off: guest time not paced to the host's */
    bool list_slots;
    bool dump_text;            /* --dump-text: print the text screen at exit */
    bool snapshot;             /* -snapshot: disk writes go to a throw-away overlay */
    const char *screendump;    /* -screendump FILE.png: the screen at exit */
    const char *kernel;        /* -kernel bzImage (direct Linux boot) */
    const char *initrd;        /* -initrd */
    const char *append;        /* -append */
    /* Expect/send on COM1 (the headless test harness): --expect/--send in
     * command-line order, or a script file; each expect waits up to
     * expect_timeout_s host seconds. */
    struct { int kind; const char *text; } expect_steps[64];   /* kind: ExpectKind */
    bool expect_exit;          /* --expect-exit: the run ends (0) once the last step matched */
    int n_expect_steps;
    const char *expect_script;
    double expect_timeout_s;
    NetOptions net;            /* -netdev, -nic, -device ne2k_*, -object filter-dump */
    const char *remote[8];     /* -remote SLOT=SPEC: slots served by a port server */
    int n_remote;
    bool remote_stats;         /* --remote-stats: per-slot remote statistics at exit */
    const char *gdb;           /* -gdb tcp:[HOST]:PORT (-s: tcp::1234): the gdb stub */
    bool start_stopped;        /* -S: the guest waits for gdb to resume it */
    const char *monitor;       /* -monitor stdio|tcp:[HOST]:PORT|unix:PATH: the monitor */
    const char *qmp;           /* -qmp unix:PATH,server|tcp:[HOST]:PORT,server: QMP */
    /* Tracing (docs/TRACING.md) */
    const char *trace_file;    /* --trace FILE: binary trace */
    const char *trace_items;   /* --trace-items: what --trace records */
    const char *trace_filter;  /* --trace-filter */
    uint32_t flight_insns;     /* --flight-recorder N, 0 = off */
    const char *flight_dump_on; /* --flight-dump-on VEC[,VEC] */
    /* Machine state (docs/SNAPSHOTS.md) */
    const char *loadvm;        /* -loadvm FILE: start from this snapshot */
    bool loadvm_force;         /* -loadvm FILE,force=on: accept changed images */
    const char *record;        /* -record FILE[,checkpoint=N] (docs/REPLAY.md) */
    bool reverse;              /* --reverse: keep history for reverse debugging (docs/REVERSE.md) */
    const char *reverse_opts;  /* --reverse-opts every=N,count=N,mem=MB */
    const char *replay;        /* -replay FILE */
    struct { uint64_t icount; const char *path; } save_at[32];   /* --save-at N:FILE */
    int n_save_at;             /* sorted by icount */
    bool state_hash;           /* --state-hash: print the state hash at exit */
    /* QEMU's spellings (machine/options_qemu.c) */
    const char *name;          /* -name: window title, DHCP host name */
    bool nodefaults;           /* -nodefaults: no default NIC, VGA or monitor */
    bool monitor_none;         /* -monitor none (or -nodefaults): no monitor at all */
    bool no_shutdown;          /* -no-shutdown: a guest power-off stops the guest */
    const char *pidfile;       /* -pidfile FILE */
    bool daemonize;            /* -daemonize */
    bool vga_given;            /* -vga was on the command line */
    bool no_fd_bootchk;        /* -no-fd-bootchk: SeaBIOS boots unsigned floppies */
    int rtc_base;              /* RTC_BASE_* (-rtc base=) */
    int64_t rtc_date;          /* RTC_BASE_DATE: seconds since 1970 (UTC) */
    const char *firmware_dir;  /* -L DIR: where the default firmware is looked for */
    struct { char id[32]; char spec[288]; } chardev[8];   /* -chardev, as kairo specs */
    int n_chardevs;
} Options;

enum { RTC_BASE_UTC, RTC_BASE_LOCALTIME, RTC_BASE_DATE };

/* Parse argv. Returns 0 to run, 1 when --help/--version printed (exit 0),
 * -1 on error (a one-line message already printed to stderr). */
int options_parse(Options *o, int argc, char **argv);
void options_usage(FILE *out);

#endif
