/*
 * model/iobus/iobus_check.h - the checks of the iobus-200-ioeventfds
 * driver (scenarios/iobus/iobus_driver.c): the buses against the ranges
 * the VMM registered, the race phase's bus against the updater's belief,
 * and the verdicts of a run (setup, user_exits, ioeventfd_signals,
 * buses_exact, teardown; race_no_uaf, race_exits, race_buses, race_cost).
 * The driver keeps the records (what each vCPU saw, what the VMM and the
 * updaters did) and reports the verdicts with scn_check(); the rules are
 * restated from what the VMM registered and core/iobus.h's documented
 * semantics, never from core/iobus.c's own predicates.
 */
#ifndef KVMSIM_CHECK_IOBUS_H
#define KVMSIM_CHECK_IOBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/iobus.h"
#include "core/platform.h"

/* The ioeventfds' port (a legacy virtio-pci BAR would sit here); the guest
 * writes the byte after it.  Clear of every fixed device. */
#define IOBUS_SCN_PORT 0xc050u
#define IOBUS_SCN_FIXED_TAG 0x100u
#define IOBUS_SCN_RETRIES 1000 /* attempts per setup call under faults */

/* The race phase's slow devices (scenarios/iobus/iobus_driver.c). */
#define IOBUS_RACE_DEV_BASE 0xfe000000ull
#define IOBUS_RACE_DEV_LEN 0x100u
#define IOBUS_RACE_DEVS 4
#define IOBUS_RACE_TAG 0x200u

struct iobus_world;

/* One guest vCPU and the userspace device that emulates its exits. */
struct iobus_vcpu {
    struct iobus_world *w;
    unsigned id;
    uint64_t t0_ns, t1_ns;
    uint64_t user_exits, kernel_exits, probes;
    /* userspace: the one register at IOBUS_SCN_PORT + 1 */
    uint64_t user_writes;
    uint8_t user_expect;    /* low byte of the next write's sequence */
    uint64_t user_misorder; /* writes that arrived out of sequence */
    uint64_t handled_in_kernel; /* other-byte writes some device took */
    uint64_t wrong_hit;     /* notify writes not taken by an ioeventfd */
    uint64_t missed_signal; /* notify writes whose eventfd stayed clear */
    uint64_t errors;        /* sim_kvm_vcpu_io() failures */
};

/* What the VMM registered on the buses. */
struct iobus_registered {
    struct iobus_set *buses;
    struct plat_kvm *kvm;
    unsigned n;               /* ioeventfds */
    const bool *alive;        /* [n]: ioeventfd i is assigned */
    bool fixed_pio_alive, fixed_mmio_alive;
};

/* What iobus_check_buses() found. */
struct iobus_buses_result {
    uint64_t range_mismatch;  /* buses differ from the expected ranges */
    uint64_t count_mismatch;  /* ioeventfd count differs */
    char mismatch[160];
};

/* The buses (taking their lock) against what the VMM registered. */
void iobus_check_buses(const struct iobus_registered *reg,
                       struct iobus_buses_result *res);

struct iobus_race_dev;

struct iobus_race_slot {
    struct iobus_race_dev *d; /* NULL: not allocated (or destroyed) */
    bool registered;          /* the updater's belief, under the bus lock */
};

/* The MMIO bus (taking its lock) against the updater's belief: exactly
 * the registered slots.  Adds to *missing_wrong; the last message in
 * msg. */
void iobus_race_check_bus(struct iobus_set *set,
                          const struct iobus_race_slot *slot,
                          uint64_t *missing_wrong, char *msg, size_t len);

/* One invariant's verdict: its name ([invariants] key unless always). */
struct iobus_check_verdict {
    const char *inv;
    bool always;
    bool ok;
    char msg[512];
};

/* The timed phase's records. */
struct iobus_check_in {
    const struct iobus_vcpu *vcpu;
    unsigned vcpus;
    uint64_t accesses, notify_every;
    uint64_t setup_failures, collisions_accepted, spurious_signals;
    uint64_t deassign_wrong_rc, kvm_user_exits, kvm_kernel_exits;
    const struct iobus_buses_result *buses;
    uint64_t live_after, live_before;
};

#define IOBUS_CHECK_VERDICTS 5

void iobus_check(const struct iobus_check_in *in,
                 struct iobus_check_verdict v[IOBUS_CHECK_VERDICTS]);

/* The race phase's records. */
struct iobus_race_check_in {
    uint64_t uaf, reads_kernel, reads_user, nobody_kernel, bad_tag;
    uint64_t kvm_kernel0, kvm_user0;
    uint64_t missing_wrong, other_errors;
    const char *msg;
    uint64_t syncs0, ops, syncs_lo, syncs_hi;
};

#define IOBUS_RACE_CHECK_VERDICTS 4

void iobus_race_check(const struct iobus_race_check_in *in,
                      struct iobus_check_verdict v[IOBUS_RACE_CHECK_VERDICTS]);

#endif
