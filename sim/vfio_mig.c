/*
 * sim/vfio_mig.c - simulated VFIO migration state changes and resets (see
 * sim/vfio_mig.h): plat_vfio_set_state() and plat_vfio_reset() for the
 * simulator.
 *
 * Default latencies are assumptions (no seed table gives them), of the
 * order reported for SR-IOV NIC and GPU virtual functions whose migration
 * driver talks to device firmware:
 *   - quiescing or releasing peer-to-peer DMA (RUNNING <-> RUNNING_P2P,
 *     PRE_COPY <-> PRE_COPY_P2P): 1 ms, one firmware command;
 *   - suspending or resuming the function (RUNNING_P2P <-> STOP): 2 ms;
 *     without P2P both steps at once (RUNNING <-> STOP): 3 ms;
 *   - starting or ending pre-copy (dirty tracking on/off): 2 ms;
 *   - saving the final device state (-> STOP_COPY): 20 ms, firmware
 *     writing the function's context to host memory; freeing it
 *     (STOP_COPY -> STOP): 0.5 ms;
 *   - entering RESUMING: 1 ms; loading the state into the function
 *     (RESUMING -> STOP): 20 ms, the mirror of saving it;
 *   - a reset: 100 ms, the PCIe function-level-reset wait;
 *   - 20 us fixed per set-state ioctl, and up to 10 % jitter per arc.
 * The switchover scenario takes every one of them as a key.
 */
#include <errno.h>
#include <string.h>

#include "core/vfio_migration.h"
#include "sim/sim.h"
#include "sim/vfio_mig.h"
#include "sim/tsan.h"

/* The device's state is the simulated kernel's (sim/tsan.h). */
SIM_TSAN_ENGINE_BEGIN

#define MS 1000000ull
#define US 1000ull

void sim_vfio_mig_latency_default(struct sim_vfio_mig_latency *lat)
{
    memset(lat, 0, sizeof(*lat));
    lat->running_p2p_ns = 1 * MS;
    lat->p2p_stop_ns = 2 * MS;
    lat->running_stop_ns = 3 * MS;
    lat->precopy_ns = 2 * MS;
    lat->precopy_p2p_ns = 1 * MS;
    lat->stop_copy_ns = 20 * MS;
    lat->stop_copy_end_ns = MS / 2;
    lat->resuming_ns = 1 * MS;
    lat->resume_load_ns = 20 * MS;
    lat->reset_ns = 100 * MS;
    lat->ioctl_ns = 20 * US;
    lat->jitter_pct = 10;
}

static void arc(struct sim_vfio_mig *m, enum plat_vfio_mig_state a,
                enum plat_vfio_mig_state b, uint64_t ns, bool both)
{
    m->arc_ns[a][b] = ns;
    if (both) {
        m->arc_ns[b][a] = ns;
    }
}

static void apply_latency(struct sim_vfio_mig *m,
                          const struct sim_vfio_mig_latency *lat)
{
    memset(m->arc_ns, 0, sizeof(m->arc_ns));
    arc(m, PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_RUNNING_P2P,
        lat->running_p2p_ns, true);
    arc(m, PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_PRE_COPY_P2P,
        lat->precopy_p2p_ns, true);
    arc(m, PLAT_VFIO_STATE_RUNNING_P2P, PLAT_VFIO_STATE_STOP,
        lat->p2p_stop_ns, true);
    arc(m, PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_STOP,
        lat->running_stop_ns, true);
    arc(m, PLAT_VFIO_STATE_RUNNING, PLAT_VFIO_STATE_PRE_COPY,
        lat->precopy_ns, true);
    arc(m, PLAT_VFIO_STATE_RUNNING_P2P, PLAT_VFIO_STATE_PRE_COPY_P2P,
        lat->precopy_ns, true);
    arc(m, PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_STOP_COPY,
        lat->stop_copy_ns, false);
    arc(m, PLAT_VFIO_STATE_PRE_COPY, PLAT_VFIO_STATE_STOP_COPY,
        lat->stop_copy_ns, false);
    arc(m, PLAT_VFIO_STATE_PRE_COPY_P2P, PLAT_VFIO_STATE_STOP_COPY,
        lat->stop_copy_ns, false);
    arc(m, PLAT_VFIO_STATE_STOP_COPY, PLAT_VFIO_STATE_STOP,
        lat->stop_copy_end_ns, false);
    arc(m, PLAT_VFIO_STATE_STOP, PLAT_VFIO_STATE_RESUMING, lat->resuming_ns,
        false);
    arc(m, PLAT_VFIO_STATE_RESUMING, PLAT_VFIO_STATE_STOP,
        lat->resume_load_ns, false);
    m->reset_ns = lat->reset_ns;
    m->ioctl_ns = lat->ioctl_ns;
    m->jitter_pct = lat->jitter_pct;
}

void sim_vfio_mig_init(struct sim_vfio_mig *m)
{
    struct sim_vfio_mig_latency lat;

    memset(m, 0, sizeof(*m));
    m->state = PLAT_VFIO_STATE_RUNNING;
    m->flags = VFIO_MIG_F_ALL;
    sim_vfio_mig_latency_default(&lat);
    apply_latency(m, &lat);
}

int sim_vfio_mig_set_flags(struct plat_vfio_dev *dev, unsigned flags)
{
    if (flags & ~VFIO_MIG_F_ALL) {
        return -EINVAL;
    }
    sim_vfio_mig(dev)->flags = flags;
    return 0;
}

void sim_vfio_mig_set_latency(struct plat_vfio_dev *dev,
                              const struct sim_vfio_mig_latency *lat)
{
    apply_latency(sim_vfio_mig(dev), lat);
}

void sim_vfio_mig_set_hook(struct plat_vfio_dev *dev, sim_vfio_mig_hook fn,
                           void *arg)
{
    struct sim_vfio_mig *m = sim_vfio_mig(dev);

    m->hook = fn;
    m->hook_arg = arg;
}

int sim_vfio_mig_force_state(struct plat_vfio_dev *dev,
                             enum plat_vfio_mig_state s)
{
    if ((unsigned)s >= VFIO_MIG_NSTATES) {
        return -EINVAL;
    }
    sim_vfio_mig(dev)->state = s;
    return 0;
}

enum plat_vfio_mig_state sim_vfio_mig_state(struct plat_vfio_dev *dev)
{
    return sim_vfio_mig(dev)->state;
}

const struct sim_vfio_mig_counts *sim_vfio_mig_counts(
    struct plat_vfio_dev *dev)
{
    return &sim_vfio_mig(dev)->n;
}

static void notify(struct sim_vfio_mig *m, struct plat_vfio_dev *dev,
                   enum sim_vfio_mig_event ev, enum plat_vfio_mig_state from,
                   enum plat_vfio_mig_state to)
{
    if (m->hook) {
        m->hook(m->hook_arg, dev, ev, from, to);
    }
}

/* An arc's time: its latency plus up to jitter_pct percent more. */
static uint64_t arc_time(const struct sim_vfio_mig *m,
                         enum plat_vfio_mig_state from,
                         enum plat_vfio_mig_state to)
{
    uint64_t ns = m->arc_ns[from][to];

    return ns + sim_jitter(0, ns / 100 * m->jitter_pct);
}

static void enter(struct sim_vfio_mig *m)
{
    if (m->inflight++ > 0) {
        m->n.overlaps++;
    }
}

int plat_vfio_set_state(struct plat_vfio_dev *dev,
                        enum plat_vfio_mig_state state,
                        enum plat_vfio_mig_state *reached)
{
    struct sim_vfio_mig *m = sim_vfio_mig(dev);
    int rc = 0;

    enter(m);
    m->n.requests++;
    plat_trace_begin("VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE");
    plat_spend_ns(m->ioctl_ns);
    if (!vfio_mig_state_supported(state, m->flags)) {
        m->n.einval++;
        rc = -EINVAL;
    }
    while (rc == 0 && m->state != state) {
        enum plat_vfio_mig_state from = m->state, next;

        if (vfio_mig_next_step(from, state, m->flags, &next) < 0) {
            m->n.einval++;
            rc = -EINVAL;
            break;
        }
        if (!vfio_mig_arc_legal(from, next, m->flags)) {
            m->n.illegal_arcs++;
        }
        plat_spend_ns(arc_time(m, from, next));
        if (plat_fault(PLAT_FAULT_VFIO_SET_STATE)) {
            m->n.failures++;
            if (sim_jitter(0, 1)) {
                m->state = PLAT_VFIO_STATE_ERROR;
            }
            notify(m, dev, SIM_VFIO_MIG_ARC_FAILED, from, m->state);
            rc = -EIO;
            break;
        }
        m->state = next;
        m->n.arcs++;
        notify(m, dev, SIM_VFIO_MIG_ARC, from, next);
    }
    if (reached) {
        *reached = m->state;
    }
    plat_trace_end();
    m->inflight--;
    return rc;
}

int plat_vfio_reset(struct plat_vfio_dev *dev)
{
    struct sim_vfio_mig *m = sim_vfio_mig(dev);
    enum plat_vfio_mig_state from = m->state;
    int rc = 0;

    enter(m);
    plat_trace_begin("VFIO_DEVICE_RESET");
    plat_spend_ns(m->reset_ns);
    if (plat_fault(PLAT_FAULT_VFIO_RESET)) {
        m->n.reset_failures++;
        notify(m, dev, SIM_VFIO_MIG_RESET_FAILED, from, from);
        rc = -EIO;
    } else {
        m->state = PLAT_VFIO_STATE_RUNNING;
        m->n.resets++;
        notify(m, dev, SIM_VFIO_MIG_RESET, from, PLAT_VFIO_STATE_RUNNING);
    }
    plat_trace_end();
    m->inflight--;
    return rc;
}

SIM_TSAN_ENGINE_END
