/*
 * core/ioeventfd.c - ioeventfd assignments as I/O bus devices.
 *
 * Every object is allocated before anything is registered and all of an
 * assignment's ranges (one, or two for a length-0 MMIO ioeventfd) are
 * registered with one iobus_register_many_locked() call, so an assignment is
 * all or nothing without an undo step that could itself fail.
 *
 * Assumes: the list is only touched with buses->lock held; the bus calls
 * the destructor with that lock held.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/ioeventfd.h"
#include "core/testcase.h"

struct ioeventfd {
    struct iobus_dev dev;
    struct ioeventfd_set *set;
    struct ioeventfd *prev;
    struct ioeventfd *next;
    struct plat_eventfd *eventfd;
    uint64_t addr;
    uint64_t datamatch;
    uint32_t len;
    enum iobus_id bus;
    bool wildcard;
};

static struct ioeventfd *ioeventfd_of(struct iobus_dev *dev)
{
    return (struct ioeventfd *)(void *)((char *)dev -
                                        offsetof(struct ioeventfd, dev));
}

/* The value of a len-byte write, as the guest's native integer. */
static uint64_t ioeventfd_value(const void *data, unsigned len)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;

    switch (len) {
    case 1:
        memcpy(&v8, data, 1);
        return v8;
    case 2:
        memcpy(&v16, data, 2);
        return v16;
    case 4:
        memcpy(&v32, data, 4);
        return v32;
    default:
        memcpy(&v64, data, 8);
        return v64;
    }
}

static int ioeventfd_write(struct iobus_dev *dev, uint64_t addr,
                           unsigned alen, const void *data)
{
    struct ioeventfd *p = ioeventfd_of(dev);

    if (addr != p->addr) {
        return -EOPNOTSUPP;
    }
    if (p->len != 0) {
        if (alen != p->len) {
            return -EOPNOTSUPP;
        }
        if (!p->wildcard && ioeventfd_value(data, alen) != p->datamatch) {
            return -EOPNOTSUPP;
        }
    }
    plat_eventfd_signal(p->eventfd);
    return 0;
}

/* The list of assignments is under buses->lock (core/ioeventfd.h). */
static void ioeventfd_unlink_locked(struct ioeventfd *p)
{
    struct ioeventfd_set *s = p->set;

    plat_lock_assert_held(&s->buses->lock);
    if (p->prev) {
        p->prev->next = p->next;
    } else {
        s->head = p->next;
    }
    if (p->next) {
        p->next->prev = p->prev;
    } else {
        s->tail = p->prev;
    }
    p->prev = NULL;
    p->next = NULL;
    s->count--;
}

/* The bus lets go of p for good (teardown or a bus reset). */
static void ioeventfd_destructor(struct iobus_dev *dev)
{
    struct ioeventfd *p = ioeventfd_of(dev);

    ioeventfd_unlink_locked(p);
    plat_free(p);
}

static const struct iobus_dev_ops ioeventfd_ops = {
    .read = NULL,
    .write = ioeventfd_write,
    .destructor = ioeventfd_destructor,
};

void ioeventfd_set_init(struct ioeventfd_set *s, struct iobus_set *buses)
{
    memset(s, 0, sizeof(*s));
    s->buses = buses;
}

static void ioeventfd_link_locked(struct ioeventfd_set *s,
                                  struct ioeventfd *p)
{
    plat_lock_assert_held(&s->buses->lock);
    p->set = s;
    p->next = NULL;
    p->prev = s->tail;
    if (s->tail) {
        s->tail->next = p;
    } else {
        s->head = p;
    }
    s->tail = p;
    s->count++;
}

/* Unregister p from its bus and free it.  Whatever the unregister returns,
 * p is off the bus afterwards and is ours to free (iobus.h); a bus reset may
 * have released other objects meanwhile. */
static void ioeventfd_release_locked(struct ioeventfd *p)
{
    plat_lock_assert_held(&p->set->buses->lock);
    (void)iobus_unregister_locked(p->set->buses, p->bus, &p->dev);
    ioeventfd_unlink_locked(p);
    plat_free(p);
}

void ioeventfd_set_fini(struct ioeventfd_set *s)
{
    /* After iobus_set_destroy() the list is empty and the lock is gone:
     * touch neither. */
    if (!s->head) {
        return;
    }
    plat_lock(&s->buses->lock);
    while (s->head) {
        ioeventfd_release_locked(s->head);
    }
    plat_unlock(&s->buses->lock);
}

static bool ioeventfd_collides_locked(struct ioeventfd_set *s,
                                      enum iobus_id bus,
                                      const struct ioeventfd_args *a)
{
    bool wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);

    plat_lock_assert_held(&s->buses->lock);
    for (struct ioeventfd *p = s->head; p; p = p->next) {
        if (p->bus != bus || p->addr != a->addr) {
            continue;
        }
        if (p->len == 0 || a->len == 0) {
            return true;
        }
        if (p->len == a->len &&
            (p->wildcard || wildcard || p->datamatch == a->datamatch)) {
            return true;
        }
    }
    return false;
}

static struct ioeventfd *ioeventfd_new(const struct ioeventfd_args *a,
                                       enum iobus_id bus)
{
    struct ioeventfd *p = plat_zalloc(sizeof(*p));

    if (!p) {
        return NULL;
    }
    iobus_dev_init(&p->dev, &ioeventfd_ops, a->tag, IOBUS_DEV_UNCOUNTED);
    p->eventfd = a->eventfd;
    p->addr = a->addr;
    p->len = a->len;
    p->bus = bus;
    p->wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);
    p->datamatch = p->wildcard ? 0 : a->datamatch;
    return p;
}

static enum iobus_id ioeventfd_bus(const struct ioeventfd_args *a)
{
    return (a->flags & IOEVENTFD_F_PIO) ? IOBUS_PIO : IOBUS_MMIO;
}

static int ioeventfd_check(const struct ioeventfd_args *a)
{
    if (!a || !a->eventfd || (a->flags & ~IOEVENTFD_F_VALID)) {
        return -EINVAL;
    }
    switch (a->len) {
    case 0:
    case 1:
    case 2:
    case 4:
    case 8:
        break;
    default:
        return -EINVAL;
    }
    if (a->len > UINT64_MAX - a->addr) {
        return -EINVAL;
    }
    if (a->len == 0 &&
        (a->flags & (IOEVENTFD_F_PIO | IOEVENTFD_F_DATAMATCH))) {
        return -EINVAL;
    }
    return 0;
}

int ioeventfd_assign(struct ioeventfd_set *s, const struct ioeventfd_args *a)
{
    struct iobus_reg regs[2];
    struct ioeventfd *p[2] = { NULL, NULL };
    enum iobus_id bus;
    size_t n;
    int rc;

    rc = s ? ioeventfd_check(a) : -EINVAL;
    if (rc) {
        return rc;
    }
    bus = ioeventfd_bus(a);
    n = (a->len == 0 && bus == IOBUS_MMIO) ? 2 : 1;

    plat_lock(&s->buses->lock);
    if (ioeventfd_collides_locked(s, bus, a) ||
        (n == 2 && ioeventfd_collides_locked(s, IOBUS_FAST_MMIO, a))) {
        KVMSIM_MARK(IOEVENTFD_COLLISION);
        rc = -EEXIST;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        enum iobus_id b = i == 0 ? bus : IOBUS_FAST_MMIO;

        p[i] = ioeventfd_new(a, b);
        if (!p[i]) {
            KVMSIM_MARK(IOEVENTFD_NOMEM);
            rc = -ENOMEM;
            goto out;
        }
        regs[i] = (struct iobus_reg){
            .bus = b, .addr = a->addr, .len = a->len, .dev = &p[i]->dev,
        };
    }
    rc = iobus_register_many_locked(s->buses, regs, n);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            ioeventfd_link_locked(s, p[i]);
            p[i] = NULL;
        }
    }
out:
    plat_unlock(&s->buses->lock);
    plat_free(p[0]);
    plat_free(p[1]);
    return rc;
}

static struct ioeventfd *ioeventfd_find_locked(struct ioeventfd_set *s,
                                               enum iobus_id bus,
                                               const struct ioeventfd_args *a)
{
    bool wildcard = !(a->flags & IOEVENTFD_F_DATAMATCH);

    plat_lock_assert_held(&s->buses->lock);
    for (struct ioeventfd *p = s->head; p; p = p->next) {
        if (p->bus != bus || p->eventfd != a->eventfd ||
            p->addr != a->addr || p->len != a->len ||
            p->wildcard != wildcard) {
            continue;
        }
        if (!p->wildcard && p->datamatch != a->datamatch) {
            continue;
        }
        return p;
    }
    return NULL;
}

int ioeventfd_deassign(struct ioeventfd_set *s,
                       const struct ioeventfd_args *a)
{
    struct ioeventfd *p;
    enum iobus_id bus;
    int rc = -ENOENT;

    if (!s || !a || !a->eventfd || (a->flags & ~IOEVENTFD_F_VALID)) {
        return -EINVAL;
    }
    bus = ioeventfd_bus(a);
    plat_lock(&s->buses->lock);
    p = ioeventfd_find_locked(s, bus, a);
    if (p) {
        ioeventfd_release_locked(p);
        rc = 0;
    }
    /* The twin goes with the MMIO object; found or not, as in KVM. */
    if (a->len == 0 && bus == IOBUS_MMIO) {
        p = ioeventfd_find_locked(s, IOBUS_FAST_MMIO, a);
        if (p) {
            ioeventfd_release_locked(p);
        }
    }
    plat_unlock(&s->buses->lock);
    return rc;
}

uint32_t ioeventfd_count(struct ioeventfd_set *s)
{
    uint32_t n;

    plat_lock(&s->buses->lock);
    n = s->count;
    plat_unlock(&s->buses->lock);
    return n;
}
