/*
 * tests/test_liveness.c - the conservation check (sim/liveness.h) and the
 * liveness exit: a signal nobody consumes is reported with its eventfd,
 * its signaller's thread and span and its waiter; a consumed one, one
 * still inside its bound, and one whose consumer finished are not; a
 * declared bound is kept; an eventfd destroyed with a signal pending is
 * reported.  Then, through the kvmsim binary (KVMSIM_BIN): a heal phase
 * that does not converge exits 6 and `explore` groups it as [liveness].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/platform.h"
#include "sim/fault.h"
#include "sim/liveness.h"
#include "sim/sim.h"
#include "sim/tape.h"

#define MS 1000000ull

/* One producer (non-daemon) and one consumer (daemon).  The consumer
 * waits on `e` once, consumes, then either keeps consuming (consume_all)
 * or blocks on `park` for ever (or finishes, consumer_exits).  The
 * producer signals `e` once, waits 1 ms (the consumer takes that signal),
 * signals it `signals` times in span "produce" and then sleeps
 * `linger_ns`. */
struct fixture {
    struct plat_eventfd e, park;
    bool consume_all, consumer_exits, destroy_pending;
    uint64_t linger_ns, bound_ns;
    unsigned signals;
};

static void consumer(void *arg)
{
    struct fixture *f = arg;

    do {
        plat_eventfd_wait(&f->e);
        plat_eventfd_test_and_clear(&f->e);
    } while (f->consume_all);
    if (!f->consumer_exits) {
        plat_eventfd_wait(&f->park);
    }
}

static void producer(void *arg)
{
    struct fixture *f = arg;

    plat_eventfd_signal(&f->e);
    sim_sleep_ns(1 * MS); /* the consumer takes it and parks */
    plat_trace_begin("produce");
    for (unsigned i = 0; i < f->signals; i++) {
        plat_eventfd_signal(&f->e);
    }
    plat_trace_end();
    if (f->destroy_pending) {
        plat_eventfd_destroy(&f->e);
    }
    sim_sleep_ns(f->linger_ns);
}

/* Run the fixture; returns the lost wakeups, the first in msg. */
static uint32_t run_fixture(struct fixture *f, char *msg, size_t len)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim *s;
    struct sim_thread *c;
    uint32_t n;

    assert_non_null(tape);
    sim_options_default(&o);
    o.ncpus = 2;
    s = sim_create(&o, tape);
    assert_non_null(s);
    plat_eventfd_init(&f->e, "work");
    plat_eventfd_init(&f->park, "park");
    if (f->bound_ns) {
        sim_eventfd_set_bound(&f->e, f->bound_ns);
    }
    c = sim_spawn(s, "consumer", 0, consumer, f);
    assert_non_null(c);
    sim_thread_set_daemon(c, true);
    assert_non_null(sim_spawn(s, "producer", 1, producer, f));
    assert_int_equal(sim_run(s), SIM_OK);
    n = sim_lost_wakeups(s);
    snprintf(msg, len, "%s", sim_lost_wakeup_first(s));
    /* The consumer, a daemon, may still wait on e or park after a clean
     * end: they are left as they are (as the worlds leave their loops'
     * eventfds). */
    sim_destroy(s);
    sim_tape_destroy(tape);
    return n;
}

static void expect_in(const char *msg, const char *want)
{
    if (!strstr(msg, want)) {
        fail_msg("report '%s' lacks '%s'", msg, want);
    }
}

static void liveness_signal_never_consumed_reported_with_name_waiter_span(
    void **state)
{
    struct fixture f = {.signals = 1, .linger_ns = 20 * MS};
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 1) {
        fail_msg("lost wakeups: got %u, want 1 (%s)", n, msg);
    }
    expect_in(msg, "lost wakeup: eventfd 'work'");
    expect_in(msg, "signalled by thread 'producer' in produce");
    expect_in(msg, "not consumed by");
    expect_in(msg, "waiter: thread 'consumer'");
}

static void liveness_signal_consumed_not_reported(void **state)
{
    struct fixture f = {
        .signals = 3, .linger_ns = 20 * MS, .consume_all = true,
    };
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 0) {
        fail_msg("lost wakeups: got %u, want 0 (%s)", n, msg);
    }
}

static void liveness_signal_inside_default_bound_not_reported(void **state)
{
    /* Open for 5 ms at the end, under the 10 ms default. */
    struct fixture f = {.signals = 1, .linger_ns = 5 * MS};
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 0) {
        fail_msg("lost wakeups: got %u, want 0 (%s)", n, msg);
    }
}

static void liveness_declared_bound_1ms_breached_by_5ms(void **state)
{
    struct fixture f = {.signals = 1, .linger_ns = 5 * MS,
                        .bound_ns = 1 * MS};
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 1) {
        fail_msg("lost wakeups: got %u, want 1 (%s)", n, msg);
    }
    expect_in(msg, "(bound 1000000 ns)");
}

static void liveness_consumer_finished_not_reported(void **state)
{
    struct fixture f = {.signals = 1, .linger_ns = 20 * MS,
                        .consumer_exits = true};
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 0) {
        fail_msg("lost wakeups: got %u, want 0 (%s)", n, msg);
    }
}

static void liveness_destroyed_with_signal_pending_reported(void **state)
{
    struct fixture f = {.signals = 1, .linger_ns = 0,
                        .destroy_pending = true};
    char msg[512];
    uint32_t n;

    (void)state;
    n = run_fixture(&f, msg, sizeof(msg));
    if (n != 1) {
        fail_msg("lost wakeups: got %u, want 1 (%s)", n, msg);
    }
    expect_in(msg, "destroyed unconsumed at");
}

/* ---- through the binary ---- */

/* Run `kvmsim ARGS`, keep its stdout and stderr in out; returns its exit
 * status, or -1 (the test is skipped) without KVMSIM_BIN. */
static int kvmsim(const char *args, char *out, size_t len)
{
    const char *bin = getenv("KVMSIM_BIN");
    char cmd[1024];
    size_t n = 0;
    FILE *p;
    int st;

    if (!bin) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "cd \"${TMPDIR:-/tmp}\" && '%s' %s 2>&1",
             bin, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (n + 1 < len && fgets(out + n, (int)(len - n), p)) {
        n += strlen(out + n);
    }
    out[n] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The racy demo's lost kick with the invariant that catches it switched
 * off: only the heal phase sees that the system never converges. */
#define RACY_NO_INVARIANT                                                    \
    "demo --variant racy --strategy pct --set invariants.all_processed=false"

static void liveness_heal_not_converged_exits_6(void **state)
{
    char out[8192];
    int rc;

    (void)state;
    rc = kvmsim("run " RACY_NO_INVARIANT " --seed 27 --save-tape /dev/null",
                out, sizeof(out));
    if (rc < 0) {
        skip();
    }
    if (rc != 6) {
        fail_msg("exit %d, want 6: %s", rc, out);
    }
    expect_in(out, "liveness: heal: not converged");
    expect_in(out, "reproduce with:");
}

static void liveness_heal_off_exits_0(void **state)
{
    char out[8192];
    int rc;

    (void)state;
    rc = kvmsim("run " RACY_NO_INVARIANT " --seed 27 --set run.heal_ms=0",
                out, sizeof(out));
    if (rc < 0) {
        skip();
    }
    if (rc != 0) {
        fail_msg("exit %d, want 0: %s", rc, out);
    }
}

static void liveness_explore_groups_liveness(void **state)
{
    char out[16384];
    int rc;

    (void)state;
    rc = kvmsim("explore " RACY_NO_INVARIANT " --seeds 30 --jobs 1", out,
                sizeof(out));
    if (rc < 0) {
        skip();
    }
    if (rc != 6) {
        fail_msg("exit %d, want 6: %s", rc, out);
    }
    expect_in(out, "([liveness] ");
    expect_in(out, "  [liveness] ");
    expect_in(out, "first seed 27: heal: not converged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            liveness_signal_never_consumed_reported_with_name_waiter_span),
        cmocka_unit_test(liveness_signal_consumed_not_reported),
        cmocka_unit_test(liveness_signal_inside_default_bound_not_reported),
        cmocka_unit_test(liveness_declared_bound_1ms_breached_by_5ms),
        cmocka_unit_test(liveness_consumer_finished_not_reported),
        cmocka_unit_test(liveness_destroyed_with_signal_pending_reported),
        cmocka_unit_test(liveness_heal_not_converged_exits_6),
        cmocka_unit_test(liveness_heal_off_exits_0),
        cmocka_unit_test(liveness_explore_groups_liveness),
    };

    sim_fault_reset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
