/*
 * scenarios/virtio/virtio_world.h - a simulated VM with one virtio-pci device
 * (core/virtio_pci) for seed 001: a guest virtio driver with its rings in
 * guest memory, the VMM's big lock, an iothread event loop, a vhost-style
 * worker loop, a virtio-blk backend with a modelled disk and a virtio-net
 * transmit path; its invariant checker is model/virtio/virtio_check.h.
 *
 * Two ways to drive it:
 *   threaded  vw_spawn() starts simulated threads in a sim: vCPUs issuing
 *             requests through sim_kvm_vcpu_io(), the iothread and vhost
 *             worker polling their eventfds, the disk, and a control thread
 *             doing host transitions (VM stop/resume, vhost grab/release,
 *             migration).  A request that never completes leaves its vCPU
 *             waiting for an interrupt: the run ends as a deadlock and
 *             vw_finish() counts it.  Scenarios and the start/stop race
 *             exploration use it.
 *   stepped   the vw_* operations below called one by one outside a run:
 *             every operation is atomic, the interleaving is the call order
 *             (the fuzzer and the unit tests).
 *
 * The guest's view of the device (driver_ok, bus master, unplugged) is what
 * the invariants measure the VMM against; the world reports what it does
 * and sees to the checker (model/virtio/virtio_check.h), which keeps its
 * own records and states the invariants (vw_violations).
 *
 * The race phase (threaded, race_rounds > 0).  When the timed part ends
 * (its figures are frozen then: vw_stats() keeps returning them), new
 * vCPUs kick race_reads requests each while two host updaters each run
 * race_rounds transitions of the notify path chosen by the tape: VM
 * stop/resume (one updater at a time pauses the vCPUs), vhost-style
 * grab/release (nested when both hold it) and migration; the iothread
 * and the vhost worker drain the queues.  KVM_IOEVENTFD and allocation
 * faults are armed once every actor exists.  The checker models the
 * notify path and checks the phase's invariants (race_lost_kicks,
 * race_twice, race_ownership, race_rings, race_cost: virtio_check.h)
 * after every transition, with the big lock held, and at the end.
 *
 * The heal phase (threaded, after the race phase, when heal_begin gives a
 * deadline: the scenario armed a fault or the race phase did).  Every
 * fault stops; the end-of-run checks (never_completed) are taken first,
 * so healing hides no lost request; then one new vCPU per queue submits
 * heal_reads requests and waits for each one's interrupt.  The system has
 * converged when every heal vCPU saw all of its requests complete (kicks
 * processed, interrupts delivered) by the deadline, which the last one
 * judges and tells heal_end.  The phase polls no clock (a poller would
 * starve the loops under PCT): a system that cannot converge ends the run
 * as a deadlock with heal vCPUs waiting for interrupts, and
 * vw_heal_pending() says so after the run.
 */
#ifndef KVMSIM_SCN_VIRTIO_WORLD_H
#define KVMSIM_SCN_VIRTIO_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/virtio_pci.h"
#include "model/virtio/virtio_check.h"
#include "sim/sim.h"

/* Costs of the simulated guest and device (virtual ns).  None is from the
 * seed, which reports its gains in words only; each is an assumption. */
struct vw_costs {
    uint64_t think_ns;         /* guest: work between two requests */
    uint64_t guest_add_ns;     /* guest: placing one request in the ring */
    uint64_t guest_irq_ns;     /* guest: interrupt work per completion */
    uint64_t loop_dispatch_ns; /* event loop: one wakeup (poll + dispatch) */
    uint64_t blk_submit_ns;    /* blk: parse and submit one request */
    uint64_t blk_complete_ns;  /* blk: complete one request */
    uint64_t disk_latency_ns;  /* disk: service time of one request */
    uint64_t disk_jitter_ns;   /* disk: up to this much more (tape) */
    uint64_t net_tx_ns;        /* net: transmit one packet (copy + tap) */
};

struct vw_params {
    enum virtio_pci_kind kind;           /* BLK or NET */
    enum virtio_pci_transport transport; /* LEGACY or MODERN */
    bool ioeventfd;        /* the variant: the device's ioeventfd property */
    bool any_length;       /* KVM offers length-0 ioeventfds */
    unsigned nvcpus;       /* vCPUs issuing requests */
    unsigned nqueues;      /* blk: one request queue per vCPU; net: rx, tx */
    uint16_t queue_size;   /* descriptors per ring */
    unsigned iodepth;      /* requests a vCPU keeps in flight */
    uint64_t requests;     /* per vCPU */
    /* host transitions during a threaded run, in turn, gap_ns apart */
    unsigned vm_stops;
    unsigned vhost_cycles;
    unsigned migrations;
    uint64_t gap_ns;
    bool random_transitions; /* pick each transition from the tape */
    struct vw_costs cost;
    /* the race phase after the timed part (threaded only; 0: none) */
    unsigned race_rounds;     /* transitions per updater */
    uint64_t race_reads;      /* requests per race vCPU */
    uint64_t race_gap_ns;     /* an updater waits up to this between steps */
    double race_alloc_fault;  /* armed during the phase (the larger of */
    double race_ioeventfd_fault; /* this and the run's own setting) */
    double run_alloc_fault;   /* the run's own settings, restored after */
    double run_ioeventfd_fault;
    /* the heal phase after the race phase (see "the heal phase" above):
     * heal_begin returns its deadline, 0 for none (NULL: none) */
    uint64_t (*heal_begin)(void *arg, bool world_faults);
    /* outcome: 0 converged, 1 late, 2 stuck (SCN_HEAL_*) */
    void (*heal_end)(void *arg, int outcome, const char *msg);
    void *heal_arg;
    uint64_t heal_reads;      /* requests per heal vCPU */
};

/* Figures of a run. */
struct vw_stats {
    uint64_t submitted, completed, discarded;
    uint64_t kicks, kicks_skipped;      /* kicks made / skipped (NO_NOTIFY) */
    uint64_t exits_light, exits_heavy;  /* completed in KVM / in userspace */
    uint64_t exit_ns;         /* vCPU time from kick write to resume */
    uint64_t vcpu_busy_ns;    /* vCPU time until its last completion */
    uint64_t first_submit_ns, last_complete_ns;
    uint64_t latency_ns_sum;  /* submit to completion, summed */
    uint64_t checkpoints;     /* transitions checked for lost kicks */
    uint64_t transitions;     /* host transitions done */
    uint64_t loop_wakeups;    /* iothread + vhost worker */
    uint64_t post_stop_kicks; /* kicks the proxies found after a deassign
                                 (all proxies: migration makes new ones) */
    uint64_t fallbacks;       /* starts that turned ioeventfd off (all) */
};

struct vw_world;

/* Defaults for a device kind (blk: 4 vCPUs x 1 queue; net: 1 vCPU, 2
 * queues). */
void vw_params_default(struct vw_params *p, enum virtio_pci_kind kind);

/* Build a world.  sim: the simulation whose threads vw_spawn() creates, or
 * NULL for stepped use.  0, -EINVAL for bad parameters (msg says which),
 * -ENOMEM. */
int vw_create(const struct vw_params *p, struct sim *sim,
              struct vw_world **out, char *msg, size_t msglen);
void vw_destroy(struct vw_world *w);

/* Threaded: spawn every thread (the first vCPU initialises the device).
 * -ENOMEM when a thread cannot be created. */
int vw_spawn(struct vw_world *w);
/* After sim_run: a heal phase that began and never converged (msg says
 * how far it got). */
bool vw_heal_pending(struct vw_world *w, char *msg, size_t len);
/* After sim_run: the end-of-run checks (call once). */
void vw_finish(struct vw_world *w);

const struct vw_violations *vw_violations(const struct vw_world *w);
/* Figures so far (post_stop_kicks summed over every proxy). */
const struct vw_stats *vw_stats(struct vw_world *w);
/* The race phase's figures (zero when it did not run). */
const struct vw_race_stats *vw_race_stats(const struct vw_world *w);
/* First violation seen, "" when none. */
const char *vw_first_violation(const struct vw_world *w);
struct virtio_pci *vw_proxy(struct vw_world *w);
struct plat_kvm *vw_kvm(struct vw_world *w);

/* ---- stepped operations (outside a run) ----
 * Guest operations are ignored (return -EAGAIN) while the VM is stopped. */

/* The driver's whole init: reset, bus master, rings, DRIVER_OK. */
int vw_guest_init(struct vw_world *w);
/* Make one request available on queue q and kick (unless told not to).
 * -ENOSPC when the ring is full. */
int vw_guest_submit(struct vw_world *w, unsigned q);
void vw_guest_reap(struct vw_world *w, unsigned q);
void vw_guest_status(struct vw_world *w, uint8_t status);
void vw_guest_bus_master(struct vw_world *w, bool on);
void vw_guest_legacy_pfn0(struct vw_world *w);
/* A ring byte overwritten with garbage: request checks are waived. */
void vw_guest_corrupt(struct vw_world *w, uint32_t where, uint8_t value);
/* A raw write of a device register (reg picks register and width): the
 * guest's view is unknown from then on, so request checks and the
 * processed-while-disabled check are waived. */
void vw_guest_raw_write(struct vw_world *w, uint8_t reg, uint32_t val);

void vw_host_reset(struct vw_world *w);
void vw_host_unplug(struct vw_world *w);
void vw_vm_stop(struct vw_world *w);
void vw_vm_resume(struct vw_world *w);
int vw_vhost_grab(struct vw_world *w);
int vw_vhost_release(struct vw_world *w);
int vw_migrate(struct vw_world *w);
void vw_set_any_length(struct vw_world *w, bool on);

/* One dispatch round of the iothread (which 0) or the vhost worker (1). */
void vw_loop_dispatch(struct vw_world *w, unsigned which);
/* The disk finishes its oldest request; false when none is in flight. */
bool vw_disk_step(struct vw_world *w);
/* Run loops and disk until nothing moves, resuming a stopped VM first,
 * reap, then check that every eligible request completed. */
void vw_quiesce_and_check(struct vw_world *w);

/* ---- the start/stop race exploration ----
 * One small threaded world under PCT (depth 3) from `seed`: two vCPUs
 * with a virtio-blk queue each kick while a control thread stops and
 * starts ioeventfd three times (VM stop/resume, vhost grab/release or
 * migration, chosen by the tape).  Odd seeds use the modern transport,
 * even ones legacy; on seeds = 3 mod 4 a fifth of the KVM_IOEVENTFD
 * assigns fail.  0, or -ENOMEM. */
struct vw_race_result {
    enum sim_result result;
    struct vw_violations v;
    char first[256];
    uint64_t steps;
    uint64_t post_stop_kicks;
};
int vw_race_run(uint64_t seed, struct vw_race_result *res);

#endif
