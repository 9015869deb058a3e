/*
 * scenarios/src/msix_diff.h - the per-vector and batched MSI/MSI-X setups
 * driven by one opcode stream, compared step by step.
 *
 * Encoding (stable under mutation: every 2-byte pair is one operation, a
 * trailing odd byte is ignored, unknown values wrap):
 *   byte 0: opcode = b % 8       byte 1: argument
 *   0 MSI-X enable      1 MSI-X disable     2 mask vector arg%8
 *   3 unmask arg%8      4 fire vector arg%8 5 MSI enable with arg%4+1
 *   6 MSI disable       7 fail the next call of fault site arg%5
 * A device only raises vectors the guest has set up since the last enable
 * (unmasked MSI-X vectors, or enabled MSI vectors); firing any other is a
 * no-op for both.  Without faults both variants must end with the same
 * routing table, irqfd bindings and guest receive counts; with faults,
 * the same receive counts (every fault leaves the device delivering).
 */
#ifndef KVMSIM_SCN_MSIX_DIFF_H
#define KVMSIM_SCN_MSIX_DIFF_H

#include <stddef.h>
#include <stdint.h>

#define MSIX_DIFF_VECTORS 8

/* 0 when the variants agree; -1 with a message in err otherwise. */
int msix_diff_run(const uint8_t *ops, size_t n, char *err, size_t errlen);

#endif
