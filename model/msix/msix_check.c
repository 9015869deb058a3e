/*
 * model/msix/msix_check.c - the checks of the msix-resume-8vf driver:
 * delivery, the per-step checks and the cost model of an operation (see
 * msix_check.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "model/msix/msix_check.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tsan.h"

/* The world's own state is not instrumented (sim/tsan.h); see
 * scenarios/msix/msix_driver.c. */
SIM_TSAN_ENGINE_BEGIN

#define VEC MSIX_VEC

uint64_t msix_check_vector_address(const struct msix_check *ck, unsigned j)
{
    return 0xfee00000ull | ((uint64_t)(j % ck->vcpus) << 12);
}

uint32_t msix_check_vector_data(unsigned vf, unsigned j)
{
    return (uint32_t)(vf << 11 | j);
}

bool msix_check_vector_masked(const struct msix_check *ck, unsigned j)
{
    return ck->mask_every && j % ck->mask_every == ck->mask_every - 1;
}

/* The kernel's route for gsi (its table is sorted by GSI), or NULL. */
static const struct plat_msi_route *kernel_route(const struct msix_check *ck,
                                                 int gsi)
{
    const struct plat_msi_route *k;
    unsigned lo = 0, hi = sim_kvm_routes(ck->kvm, &k);

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;

        if ((int)k[mid].gsi == gsi) {
            return &k[mid];
        }
        if ((int)k[mid].gsi < gsi) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

bool msix_check_routes_equal(struct msix_check *ck)
{
    const struct plat_msi_route *k;
    unsigned nk = sim_kvm_routes(ck->kvm, &k);
    struct kvm_routes *t = ck->routes;

    if (nk != t->n) {
        return false;
    }
    for (unsigned i = 0; i < t->n; i++) {
        const struct plat_msi_route *e = &t->table[i];
        const struct plat_msi_route *r = kernel_route(ck, (int)e->gsi);

        if (!r || r->address != e->address || r->data != e->data ||
            r->devid != e->devid) {
            return false;
        }
    }
    return true;
}

/* Every vector of every VF fires and must reach the guest exactly once
 * per firing.  A VF whose host refused a trigger three times since its
 * last enable is skipped: that vector is never signalled, by design,
 * until the VF is enabled again. */
void msix_check_delivery(struct msix_check *ck)
{
    for (unsigned vf = 0; vf < ck->vfs; vf++) {
        for (unsigned j = 0; j < ck->vectors; j++) {
            uint64_t addr = msix_check_vector_address(ck, j);
            uint32_t data = msix_check_vector_data(vf, j);
            uint64_t before = sim_kvm_delivered(ck->kvm, addr, data);
            bool masked = msix_check_vector_masked(ck, j);
            uint64_t want = masked ? (ck->fires ? 1 : 0) : ck->fires;
            uint64_t got;

            if (ck->dev[vf].host_errors != ck->herr[vf]) {
                break;
            }
            if (masked) {
                /* The guest sets the vector up, masks it, the device
                 * fires: pending, delivered once on unmask.  (A device
                 * only raises vectors the guest has set up.) */
                vfio_msix_mask(&ck->dev[vf], j, false);
                vfio_msix_mask(&ck->dev[vf], j, true);
                before = sim_kvm_delivered(ck->kvm, addr, data);
            }
            for (unsigned f = 0; f < ck->fires; f++) {
                sim_vfio_fire(ck->vdev[vf], PLAT_VFIO_IRQ_MSIX, j);
                vfio_pci_irq_service(&ck->dev[vf]);
            }
            if (masked) {
                vfio_msix_mask(&ck->dev[vf], j, false);
            }
            got = sim_kvm_delivered(ck->kvm, addr, data) - before;
            if (masked) {
                vfio_msix_mask(&ck->dev[vf], j, true);
            }
            if (ck->dev[vf].host_errors != ck->herr[vf]) {
                break; /* the host gave up on a trigger meanwhile */
            }
            ck->expected += want;
            ck->missing += got < want ? want - got : 0;
            ck->extra += got > want ? got - want : 0;
        }
        ck->delivery_skipped += ck->dev[vf].host_errors != ck->herr[vf];
    }
}

static void storm_fail(struct msix_check *ck, enum msix_storm_inv inv,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void storm_fail(struct msix_check *ck, enum msix_storm_inv inv,
                       const char *fmt, ...)
{
    va_list ap;

    if (ck->storm_fail[inv]++ == 0) {
        va_start(ap, fmt);
        vsnprintf(ck->storm_first[inv], sizeof(ck->storm_first[inv]), fmt,
                  ap);
        va_end(ap);
    }
    plat_trace_instant("msix check failed", (int64_t)inv);
}

/* GSI of the irqfd on vector j of VF vf in the kernel, or -1. */
static int kernel_irqfd(const struct msix_check *ck, unsigned vf, unsigned j)
{
    return sim_kvm_irqfd_gsi(ck->kvm, &ck->dev[vf].vectors[j].kvm_interrupt);
}

/* Every check, every VF, every vector; `what` names the step.  After a
 * step that changes no route or irqfd (the event loop's), routes and
 * irqfds are not walked again. */
void msix_check_step_locked(struct msix_check *ck, const char *what,
                              bool routing)
{
    bool clean = !kvm_routes_dirty(ck->routes);

    if (sim_kvm_bound_before_route(ck->kvm) || sim_kvm_dropped(ck->kvm)) {
        storm_fail(ck, MSIX_STORM_BIND, "after %s: %" PRIu64 " irqfds bound "
                   "before their route, %" PRIu64 " MSIs dropped", what,
                   sim_kvm_bound_before_route(ck->kvm),
                   sim_kvm_dropped(ck->kvm));
    }
    if (routing && clean && !msix_check_routes_equal(ck)) {
        storm_fail(ck, MSIX_STORM_TABLES, "after %s: the kernel's routing "
                   "table differs from the VMM's cache", what);
    }
    for (unsigned vf = 0; vf < ck->vfs; vf++) {
        for (unsigned j = 0; j < ck->vectors; j++) {
            uint64_t addr = msix_check_vector_address(ck, j);
            uint32_t data = msix_check_vector_data(vf, j);
            uint64_t got = sim_kvm_delivered(ck->kvm, addr, data) -
                           ck->delivered0[VEC(ck, vf, j)];
            uint64_t fired = atomic_load(&ck->fired[VEC(ck, vf, j)].v);
            int gsi;
            const struct plat_msi_route *r;

            if (got > fired) {
                storm_fail(ck, MSIX_STORM_EXTRA, "after %s: VF %u vector %u "
                           "delivered %" PRIu64 " times, fired %" PRIu64,
                           what, vf, j, got, fired);
            }
            if (!routing) {
                continue;
            }
            gsi = kernel_irqfd(ck, vf, j);
            if (gsi >= 0 && !ck->enabled[vf]) {
                storm_fail(ck, MSIX_STORM_LEAK, "after %s: VF %u is "
                           "disabled but vector %u keeps an irqfd on GSI "
                           "%d", what, vf, j, gsi);
            }
            if (gsi < 0 || !clean) {
                continue;
            }
            r = kernel_route(ck, gsi);
            if (!r || r->address != addr || r->data != data ||
                r->devid != vf + 1) {
                storm_fail(ck, MSIX_STORM_TABLES, "after %s: VF %u vector "
                           "%u's irqfd is on GSI %d, whose route %s the "
                           "guest's message", what, vf, j, gsi,
                           r ? "is not" : "is missing, not");
            }
        }
    }
}

struct msix_cost msix_check_cost_now(struct msix_check *ck)
{
    struct msix_cost c = {
        sim_fault_hits(PLAT_FAULT_KVM_SET_GSI_ROUTING),
        sim_fault_hits(PLAT_FAULT_VFIO_SET_IRQS),
        sim_fault_injected_at(PLAT_FAULT_GSI_ALLOC),
        sim_fault_injected_at(PLAT_FAULT_VFIO_SET_IRQS),
        /* staged: the core's flag, or the checker's own view (the
         * kernel's table differs from the VMM's), so a flag the core lost
         * still expects its commit.  A flag raised without cause would
         * make an extra commit look expected: tables_equal and the
         * differential cost model (msix_diff) judge that case. */
        kvm_routes_dirty(ck->routes) || !msix_check_routes_equal(ck),
    };

    return c;
}

static uint64_t need_commits(struct msix_need n, bool staged, uint64_t g)
{
    uint64_t added = n.adds > g ? n.adds - g : 0;

    switch (n.rule) {
    case COMMITS_PER_ADD:
        return added;
    case COMMITS_BATCH:
        return n.adds && (added || staged) ? 1 : 0;
    case COMMITS_RELEASE:
        return n.adds || staged ? 1 : 0;
    case COMMITS_FLUSH:
        return staged ? 1 : 0;
    default:
        return 0;
    }
}

/* Commits are compared exactly.  SET_IRQS: each call is tried until it
 * succeeds, at most three times, so with f failed attempts and no call
 * that gave up the attempts are calls + f exactly.  A call gives up only
 * after three failed attempts, and which attempts belong to which call is
 * not visible from the counts the simulator keeps (only their totals per
 * operation), so once f >= 3 up to f / 3 calls may have given up, each
 * one attempt fewer: calls + f - f / 3 .. calls + f is then the strongest
 * statement the totals support. */
void msix_check_cost(struct msix_check *ck, const char *what,
                       struct msix_cost before, struct msix_need need)
{
    struct msix_cost now = msix_check_cost_now(ck);
    uint64_t commits = now.commits - before.commits;
    uint64_t irqs = now.set_irqs - before.set_irqs;
    uint64_t g = now.gsi_refused - before.gsi_refused;
    uint64_t f = now.irqs_failed - before.irqs_failed;
    uint64_t want = need_commits(need, before.staged, g);
    uint64_t hi = need.set_irqs + f, lo = hi - f / 3;
    bool ok = commits == want && irqs >= lo && irqs <= hi;

    if (f >= 3) {
        ck->cost_bound++;
    } else {
        ck->cost_exact++;
    }
    if (!ok) {
        storm_fail(ck, MSIX_STORM_COST, "%s: %" PRIu64 " KVM_SET_GSI_ROUTING"
                   " and %" PRIu64 " VFIO_DEVICE_SET_IRQS attempts; the "
                   "model needs %" PRIu64 " and %" PRIu64 "..%" PRIu64
                   " (%" PRIu64 " GSIs refused, %" PRIu64 " SET_IRQS "
                   "attempts failed, changes %sstaged before)", what,
                   commits, irqs, want, lo, hi, g, f,
                   before.staged ? "" : "not ");
    }
}

/* Enabling MSI-X of a disabled VF: the host's MSI-X index is enabled up
 * to each unmasked vector.  Per vector: a commit per vector, and the host
 * index re-enabled (disable + enable) whenever it must grow, else one
 * trigger change; first vector 0 on the userspace path (disable +
 * enable).  Batched: one commit, one enable of the index (or vector 0
 * alone when nothing is unmasked). */
struct msix_need msix_check_need_enable(struct msix_check *ck, unsigned vf)
{
    struct msix_need n = {COMMITS_NONE, 0, 0};
    unsigned u = 0, hi = 1;

    for (unsigned j = 0; j < ck->vectors; j++) {
        if (ck->masked[VEC(ck, vf, j)]) {
            continue;
        }
        u++;
        if (j < hi) {
            n.set_irqs += 1;
        } else {
            n.set_irqs += 2;
            hi = j + 1;
        }
    }
    ck->hi[vf] = hi;
    n.adds = u;
    if (ck->batched) {
        n.rule = COMMITS_BATCH;
        n.set_irqs = u ? 1 : 2;
    } else {
        n.rule = COMMITS_PER_ADD;
        n.set_irqs += 2;
    }
    return n;
}

/* Disabling: the host index off once, every unmasked vector with a route
 * moved to the userspace path first (the notifiers' release), one commit
 * when any route goes. */
struct msix_need msix_check_need_disable(struct msix_check *ck, unsigned vf)
{
    struct msix_need n = {COMMITS_RELEASE, 0, 1};

    for (unsigned j = 0; j < ck->vectors; j++) {
        if (kernel_irqfd(ck, vf, j) < 0) {
            continue;
        }
        n.adds++;
        n.set_irqs += ck->masked[VEC(ck, vf, j)] ? 0 : 1;
    }
    return n;
}

/* Masking a vector with a route moves its trigger (one SET_IRQS); its
 * route stays.  Unmasking a routed vector moves it back (the message did
 * not change: no commit); one without a route gets one (a commit) and
 * the host index grows when it must. */
struct msix_need msix_check_need_mask(struct msix_check *ck, unsigned vf,
                                  unsigned j, bool mask)
{
    struct msix_need n = {COMMITS_NONE, 0, 0};
    bool routed = kernel_irqfd(ck, vf, j) >= 0;

    if (!ck->enabled[vf]) {
        return n;
    }
    if (mask) {
        n.set_irqs = routed ? 1 : 0;
        return n;
    }
    n.rule = routed ? COMMITS_FLUSH : COMMITS_PER_ADD;
    n.adds = routed ? 0 : 1;
    n.set_irqs = j < ck->hi[vf] ? 1 : 2;
    if (j >= ck->hi[vf]) {
        ck->hi[vf] = j + 1;
    }
    return n;
}
void msix_check_tables(struct msix_check *ck)
{
    if (!kvm_routes_dirty(ck->routes) && !msix_check_routes_equal(ck)) {
        ck->tables_differ++;
    }
}

void msix_check_leaks(struct msix_check *ck)
{
    ck->leaked_gsis = kvm_routes_allocated(ck->routes);
    ck->leaked_irqfds = sim_kvm_nirqfds(ck->kvm);
    ck->leaked_routes = ck->routes->n;
}

void msix_check_cycle(struct msix_check *ck)
{
    if (kvm_routes_allocated(ck->routes) != 0) {
        ck->cycle_leaks++;
    }
}

void msix_check_verdicts(const struct msix_check *ck,
                         struct msix_check_verdict v[MSIX_CHECK_VERDICTS])
{
    static const char *const inv[MSIX_STORM_NR] = {
        "commit_before_bind", "tables_equal", "delivery", "no_leak", "cost",
    };
    unsigned n = 0;

    for (unsigned i = 0; i < MSIX_STORM_NR; i++, n++) {
        v[n].inv = inv[i];
        v[n].ok = ck->storm_fail[i] == 0;
        snprintf(v[n].msg, sizeof(v[n].msg), "%s (%" PRIu64
                 " failed checks)", ck->storm_first[i], ck->storm_fail[i]);
    }
    v[n].inv = "delivery";
    v[n].ok = ck->missing == 0 && ck->extra == 0;
    snprintf(v[n].msg, sizeof(v[n].msg), "%" PRIu64 " firings lost, %"
             PRIu64 " delivered twice, of %" PRIu64, ck->missing, ck->extra,
             ck->expected);
    n++;
    v[n].inv = "tables_equal";
    v[n].ok = ck->tables_differ == 0;
    snprintf(v[n].msg, sizeof(v[n].msg),
             "kernel routing table differs from the VMM's cache");
    n++;
    v[n].inv = "commit_before_bind";
    v[n].ok = sim_kvm_bound_before_route(ck->kvm) == 0 &&
              sim_kvm_dropped(ck->kvm) == 0;
    snprintf(v[n].msg, sizeof(v[n].msg), "%" PRIu64 " irqfds bound before "
             "their route, %" PRIu64 " interrupts dropped for want of a "
             "route", sim_kvm_bound_before_route(ck->kvm),
             sim_kvm_dropped(ck->kvm));
    n++;
    v[n].inv = "no_leak";
    v[n].ok = ck->leaked_gsis == 0 && ck->leaked_irqfds == 0 &&
              ck->leaked_routes == 0 && ck->cycle_leaks == 0;
    snprintf(v[n].msg, sizeof(v[n].msg), "after disable: %" PRIu64
             " GSIs, %" PRIu64 " irqfds, %" PRIu64 " routes; %" PRIu64
             " leaking cycles", ck->leaked_gsis, ck->leaked_irqfds,
             ck->leaked_routes, ck->cycle_leaks);
}

SIM_TSAN_ENGINE_END
