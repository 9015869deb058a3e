/*
 * core/its.h - a virtual GICv3 ITS of one VM (KVM's vgic-its): the device
 * table, the interrupt translation tables (ITTs), the collections, the
 * LPIs as reference-counted objects, the per-redistributor (per-vCPU) LPI
 * enable, the ITS enable, the ITS commands, MSI translation and injection
 * with a translation cache in front (core/its_cache.h, seed 002).
 *
 * Model.  One ITS per VM at doorbell address cfg.doorbell; the VM-wide LPI
 * list lives in the same object.  A device (devid < 2^ITS_DEVID_BITS) owns
 * an ITT of 2^size event ids (MAPD size 1..ITS_EVENT_BITS_MAX).  An ITT
 * entry (ITE) maps an event id to an LPI (ITS_LPI_BASE <= intid <
 * 2^ITS_LPI_BITS) and a collection; a mapped collection (icid <
 * cfg.nr_collections) names a target vCPU.  An LPI object carries its
 * current target vCPU, a pending latch, a "hardware-mapped" (forwarded)
 * flag and a delivery count; several ITEs may share one LPI.  The ITS and
 * every redistributor start disabled.  The command queue is not modelled:
 * its_cmd_exec() runs one command at once, whatever the ITS enable.
 *
 * Translation of (doorbell, devid, eventid), in this order of checks:
 *   doorbell != cfg.doorbell      -EADDRNOTAVAIL   (MSIs only)
 *   ITS disabled                  -EBUSY
 *   no such device                -ENODEV
 *   eventid >= ITT size           -ERANGE
 *   no ITE for eventid            -ENOENT
 *   ITE's collection unmapped     -ENXIO
 * and delivery of the LPI so found: the vCPU the LPI targets must have LPIs
 * enabled, else -EBUSY (nothing delivered).  A cache hit skips the table
 * checks, never the delivery check, so a hit and the tables always agree
 * in a sequential run (model/its/its_oracle.h is the uncached reference).
 *
 * Injection.  its_inject_fast() is the irqfd-wakeup path: a cache lookup,
 * and on a hit the LPI is delivered at once; a miss returns -EWOULDBLOCK
 * and the caller hands the MSI to a kworker, which calls its_inject_slow():
 * translate through the tables under the table lock, deliver, and insert
 * into the cache only if the ITS is enabled, the target vCPU has LPIs
 * enabled and the LPI is not hardware-mapped.  Delivery makes the LPI
 * pending, counts it per LPI and per vCPU, and calls cfg.deliver.
 *
 * Cache invalidation (the whole cache) happens exactly on: DISCARD, MAPD of
 * an existing device (V=1 or V=0), MAPC with V=0, MOVI, MOVALL (even from a
 * vCPU to itself), clearing
 * the ITS enable, clearing a redistributor's LPI enable, marking an LPI
 * hardware-mapped (so the cache never holds one), and teardown.  INV,
 * INVALL, CLEAR, INT, SYNC, MAPTI, MAPI, MAPD of a new device and MAPC with
 * V=1 do not invalidate: none of them changes or removes a translation
 * that already resolves (MAPC V=1 on a mapped collection retargets its
 * LPIs in place; the cache holds LPIs, not targets).
 *
 * Locks, outermost first: its->lock (mutex: tables, enables; commands and
 * the slow path), the cache's locks (spin), the LPI lock (spin: LPI list,
 * deferred frees).  The fast path takes only the cache's locks, or none
 * (LOCKLESS).  LPI targets and enables are read by the fast path with
 * plat_atomic loads.
 *
 * Errors are negative errno values.  Everything a guest can reach (commands,
 * MSIs) fails with an error and no change; nothing here aborts.
 */
#ifndef KVMSIM_CORE_ITS_H
#define KVMSIM_CORE_ITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/its_cache.h"
#include "core/platform.h"

#define ITS_DEVID_BITS 16     /* device ids are below 2^16 */
#define ITS_EVENT_BITS_MAX 16 /* MAPD size: 1..16 event-id bits */
#define ITS_LPI_BASE 8192     /* first LPI INTID */
#define ITS_LPI_BITS 16       /* INTIDs are below 2^16 */
#define ITS_MAX_VCPUS 512
#define ITS_MAX_COLLECTIONS 4096
#define ITS_ICID_NONE UINT32_MAX /* an ITE orphaned by MAPC V=0 */
#define ITS_CPU_SELF UINT32_MAX  /* "the CPU I run on": plat_cpu_id() */
#define ITS_RECLAIM_BATCH 64  /* slow path reclaims past this many frees */

/* The commands, plus three register writes modelled as commands so one
 * opcode stream drives everything.  Values are stable (fuzz corpora). */
enum its_cmd_op {
    ITS_CMD_MAPD = 0,    /* devid, size, valid */
    ITS_CMD_MAPC = 1,    /* icid, vcpu, valid */
    ITS_CMD_MAPTI = 2,   /* devid, eventid, intid, icid */
    ITS_CMD_MAPI = 3,    /* devid, eventid, icid (intid = eventid) */
    ITS_CMD_MOVI = 4,    /* devid, eventid, icid */
    ITS_CMD_MOVALL = 5,  /* vcpu -> vcpu2 */
    ITS_CMD_DISCARD = 6, /* devid, eventid */
    ITS_CMD_INV = 7,     /* devid, eventid */
    ITS_CMD_INVALL = 8,  /* icid */
    ITS_CMD_INT = 9,     /* devid, eventid */
    ITS_CMD_CLEAR = 10,  /* devid, eventid */
    ITS_CMD_SYNC = 11,   /* vcpu */
    ITS_CMD_SET_ENABLED = 12, /* GITS_CTLR.Enabled = valid */
    ITS_CMD_SET_LPIS = 13,    /* vcpu's GICR_CTLR.EnableLPIs = valid */
    ITS_CMD_SET_HW = 14,      /* devid, eventid: LPI forwarded = valid */
    ITS_CMD_NR
};

/* One command.  Unused fields are ignored. */
struct its_cmd {
    enum its_cmd_op op;
    uint32_t devid;
    uint32_t eventid;
    uint32_t intid; /* MAPTI: the physical INTID (LPI number) */
    uint32_t icid;  /* collection id */
    uint32_t vcpu;  /* MAPC target, MOVALL source, SYNC, SET_LPIS */
    uint32_t vcpu2; /* MOVALL destination */
    uint32_t size;  /* MAPD: number of event-id bits */
    bool valid;     /* MAPD, MAPC V bit; value of the SET_* writes */
};

/* Called once per delivered LPI, on the delivering thread (fast path: no
 * ITS lock held; slow path and INT: its->lock held).  Must not call into
 * the ITS. */
typedef void its_deliver_fn(void *arg, uint32_t intid, uint32_t vcpu,
                            bool hw);

struct its_config {
    uint32_t nr_vcpus;        /* 1..ITS_MAX_VCPUS */
    uint32_t nr_collections;  /* 1..ITS_MAX_COLLECTIONS */
    enum its_cache_kind cache;
    uint32_t cache_size;      /* entries per LRU list; 0: nr_vcpus *
                                 ITS_CACHE_PER_VCPU */
    uint64_t doorbell;        /* guest-physical GITS_TRANSLATER */
    its_deliver_fn *deliver;  /* may be NULL */
    void *deliver_arg;
};

/* What an injection did. */
struct its_inject_result {
    bool hit;        /* served from the cache */
    bool inserted;   /* the slow path cached the translation */
    bool delivered;  /* the LPI was made pending on `vcpu` */
    bool hw;         /* the LPI is hardware-mapped */
    uint32_t intid;  /* the LPI translated to; 0 when none */
    uint32_t vcpu;   /* its target when delivered */
    uint32_t probes; /* cache entries examined */
};

/* Counters (cumulative; cache counters included). */
struct its_stats {
    uint64_t fast_hits;      /* its_inject_fast() served by the cache */
    uint64_t fast_misses;    /* returned -EWOULDBLOCK */
    uint64_t slow_calls;     /* its_inject_slow() and INT */
    uint64_t slow_errors;    /* of those, not delivered */
    uint64_t inserts;        /* slow path inserts into the cache */
    uint64_t insert_skips;   /* resolved but not cacheable (hw LPI) */
    uint64_t delivered;      /* all paths */
    uint64_t dropped;        /* translated but target LPIs disabled */
    uint64_t commands;       /* its_cmd_exec() calls */
    uint64_t command_errors;
    uint64_t invalidations;  /* cache invalidations by the ITS */
    uint64_t lpis_live;      /* LPI objects allocated and not yet freed */
    uint64_t lpis_freed;
    uint64_t reclaims;       /* grace periods waited for deferred frees */
    struct its_cache_stats cache;
};

/* A snapshot of one LPI, for checks and tests. */
struct its_lpi_info {
    uint32_t intid;
    uint32_t target;     /* vCPU */
    uint64_t refcount;
    uint64_t delivered;
    bool pending;
    bool hw;
};

struct its;
struct its_lpi;

/* Defaults: 4 vCPUs, 16 collections, SHARDED cache of nr_vcpus * 16
 * entries per list, doorbell 0x08090040, no delivery hook. */
void its_config_default(struct its_config *cfg);

/* Create an ITS (disabled, every redistributor's LPIs disabled, empty
 * tables).  All or nothing: -EINVAL for a bad config, -ENOMEM; then *out is
 * untouched. */
int its_create(const struct its_config *cfg, struct its **out);

/* Tear down: invalidate and free the cache, free every device, ITE and
 * collection, wait a grace period for deferred frees, free the ITS.  No
 * other thread may use the ITS, and every reference handed out must have
 * been put.  Returns the number of LPIs that were still referenced (0 when
 * the caller kept the rule); those are freed anyway.  NULL is accepted. */
unsigned its_destroy(struct its *its);

/* Execute one command (or modelled register write) under the table lock,
 * then run its_reclaim() if anything awaits a grace period.  Must not be
 * called inside a read-side section.  0 on success; on error nothing
 * changed:
 *   -EINVAL   an id out of range: devid >= 2^ITS_DEVID_BITS, icid >=
 *             nr_collections, vcpu/vcpu2 >= nr_vcpus, MAPD size outside
 *             1..ITS_EVENT_BITS_MAX when valid, MAPTI intid outside the
 *             LPI range (MAPI: eventid), unknown op
 *   -ENODEV   no such device
 *   -ERANGE   eventid beyond the device's ITT
 *   -ENOENT   no ITE for the event
 *   -EEXIST   MAPTI/MAPI of an event that already has an ITE
 *   -ENXIO    the collection named (MAPTI, MAPI, MOVI target, INVALL) or
 *             the ITE's collection (DISCARD, MOVI) is not mapped
 *   -ENOMEM   MAPD, MAPTI, MAPI could not allocate
 * Checks run in the order: range checks (fields in the order above), then
 * device, ITT range, ITE, EEXIST, collections.  INT returns what
 * its_inject_slow() would (0 delivered; -EBUSY, -ENODEV, ... as in the
 * translation table above).  MAPD V=0 of an unknown device and MAPC V=0 of
 * an unmapped collection succeed (and MAPC V=0 still invalidates). */
int its_cmd_exec(struct its *its, const struct its_cmd *cmd);
/* Name of an op ("mapd", ..., "set_hw"), NULL when unknown. */
const char *its_cmd_name(enum its_cmd_op op);

/* The fast path (irqfd wakeup).  cpu is the physical CPU (ITS_CPU_SELF:
 * plat_cpu_id()); it picks the SHARDED list.  res may be NULL.
 *   0              cache hit, LPI delivered
 *   -EBUSY         cache hit, but the target vCPU has LPIs disabled
 *   -EWOULDBLOCK   miss: call its_inject_slow() from a kworker
 *   -EADDRNOTAVAIL the doorbell is not this ITS's
 * Never blocks except on a cache spin lock, never allocates. */
int its_inject_fast(struct its *its, uint32_t cpu, const struct its_msi *msi,
                    struct its_inject_result *res);

/* The kworker path: translate through the tables under the table lock,
 * deliver, and cache the translation when allowed (see above).  Returns 0
 * when delivered, else the translation or delivery error.  May run
 * its_reclaim() (a grace period), so it must not be called inside a
 * read-side section.  res may be NULL. */
int its_inject_slow(struct its *its, const struct its_msi *msi,
                    struct its_inject_result *res);

/* Fast path, then the slow path inline on a miss (tests, fuzzing); on a
 * miss res->probes keeps the fast path's count. */
int its_inject(struct its *its, uint32_t cpu, const struct its_msi *msi,
               struct its_inject_result *res);

/* Translate through the tables only: no cache, no delivery, no insert.
 * 0 and *intid, or the translation errors above (delivery not checked). */
int its_translate(struct its *its, const struct its_msi *msi,
                  uint32_t *intid);

/* Wait one grace period and free what awaits it (LPIs and LOCKLESS cache
 * nodes).  Must not be called inside a read-side section or with an ITS
 * lock held.  Returns the number of objects freed. */
unsigned its_reclaim(struct its *its);

/* Check, at a quiescent point (no injection or command in flight, no
 * reference held outside the ITS), that:
 *   - every LPI's count equals the ITEs naming it plus the cache entries
 *     holding it, and every LPI on the list is named by some ITE;
 *   - every cached translation is what the tables translate it to now
 *     (ITS enabled, device, ITE in range, mapped collection, same LPI);
 *   - no cached LPI is hardware-mapped;
 *   - no reference was ever dropped on a dead LPI.
 * 0 when all hold; otherwise -EUCLEAN and a message in msg (may be NULL). */
int its_check(struct its *its, char *msg, size_t len);

/* Introspection (takes the table lock). */
int its_lpi_info(struct its *its, uint32_t intid, struct its_lpi_info *out);
uint32_t its_nr_lpis(struct its *its);
uint64_t its_vcpu_delivered(struct its *its, uint32_t vcpu);
void its_get_stats(struct its *its, struct its_stats *out);
struct its_cache *its_get_cache(struct its *its);
/* The table lock (its->lock), for lock-rule assertions of the cache
 * (plat_lock_assert_held()); never taken through this. */
const struct plat_lock *its_table_lock(const struct its *its);
const struct its_config *its_get_config(const struct its *its);

/* ---- LPI references (used by core/its_cache.c and callers) ------------- */

/* Take a reference.  The caller already holds one, or holds a lock under
 * which the LPI is known to be referenced (a cache list lock). */
void its_lpi_get(struct its_lpi *lpi);
/* Take a reference unless the count is already zero (the LPI is dying);
 * false then.  Safe on an LPI reached lock-free inside a read-side
 * section. */
bool its_lpi_tryget(struct its_lpi *lpi);
/* Drop a reference.  At zero the LPI leaves the LPI list and is freed:
 * at once, or for a LOCKLESS cache after a grace period (its_reclaim()). */
void its_lpi_put(struct its *its, struct its_lpi *lpi);
uint32_t its_lpi_intid(const struct its_lpi *lpi);
/* Caller holds the table lock. */
bool its_lpi_hw_locked(const struct its_lpi *lpi);

/* An object freed after a grace period: embed as the FIRST member of a
 * plat_alloc()ed object; its_defer_free() queues the whole object. */
struct its_rcu_head {
    struct its_rcu_head *next;
};
void its_defer_free(struct its *its, struct its_rcu_head *head);

#endif
