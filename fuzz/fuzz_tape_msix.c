/*
 * fuzz/fuzz_tape_msix.c - msix-resume-8vf (per-vector, batched) driven by
 * a fuzzer-made decision tape (encoding and oracle: fuzz/tape_target.h).
 *
 * Scaled down to 2 VFs of 6 vectors, every third vector left masked (the
 * pending-bit path), one firing each and one enable/disable cycle, then
 * the concurrent phase (2 rounds: a VF re-enabler and 2 masking vCPUs as
 * updaters, each VF's device firing and the event loop as readers).  The
 * tape decides the schedule and the faults: route commits, irqfd
 * assigns, GSI allocation, SET_IRQS, thread creation and allocations fail
 * where it says; after every step no vector is delivered more often than
 * it fired, tables agree, no disabled VF keeps an irqfd and each
 * operation made only the calls it needs; after the phase (faults off, a
 * VF whose host gave up on a trigger re-enabled) every vector is
 * delivered exactly once, with no leak.  A crash file replays with:
 *   kvmsim replay CRASHFILE --scenario msix-resume-8vf --variant V \
 *     --set workload.vfs=2 --set workload.vectors=6 \
 *     --set workload.fires=1 --set workload.cycles=1 \
 *     --set workload.mask_every=3 --set vm.vcpus=4 \
 *     --set run.step_limit=100000 \
 *     --set faults.kvm_set_gsi_routing=0.05 --set faults.kvm_irqfd=0.05 \
 *     --set faults.gsi_alloc=0.05 --set faults.alloc=0.02 \
 *     --set faults.vfio_set_irqs=0.05 --set faults.thread_create=0.1
 * with V the variant byte 0 picks (per-vector when even, batched when
 * odd); the target prints the exact line before it aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const msix_sets[] = {
    "workload.vfs=2",
    "workload.vectors=6",
    "workload.fires=1",
    "workload.cycles=1",
    "workload.mask_every=3",
    "vm.vcpus=4",
    "run.step_limit=100000",
    "faults.kvm_set_gsi_routing=0.05",
    "faults.kvm_irqfd=0.05",
    "faults.gsi_alloc=0.05",
    "faults.alloc=0.02",
    "faults.vfio_set_irqs=0.05",
    "faults.thread_create=0.1",
    NULL,
};

static const struct tape_scenario msix_scenarios[] = {
    {"msix-resume-8vf", NULL},
    {NULL, NULL},
};

static const struct tape_family msix_family = {
    .scenarios = msix_scenarios,
    .sets = msix_sets,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&msix_family, data, size);
}
