/* -serial mon:stdio's multiplexer (iodev/charmux.c): Ctrl-A c switches
 * the keyboard between COM1 and the monitor, Ctrl-A x quits through the
 * monitor, Ctrl-A Ctrl-A is one Ctrl-A for the guest; the monitor is heard
 * only while it has the keyboard. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iodev/charmux.h"

static CharMux mux;
static int out_pipe[2];
static char lines[8][64];
static int n_lines;

static void on_line(void *opaque, const char *line)
{
    (void)opaque;
    snprintf(lines[n_lines++ % 8], sizeof lines[0], "%s", line);
}

static void setup(void)
{
    cr_assert_eq(pipe(out_pipe), 0);
    n_lines = 0;
    charmux_init(&mux, -1, out_pipe[1], false, on_line, NULL);
}

static void teardown(void)
{
    close(out_pipe[0]);
    close(out_pipe[1]);
}

static void type(const char *s)
{
    charmux_input(&mux, (const uint8_t *)s, strlen(s));
}

static size_t guest_bytes(char *buf, size_t cap)
{
    size_t n = charmux_take(&mux, (uint8_t *)buf, cap - 1);
    buf[n] = 0;
    return n;
}

TestSuite(charmux, .init = setup, .fini = teardown);

Test(charmux, keys_go_to_the_guest_until_ctrl_a_c)
{
    char buf[64];
    type("ls\n\001cinfo status\rhel\x7fp\n\001cpwd\n");
    guest_bytes(buf, sizeof buf);
    cr_assert_str_eq(buf, "ls\npwd\n");
    cr_assert_eq(n_lines, 2);
    cr_assert_str_eq(lines[0], "info status");
    cr_assert_str_eq(lines[1], "hep", "backspace edits the monitor line");
}

Test(charmux, ctrl_a_x_quits_and_ctrl_a_ctrl_a_is_one_ctrl_a)
{
    char buf[64];
    type("a\001\001b\001x");
    cr_assert_eq(guest_bytes(buf, sizeof buf), 3);
    cr_assert_str_eq(buf, "a\001b");
    cr_assert_eq(n_lines, 1);
    cr_assert_str_eq(lines[0], "quit");
}

Test(charmux, the_monitor_is_heard_only_with_the_keyboard)
{
    charmux_monitor_output(&mux, "hidden", 6);
    type("\001c");
    charmux_monitor_output(&mux, "shown", 5);
    char buf[64] = "";
    ssize_t n = read(out_pipe[0], buf, sizeof buf - 1);
    cr_assert(n > 0);
    buf[n] = 0;
    cr_assert_null(strstr(buf, "hidden"));
    cr_assert_not_null(strstr(buf, "(kairo) shown"), "%s", buf);
}
