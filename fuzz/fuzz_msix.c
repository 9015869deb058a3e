/*
 * fuzz/fuzz_msix.c - differential fuzzing of MSI/MSI-X setup: the
 * per-vector and batched variants run the same opcode stream (encoding in
 * model/msix/msix_diff.h) and must agree; a disagreement aborts with
 * the reason.
 *
 * Inputs are cut at MSIX_FUZZ_MAX_LEN bytes (the 5-byte header and 16
 * operations): the device is as large as PCI allows (2048 MSI-X and 32
 * MSI vectors) but an input names at most 16 vectors, the regression
 * input (fuzz/regress/msix) takes 7 operations, and every operation of
 * the pair of devices costs microseconds (an enable walks every vector's
 * route and irqfd), so longer inputs mostly cost time.  Run it with the
 * cut as libFuzzer's -max_len:
 *
 * max_len: 69
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/msix/msix_diff.h"

#define MSIX_FUZZ_MAX_LEN (MSIX_DIFF_HDR + 16 * MSIX_DIFF_OP_BYTES)
_Static_assert(MSIX_FUZZ_MAX_LEN == 69, "max_len in the header comment");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* An input allocates well under a megabyte.  ASan's default 256 MiB
 * quarantine hands every allocation a cold page (about half the cost of a
 * short input); 16 MiB still holds every block freed by far more than one
 * input, so a use after free is caught all the same.  The environment's
 * ASAN_OPTIONS still override this. */
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];

    if (size < MSIX_DIFF_HDR) {
        return 0;
    }
    if (size > MSIX_FUZZ_MAX_LEN) {
        size = MSIX_FUZZ_MAX_LEN;
    }
    if (msix_diff_run(data, size, err, sizeof(err)) != 0) {
        fprintf(stderr, "msix differential: %s\n", err);
        abort();
    }
    return 0;
}
