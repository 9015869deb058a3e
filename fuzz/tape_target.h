/*
 * fuzz/tape_target.h - the body shared by the tape fuzz targets
 * (fuzz/fuzz_tape_*.c): a libFuzzer input is the decision tape of one
 * scaled-down run of a scenario family, and every invariant the scenario
 * checks is the oracle.
 *
 * Encoding.  The whole input is the tape, read front to back by the run:
 * equal-time ties, jitter, and the enabled fault sites (two bytes per
 * decision, sim/tape.h).  Byte 0 also picks the run: byte0 % P of the P
 * (scenario, variant) pairs, scenarios in the target's order and each
 * scenario's variants in `kvmsim list` order (an empty input picks the
 * first).  Byte 0 stays part of the tape, so a crash file replays as it
 * is, and a mutation of it changes the variant while the rest of the tape
 * keeps its meaning.  An exhausted tape takes the defaults (first
 * candidate, no fault, no jitter), so every input is a valid run.
 *
 * Oracle.  The variants a target runs are meant to be correct, under the
 * `time` strategy and under the faults the target enables.  Any exit code
 * but KVMSIM_EXIT_OK (an invariant failed, the run deadlocked or hit its
 * step bound) prints the one command that replays the input:
 *     kvmsim replay CRASHFILE --scenario S --variant V --set KEY=VALUE ...
 * and aborts, which libFuzzer reports as a crash and saves.
 *
 * Assumes the built-in scenarios (scenarios/NAME.ini) and one run at a time
 * per process (the simulator's fault settings are process-global).
 */
#ifndef KVMSIM_FUZZ_TAPE_TARGET_H
#define KVMSIM_FUZZ_TAPE_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/tool/runner.h"

#define TAPE_TARGET_MAX_PAIRS 16
#define TAPE_TARGET_MAX_LEN 65536

/* One scenario of a family and the overrides only it takes. */
struct tape_scenario {
    const char *name;              /* built-in scenario */
    const char *const *sets;       /* "section.key=value", NULL-terminated;
                                      NULL: none */
};

struct tape_family {
    const struct tape_scenario *scenarios; /* ends with a NULL name */
    const char *const *sets;       /* overrides of every scenario, applied
                                      first; NULL-terminated, NULL: none */
    const char *const *variants;   /* the variants to run, NULL-terminated;
                                      NULL: every variant */
    /* Longer inputs are skipped (0: TAPE_TARGET_MAX_LEN); a target lowers
     * it where a long run of injected faults would exhaust a retry bound
     * by design. */
    size_t max_len;
};

struct tape_pair {
    const struct tape_scenario *scn;
    const char *variant;           /* static text of the driver */
};

/* AddressSanitizer defaults of the tape targets (ASAN_OPTIONS still
 * overrides them).  A run allocates and frees its simulated KVMs (over
 * 100 KiB each) and worlds afresh; with the default 256 MiB quarantine
 * every run gets cold memory and pays a page fault per page, which halves
 * the executions per second.  16 MiB still holds everything one run frees
 * (under 300 KiB; the fiber stacks are mapped apart), so a use after free
 * within a run is still caught. */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16";
}

static inline size_t tape_target_count(const char *const *list)
{
    size_t n = 0;

    while (list && list[n]) {
        n++;
    }
    return n;
}

static inline int tape_target_wanted(const struct tape_family *f,
                                     const char *variant)
{
    if (!f->variants) {
        return 1;
    }
    for (size_t i = 0; f->variants[i]; i++) {
        if (strcmp(f->variants[i], variant) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The (scenario, variant) pairs of f, found once from the drivers. */
static inline size_t tape_target_pairs(const struct tape_family *f,
                                       const struct tape_pair **out)
{
    static struct tape_pair pairs[TAPE_TARGET_MAX_PAIRS];
    static size_t npairs;
    static int found;

    for (const struct tape_scenario *s = f->scenarios; !found && s->name;
         s++) {
        struct scn_request q;
        struct scn_run r;

        memset(&q, 0, sizeof(q));
        memset(&r, 0, sizeof(r));
        q.scenario = s->name;
        if (scn_prepare(&q, &r) != KVMSIM_EXIT_OK) {
            fprintf(stderr, "tape target: cannot load scenario %s\n",
                    s->name);
            abort();
        }
        for (size_t v = 0; r.drv->variants[v]; v++) {
            if (!tape_target_wanted(f, r.drv->variants[v])) {
                continue;
            }
            if (npairs == TAPE_TARGET_MAX_PAIRS) {
                fprintf(stderr, "tape target: more than %d variants\n",
                        TAPE_TARGET_MAX_PAIRS);
                abort();
            }
            pairs[npairs].scn = s;
            pairs[npairs].variant = r.drv->variants[v];
            npairs++;
        }
        scn_run_release(&r);
    }
    found = 1;
    if (npairs == 0) {
        fprintf(stderr, "tape target: no variant to run\n");
        abort();
    }
    *out = pairs;
    return npairs;
}

/* Fill q's overrides for p: the family's, the scenario's, the variant. */
static inline void tape_target_sets(const struct tape_family *f,
                                    const struct tape_pair *p,
                                    struct scn_request *q, char *variant,
                                    size_t len)
{
    const char *const *lists[2] = {f->sets, p->scn->sets};

    if (tape_target_count(f->sets) + tape_target_count(p->scn->sets) + 1 >
        SCN_MAX_SETS) {
        fprintf(stderr, "tape target: too many overrides\n");
        abort();
    }
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            q->sets[q->nsets++] = lists[l][i];
        }
    }
    snprintf(variant, len, "run.variant=%s", p->variant);
    q->sets[q->nsets++] = variant;
}

static inline void tape_target_print_replay(const struct scn_request *q,
                                            const struct tape_pair *p)
{
    fprintf(stderr, "replay with: kvmsim replay CRASHFILE --scenario %s "
            "--variant %s", p->scn->name, p->variant);
    for (size_t i = 0; i + 1 < q->nsets; i++) {
        fprintf(stderr, " --set %s", q->sets[i]);
    }
    fputc('\n', stderr);
}

/* Run one input; aborts on any result but KVMSIM_EXIT_OK. */
static inline int tape_target_run(const struct tape_family *f,
                                  const uint8_t *data, size_t size)
{
    const struct tape_pair *pairs;
    const struct tape_pair *p;
    size_t npairs = tape_target_pairs(f, &pairs);
    size_t max_len = f->max_len ? f->max_len : TAPE_TARGET_MAX_LEN;
    char variant[96];
    struct scn_request q;
    struct scn_run r;
    int code;

    if (size > max_len) {
        return 0;
    }
    p = &pairs[(size ? data[0] : 0) % npairs];
    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.scenario = p->scn->name;
    tape_target_sets(f, p, &q, variant, sizeof(variant));
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
        fprintf(stderr, "tape target: %s, variant %s: exit %d\n",
                p->scn->name, p->variant, code);
        tape_target_print_replay(&q, p);
        abort();
    }
    return 0;
}

#endif
