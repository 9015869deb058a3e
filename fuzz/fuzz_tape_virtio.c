/*
 * fuzz/fuzz_tape_virtio.c - virtio-blk-mq and virtio-net-tx (sync,
 * ioeventfd) driven by a fuzzer-made decision tape (encoding and oracle:
 * fuzz/tape_target.h).
 *
 * Scaled down to a few requests on 8-descriptor rings (virtio-blk: two
 * vCPUs of 4 requests, two in flight each; virtio-net: one vCPU sending 6
 * packets, four in flight), with one VM stop/resume, one vhost-style
 * grab/release and one migration 20 us apart, so the host transitions
 * land among the kicks.  The tape decides the disk's jitter, the ties
 * between vCPUs, iothread, disk and host threads, and the faults:
 * KVM_IOEVENTFD assigns and allocations fail where it says (a start that
 * cannot assign falls back to synchronous notify; an unregister that runs
 * out of memory empties the bus).  No kick may be lost and no ioeventfd
 * may outlive a stop under any of them.  A crash file replays with
 * (virtio-blk-mq):
 *   kvmsim replay CRASHFILE --scenario virtio-blk-mq --variant V \
 *     --set workload.queue_size=8 --set workload.vm_stops=1 \
 *     --set workload.vhost_cycles=1 --set workload.migrations=1 \
 *     --set workload.transition_gap_us=20 --set run.step_limit=200000 \
 *     --set faults.kvm_ioeventfd=0.05 --set faults.alloc=0.02 \
 *     --set vm.vcpus=2 --set workload.requests=4 --set workload.iodepth=2
 * or (virtio-net-tx) the same with --scenario virtio-net-tx and, instead
 * of the last line, --set workload.requests=6 --set workload.iodepth=4;
 * byte0 % 4 picks blk sync, blk ioeventfd, net sync, net ioeventfd; the
 * target prints the exact line before it aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/tape_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const virtio_sets[] = {
    "workload.queue_size=8",
    "workload.vm_stops=1",
    "workload.vhost_cycles=1",
    "workload.migrations=1",
    "workload.transition_gap_us=20",
    "run.step_limit=200000",
    "faults.kvm_ioeventfd=0.05",
    "faults.alloc=0.02",
    NULL,
};

static const char *const blk_sets[] = {
    "vm.vcpus=2",
    "workload.requests=4",
    "workload.iodepth=2",
    NULL,
};

static const char *const net_sets[] = {
    "workload.requests=6",
    "workload.iodepth=4",
    NULL,
};

static const struct tape_scenario virtio_scenarios[] = {
    {"virtio-blk-mq", blk_sets},
    {"virtio-net-tx", net_sets},
    {NULL, NULL},
};

static const struct tape_family virtio_family = {
    .scenarios = virtio_scenarios,
    .sets = virtio_sets,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tape_target_run(&virtio_family, data, size);
}
