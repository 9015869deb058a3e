/*
 * core/its.c - the virtual ITS of core/its.h: tables, commands, LPI
 * reference counting, MSI translation and the two injection paths.
 *
 * Tables are plain linked lists in insertion order (devices; each device's
 * ITEs; the VM's LPIs), like KVM's; collections and vCPUs are arrays.  No
 * order depends on a pointer value.
 *
 * LPI lifetime.  An LPI is referenced by every ITE that names it, by every
 * cache entry that holds it and by every caller a lookup handed it to.  The
 * LPI list holds no reference: its_lpi_put() drops the count with a
 * compare-and-swap while it stays above one, and takes the LPI lock for the
 * last drop, so an LPI found on the list under that lock always has a
 * count of at least one.  At zero the LPI leaves the list and is freed at
 * once, except with a LOCKLESS cache, whose readers may still hold a
 * pointer inside a read-side section: then it is queued and freed by
 * its_reclaim() after a grace period.
 *
 * Cache lines (plat_line, priced by the platform when they move between
 * CPUs): an LPI's line (its count, target and pending state; every get
 * and put is an atomic on it, a delivery reads it), a vCPU's pending list
 * (taken by every delivery to that vCPU) and the table lock's word.
 *
 * Assumes: a command or slow-path caller is not inside a read-side section;
 * its_destroy() runs alone.  Everything guest-reachable returns an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/its.h"
#include "core/testcase.h"

#define ITS_LPI_MAGIC 0x4c5049616c697665ull /* "LPIalive" */
#define ITS_LPI_DEAD 0x4c50496465616421ull  /* "LPIdead!" */
#define ITS_LPI_END (1u << ITS_LPI_BITS)

/* rcu must stay first: its_reclaim() frees the object through it. */
struct its_lpi {
    struct its_rcu_head rcu;
    uint64_t magic;          /* ITS_LPI_MAGIC while the count is > 0 */
    struct its_lpi *next;    /* LPI list, under lpi_lock */
    uint32_t intid;          /* immutable */
    _Atomic bool hw;         /* written under its->lock */
    plat_atomic64 refcount;
    plat_atomic64 target;    /* vCPU; written under its->lock */
    _Atomic uint64_t pending;
    _Atomic uint64_t delivered;
    struct plat_line line;   /* the fields above, as one cache line */
    uint64_t pad[6];         /* 128 bytes: LPIs hit from different CPUs */
};
_Static_assert(sizeof(struct its_lpi) == 128, "LPI padding");

struct its_ite {
    struct its_ite *next;
    uint32_t eventid;
    uint32_t icid;           /* ITS_ICID_NONE once orphaned by MAPC V=0 */
    struct its_lpi *lpi;     /* holds a reference */
};

struct its_device {
    struct its_device *next;
    uint32_t devid;
    uint32_t size;           /* event-id bits */
    struct its_ite *ites;    /* newest first */
};

struct its_coll {
    bool mapped;
    uint32_t vcpu;
};

/* Padded to a cache line: vCPUs are delivered to from different CPUs. */
struct its_vcpu {
    plat_atomic64 lpis_enabled; /* written under its->lock */
    _Atomic uint64_t delivered;
    struct plat_line line;      /* the pending list's lock, per delivery */
    uint64_t pad[4];
};
_Static_assert(sizeof(struct its_vcpu) == 64, "one vCPU per cache line");

struct its {
    struct its_config cfg;
    struct plat_lock lock;      /* mutex: everything marked "under lock" */
    struct plat_line lock_line; /* its word, written by every holder */
    bool enabled;               /* under lock */
    struct its_device *devices; /* under lock, newest first */
    struct its_coll *colls;     /* under lock */
    struct its_vcpu *vcpus;
    struct its_cache *cache;
    bool rcu_free;              /* LOCKLESS: LPIs freed after a grace */

    struct plat_lock lpi_lock;  /* spin: the fields below */
    struct its_lpi *lpis;       /* newest first */
    uint32_t nr_lpis;
    struct its_rcu_head *garbage;
    uint32_t nr_garbage;
    uint64_t lpis_freed;
    uint64_t reclaims;
    uint64_t bad_refs;          /* get/put on a dead LPI: a core bug */

    /* under lock */
    uint64_t slow_calls;
    uint64_t slow_errors;
    uint64_t inserts;
    uint64_t insert_skips;
    uint64_t commands;
    uint64_t command_errors;
    uint64_t invalidations;
    _Atomic uint64_t dropped;   /* any path */
};

static const char *const its_cmd_names[ITS_CMD_NR] = {
    [ITS_CMD_MAPD] = "mapd",       [ITS_CMD_MAPC] = "mapc",
    [ITS_CMD_MAPTI] = "mapti",     [ITS_CMD_MAPI] = "mapi",
    [ITS_CMD_MOVI] = "movi",       [ITS_CMD_MOVALL] = "movall",
    [ITS_CMD_DISCARD] = "discard", [ITS_CMD_INV] = "inv",
    [ITS_CMD_INVALL] = "invall",   [ITS_CMD_INT] = "int",
    [ITS_CMD_CLEAR] = "clear",     [ITS_CMD_SYNC] = "sync",
    [ITS_CMD_SET_ENABLED] = "set_enabled",
    [ITS_CMD_SET_LPIS] = "set_lpis",
    [ITS_CMD_SET_HW] = "set_hw",
};

const char *its_cmd_name(enum its_cmd_op op)
{
    if ((unsigned)op >= ITS_CMD_NR) {
        return NULL;
    }
    return its_cmd_names[op];
}

/* ---- LPI references ----------------------------------------------------- */

void its_lpi_get(struct its_lpi *lpi)
{
    plat_line_touch(&lpi->line, PLAT_LINE_RMW);
    plat_atomic_fetch_add(&lpi->refcount, 1);
}

bool its_lpi_tryget(struct its_lpi *lpi)
{
    uint64_t old;

    plat_line_touch(&lpi->line, PLAT_LINE_RMW);
    old = plat_atomic_load(&lpi->refcount);

    while (old != 0) {
        if (plat_atomic_cmpxchg(&lpi->refcount, &old, old + 1)) {
            return true;
        }
    }
    return false;
}

/* Unlink lpi from the LPI list.  Caller holds lpi_lock. */
static void its_lpi_unlink_locked(struct its *its, struct its_lpi *lpi)
{
    struct its_lpi **pp = &its->lpis;

    plat_lock_assert_held(&its->lpi_lock);
    while (*pp && *pp != lpi) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = lpi->next;
        its->nr_lpis--;
    }
}

void its_lpi_put(struct its *its, struct its_lpi *lpi)
{
    uint64_t old;

    if (lpi->magic != ITS_LPI_MAGIC) {
        /* Put on a dead LPI: a core bug.  Touch nothing; its_check()
         * reports it (and ASan the read above, if it was freed). */
        plat_lock(&its->lpi_lock);
        its->bad_refs++;
        plat_unlock(&its->lpi_lock);
        return;
    }
    plat_line_touch(&lpi->line, PLAT_LINE_RMW);
    old = plat_atomic_load(&lpi->refcount);
    while (old > 1) {
        if (plat_atomic_cmpxchg(&lpi->refcount, &old, old - 1)) {
            return;
        }
    }
    /* Possibly the last reference: decide under the LPI lock, so an LPI
     * on the list never has a zero count while someone can see it. */
    plat_lock(&its->lpi_lock);
    old = plat_atomic_load(&lpi->refcount);
    while (old > 0 && !plat_atomic_cmpxchg(&lpi->refcount, &old, old - 1)) {
    }
    if (old == 0) {
        its->bad_refs++;
    } else if (old == 1) {
        its_lpi_unlink_locked(its, lpi);
        lpi->magic = ITS_LPI_DEAD;
        its->lpis_freed++;
        if (its->rcu_free) {
            KVMSIM_MARK(ITS_LPI_FREE_DEFERRED);
            lpi->rcu.next = its->garbage;
            its->garbage = &lpi->rcu;
            its->nr_garbage++;
        } else {
            plat_free(lpi);
        }
    }
    plat_unlock(&its->lpi_lock);
}

uint32_t its_lpi_intid(const struct its_lpi *lpi)
{
    return lpi->intid;
}

bool its_lpi_hw_locked(const struct its_lpi *lpi)
{
    return atomic_load_explicit(&lpi->hw, memory_order_relaxed);
}

void its_defer_free(struct its *its, struct its_rcu_head *head)
{
    plat_lock(&its->lpi_lock);
    head->next = its->garbage;
    its->garbage = head;
    its->nr_garbage++;
    plat_unlock(&its->lpi_lock);
}

unsigned its_reclaim(struct its *its)
{
    struct its_rcu_head *list;
    unsigned n = 0;

    plat_lock(&its->lpi_lock);
    list = its->garbage;
    its->garbage = NULL;
    its->nr_garbage = 0;
    plat_unlock(&its->lpi_lock);
    if (!list) {
        return 0;
    }
    /* Every reader that could have loaded one of these pointers began
     * before it was unpublished, so before this grace period. */
    plat_rcu_synchronize();
    while (list) {
        struct its_rcu_head *next = list->next;

        plat_free(list);
        list = next;
        n++;
    }
    plat_lock(&its->lpi_lock);
    its->reclaims++;
    plat_unlock(&its->lpi_lock);
    return n;
}

/* Find the live LPI intid and take a reference.  Caller holds lpi_lock. */
static struct its_lpi *its_lpi_find_get_locked(struct its *its,
                                               uint32_t intid)
{
    plat_lock_assert_held(&its->lpi_lock);
    for (struct its_lpi *l = its->lpis; l; l = l->next) {
        if (l->intid == intid) {
            its_lpi_get(l);
            return l;
        }
    }
    return NULL;
}

/* ---- tables ------------------------------------------------------------- */

static struct its_device *its_find_device_locked(struct its *its,
                                                 uint32_t devid)
{
    plat_lock_assert_held(&its->lock);
    for (struct its_device *d = its->devices; d; d = d->next) {
        if (d->devid == devid) {
            return d;
        }
    }
    return NULL;
}

static struct its_ite **its_find_ite_slot(struct its_device *dev,
                                          uint32_t eventid)
{
    struct its_ite **pp = &dev->ites;

    while (*pp && (*pp)->eventid != eventid) {
        pp = &(*pp)->next;
    }
    return pp;
}

static bool its_coll_mapped_locked(const struct its *its, uint32_t icid)
{
    plat_lock_assert_held(&its->lock);
    return icid < its->cfg.nr_collections && its->colls[icid].mapped;
}

static void its_set_target(struct its_lpi *lpi, uint32_t vcpu)
{
    plat_line_touch(&lpi->line, PLAT_LINE_RMW);
    plat_atomic_store(&lpi->target, vcpu);
}

static void its_ite_free(struct its *its, struct its_ite *ite)
{
    its_lpi_put(its, ite->lpi);
    plat_free(ite);
}

static void its_device_free(struct its *its, struct its_device *dev)
{
    while (dev->ites) {
        struct its_ite *ite = dev->ites;

        dev->ites = ite->next;
        its_ite_free(its, ite);
    }
    plat_free(dev);
}

static void its_unlink_device_locked(struct its *its, struct its_device *dev)
{
    struct its_device **pp = &its->devices;

    plat_lock_assert_held(&its->lock);
    while (*pp != dev) {
        pp = &(*pp)->next;
    }
    *pp = dev->next;
}

static void its_invalidate_locked(struct its *its)
{
    plat_lock_assert_held(&its->lock);
    its->invalidations++;
    its_cache_invalidate_locked(its->cache);
}

/* Resolve (devid, eventid) through the tables: the checks of core/its.h
 * after the doorbell.  Caller holds the lock.  No modelled work. */
static int its_resolve_locked(struct its *its, uint32_t devid,
                              uint32_t eventid, struct its_ite **out)
{
    struct its_device *dev;
    struct its_ite *ite;

    plat_lock_assert_held(&its->lock);
    if (!its->enabled) {
        return -EBUSY;
    }
    dev = its_find_device_locked(its, devid);
    if (!dev) {
        return -ENODEV;
    }
    if (eventid >= (1u << dev->size)) {
        return -ERANGE;
    }
    ite = *its_find_ite_slot(dev, eventid);
    if (!ite) {
        return -ENOENT;
    }
    if (!its_coll_mapped_locked(its, ite->icid)) {
        return -ENXIO;
    }
    *out = ite;
    return 0;
}

/* Look up the ITE a command names: -ENODEV, -ERANGE, -ENOENT. */
static int its_cmd_ite_locked(struct its *its, uint32_t devid,
                              uint32_t eventid, struct its_device **devp,
                              struct its_ite ***slotp)
{
    struct its_device *dev;
    struct its_ite **slot;

    plat_lock_assert_held(&its->lock);
    dev = its_find_device_locked(its, devid);
    if (!dev) {
        return -ENODEV;
    }
    if (eventid >= (1u << dev->size)) {
        return -ERANGE;
    }
    slot = its_find_ite_slot(dev, eventid);
    if (!*slot) {
        return -ENOENT;
    }
    if (devp) {
        *devp = dev;
    }
    *slotp = slot;
    return 0;
}

/* ---- delivery ----------------------------------------------------------- */

/* Make lpi pending on its target if that vCPU has LPIs enabled.  The caller
 * holds a reference (or the lock with an ITE naming lpi).  The modelled
 * price of an injection (PLAT_WORK_ITS_INJECT: the irqfd wakeup and
 * irqfd_inject work around it) is charged by the injection paths once no
 * ITS lock is held, so lock hold times are the walk and the probes. */
static int its_deliver(struct its *its, struct its_lpi *lpi,
                       struct its_inject_result *res)
{
    uint32_t vcpu;
    bool hw;

    plat_line_touch(&lpi->line, PLAT_LINE_READ);
    vcpu = (uint32_t)plat_atomic_load(&lpi->target);
    hw = atomic_load_explicit(&lpi->hw, memory_order_relaxed);
    res->intid = lpi->intid;
    res->hw = hw;
    if (!plat_atomic_load(&its->vcpus[vcpu].lpis_enabled)) {
        atomic_fetch_add_explicit(&its->dropped, 1, memory_order_relaxed);
        return -EBUSY;
    }
    plat_line_touch(&its->vcpus[vcpu].line, PLAT_LINE_RMW);
    atomic_store_explicit(&lpi->pending, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&lpi->delivered, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&its->vcpus[vcpu].delivered, 1,
                              memory_order_relaxed);
    res->delivered = true;
    res->vcpu = vcpu;
    if (its->cfg.deliver) {
        its->cfg.deliver(its->cfg.deliver_arg, lpi->intid, vcpu, hw);
    }
    return 0;
}

/* The kworker's work (and INT): translate, cache if allowed, deliver.
 * Caller holds the lock. */
static int its_trigger_locked(struct its *its, const struct its_msi *msi,
                              struct its_inject_result *res)
{
    struct its_ite *ite;
    struct its_lpi *lpi;
    uint32_t target;
    int rc;

    plat_lock_assert_held(&its->lock);
    its->slow_calls++;
    plat_work(PLAT_WORK_ITS_TABLE_WALK, 1);
    rc = its_resolve_locked(its, msi->devid, msi->eventid, &ite);
    if (rc != 0) {
        its->slow_errors++;
        return rc;
    }
    lpi = ite->lpi;
    target = (uint32_t)plat_atomic_load(&lpi->target);
    /* Cache only what the fast path may deliver: ITS enabled (resolved),
     * target's LPIs enabled, not forwarded to hardware. */
    if (plat_atomic_load(&its->vcpus[target].lpis_enabled)) {
        if (its_lpi_hw_locked(lpi)) {
            KVMSIM_MARK(ITS_INSERT_SKIP_HW);
            its->insert_skips++;
        } else if (its_cache_insert_locked(its->cache, msi, lpi) > 0) {
            its->inserts++;
            res->inserted = true;
        }
    }
    rc = its_deliver(its, lpi, res);
    if (rc != 0) {
        its->slow_errors++;
    }
    return rc;
}

static void its_result_clear(struct its_inject_result *res)
{
    memset(res, 0, sizeof(*res));
}

int its_inject_fast(struct its *its, uint32_t cpu, const struct its_msi *msi,
                    struct its_inject_result *res)
{
    struct its_inject_result local;
    struct its_lpi *lpi;
    int rc;

    if (!res) {
        res = &local;
    }
    its_result_clear(res);
    if (msi->db != its->cfg.doorbell) {
        return -EADDRNOTAVAIL;
    }
    if (cpu == ITS_CPU_SELF) {
        cpu = plat_cpu_id();
    }
    lpi = its_cache_lookup(its->cache, cpu, msi, &res->probes);
    if (!lpi) {
        return -EWOULDBLOCK;
    }
    res->hit = true;
    rc = its_deliver(its, lpi, res);
    its_lpi_put(its, lpi);
    if (res->delivered) {
        plat_work(PLAT_WORK_ITS_INJECT, 1);
    }
    return rc;
}

static bool its_reclaim_due(struct its *its, uint32_t min)
{
    bool due;

    if (!its->rcu_free) {
        return false;
    }
    plat_lock(&its->lpi_lock);
    due = its->nr_garbage > 0 && its->nr_garbage >= min;
    plat_unlock(&its->lpi_lock);
    return due;
}

int its_inject_slow(struct its *its, const struct its_msi *msi,
                    struct its_inject_result *res)
{
    struct its_inject_result local;
    int rc;

    if (!res) {
        res = &local;
    }
    its_result_clear(res);
    if (msi->db != its->cfg.doorbell) {
        return -EADDRNOTAVAIL;
    }
    plat_lock(&its->lock);
    plat_line_touch(&its->lock_line, PLAT_LINE_RMW);
    rc = its_trigger_locked(its, msi, res);
    plat_unlock(&its->lock);
    if (res->delivered) {
        plat_work(PLAT_WORK_ITS_INJECT, 1);
    }
    if (its_reclaim_due(its, ITS_RECLAIM_BATCH)) {
        its_reclaim(its);
    }
    return rc;
}

int its_inject(struct its *its, uint32_t cpu, const struct its_msi *msi,
               struct its_inject_result *res)
{
    struct its_inject_result local;
    uint32_t probes;
    int rc;

    if (!res) {
        res = &local;
    }
    rc = its_inject_fast(its, cpu, msi, res);
    if (rc == -EWOULDBLOCK) {
        probes = res->probes;
        rc = its_inject_slow(its, msi, res);
        res->probes = probes;
    }
    return rc;
}

int its_translate(struct its *its, const struct its_msi *msi,
                  uint32_t *intid)
{
    struct its_ite *ite;
    int rc;

    if (msi->db != its->cfg.doorbell) {
        return -EADDRNOTAVAIL;
    }
    plat_lock(&its->lock);
    rc = its_resolve_locked(its, msi->devid, msi->eventid, &ite);
    if (rc == 0 && intid) {
        *intid = ite->lpi->intid;
    }
    plat_unlock(&its->lock);
    return rc;
}

/* ---- commands ----------------------------------------------------------- */

static bool its_devid_ok(uint32_t devid)
{
    return devid < (1u << ITS_DEVID_BITS);
}

static int its_cmd_mapd_locked(struct its *its, const struct its_cmd *cmd)
{
    struct its_device *old;
    struct its_device *dev = NULL;

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid)) {
        return -EINVAL;
    }
    if (cmd->valid && (cmd->size < 1 || cmd->size > ITS_EVENT_BITS_MAX)) {
        return -EINVAL;
    }
    old = its_find_device_locked(its, cmd->devid);
    if (cmd->valid) {
        /* Allocate first: on failure the old device stays mapped. */
        dev = plat_zalloc(sizeof(*dev));
        if (!dev) {
            return -ENOMEM;
        }
        dev->devid = cmd->devid;
        dev->size = cmd->size;
    }
    if (old) {
        KVMSIM_MARK(ITS_INVAL_MAPD);
        its_unlink_device_locked(its, old);
        its_device_free(its, old);
        its_invalidate_locked(its);
    }
    if (dev) {
        dev->next = its->devices;
        its->devices = dev;
    }
    return 0;
}

static void its_retarget_coll_locked(struct its *its, uint32_t icid,
                                     uint32_t vcpu)
{
    plat_lock_assert_held(&its->lock);
    for (struct its_device *d = its->devices; d; d = d->next) {
        for (struct its_ite *ite = d->ites; ite; ite = ite->next) {
            if (ite->icid == icid) {
                its_set_target(ite->lpi, vcpu);
            }
        }
    }
}

static int its_cmd_mapc_locked(struct its *its, const struct its_cmd *cmd)
{
    plat_lock_assert_held(&its->lock);
    if (cmd->icid >= its->cfg.nr_collections) {
        return -EINVAL;
    }
    if (cmd->valid && cmd->vcpu >= its->cfg.nr_vcpus) {
        return -EINVAL;
    }
    if (!cmd->valid) {
        /* The ITEs of the collection are orphaned for good (KVM). */
        for (struct its_device *d = its->devices; d; d = d->next) {
            for (struct its_ite *ite = d->ites; ite; ite = ite->next) {
                if (ite->icid == cmd->icid) {
                    ite->icid = ITS_ICID_NONE;
                }
            }
        }
        its->colls[cmd->icid].mapped = false;
        KVMSIM_MARK(ITS_INVAL_MAPC_UNMAP);
        its_invalidate_locked(its);
        return 0;
    }
    its->colls[cmd->icid].mapped = true;
    its->colls[cmd->icid].vcpu = cmd->vcpu;
    its_retarget_coll_locked(its, cmd->icid, cmd->vcpu);
    return 0;
}

static int its_cmd_mapti_locked(struct its *its, const struct its_cmd *cmd)
{
    uint32_t intid = cmd->op == ITS_CMD_MAPI ? cmd->eventid : cmd->intid;
    struct its_device *dev;
    struct its_ite **slot;
    struct its_ite *ite;
    struct its_lpi *lpi;

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid)) {
        return -EINVAL;
    }
    if (intid < ITS_LPI_BASE || intid >= ITS_LPI_END) {
        return -EINVAL;
    }
    if (cmd->icid >= its->cfg.nr_collections) {
        return -EINVAL;
    }
    dev = its_find_device_locked(its, cmd->devid);
    if (!dev) {
        return -ENODEV;
    }
    if (cmd->eventid >= (1u << dev->size)) {
        return -ERANGE;
    }
    slot = its_find_ite_slot(dev, cmd->eventid);
    if (*slot) {
        return -EEXIST;
    }
    if (!its->colls[cmd->icid].mapped) {
        return -ENXIO;
    }
    ite = plat_zalloc(sizeof(*ite));
    if (!ite) {
        return -ENOMEM;
    }
    plat_lock(&its->lpi_lock);
    lpi = its_lpi_find_get_locked(its, intid);
    plat_unlock(&its->lpi_lock);
    if (!lpi) {
        lpi = plat_zalloc(sizeof(*lpi));
        if (!lpi) {
            plat_free(ite);
            return -ENOMEM;
        }
        lpi->magic = ITS_LPI_MAGIC;
        lpi->intid = intid;
        plat_line_init(&lpi->line);
        plat_atomic_store(&lpi->refcount, 1);
        /* Only MAPTI/MAPI (under the lock) create LPIs, so nobody added
         * this intid since the search. */
        plat_lock(&its->lpi_lock);
        lpi->next = its->lpis;
        its->lpis = lpi;
        its->nr_lpis++;
        plat_unlock(&its->lpi_lock);
    }
    its_set_target(lpi, its->colls[cmd->icid].vcpu);
    ite->eventid = cmd->eventid;
    ite->icid = cmd->icid;
    ite->lpi = lpi;
    ite->next = dev->ites;
    dev->ites = ite;
    return 0;
}

static int its_cmd_movi_locked(struct its *its, const struct its_cmd *cmd)
{
    struct its_ite **slot;
    struct its_ite *ite;
    int rc;

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid) || cmd->icid >= its->cfg.nr_collections) {
        return -EINVAL;
    }
    rc = its_cmd_ite_locked(its, cmd->devid, cmd->eventid, NULL, &slot);
    if (rc != 0) {
        return rc;
    }
    ite = *slot;
    if (!its_coll_mapped_locked(its, ite->icid) ||
        !its->colls[cmd->icid].mapped) {
        return -ENXIO;
    }
    KVMSIM_MARK(ITS_INVAL_MOVI);
    its_invalidate_locked(its);
    ite->icid = cmd->icid;
    its_set_target(ite->lpi, its->colls[cmd->icid].vcpu);
    return 0;
}

static int its_cmd_movall_locked(struct its *its, const struct its_cmd *cmd)
{
    plat_lock_assert_held(&its->lock);
    if (cmd->vcpu >= its->cfg.nr_vcpus || cmd->vcpu2 >= its->cfg.nr_vcpus) {
        return -EINVAL;
    }
    plat_lock(&its->lpi_lock);
    for (struct its_lpi *l = its->lpis; l; l = l->next) {
        if (plat_atomic_load(&l->target) == cmd->vcpu) {
            its_set_target(l, cmd->vcpu2);
        }
    }
    plat_unlock(&its->lpi_lock);
    KVMSIM_MARK(ITS_INVAL_MOVALL);
    its_invalidate_locked(its);
    return 0;
}

static int its_cmd_discard_locked(struct its *its, const struct its_cmd *cmd)
{
    struct its_ite **slot;
    struct its_ite *ite;
    int rc;

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid)) {
        return -EINVAL;
    }
    rc = its_cmd_ite_locked(its, cmd->devid, cmd->eventid, NULL, &slot);
    if (rc != 0) {
        return rc;
    }
    ite = *slot;
    if (!its_coll_mapped_locked(its, ite->icid)) {
        return -ENXIO;
    }
    *slot = ite->next;
    its_ite_free(its, ite);
    KVMSIM_MARK(ITS_INVAL_DISCARD);
    its_invalidate_locked(its);
    return 0;
}

/* INV, CLEAR and SET_HW: commands on one existing ITE. */
static int its_cmd_on_ite_locked(struct its *its, const struct its_cmd *cmd)
{
    struct its_ite **slot;
    struct its_lpi *lpi;
    int rc;

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid)) {
        return -EINVAL;
    }
    rc = its_cmd_ite_locked(its, cmd->devid, cmd->eventid, NULL, &slot);
    if (rc != 0) {
        return rc;
    }
    lpi = (*slot)->lpi;
    if (cmd->op == ITS_CMD_CLEAR) {
        atomic_store_explicit(&lpi->pending, 0, memory_order_relaxed);
    } else if (cmd->op == ITS_CMD_SET_HW) {
        atomic_store_explicit(&lpi->hw, cmd->valid, memory_order_relaxed);
        if (cmd->valid) {
            /* The cache must never hold a forwarded LPI. */
            KVMSIM_MARK(ITS_INVAL_SET_HW);
            its_invalidate_locked(its);
        }
    }
    /* INV re-reads the LPI configuration: nothing modelled. */
    return 0;
}

static int its_cmd_int_locked(struct its *its, const struct its_cmd *cmd)
{
    struct its_inject_result res;
    struct its_msi msi = {
        .db = its->cfg.doorbell,
        .devid = cmd->devid,
        .eventid = cmd->eventid,
    };

    plat_lock_assert_held(&its->lock);
    if (!its_devid_ok(cmd->devid)) {
        return -EINVAL;
    }
    its_result_clear(&res);
    return its_trigger_locked(its, &msi, &res);
}

static int its_cmd_locked(struct its *its, const struct its_cmd *cmd)
{
    plat_lock_assert_held(&its->lock);
    switch (cmd->op) {
    case ITS_CMD_MAPD:
        return its_cmd_mapd_locked(its, cmd);
    case ITS_CMD_MAPC:
        return its_cmd_mapc_locked(its, cmd);
    case ITS_CMD_MAPTI:
    case ITS_CMD_MAPI:
        return its_cmd_mapti_locked(its, cmd);
    case ITS_CMD_MOVI:
        return its_cmd_movi_locked(its, cmd);
    case ITS_CMD_MOVALL:
        return its_cmd_movall_locked(its, cmd);
    case ITS_CMD_DISCARD:
        return its_cmd_discard_locked(its, cmd);
    case ITS_CMD_INV:
    case ITS_CMD_CLEAR:
    case ITS_CMD_SET_HW:
        return its_cmd_on_ite_locked(its, cmd);
    case ITS_CMD_INVALL:
        if (cmd->icid >= its->cfg.nr_collections) {
            return -EINVAL;
        }
        return its->colls[cmd->icid].mapped ? 0 : -ENXIO;
    case ITS_CMD_INT:
        return its_cmd_int_locked(its, cmd);
    case ITS_CMD_SYNC:
        return cmd->vcpu < its->cfg.nr_vcpus ? 0 : -EINVAL;
    case ITS_CMD_SET_ENABLED:
        its->enabled = cmd->valid;
        if (!cmd->valid) {
            KVMSIM_MARK(ITS_INVAL_ITS_DISABLED);
            its_invalidate_locked(its);
        }
        return 0;
    case ITS_CMD_SET_LPIS:
        if (cmd->vcpu >= its->cfg.nr_vcpus) {
            return -EINVAL;
        }
        plat_atomic_store(&its->vcpus[cmd->vcpu].lpis_enabled, cmd->valid);
        if (!cmd->valid) {
            KVMSIM_MARK(ITS_INVAL_LPIS_DISABLED);
            its_invalidate_locked(its);
        }
        return 0;
    case ITS_CMD_NR:
        break;
    }
    return -EINVAL;
}

int its_cmd_exec(struct its *its, const struct its_cmd *cmd)
{
    int rc;

    plat_lock(&its->lock);
    plat_line_touch(&its->lock_line, PLAT_LINE_RMW);
    its->commands++;
    rc = its_cmd_locked(its, cmd);
    if (rc != 0) {
        its->command_errors++;
    }
    plat_unlock(&its->lock);
    if (its_reclaim_due(its, 1)) {
        its_reclaim(its);
    }
    return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

void its_config_default(struct its_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nr_vcpus = 4;
    cfg->nr_collections = 16;
    cfg->cache = ITS_CACHE_SHARDED;
    cfg->cache_size = 0;
    cfg->doorbell = 0x08090040ull; /* GITS base 0x08080000 + 64K + 0x40 */
}

int its_create(const struct its_config *cfg, struct its **out)
{
    struct its *its;
    uint32_t size;
    int rc;

    if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > ITS_MAX_VCPUS ||
        cfg->nr_collections < 1 ||
        cfg->nr_collections > ITS_MAX_COLLECTIONS ||
        (unsigned)cfg->cache >= ITS_CACHE_NR) {
        return -EINVAL;
    }
    size = cfg->cache_size ? cfg->cache_size
                           : cfg->nr_vcpus * ITS_CACHE_PER_VCPU;
    its = plat_zalloc(sizeof(*its));
    if (!its) {
        return -ENOMEM;
    }
    its->cfg = *cfg;
    its->cfg.cache_size = size;
    its->colls = plat_zalloc(cfg->nr_collections * sizeof(*its->colls));
    its->vcpus = plat_zalloc(cfg->nr_vcpus * sizeof(*its->vcpus));
    if (!its->colls || !its->vcpus) {
        rc = -ENOMEM;
        goto fail;
    }
    rc = its_cache_create(its, cfg->cache, size, &its->cache);
    if (rc != 0) {
        goto fail;
    }
    its->rcu_free = cfg->cache == ITS_CACHE_LOCKLESS;
    plat_lock_init(&its->lock, PLAT_LOCK_MUTEX, "its lock");
    plat_line_init(&its->lock_line);
    for (uint32_t v = 0; v < cfg->nr_vcpus; v++) {
        plat_line_init(&its->vcpus[v].line);
    }
    plat_lock_init(&its->lpi_lock, PLAT_LOCK_SPIN, "its lpi list");
    *out = its;
    return 0;
fail:
    plat_free(its->colls);
    plat_free(its->vcpus);
    plat_free(its);
    return rc;
}

unsigned its_destroy(struct its *its)
{
    unsigned leaked = 0;

    if (!its) {
        return 0;
    }
    plat_lock(&its->lock);
    its_cache_destroy(its->cache);
    its->cache = NULL;
    while (its->devices) {
        struct its_device *d = its->devices;

        its->devices = d->next;
        its_device_free(its, d);
    }
    plat_unlock(&its->lock);
    its_reclaim(its);
    /* Whatever is left was referenced by someone who never put it. */
    while (its->lpis) {
        struct its_lpi *l = its->lpis;

        its->lpis = l->next;
        plat_free(l);
        leaked++;
    }
    plat_lock_destroy(&its->lpi_lock);
    plat_lock_destroy(&its->lock);
    plat_free(its->colls);
    plat_free(its->vcpus);
    plat_free(its);
    return leaked;
}

/* ---- checks and introspection -------------------------------------------- */

struct its_check_ctx {
    struct its *its;
    struct its_lpi *lpi;  /* counting entries that hold this LPI */
    uint64_t count;
    char *msg;
    size_t len;
    int rc;
};

static void its_check_fail(struct its_check_ctx *x, const char *fmt, ...)
{
    va_list ap;

    if (x->rc == 0 && x->msg && x->len) {
        va_start(ap, fmt);
        vsnprintf(x->msg, x->len, fmt, ap);
        va_end(ap);
    }
    x->rc = -EUCLEAN;
}

static void its_check_entry(void *arg, uint32_t list, uint32_t pos,
                            const struct its_msi *key, struct its_lpi *lpi)
{
    struct its_check_ctx *x = arg;
    struct its *its = x->its;
    struct its_ite *ite;
    int rc;

    if (lpi->magic != ITS_LPI_MAGIC) {
        its_check_fail(x, "cache list %u pos %u: dead LPI", list, pos);
        return;
    }
    if (its_lpi_hw_locked(lpi)) {
        its_check_fail(x, "cache list %u pos %u holds hw LPI %u", list, pos,
                       lpi->intid);
    }
    if (key->db != its->cfg.doorbell) {
        its_check_fail(x, "cache list %u pos %u: foreign doorbell", list,
                       pos);
    }
    rc = its_resolve_locked(its, key->devid, key->eventid, &ite);
    if (rc != 0) {
        its_check_fail(x, "cache list %u pos %u: (%u, %u) -> LPI %u, "
                       "tables say %d", list, pos, key->devid, key->eventid,
                       lpi->intid, rc);
    } else if (ite->lpi != lpi) {
        its_check_fail(x, "cache list %u pos %u: (%u, %u) -> LPI %u, "
                       "tables say LPI %u", list, pos, key->devid,
                       key->eventid, lpi->intid, ite->lpi->intid);
    }
}

static void its_count_entry(void *arg, uint32_t list, uint32_t pos,
                            const struct its_msi *key, struct its_lpi *lpi)
{
    struct its_check_ctx *x = arg;

    (void)list;
    (void)pos;
    (void)key;
    if (lpi == x->lpi) {
        x->count++;
    }
}

/* The k-th LPI on the list, or NULL.  Quiescent: the list cannot change. */
static struct its_lpi *its_lpi_nth(struct its *its, uint32_t k)
{
    struct its_lpi *l;

    plat_lock(&its->lpi_lock);
    for (l = its->lpis; l && k; l = l->next) {
        k--;
    }
    plat_unlock(&its->lpi_lock);
    return l;
}

int its_check(struct its *its, char *msg, size_t len)
{
    struct its_check_ctx x = {.its = its, .msg = msg, .len = len};
    uint64_t bad;

    if (msg && len) {
        msg[0] = '\0';
    }
    plat_lock(&its->lock);
    its_cache_for_each(its->cache, its_check_entry, &x);
    for (uint32_t k = 0;; k++) {
        struct its_lpi *lpi = its_lpi_nth(its, k);
        uint64_t ites = 0;
        uint64_t refs;

        if (!lpi) {
            break;
        }
        for (struct its_device *d = its->devices; d; d = d->next) {
            for (struct its_ite *ite = d->ites; ite; ite = ite->next) {
                ites += ite->lpi == lpi;
            }
        }
        x.lpi = lpi;
        x.count = 0;
        its_cache_for_each(its->cache, its_count_entry, &x);
        refs = plat_atomic_load(&lpi->refcount);
        if (ites == 0) {
            its_check_fail(&x, "LPI %u is named by no ITE", lpi->intid);
        }
        if (refs != ites + x.count) {
            its_check_fail(&x, "LPI %u: refcount %llu, ITEs %llu + cache "
                           "entries %llu", lpi->intid,
                           (unsigned long long)refs,
                           (unsigned long long)ites,
                           (unsigned long long)x.count);
        }
    }
    plat_lock(&its->lpi_lock);
    bad = its->bad_refs;
    plat_unlock(&its->lpi_lock);
    if (bad) {
        its_check_fail(&x, "%llu put(s) of a dead LPI",
                       (unsigned long long)bad);
    }
    plat_unlock(&its->lock);
    return x.rc;
}

int its_lpi_info(struct its *its, uint32_t intid, struct its_lpi_info *out)
{
    struct its_lpi *lpi;
    int rc = -ENOENT;

    plat_lock(&its->lock);
    plat_lock(&its->lpi_lock);
    for (lpi = its->lpis; lpi; lpi = lpi->next) {
        if (lpi->intid == intid) {
            break;
        }
    }
    if (lpi) {
        out->intid = lpi->intid;
        out->target = (uint32_t)plat_atomic_load(&lpi->target);
        out->refcount = plat_atomic_load(&lpi->refcount);
        out->delivered = atomic_load_explicit(&lpi->delivered,
                                              memory_order_relaxed);
        out->pending = atomic_load_explicit(&lpi->pending,
                                            memory_order_relaxed) != 0;
        out->hw = its_lpi_hw_locked(lpi);
        rc = 0;
    }
    plat_unlock(&its->lpi_lock);
    plat_unlock(&its->lock);
    return rc;
}

uint32_t its_nr_lpis(struct its *its)
{
    uint32_t n;

    plat_lock(&its->lpi_lock);
    n = its->nr_lpis;
    plat_unlock(&its->lpi_lock);
    return n;
}

uint64_t its_vcpu_delivered(struct its *its, uint32_t vcpu)
{
    if (vcpu >= its->cfg.nr_vcpus) {
        return 0;
    }
    return atomic_load_explicit(&its->vcpus[vcpu].delivered,
                                memory_order_relaxed);
}

void its_get_stats(struct its *its, struct its_stats *out)
{
    memset(out, 0, sizeof(*out));
    its_cache_get_stats(its->cache, &out->cache);
    out->fast_hits = out->cache.hits;
    out->fast_misses = out->cache.misses;
    for (uint32_t v = 0; v < its->cfg.nr_vcpus; v++) {
        out->delivered += its_vcpu_delivered(its, v);
    }
    out->dropped = atomic_load_explicit(&its->dropped, memory_order_relaxed);
    plat_lock(&its->lock);
    out->slow_calls = its->slow_calls;
    out->slow_errors = its->slow_errors;
    out->inserts = its->inserts;
    out->insert_skips = its->insert_skips;
    out->commands = its->commands;
    out->command_errors = its->command_errors;
    out->invalidations = its->invalidations;
    plat_unlock(&its->lock);
    plat_lock(&its->lpi_lock);
    out->lpis_live = its->nr_lpis;
    out->lpis_freed = its->lpis_freed;
    out->reclaims = its->reclaims;
    plat_unlock(&its->lpi_lock);
}

struct its_cache *its_get_cache(struct its *its)
{
    return its->cache;
}

const struct plat_lock *its_table_lock(const struct its *its)
{
    return &its->lock;
}

const struct its_config *its_get_config(const struct its *its)
{
    return &its->cfg;
}
