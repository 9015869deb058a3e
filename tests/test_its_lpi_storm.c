/*
 * tests/test_its_lpi_storm.c - the its-lpi-storm scenario (seed 002): a
 * short storm of every variant keeps its invariants (the refit of its
 * fitted constants is in tests/test_model.c).
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
#include "scenarios/tool/runner.h"
#include "tests/lib.h"

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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
