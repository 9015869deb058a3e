/*
 * tests/tsan_platform.c - the host backend under real threads: locks,
 * atomics, eventfds and grace periods, stressed so ThreadSanitizer (label
 * tsan, tsan build) sees every synchronisation the core relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/platform.h"
#include "tests/lib.h"

#define NTHREADS 4
#define ITERS 20000

static struct plat_lock lock;
static uint64_t plain_counter;     /* protected by lock */
static plat_atomic64 atomic_counter;

static void hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        plat_lock(&lock);
        plain_counter++;
        plat_unlock(&lock);
        plat_atomic_fetch_add(&atomic_counter, 1);
    }
}

static void plat_lock_four_threads_count_exactly(void **state)
{
    struct plat_thread *t[NTHREADS];

    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        plain_counter = 0;
        plat_atomic_store(&atomic_counter, 0);
        plat_lock_init(&lock, kind ? PLAT_LOCK_MUTEX : PLAT_LOCK_SPIN, "l");
        for (int i = 0; i < NTHREADS; i++) {
            assert_int_equal(plat_thread_create(&t[i], "hammer", hammer,
                                                NULL), 0);
        }
        for (int i = 0; i < NTHREADS; i++) {
            plat_thread_join(t[i]);
        }
        assert_int_equal(plain_counter, NTHREADS * ITERS);
        assert_int_equal(plat_atomic_load(&atomic_counter), NTHREADS * ITERS);
        plat_lock_destroy(&lock);
    }
}

/* A published object, replaced by an updater while readers read it. */
struct obj {
    uint64_t value;
};

static plat_atomic_ptr published;
static plat_atomic64 stop;
static plat_atomic64 reads;

static void rcu_reader(void *arg)
{
    (void)arg;
    while (!plat_atomic_load(&stop)) {
        struct obj *o;

        plat_rcu_read_lock();
        o = plat_atomic_load_ptr(&published);
        if (o && o->value == 0xdead) {
            abort(); /* a freed object would have been scribbled */
        }
        plat_rcu_read_unlock();
        plat_atomic_fetch_add(&reads, 1);
    }
}

static void plat_rcu_synchronize_protects_readers_of_old_copy(void **state)
{
    struct plat_thread *t[NTHREADS];

    (void)state;
    plat_atomic_store_ptr(&published, calloc(1, sizeof(struct obj)));
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(plat_thread_create(&t[i], "reader", rcu_reader,
                                            NULL), 0);
    }
    for (int i = 0; i < 2000; i++) {
        struct obj *n = calloc(1, sizeof(*n));
        struct obj *old = plat_atomic_load_ptr(&published);

        n->value = (uint64_t)i;
        plat_atomic_store_ptr(&published, n);
        plat_rcu_synchronize();
        old->value = 0xdead;
        free(old);
    }
    plat_atomic_store(&stop, 1);
    for (int i = 0; i < NTHREADS; i++) {
        plat_thread_join(t[i]);
    }
    free(plat_atomic_load_ptr(&published));
    ASSERT_GT(plat_atomic_load(&reads), 0);
}

static struct plat_eventfd ping, pong;
static uint64_t rounds_seen;

static void ponger(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        plat_eventfd_wait(&ping);
        plat_eventfd_test_and_clear(&ping);
        rounds_seen++;
        plat_eventfd_signal(&pong);
    }
}

static void plat_eventfd_ping_pong_2000_rounds(void **state)
{
    struct plat_thread *t;

    (void)state;
    plat_eventfd_init(&ping, "ping");
    plat_eventfd_init(&pong, "pong");
    assert_int_equal(plat_thread_create(&t, "ponger", ponger, NULL), 0);
    for (int i = 0; i < 2000; i++) {
        plat_eventfd_signal(&ping);
        plat_eventfd_wait(&pong);
        plat_eventfd_test_and_clear(&pong);
    }
    plat_thread_join(t);
    assert_int_equal(rounds_seen, 2000);
    plat_eventfd_destroy(&ping);
    plat_eventfd_destroy(&pong);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plat_lock_four_threads_count_exactly),
        cmocka_unit_test(plat_rcu_synchronize_protects_readers_of_old_copy),
        cmocka_unit_test(plat_eventfd_ping_pong_2000_rounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
