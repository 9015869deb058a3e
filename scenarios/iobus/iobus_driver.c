/*
 * scenarios/iobus/iobus_driver.c - seed 004: I/O bus device lookup, measured as
 * the seed measured it: 200 ioeventfds on one PIO byte, the guest writing
 * the byte next to it, so every access searches the bus, finds nothing and
 * exits to userspace.
 *
 * A VMM thread populates the VM's buses (the seed's fixed devices, then the
 * ioeventfds: length 1, datamatch 0..N-1, all on port IOBUS_SCN_PORT),
 * starts the vCPU threads and waits for them.  Each vCPU writes
 * IOBUS_SCN_PORT + 1 `accesses` times (every `notify_every`th write goes to
 * the ioeventfd byte instead, to check that the ioeventfds still fire); a
 * write that exits is emulated by a one-register userspace device per vCPU.
 * Afterwards the VMM checks the eventfds, deassigns every other ioeventfd,
 * checks the buses against what it registered, and the VM is torn down.
 *
 * `kvmsim compare iobus-200-ioeventfds` fits the userspace part of an exit
 * (io_exit_user_ns) on the seed's "before" figure (linear lookup), with the
 * per-comparison price from the host benchmark and the in-kernel exit cost
 * as model/cost.c has them, predicts "after" (bsearch) and the third
 * variant, and prints a sweep over the number of ioeventfds.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coalesced_mmio.h"
#include "core/iobus.h"
#include "core/iodev_fixed.h"
#include "model/cost.h"
#include "model/fit.h"
#include "model/iobus/iobus_check.h"
#include "model/seeds.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, checker records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

/* deferred: bsearch lookup, and registrations free the snapshot they
 * replace after a grace period instead of waiting for one (upstream KVM
 * 7d9a0273c459); the others free synchronously. */
static const char *const iobus_variants[] = {"linear", "bsearch",
                                             "eytzinger", "deferred", NULL};

static const struct cfg_key iobus_keys[] = {
    {"workload", "ioeventfds", CFG_INT, "200", 1, 1000, NULL,
     "ioeventfds on the one byte (PIO, length 1, datamatch 0..N-1)"},
    {"workload", "accesses", CFG_INT, "20000", 1, 10000000, NULL,
     "timed guest writes per vCPU (to the byte after the ioeventfds)"},
    {"workload", "notify_every", CFG_INT, "0", 0, 10000000, NULL,
     "every Nth write goes to the ioeventfd byte instead and must fire "
     "exactly its ioeventfd (0: never; the seed's test never does)"},
    {"workload", "deassign", CFG_BOOL, "true", 0, 0, NULL,
     "after the timed loop the VMM deassigns every other ioeventfd; "
     "teardown releases the rest"},
    {"workload", "race_rounds", CFG_INT, "40", 0, 100000, NULL,
     "race phase after the timed loop: rounds of each updater (0: no "
     "race phase)"},
    {"workload", "race_readers", CFG_INT, "2", 1, 64, NULL,
     "race phase: reader vCPUs dispatching MMIO writes"},
    {"workload", "race_alloc_fault", CFG_DOUBLE, "0.05", 0, 1, NULL,
     "race phase: probability that an allocation fails (the larger of "
     "this and faults.alloc), while readers are in flight"},
    {"invariants", "user_exits", CFG_BOOL, "true", 0, 0, NULL,
     "every write to the other byte exits to userspace exactly once, in "
     "order, and no in-kernel device handles it"},
    {"invariants", "ioeventfd_signals", CFG_BOOL, "true", 0, 0, NULL,
     "a write to the ioeventfd byte fires exactly the ioeventfd of its "
     "value; nothing fires for the other byte"},
    {"invariants", "buses_exact", CFG_BOOL, "true", 0, 0, NULL,
     "the buses hold exactly the ranges registered and not removed; "
     "collisions are refused"},
    {"invariants", "teardown", CFG_BOOL, "true", 0, 0, NULL,
     "teardown destroys every device exactly once (no leak, no double "
     "free)"},
    {"invariants", "race_no_uaf", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: no reader runs in a device that was freed"},
    {"invariants", "race_exits", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: KVM counts every reader exit under the kind the reader "
     "saw; an unclaimed address always exits to userspace; a device "
     "handles only its own range"},
    {"invariants", "race_buses", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: an object is missing only after a bus reset since it "
     "was added; the bus holds exactly the devices the updater registered"},
    {"invariants", "race_cost", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: grace periods waited == what the updaters' operations "
     "need by core/iobus.h's rules (retries and the reset path included)"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

struct iobus_world {
    struct scn_run *run;
    struct plat_kvm *kvm;
    struct iobus_set *buses;
    enum iobus_lookup lookup;
    enum iobus_free free_mode;
    unsigned n, vcpus;
    uint64_t accesses, notify_every;
    bool deassign;
    struct plat_eventfd *efd; /* [n] */
    bool *alive;              /* [n]: ioeventfd i is assigned */
    bool fixed_pio_alive, fixed_mmio_alive;
    struct iobus_vcpu *vcpu;  /* [vcpus] */
    struct plat_thread **threads; /* [vcpus] while the VMM joins them */
    /* results of the VMM thread */
    uint64_t setup_failures;  /* setup calls that failed for good */
    uint64_t setup_retries;   /* injected failures retried */
    uint64_t collisions_accepted; /* duplicates the bus took */
    uint64_t spurious_signals;    /* eventfds set after the loop */
    uint64_t deassign_wrong_rc;
    uint64_t bus_resets;
    uint64_t kvm_user_exits, kvm_kernel_exits; /* KVM's own counts */
    struct iobus_buses_result buses_res; /* iobus_check_buses() */
    size_t pio_ranges;        /* after the timed phase's checks */
    struct iobus_race *race;  /* NULL: no race phase */
};

static struct plat_ioeventfd iobus_ioeventfd(struct iobus_world *w,
                                             unsigned i)
{
    struct plat_ioeventfd io = {
        .addr = IOBUS_SCN_PORT,
        .len = 1,
        .pio = true,
        .datamatch = true,
        .data = i,
        .efd = &w->efd[i],
    };

    return io;
}

/* Whether a vCPU's k-th write goes to the ioeventfd byte. */
static bool iobus_is_notify(const struct iobus_world *w, uint64_t k)
{
    return w->notify_every && k % w->notify_every == w->notify_every - 1;
}

static void iobus_vcpu_thread(void *arg)
{
    struct iobus_vcpu *v = arg;
    struct iobus_world *w = v->w;
    uint64_t seq = 0;
    uint64_t notify = 0;
    /* vCPU v notifies the values v, v + vcpus, v + 2 * vcpus, ... below
     * min(n, 256), so no two vCPUs share an eventfd and each can check
     * its own (iobus_run() makes sure there are enough). */
    unsigned span = w->n < 256 ? w->n : 256;
    unsigned mine = (span - v->id + w->vcpus - 1) / w->vcpus;

    v->t0_ns = plat_now_ns();
    for (uint64_t k = 0; k < w->accesses; k++) {
        struct iobus_hit hit;
        uint8_t data;
        int rc;

        if (iobus_is_notify(w, k)) {
            unsigned dm = v->id + w->vcpus * (unsigned)(notify++ % mine);

            data = (uint8_t)dm;
            rc = sim_kvm_vcpu_io(w->kvm, true, IOBUS_SCN_PORT, 1, &data,
                                 true, &hit);
            if (rc == 0) {
                v->kernel_exits++;
            } else if (rc == 1) {
                v->user_exits++;
            } else {
                v->errors++;
            }
            v->probes += hit.probes;
            if (rc != 0 || hit.addr != IOBUS_SCN_PORT || hit.len != 1) {
                v->wrong_hit++;
            } else if (!plat_eventfd_test_and_clear(&w->efd[dm])) {
                v->missed_signal++;
            }
            continue;
        }
        data = (uint8_t)seq++;
        rc = sim_kvm_vcpu_io(w->kvm, true, IOBUS_SCN_PORT + 1, 1, &data,
                             true, &hit);
        v->probes += hit.probes;
        if (rc == 1) {
            /* Userspace emulates the write. */
            v->user_exits++;
            v->user_writes++;
            if (data != v->user_expect) {
                v->user_misorder++;
            }
            v->user_expect = (uint8_t)(data + 1);
        } else if (rc == 0) {
            v->kernel_exits++;
            v->handled_in_kernel++;
        } else {
            v->errors++;
        }
    }
    v->t1_ns = plat_now_ns();
}

/* Retry an injected failure (-ENOMEM, -EAGAIN) a bounded number of times;
 * anything else is final. */
static bool iobus_retryable(int rc)
{
    return rc == -ENOMEM || rc == -EAGAIN;
}

static int iobus_setup(struct iobus_world *w)
{
    int rc = -ENOMEM;

    for (unsigned t = 0; t < IOBUS_SCN_RETRIES; t++) {
        rc = iodev_fixed_register_all(w->buses, IOBUS_SCN_FIXED_TAG, NULL);
        if (!iobus_retryable(rc)) {
            break;
        }
        w->setup_retries++;
    }
    if (rc != 0) {
        w->setup_failures++;
        return rc;
    }
    w->fixed_pio_alive = true;
    w->fixed_mmio_alive = true;
    for (unsigned i = 0; i < w->n; i++) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, i);

        for (unsigned t = 0; t < IOBUS_SCN_RETRIES; t++) {
            rc = plat_kvm_ioeventfd(w->kvm, &io, true);
            if (!iobus_retryable(rc)) {
                break;
            }
            w->setup_retries++;
        }
        if (rc != 0) {
            w->setup_failures++;
            return rc;
        }
        w->alive[i] = true;
    }
    /* The collision rules refuse a second ioeventfd with the same value,
     * and a wildcard, on the same byte and length. */
    for (int wildcard = 0; wildcard <= 1; wildcard++) {
        struct plat_ioeventfd dup = iobus_ioeventfd(w, 0);

        dup.efd = &w->efd[w->n - 1];
        dup.datamatch = !wildcard;
        rc = -ENOMEM;
        for (unsigned t = 0; t < IOBUS_SCN_RETRIES && iobus_retryable(rc);
             t++) {
            rc = plat_kvm_ioeventfd(w->kvm, &dup, true);
        }
        w->collisions_accepted += rc != -EEXIST;
    }
    return 0;
}

static void iobus_run_vcpus(struct iobus_world *w)
{
    /* Kept in the world, so a run stopped before the joins frees it. */
    struct plat_thread **t = calloc(w->vcpus, sizeof(*t));

    w->threads = t;
    if (!t) {
        w->setup_failures++;
        return;
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        int rc = -EAGAIN;

        for (unsigned k = 0; k < IOBUS_SCN_RETRIES && iobus_retryable(rc);
             k++) {
            rc = plat_thread_create(&t[i], "vcpu", iobus_vcpu_thread,
                                    &w->vcpu[i]);
            w->setup_retries += rc != 0;
        }
        if (rc != 0) {
            t[i] = NULL;
            w->setup_failures++;
        }
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        if (t[i]) {
            plat_thread_join(t[i]);
        }
    }
    w->threads = NULL;
    free(t);
}

/* Deassign every other ioeventfd.  An unregister that runs out of memory
 * empties the PIO bus (core/iobus.h): then every ioeventfd and the fixed
 * PIO devices are gone, and later deassigns find nothing. */
static void iobus_deassign_half(struct iobus_world *w)
{
    for (unsigned i = 1; i < w->n; i += 2) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, i);
        uint64_t resets = w->buses->bus_resets[IOBUS_PIO];
        int want = w->alive[i] ? 0 : -ENOENT;
        int rc = plat_kvm_ioeventfd(w->kvm, &io, false);

        w->deassign_wrong_rc += rc != want;
        w->alive[i] = false;
        if (w->buses->bus_resets[IOBUS_PIO] != resets) {
            w->bus_resets++;
            memset(w->alive, 0, w->n * sizeof(w->alive[0]));
            w->fixed_pio_alive = false;
        }
    }
    /* Deassigning again finds nothing. */
    if (w->n > 1) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, 1);

        w->deassign_wrong_rc += plat_kvm_ioeventfd(w->kvm, &io, false) !=
                                -ENOENT;
    }
}

/* ---- the race phase: updaters against readers, faults armed ----
 *
 * After the timed loop and its checks (so the seed's figure and the
 * checks above see exactly what they saw before), the VMM starts two
 * updaters and `race_readers` reader vCPUs on the MMIO bus, and arms
 * the allocation fault site at `race_alloc_fault`:
 *   - "efd-updater" assigns and deassigns wildcard ioeventfds
 *     (KVM_IOEVENTFD, length 4) at IOBUS_RACE_EFD;
 *   - "dev-updater" keeps IOBUS_RACE_LIVE of IOBUS_RACE_DEVS slow devices
 *     registered (each round unregisters one and registers the next, with
 *     the bus lock held, as KVM's callers hold slots_lock) and adds and
 *     removes a coalesced MMIO zone;
 *   - the readers write to every device's range, the ioeventfd address,
 *     the zone and an address nobody claims.  A slow device's write spends
 *     time inside its read-side section, so updaters publish, wait for
 *     grace periods and (out of memory) empty the bus while readers are
 *     inside another device.
 * Either updater's unregister may run out of memory and empty the MMIO bus,
 * which destroys the other updater's devices (their destructor frees them
 * with plat_free(), which poisons the block; ASan reports any access).
 * Checks: no reader ever runs in a device that was freed or destroyed
 * (race_no_uaf); every reader exit is counted by KVM under the kind the
 * reader saw, and the address nobody claims always exits to userspace
 * (race_exits); a deassign or unregister finds its object unless a bus
 * reset happened since it was added, and the bus holds exactly the slow
 * devices the updater believes alive (race_buses); the grace periods
 * waited equal what the updaters' successful operations need, counted
 * here from the rules of core/iobus.h (race_cost). */

#define IOBUS_RACE_ZONE 0xfd000000ull
#define IOBUS_RACE_EFD 0xfc000000ull
#define IOBUS_RACE_NOBODY 0xfb000000ull
#define IOBUS_RACE_LIVE 2
#define IOBUS_RACE_MAGIC 0x52616365446576ull /* "RaceDev" */
#define IOBUS_RACE_DWELL_NS 300 /* a slow device's time in its write */

struct iobus_race_dev {
    struct iobus_dev dev;
    uint64_t magic;
    struct iobus_world *w;
    unsigned slot;
    uint64_t writes;
};

struct iobus_race {
    struct iobus_world *w;
    uint64_t rounds;
    unsigned readers, updaters_live;
    struct iobus_race_slot slot[IOBUS_RACE_DEVS];
    struct plat_eventfd efd;
    struct plat_thread *rd[64]; /* race_readers <= 64 */
    /* readers */
    uint64_t reads_kernel, reads_user, nobody_kernel, bad_tag;
    uint64_t uaf;             /* a device op ran on a freed device */
    /* updaters */
    uint64_t ops, enomem, missing_wrong, destroyed_by_bus;
    uint64_t syncs_lo, syncs_hi; /* expected grace periods (range) */
    uint64_t reg_syncs;          /* grace periods a registration waits:
                                    1, or 0 when frees are deferred */
    uint64_t kvm_user0, kvm_kernel0, syncs0, resets0;
    uint64_t other_errors;
    char msg[160];
};

static int iobus_race_write(struct iobus_dev *dev, uint64_t addr,
                            unsigned alen, const void *data)
{
    struct iobus_race_dev *d = (struct iobus_race_dev *)dev;
    struct iobus_race *rc;

    (void)addr;
    (void)alen;
    (void)data;
    if (d->magic != IOBUS_RACE_MAGIC) {
        return -EFAULT; /* freed: counted by the reader (bad tag) */
    }
    rc = (struct iobus_race *)d->w->race;
    /* Stay inside the read-side section for a while: updaters run. */
    plat_spend_ns(IOBUS_RACE_DWELL_NS);
    if (d->magic != IOBUS_RACE_MAGIC) {
        rc->uaf++;
        return -EFAULT;
    }
    d->writes++;
    return 0;
}

/* Runs with the bus lock held, after a grace period, when an unregister
 * of some other device ran out of memory and emptied the bus. */
static void iobus_race_destructor(struct iobus_dev *dev)
{
    struct iobus_race_dev *d = (struct iobus_race_dev *)dev;
    struct iobus_race *rc = (struct iobus_race *)d->w->race;

    rc->destroyed_by_bus++;
    rc->slot[d->slot].d = NULL;
    rc->slot[d->slot].registered = false;
    d->magic = 0;
    plat_free(d);
}

static const struct iobus_dev_ops iobus_race_ops = {
    .write = iobus_race_write,
    .destructor = iobus_race_destructor,
};

static uint64_t iobus_race_resets(struct iobus_world *w)
{
    uint64_t n;

    plat_lock(&w->buses->lock);
    n = w->buses->bus_resets[IOBUS_MMIO];
    plat_unlock(&w->buses->lock);
    return n;
}

static void iobus_race_reader(void *arg)
{
    struct iobus_race *rc = arg;
    struct iobus_world *w = rc->w;
    unsigned k = 0;

    /* Bounded, so a reader that a priority schedule favours cannot starve
     * the updaters forever. */
    while (rc->updaters_live > 0 && k < 8 * rc->rounds) {
        uint64_t addr;
        uint32_t data = k;
        struct iobus_hit hit;
        int r;

        switch (k % 4) {
        case 0:
        case 1:
            addr = IOBUS_RACE_DEV_BASE +
                   (uint64_t)(k / 4 % IOBUS_RACE_DEVS) * IOBUS_RACE_DEV_LEN;
            break;
        case 2:
            addr = k % 8 == 2 ? IOBUS_RACE_EFD : IOBUS_RACE_ZONE;
            break;
        default:
            addr = IOBUS_RACE_NOBODY;
            break;
        }
        k++;
        r = sim_kvm_vcpu_io(w->kvm, false, addr, 4, &data, true, &hit);
        if (r == 0) {
            rc->reads_kernel++;
            if (addr == IOBUS_RACE_NOBODY) {
                rc->nobody_kernel++;
            }
            if (addr >= IOBUS_RACE_DEV_BASE &&
                hit.tag != IOBUS_RACE_TAG +
                               (addr - IOBUS_RACE_DEV_BASE) /
                                   IOBUS_RACE_DEV_LEN) {
                rc->bad_tag++;
            }
        } else if (r == 1) {
            rc->reads_user++;
        } else {
            rc->other_errors++;
        }
        plat_eventfd_test_and_clear(&rc->efd);
    }
}

/* Deassign with the reset rule: -ENOENT only after a reset since before
 * the assign. */
static void iobus_race_efd_updater(void *arg)
{
    struct iobus_race *rc = arg;
    struct iobus_world *w = rc->w;
    struct plat_ioeventfd io = {
        .addr = IOBUS_RACE_EFD, .len = 4, .pio = false,
        .datamatch = false, .efd = &rc->efd,
    };

    for (uint64_t i = 0; i < rc->rounds; i++) {
        uint64_t r0 = iobus_race_resets(w);
        int r = plat_kvm_ioeventfd(w->kvm, &io, true);

        rc->ops++;
        if (r == -ENOMEM) {
            rc->enomem++;
            continue; /* nothing registered: no grace period */
        }
        if (r != 0) {
            rc->other_errors++;
            snprintf(rc->msg, sizeof(rc->msg), "ioeventfd assign: %d", r);
            continue;
        }
        rc->syncs_lo += rc->reg_syncs; /* the registration */
        rc->syncs_hi += rc->reg_syncs;
        plat_spend_ns(500);
        r = plat_kvm_ioeventfd(w->kvm, &io, false);
        rc->ops++;
        if (r == 0) {
            /* Removed (its own unregister may have emptied the bus); one
             * grace period either way -- unless a reset that raced it
             * released it first, which -ENOENT would say. */
            rc->syncs_lo++;
            rc->syncs_hi++;
        } else if (r == -ENOENT) {
            if (iobus_race_resets(w) == r0) {
                rc->missing_wrong++;
                snprintf(rc->msg, sizeof(rc->msg), "ioeventfd deassign: "
                         "-ENOENT with no bus reset since its assign");
            }
        } else {
            rc->other_errors++;
        }
    }
    rc->updaters_live--;
}

/* One slow device: allocate (a failure is retried next round). */
static struct iobus_race_dev *iobus_race_dev_new(struct iobus_race *rc,
                                                 unsigned slot)
{
    struct iobus_race_dev *d = plat_zalloc(sizeof(*d));

    if (!d) {
        rc->enomem++;
        return NULL;
    }
    iobus_dev_init(&d->dev, &iobus_race_ops, IOBUS_RACE_TAG + slot, 0);
    d->magic = IOBUS_RACE_MAGIC;
    d->w = rc->w;
    d->slot = slot;
    return d;
}

static void iobus_race_dev_updater(void *arg)
{
    struct iobus_race *rc = arg;
    struct iobus_world *w = rc->w;
    struct iobus_set *set = w->buses;
    struct coalesced_mmio_set *cm = sim_kvm_coalesced(w->kvm);
    struct coalesced_mmio_zone z = {
        .addr = IOBUS_RACE_ZONE, .size = 0x100, .pio = 0, .tag = 0x300,
    };

    for (uint64_t i = 0; i < rc->rounds; i++) {
        unsigned on = (unsigned)((i + IOBUS_RACE_LIVE) % IOBUS_RACE_DEVS);
        unsigned off = (unsigned)(i % IOBUS_RACE_DEVS);
        struct iobus_race_slot *s;
        uint64_t r0;
        int r;

        /* Register the next device. */
        plat_lock(&set->lock);
        s = &rc->slot[on];
        if (!s->registered) {
            if (!s->d) {
                s->d = iobus_race_dev_new(rc, on);
            }
            if (s->d) {
                r = iobus_register_locked(
                    set, IOBUS_MMIO,
                    IOBUS_RACE_DEV_BASE + (uint64_t)on * IOBUS_RACE_DEV_LEN,
                    IOBUS_RACE_DEV_LEN, &s->d->dev);
                rc->ops++;
                if (r == 0) {
                    s->registered = true;
                    rc->syncs_lo += rc->reg_syncs;
                    rc->syncs_hi += rc->reg_syncs;
                } else if (r == -ENOMEM) {
                    rc->enomem++;
                } else {
                    rc->other_errors++;
                }
            }
        }
        plat_unlock(&set->lock);

        /* A zone comes and goes while readers write to it. */
        r0 = iobus_race_resets(w);
        r = coalesced_mmio_register_zone(cm, &z);
        rc->ops++;
        if (r == 0) {
            rc->syncs_lo += rc->reg_syncs;
            rc->syncs_hi += rc->reg_syncs;
            plat_spend_ns(200);
            r = coalesced_mmio_unregister_zone(cm, &z);
            rc->ops++;
            /* One grace period if the zone was still there; a reset since
             * before its registration may have released it. */
            rc->syncs_hi++;
            rc->syncs_lo += iobus_race_resets(w) == r0;
            rc->other_errors += r != 0;
        } else if (r == -ENOMEM) {
            rc->enomem++;
        } else {
            rc->other_errors++;
        }

        /* Unregister the oldest, the bus lock held: the device is either
         * registered (the updater's belief is exact under the lock) or
         * was destroyed by a reset. */
        plat_lock(&set->lock);
        s = &rc->slot[off];
        if (s->registered) {
            struct iobus_race_dev *d = s->d;

            r = iobus_unregister_locked(set, IOBUS_MMIO, &d->dev);
            rc->ops++;
            if (r == 0 || r == -ENOMEM) {
                /* Either way one grace period passed, no reader is in d
                 * any more and d is ours: free it. */
                rc->syncs_lo++;
                rc->syncs_hi++;
                rc->enomem += r == -ENOMEM;
                s->registered = false;
                s->d = NULL;
                d->magic = 0;
                plat_free(d);
            } else {
                rc->missing_wrong++;
                snprintf(rc->msg, sizeof(rc->msg), "unregister of a "
                         "registered device: %d", r);
            }
        }
        plat_unlock(&set->lock);
    }
    rc->updaters_live--;
}

/* Create a race actor, retrying injected thread-creation failures as the
 * timed phase does; *t is NULL when it could not be created. */
static int iobus_race_spawn(struct plat_thread **t, const char *name,
                            void (*fn)(void *), struct iobus_race *rc)
{
    int r = -EAGAIN;

    for (unsigned k = 0; k < IOBUS_SCN_RETRIES && iobus_retryable(r); k++) {
        r = plat_thread_create(t, name, fn, rc);
    }
    if (r != 0) {
        *t = NULL;
    }
    return r;
}

static void iobus_race_phase(struct iobus_world *w)
{
    struct iobus_race *rc = w->race;
    struct scn_run *r = w->run;
    struct plat_thread *up[2] = {NULL, NULL};
    struct plat_thread **rd = rc->rd; /* in the world: a run stopped
                                         mid-phase leaks nothing */
    double p = cfg_double(r->cfg, "workload", "race_alloc_fault");
    double p0 = cfg_fault_prob(r->cfg, PLAT_FAULT_ALLOC);

    rc->kvm_user0 = sim_kvm_io_exits(w->kvm, true);
    rc->kvm_kernel0 = sim_kvm_io_exits(w->kvm, false);
    rc->syncs0 = sim_rcu_synchronize_calls();
    rc->resets0 = iobus_race_resets(w);
    rc->updaters_live = 2;
    for (unsigned i = 0; i < rc->readers; i++) {
        if (iobus_race_spawn(&rd[i], "race-vcpu", iobus_race_reader,
                             rc) != 0) {
            rc->other_errors++;
        }
    }
    if (iobus_race_spawn(&up[0], "efd-updater", iobus_race_efd_updater,
                         rc) != 0) {
        rc->updaters_live--;
        rc->other_errors++;
    }
    if (iobus_race_spawn(&up[1], "dev-updater", iobus_race_dev_updater,
                         rc) != 0) {
        rc->updaters_live--;
        rc->other_errors++;
    }
    /* Armed once every actor exists: their creation is not the subject. */
    sim_fault_set_prob(PLAT_FAULT_ALLOC, p > p0 ? p : p0);
    for (unsigned i = 0; i < 2; i++) {
        if (up[i]) {
            plat_thread_join(up[i]);
        }
    }
    sim_fault_set_prob(PLAT_FAULT_ALLOC, p0);
    /* The readers stop once both updaters are done. */
    for (unsigned i = 0; i < rc->readers; i++) {
        if (rd[i]) {
            plat_thread_join(rd[i]);
        }
    }
    iobus_race_check_bus(w->buses, rc->slot, &rc->missing_wrong, rc->msg,
                         sizeof(rc->msg));
    /* A device allocated but never registered (its registration failed)
     * is still the updater's; the bus releases the registered ones. */
    plat_lock(&w->buses->lock);
    for (unsigned i = 0; i < IOBUS_RACE_DEVS; i++) {
        if (rc->slot[i].d && !rc->slot[i].registered) {
            plat_free(rc->slot[i].d);
            rc->slot[i].d = NULL;
        }
    }
    plat_unlock(&w->buses->lock);
    rc->syncs0 = sim_rcu_synchronize_calls() - rc->syncs0;
    rc->kvm_user0 = sim_kvm_io_exits(w->kvm, true) - rc->kvm_user0;
    rc->kvm_kernel0 = sim_kvm_io_exits(w->kvm, false) - rc->kvm_kernel0;
}

static void iobus_vmm_thread(void *arg)
{
    struct iobus_world *w = arg;

    if (iobus_setup(w) != 0) {
        return;
    }
    iobus_run_vcpus(w);
    /* Every notify write cleared its eventfd; nothing else may be set. */
    for (unsigned i = 0; i < w->n; i++) {
        w->spurious_signals += plat_eventfd_test_and_clear(&w->efd[i]);
    }
    if (w->deassign) {
        iobus_deassign_half(w);
    }
    {
        struct iobus_registered reg = {
            .buses = w->buses, .kvm = w->kvm, .n = w->n, .alive = w->alive,
            .fixed_pio_alive = w->fixed_pio_alive,
            .fixed_mmio_alive = w->fixed_mmio_alive,
        };

        iobus_check_buses(&reg, &w->buses_res);
    }
    /* What the timed phase left: the race phase below must not move it. */
    w->kvm_user_exits = sim_kvm_io_exits(w->kvm, true);
    w->kvm_kernel_exits = sim_kvm_io_exits(w->kvm, false);
    w->pio_ranges = iobus_nr_ranges(w->buses, IOBUS_PIO);
    if (w->race) {
        iobus_race_phase(w);
    }
}

/* The run's verdicts, as its checks, each when its invariant is on. */
static void iobus_report(struct scn_run *r,
                         const struct iobus_check_verdict *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (v[i].always || cfg_bool(r->cfg, "invariants", v[i].inv)) {
            scn_check(r, v[i].ok, v[i].inv, "%s", v[i].msg);
        }
    }
}

/* The race phase's invariants (see iobus_race_phase()). */
static void iobus_race_report(struct iobus_world *w)
{
    struct iobus_race *rc = w->race;
    struct iobus_check_verdict v[IOBUS_RACE_CHECK_VERDICTS];
    struct iobus_race_check_in in;

    if (!rc) {
        return;
    }
    in = (struct iobus_race_check_in){
        .uaf = rc->uaf, .reads_kernel = rc->reads_kernel,
        .reads_user = rc->reads_user, .nobody_kernel = rc->nobody_kernel,
        .bad_tag = rc->bad_tag, .kvm_kernel0 = rc->kvm_kernel0,
        .kvm_user0 = rc->kvm_user0, .missing_wrong = rc->missing_wrong,
        .other_errors = rc->other_errors, .msg = rc->msg,
        .syncs0 = rc->syncs0, .ops = rc->ops, .syncs_lo = rc->syncs_lo,
        .syncs_hi = rc->syncs_hi,
    };
    iobus_race_check(&in, v);
    iobus_report(w->run, v, IOBUS_RACE_CHECK_VERDICTS);
}

static void iobus_timed_report(struct iobus_world *w, uint64_t live_after,
                               uint64_t live_before)
{
    struct iobus_check_verdict v[IOBUS_CHECK_VERDICTS];
    struct iobus_check_in in = {
        .vcpu = w->vcpu, .vcpus = w->vcpus, .accesses = w->accesses,
        .notify_every = w->notify_every,
        .setup_failures = w->setup_failures,
        .collisions_accepted = w->collisions_accepted,
        .spurious_signals = w->spurious_signals,
        .deassign_wrong_rc = w->deassign_wrong_rc,
        .kvm_user_exits = w->kvm_user_exits,
        .kvm_kernel_exits = w->kvm_kernel_exits,
        .buses = &w->buses_res,
        .live_after = live_after, .live_before = live_before,
    };

    iobus_check(&in, v);
    iobus_report(w->run, v, IOBUS_CHECK_VERDICTS);
}

static void iobus_metrics(struct iobus_world *w)
{
    struct scn_run *r = w->run;
    uint64_t t0 = UINT64_MAX, t1 = 0, exits = 0, probes = 0, user = 0;
    double secs;

    for (unsigned i = 0; i < w->vcpus; i++) {
        const struct iobus_vcpu *v = &w->vcpu[i];

        t0 = v->t0_ns < t0 ? v->t0_ns : t0;
        t1 = v->t1_ns > t1 ? v->t1_ns : t1;
        exits += v->user_exits + v->kernel_exits;
        user += v->user_exits;
        probes += v->probes;
    }
    secs = t1 > t0 ? (double)(t1 - t0) / 1e9 : NAN;
    scn_metric(r, "exits_per_s", (double)exits / secs);
    scn_metric(r, "exits_per_s_per_vcpu", (double)exits / secs / w->vcpus);
    scn_metric(r, "exit_ns", exits ? (double)(t1 - t0) * w->vcpus /
                                         (double)exits : NAN);
    scn_metric(r, "probes_per_exit", exits ? (double)probes / exits : NAN);
    scn_metric(r, "exits", (double)exits);
    scn_metric(r, "user_exits", (double)user);
    scn_metric(r, "ioeventfds", (double)w->n);
    scn_metric(r, "setup_retries", (double)w->setup_retries);
    scn_metric(r, "bus_resets", (double)w->bus_resets);
    if (w->race) {
        scn_metric(r, "race_ops", (double)w->race->ops);
        scn_metric(r, "race_enomem", (double)w->race->enomem);
        scn_metric(r, "race_destroyed_by_bus",
                   (double)w->race->destroyed_by_bus);
        scn_metric(r, "race_grace_periods", (double)w->race->syncs0);
        scn_metric(r, "race_reader_exits",
                   (double)(w->race->reads_kernel + w->race->reads_user));
    }
}

static void iobus_world_free(struct iobus_world *w)
{
    if (w->efd) {
        for (unsigned i = 0; i < w->n; i++) {
            plat_eventfd_destroy(&w->efd[i]);
        }
    }
    free(w->efd);
    free(w->alive);
    free(w->vcpu);
    free(w->threads);
    if (w->race) {
        plat_eventfd_destroy(&w->race->efd);
        free(w->race);
    }
    free(w);
}

static int iobus_run(struct scn_run *r)
{
    struct iobus_world *w = calloc(1, sizeof(*w));
    uint64_t live_before, live_after;
    int rc;

    if (!w) {
        return -ENOMEM;
    }
    w->run = r;
    if (strcmp(r->variant, "deferred") == 0) {
        w->lookup = IOBUS_LOOKUP_BSEARCH;
        w->free_mode = IOBUS_FREE_DEFERRED;
    } else {
        w->lookup = (enum iobus_lookup)iobus_lookup_from_name(r->variant);
        w->free_mode = IOBUS_FREE_SYNC;
    }
    w->n = (unsigned)cfg_int(r->cfg, "workload", "ioeventfds");
    w->vcpus = (unsigned)cfg_int(r->cfg, "vm", "vcpus");
    w->accesses = (uint64_t)cfg_int(r->cfg, "workload", "accesses");
    w->notify_every = (uint64_t)cfg_int(r->cfg, "workload", "notify_every");
    w->deassign = cfg_bool(r->cfg, "workload", "deassign");
    if (w->notify_every && w->vcpus > (w->n < 256 ? w->n : 256)) {
        scn_config_error(r, "workload", "notify_every",
                         "each vCPU notifies ioeventfds of its own: needs "
                         "ioeventfds >= vm.vcpus (%u), and at most 256 "
                         "values fit a byte", w->vcpus);
        free(w);
        return -EINVAL;
    }
    w->efd = calloc(w->n, sizeof(*w->efd));
    w->alive = calloc(w->n, sizeof(*w->alive));
    w->vcpu = calloc(w->vcpus, sizeof(*w->vcpu));
    if (!w->efd || !w->alive || !w->vcpu) {
        fprintf(stderr, "kvmsim: iobus: out of memory\n");
        iobus_world_free(w);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < w->n; i++) {
        plat_eventfd_init(&w->efd[i], "ioeventfd");
    }
    if (cfg_int(r->cfg, "workload", "race_rounds") > 0) {
        w->race = calloc(1, sizeof(*w->race));
        if (!w->race) {
            fprintf(stderr, "kvmsim: iobus: out of memory\n");
            iobus_world_free(w);
            return -ENOMEM;
        }
        w->race->w = w;
        w->race->rounds = (uint64_t)cfg_int(r->cfg, "workload",
                                            "race_rounds");
        w->race->reg_syncs = w->free_mode == IOBUS_FREE_SYNC;
        w->race->readers = (unsigned)cfg_int(r->cfg, "workload",
                                             "race_readers");
        plat_eventfd_init(&w->race->efd, "race ioeventfd");
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        w->vcpu[i].w = w;
        w->vcpu[i].id = i;
    }
    if (scn_sim_create(r) < 0) {
        iobus_world_free(w);
        return -ENOMEM;
    }

    live_before = sim_alloc_live();
    w->kvm = sim_kvm_create(w->vcpus);
    if (!w->kvm) {
        fprintf(stderr, "kvmsim: iobus: out of memory\n");
        iobus_world_free(w);
        return -ENOMEM;
    }
    w->buses = sim_kvm_iobus(w->kvm);
    rc = iobus_set_lookup(w->buses, w->lookup);
    if (rc == 0) {
        rc = iobus_set_free_mode(w->buses, w->free_mode);
    }
    if (rc < 0 || !sim_spawn(r->sim, "vmm", 0, iobus_vmm_thread, w)) {
        fprintf(stderr, "kvmsim: iobus: cannot start the VMM thread\n");
        sim_kvm_destroy(w->kvm);
        iobus_world_free(w);
        return -ENOMEM;
    }
    scn_simulate(r);
    if (r->result != SIM_OK) {
        /* Threads stopped mid-way are frozen: the VM's teardown releases
         * the bus lock they hold and the engine what they allocated. */
        sim_kvm_destroy(w->kvm);
        iobus_world_free(w);
        return 0;
    }
    iobus_metrics(w);
    scn_metric(r, "ranges_on_pio_bus", (double)w->pio_ranges);
    /* Teardown: the VM releases every ioeventfd and the bus every device
     * still on it. */
    sim_kvm_destroy(w->kvm);
    w->kvm = NULL;
    live_after = sim_alloc_live();
    iobus_timed_report(w, live_after, live_before);
    iobus_race_report(w);
    iobus_world_free(w);
    return 0;
}

/* ---- compare: fit on the seed's before figure, predict after ---- */

/* One point of the model: exits/s, ns per exit and probes per exit of
 * `variant` with n ioeventfds and one vCPU, as the seed measured.  user_ns
 * and probe_ns override the model's constants when >= 0.  Exit code. */
struct iobus_point {
    double exits_per_s, exit_ns, probes;
};

static int iobus_model_point(const struct scn_request *q, const char *variant,
                             unsigned n, double user_ns, double probe_ns,
                             struct iobus_point *p)
{
    char buf[7][96];
    const char *extra[7];
    unsigned k = 0;
    struct scn_run r;
    int code;

    snprintf(buf[k], sizeof(buf[k]), "run.variant=%s", variant);
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "workload.ioeventfds=%u", n);
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "workload.notify_every=0");
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "vm.vcpus=1");
    extra[k] = buf[k];
    k++;
    /* The race phase runs after the timed loop and moves none of these
     * figures; the model's many runs skip it. */
    snprintf(buf[k], sizeof(buf[k]), "workload.race_rounds=0");
    extra[k] = buf[k];
    k++;
    if (user_ns >= 0) {
        snprintf(buf[k], sizeof(buf[k]), "cost.io_exit_user_ns=%.0f",
                 user_ns);
        extra[k] = buf[k];
        k++;
    }
    if (probe_ns >= 0) {
        snprintf(buf[k], sizeof(buf[k]), "cost.probe_ns=%.0f", probe_ns);
        extra[k] = buf[k];
        k++;
    }
    code = scn_run_with(q, extra, k, &r);
    p->exits_per_s = scn_metric_get(&r, "exits_per_s");
    p->exit_ns = scn_metric_get(&r, "exit_ns");
    p->probes = scn_metric_get(&r, "probes_per_exit");
    scn_run_release(&r);
    if (code == 0 && !(p->exit_ns > 0)) {
        code = KVMSIM_EXIT_USAGE;
    }
    return code;
}

/* Fit io_exit_user_ns (ns) on the seed's before figure: the model's time
 * per exit of the linear variant is linear in it, so two runs give the
 * design matrix (one column) and least squares gives the constant. */
static int iobus_fit_with(const struct scn_request *q, double probe_ns,
                          double *user_ns)
{
    const double unit = 1000.0;
    struct iobus_point base, one;
    double x, y;
    int code;

    code = iobus_model_point(q, "linear", SEED004_IOEVENTFDS, 0, probe_ns,
                             &base);
    code |= iobus_model_point(q, "linear", SEED004_IOEVENTFDS, unit,
                              probe_ns, &one);
    if (code) {
        return code;
    }
    x = (one.exit_ns - base.exit_ns) / unit;
    y = 1e9 / SEED004_BEFORE_EXITS_PER_S - base.exit_ns;
    return fit_least_squares(&x, &y, 1, 1, user_ns) < 0 ? KVMSIM_EXIT_USAGE
                                                        : 0;
}

/* The fit with the model's per-comparison price (what model/cost.c
 * stores; a test checks the two agree). */
int scn_iobus_fit(const struct scn_request *q, double *user_ns)
{
    return iobus_fit_with(q, -1, user_ns);
}

/* One model figure of iobus_model_point() in q->report, with the
 * overrides that reproduce it. */
static void iobus_report_point(const struct scn_request *q, const char *table,
                               const char *variant, unsigned n,
                               double user_ns, double published,
                               enum report_role role, double exits_per_s)
{
    char label[32], sets[256];
    struct report_row row = {
        .table = table, .label = label, .variant = variant,
        .published = published, .model = exits_per_s, .unit = "exits/s",
        .role = role, .headline = role == REPORT_PREDICTED,
        .metric = "exits_per_s", .key = "workload.ioeventfds", .x = n,
        .sets = sets,
    };

    snprintf(label, sizeof(label), "%u ioeventfds", n);
    snprintf(sets, sizeof(sets), "run.variant=%s workload.ioeventfds=%u "
             "workload.notify_every=0 vm.vcpus=1 cost.io_exit_user_ns=%.0f",
             variant, n, user_ns);
    report_add(q->report, &row);
}

/* A figure of the model alone, for the report. */
static void iobus_report_model(const struct scn_request *q,
                               const char *table, const char *label,
                               const char *variant, double v,
                               const char *unit)
{
    struct report_row row = {
        .table = table, .label = label, .variant = variant,
        .published = NAN, .model = v, .unit = unit,
        .role = REPORT_MODEL_ONLY,
    };

    report_add(q->report, &row);
}

static int iobus_compare(const struct scn_request *q,
                         struct scn_run *const *runs, size_t nruns)
{
    static const unsigned sweep[] = {1, 10, 100, 200, 1000};
    static const char *const what[] = {
        "before: scan every range", "after: sorted ranges + bsearch",
        "ours: Eytzinger, branch-free",
    };
    const double seed_fig[] = {SEED004_BEFORE_EXITS_PER_S,
                               SEED004_AFTER_EXITS_PER_S, NAN};
    struct iobus_point pt[3], alt;
    struct cost_model cm;
    double theta, theta2, user_fit = 0;
    double probe_ns;
    int code;

    cost_model_default(&cm);
    probe_ns = (double)cm.work_ns[PLAT_WORK_IOBUS_PROBE];
    code = scn_iobus_fit(q, &theta);
    if (code) {
        fprintf(stderr, "iobus-200-ioeventfds: the fit failed (exit %d)\n",
                code);
        return code;
    }
    user_fit = theta < 0 ? 0 : floor(theta + 0.5);
    for (unsigned v = 0; v < 3; v++) {
        code |= iobus_model_point(q, iobus_variants[v], SEED004_IOEVENTFDS,
                                  user_fit, -1, &pt[v]);
    }
    report_begin(q->report, "004", "iobus-200-ioeventfds",
                 nruns ? runs[0]->seed : 0,
                 "I/O bus device lookup: 200 ioeventfds on one PIO byte, "
                 "the guest writing the byte next to it, so every write "
                 "searches the bus and exits to userspace; linear scan "
                 "(before) vs sorted ranges + bsearch (after)");
    report_fitted(q->report, "the before figure (linear scan, %.0fk "
                  "exits/s): 1 constant", SEED004_BEFORE_EXITS_PER_S / 1e3);
    report_predicted(q->report, "the after figure (bsearch, %.0fk exits/s)",
                     SEED004_AFTER_EXITS_PER_S / 1e3);
    for (unsigned v = 0; v < 3; v++) {
        iobus_report_point(q, "exits per second, 200 ioeventfds, one vCPU",
                           iobus_variants[v], SEED004_IOEVENTFDS, user_fit,
                           seed_fig[v],
                           v == 0 ? REPORT_FITTED
                                  : (isnan(seed_fig[v]) ? REPORT_MODEL_ONLY
                                                        : REPORT_PREDICTED),
                           pt[v].exits_per_s);
        iobus_report_model(q, "per exit, 200 ioeventfds, one vCPU",
                           "ns per exit", iobus_variants[v], pt[v].exit_ns,
                           "ns");
        iobus_report_model(q, "per exit, 200 ioeventfds, one vCPU",
                           "range comparisons per exit", iobus_variants[v],
                           pt[v].probes, "");
        report_note(q->report, "%s: %s", iobus_variants[v], what[v]);
    }
    {
        char src[160];

        snprintf(src, sizeof(src), REPORT_SOURCE_FITTED "the published "
                 "before figure (linear, %d ioeventfds): %.0f exits/s",
                 SEED004_IOEVENTFDS, SEED004_BEFORE_EXITS_PER_S);
        report_param(q->report, "userspace part of an exit "
                     "(io_exit_user_ns)", user_fit, "ns", src);
    }
    report_param(q->report, "one range comparison (probe_ns)", probe_ns,
                 "ns", REPORT_SOURCE_MEASURED "bench/bench_iobus "
                 "(per-comparison cost of a linear scan) on " COST_MACHINE);
    report_param(q->report, "in-kernel part of an exit (io_exit_kernel_ns)",
                 (double)cm.io_exit_kernel_ns, "ns", REPORT_SOURCE_ASSUMED);
    report_note(q->report, "gain of after over before: seed %+.1f%%, model "
                "%+.1f%%", 100.0 * (SEED004_AFTER_EXITS_PER_S /
                                    SEED004_BEFORE_EXITS_PER_S - 1),
                100.0 * (pt[1].exits_per_s / pt[0].exits_per_s - 1));
    /* How much the whole-ns rounding of the probe price matters: refit
     * and predict with the neighbouring whole values. */
    for (int d = -1; d <= 1; d += 2) {
        double p = probe_ns + d;

        if (p < 1 || iobus_fit_with(q, p, &theta2) != 0 ||
            iobus_model_point(q, "bsearch", SEED004_IOEVENTFDS,
                              floor((theta2 < 0 ? 0 : theta2) + 0.5), p,
                              &alt) != 0) {
            continue;
        }
        report_note(q->report, "rounding check: refitted with %.0f ns per "
                    "comparison, after = %.1fk exits/s (%+.1f%%)", p,
                    alt.exits_per_s / 1e3,
                    fit_error_pct(alt.exits_per_s,
                                  SEED004_AFTER_EXITS_PER_S));
    }
    if (nruns >= 3) {
        report_note(q->report, "this request as configured (%.0f "
                    "ioeventfds, exits/s): linear %.1fk, bsearch %.1fk, "
                    "eytzinger %.1fk",
                scn_metric_get(runs[0], "ioeventfds"),
                scn_metric_get(runs[0], "exits_per_s") / 1e3,
                scn_metric_get(runs[1], "exits_per_s") / 1e3,
                scn_metric_get(runs[2], "exits_per_s") / 1e3);
    }
    for (size_t i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++) {
        struct iobus_point sp[3];

        for (unsigned v = 0; v < 3; v++) {
            code |= iobus_model_point(q, iobus_variants[v], sweep[i],
                                      user_fit, -1, &sp[v]);
        }
        for (unsigned v = 0; v < 3; v++) {
            iobus_report_point(q, "sweep: exits per second by ioeventfds, "
                               "one vCPU", iobus_variants[v], sweep[i],
                               user_fit, NAN, REPORT_MODEL_ONLY,
                               sp[v].exits_per_s);
        }
        for (unsigned v = 0; v < 3; v++) {
            char label[32];

            snprintf(label, sizeof(label), "%u ioeventfds", sweep[i]);
            iobus_report_model(q, "sweep: range comparisons per exit by "
                               "ioeventfds", label, iobus_variants[v],
                               sp[v].probes, "");
        }
    }
    report_note(q->report, "linear pays a comparison per range on every "
                "exit; the sorted variants pay about log2(ranges) + 1, so "
                "their exit rate stays flat as ioeventfds are added");
    return code;
}

/* [cost] keys: the model constants this world prices. */
static const struct scn_cost_key iobus_cost[] = {
    {"io_exit_kernel_ns", "io_exit_kernel_ns", "ns", NAN, NULL,
     "exit completed in the kernel"},
    {"io_exit_user_ns", "io_exit_user_ns", "ns", NAN, NULL,
     "extra for an exit completed in userspace"},
    {"probe_ns", "iobus_probe_ns", "ns", NAN, NULL,
     "one range comparison of a bus search"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const struct scn_driver scn_iobus_driver = {
    .name = "iobus-200-ioeventfds",
    .summary = "seed 004: I/O bus lookup with 200 ioeventfds on one byte, "
               "linear vs bsearch vs eytzinger (+ deferred frees)",
    .variants = iobus_variants,
    .keys = iobus_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC) |
                   SCN_FAULT(PLAT_FAULT_THREAD_CREATE) |
                   SCN_FAULT(PLAT_FAULT_KVM_IOEVENTFD),
    .cost = iobus_cost,
    .run = iobus_run,
    .compare = iobus_compare,
};

SIM_TSAN_ENGINE_END
