/*
 * scenarios/src/scn_iobus.c - seed 004: I/O bus device lookup, measured as
 * the seed measured it: 200 ioeventfds on one PIO byte, the guest writing
 * the byte next to it, so every access searches the bus, finds nothing and
 * exits to userspace.
 *
 * A VMM thread populates the VM's buses (the seed's fixed devices, then the
 * ioeventfds: length 1, datamatch 0..N-1, all on port IOBUS_SCN_PORT),
 * starts the vCPU threads and waits for them.  Each vCPU writes
 * IOBUS_SCN_PORT + 1 `accesses` times (every `notify_every`th write goes to
 * the ioeventfd byte instead, to check that the ioeventfds still fire); a
 * write that exits is emulated by a one-register userspace device per vCPU.
 * Afterwards the VMM checks the eventfds, deassigns every other ioeventfd,
 * checks the buses against what it registered, and the VM is torn down.
 *
 * `kvmsim compare iobus-200-ioeventfds` fits the userspace part of an exit
 * (io_exit_user_ns) on the seed's "before" figure (linear lookup), with the
 * per-comparison price from the host benchmark and the in-kernel exit cost
 * as model/cost.c has them, predicts "after" (bsearch) and the third
 * variant, and prints a sweep over the number of ioeventfds.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "core/iodev_fixed.h"
#include "model/cost.h"
#include "model/fit.h"
#include "model/seeds.h"
#include "scenarios/src/report.h"
#include "scenarios/src/runner.h"
#include "scenarios/src/scenario.h"
#include "sim/fault.h"
#include "sim/kvm.h"

/* The ioeventfds' port (a legacy virtio-pci BAR would sit here); the guest
 * writes the byte after it.  Clear of every fixed device. */
#define IOBUS_SCN_PORT 0xc050u
#define IOBUS_SCN_FIXED_TAG 0x100u
#define IOBUS_SCN_RETRIES 1000 /* attempts per setup call under faults */

static const char *const iobus_variants[] = {"linear", "bsearch",
                                             "eytzinger", NULL};

static const struct cfg_key iobus_keys[] = {
    {"workload", "ioeventfds", CFG_INT, "200", 1, 1000, NULL,
     "ioeventfds on the one byte (PIO, length 1, datamatch 0..N-1)"},
    {"workload", "accesses", CFG_INT, "20000", 1, 10000000, NULL,
     "timed guest writes per vCPU (to the byte after the ioeventfds)"},
    {"workload", "notify_every", CFG_INT, "0", 0, 10000000, NULL,
     "every Nth write goes to the ioeventfd byte instead and must fire "
     "exactly its ioeventfd (0: never; the seed's test never does)"},
    {"workload", "deassign", CFG_BOOL, "true", 0, 0, NULL,
     "after the timed loop the VMM deassigns every other ioeventfd; "
     "teardown releases the rest"},
    {"cost", "io_exit_kernel_ns", CFG_STRING, "", 0, 0, NULL,
     "exit completed in the kernel (empty: the model's)"},
    {"cost", "io_exit_user_ns", CFG_STRING, "", 0, 0, NULL,
     "extra for an exit completed in userspace (empty: the model's)"},
    {"cost", "probe_ns", CFG_STRING, "", 0, 0, NULL,
     "one range comparison of a bus search (empty: the model's)"},
    {"invariants", "user_exits", CFG_BOOL, "true", 0, 0, NULL,
     "every write to the other byte exits to userspace exactly once, in "
     "order, and no in-kernel device handles it"},
    {"invariants", "ioeventfd_signals", CFG_BOOL, "true", 0, 0, NULL,
     "a write to the ioeventfd byte fires exactly the ioeventfd of its "
     "value; nothing fires for the other byte"},
    {"invariants", "buses_exact", CFG_BOOL, "true", 0, 0, NULL,
     "the buses hold exactly the ranges registered and not removed; "
     "collisions are refused"},
    {"invariants", "teardown", CFG_BOOL, "true", 0, 0, NULL,
     "teardown destroys every device exactly once (no leak, no double "
     "free)"},
    {NULL, NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* Apply the [cost] overrides that were given a value. */
static int iobus_apply_cost_keys(struct scn_run *r, struct cost_model *m)
{
    static const struct scn_cost_key map[] = {
        {"io_exit_kernel_ns", offsetof(struct cost_model, io_exit_kernel_ns)},
        {"io_exit_user_ns", offsetof(struct cost_model, io_exit_user_ns)},
        {"probe_ns",
         offsetof(struct cost_model, work_ns) +
             PLAT_WORK_IOBUS_PROBE * sizeof(uint64_t)},
    };

    return scn_apply_cost_keys(r, map, sizeof(map) / sizeof(map[0]), m);
}

struct iobus_world;

/* One guest vCPU and the userspace device that emulates its exits. */
struct iobus_vcpu {
    struct iobus_world *w;
    unsigned id;
    uint64_t t0_ns, t1_ns;
    uint64_t user_exits, kernel_exits, probes;
    /* userspace: the one register at IOBUS_SCN_PORT + 1 */
    uint64_t user_writes;
    uint8_t user_expect;    /* low byte of the next write's sequence */
    uint64_t user_misorder; /* writes that arrived out of sequence */
    uint64_t handled_in_kernel; /* other-byte writes some device took */
    uint64_t wrong_hit;     /* notify writes not taken by an ioeventfd */
    uint64_t missed_signal; /* notify writes whose eventfd stayed clear */
    uint64_t errors;        /* sim_kvm_vcpu_io() failures */
};

struct iobus_world {
    struct scn_run *run;
    struct plat_kvm *kvm;
    struct iobus_set *buses;
    enum iobus_lookup lookup;
    unsigned n, vcpus;
    uint64_t accesses, notify_every;
    bool deassign;
    struct plat_eventfd *efd; /* [n] */
    bool *alive;              /* [n]: ioeventfd i is assigned */
    bool fixed_pio_alive, fixed_mmio_alive;
    struct iobus_vcpu *vcpu;  /* [vcpus] */
    struct plat_thread **threads; /* [vcpus] while the VMM joins them */
    /* results of the VMM thread */
    uint64_t setup_failures;  /* setup calls that failed for good */
    uint64_t setup_retries;   /* injected failures retried */
    uint64_t collisions_accepted; /* duplicates the bus took */
    uint64_t spurious_signals;    /* eventfds set after the loop */
    uint64_t deassign_wrong_rc;
    uint64_t bus_resets;
    uint64_t range_mismatch;  /* buses differ from the expected ranges */
    uint64_t kvm_user_exits, kvm_kernel_exits; /* KVM's own counts */
    uint64_t count_mismatch;  /* ioeventfd count differs */
    char mismatch[160];
};

static struct plat_ioeventfd iobus_ioeventfd(struct iobus_world *w,
                                             unsigned i)
{
    struct plat_ioeventfd io = {
        .addr = IOBUS_SCN_PORT,
        .len = 1,
        .pio = true,
        .datamatch = true,
        .data = i,
        .efd = &w->efd[i],
    };

    return io;
}

/* Whether a vCPU's k-th write goes to the ioeventfd byte. */
static bool iobus_is_notify(const struct iobus_world *w, uint64_t k)
{
    return w->notify_every && k % w->notify_every == w->notify_every - 1;
}

static void iobus_vcpu_thread(void *arg)
{
    struct iobus_vcpu *v = arg;
    struct iobus_world *w = v->w;
    uint64_t seq = 0;
    uint64_t notify = 0;
    /* vCPU v notifies the values v, v + vcpus, v + 2 * vcpus, ... below
     * min(n, 256), so no two vCPUs share an eventfd and each can check
     * its own (iobus_run() makes sure there are enough). */
    unsigned span = w->n < 256 ? w->n : 256;
    unsigned mine = (span - v->id + w->vcpus - 1) / w->vcpus;

    v->t0_ns = plat_now_ns();
    for (uint64_t k = 0; k < w->accesses; k++) {
        struct iobus_hit hit;
        uint8_t data;
        int rc;

        if (iobus_is_notify(w, k)) {
            unsigned dm = v->id + w->vcpus * (unsigned)(notify++ % mine);

            data = (uint8_t)dm;
            rc = sim_kvm_vcpu_io(w->kvm, true, IOBUS_SCN_PORT, 1, &data,
                                 true, &hit);
            if (rc == 0) {
                v->kernel_exits++;
            } else if (rc == 1) {
                v->user_exits++;
            } else {
                v->errors++;
            }
            v->probes += hit.probes;
            if (rc != 0 || hit.addr != IOBUS_SCN_PORT || hit.len != 1) {
                v->wrong_hit++;
            } else if (!plat_eventfd_test_and_clear(&w->efd[dm])) {
                v->missed_signal++;
            }
            continue;
        }
        data = (uint8_t)seq++;
        rc = sim_kvm_vcpu_io(w->kvm, true, IOBUS_SCN_PORT + 1, 1, &data,
                             true, &hit);
        v->probes += hit.probes;
        if (rc == 1) {
            /* Userspace emulates the write. */
            v->user_exits++;
            v->user_writes++;
            if (data != v->user_expect) {
                v->user_misorder++;
            }
            v->user_expect = (uint8_t)(data + 1);
        } else if (rc == 0) {
            v->kernel_exits++;
            v->handled_in_kernel++;
        } else {
            v->errors++;
        }
    }
    v->t1_ns = plat_now_ns();
}

/* Retry an injected failure (-ENOMEM, -EAGAIN) a bounded number of times;
 * anything else is final. */
static bool iobus_retryable(int rc)
{
    return rc == -ENOMEM || rc == -EAGAIN;
}

static int iobus_setup(struct iobus_world *w)
{
    int rc = -ENOMEM;

    for (unsigned t = 0; t < IOBUS_SCN_RETRIES; t++) {
        rc = iodev_fixed_register_all(w->buses, IOBUS_SCN_FIXED_TAG, NULL);
        if (!iobus_retryable(rc)) {
            break;
        }
        w->setup_retries++;
    }
    if (rc != 0) {
        w->setup_failures++;
        return rc;
    }
    w->fixed_pio_alive = true;
    w->fixed_mmio_alive = true;
    for (unsigned i = 0; i < w->n; i++) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, i);

        for (unsigned t = 0; t < IOBUS_SCN_RETRIES; t++) {
            rc = plat_kvm_ioeventfd(w->kvm, &io, true);
            if (!iobus_retryable(rc)) {
                break;
            }
            w->setup_retries++;
        }
        if (rc != 0) {
            w->setup_failures++;
            return rc;
        }
        w->alive[i] = true;
    }
    /* The collision rules refuse a second ioeventfd with the same value,
     * and a wildcard, on the same byte and length. */
    for (int wildcard = 0; wildcard <= 1; wildcard++) {
        struct plat_ioeventfd dup = iobus_ioeventfd(w, 0);

        dup.efd = &w->efd[w->n - 1];
        dup.datamatch = !wildcard;
        rc = -ENOMEM;
        for (unsigned t = 0; t < IOBUS_SCN_RETRIES && iobus_retryable(rc);
             t++) {
            rc = plat_kvm_ioeventfd(w->kvm, &dup, true);
        }
        w->collisions_accepted += rc != -EEXIST;
    }
    return 0;
}

static void iobus_run_vcpus(struct iobus_world *w)
{
    /* Kept in the world, so a run stopped before the joins frees it. */
    struct plat_thread **t = calloc(w->vcpus, sizeof(*t));

    w->threads = t;
    if (!t) {
        w->setup_failures++;
        return;
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        int rc = -EAGAIN;

        for (unsigned k = 0; k < IOBUS_SCN_RETRIES && iobus_retryable(rc);
             k++) {
            rc = plat_thread_create(&t[i], "vcpu", iobus_vcpu_thread,
                                    &w->vcpu[i]);
            w->setup_retries += rc != 0;
        }
        if (rc != 0) {
            t[i] = NULL;
            w->setup_failures++;
        }
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        if (t[i]) {
            plat_thread_join(t[i]);
        }
    }
    w->threads = NULL;
    free(t);
}

/* Deassign every other ioeventfd.  An unregister that runs out of memory
 * empties the PIO bus (core/iobus.h): then every ioeventfd and the fixed
 * PIO devices are gone, and later deassigns find nothing. */
static void iobus_deassign_half(struct iobus_world *w)
{
    for (unsigned i = 1; i < w->n; i += 2) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, i);
        uint64_t resets = w->buses->bus_resets[IOBUS_PIO];
        int want = w->alive[i] ? 0 : -ENOENT;
        int rc = plat_kvm_ioeventfd(w->kvm, &io, false);

        w->deassign_wrong_rc += rc != want;
        w->alive[i] = false;
        if (w->buses->bus_resets[IOBUS_PIO] != resets) {
            w->bus_resets++;
            memset(w->alive, 0, w->n * sizeof(w->alive[0]));
            w->fixed_pio_alive = false;
        }
    }
    /* Deassigning again finds nothing. */
    if (w->n > 1) {
        struct plat_ioeventfd io = iobus_ioeventfd(w, 1);

        w->deassign_wrong_rc += plat_kvm_ioeventfd(w->kvm, &io, false) !=
                                -ENOENT;
    }
}

/* The ranges the VMM expects on bus, in canonical order (addr, len; the
 * ioeventfds all look alike).  Returns the count. */
static size_t iobus_expected(const struct iobus_world *w, enum iobus_id bus,
                             struct iobus_range_info *out)
{
    struct iobus_range_info tmp;
    size_t n = 0;

    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        const struct iodev_fixed_desc *d =
            iodev_fixed_desc((enum iodev_fixed_kind)k);
        bool alive = d->bus == IOBUS_PIO ? w->fixed_pio_alive
                                         : w->fixed_mmio_alive;

        if (d->bus == bus && alive) {
            out[n++] = (struct iobus_range_info){
                .addr = d->addr, .len = d->len,
                .tag = IOBUS_SCN_FIXED_TAG + k,
            };
        }
    }
    for (unsigned i = 0; bus == IOBUS_PIO && i < w->n; i++) {
        if (w->alive[i]) {
            /* sim/kvm.c labels an ioeventfd with its address. */
            out[n++] = (struct iobus_range_info){
                .addr = IOBUS_SCN_PORT, .len = 1, .tag = IOBUS_SCN_PORT,
            };
        }
    }
    /* Insertion sort by (addr, len): few distinct entries. */
    for (size_t i = 1; i < n; i++) {
        size_t j = i;

        tmp = out[i];
        while (j > 0 && (out[j - 1].addr > tmp.addr ||
                         (out[j - 1].addr == tmp.addr &&
                          out[j - 1].len > tmp.len))) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = tmp;
    }
    return n;
}

static void iobus_check_buses(struct iobus_world *w)
{
    size_t cap = (size_t)w->n + IODEV_FIXED_NR + 1;
    struct iobus_range_info *got = calloc(cap, sizeof(*got));
    struct iobus_range_info *want = calloc(cap, sizeof(*want));
    uint32_t alive = 0;

    if (!got || !want) {
        w->range_mismatch++;
        snprintf(w->mismatch, sizeof(w->mismatch), "out of memory");
        goto out;
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        size_t nw = iobus_expected(w, (enum iobus_id)b, want);
        size_t ng;

        plat_lock(&w->buses->lock);
        ng = iobus_ranges_locked(w->buses, (enum iobus_id)b, got, cap);
        plat_unlock(&w->buses->lock);
        if (ng != nw) {
            w->range_mismatch++;
            snprintf(w->mismatch, sizeof(w->mismatch),
                     "bus %u holds %zu ranges, %zu registered", b, ng, nw);
            continue;
        }
        for (size_t i = 0; i < ng; i++) {
            if (got[i].addr != want[i].addr || got[i].len != want[i].len ||
                got[i].tag != want[i].tag) {
                w->range_mismatch++;
                snprintf(w->mismatch, sizeof(w->mismatch),
                         "bus %u range %zu is %#" PRIx64 "/%" PRIu64
                         " tag %#" PRIx64 ", registered %#" PRIx64
                         "/%" PRIu64 " tag %#" PRIx64, b, i, got[i].addr,
                         got[i].len, got[i].tag, want[i].addr, want[i].len,
                         want[i].tag);
                break;
            }
        }
    }
    for (unsigned i = 0; i < w->n; i++) {
        alive += w->alive[i];
    }
    w->count_mismatch += sim_kvm_nioeventfds(w->kvm) != alive;
out:
    free(got);
    free(want);
}

static void iobus_vmm_thread(void *arg)
{
    struct iobus_world *w = arg;

    if (iobus_setup(w) != 0) {
        return;
    }
    iobus_run_vcpus(w);
    /* Every notify write cleared its eventfd; nothing else may be set. */
    for (unsigned i = 0; i < w->n; i++) {
        w->spurious_signals += plat_eventfd_test_and_clear(&w->efd[i]);
    }
    if (w->deassign) {
        iobus_deassign_half(w);
    }
    iobus_check_buses(w);
}

static void iobus_check(struct iobus_world *w, uint64_t live_after,
                        uint64_t live_before)
{
    struct scn_run *r = w->run;
    uint64_t writes = 0, user = 0, kernel = 0, misorder = 0, in_kernel = 0;
    uint64_t wrong = 0, missed = 0, errors = 0, notify = 0;

    for (unsigned i = 0; i < w->vcpus; i++) {
        const struct iobus_vcpu *v = &w->vcpu[i];

        writes += v->user_writes;
        user += v->user_exits;
        kernel += v->kernel_exits;
        misorder += v->user_misorder;
        in_kernel += v->handled_in_kernel;
        wrong += v->wrong_hit;
        missed += v->missed_signal;
        errors += v->errors;
    }
    /* iobus_is_notify() holds for k = ne - 1, 2 * ne - 1, ... */
    notify = w->notify_every ? w->accesses / w->notify_every * w->vcpus : 0;
    scn_check(r, w->setup_failures == 0, "setup",
              "%" PRIu64 " setup calls failed after %u attempts",
              w->setup_failures, IOBUS_SCN_RETRIES);
    if (cfg_bool(r->cfg, "invariants", "user_exits")) {
        uint64_t other = w->accesses * w->vcpus - notify;

        scn_check(r, writes == other && user == other &&
                         w->kvm_user_exits == other &&
                         misorder == 0 && in_kernel == 0 && errors == 0,
                  "user_exits",
                  "%" PRIu64 " writes to the other byte: %" PRIu64
                  " reached userspace (KVM counted %" PRIu64 "), %" PRIu64
                  " out of order, %" PRIu64 " taken in the kernel, %" PRIu64
                  " errors", other, writes, w->kvm_user_exits,
                  misorder, in_kernel, errors);
    }
    if (cfg_bool(r->cfg, "invariants", "ioeventfd_signals")) {
        scn_check(r, kernel == notify &&
                         w->kvm_kernel_exits == notify &&
                         wrong == 0 && missed == 0 &&
                         w->spurious_signals == 0,
                  "ioeventfd_signals",
                  "%" PRIu64 " notify writes: %" PRIu64 " completed in the "
                  "kernel, %" PRIu64 " not by their ioeventfd, %" PRIu64
                  " left their eventfd clear; %" PRIu64 " eventfds set "
                  "with no write for them", notify, kernel, wrong, missed,
                  w->spurious_signals);
    }
    if (cfg_bool(r->cfg, "invariants", "buses_exact")) {
        scn_check(r, w->range_mismatch == 0 && w->count_mismatch == 0 &&
                         w->collisions_accepted == 0 &&
                         w->deassign_wrong_rc == 0,
                  "buses_exact",
                  "%s; %" PRIu64 " ioeventfd count mismatches, %" PRIu64
                  " colliding assignments accepted, %" PRIu64 " deassigns "
                  "with the wrong result",
                  w->range_mismatch ? w->mismatch : "ranges as registered",
                  w->count_mismatch, w->collisions_accepted,
                  w->deassign_wrong_rc);
    }
    if (cfg_bool(r->cfg, "invariants", "teardown")) {
        scn_check(r, live_after == live_before, "teardown",
                  "%" PRIu64 " allocations live after teardown, %" PRIu64
                  " before setup", live_after, live_before);
    }
}

static void iobus_metrics(struct iobus_world *w)
{
    struct scn_run *r = w->run;
    uint64_t t0 = UINT64_MAX, t1 = 0, exits = 0, probes = 0, user = 0;
    double secs;

    for (unsigned i = 0; i < w->vcpus; i++) {
        const struct iobus_vcpu *v = &w->vcpu[i];

        t0 = v->t0_ns < t0 ? v->t0_ns : t0;
        t1 = v->t1_ns > t1 ? v->t1_ns : t1;
        exits += v->user_exits + v->kernel_exits;
        user += v->user_exits;
        probes += v->probes;
    }
    secs = t1 > t0 ? (double)(t1 - t0) / 1e9 : NAN;
    scn_metric(r, "exits_per_s", (double)exits / secs);
    scn_metric(r, "exits_per_s_per_vcpu", (double)exits / secs / w->vcpus);
    scn_metric(r, "exit_ns", exits ? (double)(t1 - t0) * w->vcpus /
                                         (double)exits : NAN);
    scn_metric(r, "probes_per_exit", exits ? (double)probes / exits : NAN);
    scn_metric(r, "exits", (double)exits);
    scn_metric(r, "user_exits", (double)user);
    scn_metric(r, "ioeventfds", (double)w->n);
    scn_metric(r, "setup_retries", (double)w->setup_retries);
    scn_metric(r, "bus_resets", (double)w->bus_resets);
}

static void iobus_world_free(struct iobus_world *w)
{
    if (w->efd) {
        for (unsigned i = 0; i < w->n; i++) {
            plat_eventfd_destroy(&w->efd[i]);
        }
    }
    free(w->efd);
    free(w->alive);
    free(w->vcpu);
    free(w->threads);
    free(w);
}

static int iobus_run(struct scn_run *r)
{
    struct iobus_world *w = calloc(1, sizeof(*w));
    struct cost_model cm;
    uint64_t live_before, live_after;
    int rc;

    if (!w) {
        return -ENOMEM;
    }
    w->run = r;
    w->lookup = (enum iobus_lookup)iobus_lookup_from_name(r->variant);
    w->n = (unsigned)cfg_int(r->cfg, "workload", "ioeventfds");
    w->vcpus = (unsigned)cfg_int(r->cfg, "vm", "vcpus");
    w->accesses = (uint64_t)cfg_int(r->cfg, "workload", "accesses");
    w->notify_every = (uint64_t)cfg_int(r->cfg, "workload", "notify_every");
    w->deassign = cfg_bool(r->cfg, "workload", "deassign");
    if (w->notify_every && w->vcpus > (w->n < 256 ? w->n : 256)) {
        scn_config_error(r, "workload", "notify_every",
                         "each vCPU notifies ioeventfds of its own: needs "
                         "ioeventfds >= vm.vcpus (%u), and at most 256 "
                         "values fit a byte", w->vcpus);
        free(w);
        return -EINVAL;
    }
    w->efd = calloc(w->n, sizeof(*w->efd));
    w->alive = calloc(w->n, sizeof(*w->alive));
    w->vcpu = calloc(w->vcpus, sizeof(*w->vcpu));
    if (!w->efd || !w->alive || !w->vcpu) {
        fprintf(stderr, "kvmsim: iobus: out of memory\n");
        iobus_world_free(w);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < w->n; i++) {
        plat_eventfd_init(&w->efd[i], "ioeventfd");
    }
    for (unsigned i = 0; i < w->vcpus; i++) {
        w->vcpu[i].w = w;
        w->vcpu[i].id = i;
    }
    if (scn_sim_create(r) < 0) {
        iobus_world_free(w);
        return -ENOMEM;
    }
    cm = *sim_cost_model(r->sim);
    if (iobus_apply_cost_keys(r, &cm) < 0) {
        iobus_world_free(w);
        return -EINVAL;
    }
    sim_set_cost_model(r->sim, &cm);

    live_before = sim_alloc_live();
    w->kvm = sim_kvm_create(w->vcpus);
    if (!w->kvm) {
        fprintf(stderr, "kvmsim: iobus: out of memory\n");
        iobus_world_free(w);
        return -ENOMEM;
    }
    w->buses = sim_kvm_iobus(w->kvm);
    rc = iobus_set_lookup(w->buses, w->lookup);
    if (rc < 0 || !sim_spawn(r->sim, "vmm", 0, iobus_vmm_thread, w)) {
        fprintf(stderr, "kvmsim: iobus: cannot start the VMM thread\n");
        sim_kvm_destroy(w->kvm);
        iobus_world_free(w);
        return -ENOMEM;
    }
    scn_simulate(r);
    if (r->result != SIM_OK) {
        /* Threads stopped mid-way are frozen: the VM's teardown releases
         * the bus lock they hold and the engine what they allocated. */
        sim_kvm_destroy(w->kvm);
        iobus_world_free(w);
        return 0;
    }
    iobus_metrics(w);
    scn_metric(r, "ranges_on_pio_bus",
               (double)iobus_nr_ranges(w->buses, IOBUS_PIO));
    w->kvm_user_exits = sim_kvm_io_exits(w->kvm, true);
    w->kvm_kernel_exits = sim_kvm_io_exits(w->kvm, false);
    /* Teardown: the VM releases every ioeventfd and the bus every device
     * still on it. */
    sim_kvm_destroy(w->kvm);
    w->kvm = NULL;
    live_after = sim_alloc_live();
    iobus_check(w, live_after, live_before);
    iobus_world_free(w);
    return 0;
}

/* ---- compare: fit on the seed's before figure, predict after ---- */

/* One point of the model: exits/s, ns per exit and probes per exit of
 * `variant` with n ioeventfds and one vCPU, as the seed measured.  user_ns
 * and probe_ns override the model's constants when >= 0.  Exit code. */
struct iobus_point {
    double exits_per_s, exit_ns, probes;
};

static int iobus_model_point(const struct scn_request *q, const char *variant,
                             unsigned n, double user_ns, double probe_ns,
                             struct iobus_point *p)
{
    char buf[6][96];
    const char *extra[6];
    unsigned k = 0;
    struct scn_run r;
    int code;

    snprintf(buf[k], sizeof(buf[k]), "run.variant=%s", variant);
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "workload.ioeventfds=%u", n);
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "workload.notify_every=0");
    extra[k] = buf[k];
    k++;
    snprintf(buf[k], sizeof(buf[k]), "vm.vcpus=1");
    extra[k] = buf[k];
    k++;
    if (user_ns >= 0) {
        snprintf(buf[k], sizeof(buf[k]), "cost.io_exit_user_ns=%.0f",
                 user_ns);
        extra[k] = buf[k];
        k++;
    }
    if (probe_ns >= 0) {
        snprintf(buf[k], sizeof(buf[k]), "cost.probe_ns=%.0f", probe_ns);
        extra[k] = buf[k];
        k++;
    }
    code = scn_run_with(q, extra, k, &r);
    p->exits_per_s = scn_metric_get(&r, "exits_per_s");
    p->exit_ns = scn_metric_get(&r, "exit_ns");
    p->probes = scn_metric_get(&r, "probes_per_exit");
    scn_run_release(&r);
    if (code == 0 && !(p->exit_ns > 0)) {
        code = KVMSIM_EXIT_USAGE;
    }
    return code;
}

/* Fit io_exit_user_ns (ns) on the seed's before figure: the model's time
 * per exit of the linear variant is linear in it, so two runs give the
 * design matrix (one column) and least squares gives the constant. */
static int iobus_fit_with(const struct scn_request *q, double probe_ns,
                          double *user_ns)
{
    const double unit = 1000.0;
    struct iobus_point base, one;
    double x, y;
    int code;

    code = iobus_model_point(q, "linear", SEED004_IOEVENTFDS, 0, probe_ns,
                             &base);
    code |= iobus_model_point(q, "linear", SEED004_IOEVENTFDS, unit,
                              probe_ns, &one);
    if (code) {
        return code;
    }
    x = (one.exit_ns - base.exit_ns) / unit;
    y = 1e9 / SEED004_BEFORE_EXITS_PER_S - base.exit_ns;
    return fit_least_squares(&x, &y, 1, 1, user_ns) < 0 ? KVMSIM_EXIT_USAGE
                                                        : 0;
}

int scn_iobus_fit(const struct scn_request *q, double *user_ns);

/* The fit with the model's per-comparison price (what model/cost.c
 * stores; a test checks the two agree). */
int scn_iobus_fit(const struct scn_request *q, double *user_ns)
{
    return iobus_fit_with(q, -1, user_ns);
}

/* One model figure of iobus_model_point() in q->report, with the
 * overrides that reproduce it. */
static void iobus_report_point(const struct scn_request *q, const char *table,
                               const char *variant, unsigned n,
                               double user_ns, double published,
                               enum report_role role, double exits_per_s)
{
    char label[32], sets[256];
    struct report_row row = {
        .table = table, .label = label, .variant = variant,
        .published = published, .model = exits_per_s, .unit = "exits/s",
        .role = role, .headline = role == REPORT_PREDICTED,
        .metric = "exits_per_s", .key = "workload.ioeventfds", .x = n,
        .sets = sets,
    };

    snprintf(label, sizeof(label), "%u ioeventfds", n);
    snprintf(sets, sizeof(sets), "run.variant=%s workload.ioeventfds=%u "
             "workload.notify_every=0 vm.vcpus=1 cost.io_exit_user_ns=%.0f",
             variant, n, user_ns);
    report_add(q->report, &row);
}

static int iobus_compare(const struct scn_request *q,
                         struct scn_run *const *runs, size_t nruns,
                         FILE *out)
{
    static const unsigned sweep[] = {1, 10, 100, 200, 1000};
    static const char *const what[] = {
        "before: scan every range", "after: sorted ranges + bsearch",
        "ours: Eytzinger, branch-free",
    };
    const double seed_fig[] = {SEED004_BEFORE_EXITS_PER_S,
                               SEED004_AFTER_EXITS_PER_S, NAN};
    struct iobus_point pt[3], alt;
    struct cost_model cm;
    double theta, theta2, user_fit = 0;
    double probe_ns;
    int code;

    cost_model_default(&cm);
    probe_ns = (double)cm.work_ns[PLAT_WORK_IOBUS_PROBE];
    code = scn_iobus_fit(q, &theta);
    if (code) {
        fprintf(out, "iobus-200-ioeventfds: the fit failed (exit %d)\n",
                code);
        return code;
    }
    user_fit = theta < 0 ? 0 : floor(theta + 0.5);
    for (unsigned v = 0; v < 3; v++) {
        code |= iobus_model_point(q, iobus_variants[v], SEED004_IOEVENTFDS,
                                  user_fit, -1, &pt[v]);
    }
    fprintf(out, "seed 004 - I/O bus device lookup: %u ioeventfds on one "
            "PIO byte (%#x), the guest\nwriting the byte next to it, so "
            "every write searches the bus and exits to userspace\n",
            SEED004_IOEVENTFDS, IOBUS_SCN_PORT);
    fprintf(out, "exits per second (virtual), one vCPU\n");
    report_begin(q->report, "004", "iobus-200-ioeventfds",
                 nruns ? runs[0]->seed : 0,
                 "I/O bus device lookup: 200 ioeventfds on one PIO byte, "
                 "the guest writing the byte next to it, so every write "
                 "searches the bus and exits to userspace; linear scan "
                 "(before) vs sorted ranges + bsearch (after)");
    report_fitted(q->report, "the before figure (linear scan, %.0fk "
                  "exits/s): 1 constant", SEED004_BEFORE_EXITS_PER_S / 1e3);
    report_predicted(q->report, "the after figure (bsearch, %.0fk exits/s)",
                     SEED004_AFTER_EXITS_PER_S / 1e3);
    fprintf(out, "  %-10s %-30s %7s %9s %8s %7s %8s\n", "variant",
            "lookup", "seed", "model", "error", "ns/exit", "probes");
    for (unsigned v = 0; v < 3; v++) {
        char sfig[16], err[16];

        if (isnan(seed_fig[v])) {
            snprintf(sfig, sizeof(sfig), "-");
            snprintf(err, sizeof(err), "-");
        } else {
            snprintf(sfig, sizeof(sfig), "%.0fk", seed_fig[v] / 1e3);
            snprintf(err, sizeof(err), "%+.1f%%",
                     fit_error_pct(pt[v].exits_per_s, seed_fig[v]));
        }
        fprintf(out, "  %-10s %-30s %7s %8.1fk %8s %7.0f %8.1f\n",
                iobus_variants[v], what[v], sfig, pt[v].exits_per_s / 1e3,
                err, pt[v].exit_ns, pt[v].probes);
        iobus_report_point(q, "exits per second, 200 ioeventfds, one vCPU",
                           iobus_variants[v], SEED004_IOEVENTFDS, user_fit,
                           seed_fig[v],
                           v == 0 ? REPORT_FITTED
                                  : (isnan(seed_fig[v]) ? REPORT_MODEL_ONLY
                                                        : REPORT_PREDICTED),
                           pt[v].exits_per_s);
    }
    fprintf(out, "fitted on the seed's before figure only (linear):\n");
    fprintf(out, "  userspace part of an exit, io_exit_user_ns   %6.0f ns "
            "(model default %" PRIu64 ")\n", user_fit, cm.io_exit_user_ns);
    fprintf(out, "from the host benchmark, not fitted:\n");
    fprintf(out, "  one range comparison, probe_ns               %6.0f ns "
            "(bench_iobus's per-comparison\n  cost of a linear scan, "
            "rounded to the nearest whole ns: model/cost.c)\n", probe_ns);
    fprintf(out, "assumed, not fitted:\n");
    fprintf(out, "  in-kernel part of an exit, io_exit_kernel_ns %6" PRIu64
            " ns\n", cm.io_exit_kernel_ns);
    report_param(q->report, "userspace part of an exit (io_exit_user_ns)",
                 user_fit, "ns", "fitted");
    report_param(q->report, "one range comparison (probe_ns)", probe_ns,
                 "ns", "host benchmark (bench_iobus)");
    report_param(q->report, "in-kernel part of an exit (io_exit_kernel_ns)",
                 (double)cm.io_exit_kernel_ns, "ns", "assumed");
    report_note(q->report, "gain of after over before: seed %+.1f%%, model "
                "%+.1f%%", 100.0 * (SEED004_AFTER_EXITS_PER_S /
                                    SEED004_BEFORE_EXITS_PER_S - 1),
                100.0 * (pt[1].exits_per_s / pt[0].exits_per_s - 1));
    fprintf(out, "predicted, not fitted: after = %.1fk exits/s against the "
            "seed's %.0fk (%+.1f%%);\n  gain over before: seed %+.1f%%, "
            "model %+.1f%%\n", pt[1].exits_per_s / 1e3,
            SEED004_AFTER_EXITS_PER_S / 1e3,
            fit_error_pct(pt[1].exits_per_s, SEED004_AFTER_EXITS_PER_S),
            100.0 * (SEED004_AFTER_EXITS_PER_S / SEED004_BEFORE_EXITS_PER_S -
                     1),
            100.0 * (pt[1].exits_per_s / pt[0].exits_per_s - 1));
    /* How much the whole-ns rounding of the probe price matters: refit
     * and predict with the neighbouring whole values. */
    for (int d = -1; d <= 1; d += 2) {
        double p = probe_ns + d;

        if (p < 1 || iobus_fit_with(q, p, &theta2) != 0 ||
            iobus_model_point(q, "bsearch", SEED004_IOEVENTFDS,
                              floor((theta2 < 0 ? 0 : theta2) + 0.5), p,
                              &alt) != 0) {
            continue;
        }
        fprintf(out, "rounding check: refitted with %.0f ns per comparison, "
                "after = %.1fk (%+.1f%%)\n", p, alt.exits_per_s / 1e3,
                fit_error_pct(alt.exits_per_s, SEED004_AFTER_EXITS_PER_S));
        report_note(q->report, "rounding check: refitted with %.0f ns per "
                    "comparison, after = %.1fk exits/s (%+.1f%%)", p,
                    alt.exits_per_s / 1e3,
                    fit_error_pct(alt.exits_per_s,
                                  SEED004_AFTER_EXITS_PER_S));
    }
    if (nruns == 3) {
        fprintf(out, "this request as configured (%.0f ioeventfds, "
                "exits/s): linear %.1fk, bsearch %.1fk, eytzinger %.1fk\n",
                scn_metric_get(runs[0], "ioeventfds"),
                scn_metric_get(runs[0], "exits_per_s") / 1e3,
                scn_metric_get(runs[1], "exits_per_s") / 1e3,
                scn_metric_get(runs[2], "exits_per_s") / 1e3);
    }
    fprintf(out, "sweep (fitted model, one vCPU): exits/s vs ioeventfds\n");
    fprintf(out, "  %-10s %10s %10s %10s   %s\n", "ioeventfds", "linear",
            "bsearch", "eytzinger", "probes/exit (l/b/e)");
    for (size_t i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++) {
        struct iobus_point sp[3];

        for (unsigned v = 0; v < 3; v++) {
            code |= iobus_model_point(q, iobus_variants[v], sweep[i],
                                      user_fit, -1, &sp[v]);
        }
        fprintf(out, "  %-10u %9.1fk %9.1fk %9.1fk   %.0f/%.0f/%.0f\n",
                sweep[i], sp[0].exits_per_s / 1e3, sp[1].exits_per_s / 1e3,
                sp[2].exits_per_s / 1e3, sp[0].probes, sp[1].probes,
                sp[2].probes);
        for (unsigned v = 0; v < 3; v++) {
            iobus_report_point(q, "sweep: exits per second by ioeventfds, "
                               "one vCPU", iobus_variants[v], sweep[i],
                               user_fit, NAN, REPORT_MODEL_ONLY,
                               sp[v].exits_per_s);
        }
    }
    fprintf(out, "  linear pays a comparison per range on every exit; the "
            "sorted variants pay about\n  log2(ranges) + 1, so their exit "
            "rate stays flat as ioeventfds are added.\n");
    return code;
}

const struct scn_driver scn_iobus_driver = {
    .name = "iobus-200-ioeventfds",
    .summary = "seed 004: I/O bus lookup with 200 ioeventfds on one byte, "
               "linear vs bsearch vs eytzinger",
    .variants = iobus_variants,
    .keys = iobus_keys,
    .run = iobus_run,
    .compare = iobus_compare,
};
