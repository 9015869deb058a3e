/*
 * model/cost.h - the calibrated cost model: what modelled work and simulated
 * synchronisation cost in virtual nanoseconds.
 *
 * Each constant says where it comes from: a host measurement, a figure
 * fitted on one column of a seed's table (named), or an assumption.  A
 * scenario may override any of them through its [cost] keys; the seed
 * comparisons print which constants were fitted and which figures were
 * predicted.
 */
#ifndef KVMSIM_MODEL_COST_H
#define KVMSIM_MODEL_COST_H

#include <stddef.h>
#include <stdint.h>

#include "core/work.h"

/* The machine the MEASURED constants were measured on (lscpu). */
#define COST_MACHINE                                                         \
    "the 2-core CI machine kind (lscpu: AMD EPYC, family 25 model 1, a "    \
    "KVM guest)"

struct cost_model {
    uint64_t work_ns[PLAT_WORK_NR]; /* price of one unit of each work kind */
    uint64_t lock_ns;          /* uncontended acquire + release */
    uint64_t lock_handoff_ns;  /* passing a contended lock to a waiter */
    uint64_t atomic_ns;        /* one atomic read-modify-write */
    uint64_t wakeup_ns;        /* waking a sleeping thread (eventfd, join) */
    uint64_t thread_create_ns; /* creating a thread */
    uint64_t rcu_sync_ns;      /* a grace period with no reader in flight */
    uint64_t line_transfer_ns; /* a cache line moved between CPUs */
    /* simulated KVM and VFIO (model/cost.c says fitted or assumed) */
    uint64_t gsi_routing_base_ns;      /* KVM_SET_GSI_ROUTING, fixed part */
    uint64_t gsi_routing_per_route_ns; /* ... per route in the new table */
    uint64_t gsi_routing_per_irqfd_ns; /* ... per irqfd already assigned */
    uint64_t irqfd_assign_ns;          /* KVM_IRQFD assign or deassign */
    uint64_t signal_msi_ns;            /* KVM_SIGNAL_MSI */
    uint64_t vfio_set_irqs_base_ns;    /* VFIO_DEVICE_SET_IRQS, fixed part */
    uint64_t vfio_set_irqs_per_vector_ns; /* ... per vector in the range */
    /* vCPU exits for PIO/MMIO (seeds 004 and 001) */
    uint64_t io_exit_kernel_ns;  /* exit handled in the kernel (ioeventfd) */
    uint64_t io_exit_user_ns;    /* extra for an exit completed in userspace */
    /* ITS (seed 002) */
    uint64_t kworker_sched_ns;   /* kworker wakeup + scheduling delay */
};

/* Where a constant's default comes from: its source starts with one of
 * these (fitted on the published figures named, measured by the bench
 * named on COST_MACHINE, or assumed). */
#define COST_SOURCE_FITTED "fitted on "
#define COST_SOURCE_MEASURED "measured by "
#define COST_SOURCE_ASSUMED "assumed"

/* One constant of struct cost_model: the one place its default is
 * stated (model/cost.c). */
struct cost_constant {
    const char *name;   /* e.g. "line_transfer_ns", "its_inject_ns" */
    size_t off;         /* byte offset of its uint64_t in cost_model */
    uint64_t ns;        /* the default */
    const char *source; /* COST_SOURCE_* and what */
};

/* Every constant, in struct order; a NULL name ends the table. */
extern const struct cost_constant cost_constants[];

/* The constant called name, or NULL. */
const struct cost_constant *cost_constant_find(const char *name);

/* The constant's value in m. */
uint64_t *cost_constant_at(struct cost_model *m,
                           const struct cost_constant *c);

/* Every constant at its default (cost_constants). */
void cost_model_default(struct cost_model *m);

#endif
