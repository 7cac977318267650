/* SPDX-License-Identifier: MIT */
/* QEMU's Ctrl-A escapes on a multiplexed console (iodev/chardev_tty.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/chardev.h"

static char got_line[256];
static int lines;

static void monitor_line(void *opaque, const char *line)
{
    (void)opaque;
    snprintf(got_line, sizeof got_line, "%s", line);
    lines++;
}

static size_t filter(CharDev *c, const char *in, char *out)
{
    size_t n = chardev_mux_filter(c, (const uint8_t *)in, strlen(in), (uint8_t *)out, 64);
    out[n] = 0;
    return n;
}

Test(chardev_mux, plain_bytes_and_ctrl_c_pass_to_the_guest)
{
    CharDev c = { .mux = true };
    char out[65];
    chardev_set_escape_char(0x01);
    cr_assert_eq(filter(&c, "ls\x03\r", out), 4);
    cr_assert_str_eq(out, "ls\x03\r");
}

Test(chardev_mux, ctrl_a_x_quits_and_ctrl_a_ctrl_a_types_one)
{
    CharDev c = { .mux = true };
    char out[65];
    chardev_set_escape_char(0x01);
    cr_assert_eq(filter(&c, "a\x01\x01" "b", out), 3);
    cr_assert_str_eq(out, "a\x01" "b");
    cr_assert_not(c.quit_requested);
    filter(&c, "\x01", out);
    cr_assert(c.escape_pending, "an escape split over two reads");
    filter(&c, "x", out);
    cr_assert(c.quit_requested);
}

Test(chardev_mux, ctrl_a_c_sends_lines_to_the_monitor_and_back)
{
    CharDev c = { .mux = true, .monitor_line = monitor_line };
    char out[65];
    chardev_set_escape_char(0x01);
    lines = 0;
    cr_assert_eq(filter(&c, "\x01" "cinfo pix\x7f" "c\r", out), 0, "nothing for the guest");
    cr_assert_eq(lines, 1);
    cr_assert_str_eq(got_line, "info pic", "backspace edits the line");
    cr_assert_eq(filter(&c, "\x01" "cok", out), 2);
    cr_assert_str_eq(out, "ok");
}

Test(chardev_mux, echr_changes_the_escape_key)
{
    CharDev c = { .mux = true };
    char out[65];
    chardev_set_escape_char(0x14);   /* -echr 20: Ctrl-T */
    cr_assert_eq(filter(&c, "\x01x", out), 2, "Ctrl-A is an ordinary byte now");
    cr_assert_not(c.quit_requested);
    filter(&c, "\x14x", out);
    cr_assert(c.quit_requested);
    chardev_set_escape_char(0x01);
}
