/*
 * tests/test_lib.c - the self-test of tests/lib.h: the ordering
 * assertions pass on true comparisons and evaluate each operand once; the
 * fault loop visits n = 1 .. calls + 1 in both passes, injecting one fault
 * per attempt in the single pass and every call from n on in the
 * persistent one.
 *
 * `test_lib fail` instead runs cases that must fail, one per assertion, one
 * fault loop that never runs clean, one parameterised case and two death
 * tests (no panic; another message);
 * tests/lib_selftest.sh checks that each fails with the expression, both
 * values and the variant printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/platform.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "tests/lib.h"

static void assert_lt_le_gt_ge_true_comparisons_pass(void **state)
{
    uint64_t big = UINT64_MAX;
    int minus = -1;
    double third = 1.0 / 3;

    (void)state;
    ASSERT_LT(minus, 0);
    ASSERT_LE(0u, big);
    ASSERT_LE(big, UINT64_MAX);
    ASSERT_GT(third, 0.333);
    ASSERT_GE(third, third);
    ASSERT_GE(sizeof(uint64_t), 8);
}

static void assert_lt_evaluates_each_operand_once(void **state)
{
    int a = 0;
    int b = 10;

    (void)state;
    ASSERT_LT(a++, b--);
    assert_int_equal(a, 1);
    assert_int_equal(b, 9);
}

/* Makes `calls` allocations, going on after a failed one; returns how
 * many failed. */
static int alloc_calls(unsigned calls)
{
    int failed = 0;

    for (unsigned i = 0; i < calls; i++) {
        void *p = plat_alloc(8);

        failed += p == NULL;
        plat_free(p);
    }
    return failed;
}

static void fault_loop_alloc_3_calls_single_then_persistent(void **state)
{
    struct fault_loop fl;
    unsigned attempts[2] = { 0, 0 };

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int failed = FAULT_LOOP_CALL(fl, alloc_calls(3));

        attempts[fl.persist]++;
        if (fl.faulted) {
            /* Single: call n only; persistent: calls n..3. */
            assert_int_equal(failed, fl.persist ? 3 - (int)fl.n + 1 : 1);
            continue;
        }
        assert_int_equal(failed, 0);
        assert_int_equal(fl.n, 4);
    }
    assert_int_equal(attempts[0], 4);
    assert_int_equal(attempts[1], 4);
    assert_int_equal(fl.clean_n[0], 4);
    assert_int_equal(fl.clean_n[1], 4);
}

static void fault_loop_no_call_ends_each_pass_at_n_1(void **state)
{
    struct fault_loop fl;
    unsigned attempts = 0;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_VFIO_RESET) {
        fault_loop_arm(&fl);
        assert_int_equal(alloc_calls(2), 0); /* another site */
        assert_false(fault_loop_disarm(&fl));
        attempts++;
    }
    assert_int_equal(attempts, 2);
}

static void expect_panic_unlock_outside_run_panics(void **state)
{
    struct plat_lock l;

    (void)state;
    plat_lock_init(&l, PLAT_LOCK_MUTEX, "unheld");
    EXPECT_PANIC(plat_unlock(&l), "unlocks lock 'unheld' held by 'nobody'");
    plat_lock_destroy(&l);
}

static const int variant_three = 3;

static void test_case_variant_passes_its_argument(void **state)
{
    assert_int_equal(*(const int *)*state, 3);
}

/* ---- cases that must fail (`test_lib fail`) ------------------------------ */

static void must_fail_assert_lt_int(void **state)
{
    int a = 5;
    int b = 3;

    (void)state;
    ASSERT_LT(a, b);
}

static void must_fail_assert_ge_uint64(void **state)
{
    uint64_t live = 7;
    uint64_t before = 0x100;

    (void)state;
    ASSERT_GE(live, before);
}

static void must_fail_assert_le_double(void **state)
{
    double ratio = 1.5;

    (void)state;
    ASSERT_LE(ratio, 1.25);
}

static void must_fail_assert_gt_names_variant(void **state)
{
    unsigned hits = 0;

    (void)state;
    test_variant("lookup %s, seed %d", "bsearch", 7);
    ASSERT_GT(hits, 0);
}

static void must_fail_fault_loop_never_clean(void **state)
{
    struct fault_loop fl;

    (void)state;
    test_variant_clear();
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        fl.max_n = 5;
        /* Always one call more than n: never runs clean. */
        (void)FAULT_LOOP_CALL(fl, alloc_calls((unsigned)fl.n + 1));
    }
}

static void must_fail_expect_panic_returns(void **state)
{
    struct plat_lock l;

    (void)state;
    plat_lock_init(&l, PLAT_LOCK_MUTEX, "fine");
    EXPECT_PANIC(plat_lock_destroy(&l), "destroyed");
}

static void must_fail_expect_panic_other_message(void **state)
{
    struct plat_lock l;

    (void)state;
    plat_lock_init(&l, PLAT_LOCK_MUTEX, "unheld");
    EXPECT_PANIC(plat_unlock(&l), "a message it does not print");
}

/* Any cmocka assertion in a parameterised case: the case name carries the
 * variant. */
static void must_fail_variant_case(void **state)
{
    assert_int_equal(*(const int *)*state, 4);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(assert_lt_le_gt_ge_true_comparisons_pass),
        cmocka_unit_test(assert_lt_evaluates_each_operand_once),
        cmocka_unit_test_setup_teardown(
            fault_loop_alloc_3_calls_single_then_persistent, reset_faults,
            reset_faults),
        cmocka_unit_test_setup_teardown(
            fault_loop_no_call_ends_each_pass_at_n_1, reset_faults,
            reset_faults),
        TEST_CASE_VARIANT(test_case_variant_passes_its_argument, "three",
                          &variant_three),
        cmocka_unit_test(expect_panic_unlock_outside_run_panics),
    };
    const struct CMUnitTest must_fail[] = {
        cmocka_unit_test(must_fail_assert_lt_int),
        cmocka_unit_test(must_fail_assert_ge_uint64),
        cmocka_unit_test(must_fail_assert_le_double),
        cmocka_unit_test(must_fail_assert_gt_names_variant),
        cmocka_unit_test_setup_teardown(must_fail_fault_loop_never_clean,
                                        reset_faults, reset_faults),
        TEST_CASE_VARIANT(must_fail_variant_case, "three", &variant_three),
        cmocka_unit_test(must_fail_expect_panic_returns),
        cmocka_unit_test(must_fail_expect_panic_other_message),
    };

    if (argc > 1 && strcmp(argv[1], "fail") == 0) {
        return cmocka_run_group_tests(must_fail, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
