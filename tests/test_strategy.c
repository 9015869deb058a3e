/*
 * tests/test_strategy.c - the scheduling strategies pos, surw and
 * portfolio (sim/engine.c): determinism per seed, exploration over seeds,
 * POS re-drawing only the steps that race, SURW weights following the
 * profile's estimates, and the portfolio covering every member.
 *
 * POS priorities are not visible from outside the engine; each draw reads
 * two tape bytes, so the bytes a run consumed count the draws.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/platform.h"
#include "sim/sim.h"
#include "sim/tape.h"

static const enum sim_strategy new_strategies[] = {
    SIM_STRATEGY_POS, SIM_STRATEGY_SURW, SIM_STRATEGY_PORTFOLIO,
};
#define NNEW (sizeof(new_strategies) / sizeof(new_strategies[0]))

static struct sim *open_sim(struct sim_tape *tape, enum sim_strategy st,
                            const uint32_t *est, uint32_t nest)
{
    struct sim_options o;
    struct sim *s;

    sim_options_default(&o);
    o.strategy = st;
    o.ncpus = 2;
    o.pct_steps = 64;
    o.surw_events = est;
    o.surw_nthreads = nest;
    s = sim_create(&o, tape);
    assert_non_null(s);
    return s;
}

/* ---- a racy counter: lost updates depend on the schedule ---- */

static plat_atomic64 counter;

static void incr(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        uint64_t v = plat_atomic_load(&counter);

        plat_spend_ns(sim_jitter(0, 50));
        plat_atomic_store(&counter, v + 1);
    }
}

static uint64_t counter_run(uint64_t seed, enum sim_strategy st,
                            uint64_t *final)
{
    static const uint32_t est[2] = {12, 30};
    struct sim_tape *tape = sim_tape_from_seed(seed);
    struct sim *s;
    uint64_t h;

    assert_non_null(tape);
    plat_atomic_store(&counter, 0);
    s = open_sim(tape, st, est, 2);
    sim_spawn(s, "inc0", 0, incr, NULL);
    sim_spawn(s, "inc1", 1, incr, NULL);
    assert_int_equal(sim_run(s), SIM_OK);
    h = sim_trace_hash(s);
    *final = plat_atomic_load(&counter);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return h;
}

static void sim_run_pos_surw_portfolio_same_seed_same_hash_50_seeds(
    void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        for (size_t k = 0; k < NNEW; k++) {
            uint64_t fa, fb;
            uint64_t a = counter_run(seed, new_strategies[k], &fa);
            uint64_t b = counter_run(seed, new_strategies[k], &fb);

            if (a != b || fa != fb) {
                fail_msg("%s seed %llu: hash %016llx then %016llx, final "
                         "%llu then %llu",
                         sim_strategy_name(new_strategies[k]),
                         (unsigned long long)seed, (unsigned long long)a,
                         (unsigned long long)b, (unsigned long long)fa,
                         (unsigned long long)fb);
            }
        }
    }
}

static void sim_run_pos_surw_portfolio_32_seeds_explore_lost_updates(
    void **state)
{
    (void)state;
    for (size_t k = 0; k < NNEW; k++) {
        uint64_t hashes[32];
        unsigned distinct = 0, lost = 0;

        for (uint64_t seed = 1; seed <= 32; seed++) {
            uint64_t final;
            uint64_t h = counter_run(seed, new_strategies[k], &final);
            bool dup = false;

            for (unsigned i = 0; i < distinct; i++) {
                dup |= hashes[i] == h;
            }
            if (!dup) {
                hashes[distinct++] = h;
            }
            lost += final < 10;
        }
        print_message("%s: %u distinct schedules, %u lost updates in 32 "
                      "seeds\n", sim_strategy_name(new_strategies[k]),
                      distinct, lost);
        if (distinct < 8 || lost == 0) {
            fail_msg("%s: %u distinct hashes (want >= 8), %u seeds with a "
                     "lost update (want >= 1)",
                     sim_strategy_name(new_strategies[k]), distinct, lost);
        }
    }
}

/* ---- POS re-draws only racing steps ---- */

static plat_atomic64 word_a, word_b;

static void store5(void *arg)
{
    plat_atomic64 *w = arg;

    for (int i = 0; i < 5; i++) {
        plat_atomic_store(w, (uint64_t)i);
    }
}

/* Two threads of 5 atomic stores each: draws are one per spawn and one
 * per step a thread ends still runnable (5 each), plus one per pending
 * step of the other thread that races with a step just run. */
static size_t pos_bytes(plat_atomic64 *w0, plat_atomic64 *w1)
{
    struct sim_tape *tape = sim_tape_from_seed(3);
    struct sim *s;
    size_t used;

    assert_non_null(tape);
    s = open_sim(tape, SIM_STRATEGY_POS, NULL, 0);
    sim_spawn(s, "t0", 0, store5, w0);
    sim_spawn(s, "t1", 1, store5, w1);
    assert_int_equal(sim_run(s), SIM_OK);
    used = sim_tape_used(tape);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return used;
}

static void sim_run_pos_redraws_only_steps_on_the_same_object(void **state)
{
    size_t disjoint, shared;

    (void)state;
    disjoint = pos_bytes(&word_a, &word_b);
    shared = pos_bytes(&word_a, &word_a);
    print_message("tape bytes: disjoint words %zu, one shared word %zu\n",
                  disjoint, shared);
    /* (2 spawns + 2 x 5 steps) draws of 2 bytes: no race, no re-draw. */
    if (disjoint != 24) {
        fail_msg("disjoint words consumed %zu tape bytes, want 24",
                 disjoint);
    }
    if (shared <= disjoint) {
        fail_msg("a shared word consumed %zu tape bytes, want more than "
                 "the %zu of disjoint words (racing steps re-drawn)",
                 shared, disjoint);
    }
}

static struct plat_lock pos_lock;
static int first_locker;

static void lock_twice(void *arg)
{
    for (int i = 0; i < 2; i++) {
        plat_lock(&pos_lock);
        if (first_locker < 0) {
            first_locker = (int)(uintptr_t)arg;
        }
        plat_spend_ns(10);
        plat_unlock(&pos_lock);
    }
}

static void sim_run_pos_lock_contention_resolves_both_orders(void **state)
{
    bool first_seen[2] = {false, false};

    (void)state;
    for (uint64_t seed = 1; seed <= 32; seed++) {
        struct sim_tape *tape = sim_tape_from_seed(seed);
        struct sim *s = open_sim(tape, SIM_STRATEGY_POS, NULL, 0);

        first_locker = -1;
        plat_lock_init(&pos_lock, PLAT_LOCK_MUTEX, "pos lock");
        sim_spawn(s, "l0", 0, lock_twice, (void *)(uintptr_t)0);
        sim_spawn(s, "l1", 1, lock_twice, (void *)(uintptr_t)1);
        assert_int_equal(sim_run(s), SIM_OK);
        assert_in_range(first_locker, 0, 1);
        first_seen[first_locker] = true;
        plat_lock_destroy(&pos_lock);
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
    assert_true(first_seen[0] && first_seen[1]);
}

/* ---- SURW weights ---- */

static unsigned first_runner;
static bool first_taken;

static void note_first(void *arg)
{
    if (!first_taken) {
        first_taken = true;
        first_runner = (unsigned)(uintptr_t)arg;
    }
    plat_yield();
}

/* Which of two threads SURW runs first, from a one-byte tape. */
static unsigned surw_first(uint8_t byte, const uint32_t *est, uint32_t n)
{
    struct sim_tape *tape = sim_tape_from_bytes(&byte, 1);
    struct sim *s;

    assert_non_null(tape);
    first_taken = false;
    s = open_sim(tape, SIM_STRATEGY_SURW, est, n);
    sim_spawn(s, "a", 0, note_first, (void *)(uintptr_t)0);
    sim_spawn(s, "b", 1, note_first, (void *)(uintptr_t)1);
    assert_int_equal(sim_run(s), SIM_OK);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return first_runner;
}

static void sim_run_surw_first_pick_weighted_by_estimates(void **state)
{
    static const uint32_t est[2] = {90, 10};
    static const struct {
        uint8_t byte;
        unsigned want;
    } rows[] = {
        {0, 0}, {89, 0}, {90, 1}, {99, 1}, /* total weight 100 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned got = surw_first(rows[i].byte, est, 2);

        if (got != rows[i].want) {
            fail_msg("tape byte %u with estimates 90/10: thread %u ran "
                     "first, want %u", rows[i].byte, got, rows[i].want);
        }
    }
    /* Without estimates the weights are equal: byte 1 of 2 is thread b. */
    assert_int_equal(surw_first(1, NULL, 0), 1);
}

static void sim_run_surw_over_200_seeds_follows_estimate_ratio(void **state)
{
    static const uint32_t est[2][2] = {{95, 5}, {5, 95}};

    (void)state;
    for (unsigned k = 0; k < 2; k++) {
        unsigned a_first = 0;

        for (uint64_t seed = 1; seed <= 200; seed++) {
            struct sim_tape *tape = sim_tape_from_seed(seed);
            struct sim *s = open_sim(tape, SIM_STRATEGY_SURW, est[k], 2);

            first_taken = false;
            sim_spawn(s, "a", 0, note_first, (void *)(uintptr_t)0);
            sim_spawn(s, "b", 1, note_first, (void *)(uintptr_t)1);
            assert_int_equal(sim_run(s), SIM_OK);
            a_first += first_runner == 0;
            sim_destroy(s);
            sim_tape_destroy(tape);
        }
        print_message("estimates %u/%u: a first in %u of 200 seeds\n",
                      est[k][0], est[k][1], a_first);
        if (k == 0 ? a_first < 170 : a_first > 30) {
            fail_msg("estimates %u/%u: thread a ran first in %u of 200 "
                     "seeds, want about %u", est[k][0], est[k][1], a_first,
                     k == 0 ? 190 : 10);
        }
    }
}

/* ---- portfolio ---- */

static void sim_portfolio_pick_64_seeds_cover_every_member(void **state)
{
    /* time, random, pct of depth 2..5, pos, surw */
    bool seen[8] = {false};
    unsigned nseen = 0;

    (void)state;
    for (uint64_t seed = 1; seed <= 64; seed++) {
        struct sim_tape *tape = sim_tape_from_seed(seed);
        struct sim_options o;
        unsigned slot;
        size_t want_used = 1;

        sim_options_default(&o);
        o.strategy = SIM_STRATEGY_PORTFOLIO;
        sim_portfolio_pick(&o, tape);
        switch (o.strategy) {
        case SIM_STRATEGY_TIME:
            slot = 0;
            break;
        case SIM_STRATEGY_RANDOM:
            slot = 1;
            break;
        case SIM_STRATEGY_PCT:
            assert_in_range(o.pct_depth, 2, 5);
            slot = o.pct_depth;
            want_used = 2;
            break;
        case SIM_STRATEGY_POS:
            slot = 6;
            break;
        case SIM_STRATEGY_SURW:
            slot = 7;
            break;
        default:
            fail_msg("seed %llu: portfolio picked strategy %d",
                     (unsigned long long)seed, (int)o.strategy);
            return;
        }
        if (sim_tape_used(tape) != want_used) {
            fail_msg("seed %llu: the pick of %s read %zu tape bytes, want "
                     "%zu", (unsigned long long)seed,
                     sim_strategy_name(o.strategy), sim_tape_used(tape),
                     want_used);
        }
        nseen += !seen[slot];
        seen[slot] = true;
        sim_tape_destroy(tape);
    }
    if (nseen != 8) {
        fail_msg("64 seeds picked %u of the 8 portfolio members", nseen);
    }
}

static void sim_portfolio_pick_other_strategy_reads_nothing(void **state)
{
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim_options o;

    (void)state;
    sim_options_default(&o);
    o.strategy = SIM_STRATEGY_PCT;
    sim_portfolio_pick(&o, tape);
    assert_int_equal(o.strategy, SIM_STRATEGY_PCT);
    assert_int_equal(sim_tape_used(tape), 0);
    sim_tape_destroy(tape);
}

/* An empty tape is a valid run under every strategy. */
static void sim_run_every_strategy_empty_tape_finishes(void **state)
{
    (void)state;
    for (int st = 0; st < SIM_STRATEGY_NR; st++) {
        struct sim_tape *tape = sim_tape_from_bytes(NULL, 0);
        struct sim *s = open_sim(tape, (enum sim_strategy)st, NULL, 0);

        plat_atomic_store(&counter, 0);
        sim_spawn(s, "inc0", 0, incr, NULL);
        sim_spawn(s, "inc1", 1, incr, NULL);
        if (sim_run(s) != SIM_OK) {
            fail_msg("%s on an empty tape did not finish",
                     sim_strategy_name((enum sim_strategy)st));
        }
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            sim_run_pos_surw_portfolio_same_seed_same_hash_50_seeds),
        cmocka_unit_test(
            sim_run_pos_surw_portfolio_32_seeds_explore_lost_updates),
        cmocka_unit_test(sim_run_pos_redraws_only_steps_on_the_same_object),
        cmocka_unit_test(sim_run_pos_lock_contention_resolves_both_orders),
        cmocka_unit_test(sim_run_surw_first_pick_weighted_by_estimates),
        cmocka_unit_test(sim_run_surw_over_200_seeds_follows_estimate_ratio),
        cmocka_unit_test(sim_portfolio_pick_64_seeds_cover_every_member),
        cmocka_unit_test(sim_portfolio_pick_other_strategy_reads_nothing),
        cmocka_unit_test(sim_run_every_strategy_empty_tape_finishes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
