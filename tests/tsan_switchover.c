/*
 * tests/tsan_switchover.c - the parallel VFIO transitions on the host
 * backend: real transition threads (pthreads) against ordinary handlers
 * and fake devices (host/vfio_host.h), so ThreadSanitizer (label tsan,
 * tsan build) sees every hand-off between the change-state passes, the
 * transition threads and the devices.
 *
 * Ordinary handlers share a locked counter with the transition threads'
 * observer and check, at their point of the pass, that every device of an
 * earlier-ordered depth has finished its transition of the phase.  All
 * checks are counted and asserted on the main thread after the passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/platform.h"
#include "core/vfio_migration.h"
#include "core/vmstate.h"
#include "host/vfio_host.h"
#include "tests/lib.h"

#define NDEV 8
#define NORD 8
#define CYCLES 80
#define SPIN 2000

struct ordinary {
    struct vmstate_entry e;
    unsigned depth;
};

static struct {
    struct vmstate_list l;
    struct vfio_mig_dev m[NDEV];
    struct plat_vfio_dev *dev[NDEV];
    struct ordinary ord[NORD];
    /* transitions ended per device (observer, transition threads) */
    plat_atomic64 ends[NDEV];
    plat_atomic64 begins;
    /* ends[] before the current pass (main thread only) */
    uint64_t base[NDEV];
    bool running;          /* direction of the current pass */
    plat_atomic64 violations;
    /* shared with the transition threads under lock */
    struct plat_lock lock;
    uint64_t touched;
} t;

static unsigned dev_depth(unsigned i)
{
    return 1 + i % 2;
}

static void observer(void *arg, const struct vfio_mig_dev *m,
                     const struct vfio_mig_event_info *info)
{
    unsigned i = (unsigned)(uintptr_t)arg;

    (void)m;
    if (info->ev == VFIO_MIG_EV_BEGIN) {
        plat_atomic_fetch_add(&t.begins, 1);
    } else if (info->ev == VFIO_MIG_EV_END) {
        plat_lock(&t.lock);
        t.touched++;
        plat_unlock(&t.lock);
        if (info->rc != 0) {
            plat_atomic_fetch_add(&t.violations, 1);
        }
        plat_atomic_fetch_add(&t.ends[i], 1);
    }
}

/* At an ordinary handler of `depth` in phase `prepare`: every device of an
 * earlier-ordered depth is done with this phase; in the main phase every
 * device is done with its prepare transition. */
static void check_done(unsigned depth, bool prepare)
{
    for (unsigned i = 0; i < NDEV; i++) {
        unsigned d = dev_depth(i);
        bool earlier = t.running ? d < depth : d > depth;
        uint64_t done = plat_atomic_load(&t.ends[i]) - t.base[i];

        if ((earlier && done < (prepare ? 1u : 2u)) ||
            (!prepare && done < 1)) {
            plat_atomic_fetch_add(&t.violations, 1);
        }
    }
}

static int ord_prepare(void *opaque, bool running, enum vmstate_run_state rs)
{
    struct ordinary *o = opaque;

    (void)running;
    (void)rs;
    check_done(o->depth, true);
    plat_lock(&t.lock);
    t.touched++;
    plat_unlock(&t.lock);
    return 0;
}

static int ord_main(void *opaque, bool running, enum vmstate_run_state rs)
{
    struct ordinary *o = opaque;

    (void)running;
    (void)rs;
    check_done(o->depth, false);
    plat_lock(&t.lock);
    t.touched++;
    plat_unlock(&t.lock);
    return 0;
}

static int pass(bool running, enum vmstate_run_state rs)
{
    for (unsigned i = 0; i < NDEV; i++) {
        t.base[i] = plat_atomic_load(&t.ends[i]);
    }
    t.running = running;
    return vmstate_notify(&t.l, running, rs);
}

static void setup(enum vfio_mig_mode mode)
{
    vmstate_list_init(&t.l);
    plat_lock_init(&t.lock, PLAT_LOCK_MUTEX, "shared");
    t.touched = 0;
    plat_atomic_store(&t.violations, 0);
    plat_atomic_store(&t.begins, 0);
    for (unsigned i = 0; i < NORD; i++) {
        t.ord[i].depth = i % 4;
        vmstate_add_dev(&t.l, &t.ord[i].e, "ordinary", ord_main,
                        ord_prepare, &t.ord[i], t.ord[i].depth, 0);
    }
    for (unsigned i = 0; i < NDEV; i++) {
        plat_atomic_store(&t.ends[i], 0);
        t.dev[i] = host_vfio_create(VFIO_MIG_F_ALL, SPIN);
        assert_non_null(t.dev[i]);
        assert_int_equal(vfio_mig_init(&t.m[i], &t.l, "vfio", t.dev[i],
                                       VFIO_MIG_F_ALL, dev_depth(i), mode),
                         0);
        vfio_mig_set_observer(&t.m[i], observer, (void *)(uintptr_t)i);
    }
}

static void teardown(void)
{
    for (unsigned i = 0; i < NDEV; i++) {
        assert_int_equal(host_vfio_overlaps(t.dev[i]), 0);
        vfio_mig_deinit(&t.m[i]);
        host_vfio_destroy(t.dev[i]);
    }
    plat_lock_destroy(&t.lock);
}

static void expect_all(enum plat_vfio_mig_state s)
{
    for (unsigned i = 0; i < NDEV; i++) {
        assert_false(vfio_mig_pending(&t.m[i]));
        assert_int_equal(t.m[i].state, s);
        assert_int_equal(host_vfio_state(t.dev[i]), s);
    }
}

static void vfio_mig_parallel_switchover_cycles_race_free(void **state)
{
    uint64_t threads = 0;

    (void)state;
    setup(VFIO_MIG_PARALLEL);
    for (unsigned c = 0; c < CYCLES; c++) {
        /* Source side: pre-copy, stop, read the state, resume. */
        for (unsigned i = 0; i < NDEV; i++) {
            assert_int_equal(vfio_mig_save_setup(&t.m[i]), 0);
        }
        assert_int_equal(pass(false, VMSTATE_RS_FINISH_MIGRATE), 0);
        expect_all(PLAT_VFIO_STATE_STOP_COPY);
        for (unsigned i = 0; i < NDEV; i++) {
            assert_int_equal(vfio_mig_save_complete_end(&t.m[i]), 0);
        }
        /* Destination side on the same devices: resume from RESUMING. */
        for (unsigned i = 0; i < NDEV; i++) {
            assert_int_equal(vfio_mig_load_setup(&t.m[i]), 0);
        }
        assert_int_equal(pass(true, VMSTATE_RS_RUNNING), 0);
        expect_all(PLAT_VFIO_STATE_RUNNING);
        /* A plain pause and continue. */
        assert_int_equal(pass(false, VMSTATE_RS_PAUSED), 0);
        expect_all(PLAT_VFIO_STATE_STOP);
        assert_int_equal(pass(true, VMSTATE_RS_RUNNING), 0);
        expect_all(PLAT_VFIO_STATE_RUNNING);
    }
    for (unsigned i = 0; i < NDEV; i++) {
        threads += t.m[i].st.threads;
        assert_int_equal(t.m[i].st.thread_fallbacks, 0);
    }
    /* 4 passes x 2 phases per cycle, one thread each. */
    assert_int_equal(threads, (uint64_t)CYCLES * 8 * NDEV);
    assert_int_equal(plat_atomic_load(&t.violations), 0);
    assert_int_equal(plat_atomic_load(&t.begins), (uint64_t)CYCLES * 8 *
                                                      NDEV);
    plat_lock(&t.lock);
    ASSERT_GT(t.touched, 0);
    plat_unlock(&t.lock);
    teardown();
}

static void vfio_mig_serial_same_checks_hold(void **state)
{
    (void)state;
    setup(VFIO_MIG_SERIAL);
    for (unsigned c = 0; c < 20; c++) {
        assert_int_equal(pass(false, VMSTATE_RS_PAUSED), 0);
        expect_all(PLAT_VFIO_STATE_STOP);
        assert_int_equal(pass(true, VMSTATE_RS_RUNNING), 0);
        expect_all(PLAT_VFIO_STATE_RUNNING);
    }
    assert_int_equal(plat_atomic_load(&t.violations), 0);
    teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vfio_mig_parallel_switchover_cycles_race_free),
        cmocka_unit_test(vfio_mig_serial_same_checks_hold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
