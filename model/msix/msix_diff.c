/*
 * model/msix/msix_diff.c - differential run of the two MSI/MSI-X setup
 * variants over one opcode stream (see msix_diff.h), each side checked
 * against a cost model of its variant.  Runs outside a simulation: one
 * thread, no costs.
 *
 * The cost model (struct cmodel) restates the VMM's rules for what each
 * guest action must cost, from the guest's view and the variant alone:
 * which vectors hold a KVM route, whether the routing cache differs from
 * the kernel's (a commit with nothing to publish costs no ioctl), how many
 * vectors the host has enabled, and which call an armed fault hits.  It
 * shares no code with core/vfio_pci_irq.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vfio_pci_irq.h"
#include "model/msix/msix_diff.h"
#include "sim/fault.h"
#include "sim/kvm.h"

#define MSI_HOST_MAX 2 /* the host grants at most 2 MSI vectors: retries */

static uint64_t msix_addr(unsigned j)
{
    return 0xfee00000ull | (uint64_t)(j % 4096) << 12;
}

static uint32_t msix_data(unsigned j)
{
    return 0x40 + j;
}

#define MSI_ADDR 0xfee0f000ull
#define MSI_DATA 0x100u

/* ---- decoding ----------------------------------------------------------- */

enum { F_MSIX_NR, F_MSI_MAX, F_VECTOR, F_MSI_COUNT, F_NR };

/* The fixed-size device of the earlier encoding stays the first extra
 * value.  A table of 2048 vectors costs ten times a small one (every
 * enable and disable walks it), so small tables are weighted up: the
 * extras 1..32 appear four times over and one selector in 32 reads the
 * raw value, which leaves about one input in eight with a table of more
 * than 64 entries. */
static const uint64_t msix_nr_extra[] = {
    8, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static const uint64_t msi_max_extra[] = { 4 };

size_t msix_diff_fields(unsigned msix_nr, unsigned msi_max,
                        struct dom_field out[4])
{
    const struct dom_field f[F_NR] = {
        [F_MSIX_NR] = {
            .name = "msix.table_size", .min = 1, .max = MSIX_DIFF_MSIX_MAX,
            .raw_bytes = 2, .extra = msix_nr_extra,
            .nr_extra = sizeof(msix_nr_extra) / sizeof(msix_nr_extra[0]),
            .extra_weight = 4, .raw_from = 248,
        },
        [F_MSI_MAX] = DOM_FIELD("msi.vectors_offered", 1, MSIX_DIFF_MSI_MAX,
                                1, msi_max_extra, 1),
        [F_VECTOR] = DOM_FIELD("msix.vector", 0, msix_nr ? msix_nr - 1 : 0,
                               2, NULL, 0),
        [F_MSI_COUNT] = DOM_FIELD("msi.count", 1, msi_max ? msi_max : 1, 2,
                                  NULL, 0),
    };

    memcpy(out, f, sizeof(f));
    return F_NR;
}

/* ---- the two sides ------------------------------------------------------ */

struct side {
    struct plat_kvm *kvm;
    struct kvm_routes routes;
    struct plat_vfio_dev *vdev;
    struct vfio_pci_irq dev;
    bool ok;
};

/* 0, or the error vfio_pci_irq_init returned (the device is refused). */
static int side_open(struct side *s, enum vfio_irq_batching b,
                     unsigned msix_nr, unsigned msi_max)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->kvm = sim_kvm_create(4);
    s->vdev = sim_vfio_create("vf", msix_nr, msi_max, MSI_HOST_MAX);
    if (!s->kvm || !s->vdev ||
        kvm_routes_init(&s->routes, s->kvm, 24, 1024) < 0) {
        return -ENOMEM;
    }
    rc = vfio_pci_irq_init(&s->dev, &s->routes, s->vdev, s->kvm, 1,
                           msix_nr, msi_max, b);
    if (rc < 0) {
        kvm_routes_destroy(&s->routes);
        return rc;
    }
    for (unsigned j = 0; j < msix_nr; j++) {
        msix_set_message(&s->dev.msix, j, msix_addr(j), msix_data(j));
    }
    s->ok = true;
    return 0;
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
    unsigned msix_nr;
    unsigned msi_max;
    bool *masked;        /* msix_nr entries */
    bool *armed;         /* set up since the last enable */
    int mode;            /* 0 none, 1 MSI-X, 2 MSI */
    unsigned touched[64]; /* vectors an operation named (receive checks) */
    unsigned ntouched;
};

static void guest_touch(struct guest *g, unsigned j)
{
    for (unsigned i = 0; i < g->ntouched; i++) {
        if (g->touched[i] == j) {
            return;
        }
    }
    if (g->ntouched < sizeof(g->touched) / sizeof(g->touched[0])) {
        g->touched[g->ntouched++] = j;
    }
}

static void side_apply(struct side *s, const struct guest *g, unsigned op,
                       unsigned arg)
{
    unsigned j = arg;

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
        if (g->mode == 1 && j < g->msix_nr && g->armed[j]) {
            sim_vfio_fire(s->vdev, PLAT_VFIO_IRQ_MSIX, j);
        } else if (g->mode == 2 && j < s->dev.nr_vectors) {
            sim_vfio_fire(s->vdev, PLAT_VFIO_IRQ_MSI, j);
        }
        vfio_pci_irq_service(&s->dev);
        break;
    case 5:
        vfio_msi_enable(&s->dev, arg, MSI_ADDR, MSI_DATA);
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
    unsigned j = arg;

    switch (op) {
    case 0:
        if (g->msix_nr == 0) {
            break; /* no MSI-X capability: the enable is refused */
        }
        g->mode = 1;
        for (unsigned i = 0; i < g->msix_nr; i++) {
            g->armed[i] = !g->masked[i];
        }
        break;
    case 1:
        if (g->mode == 1) {
            g->mode = 0;
        }
        break;
    case 2:
        if (j < g->msix_nr) {
            g->masked[j] = true;
        }
        break;
    case 3:
        if (j < g->msix_nr) {
            g->masked[j] = false;
            if (g->mode == 1) {
                g->armed[j] = true;
            }
        }
        break;
    case 5:
        if (arg >= 1 && arg <= g->msi_max) {
            g->mode = 2;
        }
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

/* ---- the cost model ----------------------------------------------------- */

/* What one side's variant must cost, restated from the VMM's rules:
 *   - a vector in use owns a GSI and a route while it has a message and
 *     its setup succeeded; adding, releasing or re-pointing a route marks
 *     the routing cache dirty, and a commit calls KVM_SET_GSI_ROUTING only
 *     when the cache is dirty (a failed call leaves it dirty);
 *   - per-vector: a vector's route is committed when it is added or
 *     updated, then its irqfd is bound; batched: while an enable sets up
 *     its vectors routes are only added, then one commit and every irqfd;
 *   - the host's vectors [0, n) are enabled with one SET_IRQS; growing n
 *     while not batching costs a disable and an enable; re-pointing one
 *     vector's trigger (a mask, or an unmask within n) costs one; a
 *     transient -EIO is retried, up to three calls;
 *   - disabling costs a SET_IRQS disable, then one commit of the released
 *     routes; MSI-X disable first re-points every unmasked vector in use;
 *   - MSI enable sets up all its vectors at once (batched or not); when
 *     the host grants fewer it starts over with the granted count;
 *   - a vector whose route, commit or irqfd fails falls back to userspace:
 *     its route is released.
 * The fault armed for an operation fails the first call of its site. */
struct cmodel {
    bool batched;
    unsigned msix_nr;
    unsigned msi_max;
    unsigned cap;
    int mode;             /* 0 none, 1 MSI-X, 2 MSI */
    unsigned nrv;         /* vectors enabled on the host */
    bool defer;           /* routes added are not committed yet */
    bool dirty;           /* routing cache differs from the kernel's */
    bool *use;            /* cap entries */
    bool *route;
    int fault;            /* site armed, -1 none (consumed by its hit) */
    bool fault_hit;
    uint64_t commits;     /* successful KVM_SET_GSI_ROUTING expected */
    uint64_t set_irqs;    /* VFIO_DEVICE_SET_IRQS calls expected */
};

static bool cm_hit(struct cmodel *m, enum plat_fault_site site)
{
    if (m->fault == (int)site) {
        m->fault = -1;
        m->fault_hit = true;
        return true;
    }
    return false;
}

static int cm_commit(struct cmodel *m)
{
    if (!m->dirty) {
        return 0;
    }
    if (cm_hit(m, PLAT_FAULT_KVM_SET_GSI_ROUTING)) {
        return -1;
    }
    m->dirty = false;
    m->commits++;
    return 0;
}

/* One host_set_irqs(): retried on -EIO. */
static void cm_set_irqs(struct cmodel *m)
{
    for (int i = 0; i < 3; i++) {
        m->set_irqs++;
        if (!cm_hit(m, PLAT_FAULT_VFIO_SET_IRQS)) {
            return;
        }
    }
}

static void cm_fallback(struct cmodel *m, unsigned j)
{
    if (m->route[j]) {
        m->route[j] = false;
        m->dirty = true;
    }
}

static void cm_irqfd(struct cmodel *m, unsigned j)
{
    if (cm_hit(m, PLAT_FAULT_KVM_IRQFD)) {
        cm_fallback(m, j);
    }
}

static void cm_add(struct cmodel *m, unsigned j)
{
    if (cm_hit(m, PLAT_FAULT_GSI_ALLOC)) {
        return; /* no GSI: userspace path */
    }
    m->route[j] = true;
    m->dirty = true;
    if (m->defer) {
        return;
    }
    if (cm_commit(m) < 0) {
        cm_fallback(m, j);
        return;
    }
    cm_irqfd(m, j);
}

static void cm_remove(struct cmodel *m, unsigned j)
{
    cm_fallback(m, j);
}

static void cm_fini(struct cmodel *m, unsigned j)
{
    if (m->use[j]) {
        cm_remove(m, j);
        m->use[j] = false;
    }
}

static void cm_commit_batch(struct cmodel *m)
{
    int rc;

    if (!m->defer) {
        return;
    }
    m->defer = false;
    if (m->nrv == 0) {
        return;
    }
    rc = cm_commit(m);
    for (unsigned j = 0; j < m->nrv; j++) {
        if (!m->use[j] || !m->route[j]) {
            continue;
        }
        if (rc < 0) {
            cm_fallback(m, j);
        } else {
            cm_irqfd(m, j);
        }
    }
}

/* An MSI-X vector comes into use (has_msg: with its message). */
static void cm_use(struct cmodel *m, unsigned j, bool has_msg)
{
    m->use[j] = true;
    if (m->route[j]) {
        if (!has_msg) {
            cm_remove(m, j);
        } else if (cm_commit(m) < 0) {
            cm_remove(m, j); /* the message is unchanged: nothing new */
        }
    } else if (has_msg) {
        cm_add(m, j);
    }
    if (m->nrv < j + 1) {
        m->nrv = j + 1;
        if (!m->defer) {
            cm_set_irqs(m); /* disable, */
            cm_set_irqs(m); /* then enable the grown range */
        }
    } else {
        cm_set_irqs(m);
    }
}

static void cm_release(struct cmodel *m, unsigned j)
{
    if (j < m->nrv && m->use[j] && m->route[j]) {
        cm_set_irqs(m);
    }
}

static void cm_msix_disable(struct cmodel *m, const struct guest *g)
{
    if (m->mode != 1) {
        return;
    }
    for (unsigned j = 0; j < m->nrv; j++) {
        if (!g->masked[j]) {
            cm_release(m, j);
        }
    }
    cm_set_irqs(m);
    for (unsigned j = 0; j < m->cap; j++) {
        cm_fini(m, j);
    }
    (void)cm_commit(m);
    m->nrv = 0;
    m->mode = 0;
}

static void cm_msi_disable(struct cmodel *m)
{
    if (m->mode != 2) {
        return;
    }
    cm_set_irqs(m);
    for (unsigned j = 0; j < m->cap; j++) {
        cm_fini(m, j);
    }
    (void)cm_commit(m);
    m->nrv = 0;
    m->mode = 0;
}

static void cm_disable_current(struct cmodel *m, const struct guest *g)
{
    if (m->mode == 1) {
        cm_msix_disable(m, g);
    } else if (m->mode == 2) {
        cm_msi_disable(m);
    }
}

/* The operation as the model sees it, before the guest's view moves. */
static void cm_apply(struct cmodel *m, const struct guest *g, unsigned op,
                     unsigned arg)
{
    switch (op) {
    case 0:
        if (m->msix_nr == 0) {
            return;
        }
        cm_disable_current(m, g);
        m->mode = 1;
        m->nrv = 0;
        if (m->batched) {
            m->defer = true;
            for (unsigned j = 0; j < m->msix_nr; j++) {
                if (!g->masked[j]) {
                    cm_use(m, j, true);
                }
            }
            cm_commit_batch(m);
            if (m->nrv) {
                cm_set_irqs(m);
            } else {
                cm_use(m, 0, false);
                cm_release(m, 0);
            }
        } else {
            cm_use(m, 0, false);
            cm_release(m, 0);
            for (unsigned j = 0; j < m->msix_nr; j++) {
                if (!g->masked[j]) {
                    cm_use(m, j, true);
                }
            }
        }
        return;
    case 1:
        cm_msix_disable(m, g);
        return;
    case 2:
    case 3:
        if (arg >= m->msix_nr || g->masked[arg] == (op == 2) ||
            m->mode != 1) {
            return; /* no change the capability reports */
        }
        if (op == 2) {
            cm_release(m, arg);
        } else {
            cm_use(m, arg, true);
        }
        return;
    case 5:
        if (arg == 0 || arg > m->msi_max) {
            return;
        }
        cm_disable_current(m, g);
        m->mode = 2;
        m->nrv = arg;
        for (;;) {
            m->defer = m->batched;
            for (unsigned j = 0; j < m->nrv; j++) {
                m->use[j] = true;
                cm_add(m, j);
            }
            cm_commit_batch(m);
            cm_set_irqs(m);
            if (m->nrv > MSI_HOST_MAX) {
                for (unsigned j = 0; j < m->nrv; j++) {
                    cm_fini(m, j);
                }
                m->nrv = MSI_HOST_MAX;
                continue;
            }
            break;
        }
        return;
    case 6:
        cm_msi_disable(m);
        return;
    default:
        return;
    }
}

/* ---- the run ------------------------------------------------------------ */

static const enum plat_fault_site diff_sites[5] = {
    PLAT_FAULT_ALLOC, PLAT_FAULT_GSI_ALLOC, PLAT_FAULT_KVM_SET_GSI_ROUTING,
    PLAT_FAULT_KVM_IRQFD, PLAT_FAULT_VFIO_SET_IRQS,
};

static const char *const side_names[2] = { "per-vector", "batched" };

static int compare(struct side *a, struct side *b, const struct guest *g,
                   bool faulted, char *err, size_t errlen)
{
    const struct plat_msi_route *ka, *kb;
    unsigned na, nb;

    if (sim_kvm_delivered_total(a->kvm) != sim_kvm_delivered_total(b->kvm)) {
        snprintf(err, errlen, "guest received %" PRIu64 " and %" PRIu64
                 " interrupts per-vector/batched",
                 sim_kvm_delivered_total(a->kvm),
                 sim_kvm_delivered_total(b->kvm));
        return -1;
    }
    for (unsigned i = 0; i < g->ntouched; i++) {
        unsigned j = g->touched[i];
        uint64_t da = sim_kvm_delivered(a->kvm, msix_addr(j), msix_data(j));
        uint64_t db = sim_kvm_delivered(b->kvm, msix_addr(j), msix_data(j));
        uint64_t ma = sim_kvm_delivered(a->kvm, MSI_ADDR, MSI_DATA | j);
        uint64_t mb = sim_kvm_delivered(b->kvm, MSI_ADDR, MSI_DATA | j);

        if (da != db || ma != mb) {
            snprintf(err, errlen, "vector %u: guest received %" PRIu64 "/%"
                     PRIu64 " (MSI-X) %" PRIu64 "/%" PRIu64 " (MSI) "
                     "per-vector/batched", j, da, db, ma, mb);
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
    for (unsigned j = 0; j < g->ntouched && j < a->dev.nr_vectors; j++) {
        unsigned v = g->touched[j] < a->dev.nr_vectors ? g->touched[j] : 0;
        int ga = sim_kvm_irqfd_gsi(a->kvm, &a->dev.vectors[v].kvm_interrupt);
        int gb = sim_kvm_irqfd_gsi(b->kvm, &b->dev.vectors[v].kvm_interrupt);

        if (ga != gb) {
            snprintf(err, errlen, "vector %u: irqfd on GSI %d vs %d", v, ga,
                     gb);
            return -1;
        }
    }
    return 0;
}

/* The argument of operation p[0..3] on a device of the decoded sizes. */
static unsigned op_arg(const uint8_t *p, const struct dom_field *f,
                       unsigned op)
{
    struct dom_cursor c = { .p = p + 1, .n = 3, .i = 0 };

    switch (op) {
    case 2:
    case 3:
    case 4:
        return (unsigned)dom_read(&c, &f[F_VECTOR]);
    case 5:
        return (unsigned)dom_read(&c, &f[F_MSI_COUNT]);
    case 7:
        return p[1] % 5u;
    default:
        return 0;
    }
}

static bool *zeroes(unsigned n)
{
    return calloc(n ? n : 1, sizeof(bool));
}

int msix_diff_run(const uint8_t *ops, size_t n, char *err, size_t errlen)
{
    struct dom_field f[F_NR];
    struct dom_cursor hc = { .p = ops, .n = n, .i = 0 };
    struct side sd[2];
    struct cmodel cm[2];
    struct guest g;
    unsigned msix_nr, msi_max;
    bool refuse;
    bool faulted = false;
    int rc = 0;
    int ra, rb;

    memset(&g, 0, sizeof(g));
    memset(cm, 0, sizeof(cm));
    if (errlen) {
        err[0] = '\0';
    }
    msix_diff_fields(0, 0, f);
    msix_nr = (unsigned)dom_read(&hc, &f[F_MSIX_NR]);
    msi_max = (unsigned)dom_read(&hc, &f[F_MSI_MAX]);
    msix_diff_fields(msix_nr, msi_max, f);
    /* The PCI limits, restated: a table of 1..2048 entries, 0..32 MSI
     * vectors, and at least one of the two. */
    refuse = msix_nr > MSIX_DIFF_MSIX_MAX || msi_max > MSIX_DIFF_MSI_MAX ||
             (msix_nr == 0 && msi_max == 0);
    sim_fault_reset();
    ra = side_open(&sd[0], VFIO_IRQ_PER_VECTOR, msix_nr, msi_max);
    rb = side_open(&sd[1], VFIO_IRQ_BATCHED, msix_nr, msi_max);
    if (ra == -ENOMEM || rb == -ENOMEM) {
        snprintf(err, errlen, "setup failed");
        rc = -1;
        goto out;
    }
    if ((ra == -EINVAL) != refuse || (rb == -EINVAL) != refuse ||
        (ra != 0 && ra != -EINVAL) || (rb != 0 && rb != -EINVAL)) {
        snprintf(err, errlen, "a device of %u MSI-X and %u MSI vectors: "
                 "init returned %d/%d, the PCI limits say %s", msix_nr,
                 msi_max, ra, rb, refuse ? "refuse" : "accept");
        rc = -1;
        goto out;
    }
    if (refuse) {
        goto out;
    }
    g.msix_nr = msix_nr;
    g.msi_max = msi_max;
    g.masked = zeroes(msix_nr);
    g.armed = zeroes(msix_nr);
    for (int s = 0; s < 2; s++) {
        cm[s].batched = s == 1;
        cm[s].msix_nr = msix_nr;
        cm[s].msi_max = msi_max;
        cm[s].cap = msix_nr > msi_max ? msix_nr : msi_max;
        cm[s].use = zeroes(cm[s].cap);
        cm[s].route = zeroes(cm[s].cap);
        cm[s].fault = -1;
    }
    if (!g.masked || !g.armed || !cm[0].use || !cm[0].route ||
        !cm[1].use || !cm[1].route) {
        snprintf(err, errlen, "setup failed");
        rc = -1;
        goto out;
    }
    for (unsigned j = 0; j < msix_nr; j++) {
        g.masked[j] = true;
    }
    for (size_t i = MSIX_DIFF_HDR; i + MSIX_DIFF_OP_BYTES <= n && rc == 0;
         i += MSIX_DIFF_OP_BYTES) {
        unsigned op = ops[i] % 8, arg = op_arg(ops + i, f, op);
        int site = -1;

        if (op == 7) {
            /* Applies to the next operation of each side. */
            site = (int)arg;
            if (i + 2 * MSIX_DIFF_OP_BYTES > n) {
                break;
            }
            i += MSIX_DIFF_OP_BYTES;
            op = ops[i] % 8;
            arg = op_arg(ops + i, f, op);
            if (op == 7) {
                continue;
            }
        }
        if (op >= 2 && op <= 4) {
            guest_touch(&g, arg);
        }
        for (int s = 0; s < 2 && rc == 0; s++) {
            uint64_t injected = sim_fault_injected();
            uint64_t c0 = sim_kvm_commits(sd[s].kvm);
            uint64_t q0 = sim_vfio_set_irqs_calls(sd[s].vdev);
            uint64_t wc0 = cm[s].commits;
            uint64_t wq0 = cm[s].set_irqs;
            bool fired;

            /* Arming restarts the site's count; disarming after the
             * operation leaves no fault for the next one. */
            if (site >= 0) {
                sim_fault_fail_nth(diff_sites[site], 1, false);
            }
            cm[s].fault = site >= 0 ? (int)diff_sites[site] : -1;
            cm[s].fault_hit = false;
            cm_apply(&cm[s], &g, op, arg);
            side_apply(&sd[s], &g, op, arg);
            if (site >= 0) {
                sim_fault_fail_nth(diff_sites[site], 0, false);
            }
            fired = sim_fault_injected() != injected;
            faulted |= fired;
            if (fired != cm[s].fault_hit ||
                sim_kvm_commits(sd[s].kvm) - c0 != cm[s].commits - wc0 ||
                sim_vfio_set_irqs_calls(sd[s].vdev) - q0 !=
                    cm[s].set_irqs - wq0) {
                snprintf(err, errlen, "%s, operation %u(%u) at byte %zu: "
                         "%" PRIu64 " route commits and %" PRIu64
                         " SET_IRQS calls, fault %s; its model expects %"
                         PRIu64 " and %" PRIu64 ", fault %s", side_names[s],
                         op, arg, i, sim_kvm_commits(sd[s].kvm) - c0,
                         sim_vfio_set_irqs_calls(sd[s].vdev) - q0,
                         fired ? "fired" : "not fired",
                         cm[s].commits - wc0, cm[s].set_irqs - wq0,
                         cm[s].fault_hit ? "fired" : "not fired");
                rc = -1;
            }
        }
        guest_apply(&g, op, arg);
    }
    if (rc == 0) {
        rc = compare(&sd[0], &sd[1], &g, faulted, err, errlen);
    }
out:
    sim_fault_reset();
    side_close(&sd[1]);
    side_close(&sd[0]);
    free(g.masked);
    free(g.armed);
    for (int s = 0; s < 2; s++) {
        free(cm[s].use);
        free(cm[s].route);
    }
    return rc;
}
