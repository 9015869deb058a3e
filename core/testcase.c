/*
 * core/testcase.c - the counters and names of the coverage marks declared
 * in core/testcase.h.  Nothing in core/ reads them; test harnesses dump
 * them (tests/harness.c) for tests/check_marks.sh.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/testcase.h"

_Atomic uint64_t testcase_hits[TESTCASE_NR];

static const char *const testcase_names[TESTCASE_NR] = {
#define TESTCASE_NAME_(name) #name,
    TESTCASE_MARKS(TESTCASE_NAME_)
#undef TESTCASE_NAME_
};

const char *testcase_name(unsigned mark)
{
    return mark < TESTCASE_NR ? testcase_names[mark] : NULL;
}

uint64_t testcase_count(unsigned mark)
{
    if (mark >= TESTCASE_NR) {
        return 0;
    }
    return atomic_load_explicit(&testcase_hits[mark], memory_order_relaxed);
}
