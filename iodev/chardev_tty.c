/* SPDX-License-Identifier: MIT */
/* The stdio backend on a terminal: raw mode, and QEMU's escape sequences
 * (Ctrl-A x, h, c, Ctrl-A Ctrl-A) on a multiplexed console (mon:stdio, and
 * COM1 under -nographic). */
#include "iodev/chardev.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* One terminal per process: its settings before raw mode, for every exit
 * path (chardev_close, atexit, the signal handlers in main). */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;
static uint8_t escape_char = 0x01;   /* Ctrl-A; -echr changes it */

void chardev_tty_restore(void)
{
    if (termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);   /* async-signal-safe */
        termios_saved = 0;
    }
}

/* Raw input as QEMU sets it: bytes one at a time, no echo, no CR/LF
 * translation on input; without signals (a multiplexed console) Ctrl-C,
 * Ctrl-Z and Ctrl-\ reach the guest. Output processing stays on, so
 * kairo's own lines on stderr still start at the left margin. */
bool chardev_tty_raw(bool signals)
{
    if (termios_saved || !isatty(STDIN_FILENO))
        return false;
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) != 0)
        return false;
    saved_termios = t;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    if (!signals)
        t.c_lflag &= ~(tcflag_t)ISIG;
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
        return false;
    termios_saved = 1;
    static bool registered;
    if (!registered)
        atexit(chardev_tty_restore);
    registered = true;
    return true;
}

void chardev_set_escape_char(uint8_t c)
{
    escape_char = c;
}

static void say(const char *text)
{
    if (write(STDERR_FILENO, text, strlen(text)) < 0) {
        /* nothing sensible to do: the terminal is gone */
    }
}

static void print_help(void)
{
    char key = (char)(escape_char < 0x20 ? escape_char + '@' : escape_char);
    char buf[600];
    snprintf(buf, sizeof buf,
             "\nC-%c h    print this help\n"
             "C-%c x    exit kairo (status 0)\n"
             "C-%c s    flush the disks now\n"
             "C-%c b    send a break (not modelled: ignored)\n"
             "C-%c c    switch between console and monitor\n"
             "C-%c C-%c  type C-%c\n",
             key | 0x20, key | 0x20, key | 0x20, key | 0x20, key | 0x20, key | 0x20, key, key);
    say(buf);
}

/* Ctrl-A c: the terminal's input goes to the monitor, or back. */
static void toggle_monitor(CharDev *c)
{
    if (!c->monitor_line) {
        say("\nkairo: no monitor on this console (it is on -monitor, or there is none)\n");
        return;
    }
    c->to_monitor = !c->to_monitor;
    c->line_len = 0;
    if (c->to_monitor) {
        say("\nkairo monitor (C-a c: back to the console)\n(kairo) ");
    } else {
        say("\n");
    }
}

static void escape_command(CharDev *c, uint8_t b, uint8_t *out, size_t *n, size_t max)
{
    switch (b | 0x20) {
    case 'x':
        say("\nkairo: terminated (C-a x)\n");
        c->quit_requested = true;
        return;
    case 'h':
    case '?' | 0x20:
        print_help();
        return;
    case 'c':
        toggle_monitor(c);
        return;
    case 's':
        c->flush_requested = true;
        return;
    case 'b':
        if (!c->break_logged)
            say("\nkairo: C-a b: a serial break is not modelled; ignored\n");
        c->break_logged = true;
        return;
    default:
        break;
    }
    if (b == escape_char && *n < max)
        out[(*n)++] = b;
}

/* A byte typed while the monitor has the terminal: a line editor with echo
 * (raw mode turned the terminal's own off). */
static void monitor_key(CharDev *c, uint8_t b)
{
    if (b == '\r' || b == '\n') {
        say("\n");
        c->line[c->line_len] = 0;
        c->line_len = 0;
        c->monitor_line(c->monitor_opaque, c->line);
    } else if (b == 0x7F || b == 0x08) {
        if (c->line_len) {
            c->line_len--;
            say("\b \b");
        }
    } else if (b >= 0x20 && c->line_len + 1 < sizeof c->line) {
        c->line[c->line_len++] = (char)b;
        char s[2] = { (char)b, 0 };
        say(s);
    }
}

size_t chardev_mux_filter(CharDev *c, const uint8_t *in, size_t len, uint8_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = in[i];
        if (c->escape_pending) {
            c->escape_pending = false;
            escape_command(c, b, out, &n, max);
        } else if (b == escape_char) {
            c->escape_pending = true;
        } else if (c->to_monitor) {
            monitor_key(c, b);
        } else if (n < max) {
            out[n++] = b;
        }
    }
    return n;
}
