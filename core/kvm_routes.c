/*
 * core/kvm_routes.c - GSI allocation and the VMM's routing-table copy.
 *
 * The table is an unordered array; removal moves the last entry into the
 * hole.  Its order is a function of the call sequence only.
 */
#include <errno.h>
#include <string.h>

#include "core/kvm_routes.h"

int kvm_routes_init(struct kvm_routes *r, struct plat_kvm *kvm,
                    uint32_t first_gsi, uint32_t gsi_limit)
{
    memset(r, 0, sizeof(*r));
    if (gsi_limit > KVM_ROUTES_MAX || first_gsi >= gsi_limit) {
        return -EINVAL;
    }
    r->kvm = kvm;
    r->first_gsi = first_gsi;
    r->gsi_limit = gsi_limit;
    r->gsi_used = plat_zalloc(((gsi_limit + 63) / 64) * sizeof(uint64_t));
    r->table = plat_alloc(KVM_ROUTES_MAX * sizeof(*r->table));
    if (!r->gsi_used || !r->table) {
        plat_free(r->gsi_used);
        plat_free(r->table);
        memset(r, 0, sizeof(*r));
        return -ENOMEM;
    }
    return 0;
}

void kvm_routes_destroy(struct kvm_routes *r)
{
    plat_free(r->gsi_used);
    plat_free(r->table);
    memset(r, 0, sizeof(*r));
}

static bool gsi_test(const struct kvm_routes *r, uint32_t gsi)
{
    return gsi < r->gsi_limit &&
           (r->gsi_used[gsi / 64] >> (gsi % 64) & 1) != 0;
}

static int gsi_alloc(struct kvm_routes *r)
{
    if (plat_fault(PLAT_FAULT_GSI_ALLOC)) {
        return -ENOSPC;
    }
    for (uint32_t gsi = r->first_gsi; gsi < r->gsi_limit; gsi++) {
        if (!gsi_test(r, gsi)) {
            r->gsi_used[gsi / 64] |= 1ull << (gsi % 64);
            return (int)gsi;
        }
    }
    return -ENOSPC;
}

static int route_index(const struct kvm_routes *r, uint32_t gsi)
{
    for (unsigned i = 0; i < r->n; i++) {
        if (r->table[i].gsi == gsi) {
            return (int)i;
        }
    }
    return -1;
}

int kvm_routes_add_msi(struct kvm_routes *r, uint64_t address, uint32_t data,
                       uint32_t devid)
{
    int gsi;

    if (r->n == KVM_ROUTES_MAX) {
        return -ENOSPC;
    }
    gsi = gsi_alloc(r);
    if (gsi < 0) {
        return gsi;
    }
    r->table[r->n++] = (struct plat_msi_route){
        .gsi = (uint32_t)gsi, .address = address, .data = data,
        .devid = devid,
    };
    r->changes++;
    return gsi;
}

int kvm_routes_update_msi(struct kvm_routes *r, uint32_t gsi,
                          uint64_t address, uint32_t data, uint32_t devid)
{
    int i = route_index(r, gsi);
    struct plat_msi_route *e;

    if (i < 0) {
        return -ENOENT;
    }
    e = &r->table[i];
    if (e->address != address || e->data != data || e->devid != devid) {
        e->address = address;
        e->data = data;
        e->devid = devid;
        r->changes++;
    }
    return 0;
}

void kvm_routes_release(struct kvm_routes *r, uint32_t gsi)
{
    int i;

    if (!gsi_test(r, gsi)) {
        return;
    }
    i = route_index(r, gsi);
    if (i >= 0) {
        r->table[i] = r->table[--r->n];
        r->changes++;
    }
    r->gsi_used[gsi / 64] &= ~(1ull << (gsi % 64));
}

int kvm_routes_commit(struct kvm_routes *r)
{
    int rc;

    if (r->changes == 0) {
        r->commits_skipped++;
        return 0;
    }
    plat_trace_begin("commit routes");
    rc = plat_kvm_set_gsi_routing(r->kvm, r->table, r->n);
    plat_trace_end();
    if (rc == 0) {
        r->changes = 0;
        r->commits++;
    }
    return rc;
}

bool kvm_routes_dirty(const struct kvm_routes *r)
{
    return r->changes != 0;
}

bool kvm_routes_has(const struct kvm_routes *r, uint32_t gsi)
{
    return route_index(r, gsi) >= 0;
}

unsigned kvm_routes_allocated(const struct kvm_routes *r)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < (r->gsi_limit + 63) / 64; i++) {
        n += (unsigned)__builtin_popcountll(r->gsi_used[i]);
    }
    return n;
}

int kvm_routes_irqfd(struct kvm_routes *r, struct plat_eventfd *efd,
                     uint32_t gsi, bool assign)
{
    return plat_kvm_irqfd(r->kvm, efd, gsi, assign);
}
