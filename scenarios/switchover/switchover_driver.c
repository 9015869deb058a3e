/*
 * scenarios/switchover/switchover_driver.c - seed 003: VFIO device state
 * transitions at migration switchover, one device after another (serial,
 * before) or a thread per device launched and joined by paired handlers
 * (parallel, the seed).
 *
 * A source and a destination VM have the same device tree: the machine
 * (depth 0), root ports (depth 1), a bridge behind each port and
 * virtio-like devices (depth 2), more virtio-like devices behind the
 * bridges (depth 3), each an ordinary change-state handler, and VFIO
 * devices alternating between depths 2 and 3.  The migration
 * (scenarios/switchover/switchover_world.c) enters RESUMING on the
 * destination and pre-copy on the source, iterates, then switches over:
 * the source stops (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY), sends each device's
 * state and the last dirty RAM, and the destination starts (RESUMING -> STOP ->
 * RUNNING_P2P -> RUNNING). downtime_ms runs from the source's stop to the
 * destination running.
 *
 * `kvmsim compare switchover-vfio` prints both variants for 1, 2, 4 and 8
 * devices with the latencies assumed (the seed gives no table to fit).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cost.h"
#include "model/switchover/switchover_check.h"
#include "scenarios/switchover/switchover_world.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"
#include "sim/kvm.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, checker records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

static const char *const sw_variants[] = {"parallel", "serial", NULL};

/* The [vfio] defaults repeat sim/vfio_mig.c's assumptions; a unit test
 * keeps them equal. */
static const struct cfg_key sw_keys[] = {
    {"workload", "devices", CFG_INT, "4", 1, SW_MAX_DEVS, NULL,
     "VFIO devices in each VM, alternating between depths 2 and 3"},
    {"workload", "root_ports", CFG_INT, "2", 1, 16, NULL,
     "PCIe root ports (depth 1), each with a bridge behind it (depth 2)"},
    {"workload", "ordinary_per_depth", CFG_INT, "2", 0, 32, NULL,
     "virtio-like devices with ordinary handlers at each of depths 2, 3"},
    {"workload", "ordinary_us", CFG_DOUBLE, "50", 0, 1e6, NULL,
     "CPU time of an ordinary handler's main callback, us"},
    {"workload", "ordinary_prepare_us", CFG_DOUBLE, "5", 0, 1e6, NULL,
     "CPU time of an ordinary handler's prepare callback, us"},
    {"workload", "p2p", CFG_BOOL, "true", 0, 0, NULL,
     "devices support P2P (required for more than one device)"},
    {"workload", "precopy", CFG_BOOL, "true", 0, 0, NULL,
     "devices support pre-copy"},
    {"workload", "precopy_iters", CFG_INT, "3", 0, 10000, NULL,
     "pre-copy iterations before the switchover"},
    {"workload", "precopy_iter_ms", CFG_DOUBLE, "50", 0, 1e6, NULL,
     "duration of one pre-copy iteration, ms (not downtime)"},
    {"workload", "device_state_kib", CFG_INT, "512", 0, 1 << 24, NULL,
     "each VFIO device's final state sent during the switchover, KiB"},
    {"workload", "final_ram_mib", CFG_INT, "32", 0, 1 << 20, NULL,
     "dirty RAM sent while the VM is stopped, MiB"},
    {"workload", "link_gbps", CFG_DOUBLE, "25", 0.001, 1e4, NULL,
     "migration stream bandwidth, Gbit/s"},
    {"workload", "cancel_pct", CFG_INT, "0", 0, 100, NULL,
     "chance (percent, from the tape) that management cancels the "
     "migration: the canceller then races the migration thread for the "
     "source's devices"},
    {"workload", "cancel_window_ms", CFG_DOUBLE, "300", 0, 1e6, NULL,
     "the cancel comes at a tape-chosen time within this, ms"},
    {"workload", "race_rounds", CFG_INT, "1", 0, 100, NULL,
     "race phase after the timed migration: rounds that migrate the VM "
     "back the other way, each with a canceller racing the migration "
     "thread (0: no race phase)"},
    {"workload", "race_cancel_pct", CFG_INT, "80", 0, 100, NULL,
     "race phase: chance (percent, from the tape) that a round's "
     "canceller cancels"},
    {"workload", "race_vfio_set_state_fault", CFG_DOUBLE, "0.03", 0, 1,
     NULL, "race phase: probability that a kernel arc fails (the larger "
     "of this and faults.vfio_set_state)"},
    {"workload", "race_vfio_reset_fault", CFG_DOUBLE, "0.05", 0, 1, NULL,
     "race phase: probability that a device reset fails (the larger of "
     "this and faults.vfio_reset)"},
    {"workload", "race_thread_create_fault", CFG_DOUBLE, "0.05", 0, 1, NULL,
     "race phase: probability that a transition thread cannot be created "
     "(the larger of this and faults.thread_create)"},
    {"workload", "race_alloc_fault", CFG_DOUBLE, "0.02", 0, 1, NULL,
     "race phase: probability that an allocation fails (the larger of "
     "this and faults.alloc)"},
    {"vfio", "running_p2p_us", CFG_INT, "1000", 0, 1e9, NULL,
     "arc RUNNING <-> RUNNING_P2P, us"},
    {"vfio", "p2p_stop_us", CFG_INT, "2000", 0, 1e9, NULL,
     "arc RUNNING_P2P <-> STOP, us"},
    {"vfio", "running_stop_us", CFG_INT, "3000", 0, 1e9, NULL,
     "arc RUNNING <-> STOP (devices without P2P), us"},
    {"vfio", "precopy_us", CFG_INT, "2000", 0, 1e9, NULL,
     "arcs RUNNING(_P2P) <-> PRE_COPY(_P2P), us"},
    {"vfio", "precopy_p2p_us", CFG_INT, "1000", 0, 1e9, NULL,
     "arc PRE_COPY <-> PRE_COPY_P2P, us"},
    {"vfio", "stop_copy_us", CFG_INT, "20000", 0, 1e9, NULL,
     "arcs into STOP_COPY (saving the device state), us"},
    {"vfio", "stop_copy_end_us", CFG_INT, "500", 0, 1e9, NULL,
     "arc STOP_COPY -> STOP, us"},
    {"vfio", "resuming_us", CFG_INT, "1000", 0, 1e9, NULL,
     "arc STOP -> RESUMING, us"},
    {"vfio", "resume_load_us", CFG_INT, "20000", 0, 1e9, NULL,
     "arc RESUMING -> STOP (loading the device state), us"},
    {"vfio", "reset_us", CFG_INT, "100000", 0, 1e9, NULL,
     "VFIO_DEVICE_RESET, us"},
    {"vfio", "ioctl_us", CFG_INT, "20", 0, 1e9, NULL,
     "fixed cost of each set-state ioctl, us"},
    {"vfio", "jitter_pct", CFG_INT, "10", 0, 100, NULL,
     "tape-chosen extra time per arc, up to this percentage"},
    {"invariants", "ordering", CFG_BOOL, "true", 0, 0, NULL,
     "prepare transitions end before main callbacks; transitions stay "
     "within their depth; threads are joined within their pass"},
    {"invariants", "legal_arcs", CFG_BOOL, "true", 0, 0, NULL,
     "only legal arcs, no unreachable request, one request per device at "
     "a time"},
    {"invariants", "final_states", CFG_BOOL, "true", 0, 0, NULL,
     "source STOP and destination RUNNING after a migration, every device "
     "RUNNING after a failed one; VMM view equals kernel"},
    {"invariants", "errors_abort", CFG_BOOL, "true", 0, 0, NULL,
     "a failed transition or an accepted cancel aborts the migration, "
     "nothing else does"},
    {"invariants", "cost", CFG_BOOL, "true", 0, 0, NULL,
     "every operation on a device took exactly the set-state requests, "
     "arcs and resets the checker's model predicts from where it began "
     "and where its failures left the device, no work outside one; after "
     "a clean timed migration, exactly the arcs of each legal path"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

#define US 1000ull

/* [vfio] keys into latencies. */
static void read_latency(const struct cfg *c, struct sim_vfio_mig_latency *l)
{
    memset(l, 0, sizeof(*l));
    l->running_p2p_ns = (uint64_t)cfg_int(c, "vfio", "running_p2p_us") * US;
    l->p2p_stop_ns = (uint64_t)cfg_int(c, "vfio", "p2p_stop_us") * US;
    l->running_stop_ns = (uint64_t)cfg_int(c, "vfio", "running_stop_us") * US;
    l->precopy_ns = (uint64_t)cfg_int(c, "vfio", "precopy_us") * US;
    l->precopy_p2p_ns = (uint64_t)cfg_int(c, "vfio", "precopy_p2p_us") * US;
    l->stop_copy_ns = (uint64_t)cfg_int(c, "vfio", "stop_copy_us") * US;
    l->stop_copy_end_ns =
        (uint64_t)cfg_int(c, "vfio", "stop_copy_end_us") * US;
    l->resuming_ns = (uint64_t)cfg_int(c, "vfio", "resuming_us") * US;
    l->resume_load_ns = (uint64_t)cfg_int(c, "vfio", "resume_load_us") * US;
    l->reset_ns = (uint64_t)cfg_int(c, "vfio", "reset_us") * US;
    l->ioctl_ns = (uint64_t)cfg_int(c, "vfio", "ioctl_us") * US;
    l->jitter_pct = (unsigned)cfg_int(c, "vfio", "jitter_pct");
}

/* Build one VM's tree. */
static int build_vm(struct sw_vm *vm, const struct cfg *c,
                    enum vfio_mig_mode mode,
                    const struct sim_vfio_mig_latency *lat)
{
    unsigned devices = (unsigned)cfg_int(c, "workload", "devices");
    unsigned ports = (unsigned)cfg_int(c, "workload", "root_ports");
    unsigned per_depth = (unsigned)cfg_int(c, "workload",
                                           "ordinary_per_depth");
    uint64_t ord_ns = (uint64_t)(cfg_double(c, "workload", "ordinary_us") *
                                 1e3);
    uint64_t prep_ns = (uint64_t)(cfg_double(c, "workload",
                                             "ordinary_prepare_us") * 1e3);
    unsigned flags = (cfg_bool(c, "workload", "p2p") ? VFIO_MIG_F_P2P : 0) |
                     (cfg_bool(c, "workload", "precopy") ? VFIO_MIG_F_PRE_COPY
                                                         : 0);
    int rc = sw_add_ordinary(vm, 0, ord_ns, prep_ns);

    for (unsigned i = 0; rc >= 0 && i < ports; i++) {
        rc = sw_add_ordinary(vm, 1, ord_ns, prep_ns);
    }
    for (unsigned i = 0; rc >= 0 && i < ports; i++) {
        rc = sw_add_ordinary(vm, 2, ord_ns, prep_ns);
    }
    for (unsigned d = 2; d <= 3; d++) {
        for (unsigned i = 0; rc >= 0 && i < per_depth; i++) {
            rc = sw_add_ordinary(vm, d, ord_ns, prep_ns);
        }
    }
    for (unsigned i = 0; rc >= 0 && i < devices; i++) {
        rc = sw_add_vfio(vm, 2 + i % 2, flags, mode, lat);
    }
    return rc < 0 ? rc : 0;
}

static void report_checks(struct scn_run *r, const struct sw_world *w)
{
    for (unsigned i = 0; i < SW_INV_NR; i++) {
        const char *name = sw_invariant_name((enum sw_invariant)i);

        if (cfg_bool(r->cfg, "invariants", name)) {
            scn_check(r, w->violations[i] == 0, name, "%s (%" PRIu64
                      " violations)", w->first[i], w->violations[i]);
        }
    }
}

static double ms_between(uint64_t a, uint64_t b)
{
    return b >= a ? (double)(b - a) / 1e6 : NAN;
}

static void report_metrics(struct scn_run *r, const struct sw_world *w)
{
    /* The timed migration's figures: the race phase does not count. */
    const struct sw_mig_result *res = w->timed_frozen ? &w->timed_res
                                                      : &w->res;
    bool ok = res->done && res->rc == 0;
    uint64_t threads = 0, fallbacks = 0, resets = 0, reset_failures = 0;
    uint64_t arcs = 0, requests = 0, ops = 0;

    for (unsigned i = 0; i < 2; i++) {
        for (unsigned j = 0; j < w->vm[i].nvfio; j++) {
            const struct sw_vfio *v = &w->vm[i].vfio[j];
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(v->dev);

            threads += v->m.st.threads;
            fallbacks += v->m.st.thread_fallbacks;
            resets += v->m.st.resets;
            reset_failures += v->m.st.reset_failures;
            arcs += n->arcs;
            requests += n->requests;
            ops += v->ops;
        }
    }
    if (w->timed_frozen) {
        threads = w->timed_threads;
        fallbacks = w->timed_fallbacks;
        resets = w->timed_resets;
        reset_failures = w->timed_reset_failures;
        arcs = w->timed_arcs;
        requests = w->timed_requests;
    }
    scn_metric(r, "downtime_ms",
               ok ? ms_between(res->t_stop_begin, res->t_running) : NAN);
    scn_metric(r, "stop_ms",
               ok ? ms_between(res->t_stop_begin, res->t_stop_end) : NAN);
    scn_metric(r, "save_ms",
               ok ? ms_between(res->t_stop_end, res->t_saved) : NAN);
    scn_metric(r, "start_ms",
               ok ? ms_between(res->t_start_begin, res->t_running) : NAN);
    scn_metric(r, "precopy_ms",
               ok ? ms_between(res->t_begin, res->t_stop_begin) : NAN);
    scn_metric(r, "migrated", ok ? 1 : 0);
    scn_metric(r, "migration_error", (double)res->rc);
    scn_metric(r, "blocked", res->blocked ? 1 : 0);
    scn_metric(r, "transition_threads", (double)threads);
    scn_metric(r, "thread_fallbacks", (double)fallbacks);
    scn_metric(r, "device_resets", (double)resets);
    scn_metric(r, "reset_failures", (double)reset_failures);
    scn_metric(r, "kernel_arcs", (double)arcs);
    scn_metric(r, "set_state_ioctls", (double)requests);
    scn_metric(r, "cost_checked_operations", (double)ops);
    if (w->mp.race_rounds) {
        scn_metric(r, "race_rounds_run", (double)(w->round));
        scn_metric(r, "race_migrated", (double)w->race_migrated);
        scn_metric(r, "race_cancelled", (double)w->race_cancels);
        scn_metric(r, "race_late_cancels", (double)w->race_late_cancels);
    }
}

static int sw_run(struct scn_run *r)
{
    struct sw_world *w = calloc(1, sizeof(*w));
    struct sim_vfio_mig_latency lat;
    struct sw_mig_params mp;
    enum vfio_mig_mode mode = VFIO_MIG_MODE_DEFAULT;
    int rc;

    if (!w) {
        fprintf(stderr, "kvmsim: switchover: out of memory\n");
        return -ENOMEM;
    }
    vfio_mig_mode_parse(r->variant, &mode);
    read_latency(r->cfg, &lat);
    memset(&mp, 0, sizeof(mp));
    mp.precopy_iters = (unsigned)cfg_int(r->cfg, "workload",
                                         "precopy_iters");
    mp.precopy_iter_ns = (uint64_t)(cfg_double(r->cfg, "workload",
                                               "precopy_iter_ms") * 1e6);
    mp.device_state_bytes =
        (uint64_t)cfg_int(r->cfg, "workload", "device_state_kib") << 10;
    mp.final_ram_bytes =
        (uint64_t)cfg_int(r->cfg, "workload", "final_ram_mib") << 20;
    mp.link_bytes_per_s = (uint64_t)(cfg_double(r->cfg, "workload",
                                                "link_gbps") * 1e9 / 8);
    mp.cancel_pct = (unsigned)cfg_int(r->cfg, "workload", "cancel_pct");
    mp.cancel_window_ns = (uint64_t)(cfg_double(r->cfg, "workload",
                                                "cancel_window_ms") * 1e6);
    mp.race_rounds = (unsigned)cfg_int(r->cfg, "workload", "race_rounds");
    mp.race_cancel_pct = (unsigned)cfg_int(r->cfg, "workload",
                                           "race_cancel_pct");
    mp.race_fault[PLAT_FAULT_VFIO_SET_STATE] =
        cfg_double(r->cfg, "workload", "race_vfio_set_state_fault");
    mp.race_fault[PLAT_FAULT_VFIO_RESET] =
        cfg_double(r->cfg, "workload", "race_vfio_reset_fault");
    mp.race_fault[PLAT_FAULT_THREAD_CREATE] =
        cfg_double(r->cfg, "workload", "race_thread_create_fault");
    mp.race_fault[PLAT_FAULT_ALLOC] =
        cfg_double(r->cfg, "workload", "race_alloc_fault");
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        mp.run_fault[i] = cfg_fault_prob(r->cfg, i);
    }
    if (scn_heal_armed(r, sw_race_faults(&mp))) {
        mp.heal_begin = scn_heal_begin_cb;
        mp.heal_end = scn_heal_end_cb;
        mp.heal_arg = r;
    }
    if (scn_sim_create(r) < 0) {
        free(w);
        return -ENOMEM;
    }
    sw_world_init(w);
    rc = build_vm(&w->vm[0], r->cfg, mode, &lat);
    if (rc == 0) {
        rc = build_vm(&w->vm[1], r->cfg, mode, &lat);
    }
    if (rc == 0) {
        rc = sw_spawn_migration(w, r->sim, &mp);
    }
    if (rc < 0) {
        fprintf(stderr, "kvmsim: switchover: building the VMs: %s\n",
                strerror(-rc));
        sw_world_fini(w);
        free(w);
        return rc == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    scn_simulate(r);
    if (r->result == SIM_OK) {
        sw_check_migration(w);
        report_checks(r, w);
    }
    report_metrics(r, w);
    sw_world_fini(w);
    free(w);
    return 0;
}

/* ---- compare: serial vs parallel by device count ---- */

struct sw_figures {
    double downtime, stop, save, start;
    int code;
};

static struct sw_figures run_point(const struct scn_request *q,
                                   const char *variant, unsigned devices,
                                   const char *extra_set)
{
    char vbuf[64], dbuf[64];
    const char *extra[4];
    unsigned n = 0;
    struct scn_run r;
    struct sw_figures f;

    snprintf(vbuf, sizeof(vbuf), "run.variant=%s", variant);
    snprintf(dbuf, sizeof(dbuf), "workload.devices=%u", devices);
    extra[n++] = vbuf;
    extra[n++] = dbuf;
    /* The race phase moves no figure of the table: skipped. */
    extra[n++] = "workload.race_rounds=0";
    if (extra_set) {
        extra[n++] = extra_set;
    }
    f.code = scn_run_with(q, extra, n, &r);
    f.downtime = scn_metric_get(&r, "downtime_ms");
    f.stop = scn_metric_get(&r, "stop_ms");
    f.save = scn_metric_get(&r, "save_ms");
    f.start = scn_metric_get(&r, "start_ms");
    scn_run_release(&r);
    return f;
}

/* A model-only figure (metric, ms) in q->report. */
static void sw_report_metric(const struct scn_request *q, const char *table,
                             const char *variant, unsigned devices,
                             const char *extra_set, const char *metric,
                             double ms)
{
    char label[32], sets[128];
    struct report_row row = {
        .table = table, .label = label, .variant = variant,
        .published = NAN, .model = ms, .unit = "ms",
        .role = REPORT_MODEL_ONLY, .metric = metric,
        .key = "workload.devices", .x = devices, .sets = sets,
    };

    snprintf(label, sizeof(label), "%u device%s", devices,
             devices == 1 ? "" : "s");
    snprintf(sets, sizeof(sets), "run.variant=%s workload.devices=%u%s%s",
             variant, devices, extra_set ? " " : "",
             extra_set ? extra_set : "");
    report_add(q->report, &row);
}

/* A model-only downtime figure in q->report. */
static void sw_report_point(const struct scn_request *q, const char *table,
                            const char *variant, unsigned devices,
                            const char *extra_set, double downtime_ms)
{
    sw_report_metric(q, table, variant, devices, extra_set, "downtime_ms",
                     downtime_ms);
}

static int sw_compare(const struct scn_request *q,
                      struct scn_run *const *runs, size_t nruns)
{
    static const unsigned counts[] = {1, 2, 4, 8};
    const struct cfg *c;
    int code = 0;
    double serial_max = NAN, parallel_max = NAN;
    unsigned devices_max = 0;
    char check[160];

    if (nruns == 0 || !runs[0]->cfg) {
        return KVMSIM_EXIT_USAGE;
    }
    report_begin(q->report, "003", "switchover-vfio", runs[0]->seed,
                 "VFIO device state transitions at migration switchover: "
                 "downtime (source stop to destination running) by VFIO "
                 "device count, serial (before) vs one thread per device "
                 "(after)");
    c = runs[0]->cfg;
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct sw_figures s = run_point(q, "serial", counts[i], NULL);
        struct sw_figures p = run_point(q, "parallel", counts[i], NULL);

        code = s.code > code ? s.code : code;
        code = p.code > code ? p.code : code;
        sw_report_point(q, "downtime by device count", "serial", counts[i],
                        NULL, s.downtime);
        sw_report_point(q, "downtime by device count", "parallel",
                        counts[i], NULL, p.downtime);
        sw_report_metric(q, "source stop pass by device count", "serial",
                         counts[i], NULL, "stop_ms", s.stop);
        sw_report_metric(q, "source stop pass by device count", "parallel",
                         counts[i], NULL, "stop_ms", p.stop);
        sw_report_metric(q, "destination start pass by device count",
                         "serial", counts[i], NULL, "start_ms", s.start);
        sw_report_metric(q, "destination start pass by device count",
                         "parallel", counts[i], NULL, "start_ms", p.start);
        serial_max = s.downtime;
        parallel_max = p.downtime;
        devices_max = counts[i];
    }
    {
        struct sw_figures p4 = run_point(q, "parallel", 8, "vm.cpus=4");

        code = p4.code > code ? p4.code : code;
        sw_report_point(q, "downtime with 4 host CPUs instead", "parallel",
                        8, "vm.cpus=4", p4.downtime);
    }
    snprintf(check, sizeof(check), "parallel downtime below serial at %u "
             "devices: %.2f ms vs %.2f ms (%.0f%% less)", devices_max,
             parallel_max, serial_max,
             100.0 * (1.0 - parallel_max / serial_max));
    report_claim(q->report, "When multiple VFIO devices are present in a VM "
                 "the fact that their state transitions on migration happen "
                 "sequentially has a visible impact on migration downtime",
                 check, parallel_max < serial_max);
    report_predicted(q->report, "the seed's claim, in words (it publishes "
                     "no figure)");
    report_note(q->report, "every constant is assumed (the seed gives no "
                "table); the table lists them");
    report_note(q->report, "an arc is CPU time of the calling thread "
                "(driver work), so parallel transitions need free CPUs: the "
                "guest's vCPUs are paused at switchover, leaving the host's "
                "CPUs to them; %" PRId64 " root ports with a bridge each, "
                "%" PRId64 " virtio-like devices at depths 2 and 3; VFIO "
                "devices alternate between depths 2 and 3",
                cfg_int(c, "workload", "root_ports"),
                cfg_int(c, "workload", "ordinary_per_depth"));
    report_note(q->report, "reading: serial pays each device's stop "
                "(PRE_COPY -> PRE_COPY_P2P -> STOP_COPY) and start "
                "(RESUMING -> STOP -> RUNNING_P2P -> RUNNING) one after "
                "another, so its downtime grows with the device count.  "
                "Parallel overlaps the devices of one depth only (depths "
                "stay ordered), so it pays one transition per depth: 2 "
                "devices, one per depth, gain nothing; from 4 on, the "
                "saving grows with the device count");
    {
        static const char *const vfio_names[] = {
            "running_p2p_us", "p2p_stop_us", "running_stop_us", "precopy_us",
            "precopy_p2p_us", "stop_copy_us", "stop_copy_end_us",
            "resuming_us", "resume_load_us", "reset_us", "ioctl_us",
            "jitter_pct", NULL,
        };

        static const char *const workload_names[] = {
            "ordinary_us", "ordinary_prepare_us", "device_state_kib",
            "final_ram_mib", "link_gbps", NULL,
        };

        scn_report_cost_keys(q->report, runs[0]);
        scn_report_assumed(q->report, runs[0], "vfio", vfio_names);
        scn_report_assumed(q->report, runs[0], "workload", workload_names);
    }
    return code;
}

/* [cost] keys: the model constant this world prices. */
static const struct scn_cost_key sw_cost[] = {
    {"thread_create_us", "thread_create_ns", "us", NAN, NULL,
     "creating a transition thread"},
    {"wakeup_us", "wakeup_ns", "us", NAN, NULL,
     "waking a thread that joins the transition threads"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const struct scn_driver scn_switchover_driver = {
    .name = "switchover-vfio",
    .summary = "seed 003: VFIO device state transitions at migration "
               "switchover, serial vs one thread per device",
    .variants = sw_variants,
    .keys = sw_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC) |
                   SCN_FAULT(PLAT_FAULT_THREAD_CREATE) |
                   SCN_FAULT(PLAT_FAULT_VFIO_SET_STATE) |
                   SCN_FAULT(PLAT_FAULT_VFIO_RESET),
    .cost = sw_cost,
    .run = sw_run,
    .compare = sw_compare,
};

SIM_TSAN_ENGINE_END
