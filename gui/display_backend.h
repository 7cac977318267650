/* SPDX-License-Identifier: MIT */
/* What a display backend (a window system) provides to gui/display.c. */
#ifndef KAIRO_DISPLAY_BACKEND_H
#define KAIRO_DISPLAY_BACKEND_H

#include "gui/console.h"
#include "gui/display.h"

/* The outcome of one poll of the window system's events. */
typedef struct DisplayPoll {
    bool quit;              /* the window was closed */
    bool input;             /* a key or mouse event went to the 8042 */
    bool grabbed;           /* the mouse and keyboard are grabbed now */
    int show;               /* Ctrl+Alt+1: 1 (the guest), Ctrl+Alt+2: 2 (the monitor
                             * console); 0: no change */
    int snapshot;           /* Ctrl+Alt+W: 1 (quick save), Ctrl+Alt+R: 2 (quick
                             * load); 0: none */
    int focus;              /* Ctrl+Alt+F1..F8: 1..8 (kairo-portd's clients); 0: none */
} DisplayPoll;

typedef struct DisplayBackend {
    const char *name;
    /* Make the window; NULL with a one-line reason in err. */
    void *(*open)(const DisplayConfig *cfg, I8042 *kbc, char *err, size_t errlen);
    /* Show a frame: its dirty rows, or every row when full. */
    void (*update)(void *be, const VgaFrame *f, bool full);
    /* Handle pending events: keys and mouse to the 8042, hot keys. */
    void (*poll)(void *be, DisplayPoll *out);
    void (*set_title)(void *be, const char *title);
    /* Keys and text go to con (the monitor console) instead of the guest;
     * NULL: back to the guest. */
    void (*set_console)(void *be, struct Console *con);
    void (*close)(void *be);
    /* Keys go to another 8042 from now on; the keys held go up in the old. */
    void (*set_kbc)(void *be, I8042 *kbc);
    /* Ctrl+Alt+F1..F8 become the window's (DisplayPoll.focus) instead of
     * the guest's (kairo-portd); off by default: a guest's VT switch. */
    void (*set_focus_keys)(void *be, bool on);
} DisplayBackend;

extern const DisplayBackend display_sdl_backend;

#endif
