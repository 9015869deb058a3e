/*
 * core/virtio_pci.h - the virtio-pci proxy of one virtio device, with
 * virtqueue notify through ioeventfd (seed 001).
 *
 * Before the seed a guest's kick (a write of the queue index to the notify
 * register) was a heavyweight exit: the vCPU stayed out of the guest while
 * the device emulation processed the queue.  With ioeventfd the proxy hands
 * KVM one eventfd per queue (the host notifier); KVM signals it from a
 * lightweight exit and the vCPU goes straight back into the guest, while
 * an event loop (the iothread) picks the eventfd up and processes the
 * queue.  The proxy keeps both paths: the variant is the per-device
 * `ioeventfd` property (default on for blk and net, off otherwise).
 *
 * Start (per queue with a ring): initialise the notifier already
 * signalled, assign it with KVM_IOEVENTFD, install the handler in the
 * loop; after every queue, kick each once so requests already in the rings
 * are processed.  If queue n fails to assign, the queues before n are
 * undone and ioeventfd is turned off for the device: it falls back to
 * synchronous notify, and every queue is processed once so nothing already
 * in a ring waits for a kick that was taken by a notifier.
 *
 * Stop: for each queue, remove the handler and deassign; then test-and-clear
 * the notifier and process the queue if it was signalled (a kick that
 * raced with the deassign is not lost); then release the notifier, only
 * after KVM accepted the deassign (if KVM refuses, the notifier is kept).
 *
 * When: a status write with DRIVER_OK starts (after the status is set); one
 * without DRIVER_OK stops (before the status is set); a device reset, a
 * legacy reset (queue PFN 0), the guest clearing bus mastering and unplug
 * stop; VM stop stops ioeventfd and then the backend, VM resume starts the
 * backend and then ioeventfd.  A vhost-style user may grab the notifiers
 * (counted): the first grab stops ioeventfd in the proxy's loop and, while
 * started, the notifiers are served by the grabber's loop instead; the last
 * release moves them back.  ioeventfd only starts while the device may
 * process its queues: DRIVER_OK set, bus mastering on, the VM running, not
 * unplugged (there is no workaround for guests that never set bus master).
 *
 * Notify addresses: legacy PIO QUEUE_NOTIFY (2 bytes, datamatch = queue
 * index); modern MMIO notify_base + n * notify_multiplier (length 0 when
 * KVM offers any-length ioeventfds, else 2 bytes, no datamatch).
 *
 * Locking: every function named *_locked expects the VMM's big lock
 * (config.lock, QEMU's global mutex) held by the caller; the event loops
 * call the proxy's handlers with that lock held.  Guest-reachable inputs
 * (register writes of any value, rings in any state) never abort: a bad
 * access is ignored and reported as a negative errno.
 */
#ifndef KVMSIM_CORE_VIRTIO_PCI_H
#define KVMSIM_CORE_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"
#include "core/virtqueue.h"

#define VIRTIO_PCI_QUEUE_MAX 8

/* Legacy I/O BAR registers (offset, width). */
#define VIRTIO_PCI_HOST_FEATURES 0  /* 4, read-only */
#define VIRTIO_PCI_GUEST_FEATURES 4 /* 4 */
#define VIRTIO_PCI_QUEUE_PFN 8      /* 4; 0 resets the device */
#define VIRTIO_PCI_QUEUE_NUM 12     /* 2, read-only */
#define VIRTIO_PCI_QUEUE_SEL 14     /* 2 */
#define VIRTIO_PCI_QUEUE_NOTIFY 16  /* 2, write-only */
#define VIRTIO_PCI_STATUS 18        /* 1 */
#define VIRTIO_PCI_ISR 19           /* 1, read-only */
#define VIRTIO_PCI_LEGACY_SIZE 20

/* Modern common configuration structure (MMIO) registers. */
#define VIRTIO_PCI_COMMON_NUMQ 0x12     /* 2, read-only */
#define VIRTIO_PCI_COMMON_STATUS 0x14   /* 1; 0 resets the device */
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16 /* 2 */
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18   /* 2; a power of two <= the max */
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c /* 2; 1 places the rings */
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e   /* 2, read-only: queue index */
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20 /* 4 each, or 8 at the LO offset */
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_SIZE 0x38

/* Device status bits. */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 0x01
#define VIRTIO_CONFIG_S_DRIVER 0x02
#define VIRTIO_CONFIG_S_DRIVER_OK 0x04
#define VIRTIO_CONFIG_S_FEATURES_OK 0x08
#define VIRTIO_CONFIG_S_FAILED 0x80

/* PCI command register: bus master enable. */
#define VIRTIO_PCI_COMMAND_MASTER 0x4

enum virtio_pci_kind {
    VIRTIO_PCI_KIND_NET = 1,
    VIRTIO_PCI_KIND_BLK = 2,
    VIRTIO_PCI_KIND_CONSOLE = 3, /* a kind whose guests may spin on kicks */
};

enum virtio_pci_transport {
    VIRTIO_PCI_LEGACY = 0, /* I/O BAR, QUEUE_PFN, PIO QUEUE_NOTIFY */
    VIRTIO_PCI_MODERN = 1, /* MMIO common config and per-queue notify */
};

enum virtio_pci_ioeventfd {
    VIRTIO_PCI_IOEVENTFD_DEFAULT = 0, /* virtio_pci_ioeventfd_default() */
    VIRTIO_PCI_IOEVENTFD_ON = 1,
    VIRTIO_PCI_IOEVENTFD_OFF = 2,
};

/* A handler the event loop calls with the big lock held. */
typedef void virtio_pci_handler_fn(void *opaque);

/* An event loop (the iothread, or a vhost-style worker) as the proxy sees
 * it.  set_handler installs fn(opaque) as e's handler, or removes e's
 * handler when fn is NULL; it is called with the big lock held.  Contract:
 * after each signal of e raised while the handler is installed, the loop
 * calls the handler at some later time, with the big lock held (it may
 * call it spuriously); it need not notice a signal raised before the
 * handler was installed; once a removal returned it never calls that
 * handler again and no longer touches e. */
struct virtio_pci_loop {
    void (*set_handler)(void *loop, struct plat_eventfd *e,
                        virtio_pci_handler_fn *fn, void *opaque);
    void *loop;
};

/* The virtio device behind the proxy (the backend: blk, net, ...). */
struct virtio_dev_ops {
    /* Take what the driver made available on queue n.  Called with the big
     * lock held and only while the device may process (DRIVER_OK, bus
     * mastering, VM running, not unplugged). */
    void (*handle_output)(void *dev, unsigned n, struct virtqueue *vq);
    /* Device reset or unplug: finish everything in flight (the proxy then
     * forgets the rings).  Big lock held. */
    void (*reset)(void *dev);
    /* The VM's run state (may be NULL).  Started before ioeventfd on
     * resume, stopped after it on stop.  Big lock held. */
    void (*set_running)(void *dev, bool running);
};

struct virtio_pci_config {
    const char *name;                      /* trace label */
    enum virtio_pci_kind kind;
    enum virtio_pci_transport transport;
    enum virtio_pci_ioeventfd ioeventfd;   /* the property */
    unsigned nqueues;           /* 1..VIRTIO_PCI_QUEUE_MAX */
    uint16_t queue_size;        /* every queue's maximum (a power of two) */
    uint64_t legacy_base;       /* legacy: I/O port of the BAR */
    uint64_t common_base;       /* modern: MMIO address of common config */
    uint64_t notify_base;       /* modern: MMIO address of queue 0's
                                   notify register */
    uint32_t notify_multiplier; /* modern: bytes between queues' notify
                                   registers (even, >= 2; 0 means 4) */
    bool vm_stopped;            /* created for an incoming migration: the
                                   VM is not running yet */
    struct plat_kvm *kvm;
    struct plat_lock *lock;     /* the VMM's big lock */
    struct virtio_pci_loop loop;        /* the proxy's own event loop */
    const struct virtio_dev_ops *dev_ops;
    void *dev;
    const struct virtio_mem *mem;       /* guest memory (borrowed) */
};

struct virtio_pci;

/* One queue and its host notifier. */
struct virtio_pci_queue {
    struct virtqueue vq;
    struct plat_eventfd notifier; /* valid while live */
    bool live;                    /* initialised and not yet released */
    bool assigned;                /* KVM holds it */
    uint32_t notify_len;          /* length it was assigned with */
    const struct virtio_pci_loop *loop; /* where its handler is, or NULL */
    struct virtio_pci *proxy;
    unsigned index;
    uint64_t desc, avail, used;   /* modern: addresses before enable */
};

struct virtio_pci_stats {
    uint64_t starts;          /* notifier sets started (either loop) */
    uint64_t stops;           /* notifier sets stopped */
    uint64_t assigns;         /* KVM_IOEVENTFD assigns accepted */
    uint64_t deassigns;       /* KVM_IOEVENTFD deassigns accepted */
    uint64_t assign_errors;   /* assigns KVM refused */
    uint64_t deassign_errors; /* deassigns KVM refused (notifier kept) */
    uint64_t fallbacks;       /* starts that turned ioeventfd off */
    uint64_t notifier_kicks;  /* queue runs from a handler */
    uint64_t post_stop_kicks; /* kicks found signalled after a deassign */
    uint64_t sync_kicks;      /* notify writes handled in userspace */
    uint64_t gated_kicks;     /* kicks while the device may not process */
    uint64_t bad_accesses;    /* register accesses ignored */
};

struct virtio_pci {
    struct virtio_pci_config cfg;
    uint8_t status;
    uint16_t command;
    uint16_t queue_sel;
    uint32_t guest_features;
    bool use_ioeventfd;  /* the property; a failed start clears it */
    bool started;        /* ioeventfd is on (the started flag) */
    bool running;        /* the VM runs */
    bool unplugged;
    unsigned grabbed;    /* vhost-style grab count */
    struct virtio_pci_loop grab_loop; /* the first grabber's loop */
    struct virtio_pci_queue q[VIRTIO_PCI_QUEUE_MAX];
    struct virtio_pci_stats stats;
};

/* Migratable state (what QEMU's virtio_save keeps for the notify path). */
struct virtio_pci_queue_state {
    uint16_t num;
    bool ready;
    uint64_t desc, avail, used;
    uint16_t last_avail_idx;
    uint16_t used_idx;
};

struct virtio_pci_state {
    uint8_t status;
    uint16_t command;
    uint16_t queue_sel;
    uint32_t guest_features;
    unsigned nqueues;
    struct virtio_pci_queue_state q[VIRTIO_PCI_QUEUE_MAX];
};

/* The ioeventfd property's default for a device kind: on for blk and net
 * (the seed's devices), off for kinds whose guests may expect a kick to be
 * processed before the write returns. */
bool virtio_pci_ioeventfd_default(enum virtio_pci_kind kind);

/* Set up a proxy (nothing assigned, device reset).  -EINVAL for a bad
 * configuration.  Allocates nothing; needs no teardown once unplugged. */
int virtio_pci_init(struct virtio_pci *p, const struct virtio_pci_config *cfg);

/* ---- guest accesses (a vCPU's exit completed in userspace) ---- */

/* Legacy I/O BAR at offset off, len bytes.  0, or -EINVAL for an access
 * that fits no register (ignored), -ENODEV after unplug. */
int virtio_pci_legacy_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint32_t val, unsigned len);
int virtio_pci_legacy_read_locked(struct virtio_pci *p, uint64_t off,
                                  unsigned len, uint32_t *val);
/* Modern common configuration at offset off. */
int virtio_pci_common_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint64_t val, unsigned len);
int virtio_pci_common_read_locked(struct virtio_pci *p, uint64_t off,
                                  unsigned len, uint64_t *val);
/* Modern notify region at offset off from notify_base (the queue is
 * off / notify_multiplier; the value is not used). */
int virtio_pci_notify_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint32_t val, unsigned len);
/* PCI config space write of the command register. */
int virtio_pci_set_command_locked(struct virtio_pci *p, uint16_t command);

/* ---- host side ---- */

/* Device reset from the host (system reset): ioeventfd stops, the device
 * and the PCI command register are reset. */
void virtio_pci_reset_locked(struct virtio_pci *p);
/* VM run state change (QEMU's vm change state handler). */
void virtio_pci_vm_state_change_locked(struct virtio_pci *p, bool running);
/* vhost-style grab and release of the host notifiers.  Grab: 0, -EBUSY
 * when grabbed already through another loop, -EINVAL for a NULL loop,
 * -ENODEV after unplug.  Release: 0, or -EINVAL when not grabbed. */
int virtio_pci_grab_notifiers_locked(struct virtio_pci *p,
                                     const struct virtio_pci_loop *loop);
int virtio_pci_release_notifiers_locked(struct virtio_pci *p);
/* Hot unplug: ioeventfd stops, the backend finishes what is in flight,
 * the rings are forgotten; later guest accesses get -ENODEV. */
void virtio_pci_unplug_locked(struct virtio_pci *p);

/* Migration.  Save: -EBUSY while the VM runs.  Load (into a proxy created
 * with vm_stopped): -EBUSY while the VM runs, -EINVAL for a state that
 * does not fit this device (the proxy is then unchanged).  ioeventfd
 * starts at the resume that follows. */
int virtio_pci_save_locked(struct virtio_pci *p, struct virtio_pci_state *s);
int virtio_pci_load_locked(struct virtio_pci *p,
                           const struct virtio_pci_state *s);

/* ---- queries ---- */

/* Queue n, or NULL when n is out of range. */
struct virtqueue *virtio_pci_vq(struct virtio_pci *p, unsigned n);
/* Host notifiers KVM holds right now. */
unsigned virtio_pci_assigned(const struct virtio_pci *p);
/* Whether the device may process its queues now. */
bool virtio_pci_may_process(const struct virtio_pci *p);
/* The notifier request for queue n as KVM_IOEVENTFD gets it (efd NULL). */
void virtio_pci_notify_ioeventfd(const struct virtio_pci *p, unsigned n,
                                 struct plat_ioeventfd *io);

#endif
