/*
 * fuzz/fuzz_iobus.c - differential fuzzing of the I/O bus: the input is an
 * opcode stream (encoding, and why it stays stable under mutation, in
 * model/iobus/iobus_diff.h) run against every lookup variant of the core,
 * with registrations freeing the replaced bus synchronously or deferred
 * (plat_call_rcu(); the input's length picks the mode), and against
 * model/iobus_oracle; a disagreement or a broken invariant
 * aborts with the reason.  Every input starts from fresh buses and ends
 * with a full teardown, so no state leaks from one input to the next
 * (the harness reuses one oracle, reset after every run).  Inputs longer
 * than 512 bytes (about 20 commands: a 64-bit field takes 9 bytes) are
 * cut: the interesting states are small, and the per-command checks make
 * long inputs slow; run it with the cut as libFuzzer's -max_len so it
 * does not spend mutations past it:
 *
 * max_len: 512
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/iobus/iobus_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* Every bus update allocates a new snapshot and frees the old one, so an
 * input frees a few hundred kilobytes at most.  ASan's default 256 MiB
 * quarantine makes every allocation land on a cold page (about 3x the cost
 * of an execution); 16 MiB still holds every block freed by far more than
 * one input, so a use after free is caught all the same.  The environment's
 * ASAN_OPTIONS still override this. */
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];

    if (size < 1) {
        return 0;
    }
    if (size > 512) {
        size = 512;
    }
    if (iobus_diff_run(data, size, NULL, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "iobus differential: %s\n", err);
        abort();
    }
    return 0;
}
