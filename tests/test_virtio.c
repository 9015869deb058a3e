/*
 * tests/test_virtio.c - core/virtio_pci and core/virtqueue (seed 001):
 * each start/stop transition, the notify addresses, register decoding, the
 * nth-call fault loop over KVM_IOEVENTFD assigns, migration state, the
 * split ring's guest-input checks; then the simulated world: a short PCT
 * exploration of kicks racing stop/start, the fault loop on the world,
 * random opcode streams of the fuzz harness, and the two scenarios; last
 * the world's checker (model/virtio/virtio_check.h) fed events by hand.
 *
 * The proxy tests use a rig outside a simulated run: a fake event loop
 * that records handlers and runs them when told, a fake device that takes
 * every request and records the state it was called in, and KVM's
 * dispatch through sim_kvm_vcpu_io.  The longer exploration (10,000 seeds)
 * is tests/test_virtio_race.c.
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

#include "core/virtio_pci.h"
#include "core/virtqueue.h"
#include "model/virtio/virtio_fuzz.h"
#include "scenarios/tool/runner.h"
#include "scenarios/virtio/virtio_world.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/tape.h"
#include "tests/lib.h"

#define NQ 2
#define QSIZE 8
#define LEGACY_BASE 0xc000ull
#define NOTIFY_BASE 0xfe001000ull
#define MEM_SIZE (1024 * 1024)
#define BUF_GPA 0x80000ull

/* ---- rig ---- */

struct fake_handler {
    struct plat_eventfd *e;
    virtio_pci_handler_fn *fn;
    void *opaque;
};

struct fake_loop {
    struct fake_handler h[VIRTIO_PCI_QUEUE_MAX];
    unsigned installs, removals;
};

struct fake_dev {
    struct virtio_pci *p;
    struct plat_kvm *kvm;
    unsigned handled[NQ];
    unsigned taken[NQ];
    unsigned resets;
    bool running;
    unsigned taken_disabled;      /* taken while the proxy may not */
    int assigned_at_stop;         /* KVM ioeventfds at set_running(false) */
    int assigned_at_resume;       /* ... and at set_running(true) */
    uint8_t status_seen;          /* proxy status at the last take */
};

struct rig {
    struct plat_kvm *kvm;
    struct plat_lock lock;
    struct virtio_mem mem;
    struct virtio_pci p;
    struct fake_loop loop, grab;
    struct virtio_pci_loop grab_ops;
    struct fake_dev dev;
    uint16_t avail_idx[NQ];
};

static void fake_set_handler(void *opaque, struct plat_eventfd *e,
                             virtio_pci_handler_fn *fn, void *arg)
{
    struct fake_loop *l = opaque;

    for (unsigned i = 0; i < VIRTIO_PCI_QUEUE_MAX; i++) {
        if (l->h[i].e == e) {
            assert_null(fn); /* installed twice without removal */
            l->h[i] = (struct fake_handler){0};
            l->removals++;
            return;
        }
    }
    assert_non_null(fn); /* removal of a handler never installed */
    for (unsigned i = 0; i < VIRTIO_PCI_QUEUE_MAX; i++) {
        if (!l->h[i].e) {
            l->h[i] = (struct fake_handler){e, fn, arg};
            l->installs++;
            return;
        }
    }
    fail_msg("fake loop full");
}

static unsigned fake_count(const struct fake_loop *l)
{
    unsigned n = 0;

    for (unsigned i = 0; i < VIRTIO_PCI_QUEUE_MAX; i++) {
        n += l->h[i].e != NULL;
    }
    return n;
}

/* One poll of the loop: every installed handler is called (the handler
 * tests its eventfd itself). */
static void fake_run(struct rig *r, struct fake_loop *l)
{
    plat_lock(&r->lock);
    for (unsigned i = 0; i < VIRTIO_PCI_QUEUE_MAX; i++) {
        if (l->h[i].e) {
            l->h[i].fn(l->h[i].opaque);
        }
    }
    plat_unlock(&r->lock);
}

static void fake_handle_output(void *opaque, unsigned n, struct virtqueue *vq)
{
    struct fake_dev *d = opaque;
    struct virtqueue_elem e;

    d->handled[n]++;
    d->status_seen = d->p->status;
    while (virtqueue_pop(vq, &e) == 1) {
        d->taken[n]++;
        if (!virtio_pci_may_process(d->p) || !d->running) {
            d->taken_disabled++;
        }
        virtqueue_push(vq, e.head, 0);
    }
}

static void fake_reset(void *opaque)
{
    ((struct fake_dev *)opaque)->resets++;
}

static void fake_set_running(void *opaque, bool running)
{
    struct fake_dev *d = opaque;

    if (running) {
        d->assigned_at_resume = (int)sim_kvm_nioeventfds(d->kvm);
    } else {
        d->assigned_at_stop = (int)sim_kvm_nioeventfds(d->kvm);
    }
    d->running = running;
}

static const struct virtio_dev_ops fake_ops = {
    .handle_output = fake_handle_output,
    .reset = fake_reset,
    .set_running = fake_set_running,
};

static uint64_t queue_pfn(unsigned q)
{
    return (0x10000ull + q * 0x10000ull) / VIRTQUEUE_LEGACY_ALIGN;
}

static void rig_open_kind(struct rig *r, enum virtio_pci_transport t,
                          enum virtio_pci_ioeventfd prop,
                          enum virtio_pci_kind kind)
{
    struct virtio_pci_config c = {
        .name = "test", .kind = kind, .transport = t, .ioeventfd = prop,
        .nqueues = NQ, .queue_size = QSIZE, .legacy_base = LEGACY_BASE,
        .common_base = 0xfe000000ull, .notify_base = NOTIFY_BASE,
        .notify_multiplier = 4,
    };

    memset(r, 0, sizeof(*r));
    sim_fault_reset();
    r->kvm = sim_kvm_create(1);
    assert_non_null(r->kvm);
    r->mem.size = MEM_SIZE;
    r->mem.base = calloc(1, MEM_SIZE);
    assert_non_null(r->mem.base);
    plat_lock_init(&r->lock, PLAT_LOCK_MUTEX, "bql");
    r->dev.kvm = r->kvm;
    r->dev.running = true;
    r->dev.assigned_at_stop = -1;
    r->dev.assigned_at_resume = -1;
    r->dev.p = &r->p;
    r->grab_ops = (struct virtio_pci_loop){fake_set_handler, &r->grab};
    c.kvm = r->kvm;
    c.lock = &r->lock;
    c.loop = (struct virtio_pci_loop){fake_set_handler, &r->loop};
    c.dev_ops = &fake_ops;
    c.dev = &r->dev;
    c.mem = &r->mem;
    assert_int_equal(virtio_pci_init(&r->p, &c), 0);
}

static void rig_open(struct rig *r, enum virtio_pci_transport t)
{
    rig_open_kind(r, t, VIRTIO_PCI_IOEVENTFD_DEFAULT, VIRTIO_PCI_KIND_BLK);
}

static void rig_close(struct rig *r)
{
    plat_lock(&r->lock);
    virtio_pci_unplug_locked(&r->p);
    plat_unlock(&r->lock);
    assert_int_equal(sim_kvm_nioeventfds(r->kvm), 0);
    assert_int_equal(fake_count(&r->loop) + fake_count(&r->grab), 0);
    sim_kvm_destroy(r->kvm);
    free(r->mem.base);
    sim_fault_reset();
}

static void rig_status(struct rig *r, uint8_t s)
{
    plat_lock(&r->lock);
    if (r->p.cfg.transport == VIRTIO_PCI_LEGACY) {
        virtio_pci_legacy_write_locked(&r->p, VIRTIO_PCI_STATUS, s, 1);
    } else {
        virtio_pci_common_write_locked(&r->p, VIRTIO_PCI_COMMON_STATUS, s,
                                       1);
    }
    plat_unlock(&r->lock);
}

static void rig_command(struct rig *r, uint16_t cmd)
{
    plat_lock(&r->lock);
    virtio_pci_set_command_locked(&r->p, cmd);
    plat_unlock(&r->lock);
}

/* The driver: bus master, rings for every queue, then DRIVER_OK. */
static void rig_driver_ok(struct rig *r)
{
    rig_command(r, VIRTIO_PCI_COMMAND_MASTER);
    plat_lock(&r->lock);
    for (unsigned q = 0; q < NQ; q++) {
        uint64_t d, a, u;

        virtqueue_legacy_layout(QSIZE, (uint32_t)queue_pfn(q), &d, &a, &u);
        if (r->p.cfg.transport == VIRTIO_PCI_LEGACY) {
            virtio_pci_legacy_write_locked(&r->p, VIRTIO_PCI_QUEUE_SEL, q, 2);
            assert_int_equal(virtio_pci_legacy_write_locked(
                                 &r->p, VIRTIO_PCI_QUEUE_PFN,
                                 (uint32_t)queue_pfn(q), 4), 0);
        } else {
            virtio_pci_common_write_locked(&r->p, VIRTIO_PCI_COMMON_Q_SELECT,
                                           q, 2);
            virtio_pci_common_write_locked(&r->p, VIRTIO_PCI_COMMON_Q_DESCLO,
                                           d, 8);
            virtio_pci_common_write_locked(&r->p,
                                           VIRTIO_PCI_COMMON_Q_AVAILLO, a, 8);
            virtio_pci_common_write_locked(&r->p, VIRTIO_PCI_COMMON_Q_USEDLO,
                                           u, 8);
            assert_int_equal(virtio_pci_common_write_locked(
                                 &r->p, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2), 0);
        }
    }
    plat_unlock(&r->lock);
    rig_status(r, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_DRIVER_OK);
}

/* The guest makes one single-descriptor request available on queue q. */
static void rig_add(struct rig *r, unsigned q)
{
    uint64_t d, a, u;
    uint16_t slot = r->avail_idx[q] % QSIZE;

    virtqueue_legacy_layout(QSIZE, (uint32_t)queue_pfn(q), &d, &a, &u);
    virtio_mem_write64(&r->mem, d + 16ull * slot, BUF_GPA);
    virtio_mem_write32(&r->mem, d + 16ull * slot + 8, 64);
    virtio_mem_write16(&r->mem, d + 16ull * slot + 12, 0);
    virtio_mem_write16(&r->mem, a + 4 + 2ull * slot, slot);
    r->avail_idx[q]++;
    virtio_mem_write16(&r->mem, a + 2, r->avail_idx[q]);
}

/* The guest's kick as a vCPU does it: KVM first (0: an ioeventfd took
 * it), else userspace under the big lock (1). */
static int rig_kick_len(struct rig *r, unsigned q, unsigned len)
{
    uint8_t v[8] = {(uint8_t)q, 0};
    bool legacy = r->p.cfg.transport == VIRTIO_PCI_LEGACY;
    uint64_t addr = legacy ? LEGACY_BASE + VIRTIO_PCI_QUEUE_NOTIFY
                           : NOTIFY_BASE + 4ull * q;
    int rc = sim_kvm_vcpu_io(r->kvm, legacy, addr, len, v, true, NULL);

    if (rc == 1) {
        plat_lock(&r->lock);
        if (legacy) {
            virtio_pci_legacy_write_locked(&r->p, VIRTIO_PCI_QUEUE_NOTIFY, q,
                                           len);
        } else {
            virtio_pci_notify_write_locked(&r->p, 4ull * q, q, len);
        }
        plat_unlock(&r->lock);
    }
    return rc;
}

static int rig_kick(struct rig *r, unsigned q)
{
    return rig_kick_len(r, q, 2);
}

static void rig_vm(struct rig *r, bool running)
{
    plat_lock(&r->lock);
    virtio_pci_vm_state_change_locked(&r->p, running);
    plat_unlock(&r->lock);
}

/* ---- configuration ---- */

static void virtio_pci_ioeventfd_default_on_for_blk_and_net_only(void **state)
{
    (void)state;
    assert_true(virtio_pci_ioeventfd_default(VIRTIO_PCI_KIND_BLK));
    assert_true(virtio_pci_ioeventfd_default(VIRTIO_PCI_KIND_NET));
    assert_false(virtio_pci_ioeventfd_default(VIRTIO_PCI_KIND_CONSOLE));
}

static void virtio_pci_init_bad_config_is_einval(void **state)
{
    static const struct {
        unsigned nqueues;
        uint16_t qsize;
        uint32_t mult;
        bool kvm;
    } rows[] = {
        {0, 8, 4, true},                    /* no queue */
        {VIRTIO_PCI_QUEUE_MAX + 1, 8, 4, true},
        {1, 0, 4, true},                    /* no size */
        {1, 12, 4, true},                   /* not a power of two */
        {1, VIRTQUEUE_MAX_SIZE * 2, 4, true},
        {1, 8, 3, true},                    /* odd multiplier */
        {1, 8, 4, false},                   /* no KVM */
    };
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct virtio_pci p;
        struct virtio_pci_config c = r.p.cfg;

        c.nqueues = rows[i].nqueues;
        c.queue_size = rows[i].qsize;
        c.notify_multiplier = rows[i].mult;
        c.kvm = rows[i].kvm ? r.kvm : NULL;
        assert_int_equal(virtio_pci_init(&p, &c), -EINVAL);
    }
    rig_close(&r);
}

static void virtio_pci_console_default_never_assigns(void **state)
{
    struct rig r;

    (void)state;
    rig_open_kind(&r, VIRTIO_PCI_LEGACY, VIRTIO_PCI_IOEVENTFD_DEFAULT,
                  VIRTIO_PCI_KIND_CONSOLE);
    rig_driver_ok(&r);
    assert_false(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 1);
    assert_int_equal(r.dev.taken[0], 1);
    rig_close(&r);
}

/* ---- start ---- */

static void virtio_pci_driver_ok_assigns_one_notifier_per_ring(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    assert_true(r.p.started);
    assert_int_equal(virtio_pci_assigned(&r.p), NQ);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
    assert_int_equal(fake_count(&r.loop), NQ);
    assert_int_equal(r.p.stats.starts, 1);
    rig_close(&r);
}

static void virtio_pci_driver_ok_without_rings_assigns_nothing(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_command(&r, VIRTIO_PCI_COMMAND_MASTER);
    rig_status(&r, VIRTIO_CONFIG_S_DRIVER_OK);
    assert_true(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_close(&r);
}

static void virtio_pci_start_kicks_queues_with_requests_already_in_ring(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    /* Requests in the rings before DRIVER_OK (as after a migration). */
    rig_add(&r, 0);
    rig_add(&r, 1);
    rig_driver_ok(&r);
    assert_int_equal(r.dev.taken[0] + r.dev.taken[1], 0);
    fake_run(&r, &r.loop);
    assert_int_equal(r.dev.taken[0], 1);
    assert_int_equal(r.dev.taken[1], 1);
    /* The start ran after the status was set. */
    assert_true(r.dev.status_seen & VIRTIO_CONFIG_S_DRIVER_OK);
    rig_close(&r);
}

static void virtio_pci_driver_ok_without_bus_master_does_not_start(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_command(&r, 0);
    rig_status(&r, VIRTIO_CONFIG_S_DRIVER_OK);
    assert_false(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    /* Bus master on afterwards starts it. */
    rig_command(&r, VIRTIO_PCI_COMMAND_MASTER);
    assert_true(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
    rig_close(&r);
}

/* ---- notify addresses ---- */

static void virtio_pci_legacy_kick_hits_ioeventfd_with_datamatch(void **state)
{
    struct rig r;
    struct plat_ioeventfd io;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    virtio_pci_notify_ioeventfd(&r.p, 1, &io);
    assert_true(io.pio);
    assert_int_equal(io.addr, LEGACY_BASE + VIRTIO_PCI_QUEUE_NOTIFY);
    assert_int_equal(io.len, 2);
    assert_true(io.datamatch);
    assert_int_equal(io.data, 1);
    rig_driver_ok(&r);
    fake_run(&r, &r.loop);
    rig_add(&r, 1);
    /* A lightweight exit: nothing processed until the loop runs. */
    assert_int_equal(rig_kick(&r, 1), 0);
    assert_int_equal(r.dev.taken[1], 0);
    fake_run(&r, &r.loop);
    assert_int_equal(r.dev.taken[1], 1);
    /* Boundaries: another value, another length exit to userspace. */
    assert_int_equal(rig_kick(&r, 5), 1);
    assert_int_equal(rig_kick_len(&r, 1, 1), 1);
    assert_int_equal(rig_kick_len(&r, 1, 4), 1);
    rig_close(&r);
}

static void virtio_pci_modern_kick_len0_with_any_length_else_2(void **state)
{
    struct rig r;
    struct plat_ioeventfd io;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    virtio_pci_notify_ioeventfd(&r.p, 1, &io);
    assert_false(io.pio);
    assert_false(io.datamatch);
    assert_int_equal(io.addr, NOTIFY_BASE + 4);
    assert_int_equal(io.len, 0);
    rig_driver_ok(&r);
    fake_run(&r, &r.loop);
    /* Length 0: any access length at the address is a lightweight exit. */
    assert_int_equal(rig_kick_len(&r, 1, 4), 0);
    assert_int_equal(rig_kick_len(&r, 1, 2), 0);
    rig_close(&r);

    rig_open(&r, VIRTIO_PCI_MODERN);
    sim_kvm_set_ioeventfd_any_length(r.kvm, false);
    virtio_pci_notify_ioeventfd(&r.p, 1, &io);
    assert_int_equal(io.len, 2);
    rig_driver_ok(&r);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
    assert_int_equal(rig_kick_len(&r, 1, 2), 0);
    assert_int_equal(rig_kick_len(&r, 1, 4), 1);
    /* The length a notifier was assigned with is the one deassigned. */
    sim_kvm_set_ioeventfd_any_length(r.kvm, true);
    rig_close(&r);
}

/* ---- stop ---- */

static void virtio_pci_status_without_driver_ok_stops_before_status_set(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    fake_run(&r, &r.loop);
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 0);
    /* The loop has not run: the kick is only in the notifier. */
    rig_status(&r, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    assert_int_equal(r.dev.taken[0], 1);
    assert_true(r.dev.status_seen & VIRTIO_CONFIG_S_DRIVER_OK);
    assert_int_equal(r.dev.taken_disabled, 0);
    assert_false(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_int_equal(fake_count(&r.loop), 0);
    assert_int_equal(r.p.stats.post_stop_kicks, 1);
    rig_close(&r);
}

static void virtio_pci_stop_takes_kick_that_raced_with_deassign(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    rig_driver_ok(&r);
    fake_run(&r, &r.loop);
    assert_int_equal(r.p.stats.post_stop_kicks, 0);
    rig_add(&r, 1);
    assert_int_equal(rig_kick(&r, 1), 0);
    rig_vm(&r, false);
    assert_int_equal(r.dev.taken[1], 1);
    assert_int_equal(r.p.stats.post_stop_kicks, 1);
    rig_close(&r);
}

static void virtio_pci_status_zero_resets_and_deassigns(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_status(&r, 0);
    assert_false(r.p.started);
    assert_int_equal(r.p.status, 0);
    assert_int_equal(r.dev.resets, 1);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_false(virtio_pci_vq(&r.p, 0)->ready);
    /* After the reset a kick processes nothing. */
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 1);
    assert_int_equal(r.dev.taken[0], 0);
    rig_close(&r);
}

static void virtio_pci_legacy_pfn0_resets_and_deassigns(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_QUEUE_PFN, 0, 4);
    plat_unlock(&r.lock);
    assert_false(r.p.started);
    assert_int_equal(r.p.status, 0);
    assert_int_equal(r.dev.resets, 1);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_false(virtio_pci_vq(&r.p, 1)->ready);
    rig_close(&r);
}

static void virtio_pci_bus_master_clear_stops_and_gates_kicks(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_command(&r, 0);
    assert_false(r.p.started);
    assert_false(r.p.status & VIRTIO_CONFIG_S_DRIVER_OK);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 1);
    assert_int_equal(r.dev.taken[0], 0);
    assert_int_equal(r.p.stats.gated_kicks, 1);
    assert_int_equal(r.dev.taken_disabled, 0);
    rig_close(&r);
}

static void virtio_pci_host_reset_stops_and_clears_command(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    virtio_pci_reset_locked(&r.p);
    plat_unlock(&r.lock);
    assert_false(r.p.started);
    assert_int_equal(r.p.command, 0);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_close(&r);
}

static void virtio_pci_vm_stop_stops_ioeventfd_before_backend(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_vm(&r, false);
    assert_int_equal(r.dev.assigned_at_stop, 0);
    assert_false(r.dev.running);
    assert_false(r.p.started);
    rig_vm(&r, true);
    /* On resume the backend starts before ioeventfd. */
    assert_int_equal(r.dev.assigned_at_resume, 0);
    assert_true(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
    rig_close(&r);
}

static void virtio_pci_vm_resume_without_driver_ok_stays_stopped(void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_vm(&r, false);
    rig_vm(&r, true);
    assert_false(r.p.started);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_close(&r);
}

static void virtio_pci_unplug_deassigns_and_refuses_accesses(void **state)
{
    struct rig r;
    uint32_t v;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 0);
    plat_lock(&r.lock);
    virtio_pci_unplug_locked(&r.p);
    assert_int_equal(virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_STATUS,
                                                    4, 1), -ENODEV);
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_STATUS,
                                                   1, &v), -ENODEV);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, &r.grab_ops),
                     -ENODEV);
    plat_unlock(&r.lock);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_int_equal(r.dev.resets, 1);
    /* The racing kick was taken before the device went away. */
    assert_int_equal(r.dev.taken[0], 1);
    rig_close(&r);
}

/* ---- vhost-style grab ---- */

static void virtio_pci_grab_moves_notifiers_and_last_release_moves_back(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, &r.grab_ops), 0);
    plat_unlock(&r.lock);
    assert_int_equal(fake_count(&r.loop), 0);
    assert_int_equal(fake_count(&r.grab), NQ);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
    rig_add(&r, 0);
    assert_int_equal(rig_kick(&r, 0), 0);
    fake_run(&r, &r.grab);
    assert_int_equal(r.dev.taken[0], 1);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, &r.grab_ops), 0);
    assert_int_equal(r.p.grabbed, 2);
    /* A second user through another loop is refused. */
    assert_int_equal(virtio_pci_grab_notifiers_locked(
                         &r.p, &(struct virtio_pci_loop){fake_set_handler,
                                                         &r.loop}),
                     -EBUSY);
    assert_int_equal(virtio_pci_release_notifiers_locked(&r.p), 0);
    plat_unlock(&r.lock);
    assert_int_equal(fake_count(&r.grab), NQ);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_release_notifiers_locked(&r.p), 0);
    assert_int_equal(virtio_pci_release_notifiers_locked(&r.p), -EINVAL);
    plat_unlock(&r.lock);
    assert_int_equal(fake_count(&r.grab), 0);
    assert_int_equal(fake_count(&r.loop), NQ);
    assert_true(r.p.started);
    rig_close(&r);
}

static void virtio_pci_grab_while_stopped_restarts_nothing_on_release(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, &r.grab_ops), 0);
    plat_unlock(&r.lock);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_release_notifiers_locked(&r.p), 0);
    plat_unlock(&r.lock);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_false(r.p.started);
    rig_close(&r);
}

static void virtio_pci_stop_while_grabbed_deassigns_grabbers_notifiers(
    void **state)
{
    struct rig r;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    virtio_pci_grab_notifiers_locked(&r.p, &r.grab_ops);
    plat_unlock(&r.lock);
    rig_add(&r, 1);
    assert_int_equal(rig_kick(&r, 1), 0);
    rig_vm(&r, false);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    assert_int_equal(fake_count(&r.grab), 0);
    assert_int_equal(r.dev.taken[1], 1);
    rig_vm(&r, true);
    assert_int_equal(fake_count(&r.grab), NQ);
    plat_lock(&r.lock);
    virtio_pci_release_notifiers_locked(&r.p);
    plat_unlock(&r.lock);
    rig_close(&r);
}

/* ---- failures ---- */

/* Fail the nth KVM_IOEVENTFD assign (once, or from then on), start, and
 * check: fallback with nothing left assigned when n hits a queue, the
 * device keeps working synchronously, and nothing waiting in a ring is
 * left behind. */
static void virtio_pci_nth_assign_failure_falls_back_and_keeps_working(
    void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_KVM_IOEVENTFD) {
        struct rig r;

        test_variant("%s, call %llu of %u fails",
                     fl.n % 2 ? "legacy" : "modern",
                     (unsigned long long)fl.n, NQ);
        rig_open(&r, fl.n % 2 ? VIRTIO_PCI_LEGACY : VIRTIO_PCI_MODERN);
        rig_add(&r, 0);
        rig_add(&r, 1);
        fault_loop_arm(&fl);
        rig_driver_ok(&r);
        fault_loop_disarm(&fl);
        if (fl.faulted) {
            ASSERT_LE(fl.n, NQ);
            assert_false(r.p.started);
            assert_false(r.p.use_ioeventfd);
            assert_int_equal(r.p.stats.fallbacks, 1);
            assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
            assert_int_equal(fake_count(&r.loop), 0);
            /* What was in the rings is taken without a kick. */
            assert_int_equal(r.dev.taken[0], 1);
            assert_int_equal(r.dev.taken[1], 1);
            rig_add(&r, 0);
            assert_int_equal(rig_kick(&r, 0), 1);
            assert_int_equal(r.dev.taken[0], 2);
            /* ioeventfd stays off across stop and resume. */
            rig_vm(&r, false);
            rig_vm(&r, true);
            assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
        } else {
            assert_int_equal(fl.n, NQ + 1);
            assert_true(r.p.started);
            assert_int_equal(sim_kvm_nioeventfds(r.kvm), NQ);
        }
        sim_fault_reset();
        rig_close(&r);
    }
    test_variant_clear();
}

static void virtio_pci_refused_deassign_keeps_notifier_then_falls_back(
    void **state)
{
    struct rig r;
    struct plat_ioeventfd io;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    /* Someone else takes queue 0's ioeventfd away behind the proxy. */
    virtio_pci_notify_ioeventfd(&r.p, 0, &io);
    io.efd = &r.p.q[0].notifier;
    assert_int_equal(plat_kvm_ioeventfd(r.kvm, &io, false), 0);
    rig_vm(&r, false);
    assert_int_equal(r.p.stats.deassign_errors, 1);
    assert_true(r.p.q[0].live);
    /* The next start cannot reuse it: ioeventfd off, still working. */
    rig_vm(&r, true);
    assert_int_equal(r.p.stats.fallbacks, 1);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_add(&r, 1);
    assert_int_equal(rig_kick(&r, 1), 1);
    assert_int_equal(r.dev.taken[1], 1);
    rig_close(&r);
}

/* ---- registers ---- */

static void virtio_pci_bad_register_accesses_are_ignored(void **state)
{
    static const struct {
        uint64_t off;
        uint32_t val;
        unsigned len;
    } legacy_rows[] = {
        {VIRTIO_PCI_STATUS, 4, 2},       /* status is one byte */
        {VIRTIO_PCI_QUEUE_SEL, 1, 4},
        {VIRTIO_PCI_QUEUE_NOTIFY, 9, 2}, /* no queue 9 */
        {VIRTIO_PCI_QUEUE_NOTIFY, NQ, 2}, /* first queue past the end */
        {VIRTIO_PCI_HOST_FEATURES, 1, 4}, /* read-only */
        {VIRTIO_PCI_ISR, 1, 1},
        {VIRTIO_PCI_LEGACY_SIZE, 1, 1},
    };
    struct rig r;
    uint64_t v;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    plat_lock(&r.lock);
    for (size_t i = 0; i < sizeof(legacy_rows) / sizeof(legacy_rows[0]);
         i++) {
        assert_int_equal(virtio_pci_legacy_write_locked(
                             &r.p, legacy_rows[i].off, legacy_rows[i].val,
                             legacy_rows[i].len), -EINVAL);
    }
    /* PFN for a queue that does not exist. */
    virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_QUEUE_SEL, 7, 2);
    assert_int_equal(virtio_pci_legacy_write_locked(&r.p,
                                                    VIRTIO_PCI_QUEUE_PFN, 16,
                                                    4), -EINVAL);
    /* Modern registers on a legacy device. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_STATUS, 4, 1), -EINVAL);
    assert_int_equal(virtio_pci_common_read_locked(
                         &r.p, VIRTIO_PCI_COMMON_NUMQ, 2, &v), -EINVAL);
    assert_int_equal(virtio_pci_notify_write_locked(&r.p, 0, 0, 2), -EINVAL);
    plat_unlock(&r.lock);
    assert_int_equal(r.p.status, 0);
    rig_close(&r);

    rig_open(&r, VIRTIO_PCI_MODERN);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_notify_write_locked(&r.p, 2, 0, 2), -EINVAL);
    assert_int_equal(virtio_pci_notify_write_locked(&r.p, 4ull * NQ, 0, 2),
                     -EINVAL);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_SIZE, 16, 2), -EINVAL);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_SIZE, 3, 2), -EINVAL);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_SIZE, 4, 2), 0);
    /* Enable with no ring addresses. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2), -EINVAL);
    assert_int_equal(virtio_pci_common_read_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_SIZE, 2, &v), 0);
    assert_int_equal(v, 4);
    assert_int_equal(virtio_pci_common_read_locked(
                         &r.p, VIRTIO_PCI_COMMON_NUMQ, 2, &v), 0);
    assert_int_equal(v, NQ);
    plat_unlock(&r.lock);
    rig_close(&r);
}

static void virtio_pci_legacy_reads_report_queue_and_status(void **state)
{
    struct rig r;
    uint32_t v;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_QUEUE_SEL, 1, 2);
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_QUEUE_NUM,
                                                   2, &v), 0);
    assert_int_equal(v, QSIZE);
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_QUEUE_PFN,
                                                   4, &v), 0);
    assert_int_equal(v, queue_pfn(1));
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_STATUS, 1,
                                                   &v), 0);
    assert_true(v & VIRTIO_CONFIG_S_DRIVER_OK);
    plat_unlock(&r.lock);
    rig_close(&r);
}

/* ---- register reads, address halves, refusals ---- */

struct reg_row {
    uint64_t off;
    unsigned len;
    int rc;
    uint64_t val;      /* checked when rc == 0 */
};

static void virtio_pci_legacy_register_reads_table(void **state)
{
    const uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                       VIRTIO_CONFIG_S_DRIVER_OK;
    const struct reg_row rows[] = {
        {VIRTIO_PCI_HOST_FEATURES, 4, 0, 0},
        {VIRTIO_PCI_HOST_FEATURES, 2, -EINVAL, 0},
        {VIRTIO_PCI_GUEST_FEATURES, 4, 0, 0x1234},
        {VIRTIO_PCI_GUEST_FEATURES, 1, -EINVAL, 0},
        {VIRTIO_PCI_QUEUE_PFN, 4, 0, queue_pfn(1)},
        {VIRTIO_PCI_QUEUE_PFN, 2, -EINVAL, 0},
        {VIRTIO_PCI_QUEUE_NUM, 2, 0, QSIZE},
        {VIRTIO_PCI_QUEUE_NUM, 4, -EINVAL, 0},
        {VIRTIO_PCI_QUEUE_SEL, 2, 0, 1},
        {VIRTIO_PCI_QUEUE_SEL, 1, -EINVAL, 0},
        {VIRTIO_PCI_STATUS, 1, 0, st},
        {VIRTIO_PCI_STATUS, 2, -EINVAL, 0},
        {VIRTIO_PCI_ISR, 1, 0, 0},
        {VIRTIO_PCI_ISR, 4, -EINVAL, 0},
        {VIRTIO_PCI_QUEUE_NOTIFY, 2, -EINVAL, 0}, /* write-only */
        {VIRTIO_PCI_LEGACY_SIZE, 1, -EINVAL, 0},
    };
    struct rig r;
    uint64_t bad = 0;
    uint32_t v;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_legacy_write_locked(
                         &r.p, VIRTIO_PCI_GUEST_FEATURES, 0x1234, 4), 0);
    assert_int_equal(virtio_pci_legacy_write_locked(
                         &r.p, VIRTIO_PCI_QUEUE_SEL, 1, 2), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = virtio_pci_legacy_read_locked(&r.p, rows[i].off,
                                               rows[i].len, &v);

        if (rc != rows[i].rc || (rc == 0 && v != rows[i].val)) {
            fail_msg("row %zu: off %llu len %u: rc %d val %u, want rc %d "
                     "val %llu", i, (unsigned long long)rows[i].off,
                     rows[i].len, rc, v, rows[i].rc,
                     (unsigned long long)rows[i].val);
        }
        bad += rc != 0;
    }
    assert_int_equal(r.p.stats.bad_accesses, bad);
    /* A queue that does not exist reads as size 0, no ring. */
    virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_QUEUE_SEL, 7, 2);
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_QUEUE_NUM,
                                                   2, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_QUEUE_PFN,
                                                   4, &v), 0);
    assert_int_equal(v, 0);
    plat_unlock(&r.lock);
    rig_close(&r);
}

static void virtio_pci_common_register_reads_table(void **state)
{
    const uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                       VIRTIO_CONFIG_S_DRIVER_OK;
    const struct reg_row rows[] = {
        {VIRTIO_PCI_COMMON_NUMQ, 2, 0, NQ},
        {VIRTIO_PCI_COMMON_NUMQ, 4, -EINVAL, 0},
        {VIRTIO_PCI_COMMON_STATUS, 1, 0, st},
        {VIRTIO_PCI_COMMON_STATUS, 2, -EINVAL, 0},
        {VIRTIO_PCI_COMMON_Q_SELECT, 2, 0, 1},
        {VIRTIO_PCI_COMMON_Q_SIZE, 2, 0, QSIZE},
        {VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0, 1},
        {VIRTIO_PCI_COMMON_Q_ENABLE, 1, -EINVAL, 0},
        {VIRTIO_PCI_COMMON_Q_NOFF, 2, 0, 1},
        {VIRTIO_PCI_COMMON_Q_DESCLO, 4, -EINVAL, 0}, /* write-only here */
        {VIRTIO_PCI_COMMON_SIZE, 1, -EINVAL, 0},
    };
    struct rig r;
    uint64_t bad = 0;
    uint64_t v;
    uint32_t v32;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_SELECT, 1, 2), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = virtio_pci_common_read_locked(&r.p, rows[i].off,
                                               rows[i].len, &v);

        if (rc != rows[i].rc || (rc == 0 && v != rows[i].val)) {
            fail_msg("row %zu: off %llu len %u: rc %d val %llu, want rc %d "
                     "val %llu", i, (unsigned long long)rows[i].off,
                     rows[i].len, rc, (unsigned long long)v, rows[i].rc,
                     (unsigned long long)rows[i].val);
        }
        bad += rc != 0;
    }
    assert_int_equal(r.p.stats.bad_accesses, bad);
    /* A queue that does not exist reads as all zero. */
    virtio_pci_common_write_locked(&r.p, VIRTIO_PCI_COMMON_Q_SELECT, 7, 2);
    for (uint64_t off = VIRTIO_PCI_COMMON_Q_SIZE;
         off <= VIRTIO_PCI_COMMON_Q_NOFF; off += 2) {
        if (off == VIRTIO_PCI_COMMON_Q_SIZE + 2) {
            continue; /* no register there */
        }
        assert_int_equal(virtio_pci_common_read_locked(&r.p, off, 2, &v), 0);
        assert_int_equal(v, 0);
    }
    /* Legacy registers on a modern device. */
    assert_int_equal(virtio_pci_legacy_read_locked(&r.p, VIRTIO_PCI_STATUS, 1,
                                                   &v32), -EINVAL);
    assert_int_equal(virtio_pci_legacy_write_locked(&r.p, VIRTIO_PCI_STATUS,
                                                    0, 1), -EINVAL);
    assert_int_equal(r.p.status, st);
    plat_unlock(&r.lock);
    rig_close(&r);
}

static void virtio_pci_common_ring_address_halves_and_whole(void **state)
{
    struct rig r;
    uint64_t d, a, u;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    virtqueue_legacy_layout(QSIZE, (uint32_t)queue_pfn(0), &d, &a, &u);
    plat_lock(&r.lock);
    virtio_pci_common_write_locked(&r.p, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    /* Two 4-byte halves, high first. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_DESCHI, 0x12, 4), 0);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_DESCLO, 0xabcd0000, 4), 0);
    assert_int_equal(r.p.q[0].desc, 0x12abcd0000ull);
    /* The low half keeps the high one and the other way round. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_DESCLO, d, 4), 0);
    assert_int_equal(r.p.q[0].desc, 0x1200000000ull | d);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4), 0);
    assert_int_equal(r.p.q[0].desc, d);
    /* 8 bytes only at the low offset; 2 bytes never. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_AVAILHI, a, 8), -EINVAL);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_USEDLO, u, 2), -EINVAL);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_AVAILLO, a, 8), 0);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_USEDLO, u, 4), 0);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2), 0);
    assert_true(virtio_pci_vq(&r.p, 0)->ready);
    assert_int_equal(virtio_pci_vq(&r.p, 0)->desc, d);
    /* Enabled: the addresses are fixed now. */
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_Q_DESCLO, 0, 4), -EINVAL);
    assert_null(virtio_pci_vq(&r.p, NQ));
    plat_unlock(&r.lock);
    rig_close(&r);
}

static void virtio_pci_unplugged_refuses_every_entry_point(void **state)
{
    struct rig r;
    uint64_t v;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    virtio_pci_unplug_locked(&r.p);
    assert_int_equal(r.dev.resets, 1);
    assert_int_equal(virtio_pci_common_read_locked(
                         &r.p, VIRTIO_PCI_COMMON_NUMQ, 2, &v), -ENODEV);
    assert_int_equal(virtio_pci_common_write_locked(
                         &r.p, VIRTIO_PCI_COMMON_STATUS, 4, 1), -ENODEV);
    assert_int_equal(virtio_pci_notify_write_locked(&r.p, 0, 0, 2), -ENODEV);
    assert_int_equal(virtio_pci_set_command_locked(
                         &r.p, VIRTIO_PCI_COMMAND_MASTER), -ENODEV);
    /* Host-side calls on an unplugged device do nothing. */
    virtio_pci_reset_locked(&r.p);
    virtio_pci_unplug_locked(&r.p);
    assert_int_equal(r.dev.resets, 1);
    plat_unlock(&r.lock);
    assert_int_equal(sim_kvm_nioeventfds(r.kvm), 0);
    rig_close(&r);
}

static void virtio_pci_grab_bad_loop_and_same_vm_state_change_nothing(
    void **state)
{
    struct rig r;
    struct virtio_pci_loop no_fn = {NULL, &r.grab};

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, NULL), -EINVAL);
    assert_int_equal(virtio_pci_grab_notifiers_locked(&r.p, &no_fn),
                     -EINVAL);
    assert_int_equal(r.p.grabbed, 0);
    plat_unlock(&r.lock);
    /* Running again while running: no backend call, no restart. */
    rig_vm(&r, true);
    assert_int_equal(r.dev.assigned_at_resume, -1);
    assert_int_equal(r.p.stats.starts, 1);
    assert_int_equal(fake_count(&r.loop), NQ);
    rig_close(&r);
}

static void virtio_pci_load_rejects_bad_queue_state(void **state)
{
    struct rig r;
    struct virtio_pci_state s, bad;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    rig_vm(&r, false);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_save_locked(&r.p, &s), 0);
    for (int row = 0; row < 4; row++) {
        bad = s;
        switch (row) {
        case 0:
            bad.q[1].num = 3;          /* not a power of two */
            break;
        case 1:
            bad.q[1].num = QSIZE * 2;  /* larger than the device's */
            break;
        case 2:
            bad.q[1].desc = 0;         /* ready without a ring */
            break;
        default:
            bad.q[0].used = 0;
            break;
        }
        assert_int_equal(virtio_pci_load_locked(&r.p, &bad), -EINVAL);
    }
    assert_int_equal(virtio_pci_load_locked(&r.p, &s), 0);
    plat_unlock(&r.lock);
    rig_close(&r);
}

static void virtio_pci_init_defaults_name_and_multiplier(void **state)
{
    struct rig r;
    struct virtio_pci p;
    struct virtio_pci_config c;

    (void)state;
    rig_open(&r, VIRTIO_PCI_MODERN);
    c = r.p.cfg;
    c.name = NULL;
    c.notify_multiplier = 0;
    assert_int_equal(virtio_pci_init(&p, &c), 0);
    assert_string_equal(p.cfg.name, "virtio-pci");
    assert_int_equal(p.cfg.notify_multiplier, 4);
    rig_close(&r);
}

static void virtqueue_no_interrupt_follows_avail_flags(void **state)
{
    uint8_t *buf = calloc(1, 64 * 1024);
    struct virtio_mem m = {buf, 64 * 1024};
    struct virtqueue vq;
    uint64_t d, a, u;

    (void)state;
    assert_non_null(buf);
    virtqueue_init(&vq, &m, 4);
    /* Not ready: the flag is not read. */
    assert_false(virtqueue_no_interrupt(&vq));
    assert_int_equal(virtqueue_set_legacy_pfn(&vq, 1), 0);
    virtqueue_legacy_layout(4, 1, &d, &a, &u);
    assert_false(virtqueue_no_interrupt(&vq));
    virtio_mem_write16(&m, a, VRING_AVAIL_F_NO_INTERRUPT);
    assert_true(virtqueue_no_interrupt(&vq));
    virtio_mem_write16(&m, a, 0);
    assert_false(virtqueue_no_interrupt(&vq));
    free(buf);
}

/* ---- migration ---- */

static void virtio_pci_save_load_resume_takes_pending_request(void **state)
{
    struct rig r, d;
    struct virtio_pci_state s;

    (void)state;
    rig_open(&r, VIRTIO_PCI_LEGACY);
    rig_driver_ok(&r);
    fake_run(&r, &r.loop);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_save_locked(&r.p, &s), -EBUSY);
    plat_unlock(&r.lock);
    rig_vm(&r, false);
    /* Made available while the VM was stopping, never kicked here. */
    rig_add(&r, 0);
    plat_lock(&r.lock);
    assert_int_equal(virtio_pci_save_locked(&r.p, &s), 0);
    plat_unlock(&r.lock);

    rig_open(&d, VIRTIO_PCI_LEGACY);
    memcpy(d.mem.base, r.mem.base, MEM_SIZE);
    plat_lock(&d.lock);
    assert_int_equal(virtio_pci_load_locked(&d.p, &s), -EBUSY);
    plat_unlock(&d.lock);
    rig_vm(&d, false);
    plat_lock(&d.lock);
    s.nqueues = NQ + 1;
    assert_int_equal(virtio_pci_load_locked(&d.p, &s), -EINVAL);
    s.nqueues = NQ;
    assert_int_equal(virtio_pci_load_locked(&d.p, &s), 0);
    plat_unlock(&d.lock);
    assert_int_equal(sim_kvm_nioeventfds(d.kvm), 0);
    rig_vm(&d, true);
    assert_int_equal(sim_kvm_nioeventfds(d.kvm), NQ);
    fake_run(&d, &d.loop);
    assert_int_equal(d.dev.taken[0], 1);
    rig_close(&d);
    rig_close(&r);
}

/* ---- virtqueue: guest input ---- */

static void virtqueue_pop_malformed_rings_break_the_queue(void **state)
{
    enum { BAD_HEAD, BAD_NEXT, LOOP, OUTSIDE, INDIRECT, IDX_AHEAD, NROWS };
    uint8_t *buf = calloc(1, 64 * 1024);
    struct virtio_mem m = {buf, 64 * 1024};

    (void)state;
    assert_non_null(buf);
    for (int row = 0; row < NROWS; row++) {
        struct virtqueue vq;
        struct virtqueue_elem e;
        uint64_t d, a, u;

        memset(buf, 0, 64 * 1024);
        virtqueue_init(&vq, &m, 4);
        assert_int_equal(virtqueue_set_legacy_pfn(&vq, 1), 0);
        virtqueue_legacy_layout(4, 1, &d, &a, &u);
        virtio_mem_write64(&m, d, 0x8000);
        virtio_mem_write32(&m, d + 8, 16);
        virtio_mem_write16(&m, a + 2, 1);
        switch (row) {
        case BAD_HEAD:
            virtio_mem_write16(&m, a + 4, 4);
            break;
        case BAD_NEXT:
            virtio_mem_write16(&m, d + 12, VRING_DESC_F_NEXT);
            virtio_mem_write16(&m, d + 14, 9);
            break;
        case LOOP:
            virtio_mem_write16(&m, d + 12, VRING_DESC_F_NEXT);
            virtio_mem_write16(&m, d + 14, 0);
            break;
        case OUTSIDE:
            virtio_mem_write64(&m, d, 64 * 1024 - 8);
            break;
        case INDIRECT:
            virtio_mem_write16(&m, d + 12, VRING_DESC_F_INDIRECT);
            break;
        default:
            virtio_mem_write16(&m, a + 2, 5); /* 5 ahead of a 4-ring */
            break;
        }
        assert_int_equal(virtqueue_pop(&vq, &e), -EINVAL);
        assert_true(vq.broken);
        assert_int_equal(virtqueue_pop(&vq, &e), 0);
        assert_false(virtqueue_has_avail(&vq));
        assert_int_equal(virtqueue_push(&vq, 0, 0), -EINVAL);
        virtqueue_reset(&vq);
        assert_false(vq.broken);
    }
    free(buf);
}

static void virtqueue_pop_push_chain_and_wrap(void **state)
{
    uint8_t *buf = calloc(1, 64 * 1024);
    struct virtio_mem m = {buf, 64 * 1024};
    struct virtqueue vq;
    struct virtqueue_elem e;
    uint64_t d, a, u;
    uint16_t idx;

    (void)state;
    assert_non_null(buf);
    virtqueue_init(&vq, &m, 4);
    assert_int_equal(virtqueue_set_legacy_pfn(&vq, 0), -EINVAL);
    assert_int_equal(virtqueue_set_legacy_pfn(&vq, 1), 0);
    assert_int_equal(virtqueue_legacy_layout(4, 1, &d, &a, &u),
                     4096 + 4 + 32 + 2);
    assert_int_equal(u % VIRTQUEUE_LEGACY_ALIGN, 0);
    /* Chain 2 -> 3. */
    virtio_mem_write64(&m, d + 32, 0x8000);
    virtio_mem_write32(&m, d + 40, 10);
    virtio_mem_write16(&m, d + 44, VRING_DESC_F_NEXT);
    virtio_mem_write16(&m, d + 46, 3);
    virtio_mem_write64(&m, d + 48, 0x9000);
    virtio_mem_write32(&m, d + 56, 20);
    virtio_mem_write16(&m, d + 60, VRING_DESC_F_WRITE);
    for (unsigned i = 0; i < 6; i++) {
        virtio_mem_write16(&m, a + 4 + 2 * (i % 4), 2);
        virtio_mem_write16(&m, a + 2, (uint16_t)(i + 1));
        assert_true(virtqueue_has_avail(&vq));
        assert_int_equal(virtqueue_pop(&vq, &e), 1);
        assert_int_equal(e.head, 2);
        assert_int_equal(e.nsg, 2);
        assert_false(e.sg[0].write);
        assert_true(e.sg[1].write);
        assert_int_equal(e.sg[1].len, 20);
        assert_int_equal(virtqueue_pop(&vq, &e), 0);
        assert_int_equal(virtqueue_push(&vq, 2, 20), 0);
    }
    virtio_mem_read16(&m, u + 2, &idx);
    assert_int_equal(idx, 6);
    assert_int_equal(virtqueue_push(&vq, 4, 0), -EINVAL);
    virtqueue_set_notification(&vq, false);
    virtio_mem_read16(&m, u, &idx);
    assert_int_equal(idx, VRING_USED_F_NO_NOTIFY);
    virtqueue_set_notification(&vq, true);
    virtio_mem_read16(&m, u, &idx);
    assert_int_equal(idx, 0);
    free(buf);
}

/* A driver exactly one ring ahead (every slot available) is legal: the
 * device pops all num entries, then finds the ring empty. */
static void virtqueue_pop_full_ring_pops_every_entry(void **state)
{
    uint8_t *buf = calloc(1, 64 * 1024);
    struct virtio_mem m = {buf, 64 * 1024};
    struct virtqueue vq;
    struct virtqueue_elem e;
    uint64_t d, a, u;

    (void)state;
    assert_non_null(buf);
    virtqueue_init(&vq, &m, 4);
    assert_int_equal(virtqueue_set_legacy_pfn(&vq, 1), 0);
    virtqueue_legacy_layout(4, 1, &d, &a, &u);
    for (unsigned i = 0; i < 4; i++) {
        virtio_mem_write64(&m, d + 16 * i, 0x8000 + 0x100 * i);
        virtio_mem_write32(&m, d + 16 * i + 8, 16);
        virtio_mem_write16(&m, a + 4 + 2 * i, (uint16_t)(3 - i));
    }
    virtio_mem_write16(&m, a + 2, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(virtqueue_pop(&vq, &e), 1);
        assert_int_equal(e.head, 3 - i);
    }
    assert_false(vq.broken);
    assert_int_equal(virtqueue_pop(&vq, &e), 0);
    free(buf);
}

/* ---- the simulated world ---- */

static void vw_race_300_seeds_pct_no_lost_kick(void **state)
{
    uint64_t post_stop = 0;

    (void)state;
    for (uint64_t seed = 100000; seed < 100300; seed++) {
        struct vw_race_result res;

        assert_int_equal(vw_race_run(seed, &res), 0);
        if (res.first[0] || res.result != SIM_OK) {
            fail_msg("seed %llu: %s (%s)", (unsigned long long)seed,
                     res.first, sim_result_name(res.result));
        }
        post_stop += res.post_stop_kicks;
    }
    ASSERT_GT(post_stop, 0);
}

/* The nth-call fault loop on the world: the nth KVM_IOEVENTFD assign
 * fails (once, then for good) during a sequence of transitions; every
 * invariant must still hold and every request complete. */
static void vw_nth_assign_failure_loop_keeps_invariants(void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_KVM_IOEVENTFD) {
        struct vw_params p;
        struct vw_world *w;
        char msg[128];

        vw_params_default(&p, VIRTIO_PCI_KIND_BLK);
        p.nvcpus = p.nqueues = 3;
        p.queue_size = 16;
        p.transport = fl.n % 2 ? VIRTIO_PCI_LEGACY : VIRTIO_PCI_MODERN;
        sim_fault_reset();
        assert_int_equal(vw_create(&p, NULL, &w, msg, sizeof(msg)), 0);
        fault_loop_arm(&fl);
        assert_int_equal(vw_guest_init(w), 0);
        for (unsigned round = 0; round < 4; round++) {
            for (unsigned q = 0; q < 3; q++) {
                vw_guest_submit(w, q);
            }
            switch (round) {
            case 0:
                vw_vm_stop(w);
                vw_vm_resume(w);
                break;
            case 1:
                vw_vhost_grab(w);
                vw_guest_submit(w, 0);
                vw_vhost_release(w);
                break;
            case 2:
                vw_migrate(w);
                break;
            default:
                vw_guest_bus_master(w, false);
                vw_guest_init(w);
                break;
            }
        }
        fault_loop_disarm(&fl);
        sim_fault_reset();
        vw_quiesce_and_check(w);
        if (vw_first_violation(w)[0]) {
            fail_msg("n=%llu persist=%d: %s", (unsigned long long)fl.n,
                     fl.persist, vw_first_violation(w));
        }
        ASSERT_GT(vw_stats(w)->completed, 0);
        vw_destroy(w);
    }
}

/* The nth allocation of a VM stop fails: when it is the unregister of the
 * first notifier, the PIO bus is emptied (core/iobus.h), KVM drops the
 * other notifier too and refuses its deassign; the proxy keeps that one
 * and falls back to synchronous notify.  KVM holds no ioeventfd, so the
 * migration that follows must not count one. */
static void vw_nth_alloc_failure_in_stop_then_migrate_keeps_invariants(
    void **state)
{
    struct fault_loop fl;

    (void)state;
    FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
        struct vw_params p;
        struct vw_world *w;
        char msg[128];

        vw_params_default(&p, VIRTIO_PCI_KIND_BLK);
        p.nvcpus = p.nqueues = 2;
        p.queue_size = 16;
        sim_fault_reset();
        assert_int_equal(vw_create(&p, NULL, &w, msg, sizeof(msg)), 0);
        assert_int_equal(vw_guest_init(w), 0);
        vw_guest_submit(w, 0);
        fault_loop_arm(&fl);
        vw_vm_stop(w);
        fault_loop_disarm(&fl);
        sim_fault_reset();
        vw_vm_resume(w);
        vw_guest_submit(w, 1);
        vw_migrate(w);
        vw_guest_submit(w, 0);
        vw_quiesce_and_check(w);
        if (vw_first_violation(w)[0]) {
            fail_msg("n=%llu persist=%d: %s", (unsigned long long)fl.n,
                     fl.persist, vw_first_violation(w));
        }
        ASSERT_GT(vw_stats(w)->completed, 0);
        vw_destroy(w);
    }
}

static void virtio_fuzz_run_random_streams_hold_invariants(void **state)
{
    struct sim_tape *t = sim_tape_from_seed(7);
    uint8_t ops[257];
    char err[256];

    (void)state;
    assert_non_null(t);
    for (unsigned i = 0; i < 3000; i++) {
        size_t n = 1 + sim_tape_below(t, sizeof(ops) - 1);

        for (size_t k = 0; k < n; k++) {
            ops[k] = (uint8_t)sim_tape_below(t, 256);
        }
        if (virtio_fuzz_run(ops, n, err, sizeof(err)) != 0) {
            fail_msg("stream %u: %s", i, err);
        }
    }
    sim_tape_destroy(t);
}

/* The harness's oracle can fail: a stream that stops the VM right after
 * a kick relies on the post-stop test-and-clear, and a guest that hands
 * back a head twice is caught. */
static void virtio_fuzz_run_kick_then_vm_stop_is_checked(void **state)
{
    static const uint8_t kick_stop[] = {
        0x00, 9, 0, 0,        /* legacy blk, ioeventfd on, queue size 8 */
        0, 0, 0, 0,           /* submit on queue 0 */
        9, 0, 0, 0,           /* VM stop */
        9, 1, 0, 0,           /* VM resume */
    };
    struct vw_params p;
    struct vw_world *w;
    char err[256], msg[128];

    (void)state;
    assert_int_equal(virtio_fuzz_run(kick_stop, sizeof(kick_stop), err,
                                     sizeof(err)), 0);
    /* Double completion: the used ring says a head twice. */
    vw_params_default(&p, VIRTIO_PCI_KIND_NET);
    p.queue_size = 8;
    assert_int_equal(vw_create(&p, NULL, &w, msg, sizeof(msg)), 0);
    assert_int_equal(vw_guest_init(w), 0);
    assert_int_equal(vw_guest_submit(w, 1), 0);
    vw_loop_dispatch(w, 0);
    vw_guest_reap(w, 1);
    assert_int_equal(vw_stats(w)->completed, 1);
    assert_int_equal(vw_violations(w)->double_completions, 0);
    /* Forge a second used entry for head 0. */
    {
        struct virtqueue *vq = virtio_pci_vq(vw_proxy(w), 1);

        assert_int_equal(virtqueue_push(vq, 0, 0), 0);
    }
    vw_guest_reap(w, 1);
    assert_int_equal(vw_violations(w)->double_completions, 1);
    vw_destroy(w);
}

/* ---- scenarios ---- */

static void scn_virtio_variants_differ_in_exits_and_hold_invariants(
    void **state)
{
    static const char *const scenarios[] = {"virtio-blk-mq",
                                            "virtio-net-tx"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct scn_request q = {.scenario = scenarios[i]};
        const char *sync[] = {"run.variant=sync", "workload.requests=200"};
        const char *iofd[] = {"run.variant=ioeventfd",
                              "workload.requests=200",
                              "workload.transport=modern"};
        struct scn_run a, b;

        assert_int_equal(scn_run_with(&q, sync, 2, &a), KVMSIM_EXIT_OK);
        assert_int_equal(scn_run_with(&q, iofd, 3, &b), KVMSIM_EXIT_OK);
        assert_int_equal(scn_metric_get(&a, "exits_lightweight"), 0);
        ASSERT_GT(scn_metric_get(&a, "exits_heavyweight"), 0);
        /* Only kicks during a transition may take the slow path. */
        ASSERT_LT(scn_metric_get(&b, "exits_heavyweight") * 20,
                  scn_metric_get(&b, "exits_lightweight"));
        assert_int_equal(scn_metric_get(&a, "lost_kicks"), 0);
        assert_int_equal(scn_metric_get(&b, "lost_kicks"), 0);
        ASSERT_LT(scn_metric_get(&b, "vcpu_exit_ms"),
                  scn_metric_get(&a, "vcpu_exit_ms"));
        scn_run_release(&a);
        scn_run_release(&b);
    }
}

static void scn_virtio_same_seed_same_trace_hash(void **state)
{
    struct scn_request q = {.scenario = "virtio-blk-mq"};
    const char *set[] = {"run.variant=ioeventfd", "workload.requests=100",
                         "run.strategy=random"};
    struct scn_run a, b;

    (void)state;
    assert_int_equal(scn_run_with(&q, set, 3, &a), KVMSIM_EXIT_OK);
    assert_int_equal(scn_run_with(&q, set, 3, &b), KVMSIM_EXIT_OK);
    assert_true(sim_trace_hash(a.sim) == sim_trace_hash(b.sim));
    scn_run_release(&a);
    scn_run_release(&b);
}

static void scn_virtio_net_more_vcpus_is_config_error(void **state)
{
    struct scn_request q = {.scenario = "virtio-net-tx"};
    const char *set[] = {"vm.vcpus=2"};
    struct scn_run a;

    (void)state;
    assert_int_equal(scn_run_with(&q, set, 1, &a), KVMSIM_EXIT_USAGE);
    scn_run_release(&a);
}

/* ---- the checker (model/virtio/virtio_check.h), through its interface:
 * events reported by hand, the world's view from a fixed observation ---- */

struct ck_rig {
    struct vw_check_obs obs;
    struct vw_check *c;
};

static void ck_observe(void *arg, struct vw_check_obs *o)
{
    *o = ((const struct ck_rig *)arg)->obs;
}

/* One blk queue of QSIZE descriptors (chains of 2), the guest's view
 * enabled, the VM running; nothing taken by the device yet. */
static void ck_rig_init(struct ck_rig *r)
{
    struct vw_check_config cfg = {
        .nqueues = 1, .queue_size = QSIZE, .blk = true, .ioeventfd = true,
        .legacy = true, .any_length = true, .observe = ck_observe,
        .world = r,
    };

    memset(r, 0, sizeof(*r));
    r->obs.view = (struct vw_check_view){
        .driver_ok = true, .bus_master = true, .vm_running = true,
        .backend_running = true,
    };
    r->obs.q[0].has_vq = true;
    assert_int_equal(vw_check_create(&cfg, &r->c), 0);
    vw_check_queue_setup(r->c, 0, 2, QSIZE / 2);
}

static void vw_check_stopped_kicked_request_not_taken_is_lost_kick(
    void **state)
{
    struct ck_rig r;
    uint64_t t0;

    (void)state;
    ck_rig_init(&r);
    vw_check_submitted(r.c, 0, 1, 5, &r.obs.view);
    vw_check_submit_done(r.c, 0, 1);
    t0 = vw_check_begin(r.c);
    /* Kicked after the stop began: not the stop's to deliver. */
    vw_check_submitted(r.c, 0, 2, 6, &r.obs.view);
    vw_check_submit_done(r.c, 0, 2);
    r.obs.q[0].dev_avail = 5; /* the device has not taken index 5 */
    vw_check_stopped(r.c, t0, "a VM stop");
    assert_int_equal(vw_check_violations(r.c)->lost_kicks, 1);
    assert_string_equal(vw_check_first(r.c),
                        "lost kick: queue 0, request at avail index 5 "
                        "kicked before a VM stop was not taken by the "
                        "device");
    r.obs.q[0].dev_avail = 7; /* both taken */
    vw_check_stopped(r.c, vw_check_begin(r.c), "a vhost grab");
    assert_int_equal(vw_check_violations(r.c)->lost_kicks, 1);
    vw_check_destroy(r.c);
}

static void vw_check_stopped_request_made_while_disabled_is_not_checked(
    void **state)
{
    struct ck_rig r;
    struct vw_check_view off;

    (void)state;
    ck_rig_init(&r);
    off = r.obs.view;
    off.bus_master = false;
    vw_check_submitted(r.c, 0, 0, 0, &off);
    vw_check_submit_done(r.c, 0, 0);
    vw_check_stopped(r.c, vw_check_begin(r.c), "a VM stop");
    vw_check_never_completed(r.c);
    assert_int_equal(vw_check_violations(r.c)->lost_kicks, 0);
    assert_int_equal(vw_check_violations(r.c)->never_completed, 0);
    assert_string_equal(vw_check_first(r.c), "");
    vw_check_destroy(r.c);
}

static void vw_check_completed_twice_non_head_and_bad_status(void **state)
{
    struct ck_rig r;
    const struct vw_violations *v;

    (void)state;
    ck_rig_init(&r);
    v = vw_check_violations(r.c);
    vw_check_submitted(r.c, 0, 0, 0, &r.obs.view);
    vw_check_submitted(r.c, 0, 1, 1, &r.obs.view);
    vw_check_completed(r.c, 0, 0, 0);
    assert_int_equal(v->double_completions, 0);
    vw_check_completed(r.c, 0, 0, 0);
    assert_int_equal(v->double_completions, 1);
    assert_string_equal(vw_check_first(r.c),
                        "queue 0: request in slot 0 completed but not "
                        "outstanding (twice?)");
    vw_check_completed(r.c, 0, 1, 0); /* descriptor 1: no chain head */
    assert_int_equal(v->double_completions, 2);
    vw_check_completed(r.c, 0, 2, 0xff); /* slot 1, status not OK */
    assert_int_equal(v->bad_status, 1);
    vw_check_never_completed(r.c);
    assert_int_equal(v->never_completed, 0);
    vw_check_destroy(r.c);
}

static void vw_check_popped_while_vm_stopped_until_raw_write(void **state)
{
    struct ck_rig r;
    struct vw_check_view stopped;

    (void)state;
    ck_rig_init(&r);
    stopped = r.obs.view;
    stopped.vm_running = false;
    vw_check_popped(r.c, 0, 0, &r.obs.view);
    assert_int_equal(vw_check_violations(r.c)->processed_disabled, 0);
    vw_check_popped(r.c, 0, 0, &stopped);
    assert_int_equal(vw_check_violations(r.c)->processed_disabled, 1);
    assert_string_equal(vw_check_first(r.c),
                        "queue 0 processed while the VM is stopped");
    vw_check_waive(r.c, true); /* the guest's view is unknown now */
    vw_check_popped(r.c, 0, 0, &stopped);
    assert_int_equal(vw_check_violations(r.c)->processed_disabled, 1);
    vw_check_destroy(r.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(virtio_pci_ioeventfd_default_on_for_blk_and_net_only),
        cmocka_unit_test(virtio_pci_init_bad_config_is_einval),
        cmocka_unit_test(virtio_pci_console_default_never_assigns),
        cmocka_unit_test(virtio_pci_driver_ok_assigns_one_notifier_per_ring),
        cmocka_unit_test(virtio_pci_driver_ok_without_rings_assigns_nothing),
        cmocka_unit_test(
            virtio_pci_start_kicks_queues_with_requests_already_in_ring),
        cmocka_unit_test(
            virtio_pci_driver_ok_without_bus_master_does_not_start),
        cmocka_unit_test(virtio_pci_legacy_kick_hits_ioeventfd_with_datamatch),
        cmocka_unit_test(virtio_pci_modern_kick_len0_with_any_length_else_2),
        cmocka_unit_test(
            virtio_pci_status_without_driver_ok_stops_before_status_set),
        cmocka_unit_test(virtio_pci_stop_takes_kick_that_raced_with_deassign),
        cmocka_unit_test(virtio_pci_status_zero_resets_and_deassigns),
        cmocka_unit_test(virtio_pci_legacy_pfn0_resets_and_deassigns),
        cmocka_unit_test(virtio_pci_bus_master_clear_stops_and_gates_kicks),
        cmocka_unit_test(virtio_pci_host_reset_stops_and_clears_command),
        cmocka_unit_test(virtio_pci_vm_stop_stops_ioeventfd_before_backend),
        cmocka_unit_test(
            virtio_pci_vm_resume_without_driver_ok_stays_stopped),
        cmocka_unit_test(virtio_pci_unplug_deassigns_and_refuses_accesses),
        cmocka_unit_test(
            virtio_pci_grab_moves_notifiers_and_last_release_moves_back),
        cmocka_unit_test(
            virtio_pci_grab_while_stopped_restarts_nothing_on_release),
        cmocka_unit_test(
            virtio_pci_stop_while_grabbed_deassigns_grabbers_notifiers),
        cmocka_unit_test_setup_teardown(
            virtio_pci_nth_assign_failure_falls_back_and_keeps_working,
            reset_faults, reset_faults),
        cmocka_unit_test(
            virtio_pci_refused_deassign_keeps_notifier_then_falls_back),
        cmocka_unit_test(virtio_pci_bad_register_accesses_are_ignored),
        cmocka_unit_test(virtio_pci_legacy_reads_report_queue_and_status),
        cmocka_unit_test(virtio_pci_save_load_resume_takes_pending_request),
        cmocka_unit_test(
            virtio_pci_legacy_register_reads_table),
        cmocka_unit_test(
            virtio_pci_common_register_reads_table),
        cmocka_unit_test(
            virtio_pci_common_ring_address_halves_and_whole),
        cmocka_unit_test(
            virtio_pci_unplugged_refuses_every_entry_point),
        cmocka_unit_test(
            virtio_pci_grab_bad_loop_and_same_vm_state_change_nothing),
        cmocka_unit_test(
            virtio_pci_load_rejects_bad_queue_state),
        cmocka_unit_test(
            virtio_pci_init_defaults_name_and_multiplier),
        cmocka_unit_test(
            virtqueue_no_interrupt_follows_avail_flags),
        cmocka_unit_test(virtqueue_pop_malformed_rings_break_the_queue),
        cmocka_unit_test(virtqueue_pop_push_chain_and_wrap),
        cmocka_unit_test(virtqueue_pop_full_ring_pops_every_entry),
        cmocka_unit_test(vw_race_300_seeds_pct_no_lost_kick),
        cmocka_unit_test_setup_teardown(
            vw_nth_assign_failure_loop_keeps_invariants, reset_faults,
            reset_faults),
        cmocka_unit_test_setup_teardown(
            vw_nth_alloc_failure_in_stop_then_migrate_keeps_invariants,
            reset_faults, reset_faults),
        cmocka_unit_test(virtio_fuzz_run_random_streams_hold_invariants),
        cmocka_unit_test(virtio_fuzz_run_kick_then_vm_stop_is_checked),
        cmocka_unit_test(
            scn_virtio_variants_differ_in_exits_and_hold_invariants),
        cmocka_unit_test(scn_virtio_same_seed_same_trace_hash),
        cmocka_unit_test(scn_virtio_net_more_vcpus_is_config_error),
        cmocka_unit_test(
            vw_check_stopped_kicked_request_not_taken_is_lost_kick),
        cmocka_unit_test(
            vw_check_stopped_request_made_while_disabled_is_not_checked),
        cmocka_unit_test(vw_check_completed_twice_non_head_and_bad_status),
        cmocka_unit_test(vw_check_popped_while_vm_stopped_until_raw_write),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
