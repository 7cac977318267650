/* SPDX-License-Identifier: MIT */
/* The JSON reader and writer behind QMP (machine/json.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "machine/json.h"

static JsonValue *parse(const char *text)
{
    char err[200];
    return json_parse(text, strlen(text), err, sizeof err);
}

Test(json, parses_a_qmp_command_with_nested_arguments)
{
    JsonValue *v = parse("{ \"execute\": \"send-key\", \"arguments\": {\"keys\": "
                         "[{\"type\": \"qcode\", \"data\": \"a\"}], \"hold-time\": 100},"
                         " \"id\": [1, true, null, 2.5] }");
    cr_assert_not_null(v);
    cr_assert_str_eq(json_get_string(v, "execute"), "send-key");
    const JsonValue *keys = json_get(json_get(v, "arguments"), "keys");
    cr_assert_eq(keys->kind, JSON_ARRAY);
    cr_assert_str_eq(json_get_string(keys->items[0], "data"), "a");
    cr_assert_eq(json_get(json_get(v, "arguments"), "hold-time")->number, 100);
    const JsonValue *id = json_get(v, "id");
    cr_assert_eq(id->n, 4);
    cr_assert(id->items[1]->boolean);
    cr_assert_eq(id->items[2]->kind, JSON_NULL);
    json_free(v);
}

Test(json, string_escapes_and_single_quotes)
{
    JsonValue *v = parse("{'a': \"x\\n\\\"y\\u00e9\"}");
    cr_assert_not_null(v);
    cr_assert_str_eq(json_get_string(v, "a"), "x\n\"y\xc3\xa9");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_write(f, v);
    fclose(f);
    cr_assert_str_eq(buf, "{\"a\": \"x\\n\\\"y\xc3\xa9\"}");
    free(buf);
    json_free(v);
}

Test(json, malformed_input_is_refused_with_a_message)
{
    static const char *bad[] = { "{", "{\"a\" 1}", "[1,]x", "{\"a\": tru}", "\"open",
                                 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"
                                 "]]]]]]]]]]]]]]]]]]]]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        JsonValue *v = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        cr_assert_null(v, "'%s' parsed", bad[i]);
        cr_assert(strstr(err, "JSON parse error"), "%s", err);
    }
}

Test(json, frame_finds_whole_objects_in_a_stream)
{
    const char *s = "  {\"a\": \"}\"} {\"b\": [1, {\"c\": 2}]}{\"d\"";
    long n = json_frame(s, strlen(s));
    cr_assert_eq(n, 12);
    long m = json_frame(s + n, strlen(s + n));
    cr_assert_eq(m, 21);
    cr_assert_eq(json_frame(s + n + m, strlen(s + n + m)), 0, "incomplete: wait for more");
    cr_assert_eq(json_frame("x{}", 3), -1, "garbage at top level");
}
