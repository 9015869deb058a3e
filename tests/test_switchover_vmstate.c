/*
 * tests/test_switchover_vmstate.c - VM change-state handlers: priority
 * order and its stability, both directions, prepare callbacks before main
 * callbacks, the depth -> priority bands, errors, removal, nesting and the
 * observer.
 *
 * Everything runs outside a simulated run: handlers are plain calls on one
 * thread, so the call log is the order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/vmstate.h"
#include "tests/lib.h"

/* ---- a call log ---- */

#define LOG_MAX 128

struct call {
    int id;        /* handler id */
    bool prepare;
    bool running;
    enum vmstate_run_state state;
};

static struct {
    struct call c[LOG_MAX];
    unsigned n;
} calls;

struct h {
    struct vmstate_entry e;
    int id;
    int rc;        /* what the callbacks return */
};

static int log_call(void *opaque, bool prepare, bool running,
                    enum vmstate_run_state s)
{
    struct h *x = opaque;

    if (calls.n < LOG_MAX) {
        calls.c[calls.n].id = x->id;
        calls.c[calls.n].prepare = prepare;
        calls.c[calls.n].running = running;
        calls.c[calls.n].state = s;
        calls.n++;
    }
    return x->rc;
}

static int cb_main(void *opaque, bool running, enum vmstate_run_state s)
{
    return log_call(opaque, false, running, s);
}

static int cb_prepare(void *opaque, bool running, enum vmstate_run_state s)
{
    return log_call(opaque, true, running, s);
}

static void expect_ids(const int *ids, unsigned n, bool prepare)
{
    unsigned j = 0;

    for (unsigned i = 0; i < calls.n; i++) {
        if (calls.c[i].prepare != prepare) {
            continue;
        }
        if (j >= n) {
            fail_msg("more %s calls than the %u expected",
                     prepare ? "prepare" : "main", n);
        }
        if (calls.c[i].id != ids[j]) {
            fail_msg("%s call %u: handler %d, expected %d",
                     prepare ? "prepare" : "main", j, calls.c[i].id, ids[j]);
        }
        j++;
    }
    assert_int_equal(j, n);
}

/* ---- order ---- */

static void vmstate_add_equal_prio_keeps_insertion_order(void **state)
{
    struct vmstate_list l;
    struct h hs[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    /* prio per handler: two ties at 5, one tie at 1 */
    static const int prio[5] = {5, 1, 5, 1, 0};
    static const int up[5] = {4, 1, 3, 0, 2};
    static const int down[5] = {2, 0, 3, 1, 4};

    (void)state;
    vmstate_list_init(&l);
    for (int i = 0; i < 5; i++) {
        vmstate_add(&l, &hs[i].e, "h", cb_main, NULL, &hs[i], prio[i]);
    }
    calls.n = 0;
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), 0);
    expect_ids(up, 5, false);
    calls.n = 0;
    assert_int_equal(vmstate_notify(&l, false, VMSTATE_RS_PAUSED), 0);
    /* Stopping walks the same order backwards: ties reversed too. */
    expect_ids(down, 5, false);
    assert_int_equal(calls.c[0].state, VMSTATE_RS_PAUSED);
    assert_false(calls.c[0].running);
}

static void vmstate_notify_every_prepare_before_any_main_both_ways(
    void **state)
{
    struct vmstate_list l;
    struct h hs[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};

    (void)state;
    vmstate_list_init(&l);
    /* Handler 2 has no prepare callback, handler 3 no main callback. */
    vmstate_add(&l, &hs[0].e, "h0", cb_main, cb_prepare, &hs[0], 0);
    vmstate_add(&l, &hs[1].e, "h1", cb_main, cb_prepare, &hs[1], 3);
    vmstate_add(&l, &hs[2].e, "h2", cb_main, NULL, &hs[2], 6);
    vmstate_add(&l, &hs[3].e, "h3", NULL, cb_prepare, &hs[3], 9);
    for (int running = 0; running <= 1; running++) {
        static const int prep_up[] = {0, 1, 3}, main_up[] = {0, 1, 2};
        static const int prep_down[] = {3, 1, 0}, main_down[] = {2, 1, 0};
        unsigned last_prepare = 0;

        calls.n = 0;
        assert_int_equal(vmstate_notify(&l, running, running
                                        ? VMSTATE_RS_RUNNING
                                        : VMSTATE_RS_FINISH_MIGRATE), 0);
        assert_int_equal(calls.n, 6);
        for (unsigned i = 0; i < calls.n; i++) {
            if (calls.c[i].prepare) {
                last_prepare = i;
            }
        }
        /* The three prepare calls are the first three. */
        assert_int_equal(last_prepare, 2);
        expect_ids(running ? prep_up : prep_down, 3, true);
        expect_ids(running ? main_up : main_down, 3, false);
    }
}

static void vmstate_prio_parents_start_first_and_stop_last(void **state)
{
    static const struct {
        unsigned depth;
        int adjust;
        int prio;
    } rows[] = {
        {0, 0, 1},  {0, -1, 0}, {0, 1, 2},   {1, -1, 3},  {1, 0, 4},
        {1, 1, 5},  {2, -1, 6}, {5, 0, 16},  {1, -7, 3},  {1, 9, 5},
        {VMSTATE_DEPTH_MAX + 5, 0, VMSTATE_DEPTH_MAX * 3 + 1},
    };
    struct vmstate_list l;
    struct h hs[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
    static const int up[] = {3, 0, 1, 2}, down[] = {2, 1, 0, 3};

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (vmstate_prio(rows[i].depth, rows[i].adjust) != rows[i].prio) {
            fail_msg("vmstate_prio(%u, %d) = %d, expected %d", rows[i].depth,
                     rows[i].adjust, vmstate_prio(rows[i].depth,
                                                  rows[i].adjust),
                     rows[i].prio);
        }
    }
    /* Bands never overlap: the highest of a depth is below the lowest of
     * the next one. */
    for (unsigned d = 0; d < 50; d++) {
        ASSERT_LT(vmstate_prio(d, 1), vmstate_prio(d + 1, -1));
    }
    vmstate_list_init(&l);
    /* A child (depth 2) added before its parent (depth 1), and the parent's
     * own parent (depth 0) last: order follows depth, not addition. */
    vmstate_add_dev(&l, &hs[0].e, "child", cb_main, NULL, &hs[0], 2, 0);
    vmstate_add_dev(&l, &hs[1].e, "child+", cb_main, NULL, &hs[1], 2, 1);
    vmstate_add_dev(&l, &hs[2].e, "grandchild-", cb_main, NULL, &hs[2], 3,
                    -1);
    vmstate_add_dev(&l, &hs[3].e, "root", cb_main, NULL, &hs[3], 0, 0);
    assert_int_equal(hs[2].e.depth, 3);
    calls.n = 0;
    vmstate_notify(&l, true, VMSTATE_RS_RUNNING);
    expect_ids(up, 4, false);
    calls.n = 0;
    vmstate_notify(&l, false, VMSTATE_RS_SHUTDOWN);
    expect_ids(down, 4, false);
}

/* ---- errors, removal, nesting ---- */

static void vmstate_notify_error_runs_every_handler_returns_first(
    void **state)
{
    struct vmstate_list l;
    struct h hs[3] = {{.id = 0}, {.id = 1, .rc = -EIO},
                      {.id = 2, .rc = -EINVAL}};

    (void)state;
    vmstate_list_init(&l);
    for (int i = 0; i < 3; i++) {
        vmstate_add(&l, &hs[i].e, "h", cb_main, cb_prepare, &hs[i], i);
    }
    calls.n = 0;
    /* Up: prepare 0 1(EIO) 2(EINVAL), main 0 1 2 - first error EIO. */
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), -EIO);
    assert_int_equal(calls.n, 6);
    calls.n = 0;
    /* Down: prepare 2(EINVAL) first. */
    assert_int_equal(vmstate_notify(&l, false, VMSTATE_RS_PAUSED), -EINVAL);
    assert_int_equal(calls.n, 6);
    /* A prepare error wins over a main error of the same pass. */
    hs[1].rc = 0;
    hs[2].rc = 0;
    hs[0].e.prepare = NULL;
    hs[0].rc = -ENOSPC;
    hs[1].e.prepare = NULL;
    hs[2].rc = -EAGAIN;
    hs[2].e.main = NULL;
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), -EAGAIN);
}

static void vmstate_del_unlinks_head_middle_tail(void **state)
{
    struct vmstate_list l;
    struct h hs[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
    static const int after_mid[] = {0, 2, 3}, after_ends[] = {2};
    static const int readded[] = {2, 1};

    (void)state;
    vmstate_list_init(&l);
    for (int i = 0; i < 4; i++) {
        vmstate_add(&l, &hs[i].e, "h", cb_main, NULL, &hs[i], i);
    }
    /* Adding a linked entry again changes nothing. */
    vmstate_add(&l, &hs[2].e, "h", cb_main, NULL, &hs[2], 99);
    assert_int_equal(l.count, 4);
    vmstate_del(&l, &hs[1].e);
    calls.n = 0;
    vmstate_notify(&l, true, VMSTATE_RS_RUNNING);
    expect_ids(after_mid, 3, false);
    vmstate_del(&l, &hs[0].e);
    vmstate_del(&l, &hs[3].e);
    vmstate_del(&l, &hs[3].e); /* not linked: ignored */
    assert_int_equal(l.count, 1);
    calls.n = 0;
    vmstate_notify(&l, false, VMSTATE_RS_PAUSED);
    expect_ids(after_ends, 1, false);
    /* Re-added entries go after equal priorities, sorted otherwise. */
    vmstate_add(&l, &hs[1].e, "h", cb_main, NULL, &hs[1], 2);
    calls.n = 0;
    vmstate_notify(&l, true, VMSTATE_RS_RUNNING);
    expect_ids(readded, 2, false);
    vmstate_del(&l, &hs[2].e);
    vmstate_del(&l, &hs[1].e);
    assert_null(l.head);
    assert_null(l.tail);
    calls.n = 0;
    assert_int_equal(vmstate_notify(&l, true, VMSTATE_RS_RUNNING), 0);
    assert_int_equal(calls.n, 0);
}

static struct vmstate_list nest_list;
static int nested_rc;

static int cb_nest(void *opaque, bool running, enum vmstate_run_state s)
{
    (void)opaque;
    (void)s;
    nested_rc = vmstate_notify(&nest_list, !running, VMSTATE_RS_PAUSED);
    return 0;
}

static void vmstate_notify_from_inside_a_pass_is_ebusy(void **state)
{
    struct vmstate_entry e;

    (void)state;
    memset(&e, 0, sizeof(e));
    vmstate_list_init(&nest_list);
    vmstate_add(&nest_list, &e, "nest", cb_nest, NULL, NULL, 0);
    nested_rc = 0;
    assert_int_equal(vmstate_notify(&nest_list, true, VMSTATE_RS_RUNNING),
                     0);
    assert_int_equal(nested_rc, -EBUSY);
    assert_int_equal(nest_list.passes, 1);
    /* The pass is over: the next one runs. */
    assert_int_equal(vmstate_notify(&nest_list, true, VMSTATE_RS_RUNNING),
                     0);
    assert_int_equal(nest_list.passes, 2);
}

/* ---- observer ---- */

static struct {
    enum vmstate_event ev[32];
    int id[32];
    unsigned n;
} seen;

static void observer(void *arg, enum vmstate_event ev,
                     const struct vmstate_entry *e, bool running)
{
    (void)arg;
    (void)running;
    if (seen.n < 32) {
        seen.ev[seen.n] = ev;
        seen.id[seen.n] = e ? ((const struct h *)e->opaque)->id : -1;
        seen.n++;
    }
}

static void vmstate_observer_sees_pass_and_each_callback(void **state)
{
    struct vmstate_list l;
    struct h hs[2] = {{.id = 0}, {.id = 1}};
    static const enum vmstate_event want_ev[] = {
        VMSTATE_EV_PASS_BEGIN, VMSTATE_EV_PREPARE, VMSTATE_EV_MAIN,
        VMSTATE_EV_MAIN, VMSTATE_EV_PASS_END,
    };
    static const int want_id[] = {-1, 1, 1, 0, -1};

    (void)state;
    vmstate_list_init(&l);
    vmstate_add(&l, &hs[0].e, "a", cb_main, NULL, &hs[0], 0);
    vmstate_add(&l, &hs[1].e, "b", cb_main, cb_prepare, &hs[1], 1);
    vmstate_set_observer(&l, observer, NULL);
    seen.n = 0;
    vmstate_notify(&l, false, VMSTATE_RS_PAUSED);
    assert_int_equal(seen.n, 5);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(seen.ev[i], want_ev[i]);
        assert_int_equal(seen.id[i], want_id[i]);
    }
    assert_string_equal(vmstate_run_state_name(VMSTATE_RS_FINISH_MIGRATE),
                        "finish-migrate");
    assert_string_equal(vmstate_run_state_name(VMSTATE_RS_NR), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vmstate_add_equal_prio_keeps_insertion_order),
        cmocka_unit_test(
            vmstate_notify_every_prepare_before_any_main_both_ways),
        cmocka_unit_test(vmstate_prio_parents_start_first_and_stop_last),
        cmocka_unit_test(
            vmstate_notify_error_runs_every_handler_returns_first),
        cmocka_unit_test(vmstate_del_unlinks_head_middle_tail),
        cmocka_unit_test(vmstate_notify_from_inside_a_pass_is_ebusy),
        cmocka_unit_test(vmstate_observer_sees_pass_and_each_callback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
