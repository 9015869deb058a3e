/*
 * fuzz/fuzz_tape_demo.c - the demo scenario driven by a fuzzer-made tape
 * (encoding and oracle: fuzz/tape_target.h).
 *
 * The input is the decision tape itself: equal-time ties, jitter and the
 * demo_submit faults all read it, and an exhausted tape falls back to the
 * defaults, so every input is a valid run.  Under the `time` strategy the
 * `correct` variant must hold every invariant for every tape (`racy` is
 * wrong on purpose and not run); a failure or a stuck run is a bug in the
 * engine and crashes the fuzzer.  The crash file replays with:
 *   kvmsim replay CRASHFILE --scenario demo --variant correct \
 *     --set workload.items=40
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const demo_sets[] = {"workload.items=40", NULL};
static const char *const demo_variants[] = {"correct", NULL};

static const struct tape_scenario demo_scenarios[] = {
    {"demo", NULL},
    {NULL, NULL},
};

static const struct tape_family demo_family = {
    .scenarios = demo_scenarios,
    .sets = demo_sets,
    .variants = demo_variants,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&demo_family, data, size);
}
