/* SPDX-License-Identifier: MIT */
/* Expect/send scripts for the serial console (the headless test harness).
 *
 * A script is a list of steps: "expect TEXT" waits until TEXT appears in the
 * guest's output, "send TEXT" types TEXT into the guest's input. Steps run
 * in order; each expect has a host-time limit, and a missed one fails the
 * run (kairo exits with status 4 and says which step). Text takes C escapes
 * (\n \r \t \\ \xHH). Attached to a CharDev: its output feeds the matcher,
 * its input returns the pending send bytes first. */
#ifndef KAIRO_EXPECT_H
#define KAIRO_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <regex.h>
#include <stdint.h>

#define EXPECT_MAX_STEPS 64
#define EXPECT_WINDOW 4096
#define EXPECT_MAX_FAIL 8

typedef enum {
    EXPECT_WAIT,     /* TEXT in the output */
    EXPECT_SEND,     /* type TEXT */
    EXPECT_REGEX,    /* a POSIX extended regular expression in the output */
    EXPECT_SCREEN,   /* TEXT on the VGA text screen (expect_screen) */
    EXPECT_FAIL,     /* not a step: TEXT anywhere in the output fails the run */
} ExpectKind;

typedef struct ExpectStep {
    ExpectKind kind;
    char *text;          /* escapes decoded (a regex is kept as written) */
    size_t len;
    double timeout_s;    /* the waiting kinds */
    regex_t re;          /* EXPECT_REGEX */
} ExpectStep;

typedef struct ExpectScript {
    ExpectStep steps[EXPECT_MAX_STEPS];
    int n_steps;
    int cur;
    double default_timeout_s;
    /* The output seen since the last match (its tail, EXPECT_WINDOW bytes). */
    char window[EXPECT_WINDOW];
    size_t window_len;
    /* The send step being typed. */
    size_t send_pos;
    double step_started;  /* host seconds; < 0 until the run starts */
    bool failed;
    /* --expect-fail patterns, searched in all output; the tail of what was
     * seen (a pattern split over two writes still matches). */
    char *fail_text[EXPECT_MAX_FAIL];
    size_t fail_len[EXPECT_MAX_FAIL];
    int n_fail;
    int fail_hit;         /* the pattern seen, -1 none */
    char fail_window[EXPECT_WINDOW];
    size_t fail_window_len;
} ExpectScript;

void expect_init(ExpectScript *s, double default_timeout_s);
void expect_free(ExpectScript *s);
/* Add a step; text takes escapes. False with a message when the script is
 * full or an escape is malformed. */
bool expect_add(ExpectScript *s, ExpectKind kind, const char *text, char *err, size_t errlen);
/* Read a script file: lines "expect TEXT", "send TEXT", "timeout SECONDS"
 * (for the following expects), blank lines and "# comments". */
bool expect_load(ExpectScript *s, const char *path, char *err, size_t errlen);

/* The guest wrote these bytes. */
void expect_feed(ExpectScript *s, const uint8_t *buf, size_t len);
/* The current step wants the VGA text screen (EXPECT_SCREEN). */
bool expect_wants_screen(const ExpectScript *s);
/* The VGA text screen's text now (rows joined by newlines). */
void expect_screen(ExpectScript *s, const char *text, size_t len);
/* Bytes to type into the guest now (never more than max). */
size_t expect_take(ExpectScript *s, uint8_t *buf, size_t max);
/* True while steps remain (the input side must keep being polled). */
bool expect_active(const ExpectScript *s);
/* Check the time limit of the current step: false once it has failed (the
 * message is printed once). now is host seconds. */
bool expect_check(ExpectScript *s, double now);

#endif
