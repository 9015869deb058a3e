/*
 * core/kvm_routes.h - the VMM's cache of the VM's KVM GSI routing table.
 *
 * The VMM owns the whole table: it allocates GSIs from a bitmap, adds and
 * removes MSI routes in its copy, and hands the whole copy to the kernel
 * with kvm_routes_commit() (KVM_SET_GSI_ROUTING).  Adding a route never
 * talks to the kernel; a commit with nothing changed is skipped.  Every
 * KVM_SET_GSI_ROUTING makes the kernel revisit every assigned irqfd, which
 * is why callers batch additions and commit once.
 *
 * Not thread-safe: callers serialise (QEMU holds its global lock).
 */
#ifndef KVMSIM_CORE_KVM_ROUTES_H
#define KVMSIM_CORE_KVM_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"

#define KVM_ROUTES_MAX 4096

struct kvm_routes {
    struct plat_kvm *kvm;
    uint32_t first_gsi;           /* GSIs below are the irqchip's pins */
    uint32_t gsi_limit;           /* one past the last usable GSI */
    uint64_t *gsi_used;           /* bitmap over [0, gsi_limit) */
    struct plat_msi_route *table; /* KVM_ROUTES_MAX entries */
    unsigned n;
    unsigned changes;             /* additions/removals not yet committed */
    uint64_t commits;             /* successful KVM_SET_GSI_ROUTING calls */
    uint64_t commits_skipped;     /* commits with nothing to do */
};

/* Usable GSIs are [first_gsi, gsi_limit), gsi_limit <= KVM_ROUTES_MAX.
 * -EINVAL for a bad range, -ENOMEM. */
int kvm_routes_init(struct kvm_routes *r, struct plat_kvm *kvm,
                    uint32_t first_gsi, uint32_t gsi_limit);
/* Frees the cache; the kernel's table is left as last committed. */
void kvm_routes_destroy(struct kvm_routes *r);

/* Allocate a GSI and append an MSI route for it to the cache (not to the
 * kernel).  Returns the GSI, or -ENOSPC when no GSI is free (fault site
 * PLAT_FAULT_GSI_ALLOC).  On error nothing changed. */
int kvm_routes_add_msi(struct kvm_routes *r, uint64_t address, uint32_t data,
                       uint32_t devid);
/* Change the message of an existing route; -ENOENT when gsi has none.
 * Counts as a change only when the message differs. */
int kvm_routes_update_msi(struct kvm_routes *r, uint32_t gsi,
                          uint64_t address, uint32_t data, uint32_t devid);
/* Remove gsi's route and free the GSI (the kernel keeps the old route
 * until the next commit).  A GSI that is not allocated is ignored. */
void kvm_routes_release(struct kvm_routes *r, uint32_t gsi);
/* Hand the whole cache to KVM_SET_GSI_ROUTING when something changed.
 * 0, or the kernel's error; on error the cache stays changed and the
 * kernel keeps its previous table. */
int kvm_routes_commit(struct kvm_routes *r);
bool kvm_routes_dirty(const struct kvm_routes *r);
bool kvm_routes_has(const struct kvm_routes *r, uint32_t gsi);
unsigned kvm_routes_allocated(const struct kvm_routes *r);

/* KVM_IRQFD assign/deassign of efd on gsi. */
int kvm_routes_irqfd(struct kvm_routes *r, struct plat_eventfd *efd,
                     uint32_t gsi, bool assign);

#endif
