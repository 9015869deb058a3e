/*
 * fuzz/fuzz_msix.c - differential fuzzing of MSI/MSI-X setup: the
 * per-vector and batched variants run the same opcode stream (encoding in
 * scenarios/src/msix_diff.h) and must agree; a disagreement aborts with
 * the reason.  Inputs longer than 4 KiB are cut (the state space is small).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "scenarios/src/msix_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];

    if (size < 2) {
        return 0;
    }
    if (size > 4096) {
        size = 4096;
    }
    if (msix_diff_run(data, size, err, sizeof(err)) != 0) {
        fprintf(stderr, "msix differential: %s\n", err);
        abort();
    }
    return 0;
}
