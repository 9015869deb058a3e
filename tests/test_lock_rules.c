/*
 * tests/test_lock_rules.c - lock rules checked as lockdep checks them
 * (plat_lock_assert_held() in core/platform.h, served by sim/): a core
 * function called without the lock its rule names is an engine panic
 * outside a run, is recorded and lets the run go on inside one, panics at
 * sim_destroy() when nobody read it, and reaches the scenario runner as
 * the invariant failure "lock_rule: ..." with its replay command.
 *
 * iobus_register_locked() and iobus_unregister_locked() stand for every
 * _locked function: they name set->lock ("iobus.slots").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/iobus.h"
#include "core/platform.h"
#include "scenarios/tool/runner.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "tests/lib.h"

static const struct iobus_dev_ops no_ops = {0};
static struct iobus_set set;
static struct iobus_dev dev;
static bool take_lock;

/* ---- death tests: the panic hook jumps back instead of aborting ---- */

static void fixture_open(void)
{
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    iobus_dev_init(&dev, &no_ops, 7, 0);
}

static void iobus_register_locked_outside_run_without_lock_panics(
    void **state)
{
    (void)state;
    fixture_open();
    EXPECT_PANIC(iobus_register_locked(&set, IOBUS_MMIO, 0x1000, 8, &dev),
                 "lock rule: iobus_register_locked() expects lock "
                 "'iobus.slots' held");
    /* The check fired before anything changed. */
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), 0);
    iobus_set_destroy(&set);
}

static void iobus_register_locked_outside_run_with_lock_passes(void **state)
{
    (void)state;
    fixture_open();
    plat_lock(&set.lock);
    assert_int_equal(iobus_register_locked(&set, IOBUS_MMIO, 0x1000, 8,
                                           &dev), 0);
    assert_int_equal(iobus_unregister_locked(&set, IOBUS_MMIO, &dev), 0);
    plat_unlock(&set.lock);
    iobus_set_destroy(&set);
}

/* ---- inside a run ---- */

static void updater(void *arg)
{
    (void)arg;
    if (take_lock) {
        plat_lock(&set.lock);
    }
    plat_trace_begin("register");
    iobus_register_locked(&set, IOBUS_MMIO, 0x1000, 8, &dev);
    plat_trace_end();
    iobus_unregister_locked(&set, IOBUS_MMIO, &dev);
    if (take_lock) {
        plat_unlock(&set.lock);
    }
}

static struct sim *run_updater(struct sim_tape **tape, bool locked)
{
    struct sim_options o;
    struct sim *s;

    sim_options_default(&o);
    o.ncpus = 2;
    *tape = sim_tape_from_seed(1);
    assert_non_null(*tape);
    fixture_open();
    take_lock = locked;
    s = sim_create(&o, *tape);
    assert_non_null(s);
    assert_non_null(sim_spawn(s, "updater", 0, updater, NULL));
    assert_int_equal(sim_run(s), SIM_OK);
    iobus_set_destroy(&set);
    return s;
}

static void iobus_register_locked_in_run_without_lock_is_recorded(
    void **state)
{
    struct sim_tape *tape;
    struct sim *s = run_updater(&tape, false);
    const char *first;

    (void)state;
    /* register (and the register_many it calls) and unregister each
     * broke the rule; the run went on to the end. */
    assert_int_equal(sim_lock_violations(s), 3);
    first = sim_lock_violation_first(s);
    if (!strstr(first, "iobus_register_locked() expects lock 'iobus.slots' "
                       "held; thread 'updater' in register at ") ||
        !strstr(first, " ns, the lock held by nobody")) {
        fail_msg("first violation: '%s'", first);
    }
    sim_destroy(s);
    sim_tape_destroy(tape);
}

static void iobus_register_locked_in_run_with_lock_records_nothing(
    void **state)
{
    struct sim_tape *tape;
    struct sim *s = run_updater(&tape, true);

    (void)state;
    assert_int_equal(sim_lock_violations(s), 0);
    assert_string_equal(sim_lock_violation_first(s), "");
    sim_destroy(s);
    sim_tape_destroy(tape);
}

static void sim_destroy_with_unread_lock_violation_panics(void **state)
{
    struct sim_tape *tape;
    struct sim *volatile s = run_updater(&tape, false);

    (void)state;
    EXPECT_PANIC(sim_destroy(s), "3 broken in the run and never read");
    /* Read now, so it can be freed. */
    assert_int_equal(sim_lock_violations(s), 3);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

/* ---- through the scenario runner ---- */

static int run_unlocked_updater(struct scn_run *r)
{
    fixture_open();
    take_lock = false;
    if (scn_sim_create(r) < 0) {
        return -ENOMEM;
    }
    if (!sim_spawn(r->sim, "updater", 0, updater, NULL)) {
        return -ENOMEM;
    }
    scn_simulate(r);
    iobus_set_destroy(&set);
    return 0;
}

static void scn_execute_lock_rule_broken_is_invariant_failure(void **state)
{
    struct scn_request q;
    struct scn_run r;
    struct scn_driver drv;
    char tape_path[] = "/tmp/kvmsim-lock-rule-XXXXXX";
    char err[4096];
    FILE *cap = tmpfile();
    size_t n;
    int saved, fd, code;

    (void)state;
    assert_non_null(cap);
    fd = mkstemp(tape_path);
    ASSERT_GE(fd, 0);
    close(fd);
    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.scenario = "demo";
    q.quiet = true;
    q.save_tape = tape_path;
    assert_int_equal(scn_prepare(&q, &r), KVMSIM_EXIT_OK);
    /* The demo scenario's request, tape and seed; our world. */
    drv = *r.drv;
    drv.run = run_unlocked_updater;
    r.drv = &drv;
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(fileno(cap), STDERR_FILENO);
    code = scn_execute(&q, &r);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(cap);
    n = fread(err, 1, sizeof(err) - 1, cap);
    err[n] = '\0';
    fclose(cap);
    unlink(tape_path);

    if (code != KVMSIM_EXIT_INVARIANT) {
        fail_msg("exit code %d, want %d; stderr:\n%s", code,
                 KVMSIM_EXIT_INVARIANT, err);
    }
    if (strncmp(r.first_failure, "lock_rule: iobus_register_locked() "
                "expects lock 'iobus.slots' held; thread 'updater'",
                strlen("lock_rule: iobus_register_locked() expects lock "
                       "'iobus.slots' held; thread 'updater'")) != 0) {
        fail_msg("first failure: '%s'", r.first_failure);
    }
    if (!strstr(err, "invariant failed: lock_rule: ") ||
        !strstr(err, "reproduce with: kvmsim replay ")) {
        fail_msg("stderr:\n%s", err);
    }
    scn_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            iobus_register_locked_outside_run_without_lock_panics),
        cmocka_unit_test(iobus_register_locked_outside_run_with_lock_passes),
        cmocka_unit_test(
            iobus_register_locked_in_run_without_lock_is_recorded),
        cmocka_unit_test(
            iobus_register_locked_in_run_with_lock_records_nothing),
        cmocka_unit_test(sim_destroy_with_unread_lock_violation_panics),
        cmocka_unit_test(scn_execute_lock_rule_broken_is_invariant_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
