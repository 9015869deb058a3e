/*
 * tests/test_iobus_coalesced_mmio.c - coalesced MMIO zones and their ring
 * (core/coalesced_mmio.c): zone arguments, which writes are recorded, one
 * slot always free, a full ring declining (the access exits), userspace
 * index writes that are out of range, unregister by containment, the
 * nth-allocation fault loop, and teardown.
 *
 * Runs on the simulator outside sim_run(): one thread, faults and
 * allocation accounting active.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/coalesced_mmio.h"
#include "core/iobus.h"
#include "core/platform.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "tests/lib.h"

static struct {
    struct iobus_set set;
    struct coalesced_mmio_set cm;
    uint64_t live;
} fx;

static int fx_setup(void **state)
{
    (void)state;
    sim_fault_reset();
    fx.live = sim_alloc_live();
    iobus_set_init(&fx.set, IOBUS_LOOKUP_EYTZINGER);
    coalesced_mmio_init(&fx.cm, &fx.set);
    return 0;
}

static int fx_teardown(void **state)
{
    (void)state;
    coalesced_mmio_fini(&fx.cm);
    iobus_set_destroy(&fx.set);
    sim_fault_reset();
    return test_alloc_live_is(fx.live);
}

static struct coalesced_mmio_zone zone(uint64_t addr, uint32_t size,
                                       uint32_t pio)
{
    struct coalesced_mmio_zone z = {
        .addr = addr, .size = size, .pio = pio, .tag = addr,
    };

    return z;
}

static int wr(enum iobus_id bus, uint64_t addr, unsigned alen, uint64_t v)
{
    return iobus_write(&fx.set, bus, addr, alen, &v, NULL);
}

static void coalesced_mmio_ring_has_170_slots_not_power_of_two(void **state)
{
    (void)state;
    assert_int_equal(COALESCED_MMIO_MAX, 170);
    ASSERT_LE(sizeof(struct coalesced_mmio_ring), COALESCED_MMIO_PAGE);
    assert_int_not_equal(COALESCED_MMIO_MAX & (COALESCED_MMIO_MAX - 1), 0);
}

static void coalesced_mmio_register_zone_table(void **state)
{
    static const struct {
        const char *name;
        uint64_t addr;
        uint32_t size;
        uint32_t pio;
        int rc;
    } rows[] = {
        { "mmio", 0x1000, 0x100, 0, 0 },
        { "pio", 0x3f8, 8, 1, 0 },
        { "pio flag 2", 0x1000, 0x100, 2, -EINVAL },
        { "size 0", 0x1000, 0, 0, -EINVAL },
        { "wraps", UINT64_MAX - 0xf, 0x10, 0, -EINVAL },
        { "ends at top", UINT64_MAX - 0x10, 0x10, 0, 0 },
        { "duplicate", 0x1000, 0x100, 0, 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct coalesced_mmio_zone z = zone(rows[i].addr, rows[i].size,
                                            rows[i].pio);
        int rc = coalesced_mmio_register_zone(&fx.cm, &z);

        if (rc != rows[i].rc) {
            fail_msg("row '%s': got %d want %d", rows[i].name, rc,
                     rows[i].rc);
        }
    }
    assert_int_equal(coalesced_mmio_nr_zones(&fx.cm), 4);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, NULL), -EINVAL);
}

static void coalesced_mmio_write_inside_zone_is_recorded_table(void **state)
{
    static const struct {
        const char *name;
        enum iobus_id bus;
        uint64_t addr;
        unsigned alen;
        int rc;
    } rows[] = {
        { "first byte", IOBUS_MMIO, 0x1000, 1, 0 },
        { "last 8", IOBUS_MMIO, 0x10f8, 8, 0 },
        { "crosses end", IOBUS_MMIO, 0x10fc, 8, -EOPNOTSUPP },
        { "before start", IOBUS_MMIO, 0xfff, 1, -EOPNOTSUPP },
        { "crosses start", IOBUS_MMIO, 0xffe, 4, -EOPNOTSUPP },
        { "len 0", IOBUS_MMIO, 0x1000, 0, -EOPNOTSUPP },
        { "same addr on pio", IOBUS_PIO, 0x1000, 1, -EOPNOTSUPP },
        { "pio zone", IOBUS_PIO, 0x3f9, 1, 0 },
    };
    struct coalesced_mmio_zone z1 = zone(0x1000, 0x100, 0);
    struct coalesced_mmio_zone z2 = zone(0x3f8, 8, 1);
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&fx.cm);
    struct coalesced_mmio_entry e;
    uint32_t want = 0;

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z1), 0);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z2), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = wr(rows[i].bus, rows[i].addr, rows[i].alen,
                    0x0807060504030201ull);

        if (rc != rows[i].rc) {
            fail_msg("row '%s': got %d want %d", rows[i].name, rc,
                     rows[i].rc);
        }
        want += rc == 0;
        assert_int_equal(coalesced_mmio_ring_pending(ring), want);
    }
    /* Entries come out in order, with the written bytes. */
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), 0);
    assert_int_equal(e.phys_addr, 0x1000);
    assert_int_equal(e.len, 1);
    assert_int_equal(e.data[0], 1);
    assert_int_equal(e.data[1], 0);
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), 0);
    assert_int_equal(e.phys_addr, 0x10f8);
    assert_int_equal(e.data[7], 8);
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), 0);
    assert_int_equal(e.pio, 1);
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), -EAGAIN);
    /* Reads are never coalesced. */
    {
        uint32_t v;

        assert_int_equal(iobus_read(&fx.set, IOBUS_MMIO, 0x1000, 4, &v,
                                    NULL), -EOPNOTSUPP);
    }
}

/* 169 writes fit; the 170th finds the ring full and is declined (exits to
 * userspace); one pop makes room for exactly one more. */
static void coalesced_mmio_full_ring_keeps_one_slot_free_and_declines(
    void **state)
{
    struct coalesced_mmio_zone z = zone(0x1000, 0x1000, 0);
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&fx.cm);
    struct coalesced_mmio_entry e;

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z), 0);
    /* Start mid-ring so the indices wrap. */
    plat_atomic_store(&ring->first, 100);
    plat_atomic_store(&ring->last, 100);
    for (uint64_t i = 0; i < COALESCED_MMIO_MAX - 1; i++) {
        assert_int_equal(wr(IOBUS_MMIO, 0x1000 + i, 1, i), 0);
    }
    assert_int_equal(coalesced_mmio_ring_pending(ring), 169);
    assert_int_equal(plat_atomic_load(&ring->last), 99);
    assert_int_equal(wr(IOBUS_MMIO, 0x1000, 1, 0), -EOPNOTSUPP);
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), 0);
    assert_int_equal(e.phys_addr, 0x1000);
    assert_int_equal(wr(IOBUS_MMIO, 0x1000, 1, 0), 0);
    assert_int_equal(wr(IOBUS_MMIO, 0x1000, 1, 0), -EOPNOTSUPP);
    for (uint64_t i = 1; i < COALESCED_MMIO_MAX; i++) {
        assert_int_equal(coalesced_mmio_ring_pop(ring, &e), 0);
        assert_int_equal(e.phys_addr, i < 169 ? 0x1000 + i : 0x1000);
    }
    assert_int_equal(coalesced_mmio_ring_pop(ring, &e), -EAGAIN);
}

/* Userspace owns the page: indices out of range must not be used. */
static void coalesced_mmio_userspace_indices_out_of_range_table(void **state)
{
    static const struct {
        const char *name;
        uint64_t first;
        uint64_t last;
        int write_rc;
        int pop_rc;
    } rows[] = {
        { "both 0", 0, 0, 0, 0 },
        { "last 169 first 0: full", 0, 169, -EOPNOTSUPP, 0 },
        { "last 169 first 1", 1, 169, 0, 0 },
        { "last at size", 0, 170, -EOPNOTSUPP, -EINVAL },
        { "last huge", 0, UINT64_MAX, -EOPNOTSUPP, -EINVAL },
        { "last 2^32", 0, 1ull << 32, -EOPNOTSUPP, -EINVAL },
        { "first at size", 170, 0, 0, -EINVAL },
        { "first huge", UINT64_MAX, 5, 0, -EINVAL },
        { "last = first - 1: full", 50, 49, -EOPNOTSUPP, 0 },
    };
    struct coalesced_mmio_zone z = zone(0x1000, 0x10, 0);
    struct coalesced_mmio_ring *ring = coalesced_mmio_ring(&fx.cm);

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct coalesced_mmio_entry e;
        int rc;

        plat_atomic_store(&ring->first, rows[i].first);
        plat_atomic_store(&ring->last, rows[i].last);
        rc = wr(IOBUS_MMIO, 0x1004, 4, 0xabcd);
        if (rc != rows[i].write_rc) {
            fail_msg("row '%s': write got %d want %d", rows[i].name, rc,
                     rows[i].write_rc);
        }
        if (rc != 0) {
            /* Declined: last untouched. */
            assert_int_equal(plat_atomic_load(&ring->last), rows[i].last);
        }
        rc = coalesced_mmio_ring_pop(ring, &e);
        if (rc != rows[i].pop_rc) {
            fail_msg("row '%s': pop got %d want %d", rows[i].name, rc,
                     rows[i].pop_rc);
        }
    }
}

static void coalesced_mmio_unregister_removes_containing_zones(void **state)
{
    struct coalesced_mmio_zone a = zone(0x1000, 0x1000, 0);
    struct coalesced_mmio_zone b = zone(0x1800, 0x100, 0);
    struct coalesced_mmio_zone c = zone(0x1800, 0x100, 1);
    struct coalesced_mmio_zone d = zone(0x1900, 0x10, 0);
    struct coalesced_mmio_zone q = zone(0x1800, 0x10, 0);
    struct coalesced_mmio_zone bad = zone(0x1800, 0x10, 3);

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &a), 0);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &b), 0);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &c), 0);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &d), 0);
    assert_int_equal(coalesced_mmio_unregister_zone(&fx.cm, &bad), -EINVAL);
    /* [0x1800, 0x1810) lies in a and b, not in c (PIO) or d. */
    assert_int_equal(coalesced_mmio_unregister_zone(&fx.cm, &q), 0);
    assert_int_equal(coalesced_mmio_nr_zones(&fx.cm), 2);
    assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 1);
    assert_int_equal(wr(IOBUS_MMIO, 0x1800, 4, 1), -EOPNOTSUPP);
    assert_int_equal(wr(IOBUS_MMIO, 0x1900, 4, 1), 0);
    assert_int_equal(wr(IOBUS_PIO, 0x1800, 4, 1), 0);
    /* Nothing matches: still 0, as KVM. */
    assert_int_equal(coalesced_mmio_unregister_zone(&fx.cm, &q), 0);
}

static void coalesced_mmio_register_nth_alloc_fault_loop(void **state)
{
    struct coalesced_mmio_zone a = zone(0x1000, 0x100, 0);
    struct coalesced_mmio_zone b = zone(0x2000, 0x100, 0);
    struct fault_loop fl;
    uint64_t live;

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &a), 0);
    live = sim_alloc_live();
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int rc = FAULT_LOOP_CALL(fl, coalesced_mmio_register_zone(&fx.cm,
                                                                  &b));

        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            assert_int_equal(coalesced_mmio_nr_zones(&fx.cm), 1);
            assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 1);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(fl.n, 3); /* the zone, then the snapshot */
        assert_int_equal(coalesced_mmio_unregister_zone(&fx.cm, &b), 0);
        assert_int_equal(sim_alloc_live(), live);
    }
}

/* Unregister with the smaller bus copy failing: the bus is emptied, every
 * zone on it released, and the call still returns 0. */
static void coalesced_mmio_unregister_nth_alloc_fault_loop(void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        struct coalesced_mmio_zone z[3] = {
            zone(0x1000, 0x100, 0), zone(0x2000, 0x100, 0),
            zone(0x1000, 0x100, 1),
        };
        struct coalesced_mmio_zone q = zone(0x1000, 4, 0);
        uint64_t resets = fx.set.bus_resets[IOBUS_MMIO];

        for (int i = 0; i < 3; i++) {
            assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z[i]), 0);
        }
        assert_int_equal(FAULT_LOOP_CALL(fl, coalesced_mmio_unregister_zone(
                                                 &fx.cm, &q)), 0);
        if (!fl.faulted) {
            assert_int_equal(fx.set.bus_resets[IOBUS_MMIO], resets);
            assert_int_equal(fl.n, 2);
            assert_int_equal(coalesced_mmio_nr_zones(&fx.cm), 2);
            assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 1);
            coalesced_mmio_fini(&fx.cm);
            coalesced_mmio_init(&fx.cm, &fx.set);
            continue;
        }
        assert_int_not_equal(fx.set.bus_resets[IOBUS_MMIO], resets);
        assert_int_equal(fl.n, 1);
        assert_int_equal(coalesced_mmio_nr_zones(&fx.cm), 1);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 0);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_PIO), 1);
        coalesced_mmio_fini(&fx.cm);
        coalesced_mmio_init(&fx.cm, &fx.set);
    }
    sim_fault_reset();
}

/* Bus teardown first releases the zones through their destructor. */
static void coalesced_mmio_bus_teardown_first_releases_zones(void **state)
{
    struct coalesced_mmio_zone a = zone(0x1000, 0x100, 0);
    struct coalesced_mmio_zone b = zone(0x60, 4, 1);

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &a), 0);
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &b), 0);
    iobus_set_destroy(&fx.set);
    assert_int_equal(fx.cm.nr_zones, 0);
    assert_null(fx.cm.head);
    iobus_set_init(&fx.set, IOBUS_LOOKUP_EYTZINGER);
}

/* Two vCPUs write into one zone at once.  Each writer records its own
 * failures; the test asserts after the run. */
#define CM_WRITES 20

struct cm_writer {
    uint64_t id;
    unsigned errors;
};

static void cm_writer(void *arg)
{
    struct cm_writer *w = arg;

    for (uint64_t i = 0; i < CM_WRITES; i++) {
        w->errors += wr(IOBUS_MMIO, 0x1000, 8, w->id << 32 | i) != 0;
    }
}

/* The ring lock orders the producers: every write of two concurrent vCPUs
 * gets a slot of its own, none overwritten and none lost, under random
 * and PCT schedules. */
static void coalesced_mmio_write_two_vcpus_record_every_write(void **state)
{
    static const enum sim_strategy strategies[] = {
        SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
    };
    struct coalesced_mmio_zone z = zone(0x1000, 0x100, 0);

    (void)state;
    assert_int_equal(coalesced_mmio_register_zone(&fx.cm, &z), 0);
    for (unsigned k = 0; k < 2; k++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            struct cm_writer w[2] = {{.id = 1}, {.id = 2}};
            unsigned seen[2][CM_WRITES] = {{0}};
            struct coalesced_mmio_entry e;
            struct sim_options o;
            struct sim_tape *tape;
            struct sim *s;
            unsigned n = 0;

            sim_options_default(&o);
            o.ncpus = 2;
            o.strategy = strategies[k];
            o.pct_steps = 400;
            tape = sim_tape_from_seed(seed);
            assert_non_null(tape);
            s = sim_create(&o, tape);
            assert_non_null(s);
            sim_spawn(s, "vcpu0", 0, cm_writer, &w[0]);
            sim_spawn(s, "vcpu1", 1, cm_writer, &w[1]);
            assert_int_equal(sim_run(s), SIM_OK);
            sim_destroy(s);
            sim_tape_destroy(tape);
            assert_int_equal(w[0].errors + w[1].errors, 0);
            while (coalesced_mmio_ring_pop(&fx.cm.ring, &e) == 0) {
                uint64_t v;

                memcpy(&v, e.data, sizeof(v));
                assert_in_range(v >> 32, 1, 2);
                assert_in_range(v & 0xffffffffu, 0, CM_WRITES - 1);
                seen[(v >> 32) - 1][v & 0xffffffffu]++;
                n++;
            }
            if (n != 2 * CM_WRITES) {
                fail_msg("strategy %u seed %" PRIu64 ": %u of %u writes "
                         "recorded", k, seed, n, 2 * CM_WRITES);
            }
            for (unsigned i = 0; i < CM_WRITES; i++) {
                assert_int_equal(seen[0][i], 1);
                assert_int_equal(seen[1][i], 1);
            }
        }
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(coalesced_mmio_ring_has_170_slots_not_power_of_two),
        T(coalesced_mmio_register_zone_table),
        T(coalesced_mmio_write_inside_zone_is_recorded_table),
        T(coalesced_mmio_full_ring_keeps_one_slot_free_and_declines),
        T(coalesced_mmio_userspace_indices_out_of_range_table),
        T(coalesced_mmio_unregister_removes_containing_zones),
        T(coalesced_mmio_register_nth_alloc_fault_loop),
        T(coalesced_mmio_unregister_nth_alloc_fault_loop),
        T(coalesced_mmio_bus_teardown_first_releases_zones),
        T(coalesced_mmio_write_two_vcpus_record_every_write),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
