/* SPDX-License-Identifier: MIT */
/* kairo-portd's console (see portd_console.h). */
#include "iodev/remote/portd_console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gui/display.h"
#include "iodev/remote/transport.h"

void pd_console_init(PdConsole *c)
{
    memset(c, 0, sizeof *c);
    c->listen_fd = -1;
}

void pd_console_add(PdConsole *c, PdDevice *d)
{
    if (d->kind == PD_VGA && c->n_screens < PD_CONSOLE_MAX)
        c->screens[c->n_screens++] = d;
    else if (d->kind == PD_KBD && c->n_keyboards < PD_CONSOLE_MAX)
        c->keyboards[c->n_keyboards++] = d;
    else if (d->kind == PD_UART && d->muxed && c->n_serials < PD_CONSOLE_MAX)
        c->serials[c->n_serials++] = d;
}

/* --- naming a client: the first client line of its screen's slot --- */

static void client_name(const PdConsole *c, int k, char *out, size_t outlen)
{
    const RsSlot *s = k < c->n_screens ? c->screens[k]->slot
                      : k < c->n_keyboards ? c->keyboards[k]->slot
                      : k < c->n_serials   ? c->serials[k]->slot : NULL;
    if (!s || !s->n_clients) {
        snprintf(out, outlen, "client%d", k + 1);
        return;
    }
    rs_client_format(&s->clients[0], out, outlen);
}

static double now_s(void)
{
    return (double)rp_now_ns() / 1e9;
}

/* --- focus --- */

static int n_clients(const PdConsole *c)
{
    int n = c->n_screens > c->n_keyboards ? c->n_screens : c->n_keyboards;
    return n > c->n_serials ? n : c->n_serials;
}

bool pd_console_focus(PdConsole *c, int k, char *why, size_t whylen)
{
    char who[64];
    if (k < 0 || k >= n_clients(c)) {
        snprintf(why, whylen, "no client %d (1-%d)", k + 1, n_clients(c));
        c->st.refused++;
        fprintf(stderr, "kairo-portd: [%.6f] console: focus %d refused: %s\n", now_s(), k + 1, why);
        return false;
    }
    client_name(c, k, who, sizeof who);
    if (k != c->focus) {
        c->st.focus_changes++;
        fprintf(stderr, "kairo-portd: [%.6f] console: focus client %d -> %d (%s)\n", now_s(),
                c->focus + 1, k + 1, who);
    }
    c->focus = k;
    if (c->window) {
        char title[128];
        snprintf(title, sizeof title, "kairo-portd: client %d (%s)", k + 1, who);
        display_set_sources(c->window, k < c->n_screens ? c->screens[k]->vga : NULL,
                            k < c->n_keyboards ? c->keyboards[k]->kbc : NULL, title);
    }
    return true;
}

/* --- the keyboard: text as set 1 make and break codes --- */

static const uint8_t set1_of[128] = {
    ['1'] = 0x02, ['2'] = 0x03, ['3'] = 0x04, ['4'] = 0x05, ['5'] = 0x06, ['6'] = 0x07,
    ['7'] = 0x08, ['8'] = 0x09, ['9'] = 0x0A, ['0'] = 0x0B, ['-'] = 0x0C, ['='] = 0x0D,
    ['q'] = 0x10, ['w'] = 0x11, ['e'] = 0x12, ['r'] = 0x13, ['t'] = 0x14, ['y'] = 0x15,
    ['u'] = 0x16, ['i'] = 0x17, ['o'] = 0x18, ['p'] = 0x19, ['\n'] = 0x1C, ['a'] = 0x1E,
    ['s'] = 0x1F, ['d'] = 0x20, ['f'] = 0x21, ['g'] = 0x22, ['h'] = 0x23, ['j'] = 0x24,
    ['k'] = 0x25, ['l'] = 0x26, ['z'] = 0x2C, ['x'] = 0x2D, ['c'] = 0x2E, ['v'] = 0x2F,
    ['b'] = 0x30, ['n'] = 0x31, ['m'] = 0x32, ['.'] = 0x34, ['/'] = 0x35, [' '] = 0x39,
};

/* Keys wait here and enter the 8042 a few at a time (its queue holds 64
 * bytes): a long line is not cut. They belong to the client that had
 * focus when they were typed. */
static bool queue_text(PdConsole *c, const char *text, char *why, size_t whylen)
{
    if (c->focus >= c->n_keyboards) {
        snprintf(why, whylen, "client %d has no keyboard slot", c->focus + 1);
        return false;
    }
    size_t n = strlen(text);
    if (n > sizeof c->pending - c->n_pending) {
        snprintf(why, whylen, "too much text waiting (%zu bytes)", c->n_pending);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] >= 128 || !set1_of[(unsigned char)text[i]]) {
            snprintf(why, whylen, "no key for character 0x%02X", (unsigned char)text[i]);
            return false;
        }
    for (size_t i = 0; i < n; i++)
        c->pending[c->n_pending++] = (PdKey){ (uint8_t)set1_of[(unsigned char)text[i]],
                                              (uint8_t)c->focus };
    return true;
}

static void serial_tick(PdConsole *c);

void pd_console_tick(PdConsole *c)
{
    serial_tick(c);
    while (c->n_pending) {
        PdKey k = c->pending[0];
        I8042 *kbc = c->keyboards[k.client]->kbc;
        if (kbc->kbd.queue.count > KBC_QUEUE - 8)
            return;
        i8042_key(kbc, k.code);
        i8042_key(kbc, (uint8_t)(k.code | 0x80));
        c->st.keys_sent++;
        memmove(c->pending, c->pending + 1, --c->n_pending * sizeof c->pending[0]);
    }
}

/* --- the muxed serial lines: input to the focused client's --- */

static bool serial_input(PdConsole *c, const char *text, char *why, size_t whylen)
{
    if (c->focus >= c->n_serials) {
        snprintf(why, whylen, "client %d has no muxed serial line", c->focus + 1);
        return false;
    }
    size_t room = sizeof c->ser_pending / sizeof c->ser_pending[0] - c->n_ser_pending;
    if (strlen(text) > room) {
        snprintf(why, whylen, "too much serial input waiting");
        return false;
    }
    /* The bytes wait here and enter the UART one at a time as the guest
     * reads them: a UART without its FIFO holds one byte. */
    for (const char *p = text; *p; p++)
        c->ser_pending[c->n_ser_pending++] =
            (PdKey){ p[0] == '\\' && p[1] == 'n' ? (p++, '\r') : (uint8_t)*p, (uint8_t)c->focus };
    return true;
}

static void serial_tick(PdConsole *c)
{
    while (c->n_ser_pending) {
        PdKey k = c->ser_pending[0];
        Uart *u = &c->serials[k.client]->uart;
        if (u->rx.count)
            return;
        uart_receive(u, &k.code, 1);
        c->st.serial_bytes++;
        memmove(c->ser_pending, c->ser_pending + 1,
                --c->n_ser_pending * sizeof c->ser_pending[0]);
    }
}

/* --- commands --- */

static bool write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w < 0 && errno == EAGAIN) {
                struct pollfd q = { .fd = fd, .events = POLLOUT };
                if (poll(&q, 1, 1000) > 0)
                    continue;
            }
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The focused screen as a binary PPM (P6) after the reply line: the
 * sandboxed server opens no files, the asker saves the image. */
static bool screendump(PdConsole *c, int fd, char *why, size_t whylen)
{
    if (c->focus >= c->n_screens) {
        snprintf(why, whylen, "client %d has no vga slot", c->focus + 1);
        return false;
    }
    const VgaFrame *f = vga_render(c->screens[c->focus]->vga);
    char head[64];
    int hn = snprintf(head, sizeof head, "P6\n%u %u\n255\n", f->width, f->height);
    size_t n = (size_t)hn + (size_t)f->width * f->height * 3;
    uint8_t *img = malloc(n);
    if (!img) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    memcpy(img, head, (size_t)hn);
    uint8_t *p = img + hn;
    for (size_t i = 0; i < (size_t)f->width * f->height; i++) {
        uint32_t px = f->pixels[i];
        *p++ = (uint8_t)(px >> 16), *p++ = (uint8_t)(px >> 8), *p++ = (uint8_t)px;
    }
    char line[64];
    int ln = snprintf(line, sizeof line, "ok ppm %zu\n", n);
    bool ok = fd < 0 || write_all(fd, line, (size_t)ln);
    ok = ok && (fd < 0 || write_all(fd, img, n));
    free(img);
    c->st.screendumps++;
    if (!ok)
        snprintf(why, whylen, "the asker left during the screendump");
    return ok;
}

/* handover SLOT K / release SLOT (k = 0) */
static bool handover(PdConsole *c, const char *args, bool release, char *why, size_t whylen)
{
    char name[RP_SLOT_NAME_LEN + 2] = "";
    int k = 0, used = 0;
    if (release ? sscanf(args, "%17s%n", name, &used) != 1
                : sscanf(args, "%17s %d%n", name, &k, &used) != 2 || args[used]) {
        snprintf(why, whylen, release ? "release wants SLOT" : "handover wants SLOT K");
        return false;
    }
    RsSlot *s = c->srv ? rs_find_slot(c->srv, name) : NULL;
    if (!s || !s->exclusive) {
        snprintf(why, whylen, "no exclusive slot %s", name);
        return false;
    }
    if (!rs_slot_handover(s, release ? -1 : k - 1)) {
        snprintf(why, whylen, "slot %s has no client %d", name, k);
        return false;
    }
    return true;
}

/* The focused screen as text (vga_text_dump: its rows, one a line): the
 * reply line and then the text, like a screendump. */
static bool screen_text(PdConsole *c, int fd, char *why, size_t whylen)
{
    static char text[16384];
    if (c->focus >= c->n_screens) {
        snprintf(why, whylen, "client %d has no vga slot", c->focus + 1);
        return false;
    }
    if (!vga_text_dump(c->screens[c->focus]->vga, text, sizeof text)) {
        snprintf(why, whylen, "client %d's screen is in a graphics mode", c->focus + 1);
        return false;
    }
    size_t n = strlen(text);
    char line[64];
    int ln = snprintf(line, sizeof line, "ok text %zu\n", n);
    c->st.screendumps++;
    if (fd >= 0 && (!write_all(fd, line, (size_t)ln) || !write_all(fd, text, n))) {
        snprintf(why, whylen, "the asker left during the text");
        return false;
    }
    return true;
}

void pd_console_command(PdConsole *c, int fd, const char *line, char *reply, size_t replylen)
{
    char why[300] = "", who[64];
    bool ok = true;
    c->st.commands++;
    if (!strcmp(line, "focus") || !strncmp(line, "focus ", 6)) {
        if (line[5]) {
            char *end;
            long k = strtol(line + 6, &end, 10);
            ok = *end == 0 && line[6] && pd_console_focus(c, (int)k - 1, why, sizeof why);
            if (!ok && !why[0])
                snprintf(why, sizeof why, "focus wants a client number");
        }
        if (ok) {
            client_name(c, c->focus, who, sizeof who);
            snprintf(reply, replylen, "ok focus %d %s", c->focus + 1, who);
            return;
        }
    } else if (!strcmp(line, "screendump")) {
        if (screendump(c, fd, why, sizeof why)) {
            reply[0] = 0;       /* the reply line went out with the image */
            return;
        }
        ok = false;
    } else if (!strcmp(line, "text")) {
        if (screen_text(c, fd, why, sizeof why)) {
            reply[0] = 0;       /* the reply line went out with the text */
            return;
        }
        ok = false;
    } else if (!strncmp(line, "type ", 5)) {
        /* "\n" in the text is the Enter key. */
        char text[256];
        size_t n = 0;
        for (const char *p = line + 5; *p && n + 1 < sizeof text; p++)
            text[n++] = p[0] == '\\' && p[1] == 'n' ? (p++, '\n') : *p;
        text[n] = 0;
        ok = queue_text(c, text, why, sizeof why);
    } else if (!strncmp(line, "serial ", 7)) {
        ok = serial_input(c, line + 7, why, sizeof why);
    } else if (!strncmp(line, "handover ", 9)) {
        ok = handover(c, line + 9, false, why, sizeof why);
    } else if (!strncmp(line, "release ", 8)) {
        ok = handover(c, line + 8, true, why, sizeof why);
    } else if (!strcmp(line, "stats")) {
        snprintf(reply, replylen, "ok focus %d focus-changes %llu screendumps %llu keys %llu "
                                  "serial-bytes %llu commands %llu refused %llu", c->focus + 1,
                 (unsigned long long)c->st.focus_changes, (unsigned long long)c->st.screendumps,
                 (unsigned long long)c->st.keys_sent, (unsigned long long)c->st.serial_bytes,
                 (unsigned long long)c->st.commands,
                 (unsigned long long)c->st.refused);
        return;
    } else {
        ok = false;
        snprintf(why, sizeof why, "unknown command (focus, screendump, text, type, serial, "
                                  "handover, release, stats)");
    }
    if (ok) {
        snprintf(reply, replylen, "ok");
        return;
    }
    c->st.refused++;
    snprintf(reply, replylen, "error %s", why);
}

/* --- the socket --- */

bool pd_console_listen(PdConsole *c, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "control socket path too long: %s", path);
        return false;
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    c->listen_fd = fd;
    snprintf(c->path, sizeof c->path, "%s", path);
    return true;
}

int pd_console_fd(const PdConsole *c)
{
    return c->listen_fd;
}

/* One line from a fresh connection, waiting at most 100 ms for it: a
 * client that connects and says nothing cannot stall the devices. */
static bool read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            return false;
        ssize_t r = read(fd, line + n, 1);
        if (r <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = 0;
    if (n && line[n - 1] == '\r')
        line[n - 1] = 0;
    return n > 0;
}

void pd_console_poll(PdConsole *c)
{
    if (c->listen_fd < 0)
        return;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char line[512], reply[600];
    if (read_line(fd, line, sizeof line)) {
        pd_console_command(c, fd, line, reply, sizeof reply);
        size_t n = strlen(reply);
        if (n) {
            reply[n++] = '\n';
            write_all(fd, reply, n);
        }
    }
    close(fd);
}

void pd_console_print_stats(const PdConsole *c, FILE *out)
{
    if (!c->n_screens && !c->n_keyboards)
        return;
    fprintf(out, "kairo-portd: console: %d screen(s), %d keyboard(s), focus %d, "
                 "%llu focus changes, %llu screendumps, %llu keys, %llu commands, "
                 "%llu refused\n", c->n_screens, c->n_keyboards, c->focus + 1,
            (unsigned long long)c->st.focus_changes, (unsigned long long)c->st.screendumps,
            (unsigned long long)c->st.keys_sent, (unsigned long long)c->st.commands,
            (unsigned long long)c->st.refused);
}

void pd_console_close(PdConsole *c)
{
    if (c->window)
        display_close(c->window);
    c->window = NULL;
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->path);
    }
    c->listen_fd = -1;
}

/* --- the window --- */

static void focus_key(void *opaque, int n)
{
    char why[120];
    pd_console_focus(opaque, n, why, sizeof why);
}

bool pd_console_open_window(PdConsole *c, char *err, size_t errlen)
{
    if (!c->n_screens) {
        snprintf(err, errlen, "--display sdl: no vga slot to show");
        return false;
    }
    DisplayConfig cfg = { .kind = DISPLAY_SDL, .scale = DISPLAY_SCALE_NEAREST };
    DisplaySources src = { c->screens[0]->vga, c->n_keyboards ? c->keyboards[0]->kbc : NULL,
                           NULL, NULL, NULL, NULL };
    c->window = display_open(&cfg, &src, err, errlen);
    if (!c->window)
        return false;
    display_set_focus_key(c->window, focus_key, c);
    char why[120];
    return pd_console_focus(c, c->focus, why, sizeof why);
}

bool pd_console_service_window(PdConsole *c)
{
    bool quit = false;
    if (c->window)
        display_service(c->window, 0, &quit);
    return quit;
}
