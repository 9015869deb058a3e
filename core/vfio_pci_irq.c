/*
 * core/vfio_pci_irq.c - VFIO MSI/MSI-X setup with per-vector or batched KVM
 * route commits.
 *
 * The flow follows the VMM's: enabling MSI-X installs vector notifiers on
 * the emulated capability, whose `use` callback sets a vector up (route,
 * irqfd, host trigger) and whose `release` callback moves a masked vector's
 * host trigger to the userspace eventfd so the capability can keep its
 * pending bit.  In batched mode the `use` callbacks only add routes, and
 * vfio_commit_batch() does the rest once for every vector.
 */
#include <errno.h>
#include <string.h>

#include "core/testcase.h"
#include "core/vfio_pci_irq.h"

#define VFIO_SET_IRQS_TRIES 3

static unsigned capacity(const struct vfio_pci_irq *d)
{
    return d->msix.nr > d->msi_max ? d->msix.nr : d->msi_max;
}

/* ---- host side: VFIO_DEVICE_SET_IRQS ---- */

/* A transient -EIO is retried a few times before it is given up on. */
static int host_set_irqs(struct vfio_pci_irq *d,
                         enum plat_vfio_irq_index index, unsigned start,
                         unsigned count, struct plat_eventfd *const *efds)
{
    int rc = -EIO;

    for (int i = 0; i < VFIO_SET_IRQS_TRIES && rc == -EIO; i++) {
        KVMSIM_MARK_IF(i > 0, VFIO_IRQ_SET_IRQS_RETRY);
        rc = plat_vfio_set_irqs(d->vdev, index, start, count, efds);
    }
    if (rc < 0) {
        KVMSIM_MARK(VFIO_IRQ_SET_IRQS_GAVE_UP);
        d->host_errors++;
    }
    return rc;
}

/* The eventfd the host signals for vector nr: the irqfd path when the
 * vector has a GSI and the guest has it unmasked, else the userspace path
 * (where the capability keeps a masked vector's pending bit). */
static struct plat_eventfd *host_trigger(struct vfio_pci_irq *d, unsigned nr)
{
    struct vfio_msi_vector *v = &d->vectors[nr];

    if (v->virq < 0 ||
        (d->interrupt == VFIO_INT_MSIX && msix_is_masked(&d->msix, nr))) {
        return &v->interrupt;
    }
    return &v->kvm_interrupt;
}

static enum plat_vfio_irq_index cur_index(const struct vfio_pci_irq *d)
{
    return d->interrupt == VFIO_INT_MSI ? PLAT_VFIO_IRQ_MSI
                                        : PLAT_VFIO_IRQ_MSIX;
}

/* Enable vectors [0, nr_vectors) on the host with their triggers.  Returns
 * the host's answer: 0, a smaller count it can grant (MSI), or an error. */
static int enable_vectors(struct vfio_pci_irq *d)
{
    struct plat_eventfd **efds = d->triggers;
    int rc;

    for (unsigned i = 0; i < d->nr_vectors; i++) {
        struct vfio_msi_vector *v = &d->vectors[i];

        efds[i] = v->use ? host_trigger(d, i) : NULL;
    }
    plat_trace_begin("enable host vectors");
    rc = host_set_irqs(d, cur_index(d), 0, d->nr_vectors, efds);
    plat_trace_end();
    return rc;
}

/* 0, or the host's error: then it keeps signalling the old triggers. */
static int disable_index(struct vfio_pci_irq *d,
                         enum plat_vfio_irq_index index)
{
    return host_set_irqs(d, index, 0, 0, NULL);
}

static void set_signaling(struct vfio_pci_irq *d, unsigned nr,
                          struct plat_eventfd *efd)
{
    (void)host_set_irqs(d, cur_index(d), nr, 1, &efd);
}

/* ---- KVM side ---- */

static void vector_fallback(struct vfio_pci_irq *d, struct vfio_msi_vector *v)
{
    if (v->virq >= 0) {
        kvm_routes_release(d->routes, (uint32_t)v->virq);
    }
    v->virq = -1;
    v->irqfd = false;
    d->fallbacks++;
    plat_trace_instant("vector falls back to userspace", 0);
}

static void bind_irqfd(struct vfio_pci_irq *d, struct vfio_msi_vector *v)
{
    if (kvm_routes_irqfd(d->routes, &v->kvm_interrupt, (uint32_t)v->virq,
                         true) < 0) {
        KVMSIM_MARK(VFIO_IRQ_IRQFD_FALLBACK);
        vector_fallback(d, v);
        return;
    }
    v->irqfd = true;
}

static void add_kvm_msi_virq(struct vfio_pci_irq *d,
                             struct vfio_msi_vector *v, uint64_t address,
                             uint32_t data)
{
    int gsi = kvm_routes_add_msi(d->routes, address, data, d->devid);

    if (gsi < 0) {
        KVMSIM_MARK(VFIO_IRQ_GSI_ALLOC_FALLBACK);
        vector_fallback(d, v);
        return;
    }
    v->virq = gsi;
    if (d->defer_kvm_irq_routing) {
        return;
    }
    if (kvm_routes_commit(d->routes) < 0) {
        KVMSIM_MARK(VFIO_IRQ_COMMIT_FALLBACK);
        vector_fallback(d, v);
        return;
    }
    bind_irqfd(d, v);
}

static void remove_kvm_msi_virq(struct vfio_pci_irq *d,
                                struct vfio_msi_vector *v)
{
    if (v->irqfd) {
        kvm_routes_irqfd(d->routes, &v->kvm_interrupt, (uint32_t)v->virq,
                         false);
        v->irqfd = false;
    }
    if (v->virq >= 0) {
        kvm_routes_release(d->routes, (uint32_t)v->virq);
    }
    v->virq = -1;
}

static void update_kvm_msi_virq(struct vfio_pci_irq *d,
                                struct vfio_msi_vector *v, uint64_t address,
                                uint32_t data)
{
    kvm_routes_update_msi(d->routes, (uint32_t)v->virq, address, data,
                          d->devid);
    if (kvm_routes_commit(d->routes) < 0) {
        KVMSIM_MARK(VFIO_IRQ_UPDATE_COMMIT_FALLBACK);
        remove_kvm_msi_virq(d, v);
        d->fallbacks++;
    }
}

/* ---- vectors ---- */

static void vector_init(struct vfio_pci_irq *d, struct vfio_msi_vector *v)
{
    if (v->use) {
        return;
    }
    plat_work(PLAT_WORK_VFIO_VECTOR_USE, 1);
    plat_eventfd_init(&v->interrupt, "vfio msi (userspace)");
    plat_eventfd_init(&v->kvm_interrupt, "vfio msi (irqfd)");
    v->dev = d;
    v->virq = -1;
    v->irqfd = false;
    v->use = true;
}

/* host_off: the host no longer signals the vector's eventfds.  When it
 * may (its disable failed), they stay initialised: a late signal then
 * finds a live eventfd that nobody reads, and vector_init() starts it
 * afresh. */
static void vector_fini(struct vfio_pci_irq *d, struct vfio_msi_vector *v,
                        bool host_off)
{
    if (!v->use) {
        return;
    }
    remove_kvm_msi_virq(d, v);
    if (host_off) {
        plat_eventfd_destroy(&v->interrupt);
        plat_eventfd_destroy(&v->kvm_interrupt);
    }
    v->use = false;
}

static void prepare_batch(struct vfio_pci_irq *d)
{
    d->defer_kvm_irq_routing = d->batching == VFIO_IRQ_BATCHED;
}

/* One commit for every route added while deferring, then every irqfd. */
static void commit_batch(struct vfio_pci_irq *d)
{
    int rc;

    if (!d->defer_kvm_irq_routing) {
        return;
    }
    d->defer_kvm_irq_routing = false;
    if (d->nr_vectors == 0) {
        return;
    }
    plat_trace_begin("commit batch");
    rc = kvm_routes_commit(d->routes);
    for (unsigned i = 0; i < d->nr_vectors; i++) {
        struct vfio_msi_vector *v = &d->vectors[i];

        if (!v->use || v->virq < 0) {
            continue;
        }
        if (rc < 0) {
            KVMSIM_MARK(VFIO_IRQ_BATCH_COMMIT_FALLBACK);
            vector_fallback(d, v);
        } else {
            bind_irqfd(d, v);
        }
    }
    plat_trace_end();
}

/* `use` for vector nr; has_msg false sets the vector up on the userspace
 * path only. */
static int msix_vector_do_use(struct vfio_pci_irq *d, unsigned nr,
                              bool has_msg, uint64_t address, uint32_t data)
{
    struct vfio_msi_vector *v;

    if (nr >= d->msix.nr) {
        return -EINVAL;
    }
    v = &d->vectors[nr];
    plat_trace_begin("msix vector use");
    vector_init(d, v);
    if (v->virq >= 0) {
        if (!has_msg) {
            remove_kvm_msi_virq(d, v);
        } else {
            update_kvm_msi_virq(d, v, address, data);
        }
    } else if (has_msg) {
        add_kvm_msi_virq(d, v, address, data);
    }
    if (d->nr_vectors < nr + 1) {
        d->nr_vectors = nr + 1;
        if (!d->defer_kvm_irq_routing) {
            /* The host cannot grow an enabled index in place. */
            (void)disable_index(d, PLAT_VFIO_IRQ_MSIX);
            (void)enable_vectors(d);
        }
    } else {
        set_signaling(d, nr, host_trigger(d, nr));
    }
    plat_trace_end();
    return 0;
}

static int msix_use_cb(void *opaque, unsigned nr, uint64_t address,
                       uint32_t data)
{
    return msix_vector_do_use(opaque, nr, true, address, data);
}

/* A masked vector is delivered through userspace, where the capability
 * keeps the pending bit; its route and irqfd stay for the unmask. */
static void msix_release_cb(void *opaque, unsigned nr)
{
    struct vfio_pci_irq *d = opaque;
    struct vfio_msi_vector *v;

    if (nr >= d->msix.nr || nr >= d->nr_vectors) {
        return;
    }
    v = &d->vectors[nr];
    if (v->use && v->virq >= 0) {
        set_signaling(d, nr, &v->interrupt);
    }
}

/* ---- public ---- */

int vfio_pci_irq_init(struct vfio_pci_irq *d, struct kvm_routes *routes,
                      struct plat_vfio_dev *vdev, struct plat_kvm *kvm,
                      uint32_t devid, unsigned msix_nr, unsigned msi_max,
                      enum vfio_irq_batching batching)
{
    int rc;

    memset(d, 0, sizeof(*d));
    if ((msix_nr == 0 && msi_max == 0) || msi_max > 32) {
        return -EINVAL;
    }
    d->routes = routes;
    d->vdev = vdev;
    d->devid = devid;
    d->batching = batching;
    d->msi_max = msi_max;
    if (msix_nr) {
        rc = msix_init(&d->msix, msix_nr, kvm, devid);
        if (rc < 0) {
            return rc;
        }
    }
    d->msix.kvm = kvm;
    d->vectors = plat_zalloc(capacity(d) * sizeof(*d->vectors));
    /* Allocated once, so enabling never fails for want of memory. */
    d->triggers = plat_zalloc(capacity(d) * sizeof(*d->triggers));
    if (!d->vectors || !d->triggers) {
        plat_free(d->vectors);
        plat_free(d->triggers);
        msix_destroy(&d->msix);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < capacity(d); i++) {
        d->vectors[i].virq = -1;
    }
    return 0;
}

static void disable_interrupts(struct vfio_pci_irq *d)
{
    if (d->interrupt == VFIO_INT_MSIX) {
        vfio_msix_disable(d);
    } else if (d->interrupt == VFIO_INT_MSI) {
        vfio_msi_disable(d);
    }
}

void vfio_pci_irq_destroy(struct vfio_pci_irq *d)
{
    disable_interrupts(d);
    msix_destroy(&d->msix);
    plat_free(d->vectors);
    plat_free(d->triggers);
    memset(d, 0, sizeof(*d));
}

int vfio_msix_enable(struct vfio_pci_irq *d)
{
    int rc = 0;

    if (d->msix.nr == 0) {
        return -EINVAL;
    }
    disable_interrupts(d);
    plat_trace_begin("vfio_msix_enable");
    d->interrupt = VFIO_INT_MSIX;
    d->nr_vectors = 0;
    msix_set_enabled(&d->msix, true);
    if (d->batching == VFIO_IRQ_BATCHED) {
        prepare_batch(d);
        rc = msix_set_vector_notifiers(&d->msix, msix_use_cb,
                                       msix_release_cb, d);
        commit_batch(d);
        if (d->nr_vectors) {
            if (enable_vectors(d) < 0) {
                rc = rc ? rc : -EIO;
            }
        } else {
            /* MSI-X on, no vector in use: the host must still see MSI-X
             * enabled, so enable vector 0 on the userspace path and
             * release it, as the guest's view has it. */
            msix_vector_do_use(d, 0, false, 0, 0);
            msix_release_cb(d, 0);
        }
    } else {
        msix_vector_do_use(d, 0, false, 0, 0);
        msix_release_cb(d, 0);
        rc = msix_set_vector_notifiers(&d->msix, msix_use_cb,
                                       msix_release_cb, d);
    }
    plat_trace_end();
    return rc;
}

void vfio_msix_disable(struct vfio_pci_irq *d)
{
    bool host_off;

    if (d->interrupt != VFIO_INT_MSIX) {
        return;
    }
    plat_trace_begin("vfio_msix_disable");
    msix_unset_vector_notifiers(&d->msix);
    host_off = disable_index(d, PLAT_VFIO_IRQ_MSIX) == 0;
    for (unsigned i = 0; i < capacity(d); i++) {
        vector_fini(d, &d->vectors[i], host_off);
    }
    /* Let the kernel forget the released routes now. */
    (void)kvm_routes_commit(d->routes);
    d->nr_vectors = 0;
    d->interrupt = VFIO_INT_NONE;
    msix_set_enabled(&d->msix, false);
    plat_trace_end();
}

void vfio_msix_mask(struct vfio_pci_irq *d, unsigned nr, bool masked)
{
    if (d->msix.nr) {
        msix_set_masked(&d->msix, nr, masked);
    }
}

int vfio_msi_enable(struct vfio_pci_irq *d, unsigned nr, uint64_t address,
                    uint32_t data)
{
    int rc;

    if (nr == 0 || nr > d->msi_max) {
        return -EINVAL;
    }
    disable_interrupts(d);
    plat_trace_begin("vfio_msi_enable");
    d->msi_address = address;
    d->msi_data = data;
    d->msi_nr = nr;
    d->nr_vectors = nr;
    d->interrupt = VFIO_INT_MSI;
    for (;;) {
        prepare_batch(d);
        for (unsigned i = 0; i < d->nr_vectors; i++) {
            vector_init(d, &d->vectors[i]);
            add_kvm_msi_virq(d, &d->vectors[i], address, data | i);
        }
        commit_batch(d);
        rc = enable_vectors(d);
        if (rc > 0 && (unsigned)rc < d->nr_vectors) {
            /* The host grants fewer: start over with that many. */
            KVMSIM_MARK(VFIO_IRQ_MSI_GRANTED_FEWER);
            for (unsigned i = 0; i < d->nr_vectors; i++) {
                vector_fini(d, &d->vectors[i], true);
            }
            d->nr_vectors = (unsigned)rc;
            d->msi_retries++;
            continue;
        }
        break;
    }
    plat_trace_end();
    return rc > 0 ? -EIO : rc;
}

void vfio_msi_disable(struct vfio_pci_irq *d)
{
    bool host_off;

    if (d->interrupt != VFIO_INT_MSI) {
        return;
    }
    host_off = disable_index(d, PLAT_VFIO_IRQ_MSI) == 0;
    for (unsigned i = 0; i < capacity(d); i++) {
        vector_fini(d, &d->vectors[i], host_off);
    }
    (void)kvm_routes_commit(d->routes);
    d->nr_vectors = 0;
    d->interrupt = VFIO_INT_NONE;
}

unsigned vfio_pci_irq_service(struct vfio_pci_irq *d)
{
    unsigned n = 0;

    for (unsigned i = 0; i < capacity(d); i++) {
        struct vfio_msi_vector *v = &d->vectors[i];

        if (!v->use || !plat_eventfd_test_and_clear(&v->interrupt)) {
            continue;
        }
        n++;
        if (d->interrupt == VFIO_INT_MSIX) {
            msix_notify(&d->msix, i);
        } else if (d->interrupt == VFIO_INT_MSI) {
            plat_kvm_signal_msi(d->msix.kvm, d->msi_address,
                                d->msi_data | i, d->devid);
        }
    }
    return n;
}

bool vfio_pci_irq_message(const struct vfio_pci_irq *d, unsigned nr,
                          uint64_t *address, uint32_t *data)
{
    if (d->interrupt == VFIO_INT_MSIX && nr < d->msix.nr) {
        *address = d->msix.table[nr].address;
        *data = d->msix.table[nr].data;
        return true;
    }
    if (d->interrupt == VFIO_INT_MSI && nr < d->nr_vectors) {
        *address = d->msi_address;
        *data = d->msi_data | nr;
        return true;
    }
    return false;
}
