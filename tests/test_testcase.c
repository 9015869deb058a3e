/*
 * tests/test_testcase.c - the two name tables of the core, core/testcase.c
 * (coverage marks) and core/fault.c (fault sites): every entry named,
 * names unique, lookups round-trip, out-of-range values refused; and that
 * a mark counts each pass through its branch exactly once.
 *
 * Which test case hits which mark is tests/marks.txt, checked by
 * tests/check_marks.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fault.h"
#include "core/testcase.h"
#include "core/vmstate.h"
#include "tests/lib.h"

static void testcase_name_every_mark_named_once(void **state)
{
    (void)state;
    for (unsigned i = 0; i < TESTCASE_NR; i++) {
        const char *n = testcase_name(i);

        assert_non_null(n);
        ASSERT_GE(n[0], 'A');
        ASSERT_LE(n[0], 'Z');
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(n, testcase_name(j)) == 0) {
                fail_msg("marks %u and %u are both %s", j, i, n);
            }
        }
    }
    assert_string_equal(testcase_name(TESTCASE_VMSTATE_HANDLER_ERROR),
                        "VMSTATE_HANDLER_ERROR");
    /* Boundary: the first value past the last mark. */
    assert_null(testcase_name(TESTCASE_NR));
    assert_int_equal(testcase_count(TESTCASE_NR), 0);
}

static int fail_eio(void *opaque, bool running, enum vmstate_run_state rs)
{
    (void)opaque;
    (void)running;
    (void)rs;
    return -EIO;
}

static int succeed(void *opaque, bool running, enum vmstate_run_state rs)
{
    (void)opaque;
    (void)running;
    (void)rs;
    return 0;
}

/* VMSTATE_HANDLER_ERROR sits where a phase records its first error: once
 * per failing phase, never for a pass without errors. */
static void testcase_count_vmstate_first_error_once_per_phase(void **state)
{
    const unsigned m = TESTCASE_VMSTATE_HANDLER_ERROR;
    struct vmstate_list l;
    struct vmstate_entry e[3];
    uint64_t c0;

    (void)state;
    memset(e, 0, sizeof(e));
    vmstate_list_init(&l);
    vmstate_add(&l, &e[0], "ok", succeed, succeed, NULL, 0);
    c0 = testcase_count(m);
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), 0);
    assert_int_equal(testcase_count(m), c0);
    /* Two failing mains in one phase: the mark counts the first. */
    vmstate_add(&l, &e[1], "bad", fail_eio, NULL, NULL, 1);
    vmstate_add(&l, &e[2], "bad too", fail_eio, NULL, NULL, 2);
    assert_int_equal(vmstate_notify(&l, false, VMSTATE_RS_PAUSED), -EIO);
    assert_int_equal(testcase_count(m), c0 + 1);
    /* Failing prepare and main phases: once each. */
    e[2].prepare = fail_eio;
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), -EIO);
    assert_int_equal(testcase_count(m), c0 + 3);
}

static void plat_fault_site_name_every_site_round_trips(void **state)
{
    (void)state;
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        const char *n = plat_fault_site_name(s);

        assert_non_null(n);
        assert_int_equal(plat_fault_site_lookup(n), (int)s);
    }
    assert_null(plat_fault_site_name(PLAT_FAULT_NR));
    assert_int_equal(plat_fault_site_lookup("no_such_site"), -ENOENT);
    assert_int_equal(plat_fault_site_lookup(""), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testcase_name_every_mark_named_once),
        cmocka_unit_test(testcase_count_vmstate_first_error_once_per_phase),
        cmocka_unit_test(plat_fault_site_name_every_site_round_trips),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
