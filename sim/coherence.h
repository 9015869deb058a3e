/*
 * sim/coherence.h - what the cache-line model of sim/coherence.c counted
 * in a run (plat_line_init()/plat_line_touch() of core/platform.h).
 */
#ifndef KVMSIM_SIM_COHERENCE_H
#define KVMSIM_SIM_COHERENCE_H

#include <stdint.h>

struct sim;

/* Transfers priced in the run of s so far (reads of a line modified on
 * another CPU plus writes of a line another CPU held). */
uint64_t sim_line_transfers(const struct sim *s);
/* Lines given an id by plat_line_init() while s was the simulation that
 * allocations are charged to. */
uint32_t sim_lines(const struct sim *s);

#endif
