/*
 * model/iobus/iobus_diff.c - differential run of the I/O bus core against
 * model/iobus_oracle over one opcode stream (encoding and checks in
 * iobus_diff.h), every access dispatched under each lookup variant.
 *
 * One world (buses, ioeventfds, zones, devices) runs each command, then the
 * oracle.  The lookup variant only steers dispatch (core/iobus.c reads it
 * nowhere else), so updates run once, under a variant picked from the
 * input's length; an access is dispatched under every variant in turn on
 * the same buses.  What an access leaves behind is undone between the
 * variants so that each starts from the same state: the eventfds are read
 * and cleared, and the ring's producer index is put back (the slot is then
 * rewritten with the same entry).  Runs outside a simulation: one thread,
 * no costs, the RCU calls are no-ops.
 *
 * Assumes: nothing else uses the sim fault settings while it runs; the
 * static scratch buffers make it non-reentrant.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coalesced_mmio.h"
#include "core/iobus.h"
#include "core/iodev_fixed.h"
#include "core/ioeventfd.h"
#include "core/platform.h"
#include "model/domain.h"
#include "model/iobus/iobus_diff.h"
#include "model/iobus/iobus_oracle.h"
#include "sim/fault.h"
#include "sim/sim.h"

/* The checker's own branches are no news about the code under test: keep
 * them out of a fuzzer's coverage feedback (and its cost). */
#if defined(__clang__) && __clang_major__ >= 13
#define DW_CHECKER __attribute__((no_sanitize("coverage")))
#else
#define DW_CHECKER
#endif

#define DW_DEVS 24  /* generic test devices */
#define DW_EFDS 4   /* eventfds */
#define DW_LOG 512  /* destructions logged (more are counted) */

#define TAG_EFD 1000   /* ioeventfd on eventfd e: TAG_EFD + e */
#define TAG_ZONE 2000  /* zones: TAG_ZONE + command % 1000 */
#define TAG_FIXED 3000 /* fixed device k: TAG_FIXED + k */

/* Above this many ranges in all, the full state is compared only every
 * DW_SPARSE commands (the oracle sorts on every listing), and always at
 * the end of the input. */
#define DW_DENSE_RANGES 32
#define DW_SPARSE 16
#define DW_BARRIER_EVERY 5 /* run the queued deferred frees every Nth */

#define DW_FIXED_SETS 2 /* FIXED commands that run per input */

static const char *const op_names[IOBUS_DIFF_OP_NR] = {
    "register", "unregister", "ioeventfd_assign", "ioeventfd_deassign",
    "zone_add", "zone_del", "fixed", "write", "read", "ring_pop",
    "ring_set", "fault",
};

static const uint64_t tab_addr[] = {
    0x0, 0x20, 0x21, 0x40, 0x61, 0x62, 0xa0, 0x4d0, 0x1000, 0x1001, 0x1002,
    0x1004, 0x1008, 0x100c, 0x1010, 0x1100, 0xc050, 0xfec00000,
    0xfec00010, UINT64_MAX - 8, UINT64_MAX - 1, UINT64_MAX,
};
static const uint64_t tab_reg_len[] = {
    4, 1, 2, 0, 8, 16, 0x100, 0x10000, UINT64_MAX / 2, UINT64_MAX,
};
static const uint64_t tab_efd_len[] = { 1, 2, 4, 8, 0, 3, 16 };
static const uint64_t tab_datamatch[] = {
    0, 1, 0xff, 0x100, 0x1234, UINT64_MAX,
};
static const uint64_t tab_zone_size[] = {
    4, 1, 2, 8, 16, 0x100, 0, 0xffffffffu,
};
static const uint64_t tab_alen[] = { 1, 2, 4, 8, 0, 1, 4, 9 };
static const uint64_t tab_ring_big[] = {
    1000, 4096, UINT64_MAX, 1ull << 32, COALESCED_MMIO_MAX,
};

#define TAB_N(t) (sizeof(t) / sizeof((t)[0]))

/* The numeric fields (model/domain.h): each reaches its whole range, one
 * past its end included, with its boundary values, and the old table of
 * interesting values as extras (their table index is what a seed uses). */
enum {
    F_ADDR,
    F_REG_LEN,
    F_EFD_LEN,
    F_DATAMATCH,
    F_ZONE_SIZE,
    F_ALEN,
    F_RING_INDEX,
    F_NR
};

static const struct dom_field fields[F_NR] = {
    [F_ADDR] = DOM_FIELD("iobus.addr", 0, UINT64_MAX, 8, tab_addr,
                         TAB_N(tab_addr)),
    [F_REG_LEN] = DOM_FIELD("iobus.reg_len", 0, UINT64_MAX, 8, tab_reg_len,
                            TAB_N(tab_reg_len)),
    /* ioeventfd lengths: 0 (any) to 8 bytes */
    [F_EFD_LEN] = DOM_FIELD("iobus.ioeventfd_len", 0, 8, 1, tab_efd_len,
                            TAB_N(tab_efd_len)),
    [F_DATAMATCH] = DOM_FIELD("iobus.datamatch", 0, UINT64_MAX, 8,
                              tab_datamatch, TAB_N(tab_datamatch)),
    [F_ZONE_SIZE] = DOM_FIELD("iobus.zone_size", 0, UINT32_MAX, 4,
                              tab_zone_size, TAB_N(tab_zone_size)),
    /* access lengths: 0 to IOBUS_ACCESS_MAX (8) */
    [F_ALEN] = DOM_FIELD("iobus.access_len", 0, IOBUS_ACCESS_MAX, 1,
                         tab_alen, TAB_N(tab_alen)),
    [F_RING_INDEX] = DOM_FIELD("iobus.ring_index", 0,
                               COALESCED_MMIO_MAX - 1, 2, tab_ring_big,
                               TAB_N(tab_ring_big)),
};

size_t iobus_diff_fields(const struct dom_field **out)
{
    *out = fields;
    return F_NR;
}

struct dworld;

/* A generic device with a fixed answer policy that checks it is only ever
 * called while registered, and destroyed once per registration. */
struct dtdev {
    struct iobus_dev dev;
    struct dworld *w;
    enum iobus_oracle_policy policy;
    bool dead; /* destroyed since its last successful registration */
};

struct dworld {
    struct iobus_set set;
    struct ioeventfd_set efds;
    struct coalesced_mmio_set cmmio;
    struct dtdev dev[DW_DEVS];
    struct plat_eventfd efd[DW_EFDS];
    uint64_t log[DW_LOG]; /* tags of generic devices the bus destroyed */
    size_t nlog;
    char violation[200];  /* first device-side violation */
    bool violated;
};

struct diff {
    struct dworld *w;
    enum iobus_lookup lookup; /* the world's variant between accesses */
    enum iobus_free free_mode; /* how registrations free old snapshots */
    struct iobus_oracle *o;
    uint64_t olog[DW_LOG];
    size_t nolog;
    char *err;
    size_t errlen;
    bool failed;
    uint64_t cmd; /* 1-based number of the current command */
    enum iobus_diff_op op;
    struct iobus_diff_opts opts;
    struct iobus_diff_stats st;
    unsigned fault_nth; /* armed for the current command, 0: none */
    bool fault_persist;
    unsigned next_fault_nth;
    bool next_fault_persist;
    unsigned fixed_sets; /* FIXED commands that ran */
};

static struct iobus_range_info scratch_a[IOBUS_MAX_RANGES];
static struct iobus_range_info scratch_b[IOBUS_MAX_RANGES];

/* Record the first failure; later ones are dropped. */
static void fail(struct diff *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

DW_CHECKER
static void fail(struct diff *d, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (d->failed) {
        return;
    }
    d->failed = true;
    k = snprintf(d->err, d->errlen, "command %" PRIu64 " (%s): ", d->cmd,
                 d->op < IOBUS_DIFF_OP_NR ? op_names[d->op] : "teardown");
    if (k < 0 || (size_t)k >= d->errlen) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(d->err + k, d->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static void violate(struct dworld *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

DW_CHECKER
static void violate(struct dworld *w, const char *fmt, ...)
{
    va_list ap;

    if (w->violated) {
        return;
    }
    w->violated = true;
    va_start(ap, fmt);
    vsnprintf(w->violation, sizeof(w->violation), fmt, ap);
    va_end(ap);
}

/* ---- the generic test device -------------------------------------------- */

static struct dtdev *dtdev_of(struct iobus_dev *d)
{
    return (struct dtdev *)(void *)((char *)d -
                                    offsetof(struct dtdev, dev));
}

static int dtdev_called(struct iobus_dev *d, uint64_t addr)
{
    struct dtdev *t = dtdev_of(d);

    if (t->dead || d->nr_ranges == 0) {
        violate(t->w, "device %" PRIu64 " called while %s", d->tag,
                t->dead ? "destroyed" : "unregistered");
    }
    return iobus_oracle_policy_accepts(t->policy, addr) ? 0 : -EOPNOTSUPP;
}

static int dtdev_read(struct iobus_dev *d, uint64_t addr, unsigned alen,
                      void *data)
{
    int rc = dtdev_called(d, addr);

    if (rc == 0) {
        memset(data, (int)(d->tag & 0xff), alen);
    }
    return rc;
}

static int dtdev_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                       const void *data)
{
    (void)alen;
    (void)data;
    return dtdev_called(d, addr);
}

static void dtdev_destroy(struct iobus_dev *d)
{
    struct dtdev *t = dtdev_of(d);
    struct dworld *w = t->w;

    if (t->dead || d->nr_ranges != 0) {
        violate(w, "device %" PRIu64 " destroyed %s", d->tag,
                t->dead ? "twice" : "while still on a bus");
    }
    t->dead = true;
    if (w->nlog < DW_LOG) {
        w->log[w->nlog] = d->tag;
    }
    w->nlog++;
}

static const struct iobus_dev_ops dtdev_ops = {
    .read = dtdev_read,
    .write = dtdev_write,
    .destructor = dtdev_destroy,
};

static void oracle_destroyed(void *arg, uint64_t tag,
                             enum iobus_oracle_kind kind)
{
    struct diff *d = arg;

    if (kind == IOBUS_ORACLE_GENERIC) {
        if (d->nolog < DW_LOG) {
            d->olog[d->nolog] = tag;
        }
        d->nolog++;
    }
}

/* ---- worlds ------------------------------------------------------------- */

static void dworld_open(struct dworld *w, enum iobus_lookup lookup,
                        enum iobus_free free_mode)
{
    memset(w, 0, sizeof(*w));
    iobus_set_init(&w->set, lookup);
    (void)iobus_set_free_mode(&w->set, free_mode);
    ioeventfd_set_init(&w->efds, &w->set);
    coalesced_mmio_init(&w->cmmio, &w->set);
    for (unsigned i = 0; i < DW_DEVS; i++) {
        iobus_dev_init(&w->dev[i].dev, &dtdev_ops, 1 + i, 0);
        w->dev[i].w = w;
        w->dev[i].policy = (enum iobus_oracle_policy)(i % 3);
    }
    for (unsigned i = 0; i < DW_EFDS; i++) {
        plat_eventfd_init(&w->efd[i], "ioeventfd");
    }
}

/* Tear the world down the way a VM goes away. */
static void dworld_close(struct dworld *w)
{
    ioeventfd_set_fini(&w->efds);
    coalesced_mmio_fini(&w->cmmio);
    iobus_set_destroy(&w->set);
    for (unsigned i = 0; i < DW_EFDS; i++) {
        plat_eventfd_destroy(&w->efd[i]);
    }
}

/* ---- decoding ----------------------------------------------------------- */

static uint64_t next_field(struct dom_cursor *c, unsigned f)
{
    return dom_read(c, &fields[f]);
}

static uint64_t next_addr(struct dom_cursor *c)
{
    uint64_t base = next_field(c, F_ADDR);
    uint8_t off = dom_byte(c);

    /* Half the offset bytes keep the field's address exactly. */
    return base + (off & 0x80 ? off % 16 : 0); /* may wrap, on purpose */
}

static enum iobus_id next_bus(struct dom_cursor *c)
{
    return (enum iobus_id)(dom_byte(c) % (IOBUS_NR + 1)); /* IOBUS_NR: bad */
}

static uint64_t next_ring_index(struct dom_cursor *c)
{
    return next_field(c, F_RING_INDEX);
}

static void next_ioeventfd(struct dom_cursor *c, struct dworld *w,
                           struct ioeventfd_args *a)
{
    uint8_t flags;
    unsigned e;

    memset(a, 0, sizeof(*a));
    a->addr = next_addr(c);
    a->len = (uint32_t)next_field(c, F_EFD_LEN);
    a->datamatch = next_field(c, F_DATAMATCH);
    flags = dom_byte(c);
    a->flags = (flags & IOEVENTFD_F_VALID) | (flags & 0x80u);
    e = dom_byte(c) % (DW_EFDS + 1);
    a->eventfd = e < DW_EFDS ? &w->efd[e] : NULL; /* NULL: -EINVAL */
    a->tag = TAG_EFD + e;
}

static void next_zone(struct dom_cursor *c, uint64_t cmd,
                      struct coalesced_mmio_zone *z)
{
    memset(z, 0, sizeof(*z));
    z->addr = next_addr(c);
    z->size = (uint32_t)next_field(c, F_ZONE_SIZE);
    z->pio = dom_byte(c) % 3; /* 2: -EINVAL */
    z->tag = TAG_ZONE + cmd % 1000;
}

/* ---- helpers ------------------------------------------------------------ */

/* Arm the command's allocation fault, if any; either way the allocation
 * count starts from 0 (sim_fault_fail_nth resets it). */
static void arm(struct diff *d)
{
    sim_fault_fail_nth(PLAT_FAULT_ALLOC, d->fault_nth, d->fault_persist);
}

/* Disarm; returns the allocations attempted since arm(). */
static uint64_t disarm(void)
{
    uint64_t hits = sim_fault_hits(PLAT_FAULT_ALLOC);

    sim_fault_fail_nth(PLAT_FAULT_ALLOC, 0, false);
    return hits;
}

/* ---- cost --------------------------------------------------------------- */

/* The cost of one update: grace periods waited for and allocations
 * attempted by the core, against what the oracle's rules expect
 * (iobus_oracle_get_cost).  A registration the core failed for want of
 * memory is not applied to the oracle: it must have stopped at the failed
 * allocation (the armed one) without waiting. */
static bool sabotaged(const struct diff *d);

struct cost_mark {
    uint64_t gp;
    uint64_t queued; /* deferred frees waiting in the platform */
    struct iobus_oracle_cost o;
};

static void cost_begin(const struct diff *d, struct cost_mark *m)
{
    m->gp = sim_rcu_synchronize_calls();
    m->queued = sim_rcu_pending();
    iobus_oracle_get_cost(d->o, &m->o);
}

DW_CHECKER
static void cost_check(struct diff *d, const struct cost_mark *m,
                       uint64_t allocs, bool nomem_unapplied)
{
    struct iobus_oracle_cost now;
    uint64_t gp = sim_rcu_synchronize_calls() - m->gp;
    uint64_t queued = sim_rcu_pending() - m->queued;
    uint64_t want_gp = 0;
    uint64_t want_queued = 0;
    uint64_t want_allocs = d->fault_nth;

    if (d->failed || sabotaged(d)) {
        return;
    }
    if (!nomem_unapplied) {
        iobus_oracle_get_cost(d->o, &now);
        want_gp = now.grace_periods - m->o.grace_periods;
        want_allocs = now.allocs - m->o.allocs;
        want_queued = now.deferred_frees - m->o.deferred_frees;
    }
    if (gp != want_gp || allocs != want_allocs || queued != want_queued) {
        fail(d, "cost (%s frees): %" PRIu64 " grace periods, %" PRIu64
             " allocations and %" PRIu64 " deferred frees, the oracle "
             "expects %" PRIu64 ", %" PRIu64 " and %" PRIu64,
             iobus_free_name(d->free_mode), gp, allocs, queued, want_gp,
             want_allocs, want_queued);
    }
}

static uint32_t reset_mask(const struct dworld *w, const uint64_t *before)
{
    uint32_t m = 0;

    for (unsigned b = 0; b < IOBUS_NR; b++) {
        if (w->set.bus_resets[b] != before[b]) {
            m |= 1u << b;
        }
    }
    return m;
}

DW_CHECKER
static void expect_rc(struct diff *d, int core, int oracle)
{
    if (core != oracle) {
        fail(d, "core %d, oracle %d", core, oracle);
    }
}

static bool sabotaged(const struct diff *d)
{
    return d->opts.sabotage_command == d->cmd;
}

/* ---- state comparison --------------------------------------------------- */

/* Ring indices, and slot `slot` (when < COALESCED_MMIO_MAX), against the
 * oracle's, after an access dispatched under `name` (or a ring command).
 * Slots only change by appends, so after a write the slot the append went
 * to is enough; the end of a run compares them all. */
DW_CHECKER
static void check_ring(struct diff *d, const char *name, uint64_t slot)
{
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&d->w->cmmio);
    uint64_t f = plat_atomic_load(&ring->first);
    uint64_t l = plat_atomic_load(&ring->last);
    uint64_t of;
    uint64_t ol;

    iobus_oracle_ring_get(d->o, &of, &ol);
    if (f != of || l != ol) {
        fail(d, "%s ring first/last %" PRIu64 "/%" PRIu64 ", oracle %" PRIu64
             "/%" PRIu64, name, f, l, of, ol);
        return;
    }
    if (slot < COALESCED_MMIO_MAX &&
        memcmp(&ring->entries[slot], iobus_oracle_ring_slot(d->o, slot),
               sizeof(ring->entries[slot])) != 0) {
        fail(d, "%s ring slot %" PRIu64 " differs from the oracle's", name,
             slot);
    }
}

/* Every slot; only a run that appended can have changed one. */
DW_CHECKER
static void check_ring_slots(struct diff *d)
{
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&d->w->cmmio);

    if (d->st.appends == 0) {
        return;
    }
    for (size_t i = 0; i < COALESCED_MMIO_MAX; i++) {
        if (memcmp(&ring->entries[i], iobus_oracle_ring_slot(d->o, i),
                   sizeof(ring->entries[i])) != 0) {
            fail(d, "ring slot %zu differs from the oracle's", i);
            return;
        }
    }
}

DW_CHECKER
static void check_logs(struct diff *d)
{
    struct dworld *w = d->w;

    if (w->violated) {
        fail(d, "%s", w->violation);
        return;
    }
    if (w->nlog != d->nolog) {
        fail(d, "the bus destroyed %zu devices, the oracle %zu", w->nlog,
             d->nolog);
        return;
    }
    for (size_t i = 0; i < w->nlog && i < DW_LOG; i++) {
        if (w->log[i] != d->olog[i]) {
            fail(d, "destruction %zu was device %" PRIu64 ", oracle %" PRIu64,
                 i, w->log[i], d->olog[i]);
            return;
        }
    }
}

/* Buses, lists, per-device range counts and logs against the oracle. */
DW_CHECKER
static void check_state(struct diff *d)
{
    struct dworld *w = d->w;
    uint32_t count[DW_DEVS];

    memset(count, 0, sizeof(count));
    for (unsigned b = 0; b < IOBUS_NR && !d->failed; b++) {
        size_t nb = iobus_oracle_ranges(d->o, (enum iobus_id)b, scratch_b,
                                        IOBUS_MAX_RANGES);
        size_t na;

        plat_lock(&w->set.lock);
        na = iobus_ranges_locked(&w->set, (enum iobus_id)b, scratch_a,
                                 IOBUS_MAX_RANGES);
        plat_unlock(&w->set.lock);
        if (na != nb) {
            fail(d, "bus %u: %zu ranges, oracle %zu", b, na, nb);
            break;
        }
        for (size_t i = 0; i < na; i++) {
            const struct iobus_range_info *x = &scratch_a[i];
            const struct iobus_range_info *y = &scratch_b[i];

            if (x->addr != y->addr || x->len != y->len || x->tag != y->tag) {
                fail(d, "bus %u range %zu: %#" PRIx64 "/%" PRIu64 " tag %"
                     PRIu64 ", oracle %#" PRIx64 "/%" PRIu64 " tag %" PRIu64,
                     b, i, x->addr, x->len, x->tag, y->addr, y->len, y->tag);
                break;
            }
            /* Generic device k has tag 1 + k. */
            if (x->tag >= 1 && x->tag <= DW_DEVS &&
                x->dev == &w->dev[x->tag - 1].dev) {
                count[x->tag - 1]++;
            }
        }
    }
    for (unsigned k = 0; k < DW_DEVS && !d->failed; k++) {
        if (w->dev[k].dev.nr_ranges != count[k]) {
            fail(d, "device %u counts %u ranges, the buses hold %u", k + 1,
                 w->dev[k].dev.nr_ranges, count[k]);
        }
    }
    if (!d->failed &&
        ioeventfd_count(&w->efds) != iobus_oracle_nr_ioeventfds(d->o)) {
        fail(d, "%u ioeventfds, oracle %u", ioeventfd_count(&w->efds),
             iobus_oracle_nr_ioeventfds(d->o));
    }
    if (!d->failed &&
        coalesced_mmio_nr_zones(&w->cmmio) != iobus_oracle_nr_zones(d->o)) {
        fail(d, "%u zones, oracle %u", coalesced_mmio_nr_zones(&w->cmmio),
             iobus_oracle_nr_zones(d->o));
    }
    if (!d->failed) {
        check_logs(d);
    }
}

/* ---- commands ----------------------------------------------------------- */

static void do_register(struct diff *d, struct dom_cursor *c)
{
    unsigned i = dom_byte(c) % DW_DEVS;
    enum iobus_id bus = next_bus(c);
    uint64_t addr = next_addr(c);
    uint64_t len = next_field(c, F_REG_LEN);
    struct dworld *w = d->w;
    struct cost_mark m;
    uint64_t allocs;
    int rc;

    cost_begin(d, &m);
    arm(d);
    rc = iobus_register(&w->set, bus, addr, len, &w->dev[i].dev);
    allocs = disarm();
    if (rc == 0) {
        w->dev[i].dead = false;
    }
    if (rc == -ENOMEM) {
        d->st.nomem++;
        cost_check(d, &m, allocs, true);
        return;
    }
    if (!sabotaged(d)) {
        expect_rc(d, rc, iobus_oracle_register(d->o, bus, addr, len, 1 + i,
                                               w->dev[i].policy));
    }
    cost_check(d, &m, allocs, false);
}

static void do_unregister(struct diff *d, struct dom_cursor *c)
{
    unsigned i = dom_byte(c) % DW_DEVS;
    enum iobus_id bus = next_bus(c);
    struct dworld *w = d->w;
    uint64_t before[IOBUS_NR];
    uint32_t mask;
    struct cost_mark m;
    uint64_t allocs;
    int rc;

    memcpy(before, w->set.bus_resets, sizeof(before));
    cost_begin(d, &m);
    arm(d);
    rc = iobus_unregister(&w->set, bus, &w->dev[i].dev);
    allocs = disarm();
    mask = reset_mask(w, before);
    d->st.nomem += rc == -ENOMEM;
    if (!sabotaged(d)) {
        expect_rc(d, rc, iobus_oracle_unregister(d->o, bus, 1 + i, mask));
    }
    cost_check(d, &m, allocs, false);
}

static void do_ioeventfd(struct diff *d, struct dom_cursor *c, bool assign)
{
    struct dworld *w = d->w;
    struct ioeventfd_args a;
    uint64_t before[IOBUS_NR];
    uint32_t mask;
    struct cost_mark m;
    uint64_t allocs;
    int rc;

    next_ioeventfd(c, w, &a);
    memcpy(before, w->set.bus_resets, sizeof(before));
    cost_begin(d, &m);
    arm(d);
    rc = assign ? ioeventfd_assign(&w->efds, &a)
                : ioeventfd_deassign(&w->efds, &a);
    allocs = disarm();
    mask = reset_mask(w, before);
    if (assign && rc == -ENOMEM) {
        d->st.nomem++;
        cost_check(d, &m, allocs, true);
        return;
    }
    d->st.nomem += mask != 0;
    if (sabotaged(d)) {
        return;
    }
    /* The oracle identifies eventfds by identity too. */
    expect_rc(d, rc,
              assign ? iobus_oracle_ioeventfd_assign(d->o, &a)
                     : iobus_oracle_ioeventfd_deassign(d->o, &a, mask));
    cost_check(d, &m, allocs, false);
}

static void do_zone(struct diff *d, struct dom_cursor *c, bool add)
{
    struct dworld *w = d->w;
    struct coalesced_mmio_zone z;
    uint64_t before[IOBUS_NR];
    uint32_t mask;
    struct cost_mark m;
    uint64_t allocs;
    int rc;

    next_zone(c, d->cmd, &z);
    memcpy(before, w->set.bus_resets, sizeof(before));
    cost_begin(d, &m);
    arm(d);
    rc = add ? coalesced_mmio_register_zone(&w->cmmio, &z)
             : coalesced_mmio_unregister_zone(&w->cmmio, &z);
    allocs = disarm();
    mask = reset_mask(w, before);
    if (add && rc == -ENOMEM) {
        d->st.nomem++;
        cost_check(d, &m, allocs, true);
        return;
    }
    d->st.nomem += mask != 0;
    if (!sabotaged(d)) {
        expect_rc(d, rc,
                  add ? iobus_oracle_zone_register(d->o, &z)
                      : iobus_oracle_zone_unregister(d->o, &z, mask));
    }
    cost_check(d, &m, allocs, false);
}

static void do_fixed(struct diff *d)
{
    struct cost_mark m;
    uint64_t allocs;
    int rc;

    /* A third set of the fixed devices adds nothing but ranges to copy. */
    if (d->fixed_sets == DW_FIXED_SETS) {
        return;
    }
    d->fixed_sets++;

    cost_begin(d, &m);
    arm(d);
    rc = iodev_fixed_register_all(&d->w->set, TAG_FIXED, NULL);
    allocs = disarm();
    if (rc == -ENOMEM) {
        d->st.nomem++;
        cost_check(d, &m, allocs, true);
        return;
    }
    if (!sabotaged(d)) {
        expect_rc(d, rc, iobus_oracle_fixed_register_all(d->o, TAG_FIXED));
    }
    cost_check(d, &m, allocs, false);
}

/* After an access: the eventfd of the ioeventfd that took a write is
 * signalled, and no other.  Reading them clears them for the next
 * variant. */
DW_CHECKER
static void check_signals(struct diff *d, struct dworld *w, const char *name,
                          int rc, uint64_t tag, bool write)
{
    bool want_any = write && rc == 0 && tag >= TAG_EFD &&
                    tag < TAG_EFD + DW_EFDS;

    for (unsigned e = 0; e < DW_EFDS; e++) {
        bool want = want_any && tag == TAG_EFD + e;
        bool got = plat_eventfd_test_and_clear(&w->efd[e]);

        if (got != want) {
            fail(d, "%s: eventfd %u %s", name, e,
                 got ? "signalled by an access that was not its "
                       "ioeventfd's" : "not signalled by its ioeventfd");
            return;
        }
    }
}

/* Every variant's search finds the same first range. */
DW_CHECKER
static void check_probes(struct diff *d, struct dworld *w, enum iobus_id bus,
                         uint64_t addr, unsigned alen)
{
    struct iobus_hit first = { .dev = NULL };

    if ((unsigned)bus >= IOBUS_NR || alen > IOBUS_ACCESS_MAX) {
        return;
    }
    for (unsigned l = 0; l < IOBUS_LOOKUP_NR; l++) {
        struct iobus_hit h;

        iobus_probe(&w->set, bus, (enum iobus_lookup)l, addr, alen, &h);
        if (l == 0) {
            first = h;
        }
        if ((h.dev == NULL) != (first.dev == NULL) || h.tag != first.tag ||
            h.addr != first.addr || h.len != first.len) {
            fail(d, "%s search: first range %#" PRIx64 "/%" PRIu64 " tag %"
                 PRIu64 ", linear's %#" PRIx64 "/%" PRIu64 " tag %" PRIu64,
                 iobus_lookup_name((enum iobus_lookup)l), h.addr, h.len,
                 h.tag, first.addr, first.len, first.tag);
            return;
        }
    }
}

/* The access, dispatched under every lookup variant in turn from the same
 * state: each must do what the oracle does (result, handler, eventfd,
 * ring append). */
static void do_access(struct diff *d, struct dom_cursor *c, bool write)
{
    enum iobus_id bus = next_bus(c);
    uint64_t addr = next_addr(c);
    unsigned alen = (unsigned)next_field(c, F_ALEN);
    struct dworld *w = d->w;
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&w->cmmio);
    uint64_t last = plat_atomic_load(&ring->last);
    uint8_t val[8];
    uint64_t otag = 0;
    uint64_t gp0 = sim_rcu_synchronize_calls();
    uint64_t queued0 = sim_rcu_pending();
    uint64_t allocs;
    int orc;

    disarm(); /* counts allocations from 0 */
    memset(val, 0, sizeof(val));
    if (write && dom_byte(c) % 2 == 0) {
        /* A value an ioeventfd may match, in the guest's byte order. */
        uint64_t dm = next_field(c, F_DATAMATCH);

        memcpy(val, &dm, sizeof(val));
    } else if (write) {
        for (unsigned k = 0; k < sizeof(val); k++) {
            val[k] = dom_byte(c);
        }
    }
    orc = write ? iobus_oracle_write(d->o, bus, addr, alen, val, &otag)
                : iobus_oracle_read(d->o, bus, addr, alen, &otag);
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR && !d->failed; v++) {
        const char *name = iobus_lookup_name((enum iobus_lookup)v);
        struct iobus_hit hit;
        uint8_t data[8];
        int rc;

        /* Undo the previous variant's append: the producer index goes
         * back, and the slot is written again. */
        plat_atomic_store(&ring->last, last);
        iobus_set_lookup(&w->set, (enum iobus_lookup)v);
        memcpy(data, val, sizeof(data));
        rc = write ? iobus_write(&w->set, bus, addr, alen, data, &hit)
                   : iobus_read(&w->set, bus, addr, alen, data, &hit);
        if (rc != orc || (rc == 0 && hit.tag != otag)) {
            fail(d, "%s %s bus %u %#" PRIx64 "/%u: rc %d by %" PRIu64
                 ", oracle rc %d by %" PRIu64, name,
                 write ? "write" : "read", (unsigned)bus, addr, alen, rc,
                 rc == 0 ? hit.tag : 0, orc, orc == 0 ? otag : 0);
            break;
        }
        if (w->violated) {
            fail(d, "%s: %s", name, w->violation);
            break;
        }
        check_signals(d, w, name, rc, hit.tag, write);
        check_ring(d, name, last);
    }
    iobus_set_lookup(&w->set, d->lookup);
    allocs = disarm();
    if (!d->failed &&
        (allocs != 0 || sim_rcu_synchronize_calls() != gp0 ||
         sim_rcu_pending() != queued0)) {
        fail(d, "cost: a dispatch allocated %" PRIu64 " times, waited "
             "for %" PRIu64 " grace periods and queued %" PRIu64 " frees",
             allocs, sim_rcu_synchronize_calls() - gp0,
             sim_rcu_pending() - queued0);
    }
    check_probes(d, w, bus, addr, alen);
    if (orc == 0) {
        d->st.handled++;
        d->st.signals += otag >= TAG_EFD && otag < TAG_EFD + DW_EFDS;
        d->st.appends += otag >= TAG_ZONE && otag < TAG_ZONE + 1000;
    }
}

static void do_ring_pop(struct diff *d, struct dom_cursor *c)
{
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&d->w->cmmio);
    unsigned k = dom_byte(c);

    for (unsigned j = 0; j < k && !d->failed; j++) {
        struct coalesced_mmio_entry want;
        struct coalesced_mmio_entry got;
        int orc = iobus_oracle_ring_pop(d->o, &want);
        int rc = coalesced_mmio_ring_pop(ring, &got);

        if (rc != orc || (rc == 0 && memcmp(&got, &want, sizeof(got)) != 0)) {
            fail(d, "pop %u: rc %d, oracle %d%s", j, rc, orc,
                 rc == orc ? " (entries differ)" : "");
            return;
        }
        if (orc != 0) {
            break;
        }
    }
}

static void do_ring_set(struct diff *d, struct dom_cursor *c)
{
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&d->w->cmmio);
    uint64_t first = next_ring_index(c);
    uint64_t last = next_ring_index(c);

    plat_atomic_store(&ring->first, first);
    plat_atomic_store(&ring->last, last);
    if (!sabotaged(d)) {
        iobus_oracle_ring_set(d->o, first, last);
    }
}

static void do_command(struct diff *d, const uint8_t *p, size_t n)
{
    struct dom_cursor c = { .p = p, .n = n, .i = 0 };
    uint64_t total = 0;

    d->op = (enum iobus_diff_op)(dom_byte(&c) % IOBUS_DIFF_OP_NR);
    d->fault_nth = d->next_fault_nth;
    d->fault_persist = d->next_fault_persist;
    d->next_fault_nth = 0;
    d->st.faults += d->fault_nth != 0 && d->op <= IOBUS_DIFF_FIXED;
    iobus_oracle_fault_plan(d->o, d->fault_nth, d->fault_persist);
    switch (d->op) {
    case IOBUS_DIFF_REGISTER:
        do_register(d, &c);
        break;
    case IOBUS_DIFF_UNREGISTER:
        do_unregister(d, &c);
        break;
    case IOBUS_DIFF_IOEVENTFD_ASSIGN:
    case IOBUS_DIFF_IOEVENTFD_DEASSIGN:
        do_ioeventfd(d, &c, d->op == IOBUS_DIFF_IOEVENTFD_ASSIGN);
        break;
    case IOBUS_DIFF_ZONE_ADD:
    case IOBUS_DIFF_ZONE_DEL:
        do_zone(d, &c, d->op == IOBUS_DIFF_ZONE_ADD);
        break;
    case IOBUS_DIFF_FIXED:
        do_fixed(d);
        break;
    case IOBUS_DIFF_WRITE:
    case IOBUS_DIFF_READ:
        do_access(d, &c, d->op == IOBUS_DIFF_WRITE);
        return;
    case IOBUS_DIFF_RING_POP:
        do_ring_pop(d, &c);
        check_ring(d, "core", UINT64_MAX);
        return;
    case IOBUS_DIFF_RING_SET:
        do_ring_set(d, &c);
        check_ring(d, "core", UINT64_MAX);
        return;
    case IOBUS_DIFF_FAULT:
    default:
        d->next_fault_nth = 1 + dom_byte(&c) % 4;
        d->next_fault_persist = dom_byte(&c) & 1;
        return;
    }
    /* An update: compare the whole state, sparsely on big buses. */
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        total += iobus_nr_ranges(&d->w->set, (enum iobus_id)b);
    }
    if (!d->failed && (total <= DW_DENSE_RANGES || d->cmd % DW_SPARSE == 0)) {
        check_state(d);
    }
    /* Deferred frees run now and then (outside a simulation a barrier
     * runs them), so later commands meet both queued and freed
     * snapshots; each must free exactly one live block. */
    if (!d->failed && d->cmd % DW_BARRIER_EVERY == 0 && sim_rcu_pending()) {
        uint64_t pending = sim_rcu_pending();
        uint64_t live = sim_alloc_live();

        plat_rcu_barrier();
        if (sim_rcu_pending() != 0 || live - sim_alloc_live() != pending) {
            fail(d, "barrier: %" PRIu64 " frees still queued, %" PRIu64
                 " blocks freed for %" PRIu64 " queued", sim_rcu_pending(),
                 live - sim_alloc_live(), pending);
        }
    }
}

/* Length of the command starting at in[0..n): up to the next separator.
 * A plain byte loop: memcmp() at every offset goes through the sanitizer's
 * interceptor and the fuzzer's comparison hook, a tenth of the run time. */
DW_CHECKER
static size_t command_len(const uint8_t *in, size_t n)
{
    for (size_t i = 0; i + IOBUS_DIFF_SEP_LEN <= n; i++) {
        size_t k = 0;

        while (k < IOBUS_DIFF_SEP_LEN &&
               in[i + k] == (uint8_t)IOBUS_DIFF_SEP[k]) {
            k++;
        }
        if (k == IOBUS_DIFF_SEP_LEN) {
            return i;
        }
    }
    return n;
}

/* One run's state.  Static: the oracle is created once and reset after
 * every run, which keeps a fuzzer's executions cheap. */
static struct dworld world;
static struct diff run_state;

int iobus_diff_run(const uint8_t *in, size_t n,
                   const struct iobus_diff_opts *opts,
                   struct iobus_diff_stats *stats, char *err, size_t errlen)
{
    static const struct iobus_diff_opts no_opts;
    static struct iobus_oracle *oracle;
    struct diff *d = &run_state;
    uint64_t live;

    if (errlen) {
        err[0] = '\0';
    }
    if (!oracle) {
        oracle = iobus_oracle_create(oracle_destroyed, &run_state);
        if (!oracle) {
            snprintf(err, errlen, "out of memory setting up");
            return -ENOMEM;
        }
    }
    memset(d, 0, sizeof(*d));
    d->o = oracle;
    d->err = err;
    d->errlen = errlen;
    d->opts = opts ? *opts : no_opts;
    sim_fault_reset();
    live = sim_alloc_live();
    /* Updates run under one variant (they do not depend on it); which
     * one follows from the input's length, so every variant gets its
     * turn across inputs and a given input always picks the same. */
    d->w = &world;
    d->lookup = (enum iobus_lookup)(n % IOBUS_LOOKUP_NR);
    d->free_mode = (enum iobus_free)(n / IOBUS_LOOKUP_NR % IOBUS_FREE_NR);
    iobus_oracle_set_free_mode(d->o, d->free_mode);
    dworld_open(d->w, d->lookup, d->free_mode);

    for (size_t i = 0; i < n && !d->failed;) {
        size_t len = command_len(in + i, n - i);

        d->cmd++;
        d->st.commands++;
        if (len > 0) {
            do_command(d, in + i, len);
        }
        i += len + IOBUS_DIFF_SEP_LEN;
    }
    d->op = IOBUS_DIFF_OP_NR; /* messages now say "teardown" */
    if (!d->failed) {
        check_state(d);
        check_ring_slots(d);
    }

    /* Teardown: the bus destroys what the oracle destroys. */
    dworld_close(d->w);
    iobus_oracle_reset(d->o);
    if (!d->failed) {
        d->cmd++;
        check_logs(d);
        for (unsigned k = 0; k < DW_DEVS && !d->failed; k++) {
            if (d->w->dev[k].dev.nr_ranges != 0) {
                fail(d, "teardown left device %u with %u ranges", k + 1,
                     d->w->dev[k].dev.nr_ranges);
            }
        }
        if (!d->failed && sim_alloc_live() != live) {
            fail(d, "teardown: %" PRIu64 " allocations live, %" PRIu64
                 " before", sim_alloc_live(), live);
        }
    }
    d->st.destroyed = d->w->nlog;
    sim_fault_reset();
    if (stats) {
        *stats = d->st;
    }
    return d->failed ? -1 : 0;
}
