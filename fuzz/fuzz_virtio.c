/*
 * fuzz/fuzz_virtio.c - seed 001's notify path under an opcode stream of
 * guest kicks and control transitions (status writes, resets, bus master,
 * VM stop/resume, vhost-style grab/release, migration, assign faults,
 * ring corruption); encoding in model/virtio/virtio_fuzz.h.  The world's
 * invariants are the oracle: a violation aborts with its description.
 * Inputs longer than 4 KiB are cut (a thousand 4-byte operations; the
 * rings mostly hold eight descriptors, so longer streams only repeat
 * states).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/virtio/virtio_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[320];

    if (size < VIRTIO_FUZZ_HDR + VIRTIO_FUZZ_OP_BYTES) {
        return 0;
    }
    if (size > 4096) {
        size = 4096;
    }
    if (virtio_fuzz_run(data, size, err, sizeof(err)) != 0) {
        fprintf(stderr, "virtio invariant: %s\n", err);
        abort();
    }
    return 0;
}
