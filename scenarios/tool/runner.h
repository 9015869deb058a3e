/*
 * scenarios/tool/runner.h - loading, running, replaying and comparing
 * scenarios: everything `kvmsim run|replay|compare` does below the
 * argument parsing.
 *
 * Exit codes, one per way a run ends (never ORed together; when several
 * apply, the first of CRASH, INVARIANT, LIVENESS, STUCK, HOST, USAGE
 * wins: a broken safety property outranks a lost wakeup, which names its
 * cause more precisely than the deadlock or deadline it may lead to.  One
 * exception: a run during which the host refused memory is HOST unless
 * it crashed, since a failure then may be the shortage's effect):
 *   KVMSIM_EXIT_OK         every invariant held;
 *   KVMSIM_EXIT_INVARIANT  an invariant failed (the tape is saved and a
 *                          replay command printed);
 *   KVMSIM_EXIT_LIVENESS   a lost wakeup (sim/liveness.h: a signal nobody
 *                          consumed within its bound once the system
 *                          could settle) or a heal phase that cannot
 *                          converge once faults stopped (one still making
 *                          progress at its deadline is STUCK, a missed
 *                          deadline); tape and replay command as for an
 *                          invariant;
 *   KVMSIM_EXIT_USAGE      a usage or input error (file:line: message);
 *   KVMSIM_EXIT_STUCK      deadlock, livelock, a deadline or the step bound;
 *   KVMSIM_EXIT_CRASH      a signal, a sanitizer report or an engine panic;
 *   KVMSIM_EXIT_HOST       the host failed the tool: out of memory, or an
 *                          output (stdout, metrics, trace, tape) that could
 *                          not be written.
 */
#ifndef KVMSIM_SCN_RUNNER_H
#define KVMSIM_SCN_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenarios/tool/scenario.h"

enum {
    KVMSIM_EXIT_OK = 0,
    KVMSIM_EXIT_INVARIANT = 1,
    KVMSIM_EXIT_USAGE = 2,
    KVMSIM_EXIT_STUCK = 3,
    KVMSIM_EXIT_CRASH = 4,
    KVMSIM_EXIT_HOST = 5,
    KVMSIM_EXIT_LIVENESS = 6,
};

/* An exit code's place in the order documented above: 0 for CRASH, 1 for
 * INVARIANT, 2 for LIVENESS, ..., 6 for OK or anything else.
 * scn_exit_worst() is the more important of two codes by that order. */
int scn_exit_rank(int code);
int scn_exit_worst(int a, int b);

/* Host allocations refused since the process started: the kvmsim program
 * counts every malloc/calloc/realloc of its own code that returned NULL
 * (main.c), plat_alloc()'s included; other programs leave it at 0, and
 * the runner then uses the simulator's count of plat_alloc() refusals
 * (sim_alloc_host_failures()). */
extern uint64_t scn_host_alloc_refused;

#define SCN_MAX_SETS 64

struct report;

struct scn_request {
    const char *scenario;            /* builtin name or path */
    const char *scenario_text;       /* replay: the scenario text the tape
                                      * embeds (scenario names its origin) */
    const char *replay_path;         /* replay: the tape file, for hints */
    unsigned replay_header_sets;     /* replay: sets[] from the tape header */
    const char *sets[SCN_MAX_SETS];  /* "key=value" overrides, in order */
    unsigned nsets;
    const char *trace_path;          /* Chrome trace JSON, or NULL */
    const char *metrics_path;        /* metrics JSON, or NULL */
    const char *save_tape;           /* where a failing tape goes, or NULL
                                      * (a replay saves only when asked) */
    const uint8_t *tape;             /* replay: tape bytes, else NULL */
    size_t tape_len;
    bool quiet;                      /* no human summary */
    bool silent;                     /* no failure report either */
    struct report *report;           /* compare: structured rows, or NULL */
    bool no_heal;                    /* compare: no heal phase (run.heal_ms
                                      * ignored), so seed tables stay those
                                      * of the faulty phase */
};

/* Load the scenario and its configuration into r (which the caller
 * zeroes).  KVMSIM_EXIT_OK, or KVMSIM_EXIT_USAGE after printing the error. */
int scn_prepare(const struct scn_request *q, struct scn_run *r);
/* Run a prepared scenario; prints the summary and returns the exit code. */
int scn_execute(const struct scn_request *q, struct scn_run *r);
void scn_run_release(struct scn_run *r);

/* Run q quietly with `nextra` more overrides appended (no trace, metrics
 * or tape files); r keeps the metrics until scn_run_release().  Returns
 * the exit code. */
int scn_run_with(const struct scn_request *q, const char *const *extra,
                 unsigned nextra, struct scn_run *r);

/* `kvmsim run`: prepare + execute + release. */
int scn_run_main(const struct scn_request *q);
/* `kvmsim replay FILE`: a saved tape (with its header) or a raw tape with
 * q->scenario set. */
int scn_replay_main(const char *path, struct scn_request *q);
/* The first half of scn_replay_main(): read the tape file into q (its
 * strings and tape point into *buf, which the caller frees).
 * KVMSIM_EXIT_OK, or KVMSIM_EXIT_USAGE after printing why. */
int scn_replay_load(const char *path, struct scn_request *q, char **buf);
/* `kvmsim compare`: every variant with the same seed, side by side. */
int scn_compare_main(const struct scn_request *q);

/* The one writer and the one reader of the saved tape format (format 2,
 * see runner.c), for files and for `kvmsim explain`'s replays alike.
 *
 * scn_tape_write() writes the tape r consumed, with everything that
 * replays it anywhere: the scenario's name and full text, q's overrides
 * and then `extra` ones (f's error flag tells a failed write).
 * scn_tape_save() writes it to a file: 0, or -errno (nothing reported).
 * scn_tape_read() parses buf[0..len), which must end with the tape, into
 * q: the scenario (unless q names one), its text, the overrides appended
 * to q->sets and the tape bytes, all pointing into buf, which it modifies.
 * 0, or -EINVAL after printing why at origin:line. */
void scn_tape_write(FILE *f, const struct scn_request *q,
                    const struct scn_run *r, const char *const *extra,
                    unsigned nextra);
int scn_tape_save(const char *path, const struct scn_request *q,
                  const struct scn_run *r, const char *const *extra,
                  unsigned nextra);
int scn_tape_read(const char *origin, char *buf, size_t len,
                  struct scn_request *q);


#endif
