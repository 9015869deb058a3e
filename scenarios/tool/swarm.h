/*
 * scenarios/tool/swarm.h - swarm testing: each seed picks its own fault mix
 * and workload values within the ranges a scenario's [swarm] section
 * declares (config.h), so exploring seeds also explores configurations no
 * scenario file names.
 *
 * With run.swarm on (`--swarm`), scn_swarm_pick() reads the picks as the
 * first decisions of the run's tape, before the simulation exists, in this
 * order and with these widths (sim/tape.h), whatever the values drawn:
 *   for each site of `faults =`, in the order listed:
 *       sim_tape_below(2)      0 = off (rate 0), 1 = on
 *       sim_tape_below(65536)  the rate u: fault_rate's LO..HI at
 *                              u / 65535, log-uniformly with "log"
 *   for each range, in the order declared:
 *       choices a|b|...        sim_tape_below(number of choices)
 *       an integer range       sim_tape_below(HI - LO + 1), or with "log"
 *                              sim_tape_below(65536) mapped log-uniformly
 *       a number range         sim_tape_below(65536) mapped like a rate
 * A finite tape that runs out picks every site off and every range's LO
 * (or its first choice), so any byte string is still a valid run; the
 * picks are bytes of the tape, so a saved tape replays the same
 * configuration, and the header's `set run.swarm=true` turns swarm on
 * again without the flag.  A key pinned by --set keeps its value (its
 * draw is still read, so the tape's layout does not change).  The picked
 * values are set in the run's cfg, where the drivers read them;
 * cfg_where() names the [swarm] line, so a combination a driver refuses
 * is reported there (exit 2).  Without run.swarm nothing is read and
 * nothing changes.
 */
#ifndef KVMSIM_SCN_SWARM_H
#define KVMSIM_SCN_SWARM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenarios/tool/scenario.h"

/* Is swarm testing on for this run (run.swarm)? */
bool scn_swarm_on(const struct scn_run *r);

/* Draw the picks from r->tape and set them in r->cfg (see above); nothing
 * when swarm is off.  0, or -EINVAL / -ENOMEM after printing the error. */
int scn_swarm_pick(struct scn_run *r);

/* One line "<indent>swarm: faults ...; knobs ..." describing the
 * configuration the tape chose (nothing when swarm is off).  With
 * `calls`, each site's hit count in the run just finished. */
void scn_swarm_print(const struct scn_run *r, FILE *out, const char *indent,
                     bool calls);

/* `, "swarm": {"faults.SITE": RATE, ..., "SECTION.KEY": VALUE, ...}` for
 * the metrics JSON: every site and range of [swarm] with what the tape
 * chose (nothing when swarm is off). */
void scn_swarm_json(const struct scn_run *r, FILE *f);

/* For a report about seed `seed` of request q: prepare that run (without
 * simulating it) and print its swarm line.  Nothing when swarm is off or
 * the run cannot be prepared. */
void scn_swarm_print_seed(const struct scn_request *q, uint64_t seed,
                          FILE *out, const char *indent);

#endif
