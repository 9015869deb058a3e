/*
 * core/iobus.h - the I/O buses of one VM (PIO, MMIO, FAST_MMIO) and the
 * dispatch of guest accesses to the devices registered on them (seed 004).
 *
 * A bus holds ranges {addr, len, dev}.  Readers (vCPUs dispatching an
 * access) take no lock: they run inside plat_rcu_read_lock() on an
 * immutable snapshot of the bus.  Updaters serialise on set->lock, build a
 * new snapshot (copy-on-write), publish it with plat_atomic_store_ptr(),
 * wait with plat_rcu_synchronize() and only then free the old one, so a
 * reader in flight keeps the copy it started with until it leaves.
 *
 * Matching.  An access is (addr, alen) with alen 0..8; it occupies the bytes
 * [addr, addr + max(alen, 1)).  A range with len == 0 matches an access at
 * exactly its address (whatever alen is).  A range with len > 0 matches when
 * the access's bytes lie inside [range.addr, range.addr + range.len).
 *
 * Ordering (the canonical order of a bus).  Ranges are kept sorted by
 *     (addr ascending, len ascending, seq ascending)
 * where seq is a per-set registration sequence number, unique for every
 * range ever registered.  Because seq is unique the order is a strict total
 * order for any set of ranges the bus can hold: duplicates, overlapping and
 * nested ranges, and len == 0 ranges (which sort before every longer range
 * at the same address).  No pointer value takes part in it.
 *
 * Dispatch semantics (the same for every lookup variant and the oracle in
 * model/iobus/iobus_oracle.h): the matching ranges are offered the access in
 * canonical order and the first device that handles it wins.  The variants
 * differ only in how many comparisons they need to find the matching ranges:
 *   LINEAR     compares every range of the bus, front to back (the behaviour
 *              before the seed: every device is asked).
 *   BSEARCH    the seed: binary search over the sorted ranges for the first
 *              range that can contain the access, then walk forward while
 *              ranges can still match.  Each range carries the largest last
 *              byte of itself and every range before it ("reach"), which is
 *              monotonic, so the search is exact even when ranges nest.
 *   EYTZINGER  the same search over a packed array of the reach keys laid
 *              out in Eytzinger (breadth-first) order, descended without
 *              branches; built at publish time.  Same walk.
 *
 * Freeing the replaced snapshot (the set's free mode; independent of the
 * lookup variant):
 *   SYNC       every update waits a grace period (plat_rcu_synchronize())
 *              and frees the snapshot it replaced before it returns.
 *   DEFERRED   a registration publishes the new snapshot and hands the old
 *              one to plat_call_rcu(), whose callback frees it once every
 *              reader that could have loaded it has left; it returns
 *              without waiting (upstream KVM since 7d9a0273c459, 2025).
 *              Unregistration still waits: its caller owns the device
 *              again when it returns, so no reader may still be in it.
 *              iobus_set_destroy() waits for the pending callbacks
 *              (plat_rcu_barrier()).
 *
 * Limits: at most IOBUS_MAX_DEVS ranges of counted devices per bus (devices
 * flagged IOBUS_DEV_UNCOUNTED, i.e. ioeventfds, do not count) and at most
 * IOBUS_MAX_RANGES ranges in all; beyond either, -ENOSPC.
 *
 * Device lifetime.  The bus counts each device's ranges across all buses of
 * the set.  The destructor op is called exactly once, when the bus drops a
 * device's last range on its own initiative: at teardown
 * (iobus_set_destroy()) or when an unregister of another device runs out of
 * memory (see iobus_unregister_locked()).  An explicit, successful unregister
 * never calls the destructor: the caller owns the device again.
 */
#ifndef KVMSIM_CORE_IOBUS_H
#define KVMSIM_CORE_IOBUS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/platform.h"

#define IOBUS_MAX_DEVS 1000   /* ranges of counted devices per bus */
#define IOBUS_MAX_RANGES 4096 /* all ranges per bus, ioeventfds included */
#define IOBUS_ACCESS_MAX 8    /* largest access length in bytes */

enum iobus_id {
    IOBUS_PIO = 0,
    IOBUS_MMIO = 1,
    IOBUS_FAST_MMIO = 2, /* len-0 ioeventfds, probed with alen 0 */
    IOBUS_NR
};

enum iobus_lookup {
    IOBUS_LOOKUP_LINEAR = 0,
    IOBUS_LOOKUP_BSEARCH = 1,
    IOBUS_LOOKUP_EYTZINGER = 2,
    IOBUS_LOOKUP_NR
};

enum iobus_free {
    IOBUS_FREE_SYNC = 0,
    IOBUS_FREE_DEFERRED = 1,
    IOBUS_FREE_NR
};

struct iobus_dev;

/* Device operations.  read/write return 0 when the device handled the
 * access (read fills data[0..alen)) and -EOPNOTSUPP to decline it (any
 * other non-zero value counts as declining); a NULL op declines everything;
 * a write of alen 0 may pass data NULL.  They run inside a read-side
 * section on any thread and must not take set->lock or call
 * plat_rcu_synchronize().
 * destructor (may be NULL) runs with set->lock held, outside any read-side
 * section and after a grace period; it may free the device. */
struct iobus_dev_ops {
    int (*read)(struct iobus_dev *dev, uint64_t addr, unsigned alen,
                void *data);
    int (*write)(struct iobus_dev *dev, uint64_t addr, unsigned alen,
                 const void *data);
    void (*destructor)(struct iobus_dev *dev);
};

/* Device does not count toward IOBUS_MAX_DEVS (ioeventfds). */
#define IOBUS_DEV_UNCOUNTED 0x1u

/* Embedded by value in a device object; set up with iobus_dev_init(). */
struct iobus_dev {
    const struct iobus_dev_ops *ops;
    uint64_t tag;   /* owner's label, reported by dispatch; never
                       interpreted by the bus */
    unsigned flags; /* IOBUS_DEV_* */
    uint32_t nr_ranges; /* private: ranges on all buses, under set->lock */
};

/* One VM's buses and the lock that serialises their updaters (KVM's
 * slots_lock).  Modules that keep per-VM lists of devices on the buses
 * (ioeventfd, coalesced MMIO) protect them with this same lock, because the
 * bus may call their destructors. */
struct iobus_set {
    struct plat_lock lock;
    plat_atomic_ptr bus[IOBUS_NR]; /* struct iobus_snap *, read under RCU */
    _Atomic unsigned lookup;       /* enum iobus_lookup used by dispatch */
    uint64_t next_seq;             /* under lock */
    unsigned free_mode;            /* enum iobus_free, under lock */
    uint64_t deferred_frees;       /* under lock: snapshots handed to
                                      plat_call_rcu() */
    uint64_t bus_resets[IOBUS_NR]; /* under lock: unregisters that had to
                                      empty the bus (-ENOMEM) */
};

/* What a dispatch or probe found. */
struct iobus_hit {
    struct iobus_dev *dev; /* handler (or first match for a probe); NULL
                              when none.  An identity: do not dereference
                              after leaving the read-side section unless
                              you own the device. */
    uint64_t tag;          /* dev->tag, read inside the section */
    uint64_t addr;         /* the matched range */
    uint64_t len;
    uint64_t probes;       /* keys and ranges compared */
};

/* A range as listed by iobus_ranges_locked(). */
struct iobus_range_info {
    uint64_t addr;
    uint64_t len;
    uint64_t tag;
    struct iobus_dev *dev;
};

/* One registration of iobus_register_many_locked(). */
struct iobus_reg {
    enum iobus_id bus;
    uint64_t addr;
    uint64_t len;
    struct iobus_dev *dev;
};

/* Prepare a device for registration.  flags: IOBUS_DEV_*. */
void iobus_dev_init(struct iobus_dev *dev, const struct iobus_dev_ops *ops,
                    uint64_t tag, unsigned flags);

/* Initialise a set with three empty buses.  Cannot fail (empty buses share
 * one static snapshot).  An invalid lookup falls back to BSEARCH. */
void iobus_set_init(struct iobus_set *set, enum iobus_lookup lookup);

/* Tear the set down: the deferred frees still pending run first
 * (plat_rcu_barrier()), then every device still on a bus is destroyed
 * exactly once (its destructor runs, with set->lock held, when its last
 * range is dropped), every snapshot is freed, the lock destroyed.  No
 * reader or updater may be running. */
void iobus_set_destroy(struct iobus_set *set);

/* Choose the lookup variant used by later dispatches; readers in flight
 * finish with the old one.  -EINVAL for an unknown variant. */
int iobus_set_lookup(struct iobus_set *set, enum iobus_lookup lookup);
enum iobus_lookup iobus_get_lookup(struct iobus_set *set);
const char *iobus_lookup_name(enum iobus_lookup lookup);
/* Variant for a name ("linear", "bsearch", "eytzinger"), or -ENOENT. */
int iobus_lookup_from_name(const char *name);

/* Choose how later updates free the snapshot they replace (takes
 * set->lock).  -EINVAL for an unknown mode. */
int iobus_set_free_mode(struct iobus_set *set, enum iobus_free mode);
enum iobus_free iobus_get_free_mode(struct iobus_set *set);
/* "sync", "deferred"; NULL / -ENOENT for anything else. */
const char *iobus_free_name(enum iobus_free mode);
int iobus_free_from_name(const char *name);

/* Add the range [addr, addr + len) of dev to bus.  Caller holds set->lock
 * and keeps dev alive while it is registered.  The same device may be
 * registered several times (several ranges, even duplicates).
 * Errors, with the bus unchanged: -EINVAL (bad bus, NULL dev or ops,
 * addr + len overflows), -ENOSPC (limits above), -ENOMEM (the new snapshot
 * could not be allocated).  In SYNC mode it returns after a grace
 * period; in DEFERRED mode at once (the old snapshot is freed later). */
int iobus_register_locked(struct iobus_set *set, enum iobus_id bus,
                          uint64_t addr, uint64_t len, struct iobus_dev *dev);
/* Same, taking set->lock. */
int iobus_register(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
                   uint64_t len, struct iobus_dev *dev);

/* All or nothing: register n ranges (possibly on several buses) with one
 * publication per bus and at most one grace period.  On error nothing
 * changed and the error is that of the first failing check (same codes as
 * above). */
int iobus_register_many_locked(struct iobus_set *set,
                               const struct iobus_reg *regs, size_t n);

/* Remove every range of dev from bus.  Caller holds set->lock.
 *   0        dev has no range on bus any more; nothing was destroyed; the
 *            caller owns dev (it may still be on other buses).
 *   -ENOENT  dev had no range on bus; nothing changed.
 *   -EINVAL  bad bus or NULL dev; nothing changed.
 *   -ENOMEM  the smaller copy could not be allocated.  Then the bus is
 *            emptied: an empty bus is published, a grace period passes, and
 *            every OTHER device whose last range was on this bus is
 *            destroyed through its destructor (devices that still have a
 *            range on another bus of the set survive).  dev is no longer on
 *            bus and is not destroyed: the caller destroys it.  Nothing is
 *            leaked and no reader can reach a destroyed device.
 *            set->bus_resets[bus] is incremented.
 * Returns after a grace period. */
int iobus_unregister_locked(struct iobus_set *set, enum iobus_id bus,
                            struct iobus_dev *dev);
/* Same, taking set->lock. */
int iobus_unregister(struct iobus_set *set, enum iobus_id bus,
                     struct iobus_dev *dev);

/* Dispatch a guest access: enter a read-side section, offer the access to
 * the matching ranges in canonical order with the set's lookup variant,
 * report the comparisons with plat_work(PLAT_WORK_IOBUS_PROBE, n).
 * 0 when a device handled it, -EOPNOTSUPP when none did, -EINVAL for a bad
 * bus, alen > IOBUS_ACCESS_MAX or a NULL data with alen > 0.  hit may be
 * NULL; when given it is always filled (dev NULL when not handled). */
int iobus_write(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
                unsigned alen, const void *data, struct iobus_hit *hit);
int iobus_read(struct iobus_set *set, enum iobus_id bus, uint64_t addr,
               unsigned alen, void *data, struct iobus_hit *hit);

/* Pure lookup, no device called and no work reported: the first matching
 * range in canonical order found with variant `lookup`.  Caller is inside
 * plat_rcu_read_lock() or holds set->lock.  0 and *hit filled, -ENOENT when
 * nothing matches (hit->dev NULL, probes filled), -EINVAL for bad
 * arguments.  Used by tests and the host benchmark. */
int iobus_probe(struct iobus_set *set, enum iobus_id bus,
                enum iobus_lookup lookup, uint64_t addr, unsigned alen,
                struct iobus_hit *hit);

/* Number of ranges on bus (0 for a bad bus).  Caller holds set->lock or
 * is inside a read-side section. */
size_t iobus_nr_ranges(struct iobus_set *set, enum iobus_id bus);

/* Copy up to max ranges of bus, in canonical order, into out; returns the
 * number of ranges on the bus.  Caller holds set->lock. */
size_t iobus_ranges_locked(struct iobus_set *set, enum iobus_id bus,
                           struct iobus_range_info *out, size_t max);

/* True when the access (addr, alen) matches the range (raddr, rlen); the
 * rule stated at the top of this file, exported for tests and the oracle. */
bool iobus_range_matches(uint64_t raddr, uint64_t rlen, uint64_t addr,
                         unsigned alen);

#endif
