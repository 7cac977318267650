/* SPDX-License-Identifier: MIT */
/* kairo-portd: the port server. Serves device slots to remote Kairo
 * clients over raw Ethernet or UDP (see --help). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/remote/portd_backends.h"
#include "iodev/remote/portd_console.h"
#include "iodev/remote/portd_config.h"
#include "iodev/remote/portd_sandbox.h"
#include "iodev/remote/portd_state.h"
#include "iodev/remote/proto.h"
#include "iodev/remote/server.h"
#include "iodev/remote/transport.h"
#include "machine/clock.h"

static volatile sig_atomic_t stop_signal, stats_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_stats(int sig)
{
    stats_signal = sig;
}

static void usage(FILE *out)
{
    fputs("usage: kairo-portd -c CONFIG [--user NAME] [--stats]\n"
          "       kairo-portd --genkey FILE\n"
          "Serves I/O port slots to kairo -remote clients.\n"
          "  -c, --config FILE  the configuration (below)\n"
          "  --user NAME        the account to run as once the sockets, devices and ports\n"
          "                     are open (default: nobody when started as root)\n"
          "  --insecure-no-auth serve without a key: anyone on the link can drive the\n"
          "                     slots; logged on every session\n"
          "  --spin US          after serving a frame, busy-poll this long for the next\n"
          "                     before sleeping (default 50, 0 = never); paused for a\n"
          "                     second whenever a spin is preempted (no idle CPU)\n"
          "  --stats            print counters at exit (also on SIGUSR1)\n"
          "  --display sdl|none the console of the vga and kbd slots as a window (default\n"
          "                     none: headless, screendumps on the control socket);\n"
          "                     Ctrl+Alt+F1..F8 focus client 1..8 (no seccomp then)\n"
          "  --genkey FILE      write a new random key (mode 0600) and exit\n"
          "  -h, --help         this text\n\n"
          "Security: a key is required (32 random bytes or 64 hex digits, mode 0600, owned\n"
          "by the user; all-zero, low-entropy or text keys, other owners, group/world\n"
          "access and non-regular files are refused). After opening its sockets, device\n"
          "files and I/O ports kairo-portd drops privileges: setuid to --user (or\n"
          "nobody), every capability dropped, no_new_privs, and a seccomp allowlist of\n"
          "the system calls the serving loop makes (others fail with EPERM).\n\n",
          out);
    fputs(pd_config_help, out);
}

static int genkey(const char *path)
{
    uint8_t key[RP_KEY_LEN];
    if (!rp_crypto_init()) {
        fprintf(stderr, "kairo-portd: libsodium failed to initialise\n");
        return 1;
    }
    rp_random(key, sizeof key);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    char hex[2 * RP_KEY_LEN + 2];
    for (int i = 0; i < RP_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    hex[2 * RP_KEY_LEN] = '\n';
    if (fd < 0 || write(fd, hex, 2 * RP_KEY_LEN + 1) != 2 * RP_KEY_LEN + 1) {
        fprintf(stderr, "kairo-portd: cannot write key '%s': %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    return 0;
}

typedef struct Portd {
    PdConfig cfg;
    RemoteServer srv;
    RpTransport t[PD_MAX_LISTEN];
    int n_t;
    PdDevice *dev[RS_MAX_SLOTS];
    Clock clock;
    uint64_t icount, start;     /* device time: 1 "instruction" a host ns */
    PdState state;
    bool have_state;
    RpSpinGuard spin_guard;
    PdConsole console;          /* the vga and kbd slots' one screen and keyboard */
} Portd;

/* Before every reply: what was acknowledged reaches the files, then the
 * state record (see server.h's commit). */
static void commit(void *opaque)
{
    Portd *pd = opaque;
    for (int i = 0; i < pd->cfg.n_slots; i++)
        pd_device_commit_output(pd->dev[i], pd->cfg.state_fsync);
    if (pd->have_state)
        pd_state_commit(&pd->state, &pd->srv, pd->t, pd->dev, rp_now_ns() - pd->start);
}

/* Open the state file and continue from its newest record, if any. */
static bool resume(Portd *pd)
{
    char err[400];
    if (!pd->cfg.state[0])
        return true;
    if (!pd_state_open(&pd->state, pd->cfg.state, pd->cfg.state_fsync, err, sizeof err)) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        return false;
    }
    pd->have_state = true;
    uint64_t device_ns = 0;
    int r = pd_state_resume(&pd->state, &pd->srv, pd->t, pd->n_t, pd->dev, &device_ns, err,
                            sizeof err);
    if (r < 0) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        return false;
    }
    if (r > 0) {
        /* Device time goes on from where it stopped: the timers restored
         * with the devices hold deadlines in it. */
        pd->start = rp_now_ns() - device_ns;
        pd->icount = device_ns;
        int n = 0;
        for (int i = 0; i < RS_MAX_SESSIONS; i++)
            n += pd->srv.sessions[i].active;
        fprintf(stderr, "kairo-portd: resumed from %s (record %llu, %d session(s))\n",
                pd->cfg.state, (unsigned long long)pd->state.gen, n);
    }
    return true;
}

static bool load_key(const PdConfig *c, bool insecure, uint8_t key[RP_KEY_LEN])
{
    char err[300];
    if (!c->key[0]) {
        memset(key, 0, RP_KEY_LEN);
        if (insecure)
            return true;
        fprintf(stderr, "kairo-portd: no key line in the configuration (--genkey FILE makes a "
                        "key; --insecure-no-auth serves without)\n");
        return false;
    }
    if (insecure) {
        fprintf(stderr, "kairo-portd: --insecure-no-auth and a key line: choose one\n");
        return false;
    }
    if (rp_load_key(c->key, key, err, sizeof err))
        return true;
    fprintf(stderr, "kairo-portd: %s\n", err);
    return false;
}

static bool open_listeners(Portd *pd)
{
    char err[300];
    for (int i = 0; i < pd->cfg.n_listen; i++) {
        bool ok = pd->cfg.listen[i].eth
                      ? rp_transport_open_eth(&pd->t[i], pd->cfg.listen[i].where, err, sizeof err)
                      : rp_transport_open_udp(&pd->t[i], pd->cfg.listen[i].where, NULL, NULL, err,
                                              sizeof err);
        if (!ok) {
            fprintf(stderr, "kairo-portd: %s\n", err);
            return false;
        }
        pd->n_t = i + 1;
    }
    return true;
}

static bool open_slot(Portd *pd, const PdSlotConfig *sc, int i)
{
    char err[400];
    PdDevice *d = calloc(1, sizeof *d);
    if (!d) {
        fprintf(stderr, "kairo-portd: out of memory\n");
        return false;
    }
    pd->dev[i] = d;
    d->kind = sc->backend;
    RsBackend be = pd_backend(d);
    /* The same name again is another client's own instance. */
    RsSlot *s = rs_find_slot(&pd->srv, sc->name) ? rs_add_slot_instance(&pd->srv, sc->name, &be)
                                                 : rs_add_slot(&pd->srv, sc->name, &be);
    bool ok = s != NULL;
    if (ok && sc->exclusive)
        rs_slot_set_exclusive(s);
    for (int r = 0; ok && r < sc->n_mranges; r++)
        ok = rs_slot_allow_mmio(s, sc->mranges[r].first, sc->mranges[r].last);
    for (int r = 0; ok && r < sc->n_ranges; r++)
        ok = rs_slot_allow_ports(s, sc->ranges[r].first, sc->ranges[r].last, sc->ranges[r].widths);
    for (int q = 0; ok && q < sc->n_irqs; q++)
        ok = rs_slot_add_irq(s, sc->irqs[q]);
    for (int c = 0; ok && c < pd->cfg.n_clients; c++)
        ok = rs_slot_allow_client(s, &pd->cfg.clients[c]);
    for (int c = 0; ok && c < sc->n_clients; c++)
        ok = rs_slot_allow_client(s, &sc->clients[c]);
    if (!ok) {
        fprintf(stderr, "kairo-portd: slot %s: too many entries\n", sc->name);
        return false;
    }
    if (!pd_device_open(d, sc, s, &pd->clock, NULL, err, sizeof err)) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        return false;
    }
    pd_console_add(&pd->console, d);
    return true;
}

static void serve_frames(Portd *pd, RpTransport *t)
{
    static uint8_t frame[RP_MAX_FRAME + 1];
    RpPeer from;
    size_t n;
    for (int budget = 256; budget && (n = rp_transport_recv(t, frame, sizeof frame, &from)); budget--)
        rs_handle(&pd->srv, t, frame, n, &from);
}

static void advance_devices(Portd *pd)
{
    pd->icount = rp_now_ns() - pd->start;
    clock_run_timers(&pd->clock);
}

/* After a request the next one usually follows within a round trip (a
 * driver polling a status register): look for it for up to spin_ns
 * before sleeping in poll(), whose wake-up costs more than the trip. The
 * spin tries to receive at once (one system call a turn, not a poll()
 * and then the receive). */
static bool spin_for_frames(Portd *pd, uint64_t spin_ns)
{
    static uint8_t frame[RP_MAX_FRAME + 1];
    RpPeer from;
    size_t n = 0;
    uint64_t now = rp_now_ns(), until = now + spin_ns;
    if (!rp_spin_begin(&pd->spin_guard, now))
        return false;
    int ready = -1;
    for (; ready < 0 && now < until; now = rp_now_ns()) {
        rp_spin_tick(&pd->spin_guard, now);
        for (int i = 0; i < pd->n_t && ready < 0; i++)
            if ((n = rp_transport_recv(&pd->t[i], frame, sizeof frame, &from)) > 0)
                ready = i;
    }
    rp_spin_end(&pd->spin_guard);
    if (ready < 0)
        return false;
    advance_devices(pd);
    rs_handle(&pd->srv, &pd->t[ready], frame, n, &from);
    serve_frames(pd, &pd->t[ready]);
    return true;
}

static void print_stats(const Portd *pd)
{
    rs_print_stats(&pd->srv, stderr);
    for (int i = 0; i < pd->cfg.n_slots; i++) {
        if (!pd->dev[i] || pd->dev[i]->kind != PD_IDE || !pd->cfg.slots[i].partitioned)
            continue;
        char who[64] = "?";
        if (pd->dev[i]->slot->n_clients)
            rs_client_format(&pd->dev[i]->slot->clients[0], who, sizeof who);
        fprintf(stderr, "kairo-portd: slot %s (sectors %llu-%llu, client %s): %llu accesses "
                        "outside the partition refused\n", pd->cfg.slots[i].name,
                (unsigned long long)pd->cfg.slots[i].part_first,
                (unsigned long long)(pd->cfg.slots[i].part_first + pd->cfg.slots[i].part_count - 1),
                who, (unsigned long long)pd->dev[i]->ide.dev[0].refused);
    }
    pd_console_print_stats(&pd->console, stderr);
    fprintf(stderr, "kairo-portd: busy-poll paused %llu times (no idle CPU)\n",
            (unsigned long long)pd->spin_guard.backoffs);
}

static void run(Portd *pd, bool stats, uint64_t spin_ns)
{
    struct pollfd fds[PD_MAX_LISTEN + 1];
    for (int i = 0; i < pd->n_t; i++)
        fds[i] = (struct pollfd){ .fd = pd->t[i].fd, .events = POLLIN };
    fds[pd->n_t] = (struct pollfd){ .fd = pd_console_fd(&pd->console), .events = POLLIN };
    while (!stop_signal) {
        poll(fds, (nfds_t)pd->n_t + 1, 1);
        if (fds[pd->n_t].revents & POLLIN)
            pd_console_poll(&pd->console);
        pd_console_tick(&pd->console);
        if (pd_console_service_window(&pd->console))
            break;      /* the window was closed */
        advance_devices(pd);
        bool served = false;
        for (int i = 0; i < pd->n_t; i++)
            if (fds[i].revents & POLLIN) {
                serve_frames(pd, &pd->t[i]);
                served = true;
            }
        while (served && spin_ns && !stop_signal)
            served = spin_for_frames(pd, spin_ns);
        advance_devices(pd);
        rs_tick(&pd->srv, rp_now_ns());
        if (stats_signal) {
            stats_signal = 0;
            print_stats(pd);
        }
    }
    if (stats)
        print_stats(pd);
}

int main(int argc, char **argv)
{
    const char *config = NULL, *user = NULL;
    bool stats = false, insecure = false, window = false;
    unsigned long spin_us = 50;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            config = argv[++i];
        } else if (!strcmp(argv[i], "--genkey") && i + 1 < argc) {
            return genkey(argv[i + 1]);
        } else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
            user = argv[++i];
        } else if (!strcmp(argv[i], "--spin") && i + 1 < argc) {
            char *end;
            spin_us = strtoul(argv[++i], &end, 10);
            if (*end || !argv[i][0] || spin_us > 10000) {
                fprintf(stderr, "kairo-portd: --spin wants microseconds 0-10000\n");
                return 1;
            }
        } else if (!strcmp(argv[i], "--display") && i + 1 < argc) {
            if (strcmp(argv[i + 1], "sdl") && strcmp(argv[i + 1], "none")) {
                fprintf(stderr, "kairo-portd: --display wants sdl or none\n");
                return 1;
            }
            window = !strcmp(argv[++i], "sdl");
        } else if (!strcmp(argv[i], "--insecure-no-auth")) {
            insecure = true;
        } else if (!strcmp(argv[i], "--stats")) {
            stats = true;
        } else {
            fprintf(stderr, "kairo-portd: unknown argument '%s' (try --help)\n", argv[i]);
            return 1;
        }
    }
    if (!config) {
        fprintf(stderr, "kairo-portd: no configuration (-c FILE; --help describes it)\n");
        return 1;
    }
    static Portd pd;
    pd_console_init(&pd.console);
    pd.console.srv = &pd.srv;
    char err[400];
    uint8_t key[RP_KEY_LEN];
    if (!pd_config_load(&pd.cfg, config, err, sizeof err)) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        return 1;
    }
    if (!rp_crypto_init() || !load_key(&pd.cfg, insecure, key))
        return 1;
    rs_init(&pd.srv, key);
    pd.srv.insecure = insecure;
    pd.start = rp_now_ns();
    clock_init(&pd.clock, 1000000000ull, &pd.icount);
    bool ok = open_listeners(&pd);
    for (int i = 0; ok && i < pd.cfg.n_slots; i++)
        ok = open_slot(&pd, &pd.cfg.slots[i], i);
    ok = ok && resume(&pd);
    if (ok && pd.cfg.control[0] && !pd_console_listen(&pd.console, pd.cfg.control, err, sizeof err)) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        ok = false;
    }
    pd.srv.commit = commit;
    pd.srv.commit_opaque = &pd;
    if (ok && window && !pd_console_open_window(&pd.console, err, sizeof err)) {
        fprintf(stderr, "kairo-portd: %s\n", err);
        ok = false;
    }
    char why[300], dropped[300];
    /* A window system needs more system calls than the allowlist has. */
    if (ok && window)
        fprintf(stderr, "kairo-portd: --display sdl: no seccomp allowlist while a window is open\n");
    if (ok && !pd_drop_privileges(user, !window, why, sizeof why, dropped, sizeof dropped)) {
        fprintf(stderr, "kairo-portd: %s\n", why);
        ok = false;
    }
    if (ok) {
        struct sigaction sa = { .sa_handler = on_stop };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sa.sa_handler = on_stats;
        sigaction(SIGUSR1, &sa, NULL);
        fprintf(stderr, "kairo-portd: serving %d slot(s) on %d listener(s) as %s\n",
                pd.cfg.n_slots, pd.n_t, dropped);
        run(&pd, stats, spin_us * 1000ull);
    }
    for (int i = 0; i < pd.cfg.n_slots; i++)
        if (pd.dev[i]) {
            pd_device_close(pd.dev[i]);
            free(pd.dev[i]);
        }
    pd_console_close(&pd.console);
    for (int i = 0; i < pd.n_t; i++)
        rp_transport_close(&pd.t[i]);
    if (pd.have_state)
        pd_state_close(&pd.state);
    return ok ? 0 : 1;
}
