/*
 * fuzz/fuzz_tape_iobus.c - iobus-200-ioeventfds (linear, bsearch,
 * eytzinger, deferred) driven by a fuzzer-made decision tape (encoding and
 * oracle: fuzz/tape_target.h, and the runner's checks of deferred frees:
 * a bus freed under a reader, a callback lost).
 *
 * Scaled down to 8 ioeventfds and two vCPUs of 16 writes each, every
 * fourth write to the ioeventfd byte, then the deassigns and the bus check.
 * The tape decides the ties between the vCPUs and the faults: KVM_IOEVENTFD
 * assigns, allocations (an unregister that runs out of memory empties the
 * bus, which the scenario expects) and thread creation fail where it says.
 * The scenario retries an injected failure up to 1000 times and counts a
 * setup that still fails as an invariant failure, so inputs longer than
 * 1024 bytes are skipped: a fault decision reads two bytes, so no input
 * can fail 1000 calls in a row.  A crash file replays with:
 *   kvmsim replay CRASHFILE --scenario iobus-200-ioeventfds --variant V \
 *     --set workload.ioeventfds=8 --set workload.accesses=16 \
 *     --set workload.notify_every=4 --set vm.vcpus=2 \
 *     --set run.step_limit=100000 --set faults.kvm_ioeventfd=0.05 \
 *     --set faults.alloc=0.02 --set faults.thread_create=0.05
 * with V the variant byte 0 picks (byte0 % 4: linear, bsearch,
 * eytzinger, deferred); the target prints the exact line before it
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const iobus_sets[] = {
    "workload.ioeventfds=8",
    "workload.accesses=16",
    "workload.notify_every=4",
    "vm.vcpus=2",
    "run.step_limit=100000",
    "faults.kvm_ioeventfd=0.05",
    "faults.alloc=0.02",
    "faults.thread_create=0.05",
    NULL,
};

static const struct tape_scenario iobus_scenarios[] = {
    {"iobus-200-ioeventfds", NULL},
    {NULL, NULL},
};

static const struct tape_family iobus_family = {
    .scenarios = iobus_scenarios,
    .sets = iobus_sets,
    .max_len = 1024,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&iobus_family, data, size);
}
