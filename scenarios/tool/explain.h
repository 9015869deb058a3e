/*
 * scenarios/tool/explain.h - `kvmsim explain TAPE`: which decisions of a
 * failing tape make it fail.
 *
 * The tape is replayed with its decision log on (sim/tape.h), shrunk
 * delta-debugging style to a 1-minimal set of decisions that do not take
 * their default (resetting any one of them loses the failure), and each of
 * them is printed in words.  Two Perfetto traces are written, the minimal
 * failing run and the nearest passing run (one decision reverted), with the
 * first event where they part.  Every replay runs in a child process, so
 * a run that crashes costs one replay, not the command.  See explain.c for
 * the files and the exit codes.
 */
#ifndef KVMSIM_SCN_EXPLAIN_H
#define KVMSIM_SCN_EXPLAIN_H

#include "scenarios/tool/runner.h"

/* `kvmsim explain TAPE`: q carries the replay flags (--scenario, --set,
 * --variant, ...); out_dir is --out DIR or NULL (files next to the
 * tape).  Returns the exit code. */
int scn_explain_main(const char *path, struct scn_request *q,
                     const char *out_dir);

#endif
