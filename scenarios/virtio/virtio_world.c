/*
 * scenarios/virtio/virtio_world.c - the simulated VM around core/virtio_pci:
 * guest driver, big lock, event loops, blk and net backends, disk and host
 * transitions (see virtio_world.h).  The invariants are judged by
 * model/virtio/virtio_check.c: the world reports to it what it does and
 * what it sees (vw_check_*, world_observe()).
 *
 * Guest memory layout: queue q owns an area at 0x1000 + q * area holding
 * its rings (legacy layout at the area's page frame, also used for the
 * modern transport), then 32-byte request records, then a data page, each
 * part page-aligned and sized for the queue size.  A request is a fixed
 * descriptor chain per slot: blk {header, data, status}, net {header,
 * packet}.
 *
 * The VMM: a vCPU's exit that KVM does not complete takes the big lock and
 * calls the proxy (QEMU's global mutex); the event loops dispatch their
 * handlers with it held.  An event loop learns that one of its eventfds was
 * signalled through the simulator's eventfd hook (sim_eventfd_set_hook),
 * which marks the handler ready and wakes the loop: an edge-triggered
 * epoll.  The disk completes requests in submission order after their
 * latency; completions reach the guest through the iothread.
 *
 * Assumes: one vCPU per request queue (its interrupt eventfd has one
 * waiter).  Nothing here reads the clock or unseeded randomness; jitter
 * and transition choices come from the tape (sim_jitter).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/virtio/virtio_check.h"
#include "scenarios/virtio/virtio_world.h"
#include "sim/fault.h"
#include "sim/kvm.h"
#include "sim/tape.h"
#include "sim/tsan.h"

/* The world's own state (guest, devices) is read and
 * written by several simulated threads on the understanding that none is
 * switched out between two platform calls: it is not instrumented
 * (sim/tsan.h); the core code it calls is. */
SIM_TSAN_ENGINE_BEGIN

#define VW_LEGACY_BASE 0xc000ull
#define VW_PCI_CFG_PORT 0xcfcull
#define VW_COMMON_BASE 0xfe000000ull
#define VW_NOTIFY_BASE 0xfe001000ull
#define VW_NOTIFY_MULT 4u
#define VW_MEM_BASE 0x1000ull
#define VW_PAGE 4096ull
#define VW_REC_SIZE 32u
#define VW_LOOP_SLOTS (VIRTIO_PCI_QUEUE_MAX + 4)
#define VW_MAX_VCPUS VIRTIO_PCI_QUEUE_MAX
#define VW_NET_TX 1u
#define VW_BLK_STATUS_OK 0
#define VW_BLK_STATUS_UNSUPP 2
#define VW_MSI_ADDR 0xfee00000ull

/* ---- state ---- */

struct vw_slot {
    bool outstanding;
    uint64_t submit_ns;
};

struct vw_gq {
    unsigned index;
    bool ready;            /* the guest placed the rings */
    uint64_t base, desc, avail, used, rec, data;
    uint16_t num, chain, nslots;
    uint16_t avail_idx;    /* next index the guest publishes */
    uint16_t last_used;    /* next used entry the guest reaps */
    unsigned outstanding;
    unsigned next_slot;
    struct vw_slot *slot;  /* queue_size entries */
    struct plat_eventfd irq; /* the device interrupted this queue */
};

struct vw_loop;

struct vw_loop_slot {
    struct vw_loop *loop;
    struct plat_eventfd *e;  /* identity only */
    virtio_pci_handler_fn *fn;
    void *opaque;
    bool used;
    bool ready;
};

struct vw_loop {
    struct vw_world *w;
    const char *name;
    struct plat_eventfd wake;
    struct vw_loop_slot slot[VW_LOOP_SLOTS];
    struct virtio_pci_loop ops;
    uint64_t wakeups;
};

struct vw_io {
    unsigned q;
    uint16_t head;
    uint64_t status_addr;
    uint64_t done_ns;
    uint64_t gen;
};

/* The device behind the proxy: blk (with its disk) or net. */
struct vw_dev {
    struct vw_world *w;
    bool running;          /* the backend runs (VM state) */
    uint64_t gen;          /* bumped by every reset */
    struct vw_io *fifo;
    uint64_t cap;
    uint64_t head;         /* oldest request not completed */
    uint64_t disk;         /* [head, disk) finished on the disk */
    uint64_t tail;         /* next submission */
    struct plat_eventfd kick; /* a request was submitted (disk thread) */
    struct plat_eventfd done; /* the disk finished some (iothread) */
};

struct vw_vcpu {
    struct vw_world *w;
    unsigned index;
    unsigned q;
    bool done;
    unsigned pause_gen; /* the last pause it was counted in */
    struct plat_eventfd resume;
};

/* The race phase's actors (virtio_world.h); the checker keeps its model
 * of the notify path and its figures. */
struct vw_race {
    unsigned live;          /* actors not finished (atomic) */
    struct plat_lock pause_lock; /* one updater pauses the vCPUs at once */
    struct plat_eventfd done;    /* an actor finished */
};

struct vw_world {
    struct vw_params p;
    struct sim *sim;
    struct virtio_mem mem;
    struct plat_kvm *kvm;
    struct virtio_pci *proxy;
    struct plat_lock bql;
    struct vw_loop loop[2];       /* 0: iothread, 1: vhost-style worker */
    struct vw_dev dev;
    struct vw_gq gq[VIRTIO_PCI_QUEUE_MAX];
    struct vw_vcpu vcpu[VW_MAX_VCPUS];
    /* the guest's view of the device */
    bool g_driver_ok, g_bus_master, g_unplugged;
    /* host */
    bool vm_running;
    unsigned vhost_grabs;
    /* threaded control */
    bool pause_req;
    unsigned pause_gen; /* one per pause_vcpus() */
    unsigned npaused, ndone;
    struct plat_eventfd paused_efd;
    struct plat_eventfd init_done;
    bool giving_up;       /* a vCPU found its queue unusable */
    /* the heal phase: its deadline (0: none), vCPUs, those done */
    uint64_t heal_deadline;
    unsigned heal_vcpus, heal_done;
    bool heal_ended;      /* heal_end was told */
    uint64_t post_stop_carry; /* from proxies replaced by migration */
    uint64_t fallback_carry;
    bool finished;
    /* results: the checker's, the figures */
    struct vw_check *ck;
    struct vw_stats st;
    /* guest memory layout: per-queue area and offsets inside it */
    uint64_t area, rec_off, data_off;
    /* the timed part: its actors still running, its frozen figures */
    unsigned timed_live;
    bool timed_frozen;
    struct vw_stats st_timed;
    struct vw_race race;
};

static uint64_t page_up(uint64_t n)
{
    return (n + VW_PAGE - 1) & ~(VW_PAGE - 1);
}

static const struct virtio_dev_ops vw_dev_ops;
static void world_observe(void *arg, struct vw_check_obs *o);

/* ---- reporting ---- */

const struct vw_violations *vw_violations(const struct vw_world *w)
{
    return vw_check_violations(w->ck);
}

const struct vw_stats *vw_stats(struct vw_world *w)
{
    if (w->timed_frozen) {
        return &w->st_timed; /* the race phase does not count */
    }
    w->st.post_stop_kicks = w->post_stop_carry +
                            (w->proxy ? w->proxy->stats.post_stop_kicks : 0);
    w->st.fallbacks = w->fallback_carry +
                      (w->proxy ? w->proxy->stats.fallbacks : 0);
    return &w->st;
}

const struct vw_race_stats *vw_race_stats(const struct vw_world *w)
{
    return vw_check_race_stats(w->ck);
}

const char *vw_first_violation(const struct vw_world *w)
{
    return vw_check_first(w->ck);
}

struct virtio_pci *vw_proxy(struct vw_world *w)
{
    return w->proxy;
}

struct plat_kvm *vw_kvm(struct vw_world *w)
{
    return w->kvm;
}

/* ---- event loops ---- */

/* The eventfd hook: runs in the signaller's context.  Marks the handler
 * ready first, then wakes the loop (the signal may switch threads). */
static void loop_hook(void *arg, struct plat_eventfd *e)
{
    struct vw_loop_slot *s = arg;
    struct vw_world *w = s->loop->w;
    bool notifier = false;

    for (unsigned n = 0; n < w->p.nqueues; n++) {
        notifier = notifier || e == &w->proxy->q[n].notifier;
    }
    vw_check_loop_signal(w->ck, notifier);
    s->ready = true;
    plat_eventfd_signal(&s->loop->wake);
}

static void loop_set_handler(void *opaque, struct plat_eventfd *e,
                             virtio_pci_handler_fn *fn, void *arg)
{
    struct vw_loop *l = opaque;
    struct vw_loop_slot *s = NULL;

    for (unsigned i = 0; i < VW_LOOP_SLOTS; i++) {
        if (l->slot[i].used && l->slot[i].e == e) {
            s = &l->slot[i];
            break;
        }
    }
    if (!fn) {
        if (s) {
            sim_eventfd_set_hook(e, NULL, NULL);
            memset(s, 0, sizeof(*s));
        }
        return;
    }
    for (unsigned i = 0; !s && i < VW_LOOP_SLOTS; i++) {
        if (!l->slot[i].used) {
            s = &l->slot[i];
        }
    }
    if (!s) {
        vw_check_harness(l->w->ck, "%s: no free handler slot", l->name);
        return;
    }
    *s = (struct vw_loop_slot){
        .loop = l, .e = e, .fn = fn, .opaque = arg, .used = true,
    };
    sim_eventfd_set_hook(e, loop_hook, s);
    vw_check_handler_installed(l->w->ck, e, l->name);
}

static void loop_init(struct vw_loop *l, struct vw_world *w,
                      const char *name)
{
    memset(l, 0, sizeof(*l));
    l->w = w;
    l->name = name;
    plat_eventfd_init(&l->wake, name);
    l->ops.set_handler = loop_set_handler;
    l->ops.loop = l;
}

static void loop_fini(struct vw_loop *l)
{
    for (unsigned i = 0; i < VW_LOOP_SLOTS; i++) {
        if (l->slot[i].used) {
            sim_eventfd_set_hook(l->slot[i].e, NULL, NULL);
        }
    }
    /* l->wake is not destroyed: the loop's daemon thread may still be
     * blocked on it when the run ended; its memory goes with the world. */
}

/* Call every ready handler once, in slot order.  Big lock held. */
static void loop_dispatch_locked(struct vw_loop *l)
{
    for (unsigned i = 0; i < VW_LOOP_SLOTS; i++) {
        struct vw_loop_slot *s = &l->slot[i];

        if (s->used && s->ready) {
            s->ready = false;
            s->fn(s->opaque);
        }
    }
}

void vw_loop_dispatch(struct vw_world *w, unsigned which)
{
    struct vw_loop *l = &w->loop[which ? 1 : 0];

    plat_eventfd_test_and_clear(&l->wake);
    plat_lock(&w->bql);
    loop_dispatch_locked(l);
    plat_unlock(&w->bql);
}

static void loop_thread(void *arg)
{
    struct vw_loop *l = arg;
    struct vw_world *w = l->w;

    for (;;) {
        plat_eventfd_wait(&l->wake);
        plat_eventfd_test_and_clear(&l->wake);
        __atomic_fetch_add(&l->wakeups, 1, __ATOMIC_RELAXED);
        w->st.loop_wakeups++;
        plat_spend_ns(w->p.cost.loop_dispatch_ns);
        plat_lock(&w->bql);
        loop_dispatch_locked(l);
        plat_unlock(&w->bql);
    }
}

/* ---- the guest driver ---- */

/* The guest's view and the VMM's run state, for the checker. */
static struct vw_check_view world_view(const struct vw_world *w)
{
    return (struct vw_check_view){
        .driver_ok = w->g_driver_ok, .bus_master = w->g_bus_master,
        .unplugged = w->g_unplugged, .vm_running = w->vm_running,
        .backend_running = w->dev.running,
    };
}

static uint64_t slot_rec(const struct vw_gq *g, unsigned s)
{
    return g->rec + (uint64_t)s * VW_REC_SIZE;
}

/* The VMM's userspace side of an exit: which register the access hits. */
static int vmm_access_locked(struct vw_world *w, bool pio, uint64_t addr,
                             unsigned len, uint64_t *val, bool write)
{
    struct virtio_pci *p = w->proxy;
    uint32_t v32;
    int rc;

    if (pio && addr >= VW_LEGACY_BASE &&
        addr < VW_LEGACY_BASE + VIRTIO_PCI_LEGACY_SIZE) {
        if (write) {
            return virtio_pci_legacy_write_locked(p, addr - VW_LEGACY_BASE,
                                                  (uint32_t)*val, len);
        }
        rc = virtio_pci_legacy_read_locked(p, addr - VW_LEGACY_BASE, len,
                                           &v32);
        *val = v32;
        return rc;
    }
    if (pio && addr == VW_PCI_CFG_PORT) {
        if (write) {
            return virtio_pci_set_command_locked(p, (uint16_t)*val);
        }
        *val = p->command;
        return 0;
    }
    if (!pio && addr >= VW_COMMON_BASE &&
        addr < VW_COMMON_BASE + VIRTIO_PCI_COMMON_SIZE) {
        return write ? virtio_pci_common_write_locked(p, addr - VW_COMMON_BASE,
                                                      *val, len)
                     : virtio_pci_common_read_locked(p, addr - VW_COMMON_BASE,
                                                     len, val);
    }
    if (!pio && write && addr >= VW_NOTIFY_BASE &&
        addr < VW_NOTIFY_BASE + (uint64_t)VW_NOTIFY_MULT * p->cfg.nqueues) {
        return virtio_pci_notify_write_locked(p, addr - VW_NOTIFY_BASE,
                                              (uint32_t)*val, len);
    }
    return -ENODEV;
}

/* A vCPU's register access: KVM first, userspace (under the big lock) if
 * KVM exits.  Returns 0 when KVM completed it (an ioeventfd), 1 when it
 * went to userspace, or a negative errno. */
static int guest_access(struct vw_world *w, bool pio, uint64_t addr,
                        unsigned len, uint64_t *val, bool write)
{
    uint8_t buf[8] = {0};
    uint64_t v = write ? *val : 0;
    int rc;

    for (unsigned i = 0; i < len && i < 8; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    rc = sim_kvm_vcpu_io(w->kvm, pio, addr, len, buf, write, NULL);
    if (rc <= 0) {
        return rc;
    }
    plat_lock(&w->bql);
    vmm_access_locked(w, pio, addr, len, &v, write);
    plat_unlock(&w->bql);
    if (!write) {
        *val = v;
    }
    return 1;
}

static void reg_write(struct vw_world *w, bool pio, uint64_t addr,
                      unsigned len, uint64_t val)
{
    guest_access(w, pio, addr, len, &val, true);
}

static uint64_t reg_read(struct vw_world *w, bool pio, uint64_t addr,
                         unsigned len)
{
    uint64_t v = 0;

    guest_access(w, pio, addr, len, &v, false);
    return v;
}

static bool legacy(const struct vw_world *w)
{
    return w->p.transport == VIRTIO_PCI_LEGACY;
}

static void status_write(struct vw_world *w, uint8_t s)
{
    if (legacy(w)) {
        reg_write(w, true, VW_LEGACY_BASE + VIRTIO_PCI_STATUS, 1, s);
    } else {
        reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_STATUS, 1, s);
    }
}

/* The guest reaps used entry id: the checker judges it, the guest takes
 * it if it is one of its requests in flight. */
static void complete_slot(struct vw_world *w, struct vw_gq *g, uint32_t id)
{
    struct vw_slot *s;
    uint64_t now = plat_now_ns();
    bool head = !(id % g->chain) && id / g->chain < g->nslots;
    uint8_t st = 0xff;

    if (head && virtio_mem_range_ok(&w->mem,
                                    slot_rec(g, id / g->chain) + 16, 1)) {
        st = w->mem.base[slot_rec(g, id / g->chain) + 16];
    }
    vw_check_completed(w->ck, g->index, id, st);
    if (!head || !g->slot[id / g->chain].outstanding) {
        return;
    }
    s = &g->slot[id / g->chain];
    s->outstanding = false;
    g->outstanding--;
    w->st.completed++;
    w->st.latency_ns_sum += now - s->submit_ns;
    w->st.last_complete_ns = now;
    plat_spend_ns(w->p.cost.guest_irq_ns);
}

void vw_guest_reap(struct vw_world *w, unsigned q)
{
    struct vw_gq *g = &w->gq[q % w->p.nqueues];
    uint16_t idx;

    if (!g->ready || !virtio_mem_read16(&w->mem, g->used + 2, &idx)) {
        return;
    }
    while (g->last_used != idx) {
        uint32_t id = 0;

        virtio_mem_read32(&w->mem, g->used + 4 + 8ull *
                          (g->last_used % g->num), &id);
        g->last_used++;
        complete_slot(w, g, id);
    }
}

/* The device went away under the guest (reset, unplug): collect what it
 * completed, give up on the rest, forget the rings. */
static void guest_device_gone(struct vw_world *w)
{
    for (unsigned q = 0; q < w->p.nqueues; q++) {
        struct vw_gq *g = &w->gq[q];

        vw_guest_reap(w, q);
        for (unsigned s = 0; s < g->nslots; s++) {
            if (g->slot[s].outstanding) {
                g->slot[s].outstanding = false;
                w->st.discarded++;
            }
        }
        vw_check_queue_gone(w->ck, q);
        g->outstanding = 0;
        g->ready = false;
        g->avail_idx = 0;
        g->last_used = 0;
    }
    w->g_driver_ok = false;
}

/* A transition that began at t0 stopped ioeventfd while the device stays
 * usable: the checker's lost-kick checkpoint (virtio_check.h). */
static void checkpoint(struct vw_world *w, uint64_t t0, const char *what)
{
    w->st.checkpoints++;
    vw_check_stopped(w->ck, t0, what);
}

static void check_no_ioeventfd(struct vw_world *w, const char *what)
{
    vw_check_no_ioeventfd(w->ck, w->kvm, what);
}

/* Lay out and zero queue q's rings; the guest's driver state restarts. */
static void guest_setup_queue(struct vw_world *w, unsigned q, uint16_t num)
{
    struct vw_gq *g = &w->gq[q];
    unsigned i;

    g->base = VW_MEM_BASE + q * w->area;
    g->num = num;
    g->chain = w->p.kind == VIRTIO_PCI_KIND_BLK ? 3 : 2;
    g->nslots = (uint16_t)(num / g->chain);
    virtqueue_legacy_layout(num, (uint32_t)(g->base / VIRTQUEUE_LEGACY_ALIGN),
                            &g->desc, &g->avail, &g->used);
    g->rec = g->base + w->rec_off;
    g->data = g->base + w->data_off;
    memset(w->mem.base + g->base, 0, w->rec_off);
    g->avail_idx = 0;
    g->last_used = 0;
    g->outstanding = 0;
    g->next_slot = 0;
    for (i = 0; i < g->nslots; i++) {
        g->slot[i].outstanding = false;
    }
    vw_check_queue_setup(w->ck, q, g->chain, g->nslots);
}

int vw_guest_init(struct vw_world *w)
{
    uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

    if (!w->vm_running) {
        return -EAGAIN;
    }
    if (w->g_unplugged) {
        return -ENODEV;
    }
    /* PCI: enable I/O, memory and bus mastering. */
    w->g_bus_master = true;
    reg_write(w, true, VW_PCI_CFG_PORT, 2, 0x7);
    status_write(w, 0);
    guest_device_gone(w);
    status_write(w, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    status_write(w, st);
    if (!legacy(w)) {
        st |= VIRTIO_CONFIG_S_FEATURES_OK;
        status_write(w, st);
    }
    for (unsigned q = 0; q < w->p.nqueues; q++) {
        uint16_t num;

        if (legacy(w)) {
            reg_write(w, true, VW_LEGACY_BASE + VIRTIO_PCI_QUEUE_SEL, 2, q);
            num = (uint16_t)reg_read(w, true,
                                     VW_LEGACY_BASE + VIRTIO_PCI_QUEUE_NUM, 2);
        } else {
            reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_Q_SELECT,
                      2, q);
            num = (uint16_t)reg_read(w, false, VW_COMMON_BASE +
                                     VIRTIO_PCI_COMMON_Q_SIZE, 2);
        }
        if (num == 0 || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1))) {
            continue;
        }
        guest_setup_queue(w, q, num);
        if (legacy(w)) {
            reg_write(w, true, VW_LEGACY_BASE + VIRTIO_PCI_QUEUE_PFN, 4,
                      w->gq[q].base / VIRTQUEUE_LEGACY_ALIGN);
        } else {
            reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_Q_DESCLO,
                      8, w->gq[q].desc);
            reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_Q_AVAILLO,
                      8, w->gq[q].avail);
            reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_Q_USEDLO,
                      8, w->gq[q].used);
            reg_write(w, false, VW_COMMON_BASE + VIRTIO_PCI_COMMON_Q_ENABLE,
                      2, 1);
        }
        w->gq[q].ready = true;
    }
    w->g_driver_ok = true;
    status_write(w, st | VIRTIO_CONFIG_S_DRIVER_OK);
    return 0;
}

/* Fill slot s's descriptors for one request. */
static void guest_fill(struct vw_world *w, struct vw_gq *g, unsigned s)
{
    const struct virtio_mem *m = &w->mem;
    uint16_t d = (uint16_t)(s * g->chain);
    uint64_t rec = slot_rec(g, s);
    uint64_t dt = g->desc + 16ull * d;

    if (w->p.kind == VIRTIO_PCI_KIND_BLK) {
        virtio_mem_write32(m, rec, 0);                  /* VIRTIO_BLK_T_IN */
        virtio_mem_write64(m, rec + 8, w->st.submitted); /* sector */
        m->base[rec + 16] = 0xff;                       /* status */
        virtio_mem_write64(m, dt, rec);
        virtio_mem_write32(m, dt + 8, 16);
        virtio_mem_write16(m, dt + 12, VRING_DESC_F_NEXT);
        virtio_mem_write16(m, dt + 14, (uint16_t)(d + 1));
        virtio_mem_write64(m, dt + 16, g->data);
        virtio_mem_write32(m, dt + 24, 4096);
        virtio_mem_write16(m, dt + 28, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
        virtio_mem_write16(m, dt + 30, (uint16_t)(d + 2));
        virtio_mem_write64(m, dt + 32, rec + 16);
        virtio_mem_write32(m, dt + 40, 1);
        virtio_mem_write16(m, dt + 44, VRING_DESC_F_WRITE);
        virtio_mem_write16(m, dt + 46, 0);
    } else {
        virtio_mem_write64(m, dt, rec);
        virtio_mem_write32(m, dt + 8, 12);      /* virtio_net_hdr_mrg_rxbuf */
        virtio_mem_write16(m, dt + 12, VRING_DESC_F_NEXT);
        virtio_mem_write16(m, dt + 14, (uint16_t)(d + 1));
        virtio_mem_write64(m, dt + 16, g->data);
        virtio_mem_write32(m, dt + 24, 1500);
        virtio_mem_write16(m, dt + 28, 0);
        virtio_mem_write16(m, dt + 30, 0);
    }
}

static bool queue_has_room(struct vw_world *w, unsigned q)
{
    struct vw_gq *g = &w->gq[q];

    return g->ready && g->outstanding < g->nslots;
}

int vw_guest_submit(struct vw_world *w, unsigned q)
{
    struct vw_gq *g;
    struct vw_slot *r;
    unsigned s;
    uint16_t flags = 0;

    if (!w->vm_running) {
        return -EAGAIN;
    }
    g = &w->gq[q % w->p.nqueues];
    if (!g->ready) {
        return -ENODEV;
    }
    vw_guest_reap(w, g->index);
    if (g->outstanding >= g->nslots) {
        return -ENOSPC;
    }
    for (s = g->next_slot; g->slot[s].outstanding; s = (s + 1) % g->nslots) {
    }
    g->next_slot = (s + 1) % g->nslots;
    guest_fill(w, g, s);
    r = &g->slot[s];
    *r = (struct vw_slot){.outstanding = true, .submit_ns = plat_now_ns()};
    {
        struct vw_check_view view = world_view(w);

        vw_check_submitted(w->ck, g->index, s, g->avail_idx, &view);
    }
    g->outstanding++;
    if (!w->st.submitted) {
        w->st.first_submit_ns = r->submit_ns;
    }
    w->st.submitted++;
    virtio_mem_write16(&w->mem, g->avail + 4 + 2ull * (g->avail_idx % g->num),
                       (uint16_t)(s * g->chain));
    g->avail_idx++;
    virtio_mem_write16(&w->mem, g->avail + 2, g->avail_idx);
    virtio_mem_read16(&w->mem, g->used, &flags);
    if (flags & VRING_USED_F_NO_NOTIFY) {
        w->st.kicks_skipped++;
    } else {
        uint64_t t = plat_now_ns();
        uint64_t v = g->index;
        int rc = legacy(w)
                     ? guest_access(w, true, VW_LEGACY_BASE +
                                    VIRTIO_PCI_QUEUE_NOTIFY, 2, &v, true)
                     : guest_access(w, false, VW_NOTIFY_BASE +
                                    (uint64_t)VW_NOTIFY_MULT * g->index, 2,
                                    &v, true);

        w->st.kicks++;
        if (rc == 0) {
            w->st.exits_light++;
        } else if (rc == 1) {
            w->st.exits_heavy++;
        }
        vw_check_kick_exit(w->ck, rc == 0);
        w->st.exit_ns += plat_now_ns() - t;
    }
    vw_check_submit_done(w->ck, g->index, s);
    return 0;
}

void vw_guest_status(struct vw_world *w, uint8_t status)
{
    uint64_t t0;

    if (!w->vm_running || w->g_unplugged) {
        return;
    }
    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        w->g_driver_ok = true;
    }
    t0 = vw_check_begin(w->ck);
    status_write(w, status);
    if (status == 0) {
        check_no_ioeventfd(w, "a reset (status 0)");
        guest_device_gone(w);
        return;
    }
    if (!(status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        checkpoint(w, t0, "a status write without DRIVER_OK");
        check_no_ioeventfd(w, "a status write without DRIVER_OK");
        w->g_driver_ok = false;
    }
}

void vw_guest_bus_master(struct vw_world *w, bool on)
{
    uint64_t t0;

    if (!w->vm_running || w->g_unplugged) {
        return;
    }
    if (on) {
        w->g_bus_master = true;
        reg_write(w, true, VW_PCI_CFG_PORT, 2, 0x7);
        return;
    }
    t0 = vw_check_begin(w->ck);
    reg_write(w, true, VW_PCI_CFG_PORT, 2, 0x3);
    checkpoint(w, t0, "clearing bus master");
    check_no_ioeventfd(w, "clearing bus master");
    w->g_bus_master = false;
    w->g_driver_ok = false;
}

void vw_guest_legacy_pfn0(struct vw_world *w)
{
    if (!w->vm_running || w->g_unplugged || !legacy(w)) {
        return;
    }
    reg_write(w, true, VW_LEGACY_BASE + VIRTIO_PCI_QUEUE_PFN, 4, 0);
    check_no_ioeventfd(w, "a legacy reset (queue PFN 0)");
    guest_device_gone(w);
}

void vw_guest_corrupt(struct vw_world *w, uint32_t where, uint8_t value)
{
    uint64_t a = VW_MEM_BASE + (where % (w->p.nqueues * w->area));

    vw_check_waive(w->ck, false);
    w->mem.base[a] = value;
}

void vw_guest_raw_write(struct vw_world *w, uint8_t reg, uint32_t val)
{
    static const unsigned legacy_len[VIRTIO_PCI_LEGACY_SIZE] = {
        [VIRTIO_PCI_GUEST_FEATURES] = 4, [VIRTIO_PCI_QUEUE_PFN] = 4,
        [VIRTIO_PCI_QUEUE_SEL] = 2, [VIRTIO_PCI_QUEUE_NOTIFY] = 2,
        [VIRTIO_PCI_STATUS] = 1,
    };
    unsigned len = 1u << (val & 3);

    if (!w->vm_running) {
        return;
    }
    vw_check_waive(w->ck, true);
    if (reg & 0x80) {
        /* The natural width, so the write usually lands. */
        len = legacy(w) ? legacy_len[reg % VIRTIO_PCI_LEGACY_SIZE]
                        : (reg & 0x40 ? 8 : 2);
        len = len ? len : 4;
    }
    if (legacy(w)) {
        reg_write(w, true, VW_LEGACY_BASE + reg % VIRTIO_PCI_LEGACY_SIZE,
                  len > 4 ? 4 : len, val >> 2);
    } else if (reg & 0x20) {
        reg_write(w, false, VW_NOTIFY_BASE + reg % 32, len > 4 ? 4 : len,
                  val >> 2);
    } else {
        reg_write(w, false, VW_COMMON_BASE + reg % VIRTIO_PCI_COMMON_SIZE,
                  len, val >> 2);
    }
}

/* ---- host side ---- */

void vw_host_reset(struct vw_world *w)
{
    if (w->g_unplugged) {
        return;
    }
    plat_lock(&w->bql);
    virtio_pci_reset_locked(w->proxy);
    check_no_ioeventfd(w, "a device reset");
    plat_unlock(&w->bql);
    guest_device_gone(w);
    w->g_bus_master = false;
}

void vw_host_unplug(struct vw_world *w)
{
    if (w->g_unplugged) {
        return;
    }
    plat_lock(&w->bql);
    virtio_pci_unplug_locked(w->proxy);
    check_no_ioeventfd(w, "unplug");
    plat_unlock(&w->bql);
    guest_device_gone(w);
    w->g_unplugged = true;
}

static void vm_stop_locked(struct vw_world *w, const char *what)
{
    uint64_t t0 = vw_check_begin(w->ck);

    virtio_pci_vm_state_change_locked(w->proxy, false);
    w->vm_running = false;
    checkpoint(w, t0, what);
    check_no_ioeventfd(w, what);
}

void vw_vm_stop(struct vw_world *w)
{
    if (!w->vm_running) {
        return;
    }
    plat_lock(&w->bql);
    vm_stop_locked(w, "a VM stop");
    plat_unlock(&w->bql);
}

void vw_vm_resume(struct vw_world *w)
{
    if (w->vm_running) {
        return;
    }
    plat_lock(&w->bql);
    w->vm_running = true;
    virtio_pci_vm_state_change_locked(w->proxy, true);
    plat_unlock(&w->bql);
}

int vw_vhost_grab(struct vw_world *w)
{
    uint64_t t0;
    int rc;

    plat_lock(&w->bql);
    t0 = vw_check_begin(w->ck);
    rc = virtio_pci_grab_notifiers_locked(w->proxy, &w->loop[1].ops);
    if (rc == 0 && w->vhost_grabs++ == 0) {
        /* The first grab stopped ioeventfd in the iothread's loop. */
        checkpoint(w, t0, "a vhost grab");
    }
    plat_unlock(&w->bql);
    return rc;
}

int vw_vhost_release(struct vw_world *w)
{
    uint64_t t0;
    int rc;

    plat_lock(&w->bql);
    t0 = vw_check_begin(w->ck);
    rc = virtio_pci_release_notifiers_locked(w->proxy);
    if (rc == 0 && --w->vhost_grabs == 0) {
        /* The last release stopped ioeventfd in the worker's loop. */
        checkpoint(w, t0, "a vhost release");
    }
    plat_unlock(&w->bql);
    return rc;
}

void vw_set_any_length(struct vw_world *w, bool on)
{
    w->p.any_length = on;
    vw_check_set_any_length(w->ck, on);
    sim_kvm_set_ioeventfd_any_length(w->kvm, on);
}

static void proxy_config(struct vw_world *w, struct virtio_pci_config *c,
                         struct plat_kvm *kvm, bool vm_stopped)
{
    memset(c, 0, sizeof(*c));
    c->name = w->p.kind == VIRTIO_PCI_KIND_BLK ? "virtio-blk" : "virtio-net";
    c->kind = w->p.kind;
    c->transport = w->p.transport;
    c->ioeventfd = w->p.ioeventfd ? VIRTIO_PCI_IOEVENTFD_ON
                                  : VIRTIO_PCI_IOEVENTFD_OFF;
    c->nqueues = w->p.nqueues;
    c->queue_size = w->p.queue_size;
    c->legacy_base = VW_LEGACY_BASE;
    c->common_base = VW_COMMON_BASE;
    c->notify_base = VW_NOTIFY_BASE;
    c->notify_multiplier = VW_NOTIFY_MULT;
    c->vm_stopped = vm_stopped;
    c->kvm = kvm;
    c->lock = &w->bql;
    c->loop = w->loop[0].ops;
    c->dev_ops = &vw_dev_ops;
    c->dev = &w->dev;
    c->mem = &w->mem;
}

/* Migration to a new VMM and KVM on the same guest memory: stop, save,
 * load into the destination, resume there.  The vhost-style user grabs
 * the destination's notifiers as it held the source's. */
static int migrate_locked(struct vw_world *w)
{
    struct virtio_pci_config c;
    struct virtio_pci_state s;
    struct virtio_pci *dst;
    struct plat_kvm *kvm;
    int rc;

    if (w->g_unplugged) {
        return -ENODEV;
    }
    if (w->vm_running) {
        vm_stop_locked(w, "the migration's VM stop");
    }
    rc = virtio_pci_save_locked(w->proxy, &s);
    if (rc < 0) {
        return rc;
    }
    kvm = sim_kvm_create(w->p.nvcpus);
    dst = calloc(1, sizeof(*dst));
    if (!kvm || !dst) {
        sim_kvm_destroy(kvm);
        free(dst);
        return -ENOMEM;
    }
    sim_kvm_set_ioeventfd_any_length(kvm, w->p.any_length);
    proxy_config(w, &c, kvm, true);
    if (virtio_pci_init(dst, &c) < 0 || virtio_pci_load_locked(dst, &s) < 0) {
        vw_check_harness(w->ck, "migration: the state did not load");
        sim_kvm_destroy(kvm);
        free(dst);
        return -EINVAL;
    }
    vw_check_migration_source(w->ck, w->kvm);
    for (unsigned i = 0; i < w->vhost_grabs; i++) {
        virtio_pci_grab_notifiers_locked(dst, &w->loop[1].ops);
    }
    w->post_stop_carry += w->proxy->stats.post_stop_kicks;
    w->fallback_carry += w->proxy->stats.fallbacks;
    vw_check_kvm_retired(w->ck, w->kvm);
    sim_kvm_destroy(w->kvm);
    free(w->proxy);
    w->kvm = kvm;
    w->proxy = dst;
    w->vm_running = true;
    virtio_pci_vm_state_change_locked(w->proxy, true);
    return 0;
}

int vw_migrate(struct vw_world *w)
{
    int rc;

    plat_lock(&w->bql);
    rc = migrate_locked(w);
    plat_unlock(&w->bql);
    return rc;
}

/* ---- the devices ---- */

static void guest_interrupt(struct vw_world *w, unsigned q)
{
    plat_kvm_signal_msi(w->kvm, VW_MSI_ADDR, 0x30 + q, 0);
    plat_eventfd_signal(&w->gq[q].irq);
}

/* Complete one block request: status byte, used ring. */
static void blk_complete(struct vw_world *w, const struct vw_io *io)
{
    struct virtqueue *vq = virtio_pci_vq(w->proxy, io->q);

    if (!vw_check_blk_complete(w->ck, io->q, io->gen, w->dev.gen)) {
        return;
    }
    plat_spend_ns(w->p.cost.blk_complete_ns);
    if (virtio_mem_range_ok(&w->mem, io->status_addr, 1)) {
        w->mem.base[io->status_addr] = VW_BLK_STATUS_OK;
    }
    if (vq) {
        virtqueue_push(vq, io->head, 1);
        vw_check_pushed(w->ck, io->q);
    }
}

/* Complete [head, upto); interrupt each queue that got completions. */
static void blk_complete_upto(struct vw_world *w, uint64_t upto)
{
    struct vw_dev *d = &w->dev;
    bool touched[VIRTIO_PCI_QUEUE_MAX] = {false};

    while (d->head < upto) {
        struct vw_io *io = &d->fifo[d->head % d->cap];

        d->head++;
        if (d->disk < d->head) {
            d->disk = d->head;
        }
        blk_complete(w, io);
        touched[io->q] = true;
    }
    for (unsigned q = 0; q < w->p.nqueues; q++) {
        if (touched[q]) {
            guest_interrupt(w, q);
        }
    }
}

/* Finish every request in flight now (reset, VM stop): wait for the disk
 * where a request is not done yet.  Big lock held. */
static void blk_drain(struct vw_world *w)
{
    struct vw_dev *d = &w->dev;

    while (d->head < d->tail) {
        uint64_t due = d->fifo[d->head % d->cap].done_ns;

        if (w->sim && plat_now_ns() < due && d->head >= d->disk) {
            sim_sleep_ns(due - plat_now_ns());
        }
        blk_complete_upto(w, d->head + 1);
    }
}

static void blk_done_handler(void *opaque)
{
    struct vw_world *w = opaque;

    plat_eventfd_test_and_clear(&w->dev.done);
    blk_complete_upto(w, w->dev.disk);
}

static bool blk_request_ok(const struct virtqueue_elem *e)
{
    return e->nsg >= 2 && !e->sg[0].write && e->sg[0].len >= 16 &&
           e->sg[e->nsg - 1].write && e->sg[e->nsg - 1].len >= 1;
}

static void blk_take(struct vw_world *w, unsigned n,
                     const struct virtqueue_elem *e, struct virtqueue *vq)
{
    struct vw_dev *d = &w->dev;
    struct vw_io *io;
    uint64_t lat = w->p.cost.disk_latency_ns;

    plat_spend_ns(w->p.cost.blk_submit_ns);
    if (!blk_request_ok(e) || d->tail - d->head >= d->cap) {
        if (e->nsg && e->sg[e->nsg - 1].write &&
            virtio_mem_range_ok(&w->mem, e->sg[e->nsg - 1].addr, 1)) {
            w->mem.base[e->sg[e->nsg - 1].addr] = VW_BLK_STATUS_UNSUPP;
        }
        virtqueue_push(vq, e->head, 1);
        vw_check_pushed(w->ck, n);
        guest_interrupt(w, n);
        return;
    }
    io = &d->fifo[d->tail % d->cap];
    *io = (struct vw_io){
        .q = n, .head = e->head, .status_addr = e->sg[e->nsg - 1].addr,
        .done_ns = plat_now_ns() + lat +
                   sim_jitter(0, w->p.cost.disk_jitter_ns),
        .gen = d->gen,
    };
    d->tail++;
    plat_eventfd_signal(&d->kick);
}

static void net_take(struct vw_world *w, unsigned n,
                     const struct virtqueue_elem *e, struct virtqueue *vq)
{
    (void)n;
    (void)e;
    plat_spend_ns(w->p.cost.net_tx_ns);
    virtqueue_push(vq, e->head, 0);
    vw_check_pushed(w->ck, n);
}

/* handle_output: take everything available, with kicks suppressed while
 * the device is at it, then look once more after re-enabling them. */
static void dev_handle_output(void *opaque, unsigned n, struct virtqueue *vq)
{
    struct vw_dev *d = opaque;
    struct vw_world *w = d->w;
    struct virtqueue_elem e;
    bool net = w->p.kind == VIRTIO_PCI_KIND_NET;
    uint64_t pushed = vq->pushed;

    if (net && n != VW_NET_TX) {
        return; /* rx: the guest posts buffers; nothing to transmit */
    }
    do {
        int r;

        virtqueue_set_notification(vq, false);
        while ((r = virtqueue_pop(vq, &e)) == 1) {
            struct vw_check_view view = world_view(w);

            vw_check_popped(w->ck, n, e.head, &view);
            if (net) {
                net_take(w, n, &e, vq);
            } else {
                blk_take(w, n, &e, vq);
            }
        }
        virtqueue_set_notification(vq, true);
        if (r < 0) {
            break;
        }
    } while (virtqueue_has_avail(vq));
    if (net && vq->pushed != pushed) {
        guest_interrupt(w, n);
    }
}

static void dev_reset(void *opaque)
{
    struct vw_dev *d = opaque;

    blk_drain(d->w);
    d->gen++;
}

static void dev_set_running(void *opaque, bool running)
{
    struct vw_dev *d = opaque;

    if (!running) {
        /* QEMU drains block requests when the VM stops. */
        blk_drain(d->w);
    }
    d->running = running;
}

static const struct virtio_dev_ops vw_dev_ops = {
    .handle_output = dev_handle_output,
    .reset = dev_reset,
    .set_running = dev_set_running,
};

bool vw_disk_step(struct vw_world *w)
{
    struct vw_dev *d = &w->dev;

    if (d->disk >= d->tail) {
        return false;
    }
    d->disk++;
    plat_eventfd_signal(&d->done);
    return true;
}

/* The disk: finishes requests in submission order after their latency. */
static void disk_thread(void *arg)
{
    struct vw_world *w = arg;
    struct vw_dev *d = &w->dev;

    for (;;) {
        uint64_t s, due;

        while (d->disk >= d->tail) {
            plat_eventfd_wait(&d->kick);
            plat_eventfd_test_and_clear(&d->kick);
        }
        s = d->disk;
        due = d->fifo[s % d->cap].done_ns;
        if (plat_now_ns() < due) {
            sim_sleep_ns(due - plat_now_ns());
        }
        if (d->disk == s) {
            d->disk = s + 1;
            plat_eventfd_signal(&d->done);
        }
    }
}

/* ---- setup ---- */

void vw_params_default(struct vw_params *p, enum virtio_pci_kind kind)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->transport = VIRTIO_PCI_LEGACY;
    p->ioeventfd = true;
    p->any_length = true;
    p->gap_ns = 2000000;
    p->cost = (struct vw_costs){
        .think_ns = 1000, .guest_add_ns = 300, .guest_irq_ns = 500,
        .loop_dispatch_ns = 300, .blk_submit_ns = 1500,
        .blk_complete_ns = 1000, .disk_latency_ns = 20000,
        .disk_jitter_ns = 2000, .net_tx_ns = 1000,
    };
    if (kind == VIRTIO_PCI_KIND_NET) {
        p->nvcpus = 1;
        p->nqueues = 2;
        p->queue_size = 256;
        p->iodepth = 128;
        p->requests = 20000;
        p->cost.think_ns = 700;
    } else {
        p->nvcpus = 4;
        p->nqueues = 4;
        p->queue_size = 128;
        p->iodepth = 4;
        p->requests = 1000;
    }
}

static int check_params(const struct vw_params *p, char *msg, size_t len)
{
    const char *why = NULL;

    if (p->kind != VIRTIO_PCI_KIND_BLK && p->kind != VIRTIO_PCI_KIND_NET) {
        why = "the device is blk or net";
    } else if (p->nqueues == 0 || p->nqueues > VIRTIO_PCI_QUEUE_MAX) {
        why = "queues: 1..8";
    } else if (p->kind == VIRTIO_PCI_KIND_NET && p->nqueues != 2) {
        why = "net has two queues (rx, tx)";
    } else if (p->kind == VIRTIO_PCI_KIND_NET && p->nvcpus != 1) {
        why = "net: one vCPU transmits";
    } else if (p->kind == VIRTIO_PCI_KIND_BLK &&
               (p->nvcpus == 0 || p->nvcpus != p->nqueues)) {
        why = "blk: one request queue per vCPU";
    } else if (p->queue_size < 4 || p->queue_size > VIRTQUEUE_MAX_SIZE ||
               (p->queue_size & (p->queue_size - 1))) {
        why = "queue size: a power of two, 4..1024";
    } else if (p->iodepth == 0) {
        why = "iodepth: at least 1";
    }
    if (why) {
        snprintf(msg, len, "%s", why);
        return -EINVAL;
    }
    return 0;
}

int vw_create(const struct vw_params *p, struct sim *sim,
              struct vw_world **out, char *msg, size_t msglen)
{
    struct virtio_pci_config c;
    struct vw_world *w;
    uint64_t d, a, u;
    bool oom = false;
    int rc;

    *out = NULL;
    if (msglen) {
        msg[0] = '\0';
    }
    rc = check_params(p, msg, msglen);
    if (rc < 0) {
        return rc;
    }
    w = calloc(1, sizeof(*w));
    if (!w) {
        return -ENOMEM;
    }
    w->p = *p;
    w->sim = sim;
    /* Per queue: the rings, the request records, a data page. */
    w->rec_off = page_up(virtqueue_legacy_layout(p->queue_size, 1, &d, &a,
                                                 &u));
    w->data_off = w->rec_off + page_up((uint64_t)p->queue_size *
                                       VW_REC_SIZE);
    w->area = w->data_off + VW_PAGE;
    w->mem.size = VW_MEM_BASE + p->nqueues * w->area;
    for (unsigned q = 0; q < p->nqueues; q++) {
        w->gq[q].slot = calloc(p->queue_size, sizeof(struct vw_slot));
        if (!w->gq[q].slot) {
            oom = true;
        }
    }
    {
        struct vw_check_config cc = {
            .nqueues = p->nqueues, .queue_size = p->queue_size,
            .blk = p->kind == VIRTIO_PCI_KIND_BLK, .net_tx = VW_NET_TX,
            .ioeventfd = p->ioeventfd,
            .legacy = p->transport == VIRTIO_PCI_LEGACY,
            .any_length = p->any_length,
            .observe = world_observe, .world = w,
        };

        if (vw_check_create(&cc, &w->ck) < 0) {
            oom = true;
        }
    }
    w->mem.base = calloc(1, w->mem.size);
    w->dev.cap = (uint64_t)p->nqueues * p->queue_size + 1;
    w->dev.fifo = calloc(w->dev.cap, sizeof(*w->dev.fifo));
    w->kvm = sim_kvm_create(p->nvcpus);
    w->proxy = calloc(1, sizeof(*w->proxy));
    if (oom || !w->mem.base || !w->dev.fifo || !w->kvm || !w->proxy) {
        sim_kvm_destroy(w->kvm);
        free(w->proxy);
        free(w->dev.fifo);
        free(w->mem.base);
        for (unsigned q = 0; q < p->nqueues; q++) {
            free(w->gq[q].slot);
        }
        vw_check_destroy(w->ck);
        free(w);
        return -ENOMEM;
    }
    sim_kvm_set_ioeventfd_any_length(w->kvm, p->any_length);
    plat_lock_init(&w->bql, PLAT_LOCK_MUTEX, "bql");
    loop_init(&w->loop[0], w, "iothread");
    loop_init(&w->loop[1], w, "vhost worker");
    w->dev.w = w;
    w->dev.running = true;
    plat_eventfd_init(&w->dev.kick, "disk submit");
    plat_eventfd_init(&w->dev.done, "disk done");
    plat_eventfd_init(&w->paused_efd, "vcpus paused");
    plat_eventfd_init(&w->init_done, "guest driver ready");
    plat_lock_init(&w->race.pause_lock, PLAT_LOCK_MUTEX, "race pause");
    plat_eventfd_init(&w->race.done, "race actor done");
    for (unsigned q = 0; q < VIRTIO_PCI_QUEUE_MAX; q++) {
        w->gq[q].index = q;
        plat_eventfd_init(&w->gq[q].irq, "guest interrupt");
    }
    for (unsigned i = 0; i < VW_MAX_VCPUS; i++) {
        w->vcpu[i].w = w;
        w->vcpu[i].index = i;
        w->vcpu[i].q = p->kind == VIRTIO_PCI_KIND_NET ? VW_NET_TX : i;
        plat_eventfd_init(&w->vcpu[i].resume, "vcpu resume");
    }
    w->vm_running = true;
    proxy_config(w, &c, w->kvm, false);
    rc = virtio_pci_init(w->proxy, &c);
    if (rc == 0) {
        plat_lock(&w->bql);
        loop_set_handler(&w->loop[0], &w->dev.done, blk_done_handler, w);
        plat_unlock(&w->bql);
    }
    if (rc < 0) {
        snprintf(msg, msglen, "the proxy refused its configuration");
        vw_destroy(w);
        return rc;
    }
    *out = w;
    return 0;
}

void vw_destroy(struct vw_world *w)
{
    if (!w) {
        return;
    }
    /* Release the notifiers first so their eventfds carry no hooks. */
    if (w->proxy && !w->proxy->unplugged && w->proxy->cfg.kvm) {
        plat_lock(&w->bql);
        virtio_pci_unplug_locked(w->proxy);
        plat_unlock(&w->bql);
    }
    loop_fini(&w->loop[0]);
    loop_fini(&w->loop[1]);
    sim_kvm_destroy(w->kvm);
    free(w->proxy);
    free(w->dev.fifo);
    free(w->mem.base);
    for (unsigned q = 0; q < w->p.nqueues; q++) {
        free(w->gq[q].slot);
    }
    vw_check_destroy(w->ck);
    free(w);
}

/* ---- threaded: vCPUs, control, watchdog ---- */

static void timed_actor_done(struct vw_world *w);

/* A vCPU stops here while a pause is asked for, and is counted once per
 * pause (pause_gen): a resume left signalled by an earlier pause, which a
 * vCPU that had finished never consumed, must not count it twice, or the
 * pause would stop the VM under a vCPU still inside an exit; a pause asked
 * again before the vCPU woke from the last one counts it again. */
static void pause_point(struct vw_world *w, struct vw_vcpu *v)
{
    while (__atomic_load_n(&w->pause_req, __ATOMIC_RELAXED)) {
        unsigned gen = __atomic_load_n(&w->pause_gen, __ATOMIC_RELAXED);

        if (v->pause_gen != gen) {
            v->pause_gen = gen;
            __atomic_fetch_add(&w->npaused, 1, __ATOMIC_RELAXED);
            plat_eventfd_signal(&w->paused_efd);
        }
        plat_eventfd_wait(&v->resume);
        plat_eventfd_test_and_clear(&v->resume);
    }
}

static void wait_irq(struct vw_world *w, struct vw_vcpu *v)
{
    struct vw_gq *g = &w->gq[v->q];

    plat_eventfd_wait(&g->irq);
    plat_eventfd_test_and_clear(&g->irq);
    vw_guest_reap(w, v->q);
    pause_point(w, v);
}

/* A vCPU's guest loop: submit n requests on its queue (waiting for room
 * and interrupts, pausing when asked), then wait for their completions. */
static void vcpu_submit(struct vw_world *w, struct vw_vcpu *v, uint64_t n)
{
    struct vw_gq *g = &w->gq[v->q];

    for (uint64_t r = 0; r < n && !w->giving_up; r++) {
        pause_point(w, v);
        while (!w->giving_up && (g->outstanding >= w->p.iodepth ||
                                 !queue_has_room(w, v->q))) {
            if (!g->ready) {
                w->giving_up = true;
                break;
            }
            wait_irq(w, v);
        }
        if (w->giving_up) {
            break;
        }
        plat_spend_ns(w->p.cost.think_ns);
        pause_point(w, v);
        plat_spend_ns(w->p.cost.guest_add_ns);
        vw_guest_submit(w, v->q);
    }
    while (g->outstanding && !w->giving_up) {
        wait_irq(w, v);
    }
}

static void vcpu_thread(void *arg)
{
    struct vw_vcpu *v = arg;
    struct vw_world *w = v->w;

    if (v->index == 0) {
        vw_guest_init(w);
        plat_eventfd_signal(&w->init_done);
    } else {
        plat_eventfd_wait(&w->init_done);
    }
    vcpu_submit(w, v, w->p.requests);
    w->st.vcpu_busy_ns += plat_now_ns();
    v->done = true;
    __atomic_fetch_add(&w->ndone, 1, __ATOMIC_RELAXED);
    plat_eventfd_signal(&w->paused_efd);
    timed_actor_done(w);
}

static void pause_vcpus(struct vw_world *w)
{
    __atomic_store_n(&w->npaused, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&w->pause_gen, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&w->pause_req, true, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < w->p.nvcpus; i++) {
        plat_eventfd_signal(&w->gq[w->vcpu[i].q].irq);
    }
    while (__atomic_load_n(&w->npaused, __ATOMIC_RELAXED) +
               __atomic_load_n(&w->ndone, __ATOMIC_RELAXED) <
           w->p.nvcpus) {
        plat_eventfd_wait(&w->paused_efd);
        plat_eventfd_test_and_clear(&w->paused_efd);
    }
}

static void resume_vcpus(struct vw_world *w)
{
    __atomic_store_n(&w->pause_req, false, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < w->p.nvcpus; i++) {
        plat_eventfd_signal(&w->vcpu[i].resume);
    }
}

enum vw_transition { VW_T_VM_STOP, VW_T_VHOST, VW_T_MIGRATE, VW_T_NR };

/* Let time pass between two steps of the host: a sleep, or with gap 0 (for
 * PCT, where a sleeper drops below everyone and time means nothing) a few
 * scheduling points, as many as the tape says. */
static void host_pause(struct vw_world *w, uint64_t ns)
{
    if (w->p.gap_ns) {
        sim_sleep_ns(ns + 1);
        return;
    }
    for (uint64_t k = sim_jitter(0, 8); k > 0; k--) {
        plat_yield();
    }
}

static void do_transition(struct vw_world *w, enum vw_transition t)
{
    switch (t) {
    case VW_T_VM_STOP:
        pause_vcpus(w);
        vw_vm_stop(w);
        host_pause(w, w->p.gap_ns / 8);
        vw_vm_resume(w);
        resume_vcpus(w);
        break;
    case VW_T_VHOST:
        vw_vhost_grab(w);
        host_pause(w, w->p.gap_ns / 2);
        vw_vhost_release(w);
        break;
    default:
        pause_vcpus(w);
        vw_migrate(w);
        resume_vcpus(w);
        break;
    }
    w->st.transitions++;
}

/* The host's transitions, gap_ns apart, while the vCPUs run.  No
 * watchdog: a request that is never completed leaves its vCPU waiting
 * for an interrupt, and the run ends as a deadlock naming it. */
static void control_thread(void *arg)
{
    struct vw_world *w = arg;
    unsigned left[VW_T_NR] = {w->p.vm_stops, w->p.vhost_cycles,
                              w->p.migrations};
    unsigned total = left[0] + left[1] + left[2];
    unsigned turn = 0;

    plat_eventfd_wait(&w->init_done);
    for (unsigned k = 0;
         k < total && __atomic_load_n(&w->ndone, __ATOMIC_RELAXED) <
                          w->p.nvcpus;
         k++) {
        unsigned t;

        host_pause(w, w->p.gap_ns);
        if (w->p.random_transitions) {
            t = (unsigned)sim_jitter(0, VW_T_NR - 1);
        } else {
            for (t = turn % VW_T_NR; !left[t]; t = (t + 1) % VW_T_NR) {
            }
            left[t]--;
            turn = t + 1;
        }
        do_transition(w, (enum vw_transition)t);
    }
    timed_actor_done(w);
}

/* ---- what the checker sees ---- */

/* The slot of loop l serving eventfd e, or NULL. */
static struct vw_loop_slot *loop_slot_of(struct vw_loop *l,
                                         const struct plat_eventfd *e)
{
    for (unsigned i = 0; i < VW_LOOP_SLOTS; i++) {
        if (l->slot[i].used && l->slot[i].e == e) {
            return &l->slot[i];
        }
    }
    return NULL;
}

/* Queues whose notifier has a handler in a loop (ioeventfd is on). */
static unsigned race_handlers(struct vw_world *w)
{
    unsigned h = 0;

    for (unsigned q = 0; q < w->p.nqueues; q++) {
        const struct plat_eventfd *e = &w->proxy->q[q].notifier;

        h += loop_slot_of(&w->loop[0], e) || loop_slot_of(&w->loop[1], e);
    }
    return h;
}

/* The checker's observation (vw_check_config.observe): reads only. */
static void world_observe(void *arg, struct vw_check_obs *o)
{
    struct vw_world *w = arg;

    memset(o, 0, sizeof(*o));
    o->view = world_view(w);
    o->kvm = w->kvm;
    o->vhost_grabs = w->vhost_grabs;
    o->loop_wakeups = __atomic_load_n(&w->loop[0].wakeups, __ATOMIC_RELAXED) +
                      __atomic_load_n(&w->loop[1].wakeups, __ATOMIC_RELAXED);
    for (unsigned q = 0; q < w->p.nqueues; q++) {
        struct vw_check_queue_obs *oq = &o->q[q];
        const struct vw_gq *g = &w->gq[q];
        struct virtqueue *vq = virtio_pci_vq(w->proxy, q);
        struct vw_loop_slot *s0, *s1;

        s0 = loop_slot_of(&w->loop[0], &w->proxy->q[q].notifier);
        s1 = loop_slot_of(&w->loop[1], &w->proxy->q[q].notifier);
        oq->ready = g->ready;
        oq->handler[0] = s0 != NULL;
        oq->handler[1] = s1 != NULL;
        oq->pending = (s0 && s0->ready) || (s1 && s1->ready);
        oq->avail_idx = g->avail_idx;
        oq->last_used = g->last_used;
        oq->outstanding = g->outstanding;
        if (g->ready) {
            virtio_mem_read16(&w->mem, g->used + 2, &oq->used_idx);
        }
        oq->has_vq = vq != NULL;
        oq->dev_avail = vq ? vq->last_avail_idx : 0;
    }
}

/* ---- the race phase (virtio_world.h) ---- */

static const enum vw_check_op race_check_op[] = {
    VW_CHECK_STOP, VW_CHECK_RESUME, VW_CHECK_GRAB, VW_CHECK_RELEASE,
    VW_CHECK_MIGRATE,
};

enum race_op { RACE_STOP, RACE_RESUME, RACE_GRAB, RACE_RELEASE,
               RACE_MIGRATE };

/* One transition of the notify path, with the big lock held throughout;
 * the checker looks before and after it.  Returns the core's result. */
static int race_transition(struct vw_world *w, enum race_op op)
{
    bool resumed = false;
    uint64_t t0;
    int r = 0;

    plat_lock(&w->bql);
    vw_check_race_before(w->ck);
    t0 = vw_check_begin(w->ck);
    switch (op) {
    case RACE_STOP:
        vm_stop_locked(w, "a VM stop (race phase)");
        break;
    case RACE_RESUME:
        w->vm_running = true;
        virtio_pci_vm_state_change_locked(w->proxy, true);
        break;
    case RACE_GRAB:
        r = virtio_pci_grab_notifiers_locked(w->proxy, &w->loop[1].ops);
        if (r == 0 && w->vhost_grabs++ == 0) {
            checkpoint(w, t0, "a vhost grab (race phase)");
        }
        break;
    case RACE_RELEASE:
        r = virtio_pci_release_notifiers_locked(w->proxy);
        if (r == 0 && --w->vhost_grabs == 0) {
            checkpoint(w, t0, "a vhost release (race phase)");
        }
        break;
    default:
        r = migrate_locked(w);
        if (r != 0 && !w->vm_running) {
            w->vm_running = true; /* the source runs on */
            virtio_pci_vm_state_change_locked(w->proxy, true);
            resumed = true;
        }
        break;
    }
    vw_check_race_after(w->ck, race_check_op[op], r, resumed);
    plat_unlock(&w->bql);
    return r;
}

static void race_actor_done(struct vw_world *w)
{
    if (__atomic_sub_fetch(&w->race.live, 1, __ATOMIC_RELAXED) == 0) {
        plat_eventfd_signal(&w->race.done);
    }
}

/* An updater's wait between two steps: up to race_gap_ns (the tape). */
static void race_gap(struct vw_world *w)
{
    if (w->p.race_gap_ns) {
        sim_sleep_ns(1 + sim_jitter(0, w->p.race_gap_ns));
        return;
    }
    for (uint64_t k = sim_jitter(0, 8); k > 0; k--) {
        plat_yield();
    }
}

static void race_vcpu_thread(void *arg)
{
    struct vw_vcpu *v = arg;
    struct vw_world *w = v->w;

    vcpu_submit(w, v, w->p.race_reads);
    __atomic_fetch_add(&w->ndone, 1, __ATOMIC_RELAXED);
    plat_eventfd_signal(&w->paused_efd);
    race_actor_done(w);
}

/* Two of these: each runs race_rounds transitions chosen by the tape. */
static void race_updater_thread(void *arg)
{
    struct vw_world *w = arg;
    struct vw_race *rc = &w->race;

    for (unsigned i = 0; i < w->p.race_rounds; i++) {
        race_gap(w);
        /* vhost twice as often, held longer: the two updaters' grabs
         * nest, and a stop or migration lands inside a grab. */
        switch (sim_jitter(0, 3)) {
        case 0:
            plat_lock(&rc->pause_lock);
            pause_vcpus(w);
            race_transition(w, RACE_STOP);
            race_gap(w);
            race_transition(w, RACE_RESUME);
            resume_vcpus(w);
            plat_unlock(&rc->pause_lock);
            break;
        case 1:
        case 2:
            if (race_transition(w, RACE_GRAB) == 0) {
                race_gap(w);
                race_gap(w);
                race_gap(w);
                race_transition(w, RACE_RELEASE);
            }
            break;
        default:
            plat_lock(&rc->pause_lock);
            pause_vcpus(w);
            race_transition(w, RACE_MIGRATE);
            resume_vcpus(w);
            plat_unlock(&rc->pause_lock);
            break;
        }
    }
    race_actor_done(w);
}

static void heal_report(struct vw_world *w, int outcome, const char *how)
{
    char msg[200];

    snprintf(msg, sizeof(msg), "%u of %u vCPUs saw their %" PRIu64
             " requests complete%s (ioeventfd %s)", w->heal_done,
             w->heal_vcpus, w->p.heal_reads, how,
             race_handlers(w) ? "on" : "off");
    w->heal_ended = true;
    w->p.heal_end(w->p.heal_arg, outcome, msg);
}

/* A heal vCPU: its requests, then the last one judges the phase. */
static void heal_vcpu_thread(void *arg)
{
    struct vw_vcpu *v = arg;
    struct vw_world *w = v->w;

    plat_trace_begin("heal");
    vcpu_submit(w, v, w->p.heal_reads);
    plat_trace_end();
    if (++w->heal_done == w->heal_vcpus) {
        bool late = plat_now_ns() > w->heal_deadline;

        heal_report(w, late ? 1 : 0, late ? ", after the deadline" : "");
    }
}

/* The heal phase (virtio_world.h): faults off, the safety checks taken,
 * then fresh requests on every vCPU's queue must complete in time.  The
 * phase waits for no clock: a system that cannot converge settles with
 * the heal vCPUs waiting for interrupts (vw_heal_pending()). */
static void heal_phase(struct vw_world *w)
{
    bool world_faults = w->p.race_alloc_fault > 0 ||
                        w->p.race_ioeventfd_fault > 0;
    uint64_t deadline = w->p.heal_begin
                        ? w->p.heal_begin(w->p.heal_arg, world_faults) : 0;

    if (!deadline) {
        return;
    }
    vw_finish(w);
    w->heal_deadline = deadline;
    w->giving_up = false;
    w->heal_vcpus = w->p.nvcpus;
    for (unsigned i = 0; i < w->p.nvcpus; i++) {
        if (!sim_spawn(w->sim, "heal-vcpu", i, heal_vcpu_thread,
                       &w->vcpu[i])) {
            vw_check_harness(w->ck, "heal phase: no thread");
            w->heal_vcpus = i;
            break;
        }
    }
    if (w->heal_vcpus == 0) {
        heal_report(w, 2, "");
    }
}

bool vw_heal_pending(struct vw_world *w, char *msg, size_t len)
{
    if (!w->heal_deadline || w->heal_ended) {
        return false;
    }
    snprintf(msg, len, "the system settled with %u of %u vCPUs' %" PRIu64
             " requests complete (ioeventfd %s)", w->heal_done,
             w->heal_vcpus, w->p.heal_reads,
             race_handlers(w) ? "on" : "off");
    return true;
}

/* The phase: start the actors, arm the faults, wait, check the rest. */
static void race_thread(void *arg)
{
    struct vw_world *w = arg;
    struct vw_race *rc = &w->race;
    double pa = w->p.run_alloc_fault;
    double pk = w->p.run_ioeventfd_fault;
    unsigned nv = w->p.nvcpus;

    /* Let the loops finish what the timed part left them. */
    sim_sleep_ns(100000);
    plat_lock(&w->bql);
    vw_check_race_start(w->ck);
    plat_unlock(&w->bql);
    w->giving_up = false;
    __atomic_store_n(&w->ndone, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&rc->live, nv + 2, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nv + 2; i++) {
        struct sim_thread *t =
            i < nv ? sim_spawn(w->sim, "race-vcpu", i, race_vcpu_thread,
                               &w->vcpu[i])
                   : sim_spawn(w->sim, "race-updater", i + 1,
                               race_updater_thread, w);

        if (!t) {
            vw_check_harness(w->ck, "race phase: no thread");
            if (i < nv) {
                __atomic_fetch_add(&w->ndone, 1, __ATOMIC_RELAXED);
            }
            race_actor_done(w);
        }
    }
    /* Armed once every actor exists: their creation is not the subject. */
    sim_fault_set_prob(PLAT_FAULT_ALLOC, pa > w->p.race_alloc_fault
                                             ? pa
                                             : w->p.race_alloc_fault);
    sim_fault_set_prob(PLAT_FAULT_KVM_IOEVENTFD,
                       pk > w->p.race_ioeventfd_fault
                           ? pk
                           : w->p.race_ioeventfd_fault);
    while (__atomic_load_n(&rc->live, __ATOMIC_RELAXED) > 0) {
        plat_eventfd_wait(&rc->done);
        plat_eventfd_test_and_clear(&rc->done);
    }
    sim_fault_set_prob(PLAT_FAULT_ALLOC, pa);
    sim_fault_set_prob(PLAT_FAULT_KVM_IOEVENTFD, pk);
    plat_lock(&w->bql);
    vw_check_race_end(w->ck);
    plat_unlock(&w->bql);
    heal_phase(w);
}

/* A timed actor (vCPU, control) finished; the last one freezes the timed
 * figures, as they were when a run without the race phase ended, and
 * starts the race phase. */
static void timed_actor_done(struct vw_world *w)
{
    if (__atomic_sub_fetch(&w->timed_live, 1, __ATOMIC_RELAXED) > 0 ||
        !w->p.race_rounds || !w->sim) {
        return;
    }
    w->st_timed = *vw_stats(w);
    w->timed_frozen = true;
    if (!sim_spawn(w->sim, "race", w->p.nvcpus + 1, race_thread, w)) {
        vw_check_harness(w->ck, "race phase: no thread");
    }
}

int vw_spawn(struct vw_world *w)
{
    struct sim_thread *t;
    unsigned nv = w->p.nvcpus;

    if (!w->sim) {
        return -EINVAL;
    }
    w->timed_live = nv + 1; /* the vCPUs and the control thread */
    for (unsigned i = 0; i < nv; i++) {
        if (!sim_spawn(w->sim, "vcpu", i, vcpu_thread, &w->vcpu[i])) {
            return -ENOMEM;
        }
    }
    t = sim_spawn(w->sim, "iothread", nv, loop_thread, &w->loop[0]);
    if (!t) {
        return -ENOMEM;
    }
    sim_thread_set_daemon(t, true);
    t = sim_spawn(w->sim, "vhost worker", nv + 1, loop_thread, &w->loop[1]);
    if (!t) {
        return -ENOMEM;
    }
    sim_thread_set_daemon(t, true);
    t = sim_spawn(w->sim, "disk", nv + 2, disk_thread, w);
    if (!t) {
        return -ENOMEM;
    }
    sim_thread_set_daemon(t, true);
    if (!sim_spawn(w->sim, "control", nv + 1, control_thread, w)) {
        return -ENOMEM;
    }
    return 0;
}

void vw_finish(struct vw_world *w)
{
    if (w->finished) {
        return;
    }
    w->finished = true;
    vw_check_never_completed(w->ck);
}

/* ---- stepped: quiesce ---- */

void vw_quiesce_and_check(struct vw_world *w)
{
    uint64_t before;
    unsigned rounds = 0;

    if (!w->vm_running) {
        vw_vm_resume(w);
    }
    do {
        before = w->st.completed + w->dev.head + w->dev.disk;
        vw_loop_dispatch(w, 0);
        vw_loop_dispatch(w, 1);
        while (vw_disk_step(w)) {
        }
        vw_loop_dispatch(w, 0);
        for (unsigned q = 0; q < w->p.nqueues; q++) {
            vw_guest_reap(w, q);
        }
    } while (before != w->st.completed + w->dev.head + w->dev.disk &&
             ++rounds < 64);
    vw_check_never_completed(w->ck);
}

/* ---- the start/stop race exploration ---- */

int vw_race_run(uint64_t seed, struct vw_race_result *res)
{
    struct sim_options o;
    struct sim_tape *tape;
    struct sim *s;
    struct vw_world *w;
    struct vw_params p;
    char msg[128];
    int rc;

    memset(res, 0, sizeof(*res));
    vw_params_default(&p, VIRTIO_PCI_KIND_BLK);
    p.transport = seed & 1 ? VIRTIO_PCI_MODERN : VIRTIO_PCI_LEGACY;
    p.nvcpus = 2;
    p.nqueues = 2;
    p.queue_size = 8;
    p.iodepth = 2;
    p.requests = 5;
    p.vm_stops = 3;
    p.random_transitions = true;
    p.gap_ns = 0;
    p.cost.disk_latency_ns = 3000;
    p.cost.disk_jitter_ns = 3000;
    sim_options_default(&o);
    o.ncpus = 4;
    o.strategy = SIM_STRATEGY_PCT;
    o.pct_depth = 3;
    o.pct_steps = 3000;
    o.step_limit = 2000000;
    sim_fault_reset();
    if (seed % 4 == 3) {
        /* Some assigns fail: starts fall back to synchronous notify. */
        sim_fault_set_prob(PLAT_FAULT_KVM_IOEVENTFD, 0.2);
    }
    tape = sim_tape_from_seed(seed);
    if (!tape) {
        return -ENOMEM;
    }
    s = sim_create(&o, tape);
    if (!s) {
        sim_tape_destroy(tape);
        return -ENOMEM;
    }
    rc = vw_create(&p, s, &w, msg, sizeof(msg));
    if (rc == 0) {
        rc = vw_spawn(w);
    }
    if (rc == 0) {
        res->result = sim_run(s);
        res->steps = sim_steps(s);
        vw_finish(w);
        res->v = *vw_violations(w);
        res->post_stop_kicks = vw_stats(w)->post_stop_kicks;
        snprintf(res->first, sizeof(res->first), "%s",
                 vw_first_violation(w));
    }
    vw_destroy(w);
    sim_fault_reset();
    sim_destroy(s);
    sim_tape_destroy(tape);
    return rc;
}

SIM_TSAN_ENGINE_END
