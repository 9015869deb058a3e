/*
 * core/fault.c - names of the fault sites declared in core/fault.h.
 *
 * The table is indexed by enum value; a test checks that every site has a
 * unique name so scenario files can address each one.
 */
#include <errno.h>
#include <string.h>

#include "core/fault.h"

static const char *const fault_names[PLAT_FAULT_NR] = {
    [PLAT_FAULT_ALLOC] = "alloc",
    [PLAT_FAULT_THREAD_CREATE] = "thread_create",
    [PLAT_FAULT_DEMO_SUBMIT] = "demo_submit",
    [PLAT_FAULT_KVM_SET_GSI_ROUTING] = "kvm_set_gsi_routing",
    [PLAT_FAULT_KVM_IRQFD] = "kvm_irqfd",
    [PLAT_FAULT_VFIO_SET_IRQS] = "vfio_set_irqs",
    [PLAT_FAULT_KVM_IOEVENTFD] = "kvm_ioeventfd",
    [PLAT_FAULT_VFIO_SET_STATE] = "vfio_set_state",
    [PLAT_FAULT_VFIO_RESET] = "vfio_reset",
    [PLAT_FAULT_GSI_ALLOC] = "gsi_alloc",
};

const char *plat_fault_site_name(unsigned site)
{
    if (site >= PLAT_FAULT_NR) {
        return NULL;
    }
    return fault_names[site];
}

int plat_fault_site_lookup(const char *name)
{
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        if (fault_names[i] && strcmp(fault_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -ENOENT;
}
