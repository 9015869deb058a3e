/*
 * model/cost.c - default prices of the cost model.
 *
 * Foundation constants are assumptions of the right order of magnitude for
 * a current x86-64 server; mechanism constants are added with the
 * measurement or fit they come from.
 */
#include <string.h>

#include "model/cost.h"

void cost_model_default(struct cost_model *m)
{
    memset(m, 0, sizeof(*m));
    /* demo: assumed 200 ns to process one queued item */
    m->work_ns[PLAT_WORK_DEMO_ITEM] = 200;
    /* I/O bus probe: placeholder until the host benchmark provides it */
    m->work_ns[PLAT_WORK_IOBUS_PROBE] = 2;
    m->lock_ns = 20;           /* assumed: uncontended lock pair */
    m->lock_handoff_ns = 100;  /* assumed: cache-line transfer + wakeup */
    m->atomic_ns = 10;         /* assumed: one locked RMW */
    m->wakeup_ns = 2000;       /* assumed: futex wake to running, ~2 us */
    m->thread_create_ns = 20000; /* assumed: pthread_create, ~20 us */
    m->rcu_sync_ns = 5000;     /* assumed: expedited grace period */
}
