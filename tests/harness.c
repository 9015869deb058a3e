/*
 * tests/harness.c - linked into every cmocka unit test binary (test_*.c);
 * adds two environment switches without touching the tests' main():
 *
 *   KVMSIM_TEST_FILTER=NAME   run only the test case(s) matching NAME
 *                             (cmocka_set_test_filter: '*' and '?' match);
 *   KVMSIM_MARKS_FILE=PATH    at exit, write every coverage mark of
 *                             core/testcase.h as "NAME COUNT" lines to PATH.
 *
 * tests/check_marks.sh uses both to run the one test case named for a mark
 * and read whether it hit the mark.  Unset, neither changes anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/testcase.h"

static const char *harness_marks_file;

static void harness_dump_marks(void)
{
    FILE *f = fopen(harness_marks_file, "w");

    if (!f) {
        perror(harness_marks_file);
        return;
    }
    for (unsigned i = 0; i < TESTCASE_NR; i++) {
        fprintf(f, "%s %llu\n", testcase_name(i),
                (unsigned long long)testcase_count(i));
    }
    if (fclose(f) != 0) {
        perror(harness_marks_file);
    }
}

/* Runs before main(): cmocka reads the filter when the group runs. */
__attribute__((constructor)) static void harness_init(void)
{
    const char *filter = getenv("KVMSIM_TEST_FILTER");

    if (filter && *filter) {
        cmocka_set_test_filter(filter);
    }
    harness_marks_file = getenv("KVMSIM_MARKS_FILE");
    if (harness_marks_file && *harness_marks_file) {
        atexit(harness_dump_marks);
    }
}
