/*
 * core/iodev_fixed.h - the fixed platform devices of the seed's x86 machine,
 * as simple register files, so a realistic bus can be populated:
 *
 *   PIC master  PIO 0x20   len 2       PIT      PIO 0x40  len 4
 *   PIC slave   PIO 0xa0   len 2       speaker  PIO 0x61  len 4 (handles
 *   ELCR        PIO 0x4d0  len 2                0x61 only, as KVM's does)
 *   IOAPIC      MMIO 0xfec00000 len 0x100
 *
 * A device handles every read and write that lies inside its range (the
 * speaker only at its base address): writes store the bytes, reads return
 * them (zero until written).  Each device counts its accesses under its
 * own spin lock.  Once registered, the bus owns the devices: they are freed
 * by their destructor at bus teardown or bus reset.
 */
#ifndef KVMSIM_CORE_IODEV_FIXED_H
#define KVMSIM_CORE_IODEV_FIXED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/iobus.h"
#include "core/platform.h"

enum iodev_fixed_kind {
    IODEV_PIC_MASTER = 0,
    IODEV_PIC_SLAVE,
    IODEV_PIC_ELCR,
    IODEV_PIT,
    IODEV_PIT_SPEAKER,
    IODEV_IOAPIC,
    IODEV_FIXED_NR
};

struct iodev_fixed_desc {
    const char *name;
    enum iobus_id bus;
    uint64_t addr;
    uint64_t len;
    bool base_only; /* handles accesses at addr only */
};

#define IODEV_FIXED_REGS 0x100

struct iodev_fixed {
    struct iobus_dev dev;
    enum iodev_fixed_kind kind;
    struct plat_lock lock;            /* spin: guards what follows */
    uint64_t reads;
    uint64_t writes;
    uint8_t regs[IODEV_FIXED_REGS];
};

/* Description of a kind, or NULL for an out-of-range kind. */
const struct iodev_fixed_desc *iodev_fixed_desc(enum iodev_fixed_kind kind);

/* Create every fixed device and register them all at once (all or nothing).
 * Device `kind` gets tag tag_base + kind.  On success the bus owns them and
 * out[kind] (when out is not NULL) points at each; the pointers stay valid
 * until the bus destroys the devices.  -ENOMEM or -ENOSPC with nothing
 * registered or leaked.  The _locked form expects set->lock held. */
int iodev_fixed_register_all_locked(struct iobus_set *set, uint64_t tag_base,
                                    struct iodev_fixed **out);
int iodev_fixed_register_all(struct iobus_set *set, uint64_t tag_base,
                             struct iodev_fixed **out);

/* Accesses a device has handled so far. */
uint64_t iodev_fixed_reads(struct iodev_fixed *d);
uint64_t iodev_fixed_writes(struct iodev_fixed *d);

#endif
