/*
 * model/switchover/switchover_check.c - the switchover checkers (see
 * switchover_check.h): invariant records, the arc rule restated, the
 * per-operation cost model and its records, the pass checker, the state
 * and kernel checks and the migration's outcome.
 *
 * Runs inside one simulated run, called by the world's observers and its
 * threads; like the world, it keeps plain fields (sim/tsan.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/switchover/switchover_check.h"
#include "scenarios/switchover/switchover_world.h"
#include "sim/tsan.h"

/* The world's state the checkers read is plain fields, written by
 * simulated threads none of which is switched out between two platform
 * calls: it is not instrumented (sim/tsan.h). */
SIM_TSAN_ENGINE_BEGIN

const char *sw_invariant_name(enum sw_invariant inv)
{
    static const char *const names[SW_INV_NR] = {
        "ordering", "legal_arcs", "final_states", "errors_abort", "cost",
    };

    return (unsigned)inv < SW_INV_NR ? names[inv] : "?";
}

void sw_violation(struct sw_world *w, enum sw_invariant inv,
                  const char *fmt, ...)
{
    va_list ap;

    if ((unsigned)inv >= SW_INV_NR) {
        return;
    }
    if (w->violations[inv]++ == 0) {
        va_start(ap, fmt);
        vsnprintf(w->first[inv], sizeof(w->first[inv]), fmt, ap);
        va_end(ap);
    }
    plat_trace_instant(sw_invariant_name(inv), (int64_t)w->violations[inv]);
}

uint64_t sw_violations(const struct sw_world *w)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < SW_INV_NR; i++) {
        n += w->violations[i];
    }
    return n;
}

/* ---- the arc rule, restated for the checkers ---- */

#define ST(x) PLAT_VFIO_STATE_##x

bool sw_arc_legal(enum plat_vfio_mig_state from, enum plat_vfio_mig_state to,
                  unsigned flags)
{
    bool p2p = flags & VFIO_MIG_F_P2P;
    bool pre = flags & VFIO_MIG_F_PRE_COPY;

#define ARC(a, b) (from == ST(a) && to == ST(b))
#define BOTH(a, b) (ARC(a, b) || ARC(b, a))
    if (BOTH(STOP, STOP_COPY) || BOTH(STOP, RESUMING)) {
        return true;
    }
    if (!p2p && BOTH(RUNNING, STOP)) {
        return true;
    }
    if (p2p && (BOTH(RUNNING, RUNNING_P2P) || BOTH(RUNNING_P2P, STOP))) {
        return true;
    }
    if (pre && BOTH(RUNNING, PRE_COPY)) {
        return true;
    }
    if (pre && !p2p && ARC(PRE_COPY, STOP_COPY)) {
        return true;
    }
    return pre && p2p &&
           (BOTH(PRE_COPY, PRE_COPY_P2P) || ARC(PRE_COPY_P2P, STOP_COPY) ||
            BOTH(RUNNING_P2P, PRE_COPY_P2P));
#undef BOTH
#undef ARC
}

/* Breadth-first over the restated arcs; a path may end in, but not pass
 * through, a state that moves data (STOP_COPY, RESUMING) or a pre-copy
 * state it did not start in. */
int sw_arc_distance(enum plat_vfio_mig_state from,
                    enum plat_vfio_mig_state to, unsigned flags)
{
    int dist[VFIO_MIG_NSTATES];
    unsigned queue[VFIO_MIG_NSTATES], head = 0, tail = 0;

    if ((unsigned)from >= VFIO_MIG_NSTATES ||
        (unsigned)to >= VFIO_MIG_NSTATES || to == ST(ERROR) ||
        from == ST(ERROR)) {
        return -1;
    }
    for (unsigned i = 0; i < VFIO_MIG_NSTATES; i++) {
        dist[i] = -1;
    }
    dist[from] = 0;
    queue[tail++] = from;
    while (head < tail) {
        unsigned a = queue[head++];

        if (a == (unsigned)to) {
            return dist[a];
        }
        if (a != (unsigned)from &&
            (a == ST(STOP_COPY) || a == ST(RESUMING) ||
             ((a == ST(PRE_COPY) || a == ST(PRE_COPY_P2P)) &&
              from != ST(PRE_COPY) && from != ST(PRE_COPY_P2P)))) {
            continue;
        }
        for (unsigned b = 0; b < VFIO_MIG_NSTATES; b++) {
            if (dist[b] < 0 &&
                sw_arc_legal((enum plat_vfio_mig_state)a,
                             (enum plat_vfio_mig_state)b, flags)) {
                dist[b] = dist[a] + 1;
                queue[tail++] = b;
            }
        }
    }
    return -1;
}

/* A state a device with `flags` can be asked for: one some arc enters. */
static bool state_supported(enum plat_vfio_mig_state s, unsigned flags)
{
    for (unsigned a = 0; a < VFIO_MIG_NSTATES; a++) {
        if (sw_arc_legal((enum plat_vfio_mig_state)a, s, flags)) {
            return true;
        }
    }
    return false;
}

/* Arcs from `from` until the request stopped at `at` (the state it was
 * in when an arc failed, or its target): a shortest way's prefix is a
 * shortest way, so its length is the restated distance. */
static uint64_t arcs_to(enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state at, unsigned flags)
{
    int d = sw_arc_distance(from, at, flags);

    return d > 0 ? (uint64_t)d : 0;
}

/* The rule of a set-state operation, restated: a device in ERROR is reset
 * first (a failed reset ends it); nothing is asked when the device is at
 * the target; one request for the target; if an arc of it fails, one
 * request for the recovery state unless the device is there already, in
 * ERROR, or recovery is by reset; if that fails too, or recovery is by
 * reset, one reset.  Each failure and reset outcome is taken from what the
 * kernel reported, in order; a request without a reported failure
 * reached its target. */
void sw_op_expect(const struct sw_cost_op *op, unsigned flags,
                  struct sw_op_cost *c)
{
    enum plat_vfio_mig_state at = op->start;
    unsigned fi = 0, ri = 0;
    bool failed;

    memset(c, 0, sizeof(*c));
    if (op->nothing || !state_supported(op->target, flags)) {
        return;
    }
    if (at == ST(ERROR)) {
        c->resets++;
        if (ri >= op->nreset || !op->reset_ok[ri++]) {
            return;
        }
        at = ST(RUNNING);
    }
    if (at == op->target) {
        return;
    }
    c->requests++;
    failed = fi < op->nfail;
    if (!failed) {
        c->arcs += arcs_to(at, op->target, flags);
        return;
    }
    c->arcs += arcs_to(at, op->fail_from[fi], flags);
    at = op->fail_to[fi++];
    if (op->recover != ST(ERROR) && at != ST(ERROR) &&
        state_supported(op->recover, flags)) {
        if (at == op->recover) {
            return;
        }
        c->requests++;
        if (fi >= op->nfail) {
            c->arcs += arcs_to(at, op->recover, flags);
            return;
        }
        c->arcs += arcs_to(at, op->fail_from[fi], flags);
        fi++;
    }
    c->resets++;
}

/* ---- the cost checker's operations ---- */

void sw_op_begin(struct sw_vfio *v, const char *what,
                 enum plat_vfio_mig_state target,
                 enum plat_vfio_mig_state recover, bool nothing)
{
    struct sw_cost_op *op = &v->op;

    if (op->open) {
        sw_violation(v->vm->w, SW_INV_COST, "%s device %u: %s began while "
                     "%s was in progress", v->vm->name, v->index, what,
                     op->what);
    }
    memset(op, 0, sizeof(*op));
    op->open = true;
    op->nothing = nothing;
    op->what = what;
    op->start = sim_vfio_mig_state(v->dev);
    op->target = target;
    op->recover = recover;
    op->n0 = *sim_vfio_mig_counts(v->dev);
}

void sw_op_end(struct sw_vfio *v)
{
    struct sw_cost_op *op = &v->op;
    const struct sim_vfio_mig_counts *n = sim_vfio_mig_counts(v->dev);
    uint64_t req = n->requests - op->n0.requests;
    uint64_t arcs = n->arcs - op->n0.arcs;
    uint64_t resets = n->resets + n->reset_failures - op->n0.resets -
                      op->n0.reset_failures;
    struct sw_op_cost c;

    if (!op->open) {
        return;
    }
    op->open = false;
    sw_op_expect(op, v->m.flags, &c);
    v->exp_requests += c.requests;
    v->exp_arcs += c.arcs;
    v->exp_resets += c.resets;
    v->ops++;
    if (req != c.requests || arcs != c.arcs || resets != c.resets ||
        op->nfail > SW_OP_MAX_EVENTS || op->nreset > SW_OP_MAX_EVENTS) {
        sw_violation(v->vm->w, SW_INV_COST,
                     "%s device %u: %s from %s to %s (recovery %s, %u "
                     "failed arcs, %u resets) took %" PRIu64 " requests, %"
                     PRIu64 " arcs, %" PRIu64 " resets; the model says %"
                     PRIu64 ", %" PRIu64 ", %" PRIu64, v->vm->name,
                     v->index, op->what, vfio_mig_state_name(op->start),
                     op->nothing ? "(nothing)"
                                 : vfio_mig_state_name(op->target),
                     vfio_mig_state_name(op->recover), op->nfail,
                     op->nreset, req, arcs, resets, c.requests, c.arcs,
                     c.resets);
    }
}

void sw_op_kernel_event(struct sw_vfio *v, enum sim_vfio_mig_event ev,
                        enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state to)
{
    struct sw_cost_op *op = &v->op;

    if (op->open && ev == SIM_VFIO_MIG_ARC_FAILED) {
        if (op->nfail < SW_OP_MAX_EVENTS) {
            op->fail_from[op->nfail] = from;
            op->fail_to[op->nfail] = to;
        }
        op->nfail++;
    } else if (op->open && (ev == SIM_VFIO_MIG_RESET ||
                            ev == SIM_VFIO_MIG_RESET_FAILED)) {
        if (op->nreset < SW_OP_MAX_EVENTS) {
            op->reset_ok[op->nreset] = ev == SIM_VFIO_MIG_RESET;
        }
        op->nreset++;
    }
}

/* ---- the pass checker ---- */

#define NONE_FIRST UINT64_MAX

unsigned sw_check_pass(struct sw_world *w, const struct sw_vm *vm,
                       bool running, const struct sw_event *ev,
                       unsigned nev)
{
    /* [phase][depth]: phase 1 = prepare.  Sequence numbers start at 1, so
     * 0 is "no call" for last and NONE_FIRST for first. */
    uint64_t first[2][SW_MAX_DEPTH], last[2][SW_MAX_DEPTH];
    uint64_t first_main = NONE_FIRST;
    unsigned begins = 0, ends = 0, launches = 0, joins = 0;
    uint64_t before = sw_violations(w);
    const char *name = vm ? vm->name : "vm";

    for (unsigned p = 0; p < 2; p++) {
        for (unsigned d = 0; d < SW_MAX_DEPTH; d++) {
            first[p][d] = NONE_FIRST;
            last[p][d] = 0;
        }
    }
    for (unsigned i = 0; i < nev; i++) {
        const struct sw_event *e = &ev[i];
        unsigned p = e->prepare ? 1 : 0;
        unsigned d = e->depth < SW_MAX_DEPTH ? e->depth : SW_MAX_DEPTH - 1;

        switch (e->kind) {
        case SW_EV_CALL:
            if (e->seq < first[p][d]) {
                first[p][d] = e->seq;
            }
            if (e->seq > last[p][d]) {
                last[p][d] = e->seq;
            }
            if (!e->prepare && e->seq < first_main) {
                first_main = e->seq;
            }
            break;
        case SW_EV_BEGIN:
            begins++;
            break;
        case SW_EV_END:
            ends++;
            break;
        case SW_EV_LAUNCH:
            launches++;
            break;
        case SW_EV_JOIN:
            joins++;
            break;
        }
    }
    for (unsigned i = 0; i < nev; i++) {
        const struct sw_event *e = &ev[i];
        unsigned p = e->prepare ? 1 : 0;
        unsigned d = e->depth < SW_MAX_DEPTH ? e->depth : SW_MAX_DEPTH - 1;

        if (e->kind == SW_EV_END && e->prepare && e->seq > first_main) {
            sw_violation(w, SW_INV_ORDERING,
                         "%s: device %d's prepare transition ended (#%"
                         PRIu64 ") after a main callback began (#%" PRIu64
                         ")", name, e->dev, e->seq, first_main);
        }
        for (unsigned o = 0; o < SW_MAX_DEPTH; o++) {
            bool later = running ? o > d : o < d;
            bool earlier = running ? o < d : o > d;

            if (e->kind == SW_EV_END && later && e->seq > first[p][o]) {
                sw_violation(w, SW_INV_ORDERING,
                             "%s: device %d (depth %u) %s transition ended "
                             "(#%" PRIu64 ") after a handler at depth %u ran "
                             "(#%" PRIu64 ")", name, e->dev, d,
                             e->prepare ? "prepare" : "main", e->seq, o,
                             first[p][o]);
            }
            if (e->kind == SW_EV_BEGIN && earlier && e->seq < last[p][o]) {
                sw_violation(w, SW_INV_ORDERING,
                             "%s: device %d (depth %u) %s transition began "
                             "(#%" PRIu64 ") before a handler at depth %u ran "
                             "(#%" PRIu64 ")", name, e->dev, d,
                             e->prepare ? "prepare" : "main", e->seq, o,
                             last[p][o]);
            }
        }
    }
    if (begins != ends || launches != joins) {
        sw_violation(w, SW_INV_ORDERING,
                     "%s: pass ended with %u transitions begun, %u ended, "
                     "%u threads launched, %u joined", name, begins, ends,
                     launches, joins);
    }
    return (unsigned)(sw_violations(w) - before);
}

/* ---- state checks ---- */

void sw_check_states(struct sw_world *w, const struct sw_vm *vm,
                     enum plat_vfio_mig_state want, const char *when)
{
    for (unsigned i = 0; i < vm->nvfio; i++) {
        const struct sw_vfio *v = &vm->vfio[i];
        enum plat_vfio_mig_state k = sim_vfio_mig_state(v->dev);

        if (k != v->m.state) {
            sw_violation(w, SW_INV_FINAL_STATES,
                         "%s %s: device %u is %s in the kernel but %s to "
                         "the VMM", vm->name, when, i,
                         vfio_mig_state_name(k),
                         vfio_mig_state_name(v->m.state));
        } else if (k != want && !v->m.st.last_reset_failed) {
            sw_violation(w, SW_INV_FINAL_STATES,
                         "%s %s: device %u is %s, expected %s", vm->name,
                         when, i, vfio_mig_state_name(k),
                         vfio_mig_state_name(want));
        }
    }
}

void sw_check_kernel(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        const struct sw_vm *vm = &w->vm[i];

        for (unsigned j = 0; j < vm->nvfio; j++) {
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(vm->vfio[j].dev);

            if (n->einval || n->overlaps || n->illegal_arcs) {
                sw_violation(w, SW_INV_LEGAL_ARCS,
                             "%s device %u: %" PRIu64 " unreachable "
                             "requests, %" PRIu64 " overlapping requests, %"
                             PRIu64 " illegal arcs", vm->name, j, n->einval,
                             n->overlaps, n->illegal_arcs);
            }
        }
    }
}

/* Arcs and set-state requests a device needs to go through `targets`
 * in turn from RUNNING (a request for the state it is in is none). */
static void plan_cost(const enum plat_vfio_mig_state *targets, unsigned n,
                      unsigned flags, uint64_t *arcs, uint64_t *requests)
{
    enum plat_vfio_mig_state at = PLAT_VFIO_STATE_RUNNING;

    *arcs = 0;
    *requests = 0;
    for (unsigned i = 0; i < n; i++) {
        int d = sw_arc_distance(at, targets[i], flags);

        if (d > 0) {
            *arcs += (uint64_t)d;
            *requests += 1;
        }
        at = targets[i];
    }
}

/* After a migration without a failed arc, a reset or a cancel: every
 * device took exactly the arcs of its legal path, in as many requests as
 * the path has steps. */
static void check_cost(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        const struct sw_vm *vm = &w->vm[i];

        for (unsigned j = 0; j < vm->nvfio; j++) {
            const struct sw_vfio *v = &vm->vfio[j];
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(v->dev);
            bool p2p = v->m.flags & VFIO_MIG_F_P2P;
            bool pre = v->m.flags & VFIO_MIG_F_PRE_COPY;
            enum plat_vfio_mig_state t[6];
            unsigned nt = 0;
            uint64_t arcs, requests;

            if (i == 0) {
                if (pre) {
                    t[nt++] = PLAT_VFIO_STATE_PRE_COPY;
                }
                if (p2p) {
                    t[nt++] = pre ? PLAT_VFIO_STATE_PRE_COPY_P2P
                                  : PLAT_VFIO_STATE_RUNNING_P2P;
                }
                t[nt++] = pre ? PLAT_VFIO_STATE_STOP_COPY
                              : PLAT_VFIO_STATE_STOP;
                t[nt++] = PLAT_VFIO_STATE_STOP_COPY;
                t[nt++] = PLAT_VFIO_STATE_STOP;
            } else {
                t[nt++] = PLAT_VFIO_STATE_RESUMING;
                if (p2p) {
                    t[nt++] = PLAT_VFIO_STATE_RUNNING_P2P;
                }
                t[nt++] = PLAT_VFIO_STATE_RUNNING;
            }
            plan_cost(t, nt, v->m.flags, &arcs, &requests);
            if (n->arcs != arcs || n->requests != requests) {
                sw_violation(w, SW_INV_COST,
                             "%s device %u: %" PRIu64 " arcs in %" PRIu64
                             " set-state requests, its path needs %" PRIu64
                             " in %" PRIu64, vm->name, j, n->arcs,
                             n->requests, arcs, requests);
            }
        }
    }
}

static bool clean_run(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned j = 0; j < w->vm[i].nvfio; j++) {
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(w->vm[i].vfio[j].dev);

            if (n->failures || n->resets || n->reset_failures) {
                return false;
            }
        }
    }
    return w->cancel_pct == 0 || plat_atomic_load(&w->cancel_req) == 0;
}

/* Every operation closed, and the kernel did no work outside them. */
static void check_cost_totals(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        const struct sw_vm *vm = &w->vm[i];

        for (unsigned j = 0; j < vm->nvfio; j++) {
            const struct sw_vfio *v = &vm->vfio[j];
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(v->dev);

            if (v->op.open) {
                sw_violation(w, SW_INV_COST, "%s device %u: %s still in "
                             "progress after round %u", vm->name, j,
                             v->op.what, w->round);
            }
            if (n->requests != v->exp_requests || n->arcs != v->exp_arcs ||
                n->resets + n->reset_failures != v->exp_resets) {
                sw_violation(w, SW_INV_COST,
                             "%s device %u: the kernel counted %" PRIu64
                             " requests, %" PRIu64 " arcs and %" PRIu64
                             " resets by round %u; its %" PRIu64
                             " operations account for %" PRIu64 ", %"
                             PRIu64 ", %" PRIu64, vm->name, j, n->requests,
                             n->arcs, n->resets + n->reset_failures,
                             w->round, v->ops, v->exp_requests, v->exp_arcs,
                             v->exp_resets);
            }
        }
    }
}

void sw_check_migration(struct sw_world *w)
{
    struct sw_mig_result *res = &w->res;
    struct sw_vm *src = &w->vm[w->si], *dst = &w->vm[1 - w->si];

    if (w->checked) {
        return; /* the heal phase took the checks before healing */
    }
    res->done = w->src_finished && w->dst_finished;
    if (!res->done) {
        return; /* the run was stuck; the runner reports it */
    }
    sw_check_kernel(w);
    if (w->round == 0 && res->rc == 0 && !res->blocked && clean_run(w)) {
        check_cost(w);
    }
    check_cost_totals(w);
    if (res->rc == 0) {
        sw_check_states(w, src, PLAT_VFIO_STATE_STOP,
                        "after the migration");
        sw_check_states(w, dst, PLAT_VFIO_STATE_RUNNING,
                        "after the migration");
        if (src->running || !dst->running) {
            sw_violation(w, SW_INV_FINAL_STATES,
                         "after the migration the source %s and the "
                         "destination %s",
                         src->running ? "runs" : "is stopped",
                         dst->running ? "runs" : "is stopped");
        }
    } else {
        sw_check_states(w, src, PLAT_VFIO_STATE_RUNNING,
                        "after the failed migration");
        sw_check_states(w, dst, PLAT_VFIO_STATE_RUNNING,
                        "after the failed migration");
        if (!src->running) {
            sw_violation(w, SW_INV_FINAL_STATES,
                         "the source is stopped after a failed migration");
        }
    }
}

SIM_TSAN_ENGINE_END
