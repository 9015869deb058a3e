/*
 * core/msix.h - the guest's view of a PCI MSI-X capability, as the VMM
 * emulates it: a table of messages with per-vector mask bits, a pending
 * bit per vector, the enable and function-mask bits, and vector notifiers.
 *
 * With notifiers set, unmasking a vector calls `use` and masking it calls
 * `release`, so a device model (VFIO) can route unmasked vectors through
 * KVM and fall back to userspace emulation while masked.  msix_notify()
 * is the userspace delivery path: a masked vector only sets its pending
 * bit, and unmasking a pending vector delivers it once.
 */
#ifndef KVMSIM_CORE_MSIX_H
#define KVMSIM_CORE_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"

struct msix_entry {
    uint64_t address;
    uint32_t data;
    bool masked;
    bool pending;
};

/* use: 0, or a negative errno that aborts msix_set_vector_notifiers(). */
typedef int (*msix_use_fn)(void *opaque, unsigned nr, uint64_t address,
                           uint32_t data);
typedef void (*msix_release_fn)(void *opaque, unsigned nr);

struct msix_cap {
    unsigned nr;
    struct msix_entry *table;
    bool enabled;
    bool func_masked;
    msix_use_fn use;          /* NULL: no notifiers */
    msix_release_fn release;
    void *opaque;
    struct plat_kvm *kvm;     /* userspace delivery: KVM_SIGNAL_MSI */
    uint32_t devid;
};

/* Every vector starts masked with an empty message.  -EINVAL for nr 0 or
 * above 2048, -ENOMEM. */
int msix_init(struct msix_cap *m, unsigned nr, struct plat_kvm *kvm,
              uint32_t devid);
void msix_destroy(struct msix_cap *m);

/* Guest writes.  Out-of-range vectors are ignored (a guest can write any
 * table offset).  msix_set_masked() runs the notifiers when they are set
 * and the capability is enabled; an unmask whose `use` fails leaves the
 * vector unmasked, delivered through userspace. */
void msix_set_message(struct msix_cap *m, unsigned nr, uint64_t address,
                      uint32_t data);
void msix_set_masked(struct msix_cap *m, unsigned nr, bool masked);
/* The control register's enable bit (notifier changes are the device
 * model's business: VFIO enables and disables around this). */
void msix_set_enabled(struct msix_cap *m, bool enabled);
bool msix_is_masked(const struct msix_cap *m, unsigned nr);

/* Install notifiers and call `use` for every unmasked vector, in order.
 * If one fails, `release` is called for those already used and the error
 * returned; the notifiers stay unset. */
int msix_set_vector_notifiers(struct msix_cap *m, msix_use_fn use,
                              msix_release_fn release, void *opaque);
/* Call `release` for every unmasked vector and remove the notifiers. */
void msix_unset_vector_notifiers(struct msix_cap *m);

/* Userspace delivery of vector nr: pending when masked, else one MSI. */
void msix_notify(struct msix_cap *m, unsigned nr);

#endif
