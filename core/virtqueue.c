/*
 * core/virtqueue.c - split virtqueue, device side, over bounds-checked
 * guest memory.
 *
 * Offsets (virtio 1.0, 2.4): descriptor i at desc + 16 i {addr u64, len
 * u32, flags u16, next u16}; available ring {flags u16, idx u16, ring[num]
 * u16, used_event u16}; used ring {flags u16, idx u16, ring[num] {id u32,
 * len u32}, avail_event u16}.  Indices run freely modulo 2^16; an entry's
 * slot is its index modulo num.
 */
#include <errno.h>
#include <string.h>

#include "core/virtqueue.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4
#define DESC_SIZE 16

/* ---- guest memory ---- */

bool virtio_mem_range_ok(const struct virtio_mem *m, uint64_t a,
                         uint64_t len)
{
    return m && m->base && a <= m->size && len <= m->size - a;
}

static bool mem_read(const struct virtio_mem *m, uint64_t a, unsigned n,
                     uint64_t *v)
{
    uint64_t x = 0;

    *v = 0;
    if (!virtio_mem_range_ok(m, a, n)) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        /* Guest memory is shared with the guest's own threads: each
         * byte is one relaxed access, as a device reads RAM. */
        x |= (uint64_t)__atomic_load_n(&m->base[a + i], __ATOMIC_RELAXED)
             << (8 * i);
    }
    *v = x;
    return true;
}

static bool mem_write(const struct virtio_mem *m, uint64_t a, unsigned n,
                      uint64_t v)
{
    if (!virtio_mem_range_ok(m, a, n)) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        __atomic_store_n(&m->base[a + i], (uint8_t)(v >> (8 * i)),
                         __ATOMIC_RELAXED);
    }
    return true;
}

bool virtio_mem_read16(const struct virtio_mem *m, uint64_t a, uint16_t *v)
{
    uint64_t x;
    bool ok = mem_read(m, a, 2, &x);

    *v = (uint16_t)x;
    return ok;
}

bool virtio_mem_read32(const struct virtio_mem *m, uint64_t a, uint32_t *v)
{
    uint64_t x;
    bool ok = mem_read(m, a, 4, &x);

    *v = (uint32_t)x;
    return ok;
}

bool virtio_mem_read64(const struct virtio_mem *m, uint64_t a, uint64_t *v)
{
    return mem_read(m, a, 8, v);
}

bool virtio_mem_write16(const struct virtio_mem *m, uint64_t a, uint16_t v)
{
    return mem_write(m, a, 2, v);
}

bool virtio_mem_write32(const struct virtio_mem *m, uint64_t a, uint32_t v)
{
    return mem_write(m, a, 4, v);
}

bool virtio_mem_write64(const struct virtio_mem *m, uint64_t a, uint64_t v)
{
    return mem_write(m, a, 8, v);
}

/* ---- setup ---- */

static bool size_valid(uint16_t num)
{
    return num != 0 && num <= VIRTQUEUE_MAX_SIZE && (num & (num - 1)) == 0;
}

void virtqueue_init(struct virtqueue *vq, const struct virtio_mem *mem,
                    uint16_t num)
{
    memset(vq, 0, sizeof(*vq));
    vq->mem = mem;
    vq->num = size_valid(num) ? num : 0;
}

void virtqueue_reset(struct virtqueue *vq)
{
    vq->ready = false;
    vq->broken = false;
    vq->desc = 0;
    vq->avail = 0;
    vq->used = 0;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->popped = 0;
    vq->pushed = 0;
}

uint64_t virtqueue_legacy_layout(uint16_t num, uint32_t pfn, uint64_t *desc,
                                 uint64_t *avail, uint64_t *used)
{
    uint64_t d = (uint64_t)pfn * VIRTQUEUE_LEGACY_ALIGN;
    uint64_t a = d + (uint64_t)DESC_SIZE * num;
    uint64_t u = a + AVAIL_RING + 2ull * num + 2;

    u = (u + VIRTQUEUE_LEGACY_ALIGN - 1) &
        ~(uint64_t)(VIRTQUEUE_LEGACY_ALIGN - 1);
    *desc = d;
    *avail = a;
    *used = u;
    return u + USED_RING + 8ull * num + 2 - d;
}

int virtqueue_set_rings(struct virtqueue *vq, uint64_t desc, uint64_t avail,
                        uint64_t used)
{
    if (!vq->num || !desc || !avail || !used) {
        return -EINVAL;
    }
    virtqueue_reset(vq);
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->ready = true;
    return 0;
}

int virtqueue_set_legacy_pfn(struct virtqueue *vq, uint32_t pfn)
{
    uint64_t d, a, u;

    if (!vq->num || !pfn) {
        return -EINVAL;
    }
    virtqueue_legacy_layout(vq->num, pfn, &d, &a, &u);
    return virtqueue_set_rings(vq, d, a, u);
}

/* ---- rings ---- */

static int vq_break(struct virtqueue *vq)
{
    vq->broken = true;
    return -EINVAL;
}

static bool avail_idx(struct virtqueue *vq, uint16_t *idx)
{
    return virtio_mem_read16(vq->mem, vq->avail + AVAIL_IDX, idx);
}

bool virtqueue_has_avail(struct virtqueue *vq)
{
    uint16_t idx;

    if (!vq->ready || vq->broken || !avail_idx(vq, &idx)) {
        return false;
    }
    return idx != vq->last_avail_idx;
}

int virtqueue_pop(struct virtqueue *vq, struct virtqueue_elem *elem)
{
    uint16_t idx, head, i;
    unsigned n = 0;

    if (!vq->ready || vq->broken) {
        return 0;
    }
    if (!avail_idx(vq, &idx)) {
        return vq_break(vq);
    }
    if (idx == vq->last_avail_idx) {
        return 0;
    }
    /* The driver cannot be more than a ring ahead of the device. */
    if ((uint16_t)(idx - vq->last_avail_idx) > vq->num) {
        return vq_break(vq);
    }
    if (!virtio_mem_read16(vq->mem, vq->avail + AVAIL_RING +
                           2ull * (vq->last_avail_idx % vq->num), &head) ||
        head >= vq->num) {
        return vq_break(vq);
    }
    elem->head = head;
    i = head;
    for (;;) {
        uint64_t base = vq->desc + (uint64_t)DESC_SIZE * i, addr;
        uint32_t len;
        uint16_t flags, next;

        if (n == VIRTQUEUE_MAX_SG || n == vq->num ||
            !virtio_mem_read64(vq->mem, base, &addr) ||
            !virtio_mem_read32(vq->mem, base + 8, &len) ||
            !virtio_mem_read16(vq->mem, base + 12, &flags) ||
            !virtio_mem_read16(vq->mem, base + 14, &next) ||
            (flags & VRING_DESC_F_INDIRECT) ||
            !virtio_mem_range_ok(vq->mem, addr, len)) {
            return vq_break(vq);
        }
        elem->sg[n].addr = addr;
        elem->sg[n].len = len;
        elem->sg[n].write = (flags & VRING_DESC_F_WRITE) != 0;
        n++;
        if (!(flags & VRING_DESC_F_NEXT)) {
            break;
        }
        if (next >= vq->num) {
            return vq_break(vq);
        }
        i = next;
    }
    elem->nsg = n;
    vq->last_avail_idx++;
    vq->popped++;
    return 1;
}

int virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
    uint64_t slot;

    if (!vq->ready || vq->broken || head >= vq->num) {
        return -EINVAL;
    }
    slot = vq->used + USED_RING + 8ull * (vq->used_idx % vq->num);
    if (!virtio_mem_write32(vq->mem, slot, head) ||
        !virtio_mem_write32(vq->mem, slot + 4, len) ||
        !virtio_mem_write16(vq->mem, vq->used + USED_IDX,
                            (uint16_t)(vq->used_idx + 1))) {
        return vq_break(vq);
    }
    vq->used_idx++;
    vq->pushed++;
    return 0;
}

void virtqueue_set_notification(struct virtqueue *vq, bool enable)
{
    uint16_t flags;

    if (!vq->ready || vq->broken ||
        !virtio_mem_read16(vq->mem, vq->used + USED_FLAGS, &flags)) {
        return;
    }
    if (enable) {
        flags &= (uint16_t)~VRING_USED_F_NO_NOTIFY;
    } else {
        flags |= VRING_USED_F_NO_NOTIFY;
    }
    virtio_mem_write16(vq->mem, vq->used + USED_FLAGS, flags);
}

bool virtqueue_no_interrupt(struct virtqueue *vq)
{
    uint16_t flags;

    if (!vq->ready || !virtio_mem_read16(vq->mem, vq->avail + AVAIL_FLAGS,
                                         &flags)) {
        return false;
    }
    return (flags & VRING_AVAIL_F_NO_INTERRUPT) != 0;
}
