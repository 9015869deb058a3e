/*
 * tests/test_iobus_ioeventfd.c - ioeventfd rules (core/ioeventfd.c): lengths,
 * wrapping ranges, length-0 restrictions, the collision rule, exact-match
 * deassign, which writes hit, the FAST_MMIO twin, the device limits, the
 * nth-allocation fault loop and teardown in either order.
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

#include "core/iobus.h"
#include "core/ioeventfd.h"
#include "core/platform.h"
#include "sim/fault.h"
#include "tests/lib.h"

#define DM IOEVENTFD_F_DATAMATCH
#define PIO IOEVENTFD_F_PIO

struct fixture {
    struct iobus_set set;
    struct ioeventfd_set efds;
    struct plat_eventfd efd[2];
    uint64_t live;
};

static struct fixture fx;

static int fx_setup(void **state)
{
    (void)state;
    sim_fault_reset();
    fx.live = sim_alloc_live();
    iobus_set_init(&fx.set, IOBUS_LOOKUP_BSEARCH);
    ioeventfd_set_init(&fx.efds, &fx.set);
    plat_eventfd_init(&fx.efd[0], "efd0");
    plat_eventfd_init(&fx.efd[1], "efd1");
    return 0;
}

static int fx_teardown(void **state)
{
    (void)state;
    ioeventfd_set_fini(&fx.efds);
    iobus_set_destroy(&fx.set);
    plat_eventfd_destroy(&fx.efd[0]);
    plat_eventfd_destroy(&fx.efd[1]);
    sim_fault_reset();
    /* Every test ends with nothing leaked. */
    return test_alloc_live_is(fx.live);
}

static struct ioeventfd_args args(uint64_t addr, uint32_t len,
                                  uint32_t flags, uint64_t dm, unsigned efd)
{
    struct ioeventfd_args a = {
        .addr = addr,
        .len = len,
        .flags = flags,
        .datamatch = dm,
        .eventfd = &fx.efd[efd],
        .tag = addr,
    };

    return a;
}

/* ---- assign argument checks --------------------------------------------- */

struct assign_row {
    const char *name;
    uint64_t addr;
    uint32_t len;
    uint32_t flags;
    int rc;
};

static void check_assign_rows(const struct assign_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ioeventfd_args a = args(rows[i].addr, rows[i].len,
                                       rows[i].flags, 7, 0);
        int rc = ioeventfd_assign(&fx.efds, &a);

        if (rc != rows[i].rc) {
            fail_msg("row '%s': got %d want %d", rows[i].name, rc,
                     rows[i].rc);
        }
        if (rc == 0) {
            assert_int_equal(ioeventfd_deassign(&fx.efds, &a), 0);
        }
    }
    assert_int_equal(ioeventfd_count(&fx.efds), 0);
}

static void ioeventfd_assign_lengths_table(void **state)
{
    static const struct assign_row rows[] = {
        { "len 0 mmio", 0x1000, 0, 0, 0 },
        { "len 1", 0x1000, 1, 0, 0 },
        { "len 2", 0x1000, 2, DM, 0 },
        { "len 3", 0x1000, 3, 0, -EINVAL },
        { "len 4", 0x1000, 4, PIO, 0 },
        { "len 5", 0x1000, 5, 0, -EINVAL },
        { "len 6", 0x1000, 6, 0, -EINVAL },
        { "len 7", 0x1000, 7, 0, -EINVAL },
        { "len 8", 0x1000, 8, PIO | DM, 0 },
        { "len 16", 0x1000, 16, 0, -EINVAL },
        { "len 0xffffffff", 0x1000, UINT32_MAX, 0, -EINVAL },
    };

    (void)state;
    check_assign_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void ioeventfd_assign_len3_is_einval(void **state)
{
    struct ioeventfd_args a = args(0x1000, 3, PIO, 0, 0);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), -EINVAL);
    assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_PIO), 0);
}

static void ioeventfd_assign_wrapping_range_is_einval(void **state)
{
    static const struct assign_row rows[] = {
        { "top byte len 1", UINT64_MAX, 1, 0, -EINVAL },
        { "ends at 2^64", UINT64_MAX - 7, 8, 0, -EINVAL },
        { "ends at 2^64 - 1", UINT64_MAX - 8, 8, 0, 0 },
        { "top byte len 0", UINT64_MAX, 0, 0, 0 },
        { "pio top len 2", UINT64_MAX - 1, 2, PIO, -EINVAL },
        { "pio top-2 len 2", UINT64_MAX - 2, 2, PIO, 0 },
        { "address 0", 0, 8, 0, 0 },
    };

    (void)state;
    check_assign_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void ioeventfd_assign_len0_only_mmio_without_datamatch(void **state)
{
    static const struct assign_row rows[] = {
        { "len 0 mmio wildcard", 0x2000, 0, 0, 0 },
        { "len 0 mmio datamatch", 0x2000, 0, DM, -EINVAL },
        { "len 0 pio", 0x2000, 0, PIO, -EINVAL },
        { "len 0 pio datamatch", 0x2000, 0, PIO | DM, -EINVAL },
        { "unknown flag", 0x2000, 4, 0x100, -EINVAL },
    };

    (void)state;
    check_assign_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void ioeventfd_assign_null_eventfd_is_einval(void **state)
{
    struct ioeventfd_args a = args(0x1000, 4, 0, 0, 0);

    (void)state;
    a.eventfd = NULL;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), -EINVAL);
    assert_int_equal(ioeventfd_deassign(&fx.efds, &a), -EINVAL);
    assert_int_equal(ioeventfd_assign(&fx.efds, NULL), -EINVAL);
}

/* ---- collisions --------------------------------------------------------- */

struct pair_row {
    const char *name;
    uint64_t addr[2];
    uint32_t len[2];
    uint32_t flags[2];
    uint64_t dm[2];
    unsigned efd[2];
    int rc; /* of the second assign */
};

static void ioeventfd_collision_table(void **state)
{
    static const struct pair_row rows[] = {
        { "same addr wildcards", { 0x10, 0x10 }, { 4, 4 }, { 0, 0 },
          { 0, 0 }, { 0, 1 }, -EEXIST },
        { "wildcard then datamatch", { 0x10, 0x10 }, { 4, 4 }, { 0, DM },
          { 0, 5 }, { 0, 1 }, -EEXIST },
        { "datamatch then wildcard", { 0x10, 0x10 }, { 4, 4 }, { DM, 0 },
          { 5, 0 }, { 0, 1 }, -EEXIST },
        { "equal datamatch", { 0x10, 0x10 }, { 4, 4 }, { DM, DM },
          { 5, 5 }, { 0, 1 }, -EEXIST },
        { "different datamatch", { 0x10, 0x10 }, { 4, 4 }, { DM, DM },
          { 5, 6 }, { 0, 0 }, 0 },
        { "different length", { 0x10, 0x10 }, { 4, 2 }, { 0, 0 },
          { 0, 0 }, { 0, 0 }, 0 },
        { "len 0 then len 4", { 0x10, 0x10 }, { 0, 4 }, { 0, DM },
          { 0, 9 }, { 0, 1 }, -EEXIST },
        { "len 8 then len 0", { 0x10, 0x10 }, { 8, 0 }, { DM, 0 },
          { 9, 0 }, { 0, 1 }, -EEXIST },
        { "len 0 twice", { 0x10, 0x10 }, { 0, 0 }, { 0, 0 },
          { 0, 0 }, { 0, 1 }, -EEXIST },
        { "different bus", { 0x10, 0x10 }, { 4, 4 }, { 0, PIO },
          { 0, 0 }, { 0, 0 }, 0 },
        { "pio same addr", { 0x10, 0x10 }, { 1, 1 }, { PIO, PIO },
          { 0, 0 }, { 0, 1 }, -EEXIST },
        { "next address", { 0x10, 0x11 }, { 4, 4 }, { 0, 0 },
          { 0, 0 }, { 0, 0 }, 0 },
        { "overlapping, other addr", { 0x10, 0x12 }, { 4, 2 }, { 0, 0 },
          { 0, 0 }, { 0, 0 }, 0 },
        { "same eventfd identical", { 0x10, 0x10 }, { 2, 2 }, { DM, DM },
          { 1, 1 }, { 0, 0 }, -EEXIST },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct pair_row *r = &rows[i];
        struct ioeventfd_args a = args(r->addr[0], r->len[0], r->flags[0],
                                       r->dm[0], r->efd[0]);
        struct ioeventfd_args b = args(r->addr[1], r->len[1], r->flags[1],
                                       r->dm[1], r->efd[1]);
        int rc;

        assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
        rc = ioeventfd_assign(&fx.efds, &b);
        if (rc != r->rc) {
            fail_msg("row '%s': second assign got %d want %d", r->name, rc,
                     r->rc);
        }
        assert_int_equal(ioeventfd_deassign(&fx.efds, &a), 0);
        if (rc == 0) {
            assert_int_equal(ioeventfd_deassign(&fx.efds, &b), 0);
        }
        assert_int_equal(ioeventfd_count(&fx.efds), 0);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 0);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_FAST_MMIO), 0);
    }
}

static void ioeventfd_assign_same_addr_wildcard_is_eexist(void **state)
{
    struct ioeventfd_args a = args(0x40, 4, PIO | DM, 3, 0);
    struct ioeventfd_args b = args(0x40, 4, PIO, 0, 1);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    assert_int_equal(ioeventfd_assign(&fx.efds, &b), -EEXIST);
    assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_PIO), 1);
}

/* ---- deassign ----------------------------------------------------------- */

static void ioeventfd_deassign_needs_exact_match_table(void **state)
{
    static const struct {
        const char *name;
        uint64_t addr;
        uint32_t len;
        uint32_t flags;
        uint64_t dm;
        unsigned efd;
        int rc;
    } rows[] = {
        { "other eventfd", 0x30, 4, DM, 7, 1, -ENOENT },
        { "other datamatch", 0x30, 4, DM, 8, 0, -ENOENT },
        { "wildcard instead", 0x30, 4, 0, 7, 0, -ENOENT },
        { "other length", 0x30, 2, DM, 7, 0, -ENOENT },
        { "other bus", 0x30, 4, DM | PIO, 7, 0, -ENOENT },
        { "other address", 0x31, 4, DM, 7, 0, -ENOENT },
        { "bad length", 0x30, 3, DM, 7, 0, -ENOENT },
        { "unknown flag", 0x30, 4, DM | 0x40, 7, 0, -EINVAL },
        { "exact", 0x30, 4, DM, 7, 0, 0 },
        { "exact again", 0x30, 4, DM, 7, 0, -ENOENT },
    };
    struct ioeventfd_args a = args(0x30, 4, DM, 7, 0);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct ioeventfd_args d = args(rows[i].addr, rows[i].len,
                                       rows[i].flags, rows[i].dm,
                                       rows[i].efd);
        int rc = ioeventfd_deassign(&fx.efds, &d);

        if (rc != rows[i].rc) {
            fail_msg("row '%s': got %d want %d", rows[i].name, rc,
                     rows[i].rc);
        }
    }
    assert_int_equal(ioeventfd_count(&fx.efds), 0);
}

/* A wildcard deassign matches whatever datamatch value it carries. */
static void ioeventfd_deassign_wildcard_ignores_datamatch_value(void **state)
{
    struct ioeventfd_args a = args(0x30, 2, 0, 0, 0);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    a.datamatch = 12345;
    assert_int_equal(ioeventfd_deassign(&fx.efds, &a), 0);
}

/* ---- hits --------------------------------------------------------------- */

static void ioeventfd_write_hit_signals_eventfd_table(void **state)
{
    static const struct {
        const char *name;
        enum iobus_id bus;
        uint64_t addr;
        unsigned alen;
        uint64_t val;
        int rc;
        unsigned efd; /* signalled one when rc == 0 */
    } rows[] = {
        /* efd0: MMIO 0x100 len 4 datamatch 0x11223344;
         * efd1: MMIO 0x100 len 2 wildcard; efd0: PIO 0x100 len 1 dm 0x80;
         * efd1: MMIO 0x200 len 0 (and FAST_MMIO twin). */
        { "len 4 value match", IOBUS_MMIO, 0x100, 4, 0x11223344, 0, 0 },
        { "len 4 other value", IOBUS_MMIO, 0x100, 4, 0x11223345,
          -EOPNOTSUPP, 0 },
        { "len 4 value in high bits", IOBUS_MMIO, 0x100, 8, 0x11223344,
          -EOPNOTSUPP, 0 },
        { "len 2 wildcard", IOBUS_MMIO, 0x100, 2, 0xbeef, 0, 1 },
        { "len 1 nothing", IOBUS_MMIO, 0x100, 1, 0x44, -EOPNOTSUPP, 0 },
        { "inside, not at addr", IOBUS_MMIO, 0x102, 2, 0, -EOPNOTSUPP, 0 },
        { "pio dm match", IOBUS_PIO, 0x100, 1, 0x80, 0, 0 },
        { "pio dm high byte ignored", IOBUS_PIO, 0x100, 1, 0xff80, 0, 0 },
        { "pio dm miss", IOBUS_PIO, 0x100, 1, 0x81, -EOPNOTSUPP, 0 },
        { "len 0: any length", IOBUS_MMIO, 0x200, 8, 1, 0, 1 },
        { "len 0: byte", IOBUS_MMIO, 0x200, 1, 1, 0, 1 },
        { "len 0: next byte", IOBUS_MMIO, 0x201, 1, 1, -EOPNOTSUPP, 0 },
        { "fast mmio twin", IOBUS_FAST_MMIO, 0x200, 0, 0, 0, 1 },
        { "fast mmio other", IOBUS_FAST_MMIO, 0x100, 0, 0, -EOPNOTSUPP, 0 },
    };
    struct ioeventfd_args as[] = {
        args(0x100, 4, DM, 0x11223344, 0),
        args(0x100, 2, 0, 0, 1),
        args(0x100, 1, PIO | DM, 0x80, 0),
        args(0x200, 0, 0, 0, 1),
    };

    (void)state;
    for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
        assert_int_equal(ioeventfd_assign(&fx.efds, &as[i]), 0);
    }
    assert_int_equal(ioeventfd_count(&fx.efds), 5);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint64_t v = rows[i].val;
        struct iobus_hit hit;
        int rc = iobus_write(&fx.set, rows[i].bus, rows[i].addr,
                             rows[i].alen, rows[i].alen ? &v : NULL, &hit);
        bool s0 = plat_eventfd_test_and_clear(&fx.efd[0]);
        bool s1 = plat_eventfd_test_and_clear(&fx.efd[1]);

        if (rc != rows[i].rc ||
            (rc == 0 && (s0 != (rows[i].efd == 0) ||
                         s1 != (rows[i].efd == 1))) ||
            (rc != 0 && (s0 || s1))) {
            fail_msg("row '%s': rc %d (want %d), signalled %d/%d",
                     rows[i].name, rc, rows[i].rc, s0, s1);
        }
    }
    /* Reads never hit an ioeventfd. */
    {
        uint32_t v = 0;

        assert_int_equal(iobus_read(&fx.set, IOBUS_MMIO, 0x100, 2, &v, NULL),
                         -EOPNOTSUPP);
    }
}

static void ioeventfd_len0_mmio_is_also_on_fast_mmio(void **state)
{
    struct ioeventfd_args a = args(0x5000, 0, 0, 0, 0);
    struct iobus_range_info r[2];

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    assert_int_equal(ioeventfd_count(&fx.efds), 2);
    plat_lock(&fx.set.lock);
    assert_int_equal(iobus_ranges_locked(&fx.set, IOBUS_MMIO, &r[0], 1), 1);
    assert_int_equal(iobus_ranges_locked(&fx.set, IOBUS_FAST_MMIO, &r[1], 1),
                     1);
    plat_unlock(&fx.set.lock);
    /* Two objects, one per bus. */
    assert_ptr_not_equal(r[0].dev, r[1].dev);
    assert_int_equal(r[0].len, 0);
    assert_int_equal(r[1].addr, 0x5000);
    assert_int_equal(ioeventfd_deassign(&fx.efds, &a), 0);
    assert_int_equal(ioeventfd_count(&fx.efds), 0);
    assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_FAST_MMIO), 0);
}

/* ---- limits ------------------------------------------------------------- */

static int nop_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                     const void *data)
{
    (void)d;
    (void)addr;
    (void)alen;
    (void)data;
    return 0;
}

static const struct iobus_dev_ops nop_ops = { .write = nop_write };

static void ioeventfd_does_not_count_toward_1000_devices(void **state)
{
    static struct iobus_dev devs[IOBUS_MAX_DEVS];
    uint32_t i;

    (void)state;
    for (i = 0; i < IOBUS_MAX_DEVS; i++) {
        iobus_dev_init(&devs[i], &nop_ops, i, 0);
        assert_int_equal(iobus_register(&fx.set, IOBUS_PIO, 0x10000 + i, 1,
                                        &devs[i]), 0);
    }
    for (i = 0; i < IOBUS_MAX_RANGES - IOBUS_MAX_DEVS; i++) {
        struct ioeventfd_args a = args(i, 1, PIO, 0, 0);

        assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    }
    {
        struct ioeventfd_args a = args(i, 1, PIO, 0, 0);

        assert_int_equal(ioeventfd_assign(&fx.efds, &a), -ENOSPC);
    }
    assert_int_equal(ioeventfd_count(&fx.efds),
                     IOBUS_MAX_RANGES - IOBUS_MAX_DEVS);
    /* Unregister the plain devices so teardown does not touch the static
     * array after this test. */
    for (i = 0; i < IOBUS_MAX_DEVS; i++) {
        assert_int_equal(iobus_unregister(&fx.set, IOBUS_PIO, &devs[i]), 0);
    }
}

/* ---- faults ------------------------------------------------------------- */

/* A length-0 MMIO assign allocates two objects and two snapshots; any one
 * failing leaves nothing behind. */
static void ioeventfd_assign_nth_alloc_fault_loop(void **state)
{
    struct ioeventfd_args other = args(0x10, 4, 0, 0, 1);
    struct ioeventfd_args a = args(0x20, 0, 0, 0, 0);
    struct fault_loop fl;
    uint64_t live;

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &other), 0);
    live = sim_alloc_live();
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int rc = FAULT_LOOP_CALL(fl, ioeventfd_assign(&fx.efds, &a));

        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            assert_int_equal(ioeventfd_count(&fx.efds), 1);
            assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 1);
            assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_FAST_MMIO), 0);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(fl.n, 5);
        assert_int_equal(ioeventfd_count(&fx.efds), 3);
        assert_int_equal(ioeventfd_deassign(&fx.efds, &a), 0);
        assert_int_equal(sim_alloc_live(), live);
    }
}

/* Deassign under the fault loop: when the smaller bus copy cannot be
 * allocated the bus is emptied, the other ioeventfds on it are released by
 * the bus, the target by deassign; the call still succeeds. */
static void ioeventfd_deassign_nth_alloc_fault_loop_resets_bus(void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        struct ioeventfd_args a[3] = {
            args(0x10, 4, 0, 0, 0),
            args(0x20, 4, 0, 0, 1),
            args(0x10, 4, PIO, 0, 0),
        };
        uint64_t resets = fx.set.bus_resets[IOBUS_MMIO];
        int rc;

        for (int i = 0; i < 3; i++) {
            assert_int_equal(ioeventfd_assign(&fx.efds, &a[i]), 0);
        }
        rc = FAULT_LOOP_CALL(fl, ioeventfd_deassign(&fx.efds, &a[0]));
        assert_int_equal(rc, 0);
        if (!fl.faulted) {
            /* Went through: only a[0] is gone. */
            assert_int_equal(fx.set.bus_resets[IOBUS_MMIO], resets);
            assert_int_equal(fl.n, 2);
            assert_int_equal(ioeventfd_count(&fx.efds), 2);
            assert_int_equal(ioeventfd_deassign(&fx.efds, &a[1]), 0);
            assert_int_equal(ioeventfd_deassign(&fx.efds, &a[2]), 0);
            continue;
        }
        assert_int_not_equal(fx.set.bus_resets[IOBUS_MMIO], resets);
        assert_int_equal(fl.n, 1);
        /* MMIO emptied: a[1] released by the bus; PIO untouched. */
        assert_int_equal(ioeventfd_count(&fx.efds), 1);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_MMIO), 0);
        assert_int_equal(iobus_nr_ranges(&fx.set, IOBUS_PIO), 1);
        assert_int_equal(ioeventfd_deassign(&fx.efds, &a[1]), -ENOENT);
        assert_int_equal(ioeventfd_deassign(&fx.efds, &a[2]), 0);
    }
    sim_fault_reset();
}

/* ---- teardown ----------------------------------------------------------- */

/* Bus teardown first: the bus releases every ioeventfd; fini then finds an
 * empty list.  (The fixture's teardown checks for leaks.) */
static void ioeventfd_bus_teardown_first_releases_all(void **state)
{
    struct ioeventfd_args a = args(0x10, 0, 0, 0, 0);
    struct ioeventfd_args b = args(0x10, 2, PIO | DM, 4, 1);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    assert_int_equal(ioeventfd_assign(&fx.efds, &b), 0);
    iobus_set_destroy(&fx.set);
    assert_int_equal(fx.efds.count, 0);
    assert_null(fx.efds.head);
    /* Fresh set for the fixture's teardown. */
    iobus_set_init(&fx.set, IOBUS_LOOKUP_BSEARCH);
}

static void ioeventfd_fini_first_releases_all(void **state)
{
    struct ioeventfd_args a = args(0x10, 0, 0, 0, 0);
    struct ioeventfd_args b = args(0x10, 2, PIO | DM, 4, 1);

    (void)state;
    assert_int_equal(ioeventfd_assign(&fx.efds, &a), 0);
    assert_int_equal(ioeventfd_assign(&fx.efds, &b), 0);
    ioeventfd_set_fini(&fx.efds);
    for (unsigned bus = 0; bus < IOBUS_NR; bus++) {
        assert_int_equal(iobus_nr_ranges(&fx.set, (enum iobus_id)bus), 0);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(ioeventfd_assign_lengths_table),
        T(ioeventfd_assign_len3_is_einval),
        T(ioeventfd_assign_wrapping_range_is_einval),
        T(ioeventfd_assign_len0_only_mmio_without_datamatch),
        T(ioeventfd_assign_null_eventfd_is_einval),
        T(ioeventfd_collision_table),
        T(ioeventfd_assign_same_addr_wildcard_is_eexist),
        T(ioeventfd_deassign_needs_exact_match_table),
        T(ioeventfd_deassign_wildcard_ignores_datamatch_value),
        T(ioeventfd_write_hit_signals_eventfd_table),
        T(ioeventfd_len0_mmio_is_also_on_fast_mmio),
        T(ioeventfd_does_not_count_toward_1000_devices),
        T(ioeventfd_assign_nth_alloc_fault_loop),
        T(ioeventfd_deassign_nth_alloc_fault_loop_resets_bus),
        T(ioeventfd_bus_teardown_first_releases_all),
        T(ioeventfd_fini_first_releases_all),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
