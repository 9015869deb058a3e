/*
 * core/iobus.c - I/O bus snapshots, their copy-on-write updates and the
 * three lookup variants (see core/iobus.h for the rules they implement).
 *
 * A snapshot is one allocation: a header, the ranges in canonical order
 * (an array of structs, searched by BSEARCH and walked by every variant) and
 * the Eytzinger arrays (the reach keys in breadth-first order plus, for each
 * slot, the canonical index it stands for).  Snapshots are immutable once
 * published.  Every bus of every set starts on one static empty snapshot,
 * which is never freed, so initialisation and the out-of-memory path of
 * unregister need no allocation.
 *
 * Assumes: updaters hold set->lock; readers are inside plat_rcu_read_lock().
 * A DEFERRED registration frees the snapshot it replaced from a
 * plat_call_rcu() callback, through the head embedded in the snapshot.
 */
#include <errno.h>
#include <string.h>

#include "core/iobus.h"
#include "core/testcase.h"

/* A range in a snapshot.  last is the last byte a match can start at for a
 * len-0 range, or the last byte of the range; reach is the largest last of
 * this range and every range before it in canonical order (monotonic), the
 * key that both binary searches use. */
struct iobus_range {
    uint64_t addr;
    uint64_t len;
    uint64_t last;
    uint64_t reach;
    uint64_t seq;
    struct iobus_dev *dev;
};

struct iobus_snap {
    struct plat_rcu_head rcu; /* DEFERRED: the free after a grace period */
    uint32_t nr;
    uint32_t nr_counted;  /* ranges of devices without IOBUS_DEV_UNCOUNTED */
    uint32_t eyt_levels;  /* depth of the implicit tree: floor(log2(nr))+1 */
    struct iobus_range *range; /* nr ranges, canonical order */
    uint64_t *eyt_key;    /* slots 1..nr: reach in Eytzinger order */
    uint32_t *eyt_pos;    /* slots 1..nr: canonical index of the slot */
};

/* The shared empty bus: nr == 0, never written, never freed. */
static struct iobus_snap iobus_snap_empty;

static const char *const iobus_free_names[IOBUS_FREE_NR] = {
    [IOBUS_FREE_SYNC] = "sync",
    [IOBUS_FREE_DEFERRED] = "deferred",
};

static const char *const iobus_lookup_names[IOBUS_LOOKUP_NR] = {
    [IOBUS_LOOKUP_LINEAR] = "linear",
    [IOBUS_LOOKUP_BSEARCH] = "bsearch",
    [IOBUS_LOOKUP_EYTZINGER] = "eytzinger",
};

/* ---- helpers ------------------------------------------------------------ */

static size_t iobus_align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static unsigned iobus_ctz64(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(v);
#else
    unsigned n = 0;

    while (!(v & 1u)) {
        v >>= 1;
        n++;
    }
    return n;
#endif
}

/* Canonical order: (addr, len, seq). */
static bool iobus_range_before(const struct iobus_range *a,
                               const struct iobus_range *b)
{
    if (a->addr != b->addr) {
        return a->addr < b->addr;
    }
    if (a->len != b->len) {
        return a->len < b->len;
    }
    return a->seq < b->seq;
}

/* span is max(alen, 1): the bytes the access occupies. */
static inline bool iobus_match(const struct iobus_range *r, uint64_t addr,
                               uint64_t span)
{
    uint64_t off;

    if (r->len == 0) {
        return addr == r->addr;
    }
    if (addr < r->addr) {
        return false;
    }
    off = addr - r->addr;
    return off < r->len && span <= r->len - off;
}

bool iobus_range_matches(uint64_t raddr, uint64_t rlen, uint64_t addr,
                         unsigned alen)
{
    struct iobus_range r = { .addr = raddr, .len = rlen };

    return iobus_match(&r, addr, alen ? alen : 1);
}

/* ---- snapshots ---------------------------------------------------------- */

/* Allocate a snapshot for nr ranges (nr >= 1); contents are filled by the
 * caller, then iobus_snap_finish().  NULL on allocation failure. */
static struct iobus_snap *iobus_snap_alloc(uint32_t nr)
{
    size_t off_range = iobus_align_up(sizeof(struct iobus_snap), 16);
    size_t off_key = iobus_align_up(off_range +
                                    nr * sizeof(struct iobus_range), 16);
    size_t off_pos = off_key + ((size_t)nr + 1) * sizeof(uint64_t);
    size_t size = off_pos + ((size_t)nr + 1) * sizeof(uint32_t);
    unsigned char *base = plat_alloc(size);
    struct iobus_snap *s;

    if (!base) {
        return NULL;
    }
    s = (struct iobus_snap *)(void *)base;
    memset(s, 0, sizeof(*s));
    s->nr = nr;
    s->range = (struct iobus_range *)(void *)(base + off_range);
    s->eyt_key = (uint64_t *)(void *)(base + off_key);
    s->eyt_pos = (uint32_t *)(void *)(base + off_pos);
    return s;
}

static void iobus_snap_free(struct iobus_snap *s)
{
    if (s && s != &iobus_snap_empty) {
        plat_free(s);
    }
}

/* plat_call_rcu() callback of a DEFERRED registration: no reader can
 * hold the snapshot any more. */
static void iobus_snap_free_rcu(struct plat_rcu_head *head)
{
    struct iobus_snap *s = (struct iobus_snap *)(void *)((char *)head -
                                     offsetof(struct iobus_snap, rcu));

    plat_free(s);
}

/* In-order walk of the implicit tree rooted at slot k: slot k receives the
 * i-th smallest key. */
static uint32_t iobus_eyt_fill(struct iobus_snap *s, uint32_t i, size_t k)
{
    if (k <= s->nr) {
        i = iobus_eyt_fill(s, i, 2 * k);
        s->eyt_key[k] = s->range[i].reach;
        s->eyt_pos[k] = i;
        i++;
        i = iobus_eyt_fill(s, i, 2 * k + 1);
    }
    return i;
}

/* Derive last, reach, nr_counted and the Eytzinger arrays from the ranges
 * (addr, len, seq, dev), which must already be in canonical order. */
static void iobus_snap_finish(struct iobus_snap *s)
{
    uint64_t reach = 0;

    s->nr_counted = 0;
    for (uint32_t i = 0; i < s->nr; i++) {
        struct iobus_range *r = &s->range[i];

        r->last = r->addr + (r->len ? r->len - 1 : 0);
        if (i == 0 || r->last > reach) {
            reach = r->last;
        }
        r->reach = reach;
        if (!(r->dev->flags & IOBUS_DEV_UNCOUNTED)) {
            s->nr_counted++;
        }
    }
    s->eyt_key[0] = 0;
    s->eyt_pos[0] = 0;
    iobus_eyt_fill(s, 0, 1);
    s->eyt_levels = 0;
    for (uint64_t n = s->nr; n; n >>= 1) {
        s->eyt_levels++;
    }
}

/* ---- lookup ------------------------------------------------------------- */

/* BSEARCH: first canonical index whose reach is >= addr (nr if none). */
static inline uint32_t iobus_lb_bsearch(const struct iobus_snap *s,
                                        uint64_t addr, uint64_t *probes)
{
    uint32_t lo = 0;
    uint32_t hi = s->nr;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        (*probes)++;
        if (s->range[mid].reach < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* EYTZINGER: the same answer, descending the breadth-first key array with a
 * data-dependent index instead of a branch, a fixed number of levels per
 * snapshot.  On the last, partial level a slot past nr acts as a key below
 * addr (go right), which leaves the decoding unchanged.  After the descent,
 * k's bits record the path; shifting off the trailing ones and the last
 * zero lands on the last slot where the search went left: the lower
 * bound. */
static inline uint32_t iobus_lb_eytzinger(const struct iobus_snap *s,
                                          uint64_t addr, uint64_t *probes)
{
    const uint64_t *key = s->eyt_key;
    uint64_t n = s->nr;
    uint64_t k = 1;

    for (uint32_t l = 0; l < s->eyt_levels; l++) {
        bool past = k > n;
        uint64_t slot = past ? 0 : k;

        k = 2 * k + ((key[slot] < addr) | past);
    }
    *probes += s->eyt_levels;
    k >>= iobus_ctz64(~k) + 1;
    return k ? s->eyt_pos[k] : s->nr;
}

static inline uint32_t iobus_walk_start(const struct iobus_snap *s,
                                        unsigned lookup, uint64_t addr,
                                        uint64_t *probes)
{
    switch (lookup) {
    case IOBUS_LOOKUP_BSEARCH:
        return iobus_lb_bsearch(s, addr, probes);
    case IOBUS_LOOKUP_EYTZINGER:
        return iobus_lb_eytzinger(s, addr, probes);
    default:
        return 0;
    }
}

/* The next matching canonical index >= i, or nr.  The sorted variants stop
 * at the first range that starts after addr: no later range can match. */
static inline uint32_t iobus_walk_next(const struct iobus_snap *s,
                                       unsigned lookup, uint32_t i,
                                       uint64_t addr, uint64_t span,
                                       uint64_t *probes)
{
    bool sorted = lookup != IOBUS_LOOKUP_LINEAR;

    for (; i < s->nr; i++) {
        const struct iobus_range *r = &s->range[i];

        (*probes)++;
        if (sorted && r->addr > addr) {
            return s->nr;
        }
        if (iobus_match(r, addr, span)) {
            return i;
        }
    }
    return s->nr;
}

static void iobus_hit_fill(struct iobus_hit *hit, const struct iobus_range *r,
                           uint64_t probes)
{
    if (!hit) {
        return;
    }
    hit->probes = probes;
    if (r) {
        hit->dev = r->dev;
        hit->tag = r->dev->tag;
        hit->addr = r->addr;
        hit->len = r->len;
    } else {
        hit->dev = NULL;
        hit->tag = 0;
        hit->addr = 0;
        hit->len = 0;
    }
}

int iobus_probe(struct iobus_set *set, enum iobus_id bus,
                enum iobus_lookup lookup, uint64_t addr, unsigned alen,
                struct iobus_hit *hit)
{
    const struct iobus_snap *s;
    uint64_t probes = 0;
    uint32_t i;

    if (!set || (unsigned)bus >= IOBUS_NR ||
        (unsigned)lookup >= IOBUS_LOOKUP_NR || alen > IOBUS_ACCESS_MAX) {
        return -EINVAL;
    }
    s = plat_atomic_load_ptr(&set->bus[bus]);
    i = iobus_walk_start(s, lookup, addr, &probes);
    i = iobus_walk_next(s, lookup, i, addr, alen ? alen : 1, &probes);
    iobus_hit_fill(hit, i < s->nr ? &s->range[i] : NULL, probes);
    return i < s->nr ? 0 : -ENOENT;
}

/* Offer the access to the matching ranges in canonical order: a write of
 * wdata when rdata is NULL, else a read into rdata. */
static int iobus_dispatch(struct iobus_set *set, enum iobus_id bus,
                          uint64_t addr, unsigned alen, void *rdata,
                          const void *wdata, struct iobus_hit *hit)
{
    const struct iobus_snap *s;
    const struct iobus_range *found = NULL;
    uint64_t span = alen ? alen : 1;
    uint64_t probes = 0;
    unsigned lookup;
    uint32_t i;

    plat_rcu_read_lock();
    s = plat_atomic_load_ptr(&set->bus[bus]);
    lookup = atomic_load_explicit(&set->lookup, memory_order_relaxed);
    i = iobus_walk_start(s, lookup, addr, &probes);
    for (;;) {
        const struct iobus_range *r;
        int rc;

        i = iobus_walk_next(s, lookup, i, addr, span, &probes);
        if (i >= s->nr) {
            break;
        }
        r = &s->range[i];
        if (!rdata) {
            rc = r->dev->ops->write
                     ? r->dev->ops->write(r->dev, addr, alen, wdata)
                     : -EOPNOTSUPP;
        } else {
            rc = r->dev->ops->read
                     ? r->dev->ops->read(r->dev, addr, alen, rdata)
                     : -EOPNOTSUPP;
        }
        if (rc == 0) {
            found = r;
            break;
        }
        i++;
    }
    plat_work(PLAT_WORK_IOBUS_PROBE, probes);
    iobus_hit_fill(hit, found, probes);
    plat_rcu_read_unlock();
    return found ? 0 : -EOPNOTSUPP;
}

static int iobus_access_check(struct iobus_set *set, enum iobus_id bus,
                              unsigned alen, const void *data,
                              struct iobus_hit *hit)
{
    iobus_hit_fill(hit, NULL, 0);
    if (!set || (unsigned)bus >= IOBUS_NR || alen > IOBUS_ACCESS_MAX ||
        (alen > 0 && !data)) {
        return -EINVAL;
    }
    return 0;
}

int iobus_write(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
                unsigned alen, const void *data, struct iobus_hit *hit)
{
    int rc = iobus_access_check(set, bus, alen, data, hit);

    if (rc) {
        return rc;
    }
    return iobus_dispatch(set, bus, addr, alen, NULL, data, hit);
}

int iobus_read(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
               unsigned alen, void *data, struct iobus_hit *hit)
{
    unsigned char scratch[IOBUS_ACCESS_MAX];
    int rc = iobus_access_check(set, bus, alen, data, hit);

    if (rc) {
        return rc;
    }
    return iobus_dispatch(set, bus, addr, alen, data ? data : scratch, NULL,
                          hit);
}

/* ---- set ---------------------------------------------------------------- */

void iobus_dev_init(struct iobus_dev *dev, const struct iobus_dev_ops *ops,
                    uint64_t tag, unsigned flags)
{
    dev->ops = ops;
    dev->tag = tag;
    dev->flags = flags;
    dev->nr_ranges = 0;
}

void iobus_set_init(struct iobus_set *set, enum iobus_lookup lookup)
{
    memset(set, 0, sizeof(*set));
    plat_lock_init(&set->lock, PLAT_LOCK_MUTEX, "iobus.slots");
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        plat_atomic_store_ptr(&set->bus[b], &iobus_snap_empty);
    }
    if ((unsigned)lookup >= IOBUS_LOOKUP_NR) {
        lookup = IOBUS_LOOKUP_BSEARCH;
    }
    atomic_store_explicit(&set->lookup, (unsigned)lookup,
                          memory_order_relaxed);
    set->next_seq = 1;
}

/* Drop one range of each device of a snapshot that is no longer reachable;
 * destroy devices whose last range this was, except `keep`.  Caller holds
 * set->lock (destructors run under it). */
static void iobus_drop_ranges_locked(struct iobus_set *set,
                                     struct iobus_snap *s,
                                     struct iobus_dev *keep)
{
    plat_lock_assert_held(&set->lock);
    for (uint32_t i = 0; i < s->nr; i++) {
        struct iobus_dev *d = s->range[i].dev;

        d->nr_ranges--;
        if (d != keep && d->nr_ranges == 0 && d->ops->destructor) {
            d->ops->destructor(d);
        }
    }
}

void iobus_set_destroy(struct iobus_set *set)
{
    struct iobus_snap *old[IOBUS_NR];

    /* Snapshots a DEFERRED registration replaced are still queued. */
    plat_rcu_barrier();
    plat_lock(&set->lock);
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        old[b] = plat_atomic_load_ptr(&set->bus[b]);
        plat_atomic_store_ptr(&set->bus[b], &iobus_snap_empty);
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        iobus_drop_ranges_locked(set, old[b], NULL);
        iobus_snap_free(old[b]);
    }
    plat_unlock(&set->lock);
    plat_lock_destroy(&set->lock);
}

int iobus_set_lookup(struct iobus_set *set, enum iobus_lookup lookup)
{
    if ((unsigned)lookup >= IOBUS_LOOKUP_NR) {
        return -EINVAL;
    }
    atomic_store_explicit(&set->lookup, (unsigned)lookup,
                          memory_order_relaxed);
    return 0;
}

int iobus_set_free_mode(struct iobus_set *set, enum iobus_free mode)
{
    if (!set || (unsigned)mode >= IOBUS_FREE_NR) {
        return -EINVAL;
    }
    plat_lock(&set->lock);
    set->free_mode = (unsigned)mode;
    plat_unlock(&set->lock);
    return 0;
}

enum iobus_free iobus_get_free_mode(struct iobus_set *set)
{
    enum iobus_free mode;

    plat_lock(&set->lock);
    mode = (enum iobus_free)set->free_mode;
    plat_unlock(&set->lock);
    return mode;
}

const char *iobus_free_name(enum iobus_free mode)
{
    if ((unsigned)mode >= IOBUS_FREE_NR) {
        return NULL;
    }
    return iobus_free_names[mode];
}

int iobus_free_from_name(const char *name)
{
    for (unsigned i = 0; name && i < IOBUS_FREE_NR; i++) {
        if (strcmp(iobus_free_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -ENOENT;
}

enum iobus_lookup iobus_get_lookup(struct iobus_set *set)
{
    return (enum iobus_lookup)atomic_load_explicit(&set->lookup,
                                                   memory_order_relaxed);
}

const char *iobus_lookup_name(enum iobus_lookup lookup)
{
    if ((unsigned)lookup >= IOBUS_LOOKUP_NR) {
        return NULL;
    }
    return iobus_lookup_names[lookup];
}

int iobus_lookup_from_name(const char *name)
{
    for (unsigned i = 0; name && i < IOBUS_LOOKUP_NR; i++) {
        if (strcmp(iobus_lookup_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -ENOENT;
}

/* ---- updates ------------------------------------------------------------ */

int iobus_register_many_locked(struct iobus_set *set,
                               const struct iobus_reg *regs, size_t n)
{
    struct iobus_snap *old[IOBUS_NR];
    struct iobus_snap *fresh[IOBUS_NR] = { NULL };
    uint32_t add[IOBUS_NR] = { 0 };
    uint32_t add_counted[IOBUS_NR] = { 0 };

    if (!set || (n > 0 && !regs)) {
        return -EINVAL;
    }
    plat_lock_assert_held(&set->lock);
    for (size_t j = 0; j < n; j++) {
        const struct iobus_reg *g = &regs[j];

        if ((unsigned)g->bus >= IOBUS_NR || !g->dev || !g->dev->ops ||
            g->len > UINT64_MAX - g->addr) {
            return -EINVAL;
        }
    }
    for (size_t j = 0; j < n; j++) {
        const struct iobus_reg *g = &regs[j];

        if (add[g->bus] >= IOBUS_MAX_RANGES) {
            return -ENOSPC;
        }
        add[g->bus]++;
        if (!(g->dev->flags & IOBUS_DEV_UNCOUNTED)) {
            add_counted[g->bus]++;
        }
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        old[b] = plat_atomic_load_ptr(&set->bus[b]);
        if (old[b]->nr + add[b] > IOBUS_MAX_RANGES ||
            old[b]->nr_counted + add_counted[b] > IOBUS_MAX_DEVS) {
            KVMSIM_MARK(IOBUS_FULL);
            return -ENOSPC;
        }
    }
    if (n == 0) {
        return 0;
    }

    /* Allocate every new snapshot before changing anything. */
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        if (!add[b]) {
            continue;
        }
        fresh[b] = iobus_snap_alloc(old[b]->nr + add[b]);
        if (!fresh[b]) {
            KVMSIM_MARK(IOBUS_SNAP_NOMEM);
            for (unsigned c = 0; c < b; c++) {
                iobus_snap_free(fresh[c]);
            }
            return -ENOMEM;
        }
        fresh[b]->nr = old[b]->nr;
        if (old[b]->nr) {
            memcpy(fresh[b]->range, old[b]->range,
                   old[b]->nr * sizeof(struct iobus_range));
        }
    }

    /* Insert each new range after every range that sorts before it; its
     * seq is the largest so far, so it goes after equal (addr, len). */
    for (size_t j = 0; j < n; j++) {
        const struct iobus_reg *g = &regs[j];
        struct iobus_snap *s = fresh[g->bus];
        struct iobus_range ins = {
            .addr = g->addr,
            .len = g->len,
            .seq = set->next_seq++,
            .dev = g->dev,
        };
        uint32_t pos = s->nr;

        while (pos > 0 && iobus_range_before(&ins, &s->range[pos - 1])) {
            pos--;
        }
        memmove(&s->range[pos + 1], &s->range[pos],
                (s->nr - pos) * sizeof(struct iobus_range));
        s->range[pos] = ins;
        s->nr++;
    }

    for (unsigned b = 0; b < IOBUS_NR; b++) {
        if (fresh[b]) {
            iobus_snap_finish(fresh[b]);
            plat_atomic_store_ptr(&set->bus[b], fresh[b]);
        }
    }
    if (set->free_mode == IOBUS_FREE_DEFERRED) {
        /* Only ranges were added: every device of an old snapshot is on
         * the new one, so nothing but the snapshot itself waits. */
        for (unsigned b = 0; b < IOBUS_NR; b++) {
            if (fresh[b] && old[b] != &iobus_snap_empty) {
                KVMSIM_MARK(IOBUS_DEFERRED_FREE);
                set->deferred_frees++;
                plat_call_rcu(&old[b]->rcu, iobus_snap_free_rcu);
            }
        }
    } else {
        plat_rcu_synchronize();
        for (unsigned b = 0; b < IOBUS_NR; b++) {
            if (fresh[b]) {
                iobus_snap_free(old[b]);
            }
        }
    }
    for (size_t j = 0; j < n; j++) {
        regs[j].dev->nr_ranges++;
    }
    return 0;
}

int iobus_register_locked(struct iobus_set *set, enum iobus_id bus,
                          uint64_t addr, uint64_t len, struct iobus_dev *dev)
{
    struct iobus_reg g = { .bus = bus, .addr = addr, .len = len, .dev = dev };

    if (!set) {
        return -EINVAL;
    }
    plat_lock_assert_held(&set->lock);
    return iobus_register_many_locked(set, &g, 1);
}

int iobus_register(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
                   uint64_t len, struct iobus_dev *dev)
{
    int rc;

    if (!set) {
        return -EINVAL;
    }
    plat_lock(&set->lock);
    rc = iobus_register_locked(set, bus, addr, len, dev);
    plat_unlock(&set->lock);
    return rc;
}

int iobus_unregister_locked(struct iobus_set *set, enum iobus_id bus,
                            struct iobus_dev *dev)
{
    struct iobus_snap *old;
    struct iobus_snap *fresh;
    uint32_t k = 0;

    if (!set || (unsigned)bus >= IOBUS_NR || !dev) {
        return -EINVAL;
    }
    plat_lock_assert_held(&set->lock);
    old = plat_atomic_load_ptr(&set->bus[bus]);
    for (uint32_t i = 0; i < old->nr; i++) {
        k += old->range[i].dev == dev;
    }
    if (k == 0) {
        return -ENOENT;
    }

    fresh = old->nr == k ? &iobus_snap_empty : iobus_snap_alloc(old->nr - k);
    if (fresh && fresh != &iobus_snap_empty) {
        uint32_t o = 0;

        for (uint32_t i = 0; i < old->nr; i++) {
            if (old->range[i].dev != dev) {
                fresh->range[o++] = old->range[i];
            }
        }
        iobus_snap_finish(fresh);
    }
    if (fresh) {
        plat_atomic_store_ptr(&set->bus[bus], fresh);
        plat_rcu_synchronize();
        iobus_snap_free(old);
        dev->nr_ranges -= k;
        return 0;
    }

    /* No memory for the smaller copy: empty the bus, wait until no reader
     * can hold a range of it, then let go of every device on it. */
    plat_atomic_store_ptr(&set->bus[bus], &iobus_snap_empty);
    plat_rcu_synchronize();
    set->bus_resets[bus]++;
    KVMSIM_MARK(IOBUS_UNREGISTER_BUS_RESET);
    iobus_drop_ranges_locked(set, old, dev);
    iobus_snap_free(old);
    return -ENOMEM;
}

int iobus_unregister(struct iobus_set *set, enum iobus_id bus,
                     struct iobus_dev *dev)
{
    int rc;

    if (!set) {
        return -EINVAL;
    }
    plat_lock(&set->lock);
    rc = iobus_unregister_locked(set, bus, dev);
    plat_unlock(&set->lock);
    return rc;
}

size_t iobus_nr_ranges(struct iobus_set *set, enum iobus_id bus)
{
    const struct iobus_snap *s;

    if (!set || (unsigned)bus >= IOBUS_NR) {
        return 0;
    }
    s = plat_atomic_load_ptr(&set->bus[bus]);
    return s->nr;
}

size_t iobus_ranges_locked(struct iobus_set *set, enum iobus_id bus,
                           struct iobus_range_info *out, size_t max)
{
    const struct iobus_snap *s;

    if (!set || (unsigned)bus >= IOBUS_NR) {
        return 0;
    }
    plat_lock_assert_held(&set->lock);
    s = plat_atomic_load_ptr(&set->bus[bus]);
    for (uint32_t i = 0; i < s->nr && i < max; i++) {
        out[i].addr = s->range[i].addr;
        out[i].len = s->range[i].len;
        out[i].tag = s->range[i].dev->tag;
        out[i].dev = s->range[i].dev;
    }
    return s->nr;
}
