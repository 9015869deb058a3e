/*
 * scenarios/switchover/switchover_world.c - the switchover world (see
 * switchover_world.h): building VMs and device trees, the migration's
 * source and destination threads and the event logs; the checkers they
 * feed are in model/switchover/switchover_check.c.
 *
 * Assumes one simulated run at a time; the sequence counter and the logs
 * are plain fields because simulated threads never run in parallel.
 * Device identity is by index; handler entries are recognised by address
 * (identity only, never ordered or hashed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/switchover/switchover_check.h"
#include "scenarios/switchover/switchover_world.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices, oracle records) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

/* A migration step on a device: its operation around the core call. */
typedef int (*sw_step_fn)(struct vfio_mig_dev *m);

static int op_step(struct sw_vfio *v, const char *what, sw_step_fn fn,
                   enum plat_vfio_mig_state target,
                   enum plat_vfio_mig_state recover, bool nothing)
{
    int rc;

    sw_op_begin(v, what, target, recover, nothing);
    rc = fn(&v->m);
    sw_op_end(v);
    return rc;
}

/* ---- event logs ---- */

static void log_event(struct sw_vm *vm, enum sw_ev_kind kind, bool prepare,
                      unsigned depth, int dev)
{
    struct sw_event *e;

    if (!vm->in_pass) {
        return;
    }
    if (vm->nev == SW_MAX_PASS_EVENTS) {
        vm->ev_overflow = true;
        return;
    }
    e = &vm->ev[vm->nev++];
    e->seq = ++vm->w->seq;
    e->kind = kind;
    e->prepare = prepare;
    e->depth = depth < SW_MAX_DEPTH ? depth : SW_MAX_DEPTH - 1;
    e->dev = dev;
}

static int vfio_index_of(const struct sw_vm *vm, const void *opaque)
{
    for (unsigned i = 0; i < vm->nvfio; i++) {
        if (opaque == (const void *)&vm->vfio[i].m) {
            return (int)i;
        }
    }
    return -1;
}

static void vm_observer(void *arg, enum vmstate_event ev,
                        const struct vmstate_entry *e, bool running)
{
    struct sw_vm *vm = arg;

    switch (ev) {
    case VMSTATE_EV_PASS_BEGIN:
        vm->in_pass = true;
        vm->passes++;
        vm->nev = 0;
        vm->ev_overflow = false;
        break;
    case VMSTATE_EV_PREPARE:
    case VMSTATE_EV_MAIN:
        log_event(vm, SW_EV_CALL, ev == VMSTATE_EV_PREPARE, e->depth,
                  vfio_index_of(vm, e->opaque));
        break;
    case VMSTATE_EV_PASS_END:
        if (vm->ev_overflow) {
            sw_violation(vm->w, SW_INV_ORDERING,
                         "%s: pass %" PRIu64 " logged more than %d events",
                         vm->name, vm->passes, SW_MAX_PASS_EVENTS);
        }
        sw_check_pass(vm->w, vm, running, vm->ev, vm->nev);
        for (unsigned i = 0; i < vm->nvfio; i++) {
            if (vfio_mig_pending(&vm->vfio[i].m)) {
                sw_violation(vm->w, SW_INV_ORDERING,
                             "%s: device %u's transition thread outlives "
                             "pass %" PRIu64, vm->name, i, vm->passes);
            }
        }
        vm->in_pass = false;
        break;
    }
}

static void mig_observer(void *arg, const struct vfio_mig_dev *m,
                         const struct vfio_mig_event_info *info)
{
    struct sw_vfio *v = arg;
    static const enum sw_ev_kind kinds[] = {
        [VFIO_MIG_EV_BEGIN] = SW_EV_BEGIN,
        [VFIO_MIG_EV_END] = SW_EV_END,
        [VFIO_MIG_EV_LAUNCH] = SW_EV_LAUNCH,
        [VFIO_MIG_EV_JOIN] = SW_EV_JOIN,
    };

    if ((unsigned)info->ev < sizeof(kinds) / sizeof(kinds[0])) {
        log_event(v->vm, kinds[info->ev], info->prepare, m->depth,
                  (int)v->index);
    }
    /* A change-state transition is a set-state recovered by reset. */
    if (info->ev == VFIO_MIG_EV_BEGIN) {
        sw_op_begin(v,
                    info->prepare ? "a prepare transition" : "a transition",
                    info->target, PLAT_VFIO_STATE_ERROR, false);
    } else if (info->ev == VFIO_MIG_EV_END) {
        sw_op_end(v);
    }
}

static void kernel_hook(void *arg, struct plat_vfio_dev *dev,
                        enum sim_vfio_mig_event ev,
                        enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state to)
{
    struct sw_vfio *v = arg;

    sw_op_kernel_event(v, ev, from, to);
    if (ev == SIM_VFIO_MIG_ARC &&
        !sw_arc_legal(from, to, sim_vfio_mig(dev)->flags)) {
        sw_violation(v->vm->w, SW_INV_LEGAL_ARCS,
                     "%s device %u took arc %s -> %s", v->vm->name,
                     v->index, vfio_mig_state_name(from),
                     vfio_mig_state_name(to));
    }
}

/* ---- building ---- */

void sw_world_init(struct sw_world *w)
{
    static const char *const names[2] = {"source", "destination"};

    memset(w, 0, sizeof(*w));
    for (unsigned i = 0; i < 2; i++) {
        struct sw_vm *vm = &w->vm[i];

        vm->w = w;
        vm->id = i;
        vm->name = names[i];
        vm->running = i == 0;
        vmstate_list_init(&vm->list);
        vmstate_set_observer(&vm->list, vm_observer, vm);
    }
    plat_eventfd_init(&w->to_dst, "to destination");
    plat_eventfd_init(&w->to_src, "to source");
    plat_eventfd_init(&w->heal_go, "heal");
    plat_eventfd_init(&w->race_go, "race round done");
    plat_lock_init(&w->bql, PLAT_LOCK_MUTEX, "source bql");
}

void sw_world_fini(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        struct sw_vm *vm = &w->vm[i];

        for (unsigned j = 0; j < vm->nvfio; j++) {
            /* A stuck run may leave a transition pending; its thread is
             * frozen and never finishes it.  Joining it after the run
             * only frees the handle; then forget the job. */
            if (vm->vfio[j].m.thread) {
                plat_thread_join(vm->vfio[j].m.thread);
            }
            vm->vfio[j].m.pending = false;
            vm->vfio[j].m.thread = NULL;
            vfio_mig_deinit(&vm->vfio[j].m);
            sim_vfio_destroy(vm->vfio[j].dev);
        }
        for (unsigned j = 0; j < vm->nord; j++) {
            vmstate_del(&vm->list, &vm->ord[j].e);
        }
        vm->nvfio = 0;
        vm->nord = 0;
    }
    /* Waiters left by a stuck run are frozen threads: destroying the
     * eventfds releases them. */
    plat_eventfd_destroy(&w->to_dst);
    plat_eventfd_destroy(&w->to_src);
    plat_eventfd_destroy(&w->heal_go);
    plat_eventfd_destroy(&w->race_go);
    plat_lock_destroy(&w->bql);
}

int sw_add_vfio(struct sw_vm *vm, unsigned depth, unsigned flags,
                enum vfio_mig_mode mode,
                const struct sim_vfio_mig_latency *lat)
{
    struct sw_vfio *v;
    int rc;

    if (vm->nvfio == SW_MAX_DEVS) {
        return -ENOSPC;
    }
    if (depth >= SW_MAX_DEPTH || (flags & ~VFIO_MIG_F_ALL)) {
        return -EINVAL;
    }
    v = &vm->vfio[vm->nvfio];
    memset(v, 0, sizeof(*v));
    v->dev = sim_vfio_create(vm->id ? "dst-vfio" : "src-vfio", 0, 0, 0);
    if (!v->dev) {
        return -ENOMEM;
    }
    sim_vfio_mig_set_flags(v->dev, flags);
    if (lat) {
        sim_vfio_mig_set_latency(v->dev, lat);
    }
    rc = vfio_mig_init(&v->m, &vm->list, "vfio", v->dev, flags, depth,
                       mode);
    if (rc < 0) {
        sim_vfio_destroy(v->dev);
        v->dev = NULL;
        return rc;
    }
    sim_vfio_mig_set_hook(v->dev, kernel_hook, v);
    vfio_mig_set_observer(&v->m, mig_observer, v);
    v->vm = vm;
    v->index = vm->nvfio;
    return (int)vm->nvfio++;
}

static int ord_main(void *opaque, bool running, enum vmstate_run_state rs)
{
    struct sw_ordinary *o = opaque;

    (void)running;
    (void)rs;
    o->calls++;
    plat_spend_ns(o->main_ns);
    return 0;
}

static int ord_prepare(void *opaque, bool running, enum vmstate_run_state rs)
{
    struct sw_ordinary *o = opaque;

    (void)running;
    (void)rs;
    plat_spend_ns(o->prepare_ns);
    return 0;
}

int sw_add_ordinary(struct sw_vm *vm, unsigned depth, uint64_t main_ns,
                    uint64_t prepare_ns)
{
    struct sw_ordinary *o;

    if (vm->nord == SW_MAX_ORD) {
        return -ENOSPC;
    }
    if (depth >= SW_MAX_DEPTH) {
        return -EINVAL;
    }
    o = &vm->ord[vm->nord];
    memset(o, 0, sizeof(*o));
    o->vm = vm;
    o->depth = depth;
    o->main_ns = main_ns;
    o->prepare_ns = prepare_ns;
    vmstate_add_dev(&vm->list, &o->e, "ordinary", ord_main, ord_prepare, o,
                    depth, 0);
    return (int)vm->nord++;
}

int sw_vm_start(struct sw_vm *vm)
{
    int rc = vmstate_notify(&vm->list, true, VMSTATE_RS_RUNNING);

    vm->running = true;
    return rc;
}

int sw_vm_stop(struct sw_vm *vm, enum vmstate_run_state rs)
{
    int rc = vmstate_notify(&vm->list, false, rs);

    vm->running = false;
    return rc;
}

/* ---- the migration ---- */

static uint64_t kernel_failures(const struct sw_world *w)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < 2; i++) {
        for (unsigned j = 0; j < w->vm[i].nvfio; j++) {
            n += sim_vfio_mig_counts(w->vm[i].vfio[j].dev)->failures;
        }
    }
    return n;
}

/* A device is neither RUNNING nor STOP as the round begins: an earlier
 * round's failed reset left it where a failure put it (ERROR, or a state
 * a migration step refuses), a cause the round may fail of without a
 * failure of its own. */
static bool round_broken(struct sw_world *w)
{
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned j = 0; j < w->vm[i].nvfio; j++) {
            enum plat_vfio_mig_state k =
                sim_vfio_mig_state(w->vm[i].vfio[j].dev);

            if (k != PLAT_VFIO_STATE_RUNNING && k != PLAT_VFIO_STATE_STOP) {
                return true;
            }
        }
    }
    return false;
}

static void send_cmd(struct sw_world *w, enum sw_cmd c)
{
    w->cmd = c;
    plat_eventfd_signal(&w->to_dst);
}

static enum sw_cmd wait_cmd(struct sw_world *w)
{
    plat_eventfd_wait(&w->to_dst);
    plat_eventfd_test_and_clear(&w->to_dst);
    return w->cmd;
}

static void reply(struct sw_world *w, int rc)
{
    w->reply_rc = rc;
    plat_eventfd_signal(&w->to_src);
}

static int wait_reply(struct sw_world *w)
{
    plat_eventfd_wait(&w->to_src);
    plat_eventfd_test_and_clear(&w->to_src);
    return w->reply_rc;
}

static void transfer(const struct sw_world *w, uint64_t bytes)
{
    double bw = (double)w->mp.link_bytes_per_s;

    if (bytes && bw > 0) {
        sim_sleep_ns((uint64_t)((double)bytes / bw * 1e9));
    }
}

static int keep_first(int rc, int r)
{
    return rc ? rc : r;
}

static int check_multi(const struct sw_vm *vm)
{
    const struct vfio_mig_dev *devs[SW_MAX_DEVS];

    for (unsigned i = 0; i < vm->nvfio; i++) {
        devs[i] = &vm->vfio[i].m;
    }
    return vfio_mig_check_multi(devs, vm->nvfio);
}

/* Every actor of this round is done. */
static bool round_done(const struct sw_world *w)
{
    return w->src_finished && w->dst_finished &&
           (w->cancel_pct == 0 || w->canceller_finished);
}

/* Every actor of the migration is done, the race phase's too: the heal
 * phase may begin. */
static bool actors_done(const struct sw_world *w)
{
    return round_done(w) && (w->mp.race_rounds == 0 || w->race_finished);
}

static void race_main(void *arg);

/* An actor finished: the last of the timed round starts the race phase
 * (a thread spawned only now, so the timed round's schedule is the one a
 * run without the phase has); the last of a race round wakes it; the last
 * of all wakes the heal phase. */
static void heal_kick(struct sw_world *w)
{
    if (!round_done(w)) {
        return;
    }
    if (w->mp.race_rounds && w->round == 0 && !w->race_spawned) {
        w->race_spawned = true;
        if (!w->sim || !sim_spawn(w->sim, "race", 4, race_main, w)) {
            w->race_finished = true; /* checked: res.done stays */
        }
        return;
    }
    if (w->round > 0 && !w->race_finished) {
        plat_eventfd_signal(&w->race_go);
        return;
    }
    if (w->mp.heal_begin && actors_done(w)) {
        plat_eventfd_signal(&w->heal_go);
    }
}

bool sw_race_faults(const struct sw_mig_params *p)
{
    for (unsigned i = 0; p->race_rounds && i < PLAT_FAULT_NR; i++) {
        if (p->race_fault[i] > 0) {
            return true;
        }
    }
    return false;
}

/* The heal phase (sw_mig_params). */
static void heal_main(void *arg)
{
    struct sw_world *w = arg;
    uint64_t deadline;
    char msg[200] = "";
    bool ok = true;
    int outcome;

    while (!actors_done(w)) {
        plat_eventfd_wait(&w->heal_go);
        plat_eventfd_test_and_clear(&w->heal_go);
    }
    deadline = w->mp.heal_begin(w->mp.heal_arg, sw_race_faults(&w->mp));
    if (!deadline) {
        return;
    }
    sw_check_migration(w);
    w->checked = true;
    plat_trace_begin("heal");
    for (unsigned i = 0; i < 2; i++) {
        struct sw_vm *vm = &w->vm[i];
        enum plat_vfio_mig_state want =
            w->res.rc == 0 && i == w->si ? PLAT_VFIO_STATE_STOP
                                         : PLAT_VFIO_STATE_RUNNING;

        for (unsigned j = 0; j < vm->nvfio; j++) {
            struct sw_vfio *v = &vm->vfio[j];
            enum plat_vfio_mig_state k = sim_vfio_mig_state(v->dev);

            if (k != want || v->m.state != want) {
                sw_op_begin(v, "a heal", want, PLAT_VFIO_STATE_ERROR,
                            false);
                (void)vfio_mig_set_state_or_reset(&v->m, want);
                sw_op_end(v);
                k = sim_vfio_mig_state(v->dev);
            }
            if (ok && (k != want || v->m.state != want)) {
                ok = false;
                snprintf(msg, sizeof(msg), "%s device %u is %s in the "
                         "kernel and %s to the VMM, its target %s",
                         vm->name, j, vfio_mig_state_name(k),
                         vfio_mig_state_name(v->m.state),
                         vfio_mig_state_name(want));
            }
        }
    }
    plat_trace_end();
    /* The heal thread drives every transition itself, one after another,
     * so the time it takes is the modelled cost of those transitions (a
     * reset or a stop-copy can take longer than run.heal_ms), not a sign
     * that anything waits on a lost event: reaching the targets is the
     * whole test, and there is no "late". */
    (void)deadline;
    outcome = ok ? 0 : 2;
    w->mp.heal_end(w->mp.heal_arg, outcome, msg[0] ? msg : "converged");
}

/* Bring every device of a VM back to RUNNING, one after another. */
static int release_all(struct sw_vm *vm)
{
    int rc = 0;

    for (unsigned i = 0; i < vm->nvfio; i++) {
        rc = keep_first(rc, op_step(&vm->vfio[i], "a release",
                                    vfio_mig_failed, PLAT_VFIO_STATE_RUNNING,
                                    PLAT_VFIO_STATE_ERROR, false));
    }
    return rc;
}

/* The migration's steps as operations of the cost checker, each with the
 * target and recovery the checker expects of it. */
static int save_setup(struct sw_vfio *v)
{
    /* Pre-copy starts from RUNNING only; stopped, or without pre-copy,
     * the step asks nothing. */
    bool starts = (v->m.flags & VFIO_MIG_F_PRE_COPY) &&
                  sim_vfio_mig_state(v->dev) == PLAT_VFIO_STATE_RUNNING;

    return op_step(v, "save setup", vfio_mig_save_setup,
                   PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_RUNNING,
                   !starts);
}

static int load_setup(struct sw_vfio *v)
{
    return op_step(v, "load setup", vfio_mig_load_setup,
                   PLAT_VFIO_STATE_RESUMING, sim_vfio_mig_state(v->dev),
                   false);
}

/* The source's lock serialises the migration thread with the canceller;
 * without one there is nothing to serialise, and the lock is not taken
 * (its scheduling points would move the tape's jitter, and with it the
 * seed's downtime figures). */
static void bql_lock(struct sw_world *w)
{
    if (w->cancel_pct) {
        plat_lock(&w->bql);
    }
}

static void bql_unlock(struct sw_world *w)
{
    if (w->cancel_pct) {
        plat_unlock(&w->bql);
    }
}

/* The migration thread polls for a cancel between its steps. */
static int cancel_point(struct sw_world *w, int rc)
{
    if (rc == 0 && w->cancel_pct && plat_atomic_load(&w->cancel_req)) {
        return -ECANCELED;
    }
    return rc;
}

static void src_main(void *arg)
{
    struct sw_world *w = arg;
    struct sw_vm *src = &w->vm[w->si];
    struct sw_mig_result *res = &w->res;
    uint64_t failures0 = kernel_failures(w);
    bool broken = round_broken(w);
    int rc = 0;

    res->t_begin = plat_now_ns();
    plat_trace_begin("migration");
    bql_lock(w);
    rc = keep_first(check_multi(src), check_multi(&w->vm[1 - w->si]));
    if (rc < 0) {
        res->blocked = true;
        send_cmd(w, SW_CMD_ABORT);
        bql_unlock(w);
        wait_reply(w);
        bql_lock(w);
        goto decided;
    }
    send_cmd(w, SW_CMD_INCOMING);
    for (unsigned i = 0; i < src->nvfio; i++) {
        rc = keep_first(rc, save_setup(&src->vfio[i]));
    }
    bql_unlock(w);
    rc = keep_first(rc, wait_reply(w));
    plat_trace_begin("pre-copy");
    for (unsigned i = 0; rc == 0 && i < w->mp.precopy_iters; i++) {
        sim_sleep_ns(w->mp.precopy_iter_ns);
        rc = cancel_point(w, rc);
    }
    plat_trace_end();
    bql_lock(w);
    rc = cancel_point(w, rc);
    if (rc == 0) {
        res->t_stop_begin = plat_now_ns();
        rc = sw_vm_stop(src, VMSTATE_RS_FINISH_MIGRATE);
        res->t_stop_end = plat_now_ns();
    }
    if (rc == 0) {
        plat_trace_begin("save device state");
        for (unsigned i = 0; rc == 0 && i < src->nvfio; i++) {
            struct sw_vfio *v = &src->vfio[i];
            int r = op_step(v, "save complete", vfio_mig_save_complete_begin,
                            PLAT_VFIO_STATE_STOP_COPY, PLAT_VFIO_STATE_STOP,
                            false);

            if (r == 0) {
                transfer(w, w->mp.device_state_bytes);
                r = op_step(v, "save end", vfio_mig_save_complete_end,
                            PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_ERROR,
                            false);
            }
            rc = cancel_point(w, keep_first(rc, r));
        }
        if (rc == 0) {
            transfer(w, w->mp.final_ram_bytes);
        }
        plat_trace_end();
        res->t_saved = plat_now_ns();
    }
    rc = cancel_point(w, rc);
    if (rc == 0) {
        /* The point of no return: a cancel from now on is too late. */
        w->committed = true;
        send_cmd(w, SW_CMD_SENT);
        bql_unlock(w);
        rc = wait_reply(w);
    } else {
        send_cmd(w, SW_CMD_ABORT);
        bql_unlock(w);
        wait_reply(w);
    }
    bql_lock(w);
decided:
    /* Every failed transition must have reached the result; a result
     * must have a cause: a failed transition or a cancel. */
    if (rc == 0 && kernel_failures(w) != failures0) {
        sw_violation(w, SW_INV_ERRORS_ABORT,
                     "%" PRIu64 " transitions failed, yet the migration "
                     "completed", kernel_failures(w) - failures0);
    }
    if (rc == 0 && w->cancelled) {
        sw_violation(w, SW_INV_ERRORS_ABORT,
                     "a cancel was accepted, yet the migration completed");
    }
    if (rc != 0 && !res->blocked && kernel_failures(w) == failures0 &&
        !broken &&
        !(rc == -ECANCELED && w->cancel_pct &&
          plat_atomic_load(&w->cancel_req))) {
        sw_violation(w, SW_INV_ERRORS_ABORT,
                     "the migration failed (%d) without a failed "
                     "transition or a cancel", rc);
    }
    res->rc = rc;
    if (rc != 0) {
        /* The VM runs on where it was: restart it, then the devices'
         * failure path (serial). */
        plat_trace_begin("migration failed");
        if (!src->running) {
            res->src_rc = sw_vm_start(src);
        }
        res->src_rc = keep_first(res->src_rc, release_all(src));
        plat_trace_end();
    }
    bql_unlock(w);
    plat_trace_end();
    res->t_end = plat_now_ns();
    w->src_finished = true;
    heal_kick(w);
}

/* Management cancels the migration at a tape-chosen moment: the request
 * is seen by the migration thread at its next step; then, under the
 * source's lock, the canceller brings the source's devices back to
 * RUNNING itself, unless the migration is past its point of no return. */
static void canceller_main(void *arg)
{
    struct sw_world *w = arg;

    if (sim_jitter(0, 99) >= w->cancel_pct) {
        w->canceller_finished = true;
        heal_kick(w);
        return;
    }
    sim_sleep_ns(sim_jitter(0, w->mp.cancel_window_ns));
    plat_trace_begin("migrate_cancel");
    plat_atomic_store(&w->cancel_req, 1);
    plat_lock(&w->bql);
    if (w->committed) {
        w->late_cancel = true;
    } else {
        w->cancelled = true;
        (void)release_all(&w->vm[w->si]);
    }
    plat_unlock(&w->bql);
    plat_trace_end();
    w->canceller_finished = true;
    heal_kick(w);
}

static void dst_main(void *arg)
{
    struct sw_world *w = arg;
    struct sw_vm *dst = &w->vm[1 - w->si];
    struct sw_mig_result *res = &w->res;
    enum sw_cmd cmd = wait_cmd(w);

    if (cmd == SW_CMD_INCOMING) {
        int rc = 0;

        for (unsigned i = 0; i < dst->nvfio; i++) {
            rc = keep_first(rc, load_setup(&dst->vfio[i]));
        }
        reply(w, rc);
        cmd = wait_cmd(w);
        if (cmd == SW_CMD_SENT) {
            res->t_start_begin = plat_now_ns();
            rc = sw_vm_start(dst);
            res->t_running = plat_now_ns();
            res->dst_rc = rc;
            if (rc) {
                /* The destination gives up; its devices go back. */
                release_all(dst);
            }
            reply(w, rc);
            w->dst_finished = true;
            heal_kick(w);
            return;
        }
    }
    res->dst_rc = release_all(dst);
    reply(w, 0);
    w->dst_finished = true;
    heal_kick(w);
}

int sw_spawn_migration(struct sw_world *w, struct sim *s,
                       const struct sw_mig_params *p)
{
    w->mp = *p;
    w->sim = s;
    w->round = 0;
    w->si = 0;
    w->cancel_pct = p->cancel_pct;
    memset(&w->res, 0, sizeof(w->res));
    if (!sim_spawn(s, "src-migration", 0, src_main, w) ||
        !sim_spawn(s, "dst-main", 1, dst_main, w)) {
        return -ENOMEM;
    }
    if (p->cancel_pct &&
        !sim_spawn(s, "src-canceller", 2, canceller_main, w)) {
        return -ENOMEM;
    }
    /* With a race phase, its thread runs the heal phase after it. */
    if (p->heal_begin && !p->race_rounds &&
        !sim_spawn(s, "heal", 3, heal_main, w)) {
        return -ENOMEM;
    }
    return 0;
}

/* ---- the race phase ---- */

static void freeze_timed(struct sw_world *w)
{
    w->timed_res = w->res;
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned j = 0; j < w->vm[i].nvfio; j++) {
            const struct sw_vfio *v = &w->vm[i].vfio[j];
            const struct sim_vfio_mig_counts *n =
                sim_vfio_mig_counts(v->dev);

            w->timed_threads += v->m.st.threads;
            w->timed_fallbacks += v->m.st.thread_fallbacks;
            w->timed_resets += v->m.st.resets;
            w->timed_reset_failures += v->m.st.reset_failures;
            w->timed_arcs += n->arcs;
            w->timed_requests += n->requests;
        }
    }
    w->timed_frozen = true;
}

/* The sites the race phase arms: every one a switchover path reaches. */
static const enum plat_fault_site race_sites[] = {
    PLAT_FAULT_VFIO_SET_STATE, PLAT_FAULT_VFIO_RESET,
    PLAT_FAULT_THREAD_CREATE, PLAT_FAULT_ALLOC,
};
#define NRACE_SITES (sizeof(race_sites) / sizeof(race_sites[0]))

static void race_arm(const struct sw_world *w, bool on)
{
    for (unsigned i = 0; i < NRACE_SITES; i++) {
        enum plat_fault_site f = race_sites[i];
        double p = w->mp.run_fault[f];

        if (on && w->mp.race_fault[f] > p) {
            p = w->mp.race_fault[f];
        }
        sim_fault_set_prob(f, p);
    }
}

/* One round: the VM that runs migrates to the other, with the canceller,
 * under the race rates; then its checks. */
static void race_round(struct sw_world *w, unsigned round)
{
    struct sim *s = w->sim;

    w->round = round;
    w->si = w->vm[0].running ? 0 : 1;
    w->cancel_pct = w->mp.race_cancel_pct;
    memset(&w->res, 0, sizeof(w->res));
    w->cmd = SW_CMD_NONE;
    w->reply_rc = 0;
    w->src_finished = false;
    w->dst_finished = false;
    w->canceller_finished = false;
    w->committed = false;
    w->cancelled = false;
    w->late_cancel = false;
    w->checked = false;
    plat_atomic_store(&w->cancel_req, 0);
    plat_trace_begin("race round");
    if (!sim_spawn(s, "src-migration", 0, src_main, w)) {
        w->src_finished = true;
        w->res.rc = -ENOMEM;
    }
    if (!sim_spawn(s, "dst-main", 1, dst_main, w)) {
        /* Out of host memory: the source then waits on a destination
         * that never answers, and the runner reports the run stuck. */
        w->dst_finished = true;
    }
    if (w->cancel_pct &&
        !sim_spawn(s, "src-canceller", 2, canceller_main, w)) {
        w->canceller_finished = true;
    }
    /* Armed once every actor exists: their creation is not the subject. */
    race_arm(w, true);
    while (!round_done(w)) {
        plat_eventfd_wait(&w->race_go);
        plat_eventfd_test_and_clear(&w->race_go);
    }
    /* A round whose actors were done before this thread first looked
     * left its signal: consumed, so none is pending at the end. */
    plat_eventfd_test_and_clear(&w->race_go);
    race_arm(w, false);
    plat_trace_end();
    w->race_cancels += w->cancelled;
    w->race_late_cancels += w->late_cancel;
    w->race_migrated += w->res.rc == 0;
    sw_check_migration(w);
    w->checked = true;
}

static void race_main(void *arg)
{
    struct sw_world *w = arg;

    /* The timed round's checks and figures, as a run without the phase
     * has them. */
    sw_check_migration(w);
    w->checked = true;
    freeze_timed(w);
    for (unsigned r = 1; r <= w->mp.race_rounds; r++) {
        race_round(w, r);
        if (!w->res.done) {
            break; /* a round did not finish: the runner reports it */
        }
    }
    w->race_finished = true;
    if (w->mp.heal_begin) {
        heal_main(w);
    }
}

SIM_TSAN_ENGINE_END
