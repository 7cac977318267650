/* SPDX-License-Identifier: MIT */
/* The window's monitor console (see console.h). */
#include "gui/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/vgafont.h"

enum {
    WIDTH = CONSOLE_COLS * VGAFONT_W,
    HEIGHT = CONSOLE_ROWS * VGAFONT_H,
    INPUT_MAX = 511,         /* the monitor's line limit */
    HISTORY = 64,
};

#define FG 0xAAAAAAu         /* the VGA's light grey on black */
#define BG 0x000000u

struct Console {
    uint8_t font[VGAFONT_BYTES];
    bool has_font;
    /* Finished rows (wrapped at CONSOLE_COLS), a ring of the newest. */
    char rows[CONSOLE_SCROLLBACK][CONSOLE_COLS + 1];
    unsigned first_row, n_rows;
    char partial[CONSOLE_COLS + 1];  /* output since the last newline (the prompt) */
    unsigned partial_len;
    char input[INPUT_MAX + 1];
    unsigned input_len, cursor;
    char history[HISTORY][INPUT_MAX + 1];
    unsigned n_history, history_pos;   /* history_pos == n_history: the new line */
    unsigned scroll;                   /* rows scrolled back from the bottom */
    bool changed;
    ConsoleLineFn on_line;
    void *opaque;
    uint32_t pixels[WIDTH * HEIGHT];
    VgaFrame frame;
};

Console *console_new(const uint8_t *font)
{
    Console *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (font) {
        memcpy(c->font, font, VGAFONT_BYTES);
        c->has_font = true;
    }
    c->changed = true;
    c->frame = (VgaFrame){ c->pixels, WIDTH, HEIGHT, 1, 0 };
    return c;
}

bool console_has_font(const Console *c)
{
    return c->has_font;
}

void console_set_line_handler(Console *c, ConsoleLineFn fn, void *opaque)
{
    c->on_line = fn;
    c->opaque = opaque;
}

void console_free(Console *c)
{
    free(c);
}

/* --- output --- */

static void finish_row(Console *c)
{
    unsigned slot = (c->first_row + c->n_rows) % CONSOLE_SCROLLBACK;
    if (c->n_rows == CONSOLE_SCROLLBACK)
        c->first_row = (c->first_row + 1) % CONSOLE_SCROLLBACK;
    else
        c->n_rows++;
    memcpy(c->rows[slot], c->partial, c->partial_len);
    c->rows[slot][c->partial_len] = 0;
    c->partial_len = 0;
    /* A reader scrolled back keeps looking at the same text. */
    if (c->scroll && c->scroll < c->n_rows)
        c->scroll++;
}

static void put_char(Console *c, char ch)
{
    if (c->partial_len == CONSOLE_COLS)
        finish_row(c);
    c->partial[c->partial_len++] = ch;
}

void console_write(Console *c, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n')
            finish_row(c);
        else if (ch == '\t')
            do
                put_char(c, ' ');
            while (c->partial_len % 8 && c->partial_len < CONSOLE_COLS);
        else if (ch >= 0x20 && ch < 0x7F)
            put_char(c, (char)ch);
    }
    c->changed = true;
}

/* --- input --- */

void console_type(Console *c, char ch)
{
    if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7F || c->input_len == INPUT_MAX)
        return;
    memmove(c->input + c->cursor + 1, c->input + c->cursor, c->input_len - c->cursor);
    c->input[c->cursor++] = ch;
    c->input[++c->input_len] = 0;
    c->scroll = 0;
    c->changed = true;
}

static void set_input(Console *c, const char *text)
{
    snprintf(c->input, sizeof c->input, "%s", text);
    c->input_len = c->cursor = (unsigned)strlen(c->input);
}

static void enter(Console *c)
{
    char line[INPUT_MAX + 1];
    memcpy(line, c->input, c->input_len + 1);
    /* The echo, as a terminal shows what was typed after the prompt. */
    console_write(c, line, c->input_len);
    console_write(c, "\n", 1);
    if (c->input_len && (!c->n_history || strcmp(c->history[c->n_history - 1], line))) {
        if (c->n_history == HISTORY) {
            memmove(c->history[0], c->history[1], sizeof c->history[0] * (HISTORY - 1));
            c->n_history--;
        }
        memcpy(c->history[c->n_history++], line, c->input_len + 1);
    }
    c->history_pos = c->n_history;
    set_input(c, "");
    c->scroll = 0;
    if (c->on_line)
        c->on_line(c->opaque, line);
    else if (line[0]) {
        static const char none[] = "(no monitor in this console)\n";
        console_write(c, none, sizeof none - 1);
    }
}

static void delete_at_cursor(Console *c)
{
    if (c->cursor == c->input_len)
        return;
    memmove(c->input + c->cursor, c->input + c->cursor + 1, c->input_len - c->cursor);
    c->input_len--;
}

void console_key(Console *c, ConsoleKey key)
{
    unsigned half = CONSOLE_ROWS / 2;
    switch (key) {
    case CONSOLE_KEY_ENTER:
        enter(c);
        break;
    case CONSOLE_KEY_BACKSPACE:
        if (!c->cursor)
            return;
        c->cursor--;
        delete_at_cursor(c);
        break;
    case CONSOLE_KEY_DELETE:
        delete_at_cursor(c);
        break;
    case CONSOLE_KEY_LEFT:
        if (c->cursor)
            c->cursor--;
        break;
    case CONSOLE_KEY_RIGHT:
        if (c->cursor < c->input_len)
            c->cursor++;
        break;
    case CONSOLE_KEY_HOME:
        c->cursor = 0;
        break;
    case CONSOLE_KEY_END:
        c->cursor = c->input_len;
        break;
    case CONSOLE_KEY_UP:
        if (c->history_pos)
            set_input(c, c->history[--c->history_pos]);
        break;
    case CONSOLE_KEY_DOWN:
        if (c->history_pos < c->n_history) {
            c->history_pos++;
            set_input(c, c->history_pos < c->n_history ? c->history[c->history_pos] : "");
        }
        break;
    case CONSOLE_KEY_PAGE_UP: {
        /* No further than the first row at the top. */
        unsigned most = c->n_rows + 1 > CONSOLE_ROWS ? c->n_rows + 1 - CONSOLE_ROWS : 0;
        c->scroll = c->scroll + half < most ? c->scroll + half : most;
        break;
    }
    case CONSOLE_KEY_PAGE_DOWN:
        c->scroll = c->scroll > half ? c->scroll - half : 0;
        break;
    }
    c->changed = true;
}

/* --- drawing --- */

static void draw_cell(Console *c, unsigned col, unsigned row, char ch, bool cursor)
{
    const uint8_t *glyph = c->font + (unsigned char)ch * VGAFONT_H;
    uint32_t *p = c->pixels + (size_t)row * VGAFONT_H * WIDTH + col * VGAFONT_W;
    for (unsigned y = 0; y < VGAFONT_H; y++, p += WIDTH) {
        uint8_t bits = glyph[y];
        if (cursor && y >= VGAFONT_H - 2)
            bits = 0xFF;   /* an underline cursor, as the VGA's default */
        for (unsigned x = 0; x < VGAFONT_W; x++)
            p[x] = bits & (0x80 >> x) ? FG : BG;
    }
}

/* Character i of the live line: the unfinished output (the prompt), then
 * the input. */
static char live_char(const Console *c, unsigned i)
{
    if (i < c->partial_len)
        return c->partial[i];
    i -= c->partial_len;
    return i < c->input_len ? c->input[i] : ' ';
}

const VgaFrame *console_render(Console *c, bool full)
{
    if (!c->changed && !full) {
        c->frame.dirty_first = 1;
        c->frame.dirty_last = 0;
        return &c->frame;
    }
    c->changed = false;
    c->frame.dirty_first = 0;
    c->frame.dirty_last = HEIGHT - 1;
    if (!c->has_font) {
        memset(c->pixels, 0, sizeof c->pixels);
        return &c->frame;
    }
    /* The live line wraps too; the cursor may sit one past its end. */
    unsigned live_len = c->partial_len + c->input_len;
    unsigned cursor_at = c->partial_len + c->cursor;
    unsigned live_rows = (cursor_at >= live_len ? cursor_at : live_len) / CONSOLE_COLS + 1;
    unsigned total = c->n_rows + live_rows;
    unsigned bottom = total - (c->scroll < c->n_rows ? c->scroll : c->n_rows);
    unsigned top = bottom > CONSOLE_ROWS ? bottom - CONSOLE_ROWS : 0;
    for (unsigned r = 0; r < CONSOLE_ROWS; r++) {
        unsigned idx = top + r;
        for (unsigned col = 0; col < CONSOLE_COLS; col++) {
            char ch = ' ';
            bool cursor = false;
            if (idx < c->n_rows) {
                const char *row = c->rows[(c->first_row + idx) % CONSOLE_SCROLLBACK];
                size_t n = strlen(row);
                ch = col < n ? row[col] : ' ';
            } else if (idx < bottom) {
                unsigned i = (idx - c->n_rows) * CONSOLE_COLS + col;
                ch = live_char(c, i);
                cursor = i == cursor_at && !c->scroll;
            }
            draw_cell(c, col, r, ch, cursor);
        }
    }
    return &c->frame;
}
