/*
 * tests/test_jsonl.c - unit tests of scenarios/tool/jsonl.c, the bounded
 * JSON reader of `kvmsim explore --merge`: a table of lines accepted and
 * refused at their boundaries (with the column the error names), lookups
 * of members and elements, and decoding of strings and numbers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenarios/tool/jsonl.h"
#include "tests/lib.h"

static struct jsonl_doc *doc;

static int setup(void **state)
{
    (void)state;
    doc = malloc(sizeof(*doc));
    return doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(doc);
    return 0;
}

static int parse(const char *s)
{
    return jsonl_parse(doc, s, strlen(s));
}

static const struct {
    const char *line;
    const char *err;   /* NULL: accepted; else a part of the message */
} parse_cases[] = {
    {"{}", NULL},
    {"  {\"a\" : 1 }\r\n", NULL},
    {"{\"a\":[1,-2,3.5,1e9,-0.5E-3,true,false,null,\"\",{}]}", NULL},
    {"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}", NULL},
    {"", "column 1: expected a JSON object"},
    {"[]", "column 1: expected a JSON object"},
    {"{", "column 2: expected a member name"},
    {"{\"a\"}", "column 5: expected ':'"},
    {"{\"a\":}", "column 6: unexpected character"},
    {"{\"a\":1,}", "column 8: expected a member name"},
    {"{\"a\":1 \"b\":2}", "column 8: expected ',' or '}'"},
    {"{\"a\":[1,]}", "column 9: unexpected character"},
    {"{\"a\":01}", "bad number"},
    {"{\"a\":-}", "bad number"},
    {"{\"a\":1.}", "bad number"},
    {"{\"a\":1e}", "bad number"},
    {"{\"a\":+1}", "unexpected character"},
    {"{\"a\":tru}", "unexpected character"},
    {"{\"a\":\"x}", "unterminated string"},
    {"{\"a\":\"x\\", "unterminated string"},
    {"{\"a\":\"\\q\"}", "bad escape '\\q'"},
    {"{\"a\":\"\\u12g4\"}", "bad \\u escape"},
    {"{\"a\":\"\\u12\"}", "bad \\u escape"},
    {"{\"a\":\"\t\"}", "control character"},
    {"{} {}", "text after the object"},
    {"{\"a\":[[[[[[[[1]]]]]]]]}", "nested deeper than 8"},
    {"{\"a\":[[[[[[[1]]]]]]]}", NULL},
};

static void jsonl_parse_table_accepts_and_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
         i++) {
        int rc = parse(parse_cases[i].line);

        if (!parse_cases[i].err) {
            if (rc != 0) {
                fail_msg("'%s': refused (%s), expected accepted",
                         parse_cases[i].line, doc->err);
            }
        } else if (rc != -EINVAL ||
                   !strstr(doc->err, parse_cases[i].err)) {
            fail_msg("'%s': rc %d, error '%s', expected -EINVAL and '%s'",
                     parse_cases[i].line, rc, doc->err, parse_cases[i].err);
        }
    }
}

static void jsonl_parse_length_bounds(void **state)
{
    size_t n = JSONL_MAX_LINE + 1;
    char *big = malloc(n + 1);

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    assert_int_equal(jsonl_parse(doc, big, n), -EINVAL);
    assert_non_null(strstr(doc->err, "longer than"));
    /* One byte less is within the bound. */
    big[n - 2] = '}';
    assert_int_equal(jsonl_parse(doc, big, n - 1), 0);
    free(big);
}

static void jsonl_parse_token_bound(void **state)
{
    /* {"a":[0,0,...]}: the object, the key, the array and its elements. */
    size_t elems = JSONL_MAX_TOKENS - 3;
    char *s = malloc(16 + elems * 2);
    size_t o;

    (void)state;
    assert_non_null(s);
    o = (size_t)sprintf(s, "{\"a\":[");
    for (size_t i = 0; i < elems; i++) {
        s[o++] = '0';
        s[o++] = ',';
    }
    s[o - 1] = ']';
    s[o++] = '}';
    s[o] = '\0';
    assert_int_equal(jsonl_parse(doc, s, o), 0);
    assert_int_equal(doc->ntok, JSONL_MAX_TOKENS);
    /* One element more does not fit. */
    memmove(s + 8, s + 6, o - 6 + 1);
    s[6] = '0';
    s[7] = ',';
    assert_int_equal(jsonl_parse(doc, s, o + 2), -EINVAL);
    assert_non_null(strstr(doc->err, "more than 4096 values"));
    free(s);
}

static void jsonl_get_skips_nested_values(void **state)
{
    int t;
    uint64_t u;
    unsigned key;

    (void)state;
    assert_int_equal(parse("{\"x\":{\"b\":1},\"l\":[{\"b\":2},3],\"b\":7}"),
                     0);
    t = jsonl_get(doc, 0, "b");
    ASSERT_GT(t, 0);
    assert_int_equal(jsonl_u64(doc, (unsigned)t, &u), 0);
    assert_int_equal(u, 7);
    assert_int_equal(jsonl_get(doc, 0, "nope"), -ENOENT);
    t = jsonl_get(doc, 0, "l");
    assert_int_equal(doc->tok[t].count, 2);
    assert_int_equal(jsonl_u64(doc, (unsigned)jsonl_elem(doc, (unsigned)t,
                                                         1), &u), 0);
    assert_int_equal(u, 3);
    assert_int_equal(jsonl_elem(doc, (unsigned)t, 2), -ENOENT);
    t = jsonl_member(doc, 0, 2, &key);
    ASSERT_GT(t, 0);
    assert_int_equal(doc->tok[key].end - doc->tok[key].start, 1);
    assert_int_equal(doc->text[doc->tok[key].start], 'b');
    assert_int_equal(jsonl_member(doc, 0, 3, &key), -ENOENT);
    /* Not an object: no members. */
    assert_int_equal(jsonl_get(doc, (unsigned)jsonl_get(doc, 0, "l"), "b"),
                     -EINVAL);
}

static void jsonl_get_duplicate_key_refused(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"a\":1,\"a\":2}"), 0);
    assert_int_equal(jsonl_get(doc, 0, "a"), -EINVAL);
}

static void jsonl_str_decodes_escapes_and_utf16(void **state)
{
    char buf[32];

    (void)state;
    assert_int_equal(parse("{\"a\":\"q\\\"\\\\\\n\\u00e9\\ud83d\\ude00\"}"),
                     0);
    assert_int_equal(jsonl_str(doc, 2, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "q\"\\\n\xc3\xa9\xf0\x9f\x98\x80");
    /* Exactly full (10 bytes and the NUL), then one byte short. */
    assert_int_equal(jsonl_str(doc, 2, buf, 11), 0);
    assert_int_equal(jsonl_str(doc, 2, buf, 10), -E2BIG);
    assert_int_equal(jsonl_str(doc, 1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "a");
}

static void jsonl_str_bad_code_points_refused(void **state)
{
    static const char *const lines[] = {
        "{\"a\":\"\\u0000\"}",        /* would cut the C string */
        "{\"a\":\"\\ud800\"}",        /* a lone high surrogate */
        "{\"a\":\"\\ud800\\u0041\"}", /* ... not followed by a low one */
        "{\"a\":\"\\udc00\"}",        /* a lone low surrogate */
    };
    char buf[32];

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_int_equal(parse(lines[i]), 0);
        if (jsonl_str(doc, 2, buf, sizeof(buf)) != -EINVAL) {
            fail_msg("'%s' decoded to '%s', expected -EINVAL", lines[i],
                     buf);
        }
    }
    assert_int_equal(parse("{\"a\":1}"), 0);
    assert_int_equal(jsonl_str(doc, 2, buf, sizeof(buf)), -EINVAL);
}

static void jsonl_numbers_at_their_bounds(void **state)
{
    uint64_t u;
    int i;
    double d;
    bool b;

    (void)state;
    assert_int_equal(parse("{\"a\":[18446744073709551615,"
                           "18446744073709551616,-1,2147483647,2147483648,"
                           "-2147483648,-2147483649,1.5,1e400,true]}"), 0);
    assert_int_equal(jsonl_u64(doc, 3, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(jsonl_u64(doc, 4, &u), -ERANGE);
    assert_int_equal(jsonl_u64(doc, 5, &u), -EINVAL);
    assert_int_equal(jsonl_int(doc, 5, &i), 0);
    assert_int_equal(i, -1);
    assert_int_equal(jsonl_int(doc, 6, &i), 0);
    assert_int_equal(i, 2147483647);
    assert_int_equal(jsonl_int(doc, 7, &i), -ERANGE);
    assert_int_equal(jsonl_int(doc, 8, &i), 0);
    assert_int_equal(i, INT32_MIN);
    assert_int_equal(jsonl_int(doc, 9, &i), -ERANGE);
    assert_int_equal(jsonl_int(doc, 10, &i), -EINVAL);
    assert_int_equal(jsonl_num(doc, 10, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(jsonl_num(doc, 11, &d), -ERANGE);
    assert_int_equal(jsonl_bool(doc, 12, &b), 0);
    assert_true(b);
    assert_int_equal(jsonl_bool(doc, 10, &b), -EINVAL);
    assert_int_equal(jsonl_u64(doc, 99, &u), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsonl_parse_table_accepts_and_refuses),
        cmocka_unit_test(jsonl_parse_length_bounds),
        cmocka_unit_test(jsonl_parse_token_bound),
        cmocka_unit_test(jsonl_get_skips_nested_values),
        cmocka_unit_test(jsonl_get_duplicate_key_refused),
        cmocka_unit_test(jsonl_str_decodes_escapes_and_utf16),
        cmocka_unit_test(jsonl_str_bad_code_points_refused),
        cmocka_unit_test(jsonl_numbers_at_their_bounds),
    };

    return cmocka_run_group_tests_name("jsonl", tests, setup, teardown);
}
