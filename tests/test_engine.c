/*
 * tests/test_engine.c - the deterministic engine: time ordering, CPU
 * occupancy, lock waiting, determinism per seed, schedule exploration
 * (random, PCT), deadlock and step-bound reports, exhausted tapes, the
 * nth-call fault loop, threads, grace periods and eventfds, and the
 * teardown after an unclean end (frozen threads, reclaimed blocks).
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
#include "model/cost.h"
#include "sim/coherence.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "tests/lib.h"

/* ---- fixtures ---- */

struct world {
    struct sim_tape *tape;
    struct sim *sim;
};

static void world_open(struct world *w, uint64_t seed,
                       enum sim_strategy strat, unsigned ncpus)
{
    struct sim_options o;

    sim_options_default(&o);
    o.strategy = strat;
    o.ncpus = ncpus;
    o.pct_depth = 2;
    o.pct_steps = 64;
    w->tape = sim_tape_from_seed(seed);
    assert_non_null(w->tape);
    w->sim = sim_create(&o, w->tape);
    assert_non_null(w->sim);
}

static void world_close(struct world *w)
{
    sim_destroy(w->sim);
    sim_tape_destroy(w->tape);
}

/* ---- time ordering ---- */

#define LOG_MAX 256

static struct {
    uint64_t t[LOG_MAX];
    unsigned n;
} tlog;

static void log_spender(void *arg)
{
    uint64_t step = (uint64_t)(uintptr_t)arg;

    for (int i = 0; i < 20; i++) {
        plat_spend_ns(step);
        if (tlog.n < LOG_MAX) {
            tlog.t[tlog.n++] = plat_now_ns();
        }
    }
}

static void sim_run_time_strategy_runs_events_in_time_order(void **state)
{
    struct world w;

    (void)state;
    tlog.n = 0;
    world_open(&w, 1, SIM_STRATEGY_TIME, 4);
    sim_spawn(w.sim, "a", 0, log_spender, (void *)(uintptr_t)7);
    sim_spawn(w.sim, "b", 1, log_spender, (void *)(uintptr_t)13);
    sim_spawn(w.sim, "c", 2, log_spender, (void *)(uintptr_t)29);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    assert_int_equal(tlog.n, 60);
    for (unsigned i = 1; i < tlog.n; i++) {
        ASSERT_LE(tlog.t[i - 1], tlog.t[i]);
    }
    assert_int_equal(sim_now_ns(w.sim), 20 * 29);
    world_close(&w);
}

static uint64_t end_time[4];

static void spend_100(void *arg)
{
    plat_spend_ns(100);
    end_time[(uintptr_t)arg] = plat_now_ns();
}

static void sim_spend_two_threads_one_cpu_serialise(void **state)
{
    struct world w;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    sim_spawn(w.sim, "a", 0, spend_100, (void *)0);
    sim_spawn(w.sim, "b", 0, spend_100, (void *)1);
    sim_spawn(w.sim, "c", 1, spend_100, (void *)2);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    /* a and b share CPU 0: one ends at 100, the other at 200. */
    assert_int_equal(end_time[0] + end_time[1], 300);
    assert_int_equal(end_time[2], 100);
    world_close(&w);
}

static struct plat_lock test_lock;

static void locked_spend(void *arg)
{
    plat_lock(&test_lock);
    plat_spend_ns(1000);
    plat_unlock(&test_lock);
    end_time[(uintptr_t)arg] = plat_now_ns();
}

static void plat_lock_contention_shows_as_virtual_time(void **state)
{
    struct world w;
    uint64_t first, second;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_lock_init(&test_lock, PLAT_LOCK_MUTEX, "test lock");
    sim_spawn(w.sim, "a", 0, locked_spend, (void *)0);
    sim_spawn(w.sim, "b", 1, locked_spend, (void *)1);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    first = end_time[0] < end_time[1] ? end_time[0] : end_time[1];
    second = end_time[0] < end_time[1] ? end_time[1] : end_time[0];
    /* The loser waits for the whole critical section of the winner. */
    ASSERT_GE(first, 1000);
    ASSERT_GE(second, first + 1000);
    plat_lock_destroy(&test_lock);
    world_close(&w);
}

/* ---- determinism and exploration: a racy counter ---- */

static plat_atomic64 racy_counter;

static void racy_incr(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        /* load + store: increments can be lost. */
        uint64_t v = plat_atomic_load(&racy_counter);

        plat_spend_ns(sim_jitter(0, 50));
        plat_atomic_store(&racy_counter, v + 1);
    }
}

static uint64_t racy_hash(uint64_t seed, enum sim_strategy strat,
                          uint64_t *final)
{
    struct world w;
    uint64_t h;

    plat_atomic_store(&racy_counter, 0);
    world_open(&w, seed, strat, 2);
    sim_spawn(w.sim, "inc0", 0, racy_incr, NULL);
    sim_spawn(w.sim, "inc1", 1, racy_incr, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    h = sim_trace_hash(w.sim);
    if (final) {
        *final = plat_atomic_load(&racy_counter);
    }
    world_close(&w);
    return h;
}

static void sim_trace_hash_same_seed_twice_is_equal_100_seeds(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        for (int s = 0; s < 3; s++) {
            uint64_t a = racy_hash(seed, (enum sim_strategy)s, NULL);
            uint64_t b = racy_hash(seed, (enum sim_strategy)s, NULL);

            assert_int_equal(a, b);
        }
    }
}

static void sim_trace_hash_different_seeds_explore_schedules(void **state)
{
    uint64_t hashes[32];
    unsigned distinct = 0;
    bool lost = false;
    uint64_t finals_seen = 0; /* bit v: some seed ended with counter v */

    (void)state;
    for (uint64_t seed = 1; seed <= 32; seed++) {
        uint64_t final;
        uint64_t h = racy_hash(seed, SIM_STRATEGY_RANDOM, &final);
        bool dup = false;

        for (unsigned i = 0; i < distinct; i++) {
            dup |= hashes[i] == h;
        }
        if (!dup) {
            hashes[distinct++] = h;
        }
        lost |= final < 10;
        finals_seen |= 1ull << (final & 63);
    }
    /* Different seeds give different schedules, with different outcomes:
     * lost updates, and more than one final count. */
    ASSERT_GE(distinct, 16);
    assert_true(lost);
    ASSERT_GE(__builtin_popcountll(finals_seen), 2);
}

/* ---- PCT finds a depth-2 ordering bug ---- */

static plat_atomic64 window_open;
static bool bug_seen;

static void opener(void *arg)
{
    (void)arg;
    plat_atomic_store(&window_open, 1);
    for (int i = 0; i < 8; i++) {
        plat_yield();
    }
    plat_atomic_store(&window_open, 0);
}

static void observer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        plat_yield();
    }
    /* The bug: observing the window needs observer to run after the open
     * (ordering 1) and before the close (ordering 2). */
    if (plat_atomic_load(&window_open) == 1) {
        bug_seen = true;
    }
}

static void sim_pct_depth2_finds_window_bug_within_100_runs(void **state)
{
    int found_at = -1;

    (void)state;
    for (uint64_t seed = 1; seed <= 100 && found_at < 0; seed++) {
        struct world w;

        bug_seen = false;
        plat_atomic_store(&window_open, 0);
        world_open(&w, seed, SIM_STRATEGY_PCT, 2);
        sim_spawn(w.sim, "observer", 1, observer, NULL);
        sim_spawn(w.sim, "opener", 0, opener, NULL);
        assert_int_equal(sim_run(w.sim), SIM_OK);
        world_close(&w);
        if (bug_seen) {
            found_at = (int)seed;
        }
    }
    print_message("PCT(d=2) found the window bug at run %d\n", found_at);
    ASSERT_GT(found_at, 0);
}

/* ---- deadlock and livelock ---- */

static struct plat_lock lock_a, lock_b;

static void take_ab(void *arg)
{
    (void)arg;
    plat_lock(&lock_a);
    plat_spend_ns(10);
    plat_lock(&lock_b);
}

static void take_ba(void *arg)
{
    (void)arg;
    plat_lock(&lock_b);
    plat_spend_ns(10);
    plat_lock(&lock_a);
}

static void sim_run_lock_order_inversion_reports_deadlock(void **state)
{
    struct world w;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_lock_init(&lock_a, PLAT_LOCK_MUTEX, "lock A");
    plat_lock_init(&lock_b, PLAT_LOCK_MUTEX, "lock B");
    sim_spawn(w.sim, "first", 0, take_ab, NULL);
    sim_spawn(w.sim, "second", 1, take_ba, NULL);
    assert_int_equal(sim_run(w.sim), SIM_DEADLOCK);
    f = open_memstream(&buf, &len);
    sim_report(w.sim, f);
    fclose(f);
    assert_non_null(strstr(buf, "'first'"));
    assert_non_null(strstr(buf, "'second'"));
    assert_non_null(strstr(buf, "waits on lock 'lock A'"));
    assert_non_null(strstr(buf, "waits on lock 'lock B'"));
    free(buf);
    world_close(&w);
}

static plat_atomic64 never_set;

static void spinner(void *arg)
{
    (void)arg;
    while (plat_atomic_load(&never_set) == 0) {
    }
}

static void sim_run_spin_forever_hits_step_limit(void **state)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim *s;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    sim_options_default(&o);
    o.step_limit = 5000;
    s = sim_create(&o, tape);
    sim_spawn(s, "spinner", 0, spinner, NULL);
    assert_int_equal(sim_run(s), SIM_STEP_LIMIT);
    ASSERT_GE(sim_steps(s), 5000);
    f = open_memstream(&buf, &len);
    sim_report(s, f);
    fclose(f);
    assert_non_null(strstr(buf, "'spinner'"));
    assert_non_null(strstr(buf, "runnable"));
    free(buf);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

/* ---- exhausted tape ---- */

static void sim_run_empty_tape_uses_defaults_and_completes(void **state)
{
    uint64_t h[2];

    (void)state;
    for (int i = 0; i < 2; i++) {
        struct sim_options o;
        struct sim_tape *tape = sim_tape_from_bytes(NULL, 0);
        struct sim *s;

        sim_options_default(&o);
        o.strategy = SIM_STRATEGY_RANDOM;
        s = sim_create(&o, tape);
        plat_atomic_store(&racy_counter, 0);
        sim_spawn(s, "inc0", 0, racy_incr, NULL);
        sim_spawn(s, "inc1", 1, racy_incr, NULL);
        assert_int_equal(sim_run(s), SIM_OK);
        assert_true(sim_tape_exhausted(tape));
        /* Default: always the first runnable thread, no jitter. */
        assert_int_equal(plat_atomic_load(&racy_counter), 10);
        h[i] = sim_trace_hash(s);
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
    assert_int_equal(h[0], h[1]);
}

/* ---- the nth-call fault loop ---- */

struct node {
    struct node *next;
};

/* Allocates n nodes; on failure frees what it had and returns -ENOMEM. */
static int build_list(unsigned n, struct node **out)
{
    struct node *head = NULL;

    for (unsigned i = 0; i < n; i++) {
        struct node *x = plat_alloc(sizeof(*x));

        if (!x) {
            while (head) {
                struct node *next = head->next;

                plat_free(head);
                head = next;
            }
            return -12;
        }
        x->next = head;
        head = x;
    }
    *out = head;
    return 0;
}

static void free_list(struct node *h)
{
    while (h) {
        struct node *next = h->next;

        plat_free(h);
        h = next;
    }
}

static void plat_alloc_nth_call_loop_fails_each_call_then_succeeds(
    void **state)
{
    struct fault_loop fl;
    uint64_t live = sim_alloc_live();

    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        struct node *list = NULL;

        if (FAULT_LOOP_CALL(fl, build_list(5, &list)) != 0) {
            /* Every failure leaves nothing allocated. */
            assert_true(fl.faulted);
            assert_int_equal(sim_alloc_live(), live);
            continue;
        }
        /* Calls 1..5 each failed once; the sixth attempt went through. */
        assert_false(fl.faulted);
        assert_int_equal(fl.n, 6);
        free_list(list);
        assert_int_equal(sim_alloc_live(), live);
    }
    sim_fault_reset();
    (void)state;
}

/* ---- threads, grace periods, eventfds ---- */

static bool child_ran;

static void child(void *arg)
{
    (void)arg;
    plat_spend_ns(500);
    child_ran = true;
}

static int create_rc;
static uint64_t joined_at;

/* Simulated threads record what they saw; the test asserts after the run
 * (cmocka's failure jump must not leave a fiber stack). */
static void parent(void *arg)
{
    struct plat_thread *t = NULL;

    (void)arg;
    joined_at = 0;
    create_rc = plat_thread_create(&t, "child", child, NULL);
    if (create_rc == 0) {
        plat_thread_join(t);
        joined_at = plat_now_ns();
    }
}

static void plat_thread_create_fault_is_eagain_and_fn_not_called(
    void **state)
{
    struct world w;

    (void)state;
    child_ran = false;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    sim_fault_fail_nth(PLAT_FAULT_THREAD_CREATE, 1, false);
    sim_spawn(w.sim, "parent", 0, parent, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    assert_int_equal(create_rc, -11);
    assert_false(child_ran);
    world_close(&w);

    sim_fault_reset();
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    sim_spawn(w.sim, "parent", 0, parent, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    assert_int_equal(create_rc, 0);
    assert_true(child_ran);
    /* Joining waits for the child's work. */
    ASSERT_GE(joined_at, 500);
    world_close(&w);
}

static uint64_t reader_left_ns, sync_done_ns;

static void reader(void *arg)
{
    (void)arg;
    plat_rcu_read_lock();
    plat_spend_ns(10000);
    reader_left_ns = plat_now_ns();
    plat_rcu_read_unlock();
}

static void updater(void *arg)
{
    (void)arg;
    plat_spend_ns(100);
    plat_rcu_synchronize();
    sync_done_ns = plat_now_ns();
}

static void plat_rcu_synchronize_waits_for_reader_in_flight(void **state)
{
    struct world w;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    sim_spawn(w.sim, "reader", 0, reader, NULL);
    sim_spawn(w.sim, "updater", 1, updater, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    ASSERT_GE(sync_done_ns, reader_left_ns);
    world_close(&w);
}

static struct plat_eventfd efd;
static uint64_t woke_at;
static bool first_clear, second_clear;

static void efd_waiter(void *arg)
{
    (void)arg;
    plat_eventfd_wait(&efd);
    woke_at = plat_now_ns();
    first_clear = plat_eventfd_test_and_clear(&efd);
    second_clear = plat_eventfd_test_and_clear(&efd);
}

static void efd_signaller(void *arg)
{
    (void)arg;
    plat_spend_ns(3000);
    plat_eventfd_signal(&efd);
}

static void plat_eventfd_wait_sleeps_until_signal(void **state)
{
    struct world w;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_eventfd_init(&efd, "efd");
    sim_spawn(w.sim, "waiter", 0, efd_waiter, NULL);
    sim_spawn(w.sim, "signaller", 1, efd_signaller, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    ASSERT_GE(woke_at, 3000);
    assert_true(first_clear);
    assert_false(second_clear);
    plat_eventfd_destroy(&efd);
    world_close(&w);
}

static void daemon_forever(void *arg)
{
    (void)arg;
    plat_eventfd_wait(&efd);
}

static void sim_run_blocked_daemon_does_not_deadlock(void **state)
{
    struct world w;
    struct sim_thread *d;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_eventfd_init(&efd, "never");
    d = sim_spawn(w.sim, "daemon", 0, daemon_forever, NULL);
    sim_thread_set_daemon(d, true);
    sim_spawn(w.sim, "worker", 1, spend_100, (void *)3);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    world_close(&w);
}

/* ---- unclean ends: frozen threads and the world's teardown ---- */

static struct plat_lock frozen_lock;
static struct plat_eventfd frozen_efd;
static void *frozen_blocks[3];

static struct sim *open_bounded(struct sim_tape **tape, uint64_t limit)
{
    struct sim_options o;

    sim_options_default(&o);
    o.ncpus = 2;
    o.step_limit = limit;
    *tape = sim_tape_from_seed(1);
    assert_non_null(*tape);
    return sim_create(&o, *tape);
}

static void hold_and_spin(void *arg)
{
    (void)arg;
    plat_lock(&frozen_lock);
    spinner(NULL);
}

static void wait_for_lock(void *arg)
{
    (void)arg;
    plat_spend_ns(100);
    plat_lock(&frozen_lock);
    plat_unlock(&frozen_lock);
}

static void plat_lock_destroy_held_and_awaited_after_step_limit_releases(
    void **state)
{
    struct sim_tape *tape;
    struct sim *s = open_bounded(&tape, 2000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    plat_lock_init(&frozen_lock, PLAT_LOCK_MUTEX, "frozen lock");
    sim_spawn(s, "holder", 0, hold_and_spin, NULL);
    sim_spawn(s, "waiter", 1, wait_for_lock, NULL);
    assert_int_equal(sim_run(s), SIM_STEP_LIMIT);
    assert_int_equal(sim_frozen_threads(s), 2);
    /* The teardown destroys the lock: no panic, and it is free again. */
    plat_lock_destroy(&frozen_lock);
    plat_lock_init(&frozen_lock, PLAT_LOCK_MUTEX, "frozen lock");
    plat_lock(&frozen_lock);
    assert_true(plat_lock_held(&frozen_lock));
    plat_unlock(&frozen_lock);
    plat_lock_destroy(&frozen_lock);
    /* The report still names what each thread waited on. */
    f = open_memstream(&buf, &len);
    sim_report(s, f);
    fclose(f);
    assert_non_null(strstr(buf, "'holder'"));
    assert_non_null(strstr(buf, "'waiter'"));
    assert_non_null(strstr(buf, "waits on lock 'frozen lock'"));
    free(buf);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

static void wait_for_efd(void *arg)
{
    (void)arg;
    plat_eventfd_wait(&frozen_efd);
}

static void plat_eventfd_destroy_with_waiters_after_deadlock_releases(
    void **state)
{
    struct sim_tape *tape;
    struct sim *s = open_bounded(&tape, 1000000);

    (void)state;
    plat_eventfd_init(&frozen_efd, "never signalled");
    sim_spawn(s, "waiter 1", 0, wait_for_efd, NULL);
    sim_spawn(s, "waiter 2", 1, wait_for_efd, NULL);
    assert_int_equal(sim_run(s), SIM_DEADLOCK);
    assert_int_equal(sim_frozen_threads(s), 2);
    plat_eventfd_destroy(&frozen_efd);
    /* Destroyed for real: usable again only after a new init. */
    plat_eventfd_init(&frozen_efd, "again");
    plat_eventfd_signal(&frozen_efd);
    assert_true(plat_eventfd_test_and_clear(&frozen_efd));
    plat_eventfd_destroy(&frozen_efd);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

static void alloc_then_spin(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        frozen_blocks[i] = plat_alloc(64);
        assert_non_null(frozen_blocks[i]);
    }
    spinner(NULL);
}

static void sim_destroy_after_step_limit_reclaims_frozen_blocks(void **state)
{
    uint64_t live0 = sim_alloc_live();
    struct sim_tape *tape;
    struct sim *s = open_bounded(&tape, 500);
    void *world = plat_zalloc(32);   /* the world's: torn down first */
    void *later;

    (void)state;
    sim_spawn(s, "allocator", 0, alloc_then_spin, NULL);
    assert_int_equal(sim_run(s), SIM_STEP_LIMIT);
    assert_int_equal(sim_alloc_live(), live0 + 4);
    plat_free(world);
    /* Allocated after the run: not the run's, survives sim_destroy(). */
    later = plat_alloc(16);
    sim_destroy(s);
    assert_int_equal(sim_alloc_live(), live0 + 1);
    memset(later, 0, 16);
    plat_free(later);
    assert_int_equal(sim_alloc_live(), live0);
    sim_tape_destroy(tape);
}

static void alloc_and_finish(void *arg)
{
    (void)arg;
    frozen_blocks[0] = plat_alloc(64);
}

static void sim_destroy_after_clean_run_keeps_blocks_of_the_run(void **state)
{
    uint64_t live0 = sim_alloc_live();
    struct sim_tape *tape;
    struct sim *s = open_bounded(&tape, 1000000);

    (void)state;
    sim_spawn(s, "allocator", 0, alloc_and_finish, NULL);
    assert_int_equal(sim_run(s), SIM_OK);
    assert_int_equal(sim_frozen_threads(s), 0);
    sim_destroy(s);
    /* Nothing was frozen: the block is the caller's, still valid. */
    assert_int_equal(sim_alloc_live(), live0 + 1);
    memset(frozen_blocks[0], 1, 64);
    plat_free(frozen_blocks[0]);
    assert_int_equal(sim_alloc_live(), live0);
    sim_tape_destroy(tape);
}

static void read_and_spin(void *arg)
{
    (void)arg;
    plat_rcu_read_lock();
    spinner(NULL);
}

static void wait_grace_period(void *arg)
{
    (void)arg;
    plat_spend_ns(100);
    plat_rcu_synchronize();
}

/* Under LeakSanitizer this also shows the grace period's snapshot of a
 * frozen waiter is freed. */
static void sim_destroy_after_step_limit_in_grace_period_wait(void **state)
{
    struct sim_tape *tape;
    struct sim *s = open_bounded(&tape, 2000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    sim_spawn(s, "reader", 0, read_and_spin, NULL);
    sim_spawn(s, "updater", 1, wait_grace_period, NULL);
    assert_int_equal(sim_run(s), SIM_STEP_LIMIT);
    f = open_memstream(&buf, &len);
    sim_report(s, f);
    fclose(f);
    assert_non_null(strstr(buf, "waits on grace period"));
    free(buf);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

/* Death tests: the panic hook jumps back instead of letting abort() run. */
static void plat_eventfd_destroy_with_daemon_waiter_after_ok_panics(
    void **state)
{
    struct world w;
    struct sim_thread *d;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_eventfd_init(&efd, "daemon's");
    d = sim_spawn(w.sim, "daemon", 0, daemon_forever, NULL);
    sim_thread_set_daemon(d, true);
    sim_spawn(w.sim, "worker", 1, spend_100, (void *)3);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    assert_int_equal(sim_frozen_threads(w.sim), 0);
    EXPECT_PANIC(plat_eventfd_destroy(&efd),
                 "eventfd 'daemon's' destroyed with waiters");
    world_close(&w);
}

static void hold_forever(void *arg)
{
    (void)arg;
    plat_lock(&frozen_lock);
    plat_eventfd_wait(&efd);
}

static void plat_lock_destroy_held_by_daemon_after_ok_panics(void **state)
{
    struct world w;
    struct sim_thread *d;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 2);
    plat_eventfd_init(&efd, "never");
    plat_lock_init(&frozen_lock, PLAT_LOCK_MUTEX, "daemon's lock");
    d = sim_spawn(w.sim, "daemon", 0, hold_forever, NULL);
    sim_thread_set_daemon(d, true);
    sim_spawn(w.sim, "worker", 1, spend_100, (void *)3);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    EXPECT_PANIC(plat_lock_destroy(&frozen_lock),
                 "lock 'daemon's lock' destroyed while held or awaited");
    world_close(&w);
}

/* ---- where a check runs ---- */

static char where_seen[2][64];

static void where_reporter(void *arg)
{
    (void)arg;
    plat_trace_begin("outer op");
    plat_trace_begin("inner op");
    sim_where(where_seen[0], sizeof(where_seen[0]));
    plat_trace_end();
    plat_trace_end();
    sim_where(where_seen[1], sizeof(where_seen[1]));
}

static void sim_where_names_thread_and_innermost_span(void **state)
{
    struct world w;
    char after[64];

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 1);
    sim_spawn(w.sim, "checker", 0, where_reporter, NULL);
    assert_int_equal(sim_run(w.sim), SIM_OK);
    assert_string_equal(where_seen[0], "thread 'checker' in inner op");
    assert_string_equal(where_seen[1], "thread 'checker'");
    assert_string_equal(sim_where(after, sizeof(after)), "after the run");
    world_close(&w);
}

/* ---- cache lines (sim/coherence.c) ---- */

/* One touch of the shared line: on `cpu`, at step `i` (1 us apart), and
 * whether it must stall for a transfer. */
struct line_step {
    unsigned cpu;
    enum plat_line_access access;
    bool transfer;
};

static const struct line_step line_steps[] = {
    {0, PLAT_LINE_RMW, false},   /* nobody holds it */
    {0, PLAT_LINE_RMW, false},   /* Modified here */
    {1, PLAT_LINE_READ, true},   /* Modified on 0 */
    {1, PLAT_LINE_READ, false},  /* Shared, with a copy here */
    {2, PLAT_LINE_READ, false},  /* Shared, clean: no owner to fetch from */
    {1, PLAT_LINE_STORE, false}, /* a store does not stall */
    {0, PLAT_LINE_READ, true},   /* Modified on 1 (by the store) */
    {0, PLAT_LINE_RMW, true},    /* Shared with 1: invalidate it */
    {0, PLAT_LINE_RMW, false},   /* Modified here */
    {3, PLAT_LINE_STORE, false}, /* store: no stall, takes the line */
    {3, PLAT_LINE_RMW, false},   /* Modified here */
    {2, PLAT_LINE_READ, true},   /* Modified on 3 */
};
#define LINE_NSTEPS (sizeof(line_steps) / sizeof(line_steps[0]))

static struct plat_line line_shared;
static uint64_t line_paid[LINE_NSTEPS];

static void line_toucher(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    uint64_t t0;

    sim_sleep_ns(1000 * (uint64_t)(i + 1));
    t0 = plat_now_ns();
    plat_line_touch(&line_shared, line_steps[i].access);
    line_paid[i] = plat_now_ns() - t0;
}

static void plat_line_touch_mesi_rule_table(void **state)
{
    struct world w;
    struct cost_model cm;
    unsigned want = 0;

    (void)state;
    world_open(&w, 1, SIM_STRATEGY_TIME, 4);
    cost_model_default(&cm);
    cm.line_transfer_ns = 77;
    sim_set_cost_model(w.sim, &cm);
    plat_line_init(&line_shared);
    for (unsigned i = 0; i < LINE_NSTEPS; i++) {
        sim_spawn(w.sim, "toucher", line_steps[i].cpu, line_toucher,
                  (void *)(uintptr_t)i);
    }
    assert_int_equal(sim_run(w.sim), SIM_OK);
    for (unsigned i = 0; i < LINE_NSTEPS; i++) {
        uint64_t expect = line_steps[i].transfer ? 77 : 0;

        if (line_paid[i] != expect) {
            fail_msg("step %u (CPU %u): paid %llu ns, want %llu", i,
                     line_steps[i].cpu, (unsigned long long)line_paid[i],
                     (unsigned long long)expect);
        }
        want += line_steps[i].transfer;
    }
    assert_int_equal(sim_line_transfers(w.sim), want);
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_run_time_strategy_runs_events_in_time_order),
        cmocka_unit_test(sim_where_names_thread_and_innermost_span),
        cmocka_unit_test(sim_spend_two_threads_one_cpu_serialise),
        cmocka_unit_test(plat_lock_contention_shows_as_virtual_time),
        cmocka_unit_test(sim_trace_hash_same_seed_twice_is_equal_100_seeds),
        cmocka_unit_test(sim_trace_hash_different_seeds_explore_schedules),
        cmocka_unit_test(sim_pct_depth2_finds_window_bug_within_100_runs),
        cmocka_unit_test(sim_run_lock_order_inversion_reports_deadlock),
        cmocka_unit_test(sim_run_spin_forever_hits_step_limit),
        cmocka_unit_test(sim_run_empty_tape_uses_defaults_and_completes),
        cmocka_unit_test_setup_teardown(
            plat_alloc_nth_call_loop_fails_each_call_then_succeeds,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            plat_thread_create_fault_is_eagain_and_fn_not_called,
            reset_faults, reset_faults),
        cmocka_unit_test(plat_rcu_synchronize_waits_for_reader_in_flight),
        cmocka_unit_test(plat_eventfd_wait_sleeps_until_signal),
        cmocka_unit_test(sim_run_blocked_daemon_does_not_deadlock),
        cmocka_unit_test(
            plat_lock_destroy_held_and_awaited_after_step_limit_releases),
        cmocka_unit_test(
            plat_eventfd_destroy_with_waiters_after_deadlock_releases),
        cmocka_unit_test(sim_destroy_after_step_limit_reclaims_frozen_blocks),
        cmocka_unit_test(sim_destroy_after_clean_run_keeps_blocks_of_the_run),
        cmocka_unit_test(sim_destroy_after_step_limit_in_grace_period_wait),
        cmocka_unit_test(
            plat_eventfd_destroy_with_daemon_waiter_after_ok_panics),
        cmocka_unit_test(plat_lock_destroy_held_by_daemon_after_ok_panics),
        cmocka_unit_test(plat_line_touch_mesi_rule_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
