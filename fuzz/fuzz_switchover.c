/*
 * fuzz/fuzz_switchover.c - random device trees, start/stop sequences and
 * faults over VFIO migration (core/vfio_migration.h) in the serial and
 * parallel variants, with the switchover invariants as the oracle; the
 * input encoding and the harness are in model/switchover/switchover_fuzz.h.
 * A violation, a stuck run or a leak aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/switchover/switchover_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (switchover_fuzz_run(data, size) != 0) {
        abort();
    }
    return 0;
}
