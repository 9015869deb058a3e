/*
 * fuzz/fuzz_msix.c - differential fuzzing of MSI/MSI-X setup: the
 * per-vector and batched variants run the same opcode stream (encoding in
 * scenarios/src/msix_diff.h) and must agree; a disagreement aborts with
 * the reason.
 *
 * Inputs are cut at MSIX_FUZZ_MAX_LEN bytes (16 operations): the state
 * space is small (8 vectors, each masked or not, and the enabled mode),
 * every vector can be unmasked and the device enabled and fired within
 * it, the regression input (fuzz/regress/msix) takes 7, and every
 * operation of the pair of devices costs microseconds (an enable walks
 * every vector's route and irqfd), so longer inputs mostly cost time.
 * Run it with the cut as libFuzzer's -max_len:
 *
 * max_len: 32
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "scenarios/src/msix_diff.h"

#define MSIX_FUZZ_MAX_LEN 32

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

    if (size < 2) {
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
