/*
 * tests/tsan_iobus.c - the I/O bus core under real threads (host backend,
 * label tsan): vCPU-like readers dispatch writes and reads through the
 * buses while one updater registers and unregisters devices, assigns and
 * deassigns ioeventfds, adds and removes coalesced zones and switches the
 * lookup variant, and a userspace thread drains the coalesced ring and the
 * eventfds; once with synchronous frees, once with registrations deferring
 * the free of the old bus to the host's plat_call_rcu() thread.
 *
 * What it relies on ThreadSanitizer for: a device freed by its owner after
 * a successful unregister, or a snapshot freed by the updater, while a
 * reader can still reach it is a race between free and the reader's
 * access; so is any unsynchronised field of a snapshot or of the ring.
 * What it checks itself: no reader ever runs a device marked dead, every
 * access is counted exactly once, every device is freed exactly once.
 * Bounded by a fixed number of updates (well under a second under TSan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/coalesced_mmio.h"
#include "core/iobus.h"
#include "core/iodev_fixed.h"
#include "core/ioeventfd.h"
#include "core/platform.h"
#include "tests/lib.h"

#define NREADERS 3
#define NSLOTS 16      /* generic devices alive at a time, one per slot */
#define NEFDS 4
#define UPDATES 4000   /* updater iterations */
#define DEV_LIVE 0x4c495645u
#define DEV_DEAD 0x44454144u

struct sdev {
    struct iobus_dev dev;
    _Atomic uint32_t magic;
    _Atomic uint64_t calls;
};

struct stress {
    struct iobus_set set;
    struct ioeventfd_set efds;
    struct coalesced_mmio_set cmmio;
    struct plat_eventfd efd[NEFDS];
    struct sdev *slot[NSLOTS]; /* updater only */
    plat_atomic64 stop;
    _Atomic uint64_t dead_calls;   /* a reader ran a dead device */
    _Atomic uint64_t accesses;
    _Atomic uint64_t handled;
    _Atomic uint64_t allocated;
    _Atomic uint64_t freed;
    _Atomic uint64_t popped;
};

static struct stress st;

static uint64_t slot_addr(unsigned i)
{
    return 0x10000 + (uint64_t)i * 0x10;
}

static int sdev_call(struct iobus_dev *d)
{
    struct sdev *s = (struct sdev *)(void *)d;

    if (atomic_load(&s->magic) != DEV_LIVE) {
        atomic_fetch_add(&st.dead_calls, 1);
        return -EOPNOTSUPP;
    }
    atomic_fetch_add(&s->calls, 1);
    return 0;
}

static int sdev_write(struct iobus_dev *d, uint64_t addr, unsigned alen,
                      const void *data)
{
    (void)addr;
    (void)alen;
    (void)data;
    return sdev_call(d);
}

static int sdev_read(struct iobus_dev *d, uint64_t addr, unsigned alen,
                     void *data)
{
    (void)addr;
    memset(data, 0x5a, alen);
    return sdev_call(d);
}

static void sdev_free(struct sdev *s)
{
    atomic_store(&s->magic, DEV_DEAD);
    atomic_fetch_add(&st.freed, 1);
    free(s);
}

/* Teardown: the bus lets go of the devices still registered. */
static void sdev_destroy(struct iobus_dev *d)
{
    sdev_free((struct sdev *)(void *)d);
}

static const struct iobus_dev_ops sdev_ops = {
    .read = sdev_read,
    .write = sdev_write,
    .destructor = sdev_destroy,
};

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A vCPU: accesses to the generic slots, the ioeventfd port, the zone and
 * the fixed devices, until told to stop. */
static void reader(void *arg)
{
    uint64_t s = 0x9e3779b97f4a7c15ull * (1 + (uintptr_t)arg % 7);

    while (!plat_atomic_load(&st.stop)) {
        uint64_t r = xorshift(&s);
        uint64_t v = r >> 8;
        struct iobus_hit hit;
        int rc;

        switch (r % 5) {
        case 0:
        case 1:
            rc = iobus_write(&st.set, IOBUS_MMIO,
                             slot_addr((unsigned)(v % NSLOTS)), 4, &v, &hit);
            break;
        case 2:
            rc = iobus_read(&st.set, IOBUS_MMIO,
                            slot_addr((unsigned)(v % NSLOTS)), 2, &v, &hit);
            break;
        case 3:
            /* ioeventfds on PIO 0xc050, datamatch 0..NEFDS-1 */
            v %= NEFDS + 1;
            rc = iobus_write(&st.set, IOBUS_PIO, 0xc050, 1, &v, &hit);
            break;
        default:
            rc = r & 0x100 ? iobus_write(&st.set, IOBUS_MMIO, 0x20000, 4,
                                         &v, &hit)
                           : iobus_write(&st.set, IOBUS_PIO, 0x20, 1, &v,
                                         &hit);
            break;
        }
        atomic_fetch_add(&st.accesses, 1);
        atomic_fetch_add(&st.handled, rc == 0);
    }
}

/* Userspace: drain the coalesced ring and the eventfds. */
static void userspace(void *arg)
{
    (void)arg;
    while (!plat_atomic_load(&st.stop)) {
        struct coalesced_mmio_entry e;

        while (coalesced_mmio_ring_pop(coalesced_mmio_ring(&st.cmmio),
                                       &e) == 0) {
            atomic_fetch_add(&st.popped, 1);
        }
        for (unsigned i = 0; i < NEFDS; i++) {
            plat_eventfd_test_and_clear(&st.efd[i]);
        }
        plat_yield();
    }
}

static struct sdev *sdev_new(uint64_t tag)
{
    struct sdev *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    iobus_dev_init(&s->dev, &sdev_ops, tag, 0);
    atomic_store(&s->magic, DEV_LIVE);
    atomic_fetch_add(&st.allocated, 1);
    return s;
}

static void update(uint64_t k, uint64_t *rs)
{
    uint64_t r = xorshift(rs);
    unsigned i = (unsigned)(r % NSLOTS);

    switch ((r >> 8) % 4) {
    case 0:
    case 1:
        /* Replace the device in slot i. */
        if (st.slot[i]) {
            assert_int_equal(iobus_unregister(&st.set, IOBUS_MMIO,
                                              &st.slot[i]->dev), 0);
            /* Ours again: nobody can reach it any more. */
            sdev_free(st.slot[i]);
            st.slot[i] = NULL;
        }
        if ((r >> 16) & 1) {
            st.slot[i] = sdev_new(k);
            assert_int_equal(iobus_register(&st.set, IOBUS_MMIO,
                                            slot_addr(i), 8,
                                            &st.slot[i]->dev), 0);
        }
        break;
    case 2: {
        struct ioeventfd_args a = {
            .addr = 0xc050,
            .len = 1,
            .flags = IOEVENTFD_F_PIO | IOEVENTFD_F_DATAMATCH,
            .datamatch = i % NEFDS,
            .eventfd = &st.efd[i % NEFDS],
            .tag = 0xe000 + i % NEFDS,
        };
        int rc = ioeventfd_assign(&st.efds, &a);

        if (rc == -EEXIST) {
            assert_int_equal(ioeventfd_deassign(&st.efds, &a), 0);
        } else {
            assert_int_equal(rc, 0);
        }
        break;
    }
    default: {
        struct coalesced_mmio_zone z = {
            .addr = 0x20000, .size = 0x100, .pio = 0, .tag = 0xc000,
        };

        if (coalesced_mmio_nr_zones(&st.cmmio) == 0) {
            assert_int_equal(coalesced_mmio_register_zone(&st.cmmio, &z), 0);
        } else {
            assert_int_equal(coalesced_mmio_unregister_zone(&st.cmmio, &z),
                             0);
        }
        assert_int_equal(iobus_set_lookup(&st.set, (enum iobus_lookup)(
                                              (r >> 24) % IOBUS_LOOKUP_NR)),
                         0);
        break;
    }
    }
}

static void race(enum iobus_free mode)
{
    struct plat_thread *t[NREADERS + 1];
    uint64_t rs = 88172645463325252ull;

    memset(&st, 0, sizeof(st));
    iobus_set_init(&st.set, IOBUS_LOOKUP_BSEARCH);
    assert_int_equal(iobus_set_free_mode(&st.set, mode), 0);
    ioeventfd_set_init(&st.efds, &st.set);
    coalesced_mmio_init(&st.cmmio, &st.set);
    for (unsigned i = 0; i < NEFDS; i++) {
        plat_eventfd_init(&st.efd[i], "ioeventfd");
    }
    assert_int_equal(iodev_fixed_register_all(&st.set, 0x100, NULL), 0);
    for (uintptr_t i = 0; i < NREADERS; i++) {
        assert_int_equal(plat_thread_create(&t[i], "reader", reader,
                                            (void *)i), 0);
    }
    assert_int_equal(plat_thread_create(&t[NREADERS], "userspace",
                                        userspace, NULL), 0);
    /* On a loaded machine the readers may not be scheduled before the
     * updates are over: let them start first (bounded). */
    for (unsigned y = 0; y < 10000000 && atomic_load(&st.accesses) == 0;
         y++) {
        plat_yield();
    }
    for (uint64_t k = 0; k < UPDATES; k++) {
        update(k, &rs);
    }
    plat_atomic_store(&st.stop, 1);
    for (unsigned i = 0; i <= NREADERS; i++) {
        plat_thread_join(t[i]);
    }

    ioeventfd_set_fini(&st.efds);
    coalesced_mmio_fini(&st.cmmio);
    iobus_set_destroy(&st.set);
    for (unsigned i = 0; i < NEFDS; i++) {
        plat_eventfd_destroy(&st.efd[i]);
    }
    print_message("%llu accesses, %llu handled, %llu ring entries drained, "
                  "%llu devices\n",
                  (unsigned long long)atomic_load(&st.accesses),
                  (unsigned long long)atomic_load(&st.handled),
                  (unsigned long long)atomic_load(&st.popped),
                  (unsigned long long)atomic_load(&st.allocated));
    assert_int_equal(atomic_load(&st.dead_calls), 0);
    ASSERT_GT(atomic_load(&st.accesses), 0);
    ASSERT_GT(atomic_load(&st.handled), 0);
    assert_int_equal(atomic_load(&st.freed), atomic_load(&st.allocated));
}

static void iobus_readers_race_updater_without_reaching_freed_devices(
    void **state)
{
    (void)state;
    race(IOBUS_FREE_SYNC);
}

/* The same with registrations handing the old bus to plat_call_rcu():
 * the host's callback thread frees it while readers run. */
static void iobus_readers_race_deferred_frees_without_reaching_freed_buses(
    void **state)
{
    (void)state;
    race(IOBUS_FREE_DEFERRED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            iobus_readers_race_updater_without_reaching_freed_devices),
        cmocka_unit_test(
            iobus_readers_race_deferred_frees_without_reaching_freed_buses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
