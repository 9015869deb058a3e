/*
 * tests/test_its_lpi_storm.c - the its-lpi-storm scenario (seed 002): the
 * cost constants stored in model/cost.c and scenarios/its/its_driver.c are what
 * `kvmsim compare its-lpi-storm` fits on the seed's kworker and global rows,
 * and a short storm of every variant keeps its invariants.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/cost.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/runner.h"
#include "tests/lib.h"

static void cost_model_default_matches_refit_of_seed002(void **state)
{
    struct scn_request q;
    struct lpi_fit_info info;
    struct cost_model m;
    double theta[4];

    (void)state;
    memset(&q, 0, sizeof(q));
    q.scenario = "its-lpi-storm";
    q.quiet = true;
    assert_int_equal(scn_lpi_fit(&q, theta, &info), 0);
    cost_model_default(&m);
    print_message("refit: inject %.0f, walk %.0f, probe %.0f, kworker %.0f "
                  "ns; residuals %.3f %.3f %.3f %.3f us\n", theta[0],
                  theta[1], theta[2], theta[3], info.resid_us[0],
                  info.resid_us[1], info.resid_us[2], info.resid_us[3]);
    /* The constants stored are the fit's results (rounded). */
    ASSERT_LT(fabs(theta[0] - (double)m.work_ns[PLAT_WORK_ITS_INJECT]), 1.0);
    ASSERT_LT(fabs(theta[1] - (double)m.work_ns[PLAT_WORK_ITS_TABLE_WALK]),
              1.0);
    ASSERT_LT(fabs(theta[2] - (double)m.work_ns[PLAT_WORK_ITS_CACHE_PROBE]),
              1.0);
    ASSERT_LT(fabs(theta[3] - (double)m.kworker_sched_ns), 1.0);
    /* The fit reproduces the kworker rows and global at 1 NIC.  With the
     * measured line transfer (model/cost.c) the global lock saturates at
     * 10 NICs, so that row is out of reach and the report says so; when
     * a model change brings it back, this check fails and the note in
     * model/cost.c and the report must change with it. */
    for (unsigned i = 0; i < 3; i++) {
        if (!(fabs(info.resid_us[i]) < 0.05)) {
            fail_msg("fitted point %u: residual %.3f us, want < 0.05", i,
                     info.resid_us[i]);
        }
    }
    if (!(info.resid_us[3] > 1.0)) {
        fail_msg("global at 10 NICs: residual %.3f us; the saturation "
                 "the report describes is gone", info.resid_us[3]);
    }
}

static void lpi_storm_every_variant_keeps_invariants(void **state)
{
    static const char *const variants[] = {"none", "global", "sharded",
                                           "lockless"};
    struct scn_request q;

    (void)state;
    memset(&q, 0, sizeof(q));
    q.scenario = "its-lpi-storm";
    q.quiet = true;
    for (unsigned v = 0; v < 4; v++) {
        char var[64];
        const char *extra[4] = {var, "workload.nics=4",
                                "workload.duration_ms=3",
                                "workload.remap_every_us=300"};
        struct scn_run r;
        double delivered, raised, unmapped;

        snprintf(var, sizeof(var), "run.variant=%s", variants[v]);
        assert_int_equal(scn_run_with(&q, extra, 4, &r), 0);
        assert_int_equal(r.failures, 0);
        ASSERT_GE(r.checks, 5);
        raised = scn_metric_get(&r, "msis_raised");
        delivered = scn_metric_get(&r, "msis_delivered");
        unmapped = scn_metric_get(&r, "msis_unmapped");
        ASSERT_GT(raised, 100);
        assert_true(delivered + unmapped == raised);
        ASSERT_GE(scn_metric_get(&r, "cache_invalidations"), 5);
        scn_run_release(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lpi_storm_every_variant_keeps_invariants),
        cmocka_unit_test(cost_model_default_matches_refit_of_seed002),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
