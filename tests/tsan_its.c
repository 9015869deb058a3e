/*
 * tests/tsan_its.c - the ITS and its translation caches (core/its.c,
 * core/its_cache.c) under real threads on the host backend, for
 * ThreadSanitizer (label tsan, tsan build): for every cache variant, three
 * injector threads run the fast path (and the slow path on a miss, which
 * inserts) while a commander cycles through every invalidating command and
 * the commands that rebuild what they removed.  Afterwards the invariants
 * of its_check() must hold, every LPI must have been freed at teardown and
 * the caching variants must have served hits.
 *
 * Bounded by a round count, not by time: a few hundred milliseconds per
 * variant under TSan on a laptop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/its.h"
#include "core/its_cache.h"
#include "core/platform.h"
#include "tests/lib.h"

#define NINJECTORS 3
#define ROUNDS 200
#define NDEVS 4
#define NEVENTS 4
#define NVCPUS 4

struct stress {
    struct its *its;
    plat_atomic64 stop;
    plat_atomic64 injections; /* completed, in whole passes */
    plat_atomic64 hits;       /* injections served from the cache */
    plat_atomic64 unexpected; /* return codes outside the expected set */
    int cmd_failures;         /* commander only */
};

static uint32_t lpi_of(uint32_t dev, uint32_t ev, uint32_t gen)
{
    return ITS_LPI_BASE + (gen % 2) * 64 + dev * NEVENTS + ev;
}

static int run_cmd(struct its *its, struct its_cmd c)
{
    return its_cmd_exec(its, &c);
}

#define CMD(its, ...) run_cmd((its), (struct its_cmd){__VA_ARGS__})

/* Map every event of dev into collection (dev + ev) % NVCPUS. */
static int map_device(struct its *its, uint32_t dev, uint32_t gen)
{
    int rc = CMD(its, .op = ITS_CMD_MAPD, .devid = dev, .size = 3,
                 .valid = true);

    for (uint32_t ev = 0; ev < NEVENTS && rc == 0; ev++) {
        rc = CMD(its, .op = ITS_CMD_MAPTI, .devid = dev, .eventid = ev,
                 .intid = lpi_of(dev, ev, gen), .icid = (dev + ev) % NVCPUS);
    }
    return rc;
}

static void injector(void *arg)
{
    struct stress *st = arg;
    const struct its_config *cfg = its_get_config(st->its);
    uint64_t n = 0;

    while (!plat_atomic_load(&st->stop)) {
        for (uint32_t dev = 0; dev < NDEVS; dev++) {
            for (uint32_t ev = 0; ev < NEVENTS; ev++) {
                struct its_msi m = {cfg->doorbell, dev, ev};
                struct its_inject_result res;
                int rc = its_inject_fast(st->its, ITS_CPU_SELF, &m, &res);

                if (rc == -EWOULDBLOCK) {
                    rc = its_inject_slow(st->its, &m, &res);
                }
                /* Anything a racing command can cause is fine; a wrong
                 * doorbell or a bad argument is not. */
                if (rc != 0 && rc != -EBUSY && rc != -ENODEV &&
                    rc != -ENOENT && rc != -ENXIO && rc != -ERANGE) {
                    plat_atomic_fetch_add(&st->unexpected, 1);
                }
                if (res.hit) {
                    n++;
                }
            }
        }
        /* Progress, so the commander can keep its rounds interleaved. */
        plat_atomic_fetch_add(&st->injections, NDEVS * NEVENTS);
        plat_atomic_fetch_add(&st->hits, n);
        n = 0;
        /* Leave the commander some CPU on small machines. */
        plat_yield();
    }
}

/* One round: every invalidating command, each followed by whatever makes
 * the tables whole again, plus the commands that must not invalidate. */
static void commander_round(struct stress *st, uint32_t r)
{
    struct its *its = st->its;
    uint32_t d = r % NDEVS;
    uint32_t e = r % NEVENTS;
    int bad = 0;

    /* DISCARD, then map the event again (alternating LPI numbers). */
    bad |= CMD(its, .op = ITS_CMD_DISCARD, .devid = d, .eventid = e);
    bad |= CMD(its, .op = ITS_CMD_MAPTI, .devid = d, .eventid = e,
               .intid = lpi_of(d, e, r + 1), .icid = (d + e) % NVCPUS);
    /* MOVI to another collection and back. */
    bad |= CMD(its, .op = ITS_CMD_MOVI, .devid = d, .eventid = e,
               .icid = (d + e + 1) % NVCPUS);
    bad |= CMD(its, .op = ITS_CMD_MOVI, .devid = d, .eventid = e,
               .icid = (d + e) % NVCPUS);
    /* MAPD of an existing device (drops its ITEs), then rebuild it. */
    bad |= map_device(its, (d + 1) % NDEVS, r);
    /* MAPC V=0 orphans the collection's ITEs: remap, rebuild devices. */
    bad |= CMD(its, .op = ITS_CMD_MAPC, .icid = 3, .valid = false);
    bad |= CMD(its, .op = ITS_CMD_MAPC, .icid = 3, .vcpu = 3, .valid = true);
    for (uint32_t dev = 0; dev < NDEVS; dev++) {
        bad |= map_device(its, dev, r);
    }
    /* MOVALL there and back. */
    bad |= CMD(its, .op = ITS_CMD_MOVALL, .vcpu = 1, .vcpu2 = 2);
    bad |= CMD(its, .op = ITS_CMD_MOVALL, .vcpu = 2, .vcpu2 = 1);
    /* ITS enable and a redistributor's LPI enable off and on. */
    bad |= CMD(its, .op = ITS_CMD_SET_ENABLED, .valid = false);
    bad |= CMD(its, .op = ITS_CMD_SET_ENABLED, .valid = true);
    bad |= CMD(its, .op = ITS_CMD_SET_LPIS, .vcpu = r % NVCPUS,
               .valid = false);
    bad |= CMD(its, .op = ITS_CMD_SET_LPIS, .vcpu = r % NVCPUS,
               .valid = true);
    /* Forward an LPI to hardware and back. */
    bad |= CMD(its, .op = ITS_CMD_SET_HW, .devid = d, .eventid = 1,
               .valid = true);
    bad |= CMD(its, .op = ITS_CMD_SET_HW, .devid = d, .eventid = 1,
               .valid = false);
    /* Commands that leave the cache alone. */
    bad |= CMD(its, .op = ITS_CMD_INV, .devid = d, .eventid = e);
    bad |= CMD(its, .op = ITS_CMD_INVALL, .icid = 0);
    bad |= CMD(its, .op = ITS_CMD_CLEAR, .devid = d, .eventid = e);
    bad |= CMD(its, .op = ITS_CMD_SYNC, .vcpu = 0);
    bad |= CMD(its, .op = ITS_CMD_MAPC, .icid = 2, .vcpu = 2, .valid = true);
    (void)CMD(its, .op = ITS_CMD_INT, .devid = d, .eventid = 2);
    if (bad) {
        st->cmd_failures++;
    }
}

static void stress_variant(enum its_cache_kind kind)
{
    struct its_config cfg;
    struct plat_thread *t[NINJECTORS];
    struct stress st = {0};
    struct its_stats stats;
    char msg[256];

    its_config_default(&cfg);
    cfg.cache = kind;
    cfg.nr_vcpus = NVCPUS;
    cfg.nr_collections = NVCPUS;
    assert_int_equal(its_create(&cfg, &st.its), 0);
    assert_int_equal(CMD(st.its, .op = ITS_CMD_SET_ENABLED, .valid = true),
                     0);
    for (uint32_t v = 0; v < NVCPUS; v++) {
        assert_int_equal(CMD(st.its, .op = ITS_CMD_SET_LPIS, .vcpu = v,
                             .valid = true), 0);
        assert_int_equal(CMD(st.its, .op = ITS_CMD_MAPC, .icid = v,
                             .vcpu = v, .valid = true), 0);
    }
    for (uint32_t dev = 0; dev < NDEVS; dev++) {
        assert_int_equal(map_device(st.its, dev, 0), 0);
    }
    for (int i = 0; i < NINJECTORS; i++) {
        assert_int_equal(plat_thread_create(&t[i], "injector", injector,
                                            &st), 0);
    }
    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint64_t seen = plat_atomic_load(&st.injections);

        /* Every round races at least one full pass of some injector. */
        while (plat_atomic_load(&st.injections) <
               seen + 2 * NDEVS * NEVENTS) {
            plat_yield();
        }
        commander_round(&st, r);
    }
    plat_atomic_store(&st.stop, 1);
    for (int i = 0; i < NINJECTORS; i++) {
        plat_thread_join(t[i]);
    }
    its_reclaim(st.its);
    if (its_check(st.its, msg, sizeof(msg)) != 0) {
        fail_msg("%s: its_check: %s", its_cache_kind_name(kind), msg);
    }
    its_get_stats(st.its, &stats);
    print_message("%-8s %6llu injections, %6llu hits, %5llu commands, "
                  "%4llu invalidations, %5llu LPIs freed\n",
                  its_cache_kind_name(kind),
                  (unsigned long long)plat_atomic_load(&st.injections),
                  (unsigned long long)plat_atomic_load(&st.hits),
                  (unsigned long long)stats.commands,
                  (unsigned long long)stats.invalidations,
                  (unsigned long long)stats.lpis_freed);
    assert_int_equal(st.cmd_failures, 0);
    assert_int_equal(plat_atomic_load(&st.unexpected), 0);
    ASSERT_GT(plat_atomic_load(&st.injections), 0);
    if (kind != ITS_CACHE_NONE) {
        ASSERT_GT(plat_atomic_load(&st.hits), 0);
    }
    assert_int_equal(its_destroy(st.its), 0);
}

static void its_stress_none(void **state)
{
    (void)state;
    stress_variant(ITS_CACHE_NONE);
}

static void its_stress_global(void **state)
{
    (void)state;
    stress_variant(ITS_CACHE_GLOBAL);
}

static void its_stress_sharded(void **state)
{
    (void)state;
    stress_variant(ITS_CACHE_SHARDED);
}

static void its_stress_lockless(void **state)
{
    (void)state;
    stress_variant(ITS_CACHE_LOCKLESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(its_stress_none),
        cmocka_unit_test(its_stress_global),
        cmocka_unit_test(its_stress_sharded),
        cmocka_unit_test(its_stress_lockless),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
