/*
 * fuzz/fuzz_tape_switchover.c - switchover-vfio (parallel, serial) driven
 * by a fuzzer-made decision tape (encoding and oracle: fuzz/tape_target.h).
 *
 * Scaled down to 3 VFIO devices per VM (two of them at one depth, so two
 * transition threads run at once) behind one root port, no extra ordinary
 * handlers and no pre-copy iteration.  The tape decides each
 * state arc's jitter (up to 10 %), the ties between transition threads,
 * and the faults: VFIO migration state changes (and whether a failed one
 * leaves the device in ERROR), device resets, transition-thread creation
 * (the device falls back to a serial transition) and allocations fail
 * where it says.  The invariants cover exactly these: a failed transition
 * aborts the migration and every device is back in RUNNING (unless its
 * reset failed), and nothing else aborts it; half the runs (the tape
 * decides) also cancel at a tape-chosen moment, the canceller racing the
 * migration thread for the source's devices.  A crash file replays with:
 *   kvmsim replay CRASHFILE --scenario switchover-vfio --variant V \
 *     --set workload.devices=3 --set workload.root_ports=1 \
 *     --set workload.ordinary_per_depth=0 --set workload.precopy_iters=0 \
 *     --set run.step_limit=100000 --set faults.vfio_set_state=0.05 \
 *     --set faults.vfio_reset=0.1 --set faults.thread_create=0.1 \
 *     --set faults.alloc=0.02 --set workload.cancel_pct=50 \
 *     --set workload.cancel_window_ms=120
 * with V the variant byte 0 picks (parallel when even, serial when odd);
 * the target prints the exact line before it aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const switchover_sets[] = {
    "workload.devices=3",
    "workload.root_ports=1",
    "workload.ordinary_per_depth=0",
    "workload.precopy_iters=0",
    "run.step_limit=100000",
    "faults.vfio_set_state=0.05",
    "faults.vfio_reset=0.1",
    "faults.thread_create=0.1",
    "faults.alloc=0.02",
    "workload.cancel_pct=50",
    "workload.cancel_window_ms=120",
    NULL,
};

static const struct tape_scenario switchover_scenarios[] = {
    {"switchover-vfio", NULL},
    {NULL, NULL},
};

static const struct tape_family switchover_family = {
    .scenarios = switchover_scenarios,
    .sets = switchover_sets,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&switchover_family, data, size);
}
