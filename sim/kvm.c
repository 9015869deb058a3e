/*
 * sim/kvm.c - simulated KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_SIGNAL_MSI and
 * VFIO_DEVICE_SET_IRQS.
 *
 * The routing table is kept sorted by GSI.  An irqfd is a wakeup hook on
 * its eventfd: a signal looks the GSI up in the committed table and
 * delivers the MSI to the guest, or counts a drop when there is no route.
 * Replacing the routing table walks every assigned irqfd (that walk is the
 * per-irqfd part of its cost), as KVM re-resolves each irqfd's route.
 *
 * The tables here are the simulated kernel's own: each call changes them
 * without a scheduling point in between, so they are engine state for
 * ThreadSanitizer (sim/tsan.h).  What the kernel calls in core/ (the I/O
 * bus, ioeventfds) stays instrumented.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coalesced_mmio.h"
#include "core/ioeventfd.h"
#include "sim/internal.h"
#include "sim/kvm.h"
#include "sim/liveness.h"
#include "sim/tsan.h"
#include "sim/vfio_mig.h"

SIM_TSAN_ENGINE_BEGIN

struct sim_irqfd {
    struct plat_eventfd *efd; /* identity only */
    uint32_t gsi;
    struct plat_kvm *kvm;
};

struct sim_msi_count {
    uint64_t address;
    uint32_t data;
    uint64_t count;
};

struct plat_kvm {
    unsigned nvcpus;
    struct plat_msi_route *routes; /* committed table, sorted by GSI */
    unsigned nroutes, routes_cap;
    struct plat_msi_route *spare;  /* the next table is built here */
    unsigned spare_cap;
    struct sim_irqfd **irqfds;
    unsigned nirqfds, irqfd_cap;
    struct sim_msi_count *msis;  /* guest's receive counts, sorted */
    unsigned nmsis, msi_cap;
    uint64_t delivered, dropped, bound_before_route, commits;
    /* I/O: the VM's buses, its ioeventfds and coalesced MMIO zones */
    struct iobus_set io;
    struct ioeventfd_set ioeventfds;
    struct coalesced_mmio_set cmmio;
    bool any_length;
    uint64_t io_exits_kernel, io_exits_user;
};

SIM_UNCOVERED
static void charge(uint64_t ns)
{
    if (sim_active && ns) {
        sim_charge(sim_active, ns);
    } else if (sim_active) {
        sim_sched_point(sim_active);
    }
}

SIM_UNCOVERED
static const struct cost_model *cost(void)
{
    static struct cost_model defaults;
    static bool init;

    if (sim_active) {
        return &sim_active->cost;
    }
    if (!init) {
        cost_model_default(&defaults);
        init = true;
    }
    return &defaults;
}

struct plat_kvm *sim_kvm_create(unsigned nvcpus)
{
    struct plat_kvm *k = calloc(1, sizeof(*k));

    if (k) {
        k->nvcpus = nvcpus;
        k->any_length = true;
        iobus_set_init(&k->io, IOBUS_LOOKUP_BSEARCH);
        ioeventfd_set_init(&k->ioeventfds, &k->io);
        coalesced_mmio_init(&k->cmmio, &k->io);
    }
    return k;
}

void sim_kvm_destroy(struct plat_kvm *kvm)
{
    if (!kvm) {
        return;
    }
    for (unsigned i = 0; i < kvm->nirqfds; i++) {
        sim_eventfd_set_hook(kvm->irqfds[i]->efd, NULL, NULL);
        free(kvm->irqfds[i]);
    }
    ioeventfd_set_fini(&kvm->ioeventfds);
    coalesced_mmio_fini(&kvm->cmmio);
    iobus_set_destroy(&kvm->io);
    free(kvm->irqfds);
    free(kvm->msis);
    free(kvm->routes);
    free(kvm->spare);
    free(kvm);
}

SIM_UNCOVERED
static const struct plat_msi_route *route_find(const struct plat_kvm *k,
                                               uint32_t gsi)
{
    unsigned lo = 0, hi = k->nroutes;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;

        if (k->routes[mid].gsi < gsi) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < k->nroutes && k->routes[lo].gsi == gsi ? &k->routes[lo]
                                                        : NULL;
}

static void guest_receive(struct plat_kvm *k, uint64_t address,
                          uint32_t data)
{
    unsigned lo = 0, hi = k->nmsis;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct sim_msi_count *m = &k->msis[mid];

        if (m->address < address ||
            (m->address == address && m->data < data)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == k->nmsis || k->msis[lo].address != address ||
        k->msis[lo].data != data) {
        SIM_TSAN_IGNORE_BEGIN();
        if (k->nmsis == k->msi_cap) {
            unsigned cap = k->msi_cap ? k->msi_cap * 2 : 64;
            struct sim_msi_count *n = realloc(k->msis, cap * sizeof(*n));

            if (!n) {
                sim_panic("out of memory counting guest interrupts");
            }
            k->msis = n;
            k->msi_cap = cap;
        }
        memmove(&k->msis[lo + 1], &k->msis[lo],
                (k->nmsis - lo) * sizeof(k->msis[0]));
        k->msis[lo] = (struct sim_msi_count){address, data, 0};
        k->nmsis++;
        SIM_TSAN_IGNORE_END();
    }
    k->msis[lo].count++;
    k->delivered++;
    if (sim_active) {
        sim_emit(sim_active, SIM_EV_INSTANT, "guest msi", (int64_t)data, 0);
    }
}

static void irqfd_deliver(struct plat_kvm *k, struct sim_irqfd *f)
{
    const struct plat_msi_route *r = route_find(k, f->gsi);

    if (!r) {
        k->dropped++;
        if (sim_active) {
            sim_emit(sim_active, SIM_EV_INSTANT, "irqfd drop: no route",
                     (int64_t)f->gsi, 0);
        }
        return;
    }
    guest_receive(k, r->address, r->data);
}

static void irqfd_wakeup(void *arg, struct plat_eventfd *e)
{
    struct sim_irqfd *f = arg;

    if (sim_eventfd_consume(e)) {
        irqfd_deliver(f->kvm, f);
    }
}

SIM_UNCOVERED
static int cmp_route(const void *a, const void *b)
{
    const struct plat_msi_route *x = a, *y = b;

    return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

int plat_kvm_set_gsi_routing(struct plat_kvm *kvm,
                             const struct plat_msi_route *routes,
                             unsigned n)
{
    const struct cost_model *c = cost();
    struct plat_msi_route *tmp;
    unsigned cap;

    plat_trace_begin("KVM_SET_GSI_ROUTING");
    charge(c->gsi_routing_base_ns + c->gsi_routing_per_route_ns * n +
           c->gsi_routing_per_irqfd_ns * kvm->nirqfds);
    if (n > SIM_KVM_MAX_ROUTES) {
        plat_trace_end();
        return -EINVAL;
    }
    if (plat_fault(PLAT_FAULT_KVM_SET_GSI_ROUTING)) {
        plat_trace_end();
        return -ENOMEM;
    }
    /* The new table is sorted in the spare buffer, which then swaps with
     * the committed one: a VM holds only as many slots as its largest
     * table, and a commit allocates only when the table grows. */
    SIM_TSAN_IGNORE_BEGIN();
    if (n > kvm->spare_cap) {
        cap = n < 16 ? 16 : n;
        tmp = malloc(cap * sizeof(*tmp));
        if (!tmp) {
            SIM_TSAN_IGNORE_END();
            plat_trace_end();
            return -ENOMEM;
        }
        free(kvm->spare);
        kvm->spare = tmp;
        kvm->spare_cap = cap;
    }
    tmp = kvm->spare;
    if (n) {
        memcpy(tmp, routes, n * sizeof(*tmp));
        qsort(tmp, n, sizeof(*tmp), cmp_route);
    }
    SIM_TSAN_IGNORE_END();
    for (unsigned i = 1; i < n; i++) {
        if (tmp[i].gsi == tmp[i - 1].gsi) {
            plat_trace_end();
            return -EINVAL;
        }
    }
    cap = kvm->spare_cap;
    kvm->spare = kvm->routes;
    kvm->spare_cap = kvm->routes_cap;
    kvm->routes = tmp;
    kvm->routes_cap = cap;
    kvm->nroutes = n;
    kvm->commits++;
    if (sim_active) {
        sim_emit(sim_active, SIM_EV_COUNTER, "kvm routes", n, 0);
    }
    plat_trace_end();
    return 0;
}

/* Index of the irqfd on efd, or nirqfds. */
SIM_UNCOVERED
static unsigned irqfd_index(const struct plat_kvm *kvm,
                            const struct plat_eventfd *efd)
{
    unsigned i;

    for (i = 0; i < kvm->nirqfds; i++) {
        if (kvm->irqfds[i]->efd == efd) {
            break;
        }
    }
    return i;
}

int plat_kvm_irqfd(struct plat_kvm *kvm, struct plat_eventfd *efd,
                   uint32_t gsi, bool assign)
{
    unsigned i;
    struct sim_irqfd *f;

    charge(cost()->irqfd_assign_ns);
    i = irqfd_index(kvm, efd);
    if (!assign) {
        if (i == kvm->nirqfds || kvm->irqfds[i]->gsi != gsi) {
            return -ENOENT;
        }
        sim_eventfd_set_hook(efd, NULL, NULL);
        SIM_TSAN_IGNORE_BEGIN();
        free(kvm->irqfds[i]);
        /* Keep assignment order: the table walk order stays stable. */
        memmove(&kvm->irqfds[i], &kvm->irqfds[i + 1],
                (kvm->nirqfds - i - 1) * sizeof(kvm->irqfds[0]));
        SIM_TSAN_IGNORE_END();
        kvm->nirqfds--;
        return 0;
    }
    if (i < kvm->nirqfds) {
        return -EBUSY;
    }
    if (plat_fault(PLAT_FAULT_KVM_IRQFD)) {
        return -ENOMEM;
    }
    SIM_TSAN_IGNORE_BEGIN();
    if (kvm->nirqfds == kvm->irqfd_cap) {
        unsigned cap = kvm->irqfd_cap ? kvm->irqfd_cap * 2 : 64;
        struct sim_irqfd **n = realloc(kvm->irqfds, cap * sizeof(*n));

        if (n) {
            kvm->irqfds = n;
            kvm->irqfd_cap = cap;
        }
    }
    f = kvm->nirqfds < kvm->irqfd_cap ? malloc(sizeof(*f)) : NULL;
    SIM_TSAN_IGNORE_END();
    if (!f) {
        return -ENOMEM;
    }
    *f = (struct sim_irqfd){.efd = efd, .gsi = gsi, .kvm = kvm};
    kvm->irqfds[kvm->nirqfds++] = f;
    if (!route_find(kvm, gsi)) {
        kvm->bound_before_route++;
    }
    sim_eventfd_set_hook(efd, irqfd_wakeup, f);
    {
        char who[48];

        /* For lost-wakeup reports (sim/liveness.h). */
        snprintf(who, sizeof(who), "the irqfd of GSI %u", gsi);
        sim_eventfd_set_consumer(efd, who);
    }
    /* An eventfd signalled before the bind is delivered now, as KVM does
     * when it finds an irqfd's eventfd already readable. */
    if (sim_eventfd_consume(efd)) {
        irqfd_deliver(kvm, f);
    }
    return 0;
}

int plat_kvm_signal_msi(struct plat_kvm *kvm, uint64_t address,
                        uint32_t data, uint32_t devid)
{
    (void)devid;
    charge(cost()->signal_msi_ns);
    guest_receive(kvm, address, data);
    return 0;
}

/* ---- I/O exits ---- */

int plat_kvm_ioeventfd(struct plat_kvm *kvm, const struct plat_ioeventfd *io,
                       bool assign)
{
    struct ioeventfd_args a = {
        .datamatch = io->data,
        .addr = io->addr,
        .len = io->len,
        .flags = (io->datamatch ? IOEVENTFD_F_DATAMATCH : 0) |
                 (io->pio ? IOEVENTFD_F_PIO : 0),
        .eventfd = io->efd,
        .tag = io->addr,
    };

    plat_trace_begin(assign ? "KVM_IOEVENTFD assign" : "KVM_IOEVENTFD "
                                                        "deassign");
    charge(cost()->irqfd_assign_ns);
    if (assign && io->len == 0 && !kvm->any_length) {
        plat_trace_end();
        return -EINVAL;
    }
    if (assign && plat_fault(PLAT_FAULT_KVM_IOEVENTFD)) {
        plat_trace_end();
        return -ENOMEM;
    }
    {
        int rc = assign ? ioeventfd_assign(&kvm->ioeventfds, &a)
                        : ioeventfd_deassign(&kvm->ioeventfds, &a);

        plat_trace_end();
        return rc;
    }
}

bool plat_kvm_ioeventfd_any_length(struct plat_kvm *kvm)
{
    return kvm->any_length;
}

void sim_kvm_set_ioeventfd_any_length(struct plat_kvm *kvm, bool on)
{
    kvm->any_length = on;
}

struct iobus_set *sim_kvm_iobus(struct plat_kvm *kvm)
{
    return &kvm->io;
}

struct coalesced_mmio_set *sim_kvm_coalesced(struct plat_kvm *kvm)
{
    return &kvm->cmmio;
}

uint32_t sim_kvm_nioeventfds(struct plat_kvm *kvm)
{
    return ioeventfd_count(&kvm->ioeventfds);
}

int sim_kvm_vcpu_io(struct plat_kvm *kvm, bool pio, uint64_t addr,
                    unsigned len, void *data, bool write,
                    struct iobus_hit *hit)
{
    const struct cost_model *c = cost();
    struct iobus_hit local;
    int rc = -EOPNOTSUPP;

    if (!hit) {
        hit = &local;
    }
    memset(hit, 0, sizeof(*hit));
    plat_trace_begin(pio ? "PIO exit" : "MMIO exit");
    charge(c->io_exit_kernel_ns);
    if (!pio && write) {
        /* A write to a length-0 ioeventfd address completes without
         * decoding the instruction. */
        rc = iobus_write(&kvm->io, IOBUS_FAST_MMIO, addr, 0, NULL, hit);
    }
    if (rc == -EOPNOTSUPP) {
        enum iobus_id bus = pio ? IOBUS_PIO : IOBUS_MMIO;

        rc = write ? iobus_write(&kvm->io, bus, addr, len, data, hit)
                   : iobus_read(&kvm->io, bus, addr, len, data, hit);
    }
    if (rc == 0) {
        kvm->io_exits_kernel++;
        plat_trace_end();
        return 0;
    }
    if (rc != -EOPNOTSUPP) {
        plat_trace_end();
        return rc;
    }
    kvm->io_exits_user++;
    charge(c->io_exit_user_ns);
    plat_trace_end();
    return 1;
}

uint64_t sim_kvm_io_exits(const struct plat_kvm *kvm, bool user)
{
    return user ? kvm->io_exits_user : kvm->io_exits_kernel;
}

uint64_t sim_kvm_delivered(const struct plat_kvm *kvm, uint64_t address,
                           uint32_t data)
{
    for (unsigned i = 0; i < kvm->nmsis; i++) {
        if (kvm->msis[i].address == address && kvm->msis[i].data == data) {
            return kvm->msis[i].count;
        }
    }
    return 0;
}

uint64_t sim_kvm_delivered_total(const struct plat_kvm *kvm)
{
    return kvm->delivered;
}

uint64_t sim_kvm_dropped(const struct plat_kvm *kvm)
{
    return kvm->dropped;
}

uint64_t sim_kvm_bound_before_route(const struct plat_kvm *kvm)
{
    return kvm->bound_before_route;
}

unsigned sim_kvm_routes(const struct plat_kvm *kvm,
                        const struct plat_msi_route **routes)
{
    *routes = kvm->routes;
    return kvm->nroutes;
}

unsigned sim_kvm_nirqfds(const struct plat_kvm *kvm)
{
    return kvm->nirqfds;
}

int sim_kvm_irqfd_gsi(const struct plat_kvm *kvm,
                      const struct plat_eventfd *efd)
{
    unsigned i = irqfd_index(kvm, efd);

    return i < kvm->nirqfds ? (int)kvm->irqfds[i]->gsi : -1;
}

uint64_t sim_kvm_commits(const struct plat_kvm *kvm)
{
    return kvm->commits;
}

/* ---- VFIO ---- */

struct sim_vfio_index {
    unsigned nvec;                 /* vectors the device has */
    unsigned enabled;              /* vectors enabled on the host */
    struct plat_eventfd **trigger; /* per vector, NULL: none */
};

struct plat_vfio_dev {
    const char *name;
    struct sim_vfio_index msi, msix;
    unsigned msi_host_max;
    uint64_t lost, calls;
    struct sim_vfio_mig mig; /* migration state: sim/vfio_mig.c */
};

struct plat_vfio_dev *sim_vfio_create(const char *name, unsigned msix,
                                      unsigned msi, unsigned msi_host_max)
{
    struct plat_vfio_dev *d = calloc(1, sizeof(*d));

    if (!d) {
        return NULL;
    }
    d->name = name;
    sim_vfio_mig_init(&d->mig);
    d->msix.nvec = msix;
    d->msi.nvec = msi;
    d->msi_host_max = msi_host_max ? msi_host_max : msi;
    d->msix.trigger = calloc(msix ? msix : 1, sizeof(void *));
    d->msi.trigger = calloc(msi ? msi : 1, sizeof(void *));
    if (!d->msix.trigger || !d->msi.trigger) {
        sim_vfio_destroy(d);
        return NULL;
    }
    return d;
}

void sim_vfio_destroy(struct plat_vfio_dev *dev)
{
    if (!dev) {
        return;
    }
    free(dev->msix.trigger);
    free(dev->msi.trigger);
    free(dev);
}

struct sim_vfio_mig *sim_vfio_mig(struct plat_vfio_dev *dev)
{
    return &dev->mig;
}

static struct sim_vfio_index *vfio_index(struct plat_vfio_dev *d,
                                         enum plat_vfio_irq_index index)
{
    return index == PLAT_VFIO_IRQ_MSIX ? &d->msix
           : index == PLAT_VFIO_IRQ_MSI ? &d->msi
                                        : NULL;
}

int plat_vfio_set_irqs(struct plat_vfio_dev *dev,
                       enum plat_vfio_irq_index index, unsigned start,
                       unsigned count, struct plat_eventfd *const *efds)
{
    const struct cost_model *c = cost();
    struct sim_vfio_index *x = vfio_index(dev, index);
    struct sim_vfio_index *other;

    plat_trace_begin("VFIO_DEVICE_SET_IRQS");
    charge(c->vfio_set_irqs_base_ns +
           c->vfio_set_irqs_per_vector_ns * count);
    dev->calls++;
    if (!x || start > x->nvec || count > x->nvec - start) {
        plat_trace_end();
        return -EINVAL;
    }
    if (plat_fault(PLAT_FAULT_VFIO_SET_IRQS)) {
        plat_trace_end();
        return -EIO;
    }
    if (count == 0) {
        x->enabled = 0;
        SIM_TSAN_IGNORE_BEGIN();
        memset(x->trigger, 0, x->nvec * sizeof(x->trigger[0]));
        SIM_TSAN_IGNORE_END();
        plat_trace_end();
        return 0;
    }
    other = x == &dev->msi ? &dev->msix : &dev->msi;
    if (other->enabled) {
        /* MSI and MSI-X are exclusive. */
        plat_trace_end();
        return -EINVAL;
    }
    if (!x->enabled) {
        unsigned want = start + count;

        if (x == &dev->msi && want > dev->msi_host_max) {
            plat_trace_end();
            return (int)dev->msi_host_max;
        }
        x->enabled = want;
    } else if (start + count > x->enabled) {
        /* Growing an enabled index needs a disable first. */
        plat_trace_end();
        return -EINVAL;
    }
    SIM_TSAN_IGNORE_BEGIN();
    if (efds) {
        memcpy(&x->trigger[start], efds, count * sizeof(x->trigger[0]));
    } else {
        memset(&x->trigger[start], 0, count * sizeof(x->trigger[0]));
    }
    SIM_TSAN_IGNORE_END();
    plat_trace_end();
    return 0;
}

int sim_vfio_fire(struct plat_vfio_dev *dev, enum plat_vfio_irq_index index,
                  unsigned vector)
{
    struct sim_vfio_index *x = vfio_index(dev, index);

    if (!x || vector >= x->enabled || !x->trigger[vector]) {
        dev->lost++;
        return 0;
    }
    plat_eventfd_signal(x->trigger[vector]);
    return 1;
}

unsigned sim_vfio_enabled(const struct plat_vfio_dev *dev,
                          enum plat_vfio_irq_index index)
{
    return index == PLAT_VFIO_IRQ_MSIX ? dev->msix.enabled
           : index == PLAT_VFIO_IRQ_MSI ? dev->msi.enabled
                                        : 0;
}

uint64_t sim_vfio_lost(const struct plat_vfio_dev *dev)
{
    return dev->lost;
}

uint64_t sim_vfio_set_irqs_calls(const struct plat_vfio_dev *dev)
{
    return dev->calls;
}

SIM_TSAN_ENGINE_END
