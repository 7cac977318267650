/* SPDX-License-Identifier: MIT */
/* What the data directory and our own files say about each opcode file:
 * metadata.json (status, undefined-flag mask), revocation_list.txt,
 * p6-differences.txt and the baseline files. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/singlestep/sst.h"

#define MAX_OPS 1024
#define MAX_RULES 32
#define MAX_REVOKED 4096

static OpMeta ops[MAX_OPS];
static int n_ops;

typedef struct Rule {
    char name[32];
    char *reason;
} Rule;
static Rule rules[MAX_RULES];
static int n_rules;

static char (*revoked)[41];
static int n_revoked;

static OpMeta *op_get(const char *key, bool create)
{
    for (int i = 0; i < n_ops; i++)
        if (!strcmp(ops[i].key, key))
            return &ops[i];
    if (!create || n_ops == MAX_OPS)
        return NULL;
    OpMeta *o = &ops[n_ops++];
    memset(o, 0, sizeof *o);
    snprintf(o->key, sizeof o->key, "%s", key);
    return o;
}

const OpMeta *meta_find(const char *key)
{
    const OpMeta *o = op_get(key, false);
    if (o && (o->has_mask || o->status[0] || o->difference))
        return o;
    /* 8F, C6 and C7 are one file each but group entries ("8F.0") in metadata. */
    char alt[20];
    snprintf(alt, sizeof alt, "%s.0", key);
    const OpMeta *a = op_get(alt, false);
    return a ? a : o;
}

/* --- metadata.json: a small JSON reader that tracks the key path --- */

#define JSON_DEPTH 16

typedef struct Json {
    const char *p, *end;
    char path[JSON_DEPTH][24];  /* keys of the enclosing containers; path[0] = root */
    int depth;
    const char *err;
} Json;

static bool json_fail(Json *j, const char *why)
{
    if (!j->err)
        j->err = why;
    return false;
}

static void json_ws(Json *j)
{
    while (j->p < j->end && isspace((unsigned char)*j->p))
        j->p++;
}

static bool json_string(Json *j, char *out, size_t cap)
{
    if (j->p >= j->end || *j->p != '"')
        return json_fail(j, "string expected");
    j->p++;
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char ch = *j->p++;
        if (ch == '\\') {
            if (j->p >= j->end)
                break;
            ch = *j->p++;
            if (ch == 'u') {    /* \uXXXX: none in the keys we use */
                j->p = j->end - j->p < 4 ? j->end : j->p + 4;
                ch = '?';
            }
        }
        if (n + 1 < cap)
            out[n++] = ch;
    }
    if (j->p >= j->end)
        return json_fail(j, "unterminated string");
    j->p++;
    out[n] = 0;
    return true;
}

/* A scalar member: keep the two fields we use, for "opcodes.OP.*" and
 * "opcodes.OP.reg.R.*". */
static void json_member(Json *j, const char *key, const char *text, bool is_string)
{
    char op[48];
    if (j->depth == 3 && !strcmp(j->path[1], "opcodes"))
        snprintf(op, sizeof op, "%s", j->path[2]);
    else if (j->depth == 5 && !strcmp(j->path[1], "opcodes") && !strcmp(j->path[3], "reg"))
        snprintf(op, sizeof op, "%s.%s", j->path[2], j->path[4]);
    else
        return;
    if (strlen(op) >= sizeof ops[0].key)
        return;
    if (is_string && !strcmp(key, "status"))
        snprintf(op_get(op, true)->status, sizeof ops[0].status, "%s", text);
    else if (!is_string && !strcmp(key, "flags-mask")) {
        OpMeta *o = op_get(op, true);
        if (o) {
            o->has_mask = true;
            o->flags_mask = (uint16_t)strtoul(text, NULL, 10);
        }
    }
}

static bool json_value(Json *j, const char *key);

static bool json_container(Json *j, const char *key, bool object)
{
    if (j->depth == JSON_DEPTH)
        return json_fail(j, "nested too deeply");
    snprintf(j->path[j->depth++], sizeof j->path[0], "%s", key);
    j->p++;
    json_ws(j);
    char close = object ? '}' : ']';
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return true;
    }
    for (;;) {
        char member[64] = "";
        json_ws(j);
        if (object) {
            if (!json_string(j, member, sizeof member))
                return false;
            json_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return json_fail(j, "':' expected");
            j->p++;
        }
        if (!json_value(j, member))
            return false;
        json_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        return json_fail(j, object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static bool json_value(Json *j, const char *key)
{
    json_ws(j);
    if (j->p >= j->end)
        return json_fail(j, "value expected");
    if (*j->p == '{' || *j->p == '[')
        return json_container(j, key, *j->p == '{');
    if (*j->p == '"') {
        char text[128];
        if (!json_string(j, text, sizeof text))
            return false;
        json_member(j, key, text, true);
        return true;
    }
    /* number, true, false, null */
    const char *start = j->p;
    while (j->p < j->end && (isalnum((unsigned char)*j->p) || strchr("+-.", *j->p)))
        j->p++;
    if (j->p == start)
        return json_fail(j, "value expected");
    char text[48];
    snprintf(text, sizeof text, "%.*s", (int)(j->p - start), start);
    json_member(j, key, text, false);
    return true;
}

bool meta_load_json(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return true;    /* no metadata: every flag is compared */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                snprintf(err, errlen, "%s: out of memory", path);
                return false;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        if (!r)
            break;
        len += r;
    }
    fclose(fp);
    Json j = { .p = buf, .end = buf + len };
    bool ok = json_value(&j, "");
    if (ok) {
        json_ws(&j);
        if (j.p != j.end)
            ok = json_fail(&j, "text after the top-level value");
    }
    if (!ok)
        snprintf(err, errlen, "%s: offset %ld: %s", path, (long)(j.p - buf), j.err);
    free(buf);
    return ok;
}

/* --- revocation list --- */

bool meta_load_revoked(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return true;
    char line[256];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char hash[64];
        if (line[0] == '#' || sscanf(line, "%63s", hash) != 1)
            continue;
        for (char *c = hash; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (strlen(hash) != 40 || strspn(hash, "0123456789abcdef") != 40) {
            snprintf(err, errlen, "%s:%u: not a SHA-1: %s", path, lineno, hash);
            fclose(fp);
            return false;
        }
        if (!revoked)
            revoked = malloc(MAX_REVOKED * sizeof *revoked);
        if (revoked && n_revoked < MAX_REVOKED)
            memcpy(revoked[n_revoked++], hash, 41);
    }
    fclose(fp);
    return true;
}

bool meta_is_revoked(const char *hash_hex)
{
    for (int i = 0; i < n_revoked; i++)
        if (!strcmp(revoked[i], hash_hex))
            return true;
    return false;
}

/* --- p6-differences.txt --- */

static bool known_rule(const char *name)
{
    for (unsigned i = 0; sst_rule_name(i); i++)
        if (!strcmp(sst_rule_name(i), name))
            return true;
    return false;
}

bool meta_load_differences(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read %s", path);
        return false;
    }
    char line[512];
    unsigned lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char word[32], name[32];
        int off = 0;
        if (line[0] == '#' || sscanf(line, "%31s %n", word, &off) != 1)
            continue;
        if (!strcmp(word, "rule")) {
            int off2 = 0;
            if (sscanf(line + off, "%31s %n", name, &off2) != 1 || !line[off + off2]) {
                snprintf(err, errlen, "%s:%u: want: rule NAME reason", path, lineno);
                ok = false;
            } else if (!known_rule(name)) {
                snprintf(err, errlen, "%s:%u: no rule named %s in sst_exec.c", path, lineno,
                         name);
                ok = false;
            } else if (n_rules < MAX_RULES) {
                snprintf(rules[n_rules].name, sizeof rules[0].name, "%s", name);
                rules[n_rules++].reason = strdup(line + off + off2);
            }
        } else if (!line[off]) {
            snprintf(err, errlen, "%s:%u: opcode %s without a reason", path, lineno, word);
            ok = false;
        } else {
            OpMeta *o = op_get(word, true);
            if (o)
                o->difference = strdup(line + off);
        }
    }
    fclose(fp);
    return ok;
}

const char *meta_rule_reason(const char *name)
{
    for (int i = 0; i < n_rules; i++)
        if (!strcmp(rules[i].name, name))
            return rules[i].reason;
    return NULL;
}

/* --- baseline --- */

int baseline_read(const char *path, BaselineEntry *out, int max, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read baseline %s", path);
        return -1;
    }
    char line[256];
    int n = 0;
    unsigned lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char key[16], extra[2];
        unsigned passed, total;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        if (sscanf(line, "%15s %u %u %1s", key, &passed, &total, extra) != 3 ||
            passed > total) {
            snprintf(err, errlen, "%s:%u: want: OPCODE PASSED TOTAL", path, lineno);
            fclose(fp);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "%s: more than %d entries", path, max);
            fclose(fp);
            return -1;
        }
        out[n] = (BaselineEntry){ .passed = passed, .total = total };
        snprintf(out[n++].key, sizeof out[0].key, "%s", key);
    }
    fclose(fp);
    return n;
}
