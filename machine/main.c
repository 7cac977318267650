/* SPDX-License-Identifier: MIT */
/* kairo: the emulator's entry point. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "machine/daemon.h"
#include "machine/machine.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* The machine built: the pid file, then the parent of -daemonize goes. */
static bool started(const Options *opt)
{
    if (opt->pidfile && !pidfile_create(opt->pidfile))
        return false;
    if (opt->daemonize)
        daemon_ready();
    return true;
}

int main(int argc, char **argv)
{
    Options opt;
    int r = options_parse(&opt, argc, argv);
    if (r != 0)
        return r > 0 ? 0 : EXIT_ERROR;
    if (opt.daemonize && !daemon_start())
        return EXIT_ERROR;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);   /* --timeout (machine_run arms it) */
    /* A hang-up or quit also ends the run through machine_destroy, so a
     * terminal in raw mode gets its settings back. */
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    chardev_set_escape_char(opt.escape_char);
    /* A serial client that hangs up must not kill the emulator: the write
     * fails (EPIPE) and the backend waits for the next client. */
    signal(SIGPIPE, SIG_IGN);

    Machine m;
    if (!machine_init(&m, &opt)) {
        machine_destroy(&m);   /* whatever was set up: files closed, memory freed */
        return EXIT_ERROR;
    }
    if (opt.list_slots) {
        machine_list_slots(&m, stdout);
        machine_destroy(&m);
        return 0;
    }
    if (!started(&opt)) {
        machine_destroy(&m);
        return EXIT_ERROR;
    }
    int status = machine_run(&m, &stop_signal);
    machine_destroy(&m);
    pidfile_remove();
    return status;
}
