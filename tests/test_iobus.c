/*
 * tests/test_iobus.c - the I/O bus (core/iobus.c): the range comparator,
 * the canonical order, dispatch with every lookup variant, the device
 * limits, register/unregister under the nth-allocation fault loop with leak
 * checks, teardown, the fixed devices, the grace period with a reader in
 * flight, differential runs of seeded programs (generic devices,
 * ioeventfds, coalesced zones, fixed devices, accesses, userspace ring
 * writes, injected allocation faults) through the harness that
 * fuzz/fuzz_iobus.c also drives (model/iobus/iobus_diff.h), every variant
 * against model/iobus_oracle, and the deferred free mode of registrations:
 * the old bus kept for a reader and freed by plat_call_rcu(), teardown
 * running pending frees, explored schedules with long readers, the
 * platform's callback order and lost-callback and free-under-reader
 * reports, and iobus-boot's grace-period accounting.
 *
 * Runs on the simulator; outside sim_run() the platform behaves as one
 * thread, so most tests call the core directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
#include "core/iodev_fixed.h"
#include "core/ioeventfd.h"
#include "core/platform.h"
#include "model/cost.h"
#include "model/iobus/iobus_diff.h"
#include "model/iobus/iobus_oracle.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/runner.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "tests/lib.h"

/* ---- a test device ------------------------------------------------------ */

#define LOG_MAX 4096

struct tag_log {
    uint64_t tag[LOG_MAX];
    size_t n;
};

static void log_push(struct tag_log *l, uint64_t tag)
{
    if (l->n < LOG_MAX) {
        l->tag[l->n] = tag;
    }
    l->n++;
}

struct tdev {
    struct iobus_dev dev;
    enum iobus_oracle_policy policy;
    struct tag_log *log; /* where destructions are recorded */
    unsigned destroyed;
    uint64_t magic;
    uint64_t reads;
    uint64_t writes;
};

#define TDEV_MAGIC 0x7465737464657631ull

static struct tdev *tdev_of(struct iobus_dev *d)
{
    return (struct tdev *)(void *)((char *)d - offsetof(struct tdev, dev));
}

static int tdev_read(struct iobus_dev *d, uint64_t addr, unsigned alen,
                     void *data)
{
    struct tdev *t = tdev_of(d);

    if (!iobus_oracle_policy_accepts(t->policy, addr)) {
        return -EOPNOTSUPP;
    }
    memset(data, (int)(d->tag & 0xff), alen);
    t->reads++;
    return 0;
}

static int tdev_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                      const void *data)
{
    struct tdev *t = tdev_of(d);

    (void)alen;
    (void)data;
    if (!iobus_oracle_policy_accepts(t->policy, addr)) {
        return -EOPNOTSUPP;
    }
    t->writes++;
    return 0;
}

static void tdev_destroy(struct iobus_dev *d)
{
    struct tdev *t = tdev_of(d);

    t->destroyed++;
    if (t->log) {
        log_push(t->log, d->tag);
    }
}

static const struct iobus_dev_ops tdev_ops = {
    .read = tdev_read,
    .write = tdev_write,
    .destructor = tdev_destroy,
};

static void tdev_init(struct tdev *t, uint64_t tag,
                      enum iobus_oracle_policy policy, unsigned flags)
{
    memset(t, 0, sizeof(*t));
    iobus_dev_init(&t->dev, &tdev_ops, tag, flags);
    t->policy = policy;
    t->magic = TDEV_MAGIC;
}

static const enum iobus_lookup all_lookups[IOBUS_LOOKUP_NR] = {
    IOBUS_LOOKUP_LINEAR, IOBUS_LOOKUP_BSEARCH, IOBUS_LOOKUP_EYTZINGER,
};

/* ---- comparator --------------------------------------------------------- */

struct cmp_row {
    const char *name;
    uint64_t raddr;
    uint64_t rlen;
    uint64_t addr;
    unsigned alen;
    bool match;
};

static void check_cmp_rows(const struct cmp_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct cmp_row *r = &rows[i];
        bool got = iobus_range_matches(r->raddr, r->rlen, r->addr, r->alen);

        if (got != r->match) {
            fail_msg("row '%s': range [%#" PRIx64 ", len %" PRIu64
                     "] access %#" PRIx64 "/%u: got %d want %d",
                     r->name, r->raddr, r->rlen, r->addr, r->alen, got,
                     r->match);
        }
    }
}

static void iobus_cmp_len0_matches_exact_address_only(void **state)
{
    static const struct cmp_row rows[] = {
        { "at addr alen 1", 0x1000, 0, 0x1000, 1, true },
        { "at addr alen 0", 0x1000, 0, 0x1000, 0, true },
        { "at addr alen 8", 0x1000, 0, 0x1000, 8, true },
        { "one below", 0x1000, 0, 0xfff, 1, false },
        { "one below alen 8", 0x1000, 0, 0xff8, 8, false },
        { "one above", 0x1000, 0, 0x1001, 1, false },
        { "address 0", 0, 0, 0, 4, true },
        { "top address", UINT64_MAX, 0, UINT64_MAX, 1, true },
        { "top, other", UINT64_MAX, 0, UINT64_MAX - 1, 1, false },
    };

    (void)state;
    check_cmp_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void iobus_cmp_access_must_lie_inside_range(void **state)
{
    static const struct cmp_row rows[] = {
        { "first byte", 0x1000, 4, 0x1000, 1, true },
        { "whole range", 0x1000, 4, 0x1000, 4, true },
        { "last byte", 0x1000, 4, 0x1003, 1, true },
        { "last two", 0x1000, 4, 0x1002, 2, true },
        { "crosses end", 0x1000, 4, 0x1002, 4, false },
        { "larger than range", 0x1000, 4, 0x1000, 8, false },
        { "crosses start", 0x1000, 4, 0xffe, 4, false },
        { "just past end", 0x1000, 4, 0x1004, 1, false },
        { "alen 0 inside", 0x1000, 4, 0x1003, 0, true },
        { "alen 0 at end", 0x1000, 4, 0x1004, 0, false },
        { "len 1 exact", 0x20, 1, 0x20, 1, true },
        { "len 1 alen 2", 0x20, 1, 0x20, 2, false },
        { "top of space", UINT64_MAX - 8, 8, UINT64_MAX - 1, 1, true },
        { "top, crossing", UINT64_MAX - 8, 8, UINT64_MAX - 1, 2, false },
        { "access near top, range low", 0, 16, UINT64_MAX, 8, false },
        { "huge range", 0, UINT64_MAX, UINT64_MAX - 8, 8, true },
    };

    (void)state;
    check_cmp_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- order and dispatch ------------------------------------------------- */

static void iobus_ranges_sorted_by_addr_len_then_registration(void **state)
{
    struct iobus_set set;
    struct tdev d[8];
    static const struct {
        uint64_t addr;
        uint64_t len;
    } regs[8] = {
        { 0x100, 4 }, { 0x100, 0 }, { 0x0ff, 8 }, { 0x100, 4 },
        { 0x100, 1 }, { 0x100, 0 }, { 0x200, 0 }, { 0x100, 4 },
    };
    /* Expected canonical order, as indices into regs. */
    static const unsigned want[8] = { 2, 1, 5, 4, 0, 3, 7, 6 };
    struct iobus_range_info out[8];

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    for (unsigned i = 0; i < 8; i++) {
        tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
        assert_int_equal(iobus_register(&set, IOBUS_MMIO, regs[i].addr,
                                        regs[i].len, &d[i].dev),
                         0);
    }
    plat_lock(&set.lock);
    assert_int_equal(iobus_ranges_locked(&set, IOBUS_MMIO, out, 8), 8);
    plat_unlock(&set.lock);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(out[i].tag, want[i]);
    }
    iobus_set_destroy(&set);
}

/* Overlapping devices: the first in canonical order that accepts wins, the
 * same for every variant. */
static void iobus_write_first_accepting_range_in_order_wins(void **state)
{
    struct {
        const char *name;
        uint64_t addr;
        unsigned alen;
        int rc;
        uint64_t tag;
    } rows[] = {
        /* 1: [0x1000,+0x100) DECLINE; 2: [0x1000,+0x10) ACCEPT_EVEN;
         * 3: [0x1004,+4) ACCEPT; 4: [0x1000,+0x100) ACCEPT (dup of 1);
         * 5: len0 at 0x1008 ACCEPT */
        { "even, inside 2", 0x1000, 4, 0, 2 },
        { "odd, inside 2 -> 4", 0x1001, 1, 0, 4 },
        { "odd inside 3: 4 sorts first", 0x1005, 1, 0, 4 },
        { "even inside 3: 2 first", 0x1004, 4, 0, 2 },
        { "len0 exact: 5 sorts after 1,2,4", 0x1008, 1, 0, 2 },
        { "len0 odd", 0x1009, 1, 0, 4 },
        { "only big ranges", 0x1080, 8, 0, 4 },
        { "past everything", 0x1100, 1, -EOPNOTSUPP, 0 },
        { "before everything", 0xfff, 1, -EOPNOTSUPP, 0 },
    };
    struct tdev d[6];

    (void)state;
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        struct iobus_set set;

        iobus_set_init(&set, all_lookups[v]);
        tdev_init(&d[1], 1, IOBUS_ORACLE_DECLINE, 0);
        tdev_init(&d[2], 2, IOBUS_ORACLE_ACCEPT_EVEN, 0);
        tdev_init(&d[3], 3, IOBUS_ORACLE_ACCEPT, 0);
        tdev_init(&d[4], 4, IOBUS_ORACLE_ACCEPT, 0);
        tdev_init(&d[5], 5, IOBUS_ORACLE_ACCEPT, 0);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x1000, 0x100,
                                        &d[1].dev), 0);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x1000, 0x10,
                                        &d[2].dev), 0);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x1004, 4,
                                        &d[3].dev), 0);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x1000, 0x100,
                                        &d[4].dev), 0);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x1008, 0,
                                        &d[5].dev), 0);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            struct iobus_hit hit;
            uint64_t val = 0;
            int rc = iobus_write(&set, IOBUS_PIO, rows[i].addr, rows[i].alen,
                                 &val, &hit);

            if (rc != rows[i].rc || hit.tag != rows[i].tag) {
                fail_msg("%s, row '%s': rc %d tag %" PRIu64
                         ", want rc %d tag %" PRIu64,
                         iobus_lookup_name(all_lookups[v]), rows[i].name, rc,
                         hit.tag, rows[i].rc, rows[i].tag);
            }
            rc = iobus_read(&set, IOBUS_PIO, rows[i].addr, rows[i].alen,
                            &val, &hit);
            assert_int_equal(rc, rows[i].rc);
            assert_int_equal(hit.tag, rows[i].tag);
        }
        iobus_set_destroy(&set);
    }
}

/* A wide range that accepts even addresses, with many small ranges nested
 * in it: an odd access must walk past the wide range to the small one that
 * holds it, and an even one anywhere in a gap must still find the wide range
 * (the reach key makes the search exact when ranges nest). */
static void iobus_nested_ranges_found_by_every_variant(void **state)
{
    static struct tdev d[65];

    (void)state;
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        struct iobus_set set;

        iobus_set_init(&set, all_lookups[v]);
        tdev_init(&d[0], 1000, IOBUS_ORACLE_ACCEPT_EVEN, 0);
        assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0, 0x10000,
                                        &d[0].dev), 0);
        for (unsigned i = 1; i < 65; i++) {
            tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
            assert_int_equal(iobus_register(&set, IOBUS_MMIO, i * 0x100, 4,
                                            &d[i].dev), 0);
        }
        for (uint64_t a = 0; a < 0x4200; a += 3) {
            struct iobus_hit hit;
            int want_rc = 0;
            uint64_t want = 1000;
            int rc;

            if (a & 1) {
                if (a >= 0x100 && a % 0x100 < 4 && a / 0x100 < 65) {
                    want = a / 0x100;
                } else {
                    want_rc = -EOPNOTSUPP;
                    want = 0;
                }
            }
            rc = iobus_write(&set, IOBUS_MMIO, a, 1, &a, &hit);
            if (rc != want_rc || hit.tag != want) {
                fail_msg("%s: access %#" PRIx64 ": rc %d tag %" PRIu64
                         ", want %d tag %" PRIu64,
                         iobus_lookup_name(all_lookups[v]), a, rc, hit.tag,
                         want_rc, want);
            }
        }
        iobus_set_destroy(&set);
    }
}

static void iobus_probe_counts_linear_vs_logarithmic(void **state)
{
    static struct tdev d[200];
    struct iobus_set set;
    struct iobus_hit hit;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    for (unsigned i = 0; i < 200; i++) {
        tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, IOBUS_DEV_UNCOUNTED);
        assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x5000, 1,
                                        &d[i].dev), 0);
    }
    /* The seed's case: 200 ranges on one byte, accesses to another. */
    assert_int_equal(iobus_probe(&set, IOBUS_PIO, IOBUS_LOOKUP_LINEAR,
                                 0x5001, 1, &hit), -ENOENT);
    assert_int_equal(hit.probes, 200);
    for (unsigned v = 1; v < IOBUS_LOOKUP_NR; v++) {
        assert_int_equal(iobus_probe(&set, IOBUS_PIO, all_lookups[v], 0x5001,
                                     1, &hit), -ENOENT);
        assert_in_range(hit.probes, 1, 10);
        assert_int_equal(iobus_probe(&set, IOBUS_PIO, all_lookups[v], 0x4fff,
                                     1, &hit), -ENOENT);
        assert_in_range(hit.probes, 1, 10);
        assert_int_equal(iobus_probe(&set, IOBUS_PIO, all_lookups[v], 0x5000,
                                     1, &hit), 0);
        assert_int_equal(hit.tag, 0);
    }
    iobus_set_destroy(&set);
}

static void iobus_access_bad_arguments_are_einval(void **state)
{
    struct iobus_set set;
    struct iobus_hit hit;
    uint64_t v = 0;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
    assert_int_equal(iobus_write(&set, IOBUS_NR, 0, 1, &v, &hit), -EINVAL);
    assert_int_equal(iobus_write(&set, IOBUS_PIO, 0, 9, &v, &hit), -EINVAL);
    assert_int_equal(iobus_write(&set, IOBUS_PIO, 0, 1, NULL, &hit),
                     -EINVAL);
    assert_int_equal(iobus_read(&set, (enum iobus_id)7, 0, 1, &v, NULL),
                     -EINVAL);
    assert_null(hit.dev);
    /* Empty buses decline; a len-0 write may carry no data. */
    assert_int_equal(iobus_write(&set, IOBUS_FAST_MMIO, 0, 0, NULL, &hit),
                     -EOPNOTSUPP);
    assert_int_equal(iobus_set_lookup(&set, IOBUS_LOOKUP_NR), -EINVAL);
    assert_int_equal(iobus_lookup_from_name("eytzinger"),
                     IOBUS_LOOKUP_EYTZINGER);
    assert_int_equal(iobus_lookup_from_name("nope"), -ENOENT);
    iobus_set_destroy(&set);
}

/* ---- limits and errors -------------------------------------------------- */

static void iobus_register_1001st_device_is_enospc(void **state)
{
    static struct tdev d[IOBUS_MAX_DEVS + 1];
    static struct tdev e[IOBUS_MAX_RANGES];
    struct iobus_set set;
    unsigned i;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
    for (i = 0; i < IOBUS_MAX_DEVS; i++) {
        tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
        assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x1000 + i, 1,
                                        &d[i].dev), 0);
    }
    tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x9000, 1, &d[i].dev),
                     -ENOSPC);
    /* Other buses have their own limit. */
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x9000, 1, &d[i].dev),
                     0);
    /* Uncounted devices still fit, up to the total capacity. */
    for (i = 0; i < IOBUS_MAX_RANGES - IOBUS_MAX_DEVS; i++) {
        tdev_init(&e[i], 5000 + i, IOBUS_ORACLE_ACCEPT, IOBUS_DEV_UNCOUNTED);
        assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x100000 + i, 1,
                                        &e[i].dev), 0);
    }
    tdev_init(&e[i], 5000 + i, IOBUS_ORACLE_ACCEPT, IOBUS_DEV_UNCOUNTED);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x200000, 1,
                                    &e[i].dev), -ENOSPC);
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), IOBUS_MAX_RANGES);
    /* Every range is still found by every variant. */
    for (unsigned v = 0; v < IOBUS_LOOKUP_NR; v++) {
        struct iobus_hit hit;

        assert_int_equal(iobus_probe(&set, IOBUS_MMIO, all_lookups[v],
                                     0x1000 + 999, 1, &hit), 0);
        assert_int_equal(hit.tag, 999);
        assert_int_equal(iobus_probe(&set, IOBUS_MMIO, all_lookups[v],
                                     0x100000 + 3095, 1, &hit), 0);
        assert_int_equal(hit.tag, 5000 + 3095);
    }
    iobus_set_destroy(&set);
}

static void iobus_register_bad_arguments_are_einval(void **state)
{
    struct iobus_set set;
    struct tdev d;
    struct iobus_dev noops;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    tdev_init(&d, 1, IOBUS_ORACLE_ACCEPT, 0);
    iobus_dev_init(&noops, NULL, 2, 0);
    assert_int_equal(iobus_register(&set, IOBUS_NR, 0, 1, &d.dev), -EINVAL);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0, 1, NULL), -EINVAL);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0, 1, &noops), -EINVAL);
    /* addr + len must not overflow; ending exactly at the top is fine as
     * long as the end is representable. */
    assert_int_equal(iobus_register(&set, IOBUS_PIO, UINT64_MAX, 1, &d.dev),
                     -EINVAL);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, UINT64_MAX - 7, 8,
                                    &d.dev), -EINVAL);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 1, UINT64_MAX, &d.dev),
                     -EINVAL);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, UINT64_MAX - 8, 8,
                                    &d.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, UINT64_MAX, 0, &d.dev),
                     0);
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 2);
    iobus_set_destroy(&set);
    assert_int_equal(d.destroyed, 1);
}

static void iobus_null_set_and_out_of_range_arguments_change_nothing(
    void **state)
{
    static struct iobus_reg regs[IOBUS_MAX_RANGES + 1];
    struct iobus_set set;
    struct iobus_range_info info[1];
    struct tdev d;

    (void)state;
    /* An unknown lookup variant falls back to binary search. */
    iobus_set_init(&set, IOBUS_LOOKUP_NR);
    assert_int_equal(iobus_get_lookup(&set), IOBUS_LOOKUP_BSEARCH);
    assert_null(iobus_lookup_name(IOBUS_LOOKUP_NR));
    assert_null(iodev_fixed_desc(IODEV_FIXED_NR));
    tdev_init(&d, 1, IOBUS_ORACLE_ACCEPT, IOBUS_DEV_UNCOUNTED);
    assert_int_equal(iobus_probe(NULL, IOBUS_PIO, IOBUS_LOOKUP_LINEAR, 0, 1,
                                 NULL), -EINVAL);
    assert_int_equal(iobus_probe(&set, IOBUS_PIO, IOBUS_LOOKUP_NR, 0, 1,
                                 NULL), -EINVAL);
    assert_int_equal(iobus_probe(&set, IOBUS_PIO, IOBUS_LOOKUP_LINEAR, 0,
                                 IOBUS_ACCESS_MAX + 1, NULL), -EINVAL);
    assert_int_equal(iobus_register(NULL, IOBUS_PIO, 0, 1, &d.dev), -EINVAL);
    assert_int_equal(iobus_unregister(NULL, IOBUS_PIO, &d.dev), -EINVAL);
    plat_lock(&set.lock);
    assert_int_equal(iobus_register_many_locked(NULL, regs, 1), -EINVAL);
    assert_int_equal(iobus_register_many_locked(&set, NULL, 1), -EINVAL);
    assert_int_equal(iobus_register_many_locked(&set, regs, 0), 0);
    /* One call cannot add more ranges than a bus holds: nothing added. */
    for (size_t i = 0; i < IOBUS_MAX_RANGES + 1; i++) {
        regs[i] = (struct iobus_reg){IOBUS_PIO, 0x100 + i, 1, &d.dev};
    }
    assert_int_equal(iobus_register_many_locked(&set, regs,
                                                IOBUS_MAX_RANGES + 1),
                     -ENOSPC);
    assert_int_equal(iobus_unregister_locked(&set, IOBUS_NR, &d.dev),
                     -EINVAL);
    plat_unlock(&set.lock);
    assert_int_equal(d.dev.nr_ranges, 0);
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 0);
    assert_int_equal(iobus_nr_ranges(NULL, IOBUS_PIO), 0);
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_NR), 0);
    assert_int_equal(iobus_ranges_locked(NULL, IOBUS_PIO, info, 1), 0);
    assert_int_equal(iobus_ranges_locked(&set, IOBUS_NR, info, 1), 0);
    iobus_set_destroy(&set);
    assert_int_equal(d.destroyed, 0);
}

static void iobus_unregister_removes_every_range_of_the_device(void **state)
{
    struct iobus_set set;
    struct tdev a;
    struct tdev b;
    struct iobus_hit hit;
    uint8_t v = 1;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
    tdev_init(&a, 1, IOBUS_ORACLE_ACCEPT, 0);
    tdev_init(&b, 2, IOBUS_ORACLE_ACCEPT, 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x10, 2, &a.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x30, 2, &a.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x10, 2, &a.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x20, 2, &b.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x10, 2, &a.dev), 0);
    assert_int_equal(iobus_unregister(&set, IOBUS_PIO, &a.dev), 0);
    assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 1);
    assert_int_equal(iobus_unregister(&set, IOBUS_PIO, &a.dev), -ENOENT);
    assert_int_equal(iobus_unregister(&set, IOBUS_NR, &a.dev), -EINVAL);
    assert_int_equal(iobus_write(&set, IOBUS_PIO, 0x30, 1, &v, &hit),
                     -EOPNOTSUPP);
    assert_int_equal(iobus_write(&set, IOBUS_MMIO, 0x10, 1, &v, &hit), 0);
    assert_int_equal(a.dev.nr_ranges, 1);
    assert_int_equal(a.destroyed, 0);
    iobus_set_destroy(&set);
    assert_int_equal(a.destroyed, 1);
    assert_int_equal(b.destroyed, 1);
}

/* ---- teardown ----------------------------------------------------------- */

static void iobus_teardown_destroys_every_device_exactly_once(void **state)
{
    static struct tdev d[40];
    struct tag_log log = { .n = 0 };
    struct iobus_set set;
    uint64_t live = sim_alloc_live();

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    for (unsigned i = 0; i < 40; i++) {
        tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, i % 3 ? 0 :
                  IOBUS_DEV_UNCOUNTED);
        d[i].log = &log;
        /* Up to three ranges each, on up to three buses. */
        for (unsigned b = 0; b <= i % 3; b++) {
            assert_int_equal(iobus_register(&set, (enum iobus_id)b,
                                            0x40 * (i % 7), i % 5, &d[i].dev),
                             0);
        }
        if (i % 4 == 0) {
            assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x999, 1,
                                            &d[i].dev), 0);
        }
    }
    ASSERT_GT(sim_alloc_live(), live);
    iobus_set_destroy(&set);
    assert_int_equal(log.n, 40);
    for (unsigned i = 0; i < 40; i++) {
        assert_int_equal(d[i].destroyed, 1);
        assert_int_equal(d[i].dev.nr_ranges, 0);
    }
    assert_int_equal(sim_alloc_live(), live);
}

/* ---- fault loops -------------------------------------------------------- */

/* Register a device next to two others while allocation call n fails (once
 * or from n on); every failure leaves the bus as it was and nothing leaked;
 * raise n until it goes through. */
static void iobus_register_nth_alloc_fault_loop_leaves_bus_intact(
    void **state)
{
    struct fault_loop fl;
    struct iobus_set set = { 0 };
    struct tdev d[3];
    uint64_t live = 0;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        uint64_t v = fl.n;
        int rc;

        if (fl.n == 1) {
            /* Each pass starts from a bus holding two devices. */
            iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
            for (unsigned i = 0; i < 3; i++) {
                tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
            }
            assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x100, 4,
                                            &d[0].dev), 0);
            assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x200, 4,
                                            &d[1].dev), 0);
            live = sim_alloc_live();
        }
        rc = FAULT_LOOP_CALL(fl, iobus_register(&set, IOBUS_MMIO, 0x180, 4,
                                                &d[2].dev));
        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), 2);
            assert_int_equal(d[2].dev.nr_ranges, 0);
            assert_int_equal(iobus_write(&set, IOBUS_MMIO, 0x180, 4, &v,
                                         NULL), -EOPNOTSUPP);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(fl.n, 2); /* exactly one allocation per register */
        assert_int_equal(sim_alloc_live(), live);
        assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), 3);
        iobus_set_destroy(&set);
        for (unsigned i = 0; i < 3; i++) {
            assert_int_equal(d[i].destroyed, 1);
        }
    }
    sim_fault_reset();
}

/* Unregister under the fault loop.  A failure must follow the -ENOMEM
 * contract: empty bus, every other device whose last range was there
 * destroyed once, devices still on another bus kept, the target kept for
 * the caller, nothing leaked. */
static void iobus_unregister_nth_alloc_fault_loop_empties_bus(void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        struct tag_log log = { .n = 0 };
        struct iobus_set set;
        struct tdev d[4];
        uint64_t base = sim_alloc_live();
        uint64_t live;
        int rc;

        iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
        for (unsigned i = 0; i < 4; i++) {
            tdev_init(&d[i], i, IOBUS_ORACLE_ACCEPT, 0);
            d[i].log = &log;
            assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x10 * i, 4,
                                            &d[i].dev), 0);
        }
        /* d[1] also lives on MMIO. */
        assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x10, 4,
                                        &d[1].dev), 0);
        live = sim_alloc_live();

        rc = FAULT_LOOP_CALL(fl, iobus_unregister(&set, IOBUS_PIO,
                                                  &d[0].dev));
        if (!fl.faulted) {
            assert_int_equal(rc, 0);
            assert_int_equal(fl.n, 2);
            assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 3);
            assert_int_equal(log.n, 0);
            assert_int_equal(sim_alloc_live(), live);
            iobus_set_destroy(&set);
            assert_int_equal(sim_alloc_live(), base);
            continue;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_int_equal(fl.n, 1);
        assert_int_equal(set.bus_resets[IOBUS_PIO], 1);
        assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 0);
        assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), 1);
        /* Old PIO snapshot freed, the empty bus needs none. */
        assert_int_equal(sim_alloc_live(), live - 1);
        assert_int_equal(log.n, 2);
        assert_int_equal(log.tag[0], 2);
        assert_int_equal(log.tag[1], 3);
        assert_int_equal(d[0].destroyed, 0);
        assert_int_equal(d[1].destroyed, 0);
        assert_int_equal(d[0].dev.nr_ranges, 0);
        assert_int_equal(d[1].dev.nr_ranges, 1);
        for (uint64_t a = 0; a < 0x40; a++) {
            assert_int_equal(iobus_write(&set, IOBUS_PIO, a, 1, &a,
                                         NULL), -EOPNOTSUPP);
        }
        iobus_set_destroy(&set);
        assert_int_equal(d[1].destroyed, 1);
        assert_int_equal(d[0].destroyed, 0);
        assert_int_equal(sim_alloc_live(), base);
    }
    sim_fault_reset();
}

/* Removing a bus's only device needs no memory, so it cannot fail. */
static void iobus_unregister_last_device_needs_no_allocation(void **state)
{
    struct iobus_set set;
    struct tdev d;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_LINEAR);
    tdev_init(&d, 1, IOBUS_ORACLE_ACCEPT, 0);
    assert_int_equal(iobus_register(&set, IOBUS_PIO, 0x10, 4, &d.dev), 0);
    sim_fault_fail_nth(PLAT_FAULT_ALLOC, 1, true);
    assert_int_equal(iobus_unregister(&set, IOBUS_PIO, &d.dev), 0);
    sim_fault_reset();
    assert_int_equal(set.bus_resets[IOBUS_PIO], 0);
    iobus_set_destroy(&set);
    assert_int_equal(d.destroyed, 0);
}

/* ---- fixed devices ------------------------------------------------------ */

static void iodev_fixed_populates_the_seed_ranges(void **state)
{
    static const struct {
        const char *name;
        enum iobus_id bus;
        uint64_t addr;
        unsigned alen;
        int rc;
        uint64_t tag;
    } rows[] = {
        { "pic master", IOBUS_PIO, 0x20, 1, 0, 100 + IODEV_PIC_MASTER },
        { "pic master +1", IOBUS_PIO, 0x21, 1, 0, 100 + IODEV_PIC_MASTER },
        { "past pic master", IOBUS_PIO, 0x22, 1, -EOPNOTSUPP, 0 },
        { "pic slave", IOBUS_PIO, 0xa1, 1, 0, 100 + IODEV_PIC_SLAVE },
        { "elcr", IOBUS_PIO, 0x4d0, 2, 0, 100 + IODEV_PIC_ELCR },
        { "elcr crossing", IOBUS_PIO, 0x4d1, 2, -EOPNOTSUPP, 0 },
        { "pit", IOBUS_PIO, 0x43, 1, 0, 100 + IODEV_PIT },
        { "speaker", IOBUS_PIO, 0x61, 1, 0, 100 + IODEV_PIT_SPEAKER },
        { "speaker range, not base", IOBUS_PIO, 0x62, 1, -EOPNOTSUPP, 0 },
        { "ioapic", IOBUS_MMIO, 0xfec00010, 4, 0, 100 + IODEV_IOAPIC },
        { "ioapic last", IOBUS_MMIO, 0xfec000fc, 4, 0, 100 + IODEV_IOAPIC },
        { "past ioapic", IOBUS_MMIO, 0xfec00100, 4, -EOPNOTSUPP, 0 },
        { "ioapic addr on pio", IOBUS_PIO, 0xfec00000, 4, -EOPNOTSUPP, 0 },
    };
    struct iodev_fixed *dev[IODEV_FIXED_NR];
    struct iobus_set set;
    uint64_t live = sim_alloc_live();
    uint32_t v = 0x5a5aa5a5;
    uint32_t r = 0;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
    assert_int_equal(iodev_fixed_register_all(&set, 100, dev), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct iobus_hit hit;
        int rc = iobus_write(&set, rows[i].bus, rows[i].addr, rows[i].alen,
                             &v, &hit);

        if (rc != rows[i].rc || hit.tag != rows[i].tag) {
            fail_msg("row '%s': rc %d tag %" PRIu64, rows[i].name, rc,
                     hit.tag);
        }
    }
    assert_int_equal(iobus_read(&set, IOBUS_MMIO, 0xfec00010, 4, &r, NULL),
                     0);
    assert_int_equal(r, v);
    assert_int_equal(iodev_fixed_writes(dev[IODEV_IOAPIC]), 2);
    assert_int_equal(iodev_fixed_reads(dev[IODEV_IOAPIC]), 1);
    iobus_set_destroy(&set);
    assert_int_equal(sim_alloc_live(), live);
}

static void iodev_fixed_register_all_nth_alloc_fault_loop(void **state)
{
    struct fault_loop fl;
    struct iobus_set set = { 0 };
    uint64_t live = sim_alloc_live();

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        int rc;

        if (fl.n == 1) {
            iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
        }
        rc = FAULT_LOOP_CALL(fl, iodev_fixed_register_all(&set, 0, NULL));
        if (fl.faulted) {
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(sim_alloc_live(), live);
            assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 0);
            assert_int_equal(iobus_nr_ranges(&set, IOBUS_MMIO), 0);
            continue;
        }
        assert_int_equal(rc, 0);
        /* Six devices, then one snapshot each for PIO and MMIO. */
        assert_int_equal(fl.n, IODEV_FIXED_NR + 3);
        assert_int_equal(iobus_nr_ranges(&set, IOBUS_PIO), 5);
        iobus_set_destroy(&set);
        assert_int_equal(sim_alloc_live(), live);
    }
    sim_fault_reset();
}

/* ---- grace period ------------------------------------------------------- */

struct gp {
    struct iobus_set set;
    struct tdev *target;
    struct tdev other;
    uint64_t order;        /* causal step counter (fibers: one OS thread) */
    /* What the reader saw, asserted after the run. */
    int first_rc;
    struct iobus_dev *first_dev;
    bool saw_new_copy;
    bool writer_done_in_section;
    uint64_t magic_in_section;
    uint64_t live_before;
    uint64_t live_in_section;
    uint64_t reader_left;
    /* What the writer saw. */
    int unregister_rc;
    uint64_t writer_done;  /* order when unregister returned; 0 before */
};

static void gp_reader(void *arg)
{
    struct gp *g = arg;
    struct iobus_hit hit;

    plat_rcu_read_lock();
    g->first_rc = iobus_probe(&g->set, IOBUS_MMIO, IOBUS_LOOKUP_BSEARCH,
                              0x1000, 4, &hit);
    g->first_dev = hit.dev;
    if (g->first_rc == 0) {
        /* Let the writer publish; we see the new copy once it has. */
        for (int i = 0; i < 200 && !g->saw_new_copy; i++) {
            plat_spend_ns(50);
            plat_yield();
            g->saw_new_copy = iobus_probe(&g->set, IOBUS_MMIO,
                                          IOBUS_LOOKUP_BSEARCH, 0x1000, 4,
                                          &hit) == -ENOENT;
        }
        /* The device we found is still ours to read; the old copy is
         * still allocated next to the new one. */
        g->magic_in_section = tdev_of(g->first_dev)->magic;
        g->writer_done_in_section = g->writer_done != 0;
        g->live_in_section = sim_alloc_live();
        plat_spend_ns(1000);
    }
    g->reader_left = ++g->order;
    plat_rcu_read_unlock();
}

static void gp_writer(void *arg)
{
    struct gp *g = arg;

    plat_spend_ns(100);
    g->unregister_rc = iobus_unregister(&g->set, IOBUS_MMIO,
                                        &g->target->dev);
    g->writer_done = ++g->order;
    /* The caller owns the target again: free it (poisoned by the sim). */
    plat_free(g->target);
    g->target = NULL;
}

/* One run under strategy/seed; returns the result and leaves g filled. */
static enum sim_result gp_run(struct gp *g, enum sim_strategy strategy,
                              uint64_t seed)
{
    struct sim_options o;
    struct sim_tape *tape;
    struct sim *s;
    enum sim_result r;

    memset(g, 0, sizeof(*g));
    iobus_set_init(&g->set, IOBUS_LOOKUP_BSEARCH);
    g->target = plat_alloc(sizeof(*g->target));
    assert_non_null(g->target);
    tdev_init(g->target, 1, IOBUS_ORACLE_ACCEPT, 0);
    tdev_init(&g->other, 2, IOBUS_ORACLE_ACCEPT, 0);
    assert_int_equal(iobus_register(&g->set, IOBUS_MMIO, 0x1000, 4,
                                    &g->target->dev), 0);
    assert_int_equal(iobus_register(&g->set, IOBUS_MMIO, 0x2000, 4,
                                    &g->other.dev), 0);
    g->live_before = sim_alloc_live();

    sim_options_default(&o);
    o.ncpus = 2;
    o.strategy = strategy;
    o.pct_steps = 200;
    tape = sim_tape_from_seed(seed);
    assert_non_null(tape);
    s = sim_create(&o, tape);
    assert_non_null(s);
    sim_spawn(s, "reader", 0, gp_reader, g);
    sim_spawn(s, "writer", 1, gp_writer, g);
    r = sim_run(s);
    sim_destroy(s);
    sim_tape_destroy(tape);
    return r;
}

/* The time-ordered schedule: the reader finds the device, the writer
 * publishes and waits; the reader sees the new copy and can still read the
 * old device; the writer returns only after the reader has left. */
static void iobus_unregister_waits_for_reader_holding_device(void **state)
{
    struct gp *g = calloc(1, sizeof(*g));

    (void)state;
    assert_non_null(g);
    assert_int_equal(gp_run(g, SIM_STRATEGY_TIME, 7), SIM_OK);
    assert_int_equal(g->first_rc, 0);
    assert_non_null(g->first_dev);
    assert_true(g->saw_new_copy);
    assert_int_equal(g->magic_in_section, TDEV_MAGIC);
    assert_false(g->writer_done_in_section);
    /* New snapshot allocated, old one and the device not yet freed. */
    assert_int_equal(g->live_in_section, g->live_before + 1);
    assert_int_equal(g->unregister_rc, 0);
    ASSERT_GT(g->writer_done, g->reader_left);
    /* Afterwards: old snapshot and the device are gone. */
    assert_int_equal(sim_alloc_live(), g->live_before - 1);
    iobus_set_destroy(&g->set);
    free(g);
}

/* The same under random and PCT schedules: whenever the reader found the
 * device, it stays readable and the unregister does not return until the
 * reader has left. */
static void iobus_grace_period_holds_under_explored_schedules(void **state)
{
    static const enum sim_strategy strategies[] = {
        SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
    };
    struct gp *g = calloc(1, sizeof(*g));
    unsigned found = 0;
    unsigned overlapped = 0;

    (void)state;
    assert_non_null(g);
    for (unsigned k = 0; k < 2; k++) {
        for (uint64_t seed = 1; seed <= 50; seed++) {
            enum sim_result r = gp_run(g, strategies[k], seed);

            if (r != SIM_OK) {
                fail_msg("strategy %u seed %" PRIu64 ": %s", k, seed,
                         sim_result_name(r));
            }
            assert_int_equal(g->unregister_rc, 0);
            if (g->first_rc == 0) {
                found++;
                assert_int_equal(g->magic_in_section, TDEV_MAGIC);
                if (g->writer_done_in_section ||
                    g->writer_done < g->reader_left) {
                    fail_msg("strategy %u seed %" PRIu64 ": unregister "
                             "returned while the reader held the device",
                             k, seed);
                }
                if (g->saw_new_copy) {
                    overlapped++;
                    assert_int_equal(g->live_in_section,
                                     g->live_before + 1);
                }
            }
            assert_int_equal(sim_alloc_live(), g->live_before - 1);
            iobus_set_destroy(&g->set);
        }
    }
    /* The exploration must include the interesting interleaving. */
    ASSERT_GT(overlapped, 0);
    ASSERT_GT(found, 0);
    free(g);
}

/* A device whose write takes a while and yields, so an unregister can
 * publish and start its grace period while a dispatch is inside it. */
static int slow_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                      const void *data)
{
    (void)addr;
    (void)alen;
    (void)data;
    plat_spend_ns(1000);
    plat_yield();
    tdev_of(d)->writes++;
    return 0;
}

static const struct iobus_dev_ops slow_ops = {
    .write = slow_write,
};

struct gpw {
    struct iobus_set set;
    struct tdev *target;
    int write_rc;
    struct iobus_hit hit;
    int unregister_rc;
};

static void gpw_vcpu(void *arg)
{
    struct gpw *g = arg;
    uint32_t v = 0;

    g->write_rc = iobus_write(&g->set, IOBUS_MMIO, 0x1000, 4, &v, &g->hit);
}

static void gpw_updater(void *arg)
{
    struct gpw *g = arg;

    plat_spend_ns(100);
    g->unregister_rc = iobus_unregister(&g->set, IOBUS_MMIO,
                                        &g->target->dev);
    /* The caller owns the target again: free it (poisoned by the sim). */
    plat_free(g->target);
    g->target = NULL;
}

/* iobus_write() reports the range that handled the access from inside its
 * read-side section: with an unregister of that device running
 * concurrently, the hit still names the device's tag and range, never the
 * freed snapshot's poison.  Every strategy, 30 seeds each. */
static void iobus_write_hit_filled_before_unregister_frees(void **state)
{
    static const enum sim_strategy strategies[] = {
        SIM_STRATEGY_TIME, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
    };
    struct gpw *g = calloc(1, sizeof(*g));
    unsigned handled = 0;

    (void)state;
    assert_non_null(g);
    for (unsigned k = 0; k < 3; k++) {
        for (uint64_t seed = 1; seed <= 30; seed++) {
            struct sim_options o;
            struct sim_tape *tape;
            struct sim *s;
            enum sim_result r;

            memset(g, 0, sizeof(*g));
            iobus_set_init(&g->set, IOBUS_LOOKUP_BSEARCH);
            g->target = plat_alloc(sizeof(*g->target));
            assert_non_null(g->target);
            tdev_init(g->target, 7, IOBUS_ORACLE_ACCEPT, 0);
            g->target->dev.ops = &slow_ops;
            assert_int_equal(iobus_register(&g->set, IOBUS_MMIO, 0x1000, 4,
                                            &g->target->dev), 0);
            sim_options_default(&o);
            o.ncpus = 2;
            o.strategy = strategies[k];
            o.pct_steps = 200;
            tape = sim_tape_from_seed(seed);
            assert_non_null(tape);
            s = sim_create(&o, tape);
            assert_non_null(s);
            sim_spawn(s, "vcpu", 0, gpw_vcpu, g);
            sim_spawn(s, "updater", 1, gpw_updater, g);
            r = sim_run(s);
            sim_destroy(s);
            sim_tape_destroy(tape);
            if (r != SIM_OK) {
                fail_msg("strategy %u seed %" PRIu64 ": %s", k, seed,
                         sim_result_name(r));
            }
            assert_int_equal(g->unregister_rc, 0);
            if (g->write_rc == 0) {
                handled++;
                assert_int_equal(g->hit.tag, 7);
                assert_int_equal(g->hit.addr, 0x1000);
                assert_int_equal(g->hit.len, 4);
            } else {
                assert_int_equal(g->write_rc, -EOPNOTSUPP);
                assert_null(g->hit.dev);
            }
            iobus_set_destroy(&g->set);
        }
    }
    ASSERT_GT(handled, 0);
    free(g);
}

/* ---- differential run against the oracle -------------------------------- */

/* Programs for model/iobus/iobus_diff.h, written command by command. */
struct prog {
    uint8_t *buf;
    size_t n;
    size_t cap;
    uint64_t commands;
};

static void prog_byte(struct prog *p, uint8_t b)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4096;
        p->buf = realloc(p->buf, p->cap);
        assert_non_null(p->buf);
    }
    p->buf[p->n++] = b;
}

/* One command: opcode, nargs argument bytes, separator. */
static void prog_cmd(struct prog *p, enum iobus_diff_op op,
                     const uint8_t *args, size_t nargs)
{
    prog_byte(p, (uint8_t)op);
    for (size_t i = 0; i < nargs; i++) {
        prog_byte(p, args[i]);
    }
    for (size_t i = 0; i < IOBUS_DIFF_SEP_LEN; i++) {
        prog_byte(p, (uint8_t)IOBUS_DIFF_SEP[i]);
    }
    p->commands++;
}

/* A random program shaped like a VM's life: mostly accesses, a steady
 * trickle of updates, userspace ring activity and, with faults, an armed
 * allocation failure before about one command in six. */
static void prog_random(struct prog *p, uint64_t seed, uint64_t ncmds,
                        bool faults)
{
    /* Opcode weights out of 32. */
    static const uint8_t weights[IOBUS_DIFF_OP_NR] = {
        [IOBUS_DIFF_REGISTER] = 4, [IOBUS_DIFF_UNREGISTER] = 2,
        [IOBUS_DIFF_IOEVENTFD_ASSIGN] = 2,
        [IOBUS_DIFF_IOEVENTFD_DEASSIGN] = 2, [IOBUS_DIFF_ZONE_ADD] = 2,
        [IOBUS_DIFF_ZONE_DEL] = 2, [IOBUS_DIFF_FIXED] = 0,
        [IOBUS_DIFF_WRITE] = 11, [IOBUS_DIFF_READ] = 3,
        [IOBUS_DIFF_RING_POP] = 2, [IOBUS_DIFF_RING_SET] = 1,
        [IOBUS_DIFF_FAULT] = 1,
    };
    uint64_t s = seed;

    /* Start at a hashed state: consecutive seeds would otherwise give the
     * same stream shifted by one. */
    s = sim_splitmix64(&s);
    for (uint64_t k = 0; k < ncmds; k++) {
        uint64_t r = sim_splitmix64(&s);
        uint8_t args[16];
        unsigned w = (unsigned)(r % 32);
        unsigned op = 0;

        for (size_t i = 0; i < sizeof(args); i++) {
            args[i] = (uint8_t)(sim_splitmix64(&s) >> 56);
        }
        while (op < IOBUS_DIFF_OP_NR - 1 && w >= weights[op]) {
            w -= weights[op];
            op++;
        }
        if (op == IOBUS_DIFF_FAULT) {
            /* Rarely the fixed devices instead; faults come below. */
            prog_cmd(p, IOBUS_DIFF_FIXED, NULL, 0);
            continue;
        }
        if (op == IOBUS_DIFF_RING_SET && (r >> 24) % 2 == 0) {
            /* Userspace leaves the ring nearly full: 167..169 pending. */
            args[0] = (uint8_t)((r >> 32) % COALESCED_MMIO_MAX);
            args[1] = (uint8_t)((args[0] + 167 + (r >> 40) % 3) %
                                COALESCED_MMIO_MAX);
        }
        if (faults && (r >> 32) % 6 == 0) {
            uint8_t f[2] = { (uint8_t)(r >> 40), (uint8_t)((r >> 48) % 4 ==
                                                          0) };

            prog_cmd(p, IOBUS_DIFF_FAULT, f, 2);
        }
        prog_cmd(p, (enum iobus_diff_op)op, args, sizeof(args));
    }
}

static void iobus_diff_random_programs_agree_every_variant(void **state)
{
    const uint64_t ncmds = 6000;

    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct prog p = { .buf = NULL };
        struct iobus_diff_stats st;
        char err[512];
        bool faults = seed > 2;
        uint64_t live = sim_alloc_live();
        int rc;

        prog_random(&p, seed, ncmds, faults);
        rc = iobus_diff_run(p.buf, p.n, NULL, &st, err, sizeof(err));
        if (rc != 0) {
            fail_msg("seed %" PRIu64 ": %s", seed, err);
        }
        print_message("seed %" PRIu64 ": %" PRIu64 " commands, %" PRIu64
                      " handled (%" PRIu64 " ioeventfd, %" PRIu64 " ring), %"
                      PRIu64 " with a fault armed, %" PRIu64 " ENOMEM, %"
                      PRIu64 " destroyed by the bus\n", seed, st.commands,
                      st.handled, st.signals, st.appends, st.faults,
                      st.nomem, st.destroyed);
        /* The stream must exercise what it claims to. */
        assert_int_equal(st.commands, p.commands);
        ASSERT_GT(st.handled, ncmds / 20);
        ASSERT_GT(st.signals, 0);
        ASSERT_GT(st.appends, 0);
        if (faults) {
            ASSERT_GT(st.nomem, 0);
            ASSERT_GT(st.destroyed, 0);
        }
        assert_int_equal(sim_alloc_live(), live);
        free(p.buf);
    }
}

/* The checks can fail: skipping one oracle update must be reported. */
static void iobus_diff_skipped_oracle_update_is_reported(void **state)
{
    /* register device 1 on PIO at 0x1000 (len 4), then write it; a
     * numeric field is a selector and its raw bytes (model/domain.h):
     * selector 141 is the address field's extra 0x1000, 133 the length
     * field's extra 4, 13 the access length 1, 71 the zone size 4, 192
     * a raw ring index */
    static const uint8_t reg[] = { 0, 0, 141, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   133, 0, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t wr[] = { 0, 141, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 0,
                                  0x11 };
    static const uint8_t zone[] = { 141, 0, 0, 0, 0, 0, 0, 0, 0, 0, 71, 0,
                                    0, 0, 0, 0 };
    static const uint8_t set[] = { 192, 3, 0, 192, 3, 0 };
    struct {
        const char *name;
        enum iobus_diff_op op;
        const uint8_t *args;
        size_t nargs;
        const char *expect;
    } rows[] = {
        { "register", IOBUS_DIFF_REGISTER, reg, sizeof(reg), "oracle" },
        { "zone", IOBUS_DIFF_ZONE_ADD, zone, sizeof(zone), "oracle" },
        { "ring set", IOBUS_DIFF_RING_SET, set, sizeof(set), "ring" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct iobus_diff_opts opts = { .sabotage_command = 1 };
        struct prog p = { .buf = NULL };
        char err[512];

        prog_cmd(&p, rows[i].op, rows[i].args, rows[i].nargs);
        prog_cmd(&p, IOBUS_DIFF_WRITE, wr, sizeof(wr));
        assert_int_equal(iobus_diff_run(p.buf, p.n, NULL, NULL, err,
                                        sizeof(err)), 0);
        assert_int_equal(iobus_diff_run(p.buf, p.n, &opts, NULL, err,
                                        sizeof(err)), -1);
        if (!strstr(err, rows[i].expect)) {
            fail_msg("row '%s': message '%s' lacks '%s'", rows[i].name, err,
                     rows[i].expect);
        }
        free(p.buf);
    }
}

/* Any byte string is a program: short, empty, separator-only and random
 * inputs run cleanly. */
static void iobus_diff_any_bytes_are_a_valid_program(void **state)
{
    static const char *const fixed[] = { "", "F", "FUZZ", "FUZZFUZZ",
                                         "\x07\x01\x08", "FUZ\x0b" };
    uint64_t s = 99;

    (void)state;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        char err[512];

        if (iobus_diff_run((const uint8_t *)fixed[i], strlen(fixed[i]), NULL,
                           NULL, err, sizeof(err)) != 0) {
            fail_msg("input %zu: %s", i, err);
        }
    }
    for (unsigned k = 0; k < 200; k++) {
        uint8_t buf[512];
        size_t n = sim_splitmix64(&s) % sizeof(buf);
        char err[512];

        for (size_t i = 0; i < n; i++) {
            buf[i] = (uint8_t)sim_splitmix64(&s);
        }
        if (iobus_diff_run(buf, n, NULL, NULL, err, sizeof(err)) != 0) {
            fail_msg("random input %u (%zu bytes): %s", k, n, err);
        }
    }
}

/* ---- deferred frees at registration (IOBUS_FREE_DEFERRED) --------------- */

/* Outside a run: a reader inside its section while a DEFERRED registration
 * replaces the snapshot it loaded; the old snapshot stays allocated until
 * the callback runs (plat_rcu_barrier()), a SYNC registration frees it
 * before returning. */
static void iobus_register_deferred_reader_keeps_old_snapshot(void **state)
{
    struct iobus_set set;
    struct tdev a, b;
    struct iobus_hit hit;
    uint64_t live0, pending0;

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_BSEARCH);
    assert_int_equal(iobus_set_free_mode(&set, IOBUS_FREE_DEFERRED), 0);
    assert_int_equal(iobus_get_free_mode(&set), IOBUS_FREE_DEFERRED);
    tdev_init(&a, 1, IOBUS_ORACLE_ACCEPT, 0);
    tdev_init(&b, 2, IOBUS_ORACLE_ACCEPT, 0);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x1000, 4, &a.dev), 0);
    /* The first registration replaced the static empty bus: nothing to
     * free, nothing queued. */
    pending0 = sim_rcu_pending();
    assert_int_equal(set.deferred_frees, 0);
    live0 = sim_alloc_live();

    plat_rcu_read_lock();
    assert_int_equal(iobus_probe(&set, IOBUS_MMIO, IOBUS_LOOKUP_BSEARCH,
                                 0x1000, 4, &hit), 0);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x2000, 4, &b.dev), 0);
    /* Returned at once: the new snapshot is live next to the old one. */
    assert_int_equal(sim_rcu_pending(), pending0 + 1);
    assert_int_equal(set.deferred_frees, 1);
    assert_int_equal(sim_alloc_live(), live0 + 1);
    assert_int_equal(iobus_probe(&set, IOBUS_MMIO, IOBUS_LOOKUP_BSEARCH,
                                 0x2000, 4, &hit), 0);
    assert_int_equal(hit.tag, 2);
    plat_rcu_read_unlock();

    plat_rcu_barrier();
    assert_int_equal(sim_rcu_pending(), 0);
    assert_int_equal(sim_alloc_live(), live0);

    /* SYNC: freed before the registration returns, nothing queued. */
    assert_int_equal(iobus_set_free_mode(&set, IOBUS_FREE_SYNC), 0);
    assert_int_equal(iobus_unregister(&set, IOBUS_MMIO, &b.dev), 0);
    assert_int_equal(iobus_register(&set, IOBUS_MMIO, 0x2000, 4, &b.dev), 0);
    assert_int_equal(sim_rcu_pending(), 0);
    assert_int_equal(sim_alloc_live(), live0);
    iobus_set_destroy(&set);
    assert_int_equal(a.destroyed, 1);
    assert_int_equal(b.destroyed, 1);
}

/* Teardown with frees still queued runs them (none is lost), destroys
 * every device once and leaks nothing. */
static void iobus_set_destroy_runs_pending_deferred_frees(void **state)
{
    struct iobus_set set;
    struct tdev d[5];
    uint64_t live0 = sim_alloc_live();

    (void)state;
    iobus_set_init(&set, IOBUS_LOOKUP_EYTZINGER);
    assert_int_equal(iobus_set_free_mode(&set, IOBUS_FREE_DEFERRED), 0);
    for (unsigned i = 0; i < 5; i++) {
        tdev_init(&d[i], i + 1, IOBUS_ORACLE_ACCEPT, 0);
        assert_int_equal(iobus_register(&set, i % 2 ? IOBUS_PIO : IOBUS_MMIO,
                                        0x100 * i, 4, &d[i].dev), 0);
    }
    /* Each bus's first registration replaced the empty bus. */
    assert_int_equal(sim_rcu_pending(), 3);
    iobus_set_destroy(&set);
    if (sim_rcu_pending() != 0) {
        fail_msg("%" PRIu64 " deferred frees still queued after "
                 "iobus_set_destroy()", sim_rcu_pending());
    }
    assert_int_equal(sim_alloc_live(), live0);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(d[i].destroyed, 1);
    }
}

static void iobus_free_names_round_trip(void **state)
{
    (void)state;
    assert_string_equal(iobus_free_name(IOBUS_FREE_SYNC), "sync");
    assert_string_equal(iobus_free_name(IOBUS_FREE_DEFERRED), "deferred");
    assert_null(iobus_free_name(IOBUS_FREE_NR));
    assert_int_equal(iobus_free_from_name("deferred"), IOBUS_FREE_DEFERRED);
    assert_int_equal(iobus_free_from_name("async"), -ENOENT);
    assert_int_equal(iobus_free_from_name(NULL), -ENOENT);
    assert_int_equal(iobus_set_free_mode(NULL, IOBUS_FREE_SYNC), -EINVAL);
}

/* Readers that hold the bus for a long time while an updater keeps
 * registering in DEFERRED mode, under explored schedules. */
#define DF_READERS 2
#define DF_DEVS 12

struct df {
    struct iobus_set set;
    struct tdev dev[DF_DEVS];
    unsigned registered;
    uint64_t reads, misses;
    int reg_rc;
};

static void df_reader(void *arg)
{
    struct df *g = arg;

    for (unsigned i = 0; i < 3 * DF_DEVS; i++) {
        struct iobus_hit hit;
        unsigned want = g->registered;

        plat_rcu_read_lock();
        if (want > 0 && iobus_probe(&g->set, IOBUS_MMIO,
                                    IOBUS_LOOKUP_BSEARCH,
                                    0x1000 * (uint64_t)want, 4, &hit) != 0) {
            g->misses++;
        }
        /* Hold the snapshot past several registrations. */
        sim_sleep_ns(3000);
        plat_yield();
        (void)iobus_nr_ranges(&g->set, IOBUS_MMIO);
        g->reads++;
        plat_rcu_read_unlock();
        plat_yield();
    }
}

static void df_updater(void *arg)
{
    struct df *g = arg;

    for (unsigned i = 0; i < DF_DEVS; i++) {
        int rc = iobus_register(&g->set, IOBUS_MMIO,
                                0x1000 * (uint64_t)(i + 1), 4,
                                &g->dev[i].dev);

        if (rc) {
            g->reg_rc = rc;
        }
        g->registered = i + 1;
        plat_yield();
    }
}

static void iobus_deferred_register_frees_no_snapshot_a_reader_holds(
    void **state)
{
    static const enum sim_strategy strategies[] = {
        SIM_STRATEGY_TIME, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
    };
    struct df *g = calloc(1, sizeof(*g));

    (void)state;
    assert_non_null(g);
    for (unsigned k = 0; k < 3; k++) {
        for (uint64_t seed = 1; seed <= 30; seed++) {
            struct sim_options o;
            struct sim_tape *tape = sim_tape_from_seed(seed);
            struct sim *s;
            enum sim_result r;
            uint64_t live0 = sim_alloc_live();
            char first[320];
            uint32_t bad;

            memset(g, 0, sizeof(*g));
            iobus_set_init(&g->set, IOBUS_LOOKUP_BSEARCH);
            assert_int_equal(iobus_set_free_mode(&g->set,
                                                 IOBUS_FREE_DEFERRED), 0);
            for (unsigned i = 0; i < DF_DEVS; i++) {
                tdev_init(&g->dev[i], i + 1, IOBUS_ORACLE_ACCEPT, 0);
            }
            sim_options_default(&o);
            o.ncpus = 3;
            o.strategy = strategies[k];
            o.pct_steps = 400;
            assert_non_null(tape);
            s = sim_create(&o, tape);
            assert_non_null(s);
            for (unsigned i = 0; i < DF_READERS; i++) {
                sim_spawn(s, "reader", i, df_reader, g);
            }
            sim_spawn(s, "updater", 2, df_updater, g);
            r = sim_run(s);
            bad = sim_rcu_violations(first, sizeof(first));
            iobus_set_destroy(&g->set);
            if (r != SIM_OK || bad || g->reg_rc || g->misses ||
                sim_rcu_pending() || sim_alloc_live() != live0) {
                fail_msg("strategy %u seed %" PRIu64 ": %s, %u freed under "
                         "a reader (%s), register rc %d, %" PRIu64
                         " misses, %" PRIu64 " callbacks lost, %" PRIu64
                         " blocks live vs %" PRIu64, k, seed,
                         sim_result_name(r), bad, first, g->reg_rc,
                         g->misses, sim_rcu_pending(), sim_alloc_live(),
                         live0);
            }
            sim_destroy(s);
            sim_tape_destroy(tape);
            assert_int_equal(g->reads, DF_READERS * 3 * DF_DEVS);
        }
    }
    free(g);
}

/* iobus-boot measures the register-path grace periods in the simulator;
 * with one vCPU no reader can stretch them, so the sync variant waits
 * exactly rcu_sync_ns per registration, the deferred variant not at all,
 * and that wait is exactly what the deferred variant takes off the boot
 * time (the compare's prediction rests on this). */
static void iobus_boot_sync_grace_is_the_boot_time_deferred_saves(
    void **state)
{
    static const char *const common[] = {
        "vm.vcpus=1", "cost.firmware_ns=1000000", "cost.kernel_ns=2000000",
        "cost.probe_ns=100000", "cost.rcu_sync_ns=7000",
    };
    const char *sets[6];
    double boot[2], grace[2], regs[2];
    struct scn_request q;

    (void)state;
    memset(&q, 0, sizeof(q));
    q.scenario = "iobus-boot";
    q.quiet = true;
    q.silent = true;
    for (unsigned i = 0; i < 5; i++) {
        sets[i] = common[i];
    }
    for (unsigned v = 0; v < 2; v++) {
        struct scn_run r;

        sets[5] = v == 0 ? "run.variant=sync" : "run.variant=deferred";
        assert_int_equal(scn_run_with(&q, sets, 6, &r), 0);
        boot[v] = scn_metric_get(&r, "boot_ms");
        grace[v] = scn_metric_get(&r, "reg_grace_ms");
        regs[v] = scn_metric_get(&r, "registrations");
        scn_run_release(&r);
    }
    /* 6 kernel devices + 2 zones + 4 + 28 ioeventfds. */
    assert_true(regs[0] == 40.0 && regs[1] == 40.0);
    if (!(fabs(grace[0] * 1e6 - regs[0] * 7000.0) < 0.5 && grace[1] == 0.0 &&
          fabs((boot[0] - boot[1]) - grace[0]) < 1e-6)) {
        fail_msg("sync: %.6f ms in %.0f register grace periods (want %.6f), "
                 "deferred: %.6f ms; boot %.6f vs %.6f ms", grace[0],
                 regs[0], regs[0] * 7e-3, grace[1], boot[0], boot[1]);
    }
}

/* ---- the platform's call_rcu rules, as the I/O bus relies on them ------- */

struct cbt {
    struct plat_rcu_head head[2];
    uint64_t ran_ns[2];
    unsigned order[2], nran;
    uint64_t r1_left_ns, r2_left_ns;
    plat_atomic_ptr ptr;
    void *block;
};

static struct cbt *cbt_g;

static void cbt_cb(struct plat_rcu_head *h)
{
    unsigned i = h == &cbt_g->head[0] ? 0 : 1;

    cbt_g->ran_ns[i] = plat_now_ns();
    cbt_g->order[cbt_g->nran++] = i;
}

static void cbt_r1(void *arg)
{
    (void)arg;
    plat_rcu_read_lock();
    sim_sleep_ns(50000);
    cbt_g->r1_left_ns = plat_now_ns();
    plat_rcu_read_unlock();
}

static void cbt_r2(void *arg)
{
    (void)arg;
    sim_sleep_ns(3000);
    plat_rcu_read_lock();
    sim_sleep_ns(200000);
    cbt_g->r2_left_ns = plat_now_ns();
    plat_rcu_read_unlock();
}

static void cbt_updater(void *arg)
{
    (void)arg;
    sim_sleep_ns(1000);
    plat_call_rcu(&cbt_g->head[0], cbt_cb);
    sim_sleep_ns(1000);
    plat_call_rcu(&cbt_g->head[1], cbt_cb);
}

/* Callbacks run in queue order, after every reader that was inside a
 * section when they were queued (r1), and without waiting for a reader
 * that began later (r2). */
static void plat_call_rcu_runs_fifo_after_earlier_readers_only(void **state)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim *s;
    struct cbt g;

    (void)state;
    memset(&g, 0, sizeof(g));
    cbt_g = &g;
    sim_options_default(&o);
    o.ncpus = 4;
    s = sim_create(&o, tape);
    assert_non_null(s);
    sim_spawn(s, "r1", 0, cbt_r1, NULL);
    sim_spawn(s, "r2", 1, cbt_r2, NULL);
    sim_spawn(s, "updater", 2, cbt_updater, NULL);
    assert_int_equal(sim_run(s), SIM_OK);
    assert_int_equal(g.nran, 2);
    assert_int_equal(g.order[0], 0);
    assert_int_equal(g.order[1], 1);
    if (!(g.ran_ns[0] >= g.r1_left_ns && g.ran_ns[1] >= g.ran_ns[0] &&
          g.ran_ns[1] < g.r2_left_ns)) {
        fail_msg("callbacks at %" PRIu64 " and %" PRIu64 " ns; r1 left at %"
                 PRIu64 ", r2 at %" PRIu64, g.ran_ns[0], g.ran_ns[1],
                 g.r1_left_ns, g.r2_left_ns);
    }
    assert_int_equal(sim_rcu_pending(), 0);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

static void cbt_lost_updater(void *arg)
{
    (void)arg;
    plat_rcu_read_lock();
    plat_call_rcu(&cbt_g->head[0], cbt_cb);
    plat_rcu_read_unlock();
}

/* A callback queued in a run whose only other thread ends first stays
 * queued: sim_rcu_pending() reports it until the simulation is destroyed,
 * which drops it without running it. */
static void sim_rcu_pending_reports_a_callback_never_run(void **state)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim *s;
    struct cbt g;

    (void)state;
    memset(&g, 0, sizeof(g));
    cbt_g = &g;
    sim_options_default(&o);
    s = sim_create(&o, tape);
    assert_non_null(s);
    sim_spawn(s, "updater", 0, cbt_lost_updater, NULL);
    assert_int_equal(sim_run(s), SIM_OK);
    assert_int_equal(g.nran, 0);
    assert_int_equal(sim_rcu_pending(), 1);
    sim_destroy(s);
    assert_int_equal(sim_rcu_pending(), 0);
    assert_int_equal(g.nran, 0);
    sim_tape_destroy(tape);
}

static void cbt_loader(void *arg)
{
    (void)arg;
    plat_rcu_read_lock();
    (void)plat_atomic_load_ptr(&cbt_g->ptr);
    sim_sleep_ns(10000);
    /* Still readable: the checker kept the block back. */
    cbt_g->order[0] = *(unsigned char *)cbt_g->block;
    plat_rcu_read_unlock();
}

static void cbt_freer(void *arg)
{
    (void)arg;
    sim_sleep_ns(1000);
    plat_atomic_store_ptr(&cbt_g->ptr, NULL);
    plat_free(cbt_g->block); /* no grace period: the broken rule */
}

/* plat_free() of a block a reader loaded in its open section is reported
 * with the reader's name, and the block stays readable for the reader. */
static void plat_free_of_block_an_open_reader_loaded_is_reported(
    void **state)
{
    struct sim_options o;
    struct sim_tape *tape = sim_tape_from_seed(1);
    struct sim *s;
    struct cbt g;
    char first[320];
    uint64_t live0 = sim_alloc_live();

    (void)state;
    memset(&g, 0, sizeof(g));
    cbt_g = &g;
    g.block = plat_alloc(16);
    assert_non_null(g.block);
    memset(g.block, 0x5a, 16);
    plat_atomic_store_ptr(&g.ptr, g.block);
    sim_options_default(&o);
    s = sim_create(&o, tape);
    assert_non_null(s);
    sim_spawn(s, "loader", 0, cbt_loader, NULL);
    sim_spawn(s, "freer", 1, cbt_freer, NULL);
    assert_int_equal(sim_run(s), SIM_OK);
    assert_int_equal(sim_rcu_violations(first, sizeof(first)), 1);
    if (!strstr(first, "'loader'")) {
        fail_msg("message does not name the reader: %s", first);
    }
    assert_int_equal(g.order[0], 0x5a);
    assert_int_equal(sim_alloc_live(), live0);
    sim_destroy(s);
    sim_tape_destroy(tape);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iobus_cmp_len0_matches_exact_address_only),
        cmocka_unit_test(iobus_cmp_access_must_lie_inside_range),
        cmocka_unit_test(iobus_ranges_sorted_by_addr_len_then_registration),
        cmocka_unit_test(iobus_write_first_accepting_range_in_order_wins),
        cmocka_unit_test(iobus_nested_ranges_found_by_every_variant),
        cmocka_unit_test(iobus_probe_counts_linear_vs_logarithmic),
        cmocka_unit_test(iobus_access_bad_arguments_are_einval),
        cmocka_unit_test(iobus_register_1001st_device_is_enospc),
        cmocka_unit_test(iobus_register_bad_arguments_are_einval),
        cmocka_unit_test(
            iobus_null_set_and_out_of_range_arguments_change_nothing),
        cmocka_unit_test(iobus_unregister_removes_every_range_of_the_device),
        cmocka_unit_test(iobus_teardown_destroys_every_device_exactly_once),
        cmocka_unit_test_setup_teardown(
            iobus_register_nth_alloc_fault_loop_leaves_bus_intact,
            reset_faults, reset_faults),
        cmocka_unit_test_setup_teardown(
            iobus_unregister_nth_alloc_fault_loop_empties_bus, reset_faults,
            reset_faults),
        cmocka_unit_test_setup_teardown(
            iobus_unregister_last_device_needs_no_allocation, reset_faults,
            reset_faults),
        cmocka_unit_test(iodev_fixed_populates_the_seed_ranges),
        cmocka_unit_test_setup_teardown(
            iodev_fixed_register_all_nth_alloc_fault_loop, reset_faults,
            reset_faults),
        cmocka_unit_test(iobus_unregister_waits_for_reader_holding_device),
        cmocka_unit_test(iobus_grace_period_holds_under_explored_schedules),
        cmocka_unit_test(iobus_write_hit_filled_before_unregister_frees),
        cmocka_unit_test_setup_teardown(
            iobus_diff_random_programs_agree_every_variant, reset_faults,
            reset_faults),
        cmocka_unit_test(iobus_diff_skipped_oracle_update_is_reported),
        cmocka_unit_test(iobus_diff_any_bytes_are_a_valid_program),
        cmocka_unit_test(iobus_register_deferred_reader_keeps_old_snapshot),
        cmocka_unit_test(iobus_set_destroy_runs_pending_deferred_frees),
        cmocka_unit_test(iobus_free_names_round_trip),
        cmocka_unit_test(
            iobus_deferred_register_frees_no_snapshot_a_reader_holds),
        cmocka_unit_test(plat_call_rcu_runs_fifo_after_earlier_readers_only),
        cmocka_unit_test(sim_rcu_pending_reports_a_callback_never_run),
        cmocka_unit_test(plat_free_of_block_an_open_reader_loaded_is_reported),
        cmocka_unit_test(
            iobus_boot_sync_grace_is_the_boot_time_deferred_saves),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
