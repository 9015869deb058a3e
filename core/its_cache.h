/*
 * core/its_cache.h - the LPI translation caches of the GIC ITS (seed 002):
 * (doorbell, device id, event id) -> LPI, four variants behind one
 * interface, chosen when the cache is created.
 *
 *   NONE      caches nothing: every lookup misses (the kworker-only path).
 *   GLOBAL    one LRU list of `size` entries under one spin lock (the
 *             per-VM lpi_list_lock before the seed).  A hit moves the
 *             entry to the head; an insert reuses the tail entry.
 *   SHARDED   the seed: ITS_CACHE_SHARDS lists of `size` entries, one spin
 *             lock each; a lookup uses list plat_cpu_id() % ITS_CACHE_SHARDS;
 *             a hit moves to the head only when it was found past position
 *             ITS_CACHE_SHARD_MOVE_POS (1-based); an insert goes into every
 *             list (each list takes its own reference).
 *   LOCKLESS  a per-ITS set-associative map keyed by (device id, event id):
 *             ITS_CACHE_WAYS slots per set, each slot an atomically
 *             published pointer to an immutable node {key, LPI}.  Lookups
 *             take no lock: inside a read-side section they load the slots
 *             of one set and take a reference with inc-not-zero on the
 *             LPI's count.  Writers serialise on a spin lock; a replaced
 *             node (and an LPI whose count reaches zero) is freed only
 *             after a grace period (see its_reclaim() in core/its.h).
 *
 * References.  Every cached translation holds one reference on its LPI
 * (SHARDED: one per list that holds it).  A successful lookup hands the
 * caller a reference of its own, which the caller drops with its_lpi_put().
 * Invalidation drops the cache's references.
 *
 * Assumes: inserts and invalidations are called with the ITS table lock
 * held (core/its.c guarantees it), so that a translation can never be
 * inserted after an invalidation that made it stale.  Lookups may run on
 * any thread at any time between its_cache_create() and its_cache_destroy().
 * Nothing here reads a clock or orders by pointer value: the lockless map
 * hashes (device id, event id), victims are chosen round-robin per set.
 *
 * Modelled work: every entry or slot examined is reported with
 * plat_work(PLAT_WORK_ITS_CACHE_PROBE, n), while the lock (if any) is held,
 * so lock hold times come out of the cost model.
 */
#ifndef KVMSIM_CORE_ITS_CACHE_H
#define KVMSIM_CORE_ITS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"

#define ITS_CACHE_PER_VCPU 16      /* default entries per vCPU (per list) */
#define ITS_CACHE_SHARDS 8         /* SHARDED: number of lists */
#define ITS_CACHE_SHARD_MOVE_POS 32 /* SHARDED: hits past this move */
#define ITS_CACHE_WAYS 4           /* LOCKLESS: slots per set */
#define ITS_CACHE_MAX_SIZE 65536   /* largest `size` accepted */

enum its_cache_kind {
    ITS_CACHE_NONE = 0,
    ITS_CACHE_GLOBAL = 1,
    ITS_CACHE_SHARDED = 2,
    ITS_CACHE_LOCKLESS = 3,
    ITS_CACHE_NR
};

/* The key of a translation (an MSI as the ITS receives it). */
struct its_msi {
    uint64_t db;      /* doorbell: guest-physical GITS_TRANSLATER address */
    uint32_t devid;
    uint32_t eventid;
};

/* Counters, summed over CPUs.  Lock acquisitions count the cache's own
 * locks only (lookups, inserts, invalidations). */
struct its_cache_stats {
    uint64_t lookups;
    uint64_t hits;
    uint64_t misses;
    uint64_t probes;        /* entries/slots examined, all operations */
    uint64_t moves;         /* hits moved to the head of a list */
    uint64_t inserts;       /* translations written (per list) */
    uint64_t insert_present; /* inserts skipped: already cached (per list) */
    uint64_t evictions;     /* valid entries overwritten by inserts */
    uint64_t insert_nomem;  /* LOCKLESS: node allocation failed */
    uint64_t invalidations; /* its_cache_invalidate() calls */
    uint64_t entries_dropped; /* entries emptied by invalidations */
    uint64_t lock_acquisitions;
    uint64_t tryget_failures; /* LOCKLESS: LPI already dying */
};

struct its;
struct its_lpi;
struct its_cache;

/* Called for every cached translation: list is the LRU list (0 for GLOBAL,
 * the shard for SHARDED) or the set (LOCKLESS); pos is the 1-based
 * position in the list (LOCKLESS: the way + 1).  Runs with the list's lock
 * held; must not call into the cache. */
typedef void its_cache_visit_fn(void *arg, uint32_t list, uint32_t pos,
                                const struct its_msi *key,
                                struct its_lpi *lpi);

/* Create a cache of `kind` for `its`; `size` entries per LRU list (GLOBAL,
 * SHARDED; the kernel uses nr_vcpus * ITS_CACHE_PER_VCPU).  LOCKLESS has
 * the next power of two >= 2 * size slots (at least ITS_CACHE_WAYS), so
 * its sets rarely overflow.
 * All or nothing: -EINVAL for an unknown kind or size 0 or above
 * ITS_CACHE_MAX_SIZE (NONE accepts any size), -ENOMEM when an allocation
 * fails; then *out is untouched and nothing is allocated. */
int its_cache_create(struct its *its, enum its_cache_kind kind, uint32_t size,
                     struct its_cache **out);

/* Drop every cached reference and free the cache.  No lookup may be
 * running (so LOCKLESS nodes are freed at once).  An LPI whose count
 * reaches zero may be queued for its_reclaim(), which the caller runs
 * afterwards.  NULL is accepted. */
void its_cache_destroy(struct its_cache *c);

enum its_cache_kind its_cache_get_kind(const struct its_cache *c);

/* Look msi up.  cpu selects the list for SHARDED (taken modulo
 * ITS_CACHE_SHARDS) and the statistics slot.  On a hit returns the LPI
 * with a new reference owned by the caller; on a miss NULL.  *probes (may
 * be NULL) receives the entries examined.  Never blocks except on the
 * list's spin lock; never allocates. */
struct its_lpi *its_cache_lookup(struct its_cache *c, uint32_t cpu,
                                 const struct its_msi *msi,
                                 uint32_t *probes);

/* Cache msi -> lpi.  Caller holds the ITS table lock and a reference on
 * lpi (which it keeps); the cache takes its own.  An existing entry for
 * msi is left alone (GLOBAL and SHARDED apply their hit rule to it).
 * Cannot fail visibly: LOCKLESS skips the insert when a node cannot be
 * allocated.  Returns the number of lists (or maps) written. */
uint32_t its_cache_insert_locked(struct its_cache *c,
                                 const struct its_msi *msi,
                                 struct its_lpi *lpi);

/* Empty the cache, dropping its references (an LPI whose count reaches
 * zero is freed, or queued for its_reclaim() under LOCKLESS).  Caller holds
 * the ITS table lock.  Lookups that began before the call may still return
 * what they found; lookups that begin after it returns find nothing that
 * was cached before it. */
void its_cache_invalidate_locked(struct its_cache *c);

/* Visit every cached translation (see its_cache_visit_fn).  Returns the
 * number visited.  For checks at quiescent points and tests. */
uint32_t its_cache_for_each(struct its_cache *c, its_cache_visit_fn *fn,
                            void *arg);

/* Number of cached translations (SHARDED: summed over lists). */
uint32_t its_cache_count(struct its_cache *c);

void its_cache_get_stats(const struct its_cache *c,
                         struct its_cache_stats *out);

/* "none", "global", "sharded", "lockless"; NULL for an unknown kind. */
const char *its_cache_kind_name(enum its_cache_kind kind);
/* Kind for a name, or -ENOENT. */
int its_cache_kind_from_name(const char *name);

#endif
