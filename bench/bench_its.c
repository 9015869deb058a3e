/*
 * bench/bench_its.c - host benchmark of the ITS translation cache variants
 * (core/its_cache.c behind core/its.c): MSI lookups per second for none,
 * global, sharded and lockless with 1 and 2 injecting threads, without and
 * with a third thread invalidating the cache concurrently.  A benchmark,
 * not a test: it prints a table, checks nothing and exits 0 unless setup
 * fails.
 *
 * Setup per cell: 8 vCPUs (so 128-entry LRU lists), 8 devices x 2 events =
 * 16 hot translations (NIC queues), device d's events in collection d
 * (vCPU d), everything enabled.  An
 * injector is an irqfd wakeup loop: its_inject_fast() on the CPU it runs
 * on, and on a miss its_inject_slow() inline (the kworker's work, table
 * lock and all).  Injector w of n takes the devices d with d % n == w, as
 * NIC queues with their own affinity would, so injectors deliver to
 * disjoint vCPUs.  The invalidator issues MOVI back and forth on an event
 * nobody injects (each one invalidates the whole cache), then sleeps
 * INVAL_GAP_US.  A "lookup" is one injection; the figure is lookups per
 * second summed over injectors, the median of RUNS runs of RUN_MS each,
 * with the cache hit rate beside it.
 *
 * Links the host backend (real clock, real threads; plat_cpu_id() is
 * sched_getcpu()).  Build with optimisation for meaningful figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/its.h"
#include "core/platform.h"

#define RUNS 7
#define RUN_MS 200
#define INVAL_GAP_US 50
#define NVCPUS 8
#define NDEVS 8
#define NEVENTS 2
#define MAX_INJECTORS 2

struct bench {
    struct its *its;
    unsigned nthreads;
    plat_atomic64 go;
    plat_atomic64 stop;
    plat_atomic64 lookups;
    plat_atomic64 hits;
    plat_atomic64 invalidations;
};

struct injector_arg {
    struct bench *b;
    unsigned w;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(unsigned us)
{
    struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};

    nanosleep(&ts, NULL);
}

static int run_cmd(struct its *its, struct its_cmd c)
{
    return its_cmd_exec(its, &c);
}

#define CMD(its, ...) run_cmd((its), (struct its_cmd){__VA_ARGS__})

static int setup(struct its *its)
{
    int rc = CMD(its, .op = ITS_CMD_SET_ENABLED, .valid = true);

    for (uint32_t v = 0; v < NVCPUS && rc == 0; v++) {
        rc = CMD(its, .op = ITS_CMD_SET_LPIS, .vcpu = v, .valid = true);
        if (rc == 0) {
            rc = CMD(its, .op = ITS_CMD_MAPC, .icid = v, .vcpu = v,
                     .valid = true);
        }
    }
    for (uint32_t d = 0; d < NDEVS && rc == 0; d++) {
        rc = CMD(its, .op = ITS_CMD_MAPD, .devid = d, .size = 4,
                 .valid = true);
        for (uint32_t e = 0; e < NEVENTS && rc == 0; e++) {
            rc = CMD(its, .op = ITS_CMD_MAPTI, .devid = d, .eventid = e,
                     .intid = ITS_LPI_BASE + d * NEVENTS + e,
                     .icid = d % NVCPUS);
        }
    }
    /* The invalidator's event: never injected. */
    if (rc == 0) {
        rc = CMD(its, .op = ITS_CMD_MAPTI, .devid = 0, .eventid = 15,
                 .intid = ITS_LPI_BASE + 1000, .icid = 0);
    }
    return rc;
}

static void injector(void *p)
{
    struct injector_arg *a = p;
    struct bench *b = a->b;
    const struct its_config *cfg = its_get_config(b->its);
    struct its_msi keys[NDEVS * NEVENTS];
    uint32_t nkeys = 0;
    uint64_t n = 0;
    uint64_t hits = 0;

    for (uint32_t d = 0; d < NDEVS; d++) {
        if (d % b->nthreads != a->w) {
            continue;
        }
        for (uint32_t e = 0; e < NEVENTS; e++) {
            keys[nkeys++] = (struct its_msi){cfg->doorbell, d, e};
        }
    }
    while (!plat_atomic_load(&b->go)) {
    }
    while (!plat_atomic_load(&b->stop)) {
        for (uint32_t i = 0; i < nkeys; i++) {
            struct its_inject_result res;
            int rc = its_inject_fast(b->its, ITS_CPU_SELF, &keys[i], &res);

            if (rc == -EWOULDBLOCK) {
                (void)its_inject_slow(b->its, &keys[i], &res);
            }
            hits += res.hit;
        }
        n += nkeys;
    }
    plat_atomic_fetch_add(&b->lookups, n);
    plat_atomic_fetch_add(&b->hits, hits);
}

static void invalidator(void *p)
{
    struct bench *b = p;
    uint64_t n = 0;

    while (!plat_atomic_load(&b->go)) {
    }
    while (!plat_atomic_load(&b->stop)) {
        (void)CMD(b->its, .op = ITS_CMD_MOVI, .devid = 0, .eventid = 15,
                  .icid = (uint32_t)(n % 2));
        n++;
        sleep_us(INVAL_GAP_US);
    }
    plat_atomic_fetch_add(&b->invalidations, n);
}

struct cell {
    double mlps;     /* million lookups per second */
    double hit_pct;
    double inval_ps; /* invalidations per second */
};

static int run_once(enum its_cache_kind kind, unsigned nthreads, bool inval,
                    struct cell *out)
{
    struct its_config cfg;
    struct bench b;
    struct injector_arg args[MAX_INJECTORS];
    struct plat_thread *t[MAX_INJECTORS + 1];
    unsigned nt = 0;
    uint64_t t0, t1;
    int rc;

    memset(&b, 0, sizeof(b));
    its_config_default(&cfg);
    cfg.cache = kind;
    cfg.nr_vcpus = NVCPUS;
    cfg.nr_collections = NVCPUS;
    rc = its_create(&cfg, &b.its);
    if (rc == 0) {
        rc = setup(b.its);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_its: setup failed: %s\n", strerror(-rc));
        its_destroy(b.its);
        return rc;
    }
    b.nthreads = nthreads;
    for (unsigned w = 0; w < nthreads; w++) {
        args[w] = (struct injector_arg){&b, w};
        rc = plat_thread_create(&t[nt], "injector", injector, &args[w]);
        if (rc != 0) {
            break;
        }
        nt++;
    }
    if (rc == 0 && inval) {
        rc = plat_thread_create(&t[nt], "invalidator", invalidator, &b);
        nt += rc == 0;
    }
    t0 = wall_ns();
    plat_atomic_store(&b.go, 1);
    if (rc == 0) {
        sleep_us(RUN_MS * 1000);
    }
    plat_atomic_store(&b.stop, 1);
    t1 = wall_ns();
    for (unsigned i = 0; i < nt; i++) {
        plat_thread_join(t[i]);
    }
    its_destroy(b.its);
    if (rc != 0) {
        fprintf(stderr, "bench_its: thread creation failed\n");
        return rc;
    }
    out->mlps = (double)plat_atomic_load(&b.lookups) * 1e3 /
                (double)(t1 - t0);
    out->hit_pct = 100.0 * (double)plat_atomic_load(&b.hits) /
                   (double)(plat_atomic_load(&b.lookups) + 1);
    out->inval_ps = (double)plat_atomic_load(&b.invalidations) * 1e9 /
                    (double)(t1 - t0);
    return 0;
}

/* Host calibration: work two independent threads get done, relative to
 * one (2.0 on two free cores; less when the host shares or throttles). */
struct spin_arg {
    plat_atomic64 *go;
    plat_atomic64 *stop;
    uint64_t n;
};

static void spinner(void *p)
{
    struct spin_arg *a = p;
    volatile uint64_t x = 0;

    while (!plat_atomic_load(a->go)) {
    }
    while (!plat_atomic_load(a->stop)) {
        for (int i = 0; i < 1000; i++) {
            x = x + (uint64_t)i;
        }
        a->n++;
    }
    (void)x;
}

static double spin_rate(unsigned nthreads)
{
    plat_atomic64 go = {0};
    plat_atomic64 stop = {0};
    struct spin_arg args[MAX_INJECTORS];
    struct plat_thread *t[MAX_INJECTORS];
    unsigned nt = 0;
    uint64_t t0, t1, n = 0;

    for (unsigned i = 0; i < nthreads; i++) {
        args[i] = (struct spin_arg){&go, &stop, 0};
        if (plat_thread_create(&t[nt], "spin", spinner, &args[i]) == 0) {
            nt++;
        }
    }
    t0 = wall_ns();
    plat_atomic_store(&go, 1);
    sleep_us(RUN_MS * 1000);
    plat_atomic_store(&stop, 1);
    t1 = wall_ns();
    for (unsigned i = 0; i < nt; i++) {
        plat_thread_join(t[i]);
        n += args[i].n;
    }
    return (double)n / (double)(t1 - t0);
}

static int cmp_cell(const void *a, const void *b)
{
    double x = ((const struct cell *)a)->mlps;
    double y = ((const struct cell *)b)->mlps;

    return (x > y) - (x < y);
}

int main(void)
{
    static const struct {
        unsigned nthreads;
        bool inval;
    } cols[] = {{1, false}, {2, false}, {1, true}, {2, true}};
    struct cell res[ITS_CACHE_NR][4];
    double inval_ps = 0;
    double scale = spin_rate(2) / spin_rate(1);

    for (unsigned c = 0; c < 4; c++) {
        for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
            struct cell runs[RUNS];

            for (int r = 0; r < RUNS; r++) {
                if (run_once((enum its_cache_kind)k, cols[c].nthreads,
                             cols[c].inval, &runs[r]) != 0) {
                    return 1;
                }
            }
            qsort(runs, RUNS, sizeof(runs[0]), cmp_cell);
            res[k][c] = runs[RUNS / 2];
            if (cols[c].inval && res[k][c].inval_ps > inval_ps) {
                inval_ps = res[k][c].inval_ps;
            }
        }
    }
    printf("ITS translation: million lookups/s (cache hit %%), median of "
           "%d x %d ms, %ld CPUs online\n", RUNS, RUN_MS,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%d translations, %d vCPUs; +inval: a thread invalidating every "
           "%d us (up to %.0f/s)\n", NDEVS * NEVENTS, NVCPUS,
           INVAL_GAP_US, inval_ps);
    printf("host calibration: 2 independent threads do %.2fx the work of "
           "1\n\n", scale);
    printf("%-9s %15s %15s %15s %15s\n", "variant", "1 thread",
           "2 threads", "1 thr +inval", "2 thr +inval");
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        printf("%-9s", its_cache_kind_name((enum its_cache_kind)k));
        for (unsigned c = 0; c < 4; c++) {
            char cellbuf[32];

            snprintf(cellbuf, sizeof(cellbuf), "%6.2f (%3.0f%%)",
                     res[k][c].mlps, res[k][c].hit_pct);
            printf(" %15s", cellbuf);
        }
        printf("\n");
    }
    return 0;
}
