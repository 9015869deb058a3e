/*
 * model/virtio/virtio_fuzz.c - the opcode stream of virtio_fuzz.h: one
 * enum-indexed table of operations on a stepped virtio world.
 *
 * Every input starts from a fresh world and fault settings, so inputs are
 * independent; the rings are small (8 descriptors, the first extra value
 * of the queue-size field) unless the header asks for more, so full
 * rings, wrapped indices and suppressed kicks are reached with short
 * inputs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/fault.h"
#include "core/virtio_pci.h"
#include "core/virtqueue.h"
#include "model/virtio/virtio_fuzz.h"
#include "scenarios/virtio/virtio_world.h"
#include "sim/fault.h"

enum vf_op {
    VF_SUBMIT,
    VF_REAP,
    VF_IOTHREAD,
    VF_VHOST_WORKER,
    VF_DISK,
    VF_STATUS,
    VF_INIT,
    VF_BUS_MASTER,
    VF_PFN0,
    VF_VM,
    VF_VHOST,
    VF_FAULT,
    VF_RESET,
    VF_UNPLUG,
    VF_MIGRATE,
    VF_ANY_LENGTH,
    VF_CORRUPT,
    VF_RAW,
    VF_QUEUE_SIZE,
    VF_OP_NR_
};

_Static_assert(VF_OP_NR_ == VIRTIO_FUZZ_OP_NR, "opcode table and header");

typedef void vf_fn(struct vw_world *w, uint8_t arg, bool modern);

static void op_submit(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_guest_submit(w, arg);
}

static void op_reap(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_guest_reap(w, arg);
}

static void op_iothread(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_loop_dispatch(w, 0);
}

static void op_vhost_worker(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_loop_dispatch(w, 1);
}

static void op_disk(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    for (unsigned i = 0; i <= arg % 4u && vw_disk_step(w); i++) {
    }
}

static void op_status(struct vw_world *w, uint8_t arg, bool modern)
{
    uint8_t base = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                   (modern ? VIRTIO_CONFIG_S_FEATURES_OK : 0);
    static const uint8_t extra[4] = {
        VIRTIO_CONFIG_S_DRIVER_OK, 0, 0, VIRTIO_CONFIG_S_FAILED,
    };

    vw_guest_status(w, arg % 4 == 2 ? 0 : (uint8_t)(base | extra[arg % 4]));
}

static void op_init(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_guest_init(w);
}

static void op_bus_master(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_guest_bus_master(w, arg & 1);
}

static void op_pfn0(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_guest_legacy_pfn0(w);
}

static void op_vm(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    if (arg & 1) {
        vw_vm_resume(w);
    } else {
        vw_vm_stop(w);
    }
}

static void op_vhost(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    if (arg & 1) {
        vw_vhost_grab(w);
    } else {
        vw_vhost_release(w);
    }
}

static void op_fault(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)w;
    (void)modern;
    sim_fault_fail_nth(PLAT_FAULT_KVM_IOEVENTFD, arg % 4u + 1, arg >= 128);
}

static void op_reset(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_host_reset(w);
}

static void op_unplug(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    if (arg % 16 == 0) {
        vw_host_unplug(w);
    }
}

static void op_migrate(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)arg;
    (void)modern;
    vw_migrate(w);
}

static void op_any_length(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_set_any_length(w, arg & 1);
}

static void op_corrupt(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_guest_corrupt(w, (uint32_t)arg * 131u, (uint8_t)(arg ^ 0x5a));
}

static void op_raw(struct vw_world *w, uint8_t arg, bool modern)
{
    (void)modern;
    vw_guest_raw_write(w, arg, (uint32_t)arg * 0x01010101u);
}

/* The guest writes queue 0's size register (modern QUEUE_SIZE; the
 * read-only QUEUE_NUM of the legacy layout) with the operation's 16-bit
 * value: a raw write, so the guest-view checks are waived. */
static void op_queue_size(struct vw_world *w, uint16_t size, bool modern)
{
    uint8_t reg = modern ? 0x80 | VIRTIO_PCI_COMMON_Q_SIZE
                         : 0x80 | VIRTIO_PCI_QUEUE_NUM;

    vw_guest_raw_write(w, reg, (uint32_t)size << 2);
}

/* The queue-size fields: the device's maximum (a scenario key) and what
 * the guest writes; the virtio spec allows up to 32768. */
static const uint64_t qsize_extra[] = { 8, 4, 16, 256, 1024 };

static const struct dom_field vf_fields[VIRTIO_FUZZ_NR_FIELDS] = {
    DOM_FIELD("virtio.queue_size", 1, VIRTIO_FUZZ_QUEUE_MAX, 2, qsize_extra,
              sizeof(qsize_extra) / sizeof(qsize_extra[0])),
    DOM_FIELD("virtio.guest_queue_size", 1, VIRTIO_FUZZ_QUEUE_MAX, 2,
              qsize_extra, sizeof(qsize_extra) / sizeof(qsize_extra[0])),
};

size_t virtio_fuzz_fields(const struct dom_field **out)
{
    *out = vf_fields;
    return VIRTIO_FUZZ_NR_FIELDS;
}

/* The world's rule for a device's queue size, restated: a power of two
 * from 4 to the ring limit. */
static bool qsize_accepted(uint64_t n)
{
    return n >= 4 && n <= VIRTQUEUE_MAX_SIZE && (n & (n - 1)) == 0;
}

static vf_fn *const vf_table[VF_OP_NR_] = {
    [VF_SUBMIT] = op_submit,
    [VF_REAP] = op_reap,
    [VF_IOTHREAD] = op_iothread,
    [VF_VHOST_WORKER] = op_vhost_worker,
    [VF_DISK] = op_disk,
    [VF_STATUS] = op_status,
    [VF_INIT] = op_init,
    [VF_BUS_MASTER] = op_bus_master,
    [VF_PFN0] = op_pfn0,
    [VF_VM] = op_vm,
    [VF_VHOST] = op_vhost,
    [VF_FAULT] = op_fault,
    [VF_RESET] = op_reset,
    [VF_UNPLUG] = op_unplug,
    [VF_MIGRATE] = op_migrate,
    [VF_ANY_LENGTH] = op_any_length,
    [VF_CORRUPT] = op_corrupt,
    [VF_RAW] = op_raw,
    [VF_QUEUE_SIZE] = NULL, /* takes a 16-bit field: see the run loop */
};

int virtio_fuzz_run(const uint8_t *ops, size_t n, char *err, size_t errlen)
{
    struct dom_cursor hc = { .p = ops, .n = n, .i = 1 };
    struct vw_params p;
    struct vw_world *w;
    uint64_t qsize;
    bool modern;
    char msg[128];
    int rc;

    if (errlen) {
        err[0] = '\0';
    }
    if (n < 1) {
        return 0;
    }
    qsize = dom_read(&hc, &vf_fields[0]);
    modern = ops[0] & 1;
    vw_params_default(&p, ops[0] & 2 ? VIRTIO_PCI_KIND_NET
                                     : VIRTIO_PCI_KIND_BLK);
    p.transport = modern ? VIRTIO_PCI_MODERN : VIRTIO_PCI_LEGACY;
    p.ioeventfd = !(ops[0] & 4);
    p.any_length = !(ops[0] & 8);
    p.queue_size = (uint16_t)qsize;
    if (p.kind == VIRTIO_PCI_KIND_BLK) {
        p.nvcpus = 2;
        p.nqueues = 2;
    }
    sim_fault_reset();
    rc = vw_create(&p, NULL, &w, msg, sizeof(msg));
    if (rc == -ENOMEM) {
        return 0;
    }
    if ((rc == 0) != qsize_accepted(qsize) || (rc < 0 && rc != -EINVAL)) {
        snprintf(err, errlen, "world: queue size %" PRIu64 " %s (%d: %s)",
                 qsize, rc == 0 ? "accepted" : "refused", rc,
                 rc == 0 ? "-" : msg);
        if (rc == 0) {
            vw_destroy(w);
        }
        return -1;
    }
    if (rc < 0) {
        return 0; /* refused, as it must be */
    }
    vw_guest_init(w);
    for (size_t i = VIRTIO_FUZZ_HDR; i + VIRTIO_FUZZ_OP_BYTES <= n;
         i += VIRTIO_FUZZ_OP_BYTES) {
        unsigned op = ops[i] % VF_OP_NR_;

        if (op == VF_QUEUE_SIZE) {
            struct dom_cursor c = { .p = ops + i + 1, .n = 3, .i = 0 };

            op_queue_size(w, (uint16_t)dom_read(&c, &vf_fields[1]), modern);
        } else {
            vf_table[op](w, ops[i + 1], modern);
        }
    }
    sim_fault_reset();
    vw_quiesce_and_check(w);
    rc = vw_first_violation(w)[0] ? -1 : 0;
    if (rc) {
        snprintf(err, errlen, "%s", vw_first_violation(w));
    }
    vw_destroy(w);
    return rc;
}
