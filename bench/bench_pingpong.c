/*
 * bench/bench_pingpong.c - host benchmark of one cache-line transfer
 * between two CPUs: the price of model/cost.c's line_transfer_ns.
 *
 * Two threads, pinned to two different CPUs, bounce one 64-byte-aligned
 * counter: the pinger waits for an even value and writes the next odd
 * one, the ponger waits for an odd value and writes the next even one.
 * Every hand-off moves the line from the CPU that wrote it to the CPU
 * that spins on it (a read of a line modified elsewhere, then the write
 * that takes it back to Modified), so a round trip is two transfers and
 * the figure is elapsed / (2 x round trips).
 *
 * One pair of threads runs BURSTS - 1 bursts of ROUNDS round trips; the
 * pinger times each burst itself.  It prints the minimum, the 10th
 * percentile, the median and the maximum over bursts.  On a shared or
 * virtualised machine a burst in which either thread was descheduled is
 * inflated by the descheduling (the maximum shows it); short bursts keep
 * most of them clean, so the median is the transfer price model/cost.c
 * takes.  A benchmark, not a test: it checks nothing and exits 0 unless
 * the threads cannot be created or pinned (exit 1: it needs two CPUs).
 * `lscpu` names the machine the figure belongs to.
 *
 * Usage: bench_pingpong [CPU_A CPU_B]   (default 0 1)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BURSTS 2001 /* the first starts the clock */
#define ROUNDS 1000

struct pp_line {
    _Alignas(64) _Atomic uint64_t v;
    char pad[64 - sizeof(uint64_t)];
};

struct pp_arg {
    struct pp_line *line;
    int cpu;
    uint64_t parity; /* 0: pinger (waits for even), 1: ponger */
    int pin_rc;
    double *burst_ns; /* the pinger's: ns per transfer of each burst */
};

static struct pp_line pp_shared;
static pthread_barrier_t pp_start;

static double pp_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int pp_pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *pp_thread(void *p)
{
    struct pp_arg *a = p;
    uint64_t last = 2 * (uint64_t)ROUNDS * BURSTS;
    uint64_t next_burst = 0;
    unsigned burst = 0;
    double t0 = 0;

    a->pin_rc = pp_pin(a->cpu);
    pthread_barrier_wait(&pp_start);
    for (;;) {
        uint64_t v = atomic_load_explicit(&a->line->v, memory_order_acquire);

        if ((v & 1) != a->parity) {
            if (v >= last) {
                break;
            }
            continue;
        }
        /* The pinger times its own bursts (the main thread may be
         * descheduled while the two pinned threads hold both CPUs). */
        if (a->parity == 0 && v == next_burst) {
            double t = pp_now_ns();

            if (v) {
                a->burst_ns[burst++] = (t - t0) / (2.0 * ROUNDS);
            }
            t0 = t;
            next_burst += 2 * (uint64_t)ROUNDS;
        }
        if (v >= last) {
            break;
        }
        atomic_store_explicit(&a->line->v, v + 1, memory_order_release);
    }
    return NULL;
}

/* Runs BURSTS bursts; 0, -1 when the threads cannot be created, -2 when
 * they cannot be pinned. */
static int pp_run(int cpu_a, int cpu_b, double *burst_ns)
{
    struct pp_arg a = {&pp_shared, cpu_a, 0, 0, burst_ns};
    struct pp_arg b = {&pp_shared, cpu_b, 1, 0, NULL};
    pthread_t ta, tb;

    atomic_store(&pp_shared.v, 0);
    if (pthread_barrier_init(&pp_start, NULL, 3) != 0) {
        return -1;
    }
    if (pthread_create(&ta, NULL, pp_thread, &a) != 0) {
        pthread_barrier_destroy(&pp_start);
        return -1;
    }
    if (pthread_create(&tb, NULL, pp_thread, &b) != 0) {
        /* The pinger cannot finish alone: end the run for it. */
        atomic_store(&pp_shared.v, 2 * (uint64_t)ROUNDS * BURSTS + 1);
        pthread_barrier_wait(&pp_start);
        pthread_join(ta, NULL);
        pthread_barrier_destroy(&pp_start);
        return -1;
    }
    pthread_barrier_wait(&pp_start);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&pp_start);
    return a.pin_rc != 0 || b.pin_rc != 0 ? -2 : 0;
}

static int pp_cmp(const void *x, const void *y)
{
    double a = *(const double *)x;
    double b = *(const double *)y;

    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    int cpu_a = argc == 3 ? atoi(argv[1]) : 0;
    int cpu_b = argc == 3 ? atoi(argv[2]) : 1;
    static double ns[BURSTS];
    int rc;

    if (cpu_a == cpu_b) {
        fprintf(stderr, "bench_pingpong: the two CPUs must differ\n");
        return 1;
    }
    rc = pp_run(cpu_a, cpu_b, ns);
    if (rc < 0) {
        fprintf(stderr, "bench_pingpong: %s\n", rc == -1
                ? "cannot create the threads"
                : "cannot pin the threads (needs two CPUs)");
        return 1;
    }
    qsort(ns, BURSTS - 1, sizeof(ns[0]), pp_cmp);
    printf("cache-line ping-pong, CPU %d <-> CPU %d: %d bursts of %d round "
           "trips\n", cpu_a, cpu_b, BURSTS - 1, ROUNDS);
    printf("ns per transfer: min %.1f, 10th percentile %.1f, median %.1f, "
           "max %.1f\n", ns[0], ns[(BURSTS - 1) / 10],
           ns[(BURSTS - 1) / 2], ns[BURSTS - 2]);
    return 0;
}
