/*
 * scenarios/its/its_driver.c - seed 002: an LPI storm through the GIC ITS
 * translation cache (core/its.h, core/its_cache.h), variants none (every
 * MSI goes to a kworker), global (one LRU under one lock), sharded (the
 * seed: 8 LRUs hashed by CPU) and lockless.
 *
 * The load (the seed's): M NICs, each receiving one iperf UDP stream of
 * `packet_bytes`-byte datagrams at `mbit_per_nic` Mbit/s (iperf counts UDP
 * payload), so packets/s per NIC = mbit * 1e6 / (8 * packet_bytes): 78,125/s
 * for 64 bytes at 40 Mbit/s.  One flow hashes to one receive queue, so one
 * queue per NIC carries the traffic (`queues` raises that).  `coalesce`
 * packets share one interrupt (default 1: no coalescing, 78,125 MSIs/s per
 * NIC, 781,250/s for 10 NICs); arrivals are Poisson at that rate, from a
 * tape-decided random phase.
 *
 * Threads.  Queue q of NIC n is (device n, event q) -> LPI 8192 + n*queues
 * + q, collection (n*queues + q) % vcpus; its irqfd wakeups land on CPU
 * (n*queues + q) % cpus, where a "nic" thread raises each MSI: the irqfd
 * wakeup runs its_inject_fast() on that CPU.  A hit is done there; a miss
 * is queued to that CPU's kworker (a simulated thread on the same CPU,
 * woken through an eventfd), which runs its_inject_slow().  The latency of
 * an injection is from the MSI's arrival to the return of the call that
 * delivered it: irqfd wakeup + lookup (probes under the cache lock, and
 * waiting for it) + inject, plus on a miss the kworker's wakeup and
 * scheduling delay, the table lock and the walk.  A "guest" thread on the
 * last CPU issues ITS commands during the storm: every `inv_every_us` an
 * INV or INVALL (which do not invalidate the cache), every `remap_every_us`
 * a MOVI of one queue's event to another collection or a DISCARD followed
 * by MAPTI of the same LPI (both invalidate).
 *
 * Costs: the ITS work kinds of model/cost.c (irqfd wakeup + inject, table
 * walk, cache probe), the engine's lock and wakeup prices, and the cache
 * lines core/its.c and core/its_cache.c declare (lock words, LRU entries,
 * LPI refcounts, vCPU pending lists), each transfer between CPUs priced at
 * the measured line_transfer_ns (sim/coherence.c); a contended lock's
 * hand-off adds nothing beyond its word's transfer.  All overridable with
 * [cost] keys.  `kvmsim compare its-lpi-storm` fits the
 * three ITS constants on the seed's kworker and global rows and predicts
 * the sharded row.
 *
 * Invariants: freshness (every delivered translation obeys the rule in
 * tests/test_its.c, checked per injection against the guest's command
 * log), exactly-once delivery (every MSI delivered once, or refused
 * because the guest had unmapped its event), its_check() at the quiescent
 * points (after setup, at the end: refcounts = ITEs + cache entries, cache
 * == tables, no hardware-mapped LPI cached), its_destroy() == 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/its.h"
#include "model/cost.h"
#include "model/fit.h"
#include "model/its/its_check.h"
#include "model/seeds.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"
#include "sim/coherence.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, oracle records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

/* The race phase's devices, LPIs and retries (see lpi_race_thread()). */
#define LPI_RACE_DEV 1000u
#define LPI_RACE_DEVS 2u     /* per commander */
#define LPI_RACE_EVENTS 32u
#define LPI_RACE_KEYS (2u * LPI_RACE_DEVS * LPI_RACE_EVENTS)
#define LPI_RACE_INTID (ITS_LPI_BASE + 16384u)
#define LPI_RACE_RETRIES 100

static const char *const lpi_variants[] = {"none", "global", "sharded",
                                           "lockless", NULL};

static const struct cfg_key lpi_keys[] = {
    {"workload", "nics", CFG_INT, "1", 1, 64, NULL,
     "NICs, each receiving one iperf UDP stream"},
    {"workload", "queues", CFG_INT, "1", 1, 16, NULL,
     "receive queues per NIC carrying traffic (one flow: 1)"},
    {"workload", "mbit_per_nic", CFG_DOUBLE, "40", 0.001, 100000, NULL,
     "offered UDP payload rate per NIC, Mbit/s (iperf -b)"},
    {"workload", "packet_bytes", CFG_INT, "64", 1, 65507, NULL,
     "UDP payload bytes per datagram (iperf -l)"},
    {"workload", "coalesce", CFG_INT, "1", 1, 1024, NULL,
     "packets per interrupt (1: an MSI per packet)"},
    {"workload", "duration_ms", CFG_DOUBLE, "20", 0.01, 10000, NULL,
     "virtual time during which MSIs arrive"},
    {"workload", "inv_every_us", CFG_DOUBLE, "500", 0, 1e9, NULL,
     "guest INV/INVALL period, alternating (0: none)"},
    {"workload", "remap_every_us", CFG_DOUBLE, "10000", 0, 1e9, NULL,
     "guest MOVI or DISCARD+MAPTI period, alternating (0: none)"},
    {"workload", "race_rounds", CFG_INT, "60", 0, 100000, NULL,
     "race phase after the storm: commands per commander (0: no race "
     "phase; needs vm.vcpus >= 2 and vm.cpus >= 4)"},
    {"workload", "race_readers", CFG_INT, "3", 1, 64, NULL,
     "race phase: readers injecting every race key, one per CPU"},
    {"workload", "race_reads", CFG_INT, "400", 1, 10000000, NULL,
     "race phase: injections per reader"},
    {"workload", "race_alloc_fault", CFG_DOUBLE, "0.05", 0, 1, NULL,
     "race phase: probability that an allocation fails (the larger of "
     "this and faults.alloc); failed MAPD/MAPTI are retried"},
    {"invariants", "freshness", CFG_BOOL, "true", 0, 0, NULL,
     "a translation handed out is no older than the last invalidating "
     "command the caller could have observed"},
    {"invariants", "exactly_once", CFG_BOOL, "true", 0, 0, NULL,
     "every MSI delivered once, unless its event was unmapped"},
    {"invariants", "its_check", CFG_BOOL, "true", 0, 0, NULL,
     "its_check() at quiescent points: refcounts, cache == tables, no "
     "hardware-mapped LPI cached"},
    {"invariants", "no_leak", CFG_BOOL, "true", 0, 0, NULL,
     "its_destroy() finds no LPI still referenced"},
    {"invariants", "race_tables", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: after every command the tables translate each key of "
     "its commander as the checker's model says"},
    {"invariants", "race_fresh", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: no stale translation and no lost interrupt against the "
     "model's per-key command log"},
    {"invariants", "race_refs", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: refcounts between ITEs and ITEs + cache lists, no LPI "
     "without an ITE, deliveries seen once"},
    {"invariants", "race_cost", CFG_BOOL, "true", 0, 0, NULL,
     "race phase: cache invalidations == the invalidating commands that "
     "succeeded"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* One MSI waiting for a kworker. */
struct lpi_job {
    uint32_t key;       /* queue index n*queues + q */
    uint64_t arrive_ns;
};

/* The kworker of one CPU and its FIFO of jobs. */
struct lpi_kworker {
    struct lpi_world *w;
    uint32_t cpu;
    struct plat_eventfd ev;
    struct lpi_job *ring;
    uint32_t cap, head, n;
    uint32_t producers, producers_done;
    uint64_t max_queued;
};

struct lpi_world {
    struct scn_run *run;
    struct its *its;
    struct its_config icfg;
    uint32_t nics, queues, nkeys, vcpus, cpus;
    double mean_gap_ns;
    uint64_t duration_ns, inv_every_ns, remap_every_ns;
    uint64_t kworker_sched_ns;
    struct lpi_kworker *kw;      /* per CPU (used where producers > 0) */
    /* the guest's command log for the freshness rule */
    uint32_t started, completed; /* command numbers */
    uint8_t *invalidates;        /* per command, 1-based */
    uint32_t ncmds, cmds_cap;
    struct lpi_key_log *log;     /* per key */
    uint32_t *collection;        /* current collection per key */
    /* results */
    double *lat_us;
    size_t nlat, lat_cap;
    uint64_t raised, ok, unmapped, refused_other, hook_calls, hits, misses;
    uint64_t *hook_per_key;      /* deliver-hook calls per key */
    uint64_t *ok_per_key;        /* injections that reported delivery */
    uint64_t stale, stale_first_key;
    uint64_t cmd_errors, check_failures, oom;
    uint64_t cmd_nomem; /* guest commands refused by an allocation fault */
    char check_msg[256];
    unsigned leaked;
    uint32_t storm_live;          /* storm actors still running */
    struct its_stats storm_stats; /* when the last one finished */
    struct lpi_race *race;        /* NULL: no race phase */
};

static void lpi_storm_done(struct lpi_world *w);

/* The race phase's model and results (lpi_race_thread()); the per-key
 * records (struct lpi_race_key, lpi_race_seen) are model/its/its_check.h's.
 */
struct lpi_race {
    struct lpi_world *w;
    uint64_t rounds, reads;
    uint32_t readers, live, finished; /* actors started, finished */
    bool dev_mapped[2 * LPI_RACE_DEVS];
    bool coll_mapped[ITS_MAX_VCPUS];
    struct lpi_race_key key[LPI_RACE_KEYS];
    uint64_t inv_expected, inv0, cmd_fail, table_mismatch, stale, lost;
    uint64_t injected, delivered, refs_bad, enomem;
    struct lpi_race_seen *seen;  /* every injection, judged at the end */
    size_t nseen, seen_cap;
    struct plat_eventfd done;    /* an actor finished */
    struct lpi_race_reader {
        struct lpi_race *rc;
        uint32_t id;
    } rd[64];                    /* race_readers <= 64 */
    char msg[200];
};


static uint32_t lpi_intid(uint32_t key)
{
    return ITS_LPI_BASE + key;
}

static struct its_msi lpi_msi(const struct lpi_world *w, uint32_t key)
{
    struct its_msi m = {w->icfg.doorbell, key / w->queues, key % w->queues};

    return m;
}

static void lpi_deliver_hook(void *arg, uint32_t intid, uint32_t vcpu,
                             bool hw)
{
    struct lpi_world *w = arg;

    (void)vcpu;
    (void)hw;
    if (w->race && intid >= LPI_RACE_INTID &&
        intid - LPI_RACE_INTID < LPI_RACE_KEYS) {
        w->race->key[intid - LPI_RACE_INTID].hook++;
        return; /* the race phase counts its own */
    }
    w->hook_calls++;
    if (intid >= ITS_LPI_BASE && intid - ITS_LPI_BASE < w->nkeys) {
        w->hook_per_key[intid - ITS_LPI_BASE]++;
    }
}

static void lpi_record(struct lpi_world *w, uint32_t key, bool hit,
                       uint32_t c0, int rc, const struct its_inject_result *res,
                       uint64_t arrive_ns)
{
    uint32_t s1 = w->started;
    uint32_t got = rc == 0 ? res->intid : 0;

    if (rc == 0) {
        w->ok++;
        w->ok_per_key[key]++;
    } else if (rc == -ENOENT) {
        w->unmapped++;
    } else {
        w->refused_other++;
    }
    if (!lpi_check_fresh(&w->log[key], w->invalidates, hit, c0, s1, got)) {
        if (!w->stale) {
            w->stale_first_key = key;
        }
        w->stale++;
    }
    if (rc == 0) {
        if (w->nlat == w->lat_cap) {
            size_t cap = w->lat_cap ? 2 * w->lat_cap : 4096;
            double *p;

            SIM_TSAN_IGNORE_BEGIN();
            p = realloc(w->lat_us, cap * sizeof(*p));
            SIM_TSAN_IGNORE_END();

            if (!p) {
                w->oom++;
                return;
            }
            w->lat_us = p;
            w->lat_cap = cap;
        }
        w->lat_us[w->nlat++] = (double)(plat_now_ns() - arrive_ns) / 1e3;
    }
}

static void lpi_kworker_thread(void *arg)
{
    struct lpi_kworker *k = arg;
    struct lpi_world *w = k->w;

    for (;;) {
        while (k->n > 0) {
            struct lpi_job j = k->ring[k->head];
            struct its_inject_result res;
            struct its_msi m = lpi_msi(w, j.key);
            uint32_t c0;
            int rc;

            k->head = (k->head + 1) % k->cap;
            k->n--;
            c0 = w->completed;
            rc = its_inject_slow(w->its, &m, &res);
            lpi_record(w, j.key, false, c0, rc, &res, j.arrive_ns);
        }
        if (k->producers_done == k->producers) {
            lpi_storm_done(w);
            return;
        }
        plat_eventfd_wait(&k->ev);
        plat_eventfd_test_and_clear(&k->ev);
        if (k->n > 0) {
            plat_spend_ns(w->kworker_sched_ns);
        }
    }
}

static int lpi_kworker_push(struct lpi_kworker *k, const struct lpi_job *j)
{
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? 2 * k->cap : 64;
        struct lpi_job *r;

        SIM_TSAN_IGNORE_BEGIN();
        r = malloc(cap * sizeof(*r));
        SIM_TSAN_IGNORE_END();

        if (!r) {
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < k->n; i++) {
            r[i] = k->ring[(k->head + i) % k->cap];
        }
        SIM_TSAN_IGNORE_BEGIN();
        free(k->ring);
        SIM_TSAN_IGNORE_END();
        k->ring = r;
        k->cap = cap;
        k->head = 0;
    }
    k->ring[(k->head + k->n) % k->cap] = *j;
    k->n++;
    if (k->n > k->max_queued) {
        k->max_queued = k->n;
    }
    return 0;
}

struct lpi_nic {
    struct lpi_world *w;
    uint32_t key;
    struct lpi_kworker *kw;
    uint64_t rng; /* arrivals: drawn from the tape before the run, so
                     they do not move when costs reorder the schedule */
};

/* Exponential gap with the given mean. */
static uint64_t lpi_gap_ns(struct lpi_nic *q, double mean_ns)
{
    const uint64_t one = 1ull << 53;
    double u = (double)((sim_splitmix64(&q->rng) >> 11) + 1) / (double)one;

    return (uint64_t)(-log(u) * mean_ns + 0.5);
}

static void lpi_nic_thread(void *arg)
{
    struct lpi_nic *q = arg;
    struct lpi_world *w = q->w;
    struct its_msi m = lpi_msi(w, q->key);
    uint64_t t = sim_splitmix64(&q->rng) % ((uint64_t)w->mean_gap_ns + 1);

    while (t < w->duration_ns) {
        struct its_inject_result res;
        uint64_t now = plat_now_ns();
        uint32_t c0;
        int rc;

        if (t > now) {
            sim_sleep_ns(t - now);
        }
        w->raised++;
        c0 = w->completed;
        rc = its_inject_fast(w->its, ITS_CPU_SELF, &m, &res);
        if (rc == -EWOULDBLOCK) {
            struct lpi_job j = {q->key, t};

            w->misses++;
            if (lpi_kworker_push(q->kw, &j) < 0) {
                w->oom++;
            } else {
                plat_eventfd_signal(&q->kw->ev);
            }
        } else {
            w->hits++;
            lpi_record(w, q->key, true, c0, rc, &res, t);
        }
        t += lpi_gap_ns(q, w->mean_gap_ns);
    }
    q->kw->producers_done++;
    plat_eventfd_signal(&q->kw->ev);
    lpi_storm_done(w);
}

/* Run one guest command on `target` (a key, or -1 for none), numbering
 * it and logging its effect on key `key`'s translation for the freshness
 * rule.  A MAPTI refused by an allocation fault leaves the event unmapped
 * (the guest is not told): later commands on it find nothing (-ENOENT),
 * which is expected, until a MAPTI succeeds. */
static void lpi_guest_cmd(struct lpi_world *w, const struct its_cmd *c,
                          int64_t target, bool invalidates, int64_t key,
                          uint32_t new_intid)
{
    uint32_t v;
    bool logged = false;
    uint64_t injected;
    int rc;

    if (w->ncmds + 1 >= w->cmds_cap) {
        uint32_t cap = w->cmds_cap ? 2 * w->cmds_cap : 64;
        uint8_t *p;

        SIM_TSAN_IGNORE_BEGIN();
        p = realloc(w->invalidates, cap);
        if (p) {
            memset(p + w->cmds_cap, 0, cap - w->cmds_cap);
        }
        SIM_TSAN_IGNORE_END();
        if (!p) {
            w->oom++;
            return;
        }
        w->invalidates = p;
        w->cmds_cap = cap;
    }
    v = ++w->ncmds;
    w->invalidates[v] = invalidates;
    if (key >= 0) {
        if (lpi_check_log_append(&w->log[key], v, new_intid) < 0) {
            w->oom++;
        } else {
            logged = true;
        }
    }
    w->started = v;
    injected = sim_fault_injected();
    rc = its_cmd_exec(w->its, c);
    if (rc == -ENOMEM && c->op == ITS_CMD_MAPTI && target >= 0 &&
        sim_fault_injected() > injected) {
        /* A fault injected during this command: expected, not an error. */
        w->cmd_nomem++;
        w->log[target].gone = true;
    } else if (rc == -ENOENT && target >= 0 && w->log[target].gone) {
        w->cmd_nomem++;
    } else if (rc != 0) {
        w->cmd_errors++;
    } else if (c->op == ITS_CMD_MAPTI && target >= 0) {
        w->log[target].gone = false;
    }
    if (rc != 0 && logged) {
        /* A refused command changed nothing: after it the key
         * translates as before it. */
        struct lpi_key_log *l = &w->log[key];

        l->c[l->n - 1].intid = l->n >= 2 ? l->c[l->n - 2].intid : 0;
    }
    w->completed = v;
}

static void lpi_guest_thread(void *arg)
{
    struct lpi_world *w = arg;
    uint64_t next_inv = w->inv_every_ns ? w->inv_every_ns : UINT64_MAX;
    uint64_t next_remap = w->remap_every_ns ? w->remap_every_ns
                                            : UINT64_MAX;
    uint32_t ninv = 0, nremap = 0;

    for (;;) {
        uint64_t t = next_inv < next_remap ? next_inv : next_remap;
        uint64_t now = plat_now_ns();

        if (t >= w->duration_ns) {
            lpi_storm_done(w);
            return;
        }
        if (t > now) {
            sim_sleep_ns(t - now);
        }
        if (t == next_inv) {
            uint32_t key = ninv % w->nkeys;
            struct its_msi m = lpi_msi(w, key);
            struct its_cmd c = {.op = ITS_CMD_INV, .devid = m.devid,
                                .eventid = m.eventid};

            if (ninv % 2) {
                c.op = ITS_CMD_INVALL;
                c.icid = w->collection[key];
            }
            lpi_guest_cmd(w, &c, ninv % 2 ? -1 : (int64_t)key, false, -1,
                          0);
            ninv++;
            next_inv += w->inv_every_ns;
        } else {
            uint32_t key = nremap % w->nkeys;
            struct its_msi m = lpi_msi(w, key);

            if (nremap % 2 == 0) {
                struct its_cmd c = {.op = ITS_CMD_MOVI, .devid = m.devid,
                                    .eventid = m.eventid};

                w->collection[key] = (w->collection[key] + 1) % w->vcpus;
                c.icid = w->collection[key];
                lpi_guest_cmd(w, &c, key, true, key, lpi_intid(key));
            } else {
                struct its_cmd d = {.op = ITS_CMD_DISCARD, .devid = m.devid,
                                    .eventid = m.eventid};
                struct its_cmd c = {.op = ITS_CMD_MAPTI, .devid = m.devid,
                                    .eventid = m.eventid,
                                    .intid = lpi_intid(key),
                                    .icid = w->collection[key]};

                lpi_guest_cmd(w, &d, key, true, key, 0);
                lpi_guest_cmd(w, &c, key, false, key, lpi_intid(key));
            }
            nremap++;
            next_remap += w->remap_every_ns;
        }
    }
}

/* ---- the race phase: two commanders against readers, faults armed ----
 *
 * When the storm's last actor finishes (so its latencies are those the
 * seed's table compares), a "race" thread starts two commanders and
 * `race_readers` readers on different CPUs and arms the allocation fault
 * site at `race_alloc_fault`.  Commander c owns devices LPI_RACE_DEV +
 * c * LPI_RACE_DEVS.. (32 events each) and the collections of its parity;
 * each round it runs one of DISCARD + MAPTI, MOVI, MAPC V=0 + V=1, INV,
 * MAPD V=0 + MAPD V=1 + MAPTIs (the failed MAPD/MAPTI of an allocation
 * fault is retried), so the cache is invalidated by two threads at once,
 * and evicted by readers' inserts (more keys than a list holds).  Readers
 * inject every key with its_inject() from their CPU.
 *
 * The checker's model: per key, the ITE, its collection, whether the
 * device and the collection are mapped, and the translation after every
 * command on it (a per-key log).  Checked during the run: after each
 * command, its_translate() of every key of the commander equals the model
 * (race_tables); every injection delivers a translation the model held
 * since the last invalidating command before the lookup began, and fails
 * only if the model held no translation then (race_fresh: no stale
 * translation, no lost interrupt); every delivery the ITS reports is seen
 * once by the guest (race_exactly_once).  At the end: every mapped LPI's
 * reference count lies between its ITEs and its ITEs plus one per cache
 * list, no unmapped race LPI survives (race_refs); cache invalidations ==
 * the invalidating commands that succeeded, counted from core/its.h's
 * list (race_cost). */


static uint32_t lpi_race_t(const struct lpi_race *rc, uint32_t k)
{
    const struct lpi_race_key *e = &rc->key[k];

    return rc->dev_mapped[k / LPI_RACE_EVENTS] && e->ite &&
                   e->icid < ITS_MAX_VCPUS && rc->coll_mapped[e->icid]
               ? LPI_RACE_INTID + k
               : 0;
}

static struct its_msi lpi_race_msi(const struct lpi_race *rc, uint32_t k)
{
    struct its_msi m = {rc->w->icfg.doorbell,
                        LPI_RACE_DEV + k / LPI_RACE_EVENTS,
                        k % LPI_RACE_EVENTS};

    return m;
}

/* Around a command on key k: number it, then log the translation the
 * model gives after it. */
static void lpi_race_begin(struct lpi_race *rc, uint32_t k)
{
    rc->key[k].started++;
}

static void lpi_race_end(struct lpi_race *rc, uint32_t k, bool inval)
{
    struct lpi_race_key *e = &rc->key[k];

    if (e->n == e->cap) {
        uint32_t cap = e->cap ? 2 * e->cap : 16;
        struct lpi_change *c = realloc(e->c, cap * sizeof(*c));
        uint8_t *iv = realloc(e->inv, cap);

        if (c) {
            e->c = c;
        }
        if (iv) {
            e->inv = iv;
        }
        if (!c || !iv) {
            rc->w->oom++;
            e->completed = e->started;
            return;
        }
        e->cap = cap;
    }
    e->c[e->n].v = e->started;
    e->c[e->n].intid = lpi_race_t(rc, k);
    e->inv[e->n] = inval;
    e->n++;
    e->completed = e->started;
}

/* Whether key k translates now (device, ITE, a mapped collection). */
static bool lpi_race_live(const struct lpi_race *rc, uint32_t k)
{
    return lpi_race_t(rc, k) != 0;
}

/* Run one command with retries of an allocation failure.  0 or -errno. */
static int lpi_race_exec(struct lpi_race *rc, const struct its_cmd *c)
{
    int r = -ENOMEM;

    for (unsigned t = 0; t < LPI_RACE_RETRIES && r == -ENOMEM; t++) {
        r = its_cmd_exec(rc->w->its, c);
        rc->enomem += r == -ENOMEM;
    }
    if (r != 0) {
        rc->cmd_fail++;
        snprintf(rc->msg, sizeof(rc->msg), "%s dev %u event %u: %d",
                 its_cmd_name(c->op), c->devid, c->eventid, r);
    }
    return r;
}

/* After a command: the tables translate every key of commander cm as the
 * model says (its_translate() walks the tables, not the cache). */
static void lpi_race_check_tables(struct lpi_race *rc, uint32_t cm)
{
    uint32_t per = LPI_RACE_DEVS * LPI_RACE_EVENTS;

    for (uint32_t k = cm * per; k < (cm + 1) * per; k++) {
        struct its_msi m = lpi_race_msi(rc, k);
        uint32_t got = 0;

        if (its_translate(rc->w->its, &m, &got) != 0) {
            got = 0;
        }
        if (got != lpi_race_t(rc, k)) {
            rc->table_mismatch++;
            snprintf(rc->msg, sizeof(rc->msg), "key %u: tables translate "
                     "to %u, the commands left %u", k, got,
                     lpi_race_t(rc, k));
        }
    }
}

struct lpi_race_cmdr {
    struct lpi_race *rc;
    uint32_t id;
};

/* Map device d (global index) and all its events on collection icid. */
static void lpi_race_map_dev(struct lpi_race *rc, uint32_t d, uint32_t icid)
{
    struct its_cmd c = {.op = ITS_CMD_MAPD, .devid = LPI_RACE_DEV + d,
                        .size = 5, .valid = true};

    if (lpi_race_exec(rc, &c) != 0) {
        return;
    }
    rc->dev_mapped[d] = true;
    for (uint32_t e = 0; e < LPI_RACE_EVENTS; e++) {
        uint32_t k = d * LPI_RACE_EVENTS + e;
        struct its_cmd t = {.op = ITS_CMD_MAPTI, .devid = c.devid,
                            .eventid = e, .intid = LPI_RACE_INTID + k,
                            .icid = icid};

        lpi_race_begin(rc, k);
        if (lpi_race_exec(rc, &t) == 0) {
            rc->key[k].ite = true;
            rc->key[k].icid = icid;
        }
        lpi_race_end(rc, k, false);
    }
}

static void lpi_race_commander(void *arg)
{
    struct lpi_race_cmdr *cd = arg;
    struct lpi_race *rc = cd->rc;
    uint32_t vc = rc->w->vcpus;
    uint32_t d0 = cd->id * LPI_RACE_DEVS;

    for (uint32_t d = d0; d < d0 + LPI_RACE_DEVS; d++) {
        lpi_race_map_dev(rc, d, cd->id);
    }
    lpi_race_check_tables(rc, cd->id);
    for (uint64_t i = 0; i < rc->rounds; i++) {
        uint32_t d = d0 + (uint32_t)(i / 5 % LPI_RACE_DEVS);
        uint32_t ev = (uint32_t)(i * 7 % LPI_RACE_EVENTS);
        uint32_t k = d * LPI_RACE_EVENTS + ev;
        struct lpi_race_key *e = &rc->key[k];
        struct its_cmd c = {.devid = LPI_RACE_DEV + d, .eventid = ev};
        /* this commander's collections: cd->id, cd->id + 2, ... */
        uint32_t mine = (vc - cd->id + 1) / 2;
        uint32_t other = cd->id + 2 * (uint32_t)((i / 5 + 1) % mine);

        switch (i % 5) {
        case 0: /* DISCARD, then MAPTI the same LPI again */
            if (!lpi_race_live(rc, k)) {
                break;
            }
            c.op = ITS_CMD_DISCARD;
            lpi_race_begin(rc, k);
            if (lpi_race_exec(rc, &c) == 0) {
                e->ite = false;
                rc->inv_expected++;
            }
            lpi_race_end(rc, k, true);
            c.op = ITS_CMD_MAPTI;
            c.intid = LPI_RACE_INTID + k;
            c.icid = e->icid;
            lpi_race_begin(rc, k);
            if (lpi_race_exec(rc, &c) == 0) {
                e->ite = true;
            }
            lpi_race_end(rc, k, false);
            break;
        case 1: /* MOVI to another collection of mine */
            if (!lpi_race_live(rc, k) || !rc->coll_mapped[other]) {
                break;
            }
            c.op = ITS_CMD_MOVI;
            c.icid = other;
            lpi_race_begin(rc, k);
            if (lpi_race_exec(rc, &c) == 0) {
                e->icid = other;
                rc->inv_expected++;
            }
            lpi_race_end(rc, k, true);
            break;
        case 2: /* unmap and remap a collection of mine (orphans) */
            for (int valid = 0; valid <= 1; valid++) {
                struct its_cmd m = {.op = ITS_CMD_MAPC, .icid = other,
                                    .vcpu = other, .valid = valid};

                for (uint32_t j = d0 * LPI_RACE_EVENTS;
                     j < (d0 + LPI_RACE_DEVS) * LPI_RACE_EVENTS; j++) {
                    lpi_race_begin(rc, j);
                }
                if (lpi_race_exec(rc, &m) == 0) {
                    rc->coll_mapped[other] = valid;
                    rc->inv_expected += !valid;
                    /* V=0 orphans the collection's ITEs for good
                     * (ITS_ICID_NONE): V=1 does not bring them back. */
                    for (uint32_t j = d0 * LPI_RACE_EVENTS;
                         !valid && j < (d0 + LPI_RACE_DEVS) *
                                           LPI_RACE_EVENTS; j++) {
                        if (rc->key[j].ite && rc->key[j].icid == other) {
                            rc->key[j].icid = ITS_ICID_NONE;
                        }
                    }
                }
                for (uint32_t j = d0 * LPI_RACE_EVENTS;
                     j < (d0 + LPI_RACE_DEVS) * LPI_RACE_EVENTS; j++) {
                    lpi_race_end(rc, j, !valid);
                }
            }
            break;
        case 3: /* INV: no invalidation */
            if (!lpi_race_live(rc, k)) {
                break;
            }
            c.op = ITS_CMD_INV;
            lpi_race_exec(rc, &c);
            break;
        default: /* unmap the device, map it again with every event */
            c.op = ITS_CMD_MAPD;
            c.valid = false;
            for (uint32_t j = 0; j < LPI_RACE_EVENTS; j++) {
                lpi_race_begin(rc, d * LPI_RACE_EVENTS + j);
            }
            if (lpi_race_exec(rc, &c) == 0) {
                rc->inv_expected += rc->dev_mapped[d];
                rc->dev_mapped[d] = false;
                for (uint32_t j = 0; j < LPI_RACE_EVENTS; j++) {
                    rc->key[d * LPI_RACE_EVENTS + j].ite = false;
                }
            }
            for (uint32_t j = 0; j < LPI_RACE_EVENTS; j++) {
                lpi_race_end(rc, d * LPI_RACE_EVENTS + j, true);
            }
            lpi_race_map_dev(rc, d, rc->coll_mapped[other] ? other : cd->id);
            break;
        }
        lpi_race_check_tables(rc, cd->id);
    }
    rc->finished++;
    plat_eventfd_signal(&rc->done);
}

static void lpi_race_reader(void *arg)
{
    struct lpi_race_reader *rd = arg;
    struct lpi_race *rc = rd->rc;

    for (uint64_t i = 0; i < rc->reads; i++) {
        uint32_t k = (uint32_t)((i * 37 + rd->id * 11) % LPI_RACE_KEYS);
        struct lpi_race_key *e = &rc->key[k];
        struct its_msi m = lpi_race_msi(rc, k);
        struct its_inject_result res;
        uint32_t c0 = e->completed, s1, got;
        int r;

        memset(&res, 0, sizeof(res));
        r = its_inject(rc->w->its, ITS_CPU_SELF, &m, &res);
        s1 = e->started;
        got = r == 0 ? res.intid : 0;
        rc->injected++;
        if (r == 0) {
            e->ok++;
        }
        /* A command still running on the key has not logged what it
         * leaves: the injection is judged once the phase is over. */
        if (rc->nseen == rc->seen_cap) {
            size_t cap = rc->seen_cap ? 2 * rc->seen_cap : 1024;
            struct lpi_race_seen *p = realloc(rc->seen, cap * sizeof(*p));

            if (!p) {
                rc->w->oom++;
                continue;
            }
            rc->seen = p;
            rc->seen_cap = cap;
        }
        rc->seen[rc->nseen++] = (struct lpi_race_seen){
            .key = k, .hit = r == 0 && res.hit, .c0 = c0, .s1 = s1,
            .got = got, .rc = r,
        };
    }
    rc->finished++;
    plat_eventfd_signal(&rc->done);
}

static void lpi_race_thread(void *arg)
{
    struct lpi_race *rc = arg;
    struct lpi_world *w = rc->w;
    struct scn_run *r = w->run;
    struct lpi_race_cmdr cd[2];
    struct lpi_race_reader *rd = rc->rd; /* in the world: a run stopped
                                            mid-phase leaks nothing */
    double p = cfg_double(r->cfg, "workload", "race_alloc_fault");
    double p0 = cfg_fault_prob(r->cfg, PLAT_FAULT_ALLOC);
    struct its_stats st;

    its_get_stats(w->its, &st);
    rc->inv0 = st.invalidations;
    for (uint32_t i = 0; i < w->vcpus; i++) {
        rc->coll_mapped[i] = true;
    }
    rc->live = 2 + rc->readers;
    sim_fault_set_prob(PLAT_FAULT_ALLOC, p > p0 ? p : p0);
    for (uint32_t c = 0; c < 2; c++) {
        cd[c].rc = rc;
        cd[c].id = c;
        if (!sim_spawn(r->sim, "commander", c, lpi_race_commander, &cd[c])) {
            rc->live--;
            rc->cmd_fail++;
        }
    }
    for (uint32_t i = 0; i < rc->readers; i++) {
        rd[i].rc = rc;
        rd[i].id = i;
        if (!sim_spawn(r->sim, "race-reader", 2 + i, lpi_race_reader,
                       &rd[i])) {
            rc->live--;
        }
    }
    while (rc->finished < rc->live) {
        plat_eventfd_wait(&rc->done);
        plat_eventfd_test_and_clear(&rc->done);
    }
    sim_fault_set_prob(PLAT_FAULT_ALLOC, p0);
    its_get_stats(w->its, &st);
    rc->inv0 = st.invalidations - rc->inv0;
    /* Judge every injection against the complete per-key logs, then the
     * reference counts and leftovers (the phase is quiescent). */
    lpi_check_race_judge(rc->key, rc->seen, rc->nseen, &rc->stale,
                         &rc->lost, rc->msg, sizeof(rc->msg));
    lpi_check_race_refs(w->its, w->icfg.cache == ITS_CACHE_SHARDED
                                    ? ITS_CACHE_SHARDS : 1,
                        LPI_RACE_INTID, LPI_RACE_KEYS, LPI_RACE_EVENTS,
                        rc->dev_mapped, rc->key, &rc->refs_bad,
                        &rc->delivered, rc->msg, sizeof(rc->msg));
}

/* A storm actor finished; the last one starts the race phase. */
static void lpi_storm_done(struct lpi_world *w)
{
    if (--w->storm_live > 0) {
        return;
    }
    its_get_stats(w->its, &w->storm_stats);
    if (w->race && !sim_spawn(w->run->sim, "race", w->cpus - 1,
                              lpi_race_thread, w->race)) {
        w->oom++;
    }
}

/* Map everything and enable, as the guest's driver does at boot.  Runs
 * before the simulation starts (one thread, time 0).  0 or -errno. */
static int lpi_setup(struct lpi_world *w)
{
    struct its_cmd c;
    int rc = 0;

    memset(&c, 0, sizeof(c));
    c.op = ITS_CMD_SET_ENABLED;
    c.valid = true;
    rc |= its_cmd_exec(w->its, &c);
    for (uint32_t v = 0; v < w->vcpus; v++) {
        memset(&c, 0, sizeof(c));
        c.op = ITS_CMD_SET_LPIS;
        c.vcpu = v;
        c.valid = true;
        rc |= its_cmd_exec(w->its, &c);
        memset(&c, 0, sizeof(c));
        c.op = ITS_CMD_MAPC;
        c.icid = v;
        c.vcpu = v;
        c.valid = true;
        rc |= its_cmd_exec(w->its, &c);
    }
    for (uint32_t n = 0; n < w->nics; n++) {
        memset(&c, 0, sizeof(c));
        c.op = ITS_CMD_MAPD;
        c.devid = n;
        c.size = 5; /* 32 events */
        c.valid = true;
        rc |= its_cmd_exec(w->its, &c);
    }
    for (uint32_t key = 0; key < w->nkeys; key++) {
        struct its_msi m = lpi_msi(w, key);

        memset(&c, 0, sizeof(c));
        c.op = ITS_CMD_MAPTI;
        c.devid = m.devid;
        c.eventid = m.eventid;
        c.intid = lpi_intid(key);
        c.icid = w->collection[key];
        rc |= its_cmd_exec(w->its, &c);
        if (lpi_check_log_append(&w->log[key], 0, lpi_intid(key)) < 0) {
            return -ENOMEM;
        }
    }
    return rc ? -EIO : 0;
}

static int lpi_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double lpi_pct(const double *sorted, size_t n, double p)
{
    size_t i;

    if (!n) {
        return NAN;
    }
    i = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[i ? i - 1 : 0];
}

static void lpi_check(struct lpi_world *w)
{
    struct scn_run *r = w->run;
    uint64_t twice = 0, lost = 0;

    lpi_check_exactly_once(w->hook_per_key, w->ok_per_key, w->nkeys, &twice,
                           &lost);
    if (cfg_bool(r->cfg, "invariants", "freshness")) {
        scn_check(r, w->stale == 0, "freshness",
                  "%" PRIu64 " injections handed out a translation older "
                  "than the last invalidation they observed (first: queue "
                  "%" PRIu64 ")", w->stale, w->stale_first_key);
    }
    if (cfg_bool(r->cfg, "invariants", "exactly_once")) {
        uint64_t accounted = w->ok + w->unmapped + w->refused_other;

        scn_check(r, accounted == w->raised && w->refused_other == 0 &&
                         twice == 0 && lost == 0 &&
                         w->hook_calls == w->ok && w->oom == 0,
                  "exactly_once",
                  "%" PRIu64 " MSIs raised, %" PRIu64 " delivered, %" PRIu64
                  " refused (unmapped), %" PRIu64 " refused otherwise, %"
                  PRIu64 " never completed; deliveries seen %" PRIu64
                  " (%" PRIu64 " extra, %" PRIu64 " missing)",
                  w->raised, w->ok, w->unmapped, w->refused_other,
                  w->raised - (accounted < w->raised ? accounted
                                                     : w->raised),
                  w->hook_calls, twice, lost);
        scn_check(r, w->cmd_errors == 0, "exactly_once",
                  "%" PRIu64 " guest commands failed", w->cmd_errors);
    }
    if (cfg_bool(r->cfg, "invariants", "its_check")) {
        scn_check(r, w->check_failures == 0, "its_check", "%s",
                  w->check_msg);
    }
    if (w->race) {
        struct lpi_race *rc = w->race;

        if (cfg_bool(r->cfg, "invariants", "race_tables")) {
            scn_check(r, rc->table_mismatch == 0 && rc->cmd_fail == 0,
                      "race_tables", "%" PRIu64 " translations differ from "
                      "the model, %" PRIu64 " commands failed (last: %s)",
                      rc->table_mismatch, rc->cmd_fail, rc->msg);
        }
        if (cfg_bool(r->cfg, "invariants", "race_fresh")) {
            scn_check(r, rc->stale == 0 && rc->lost == 0, "race_fresh",
                      "%" PRIu64 " of %" PRIu64 " injections stale, %" PRIu64
                      " lost (last: %s)", rc->stale, rc->injected, rc->lost,
                      rc->msg);
        }
        if (cfg_bool(r->cfg, "invariants", "race_refs")) {
            scn_check(r, rc->refs_bad == 0, "race_refs", "%" PRIu64
                      " LPIs wrong (last: %s)", rc->refs_bad, rc->msg);
        }
        if (cfg_bool(r->cfg, "invariants", "race_cost")) {
            scn_check(r, rc->inv0 == rc->inv_expected, "race_cost",
                      "%" PRIu64 " cache invalidations, the commands that "
                      "succeeded need %" PRIu64, rc->inv0,
                      rc->inv_expected);
        }
    }
}

static void lpi_free_world(struct lpi_world *w)
{
    if (w->kw) {
        for (uint32_t c = 0; c < w->cpus; c++) {
            free(w->kw[c].ring);
        }
    }
    if (w->log) {
        for (uint32_t k = 0; k < w->nkeys; k++) {
            free(w->log[k].c);
        }
    }
    if (w->race) {
        for (uint32_t k = 0; k < LPI_RACE_KEYS; k++) {
            free(w->race->key[k].c);
            free(w->race->key[k].inv);
        }
        free(w->race->seen);
        plat_eventfd_destroy(&w->race->done);
        free(w->race);
    }
    free(w->kw);
    free(w->log);
    free(w->collection);
    free(w->invalidates);
    free(w->lat_us);
    free(w->hook_per_key);
    free(w->ok_per_key);
    free(w);
}

static void lpi_metrics(struct lpi_world *w)
{
    struct scn_run *r = w->run;
    struct its_stats st;
    double sum = 0;
    uint64_t maxq = 0;

    if (w->nlat) {
        qsort(w->lat_us, w->nlat, sizeof(double), lpi_cmp_double);
    }
    for (size_t i = 0; i < w->nlat; i++) {
        sum += w->lat_us[i];
    }
    for (uint32_t c = 0; c < w->cpus; c++) {
        if (w->kw[c].max_queued > maxq) {
            maxq = w->kw[c].max_queued;
        }
    }
    /* The storm's own counts: the race phase's come after them. */
    if (w->storm_live == 0) {
        st = w->storm_stats;
    } else {
        its_get_stats(w->its, &st);
    }
    scn_metric(r, "inject_latency_us_mean",
               w->nlat ? sum / (double)w->nlat : NAN);
    scn_metric(r, "inject_latency_us_p50", lpi_pct(w->lat_us, w->nlat, 50));
    scn_metric(r, "inject_latency_us_p90", lpi_pct(w->lat_us, w->nlat, 90));
    scn_metric(r, "inject_latency_us_p99", lpi_pct(w->lat_us, w->nlat, 99));
    scn_metric(r, "inject_latency_us_max",
               w->nlat ? w->lat_us[w->nlat - 1] : NAN);
    scn_metric(r, "msi_per_s_per_nic", 1e9 / w->mean_gap_ns);
    scn_metric(r, "msis_raised", (double)w->raised);
    scn_metric(r, "msis_delivered", (double)w->ok);
    scn_metric(r, "msis_unmapped", (double)w->unmapped);
    scn_metric(r, "cache_hits", (double)w->hits);
    scn_metric(r, "cache_misses", (double)w->misses);
    scn_metric(r, "cache_probes", (double)st.cache.probes);
    scn_metric(r, "cache_invalidations", (double)st.invalidations);
    scn_metric(r, "guest_commands", (double)w->ncmds);
    scn_metric(r, "kworker_queue_max", (double)maxq);
    scn_metric(r, "line_transfers", (double)sim_line_transfers(r->sim));
    if (w->race) {
        scn_metric(r, "race_injections", (double)w->race->injected);
        scn_metric(r, "race_delivered", (double)w->race->delivered);
        scn_metric(r, "race_invalidations", (double)w->race->inv0);
        scn_metric(r, "race_alloc_failures", (double)w->race->enomem);
    }
}

static int lpi_run(struct scn_run *r)
{
    struct lpi_world *w = calloc(1, sizeof(*w));
    struct lpi_nic *nic = NULL;
    double pps;
    int kind;
    int rc = -ENOMEM;

    if (!w) {
        return -ENOMEM;
    }
    w->run = r;
    w->nics = (uint32_t)cfg_int(r->cfg, "workload", "nics");
    w->queues = (uint32_t)cfg_int(r->cfg, "workload", "queues");
    w->nkeys = w->nics * w->queues;
    w->vcpus = (uint32_t)cfg_int(r->cfg, "vm", "vcpus");
    w->cpus = (uint32_t)cfg_int(r->cfg, "vm", "cpus");
    pps = cfg_double(r->cfg, "workload", "mbit_per_nic") * 1e6 /
          (8.0 * (double)cfg_int(r->cfg, "workload", "packet_bytes"));
    w->mean_gap_ns = 1e9 * (double)cfg_int(r->cfg, "workload", "coalesce") /
                     pps;
    w->duration_ns =
        (uint64_t)(cfg_double(r->cfg, "workload", "duration_ms") * 1e6);
    w->inv_every_ns =
        (uint64_t)(cfg_double(r->cfg, "workload", "inv_every_us") * 1e3);
    w->remap_every_ns =
        (uint64_t)(cfg_double(r->cfg, "workload", "remap_every_us") * 1e3);
    w->kworker_sched_ns = r->cost.kworker_sched_ns;
    kind = its_cache_kind_from_name(r->variant);
    if (kind < 0 || w->vcpus > ITS_MAX_VCPUS) {
        scn_config_error(r, "vm", "vcpus", "at most %d vCPUs",
                         ITS_MAX_VCPUS);
        free(w);
        return -EINVAL;
    }
    if (w->mean_gap_ns < 1.0 || (double)w->duration_ns / w->mean_gap_ns *
                                        w->nkeys > 5e6) {
        scn_config_error(r, "workload", "duration_ms",
                         "more than 5 million MSIs (%.0f per NIC queue)",
                         (double)w->duration_ns / w->mean_gap_ns);
        free(w);
        return -EINVAL;
    }
    if (scn_sim_create(r) < 0) {
        free(w);
        return -ENOMEM;
    }
    its_config_default(&w->icfg);
    w->icfg.nr_vcpus = w->vcpus;
    w->icfg.nr_collections = w->vcpus;
    w->icfg.cache = (enum its_cache_kind)kind;
    w->icfg.deliver = lpi_deliver_hook;
    w->icfg.deliver_arg = w;
    w->kw = calloc(w->cpus, sizeof(*w->kw));
    w->log = calloc(w->nkeys, sizeof(*w->log));
    w->collection = calloc(w->nkeys, sizeof(*w->collection));
    w->hook_per_key = calloc(w->nkeys, sizeof(*w->hook_per_key));
    w->ok_per_key = calloc(w->nkeys, sizeof(*w->ok_per_key));
    nic = calloc(w->nkeys, sizeof(*nic));
    if (!w->kw || !w->log || !w->collection || !w->hook_per_key ||
        !w->ok_per_key || !nic || its_create(&w->icfg, &w->its) < 0) {
        goto out;
    }
    for (uint32_t k = 0; k < w->nkeys; k++) {
        w->collection[k] = k % w->vcpus;
    }
    if (cfg_int(r->cfg, "workload", "race_rounds") > 0 && w->vcpus >= 2 &&
        w->cpus >= 4) {
        w->race = calloc(1, sizeof(*w->race));
        if (!w->race) {
            goto out;
        }
        w->race->w = w;
        w->race->rounds = (uint64_t)cfg_int(r->cfg, "workload",
                                            "race_rounds");
        w->race->readers = (uint32_t)cfg_int(r->cfg, "workload",
                                             "race_readers");
        w->race->reads = (uint64_t)cfg_int(r->cfg, "workload",
                                           "race_reads");
        plat_eventfd_init(&w->race->done, "race actor done");
    }
    if (lpi_setup(w) < 0) {
        fprintf(stderr, "kvmsim: its-lpi-storm: ITS setup failed\n");
        rc = -EIO;
        goto out;
    }
    if (its_check(w->its, w->check_msg, sizeof(w->check_msg)) != 0) {
        w->check_failures++;
    }
    for (uint32_t c = 0; c < w->cpus; c++) {
        w->kw[c].w = w;
        w->kw[c].cpu = c;
        plat_eventfd_init(&w->kw[c].ev, "kworker");
    }
    for (uint32_t k = 0; k < w->nkeys; k++) {
        nic[k].w = w;
        nic[k].key = k;
        nic[k].kw = &w->kw[k % w->cpus];
        nic[k].kw->producers++;
        nic[k].rng = sim_tape_below(r->tape, UINT32_MAX) << 32 |
                     sim_tape_below(r->tape, UINT32_MAX);
        w->storm_live++;
        if (!sim_spawn(r->sim, "nic", k % w->cpus, lpi_nic_thread,
                       &nic[k])) {
            goto out_ev;
        }
    }
    for (uint32_t c = 0; c < w->cpus; c++) {
        w->storm_live += w->kw[c].producers > 0;
        if (w->kw[c].producers &&
            !sim_spawn(r->sim, "kworker", c, lpi_kworker_thread,
                       &w->kw[c])) {
            goto out_ev;
        }
    }
    w->storm_live++;
    if (!sim_spawn(r->sim, "guest", w->cpus - 1, lpi_guest_thread, w)) {
        goto out_ev;
    }
    scn_simulate(r);
    if (r->result == SIM_OK) {
        if (its_check(w->its, w->check_msg, sizeof(w->check_msg)) != 0) {
            w->check_failures++;
        }
        lpi_check(w);
    }
    lpi_metrics(w);
    rc = 0;
out_ev:
    for (uint32_t c = 0; c < w->cpus; c++) {
        plat_eventfd_destroy(&w->kw[c].ev);
    }
out:
    if (rc == -ENOMEM) {
        fprintf(stderr, "kvmsim: its-lpi-storm: out of memory\n");
    }
    if (w->its) {
        w->leaked = its_destroy(w->its);
        if (rc == 0 && r->result == SIM_OK &&
            cfg_bool(r->cfg, "invariants", "no_leak")) {
            scn_check(r, w->leaked == 0, "no_leak",
                      "its_destroy: %u LPIs still referenced", w->leaked);
        }
    }
    free(nic);
    lpi_free_world(w);
    return rc;
}

/* ---- compare: fit on the kworker and global rows, predict sharded ---- */

#define LPI_NFIT 4
#define LPI_FIT_ITERS 12

static const char *const lpi_fit_keys[LPI_NFIT] = {
    "cost.inject_ns",
    "cost.table_walk_ns",
    "cost.cache_probe_ns",
    "cost.kworker_sched_ns",
};

/* Mean injection latency (us) of `variant` with `nics` NICs and the given
 * fitted constants (ns), other constants as the model has them.  NAN when
 * the run fails.  *xfer (may be NULL): cache-line transfers per delivered
 * MSI. */
static double lpi_mean_us(const struct scn_request *q, const char *variant,
                          unsigned nics, const double *theta_ns,
                          double *xfer)
{
    char buf[LPI_NFIT + 3][96];
    const char *extra[LPI_NFIT + 3];
    struct scn_run r;
    double v;
    int code;

    for (unsigned i = 0; i < LPI_NFIT; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%s=%.0f", lpi_fit_keys[i],
                 theta_ns[i] < 0 ? 0 : theta_ns[i]);
        extra[i] = buf[i];
    }
    snprintf(buf[LPI_NFIT], sizeof(buf[0]), "run.variant=%s", variant);
    extra[LPI_NFIT] = buf[LPI_NFIT];
    snprintf(buf[LPI_NFIT + 1], sizeof(buf[0]), "workload.nics=%u", nics);
    extra[LPI_NFIT + 1] = buf[LPI_NFIT + 1];
    /* The race phase starts after the storm and moves no latency; the
     * fit's many runs skip it. */
    snprintf(buf[LPI_NFIT + 2], sizeof(buf[0]), "workload.race_rounds=0");
    extra[LPI_NFIT + 2] = buf[LPI_NFIT + 2];
    code = scn_run_with(q, extra, LPI_NFIT + 3, &r);
    v = code == 0 ? scn_metric_get(&r, "inject_latency_us_mean") : NAN;
    if (xfer) {
        double n = code == 0 ? scn_metric_get(&r, "msis_delivered") : NAN;

        *xfer = n > 0 ? scn_metric_get(&r, "line_transfers") / n : NAN;
    }
    scn_run_release(&r);
    return v;
}

/* The fitted rows: kworker (none) and global at 1 and 10 NICs. */
enum { LPI_NPTS = SCN_LPI_FIT_POINTS };
static const char *const lpi_fit_variant[LPI_NPTS] = {"none", "none",
                                                      "global", "global"};
static const unsigned lpi_fit_nics[LPI_NPTS] = {1, 10, 1, 10};
static const double lpi_fit_seed_us[LPI_NPTS] = {
    SEED002_KWORKER_1NIC_US, SEED002_KWORKER_10NIC_US,
    SEED002_GLOBAL_1NIC_US, SEED002_GLOBAL_10NIC_US,
};

static int lpi_eval(const struct scn_request *q, const double *theta,
                    double *f)
{
    for (unsigned i = 0; i < LPI_NPTS; i++) {
        f[i] = lpi_mean_us(q, lpi_fit_variant[i], lpi_fit_nics[i], theta,
                           NULL);
        if (isnan(f[i])) {
            return KVMSIM_EXIT_INVARIANT;
        }
    }
    return 0;
}

/* How well the last Jacobian determines the constants: the determinant
 * of the Gram matrix of its unit-normalised columns (1: orthogonal, 0:
 * dependent). */
static double lpi_gram_det(const double *jac)
{
    double c[LPI_NFIT][LPI_NPTS], g[LPI_NFIT][LPI_NFIT], det = 1;

    for (unsigned p = 0; p < LPI_NFIT; p++) {
        double n = 0;

        for (unsigned i = 0; i < LPI_NPTS; i++) {
            n += jac[i * LPI_NFIT + p] * jac[i * LPI_NFIT + p];
        }
        n = sqrt(n);
        for (unsigned i = 0; i < LPI_NPTS; i++) {
            c[p][i] = n > 0 ? jac[i * LPI_NFIT + p] / n : 0;
        }
    }
    for (unsigned a = 0; a < LPI_NFIT; a++) {
        for (unsigned b = 0; b < LPI_NFIT; b++) {
            g[a][b] = 0;
            for (unsigned i = 0; i < LPI_NPTS; i++) {
                g[a][b] += c[a][i] * c[b][i];
            }
        }
    }
    /* Gaussian elimination with partial pivoting. */
    for (unsigned k = 0; k < LPI_NFIT; k++) {
        unsigned piv = k;

        for (unsigned i = k + 1; i < LPI_NFIT; i++) {
            if (fabs(g[i][k]) > fabs(g[piv][k])) {
                piv = i;
            }
        }
        if (g[piv][k] == 0) {
            return 0;
        }
        if (piv != k) {
            for (unsigned j = 0; j < LPI_NFIT; j++) {
                double t = g[k][j];

                g[k][j] = g[piv][j];
                g[piv][j] = t;
            }
            det = -det;
        }
        det *= g[k][k];
        for (unsigned i = k + 1; i < LPI_NFIT; i++) {
            double f = g[i][k] / g[k][k];

            for (unsigned j = k; j < LPI_NFIT; j++) {
                g[i][j] -= f * g[k][j];
            }
        }
    }
    return det;
}

_Static_assert(LPI_NPTS == SCN_LPI_FIT_POINTS, "refit.h's point count");

/*
 * Fit inject, table walk, probe and kworker delay (ns) on the four fitted
 * points by
 * Gauss-Newton: lock waiting makes the latency non-linear in the probe and
 * walk prices, so each step measures the Jacobian by running the scenario
 * with each constant raised by a fixed step, then solves the linearised
 * least-squares problem.  Starts from a fixed guess (not from the stored
 * constants, so the refit test is a real check).  0 or an exit code.
 */
int scn_lpi_fit(const struct scn_request *q, double *theta,
                struct lpi_fit_info *info)
{
    static const double start[LPI_NFIT] = {1000, 100, 50, 3000};
    static const double step[LPI_NFIT] = {100, 50, 10, 200};
    double f[LPI_NPTS], jac[LPI_NPTS * LPI_NFIT], y[LPI_NPTS];
    double delta[LPI_NFIT];
    struct lpi_fit_info local;
    int code;

    if (!info) {
        info = &local;
    }
    memset(info, 0, sizeof(*info));
    memcpy(theta, start, sizeof(start));
    for (unsigned it = 0; it < LPI_FIT_ITERS; it++) {
        double biggest = 0;

        code = lpi_eval(q, theta, f);
        if (code) {
            return code;
        }
        for (unsigned p = 0; p < LPI_NFIT; p++) {
            double t[LPI_NFIT], fp[LPI_NPTS];

            memcpy(t, theta, sizeof(t));
            t[p] += step[p];
            code = lpi_eval(q, t, fp);
            if (code) {
                return code;
            }
            for (unsigned i = 0; i < LPI_NPTS; i++) {
                /* us per ns of the constant */
                jac[i * LPI_NFIT + p] = (fp[i] - f[i]) / step[p];
            }
        }
        for (unsigned i = 0; i < LPI_NPTS; i++) {
            y[i] = lpi_fit_seed_us[i] - f[i];
        }
        info->gram_det = lpi_gram_det(jac);
        info->iters = it + 1;
        if (fit_least_squares(jac, y, LPI_NPTS, LPI_NFIT, delta) < 0) {
            return KVMSIM_EXIT_USAGE;
        }
        /* Damped step: halve it until the residual does not grow (lock
         * waiting is steep near saturation). */
        for (unsigned half = 0; half < 6; half++) {
            double t[LPI_NFIT], fp[LPI_NPTS], r0 = 0, r1 = 0;
            bool clamped = false;

            for (unsigned p = 0; p < LPI_NFIT; p++) {
                t[p] = theta[p] + delta[p];
                if (t[p] < 0) {
                    t[p] = 0;
                    clamped = true;
                }
            }
            code = lpi_eval(q, t, fp);
            if (code) {
                return code;
            }
            for (unsigned i = 0; i < LPI_NPTS; i++) {
                r0 += y[i] * y[i];
                r1 += (lpi_fit_seed_us[i] - fp[i]) *
                      (lpi_fit_seed_us[i] - fp[i]);
            }
            if (r1 <= r0 || half == 5) {
                biggest = 0;
                for (unsigned p = 0; p < LPI_NFIT; p++) {
                    biggest = fmax(biggest, fabs(t[p] - theta[p]));
                    theta[p] = t[p];
                }
                info->clamped |= clamped;
                break;
            }
            for (unsigned p = 0; p < LPI_NFIT; p++) {
                delta[p] /= 2;
            }
        }
        if (biggest < 0.25) {
            break;
        }
    }
    /* Round as model/cost.c stores them, and report the residuals there. */
    for (unsigned p = 0; p < LPI_NFIT; p++) {
        theta[p] = floor(theta[p] + 0.5);
    }
    code = lpi_eval(q, theta, f);
    for (unsigned i = 0; i < LPI_NPTS; i++) {
        info->resid_us[i] = f[i] - lpi_fit_seed_us[i];
    }
    return code;
}

/* The line transfer price the comparison runs with: the run's (r0, the
 * first variant's run, may be NULL), else the model's.  *set tells
 * whether it differs from the model's. */
static uint64_t lpi_line_ns(const struct scn_run *r0, bool *set)
{
    const struct cost_constant *c = cost_constant_find("line_transfer_ns");
    uint64_t v = r0 ? r0->cost.line_transfer_ns : c->ns;

    *set = v != c->ns;
    return v;
}

/* The seed's table and the model's in q->report. */
static void lpi_report(const struct scn_request *q, const double *theta,
                       const double model[4][2], const double seed[3][2],
                       const struct lpi_fit_info *info,
                       const struct scn_run *r0)
{
    static const unsigned nics[2] = {1, 10};
    static const enum report_role role[4] = {
        REPORT_FITTED, REPORT_FITTED, REPORT_PREDICTED, REPORT_MODEL_ONLY,
    };
    struct report *rep = q->report;
    struct cost_model cm;
    char label[32], sets[320];

    if (!rep) {
        return;
    }
    cost_model_default(&cm);
    report_begin(rep, "002", "its-lpi-storm", r0 ? r0->seed : 0,
                 "ITS LPI translation cache: mean virtual-interrupt "
                 "injection latency with every NIC receiving iperf UDP at "
                 "40 Mbit/s in 64-byte datagrams; kworker (no cache), one "
                 "global LRU (before) and 8 CPU-hashed LRUs (after)");
    report_fitted(rep, "the kworker and global rows (1 and 10 NICs): 4 "
                  "constants, Gauss-Newton");
    report_predicted(rep, "the sharded row (the seed's patch) at 1 and 10 "
                     "NICs");
    for (unsigned v = 0; v < 4; v++) {
        for (unsigned c = 0; c < 2; c++) {
            struct report_row row = {
                .table = "mean injection latency", .label = label,
                .variant = lpi_variants[v],
                .published = v < 3 ? seed[v][c] : NAN,
                .model = model[v][c], .unit = "us", .role = role[v],
                .headline = role[v] == REPORT_PREDICTED,
                .metric = "inject_latency_us_mean", .key = "workload.nics",
                .x = nics[c], .sets = sets,
            };
            int n;

            snprintf(label, sizeof(label), "%u NIC%s%s", nics[c],
                     nics[c] == 1 ? "" : "s", v == 0 ? " (kworker)" : "");
            n = snprintf(sets, sizeof(sets), "run.variant=%s "
                         "workload.nics=%u", lpi_variants[v], nics[c]);
            for (unsigned p = 0; p < LPI_NFIT && n > 0 &&
                                 (size_t)n < sizeof(sets); p++) {
                n += snprintf(sets + n, sizeof(sets) - (size_t)n, " %s=%.0f",
                              lpi_fit_keys[p], theta[p] < 0 ? 0 : theta[p]);
            }
            report_add(rep, &row);
        }
    }
    {
        static const char *const names[LPI_NFIT] = {
            "irqfd wakeup + LPI inject", "kworker table walk",
            "cache probe under the lock", "kworker wakeup + scheduling",
        };
        char src[320];
        int n = snprintf(src, sizeof(src), REPORT_SOURCE_FITTED "the "
                         "published kworker and global rows (1, 10 NICs; "
                         "us):");

        for (unsigned i = 0; i < LPI_NPTS && n > 0 &&
                             (size_t)n < sizeof(src); i++) {
            n += snprintf(src + n, sizeof(src) - (size_t)n, " %g",
                          lpi_fit_seed_us[i]);
        }
        for (unsigned p = 0; p < LPI_NFIT; p++) {
            report_param(rep, names[p], theta[p], "ns", src);
        }
        bool set;
        uint64_t line_ns = lpi_line_ns(r0, &set);

        if (set) {
            snprintf(src, sizeof(src), REPORT_SOURCE_ASSUMED " (--set; "
                     "bench/bench_pingpong measured %" PRIu64 " ns)",
                     cm.line_transfer_ns);
        } else {
            snprintf(src, sizeof(src), REPORT_SOURCE_MEASURED
                     "bench/bench_pingpong (median ns per transfer) on %s",
                     COST_MACHINE);
        }
        report_param(rep, "cache-line transfer between CPUs",
                     (double)line_ns, "ns", src);
    }
    report_param(rep, "lock", (double)cm.lock_ns, "ns",
                 REPORT_SOURCE_ASSUMED);
    report_param(rep, "contended lock hand-off beyond the lock word's "
                 "transfer", 0, "ns", REPORT_SOURCE_ASSUMED);
    report_param(rep, "atomic", (double)cm.atomic_ns, "ns",
                 REPORT_SOURCE_ASSUMED);
    report_param(rep, "engine wakeup (a table-lock waiter spins like a "
                 "kernel mutex whose owner runs; the kworker's delay is the "
                 "fitted constant)", 0, "ns", REPORT_SOURCE_ASSUMED);
    report_note(rep, "improvement of sharded over global at 10 NICs: "
                "published %.1f%%, model %.1f%%",
                100.0 * (1 - seed[2][1] / seed[1][1]),
                100.0 * (1 - model[2][1] / model[1][1]));
    for (unsigned i = 0; i < LPI_NPTS; i++) {
        if (fabs(info->resid_us[i]) > 0.05) {
            report_note(rep, "fitted point not reached: %s at %u NICs is "
                        "%+.3f us off: with a line transfer of %" PRIu64
                        " ns the lock saturates there whatever the fitted "
                        "prices", i < 2 ? "kworker" : "global",
                        lpi_fit_nics[i], info->resid_us[i],
                        lpi_line_ns(r0, &(bool){false}));
        }
    }
    report_note(rep, "fit conditioning (Gram determinant of the normalised "
                "Jacobian, 1 = independent): %.3g; %u Gauss-Newton steps%s",
                info->gram_det, info->iters,
                info->clamped ? "; a constant was clamped at 0" : "");
}

static int lpi_compare(const struct scn_request *q,
                       struct scn_run *const *runs, size_t nruns)
{
    static const unsigned nics[2] = {1, 10};
    static const double seed[3][2] = {
        {SEED002_KWORKER_1NIC_US, SEED002_KWORKER_10NIC_US},
        {SEED002_GLOBAL_1NIC_US, SEED002_GLOBAL_10NIC_US},
        {SEED002_SHARDED_1NIC_US, SEED002_SHARDED_10NIC_US},
    };
    struct lpi_fit_info info;
    double theta[LPI_NFIT], model[4][2], xfer[4][2];
    double pps = SEED002_MBIT_PER_NIC * 1e6 / (8.0 * SEED002_PACKET_BYTES);
    int code;

    code = scn_lpi_fit(q, theta, &info);
    if (code) {
        fprintf(stderr, "its-lpi-storm: the fit failed (exit %d)\n", code);
        return code;
    }
    for (unsigned v = 0; v < 4; v++) {
        for (unsigned c = 0; c < 2; c++) {
            model[v][c] = lpi_mean_us(q, lpi_variants[v], nics[c], theta,
                                      &xfer[v][c]);
            if (isnan(model[v][c])) {
                code = KVMSIM_EXIT_INVARIANT;
            }
        }
    }
    lpi_report(q, theta, (const double (*)[2])model, seed, &info,
               nruns ? runs[0] : NULL);
    report_note(q->report, "load: iperf UDP %.0f Mbit/s x %d-byte datagrams "
                "per NIC = %.0f packets/s; one MSI per packet (no "
                "coalescing), Poisson arrivals, one queue per NIC",
                SEED002_MBIT_PER_NIC, SEED002_PACKET_BYTES, pps);
    report_note(q->report, "residuals on the fitted points, us: kworker "
                "%+.3f %+.3f, global %+.3f %+.3f", info.resid_us[0],
                info.resid_us[1], info.resid_us[2], info.resid_us[3]);
    report_note(q->report, "cache-line transfers per MSI at 1 and 10 NICs: "
                "kworker %.2f, %.2f; global %.2f, %.2f; sharded %.2f, "
                "%.2f; lockless %.2f, %.2f", xfer[0][0], xfer[0][1],
                xfer[1][0], xfer[1][1], xfer[2][0], xfer[2][1], xfer[3][0],
                xfer[3][1]);
    return code;
}

/* [cost] keys: the model constants this world prices; two of them
 * default to 0 here. */
static const struct scn_cost_key lpi_cost[] = {
    {"inject_ns", "its_inject_ns", "ns", NAN, NULL,
     "irqfd wakeup + LPI injection"},
    {"table_walk_ns", "its_table_walk_ns", "ns", NAN, NULL,
     "kworker: ITS table walk"},
    {"cache_probe_ns", "its_cache_probe_ns", "ns", NAN, NULL,
     "one cache entry examined under the lock"},
    {"kworker_sched_ns", "kworker_sched_ns", "ns", NAN, NULL,
     "kworker: wakeup and scheduling delay before it runs"},
    {"lock_handoff_ns", "lock_handoff_ns", "ns", 0,
     COST_SOURCE_ASSUMED ": 0, the ITS prices the lock word's transfer "
     "as a cache line",
     "passing a contended lock to a waiter beyond the lock word's line "
     "transfer"},
    {"line_transfer_ns", "line_transfer_ns", "ns", NAN, NULL,
     "a cache line moved between CPUs"},
    {"wakeup_ns", "wakeup_ns", "ns", 0,
     COST_SOURCE_ASSUMED ": 0, the kworker's delay is kworker_sched_ns and "
     "a contended table-lock waiter spins (kernel mutexes spin while the "
     "owner runs)",
     "engine wakeup price (eventfd, mutex waiter)"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const struct scn_driver scn_its_driver = {
    .name = "its-lpi-storm",
    .summary = "seed 002: ITS LPI translation cache under a NIC interrupt "
               "storm, none/global/sharded/lockless",
    .variants = lpi_variants,
    .keys = lpi_keys,
    .fault_sites = SCN_FAULT(PLAT_FAULT_ALLOC),
    .cost = lpi_cost,
    .run = lpi_run,
    .compare = lpi_compare,
};

SIM_TSAN_ENGINE_END
