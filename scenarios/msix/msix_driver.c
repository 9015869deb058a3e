/*
 * scenarios/msix/msix_driver.c - seed 000: MSI-X setup of VFs at migration
 * resume, KVM route commits per vector (before) or per batch (after).
 *
 * One migration thread loads each VF's saved state in turn: the guest's
 * MSI-X table (every vector programmed and unmasked), then MSI-X enable,
 * whose duration is the seed's measurement (nothing else runs then).
 * Afterwards every vector of every VF fires and the guest's receive
 * counts are checked, the kernel's routing table is compared with the
 * VMM's; then the concurrent phase (storm_run(): VFs re-enabled and
 * vectors masked while the devices fire), the delivery check again, every
 * VF is disabled and GSIs are counted, and VF 0 goes through
 * enable/disable cycles.  Each enable, disable, mask and unmask is
 * followed by the checks of every VF and its cost check.
 *
 * `kvmsim compare msix-resume-8vf` fits two cost constants on the seed's
 * "before" column (the per-irqfd part of KVM_SET_GSI_ROUTING and the VMM's
 * per-vector setup), predicts the "after" column, and prints both beside
 * the seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm_routes.h"
#include "core/vfio_pci_irq.h"
#include "model/cost.h"
#include "model/fit.h"
#include "model/msix/msix_check.h"
#include "model/seeds.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, checker records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

static const char *const msix_variants[] = {"per-vector", "batched", NULL};

static const struct cfg_key msix_keys[] = {
    {"workload", "vfs", CFG_INT, "8", 1, 64, NULL,
     "VFs whose state the migration loads, one after another"},
    {"workload", "vectors", CFG_INT, "65", 1, 2048, NULL,
     "MSI-X vectors per VF, all programmed and unmasked"},
    {"workload", "fires", CFG_INT, "2", 0, 1000, NULL,
     "times every vector fires after setup (delivery check)"},
    {"workload", "cycles", CFG_INT, "0", 0, 10000, NULL,
     "MSI-X enable/disable cycles of VF 0 afterwards (GSI leak check)"},
    {"workload", "mask_every", CFG_INT, "0", 0, 2048, NULL,
     "leave every Nth vector masked (0: none) to exercise pending bits"},
    {"workload", "storm_rounds", CFG_INT, "2", 0, 1000, NULL,
     "rounds of the concurrent phase after the timed resume (0: none): "
     "devices fire while VFs are re-enabled and vectors (un)masked"},
    {"workload", "storm_vcpus", CFG_INT, "2", 0, 8, NULL,
     "vCPU threads masking and unmasking vectors in the concurrent phase"},
    {"workload", "storm_vectors", CFG_INT, "8", 0, 2048, NULL,
     "vectors per VF the vCPUs mask and unmask (the first N)"},
    {"workload", "storm_fire_gap_us", CFG_DOUBLE, "200", 0.1, 1e6, NULL,
     "in the concurrent phase each VF's device raises a tape-chosen "
     "vector this often, us, until the updaters are done"},
    {"workload", "storm_set_gsi_routing_fault", CFG_DOUBLE, "0.03", 0, 1,
     NULL, "concurrent phase: probability that a KVM_SET_GSI_ROUTING "
     "fails (the larger of this and faults.kvm_set_gsi_routing)"},
    {"workload", "storm_irqfd_fault", CFG_DOUBLE, "0.03", 0, 1, NULL,
     "concurrent phase: probability that a KVM_IRQFD assign fails (the "
     "larger of this and faults.kvm_irqfd)"},
    {"workload", "storm_gsi_alloc_fault", CFG_DOUBLE, "0.03", 0, 1, NULL,
     "concurrent phase: probability that the VMM's GSI allocator refuses "
     "(the larger of this and faults.gsi_alloc)"},
    {"workload", "storm_vfio_set_irqs_fault", CFG_DOUBLE, "0.03", 0, 1,
     NULL, "concurrent phase: probability that a VFIO_DEVICE_SET_IRQS "
     "attempt fails (the larger of this and faults.vfio_set_irqs)"},
    {"workload", "storm_thread_create_fault", CFG_DOUBLE, "0.05", 0, 1,
     NULL, "concurrent phase: probability that an actor's thread is "
     "refused (the larger of this and faults.thread_create)"},
    {"workload", "storm_alloc_fault", CFG_DOUBLE, "0.02", 0, 1, NULL,
     "concurrent phase: probability that an allocation fails (the larger "
     "of this and faults.alloc)"},
    {"invariants", "delivery", CFG_BOOL, "true", 0, 0, NULL,
     "every unmasked vector's firing reaches the guest exactly once"},
    {"invariants", "tables_equal", CFG_BOOL, "true", 0, 0, NULL,
     "the kernel's routing table equals the VMM's cache when clean"},
    {"invariants", "commit_before_bind", CFG_BOOL, "true", 0, 0, NULL,
     "no irqfd is bound to a GSI before its route is committed"},
    {"invariants", "no_leak", CFG_BOOL, "true", 0, 0, NULL,
     "no GSI, route or irqfd left after disable and after the cycles"},
    {"invariants", "cost", CFG_BOOL, "true", 0, 0, NULL,
     "every enable, disable, mask and unmask makes exactly the "
     "KVM_SET_GSI_ROUTING calls it needs, given the GSI allocations that "
     "failed in it, and one VFIO_DEVICE_SET_IRQS attempt per call plus "
     "one per failed attempt (a bound only once 3 attempts failed in one "
     "operation: a call may then have given up)"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* What the concurrent phase checks after every step (storm_check_*). */
struct storm_actor;

struct msix_world {
    struct scn_run *run;
    bool batched;
    unsigned vfs, vectors, fires, cycles, mask_every, vcpus;
    struct plat_kvm *kvm;
    struct kvm_routes routes;
    struct plat_vfio_dev **vdev;
    struct vfio_pci_irq *dev;
    double *enable_ms;
    /* results */
    uint64_t enable_errors;
    struct msix_check ck;          /* the checker's view and counts */
    /* the concurrent phase (storm_*): see storm_run() */
    unsigned storm_rounds, storm_vcpus, storm_vectors;
    struct plat_lock bql;          /* the VMM's global lock */
    bool *masked;                  /* [vf * vectors + j]: the guest's view */
    bool *enabled;                 /* [vf]: the guest's MSI-X enable bit */
    unsigned *hi;                  /* [vf]: vectors the host has enabled */
    uint64_t *herr;                /* [vf]: host errors at its last enable */
    plat_atomic64 *fired;          /* [vf * vectors + j]: device firings */
    uint64_t *delivered0;          /* guest MSIs before the phase */
    plat_atomic64 storm_stop;      /* the event loop ends */
    plat_atomic64 storm_quiet;     /* the updaters are done */
    struct plat_eventfd doorbell;  /* the event loop's poll wakes */
    uint64_t storm_gap_ns;
    double storm_fault[PLAT_FAULT_NR];   /* armed during the phase */
    double run_fault[PLAT_FAULT_NR];     /* the run's, restored after */
    uint64_t storm_faults;               /* injected during the phase */
    uint64_t storm_threads_refused, storm_recovered;
    /* the phase's threads (owned here: a run stopped mid-phase frees
     * them with the world) */
    struct storm_actor *actors;
};

static uint64_t vector_address(const struct msix_world *w, unsigned j)
{
    return msix_check_vector_address(&w->ck, j);
}

static uint32_t vector_data(unsigned vf, unsigned j)
{
    return msix_check_vector_data(vf, j);
}

static bool vector_masked(const struct msix_world *w, unsigned j)
{
    return msix_check_vector_masked(&w->ck, j);
}

static void program_table(struct msix_world *w, unsigned vf)
{
    for (unsigned j = 0; j < w->vectors; j++) {
        msix_set_message(&w->dev[vf].msix, j, vector_address(w, j),
                         vector_data(vf, j));
        msix_set_masked(&w->dev[vf].msix, j, vector_masked(w, j));
    }
}


/* ---- the concurrent phase and the per-operation checks ----
 *
 * After the timed resume, VFs are disabled and re-enabled (one updater)
 * while vCPUs mask and unmask vectors (more updaters, disjoint vectors),
 * every VF's device fires every vector (readers, without the VMM's lock:
 * the hardware does not take it) and the VMM's event loop services the
 * userspace path.  Updaters and the event loop hold `bql`, as QEMU's do.
 * After every update the checks (model/msix/msix_check.c) run for every
 * VF and vector; each operation's KVM_SET_GSI_ROUTING and
 * VFIO_DEVICE_SET_IRQS calls are counted (attempts, failed ones included)
 * and compared with what the operation needs, worked out from the guest's
 * table. */

#define VEC(w, vf, j) ((size_t)(vf) * (w)->vectors + (j))


static int op_enable_locked(struct msix_world *w, unsigned vf)
{
    struct msix_cost c = msix_check_cost_now(&w->ck);
    struct msix_need need = msix_check_need_enable(&w->ck, vf);
    char what[48];
    int rc;

    w->herr[vf] = w->dev[vf].host_errors;
    rc = vfio_msix_enable(&w->dev[vf]);
    w->enabled[vf] = true;
    snprintf(what, sizeof(what), "enabling VF %u", vf);
    msix_check_cost(&w->ck, what, c, need);
    return rc;
}

static void op_disable_locked(struct msix_world *w, unsigned vf)
{
    struct msix_cost c = msix_check_cost_now(&w->ck);
    struct msix_need need = msix_check_need_disable(&w->ck, vf);
    char what[48];

    vfio_msix_disable(&w->dev[vf]);
    w->enabled[vf] = false;
    snprintf(what, sizeof(what), "disabling VF %u", vf);
    msix_check_cost(&w->ck, what, c, need);
}

static void op_mask_locked(struct msix_world *w, unsigned vf, unsigned j,
                           bool mask)
{
    struct msix_cost c = msix_check_cost_now(&w->ck);
    struct msix_need need = msix_check_need_mask(&w->ck, vf, j, mask);
    char what[64];

    vfio_msix_mask(&w->dev[vf], j, mask);
    w->masked[VEC(w, vf, j)] = mask;
    snprintf(what, sizeof(what), "%s VF %u vector %u",
             mask ? "masking" : "unmasking", vf, j);
    msix_check_cost(&w->ck, what, c, need);
    msix_check_step_locked(&w->ck, what, true);
}

struct storm_actor {
    struct msix_world *w;
    unsigned id;
    struct plat_thread *t;
};

/* A VF's device raises a tape-chosen vector every gap, and every vector
 * once more at the end, until the updaters are done. */
static void storm_device(void *arg)
{
    struct storm_actor *a = arg;
    struct msix_world *w = a->w;

    while (!plat_atomic_load(&w->storm_quiet)) {
        unsigned j = (unsigned)sim_jitter(0, w->vectors - 1);

        /* Counted first: a firing is delivered inside the call. */
        plat_atomic_fetch_add(&w->fired[VEC(w, a->id, j)], 1);
        sim_vfio_fire(w->vdev[a->id], PLAT_VFIO_IRQ_MSIX, j);
        plat_eventfd_signal(&w->doorbell);
        sim_sleep_ns(w->storm_gap_ns);
    }
    for (unsigned j = 0; j < w->vectors; j++) {
        plat_atomic_fetch_add(&w->fired[VEC(w, a->id, j)], 1);
        sim_vfio_fire(w->vdev[a->id], PLAT_VFIO_IRQ_MSIX, j);
    }
    plat_eventfd_signal(&w->doorbell);
}

/* vCPU k masks, then unmasks, its share of each VF's first vectors. */
static void storm_vcpu(void *arg)
{
    struct storm_actor *a = arg;
    struct msix_world *w = a->w;
    unsigned nv = w->storm_vectors < w->vectors ? w->storm_vectors
                                                : w->vectors;

    for (unsigned r = 0; r < w->storm_rounds; r++) {
        for (unsigned vf = 0; vf < w->vfs; vf++) {
            for (unsigned m = 0; m < 2; m++) {
                for (unsigned j = a->id; j < nv; j += w->storm_vcpus) {
                    if (vector_masked(w, j)) {
                        continue;
                    }
                    plat_lock(&w->bql);
                    op_mask_locked(w, vf, j, m == 0);
                    plat_unlock(&w->bql);
                }
            }
        }
    }
}

/* Every VF disabled and enabled again, the lock dropped in between. */
static void storm_reset(void *arg)
{
    struct storm_actor *a = arg;
    struct msix_world *w = a->w;
    char what[48];

    for (unsigned r = 0; r < w->storm_rounds; r++) {
        for (unsigned vf = 0; vf < w->vfs; vf++) {
            plat_lock(&w->bql);
            op_disable_locked(w, vf);
            snprintf(what, sizeof(what), "disabling VF %u", vf);
            msix_check_step_locked(&w->ck, what, true);
            plat_unlock(&w->bql);
            plat_yield();
            plat_lock(&w->bql);
            (void)op_enable_locked(w, vf);
            snprintf(what, sizeof(what), "enabling VF %u", vf);
            msix_check_step_locked(&w->ck, what, true);
            plat_unlock(&w->bql);
        }
    }
}

/* The VMM's event loop: the userspace path of every VF, each time a
 * device rang (the poll of its eventfds, as one doorbell). */
static void storm_event_loop(void *arg)
{
    struct storm_actor *a = arg;
    struct msix_world *w = a->w;
    bool last = false;

    while (!last) {
        unsigned n = 0;

        plat_eventfd_wait(&w->doorbell);
        plat_eventfd_test_and_clear(&w->doorbell);
        last = plat_atomic_load(&w->storm_stop) != 0;
        plat_lock(&w->bql);
        for (unsigned vf = 0; vf < w->vfs; vf++) {
            n += vfio_pci_irq_service(&w->dev[vf]);
        }
        if (n) {
            msix_check_step_locked(&w->ck, "the event loop's pass", false);
        }
        plat_unlock(&w->bql);
    }
}

static void storm_spawn(struct msix_world *w, struct storm_actor *a,
                        const char *name, void (*fn)(void *), unsigned id)
{
    a->w = w;
    a->id = id;
    if (plat_thread_create(&a->t, name, fn, a) < 0) {
        a->t = NULL;
        w->storm_threads_refused++;
    }
}

static void storm_join(struct storm_actor *a, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (a[i].t) {
            plat_thread_join(a[i].t);
        }
    }
}

/* Count firings and deliveries from here (the delivery check fires
 * vectors itself). */
static void storm_baseline(struct msix_world *w)
{
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        for (unsigned j = 0; j < w->vectors; j++) {
            atomic_store(&w->fired[VEC(w, vf, j)].v, 0);
            w->delivered0[VEC(w, vf, j)] = sim_kvm_delivered(
                w->kvm, vector_address(w, j), vector_data(vf, j));
        }
    }
}

/* The event loop, the re-enabler, up to 8 vCPUs and a device per VF. */
#define STORM_ACTORS(vfs) (10 + (size_t)(vfs))

static void storm_run(struct msix_world *w)
{
    struct storm_actor *loop = &w->actors[0], *reset = &w->actors[1];
    struct storm_actor *vcpu = &w->actors[2], *dev = &w->actors[10];
    uint64_t faults0;

    if (w->storm_rounds == 0) {
        return;
    }
    plat_trace_begin("concurrent phase");
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        w->enabled[vf] = true;
        for (unsigned j = 0; j < w->vectors; j++) {
            w->masked[VEC(w, vf, j)] = vector_masked(w, j);
        }
        /* the host index as enabled */
        (void)msix_check_need_enable(&w->ck, vf);
    }
    storm_baseline(w);
    /* Armed before the actors are created: a refused thread is one of
     * the paths (its actor's work is then not done; the event loop's
     * last pass below stands in for a refused event loop). */
    faults0 = sim_fault_injected();
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        if (w->storm_fault[i] > w->run_fault[i]) {
            sim_fault_set_prob((enum plat_fault_site)i, w->storm_fault[i]);
        }
    }
    storm_spawn(w, loop, "vmm event loop", storm_event_loop, 0);
    storm_spawn(w, reset, "vf reset", storm_reset, 0);
    for (unsigned k = 0; k < w->storm_vcpus; k++) {
        storm_spawn(w, &vcpu[k], "vcpu", storm_vcpu, k);
    }
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        storm_spawn(w, &dev[vf], "vf device", storm_device, vf);
    }
    storm_join(vcpu, w->storm_vcpus);
    storm_join(reset, 1);
    plat_atomic_store(&w->storm_quiet, 1);
    storm_join(dev, w->vfs);
    plat_atomic_store(&w->storm_stop, 1);
    plat_eventfd_signal(&w->doorbell);
    storm_join(loop, 1);
    w->storm_faults = sim_fault_injected() - faults0;
    /* Faults stop; a VF whose host refused a trigger is reset (enabled
     * again); then every vector of every VF must work as before. */
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        sim_fault_set_prob((enum plat_fault_site)i, 0);
    }
    sim_fault_fail_nth(PLAT_FAULT_ALLOC, 0, false);
    sim_fault_fail_nth_any(0, false);
    plat_lock(&w->bql);
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        /* The event loop's last pass (its thread may have been refused). */
        vfio_pci_irq_service(&w->dev[vf]);
    }
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        if (w->dev[vf].host_errors != w->herr[vf]) {
            op_disable_locked(w, vf);
            op_enable_locked(w, vf);
            w->storm_recovered++;
        }
    }
    msix_check_step_locked(&w->ck, "the concurrent phase", true);
    plat_unlock(&w->bql);
    plat_trace_end();
}

/* The concurrent phase arms faults of its own (the heal phase follows). */
static bool storm_faults_armed(const struct msix_world *w)
{
    for (unsigned i = 0; w->storm_rounds && i < PLAT_FAULT_NR; i++) {
        if (w->storm_fault[i] > 0) {
            return true;
        }
    }
    return false;
}

/* The heal phase (scenario.h), after the concurrent phase's delivery
 * check: with the faults stopped, within run.heal_ms every VF must be
 * back in its target state - enabled, a VF whose host refused a trigger
 * reset, the kernel's routing table equal to the VMM's unless a change
 * is still staged - and one firing of every unmasked vector must reach the
 * guest.  The checks above are safety; this is convergence. */
static void msix_heal(struct msix_world *w)
{
    uint64_t deadline = scn_heal_begin(w->run, storm_faults_armed(w));
    uint64_t lost = 0, fired = 0;
    char msg[200] = "";
    bool late = false;

    if (!deadline) {
        return;
    }
    plat_trace_begin("heal");
    plat_lock(&w->bql);
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        vfio_pci_irq_service(&w->dev[vf]);
        if (w->dev[vf].host_errors != w->herr[vf]) {
            op_disable_locked(w, vf);
            op_enable_locked(w, vf);
        }
    }
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        for (unsigned j = 0; j < w->vectors; j++) {
            uint64_t before;

            if (w->masked[VEC(w, vf, j)]) {
                continue;
            }
            before = sim_kvm_delivered(w->kvm, vector_address(w, j),
                                       vector_data(vf, j));
            sim_vfio_fire(w->vdev[vf], PLAT_VFIO_IRQ_MSIX, j);
            vfio_pci_irq_service(&w->dev[vf]);
            fired++;
            if (sim_kvm_delivered(w->kvm, vector_address(w, j),
                                  vector_data(vf, j)) != before + 1 &&
                lost++ == 0) {
                snprintf(msg, sizeof(msg), "VF %u vector %u: a firing did "
                         "not reach the guest", vf, j);
            }
        }
    }
    /* Changes a failed commit left staged wait for the next commit, as
     * in QEMU; with none staged the tables must agree. */
    if (!msg[0] && !kvm_routes_dirty(&w->routes) &&
        !msix_check_routes_equal(&w->ck)) {
        snprintf(msg, sizeof(msg), "the kernel's routing table differs "
                 "from the VMM's");
    }
    plat_unlock(&w->bql);
    plat_trace_end();
    if (!msg[0] && plat_now_ns() > deadline) {
        late = true;
        snprintf(msg, sizeof(msg), "converged after the deadline");
    }
    scn_heal_end(w->run, late ? SCN_HEAL_LATE
                 : msg[0] ? SCN_HEAL_STUCK : SCN_HEAL_CONVERGED,
                 "%s (%" PRIu64 " of %" PRIu64 " firings lost)", msg, lost,
                 fired);
}

static void migration_thread(void *arg)
{
    struct msix_world *w = arg;
    char what[48];

    /* The timed part: nothing else runs, and the checks around it read
     * counters only (no scheduling point, no virtual time). */
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        struct msix_cost c = msix_check_cost_now(&w->ck);
        struct msix_need need;
        uint64_t t0;

        program_table(w, vf);
        need = msix_check_need_enable(&w->ck, vf);
        w->herr[vf] = w->dev[vf].host_errors;
        t0 = plat_now_ns();
        if (vfio_msix_enable(&w->dev[vf]) < 0) {
            w->enable_errors++;
        }
        w->enable_ms[vf] = (double)(plat_now_ns() - t0) / 1e6;
        w->enabled[vf] = true;
        snprintf(what, sizeof(what), "enabling VF %u", vf);
        msix_check_cost(&w->ck, what, c, need);
        msix_check_step_locked(&w->ck, what, true);
    }
    msix_check_delivery(&w->ck);
    msix_check_tables(&w->ck);
    storm_run(w);
    if (w->storm_rounds) {
        msix_check_delivery(&w->ck);
    }
    msix_heal(w);
    storm_baseline(w);
    plat_lock(&w->bql);
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        op_disable_locked(w, vf);
        snprintf(what, sizeof(what), "disabling VF %u", vf);
        msix_check_step_locked(&w->ck, what, true);
    }
    msix_check_tables(&w->ck);
    msix_check_leaks(&w->ck);
    for (unsigned c = 0; c < w->cycles; c++) {
        if (op_enable_locked(w, 0) < 0) {
            w->enable_errors++;
        }
        msix_check_step_locked(&w->ck, "enabling VF 0 (cycle)", true);
        op_disable_locked(w, 0);
        msix_check_step_locked(&w->ck, "disabling VF 0 (cycle)", true);
        msix_check_cycle(&w->ck);
    }
    plat_unlock(&w->bql);
}

/* The checker's verdicts, as the run's checks, each when its invariant
 * is on. */
static void msix_report_verdicts(struct msix_world *w)
{
    struct scn_run *r = w->run;
    struct msix_check_verdict v[MSIX_CHECK_VERDICTS];

    msix_check_verdicts(&w->ck, v);
    for (unsigned i = 0; i < MSIX_CHECK_VERDICTS; i++) {
        if (cfg_bool(r->cfg, "invariants", v[i].inv)) {
            scn_check(r, v[i].ok, v[i].inv, "%s", v[i].msg);
        }
    }
}

static int msix_run(struct scn_run *r)
{
    struct msix_world *w = calloc(1, sizeof(*w));
    int rc = -ENOMEM;
    double total = 0;
    uint64_t commits = 0, set_irqs = 0, fallbacks = 0;

    if (!w) {
        return -ENOMEM;
    }
    w->run = r;
    w->batched = strcmp(r->variant, "batched") == 0;
    w->vfs = (unsigned)cfg_int(r->cfg, "workload", "vfs");
    w->vectors = (unsigned)cfg_int(r->cfg, "workload", "vectors");
    w->fires = (unsigned)cfg_int(r->cfg, "workload", "fires");
    w->cycles = (unsigned)cfg_int(r->cfg, "workload", "cycles");
    w->mask_every = (unsigned)cfg_int(r->cfg, "workload", "mask_every");
    w->vcpus = (unsigned)cfg_int(r->cfg, "vm", "vcpus");
    w->storm_rounds = (unsigned)cfg_int(r->cfg, "workload", "storm_rounds");
    w->storm_vcpus = (unsigned)cfg_int(r->cfg, "workload", "storm_vcpus");
    w->storm_vectors = (unsigned)cfg_int(r->cfg, "workload",
                                         "storm_vectors");
    w->storm_gap_ns = (uint64_t)(cfg_double(r->cfg, "workload",
                                            "storm_fire_gap_us") * 1e3);
    {
        static const struct {
            enum plat_fault_site site;
            const char *key;
        } sites[] = {
            {PLAT_FAULT_KVM_SET_GSI_ROUTING, "storm_set_gsi_routing_fault"},
            {PLAT_FAULT_KVM_IRQFD, "storm_irqfd_fault"},
            {PLAT_FAULT_GSI_ALLOC, "storm_gsi_alloc_fault"},
            {PLAT_FAULT_VFIO_SET_IRQS, "storm_vfio_set_irqs_fault"},
            {PLAT_FAULT_THREAD_CREATE, "storm_thread_create_fault"},
            {PLAT_FAULT_ALLOC, "storm_alloc_fault"},
        };

        for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
            w->run_fault[i] = cfg_fault_prob(r->cfg, i);
        }
        for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
            w->storm_fault[sites[i].site] =
                cfg_double(r->cfg, "workload", sites[i].key);
        }
    }
    if ((uint64_t)w->vfs * w->vectors > 4096 - 24) {
        scn_config_error(r, "workload", "vectors",
                         "vfs x vectors = %u needs more GSIs than KVM's "
                         "4096 routes", w->vfs * w->vectors);
        free(w);
        return -EINVAL;
    }
    if (scn_sim_create(r) < 0) {
        free(w);
        return -ENOMEM;
    }
    w->kvm = sim_kvm_create(w->vcpus);
    w->vdev = calloc(w->vfs, sizeof(*w->vdev));
    w->dev = calloc(w->vfs, sizeof(*w->dev));
    w->enable_ms = calloc(w->vfs, sizeof(*w->enable_ms));
    w->masked = calloc((size_t)w->vfs * w->vectors, sizeof(*w->masked));
    w->fired = calloc((size_t)w->vfs * w->vectors, sizeof(*w->fired));
    w->delivered0 = calloc((size_t)w->vfs * w->vectors,
                           sizeof(*w->delivered0));
    w->enabled = calloc(w->vfs, sizeof(*w->enabled));
    w->hi = calloc(w->vfs, sizeof(*w->hi));
    w->herr = calloc(w->vfs, sizeof(*w->herr));
    w->actors = calloc(STORM_ACTORS(w->vfs), sizeof(*w->actors));
    w->ck = (struct msix_check){
        .batched = w->batched, .vfs = w->vfs, .vectors = w->vectors,
        .fires = w->fires, .mask_every = w->mask_every, .vcpus = w->vcpus,
        .kvm = w->kvm, .routes = &w->routes, .vdev = w->vdev, .dev = w->dev,
        .masked = w->masked, .enabled = w->enabled, .hi = w->hi,
        .herr = w->herr, .fired = w->fired, .delivered0 = w->delivered0,
    };
    plat_lock_init(&w->bql, PLAT_LOCK_MUTEX, "bql");
    plat_eventfd_init(&w->doorbell, "event loop doorbell");
    if (!w->kvm || !w->vdev || !w->dev || !w->enable_ms || !w->masked ||
        !w->fired || !w->delivered0 || !w->enabled || !w->hi || !w->herr ||
        !w->actors ||
        kvm_routes_init(&w->routes, w->kvm, 24, 4096) < 0) {
        goto out;
    }
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        for (unsigned j = 0; j < w->vectors; j++) {
            w->masked[VEC(w, vf, j)] = vector_masked(w, j);
        }
        w->vdev[vf] = sim_vfio_create("vf", w->vectors, 0, 0);
        if (!w->vdev[vf] ||
            vfio_pci_irq_init(&w->dev[vf], &w->routes, w->vdev[vf], w->kvm,
                              vf + 1, w->vectors, 0,
                              w->batched ? VFIO_IRQ_BATCHED
                                         : VFIO_IRQ_PER_VECTOR) < 0) {
            goto out;
        }
    }
    if (!sim_spawn(r->sim, "migration", 0, migration_thread, w)) {
        goto out;
    }
    scn_simulate(r);
    if (r->result == SIM_OK) {
        msix_report_verdicts(w);
    }
    for (unsigned vf = 0; vf < w->vfs; vf++) {
        total += w->enable_ms[vf];
        set_irqs += sim_vfio_set_irqs_calls(w->vdev[vf]);
        fallbacks += w->dev[vf].fallbacks;
    }
    commits = sim_kvm_commits(w->kvm);
    scn_metric_array(r, "enable_ms_per_vf", w->enable_ms, w->vfs);
    scn_metric(r, "enable_ms_total", total);
    scn_metric(r, "route_commits", (double)commits);
    scn_metric(r, "vfio_set_irqs_calls", (double)set_irqs);
    scn_metric(r, "vectors_on_userspace_path", (double)fallbacks);
    scn_metric(r, "enable_errors", (double)w->enable_errors);
    scn_metric(r, "storm_threads_refused",
               (double)w->storm_threads_refused);
    scn_metric(r, "storm_vfs_reset", (double)w->storm_recovered);
    scn_metric(r, "storm_faults", (double)w->storm_faults);
    scn_metric(r, "cost_checks_exact", (double)w->ck.cost_exact);
    scn_metric(r, "cost_checks_bound", (double)w->ck.cost_bound);
    scn_metric(r, "delivery_checks_skipped", (double)w->ck.delivery_skipped);
    scn_metric(r, "interrupts_delivered",
               (double)sim_kvm_delivered_total(w->kvm));
    rc = 0;
out:
    if (rc < 0) {
        fprintf(stderr, "kvmsim: msix: out of memory\n");
    }
    for (unsigned vf = 0; w->dev && vf < w->vfs; vf++) {
        if (w->dev[vf].vectors) {
            vfio_pci_irq_destroy(&w->dev[vf]);
        }
        sim_vfio_destroy(w->vdev ? w->vdev[vf] : NULL);
    }
    if (w->routes.table) {
        kvm_routes_destroy(&w->routes);
    }
    sim_kvm_destroy(w->kvm);
    plat_lock_destroy(&w->bql);
    plat_eventfd_destroy(&w->doorbell);
    free(w->masked);
    free(w->fired);
    free(w->delivered0);
    free(w->enabled);
    free(w->hi);
    free(w->herr);
    free(w->actors);
    free(w->enable_ms);
    free(w->dev);
    free(w->vdev);
    free(w);
    return rc;
}

/* ---- compare: fit on the seed's before column, predict after ---- */

#define MSIX_NFIT 2

static const char *const fit_keys[MSIX_NFIT] = {
    "cost.gsi_routing_per_irqfd_ns",
    "cost.vector_use_ns",
};

/* Per-VF enable times (ms) of `variant` with the given fitted constants
 * (ns), other constants as the model has them.  Exit code. */
static int run_with_constants(const struct scn_request *q,
                              const char *variant, const double *theta_ns,
                              double *ms, unsigned nvf)
{
    char buf[MSIX_NFIT + 2][96];
    const char *extra[MSIX_NFIT + 3];
    struct scn_run r;
    const struct scn_metric *m;
    int code;

    for (unsigned i = 0; i < MSIX_NFIT; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%s=%.0f", fit_keys[i],
                 theta_ns[i] < 0 ? 0 : theta_ns[i]);
        extra[i] = buf[i];
    }
    snprintf(buf[MSIX_NFIT], sizeof(buf[0]), "run.variant=%s", variant);
    extra[MSIX_NFIT] = buf[MSIX_NFIT];
    snprintf(buf[MSIX_NFIT + 1], sizeof(buf[0]), "workload.vfs=%u", nvf);
    extra[MSIX_NFIT + 1] = buf[MSIX_NFIT + 1];
    /* The timed part only: the concurrent phase comes after it and does
     * not change these figures. */
    extra[MSIX_NFIT + 2] = "workload.storm_rounds=0";
    code = scn_run_with(q, extra, MSIX_NFIT + 3, &r);
    m = scn_metric_find(&r, "enable_ms_per_vf");
    for (unsigned i = 0; i < nvf; i++) {
        ms[i] = m && i < m->n ? m->v[i] : NAN;
    }
    scn_run_release(&r);
    return code;
}

/* Fit the two constants on the seed's before column; theta in ns. */
int scn_msix_fit(const struct scn_request *q, double *theta)
{
    enum { N = SEED000_VFS };
    double base[N], col[MSIX_NFIT][N], x[N * MSIX_NFIT], y[N];
    double zero[MSIX_NFIT] = {0, 0};
    const double unit = 1000.0; /* ns per probe step */
    int code = 0;

    /* Design matrix: the model's time with both fitted constants at zero,
     * and the extra time one `unit` of each adds. */
    code |= run_with_constants(q, "per-vector", zero, base, N);
    for (unsigned p = 0; p < MSIX_NFIT; p++) {
        double t[MSIX_NFIT] = {0, 0};

        t[p] = unit;
        code |= run_with_constants(q, "per-vector", t, col[p], N);
    }
    for (unsigned i = 0; i < N; i++) {
        for (unsigned p = 0; p < MSIX_NFIT; p++) {
            x[i * MSIX_NFIT + p] = (col[p][i] - base[i]) / unit;
        }
        y[i] = seed000_before_ms[i] - base[i];
    }
    if (code) {
        return code;
    }
    return fit_least_squares(x, y, N, MSIX_NFIT, theta) < 0
               ? KVMSIM_EXIT_USAGE
               : 0;
}

/* The overrides run_with_constants() applies, as report_row.sets. */
static void msix_sets(char *buf, size_t len, const char *variant,
                      const double *theta_ns, unsigned nvf)
{
    snprintf(buf, len, "run.variant=%s workload.vfs=%u "
             "workload.storm_rounds=0 %s=%.0f %s=%.0f", variant, nvf,
             fit_keys[0], theta_ns[0] < 0 ? 0 : theta_ns[0], fit_keys[1],
             theta_ns[1] < 0 ? 0 : theta_ns[1]);
}

/* Record the seed's table and the model's in q->report. */
static void msix_report(const struct scn_request *q, const double *theta,
                        const double *before, const double *after,
                        double tb, double ta, uint64_t run_seed)
{
    struct report *rep = q->report;
    struct report_row row = {.unit = "ms", .metric = "enable_ms_total",
                             .key = "workload.vfs", .x = SEED000_VFS};
    char label[48], sets[256];
    struct cost_model cm;

    if (!rep) {
        return;
    }
    cost_model_default(&cm);
    report_begin(rep, "000", "msix-resume-8vf", run_seed,
                 "VFIO MSI-X enable at migration resume: 128 vCPUs, 8 VFs x "
                 "65 vectors; per-vector route commits (before) vs one "
                 "commit per VF (after)");
    report_fitted(rep, "the before (per-vector) column: %u per-VF enable "
                  "times, 2 constants by least squares", SEED000_VFS);
    report_predicted(rep, "the after (batched) column: %u per-VF enable "
                     "times and their total", SEED000_VFS);
    for (unsigned i = 0; i < SEED000_VFS; i++) {
        struct report_row r = {.table = "vfio_msix_enable per VF",
                               .label = label, .unit = "ms"};

        snprintf(label, sizeof(label), "VF %u (%u irqfds)", i + 1,
                 seed000_irqfds[i]);
        r.variant = "per-vector";
        r.published = seed000_before_ms[i];
        r.model = before[i];
        r.role = REPORT_FITTED;
        report_add(rep, &r);
        r.variant = "batched";
        r.published = seed000_after_ms[i];
        r.model = after[i];
        r.role = REPORT_PREDICTED;
        report_add(rep, &r);
    }
    row.table = "total over the 8 VFs";
    row.label = "total of 8 VFs";
    row.sets = sets;
    row.variant = "per-vector";
    row.published = SEED000_BEFORE_TOTAL_MS;
    row.model = tb;
    row.role = REPORT_FITTED;
    msix_sets(sets, sizeof(sets), row.variant, theta, SEED000_VFS);
    report_add(rep, &row);
    row.variant = "batched";
    row.published = SEED000_AFTER_TOTAL_MS;
    row.model = ta;
    row.role = REPORT_PREDICTED;
    row.headline = true;
    msix_sets(sets, sizeof(sets), row.variant, theta, SEED000_VFS);
    report_add(rep, &row);
    {
        char src[320];
        int n = snprintf(src, sizeof(src), REPORT_SOURCE_FITTED "the "
                         "published before column (per-vector, ms):");

        for (unsigned i = 0; i < SEED000_VFS && n > 0 &&
                             (size_t)n < sizeof(src); i++) {
            n += snprintf(src + n, sizeof(src) - (size_t)n, " %g",
                          seed000_before_ms[i]);
        }
        report_param(rep, "KVM_SET_GSI_ROUTING per assigned irqfd "
                     "(virt/kvm/eventfd.c kvm_irq_routing_update(): "
                     "irqfd_update() + bypass routing update per irqfd)",
                     theta[0], "ns", src);
        report_param(rep, "VMM setup per vector", theta[1], "ns", src);
        snprintf(src, sizeof(src), REPORT_SOURCE_MEASURED
                 "bench/bench_routes (copy, allocate, link and free one "
                 "route entry, 520 routes) on %s", COST_MACHINE);
        report_param(rep, "KVM_SET_GSI_ROUTING per route "
                     "(virt/kvm/irqchip.c kvm_set_irq_routing(): "
                     "setup_routing_entry() per entry, "
                     "free_irq_routing_table() of the old)",
                     (double)cm.gsi_routing_per_route_ns, "ns", src);
    }
    report_param(rep, "KVM_SET_GSI_ROUTING base (ioctl + "
                 "synchronize_srcu_expedited())",
                 (double)cm.gsi_routing_base_ns, "ns", REPORT_SOURCE_ASSUMED);
    report_param(rep, "KVM_IRQFD", (double)cm.irqfd_assign_ns, "ns",
                 REPORT_SOURCE_ASSUMED);
    report_param(rep, "VFIO_DEVICE_SET_IRQS base",
                 (double)cm.vfio_set_irqs_base_ns, "ns",
                 REPORT_SOURCE_ASSUMED);
    report_param(rep, "VFIO_DEVICE_SET_IRQS per vector",
                 (double)cm.vfio_set_irqs_per_vector_ns, "ns",
                 REPORT_SOURCE_ASSUMED);
    report_note(rep, "reduction of the total: published %.1f%%, model "
                "%.1f%%",
                100.0 * (1 - SEED000_AFTER_TOTAL_MS /
                             SEED000_BEFORE_TOTAL_MS),
                100.0 * (1 - ta / tb));
}

/* One row of the scaling table in q->report (model only). */
static void msix_report_scale(const struct scn_request *q,
                              const char *variant, const double *theta,
                              unsigned vfs, double total_ms)
{
    char label[32], sets[256];
    struct report_row row = {
        .table = "scaling: total enable time by VF count (65 vectors each)",
        .label = label, .variant = variant, .published = NAN,
        .model = total_ms, .unit = "ms", .role = REPORT_MODEL_ONLY,
        .metric = "enable_ms_total", .key = "workload.vfs", .x = vfs,
        .sets = sets,
    };

    snprintf(label, sizeof(label), "%u VFs", vfs);
    msix_sets(sets, sizeof(sets), variant, theta, vfs);
    report_add(q->report, &row);
}

/* Total enable time over `vfs` VFs for a variant, with fitted constants. */
static double scaled_total(const struct scn_request *q, const char *variant,
                           const double *theta, unsigned vfs)
{
    double ms[64], t = 0;

    if (vfs > 64 || run_with_constants(q, variant, theta, ms, vfs) != 0) {
        return NAN;
    }
    for (unsigned i = 0; i < vfs; i++) {
        t += ms[i];
    }
    return t;
}

/* What the route/irqfd split of a commit moves: refit with every route
 * cost folded into the per-irqfd price (per route 0, as before the split)
 * and print the after total beside the split model's.  The before column
 * fixes the sum of the two prices and a per-VF constant; the batched
 * commit's dependence on the split is 65 x the per-route price per VF,
 * which that per-VF constant (the VMM's setup per vector) offsets. */
static void msix_split_check(const struct scn_request *q, double ta)
{
    struct scn_request q0 = *q;
    double theta0[MSIX_NFIT], after0[SEED000_VFS], t0 = 0;

    if (q0.nsets >= SCN_MAX_SETS) {
        return;
    }
    q0.sets[q0.nsets++] = "cost.gsi_routing_per_route_ns=0";
    q0.report = NULL;
    if (scn_msix_fit(&q0, theta0) != 0 ||
        run_with_constants(&q0, "batched", theta0, after0, SEED000_VFS) !=
            0) {
        return;
    }
    for (unsigned i = 0; i < SEED000_VFS; i++) {
        t0 += after0[i];
    }
    report_note(q->report, "split check: with the route cost folded into "
                "the per-irqfd price (per route 0, refitted) the after total "
                "is %.2f ms; the split moves it by %+.3f ms", t0, ta - t0);
}

static int msix_compare(const struct scn_request *q,
                        struct scn_run *const *runs, size_t nruns)
{
    enum { N = SEED000_VFS };
    static const unsigned scale_vfs[] = {1, 2, 4, 8, 16, 32};
    double theta[MSIX_NFIT];
    double before[N], after[N], tb = 0, ta = 0, abs_err = 0;
    struct cost_model cm;
    int code;

    code = scn_msix_fit(q, theta);
    if (code) {
        fprintf(stderr, "msix-resume-8vf: the fit failed (exit %d)\n",
                code);
        return code;
    }
    code |= run_with_constants(q, "per-vector", theta, before, N);
    code |= run_with_constants(q, "batched", theta, after, N);
    cost_model_default(&cm);

    for (unsigned i = 0; i < N; i++) {
        tb += before[i];
        ta += after[i];
        abs_err += fabs(after[i] - seed000_after_ms[i]);
    }
    msix_report(q, theta, before, after, tb, ta,
                nruns ? runs[0]->seed : 0);
    report_note(q->report, "mean absolute error of the after column: "
                "%.2f ms per VF", abs_err / N);
    msix_split_check(q, ta);
    for (size_t i = 0; i < sizeof(scale_vfs) / sizeof(scale_vfs[0]); i++) {
        double pv = scaled_total(q, "per-vector", theta, scale_vfs[i]);
        double bt = scaled_total(q, "batched", theta, scale_vfs[i]);

        msix_report_scale(q, "per-vector", theta, scale_vfs[i], pv);
        msix_report_scale(q, "batched", theta, scale_vfs[i], bt);
    }
    report_note(q->report, "scaling: per-vector, a commit per vector, each "
                "walking every irqfd so far, grows with the square of the "
                "VF count; batched, one commit per VF: the per-vector setup "
                "(linear) dominates, with a quadratic term %u times "
                "smaller", SEED000_VECTORS);
    return code;
}

/* [cost] keys: the model constants this world prices. */
static const struct scn_cost_key msix_cost[] = {
    {"gsi_routing_base_ns", "gsi_routing_base_ns", "ns", NAN, NULL,
     "KVM_SET_GSI_ROUTING fixed cost"},
    {"gsi_routing_per_route_ns", "gsi_routing_per_route_ns", "ns", NAN, NULL,
     "KVM_SET_GSI_ROUTING cost per route"},
    {"gsi_routing_per_irqfd_ns", "gsi_routing_per_irqfd_ns", "ns", NAN, NULL,
     "KVM_SET_GSI_ROUTING cost per assigned irqfd"},
    {"irqfd_assign_ns", "irqfd_assign_ns", "ns", NAN, NULL,
     "KVM_IRQFD cost"},
    {"vfio_set_irqs_base_ns", "vfio_set_irqs_base_ns", "ns", NAN, NULL,
     "VFIO_DEVICE_SET_IRQS fixed cost"},
    {"vfio_set_irqs_per_vector_ns", "vfio_set_irqs_per_vector_ns", "ns", NAN,
     NULL, "VFIO_DEVICE_SET_IRQS cost per vector"},
    {"vector_use_ns", "vfio_vector_use_ns", "ns", NAN, NULL,
     "VMM setup of one vector"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const struct scn_driver scn_msix_driver = {
    .name = "msix-resume-8vf",
    .summary = "seed 000: VFIO MSI-X setup at migration resume, route "
               "commit per vector vs per batch",
    .variants = msix_variants,
    .keys = msix_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC) |
                   SCN_FAULT(PLAT_FAULT_THREAD_CREATE) |
                   SCN_FAULT(PLAT_FAULT_KVM_SET_GSI_ROUTING) |
                   SCN_FAULT(PLAT_FAULT_KVM_IRQFD) |
                   SCN_FAULT(PLAT_FAULT_VFIO_SET_IRQS) |
                   SCN_FAULT(PLAT_FAULT_GSI_ALLOC),
    .cost = msix_cost,
    .run = msix_run,
    .compare = msix_compare,
};

SIM_TSAN_ENGINE_END
