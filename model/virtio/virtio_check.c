/*
 * model/virtio/virtio_check.c - the virtio world's invariant checker (see
 * virtio_check.h): its records of every request, its model of the notify
 * path, the rules, and the violations they found.
 *
 * Nothing here reads the clock or unseeded randomness.  The only platform
 * calls are the trace instant of a violation and the reads of the
 * simulated KVM (ioeventfd count, bus resets), made where the rules need
 * them: they are scheduling points, so their number and place are part of
 * every trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "model/virtio/virtio_check.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/liveness.h"
#include "sim/tsan.h"

/* Touched by several simulated threads on the understanding that none is
 * switched out between two platform calls, like the world's own state
 * (sim/tsan.h). */
SIM_TSAN_ENGINE_BEGIN

#define VCK_BLK_STATUS_OK 0

/* The checker's record of one request slot. */
struct vck_req {
    bool outstanding;  /* made available, not completed nor discarded */
    bool eligible;
    uint16_t pos;      /* its available-ring index */
    uint64_t seq_done; /* the sequence once add + kick finished, 0 before */
    bool taken;        /* the device popped it (race phase) */
};

struct vck_queue {
    uint16_t chain, nslots;
    struct vck_req *req;   /* queue_size entries */
    uint16_t taken_n;      /* pops seen (mod 2^16) */
    uint16_t pushed_n;     /* and pushes to the used ring */
};

struct vw_check {
    struct vw_check_config cfg;
    struct vck_queue q[VIRTIO_PCI_QUEUE_MAX];
    bool waived;           /* the guest wrote garbage: request checks off */
    bool raw;              /* raw register writes: the view is unknown */
    uint64_t seq;
    /* from KVMs that migration replaced */
    uint64_t io_user_carry, io_kernel_carry, resets_carry;
    /* the race phase: its model (big lock held), baselines, figures */
    bool running;          /* between its start and its end checks */
    bool m_fallen;         /* ioeventfd fell back to synchronous notify */
    bool m_dirty;          /* a bus reset may have left notifiers stuck */
    unsigned m_grabs;      /* vhost-style grabs held */
    uint64_t starts;       /* start phases the model expected */
    uint64_t user0, kernel0, wake0;
    struct vw_race_stats st;
    /* the transition under way (vw_check_race_before) */
    bool t_on0, t_clean;
    struct vck_cost_obs {
        uint64_t assigns, graces, injected, resets;
    } t_a;
    struct vw_violations v;
    char first[256];
};

int vw_check_create(const struct vw_check_config *cfg, struct vw_check **out)
{
    struct vw_check *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (!c) {
        return -ENOMEM;
    }
    c->cfg = *cfg;
    for (unsigned q = 0; q < cfg->nqueues; q++) {
        c->q[q].req = calloc(cfg->queue_size, sizeof(struct vck_req));
        if (!c->q[q].req) {
            vw_check_destroy(c);
            return -ENOMEM;
        }
    }
    *out = c;
    return 0;
}

void vw_check_destroy(struct vw_check *c)
{
    if (!c) {
        return;
    }
    for (unsigned q = 0; q < VIRTIO_PCI_QUEUE_MAX; q++) {
        free(c->q[q].req);
    }
    free(c);
}

/* ---- reporting ---- */

static void violation(struct vw_check *c, uint64_t *counter, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void vviolation(struct vw_check *c, uint64_t *counter,
                       const char *fmt, va_list ap)
{
    (*counter)++;
    if (c->first[0]) {
        return;
    }
    vsnprintf(c->first, sizeof(c->first), fmt, ap);
    plat_trace_instant("virtio invariant violated", (int64_t)*counter);
}

static void violation(struct vw_check *c, uint64_t *counter, const char *fmt,
                      ...)
{
    va_list ap;

    va_start(ap, fmt);
    vviolation(c, counter, fmt, ap);
    va_end(ap);
}

void vw_check_harness(struct vw_check *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vviolation(c, &c->v.harness, fmt, ap);
    va_end(ap);
}

const struct vw_violations *vw_check_violations(const struct vw_check *c)
{
    return &c->v;
}

const char *vw_check_first(const struct vw_check *c)
{
    return c->first;
}

const struct vw_race_stats *vw_check_race_stats(const struct vw_check *c)
{
    return &c->st;
}

void vw_check_waive(struct vw_check *c, bool raw)
{
    c->waived = true;
    c->raw = c->raw || raw;
}

void vw_check_set_any_length(struct vw_check *c, bool on)
{
    c->cfg.any_length = on;
}

static bool view_enabled(const struct vw_check_view *v)
{
    return v->driver_ok && v->bus_master && !v->unplugged;
}

/* ---- the guest ---- */

void vw_check_queue_setup(struct vw_check *c, unsigned q, uint16_t chain,
                          uint16_t nslots)
{
    struct vck_queue *g = &c->q[q];

    g->chain = chain;
    g->nslots = nslots;
    for (unsigned i = 0; i < nslots; i++) {
        g->req[i].outstanding = false;
    }
    g->taken_n = 0;
    g->pushed_n = 0;
}

void vw_check_submitted(struct vw_check *c, unsigned q, unsigned s,
                        uint16_t pos, const struct vw_check_view *view)
{
    c->q[q].req[s] = (struct vck_req){
        .outstanding = true,
        /* A net rx buffer waits for a packet, which never comes here. */
        .eligible = view_enabled(view) && (c->cfg.blk || q == c->cfg.net_tx),
        .pos = pos, .taken = false,
    };
}

void vw_check_kick_exit(struct vw_check *c, bool light)
{
    if (c->running) {
        __atomic_fetch_add(&c->st.kicks, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(light ? &c->st.exits_light : &c->st.exits_heavy,
                           1, __ATOMIC_RELAXED);
    }
}

void vw_check_submit_done(struct vw_check *c, unsigned q, unsigned s)
{
    c->q[q].req[s].seq_done = ++c->seq;
}

void vw_check_completed(struct vw_check *c, unsigned q, uint32_t id,
                        uint8_t status)
{
    struct vck_queue *g = &c->q[q];
    struct vck_req *s;

    if (id % g->chain || id / g->chain >= g->nslots) {
        if (!c->waived) {
            violation(c, &c->v.double_completions,
                      "queue %u: used entry %" PRIu32 " is no request head",
                      q, id);
        }
        return;
    }
    s = &g->req[id / g->chain];
    if (!s->outstanding) {
        if (!c->waived) {
            violation(c, &c->v.double_completions,
                      "queue %u: request in slot %" PRIu32 " completed but "
                      "not outstanding (twice?)", q, id / g->chain);
        }
        return;
    }
    if (c->cfg.blk && !c->waived && status != VCK_BLK_STATUS_OK) {
        violation(c, &c->v.bad_status,
                  "queue %u: request completed with status %u", q, status);
    }
    s->outstanding = false;
}

void vw_check_queue_gone(struct vw_check *c, unsigned q)
{
    struct vck_queue *g = &c->q[q];

    for (unsigned s = 0; s < g->nslots; s++) {
        g->req[s].outstanding = false;
    }
}

/* ---- the device ---- */

void vw_check_popped(struct vw_check *c, unsigned q, uint16_t head,
                     const struct vw_check_view *view)
{
    struct vck_queue *g = &c->q[q];
    struct vck_req *s;

    if (!c->raw && (!view_enabled(view) || !view->vm_running ||
                    !view->backend_running)) {
        violation(c, &c->v.processed_disabled,
                  "queue %u processed while %s", q,
                  !view->backend_running ? "the backend is stopped"
                  : !view->vm_running    ? "the VM is stopped"
                  : view->unplugged      ? "unplugged"
                  : !view->bus_master    ? "bus master is off"
                                         : "DRIVER_OK is clear");
    }
    /* The device takes the request whose chain starts at head: once per
     * submission. */
    g->taken_n++;
    if (!c->running || c->waived || !g->chain ||
        head % g->chain || head / g->chain >= g->nslots) {
        return;
    }
    s = &g->req[head / g->chain];
    if (!s->outstanding || s->taken) {
        violation(c, &c->v.race_twice, "queue %u: the device took the "
                  "request in slot %u %s", q, head / g->chain,
                  s->taken ? "twice" : "though it is not outstanding");
    }
    s->taken = true;
}

void vw_check_pushed(struct vw_check *c, unsigned q)
{
    c->q[q].pushed_n++;
}

bool vw_check_blk_complete(struct vw_check *c, unsigned q, uint64_t gen,
                           uint64_t now)
{
    if (gen != now) {
        violation(c, &c->v.completed_after_reset,
                  "queue %u: a request popped before a reset completed "
                  "after it", q);
        return false;
    }
    return true;
}

void vw_check_handler_installed(struct vw_check *c, struct plat_eventfd *e,
                                const char *loop)
{
    char who[48];

    (void)c;
    /* For lost-wakeup reports (sim/liveness.h). */
    snprintf(who, sizeof(who), "a handler in the %s", loop);
    sim_eventfd_set_consumer(e, who);
    /* A host notifier's kicks must all be taken, after its handler is gone
     * too (the final test-and-clear of a deassign). */
    sim_eventfd_set_bound(e, SIM_LIVENESS_BOUND_NS);
}

void vw_check_loop_signal(struct vw_check *c, bool notifier)
{
    if (c->running) {
        __atomic_fetch_add(&c->st.loop_signals, 1, __ATOMIC_RELAXED);
        if (notifier) {
            __atomic_fetch_add(&c->st.notifier_signals, 1,
                               __ATOMIC_RELAXED);
        }
    }
}

/* ---- transitions ---- */

uint64_t vw_check_begin(struct vw_check *c)
{
    return ++c->seq;
}

/* Is the request at available index pos behind the device's index? */
static bool taken_by_device(const struct vw_check_queue_obs *o, uint16_t pos)
{
    uint16_t behind;

    if (!o->has_vq) {
        return false;
    }
    behind = (uint16_t)(o->dev_avail - pos);
    return behind != 0 && behind <= 0x8000u;
}

void vw_check_stopped(struct vw_check *c, uint64_t t0, const char *what)
{
    struct vw_check_obs o;

    if (c->waived) {
        return;
    }
    c->cfg.observe(c->cfg.world, &o);
    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        struct vck_queue *g = &c->q[q];

        for (unsigned s = 0; s < g->nslots; s++) {
            struct vck_req *r = &g->req[s];

            if (r->outstanding && r->eligible && r->seq_done &&
                r->seq_done < t0 && !taken_by_device(&o.q[q], r->pos)) {
                violation(c, &c->v.lost_kicks,
                          "lost kick: queue %u, request at avail index %u "
                          "kicked before %s was not taken by the device",
                          q, r->pos, what);
            }
        }
    }
}

void vw_check_no_ioeventfd(struct vw_check *c, struct plat_kvm *kvm,
                           const char *what)
{
    uint32_t n = sim_kvm_nioeventfds(kvm);

    if (n) {
        violation(c, &c->v.ioeventfd_left,
                  "%" PRIu32 " ioeventfds still assigned after %s", n, what);
    }
}

void vw_check_migration_source(struct vw_check *c, struct plat_kvm *kvm)
{
    /* Ask the source's KVM, not its proxy: a notifier whose deassign KVM
     * refused (-ENOENT: an unregister that ran out of memory emptied the
     * bus) stays marked assigned in the proxy, which keeps it in case KVM
     * still signals it, while KVM holds nothing. */
    if (sim_kvm_nioeventfds(kvm) != 0) {
        violation(c, &c->v.ioeventfd_left,
                  "migration: the source's KVM still holds %" PRIu32
                  " ioeventfds", sim_kvm_nioeventfds(kvm));
    }
}

/* Unregisters that ran out of memory and emptied a bus of kvm. */
static uint64_t kvm_bus_resets(struct plat_kvm *kvm)
{
    struct iobus_set *s = sim_kvm_iobus(kvm);
    uint64_t n = 0;

    plat_lock(&s->lock);
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        n += s->bus_resets[b];
    }
    plat_unlock(&s->lock);
    return n;
}

void vw_check_kvm_retired(struct vw_check *c, struct plat_kvm *kvm)
{
    c->io_user_carry += sim_kvm_io_exits(kvm, true);
    c->io_kernel_carry += sim_kvm_io_exits(kvm, false);
    if (c->running) {
        /* Only the race phase reads it (a lock: a scheduling point the
         * timed part does not have). */
        c->resets_carry += kvm_bus_resets(kvm);
    }
}

/* ---- the race phase ---- */

static unsigned race_objs(const struct vw_check *c)
{
    /* A length-0 notifier has a FAST_MMIO twin in KVM. */
    return !c->cfg.legacy && c->cfg.any_length ? 2 : 1;
}

static unsigned race_ready(const struct vw_check *c,
                           const struct vw_check_obs *o)
{
    unsigned r = 0;

    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        r += o->q[q].ready;
    }
    return r;
}

static unsigned race_handlers(const struct vw_check *c,
                              const struct vw_check_obs *o)
{
    unsigned h = 0;

    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        h += o->q[q].handler[0] || o->q[q].handler[1];
    }
    return h;
}

/* Should ioeventfd be on, by the model? */
static bool race_model_on(const struct vw_check *c,
                          const struct vw_check_obs *o)
{
    return c->cfg.ioeventfd && !c->m_fallen && o->view.vm_running &&
           view_enabled(&o->view);
}

/* Ownership of every queue's notifier: k objects in KVM.  Big lock
 * held. */
static void race_check_owner(struct vw_check *c, const char *when,
                             uint32_t k, const struct vw_check_obs *o)
{
    bool on = race_model_on(c, o);
    unsigned h = 0, in_owner = 0, objs = race_objs(c);

    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        bool h0 = o->q[q].handler[0];
        bool h1 = o->q[q].handler[1];

        if (h0 && h1) {
            violation(c, &c->v.race_ownership, "after %s: queue %u's "
                      "notifier has a handler in both loops", when, q);
        }
        h += h0 || h1;
        in_owner += c->m_grabs ? h1 : h0;
    }
    if (k > objs * h) {
        violation(c, &c->v.race_ownership, "after %s: KVM holds %" PRIu32
                  " notifier objects, only %u notifiers have a handler "
                  "(%u objects each)", when, k, h, objs);
    } else if (!on && h) {
        violation(c, &c->v.race_ownership, "after %s: ioeventfd is off "
                  "(VM %s, %s) but %u notifiers have a handler", when,
                  o->view.vm_running ? "running" : "stopped",
                  c->m_fallen ? "fallen back" : "not fallen back", h);
    } else if (on && !c->m_dirty && in_owner != race_ready(c, o)) {
        violation(c, &c->v.race_ownership, "after %s: ioeventfd is on "
                  "and %s; %u of %u queues have their handler there",
                  when, c->m_grabs ? "grabbed: the vhost worker serves"
                                   : "not grabbed: the iothread serves",
                  in_owner, race_ready(c, o));
    } else if (!c->m_dirty && k != objs * h) {
        violation(c, &c->v.race_ownership, "after %s: KVM holds %" PRIu32
                  " notifier objects, %u handlers need %u", when, k, h,
                  objs * h);
    }
}

/* No kick lost; ring indices agree with the model.  Big lock held, so no
 * handler is half way. */
static void race_check_queues(struct vw_check *c, const char *when,
                              const struct vw_check_obs *o)
{
    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        const struct vw_check_queue_obs *gq = &o->q[q];
        struct vck_queue *g = &c->q[q];
        unsigned out = 0;

        if (!gq->ready || c->waived) {
            continue;
        }
        for (unsigned i = 0; i < g->nslots; i++) {
            const struct vck_req *r = &g->req[i];

            out += r->outstanding;
            if (r->outstanding && r->eligible && r->seq_done &&
                !r->taken && !gq->pending) {
                violation(c, &c->v.race_lost_kicks, "after %s: queue %u, "
                          "request at avail index %u: kicked, not taken, "
                          "and no handler is about to run", when, q,
                          r->pos);
            }
        }
        if (out != gq->outstanding ||
            (uint16_t)(gq->avail_idx - gq->last_used) != gq->outstanding ||
            (uint16_t)(gq->avail_idx - g->taken_n) > g->nslots ||
            (uint16_t)(g->taken_n - g->pushed_n) > g->nslots ||
            gq->used_idx != g->pushed_n ||
            (uint16_t)(g->pushed_n - gq->last_used) > g->nslots ||
            (gq->has_vq && gq->dev_avail != g->taken_n)) {
            violation(c, &c->v.race_rings, "after %s: queue %u: published "
                      "%u, taken %u (device's index %u), pushed %u (used "
                      "ring %u), reaped %u, outstanding %u (%u slots)",
                      when, q, gq->avail_idx, g->taken_n,
                      gq->has_vq ? gq->dev_avail : 0, g->pushed_n,
                      gq->used_idx, gq->last_used, gq->outstanding, out);
        }
    }
}

/* KVM's ioeventfd count (a lock), then what the world sees: no handler
 * moves in between, the big lock is held. */
static void race_check_state(struct vw_check *c, const char *when)
{
    struct vw_check_obs o;
    uint32_t k;

    __atomic_fetch_add(&c->st.checkpoints, 1, __ATOMIC_RELAXED);
    c->cfg.observe(c->cfg.world, &o);
    k = sim_kvm_nioeventfds(o.kvm);
    c->cfg.observe(c->cfg.world, &o);
    race_check_owner(c, when, k, &o);
    race_check_queues(c, when, &o);
}

static void race_observe(struct vw_check *c, struct plat_kvm *kvm,
                         struct vck_cost_obs *o)
{
    o->assigns = sim_fault_hits(PLAT_FAULT_KVM_IOEVENTFD);
    o->graces = sim_rcu_synchronize_calls();
    o->injected = sim_fault_injected();
    o->resets = c->resets_carry + kvm_bus_resets(kvm);
}

/* Compare a transition's KVM_IOEVENTFD assigns and grace periods with what
 * its nstop stop and nstart start phases need over r queues: a stop
 * deassigns each notifier (one grace period per KVM object), a start
 * assigns each (one grace period per assign); an assign that fails ends
 * the start after undoing the ones before it; a bus reset leaves stuck
 * notifiers, which cost less, never more.  Returns the assign failures. */
static uint64_t race_cost(struct vw_check *c, const char *what,
                          const struct vck_cost_obs *a,
                          const struct vck_cost_obs *b, unsigned ready,
                          unsigned nstop, unsigned nstart, bool clean)
{
    struct vw_race_stats *st = &c->st;
    uint64_t r = ready, objs = race_objs(c);
    uint64_t na = b->assigns - a->assigns, ng = b->graces - a->graces;
    uint64_t nf = b->injected - a->injected, nx = b->resets - a->resets;
    uint64_t ea = nstart * r, eg = nstop * r * objs + nstart * r;

    st->assigns += na;
    st->grace_periods += ng;
    st->faults += nf;
    st->bus_resets += nx;
    if (clean && nf == 0) {
        st->exact_checks++;
        st->expected_assigns += ea;
        st->expected_grace_periods += eg;
        if (na != ea || ng != eg) {
            violation(c, &c->v.race_cost, "%s (%u stop, %u start phases, "
                      "%" PRIu64 " queues): %" PRIu64 " KVM_IOEVENTFD "
                      "assigns and %" PRIu64 " grace periods, the model "
                      "needs %" PRIu64 " and %" PRIu64, what, nstop, nstart,
                      r, na, ng, ea, eg);
        }
        return 0;
    }
    if (clean && nx == 0 && nf == 1 && nstart == 1 && na >= 1 && na <= r) {
        /* One assign failed: the ones before it were undone. */
        eg = nstop * r * objs + (na - 1) * (1 + objs);
        st->exact_checks++;
        st->expected_assigns += na;
        st->expected_grace_periods += eg;
        if (ng != eg) {
            violation(c, &c->v.race_cost, "%s: assign %" PRIu64 " of %"
                      PRIu64 " failed: %" PRIu64 " grace periods, the "
                      "model needs %" PRIu64, what, na, r, ng, eg);
        }
        return 1;
    }
    st->bound_checks++;
    eg = nstop * r * objs + nstart * r * (1 + objs);
    if (na > ea || ng > eg) {
        violation(c, &c->v.race_cost, "%s (%" PRIu64 " faults, %" PRIu64
                  " bus resets): %" PRIu64 " assigns and %" PRIu64
                  " grace periods, at most %" PRIu64 " and %" PRIu64
                  " may be needed", what, nf, nx, na, ng, ea, eg);
    }
    return nf > nx ? nf - nx : 0;
}

void vw_check_race_start(struct vw_check *c)
{
    struct vw_check_obs o;
    bool fallen;

    c->cfg.observe(c->cfg.world, &o);
    c->m_grabs = o.vhost_grabs;
    fallen = c->cfg.ioeventfd && view_enabled(&o.view) &&
             o.view.vm_running && race_handlers(c, &o) == 0;
    c->m_fallen = fallen;
    c->m_dirty = c->resets_carry + kvm_bus_resets(o.kvm) > 0;
    c->cfg.observe(c->cfg.world, &o);
    c->user0 = c->io_user_carry + sim_kvm_io_exits(o.kvm, true);
    c->kernel0 = c->io_kernel_carry + sim_kvm_io_exits(o.kvm, false);
    c->wake0 = o.loop_wakeups;
    c->st.ran = true;
    c->running = true;
    race_check_state(c, "the start of the race phase");
}

void vw_check_race_before(struct vw_check *c)
{
    struct vw_check_obs o;

    c->cfg.observe(c->cfg.world, &o);
    c->t_on0 = race_model_on(c, &o);
    c->t_clean = !c->m_dirty;
    race_observe(c, o.kvm, &c->t_a);
}

void vw_check_race_after(struct vw_check *c, enum vw_check_op op, int r,
                         bool resumed)
{
    static const char *const names[] = {
        "a VM stop", "a VM resume", "a vhost grab", "a vhost release",
        "a migration",
    };
    struct vw_check_obs o;
    struct vck_cost_obs b;
    unsigned nstop = 0, nstart = 0;
    bool on0 = c->t_on0, started_over = false;
    uint64_t failed;

    switch (op) {
    case VW_CHECK_STOP:
        nstop = on0;
        break;
    case VW_CHECK_RESUME:
        nstart = c->cfg.ioeventfd && !c->m_fallen;
        break;
    case VW_CHECK_GRAB:
        if (r == 0 && c->m_grabs++ == 0) {
            nstop = nstart = on0;
        } else if (r == 0) {
            c->st.nested_grabs++;
        }
        break;
    case VW_CHECK_RELEASE:
        if (r == 0 && --c->m_grabs == 0) {
            nstop = nstart = on0;
        }
        break;
    default:
        nstop = on0;
        if (r == 0) {
            /* A new proxy and KVM: nothing fallen back, nothing stuck. */
            c->st.migrations++;
            started_over = true;
            nstart = c->cfg.ioeventfd;
        } else if (resumed) {
            nstart = c->cfg.ioeventfd && !c->m_fallen; /* the source */
        }
        break;
    }
    c->cfg.observe(c->cfg.world, &o);
    race_observe(c, o.kvm, &b);
    c->cfg.observe(c->cfg.world, &o);
    failed = race_cost(c, names[op], &c->t_a, &b, race_ready(c, &o), nstop,
                       nstart, c->t_clean);
    c->starts += nstart;
    if (started_over) {
        c->m_fallen = false;
        c->m_dirty = false;
    }
    if (nstart && failed) {
        c->m_fallen = true;
    }
    if (b.resets != c->t_a.resets) {
        c->m_dirty = true;
    }
    if (nstart && c->m_dirty && !c->m_fallen && !race_handlers(c, &o) &&
        !sim_kvm_nioeventfds(o.kvm)) {
        /* A stuck notifier refused the start: seen, not predicted. */
        c->m_fallen = true;
    }
    c->st.fallbacks += nstart && c->m_fallen;
    c->st.transitions++;
    race_check_state(c, names[op]);
}

void vw_check_race_end(struct vw_check *c)
{
    struct vw_race_stats *st = &c->st;
    struct vw_check_obs o;
    uint64_t user, kernel, wake;

    race_check_state(c, "the end of the race phase");
    c->cfg.observe(c->cfg.world, &o);
    user = c->io_user_carry + sim_kvm_io_exits(o.kvm, true) - c->user0;
    kernel = c->io_kernel_carry + sim_kvm_io_exits(o.kvm, false) -
             c->kernel0;
    wake = o.loop_wakeups - c->wake0;
    st->wakeups = wake;
    if (user != st->exits_heavy || kernel != st->exits_light ||
        st->kicks != st->exits_light + st->exits_heavy ||
        (!c->cfg.ioeventfd && kernel)) {
        violation(c, &c->v.race_cost, "race phase: %" PRIu64 " kicks; the "
                  "vCPUs saw %" PRIu64 " lightweight and %" PRIu64
                  " heavyweight exits, KVM counted %" PRIu64 " and %"
                  PRIu64, st->kicks, st->exits_light, st->exits_heavy,
                  kernel, user);
    }
    if (wake > st->loop_signals ||
        st->notifier_signals >
            st->exits_light + c->starts * race_ready(c, &o)) {
        violation(c, &c->v.race_cost, "race phase: %" PRIu64 " loop "
                  "wakeups for %" PRIu64 " signals; %" PRIu64 " notifier "
                  "signals for %" PRIu64 " lightweight kicks and %" PRIu64
                  " starts of %u queues", wake, st->loop_signals,
                  st->notifier_signals, st->exits_light, c->starts,
                  race_ready(c, &o));
    }
    c->running = false;
}

/* ---- the end ---- */

void vw_check_never_completed(struct vw_check *c)
{
    if (c->waived) {
        return;
    }
    for (unsigned q = 0; q < c->cfg.nqueues; q++) {
        struct vck_queue *g = &c->q[q];

        for (unsigned s = 0; s < g->nslots; s++) {
            if (g->req[s].outstanding && g->req[s].eligible) {
                violation(c, &c->v.never_completed,
                          "queue %u: request at avail index %u never "
                          "completed", q, g->req[s].pos);
            }
        }
    }
}

SIM_TSAN_ENGINE_END
