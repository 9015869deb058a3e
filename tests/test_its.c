/*
 * tests/test_its.c - the virtual ITS and its translation caches
 * (core/its.c, core/its_cache.c): every command's effect on the tables and
 * on the cache for every cache variant, the injection paths and when they
 * insert, the LRU rules of the global and sharded caches, reference counts
 * and teardown leaks, allocation failures, a seeded differential run of the
 * opcode stream against model/its_oracle, and a PCT exploration of
 * invalidating commands racing lookups on other CPUs with the freshness
 * rule checked after every run.
 *
 * Runs on the simulator.  Outside sim_run() the platform behaves as one
 * thread at CPU 0, so most tests call the core directly; simulated threads
 * only record what they saw and the test asserts after sim_run().
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

#include "core/its.h"
#include "core/its_cache.h"
#include "core/platform.h"
#include "model/its/its_oracle.h"
#include "sim/coherence.h"
#include "sim/fault.h"
#include "sim/sim.h"
#include "sim/tape.h"
#include "tests/lib.h"

static const enum its_cache_kind all_kinds[ITS_CACHE_NR] = {
    ITS_CACHE_NONE, ITS_CACHE_GLOBAL, ITS_CACHE_SHARDED, ITS_CACHE_LOCKLESS,
};

/* ---- helpers ------------------------------------------------------------ */

static int run_cmd(struct its *its, struct its_cmd c)
{
    return its_cmd_exec(its, &c);
}

#define CMD(its, ...) run_cmd((its), (struct its_cmd){__VA_ARGS__})

static struct its_msi msi_of(struct its *its, uint32_t dev, uint32_t ev)
{
    struct its_msi m = {
        .db = its_get_config(its)->doorbell,
        .devid = dev,
        .eventid = ev,
    };

    return m;
}

static int inject(struct its *its, uint32_t cpu, uint32_t dev, uint32_t ev,
                  struct its_inject_result *res)
{
    struct its_msi m = msi_of(its, dev, ev);

    return its_inject(its, cpu, &m, res);
}

/* An ITS under test plus the allocation count it started from. */
struct tits {
    struct its *its;
    uint64_t live0;
};

static void tits_open_cfg(struct tits *t, const struct its_config *cfg)
{
    t->live0 = sim_alloc_live();
    assert_int_equal(its_create(cfg, &t->its), 0);
}

static void tits_open(struct tits *t, enum its_cache_kind kind,
                      uint32_t nr_vcpus)
{
    struct its_config cfg;

    its_config_default(&cfg);
    cfg.cache = kind;
    cfg.nr_vcpus = nr_vcpus;
    tits_open_cfg(t, &cfg);
}

static void assert_its_ok(struct its *its)
{
    char msg[256];
    int rc = its_check(its, msg, sizeof(msg));

    if (rc != 0) {
        fail_msg("its_check (%s cache): %s",
                 its_cache_kind_name(its_get_config(its)->cache), msg);
    }
}

/* Check the invariants, tear down, and check nothing leaked. */
static void tits_close(struct tits *t)
{
    assert_its_ok(t->its);
    assert_int_equal(its_destroy(t->its), 0);
    assert_int_equal(sim_alloc_live(), t->live0);
}

/* The standard tables: ITS and every redistributor enabled, collection c
 * on vCPU c for c < 4, devices 1 and 2 with 16 events, device 3 with 2^14;
 * event e of device d (d = 1, 2; e < 4) -> LPI 8192 + 16 * (d - 1) + e in
 * collection e % 4 (so vCPU e % 4). */
#define STD_LPI(d, e) (ITS_LPI_BASE + 16 * ((d) - 1) + (e))

static void std_setup_cmds(struct its_cmd *out, size_t *n)
{
    size_t k = 0;

    out[k++] = (struct its_cmd){.op = ITS_CMD_SET_ENABLED, .valid = true};
    for (uint32_t v = 0; v < 4; v++) {
        out[k++] = (struct its_cmd){.op = ITS_CMD_SET_LPIS, .vcpu = v,
                                    .valid = true};
        out[k++] = (struct its_cmd){.op = ITS_CMD_MAPC, .icid = v,
                                    .vcpu = v, .valid = true};
    }
    for (uint32_t d = 1; d <= 3; d++) {
        out[k++] = (struct its_cmd){.op = ITS_CMD_MAPD, .devid = d,
                                    .size = d == 3 ? 14 : 4, .valid = true};
    }
    for (uint32_t d = 1; d <= 2; d++) {
        for (uint32_t e = 0; e < 4; e++) {
            out[k++] = (struct its_cmd){.op = ITS_CMD_MAPTI, .devid = d,
                                        .eventid = e, .intid = STD_LPI(d, e),
                                        .icid = e % 4};
        }
    }
    *n = k;
}

static void std_setup(struct its *its, struct its_oracle *o)
{
    struct its_cmd cmds[32];
    size_t n;

    std_setup_cmds(cmds, &n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(its_cmd_exec(its, &cmds[i]), 0);
        if (o) {
            assert_int_equal(its_oracle_cmd(o, &cmds[i], NULL), 0);
        }
    }
}

/* Cache inspection. */
struct find_ctx {
    uint32_t dev;
    uint32_t ev;
    uint32_t list;     /* only this list, unless any_list */
    bool any_list;
    uint32_t count;    /* matching entries */
    uint32_t pos;      /* position of the last match */
    uint32_t hw;       /* entries holding a hardware-mapped LPI */
};

static void find_visit(void *arg, uint32_t list, uint32_t pos,
                       const struct its_msi *key, struct its_lpi *lpi)
{
    struct find_ctx *f = arg;

    f->hw += its_lpi_hw_locked(lpi);
    if (!f->any_list && list != f->list) {
        return;
    }
    if (key->devid == f->dev && key->eventid == f->ev) {
        f->count++;
        f->pos = pos;
    }
}

/* Entries caching (dev, ev), over all lists. */
static uint32_t cached(struct its *its, uint32_t dev, uint32_t ev)
{
    struct find_ctx f = {.dev = dev, .ev = ev, .any_list = true};

    its_cache_for_each(its_get_cache(its), find_visit, &f);
    return f.count;
}

/* 1-based position of (dev, ev) in LRU list `list`, 0 when absent. */
static uint32_t pos_in_list(struct its *its, uint32_t list, uint32_t dev,
                            uint32_t ev)
{
    struct find_ctx f = {.dev = dev, .ev = ev, .list = list};

    its_cache_for_each(its_get_cache(its), find_visit, &f);
    return f.count ? f.pos : 0;
}

/* How many cache copies one insert makes for a kind. */
static uint32_t copies(enum its_cache_kind kind)
{
    switch (kind) {
    case ITS_CACHE_NONE:
        return 0;
    case ITS_CACHE_SHARDED:
        return ITS_CACHE_SHARDS;
    default:
        return 1;
    }
}

static uint64_t refcount_of(struct its *its, uint32_t intid)
{
    struct its_lpi_info info;

    assert_int_equal(its_lpi_info(its, intid, &info), 0);
    return info.refcount;
}

static uint64_t invalidations(struct its *its)
{
    struct its_stats st;

    its_get_stats(its, &st);
    return st.invalidations;
}

/* ---- names and configuration --------------------------------------------- */

static void its_cache_kind_names_round_trip(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        const char *name = its_cache_kind_name((enum its_cache_kind)k);

        assert_non_null(name);
        assert_int_equal(its_cache_kind_from_name(name), (int)k);
    }
    assert_null(its_cache_kind_name(ITS_CACHE_NR));
    assert_int_equal(its_cache_kind_from_name("lru"), -ENOENT);
    for (unsigned op = 0; op < ITS_CMD_NR; op++) {
        assert_non_null(its_cmd_name((enum its_cmd_op)op));
    }
    assert_null(its_cmd_name(ITS_CMD_NR));
}

static void its_create_rejects_bad_config(void **state)
{
    static const struct {
        const char *name;
        uint32_t nr_vcpus;
        uint32_t nr_collections;
        unsigned cache;
        uint32_t cache_size;
        int rc;
    } rows[] = {
        {"defaults", 4, 16, ITS_CACHE_SHARDED, 0, 0},
        {"0 vcpus", 0, 16, ITS_CACHE_GLOBAL, 0, -EINVAL},
        {"1 vcpu", 1, 16, ITS_CACHE_GLOBAL, 0, 0},
        {"max vcpus", ITS_MAX_VCPUS, 16, ITS_CACHE_LOCKLESS, 0, 0},
        {"max vcpus + 1", ITS_MAX_VCPUS + 1, 16, ITS_CACHE_GLOBAL, 0,
         -EINVAL},
        {"0 collections", 4, 0, ITS_CACHE_GLOBAL, 0, -EINVAL},
        {"max collections", 4, ITS_MAX_COLLECTIONS, ITS_CACHE_NONE, 0, 0},
        {"max collections + 1", 4, ITS_MAX_COLLECTIONS + 1, ITS_CACHE_NONE,
         0, -EINVAL},
        {"unknown cache", 4, 16, ITS_CACHE_NR, 0, -EINVAL},
        {"cache size 1", 4, 16, ITS_CACHE_GLOBAL, 1, 0},
        {"cache size max", 1, 16, ITS_CACHE_LOCKLESS, ITS_CACHE_MAX_SIZE, 0},
        {"cache size max + 1", 1, 16, ITS_CACHE_GLOBAL,
         ITS_CACHE_MAX_SIZE + 1, -EINVAL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct its_config cfg;
        struct its *its = NULL;
        uint64_t live = sim_alloc_live();
        int rc;

        its_config_default(&cfg);
        cfg.nr_vcpus = rows[i].nr_vcpus;
        cfg.nr_collections = rows[i].nr_collections;
        cfg.cache = (enum its_cache_kind)rows[i].cache;
        cfg.cache_size = rows[i].cache_size;
        rc = its_create(&cfg, &its);
        if (rc != rows[i].rc) {
            fail_msg("row '%s': its_create returned %d, want %d",
                     rows[i].name, rc, rows[i].rc);
        }
        if (rc == 0) {
            assert_int_equal(its_destroy(its), 0);
        }
        assert_int_equal(sim_alloc_live(), live);
    }
}

/* Every allocation of its_create() fails in turn; nothing leaks. */
static void its_create_nth_alloc_failure_leaks_nothing(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_config cfg;
        uint64_t live = sim_alloc_live();
        struct fault_loop fl;

        its_config_default(&cfg);
        cfg.cache = all_kinds[k];
        test_variant("cache %s", its_cache_kind_name(all_kinds[k]));
        FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
            struct its *its = NULL;
            int rc = FAULT_LOOP_CALL(fl, its_create(&cfg, &its));

            if (fl.faulted) {
                assert_int_equal(rc, -ENOMEM);
                assert_int_equal(sim_alloc_live(), live);
                continue;
            }
            assert_int_equal(rc, 0);
            ASSERT_GE(fl.n, 4);
            assert_int_equal(its_destroy(its), 0);
            assert_int_equal(sim_alloc_live(), live);
        }
        sim_fault_reset();
    }
    test_variant_clear();
}

/* ---- command effects, table-driven --------------------------------------- */

struct cmd_row {
    const char *name;
    struct its_cmd cmd;
    int rc;
    bool invalidates;
};

#define C(...) ((struct its_cmd){__VA_ARGS__})

/* Preconditions: std_setup(), then (1,0), (1,1) and (2,0) injected on CPU 0
 * (so cached by every caching variant). */
static const struct cmd_row cmd_rows[] = {
    {"mapd_new_device_keeps_cache",
     C(.op = ITS_CMD_MAPD, .devid = 4, .size = 4, .valid = true), 0, false},
    {"mapd_existing_device_invalidates",
     C(.op = ITS_CMD_MAPD, .devid = 1, .size = 5, .valid = true), 0, true},
    {"mapd_existing_device_v0_invalidates",
     C(.op = ITS_CMD_MAPD, .devid = 2, .valid = false), 0, true},
    {"mapd_unknown_device_v0_is_noop",
     C(.op = ITS_CMD_MAPD, .devid = 9, .valid = false), 0, false},
    {"mapd_size_0_is_einval",
     C(.op = ITS_CMD_MAPD, .devid = 4, .size = 0, .valid = true), -EINVAL,
     false},
    {"mapd_size_16_ok",
     C(.op = ITS_CMD_MAPD, .devid = 4, .size = 16, .valid = true), 0, false},
    {"mapd_size_17_is_einval",
     C(.op = ITS_CMD_MAPD, .devid = 4, .size = 17, .valid = true), -EINVAL,
     false},
    {"mapd_devid_65535_ok",
     C(.op = ITS_CMD_MAPD, .devid = 65535, .size = 1, .valid = true), 0,
     false},
    {"mapd_devid_65536_is_einval",
     C(.op = ITS_CMD_MAPD, .devid = 65536, .size = 1, .valid = true),
     -EINVAL, false},
    {"mapc_v1_new_keeps_cache",
     C(.op = ITS_CMD_MAPC, .icid = 5, .vcpu = 1, .valid = true), 0, false},
    {"mapc_v1_remap_keeps_cache",
     C(.op = ITS_CMD_MAPC, .icid = 0, .vcpu = 2, .valid = true), 0, false},
    {"mapc_v0_invalidates",
     C(.op = ITS_CMD_MAPC, .icid = 1, .valid = false), 0, true},
    {"mapc_v0_unmapped_collection_invalidates",
     C(.op = ITS_CMD_MAPC, .icid = 7, .valid = false), 0, true},
    {"mapc_icid_16_is_einval",
     C(.op = ITS_CMD_MAPC, .icid = 16, .vcpu = 0, .valid = true), -EINVAL,
     false},
    {"mapc_vcpu_4_is_einval",
     C(.op = ITS_CMD_MAPC, .icid = 5, .vcpu = 4, .valid = true), -EINVAL,
     false},
    {"mapti_new_event_keeps_cache",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 4, .intid = 8300,
       .icid = 0), 0, false},
    {"mapti_shared_lpi_keeps_cache",
     C(.op = ITS_CMD_MAPTI, .devid = 2, .eventid = 9,
       .intid = STD_LPI(1, 0), .icid = 2), 0, false},
    {"mapti_existing_event_is_eexist",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 0, .intid = 8300,
       .icid = 0), -EEXIST, false},
    {"mapti_event_15_ok",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 15, .intid = 8300,
       .icid = 0), 0, false},
    {"mapti_event_16_beyond_itt_is_erange",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 16, .intid = 8300,
       .icid = 0), -ERANGE, false},
    {"mapti_unknown_device_is_enodev",
     C(.op = ITS_CMD_MAPTI, .devid = 7, .eventid = 0, .intid = 8300,
       .icid = 0), -ENODEV, false},
    {"mapti_unmapped_collection_is_enxio",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 5, .intid = 8300,
       .icid = 9), -ENXIO, false},
    {"mapti_icid_16_is_einval",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 5, .intid = 8300,
       .icid = 16), -EINVAL, false},
    {"mapti_intid_8191_is_einval",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 5, .intid = 8191,
       .icid = 0), -EINVAL, false},
    {"mapti_intid_65535_ok",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 5, .intid = 65535,
       .icid = 0), 0, false},
    {"mapti_intid_65536_is_einval",
     C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 5, .intid = 65536,
       .icid = 0), -EINVAL, false},
    {"mapi_eventid_as_intid_ok",
     C(.op = ITS_CMD_MAPI, .devid = 3, .eventid = 8195, .icid = 1), 0,
     false},
    {"mapi_eventid_below_lpi_range_is_einval",
     C(.op = ITS_CMD_MAPI, .devid = 3, .eventid = 5, .icid = 1), -EINVAL,
     false},
    {"movi_invalidates",
     C(.op = ITS_CMD_MOVI, .devid = 1, .eventid = 0, .icid = 2), 0, true},
    {"movi_unmapped_target_is_enxio",
     C(.op = ITS_CMD_MOVI, .devid = 1, .eventid = 0, .icid = 9), -ENXIO,
     false},
    {"movi_no_ite_is_enoent",
     C(.op = ITS_CMD_MOVI, .devid = 1, .eventid = 9, .icid = 0), -ENOENT,
     false},
    {"movall_invalidates",
     C(.op = ITS_CMD_MOVALL, .vcpu = 0, .vcpu2 = 1), 0, true},
    {"movall_same_vcpu_invalidates",
     C(.op = ITS_CMD_MOVALL, .vcpu = 2, .vcpu2 = 2), 0, true},
    {"movall_vcpu_4_is_einval",
     C(.op = ITS_CMD_MOVALL, .vcpu = 0, .vcpu2 = 4), -EINVAL, false},
    {"discard_invalidates",
     C(.op = ITS_CMD_DISCARD, .devid = 1, .eventid = 0), 0, true},
    {"discard_no_ite_is_enoent",
     C(.op = ITS_CMD_DISCARD, .devid = 1, .eventid = 9), -ENOENT, false},
    {"discard_beyond_itt_is_erange",
     C(.op = ITS_CMD_DISCARD, .devid = 1, .eventid = 99), -ERANGE, false},
    {"discard_unknown_device_is_enodev",
     C(.op = ITS_CMD_DISCARD, .devid = 8, .eventid = 0), -ENODEV, false},
    {"inv_keeps_cache",
     C(.op = ITS_CMD_INV, .devid = 1, .eventid = 0), 0, false},
    {"inv_no_ite_is_enoent",
     C(.op = ITS_CMD_INV, .devid = 1, .eventid = 9), -ENOENT, false},
    {"invall_keeps_cache", C(.op = ITS_CMD_INVALL, .icid = 0), 0, false},
    {"invall_unmapped_is_enxio", C(.op = ITS_CMD_INVALL, .icid = 9), -ENXIO,
     false},
    {"int_keeps_cache",
     C(.op = ITS_CMD_INT, .devid = 1, .eventid = 0), 0, false},
    {"int_no_ite_is_enoent",
     C(.op = ITS_CMD_INT, .devid = 1, .eventid = 9), -ENOENT, false},
    {"int_devid_65536_is_einval",
     C(.op = ITS_CMD_INT, .devid = 65536, .eventid = 0), -EINVAL, false},
    {"clear_keeps_cache",
     C(.op = ITS_CMD_CLEAR, .devid = 1, .eventid = 0), 0, false},
    {"clear_no_ite_is_enoent",
     C(.op = ITS_CMD_CLEAR, .devid = 2, .eventid = 9), -ENOENT, false},
    {"sync_keeps_cache", C(.op = ITS_CMD_SYNC, .vcpu = 3), 0, false},
    {"sync_vcpu_4_is_einval", C(.op = ITS_CMD_SYNC, .vcpu = 4), -EINVAL,
     false},
    {"set_enabled_0_invalidates",
     C(.op = ITS_CMD_SET_ENABLED, .valid = false), 0, true},
    {"set_enabled_1_keeps_cache",
     C(.op = ITS_CMD_SET_ENABLED, .valid = true), 0, false},
    {"set_lpis_0_invalidates",
     C(.op = ITS_CMD_SET_LPIS, .vcpu = 3, .valid = false), 0, true},
    {"set_lpis_1_keeps_cache",
     C(.op = ITS_CMD_SET_LPIS, .vcpu = 3, .valid = true), 0, false},
    {"set_lpis_vcpu_4_is_einval",
     C(.op = ITS_CMD_SET_LPIS, .vcpu = 4, .valid = false), -EINVAL, false},
    {"set_hw_1_invalidates",
     C(.op = ITS_CMD_SET_HW, .devid = 2, .eventid = 3, .valid = true), 0,
     true},
    {"set_hw_0_keeps_cache",
     C(.op = ITS_CMD_SET_HW, .devid = 2, .eventid = 3, .valid = false), 0,
     false},
    {"unknown_op_is_einval", C(.op = ITS_CMD_NR), -EINVAL, false},
};

static const uint32_t primed[3][2] = {{1, 0}, {1, 1}, {2, 0}};

static void its_cmd_effects_on_tables_and_cache_all_variants(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        for (size_t i = 0; i < sizeof(cmd_rows) / sizeof(cmd_rows[0]); i++) {
            const struct cmd_row *r = &cmd_rows[i];
            struct its_oracle *o;
            struct tits t;
            uint32_t before;
            uint64_t inv0;
            char msg[256];
            int rc;

            tits_open(&t, all_kinds[k], 4);
            o = its_oracle_create(its_get_config(t.its));
            assert_non_null(o);
            std_setup(t.its, o);
            for (int p = 0; p < 3; p++) {
                struct its_msi m = msi_of(t.its, primed[p][0], primed[p][1]);

                assert_int_equal(its_inject(t.its, 0, &m, NULL), 0);
                assert_int_equal(its_oracle_msi(o, &m, NULL), 0);
            }
            before = its_cache_count(its_get_cache(t.its));
            assert_int_equal(before, 3 * copies(all_kinds[k]));
            inv0 = invalidations(t.its);

            rc = its_cmd_exec(t.its, &r->cmd);
            if (rc != r->rc) {
                fail_msg("%s (%s): returned %d, want %d", r->name,
                         its_cache_kind_name(all_kinds[k]), rc, r->rc);
            }
            assert_int_equal(its_oracle_cmd(o, &r->cmd, NULL), r->rc);
            if (invalidations(t.its) - inv0 != (r->invalidates ? 1 : 0)) {
                fail_msg("%s (%s): %" PRIu64 " invalidations, want %d",
                         r->name, its_cache_kind_name(all_kinds[k]),
                         invalidations(t.its) - inv0, r->invalidates);
            }
            if (its_cache_count(its_get_cache(t.its)) !=
                (r->invalidates ? 0 : before)) {
                fail_msg("%s (%s): %u cache entries after, %u before",
                         r->name, its_cache_kind_name(all_kinds[k]),
                         its_cache_count(its_get_cache(t.its)), before);
            }
            /* Tables agree with the model (errors changed nothing), and the
             * cache still agrees with the tables. */
            if (its_oracle_compare(o, t.its, msg, sizeof(msg)) != 0) {
                fail_msg("%s (%s): %s", r->name,
                         its_cache_kind_name(all_kinds[k]), msg);
            }
            its_oracle_destroy(o);
            tits_close(&t);
        }
    }
}

/* ---- named command cases ------------------------------------------------ */

static void its_discard_invalidates_cache_entry(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct its_lpi_info info;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(inject(t.its, 0, 1, 0, &res), 0);
        assert_int_equal(cached(t.its, 1, 0), copies(all_kinds[k]));
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)),
                         1 + copies(all_kinds[k]));
        assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD, .devid = 1,
                             .eventid = 0), 0);
        assert_int_equal(cached(t.its, 1, 0), 0);
        /* The ITE and the cache held the only references: freed. */
        assert_int_equal(its_lpi_info(t.its, STD_LPI(1, 0), &info),
                         -ENOENT);
        assert_int_equal(inject(t.its, 0, 1, 0, &res), -ENOENT);
        assert_false(res.hit);
        tits_close(&t);
    }
}

static void its_inv_keeps_cache_entry(void **state)
{
    (void)state;
    for (unsigned k = 1; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct its_stats st0, st1;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(inject(t.its, 0, 1, 2, &res), 0);
        assert_true(res.inserted);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_INV, .devid = 1,
                             .eventid = 2), 0);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_INVALL, .icid = 2), 0);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_CLEAR, .devid = 1,
                             .eventid = 2), 0);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_INT, .devid = 1,
                             .eventid = 2), 0);
        assert_int_equal(cached(t.its, 1, 2), copies(all_kinds[k]));
        its_get_stats(t.its, &st0);
        assert_int_equal(inject(t.its, 0, 1, 2, &res), 0);
        its_get_stats(t.its, &st1);
        assert_true(res.hit);
        assert_int_equal(res.intid, STD_LPI(1, 2));
        assert_int_equal(res.vcpu, 2);
        /* Served without the kworker's table walk. */
        assert_int_equal(st1.slow_calls, st0.slow_calls);
        tits_close(&t);
    }
}

static void its_mapd_existing_device_invalidates(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_lpi_info info;
        struct tits t;
        uint64_t inv0;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(inject(t.its, 0, 1, 0, NULL), 0);
        assert_int_equal(inject(t.its, 0, 2, 1, NULL), 0);
        /* MAPD of a new device leaves the cache alone. */
        inv0 = invalidations(t.its);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPD, .devid = 5,
                             .size = 2, .valid = true), 0);
        assert_int_equal(invalidations(t.its), inv0);
        assert_int_equal(cached(t.its, 2, 1), copies(all_kinds[k]));
        /* Remapping device 1 drops its ITEs and the whole cache. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPD, .devid = 1,
                             .size = 2, .valid = true), 0);
        assert_int_equal(invalidations(t.its), inv0 + 1);
        assert_int_equal(its_cache_count(its_get_cache(t.its)), 0);
        for (uint32_t e = 0; e < 4; e++) {
            assert_int_equal(its_lpi_info(t.its, STD_LPI(1, e), &info),
                             -ENOENT);
        }
        assert_int_equal(refcount_of(t.its, STD_LPI(2, 1)), 1);
        assert_int_equal(inject(t.its, 0, 1, 0, NULL), -ENOENT);
        assert_int_equal(inject(t.its, 0, 1, 4, NULL), -ERANGE);
        assert_int_equal(inject(t.its, 0, 2, 1, NULL), 0);
        tits_close(&t);
    }
}

static void its_slow_path_skips_insert_when_lpis_disabled(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        /* (1, 1) targets vCPU 1. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_LPIS, .vcpu = 1,
                             .valid = false), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), -EBUSY);
        assert_false(res.hit);
        assert_false(res.inserted);
        assert_false(res.delivered);
        assert_int_equal(res.intid, STD_LPI(1, 1));
        assert_int_equal(cached(t.its, 1, 1), 0);
        assert_int_equal(its_vcpu_delivered(t.its, 1), 0);
        /* Enabled again: delivered, and cached by the caching kinds. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_LPIS, .vcpu = 1,
                             .valid = true), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), 0);
        assert_int_equal(res.inserted, all_kinds[k] != ITS_CACHE_NONE);
        assert_int_equal(cached(t.its, 1, 1), copies(all_kinds[k]));
        assert_int_equal(its_vcpu_delivered(t.its, 1), 1);
        tits_close(&t);
    }
}

static void its_slow_path_skips_insert_when_its_disabled(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_ENABLED,
                             .valid = false), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), -EBUSY);
        assert_false(res.inserted);
        assert_int_equal(res.intid, 0);
        assert_int_equal(its_cache_count(its_get_cache(t.its)), 0);
        tits_close(&t);
    }
}

/* The cache never holds a hardware-mapped LPI: marking one invalidates,
 * and the slow path delivers it without caching it. */
static void its_cache_never_holds_hw_lpi(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct find_ctx f = {.any_list = true};
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(inject(t.its, 0, 2, 2, &res), 0);
        assert_int_equal(inject(t.its, 0, 1, 3, &res), 0);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_HW, .devid = 2,
                             .eventid = 2, .valid = true), 0);
        assert_int_equal(cached(t.its, 2, 2), 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(inject(t.its, 0, 2, 2, &res), 0);
            assert_false(res.hit);
            assert_false(res.inserted);
            assert_true(res.delivered);
            assert_true(res.hw);
        }
        /* Another event sharing the forwarded LPI is not cached either. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPTI, .devid = 1,
                             .eventid = 9, .intid = STD_LPI(2, 2),
                             .icid = 1), 0);
        assert_int_equal(inject(t.its, 0, 1, 9, &res), 0);
        assert_false(res.inserted);
        assert_int_equal(inject(t.its, 0, 1, 3, &res), 0);
        its_cache_for_each(its_get_cache(t.its), find_visit, &f);
        assert_int_equal(f.hw, 0);
        /* Unforwarded: cacheable again. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_HW, .devid = 2,
                             .eventid = 2, .valid = false), 0);
        assert_int_equal(inject(t.its, 0, 2, 2, &res), 0);
        assert_int_equal(res.inserted, all_kinds[k] != ITS_CACHE_NONE);
        tits_close(&t);
    }
}

static void its_inject_fast_miss_then_hit(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct its_msi m;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        m = msi_of(t.its, 2, 3);
        assert_int_equal(its_inject_fast(t.its, 5, &m, &res), -EWOULDBLOCK);
        assert_false(res.hit);
        assert_int_equal(its_inject_slow(t.its, &m, &res), 0);
        assert_int_equal(res.intid, STD_LPI(2, 3));
        assert_int_equal(res.vcpu, 3);
        assert_true(res.delivered);
        if (all_kinds[k] == ITS_CACHE_NONE) {
            assert_int_equal(its_inject_fast(t.its, 5, &m, &res),
                             -EWOULDBLOCK);
        } else {
            assert_int_equal(its_inject_fast(t.its, 5, &m, &res), 0);
            assert_true(res.hit);
            assert_int_equal(res.intid, STD_LPI(2, 3));
            assert_int_equal(res.vcpu, 3);
            ASSERT_GE(res.probes, 1);
        }
        /* A foreign doorbell is refused on both paths. */
        m.db += 4;
        assert_int_equal(its_inject_fast(t.its, 5, &m, &res),
                         -EADDRNOTAVAIL);
        assert_int_equal(its_inject_slow(t.its, &m, &res), -EADDRNOTAVAIL);
        assert_int_equal(its_translate(t.its, &m, NULL), -EADDRNOTAVAIL);
        tits_close(&t);
    }
}

/* A remapped collection retargets its LPIs in place: a cached translation
 * follows, and a target with LPIs disabled drops the hit like the tables
 * would. */
static void its_mapc_remap_retargets_cached_lpi(void **state)
{
    (void)state;
    for (unsigned k = 1; k < ITS_CACHE_NR; k++) {
        struct its_inject_result res;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), 0);
        assert_int_equal(res.vcpu, 1);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPC, .icid = 1,
                             .vcpu = 3, .valid = true), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), 0);
        assert_true(res.hit);
        assert_int_equal(res.vcpu, 3);
        /* vCPU 2's LPIs go off (that invalidates); (1, 1) is cached again
         * on vCPU 3, then collection 1 moves to vCPU 2 without
         * invalidating: the hit finds the target disabled. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_SET_LPIS, .vcpu = 2,
                             .valid = false), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), 0);
        assert_true(res.inserted);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPC, .icid = 1,
                             .vcpu = 2, .valid = true), 0);
        assert_int_equal(inject(t.its, 0, 1, 1, &res), -EBUSY);
        assert_true(res.hit);
        assert_false(res.delivered);
        tits_close(&t);
    }
}

/* ---- reference counts ---------------------------------------------------- */

static void its_lpi_refcount_is_ites_plus_cache_entries(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        uint32_t c = copies(all_kinds[k]);
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 1);
        assert_int_equal(inject(t.its, 0, 1, 0, NULL), 0);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 1 + c);
        /* A hit hands out a reference and takes it back. */
        assert_int_equal(inject(t.its, 3, 1, 0, NULL), 0);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 1 + c);
        /* A second event naming the same LPI: one more ITE reference. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPTI, .devid = 2,
                             .eventid = 7, .intid = STD_LPI(1, 0),
                             .icid = 0), 0);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 2 + c);
        assert_int_equal(inject(t.its, 0, 2, 7, NULL), 0);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 2 + 2 * c);
        assert_its_ok(t.its);
        /* Discarding one event invalidates: the other ITE keeps it. */
        assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD, .devid = 1,
                             .eventid = 0), 0);
        assert_int_equal(refcount_of(t.its, STD_LPI(1, 0)), 1);
        tits_close(&t);
    }
}

/* A mixed workload, then teardown with live translations everywhere:
 * every count returns to zero and every allocation is freed. */
static void its_refcounts_return_to_zero_at_teardown(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct its_stats st;
        struct tits t;

        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        for (uint32_t i = 0; i < 64; i++) {
            (void)inject(t.its, i % 11, 1 + i % 2, i % 5, NULL);
            if (i % 16 == 15) {
                assert_int_equal(CMD(t.its, .op = ITS_CMD_MOVI, .devid = 1,
                                     .eventid = 1, .icid = i % 4), 0);
            }
        }
        its_get_stats(t.its, &st);
        assert_true(st.lpis_live == 8);
        ASSERT_GT(st.delivered, 0);
        tits_close(&t); /* asserts 0 leaked LPIs and sim_alloc_live() */
    }
}

/* Every allocation MAPTI makes fails in turn: nothing changes. */
static void its_mapti_nth_alloc_failure_changes_nothing(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct fault_loop fl;
        struct tits t;
        uint64_t live = 0;
        uint32_t lpis = 0;

        test_variant("cache %s", its_cache_kind_name(all_kinds[k]));
        tits_open(&t, all_kinds[k], 4);
        std_setup(t.its, NULL);
        FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
            int rc;

            if (fl.n == 1 && fl.persist) {
                /* The single pass mapped the event: unmap it. */
                assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD,
                                     .devid = 2, .eventid = 9), 0);
                assert_int_equal(its_nr_lpis(t.its), lpis);
            }
            live = sim_alloc_live();
            lpis = its_nr_lpis(t.its);
            rc = FAULT_LOOP_CALL(fl, CMD(t.its, .op = ITS_CMD_MAPTI,
                                         .devid = 2, .eventid = 9,
                                         .intid = 9000, .icid = 1));
            if (fl.faulted) {
                assert_int_equal(rc, -ENOMEM);
                assert_int_equal(sim_alloc_live(), live);
                assert_int_equal(its_nr_lpis(t.its), lpis);
                assert_int_equal(inject(t.its, 0, 2, 9, NULL), -ENOENT);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(fl.n, 3); /* the ITE, then the LPI */
            assert_int_equal(its_nr_lpis(t.its), lpis + 1);
        }
        sim_fault_reset();
        /* MAPD of an existing device: the old one survives a failure. */
        sim_fault_fail_nth(PLAT_FAULT_ALLOC, 1, false);
        assert_int_equal(CMD(t.its, .op = ITS_CMD_MAPD, .devid = 2,
                             .size = 3, .valid = true), -ENOMEM);
        sim_fault_reset();
        assert_int_equal(inject(t.its, 0, 2, 9, NULL), 0);
        tits_close(&t);
    }
    test_variant_clear();
}

/* LOCKLESS: a node that cannot be allocated only skips the insert. */
static void its_cache_lockless_insert_nomem_still_delivers(void **state)
{
    struct its_inject_result res;
    struct its_stats st;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_LOCKLESS, 4);
    std_setup(t.its, NULL);
    sim_fault_fail_nth(PLAT_FAULT_ALLOC, 1, false);
    assert_int_equal(inject(t.its, 0, 1, 0, &res), 0);
    sim_fault_reset();
    assert_false(res.inserted);
    assert_true(res.delivered);
    its_get_stats(t.its, &st);
    assert_int_equal(st.cache.insert_nomem, 1);
    assert_int_equal(inject(t.its, 0, 1, 0, &res), 0);
    assert_true(res.inserted);
    tits_close(&t);
}

/* LOCKLESS: freed LPIs and nodes wait for a grace period. */
static void its_cache_lockless_frees_after_grace_period(void **state)
{
    struct its_stats st0, st1;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_LOCKLESS, 4);
    std_setup(t.its, NULL);
    assert_int_equal(inject(t.its, 0, 1, 0, NULL), 0);
    its_get_stats(t.its, &st0);
    assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD, .devid = 1,
                         .eventid = 0), 0);
    its_get_stats(t.its, &st1);
    assert_int_equal(st1.reclaims, st0.reclaims + 1);
    assert_int_equal(st1.lpis_freed, st0.lpis_freed + 1);
    assert_int_equal(its_reclaim(t.its), 0);
    tits_close(&t);
}

/* ---- the LRU rules ------------------------------------------------------ */

/* Map n events of device 1 to LPIs 8192.. in collection 0, with a device
 * big enough. */
static void map_many(struct its *its, uint32_t n)
{
    assert_int_equal(CMD(its, .op = ITS_CMD_SET_ENABLED, .valid = true), 0);
    assert_int_equal(CMD(its, .op = ITS_CMD_SET_LPIS, .vcpu = 0,
                         .valid = true), 0);
    assert_int_equal(CMD(its, .op = ITS_CMD_MAPC, .icid = 0, .vcpu = 0,
                         .valid = true), 0);
    assert_int_equal(CMD(its, .op = ITS_CMD_MAPD, .devid = 1, .size = 8,
                         .valid = true), 0);
    for (uint32_t e = 0; e < n; e++) {
        assert_int_equal(CMD(its, .op = ITS_CMD_MAPTI, .devid = 1,
                             .eventid = e, .intid = ITS_LPI_BASE + e,
                             .icid = 0), 0);
    }
}


/* ---- cache lines: what sharding saves ------------------------------------ */

#define LINES_ROUNDS 10

/* A NIC queue's irqfd on one CPU: injects event `ev` of device 1 at
 * 1 us steps, its turns interleaved with the other CPU's. */
struct lines_nic {
    struct its *its;
    uint32_t ev;
    int failures;
};

static void lines_nic_thread(void *arg)
{
    struct lines_nic *n = arg;

    for (uint64_t i = 0; i < LINES_ROUNDS; i++) {
        uint64_t at = 1000 * (2 * i + 1 + n->ev);
        struct its_inject_result res;

        sim_sleep_ns(at - plat_now_ns());
        if (inject(n->its, ITS_CPU_SELF, 1, n->ev, &res) != 0 || !res.hit) {
            n->failures++;
        }
    }
}

/* Two CPUs take turns injecting one cached LPI each (events 0 and 1 of
 * device 1, vCPUs 0 and 1), both already cached, line state fresh.
 * GLOBAL: every lookup after the first (19) takes the lock word from the
 * other CPU and reads three lines that CPU's move to the head stored to:
 * the sentinel, its entry now at the head and our own entry (its old
 * head): 4 x 19 = 76 transfers.  SHARDED: CPUs 0 and 1 use shards 0 and
 * 1, nothing is shared: none. */
static void its_cache_lookup_two_cpus_line_transfers_global_76_sharded_0(
    void **state)
{
    static const struct {
        enum its_cache_kind kind;
        uint64_t transfers;
    } cases[] = {{ITS_CACHE_GLOBAL, 76}, {ITS_CACHE_SHARDED, 0}};

    (void)state;
    for (unsigned k = 0; k < 2; k++) {
        struct lines_nic nic[2];
        struct sim_options so;
        struct sim_tape *tape = sim_tape_from_seed(1);
        struct sim *s;
        struct tits t;
        uint64_t got;

        sim_options_default(&so);
        so.ncpus = 2;
        s = sim_create(&so, tape);
        assert_non_null(s);
        tits_open(&t, cases[k].kind, 4);
        std_setup(t.its, NULL);
        for (uint32_t e = 0; e < 2; e++) {
            assert_int_equal(inject(t.its, e, 1, e, NULL), 0);
            nic[e] = (struct lines_nic){.its = t.its, .ev = e};
            sim_spawn(s, "nic", e, lines_nic_thread, &nic[e]);
        }
        assert_int_equal(sim_run(s), SIM_OK);
        got = sim_line_transfers(s);
        assert_int_equal(nic[0].failures + nic[1].failures, 0);
        if (got != cases[k].transfers) {
            fail_msg("%s: %llu line transfers, want %llu",
                     its_cache_kind_name(cases[k].kind),
                     (unsigned long long)got,
                     (unsigned long long)cases[k].transfers);
        }
        tits_close(&t);
        sim_destroy(s);
        sim_tape_destroy(tape);
    }
}

/* ---- reference bugs the checks must catch ------------------------------- */

/* Three puts for the one reference a lookup handed out: the LPI's count
 * hits zero while the lockless cache still publishes it.  A lookup must
 * refuse it (inc-not-zero), and its_check must report the dead entry and
 * the put on a dead LPI. */
static void its_cache_lockless_lookup_refuses_lpi_whose_count_hit_zero(
    void **state)
{
    struct its_inject_result res;
    struct its_stats st;
    struct its_msi m;
    struct its_lpi *lpi;
    struct tits t;
    char msg[256];

    (void)state;
    tits_open(&t, ITS_CACHE_LOCKLESS, 4);
    std_setup(t.its, NULL);
    m = msi_of(t.its, 1, 0);
    assert_int_equal(its_inject_slow(t.its, &m, &res), 0);
    assert_true(res.inserted);
    lpi = its_cache_lookup(its_get_cache(t.its), 0, &m, NULL);
    assert_non_null(lpi);
    assert_int_equal(its_lpi_intid(lpi), STD_LPI(1, 0));
    its_lpi_put(t.its, lpi);
    its_lpi_put(t.its, lpi);
    its_lpi_put(t.its, lpi);
    assert_null(its_cache_lookup(its_get_cache(t.its), 0, &m, NULL));
    assert_int_equal(its_inject_fast(t.its, 0, &m, NULL), -EWOULDBLOCK);
    its_get_stats(t.its, &st);
    assert_int_equal(st.cache.tryget_failures, 2);
    assert_int_equal(st.lpis_freed, 1);
    assert_int_equal(its_check(t.its, msg, sizeof(msg)), -EUCLEAN);
    assert_non_null(strstr(msg, "dead LPI"));
    /* One put too many: counted, nothing touched. */
    its_lpi_put(t.its, lpi);
    assert_int_equal(its_check(t.its, NULL, 0), -EUCLEAN);
    /* Teardown puts the cache's and the ITE's dead references too; the
     * LPI itself goes with the grace period, so nothing leaks. */
    assert_int_equal(its_destroy(t.its), 0);
    assert_int_equal(sim_alloc_live(), t.live0);
}

/* A lookup's reference that is never put: its_check names the LPI and
 * its counts, and its_destroy reports the leak (and frees it). */
static void its_check_and_destroy_report_an_unreleased_reference(
    void **state)
{
    struct its_msi m;
    struct its_lpi *lpi;
    struct tits t;
    char msg[256];

    (void)state;
    tits_open(&t, ITS_CACHE_GLOBAL, 4);
    std_setup(t.its, NULL);
    assert_int_equal(inject(t.its, 0, 1, 2, NULL), 0);
    m = msi_of(t.its, 1, 2);
    lpi = its_cache_lookup(its_get_cache(t.its), 0, &m, NULL);
    assert_non_null(lpi);
    assert_int_equal(its_check(t.its, msg, sizeof(msg)), -EUCLEAN);
    assert_non_null(strstr(msg, "refcount 3, ITEs 1 + cache entries 1"));
    /* Without its ITE (and so out of the cache) the LPI is still alive. */
    assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD, .devid = 1,
                         .eventid = 2), 0);
    assert_int_equal(its_check(t.its, msg, sizeof(msg)), -EUCLEAN);
    assert_non_null(strstr(msg, "is named by no ITE"));
    assert_int_equal(its_destroy(t.its), 1);
    assert_int_equal(sim_alloc_live(), t.live0);
}

static void its_inject_null_result_bad_ids_and_null_destroy(void **state)
{
    struct its_msi m;
    struct tits t;

    (void)state;
    assert_int_equal(its_destroy(NULL), 0);
    tits_open(&t, ITS_CACHE_SHARDED, 4);
    std_setup(t.its, NULL);
    m = msi_of(t.its, 2, 3);
    /* The result is optional on every path. */
    assert_int_equal(its_inject_fast(t.its, 3, &m, NULL), -EWOULDBLOCK);
    assert_int_equal(its_inject_slow(t.its, &m, NULL), 0);
    assert_int_equal(its_inject_fast(t.its, 3, &m, NULL), 0);
    assert_int_equal(its_vcpu_delivered(t.its, 3), 2);
    /* Boundary: vCPU 4 of 4 has delivered nothing. */
    assert_int_equal(its_vcpu_delivered(t.its, 4), 0);
    assert_int_equal(CMD(t.its, .op = ITS_CMD_DISCARD,
                         .devid = 1u << ITS_DEVID_BITS), -EINVAL);
    tits_close(&t);
}

/* Nodes the lockless cache evicts wait for a grace period; the slow path
 * reclaims them once ITS_RECLAIM_BATCH have piled up, with no command. */
static void its_inject_slow_reclaims_after_batch_of_evictions(void **state)
{
    struct its_config cfg;
    struct its_stats st0, st1;
    struct tits t;
    const uint32_t n = ITS_CACHE_WAYS + ITS_RECLAIM_BATCH;

    (void)state;
    its_config_default(&cfg);
    cfg.cache = ITS_CACHE_LOCKLESS;
    cfg.nr_vcpus = 1;
    cfg.cache_size = 1; /* one set of ITS_CACHE_WAYS slots */
    tits_open_cfg(&t, &cfg);
    map_many(t.its, n);
    its_get_stats(t.its, &st0);
    for (uint32_t e = 0; e < n; e++) {
        assert_int_equal(inject(t.its, 0, 1, e, NULL), 0);
    }
    its_get_stats(t.its, &st1);
    assert_int_equal(st1.cache.evictions - st0.cache.evictions,
                     ITS_RECLAIM_BATCH);
    assert_int_equal(st1.reclaims, st0.reclaims + 1);
    /* The reclaim took every evicted node. */
    assert_int_equal(its_reclaim(t.its), 0);
    tits_close(&t);
}

static void its_cache_global_hit_moves_to_head(void **state)
{
    struct its_inject_result res;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_GLOBAL, 1);
    map_many(t.its, 5);
    for (uint32_t e = 0; e < 5; e++) {
        assert_int_equal(inject(t.its, 0, 1, e, NULL), 0);
    }
    /* Head is the newest: 4 3 2 1 0. */
    assert_int_equal(pos_in_list(t.its, 0, 1, 4), 1);
    assert_int_equal(pos_in_list(t.its, 0, 1, 0), 5);
    assert_int_equal(inject(t.its, 0, 1, 0, &res), 0);
    assert_true(res.hit);
    assert_int_equal(res.probes, 5);
    assert_int_equal(pos_in_list(t.its, 0, 1, 0), 1);
    assert_int_equal(pos_in_list(t.its, 0, 1, 4), 2);
    tits_close(&t);
}

static void its_cache_global_insert_reuses_tail(void **state)
{
    struct its_stats st;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_GLOBAL, 1); /* 16 entries */
    map_many(t.its, 20);
    for (uint32_t e = 0; e < 16; e++) {
        assert_int_equal(inject(t.its, 0, 1, e, NULL), 0);
    }
    assert_int_equal(its_cache_count(its_get_cache(t.its)), 16);
    assert_int_equal(pos_in_list(t.its, 0, 1, 0), 16);
    assert_int_equal(refcount_of(t.its, ITS_LPI_BASE), 2);
    /* Full: the 17th translation takes the tail's entry (event 0). */
    assert_int_equal(inject(t.its, 0, 1, 16, NULL), 0);
    assert_int_equal(its_cache_count(its_get_cache(t.its)), 16);
    assert_int_equal(cached(t.its, 1, 0), 0);
    assert_int_equal(pos_in_list(t.its, 0, 1, 16), 1);
    assert_int_equal(pos_in_list(t.its, 0, 1, 1), 16);
    assert_int_equal(refcount_of(t.its, ITS_LPI_BASE), 1);
    /* A hit on the new tail saves it from the next eviction. */
    assert_int_equal(inject(t.its, 0, 1, 1, NULL), 0);
    assert_int_equal(inject(t.its, 0, 1, 17, NULL), 0);
    assert_int_equal(cached(t.its, 1, 1), 1);
    assert_int_equal(cached(t.its, 1, 2), 0);
    its_get_stats(t.its, &st);
    assert_int_equal(st.cache.evictions, 2);
    tits_close(&t);
}

static void its_cache_sharded_hit_moves_to_head_only_past_32(void **state)
{
    struct its_inject_result res;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_SHARDED, 3); /* 48 entries per shard */
    map_many(t.its, 40);
    for (uint32_t e = 0; e < 40; e++) {
        assert_int_equal(inject(t.its, 0, 1, e, NULL), 0);
    }
    /* Every shard got every translation; event e is at position 40 - e. */
    for (uint32_t s = 0; s < ITS_CACHE_SHARDS; s++) {
        assert_int_equal(pos_in_list(t.its, s, 1, 39), 1);
        assert_int_equal(pos_in_list(t.its, s, 1, 8), 32);
        assert_int_equal(pos_in_list(t.its, s, 1, 7), 33);
    }
    /* Position 32 (CPU 0 -> shard 0): a hit, no move. */
    assert_int_equal(inject(t.its, 0, 1, 8, &res), 0);
    assert_true(res.hit);
    assert_int_equal(res.probes, 32);
    assert_int_equal(pos_in_list(t.its, 0, 1, 8), 32);
    /* Position 33 on CPU 9 -> shard 1: moves to the head of shard 1 only. */
    assert_int_equal(inject(t.its, 9, 1, 7, &res), 0);
    assert_true(res.hit);
    assert_int_equal(res.probes, 33);
    assert_int_equal(pos_in_list(t.its, 1, 1, 7), 1);
    assert_int_equal(pos_in_list(t.its, 1, 1, 39), 2);
    assert_int_equal(pos_in_list(t.its, 0, 1, 7), 33);
    assert_int_equal(pos_in_list(t.its, 2, 1, 7), 33);
    tits_close(&t);
}

static void its_cache_sharded_insert_goes_into_every_shard(void **state)
{
    struct its_stats st;
    struct tits t;

    (void)state;
    tits_open(&t, ITS_CACHE_SHARDED, 4);
    std_setup(t.its, NULL);
    assert_int_equal(inject(t.its, 6, 2, 1, NULL), 0);
    for (uint32_t s = 0; s < ITS_CACHE_SHARDS; s++) {
        assert_int_equal(pos_in_list(t.its, s, 2, 1), 1);
    }
    assert_int_equal(refcount_of(t.its, STD_LPI(2, 1)), 1 + 8);
    its_get_stats(t.its, &st);
    assert_int_equal(st.cache.inserts, 8);
    /* Every CPU now hits, in its own shard. */
    for (uint32_t cpu = 0; cpu < 16; cpu++) {
        struct its_inject_result res;

        assert_int_equal(inject(t.its, cpu, 2, 1, &res), 0);
        assert_true(res.hit);
    }
    tits_close(&t);
}

/* LOCKLESS: a set overflows into round-robin replacement; any number of
 * translations stays correct. */
static void its_cache_lockless_full_set_replaces_round_robin(void **state)
{
    struct its_stats st;
    struct tits t;
    struct its_config cfg;

    (void)state;
    its_config_default(&cfg);
    cfg.cache = ITS_CACHE_LOCKLESS;
    cfg.cache_size = 1; /* one set of ITS_CACHE_WAYS slots */
    tits_open_cfg(&t, &cfg);
    map_many(t.its, 10);
    for (uint32_t e = 0; e < 10; e++) {
        assert_int_equal(inject(t.its, 0, 1, e, NULL), 0);
        assert_its_ok(t.its);
    }
    assert_int_equal(its_cache_count(its_get_cache(t.its)), ITS_CACHE_WAYS);
    its_get_stats(t.its, &st);
    assert_int_equal(st.cache.evictions, 10 - ITS_CACHE_WAYS);
    /* Slots hold events 8, 9, 6, 7 (ways 0, 1, 2, 3 after 10 inserts). */
    for (uint32_t e = 6; e < 10; e++) {
        struct its_inject_result res;

        assert_int_equal(inject(t.its, 0, 1, e, &res), 0);
        assert_true(res.hit);
    }
    assert_int_equal(cached(t.its, 1, 5), 0);
    tits_close(&t);
}

/* ---- differential: the opcode stream against the oracle ----------------- */

#define DIFF_SEEDS 100
#define DIFF_OPS 1000

/* A prefix that makes most MSIs translate (encoded as ops, like a fuzzer
 * seed corpus would). */
static size_t diff_prefix(uint8_t *buf, const struct its_config *cfg)
{
    size_t n = 0;
    static const uint8_t ops[][ITS_OP_COMPACT_BYTES] = {
        /* op, dev, ev, intid, icid, vcpu, vcpu2, b7 */
        {ITS_CMD_SET_ENABLED, 0, 0, 0, 0, 0, 0, 1},
        {ITS_CMD_SET_LPIS, 0, 0, 0, 0, 0, 0, 1},
        {ITS_CMD_SET_LPIS, 0, 0, 0, 0, 1, 0, 1},
        {ITS_CMD_SET_LPIS, 0, 0, 0, 0, 2, 0, 1},
        {ITS_CMD_MAPC, 0, 0, 0, 0, 0, 0, 1},
        {ITS_CMD_MAPC, 0, 0, 0, 1, 1, 0, 1},
        {ITS_CMD_MAPC, 0, 0, 0, 2, 2, 0, 1},
        {ITS_CMD_MAPD, 0, 0, 0, 0, 0, 0, 1 | (3 << 2)},
        {ITS_CMD_MAPD, 1, 0, 0, 0, 0, 0, 1 | (3 << 2)},
        {ITS_CMD_MAPD, 2, 0, 0, 0, 0, 0, 1 | (13 << 2)},
        {ITS_CMD_MAPD, 3, 0, 0, 0, 0, 0, 1 | (2 << 2)},
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        its_op_from_compact(ops[i], cfg, buf + n);
        n += ITS_OP_BYTES;
    }
    return n;
}

/* Operation mix of the generated streams, per 100: half MSIs, mappings
 * often enough to keep translations alive, every other command a few
 * times.  Only the first byte is chosen; the rest are random. */
static const struct {
    uint8_t op; /* b0; >= ITS_CMD_NR is an MSI */
    uint8_t weight;
} diff_mix[] = {
    {ITS_CMD_NR, 53},          {ITS_CMD_MAPTI, 16},
    {ITS_CMD_MAPI, 1},         {ITS_CMD_MAPD, 1},
    {ITS_CMD_MAPC, 3},         {ITS_CMD_MOVI, 3},
    {ITS_CMD_MOVALL, 2},       {ITS_CMD_DISCARD, 3},
    {ITS_CMD_INV, 2},          {ITS_CMD_INVALL, 2},
    {ITS_CMD_INT, 4},          {ITS_CMD_CLEAR, 2},
    {ITS_CMD_SYNC, 1},         {ITS_CMD_SET_ENABLED, 2},
    {ITS_CMD_SET_LPIS, 3},     {ITS_CMD_SET_HW, 2},
};

static void diff_gen_op(uint64_t *rng, const struct its_config *cfg,
                        uint8_t *wide)
{
    uint64_t r = sim_splitmix64(rng);
    uint32_t pick = (uint32_t)(r % 100);
    uint8_t op = ITS_CMD_NR;
    uint8_t out[ITS_OP_COMPACT_BYTES];

    for (size_t i = 0; i < sizeof(diff_mix) / sizeof(diff_mix[0]); i++) {
        if (pick < diff_mix[i].weight) {
            op = diff_mix[i].op;
            break;
        }
        pick -= diff_mix[i].weight;
    }
    r = sim_splitmix64(rng);
    for (int b = 0; b < ITS_OP_COMPACT_BYTES; b++) {
        out[b] = (uint8_t)(r >> (8 * b));
    }
    /* An MSI: any of the selector values past the commands. */
    out[0] = op < ITS_CMD_NR ? op : (uint8_t)(ITS_CMD_NR + out[0] % 17);
    its_op_from_compact(out, cfg, wide);
}

struct diff_run {
    enum its_cache_kind kind;
    uint64_t seed;
    bool faults;
    char fail[512];     /* first failure, "" when none */
    uint64_t hits;
    uint64_t delivered;
    uint64_t ops;
    uint64_t live0;
    unsigned leaked;
};

static void diff_fail(struct diff_run *d, const char *fmt, ...)
{
    va_list ap;

    if (d->fail[0]) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(d->fail, sizeof(d->fail), fmt, ap);
    va_end(ap);
}

/* One simulated thread runs the whole stream (faults come from the tape). */
static void diff_thread(void *arg)
{
    struct diff_run *d = arg;
    struct its_config cfg;
    struct its_oracle *o;
    struct its *its = NULL;
    uint8_t *buf;
    size_t len;
    size_t off = 0;
    uint64_t rng = d->seed;
    char msg[256];
    struct its_stats st;

    its_config_default(&cfg);
    cfg.cache = d->kind;
    cfg.nr_vcpus = 3;
    cfg.nr_collections = 4;
    cfg.cache_size = 8; /* small, so the LRU evicts */
    len = 16 * ITS_OP_BYTES + DIFF_OPS * ITS_OP_BYTES;
    buf = malloc(len);
    o = its_oracle_create(&cfg);
    if (!buf || !o) {
        diff_fail(d, "out of memory");
        free(buf);
        its_oracle_destroy(o);
        return;
    }
    len = diff_prefix(buf, &cfg);
    for (size_t i = 0; i < DIFF_OPS; i++) {
        diff_gen_op(&rng, &cfg, buf + len);
        len += ITS_OP_BYTES;
    }
    d->live0 = sim_alloc_live();
    while (its_create(&cfg, &its) != 0) {
        /* a fault: try again */
    }
    if (d->faults) {
        sim_fault_set_prob(PLAT_FAULT_ALLOC, 0.05);
    }
    while (!d->fail[0]) {
        struct its_inject_result res;
        struct its_op op;
        size_t used = its_op_decode(buf + off, len - off, &cfg, &op);

        if (!used) {
            break;
        }
        off += used;
        d->ops++;
        if (its_oracle_step(o, its, &op, &res, msg, sizeof(msg)) != 0) {
            diff_fail(d, "op %" PRIu64 ": %s", d->ops, msg);
            break;
        }
        d->hits += res.hit;
        if (d->ops % 25 == 0 && its_check(its, msg, sizeof(msg)) != 0) {
            diff_fail(d, "op %" PRIu64 ": its_check: %s", d->ops, msg);
        }
        if (d->ops % 100 == 0 &&
            its_oracle_compare(o, its, msg, sizeof(msg)) != 0) {
            diff_fail(d, "op %" PRIu64 ": compare: %s", d->ops, msg);
        }
    }
    sim_fault_set_prob(PLAT_FAULT_ALLOC, 0);
    if (its_oracle_compare(o, its, msg, sizeof(msg)) != 0) {
        diff_fail(d, "end: compare: %s", msg);
    }
    if (its_oracle_check_cost(o, its, msg, sizeof(msg)) != 0) {
        diff_fail(d, "end: cost: %s", msg);
    }
    if (its_check(its, msg, sizeof(msg)) != 0) {
        diff_fail(d, "end: its_check: %s", msg);
    }
    its_get_stats(its, &st);
    d->delivered = st.delivered;
    d->leaked = its_destroy(its);
    its_oracle_destroy(o);
    free(buf);
}

static void its_differential_op_stream_all_variants_match_oracle(
    void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        uint64_t hits = 0;
        uint64_t delivered = 0;

        for (uint64_t seed = 1; seed <= DIFF_SEEDS; seed++) {
            struct diff_run d;
            struct sim_options so;
            struct sim_tape *tape = sim_tape_from_seed(seed);
            struct sim *s;

            memset(&d, 0, sizeof(d));
            d.kind = all_kinds[k];
            d.seed = seed * 0x9e3779b97f4a7c15ull;
            d.faults = seed % 2 == 0;
            sim_options_default(&so);
            so.ncpus = 1;
            s = sim_create(&so, tape);
            assert_non_null(s);
            sim_spawn(s, "ops", 0, diff_thread, &d);
            assert_int_equal(sim_run(s), SIM_OK);
            sim_destroy(s);
            sim_tape_destroy(tape);
            sim_fault_reset();
            if (d.fail[0]) {
                fail_msg("%s cache, seed %" PRIu64 "%s: %s",
                         its_cache_kind_name(d.kind), seed,
                         d.faults ? " (alloc faults)" : "", d.fail);
            }
            assert_int_equal(d.leaked, 0);
            assert_int_equal(sim_alloc_live(), d.live0);
            hits += d.hits;
            delivered += d.delivered;
        }
        print_message("%-8s %d seeds x %d ops: %" PRIu64 " delivered, %"
                      PRIu64 " cache hits\n",
                      its_cache_kind_name(all_kinds[k]), DIFF_SEEDS,
                      DIFF_OPS, delivered, hits);
        /* The stream must exercise the caches, or the test proves little. */
        ASSERT_GE(delivered, DIFF_SEEDS * 20);
        if (all_kinds[k] != ITS_CACHE_NONE) {
            ASSERT_GE(hits, DIFF_SEEDS * 10);
        } else {
            assert_int_equal(hits, 0);
        }
    }
}

/* ---- PCT: invalidating commands racing lookups -------------------------- */

/*
 * THE FRESHNESS RULE, as checked by pct_check_record() below.
 *
 * Number the commander's commands 1..K and let S_v be the ITS tables after
 * command v (S_0 after the setup).  T_v(d, e) is what S_v translates
 * (d, e) to: (0, LPI) when the ITS is enabled, device d is mapped, e is in
 * its ITT, the ITE exists and its collection is mapped; otherwise
 * (error, 0) with the error its_translate() would return.  The commander
 * sets `started = v` before command v and `completed = v` after it returns.
 * A lookup reads c0 = completed when it begins and s1 = started when it has
 * returned.  Let lo = the largest v <= c0 such that command v invalidates
 * the cache (0 if none): the last invalidation the lookup could have
 * observed.  Then:
 *
 *   a cache hit returning LPI X for (d, e) is correct iff
 *       T_v(d, e) = (0, X) for some v with lo <= v <= s1;
 *   a slow-path (kworker) translation with outcome R is correct iff
 *       T_v(d, e) = R for some v with c0 <= v <= s1
 *   (it reads the tables under the table lock, so it sees one state that
 *   is at least as new as every command completed before it began).
 *
 * In words: a cached translation may be older than the newest table state,
 * but never older than the last invalidating command that completed before
 * the lookup began, and never a state that never existed.  Non-invalidating
 * commands only add translations, so a cached translation they leave alone
 * stays one of the T_v.  Besides, X must be the INTID of a live LPI: an LPI
 * read after it was freed is poisoned (0x6b...) by plat_free() and fails the
 * rule, and AddressSanitizer reports the access itself.
 */

#define PCT_READERS 3
#define PCT_ITERS 3
#define PCT_NKEYS 5
#define PCT_SEEDS 400
#define PCT_MAX_CMDS 24
#define PCT_MAX_RECS (PCT_ITERS * PCT_NKEYS * 2)

static const uint32_t pct_keys[PCT_NKEYS][2] = {
    {0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2},
};

struct pct_cmd {
    struct its_cmd cmd;
    bool invalidates;
};

#define P(inv, ...) {C(__VA_ARGS__), inv}

static const struct its_cmd pct_prefix[] = {
    C(.op = ITS_CMD_SET_ENABLED, .valid = true),
    C(.op = ITS_CMD_SET_LPIS, .vcpu = 0, .valid = true),
    C(.op = ITS_CMD_SET_LPIS, .vcpu = 1, .valid = true),
    C(.op = ITS_CMD_SET_LPIS, .vcpu = 2, .valid = true),
    C(.op = ITS_CMD_SET_LPIS, .vcpu = 3, .valid = true),
    C(.op = ITS_CMD_MAPC, .icid = 0, .vcpu = 0, .valid = true),
    C(.op = ITS_CMD_MAPC, .icid = 1, .vcpu = 1, .valid = true),
    C(.op = ITS_CMD_MAPC, .icid = 2, .vcpu = 2, .valid = true),
    C(.op = ITS_CMD_MAPC, .icid = 3, .vcpu = 3, .valid = true),
    C(.op = ITS_CMD_MAPD, .devid = 0, .size = 2, .valid = true),
    C(.op = ITS_CMD_MAPD, .devid = 1, .size = 2, .valid = true),
    C(.op = ITS_CMD_MAPTI, .devid = 0, .eventid = 0, .intid = 8192,
      .icid = 0),
    C(.op = ITS_CMD_MAPTI, .devid = 0, .eventid = 1, .intid = 8193,
      .icid = 1),
    C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 0, .intid = 8194,
      .icid = 2),
    C(.op = ITS_CMD_MAPTI, .devid = 1, .eventid = 1, .intid = 8195,
      .icid = 3),
};

/* Every invalidating command at least once, between changes that create
 * new translations (and reuse INTIDs of freed LPIs). */
static const struct pct_cmd pct_script[] = {
    P(true, .op = ITS_CMD_DISCARD, .devid = 0, .eventid = 0),
    P(false, .op = ITS_CMD_MAPTI, .devid = 0, .eventid = 0, .intid = 8196,
      .icid = 1),
    P(true, .op = ITS_CMD_MOVI, .devid = 0, .eventid = 1, .icid = 2),
    P(true, .op = ITS_CMD_MAPD, .devid = 1, .size = 2, .valid = true),
    P(false, .op = ITS_CMD_MAPTI, .devid = 1, .eventid = 0, .intid = 8194,
      .icid = 0),
    P(false, .op = ITS_CMD_MAPTI, .devid = 1, .eventid = 2, .intid = 8193,
      .icid = 3),
    P(true, .op = ITS_CMD_MAPC, .icid = 2, .valid = false),
    P(true, .op = ITS_CMD_SET_HW, .devid = 1, .eventid = 2, .valid = true),
    P(true, .op = ITS_CMD_SET_ENABLED, .valid = false),
    P(false, .op = ITS_CMD_SET_ENABLED, .valid = true),
    P(true, .op = ITS_CMD_MOVALL, .vcpu = 0, .vcpu2 = 3),
    P(true, .op = ITS_CMD_SET_LPIS, .vcpu = 3, .valid = false),
    P(false, .op = ITS_CMD_SET_LPIS, .vcpu = 3, .valid = true),
    P(false, .op = ITS_CMD_MAPC, .icid = 2, .vcpu = 1, .valid = true),
    P(false, .op = ITS_CMD_MAPTI, .devid = 1, .eventid = 1, .intid = 8197,
      .icid = 2),
    P(false, .op = ITS_CMD_SET_HW, .devid = 1, .eventid = 2,
      .valid = false),
    P(true, .op = ITS_CMD_DISCARD, .devid = 1, .eventid = 0),
    P(true, .op = ITS_CMD_MAPD, .devid = 0, .valid = false),
    P(false, .op = ITS_CMD_MAPD, .devid = 0, .size = 1, .valid = true),
    P(false, .op = ITS_CMD_MAPTI, .devid = 0, .eventid = 1, .intid = 8196,
      .icid = 0),
};

#define PCT_NCMDS (sizeof(pct_script) / sizeof(pct_script[0]))

struct pct_rec {
    uint8_t key;
    bool hit;
    int rc;         /* translation outcome: 0 when an LPI was found */
    uint32_t intid;
    uint32_t c0;
    uint32_t s1;
};

static struct {
    struct its *its;
    uint32_t started;
    uint32_t completed;
    int cmd_rc[PCT_MAX_CMDS];
    struct pct_rec rec[PCT_READERS][PCT_MAX_RECS];
    uint32_t nrec[PCT_READERS];
    /* T_v for v = 0..K, from the oracle */
    int want_rc[PCT_MAX_CMDS + 1][PCT_NKEYS];
    uint32_t want_id[PCT_MAX_CMDS + 1][PCT_NKEYS];
} pct;

static void pct_commander(void *arg)
{
    (void)arg;
    for (uint32_t v = 1; v <= PCT_NCMDS; v++) {
        pct.started = v;
        pct.cmd_rc[v - 1] = its_cmd_exec(pct.its, &pct_script[v - 1].cmd);
        pct.completed = v;
        plat_yield();
    }
}

static void pct_reader(void *arg)
{
    uint32_t r = (uint32_t)(uintptr_t)arg;
    const struct its_config *cfg = its_get_config(pct.its);

    for (uint32_t it = 0; it < PCT_ITERS; it++) {
        for (uint32_t j = 0; j < PCT_NKEYS; j++) {
            uint32_t k = (j + r) % PCT_NKEYS;
            struct its_msi m = {cfg->doorbell, pct_keys[k][0],
                                pct_keys[k][1]};
            struct its_inject_result res;
            struct pct_rec *rec;
            uint32_t c0 = pct.completed;
            int rc = its_inject_fast(pct.its, ITS_CPU_SELF, &m, &res);

            if (rc == -EWOULDBLOCK) {
                rc = its_inject_slow(pct.its, &m, &res);
            }
            if (pct.nrec[r] >= PCT_MAX_RECS) {
                continue;
            }
            rec = &pct.rec[r][pct.nrec[r]++];
            rec->key = (uint8_t)k;
            rec->hit = res.hit;
            /* The translation outcome: an LPI, or why not. */
            rec->rc = res.intid ? 0 : rc;
            rec->intid = res.intid;
            rec->c0 = c0;
            rec->s1 = pct.started;
        }
    }
}

/* The expected translations T_v of every key for v = 0..K. */
static void pct_expectations(const struct its_config *cfg)
{
    struct its_oracle *o = its_oracle_create(cfg);

    assert_non_null(o);
    ASSERT_LE(PCT_NCMDS, PCT_MAX_CMDS);
    for (size_t i = 0; i < sizeof(pct_prefix) / sizeof(pct_prefix[0]);
         i++) {
        assert_int_equal(its_oracle_cmd(o, &pct_prefix[i], NULL), 0);
    }
    for (uint32_t v = 0; v <= PCT_NCMDS; v++) {
        if (v > 0) {
            assert_int_equal(its_oracle_cmd(o, &pct_script[v - 1].cmd,
                                            NULL), 0);
        }
        for (uint32_t k = 0; k < PCT_NKEYS; k++) {
            struct its_msi m = {cfg->doorbell, pct_keys[k][0],
                                pct_keys[k][1]};
            uint32_t id = 0;

            pct.want_rc[v][k] = its_oracle_translate(o, &m, &id);
            pct.want_id[v][k] = id;
        }
    }
    its_oracle_destroy(o);
}

/* The rule above, for one record.  Returns true when it holds. */
static bool pct_check_record(const struct pct_rec *rec)
{
    uint32_t lo = 0;

    if (rec->hit) {
        for (uint32_t v = 1; v <= rec->c0; v++) {
            if (pct_script[v - 1].invalidates) {
                lo = v;
            }
        }
    } else {
        lo = rec->c0;
    }
    for (uint32_t v = lo; v <= rec->s1; v++) {
        if (pct.want_rc[v][rec->key] == rec->rc &&
            pct.want_id[v][rec->key] == rec->intid) {
            return true;
        }
    }
    return false;
}

/* About the scheduling steps one run takes with each variant (printed by
 * the test), so PCT's change points fall across the whole run. */
static const uint64_t pct_steps_of[ITS_CACHE_NR] = {
    [ITS_CACHE_NONE] = 500,
    [ITS_CACHE_GLOBAL] = 700,
    [ITS_CACHE_SHARDED] = 1200,
    [ITS_CACHE_LOCKLESS] = 2300,
};

struct pct_totals {
    uint64_t hits;
    uint64_t slow;
    uint64_t stale_ok; /* hits older than the newest state: allowed */
    uint64_t steps;
};

static void pct_run_one(enum its_cache_kind kind, uint64_t seed,
                        struct pct_totals *tot)
{
    struct its_config cfg;
    struct sim_options so;
    struct sim_tape *tape;
    struct sim *s;
    enum sim_result r;
    uint64_t live = sim_alloc_live();
    char msg[256];

    its_config_default(&cfg);
    cfg.cache = kind;
    cfg.nr_vcpus = 4;
    cfg.nr_collections = 4;
    if (seed == 1) {
        pct_expectations(&cfg);
    }
    memset(pct.rec, 0, sizeof(pct.rec));
    memset(pct.nrec, 0, sizeof(pct.nrec));
    pct.started = 0;
    pct.completed = 0;
    assert_int_equal(its_create(&cfg, &pct.its), 0);
    for (size_t i = 0; i < sizeof(pct_prefix) / sizeof(pct_prefix[0]);
         i++) {
        assert_int_equal(its_cmd_exec(pct.its, &pct_prefix[i]), 0);
    }
    tape = sim_tape_from_seed(seed);
    sim_options_default(&so);
    so.ncpus = 4;
    so.strategy = SIM_STRATEGY_PCT;
    so.pct_depth = 3;
    so.pct_steps = pct_steps_of[kind];
    s = sim_create(&so, tape);
    assert_non_null(s);
    sim_spawn(s, "commander", 0, pct_commander, NULL);
    for (uintptr_t i = 0; i < PCT_READERS; i++) {
        sim_spawn(s, "reader", (unsigned)(1 + i), pct_reader, (void *)i);
    }
    r = sim_run(s);
    tot->steps += sim_steps(s);
    sim_destroy(s);
    sim_tape_destroy(tape);
    if (r != SIM_OK) {
        fail_msg("%s seed %" PRIu64 ": run ended %s", its_cache_kind_name(kind),
                 seed, sim_result_name(r));
    }
    for (uint32_t v = 0; v < PCT_NCMDS; v++) {
        if (pct.cmd_rc[v] != 0) {
            fail_msg("%s seed %" PRIu64 ": command %u (%s) returned %d",
                     its_cache_kind_name(kind), seed, v + 1,
                     its_cmd_name(pct_script[v].cmd.op), pct.cmd_rc[v]);
        }
    }
    for (uint32_t rd = 0; rd < PCT_READERS; rd++) {
        for (uint32_t i = 0; i < pct.nrec[rd]; i++) {
            const struct pct_rec *rec = &pct.rec[rd][i];

            if (!pct_check_record(rec)) {
                fail_msg("%s seed %" PRIu64 ": reader %u got (%u, %u) -> "
                         "rc %d LPI %u (%s) with completed=%u started=%u; "
                         "see the freshness rule",
                         its_cache_kind_name(kind), seed, rd,
                         pct_keys[rec->key][0], pct_keys[rec->key][1],
                         rec->rc, rec->intid, rec->hit ? "hit" : "slow",
                         rec->c0, rec->s1);
            }
            tot->hits += rec->hit;
            tot->slow += !rec->hit;
            if (rec->hit && (pct.want_rc[rec->s1][rec->key] != 0 ||
                             pct.want_id[rec->s1][rec->key] != rec->intid)) {
                tot->stale_ok++;
            }
        }
    }
    if (its_check(pct.its, msg, sizeof(msg)) != 0) {
        fail_msg("%s seed %" PRIu64 ": its_check: %s",
                 its_cache_kind_name(kind), seed, msg);
    }
    assert_int_equal(its_destroy(pct.its), 0);
    assert_int_equal(sim_alloc_live(), live);
}

static void its_pct_invalidating_commands_race_lookups_freshness(
    void **state)
{
    (void)state;
    for (unsigned k = 0; k < ITS_CACHE_NR; k++) {
        struct pct_totals tot = {0};

        for (uint64_t seed = 1; seed <= PCT_SEEDS; seed++) {
            pct_run_one(all_kinds[k], seed, &tot);
        }
        print_message("%-8s PCT %d seeds: %" PRIu64 " hits (%" PRIu64
                      " older than the newest state), %" PRIu64
                      " slow, %" PRIu64 " steps/run\n",
                      its_cache_kind_name(all_kinds[k]), PCT_SEEDS,
                      tot.hits, tot.stale_ok, tot.slow,
                      tot.steps / PCT_SEEDS);
        if (all_kinds[k] != ITS_CACHE_NONE) {
            ASSERT_GT(tot.hits, 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(its_cache_kind_names_round_trip),
        cmocka_unit_test(its_create_rejects_bad_config),
        cmocka_unit_test_setup_teardown(
            its_create_nth_alloc_failure_leaks_nothing, reset_faults,
            reset_faults),
        cmocka_unit_test(its_cmd_effects_on_tables_and_cache_all_variants),
        cmocka_unit_test(its_discard_invalidates_cache_entry),
        cmocka_unit_test(its_inv_keeps_cache_entry),
        cmocka_unit_test(its_mapd_existing_device_invalidates),
        cmocka_unit_test(its_slow_path_skips_insert_when_lpis_disabled),
        cmocka_unit_test(its_slow_path_skips_insert_when_its_disabled),
        cmocka_unit_test(its_cache_never_holds_hw_lpi),
        cmocka_unit_test(its_inject_fast_miss_then_hit),
        cmocka_unit_test(its_mapc_remap_retargets_cached_lpi),
        cmocka_unit_test(its_lpi_refcount_is_ites_plus_cache_entries),
        cmocka_unit_test(its_refcounts_return_to_zero_at_teardown),
        cmocka_unit_test_setup_teardown(
            its_mapti_nth_alloc_failure_changes_nothing, reset_faults,
            reset_faults),
        cmocka_unit_test_setup_teardown(
            its_cache_lockless_insert_nomem_still_delivers, reset_faults,
            reset_faults),
        cmocka_unit_test(its_cache_lockless_frees_after_grace_period),
        cmocka_unit_test(
            its_cache_lockless_lookup_refuses_lpi_whose_count_hit_zero),
        cmocka_unit_test(
            its_check_and_destroy_report_an_unreleased_reference),
        cmocka_unit_test(
            its_inject_null_result_bad_ids_and_null_destroy),
        cmocka_unit_test(
            its_inject_slow_reclaims_after_batch_of_evictions),
        cmocka_unit_test(its_cache_global_hit_moves_to_head),
        cmocka_unit_test(
            its_cache_lookup_two_cpus_line_transfers_global_76_sharded_0),
        cmocka_unit_test(its_cache_global_insert_reuses_tail),
        cmocka_unit_test(its_cache_sharded_hit_moves_to_head_only_past_32),
        cmocka_unit_test(its_cache_sharded_insert_goes_into_every_shard),
        cmocka_unit_test(its_cache_lockless_full_set_replaces_round_robin),
        cmocka_unit_test_setup_teardown(
            its_differential_op_stream_all_variants_match_oracle,
            reset_faults, reset_faults),
        cmocka_unit_test(
            its_pct_invalidating_commands_race_lookups_freshness),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
