/* SPDX-License-Identifier: MIT */
/* The option table's record and the handlers kept outside options.c
 * (machine/options_qemu.c: QEMU's spellings). */
#ifndef KAIRO_OPTIONS_INT_H
#define KAIRO_OPTIONS_INT_H

#include "machine/options.h"

typedef struct OptionSpec OptionSpec;
/* 0: taken; -1: refused (one line printed); 1: printed what was asked
 * (help), stop with status 0. */
typedef int (*OptionHandler)(Options *o, const OptionSpec *spec, const char *arg);

struct OptionSpec {
    const char *name;       /* as --help prints it; "--x" also matches "-x" */
    const char *alias;      /* another spelling, or NULL */
    const char *arg;        /* the argument's placeholder, NULL for a flag */
    int group;              /* G_* */
    OptionHandler handle;
    size_t field;           /* for set_flag/set_string: offsetof(Options, ..) */
    const char *help;       /* one line; '\n' continues it on the next row */
};

/* One line on stderr: "kairo: " fmt with one string argument. */
int options_fail(const char *fmt, const char *arg);

/* QEMU options (options_qemu.c) */
int qopt_accel(Options *o, const OptionSpec *spec, const char *arg);
int qopt_machine(Options *o, const OptionSpec *spec, const char *arg);
int qopt_cpu(Options *o, const OptionSpec *spec, const char *arg);
int qopt_smp(Options *o, const OptionSpec *spec, const char *arg);
int qopt_memory(Options *o, const OptionSpec *spec, const char *arg);
int qopt_name(Options *o, const OptionSpec *spec, const char *arg);
int qopt_net(Options *o, const OptionSpec *spec, const char *arg);
int qopt_rtc(Options *o, const OptionSpec *spec, const char *arg);
int qopt_localtime(Options *o, const OptionSpec *spec, const char *arg);
int qopt_chardev(Options *o, const OptionSpec *spec, const char *arg);
int qopt_mon(Options *o, const OptionSpec *spec, const char *arg);
int qopt_log_items(Options *o, const OptionSpec *spec, const char *arg);
int qopt_qemu_trace(Options *o, const OptionSpec *spec, const char *arg);
int qopt_vga(Options *o, const OptionSpec *spec, const char *arg);
int qopt_keyboard(Options *o, const OptionSpec *spec, const char *arg);
int qopt_icount(Options *o, const OptionSpec *spec, const char *arg);
int qopt_parallel(Options *o, const OptionSpec *spec, const char *arg);
int qopt_sdl(Options *o, const OptionSpec *spec, const char *arg);
int qopt_ignored(Options *o, const OptionSpec *spec, const char *arg);
int qopt_refused(Options *o, const OptionSpec *spec, const char *arg);
/* After parsing: chardev:ID references, the RTC, -L, -daemonize's
 * conflicts, the default NIC. */
int qopt_finish(Options *o);

#endif
