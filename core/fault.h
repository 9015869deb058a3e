/*
 * core/fault.h - the fault sites of kvmsim.
 *
 * Every call that can fail in a simulated run is one of these sites, and it
 * asks whether to fail through the single entry point plat_fault().  The
 * numbers are part of saved tapes and scenario files: append new sites at
 * the end, never renumber or reuse one.  Names are what scenario files and
 * --set use ("[faults] alloc = 0.01").
 */
#ifndef KVMSIM_CORE_FAULT_H
#define KVMSIM_CORE_FAULT_H

enum plat_fault_site {
    PLAT_FAULT_ALLOC = 0,         /* plat_alloc() returns NULL */
    PLAT_FAULT_THREAD_CREATE = 1, /* plat_thread_create() returns -EAGAIN */
    PLAT_FAULT_DEMO_SUBMIT = 2,   /* demo: a work submission is refused */
    PLAT_FAULT_KVM_SET_GSI_ROUTING = 3, /* KVM_SET_GSI_ROUTING fails */
    PLAT_FAULT_KVM_IRQFD = 4,     /* KVM_IRQFD assign fails */
    PLAT_FAULT_VFIO_SET_IRQS = 5, /* VFIO_DEVICE_SET_IRQS fails */
    PLAT_FAULT_KVM_IOEVENTFD = 6, /* KVM_IOEVENTFD assign fails */
    PLAT_FAULT_VFIO_SET_STATE = 7, /* a VFIO migration state change fails */
    PLAT_FAULT_VFIO_RESET = 8,    /* a VFIO device reset fails */
    PLAT_FAULT_GSI_ALLOC = 9,     /* the VMM's GSI allocator is exhausted */
    PLAT_FAULT_NR
};

/* Stable lowercase name of a site, or NULL for an out-of-range value. */
const char *plat_fault_site_name(unsigned site);

/* Site number for a name, or -ENOENT. */
int plat_fault_site_lookup(const char *name);

#endif
