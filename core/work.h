/*
 * core/work.h - kinds of modelled work the core reports with plat_work().
 *
 * The simulator prices each kind from the cost model in model/; the host
 * backend ignores them.  Append new kinds at the end; the numbers appear in
 * traces and cost tables.
 */
#ifndef KVMSIM_CORE_WORK_H
#define KVMSIM_CORE_WORK_H

enum plat_work_kind {
    PLAT_WORK_DEMO_ITEM = 0,   /* demo: process one queued item */
    PLAT_WORK_IOBUS_PROBE = 1, /* I/O bus: one range comparison */
    PLAT_WORK_ITS_CACHE_PROBE = 2, /* ITS: one cache entry looked at */
    PLAT_WORK_ITS_TABLE_WALK = 3,  /* ITS: one walk of the ITS tables */
    PLAT_WORK_ITS_INJECT = 4,      /* ITS: injecting one LPI */
    PLAT_WORK_VFIO_VECTOR_USE = 5, /* VFIO: VMM setup of one vector */
    PLAT_WORK_NR
};

#endif
