/*
 * scenarios/src/msix_diff.c - differential run of the two MSI/MSI-X setup
 * variants over one opcode stream (see msix_diff.h).  Runs outside a
 * simulation: one thread, no costs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/vfio_pci_irq.h"
#include "scenarios/src/msix_diff.h"
#include "sim/fault.h"
#include "sim/kvm.h"

#define NV MSIX_DIFF_VECTORS

struct side {
    struct plat_kvm *kvm;
    struct kvm_routes routes;
    struct plat_vfio_dev *vdev;
    struct vfio_pci_irq dev;
    bool ok;
};

static uint64_t msix_addr(unsigned j)
{
    return 0xfee00000ull | (uint64_t)j << 12;
}

static uint32_t msix_data(unsigned j)
{
    return 0x40 + j;
}

#define MSI_ADDR 0xfee0f000ull
#define MSI_DATA 0x100u

static bool side_open(struct side *s, enum vfio_irq_batching b)
{
    memset(s, 0, sizeof(*s));
    s->kvm = sim_kvm_create(4);
    s->vdev = sim_vfio_create("vf", NV, 4, 2);
    if (!s->kvm || !s->vdev ||
        kvm_routes_init(&s->routes, s->kvm, 24, 1024) < 0) {
        return false;
    }
    if (vfio_pci_irq_init(&s->dev, &s->routes, s->vdev, s->kvm, 1, NV, 4,
                          b) < 0) {
        kvm_routes_destroy(&s->routes);
        return false;
    }
    for (unsigned j = 0; j < NV; j++) {
        msix_set_message(&s->dev.msix, j, msix_addr(j), msix_data(j));
    }
    s->ok = true;
    return true;
}

static void side_close(struct side *s)
{
    if (s->ok) {
        vfio_pci_irq_destroy(&s->dev);
        kvm_routes_destroy(&s->routes);
    }
    sim_vfio_destroy(s->vdev);
    sim_kvm_destroy(s->kvm);
}

/* The guest's view, shared by both sides. */
struct guest {
    bool masked[NV];
    bool armed[NV];      /* set up since the last enable */
    int mode;            /* 0 none, 1 MSI-X, 2 MSI */
    unsigned msi_nr;
};

static void side_apply(struct side *s, const struct guest *g, unsigned op,
                       unsigned arg)
{
    unsigned j = arg % NV;

    switch (op) {
    case 0:
        vfio_msix_enable(&s->dev);
        break;
    case 1:
        vfio_msix_disable(&s->dev);
        break;
    case 2:
        vfio_msix_mask(&s->dev, j, true);
        break;
    case 3:
        vfio_msix_mask(&s->dev, j, false);
        break;
    case 4:
        if (g->mode == 1 && g->armed[j]) {
            sim_vfio_fire(s->vdev, PLAT_VFIO_IRQ_MSIX, j);
        } else if (g->mode == 2 && j < s->dev.nr_vectors) {
            sim_vfio_fire(s->vdev, PLAT_VFIO_IRQ_MSI, j);
        }
        vfio_pci_irq_service(&s->dev);
        break;
    case 5:
        vfio_msi_enable(&s->dev, arg % 4 + 1, MSI_ADDR, MSI_DATA);
        break;
    case 6:
        vfio_msi_disable(&s->dev);
        break;
    default:
        break;
    }
}

static void guest_apply(struct guest *g, unsigned op, unsigned arg)
{
    unsigned j = arg % NV;

    switch (op) {
    case 0:
        g->mode = 1;
        for (unsigned i = 0; i < NV; i++) {
            g->armed[i] = !g->masked[i];
        }
        break;
    case 1:
        if (g->mode == 1) {
            g->mode = 0;
        }
        break;
    case 2:
        g->masked[j] = true;
        break;
    case 3:
        g->masked[j] = false;
        if (g->mode == 1) {
            g->armed[j] = true;
        }
        break;
    case 5:
        g->mode = 2;
        break;
    case 6:
        if (g->mode == 2) {
            g->mode = 0;
        }
        break;
    default:
        break;
    }
}

static const enum plat_fault_site diff_sites[5] = {
    PLAT_FAULT_ALLOC, PLAT_FAULT_GSI_ALLOC, PLAT_FAULT_KVM_SET_GSI_ROUTING,
    PLAT_FAULT_KVM_IRQFD, PLAT_FAULT_VFIO_SET_IRQS,
};

static int compare(struct side *a, struct side *b, bool faulted, char *err,
                   size_t errlen)
{
    const struct plat_msi_route *ka, *kb;
    unsigned na, nb;

    for (unsigned j = 0; j < NV; j++) {
        uint64_t da = sim_kvm_delivered(a->kvm, msix_addr(j), msix_data(j));
        uint64_t db = sim_kvm_delivered(b->kvm, msix_addr(j), msix_data(j));
        uint64_t ma = sim_kvm_delivered(a->kvm, MSI_ADDR, MSI_DATA | j);
        uint64_t mb = sim_kvm_delivered(b->kvm, MSI_ADDR, MSI_DATA | j);

        if (da != db || ma != mb) {
            snprintf(err, errlen, "vector %u: guest received %llu/%llu "
                     "(MSI-X) %llu/%llu (MSI) per-vector/batched", j,
                     (unsigned long long)da, (unsigned long long)db,
                     (unsigned long long)ma, (unsigned long long)mb);
            return -1;
        }
    }
    if (faulted) {
        return 0;
    }
    kvm_routes_commit(&a->routes);
    kvm_routes_commit(&b->routes);
    na = sim_kvm_routes(a->kvm, &ka);
    nb = sim_kvm_routes(b->kvm, &kb);
    if (na != nb) {
        snprintf(err, errlen, "routing tables have %u and %u routes", na, nb);
        return -1;
    }
    for (unsigned i = 0; i < na; i++) {
        if (ka[i].gsi != kb[i].gsi || ka[i].address != kb[i].address ||
            ka[i].data != kb[i].data) {
            snprintf(err, errlen, "routing tables differ at GSI %u", ka[i].gsi);
            return -1;
        }
    }
    for (unsigned j = 0; j < NV; j++) {
        int ga = sim_kvm_irqfd_gsi(a->kvm, &a->dev.vectors[j].kvm_interrupt);
        int gb = sim_kvm_irqfd_gsi(b->kvm, &b->dev.vectors[j].kvm_interrupt);

        if (ga != gb) {
            snprintf(err, errlen, "vector %u: irqfd on GSI %d vs %d", j, ga,
                     gb);
            return -1;
        }
    }
    return 0;
}

int msix_diff_run(const uint8_t *ops, size_t n, char *err, size_t errlen)
{
    struct side a, b;
    struct guest g;
    bool faulted = false;
    int rc = 0;

    memset(&g, 0, sizeof(g));
    for (unsigned j = 0; j < NV; j++) {
        g.masked[j] = true;
    }
    sim_fault_reset();
    if (!side_open(&a, VFIO_IRQ_PER_VECTOR) ||
        !side_open(&b, VFIO_IRQ_BATCHED)) {
        snprintf(err, errlen, "setup failed");
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned op = ops[i] % 8, arg = ops[i + 1];
        int site = -1;

        if (op == 7) {
            /* Applies to the next operation of each side. */
            site = (int)(arg % 5);
            if (i + 3 >= n) {
                break;
            }
            i += 2;
            op = ops[i] % 8;
            arg = ops[i + 1];
            if (op == 7) {
                continue;
            }
        }
        for (int s = 0; s < 2; s++) {
            uint64_t injected = sim_fault_injected();

            /* Arming restarts the site's count; disarming after the
             * operation leaves no fault for the next one. */
            if (site >= 0) {
                sim_fault_fail_nth(diff_sites[site], 1, false);
            }
            side_apply(s ? &b : &a, &g, op, arg);
            if (site >= 0) {
                sim_fault_fail_nth(diff_sites[site], 0, false);
            }
            faulted |= sim_fault_injected() != injected;
        }
        guest_apply(&g, op, arg);
    }
    rc = compare(&a, &b, faulted, err, errlen);
out:
    sim_fault_reset();
    side_close(&b);
    side_close(&a);
    return rc;
}
