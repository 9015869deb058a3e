/*
 * core/vfio_migration.c - VFIO device migration, VMM side (see
 * vfio_migration.h): the arc table, the step function, set-state with
 * recovery and reset, the serial and parallel change-state handlers, and
 * the save/load steps.
 *
 * Assumes the platform's set-state call steps along the same arcs (the
 * simulated and host kernels use vfio_mig_next_step) and reports where
 * the device ended up when it fails.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/platform.h"
#include "core/testcase.h"
#include "core/vfio_migration.h"

/* ---- the arc table ---- */

struct mig_arc {
    enum plat_vfio_mig_state from, to;
    unsigned needs;   /* flags the device must have */
    unsigned forbids; /* flags the device must not have */
};

/* Every arc of the device-state machine, as the interface defines it. */
static const struct mig_arc mig_arcs[] = {
    {PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_STOP, 0, VFIO_MIG_F_P2P},
    {PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_RUNNING, 0, VFIO_MIG_F_P2P},
    {PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_RUNNING_P2P, VFIO_MIG_F_P2P,
     0},
    {PLAT_VFIO_STATE_RUNNING_P2P, PLAT_VFIO_STATE_RUNNING, VFIO_MIG_F_P2P,
     0},
    {PLAT_VFIO_STATE_RUNNING_P2P, PLAT_VFIO_STATE_STOP, VFIO_MIG_F_P2P, 0},
    {PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_RUNNING_P2P, VFIO_MIG_F_P2P, 0},
    {PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_STOP_COPY, 0, 0},
    {PLAT_VFIO_STATE_STOP_COPY, PLAT_VFIO_STATE_STOP, 0, 0},
    {PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_RESUMING, 0, 0},
    {PLAT_VFIO_STATE_RESUMING, PLAT_VFIO_STATE_STOP, 0, 0},
    {PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_PRE_COPY, VFIO_MIG_F_PRE_COPY,
     0},
    {PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_RUNNING, VFIO_MIG_F_PRE_COPY,
     0},
    {PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_STOP_COPY,
     VFIO_MIG_F_PRE_COPY, VFIO_MIG_F_P2P},
    {PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_PRE_COPY_P2P, VFIO_MIG_F_ALL,
     0},
    {PLAT_VFIO_STATE_PRE_COPY_P2P, PLAT_VFIO_STATE_PRE_COPY, VFIO_MIG_F_ALL,
     0},
    {PLAT_VFIO_STATE_PRE_COPY_P2P, PLAT_VFIO_STATE_STOP_COPY, VFIO_MIG_F_ALL,
     0},
    {PLAT_VFIO_STATE_RUNNING_P2P, PLAT_VFIO_STATE_PRE_COPY_P2P,
     VFIO_MIG_F_ALL, 0},
    {PLAT_VFIO_STATE_PRE_COPY_P2P, PLAT_VFIO_STATE_RUNNING_P2P,
     VFIO_MIG_F_ALL, 0},
};

#define NARCS (sizeof(mig_arcs) / sizeof(mig_arcs[0]))

const char *vfio_mig_state_name(enum plat_vfio_mig_state s)
{
    static const char *const names[VFIO_MIG_NSTATES] = {
        "ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
        "PRE_COPY", "PRE_COPY_P2P",
    };

    return (unsigned)s < VFIO_MIG_NSTATES ? names[s] : "?";
}

bool vfio_mig_state_is_precopy(enum plat_vfio_mig_state s)
{
    return s == PLAT_VFIO_STATE_PRE_COPY || s == PLAT_VFIO_STATE_PRE_COPY_P2P;
}

bool vfio_mig_state_supported(enum plat_vfio_mig_state s, unsigned flags)
{
    switch (s) {
    case PLAT_VFIO_STATE_STOP:
    case PLAT_VFIO_STATE_RUNNING:
    case PLAT_VFIO_STATE_STOP_COPY:
    case PLAT_VFIO_STATE_RESUMING:
        return true;
    case PLAT_VFIO_STATE_RUNNING_P2P:
        return (flags & VFIO_MIG_F_P2P) != 0;
    case PLAT_VFIO_STATE_PRE_COPY:
        return (flags & VFIO_MIG_F_PRE_COPY) != 0;
    case PLAT_VFIO_STATE_PRE_COPY_P2P:
        return (flags & VFIO_MIG_F_ALL) == VFIO_MIG_F_ALL;
    default:
        return false;
    }
}

bool vfio_mig_arc_legal(enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state to, unsigned flags)
{
    for (size_t i = 0; i < NARCS; i++) {
        const struct mig_arc *a = &mig_arcs[i];

        if (a->from == from && a->to == to) {
            return (flags & a->needs) == a->needs &&
                   (flags & a->forbids) == 0;
        }
    }
    return false;
}

/* May the way from `from` to `to` pass through s?  Not through a state
 * that moves device data, and into pre-copy only when already there. */
static bool may_pass(enum plat_vfio_mig_state s, enum plat_vfio_mig_state from,
                     enum plat_vfio_mig_state to)
{
    if (s == from || s == to) {
        return true;
    }
    if (s == PLAT_VFIO_STATE_STOP_COPY || s == PLAT_VFIO_STATE_RESUMING ||
        s == PLAT_VFIO_STATE_ERROR) {
        return false;
    }
    return !vfio_mig_state_is_precopy(s) || vfio_mig_state_is_precopy(from);
}

int vfio_mig_next_step(enum plat_vfio_mig_state from,
                       enum plat_vfio_mig_state to, unsigned flags,
                       enum plat_vfio_mig_state *next)
{
    /* Tie-break order among equally short ways: quiescent states first. */
    static const enum plat_vfio_mig_state pref[] = {
        PLAT_VFIO_STATE_STOP,         PLAT_VFIO_STATE_RUNNING_P2P,
        PLAT_VFIO_STATE_RUNNING,      PLAT_VFIO_STATE_PRE_COPY_P2P,
        PLAT_VFIO_STATE_PRE_COPY,     PLAT_VFIO_STATE_STOP_COPY,
        PLAT_VFIO_STATE_RESUMING,
    };
    int dist[VFIO_MIG_NSTATES];
    unsigned queue[VFIO_MIG_NSTATES];
    unsigned qh = 0, qt = 0;

    if (!vfio_mig_state_supported(from, flags) ||
        !vfio_mig_state_supported(to, flags)) {
        return -EINVAL;
    }
    if (from == to) {
        *next = to;
        return 0;
    }
    /* Distances to `to`, walking arcs backwards. */
    for (unsigned s = 0; s < VFIO_MIG_NSTATES; s++) {
        dist[s] = -1;
    }
    dist[to] = 0;
    queue[qt++] = (unsigned)to;
    while (qh < qt) {
        unsigned v = queue[qh++];

        for (unsigned u = 0; u < VFIO_MIG_NSTATES; u++) {
            enum plat_vfio_mig_state su = (enum plat_vfio_mig_state)u;

            if (dist[u] < 0 && may_pass(su, from, to) &&
                vfio_mig_arc_legal(su, (enum plat_vfio_mig_state)v, flags)) {
                dist[u] = dist[v] + 1;
                queue[qt++] = u;
            }
        }
    }
    if (dist[from] < 0) {
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
        enum plat_vfio_mig_state s = pref[i];

        if (dist[s] == dist[from] - 1 && vfio_mig_arc_legal(from, s, flags)) {
            *next = s;
            return 0;
        }
    }
    return -EINVAL; /* not reached: dist[from] came from such a neighbour */
}

/* ---- set state ---- */

static void emit(struct vfio_mig_dev *m, enum vfio_mig_event ev,
                 bool prepare, bool running,
                 enum plat_vfio_mig_state target, int rc)
{
    struct vfio_mig_event_info info;

    if (!m->observer) {
        return;
    }
    memset(&info, 0, sizeof(info));
    info.ev = ev;
    info.prepare = prepare;
    info.running = running;
    info.target = target;
    info.rc = rc;
    m->observer(m->observer_arg, m, &info);
}

static int reset(struct vfio_mig_dev *m)
{
    int rc = plat_vfio_reset(m->dev);

    m->st.last_reset_failed = rc != 0;
    if (rc == 0) {
        m->state = PLAT_VFIO_STATE_RUNNING;
        m->st.resets++;
    } else {
        KVMSIM_MARK(VFIO_MIG_RESET_FAILED);
        m->st.reset_failures++;
        plat_trace_instant("vfio reset failed", rc);
    }
    return rc;
}

/* One request to the kernel; m->state follows what the kernel reports. */
static int request(struct vfio_mig_dev *m, enum plat_vfio_mig_state target)
{
    enum plat_vfio_mig_state reached = m->state;
    int rc;

    m->st.requests++;
    rc = plat_vfio_set_state(m->dev, target, &reached);
    if (rc == 0) {
        m->state = target;
        m->st.last_reset_failed = false;
        return 0;
    }
    m->st.failures++;
    KVMSIM_MARK(VFIO_MIG_REQUEST_FAILED);
    if ((unsigned)reached < VFIO_MIG_NSTATES) {
        m->state = reached;
    } else {
        m->state = PLAT_VFIO_STATE_ERROR;
    }
    plat_trace_instant("vfio set state failed", rc);
    return rc;
}

int vfio_mig_set_state(struct vfio_mig_dev *m,
                       enum plat_vfio_mig_state target,
                       enum plat_vfio_mig_state recover)
{
    int rc;

    if (!vfio_mig_state_supported(target, m->flags)) {
        return -EINVAL;
    }
    if (m->state == PLAT_VFIO_STATE_ERROR) {
        /* Only a reset leaves ERROR; the error that led here was
         * reported when it happened. */
        KVMSIM_MARK(VFIO_MIG_RESET_FROM_ERROR);
        rc = reset(m);
        if (rc < 0) {
            return rc;
        }
    }
    if (target == m->state) {
        return 0;
    }
    rc = request(m, target);
    if (rc == 0) {
        return 0;
    }
    if (recover != PLAT_VFIO_STATE_ERROR &&
        m->state != PLAT_VFIO_STATE_ERROR &&
        vfio_mig_state_supported(recover, m->flags)) {
        if (m->state == recover || request(m, recover) == 0) {
            m->st.recoveries++;
            KVMSIM_MARK(VFIO_MIG_RECOVERED);
            return rc;
        }
    }
    KVMSIM_MARK(VFIO_MIG_RESET_AFTER_FAILURE);
    reset(m);
    return rc;
}

int vfio_mig_set_state_or_reset(struct vfio_mig_dev *m,
                                enum plat_vfio_mig_state target)
{
    return vfio_mig_set_state(m, target, PLAT_VFIO_STATE_ERROR);
}

/* ---- change-state transitions ---- */

static enum plat_vfio_mig_state transition_target(
    const struct vfio_mig_dev *m, bool prepare, bool running,
    enum vmstate_run_state rs)
{
    bool precopy = vfio_mig_state_is_precopy(m->state);

    if (prepare) {
        return precopy ? PLAT_VFIO_STATE_PRE_COPY_P2P
                       : PLAT_VFIO_STATE_RUNNING_P2P;
    }
    if (running) {
        return PLAT_VFIO_STATE_RUNNING;
    }
    if (precopy &&
        (rs == VMSTATE_RS_FINISH_MIGRATE || rs == VMSTATE_RS_PAUSED)) {
        return PLAT_VFIO_STATE_STOP_COPY;
    }
    return PLAT_VFIO_STATE_STOP;
}

static int transition(struct vfio_mig_dev *m, bool prepare, bool running,
                      enum vmstate_run_state rs)
{
    enum plat_vfio_mig_state target =
        transition_target(m, prepare, running, rs);
    int rc;

    emit(m, VFIO_MIG_EV_BEGIN, prepare, running, target, 0);
    plat_trace_begin(prepare ? "vfio prepare transition"
                             : "vfio transition");
    rc = vfio_mig_set_state_or_reset(m, target);
    plat_trace_end();
    emit(m, VFIO_MIG_EV_END, prepare, running, target, rc);
    return rc;
}

/* Serial variant: the handler moves the device itself. */
static int serial_prepare(void *opaque, bool running,
                          enum vmstate_run_state rs)
{
    return transition(opaque, true, running, rs);
}

static int serial_main(void *opaque, bool running, enum vmstate_run_state rs)
{
    return transition(opaque, false, running, rs);
}

/* Parallel variant. */
static void transition_thread(void *arg)
{
    struct vfio_mig_dev *m = arg;

    m->job_rc = transition(m, m->job_prepare, m->job_running, m->job_state);
}

static int join(struct vfio_mig_dev *m)
{
    if (!m->pending) {
        return 0;
    }
    if (m->thread) {
        plat_thread_join(m->thread);
        m->thread = NULL;
    }
    m->pending = false;
    emit(m, VFIO_MIG_EV_JOIN, m->job_prepare, m->job_running,
         PLAT_VFIO_STATE_ERROR, m->job_rc);
    return m->job_rc;
}

static int launch(struct vfio_mig_dev *m, bool prepare, bool running,
                  enum vmstate_run_state rs)
{
    /* Pairs are balanced within a pass, so nothing is pending here; if it
     * ever were, the device must not be driven by two threads. */
    int old = join(m);
    int rc;

    m->job_prepare = prepare;
    m->job_running = running;
    m->job_state = rs;
    m->job_rc = 0;
    m->pending = true;
    m->st.threads++;
    emit(m, VFIO_MIG_EV_LAUNCH, prepare, running, PLAT_VFIO_STATE_ERROR, 0);
    rc = plat_thread_create(&m->thread,
                            prepare ? "vfio-state-prepare" : "vfio-state",
                            transition_thread, m);
    if (rc < 0) {
        /* No thread: do the transition here, the join collects it. */
        KVMSIM_MARK(VFIO_MIG_THREAD_FALLBACK);
        m->thread = NULL;
        m->st.threads--;
        m->st.thread_fallbacks++;
        plat_trace_instant("vfio transition thread fallback", rc);
        m->job_rc = transition(m, prepare, running, rs);
    }
    return old;
}

/* The low handler runs first when starting (ascending), the high one
 * first when stopping (descending): whichever comes first launches. */
static int pair_step(struct vfio_mig_dev *m, bool low, bool prepare,
                     bool running, enum vmstate_run_state rs)
{
    if (low == running) {
        return launch(m, prepare, running, rs);
    }
    return join(m);
}

static int low_prepare(void *opaque, bool running, enum vmstate_run_state rs)
{
    return pair_step(opaque, true, true, running, rs);
}

static int high_prepare(void *opaque, bool running,
                        enum vmstate_run_state rs)
{
    return pair_step(opaque, false, true, running, rs);
}

static int low_main(void *opaque, bool running, enum vmstate_run_state rs)
{
    return pair_step(opaque, true, false, running, rs);
}

static int high_main(void *opaque, bool running, enum vmstate_run_state rs)
{
    return pair_step(opaque, false, false, running, rs);
}

/* ---- device lifetime ---- */

int vfio_mig_init(struct vfio_mig_dev *m, struct vmstate_list *l,
                  const char *name, struct plat_vfio_dev *dev,
                  unsigned flags, unsigned depth, enum vfio_mig_mode mode)
{
    bool p2p = (flags & VFIO_MIG_F_P2P) != 0;

    if ((flags & ~VFIO_MIG_F_ALL) != 0 ||
        (mode != VFIO_MIG_SERIAL && mode != VFIO_MIG_PARALLEL)) {
        return -EINVAL;
    }
    memset(m, 0, sizeof(*m));
    m->name = name ? name : "vfio";
    m->dev = dev;
    m->flags = flags;
    m->mode = mode;
    m->depth = depth;
    m->state = PLAT_VFIO_STATE_RUNNING;
    m->list = l;
    if (mode == VFIO_MIG_SERIAL) {
        vmstate_add_dev(l, &m->vm_low, m->name, serial_main,
                        p2p ? serial_prepare : NULL, m, depth, 0);
    } else {
        vmstate_add_dev(l, &m->vm_low, m->name, low_main,
                        p2p ? low_prepare : NULL, m, depth, -1);
        vmstate_add_dev(l, &m->vm_high, m->name, high_main,
                        p2p ? high_prepare : NULL, m, depth, 1);
    }
    return 0;
}

void vfio_mig_deinit(struct vfio_mig_dev *m)
{
    join(m);
    if (m->list) {
        vmstate_del(m->list, &m->vm_high);
        vmstate_del(m->list, &m->vm_low);
    }
    m->list = NULL;
}

void vfio_mig_set_observer(struct vfio_mig_dev *m, vfio_mig_observer fn,
                           void *arg)
{
    m->observer = fn;
    m->observer_arg = arg;
}

bool vfio_mig_pending(const struct vfio_mig_dev *m)
{
    return m->pending;
}

/* ---- migration steps ---- */

int vfio_mig_save_setup(struct vfio_mig_dev *m)
{
    if (!(m->flags & VFIO_MIG_F_PRE_COPY)) {
        return 0;
    }
    switch (m->state) {
    case PLAT_VFIO_STATE_RUNNING:
        return vfio_mig_set_state(m, PLAT_VFIO_STATE_PRE_COPY,
                                  PLAT_VFIO_STATE_RUNNING);
    case PLAT_VFIO_STATE_STOP:
        /* Stopped already: the state is read in STOP_COPY later. */
        return 0;
    default:
        return -EINVAL;
    }
}

int vfio_mig_save_complete_begin(struct vfio_mig_dev *m)
{
    return vfio_mig_set_state(m, PLAT_VFIO_STATE_STOP_COPY,
                              PLAT_VFIO_STATE_STOP);
}

int vfio_mig_save_complete_end(struct vfio_mig_dev *m)
{
    return vfio_mig_set_state_or_reset(m, PLAT_VFIO_STATE_STOP);
}

int vfio_mig_load_setup(struct vfio_mig_dev *m)
{
    return vfio_mig_set_state(m, PLAT_VFIO_STATE_RESUMING, m->state);
}

int vfio_mig_failed(struct vfio_mig_dev *m)
{
    /* Not parallelised: a failed migration is not the case to tune. */
    return vfio_mig_set_state_or_reset(m, PLAT_VFIO_STATE_RUNNING);
}

int vfio_mig_check_multi(const struct vfio_mig_dev *const *devs, unsigned n)
{
    if (n < 2) {
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!(devs[i]->flags & VFIO_MIG_F_P2P)) {
            return -EOPNOTSUPP;
        }
    }
    return 0;
}

const char *vfio_mig_mode_name(enum vfio_mig_mode mode)
{
    return mode == VFIO_MIG_SERIAL ? "serial"
           : mode == VFIO_MIG_PARALLEL ? "parallel"
                                       : "?";
}

int vfio_mig_mode_parse(const char *s, enum vfio_mig_mode *out)
{
    if (strcmp(s, "serial") == 0) {
        *out = VFIO_MIG_SERIAL;
    } else if (strcmp(s, "parallel") == 0) {
        *out = VFIO_MIG_PARALLEL;
    } else {
        return -EINVAL;
    }
    return 0;
}
