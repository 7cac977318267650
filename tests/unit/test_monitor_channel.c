/* SPDX-License-Identifier: MIT */
/* The monitor's in-memory channel (the window's console uses it): lines
 * pushed in run at the next service, never inside the push; answers and
 * prompts come out through the callback; while the guest is stopped the
 * command loop calls its idle hook (the window refreshing), which can feed
 * it lines or end the wait; the console's typed lines reach the monitor. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/monitor.h"
#include "gui/console.h"
#include "machine/machine.h"
#include "tests/unit/cpu_harness.h"

static Machine *mach;
static char *got;               /* everything the channel sent */
static size_t got_len;
static volatile sig_atomic_t no_signal;

static void collect(void *opaque, const char *text, size_t len)
{
    cr_assert_eq(opaque, &got, "the callback gets its opaque");
    got = realloc(got, got_len + len + 1);
    memcpy(got + got_len, text, len);
    got_len += len;
    got[got_len] = 0;
}

/* What arrived since the last call. */
static char *take(void)
{
    char *s = strdup(got ? got : "");
    got_len = 0;
    if (got)
        got[0] = 0;
    return s;
}

static void setup(void)
{
    mach = calloc(1, sizeof *mach);
    mach->cpu = h_cpu_new(16, true);
    mach->mem = mach->cpu->mem;
}

static void teardown(void)
{
    h_cpu_free(mach->cpu);
    free(mach);
    free(got);
    got = NULL;
    got_len = 0;
}

TestSuite(monitor_channel, .init = setup, .fini = teardown);

static bool ends_with_prompt(const char *s)
{
    size_t n = strlen(s);
    return n >= 8 && !strcmp(s + n - 8, "(kairo) ");
}

Test(monitor_channel, greets_and_answers_at_the_next_service)
{
    Monitor *mon = monitor_new_channel(mach, false, collect, &got);
    cr_assert_not_null(mon);
    char *s = take();
    cr_assert(strstr(s, "Kairo monitor - type 'help'"), "greeting: %s", s);
    cr_assert(strstr(s, "the guest is running"), "%s", s);
    cr_assert(ends_with_prompt(s), "%s", s);
    free(s);

    monitor_channel_input(mon, "regs");
    monitor_channel_input(mon, "x /2xb 0");
    cr_assert_eq(got_len, 0, "nothing runs inside the push");
    cr_assert_eq(monitor_service(mon, &no_signal), MON_GO);
    s = take();
    char *regs = strstr(s, "eax  0x"), *x = strstr(s, "00000000:");
    cr_assert(regs && x && regs < x, "both lines, in order: %s", s);
    cr_assert(ends_with_prompt(s), "%s", s);
    free(s);

    monitor_channel_input(mon, "frobnicate");
    monitor_service(mon, &no_signal);
    s = take();
    cr_assert(!strncmp(s, "error: unknown command 'frobnicate'", 35), "%s", s);
    free(s);

    monitor_report_exit(mon, 3);
    s = take();
    cr_assert(strstr(s, "the run ended (exit status 3)"), "%s", s);
    free(s);
    monitor_free(mon);
}

Test(monitor_channel, overlong_and_typed_ahead_lines)
{
    Monitor *mon = monitor_new_channel(mach, false, collect, &got);
    free(take());
    char line[700];
    memset(line, 'a', sizeof line - 1);
    line[sizeof line - 1] = 0;
    monitor_channel_input(mon, line);
    char *s = take();
    cr_assert(!strncmp(s, "error: line too long", 20), "%s", s);
    cr_assert(ends_with_prompt(s), "%s", s);
    free(s);

    /* A full queue drops the line with one error, the rest still run. */
    line[400] = 0;
    int pushed = 0;
    for (; pushed < 64 && !got_len; pushed++)
        monitor_channel_input(mon, line);
    s = take();
    cr_assert(strstr(s, "error: too much typed ahead"), "%s", s);
    cr_assert_gt(pushed, 5);
    free(s);
    monitor_free(mon);
}

/* The idle hook while stopped: it feeds `regs`, then `c`. */
static Monitor *hook_mon;
static int hook_calls;
static bool hook_feed(void *opaque)
{
    cr_assert_eq(opaque, &hook_calls);
    hook_calls++;
    if (hook_calls == 2)
        monitor_channel_input(hook_mon, "regs");
    if (hook_calls == 4)
        monitor_channel_input(hook_mon, "c");
    return false;
}

static bool hook_close(void *opaque)
{
    (void)opaque;
    hook_calls++;
    return hook_calls == 3;   /* the window was closed */
}

Test(monitor_channel, stopped_loop_calls_the_idle_hook)
{
    Monitor *mon = monitor_new_channel(mach, true, collect, &got);
    hook_mon = mon;
    char *s = take();
    cr_assert(strstr(s, "the guest is stopped"), "%s", s);
    free(s);
    cr_assert(monitor_stopped(mon));

    hook_calls = 0;
    monitor_set_idle_hook(mon, hook_feed, &hook_calls);
    cr_assert_eq(monitor_service(mon, &no_signal), MON_GO);
    cr_assert_not(monitor_stopped(mon), "`c` from the hook resumed the guest");
    cr_assert_geq(hook_calls, 4);
    s = take();
    cr_assert(strstr(s, "eax  0x"), "regs answered while stopped: %s", s);
    free(s);

    /* `stop` through the channel, then the hook ends the wait: the
     * service returns with the guest still stopped. */
    monitor_channel_input(mon, "stop");
    hook_calls = 0;
    monitor_set_idle_hook(mon, hook_close, NULL);
    cr_assert_eq(monitor_service(mon, &no_signal), MON_GO);
    cr_assert_eq(hook_calls, 3);
    cr_assert(monitor_stopped(mon));
    s = take();
    cr_assert(strstr(s, "stopped\n"), "%s", s);
    free(s);

    /* A host signal still ends the wait; `quit` ends the run. */
    no_signal = SIGTERM;
    monitor_set_idle_hook(mon, NULL, NULL);
    cr_assert_eq(monitor_service(mon, &no_signal), MON_HOST_SIGNAL);
    no_signal = 0;
    monitor_channel_input(mon, "quit");
    cr_assert_eq(monitor_service(mon, &no_signal), MON_QUIT);
    monitor_free(mon);
}

/* The window's console as the channel's client: typed characters and
 * Enter become a monitor line; the answer comes back as console text. */
static void to_console(void *opaque, const char *text, size_t len)
{
    console_write(opaque, text, len);
    collect(&got, text, len);
}

static void to_monitor(void *opaque, const char *line)
{
    monitor_channel_input(opaque, line);
}

Test(monitor_channel, console_lines_reach_the_monitor)
{
    Console *con = console_new(NULL);
    cr_assert_not_null(con);
    Monitor *mon = monitor_new_channel(mach, false, to_console, con);
    console_set_line_handler(con, to_monitor, mon);
    free(take());
    for (const char *p = "regz"; *p; p++)
        console_type(con, *p);
    console_key(con, CONSOLE_KEY_BACKSPACE);
    console_type(con, 's');
    console_key(con, CONSOLE_KEY_ENTER);
    monitor_service(mon, &no_signal);
    char *s = take();
    cr_assert(strstr(s, "eax  0x"), "the edited line ran as `regs`: %s", s);
    free(s);
    /* Up recalls it. */
    console_key(con, CONSOLE_KEY_UP);
    console_key(con, CONSOLE_KEY_ENTER);
    monitor_service(mon, &no_signal);
    s = take();
    cr_assert(strstr(s, "eax  0x"), "history: %s", s);
    free(s);
    const VgaFrame *f = console_render(con, false);
    cr_assert_eq(f->width, 640);
    cr_assert_eq(f->height, 480);
    monitor_free(mon);
    console_free(con);
}
