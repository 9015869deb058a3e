/*
 * host/vfio_host.h - a fake VFIO device for the host backend: migration
 * state behind a mutex, stepped along core/vfio_migration.h's arcs, so
 * plat_vfio_set_state() and plat_vfio_reset() work under real threads
 * (ThreadSanitizer stress tests).  No interrupts; faults never fire.
 *
 * Each arc may burn `spin` iterations of busy work with the mutex
 * released between arcs, widening the windows in which racing callers
 * would show up.  Calls made while another call on the same device is in
 * flight are counted (overlaps): the VMM must not drive one device from
 * two threads at once.
 */
#ifndef KVMSIM_HOST_VFIO_HOST_H
#define KVMSIM_HOST_VFIO_HOST_H

#include <stdint.h>

#include "core/platform.h"

/* A RUNNING device supporting `flags` (VFIO_MIG_F_*).  NULL on ENOMEM or
 * unknown flags. */
struct plat_vfio_dev *host_vfio_create(unsigned flags, unsigned spin);
void host_vfio_destroy(struct plat_vfio_dev *dev);

enum plat_vfio_mig_state host_vfio_state(struct plat_vfio_dev *dev);
uint64_t host_vfio_arcs(struct plat_vfio_dev *dev);
uint64_t host_vfio_overlaps(struct plat_vfio_dev *dev);

#endif
