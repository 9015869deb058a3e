/*
 * tests/test_tape.c - decision tapes: seed expansion, read widths,
 * exhaustion defaults, the consumed log and the decision log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "sim/tape.h"
#include "tests/lib.h"

static void sim_splitmix64_seed0_matches_reference(void **state)
{
    uint64_t s = 0;

    (void)state;
    /* Published first outputs of SplitMix64 from state 0. */
    assert_int_equal(sim_splitmix64(&s), 0xe220a8397b1dcdafull);
    assert_int_equal(sim_splitmix64(&s), 0x6e789e6aa1b965f4ull);
}

static void sim_tape_from_seed_same_seed_same_bytes(void **state)
{
    struct sim_tape *a = sim_tape_from_seed(42);
    struct sim_tape *b = sim_tape_from_seed(42);
    struct sim_tape *c = sim_tape_from_seed(43);
    int differ = 0;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_tape_below(a, 1000003);
        uint64_t y = sim_tape_below(b, 1000003);
        uint64_t z = sim_tape_below(c, 1000003);

        assert_int_equal(x, y);
        differ += x != z;
    }
    ASSERT_GT(differ, 900);
    sim_tape_destroy(a);
    sim_tape_destroy(b);
    sim_tape_destroy(c);
}

static void sim_tape_below_reads_fewest_bytes(void **state)
{
    static const struct {
        uint64_t n;
        size_t bytes;
    } rows[] = {
        {0, 0}, {1, 0}, {2, 1}, {256, 1}, {257, 2}, {65536, 2},
        {65537, 4}, {0x100000000ull, 4}, {0x100000001ull, 8},
    };
    uint8_t buf[64];

    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 37 + 1);
    }
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sim_tape *t = sim_tape_from_bytes(buf, sizeof(buf));
        uint64_t v = sim_tape_below(t, rows[r].n);

        assert_int_equal(sim_tape_used(t), rows[r].bytes);
        if (rows[r].n > 1) {
            ASSERT_LT(v, rows[r].n);
        }
        sim_tape_destroy(t);
    }
}

static void sim_tape_below_little_endian_mod_n(void **state)
{
    const uint8_t bytes[] = {0x34, 0x12};
    struct sim_tape *t = sim_tape_from_bytes(bytes, sizeof(bytes));

    (void)state;
    assert_int_equal(sim_tape_below(t, 1000), 0x1234 % 1000);
    sim_tape_destroy(t);
}

static void sim_tape_exhausted_reads_return_defaults(void **state)
{
    const uint8_t one = 7;
    struct sim_tape *t = sim_tape_from_bytes(&one, 1);

    (void)state;
    assert_int_equal(sim_tape_below(t, 10), 7);
    assert_false(sim_tape_exhausted(t));
    assert_int_equal(sim_tape_below(t, 10), 0);
    assert_true(sim_tape_exhausted(t));
    assert_false(sim_tape_chance(t, 0.99));
    assert_int_equal(sim_tape_used(t), 1);
    sim_tape_destroy(t);
}

static void sim_tape_chance_p0_and_p1_read_nothing(void **state)
{
    struct sim_tape *t = sim_tape_from_seed(1);

    (void)state;
    assert_false(sim_tape_chance(t, 0.0));
    assert_true(sim_tape_chance(t, 1.0));
    assert_int_equal(sim_tape_used(t), 0);
    sim_tape_destroy(t);
}

static void sim_tape_consumed_replays_same_decisions(void **state)
{
    struct sim_tape *a = sim_tape_from_seed(9);
    struct sim_tape *b;
    uint64_t v[50];

    (void)state;
    for (int i = 0; i < 50; i++) {
        v[i] = sim_tape_below(a, (uint64_t)i * 977 + 3);
    }
    b = sim_tape_from_bytes(sim_tape_consumed(a), sim_tape_used(a));
    for (int i = 0; i < 50; i++) {
        assert_int_equal(sim_tape_below(b, (uint64_t)i * 977 + 3), v[i]);
    }
    assert_false(sim_tape_exhausted(b));
    sim_tape_destroy(a);
    sim_tape_destroy(b);
}

static void sim_tape_log_records_offset_width_value(void **state)
{
    /* below(300): 2 bytes 0x2d 0x01 = 301 % 300 = 1; below(2): 1 byte 4
     * -> 0; chance(0.5): 2 bytes 0x00 0x00 -> true; below(10) runs out. */
    const uint8_t bytes[] = {0x2d, 0x01, 0x04, 0x00, 0x00};
    struct sim_tape *t = sim_tape_from_bytes(bytes, sizeof(bytes));
    struct sim_tape_decision d;

    (void)state;
    assert_int_equal(sim_tape_log_start(t, 0), 0);
    assert_int_equal(sim_tape_below(t, 300), 1);
    assert_int_equal(sim_tape_below(t, 1), 0);   /* reads nothing */
    assert_int_equal(sim_tape_below(t, 2), 0);
    assert_true(sim_tape_chance(t, 0.5));
    assert_int_equal(sim_tape_below(t, 10), 0);  /* past the end */
    assert_int_equal(sim_tape_ndecisions(t), 3);
    assert_true(sim_tape_decision(t, 0, &d));
    assert_int_equal(d.offset, 0);
    assert_int_equal(d.width, 2);
    assert_int_equal(d.n, 300);
    assert_int_equal(d.value, 1);
    assert_int_equal(d.kind, SIM_TAPE_BELOW);
    assert_false(sim_tape_decision_is_default(&d));
    assert_true(sim_tape_decision(t, 1, &d));
    assert_int_equal(d.offset, 2);
    assert_int_equal(d.width, 1);
    assert_true(sim_tape_decision_is_default(&d));
    assert_true(sim_tape_decision(t, 2, &d));
    assert_int_equal(d.offset, 3);
    assert_int_equal(d.kind, SIM_TAPE_CHANCE);
    assert_int_equal(d.n, 32768);
    assert_int_equal(d.value, 1);
    assert_false(sim_tape_decision(t, 3, &d));
    sim_tape_destroy(t);
}

static void sim_tape_log_same_reads_with_and_without(void **state)
{
    struct sim_tape *a = sim_tape_from_seed(5);
    struct sim_tape *b = sim_tape_from_seed(5);

    (void)state;
    assert_int_equal(sim_tape_log_start(b, 0), 0);
    for (int i = 0; i < 200; i++) {
        uint64_t n = (uint64_t)i * 331 + 2;

        assert_int_equal(sim_tape_below(a, n), sim_tape_below(b, n));
        assert_int_equal(sim_tape_chance(a, 0.3), sim_tape_chance(b, 0.3));
        sim_tape_label(b, "decision %d", i);
    }
    assert_int_equal(sim_tape_used(a), sim_tape_used(b));
    assert_memory_equal(sim_tape_consumed(a), sim_tape_consumed(b),
                        sim_tape_used(a));
    assert_int_equal(sim_tape_ndecisions(a), 0);
    assert_int_equal(sim_tape_ndecisions(b), 400);
    sim_tape_destroy(a);
    sim_tape_destroy(b);
}

static void sim_tape_label_only_non_default_last_read(void **state)
{
    const uint8_t bytes[] = {0x00, 0x03, 0x07};
    struct sim_tape *t = sim_tape_from_bytes(bytes, sizeof(bytes));
    struct sim_tape_decision d;

    (void)state;
    sim_tape_label(t, "not logging");            /* no log: nothing */
    assert_int_equal(sim_tape_log_start(t, 0), 0);
    sim_tape_below(t, 4);                        /* 0: the default */
    assert_false(sim_tape_wants_label(t));
    sim_tape_label(t, "default");
    sim_tape_below(t, 4);                        /* 3 */
    assert_true(sim_tape_wants_label(t));
    sim_tape_label(t, "pick %d", 3);
    assert_false(sim_tape_wants_label(t));
    sim_tape_label(t, "twice");                  /* labelled already */
    sim_tape_below(t, 1);                        /* reads nothing */
    assert_false(sim_tape_wants_label(t));
    assert_true(sim_tape_decision(t, 0, &d));
    assert_null(d.what);
    assert_true(sim_tape_decision(t, 1, &d));
    assert_string_equal(d.what, "pick 3");
    sim_tape_relabel(t, 1, "pick %s", "three");
    sim_tape_relabel(t, 0, "unlabelled stays so");
    assert_true(sim_tape_decision(t, 1, &d));
    assert_string_equal(d.what, "pick three");
    assert_true(sim_tape_decision(t, 0, &d));
    assert_null(d.what);
    sim_tape_destroy(t);
}

static void sim_tape_decision_set_default_rereads_default(void **state)
{
    /* below(1000) = 0x1234 % 1000, chance(0.25) true from 0x0000. */
    uint8_t bytes[] = {0x34, 0x12, 0x00, 0x00};
    struct sim_tape *t = sim_tape_from_bytes(bytes, sizeof(bytes));
    struct sim_tape_decision d0, d1;

    (void)state;
    assert_int_equal(sim_tape_log_start(t, 0), 0);
    assert_int_equal(sim_tape_below(t, 1000), 0x1234 % 1000);
    assert_true(sim_tape_chance(t, 0.25));
    assert_true(sim_tape_decision(t, 0, &d0));
    assert_true(sim_tape_decision(t, 1, &d1));
    sim_tape_decision_set_default(&d0, bytes);
    sim_tape_decision_set_default(&d1, bytes);
    sim_tape_destroy(t);
    t = sim_tape_from_bytes(bytes, sizeof(bytes));
    assert_int_equal(sim_tape_below(t, 1000), 0);
    assert_false(sim_tape_chance(t, 0.25));
    assert_int_equal(sim_tape_used(t), 4);
    sim_tape_destroy(t);
}

static void sim_tape_log_start_max_counts_the_rest(void **state)
{
    struct sim_tape *t = sim_tape_from_seed(3);

    (void)state;
    assert_int_equal(sim_tape_log_start(t, 10), 0);
    for (int i = 0; i < 25; i++) {
        sim_tape_below(t, 100);
    }
    assert_int_equal(sim_tape_ndecisions(t), 10);
    assert_int_equal(sim_tape_log_dropped(t), 15);
    sim_tape_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_splitmix64_seed0_matches_reference),
        cmocka_unit_test(sim_tape_from_seed_same_seed_same_bytes),
        cmocka_unit_test(sim_tape_below_reads_fewest_bytes),
        cmocka_unit_test(sim_tape_below_little_endian_mod_n),
        cmocka_unit_test(sim_tape_exhausted_reads_return_defaults),
        cmocka_unit_test(sim_tape_chance_p0_and_p1_read_nothing),
        cmocka_unit_test(sim_tape_consumed_replays_same_decisions),
        cmocka_unit_test(sim_tape_log_records_offset_width_value),
        cmocka_unit_test(sim_tape_log_same_reads_with_and_without),
        cmocka_unit_test(sim_tape_label_only_non_default_last_read),
        cmocka_unit_test(sim_tape_decision_set_default_rereads_default),
        cmocka_unit_test(sim_tape_log_start_max_counts_the_rest),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
