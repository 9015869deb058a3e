/*
 * scenarios/src/explore.h - `kvmsim explore`: many seeds of a scenario in
 * parallel processes, failures grouped (see explore.c).
 */
#ifndef KVMSIM_SCN_EXPLORE_H
#define KVMSIM_SCN_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "scenarios/src/runner.h"

struct explore_opts {
    uint64_t first_seed;    /* default 1 */
    uint64_t seeds;         /* how many seeds from first_seed */
    unsigned jobs;          /* worker processes (1..64) */
    unsigned shard_index;   /* keep seeds with seed % shard_count == index */
    unsigned shard_count;
    double time_budget_s;   /* 0: none; stop workers after this long */
    const char *tape_dir;   /* save failing seeds' tapes here, or NULL */
    bool quiet;             /* no progress line */
};

/* Exit code: 0 no failure, 1 some seed failed, 2 usage error. */
int scn_explore_main(const struct scn_request *q,
                     const struct explore_opts *o);

#endif
