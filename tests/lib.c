/*
 * tests/lib.c - the part of tests/lib.h every cmocka test links, the
 * tsan_*.c stress tests too: the variant description and the ordering
 * assertions' failure message.  The fault fixtures, the fault loop and
 * the death tests, which need the simulator, are in tests/lib_sim.c.
 */
#include "tests/lib.h"

#include <stdio.h>

static char test_variant_buf[256];

void test_variant(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(test_variant_buf, sizeof(test_variant_buf), fmt, ap);
    va_end(ap);
}

void test_variant_clear(void)
{
    test_variant_buf[0] = '\0';
}

const char *test_variant_name(void)
{
    return test_variant_buf;
}

void test_print_variant(void)
{
    if (test_variant_buf[0]) {
        print_error("    variant: %s\n", test_variant_buf);
    }
}

static void test_format_value(char *buf, size_t size, struct test_value v)
{
    switch (v.kind) {
    case TEST_VALUE_INT:
        snprintf(buf, size, "%jd", v.i);
        break;
    case TEST_VALUE_UINT:
        snprintf(buf, size, "%ju (0x%jx)", v.u, v.u);
        break;
    case TEST_VALUE_FLOAT:
        snprintf(buf, size, "%.17Lg", v.f);
        break;
    }
}

void test_fail_cmp(const char *macro, const char *a, const char *op,
                   const char *b, struct test_value va, struct test_value vb,
                   const char *file, int line)
{
    char sa[64];
    char sb[64];

    test_format_value(sa, sizeof(sa), va);
    test_format_value(sb, sizeof(sb), vb);
    print_error("%s:%d: %s(%s, %s): %s %s %s is false\n"
                "    %s = %s\n    %s = %s\n",
                file, line, macro, a, b, a, op, b, a, sa, b, sb);
    test_print_variant();
    _fail(file, line);
}
