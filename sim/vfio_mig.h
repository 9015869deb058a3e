/*
 * sim/vfio_mig.h - the migration side of a simulated VFIO device: its
 * device state, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE and VFIO_DEVICE_RESET
 * (plat_vfio_set_state, plat_vfio_reset), per-arc latencies and counters.
 *
 * A request steps along the arcs of core/vfio_migration.h (the kernel's
 * table, shared with the VMM side).  Each arc costs its latency plus a
 * tape-decided jitter of up to jitter_pct percent, charged as CPU time of
 * the calling thread (a driver thread in the kernel working for the
 * device), so transitions of different devices on different simulated
 * CPUs overlap in virtual time.  Each arc is one hit of fault site
 * PLAT_FAULT_VFIO_SET_STATE; a failed arc leaves the device in the state
 * before it or, when the tape says so, in ERROR.
 *
 * The kernel serialises requests to one device; two requests in flight at
 * once on one device mean the VMM drives it from two threads, which is
 * counted (overlaps) for the checkers.  The state lives in struct
 * plat_vfio_dev (sim/kvm.c), reached through sim_vfio_mig().
 */
#ifndef KVMSIM_SIM_VFIO_MIG_H
#define KVMSIM_SIM_VFIO_MIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"

/* Latencies of a device's arcs, grouped as a driver implements them.  The
 * defaults (sim_vfio_mig_latency_default) are assumptions, see
 * sim/vfio_mig.c. */
struct sim_vfio_mig_latency {
    uint64_t running_p2p_ns;    /* RUNNING <-> RUNNING_P2P */
    uint64_t p2p_stop_ns;       /* RUNNING_P2P <-> STOP */
    uint64_t running_stop_ns;   /* RUNNING <-> STOP (no P2P) */
    uint64_t precopy_ns;        /* RUNNING(_P2P) <-> PRE_COPY(_P2P) */
    uint64_t precopy_p2p_ns;    /* PRE_COPY <-> PRE_COPY_P2P */
    uint64_t stop_copy_ns;      /* STOP, PRE_COPY(_P2P) -> STOP_COPY */
    uint64_t stop_copy_end_ns;  /* STOP_COPY -> STOP */
    uint64_t resuming_ns;       /* STOP -> RESUMING */
    uint64_t resume_load_ns;    /* RESUMING -> STOP (state loaded) */
    uint64_t reset_ns;          /* VFIO_DEVICE_RESET */
    uint64_t ioctl_ns;          /* fixed cost of each set-state call */
    unsigned jitter_pct;        /* extra 0..pct% per arc, from the tape */
};

enum sim_vfio_mig_event {
    SIM_VFIO_MIG_ARC = 0,       /* from -> to done */
    SIM_VFIO_MIG_ARC_FAILED,    /* from -> to failed; to is where it is */
    SIM_VFIO_MIG_RESET,         /* reset done: from -> RUNNING */
    SIM_VFIO_MIG_RESET_FAILED,  /* reset failed; state unchanged */
};

/* Called in the requesting thread's context after each event. */
typedef void (*sim_vfio_mig_hook)(void *arg, struct plat_vfio_dev *dev,
                                  enum sim_vfio_mig_event ev,
                                  enum plat_vfio_mig_state from,
                                  enum plat_vfio_mig_state to);

struct sim_vfio_mig_counts {
    uint64_t requests;      /* set-state calls */
    uint64_t arcs;          /* arcs completed */
    uint64_t failures;      /* arcs failed (faults) */
    uint64_t einval;        /* requests refused as unreachable */
    uint64_t overlaps;      /* calls made while another was in flight */
    uint64_t illegal_arcs;  /* arcs outside the table (a step bug) */
    uint64_t resets, reset_failures;
};

/* Embedded in struct plat_vfio_dev. */
struct sim_vfio_mig {
    enum plat_vfio_mig_state state;
    unsigned flags;                 /* VFIO_MIG_F_* */
    uint64_t arc_ns[8][8];          /* by from, to */
    uint64_t reset_ns, ioctl_ns;
    unsigned jitter_pct;
    unsigned inflight;
    sim_vfio_mig_hook hook;
    void *hook_arg;
    struct sim_vfio_mig_counts n;
};

void sim_vfio_mig_latency_default(struct sim_vfio_mig_latency *lat);

/* Fresh device: RUNNING, P2P and pre-copy supported, default latencies. */
void sim_vfio_mig_init(struct sim_vfio_mig *m);

/* The device's migration part (defined with the device in sim/kvm.c). */
struct sim_vfio_mig *sim_vfio_mig(struct plat_vfio_dev *dev);

/* What the device supports (VFIO_MIG_F_*); -EINVAL for unknown bits. */
int sim_vfio_mig_set_flags(struct plat_vfio_dev *dev, unsigned flags);
void sim_vfio_mig_set_latency(struct plat_vfio_dev *dev,
                              const struct sim_vfio_mig_latency *lat);
void sim_vfio_mig_set_hook(struct plat_vfio_dev *dev, sim_vfio_mig_hook fn,
                           void *arg);
/* Put the device in state s directly (test setup); -EINVAL out of
 * range. */
int sim_vfio_mig_force_state(struct plat_vfio_dev *dev,
                             enum plat_vfio_mig_state s);
enum plat_vfio_mig_state sim_vfio_mig_state(struct plat_vfio_dev *dev);
const struct sim_vfio_mig_counts *sim_vfio_mig_counts(
    struct plat_vfio_dev *dev);

#endif
