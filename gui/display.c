/* SPDX-License-Identifier: MIT */
/* The display's backend-independent half: option parsing, the choice of
 * backend, the 60 Hz refresh on host time, the idle wait, the title and
 * the switch between the guest's screen and the monitor console. */
#include "gui/display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gui/display_backend.h"
#include "gui/vgafont.h"

#define FRAME_NS (1000000000ull / 60)
#define TITLE_NS 1000000000ull
/* An idle wait never holds the machine loop longer than this (a slice is
 * at most a few ms of guest time anyway). */
#define IDLE_WAIT_MAX_NS 50000000ull

struct Display {
    const DisplayBackend *ops;
    void *be;
    DisplaySources src;
    uint64_t next_frame_ns, next_title_ns;
    uint64_t title_at_ns;           /* when the counters below were read */
    DisplayCounters last;
    bool grabbed;
    char title[192];
    char name[64];                  /* -name: the title's first word, "" = none */
    VgaFrame blank;                 /* what -vga none shows */
    Console *con;                   /* the monitor console (Ctrl+Alt+2) */
    bool console_on;                /* it is shown, and takes the keys */
    bool closed;                    /* the window was closed: every service says quit */
    char font_file[256];
    void (*focus_key)(void *opaque, int n);     /* Ctrl+Alt+F1..F8 */
    void *focus_opaque;
};

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* --- -display SPEC --- */

static const char *const scale_names[DISPLAY_SCALE_COUNT] = { "nearest", "smooth", "integer" };

static bool parse_on_off(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

bool display_parse(const char *spec, DisplayConfig *cfg, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    const char *name = strtok_r(buf, ",", &save);
    /* -full-screen may come before -display: it stays. */
    *cfg = (DisplayConfig){ .kind = DISPLAY_NONE, .full_screen = cfg->full_screen };
    if (name && !strcmp(name, "sdl")) {
        cfg->kind = DISPLAY_SDL;
    } else if (!name || strcmp(name, "none")) {
        snprintf(err, errlen, "unsupported display '%s' (supported: sdl, none)", spec);
        return false;
    }
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const char *v = eq ? eq + 1 : "";
        if (eq)
            *eq = 0;
        bool ok = false;
        if (cfg->kind == DISPLAY_SDL && !strcmp(kv, "scale")) {
            for (int s = 0; s < DISPLAY_SCALE_COUNT && !ok; s++)
                if (!strcmp(v, scale_names[s])) {
                    cfg->scale = (DisplayScale)s;
                    ok = true;
                }
        } else if (cfg->kind == DISPLAY_SDL && !strcmp(kv, "full-screen")) {
            ok = parse_on_off(v, &cfg->full_screen);
        } else {
            if (cfg->kind == DISPLAY_SDL)
                snprintf(err, errlen, "unknown -display sdl property '%s' (scale, full-screen)",
                         kv);
            else
                snprintf(err, errlen, "-display none takes no properties ('%s')", kv);
            return false;
        }
        if (!ok) {
            snprintf(err, errlen, "bad -display %s=%s (%s)", kv, v,
                     !strcmp(kv, "scale") ? "nearest, smooth, integer" : "on, off");
            return false;
        }
    }
    return true;
}

/* --- opening --- */

Display *display_open(const DisplayConfig *cfg, const DisplaySources *src, char *err,
                      size_t errlen)
{
    err[0] = 0;
    DisplayConfig c = *cfg;
    bool explicit_sdl = c.kind == DISPLAY_SDL;
    if (c.kind == DISPLAY_DEFAULT) {
        /* A desktop session is the only place a window makes sense; CI and
         * ssh sessions stay headless without being told. */
        const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
        c.kind = (x && *x) || (w && *w) ? DISPLAY_SDL : DISPLAY_NONE;
    }
    if (c.kind == DISPLAY_NONE)
        return NULL;
    Display *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory for the display");
        return NULL;
    }
    d->ops = &display_sdl_backend;
    d->src = *src;
    char why[256] = "";
    d->be = d->ops->open(&c, src->kbc, why, sizeof why);
    if (!d->be) {
        free(d);
        if (explicit_sdl) {
            snprintf(err, errlen, "-display sdl: %s", why);
        } else {
            /* The default quietly falls back, but says why once. */
            fprintf(stderr, "kairo: no display window (%s); running headless\n", why);
        }
        return NULL;
    }
    /* The console's font: the VGA BIOS's own 8x16 one, no copy of ours. */
    uint8_t font[VGAFONT_BYTES];   /* copied by console_new */
    bool has_font = src->font_file && vgafont_load(src->font_file, font);
    snprintf(d->font_file, sizeof d->font_file, "%s", src->font_file ? src->font_file : "");
    d->con = console_new(has_font ? font : NULL);
    if (!d->con) {
        d->ops->close(d->be);
        free(d);
        snprintf(err, errlen, "out of memory for the display");
        return NULL;
    }
    if (!src->vga) {
        static uint32_t black[640 * 480];
        d->blank = (VgaFrame){ black, 640, 480, 0, 479 };
    }
    uint64_t now = host_ns();
    d->next_frame_ns = now;
    d->next_title_ns = now + TITLE_NS;   /* "Kairo" until there is a second to measure */
    d->title_at_ns = now;
    if (c.title && c.title[0]) {
        snprintf(d->name, sizeof d->name, "%s - ", c.title);
        char first[sizeof d->title];
        snprintf(first, sizeof first, "%sKairo", d->name);
        d->ops->set_title(d->be, first);
    }
    if (src->counters)
        src->counters(src->opaque, &d->last);
    return d;
}

void display_close(Display *d)
{
    if (!d)
        return;
    d->ops->close(d->be);
    console_free(d->con);
    free(d);
}

/* --- the monitor console --- */

void display_console_attach(Display *d, void (*fn)(void *opaque, const char *line),
                            void *opaque)
{
    if (d)
        console_set_line_handler(d->con, fn, opaque);
}

void display_console_write(void *display, const char *text, size_t len)
{
    Display *d = display;
    if (d)
        console_write(d->con, text, len);
}

/* Ctrl+Alt+1 / Ctrl+Alt+2. True when what the window shows changed. */
static bool show_console(Display *d, bool on)
{
    if (on == d->console_on)
        return false;
    if (on && !console_has_font(d->con)) {
        static bool told;
        if (!told)
            fprintf(stderr, "kairo: display: no monitor console: no 8x16 VGA font found in "
                            "'%s' (-vga-bios)\n", d->font_file);
        told = true;
        return false;
    }
    d->console_on = on;
    d->ops->set_console(d->be, on ? d->con : NULL);
    return true;
}

/* --- the title: speed, activity, grab --- */

static void update_title(Display *d, uint64_t now)
{
    DisplayCounters c = { 0 };
    if (d->src.counters)
        d->src.counters(d->src.opaque, &c);
    double secs = (double)(now - d->title_at_ns) * 1e-9;
    double mips = secs > 0 ? (double)(c.insns - d->last.insns) / secs / 1e6 : 0;
    /* A device that moved data in the last second gets its marker. */
    char title[sizeof d->title];
    snprintf(title, sizeof title, "%sKairo - %.1f MIPS%s%s%s%s%s", d->name, mips,
             c.floppy != d->last.floppy || c.disk != d->last.disk || c.net != d->last.net
                 ? " -" : "",
             c.floppy != d->last.floppy ? " FD" : "", c.disk != d->last.disk ? " HD" : "",
             c.net != d->last.net ? " NET" : "",
             d->grabbed ? " - Press Ctrl+Alt+G to release grab" : "");
    d->last = c;
    d->title_at_ns = now;
    if (strcmp(title, d->title)) {
        memcpy(d->title, title, sizeof title);
        d->ops->set_title(d->be, title);
    }
}

/* Speed and activity need a second of history; a grab change is shown
 * at once with the speed figure as it was. */
static void regrab_title(Display *d)
{
    const char *dash = strstr(d->title, " - Press");
    char title[sizeof d->title];
    int n = dash ? (int)(dash - d->title) : (int)strlen(d->title);
    snprintf(title, sizeof title, "%.*s%s", n, d->title,
             d->grabbed ? " - Press Ctrl+Alt+G to release grab" : "");
    memcpy(d->title, title, sizeof title);
    d->ops->set_title(d->be, title);
}

/* --- refresh --- */

/* One 60 Hz frame: input first (so a key shows in the same frame when the
 * guest is fast), then the picture's dirty rows, then once a second the
 * title and a full upload (rows another vga_render() caller, such as a
 * screendump, took the dirt of are shown again). */
static DisplayPoll frame(Display *d, uint64_t now)
{
    d->next_frame_ns += FRAME_NS;
    if (d->next_frame_ns <= now)
        d->next_frame_ns = now + FRAME_NS;   /* late: no burst of catch-up frames */
    DisplayPoll p = { .grabbed = d->grabbed };
    d->ops->poll(d->be, &p);
    if (p.grabbed != d->grabbed) {
        d->grabbed = p.grabbed;
        regrab_title(d);
    }
    bool switched = p.show && show_console(d, p.show == 2);
    if (p.snapshot && d->src.snapshot_key) {
        d->src.snapshot_key(d->src.opaque, p.snapshot == 2);
        switched = true;   /* a loaded state has another picture: upload it whole */
    }
    if (p.focus && d->focus_key) {
        d->focus_key(d->focus_opaque, p.focus - 1);
        switched = true;   /* another client's picture: upload it whole */
    }
    bool second = now >= d->next_title_ns;
    const VgaFrame *f = d->console_on ? console_render(d->con, switched)
                        : d->src.vga  ? vga_render(d->src.vga)
                                      : &d->blank;
    d->ops->update(d->be, f, second || switched);
    if (second) {
        update_title(d, now);
        d->next_title_ns = now + TITLE_NS;
    }
    return p;
}

uint64_t display_service(Display *d, uint64_t idle_ns, bool *quit)
{
    if (d->closed) {
        *quit = true;
        return 0;
    }
    uint64_t now = host_ns();
    if (!idle_ns) {
        if (now >= d->next_frame_ns && frame(d, now).quit)
            *quit = d->closed = true;
        return 0;
    }
    if (idle_ns > IDLE_WAIT_MAX_NS)
        idle_ns = IDLE_WAIT_MAX_NS;
    uint64_t start = now, end = now + idle_ns;
    for (;;) {
        if (now >= d->next_frame_ns) {
            DisplayPoll p = frame(d, now);
            if (p.quit) {
                *quit = d->closed = true;
                break;
            }
            if (p.input)
                break;   /* the guest has an interrupt to take: let it run */
        }
        if (now >= end)
            break;
        sleep_until(end < d->next_frame_ns ? end : d->next_frame_ns);
        now = host_ns();
    }
    return now - start < idle_ns ? now - start : idle_ns;
}

bool display_service_stopped(void *display)
{
    bool quit = false;
    display_service(display, 0, &quit);
    return quit;
}

void display_set_sources(Display *d, Vga *vga, I8042 *kbc, const char *name)
{
    d->src.vga = vga;
    d->src.kbc = kbc;
    if (d->ops->set_kbc)
        d->ops->set_kbc(d->be, kbc);
    snprintf(d->name, sizeof d->name, "%s - ", name);
    d->next_title_ns = 0;   /* the next frame shows the new title, and the whole picture */
}

void display_set_focus_key(Display *d, void (*fn)(void *opaque, int n), void *opaque)
{
    d->focus_key = fn;
    d->focus_opaque = opaque;
    if (d->ops->set_focus_keys)
        d->ops->set_focus_keys(d->be, fn != NULL);
}
