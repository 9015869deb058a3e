/*
 * tests/sim_tsan_race.c - ThreadSanitizer on simulated schedules (label
 * tsan): a race between two simulated threads is reported on the first
 * seed under every strategy, and each simulated synchronisation object
 * (lock, eventfd, create, join, grace period, atomic) orders the same
 * accesses so that nothing is reported.  Reports are counted through the
 * runner's sanitizer hook (scn_crash_reports()).  Without ThreadSanitizer
 * the test is skipped (exit 77).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/platform.h"
#include "scenarios/tool/crash.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "sim/tsan.h"

#define ROUNDS 4

#ifdef SIM_TSAN
/* Reports are the expected outcome of some cases: the process's exit code
 * is this test's verdict, not the runtime's.  The runtime reports a race
 * between the same two stacks once per process unless told otherwise, and
 * every case here races between the same stacks. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "exitcode=0:report_signal_unsafe=0:"
           "suppress_equal_stacks=0:suppress_equal_addresses=0";
}
#endif

enum sync_kind {
    SYNC_NONE,      /* the planted race: an unlocked shared counter */
    SYNC_LOCK,
    SYNC_EVENTFD,   /* A writes, signals; B waits, then writes */
    SYNC_JOIN,      /* A writes and ends; B joins A, then writes */
    SYNC_CREATE,    /* A writes, then creates B, which writes */
    SYNC_GRACE,     /* A reads in a section; B waits a grace period */
    SYNC_ATOMIC,    /* A writes, publishes a flag; B sees it, then writes */
};

static const char *const sync_names[] = {
    "none", "lock", "eventfd", "join", "create", "grace period", "atomic",
};

struct world {
    enum sync_kind kind;
    uint64_t *counter;      /* heap: a race report names its block */
    struct plat_lock lock;
    struct plat_eventfd efd;
    plat_atomic64 flag;
    struct plat_thread *a;
};

static struct world w;

static void bump(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t v = *w.counter;

        plat_yield();
        *w.counter = v + 1;
    }
}

static void thread_b(void *arg);

static void thread_a(void *arg)
{
    struct plat_thread *b;

    (void)arg;
    switch (w.kind) {
    case SYNC_LOCK:
        plat_lock(&w.lock);
        bump();
        plat_unlock(&w.lock);
        break;
    case SYNC_EVENTFD:
        bump();
        plat_eventfd_signal(&w.efd);
        break;
    case SYNC_CREATE:
        bump();
        if (plat_thread_create(&b, "b", thread_b, NULL) == 0) {
            plat_thread_join(b);
        }
        break;
    case SYNC_GRACE:
        plat_rcu_read_lock();
        (void)*w.counter;
        plat_yield();
        (void)*w.counter;
        plat_rcu_read_unlock();
        break;
    case SYNC_ATOMIC:
        bump();
        plat_atomic_store(&w.flag, 1);
        break;
    default:
        bump();
        break;
    }
}

static void thread_b(void *arg)
{
    (void)arg;
    switch (w.kind) {
    case SYNC_LOCK:
        plat_lock(&w.lock);
        bump();
        plat_unlock(&w.lock);
        break;
    case SYNC_EVENTFD:
        plat_eventfd_wait(&w.efd);
        bump();
        break;
    case SYNC_JOIN:
        plat_thread_join(w.a);
        bump();
        break;
    case SYNC_GRACE:
        plat_yield();
        plat_rcu_synchronize();
        *w.counter = 7;
        break;
    case SYNC_ATOMIC:
        while (plat_atomic_load(&w.flag) == 0) {
            plat_yield();
        }
        bump();
        break;
    default:
        bump();
        break;
    }
}

/* The driver: A and B (B created by A itself under SYNC_CREATE). */
static void driver(void *arg)
{
    struct plat_thread *b = NULL;

    (void)arg;
    if (plat_thread_create(&w.a, "a", thread_a, NULL) < 0) {
        return;
    }
    if (w.kind != SYNC_CREATE &&
        plat_thread_create(&b, "b", thread_b, NULL) < 0) {
        b = NULL;
    }
    if (b) {
        plat_thread_join(b);
    }
    if (w.kind != SYNC_JOIN) {
        plat_thread_join(w.a);
    }
}

/* Reports raised by one run of `kind` under `strategy` at `seed`. */
static unsigned long run_once(enum sync_kind kind, enum sim_strategy strategy,
                              uint64_t seed, int *failed)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(seed);
    struct sim *s;
    unsigned long before = scn_crash_reports();
    enum sim_result r;

    sim_options_default(&o);
    o.strategy = strategy;
    s = tape ? sim_create(&o, tape) : NULL;
    w.kind = kind;
    w.counter = calloc(1, sizeof(*w.counter));
    plat_lock_init(&w.lock, PLAT_LOCK_MUTEX, "counter");
    plat_eventfd_init(&w.efd, "done");
    plat_atomic_store(&w.flag, 0);
    if (!s || !w.counter || !sim_spawn(s, "driver", 0, driver, NULL)) {
        fprintf(stderr, "cannot set up the simulation\n");
        *failed = 1;
        return 0;
    }
    r = sim_run(s);
    if (r != SIM_OK) {
        fprintf(stderr, "sync %s strategy %d: run ended %s, expected ok\n",
                sync_names[kind], (int)strategy, sim_result_name(r));
        *failed = 1;
    }
    sim_destroy(s);
    sim_tape_destroy(tape);
    plat_eventfd_destroy(&w.efd);
    plat_lock_destroy(&w.lock);
    free(w.counter);
    return scn_crash_reports() - before;
}

int main(void)
{
    static const enum sim_strategy strategies[] = {
        SIM_STRATEGY_TIME, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
        SIM_STRATEGY_POS,  SIM_STRATEGY_SURW,   SIM_STRATEGY_PORTFOLIO,
    };
    int failed = 0;

#ifndef SIM_TSAN
    printf("not a ThreadSanitizer build: skipped\n");
    return 77;
#endif
    for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++) {
        enum sim_strategy st = strategies[i];
        unsigned long n = run_once(SYNC_NONE, st, 1, &failed);

        /* The planted race, on the first seed. */
        if (n == 0) {
            fprintf(stderr, "unlocked counter, strategy %d, seed 1: "
                    "reports %lu, expected at least 1\n", (int)st, n);
            failed = 1;
        }
        for (int k = SYNC_LOCK; k <= SYNC_ATOMIC; k++) {
            for (uint64_t seed = 1; seed <= 3; seed++) {
                n = run_once((enum sync_kind)k, st, seed, &failed);
                if (n != 0) {
                    fprintf(stderr, "counter ordered by %s, strategy %d, "
                            "seed %llu: reports %lu, expected 0\n",
                            sync_names[k], (int)st,
                            (unsigned long long)seed, n);
                    failed = 1;
                }
            }
        }
    }
    printf("%s\n", failed ? "FAILED" : "ok");
    return failed;
}
