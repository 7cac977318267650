/* The command line, in qemu-system-i386's conventions where they exist. */
#ifndef KAIRO_OPTIONS_H
#define KAIRO_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Options {
    const char *bios;
    uint32_t ram_mb;
    const char *serial;        /* -serial spec (used once the UART exists) */
    const char *debugcon;      /* -debugcon spec, NULL = no debug console */
    bool debug_exit;
    uint16_t debug_exit_port, debug_exit_size;
    bool nographic;
    const char *display;
    const char *log_items;     /* -d */
    const char *log_file;      /* -D */
    uint64_t max_insns;        /* 0 = unlimited */
    double timeout_s;          /* 0 = none */
    bool stats;
    bool no_reboot;
    uint64_t ips;              /* instructions per guest second */
} Options;

/* Parse argv. Returns 0 to run, 1 when --help/--version printed (exit 0),
 * -1 on error (a one-line message already printed to stderr). */
int options_parse(Options *o, int argc, char **argv);
void options_usage(FILE *out);

#endif
