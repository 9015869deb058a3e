/*
 * fuzz/fuzz_tape_its.c - its-lpi-storm (none, global, sharded, lockless)
 * driven by a fuzzer-made decision tape (encoding and oracle:
 * fuzz/tape_target.h).
 *
 * Scaled down to 2 NICs of one queue each on 4 vCPUs for 40 us of virtual
 * time (about 6 MSIs), with a guest INV/INVALL every 6 us and a MOVI or
 * DISCARD+MAPTI every 9 us, so invalidations race with cached lookups.
 * The tape decides each queue's arrival phase and stream (8 bytes per
 * queue, read before the run) and every equal-time tie between the NIC,
 * kworker and guest threads.  No fault site is enabled: the only fallible
 * calls are allocations, and an allocation that fails under the guest's
 * MAPTI fails that command, which the scenario reports as an invariant
 * failure (exactly_once: guest commands failed) and which its freshness
 * log, recording the command's intended effect, then also flags.  A crash
 * file replays with:
 *   kvmsim replay CRASHFILE --scenario its-lpi-storm --variant V \
 *     --set workload.nics=2 --set workload.queues=1 \
 *     --set workload.duration_ms=0.04 --set workload.inv_every_us=6 \
 *     --set workload.remap_every_us=9 --set vm.vcpus=4 \
 *     --set run.step_limit=200000
 * with V the variant byte 0 picks (byte0 % 4: none, global, sharded,
 * lockless); the target prints the exact line before it aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const lpi_sets[] = {
    "workload.nics=2",
    "workload.queues=1",
    "workload.duration_ms=0.04",
    "workload.inv_every_us=6",
    "workload.remap_every_us=9",
    "vm.vcpus=4",
    "run.step_limit=200000",
    NULL,
};

static const struct tape_scenario lpi_scenarios[] = {
    {"its-lpi-storm", NULL},
    {NULL, NULL},
};

static const struct tape_family lpi_family = {
    .scenarios = lpi_scenarios,
    .sets = lpi_sets,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&lpi_family, data, size);
}
