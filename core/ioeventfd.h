/*
 * core/ioeventfd.h - ioeventfds: a guest write to an address (optionally
 * with a given value) signals an eventfd instead of exiting to userspace.
 *
 * Each assignment is a device on the PIO or MMIO bus of an iobus_set.  A
 * length-0 MMIO ioeventfd (any access length at the address matches) is also
 * registered on the FAST_MMIO bus as a second, independent object.  The list
 * of assignments is protected by the set's lock (buses->lock), because the
 * bus may destroy ioeventfds itself (teardown, or an unregister that ran out
 * of memory).  ioeventfds do not count toward IOBUS_MAX_DEVS; they are
 * bounded by IOBUS_MAX_RANGES per bus (-ENOSPC).
 *
 * Rules (as KVM):
 *   - len is 0, 1, 2, 4 or 8, else -EINVAL; addr + len must not overflow,
 *     else -EINVAL; len 0 only on MMIO and without DATAMATCH, else -EINVAL.
 *   - Collision (-EEXIST): an assignment on the same bus and address exists
 *     and either length is 0, or the lengths are equal and either side is a
 *     wildcard or both datamatch values are equal.
 *   - A write hits when its address equals addr and (len is 0, or the access
 *     length equals len and (wildcard, or the written value, read as a
 *     native-endian integer of len bytes, equals datamatch)).  A hit signals
 *     the eventfd.  Reads are always declined.
 *   - Deassign needs an exact match (bus, addr, len, eventfd, wildcard and,
 *     unless wildcard, datamatch), else -ENOENT.
 */
#ifndef KVMSIM_CORE_IOEVENTFD_H
#define KVMSIM_CORE_IOEVENTFD_H

#include <stdint.h>

#include "core/iobus.h"
#include "core/platform.h"

#define IOEVENTFD_F_DATAMATCH 0x1u /* else a wildcard */
#define IOEVENTFD_F_PIO 0x2u       /* else MMIO */
#define IOEVENTFD_F_VALID (IOEVENTFD_F_DATAMATCH | IOEVENTFD_F_PIO)

/* The request (KVM_IOEVENTFD's struct, with a pointer for the fd). */
struct ioeventfd_args {
    uint64_t datamatch;
    uint64_t addr;
    uint32_t len;                 /* 0, 1, 2, 4 or 8 */
    uint32_t flags;               /* IOEVENTFD_F_* */
    struct plat_eventfd *eventfd; /* borrowed: must outlive the assignment;
                                     compared by identity only */
    uint64_t tag;                 /* label for the bus device(s) (hit tag);
                                     not part of the match */
};

struct ioeventfd;

/* The assignments of one VM, in assignment order. */
struct ioeventfd_set {
    struct iobus_set *buses;
    struct ioeventfd *head; /* under buses->lock */
    struct ioeventfd *tail;
    uint32_t count;         /* objects, FAST_MMIO twins included */
};

/* Bind an empty set to buses (which must outlive it).  Cannot fail. */
void ioeventfd_set_init(struct ioeventfd_set *s, struct iobus_set *buses);

/* Release every assignment still present: unregister it from its bus (an
 * unregister that runs out of memory empties that bus as iobus.h defines,
 * which may release other assignments first) and free it.  Takes
 * buses->lock.  Call before iobus_set_destroy(), or after it: then the bus
 * has already released every assignment, the list is empty and fini does
 * not touch the (destroyed) set. */
void ioeventfd_set_fini(struct ioeventfd_set *s);

/* Assign.  All or nothing: on error no object stays registered.
 * -EINVAL, -EEXIST (rules above), -ENOSPC (bus full), -ENOMEM. */
int ioeventfd_assign(struct ioeventfd_set *s, const struct ioeventfd_args *a);

/* Deassign the exact match (and, for a length-0 MMIO request, its FAST_MMIO
 * twin as well).  Returns 0 when the match was found and released, even if
 * its bus had to be emptied for lack of memory (see buses->bus_resets);
 * -ENOENT when there is no exact match; -EINVAL for unknown flags or a NULL
 * eventfd. */
int ioeventfd_deassign(struct ioeventfd_set *s,
                       const struct ioeventfd_args *a);

/* Number of objects currently assigned (FAST_MMIO twins count). */
uint32_t ioeventfd_count(struct ioeventfd_set *s);

#endif
