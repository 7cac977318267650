/* SPDX-License-Identifier: MIT */
/* The window's monitor console (Ctrl+Alt+2): a text terminal drawn with
 * the 8x16 VGA font. Output text goes in (console_write), with scrollback;
 * the user edits one input line (printable characters, Backspace, Left/
 * Right, Home/End, Up/Down history, Page Up/Down scrolling) and Enter
 * echoes it and hands it to a line callback (the monitor's channel).
 * Independent of the window system: the backend feeds it keys and text,
 * and console_render() gives a frame like vga_render()'s. */
#ifndef KAIRO_CONSOLE_H
#define KAIRO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/vga.h"

enum { CONSOLE_COLS = 80, CONSOLE_ROWS = 30, CONSOLE_SCROLLBACK = 1000 };

typedef enum {
    CONSOLE_KEY_ENTER,
    CONSOLE_KEY_BACKSPACE,
    CONSOLE_KEY_DELETE,
    CONSOLE_KEY_LEFT,
    CONSOLE_KEY_RIGHT,
    CONSOLE_KEY_HOME,
    CONSOLE_KEY_END,
    CONSOLE_KEY_UP,          /* the previous line in the history */
    CONSOLE_KEY_DOWN,
    CONSOLE_KEY_PAGE_UP,     /* scroll back half a screen */
    CONSOLE_KEY_PAGE_DOWN,
} ConsoleKey;

typedef struct Console Console;
typedef void (*ConsoleLineFn)(void *opaque, const char *line);

/* font: 4 KiB of 8x16 glyphs (copied), or NULL: the console then shows
 * nothing and console_has_font() says so. */
Console *console_new(const uint8_t *font);
bool console_has_font(const Console *c);
void console_set_line_handler(Console *c, ConsoleLineFn fn, void *opaque);
/* Text to show: '\n' ends a line, '\t' goes to the next multiple of 8,
 * '\r' and other control bytes are dropped; long lines wrap. */
void console_write(Console *c, const char *text, size_t len);
/* A printable character typed (others are ignored). */
void console_type(Console *c, char ch);
void console_key(Console *c, ConsoleKey key);
/* The console as a 640x480 frame; dirty rows are all rows when anything
 * changed since the last call (or when full), none otherwise. */
const VgaFrame *console_render(Console *c, bool full);
void console_free(Console *c);

#endif
