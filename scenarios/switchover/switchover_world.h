/*
 * scenarios/switchover/switchover_world.h - the switchover world of seed
 * 003, shared by the `switchover-vfio` driver, its unit tests and its
 * fuzzer: VMs with a device tree of ordinary change-state handlers and VFIO
 * devices (core/vmstate.h, core/vfio_migration.h) on simulated kernel devices
 * (sim/vfio_mig.h) and a source-to-destination migration.
 *
 * The checkers (model/switchover/switchover_check.h) watch the world's
 * event logs; its invariants are listed there.
 *
 * A canceller thread (sw_mig_params.cancel_pct) is a second updater of
 * the source's devices: it cancels the migration at a tape-chosen moment
 * and brings the source's devices back to RUNNING itself, racing the
 * migration thread and the transition threads it launches; the source's
 * lock (`bql`, as QEMU's global lock) serialises the two updaters.
 *
 * The race phase (sw_mig_params.race_rounds) follows the timed migration,
 * whose figures it leaves alone: each round migrates the VM back the other
 * way (from whichever VM runs), with a canceller always present and the
 * fault sites vfio_set_state, vfio_reset, thread_create and alloc armed at
 * the race rates for the round only; every round is checked when its
 * actors are done, and the heal phase, if any, follows the last round.
 *
 * Single-threaded by construction: everything here runs in one simulated
 * run (one OS thread).
 */
#ifndef KVMSIM_SCN_SWITCHOVER_H
#define KVMSIM_SCN_SWITCHOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"
#include "core/vfio_migration.h"
#include "core/vmstate.h"
#include "sim/vfio_mig.h"

struct sim;

#define SW_MAX_DEVS 64        /* VFIO devices per VM */
#define SW_MAX_ORD 128        /* ordinary handlers per VM */
#define SW_MAX_DEPTH 16       /* device-tree depths 0..15 */
#define SW_MAX_PASS_EVENTS \
    (4 * SW_MAX_ORD + 12 * SW_MAX_DEVS + 8)

enum sw_invariant {
    SW_INV_ORDERING = 0,
    SW_INV_LEGAL_ARCS,
    SW_INV_FINAL_STATES,
    SW_INV_ERRORS_ABORT,
    SW_INV_COST,
    SW_INV_NR
};

enum sw_ev_kind {
    SW_EV_CALL = 0,   /* a handler's callback is about to run */
    SW_EV_BEGIN,      /* a device transition begins */
    SW_EV_END,        /* ... ends */
    SW_EV_LAUNCH,     /* a transition thread is launched */
    SW_EV_JOIN,       /* ... joined */
};

/* 16 bytes: the two VMs' event logs are most of a struct sw_world, which
 * then stays under 128 KiB, the largest block AddressSanitizer's allocator
 * recycles; a larger world is mapped afresh for every run, and its page
 * faults cost the tape fuzzer (fuzz/fuzz_tape_switchover.c) two thirds of
 * its speed. */
struct sw_event {
    uint64_t seq;
    uint8_t kind;     /* enum sw_ev_kind */
    bool prepare;
    uint8_t depth;    /* < SW_MAX_DEPTH */
    int16_t dev;      /* VFIO device index, -1 for ordinary handlers */
};

struct sw_world;
struct sw_vm;

struct sw_ordinary {
    struct vmstate_entry e;
    struct sw_vm *vm;
    unsigned depth;
    uint64_t main_ns, prepare_ns;
    uint64_t calls;
};

/* The cost checker's record of the operation in progress on a device
 * (one at a time per device: the kernel serialises them, and an overlap is
 * a legal_arcs violation). */
#define SW_OP_MAX_EVENTS 8
struct sw_cost_op {
    bool open;
    bool nothing;                      /* the step must do no work */
    const char *what;
    enum plat_vfio_mig_state start, target, recover;
    struct sim_vfio_mig_counts n0;     /* the kernel's counts at begin */
    /* failed arcs (from, where they left the device) and reset outcomes,
     * as the kernel hook saw them, in order */
    unsigned nfail, nreset;
    enum plat_vfio_mig_state fail_from[SW_OP_MAX_EVENTS];
    enum plat_vfio_mig_state fail_to[SW_OP_MAX_EVENTS];
    bool reset_ok[SW_OP_MAX_EVENTS];
};

struct sw_vfio {
    struct vfio_mig_dev m;
    struct plat_vfio_dev *dev;
    struct sw_vm *vm;
    unsigned index;
    struct sw_cost_op op;
    /* the sums of every closed operation's expectation */
    uint64_t exp_requests, exp_arcs, exp_resets, ops;
};

struct sw_vm {
    struct sw_world *w;
    unsigned id;
    const char *name;
    struct vmstate_list list;
    struct sw_vfio vfio[SW_MAX_DEVS];
    unsigned nvfio;
    struct sw_ordinary ord[SW_MAX_ORD];
    unsigned nord;
    bool running;
    bool in_pass;
    uint64_t passes;
    /* the current pass's events */
    struct sw_event ev[SW_MAX_PASS_EVENTS];
    unsigned nev;
    bool ev_overflow;
};

/* Migration workload and its result. */
struct sw_mig_params {
    unsigned precopy_iters;       /* iterations before switchover */
    uint64_t precopy_iter_ns;     /* time of one iteration */
    uint64_t device_state_bytes;  /* each VFIO device's final state */
    uint64_t final_ram_bytes;     /* dirty RAM sent while stopped */
    uint64_t link_bytes_per_s;    /* migration stream bandwidth */
    unsigned cancel_pct;          /* chance of a cancel, percent */
    uint64_t cancel_window_ns;    /* the cancel comes within this */
    /* the race phase: rounds after the timed migration (0: none), the
     * chance of a cancel in each, and the fault rates armed during it,
     * by site (the larger of the run's and the race rate applies) */
    unsigned race_rounds;
    unsigned race_cancel_pct;
    double race_fault[PLAT_FAULT_NR];
    double run_fault[PLAT_FAULT_NR];
    /* the heal phase (NULL: none): once the migration and the canceller
     * are done, heal_begin stops the faults and gives the deadline (0:
     * no phase); the checks are taken, then every device is asked for
     * its target state (the source STOP and the destination RUNNING
     * after a migration, every device RUNNING after a failed one); the
     * world has converged when the kernel and the VMM agree on the
     * target for every device by the deadline; heal_end is told. */
    uint64_t (*heal_begin)(void *arg, bool world_faults);
    /* outcome: 0 converged, 1 late, 2 stuck (SCN_HEAL_*) */
    void (*heal_end)(void *arg, int outcome, const char *msg);
    void *heal_arg;
};

enum sw_cmd {
    SW_CMD_NONE = 0,
    SW_CMD_INCOMING,  /* destination: prepare to receive */
    SW_CMD_SENT,      /* destination: the state is there, start */
    SW_CMD_ABORT,     /* destination: the migration failed */
};

struct sw_mig_result {
    bool done;                 /* both sides finished */
    bool blocked;              /* refused: several devices without P2P */
    int rc;                    /* 0 migrated, else the first error */
    int src_rc, dst_rc;
    uint64_t t_begin, t_stop_begin, t_stop_end, t_saved;
    uint64_t t_start_begin, t_running, t_end;
};

struct sw_world {
    struct sw_vm vm[2];           /* [0] source, [1] destination */
    uint64_t seq;
    /* violations per invariant: count and the first message */
    uint64_t violations[SW_INV_NR];
    char first[SW_INV_NR][256];
    /* migration */
    struct sw_mig_params mp;
    struct sw_mig_result res;
    struct plat_eventfd to_dst, to_src;
    enum sw_cmd cmd;
    int reply_rc;
    bool src_finished, dst_finished;
    /* the canceller (second updater of the source's devices) */
    struct plat_lock bql;         /* the source VMM's global lock */
    bool committed;               /* past the point of no return (bql) */
    bool cancelled;               /* a cancel was accepted (bql) */
    bool late_cancel;             /* a cancel came too late (bql) */
    bool canceller_finished;
    plat_atomic64 cancel_req;     /* migrate_cancel was asked for */
    /* the heal phase: its thread waits on heal_go until every actor is
     * done; the checks ran in it (sw_check_migration() is then a no-op) */
    struct plat_eventfd heal_go;
    bool checked;
    /* rounds: 0 is the timed migration, 1.. the race phase's */
    struct sim *sim;
    unsigned round;
    unsigned si;                  /* the source VM of this round */
    unsigned cancel_pct;          /* this round's chance of a cancel */
    bool race_spawned, race_finished;
    struct plat_eventfd race_go;  /* a race round's actors are done */
    /* the timed migration's figures, frozen before the race phase */
    bool timed_frozen;
    struct sw_mig_result timed_res;
    /* summed over both VMs' devices: m.st.threads, thread_fallbacks,
     * resets, reset_failures; the kernel's arcs and requests */
    uint64_t timed_threads, timed_fallbacks, timed_resets;
    uint64_t timed_reset_failures, timed_arcs, timed_requests;
    uint64_t race_ops, race_cancels, race_late_cancels, race_migrated;
};

/* Zero w and set up both VMs (no devices yet). */
void sw_world_init(struct sw_world *w);
/* Tear down every device.  Safe after a stuck run. */
void sw_world_fini(struct sw_world *w);

/* Add a VFIO device at `depth` (< SW_MAX_DEPTH) supporting `flags`, in
 * `mode`, with latencies lat (NULL: defaults).  Its index, or -ENOSPC,
 * -EINVAL, -ENOMEM. */
int sw_add_vfio(struct sw_vm *vm, unsigned depth, unsigned flags,
                enum vfio_mig_mode mode,
                const struct sim_vfio_mig_latency *lat);
/* Add an ordinary handler at `depth` whose main callback costs main_ns
 * and prepare callback prepare_ns.  Its index, or -ENOSPC, -EINVAL. */
int sw_add_ordinary(struct sw_vm *vm, unsigned depth, uint64_t main_ns,
                    uint64_t prepare_ns);

/* Start or stop a VM: one change-state pass; 0 or its first error. */
int sw_vm_start(struct sw_vm *vm);
int sw_vm_stop(struct sw_vm *vm, enum vmstate_run_state rs);

/* Spawn the migration's source and destination threads on s (CPUs 0 and
 * 1).  After sim_run(), sw_check_migration() checks the outcome. */
int sw_spawn_migration(struct sw_world *w, struct sim *s,
                       const struct sw_mig_params *p);
/* The race phase arms faults of its own (the heal phase follows it). */
bool sw_race_faults(const struct sw_mig_params *p);

#endif
