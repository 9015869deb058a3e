/*
 * tests/test_virtio_race.c - the start/stop race of seed 001, explored:
 * PCT over many seeds of a small world (scenarios/virtio/virtio_world.h,
 * vw_race_run) where two vCPUs kick while the host stops and restarts
 * ioeventfd (VM stop/resume, vhost-style grab/release, migration).  No
 * seed may lose a kick or break another invariant.
 *
 * KVMSIM_RACE_SEEDS sets the number of seeds (default 10000) and
 * KVMSIM_RACE_FIRST the first one (default 1).  The mutation suite
 * (`sh tests/mutants/run.sh virtio_no_post_stop_clear`) runs the tests on
 * a copy of the tree without the post-stop test-and-clear; this
 * exploration alone finds the lost kick there too.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "scenarios/virtio/virtio_world.h"
#include "tests/lib.h"

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (!v || !*v) {
        return def;
    }
    n = strtoull(v, &end, 0);
    return *end ? def : n;
}

static void vw_race_seeds_no_lost_kick(void **state)
{
    uint64_t first = env_u64("KVMSIM_RACE_FIRST", 1);
    uint64_t nseeds = env_u64("KVMSIM_RACE_SEEDS", 10000);
    uint64_t lost = 0, bad = 0, stuck = 0, steps = 0, post_stop = 0;
    uint64_t first_bad = 0;
    char why[320] = "";

    (void)state;
    for (uint64_t seed = first; seed < first + nseeds; seed++) {
        struct vw_race_result res;

        assert_int_equal(vw_race_run(seed, &res), 0);
        steps += res.steps;
        post_stop += res.post_stop_kicks;
        if (res.v.lost_kicks || res.v.never_completed) {
            lost++;
        }
        if (res.result != SIM_OK) {
            stuck++;
        }
        if (res.first[0] || res.result != SIM_OK) {
            if (!bad++) {
                first_bad = seed;
                snprintf(why, sizeof(why), "%s (%s)", res.first,
                         sim_result_name(res.result));
            }
        }
    }
    print_message("race: %" PRIu64 " seeds from %" PRIu64 ", %" PRIu64
                  " steps, %" PRIu64 " kicks found by the post-stop "
                  "test-and-clear; %" PRIu64 " seeds lost a kick, %" PRIu64
                  " failed, %" PRIu64 " did not end cleanly\n", nseeds,
                  first, steps, post_stop, lost, bad, stuck);
    if (bad) {
        print_message("first failing seed %" PRIu64 ": %s\n", first_bad,
                      why);
    }
    assert_int_equal(bad, 0);
    /* The race must actually be exercised: kicks do race with stops. */
    ASSERT_GT(post_stop, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vw_race_seeds_no_lost_kick),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
