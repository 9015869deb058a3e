/*
 * fuzz/fuzz_its.c - differential fuzzing of the virtual GIC ITS and its
 * translation caches (seed 002) against the uncached oracle.
 *
 * Input: a 2-byte header, then the opcode stream of model/its/its_oracle.h
 * (ITS_OP_BYTES per operation: ITS commands, register writes and MSIs
 * arriving on a physical CPU named by the operation).  The header:
 *   h0  cache entries per LRU list: 1 + h0 % 16 (small, so LRUs evict and
 *       lockless sets overflow); (h0 >> 4) & 3 the cache variant: none,
 *       global, sharded, lockless; h0 & 0x80 adds a 2-vCPU config instead
 *       of 4 vCPUs
 *   h1  0: no faults; else the h1-th allocation after creation fails once
 *       (h1 & 0x80: persistently, i.e. every allocation from then on)
 * The stream runs on the variant h0 names beside a fresh oracle: every
 * step must agree (its_oracle_step: return codes, the LPI and vCPU
 * delivered), its_check must hold every 32 operations and at the end, the
 * oracle's and the core's visible state must match at the end, its_destroy
 * must report no LPI left referenced and no allocation may leak.  A
 * disagreement prints the variant, the operation and the reason, then
 * aborts.  One variant per input rather than all four: the checks of a
 * variant are the same, an input costs a quarter, and the variant is one
 * header field the fuzzer mutates like any other (the seed corpus holds
 * every seed stream under every variant).
 *
 * The cost is checked with the state (every 32 operations and at the
 * end): the caches were invalidated exactly as often as the oracle's
 * rules say for the commands run, and never by an MSI.
 *
 * The encoding is positional and fixed-size so a mutation changes one
 * field of one operation and leaves the rest of the stream meaning what it
 * meant; streams are cut at ITS_FUZZ_MAX_OPS operations.  Each id field
 * reaches its whole range (device ids to 2^16, event ids to 2^16, INTIDs
 * to 2^16, collections and vCPUs to the configured count, one past each
 * end included) with its boundary values drawn most often, and small ids
 * (4 devices x 8 events x 32 LPIs) among its extra values so that mapping
 * more translations than a cache holds (1 to 16 entries), hitting them,
 * invalidating and hitting again still takes a few dozen operations.  An
 * input costs in proportion to its length.  Runs outside a simulation:
 * platform calls act as one thread, faults come from fail-nth.  Run it
 * with the cut as libFuzzer's -max_len
 * (2 + ITS_FUZZ_MAX_OPS * ITS_OP_BYTES):
 *
 * max_len: 1538
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/its.h"
#include "model/its/its_oracle.h"
#include "sim/fault.h"

#define ITS_FUZZ_HDR 2
#define ITS_FUZZ_MAX_OPS 64
#define ITS_FUZZ_CHECK_EVERY 32
_Static_assert(ITS_FUZZ_HDR + ITS_FUZZ_MAX_OPS * ITS_OP_BYTES == 1538,
               "max_len in the header comment");

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

_Static_assert(ITS_CACHE_NR == 4, "two header bits pick the variant");

static const enum its_cache_kind fuzz_kinds[ITS_CACHE_NR] = {
    ITS_CACHE_NONE, ITS_CACHE_GLOBAL, ITS_CACHE_SHARDED, ITS_CACHE_LOCKLESS,
};

_Noreturn static void fuzz_its_fail(const struct its_config *cfg,
                                    size_t opno, const struct its_op *op,
                                    const char *what, const char *msg)
{
    char desc[160] = "-";

    if (op) {
        its_op_format(op, desc, sizeof(desc));
    }
    fprintf(stderr, "fuzz_its: %s cache, op %zu (%s): %s: %s\n",
            its_cache_kind_name(cfg->cache), opno, desc, what, msg);
    abort();
}

/* One variant over the whole stream. */
static void fuzz_its_run(const struct its_config *cfg, uint8_t h1,
                         const uint8_t *p, size_t n)
{
    struct its_oracle *o = its_oracle_create(cfg);
    struct its *its = NULL;
    uint64_t live0 = sim_alloc_live();
    size_t off = 0, opno = 0;
    unsigned leaked;
    char msg[256];

    if (!o) {
        fuzz_its_fail(cfg, 0, NULL, "oracle", "out of memory");
    }
    sim_fault_reset();
    if (its_create(cfg, &its) != 0) {
        fuzz_its_fail(cfg, 0, NULL, "its_create", "failed without faults");
    }
    if (h1) {
        sim_fault_fail_nth(PLAT_FAULT_ALLOC, h1 & 0x7f ? h1 & 0x7f : 128,
                           (h1 & 0x80) != 0);
    }
    for (;;) {
        struct its_op op;
        size_t used = its_op_decode(p + off, n - off, cfg, &op);

        if (!used) {
            break;
        }
        off += used;
        opno++;
        if (its_oracle_step(o, its, &op, NULL, msg, sizeof(msg)) != 0) {
            fuzz_its_fail(cfg, opno, &op, "oracle_step", msg);
        }
        if (opno % ITS_FUZZ_CHECK_EVERY == 0 &&
            its_check(its, msg, sizeof(msg)) != 0) {
            fuzz_its_fail(cfg, opno, &op, "its_check", msg);
        }
        if (opno % ITS_FUZZ_CHECK_EVERY == 0 &&
            its_oracle_check_cost(o, its, msg, sizeof(msg)) != 0) {
            fuzz_its_fail(cfg, opno, &op, "oracle_check_cost", msg);
        }
    }
    sim_fault_reset();
    if (its_check(its, msg, sizeof(msg)) != 0) {
        fuzz_its_fail(cfg, opno, NULL, "its_check at end", msg);
    }
    if (its_oracle_compare(o, its, msg, sizeof(msg)) != 0) {
        fuzz_its_fail(cfg, opno, NULL, "oracle_compare at end", msg);
    }
    if (its_oracle_check_cost(o, its, msg, sizeof(msg)) != 0) {
        fuzz_its_fail(cfg, opno, NULL, "oracle_check_cost at end", msg);
    }
    leaked = its_destroy(its);
    its_oracle_destroy(o);
    if (leaked != 0) {
        snprintf(msg, sizeof(msg), "%u LPIs still referenced", leaked);
        fuzz_its_fail(cfg, opno, NULL, "its_destroy", msg);
    }
    if (sim_alloc_live() != live0) {
        snprintf(msg, sizeof(msg), "%" PRIu64 " allocations leaked",
                 sim_alloc_live() - live0);
        fuzz_its_fail(cfg, opno, NULL, "leak", msg);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct its_config cfg;

    if (size < ITS_FUZZ_HDR + ITS_OP_BYTES) {
        return 0;
    }
    if (size > ITS_FUZZ_HDR + ITS_FUZZ_MAX_OPS * ITS_OP_BYTES) {
        size = ITS_FUZZ_HDR + ITS_FUZZ_MAX_OPS * ITS_OP_BYTES;
    }
    its_config_default(&cfg);
    cfg.cache_size = 1 + data[0] % 16;
    cfg.cache = fuzz_kinds[(data[0] >> 4) & 3];
    cfg.nr_vcpus = data[0] & 0x80 ? 2 : 4;
    cfg.nr_collections = 4;
    fuzz_its_run(&cfg, data[1], data + ITS_FUZZ_HDR, size - ITS_FUZZ_HDR);
    sim_fault_reset();
    return 0;
}
