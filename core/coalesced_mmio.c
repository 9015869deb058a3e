/*
 * core/coalesced_mmio.c - coalesced MMIO zones and their shared ring.
 *
 * The producer reads `last` once, checks it against the ring size before
 * using it as an index, checks that the slot after it is not `first` (one
 * slot always free), fills the slot and only then publishes the new `last`.
 *
 * Assumes: zone list changes hold buses->lock; the bus calls the destructor
 * with that lock held; writes arrive inside a read-side section.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/coalesced_mmio.h"
#include "core/testcase.h"

struct coalesced_mmio_dev {
    struct iobus_dev dev;
    struct coalesced_mmio_set *set;
    struct coalesced_mmio_dev *prev;
    struct coalesced_mmio_dev *next;
    struct coalesced_mmio_zone zone;
};

static struct coalesced_mmio_dev *coalesced_mmio_of(struct iobus_dev *dev)
{
    return (struct coalesced_mmio_dev *)(void *)((char *)dev -
                                                 offsetof(
                                                     struct coalesced_mmio_dev,
                                                     dev));
}

/* True when [addr, addr + len) lies inside the zone (len >= 1). */
static bool coalesced_mmio_in_zone(const struct coalesced_mmio_zone *z,
                                   uint64_t addr, uint64_t len)
{
    uint64_t off;

    if (len == 0 || addr < z->addr) {
        return false;
    }
    off = addr - z->addr;
    return off < z->size && len <= z->size - off;
}

static int coalesced_mmio_write(struct iobus_dev *dev, uint64_t addr,
                                unsigned alen, const void *data)
{
    struct coalesced_mmio_dev *d = coalesced_mmio_of(dev);
    struct coalesced_mmio_set *s = d->set;
    struct coalesced_mmio_ring *ring = &s->ring;
    struct coalesced_mmio_entry *e;
    uint64_t insert;

    if (!coalesced_mmio_in_zone(&d->zone, addr, alen) ||
        alen > sizeof(e->data)) {
        return -EOPNOTSUPP;
    }
    plat_lock(&s->ring_lock);
    insert = plat_atomic_load(&ring->last);
    if (insert >= COALESCED_MMIO_MAX ||
        (insert + 1) % COALESCED_MMIO_MAX == plat_atomic_load(&ring->first)) {
        KVMSIM_MARK(COALESCED_RING_FULL);
        plat_unlock(&s->ring_lock);
        return -EOPNOTSUPP;
    }
    e = &ring->entries[insert];
    e->phys_addr = addr;
    e->len = alen;
    e->pio = d->zone.pio;
    memset(e->data, 0, sizeof(e->data));
    memcpy(e->data, data, alen);
    plat_atomic_store(&ring->last, (insert + 1) % COALESCED_MMIO_MAX);
    plat_unlock(&s->ring_lock);
    return 0;
}

/* The zone list is under buses->lock (core/coalesced_mmio.h). */
static void coalesced_mmio_unlink_locked(struct coalesced_mmio_dev *d)
{
    struct coalesced_mmio_set *s = d->set;

    plat_lock_assert_held(&s->buses->lock);
    if (d->prev) {
        d->prev->next = d->next;
    } else {
        s->head = d->next;
    }
    if (d->next) {
        d->next->prev = d->prev;
    } else {
        s->tail = d->prev;
    }
    d->prev = NULL;
    d->next = NULL;
    s->nr_zones--;
}

/* The bus lets go of the zone for good (teardown or a bus reset). */
static void coalesced_mmio_destructor(struct iobus_dev *dev)
{
    struct coalesced_mmio_dev *d = coalesced_mmio_of(dev);

    coalesced_mmio_unlink_locked(d);
    plat_free(d);
}

static const struct iobus_dev_ops coalesced_mmio_ops = {
    .read = NULL,
    .write = coalesced_mmio_write,
    .destructor = coalesced_mmio_destructor,
};

void coalesced_mmio_init(struct coalesced_mmio_set *s,
                         struct iobus_set *buses)
{
    memset(s, 0, sizeof(*s));
    s->buses = buses;
    plat_lock_init(&s->ring_lock, PLAT_LOCK_SPIN, "coalesced_mmio.ring");
    plat_atomic_store(&s->ring.first, 0);
    plat_atomic_store(&s->ring.last, 0);
}

static enum iobus_id coalesced_mmio_bus(const struct coalesced_mmio_zone *z)
{
    return z->pio ? IOBUS_PIO : IOBUS_MMIO;
}

/* Unregister d and free it; whatever the unregister returns, d is off the
 * bus and ours (iobus.h).  Returns the unregister's result. */
static int coalesced_mmio_release_locked(struct coalesced_mmio_dev *d)
{
    int rc;

    plat_lock_assert_held(&d->set->buses->lock);
    rc = iobus_unregister_locked(d->set->buses, coalesced_mmio_bus(&d->zone),
                                 &d->dev);
    coalesced_mmio_unlink_locked(d);
    plat_free(d);
    return rc;
}

void coalesced_mmio_fini(struct coalesced_mmio_set *s)
{
    /* After iobus_set_destroy() the list is empty and the set's lock is
     * gone: do not touch it. */
    if (s->head) {
        plat_lock(&s->buses->lock);
        while (s->head) {
            (void)coalesced_mmio_release_locked(s->head);
        }
        plat_unlock(&s->buses->lock);
    }
    plat_lock_destroy(&s->ring_lock);
}

int coalesced_mmio_register_zone(struct coalesced_mmio_set *s,
                                 const struct coalesced_mmio_zone *z)
{
    struct coalesced_mmio_dev *d;
    int rc;

    if (!s || !z || (z->pio != 0 && z->pio != 1) || z->size == 0 ||
        z->size > UINT64_MAX - z->addr) {
        return -EINVAL;
    }
    d = plat_zalloc(sizeof(*d));
    if (!d) {
        return -ENOMEM;
    }
    iobus_dev_init(&d->dev, &coalesced_mmio_ops, z->tag, 0);
    d->set = s;
    d->zone = *z;

    plat_lock(&s->buses->lock);
    rc = iobus_register_locked(s->buses, coalesced_mmio_bus(z), z->addr,
                               z->size, &d->dev);
    if (rc == 0) {
        d->prev = s->tail;
        if (s->tail) {
            s->tail->next = d;
        } else {
            s->head = d;
        }
        s->tail = d;
        s->nr_zones++;
        d = NULL;
    }
    plat_unlock(&s->buses->lock);
    plat_free(d);
    return rc;
}

int coalesced_mmio_unregister_zone(struct coalesced_mmio_set *s,
                                   const struct coalesced_mmio_zone *z)
{
    if (!s || !z || (z->pio != 0 && z->pio != 1)) {
        return -EINVAL;
    }
    plat_lock(&s->buses->lock);
    for (struct coalesced_mmio_dev *d = s->head, *next; d; d = next) {
        next = d->next;
        if (d->zone.pio != z->pio) {
            continue;
        }
        if (!coalesced_mmio_in_zone(&d->zone, z->addr,
                                    z->size ? z->size : 1)) {
            continue;
        }
        if (coalesced_mmio_release_locked(d) != 0) {
            /* The bus was emptied and the other zones on it released;
             * `next` may be gone. */
            break;
        }
    }
    plat_unlock(&s->buses->lock);
    return 0;
}

uint32_t coalesced_mmio_nr_zones(struct coalesced_mmio_set *s)
{
    uint32_t n;

    plat_lock(&s->buses->lock);
    n = s->nr_zones;
    plat_unlock(&s->buses->lock);
    return n;
}

struct coalesced_mmio_ring *coalesced_mmio_ring(struct coalesced_mmio_set *s)
{
    return &s->ring;
}

int coalesced_mmio_ring_pop(struct coalesced_mmio_ring *ring,
                            struct coalesced_mmio_entry *out)
{
    uint64_t first = plat_atomic_load(&ring->first);
    uint64_t last = plat_atomic_load(&ring->last);

    if (first >= COALESCED_MMIO_MAX || last >= COALESCED_MMIO_MAX) {
        return -EINVAL;
    }
    if (first == last) {
        return -EAGAIN;
    }
    *out = ring->entries[first];
    plat_atomic_store(&ring->first, (first + 1) % COALESCED_MMIO_MAX);
    return 0;
}

uint32_t coalesced_mmio_ring_pending(struct coalesced_mmio_ring *ring)
{
    uint64_t first = plat_atomic_load(&ring->first);
    uint64_t last = plat_atomic_load(&ring->last);

    if (first >= COALESCED_MMIO_MAX || last >= COALESCED_MMIO_MAX) {
        return 0;
    }
    return (uint32_t)((last + COALESCED_MMIO_MAX - first) %
                      COALESCED_MMIO_MAX);
}
