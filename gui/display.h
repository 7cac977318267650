/* SPDX-License-Identifier: MIT */
/* The display: a window that shows the VGA's frames and feeds the host's
 * keyboard and mouse to the 8042, serviced from the machine loop between
 * CPU slices. The machine loop knows only this interface; the window
 * system (SDL2) is a backend behind it (gui/display_sdl.c).
 *
 * Usage: display_parse() checks a -display spec at option time;
 * display_open() makes the window (NULL for -display none, or when the
 * default finds no desktop); display_service() between slices refreshes at
 * about 60 Hz of host time, polls input and, while the guest idles, waits
 * in host time; display_close() at exit. */
#ifndef KAIRO_DISPLAY_H
#define KAIRO_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/i8042.h"
#include "iodev/vga.h"

typedef enum {
    DISPLAY_DEFAULT,    /* no -display: sdl on a desktop ($DISPLAY/$WAYLAND_DISPLAY), else none */
    DISPLAY_NONE,
    DISPLAY_SDL,
} DisplayKind;

/* How a frame fills a window larger than it: always with its aspect kept. */
typedef enum {
    DISPLAY_SCALE_NEAREST,   /* any size, sharp pixels */
    DISPLAY_SCALE_SMOOTH,    /* any size, bilinear */
    DISPLAY_SCALE_INTEGER,   /* whole multiples only, black borders */
    DISPLAY_SCALE_COUNT,
} DisplayScale;

typedef struct DisplayConfig {
    DisplayKind kind;
    DisplayScale scale;
    bool full_screen;
    const char *title;      /* -name: the window's title starts with it (NULL: none) */
} DisplayConfig;

/* Counters the title reads once a second (never written by the display). */
typedef struct DisplayCounters {
    uint64_t insns;         /* instructions executed, idle skips excluded */
    uint64_t floppy, disk, net;   /* sectors / frames moved so far */
} DisplayCounters;

/* What the window shows and where its input goes. */
typedef struct DisplaySources {
    Vga *vga;               /* NULL (-vga none): the window stays black */
    I8042 *kbc;
    void (*counters)(void *opaque, DisplayCounters *out);
    void *opaque;
    const char *font_file;  /* the monitor console's 8x16 font: a VGA BIOS image */
    /* Ctrl+Alt+W / Ctrl+Alt+R: quick save / quick load (NULL: ignored). */
    void (*snapshot_key)(void *opaque, bool load);
} DisplaySources;

typedef struct Display Display;

/* Parse "none" or "sdl[,scale=nearest|smooth|integer][,full-screen=on|off]"
 * into cfg (its full_screen, from -full-screen, is kept unless the spec
 * says otherwise); false with a one-line reason in err. */
bool display_parse(const char *spec, DisplayConfig *cfg, char *err, size_t errlen);
/* Open the window. NULL with err empty: no window wanted (none, or the
 * default found no desktop); NULL with err set: an explicit -display sdl
 * that cannot start. */
Display *display_open(const DisplayConfig *cfg, const DisplaySources *src, char *err,
                      size_t errlen);
/* Between CPU slices. Refreshes and polls input when a 60 Hz frame is due
 * (one clock_gettime otherwise). idle_ns > 0: the guest has nothing to do
 * for that long; wait for it in host time, refreshing meanwhile, and
 * return early when input reaches the guest. Returns the host ns waited;
 * *quit is set when the window was closed. */
uint64_t display_service(Display *d, uint64_t idle_ns, bool *quit);
void display_close(Display *d);
/* Show another VGA and send the keys to another 8042 (kairo-portd's
 * focus); name becomes the title's first words. */
void display_set_sources(Display *d, Vga *vga, I8042 *kbc, const char *name);
/* Ctrl+Alt+F1..F8 call fn with n = 0..7 (kairo-portd's focus keys; no
 * hook: the keys are ignored). */
void display_set_focus_key(Display *d, void (*fn)(void *opaque, int n), void *opaque);

/* The monitor console (Ctrl+Alt+2; Ctrl+Alt+1 back to the guest). Lines
 * typed there go to fn (the monitor's channel); with none attached the
 * console says why. */
void display_console_attach(Display *d, void (*fn)(void *opaque, const char *line),
                            void *opaque);
/* Text for the console (the monitor's answers); opaque is the Display,
 * so this fits monitor_new_channel()'s output callback. */
void display_console_write(void *display, const char *text, size_t len);
/* For the monitor's and the gdb stub's command loops while they hold the
 * guest stopped (their idle hooks; opaque is the Display): refresh and
 * take input at 60 Hz (keys typed for the guest wait in the 8042). True
 * once the window was closed; every display_service() then reports quit,
 * so the machine loop ends the run. */
bool display_service_stopped(void *display);

#endif
