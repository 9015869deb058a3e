/*
 * model/msix/msix_check.h - the checks of the msix-resume-8vf driver
 * (scenarios/msix/msix_driver.c): the delivery check (every vector of
 * every VF fires and must reach the guest exactly once per firing), the
 * per-step checks of the concurrent phase (commit_before_bind,
 * tables_equal, no extra delivery, no_leak) and the cost model of an
 * operation (the KVM_SET_GSI_ROUTING and VFIO_DEVICE_SET_IRQS calls it
 * needs, worked out from the guest's table) with its check.  The driver
 * owns the world and points the checker at it (struct msix_check); the
 * checker keeps the counts and first messages and returns its verdicts
 * (msix_check_verdicts()), which the driver reports.  The rules are
 * restated from the guest's table and the simulated KVM (sim/kvm.h),
 * never from core/vfio_pci_irq.c's own predicates.
 */
#ifndef KVMSIM_CHECK_MSIX_H
#define KVMSIM_CHECK_MSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kvm_routes.h"
#include "core/platform.h"
#include "core/vfio_pci_irq.h"

/* What the concurrent phase checks after every step (storm_check_*). */
enum msix_storm_inv {
    MSIX_STORM_BIND = 0,  /* commit_before_bind */
    MSIX_STORM_TABLES,    /* tables_equal, and kernel route == guest msg */
    MSIX_STORM_EXTRA,     /* delivery: never more MSIs than firings */
    MSIX_STORM_LEAK,      /* no_leak: a disabled VF holds no route/irqfd */
    MSIX_STORM_COST,      /* cost: commits and SET_IRQS per operation */
    MSIX_STORM_NR
};

/* The world as the checker sees it (set by the driver; the arrays are the
 * driver's), and the checker's counts. */
struct msix_check {
    bool batched;
    unsigned vfs, vectors, fires, mask_every, vcpus;
    struct plat_kvm *kvm;
    struct kvm_routes *routes;
    struct plat_vfio_dev **vdev;
    struct vfio_pci_irq *dev;
    bool *masked;                  /* [vf * vectors + j]: the guest's view */
    bool *enabled;                 /* [vf]: the guest's MSI-X enable bit */
    unsigned *hi;                  /* [vf]: vectors the host has enabled */
    uint64_t *herr;                /* [vf]: host errors at its last enable */
    plat_atomic64 *fired;          /* [vf * vectors + j]: device firings */
    uint64_t *delivered0;          /* guest MSIs before the phase */
    /* results */
    uint64_t expected, missing, extra;
    uint64_t tables_differ, leaked_gsis, leaked_irqfds, leaked_routes;
    uint64_t cycle_leaks;
    uint64_t delivery_skipped;     /* VF checks skipped: host gave up */
    uint64_t cost_exact, cost_bound;     /* operations checked either way */
    uint64_t storm_fail[MSIX_STORM_NR];
    char storm_first[MSIX_STORM_NR][200];
};

#define MSIX_VEC(ck, vf, j) ((size_t)(vf) * (ck)->vectors + (j))

/* The guest's message of vector j (of VF vf) and whether the guest
 * leaves it masked (workload.mask_every). */
uint64_t msix_check_vector_address(const struct msix_check *ck, unsigned j);
uint32_t msix_check_vector_data(unsigned vf, unsigned j);
bool msix_check_vector_masked(const struct msix_check *ck, unsigned j);

/* The kernel's routing table equals the VMM's cache. */
bool msix_check_routes_equal(struct msix_check *ck);

/* Fire every vector of every VF (ck->fires times) and count the
 * deliveries against the firings (expected, missing, extra). */
void msix_check_delivery(struct msix_check *ck);

/* Every per-step check, every VF, every vector, after the step `what`;
 * routing: the step may have changed routes or irqfds. */
void msix_check_step_locked(struct msix_check *ck, const char *what,
                            bool routing);

/* After the VFs were disabled: tables_differ when the tables disagree
 * with nothing staged; the GSIs, irqfds and routes left. */
void msix_check_tables(struct msix_check *ck);
void msix_check_leaks(struct msix_check *ck);
/* After an enable/disable cycle: a GSI still allocated. */
void msix_check_cycle(struct msix_check *ck);

/* The expensive calls so far: attempts, failed ones included, and the
 * faults injected at the sites that decide an operation's cost. */
struct msix_cost {
    uint64_t commits, set_irqs;
    uint64_t gsi_refused, irqs_failed;
    bool staged;  /* route changes not yet committed (a failed commit, a
                   * release after the last commit) */
};

struct msix_cost msix_check_cost_now(struct msix_check *ck);

/* How an operation's KVM_SET_GSI_ROUTING calls follow from what happened
 * in it.  A commit call is made only when there is something to commit;
 * a change staged before the operation (`staged`) rides on its first
 * call, or makes one where the operation calls commit with nothing of its
 * own.  g is the GSI allocations refused during the operation: such a
 * vector stays on the userspace path and adds no route.  A failed commit
 * or irqfd assign changes no count here (the vector falls back after the
 * call was made; the route it releases is staged for the next). */
enum msix_commit_rule {
    COMMITS_NONE = 0,   /* masking; any change of a disabled VF */
    COMMITS_PER_ADD,    /* a commit after each route added: adds - g */
    COMMITS_BATCH,      /* one batch over `adds` vectors: 1 if a route
                         * was added or one was staged, 0 when no vector
                         * asked (the batch is not committed at all) */
    COMMITS_RELEASE,    /* disable: 1 if it released a route (`adds`) or
                         * one was staged */
    COMMITS_FLUSH,      /* a routed vector's unmask: 1 if staged */
};

/* What one operation needs: its commit rule and the VFIO_DEVICE_SET_IRQS
 * calls, which no fault of this scenario changes in number. */
struct msix_need {
    enum msix_commit_rule rule;
    uint64_t adds, set_irqs;
};

/* What enabling, disabling, (un)masking needs (msix_check_need_enable()
 * also records the host index the enable leaves, ck->hi[vf]). */
struct msix_need msix_check_need_enable(struct msix_check *ck, unsigned vf);
struct msix_need msix_check_need_disable(struct msix_check *ck, unsigned vf);
struct msix_need msix_check_need_mask(struct msix_check *ck, unsigned vf,
                                      unsigned j, bool mask);

/* Compare the calls made since `before` with what `need` needs. */
void msix_check_cost(struct msix_check *ck, const char *what,
                     struct msix_cost before, struct msix_need need);

/* One invariant's verdict: its [invariants] key, and the message. */
struct msix_check_verdict {
    const char *inv;
    bool ok;
    char msg[512];
};

#define MSIX_CHECK_VERDICTS (MSIX_STORM_NR + 4)

/* The verdicts of a finished run, in the order they are reported: the
 * per-step invariants, then delivery, tables_equal, commit_before_bind
 * and no_leak over the whole run. */
void msix_check_verdicts(const struct msix_check *ck,
                         struct msix_check_verdict v[MSIX_CHECK_VERDICTS]);

#endif
