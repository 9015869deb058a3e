/*
 * scenarios/demo/demo_driver.c - the engine demo: vCPU threads hand work items
 * to an iothread through a locked queue and an eventfd.
 *
 * Each vCPU submits `items` items, thinking a jittered time between them;
 * a submission may be refused (fault site demo_submit), and the vCPU then
 * backs off and retries.  The iothread sleeps on the eventfd and drains the
 * queue.  Variant `correct` clears the eventfd before draining; variant
 * `racy` drains first and clears afterwards, so a kick that lands between
 * the drain and the clear is lost and its item is never processed.  The
 * invariants catch that on the seeds whose schedule opens the window,
 * which is what the demo is for: showing that seeds explore schedules, that
 * a failure names its seed and that its tape replays it.  Items still
 * queued at the drain deadline behind an iothread that is awake (or has
 * a kick pending) are an overloaded iothread, not a lost item: the run
 * reports a missed deadline (exit 3) instead of an invariant failure.
 * With a fault armed, a heal phase follows the drain deadline (see
 * demo_heal()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"
#include "model/cost.h"
#include "scenarios/tool/scenario.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, oracle records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

static const char *const demo_variants[] = {"correct", "racy", NULL};

static const struct cfg_key demo_keys[] = {
    {"workload", "items", CFG_INT, "200", 1, 1000000, NULL,
     "items each vCPU submits"},
    {"workload", "think_ns", CFG_INT, "1000", 0, 1000000000, NULL,
     "guest time between two submissions of one vCPU (mean)"},
    {"workload", "jitter_ns", CFG_INT, "800", 0, 1000000000, NULL,
     "tape-chosen spread added to think_ns, uniform in [0, jitter_ns]"},
    {"workload", "backoff_ns", CFG_INT, "5000", 1, 1000000000, NULL,
     "wait before retrying a refused submission"},
    {"workload", "drain_timeout_ns", CFG_INT, "0", 0, 1000000000000,
     NULL, "deadline for draining the queue once every vCPU is done "
     "(items still queued then: exit 3); 0: 1 ms, or 10x the modelled "
     "cost (item + lock) of the items queued at that point if longer"},
    {"invariants", "all_processed", CFG_BOOL, "true", 0, 0, NULL,
     "no item is lost: none left queued behind a lost kick, none dropped "
     "(items queued at the drain deadline otherwise: exit 3)"},
    {"invariants", "processed_once", CFG_BOOL, "true", 0, 0, NULL,
     "no item is processed twice"},
    {"invariants", "fifo_per_vcpu", CFG_BOOL, "true", 0, 0, NULL,
     "one vCPU's items are processed in submission order"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

struct demo_item {
    uint32_t vcpu;
    uint32_t seq;
    uint64_t submitted_ns;
};

struct demo {
    struct scn_run *run;
    bool racy;
    unsigned vcpus;
    uint64_t items, think_ns, jitter_ns, backoff_ns, drain_timeout_ns;
    struct plat_lock lock;
    struct plat_eventfd kick;
    /* queue (ring) under lock */
    struct demo_item *ring;
    uint64_t ring_cap, head, tail;
    /* results */
    uint64_t submitted, processed, refused, wakeups, latency_sum_ns;
    uint64_t latency_max_ns;
    uint8_t *seen;          /* [vcpu * items + seq] processing count */
    uint32_t *next_seq;     /* per vCPU: next expected seq */
    uint64_t fifo_violations;
    unsigned vcpus_done;
    bool stop;
    /* Shadows for the supervisor, written right next to the platform call
     * they describe: a simulated thread is never switched out between two
     * platform calls, so they are exact whenever another thread reads
     * them.  kick_pending: the eventfd's counter is non-zero;
     * io_waiting: the iothread is inside plat_eventfd_wait. */
    bool kick_pending, io_waiting;
    bool in_flight;         /* the iothread holds an item it took */
    /* what the supervisor saw: per-item drain cost (modelled), the items
     * queued when it saw the last vCPU finish, the deadline it gave the
     * iothread, and at that deadline: items queued, items processed
     * since the vCPUs finished, and whether the kick was lost */
    uint64_t item_cost_ns, backlog, timeout_ns;
    uint64_t queued_at_deadline, drained_before_deadline;
    bool lost_kick;
    /* the queue at the drain deadline, kept when a heal phase ran */
    bool healed, in_flight_dl;
    uint8_t *seen_dl;
    uint64_t head_dl;
};

static void demo_vcpu(void *arg);

struct vcpu_arg {
    struct demo *d;
    uint32_t id;
};

static void demo_submit(struct demo *d, uint32_t vcpu, uint32_t seq)
{
    for (;;) {
        if (plat_fault(PLAT_FAULT_DEMO_SUBMIT)) {
            d->refused++;
            plat_spend_ns(d->backoff_ns);
            continue;
        }
        plat_lock(&d->lock);
        d->ring[d->tail % d->ring_cap] = (struct demo_item){
            .vcpu = vcpu, .seq = seq, .submitted_ns = plat_now_ns(),
        };
        d->tail++;
        d->submitted++;
        plat_unlock(&d->lock);
        plat_eventfd_signal(&d->kick);
        d->kick_pending = true;
        return;
    }
}

static void demo_vcpu(void *arg)
{
    struct vcpu_arg *a = arg;
    struct demo *d = a->d;

    for (uint32_t seq = 0; seq < d->items; seq++) {
        plat_spend_ns(d->think_ns + sim_jitter(0, d->jitter_ns));
        plat_trace_begin("submit");
        demo_submit(d, a->id, seq);
        plat_trace_end();
    }
    d->vcpus_done++;
    plat_eventfd_signal(&d->kick);
    d->kick_pending = true;
}

static void demo_process(struct demo *d, struct demo_item it)
{
    uint64_t lat = plat_now_ns() - it.submitted_ns;
    uint64_t idx = (uint64_t)it.vcpu * d->items + it.seq;

    plat_work(PLAT_WORK_DEMO_ITEM, 1);
    d->processed++;
    d->latency_sum_ns += lat;
    if (lat > d->latency_max_ns) {
        d->latency_max_ns = lat;
    }
    if (d->seen[idx] < 255) {
        d->seen[idx]++;
    }
    if (it.seq != d->next_seq[it.vcpu]) {
        d->fifo_violations++;
    }
    d->next_seq[it.vcpu] = it.seq + 1;
}

static void demo_drain(struct demo *d)
{
    plat_trace_begin("drain");
    for (;;) {
        struct demo_item it;

        plat_lock(&d->lock);
        if (d->head == d->tail) {
            plat_unlock(&d->lock);
            break;
        }
        it = d->ring[d->head % d->ring_cap];
        d->head++;
        d->in_flight = true;
        plat_unlock(&d->lock);
        demo_process(d, it);
        d->in_flight = false;
    }
    plat_trace_end();
}

static void demo_iothread(void *arg)
{
    struct demo *d = arg;

    while (!d->stop) {
        d->io_waiting = true;
        plat_eventfd_wait(&d->kick);
        d->io_waiting = false;
        d->wakeups++;
        if (!d->racy) {
            plat_eventfd_test_and_clear(&d->kick);
            d->kick_pending = false;
            demo_drain(d);
        } else {
            demo_drain(d);
            plat_eventfd_test_and_clear(&d->kick);
            d->kick_pending = false;
        }
    }
}

/* The drain deadline's default: 1 ms (what the demo always allowed), or
 * ten times the modelled cost of draining the items still queued, if that
 * is longer, so an overloaded iothread gets time in proportion to its
 * backlog. */
#define DEMO_DRAIN_MIN_NS 1000000
#define DEMO_DRAIN_MARGIN 10

/* The heal phase (scenario.h): with the faults stopped, the system must
 * converge within run.heal_ms: every submitted item processed, the queue
 * empty and the iothread asleep on its eventfd with no kick left in it.
 * Demo faults refuse submissions, so this mostly gives an overloaded
 * iothread its bound; a lost kick never converges. */
static void demo_heal(struct demo *d)
{
    uint64_t deadline = scn_heal_begin(d->run, false);
    uint64_t step, processed0 = d->processed;
    bool done = false, stuck = false;
    int outcome;

    if (!deadline) {
        return;
    }
    /* all_processed judges the drain deadline, not what healing did. */
    memcpy(d->seen_dl, d->seen, d->ring_cap);
    d->head_dl = d->head;
    d->in_flight_dl = d->in_flight;
    d->healed = true;
    step = (deadline - plat_now_ns()) / 1000 + 1;
    plat_trace_begin("heal");
    while (plat_now_ns() < deadline) {
        done = d->processed == d->submitted && d->head == d->tail &&
               !d->in_flight && d->io_waiting && !d->kick_pending;
        /* Asleep with items queued and no kick: nothing will move. */
        stuck = d->io_waiting && !d->kick_pending && d->head != d->tail;
        if (done || stuck) {
            break;
        }
        sim_sleep_ns(step);
    }
    plat_trace_end();
    /* At the deadline, an iothread that processed items meanwhile is
     * overloaded (late; said once, by the drain deadline if that was
     * missed too), one that did not is stuck. */
    outcome = done ? SCN_HEAL_CONVERGED
              : stuck || d->processed == processed0 ? SCN_HEAL_STUCK
              : d->queued_at_deadline ? SCN_HEAL_CONVERGED : SCN_HEAL_LATE;
    scn_heal_end(d->run, outcome, "%llu of %llu items processed, %llu "
                 "queued, the iothread %s, a kick %s",
                 (unsigned long long)d->processed,
                 (unsigned long long)d->submitted,
                 (unsigned long long)(d->tail - d->head),
                 d->io_waiting ? "asleep on its eventfd" : "awake",
                 d->kick_pending ? "pending" : "not pending");
}

/* True when virtual time orders the threads (the `time` strategy); under
 * the others a thread's clock runs ahead of the rest, so the drain is
 * judged by progress, not by the deadline. */
static bool demo_timed(const struct demo *d)
{
    return d->run->sim_opt.strategy == SIM_STRATEGY_TIME;
}

/* Waits for the vCPUs, then until the queue is drained or the drain
 * deadline passes, and ends the run.  At the deadline it records whether
 * the iothread sleeps on the eventfd with items queued and no kick
 * pending: after the last vCPU is done nothing else would wake it, so
 * that is a lost kick (an invariant failure), while items still queued
 * otherwise are a missed deadline.  It waits out the deadline even for
 * a lost kick, so a failing run ends where it always did.  Queue indices
 * are read without the lock: nothing runs between platform calls. */
static void demo_supervisor(void *arg)
{
    struct demo *d = arg;
    uint64_t deadline, processed0;

    while (d->vcpus_done < d->vcpus) {
        sim_sleep_ns(10000);
    }
    d->backlog = d->tail - d->head;
    d->timeout_ns = d->drain_timeout_ns;
    if (d->timeout_ns == 0) {
        d->timeout_ns = d->backlog * d->item_cost_ns * DEMO_DRAIN_MARGIN;
        if (d->timeout_ns < DEMO_DRAIN_MIN_NS) {
            d->timeout_ns = DEMO_DRAIN_MIN_NS;
        }
    }
    processed0 = d->processed;
    deadline = plat_now_ns() + d->timeout_ns;
    while (d->processed < d->submitted &&
           (plat_now_ns() < deadline || !demo_timed(d))) {
        /* Without time order a deadline means nothing: wait for the
         * queue to drain or for the iothread to be stuck (the step bound
         * ends a livelock). */
        if (!demo_timed(d) && plat_now_ns() >= deadline &&
            d->io_waiting && !d->kick_pending && d->head != d->tail) {
            break;
        }
        sim_sleep_ns(1000);
    }
    d->queued_at_deadline = d->tail - d->head;
    d->drained_before_deadline = d->processed - processed0;
    d->lost_kick = d->io_waiting && !d->kick_pending && d->head != d->tail;
    demo_heal(d);
    d->stop = true;
    plat_eventfd_signal(&d->kick);
    d->kick_pending = true;
}

/* all_processed: an item missing at the end is a violation when the kick
 * was lost or when the item is no longer in the queue; items still queued
 * at the drain deadline while the iothread is awake or has a kick pending
 * are an overloaded iothread, reported as a missed deadline. */
static void demo_check_processed(struct demo *d, uint64_t missing,
                                 uint64_t first_missing)
{
    struct scn_run *r = d->run;
    uint64_t total = (uint64_t)d->vcpus * d->items, queued = 0;
    const uint8_t *seen = d->healed ? d->seen_dl : d->seen;
    uint64_t head = d->healed ? d->head_dl : d->head;
    bool in_flight = d->healed ? d->in_flight_dl : d->in_flight;
    const char *why = "";

    for (uint64_t i = head; i < d->tail; i++) {
        struct demo_item *it = &d->ring[i % d->ring_cap];

        if (seen[(uint64_t)it->vcpu * d->items + it->seq] == 0) {
            queued++;
        }
    }
    if (missing && d->lost_kick) {
        why = ": the iothread sleeps on its eventfd with items queued and "
              "no kick pending (a lost kick)";
    } else if (missing > queued + in_flight) {
        why = ": some are no longer queued";
    }
    if (!scn_check(r, !*why, "all_processed",
                   "%llu of %llu items never processed (first: vCPU %llu "
                   "item %llu)%s", (unsigned long long)missing,
                   (unsigned long long)total,
                   (unsigned long long)(missing ? first_missing / d->items
                                                : 0),
                   (unsigned long long)(missing ? first_missing % d->items
                                                : 0), why)) {
        return;
    }
    if (missing) {
        scn_deadline(r, "%llu of %llu items still queued at the drain "
                     "deadline, %llu ns after the vCPUs finished with %llu "
                     "queued; the iothread processed %llu meanwhile "
                     "(workload.drain_timeout_ns)",
                     (unsigned long long)d->queued_at_deadline,
                     (unsigned long long)total,
                     (unsigned long long)d->timeout_ns,
                     (unsigned long long)d->backlog,
                     (unsigned long long)d->drained_before_deadline);
    }
}

static void demo_check(struct demo *d)
{
    struct scn_run *r = d->run;
    uint64_t missing = 0, twice = 0, first_missing = UINT64_MAX;
    uint64_t total = (uint64_t)d->vcpus * d->items;
    const uint8_t *seen = d->healed ? d->seen_dl : d->seen;

    for (uint64_t i = 0; i < total; i++) {
        if (seen[i] == 0) {
            missing++;
            if (first_missing == UINT64_MAX) {
                first_missing = i;
            }
        }
        if (d->seen[i] > 1) {
            twice++;
        }
    }
    if (cfg_bool(r->cfg, "invariants", "all_processed")) {
        demo_check_processed(d, missing, first_missing);
    }
    if (cfg_bool(r->cfg, "invariants", "processed_once")) {
        scn_check(r, twice == 0, "processed_once",
                  "%llu items processed more than once",
                  (unsigned long long)twice);
    }
    if (cfg_bool(r->cfg, "invariants", "fifo_per_vcpu")) {
        scn_check(r, d->fifo_violations == 0, "fifo_per_vcpu",
                  "%llu items processed out of submission order",
                  (unsigned long long)d->fifo_violations);
    }
}

static int demo_run(struct scn_run *r)
{
    struct demo *d = calloc(1, sizeof(*d));
    struct vcpu_arg *args = NULL;
    struct sim_thread *io;
    int rc = -ENOMEM;

    if (!d) {
        return -ENOMEM;
    }
    d->run = r;
    d->racy = strcmp(r->variant, "racy") == 0;
    d->vcpus = (unsigned)cfg_int(r->cfg, "vm", "vcpus");
    d->items = (uint64_t)cfg_int(r->cfg, "workload", "items");
    d->think_ns = (uint64_t)cfg_int(r->cfg, "workload", "think_ns");
    d->jitter_ns = (uint64_t)cfg_int(r->cfg, "workload", "jitter_ns");
    d->backoff_ns = (uint64_t)cfg_int(r->cfg, "workload", "backoff_ns");
    d->drain_timeout_ns =
        (uint64_t)cfg_int(r->cfg, "workload", "drain_timeout_ns");
    if ((uint64_t)d->vcpus * d->items > 50000000) {
        scn_config_error(r, "workload", "items",
                         "vm.vcpus x workload.items must be at most 5e7");
        free(d);
        return -EINVAL;
    }
    d->ring_cap = (uint64_t)d->vcpus * d->items;
    d->ring = calloc(d->ring_cap, sizeof(*d->ring));
    d->seen = calloc(d->ring_cap, 1);
    d->seen_dl = calloc(d->ring_cap, 1);
    d->next_seq = calloc(d->vcpus, sizeof(*d->next_seq));
    args = calloc(d->vcpus, sizeof(*args));
    if (!d->ring || !d->seen || !d->seen_dl || !d->next_seq || !args ||
        scn_sim_create(r) < 0) {
        goto out;
    }
    d->item_cost_ns = sim_cost_model(r->sim)->work_ns[PLAT_WORK_DEMO_ITEM] +
                      sim_cost_model(r->sim)->lock_ns;
    plat_lock_init(&d->lock, PLAT_LOCK_SPIN, "queue lock");
    plat_eventfd_init(&d->kick, "kick");
    for (unsigned i = 0; i < d->vcpus; i++) {
        args[i] = (struct vcpu_arg){.d = d, .id = i};
        if (!sim_spawn(r->sim, "vcpu", i, demo_vcpu, &args[i])) {
            goto out;
        }
    }
    io = sim_spawn(r->sim, "iothread", d->vcpus, demo_iothread, d);
    if (!io || !sim_spawn(r->sim, "supervisor", d->vcpus + 1,
                          demo_supervisor, d)) {
        goto out;
    }
    sim_thread_set_daemon(io, true);
    scn_simulate(r);
    if (r->result == SIM_OK) {
        demo_check(d);
    }
    scn_metric(r, "items_submitted", (double)d->submitted);
    scn_metric(r, "items_processed", (double)d->processed);
    scn_metric(r, "submissions_refused", (double)d->refused);
    scn_metric(r, "iothread_wakeups", (double)d->wakeups);
    scn_metric(r, "latency_ns_mean",
               d->processed ? (double)d->latency_sum_ns / d->processed : 0);
    scn_metric(r, "latency_ns_max", (double)d->latency_max_ns);
    rc = 0;
out:
    if (rc < 0) {
        fprintf(stderr, "kvmsim: demo: out of memory\n");
    }
    free(args);
    free(d->next_seq);
    free(d->seen);
    free(d->seen_dl);
    free(d->ring);
    free(d);
    return rc;
}

const struct scn_driver scn_demo_driver = {
    .name = "demo",
    .summary = "vCPUs hand work to an iothread over a locked queue and an "
               "eventfd",
    .variants = demo_variants,
    .keys = demo_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_DEMO_SUBMIT),
    .run = demo_run,
};

SIM_TSAN_ENGINE_END
