/* -serial mon:stdio: COM1 and the monitor share stdin/stdout, as in QEMU.
 * Ctrl-A c switches the keyboard between the guest and the monitor,
 * Ctrl-A x ends the run, Ctrl-A h prints the keys, Ctrl-A Ctrl-A sends one
 * Ctrl-A to the guest. The machine pumps stdin between slices (and the
 * monitor while it holds the guest stopped); COM1 takes its bytes from
 * the mux's queue. */
#ifndef KAIRO_CHARMUX_H
#define KAIRO_CHARMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CharMux {
    int fd_in, fd_out;
    bool eof;
    bool monitor_focus;         /* the keyboard goes to the monitor */
    bool escape;                /* Ctrl-A seen */
    char line[256];             /* the monitor line being typed */
    size_t line_len;
    uint8_t pending[4096];      /* bytes for the guest, not yet taken */
    size_t head, count;
    /* A complete monitor line, and "quit" for Ctrl-A x. */
    void (*monitor_line)(void *opaque, const char *line);
    void *opaque;
} CharMux;

void charmux_init(CharMux *x, int fd_in, int fd_out, bool monitor_focus,
                  void (*monitor_line)(void *opaque, const char *line), void *opaque);
/* Bytes as typed: escapes handled, the rest to the guest or the monitor. */
void charmux_input(CharMux *x, const uint8_t *buf, size_t len);
/* Read what stdin has now (never blocks); true when anything came. */
bool charmux_pump(CharMux *x);
/* Up to max bytes for the guest. */
size_t charmux_take(CharMux *x, uint8_t *buf, size_t max);
/* The monitor's output: shown while it has the keyboard. */
void charmux_monitor_output(void *opaque, const char *text, size_t len);

#endif
