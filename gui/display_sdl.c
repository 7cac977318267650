/* SPDX-License-Identifier: MIT */
/* The SDL2 display backend: a resizable window with a streaming texture
 * (only the dirty rows are uploaded), the host keyboard through
 * gui/keymap.c and the mouse in relative mode while grabbed, QEMU's hot
 * keys (Ctrl+Alt+F full screen, Ctrl+Alt+G grab, Ctrl+Alt+1/2 the guest or
 * the monitor console) and a few of our own. While the console is shown,
 * keys and text go to it (gui/console.c) and never to the guest. */
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/display_backend.h"
#include "gui/keymap.h"

typedef struct SdlDisplay {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    unsigned tex_w, tex_h;          /* the texture: the frame's own size */
    unsigned view_w, view_h;        /* the frame as a monitor shows it (see view_size) */
    DisplayScale scale;
    bool full_screen, grabbed;
    bool need_full;                 /* the texture lost its contents: upload every row */
    bool need_present;              /* the window needs redrawing (exposed, resized) */
    I8042 *kbc;
    bool focus_keys;                /* Ctrl+Alt+F1..F8 are ours (kairo-portd) */
    /* The PS/2 key each host key sent down, so its release sends the
     * same key (Ctrl+Pause goes down as Break) and focus loss releases
     * exactly what the guest holds. */
    uint16_t down[SDL_NUM_SCANCODES];
    uint8_t buttons;                /* PS/2 bits: left, right, middle, 4, 5 */
    int dx, dy, dz;                 /* motion gathered over one poll */
    Console *con;                   /* the monitor console has the keys, or NULL */
} SdlDisplay;

/* The size a monitor would show: modes below 512 pixels across are drawn
 * with pixels twice as wide (40-column text, 320-pixel modes), modes below
 * 300 lines with lines doubled (200-line modes), as the VGA's dot-clock
 * halving and double scanning do on a real screen (QEMU's 640x400 for
 * mode 13h). Everything else is shown 1:1. */
static void view_size(unsigned w, unsigned h, unsigned *vw, unsigned *vh)
{
    *vw = w < 512 ? w * 2 : w;
    *vh = h < 300 ? h * 2 : h;
}

static void apply_scale(SdlDisplay *s)
{
    if (s->tex)
        SDL_SetTextureScaleMode(s->tex, s->scale == DISPLAY_SCALE_SMOOTH ? SDL_ScaleModeLinear
                                                                          : SDL_ScaleModeNearest);
    SDL_RenderSetIntegerScale(s->ren, s->scale == DISPLAY_SCALE_INTEGER);
    if (s->view_w)
        SDL_RenderSetLogicalSize(s->ren, (int)s->view_w, (int)s->view_h);
    s->need_present = true;
}

static void *sdl_open(const DisplayConfig *cfg, I8042 *kbc, char *err, size_t errlen)
{
    /* kairo has its own SIGINT/SIGTERM handling (the normal exit path). */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* Grabbing takes the keyboard too, so Alt+Tab and friends reach the guest. */
    SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    /* SDL would fall back to an invisible offscreen window; only a user
     * who names a driver (SDL_VIDEODRIVER) gets anything but a desktop's. */
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *forced = getenv("SDL_VIDEODRIVER");
    if (!(x && *x) && !(w && *w) && !(forced && *forced)) {
        snprintf(err, errlen, "no window system ($DISPLAY and $WAYLAND_DISPLAY are unset)");
        return NULL;
    }
    /* X11 alone: without Wayland a failed X connection should not go
     * on to try (and complain about) Wayland. */
    if (!(forced && *forced) && !(w && *w))
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "cannot start SDL video: %s", SDL_GetError());
        return NULL;
    }
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!(forced && *forced) && driver &&
        (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy"))) {
        snprintf(err, errlen, "cannot reach the window system (SDL fell back to '%s')", driver);
        SDL_Quit();
        return NULL;
    }
    SdlDisplay *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        SDL_Quit();
        return NULL;
    }
    s->kbc = kbc;
    s->scale = cfg->scale;
    s->full_screen = cfg->full_screen;
    Uint32 flags = SDL_WINDOW_RESIZABLE | (s->full_screen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    s->win = SDL_CreateWindow("Kairo", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640,
                              480, flags);
    /* No PRESENTVSYNC: presenting must never hold the machine loop. */
    s->ren = s->win ? SDL_CreateRenderer(s->win, -1, 0) : NULL;
    if (!s->ren) {
        snprintf(err, errlen, "cannot create the window: %s", SDL_GetError());
        if (s->win)
            SDL_DestroyWindow(s->win);
        free(s);
        SDL_Quit();
        return NULL;
    }
    /* Key presses, not text: no input method may swallow them. */
    SDL_StopTextInput();
    apply_scale(s);
    SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
    SDL_RenderClear(s->ren);
    SDL_RenderPresent(s->ren);
    return s;
}

static void sdl_close(void *be)
{
    SdlDisplay *s = be;
    if (s->tex)
        SDL_DestroyTexture(s->tex);
    SDL_DestroyRenderer(s->ren);
    SDL_DestroyWindow(s->win);
    free(s);
    SDL_Quit();
}

static void sdl_set_title(void *be, const char *title)
{
    SdlDisplay *s = be;
    SDL_SetWindowTitle(s->win, title);
}

/* --- the picture --- */

/* A new mode: a texture of the frame's size, and the window follows the
 * mode's size as QEMU's does (not in full screen). */
static bool resize_texture(SdlDisplay *s, unsigned w, unsigned h)
{
    if (s->tex)
        SDL_DestroyTexture(s->tex);
    s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING,
                               (int)w, (int)h);
    if (!s->tex) {
        static bool told;
        if (!told)
            fprintf(stderr, "kairo: display: cannot make a %ux%u texture: %s\n", w, h,
                    SDL_GetError());
        told = true;
        s->tex_w = s->tex_h = 0;
        return false;
    }
    s->tex_w = w;
    s->tex_h = h;
    view_size(w, h, &s->view_w, &s->view_h);
    if (!s->full_screen)
        SDL_SetWindowSize(s->win, (int)s->view_w, (int)s->view_h);
    apply_scale(s);
    s->need_full = true;
    return true;
}

static void sdl_update(void *be, const VgaFrame *f, bool full)
{
    SdlDisplay *s = be;
    if (!f->pixels || !f->width || !f->height)
        return;
    if ((f->width != s->tex_w || f->height != s->tex_h || !s->tex) &&
        !resize_texture(s, f->width, f->height))
        return;
    unsigned first = f->dirty_first, last = f->dirty_last;
    if (full || s->need_full) {
        first = 0;
        last = f->height - 1;
        s->need_full = false;
    }
    if (first <= last) {
        SDL_Rect r = { 0, (int)first, (int)f->width, (int)(last - first + 1) };
        SDL_UpdateTexture(s->tex, &r, f->pixels + (size_t)first * f->width,
                          (int)(f->width * 4));
        s->need_present = true;
    }
    if (!s->need_present)
        return;
    SDL_RenderClear(s->ren);
    SDL_RenderCopy(s->ren, s->tex, NULL, NULL);
    SDL_RenderPresent(s->ren);
    s->need_present = false;
}

/* --- input --- */

/* The buttons the guest holds go up (their releases will not reach it),
 * after the motion so far; true if the guest was told. */
static bool release_buttons(SdlDisplay *s)
{
    if (!s->buttons)
        return false;
    i8042_mouse(s->kbc, s->dx, s->dy, s->dz, s->buttons);
    s->dx = s->dy = s->dz = 0;
    s->buttons = 0;
    i8042_mouse(s->kbc, 0, 0, 0, 0);
    return true;
}

/* True if the guest was told something (buttons released). */
static bool set_grab(SdlDisplay *s, bool on)
{
    if (s->grabbed == on)
        return false;
    s->grabbed = on;
    SDL_SetWindowGrab(s->win, on ? SDL_TRUE : SDL_FALSE);
    /* Relative mode hides the host pointer and reports raw motion. */
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    /* Without the grab a button's release is the host's, so none may stay
     * down in the guest. */
    return !on && release_buttons(s);
}

static void guest_key(SdlDisplay *s, uint16_t key, bool down)
{
    i8042_key_event(s->kbc, key, down);
}

/* Everything the guest holds goes up: the window lost the keyboard, and
 * the keys' releases will go elsewhere. */
static void release_all(SdlDisplay *s, DisplayPoll *out)
{
    for (int sc = 0; sc < SDL_NUM_SCANCODES; sc++)
        if (s->down[sc]) {
            guest_key(s, s->down[sc], false);
            s->down[sc] = 0;
            out->input = true;
        }
    if (release_buttons(s))
        out->input = true;
}

/* Ctrl+Alt+End: the desktop keeps Ctrl+Alt+Delete for itself, so this
 * types it into the guest (the modifiers the guest does not hold already
 * are pressed around it). */
static void send_ctrl_alt_del(SdlDisplay *s)
{
    bool ctrl = s->down[SDL_SCANCODE_LCTRL] || s->down[SDL_SCANCODE_RCTRL];
    bool alt = s->down[SDL_SCANCODE_LALT] || s->down[SDL_SCANCODE_RALT];
    uint16_t del = keymap_ps2_key(SDL_SCANCODE_DELETE, false, false);
    if (!ctrl)
        guest_key(s, keymap_ps2_key(SDL_SCANCODE_LCTRL, false, false), true);
    if (!alt)
        guest_key(s, keymap_ps2_key(SDL_SCANCODE_LALT, false, false), true);
    guest_key(s, del, true);
    guest_key(s, del, false);
    if (!alt)
        guest_key(s, keymap_ps2_key(SDL_SCANCODE_LALT, false, false), false);
    if (!ctrl)
        guest_key(s, keymap_ps2_key(SDL_SCANCODE_LCTRL, false, false), false);
}

static void toggle_full_screen(SdlDisplay *s)
{
    s->full_screen = !s->full_screen;
    SDL_SetWindowFullscreen(s->win, s->full_screen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    if (!s->full_screen && s->view_w)
        SDL_SetWindowSize(s->win, (int)s->view_w, (int)s->view_h);
    s->need_present = true;
}

static void hot_full_screen(SdlDisplay *s, DisplayPoll *out)
{
    (void)out;
    toggle_full_screen(s);
}

static void hot_grab(SdlDisplay *s, DisplayPoll *out)
{
    if (set_grab(s, !s->grabbed))
        out->input = true;
}

/* Back to the mode's own size (QEMU's Ctrl+Alt+U). */
static void hot_unscale(SdlDisplay *s, DisplayPoll *out)
{
    (void)out;
    if (s->full_screen)
        toggle_full_screen(s);
    else if (s->view_w)
        SDL_SetWindowSize(s->win, (int)s->view_w, (int)s->view_h);
}

/* The next scaling: nearest, smooth, integer. */
static void hot_scale(SdlDisplay *s, DisplayPoll *out)
{
    (void)out;
    s->scale = (DisplayScale)((s->scale + 1) % DISPLAY_SCALE_COUNT);
    apply_scale(s);
}

static void hot_ctrl_alt_del(SdlDisplay *s, DisplayPoll *out)
{
    if (s->con)
        return;   /* the console has the keyboard: nothing reaches the guest */
    send_ctrl_alt_del(s);
    out->input = true;
}

/* QEMU's consoles: 1 the guest's screen, 2 the monitor. */
static void hot_show_guest(SdlDisplay *s, DisplayPoll *out)
{
    (void)s;
    out->show = 1;
}

static void hot_show_monitor(SdlDisplay *s, DisplayPoll *out)
{
    (void)s;
    out->show = 2;
}

static void hot_quick_save(SdlDisplay *s, DisplayPoll *out)
{
    (void)s;
    out->snapshot = 1;
}

static void hot_quick_load(SdlDisplay *s, DisplayPoll *out)
{
    (void)s;
    out->snapshot = 2;
}

/* Ctrl+Alt+key: the window's own commands; the guest never sees the key. */
static const struct {
    SDL_Scancode key;
    void (*run)(SdlDisplay *s, DisplayPoll *out);
} hot_keys[] = {
    { SDL_SCANCODE_F, hot_full_screen },
    { SDL_SCANCODE_G, hot_grab },
    { SDL_SCANCODE_U, hot_unscale },
    { SDL_SCANCODE_S, hot_scale },
    { SDL_SCANCODE_END, hot_ctrl_alt_del },
    { SDL_SCANCODE_1, hot_show_guest },
    { SDL_SCANCODE_2, hot_show_monitor },
    { SDL_SCANCODE_W, hot_quick_save },
    { SDL_SCANCODE_R, hot_quick_load },
};

static bool hot_key(SdlDisplay *s, SDL_Scancode sc, DisplayPoll *out)
{
    /* Ctrl+Alt+F1..F8: kairo-portd's focus keys (a guest cannot type them:
     * the window takes them before any 8042 sees a key). */
    if (s->focus_keys && sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F8) {
        out->focus = (int)(sc - SDL_SCANCODE_F1) + 1;
        return true;
    }
    for (size_t i = 0; i < sizeof hot_keys / sizeof hot_keys[0]; i++)
        if (hot_keys[i].key == sc) {
            hot_keys[i].run(s, out);
            return true;
        }
    return false;
}

/* The console's editing keys (printable ones come as SDL_TEXTINPUT). */
static void console_keydown(SdlDisplay *s, SDL_Scancode sc)
{
    static const struct {
        SDL_Scancode sc;
        ConsoleKey key;
    } keys[] = {
        { SDL_SCANCODE_RETURN, CONSOLE_KEY_ENTER },
        { SDL_SCANCODE_KP_ENTER, CONSOLE_KEY_ENTER },
        { SDL_SCANCODE_BACKSPACE, CONSOLE_KEY_BACKSPACE },
        { SDL_SCANCODE_DELETE, CONSOLE_KEY_DELETE },
        { SDL_SCANCODE_LEFT, CONSOLE_KEY_LEFT },
        { SDL_SCANCODE_RIGHT, CONSOLE_KEY_RIGHT },
        { SDL_SCANCODE_HOME, CONSOLE_KEY_HOME },
        { SDL_SCANCODE_END, CONSOLE_KEY_END },
        { SDL_SCANCODE_UP, CONSOLE_KEY_UP },
        { SDL_SCANCODE_DOWN, CONSOLE_KEY_DOWN },
        { SDL_SCANCODE_PAGEUP, CONSOLE_KEY_PAGE_UP },
        { SDL_SCANCODE_PAGEDOWN, CONSOLE_KEY_PAGE_DOWN },
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].sc == sc) {
            console_key(s->con, keys[i].key);
            return;
        }
}

static void sdl_set_console(void *be, Console *con)
{
    SdlDisplay *s = be;
    s->con = con;
    if (con) {
        /* Typed text for the console (an input method may compose it);
         * the mouse is of no use there. */
        set_grab(s, false);
        SDL_StartTextInput();
    } else {
        SDL_StopTextInput();
    }
    s->need_present = true;
}

static void on_text(SdlDisplay *s, const SDL_TextInputEvent *e)
{
    SDL_Keymod mod = SDL_GetModState();
    if (!s->con || ((mod & KMOD_CTRL) && (mod & KMOD_ALT)))
        return;   /* the '2' of Ctrl+Alt+2 is a hot key, not text */
    for (const char *p = e->text; *p; p++)
        console_type(s->con, *p);   /* ASCII only: other bytes are dropped */
}

static void on_key(SdlDisplay *s, const SDL_KeyboardEvent *e, DisplayPoll *out)
{
    SDL_Scancode sc = e->keysym.scancode;
    if ((int)sc <= 0 || sc >= SDL_NUM_SCANCODES)
        return;
    if (e->type == SDL_KEYUP) {
        if (s->down[sc]) {
            guest_key(s, s->down[sc], false);
            s->down[sc] = 0;
            out->input = true;
        }
        return;
    }
    /* The host's auto-repeat is ignored: the guest's keyboard repeats a
     * held key itself, at the rate the guest programmed. Presses without
     * the keyboard focus (window ID 0: X delivers them when the focus went
     * to the root window) are not ours either. */
    if (e->windowID != SDL_GetWindowID(s->win))
        return;
    bool ctrl = e->keysym.mod & KMOD_CTRL, alt = e->keysym.mod & KMOD_ALT;
    if (s->con && !(ctrl && alt)) {
        if (!s->down[sc])
            console_keydown(s, sc);   /* repeats too: held Backspace */
        return;
    }
    if (e->repeat || s->down[sc])
        return;
    if (ctrl && alt && hot_key(s, sc, out))
        return;
    if (s->con)
        return;   /* Ctrl+Alt+other in the console: not the guest's */
    uint16_t key = keymap_ps2_key(sc, ctrl, alt);
    if (!key) {
        static bool told[SDL_NUM_SCANCODES];
        if (!told[sc])
            fprintf(stderr, "kairo: display: host key '%s' (scancode %d) has no PC key\n",
                    SDL_GetScancodeName(sc), (int)sc);
        told[sc] = true;
        return;
    }
    guest_key(s, key, true);
    /* Pause has no release; the others are held until their key-up. */
    if (key != PS2_KEY_PAUSE)
        s->down[sc] = key;
    out->input = true;
}

static uint8_t button_bit(Uint8 sdl_button)
{
    static const uint8_t bits[] = {
        [SDL_BUTTON_LEFT] = 0x01, [SDL_BUTTON_RIGHT] = 0x02, [SDL_BUTTON_MIDDLE] = 0x04,
        [SDL_BUTTON_X1] = 0x08, [SDL_BUTTON_X2] = 0x10,
    };
    return sdl_button < sizeof bits ? bits[sdl_button] : 0;
}

static void on_button(SdlDisplay *s, const SDL_MouseButtonEvent *e, DisplayPoll *out)
{
    if (s->con)
        return;   /* the console has no use for the mouse */
    if (!s->grabbed) {
        /* A click in the window grabs; the click itself is the host's. */
        if (e->type == SDL_MOUSEBUTTONDOWN && e->button == SDL_BUTTON_LEFT)
            set_grab(s, true);
        return;
    }
    uint8_t bit = button_bit(e->button);
    uint8_t b = e->type == SDL_MOUSEBUTTONDOWN ? s->buttons | bit : s->buttons & ~bit;
    if (b != s->buttons) {
        /* Motion so far goes first, in the packet with the old buttons. */
        i8042_mouse(s->kbc, s->dx, s->dy, s->dz, s->buttons);
        s->dx = s->dy = s->dz = 0;
        s->buttons = b;
        i8042_mouse(s->kbc, 0, 0, 0, b);
        out->input = true;
    }
}

static void on_window(SdlDisplay *s, const SDL_WindowEvent *e, DisplayPoll *out)
{
    switch (e->event) {
    case SDL_WINDOWEVENT_FOCUS_LOST:
        release_all(s, out);
        set_grab(s, false);
        break;
    case SDL_WINDOWEVENT_CLOSE:
        out->quit = true;
        break;
    case SDL_WINDOWEVENT_EXPOSED:
    case SDL_WINDOWEVENT_SIZE_CHANGED:
        s->need_present = true;
        break;
    default:
        break;
    }
}

static void sdl_poll(void *be, DisplayPoll *out)
{
    SdlDisplay *s = be;
    SDL_Event ev;
    /* After Ctrl+Alt+1/2 the rest waits for the next poll, when the keys
     * already go where the switch sends them; after a quick save or load,
     * until it is done (the Ctrl and Alt releases behind Ctrl+Alt+R must
     * reach the loaded keyboard, not the one the load replaces). */
    while (!out->show && !out->snapshot && SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            out->quit = true;
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            on_key(s, &ev.key, out);
            break;
        case SDL_TEXTINPUT:
            on_text(s, &ev.text);
            break;
        case SDL_MOUSEMOTION:
            if (s->grabbed) {
                s->dx += ev.motion.xrel;
                s->dy -= ev.motion.yrel;   /* PS/2: positive is up */
            }
            break;
        case SDL_MOUSEWHEEL:
            if (s->grabbed)
                s->dz += ev.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -ev.wheel.y : ev.wheel.y;
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP:
            on_button(s, &ev.button, out);
            break;
        case SDL_WINDOWEVENT:
            on_window(s, &ev.window, out);
            break;
        case SDL_RENDER_TARGETS_RESET:
            s->need_full = true;
            break;
        case SDL_RENDER_DEVICE_RESET:
            s->tex_w = s->tex_h = 0;   /* textures are gone: make a new one */
            break;
        default:
            break;
        }
    }
    /* One packet's worth of motion per poll: 60 a second, as a mouse at
     * its default sample rate would send. */
    if (s->dx || s->dy || s->dz) {
        i8042_mouse(s->kbc, s->dx, s->dy, s->dz, s->buttons);
        s->dx = s->dy = s->dz = 0;
        out->input = true;
    }
    out->grabbed = s->grabbed;
}

static void sdl_set_kbc(void *be, I8042 *kbc)
{
    SdlDisplay *s = be;
    DisplayPoll ignored = { 0 };
    release_all(s, &ignored);
    s->kbc = kbc;
}

static void sdl_set_focus_keys(void *be, bool on)
{
    ((SdlDisplay *)be)->focus_keys = on;
}

const DisplayBackend display_sdl_backend = {
    .name = "sdl",
    .open = sdl_open,
    .update = sdl_update,
    .poll = sdl_poll,
    .set_title = sdl_set_title,
    .set_console = sdl_set_console,
    .close = sdl_close,
    .set_kbc = sdl_set_kbc,
    .set_focus_keys = sdl_set_focus_keys,
};
