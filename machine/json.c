/* SPDX-License-Identifier: MIT */
/* A small JSON reader and writer (see json.h). */
#include "machine/json.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

typedef struct Parser {
    const char *p, *end;
    char *err;
    size_t errlen;
    int depth;
} Parser;

static JsonValue *parse_value(Parser *ps);

static void skip_space(Parser *ps)
{
    while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
        ps->p++;
}

static JsonValue *parse_error(Parser *ps, const char *what)
{
    if (!ps->err[0])
        snprintf(ps->err, ps->errlen, "JSON parse error, %s", what);
    return NULL;
}

static JsonValue *new_value(JsonKind kind)
{
    JsonValue *v = calloc(1, sizeof *v);
    if (v)
        v->kind = kind;
    return v;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* A code point as UTF-8 into out; returns the bytes written. */
static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* A string (the opening quote is at ps->p); QEMU also takes single quotes. */
static char *parse_string_raw(Parser *ps)
{
    char quote = *ps->p++;
    char *out = malloc((size_t)(ps->end - ps->p) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != quote) {
        char c = *ps->p++;
        if ((unsigned char)c < 0x20)
            break;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (ps->p >= ps->end)
            break;
        char e = *ps->p++;
        static const char from[] = "\"\\/bfnrt'", to[] = "\"\\/\b\f\n\r\t'";
        const char *k = strchr(from, e);
        if (e && k) {
            out[n++] = to[k - from];
        } else if (e == 'u' && ps->end - ps->p >= 4 && hex4(ps->p) > 0) {
            n += put_utf8(out + n, (unsigned)hex4(ps->p));
            ps->p += 4;
        } else {
            free(out);
            return NULL;
        }
    }
    if (ps->p >= ps->end || *ps->p != quote) {
        free(out);
        return NULL;
    }
    ps->p++;
    out[n] = 0;
    return out;
}

static bool add_item(JsonValue *v, JsonValue *item, char *key)
{
    JsonValue **items = realloc(v->items, (size_t)(v->n + 1) * sizeof *items);
    if (!items)
        return false;
    v->items = items;
    if (v->kind == JSON_OBJECT) {
        char **keys = realloc(v->keys, (size_t)(v->n + 1) * sizeof *keys);
        if (!keys)
            return false;
        v->keys = keys;
        keys[v->n] = key;
    }
    items[v->n++] = item;
    return true;
}

/* An array or an object (the bracket is at ps->p). */
static JsonValue *parse_container(Parser *ps, JsonKind kind)
{
    char close = kind == JSON_ARRAY ? ']' : '}';
    if (++ps->depth > JSON_MAX_DEPTH)
        return parse_error(ps, "nesting too deep");
    JsonValue *v = new_value(kind);
    if (!v)
        return parse_error(ps, "out of memory");
    ps->p++;
    skip_space(ps);
    bool first = true;
    while (ps->p < ps->end && *ps->p != close) {
        if (!first) {
            if (*ps->p != ',')
                goto bad;
            ps->p++;
            skip_space(ps);
        }
        first = false;
        char *key = NULL;
        if (kind == JSON_OBJECT) {
            if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'') ||
                !(key = parse_string_raw(ps)))
                goto bad;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                goto bad;
            }
            ps->p++;
        }
        JsonValue *item = parse_value(ps);
        if (!item || !add_item(v, item, key)) {
            json_free(item);
            free(key);
            goto bad;
        }
        skip_space(ps);
    }
    if (ps->p >= ps->end)
        goto bad;
    ps->p++;
    ps->depth--;
    return v;
bad:
    json_free(v);
    return parse_error(ps, kind == JSON_ARRAY ? "malformed array" : "malformed object");
}

static JsonValue *parse_literal(Parser *ps)
{
    static const struct { const char *word; JsonKind kind; bool b; } words[] = {
        { "true", JSON_BOOL, true }, { "false", JSON_BOOL, false }, { "null", JSON_NULL, false },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].word, n)) {
            ps->p += n;
            JsonValue *v = new_value(words[i].kind);
            if (v)
                v->boolean = words[i].b;
            return v;
        }
    }
    char buf[64];
    size_t n = 0;
    while (ps->p + n < ps->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", ps->p[n]) &&
           ps->p[n])
        n++;
    memcpy(buf, ps->p, n);
    buf[n] = 0;
    char *endp;
    double d = strtod(buf, &endp);
    if (!n || *endp)
        return parse_error(ps, "unexpected character");
    ps->p += n;
    JsonValue *v = new_value(JSON_NUMBER);
    if (v)
        v->number = d;
    return v;
}

static JsonValue *parse_value(Parser *ps)
{
    skip_space(ps);
    if (ps->p >= ps->end)
        return parse_error(ps, "unexpected end of input");
    char c = *ps->p;
    if (c == '{')
        return parse_container(ps, JSON_OBJECT);
    if (c == '[')
        return parse_container(ps, JSON_ARRAY);
    if (c == '"' || c == '\'') {
        char *s = parse_string_raw(ps);
        if (!s)
            return parse_error(ps, "malformed string");
        JsonValue *v = new_value(JSON_STRING);
        if (!v) {
            free(s);
            return parse_error(ps, "out of memory");
        }
        v->string = s;
        return v;
    }
    return parse_literal(ps);
}

JsonValue *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    Parser ps = { text, text + len, err, errlen, 0 };
    err[0] = 0;
    JsonValue *v = parse_value(&ps);
    skip_space(&ps);
    if (v && ps.p != ps.end) {
        json_free(v);
        return parse_error(&ps, "trailing characters");
    }
    return v;
}

void json_free(JsonValue *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const JsonValue *json_get(const JsonValue *obj, const char *key)
{
    if (!obj || obj->kind != JSON_OBJECT)
        return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return obj->items[i];
    return NULL;
}

const char *json_get_string(const JsonValue *obj, const char *key)
{
    const JsonValue *v = json_get(obj, key);
    return v && v->kind == JSON_STRING ? v->string : NULL;
}

long json_frame(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", buf[i]) && buf[i])
        i++;
    if (i == len)
        return 0;
    if (buf[i] != '{' && buf[i] != '[')
        return -1;
    int depth = 0;
    char quote = 0;
    for (; i < len; i++) {
        char c = buf[i];
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return (long)i + 1;
        }
    }
    return 0;
}

void json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\r')
            fputs("\\r", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void json_write(FILE *out, const JsonValue *v)
{
    if (!v) {
        fputs("null", out);
        return;
    }
    switch (v->kind) {
    case JSON_NULL: fputs("null", out); break;
    case JSON_BOOL: fputs(v->boolean ? "true" : "false", out); break;
    case JSON_NUMBER:
        if (v->number == (double)(long long)v->number)
            fprintf(out, "%lld", (long long)v->number);
        else
            fprintf(out, "%.17g", v->number);
        break;
    case JSON_STRING: json_write_string(out, v->string); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        fputc(v->kind == JSON_ARRAY ? '[' : '{', out);
        for (int i = 0; i < v->n; i++) {
            if (i)
                fputs(", ", out);
            if (v->kind == JSON_OBJECT) {
                json_write_string(out, v->keys[i]);
                fputs(": ", out);
            }
            json_write(out, v->items[i]);
        }
        fputc(v->kind == JSON_ARRAY ? ']' : '}', out);
        break;
    }
}
