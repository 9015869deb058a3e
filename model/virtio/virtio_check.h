/*
 * model/virtio/virtio_check.h - the invariant checker of the virtio world
 * (scenarios/virtio/virtio_world.h), shared by its drivers, unit tests and
 * fuzzer through the world.
 *
 * The world reports what it did (a request made available, kicked, taken,
 * pushed, completed, discarded; a transition begun and ended) and, through
 * one observation callback, what it sees (the guest's view, the loops'
 * handlers, ring indices, the device's index); the checker keeps its own
 * records of every request and its own model of the notify path, and
 * judges.  It restates each rule from the guest's side and from the
 * simulated KVM (sim/kvm.h), never from core/virtio_pci's predicates.
 *
 * A request is *eligible* when the guest made it available while its view
 * said the device was enabled (driver_ok, bus master, plugged; on net only
 * the transmit queue: an rx buffer waits for a packet that never comes).
 * Invariants (struct vw_violations):
 *   lost_kicks        at every transition that stops ioeventfd while the
 *                     device stays usable (VM stop, vhost grab or release,
 *                     status without DRIVER_OK, bus master clear), every
 *                     eligible request whose submission (add + kick, or a
 *                     kick skipped because the device asked for none)
 *                     finished before the transition began has been taken
 *                     by the device: a kick KVM delivered to a notifier is
 *                     acted on before that notifier is released;
 *   never_completed   at the end, every eligible request that no guest
 *                     reset or unplug discarded has completed;
 *   processed_disabled  the backend never takes a request while the guest
 *                     has the device disabled, the VM is stopped or the
 *                     backend is stopped;
 *   completed_after_reset  no request popped before a reset completes
 *                     after it;
 *   double_completions  no request completes twice (nor one that was never
 *                     made available);
 *   ioeventfd_left    KVM holds no ioeventfd after a stop, reset, unplug or
 *                     VM stop.
 *
 * The race phase (the world's, see virtio_world.h).  The checker's model:
 * per request whether the device took it (seen in the backend), per queue
 * the pops and pushes, and per transition whether ioeventfd should be on,
 * through which loop, and whether a fault made it fall back or left
 * notifiers stuck (a bus reset).  After every transition, with the big
 * lock held, and at the end:
 *   race_lost_kicks   a request whose kick finished was taken by the
 *                     device or has its notifier's handler marked ready;
 *   race_twice        the device takes each request once;
 *   race_ownership    every notifier's handler is in at most one loop,
 *                     the owner (the vhost worker while grabbed); with
 *                     ioeventfd on every queue has one, with it off none;
 *                     KVM holds no notifier object without a handler, and
 *                     exactly one per handler (two for length 0) unless a
 *                     bus reset left notifiers stuck;
 *   race_rings        avail, pop, push and reap counts agree with the
 *                     guest's ring and the device's indices;
 *   race_cost         KVM_IOEVENTFD assigns and grace periods of each
 *                     transition equal what its stop and start phases
 *                     need (an assign failure: the assigns before it, their
 *                     undo, nothing after; a bus reset: at most that);
 *                     KVM's exits by kind equal the kicks the vCPUs saw
 *                     by kind; loop wakeups <= signals and notifier
 *                     signals <= lightweight kicks + one per queue and
 *                     start.
 *
 * A violation is recorded (never asserted in a simulated thread): a count
 * per invariant and the first message.  The checker's calls take no lock
 * and make no scheduling point except where it reads the simulated KVM
 * (its ioeventfd count and bus resets, under their locks), which it does
 * exactly where the checks need them.
 */
#ifndef KVMSIM_CHECK_VIRTIO_H
#define KVMSIM_CHECK_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"
#include "core/virtio_pci.h"

struct vw_violations {
    uint64_t lost_kicks;
    uint64_t never_completed;
    uint64_t processed_disabled;
    uint64_t completed_after_reset;
    uint64_t double_completions;
    uint64_t ioeventfd_left;
    uint64_t bad_status;     /* a block request completed with an error */
    uint64_t harness;        /* the harness itself misbehaved */
    /* the race phase (see "the race phase" above) */
    uint64_t race_lost_kicks;  /* kicked, neither taken nor kick pending */
    uint64_t race_twice;       /* a request taken twice */
    uint64_t race_ownership;   /* a notifier not owned by one of proxy/KVM */
    uint64_t race_rings;       /* ring indices disagree with the model */
    uint64_t race_cost;        /* expensive operations != the expectation */
};

/* Figures of the race phase. */
struct vw_race_stats {
    uint64_t kicks, exits_light, exits_heavy;
    uint64_t transitions, nested_grabs, migrations;
    uint64_t assigns, grace_periods;          /* KVM_IOEVENTFD assigns */
    uint64_t expected_assigns, expected_grace_periods; /* exact cases */
    uint64_t exact_checks, bound_checks;      /* cost checks of each kind */
    uint64_t faults, bus_resets, fallbacks;   /* injected; seen by model */
    uint64_t wakeups, loop_signals, notifier_signals;
    uint64_t checkpoints;     /* state checks during the phase */
    bool ran;                 /* the phase started */
};

/* The guest's view of the device and the VMM's run state. */
struct vw_check_view {
    bool driver_ok, bus_master, unplugged; /* the guest's view */
    bool vm_running;                       /* the VMM's */
    bool backend_running;                  /* the device backend's */
};

/* What the world sees of one queue. */
struct vw_check_queue_obs {
    bool ready;            /* the guest placed the rings */
    bool handler[2];       /* its notifier has a handler in loop 0 / 1 */
    bool pending;          /* such a handler is marked ready */
    uint16_t avail_idx;    /* next index the guest publishes */
    uint16_t last_used;    /* next used entry the guest reaps */
    unsigned outstanding;  /* the guest's requests in flight */
    uint16_t used_idx;     /* the used ring's index in guest memory */
    bool has_vq;           /* the device has this queue */
    uint16_t dev_avail;    /* and its next available index to pop */
};

/* What the world sees at a moment (the observation callback). */
struct vw_check_obs {
    struct vw_check_view view;
    struct plat_kvm *kvm;   /* the VM's KVM now (migration replaces it) */
    unsigned vhost_grabs;   /* grabs the vhost-style user holds */
    uint64_t loop_wakeups;  /* wakeups of both event loops so far */
    struct vw_check_queue_obs q[VIRTIO_PCI_QUEUE_MAX];
};

struct vw_check_config {
    unsigned nqueues;
    uint16_t queue_size;
    bool blk;               /* blk (status bytes); else net */
    unsigned net_tx;        /* net: the transmit queue */
    bool ioeventfd;         /* the device's ioeventfd property */
    bool legacy;            /* the transport */
    bool any_length;        /* KVM offers length-0 ioeventfds */
    void (*observe)(void *world, struct vw_check_obs *o);
    void *world;
};

/* The race phase's transitions of the notify path. */
enum vw_check_op {
    VW_CHECK_STOP,
    VW_CHECK_RESUME,
    VW_CHECK_GRAB,
    VW_CHECK_RELEASE,
    VW_CHECK_MIGRATE,
};

struct vw_check;

/* 0, or -ENOMEM. */
int vw_check_create(const struct vw_check_config *cfg, struct vw_check **out);
void vw_check_destroy(struct vw_check *c);

const struct vw_violations *vw_check_violations(const struct vw_check *c);
/* First violation seen, "" when none. */
const char *vw_check_first(const struct vw_check *c);
const struct vw_race_stats *vw_check_race_stats(const struct vw_check *c);

/* The harness itself misbehaved. */
void vw_check_harness(struct vw_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The guest wrote garbage (request checks off from now on); raw: it wrote
 * a device register directly (its view is unknown: the
 * processed-while-disabled check is off too). */
void vw_check_waive(struct vw_check *c, bool raw);
void vw_check_set_any_length(struct vw_check *c, bool on);

/* ---- the guest ---- */

/* Queue q's rings were laid out: chain descriptors per request, nslots
 * request slots, nothing outstanding. */
void vw_check_queue_setup(struct vw_check *c, unsigned q, uint16_t chain,
                          uint16_t nslots);
/* The guest made slot s's request available at index pos. */
void vw_check_submitted(struct vw_check *c, unsigned q, unsigned s,
                        uint16_t pos, const struct vw_check_view *view);
/* The kick of a request exited to KVM (light) or to userspace. */
void vw_check_kick_exit(struct vw_check *c, bool light);
/* Slot s's submission (add + kick or skipped kick) finished. */
void vw_check_submit_done(struct vw_check *c, unsigned q, unsigned s);
/* The guest reaped used entry id; status: blk's status byte. */
void vw_check_completed(struct vw_check *c, unsigned q, uint32_t id,
                        uint8_t status);
/* The device went away under the guest: queue q's outstanding requests
 * are discarded. */
void vw_check_queue_gone(struct vw_check *c, unsigned q);

/* ---- the device ---- */

/* The backend popped the request whose chain starts at head. */
void vw_check_popped(struct vw_check *c, unsigned q, uint16_t head,
                     const struct vw_check_view *view);
/* The backend pushed a used entry on queue q. */
void vw_check_pushed(struct vw_check *c, unsigned q);
/* A block request popped in reset generation gen completes in generation
 * now: false (recorded) when a reset came in between. */
bool vw_check_blk_complete(struct vw_check *c, unsigned q, uint64_t gen,
                           uint64_t now);
/* Event loop `loop` installed a handler on eventfd e: declared to the
 * conservation check (sim/liveness.h), which names the handler in
 * lost-wakeup reports and bounds the consumption of every signal. */
void vw_check_handler_installed(struct vw_check *c, struct plat_eventfd *e,
                                const char *loop);
/* An event loop's eventfd was signalled (notifier: a queue's host
 * notifier). */
void vw_check_loop_signal(struct vw_check *c, bool notifier);

/* ---- transitions ---- */

/* A transition begins: its sequence number (t0 below). */
uint64_t vw_check_begin(struct vw_check *c);
/* A transition that began at t0 stopped ioeventfd while the device stays
 * usable: every eligible request submitted before it was taken. */
void vw_check_stopped(struct vw_check *c, uint64_t t0, const char *what);
/* After a stop, reset, unplug or VM stop: kvm holds no ioeventfd. */
void vw_check_no_ioeventfd(struct vw_check *c, struct plat_kvm *kvm,
                           const char *what);
/* A migration's source after its stop: its KVM holds no ioeventfd. */
void vw_check_migration_source(struct vw_check *c, struct plat_kvm *kvm);
/* Migration replaced kvm: its counts carry over. */
void vw_check_kvm_retired(struct vw_check *c, struct plat_kvm *kvm);

/* ---- the race phase (big lock held) ---- */

/* The phase starts: the model from what the world sees, then the state
 * checks. */
void vw_check_race_start(struct vw_check *c);
/* Around one transition of the notify path: before the world acts, and
 * after (r: the core's result; resumed: a failed migration's source was
 * resumed).  The model says which phases it needs, the cost is compared,
 * the model follows, and the state is checked. */
void vw_check_race_before(struct vw_check *c);
void vw_check_race_after(struct vw_check *c, enum vw_check_op op, int r,
                         bool resumed);
/* The phase ends: the state checks and the exit-count cross-checks. */
void vw_check_race_end(struct vw_check *c);

/* ---- the end ---- */

/* Every eligible request not discarded has completed. */
void vw_check_never_completed(struct vw_check *c);

#endif
