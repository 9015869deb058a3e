/*
 * sim/fault.h - fault injection for the simulator's plat_fault().
 *
 * Two modes, usable together:
 *   probability  each hit of a site fails with the site's probability; the
 *                decision is one tape byte (a site at 0 reads no byte, so
 *                fault-free runs do not depend on fault settings);
 *   nth call     the Nth hit (1-based) of one site fails, or with
 *                `persist` every hit from the Nth on: the SQLite loop
 *                "fail call N, raise N until the operation completes".
 * Settings are process-global and stay until sim_fault_reset().  Hits are
 * counted per site in and outside simulated runs alike.
 */
#ifndef KVMSIM_SIM_FAULT_H
#define KVMSIM_SIM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/fault.h"

/* Clear probabilities, the nth-call setting and all counters. */
void sim_fault_reset(void);
/* Probability in [0, 1]; values outside are clamped. */
void sim_fault_set_prob(enum plat_fault_site site, double p);
/* Fail hit number n (1-based) of site; n == 0 disables.  With persist,
 * every later hit fails too.  Resets the site's hit counter. */
void sim_fault_fail_nth(enum plat_fault_site site, uint64_t n, bool persist);
/* Any site: fail the nth fallible call of any site (site-agnostic loop). */
void sim_fault_fail_nth_any(uint64_t n, bool persist);
uint64_t sim_fault_hits(enum plat_fault_site site);
/* Number of faults injected since the last reset. */
uint64_t sim_fault_injected(void);
/* ... at one site (cost checks: which calls of an operation failed). */
uint64_t sim_fault_injected_at(enum plat_fault_site site);

/* Live allocations made through plat_alloc()/plat_zalloc() (leak checks). */
uint64_t sim_alloc_live(void);
/* plat_alloc() calls the host's malloc() refused since the process
 * started (not injected faults): a run during which this grew ran out of
 * real memory, so what it found is not a result. */
uint64_t sim_alloc_host_failures(void);
/* plat_rcu_synchronize() calls since the process started, in and outside
 * simulated runs (cost checks). */
uint64_t sim_rcu_synchronize_calls(void);

#endif
