/*
 * model/switchover/switchover_fuzz.c - the switchover opcode harness of
 * switchover_fuzz.h: device trees, operations and faults decoded from one
 * input, every operation's result checked, then the world's checkers.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vfio_migration.h"
#include "model/switchover/switchover_check.h"
#include "model/switchover/switchover_fuzz.h"
#include "scenarios/switchover/switchover_world.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "sim/vfio_mig.h"

enum sw_op {
    SW_OP_START = 0,     /* vm start pass */
    SW_OP_STOP,          /* vm stop pass, run state arg % 3 */
    SW_OP_SAVE_SETUP,    /* every device: pre-copy */
    SW_OP_SAVE_COMPLETE, /* every device: STOP_COPY, then STOP */
    SW_OP_LOAD_SETUP,    /* every device: RESUMING */
    SW_OP_FAILED,        /* every device: back to RUNNING */
    SW_OP_FAULT_NTH,     /* fail the nth call of a site from now */
    SW_OP_FAULT_CLEAR,   /* no more faults */
    SW_OP_FAULT_PROB,    /* set-state and reset fault chances */
    SW_OP_SET_STATE,     /* one device to any state value (see below) */
    SW_OP_NR
};

#define MAX_OPS 32

struct fz {
    struct sw_world *w;
    uint8_t ops[MAX_OPS][2];
    unsigned nops;
};

static const enum vmstate_run_state stop_states[3] = {
    VMSTATE_RS_PAUSED, VMSTATE_RS_FINISH_MIGRATE, VMSTATE_RS_SHUTDOWN,
};

static const enum plat_fault_site fault_sites[4] = {
    PLAT_FAULT_VFIO_SET_STATE, PLAT_FAULT_VFIO_RESET,
    PLAT_FAULT_THREAD_CREATE, PLAT_FAULT_ALLOC,
};

/* Kernel-side failures (arcs and resets) of one device so far. */
static uint64_t dev_failures(const struct sw_vfio *v)
{
    const struct sim_vfio_mig_counts *n = sim_vfio_mig_counts(v->dev);

    return n->failures + n->reset_failures;
}

static uint64_t all_failures(const struct sw_vm *vm)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < vm->nvfio; i++) {
        n += dev_failures(&vm->vfio[i]);
    }
    return n;
}

/* Where a device must be after an operation that did not fail for it;
 * -1 for "where it was". */
static int op_target(enum sw_op op, uint8_t arg, unsigned i,
                     const struct sw_vfio *v, enum plat_vfio_mig_state before)
{
    bool precopy = vfio_mig_state_is_precopy(before);
    unsigned dev, state;

    switch (op) {
    case SW_OP_SET_STATE:
        /* The checker's own arc rule: a defined state that a path of
         * legal arcs reaches (from RUNNING when the device is in ERROR,
         * which only a reset leaves), ERROR never; anything else is
         * refused and the device stays. */
        sw_fuzz_set_state_arg(arg, &dev, &state);
        if (dev != i || state >= VFIO_MIG_NSTATES ||
            state == PLAT_VFIO_STATE_ERROR ||
            sw_arc_distance(before == PLAT_VFIO_STATE_ERROR
                                ? PLAT_VFIO_STATE_RUNNING
                                : before,
                            (enum plat_vfio_mig_state)state,
                            v->m.flags) < 0) {
            return -1;
        }
        return (int)state;
    case SW_OP_START:
    case SW_OP_FAILED:
        return PLAT_VFIO_STATE_RUNNING;
    case SW_OP_STOP: {
        enum vmstate_run_state rs = stop_states[arg % 3];

        return precopy && rs != VMSTATE_RS_SHUTDOWN ? PLAT_VFIO_STATE_STOP_COPY
                                                     : PLAT_VFIO_STATE_STOP;
    }
    case SW_OP_SAVE_SETUP:
        if (!(v->m.flags & VFIO_MIG_F_PRE_COPY)) {
            return -1;
        }
        return before == PLAT_VFIO_STATE_RUNNING ? PLAT_VFIO_STATE_PRE_COPY
                                                  : -1;
    case SW_OP_SAVE_COMPLETE:
        return PLAT_VFIO_STATE_STOP;
    case SW_OP_LOAD_SETUP:
        return PLAT_VFIO_STATE_RESUMING;
    default:
        return -1;
    }
}

/* One device step of a per-device operation. */
static int dev_op(enum sw_op op, struct sw_vfio *v)
{
    int rc;

    switch (op) {
    case SW_OP_SAVE_SETUP:
        return vfio_mig_save_setup(&v->m);
    case SW_OP_SAVE_COMPLETE:
        rc = vfio_mig_save_complete_begin(&v->m);
        return rc ? rc : vfio_mig_save_complete_end(&v->m);
    case SW_OP_LOAD_SETUP:
        return vfio_mig_load_setup(&v->m);
    case SW_OP_FAILED:
        return vfio_mig_failed(&v->m);
    default:
        return 0;
    }
}

/* Check a device after an operation: the VMM agrees with the kernel,
 * ERROR only after a failed reset, and the target reached when nothing
 * failed for it. */
static void check_dev(struct sw_world *w, unsigned i, enum sw_op op,
                      uint8_t arg, enum plat_vfio_mig_state before,
                      uint64_t failures_before, int rc)
{
    struct sw_vfio *v = &w->vm[0].vfio[i];
    enum plat_vfio_mig_state k = sim_vfio_mig_state(v->dev);
    int target = op_target(op, arg, i, v, before);
    bool failed = dev_failures(v) != failures_before;

    if (k != v->m.state) {
        sw_violation(w, SW_INV_FINAL_STATES, "op %d: device %u is %s, the "
                     "VMM thinks %s", op, i, vfio_mig_state_name(k),
                     vfio_mig_state_name(v->m.state));
    }
    if (k == PLAT_VFIO_STATE_ERROR && !v->m.st.last_reset_failed) {
        sw_violation(w, SW_INV_FINAL_STATES, "op %d: device %u left in "
                     "ERROR without a failed reset", op, i);
    }
    if (vfio_mig_pending(&v->m)) {
        sw_violation(w, SW_INV_ORDERING, "op %d: device %u has a pending "
                     "transition after the operation", op, i);
    }
    if (!failed) {
        enum plat_vfio_mig_state want = target < 0 ? before
                                       : (enum plat_vfio_mig_state)target;

        if (op == SW_OP_SAVE_SETUP && rc == -EINVAL) {
            want = before;
        }
        if (k != want) {
            sw_violation(w, SW_INV_FINAL_STATES, "op %d: device %u went %s "
                         "-> %s, expected %s", op, i,
                         vfio_mig_state_name(before), vfio_mig_state_name(k),
                         vfio_mig_state_name(want));
        }
    }
}

static void run_op(struct sw_world *w, enum sw_op op, uint8_t arg)
{
    struct sw_vm *vm = &w->vm[0];
    enum plat_vfio_mig_state before[SW_MAX_DEVS];
    uint64_t fail_before[SW_MAX_DEVS];
    uint64_t total_before = all_failures(vm);
    int rc = 0;
    int rcs[SW_MAX_DEVS];
    bool expect_einval = false;

    for (unsigned i = 0; i < vm->nvfio; i++) {
        before[i] = vm->vfio[i].m.state;
        fail_before[i] = dev_failures(&vm->vfio[i]);
        rcs[i] = 0;
    }
    switch (op) {
    case SW_OP_START:
        rc = sw_vm_start(vm);
        break;
    case SW_OP_STOP:
        rc = sw_vm_stop(vm, stop_states[arg % 3]);
        break;
    case SW_OP_SAVE_SETUP:
    case SW_OP_SAVE_COMPLETE:
    case SW_OP_LOAD_SETUP:
    case SW_OP_FAILED:
        for (unsigned i = 0; i < vm->nvfio; i++) {
            struct sw_vfio *v = &vm->vfio[i];

            rcs[i] = dev_op(op, v);
            if (op == SW_OP_SAVE_SETUP &&
                (v->m.flags & VFIO_MIG_F_PRE_COPY) &&
                before[i] != PLAT_VFIO_STATE_RUNNING &&
                before[i] != PLAT_VFIO_STATE_STOP) {
                expect_einval = true;
                if (rcs[i] != -EINVAL) {
                    sw_violation(w, SW_INV_ERRORS_ABORT, "save setup of "
                                 "device %u in %s returned %d", i,
                                 vfio_mig_state_name(before[i]), rcs[i]);
                }
            }
            rc = rc ? rc : rcs[i];
        }
        break;
    case SW_OP_SET_STATE: {
        unsigned dev, state;

        sw_fuzz_set_state_arg(arg, &dev, &state);
        if (dev >= vm->nvfio) {
            return; /* no such device: nothing to ask */
        }
        rcs[dev] = vfio_mig_set_state_or_reset(
            &vm->vfio[dev].m, (enum plat_vfio_mig_state)state);
        rc = rcs[dev];
        if (op_target(op, arg, dev, &vm->vfio[dev], before[dev]) < 0) {
            expect_einval = true;
            if (rc != -EINVAL) {
                sw_violation(w, SW_INV_ERRORS_ABORT, "set state of device "
                             "%u %s -> %u (flags %u) returned %d, not "
                             "-EINVAL", dev, vfio_mig_state_name(before[dev]),
                             state, vm->vfio[dev].m.flags, rc);
            }
        }
        break;
    }
    case SW_OP_FAULT_NTH:
        sim_fault_fail_nth(fault_sites[arg % 4], 1 + ((arg >> 2) & 7),
                           (arg >> 5) & 1);
        return;
    case SW_OP_FAULT_CLEAR:
        sim_fault_reset();
        return;
    case SW_OP_FAULT_PROB:
        sim_fault_set_prob(PLAT_FAULT_VFIO_SET_STATE, (arg & 15) / 40.0);
        sim_fault_set_prob(PLAT_FAULT_VFIO_RESET, (arg >> 4) / 40.0);
        return;
    default:
        return;
    }
    /* Every failure reaches the result; no result without a cause. */
    if (all_failures(vm) != total_before && rc == 0) {
        sw_violation(w, SW_INV_ERRORS_ABORT, "op %d: %llu kernel failures "
                     "but success", op,
                     (unsigned long long)(all_failures(vm) - total_before));
    }
    if (rc != 0 && all_failures(vm) == total_before &&
        !(rc == -EINVAL && expect_einval)) {
        sw_violation(w, SW_INV_ERRORS_ABORT, "op %d failed (%d) without a "
                     "kernel failure", op, rc);
    }
    for (unsigned i = 0; i < vm->nvfio; i++) {
        check_dev(w, i, op, arg, before[i], fail_before[i],
                  op == SW_OP_START || op == SW_OP_STOP ? rc : rcs[i]);
    }
}

static void driver(void *arg)
{
    struct fz *f = arg;

    for (unsigned i = 0; i < f->nops; i++) {
        run_op(f->w, (enum sw_op)(f->ops[i][0] % SW_OP_NR), f->ops[i][1]);
    }
    sim_fault_reset();
}

int switchover_fuzz_run(const uint8_t *data, size_t size)
{
    static const enum sim_strategy strategies[4] = {
        SIM_STRATEGY_TIME, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
        SIM_STRATEGY_PORTFOLIO,
    };
    struct fz f;
    struct sim_options o;
    struct sim_tape *tape;
    struct sim *s;
    enum sim_result res;
    size_t at = 2;
    unsigned ndev, nord;
    enum vfio_mig_mode mode;
    uint64_t live = sim_alloc_live();
    uint64_t bad;
    bool migrate;
    int rc = 0;
    static const struct sw_mig_params mp = {
        .precopy_iters = 2,
        .precopy_iter_ns = 100000,
        .device_state_bytes = 4096,
        .final_ram_bytes = 65536,
        .link_bytes_per_s = 1250000000,
    };

    if (size < 3 || size > 1 << 16) {
        return 0;
    }
    sim_fault_reset();
    memset(&f, 0, sizeof(f));
    ndev = 1 + data[0] % 8;
    mode = (data[1] & 1) ? VFIO_MIG_PARALLEL : VFIO_MIG_SERIAL;
    nord = (data[1] >> 3) & 7;
    migrate = (data[1] >> 6) & 1;
    if (size < at + ndev + nord + 1) {
        return 0;
    }
    f.w = calloc(1, sizeof(*f.w));
    if (!f.w) {
        return 0;
    }
    sw_world_init(f.w);
    for (unsigned i = 0; i < ndev; i++, at++) {
        unsigned flags = ((data[at] >> 3) & 1 ? VFIO_MIG_F_P2P : 0) |
                         ((data[at] >> 4) & 1 ? VFIO_MIG_F_PRE_COPY : 0);

        for (unsigned v = 0; v < (migrate ? 2u : 1u); v++) {
            sw_add_vfio(&f.w->vm[v], data[at] % 5, flags, mode, NULL);
        }
    }
    for (unsigned i = 0; i < nord; i++, at++) {
        for (unsigned v = 0; v < (migrate ? 2u : 1u); v++) {
            sw_add_ordinary(&f.w->vm[v], data[at] % 5,
                            1000 * (data[at] >> 4), 100 * (data[at] >> 4));
        }
    }
    f.nops = data[at++] % MAX_OPS;
    for (unsigned i = 0; i < f.nops; i++) {
        if (at + 2 > size) {
            f.nops = i;
            break;
        }
        f.ops[i][0] = data[at];
        f.ops[i][1] = data[at + 1];
        at += 2;
    }
    sim_options_default(&o);
    o.ncpus = 4;
    o.strategy = strategies[(data[1] >> 1) & 3];
    o.pct_steps = 2000;
    o.step_limit = 2000000;
    tape = sim_tape_from_bytes(data + at, size - at);
    s = tape ? sim_create(&o, tape) : NULL;
    if (migrate && s) {
        for (unsigned i = 0; i < f.nops; i++) {
            enum sw_op op = (enum sw_op)(f.ops[i][0] % SW_OP_NR);

            if (op >= SW_OP_FAULT_NTH && op <= SW_OP_FAULT_PROB) {
                run_op(f.w, op, f.ops[i][1]);
            }
        }
    }
    if (!s || (migrate ? sw_spawn_migration(f.w, s, &mp) < 0
                       : !sim_spawn(s, "driver", 0, driver, &f))) {
        sim_fault_reset();
        sim_destroy(s);
        sim_tape_destroy(tape);
        f.w->src_finished = true;
        f.w->dst_finished = true;
        sw_world_fini(f.w);
        free(f.w);
        return 0;
    }
    if (!migrate) {
        /* The world's migration threads never run: nothing will wait on
         * its eventfds. */
        f.w->src_finished = true;
        f.w->dst_finished = true;
    }
    res = sim_run(s);
    sim_fault_reset();
    if (res == SIM_OK) {
        if (migrate) {
            sw_check_migration(f.w);
        } else {
            sw_check_kernel(f.w);
        }
    }
    bad = sw_violations(f.w);
    if (res != SIM_OK || bad) {
        fprintf(stderr, "switchover fuzz: %s, %llu violations\n",
                sim_result_name(res), (unsigned long long)bad);
        for (unsigned i = 0; i < SW_INV_NR; i++) {
            if (f.w->violations[i]) {
                fprintf(stderr, "  %s: %s\n",
                        sw_invariant_name((enum sw_invariant)i),
                        f.w->first[i]);
            }
        }
        if (res != SIM_OK) {
            sim_report(s, stderr);
        }
        rc = -1;
    }
    sw_world_fini(f.w);
    free(f.w);
    sim_destroy(s);
    sim_tape_destroy(tape);
    if (rc == 0 && sim_alloc_live() != live) {
        fprintf(stderr, "switchover fuzz: %llu allocations leaked\n",
                (unsigned long long)(sim_alloc_live() - live));
        rc = -1;
    }
    return rc;
}
