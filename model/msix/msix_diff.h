/*
 * model/msix/msix_diff.h - the per-vector and batched MSI/MSI-X setups
 * driven by one opcode stream, compared step by step, each against the
 * cost its own model of the VMM's rules expects.
 *
 * Encoding (stable under mutation: fixed-size header and operations, a
 * trailing partial operation is ignored, unknown values wrap).  Numeric
 * fields are model/domain.h fields (a selector byte, then raw bytes,
 * decoding to a boundary of the field's range - 0, 1, max - 1, max,
 * max + 1, powers of two - or to any value of it):
 *   header (5 bytes): MSI-X table size, 1..2048 (2 raw bytes);
 *                     MSI vectors the device offers, 1..32 (1 raw byte);
 *                     a device out of those ranges must be refused
 *   then 4-byte operations: byte 0 opcode = b % 8, bytes 1..3 argument:
 *     0 MSI-X enable          1 MSI-X disable
 *     2 mask vector V         3 unmask vector V
 *     4 fire vector V         5 MSI enable with N vectors
 *     6 MSI disable           7 fail the next operation's first call of
 *                               fault site byte1 % 5 (on each side)
 *   V: a vector field, 0 .. table size - 1 (2 raw bytes); N: an MSI
 *   count field, 1 .. vectors offered (2 raw bytes).
 * A device only raises vectors the guest has set up since the last enable
 * (unmasked MSI-X vectors, or enabled MSI vectors); firing any other is a
 * no-op for both.  Without faults both variants must end with the same
 * routing table, irqfd bindings and guest receive counts; with faults,
 * the same receive counts (every fault leaves the device delivering).
 *
 * Cost is part of the contract: after every operation each side has made
 * exactly the successful KVM_SET_GSI_ROUTING commits and the
 * VFIO_DEVICE_SET_IRQS calls that the harness's model of its variant
 * expects (msix_diff.c), on the fault, fallback and retry paths too, and
 * an armed fault fires exactly when the model says the faulting call is
 * made.
 */
#ifndef KVMSIM_SCN_MSIX_DIFF_H
#define KVMSIM_SCN_MSIX_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "model/domain.h"

#define MSIX_DIFF_HDR 5      /* header bytes */
#define MSIX_DIFF_OP_BYTES 4 /* bytes per operation */
#define MSIX_DIFF_MSIX_MAX 2048 /* PCI: MSI-X table size */
#define MSIX_DIFF_MSI_MAX 32    /* PCI: multiple message capable */

/* 0 when the variants agree and cost what their models expect; -1 with a
 * message in err otherwise. */
int msix_diff_run(const uint8_t *ops, size_t n, char *err, size_t errlen);

/* The numeric fields the decoder reads (for decoder tests): table size,
 * MSI vectors offered, then vector and MSI count for a device of the
 * given sizes.  Returns how many (4). */
size_t msix_diff_fields(unsigned msix_nr, unsigned msi_max,
                        struct dom_field out[4]);

#endif
