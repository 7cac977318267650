/* SPDX-License-Identifier: MIT */
/* Character backends for consoles and serial ports: stdio, file:PATH, pty,
 * tcp:[HOST]:PORT,server[,nowait] (or a client: tcp:HOST:PORT), none. An
 * expect/send script can be attached to any of them. */
#ifndef KAIRO_CHARDEV_H
#define KAIRO_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct CharDev {
    int kind;           /* CHARDEV_* */
    int fd_out;
    int fd_in;          /* -1 when the backend gives no input */
    bool input_eof;
    FILE *file;         /* file: backend */
    bool write_failed;  /* reported once */
    int listen_fd;      /* tcp server: waiting for a client, -1 otherwise */
    struct ExpectScript *script;   /* optional: sees output, types input */
    bool write_through;  /* file: every write reaches the file at once */
    uint64_t quiet_until_ns;   /* no input at the last look: the next poll() not before */
    uint64_t last_input_ns;    /* host time the last byte came in */
    /* mon:stdio (and COM1 under -nographic): QEMU's Ctrl-A escapes. */
    bool mux;
    bool raw_tty;        /* stdin is a terminal put in raw mode */
    bool escape_pending;
    bool quit_requested;   /* C-a x */
    bool flush_requested;  /* C-a s */
    bool break_logged;
    bool to_monitor;       /* C-a c: typed lines go to the monitor */
    void (*monitor_line)(void *opaque, const char *line);   /* NULL: no monitor here */
    void *monitor_opaque;
    char line[256];
    size_t line_len;
    struct Replay *replay;   /* record/replay (machine/replay.h), or NULL */
    uint8_t replay_chan;     /* the serial port's number in the log */
} CharDev;

enum { CHARDEV_NONE, CHARDEV_STDIO, CHARDEV_FILE, CHARDEV_PTY, CHARDEV_TCP };

/* Parse a backend spec. Returns false with a message in err. what names
 * the port in messages ("COM1"). */
bool chardev_open(CharDev *c, const char *spec, char *err, size_t errlen);
void chardev_write(CharDev *c, const uint8_t *buf, size_t len);
/* True when the backend can ever give input (the UART keeps polling). */
bool chardev_has_input(const CharDev *c);
/* How often (guest ns) a device should look for input: 1 ms while a
 * script types or a person typed in the last 200 ms, 10 ms at rest (an
 * idle guest then costs a tenth as many looks; a first key waits at most
 * 10 ms). */
uint64_t chardev_poll_period_ns(const CharDev *c);
/* Up to max bytes of input that are ready now (never blocks); 0 if none. */
size_t chardev_read(CharDev *c, uint8_t *buf, size_t max);
void chardev_flush(CharDev *c);
/* Wait up to timeout_ms for input on the backend (the stdio console while
 * the monitor holds the guest); true when some is ready. */
bool chardev_wait_input(const CharDev *c, int timeout_ms);

/* The terminal (chardev_tty.c). Raw mode for stdin if it is a terminal
 * (false otherwise); signals: Ctrl-C still stops kairo (plain stdio, as in
 * QEMU) rather than reaching the guest (mon:stdio). Restore is idempotent
 * and async-signal-safe. */
bool chardev_tty_raw(bool signals);
void chardev_tty_restore(void);
/* -echr: the escape key of multiplexed consoles (default 1, Ctrl-A). */
void chardev_set_escape_char(uint8_t c);
/* Escape processing of a multiplexed console's input: the bytes for the
 * guest go to out (at most max); escapes set the CharDev's flags. */
size_t chardev_mux_filter(CharDev *c, const uint8_t *in, size_t len, uint8_t *out, size_t max);
void chardev_close(CharDev *c);

#endif
