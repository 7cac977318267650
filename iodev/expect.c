/* SPDX-License-Identifier: MIT */
/* Expect/send scripts for the serial console. */

#include "iodev/expect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/hexdigit.h"

void expect_init(ExpectScript *s, double default_timeout_s)
{
    memset(s, 0, sizeof *s);
    s->default_timeout_s = default_timeout_s;
    s->step_started = -1;
    s->fail_hit = -1;
}

void expect_free(ExpectScript *s)
{
    for (int i = 0; i < s->n_steps; i++) {
        if (s->steps[i].kind == EXPECT_REGEX)
            regfree(&s->steps[i].re);
        free(s->steps[i].text);
    }
    for (int i = 0; i < s->n_fail; i++)
        free(s->fail_text[i]);
    s->n_steps = s->n_fail = 0;
}

/* Decode C escapes into out (at least strlen(in)+1 bytes); returns the
 * length or -1 on a malformed escape. */
static long unescape(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }
        switch (*++p) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'e': out[n++] = 0x1B; break;
        case '\\': out[n++] = '\\'; break;
        case 'x': {
            int hi = hex_digit_value(p[1]), lo = hi >= 0 ? hex_digit_value(p[2]) : -1;
            if (lo < 0)
                return -1;
            out[n++] = (char)(hi << 4 | lo);
            p += 2;
            break;
        }
        default:
            return -1;
        }
    }
    out[n] = 0;
    return (long)n;
}

static const char *kind_name(ExpectKind kind)
{
    static const char *const names[] = { "expect", "send", "expect-re", "expect-screen",
                                         "expect-fail" };
    return names[kind];
}

/* --expect-fail: a pattern that must never appear. */
static bool add_fail(ExpectScript *s, char *text, size_t len, char *err, size_t errlen)
{
    if (s->n_fail == EXPECT_MAX_FAIL) {
        snprintf(err, errlen, "more than %d expect-fail patterns", EXPECT_MAX_FAIL);
        free(text);
        return false;
    }
    s->fail_text[s->n_fail] = text;
    s->fail_len[s->n_fail++] = len;
    return true;
}

bool expect_add(ExpectScript *s, ExpectKind kind, const char *text, char *err, size_t errlen)
{
    if (s->n_steps == EXPECT_MAX_STEPS && kind != EXPECT_FAIL) {
        snprintf(err, errlen, "more than %d expect/send steps", EXPECT_MAX_STEPS);
        return false;
    }
    char *buf = malloc(strlen(text) + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    long len = kind == EXPECT_REGEX ? (long)strlen(strcpy(buf, text)) : unescape(text, buf);
    if (len < 0 || (kind != EXPECT_SEND && (len == 0 || len >= EXPECT_WINDOW))) {
        snprintf(err, errlen, "bad %s text '%s'", kind_name(kind), text);
        free(buf);
        return false;
    }
    if (kind == EXPECT_FAIL)
        return add_fail(s, buf, (size_t)len, err, errlen);
    ExpectStep *st = &s->steps[s->n_steps];
    if (kind == EXPECT_REGEX && regcomp(&st->re, buf, REG_EXTENDED) != 0) {
        snprintf(err, errlen, "bad regular expression '%s'", text);
        free(buf);
        return false;
    }
    s->n_steps++;
    st->kind = kind;
    st->text = buf;
    st->len = (size_t)len;
    st->timeout_s = s->default_timeout_s;
    return true;
}

/* A script file's command word to a kind; -1 if it is none. */
static int kind_of_word(const char *w)
{
    for (int k = EXPECT_WAIT; k <= EXPECT_FAIL; k++)
        if (!strcmp(w, kind_name((ExpectKind)k)))
            return k;
    return -1;
}

bool expect_load(ExpectScript *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char line[1024];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        char *arg = p + strcspn(p, " \t");
        if (*arg)
            *arg++ = 0;
        char msg[200];
        int kind = kind_of_word(p);
        if (kind >= 0) {
            ok = expect_add(s, (ExpectKind)kind, arg, msg, sizeof msg);
            if (!ok)
                snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
        } else if (!strcmp(p, "timeout")) {
            char *end;
            double t = strtod(arg, &end);
            ok = end != arg && !*end && t > 0;
            if (ok)
                s->default_timeout_s = t;
            else
                snprintf(err, errlen, "%s:%d: bad timeout '%s'", path, lineno, arg);
        } else {
            snprintf(err, errlen, "%s:%d: unknown command '%s' (expect, expect-re, expect-screen, "
                     "expect-fail, send, timeout)", path,
                     lineno, p);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

static void next_step(ExpectScript *s)
{
    s->cur++;
    s->send_pos = 0;
    s->step_started = -1;
}

/* Where the current step matches in the window: the offset just past the
 * match, or -1. */
static long step_match_end(ExpectScript *s, const ExpectStep *st)
{
    if (st->kind == EXPECT_WAIT) {
        char *hit = memmem(s->window, s->window_len, st->text, st->len);
        return hit ? (long)(hit - s->window + (long)st->len) : -1;
    }
    regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)s->window_len };
    if (regexec(&st->re, s->window, 1, &m, REG_STARTEND) != 0)
        return -1;
    return (long)m.rm_eo;
}

/* Try the current expect against the window; on a match, keep only what
 * follows it (the next expect must match newer output). */
static void try_match(ExpectScript *s)
{
    while (s->cur < s->n_steps &&
           (s->steps[s->cur].kind == EXPECT_WAIT || s->steps[s->cur].kind == EXPECT_REGEX)) {
        long end = step_match_end(s, &s->steps[s->cur]);
        if (end < 0)
            return;
        size_t keep = s->window_len - (size_t)end;
        memmove(s->window, s->window + end, keep);
        s->window_len = keep;
        next_step(s);
    }
}

/* The fail patterns over the output seen so far (the tail that could hold
 * the start of one is kept). */
static void check_fail_patterns(ExpectScript *s, const uint8_t *buf, size_t len)
{
    while (len && s->fail_hit < 0) {
        size_t room = EXPECT_WINDOW - s->fail_window_len;
        if (!room) {
            size_t drop = EXPECT_WINDOW / 2;
            memmove(s->fail_window, s->fail_window + drop, EXPECT_WINDOW - drop);
            s->fail_window_len -= drop;
            room = drop;
        }
        size_t n = len < room ? len : room;
        memcpy(s->fail_window + s->fail_window_len, buf, n);
        s->fail_window_len += n;
        buf += n;
        len -= n;
        for (int i = 0; i < s->n_fail && s->fail_hit < 0; i++)
            if (memmem(s->fail_window, s->fail_window_len, s->fail_text[i], s->fail_len[i]))
                s->fail_hit = i;
    }
}

void expect_feed(ExpectScript *s, const uint8_t *buf, size_t len)
{
    if (s->n_fail && !s->failed)
        check_fail_patterns(s, buf, len);
    if (s->failed || s->cur >= s->n_steps)
        return;
    while (len) {
        size_t room = EXPECT_WINDOW - s->window_len;
        if (!room) {
            size_t drop = EXPECT_WINDOW / 2;
            memmove(s->window, s->window + drop, EXPECT_WINDOW - drop);
            s->window_len -= drop;
            room = drop;
        }
        size_t n = len < room ? len : room;
        memcpy(s->window + s->window_len, buf, n);
        s->window_len += n;
        buf += n;
        len -= n;
        try_match(s);
    }
}

bool expect_wants_screen(const ExpectScript *s)
{
    return !s->failed && s->cur < s->n_steps && s->steps[s->cur].kind == EXPECT_SCREEN;
}

void expect_screen(ExpectScript *s, const char *text, size_t len)
{
    if (!expect_wants_screen(s))
        return;
    const ExpectStep *st = &s->steps[s->cur];
    if (!memmem(text, len, st->text, st->len))
        return;
    next_step(s);
    try_match(s);   /* the serial output may already hold the next expect */
}

size_t expect_take(ExpectScript *s, uint8_t *buf, size_t max)
{
    size_t n = 0;
    while (!s->failed && s->cur < s->n_steps && s->steps[s->cur].kind == EXPECT_SEND && n < max) {
        const ExpectStep *st = &s->steps[s->cur];
        size_t k = st->len - s->send_pos;
        if (k > max - n)
            k = max - n;
        memcpy(buf + n, st->text + s->send_pos, k);
        n += k;
        s->send_pos += k;
        if (s->send_pos == st->len) {
            next_step(s);
            try_match(s);   /* output may already hold the next expect */
        }
    }
    return n;
}

bool expect_active(const ExpectScript *s)
{
    return !s->failed && s->fail_hit < 0 && s->cur < s->n_steps;
}

bool expect_check(ExpectScript *s, double now)
{
    if (s->failed)
        return false;
    if (s->fail_hit >= 0) {
        s->failed = true;
        if (s->cur < s->n_steps)
            fprintf(stderr, "kairo: expect-fail pattern '%s' seen (at step %d of %d)\n",
                    s->fail_text[s->fail_hit], s->cur + 1, s->n_steps);
        else
            fprintf(stderr, "kairo: expect-fail pattern '%s' seen after the last step\n",
                    s->fail_text[s->fail_hit]);
        return false;
    }
    if (s->cur >= s->n_steps || s->steps[s->cur].kind == EXPECT_SEND)
        return true;
    if (s->step_started < 0) {
        s->step_started = now;
        return true;
    }
    const ExpectStep *st = &s->steps[s->cur];
    if (now - s->step_started < st->timeout_s)
        return true;
    s->failed = true;
    fprintf(stderr, "kairo: expect step %d: '%s' not seen within %.0f s\n", s->cur + 1,
            st->text, st->timeout_s);
    return false;
}
