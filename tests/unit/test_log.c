/* SPDX-License-Identifier: MIT */
/* The one -d logger (debug/log.h): once per message by default, every time
 * when -d names the item, to the -D stream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/log.h"

static char *text;
static size_t len;
static FILE *out;

static void setup(void)
{
    out = open_memstream(&text, &len);
}

static void teardown(void)
{
    log_configure(0, NULL);
    fclose(out);
    free(text);
}

static int count(const char *needle)
{
    fflush(out);
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, without_the_item_each_message_once)
{
    log_configure(0, out);
    for (int i = 0; i < 3; i++)
        log_event(LOG_UNIMP, "dev", "a thing", 7, NULL);
    log_event(LOG_UNIMP, "dev", "a thing", 8, NULL);
    cr_assert_eq(count("kairo: dev: a thing 0x7 (logged once)\n"), 1);
    cr_assert_eq(count("a thing 0x8"), 1, "another detail is another message");
}

Test(log, with_the_item_every_time)
{
    log_configure(LOG_GUEST_ERROR, out);
    for (int i = 0; i < 3; i++) {
        log_event(LOG_GUEST_ERROR, "dev", "a guest error", 1, "0008:00001000");
        log_note(LOG_UNIMP, "dev", "a missing feature");
    }
    cr_assert_eq(count("kairo: dev: a guest error 0x1 at 0008:00001000\n"), 3);
    cr_assert_eq(count("kairo: dev: a missing feature (logged once)\n"), 1,
                 "unimp is not on: once");
    cr_assert(log_enabled(LOG_GUEST_ERROR) && !log_enabled(LOG_UNIMP));
}
