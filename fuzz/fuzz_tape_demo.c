/*
 * fuzz/fuzz_tape_demo.c - the demo scenario driven by a fuzzer-made tape.
 *
 * The input is the decision tape itself: equal-time ties, jitter and the
 * demo_submit faults all read it, and an exhausted tape falls back to the
 * defaults, so every input is a valid run.  Under the `time` strategy the
 * `correct` variant must hold every invariant for every tape; a failure or
 * a stuck run is a bug in the engine and crashes the fuzzer.  The crash
 * file replays with:  kvmsim replay CRASHFILE --scenario demo
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/src/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_request q;
    struct scn_run r;
    int code;

    if (size > 1 << 16) {
        return 0;
    }
    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.scenario = "demo";
    q.sets[q.nsets++] = "workload.items=40";
    q.tape = data;
    q.tape_len = size;
    q.quiet = true;
    q.save_tape = "/dev/null";
    code = scn_prepare(&q, &r);
    if (code == KVMSIM_EXIT_OK) {
        code = scn_execute(&q, &r);
    }
    scn_run_release(&r);
    if (code != KVMSIM_EXIT_OK) {
        abort();
    }
    return 0;
}
