/* SPDX-License-Identifier: MIT */
/* kairo-portd's one console for several clients: every client has its own
 * VGA and 8042 instance (slots of the same name, rs_add_slot_instance);
 * the console shows the focused client's screen and sends the keyboard to
 * its 8042 only. Clients out of focus keep running; their VRAM is theirs,
 * so their screen comes back as it was on focus.
 *
 * Screen k is the k-th vga slot of the configuration, keyboard k the k-th
 * kbd slot: "focus K" (1-based, like Ctrl+Alt+F1..F8) selects both.
 *
 * Control socket (unix stream, one command a connection, one reply line):
 *   focus K            focus client K           -> "ok focus K CLIENT"
 *   focus              which client has focus   -> "ok focus K CLIENT"
 *   screendump         the focused screen: "ok ppm LEN" and LEN bytes of a
 *                      binary PPM (the sandboxed server opens no files)
 *   text               the focused text screen: "ok text LEN" and LEN bytes,
 *                      its rows one a line (refused in a graphics mode)
 *   type TEXT          keys for TEXT (a-z 0-9 space . - / = and \n) to the
 *                      focused client's keyboard
 *   serial TEXT        TEXT (\n = CR) into the focused client's muxed UART
 *   handover SLOT K    an exclusive slot to its K-th client (1-based, the
 *                      order of its client lines); the owner's session ends
 *   release SLOT       an exclusive slot to nobody (the next client to
 *                      connect takes it)
 *   stats              the accounting counters
 * Every decision (a focus change, a refused command) is logged on stderr
 * with the time and counted. With --display sdl the same console is a
 * window: Ctrl+Alt+F1..F8 focus client 1..8 (the window takes the keys,
 * no guest sees them) and the title names the focused client. */
#ifndef KAIRO_REMOTE_PORTD_CONSOLE_H
#define KAIRO_REMOTE_PORTD_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iodev/remote/portd_backends.h"

#define PD_CONSOLE_MAX 8

typedef struct PdConsoleStats {
    uint64_t focus_changes, screendumps, keys_sent, serial_bytes, commands, refused;
} PdConsoleStats;

typedef struct PdKey {
    uint8_t code;               /* set 1 make code */
    uint8_t client;             /* the keyboard it goes to */
} PdKey;

typedef struct PdConsole {
    int listen_fd;              /* -1: no control socket */
    char path[108];
    PdDevice *screens[PD_CONSOLE_MAX];
    int n_screens;
    PdDevice *keyboards[PD_CONSOLE_MAX];
    int n_keyboards;
    PdDevice *serials[PD_CONSOLE_MAX];  /* muxed UARTs (uart mux:PATH), client order */
    int n_serials;
    int focus;                  /* 0-based */
    PdKey pending[256];         /* typed keys not yet in an 8042 */
    size_t n_pending;
    PdKey ser_pending[256];     /* serial input not yet in its UART (code = the byte) */
    size_t n_ser_pending;
    PdConsoleStats st;
    RemoteServer *srv;          /* handover and release of exclusive slots */
    struct Display *window;     /* --display sdl: the focused client's screen; NULL: headless */
} PdConsole;

void pd_console_init(PdConsole *c);
/* A vga or kbd device joins the console (others are ignored). */
void pd_console_add(PdConsole *c, PdDevice *d);
/* Listen on path (an old socket file there is replaced); false with a
 * one-line reason. */
bool pd_console_listen(PdConsole *c, const char *path, char *err, size_t errlen);
int pd_console_fd(const PdConsole *c);
/* Serve one pending control connection if any; never blocks for long. */
void pd_console_poll(PdConsole *c);
/* Move waiting keys into their 8042 as its queue drains. */
void pd_console_tick(PdConsole *c);
/* Run one command line; the reply (one line, no newline) goes to reply,
 * or is empty when the command wrote its answer to fd itself. */
void pd_console_command(PdConsole *c, int fd, const char *line, char *reply, size_t replylen);
bool pd_console_focus(PdConsole *c, int k, char *why, size_t whylen);
void pd_console_print_stats(const PdConsole *c, FILE *out);
/* --display sdl: a window showing the focused client, its keys going to
 * the focused 8042, Ctrl+Alt+F1..F8 moving the focus, the title naming
 * the client. False with a one-line reason. */
bool pd_console_open_window(PdConsole *c, char *err, size_t errlen);
/* Refresh and take input (60 Hz); true once the window was closed. */
bool pd_console_service_window(PdConsole *c);
void pd_console_close(PdConsole *c);

#endif
