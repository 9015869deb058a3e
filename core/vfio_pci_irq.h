/*
 * core/vfio_pci_irq.h - MSI and MSI-X of an assigned (VFIO) PCI device, as
 * the VMM sets them up: a KVM route and irqfd per used vector, host
 * triggers through VFIO_DEVICE_SET_IRQS, and a userspace fallback path.
 *
 * Each vector has two eventfds: `kvm_interrupt`, bound by an irqfd to the
 * vector's GSI so the kernel injects without the VMM, and `interrupt`, which
 * the VMM services itself (vfio_pci_irq_service) and delivers through the
 * emulated capability.  The host trigger of a vector is `kvm_interrupt`
 * when the vector has a GSI, else `interrupt`.
 *
 * Two ways to set up many vectors at once (variants):
 *   VFIO_IRQ_PER_VECTOR  each vector adds its route, commits the routing
 *                        table, binds its irqfd, and re-enables the host
 *                        vectors when their count grows;
 *   VFIO_IRQ_BATCHED     vector-use callbacks only add routes and count
 *                        vectors; then one commit, every irqfd bound, and
 *                        the host vectors enabled once.
 * A vector whose route or irqfd cannot be set up releases its GSI and is
 * delivered through userspace: the device keeps working.
 *
 * Not thread-safe: callers serialise (QEMU's global lock).
 */
#ifndef KVMSIM_CORE_VFIO_PCI_IRQ_H
#define KVMSIM_CORE_VFIO_PCI_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/kvm_routes.h"
#include "core/msix.h"
#include "core/platform.h"

enum vfio_irq_batching {
    VFIO_IRQ_PER_VECTOR = 0,
    VFIO_IRQ_BATCHED = 1,
};

enum vfio_int_mode {
    VFIO_INT_NONE = 0,
    VFIO_INT_MSI,
    VFIO_INT_MSIX,
};

struct vfio_pci_irq;

struct vfio_msi_vector {
    struct vfio_pci_irq *dev;
    struct plat_eventfd interrupt;     /* userspace path */
    struct plat_eventfd kvm_interrupt; /* irqfd path */
    int virq;                          /* GSI, or -1 */
    bool use;
    bool irqfd;                        /* kvm_interrupt bound to virq */
};

struct vfio_pci_irq {
    struct kvm_routes *routes;
    struct plat_vfio_dev *vdev;
    uint32_t devid;
    enum vfio_irq_batching batching;
    enum vfio_int_mode interrupt;
    struct msix_cap msix;              /* the guest's MSI-X capability */
    /* the guest's MSI capability: vector i sends (msi_address, data | i) */
    uint64_t msi_address;
    uint32_t msi_data;
    unsigned msi_nr;                   /* vectors the guest allocated */
    unsigned msi_max;                  /* vectors the device offers */
    struct vfio_msi_vector *vectors;   /* capacity max(msix.nr, msi_max) */
    struct plat_eventfd **triggers;    /* scratch for SET_IRQS, same size */
    unsigned nr_vectors;               /* vectors enabled on the host */
    bool defer_kvm_irq_routing;
    /* statistics */
    uint64_t fallbacks;        /* vectors put on the userspace path */
    uint64_t host_errors;      /* VFIO_DEVICE_SET_IRQS failures given up on */
    uint64_t msi_retries;      /* MSI enables retried with fewer vectors */
};

/* msix_nr MSI-X vectors and msi_max MSI vectors (either may be 0 but not
 * both).  -EINVAL, -ENOMEM. */
int vfio_pci_irq_init(struct vfio_pci_irq *d, struct kvm_routes *routes,
                      struct plat_vfio_dev *vdev, struct plat_kvm *kvm,
                      uint32_t devid, unsigned msix_nr, unsigned msi_max,
                      enum vfio_irq_batching batching);
/* Disables whatever is enabled, then frees. */
void vfio_pci_irq_destroy(struct vfio_pci_irq *d);

/* The guest sets or clears the MSI-X enable bit.  Enabling sets up every
 * unmasked vector; 0, -ENOMEM, or a host error when no vector could be
 * enabled on the host (the capability stays enabled; vectors fall back). */
int vfio_msix_enable(struct vfio_pci_irq *d);
void vfio_msix_disable(struct vfio_pci_irq *d);
/* The guest masks or unmasks one MSI-X table entry. */
void vfio_msix_mask(struct vfio_pci_irq *d, unsigned nr, bool masked);

/* The guest enables MSI with nr vectors (1..msi_max) and message
 * (address, data).  When the host grants fewer, the enable is retried with
 * the granted count.  0, -EINVAL, -ENOMEM or a host error. */
int vfio_msi_enable(struct vfio_pci_irq *d, unsigned nr, uint64_t address,
                    uint32_t data);
void vfio_msi_disable(struct vfio_pci_irq *d);

/* The VMM's event loop: deliver every vector whose userspace eventfd was
 * signalled.  Returns how many were. */
unsigned vfio_pci_irq_service(struct vfio_pci_irq *d);

/* The message vector nr sends in the current mode (for checkers). */
bool vfio_pci_irq_message(const struct vfio_pci_irq *d, unsigned nr,
                          uint64_t *address, uint32_t *data);

#endif
