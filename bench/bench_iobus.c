/*
 * bench/bench_iobus.c - host benchmark of the I/O bus lookup variants
 * (core/iobus.c): nanoseconds per lookup for linear, bsearch and eytzinger
 * at 10, 100, 200 and 1000 ranges, all measured in the same run on the same
 * buses, printed with ratios.  A benchmark, not a test: it checks nothing
 * and always exits 0 unless setup fails.
 *
 * Layout: n non-overlapping ranges of 1, 2, 4 or 8 bytes, one per 64-byte
 * slot at a pseudo-random offset.  Accesses: 65536 pre-drawn (addr, len)
 * pairs from a fixed-seed SplitMix64, half inside a random range (hits),
 * half in the gaps or past the last range (misses).
 *
 * Table 1 ("lookup") times iobus_probe(): the search alone, no read-side
 * section, no device call.  Table 2 ("dispatch") times iobus_write(): the
 * full path with the host backend's read-side lock (a pthread rwlock) and a
 * device that accepts.  Table 3 is the seed's own case: n ranges on one
 * byte, every access to the byte after it (always a miss, always the same
 * address, so the branch predictor learns it), timed with iobus_probe().
 * Each cell is the median over RUNS runs; the variants take turns inside
 * every run so drift hits them alike.
 *
 * Links the host backend (real clock).  Build with optimisation
 * (-DCMAKE_BUILD_TYPE=Release) for meaningful figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/iobus.h"
#include "core/platform.h"

#define NQ 65536       /* accesses per pass: too many for a branch
                          predictor to learn the sequence */
#define RUNS 15        /* runs per cell; the median is reported */
#define TARGET_NS 2000000ull /* wall time per cell per run */

static const unsigned sizes[] = { 10, 100, 200, 1000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct query {
    uint64_t addr;
    unsigned alen;
};

struct bench_dev {
    struct iobus_dev dev;
    uint64_t writes;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                       const void *data)
{
    (void)addr;
    (void)alen;
    (void)data;
    ((struct bench_dev *)(void *)d)->writes++;
    return 0;
}

static const struct iobus_dev_ops bench_ops = { .write = bench_write };

struct layout {
    struct iobus_set set;
    struct bench_dev *devs;
    uint64_t *addr;
    uint64_t *len;
    struct query q[NQ];
};

static int layout_build(struct layout *l, unsigned n, uint64_t seed)
{
    static const uint64_t lens[] = { 1, 2, 4, 8 };
    uint64_t s = seed;

    iobus_set_init(&l->set, IOBUS_LOOKUP_BSEARCH);
    l->devs = calloc(n, sizeof(*l->devs));
    l->addr = calloc(n, sizeof(*l->addr));
    l->len = calloc(n, sizeof(*l->len));
    if (!l->devs || !l->addr || !l->len) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        int rc;

        l->len[i] = lens[splitmix(&s) % 4];
        l->addr[i] = 0x10000 + (uint64_t)i * 64 + splitmix(&s) % (64 - 8);
        iobus_dev_init(&l->devs[i].dev, &bench_ops, i, 0);
        rc = iobus_register(&l->set, IOBUS_MMIO, l->addr[i], l->len[i],
                            &l->devs[i].dev);
        if (rc) {
            return rc;
        }
    }
    for (unsigned k = 0; k < NQ; k++) {
        unsigned i = (unsigned)(splitmix(&s) % n);

        if (k % 2 == 0) {
            /* Hit: a byte-sized access somewhere inside range i. */
            l->q[k].addr = l->addr[i] + splitmix(&s) % l->len[i];
            l->q[k].alen = 1;
        } else if (k % 8 == 1) {
            /* Miss past the last range. */
            l->q[k].addr = 0x10000 + (uint64_t)n * 64 + splitmix(&s) % 4096;
            l->q[k].alen = 4;
        } else {
            /* Miss in the gap after range i. */
            l->q[k].addr = l->addr[i] + l->len[i] +
                           splitmix(&s) % (64 - 8 - l->len[i] + 1);
            l->q[k].alen = 1;
            if (l->q[k].addr >= 0x10000 + (uint64_t)(i + 1) * 64) {
                l->q[k].addr = 0x10000 + (uint64_t)(i + 1) * 64 - 1;
            }
            if (i + 1 < n && l->q[k].addr >= l->addr[i + 1]) {
                l->q[k].addr = l->addr[i + 1] - 1;
            }
        }
    }
    return 0;
}

/* The seed's test: n ioeventfd-like ranges on one byte, the guest
 * accessing the next byte. */
static int layout_build_seed(struct layout *l, unsigned n)
{
    iobus_set_init(&l->set, IOBUS_LOOKUP_BSEARCH);
    l->devs = calloc(n, sizeof(*l->devs));
    l->addr = calloc(n, sizeof(*l->addr));
    l->len = calloc(n, sizeof(*l->len));
    if (!l->devs || !l->addr || !l->len) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        int rc;

        l->addr[i] = 0x1000;
        l->len[i] = 1;
        iobus_dev_init(&l->devs[i].dev, &bench_ops, i, IOBUS_DEV_UNCOUNTED);
        rc = iobus_register(&l->set, IOBUS_MMIO, 0x1000, 1, &l->devs[i].dev);
        if (rc) {
            return rc;
        }
    }
    for (unsigned k = 0; k < NQ; k++) {
        l->q[k].addr = 0x1001;
        l->q[k].alen = 1;
    }
    return 0;
}

static void layout_free(struct layout *l)
{
    /* The bench devices have no destructor; the arrays are ours. */
    iobus_set_destroy(&l->set);
    free(l->devs);
    free(l->addr);
    free(l->len);
}

static volatile uint64_t sink;

/* passes over the query array with iobus_probe(); returns wall ns. */
static uint64_t time_probe(struct layout *l, enum iobus_lookup v,
                           unsigned passes, uint64_t *found,
                           uint64_t *probes)
{
    uint64_t t0;
    uint64_t t1;
    uint64_t f = 0;
    uint64_t p = 0;

    t0 = wall_ns();
    for (unsigned r = 0; r < passes; r++) {
        for (unsigned k = 0; k < NQ; k++) {
            struct iobus_hit hit;

            f += iobus_probe(&l->set, IOBUS_MMIO, v, l->q[k].addr,
                             l->q[k].alen, &hit) == 0;
            p += hit.probes;
        }
    }
    t1 = wall_ns();
    *found = f;
    *probes = p;
    return t1 - t0;
}

static uint64_t time_write(struct layout *l, enum iobus_lookup v,
                           unsigned passes, uint64_t *found,
                           uint64_t *probes)
{
    uint64_t t0;
    uint64_t t1;
    uint64_t f = 0;
    uint64_t p = 0;
    uint32_t val = 0;

    iobus_set_lookup(&l->set, v);
    t0 = wall_ns();
    for (unsigned r = 0; r < passes; r++) {
        for (unsigned k = 0; k < NQ; k++) {
            struct iobus_hit hit;

            f += iobus_write(&l->set, IOBUS_MMIO, l->q[k].addr,
                             l->q[k].alen, &val, &hit) == 0;
            p += hit.probes;
        }
    }
    t1 = wall_ns();
    *found = f;
    *probes = p;
    return t1 - t0;
}

typedef uint64_t timer_fn(struct layout *l, enum iobus_lookup v,
                          unsigned passes, uint64_t *found,
                          uint64_t *probes);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

struct cell {
    double ns;          /* median ns per lookup */
    double spread;      /* (max - min) / median over the runs */
    double probes;      /* comparisons per lookup */
    double hit_ratio;
};

/* Measure every variant on layout l, interleaved per run. */
static void measure(struct layout *l, timer_fn *fn,
                    struct cell out[IOBUS_LOOKUP_NR])
{
    double runs[IOBUS_LOOKUP_NR][RUNS];
    unsigned passes[IOBUS_LOOKUP_NR];

    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        uint64_t f;
        uint64_t p;
        uint64_t ns;

        /* Warm up and calibrate to about TARGET_NS per run. */
        fn(l, (enum iobus_lookup)v, 1, &f, &p);
        ns = fn(l, (enum iobus_lookup)v, 1, &f, &p);
        passes[v] = ns ? (unsigned)(TARGET_NS / ns) : 1000;
        if (passes[v] < 1) {
            passes[v] = 1;
        }
        out[v].probes = (double)p / NQ;
        out[v].hit_ratio = (double)f / NQ;
    }
    for (unsigned r = 0; r < RUNS; r++) {
        for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
            uint64_t f;
            uint64_t p;
            uint64_t ns = fn(l, (enum iobus_lookup)v, passes[v], &f, &p);

            sink += f;
            runs[v][r] = (double)ns / ((double)passes[v] * NQ);
        }
    }
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        qsort(runs[v], RUNS, sizeof(double), cmp_double);
        out[v].ns = runs[v][RUNS / 2];
        out[v].spread = (runs[v][RUNS - 1] - runs[v][0]) / out[v].ns;
    }
}

static void print_table(const char *title,
                        struct cell c[NSIZES][IOBUS_LOOKUP_NR])
{
    printf("\n%s\n", title);
    printf("%7s %10s %10s %10s   %14s %14s %14s   %s\n", "ranges",
           "linear", "bsearch", "eytzinger", "bsearch/linear",
           "eytz/linear", "eytz/bsearch", "probes/lookup (l/b/e)");
    for (unsigned i = 0; i < NSIZES; i++) {
        printf("%7u %7.1f ns %7.1f ns %7.1f ns   %13.1fx %13.1fx %13.2fx"
               "   %.1f/%.1f/%.1f\n",
               sizes[i], c[i][0].ns, c[i][1].ns, c[i][2].ns,
               c[i][0].ns / c[i][1].ns, c[i][0].ns / c[i][2].ns,
               c[i][1].ns / c[i][2].ns, c[i][0].probes, c[i][1].probes,
               c[i][2].probes);
    }
    printf("%7s", "spread");
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        double worst = 0;

        for (unsigned i = 0; i < NSIZES; i++) {
            if (c[i][v].spread > worst) {
                worst = c[i][v].spread;
            }
        }
        printf(" %9.0f%%", worst * 100);
    }
    printf("   (max (max-min)/median over %d runs)\n", RUNS);
}

static const char *verdict(int met)
{
    return met ? "met" : "NOT met";
}

int main(void)
{
    static struct layout layouts[NSIZES];
    static struct layout seed_layouts[NSIZES];
    static struct cell lookup[NSIZES][IOBUS_LOOKUP_NR];
    static struct cell dispatch[NSIZES][IOBUS_LOOKUP_NR];
    static struct cell seed[NSIZES][IOBUS_LOOKUP_NR];
    double r;

    printf("bench_iobus: %d accesses per pass (half hits), median of %d "
           "runs, seed 42\n", NQ, RUNS);
#ifndef __OPTIMIZE__
    printf("warning: built without optimisation; configure with "
           "-DCMAKE_BUILD_TYPE=Release\n");
#endif
    for (unsigned i = 0; i < NSIZES; i++) {
        int rc = layout_build(&layouts[i], sizes[i], 42 + sizes[i]);

        if (rc == 0) {
            rc = layout_build_seed(&seed_layouts[i], sizes[i]);
        }

        if (rc) {
            fprintf(stderr, "bench_iobus: setup of %u ranges failed: %d\n",
                    sizes[i], rc);
            return 1;
        }
    }
    for (unsigned i = 0; i < NSIZES; i++) {
        measure(&layouts[i], time_probe, lookup[i]);
        for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
            if (lookup[i][v].hit_ratio < 0.49 ||
                lookup[i][v].hit_ratio > 0.51) {
                fprintf(stderr, "bench_iobus: %u ranges, %s: hit ratio "
                        "%.3f, layout is wrong\n", sizes[i],
                        iobus_lookup_name((enum iobus_lookup)v),
                        lookup[i][v].hit_ratio);
                return 1;
            }
        }
    }
    for (unsigned i = 0; i < NSIZES; i++) {
        measure(&layouts[i], time_write, dispatch[i]);
    }
    for (unsigned i = 0; i < NSIZES; i++) {
        measure(&seed_layouts[i], time_probe, seed[i]);
    }
    print_table("lookup (iobus_probe: search only), ns per lookup", lookup);
    print_table("dispatch (iobus_write: read-side section + search + "
                "device), ns per access", dispatch);
    print_table("seed's case (n ranges on one byte, every access to the "
                "next byte), ns per lookup", seed);
    printf("\nper-comparison cost of a linear scan (random layout, 1000 "
           "ranges): %.2f ns\n", lookup[3][0].ns / lookup[3][0].probes);

    printf("\ntargets (lookup table):\n");
    r = lookup[2][0].ns / lookup[2][1].ns;
    printf("  bsearch >= 10x faster than linear at 200 ranges:   %5.1fx  %s\n",
           r, verdict(r >= 10));
    r = lookup[3][1].ns / lookup[3][2].ns;
    printf("  eytzinger >= 1.5x faster than bsearch at 1000:     %5.2fx  %s\n",
           r, verdict(r >= 1.5));
    printf("  eytzinger < 30 ns per lookup at 1000 ranges:       %5.1f ns "
           "%s\n", lookup[3][2].ns, verdict(lookup[3][2].ns < 30));

    for (unsigned i = 0; i < NSIZES; i++) {
        layout_free(&layouts[i]);
        layout_free(&seed_layouts[i]);
    }
    return 0;
}
