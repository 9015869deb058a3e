/*
 * core/its_cache.c - the four LPI translation cache variants of
 * core/its_cache.h behind one table of operations.
 *
 * GLOBAL and SHARDED share the LRU list code: a list is an array of `size`
 * entries linked through indices into a circular doubly linked list with a
 * sentinel (index `size`), so no pointer value is ever used as data.  As in
 * the kernel, empty entries (lpi == NULL) always sit after every valid one:
 * inserts take the tail and move it to the head, hits move valid entries
 * forward, invalidation empties them all.  So a walk stops at the first
 * empty entry.
 *
 * LOCKLESS is a set-associative map: nr_sets sets of ITS_CACHE_WAYS slots,
 * the set chosen by a hash of (devid, eventid).  Slots hold immutable
 * nodes; a writer replaces a node by publishing another pointer (or NULL),
 * so a reader sees either the old node or the new one, never a torn key.
 * Nodes and LPIs are freed after a grace period (its_defer_free()), so a
 * reader may still dereference what it loaded inside its read-side
 * section; its_lpi_tryget() refuses an LPI whose count already hit zero.
 *
 * Statistics are relaxed C11 counters in ITS_CACHE_STAT_SLOTS per-CPU
 * blocks (chosen by CPU id), so counting does not make readers on
 * different CPUs share a cache line and adds no scheduling point.
 *
 * Cache lines (plat_line, priced by the platform when they move between
 * CPUs): each lock word, each LRU entry (sentinel included: a node of its
 * own in the kernel) and each lockless set.  A lookup takes the lock word
 * (an atomic) and reads the entries it walks; a move to the head stores to
 * the entry, its two neighbours, the sentinel and the old head.
 *
 * Assumes: see core/its_cache.h (inserts and invalidations under the ITS
 * table lock).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "core/its.h"
#include "core/its_cache.h"
#include "core/testcase.h"

enum its_cache_stat {
    ST_LOOKUPS,
    ST_HITS,
    ST_MISSES,
    ST_PROBES,
    ST_MOVES,
    ST_INSERTS,
    ST_INSERT_PRESENT,
    ST_EVICTIONS,
    ST_INSERT_NOMEM,
    ST_INVALIDATIONS,
    ST_ENTRIES_DROPPED,
    ST_LOCKS,
    ST_TRYGET_FAILURES,
    ST_NR
};

#define ITS_CACHE_STAT_SLOTS 8
#define ITS_CACHE_STAT_PAD 16 /* counters per slot: 128 bytes */

_Static_assert(ST_NR <= ITS_CACHE_STAT_PAD, "stat slot too small");

struct its_cache_counters {
    _Atomic uint64_t v[ITS_CACHE_STAT_PAD];
};

/* One LRU entry.  prev/next index the list's entry array; the sentinel is
 * index `nr`. */
struct its_cte {
    struct its_msi key;
    struct its_lpi *lpi; /* NULL: empty */
    uint32_t prev;
    uint32_t next;
    struct plat_line line; /* the entry (a node of its own in the kernel) */
};

/* 128 bytes, so the shards' locks never share a cache line. */
struct its_lru {
    struct plat_lock lock;
    uint32_t nr;        /* entries, not counting the sentinel */
    struct its_cte *e;  /* nr + 1 entries */
    struct plat_line lock_line; /* the lock word, written by every holder */
};
_Static_assert(sizeof(struct its_lru) == 128, "one shard per 128 bytes");

/* An immutable LOCKLESS node; rcu must stay first (its_defer_free()). */
struct its_lc_node {
    struct its_rcu_head rcu;
    struct its_msi key;
    struct its_lpi *lpi;
};

struct its_lc {
    struct plat_lock lock; /* writers */
    struct plat_line lock_line;
    uint32_t nr_sets;      /* a power of two */
    plat_atomic_ptr *slot; /* nr_sets * ITS_CACHE_WAYS */
    struct plat_line *set_line; /* per set: its ways, one cache line */
    uint8_t *victim;       /* per set: next way to replace; under lock */
    uint32_t count;        /* nodes published; under lock */
};

struct its_cache_ops {
    struct its_lpi *(*lookup)(struct its_cache *c, uint32_t cpu,
                              const struct its_msi *msi, uint32_t *probes);
    uint32_t (*insert)(struct its_cache *c, const struct its_msi *msi,
                       struct its_lpi *lpi);
    void (*invalidate)(struct its_cache *c);
    uint32_t (*for_each)(struct its_cache *c, its_cache_visit_fn *fn,
                         void *arg);
};

struct its_cache {
    enum its_cache_kind kind;
    const struct its_cache_ops *ops;
    struct its *its;
    uint32_t nr_lists;    /* GLOBAL 1, SHARDED ITS_CACHE_SHARDS, else 0 */
    struct its_lru *lru;
    struct its_lc lc;
    struct its_cache_counters stat[ITS_CACHE_STAT_SLOTS];
};

static const char *const its_cache_names[ITS_CACHE_NR] = {
    [ITS_CACHE_NONE] = "none",
    [ITS_CACHE_GLOBAL] = "global",
    [ITS_CACHE_SHARDED] = "sharded",
    [ITS_CACHE_LOCKLESS] = "lockless",
};

/* ---- helpers ------------------------------------------------------------ */

static void its_cache_count_add(struct its_cache *c, uint32_t cpu,
                                enum its_cache_stat st, uint64_t n)
{
    if (n) {
        atomic_fetch_add_explicit(
            &c->stat[cpu % ITS_CACHE_STAT_SLOTS].v[st], n,
            memory_order_relaxed);
    }
}

static bool its_msi_equal(const struct its_msi *a, const struct its_msi *b)
{
    return a->devid == b->devid && a->eventid == b->eventid &&
           a->db == b->db;
}

/* Take a cache lock: its word moves to this CPU. */
static void its_cache_lock(struct plat_lock *l, struct plat_line *word)
{
    plat_lock(l);
    plat_line_touch(word, PLAT_LINE_RMW);
}

static void its_cache_work(uint32_t probes)
{
    if (probes) {
        plat_work(PLAT_WORK_ITS_CACHE_PROBE, probes);
    }
}

/* ---- LRU lists (GLOBAL, SHARDED) --------------------------------------- */

static int its_lru_init(struct its_lru *l, uint32_t nr, const char *name)
{
    l->e = plat_zalloc(((size_t)nr + 1) * sizeof(*l->e));
    if (!l->e) {
        return -ENOMEM;
    }
    l->nr = nr;
    for (uint32_t i = 0; i <= nr; i++) {
        l->e[i].next = i == nr ? 0 : i + 1;
        l->e[i].prev = i == 0 ? nr : i - 1;
        plat_line_init(&l->e[i].line);
    }
    plat_lock_init(&l->lock, PLAT_LOCK_SPIN, name);
    plat_line_init(&l->lock_line);
    return 0;
}

static void its_lru_unlink(struct its_lru *l, uint32_t i)
{
    struct its_cte *e = l->e;

    plat_line_touch(&e[e[i].prev].line, PLAT_LINE_STORE);
    plat_line_touch(&e[e[i].next].line, PLAT_LINE_STORE);
    e[e[i].prev].next = e[i].next;
    e[e[i].next].prev = e[i].prev;
}

static void its_lru_move_to_head(struct its_lru *l, uint32_t i)
{
    struct its_cte *e = l->e;
    uint32_t s = l->nr;

    if (e[s].next == i) {
        return;
    }
    its_lru_unlink(l, i);
    plat_line_touch(&e[i].line, PLAT_LINE_STORE);
    plat_line_touch(&e[s].line, PLAT_LINE_STORE);
    plat_line_touch(&e[e[s].next].line, PLAT_LINE_STORE);
    e[i].prev = s;
    e[i].next = e[s].next;
    e[e[s].next].prev = i;
    e[s].next = i;
}

/* Walk from the head to the first empty entry.  Returns the index of the
 * entry for msi or l->nr (the sentinel) when absent; *pos is the 1-based
 * position of the match, *probes the entries examined.  Caller holds
 * l->lock. */
static uint32_t its_lru_find_locked(struct its_lru *l,
                                    const struct its_msi *msi,
                                    uint32_t *pos, uint32_t *probes)
{
    uint32_t n = 0;

    plat_lock_assert_held(&l->lock);
    plat_line_touch(&l->e[l->nr].line, PLAT_LINE_READ);
    for (uint32_t i = l->e[l->nr].next; i != l->nr; i = l->e[i].next) {
        plat_line_touch(&l->e[i].line, PLAT_LINE_READ);
        if (!l->e[i].lpi) {
            break;
        }
        n++;
        if (its_msi_equal(&l->e[i].key, msi)) {
            *pos = n;
            *probes += n;
            return i;
        }
    }
    *pos = 0;
    *probes += n;
    return l->nr;
}

/* The hit rule: GLOBAL always moves to the head, SHARDED only past
 * ITS_CACHE_SHARD_MOVE_POS.  Returns true when the entry moved. */
static bool its_lru_touch_locked(struct its_cache *c, struct its_lru *l,
                                 uint32_t i, uint32_t pos)
{
    plat_lock_assert_held(&l->lock);
    if (c->kind == ITS_CACHE_SHARDED && pos <= ITS_CACHE_SHARD_MOVE_POS) {
        return false;
    }
    if (l->e[l->nr].next == i) {
        return false;
    }
    its_lru_move_to_head(l, i);
    return true;
}

static struct its_lpi *its_lru_lookup(struct its_cache *c, uint32_t cpu,
                                      const struct its_msi *msi,
                                      uint32_t *probes)
{
    struct its_lru *l = &c->lru[c->nr_lists == 1 ? 0 : cpu % c->nr_lists];
    struct its_lpi *lpi = NULL;
    bool moved = false;
    uint32_t pos;
    uint32_t i;

    *probes = 0;
    its_cache_lock(&l->lock, &l->lock_line);
    i = its_lru_find_locked(l, msi, &pos, probes);
    if (i != l->nr) {
        moved = its_lru_touch_locked(c, l, i, pos);
        lpi = l->e[i].lpi;
        its_lpi_get(lpi); /* the entry holds one, so the count is >= 1 */
    }
    its_cache_work(*probes);
    plat_unlock(&l->lock);
    its_cache_count_add(c, cpu, ST_LOCKS, 1);
    its_cache_count_add(c, cpu, ST_MOVES, moved);
    return lpi;
}

/* Insert into one list; true when a translation was written. */
static bool its_lru_insert_one(struct its_cache *c, struct its_lru *l,
                               uint32_t cpu, const struct its_msi *msi,
                               struct its_lpi *lpi)
{
    uint32_t probes = 0;
    uint32_t pos;
    uint32_t i;
    struct its_lpi *old;
    bool wrote = false;

    its_cache_lock(&l->lock, &l->lock_line);
    /* Another CPU may have cached it behind our back (kernel comment). */
    i = its_lru_find_locked(l, msi, &pos, &probes);
    if (i != l->nr) {
        its_cache_count_add(c, cpu, ST_MOVES,
                            its_lru_touch_locked(c, l, i, pos));
        its_cache_count_add(c, cpu, ST_INSERT_PRESENT, 1);
    } else {
        /* LRU: always reuse the last entry. */
        i = l->e[l->nr].prev;
        old = l->e[i].lpi;
        its_lpi_get(lpi);
        l->e[i].key = *msi;
        l->e[i].lpi = lpi;
        its_lru_move_to_head(l, i);
        probes++;
        if (old) {
            its_lpi_put(c->its, old);
            its_cache_count_add(c, cpu, ST_EVICTIONS, 1);
        }
        wrote = true;
    }
    its_cache_work(probes);
    plat_unlock(&l->lock);
    its_cache_count_add(c, cpu, ST_LOCKS, 1);
    its_cache_count_add(c, cpu, ST_PROBES, probes);
    its_cache_count_add(c, cpu, ST_INSERTS, wrote);
    return wrote;
}

static uint32_t its_lru_insert(struct its_cache *c, const struct its_msi *msi,
                               struct its_lpi *lpi)
{
    uint32_t cpu = plat_cpu_id();
    uint32_t n = 0;

    for (uint32_t k = 0; k < c->nr_lists; k++) {
        n += its_lru_insert_one(c, &c->lru[k], cpu, msi, lpi);
    }
    return n;
}

static void its_lru_invalidate(struct its_cache *c)
{
    uint32_t cpu = plat_cpu_id();

    for (uint32_t k = 0; k < c->nr_lists; k++) {
        struct its_lru *l = &c->lru[k];
        uint32_t n = 0;

        its_cache_lock(&l->lock, &l->lock_line);
        for (uint32_t i = l->e[l->nr].next; i != l->nr; i = l->e[i].next) {
            struct its_lpi *lpi = l->e[i].lpi;

            if (!lpi) {
                break;
            }
            plat_line_touch(&l->e[i].line, PLAT_LINE_STORE);
            l->e[i].lpi = NULL;
            its_lpi_put(c->its, lpi);
            n++;
        }
        its_cache_work(n);
        plat_unlock(&l->lock);
        its_cache_count_add(c, cpu, ST_LOCKS, 1);
        its_cache_count_add(c, cpu, ST_PROBES, n);
        its_cache_count_add(c, cpu, ST_ENTRIES_DROPPED, n);
    }
}

static uint32_t its_lru_for_each(struct its_cache *c, its_cache_visit_fn *fn,
                                 void *arg)
{
    uint32_t total = 0;

    for (uint32_t k = 0; k < c->nr_lists; k++) {
        struct its_lru *l = &c->lru[k];
        uint32_t pos = 0;

        plat_lock(&l->lock);
        for (uint32_t i = l->e[l->nr].next; i != l->nr; i = l->e[i].next) {
            if (!l->e[i].lpi) {
                break;
            }
            pos++;
            if (fn) {
                fn(arg, k, pos, &l->e[i].key, l->e[i].lpi);
            }
        }
        plat_unlock(&l->lock);
        total += pos;
    }
    return total;
}

/* ---- NONE --------------------------------------------------------------- */

static struct its_lpi *its_none_lookup(struct its_cache *c, uint32_t cpu,
                                       const struct its_msi *msi,
                                       uint32_t *probes)
{
    (void)c;
    (void)cpu;
    (void)msi;
    *probes = 0;
    return NULL;
}

static uint32_t its_none_insert(struct its_cache *c,
                                const struct its_msi *msi,
                                struct its_lpi *lpi)
{
    (void)c;
    (void)msi;
    (void)lpi;
    return 0;
}

static void its_none_invalidate(struct its_cache *c)
{
    (void)c;
}

static uint32_t its_none_for_each(struct its_cache *c, its_cache_visit_fn *fn,
                                  void *arg)
{
    (void)c;
    (void)fn;
    (void)arg;
    return 0;
}

/* ---- LOCKLESS ----------------------------------------------------------- */

/* SplitMix64's finaliser over the key: a good spread for sequential ids. */
static uint32_t its_lc_set(const struct its_lc *lc, const struct its_msi *msi)
{
    uint64_t z = ((uint64_t)msi->devid << 32) | msi->eventid;

    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (uint32_t)(z & (lc->nr_sets - 1));
}

static struct its_lpi *its_lc_lookup(struct its_cache *c, uint32_t cpu,
                                     const struct its_msi *msi,
                                     uint32_t *probes)
{
    struct its_lc *lc = &c->lc;
    plat_atomic_ptr *set = &lc->slot[(size_t)its_lc_set(lc, msi) *
                                     ITS_CACHE_WAYS];
    struct its_lpi *lpi = NULL;
    uint32_t n = 0;

    plat_rcu_read_lock();
    plat_line_touch(&lc->set_line[its_lc_set(lc, msi)], PLAT_LINE_READ);
    for (uint32_t w = 0; w < ITS_CACHE_WAYS; w++) {
        struct its_lc_node *node = plat_atomic_load_ptr(&set[w]);

        n++;
        if (node && its_msi_equal(&node->key, msi)) {
            if (its_lpi_tryget(node->lpi)) {
                lpi = node->lpi;
            } else {
                KVMSIM_MARK(ITS_CACHE_TRYGET_FAILED);
                its_cache_count_add(c, cpu, ST_TRYGET_FAILURES, 1);
            }
            break;
        }
    }
    its_cache_work(n);
    plat_rcu_read_unlock();
    *probes = n;
    return lpi;
}

static uint32_t its_lc_insert(struct its_cache *c, const struct its_msi *msi,
                              struct its_lpi *lpi)
{
    struct its_lc *lc = &c->lc;
    uint32_t cpu = plat_cpu_id();
    uint32_t s = its_lc_set(lc, msi);
    plat_atomic_ptr *set = &lc->slot[(size_t)s * ITS_CACHE_WAYS];
    struct its_lc_node *node;
    struct its_lc_node *old = NULL;
    uint32_t way = ITS_CACHE_WAYS;
    uint32_t probes = 0;

    /* Allocate before the spin lock; freed again if it is not needed. */
    node = plat_alloc(sizeof(*node));
    its_cache_lock(&lc->lock, &lc->lock_line);
    plat_line_touch(&lc->set_line[s], PLAT_LINE_READ);
    for (uint32_t w = 0; w < ITS_CACHE_WAYS; w++) {
        struct its_lc_node *cur = plat_atomic_load_ptr(&set[w]);

        probes++;
        if (cur && its_msi_equal(&cur->key, msi)) {
            its_cache_work(probes);
            plat_unlock(&lc->lock);
            plat_free(node);
            its_cache_count_add(c, cpu, ST_LOCKS, 1);
            its_cache_count_add(c, cpu, ST_PROBES, probes);
            its_cache_count_add(c, cpu, ST_INSERT_PRESENT, 1);
            return 0;
        }
        if (!cur && way == ITS_CACHE_WAYS) {
            way = w;
        }
    }
    if (!node) {
        KVMSIM_MARK(ITS_CACHE_INSERT_NOMEM);
        its_cache_work(probes);
        plat_unlock(&lc->lock);
        its_cache_count_add(c, cpu, ST_LOCKS, 1);
        its_cache_count_add(c, cpu, ST_PROBES, probes);
        its_cache_count_add(c, cpu, ST_INSERT_NOMEM, 1);
        return 0;
    }
    if (way == ITS_CACHE_WAYS) {
        way = lc->victim[s];
        lc->victim[s] = (uint8_t)((way + 1) % ITS_CACHE_WAYS);
        old = plat_atomic_load_ptr(&set[way]);
    }
    its_lpi_get(lpi);
    node->rcu.next = NULL;
    node->key = *msi;
    node->lpi = lpi;
    /* Publication: a reader sees the complete node or the old pointer. */
    plat_line_touch(&lc->set_line[s], PLAT_LINE_STORE);
    plat_atomic_store_ptr(&set[way], node);
    if (old) {
        its_lpi_put(c->its, old->lpi);
        its_defer_free(c->its, &old->rcu);
    } else {
        lc->count++;
    }
    its_cache_work(probes);
    plat_unlock(&lc->lock);
    its_cache_count_add(c, cpu, ST_LOCKS, 1);
    its_cache_count_add(c, cpu, ST_PROBES, probes);
    its_cache_count_add(c, cpu, ST_INSERTS, 1);
    its_cache_count_add(c, cpu, ST_EVICTIONS, old != NULL);
    return 1;
}

/* Unpublish every node.  With `now`, free the nodes at once (no reader can
 * be running: teardown); otherwise after a grace period. */
static void its_lc_clear(struct its_cache *c, bool now)
{
    struct its_lc *lc = &c->lc;
    uint32_t cpu = plat_cpu_id();
    size_t nr = (size_t)lc->nr_sets * ITS_CACHE_WAYS;
    uint32_t dropped = 0;

    its_cache_lock(&lc->lock, &lc->lock_line);
    for (size_t i = 0; i < nr; i++) {
        struct its_lc_node *node = plat_atomic_load_ptr(&lc->slot[i]);

        if (!node) {
            continue;
        }
        plat_line_touch(&lc->set_line[i / ITS_CACHE_WAYS],
                        PLAT_LINE_STORE);
        plat_atomic_store_ptr(&lc->slot[i], NULL);
        its_lpi_put(c->its, node->lpi);
        if (now) {
            plat_free(node);
        } else {
            its_defer_free(c->its, &node->rcu);
        }
        dropped++;
    }
    lc->count = 0;
    its_cache_work((uint32_t)nr);
    plat_unlock(&lc->lock);
    its_cache_count_add(c, cpu, ST_LOCKS, 1);
    its_cache_count_add(c, cpu, ST_PROBES, nr);
    its_cache_count_add(c, cpu, ST_ENTRIES_DROPPED, dropped);
}

static void its_lc_invalidate(struct its_cache *c)
{
    its_lc_clear(c, PLAT_LINE_READ);
}

static uint32_t its_lc_for_each(struct its_cache *c, its_cache_visit_fn *fn,
                                void *arg)
{
    struct its_lc *lc = &c->lc;
    uint32_t n = 0;

    plat_lock(&lc->lock);
    for (uint32_t s = 0; s < lc->nr_sets; s++) {
        for (uint32_t w = 0; w < ITS_CACHE_WAYS; w++) {
            struct its_lc_node *node =
                plat_atomic_load_ptr(&lc->slot[(size_t)s * ITS_CACHE_WAYS +
                                               w]);

            if (!node) {
                continue;
            }
            n++;
            if (fn) {
                fn(arg, s, w + 1, &node->key, node->lpi);
            }
        }
    }
    plat_unlock(&lc->lock);
    return n;
}

/* ---- the table of variants ---------------------------------------------- */

static const struct its_cache_ops its_cache_ops[ITS_CACHE_NR] = {
    [ITS_CACHE_NONE] = {its_none_lookup, its_none_insert,
                        its_none_invalidate, its_none_for_each},
    [ITS_CACHE_GLOBAL] = {its_lru_lookup, its_lru_insert, its_lru_invalidate,
                          its_lru_for_each},
    [ITS_CACHE_SHARDED] = {its_lru_lookup, its_lru_insert,
                           its_lru_invalidate, its_lru_for_each},
    [ITS_CACHE_LOCKLESS] = {its_lc_lookup, its_lc_insert, its_lc_invalidate,
                            its_lc_for_each},
};

static const char *const its_shard_lock_names[ITS_CACHE_SHARDS] = {
    "its cache shard 0", "its cache shard 1", "its cache shard 2",
    "its cache shard 3", "its cache shard 4", "its cache shard 5",
    "its cache shard 6", "its cache shard 7",
};

static uint32_t its_pow2_at_least(uint64_t v)
{
    uint32_t p = 1;

    while (p < v) {
        p <<= 1;
    }
    return p;
}

static void its_cache_free_lists(struct its_cache *c, uint32_t nr)
{
    for (uint32_t k = 0; k < nr; k++) {
        plat_lock_destroy(&c->lru[k].lock);
        plat_free(c->lru[k].e);
    }
    plat_free(c->lru);
}

int its_cache_create(struct its *its, enum its_cache_kind kind, uint32_t size,
                     struct its_cache **out)
{
    struct its_cache *c;

    if ((unsigned)kind >= ITS_CACHE_NR) {
        return -EINVAL;
    }
    if (kind != ITS_CACHE_NONE && (size == 0 || size > ITS_CACHE_MAX_SIZE)) {
        return -EINVAL;
    }
    c = plat_zalloc(sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    c->kind = kind;
    c->ops = &its_cache_ops[kind];
    c->its = its;
    if (kind == ITS_CACHE_GLOBAL || kind == ITS_CACHE_SHARDED) {
        uint32_t nr = kind == ITS_CACHE_GLOBAL ? 1 : ITS_CACHE_SHARDS;

        c->lru = plat_zalloc(nr * sizeof(*c->lru));
        if (!c->lru) {
            plat_free(c);
            return -ENOMEM;
        }
        for (uint32_t k = 0; k < nr; k++) {
            const char *name = kind == ITS_CACHE_GLOBAL
                                   ? "its cache (per VM)"
                                   : its_shard_lock_names[k];

            if (its_lru_init(&c->lru[k], size, name) != 0) {
                its_cache_free_lists(c, k);
                plat_free(c);
                return -ENOMEM;
            }
        }
        c->nr_lists = nr;
    } else if (kind == ITS_CACHE_LOCKLESS) {
        uint32_t slots = its_pow2_at_least(2 * (uint64_t)size);

        if (slots < ITS_CACHE_WAYS) {
            slots = ITS_CACHE_WAYS;
        }
        c->lc.nr_sets = slots / ITS_CACHE_WAYS;
        c->lc.slot = plat_zalloc((size_t)slots * sizeof(*c->lc.slot));
        c->lc.victim = plat_zalloc(c->lc.nr_sets);
        c->lc.set_line = plat_zalloc((size_t)c->lc.nr_sets *
                                     sizeof(*c->lc.set_line));
        if (!c->lc.slot || !c->lc.victim || !c->lc.set_line) {
            plat_free(c->lc.slot);
            plat_free(c->lc.victim);
            plat_free(c->lc.set_line);
            plat_free(c);
            return -ENOMEM;
        }
        for (uint32_t s = 0; s < c->lc.nr_sets; s++) {
            plat_line_init(&c->lc.set_line[s]);
        }
        plat_lock_init(&c->lc.lock, PLAT_LOCK_SPIN, "its cache map writer");
        plat_line_init(&c->lc.lock_line);
    }
    *out = c;
    return 0;
}

void its_cache_destroy(struct its_cache *c)
{
    if (!c) {
        return;
    }
    if (c->kind == ITS_CACHE_LOCKLESS) {
        its_lc_clear(c, PLAT_LINE_STORE);
        plat_lock_destroy(&c->lc.lock);
        plat_free(c->lc.slot);
        plat_free(c->lc.victim);
        plat_free(c->lc.set_line);
    } else if (c->nr_lists) {
        its_lru_invalidate(c);
        its_cache_free_lists(c, c->nr_lists);
    }
    plat_free(c);
}

enum its_cache_kind its_cache_get_kind(const struct its_cache *c)
{
    return c->kind;
}

struct its_lpi *its_cache_lookup(struct its_cache *c, uint32_t cpu,
                                 const struct its_msi *msi, uint32_t *probes)
{
    uint32_t n = 0;
    struct its_lpi *lpi = c->ops->lookup(c, cpu, msi, &n);

    its_cache_count_add(c, cpu, ST_LOOKUPS, 1);
    its_cache_count_add(c, cpu, lpi ? ST_HITS : ST_MISSES, 1);
    its_cache_count_add(c, cpu, ST_PROBES, n);
    if (probes) {
        *probes = n;
    }
    return lpi;
}

uint32_t its_cache_insert_locked(struct its_cache *c,
                                 const struct its_msi *msi,
                                 struct its_lpi *lpi)
{
    plat_lock_assert_held(its_table_lock(c->its));
    return c->ops->insert(c, msi, lpi);
}

void its_cache_invalidate_locked(struct its_cache *c)
{
    plat_lock_assert_held(its_table_lock(c->its));
    its_cache_count_add(c, plat_cpu_id(), ST_INVALIDATIONS, 1);
    c->ops->invalidate(c);
}

uint32_t its_cache_for_each(struct its_cache *c, its_cache_visit_fn *fn,
                            void *arg)
{
    return c->ops->for_each(c, fn, arg);
}

uint32_t its_cache_count(struct its_cache *c)
{
    return c->ops->for_each(c, NULL, NULL);
}

void its_cache_get_stats(const struct its_cache *c,
                         struct its_cache_stats *out)
{
    uint64_t sum[ST_NR] = {0};

    for (uint32_t k = 0; k < ITS_CACHE_STAT_SLOTS; k++) {
        for (uint32_t i = 0; i < ST_NR; i++) {
            sum[i] += atomic_load_explicit(&c->stat[k].v[i],
                                           memory_order_relaxed);
        }
    }
    memset(out, 0, sizeof(*out));
    out->lookups = sum[ST_LOOKUPS];
    out->hits = sum[ST_HITS];
    out->misses = sum[ST_MISSES];
    out->probes = sum[ST_PROBES];
    out->moves = sum[ST_MOVES];
    out->inserts = sum[ST_INSERTS];
    out->insert_present = sum[ST_INSERT_PRESENT];
    out->evictions = sum[ST_EVICTIONS];
    out->insert_nomem = sum[ST_INSERT_NOMEM];
    out->invalidations = sum[ST_INVALIDATIONS];
    out->entries_dropped = sum[ST_ENTRIES_DROPPED];
    out->lock_acquisitions = sum[ST_LOCKS];
    out->tryget_failures = sum[ST_TRYGET_FAILURES];
}

const char *its_cache_kind_name(enum its_cache_kind kind)
{
    if ((unsigned)kind >= ITS_CACHE_NR) {
        return NULL;
    }
    return its_cache_names[kind];
}

int its_cache_kind_from_name(const char *name)
{
    for (unsigned i = 0; i < ITS_CACHE_NR; i++) {
        if (strcmp(its_cache_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -ENOENT;
}
