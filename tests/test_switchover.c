/*
 * tests/test_switchover.c - VFIO migration, VMM side and simulated
 * kernel: the arc table and the step function, set-state with recovery and
 * reset, the migration steps, handler order of both variants in both
 * directions, the checkers, PCT exploration of transition threads against
 * ordinary handlers, the nth-call fault loop over transitions, resets,
 * thread creation and allocation, and the switchover model's figures.
 *
 * Unit tests call the core outside a simulated run (one thread: a
 * transition "thread" runs inside plat_thread_create); the others run the
 * switchover world (scenarios/switchover/switchover_world.h) in a
 * simulation and assert only after sim_run().
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vfio_migration.h"
#include "core/vmstate.h"
#include "model/switchover/switchover_check.h"
#include "scenarios/switchover/switchover_world.h"
#include "scenarios/tool/runner.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "sim/vfio_mig.h"
#include "tests/lib.h"

#define ERR PLAT_VFIO_STATE_ERROR
#define STOP PLAT_VFIO_STATE_STOP
#define RUN PLAT_VFIO_STATE_RUNNING
#define SC PLAT_VFIO_STATE_STOP_COPY
#define RES PLAT_VFIO_STATE_RESUMING
#define RP PLAT_VFIO_STATE_RUNNING_P2P
#define PC PLAT_VFIO_STATE_PRE_COPY
#define PCP PLAT_VFIO_STATE_PRE_COPY_P2P

#define NONE 0u
#define P2P VFIO_MIG_F_P2P
#define PRE VFIO_MIG_F_PRE_COPY
#define ALL VFIO_MIG_F_ALL

static const unsigned flag_sets[4] = {NONE, P2P, PRE, ALL};

/* ---- the arc table ---- */

/* Every legal arc, with the flag sets (bit i: flag_sets[i]) it is legal
 * for.  Every pair not listed must be illegal for every flag set. */
static const struct {
    enum plat_vfio_mig_state from, to;
    unsigned legal_for;
} legal_rows[] = {
    {RUN, STOP, 0x5},  {STOP, RUN, 0x5},  /* without P2P */
    {RUN, RP, 0xa},    {RP, RUN, 0xa},    /* with P2P */
    {RP, STOP, 0xa},   {STOP, RP, 0xa},
    {STOP, SC, 0xf},   {SC, STOP, 0xf},   {STOP, RES, 0xf},
    {RES, STOP, 0xf},
    {RUN, PC, 0xc},    {PC, RUN, 0xc},    /* with pre-copy */
    {PC, SC, 0x4},                        /* pre-copy without P2P */
    {PC, PCP, 0x8},    {PCP, PC, 0x8},    {PCP, SC, 0x8},
    {RP, PCP, 0x8},    {PCP, RP, 0x8},
};

static void vfio_mig_arc_legal_exactly_the_listed_arcs(void **state)
{
    static const unsigned expected_count[4] = {6, 8, 9, 15};

    (void)state;
    for (unsigned f = 0; f < 4; f++) {
        unsigned count = 0;

        for (unsigned a = 0; a < VFIO_MIG_NSTATES; a++) {
            for (unsigned b = 0; b < VFIO_MIG_NSTATES; b++) {
                bool want = false;
                bool got = vfio_mig_arc_legal(a, b, flag_sets[f]);

                for (size_t i = 0; i < sizeof(legal_rows) /
                                           sizeof(legal_rows[0]); i++) {
                    if (legal_rows[i].from == a && legal_rows[i].to == b) {
                        want = (legal_rows[i].legal_for >> f) & 1;
                    }
                }
                if (got != want) {
                    fail_msg("arc %s -> %s with flags %u: %s, expected %s",
                             vfio_mig_state_name(a), vfio_mig_state_name(b),
                             flag_sets[f], got ? "legal" : "illegal",
                             want ? "legal" : "illegal");
                }
                count += got;
            }
        }
        assert_int_equal(count, expected_count[f]);
    }
}

static void vfio_mig_arc_legal_selected_illegal_arcs(void **state)
{
    static const struct {
        enum plat_vfio_mig_state from, to;
        unsigned flags;
    } rows[] = {
        {RUN, STOP, P2P},  /* P2P devices pass through RUNNING_P2P */
        {PC, SC, ALL},     /* ... and PRE_COPY_P2P */
        {SC, RUN, ALL},    {RES, RUN, ALL},  {RUN, SC, ALL},
        {RUN, RES, ALL},   {PCP, STOP, ALL}, {SC, RES, ALL},
        {RUN, ERR, ALL},   {ERR, RUN, ALL},  {ERR, STOP, NONE},
        {RUN, RUN, ALL},   {RUN, RP, NONE},  {RUN, PC, P2P},
        {PC, PCP, PRE},    {RP, PC, ALL},    {8, RUN, ALL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (vfio_mig_arc_legal(rows[i].from, rows[i].to, rows[i].flags)) {
            fail_msg("row %zu: %s -> %s legal with flags %u", i,
                     vfio_mig_state_name(rows[i].from),
                     vfio_mig_state_name(rows[i].to), rows[i].flags);
        }
    }
    assert_string_equal(vfio_mig_state_name(PCP), "PRE_COPY_P2P");
    assert_string_equal(vfio_mig_state_name(9), "?");
}

/* The way vfio_mig_next_step() takes, into path (without from); its
 * length or -1. */
static int walk(enum plat_vfio_mig_state from, enum plat_vfio_mig_state to,
                unsigned flags, enum plat_vfio_mig_state *path)
{
    int n = 0;

    while (from != to) {
        enum plat_vfio_mig_state next;

        if (n == 8 || vfio_mig_next_step(from, to, flags, &next) < 0) {
            return -1;
        }
        path[n++] = next;
        from = next;
    }
    return n;
}

static void vfio_mig_next_step_known_ways(void **state)
{
    static const struct {
        enum plat_vfio_mig_state from, to;
        unsigned flags;
        int n;
        enum plat_vfio_mig_state way[4];
    } rows[] = {
        /* the seed's switchover transitions */
        {PC, SC, ALL, 2, {PCP, SC}},
        {RES, RUN, ALL, 3, {STOP, RP, RUN}},
        {PC, PCP, ALL, 1, {PCP}},
        {RES, RP, ALL, 2, {STOP, RP}},
        /* leaving pre-copy does not go through STOP_COPY */
        {PC, STOP, ALL, 3, {RUN, RP, STOP}},
        {PC, STOP, PRE, 2, {RUN, STOP}},
        {PCP, RUN, ALL, 2, {RP, RUN}},
        /* no pre-copy started on the way */
        {RP, PC, ALL, 2, {RUN, PC}},
        {RUN, RES, ALL, 3, {RP, STOP, RES}},
        {SC, RUN, NONE, 2, {STOP, RUN}},
        {SC, RES, P2P, 2, {STOP, RES}},
        {RUN, SC, NONE, 2, {STOP, SC}},
        {RUN, RUN, ALL, 0, {RUN}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum plat_vfio_mig_state path[8];
        int n = walk(rows[i].from, rows[i].to, rows[i].flags, path);

        if (n != rows[i].n) {
            fail_msg("row %zu: %s -> %s took %d steps, expected %d", i,
                     vfio_mig_state_name(rows[i].from),
                     vfio_mig_state_name(rows[i].to), n, rows[i].n);
        }
        for (int j = 0; j < n; j++) {
            if (path[j] != rows[i].way[j]) {
                fail_msg("row %zu step %d: %s, expected %s", i, j,
                         vfio_mig_state_name(path[j]),
                         vfio_mig_state_name(rows[i].way[j]));
            }
        }
    }
}

static void vfio_mig_next_step_every_pair_legal_and_clean(void **state)
{
    (void)state;
    for (unsigned f = 0; f < 4; f++) {
        unsigned flags = flag_sets[f];

        for (unsigned a = 1; a < VFIO_MIG_NSTATES; a++) {
            for (unsigned b = 1; b < VFIO_MIG_NSTATES; b++) {
                enum plat_vfio_mig_state path[8], at = a;
                bool ok = vfio_mig_state_supported(a, flags) &&
                          vfio_mig_state_supported(b, flags);
                int n = walk(a, b, flags, path);

                if (!ok) {
                    if (a != b) {
                        assert_int_equal(n, -1);
                    }
                    continue;
                }
                /* Every supported pair is reachable within 4 arcs. */
                if (n < 0 || n > 4) {
                    fail_msg("%s -> %s (flags %u): %d steps",
                             vfio_mig_state_name(a), vfio_mig_state_name(b),
                             flags, n);
                }
                for (int j = 0; j < n; j++) {
                    assert_true(vfio_mig_arc_legal(at, path[j], flags));
                    if (j < n - 1) {
                        /* Intermediate states move no data and start no
                         * pre-copy. */
                        assert_true(path[j] != SC && path[j] != RES);
                        assert_true(!vfio_mig_state_is_precopy(path[j]) ||
                                    vfio_mig_state_is_precopy(a));
                    }
                    at = path[j];
                }
            }
        }
    }
}

static void vfio_mig_next_step_error_and_unsupported_are_einval(void **state)
{
    static const struct {
        enum plat_vfio_mig_state from, to;
        unsigned flags;
    } rows[] = {
        {RUN, ERR, ALL}, {ERR, RUN, ALL}, {ERR, ERR, ALL}, {RUN, RP, NONE},
        {RP, RUN, PRE},  {RUN, PC, P2P},  {RUN, PCP, P2P}, {PCP, RUN, PRE},
        {RUN, 8, ALL},   {8, RUN, ALL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum plat_vfio_mig_state next = RUN;

        if (vfio_mig_next_step(rows[i].from, rows[i].to, rows[i].flags,
                               &next) != -EINVAL) {
            fail_msg("row %zu: %u -> %u accepted", i, rows[i].from,
                     rows[i].to);
        }
    }
}

/* ---- set state, recovery, reset (outside a run) ---- */

struct dev_rig {
    struct vmstate_list l;
    struct vfio_mig_dev m;
    struct plat_vfio_dev *dev;
};

static void rig_open(struct dev_rig *r, unsigned flags,
                     enum vfio_mig_mode mode)
{
    vmstate_list_init(&r->l);
    r->dev = sim_vfio_create("t", 0, 0, 0);
    assert_non_null(r->dev);
    assert_int_equal(sim_vfio_mig_set_flags(r->dev, flags), 0);
    assert_int_equal(vfio_mig_init(&r->m, &r->l, "t", r->dev, flags, 1,
                                   mode), 0);
}

static void rig_close(struct dev_rig *r)
{
    vfio_mig_deinit(&r->m);
    assert_null(r->l.head);
    sim_vfio_destroy(r->dev);
}

static void vfio_mig_set_state_same_state_issues_no_ioctl(void **state)
{
    struct dev_rig r;

    (void)state;
    rig_open(&r, ALL, VFIO_MIG_PARALLEL);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, RUN), 0);
    assert_int_equal(r.m.st.requests, 0);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->requests, 0);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), 0);
    assert_int_equal(r.m.state, STOP);
    assert_int_equal(sim_vfio_mig_state(r.dev), STOP);
    /* RUNNING -> RUNNING_P2P -> STOP: one ioctl, two arcs. */
    assert_int_equal(sim_vfio_mig_counts(r.dev)->requests, 1);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->arcs, 2);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), 0);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->requests, 1);
    rig_close(&r);
}

static void vfio_mig_set_state_failure_moves_to_recovery_state(void **state)
{
    static const struct {
        uint64_t nth;                    /* arc that fails */
        enum plat_vfio_mig_state target, recover;
        uint64_t requests;               /* ioctls issued */
    } rows[] = {
        /* first arc fails: still RUNNING, which is the recovery state */
        {1, PC, RUN, 1},
        /* RUNNING -> RUNNING_P2P done, -> STOP fails: back to RUNNING */
        {2, STOP, RUN, 2},
        /* recovery to RUNNING_P2P from RUNNING_P2P: nothing to do */
        {2, STOP, RP, 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dev_rig r;

        rig_open(&r, ALL, VFIO_MIG_SERIAL);
        sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_STATE, rows[i].nth, false);
        assert_int_equal(vfio_mig_set_state(&r.m, rows[i].target,
                                            rows[i].recover), -EIO);
        assert_int_equal(r.m.state, rows[i].recover);
        assert_int_equal(sim_vfio_mig_state(r.dev), rows[i].recover);
        assert_int_equal(r.m.st.recoveries, 1);
        assert_int_equal(r.m.st.resets, 0);
        assert_int_equal(r.m.st.requests, rows[i].requests);
        sim_fault_reset();
        rig_close(&r);
    }
}

static void vfio_mig_set_state_recovery_failure_resets(void **state)
{
    struct dev_rig r;

    (void)state;
    rig_open(&r, ALL, VFIO_MIG_SERIAL);
    /* Arc 2 and every later one fail: the recovery too. */
    sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_STATE, 2, true);
    assert_int_equal(vfio_mig_set_state(&r.m, STOP, PC), -EIO);
    assert_int_equal(r.m.st.recoveries, 0);
    assert_int_equal(r.m.st.resets, 1);
    assert_int_equal(r.m.state, RUN);
    assert_int_equal(sim_vfio_mig_state(r.dev), RUN);
    assert_false(r.m.st.last_reset_failed);
    /* Recovery by reset only. */
    sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_STATE, 1, false);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), -EIO);
    assert_int_equal(r.m.st.resets, 2);
    assert_int_equal(r.m.state, RUN);
    sim_fault_reset();
    rig_close(&r);
}

static void vfio_mig_reset_failure_is_reported_device_left(void **state)
{
    struct dev_rig r;

    (void)state;
    rig_open(&r, ALL, VFIO_MIG_SERIAL);
    /* Fallible calls: arc 1, arc 2 (fails), the reset (fails). */
    sim_fault_fail_nth_any(2, true);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), -EIO);
    /* Where the kernel left it, and the VMM knows. */
    assert_int_equal(sim_vfio_mig_state(r.dev), RP);
    assert_int_equal(r.m.state, RP);
    assert_int_equal(r.m.st.reset_failures, 1);
    assert_true(r.m.st.last_reset_failed);
    sim_fault_reset();
    /* The device still works: a later request clears the mark. */
    assert_int_equal(vfio_mig_failed(&r.m), 0);
    assert_int_equal(r.m.state, RUN);
    assert_false(r.m.st.last_reset_failed);
    rig_close(&r);
}

static void vfio_mig_set_state_from_error_resets_first(void **state)
{
    struct dev_rig r;

    (void)state;
    rig_open(&r, ALL, VFIO_MIG_SERIAL);
    sim_vfio_mig_force_state(r.dev, ERR);
    r.m.state = ERR;
    /* A failing reset: the device stays in ERROR, -EIO. */
    sim_fault_fail_nth(PLAT_FAULT_VFIO_RESET, 1, false);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), -EIO);
    assert_int_equal(r.m.state, ERR);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->requests, 0);
    /* Then a good reset and the request. */
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, STOP), 0);
    assert_int_equal(r.m.st.resets, 1);
    assert_int_equal(sim_vfio_mig_state(r.dev), STOP);
    /* The kernel itself refuses to leave ERROR other than by reset. */
    sim_vfio_mig_force_state(r.dev, ERR);
    assert_int_equal(plat_vfio_set_state(r.dev, RUN, NULL), -EINVAL);
    assert_int_equal(plat_vfio_reset(r.dev), 0);
    assert_int_equal(sim_vfio_mig_state(r.dev), RUN);
    sim_fault_reset();
    rig_close(&r);
}

static void vfio_mig_set_state_unsupported_is_einval_without_ioctl(
    void **state)
{
    struct dev_rig r;
    enum plat_vfio_mig_state reached = STOP;

    (void)state;
    rig_open(&r, P2P, VFIO_MIG_SERIAL);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, ERR), -EINVAL);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, PC), -EINVAL);
    assert_int_equal(vfio_mig_set_state_or_reset(&r.m, 42), -EINVAL);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->requests, 0);
    assert_int_equal(r.m.state, RUN);
    /* Asked directly, the kernel refuses and counts it. */
    assert_int_equal(plat_vfio_set_state(r.dev, ERR, &reached), -EINVAL);
    assert_int_equal(reached, RUN);
    assert_int_equal(sim_vfio_mig_counts(r.dev)->einval, 1);
    rig_close(&r);
}

/* In a run a failed arc leaves the device in ERROR or where it was, as
 * the tape says; either way set_state_or_reset ends RUNNING. */
static struct {
    struct dev_rig r;
    int rc;
    enum plat_vfio_mig_state failed_to;
} in_run;

static void err_hook(void *arg, struct plat_vfio_dev *dev,
                     enum sim_vfio_mig_event ev,
                     enum plat_vfio_mig_state from,
                     enum plat_vfio_mig_state to)
{
    (void)arg;
    (void)dev;
    (void)from;
    if (ev == SIM_VFIO_MIG_ARC_FAILED) {
        in_run.failed_to = to;
    }
}

static void in_run_thread(void *arg)
{
    (void)arg;
    in_run.rc = vfio_mig_set_state_or_reset(&in_run.r.m, STOP);
}

static void vfio_mig_failed_arc_error_or_last_state_both_reset(void **state)
{
    unsigned to_error = 0, to_last = 0;

    (void)state;
    for (uint64_t seed = 1; seed <= 64; seed++) {
        struct sim_options o;
        struct sim_tape *tape = sim_tape_from_seed(seed);
        struct sim *s;

        sim_options_default(&o);
        s = sim_create(&o, tape);
        rig_open(&in_run.r, ALL, VFIO_MIG_SERIAL);
        sim_vfio_mig_set_hook(in_run.r.dev, err_hook, NULL);
        in_run.failed_to = STOP;
        sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_STATE, 2, false);
        sim_spawn(s, "t", 0, in_run_thread, NULL);
        assert_int_equal(sim_run(s), SIM_OK);
        assert_int_equal(in_run.rc, -EIO);
        assert_int_equal(in_run.r.m.state, RUN);
        assert_int_equal(sim_vfio_mig_state(in_run.r.dev), RUN);
        assert_int_equal(in_run.r.m.st.resets, 1);
        if (in_run.failed_to == ERR) {
            to_error++;
        } else {
            assert_int_equal(in_run.failed_to, RP);
            to_last++;
        }
        sim_fault_reset();
        rig_close(&in_run.r);
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
    ASSERT_GT(to_error, 0);
    ASSERT_GT(to_last, 0);
}

/* ---- migration steps ---- */

static void vfio_mig_save_and_load_steps_move_as_documented(void **state)
{
    struct dev_rig r;

    (void)state;
    /* Source. */
    rig_open(&r, ALL, VFIO_MIG_SERIAL);
    assert_int_equal(vfio_mig_save_setup(&r.m), 0);
    assert_int_equal(r.m.state, PC);
    assert_int_equal(vfio_mig_save_setup(&r.m), -EINVAL);
    assert_int_equal(vmstate_notify(&r.l, false, VMSTATE_RS_FINISH_MIGRATE),
                     0);
    assert_int_equal(r.m.state, SC);
    assert_int_equal(vfio_mig_save_complete_begin(&r.m), 0);
    assert_int_equal(vfio_mig_save_complete_end(&r.m), 0);
    assert_int_equal(r.m.state, STOP);
    assert_int_equal(vfio_mig_save_setup(&r.m), 0); /* stopped: no-op */
    assert_int_equal(vfio_mig_failed(&r.m), 0);
    assert_int_equal(r.m.state, RUN);
    rig_close(&r);
    /* Without pre-copy: setup does nothing, the stop goes to STOP, and
     * the state is read in STOP_COPY. */
    rig_open(&r, P2P, VFIO_MIG_SERIAL);
    assert_int_equal(vfio_mig_save_setup(&r.m), 0);
    assert_int_equal(r.m.state, RUN);
    vmstate_notify(&r.l, false, VMSTATE_RS_FINISH_MIGRATE);
    assert_int_equal(r.m.state, STOP);
    assert_int_equal(vfio_mig_save_complete_begin(&r.m), 0);
    assert_int_equal(r.m.state, SC);
    rig_close(&r);
    /* Destination: RESUMING, then start; a failed load setup recovers to
     * where the device was. */
    rig_open(&r, ALL, VFIO_MIG_SERIAL);
    assert_int_equal(vfio_mig_load_setup(&r.m), 0);
    assert_int_equal(r.m.state, RES);
    assert_int_equal(vmstate_notify(&r.l, true, VMSTATE_RS_RUNNING), 0);
    assert_int_equal(r.m.state, RUN);
    sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_STATE, 2, false);
    assert_int_equal(vfio_mig_load_setup(&r.m), -EIO);
    assert_int_equal(r.m.state, RUN);
    assert_int_equal(r.m.st.recoveries, 1);
    sim_fault_reset();
    rig_close(&r);
}

static void vfio_mig_stop_target_depends_on_run_state(void **state)
{
    static const struct {
        bool precopy;
        enum vmstate_run_state rs;
        enum plat_vfio_mig_state want;
    } rows[] = {
        {true, VMSTATE_RS_FINISH_MIGRATE, SC}, {true, VMSTATE_RS_PAUSED, SC},
        {true, VMSTATE_RS_SHUTDOWN, STOP},     {false, VMSTATE_RS_PAUSED, STOP},
        {false, VMSTATE_RS_FINISH_MIGRATE, STOP},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int mode = 0; mode < 2; mode++) {
            struct dev_rig r;

            rig_open(&r, ALL, (enum vfio_mig_mode)mode);
            if (rows[i].precopy) {
                assert_int_equal(vfio_mig_save_setup(&r.m), 0);
            }
            assert_int_equal(vmstate_notify(&r.l, false, rows[i].rs), 0);
            assert_int_equal(r.m.state, rows[i].want);
            assert_int_equal(vmstate_notify(&r.l, true, VMSTATE_RS_RUNNING),
                             0);
            assert_int_equal(r.m.state, RUN);
            rig_close(&r);
        }
    }
}

static void vfio_mig_check_multi_needs_p2p_on_every_device(void **state)
{
    static const struct {
        unsigned n;
        unsigned flags[3];
        int rc;
    } rows[] = {
        {0, {0}, 0},
        {1, {NONE}, 0},
        {2, {P2P, ALL}, 0},
        {2, {P2P, PRE}, -EOPNOTSUPP},
        {3, {ALL, ALL, NONE}, -EOPNOTSUPP},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct vfio_mig_dev d[3];
        const struct vfio_mig_dev *p[3] = {&d[0], &d[1], &d[2]};

        memset(d, 0, sizeof(d));
        for (unsigned j = 0; j < 3; j++) {
            d[j].flags = rows[i].flags[j];
        }
        assert_int_equal(vfio_mig_check_multi(p, rows[i].n), rows[i].rc);
    }
}

static void vfio_mig_init_rejects_bad_flags_and_mode(void **state)
{
    struct vmstate_list l;
    struct vfio_mig_dev m;
    enum vfio_mig_mode mode = VFIO_MIG_SERIAL;

    (void)state;
    vmstate_list_init(&l);
    assert_int_equal(vfio_mig_init(&m, &l, "x", NULL, 4, 0,
                                   VFIO_MIG_SERIAL), -EINVAL);
    assert_int_equal(vfio_mig_init(&m, &l, "x", NULL, 0, 0, 2), -EINVAL);
    assert_int_equal(l.count, 0);
    assert_int_equal(vfio_mig_mode_parse("parallel", &mode), 0);
    assert_int_equal(mode, VFIO_MIG_PARALLEL);
    assert_int_equal(vfio_mig_mode_parse("both", &mode), -EINVAL);
    assert_string_equal(vfio_mig_mode_name(VFIO_MIG_SERIAL), "serial");
    assert_int_equal(VFIO_MIG_MODE_DEFAULT, VFIO_MIG_PARALLEL);
}

/* ---- handler order, both variants, both directions ---- */

static char order_log[512];

static void order_put(const char *s)
{
    size_t n = strlen(order_log);

    snprintf(order_log + n, sizeof(order_log) - n, "%s%s", n ? " " : "", s);
}

static void order_vm(void *arg, enum vmstate_event ev,
                     const struct vmstate_entry *e, bool running)
{
    char buf[32];

    (void)arg;
    (void)running;
    if (ev == VMSTATE_EV_PREPARE || ev == VMSTATE_EV_MAIN) {
        /* Device handlers are named by their priority's side. */
        int band = e->prio - vmstate_prio(e->depth, 0);

        snprintf(buf, sizeof(buf), "%s%s%s", ev == VMSTATE_EV_PREPARE
                 ? "p:" : "m:", e->name,
                 band < 0 ? "-" : band > 0 ? "+" : "");
        order_put(buf);
    }
}

static void order_mig(void *arg, const struct vfio_mig_dev *m,
                      const struct vfio_mig_event_info *info)
{
    static const char *const names[] = {"B", "E", "L", "J"};

    (void)arg;
    (void)m;
    order_put(names[info->ev]);
}

static int nop(void *opaque, bool running, enum vmstate_run_state rs)
{
    (void)opaque;
    (void)running;
    (void)rs;
    return 0;
}

static void vfio_mig_handler_order_both_variants_both_directions(
    void **state)
{
    static const struct {
        enum vfio_mig_mode mode;
        bool running;
        const char *want;
    } rows[] = {
        /* parallel: the first of the pair launches, the second joins,
         * with the depth's ordinary handler in between */
        {VFIO_MIG_PARALLEL, false,
         "p:d2 p:D+ L B E p:o1 p:D- J p:o0 "
         "m:d2 m:D+ L B E m:o1 m:D- J m:o0"},
        {VFIO_MIG_PARALLEL, true,
         "p:o0 p:D- L B E p:o1 p:D+ J p:d2 "
         "m:o0 m:D- L B E m:o1 m:D+ J m:d2"},
        /* serial: the device's own handler does it in place */
        {VFIO_MIG_SERIAL, false,
         "p:d2 p:o1 p:D B E p:o0 m:d2 m:o1 m:D B E m:o0"},
        {VFIO_MIG_SERIAL, true,
         "p:o0 p:D B E p:o1 p:d2 m:o0 m:D B E m:o1 m:d2"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct vmstate_list l;
        struct vmstate_entry o0, o1, d2;
        struct vfio_mig_dev m;
        struct plat_vfio_dev *dev = sim_vfio_create("t", 0, 0, 0);

        memset(&o0, 0, sizeof(o0));
        memset(&o1, 0, sizeof(o1));
        memset(&d2, 0, sizeof(d2));
        vmstate_list_init(&l);
        vmstate_add_dev(&l, &o0, "o0", nop, nop, NULL, 0, 0);
        vmstate_add_dev(&l, &d2, "d2", nop, nop, NULL, 2, 0);
        assert_int_equal(vfio_mig_init(&m, &l, "D", dev, ALL, 1,
                                       rows[i].mode), 0);
        vmstate_add_dev(&l, &o1, "o1", nop, nop, NULL, 1, 0);
        if (rows[i].running) {
            /* Start from a stopped VM. */
            assert_int_equal(vmstate_notify(&l, false, VMSTATE_RS_PAUSED),
                             0);
        }
        vmstate_set_observer(&l, order_vm, NULL);
        vfio_mig_set_observer(&m, order_mig, NULL);
        order_log[0] = '\0';
        assert_int_equal(vmstate_notify(&l, rows[i].running,
                                        rows[i].running
                                            ? VMSTATE_RS_RUNNING
                                            : VMSTATE_RS_PAUSED), 0);
        if (strcmp(order_log, rows[i].want) != 0) {
            fail_msg("row %zu:\n got  %s\n want %s", i, order_log,
                     rows[i].want);
        }
        assert_int_equal(m.state, rows[i].running ? RUN : STOP);
        assert_false(vfio_mig_pending(&m));
        vfio_mig_deinit(&m);
        sim_vfio_destroy(dev);
    }
}

static void vfio_mig_thread_create_failure_runs_transition_inline(
    void **state)
{
    static const enum plat_fault_site sites[] = {
        PLAT_FAULT_THREAD_CREATE, PLAT_FAULT_ALLOC,
    };

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct dev_rig r;
        uint64_t live = sim_alloc_live();

        rig_open(&r, ALL, VFIO_MIG_PARALLEL);
        sim_fault_fail_nth(sites[i], 1, true);
        assert_int_equal(vmstate_notify(&r.l, false, VMSTATE_RS_PAUSED), 0);
        assert_int_equal(r.m.state, STOP);
        assert_int_equal(r.m.st.thread_fallbacks, 2);
        assert_int_equal(r.m.st.threads, 0);
        assert_false(vfio_mig_pending(&r.m));
        sim_fault_reset();
        assert_int_equal(vmstate_notify(&r.l, true, VMSTATE_RS_RUNNING), 0);
        assert_int_equal(r.m.st.threads, 2);
        assert_int_equal(r.m.state, RUN);
        rig_close(&r);
        assert_int_equal(sim_alloc_live(), live);
    }
}

/* ---- the checkers can fail ---- */

static struct sw_event ev_buf[16];
static unsigned ev_n;

static void ev(enum sw_ev_kind kind, bool prepare, unsigned depth, int dev)
{
    ev_buf[ev_n].seq = ev_n + 1;
    ev_buf[ev_n].kind = kind;
    ev_buf[ev_n].prepare = prepare;
    ev_buf[ev_n].depth = depth;
    ev_buf[ev_n].dev = dev;
    ev_n++;
}

static void sw_check_pass_flags_each_ordering_violation(void **state)
{
    struct sw_world *w = calloc(1, sizeof(*w));
    unsigned n;

    (void)state;
    assert_non_null(w);
    /* A good start pass: depth 1 device, handlers at depths 1 and 2. */
    ev_n = 0;
    ev(SW_EV_CALL, true, 1, 0);
    ev(SW_EV_LAUNCH, true, 1, 0);
    ev(SW_EV_BEGIN, true, 1, 0);
    ev(SW_EV_CALL, true, 1, -1);
    ev(SW_EV_END, true, 1, 0);
    ev(SW_EV_CALL, true, 1, 0);
    ev(SW_EV_JOIN, true, 1, 0);
    ev(SW_EV_CALL, true, 2, -1);
    ev(SW_EV_CALL, false, 1, -1);
    ev(SW_EV_CALL, false, 2, -1);
    assert_int_equal(sw_check_pass(w, NULL, true, ev_buf, ev_n), 0);
    /* The same log read as a stop pass: depth 2 is then earlier. */
    ASSERT_GT(sw_check_pass(w, NULL, false, ev_buf, ev_n), 0);
    memset(w->violations, 0, sizeof(w->violations));
    /* Prepare transition ending after the first main callback. */
    ev_buf[4].seq = 20;
    ASSERT_GT(sw_check_pass(w, NULL, true, ev_buf, ev_n), 0);
    ev_buf[4].seq = 5;
    /* Ending after a handler of a later depth (same phase). */
    ev_buf[4].seq = 8;
    ev_buf[7].seq = 7;
    n = sw_check_pass(w, NULL, true, ev_buf, ev_n);
    ASSERT_GT(n, 0);
    assert_non_null(strstr(w->first[SW_INV_ORDERING], "device 0"));
    ev_buf[4].seq = 5;
    ev_buf[7].seq = 8;
    memset(w->violations, 0, sizeof(w->violations));
    /* Beginning before a handler of an earlier depth. */
    ev_buf[2].depth = 2;
    ASSERT_GT(sw_check_pass(w, NULL, true, ev_buf, ev_n), 0);
    ev_buf[2].depth = 1;
    /* A thread launched and never joined. */
    ev_buf[6].kind = SW_EV_CALL;
    ASSERT_GT(sw_check_pass(w, NULL, true, ev_buf, ev_n), 0);
    ASSERT_GE(sw_violations(w), 2);
    free(w);
}

/* ---- the switchover world in a simulation ---- */

struct world_run {
    enum sim_result result;
    uint64_t violations;
    char first[300];
    int rc;
    uint64_t fallbacks, resets, injected, leaked;
    uint64_t hits[PLAT_FAULT_NR];
    uint64_t hash;
    double downtime_ms;
};

static void build_tree(struct sw_vm *vm, unsigned devices,
                       enum vfio_mig_mode mode)
{
    ASSERT_GE(sw_add_ordinary(vm, 0, 20000, 0), 0);
    for (unsigned d = 1; d <= 3; d++) {
        for (unsigned i = 0; i < 2; i++) {
            ASSERT_GE(sw_add_ordinary(vm, d, 50000, 5000), 0);
        }
    }
    for (unsigned i = 0; i < devices; i++) {
        ASSERT_GE(sw_add_vfio(vm, 2 + i % 2, ALL, mode, NULL), 0);
    }
}

static void run_world(enum vfio_mig_mode mode, enum sim_strategy strat,
                      uint64_t seed, unsigned devices, struct world_run *out)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(seed);
    struct sw_world *w = calloc(1, sizeof(*w));
    struct sw_mig_params mp = {
        .precopy_iters = 2,
        .precopy_iter_ns = 1000000,
        .device_state_bytes = 64 << 10,
        .final_ram_bytes = 1 << 20,
        .link_bytes_per_s = 1250000000,
    };
    uint64_t live = sim_alloc_live();
    struct sim *s;

    assert_non_null(tape);
    assert_non_null(w);
    memset(out, 0, sizeof(*out));
    sim_options_default(&o);
    o.strategy = strat;
    o.ncpus = 8;
    o.pct_depth = 3;
    o.pct_steps = 300;
    s = sim_create(&o, tape);
    assert_non_null(s);
    sw_world_init(w);
    build_tree(&w->vm[0], devices, mode);
    build_tree(&w->vm[1], devices, mode);
    assert_int_equal(sw_spawn_migration(w, s, &mp), 0);
    out->result = sim_run(s);
    out->hash = sim_trace_hash(s);
    if (out->result == SIM_OK) {
        sw_check_migration(w);
    }
    out->violations = sw_violations(w);
    for (unsigned i = 0; i < SW_INV_NR; i++) {
        if (w->violations[i] && !out->first[0]) {
            snprintf(out->first, sizeof(out->first), "%s: %s",
                     sw_invariant_name((enum sw_invariant)i), w->first[i]);
        }
    }
    out->rc = w->res.rc;
    out->downtime_ms = (double)(w->res.t_running - w->res.t_stop_begin) / 1e6;
    out->injected = sim_fault_injected();
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        out->hits[i] = sim_fault_hits((enum plat_fault_site)i);
    }
    for (unsigned v = 0; v < 2; v++) {
        for (unsigned i = 0; i < w->vm[v].nvfio; i++) {
            out->fallbacks += w->vm[v].vfio[i].m.st.thread_fallbacks;
            out->resets += w->vm[v].vfio[i].m.st.resets;
        }
    }
    sw_world_fini(w);
    free(w);
    sim_destroy(s);
    sim_tape_destroy(tape);
    out->leaked = sim_alloc_live() - live;
}

static void expect_clean(const struct world_run *r, const char *what,
                         uint64_t seed)
{
    if (r->result != SIM_OK || r->violations || r->leaked) {
        fail_msg("%s seed %llu: %s, %llu violations (%s), %llu leaked",
                 what, (unsigned long long)seed, sim_result_name(r->result),
                 (unsigned long long)r->violations, r->first,
                 (unsigned long long)r->leaked);
    }
}

static void switchover_world_both_variants_migrate_cleanly(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        for (unsigned devices = 1; devices <= 8; devices *= 2) {
            struct world_run r;

            run_world((enum vfio_mig_mode)mode, SIM_STRATEGY_TIME, 1,
                      devices, &r);
            expect_clean(&r, vfio_mig_mode_name(mode), 1);
            assert_int_equal(r.rc, 0);
            assert_int_equal(r.fallbacks, 0);
        }
    }
}

static void switchover_world_pct_and_random_explore_without_violation(
    void **state)
{
    static const enum sim_strategy strats[] = {
        SIM_STRATEGY_PCT, SIM_STRATEGY_RANDOM,
    };
    (void)state;
    for (size_t k = 0; k < 2; k++) {
        uint64_t hashes[120];
        unsigned distinct = 0;

        for (uint64_t seed = 1; seed <= 120; seed++) {
            struct world_run r;
            bool dup = false;

            run_world(VFIO_MIG_PARALLEL, strats[k], seed, 4, &r);
            expect_clean(&r, k ? "random" : "pct", seed);
            assert_int_equal(r.rc, 0);
            for (unsigned i = 0; i < distinct; i++) {
                dup |= hashes[i] == r.hash;
            }
            if (!dup) {
                hashes[distinct++] = r.hash;
            }
        }
        /* The seeds explored different schedules. */
        print_message("%s: %u distinct schedules of 120\n",
                      k ? "random" : "pct", distinct);
        ASSERT_GE(distinct, 60);
    }
}

/* PCT against an ordinary handler inside the device's depth band (where
 * the transition may still run) and one at the next depth (where it must
 * be over). */
static struct {
    struct vmstate_list l;
    struct vfio_mig_dev m;
    struct plat_vfio_dev *dev;
    struct vmstate_entry same, next;
    enum plat_vfio_mig_state seen_same, seen_next;
} race;

static int see_same(void *opaque, bool running, enum vmstate_run_state rs)
{
    (void)opaque;
    (void)rs;
    if (running) {
        /* Some work first: a scheduling point where the transition
         * thread may run. */
        plat_spend_ns(10000);
        race.seen_same = sim_vfio_mig_state(race.dev);
    }
    return 0;
}

static int see_next(void *opaque, bool running, enum vmstate_run_state rs)
{
    (void)opaque;
    (void)rs;
    if (running) {
        race.seen_next = sim_vfio_mig_state(race.dev);
    }
    return 0;
}

static void race_main(void *arg)
{
    (void)arg;
    vmstate_notify(&race.l, false, VMSTATE_RS_PAUSED);
    vmstate_notify(&race.l, true, VMSTATE_RS_RUNNING);
}

static void vfio_mig_pct_transition_overlaps_own_depth_only(void **state)
{
    unsigned same_p2p = 0, same_running = 0, next_bad = 0;

    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct sim_options o;
        struct sim_tape *tape = sim_tape_from_seed(seed);
        struct sim *s;

        sim_options_default(&o);
        o.strategy = SIM_STRATEGY_PCT;
        o.pct_depth = 3;
        o.pct_steps = 60;
        s = sim_create(&o, tape);
        memset(&race, 0, sizeof(race));
        vmstate_list_init(&race.l);
        race.dev = sim_vfio_create("t", 0, 0, 0);
        assert_int_equal(vfio_mig_init(&race.m, &race.l, "D", race.dev, ALL,
                                       1, VFIO_MIG_PARALLEL), 0);
        vmstate_add_dev(&race.l, &race.same, "same", see_same, NULL, NULL,
                        1, 0);
        vmstate_add_dev(&race.l, &race.next, "next", see_next, NULL, NULL,
                        2, 0);
        sim_spawn(s, "main", 0, race_main, NULL);
        assert_int_equal(sim_run(s), SIM_OK);
        same_p2p += race.seen_same == RP;
        same_running += race.seen_same == RUN;
        next_bad += race.seen_next != RUN;
        vfio_mig_deinit(&race.m);
        sim_vfio_destroy(race.dev);
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
    print_message("same depth saw RUNNING_P2P %u, RUNNING %u times\n",
                  same_p2p, same_running);
    /* Both interleavings inside the band were explored ... */
    ASSERT_GT(same_p2p, 0);
    ASSERT_GT(same_running, 0);
    assert_int_equal(same_p2p + same_running, 200);
    /* ... and the next depth never saw an unfinished transition. */
    assert_int_equal(next_bad, 0);
}

/* ---- the nth-call fault loop ---- */

enum expect {
    EXPECT_MIGRATED,  /* the fault is absorbed (thread creation) */
    EXPECT_FAILED,    /* the fault aborts the migration */
};

/* One seed for every n, so runs differ only from the nth call on.  Its
 * tape sends some failed arcs to ERROR, which the reset row needs. */
#define FAULT_LOOP_SEED 1

static void switchover_fault_loop(enum vfio_mig_mode mode,
                                  enum plat_fault_site site,
                                  bool set_state_always_fails,
                                  enum expect expect, unsigned runs[2])
{
    struct fault_loop fl;

    runs[0] = runs[1] = 0;
    FAULT_LOOP(fl, site) {
        struct world_run r;

        fl.max_n = 400;
        sim_fault_reset();
        if (set_state_always_fails) {
            sim_fault_set_prob(PLAT_FAULT_VFIO_SET_STATE, 1.0);
        }
        fault_loop_arm(&fl);
        run_world(mode, SIM_STRATEGY_TIME, FAULT_LOOP_SEED, 4, &r);
        fault_loop_disarm(&fl);
        sim_fault_reset();
        expect_clean(&r, plat_fault_site_name(site), fl.n);
        if (!fl.faulted) {
            continue; /* the nth call never came: the run went through */
        }
        runs[fl.persist]++;
        if (expect == EXPECT_MIGRATED && r.rc != 0) {
            fail_msg("%s n=%llu: migration failed (%d)",
                     plat_fault_site_name(site), (unsigned long long)fl.n,
                     r.rc);
        }
        if (expect == EXPECT_FAILED && r.rc == 0) {
            fail_msg("%s n=%llu: migration completed despite the fault",
                     plat_fault_site_name(site), (unsigned long long)fl.n);
        }
        if (expect == EXPECT_MIGRATED && mode == VFIO_MIG_PARALLEL) {
            ASSERT_GT(r.fallbacks, 0);
        }
    }
}

static void switchover_nth_call_fault_loop_holds_invariants(void **state)
{
    static const struct {
        enum plat_fault_site site;
        bool set_state_always_fails;
        enum expect expect;
        bool parallel_only;
    } rows[] = {
        {PLAT_FAULT_VFIO_SET_STATE, false, EXPECT_FAILED, false},
        {PLAT_FAULT_VFIO_RESET, true, EXPECT_FAILED, false},
        {PLAT_FAULT_THREAD_CREATE, false, EXPECT_MIGRATED, true},
        {PLAT_FAULT_ALLOC, false, EXPECT_MIGRATED, true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int mode = 0; mode < 2; mode++) {
            unsigned runs[2];

            if (rows[i].parallel_only && mode == VFIO_MIG_SERIAL) {
                continue;
            }
            switchover_fault_loop((enum vfio_mig_mode)mode, rows[i].site,
                                  rows[i].set_state_always_fails,
                                  rows[i].expect, runs);
            for (int persist = 0; persist <= 1; persist++) {
                print_message("%-14s %-8s persist %d: %u faulty runs\n",
                              plat_fault_site_name(rows[i].site),
                              vfio_mig_mode_name(mode), persist,
                              runs[persist]);
                /* The loop reached the site at least once. */
                if (runs[persist] == 0) {
                    fail_msg("%s %s persist %d: never hit",
                             plat_fault_site_name(rows[i].site),
                             vfio_mig_mode_name(mode), persist);
                }
            }
        }
    }
}

/* ---- the scenario's figures ---- */

static double scenario_downtime(const char *variant, unsigned devices)
{
    struct scn_request q;
    struct scn_run r;
    char v[64], d[64];
    const char *extra[2] = {v, d};
    double ms;

    memset(&q, 0, sizeof(q));
    q.scenario = "switchover-vfio";
    snprintf(v, sizeof(v), "run.variant=%s", variant);
    snprintf(d, sizeof(d), "workload.devices=%u", devices);
    assert_int_equal(scn_run_with(&q, extra, 2, &r), KVMSIM_EXIT_OK);
    ms = scn_metric_get(&r, "downtime_ms");
    scn_run_release(&r);
    return ms;
}

static void switchover_scenario_parallel_saves_with_device_count(
    void **state)
{
    double s1 = scenario_downtime("serial", 1);
    double s8 = scenario_downtime("serial", 8);
    double p1 = scenario_downtime("parallel", 1);
    double p4 = scenario_downtime("parallel", 4);
    double p8 = scenario_downtime("parallel", 8);

    (void)state;
    print_message("downtime ms: serial 1:%.1f 8:%.1f, parallel 1:%.1f "
                  "4:%.1f 8:%.1f\n", s1, s8, p1, p4, p8);
    assert_true(isfinite(s1) && isfinite(p8));
    /* Serial grows with every device; parallel pays once per depth. */
    ASSERT_GT(s8, 4 * s1);
    ASSERT_LT(p8, 0.4 * s8);
    ASSERT_LT(p8, 1.2 * p4);
    ASSERT_LT(fabs(p1 - s1), 0.1 * s1);
}

static void switchover_vfio_key_defaults_match_the_model(void **state)
{
    const struct scn_driver *d = scn_driver_find("switchover-vfio");
    struct sim_vfio_mig_latency lat;
    static const struct {
        const char *key;
        size_t off;
    } map[] = {
        {"running_p2p_us",
         offsetof(struct sim_vfio_mig_latency, running_p2p_ns)},
        {"p2p_stop_us", offsetof(struct sim_vfio_mig_latency, p2p_stop_ns)},
        {"running_stop_us",
         offsetof(struct sim_vfio_mig_latency, running_stop_ns)},
        {"precopy_us", offsetof(struct sim_vfio_mig_latency, precopy_ns)},
        {"precopy_p2p_us",
         offsetof(struct sim_vfio_mig_latency, precopy_p2p_ns)},
        {"stop_copy_us", offsetof(struct sim_vfio_mig_latency, stop_copy_ns)},
        {"stop_copy_end_us",
         offsetof(struct sim_vfio_mig_latency, stop_copy_end_ns)},
        {"resuming_us", offsetof(struct sim_vfio_mig_latency, resuming_ns)},
        {"resume_load_us",
         offsetof(struct sim_vfio_mig_latency, resume_load_ns)},
        {"reset_us", offsetof(struct sim_vfio_mig_latency, reset_ns)},
        {"ioctl_us", offsetof(struct sim_vfio_mig_latency, ioctl_ns)},
    };
    unsigned matched = 0;

    (void)state;
    assert_non_null(d);
    sim_vfio_mig_latency_default(&lat);
    for (const struct cfg_key *k = d->keys; k->name; k++) {
        if (strcmp(k->section, "vfio") != 0) {
            continue;
        }
        if (strcmp(k->name, "jitter_pct") == 0) {
            assert_int_equal(strtoull(k->def, NULL, 10), lat.jitter_pct);
            matched++;
            continue;
        }
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
            if (strcmp(k->name, map[i].key) == 0) {
                uint64_t ns = *(const uint64_t *)((const char *)&lat +
                                                  map[i].off);

                if (strtoull(k->def, NULL, 10) * 1000 != ns) {
                    fail_msg("[vfio] %s defaults to %s us, the model has %llu "
                             "ns", k->name, k->def, (unsigned long long)ns);
                }
                matched++;
            }
        }
    }
    assert_int_equal(matched, sizeof(map) / sizeof(map[0]) + 1);
}

/* The checker's own arc rule (scenarios/switchover/switchover_world.c)
 * agrees with the kernel's table on every pair and every flag set, and
 * its shortest paths have as many arcs as the kernel's stepping takes. */
static void sw_arc_legal_and_distance_agree_with_kernel_table(void **state)
{
    (void)state;
    for (unsigned flags = 0; flags <= VFIO_MIG_F_ALL; flags++) {
        for (unsigned a = 0; a < VFIO_MIG_NSTATES; a++) {
            for (unsigned b = 0; b < VFIO_MIG_NSTATES; b++) {
                enum plat_vfio_mig_state from = (enum plat_vfio_mig_state)a;
                enum plat_vfio_mig_state to = (enum plat_vfio_mig_state)b;
                enum plat_vfio_mig_state at = from, next;
                int steps = 0;

                if (sw_arc_legal(from, to, flags) !=
                    vfio_mig_arc_legal(from, to, flags)) {
                    fail_msg("flags %u: %s -> %s: checker %d, kernel %d",
                             flags, vfio_mig_state_name(from),
                             vfio_mig_state_name(to),
                             sw_arc_legal(from, to, flags),
                             vfio_mig_arc_legal(from, to, flags));
                }
                if (!vfio_mig_state_supported(from, flags) ||
                    !vfio_mig_state_supported(to, flags)) {
                    continue;
                }
                while (at != to && steps < 16 &&
                       vfio_mig_next_step(at, to, flags, &next) == 0) {
                    at = next;
                    steps++;
                }
                if (at != to) {
                    steps = -1;
                }
                if (sw_arc_distance(from, to, flags) != steps) {
                    fail_msg("flags %u: %s -> %s: checker %d arcs, kernel "
                             "%d", flags, vfio_mig_state_name(from),
                             vfio_mig_state_name(to),
                             sw_arc_distance(from, to, flags), steps);
                }
            }
        }
    }
}

/* Known paths, stated by hand. */
static void sw_arc_distance_known_paths(void **state)
{
    const unsigned all = VFIO_MIG_F_ALL;

    (void)state;
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RESUMING,
                                     PLAT_VFIO_STATE_RUNNING_P2P, all), 2);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RUNNING,
                                     PLAT_VFIO_STATE_STOP_COPY, all), 3);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RUNNING,
                                     PLAT_VFIO_STATE_STOP, 0), 1);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_PRE_COPY,
                                     PLAT_VFIO_STATE_RUNNING, all), 1);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RUNNING,
                                     PLAT_VFIO_STATE_RUNNING, all), 0);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RUNNING,
                                     PLAT_VFIO_STATE_ERROR, all), -1);
    assert_int_equal(sw_arc_distance(PLAT_VFIO_STATE_RUNNING,
                                     PLAT_VFIO_STATE_PRE_COPY_P2P,
                                     VFIO_MIG_F_P2P), -1);
}

/* The cost model of one operation, by hand: where it began, its target
 * and recovery, the failures and resets reported during it. */
static void sw_op_expect_known_operations(void **state)
{
    static const struct {
        int start, target, recover;
        unsigned nfail;
        int fail_from[2], fail_to[2];
        unsigned nreset;
        bool reset_ok;
        uint64_t requests, arcs, resets;
    } rows[] = {
        /* clean: one request, the shortest way's arcs */
        {RUN, SC, STOP, 0, {0}, {0}, 0, false, 1, 3, 0},
        {RUN, RUN, ERR, 0, {0}, {0}, 0, false, 0, 0, 0},
        /* failed at its first arc, left where it was == recover */
        {RUN, PC, RUN, 1, {RUN}, {RUN}, 0, false, 1, 0, 0},
        /* failed midway (RUNNING_P2P -> STOP), recovery back to RUNNING */
        {RUN, RES, RUN, 1, {RP}, {RP}, 0, false, 2, 2, 0},
        /* failed into ERROR: a reset, no recovery request */
        {RUN, SC, STOP, 1, {RP}, {ERR}, 1, true, 1, 1, 1},
        /* recovery by reset only */
        {STOP, RUN, ERR, 1, {STOP}, {STOP}, 1, true, 1, 0, 1},
        /* the recovery request fails too: a reset */
        {STOP, RES, RUN, 2, {STOP, RP}, {STOP, RP}, 1, false, 2, 1, 1},
        /* from ERROR: a reset first; a failed one ends it */
        {ERR, RUN, ERR, 0, {0}, {0}, 1, false, 0, 0, 1},
        {ERR, STOP, ERR, 0, {0}, {0}, 1, true, 1, 2, 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sw_cost_op op;
        struct sw_op_cost c;

        memset(&op, 0, sizeof(op));
        op.start = (enum plat_vfio_mig_state)rows[i].start;
        op.target = (enum plat_vfio_mig_state)rows[i].target;
        op.recover = (enum plat_vfio_mig_state)rows[i].recover;
        op.nfail = rows[i].nfail;
        for (unsigned k = 0; k < rows[i].nfail; k++) {
            op.fail_from[k] = (enum plat_vfio_mig_state)rows[i].fail_from[k];
            op.fail_to[k] = (enum plat_vfio_mig_state)rows[i].fail_to[k];
        }
        op.nreset = rows[i].nreset;
        op.reset_ok[0] = rows[i].reset_ok;
        sw_op_expect(&op, VFIO_MIG_F_ALL, &c);
        if (c.requests != rows[i].requests || c.arcs != rows[i].arcs ||
            c.resets != rows[i].resets) {
            fail_msg("row %zu: %" PRIu64 " requests, %" PRIu64 " arcs, %"
                     PRIu64 " resets, expected %" PRIu64 ", %" PRIu64 ", %"
                     PRIu64, i, c.requests, c.arcs, c.resets,
                     rows[i].requests, rows[i].arcs, rows[i].resets);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sw_op_expect_known_operations),
        cmocka_unit_test(vfio_mig_arc_legal_exactly_the_listed_arcs),
        cmocka_unit_test(sw_arc_legal_and_distance_agree_with_kernel_table),
        cmocka_unit_test(sw_arc_distance_known_paths),
        cmocka_unit_test(vfio_mig_arc_legal_selected_illegal_arcs),
        cmocka_unit_test(vfio_mig_next_step_known_ways),
        cmocka_unit_test(vfio_mig_next_step_every_pair_legal_and_clean),
        cmocka_unit_test(vfio_mig_next_step_error_and_unsupported_are_einval),
        cmocka_unit_test_teardown(
            vfio_mig_set_state_same_state_issues_no_ioctl, reset_faults),
        cmocka_unit_test_teardown(
            vfio_mig_set_state_failure_moves_to_recovery_state,
            reset_faults),
        cmocka_unit_test_teardown(vfio_mig_set_state_recovery_failure_resets,
                                  reset_faults),
        cmocka_unit_test_teardown(
            vfio_mig_reset_failure_is_reported_device_left, reset_faults),
        cmocka_unit_test_teardown(vfio_mig_set_state_from_error_resets_first,
                                  reset_faults),
        cmocka_unit_test_teardown(
            vfio_mig_set_state_unsupported_is_einval_without_ioctl,
            reset_faults),
        cmocka_unit_test_teardown(
            vfio_mig_failed_arc_error_or_last_state_both_reset, reset_faults),
        cmocka_unit_test_teardown(
            vfio_mig_save_and_load_steps_move_as_documented, reset_faults),
        cmocka_unit_test(vfio_mig_stop_target_depends_on_run_state),
        cmocka_unit_test(vfio_mig_check_multi_needs_p2p_on_every_device),
        cmocka_unit_test(vfio_mig_init_rejects_bad_flags_and_mode),
        cmocka_unit_test(
            vfio_mig_handler_order_both_variants_both_directions),
        cmocka_unit_test_teardown(
            vfio_mig_thread_create_failure_runs_transition_inline,
            reset_faults),
        cmocka_unit_test(sw_check_pass_flags_each_ordering_violation),
        cmocka_unit_test(switchover_world_both_variants_migrate_cleanly),
        cmocka_unit_test(
            switchover_world_pct_and_random_explore_without_violation),
        cmocka_unit_test(vfio_mig_pct_transition_overlaps_own_depth_only),
        cmocka_unit_test_teardown(
            switchover_nth_call_fault_loop_holds_invariants, reset_faults),
        cmocka_unit_test(
            switchover_scenario_parallel_saves_with_device_count),
        cmocka_unit_test(switchover_vfio_key_defaults_match_the_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
