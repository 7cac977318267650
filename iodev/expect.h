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
#include <stdint.h>

#define EXPECT_MAX_STEPS 64
#define EXPECT_WINDOW 4096

typedef enum { EXPECT_WAIT, EXPECT_SEND } ExpectKind;

typedef struct ExpectStep {
    ExpectKind kind;
    char *text;          /* escapes decoded */
    size_t len;
    double timeout_s;    /* EXPECT_WAIT only */
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
/* Bytes to type into the guest now (never more than max). */
size_t expect_take(ExpectScript *s, uint8_t *buf, size_t max);
/* True while steps remain (the input side must keep being polled). */
bool expect_active(const ExpectScript *s);
/* Check the time limit of the current step: false once it has failed (the
 * message is printed once). now is host seconds. */
bool expect_check(ExpectScript *s, double now);

#endif
