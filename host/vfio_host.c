/*
 * host/vfio_host.c - the host backend's fake VFIO device (see
 * vfio_host.h) and its plat_vfio_set_state() / plat_vfio_reset().
 *
 * Assumes the caller serialises nothing: every field is read and written
 * under the device's mutex or atomically.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/vfio_migration.h"
#include "host/vfio_host.h"

struct plat_vfio_dev {
    pthread_mutex_t mu;
    enum plat_vfio_mig_state state; /* under mu */
    unsigned flags;
    unsigned spin;
    uint64_t arcs;                  /* under mu */
    atomic_uint inflight;
    atomic_uint_fast64_t overlaps;
};

struct plat_vfio_dev *host_vfio_create(unsigned flags, unsigned spin)
{
    struct plat_vfio_dev *d;

    if (flags & ~VFIO_MIG_F_ALL) {
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (!d) {
        return NULL;
    }
    pthread_mutex_init(&d->mu, NULL);
    d->state = PLAT_VFIO_STATE_RUNNING;
    d->flags = flags;
    d->spin = spin;
    atomic_init(&d->inflight, 0);
    atomic_init(&d->overlaps, 0);
    return d;
}

void host_vfio_destroy(struct plat_vfio_dev *dev)
{
    if (!dev) {
        return;
    }
    pthread_mutex_destroy(&dev->mu);
    free(dev);
}

enum plat_vfio_mig_state host_vfio_state(struct plat_vfio_dev *dev)
{
    enum plat_vfio_mig_state s;

    pthread_mutex_lock(&dev->mu);
    s = dev->state;
    pthread_mutex_unlock(&dev->mu);
    return s;
}

uint64_t host_vfio_arcs(struct plat_vfio_dev *dev)
{
    uint64_t n;

    pthread_mutex_lock(&dev->mu);
    n = dev->arcs;
    pthread_mutex_unlock(&dev->mu);
    return n;
}

uint64_t host_vfio_overlaps(struct plat_vfio_dev *dev)
{
    return atomic_load(&dev->overlaps);
}

static void busy_work(unsigned spin)
{
    volatile unsigned sink = 0;

    for (unsigned i = 0; i < spin; i++) {
        sink += i;
    }
    (void)sink;
}

static void enter(struct plat_vfio_dev *d)
{
    if (atomic_fetch_add(&d->inflight, 1) > 0) {
        atomic_fetch_add(&d->overlaps, 1);
    }
}

static void leave(struct plat_vfio_dev *d)
{
    atomic_fetch_sub(&d->inflight, 1);
}

int plat_vfio_set_state(struct plat_vfio_dev *dev,
                        enum plat_vfio_mig_state state,
                        enum plat_vfio_mig_state *reached)
{
    int rc = 0;

    enter(dev);
    pthread_mutex_lock(&dev->mu);
    if (!vfio_mig_state_supported(state, dev->flags)) {
        rc = -EINVAL;
    }
    while (rc == 0 && dev->state != state) {
        enum plat_vfio_mig_state next;

        if (vfio_mig_next_step(dev->state, state, dev->flags, &next) < 0) {
            rc = -EINVAL;
            break;
        }
        /* The device works on the arc; others may look at it meanwhile. */
        pthread_mutex_unlock(&dev->mu);
        busy_work(dev->spin);
        pthread_mutex_lock(&dev->mu);
        dev->state = next;
        dev->arcs++;
    }
    if (reached) {
        *reached = dev->state;
    }
    pthread_mutex_unlock(&dev->mu);
    leave(dev);
    return rc;
}

int plat_vfio_reset(struct plat_vfio_dev *dev)
{
    enter(dev);
    busy_work(dev->spin);
    pthread_mutex_lock(&dev->mu);
    dev->state = PLAT_VFIO_STATE_RUNNING;
    pthread_mutex_unlock(&dev->mu);
    leave(dev);
    return 0;
}
