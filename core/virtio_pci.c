/*
 * core/virtio_pci.c - virtio-pci proxy: registers, host notifiers, and the
 * start/stop of ioeventfd (seed 001).  The behaviour is described in
 * core/virtio_pci.h.
 *
 * State: `started` is the logical switch (ioeventfd is on); the physical
 * state is per queue (live, assigned, loop).  While started, every queue
 * that had a ring at start has a live, assigned notifier whose handler is
 * in the owner loop: the grabber's while grabbed, else the proxy's own.
 * Queues whose rings appear after the start have no notifier; their kicks
 * reach the proxy as ordinary exits.
 *
 * Assumes: every entry point runs with the big lock held, so the loops'
 * handlers (which also run with it) never interleave with a transition.
 */
#include <errno.h>
#include <string.h>

#include "core/testcase.h"
#include "core/virtio_pci.h"

bool virtio_pci_ioeventfd_default(enum virtio_pci_kind kind)
{
    return kind == VIRTIO_PCI_KIND_BLK || kind == VIRTIO_PCI_KIND_NET;
}

static bool queue_size_ok(uint16_t n)
{
    return n != 0 && n <= VIRTQUEUE_MAX_SIZE && (n & (n - 1)) == 0;
}

int virtio_pci_init(struct virtio_pci *p, const struct virtio_pci_config *cfg)
{
    if (!cfg || !cfg->kvm || !cfg->lock || !cfg->loop.set_handler ||
        !cfg->dev_ops || !cfg->dev_ops->handle_output ||
        !cfg->dev_ops->reset || !cfg->mem || cfg->nqueues == 0 ||
        cfg->nqueues > VIRTIO_PCI_QUEUE_MAX ||
        !queue_size_ok(cfg->queue_size) ||
        (cfg->transport != VIRTIO_PCI_LEGACY &&
         cfg->transport != VIRTIO_PCI_MODERN) ||
        (cfg->notify_multiplier != 0 &&
         (cfg->notify_multiplier < 2 || cfg->notify_multiplier % 2))) {
        return -EINVAL;
    }
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    if (!p->cfg.name) {
        p->cfg.name = "virtio-pci";
    }
    if (!p->cfg.notify_multiplier) {
        p->cfg.notify_multiplier = 4;
    }
    switch (cfg->ioeventfd) {
    case VIRTIO_PCI_IOEVENTFD_ON:
        p->use_ioeventfd = true;
        break;
    case VIRTIO_PCI_IOEVENTFD_OFF:
        p->use_ioeventfd = false;
        break;
    default:
        p->use_ioeventfd = virtio_pci_ioeventfd_default(cfg->kind);
        break;
    }
    p->running = !cfg->vm_stopped;
    for (unsigned n = 0; n < cfg->nqueues; n++) {
        virtqueue_init(&p->q[n].vq, cfg->mem, cfg->queue_size);
        p->q[n].proxy = p;
        p->q[n].index = n;
    }
    return 0;
}

bool virtio_pci_may_process(const struct virtio_pci *p)
{
    return (p->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
           (p->command & VIRTIO_PCI_COMMAND_MASTER) && p->running &&
           !p->unplugged;
}

struct virtqueue *virtio_pci_vq(struct virtio_pci *p, unsigned n)
{
    return n < p->cfg.nqueues ? &p->q[n].vq : NULL;
}

unsigned virtio_pci_assigned(const struct virtio_pci *p)
{
    unsigned k = 0;

    for (unsigned n = 0; n < p->cfg.nqueues; n++) {
        k += p->q[n].assigned;
    }
    return k;
}

void virtio_pci_notify_ioeventfd(const struct virtio_pci *p, unsigned n,
                                 struct plat_ioeventfd *io)
{
    memset(io, 0, sizeof(*io));
    if (p->cfg.transport == VIRTIO_PCI_LEGACY) {
        io->pio = true;
        io->addr = p->cfg.legacy_base + VIRTIO_PCI_QUEUE_NOTIFY;
        io->len = 2;
        io->datamatch = true;
        io->data = n;
    } else {
        io->addr = p->cfg.notify_base +
                   (uint64_t)n * p->cfg.notify_multiplier;
        io->len = plat_kvm_ioeventfd_any_length(p->cfg.kvm) ? 0 : 2;
    }
}

/* ---- processing ---- */

/* Run queue q's handler if the device may process (virtio_queue_notify_vq).
 * A kick while it may not is counted and dropped: the requests stay in
 * the ring and the next start or kick takes them. */
static void queue_notify(struct virtio_pci *p, struct virtio_pci_queue *q)
{
    plat_lock_assert_held(p->cfg.lock);
    if (!q->vq.ready) {
        return;
    }
    if (!virtio_pci_may_process(p)) {
        p->stats.gated_kicks++;
        return;
    }
    p->cfg.dev_ops->handle_output(p->cfg.dev, q->index, &q->vq);
}

/* The loop's handler of a host notifier. */
static void host_notifier_read(void *opaque)
{
    struct virtio_pci_queue *q = opaque;

    plat_lock_assert_held(q->proxy->cfg.lock);
    if (!q->live) {
        return;
    }
    if (plat_eventfd_test_and_clear(&q->notifier)) {
        q->proxy->stats.notifier_kicks++;
        queue_notify(q->proxy, q);
    }
}

/* ---- host notifiers ---- */

/* Initialise q's notifier already signalled, hand it to KVM and install
 * the handler in loop.  On failure nothing of it is left. */
static int notifier_setup(struct virtio_pci *p, struct virtio_pci_queue *q,
                          const struct virtio_pci_loop *loop)
{
    struct plat_ioeventfd io;
    int r;

    if (q->live) {
        /* Kept after KVM refused its deassign: KVM may still signal it. */
        KVMSIM_MARK(VIRTIO_NOTIFIER_STILL_LIVE);
        return -EBUSY;
    }
    plat_eventfd_init(&q->notifier, "virtio host notifier");
    plat_eventfd_signal(&q->notifier);
    q->live = true;
    virtio_pci_notify_ioeventfd(p, q->index, &io);
    io.efd = &q->notifier;
    r = plat_kvm_ioeventfd(p->cfg.kvm, &io, true);
    if (r < 0) {
        KVMSIM_MARK(VIRTIO_ASSIGN_FAILED);
        p->stats.assign_errors++;
        plat_eventfd_destroy(&q->notifier);
        q->live = false;
        return r;
    }
    p->stats.assigns++;
    q->assigned = true;
    q->notify_len = io.len;
    loop->set_handler(loop->loop, &q->notifier, host_notifier_read, q);
    q->loop = loop;
    return 0;
}

/* Remove q's handler, deassign, then process a kick that raced with the
 * deassign, then release the notifier (only once KVM let go of it). */
static void notifier_teardown(struct virtio_pci *p, struct virtio_pci_queue *q)
{
    struct plat_ioeventfd io;
    int r;

    if (q->loop) {
        q->loop->set_handler(q->loop->loop, &q->notifier, NULL, NULL);
        q->loop = NULL;
    }
    if (q->assigned) {
        virtio_pci_notify_ioeventfd(p, q->index, &io);
        io.len = q->notify_len;
        io.efd = &q->notifier;
        r = plat_kvm_ioeventfd(p->cfg.kvm, &io, false);
        if (r < 0) {
            KVMSIM_MARK(VIRTIO_DEASSIGN_REFUSED);
            p->stats.deassign_errors++;
        } else {
            p->stats.deassigns++;
            q->assigned = false;
        }
    }
    /* The guest may have kicked after the loop last looked and before
     * KVM let go of the notifier: that kick is only in the counter. */
    if (plat_eventfd_test_and_clear(&q->notifier)) {
        KVMSIM_MARK(VIRTIO_POST_STOP_KICK);
        p->stats.post_stop_kicks++;
        queue_notify(p, q);
    }
    if (!q->assigned) {
        plat_eventfd_destroy(&q->notifier);
        q->live = false;
    }
}

static const struct virtio_pci_loop *owner_loop(struct virtio_pci *p)
{
    return p->grabbed ? &p->grab_loop : &p->cfg.loop;
}

/* Start every queue's notifier in loop.  On failure of queue n the queues
 * before n are undone and the error is returned. */
static int notifiers_start(struct virtio_pci *p,
                           const struct virtio_pci_loop *loop)
{
    unsigned n;
    int r = 0;

    plat_trace_begin("virtio-pci: start ioeventfd");
    for (n = 0; n < p->cfg.nqueues; n++) {
        if (!p->q[n].vq.ready) {
            continue;
        }
        r = notifier_setup(p, &p->q[n], loop);
        if (r < 0) {
            break;
        }
    }
    if (r < 0) {
        KVMSIM_MARK(VIRTIO_START_UNDO);
        while (n-- > 0) {
            if (p->q[n].vq.ready && p->q[n].live) {
                notifier_teardown(p, &p->q[n]);
            }
        }
        plat_trace_end();
        return r;
    }
    /* Kick every queue once: requests already in the rings get processed
     * even though the loop need not notice the initial signal. */
    for (n = 0; n < p->cfg.nqueues; n++) {
        if (p->q[n].live && p->q[n].assigned) {
            plat_eventfd_signal(&p->q[n].notifier);
        }
    }
    p->stats.starts++;
    plat_trace_end();
    return 0;
}

static void notifiers_stop(struct virtio_pci *p)
{
    plat_trace_begin("virtio-pci: stop ioeventfd");
    for (unsigned n = 0; n < p->cfg.nqueues; n++) {
        if (p->q[n].live) {
            notifier_teardown(p, &p->q[n]);
        }
    }
    p->stats.stops++;
    plat_trace_end();
}

/* A start failed: ioeventfd is off for the device from now on.  Every
 * queue is processed once, since a kick may have been consumed by a
 * notifier that is gone (or requests came in with a migration). */
static void fall_back(struct virtio_pci *p, int err)
{
    p->use_ioeventfd = false;
    p->started = false;
    p->stats.fallbacks++;
    KVMSIM_MARK(VIRTIO_SYNC_FALLBACK);
    plat_trace_instant("virtio-pci: ioeventfd off, synchronous notify", err);
    for (unsigned n = 0; n < p->cfg.nqueues; n++) {
        queue_notify(p, &p->q[n]);
    }
}

static void start_ioeventfd(struct virtio_pci *p)
{
    int r;

    if (!p->use_ioeventfd || p->started || !virtio_pci_may_process(p)) {
        return;
    }
    r = notifiers_start(p, owner_loop(p));
    if (r < 0) {
        fall_back(p, r);
        return;
    }
    p->started = true;
}

static void stop_ioeventfd(struct virtio_pci *p)
{
    if (!p->started) {
        return;
    }
    notifiers_stop(p);
    p->started = false;
}

/* ---- device state ---- */

static void device_reset(struct virtio_pci *p)
{
    stop_ioeventfd(p);
    p->cfg.dev_ops->reset(p->cfg.dev);
    for (unsigned n = 0; n < p->cfg.nqueues; n++) {
        virtqueue_reset(&p->q[n].vq);
        p->q[n].vq.num = p->cfg.queue_size;
        p->q[n].desc = 0;
        p->q[n].avail = 0;
        p->q[n].used = 0;
    }
    p->status = 0;
    p->queue_sel = 0;
    p->guest_features = 0;
}

static void set_status(struct virtio_pci *p, uint8_t val)
{
    if (!(val & VIRTIO_CONFIG_S_DRIVER_OK)) {
        stop_ioeventfd(p);
    }
    p->status = val;
    if (val == 0) {
        device_reset(p);
        return;
    }
    if (val & VIRTIO_CONFIG_S_DRIVER_OK) {
        start_ioeventfd(p);
    }
}

static struct virtio_pci_queue *selected(struct virtio_pci *p)
{
    return p->queue_sel < p->cfg.nqueues ? &p->q[p->queue_sel] : NULL;
}

static int bad_access(struct virtio_pci *p)
{
    p->stats.bad_accesses++;
    return -EINVAL;
}

static int sync_notify(struct virtio_pci *p, uint64_t n)
{
    if (n >= p->cfg.nqueues) {
        return bad_access(p);
    }
    p->stats.sync_kicks++;
    queue_notify(p, &p->q[n]);
    return 0;
}

/* ---- legacy ---- */

int virtio_pci_legacy_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint32_t val, unsigned len)
{
    struct virtio_pci_queue *q;

    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return -ENODEV;
    }
    if (p->cfg.transport != VIRTIO_PCI_LEGACY) {
        return bad_access(p);
    }
    switch (off) {
    case VIRTIO_PCI_GUEST_FEATURES:
        if (len != 4) {
            return bad_access(p);
        }
        p->guest_features = val;
        return 0;
    case VIRTIO_PCI_QUEUE_PFN:
        q = selected(p);
        if (len != 4) {
            return bad_access(p);
        }
        if (val == 0) {
            /* Whatever queue is selected, as QEMU does. */
            device_reset(p);
            return 0;
        }
        if (!q) {
            return bad_access(p);
        }
        return virtqueue_set_legacy_pfn(&q->vq, val) < 0 ? bad_access(p) : 0;
    case VIRTIO_PCI_QUEUE_SEL:
        if (len != 2) {
            return bad_access(p);
        }
        p->queue_sel = (uint16_t)val;
        return 0;
    case VIRTIO_PCI_QUEUE_NOTIFY:
        if (len != 2) {
            return bad_access(p);
        }
        return sync_notify(p, val);
    case VIRTIO_PCI_STATUS:
        if (len != 1) {
            return bad_access(p);
        }
        set_status(p, (uint8_t)val);
        return 0;
    default:
        return bad_access(p);
    }
}

int virtio_pci_legacy_read_locked(struct virtio_pci *p, uint64_t off,
                                  unsigned len, uint32_t *val)
{
    struct virtio_pci_queue *q = selected(p);

    plat_lock_assert_held(p->cfg.lock);
    *val = 0;
    if (p->unplugged) {
        return -ENODEV;
    }
    if (p->cfg.transport != VIRTIO_PCI_LEGACY) {
        return bad_access(p);
    }
    switch (off) {
    case VIRTIO_PCI_HOST_FEATURES:
        return len == 4 ? 0 : bad_access(p);
    case VIRTIO_PCI_GUEST_FEATURES:
        *val = p->guest_features;
        return len == 4 ? 0 : bad_access(p);
    case VIRTIO_PCI_QUEUE_PFN:
        *val = q && q->vq.ready
                   ? (uint32_t)(q->vq.desc / VIRTQUEUE_LEGACY_ALIGN)
                   : 0;
        return len == 4 ? 0 : bad_access(p);
    case VIRTIO_PCI_QUEUE_NUM:
        *val = q ? q->vq.num : 0;
        return len == 2 ? 0 : bad_access(p);
    case VIRTIO_PCI_QUEUE_SEL:
        *val = p->queue_sel;
        return len == 2 ? 0 : bad_access(p);
    case VIRTIO_PCI_STATUS:
        *val = p->status;
        return len == 1 ? 0 : bad_access(p);
    case VIRTIO_PCI_ISR:
        return len == 1 ? 0 : bad_access(p);
    default:
        return bad_access(p);
    }
}

/* ---- modern ---- */

/* Replace the low (hi false) or high half of a 64-bit address, or all of
 * it for an 8-byte access at the low offset. */
static int set_addr_part(struct virtio_pci *p, uint64_t *a, bool hi,
                         uint64_t val, unsigned len)
{
    if (len == 8 && !hi) {
        *a = val;
    } else if (len == 4) {
        *a = hi ? (*a & 0xffffffffull) | (val << 32)
                : (*a & ~0xffffffffull) | (val & 0xffffffffull);
    } else {
        return bad_access(p);
    }
    return 0;
}

int virtio_pci_common_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint64_t val, unsigned len)
{
    struct virtio_pci_queue *q = selected(p);

    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return -ENODEV;
    }
    if (p->cfg.transport != VIRTIO_PCI_MODERN) {
        return bad_access(p);
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_STATUS:
        if (len != 1) {
            return bad_access(p);
        }
        set_status(p, (uint8_t)val);
        return 0;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        if (len != 2) {
            return bad_access(p);
        }
        p->queue_sel = (uint16_t)val;
        return 0;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        if (len != 2 || !q || q->vq.ready || !queue_size_ok((uint16_t)val) ||
            val > p->cfg.queue_size) {
            return bad_access(p);
        }
        q->vq.num = (uint16_t)val;
        return 0;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (len != 2 || !q || val != 1 || q->vq.ready) {
            return bad_access(p);
        }
        return virtqueue_set_rings(&q->vq, q->desc, q->avail, q->used) < 0
                   ? bad_access(p)
                   : 0;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        if (!q || q->vq.ready) {
            return bad_access(p);
        }
        return set_addr_part(p, &q->desc, off == VIRTIO_PCI_COMMON_Q_DESCHI,
                             val, len);
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        if (!q || q->vq.ready) {
            return bad_access(p);
        }
        return set_addr_part(p, &q->avail,
                             off == VIRTIO_PCI_COMMON_Q_AVAILHI, val, len);
    case VIRTIO_PCI_COMMON_Q_USEDLO:
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        if (!q || q->vq.ready) {
            return bad_access(p);
        }
        return set_addr_part(p, &q->used, off == VIRTIO_PCI_COMMON_Q_USEDHI,
                             val, len);
    default:
        return bad_access(p);
    }
}

int virtio_pci_common_read_locked(struct virtio_pci *p, uint64_t off,
                                  unsigned len, uint64_t *val)
{
    struct virtio_pci_queue *q = selected(p);
    unsigned want;

    plat_lock_assert_held(p->cfg.lock);
    *val = 0;
    if (p->unplugged) {
        return -ENODEV;
    }
    if (p->cfg.transport != VIRTIO_PCI_MODERN) {
        return bad_access(p);
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_NUMQ:
        *val = p->cfg.nqueues;
        want = 2;
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        *val = p->status;
        want = 1;
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        *val = p->queue_sel;
        want = 2;
        break;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        *val = q ? q->vq.num : 0;
        want = 2;
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        *val = q ? q->vq.ready : 0;
        want = 2;
        break;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        *val = q ? q->index : 0;
        want = 2;
        break;
    default:
        return bad_access(p);
    }
    return len == want ? 0 : bad_access(p);
}

int virtio_pci_notify_write_locked(struct virtio_pci *p, uint64_t off,
                                   uint32_t val, unsigned len)
{
    plat_lock_assert_held(p->cfg.lock);
    (void)val;
    if (p->unplugged) {
        return -ENODEV;
    }
    if (p->cfg.transport != VIRTIO_PCI_MODERN || len == 0 || len > 4 ||
        off % p->cfg.notify_multiplier) {
        return bad_access(p);
    }
    return sync_notify(p, off / p->cfg.notify_multiplier);
}

/* ---- PCI config ---- */

int virtio_pci_set_command_locked(struct virtio_pci *p, uint16_t command)
{
    bool was = p->command & VIRTIO_PCI_COMMAND_MASTER;

    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return -ENODEV;
    }
    if (!(command & VIRTIO_PCI_COMMAND_MASTER)) {
        /* The device may not touch guest memory any more. */
        stop_ioeventfd(p);
        p->command = command;
        p->status &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
        return 0;
    }
    p->command = command;
    if (!was) {
        start_ioeventfd(p);
    }
    return 0;
}

/* ---- host side ---- */

void virtio_pci_reset_locked(struct virtio_pci *p)
{
    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return;
    }
    device_reset(p);
    p->command = 0;
}

void virtio_pci_vm_state_change_locked(struct virtio_pci *p, bool running)
{
    plat_lock_assert_held(p->cfg.lock);
    if (running == p->running) {
        return;
    }
    if (running) {
        /* The backend first, so the start's kick finds it running. */
        p->running = true;
        if (p->cfg.dev_ops->set_running) {
            p->cfg.dev_ops->set_running(p->cfg.dev, true);
        }
        start_ioeventfd(p);
        return;
    }
    /* ioeventfd first: the kicks it still finds go to a running backend. */
    stop_ioeventfd(p);
    p->running = false;
    if (p->cfg.dev_ops->set_running) {
        p->cfg.dev_ops->set_running(p->cfg.dev, false);
    }
}

static bool same_loop(const struct virtio_pci_loop *a,
                      const struct virtio_pci_loop *b)
{
    return a->set_handler == b->set_handler && a->loop == b->loop;
}

int virtio_pci_grab_notifiers_locked(struct virtio_pci *p,
                                     const struct virtio_pci_loop *loop)
{
    int r;

    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return -ENODEV;
    }
    if (!loop || !loop->set_handler) {
        return -EINVAL;
    }
    if (p->grabbed) {
        if (!same_loop(loop, &p->grab_loop)) {
            return -EBUSY;
        }
        p->grabbed++;
        return 0;
    }
    if (p->started) {
        notifiers_stop(p);
    }
    p->grabbed = 1;
    p->grab_loop = *loop;
    if (p->started) {
        r = notifiers_start(p, &p->grab_loop);
        if (r < 0) {
            fall_back(p, r);
        }
    }
    return 0;
}

int virtio_pci_release_notifiers_locked(struct virtio_pci *p)
{
    int r;

    plat_lock_assert_held(p->cfg.lock);
    if (!p->grabbed) {
        return -EINVAL;
    }
    if (--p->grabbed) {
        return 0;
    }
    if (p->started) {
        notifiers_stop(p);
    }
    memset(&p->grab_loop, 0, sizeof(p->grab_loop));
    if (p->started) {
        r = notifiers_start(p, &p->cfg.loop);
        if (r < 0) {
            fall_back(p, r);
        }
    }
    return 0;
}

void virtio_pci_unplug_locked(struct virtio_pci *p)
{
    plat_lock_assert_held(p->cfg.lock);
    if (p->unplugged) {
        return;
    }
    device_reset(p);
    p->unplugged = true;
}

/* ---- migration ---- */

int virtio_pci_save_locked(struct virtio_pci *p, struct virtio_pci_state *s)
{
    plat_lock_assert_held(p->cfg.lock);
    if (p->running) {
        return -EBUSY;
    }
    memset(s, 0, sizeof(*s));
    s->status = p->status;
    s->command = p->command;
    s->queue_sel = p->queue_sel;
    s->guest_features = p->guest_features;
    s->nqueues = p->cfg.nqueues;
    for (unsigned n = 0; n < p->cfg.nqueues; n++) {
        const struct virtqueue *vq = &p->q[n].vq;

        s->q[n] = (struct virtio_pci_queue_state){
            .num = vq->num, .ready = vq->ready, .desc = vq->desc,
            .avail = vq->avail, .used = vq->used,
            .last_avail_idx = vq->last_avail_idx, .used_idx = vq->used_idx,
        };
    }
    return 0;
}

int virtio_pci_load_locked(struct virtio_pci *p,
                           const struct virtio_pci_state *s)
{
    plat_lock_assert_held(p->cfg.lock);
    if (p->running || p->started) {
        return -EBUSY;
    }
    if (p->unplugged || s->nqueues != p->cfg.nqueues) {
        return -EINVAL;
    }
    for (unsigned n = 0; n < s->nqueues; n++) {
        const struct virtio_pci_queue_state *q = &s->q[n];

        if (!queue_size_ok(q->num) || q->num > p->cfg.queue_size ||
            (q->ready && (!q->desc || !q->avail || !q->used))) {
            return -EINVAL;
        }
    }
    p->status = s->status;
    p->command = s->command;
    p->queue_sel = s->queue_sel;
    p->guest_features = s->guest_features;
    for (unsigned n = 0; n < s->nqueues; n++) {
        const struct virtio_pci_queue_state *q = &s->q[n];
        struct virtqueue *vq = &p->q[n].vq;

        virtqueue_reset(vq);
        vq->num = q->num;
        if (q->ready) {
            virtqueue_set_rings(vq, q->desc, q->avail, q->used);
            vq->last_avail_idx = q->last_avail_idx;
            vq->used_idx = q->used_idx;
        }
    }
    return 0;
}
