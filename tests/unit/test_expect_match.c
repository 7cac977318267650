/* SPDX-License-Identifier: MIT */
/* The harness's newer steps: regular expressions, fail patterns, the VGA
 * text screen as a source, script-file words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iodev/expect.h"

static void feed(ExpectScript *s, const char *text)
{
    expect_feed(s, (const uint8_t *)text, strlen(text));
}

Test(expect_match, regex_step_matches_and_consumes_up_to_its_end)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_REGEX, "kairo-[0-9]+-i[3-6]86", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_WAIT, "# ", err, sizeof err));
    feed(&s, "noise kairo-x-i686 ");
    cr_assert_eq(s.cur, 0, "a near miss does not match");
    feed(&s, "kairo-42-i6");
    cr_assert_eq(s.cur, 0);
    feed(&s, "86\n");
    cr_assert_eq(s.cur, 1, "the regex matched once its text was complete");
    feed(&s, "/ # ");
    cr_assert_not(expect_active(&s));
    cr_assert(expect_check(&s, 0));
    expect_free(&s);
}

Test(expect_match, bad_regex_is_refused_with_a_message)
{
    ExpectScript s;
    char err[200] = "";
    expect_init(&s, 10);
    cr_assert_not(expect_add(&s, EXPECT_REGEX, "a(b", err, sizeof err));
    cr_assert(strstr(err, "regular expression"), "%s", err);
    expect_free(&s);
}

Test(expect_match, fail_pattern_split_over_writes_fails_the_run)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_FAIL, "Kernel panic", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_WAIT, "login:", err, sizeof err));
    feed(&s, "booting... Kernel pa");
    cr_assert(expect_check(&s, 1.0));
    feed(&s, "nic - not syncing");
    cr_assert_not(expect_active(&s));
    cr_assert_not(expect_check(&s, 1.1), "a fail pattern ends the run");
    cr_assert_not(expect_check(&s, 1.2), "and keeps it failed");
    expect_free(&s);
}

Test(expect_match, fail_pattern_after_the_last_step_still_fails)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_WAIT, "ok", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_FAIL, "BUG", err, sizeof err));
    feed(&s, "ok\n");
    cr_assert(expect_check(&s, 0));
    feed(&s, "BUG: x\n");
    cr_assert_not(expect_check(&s, 0));
    expect_free(&s);
}

Test(expect_match, screen_step_waits_for_the_screen_not_the_serial_line)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_SCREEN, "A:\\\\>", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_SEND, "dir\\r", err, sizeof err));
    cr_assert(expect_wants_screen(&s));
    feed(&s, "A:\\>");
    cr_assert_eq(s.cur, 0, "serial output does not satisfy a screen step");
    const char *screen = "FreeDOS\nA:\\>_\n";
    expect_screen(&s, "FreeDOS\n", 8);
    cr_assert_eq(s.cur, 0);
    expect_screen(&s, screen, strlen(screen));
    cr_assert_eq(s.cur, 1);
    cr_assert_not(expect_wants_screen(&s));
    expect_free(&s);
}

Test(expect_match, script_file_takes_the_new_words)
{
    char path[] = "/tmp/kairo_expect_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "expect-fail panic\nexpect-re ^ready [0-9]+$\nexpect-screen C:\\\\>\n"
                       "send x\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ExpectScript s;
    char err[200] = "";
    expect_init(&s, 5);
    cr_assert(expect_load(&s, path, err, sizeof err), "%s", err);
    unlink(path);
    cr_assert_eq(s.n_steps, 3);
    cr_assert_eq(s.n_fail, 1);
    cr_assert_eq(s.steps[0].kind, EXPECT_REGEX);
    cr_assert_eq(s.steps[1].kind, EXPECT_SCREEN);
    cr_assert_str_eq(s.steps[1].text, "C:\\>");
    expect_free(&s);
}
