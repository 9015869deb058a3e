/*
 * tests/test_msix.c - KVM route cache and VFIO MSI/MSI-X setup: each
 * path, both variants, the nth-call fault loop over every fault site of
 * the enable path, leak checks and the differential between variants (the
 * refit of seed 000's constants is in tests/test_model.c).
 *
 * Most tests call the core outside a simulated run (one thread, no
 * costs); the simulated kernel still counts what the guest receives.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/kvm_routes.h"
#include "core/vfio_pci_irq.h"
#include "model/cost.h"
#include "model/msix/msix_diff.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/runner.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/tape.h"
#include "tests/lib.h"

#define NV 8

struct rig {
    struct plat_kvm *kvm;
    struct kvm_routes routes;
    struct plat_vfio_dev *vdev;
    struct vfio_pci_irq dev;
    uint64_t live0;
};

static uint64_t addr_of(unsigned j)
{
    return 0xfee00000ull | (uint64_t)j << 12;
}

static uint32_t data_of(unsigned j)
{
    return 0x40 + j;
}

static void rig_open(struct rig *r, enum vfio_irq_batching b, unsigned nv,
                     unsigned msi, unsigned msi_host_max)
{
    r->live0 = sim_alloc_live();
    r->kvm = sim_kvm_create(4);
    assert_non_null(r->kvm);
    assert_int_equal(kvm_routes_init(&r->routes, r->kvm, 24, 1024), 0);
    r->vdev = sim_vfio_create("vf", nv, msi, msi_host_max);
    assert_non_null(r->vdev);
    assert_int_equal(vfio_pci_irq_init(&r->dev, &r->routes, r->vdev, r->kvm,
                                       1, nv, msi, b), 0);
    for (unsigned j = 0; j < nv; j++) {
        msix_set_message(&r->dev.msix, j, addr_of(j), data_of(j));
        msix_set_masked(&r->dev.msix, j, false);
    }
}

static void rig_close(struct rig *r)
{
    vfio_pci_irq_destroy(&r->dev);
    kvm_routes_destroy(&r->routes);
    sim_vfio_destroy(r->vdev);
    sim_kvm_destroy(r->kvm);
    assert_int_equal(sim_alloc_live(), r->live0);
}

/* Fire vector j once and run the VMM's event loop; MSIs the guest got. */
static uint64_t fire(struct rig *r, enum plat_vfio_irq_index idx, unsigned j,
                     uint64_t a, uint32_t d)
{
    uint64_t before = sim_kvm_delivered(r->kvm, a, d);

    sim_vfio_fire(r->vdev, idx, j);
    vfio_pci_irq_service(&r->dev);
    return sim_kvm_delivered(r->kvm, a, d) - before;
}

/* ---- route cache ---- */

static void kvm_routes_add_msi_allocates_lowest_free_gsi(void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct kvm_routes r;

    (void)state;
    assert_int_equal(kvm_routes_init(&r, kvm, 24, 28), 0);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 1, 0), 24);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 2, 0), 25);
    kvm_routes_release(&r, 24);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 3, 0), 24);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 4, 0), 26);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 5, 0), 27);
    /* Boundary: the limit is exclusive. */
    assert_int_equal(kvm_routes_add_msi(&r, 1, 6, 0), -ENOSPC);
    assert_int_equal(kvm_routes_allocated(&r), 4);
    kvm_routes_destroy(&r);
    sim_kvm_destroy(kvm);
}

static void kvm_routes_init_bad_range_is_einval(void **state)
{
    struct kvm_routes r;

    (void)state;
    assert_int_equal(kvm_routes_init(&r, NULL, 10, 10), -EINVAL);
    assert_int_equal(kvm_routes_init(&r, NULL, 0, KVM_ROUTES_MAX + 1),
                     -EINVAL);
}

static void kvm_routes_commit_clean_cache_is_skipped(void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct kvm_routes r;

    (void)state;
    assert_int_equal(kvm_routes_init(&r, kvm, 24, 64), 0);
    assert_int_equal(kvm_routes_commit(&r), 0);
    assert_int_equal(sim_kvm_commits(kvm), 0);
    kvm_routes_add_msi(&r, 1, 1, 0);
    assert_int_equal(kvm_routes_commit(&r), 0);
    assert_int_equal(kvm_routes_commit(&r), 0);
    assert_int_equal(sim_kvm_commits(kvm), 1);
    /* An update with the same message is no change. */
    assert_int_equal(kvm_routes_update_msi(&r, 24, 1, 1, 0), 0);
    assert_false(kvm_routes_dirty(&r));
    assert_int_equal(kvm_routes_update_msi(&r, 99, 1, 1, 0), -ENOENT);
    kvm_routes_destroy(&r);
    sim_kvm_destroy(kvm);
}

static void kvm_routes_commit_failure_keeps_cache_dirty(void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct kvm_routes r;
    const struct plat_msi_route *k;

    (void)state;
    assert_int_equal(kvm_routes_init(&r, kvm, 24, 64), 0);
    kvm_routes_add_msi(&r, 1, 1, 0);
    sim_fault_fail_nth(PLAT_FAULT_KVM_SET_GSI_ROUTING, 1, false);
    assert_int_equal(kvm_routes_commit(&r), -ENOMEM);
    assert_true(kvm_routes_dirty(&r));
    assert_int_equal(sim_kvm_routes(kvm, &k), 0);
    assert_int_equal(kvm_routes_commit(&r), 0);
    assert_int_equal(sim_kvm_routes(kvm, &k), 1);
    kvm_routes_destroy(&r);
    sim_kvm_destroy(kvm);
}

/* ---- MSI-X paths ---- */

static void vfio_msix_enable_batched_commits_once(void **state)
{
    static const struct {
        enum vfio_irq_batching b;
        uint64_t commits;
    } rows[] = {
        /* per-vector: one per vector; batched: one for the batch */
        {VFIO_IRQ_PER_VECTOR, NV},
        {VFIO_IRQ_BATCHED, 1},
    };

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct rig r;

        rig_open(&r, rows[i].b, NV, 0, 0);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        assert_int_equal(sim_kvm_commits(r.kvm), rows[i].commits);
        assert_int_equal(sim_kvm_nirqfds(r.kvm), NV);
        assert_int_equal(sim_kvm_bound_before_route(r.kvm), 0);
        assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), NV);
        for (unsigned j = 0; j < NV; j++) {
            assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, j, addr_of(j),
                                  data_of(j)), 1);
        }
        rig_close(&r);
    }
}

static void vfio_msix_enable_no_vector_in_use_enables_host_msix(void **state)
{
    enum vfio_irq_batching b = *(const enum vfio_irq_batching *)*state;
    struct rig r;

    rig_open(&r, b, NV, 0, 0);
    for (unsigned j = 0; j < NV; j++) {
        msix_set_masked(&r.dev.msix, j, true);
    }
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    /* The host sees MSI-X enabled with one vector, no KVM route. */
    assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), 1);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), 0);
    assert_int_equal(kvm_routes_allocated(&r.routes), 0);
    rig_close(&r);
}

static void vfio_msix_unmask_after_enable_sets_up_that_vector(void **state)
{
    enum vfio_irq_batching b = *(const enum vfio_irq_batching *)*state;
    struct rig r;
    uint64_t commits;

    rig_open(&r, b, NV, 0, 0);
    msix_set_masked(&r.dev.msix, 5, true);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    commits = sim_kvm_commits(r.kvm);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), NV - 1);
    vfio_msix_mask(&r.dev, 5, false);
    /* add, commit, connect: for that vector alone */
    assert_int_equal(sim_kvm_commits(r.kvm), commits + 1);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), NV);
    assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 5, addr_of(5),
                          data_of(5)), 1);
    rig_close(&r);
}

static void vfio_msix_masked_vector_pends_then_delivers_once(void **state)
{
    enum vfio_irq_batching b = *(const enum vfio_irq_batching *)*state;
    struct rig r;
    uint64_t before;

    rig_open(&r, b, NV, 0, 0);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    vfio_msix_mask(&r.dev, 3, true);
    before = sim_kvm_delivered(r.kvm, addr_of(3), data_of(3));
    assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 3, addr_of(3),
                          data_of(3)), 0);
    assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 3, addr_of(3),
                          data_of(3)), 0);
    vfio_msix_mask(&r.dev, 3, false);
    assert_int_equal(sim_kvm_delivered(r.kvm, addr_of(3), data_of(3)) -
                         before, 1);
    rig_close(&r);
}

/* A pending bit is delivered once: the unmask that delivers it clears it,
 * so masking and unmasking again delivers nothing more. */
static void msix_set_masked_second_unmask_delivers_nothing(void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct msix_cap m;

    (void)state;
    assert_int_equal(msix_init(&m, 2, kvm, 1), 0);
    msix_set_message(&m, 1, addr_of(1), data_of(1));
    msix_set_enabled(&m, true);
    msix_notify(&m, 1);
    assert_true(m.table[1].pending);
    msix_set_masked(&m, 1, false);
    assert_false(m.table[1].pending);
    assert_int_equal(sim_kvm_delivered(kvm, addr_of(1), data_of(1)), 1);
    msix_set_masked(&m, 1, true);
    msix_set_masked(&m, 1, false);
    assert_int_equal(sim_kvm_delivered(kvm, addr_of(1), data_of(1)), 1);
    msix_destroy(&m);
    sim_kvm_destroy(kvm);
}

/* Disabling releases every route and commits: the kernel's table is
 * empty again, not just the VMM's copy. */
static void vfio_msix_disable_leaves_no_kernel_route(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        const struct plat_msi_route *k;
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        assert_int_equal(sim_kvm_routes(r.kvm, &k), NV);
        vfio_msix_disable(&r.dev);
        assert_int_equal(sim_kvm_routes(r.kvm, &k), 0);
        assert_false(kvm_routes_dirty(&r.routes));
        rig_close(&r);
    }
}

static void vfio_msix_growth_keeps_masked_vector_on_userspace_path(
    void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        for (unsigned j = 4; j < NV; j++) {
            msix_set_masked(&r.dev.msix, j, true);
        }
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        vfio_msix_mask(&r.dev, 3, true);
        /* Unmasking vector 6 grows the host's vector count, which
         * re-enables every vector: vector 3 must stay masked. */
        vfio_msix_mask(&r.dev, 6, false);
        assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 3, addr_of(3),
                              data_of(3)), 0);
        vfio_msix_mask(&r.dev, 3, false);
        assert_int_equal(sim_kvm_delivered(r.kvm, addr_of(3), data_of(3)), 1);
        rig_close(&r);
    }
}

/* ---- MSI ---- */

static void vfio_msi_enable_host_grants_fewer_retries(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, 1, 8, 2);
        assert_int_equal(vfio_msi_enable(&r.dev, 4, 0xfee01000, 0x80), 0);
        assert_int_equal(r.dev.msi_retries, 1);
        assert_int_equal(r.dev.nr_vectors, 2);
        assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSI), 2);
        assert_int_equal(kvm_routes_allocated(&r.routes), 2);
        assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSI, 0, 0xfee01000, 0x80),
                         1);
        assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSI, 1, 0xfee01000, 0x81),
                         1);
        vfio_msi_disable(&r.dev);
        assert_int_equal(kvm_routes_allocated(&r.routes), 0);
        assert_int_equal(sim_kvm_nirqfds(r.kvm), 0);
        rig_close(&r);
    }
}

static void vfio_msi_enable_bad_count_is_einval(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VFIO_IRQ_BATCHED, 1, 4, 0);
    assert_int_equal(vfio_msi_enable(&r.dev, 0, 0, 0), -EINVAL);
    assert_int_equal(vfio_msi_enable(&r.dev, 5, 0, 0), -EINVAL);
    rig_close(&r);
}

/* ---- leaks, faults ---- */

static void vfio_msix_100_enable_disable_cycles_leak_nothing(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        for (int c = 0; c < 100; c++) {
            assert_int_equal(vfio_msix_enable(&r.dev), 0);
            vfio_msix_disable(&r.dev);
            assert_int_equal(kvm_routes_allocated(&r.routes), 0);
            assert_int_equal(sim_kvm_nirqfds(r.kvm), 0);
        }
        rig_close(&r);
    }
}

/* Arm the loop's fault, enable, fire every vector, check, disable, check
 * leaks. */
static void enable_fire_check(enum vfio_irq_batching b,
                              struct fault_loop *fl, unsigned *lost)
{
    struct rig r;

    rig_open(&r, b, NV, 0, 0);
    sim_fault_reset();
    fault_loop_arm(fl);
    vfio_msix_enable(&r.dev);
    fault_loop_disarm(fl);
    /* Faults only in the enable path. */
    sim_fault_reset();
    *lost = 0;
    for (unsigned j = 0; j < NV; j++) {
        if (r.dev.host_errors) {
            break;
        }
        *lost += fire(&r, PLAT_VFIO_IRQ_MSIX, j, addr_of(j), data_of(j)) != 1;
    }
    vfio_msix_disable(&r.dev);
    assert_int_equal(kvm_routes_allocated(&r.routes), 0);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), 0);
    assert_int_equal(sim_kvm_bound_before_route(r.kvm), 0);
    rig_close(&r);
}

static void vfio_msix_enable_nth_call_fault_loop_keeps_delivering(
    void **state)
{
    static const enum plat_fault_site sites[] = {
        PLAT_FAULT_ALLOC, PLAT_FAULT_GSI_ALLOC,
        PLAT_FAULT_KVM_SET_GSI_ROUTING, PLAT_FAULT_KVM_IRQFD,
        PLAT_FAULT_VFIO_SET_IRQS,
    };

    (void)state;
    for (size_t s = 0; s < sizeof(sites) / sizeof(sites[0]); s++) {
        for (int b = 0; b < 2; b++) {
            struct fault_loop fl;

            FAULT_LOOP(fl, sites[s]) {
                unsigned lost;

                enable_fire_check((enum vfio_irq_batching)b, &fl, &lost);
                /* Every fault leaves the device delivering (through KVM or
                 * the userspace path). */
                if (lost) {
                    fail_msg("site %s variant %d n %llu persist %d: %u "
                             "vectors lost", plat_fault_site_name(sites[s]),
                             b, (unsigned long long)fl.n, fl.persist, lost);
                }
            }
        }
    }
    sim_fault_reset();
}

/* ---- error paths: each falls back to userspace and keeps delivering ---- */

/* Every vector delivers exactly once, through KVM or the userspace path. */
static void assert_every_vector_delivers(struct rig *r)
{
    for (unsigned j = 0; j < NV; j++) {
        assert_int_equal(fire(r, PLAT_VFIO_IRQ_MSIX, j, addr_of(j),
                              data_of(j)), 1);
    }
}

static void vfio_msix_enable_irqfd_failure_falls_back_that_vector(
    void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        /* Both variants bind irqfds in vector order: the 3rd is vector 2. */
        sim_fault_fail_nth(PLAT_FAULT_KVM_IRQFD, 3, false);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        sim_fault_reset();
        assert_int_equal(r.dev.fallbacks, 1);
        assert_int_equal(r.dev.vectors[2].virq, -1);
        assert_int_equal(sim_kvm_irqfd_gsi(r.kvm,
                                           &r.dev.vectors[2].kvm_interrupt),
                         -1);
        assert_int_equal(sim_kvm_nirqfds(r.kvm), NV - 1);
        assert_int_equal(kvm_routes_allocated(&r.routes), NV - 1);
        assert_every_vector_delivers(&r);
        rig_close(&r);
    }
}

static void vfio_msix_enable_per_vector_commit_failure_falls_back_one(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VFIO_IRQ_PER_VECTOR, NV, 0, 0);
    /* One commit per vector: the 3rd is vector 2's. */
    sim_fault_fail_nth(PLAT_FAULT_KVM_SET_GSI_ROUTING, 3, false);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    sim_fault_reset();
    assert_int_equal(r.dev.fallbacks, 1);
    assert_int_equal(r.dev.vectors[2].virq, -1);
    assert_false(r.dev.vectors[2].irqfd);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), NV - 1);
    assert_int_equal(kvm_routes_allocated(&r.routes), NV - 1);
    assert_int_equal(sim_kvm_bound_before_route(r.kvm), 0);
    assert_every_vector_delivers(&r);
    rig_close(&r);
}

static void vfio_msix_enable_batched_commit_failure_falls_back_all(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VFIO_IRQ_BATCHED, NV, 0, 0);
    sim_fault_fail_nth(PLAT_FAULT_KVM_SET_GSI_ROUTING, 1, false);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    sim_fault_reset();
    /* The one commit carried every route: every vector falls back. */
    assert_int_equal(r.dev.fallbacks, NV);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), 0);
    assert_int_equal(kvm_routes_allocated(&r.routes), 0);
    assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), NV);
    assert_every_vector_delivers(&r);
    /* The next enable, without the fault, routes them through KVM. */
    vfio_msix_disable(&r.dev);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    assert_int_equal(sim_kvm_nirqfds(r.kvm), NV);
    assert_every_vector_delivers(&r);
    rig_close(&r);
}

static void vfio_msix_enable_gsi_exhausted_vector_uses_userspace(
    void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        /* Five GSIs for eight vectors. */
        kvm_routes_destroy(&r.routes);
        assert_int_equal(kvm_routes_init(&r.routes, r.kvm, 24, 29), 0);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        assert_int_equal(r.dev.fallbacks, NV - 5);
        assert_int_equal(kvm_routes_allocated(&r.routes), 5);
        assert_int_equal(sim_kvm_nirqfds(r.kvm), 5);
        for (unsigned j = 5; j < NV; j++) {
            assert_int_equal(r.dev.vectors[j].virq, -1);
        }
        assert_every_vector_delivers(&r);
        rig_close(&r);
    }
}

static void vfio_msix_unmask_new_message_commit_failure_uses_userspace(
    void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;
        int gsi2;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        gsi2 = r.dev.vectors[2].virq;
        /* The guest moves vector 2 while masked: the route follows. */
        vfio_msix_mask(&r.dev, 2, true);
        msix_set_message(&r.dev.msix, 2, addr_of(12), data_of(12));
        vfio_msix_mask(&r.dev, 2, false);
        assert_int_equal(r.dev.vectors[2].virq, gsi2);
        assert_false(kvm_routes_dirty(&r.routes));
        assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 2, addr_of(12),
                              data_of(12)), 1);
        assert_int_equal(sim_kvm_delivered(r.kvm, addr_of(2), data_of(2)),
                         0);
        /* Vector 4 likewise, but the commit fails: userspace path. */
        vfio_msix_mask(&r.dev, 4, true);
        msix_set_message(&r.dev.msix, 4, addr_of(14), data_of(14));
        sim_fault_fail_nth(PLAT_FAULT_KVM_SET_GSI_ROUTING, 1, false);
        vfio_msix_mask(&r.dev, 4, false);
        sim_fault_reset();
        assert_int_equal(r.dev.fallbacks, 1);
        assert_int_equal(r.dev.vectors[4].virq, -1);
        assert_int_equal(sim_kvm_nirqfds(r.kvm), NV - 1);
        assert_int_equal(kvm_routes_allocated(&r.routes), NV - 1);
        assert_int_equal(fire(&r, PLAT_VFIO_IRQ_MSIX, 4, addr_of(14),
                              data_of(14)), 1);
        assert_int_equal(sim_kvm_delivered(r.kvm, addr_of(4), data_of(4)),
                         0);
        rig_close(&r);
    }
}

/* Batched: the one VFIO_DEVICE_SET_IRQS of the enable. */
static void vfio_msix_enable_set_irqs_eio_retried_then_given_up(void **state)
{
    struct rig r;
    uint64_t calls;

    (void)state;
    /* A transient -EIO is retried and the enable succeeds. */
    rig_open(&r, VFIO_IRQ_BATCHED, NV, 0, 0);
    calls = sim_vfio_set_irqs_calls(r.vdev);
    sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_IRQS, 1, false);
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    sim_fault_reset();
    assert_int_equal(sim_vfio_set_irqs_calls(r.vdev) - calls, 2);
    assert_int_equal(r.dev.host_errors, 0);
    assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), NV);
    assert_every_vector_delivers(&r);
    rig_close(&r);

    /* -EIO on every try: three tries, then the error is returned. */
    rig_open(&r, VFIO_IRQ_BATCHED, NV, 0, 0);
    calls = sim_vfio_set_irqs_calls(r.vdev);
    sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_IRQS, 1, true);
    assert_int_equal(vfio_msix_enable(&r.dev), -EIO);
    sim_fault_reset();
    assert_int_equal(sim_vfio_set_irqs_calls(r.vdev) - calls, 3);
    assert_int_equal(r.dev.host_errors, 1);
    assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), 0);
    assert_int_equal(sim_vfio_fire(r.vdev, PLAT_VFIO_IRQ_MSIX, 0), 0);
    rig_close(&r);
}

/* The host refuses to turn MSI-X off (-EIO on every try): it keeps the
 * old triggers, so a device firing afterwards signals the vectors'
 * eventfds.  They must still be live (nobody reads them, nothing is
 * delivered), and enabling again starts them afresh. */
static void vfio_msix_disable_host_refuses_late_firing_signals_live_eventfd(
    void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct rig r;
        uint64_t delivered;

        rig_open(&r, (enum vfio_irq_batching)b, NV, 0, 0);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        sim_fault_fail_nth(PLAT_FAULT_VFIO_SET_IRQS, 1, true);
        vfio_msix_disable(&r.dev);
        sim_fault_reset();
        assert_in_range(r.dev.host_errors, 1, NV + 1);
        assert_int_equal(sim_vfio_enabled(r.vdev, PLAT_VFIO_IRQ_MSIX), NV);
        delivered = sim_kvm_delivered_total(r.kvm);
        for (unsigned j = 0; j < NV; j++) {
            assert_int_equal(sim_vfio_fire(r.vdev, PLAT_VFIO_IRQ_MSIX, j),
                             1);
        }
        assert_int_equal(vfio_pci_irq_service(&r.dev), 0);
        assert_int_equal(sim_kvm_delivered_total(r.kvm), delivered);
        assert_int_equal(vfio_msix_enable(&r.dev), 0);
        assert_every_vector_delivers(&r);
        rig_close(&r);
    }
}

/* ---- the MSI-X capability on its own ---- */

struct notifier_log {
    unsigned used[8], released[8];
    unsigned nused, nreleased;
    unsigned fail_at;
};

static int log_use(void *opaque, unsigned nr, uint64_t address,
                   uint32_t data)
{
    struct notifier_log *l = opaque;

    (void)address;
    (void)data;
    l->used[l->nused++] = nr;
    return nr == l->fail_at ? -ENOSPC : 0;
}

static void log_release(void *opaque, unsigned nr)
{
    struct notifier_log *l = opaque;

    l->released[l->nreleased++] = nr;
}

static void msix_set_vector_notifiers_use_failure_releases_earlier(
    void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct notifier_log l = {.fail_at = 4};
    struct msix_cap m;

    (void)state;
    assert_int_equal(msix_init(&m, 6, kvm, 1), 0);
    for (unsigned j = 0; j < 6; j++) {
        msix_set_message(&m, j, addr_of(j), data_of(j));
        msix_set_masked(&m, j, j == 1);
    }
    msix_set_enabled(&m, true);
    assert_int_equal(msix_set_vector_notifiers(&m, log_use, log_release, &l),
                     -ENOSPC);
    /* Unmasked vectors in order up to the failing one ... */
    assert_int_equal(l.nused, 4);
    assert_int_equal(l.used[0], 0);
    assert_int_equal(l.used[1], 2);
    assert_int_equal(l.used[3], 4);
    /* ... and the ones set up before it released in reverse. */
    assert_int_equal(l.nreleased, 3);
    assert_int_equal(l.released[0], 3);
    assert_int_equal(l.released[1], 2);
    assert_int_equal(l.released[2], 0);
    /* No notifiers are left: (un)masking calls nothing. */
    assert_null(m.use);
    msix_set_masked(&m, 0, true);
    msix_set_masked(&m, 0, false);
    assert_int_equal(l.nused + l.nreleased, 7);
    /* Delivery stays on the userspace path. */
    msix_notify(&m, 0);
    assert_int_equal(sim_kvm_delivered(kvm, addr_of(0), data_of(0)), 1);
    msix_destroy(&m);
    sim_kvm_destroy(kvm);
}

static void msix_out_of_range_and_disabled_calls_change_nothing(void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct notifier_log l = {.fail_at = 99};
    struct msix_cap m;
    uint64_t live = sim_alloc_live();

    (void)state;
    assert_int_equal(msix_init(&m, 0, kvm, 1), -EINVAL);
    assert_int_equal(msix_init(&m, 2049, kvm, 1), -EINVAL);
    sim_fault_fail_nth(PLAT_FAULT_ALLOC, 1, false);
    assert_int_equal(msix_init(&m, 4, kvm, 1), -ENOMEM);
    sim_fault_reset();
    assert_int_equal(sim_alloc_live(), live);
    assert_int_equal(msix_init(&m, 2048, kvm, 1), 0);
    msix_destroy(&m);

    assert_int_equal(msix_init(&m, 4, kvm, 1), 0);
    msix_set_message(&m, 4, 1, 1);
    msix_set_masked(&m, 4, false);
    assert_true(msix_is_masked(&m, 4));
    /* Disabled: notifiers are installed without any use call, and a
     * notify is dropped. */
    assert_int_equal(msix_set_vector_notifiers(&m, log_use, log_release, &l),
                     0);
    assert_int_equal(l.nused, 0);
    msix_set_masked(&m, 0, false);
    assert_int_equal(l.nused, 0);
    msix_notify(&m, 0);
    msix_notify(&m, 4);
    assert_int_equal(sim_kvm_delivered_total(kvm), 0);
    msix_unset_vector_notifiers(&m);
    assert_int_equal(l.nreleased, 0);
    /* A second unset is a no-op. */
    msix_unset_vector_notifiers(&m);
    msix_destroy(&m);
    sim_kvm_destroy(kvm);
}

/* ---- setup errors and introspection ---- */

static void vfio_pci_irq_init_bad_counts_einval_nth_alloc_enomem(
    void **state)
{
    struct plat_kvm *kvm = sim_kvm_create(1);
    struct kvm_routes routes;
    struct vfio_pci_irq d;
    struct fault_loop fl;
    uint64_t live;

    (void)state;
    assert_int_equal(kvm_routes_init(&routes, kvm, 24, 64), 0);
    assert_int_equal(vfio_pci_irq_init(&d, &routes, NULL, kvm, 1, 0, 0,
                                       VFIO_IRQ_BATCHED), -EINVAL);
    assert_int_equal(vfio_pci_irq_init(&d, &routes, NULL, kvm, 1, 4, 33,
                                       VFIO_IRQ_BATCHED), -EINVAL);
    live = sim_alloc_live();
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int rc = FAULT_LOOP_CALL(fl, vfio_pci_irq_init(&d, &routes, NULL, kvm,
                                                       1, 4, 2,
                                                       VFIO_IRQ_BATCHED));

        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            continue;
        }
        assert_int_equal(rc, 0);
        /* The table, the vectors and the triggers. */
        assert_int_equal(fl.n, 4);
        vfio_pci_irq_destroy(&d);
        assert_int_equal(sim_alloc_live(), live);
    }
    sim_fault_reset();
    /* A device without MSI-X refuses the MSI-X enable. */
    assert_int_equal(vfio_pci_irq_init(&d, &routes, NULL, kvm, 1, 0, 2,
                                       VFIO_IRQ_BATCHED), 0);
    assert_int_equal(vfio_msix_enable(&d), -EINVAL);
    vfio_pci_irq_destroy(&d);
    kvm_routes_destroy(&routes);
    sim_kvm_destroy(kvm);
}

static void vfio_pci_irq_message_follows_the_enabled_mode(void **state)
{
    struct rig r;
    uint64_t a = 0;
    uint32_t d = 0;

    (void)state;
    rig_open(&r, VFIO_IRQ_BATCHED, NV, 4, 0);
    assert_false(vfio_pci_irq_message(&r.dev, 0, &a, &d));
    assert_int_equal(vfio_msix_enable(&r.dev), 0);
    assert_true(vfio_pci_irq_message(&r.dev, 3, &a, &d));
    assert_int_equal(a, addr_of(3));
    assert_int_equal(d, data_of(3));
    assert_false(vfio_pci_irq_message(&r.dev, NV, &a, &d));
    assert_int_equal(vfio_msi_enable(&r.dev, 2, 0xfee02000, 0x90), 0);
    assert_true(vfio_pci_irq_message(&r.dev, 1, &a, &d));
    assert_int_equal(a, 0xfee02000);
    assert_int_equal(d, 0x91);
    /* Boundary: vector 2 of a 2-vector MSI enable. */
    assert_false(vfio_pci_irq_message(&r.dev, 2, &a, &d));
    rig_close(&r);
}

static void kvm_routes_init_nth_alloc_failure_is_enomem(void **state)
{
    struct kvm_routes r;
    struct fault_loop fl;
    uint64_t live = sim_alloc_live();

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int rc = FAULT_LOOP_CALL(fl, kvm_routes_init(&r, NULL, 24, 64));

        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(fl.n, 3); /* two allocations */
        kvm_routes_destroy(&r);
        assert_int_equal(sim_alloc_live(), live);
    }
    sim_fault_reset();
}

static void kvm_routes_add_msi_4097th_route_is_enospc(void **state)
{
    struct kvm_routes r;

    (void)state;
    assert_int_equal(kvm_routes_init(&r, NULL, 0, KVM_ROUTES_MAX), 0);
    for (uint32_t i = 0; i < KVM_ROUTES_MAX; i++) {
        assert_int_equal(kvm_routes_add_msi(&r, 1, i, 0), (int)i);
    }
    assert_int_equal(kvm_routes_add_msi(&r, 1, 0, 0), -ENOSPC);
    assert_true(kvm_routes_has(&r, KVM_ROUTES_MAX - 1));
    kvm_routes_release(&r, 7);
    assert_false(kvm_routes_has(&r, 7));
    /* Releasing a free GSI again changes nothing. */
    kvm_routes_release(&r, 7);
    assert_int_equal(kvm_routes_allocated(&r), KVM_ROUTES_MAX - 1);
    assert_int_equal(kvm_routes_add_msi(&r, 1, 0, 0), 7);
    kvm_routes_destroy(&r);
}

/* ---- differential between the variants ---- */

static void msix_diff_run_random_streams_variants_agree(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t rng = seed;
        uint8_t ops[400];
        char err[256];

        for (size_t i = 0; i < sizeof(ops); i++) {
            ops[i] = (uint8_t)sim_splitmix64(&rng);
            /* Half the seeds without faults: full table comparison. */
            if (seed % 2 && i >= MSIX_DIFF_HDR &&
                (i - MSIX_DIFF_HDR) % MSIX_DIFF_OP_BYTES == 0 &&
                ops[i] % 8 == 7) {
                ops[i] = 4;
            }
        }
        if (msix_diff_run(ops, sizeof(ops), err, sizeof(err)) != 0) {
            fail_msg("seed %llu: %s", (unsigned long long)seed, err);
        }
    }
}

/* The two batchings as parameterised cases, "FUNC/per-vector" and
 * "FUNC/batched". */
static const enum vfio_irq_batching batching_per_vector = VFIO_IRQ_PER_VECTOR;
static const enum vfio_irq_batching batching_batched = VFIO_IRQ_BATCHED;
#define BATCHINGS(f)                                                       \
    TEST_CASE_VARIANT(f, "per-vector", &batching_per_vector),              \
    TEST_CASE_VARIANT(f, "batched", &batching_batched)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kvm_routes_add_msi_allocates_lowest_free_gsi),
        cmocka_unit_test(kvm_routes_init_bad_range_is_einval),
        cmocka_unit_test(kvm_routes_commit_clean_cache_is_skipped),
        cmocka_unit_test_setup_teardown(
            kvm_routes_commit_failure_keeps_cache_dirty, reset_faults,
            reset_faults),
        cmocka_unit_test(vfio_msix_enable_batched_commits_once),
        BATCHINGS(vfio_msix_enable_no_vector_in_use_enables_host_msix),
        BATCHINGS(vfio_msix_unmask_after_enable_sets_up_that_vector),
        BATCHINGS(vfio_msix_masked_vector_pends_then_delivers_once),
        cmocka_unit_test(msix_set_masked_second_unmask_delivers_nothing),
        cmocka_unit_test(vfio_msix_disable_leaves_no_kernel_route),
        cmocka_unit_test(
            vfio_msix_disable_host_refuses_late_firing_signals_live_eventfd),
        cmocka_unit_test(
            vfio_msix_growth_keeps_masked_vector_on_userspace_path),
        cmocka_unit_test(vfio_msi_enable_host_grants_fewer_retries),
        cmocka_unit_test(vfio_msi_enable_bad_count_is_einval),
        cmocka_unit_test(vfio_msix_100_enable_disable_cycles_leak_nothing),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_nth_call_fault_loop_keeps_delivering,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_irqfd_failure_falls_back_that_vector,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_per_vector_commit_failure_falls_back_one,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_batched_commit_failure_falls_back_all,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_gsi_exhausted_vector_uses_userspace,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_unmask_new_message_commit_failure_uses_userspace,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_msix_enable_set_irqs_eio_retried_then_given_up,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            msix_set_vector_notifiers_use_failure_releases_earlier,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            msix_out_of_range_and_disabled_calls_change_nothing,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_pci_irq_init_bad_counts_einval_nth_alloc_enomem,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            vfio_pci_irq_message_follows_the_enabled_mode,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            kvm_routes_init_nth_alloc_failure_is_enomem,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            kvm_routes_add_msi_4097th_route_is_enospc,
            reset_faults, reset_faults),
        cmocka_unit_test(msix_diff_run_random_streams_variants_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
