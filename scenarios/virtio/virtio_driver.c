/*
 * scenarios/virtio/virtio_driver.c - seed 001: virtio-pci virtqueue notify,
 * synchronous heavyweight exits (variant sync) or ioeventfd with the queue
 * processed by the iothread (variant ioeventfd).
 *
 * virtio-blk-mq: several vCPUs, one request queue each, keep a few block
 * requests in flight on a disk with modelled latency.  virtio-net-tx: one
 * vCPU streams packets on the transmit queue.  Both run host transitions
 * meanwhile (VM stop/resume, vhost-style grab/release, migration) and check
 * the invariants of scenarios/virtio/virtio_world.h.
 *
 * The seed reports its gains in words only ("virtio-blk throughput
 * increases especially for multithreaded scenarios and virtio-net transmit
 * throughput increases substantially"): there is nothing to fit, so every
 * cost below is an assumption, and `kvmsim compare` prints them next to
 * the figures they produce.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cost.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"
#include "scenarios/virtio/virtio_world.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, checker records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

static const char *const virtio_variants[] = {"sync", "ioeventfd", NULL};
static const char *const transport_choices[] = {"legacy", "modern", NULL};

/* Rows both scenarios share; defaults that differ are parameters. */
#define VIRTIO_KEYS(QSIZE, DEPTH, REQS, THINK, RREADS)                        \
    {"workload", "transport", CFG_ENUM, "legacy", 0, 0, transport_choices,    \
     "legacy: PIO QUEUE_NOTIFY (2 bytes, datamatch); modern: MMIO "           \
     "per-queue notify"},                                                     \
    {"workload", "any_length", CFG_BOOL, "true", 0, 0, NULL,                  \
     "KVM offers length-0 ioeventfds (modern notify then uses length 0)"},    \
    {"workload", "queue_size", CFG_INT, QSIZE, 4, 1024, NULL,                 \
     "descriptors per ring (a power of two)"},                                \
    {"workload", "iodepth", CFG_INT, DEPTH, 1, 1024, NULL,                    \
     "requests a vCPU keeps in flight (capped by the ring)"},                 \
    {"workload", "requests", CFG_INT, REQS, 1, 10000000, NULL,                \
     "requests (packets) each vCPU submits"},                                 \
    {"workload", "vm_stops", CFG_INT, "2", 0, 1000, NULL,                     \
     "VM stop/resume cycles during the run"},                                 \
    {"workload", "vhost_cycles", CFG_INT, "2", 0, 1000, NULL,                 \
     "vhost-style grab/release cycles of the host notifiers"},                \
    {"workload", "migrations", CFG_INT, "1", 0, 1000, NULL,                   \
     "migrations (stop, save, load into a new VMM and KVM, resume)"},         \
    {"workload", "transition_gap_us", CFG_INT, "2000", 1, 1e9, NULL,          \
     "virtual time between two host transitions"},                            \
    {"workload", "think_ns", CFG_INT, THINK, 0, 1e9, NULL,                    \
     "guest work between two requests (assumed)"},                            \
    {"workload", "guest_add_ns", CFG_INT, "300", 0, 1e9, NULL,                \
     "guest: placing one request in the ring (assumed)"},                     \
    {"workload", "guest_irq_ns", CFG_INT, "500", 0, 1e9, NULL,                \
     "guest: interrupt work per completion (assumed)"},                       \
    {"workload", "loop_dispatch_ns", CFG_INT, "300", 0, 1e9, NULL,            \
     "iothread: one wakeup's poll and dispatch (assumed)"},                   \
    {"workload", "blk_submit_ns", CFG_INT, "1500", 0, 1e9, NULL,              \
     "virtio-blk: parse and submit one request (assumed)"},                   \
    {"workload", "blk_complete_ns", CFG_INT, "1000", 0, 1e9, NULL,            \
     "virtio-blk: complete one request (assumed)"},                           \
    {"workload", "disk_latency_ns", CFG_INT, "20000", 0, 1e10, NULL,          \
     "disk service time per request (assumed)"},                              \
    {"workload", "disk_jitter_ns", CFG_INT, "2000", 0, 1e10, NULL,            \
     "up to this much more per request, from the tape"},                      \
    {"workload", "net_tx_ns", CFG_INT, "1000", 0, 1e9, NULL,                  \
     "virtio-net: transmit one packet (copy + tap write, assumed)"},          \
    {"workload", "race_rounds", CFG_INT, "20", 0, 100000, NULL,               \
     "race phase after the timed part: transitions per host updater (two "   \
     "updaters; 0: no race phase)"},                                          \
    {"workload", "race_reads", CFG_INT, RREADS, 1, 10000000, NULL,            \
     "race phase: requests (packets) each vCPU submits and kicks"},           \
    {"workload", "race_gap_us", CFG_INT, "20", 0, 1e9, NULL,                  \
     "race phase: an updater waits up to this between steps (the tape)"},    \
    {"workload", "race_alloc_fault", CFG_DOUBLE, "0.02", 0, 1, NULL,          \
     "race phase: probability that an allocation fails (the larger of "      \
     "this and faults.alloc), while vCPUs kick"},                             \
    {"workload", "race_ioeventfd_fault", CFG_DOUBLE, "0.02", 0, 1, NULL,      \
     "race phase: probability that a KVM_IOEVENTFD assign fails (the "       \
     "larger of this and faults.kvm_ioeventfd)"},                             \
    {"invariants", "no_lost_kick", CFG_BOOL, "true", 0, 0, NULL,              \
     "kicks are taken before a stop releases their notifier, and every "      \
     "request completes"},                                                    \
    {"invariants", "nothing_while_disabled", CFG_BOOL, "true", 0, 0, NULL,    \
     "no request is taken while bus master is off, DRIVER_OK is clear, the "  \
     "VM or backend is stopped, or after a reset"},                           \
    {"invariants", "no_ioeventfd_after_stop", CFG_BOOL, "true", 0, 0, NULL,   \
     "KVM holds no ioeventfd after a stop, reset, unplug or VM stop"},        \
    {"invariants", "no_double_completion", CFG_BOOL, "true", 0, 0, NULL,      \
     "no request completes twice, and every completion is a good one"},       \
    {"invariants", "race_no_lost_kick", CFG_BOOL, "true", 0, 0, NULL,         \
     "race phase, after every transition: a kicked request is taken or its "  \
     "notifier's handler is about to run"},                                   \
    {"invariants", "race_exactly_once", CFG_BOOL, "true", 0, 0, NULL,         \
     "race phase: the device takes each request once"},                       \
    {"invariants", "race_ownership", CFG_BOOL, "true", 0, 0, NULL,            \
     "race phase: each notifier served by one loop (the owner) or by the "    \
     "proxy, as the checker's model says; KVM holds none without a handler"}, \
    {"invariants", "race_rings", CFG_BOOL, "true", 0, 0, NULL,                \
     "race phase: avail, pop, push and reap counts agree with the rings"},    \
    {"invariants", "race_cost", CFG_BOOL, "true", 0, 0, NULL,                 \
     "race phase: KVM_IOEVENTFD assigns and grace periods per transition, "   \
     "exits by kind and loop wakeups against the model's expectation "        \
     "(fault, fallback and bus-reset paths included)"},                       \
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL}

static const struct cfg_key blk_keys[] = {
    VIRTIO_KEYS("128", "4", "1000", "1000", "40"),
};

static const struct cfg_key net_keys[] = {
    VIRTIO_KEYS("256", "128", "20000", "700", "200"),
};

static uint64_t key_u64(struct scn_run *r, const char *name)
{
    return (uint64_t)cfg_int(r->cfg, "workload", name);
}

/* [cost] keys: the model constants this world prices. */
static const struct scn_cost_key virtio_cost[] = {
    {"io_exit_kernel_ns", "io_exit_kernel_ns", "ns", NAN, NULL,
     "exit completed in KVM, an ioeventfd hit"},
    {"io_exit_user_ns", "io_exit_user_ns", "ns", NAN, NULL,
     "extra for an exit completed in userspace"},
    {"wakeup_ns", "wakeup_ns", "ns", NAN, NULL,
     "waking a sleeping thread: the iothread, a halted vCPU"},
    {"lock_handoff_ns", "lock_handoff_ns", "ns", NAN, NULL,
     "handing the big lock to a waiter"},
    {"signal_msi_ns", "signal_msi_ns", "ns", NAN, NULL,
     "injecting a completion interrupt"},
    {"irqfd_assign_ns", "irqfd_assign_ns", "ns", NAN, NULL,
     "KVM_IOEVENTFD assign or deassign"},
    {"rcu_sync_ns", "rcu_sync_ns", "ns", NAN, NULL,
     "a grace period, one per ioeventfd deassign"},
    {"lock_ns", "lock_ns", "ns", NAN, NULL, "taking the big lock"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

static int read_params(struct scn_run *r, enum virtio_pci_kind kind,
                       struct vw_params *p)
{
    int64_t vcpus = cfg_int(r->cfg, "vm", "vcpus");

    vw_params_default(p, kind);
    p->ioeventfd = strcmp(r->variant, "ioeventfd") == 0;
    p->transport = strcmp(cfg_str(r->cfg, "workload", "transport"),
                          "modern") == 0
                       ? VIRTIO_PCI_MODERN
                       : VIRTIO_PCI_LEGACY;
    p->any_length = cfg_bool(r->cfg, "workload", "any_length");
    if (kind == VIRTIO_PCI_KIND_BLK) {
        if (vcpus > VIRTIO_PCI_QUEUE_MAX) {
            scn_config_error(r, "vm", "vcpus", "virtio-blk-mq has one queue "
                             "per vCPU, at most %d", VIRTIO_PCI_QUEUE_MAX);
            return -EINVAL;
        }
        p->nvcpus = (unsigned)vcpus;
        p->nqueues = (unsigned)vcpus;
    } else if (vcpus != 1) {
        scn_config_error(r, "vm", "vcpus", "virtio-net-tx models one "
                         "transmitting vCPU (vcpus = 1)");
        return -EINVAL;
    }
    p->queue_size = (uint16_t)key_u64(r, "queue_size");
    if (p->queue_size & (p->queue_size - 1)) {
        scn_config_error(r, "workload", "queue_size",
                         "%u is not a power of two", p->queue_size);
        return -EINVAL;
    }
    p->iodepth = (unsigned)key_u64(r, "iodepth");
    p->requests = key_u64(r, "requests");
    p->vm_stops = (unsigned)key_u64(r, "vm_stops");
    p->vhost_cycles = (unsigned)key_u64(r, "vhost_cycles");
    p->migrations = (unsigned)key_u64(r, "migrations");
    p->gap_ns = key_u64(r, "transition_gap_us") * 1000;
    p->cost.think_ns = key_u64(r, "think_ns");
    p->cost.guest_add_ns = key_u64(r, "guest_add_ns");
    p->cost.guest_irq_ns = key_u64(r, "guest_irq_ns");
    p->cost.loop_dispatch_ns = key_u64(r, "loop_dispatch_ns");
    p->cost.blk_submit_ns = key_u64(r, "blk_submit_ns");
    p->cost.blk_complete_ns = key_u64(r, "blk_complete_ns");
    p->cost.disk_latency_ns = key_u64(r, "disk_latency_ns");
    p->cost.disk_jitter_ns = key_u64(r, "disk_jitter_ns");
    p->cost.net_tx_ns = key_u64(r, "net_tx_ns");
    p->race_rounds = (unsigned)key_u64(r, "race_rounds");
    p->race_reads = key_u64(r, "race_reads");
    p->race_gap_ns = key_u64(r, "race_gap_us") * 1000;
    p->race_alloc_fault = cfg_double(r->cfg, "workload", "race_alloc_fault");
    p->race_ioeventfd_fault = cfg_double(r->cfg, "workload",
                                         "race_ioeventfd_fault");
    p->run_alloc_fault = cfg_fault_prob(r->cfg, PLAT_FAULT_ALLOC);
    p->run_ioeventfd_fault = cfg_fault_prob(r->cfg,
                                            PLAT_FAULT_KVM_IOEVENTFD);
    p->heal_begin = scn_heal_begin_cb;
    p->heal_end = scn_heal_end_cb;
    p->heal_arg = r;
    p->heal_reads = 4;
    return 0;
}

static void check_invariants(struct scn_run *r, struct vw_world *w)
{
    const struct vw_violations *v = vw_violations(w);
    const char *first = vw_first_violation(w);

    if (cfg_bool(r->cfg, "invariants", "no_lost_kick")) {
        scn_check(r, v->lost_kicks == 0 && v->never_completed == 0,
                  "no_lost_kick",
                  "%" PRIu64 " kicks stranded at a stop, %" PRIu64
                  " requests never completed; first: %s", v->lost_kicks,
                  v->never_completed, first);
    }
    if (cfg_bool(r->cfg, "invariants", "nothing_while_disabled")) {
        scn_check(r, v->processed_disabled == 0 &&
                         v->completed_after_reset == 0,
                  "nothing_while_disabled",
                  "%" PRIu64 " requests taken while disabled, %" PRIu64
                  " completed after a reset; first: %s",
                  v->processed_disabled, v->completed_after_reset, first);
    }
    if (cfg_bool(r->cfg, "invariants", "no_ioeventfd_after_stop")) {
        scn_check(r, v->ioeventfd_left == 0, "no_ioeventfd_after_stop",
                  "%" PRIu64 " checks found ioeventfds assigned; first: %s",
                  v->ioeventfd_left, first);
    }
    if (cfg_bool(r->cfg, "invariants", "no_double_completion")) {
        scn_check(r, v->double_completions == 0 && v->bad_status == 0,
                  "no_double_completion",
                  "%" PRIu64 " bogus or repeated completions, %" PRIu64
                  " failed requests; first: %s", v->double_completions,
                  v->bad_status, first);
    }
    if (cfg_bool(r->cfg, "invariants", "race_no_lost_kick")) {
        scn_check(r, v->race_lost_kicks == 0, "race_no_lost_kick",
                  "%" PRIu64 " kicked requests neither taken nor pending; "
                  "first: %s", v->race_lost_kicks, first);
    }
    if (cfg_bool(r->cfg, "invariants", "race_exactly_once")) {
        scn_check(r, v->race_twice == 0, "race_exactly_once",
                  "%" PRIu64 " requests taken twice; first: %s",
                  v->race_twice, first);
    }
    if (cfg_bool(r->cfg, "invariants", "race_ownership")) {
        scn_check(r, v->race_ownership == 0, "race_ownership",
                  "%" PRIu64 " checks found a notifier misowned; first: %s",
                  v->race_ownership, first);
    }
    if (cfg_bool(r->cfg, "invariants", "race_rings")) {
        scn_check(r, v->race_rings == 0, "race_rings",
                  "%" PRIu64 " checks found ring indices off the model; "
                  "first: %s", v->race_rings, first);
    }
    if (cfg_bool(r->cfg, "invariants", "race_cost")) {
        scn_check(r, v->race_cost == 0, "race_cost",
                  "%" PRIu64 " cost checks failed; first: %s", v->race_cost,
                  first);
    }
    scn_check(r, v->harness == 0, "harness", "%s", first);
}

static void report_metrics(struct scn_run *r, struct vw_world *w,
                           enum virtio_pci_kind kind)
{
    const struct vw_stats *st = vw_stats(w);
    const struct vw_violations *v = vw_violations(w);
    double span_s = (double)(st->last_complete_ns - st->first_submit_ns) /
                    1e9;
    double rate = span_s > 0 ? (double)st->completed / span_s : 0;

    scn_metric(r, kind == VIRTIO_PCI_KIND_BLK ? "requests_per_s"
                                              : "packets_per_s",
               rate);
    scn_metric(r, "vcpu_exit_ms", (double)st->exit_ns / 1e6);
    scn_metric(r, "vcpu_exit_share", st->vcpu_busy_ns
                                         ? (double)st->exit_ns /
                                               (double)st->vcpu_busy_ns
                                         : 0);
    scn_metric(r, "exit_us_per_kick",
               st->kicks ? (double)st->exit_ns / (double)st->kicks / 1e3
                         : 0);
    scn_metric(r, "mean_latency_us",
               st->completed ? (double)st->latency_ns_sum /
                                   (double)st->completed / 1e3
                             : 0);
    scn_metric(r, "lost_kicks", (double)(v->lost_kicks + v->never_completed));
    scn_metric(r, "completed", (double)st->completed);
    scn_metric(r, "kicks", (double)st->kicks);
    scn_metric(r, "kicks_suppressed", (double)st->kicks_skipped);
    scn_metric(r, "exits_lightweight", (double)st->exits_light);
    scn_metric(r, "exits_heavyweight", (double)st->exits_heavy);
    scn_metric(r, "loop_wakeups", (double)st->loop_wakeups);
    scn_metric(r, "transitions", (double)st->transitions);
    scn_metric(r, "lost_kick_checkpoints", (double)st->checkpoints);
    scn_metric(r, "kicks_found_after_deassign", (double)st->post_stop_kicks);
    scn_metric(r, "ioeventfd_fallbacks", (double)st->fallbacks);
    {
        const struct vw_race_stats *rs = vw_race_stats(w);

        if (!rs->ran) {
            return;
        }
        scn_metric(r, "race_kicks", (double)rs->kicks);
        scn_metric(r, "race_exits_lightweight", (double)rs->exits_light);
        scn_metric(r, "race_exits_heavyweight", (double)rs->exits_heavy);
        scn_metric(r, "race_transitions", (double)rs->transitions);
        scn_metric(r, "race_nested_grabs", (double)rs->nested_grabs);
        scn_metric(r, "race_migrations", (double)rs->migrations);
        scn_metric(r, "race_ioeventfd_assigns", (double)rs->assigns);
        scn_metric(r, "race_grace_periods", (double)rs->grace_periods);
        scn_metric(r, "race_cost_exact_checks", (double)rs->exact_checks);
        scn_metric(r, "race_cost_bound_checks", (double)rs->bound_checks);
        scn_metric(r, "race_faults", (double)rs->faults);
        scn_metric(r, "race_bus_resets", (double)rs->bus_resets);
        scn_metric(r, "race_fallbacks", (double)rs->fallbacks);
        scn_metric(r, "race_loop_wakeups", (double)rs->wakeups);
        scn_metric(r, "race_checkpoints", (double)rs->checkpoints);
    }
}

static int virtio_run(struct scn_run *r, enum virtio_pci_kind kind)
{
    struct vw_params p;
    struct vw_world *w = NULL;
    char msg[160];
    int rc;

    rc = read_params(r, kind, &p);
    if (rc < 0) {
        return rc;
    }
    if (scn_sim_create(r) < 0) {
        return -ENOMEM;
    }
    rc = vw_create(&p, r->sim, &w, msg, sizeof(msg));
    if (rc == -EINVAL) {
        scn_config_error(r, "workload", "queue_size", "%s", msg);
        return rc;
    }
    if (rc == 0) {
        rc = vw_spawn(w);
    }
    if (rc < 0) {
        fprintf(stderr, "kvmsim: %s: out of memory\n", r->drv->name);
        vw_destroy(w);
        return -ENOMEM;
    }
    scn_simulate(r);
    if (vw_heal_pending(w, msg, sizeof(msg))) {
        scn_heal_end(r, SCN_HEAL_STUCK, "%s", msg);
    }
    vw_finish(w);
    /* A lost kick ends the run as a deadlock (a vCPU waits for ever):
     * the invariants still say why. */
    if (r->result == SIM_OK || r->result == SIM_DEADLOCK) {
        check_invariants(r, w);
    }
    report_metrics(r, w, kind);
    vw_destroy(w);
    return 0;
}

static int blk_run(struct scn_run *r)
{
    return virtio_run(r, VIRTIO_PCI_KIND_BLK);
}

static int net_run(struct scn_run *r)
{
    return virtio_run(r, VIRTIO_PCI_KIND_NET);
}

/* ---- compare ---- */

/* One model-only figure in q->report. */
static void virtio_report(const struct scn_request *q, const char *table,
                          const char *label, const char *variant,
                          const char *metric, const char *unit,
                          const char *key, double x, const char *sets,
                          double v)
{
    struct report_row row = {
        .table = table, .label = label, .variant = variant,
        .published = NAN, .model = v, .unit = unit,
        .role = REPORT_MODEL_ONLY, .metric = metric, .key = key, .x = x,
        .sets = sets,
    };

    report_add(q->report, &row);
}

static void print_row(const struct scn_request *q, const char *label,
                      const char *metric, const char *unit,
                      struct scn_run *const *runs, size_t nruns, double div)
{
    double a = nruns > 0 ? scn_metric_get(runs[0], metric) / div : NAN;
    double b = nruns > 1 ? scn_metric_get(runs[1], metric) / div : NAN;

    for (size_t i = 0; i < nruns && i < 2; i++) {
        char sets[64];

        snprintf(sets, sizeof(sets), "run.variant=%s", runs[i]->variant);
        virtio_report(q, "every variant, as configured", label,
                      runs[i]->variant, metric, unit, NULL, NAN, sets,
                      i == 0 ? a : b);
    }
}

/* The vCPU sweep; gain[0] and gain[1] get the ioeventfd/sync ratio with
 * the fewest and the most vCPUs, *most their count. */
static int blk_sweep(const struct scn_request *q, double *gain,
                     unsigned *most)
{
    static const unsigned vcpus[] = {1, 2, 4, 8};
    const size_t n = sizeof(vcpus) / sizeof(vcpus[0]);
    int code = 0;

    for (size_t i = 0; i < sizeof(vcpus) / sizeof(vcpus[0]); i++) {
        double rate[2] = {NAN, NAN};

        for (unsigned v = 0; v < 2; v++) {
            char b0[48], b1[48], b2[48];
            const char *extra[5] = {b0, b1, b2, "workload.requests=300",
                                    "workload.race_rounds=0"};
            struct scn_run r;
            int c;

            snprintf(b0, sizeof(b0), "run.variant=%s", virtio_variants[v]);
            snprintf(b1, sizeof(b1), "vm.vcpus=%u", vcpus[i]);
            snprintf(b2, sizeof(b2), "vm.cpus=%u", vcpus[i] + 3);
            /* The race phase moves no figure of the sweep: skipped. */
            c = scn_run_with(q, extra, 5, &r);
            if (c > code) {
                code = c;
            }
            rate[v] = scn_metric_get(&r, "requests_per_s");
            scn_run_release(&r);
            {
                char label[32], sets[160];

                snprintf(label, sizeof(label), "%u vCPUs", vcpus[i]);
                snprintf(sets, sizeof(sets), "%s %s %s %s", b0, b1, b2,
                         extra[3]);
                virtio_report(q, "vCPU sweep: 300 requests per vCPU, 3 host "
                              "CPUs more than vCPUs", label,
                              virtio_variants[v], "requests_per_s",
                              "requests/s", "vm.vcpus", vcpus[i], sets,
                              rate[v]);
            }
        }
        if (i == 0) {
            gain[0] = rate[1] / rate[0];
        }
        if (i == n - 1) {
            gain[1] = rate[1] / rate[0];
            *most = vcpus[i];
        }
    }
    return code;
}

static int virtio_compare(const struct scn_request *q,
                          struct scn_run *const *runs, size_t nruns,
                          enum virtio_pci_kind kind)
{
    bool blk = kind == VIRTIO_PCI_KIND_BLK;
    const struct scn_run *r0 = nruns ? runs[0] : NULL;
    const char *rate_metric = blk ? "requests_per_s" : "packets_per_s";
    double gain[2] = {NAN, NAN}, ratio;
    unsigned most = 0;
    char check[200];
    int code = 0;

    report_begin(q->report, "001", blk ? "virtio-blk-mq" : "virtio-net-tx",
                 r0 ? r0->seed : 0,
                 blk ? "virtio-pci virtqueue notify, virtio-blk with several "
                       "vCPUs and a queue each: synchronous exit (before) vs "
                       "ioeventfd handled by an iothread (after)"
                     : "virtio-pci virtqueue notify, virtio-net transmit "
                       "stream from one vCPU: synchronous exit (before) vs "
                       "ioeventfd handled by an iothread (after)");

    if (r0 && r0->cfg) {
        report_note(q->report, "as configured: %" PRId64 " vCPUs, %s "
                    "transport, %" PRId64 " %s per vCPU, %" PRId64
                    " in flight",
                cfg_int(r0->cfg, "vm", "vcpus"),
                cfg_str(r0->cfg, "workload", "transport"),
                cfg_int(r0->cfg, "workload", "requests"),
                blk ? "requests" : "packets",
                cfg_int(r0->cfg, "workload", "iodepth"));
    }
    print_row(q, blk ? "requests/s" : "packets/s", rate_metric,
              blk ? "requests/s" : "packets/s", runs, nruns, 1);
    print_row(q, "vCPU time in exits, ms", "vcpu_exit_ms", "ms", runs,
              nruns, 1);
    print_row(q, "share of vCPU time in exits", "vcpu_exit_share", "",
              runs, nruns, 1);
    print_row(q, "exit per kick, us", "exit_us_per_kick", "us", runs,
              nruns, 1);
    print_row(q, "kicks", "kicks", "", runs, nruns, 1);
    print_row(q, "kicks suppressed by the device", "kicks_suppressed",
              "", runs, nruns, 1);
    print_row(q, "lightweight exits (in KVM)", "exits_lightweight", "",
              runs, nruns, 1);
    print_row(q, "heavyweight exits (userspace)", "exits_heavyweight",
              "", runs, nruns, 1);
    print_row(q, "mean request latency, us", "mean_latency_us", "us",
              runs, nruns, 1);
    print_row(q, "lost kicks", "lost_kicks", "", runs, nruns, 1);
    print_row(q, "kicks found after a deassign", "kicks_found_after_"
              "deassign", "", runs, nruns, 1);
    print_row(q, "host transitions", "transitions", "", runs, nruns, 1);
    if (blk) {
        code = blk_sweep(q, gain, &most);
        snprintf(check, sizeof(check), "ioeventfd/sync requests/s above 1 "
                 "with %u vCPUs and above the 1-vCPU gain: %.2fx vs %.2fx",
                 most, gain[1], gain[0]);
        report_claim(q->report, "Virtio-blk throughput increases especially "
                     "for multithreaded scenarios", check,
                     gain[1] > 1 && gain[1] > gain[0]);
    } else {
        ratio = nruns > 1 ? scn_metric_get(runs[1], rate_metric) /
                                scn_metric_get(runs[0], rate_metric)
                          : NAN;
        snprintf(check, sizeof(check), "ioeventfd/sync packets/s at least "
                 "1.5x: %.2fx", ratio);
        report_claim(q->report, "virtio-net transmit throughput increases "
                     "substantially", check, ratio >= 1.5);
    }
    report_predicted(q->report, "the seed's claim, in words (it publishes "
                     "no figure)");
    report_note(q->report, "every constant is assumed (the seed gives its "
                "gains in words only); the table lists them");
    report_note(q->report, "the device suppresses kicks "
                "(VRING_USED_F_NO_NOTIFY) while it processes a queue; a "
                "userspace exit takes the big lock, as the iothread does");
    if (r0) {
        static const char *const blk_names[] = {
            "think_ns", "guest_add_ns", "guest_irq_ns", "loop_dispatch_ns",
            "blk_submit_ns", "blk_complete_ns", "disk_latency_ns",
            "disk_jitter_ns", NULL,
        };
        static const char *const net_names[] = {
            "think_ns", "guest_add_ns", "guest_irq_ns", "loop_dispatch_ns",
            "net_tx_ns", NULL,
        };

        scn_report_cost_keys(q->report, r0);
        scn_report_assumed(q->report, r0, "workload",
                           blk ? blk_names : net_names);
    }
    return code;
}

static int blk_compare(const struct scn_request *q,
                       struct scn_run *const *runs, size_t nruns)
{
    return virtio_compare(q, runs, nruns, VIRTIO_PCI_KIND_BLK);
}

static int net_compare(const struct scn_request *q,
                       struct scn_run *const *runs, size_t nruns)
{
    return virtio_compare(q, runs, nruns, VIRTIO_PCI_KIND_NET);
}

const struct scn_driver scn_virtio_blk_driver = {
    .name = "virtio-blk-mq",
    .summary = "seed 001: virtio-blk kicks from several vCPUs, synchronous "
               "exits vs ioeventfd + iothread",
    .variants = virtio_variants,
    .keys = blk_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC) |
                   SCN_FAULT(PLAT_FAULT_KVM_IOEVENTFD),
    .cost = virtio_cost,
    .run = blk_run,
    .compare = blk_compare,
};

const struct scn_driver scn_virtio_net_driver = {
    .name = "virtio-net-tx",
    .summary = "seed 001: virtio-net transmit stream, synchronous exits vs "
               "ioeventfd + iothread",
    .variants = virtio_variants,
    .keys = net_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC) |
                   SCN_FAULT(PLAT_FAULT_KVM_IOEVENTFD),
    .cost = virtio_cost,
    .run = net_run,
    .compare = net_compare,
};

SIM_TSAN_ENGINE_END
