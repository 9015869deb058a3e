/*
 * core/coalesced_mmio.h - coalesced MMIO (and PIO) zones: guest writes to a
 * zone are appended to a ring shared with userspace instead of exiting;
 * userspace drains the ring at its next exit.
 *
 * The ring has COALESCED_MMIO_MAX slots (a page's worth; not a power of
 * two).  The kernel side appends at `last`, userspace consumes at `first`;
 * one slot always stays free, so first == last means empty and at most
 * COALESCED_MMIO_MAX - 1 entries are pending.  Userspace can write both
 * indices, so the kernel side never trusts them: a `last` out of range, or a
 * full ring, makes the write decline (-EOPNOTSUPP), so the access exits to
 * userspace like any unhandled one.  Reads are always declined.
 *
 * Zones are devices on the PIO or MMIO bus of an iobus_set; the zone list is
 * protected by buses->lock (the bus may destroy zones itself).  Producers
 * (vCPUs in a read-side section) serialise on ring_lock.
 */
#ifndef KVMSIM_CORE_COALESCED_MMIO_H
#define KVMSIM_CORE_COALESCED_MMIO_H

#include <stdint.h>

#include "core/iobus.h"
#include "core/platform.h"

/* One recorded write. */
struct coalesced_mmio_entry {
    uint64_t phys_addr;
    uint32_t len;
    uint32_t pio;
    uint8_t data[8];
};

#define COALESCED_MMIO_PAGE 4096
/* Slots in a page after the two indices: 170. */
#define COALESCED_MMIO_MAX                                                  \
    ((COALESCED_MMIO_PAGE - 2 * sizeof(plat_atomic64)) /                     \
     sizeof(struct coalesced_mmio_entry))

/* The shared page.  Indices are plat atomics because the two sides race on
 * them; both are userspace-writable. */
struct coalesced_mmio_ring {
    plat_atomic64 first; /* next entry userspace reads */
    plat_atomic64 last;  /* next slot the kernel writes */
    struct coalesced_mmio_entry entries[COALESCED_MMIO_MAX];
};

/* A zone request (KVM's struct, plus a label). */
struct coalesced_mmio_zone {
    uint64_t addr;
    uint32_t size;
    uint32_t pio;  /* 0: MMIO bus, 1: PIO bus; anything else -EINVAL */
    uint64_t tag;  /* label for the bus device (hit tag); not matched */
};

struct coalesced_mmio_dev;

struct coalesced_mmio_set {
    struct iobus_set *buses;
    struct plat_lock ring_lock;        /* spin: serialises producers */
    struct coalesced_mmio_ring ring;   /* shared with userspace */
    struct coalesced_mmio_dev *head;   /* zones in registration order, */
    struct coalesced_mmio_dev *tail;   /* under buses->lock */
    uint32_t nr_zones;
};

/* Bind an empty set with an empty ring to buses (which must outlive it). */
void coalesced_mmio_init(struct coalesced_mmio_set *s,
                         struct iobus_set *buses);

/* Unregister and free every zone still present (takes buses->lock), then
 * destroy ring_lock.  May run before iobus_set_destroy() or after it (the
 * bus has then released every zone and fini does not touch the set). */
void coalesced_mmio_fini(struct coalesced_mmio_set *s);

/* Add a zone.  -EINVAL (pio not 0/1, size 0, addr + size overflows),
 * -ENOSPC (bus full), -ENOMEM; on error nothing changed.  Overlapping and
 * duplicate zones are allowed; the bus's canonical order picks the one
 * that records a write. */
int coalesced_mmio_register_zone(struct coalesced_mmio_set *s,
                                 const struct coalesced_mmio_zone *z);

/* Remove, in registration order, every zone on z's bus that contains the
 * whole of [z->addr, z->addr + max(z->size, 1)).  If an unregister runs out of
 * memory the bus is emptied (iobus.h; other zones on it are released) and
 * the walk stops.  Returns 0 (also when nothing matched, as KVM: the zone
 * is gone from userspace's point of view), -EINVAL when pio is not 0/1. */
int coalesced_mmio_unregister_zone(struct coalesced_mmio_set *s,
                                   const struct coalesced_mmio_zone *z);

uint32_t coalesced_mmio_nr_zones(struct coalesced_mmio_set *s);

/* The shared page, for the userspace side. */
struct coalesced_mmio_ring *coalesced_mmio_ring(struct coalesced_mmio_set *s);

/* Userspace side: take the oldest entry into *out and advance first.
 * 0, -EAGAIN when the ring is empty, -EINVAL when first or last is out of
 * range (userspace corrupted it; nothing is read). */
int coalesced_mmio_ring_pop(struct coalesced_mmio_ring *ring,
                            struct coalesced_mmio_entry *out);

/* Pending entries as userspace sees them (0 when an index is out of
 * range). */
uint32_t coalesced_mmio_ring_pending(struct coalesced_mmio_ring *ring);

#endif
