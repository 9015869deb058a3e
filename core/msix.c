/*
 * core/msix.c - MSI-X capability emulation: table, mask and pending bits,
 * vector notifiers.
 */
#include <errno.h>
#include <string.h>

#include "core/msix.h"
#include "core/testcase.h"

int msix_init(struct msix_cap *m, unsigned nr, struct plat_kvm *kvm,
              uint32_t devid)
{
    memset(m, 0, sizeof(*m));
    if (nr == 0 || nr > 2048) {
        return -EINVAL;
    }
    m->table = plat_zalloc(nr * sizeof(*m->table));
    if (!m->table) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < nr; i++) {
        m->table[i].masked = true;
    }
    m->nr = nr;
    m->kvm = kvm;
    m->devid = devid;
    return 0;
}

void msix_destroy(struct msix_cap *m)
{
    plat_free(m->table);
    memset(m, 0, sizeof(*m));
}

static bool vector_masked(const struct msix_cap *m, unsigned nr)
{
    return m->func_masked || m->table[nr].masked;
}

bool msix_is_masked(const struct msix_cap *m, unsigned nr)
{
    return nr >= m->nr || vector_masked(m, nr);
}

void msix_set_message(struct msix_cap *m, unsigned nr, uint64_t address,
                      uint32_t data)
{
    if (nr >= m->nr) {
        return;
    }
    m->table[nr].address = address;
    m->table[nr].data = data;
}

static void deliver(struct msix_cap *m, unsigned nr)
{
    plat_kvm_signal_msi(m->kvm, m->table[nr].address, m->table[nr].data,
                        m->devid);
}

void msix_set_masked(struct msix_cap *m, unsigned nr, bool masked)
{
    struct msix_entry *e;
    bool was;

    if (nr >= m->nr) {
        return;
    }
    e = &m->table[nr];
    was = vector_masked(m, nr);
    e->masked = masked;
    if (was == vector_masked(m, nr)) {
        return;
    }
    if (m->enabled && m->use) {
        if (masked) {
            m->release(m->opaque, nr);
        } else {
            /* A failed use leaves the vector on the userspace path. */
            (void)m->use(m->opaque, nr, e->address, e->data);
        }
    }
    if (!masked && e->pending && m->enabled) {
        e->pending = false;
        deliver(m, nr);
    }
}

void msix_set_enabled(struct msix_cap *m, bool enabled)
{
    m->enabled = enabled;
}

int msix_set_vector_notifiers(struct msix_cap *m, msix_use_fn use,
                              msix_release_fn release, void *opaque)
{
    m->use = use;
    m->release = release;
    m->opaque = opaque;
    if (!m->enabled) {
        return 0;
    }
    for (unsigned nr = 0; nr < m->nr; nr++) {
        int rc;

        if (vector_masked(m, nr)) {
            continue;
        }
        rc = use(opaque, nr, m->table[nr].address, m->table[nr].data);
        if (rc < 0) {
            KVMSIM_MARK(MSIX_USE_FAILED_UNWIND);
            while (nr-- > 0) {
                if (!vector_masked(m, nr)) {
                    release(opaque, nr);
                }
            }
            m->use = NULL;
            m->release = NULL;
            m->opaque = NULL;
            return rc;
        }
    }
    return 0;
}

void msix_unset_vector_notifiers(struct msix_cap *m)
{
    if (!m->use) {
        return;
    }
    if (m->enabled) {
        for (unsigned nr = 0; nr < m->nr; nr++) {
            if (!vector_masked(m, nr)) {
                m->release(m->opaque, nr);
            }
        }
    }
    m->use = NULL;
    m->release = NULL;
    m->opaque = NULL;
}

void msix_notify(struct msix_cap *m, unsigned nr)
{
    if (nr >= m->nr || !m->enabled) {
        return;
    }
    if (vector_masked(m, nr)) {
        m->table[nr].pending = true;
        return;
    }
    deliver(m, nr);
}
