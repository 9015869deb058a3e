/*
 * model/iobus/iobus_oracle.c - the slow, plain-array model of the I/O buses.
 *
 * Everything lives in one calloc'd struct with fixed capacities (the core's
 * own limits), so no operation allocates.  Ranges of a bus sit in
 * registration order; whenever an order matters (dispatch, destruction) the
 * ranges concerned are sorted by (addr, len, seq) on the spot.  A device
 * slot is live while at least one of its ranges is registered.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/iobus/iobus_oracle.h"

#define ORACLE_MAX_DEVS (IOBUS_NR * IOBUS_MAX_RANGES)

/* The fixed devices of an x86 VM, written down from the PC's I/O map (not
 * read from core/iodev_fixed.c): the two 8259 PICs and their ELCR, the
 * 8254 PIT with the speaker port (which answers at its base only), and the
 * I/O APIC's MMIO window.  Indexed by enum iodev_fixed_kind. */
struct oracle_fixed_desc {
    enum iobus_id bus;
    uint64_t addr;
    uint64_t len;
    bool base_only;
};

static const struct oracle_fixed_desc oracle_fixed[IODEV_FIXED_NR] = {
    [IODEV_PIC_MASTER] = { IOBUS_PIO, 0x20, 2, false },
    [IODEV_PIC_SLAVE] = { IOBUS_PIO, 0xa0, 2, false },
    [IODEV_PIC_ELCR] = { IOBUS_PIO, 0x4d0, 2, false },
    [IODEV_PIT] = { IOBUS_PIO, 0x40, 4, false },
    [IODEV_PIT_SPEAKER] = { IOBUS_PIO, 0x61, 4, true },
    [IODEV_IOAPIC] = { IOBUS_MMIO, 0xfec00000u, 0x100, false },
};

/* Sorting the model's ranges is no news about the code under test: keep
 * it out of a fuzzer's coverage feedback (and its cost). */
#if defined(__clang__) && __clang_major__ >= 13
#define ORACLE_UNCOVERED __attribute__((no_sanitize("coverage")))
#else
#define ORACLE_UNCOVERED
#endif

struct oracle_dev {
    bool live;
    enum iobus_oracle_kind kind;
    uint64_t tag;
    unsigned nr_ranges;
    uint64_t list_seq; /* position in the ioeventfd or zone list */
    enum iobus_oracle_policy policy;
    /* ioeventfd */
    enum iobus_id bus;
    uint64_t addr;
    uint32_t len;
    bool wildcard;
    uint64_t datamatch;
    struct plat_eventfd *eventfd;
    /* zone */
    struct coalesced_mmio_zone zone;
    /* fixed */
    enum iodev_fixed_kind fixed;
};

struct oracle_range {
    uint64_t addr;
    uint64_t len;
    uint64_t seq;
    uint32_t dev;
};

struct iobus_oracle {
    iobus_oracle_destroy_fn *cb;
    void *cb_arg;
    uint64_t next_seq;
    uint64_t next_list;
    int dev_hi; /* slots at or above are unused */
    uint32_t nr[IOBUS_NR];
    struct oracle_range range[IOBUS_NR][IOBUS_MAX_RANGES];
    struct oracle_dev dev[ORACLE_MAX_DEVS];
    uint32_t scratch[IOBUS_MAX_RANGES];
    uint64_t ring_first;
    uint64_t ring_last;
    struct coalesced_mmio_entry ring[COALESCED_MMIO_MAX];
    struct iobus_oracle_cost cost;
    /* The allocation fault of the update being modelled (see
     * iobus_oracle_fault_plan); attempts counts its snapshot allocations. */
    uint64_t plan_nth;
    bool plan_persist;
    uint64_t plan_attempts;
    enum iobus_free free_mode;
};

void iobus_oracle_fault_plan(struct iobus_oracle *o, uint64_t nth,
                             bool persist)
{
    o->plan_nth = nth;
    o->plan_persist = persist;
    o->plan_attempts = 0;
}

/* ---- cost --------------------------------------------------------------- */

/* The cost rules of the I/O bus, restated (see iobus_oracle.h):
 * a registration allocates every object it needs, then one new snapshot
 * per bus it adds to, before it publishes anything, and then, in SYNC
 * mode, waits for one grace period; in DEFERRED mode it waits for none
 * and queues the free of every snapshot it replaced that held ranges
 * (`replaced`; the shared empty bus is never freed).  A failure found
 * before allocating (bad arguments, a collision) costs nothing, a bus
 * without room costs the objects.  These record a registration's
 * outcome. */
static void oracle_cost_registered(struct iobus_oracle *o, unsigned objects,
                                   unsigned buses, unsigned replaced)
{
    o->cost.allocs += objects + buses;
    if (o->free_mode == IOBUS_FREE_DEFERRED) {
        o->cost.deferred_frees += replaced;
    } else {
        o->cost.grace_periods++;
    }
}

void iobus_oracle_set_free_mode(struct iobus_oracle *o, enum iobus_free mode)
{
    o->free_mode = mode == IOBUS_FREE_DEFERRED ? IOBUS_FREE_DEFERRED
                                               : IOBUS_FREE_SYNC;
}

static void oracle_cost_full(struct iobus_oracle *o, unsigned objects)
{
    o->cost.allocs += objects;
}

void iobus_oracle_get_cost(const struct iobus_oracle *o,
                           struct iobus_oracle_cost *out)
{
    *out = o->cost;
}

struct iobus_oracle *iobus_oracle_create(iobus_oracle_destroy_fn *cb,
                                         void *arg)
{
    struct iobus_oracle *o = calloc(1, sizeof(*o));

    if (o) {
        o->cb = cb;
        o->cb_arg = arg;
        o->next_seq = 1;
        o->next_list = 1;
    }
    return o;
}

int iobus_oracle_policy_accepts(enum iobus_oracle_policy policy,
                                uint64_t addr)
{
    switch (policy) {
    case IOBUS_ORACLE_ACCEPT:
        return 1;
    case IOBUS_ORACLE_ACCEPT_EVEN:
        return (addr & 1) == 0;
    default:
        return 0;
    }
}

/* ---- devices and ranges ------------------------------------------------- */

static int oracle_dev_new(struct iobus_oracle *o, enum iobus_oracle_kind kind,
                          uint64_t tag)
{
    for (int i = 0; i < ORACLE_MAX_DEVS; i++) {
        if (!o->dev[i].live) {
            if (i >= o->dev_hi) {
                o->dev_hi = i + 1;
            }
            memset(&o->dev[i], 0, sizeof(o->dev[i]));
            o->dev[i].live = true;
            o->dev[i].kind = kind;
            o->dev[i].tag = tag;
            o->dev[i].list_seq = o->next_list++;
            return i;
        }
    }
    return -ENOSPC;
}

ORACLE_UNCOVERED
static bool oracle_range_before(const struct oracle_range *a,
                                const struct oracle_range *b)
{
    if (a->addr != b->addr) {
        return a->addr < b->addr;
    }
    if (a->len != b->len) {
        return a->len < b->len;
    }
    return a->seq < b->seq;
}

/* Indices of the ranges of bus selected by keep(), sorted canonically,
 * into o->scratch; returns how many. */
ORACLE_UNCOVERED
static uint32_t oracle_sorted(struct iobus_oracle *o, enum iobus_id bus,
                              bool (*keep)(const struct oracle_range *r,
                                           const void *arg),
                              const void *arg)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < o->nr[bus]; i++) {
        const struct oracle_range *r = &o->range[bus][i];
        uint32_t j;

        if (keep && !keep(r, arg)) {
            continue;
        }
        j = n++;
        while (j > 0 &&
               oracle_range_before(r, &o->range[bus][o->scratch[j - 1]])) {
            o->scratch[j] = o->scratch[j - 1];
            j--;
        }
        o->scratch[j] = i;
    }
    return n;
}

static uint32_t oracle_counted(struct iobus_oracle *o, enum iobus_id bus)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < o->nr[bus]; i++) {
        n += o->dev[o->range[bus][i].dev].kind != IOBUS_ORACLE_IOEVENTFD;
    }
    return n;
}

/* Room for add ranges of which add_counted count toward the device limit. */
static bool oracle_room(struct iobus_oracle *o, enum iobus_id bus,
                        uint32_t add, uint32_t add_counted)
{
    return o->nr[bus] + add <= IOBUS_MAX_RANGES &&
           oracle_counted(o, bus) + add_counted <= IOBUS_MAX_DEVS;
}

static void oracle_add_range(struct iobus_oracle *o, enum iobus_id bus,
                             uint64_t addr, uint64_t len, int dev)
{
    o->range[bus][o->nr[bus]++] = (struct oracle_range){
        .addr = addr, .len = len, .seq = o->next_seq++, .dev = (uint32_t)dev,
    };
    o->dev[dev].nr_ranges++;
}

/* The bus destroys a device on its own initiative. */
static void oracle_destroy_dev(struct iobus_oracle *o, uint32_t d)
{
    o->dev[d].live = false;
    if (o->cb) {
        o->cb(o->cb_arg, o->dev[d].tag, o->dev[d].kind);
    }
}

/* Drop every range of bus in canonical order; devices other than keep
 * whose last range goes are destroyed. */
static void oracle_drop_bus(struct iobus_oracle *o, enum iobus_id bus,
                            int keep)
{
    uint32_t n = oracle_sorted(o, bus, NULL, NULL);

    for (uint32_t k = 0; k < n; k++) {
        uint32_t d = o->range[bus][o->scratch[k]].dev;

        o->dev[d].nr_ranges--;
        if ((int)d != keep && o->dev[d].nr_ranges == 0) {
            oracle_destroy_dev(o, d);
        }
    }
    o->nr[bus] = 0;
}

/* Remove every range of device d from bus (registration order kept), or,
 * when nomem, empty the bus as the core does.  The caller releases d.
 * Returns 0, -ENOMEM, or -ENOENT when d has no range on bus. */
static int oracle_unregister_dev(struct iobus_oracle *o, enum iobus_id bus,
                                 uint32_t d, bool nomem)
{
    uint32_t k = 0;
    uint32_t out = 0;

    for (uint32_t i = 0; i < o->nr[bus]; i++) {
        k += o->range[bus][i].dev == d;
    }
    if (k == 0) {
        return -ENOENT;
    }
    /* Removing a device's ranges waits for one grace period, also when the
     * bus is emptied for want of memory; it allocates a smaller snapshot
     * unless nothing would be left on the bus. */
    o->cost.grace_periods++;
    o->cost.allocs += k < o->nr[bus];
    if (k < o->nr[bus] && o->plan_nth) {
        /* Which removal ran out of memory follows from the plan. */
        uint64_t a = ++o->plan_attempts;

        nomem = nomem && (a == o->plan_nth ||
                          (o->plan_persist && a > o->plan_nth));
    }
    /* The core needs no memory to remove a bus's only device. */
    if (nomem && k < o->nr[bus]) {
        oracle_drop_bus(o, bus, (int)d);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < o->nr[bus]; i++) {
        if (o->range[bus][i].dev != d) {
            o->range[bus][out++] = o->range[bus][i];
        }
    }
    o->nr[bus] = out;
    o->dev[d].nr_ranges -= k;
    return 0;
}

void iobus_oracle_destroy(struct iobus_oracle *o)
{
    if (!o) {
        return;
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        oracle_drop_bus(o, (enum iobus_id)b, -1);
    }
    free(o);
}

void iobus_oracle_reset(struct iobus_oracle *o)
{
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        oracle_drop_bus(o, (enum iobus_id)b, -1);
    }
    memset(o->dev, 0, (size_t)o->dev_hi * sizeof(o->dev[0]));
    o->dev_hi = 0;
    o->next_seq = 1;
    o->next_list = 1;
    o->ring_first = 0;
    o->ring_last = 0;
    memset(o->ring, 0, sizeof(o->ring));
    memset(&o->cost, 0, sizeof(o->cost));
}

/* ---- generic devices ---------------------------------------------------- */

static int oracle_find(struct iobus_oracle *o, enum iobus_oracle_kind kind,
                       uint64_t tag)
{
    for (int i = 0; i < o->dev_hi; i++) {
        if (o->dev[i].live && o->dev[i].kind == kind &&
            o->dev[i].tag == tag) {
            return i;
        }
    }
    return -1;
}

int iobus_oracle_register(struct iobus_oracle *o, enum iobus_id bus,
                          uint64_t addr, uint64_t len, uint64_t tag,
                          enum iobus_oracle_policy policy)
{
    int d;

    if ((unsigned)bus >= IOBUS_NR || len > UINT64_MAX - addr) {
        return -EINVAL;
    }
    if (!oracle_room(o, bus, 1, 1)) {
        oracle_cost_full(o, 0); /* the caller owns the device */
        return -ENOSPC;
    }
    d = oracle_find(o, IOBUS_ORACLE_GENERIC, tag);
    if (d < 0) {
        d = oracle_dev_new(o, IOBUS_ORACLE_GENERIC, tag);
        if (d < 0) {
            return d;
        }
        o->dev[d].policy = policy;
    }
    oracle_add_range(o, bus, addr, len, d);
    oracle_cost_registered(o, 0, 1, o->nr[bus] > 1);
    return 0;
}

int iobus_oracle_unregister(struct iobus_oracle *o, enum iobus_id bus,
                            uint64_t tag, uint32_t nomem_buses)
{
    int d;
    int rc;

    if ((unsigned)bus >= IOBUS_NR) {
        return -EINVAL;
    }
    d = oracle_find(o, IOBUS_ORACLE_GENERIC, tag);
    if (d < 0) {
        return -ENOENT;
    }
    rc = oracle_unregister_dev(o, bus, (uint32_t)d,
                               (nomem_buses >> bus) & 1u);
    if (rc != -ENOENT && o->dev[d].nr_ranges == 0) {
        o->dev[d].live = false; /* back to its owner */
    }
    return rc;
}

/* ---- ioeventfds --------------------------------------------------------- */

static enum iobus_id oracle_ioeventfd_bus(const struct ioeventfd_args *a)
{
    return (a->flags & IOEVENTFD_F_PIO) ? IOBUS_PIO : IOBUS_MMIO;
}

static bool oracle_ioeventfd_collides(struct iobus_oracle *o,
                                      enum iobus_id bus,
                                      const struct ioeventfd_args *a)
{
    bool wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);

    for (int i = 0; i < o->dev_hi; i++) {
        const struct oracle_dev *p = &o->dev[i];

        if (!p->live || p->kind != IOBUS_ORACLE_IOEVENTFD || p->bus != bus ||
            p->addr != a->addr) {
            continue;
        }
        if (p->len == 0 || a->len == 0) {
            return true;
        }
        if (p->len == a->len &&
            (p->wildcard || wildcard || p->datamatch == a->datamatch)) {
            return true;
        }
    }
    return false;
}

int iobus_oracle_ioeventfd_assign(struct iobus_oracle *o,
                                  const struct ioeventfd_args *a)
{
    enum iobus_id bus;
    bool twin;

    if (!a || !a->eventfd || (a->flags & ~IOEVENTFD_F_VALID)) {
        return -EINVAL;
    }
    if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
        a->len != 8) {
        return -EINVAL;
    }
    if (a->len > UINT64_MAX - a->addr) {
        return -EINVAL;
    }
    if (a->len == 0 &&
        (a->flags & (IOEVENTFD_F_PIO | IOEVENTFD_F_DATAMATCH))) {
        return -EINVAL;
    }
    bus = oracle_ioeventfd_bus(a);
    twin = a->len == 0 && bus == IOBUS_MMIO;
    if (oracle_ioeventfd_collides(o, bus, a) ||
        (twin && oracle_ioeventfd_collides(o, IOBUS_FAST_MMIO, a))) {
        return -EEXIST;
    }
    if (!oracle_room(o, bus, 1, 0) ||
        (twin && !oracle_room(o, IOBUS_FAST_MMIO, 1, 0))) {
        oracle_cost_full(o, twin ? 2 : 1);
        return -ENOSPC;
    }
    for (int i = 0; i < (twin ? 2 : 1); i++) {
        enum iobus_id b = i == 0 ? bus : IOBUS_FAST_MMIO;
        int d = oracle_dev_new(o, IOBUS_ORACLE_IOEVENTFD, a->tag);
        struct oracle_dev *p;

        if (d < 0) {
            return d;
        }
        p = &o->dev[d];
        p->bus = b;
        p->addr = a->addr;
        p->len = a->len;
        p->wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);
        p->datamatch = p->wildcard ? 0 : a->datamatch;
        p->eventfd = a->eventfd;
        oracle_add_range(o, b, a->addr, a->len, d);
    }
    oracle_cost_registered(o, twin ? 2 : 1, twin ? 2 : 1,
                           (o->nr[bus] > 1) +
                               (twin && o->nr[IOBUS_FAST_MMIO] > 1));
    return 0;
}

static int oracle_ioeventfd_find(struct iobus_oracle *o, enum iobus_id bus,
                                 const struct ioeventfd_args *a)
{
    bool wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);

    for (int i = 0; i < o->dev_hi; i++) {
        const struct oracle_dev *p = &o->dev[i];

        if (p->live && p->kind == IOBUS_ORACLE_IOEVENTFD && p->bus == bus &&
            p->eventfd == a->eventfd && p->addr == a->addr &&
            p->len == a->len && p->wildcard == wildcard &&
            (p->wildcard || p->datamatch == a->datamatch)) {
            return i;
        }
    }
    return -1;
}

static void oracle_ioeventfd_release(struct iobus_oracle *o, int d,
                                     uint32_t nomem_buses)
{
    enum iobus_id bus = o->dev[d].bus;

    (void)oracle_unregister_dev(o, bus, (uint32_t)d,
                                (nomem_buses >> bus) & 1u);
    o->dev[d].live = false;
}

int iobus_oracle_ioeventfd_deassign(struct iobus_oracle *o,
                                    const struct ioeventfd_args *a,
                                    uint32_t nomem_buses)
{
    enum iobus_id bus;
    int rc = -ENOENT;
    int d;

    if (!a || !a->eventfd || (a->flags & ~IOEVENTFD_F_VALID)) {
        return -EINVAL;
    }
    bus = oracle_ioeventfd_bus(a);
    d = oracle_ioeventfd_find(o, bus, a);
    if (d >= 0) {
        oracle_ioeventfd_release(o, d, nomem_buses);
        rc = 0;
    }
    if (a->len == 0 && bus == IOBUS_MMIO) {
        d = oracle_ioeventfd_find(o, IOBUS_FAST_MMIO, a);
        if (d >= 0) {
            oracle_ioeventfd_release(o, d, nomem_buses);
        }
    }
    return rc;
}

uint32_t iobus_oracle_nr_ioeventfds(struct iobus_oracle *o)
{
    uint32_t n = 0;

    for (int i = 0; i < o->dev_hi; i++) {
        n += o->dev[i].live && o->dev[i].kind == IOBUS_ORACLE_IOEVENTFD;
    }
    return n;
}

/* ---- coalesced zones ---------------------------------------------------- */

static bool oracle_in_zone(const struct coalesced_mmio_zone *z,
                           uint64_t addr, uint64_t len)
{
    return len >= 1 && addr >= z->addr && addr - z->addr < z->size &&
           len <= z->size - (addr - z->addr);
}

int iobus_oracle_zone_register(struct iobus_oracle *o,
                               const struct coalesced_mmio_zone *z)
{
    enum iobus_id bus;
    int d;

    if (!z || (z->pio != 0 && z->pio != 1) || z->size == 0 ||
        z->size > UINT64_MAX - z->addr) {
        return -EINVAL;
    }
    bus = z->pio ? IOBUS_PIO : IOBUS_MMIO;
    if (!oracle_room(o, bus, 1, 1)) {
        oracle_cost_full(o, 1);
        return -ENOSPC;
    }
    d = oracle_dev_new(o, IOBUS_ORACLE_ZONE, z->tag);
    if (d < 0) {
        return d;
    }
    o->dev[d].zone = *z;
    oracle_add_range(o, bus, z->addr, z->size, d);
    oracle_cost_registered(o, 1, 1, o->nr[bus] > 1);
    return 0;
}

int iobus_oracle_zone_unregister(struct iobus_oracle *o,
                                 const struct coalesced_mmio_zone *z,
                                 uint32_t nomem_buses)
{
    enum iobus_id bus;
    uint64_t after = 0;

    if (!z || (z->pio != 0 && z->pio != 1)) {
        return -EINVAL;
    }
    bus = z->pio ? IOBUS_PIO : IOBUS_MMIO;
    /* Zones in list order: repeatedly take the next-oldest match. */
    for (;;) {
        int d = -1;

        for (int i = 0; i < o->dev_hi; i++) {
            const struct oracle_dev *p = &o->dev[i];

            if (p->live && p->kind == IOBUS_ORACLE_ZONE &&
                p->zone.pio == z->pio && p->list_seq > after &&
                oracle_in_zone(&p->zone, z->addr, z->size ? z->size : 1) &&
                (d < 0 || p->list_seq < o->dev[d].list_seq)) {
                d = i;
            }
        }
        if (d < 0) {
            break;
        }
        after = o->dev[d].list_seq;
        /* Which unregister failed does not change the outcome: the bus
         * ends empty and every zone on it gone either way. */
        if (oracle_unregister_dev(o, bus, (uint32_t)d,
                                  (nomem_buses >> bus) & 1u) == -ENOMEM) {
            o->dev[d].live = false;
            break;
        }
        o->dev[d].live = false;
    }
    return 0;
}

uint32_t iobus_oracle_nr_zones(struct iobus_oracle *o)
{
    uint32_t n = 0;

    for (int i = 0; i < o->dev_hi; i++) {
        n += o->dev[i].live && o->dev[i].kind == IOBUS_ORACLE_ZONE;
    }
    return n;
}

/* ---- fixed devices ------------------------------------------------------ */

int iobus_oracle_fixed_register_all(struct iobus_oracle *o,
                                    uint64_t tag_base)
{
    uint32_t add[IOBUS_NR] = { 0 };

    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        add[oracle_fixed[k].bus]++;
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        if (!oracle_room(o, (enum iobus_id)b, add[b], add[b])) {
            oracle_cost_full(o, IODEV_FIXED_NR);
            return -ENOSPC;
        }
    }
    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        const struct oracle_fixed_desc *desc = &oracle_fixed[k];
        int d = oracle_dev_new(o, IOBUS_ORACLE_FIXED, tag_base + k);

        if (d < 0) {
            return d;
        }
        o->dev[d].fixed = (enum iodev_fixed_kind)k;
        oracle_add_range(o, desc->bus, desc->addr, desc->len, d);
    }
    {
        unsigned buses = 0;
        unsigned replaced = 0;

        for (unsigned b = 0; b < IOBUS_NR; b++) {
            buses += add[b] != 0;
            replaced += add[b] != 0 && o->nr[b] > add[b];
        }
        oracle_cost_registered(o, IODEV_FIXED_NR, buses, replaced);
    }
    return 0;
}

/* ---- accesses ----------------------------------------------------------- */

struct oracle_access {
    uint64_t addr;
    unsigned alen;
};

/* Does range r cover the access?  Restated from the matching rule of
 * core/iobus.h (KVM's I/O bus) rather than taken from core/iobus.c: a
 * length-0 range (a length-0 ioeventfd) takes any access at exactly its
 * address; otherwise the access's bytes [addr, addr + span), span =
 * max(alen, 1), must lie inside [r->addr, r->addr + r->len).  Written with
 * differences only, so that no end wraps: the access fits in the range,
 * and its start is no further into the range than the room left. */
static bool oracle_matches(const struct oracle_range *r, const void *arg)
{
    const struct oracle_access *a = arg;
    uint64_t span = a->alen ? a->alen : 1;

    if (r->len == 0) {
        return a->addr == r->addr;
    }
    return a->addr >= r->addr && span <= r->len &&
           a->addr - r->addr <= r->len - span;
}

static uint64_t oracle_value(const void *data, unsigned len)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;

    switch (len) {
    case 1:
        memcpy(&v8, data, 1);
        return v8;
    case 2:
        memcpy(&v16, data, 2);
        return v16;
    case 4:
        memcpy(&v32, data, 4);
        return v32;
    default:
        memcpy(&v64, data, 8);
        return v64;
    }
}

static bool oracle_fixed_accepts(const struct oracle_dev *p, uint64_t addr,
                                 unsigned alen)
{
    const struct oracle_fixed_desc *desc = &oracle_fixed[p->fixed];
    uint64_t span = alen ? alen : 1;

    if (addr < desc->addr || addr - desc->addr >= desc->len ||
        span > desc->len - (addr - desc->addr)) {
        return false;
    }
    return !desc->base_only || addr == desc->addr;
}

/* Does device p handle the access?  A zone records an accepted write. */
static bool oracle_accepts(struct iobus_oracle *o, struct oracle_dev *p,
                           bool write, uint64_t addr, unsigned alen,
                           const void *data)
{
    switch (p->kind) {
    case IOBUS_ORACLE_GENERIC:
        return iobus_oracle_policy_accepts(p->policy, addr);
    case IOBUS_ORACLE_FIXED:
        return oracle_fixed_accepts(p, addr, alen);
    case IOBUS_ORACLE_IOEVENTFD:
        if (!write || addr != p->addr) {
            return false;
        }
        if (p->len == 0) {
            return true;
        }
        return alen == p->len &&
               (p->wildcard || oracle_value(data, alen) == p->datamatch);
    case IOBUS_ORACLE_ZONE:
        if (!write || !oracle_in_zone(&p->zone, addr, alen)) {
            return false;
        }
        if (o->ring_last >= COALESCED_MMIO_MAX ||
            (o->ring_last + 1) % COALESCED_MMIO_MAX == o->ring_first) {
            return false;
        }
        {
            struct coalesced_mmio_entry *e = &o->ring[o->ring_last];

            memset(e, 0, sizeof(*e));
            e->phys_addr = addr;
            e->len = alen;
            e->pio = p->zone.pio;
            memcpy(e->data, data, alen);
            o->ring_last = (o->ring_last + 1) % COALESCED_MMIO_MAX;
        }
        return true;
    }
    return false;
}

static int oracle_access(struct iobus_oracle *o, bool write,
                         enum iobus_id bus, uint64_t addr, unsigned alen,
                         const void *data, uint64_t *tag)
{
    struct oracle_access a = { .addr = addr, .alen = alen };
    uint32_t n;

    if ((unsigned)bus >= IOBUS_NR || alen > IOBUS_ACCESS_MAX ||
        (write && alen > 0 && !data)) {
        return -EINVAL;
    }
    n = oracle_sorted(o, bus, oracle_matches, &a);
    for (uint32_t k = 0; k < n; k++) {
        const struct oracle_range *r = &o->range[bus][o->scratch[k]];
        struct oracle_dev *p = &o->dev[r->dev];

        if (oracle_accepts(o, p, write, addr, alen, data)) {
            if (tag) {
                *tag = p->tag;
            }
            return 0;
        }
    }
    return -EOPNOTSUPP;
}

int iobus_oracle_write(struct iobus_oracle *o, enum iobus_id bus,
                       uint64_t addr, unsigned alen, const void *data,
                       uint64_t *tag)
{
    return oracle_access(o, true, bus, addr, alen, data, tag);
}

int iobus_oracle_read(struct iobus_oracle *o, enum iobus_id bus,
                      uint64_t addr, unsigned alen, uint64_t *tag)
{
    return oracle_access(o, false, bus, addr, alen, NULL, tag);
}

/* ---- ring --------------------------------------------------------------- */

void iobus_oracle_ring_set(struct iobus_oracle *o, uint64_t first,
                           uint64_t last)
{
    o->ring_first = first;
    o->ring_last = last;
}

void iobus_oracle_ring_get(struct iobus_oracle *o, uint64_t *first,
                           uint64_t *last)
{
    *first = o->ring_first;
    *last = o->ring_last;
}

int iobus_oracle_ring_pop(struct iobus_oracle *o,
                          struct coalesced_mmio_entry *out)
{
    if (o->ring_first >= COALESCED_MMIO_MAX ||
        o->ring_last >= COALESCED_MMIO_MAX) {
        return -EINVAL;
    }
    if (o->ring_first == o->ring_last) {
        return -EAGAIN;
    }
    *out = o->ring[o->ring_first];
    o->ring_first = (o->ring_first + 1) % COALESCED_MMIO_MAX;
    return 0;
}

const struct coalesced_mmio_entry *
iobus_oracle_ring_slot(struct iobus_oracle *o, size_t i)
{
    return i < COALESCED_MMIO_MAX ? &o->ring[i] : NULL;
}

size_t iobus_oracle_ranges(struct iobus_oracle *o, enum iobus_id bus,
                           struct iobus_range_info *out, size_t max)
{
    uint32_t n;

    if ((unsigned)bus >= IOBUS_NR) {
        return 0;
    }
    n = oracle_sorted(o, bus, NULL, NULL);
    for (uint32_t k = 0; k < n && k < max; k++) {
        const struct oracle_range *r = &o->range[bus][o->scratch[k]];

        out[k] = (struct iobus_range_info){
            .addr = r->addr,
            .len = r->len,
            .tag = o->dev[r->dev].tag,
            .dev = NULL,
        };
    }
    return n;
}
