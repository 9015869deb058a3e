/*
 * bench/bench_routes.c - host benchmark of the per-route part of a
 * KVM_SET_GSI_ROUTING commit: the price of model/cost.c's
 * gsi_routing_per_route_ns.
 *
 * What the kernel does per route entry of a commit (virt/kvm/kvm_main.c,
 * kvm_vm_ioctl() case KVM_SET_GSI_ROUTING: the user array is copied in
 * whole; virt/kvm/irqchip.c, kvm_set_irq_routing(): per entry a zeroed
 * allocation of a kernel routing entry, setup_routing_entry() checks the
 * GSI's bucket, fills the entry and links it into the new table's
 * per-GSI hash list; then free_irq_routing_table() unlinks and frees
 * every entry of the old table), done here in user space with malloc():
 * copy N 64-byte user entries, build a table of N entries in per-GSI
 * buckets, free the previous table.  The per-irqfd walk
 * (kvm_irq_routing_update()) and the grace period are not in it: they
 * are what the fit on seed 000's before column prices.
 *
 * Prints ns per route for several table sizes: the median of RUNS runs
 * of COMMITS commits each.  model/cost.c takes the figure at 520 routes,
 * the largest table of seed 000 (8 VFs x 65 vectors).  A benchmark, not a test: it checks nothing
 * and exits 0 (1 when out of memory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 11
#define COMMITS 200
#define MAX_ROUTES 4096

/* The uAPI entry (struct kvm_irq_routing_entry is 64 bytes). */
struct br_user_route {
    uint32_t gsi, type, flags, pad;
    uint32_t address_lo, address_hi, data, devid;
    uint32_t reserved[8];
};

/* The kernel's entry: fields, a callback and a hash-list link. */
struct br_route {
    uint32_t gsi, type;
    int (*set)(void *);
    uint32_t address_lo, address_hi, data, flags, devid;
    struct br_route *next, **pprev;
};

struct br_table {
    uint32_t nr;
    struct br_route *map[]; /* one bucket per GSI */
};

static double br_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void br_free(struct br_table *t)
{
    if (!t) {
        return;
    }
    for (uint32_t g = 0; g < t->nr; g++) {
        while (t->map[g]) {
            struct br_route *e = t->map[g];

            t->map[g] = e->next;
            free(e);
        }
    }
    free(t);
}

/* One commit of n routes; the new table, NULL when out of memory. */
static struct br_table *br_commit(const struct br_user_route *user,
                                  uint32_t n)
{
    struct br_user_route *ue = malloc((size_t)n * sizeof(*ue));
    struct br_table *t =
        calloc(1, sizeof(*t) + (size_t)n * sizeof(t->map[0]));

    if (!ue || !t) {
        free(ue);
        free(t);
        return NULL;
    }
    memcpy(ue, user, (size_t)n * sizeof(*ue));
    t->nr = n;
    for (uint32_t i = 0; i < n; i++) {
        struct br_route *e = calloc(1, sizeof(*e));

        if (!e) {
            free(ue);
            br_free(t);
            return NULL;
        }
        for (struct br_route *x = t->map[ue[i].gsi]; x; x = x->next) {
            if (x->type == ue[i].type) {
                break; /* the kernel refuses a second MSI route */
            }
        }
        e->gsi = ue[i].gsi;
        e->type = ue[i].type;
        e->address_lo = ue[i].address_lo;
        e->address_hi = ue[i].address_hi;
        e->data = ue[i].data;
        e->devid = ue[i].devid;
        e->next = t->map[e->gsi];
        e->pprev = &t->map[e->gsi];
        if (e->next) {
            e->next->pprev = &e->next;
        }
        t->map[e->gsi] = e;
    }
    free(ue);
    return t;
}

static int br_cmp(const void *x, const void *y)
{
    double a = *(const double *)x;
    double b = *(const double *)y;

    return (a > b) - (a < b);
}

int main(void)
{
    static const uint32_t sizes[] = {65, 260, 520, 1040};
    static struct br_user_route user[MAX_ROUTES];

    for (uint32_t i = 0; i < MAX_ROUTES; i++) {
        user[i].gsi = i;
        user[i].type = 2; /* MSI */
        user[i].address_lo = 0xfee00000u;
        user[i].data = i;
    }
    printf("KVM_SET_GSI_ROUTING per-route work (copy, allocate, link, "
           "free the old table), ns per route, median of %d runs of %d "
           "commits\n", RUNS, COMMITS);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        double ns[RUNS];
        struct br_table *old = NULL;

        for (int r = 0; r < RUNS; r++) {
            double t0 = br_now_ns();

            for (int c = 0; c < COMMITS; c++) {
                struct br_table *t = br_commit(user, sizes[k]);

                if (!t) {
                    fprintf(stderr, "bench_routes: out of memory\n");
                    br_free(old);
                    return 1;
                }
                br_free(old);
                old = t;
            }
            ns[r] = (br_now_ns() - t0) / ((double)COMMITS * sizes[k]);
        }
        br_free(old);
        qsort(ns, RUNS, sizeof(ns[0]), br_cmp);
        printf("  %4u routes: %6.1f ns per route (min %.1f, max %.1f)\n",
               sizes[k], ns[RUNS / 2], ns[0], ns[RUNS - 1]);
    }
    return 0;
}
