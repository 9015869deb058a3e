/*
 * core/vfio_migration.h - VFIO device migration as the VMM drives it: the
 * kernel's device-state arcs, setting a state with recovery and reset, the
 * change-state handlers that move a device when its VM starts or stops,
 * and the save/load steps of a migration.
 *
 * Device states and arcs (flags say what the device supports):
 *   RUNNING <-> STOP                      without P2P
 *   RUNNING <-> RUNNING_P2P <-> STOP      with P2P
 *   STOP <-> STOP_COPY,  STOP <-> RESUMING
 *   RUNNING <-> PRE_COPY                  with PRE_COPY
 *   PRE_COPY -> STOP_COPY                 with PRE_COPY, without P2P
 *   PRE_COPY <-> PRE_COPY_P2P -> STOP_COPY,
 *   RUNNING_P2P <-> PRE_COPY_P2P          with PRE_COPY and P2P
 * A request for a state further away steps along these arcs
 * (vfio_mig_next_step); ERROR cannot be requested and only a reset leaves
 * it.  The arc table and the step function are shared with the simulated
 * and the host kernels, which apply them on their side of the ioctl.
 *
 * Change-state handlers, two variants chosen per device at run time:
 *   VFIO_MIG_SERIAL    one handler at the device's depth; its callbacks
 *                      move the device themselves (before the seed);
 *   VFIO_MIG_PARALLEL  two handlers, just below and just above the
 *                      ordinary handlers of the device's depth.  In either
 *                      direction the first of the pair to run launches a
 *                      thread that moves the device and the second joins
 *                      it, so devices of one depth move concurrently with
 *                      each other and with that depth's ordinary handlers
 *                      (the seed; the default).
 * The prepare callbacks (only with P2P) move to RUNNING_P2P, or to
 * PRE_COPY_P2P from PRE_COPY; the main callbacks move to RUNNING when
 * starting, and when stopping to STOP_COPY from a pre-copy state during
 * finish-migrate or pause, else to STOP.  Every failure reaches the
 * change-state pass's result.  When a transition thread cannot be
 * created, the transition runs on the caller instead (slower, same
 * result) and is counted.
 *
 * Thread safety: the VMM's main thread calls everything here; while a
 * transition thread is pending (launched, not joined) only that thread
 * touches the device's state.  Observers may be called from transition
 * threads and must be thread-safe.
 */
#ifndef KVMSIM_CORE_VFIO_MIGRATION_H
#define KVMSIM_CORE_VFIO_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"
#include "core/vmstate.h"

#define VFIO_MIG_NSTATES 8

/* What a device supports (VFIO_MIGRATION_P2P, VFIO_MIGRATION_PRE_COPY). */
#define VFIO_MIG_F_P2P (1u << 0)
#define VFIO_MIG_F_PRE_COPY (1u << 1)
#define VFIO_MIG_F_ALL (VFIO_MIG_F_P2P | VFIO_MIG_F_PRE_COPY)

/* ---- the arc table ---- */

/* Stable upper-case name ("RUNNING_P2P"), or "?" out of range. */
const char *vfio_mig_state_name(enum plat_vfio_mig_state s);
/* s is a state a device with `flags` can be asked to enter (not ERROR,
 * not a P2P or pre-copy state it lacks). */
bool vfio_mig_state_supported(enum plat_vfio_mig_state s, unsigned flags);
/* from -> to is one arc of a device with `flags`. */
bool vfio_mig_arc_legal(enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state to, unsigned flags);
/* The next state on the way from `from` to `to`: a shortest path along
 * legal arcs that passes through no state that moves data (STOP_COPY,
 * RESUMING) and starts no pre-copy on the way; ties prefer STOP, then
 * RUNNING_P2P, then RUNNING.  0 with *next set (*next == to when one arc
 * does it; from == to gives *next == to), or -EINVAL when `to` is
 * unsupported or ERROR, or `from` is ERROR or unsupported. */
int vfio_mig_next_step(enum plat_vfio_mig_state from,
                       enum plat_vfio_mig_state to, unsigned flags,
                       enum plat_vfio_mig_state *next);
/* True for PRE_COPY and PRE_COPY_P2P. */
bool vfio_mig_state_is_precopy(enum plat_vfio_mig_state s);

/* ---- a migratable device ---- */

enum vfio_mig_mode {
    VFIO_MIG_SERIAL = 0,
    VFIO_MIG_PARALLEL = 1,
};
#define VFIO_MIG_MODE_DEFAULT VFIO_MIG_PARALLEL

enum vfio_mig_event {
    VFIO_MIG_EV_BEGIN = 0,   /* a change-state transition starts */
    VFIO_MIG_EV_END = 1,     /* ... ended with rc */
    VFIO_MIG_EV_LAUNCH = 2,  /* a transition thread is about to start */
    VFIO_MIG_EV_JOIN = 3,    /* ... and joined */
};

struct vfio_mig_event_info {
    enum vfio_mig_event ev;
    bool prepare;            /* the prepare phase's transition */
    bool running;            /* the VM starts */
    enum plat_vfio_mig_state target;  /* BEGIN/END: the state asked for */
    int rc;                  /* END and JOIN */
};

struct vfio_mig_dev;
typedef void (*vfio_mig_observer)(void *arg, const struct vfio_mig_dev *m,
                                  const struct vfio_mig_event_info *ev);

struct vfio_mig_stats {
    uint64_t requests;         /* set-state ioctls issued */
    uint64_t failures;         /* ... that failed */
    uint64_t recoveries;       /* recovery state reached after a failure */
    uint64_t resets;           /* successful resets */
    uint64_t reset_failures;   /* failed resets (device left as it was) */
    bool last_reset_failed;    /* the latest reset attempt failed */
    uint64_t threads;          /* transition threads started */
    uint64_t thread_fallbacks; /* transitions run inline for want of one */
};

struct vfio_mig_dev {
    const char *name;
    struct plat_vfio_dev *dev;
    unsigned flags;
    enum vfio_mig_mode mode;
    unsigned depth;
    enum plat_vfio_mig_state state; /* as the kernel last reported it */
    struct vmstate_list *list;
    struct vmstate_entry vm_low;    /* serial: the only handler */
    struct vmstate_entry vm_high;   /* parallel only */
    /* the pending transition of parallel mode */
    struct plat_thread *thread;
    bool pending;
    bool job_prepare, job_running;
    enum vmstate_run_state job_state;
    int job_rc;
    vfio_mig_observer observer;
    void *observer_arg;
    struct vfio_mig_stats st;
};

/* Register m's change-state handlers on l for a device at `depth` of the
 * device tree.  The kernel device must be RUNNING (a fresh device).
 * -EINVAL for flags outside VFIO_MIG_F_ALL or an unknown mode; nothing is
 * registered then. */
int vfio_mig_init(struct vfio_mig_dev *m, struct vmstate_list *l,
                  const char *name, struct plat_vfio_dev *dev,
                  unsigned flags, unsigned depth, enum vfio_mig_mode mode);
/* Unregister (joining a transition still pending). */
void vfio_mig_deinit(struct vfio_mig_dev *m);
void vfio_mig_set_observer(struct vfio_mig_dev *m, vfio_mig_observer fn,
                           void *arg);
/* A transition thread launched and not yet joined. */
bool vfio_mig_pending(const struct vfio_mig_dev *m);

/* Move to `target`: nothing to do when already there.  On failure move to
 * `recover`; when that fails too, or recover is ERROR, or the device went
 * to ERROR, reset it (back to RUNNING).  Returns 0 or the first error
 * (-EINVAL, -EIO); a failed reset leaves the device where the kernel left
 * it, counted in st.reset_failures, and the error is still returned. */
int vfio_mig_set_state(struct vfio_mig_dev *m,
                       enum plat_vfio_mig_state target,
                       enum plat_vfio_mig_state recover);
/* vfio_mig_set_state() with recovery by reset only. */
int vfio_mig_set_state_or_reset(struct vfio_mig_dev *m,
                                enum plat_vfio_mig_state target);

/* Migration steps.  Source: save_setup starts pre-copy (RUNNING ->
 * PRE_COPY, recovering to RUNNING) when the device supports it and is
 * running, does nothing when stopped, else -EINVAL; save_complete_begin
 * enters STOP_COPY (recovering to STOP) before the device's state is read;
 * save_complete_end returns to STOP afterwards (reset on failure).
 * Destination: load_setup enters RESUMING (recovering to where it was).
 * Either side, after a failed migration: failed() brings the device back
 * to RUNNING, one device after another (not parallelised). */
int vfio_mig_save_setup(struct vfio_mig_dev *m);
int vfio_mig_save_complete_begin(struct vfio_mig_dev *m);
int vfio_mig_save_complete_end(struct vfio_mig_dev *m);
int vfio_mig_load_setup(struct vfio_mig_dev *m);
int vfio_mig_failed(struct vfio_mig_dev *m);

/* Several devices migrate only when every one supports P2P: 0, or
 * -EOPNOTSUPP. */
int vfio_mig_check_multi(const struct vfio_mig_dev *const *devs,
                         unsigned n);

/* "serial" / "parallel", and the reverse (-EINVAL). */
const char *vfio_mig_mode_name(enum vfio_mig_mode mode);
int vfio_mig_mode_parse(const char *s, enum vfio_mig_mode *out);

#endif
