/*
 * core/virtqueue.h - the device side of a split virtqueue (virtio 0.9.5 /
 * 1.0 layout) read from and written to guest memory.
 *
 * A queue is three areas in guest memory: the descriptor table (16 bytes
 * per descriptor: addr, len, flags, next), the available ring the driver
 * fills (flags, idx, ring[num], used_event) and the used ring the device
 * fills (flags, idx, ring[num] of {id, len}, avail_event).  Every field is
 * little-endian.  Guest memory is one flat region starting at guest
 * physical address 0 (struct virtio_mem).
 *
 * Everything here is guest-reachable: the guest writes the rings, so every
 * access is bounds-checked and a malformed ring (an index out of range, a
 * descriptor loop, a buffer outside guest memory, an unsupported flag)
 * marks the queue broken instead of failing hard.  A broken queue pops
 * nothing until it is reset.
 *
 * Assumes: the caller serialises all calls on one queue (the VMM's big
 * lock); nothing here blocks or allocates.
 */
#ifndef KVMSIM_CORE_VIRTQUEUE_H
#define KVMSIM_CORE_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQUEUE_MAX_SIZE 1024  /* largest ring (a power of two) */
#define VIRTQUEUE_MAX_SG 16      /* descriptors in one chain */
#define VIRTQUEUE_LEGACY_ALIGN 4096 /* legacy: used ring alignment, PFN */

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u     /* not offered; a broken ring */
#define VRING_USED_F_NO_NOTIFY 1u    /* device: do not kick me */
#define VRING_AVAIL_F_NO_INTERRUPT 1u

/* Guest RAM: guest physical address a is base[a], for a < size. */
struct virtio_mem {
    uint8_t *base;
    uint64_t size;
};

/* One buffer of a popped chain. */
struct virtqueue_sg {
    uint64_t addr;
    uint32_t len;
    bool write; /* device writes it */
};

/* A popped request: its head descriptor (the id pushed back on the used
 * ring) and its buffers in chain order. */
struct virtqueue_elem {
    uint16_t head;
    unsigned nsg;
    struct virtqueue_sg sg[VIRTQUEUE_MAX_SG];
};

struct virtqueue {
    const struct virtio_mem *mem; /* borrowed */
    uint16_t num;            /* ring size, fixed by the device (0: none) */
    bool ready;              /* the guest has placed the rings */
    bool broken;             /* the guest's ring was malformed */
    uint64_t desc, avail, used; /* guest physical addresses */
    uint16_t last_avail_idx; /* next available entry the device takes */
    uint16_t used_idx;       /* next used entry the device fills */
    uint64_t popped, pushed; /* since the last reset */
};

/* A queue of size num (a power of two, 1..VIRTQUEUE_MAX_SIZE; anything
 * else gives a queue that never becomes ready) over mem. */
void virtqueue_init(struct virtqueue *vq, const struct virtio_mem *mem,
                    uint16_t num);

/* Forget the rings and every index (device reset).  The size stays. */
void virtqueue_reset(struct virtqueue *vq);

/* Legacy layout of a ring of num entries at page frame pfn: descriptors
 * at pfn * 4096, the available ring right after them, the used ring at
 * the next 4096-byte boundary.  Returns the bytes the layout spans. */
uint64_t virtqueue_legacy_layout(uint16_t num, uint32_t pfn, uint64_t *desc,
                                 uint64_t *avail, uint64_t *used);

/* Place the rings (legacy QUEUE_PFN with pfn != 0; modern queue_enable).
 * The queue becomes ready with its indices at 0.  -EINVAL when the queue
 * has no size or an address is 0; the queue is then unchanged. */
int virtqueue_set_legacy_pfn(struct virtqueue *vq, uint32_t pfn);
int virtqueue_set_rings(struct virtqueue *vq, uint64_t desc, uint64_t avail,
                        uint64_t used);

/* Take the next available chain.  1 and *elem filled; 0 when nothing is
 * available or the queue is not ready; -EINVAL when the ring is malformed
 * (the queue is then broken and stays so until reset). */
int virtqueue_pop(struct virtqueue *vq, struct virtqueue_elem *elem);

/* Return chain `head` to the driver with `len` bytes written.  -EINVAL
 * when the queue is not ready or broken, or head is out of range. */
int virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/* True when the driver has made entries available that were not popped
 * (false for a queue that is not ready or broken). */
bool virtqueue_has_avail(struct virtqueue *vq);

/* Ask the driver to kick (enable) or not to kick (disable) after adding
 * buffers: clears or sets VRING_USED_F_NO_NOTIFY in the used ring. */
void virtqueue_set_notification(struct virtqueue *vq, bool enable);

/* Whether the driver asked not to be interrupted
 * (VRING_AVAIL_F_NO_INTERRUPT); false for a queue that is not ready. */
bool virtqueue_no_interrupt(struct virtqueue *vq);

/* Bounds-checked little-endian accessors of guest memory, shared with the
 * simulated guest driver.  Reads of bytes outside memory return false and
 * leave *v at 0; writes outside memory do nothing and return false. */
bool virtio_mem_read16(const struct virtio_mem *m, uint64_t a, uint16_t *v);
bool virtio_mem_read32(const struct virtio_mem *m, uint64_t a, uint32_t *v);
bool virtio_mem_read64(const struct virtio_mem *m, uint64_t a, uint64_t *v);
bool virtio_mem_write16(const struct virtio_mem *m, uint64_t a, uint16_t v);
bool virtio_mem_write32(const struct virtio_mem *m, uint64_t a, uint32_t v);
bool virtio_mem_write64(const struct virtio_mem *m, uint64_t a, uint64_t v);
/* True when [a, a + len) lies inside guest memory. */
bool virtio_mem_range_ok(const struct virtio_mem *m, uint64_t a,
                         uint64_t len);

#endif
