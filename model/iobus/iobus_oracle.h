/*
 * model/iobus/iobus_oracle.h - an obviously-correct model of the I/O buses with
 * their ioeventfds, coalesced MMIO zones and fixed devices, for differential
 * tests and fuzzing of core/iobus.c, core/ioeventfd.c,
 * core/coalesced_mmio.c and core/iodev_fixed.c.
 *
 * Plain arrays, ranges kept in registration order, every access a full scan:
 * the matching ranges are found one by one and offered the access in the
 * canonical order of core/iobus.h ((addr, len, seq), seq = registration
 * count).  Devices are identified by the tag the test gives them.  The
 * oracle never allocates after iobus_oracle_create() and never fails on
 * memory, so the cases where the core ran out of memory are told to it:
 * `nomem_buses` is a bit mask (1u << bus) of the buses on which the core
 * had to empty the bus during the operation (compare iobus_set.bus_resets
 * before and after).
 *
 * Generic devices model a test device with a fixed answer policy.
 */
#ifndef KVMSIM_MODEL_IOBUS_ORACLE_H
#define KVMSIM_MODEL_IOBUS_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/coalesced_mmio.h"
#include "core/iobus.h"
#include "core/iodev_fixed.h"
#include "core/ioeventfd.h"

enum iobus_oracle_policy {
    IOBUS_ORACLE_ACCEPT = 0,  /* handles every access offered */
    IOBUS_ORACLE_DECLINE,     /* declines every access */
    IOBUS_ORACLE_ACCEPT_EVEN, /* handles accesses at an even address */
    IOBUS_ORACLE_POLICY_NR
};

enum iobus_oracle_kind {
    IOBUS_ORACLE_GENERIC = 0,
    IOBUS_ORACLE_IOEVENTFD,
    IOBUS_ORACLE_ZONE,
    IOBUS_ORACLE_FIXED,
};

struct iobus_oracle;

/* Called for every device the bus destroys on its own initiative (bus reset
 * or teardown are the only cases), in the order the core destroys them. */
typedef void iobus_oracle_destroy_fn(void *arg, uint64_t tag,
                                     enum iobus_oracle_kind kind);

/* NULL when out of memory.  cb may be NULL. */
struct iobus_oracle *iobus_oracle_create(iobus_oracle_destroy_fn *cb,
                                         void *arg);
/* Models iobus_set_destroy(): destroys every device (cb) and frees. */
void iobus_oracle_destroy(struct iobus_oracle *o);
/* Models iobus_set_destroy() like iobus_oracle_destroy(), then leaves o
 * empty, as iobus_oracle_create() returned it (same cb), for another run;
 * touches only what the last run used, so a fuzzer can reuse one oracle. */
void iobus_oracle_reset(struct iobus_oracle *o);

/* Answer policy of a generic device (for a test device's read/write). */
int iobus_oracle_policy_accepts(enum iobus_oracle_policy policy,
                                uint64_t addr);

/* iobus_register() of generic device `tag` (created on first use; a live
 * tag gets another range and keeps its first policy). */
int iobus_oracle_register(struct iobus_oracle *o, enum iobus_id bus,
                          uint64_t addr, uint64_t len, uint64_t tag,
                          enum iobus_oracle_policy policy);
/* iobus_unregister() of generic device `tag`. */
int iobus_oracle_unregister(struct iobus_oracle *o, enum iobus_id bus,
                            uint64_t tag, uint32_t nomem_buses);

int iobus_oracle_ioeventfd_assign(struct iobus_oracle *o,
                                  const struct ioeventfd_args *a);
int iobus_oracle_ioeventfd_deassign(struct iobus_oracle *o,
                                    const struct ioeventfd_args *a,
                                    uint32_t nomem_buses);

int iobus_oracle_zone_register(struct iobus_oracle *o,
                               const struct coalesced_mmio_zone *z);
int iobus_oracle_zone_unregister(struct iobus_oracle *o,
                                 const struct coalesced_mmio_zone *z,
                                 uint32_t nomem_buses);

int iobus_oracle_fixed_register_all(struct iobus_oracle *o,
                                    uint64_t tag_base);

/* iobus_write()/iobus_read(): 0 with *tag of the handler, -EOPNOTSUPP, or
 * -EINVAL.  A zone that handles a write appends to the model ring. */
int iobus_oracle_write(struct iobus_oracle *o, enum iobus_id bus,
                       uint64_t addr, unsigned alen, const void *data,
                       uint64_t *tag);
int iobus_oracle_read(struct iobus_oracle *o, enum iobus_id bus,
                      uint64_t addr, unsigned alen, uint64_t *tag);

/* The ring model: userspace index writes, pops, inspection. */
void iobus_oracle_ring_set(struct iobus_oracle *o, uint64_t first,
                           uint64_t last);
void iobus_oracle_ring_get(struct iobus_oracle *o, uint64_t *first,
                           uint64_t *last);
int iobus_oracle_ring_pop(struct iobus_oracle *o,
                          struct coalesced_mmio_entry *out);
/* Slot i of the ring (i < COALESCED_MMIO_MAX), or NULL. */
const struct coalesced_mmio_entry *
iobus_oracle_ring_slot(struct iobus_oracle *o, size_t i);

/* Ranges of bus in canonical order (dev is NULL); returns the count. */
size_t iobus_oracle_ranges(struct iobus_oracle *o, enum iobus_id bus,
                           struct iobus_range_info *out, size_t max);
uint32_t iobus_oracle_nr_ioeventfds(struct iobus_oracle *o);
uint32_t iobus_oracle_nr_zones(struct iobus_oracle *o);

/* What the modelled updates cost so far (since create or reset): grace
 * periods waited for and allocations attempted (objects and bus
 * snapshots), by the rules written in iobus_oracle.c.  An update the
 * caller did not apply because the core ran out of memory is not
 * counted (the caller knows which allocation failed). */
struct iobus_oracle_cost {
    uint64_t grace_periods;
    uint64_t allocs;
    uint64_t deferred_frees; /* replaced snapshots queued for a grace
                                period (IOBUS_FREE_DEFERRED) */
};
/* How registrations free the snapshot they replace (core/iobus.h): SYNC
 * (the default) waits one grace period per registration; DEFERRED waits
 * none and queues one free per bus it adds to that held ranges before.
 * Unregistration waits in both.  Kept across iobus_oracle_reset(). */
void iobus_oracle_set_free_mode(struct iobus_oracle *o, enum iobus_free mode);
void iobus_oracle_get_cost(const struct iobus_oracle *o,
                           struct iobus_oracle_cost *out);
/* The update about to be modelled had its allocation number nth failed
 * (every one from nth on with persist; nth 0: no plan).  An unregister
 * the caller reports as out of memory on a bus (nomem_buses) then fails
 * at the removal that made that attempt, not at the first removal from
 * the bus: the outcome is the same, the cost is not. */
void iobus_oracle_fault_plan(struct iobus_oracle *o, uint64_t nth,
                             bool persist);

#endif
