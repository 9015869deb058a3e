/*
 * bench/bench_switch.c - cost of one simulated context switch and the
 * engine's event rate.  A benchmark, not a test: it prints figures and
 * checks nothing.
 *
 * Register switch: two bare fibers switching to each other, the cost the
 * engine adds to every change of running thread.  Scheduler round trip:
 * two simulated threads on one CPU alternate through
 * plat_spend_ns(1), so each one is behind the other after every step and
 * every scheduling point switches;
 * the time per switch is wall time / switches, median of repeats.  Event
 * rate: four threads doing lock/spend/unlock and eventfd traffic, simulated
 * events (trace entries) per wall-clock second.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/platform.h"
#include "sim/fiber.h"
#include "sim/sim.h"
#include "sim/tape.h"

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t pingpong_iters;

static void pingpong(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < pingpong_iters; i++) {
        plat_spend_ns(1);
    }
}

static struct plat_lock bench_lock;
static struct plat_eventfd bench_efd;
static uint64_t busy_iters;

static void busy(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < busy_iters; i++) {
        plat_lock(&bench_lock);
        plat_spend_ns(50);
        plat_unlock(&bench_lock);
        plat_eventfd_signal(&bench_efd);
        plat_eventfd_test_and_clear(&bench_efd);
    }
}

/* Raw register switch: two fibers handing control back and forth. */
static struct sim_fiber raw_main, raw_a, raw_b;
static uint64_t raw_iters;

static void raw_entry(void *arg)
{
    (void)arg;
    sim_fiber_started(&raw_b);
    for (;;) {
        sim_fiber_switch(&raw_b, &raw_a);
    }
}

static void raw_driver(void *arg)
{
    (void)arg;
    sim_fiber_started(&raw_a);
    for (uint64_t i = 0; i < raw_iters; i++) {
        sim_fiber_switch(&raw_a, &raw_b);
    }
    raw_a.dying = true;
    sim_fiber_switch(&raw_a, &raw_main);
}

static double raw_switch_ns_once(void)
{
    uint64_t t0, t1;

    sim_fiber_init_main(&raw_main);
    sim_fiber_create(&raw_a, 64 * 1024, raw_driver, NULL);
    sim_fiber_create(&raw_b, 64 * 1024, raw_entry, NULL);
    t0 = wall_ns();
    sim_fiber_switch(&raw_main, &raw_a);
    t1 = wall_ns();
    sim_fiber_destroy(&raw_a);
    sim_fiber_destroy(&raw_b);
    return (double)(t1 - t0) / (double)(2 * raw_iters);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double switch_ns_once(void)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_bytes(NULL, 0);
    struct sim *s;
    uint64_t t0, t1, sw;

    sim_options_default(&o);
    o.ncpus = 1;
    s = sim_create(&o, tape);
    sim_spawn(s, "ping", 0, pingpong, NULL);
    sim_spawn(s, "pong", 0, pingpong, NULL);
    t0 = wall_ns();
    sim_run(s);
    t1 = wall_ns();
    sw = sim_switches(s);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return (double)(t1 - t0) / (double)sw;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 11;
    double v[64];
    struct sim_options o;
    struct sim_tape *tape;
    struct sim *s;
    uint64_t t0, t1, ev;

    if (repeats < 1 || repeats > 64) {
        repeats = 11;
    }
    raw_iters = 5000000;
    for (int i = 0; i < repeats; i++) {
        v[i] = raw_switch_ns_once();
    }
    qsort(v, (size_t)repeats, sizeof(v[0]), cmp_double);
    printf("fiber switch (%s): %.1f ns (median of %d runs of %" PRIu64
           " switches; min %.1f, max %.1f)\n", sim_fiber_kind(),
           v[repeats / 2], repeats,
           2 * raw_iters, v[0], v[repeats - 1]);

    pingpong_iters = 1000000;
    for (int i = 0; i < repeats; i++) {
        v[i] = switch_ns_once();
    }
    qsort(v, (size_t)repeats, sizeof(v[0]), cmp_double);
    printf("scheduler round trip (point + pick + switch): %.1f ns (median of %d runs of %"
           PRIu64 " switches; min %.1f, max %.1f)\n",
           v[repeats / 2], repeats, 2 * pingpong_iters, v[0],
           v[repeats - 1]);

    busy_iters = 200000;
    sim_options_default(&o);
    o.ncpus = 2;
    tape = sim_tape_from_seed(1);
    s = sim_create(&o, tape);
    plat_lock_init(&bench_lock, PLAT_LOCK_SPIN, "bench");
    plat_eventfd_init(&bench_efd, "bench");
    for (int i = 0; i < 4; i++) {
        sim_spawn(s, "busy", (unsigned)i, busy, NULL);
    }
    t0 = wall_ns();
    sim_run(s);
    t1 = wall_ns();
    ev = sim_steps(s);
    printf("simulated events: %.2f M scheduling points/s (%" PRIu64
           " points, %" PRIu64 " switches, %.3f s)\n",
           (double)ev / ((double)(t1 - t0) / 1e9) / 1e6, ev,
           sim_switches(s), (double)(t1 - t0) / 1e9);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return 0;
}
