/*
 * core/iodev_fixed.c - PIC, ELCR, PIT, speaker and IOAPIC register files.
 *
 * They model no behaviour beyond storing what is written; what matters for
 * the bus is that they sit on the seed's ranges and accept accesses there.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/iodev_fixed.h"

static const struct iodev_fixed_desc iodev_fixed_descs[IODEV_FIXED_NR] = {
    [IODEV_PIC_MASTER] = { "pic-master", IOBUS_PIO, 0x20, 2, false },
    [IODEV_PIC_SLAVE] = { "pic-slave", IOBUS_PIO, 0xa0, 2, false },
    [IODEV_PIC_ELCR] = { "elcr", IOBUS_PIO, 0x4d0, 2, false },
    [IODEV_PIT] = { "pit", IOBUS_PIO, 0x40, 4, false },
    [IODEV_PIT_SPEAKER] = { "speaker", IOBUS_PIO, 0x61, 4, true },
    [IODEV_IOAPIC] = { "ioapic", IOBUS_MMIO, 0xfec00000u, 0x100, false },
};

const struct iodev_fixed_desc *iodev_fixed_desc(enum iodev_fixed_kind kind)
{
    if ((unsigned)kind >= IODEV_FIXED_NR) {
        return NULL;
    }
    return &iodev_fixed_descs[kind];
}

static struct iodev_fixed *iodev_fixed_of(struct iobus_dev *dev)
{
    return (struct iodev_fixed *)(void *)((char *)dev -
                                          offsetof(struct iodev_fixed, dev));
}

/* Offset of the access in the register file, or -1 when the device does
 * not handle it. */
static int64_t iodev_fixed_offset(const struct iodev_fixed *d, uint64_t addr,
                                  unsigned alen)
{
    const struct iodev_fixed_desc *desc = &iodev_fixed_descs[d->kind];
    uint64_t span = alen ? alen : 1;
    uint64_t off;

    if (addr < desc->addr) {
        return -1;
    }
    off = addr - desc->addr;
    if (off >= desc->len || span > desc->len - off) {
        return -1;
    }
    if (desc->base_only && off != 0) {
        return -1;
    }
    return (int64_t)off;
}

static int iodev_fixed_read(struct iobus_dev *dev, uint64_t addr,
                            unsigned alen, void *data)
{
    struct iodev_fixed *d = iodev_fixed_of(dev);
    int64_t off = iodev_fixed_offset(d, addr, alen);

    if (off < 0) {
        return -EOPNOTSUPP;
    }
    plat_lock(&d->lock);
    memcpy(data, &d->regs[off], alen);
    d->reads++;
    plat_unlock(&d->lock);
    return 0;
}

static int iodev_fixed_write(struct iobus_dev *dev, uint64_t addr,
                             unsigned alen, const void *data)
{
    struct iodev_fixed *d = iodev_fixed_of(dev);
    int64_t off = iodev_fixed_offset(d, addr, alen);

    if (off < 0) {
        return -EOPNOTSUPP;
    }
    plat_lock(&d->lock);
    if (alen) {
        memcpy(&d->regs[off], data, alen);
    }
    d->writes++;
    plat_unlock(&d->lock);
    return 0;
}

static void iodev_fixed_free(struct iodev_fixed *d)
{
    plat_lock_destroy(&d->lock);
    plat_free(d);
}

static void iodev_fixed_destructor(struct iobus_dev *dev)
{
    iodev_fixed_free(iodev_fixed_of(dev));
}

static const struct iobus_dev_ops iodev_fixed_ops = {
    .read = iodev_fixed_read,
    .write = iodev_fixed_write,
    .destructor = iodev_fixed_destructor,
};

int iodev_fixed_register_all_locked(struct iobus_set *set, uint64_t tag_base,
                                    struct iodev_fixed **out)
{
    struct iodev_fixed *d[IODEV_FIXED_NR] = { NULL };
    struct iobus_reg regs[IODEV_FIXED_NR];
    int rc = 0;

    plat_lock_assert_held(&set->lock);
    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        const struct iodev_fixed_desc *desc = &iodev_fixed_descs[k];

        d[k] = plat_zalloc(sizeof(*d[k]));
        if (!d[k]) {
            rc = -ENOMEM;
            break;
        }
        iobus_dev_init(&d[k]->dev, &iodev_fixed_ops, tag_base + k, 0);
        d[k]->kind = (enum iodev_fixed_kind)k;
        plat_lock_init(&d[k]->lock, PLAT_LOCK_SPIN, "iodev_fixed");
        regs[k] = (struct iobus_reg){
            .bus = desc->bus,
            .addr = desc->addr,
            .len = desc->len,
            .dev = &d[k]->dev,
        };
    }
    if (rc == 0) {
        rc = iobus_register_many_locked(set, regs, IODEV_FIXED_NR);
    }
    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        if (rc == 0) {
            if (out) {
                out[k] = d[k];
            }
        } else if (d[k]) {
            iodev_fixed_free(d[k]);
        }
    }
    return rc;
}

int iodev_fixed_register_all(struct iobus_set *set, uint64_t tag_base,
                             struct iodev_fixed **out)
{
    int rc;

    plat_lock(&set->lock);
    rc = iodev_fixed_register_all_locked(set, tag_base, out);
    plat_unlock(&set->lock);
    return rc;
}

uint64_t iodev_fixed_reads(struct iodev_fixed *d)
{
    uint64_t n;

    plat_lock(&d->lock);
    n = d->reads;
    plat_unlock(&d->lock);
    return n;
}

uint64_t iodev_fixed_writes(struct iodev_fixed *d)
{
    uint64_t n;

    plat_lock(&d->lock);
    n = d->writes;
    plat_unlock(&d->lock);
    return n;
}
