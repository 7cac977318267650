/* SPDX-License-Identifier: MIT */
/* A small JSON reader and writer for QMP (machine/qmp.c): values parsed
 * into a tree, a framing scan for a stream of back-to-back objects, and
 * writing strings and values to a FILE. */
#ifndef KAIRO_JSON_H
#define KAIRO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonKind;

typedef struct JsonValue {
    JsonKind kind;
    bool boolean;
    double number;
    char *string;               /* JSON_STRING */
    int n;                      /* items of an array or object */
    struct JsonValue **items;
    char **keys;                /* JSON_OBJECT */
} JsonValue;

/* Parse exactly one value from text (len bytes); NULL with a message in
 * err on malformed input (nesting is limited, so a hostile client cannot
 * exhaust the stack). */
JsonValue *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(JsonValue *v);
/* A member of an object, or NULL. */
const JsonValue *json_get(const JsonValue *obj, const char *key);
/* A member's string, or NULL when absent or not a string. */
const char *json_get_string(const JsonValue *obj, const char *key);

/* The length of the first complete top-level value in buf (after leading
 * white space), 0 if it is not complete yet, -1 if the stream is garbage
 * (a byte that cannot start a value at top level). */
long json_frame(const char *buf, size_t len);

void json_write_string(FILE *out, const char *s);
void json_write(FILE *out, const JsonValue *v);

#endif
