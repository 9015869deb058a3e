/*
 * scenarios/tool/explore.h - `kvmsim explore`: many seeds of a scenario in
 * parallel processes, failures grouped (see explore.c).
 */
#ifndef KVMSIM_SCN_EXPLORE_H
#define KVMSIM_SCN_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "scenarios/tool/runner.h"

/* Filled by the command line (main.c), which validates the values; the
 * explorer checks them again and returns KVMSIM_EXIT_USAGE when not. */
struct explore_opts {
    uint64_t first_seed;    /* >= 0; the CLI's default is 1 */
    uint64_t seeds;         /* >= 1 seeds from first_seed (the range must
                             * not pass 2^64 - 1) */
    unsigned jobs;          /* worker processes (1..64) */
    unsigned shard_index;   /* keep seeds with seed % shard_count == index */
    unsigned shard_count;   /* >= 1, > shard_index */
    double time_budget_s;   /* 0: none; else a bound on the whole command */
    const char *tape_dir;   /* save failing seeds' tapes here (created,
                             * with its parents), or NULL */
    bool quiet;             /* no progress line (reports still printed) */
    const char *jsonl_path; /* JSON Lines: a record per failing seed, then
                             * one summary of the shard; or NULL */
};

/* Run the seeds and print the summary on stdout.  The exit code is the
 * worst (scn_exit_worst) of every seed's code, KVMSIM_EXIT_CRASH for a
 * worker that died, KVMSIM_EXIT_HOST for seeds not run because a worker
 * could not be started or for a tape that could not be saved, and
 * KVMSIM_EXIT_USAGE for bad options, a bad scenario or a --tapes
 * directory that cannot be created.  Seeds left when the time budget
 * runs out are reported but do not by themselves make the exit
 * non-zero. */
int scn_explore_main(const struct scn_request *q,
                     const struct explore_opts *o);

/* `--shard auto/K`: the shard index from the batch engine's environment,
 * JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or else
 * SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN (a Slurm job array).
 * 0 with *index set, or -EINVAL after saying why. */
int scn_explore_shard_auto(unsigned count, unsigned *index);

/* `kvmsim explore --merge FILE...`: read the JSON Lines of every shard of
 * one exploration and print the summary the unsharded run prints.  The
 * exit code is that run's, or KVMSIM_EXIT_USAGE (after "file:line:
 * message") for a malformed line, records of different explorations,
 * a duplicate or overlapping shard or a missing one. */
int scn_explore_merge(int nfiles, char *const *files);

#endif
